/*
** Section boundaries (media/audio/secfeat.c, sections.c): a silent gap inside the music
** opens a section at both edges; a lead-in of hiss 20 dB under the music (a noise floor,
** not digital silence) ends where the music starts; a section that ends in a stop-time
** drum fill starts on the downbeat after the fill, not on the fill bar; and sections that
** differ only in the tune of the lead over the same chords are found.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "synth.h"
#include "vsc/vsc_audio.h"
#include "vsc_test.h"

/* 1 when a section of a starts within 0.5 s of t. */
static int has_start(const vsc_audio_analysis *a, double t) {
  for (size_t i = 1; i < a->nsections; i++)
    if (fabs(a->sections[i].start - t) <= 0.5) return 1;
  return 0;
}

static void print_sections(const char *what, const vsc_audio_analysis *a) {
  printf("%s:", what);
  for (size_t i = 0; i < a->nsections; i++)
    printf(" %s[%.2f-%.2f]", a->sections[i].label, a->sections[i].start, a->sections[i].end);
  printf("\n");
}

/* ABAB (boundaries at 16, 32 and 48 s) with 4 s of digital silence from 30 s. */
static void test_gap(const synth_track *t) {
  float *x = malloc(t->n * sizeof *x);
  memcpy(x, t->x, t->n * sizeof *x);
  for (size_t i = (size_t)(30.0 * t->rate); i < (size_t)(34.0 * t->rate) && i < t->n; i++) x[i] = 0;
  vsc_audio_analysis *a = NULL;
  char err[256];
  CHECK(vsc_audio_analyze_samples(&a, x, t->n, t->rate, NULL, err, sizeof err) == 0);
  if (a) {
    print_sections("gap 30-34 s", a);
    CHECK(has_start(a, 16.0));
    CHECK(has_start(a, 30.0)); /* music -> silence */
    CHECK(has_start(a, 34.0)); /* silence -> music */
    CHECK(has_start(a, 48.0));
    for (size_t i = 1; i < a->nsections; i++) /* nothing inside the silence */
      CHECK(a->sections[i].start < 30.5 || a->sections[i].start > 33.5);
    vsc_audio_analysis_free(a);
  }
  free(x);
}

/* 3 s of hiss, then the same hiss under the music, 20 dB below it. */
static void test_noise_floor(const synth_track *t) {
  size_t lead = (size_t)(3.0 * t->rate), n = lead + t->n;
  double sq = 0;
  for (size_t i = 0; i < t->n; i++) sq += (double)t->x[i] * t->x[i];
  double amp = 0.1 * sqrt(sq / (double)t->n) * sqrt(3.0); /* uniform noise: rms = amp/sqrt 3 */
  float *x = calloc(n, sizeof *x);
  uint32_t r = 12345;
  for (size_t i = 0; i < n; i++) {
    r = r * 1664525u + 1013904223u;
    x[i] = (float)(amp * ((double)(r >> 8) / 8388608.0 - 1.0)) + (i >= lead ? t->x[i - lead] : 0);
  }
  vsc_audio_analysis *a = NULL;
  char err[256];
  CHECK(vsc_audio_analyze_samples(&a, x, n, t->rate, NULL, err, sizeof err) == 0);
  if (a) {
    print_sections("hiss lead-in 3 s", a);
    CHECK(a->nsections >= 2);
    if (a->nsections >= 2) CHECK(fabs(a->sections[1].start - 3.0) <= 0.5);
    CHECK(has_start(a, 3.0 + 16.0));
    vsc_audio_analysis_free(a);
  }
  free(x);
}

/* Every true boundary of case `name` found within 0.5 s; with `fill`, no section starts
 * within 0.5 s of the bar before a true boundary (the fill bar), else nothing but the true
 * boundaries. (The stop-time fills also open a section 4 bars into some sections.) */
static void test_case(const char *name, int fill) {
  synth_track t;
  CHECK(synth_make(&t, name) == 0);
  vsc_audio_analysis *a = NULL;
  char err[256];
  CHECK(vsc_audio_analyze_samples(&a, t.x, t.n, t.rate, NULL, err, sizeof err) == 0);
  if (a) {
    print_sections(name, a);
    for (size_t k = 0; k < t.nbounds; k++) {
      CHECK(has_start(a, t.bounds[k]));
      if (fill) CHECK(!has_start(a, t.bounds[k] - t.meter * 60.0 / t.tempo));
    }
    if (!fill) CHECK(a->nsections == t.nbounds + 1);
    vsc_audio_analysis_free(a);
  }
  synth_free(&t);
}

int main(void) {
  synth_track t;
  if (synth_make(&t, "sections_abab") < 0) return 1;
  test_gap(&t);
  test_noise_floor(&t);
  synth_free(&t);
  test_case("sections_fill", 1);
  test_case("sections_melody", 0);
  return vsc_test_done("audio_sections");
}
