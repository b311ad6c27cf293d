/*
** call.c — resolves the provider call of a paid node (planner stage). See call.h.
*/
#include "registry/call.h"

#include <jansson.h>
#include <math.h>
#include <string.h>


double vsc_call_duration(const vsc_model_decl *m, double need) {
  if (m->dur_range) {
    double d = ceil(need - 1e-6);
    if (d < m->dur_min) d = m->dur_min;
    if (d > m->dur_max) d = m->dur_max;
    return d;
  }
  if (m->ndurations) {
    double best = -1, longest = 0;
    for (int i = 0; i < m->ndurations; i++) {
      if (m->durations[i] > longest) longest = m->durations[i];
      if (m->durations[i] >= need - 1e-6 && (best < 0 || m->durations[i] < best)) best = m->durations[i];
    }
    return best > 0 ? best : longest;
  }
  return ceil(need - 1e-6);
}

void vsc_call_price(vsc_price *out, const vsc_model_decl *m, const vsc_call_need *need) {
  double units = 1, max_units = 1;
  switch (m->per) {
  case VSC_PRICE_SECOND:
    /* Speech priced by the second: about 15 characters a second. */
    units = max_units = need->characters && need->seconds <= 0 ? (double)need->characters / 15.0
                                                               : vsc_call_duration(m, need->seconds);
    break;
  case VSC_PRICE_CHARACTER: units = max_units = (double)need->characters; break;
  case VSC_PRICE_GPU_SECOND:
    /* Compute time is only known afterwards: reserve for a run three times the estimate. */
    units = m->gpu_estimate;
    max_units = 3 * m->gpu_estimate;
    break;
  case VSC_PRICE_IMAGE:
  case VSC_PRICE_RUN: break;
  }
  vsc_price_make(out, m->per, m->price, units, max_units);
}

/* The model's input name for a generic field, or NULL. */
static const char *input_name(const vsc_model_decl *m, const char *generic) {
  for (int i = 0; i < m->ninputs; i++)
    if (strcmp(m->input_names[0][i], generic) == 0) return m->input_names[1][i];
  return NULL;
}

static const vsc_param_decl *param(const vsc_model_decl *m, const char *name) {
  for (int i = 0; i < m->nparams; i++)
    if (strcmp(m->params[i].name, name) == 0) return &m->params[i];
  return NULL;
}

/* The generic params mapped to the model's input names. */
static void map_generic(json_t *in, const vsc_model_decl *m, const vsc_call_need *need) {
  static const char *const fields[] = {"prompt", "negative", "aspect", "seed", "text", "voice", "fps"};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    const char *name = input_name(m, fields[i]);
    json_t *v = json_object_get(need->params, fields[i]);
    if (name && v && !json_is_null(v)) json_object_set(in, name, v);
  }
  const char *dn = input_name(m, "duration");
  if (dn && need->seconds > 0) /* models take whole seconds */
    json_object_set_new(in, dn, json_integer((json_int_t)vsc_call_duration(m, need->seconds)));
  const char *sn = input_name(m, "size");
  json_t *w = json_object_get(need->params, "width"), *h = json_object_get(need->params, "height");
  if (sn && json_is_integer(w) && json_is_integer(h)) {
    char b[32];
    snprintf(b, sizeof b, "%lldx%lld", (long long)json_integer_value(w), (long long)json_integer_value(h));
    json_object_set_new(in, sn, json_string(b));
  }
  const char *im = input_name(m, "image");
  json_t *img = json_object_get(need->params, "image");
  if (im && json_is_integer(img)) json_object_set_new(in, im, json_pack("{s:O}", "$input", img));
}

json_t *vsc_call_json(const vsc_model_decl *m, const vsc_call_need *need, const char *version) {
  json_t *in = json_object();
  map_generic(in, m, need);
  /* `with` values belong to the model they were checked against; a fallback takes those it
   * declares too. File parameters become references to the node's inputs. */
  const char *k;
  json_t *v;
  if (need->with)
    json_object_foreach((json_t *)need->with, k, v) {
      const vsc_param_decl *pd = param(m, k);
      if (!pd && m != need->with_model) continue;
      json_t *file = json_object_get(need->files, k);
      if (pd && pd->type && strcmp(pd->type, "file") == 0 && json_is_integer(file))
        json_object_set_new(in, k, json_pack("{s:O}", "$input", file));
      else
        json_object_set(in, k, v);
    }
  /* Declared defaults are sent, so what runs does not depend on a default changing later
   * (several change the price: resolution, audio). */
  for (int i = 0; i < m->nparams; i++)
    if (m->params[i].deflt && !json_object_get(in, m->params[i].name))
      json_object_set(in, m->params[i].name, m->params[i].deflt);
  vsc_price price;
  vsc_call_price(&price, m, need);
  const char *output = strcmp(m->kind, "tts") == 0 || strcmp(m->kind, "music") == 0 ? "audio"
                     : strcmp(m->kind, "image") == 0                                ? "image"
                                                                                    : "video";
  json_t *call = json_object();
  json_object_set_new(call, "provider", json_string("replicate"));
  json_object_set_new(call, "model", json_string(m->ref));
  json_object_set_new(call, "version", version ? json_string(version) : json_null());
  json_object_set_new(call, "input", in);
  json_object_set_new(call, "price", vsc_price_to_json(&price));
  json_object_set_new(call, "output", json_string(output));
  return call;
}
