/*
** Audio helpers (util.h): error text, the median, peaks near a frame, the confidence
** scale. Shared by the analysis steps and the driver.
*/
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au_util.h"

/* The beat-confidence measure on white noise or a steady chord (no rhythm at all). */
#define NOISE_BEAT_SHARE 0.3

void vsc_audio_set_err(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || errlen == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double vsc_audio_median(const double *v, size_t n) {
  double *c = malloc(n * sizeof *c);
  if (!c) return v[n / 2];
  memcpy(c, v, n * sizeof *c);
  qsort(c, n, sizeof *c, cmp_double);
  double m = n % 2 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
  free(c);
  return m;
}

double vsc_audio_peak_near(const float *v, size_t n, double pos) {
  long c = lround(pos);
  double m = 0;
  for (long k = c - 2; k <= c + 2; k++)
    if (k >= 0 && (size_t)k < n && v[k] > m) m = v[k];
  return m;
}

double vsc_audio_beat_share_to_confidence(double share) {
  /* A grid laid over onset-less noise still finds its peaks: ~0.3 by this measure. */
  double c = (share - NOISE_BEAT_SHARE) / (1.0 - NOISE_BEAT_SHARE - 0.1);
  return c < 0 ? 0 : c > 1 ? 1
                           : c;
}

double vsc_audio_ternary(const float *v, size_t nframes, const double *beats, size_t n) {
  double mid = 0, tri = 0, on = 0;
  for (size_t i = 0; i + 1 < n; i++) {
    double d = beats[i + 1] - beats[i];
    on += vsc_audio_peak_near(v, nframes, beats[i]);
    mid += vsc_audio_peak_near(v, nframes, beats[i] + 0.5 * d);
    tri += 0.5 * (vsc_audio_peak_near(v, nframes, beats[i] + d / 3) +
                  vsc_audio_peak_near(v, nframes, beats[i] + 2 * d / 3));
  }
  return tri / (mid + 0.05 * on + 1e-9);
}
