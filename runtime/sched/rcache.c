/*
** The run's side of the shared cache (runtime stage "sched", docs/cache.md): which nodes
** are shared, the look-up behind a local miss in the demand pass, the "cached (remote)"
** events and journal records, and the remote cache's warnings, shown from the scheduler's
** thread. Uploads happen where outputs are committed (pool.c, remote.c).
*/
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "progress.h"
#include "sched.h"
#include "vsc/vsc_ops.h"
#include "vsc/vsc_rcache.h"

bool vsc_sched_rcache_shared(const run_t *r, const snode *n) {
  /* Assets are the user's own files (every machine has them); a part is only ever needed
   * when its node is not found, and its node is what is shared; a placeholder or what was
   * made from one is retried by the next build, never shared. */
  return r->rcache && !n->tainted && !n->degraded && !json_object_get(n->node, "part") &&
         !vsc_ops_is(n->op, VSC_OPID_asset);
}

bool vsc_sched_rcache_fetch(run_t *r, int i) {
  snode *n = &r->n[i];
  if (!vsc_sched_rcache_shared(r, n) || !vsc_rcache_usable(r->rcache)) return false;
  vsc_cache_entry e;
  char why[700];
  int hit = vsc_rcache_fetch(r->rcache, r->cache, n->key, &e, why, sizeof why);
  if (hit == VSC_CACHE_CORRUPT)
    vsc_sched_warn(r, "remote cache %s: %s %.12s: %s; not used", vsc_rcache_name(r->rcache), n->op, n->id, why);
  else if (hit < 0)
    vsc_sched_warn(r, "remote cache %s: %s %.12s: %s", vsc_rcache_name(r->rcache), n->op, n->id, why);
  if (hit != VSC_CACHE_HIT) return false;
  vsc_sched_take_entry(n, &e);
  n->remote_hit = true;
  vsc_cache_entry_clear(&e);
  r->res->remote_cached++;
  return true;
}

void vsc_sched_rcache_warnings(run_t *r) {
  if (!r->rcache) return;
  char msg[700];
  while (vsc_rcache_take_warning(r->rcache, msg, sizeof msg)) vsc_sched_warn(r, "%s", msg);
}

void vsc_sched_rcache_announce(run_t *r) {
  if (!r->rcache) return;
  vsc_sched_rcache_warnings(r);
  r->batching = true;
  for (size_t i = 0; i < r->nn; i++) {
    snode *n = &r->n[i];
    if (!n->remote_hit) continue;
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s}", "event", "node", "state", "cached", "node", n->id, "op", n->op,
                           "from", "remote");
    vsc_sched_place(ev, n);
    if (n->prediction[0]) json_object_set_new(ev, "prediction", json_string(n->prediction));
    vsc_progress_event(r->pg, ev);
    /* Not a call: nothing is paid; what the first build paid is named, for the books. */
    json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s}", "t", "cached", "from", "remote", "node", n->id, "key",
                            n->key, "op", n->op);
    vsc_sched_place(rec, n);
    if (n->prediction[0]) {
      json_object_set_new(rec, "prediction", json_string(n->prediction));
      json_object_set_new(rec, "paid_by_origin", json_real(n->cached_cost));
    }
    vsc_sched_journal(r, rec);
  }
  vsc_sched_journal_flush(r);
}
