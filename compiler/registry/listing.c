/* vsc_models_json: the registry as data, for `vsc models` and front-ends. */
#include <jansson.h>
#include <stdlib.h>

#include "check/check.h"
#include "vsc/vsc_file.h"

static json_t *model_json(const vsc_model_decl *m) {
  static const char *const units[] = {"second", "image", "run", "character", "gpu-second"};
  json_t *o = json_object();
  json_object_set_new(o, "name", json_string(m->name));
  json_object_set_new(o, "ref", json_string(m->ref));
  json_object_set_new(o, "kind", json_string(m->kind));
  json_object_set_new(o, "class", json_string(m->klass));
  json_object_set_new(o, "tier", json_string(m->tier));
  json_object_set_new(o, "price", json_real(m->price));
  json_object_set_new(o, "per", json_string(units[m->per]));
  if (m->per == VSC_PRICE_GPU_SECOND) json_object_set_new(o, "estimate", json_real(m->gpu_estimate));
  if (m->priced) json_object_set_new(o, "priced", json_string(m->priced));
  if (m->version) json_object_set_new(o, "version", json_string(m->version));
  json_t *d = json_array();
  if (m->dur_range) {
    json_object_set_new(o, "duration_min", json_real(m->dur_min));
    json_object_set_new(o, "duration_max", json_real(m->dur_max));
  }
  for (int i = 0; i < m->ndurations; i++) json_array_append_new(d, json_real(m->durations[i]));
  json_object_set_new(o, "durations", d);
  json_t *sizes = json_array();
  for (int i = 0; i < m->nsizes; i++) {
    char b[32];
    snprintf(b, sizeof b, "%dx%d", m->sizes[i][0], m->sizes[i][1]);
    json_array_append_new(sizes, json_string(b));
  }
  json_object_set_new(o, "sizes", sizes);
  json_t *aspects = json_array();
  for (int i = 0; i < m->naspects; i++) {
    char b[32];
    snprintf(b, sizeof b, "%g:%g", m->aspects[i][0], m->aspects[i][1]);
    json_array_append_new(aspects, json_string(b));
  }
  json_object_set_new(o, "aspects", aspects);
  json_t *inputs = json_object();
  for (int i = 0; i < m->ninputs; i++) json_object_set_new(inputs, m->input_names[0][i], json_string(m->input_names[1][i]));
  json_object_set_new(o, "inputs", inputs);
  json_t *params = json_object();
  for (int i = 0; i < m->nparams; i++) {
    const vsc_param_decl *p = &m->params[i];
    json_t *pj = json_object();
    json_object_set_new(pj, "type", json_string(p->type ? p->type : "string"));
    if (p->required) json_object_set_new(pj, "required", json_true());
    if (p->has_min) json_object_set_new(pj, "minimum", json_real(p->min));
    if (p->has_max) json_object_set_new(pj, "maximum", json_real(p->max));
    if (p->enums) json_object_set(pj, "enum", p->enums);
    if (p->deflt) json_object_set(pj, "default", p->deflt);
    json_object_set_new(params, p->name, pj);
  }
  json_object_set_new(o, "params", params);
  json_t *fb = json_array();
  for (int i = 0; i < m->nfallbacks; i++)
    if (m->fallbacks[i]) json_array_append_new(fb, json_string(m->fallbacks[i]));
  json_object_set_new(o, "fallbacks", fb);
  return o;
}

json_t *vsc_models_json(const char *path, vsc_diag_list *diags) {
  vsc_diag_list *own = diags ? NULL : vsc_diag_list_new(20);
  if (!diags) diags = own;
  vsc_session s = {0};
  s.arena = vsc_arena_new();
  s.diags = diags;
  char *text = NULL;
  size_t len = 0;
  if (path && !(text = vsc_read_file(path, &len))) {
    vsc_diag_plain(diags, VSC_SEV_ERROR, VSC_STAGE_LEX, "cannot read '%s'", path);
    vsc_session_free(&s);
    vsc_diag_list_free(own);
    return NULL;
  }
  json_t *out = NULL;
  if (vsc_check_load(&s, path, text, len) == 0) {
    out = json_array();
    for (int i = 0; i < s.nmodels; i++) json_array_append_new(out, model_json(s.models[i]));
  }
  free(text);
  vsc_session_free(&s);
  vsc_diag_list_free(own);
  return out;
}
