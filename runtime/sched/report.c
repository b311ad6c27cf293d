/*
** The end of a run (runtime stage "sched"): its outcome, the output (and its sidecars)
** exported from the cache by hard link or atomic copy, the manifest beside it (what made
** every generation, with its seed and cost), and the report of what failed, degraded or
** was left running.
*/
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "progress.h"
#include "sched.h"
#include "vsc/vsc_ops.h"
#include "vsc/vsc_err.h"

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
      return vsc_err_set(err, errlen, "%s: cannot write: %s", out, strerror(errno));
    }
  }
  if (rename(tmp, out) != 0) {
    unlink(tmp);
    return vsc_err_set(err, errlen, "%s: %s", out, strerror(errno));
  }
  (void)r;
  return 0;
}

static json_t *manifest(run_t *r) {
  json_t *m = json_pack("{s:s, s:i, s:s, s:s, s:f, s:f}", "format", "vsc-manifest", "version", 1,
                        "status", vsc_run_status_name(r->res->status), "provider",
                        r->remote_name ? r->remote_name : "local", "spent", r->res->spent,
                        "seconds", r->res->seconds);
  json_object_set(m, "plan", json_object_get(json_object_get(r->ir, "outputs"), "video"));
  json_object_set_new(m, "budget", r->budget.limit >= 0 ? json_real(r->budget.limit) : json_null());
  /* How the file was made for delivery (the IR's video.deliver), when the script set it. */
  json_t *deliver = json_object_get(json_object_get(r->ir, "video"), "deliver");
  if (deliver) json_object_set(m, "deliver", deliver);
  json_t *scenes = json_array(), *byscene = json_object();
  size_t si;
  json_t *sc;
  json_array_foreach(json_object_get(r->ir, "scenes"), si, sc) {
    const char *name = vsc_sched_jstr(sc, "name");
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
    if (!vsc_ops_is_provider(n->op)) continue;
    {
      json_t *g = json_pack("{s:s, s:s}", "node", n->id, "op", n->op);
      json_object_set(g, "kind", json_object_get(json_object_get(n->node, "params"), "kind"));
      if (n->st == N_DONE && !n->cache_hit) {
        json_object_set_new(g, "model", json_string(n->used_model ? n->used_model : vsc_sched_jstr(n->node, "model") ? vsc_sched_jstr(n->node, "model")
                                                                                                                     : ""));
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
        /* Not here because what uses it came from the shared cache in this run: what made it
         * is there (a local no-op rebuild stays off the network). */
        json_t *shared = !found && r->res->remote_cached > 0 && n->st != N_FAILED && n->st != N_SKIPPED &&
                                 vsc_sched_rcache_shared(r, n)
                           ? vsc_rcache_info(r->rcache, n->ekey)
                           : NULL;
        if (shared) {
          info = shared;
          found = true;
          json_object_set_new(g, "fetched", json_string("remote"));
        }
        static const char *const keys[] = {"model", "provider", "prediction", "seed", "cost", "seconds"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
          json_t *v = json_object_get(info, keys[k]);
          json_object_set(g, keys[k], v ? v : json_null());
        }
        json_object_set_new(g, "cache_hit", json_boolean(found));
        if (json_is_string(json_object_get(info, "fetched"))) json_object_set(g, "fetched", json_object_get(info, "fetched"));
        if (!found) json_object_set_new(g, "state", json_string(n->st == N_FAILED ? "failed" : n->st == N_SKIPPED ? "skipped"
                                                                                                                  : "not run"));
        if (shared) json_decref(shared);
        else if (found) vsc_cache_entry_clear(&e);
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
      if (json) {
        json_t *ev = json_pack("{s:s, s:s, s:s}", "event", "degraded", "node", n->id, "reason", n->reason);
        vsc_sched_place(ev, n);
        vsc_progress_event(r->pg, ev);
      } else if (!quiet) {
        fprintf(out, "degraded: scene %s: %s (placeholder card used)\n", n->scene ? n->scene : "?", n->reason);
      }
    } else if (n->st == N_FAILED) {
      if (json) {
        json_t *ev = json_pack("{s:s, s:s, s:s, s:s}", "event", "failed", "node", n->id, "op", n->op, "reason", n->reason);
        vsc_sched_place(ev, n);
        vsc_progress_event(r->pg, ev);
      } else if (!quiet) {
        char place[300];
        vsc_progress_place(place, sizeof place, n->scene, n->between[0], n->between[1]);
        fprintf(out, "failed: %s %.12s%s: %s\n", n->op, n->id, place, n->reason);
      }
    }
  }
  if (not_run && !json && !quiet) fprintf(out, "interrupted: %d node(s) not run\n", not_run);
  size_t k;
  json_t *l;
  json_array_foreach(r->left, k, l) {
    const char *what = vsc_sched_jstr(l, "action");
    if (json)
      vsc_progress_event(r->pg, json_pack("{s:s, s:O}", "event", "prediction", "detail", l));
    else if (!quiet)
      fprintf(out, "%s: prediction %s (scene %s)%s\n", what ? what : "left running",
              vsc_sched_jstr(l, "prediction") ? vsc_sched_jstr(l, "prediction") : "(id not yet known)",
              vsc_sched_jstr(l, "scene") ? vsc_sched_jstr(l, "scene") : "?",
              what && strcmp(what, "canceled") == 0 ? "" : ": the next build resumes it instead of paying again");
  }
}

/* The output and its sidecars (caption files "srt", "vtt": out.mp4 -> out.srt). */
static void export_outputs(run_t *r, const snode *outn) {
  const vsc_run_options *o = r->o;
  char eerr[512];
  if (export_output(r, outn->path, o->output, eerr, sizeof eerr) != 0) {
    vsc_sched_warn(r, "%s", eerr);
    r->res->status = VSC_RUN_FAILED;
  }
  const char *ok;
  json_t *ov;
  json_object_foreach(json_object_get(r->ir, "outputs"), ok, ov) {
    json_t *op = json_string_value(ov) ? json_object_get(r->byid, json_string_value(ov)) : NULL;
    if (!strcmp(ok, "video") || !op || r->n[json_integer_value(op)].st != N_DONE) continue;
    char side[4200];
    const char *dot = strrchr(o->output, '.'), *slash = strrchr(o->output, '/');
    int stem = dot && (!slash || dot > slash) ? (int)(dot - o->output) : (int)strlen(o->output);
    snprintf(side, sizeof side, "%.*s.%s", stem, o->output, ok);
    if (export_output(r, r->n[json_integer_value(op)].path, side, eerr, sizeof eerr) != 0) vsc_sched_warn(r, "%s", eerr);
  }
}

/* OUT.json beside the output, written whole or not at all. */
static void write_manifest(run_t *r) {
  json_t *m = manifest(r);
  json_object_set_new(m, "output", json_string(r->o->output));
  char mpath[4200], mtmp[4300];
  snprintf(mpath, sizeof mpath, "%s.json", r->o->output);
  snprintf(mtmp, sizeof mtmp, "%s.%ld.tmp", mpath, (long)getpid());
  if (json_dump_file(m, mtmp, JSON_INDENT(2) | JSON_SORT_KEYS) == 0) rename(mtmp, mpath);
  json_decref(m);
}

void vsc_sched_finish(run_t *r, double t0) {
  vsc_run_result *res = r->res;
  const char *out_id = vsc_sched_jstr(json_object_get(r->ir, "outputs"), "video");
  json_t *pos = out_id ? json_object_get(r->byid, out_id) : NULL;
  snode *outn = pos ? &r->n[json_integer_value(pos)] : NULL;
  bool made = outn && outn->st == N_DONE;
  if (r->status == VSC_RUN_OK) {
    if (outn && !made) r->status = VSC_RUN_FAILED;
    else if (res->failed) r->status = VSC_RUN_FAILED;
    else if (res->degraded) r->status = VSC_RUN_PARTIAL;
  }
  res->status = r->status;
  if (made) {
    snprintf(res->output_object, sizeof res->output_object, "%s", outn->path);
    if (r->o->output) export_outputs(r, outn);
  }
  res->seconds = vsc_sched_now() - t0;
  if (r->o->output && made) write_manifest(r);
  report(r);
  if (r->build_logged)
    vsc_sched_journal(r, json_pack("{s:s, s:s, s:f}", "t", "end", "status", vsc_run_status_name(res->status), "spent", res->spent));
  else if (res->executed > 0)
    vsc_sched_journal_free_run(r, res, vsc_run_status_name(res->status));
  vsc_sched_status(r, true);
  json_t *end = json_pack("{s:s, s:s, s:i, s:i, s:f, s:f, s:i, s:i}", "event", "end", "status",
                          vsc_run_status_name(res->status), "executed", res->executed, "cached", res->cached, "spent",
                          res->spent, "seconds", res->seconds, "degraded", res->degraded, "failed", res->failed);
  if (r->rcache) json_object_set_new(end, "remote_cached", json_integer(res->remote_cached));
  vsc_progress_event(r->pg, end);
}
