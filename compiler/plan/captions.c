/* Captions from the voice-over. Every voice line (its text normalised once by the checker,
 * the same text the `tts` node speaks) is cut into cues (check/textfit.c) and each word gets
 * the time espeak-ng's own word events give it when the line is spoken as the local voice
 * speaks it. The cues are timeline times; each segment receives those it shows, in its
 * scene's time, and the sidecar nodes write them as SRT and WebVTT. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"
#include "vsc/vsc_speech.h"

static double t3(double x) { return round(x * 1000) / 1000; }

/* Word starts of one line (seconds from the line's start), one per space-separated word. */
static void word_times(const vsc_voice_spec *vo, int nwords, double *starts, double *length) {
  vsc_speech_word_starts(vo->text, vo->voice, 1.0, starts, nwords, length);
}

static int count_words(const char *t) {
  int n = 0;
  for (size_t i = 0; t[i]; i++)
    if (t[i] != ' ' && (i == 0 || t[i - 1] == ' ')) n++;
  return n;
}

static void add_line(json_t *cues, const vsc_caption_spec *cap, const vsc_voice_spec *vo, double at, const char *align,
                     double until) {
  int nwords = count_words(vo->text);
  if (!nwords) return;
  double *starts = calloc((size_t)nwords, sizeof *starts), length = 0;
  vsc_caption_cue *cc = calloc((size_t)nwords, sizeof *cc);
  if (!starts || !cc) {
    free(starts);
    free(cc);
    return;
  }
  word_times(vo, nwords, starts, &length);
  int ncues = vsc_chk_caption_cues(vo->text, cap, cc, nwords);
  for (int c = 0; c < ncues; c++) {
    json_t *cue = json_object(), *words = json_array();
    const char *p = vo->text + cc[c].off;
    for (int k = 0; k < cc[c].nwords; k++) {
      while (*p == ' ') p++;
      size_t len = strcspn(p, " ");
      json_array_append_new(words, json_pack("{s:s%, s:f}", "w", p, len, "start", t3(at + starts[cc[c].first_word + k])));
      p += len;
    }
    int next = cc[c].first_word + cc[c].nwords;
    double end = next < nwords ? starts[next] : length;
    json_object_set_new(cue, "start", json_real(t3(at + starts[cc[c].first_word])));
    json_object_set_new(cue, "end", json_real(t3(at + end)));
    json_object_set_new(cue, "words", words);
    /* A model's voice: the times above are espeak-ng's guess; the align node's replace them. */
    if (align)
      json_object_set_new(cue, "align", json_pack("{s:s, s:f, s:i, s:i, s:f}", "id", align, "at", t3(at), "word", cc[c].first_word, "next", next < nwords ? next : -1, "until", t3(until)));
    json_array_append_new(cues, cue);
  }
  free(starts);
  free(cc);
}

static int by_start(const void *a, const void *b) {
  double x = json_real_value(json_object_get(*(json_t *const *)a, "start"));
  double y = json_real_value(json_object_get(*(json_t *const *)b, "start"));
  return x < y ? -1 : x > y;
}

json_t *vsc_plan_captions(vsc_video_spec *v, const char *const *aligns) {
  const vsc_caption_spec *cap = &v->captions;
  if (!cap->present) return NULL;
  json_t *cues = json_array();
  int line = 0;
  for (int i = 0; i < v->nscenes; i++)
    for (int k = 0; k < v->scenes[i].nvoices; k++, line++)
      if (v->scenes[i].voices[k].text)
        add_line(cues, cap, &v->scenes[i].voices[k], v->scenes[i].start + v->scenes[i].voices[k].at,
                 aligns ? aligns[line] : NULL, v->length);
  for (int k = 0; k < v->nvoices; k++, line++)
    if (v->voices[k].text) add_line(cues, cap, &v->voices[k], v->voices[k].at, aligns ? aligns[line] : NULL, v->length);
  /* Timeline order; a cue ends where the next begins when lines overlap. */
  size_t n = json_array_size(cues);
  json_t **arr = malloc((n ? n : 1) * sizeof *arr);
  for (size_t i = 0; i < n; i++) arr[i] = json_incref(json_array_get(cues, i));
  qsort(arr, n, sizeof *arr, by_start);
  json_array_clear(cues);
  for (size_t i = 0; i < n; i++) {
    if (i + 1 < n) {
      double next = json_real_value(json_object_get(arr[i + 1], "start"));
      if (json_real_value(json_object_get(arr[i], "end")) > next) json_object_set_new(arr[i], "end", json_real(next));
    }
    double end = json_real_value(json_object_get(arr[i], "end"));
    if (end > v->length) json_object_set_new(arr[i], "end", json_real(t3(v->length)));
    json_array_append_new(cues, arr[i]);
  }
  free(arr);
  json_t *obj = vsc_chk_text_json(&cap->text, v->safe, 0, v->length);
  json_object_del(obj, "text");
  json_object_del(obj, "start");
  json_object_del(obj, "end");
  json_object_del(obj, "fade");
  json_object_set_new(obj, "text", json_string(""));
  json_object_set_new(obj, "style", json_string(cap->style));
  char hl[8];
  snprintf(hl, sizeof hl, "#%06x", cap->highlight & 0xffffff);
  json_object_set_new(obj, "highlight", json_string(hl));
  json_object_set_new(obj, "burn", json_boolean(cap->burn));
  json_object_set_new(obj, "cues", cues);
  return obj;
}

/* The index of align node `id` in inputs, appended when new. */
static int input_of(const char *id, const char **inputs, int *ninputs) {
  for (int i = 0; i < *ninputs; i++)
    if (!strcmp(inputs[i], id)) return i;
  inputs[*ninputs] = id;
  return (*ninputs)++;
}

/* The align object of a node's cue: its align node by input index, times less `shift`. */
static json_t *align_ref(const json_t *al, double shift, const char **inputs, int *ninputs) {
  json_t *o = json_deep_copy(al);
  json_object_del(o, "id");
  json_object_set_new(o, "input", json_integer(input_of(json_string_value(json_object_get(al, "id")), inputs, ninputs)));
  json_object_set_new(o, "at", json_real(t3(json_real_value(json_object_get(al, "at")) - shift)));
  json_object_set_new(o, "until", json_real(t3(json_real_value(json_object_get(al, "until")) - shift)));
  return o;
}

/* Whether a cue may be shown in [t0, t1). An aligned cue's times are a guess: a model may
** speak at half to twice espeak-ng's pace, after a pause of up to a second, so its cue is
** given to every segment it could fall in (the segment draws only what it shows). */
static int cue_may_show(const json_t *cue, double t0, double t1) {
  double s = json_real_value(json_object_get(cue, "start")), e = json_real_value(json_object_get(cue, "end"));
  const json_t *al = json_object_get(cue, "align");
  if (al) {
    double at = json_real_value(json_object_get(al, "at"));
    s = at + (s - at) / 2;
    e = at + (e - at) * 2 + 1;
  }
  return e > t0 && s < t1;
}

void vsc_plan_captions_layer(const json_t *captions, json_t *layer, double scene_start, double t0, double dur,
                             const char **inputs, int *ninputs) {
  if (!captions || !json_is_true(json_object_get(captions, "burn"))) return;
  json_t *mine = json_array();
  size_t i;
  json_t *cue;
  json_array_foreach(json_object_get(captions, "cues"), i, cue) {
    double s = json_real_value(json_object_get(cue, "start")), e = json_real_value(json_object_get(cue, "end"));
    if (!cue_may_show(cue, t0, t0 + dur)) continue;
    /* In the scene's time, as every text of the layer. */
    json_t *c = json_pack("{s:f, s:f, s:[]}", "start", t3(s - scene_start), "end", t3(e - scene_start), "words");
    size_t k;
    json_t *w;
    json_array_foreach(json_object_get(cue, "words"), k, w)
      json_array_append_new(json_object_get(c, "words"),
                            json_pack("{s:O, s:f}", "w", json_object_get(w, "w"),
                                      "start", t3(json_real_value(json_object_get(w, "start")) - scene_start)));
    const json_t *al = json_object_get(cue, "align");
    if (al) json_object_set_new(c, "align", align_ref(al, scene_start, inputs, ninputs));
    json_array_append_new(mine, c);
  }
  if (!json_array_size(mine)) {
    json_decref(mine);
    return;
  }
  json_t *obj = json_deep_copy(captions);
  json_object_del(obj, "burn");
  json_object_set_new(obj, "cues", mine);
  json_array_append_new(json_object_get(layer, "texts"), obj);
}

json_t *vsc_plan_captions_sidecar(const json_t *captions, const char **inputs, int *ninputs) {
  json_t *cues = json_deep_copy(json_object_get(captions, "cues"));
  size_t i;
  json_t *cue;
  json_array_foreach(cues, i, cue) {
    /* The planner's cue (not the copy's, replaced here) owns the id inputs[] keeps. */
    const json_t *al = json_object_get(json_array_get(json_object_get(captions, "cues"), i), "align");
    if (al) json_object_set_new(cue, "align", align_ref(al, 0, inputs, ninputs));
  }
  return cues;
}
