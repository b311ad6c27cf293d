/*
** Chunked bodies (compositor stage): a long body segment cut into GOP-aligned chunks that
** are rendered side by side, each a segment of its own, and joined again by concat's
** stream copy. Every chunk starts with a keyframe on the whole segment's GOP grid (its
** first frame is a multiple of the GOP), so the joined picture keeps the whole segment's
** frame count and timestamps and its keyframes at most a GOP apart. The cut depends only
** on the node's params (frames, fps, GOP): the same plan is chunked the same way on every
** machine, so outputs stay bit-exact and cacheable.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "comp.h"

/* Shifts a layer's times by `off` seconds: scene time, and clip time for a clip source
 * (images and colour cards have no time of their own). */
static void shift_layer(json_t *layer, double off) {
  if (!json_is_object(layer)) return;
  json_object_set_new(layer, "t", json_real(json_number_value(json_object_get(layer, "t")) + off));
  json_t *src = json_object_get(layer, "source");
  const char *type = json_string_value(json_object_get(src, "type"));
  if (type && strcmp(type, "clip") == 0)
    json_object_set_new(src, "offset", json_real(json_number_value(json_object_get(src, "offset")) + off));
}

/* Frames of one chunk: a whole number of GOPs (VSC_COMP_CHUNK_GOPS of them). */
static int64_t chunk_frames(const json_t *p, int fps) {
  json_int_t gop = json_integer_value(json_object_get(json_object_get(p, "encode"), "gop"));
  if (gop <= 0) gop = 2 * (json_int_t)fps; /* the encoder's default (vsc_encode_opts.gop) */
  return (int64_t)gop * VSC_COMP_CHUNK_GOPS;
}

json_t *vsc_comp_segment_split(const json_t *node) {
  const char *op = json_string_value(json_object_get(node, "op"));
  const char *id = json_string_value(json_object_get(node, "id"));
  const json_t *p = json_object_get(node, "params");
  const char *kind = json_string_value(json_object_get(p, "kind"));
  if (!op || strcmp(op, "segment") != 0 || !id || !kind || strcmp(kind, "body") != 0) return NULL;
  json_t *jfps = json_object_get(p, "fps"), *jdur = json_object_get(p, "duration");
  if (!json_is_integer(jfps) || !json_is_number(jdur)) return NULL; /* the executor reports it */
  int fps = (int)json_integer_value(jfps);
  if (fps < 1 || fps > 240) return NULL;
  int64_t frames = comp_frames(json_number_value(jdur), fps), per = chunk_frames(p, fps);
  /* Two chunks at least; the remainder (less than a chunk) rides on the last one. */
  if (per < 1 || frames < 2 * per) return NULL;
  int64_t n = frames / per;
  json_t *parts = json_array();
  for (int64_t k = 0; k < n; k++) {
    int64_t f0 = k * per, f1 = k + 1 == n ? frames : f0 + per;
    double off = (double)f0 / fps;
    json_t *part = json_deep_copy(node);
    json_t *pp = json_object_get(part, "params");
    char pid[200];
    snprintf(pid, sizeof pid, "%.150s.%lld", id, (long long)(k + 1));
    json_object_set_new(part, "id", json_string(pid));
    json_object_set_new(part, "part", json_pack("{s:s, s:I, s:I}", "of", id, "index", (json_int_t)k, "count", (json_int_t)n));
    json_object_set_new(pp, "t0", json_real(json_number_value(json_object_get(pp, "t0")) + off));
    json_object_set_new(pp, "duration", json_real((double)(f1 - f0) / fps));
    shift_layer(json_object_get(pp, "a"), off);
    json_array_append_new(parts, part);
  }
  return parts;
}
