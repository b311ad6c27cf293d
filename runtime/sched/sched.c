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
#include "vsc/vsc_err.h"

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
                  ? (int)json_integer_value(json_object_get(retry, "attempts"))
                  : 3;
  if (n->attempts < 1) n->attempts = 1;
  n->backoff = json_is_number(json_object_get(retry, "backoff"))
                 ? json_number_value(json_object_get(retry, "backoff"))
                 : 2.0;
  n->attempt = 1;
}

/* Node `at` reads the nodes in[0..nin) (run indices); each of them learns its user. */
static int link_inputs(run_t *r, int at, const int *in, size_t nin) {
  snode *n = &r->n[at];
  n->in = calloc(nin ? nin : 1, sizeof *n->in);
  if (!n->in) return -1;
  n->nin = nin;
  for (size_t k = 0; k < nin; k++) {
    n->in[k] = in[k];
    if (!vsc_sched_push(&r->n[in[k]].users, &r->n[in[k]].nusers, &r->n[in[k]].capusers, at)) return -1;
  }
  return 0;
}

static void init_node(snode *n, json_t *node) {
  n->node = node;
  n->id = vsc_sched_jstr(node, "id");
  n->op = vsc_sched_jstr(node, "op");
  n->scene = vsc_sched_jstr(node, "scene");
  const json_t *between = json_object_get(node, "between");
  if (json_array_size(between) == 2 && json_is_string(json_array_get(between, 0)) && json_is_string(json_array_get(between, 1))) {
    n->between[0] = json_string_value(json_array_get(between, 0));
    n->between[1] = json_string_value(json_array_get(between, 1));
  }
  n->seed = -1;
}

/* The parts a node runs as (options.split: a long body in GOP-aligned chunks), or JSON
 * null to run it whole. */
static json_t *parts_of(const run_t *r, const json_t *node) {
  json_t *parts = r->o->split && r->o->join ? r->o->split(node) : NULL;
  if (json_array_size(parts) >= 2) return parts;
  json_decref(parts);
  return json_null();
}

/* The parts of IR node (key `key`, inputs `in`) at r->n[*at...]: each a node of its own,
 * keyed by the node's key and its place, reading the node's inputs. */
static int add_parts(run_t *r, size_t *at, const json_t *parts, const char *key, const int *in, size_t nin) {
  for (size_t k = 0; k < json_array_size(parts); k++) {
    snode *pn = &r->n[*at];
    init_node(pn, json_array_get(parts, k));
    if (!pn->id || !pn->op) return -1;
    char place[24];
    snprintf(place, sizeof place, "%zu/%zu", k + 1, json_array_size(parts));
    const char *pk[1] = {place};
    vsc_sched_derive_key(key, "part", pk, 1, pn->key);
    memcpy(pn->ekey, pn->key, sizeof pn->key);
    if (link_inputs(r, (int)*at, in, nin) != 0) return -1;
    (*at)++;
  }
  return 0;
}

static int setup_nodes(run_t *r, char *err, size_t errlen) {
  json_t *nodes = json_object_get(r->ir, "nodes");
  r->nir = json_array_size(nodes);
  r->parts = json_array();
  r->byid = json_object();
  size_t total = r->nir;
  for (size_t i = 0; i < r->nir; i++) {
    json_t *parts = parts_of(r, json_array_get(nodes, i));
    total += json_array_size(parts);
    json_array_append_new(r->parts, parts);
  }
  r->nn = total;
  r->n = calloc(total ? total : 1, sizeof *r->n);
  int *in = calloc(total ? total : 1, sizeof *in);
  if (!r->n || !in) {
    free(in);
    return vsc_err_set(err, errlen, "out of memory");
  }
  json_t *keys = vsc_plan_keys(r->ir, r->remote_name);
  int rc = 0;
  size_t at = 0;
  for (size_t i = 0; i < r->nir && rc == 0; i++) {
    json_t *node = json_array_get(nodes, i), *inputs = json_object_get(node, "inputs");
    const char *key = json_string_value(json_array_get(keys, i));
    size_t nin = json_array_size(inputs);
    for (size_t k = 0; k < nin && rc == 0; k++) {
      const char *iid = json_string_value(json_array_get(inputs, k));
      json_t *pos = json_object_get(r->byid, iid ? iid : "");
      if (!pos) rc = vsc_err_set(err, errlen, "$.nodes[%zu].inputs[%zu]: not an earlier node", i, k);
      else in[k] = (int)json_integer_value(pos);
    }
    if (rc != 0) break;
    /* A node run in parts reads its parts, which read its inputs. */
    const json_t *parts = json_array_get(r->parts, i);
    size_t first = at;
    if (add_parts(r, &at, parts, key, in, nin) != 0) {
      rc = vsc_err_set(err, errlen, "$.nodes[%zu]: cannot split it", i);
      break;
    }
    snode *n = &r->n[at];
    init_node(n, node);
    if (!n->id || !n->op) {
      rc = vsc_err_set(err, errlen, "$.nodes[%zu]: missing id or op", i);
      break;
    }
    snprintf(n->key, sizeof n->key, "%s", key);
    memcpy(n->ekey, n->key, sizeof n->key);
    n->join = at > first;
    for (size_t k = first; k < at; k++) in[k - first] = (int)k;
    if (link_inputs(r, (int)at, in, n->join ? at - first : nin) != 0) {
      rc = vsc_err_set(err, errlen, "out of memory");
      break;
    }
    json_object_set_new(r->byid, n->id, json_integer((json_int_t)at));
    const char *prov = vsc_node_provider(n->node, r->remote_name);
    n->remote = *prov && strcmp(prov, "local") != 0;
    if (n->remote) read_models(n);
    at++;
  }
  free(in);
  json_decref(keys);
  return rc;
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
      vsc_sched_take_entry(n, &e);
      vsc_cache_entry_clear(&e);
      r->res->cached++;
      r->done_count++;
      continue;
    }
    if (hit == VSC_CACHE_CORRUPT)
      vsc_sched_warn(r, "cache object of %s %.12s was corrupt (%s): deleted, regenerating", n->op, n->id, why);
    else if (hit < 0)
      vsc_sched_warn(r, "cache: %s", why);
    if (vsc_sched_rcache_fetch(r, (int)ii)) {
      r->res->cached++;
      r->done_count++;
      continue;
    }
    for (size_t j = 0; j < n->nin; j++) r->n[n->in[j]].needed = true;
  }
}

/* A pool event: a CPU job started, or finished (what it makes ready is queued). */
static void take_event(run_t *r, vsc_pool_event *ev) {
  if (ev->job) vsc_sched_cpu_done(r, ev->job);
  else vsc_sched_cpu_started(r, ev->node);
}

/* Ctrl-C, SIGTERM or SIGHUP (once): nothing new starts, queued CPU work is dropped. */
static void take_interrupt(run_t *r) {
  if (!vsc_sched_interrupted || r->status == VSC_RUN_INTERRUPTED) return;
  r->status = VSC_RUN_INTERRUPTED;
  r->stop_new = true;
  vsc_progress_event(r->pg, json_pack("{s:s, s:s}", "event", "note", "msg", "interrupted: stopping"));
  vsc_sched_remote_interrupt(r);
  vsc_pool_cancel_queued(r->pool);
}

static void loop(run_t *r) {
  for (;;) {
    take_interrupt(r);
    vsc_pool_event ev;
    vsc_pool_hold(r->pool, true); /* what these make ready starts in the pool's order */
    while (vsc_pool_next(r->pool, 0, &ev)) take_event(r, &ev);
    vsc_pool_hold(r->pool, false);
    /* One fsync for the ids and outcomes of this pass (outputs are committed first). */
    r->batching = true;
    vsc_sched_remote_poll(r);
    vsc_sched_journal_flush(r);
    double now = vsc_sched_now(), next = now + 0.1;
    vsc_sched_remote_wake(r, now, &next);
    vsc_sched_remote_start(r);
    vsc_sched_rcache_warnings(r);
    vsc_sched_status(r, false);
    if (r->ninflight == 0 && r->ncpu == 0 && r->nrq == 0 && r->nbackoff == 0) break;
    double wait = next - vsc_sched_now();
    if (wait < 0) wait = 0;
    if (r->ninflight > 0) {
      r->remote->vt->step(r->remote, wait);
    } else if (r->ncpu > 0) {
      bool got = vsc_pool_next(r->pool, wait, &ev);
      vsc_pool_hold(r->pool, true);
      if (got) take_event(r, &ev);
      vsc_pool_hold(r->pool, false);
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

/* What the run will do. A body rendered in parts is one node of the IR and several jobs
 * (its parts and their join): "todo" and "cached" count jobs, "nodes" and "unneeded" IR
 * nodes, "split" the bodies to run in parts and "parts" their parts. */
static void start_event(run_t *r) {
  int unneeded = 0, split = 0, parts = 0;
  for (size_t i = 0; i < r->nn; i++) {
    const snode *n = &r->n[i];
    if (json_object_get(n->node, "part")) {
      parts += n->needed && n->st != N_DONE;
      continue;
    }
    unneeded += !n->needed;
    split += n->needed && n->join && n->st != N_DONE;
  }
  vsc_progress_event(r->pg, json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:s}", "event", "start", "nodes", (int)r->nir,
                                      "cached", r->res->cached, "todo", r->needed_count - r->done_count, "unneeded",
                                      unneeded, "split", split, "parts", parts, "provider",
                                      r->remote_name ? r->remote_name : "local"));
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
  json_decref(r->parts);
  json_decref(r->left);
  vsc_progress_free(r->pg);
  vsc_journal_close(r->journal);
  vsc_rcache_close(r->rcache);
  vsc_cache_close(r->cache);
}

int vsc_run(const json_t *ir, const vsc_run_options *o, vsc_run_result *res, char *err, size_t errlen) {
  memset(res, 0, sizeof *res);
  if (!o || !o->cache_dir) return vsc_err_set(err, errlen, "no cache directory");
  double t0 = vsc_sched_now();
  run_t r;
  memset(&r, 0, sizeof r);
  r.o = o;
  r.ir = ir;
  r.res = res;
  r.left = json_array();
  /* Not cleared: a stop asked for before this run (a batch worker's SIGTERM between two
   * rows) stops it at once instead of being forgotten. */
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
  r.budget.limit = o->budget_override >= 0 ? o->budget_override : json_is_number(budget) ? json_number_value(budget)
                                                                                         : -1;
  make_build_id(r.build);

  int rc = -1;
  if (vsc_cache_open(&r.cache, r.cache_dir, err, errlen) != 0) goto out;
  if ((o->shared_cache ? vsc_cache_lock_shared : vsc_cache_lock)(r.cache, err, errlen) != 0) goto out;
  char path[4200];
  snprintf(path, sizeof path, "%s/journal.jsonl", r.cache_dir);
  if (vsc_journal_open(&r.journal, path, err, errlen) != 0) goto out;
  if (o->remote_cache && *o->remote_cache && vsc_rcache_open(&r.rcache, o->remote_cache, err, errlen) != 0) goto out;
  if (setup_nodes(&r, err, errlen) != 0) goto out;
  r.pg = vsc_progress_new(o->progress, o->progress_out);
  demand(&r);
  vsc_sched_priorities(&r); /* after demand: the order looks at what runs */
  vsc_sched_resume(&r);
  int jobs = o->jobs > 0 ? o->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (jobs < 1) jobs = 1;
  if (vsc_pool_new(&r.pool, jobs, notify_cb, &r) != 0) {
    vsc_err_set(err, errlen, "cannot start worker threads");
    goto out;
  }
  start_event(&r);
  vsc_sched_rcache_announce(&r);
  vsc_pool_hold(r.pool, true); /* the first ready set starts in the pool's order */
  take_interrupt(&r);          /* asked for before the run: nothing starts */
  seed(&r);
  vsc_pool_hold(r.pool, false);
  loop(&r);
  vsc_pool_free(r.pool);
  r.pool = NULL;

  vsc_sched_finish(&r, t0);
  rc = 0;
out:
  free_run(&r);
  return rc;
}
