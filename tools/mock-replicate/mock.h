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

typedef enum { OUT_VIDEO, OUT_IMAGE, OUT_AUDIO } mock_out_kind;

typedef struct {
  char *owner, *name, *full; /* "owner", "name", "owner/name" */
  int official;              /* models.predictions.create allowed */
  json_t *fixture;           /* the fixture object (owned): description, output, price, … */
  json_t *schema;            /* openapi_schema document (owned) */
  json_t *versions;          /* array of {id, created_at, cog_version} (owned, newest first) */
  long run_count;
} mock_model;

/* ---- predictions --------------------------------------------------------------------- */

/* A prediction's fate decided when it is created (fault injection), applied when it ends. */
typedef enum {
  FATE_SUCCEED = 0,
  FATE_FAIL,     /* status failed with fate_error */
  FATE_CANCEL,   /* canceled on the provider's side */
  FATE_ABORT,    /* aborted: never started */
  FATE_EXPIRE,   /* succeeds, but its output is removed at once */
} mock_fate;

typedef struct {
  char id[32];
  long seq;              /* creation order, for listing and cursors */
  char model[160];       /* owner/name */
  char version[80];      /* 64-hex version id, or "hidden" for official models */
  json_t *input;         /* the request's input object (owned) */
  double created;        /* epoch seconds */
  double start_at;       /* when it leaves `starting` */
  double done_at;        /* when it would end on its own */
  double cancel_at;      /* when a cancel was requested, 0 = never */
  double deadline;       /* Cancel-After deadline, 0 = none */
  mock_fate fate;
  char fate_error[512];
  /* terminal state, set once by mock_advance() */
  char status[16];       /* starting processing succeeded failed canceled aborted */
  double completed_at;   /* 0 until terminal */
  double predict_time;
  int data_removed;
  int billed;
  int nfiles;            /* output files (0 unless succeeded) */
  char ext[8];           /* output file extension: mp4 png jpg webp wav */
} mock_pred;

/* ---- fault rules ----------------------------------------------------------------------- */

typedef struct {
  char method[12];   /* "" = any */
  char path[256];    /* fnmatch pattern, "" = any */
  char model[160];   /* owner/name the request concerns, "" = any */
  char action[24];
  long after;        /* let this many matching requests pass first */
  long count;        /* times it fires; -1 = unlimited */
  double probability;
  long seen, fired;
  int status;        /* for "status" */
  double retry_after;
  int retry_after_date; /* send Retry-After as an HTTP date */
  double delay;      /* seconds: slow (before response), stall (length of the stall) */
  long bytes;        /* truncate/stall: bytes sent before the cut (-1: half) */
  long rate;         /* slow body: bytes per second (0: no throttle) */
  char error[512];   /* fail: error text */
  json_t *json;      /* the rule as given (owned), echoed by GET /_mock/faults */
} mock_fault;

/* ---- global state -------------------------------------------------------------------- */

typedef struct {
  pthread_mutex_t lock;
  /* configuration */
  int port;
  double latency;     /* create → terminal, seconds */
  double output_ttl;  /* terminal → data removed, seconds */
  char *state_file;   /* or NULL */
  int page_size;
  double rate_limit;  /* creates per minute, 0 = unlimited */
  char **tokens;      /* accepted tokens; NULL = any non-empty bearer token */
  int ntokens;
  int verbose;
  unsigned long long rng;
  /* data */
  mock_model *models;
  int nmodels;
  mock_pred **preds;
  int npreds, cappreds;
  long next_seq;
  json_t *billing;    /* array of records */
  json_t *stats;      /* {"METHOD route": count} */
  mock_fault *faults;
  int nfaults;
  double *create_times; /* ring of recent create times, for --rate-limit */
  int ncreate_times;
} mock_state;

extern mock_state g_mock;
extern volatile sig_atomic_t g_stopping;

/* util.c */
double mock_now(void);
void mock_iso8601(double t, char *buf, size_t n);
int mock_parse_iso8601(const char *s, double *out);
void mock_http_date(double t, char *buf, size_t n);
double mock_rand01(void);
void mock_new_id(char out[32]);
void mock_sleep(double seconds); /* returns early when the server stops */
void mock_sha256_hex(const void *data, size_t n, char out[65]);
void mock_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* models.c */
int mock_models_load(const char *path, char *err, size_t errlen);
mock_model *mock_model_find(const char *owner_name);
mock_model *mock_model_by_version(const char *version, const char **vid_out);
const char *mock_model_latest_version(const mock_model *m);
json_t *mock_model_json(const mock_model *m);   /* new ref */
json_t *mock_version_json(const mock_model *m, const char *vid); /* new ref or NULL */
/* Validates `input` against the model's Input schema; returns NULL when valid or a new
 * 422 problem object listing the invalid fields. */
json_t *mock_validate_input(const mock_model *m, json_t *input);
/* Expected output files of a prediction: count and extension. */
void mock_output_plan(const mock_model *m, json_t *input, int *nfiles, char ext[8]);
/* Cost of a prediction by the model's price rule; *units and *unit describe the charge. */
double mock_price(const mock_model *m, const mock_pred *p, double *units, const char **unit);
double mock_output_seconds(const mock_model *m, json_t *input);

/* state.c (call with the lock held) */
mock_pred *mock_pred_new(mock_model *m, const char *version, json_t *input, double cancel_after);
mock_pred *mock_pred_find(const char *id);
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
