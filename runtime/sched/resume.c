/*
** Resuming paid calls (runtime stage "sched"): the journal's calls that an earlier run
** started and never closed. A call whose output reached the cache is closed; one of
** another provider is recorded as possibly paid; one with a prediction id is re-attached;
** one killed while its create was in flight is searched for. Never simply created again.
*/
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "progress.h"
#include "sched.h"

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
    const char *t = vsc_sched_jstr(rec, "t"), *call = vsc_sched_jstr(rec, "call");
    if (!t || !call) continue;
    if (strcmp(t, "intent") == 0 && vsc_sched_jstr(rec, "key")) json_object_set(keys, call, json_object_get(rec, "key"));
    const char *pred = vsc_sched_jstr(rec, "prediction"), *key = json_string_value(json_object_get(keys, call));
    if (!pred || !key) continue;
    for (size_t k = 0; k < r->nn; k++)
      if (r->n[k].remote && strcmp(r->n[k].key, key) == 0) vsc_sched_add_known(&r->n[k], pred);
  }
  json_decref(keys);
}

/* Whether the cache holds the output that prediction `pred` made for a node this build does
 * not need (its users are cached), with the charge its commit recorded. */
static bool stored_by(run_t *r, snode *n, const char *pred) {
  vsc_cache_entry e;
  char why[300];
  if (!pred || vsc_cache_lookup(r->cache, n->key, false, &e, why, sizeof why) != VSC_CACHE_HIT) return false;
  const char *made_by = json_string_value(json_object_get(e.info, "prediction"));
  bool ours = made_by && !strcmp(made_by, pred);
  if (ours) {
    snprintf(n->prediction, sizeof n->prediction, "%s", made_by);
    n->cached_cost = json_number_value(json_object_get(e.info, "cost"));
    n->cached_cost_known = json_is_true(json_object_get(e.info, "cost_known"));
  }
  vsc_cache_entry_clear(&e);
  return ours;
}

void vsc_sched_resume(run_t *r) {
  /* Only a plan with remote nodes can have open calls (also a fully cached one: an earlier
   * run may have stored an output and died before closing its call, whose charge must still
   * reach the ledger). A local build skips the read. */
  bool any = false;
  for (size_t i = 0; i < r->nn && !any; i++) any = r->n[i].remote;
  if (!any) return;
  char path[4200], err[256];
  snprintf(path, sizeof path, "%s/journal.jsonl", r->cache_dir);
  json_t *records = NULL;
  if (vsc_journal_read(&records, path, err, sizeof err) != 0) {
    vsc_sched_warn(r, "%s", err);
    return;
  }
  json_t *open = vsc_journal_open_calls(records);
  known_ids(r, records);
  json_decref(records);
  const char *call;
  json_t *c;
  json_object_foreach(open, call, c) {
    const char *key = vsc_sched_jstr(c, "key"), *pred = vsc_sched_jstr(c, "prediction");
    int idx = -1;
    for (size_t i = 0; key && i < r->nn; i++)
      if (strcmp(r->n[i].key, key) == 0) idx = (int)i;
    if (idx < 0) continue; /* another plan's call: left for the build that needs it */
    snode *n = &r->n[idx];
    if (n->cache_hit || !n->needed) {
      /* Its output reached the cache before the process died (or nothing needs it now):
       * closed with the charge the commit recorded when that prediction made it, else as
       * possibly paid in full. */
      bool stored = n->cache_hit || stored_by(r, n, pred);
      bool priced = stored && n->cached_cost_known && pred && !strcmp(pred, n->prediction);
      vsc_sched_journal(r, json_pack("{s:s, s:s, s:s, s:f, s:b, s:b}", "t", "done", "call", call, "outcome",
                                     stored ? "succeeded" : "abandoned", "cost",
                                     priced ? n->cached_cost : json_number_value(json_object_get(c, "reserved")),
                                     "cost_known", priced, "recovered", 1));
      continue;
    }
    if (!n->remote || strcmp(vsc_sched_jstr(c, "provider") ? vsc_sched_jstr(c, "provider") : "", r->remote_name ? r->remote_name : "") != 0) {
      /* Another provider's call: this run cannot look for it. */
      vsc_sched_journal(r, json_pack("{s:s, s:s, s:s, s:O, s:b, s:s}", "t", "done", "call", call, "outcome",
                                     "lost", "cost", json_object_get(c, "reserved"), "cost_known", 0, "msg",
                                     "started with another provider; recorded as possibly paid"));
      continue;
    }
    if (!pred) {
      /* Killed while its create was in flight (e.g. held by Prefer: wait): find it by listing
       * once the inputs exist, or prove it never happened. Never simply create it again. */
      n->search = true;
      n->search_since = iso_epoch(vsc_sched_jstr(c, "time"));
      snprintf(n->reattach_call, sizeof n->reattach_call, "%s", call);
      n->reattach_reserved = json_number_value(json_object_get(c, "reserved"));
      const char *model = vsc_sched_jstr(c, "model");
      for (int m = 0; model && m < n->nmodels; m++)
        if (strcmp(n->models[m], model) == 0) n->mi = m;
      continue;
    }
    snprintf(n->reattach_id, sizeof n->reattach_id, "%s", pred);
    snprintf(n->reattach_call, sizeof n->reattach_call, "%s", call);
    n->reattach_reserved = json_number_value(json_object_get(c, "reserved"));
    const char *model = vsc_sched_jstr(c, "model");
    for (int m = 0; model && m < n->nmodels; m++)
      if (strcmp(n->models[m], model) == 0) n->mi = m;
  }
  json_decref(open);
}
