/*
** Internal header of the scheduler stage (runtime/sched): the run's state and the calls
** between its files. The public API is vsc/vsc_runtime.h. Who owns what:
**
**   sched.c    vsc_run: setup, the demand pass, the main loop (the phases, in order)
**   flow.c     a node's life: ready, done, failed, skipped, degraded to a placeholder
**   cpu.c      the one CPU-job submit (compositor, local provider, assets) and its result
**   remote.c   provider calls: reserve, journal, send, poll, retry/fall back, re-attach
**   resume.c   paid calls an earlier run left open, found in the journal
**   record.c   progress events, warnings and journal records
**   report.c   the end: export the output, the manifest, the failure report
**   pool.c     the worker threads;  keys.c  cache keys;  progress.c  the progress display
**   rcache.c   the shared cache: look-ups behind local misses, their events and records
*/
#ifndef VSC_SCHED_H
#define VSC_SCHED_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vsc/vsc_provider.h"
#include "vsc/vsc_rcache.h"
#include "vsc/vsc_runtime.h"

typedef struct vsc_progress vsc_progress; /* progress.h */

/* sha256("vsc-key-1\n" id "\n" tag ("\n" input_key)*), hex into out[65]. */
void vsc_sched_derive_key(const char *id, const char *tag, const char *const *input_keys,
                          size_t n, char out[65]);

/* ---- the CPU pool: N threads run op executors and commit their output to the cache ---- */
typedef struct vsc_pool vsc_pool;

typedef struct {
  int node; /* the scheduler's node index */
  vsc_op_fn fn;
  json_t *node_json; /* a reference the job owns (decref'd by the pool) */
  char **inputs;     /* owned, ninputs strings */
  size_t ninputs;
  char key[65], ext[12];
  json_t *info;       /* cache index info, owned */
  vsc_cache *cache;   /* borrowed */
  vsc_rcache *rcache; /* borrowed: the output is stored there too, or NULL */
  double priority;    /* the pool runs the highest first (ties: the first queued) */
  bool light;         /* a join of parts: the pool's light worker may take it */
  /* results, filled by the worker */
  int rc;
  vsc_op_error err;
  char path[4096]; /* the committed object */
  char sha256[65];
  double seconds;
} vsc_pool_job;

/* `notify(ud)` is called (from a worker) when a worker takes a job and after it finishes. */
int vsc_pool_new(vsc_pool **out, int threads, void (*notify)(void *ud), void *ud);
/* Takes ownership of job (malloc'd). */
void vsc_pool_submit(vsc_pool *p, vsc_pool_job *job);
/* While held, queued jobs wait: jobs that become ready together are queued first and then
 * taken in their order, not in the order they happened to be submitted. */
void vsc_pool_hold(vsc_pool *p, bool hold);
/* What happened on the pool, in order: node's job was taken by a worker (job NULL), or it
 * finished (job: the caller frees it with vsc_pool_job_free). */
typedef struct {
  int node;
  vsc_pool_job *job;
} vsc_pool_event;
/* Takes the oldest event into *ev; false when there is none. Waits up to `wait` seconds for
 * one when `wait` > 0. */
bool vsc_pool_next(vsc_pool *p, double wait, vsc_pool_event *ev);
void vsc_pool_job_free(vsc_pool_job *job);
/* Finishes every queued (not yet running) job as canceled. */
void vsc_pool_cancel_queued(vsc_pool *p);
/* Jobs queued or running. */
int vsc_pool_busy(vsc_pool *p);
/* Waits for running jobs, drops queued ones, joins the threads. */
void vsc_pool_free(vsc_pool *p);

/* Monotonic seconds. */
double vsc_sched_now(void);

/* ---- the run ---- */
/* A node's state in this run. */
typedef enum { N_IDLE,
               N_WAIT,
               N_READY,
               N_CPU,
               N_REMOTE,
               N_BACKOFF,
               N_DONE,
               N_FAILED,
               N_SKIPPED } nstate;

/* Models a node may try: its own, then its fallbacks (more are ignored: the planner writes
 * at most a handful). */
#define MAX_MODELS 16

/* One plan node as the scheduler tracks it. */
typedef struct {
  json_t *node; /* borrowed from the IR */
  const char *id, *op, *scene;
  const char *between[2]; /* a transition: the scenes it leaves and enters (else NULL) */
  int *in;                /* input indices */
  size_t nin;
  int *users;
  size_t nusers, capusers;
  int pending;   /* inputs not done yet */
  char key[65];  /* static cache key */
  char ekey[65]; /* effective key: differs once a degraded input taints it */
  bool tainted;
  bool needed;
  nstate st;
  bool remote; /* a prediction on the remote provider */
  bool cache_hit;
  bool remote_hit;        /* found in the shared cache (cache_hit too) */
  double cached_cost;     /* a cache hit's charge as its commit recorded it, if known */
  bool cached_cost_known; /* (the prediction that made it was priced exactly) */
  bool degraded;
  bool reported;   /* failure already counted */
  bool join;       /* run in parts: its inputs are its parts, its executor joins them */
  bool started;    /* its CPU job was taken by a worker ("running" told) */
  double priority; /* of its CPU job (vsc_sched_priorities) */
  char path[4096]; /* output object once done */
  /* remote calls */
  const char *models[MAX_MODELS];
  const json_t *calls[MAX_MODELS]; /* the resolved call of each model (node.call, fallbacks) */
  int nmodels, mi, attempt, attempts;
  char **known; /* prediction ids journaled for this node (owned) */
  size_t nknown;
  bool search;         /* an earlier run's create was in flight when it died: find it */
  double search_since; /* epoch seconds of that intent */
  double backoff, backoff_until;
  vsc_pred *pred;
  char **inpaths; /* input files of the request (owned) */
  char call[80], tmp[4096];
  double reserved, estimate;
  bool id_logged;
  char prediction[128];
  double cost, t0, seconds;
  long long seed;
  const char *used_model;
  char reattach_id[128], reattach_call[80];
  double reattach_reserved;
  char reason[600];
} snode;

/* One vsc_run: the plan, its nodes, the pool, the provider, the queues. Only the
 * scheduler's thread touches it (workers see vsc_pool_job copies). */
typedef struct {
  const vsc_run_options *o;
  const json_t *ir;
  snode *n; /* the IR's nodes in order, each preceded by its parts if any */
  size_t nn;
  size_t nir;    /* the IR's nodes (nn less the parts) */
  json_t *parts; /* per IR node: its parts' nodes (owned), or null */
  json_t *byid;  /* id -> index */
  vsc_cache *cache;
  vsc_rcache *rcache; /* the shared cache, or NULL */
  vsc_journal *journal;
  char cache_dir[4096];
  char root[4096];
  const char *remote_name; /* "replicate" | "test" | ... or NULL when local */
  vsc_provider *remote;
  bool remote_owned;
  bool remote_failed;
  vsc_pool *pool;
  vsc_budget budget;
  vsc_progress *pg;
  char build[48];
  bool build_logged;
  bool batching; /* journal without fsync until journal_flush */
  bool dirty;    /* records written since the last fsync */
  unsigned long seq;
  int *rq; /* remote ready queue */
  size_t nrq, caprq;
  int *inflight;
  size_t ninflight, capinflight;
  int nbackoff;
  bool stop_new; /* auth / budget / interrupt: start nothing more */
  vsc_run_status status;
  int ncpu;         /* nodes on the pool (queued there or running) */
  int ncpu_running; /* of those, the ones a worker has taken */
  int done_count, needed_count;
  vsc_run_result *res;
  json_t *left; /* predictions left running on interrupt */
} run_t;

/* Set by SIGINT/SIGTERM/SIGHUP (vsc_run_install_signals); cleared when a run starts. */
extern volatile sig_atomic_t vsc_sched_interrupted;

static inline const char *vsc_sched_jstr(const json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}
/* Appends v to a growable int array; false when out of memory. */
bool vsc_sched_push(int **arr, size_t *n, size_t *cap, int v);
/* Removes the first v from an int array (order kept). */
void vsc_sched_remove(int *arr, size_t *n, int v);

/* ---- record.c: events and the journal ---- */
void vsc_sched_event(run_t *r, const snode *n, const char *state, const char *msg);
/* Names where node n is in the picture on event or record o: "scene", or a transition's
 * "between": [outgoing, incoming]. */
void vsc_sched_place(json_t *o, const snode *n);
void vsc_sched_warn(run_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vsc_sched_status(run_t *r, bool force);
/* Appends a record (steals it). A journal that cannot be written stops all new spending:
 * money must never move without its record. Returns 0 or -1. */
int vsc_sched_journal(run_t *r, json_t *rec);
/* Ends a batch: one fsync for every record written since it began. */
void vsc_sched_journal_flush(run_t *r);
/* The build and end records of a run that did work without paying, at $0. */
void vsc_sched_journal_free_run(run_t *r, const vsc_run_result *res, const char *status);
/* Stops everything new (status stopped-unsafe), saying why. */
void vsc_sched_stop_unsafe(run_t *r, const char *why);

/* ---- flow.c: a node's life ---- */
void vsc_sched_node_failed(run_t *r, int i, const char *msg);
void vsc_sched_node_done(run_t *r, int i, const char *path);
/* A node found in a cache before the run starts it: done, with the entry's path, prediction
 * id and recorded cost. */
void vsc_sched_take_entry(snode *n, const vsc_cache_entry *e);
/* A node whose inputs are all done: effective key, cache lookup, then the remote queue or
 * the pool. */
void vsc_sched_mark_ready(run_t *r, int i);
/* Replaces a shot that could not be generated by a local placeholder. */
void vsc_sched_degrade(run_t *r, int i, const char *why);

/* ---- cpu.c: the CPU pool's side ---- */
/* Sets every node's CPU priority (once, after setup; see cpu.c). */
void vsc_sched_priorities(run_t *r);
/* Runs node i on the pool with executor fn on `node_json` (stolen: the node itself or a
 * modified copy); `provider` names who made it in the cache index ("" for none). */
void vsc_sched_cpu_submit(run_t *r, int i, vsc_op_fn fn, json_t *node_json, const char *provider);
/* Submits node i with the executor its op has (the asset op is the scheduler's own). */
void vsc_sched_cpu_start(run_t *r, int i);
/* Node i's CPU job was taken by a worker: tells it is running. */
void vsc_sched_cpu_started(run_t *r, int i);
/* Takes a finished pool job's result (frees the job). */
void vsc_sched_cpu_done(run_t *r, vsc_pool_job *job);
/* The executor the run options register for op, or NULL. */
vsc_op_fn vsc_sched_executor(const run_t *r, const char *op);
/* The cache index info of node n (new reference). */
json_t *vsc_sched_cache_info(const run_t *r, const snode *n, const char *provider);

/* ---- remote.c: provider calls ---- */
/* Collects every prediction in flight; ended ones leave the in-flight list. */
void vsc_sched_remote_poll(run_t *r);
/* Starts what the budget and the in-flight limit allow from the ready queue, in plan
 * order, every intent on disk before any request goes out; stops on an exhausted budget. */
void vsc_sched_remote_start(run_t *r);
/* Moves nodes whose retry backoff is over to the ready queue (every one, failed, once the
 * build stops); lowers *next to the earliest backoff still pending. */
void vsc_sched_remote_wake(run_t *r, double now, double *next);
/* Re-attaches to (or searches for) the call an earlier run left open for node i. */
void vsc_sched_remote_reattach(run_t *r, int i);
/* Ctrl-C with predictions in flight: cancel them or leave them journaled for resume. */
void vsc_sched_remote_interrupt(run_t *r);
/* Remembers a prediction id of node n (a lost create is never matched to one of these). */
void vsc_sched_add_known(snode *n, const char *id);

/* ---- rcache.c: the shared cache ---- */
/* Whether node n's output is looked up in and stored to the shared cache. */
bool vsc_sched_rcache_shared(const run_t *r, const snode *n);
/* The demand pass's look-up behind a local miss: true when node i was fetched (done). */
bool vsc_sched_rcache_fetch(run_t *r, int i);
/* Shows the shared cache's queued warnings. */
void vsc_sched_rcache_warnings(run_t *r);
/* After the start event: a "cached (remote)" event and journal record per fetched node. */
void vsc_sched_rcache_announce(run_t *r);

/* ---- resume.c ---- */
/* Paid calls an earlier run left unfinished: marks their nodes to re-attach. */
void vsc_sched_resume(run_t *r);

/* ---- report.c ---- */
/* The end of a run: outcome, export of the outputs, manifest, report, final events. */
void vsc_sched_finish(run_t *r, double t0);

#endif
