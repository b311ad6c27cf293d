/* Plan graph nodes: building a node, giving it its content id, one node per identical piece
 * of work, and the resolved provider call of a paid node. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plan/planner.h"

const char *plan_src(vsc_session *s, vsc_source *src, vsc_span span) {
  uint32_t line, col;
  vsc_source_position(src, span.off, &line, &col);
  return vsc_arena_printf(s->arena, "%s:%u:%u", src->name, line, col);
}

/* A node not yet in the graph; steals `params`. commit_node gives it its id. */
json_t *plan_new_node(const char *op, json_t *params, const char *model, const char *const *inputs,
                      int ninputs, const char *scene, const char *src) {
  json_t *n = json_object();
  json_t *in = json_array();
  for (int i = 0; i < ninputs; i++) json_array_append_new(in, json_string(inputs[i]));
  json_object_set_new(n, "op", json_string(op));
  json_object_set_new(n, "inputs", in);
  json_object_set_new(n, "params", params);
  if (model) json_object_set_new(n, "model", json_string(model));
  if (scene) json_object_set_new(n, "scene", json_string(scene));
  if (src) json_object_set_new(n, "src", json_string(src));
  return n;
}

/* Hashes a new node and appends it (steals it). The same work twice (two scenes using one
 * file) is one node: ids are content. Returns the node's id (owned by the graph). */
const char *plan_commit_node(planner *p, json_t *n) {
  char id[65];
  vsc_ir_node_id(n, id);
  json_t *existing = json_object_get(p->by_id, id);
  if (existing) {
    json_decref(n);
    return json_string_value(json_object_get(existing, "id"));
  }
  json_object_set_new(n, "id", json_string(id));
  json_array_append_new(p->nodes, n);
  json_object_set(p->by_id, id, n);
  return json_string_value(json_object_get(n, "id"));
}

const char *plan_add_node(planner *p, const char *op, json_t *params, const char *model,
                          const char *const *inputs, int ninputs, const char *scene, const char *src) {
  return plan_commit_node(p, plan_new_node(op, params, model, inputs, ninputs, scene, src));
}


void plan_set_cost(json_t *node, double estimate, double max) {
  json_t *c = json_object();
  json_object_set_new(c, "estimate", json_real(vsc_round_us(estimate)));
  json_object_set_new(c, "max", json_real(vsc_round_us(max)));
  json_object_set_new(node, "cost", c);
}

void plan_set_retry(json_t *node) {
  json_t *r = json_object();
  json_object_set_new(r, "attempts", json_integer(3));
  json_object_set_new(r, "backoff", json_real(2.0));
  json_object_set_new(node, "retry", r);
}

json_t *plan_color(uint32_t rgb) {
  char b[8];
  snprintf(b, sizeof b, "#%06x", rgb & 0xffffff);
  return json_string(b);
}

/* Sets the node's call (model m), its cost, retry policy and fallbacks resolved the same way;
 * then gives the node its id. Returns the node's cost rule. */
vsc_price plan_resolve_calls(planner *p, json_t *node, const vsc_model_decl *m, vsc_call_need *need,
                             vsc_scene_spec *sc) {
  vsc_price pr;
  vsc_call_price(&pr, m, need);
  json_object_set_new(node, "call", vsc_call_json(m, need, vsc_registry_version(p->s, m, sc)));
  plan_set_cost(node, pr.estimate, pr.max);
  plan_set_retry(node);
  if (m->nfallbacks) {
    json_t *arr = json_array();
    for (int i = 0; i < m->nfallbacks; i++) {
      const vsc_model_decl *f = m->fallbacks[i] ? vsc_check_find_model(p->s, m->fallbacks[i]) : NULL;
      if (f) json_array_append_new(arr, vsc_call_json(f, need, vsc_registry_version(p->s, f, sc)));
    }
    json_object_set_new(node, "fallbacks", arr);
  }
  return pr;
}
