/*
** The IR of a part of a video (vsc_subset.h): the full plan's own nodes, with the segments
** at the part's edges trimmed and the sound track cut to the same frames. Works on the IR
** alone (after planning), so `vsc build --scene` and `vsc plan --scene` see exactly the
** nodes, ids and cache keys of the full build.
*/
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#include "vsc/vsc_err.h"
#include "vsc/vsc_ops.h"
#include "vsc/vsc_subset.h"

/* Frames are the unit of every cut: ranges snap to the video's frame grid. */
typedef struct {
  long long f0, f1;
} frame_range;

static int cmp_range(const void *a, const void *b) {
  const vsc_range *x = a, *y = b;
  return x->start < y->start ? -1 : x->start > y->start ? 1
                                                        : 0;
}

size_t vsc_range_merge(vsc_range *r, size_t n) {
  if (n == 0) return 0;
  qsort(r, n, sizeof *r, cmp_range);
  size_t k = 0;
  for (size_t i = 1; i < n; i++) {
    if (r[i].start <= r[k].end + 1e-9) {
      if (r[i].end > r[k].end) r[k].end = r[i].end;
    } else {
      r[++k] = r[i];
    }
  }
  return k + 1;
}

static double t6(double x) { return round(x * 1e6) / 1e6; }

static const json_t *node_by_id(const json_t *ir, const char *id) {
  size_t i;
  json_t *n;
  json_array_foreach(json_object_get(ir, "nodes"), i, n) {
    const char *nid = json_string_value(json_object_get(n, "id"));
    if (nid && id && strcmp(nid, id) == 0) return n;
  }
  return NULL;
}

static const json_t *input_node(const json_t *ir, const json_t *node, size_t k) {
  return node_by_id(ir, json_string_value(json_array_get(json_object_get(node, "inputs"), k)));
}

/* Gives a new node its id and appends it unless the plan already has it; returns the id
 * (borrowed from `nodes`). Steals `node`. */
static const char *add_node(json_t *nodes, json_t *byid, json_t *node) {
  char id[65];
  vsc_ir_node_id(node, id);
  json_t *old = json_object_get(byid, id);
  if (old) {
    json_decref(node);
    return json_string_value(json_object_get(old, "id"));
  }
  json_object_set_new(node, "id", json_string(id));
  json_array_append_new(nodes, node);
  json_object_set(byid, id, node);
  return json_string_value(json_object_get(node, "id"));
}

static json_t *new_node(const char *op, json_t *params, json_t *inputs, const json_t *like) {
  json_t *n = json_pack("{s:s, s:o, s:o}", "op", op, "params", params, "inputs", inputs);
  json_t *scene = json_object_get(like, "scene"), *src = json_object_get(like, "src");
  json_t *between = json_object_get(like, "between");
  if (json_is_string(scene)) json_object_set(n, "scene", scene);
  if (json_is_array(between)) json_object_set_new(n, "between", json_deep_copy(between));
  if (json_is_string(src)) json_object_set(n, "src", src);
  return n;
}

/* The picture of the frame ranges: whole segments where they lie inside, trims where a
 * range cuts one. Appends the pieces' ids to `pieces`. */
static int video_pieces(const json_t *ir, const json_t *concat, const frame_range *fr, size_t n, json_t *nodes,
                        json_t *byid, json_t *pieces, char *err, size_t errlen) {
  const json_t *ins = json_object_get(concat, "inputs");
  for (size_t r = 0; r < n; r++) {
    for (size_t k = 0; k < json_array_size(ins); k++) {
      const json_t *seg = input_node(ir, concat, k);
      const json_t *p = json_object_get(seg, "params");
      if (!vsc_ops_is(json_string_value(json_object_get(seg, "op")), VSC_OPID_segment))
        return vsc_err_set(err, errlen, "the plan's picture is not made of segments");
      long long fps = json_integer_value(json_object_get(p, "fps"));
      long long s0 = llround(json_number_value(json_object_get(p, "t0")) * (double)fps);
      long long s1 = s0 + llround(json_number_value(json_object_get(p, "duration")) * (double)fps);
      long long o0 = fr[r].f0 > s0 ? fr[r].f0 : s0, o1 = fr[r].f1 < s1 ? fr[r].f1 : s1;
      if (o1 <= o0) continue;
      if (o0 == s0 && o1 == s1) {
        json_array_append(pieces, json_object_get(seg, "id"));
        continue;
      }
      json_t *tp = json_object();
      json_object_set_new(tp, "media", json_string("video"));
      json_object_set_new(tp, "ranges", json_pack("[[f,f]]", t6((double)(o0 - s0) / (double)fps), t6((double)(o1 - s0) / (double)fps)));
      const char *keep[] = {"width", "height", "fps", "encode"};
      for (size_t i = 0; i < 4; i++) json_object_set_new(tp, keep[i], json_deep_copy(json_object_get(p, keep[i])));
      const char *id = add_node(nodes, byid, new_node("trim", tp, json_pack("[O]", json_object_get(seg, "id")), seg));
      json_array_append_new(pieces, json_string(id));
    }
  }
  return 0;
}

/* Marks `id` and everything it needs. */
static void mark(json_t *byid, json_t *keep, const char *id) {
  if (!id || json_object_get(keep, id)) return;
  json_object_set_new(keep, id, json_true());
  size_t i;
  json_t *in;
  json_array_foreach(json_object_get(json_object_get(byid, id), "inputs"), i, in) mark(byid, keep, json_string_value(in));
}

/* The scenes whose slots meet a frame range (timeline times unchanged). */
static json_t *part_scenes(const json_t *ir, const frame_range *fr, size_t n, long long fps) {
  json_t *out = json_array();
  size_t i;
  json_t *sc;
  json_array_foreach(json_object_get(ir, "scenes"), i, sc) {
    double s = json_number_value(json_object_get(sc, "start"));
    long long a = llround(s * (double)fps), b = llround((s + json_number_value(json_object_get(sc, "duration"))) * (double)fps);
    for (size_t r = 0; r < n; r++)
      if (a < fr[r].f1 && b > fr[r].f0) {
        json_array_append(out, sc);
        break;
      }
  }
  return out;
}

json_t *vsc_ir_subset(const json_t *ir, const vsc_range *ranges, size_t n, char *err, size_t errlen) {
  const json_t *video = json_object_get(ir, "video");
  long long fps = json_integer_value(json_object_get(video, "fps"));
  double length = json_number_value(json_object_get(video, "length"));
  long long total = llround(length * (double)fps);
  if (n == 0 || n > 64 || fps < 1) return vsc_err_set(err, errlen, "no part to render"), NULL;
  vsc_range *r = malloc(n * sizeof *r);
  frame_range *fr = malloc(n * sizeof *fr);
  if (!r || !fr) {
    free(r);
    free(fr);
    return vsc_err_set(err, errlen, "out of memory"), NULL;
  }
  memcpy(r, ranges, n * sizeof *r);
  json_t *out = NULL, *nodes = NULL, *byid = json_object(), *keep = json_object(), *pieces = json_array();
  for (size_t i = 0; i < n; i++) {
    if (!(r[i].start >= 0) || !(r[i].end > r[i].start) || r[i].end > length + 0.5 / (double)fps) {
      vsc_err_set(err, errlen, "%gs-%gs is outside the video (0s-%gs)", r[i].start, r[i].end, length);
      goto done;
    }
  }
  n = vsc_range_merge(r, n);
  for (size_t i = 0; i < n; i++) {
    fr[i].f0 = llround(r[i].start * (double)fps);
    fr[i].f1 = llround(r[i].end * (double)fps);
    if (fr[i].f1 > total) fr[i].f1 = total;
    if (fr[i].f1 <= fr[i].f0) {
      vsc_err_set(err, errlen, "%gs-%gs is shorter than one frame (1/%llds)", r[i].start, r[i].end, fps);
      goto done;
    }
  }
  const json_t *mux = node_by_id(ir, json_string_value(json_object_get(json_object_get(ir, "outputs"), "video")));
  const json_t *concat = mux ? input_node(ir, mux, 0) : NULL, *audio = mux ? input_node(ir, mux, 1) : NULL;
  if (!vsc_ops_is(json_string_value(json_object_get(mux, "op")), VSC_OPID_mux) || !audio ||
      !vsc_ops_is(json_string_value(json_object_get(concat, "op")), VSC_OPID_concat)) {
    vsc_err_set(err, errlen, "the plan's video is not mux(concat(segments), audio): cannot render a part of it");
    goto done;
  }
  nodes = json_deep_copy(json_object_get(ir, "nodes"));
  size_t i;
  json_t *nd;
  json_array_foreach(nodes, i, nd) json_object_set(byid, json_string_value(json_object_get(nd, "id")), nd);
  if (video_pieces(ir, concat, fr, n, nodes, byid, pieces, err, errlen) < 0) goto done;
  const char *cid = add_node(nodes, byid,
                             new_node("concat", json_pack("{s:I}", "count", (json_int_t)json_array_size(pieces)),
                                      json_incref(pieces), concat));
  json_t *ap = json_object(), *ar = json_array();
  for (size_t k = 0; k < n; k++)
    json_array_append_new(ar, json_pack("[f,f]", t6((double)fr[k].f0 / (double)fps), t6((double)fr[k].f1 / (double)fps)));
  json_object_set_new(ap, "media", json_string("audio"));
  json_object_set_new(ap, "ranges", ar);
  json_t *sr = json_object_get(json_object_get(audio, "params"), "sample_rate");
  json_object_set_new(ap, "sample_rate", json_is_integer(sr) ? json_incref(sr) : json_integer(48000));
  const char *aid = add_node(nodes, byid, new_node("trim", ap, json_pack("[O]", json_object_get(audio, "id")), audio));
  json_t *mp = json_deep_copy(json_object_get(mux, "params"));
  const char *mid = add_node(nodes, byid, new_node("mux", mp, json_pack("[ss]", cid, aid), mux));
  mark(byid, keep, mid);

  /* The part's plan: the kept nodes in their order (inputs stay before users). */
  out = json_deep_copy(ir);
  json_t *kept = json_array();
  double cost = 0;
  json_array_foreach(nodes, i, nd) {
    if (!json_object_get(keep, json_string_value(json_object_get(nd, "id")))) continue;
    json_array_append(kept, nd);
    cost += json_number_value(json_object_get(json_object_get(nd, "cost"), "estimate"));
  }
  json_object_set_new(out, "nodes", kept);
  json_object_set_new(out, "outputs", json_pack("{s:s}", "video", mid));
  json_object_set_new(out, "estimated_cost", json_real(t6(cost)));
  json_object_set_new(out, "scenes", part_scenes(ir, fr, n, fps));
  json_t *v = json_object_get(out, "video"), *part = json_array();
  long long frames = 0;
  for (size_t k = 0; k < n; k++) {
    frames += fr[k].f1 - fr[k].f0;
    json_array_append_new(part, json_pack("[f,f]", t6((double)fr[k].f0 / (double)fps), t6((double)fr[k].f1 / (double)fps)));
  }
  json_object_set_new(v, "length", json_real(t6((double)frames / (double)fps)));
  json_object_set_new(v, "part", part);
done:
  json_decref(nodes);
  json_decref(byid);
  json_decref(keep);
  json_decref(pieces);
  free(r);
  free(fr);
  return out;
}
