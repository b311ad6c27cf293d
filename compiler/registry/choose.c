/* Model choice (registry stage): which declared model makes a shot (class, tier, frame
 * shape, length, price) and which version of it runs (the lock's or the registry's). */
#include <math.h>
#include <string.h>

#include "registry/call.h"
#include "registry/lock.h"
#include "registry/registry.h"

static int gcd(int a, int b) { return b ? gcd(b, a % b) : a; }

const char *vsc_registry_aspect(vsc_session *s, int w, int h) {
  int g = gcd(w, h);
  return vsc_arena_printf(s->arena, "%d:%d", w / g, h / g);
}

bool vsc_registry_makes_aspect(const vsc_model_decl *m, int w, int h) {
  if (!m->naspects || w <= 0 || h <= 0) return true; /* no shape asked for */
  double want = (double)w / h;
  for (int i = 0; i < m->naspects; i++)
    if (fabs(m->aspects[i][0] / m->aspects[i][1] - want) < 0.02) return true;
  return false;
}

/* Expected price of one call of m (for choosing between models). */
static double model_cost(const vsc_model_decl *m, double seconds, size_t characters) {
  vsc_call_need need = {.seconds = seconds, .characters = characters};
  vsc_price pr;
  vsc_call_price(&pr, m, &need);
  return pr.estimate;
}

/* Picks a model of the class: right tier first, able to make the frame, then cheapest. */
const vsc_model_decl *vsc_registry_choose(vsc_session *s, const vsc_model_need *need) {
  if (need->explicit_model) return need->explicit_model;
  const vsc_model_decl *best = NULL;
  int best_rank = 99;
  double best_cost = 0;
  for (int i = 0; i < s->nmodels; i++) {
    const vsc_model_decl *m = s->models[i];
    if (strcmp(m->klass, need->klass) != 0) continue;
    /* Must make the frame; should make the whole shot; should be of the tier. */
    int rank = 0;
    if (!vsc_registry_makes_aspect(m, need->width, need->height)) rank += 4;
    if (need->seconds > 0 && vsc_call_duration(m, need->seconds) < need->seconds - 1e-6) rank += 2;
    if ((strcmp(m->tier, "final") == 0) != need->final) rank += 1;
    double cost = model_cost(m, need->seconds, need->characters);
    if (!best || rank < best_rank || (rank == best_rank && cost < best_cost)) {
      best = m;
      best_rank = rank;
      best_cost = cost;
    }
  }
  return best && best_rank < 4 ? best : NULL;
}

/* The version a model runs at: the lock's (vsc models pull) or else the registry's; NULL
 * floats (the provider runs its latest). A lock that disagrees with the registry wins, with a
 * warning at the scene that uses the model. */
const char *vsc_registry_version(vsc_session *s, const vsc_model_decl *m, vsc_scene_spec *sc) {
  vsc_lock_entry lk;
  char lerr[4400];
  const char *version = m->version;
  if (vsc_lock_find(&lk, s->root_dir, m->ref, lerr, sizeof lerr) > 0) {
    if (lk.version[0]) {
      if (m->version && strcmp(m->version, lk.version) != 0 && sc && sc->node)
        vsc_warning(s->diags, sc->src, sc->model_node ? sc->model_node->kw : sc->node->kw,
                    "'vsc models pull' refreshes the lock; or update the registry's 'version'",
                    "'%s' is locked at version %.12s in %s, but the registry pins %.12s; the lock wins",
                    m->ref, lk.version, lk.path, m->version);
      version = vsc_arena_strdup(s->arena, lk.version);
    }
    vsc_lock_entry_clear(&lk);
  }
  return version;
}
