/*
** The scheduler (runtime stage "sched"): runs a plan graph.
**
**   1. keys:    every node's cache key (keys.c);
**   2. demand:  from the outputs backwards, a node found in the cache is done and its inputs
**               are not even looked at (a no-op rebuild checks one object);
**   3. resume:  paid calls the journal shows as started and unfinished are re-attached;
**   4. loop:    ready nodes go to the CPU pool (compositor, local provider) or, for remote
**               generate/tts, become predictions driven by the provider's step(); a failing
**               remote call is retried (backoff + jitter, Retry-After), then falls back to the
**               node's next model, then degrades to a local placeholder card; a failing node
**               stops only what depends on it;
**   5. finish:  export the output, write the manifest, report.
** Every paid call is journaled before it starts and reserved against the budget at its
** worst case; its output is in the cache before its outcome is journaled.
*/
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"
#include "sched.h"
#include "vsc/vsc_price.h"
#include "vsc/vsc_sha256.h"

typedef enum { N_IDLE, N_WAIT, N_READY, N_CPU, N_REMOTE, N_BACKOFF, N_DONE, N_FAILED, N_SKIPPED } nstate;

#define MAX_MODELS 16

typedef struct {
  json_t *node;            /* borrowed from the IR */
  const char *id, *op, *scene;
  int *in;                 /* input indices */
  size_t nin;
  int *users;
  size_t nusers, capusers;
  int pending;             /* inputs not done yet */
  char key[65];            /* static cache key */
  char ekey[65];           /* effective key: differs once a degraded input taints it */
  bool tainted;
  bool needed;
  nstate st;
  bool remote;             /* a prediction on the remote provider */
  bool cache_hit;
  bool degraded;
  bool reported;           /* failure already counted */
  char path[4096];         /* output object once done */
  /* remote calls */
  const char *models[MAX_MODELS];
  const json_t *calls[MAX_MODELS]; /* the resolved call of each model (node.call, fallbacks) */
  int nmodels, mi, attempt, attempts;
  char **known;            /* prediction ids journaled for this node (owned) */
  size_t nknown;
  bool search;             /* an earlier run's create was in flight when it died: find it */
  double search_since;     /* epoch seconds of that intent */
  double backoff, backoff_until;
  vsc_pred *pred;
  char **inpaths;          /* input files of the request (owned) */
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

typedef struct {
  const vsc_run_options *o;
  const json_t *ir;
  snode *n;
  size_t nn;
  json_t *byid;            /* id -> index */
  vsc_cache *cache;
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
  bool batching;           /* journal without fsync until journal_flush */
  bool dirty;              /* records written since the last fsync */
  unsigned long seq;
  int *rq;                 /* remote ready queue */
  size_t nrq, caprq;
  int *inflight;
  size_t ninflight, capinflight;
  int nbackoff;
  bool stop_new;           /* auth / budget / interrupt: start nothing more */
  vsc_run_status status;
  int ncpu;                /* nodes on the pool (queued there or running) */
  int jobs;                /* pool threads */
  int done_count, needed_count;
  vsc_run_result *res;
  json_t *left;            /* predictions left running on interrupt */
} run_t;

static volatile sig_atomic_t g_interrupted;

static void on_signal(int sig) {
  if (g_interrupted) {
    /* Second Ctrl-C: leave now; temp files are cleaned by the next run. */
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  g_interrupted = 1;
}

void vsc_run_install_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  /* A closed terminal or a dropped ssh session: stop like Ctrl-C, predictions journaled. */
  sigaction(SIGHUP, &sa, NULL);
}

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static const char *jstr(const json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

static bool push_int(int **arr, size_t *n, size_t *cap, int v) {
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 16;
    int *na = realloc(*arr, nc * sizeof *na);
    if (!na) return false;
    *arr = na;
    *cap = nc;
  }
  (*arr)[(*n)++] = v;
  return true;
}

static void remove_int(int *arr, size_t *n, int v) {
  for (size_t i = 0; i < *n; i++)
    if (arr[i] == v) {
      memmove(arr + i, arr + i + 1, (*n - i - 1) * sizeof *arr);
      (*n)--;
      return;
    }
}

/* ---- events ---------------------------------------------------------------------- */

static void node_event(run_t *r, const snode *n, const char *state, const char *msg) {
  json_t *ev = json_pack("{s:s, s:s, s:s, s:s}", "event", "node", "state", state, "node", n->id,
                         "op", n->op);
  if (n->scene) json_object_set_new(ev, "scene", json_string(n->scene));
  if (n->used_model) json_object_set_new(ev, "model", json_string(n->used_model));
  if (msg && *msg) json_object_set_new(ev, "msg", json_string(msg));
  if (strcmp(state, "done") == 0 || strcmp(state, "degraded") == 0) {
    json_object_set_new(ev, "seconds", json_real(n->seconds));
    if (n->remote) json_object_set_new(ev, "cost", json_real(n->cost));
  }
  if (n->prediction[0]) json_object_set_new(ev, "prediction", json_string(n->prediction));
  vsc_progress_event(r->pg, ev);
}

static void warn(run_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(run_t *r, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  vsc_progress_event(r->pg, json_pack("{s:s, s:s}", "event", "warning", "msg", msg));
}

static void draw_status(run_t *r, bool force) {
  int running = (r->ncpu < r->jobs ? r->ncpu : r->jobs) + (int)r->ninflight;
  int queued = r->needed_count - r->done_count - running;
  vsc_progress_status(r->pg, r->done_count, running, queued < 0 ? 0 : queued, r->budget.spent,
                      r->budget.limit, force);
}

/* ---- journal ------------------------------------------------------------------------ */

/* The run's own record (new): what it builds, its budget and provider. */
static json_t *build_record(const run_t *r) {
  const char *plan = jstr(json_object_get(r->ir, "outputs"), "video");
  json_t *b = json_pack("{s:s, s:s, s:s?, s:s, s:i}", "t", "build", "build", r->build, "plan",
                        plan, "provider", r->remote_name ? r->remote_name : "local", "pid",
                        (int)getpid());
  json_object_set_new(b, "budget", r->budget.limit >= 0 ? json_real(r->budget.limit) : json_null());
  return b;
}

/* Appends a record (steals it). A journal that cannot be written stops all new spending:
 * money must never move without its record. Returns 0 or -1. */
static void stop_unsafe(run_t *r, const char *why);
static int journal(run_t *r, json_t *rec) {
  char err[256];
  int rc = 0;
  if (!r->build_logged) {
    r->build_logged = true;
    json_t *b = build_record(r);
    if (vsc_journal_append(r->journal, b, err, sizeof err) != 0) {
      stop_unsafe(r, err);
      rc = -1;
    }
    json_decref(b);
  }
  json_object_set_new(rec, "build", json_string(r->build));
  if (vsc_journal_write(r->journal, rec, !r->batching, err, sizeof err) != 0) {
    stop_unsafe(r, err);
    rc = -1;
  }
  if (r->batching) r->dirty = true;
  json_decref(rec);
  return rc;
}

/* Ends a batch: one fsync for every record written since it began. */
static void journal_flush(run_t *r) {
  r->batching = false;
  if (!r->dirty) return;
  r->dirty = false;
  char err[256];
  if (vsc_journal_sync(r->journal, err, sizeof err) != 0) stop_unsafe(r, err);
}

static void stop_unsafe(run_t *r, const char *why) {
  if (r->status == VSC_RUN_UNSAFE) return;
  warn(r, "%s: stopping before anything more is spent (nothing paid is lost: the next build "
          "takes up what was started)", why);
  r->stop_new = true;
  r->status = VSC_RUN_UNSAFE;
}

/* The cache must be able to take a paid output before the call is made. */
static bool cache_has_room(run_t *r) {
  struct statvfs sv;
  const char *env = getenv("VSC_CACHE_MIN_FREE");
  double need = env && *env ? atof(env) : 64.0 * 1024 * 1024;
  if (statvfs(r->cache_dir, &sv) != 0) return true; /* cannot tell: the write will */
  double avail = (double)sv.f_bavail * (double)sv.f_frsize;
  if (avail >= need) return true;
  char why[4300];
  snprintf(why, sizeof why, "cache %s: only %.1f MiB free (at least %.0f MiB needed for paid outputs)",
           r->cache_dir, avail / 1048576.0, need / 1048576.0);
  stop_unsafe(r, why);
  return false;
}

/* Remembers a prediction id of node n (a lost create is never matched to one of these). */
static void add_known(snode *n, const char *id) {
  for (size_t k = 0; k < n->nknown; k++)
    if (strcmp(n->known[k], id) == 0) return;
  char **nk = realloc(n->known, (n->nknown + 1) * sizeof *nk);
  if (!nk) return;
  n->known = nk;
  n->known[n->nknown++] = strdup(id);
}

/* ---- node helpers -------------------------------------------------------------------- */

static const char *node_ext(const json_t *node, char buf[12]) {
  const char *op = jstr(node, "op");
  const json_t *params = json_object_get(node, "params");
  if (!op) return "bin";
  if (strcmp(op, "asset") == 0) {
    const char *path = jstr(params, "path");
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (dot && !strchr(dot, '/') && strlen(dot + 1) >= 1 && strlen(dot + 1) <= 8) {
      size_t k = 0;
      for (const char *p = dot + 1; *p; p++) {
        char c = *p >= 'A' && *p <= 'Z' ? (char)(*p + 32) : *p;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return "bin";
        buf[k++] = c;
      }
      buf[k] = 0;
      return buf;
    }
    return "bin";
  }
  if (strcmp(op, "generate") == 0) {
    const char *kind = jstr(params, "kind");
    if (kind && strcmp(kind, "image") == 0) return "png";
    if (kind && strcmp(kind, "music") == 0) return "wav";
    return "mp4";
  }
  if (strcmp(op, "tts") == 0) return "wav";
  if (strcmp(op, "audio") == 0) return "m4a";
  return "mp4";
}

static vsc_op_fn find_executor(const run_t *r, const char *op) {
  for (size_t i = 0; i < r->o->nexecutors; i++)
    if (r->o->executors[i].op && strcmp(r->o->executors[i].op, op) == 0) return r->o->executors[i].fn;
  return NULL;
}

/* The asset op: the script's file, checked against the hash the compiler recorded. The
 * job's node copy carries the resolved path in params.path. */
static int asset_exec(const json_t *node, const char *const *inputs, size_t ninputs,
                      const char *out_path, vsc_op_error *err) {
  const json_t *params = json_object_get(node, "params");
  const char *src = jstr(params, "path"), *want = jstr(params, "sha256");
  if (!src) return vsc_op_fail(err, VSC_FAIL_INPUT, "asset without a path");
  char sha[65], herr[512];
  if (vsc_sha256_file(src, sha, NULL, herr, sizeof herr) != 0)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%s", herr);
  if (want && strcmp(sha, want) != 0)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%s changed since the script was compiled (recompile)", src);
  if (link(src, out_path) == 0) return 0;
  FILE *in = fopen(src, "rb"), *out = fopen(out_path, "wb");
  int rc = in && out ? 0 : -1;
  char buf[65536];
  size_t got;
  while (rc == 0 && (got = fread(buf, 1, sizeof buf, in)) > 0)
    if (fwrite(buf, 1, got, out) != got) rc = -1;
  if (in) fclose(in);
  if (out && fclose(out) != 0) rc = -1;
  if (rc != 0) return vsc_op_fail(err, VSC_FAIL_LOCAL, "copying %s: %s", src, strerror(errno));
  return 0;
}

static json_t *cache_info(const run_t *r, const snode *n, const char *provider) {
  json_t *info = json_pack("{s:s, s:s}", "node", n->id, "op", n->op);
  if (n->scene) json_object_set_new(info, "scene", json_string(n->scene));
  if (provider && *provider) json_object_set_new(info, "provider", json_string(provider));
  if (n->used_model) json_object_set_new(info, "model", json_string(n->used_model));
  else if (jstr(n->node, "model")) json_object_set(info, "model", json_object_get(n->node, "model"));
  json_t *seed = json_object_get(json_object_get(n->node, "params"), "seed");
  if (json_is_integer(seed)) json_object_set(info, "seed", seed);
  if (n->degraded) json_object_set_new(info, "degraded", json_string(n->reason));
  char ts[32];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  json_object_set_new(info, "created", json_string(ts));
  (void)r;
  return info;
}

/* ---- completion and failure ------------------------------------------------------------ */

static void mark_ready(run_t *r, int i);
static void degrade(run_t *r, int i, const char *why);

static void skip_users(run_t *r, int i, const char *why) {
  snode *n = &r->n[i];
  for (size_t k = 0; k < n->nusers; k++) {
    snode *u = &r->n[n->users[k]];
    if (!u->needed || u->st == N_SKIPPED || u->st == N_FAILED || u->st == N_DONE) continue;
    u->st = N_SKIPPED;
    snprintf(u->reason, sizeof u->reason, "not run: %s", why);
    r->done_count++;
    skip_users(r, n->users[k], why);
  }
}

static void node_failed(run_t *r, int i, const char *msg) {
  snode *n = &r->n[i];
  n->st = N_FAILED;
  snprintf(n->reason, sizeof n->reason, "%s", msg);
  r->done_count++;
  r->res->failed++;
  node_event(r, n, "failed", msg);
  char why[700];
  snprintf(why, sizeof why, "%s %.12s failed", n->op, n->id);
  skip_users(r, i, why);
}

static void node_done(run_t *r, int i, const char *path) {
  snode *n = &r->n[i];
  n->st = N_DONE;
  snprintf(n->path, sizeof n->path, "%s", path);
  r->done_count++;
  node_event(r, n, n->cache_hit ? "cached" : n->degraded ? "degraded" : "done", n->degraded ? n->reason : NULL);
  for (size_t k = 0; k < n->nusers; k++) {
    snode *u = &r->n[n->users[k]];
    if (!u->needed || u->pending == 0) continue;
    /* A re-attached node may already be running: it only needs the count. */
    if (--u->pending == 0 && u->st == N_WAIT) mark_ready(r, n->users[k]);
  }
}

/* A node whose inputs are all done: compute its effective key, look it up when it differs
 * from the static key (the static one was looked up in the demand pass), then queue it. */
static void mark_ready(run_t *r, int i) {
  snode *n = &r->n[i];
  bool tainted = false;
  for (size_t k = 0; k < n->nin; k++) tainted |= r->n[n->in[k]].tainted;
  if (tainted) {
    const char **ik = calloc(n->nin ? n->nin : 1, sizeof *ik);
    for (size_t k = 0; k < n->nin; k++) ik[k] = r->n[n->in[k]].ekey;
    vsc_sched_derive_key(n->key, "tainted", ik, n->nin, n->ekey);
    free(ik);
    n->tainted = true;
    vsc_cache_entry e;
    char why[300];
    int hit = vsc_cache_lookup(r->cache, n->ekey, false, &e, why, sizeof why);
    if (hit == VSC_CACHE_HIT) {
      n->cache_hit = true;
      r->res->cached++;
      node_done(r, i, e.path);
      vsc_cache_entry_clear(&e);
      return;
    }
  }
  if (r->stop_new) {
    node_failed(r, i, r->status == VSC_RUN_INTERRUPTED ? "interrupted" : "not started: the build stopped");
    return;
  }
  n->st = N_READY;
  if (n->remote && tainted) {
    /* Never pay to animate a placeholder. */
    degrade(r, i, "an input of this shot is a placeholder");
    return;
  }
  if (n->remote) {
    push_int(&r->rq, &r->nrq, &r->caprq, i);
    return;
  }
  /* CPU node: hand it to the pool. */
  vsc_op_fn fn = strcmp(n->op, "asset") == 0 ? asset_exec : find_executor(r, n->op);
  if (!fn) {
    char msg[200];
    snprintf(msg, sizeof msg, "no executor for op '%s'", n->op);
    node_failed(r, i, msg);
    return;
  }
  vsc_pool_job *job = calloc(1, sizeof *job);
  job->node = i;
  job->fn = fn;
  job->node_json = json_incref(n->node);
  if (strcmp(n->op, "asset") == 0) {
    /* Resolve the path against the IR's root for the executor. */
    json_t *copy = json_deep_copy(n->node);
    json_t *params = json_object_get(copy, "params");
    const char *p = jstr(params, "path");
    char full[8300];
    if (p && p[0] != '/') {
      snprintf(full, sizeof full, "%s/%s", r->root, p);
      json_object_set_new(params, "path", json_string(full));
    }
    json_decref(job->node_json);
    job->node_json = copy;
  }
  job->ninputs = n->nin;
  job->inputs = calloc(n->nin ? n->nin : 1, sizeof *job->inputs);
  for (size_t k = 0; k < n->nin; k++) job->inputs[k] = strdup(r->n[n->in[k]].path);
  memcpy(job->key, n->ekey, sizeof job->key);
  char eb[12];
  snprintf(job->ext, sizeof job->ext, "%s", node_ext(n->node, eb));
  job->info = cache_info(r, n, strcmp(n->op, "generate") == 0 || strcmp(n->op, "tts") == 0 ? "local" : "");
  job->cache = r->cache;
  n->st = N_CPU;
  n->t0 = vsc_sched_now();
  r->ncpu++;
  node_event(r, n, "running", NULL);
  vsc_pool_submit(r->pool, job);
}

/* Replaces a shot that could not be generated by a local placeholder card naming the
 * failure; the output is stored under a tainted key, so the next build tries again. */
static void degrade(run_t *r, int i, const char *why) {
  snode *n = &r->n[i];
  bool tts = strcmp(n->op, "tts") == 0;
  vsc_op_fn fn = tts ? find_executor(r, "tts") : r->o->card;
  if (!fn) {
    node_failed(r, i, why);
    return;
  }
  n->degraded = true;
  n->tainted = true;
  snprintf(n->reason, sizeof n->reason, "%s", why);
  r->res->degraded++;
  journal(r, json_pack("{s:s, s:s, s:s?, s:s}", "t", "degrade", "node", n->id, "scene", n->scene,
                       "reason", why));
  const char *inkeys[1] = {why};
  vsc_sched_derive_key(n->key, "degraded", inkeys, 1, n->ekey);
  vsc_cache_entry e;
  char cwhy[300];
  if (vsc_cache_lookup(r->cache, n->ekey, false, &e, cwhy, sizeof cwhy) == VSC_CACHE_HIT) {
    n->seconds = 0;
    node_done(r, i, e.path);
    vsc_cache_entry_clear(&e);
    return;
  }
  json_t *card = json_deep_copy(n->node);
  json_t *params = json_object_get(card, "params");
  if (tts) {
    json_object_set_new(card, "model", json_string("local/espeak-ng"));
  } else {
    char prompt[900];
    snprintf(prompt, sizeof prompt, "scene %s could not be generated: %s", n->scene ? n->scene : "?", why);
    json_object_set_new(params, "prompt", json_string(prompt));
    json_object_set_new(card, "model", json_string("local/card"));
  }
  vsc_pool_job *job = calloc(1, sizeof *job);
  job->node = i;
  job->fn = fn;
  job->node_json = card;
  job->ninputs = n->nin;
  job->inputs = calloc(n->nin ? n->nin : 1, sizeof *job->inputs);
  for (size_t k = 0; k < n->nin; k++) job->inputs[k] = strdup(r->n[n->in[k]].path);
  memcpy(job->key, n->ekey, sizeof job->key);
  char eb[12];
  snprintf(job->ext, sizeof job->ext, "%s", node_ext(n->node, eb));
  n->used_model = tts ? "local/espeak-ng" : "local/card";
  job->info = cache_info(r, n, "local");
  job->cache = r->cache;
  n->st = N_CPU;
  r->ncpu++;
  vsc_pool_submit(r->pool, job);
}

static double jitter01(void) {
  static unsigned int s;
  if (!s) s = (unsigned int)getpid() ^ (unsigned int)time(NULL);
  return (double)rand_r(&s) / ((double)RAND_MAX + 1.0);
}

/* What a failed remote call leads to: retry, fall back, degrade or stop. */
static void remote_failed(run_t *r, int i, const vsc_op_error *err) {
  snode *n = &r->n[i];
  const char *model = n->models[n->mi];
  char why[700];
  snprintf(why, sizeof why, "%s: %s", model, err->msg);
  if (err->kind == VSC_FAIL_AUTH) {
    r->stop_new = true;
    r->status = VSC_RUN_AUTH;
    node_failed(r, i, why);
    return;
  }
  if (err->kind == VSC_FAIL_CANCELED && g_interrupted) {
    node_failed(r, i, "interrupted");
    return;
  }
  if (err->kind == VSC_FAIL_RATE) { /* per account: another model would be throttled too */
    r->stop_new = true;
    if (r->status == VSC_RUN_OK || r->status == VSC_RUN_PARTIAL) r->status = VSC_RUN_RATE;
    node_failed(r, i, why);
    return;
  }
  if (err->kind == VSC_FAIL_DISK) {
    stop_unsafe(r, why);
    node_failed(r, i, why);
    return;
  }
  if (err->kind == VSC_FAIL_UNRESOLVED) { /* no new money for it: the next build re-attaches */
    degrade(r, i, why);
    return;
  }
  if (r->stop_new) {
    node_failed(r, i, why);
    return;
  }
  bool transient = err->kind == VSC_FAIL_TRANSIENT || err->kind == VSC_FAIL_CANCELED;
  if (transient && n->attempt < n->attempts) {
    double delay = n->backoff * pow(2.0, n->attempt - 1) * (0.75 + 0.5 * jitter01());
    if (err->retry_after > delay) delay = err->retry_after;
    n->attempt++;
    journal(r, json_pack("{s:s, s:s, s:s, s:i, s:f, s:s}", "t", "retry", "node", n->id, "model",
                         model, "attempt", n->attempt, "delay", delay, "kind",
                         vsc_fail_kind_name(err->kind)));
    n->st = N_BACKOFF;
    n->backoff_until = vsc_sched_now() + delay;
    r->nbackoff++;
    char msg[800];
    snprintf(msg, sizeof msg, "%s; retry %d/%d in %.1fs", why, n->attempt, n->attempts, delay);
    node_event(r, n, "retry", msg);
    return;
  }
  if (n->mi + 1 < n->nmodels) {
    n->mi++;
    n->attempt = 1;
    journal(r, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "t", "fallback", "node", n->id, "from",
                         model, "to", n->models[n->mi], "kind", vsc_fail_kind_name(err->kind),
                         "msg", err->msg));
    char msg[800];
    snprintf(msg, sizeof msg, "%s; falling back to %s", why, n->models[n->mi]);
    node_event(r, n, "fallback", msg);
    n->st = N_READY;
    push_int(&r->rq, &r->nrq, &r->caprq, i);
    return;
  }
  degrade(r, i, why);
}

/* ---- remote calls ------------------------------------------------------------------- */

static int ensure_remote(run_t *r, vsc_op_error *err) {
  if (r->remote) return 0;
  if (r->remote_failed) return vsc_op_fail(err, VSC_FAIL_AUTH, "provider %s is not available", r->remote_name);
  if (!r->o->open_remote) {
    r->remote_failed = true;
    return vsc_op_fail(err, VSC_FAIL_AUTH, "provider %s is not available", r->remote_name);
  }
  vsc_provider_options po = VSC_PROVIDER_OPTIONS_INIT;
  po.cache_dir = r->cache_dir;
  po.config = r->o->provider_config;
  vsc_provider *p = NULL;
  if (r->o->open_remote(&p, r->remote_name, &po, err) != 0 || !p) {
    r->remote_failed = true;
    if (err->kind == VSC_FAIL_NONE) err->kind = VSC_FAIL_AUTH;
    return -1;
  }
  __atomic_store_n(&r->remote, p, __ATOMIC_RELEASE);
  r->remote_owned = true;
  return 0;
}

static void fill_request(run_t *r, snode *n, vsc_pred_request *req, bool with_inputs) {
  memset(req, 0, sizeof *req);
  req->node = n->node;
  req->node_id = n->id;
  req->model = n->models[n->mi];
  req->call = n->calls[n->mi];
  req->known = (const char *const *)n->known;
  req->nknown = n->nknown;
  if (with_inputs && !n->inpaths && n->nin) {
    n->inpaths = calloc(n->nin, sizeof *n->inpaths);
    for (size_t k = 0; k < n->nin; k++) n->inpaths[k] = strdup(r->n[n->in[k]].path);
  }
  req->inputs = with_inputs ? (const char *const *)n->inpaths : NULL;
  req->ninputs = with_inputs ? n->nin : 0;
  req->out_path = n->tmp;
  req->attempt = n->attempt;
}

/* Prepares node i's next call: reserves its worst case and journals the intent (in the
 * caller's batch). Returns 2 prepared (send it with send_remote after the batch is synced),
 * 1 handled otherwise (failed at once, or waiting for its inputs), 0 when the budget cannot
 * take it now. */
static int prepare_remote(run_t *r, int i) {
  snode *n = &r->n[i];
  vsc_op_error err;
  memset(&err, 0, sizeof err);
  if (n->pending > 0) {
    /* A re-attached call that failed: start anew once the inputs exist. */
    n->st = N_WAIT;
    return 1;
  }
  if (ensure_remote(r, &err) != 0) {
    remote_failed(r, i, &err);
    return 1;
  }
  char eb[12];
  vsc_cache_tmp_path(r->cache, n->ekey, node_ext(n->node, eb), n->tmp, sizeof n->tmp);
  vsc_pred_request req;
  fill_request(r, n, &req, true);
  /* The IR's price rule of this attempt's call is what is reserved (the same rule the plan
   * showed and the provider charges); a node without a call is reserved at its cost. */
  double est, max;
  vsc_price pr;
  char perr[200];
  if (req.call && vsc_price_from_json(&pr, json_object_get(req.call, "price"), perr, sizeof perr) == 0) {
    est = pr.estimate;
    max = pr.max;
  } else {
    const json_t *cost = json_object_get(n->node, "cost");
    est = json_number_value(json_object_get(cost, "estimate"));
    max = json_is_number(json_object_get(cost, "max")) ? json_number_value(json_object_get(cost, "max")) : est;
  }
  if (max < est) max = est;
  if (!cache_has_room(r)) {
    node_failed(r, i, "not started: the cache has no room for its output");
    return 1;
  }
  if (vsc_budget_reserve(&r->budget, max) != 0) return 0;
  n->reserved = max;
  n->estimate = est;
  n->used_model = req.model;
  snprintf(n->call, sizeof n->call, "%s.%lu", r->build, ++r->seq);
  if (journal(r, json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:i, s:f, s:f}", "t", "intent", "call",
                           n->call, "node", n->id, "key", n->ekey, "scene", n->scene, "model",
                           req.model, "provider", r->remote->vt->name, "attempt", n->attempt,
                           "estimate", est, "reserved", max)) != 0) {
    vsc_budget_settle(&r->budget, max, 0);
    node_failed(r, i, "not started: its intent could not be journaled");
    return 1;
  }
  return 2;
}

/* Sends a prepared call; its intent is on disk. */
static void send_remote(run_t *r, int i) {
  snode *n = &r->n[i];
  vsc_op_error err;
  memset(&err, 0, sizeof err);
  vsc_pred_request req;
  fill_request(r, n, &req, true);
  n->id_logged = false;
  n->prediction[0] = 0;
  if (n->t0 == 0) n->t0 = vsc_sched_now();
  vsc_pred *pred = NULL;
  r->res->provider_calls++;
  if (r->remote->vt->start(r->remote, &pred, &req, &err) != 0 || !pred) {
    if (err.kind == VSC_FAIL_NONE) err.kind = VSC_FAIL_LOCAL;
    journal(r, json_pack("{s:s, s:s, s:s, s:f, s:b, s:s, s:s}", "t", "done", "call", n->call,
                         "outcome", "failed", "cost", 0.0, "cost_known", 1, "kind",
                         vsc_fail_kind_name(err.kind), "msg", err.msg));
    vsc_budget_settle(&r->budget, n->reserved, 0);
    unlink(n->tmp);
    remote_failed(r, i, &err);
    return;
  }
  n->pred = pred;
  n->st = N_REMOTE;
  push_int(&r->inflight, &r->ninflight, &r->capinflight, i);
  node_event(r, n, "running", NULL);
}

static void reattach_remote(run_t *r, int i) {
  snode *n = &r->n[i];
  vsc_op_error err;
  memset(&err, 0, sizeof err);
  if (ensure_remote(r, &err) != 0) {
    remote_failed(r, i, &err);
    return;
  }
  /* Resume with the model the earlier run was using. */
  char eb[12];
  vsc_cache_tmp_path(r->cache, n->ekey, node_ext(n->node, eb), n->tmp, sizeof n->tmp);
  vsc_pred_request req;
  /* A search rebuilds the lost create's exact input, so it needs the input files. */
  fill_request(r, n, &req, n->search);
  n->reserved = n->reattach_reserved;
  /* Already committed by the earlier run: counted, never refused. */
  r->budget.reserved += n->reserved;
  snprintf(n->call, sizeof n->call, "%s", n->reattach_call);
  snprintf(n->prediction, sizeof n->prediction, "%s", n->reattach_id);
  n->used_model = req.model;
  n->id_logged = !n->search;
  n->t0 = vsc_sched_now();
  if (n->search)
    journal(r, json_pack("{s:s, s:s, s:s}", "t", "search", "call", n->call, "node", n->id));
  else
    journal(r, json_pack("{s:s, s:s, s:s, s:s}", "t", "reattach", "call", n->call, "prediction",
                         n->reattach_id, "node", n->id));
  vsc_pred *pred = NULL;
  r->res->reattached++;
  if (r->remote->vt->reattach(r->remote, &pred, &req, n->search ? NULL : n->reattach_id, n->search_since,
                              &err) != 0 || !pred) {
    journal(r, json_pack("{s:s, s:s, s:s, s:f, s:b, s:s, s:s}", "t", "done", "call", n->call,
                         "outcome", "failed", "cost", 0.0, "cost_known", 0, "kind",
                         vsc_fail_kind_name(err.kind), "msg", err.msg));
    vsc_budget_settle(&r->budget, n->reserved, 0);
    n->reattach_id[0] = 0;
    n->st = n->pending > 0 ? N_WAIT : N_READY;
    if (n->st == N_READY) push_int(&r->rq, &r->nrq, &r->caprq, i);
    return;
  }
  n->reattach_id[0] = 0;
  n->pred = pred;
  n->st = N_REMOTE;
  push_int(&r->inflight, &r->ninflight, &r->capinflight, i);
  node_event(r, n, "reattach", n->prediction);
}

/* Collects the state of one prediction in flight; returns true when it ended. */
static bool poll_remote(run_t *r, int i) {
  snode *n = &r->n[i];
  vsc_pred_status st;
  memset(&st, 0, sizeof st);
  r->remote->vt->status(n->pred, &st);
  if (st.id[0] && !n->id_logged) {
    n->id_logged = true;
    snprintf(n->prediction, sizeof n->prediction, "%s", st.id);
    add_known(n, st.id);
    journal(r, json_pack("{s:s, s:s, s:s}", "t", "started", "call", n->call, "prediction", st.id));
  }
  if (st.state != VSC_PRED_SUCCEEDED && st.state != VSC_PRED_FAILED && st.state != VSC_PRED_CANCELED)
    return false;
  bool known = st.cost >= 0;
  double cost = known ? st.cost : n->reserved;
  n->seed = st.seed;
  if (st.state == VSC_PRED_FAILED && st.err.kind == VSC_FAIL_ABSENT) {
    /* The earlier run's create never happened: nothing was paid; start the call anew. */
    journal(r, json_pack("{s:s, s:s, s:s, s:f, s:b, s:s}", "t", "done", "call", n->call, "outcome",
                         "not-created", "cost", 0.0, "cost_known", 1, "msg", st.err.msg));
    vsc_budget_settle(&r->budget, n->reserved, 0);
    r->remote->vt->release(n->pred);
    n->pred = NULL;
    n->search = false;
    n->st = N_READY;
    push_int(&r->rq, &r->nrq, &r->caprq, i);
    return true;
  }
  bool keep = st.err.kind == VSC_FAIL_AUTH || st.err.kind == VSC_FAIL_UNRESOLVED || st.err.kind == VSC_FAIL_DISK;
  if (st.state == VSC_PRED_FAILED && keep && (n->prediction[0] || st.err.kind == VSC_FAIL_UNRESOLVED)) {
    /* It exists (or may), and we cannot finish it now: it may still be paid. Keep it open for
     * the next run (which re-attaches) and count its charge, or the reservation if unknown. */
    json_t *rec = json_pack("{s:s, s:s, s:s?, s:s, s:s}", "t", "left", "call", n->call, "prediction",
                            n->prediction[0] ? n->prediction : NULL, "kind", vsc_fail_kind_name(st.err.kind),
                            "msg", st.err.msg);
    if (known) {
      json_object_set_new(rec, "cost", json_real(cost));
      json_object_set_new(rec, "cost_known", json_true());
    }
    journal(r, rec);
    if (n->prediction[0])
      json_array_append_new(r->left, json_pack("{s:s, s:s?}", "prediction", n->prediction, "scene", n->scene));
    vsc_budget_settle(&r->budget, n->reserved, known ? cost : n->reserved);
    r->res->spent += known ? cost : 0;
    r->remote->vt->release(n->pred);
    n->pred = NULL;
    unlink(n->tmp);
    remote_failed(r, i, &st.err);
    return true;
  }
  if (st.state == VSC_PRED_SUCCEEDED) {
    n->seconds = vsc_sched_now() - n->t0;
    n->cost = cost;
    json_t *info = cache_info(r, n, r->remote->vt->name);
    json_object_set_new(info, "prediction", json_string(n->prediction));
    json_object_set_new(info, "cost", json_real(cost));
    json_object_set_new(info, "seconds", json_real(n->seconds));
    if (st.seed >= 0) json_object_set_new(info, "seed", json_integer(st.seed));
    vsc_cache_entry e;
    char cerr[512];
    /* The paid output goes into the cache first; only then is the call closed. */
    int rc = vsc_cache_commit(r->cache, n->ekey, n->tmp, node_ext(n->node, (char[12]){0}), info, &e, cerr, sizeof cerr);
    json_decref(info);
    /* Stored: the call is done. Not stored (disk full): it stays open, with its charge, so
     * the next run fetches the same output again instead of paying for a new one. */
    if (rc == 0)
      journal(r, json_pack("{s:s, s:s, s:s, s:f, s:b, s:s, s:s?}", "t", "done", "call", n->call,
                           "outcome", "succeeded", "cost", cost, "cost_known", known, "sha256",
                           e.sha256, "text", st.text));
    else
      journal(r, json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:b}", "t", "left", "call", n->call,
                           "prediction", n->prediction, "kind", "disk", "msg", cerr, "cost", cost,
                           "cost_known", known));
    vsc_budget_settle(&r->budget, n->reserved, cost);
    r->res->spent += cost;
    r->remote->vt->release(n->pred);
    n->pred = NULL;
    if (rc == 0) {
      node_done(r, i, e.path);
      vsc_cache_entry_clear(&e);
    } else {
      /* Paid, and the cache cannot take it: stop spending (a full disk, an unwritable cache). */
      vsc_op_error ce;
      vsc_op_fail(&ce, VSC_FAIL_DISK, "storing the output: %s", cerr);
      remote_failed(r, i, &ce);
    }
    return true;
  }
  vsc_op_error e2 = st.err;
  if (e2.kind == VSC_FAIL_NONE) e2.kind = st.state == VSC_PRED_CANCELED ? VSC_FAIL_CANCELED : VSC_FAIL_LOCAL;
  if (!e2.msg[0]) snprintf(e2.msg, sizeof e2.msg, "prediction %s", vsc_pred_state_name(st.state));
  journal(r, json_pack("{s:s, s:s, s:s, s:f, s:b, s:s, s:s, s:s?}", "t", "done", "call", n->call,
                       "outcome", st.state == VSC_PRED_CANCELED ? "canceled" : "failed", "cost",
                       known ? cost : 0.0, "cost_known", known, "kind",
                       vsc_fail_kind_name(e2.kind), "msg", e2.msg, "text", st.text));
  /* An unknown cost of a failure keeps the worst case charged (never under-count). */
  vsc_budget_settle(&r->budget, n->reserved, cost);
  r->res->spent += known ? cost : 0;
  r->remote->vt->release(n->pred);
  n->pred = NULL;
  unlink(n->tmp);
  remote_failed(r, i, &e2);
  return true;
}

/* ---- setup ----------------------------------------------------------------------------- */

static void notify_cb(void *ud) {
  run_t *r = ud;
  vsc_provider *p = __atomic_load_n(&r->remote, __ATOMIC_ACQUIRE);
  if (p) p->vt->wakeup(p);
}

static void make_build_id(char out[48]) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  struct tm tm;
  gmtime_r(&tv.tv_sec, &tm);
  char base[24];
  strftime(base, sizeof base, "%Y%m%dT%H%M%S", &tm);
  snprintf(out, 48, "%s.%03dZ-%05d", base, (int)(tv.tv_usec / 1000), (int)(getpid() % 100000));
}

static int setup_nodes(run_t *r, char *err, size_t errlen) {
  json_t *nodes = json_object_get(r->ir, "nodes");
  r->nn = json_array_size(nodes);
  r->n = calloc(r->nn ? r->nn : 1, sizeof *r->n);
  r->byid = json_object();
  if (!r->n) return fail(err, errlen, "out of memory");
  json_t *keys = vsc_plan_keys(r->ir, r->remote_name);
  const json_t *video = json_object_get(r->ir, "video");
  (void)video;
  for (size_t i = 0; i < r->nn; i++) {
    snode *n = &r->n[i];
    n->node = json_array_get(nodes, i);
    n->id = jstr(n->node, "id");
    n->op = jstr(n->node, "op");
    n->scene = jstr(n->node, "scene");
    n->seed = -1;
    if (!n->id || !n->op) {
      json_decref(keys);
      return fail(err, errlen, "$.nodes[%zu]: missing id or op", i);
    }
    snprintf(n->key, sizeof n->key, "%s", json_string_value(json_array_get(keys, i)));
    memcpy(n->ekey, n->key, sizeof n->key);
    json_t *inputs = json_object_get(n->node, "inputs");
    n->nin = json_array_size(inputs);
    n->in = calloc(n->nin ? n->nin : 1, sizeof *n->in);
    for (size_t k = 0; k < n->nin; k++) {
      json_t *pos = json_object_get(r->byid, json_string_value(json_array_get(inputs, k)) ? json_string_value(json_array_get(inputs, k)) : "");
      if (!pos) {
        json_decref(keys);
        return fail(err, errlen, "$.nodes[%zu].inputs[%zu]: not an earlier node", i, k);
      }
      int j = (int)json_integer_value(pos);
      n->in[k] = j;
      push_int(&r->n[j].users, &r->n[j].nusers, &r->n[j].capusers, (int)i);
    }
    json_object_set_new(r->byid, n->id, json_integer((json_int_t)i));
    const char *prov = vsc_node_provider(n->node, r->remote_name);
    n->remote = *prov && strcmp(prov, "local") != 0;
    if (n->remote) {
      const char *model = jstr(n->node, "model");
      n->calls[n->nmodels] = json_object_get(n->node, "call");
      n->models[n->nmodels++] = model ? model : "";
      size_t k;
      json_t *fb;
      json_array_foreach(json_object_get(n->node, "fallbacks"), k, fb) {
        if (n->nmodels == MAX_MODELS) break;
        n->calls[n->nmodels] = json_is_object(fb) ? fb : NULL;
        n->models[n->nmodels++] = json_is_object(fb) ? jstr(fb, "model") : json_string_value(fb);
        if (!n->models[n->nmodels - 1]) n->models[n->nmodels - 1] = "";
      }
      json_t *retry = json_object_get(n->node, "retry");
      n->attempts = json_is_integer(json_object_get(retry, "attempts"))
                        ? (int)json_integer_value(json_object_get(retry, "attempts")) : 3;
      if (n->attempts < 1) n->attempts = 1;
      n->backoff = json_is_number(json_object_get(retry, "backoff"))
                       ? json_number_value(json_object_get(retry, "backoff")) : 2.0;
      n->attempt = 1;
    }
  }
  json_decref(keys);
  return 0;
}

/* From the outputs backwards: what must run. */
static void demand(run_t *r) {
  json_t *outputs = json_object_get(r->ir, "outputs");
  const char *k;
  json_t *v;
  json_object_foreach(outputs, k, v) {
    json_t *pos = json_string_value(v) ? json_object_get(r->byid, json_string_value(v)) : NULL;
    if (pos) r->n[json_integer_value(pos)].needed = true;
  }
  for (size_t ii = r->nn; ii-- > 0;) {
    snode *n = &r->n[ii];
    if (!n->needed) continue;
    r->needed_count++;
    vsc_cache_entry e;
    char why[300];
    int hit = vsc_cache_lookup(r->cache, n->key, false, &e, why, sizeof why);
    if (hit == VSC_CACHE_HIT) {
      n->cache_hit = true;
      n->st = N_DONE;
      snprintf(n->path, sizeof n->path, "%s", e.path);
      json_t *pred = json_object_get(e.info, "prediction");
      if (json_is_string(pred)) snprintf(n->prediction, sizeof n->prediction, "%s", json_string_value(pred));
      vsc_cache_entry_clear(&e);
      r->res->cached++;
      r->done_count++;
      continue;
    }
    if (hit == VSC_CACHE_CORRUPT)
      warn(r, "cache object of %s %.12s was corrupt (%s): deleted, regenerating", n->op, n->id, why);
    else if (hit < 0)
      warn(r, "cache: %s", why);
    for (size_t j = 0; j < n->nin; j++) r->n[n->in[j]].needed = true;
  }
}

/* Epoch seconds of a journal time ("2026-12-03T10:00:00.123Z"), 0 if unreadable. */
static double iso_epoch(const char *t) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  int ms = 0;
  if (!t || sscanf(t, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                   &tm.tm_sec, &ms) < 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return (double)timegm(&tm) + ms / 1000.0;
}

/* Every prediction id the journal names for a node of this plan (by cache key). */
static void known_ids(run_t *r, const json_t *records) {
  json_t *keys = json_object();
  size_t i;
  json_t *rec;
  json_array_foreach(records, i, rec) {
    const char *t = jstr(rec, "t"), *call = jstr(rec, "call");
    if (!t || !call) continue;
    if (strcmp(t, "intent") == 0 && jstr(rec, "key")) json_object_set(keys, call, json_object_get(rec, "key"));
    const char *pred = jstr(rec, "prediction"), *key = json_string_value(json_object_get(keys, call));
    if (!pred || !key) continue;
    for (size_t k = 0; k < r->nn; k++)
      if (r->n[k].remote && strcmp(r->n[k].key, key) == 0) add_known(&r->n[k], pred);
  }
  json_decref(keys);
}

/* Paid calls an earlier run left unfinished. */
static void resume_calls(run_t *r) {
  /* Only a remote node that must run can resume anything: a no-op build skips the read. */
  bool any = false;
  for (size_t i = 0; i < r->nn && !any; i++) any = r->n[i].needed && r->n[i].remote && !r->n[i].cache_hit;
  if (!any) return;
  char path[4200], err[256];
  snprintf(path, sizeof path, "%s/journal.jsonl", r->cache_dir);
  json_t *records = NULL;
  if (vsc_journal_read(&records, path, err, sizeof err) != 0) {
    warn(r, "%s", err);
    return;
  }
  json_t *open = vsc_journal_open_calls(records);
  known_ids(r, records);
  json_decref(records);
  const char *call;
  json_t *c;
  json_object_foreach(open, call, c) {
    const char *key = jstr(c, "key"), *pred = jstr(c, "prediction");
    int idx = -1;
    for (size_t i = 0; key && i < r->nn; i++)
      if (strcmp(r->n[i].key, key) == 0) idx = (int)i;
    if (idx < 0) continue; /* another plan's call: left for the build that needs it */
    snode *n = &r->n[idx];
    if (n->cache_hit || !n->needed) {
      /* Its output reached the cache before the process died. */
      journal(r, json_pack("{s:s, s:s, s:s, s:O, s:b, s:b}", "t", "done", "call", call, "outcome",
                           n->cache_hit ? "succeeded" : "abandoned", "cost",
                           json_object_get(c, "reserved"), "cost_known", 0, "recovered", 1));
      continue;
    }
    if (!n->remote || strcmp(jstr(c, "provider") ? jstr(c, "provider") : "", r->remote_name ? r->remote_name : "") != 0) {
      /* Another provider's call: this run cannot look for it. */
      journal(r, json_pack("{s:s, s:s, s:s, s:O, s:b, s:s}", "t", "done", "call", call, "outcome",
                           "lost", "cost", json_object_get(c, "reserved"), "cost_known", 0, "msg",
                           "started with another provider; recorded as possibly paid"));
      continue;
    }
    if (!pred) {
      /* Killed while its create was in flight (e.g. held by Prefer: wait): find it by listing
       * once the inputs exist, or prove it never happened. Never simply create it again. */
      n->search = true;
      n->search_since = iso_epoch(jstr(c, "time"));
      snprintf(n->reattach_call, sizeof n->reattach_call, "%s", call);
      n->reattach_reserved = json_number_value(json_object_get(c, "reserved"));
      const char *model = jstr(c, "model");
      for (int m = 0; model && m < n->nmodels; m++)
        if (strcmp(n->models[m], model) == 0) n->mi = m;
      continue;
    }
    snprintf(n->reattach_id, sizeof n->reattach_id, "%s", pred);
    snprintf(n->reattach_call, sizeof n->reattach_call, "%s", call);
    n->reattach_reserved = json_number_value(json_object_get(c, "reserved"));
    const char *model = jstr(c, "model");
    for (int m = 0; model && m < n->nmodels; m++)
      if (strcmp(n->models[m], model) == 0) n->mi = m;
  }
  json_decref(open);
}

/* ---- finish ------------------------------------------------------------------------------ */

static int export_output(run_t *r, const char *obj, const char *out, char *err, size_t errlen) {
  struct stat so, sd;
  if (stat(obj, &so) == 0 && stat(out, &sd) == 0 && so.st_ino == sd.st_ino && so.st_dev == sd.st_dev)
    return 0; /* already this object */
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.%ld.tmp", out, (long)getpid());
  unlink(tmp);
  if (link(obj, tmp) != 0) {
    FILE *in = fopen(obj, "rb"), *o = fopen(tmp, "wb");
    int rc = in && o ? 0 : -1;
    char buf[65536];
    size_t got;
    while (rc == 0 && (got = fread(buf, 1, sizeof buf, in)) > 0)
      if (fwrite(buf, 1, got, o) != got) rc = -1;
    if (in) fclose(in);
    if (o && fclose(o) != 0) rc = -1;
    if (rc != 0) {
      unlink(tmp);
      return fail(err, errlen, "%s: cannot write: %s", out, strerror(errno));
    }
  }
  if (rename(tmp, out) != 0) {
    unlink(tmp);
    return fail(err, errlen, "%s: %s", out, strerror(errno));
  }
  (void)r;
  return 0;
}

static const char *status_name(vsc_run_status s) {
  switch (s) {
  case VSC_RUN_OK: return "ok";
  case VSC_RUN_PARTIAL: return "partial";
  case VSC_RUN_FAILED: return "failed";
  case VSC_RUN_AUTH: return "auth";
  case VSC_RUN_BUDGET: return "budget";
  case VSC_RUN_INTERRUPTED: return "interrupted";
  case VSC_RUN_UNSAFE: return "stopped-unsafe";
  case VSC_RUN_RATE: return "rate-limited";
  }
  return "?";
}

/* A run that did work and paid for none of it (local provider, or every paid output
 * cached) is in the ledger too, at $0: its build and end records, written once it is over
 * (before, there was nothing to protect). Not money: an error here stops nothing. */
static void journal_free_run(run_t *r, const vsc_run_result *res) {
  char err[256];
  json_t *b = build_record(r);
  json_t *e = json_pack("{s:s, s:s, s:s, s:f}", "t", "end", "build", r->build, "status",
                        status_name(res->status), "spent", res->spent);
  if (vsc_journal_write(r->journal, b, false, err, sizeof err) == 0 &&
      vsc_journal_write(r->journal, e, false, err, sizeof err) == 0)
    vsc_journal_sync(r->journal, err, sizeof err);
  json_decref(b);
  json_decref(e);
}

static json_t *manifest(run_t *r) {
  json_t *m = json_pack("{s:s, s:i, s:s, s:s, s:f, s:f}", "format", "vsc-manifest", "version", 1,
                        "status", status_name(r->res->status), "provider",
                        r->remote_name ? r->remote_name : "local", "spent", r->res->spent,
                        "seconds", r->res->seconds);
  json_object_set(m, "plan", json_object_get(json_object_get(r->ir, "outputs"), "video"));
  json_object_set_new(m, "budget", r->budget.limit >= 0 ? json_real(r->budget.limit) : json_null());
  json_t *scenes = json_array(), *byscene = json_object();
  size_t si;
  json_t *sc;
  json_array_foreach(json_object_get(r->ir, "scenes"), si, sc) {
    const char *name = jstr(sc, "name");
    json_t *out = json_pack("{s:s?, s:O?, s:O?, s:b, s:o}", "name", name, "start",
                            json_object_get(sc, "start"), "duration", json_object_get(sc, "duration"),
                            "degraded", 0, "generations", json_array());
    if (name) json_object_set(byscene, name, out);
    json_array_append_new(scenes, out);
  }
  for (size_t i = 0; i < r->nn; i++) {
    snode *n = &r->n[i];
    json_t *out = n->scene ? json_object_get(byscene, n->scene) : NULL;
    if (!out) continue;
    if (strcmp(n->op, "generate") != 0 && strcmp(n->op, "tts") != 0) continue;
    {
      json_t *g = json_pack("{s:s, s:s}", "node", n->id, "op", n->op);
      json_object_set(g, "kind", json_object_get(json_object_get(n->node, "params"), "kind"));
      if (n->st == N_DONE && !n->cache_hit) {
        json_object_set_new(g, "model", json_string(n->used_model ? n->used_model : jstr(n->node, "model") ? jstr(n->node, "model") : ""));
        json_object_set_new(g, "provider", json_string(n->degraded ? "local" : vsc_node_provider(n->node, r->remote_name)));
        json_object_set_new(g, "prediction", n->prediction[0] ? json_string(n->prediction) : json_null());
        long long seed = n->seed >= 0 ? n->seed : json_integer_value(json_object_get(json_object_get(n->node, "params"), "seed"));
        json_object_set_new(g, "seed", json_integer(seed));
        json_object_set_new(g, "cost", json_real(n->remote && !n->degraded ? n->cost : 0));
        json_object_set_new(g, "cache_hit", json_false());
        json_object_set_new(g, "seconds", json_real(n->seconds));
      } else {
        /* From the cache (possibly not even visited): what the index recorded. */
        vsc_cache_entry e;
        bool found = vsc_cache_peek(r->cache, n->ekey, &e) == 1;
        json_t *info = found ? e.info : NULL;
        static const char *const keys[] = {"model", "provider", "prediction", "seed", "cost", "seconds"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
          json_t *v = json_object_get(info, keys[k]);
          json_object_set(g, keys[k], v ? v : json_null());
        }
        json_object_set_new(g, "cache_hit", json_boolean(found));
        if (!found) json_object_set_new(g, "state", json_string(n->st == N_FAILED ? "failed" : n->st == N_SKIPPED ? "skipped" : "not run"));
        if (found) vsc_cache_entry_clear(&e);
      }
      if (n->degraded) {
        json_object_set_new(out, "degraded", json_true());
        json_object_set_new(out, "reason", json_string(n->reason));
      }
      json_array_append_new(json_object_get(out, "generations"), g);
    }
  }
  json_decref(byscene);
  json_object_set_new(m, "scenes", scenes);
  return m;
}

static void report(run_t *r) {
  FILE *out = r->o->progress_out ? r->o->progress_out : stderr;
  bool json = vsc_progress_get_mode(r->pg) == VSC_PROGRESS_JSON;
  bool quiet = vsc_progress_get_mode(r->pg) == VSC_PROGRESS_QUIET;
  int not_run = 0;
  for (size_t i = 0; i < r->nn; i++) {
    snode *n = &r->n[i];
    if (n->st == N_FAILED && strcmp(n->reason, "interrupted") == 0) {
      not_run++; /* summarised below, not one line each */
      continue;
    }
    if (n->degraded) {
      if (json)
        vsc_progress_event(r->pg, json_pack("{s:s, s:s, s:s?, s:s}", "event", "degraded", "node", n->id, "scene", n->scene, "reason", n->reason));
      else if (!quiet)
        fprintf(out, "degraded: scene %s: %s (placeholder card used)\n", n->scene ? n->scene : "?", n->reason);
    } else if (n->st == N_FAILED) {
      if (json)
        vsc_progress_event(r->pg, json_pack("{s:s, s:s, s:s, s:s?, s:s}", "event", "failed", "node", n->id, "op", n->op, "scene", n->scene, "reason", n->reason));
      else if (!quiet)
        fprintf(out, "failed: %s %.12s%s%s: %s\n", n->op, n->id, n->scene ? " scene " : "", n->scene ? n->scene : "", n->reason);
    }
  }
  if (not_run && !json && !quiet) fprintf(out, "interrupted: %d node(s) not run\n", not_run);
  size_t k;
  json_t *l;
  json_array_foreach(r->left, k, l) {
    const char *what = jstr(l, "action");
    if (json)
      vsc_progress_event(r->pg, json_pack("{s:s, s:O}", "event", "prediction", "detail", l));
    else if (!quiet)
      fprintf(out, "%s: prediction %s (scene %s)%s\n", what ? what : "left running",
              jstr(l, "prediction") ? jstr(l, "prediction") : "(id not yet known)",
              jstr(l, "scene") ? jstr(l, "scene") : "?",
              what && strcmp(what, "canceled") == 0 ? "" : ": the next build resumes it instead of paying again");
  }
}

/* ---- the loop ---------------------------------------------------------------------------- */

static void handle_job(run_t *r, vsc_pool_job *job) {
  snode *n = &r->n[job->node];
  r->ncpu--;
  n->seconds = job->seconds;
  if (job->rc == 0) {
    r->res->executed++;
    node_done(r, job->node, job->path);
  } else if (job->err.kind == VSC_FAIL_CANCELED) {
    node_failed(r, job->node, "interrupted");
  } else {
    char msg[700];
    snprintf(msg, sizeof msg, "%s: %s", vsc_fail_kind_name(job->err.kind), job->err.msg);
    node_failed(r, job->node, msg);
  }
  vsc_pool_job_free(job);
}

/* Ctrl-C with predictions in flight: cancel them or leave them journaled for resume. */
static void interrupt_inflight(run_t *r) {
  if (r->ninflight == 0) return;
  double deadline = vsc_sched_now() + 5.0;
  if (r->o->cancel_on_interrupt) {
    for (size_t k = 0; k < r->ninflight; k++) r->remote->vt->cancel(r->n[r->inflight[k]].pred);
    while (r->ninflight && vsc_sched_now() < deadline) {
      r->remote->vt->step(r->remote, 0.1);
      for (size_t k = 0; k < r->ninflight;) {
        int i = r->inflight[k];
        snode *n = &r->n[i];
        vsc_pred_status st;
        r->remote->vt->status(n->pred, &st);
        if (st.state == VSC_PRED_SUCCEEDED || st.state == VSC_PRED_FAILED || st.state == VSC_PRED_CANCELED) {
          if (st.state == VSC_PRED_CANCELED)
            json_array_append_new(r->left, json_pack("{s:s, s:s, s:s?}", "action", "canceled", "prediction", st.id[0] ? st.id : n->prediction, "scene", n->scene));
          remove_int(r->inflight, &r->ninflight, i);
          poll_remote(r, i);
        } else {
          k++;
        }
      }
    }
  } else {
    /* Wait briefly for ids still unknown: with an id, the next run can resume. */
    for (;;) {
      bool all = true;
      for (size_t k = 0; k < r->ninflight; k++) {
        snode *n = &r->n[r->inflight[k]];
        vsc_pred_status st;
        r->remote->vt->status(n->pred, &st);
        if (st.id[0] && !n->id_logged) {
          n->id_logged = true;
          snprintf(n->prediction, sizeof n->prediction, "%s", st.id);
          journal(r, json_pack("{s:s, s:s, s:s}", "t", "started", "call", n->call, "prediction", st.id));
        }
        if (!st.id[0]) all = false;
      }
      if (all || vsc_sched_now() >= deadline) break;
      r->remote->vt->step(r->remote, 0.1);
    }
  }
  for (size_t k = 0; k < r->ninflight; k++) {
    snode *n = &r->n[r->inflight[k]];
    journal(r, json_pack("{s:s, s:s, s:s?}", "t", "left", "call", n->call, "prediction", n->prediction[0] ? n->prediction : NULL));
    json_array_append_new(r->left, json_pack("{s:s, s:s?, s:s?}", "action", "left running", "prediction", n->prediction[0] ? n->prediction : NULL, "scene", n->scene));
    r->remote->vt->release(n->pred);
    n->pred = NULL;
    unlink(n->tmp);
  }
  r->ninflight = 0;
}

static void loop(run_t *r) {
  for (;;) {
    if (g_interrupted && r->status != VSC_RUN_INTERRUPTED) {
      r->status = VSC_RUN_INTERRUPTED;
      r->stop_new = true;
      vsc_progress_event(r->pg, json_pack("{s:s, s:s}", "event", "note", "msg", "interrupted: stopping"));
      interrupt_inflight(r);
      vsc_pool_cancel_queued(r->pool);
    }
    vsc_pool_job *job;
    while ((job = vsc_pool_take(r->pool, 0))) handle_job(r, job);
    /* One fsync for the ids and outcomes of this pass (outputs are committed first). */
    r->batching = true;
    for (size_t k = 0; k < r->ninflight;) {
      int i = r->inflight[k];
      if (poll_remote(r, i)) remove_int(r->inflight, &r->ninflight, i);
      else k++;
    }
    journal_flush(r);
    double now = vsc_sched_now(), next = now + 0.1;
    if (r->nbackoff) {
      for (size_t i = 0; i < r->nn; i++) {
        snode *n = &r->n[i];
        if (n->st != N_BACKOFF) continue;
        if (r->stop_new) {
          r->nbackoff--;
          node_failed(r, (int)i, r->status == VSC_RUN_INTERRUPTED ? "interrupted" : "stopped");
        } else if (n->backoff_until <= now) {
          r->nbackoff--;
          n->st = N_READY;
          push_int(&r->rq, &r->nrq, &r->caprq, (int)i);
        } else if (n->backoff_until < next) {
          next = n->backoff_until;
        }
      }
    }
    /* Start what the budget and the in-flight limit allow, in plan order. */
    int limit = r->o->remote_jobs > 0 ? r->o->remote_jobs : 16;
    int *batch = NULL;
    size_t nbatch = 0, capbatch = 0;
    r->batching = true;
    for (size_t k = 0; k < r->nrq;) {
      int i = r->rq[k];
      snode *n = &r->n[i];
      if (r->stop_new) {
        remove_int(r->rq, &r->nrq, i);
        node_failed(r, i, r->status == VSC_RUN_INTERRUPTED ? "interrupted" : "not started: the build stopped");
        continue;
      }
      if (n->reattach_id[0] || n->search) {
        remove_int(r->rq, &r->nrq, i);
        reattach_remote(r, i);
        continue;
      }
      if ((int)(r->ninflight + nbatch) >= limit) break;
      int pr = prepare_remote(r, i);
      if (pr) {
        remove_int(r->rq, &r->nrq, i);
        if (pr == 2) push_int(&batch, &nbatch, &capbatch, i);
        continue;
      }
      k++; /* the budget cannot take it now */
    }
    /* Every intent of the batch is on disk before any request goes out. */
    journal_flush(r);
    for (size_t k = 0; k < nbatch; k++) {
      if (!r->stop_new) {
        send_remote(r, batch[k]);
        continue;
      }
      /* The intents did not reach the disk: nothing is sent. */
      vsc_budget_settle(&r->budget, r->n[batch[k]].reserved, 0);
      node_failed(r, batch[k], "not started: the build stopped");
    }
    free(batch);
    if (r->nrq && !r->stop_new && r->budget.reserved <= 0 && r->ninflight == 0) {
      /* Nothing in flight could free money: these calls could exceed the budget. */
      int i = r->rq[0];
      snode *n = &r->n[i];
      const json_t *cost = json_object_get(n->node, "cost");
      double need = json_number_value(json_object_get(cost, "max"));
      journal(r, json_pack("{s:s, s:s, s:s, s:f, s:f, s:f}", "t", "budget-stop", "node", n->id,
                           "model", n->models[n->mi], "need", need, "spent", r->budget.spent,
                           "budget", r->budget.limit));
      char msg[300];
      snprintf(msg, sizeof msg, "budget: $%.2f spent of $%.2f, the next call may cost $%.2f", r->budget.spent, r->budget.limit, need);
      r->stop_new = true;
      r->status = VSC_RUN_BUDGET;
      while (r->nrq) {
        int j = r->rq[0];
        remove_int(r->rq, &r->nrq, j);
        node_failed(r, j, msg);
      }
    }
    draw_status(r, false);
    if (r->ninflight == 0 && r->ncpu == 0 && r->nrq == 0 && r->nbackoff == 0) break;
    double wait = next - vsc_sched_now();
    if (wait < 0) wait = 0;
    if (r->ninflight > 0) {
      r->remote->vt->step(r->remote, wait);
    } else if (r->ncpu > 0) {
      job = vsc_pool_take(r->pool, wait);
      if (job) handle_job(r, job);
    } else if (wait > 0) {
      struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
      nanosleep(&ts, NULL);
    }
  }
}

int vsc_run(const json_t *ir, const vsc_run_options *o, vsc_run_result *res, char *err, size_t errlen) {
  memset(res, 0, sizeof *res);
  if (!o || !o->cache_dir) return fail(err, errlen, "no cache directory");
  double t0 = vsc_sched_now();
  run_t r;
  memset(&r, 0, sizeof r);
  r.o = o;
  r.ir = ir;
  r.res = res;
  r.left = json_array();
  g_interrupted = 0;
  snprintf(r.cache_dir, sizeof r.cache_dir, "%s", o->cache_dir);
  const json_t *video = json_object_get(ir, "video");
  const char *root = jstr(ir, "root");
  if (!root || !*root) root = ".";
  if (root[0] == '/' || !o->base_dir)
    snprintf(r.root, sizeof r.root, "%s", root);
  else
    snprintf(r.root, sizeof r.root, "%.2000s/%.2000s", o->base_dir, root);
  const char *pname = vsc_provider_resolve(o->provider ? o->provider : jstr(video, "provider"));
  if (o->remote) pname = o->remote->vt->name;
  r.remote_name = strcmp(pname, "local") == 0 ? NULL : pname;
  r.remote = o->remote;
  json_t *budget = json_object_get(video, "budget");
  r.budget.limit = o->budget_override >= 0 ? o->budget_override : json_is_number(budget) ? json_number_value(budget) : -1;
  make_build_id(r.build);

  int rc = -1;
  if (vsc_cache_open(&r.cache, r.cache_dir, err, errlen) != 0) goto out;
  if (vsc_cache_lock(r.cache, err, errlen) != 0) goto out;
  char path[4200];
  snprintf(path, sizeof path, "%s/journal.jsonl", r.cache_dir);
  if (vsc_journal_open(&r.journal, path, err, errlen) != 0) goto out;
  if (setup_nodes(&r, err, errlen) != 0) goto out;
  r.pg = vsc_progress_new(o->progress, o->progress_out);
  demand(&r);
  resume_calls(&r);
  int jobs = o->jobs > 0 ? o->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (jobs < 1) jobs = 1;
  r.jobs = jobs;
  if (vsc_pool_new(&r.pool, jobs, notify_cb, &r) != 0) {
    fail(err, errlen, "cannot start worker threads");
    goto out;
  }
  vsc_progress_event(r.pg, json_pack("{s:s, s:i, s:i, s:i, s:s}", "event", "start", "nodes", (int)r.nn,
                                     "cached", res->cached, "todo", r.needed_count - r.done_count,
                                     "provider", r.remote_name ? r.remote_name : "local"));
  /* Seed the ready set: needed nodes whose needed inputs are all done. */
  for (size_t i = 0; i < r.nn; i++) {
    snode *n = &r.n[i];
    if (!n->needed || n->st == N_DONE) continue;
    n->st = N_WAIT;
    for (size_t k = 0; k < n->nin; k++)
      if (r.n[n->in[k]].st != N_DONE) n->pending++;
  }
  for (size_t i = 0; i < r.nn; i++) {
    snode *n = &r.n[i];
    if (n->st == N_WAIT && n->reattach_id[0]) {
      /* Resume at once: the prediction is running on the provider already. */
      n->st = N_READY;
      reattach_remote(&r, (int)i);
    }
  }
  for (size_t i = 0; i < r.nn; i++)
    if (r.n[i].st == N_WAIT && r.n[i].pending == 0) mark_ready(&r, (int)i);
  loop(&r);
  vsc_pool_free(r.pool);
  r.pool = NULL;

  /* Outcome. */
  const char *out_id = jstr(json_object_get(ir, "outputs"), "video");
  json_t *pos = out_id ? json_object_get(r.byid, out_id) : NULL;
  snode *outn = pos ? &r.n[json_integer_value(pos)] : NULL;
  if (r.status == VSC_RUN_OK) {
    if (outn && outn->st != N_DONE) r.status = VSC_RUN_FAILED;
    else if (res->failed) r.status = VSC_RUN_FAILED;
    else if (res->degraded) r.status = VSC_RUN_PARTIAL;
  }
  res->status = r.status;
  if (outn && outn->st == N_DONE) {
    snprintf(res->output_object, sizeof res->output_object, "%s", outn->path);
    if (o->output) {
      char eerr[512];
      if (export_output(&r, outn->path, o->output, eerr, sizeof eerr) != 0) {
        warn(&r, "%s", eerr);
        res->status = VSC_RUN_FAILED;
      }
      /* Other outputs (caption sidecars "srt", "vtt") go next to it: out.mp4 -> out.srt. */
      const char *ok;
      json_t *ov;
      json_object_foreach(json_object_get(ir, "outputs"), ok, ov) {
        json_t *op = json_string_value(ov) ? json_object_get(r.byid, json_string_value(ov)) : NULL;
        if (!strcmp(ok, "video") || !op || r.n[json_integer_value(op)].st != N_DONE) continue;
        char side[4200];
        const char *dot = strrchr(o->output, '.'), *slash = strrchr(o->output, '/');
        int stem = dot && (!slash || dot > slash) ? (int)(dot - o->output) : (int)strlen(o->output);
        snprintf(side, sizeof side, "%.*s.%s", stem, o->output, ok);
        if (export_output(&r, r.n[json_integer_value(op)].path, side, eerr, sizeof eerr) != 0) warn(&r, "%s", eerr);
      }
    }
  }
  res->seconds = vsc_sched_now() - t0;
  if (o->output && outn && outn->st == N_DONE) {
    json_t *m = manifest(&r);
    json_object_set_new(m, "output", json_string(o->output));
    char mpath[4200], mtmp[4300];
    snprintf(mpath, sizeof mpath, "%s.json", o->output);
    snprintf(mtmp, sizeof mtmp, "%s.%ld.tmp", mpath, (long)getpid());
    if (json_dump_file(m, mtmp, JSON_INDENT(2) | JSON_SORT_KEYS) == 0) rename(mtmp, mpath);
    json_decref(m);
  }
  report(&r);
  if (r.build_logged)
    journal(&r, json_pack("{s:s, s:s, s:f}", "t", "end", "status", status_name(res->status), "spent", res->spent));
  else if (res->executed > 0)
    journal_free_run(&r, res);
  draw_status(&r, true);
  vsc_progress_event(r.pg, json_pack("{s:s, s:s, s:i, s:i, s:f, s:f, s:i, s:i}", "event", "end", "status",
                                     status_name(res->status), "executed", res->executed, "cached",
                                     res->cached, "spent", res->spent, "seconds", res->seconds,
                                     "degraded", res->degraded, "failed", res->failed));
  rc = 0;
out:
  if (r.pool) vsc_pool_free(r.pool);
  for (size_t k = 0; k < r.ninflight; k++)
    if (r.n[r.inflight[k]].pred) r.remote->vt->release(r.n[r.inflight[k]].pred);
  if (r.remote && r.remote_owned) r.remote->vt->destroy(r.remote);
  for (size_t i = 0; r.n && i < r.nn; i++) {
    free(r.n[i].in);
    free(r.n[i].users);
    for (size_t k = 0; r.n[i].inpaths && k < r.n[i].nin; k++) free(r.n[i].inpaths[k]);
    free(r.n[i].inpaths);
    for (size_t k = 0; k < r.n[i].nknown; k++) free(r.n[i].known[k]);
    free(r.n[i].known);
  }
  free(r.n);
  free(r.rq);
  free(r.inflight);
  json_decref(r.byid);
  json_decref(r.left);
  vsc_progress_free(r.pg);
  vsc_journal_close(r.journal);
  vsc_cache_close(r.cache);
  return rc;
}
