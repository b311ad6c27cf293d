/*
** Audio stage: meter and downbeats. Each beat gets an accent score from what usually marks
** a bar start: a harmonic change (chroma before vs after the beat), a low-frequency onset
** (kick drum, bass note) and overall onset strength. A Viterbi path over the position in
** the bar (period 3 or 4, with a costly phase reset allowed for odd bars) puts the
** downbeats on the accented beats; the meter whose downbeats stand out most wins.
*/
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"

#define RESET_COST 4.0   /* in accent standard deviations: a phase jump needs strong evidence */
#define W_HARM 1.0       /* weights of the accent features (z-scores) */
#define W_LOW 0.6
#define W_ONSET 0.3

static double max_around(const float *v, size_t n, double pos, long w) {
  long c = lround(pos);
  double m = 0;
  for (long k = c - w; k <= c + w; k++)
    if (k >= 0 && (size_t)k < n && v[k] > m) m = v[k];
  return m;
}

/* Mean L2-normalised chroma of slow frames whose centres lie in [t0, t1) (nearest frame
 * when none does) into out[12]. */
static void chroma_span(const au_features *f, double t0, double t1, double *out) {
  memset(out, 0, AU_NCHROMA * sizeof *out);
  if (f->ns == 0) return;
  long j0 = (long)ceil(t0 * f->sfps), j1 = (long)ceil(t1 * f->sfps);
  if (j0 < 0) j0 = 0;
  if (j1 > (long)f->ns) j1 = (long)f->ns;
  if (j1 <= j0) {
    j0 = lround(0.5 * (t0 + t1) * f->sfps);
    if (j0 < 0) j0 = 0;
    if (j0 >= (long)f->ns) j0 = (long)f->ns - 1;
    j1 = j0 + 1;
  }
  for (long j = j0; j < j1; j++) {
    const float *c = f->chroma + (size_t)j * AU_NCHROMA;
    double norm = 0;
    for (int k = 0; k < AU_NCHROMA; k++) norm += (double)c[k] * c[k];
    norm = sqrt(norm);
    if (norm <= 0) continue;
    for (int k = 0; k < AU_NCHROMA; k++) out[k] += c[k] / norm;
  }
}

static double cosine(const double *a, const double *b, int n) {
  double ab = 0, aa = 0, bb = 0;
  for (int k = 0; k < n; k++) {
    ab += a[k] * b[k];
    aa += a[k] * a[k];
    bb += b[k] * b[k];
  }
  return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 1.0; /* silence: no change */
}

static void zscore(double *v, size_t n) {
  double m = 0, s = 0;
  for (size_t i = 0; i < n; i++) m += v[i];
  m /= (double)n;
  for (size_t i = 0; i < n; i++) s += (v[i] - m) * (v[i] - m);
  s = sqrt(s / (double)n);
  for (size_t i = 0; i < n; i++) v[i] = s > 1e-9 ? (v[i] - m) / s : 0;
}

/* Viterbi over bar positions 0..m-1 (0 = downbeat). Fills pos[] and returns the contrast:
 * mean accent on downbeats minus mean accent elsewhere. */
static double bar_path(const double *acc, size_t n, int m, int *pos) {
  double score[16], next[16];
  int *back = malloc(n * (size_t)m * sizeof *back);
  if (!back) return -DBL_MAX;
  for (int p = 0; p < m; p++) score[p] = p == 0 ? acc[0] : 0;
  for (size_t i = 1; i < n; i++) {
    for (int p = 0; p < m; p++) {
      int from = (p + m - 1) % m;
      double best = score[from];
      int bi = from;
      for (int q = 0; q < m; q++) {
        if (q == from) continue;
        double v = score[q] - RESET_COST;
        if (v > best) {
          best = v;
          bi = q;
        }
      }
      next[p] = best + (p == 0 ? acc[i] : 0);
      back[i * (size_t)m + (size_t)p] = bi;
    }
    memcpy(score, next, sizeof score);
  }
  int bp = 0;
  for (int p = 1; p < m; p++)
    if (score[p] > score[bp]) bp = p;
  for (size_t i = n; i-- > 0;) {
    pos[i] = bp;
    if (i > 0) bp = back[i * (size_t)m + (size_t)bp];
  }
  free(back);
  double on = 0, off = 0;
  size_t non = 0, noff = 0;
  for (size_t i = 0; i < n; i++) {
    if (pos[i] == 0) on += acc[i], non++;
    else off += acc[i], noff++;
  }
  if (!non || !noff) return 0;
  return on / (double)non - off / (double)noff;
}

int vsc_audio_downbeats(const au_features *f, const double *beats, size_t nbeats, int meter_hint,
                        int *meter, double *confidence, size_t **down, size_t *ndown) {
  *meter = meter_hint > 0 ? meter_hint : 4;
  *confidence = 0;
  *down = NULL;
  *ndown = 0;
  if (nbeats == 0) return 0;
  double *harm = malloc(nbeats * sizeof *harm), *low = malloc(nbeats * sizeof *low);
  double *on = malloc(nbeats * sizeof *on), *acc = malloc(nbeats * sizeof *acc);
  int *pos = malloc(nbeats * sizeof *pos), *best_pos = malloc(nbeats * sizeof *best_pos);
  size_t *d = malloc(nbeats * sizeof *d);
  if (!harm || !low || !on || !acc || !pos || !best_pos || !d) {
    free(harm), free(low), free(on), free(acc), free(pos), free(best_pos), free(d);
    return -1;
  }
  /* Beat times in seconds, with one extrapolated beat at each end. */
  double *bt = malloc((nbeats + 3) * sizeof *bt);
  if (!bt) {
    free(harm), free(low), free(on), free(acc), free(pos), free(best_pos), free(d);
    return -1;
  }
  double step = nbeats > 1 ? (beats[nbeats - 1] - beats[0]) / f->fps / (double)(nbeats - 1) : 0.5;
  for (size_t i = 0; i < nbeats; i++) bt[i + 2] = f->t0 + beats[i] / f->fps;
  bt[1] = bt[2] - step;
  bt[0] = bt[1] - step;
  bt[nbeats + 2] = bt[nbeats + 1] + step;
  for (size_t i = 0; i < nbeats; i++) {
    /* Harmonic change: what sounds from this beat on, against the two beats before it
     * (a bar's first chord or accent differs from the end of the previous bar, while the
     * second beat still resembles the first). Spans stop 70 ms short of the next beat
     * so the 186 ms chroma window does not reach into it. */
    double t = bt[i + 2];
    double before[AU_NCHROMA], after[AU_NCHROMA];
    chroma_span(f, bt[i], t - 0.07, before);
    chroma_span(f, t, bt[i + 3] - 0.07, after);
    harm[i] = 1.0 - cosine(before, after, AU_NCHROMA);
    low[i] = max_around(f->low, f->n, beats[i], 2);
    on[i] = max_around(f->onset, f->n, beats[i], 2);
  }
  free(bt);
  /* The first two beats have no past to compare with: neutral. */
  if (nbeats > 3) {
    double m = 0;
    for (size_t i = 2; i < nbeats; i++) m += harm[i];
    harm[0] = harm[1] = m / (double)(nbeats - 2);
  }
  zscore(harm, nbeats);
  zscore(low, nbeats);
  zscore(on, nbeats);
  for (size_t i = 0; i < nbeats; i++) acc[i] = W_HARM * harm[i] + W_LOW * low[i] + W_ONSET * on[i];

  int lo = meter_hint > 0 ? meter_hint : 3, hi = meter_hint > 0 ? meter_hint : 4;
  if (hi > 12) lo = hi = 12;
  double best = -DBL_MAX;
  int best_m = *meter;
  for (int m = lo; m <= hi; m++) {
    double c = bar_path(acc, nbeats, m, pos);
    /* 4/4 is far more common: 3/4 must be clearly better. */
    double bias = (meter_hint == 0 && m == 3) ? -0.15 : 0;
    if (c + bias > best) {
      best = c + bias;
      best_m = m;
      memcpy(best_pos, pos, nbeats * sizeof *pos);
    }
  }
  if (best == -DBL_MAX) {
    free(harm), free(low), free(on), free(acc), free(pos), free(best_pos), free(d);
    return -1;
  }
  size_t nd = 0;
  for (size_t i = 0; i < nbeats; i++)
    if (best_pos[i] == 0) d[nd++] = i;
  *meter = best_m;
  double c = best / 2.0;
  *confidence = c < 0 ? 0 : c > 1 ? 1 : c;
  *down = d;
  *ndown = nd;
  free(harm), free(low), free(on), free(acc), free(pos), free(best_pos);
  return 0;
}
