/*
** rp.h — internals of the Replicate provider (runtime stage: providers), shared by its files:
**
**   provider.c    the provider object, the vtable, the step loop, the account-wide throttle
**   prediction.c  one prediction's state machine: create → (recover) → poll → download
**   transport.c   one HTTP request on the multi handle (headers, auth, stall limit)
**   files.c       local files as inputs: data URLs up to 256 KB, the Files API above, uploads
**                 remembered per content hash until they expire
**   outputs.c     outputs of every shape: URLs, lists, objects, data: URIs, text
**   classify.c    HTTP statuses, error texts, Retry-After / rate-limit resets
**   schema.c      the blocking model-schema fetch behind `vsc models pull`
**
** Not a public header. Everything runs on the scheduler's thread except vt->wakeup().
*/
#ifndef VSC_REPLICATE_RP_H
#define VSC_REPLICATE_RP_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "vsc/vsc_price.h"
#include "vsc/vsc_provider.h"
#include "vsc/vsc_replicate.h"

#define RP_MAX_CREATES 4 /* creates sent for one call (only after one proved lost) */
#define RP_MAX_OUTPUTS 16
#define RP_DATA_URL_MAX (256 * 1024) /* larger files go through the Files API */
#define RP_BACKOFF_CAP 30.0          /* seconds between tries of a GET while an outage lasts */

typedef enum { PH_UPLOAD,
               PH_CREATE,
               PH_RECOVER,
               PH_POLL,
               PH_DOWNLOAD,
               PH_DONE } rp_phase;

typedef struct rp_provider rp_provider;

/* One file input of a call: a data URL or an uploaded file's URL once known. */
typedef struct {
  char *key;    /* the input name in call.input (a top-level key) */
  int index;    /* req->inputs[index] */
  char sha[65]; /* of the file's bytes */
  char *value;  /* the URL to send, NULL until known (owned) */
} rp_file;

struct vsc_pred {
  rp_provider *p;
  struct vsc_pred *next;
  vsc_pred_request req; /* borrowed pointers (valid until release) */
  char model[200];
  char version[80];        /* "" = latest (official-model endpoint) */
  vsc_price price;         /* the call's price rule */
  const char *output_kind; /* "video" | "image" | "audio" (call.output) */
  json_t *body;            /* create request body (owned); built once the files are known */
  rp_file files[8];
  int nfiles, upload_idx;
  rp_phase phase;
  vsc_pred_status st;
  CURL *easy;        /* the request in flight, or NULL */
  CURL *cancel_easy; /* a cancel request in flight, or NULL */
  struct curl_slist *hdrs;
  curl_mime *mime; /* an upload's form */
  char *resp;      /* response body */
  size_t resp_len;
  double retry_after; /* Retry-After of the last response, or -1 */
  double rl_reset;    /* its ratelimit-reset header (seconds), or -1 */
  double next_at;     /* monotonic time of the next request */
  double poll_interval;
  int tries, creates;
  double intent_time;  /* epoch seconds of the first create, for finding it by listing */
  double sent_time;    /* epoch seconds the last create was sent (or, searching, its intent) */
  double list_time;    /* epoch seconds the current listing's first page was asked for */
  double deadline;     /* monotonic time after which an unanswered prediction is given up */
  char list_url[1024]; /* next page while recovering */
  char get_url[1024];
  json_t *outputs; /* array of URL or data: strings to store (owned) */
  char *text;      /* text outputs, joined by newlines (owned), or NULL */
  int out_idx;
  int refreshed; /* re-polled once for fresh output URLs after a 404/410 */
  FILE *fp;
  long long have;        /* bytes of the current output already on disk */
  long long total;       /* expected size, -1 unknown */
  long long range_start; /* where the current 206 body starts (its Content-Range) */
  int body_started;      /* the current transfer has delivered body bytes */
  int write_failed;      /* a local write failed (errno kept in write_errno) */
  int write_errno;
  char etag[128]; /* validator of the output being downloaded, for If-Range */
  double last_io; /* monotonic time the current transfer last received something */
  int cancel_requested;
  int reattached;
  int searching; /* re-attach by listing: absence ends ABSENT, not a new create */
};

struct rp_provider {
  vsc_provider base;
  CURLM *multi;
  char token[512];
  char api[512];        /* base URL ending in /v1, no trailing slash */
  char files_dir[4096]; /* <cache>/providers/replicate/files, "" = uploads not remembered */
  struct vsc_pred *preds;
  int wait; /* Prefer: wait seconds */
  char cancel_after[32];
  long stall;             /* seconds */
  double deadline;        /* seconds a prediction may take before it is given up */
  double throttle_until;  /* monotonic: no create before this (account-wide 429) */
  double throttled_since; /* monotonic start of the current throttle, 0 = none */
  double throttle_limit;  /* seconds of continuous throttling before the build stops */
  double settle;          /* seconds a create may take to land: absence is proved only by a later listing */
  int throttle_level;     /* consecutive 429s without a reset time, for backoff */
};

double rp_wall(void);
/* The token and base URL from the environment; 0, or -1 with *err (kind AUTH). */
int vsc_replicate_read_env(char *token, size_t tn, char *api, size_t an, vsc_op_error *err);

/* ---- transport.c ---- */
/* Sends one request for x on the multi handle; body NULL = no body. */
void rp_send(vsc_pred *x, const char *method, const char *url, const char *body, long timeout);
/* Frees the finished request of x; returns its HTTP status (0 if none). */
long rp_finish(vsc_pred *x);

/* ---- prediction.c ---- */
void rp_set_fail(vsc_pred *x, vsc_pred_state state, vsc_fail_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void rp_issue(vsc_pred *x);
void rp_on_done(vsc_pred *x, CURLcode rc);

/* ---- files.c ---- */
/* Collects the {"$input": K} references of call.input; makes data URLs of small files and
 * takes remembered uploads. Returns 0, or -1 with x failed. */
int rp_files_prepare(vsc_pred *x);
/* Index of the next file that must be uploaded, or -1 when every value is known. */
int rp_files_next_upload(vsc_pred *x);
/* Another prediction is uploading the same content right now (wait for it: one upload per
 * content, also within one build). */
bool rp_files_uploading(const vsc_pred *x, int i);
/* Sends the upload of files[i]. */
void rp_files_send_upload(vsc_pred *x, int i);
/* Takes the answer of an upload: 0 stored, -1 x failed. */
int rp_files_take_upload(vsc_pred *x, long status);
/* The create body's input: call.input with every reference replaced (a new reference). */
json_t *rp_files_input(vsc_pred *x);
/* "image/png" and so on from a file name (the formats producers use). */
const char *rp_mime(const char *path);

/* ---- outputs.c ---- */
/* Splits a prediction's output into files to store (URLs, data: URIs) and text. */
void rp_outputs_collect(vsc_pred *x, const json_t *output);
/* Writes a data: URI output into path; 0 or -1 with *why. */
int rp_outputs_write_data(const char *uri, const char *path, char *why, size_t n);

/* ---- classify.c ---- */
/* Seconds until a rate limit resets, from the body text ("resets in ~30s"), or -1. */
double rp_reset_from_body(const char *body);

#endif
