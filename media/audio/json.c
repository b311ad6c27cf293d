/*
** Audio stage: the JSON form of an analysis (what `vsc beats --json` prints and what the
** cache stores), and reading it back.
*/
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "au_util.h"
#include "vsc/vsc_audio.h"

static double round_to(double x, double unit) { return round(x / unit) * unit; }

static json_t *times_array(const double *v, size_t n) {
  json_t *arr = json_array();
  if (!arr) return NULL;
  for (size_t i = 0; i < n; i++)
    if (json_array_append_new(arr, json_real(round_to(v[i], 0.001))) < 0) {
      json_decref(arr);
      return NULL;
    }
  return arr;
}

json_t *vsc_audio_to_json(const vsc_audio_analysis *a) {
  json_t *o = json_object();
  json_t *secs = json_array();
  if (!o || !secs) goto fail;
  for (size_t i = 0; i < a->nsections; i++) {
    const vsc_audio_section *s = &a->sections[i];
    json_t *js = json_pack("{s:f, s:f, s:s, s:f}", "start", round_to(s->start, 0.001), "end",
                           round_to(s->end, 0.001), "label", s->label, "confidence",
                           round_to(s->confidence, 0.001));
    if (!js || json_array_append_new(secs, js) < 0) goto fail;
  }
  /* Insertion order is the documented order: the required keys first. */
  if (json_object_set_new(o, "tempo", json_real(round_to(a->tempo, 0.01))) < 0 ||
      json_object_set_new(o, "beats", times_array(a->beats, a->nbeats)) < 0 ||
      json_object_set_new(o, "downbeats", times_array(a->downbeats, a->ndownbeats)) < 0 ||
      json_object_set_new(o, "sections", secs) < 0 ||
      json_object_set_new(o, "duration", json_real(round_to(a->duration, 0.001))) < 0 ||
      json_object_set_new(o, "meter", json_integer(a->meter)) < 0 ||
      json_object_set_new(o, "confidence", json_real(round_to(a->confidence, 0.001))) < 0 ||
      json_object_set_new(o, "tempo_confidence", json_real(round_to(a->tempo_confidence, 0.001))) < 0 ||
      json_object_set_new(o, "beat_confidence", json_real(round_to(a->beat_confidence, 0.001))) < 0 ||
      json_object_set_new(o, "meter_confidence", json_real(round_to(a->meter_confidence, 0.001))) < 0 ||
      json_object_set_new(o, "onsets", times_array(a->onsets, a->nonsets)) < 0 ||
      json_object_set_new(o, "sha256", json_string(a->sha256)) < 0 ||
      json_object_set_new(o, "version", json_integer(VSC_AUDIO_ANALYSIS_VERSION)) < 0) {
    json_decref(o);
    return NULL;
  }
  return o;
fail:
  json_decref(secs);
  json_decref(o);
  return NULL;
}

/* Reads an optional array of increasing non-negative times into a new array. */
static int read_times(double **out, size_t *n, const json_t *j, const char *key, int required,
                      char *err, size_t errlen) {
  *out = NULL;
  *n = 0;
  const json_t *arr = json_object_get(j, key);
  if (!arr) {
    if (required) {
      vsc_audio_set_err(err, errlen, "$.%s: missing", key);
      return -1;
    }
    *out = malloc(sizeof **out);
    return *out ? 0 : -1;
  }
  if (!json_is_array(arr)) {
    vsc_audio_set_err(err, errlen, "$.%s: expected an array", key);
    return -1;
  }
  size_t m = json_array_size(arr);
  double *v = malloc((m ? m : 1) * sizeof *v);
  if (!v) return -1;
  for (size_t i = 0; i < m; i++) {
    const json_t *x = json_array_get(arr, i);
    if (!json_is_number(x) || json_number_value(x) < 0 ||
        (i > 0 && json_number_value(x) < v[i - 1])) {
      vsc_audio_set_err(err, errlen, "$.%s[%zu]: expected an increasing time in seconds", key, i);
      free(v);
      return -1;
    }
    v[i] = json_number_value(x);
  }
  *out = v;
  *n = m;
  return 0;
}

static double num_or(const json_t *j, const char *key, double dflt) {
  const json_t *x = json_object_get(j, key);
  return json_is_number(x) ? json_number_value(x) : dflt;
}

int vsc_audio_from_json(vsc_audio_analysis **out, const json_t *j, char *err, size_t errlen) {
  *out = NULL;
  if (!json_is_object(j)) {
    vsc_audio_set_err(err, errlen, "$: expected an object");
    return -1;
  }
  const json_t *tempo = json_object_get(j, "tempo"), *dur = json_object_get(j, "duration");
  if (!json_is_number(tempo) || json_number_value(tempo) < 0) {
    vsc_audio_set_err(err, errlen, "$.tempo: expected a number >= 0");
    return -1;
  }
  if (!json_is_number(dur) || json_number_value(dur) < 0) {
    vsc_audio_set_err(err, errlen, "$.duration: expected a number >= 0");
    return -1;
  }
  vsc_audio_analysis *a = calloc(1, sizeof *a);
  if (!a) goto oom;
  a->tempo = json_number_value(tempo);
  a->duration = json_number_value(dur);
  if (read_times(&a->beats, &a->nbeats, j, "beats", 1, err, errlen) < 0 ||
      read_times(&a->downbeats, &a->ndownbeats, j, "downbeats", 0, err, errlen) < 0 ||
      read_times(&a->onsets, &a->nonsets, j, "onsets", 0, err, errlen) < 0)
    goto fail;
  a->meter = (int)num_or(j, "meter", 4);
  if (a->meter <= 0) a->meter = 4;
  a->confidence = num_or(j, "confidence", 1.0);
  a->tempo_confidence = num_or(j, "tempo_confidence", a->confidence);
  a->beat_confidence = num_or(j, "beat_confidence", a->confidence);
  a->meter_confidence = num_or(j, "meter_confidence", a->confidence);
  const json_t *sha = json_object_get(j, "sha256");
  if (json_is_string(sha) && strlen(json_string_value(sha)) == 64)
    memcpy(a->sha256, json_string_value(sha), 65);

  const json_t *secs = json_object_get(j, "sections");
  size_t ns = json_is_array(secs) ? json_array_size(secs) : 0;
  if (secs && !json_is_array(secs)) {
    vsc_audio_set_err(err, errlen, "$.sections: expected an array");
    goto fail;
  }
  a->sections = malloc((ns ? ns : 1) * sizeof *a->sections);
  if (!a->sections) goto oom;
  for (size_t i = 0; i < ns; i++) {
    const json_t *s = json_array_get(secs, i);
    const json_t *st = json_object_get(s, "start"), *en = json_object_get(s, "end");
    const json_t *lb = json_object_get(s, "label");
    if (!json_is_number(st) || !json_is_number(en) || !json_is_string(lb) ||
        json_number_value(en) < json_number_value(st) ||
        strlen(json_string_value(lb)) >= sizeof a->sections[i].label) {
      vsc_audio_set_err(err, errlen,
                        "$.sections[%zu]: expected {\"start\": s, \"end\": e >= s, \"label\": "
                        "\"A\"}",
                        i);
      goto fail;
    }
    a->sections[i].start = json_number_value(st);
    a->sections[i].end = json_number_value(en);
    snprintf(a->sections[i].label, sizeof a->sections[i].label, "%s", json_string_value(lb));
    a->sections[i].confidence = num_or(s, "confidence", 1.0);
  }
  a->nsections = ns;
  *out = a;
  return 0;
oom:
  vsc_audio_set_err(err, errlen, "audio analysis JSON: out of memory");
fail:
  vsc_audio_analysis_free(a);
  return -1;
}
