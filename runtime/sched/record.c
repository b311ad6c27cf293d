/*
** Records of a run (runtime stage "sched"): progress events and warnings for the user, and
** the journal records that every paid call writes before money moves. A journal that
** cannot be written stops all new spending (stop_unsafe).
*/
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "progress.h"
#include "sched.h"

void vsc_sched_place(json_t *o, const snode *n) {
  if (n->scene) json_object_set_new(o, "scene", json_string(n->scene));
  if (n->between[0]) json_object_set_new(o, "between", json_pack("[ss]", n->between[0], n->between[1]));
}

void vsc_sched_event(run_t *r, const snode *n, const char *state, const char *msg) {
  json_t *ev = json_pack("{s:s, s:s, s:s, s:s}", "event", "node", "state", state, "node", n->id,
                         "op", n->op);
  vsc_sched_place(ev, n);
  const json_t *part = json_object_get(n->node, "part");
  if (part) { /* a piece of another node (a chunk of a long body): "part": "2/3", "of": id */
    char place[48];
    snprintf(place, sizeof place, "%lld/%lld", (long long)json_integer_value(json_object_get(part, "index")) + 1,
             (long long)json_integer_value(json_object_get(part, "count")));
    json_object_set_new(ev, "part", json_string(place));
    json_object_set(ev, "of", json_object_get(part, "of"));
  }
  if (n->used_model) json_object_set_new(ev, "model", json_string(n->used_model));
  if (msg && *msg) json_object_set_new(ev, "msg", json_string(msg));
  if (strcmp(state, "done") == 0 || strcmp(state, "degraded") == 0) {
    json_object_set_new(ev, "seconds", json_real(n->seconds));
    if (n->remote) json_object_set_new(ev, "cost", json_real(n->cost));
  }
  if (n->prediction[0]) json_object_set_new(ev, "prediction", json_string(n->prediction));
  vsc_progress_event(r->pg, ev);
}

void vsc_sched_warn(run_t *r, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  vsc_progress_event(r->pg, json_pack("{s:s, s:s}", "event", "warning", "msg", msg));
}

static double segment_seconds(const snode *n) {
  return json_number_value(json_object_get(json_object_get(n->node, "params"), "duration"));
}

/* Seconds of picture composed, of the segments this run needs: what an editor waits for. A
 * body rendered in parts counts each part as it is done. */
static void video_seconds(const run_t *r, double *done, double *total) {
  *done = *total = 0;
  for (size_t i = 0; i < r->nn; i++) {
    const snode *n = &r->n[i];
    if (!n->needed || strcmp(n->op, "segment") != 0 || json_object_get(n->node, "part")) continue;
    *total += segment_seconds(n);
    if (n->st == N_DONE) {
      *done += segment_seconds(n);
    } else if (n->join) {
      for (size_t k = 0; k < n->nin; k++)
        if (r->n[n->in[k]].st == N_DONE) *done += segment_seconds(&r->n[n->in[k]]);
    }
  }
}

void vsc_sched_status(run_t *r, bool force) {
  int running = r->ncpu_running + (int)r->ninflight;
  int queued = r->needed_count - r->done_count - running;
  double done = 0, total = 0;
  if (r->pg && vsc_progress_get_mode(r->pg) == VSC_PROGRESS_TTY) video_seconds(r, &done, &total);
  vsc_progress_status(r->pg, r->done_count, running, queued < 0 ? 0 : queued, done, total, r->budget.spent,
                      r->budget.limit, force);
}

/* The run's own record (new): what it builds, its budget and provider. */
static json_t *build_record(const run_t *r) {
  const char *plan = vsc_sched_jstr(json_object_get(r->ir, "outputs"), "video");
  json_t *b = json_pack("{s:s, s:s, s:s?, s:s, s:i}", "t", "build", "build", r->build, "plan",
                        plan, "provider", r->remote_name ? r->remote_name : "local", "pid",
                        (int)getpid());
  json_object_set_new(b, "budget", r->budget.limit >= 0 ? json_real(r->budget.limit) : json_null());
  return b;
}

int vsc_sched_journal(run_t *r, json_t *rec) {
  char err[256];
  int rc = 0;
  if (!r->build_logged) {
    r->build_logged = true;
    json_t *b = build_record(r);
    if (vsc_journal_append(r->journal, b, err, sizeof err) != 0) {
      vsc_sched_stop_unsafe(r, err);
      rc = -1;
    }
    json_decref(b);
  }
  json_object_set_new(rec, "build", json_string(r->build));
  if (vsc_journal_write(r->journal, rec, !r->batching, err, sizeof err) != 0) {
    vsc_sched_stop_unsafe(r, err);
    rc = -1;
  }
  if (r->batching) r->dirty = true;
  json_decref(rec);
  return rc;
}

void vsc_sched_journal_flush(run_t *r) {
  r->batching = false;
  if (!r->dirty) return;
  r->dirty = false;
  char err[256];
  if (vsc_journal_sync(r->journal, err, sizeof err) != 0) vsc_sched_stop_unsafe(r, err);
}

void vsc_sched_stop_unsafe(run_t *r, const char *why) {
  if (r->status == VSC_RUN_UNSAFE) return;
  vsc_sched_warn(r, "%s: stopping before anything more is spent (nothing paid is lost: the next build "
                    "takes up what was started)",
                 why);
  r->stop_new = true;
  r->status = VSC_RUN_UNSAFE;
}

/* A run that did work and paid for none of it (local provider, or every paid output
 * cached) is in the ledger too, at $0: its build and end records, written once it is over
 * (before, there was nothing to protect). Not money: an error here stops nothing. */
void vsc_sched_journal_free_run(run_t *r, const vsc_run_result *res, const char *status) {
  char err[256];
  json_t *b = build_record(r);
  json_t *e = json_pack("{s:s, s:s, s:s, s:f}", "t", "end", "build", r->build, "status", status, "spent", res->spent);
  if (vsc_journal_write(r->journal, b, false, err, sizeof err) == 0 &&
      vsc_journal_write(r->journal, e, false, err, sizeof err) == 0)
    vsc_journal_sync(r->journal, err, sizeof err);
  json_decref(b);
  json_decref(e);
}
