/* Several formats in one plan (plan stage): every format's video is planned into the same
 * graph, where identical work is one node (node ids are content), so a clip generated once
 * at the master frame serves every format that reframes it. The IR keeps the first format's
 * video, scenes and outputs where a one-format IR has them, and lists every format with its
 * outputs and what it costs: alone, and beyond the work it shares (docs/ir.md "Formats"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plan/planner.h"

void plan_gen_frame(const planner *p, const vsc_scene_spec *sc, int *w, int *h) {
  const vsc_video_spec *v = p->v;
  bool own = sc->per_format || !v->gen_width || !v->gen_height;
  *w = own ? v->width : v->gen_width;
  *h = own ? v->height : v->gen_height;
}

void plan_model_frame(const planner *p, const vsc_scene_spec *sc, const vsc_model_decl *m, int *w, int *h) {
  plan_gen_frame(p, sc, w, h);
  if (!m || !p->v->format || !m->naspects || vsc_registry_makes_aspect(m, *w, *h)) return;
  /* The declared shape nearest in log ratio, at the same short side. */
  double want = log((double)*w / *h), best = 0, bw = 1, bh = 1;
  for (int i = 0; i < m->naspects; i++) {
    double d = fabs(log(m->aspects[i][0] / m->aspects[i][1]) - want);
    if (i == 0 || d < best) best = d, bw = m->aspects[i][0], bh = m->aspects[i][1];
  }
  int short_side = *w < *h ? *w : *h;
  if (bw >= bh) {
    *h = short_side;
    *w = 2 * (int)lround(short_side * bw / bh / 2);
  } else {
    *w = short_side;
    *h = 2 * (int)lround(short_side * bh / bw / 2);
  }
}

void plan_set_focus(json_t *obj, const vsc_scene_spec *sc) {
  if (sc->focus_x == 0.5 && sc->focus_y == 0.5) return; /* the centre: what every fit does anyway */
  json_object_set_new(obj, "focus", json_pack("[f, f]", vsc_round_us(sc->focus_x), vsc_round_us(sc->focus_y)));
}

/* Marks (bit `bit` of uses[node index]) every node format `bit` needs, from its outputs back. */
static void mark_used(const json_t *nodes, const json_t *index, const char *id, unsigned *uses, unsigned bit) {
  json_t *at = json_object_get(index, id);
  if (!at) return;
  size_t i = (size_t)json_integer_value(at);
  if (uses[i] & bit) return;
  uses[i] |= bit;
  size_t k;
  json_t *in;
  json_array_foreach(json_object_get(json_array_get(nodes, i), "inputs"), k, in)
    mark_used(nodes, index, json_string_value(in), uses, bit);
}

static double node_cost(const json_t *node) {
  return json_number_value(json_object_get(json_object_get(node, "cost"), "estimate"));
}

/* The "formats" array: each format's frame, outputs and costs; *shared is the cost of the
 * paid work two or more formats use, returned once. Returns the total of the plan. */
static json_t *formats_json(planner *p, vsc_video_spec *vs, plan_video_result *r, int n, double *shared, double *total) {
  json_t *nodes = p->nodes, *index = json_object();
  size_t nn = json_array_size(nodes), i;
  json_t *node;
  json_array_foreach(nodes, i, node) json_object_set_new(index, json_string_value(json_object_get(node, "id")), json_integer((json_int_t)i));
  unsigned *uses = vsc_xcalloc(nn + 1, sizeof *uses);
  for (int f = 0; f < n; f++) {
    const char *k;
    json_t *out;
    json_object_foreach(r[f].outputs, k, out) mark_used(nodes, index, json_string_value(out), uses, 1u << f);
  }
  double own[VSC_FORMATS_MAX] = {0}, extra[VSC_FORMATS_MAX] = {0};
  *shared = 0;
  *total = 0;
  for (i = 0; i < nn; i++) {
    double c = node_cost(json_array_get(nodes, i));
    if (!uses[i] || c == 0) continue;
    *total += c;
    int users = __builtin_popcount(uses[i]);
    if (users > 1) *shared += c;
    for (int f = 0; f < n; f++) {
      if (!(uses[i] & (1u << f))) continue;
      own[f] += c;
      if (users == 1) extra[f] += c;
    }
  }
  json_t *arr = json_array();
  for (int f = 0; f < n; f++) {
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(vs[f].format));
    json_object_set_new(o, "tag", json_string(vs[f].format_tag));
    json_object_set_new(o, "suffix", json_string(vs[f].format_in_name ? vsc_arena_printf(p->s->arena, ".%s", vs[f].format_tag) : ""));
    json_object_set_new(o, "width", json_integer(vs[f].width));
    json_object_set_new(o, "height", json_integer(vs[f].height));
    json_object_set_new(o, "master_width", json_integer(vs[f].gen_width));
    json_object_set_new(o, "master_height", json_integer(vs[f].gen_height));
    json_object_set_new(o, "length", json_deep_copy(json_object_get(r[f].video, "length")));
    json_object_set_new(o, "outputs", json_incref(r[f].outputs));
    json_object_set_new(o, "scenes", json_incref(r[f].scenes));
    json_object_set_new(o, "estimated_cost", json_real(t6(own[f])));
    json_object_set_new(o, "extra_cost", json_real(t6(extra[f])));
    json_array_append_new(arr, o);
  }
  free(uses);
  json_decref(index);
  return arr;
}

/* The budget holds every format together: shared work once, each format's own work. */
static void formats_budget(planner *p, vsc_video_spec *v, json_t *formats, double shared, double total) {
  vsc_session *s = p->s;
  if (!v->has_budget || total <= v->budget + 1e-9) return;
  ERR(v->src, v->node->kw, "raise 'budget', make fewer formats, or share more generations ('reframe share')",
      "estimated cost $%.2f of %zu formats is over the budget of $%.2f", total, json_array_size(formats), v->budget);
  if (shared > 0) vsc_note(s->diags, v->src, v->node->kw, "shared by the formats: $%.3f", shared);
  size_t i;
  json_t *f;
  json_array_foreach(formats, i, f)
    vsc_note(s->diags, v->src, v->node->kw, "format %s: $%.3f of its own ($%.3f alone)",
             json_string_value(json_object_get(f, "name")), json_number_value(json_object_get(f, "extra_cost")),
             json_number_value(json_object_get(f, "estimated_cost")));
}

int vsc_plan_formats(vsc_session *s, vsc_video_spec *vs, int n, json_t **out) {
  *out = NULL;
  if (n == 1 && !vs[0].format) return vsc_plan(s, &vs[0], out);
  planner P = {.s = s, .nodes = json_array(), .by_id = json_object(), .several = true};
  plan_video_result r[VSC_FORMATS_MAX];
  int done = 0;
  vsc_diag_once(s->diags, 1); /* what every format's plan finds is said once */
  for (; done < n && done < VSC_FORMATS_MAX; done++) {
    P.v = &vs[done];
    if (plan_video(&P, &r[done]) != 0) break;
  }
  json_t *ir = NULL;
  if (done == n) {
    double shared, total;
    json_t *formats = formats_json(&P, vs, r, n, &shared, &total);
    formats_budget(&P, &vs[0], formats, shared, total);
    ir = json_object();
    json_object_set_new(ir, "format", json_string("vsc-ir"));
    json_object_set_new(ir, "version", json_integer(VSC_IR_VERSION));
    json_object_set_new(ir, "root", json_string(s->root_dir));
    json_object_set(ir, "video", r[0].video);
    json_object_set(ir, "scenes", r[0].scenes);
    json_object_set(ir, "nodes", P.nodes);
    json_object_set(ir, "outputs", r[0].outputs);
    json_object_set_new(ir, "formats", formats);
    json_object_set_new(ir, "shared_cost", json_real(t6(shared)));
    json_object_set_new(ir, "estimated_cost", json_real(t6(total)));
  }
  for (int i = 0; i < done; i++) {
    json_decref(r[i].video);
    json_decref(r[i].scenes);
    json_decref(r[i].outputs);
  }
  json_decref(P.nodes);
  json_decref(P.by_id);
  vsc_diag_once(s->diags, 0);
  if (!ir || vsc_diag_error_count(s->diags)) {
    json_decref(ir);
    return -1;
  }
  *out = ir;
  return 0;
}
