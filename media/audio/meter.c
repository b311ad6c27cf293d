/*
** Audio step 4: meter and downbeats. Each beat gets an accent score: the bar model's
** downbeat log-odds (barnet.c), or without a trained model a hand-made mix of what usually
** marks a bar start (a harmonic change, a low-frequency onset, overall onset strength). A
** Viterbi path over the position in the bar (period 3 or 4, with a costly phase reset
** allowed for odd bars) puts the downbeats on the accented beats; the meter whose
** downbeats stand out most wins, and a beat divided in three may have 2 to the bar (6/8).
*/
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "au_barnet.h"
#include "au_meter.h"
#include "au_util.h"

/* In accent standard deviations: a phase jump needs strong evidence. The meter of a piece
 * rarely changes phase (Krebs, Böck & Widmer 2013's bar pointer model allows no jump at
 * all); a jump stays possible to recover from a beat the tracker added or dropped. 6 puts
 * the bars right on 3 more development songs than 4 and on 1 fewer. */
#define RESET_COST 6.0
#define W_HARM 1.0 /* weights of the accent features (z-scores) */
#define W_LOW 0.6
#define W_ONSET 0.3
/* The bar model's log-odds are clipped so that one beat cannot outvote a bar's worth. */
#define ACC_CLIP 4.0
/* 4/4 is far more common: 3/4 must win by this much (the sum of two contrasts). 0 and 0.3
 * choose the same meters on the development and training songs. */
#define BIAS_3 0.15
/* Compound meter: a beat whose onsets below 2.5 kHz fall a third and two thirds of the way
 * to the next beat at least this many times more strongly than halfway is divided in three
 * (6/8 at the dotted quarter, a shuffle: 2.9 or more on the development songs, straight
 * songs at most 0.7)... */
#define TERNARY_MIN 2.0
/* ... and it has 2 beats to the bar (6/8) when the bar model's downbeats stand out this many
 * times more with a period of 2 than with the chosen one. The 6/8 songs of the development
 * and training sets score 1.25-1.41 (or below 1 where their harmony changes every other
 * bar), the shuffles in 4/4 at most 1.03. */
#define COMPOUND_MARGIN 1.15

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
  double *acc = malloc(nbeats * sizeof *acc), *hand = malloc(nbeats * sizeof *hand);
  float *desc = malloc(nbeats * AU_BAR_DESC * sizeof *desc);
  int *pos = malloc(nbeats * sizeof *pos), *best_pos = malloc(nbeats * sizeof *best_pos);
  size_t *d = malloc(nbeats * sizeof *d);
  int rc = !acc || !hand || !desc || !pos || !best_pos || !d
             ? -1
             : vsc_audio_bar_descriptors(f, beats, nbeats, desc);
  if (rc == 0) {
    for (size_t i = 0; i < nbeats; i++) {
      const float *o = desc + i * AU_BAR_DESC;
      hand[i] = W_HARM * o[AU_BAR_HARM] + W_LOW * o[AU_BAR_LOW] + W_ONSET * o[AU_BAR_ONSET];
    }
    rc = vsc_audio_barnet(desc, nbeats, acc);
  }
  if (rc == 1) { /* no trained model: the hand-made accent places the bars too */
    memcpy(acc, hand, nbeats * sizeof *acc);
    rc = 0;
  }
  free(desc);
  if (rc < 0) {
    free(acc), free(hand), free(pos), free(best_pos), free(d);
    return -1;
  }
  for (size_t i = 0; i < nbeats; i++)
    acc[i] = acc[i] > ACC_CLIP ? ACC_CLIP : acc[i] < -ACC_CLIP ? -ACC_CLIP
                                                               : acc[i];
  zscore(acc, nbeats);
  zscore(hand, nbeats);

  /* The meter: the period whose bar path makes the accents stand out most, by the hand-made
   * accent and the bar model together (version 4 read the hand-made accent alone, as the
   * model rarely calls 3/4 bars with confidence; but the model's contrast is still higher
   * at 3 than at 4 on the waltzes, and the hand-made accent alone put a Planet Blupi tune
   * in 4/4 into 3/4). */
  int lo = meter_hint > 0 ? meter_hint : 3, hi = meter_hint > 0 ? meter_hint : 4;
  if (hi > 12) lo = hi = 12;
  double best = -DBL_MAX;
  int best_m = *meter;
  for (int m = lo; m <= hi; m++) {
    double c = bar_path(hand, nbeats, m, pos) + bar_path(acc, nbeats, m, pos);
    double bias = (meter_hint == 0 && m == 3) ? -BIAS_3 : 0;
    if (c + bias > best) {
      best = c + bias;
      best_m = m;
    }
  }
  /* Compound meter: a 6/8 bar at the dotted-quarter beat has two beats, each divided in
   * three. A shuffle in 4/4 divides its beats in three too, so the bar model decides
   * between the two (Lerdahl & Jackendoff 1983: the meter is the hierarchy of beats, so
   * how the beat divides and how beats group are separate questions). */
  if (meter_hint == 0 && best != -DBL_MAX && nbeats >= 8 &&
      vsc_audio_ternary(f->body, f->n, beats, nbeats) >= TERNARY_MIN &&
      bar_path(acc, nbeats, 2, pos) > COMPOUND_MARGIN * bar_path(acc, nbeats, best_m, pos))
    best_m = 2;
  if (best != -DBL_MAX) best = bar_path(acc, nbeats, best_m, best_pos);
  free(hand);
  if (best == -DBL_MAX) {
    free(acc), free(pos), free(best_pos), free(d);
    return -1;
  }
  size_t nd = 0;
  for (size_t i = 0; i < nbeats; i++)
    if (best_pos[i] == 0) d[nd++] = i;
  *meter = best_m;
  double c = best / 2.0;
  *confidence = c < 0 ? 0 : c > 1 ? 1
                                  : c;
  *down = d;
  *ndown = nd;
  free(acc), free(pos), free(best_pos);
  return 0;
}
