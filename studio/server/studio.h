/*
** studio.h — the studio server's internal interface (stage "studio", above cli's libraries).
**
** One file per idea: server.c (daemon + dispatch), auth.c (token, Host, Origin),
** paths.c (confinement to the project), http.c (bodies and replies), assets.c (the
** embedded front end), api_files.c (scripts: list, read, save, check), api_plan.c (plan,
** models, ledger), api_beats.c (the music's grid), build.c (the one build and its event log), api_build.c (build routes and
** Server-Sent Events), media.c (videos and images with Range), poster.c (a JPEG per scene
** preview), api_prompt.c (prompt box).
**
** Threading: libmicrohttpd runs a thread per connection. The compiler is called under
** `st->compile_lock`; the build record under `st->build.lock`.
*/
#ifndef VSC_STUDIO_INTERNAL_H
#define VSC_STUDIO_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <microhttpd.h>

#include "vsc/vsc_studio.h"

typedef struct json_t json_t;

#define STUDIO_TOKEN_HEX 64 /* 32 random bytes */

/* ---- the build record (build.c) ---------------------------------------------------- */
typedef enum { BUILD_IDLE = 0,
               BUILD_RUNNING,
               BUILD_DONE } build_phase;

#define STUDIO_QUEUE_MAX 8 /* builds waiting for the running one (a 9th is refused) */

/* A build asked for: what Build sends. Waits in the queue while another build runs. */
typedef struct {
  unsigned long id;   /* queue entry id (for removing it) */
  char abs[PATH_MAX]; /* the script's real path */
  char rel[PATH_MAX]; /* project-relative */
  char provider[16];  /* "" = auto */
  bool preview;
  double queued_at; /* monotonic seconds */
} studio_build_req;

typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t cond; /* signalled on every new event and at the end */
  build_phase phase;   /* RUNNING from admission (compiling, spawning) to the child's exit */
  unsigned long id;    /* increases with every build */
  pid_t pid;           /* the child while running (0 while it is being started) */
  int exit_code;       /* when done */
  bool stop_requested;
  bool launch_canceled;  /* Stop came while the build was still being started */
  json_t *events;        /* every event of the current/last build, in order (owned) */
  json_t *nodes;         /* the plan's nodes: id, op, scene, model, key, estimate (owned) */
  char script[PATH_MAX]; /* project-relative */
  char output[PATH_MAX]; /* absolute path of the MP4 */
  char output_rel[PATH_MAX];
  double started; /* monotonic seconds */
  bool closing;   /* the server is stopping: streams end, nothing new starts */
  int readers;    /* live reader threads (detached; close waits for none) */
  studio_build_req queue[STUDIO_QUEUE_MAX];
  int nqueue;
  unsigned long queue_seq;
} studio_build;

typedef struct studio {
  char dir[PATH_MAX]; /* realpath of the project */
  char token[STUDIO_TOKEN_HEX + 1];
  char host_ok[3][128]; /* accepted Host header values ("127.0.0.1:PORT", ...) */
  int nhost_ok;
  char origin_ok[3][160]; /* accepted Origin values ("http://127.0.0.1:PORT", ...) */
  int norigin_ok;
  char self_exe[PATH_MAX];
  char open_file[PATH_MAX];
  const char *secret; /* REPLICATE_API_TOKEN's value (borrowed from environ) or NULL */
  pthread_mutex_t compile_lock;
  studio_build build;
  struct MHD_Daemon *daemon;
} studio;

/* ---- a request in progress (server.c) ---------------------------------------------- */
typedef struct {
  char *body; /* the request body, NUL-terminated (owned) */
  size_t len, cap;
  size_t limit; /* bytes accepted for this route */
  bool too_large;
} studio_req;

/* ---- auth.c -------------------------------------------------------------------------- */
/* Fills st->token with 64 random hex digits. */
int studio_token_new(studio *st, char *err, size_t errlen);
/* Constant-time comparison of a presented token with the session's (false for NULL). */
bool studio_token_ok(const studio *st, const char *presented);
/* The token a request carries: X-Vsc-Token header, else the vsc_token cookie (borrowed). */
const char *studio_token_of(struct MHD_Connection *c);
/* Host and Origin (when present) name this server: defeats DNS rebinding and cross-site
 * requests. Also requires Sec-Fetch-Site, when sent, to be same-origin or none. */
bool studio_origin_ok(const studio *st, struct MHD_Connection *c, const char *method);
/* Records the accepted Host/Origin values once the port is known. */
void studio_origin_init(studio *st, const char *host, int port);

/* ---- paths.c ------------------------------------------------------------------------- */
/* Resolves `rel` (a project-relative path from a request) to an absolute path inside the
 * project: no absolute paths, no "..", no NUL, no control characters, and the real path
 * (symlinks resolved) must stay inside st->dir. When `must_exist` is false the file may
 * be missing but its directory must exist inside the project. 0 or -1 with `why`. */
int studio_path_resolve(const studio *st, const char *rel, bool must_exist, char *out,
                        size_t outlen, char *why, size_t whylen);
/* `abs` (already real) relative to the project, or NULL when outside (borrowed). */
const char *studio_path_rel(const studio *st, const char *abs);
/* True when `real` is `root` or below it. */
bool studio_path_within(const char *root, const char *real);

/* ---- http.c -------------------------------------------------------------------------- */
/* Every reply goes through here: security headers (CSP, nosniff, no-referrer, frame
 * denial, no-store) are added, and the body is scanned so the session token and the
 * provider secret can never leave in it. Takes ownership of `body` (malloc'd). */
enum MHD_Result studio_reply(const studio *st, struct MHD_Connection *c, unsigned status,
                             const char *ctype, char *body, size_t len);
/* A JSON reply; steals `o`. */
enum MHD_Result studio_reply_json(const studio *st, struct MHD_Connection *c, unsigned status,
                                  json_t *o);
/* {"error": msg} with `status`. */
enum MHD_Result studio_reply_error(const studio *st, struct MHD_Connection *c, unsigned status,
                                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Adds the headers every response carries. */
void studio_secure_headers(struct MHD_Response *r);
/* The request body parsed as a JSON object, or NULL (and a 400 was queued into *rc). */
json_t *studio_body_json(const studio *st, struct MHD_Connection *c, const studio_req *req,
                         enum MHD_Result *rc);
/* Replaces every occurrence of `secret` in buf (in place) with '*'. */
void studio_scrub(char *buf, size_t len, const char *secret);
/* A query argument (borrowed) or NULL. */
const char *studio_arg(struct MHD_Connection *c, const char *name);
double studio_now(void);

/* ---- assets.c ------------------------------------------------------------------------ */
/* Serves the embedded front end (index.html for "/"); false when `url` is not an asset. */
bool studio_asset(const studio *st, struct MHD_Connection *c, const char *url,
                  enum MHD_Result *rc);

/* ---- route handlers ------------------------------------------------------------------ */
typedef enum MHD_Result (*studio_handler)(studio *st, struct MHD_Connection *c,
                                          const char *url, const studio_req *req);
enum MHD_Result studio_api_session(studio *, struct MHD_Connection *, const char *, const studio_req *);
enum MHD_Result studio_api_files(studio *, struct MHD_Connection *, const char *, const studio_req *);
enum MHD_Result studio_api_file_get(studio *, struct MHD_Connection *, const char *, const studio_req *);
enum MHD_Result studio_api_file_put(studio *, struct MHD_Connection *, const char *, const studio_req *);
enum MHD_Result studio_api_check(studio *, struct MHD_Connection *, const char *, const studio_req *);
enum MHD_Result studio_api_format(studio *, struct MHD_Connection *, const char *, const studio_req *);
enum MHD_Result studio_api_plan(studio *, struct MHD_Connection *, const char *, const studio_req *);
enum MHD_Result studio_api_models(studio *, struct MHD_Connection *, const char *, const studio_req *);
enum MHD_Result studio_api_ledger(studio *, struct MHD_Connection *, const char *, const studio_req *);
enum MHD_Result studio_api_beats(studio *, struct MHD_Connection *, const char *, const studio_req *);
enum MHD_Result studio_api_build_start(studio *, struct MHD_Connection *, const char *, const studio_req *);
enum MHD_Result studio_api_build_stop(studio *, struct MHD_Connection *, const char *, const studio_req *);
enum MHD_Result studio_api_build_unqueue(studio *, struct MHD_Connection *, const char *, const studio_req *);
enum MHD_Result studio_api_build_state(studio *, struct MHD_Connection *, const char *, const studio_req *);
enum MHD_Result studio_api_build_events(studio *, struct MHD_Connection *, const char *, const studio_req *);
enum MHD_Result studio_api_media(studio *, struct MHD_Connection *, const char *, const studio_req *);
enum MHD_Result studio_api_object(studio *, struct MHD_Connection *, const char *, const studio_req *);
enum MHD_Result studio_api_poster(studio *, struct MHD_Connection *, const char *, const studio_req *);
enum MHD_Result studio_api_prompt(studio *, struct MHD_Connection *, const char *, const studio_req *);
enum MHD_Result studio_api_upload(studio *, struct MHD_Connection *, const char *, const studio_req *);

/* ---- shared by the handlers (api_files.c, api_plan.c) ------------------------------- */
typedef struct vsc_diag_list vsc_diag_list;
/* The bytes of a regular file up to `limit` (caller frees), NUL-terminated, or NULL. */
char *studio_read_text(const char *abs, size_t limit, size_t *len, double *mtime, char *why,
                       size_t whylen);
/* Writes a file atomically (temp file in its folder, fsync, rename): 0 or -1 (errno). */
int studio_write_file(const char *abs, const char *text, size_t len);
/* vsc_diag_to_json with project-relative file names (new array). */
json_t *studio_diags_json(const studio *st, const vsc_diag_list *diags);
/* Compiles text (named by its absolute path) and summarises the plan for the page: a new
 * {diagnostics, errors, warnings, plan|null}. Takes the compile lock. */
json_t *studio_compile_and_plan(studio *st, const char *abs, const char *text, size_t len,
                                const char *provider, bool preview);
/* Compiles abs with the build's options into a new IR (or NULL with diags in *out_diags,
 * a new array). Takes the compile lock. */
json_t *studio_compile_ir(studio *st, const char *abs, const char *text, size_t len,
                          bool preview, json_t **out_diags);
/* A new summary of an IR for the page: scenes, texts, voices, music, nodes with their
 * cache keys and whether each is cached (in `cache_dir`, never created). */
json_t *studio_plan_summary(const studio *st, const json_t *ir, const char *cache_dir,
                            const char *provider);

/* ---- media.c, poster.c ---------------------------------------------------------------- */
/* Serves an open file (consumed) with single byte ranges. */
enum MHD_Result studio_send_file(const studio *st, struct MHD_Connection *c, int fd,
                                 const char *ctype);
/* The cached media object `key` of the project-relative `script`: its real path into obj
 * and the script's real cache folder into cache (both confined). 0, or an HTTP status
 * with why (400 bad key, 403 outside, 404 unknown, 415 not media). */
unsigned studio_object_path(const studio *st, const char *script, const char *key,
                            char obj[PATH_MAX], char cache[PATH_MAX], char *why, size_t whylen);

/* ---- build.c ------------------------------------------------------------------------- */
void studio_build_init(studio_build *b);
/* Server stopping: interrupts a running build (SIGINT, SIGKILL after 10 s), waits for it
 * and wakes every stream so it ends. */
void studio_build_close(studio_build *b);
/* Frees the record, once no connection can use it. */
void studio_build_free(studio_build *b);
/* Starts building `abs_script` (project-relative `rel`) with `provider` (NULL = auto) and
 * `preview`, or queues it behind the running build. 0 started; 2 queued; 1 refused (the
 * queue is full, or the same build is already queued: err says so); -1 with err (it does
 * not compile, or could not start). */
int studio_build_start(studio *st, const char *abs_script, const char *rel, const char *provider,
                       bool preview, char *err, size_t errlen);
/* Sends SIGINT to the running build (as Ctrl-C does) and drops the queued ones: 0, or 1
 * when none runs. */
int studio_build_stop(studio *st);
/* Removes queued build `id`: 0, or 1 when it is not queued (it may have started). */
int studio_build_unqueue(studio *st, unsigned long id);
/* A new snapshot {id, phase, script, output, exit_code, events, queue} (caller decrefs). */
json_t *studio_build_snapshot(studio *st);
/* The cache directory of a script (its folder's .vsc), into out. */
void studio_cache_dir_of(const char *abs_script, char *out, size_t len);

#endif
