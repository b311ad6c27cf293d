/*
** The CPU pool's side of a run (runtime stage "sched"): the one path that turns a node
** into a pool job (compositor executors, the local provider, placeholders, the asset op),
** and the path that takes a finished job's result back. The asset op, the script's own
** file checked against its recorded hash, is the scheduler's own executor.
*/
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"
#include "sched.h"
#include "vsc/vsc_ops.h"
#include "vsc/vsc_sha256.h"

vsc_op_fn vsc_sched_executor(const run_t *r, const char *op) {
  for (size_t i = 0; i < r->o->nexecutors; i++)
    if (r->o->executors[i].op && strcmp(r->o->executors[i].op, op) == 0) return r->o->executors[i].fn;
  return NULL;
}

/* The asset op: the script's file, checked against the hash the compiler recorded. The
 * job's node copy carries the resolved path in params.path. */
static int asset_exec(const json_t *node, const char *const *inputs, size_t ninputs,
                      const char *out_path, vsc_op_error *err) {
  const json_t *params = json_object_get(node, "params");
  const char *src = vsc_sched_jstr(params, "path"), *want = vsc_sched_jstr(params, "sha256");
  if (!src) return vsc_op_fail(err, VSC_FAIL_INPUT, "asset without a path");
  /* A copy, never a hard link: a tool that rewrites the file in place (`ffmpeg -y` does)
   * would change the cache object kept under the old hash. The hash is of the copy. */
  char sha[65], herr[512];
  int rc = vsc_sha256_copy(src, out_path, sha, NULL, herr, sizeof herr);
  if (rc != 0) return vsc_op_fail(err, rc == -1 ? VSC_FAIL_INPUT : VSC_FAIL_LOCAL, "%s", herr);
  if (want && strcmp(sha, want) != 0)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%s changed since the script was compiled (recompile)", src);
  return 0;
}

json_t *vsc_sched_cache_info(const run_t *r, const snode *n, const char *provider) {
  json_t *info = json_pack("{s:s, s:s}", "node", n->id, "op", n->op);
  vsc_sched_place(info, n);
  if (provider && *provider) json_object_set_new(info, "provider", json_string(provider));
  if (n->used_model) json_object_set_new(info, "model", json_string(n->used_model));
  else if (vsc_sched_jstr(n->node, "model")) json_object_set(info, "model", json_object_get(n->node, "model"));
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

void vsc_sched_cpu_submit(run_t *r, int i, vsc_op_fn fn, json_t *node_json, const char *provider) {
  snode *n = &r->n[i];
  vsc_pool_job *job = calloc(1, sizeof *job);
  char **inputs = calloc(n->nin ? n->nin : 1, sizeof *inputs);
  bool ok = job && inputs;
  for (size_t k = 0; ok && k < n->nin; k++) ok = (inputs[k] = strdup(r->n[n->in[k]].path)) != NULL;
  if (!ok) {
    for (size_t k = 0; inputs && k < n->nin; k++) free(inputs[k]);
    free(inputs);
    free(job);
    json_decref(node_json);
    vsc_sched_node_failed(r, i, "out of memory");
    return;
  }
  job->node = i;
  job->fn = fn;
  job->node_json = node_json;
  job->inputs = inputs;
  job->ninputs = n->nin;
  memcpy(job->key, n->ekey, sizeof job->key);
  char eb[12];
  snprintf(job->ext, sizeof job->ext, "%s", vsc_ops_ext(n->node, eb));
  job->info = vsc_sched_cache_info(r, n, provider);
  job->cache = r->cache;
  job->rcache = vsc_sched_rcache_shared(r, n) ? r->rcache : NULL;
  job->priority = n->priority;
  job->light = n->join;
  n->st = N_CPU;
  r->ncpu++;
  vsc_pool_submit(r->pool, job);
}

/* Estimated work of a node, in seconds of 720p video to encode: what the order below
 * weighs. Stream copies, assets and joins count as nothing. */
static double work_of(const snode *n) {
  const json_t *p = json_object_get(n->node, "params");
  const vsc_op_info *op = vsc_ops_find(n->op);
  if (n->join || !op || op->kind == VSC_OPKIND_LOCAL) return 0;
  double px = json_number_value(json_object_get(p, "width")) * json_number_value(json_object_get(p, "height"));
  if (px > 0) return json_number_value(json_object_get(p, "duration")) * px / (1280.0 * 720.0);
  /* The sound track: mixing and AAC cost about a seventh of a 720p encode per second. */
  if (op->id == VSC_OPID_audio) return json_number_value(json_object_get(p, "length")) * 0.15;
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Where a piece of the picture (params.t0) goes in the order; `starts` are the sorted
 * timeline starts of the first chunks of the bodies that run, `ends` where the first and
 * the last of them end. In timeline order, except that after the first of those bodies a body's
 * later chunks wait for the next body's first chunk, and a transition for the first chunk
 * of the body after its incoming one (of the only one left, near the end): a chunk then
 * mostly starts once its clip's previous chunk is done, and continues that decoder
 * (runtime/compositor, clipsrc.c) instead of decoding its clip again from the keyframe,
 * and a transition finds its outgoing clip decoded to the end. The first scene stays
 * first, whole. A transition into the first body that runs with no running body before
 * it (an edit: its outgoing scene is cached), or into the last body, goes after that
 * body's chunks, and the last body's later chunks go before the transitions left:
 * chunks are the long jobs, so the pool ends with short ones instead of one core
 * encoding a last chunk alone, and in an edit both chunks start at once and the
 * transition after the body finds its clip's end (what it would otherwise wait for,
 * holding a core). */
static double piece_order(const snode *n, double t0, const double *starts, size_t nstarts, const double ends[2]) {
  const json_t *p = json_object_get(n->node, "params");
  const char *kind = json_string_value(json_object_get(p, "kind"));
  long long part = json_integer_value(json_object_get(json_object_get(n->node, "part"), "index"));
  size_t k = 0; /* bodies that start at or before t0: k == 1 is the first one */
  while (k < nstarts && starts[k] <= t0) k++;
  int transition = kind && strcmp(kind, "transition") == 0;
  /* Into the first body that runs, with no running body before it (an edit), or into the
   * last one: after that body's chunks. */
  if (transition && k == 0 && ends[0] > t0) return ends[0] - 1e-4;
  if (transition && nstarts > 1 && k == nstarts - 1 && ends[1] > t0) return ends[1] - 1e-4;
  /* Just after that body's start (starts are a frame apart at least): chunks in their
   * order, then transitions. */
  if (transition && k < nstarts) return starts[k + 1 < nstarts ? k + 1 : k] + 2e-4;
  if (kind && strcmp(kind, "body") == 0 && part > 0 && k > 1 && k < nstarts)
    return starts[k] + 1e-6 * (double)(part < 99 ? part : 99);
  /* The last body's later chunks: after the chunk before them on the previous body's clip
   * and before the transitions still queued, which are short and fill the end. */
  if (kind && strcmp(kind, "body") == 0 && part > 0 && k > 1 && k == nstarts)
    return starts[k - 1] + 1e-4 + 1e-6 * (double)(part < 99 ? part : 99);
  return t0;
}

/* A body piece that this run renders (not cached, not a join). */
static bool running_body(const snode *n) {
  const json_t *p = json_object_get(n->node, "params");
  const char *kind = json_string_value(json_object_get(p, "kind"));
  return !n->join && n->needed && !n->cache_hit && json_is_number(json_object_get(p, "t0")) && kind &&
         strcmp(kind, "body") == 0;
}

/* The order of the CPU pool. Nodes without a place on the timeline run first, longest
 * chain of work to the output first (the critical path: a generation, then the cheap
 * joins, concat and mux that unblock what waits on them). Pieces of the picture
 * (params.t0) follow in timeline order (piece_order), so that the first scene is whole
 * first and an editor sees it early; chunks of equal length keep every core busy to the
 * end. Work that no piece of the picture waits for (the sound track: only the final mux
 * reads it) goes just after the first scene's pieces, so that it does not delay the
 * first scene and is done long before the mux. */
void vsc_sched_priorities(run_t *r) {
  double *chain = calloc(r->nn ? r->nn : 1, sizeof *chain);
  double *starts = calloc(r->nn ? r->nn : 1, sizeof *starts);
  bool *picture = calloc(r->nn ? r->nn : 1, sizeof *picture); /* a piece of the picture waits for it */
  size_t nstarts = 0;
  if (!chain || !starts || !picture) { /* every job equal: queue order */
    free(chain);
    free(starts);
    free(picture);
    return;
  }
  for (size_t i = 0; i < r->nn; i++)
    if (running_body(&r->n[i]) &&
        json_integer_value(json_object_get(json_object_get(r->n[i].node, "part"), "index")) == 0)
      starts[nstarts++] = json_number_value(json_object_get(json_object_get(r->n[i].node, "params"), "t0"));
  qsort(starts, nstarts, sizeof *starts, cmp_double);
  /* Where the first and the last body that run end: the ends of their last chunks. */
  double ends[2] = {-1, -1};
  for (size_t i = 0; nstarts > 0 && i < r->nn; i++) {
    const json_t *p = json_object_get(r->n[i].node, "params");
    double t0 = json_number_value(json_object_get(p, "t0"));
    if (!running_body(&r->n[i]) || t0 < starts[0]) continue;
    double end = t0 + json_number_value(json_object_get(p, "duration"));
    if ((nstarts == 1 || t0 < starts[1]) && end > ends[0]) ends[0] = end;
    if (t0 >= starts[nstarts - 1] && end > ends[1]) ends[1] = end;
  }
  for (size_t i = r->nn; i-- > 0;) {
    snode *n = &r->n[i];
    double down = 0;
    for (size_t k = 0; k < n->nusers; k++) {
      const snode *u = &r->n[n->users[k]];
      if (chain[n->users[k]] > down) down = chain[n->users[k]];
      if (picture[n->users[k]] || (!u->join && json_is_number(json_object_get(json_object_get(u->node, "params"), "t0"))))
        picture[i] = true;
    }
    double work = work_of(n);
    chain[i] = work + down;
    json_t *t0 = json_object_get(json_object_get(n->node, "params"), "t0");
    if (json_is_number(t0) && !n->join) n->priority = -piece_order(n, json_number_value(t0), starts, nstarts, ends);
    else if (!n->join && work > 0 && !picture[i] && ends[0] > 0) n->priority = -(ends[0] - 2e-4);
    else n->priority = 1e6 + chain[i];
  }
  free(chain);
  free(starts);
  free(picture);
}

/* The asset op's node for its executor: params.path resolved against the IR's root. */
static json_t *asset_node(const run_t *r, const snode *n) {
  json_t *copy = json_deep_copy(n->node);
  json_t *params = json_object_get(copy, "params");
  const char *p = vsc_sched_jstr(params, "path");
  char full[8300];
  if (p && p[0] != '/') {
    snprintf(full, sizeof full, "%s/%s", r->root, p);
    json_object_set_new(params, "path", json_string(full));
  }
  return copy;
}

void vsc_sched_cpu_start(run_t *r, int i) {
  snode *n = &r->n[i];
  const vsc_op_info *op = vsc_ops_find(n->op);
  bool asset = op && op->id == VSC_OPID_asset;
  vsc_op_fn fn = n->join ? r->o->join : asset ? asset_exec
                                              : vsc_sched_executor(r, n->op);
  if (!fn) {
    char msg[200];
    snprintf(msg, sizeof msg, "no executor for op '%s'", n->op);
    vsc_sched_node_failed(r, i, msg);
    return;
  }
  /* "running" is told when a worker takes it (vsc_sched_cpu_started), not while it waits
   * its turn behind other encodes. A generation on the pool is the local provider's. */
  vsc_sched_cpu_submit(r, i, fn, asset ? asset_node(r, n) : json_incref(n->node),
                       op && op->kind == VSC_OPKIND_PROVIDER ? "local" : "");
}

void vsc_sched_cpu_started(run_t *r, int i) {
  snode *n = &r->n[i];
  if (n->started) return;
  n->started = true;
  n->t0 = vsc_sched_now();
  r->ncpu_running++;
  vsc_sched_event(r, n, "running", NULL);
}

void vsc_sched_cpu_done(run_t *r, vsc_pool_job *job) {
  snode *n = &r->n[job->node];
  /* A start the pool had no memory to tell is told now: running, then done. A queued job
   * dropped by Ctrl-C never started. */
  if (job->err.kind != VSC_FAIL_CANCELED) vsc_sched_cpu_started(r, job->node);
  if (n->started) r->ncpu_running--;
  n->started = false;
  r->ncpu--;
  n->seconds = job->seconds;
  if (job->rc == 0) {
    r->res->executed++;
    vsc_sched_node_done(r, job->node, job->path);
  } else if (job->err.kind == VSC_FAIL_CANCELED) {
    vsc_sched_node_failed(r, job->node, "interrupted");
  } else {
    char msg[700];
    snprintf(msg, sizeof msg, "%s: %s", vsc_fail_kind_name(job->err.kind), job->err.msg);
    vsc_sched_node_failed(r, job->node, msg);
  }
  vsc_pool_job_free(job);
}
