/*
** vsc_provider.h — the interface of paid / remote generation providers.
**
** A remote provider runs `generate` and `tts` nodes as *predictions*: asynchronous jobs on
** somebody else's machine that cost money. Many predictions are in flight at once, all
** driven from the scheduler's single thread:
**
**     start(req)  ──▶ STARTING ──(id known)──▶ RUNNING ──▶ DOWNLOADING ──▶ SUCCEEDED
**                        │                        │             │
**                        └────────────────────────┴─────────────┴──▶ FAILED | CANCELED
**
** The scheduler loop is, in short:
**
**     journal intent (node, model, estimate, reserved)   -- before any money can be spent
**     vt->start(p, &pred, &req, &err)                     -- non-blocking: queues the request
**     loop:
**       vt->step(p, max_wait)         -- drives all I/O (e.g. curl_multi_perform + poll)
**       for each pred: vt->status()   -- id now known? journal it at once (fsync), then
**                                        SUCCEEDED: the cache renames out_path into place
**                                        FAILED:    retry / fall back / degrade by err.kind
**     vt->release(pred)
**
** After a crash, the next run finds "intent, no outcome" in the journal and calls
** vt->reattach() instead of vt->start(): with the journaled id the prediction is polled and
** downloaded; without one (killed while a create was in flight) the provider looks for it
** among the predictions created since the intent, and ends VSC_FAIL_ABSENT only when it has
** proved that none matches. Either way it is never paid for twice.
**
** What to run is the IR's resolved call (req->call: model, version, input, price rule); a
** provider makes no decision the IR could have made and never consults a model registry.
**
** Threading: every function is called from the scheduler's thread only, except
** vt->wakeup(), which any thread may call (a CPU worker finishing, or the SIGINT path) to
** make a blocked vt->step() return early.
**
** Secrets: a provider reads its credentials itself (REPLICATE_API_TOKEN) and never puts them
** in vsc_op_error.msg, the status, the output file or any log.
**
** Ownership: a vsc_pred belongs to its provider; the scheduler ends its life with
** vt->release() (after which the pointer is dead). All pointers in a vsc_pred_request are
** borrowed and stay valid until vt->release() of that prediction.
*/
#ifndef VSC_PROVIDER_H
#define VSC_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>

#include "vsc/vsc_op.h"

typedef struct vsc_provider vsc_provider;
typedef struct vsc_pred vsc_pred; /* one prediction; opaque, owned by its provider */

typedef enum {
  VSC_PRED_STARTING = 0, /* request queued or sent; the prediction id is not known yet */
  VSC_PRED_RUNNING,      /* the provider accepted it: status.id is set */
  VSC_PRED_DOWNLOADING,  /* the output is being written to req->out_path */
  VSC_PRED_SUCCEEDED,    /* out_path is complete and closed (the cache fsyncs + renames it) */
  VSC_PRED_FAILED,       /* status.err says why (kind decides retry/fallback/degrade/stop) */
  VSC_PRED_CANCELED,     /* canceled by vt->cancel() or on the provider's side */
} vsc_pred_state;

/* What to generate. Everything is borrowed and outlives the prediction. */
typedef struct {
  const json_t *node;        /* the whole IR node: op ("generate"|"tts"), params, id */
  const char *node_id;       /* its id (64 hex), for logs and idempotency */
  const char *model;         /* model of this attempt: the node's model or one of its
                                fallbacks */
  const json_t *call;        /* the resolved call of this attempt (node.call or one of
                                node.fallbacks; docs/ir.md), or NULL for a node without one */
  const char *const *inputs; /* files produced by the node's inputs (e.g. a start image);
                                {"$input": K} in call.input names inputs[K] */
  size_t ninputs;
  const char *const *known; /* prediction ids already journaled for this node: a search for
                                a lost create never takes one of these */
  size_t nknown;
  const char *out_path; /* write the output here; its extension tells the format
                                (.mp4 video, .png image, .wav audio) */
  int attempt;          /* 1-based try number of this model (for logs) */
} vsc_pred_request;

/* A snapshot of one prediction, filled by vt->status(). */
typedef struct {
  vsc_pred_state state;
  char id[128];        /* the provider's prediction id; "" while STARTING */
  double cost;         /* actual cost in dollars once SUCCEEDED/FAILED/CANCELED; < 0 when
                          the provider cannot tell (the runtime then charges the reserved
                          worst case against the budget and records the estimate) */
  double predict_time; /* seconds of provider compute, 0 if unknown */
  long long seed;      /* seed actually used, -1 if unknown */
  vsc_op_error err;    /* set when FAILED or CANCELED; err.retry_after honours Retry-After */
  const char *text;    /* text the model returned besides (or instead of) files, or NULL;
                          borrowed, valid until vt->release() */
} vsc_pred_status;

typedef struct vsc_provider_vt {
  const char *name; /* "replicate", "test": part of generate/tts cache keys and the ledger */

  /* Begins a new (paid) prediction. Must not block on the network: queue the request and
   * return; the id appears in a later vt->status(). On an immediate failure returns -1 with
   * *err set and *out NULL (no money was spent). */
  int (*start)(vsc_provider *p, vsc_pred **out, const vsc_pred_request *req,
               vsc_op_error *err);

  /* Resumes a prediction that an earlier (crashed or interrupted) run started: same request
   * (with its inputs). With the journaled `id` it polls and downloads; with id NULL it first
   * finds the prediction among those created since `since` (epoch seconds of the intent)
   * that match the request and are not in req->known, and ends FAILED with kind
   * VSC_FAIL_ABSENT (cost 0) once it has proved there is none. Never creates a prediction.
   * A prediction the provider no longer knows ends FAILED with kind VSC_FAIL_INPUT. */
  int (*reattach)(vsc_provider *p, vsc_pred **out, const vsc_pred_request *req,
                  const char *id, double since, vsc_op_error *err);

  /* Makes progress on every prediction in flight (send, poll, download), waiting at most
   * `max_wait` seconds for something to happen. Returns early when state changed or
   * vt->wakeup() was called. Returns 0, or -1 on a provider-wide failure. */
  int (*step)(vsc_provider *p, double max_wait);

  /* Makes a blocked or the next vt->step() return at once. Thread-safe. */
  void (*wakeup)(vsc_provider *p);

  /* Fills *st with the prediction's current state. Cheap: no I/O. */
  void (*status)(vsc_pred *pred, vsc_pred_status *st);

  /* Asks the provider to cancel (asynchronous: the state becomes CANCELED, or SUCCEEDED
   * if it won the race, after later steps). Returns 0, or -1 if it cannot be canceled. */
  int (*cancel)(vsc_pred *pred);

  /* Forgets the prediction (does not cancel it) and frees it. */
  void (*release)(vsc_pred *pred);

  /* Frees the provider; every prediction must have been released. */
  void (*destroy)(vsc_provider *p);
} vsc_provider_vt;

/* Every provider object begins with this header (implementations embed it first). */
struct vsc_provider {
  const vsc_provider_vt *vt;
};

typedef struct {
  int version;           /* VSC_PROVIDER_OPTIONS_VERSION */
  const char *cache_dir; /* the run's cache directory; a provider may keep its own files
                             under <cache_dir>/providers/<name>/ (e.g. model schemas) */
  const char *config;    /* provider-specific configuration (see each constructor) or NULL */
} vsc_provider_options;
#define VSC_PROVIDER_OPTIONS_VERSION 1
#define VSC_PROVIDER_OPTIONS_INIT \
  { VSC_PROVIDER_OPTIONS_VERSION, NULL, NULL }

/* ---- constructors ----------------------------------------------------------------- */
/* Each returns 0 with *out a new provider (caller frees with vt->destroy), or -1 with *err
 * set (kind VSC_FAIL_AUTH when credentials are missing). */

/* The Replicate HTTP provider (runtime/providers/replicate): token from
 * REPLICATE_API_TOKEN, base URL from VSC_REPLICATE_URL (default https://api.replicate.com,
 * the mock server in tests). opts->config is unused. */
int vsc_replicate_provider_new(vsc_provider **out, const vsc_provider_options *opts,
                               vsc_op_error *err);

/* The scripted `test` provider (runtime/sched/prov_test.c), for tests and benches. No network:
 * predictions are simulated, their "server side" kept in a state directory so that another
 * process can reattach to them. Its script is opts->config, or else the environment variable
 * VSC_TEST_PROVIDER; either JSON text or "@/path/to/script.json":
 *
 *   {"state": "/tmp/t/state",          server-side predictions (default <cache>/providers/test)
 *    "log": "/tmp/t/calls.jsonl",      one line per start/reattach/cancel call (optional)
 *    "latency": 0.05,                  seconds from start to SUCCEEDED (default 0.01)
 *    "id_delay": 0.0,                  seconds before the prediction id is known
 *    "cost": null,                     actual cost; null = the node's cost.estimate
 *    "output": null,                   a file to copy as the output; null = a small text blob
 *                                      naming node, model and prediction id
 *    "rules": [                        first match wins, per attempt
 *      {"node": "9f2c", "label": "sunrise", "model": "a/b", "attempt": 1,
 *       "kind": "video"|"image"|"music"|"tts",  (all optional)
 *       "fail": "transient"|"policy"|"input"|"auth"|"local",  end FAILED after latency
 *       "retry_after": 0.2, "fail_cost": 0.0 (what a failure costs), "cost": 0.1,
 *       "latency": 1.0, "id_delay": 0.5, "output": "/path",
 *       "hang": true,                  never finishes (until canceled or killed)
 *       "crash": "start"|"id"|"download"}]}   raise(SIGKILL) right after the request is sent
 *                                      (no id yet) / once the id is known / mid-download
 *
 * "label" matches params.label; "node" is a prefix of the node id; "attempt" counts calls for
 * that node and model in this process (reattach does not count). */
int vsc_provider_test_new(vsc_provider **out, const vsc_provider_options *opts,
                          vsc_op_error *err);

/* Short lower-case names of states and failure kinds, for logs and the journal. */
const char *vsc_pred_state_name(vsc_pred_state s);
const char *vsc_fail_kind_name(vsc_fail_kind k);
/* The reverse of vsc_fail_kind_name; VSC_FAIL_LOCAL for unknown names. */
vsc_fail_kind vsc_fail_kind_parse(const char *name);

#endif
