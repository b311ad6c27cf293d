/*
** The scheduler (runtime stage "sched"): runs a plan graph.
**
**   1. keys:    every node's cache key (keys.c);
**   2. demand:  from the outputs backwards, a node found in the cache is done and its inputs
**               are not even looked at (a no-op rebuild checks one object);
**   3. resume:  paid calls the journal shows as started and unfinished are re-attached
**               (resume.c);
**   4. loop:    ready nodes (flow.c) go to the CPU pool (cpu.c: compositor, local provider)
**               or, for remote generate/tts, become predictions driven by the provider's
**               step() (remote.c: retries, fallbacks, placeholders); a failing node stops
**               only what depends on it;
**   5. finish:  export the output, write the manifest, report (report.c).
** Every paid call is journaled before it starts and reserved against the budget at its
** worst case; its output is in the cache before its outcome is journaled. This file holds
** the phases in order; sched.h says which file owns what.
*/
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"
#include "sched.h"

volatile sig_atomic_t vsc_sched_interrupted;

bool vsc_sched_push(int **arr, size_t *n, size_t *cap, int v) {
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

void vsc_sched_remove(int *arr, size_t *n, int v) {
  for (size_t i = 0; i < *n; i++)
    if (arr[i] == v) {
      memmove(arr + i, arr + i + 1, (*n - i - 1) * sizeof *arr);
      (*n)--;
      return;
    }
}

static void on_signal(int sig) {
  if (vsc_sched_interrupted) {
    /* Second Ctrl-C: leave now; temp files are cleaned by the next run. */
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  vsc_sched_interrupted = 1;
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

/* A remote node's models (its own, then its fallbacks, each with its resolved call) and
 * its retry rule. */
static void read_models(snode *n) {
  const char *model = vsc_sched_jstr(n->node, "model");
  n->calls[n->nmodels] = json_object_get(n->node, "call");
  n->models[n->nmodels++] = model ? model : "";
  size_t k;
  json_t *fb;
  json_array_foreach(json_object_get(n->node, "fallbacks"), k, fb) {
    if (n->nmodels == MAX_MODELS) break;
    n->calls[n->nmodels] = json_is_object(fb) ? fb : NULL;
    n->models[n->nmodels++] = json_is_object(fb) ? vsc_sched_jstr(fb, "model") : json_string_value(fb);
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

static int setup_nodes(run_t *r, char *err, size_t errlen) {
  json_t *nodes = json_object_get(r->ir, "nodes");
  r->nn = json_array_size(nodes);
  r->n = calloc(r->nn ? r->nn : 1, sizeof *r->n);
  r->byid = json_object();
  if (!r->n) return fail(err, errlen, "out of memory");
  json_t *keys = vsc_plan_keys(r->ir, r->remote_name);
  for (size_t i = 0; i < r->nn; i++) {
    snode *n = &r->n[i];
    n->node = json_array_get(nodes, i);
    n->id = vsc_sched_jstr(n->node, "id");
    n->op = vsc_sched_jstr(n->node, "op");
    n->scene = vsc_sched_jstr(n->node, "scene");
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
      vsc_sched_push(&r->n[j].users, &r->n[j].nusers, &r->n[j].capusers, (int)i);
    }
    json_object_set_new(r->byid, n->id, json_integer((json_int_t)i));
    const char *prov = vsc_node_provider(n->node, r->remote_name);
    n->remote = *prov && strcmp(prov, "local") != 0;
    if (n->remote) read_models(n);
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
      vsc_sched_warn(r, "cache object of %s %.12s was corrupt (%s): deleted, regenerating", n->op, n->id, why);
    else if (hit < 0)
      vsc_sched_warn(r, "cache: %s", why);
    for (size_t j = 0; j < n->nin; j++) r->n[n->in[j]].needed = true;
  }
}

static void loop(run_t *r) {
  for (;;) {
    if (vsc_sched_interrupted && r->status != VSC_RUN_INTERRUPTED) {
      r->status = VSC_RUN_INTERRUPTED;
      r->stop_new = true;
      vsc_progress_event(r->pg, json_pack("{s:s, s:s}", "event", "note", "msg", "interrupted: stopping"));
      vsc_sched_remote_interrupt(r);
      vsc_pool_cancel_queued(r->pool);
    }
    vsc_pool_job *job;
    while ((job = vsc_pool_take(r->pool, 0))) vsc_sched_cpu_done(r, job);
    /* One fsync for the ids and outcomes of this pass (outputs are committed first). */
    r->batching = true;
    vsc_sched_remote_poll(r);
    vsc_sched_journal_flush(r);
    double now = vsc_sched_now(), next = now + 0.1;
    vsc_sched_remote_wake(r, now, &next);
    vsc_sched_remote_start(r);
    vsc_sched_status(r, false);
    if (r->ninflight == 0 && r->ncpu == 0 && r->nrq == 0 && r->nbackoff == 0) break;
    double wait = next - vsc_sched_now();
    if (wait < 0) wait = 0;
    if (r->ninflight > 0) {
      r->remote->vt->step(r->remote, wait);
    } else if (r->ncpu > 0) {
      job = vsc_pool_take(r->pool, wait);
      if (job) vsc_sched_cpu_done(r, job);
    } else if (wait > 0) {
      struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
      nanosleep(&ts, NULL);
    }
  }
}

/* The first ready set: needed nodes whose needed inputs are all done; calls an earlier run
 * left open resume at once (the prediction is running on the provider already). */
static void seed(run_t *r) {
  for (size_t i = 0; i < r->nn; i++) {
    snode *n = &r->n[i];
    if (!n->needed || n->st == N_DONE) continue;
    n->st = N_WAIT;
    for (size_t k = 0; k < n->nin; k++)
      if (r->n[n->in[k]].st != N_DONE) n->pending++;
  }
  for (size_t i = 0; i < r->nn; i++) {
    snode *n = &r->n[i];
    if (n->st == N_WAIT && n->reattach_id[0]) {
      n->st = N_READY;
      vsc_sched_remote_reattach(r, (int)i);
    }
  }
  for (size_t i = 0; i < r->nn; i++)
    if (r->n[i].st == N_WAIT && r->n[i].pending == 0) vsc_sched_mark_ready(r, (int)i);
}

/* Everything a run holds, whatever phase it stopped in. */
static void free_run(run_t *r) {
  if (r->pool) vsc_pool_free(r->pool);
  for (size_t k = 0; k < r->ninflight; k++)
    if (r->n[r->inflight[k]].pred) r->remote->vt->release(r->n[r->inflight[k]].pred);
  if (r->remote && r->remote_owned) r->remote->vt->destroy(r->remote);
  for (size_t i = 0; r->n && i < r->nn; i++) {
    free(r->n[i].in);
    free(r->n[i].users);
    for (size_t k = 0; r->n[i].inpaths && k < r->n[i].nin; k++) free(r->n[i].inpaths[k]);
    free(r->n[i].inpaths);
    for (size_t k = 0; k < r->n[i].nknown; k++) free(r->n[i].known[k]);
    free(r->n[i].known);
  }
  free(r->n);
  free(r->rq);
  free(r->inflight);
  json_decref(r->byid);
  json_decref(r->left);
  vsc_progress_free(r->pg);
  vsc_journal_close(r->journal);
  vsc_cache_close(r->cache);
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
  vsc_sched_interrupted = 0;
  snprintf(r.cache_dir, sizeof r.cache_dir, "%s", o->cache_dir);
  const json_t *video = json_object_get(ir, "video");
  const char *root = vsc_sched_jstr(ir, "root");
  if (!root || !*root) root = ".";
  if (root[0] == '/' || !o->base_dir)
    snprintf(r.root, sizeof r.root, "%s", root);
  else
    snprintf(r.root, sizeof r.root, "%.2000s/%.2000s", o->base_dir, root);
  const char *pname = vsc_provider_resolve(o->provider ? o->provider : vsc_sched_jstr(video, "provider"));
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
  vsc_sched_resume(&r);
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
  seed(&r);
  loop(&r);
  vsc_pool_free(r.pool);
  r.pool = NULL;

  vsc_sched_finish(&r, t0);
  rc = 0;
out:
  free_run(&r);
  return rc;
}
