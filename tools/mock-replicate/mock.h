/*
** mock.h — internal declarations shared by the files of mock-replicate, the mock Replicate
** HTTP API server used by tests (docs/mock-replicate.md). Not a public header.
**
** One global state (g_mock) guarded by one mutex: the server runs one thread per
** connection, and every handler takes the lock for as long as it reads or changes
** predictions, billing or faults. Media generation runs outside the lock.
*/
#ifndef MOCK_REPLICATE_H
#define MOCK_REPLICATE_H

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>

/* ---- models (fixtures) ------------------------------------------------------------- */

typedef enum { OUT_VIDEO,
               OUT_IMAGE,
               OUT_AUDIO,
               OUT_TEXT } mock_out_kind;

typedef struct {
  char *owner, *name, *full; /* "owner", "name", "owner/name" */
  int official;              /* models.predictions.create allowed */
  json_t *fixture;           /* the fixture object (owned): description, output, price, … */
  json_t *schema;            /* openapi_schema document (owned) */
  json_t *versions;          /* array of {id, created_at, cog_version} (owned, newest first) */
  long run_count;
} mock_model;

/* A deployment (fixture `deployments`): a name of the account's that runs one model version. */
typedef struct {
  char owner[80], name[80], full[160];
  mock_model *model;
  char version[80]; /* the release's version id */
  char hardware[40];
  int min_instances, max_instances;
} mock_deployment;

/* A file uploaded with POST /v1/files. Bytes live in memory (and beside --state-file). */
typedef struct {
  char id[32];
  long seq;
  char name[256];
  char content_type[128];
  unsigned char *data;
  size_t size;
  char sha256[65];
  json_t *metadata; /* owned */
  double created, expires;
  int deleted;
} mock_file;

/* ---- predictions --------------------------------------------------------------------- */

/* A prediction's fate decided when it is created (fault injection), applied when it ends. */
typedef enum {
  FATE_SUCCEED = 0,
  FATE_FAIL,   /* status failed with fate_error */
  FATE_CANCEL, /* canceled on the provider's side */
  FATE_ABORT,  /* aborted: never started */
  FATE_EXPIRE, /* succeeds, but its output is removed at once */
} mock_fate;

typedef struct {
  char id[32];
  long seq;         /* creation order, for listing and cursors */
  char model[160];  /* owner/name */
  char version[80]; /* 64-hex version id, or "hidden" for official models */
  json_t *input;    /* the request's input object (owned) */
  double created;   /* epoch seconds */
  double start_at;  /* when it leaves `starting` */
  double done_at;   /* when it would end on its own */
  double cancel_at; /* when a cancel was requested, 0 = never */
  double deadline;  /* Cancel-After deadline, 0 = none */
  mock_fate fate;
  char fate_error[512];
  /* terminal state, set once by mock_advance() */
  char status[16];     /* starting processing succeeded failed canceled aborted */
  double completed_at; /* 0 until terminal */
  double predict_time;
  int data_removed;
  int billed;
  int nfiles;           /* output files (0 unless succeeded) */
  char ext[8];          /* output file extension: mp4 png jpg webp wav */
  char deployment[160]; /* "owner/name" when created through a deployment */
  json_t *input_kinds;  /* {input: "file"|"data_url"|"url"} for uri inputs (owned, mock-only) */
  long body_bytes;      /* size of the create request body */
  char *data_output;    /* data: URL output of data_url models (malloc'd, lazily) */
} mock_pred;

/* ---- fault rules ----------------------------------------------------------------------- */

typedef struct {
  char method[12]; /* "" = any */
  char path[256];  /* fnmatch pattern, "" = any */
  char model[160]; /* owner/name the request concerns, "" = any */
  char action[24];
  long after; /* let this many matching requests pass first */
  long count; /* times it fires; -1 = unlimited */
  double probability;
  long seen, fired;
  int status; /* for "status" */
  double retry_after;
  int retry_after_date;     /* send Retry-After as an HTTP date */
  double delay;             /* seconds: slow (before response), stall (length of the stall) */
  long bytes;               /* truncate/stall: bytes sent before the cut (-1: half) */
  long rate;                /* slow body: bytes per second (0: no throttle) */
  char error[512];          /* fail: error text */
  double reset;             /* 429: the "resets in ~Ns" figure (unscaled seconds; <0: from retry_after or 30) */
  double win_from, win_for; /* time window (unscaled seconds; win_for < 0: no window) */
  int win_first;            /* window counted from the first matching request, not mock start */
  double win_t0;            /* when that first request came (0: not yet) */
  json_t *json;             /* the rule as given (owned), echoed by GET /_mock/faults */
} mock_fault;

/* ---- global state -------------------------------------------------------------------- */

typedef struct {
  pthread_mutex_t lock;
  /* configuration */
  int port;
  double latency;    /* create → terminal, seconds */
  double output_ttl; /* terminal → data removed, seconds */
  char *state_file;  /* or NULL */
  int page_size;
  double rate_limit;       /* creates per minute and account, 0 = not enforced */
  double rate_limit_other; /* other API requests per minute and account, 0 = not enforced */
  double time_scale;       /* every duration the mock applies is multiplied by this */
  double started;          /* mock start (epoch seconds) */
  double max_file_size;    /* bytes, POST /v1/files */
  double file_ttl;         /* seconds an uploaded file lives */
  double max_body;         /* bytes, prediction create bodies */
  char **tokens;           /* accepted tokens; NULL = any non-empty bearer token */
  int ntokens;
  int verbose;
  unsigned long long rng;
  /* data */
  mock_model *models;
  int nmodels;
  mock_pred **preds;
  int npreds, cappreds;
  long next_seq;
  json_t *billing; /* array of records */
  json_t *stats;   /* {"METHOD route": count} */
  mock_fault *faults;
  int nfaults;
  mock_deployment *deployments;
  int ndeployments;
  mock_file **files;
  int nfiles, capfiles;
  long next_file_seq;
} mock_state;

extern mock_state g_mock;
extern volatile sig_atomic_t g_stopping;

/* util.c */
double mock_now(void);
double mock_scaled(double seconds); /* seconds × --time-scale */
void mock_iso8601(double t, char *buf, size_t n);
int mock_parse_iso8601(const char *s, double *out);
void mock_http_date(double t, char *buf, size_t n);
double mock_rand01(void);
void mock_new_id(char out[32]);
void mock_sleep(double seconds); /* returns early when the server stops */
void mock_sha256_hex(const void *data, size_t n, char out[65]);
void mock_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ratelimit.c (lock held) */
/* Counts a request of the account holding `token` (create or other) and fills the
 * ratelimit-* header values; returns 0, or the seconds until the limit resets when the
 * request is over the limit (then it is not counted). */
double mock_ratelimit_take(const char *token, int create, long *remaining, long *reset);
/* The body of a 429 as Replicate sends it, for a reset `secs` (already scaled) away. */
json_t *mock_throttled_body(double secs);
long mock_reset_secs(double secs); /* whole seconds shown for a reset: ceil, at least 1 */
void mock_ratelimit_clear(void);

/* files.c (lock held unless said otherwise) */
mock_file *mock_file_find(const char *id); /* NULL if unknown, deleted or expired */
mock_file *mock_file_any(const char *id);  /* also expired ones */
/* Parses a multipart/form-data body and stores the file; returns the file or NULL with an
 * HTTP status and message in *status / err. */
mock_file *mock_file_create(const char *ctype, const char *body, size_t len, int *status,
                            char *err, size_t errlen);
json_t *mock_file_json(const mock_file *f, const char *base); /* new ref */
void mock_file_delete(mock_file *f);
void mock_files_save(json_t *root);
void mock_files_load(json_t *root);
void mock_files_free(void);
/* Classifies the uri inputs of a create: adds {name: kind} to kinds and, for a file URL that
 * is unknown or expired, an invalid_fields entry to `fields`. */
void mock_input_uris(const mock_model *m, json_t *input, json_t *kinds, json_t *fields);

/* models.c */
int mock_models_load(const char *path, char *err, size_t errlen);
mock_model *mock_model_find(const char *owner_name);
mock_model *mock_model_by_version(const char *version, const char **vid_out);
const char *mock_model_latest_version(const mock_model *m);
json_t *mock_model_json(const mock_model *m);                    /* new ref */
json_t *mock_version_json(const mock_model *m, const char *vid); /* new ref or NULL */
/* Validates `input` against the model's Input schema; returns NULL when valid or a new
 * 422 problem object listing the invalid fields. */
json_t *mock_validate_input(const mock_model *m, json_t *input);
/* Expected output files of a prediction: count and extension. */
void mock_output_plan(const mock_model *m, json_t *input, int *nfiles, char ext[8]);
/* Cost of a prediction by the model's price rule; *units and *unit describe the charge. */
double mock_price(const mock_model *m, const mock_pred *p, double *units, const char **unit);
double mock_output_seconds(const mock_model *m, json_t *input);
mock_deployment *mock_deployment_find(const char *owner_name);
json_t *mock_deployment_json(const mock_deployment *d); /* new ref */
/* Deterministic text of a text-producing model (caption, transcript, tokens): malloc'd. */
char *mock_output_text(const mock_model *m, json_t *input);
/* File extension of output file `idx` (object outputs may mix files: whisper's txt + srt). */
const char *mock_output_ext(const mock_model *m, const char *main_ext, int idx);

/* state.c (call with the lock held) */
mock_pred *mock_pred_new(mock_model *m, const char *version, json_t *input, double cancel_after);
mock_pred *mock_pred_find(const char *id);
void mock_pred_free(mock_pred *p);
void mock_advance(mock_pred *p, double now);
json_t *mock_pred_json(mock_pred *p, const char *base); /* new ref */
void mock_state_save(void);
int mock_state_load(char *err, size_t errlen);
void mock_reset(void);
void mock_stat(const char *method, const char *route);

/* faults.c (call with the lock held) */
int mock_faults_set(json_t *rules, char *err, size_t errlen);
json_t *mock_faults_json(void); /* new ref */
/* Finds the first rule matching the request that decides to fire; NULL if none. The
 * returned pointer stays valid until the next mock_faults_set (copy what you need). */
mock_fault *mock_fault_match(const char *method, const char *path, const char *model,
                             int outcome_only);
int mock_fault_is_outcome(const char *action);

/* speech.c (thread-safe, no lock needed): a TTS fixture's voice (output.speech) as WAV, and
** the word times of every rendering so far (GET /_mock/speech; new reference). */
int mock_speech_wav(const mock_model *m, json_t *input, int sr, unsigned char **data, size_t *len, char *err,
                    size_t errlen);
json_t *mock_speech_truth(void);
void mock_speech_reset(void);

/* media.c (thread-safe, no lock needed) */
/* Generates output file `index` of a prediction into a new malloc'd buffer. */
int mock_media_make(const mock_model *m, json_t *input, int index, const char *ext,
                    unsigned char **data, size_t *len, char *err, size_t errlen);
const char *mock_media_type(const char *ext);
int mock_media_can(const char *ext); /* 1 when this build can encode .ext */

/* http.c */
int mock_http_start(char *err, size_t errlen);
void mock_http_stop(void);

#endif
