/*
** Provider calls of a run (runtime stage "sched"): a remote generate/tts node becomes a
** prediction driven by the provider's step(). Each call reserves its worst case against
** the budget and journals its intent before it is sent (intents of one pass share an
** fsync); its output is in the cache before its outcome is journaled. A failed call is
** retried (backoff + jitter, Retry-After), then falls back to the node's next model, then
** degrades to a local placeholder; auth, rate, disk and budget failures stop what is new.
** Calls an earlier run left open are re-attached (or searched for) instead of paid again.
*/
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"
#include "sched.h"
#include "vsc/vsc_ops.h"
#include "vsc/vsc_price.h"

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
  vsc_sched_stop_unsafe(r, why);
  return false;
}

void vsc_sched_add_known(snode *n, const char *id) {
  for (size_t k = 0; k < n->nknown; k++)
    if (strcmp(n->known[k], id) == 0) return;
  char **nk = realloc(n->known, (n->nknown + 1) * sizeof *nk);
  if (!nk) return;
  n->known = nk;
  n->known[n->nknown++] = strdup(id);
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
    vsc_sched_node_failed(r, i, why);
    return;
  }
  if (err->kind == VSC_FAIL_CANCELED && vsc_sched_interrupted) {
    vsc_sched_node_failed(r, i, "interrupted");
    return;
  }
  if (err->kind == VSC_FAIL_RATE) { /* per account: another model would be throttled too */
    r->stop_new = true;
    if (r->status == VSC_RUN_OK || r->status == VSC_RUN_PARTIAL) r->status = VSC_RUN_RATE;
    vsc_sched_node_failed(r, i, why);
    return;
  }
  if (err->kind == VSC_FAIL_DISK) {
    vsc_sched_stop_unsafe(r, why);
    vsc_sched_node_failed(r, i, why);
    return;
  }
  if (err->kind == VSC_FAIL_UNRESOLVED) { /* no new money for it: the next build re-attaches */
    vsc_sched_degrade(r, i, why);
    return;
  }
  if (r->stop_new) {
    vsc_sched_node_failed(r, i, why);
    return;
  }
  bool transient = err->kind == VSC_FAIL_TRANSIENT || err->kind == VSC_FAIL_CANCELED;
  if (transient && n->attempt < n->attempts) {
    double delay = n->backoff * pow(2.0, n->attempt - 1) * (0.75 + 0.5 * jitter01());
    if (err->retry_after > delay) delay = err->retry_after;
    n->attempt++;
    vsc_sched_journal(r, json_pack("{s:s, s:s, s:s, s:i, s:f, s:s}", "t", "retry", "node", n->id, "model",
                                   model, "attempt", n->attempt, "delay", delay, "kind",
                                   vsc_fail_kind_name(err->kind)));
    n->st = N_BACKOFF;
    n->backoff_until = vsc_sched_now() + delay;
    r->nbackoff++;
    char msg[800];
    snprintf(msg, sizeof msg, "%s; retry %d/%d in %.1fs", why, n->attempt, n->attempts, delay);
    vsc_sched_event(r, n, "retry", msg);
    return;
  }
  if (n->mi + 1 < n->nmodels) {
    n->mi++;
    n->attempt = 1;
    vsc_sched_journal(r, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "t", "fallback", "node", n->id, "from",
                                   model, "to", n->models[n->mi], "kind", vsc_fail_kind_name(err->kind),
                                   "msg", err->msg));
    char msg[800];
    snprintf(msg, sizeof msg, "%s; falling back to %s", why, n->models[n->mi]);
    vsc_sched_event(r, n, "fallback", msg);
    n->st = N_READY;
    vsc_sched_push(&r->rq, &r->nrq, &r->caprq, i);
    return;
  }
  vsc_sched_degrade(r, i, why);
}

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
  vsc_cache_tmp_path(r->cache, n->ekey, vsc_ops_ext(n->node, eb), n->tmp, sizeof n->tmp);
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
    vsc_sched_node_failed(r, i, "not started: the cache has no room for its output");
    return 1;
  }
  if (vsc_budget_reserve(&r->budget, max) != 0) return 0;
  n->reserved = max;
  n->estimate = est;
  n->used_model = req.model;
  snprintf(n->call, sizeof n->call, "%s.%lu", r->build, ++r->seq);
  if (vsc_sched_journal(r, json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:i, s:f, s:f}", "t", "intent", "call",
                                     n->call, "node", n->id, "key", n->ekey, "scene", n->scene, "model",
                                     req.model, "provider", r->remote->vt->name, "attempt", n->attempt,
                                     "estimate", est, "reserved", max)) != 0) {
    vsc_budget_settle(&r->budget, max, 0);
    vsc_sched_node_failed(r, i, "not started: its intent could not be journaled");
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
    vsc_sched_journal(r, json_pack("{s:s, s:s, s:s, s:f, s:b, s:s, s:s}", "t", "done", "call", n->call,
                                   "outcome", "failed", "cost", 0.0, "cost_known", 1, "kind",
                                   vsc_fail_kind_name(err.kind), "msg", err.msg));
    vsc_budget_settle(&r->budget, n->reserved, 0);
    unlink(n->tmp);
    remote_failed(r, i, &err);
    return;
  }
  n->pred = pred;
  n->st = N_REMOTE;
  vsc_sched_push(&r->inflight, &r->ninflight, &r->capinflight, i);
  vsc_sched_event(r, n, "running", NULL);
}

void vsc_sched_remote_reattach(run_t *r, int i) {
  snode *n = &r->n[i];
  vsc_op_error err;
  memset(&err, 0, sizeof err);
  if (ensure_remote(r, &err) != 0) {
    remote_failed(r, i, &err);
    return;
  }
  /* Resume with the model the earlier run was using. */
  char eb[12];
  vsc_cache_tmp_path(r->cache, n->ekey, vsc_ops_ext(n->node, eb), n->tmp, sizeof n->tmp);
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
    vsc_sched_journal(r, json_pack("{s:s, s:s, s:s}", "t", "search", "call", n->call, "node", n->id));
  else
    vsc_sched_journal(r, json_pack("{s:s, s:s, s:s, s:s}", "t", "reattach", "call", n->call, "prediction",
                                   n->reattach_id, "node", n->id));
  vsc_pred *pred = NULL;
  r->res->reattached++;
  if (r->remote->vt->reattach(r->remote, &pred, &req, n->search ? NULL : n->reattach_id, n->search_since,
                              &err) != 0 ||
      !pred) {
    vsc_sched_journal(r, json_pack("{s:s, s:s, s:s, s:f, s:b, s:s, s:s}", "t", "done", "call", n->call,
                                   "outcome", "failed", "cost", 0.0, "cost_known", 0, "kind",
                                   vsc_fail_kind_name(err.kind), "msg", err.msg));
    vsc_budget_settle(&r->budget, n->reserved, 0);
    n->reattach_id[0] = 0;
    n->st = n->pending > 0 ? N_WAIT : N_READY;
    if (n->st == N_READY) vsc_sched_push(&r->rq, &r->nrq, &r->caprq, i);
    return;
  }
  n->reattach_id[0] = 0;
  n->pred = pred;
  n->st = N_REMOTE;
  vsc_sched_push(&r->inflight, &r->ninflight, &r->capinflight, i);
  vsc_sched_event(r, n, "reattach", n->prediction);
}

/* A call that exists (or may) but cannot be finished now: it may still be paid. It stays
 * open for the next run (which re-attaches), charged at its cost, or at the reservation if
 * that is unknown. */
static void end_left(run_t *r, int i, const vsc_pred_status *st, bool known, double cost) {
  snode *n = &r->n[i];
  json_t *rec = json_pack("{s:s, s:s, s:s?, s:s, s:s}", "t", "left", "call", n->call, "prediction",
                          n->prediction[0] ? n->prediction : NULL, "kind", vsc_fail_kind_name(st->err.kind),
                          "msg", st->err.msg);
  if (known) {
    json_object_set_new(rec, "cost", json_real(cost));
    json_object_set_new(rec, "cost_known", json_true());
  }
  vsc_sched_journal(r, rec);
  if (n->prediction[0])
    json_array_append_new(r->left, json_pack("{s:s, s:s?}", "prediction", n->prediction, "scene", n->scene));
  vsc_budget_settle(&r->budget, n->reserved, known ? cost : n->reserved);
  r->res->spent += known ? cost : 0;
  r->remote->vt->release(n->pred);
  n->pred = NULL;
  unlink(n->tmp);
  remote_failed(r, i, &st->err);
}

/* A call that succeeded: its output goes into the cache, then the call is closed. */
static void end_succeeded(run_t *r, int i, const vsc_pred_status *st, bool known, double cost) {
  snode *n = &r->n[i];
  n->seconds = vsc_sched_now() - n->t0;
  n->cost = cost;
  json_t *info = vsc_sched_cache_info(r, n, r->remote->vt->name);
  json_object_set_new(info, "prediction", json_string(n->prediction));
  json_object_set_new(info, "cost", json_real(cost));
  json_object_set_new(info, "cost_known", json_boolean(known)); /* a resume closes the call with it */
  json_object_set_new(info, "seconds", json_real(n->seconds));
  if (st->seed >= 0) json_object_set_new(info, "seed", json_integer(st->seed));
  vsc_cache_entry e;
  char cerr[512];
  /* The paid output goes into the cache first; only then is the call closed. */
  int rc = vsc_cache_commit(r->cache, n->ekey, n->tmp, vsc_ops_ext(n->node, (char[12]){0}), info, &e, cerr, sizeof cerr);
  json_decref(info);
  /* Stored: the call is done. Not stored (disk full): it stays open, with its charge, so
   * the next run fetches the same output again instead of paying for a new one. */
  if (rc == 0)
    vsc_sched_journal(r, json_pack("{s:s, s:s, s:s, s:f, s:b, s:s, s:s?}", "t", "done", "call", n->call,
                                   "outcome", "succeeded", "cost", cost, "cost_known", known, "sha256",
                                   e.sha256, "text", st->text));
  else
    vsc_sched_journal(r, json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:b}", "t", "left", "call", n->call,
                                   "prediction", n->prediction, "kind", "disk", "msg", cerr, "cost", cost,
                                   "cost_known", known));
  vsc_budget_settle(&r->budget, n->reserved, cost);
  r->res->spent += cost;
  r->remote->vt->release(n->pred);
  n->pred = NULL;
  if (rc == 0) {
    /* A paid output is shared before its node is done: no machine pays for it again. */
    if (vsc_sched_rcache_shared(r, n)) vsc_rcache_store(r->rcache, n->ekey, vsc_ops_ext(n->node, (char[12]){0}), &e);
    vsc_sched_node_done(r, i, e.path);
    vsc_cache_entry_clear(&e);
  } else {
    /* Paid, and the cache cannot take it: stop spending (a full disk, an unwritable cache). */
    vsc_op_error ce;
    vsc_op_fail(&ce, VSC_FAIL_DISK, "storing the output: %s", cerr);
    remote_failed(r, i, &ce);
  }
}

/* A call that failed or was canceled: closed, and its failure decides what comes next. */
static void end_failed(run_t *r, int i, const vsc_pred_status *st, bool known, double cost) {
  snode *n = &r->n[i];
  vsc_op_error e2 = st->err;
  if (e2.kind == VSC_FAIL_NONE) e2.kind = st->state == VSC_PRED_CANCELED ? VSC_FAIL_CANCELED : VSC_FAIL_LOCAL;
  if (!e2.msg[0]) snprintf(e2.msg, sizeof e2.msg, "prediction %s", vsc_pred_state_name(st->state));
  vsc_sched_journal(r, json_pack("{s:s, s:s, s:s, s:f, s:b, s:s, s:s, s:s?}", "t", "done", "call", n->call,
                                 "outcome", st->state == VSC_PRED_CANCELED ? "canceled" : "failed", "cost",
                                 known ? cost : 0.0, "cost_known", known, "kind",
                                 vsc_fail_kind_name(e2.kind), "msg", e2.msg, "text", st->text));
  /* An unknown cost of a failure keeps the worst case charged (never under-count). */
  vsc_budget_settle(&r->budget, n->reserved, cost);
  r->res->spent += known ? cost : 0;
  r->remote->vt->release(n->pred);
  n->pred = NULL;
  unlink(n->tmp);
  remote_failed(r, i, &e2);
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
    vsc_sched_add_known(n, st.id);
    vsc_sched_journal(r, json_pack("{s:s, s:s, s:s}", "t", "started", "call", n->call, "prediction", st.id));
  }
  if (st.state != VSC_PRED_SUCCEEDED && st.state != VSC_PRED_FAILED && st.state != VSC_PRED_CANCELED)
    return false;
  bool known = st.cost >= 0;
  double cost = known ? st.cost : n->reserved;
  n->seed = st.seed;
  if (st.state == VSC_PRED_FAILED && st.err.kind == VSC_FAIL_ABSENT) {
    /* The earlier run's create never happened: nothing was paid; start the call anew. */
    vsc_sched_journal(r, json_pack("{s:s, s:s, s:s, s:f, s:b, s:s}", "t", "done", "call", n->call, "outcome",
                                   "not-created", "cost", 0.0, "cost_known", 1, "msg", st.err.msg));
    vsc_budget_settle(&r->budget, n->reserved, 0);
    r->remote->vt->release(n->pred);
    n->pred = NULL;
    n->search = false;
    n->st = N_READY;
    vsc_sched_push(&r->rq, &r->nrq, &r->caprq, i);
    return true;
  }
  bool keep = st.err.kind == VSC_FAIL_AUTH || st.err.kind == VSC_FAIL_UNRESOLVED || st.err.kind == VSC_FAIL_DISK;
  if (st.state == VSC_PRED_FAILED && keep && (n->prediction[0] || st.err.kind == VSC_FAIL_UNRESOLVED))
    end_left(r, i, &st, known, cost);
  else if (st.state == VSC_PRED_SUCCEEDED)
    end_succeeded(r, i, &st, known, cost);
  else
    end_failed(r, i, &st, known, cost);
  return true;
}

void vsc_sched_remote_interrupt(run_t *r) {
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
          vsc_sched_remove(r->inflight, &r->ninflight, i);
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
          vsc_sched_journal(r, json_pack("{s:s, s:s, s:s}", "t", "started", "call", n->call, "prediction", st.id));
        }
        if (!st.id[0]) all = false;
      }
      if (all || vsc_sched_now() >= deadline) break;
      r->remote->vt->step(r->remote, 0.1);
    }
  }
  for (size_t k = 0; k < r->ninflight; k++) {
    snode *n = &r->n[r->inflight[k]];
    vsc_sched_journal(r, json_pack("{s:s, s:s, s:s?}", "t", "left", "call", n->call, "prediction", n->prediction[0] ? n->prediction : NULL));
    json_array_append_new(r->left, json_pack("{s:s, s:s?, s:s?}", "action", "left running", "prediction", n->prediction[0] ? n->prediction : NULL, "scene", n->scene));
    r->remote->vt->release(n->pred);
    n->pred = NULL;
    unlink(n->tmp);
  }
  r->ninflight = 0;
}

void vsc_sched_remote_poll(run_t *r) {
  for (size_t k = 0; k < r->ninflight;) {
    int i = r->inflight[k];
    if (poll_remote(r, i)) vsc_sched_remove(r->inflight, &r->ninflight, i);
    else k++;
  }
}

/* Nothing in flight could free money and the next call may exceed the budget: the build
 * stops, and every queued call fails with the figures. */
static void budget_stop(run_t *r) {
  /* Nothing in flight could free money: these calls could exceed the budget. */
  int i = r->rq[0];
  snode *n = &r->n[i];
  const json_t *cost = json_object_get(n->node, "cost");
  double need = json_number_value(json_object_get(cost, "max"));
  vsc_sched_journal(r, json_pack("{s:s, s:s, s:s, s:f, s:f, s:f}", "t", "budget-stop", "node", n->id,
                                 "model", n->models[n->mi], "need", need, "spent", r->budget.spent,
                                 "budget", r->budget.limit));
  char msg[300];
  snprintf(msg, sizeof msg, "budget: $%.2f spent of $%.2f, the next call may cost $%.2f", r->budget.spent, r->budget.limit, need);
  r->stop_new = true;
  r->status = VSC_RUN_BUDGET;
  while (r->nrq) {
    int j = r->rq[0];
    vsc_sched_remove(r->rq, &r->nrq, j);
    vsc_sched_node_failed(r, j, msg);
  }
}

void vsc_sched_remote_wake(run_t *r, double now, double *next) {
  if (!r->nbackoff) return;
  for (size_t i = 0; i < r->nn; i++) {
    snode *n = &r->n[i];
    if (n->st != N_BACKOFF) continue;
    if (r->stop_new) {
      r->nbackoff--;
      vsc_sched_node_failed(r, (int)i, r->status == VSC_RUN_INTERRUPTED ? "interrupted" : "stopped");
    } else if (n->backoff_until <= now) {
      r->nbackoff--;
      n->st = N_READY;
      vsc_sched_push(&r->rq, &r->nrq, &r->caprq, (int)i);
    } else if (n->backoff_until < *next) {
      *next = n->backoff_until;
    }
  }
}

void vsc_sched_remote_start(run_t *r) {
  int limit = r->o->remote_jobs > 0 ? r->o->remote_jobs : 16;
  int *batch = NULL;
  size_t nbatch = 0, capbatch = 0;
  r->batching = true;
  for (size_t k = 0; k < r->nrq;) {
    int i = r->rq[k];
    snode *n = &r->n[i];
    if (r->stop_new) {
      vsc_sched_remove(r->rq, &r->nrq, i);
      vsc_sched_node_failed(r, i, r->status == VSC_RUN_INTERRUPTED ? "interrupted" : "not started: the build stopped");
      continue;
    }
    if (n->reattach_id[0] || n->search) {
      vsc_sched_remove(r->rq, &r->nrq, i);
      vsc_sched_remote_reattach(r, i);
      continue;
    }
    if ((int)(r->ninflight + nbatch) >= limit) break;
    int pr = prepare_remote(r, i);
    if (pr) {
      vsc_sched_remove(r->rq, &r->nrq, i);
      if (pr == 2) vsc_sched_push(&batch, &nbatch, &capbatch, i);
      continue;
    }
    k++; /* the budget cannot take it now */
  }
  /* Every intent of the batch is on disk before any request goes out. */
  vsc_sched_journal_flush(r);
  for (size_t k = 0; k < nbatch; k++) {
    if (!r->stop_new) {
      send_remote(r, batch[k]);
      continue;
    }
    /* The intents did not reach the disk: nothing is sent. */
    vsc_budget_settle(&r->budget, r->n[batch[k]].reserved, 0);
    vsc_sched_node_failed(r, batch[k], "not started: the build stopped");
  }
  free(batch);
  if (r->nrq && !r->stop_new && r->budget.reserved <= 0 && r->ninflight == 0) budget_stop(r);
}
