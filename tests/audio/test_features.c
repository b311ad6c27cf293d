/*
** Tests of the feature curves (media/audio/features.c) at the edges of the signal: every
** curve stays finite and non-negative on digital silence, alone, after music and before
** it (a running mean over a loud stretch can leave a rounding error below zero on the
** exact zeros after it, whose square root was NaN).
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au_features.h"
#include "synth.h"
#include "vsc_test.h"
#include "vsc/vsc_audio.h"

/* Counts the values of a curve that are NaN, infinite or negative. */
static size_t bad_values(const float *v, size_t n) {
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) bad += !isfinite(v[i]) || v[i] < 0;
  return bad;
}

/* Features of x (n samples at the library's rate); every curve must be finite. */
static void check_curves(const char *what, const float *x, size_t n) {
  au_features f;
  char err[256];
  CHECK(vsc_audio_features(&f, x, n, VSC_AUDIO_RATE, err, sizeof err) == 0);
  const struct {
    const char *name;
    const float *v;
    size_t n;
  } curves[] = {{"onset", f.onset, f.n}, {"low", f.low, f.n}, {"body", f.body, f.n}, {"act", f.act, f.n}, {"pulse", f.pulse, f.n}, {"rms", f.rms, f.n}, {"groups", f.groups, f.n * AU_NGROUP}, {"chroma", f.chroma, f.ns * AU_NCHROMA}};
  for (size_t c = 0; c < sizeof curves / sizeof curves[0]; c++) {
    size_t bad = bad_values(curves[c].v, curves[c].n);
    if (bad) printf("%s: %zu of %zu values of %s are NaN, infinite or negative\n", what, bad,
                    curves[c].n, curves[c].name);
    CHECK(bad == 0);
  }
  size_t bad = 0;
  for (size_t i = 0; i < f.ns * AU_NCEP; i++) bad += !isfinite(f.ceps[i]);
  CHECK(bad == 0);
  vsc_audio_features_free(&f);
}

int main(void) {
  synth_track t;
  CHECK(synth_make(&t, "rock_128") == 0);
  /* The synthesiser works at twice the analysis rate: average pairs of samples. */
  CHECK(t.rate == 2 * VSC_AUDIO_RATE);
  size_t rate = (size_t)VSC_AUDIO_RATE, gap = 20 * rate, ns = t.n / 2;
  float *song = malloc(ns * sizeof *song), *x = calloc(ns + 2 * gap, sizeof *x);
  if (!song || !x) return 1;
  for (size_t i = 0; i < ns; i++) song[i] = 0.5f * (t.x[2 * i] + t.x[2 * i + 1]);
  /* 20 s of digital silence alone. */
  check_curves("silence", x, gap);
  /* The song, then 20 s of digital silence (the end of a file padded with zeros). */
  memcpy(x, song, ns * sizeof *x);
  check_curves("song then silence", x, ns + gap);
  /* Silence, the song, silence. */
  memset(x, 0, (ns + 2 * gap) * sizeof *x);
  memcpy(x + gap, song, ns * sizeof *x);
  check_curves("silence, song, silence", x, ns + 2 * gap);
  free(x);
  free(song);
  synth_free(&t);
  return vsc_test_done("audio_features");
}
