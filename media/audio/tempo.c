/*
** Audio stage: tempo. The global tempo is the best periodicity of the autocorrelation of
** the pulse (onset strength and the beat model's activation), seen through a comb (the
** period and its multiples) and weighted by a log-Gaussian prior around 120 BPM. The local
** tempo follows the song through a Viterbi path over a tempogram (windowed autocorrelation),
** held near the global tempo's metrical level so that a tempo change is followed but an
** octave jump is not.
*/
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "au_tempo.h"

#define PRIOR_BPM 120.0
#define PRIOR_OCT 1.0    /* width of the global prior, in octaves (as Ellis 2007) */
#define LOCAL_OCT 0.35   /* width of the local prior around the chosen level */
#define GRID_STEP 0.0025 /* global tempo grid: 0.25 % steps (log2 units / step below) */
#define LGRID_STEP 0.01  /* local tempo grid: 1 % steps */
#define WIN_S 8.0        /* tempogram window */
#define HOP_S 0.5        /* tempogram hop */
#define JUMP_COST 12.0   /* Viterbi cost per octave of tempo change between windows */

/* Linear interpolation of r at fractional lag l (0 beyond the end). */
static double lerp_at(const double *r, size_t nr, double l) {
  if (l < 0) return 0;
  size_t i = (size_t)l;
  if (i + 1 >= nr) return i < nr ? r[i] : 0;
  double a = l - (double)i;
  return r[i] * (1 - a) + r[i + 1] * a;
}

static double log_prior(double bpm, double centre, double oct) {
  double z = log2(bpm / centre) / oct;
  return -0.5 * z * z;
}

/* Autocorrelation of the mean-removed v[lo, hi) weighted by w (or 1), lags 0..nl-1.
 * tmp holds hi-lo floats. */
static void autocorr(const float *v, size_t lo, size_t hi, const float *w, double mean,
                     float *tmp, double *r, size_t nl) {
  size_t len = hi - lo;
  for (size_t t = 0; t < len; t++) tmp[t] = (float)((v[lo + t] - mean) * (w ? w[t] : 1.0f));
  for (size_t l = 0; l < nl; l++) {
    /* Four partial sums let the compiler use SIMD without reassociating one sum. */
    float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    size_t m = l < len ? len - l : 0, t = 0;
    for (; t + 4 <= m; t += 4) {
      a0 += tmp[t] * tmp[t + l];
      a1 += tmp[t + 1] * tmp[t + 1 + l];
      a2 += tmp[t + 2] * tmp[t + 2 + l];
      a3 += tmp[t + 3] * tmp[t + 3 + l];
    }
    for (; t < m; t++) a0 += tmp[t] * tmp[t + l];
    float acc = (a0 + a1) + (a2 + a3);
    r[l] = l < len ? (double)acc / (double)(len - l) : 0; /* unbiased: long lags are not penalised */
  }
}

void vsc_audio_tempo_global(const au_features *f, double min_bpm, double max_bpm, double *bpm,
                            double *confidence) {
  *bpm = 0;
  *confidence = 0;
  if (f->n < 8) return;
  double pmax = 60.0 * f->fps / min_bpm;
  size_t nl = (size_t)(4 * pmax) + 3;
  if (nl > f->n) nl = f->n;
  double *r = malloc(nl * sizeof *r);
  float *tmp = malloc(f->n * sizeof *tmp);
  if (!r || !tmp) {
    free(r), free(tmp);
    return;
  }
  double mean = 0;
  const float *curve = f->pulse;
  for (size_t i = 0; i < f->n; i++) mean += curve[i];
  mean /= (double)f->n;
  autocorr(curve, 0, f->n, NULL, mean, tmp, r, nl);
  free(tmp);

  double lo = log2(min_bpm), hi = log2(max_bpm);
  size_t ng = (size_t)((hi - lo) / GRID_STEP) + 1;
  double best = -DBL_MAX, best_bpm = 0, best_s = 0;
  double *s = malloc(ng * sizeof *s);
  if (!s) {
    free(r);
    return;
  }
  for (size_t g = 0; g < ng; g++) {
    double b = exp2(lo + (double)g * GRID_STEP);
    double p = 60.0 * f->fps / b;
    double acc = 0;
    int k_used = 0;
    for (int k = 1; k <= 4; k++) {
      if (k * p >= (double)nl - 1) break;
      acc += lerp_at(r, nl, k * p);
      k_used++;
    }
    s[g] = k_used ? acc / k_used : 0;
    if (s[g] <= 0) continue;
    double score = log(s[g]) + log_prior(b, PRIOR_BPM, PRIOR_OCT);
    if (score > best) {
      best = score;
      best_bpm = b;
      best_s = s[g];
    }
  }
  if (best_bpm > 0) {
    /* Clarity: the periodic share of the onset curve's variance at the chosen period. */
    double c = r[0] > 0 ? best_s / r[0] : 0;
    *confidence = c < 0 ? 0 : c > 1 ? 1
                                    : c;
    *bpm = best_bpm;
  }
  free(s);
  free(r);
}

int vsc_audio_tempo_local(const au_features *f, double bpm, double min_bpm, double max_bpm,
                          float *period, double *clarity) {
  *clarity = 0;
  if (f->n == 0) return 0;
  size_t win = (size_t)(WIN_S * f->fps), hop = (size_t)(HOP_S * f->fps);
  if (win > f->n) win = f->n;
  size_t nw = f->n > win ? (f->n - win) / hop + 1 : 1;
  /* The last window ends at the end of the song. */
  if ((nw - 1) * hop + win < f->n) nw++;
  double lo = log2(min_bpm), hi = log2(max_bpm);
  size_t ns = (size_t)((hi - lo) / LGRID_STEP) + 1;
  double pmax = 60.0 * f->fps / min_bpm;
  size_t nl = (size_t)(2 * pmax) + 3;
  if (nl > win) nl = win;

  double *r = malloc(nl * sizeof *r);
  float *w = malloc(win * sizeof *w), *tmp = malloc(win * sizeof *tmp);
  double *emit = malloc(nw * ns * sizeof *emit);
  float *clar = malloc(nw * ns * sizeof *clar); /* periodic share of each window's variance */
  double *score = malloc(ns * sizeof *score), *next = malloc(ns * sizeof *next);
  int *back = malloc(nw * ns * sizeof *back);
  double *path = malloc(nw * sizeof *path);
  if (!r || !w || !tmp || !emit || !clar || !score || !next || !back || !path) {
    free(r), free(w), free(tmp), free(emit), free(clar), free(score), free(next), free(back),
        free(path);
    return -1;
  }
  for (size_t t = 0; t < win; t++) w[t] = (float)sqrt(0.5 - 0.5 * cos(2 * M_PI * (t + 0.5) / win));

  for (size_t k = 0; k < nw; k++) {
    size_t start = k * hop;
    if (start + win > f->n) start = f->n - win;
    double mean = 0;
    const float *curve = f->pulse;
    for (size_t t = start; t < start + win; t++) mean += curve[t];
    mean /= (double)win;
    autocorr(curve, start, start + win, w, mean, tmp, r, nl);
    double mx = 0;
    double *e = emit + k * ns;
    for (size_t s = 0; s < ns; s++) {
      double b = exp2(lo + (double)s * LGRID_STEP);
      double p = 60.0 * f->fps / b;
      double v = lerp_at(r, nl, p) + 0.5 * lerp_at(r, nl, 2 * p);
      e[s] = v > 0 ? v : 0;
      clar[k * ns + s] = r[0] > 0 ? (float)fmin(1.0, e[s] / (1.5 * r[0])) : -1.0f;
      if (e[s] > mx) mx = e[s];
    }
    for (size_t s = 0; s < ns; s++) {
      double b = exp2(lo + (double)s * LGRID_STEP);
      /* A window with no rhythm (silence) carries no evidence: only the prior speaks. */
      double ev = mx > 0 ? log(0.05 + e[s] / mx) : 0;
      e[s] = ev + log_prior(b, bpm, LOCAL_OCT);
    }
  }
  /* Viterbi over tempo states; a change costs JUMP_COST per octave. */
  int reach = (int)(0.5 / LGRID_STEP); /* at most half an octave between windows */
  for (size_t s = 0; s < ns; s++) score[s] = emit[s];
  for (size_t k = 1; k < nw; k++) {
    for (size_t s = 0; s < ns; s++) {
      double bestv = -DBL_MAX;
      int bi = (int)s;
      int a = (int)s - reach < 0 ? 0 : (int)s - reach;
      int z = (int)s + reach >= (int)ns ? (int)ns - 1 : (int)s + reach;
      for (int q = a; q <= z; q++) {
        double v = score[q] - JUMP_COST * fabs((double)(q - (int)s)) * LGRID_STEP;
        if (v > bestv) {
          bestv = v;
          bi = q;
        }
      }
      next[s] = bestv + emit[k * ns + s];
      back[k * ns + s] = bi;
    }
    memcpy(score, next, ns * sizeof *score);
  }
  size_t bs = 0;
  for (size_t s = 1; s < ns; s++)
    if (score[s] > score[bs]) bs = s;
  double csum = 0;
  size_t cn = 0;
  for (size_t k = nw; k-- > 0;) {
    path[k] = lo + (double)bs * LGRID_STEP;                      /* log2 bpm */
    if (clar[k * ns + bs] >= 0) csum += clar[k * ns + bs], cn++; /* silent windows: no say */
    if (k > 0) bs = (size_t)back[k * ns + bs];
  }
  *clarity = cn ? csum / (double)cn : 0;
  /* Per frame: interpolate between window centres (in log tempo). */
  for (size_t i = 0; i < f->n; i++) {
    double c0 = (double)win / 2;
    double pos = ((double)i - c0) / (double)hop;
    double lb;
    if (pos <= 0 || nw == 1) lb = path[0];
    else if (pos >= (double)(nw - 1)) lb = path[nw - 1];
    else {
      size_t k = (size_t)pos;
      double a = pos - (double)k;
      lb = path[k] * (1 - a) + path[k + 1] * a;
    }
    period[i] = (float)(60.0 * f->fps / exp2(lb));
  }
  free(r), free(w), free(tmp), free(emit), free(clar), free(score), free(next), free(back),
      free(path);
  return 0;
}
