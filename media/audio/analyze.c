/*
** Audio stage: the analysis driver. Features -> global tempo -> choice of the metrical
** level -> local tempo path -> beats -> downbeats -> sections, plus the cache around it and
** the regular-grid fallback.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au_cache.h"
#include "au_features.h"
#include "au_meter.h"
#include "au_sections.h"
#include "au_tempo.h"
#include "au_track.h"
#include "au_util.h"
#include "vsc/vsc_audio.h"
#include "vsc/vsc_facts.h"
#include "vsc/vsc_sha256.h"

static void options_defaults(vsc_audio_options *o, const vsc_audio_options *in) {
  vsc_audio_options d = VSC_AUDIO_OPTIONS_INIT;
  *o = d;
  if (!in) return;
  o->cache_dir = in->cache_dir;
  if (in->min_bpm > 0) o->min_bpm = in->min_bpm;
  if (in->max_bpm > 0) o->max_bpm = in->max_bpm;
  if (o->max_bpm < o->min_bpm * 2.05) o->max_bpm = o->min_bpm * 2.05; /* room for one octave */
  o->meter = in->meter;
  if (in->max_seconds > 0) o->max_seconds = in->max_seconds;
}

void vsc_audio_analysis_free(vsc_audio_analysis *a) {
  if (!a) return;
  free(a->beats);
  free(a->downbeats);
  free(a->onsets);
  free(a->sections);
  free(a);
}

static int analyze_features(vsc_audio_analysis *a, const au_features *f,
                            const vsc_audio_options *o) {
  a->duration = f->duration;
  double bpm, tconf;
  vsc_audio_tempo_global(f, o->min_bpm, o->max_bpm, &bpm, &tconf);
  a->tempo_confidence = tconf;
  a->meter = o->meter > 0 ? o->meter : 4;
  if (bpm <= 0) return 0; /* no rhythm at all: no beats, one section below */

  float *period = malloc(f->n * sizeof *period);
  if (!period) return -1;
  double *beats = NULL, clarity = 0;
  size_t nb = 0;
  if (vsc_audio_choose_level(f, o->min_bpm, o->max_bpm, &bpm, period, &clarity, &beats, &nb,
                             NULL) < 0)
    goto oom;

  /* A song whose tempo moves is periodic along its tempo path, not at one global period;
   * with a steady tempo the global measure stands (the local one is biased upwards). */
  float pmin = period[0], pmax = period[0];
  for (size_t i = 1; i < f->n; i++) {
    if (period[i] < pmin) pmin = period[i];
    if (period[i] > pmax) pmax = period[i];
  }
  if (pmax > 1.03f * pmin && clarity > a->tempo_confidence) a->tempo_confidence = clarity;

  /* Beat confidence: the share of onset strength found on the beats beyond the average. */
  if (nb > 0) a->beat_confidence = vsc_audio_onset_share(f, beats, nb);

  size_t *down = NULL, nd = 0;
  int meter;
  double mconf;
  if (vsc_audio_downbeats(f, beats, nb, o->meter, &meter, &mconf, &down, &nd) < 0) goto oom;
  a->meter = meter;
  a->meter_confidence = mconf;

  a->beats = malloc((nb ? nb : 1) * sizeof *a->beats);
  a->downbeats = malloc((nd ? nd : 1) * sizeof *a->downbeats);
  if (!a->beats || !a->downbeats) {
    free(down);
    goto oom;
  }
  for (size_t i = 0; i < nb; i++) {
    double t = f->t0 + beats[i] / f->fps;
    a->beats[i] = t < 0 ? 0 : t;
  }
  a->nbeats = nb;
  for (size_t i = 0; i < nd; i++) a->downbeats[i] = a->beats[down[i]];
  a->ndownbeats = nd;
  free(down);
  if (nb >= 2) {
    double *ibi = malloc((nb - 1) * sizeof *ibi);
    if (!ibi) goto oom;
    for (size_t i = 0; i + 1 < nb; i++) ibi[i] = a->beats[i + 1] - a->beats[i];
    double med = vsc_audio_median(ibi, nb - 1);
    free(ibi);
    a->tempo = med > 0 ? 60.0 / med : bpm;
  } else {
    a->tempo = bpm;
  }
  free(beats);
  free(period);
  return 0;
oom:
  free(beats);
  free(period);
  return -1;
}

static int analyze_core(vsc_audio_analysis **out, const float *x, size_t n,
                        const vsc_audio_options *o, char *err, size_t errlen) {
  *out = NULL;
  vsc_audio_analysis *a = calloc(1, sizeof *a);
  if (!a) {
    vsc_audio_set_err(err, errlen, "audio analysis: out of memory");
    return -1;
  }
  au_features f;
  if (vsc_audio_features(&f, x, n, VSC_AUDIO_RATE, err, errlen) < 0) {
    free(a);
    return -1;
  }
  if (analyze_features(a, &f, o) < 0) goto oom;
  if (vsc_audio_sections(&f, a->beats, a->nbeats, a->downbeats, a->ndownbeats, &a->sections,
                         &a->nsections) < 0)
    goto oom;
  a->onsets = malloc((f.nonsets ? f.nonsets : 1) * sizeof *a->onsets);
  if (!a->onsets) goto oom;
  if (f.nonsets) memcpy(a->onsets, f.onsets, f.nonsets * sizeof *a->onsets);
  a->nonsets = f.nonsets;
  if (!a->beats) a->beats = malloc(sizeof *a->beats);
  if (!a->downbeats) a->downbeats = malloc(sizeof *a->downbeats);
  if (!a->beats || !a->downbeats) goto oom;
  a->confidence = sqrt(a->tempo_confidence * a->beat_confidence);
  vsc_audio_features_free(&f);
  *out = a;
  return 0;
oom:
  vsc_audio_features_free(&f);
  vsc_audio_analysis_free(a);
  vsc_audio_set_err(err, errlen, "audio analysis: out of memory");
  return -1;
}

/* Resamples x (any rate) to the analysis rate by linear interpolation into a new array. */
static float *to_analysis_rate(const float *x, size_t n, double rate, size_t *m) {
  if (rate == VSC_AUDIO_RATE) {
    float *c = malloc((n ? n : 1) * sizeof *c);
    if (c) memcpy(c, x, n * sizeof *c);
    *m = n;
    return c;
  }
  size_t k = (size_t)floor((double)n * VSC_AUDIO_RATE / rate);
  float *y = malloc((k ? k : 1) * sizeof *y);
  if (!y) return NULL;
  for (size_t i = 0; i < k; i++) {
    double pos = (double)i * rate / VSC_AUDIO_RATE;
    size_t j = (size_t)pos;
    double fr = pos - (double)j;
    y[i] = (float)(j + 1 < n ? x[j] * (1 - fr) + x[j + 1] * fr : x[j < n ? j : n - 1]);
  }
  *m = k;
  return y;
}

int vsc_audio_analyze_samples(vsc_audio_analysis **out, const float *samples, size_t n,
                              double rate, const vsc_audio_options *opts, char *err,
                              size_t errlen) {
  *out = NULL;
  if (rate <= 0 || !samples || n == 0) {
    vsc_audio_set_err(err, errlen, "audio analysis: no samples");
    return -1;
  }
  vsc_audio_options o;
  options_defaults(&o, opts);
  size_t m;
  float *y = to_analysis_rate(samples, n, rate, &m);
  if (!y) {
    vsc_audio_set_err(err, errlen, "audio analysis: out of memory");
    return -1;
  }
  int rc = analyze_core(out, y, m, &o, err, errlen);
  free(y);
  return rc;
}

int vsc_audio_analyze(vsc_audio_analysis **out, const char *path, const vsc_audio_options *opts,
                      char *err, size_t errlen) {
  *out = NULL;
  vsc_audio_options o;
  options_defaults(&o, opts);
  char sha[65] = "";
  if (vsc_sha256_file_known(o.cache_dir, path, sha, NULL, err, errlen) < 0) return -1;
  if (o.cache_dir && vsc_audio_cache_get(out, o.cache_dir, sha, &o) == 0) return 0;

  float *x = NULL;
  size_t n = 0;
  if (vsc_audio_decode(&x, &n, path, VSC_AUDIO_RATE, o.max_seconds, err, errlen) < 0) return -1;
  int rc = analyze_core(out, x, n, &o, err, errlen);
  free(x);
  if (rc < 0) return -1;
  memcpy((*out)->sha256, sha, sizeof sha);
  if (o.cache_dir) {
    /* A cache that cannot be written costs time on the next run, not correctness. */
    char cerr[256];
    (void)vsc_audio_cache_put(*out, o.cache_dir, &o, cerr, sizeof cerr);
  }
  return 0;
}

int vsc_audio_grid(vsc_audio_analysis **out, double bpm, int meter, double offset,
                   double duration, char *err, size_t errlen) {
  *out = NULL;
  if (!(bpm > 0) || bpm > 1000 || meter <= 0 || !(duration >= 0) || offset < 0) {
    vsc_audio_set_err(err, errlen, "beat grid: need tempo > 0, meter > 0, offset >= 0");
    return -1;
  }
  vsc_audio_analysis *a = calloc(1, sizeof *a);
  if (!a) goto oom;
  double step = 60.0 / bpm;
  size_t nb = offset < duration ? (size_t)floor((duration - offset) / step + 1e-9) + 1 : 0;
  a->beats = malloc((nb ? nb : 1) * sizeof *a->beats);
  a->downbeats = malloc((nb ? nb : 1) * sizeof *a->downbeats);
  a->onsets = malloc(sizeof *a->onsets);
  a->sections = malloc(sizeof *a->sections);
  if (!a->beats || !a->downbeats || !a->onsets || !a->sections) goto oom;
  for (size_t i = 0; i < nb; i++) {
    a->beats[i] = offset + (double)i * step;
    if (i % (size_t)meter == 0) a->downbeats[a->ndownbeats++] = a->beats[i];
  }
  a->nbeats = nb;
  a->sections[0] = (vsc_audio_section){0.0, duration, "A", 1.0};
  a->nsections = 1;
  a->duration = duration;
  a->tempo = bpm;
  a->meter = meter;
  a->tempo_confidence = a->beat_confidence = a->meter_confidence = a->confidence = 1.0;
  *out = a;
  return 0;
oom:
  vsc_audio_analysis_free(a);
  vsc_audio_set_err(err, errlen, "beat grid: out of memory");
  return -1;
}

double vsc_audio_snap(const vsc_audio_analysis *a, double t, vsc_audio_grid_kind kind) {
  const double *g = kind == VSC_AUDIO_BARS ? a->downbeats : a->beats;
  size_t n = kind == VSC_AUDIO_BARS ? a->ndownbeats : a->nbeats;
  if (n == 0) return t;
  size_t lo = 0, hi = n; /* first index with g >= t */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (g[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0) return g[0];
  if (lo == n) return g[n - 1];
  return t - g[lo - 1] <= g[lo] - t ? g[lo - 1] : g[lo];
}
