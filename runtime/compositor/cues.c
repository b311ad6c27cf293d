/*
** Caption cues timed by the audio (compositor): a cue of a voice line that a TTS model spoke
** carries "align": {"input", "at", "word", "next", "until"}, the planner's word times being
** only espeak-ng's guess. Before a segment or a caption sidecar is drawn, each such cue gets
** the times the `align` node found in the produced audio (input `input` of the node):
**   word k   at + words[word + k].start
**   start    its first word's
**   end      at + words[next].start (the line's next cue), or at + length when next < 0;
**            never past the next cue's start or `until` (the video's end)
** `at` is the line's start in the cues' own time (the timeline, or the layer's scene).
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "comp.h"

/* The align document of input i, read once per call (docs owned by `cache`). */
static const json_t *align_doc(json_t *cache, const char *const *inputs, size_t ninputs, size_t i, vsc_op_error *err,
                               const char *where) {
  char key[32];
  snprintf(key, sizeof key, "%zu", i);
  json_t *doc = json_object_get(cache, key);
  if (doc) return doc;
  if (i >= ninputs) {
    vsc_op_fail(err, VSC_FAIL_INPUT, "%scaption cue: align input %zu of %zu", where, i, ninputs);
    return NULL;
  }
  json_error_t je;
  doc = json_load_file(inputs[i], 0, &je);
  if (!doc || !json_is_array(json_object_get(doc, "words")) || !json_is_number(json_object_get(doc, "length"))) {
    json_decref(doc);
    vsc_op_fail(err, VSC_FAIL_INPUT, "%scaption cue: '%s' is no word alignment", where, inputs[i]);
    return NULL;
  }
  json_object_set_new(cache, key, doc);
  return doc;
}

static double word_start(const json_t *doc, json_int_t k) {
  const json_t *words = json_object_get(doc, "words");
  if (k < 0 || (size_t)k >= json_array_size(words)) return json_number_value(json_object_get(doc, "length"));
  return json_number_value(json_object_get(json_array_get(words, (size_t)k), "start"));
}

static double t3(double x) { return round(x * 1000) / 1000; }

/* Retimes the aligned cues of one array in place. */
static int retime(json_t *cues, json_t *cache, const char *const *inputs, size_t ninputs, vsc_op_error *err,
                  const char *where) {
  size_t i;
  json_t *cue;
  json_array_foreach(cues, i, cue) {
    json_t *al = json_object_get(cue, "align");
    if (!al) continue;
    json_int_t in = json_integer_value(json_object_get(al, "input")), w0 = json_integer_value(json_object_get(al, "word"));
    json_int_t next = json_is_integer(json_object_get(al, "next")) ? json_integer_value(json_object_get(al, "next")) : -1;
    double at = json_number_value(json_object_get(al, "at"));
    const json_t *until = json_object_get(al, "until");
    if (in < 0 || w0 < 0 || !json_is_number(json_object_get(al, "at")))
      return vsc_op_fail(err, VSC_FAIL_INPUT, "%scues[%zu].align: expected {input, at, word, next}", where, i);
    const json_t *doc = align_doc(cache, inputs, ninputs, (size_t)in, err, where);
    if (!doc) return -1;
    size_t k;
    json_t *w;
    json_array_foreach(json_object_get(cue, "words"), k, w) json_object_set_new(w, "start", json_real(t3(at + word_start(doc, w0 + (json_int_t)k))));
    double s = at + word_start(doc, w0), e = at + word_start(doc, next);
    if (json_is_number(until) && e > json_number_value(until)) e = json_number_value(until);
    json_object_set_new(cue, "start", json_real(t3(s)));
    json_object_set_new(cue, "end", json_real(t3(e)));
    json_object_del(cue, "align");
  }
  /* A cue ends where the next begins when lines overlap, as the planner's do. */
  for (i = 0; i + 1 < json_array_size(cues); i++) {
    json_t *a = json_array_get(cues, i), *b = json_array_get(cues, i + 1);
    double ae = json_number_value(json_object_get(a, "end")), bs = json_number_value(json_object_get(b, "start"));
    double as = json_number_value(json_object_get(a, "start"));
    if (ae > bs && bs > as) json_object_set_new(a, "end", json_real(bs));
  }
  return 0;
}

/* Every "cues" array under v (objects and arrays, any depth): 1 when one has an aligned cue. */
static int walk(json_t *v, json_t *cache, const char *const *inputs, size_t ninputs, int apply, vsc_op_error *err,
                const char *where) {
  int found = 0;
  if (json_is_object(v)) {
    const char *key;
    json_t *x;
    json_object_foreach(v, key, x) {
      if (!strcmp(key, "cues") && json_is_array(x)) {
        size_t i;
        json_t *cue;
        json_array_foreach(x, i, cue)
          if (json_object_get(cue, "align")) found = 1;
        if (found && apply && retime(x, cache, inputs, ninputs, err, where) < 0) return -1;
        continue;
      }
      int r = walk(x, cache, inputs, ninputs, apply, err, where);
      if (r < 0) return -1;
      found |= r;
    }
  } else if (json_is_array(v)) {
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) {
      int r = walk(x, cache, inputs, ninputs, apply, err, where);
      if (r < 0) return -1;
      found |= r;
    }
  }
  return found;
}

int comp_cues_resolve(const json_t *node, const char *const *inputs, size_t ninputs, json_t **out, vsc_op_error *err,
                      const char *where) {
  *out = NULL;
  json_t *params = json_object_get(node, "params");
  if (walk(params, NULL, inputs, ninputs, 0, err, where) <= 0) return 0;
  json_t *copy = json_deep_copy(node), *cache = json_object();
  int r = walk(json_object_get(copy, "params"), cache, inputs, ninputs, 1, err, where);
  json_decref(cache);
  if (r < 0) {
    json_decref(copy);
    return -1;
  }
  *out = copy;
  return 0;
}
