/* `with { … }` against a model's schema (registry stage): the registry's `param` lines and,
 * when the script's folder has a lock for the model, the schema the provider published. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "registry/lock.h"
#include "registry/registry.h"
#include "vsc/vsc_strings.h"

#define ERR(src, span, hint, ...) vsc_error(s->diags, VSC_STAGE_CHECK, src, span, hint, __VA_ARGS__)

/* One `with` value against the registry's `param` line for it. Returns false when it is
 * reported (then the locked schema is not consulted). */
static bool registry_accepts(vsc_session *s, vsc_scene_spec *sc, const vsc_model_decl *m, const char *key,
                             json_t *value, vsc_span span, vsc_span vspan) {
  const vsc_param_decl *pd = NULL;
  for (int i = 0; i < m->nparams; i++)
    if (strcmp(m->params[i].name, key) == 0) pd = &m->params[i];
  if (!pd) {
    const char *names[VSC_MODEL_PARAMS_MAX];
    for (int i = 0; i < m->nparams; i++) names[i] = m->params[i].name;
    const char *close = vsc_closest(key, names, (size_t)m->nparams);
    char h[128];
    if (close) snprintf(h, sizeof h, "did you mean '%s'?", close);
    else snprintf(h, sizeof h, "'vsc models' lists the parameters of '%s'", m->name);
    vsc_source *src = sc->with_src ? sc->with_src : sc->src;
    ERR(src, span, h, "model '%s' has no parameter '%s'", m->ref, key);
    if (close) vsc_diag_fix(s->diags, src, span, close);
    return false;
  }
  const char *t = pd->type;
  bool ok = strcmp(t, "string") == 0 || strcmp(t, "file") == 0 ? json_is_string(value)
          : strcmp(t, "int") == 0                              ? json_is_integer(value)
          : strcmp(t, "number") == 0                           ? json_is_number(value)
          : strcmp(t, "bool") == 0                             ? json_is_boolean(value)
                                                               : true;
  if (!ok) {
    ERR(sc->src, vspan, NULL, "parameter '%s' of '%s' must be %s %s", key, m->ref, strcmp(t, "int") == 0 ? "an" : "a",
        strcmp(t, "int") == 0 ? "integer" : t);
    return false;
  }
  if (json_is_number(value)) {
    double x = json_number_value(value);
    if ((pd->has_min && x < pd->min) || (pd->has_max && x > pd->max)) {
      char h[96];
      snprintf(h, sizeof h, "'%s' ranges from %g to %g", key, pd->has_min ? pd->min : -INFINITY,
               pd->has_max ? pd->max : INFINITY);
      ERR(sc->src, vspan, h, "parameter '%s' = %g is out of range", key, x);
      return false;
    }
  }
  if (pd->enums && json_array_size(pd->enums)) {
    bool found = false;
    size_t i;
    json_t *e;
    json_array_foreach(pd->enums, i, e)
      if (json_equal(e, value)) found = true;
    if (!found) {
      char *list = json_dumps(pd->enums, JSON_COMPACT | JSON_ENCODE_ANY);
      ERR(sc->src, vspan, NULL, "parameter '%s' must be one of %s", key, list);
      free(list);
      return false;
    }
  }
  return true;
}

/* One `with` value the registry accepts, against the schema the provider published. */
static void lock_accepts(vsc_session *s, vsc_scene_spec *sc, const vsc_model_decl *m, const vsc_lock_entry *lk,
                         const char *lhint, const char *key, json_t *value, vsc_span span, vsc_span vspan) {
  char what[600];
  switch (vsc_lock_check_param(lk->input, key, value, what, sizeof what)) {
  case VSC_LOCK_PARAM_OK: break;
  case VSC_LOCK_PARAM_UNKNOWN:
    ERR(sc->src, span, lhint, "model '%s' has no parameter '%s' in its locked schema", m->ref, key);
    break;
  case VSC_LOCK_PARAM_TYPE:
    ERR(sc->src, vspan, lhint, "parameter '%s' of '%s' must be %s (locked schema)", key, m->ref, what);
    break;
  case VSC_LOCK_PARAM_ENUM:
    ERR(sc->src, vspan, lhint, "parameter '%s' must be %s (locked schema of '%s')", key, what, m->ref);
    break;
  case VSC_LOCK_PARAM_RANGE: {
    char h[4600];
    snprintf(h, sizeof h, "'%s' ranges %s; %s", key, what, lhint);
    ERR(sc->src, vspan, h, "parameter '%s' = %g is out of range (locked schema of '%s')", key, json_number_value(value),
        m->ref);
    break;
  }
  }
}

/* Required inputs that neither vsc's generic fields nor `with` give: the registry's
 * `required` lines, and the locked schema's required list. */
static void required_given(vsc_session *s, vsc_scene_spec *sc, const vsc_model_decl *m, const vsc_lock_entry *lk,
                           int locked, const char *lhint, vsc_span at) {
  for (int i = 0; sc->with && i < m->nparams; i++) {
    const vsc_param_decl *pd = &m->params[i];
    if (!pd->required) continue;
    bool generic = false;
    for (int k = 0; k < m->ninputs; k++)
      if (strcmp(m->input_names[1][k], pd->name) == 0) generic = true;
    if (!generic && !json_object_get(sc->with, pd->name))
      ERR(sc->src, sc->with_node->kw, NULL, "model '%s' needs parameter '%s'", m->ref, pd->name);
  }
  const char *req;
  for (size_t i = 0; locked > 0 && (req = vsc_lock_required(lk->input, i)) != NULL; i++) {
    bool given = sc->with && json_object_get(sc->with, req);
    for (int k = 0; k < m->ninputs && !given; k++)
      if (strcmp(m->input_names[1][k], req) == 0) given = true;
    for (int k = 0; k < m->nparams && !given; k++)
      if (strcmp(m->params[k].name, req) == 0 && m->params[k].required && sc->with) given = true;
    if (!given) ERR(sc->src, at, lhint, "model '%s' needs parameter '%s' (locked schema)", m->ref, req);
  }
}

/* Checks `with { … }` against the model's parameter schema: the registry's `param` lines and,
 * when vsc.lock.json next to the script locks this model (`vsc models pull`), the input schema
 * the provider published. Without a lock file only the registry is consulted. */
void vsc_registry_check_with(vsc_session *s, vsc_scene_spec *sc, const vsc_model_decl *m) {
  vsc_lock_entry lk;
  char lerr[4400] = "", lhint[4400] = "";
  int locked = vsc_lock_find(&lk, s->root_dir, m->ref, lerr, sizeof lerr);
  vsc_span at = sc->with_node ? sc->with_node->kw : sc->model_node ? sc->model_node->kw
                                                                   : sc->shot_node->kw;
  if (locked < 0)
    ERR(sc->src, at, "fix or delete the file; 'vsc models pull' writes it", "cannot use the lock file: %s", lerr);
  if (locked > 0)
    snprintf(lhint, sizeof lhint, "locked in %s (version %.12s); 'vsc models pull %s' refreshes it", lk.path,
             lk.version[0] ? lk.version : "unknown", m->ref);
  const char *key;
  json_t *value;
  if (sc->with)
    json_object_foreach(sc->with, key, value) {
      vsc_ast *a = sc->with_node->body.head;
      for (; a; a = a->next)
        if (strcmp(a->name.str, key) == 0) break;
      vsc_span span = a ? a->name.span : sc->with_node->kw;
      vsc_span vspan = a ? a->vals[0].span : span;
      if (registry_accepts(s, sc, m, key, value, span, vspan) && locked > 0)
        lock_accepts(s, sc, m, &lk, lhint, key, value, span, vspan);
    }
  required_given(s, sc, m, &lk, locked, lhint, at);
  if (locked > 0) vsc_lock_entry_clear(&lk);
}
