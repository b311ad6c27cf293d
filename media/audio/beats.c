/*
** Audio stage: beat tracking by dynamic programming (Ellis 2007), with the beat period
** varying along the song (from the local tempo path). Each frame's best score is the
** tracked curve's value there (the pulse: onset strength and the beat model's activation)
** plus the best predecessor's score, minus a penalty for how far the interval
** strays from the local period; the beats are the back-traced best chain. Leading and
** trailing beats over silence are trimmed.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "au_beats.h"
#include "au_util.h"

#define TIGHTNESS 100.0 /* penalty weight on log(interval / period)^2 (librosa's default) */

/* Strength of the onset curve around a (fractional) frame: the max within +-2 frames. */
static double strength_at(const float *o, size_t n, double pos) {
  long c = lround(pos);
  double m = 0;
  for (long k = c - 2; k <= c + 2; k++)
    if (k >= 0 && (size_t)k < n && o[k] > m) m = o[k];
  return m;
}

int vsc_audio_track_beats(const au_features *f, const float *curve, const float *period,
                          double **beats, size_t *nbeats) {
  *beats = NULL;
  *nbeats = 0;
  size_t n = f->n;
  if (n < 4) return 0;
  double *local = malloc(n * sizeof *local);
  double *cum = malloc(n * sizeof *cum);
  long *back = malloc(n * sizeof *back);
  if (!local || !cum || !back) {
    free(local), free(cum), free(back);
    return -1;
  }
  /* A light smoothing so that a peak one frame off still lines up. */
  for (size_t i = 0; i < n; i++) {
    double v[3];
    for (int d = -1; d <= 1; d++) {
      long j = (long)i + d;
      v[d + 1] = j < 0 || (size_t)j >= n ? 0 : curve[j];
    }
    local[i] = 0.25 * v[0] + 0.5 * v[1] + 0.25 * v[2];
  }
  for (size_t t = 0; t < n; t++) {
    double p = period[t];
    long lo = (long)t - (long)lround(2.0 * p), hi = (long)t - (long)lround(0.5 * p);
    double best = 0; /* 0: start a new chain here */
    long bi = -1;
    if (lo < 0) lo = 0;
    for (long q = lo; q <= hi; q++) {
      double d = log((double)((long)t - q) / p);
      double v = cum[q] - TIGHTNESS * d * d;
      if (v > best) {
        best = v;
        bi = q;
      }
    }
    cum[t] = local[t] + best;
    back[t] = bi;
  }
  /* The last beat: the last local maximum of cum above half the median of the maxima. */
  size_t nmax = 0;
  double *maxima = malloc(n * sizeof *maxima);
  if (!maxima) {
    free(local), free(cum), free(back);
    return -1;
  }
  for (size_t t = 1; t + 1 < n; t++)
    if (cum[t] > cum[t - 1] && cum[t] >= cum[t + 1]) maxima[nmax++] = cum[t];
  double thr = nmax ? 0.5 * vsc_audio_median(maxima, nmax) : 0;
  free(maxima);
  long last = -1;
  for (size_t t = n - 1; t >= 1 && t + 1 <= n; t--) {
    double next = t + 1 < n ? cum[t + 1] : -1;
    if (cum[t] > cum[t - 1] && cum[t] >= next && cum[t] > thr) {
      last = (long)t;
      break;
    }
  }
  size_t count = 0;
  for (long t = last; t >= 0; t = back[t]) count++;
  double *b = malloc((count ? count : 1) * sizeof *b);
  if (!b) {
    free(local), free(cum), free(back);
    return -1;
  }
  size_t k = count;
  for (long t = last; t >= 0; t = back[t]) b[--k] = (double)t;

  /* Trim weak beats at both ends (silence before the music starts or after it ends). */
  if (count > 0) {
    double *sm = malloc(count * sizeof *sm);
    if (!sm) {
      free(local), free(cum), free(back), free(b);
      return -1;
    }
    double sq = 0;
    for (size_t i = 0; i < count; i++) {
      /* Smooth over neighbouring beats so one soft beat is not dropped. */
      double acc = 0, wsum = 0;
      for (long j = (long)i - 2; j <= (long)i + 2; j++) {
        if (j < 0 || (size_t)j >= count) continue;
        double wj = 1.0 - fabs((double)(j - (long)i)) / 3.0;
        acc += wj * strength_at(f->onset, n, b[j]);
        wsum += wj;
      }
      sm[i] = acc / wsum;
      sq += sm[i] * sm[i];
    }
    double cut = 0.5 * sqrt(sq / (double)count);
    size_t first = 0, end = count;
    while (first < end && sm[first] < cut) first++;
    while (end > first && sm[end - 1] < cut) end--;
    memmove(b, b + first, (end - first) * sizeof *b);
    count = end - first;
    free(sm);
  }
  /* Sub-frame refinement: a parabola through the onset peak next to each beat. */
  for (size_t i = 0; i < count; i++) {
    long t = (long)b[i];
    if (t <= 0 || (size_t)t + 1 >= n) continue;
    double y0 = local[t - 1], y1 = local[t], y2 = local[t + 1];
    double den = y0 - 2 * y1 + y2;
    if (y1 >= y0 && y1 >= y2 && den < 0) {
      double d = 0.5 * (y0 - y2) / den;
      if (d > -0.5 && d < 0.5) b[i] = (double)t + d;
    }
  }
  free(local), free(cum), free(back);
  *beats = b;
  *nbeats = count;
  return 0;
}
