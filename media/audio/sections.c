/*
** Audio step 5b: sections. secfeat.c describes every beat as a possible section start
** (novelty of harmony, melody, timbre, loudness and rhythm at 2, 4 and 8 bars, breaks in
** repetition, fills, the phrase grid); a logistic model (section_weights.c, fitted by
** tests/audio/train_sections.py) turns the descriptors into the log-odds of a boundary,
** and the strongest peaks above a threshold (also relative to the song's strongest peak)
** become boundaries, at least MIN_SECTION_S apart, on the downbeat after a fill rather
** than on the fill bar. Learning how to weigh several novelty curves from annotated
** boundaries follows Turnbull, Lanckriet, Pampalk & Goto 2007 ("A supervised approach for
** detecting boundaries in music using difference features and boosting"). Silence/music
** edges are always boundaries. Sections whose features match an earlier one share its
** label.
*/
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au_secfeat.h"
#include "au_sections.h"
#include "section_weights.h"

#define MIN_SECTION_S 4.0 /* no section shorter than this (silent gaps excepted) */
#define SAME_LABEL 0.45   /* segment distance, relative to adjacent segments', for "same kind" */
/* Log-odds (p 0.88) at which a beat is a boundary however much stronger the song's best is:
 * chosen on the development, sectrain3 and check68 songs (none fitted), where the song-
 * relative threshold alone dropped true boundaries among the four strongest beats of 11. */
#define SURE_LOGIT 2.0

/* The log-odds that a section starts at unit i. */
static double boundary_logit(const double *x) {
  double z = vsc_audio_section_bias;
  for (int k = 0; k < AU_SEC_NFEAT; k++)
    z += vsc_audio_section_w[k] * (x[k] - vsc_audio_section_mean[k]) * vsc_audio_section_scale[k];
  return z;
}

/* The downbeat after unit i when the bar from i is a fill (busier than the bar before by
 * fill_min) and the boundary log-odds there are at most fill_drop below i's; else i. */
static long after_fill(const au_secfeat *s, const double *raw, long i) {
  if (s->x[(size_t)i * AU_SEC_NFEAT + AU_SEC_down] == 0) return i;
  for (long j = i + 1; j < (long)s->n && s->t0[j] - s->t0[i] < 8.0; j++) {
    const double *x = &s->x[(size_t)j * AU_SEC_NFEAT];
    if (x[AU_SEC_down] == 0) continue;
    return x[AU_SEC_fill] >= vsc_audio_section_fill_min &&
                   raw[j] >= raw[i] - vsc_audio_section_fill_drop
             ? j
             : i;
  }
  return i;
}

/* Mean similarity between the units of [a0, a1) and [b0, b1), at most ~128 x 128 pairs. */
static double block_sim(const au_secfeat *s, size_t a0, size_t a1, size_t b0, size_t b1) {
  size_t sa = (a1 - a0) / 128 + 1, sb = (b1 - b0) / 128 + 1;
  double acc = 0;
  size_t m = 0;
  for (size_t i = a0; i < a1; i += sa)
    for (size_t j = b0; j < b1; j += sb) {
      if (i == j) continue;
      acc += vsc_audio_section_sim(s, i, j);
      m++;
    }
  return m ? acc / (double)m : 1.0;
}

/* Labels: block similarity of segments, relative to their own coherence. A segment gets
 * an earlier segment's label when their distance is below SAME_LABEL times the mean
 * distance of adjacent segments. */
static int label_segments(const au_secfeat *s, const size_t *bounds, size_t ns, int *label) {
  double *block = malloc(ns * ns * sizeof *block);
  if (!block) return -1;
  for (size_t p = 0; p < ns; p++)
    for (size_t q = p; q < ns; q++)
      block[p * ns + q] = block[q * ns + p] =
          block_sim(s, bounds[p], bounds[p + 1], bounds[q], bounds[q + 1]);
  double adj = 0;
  for (size_t p = 0; p + 1 < ns; p++)
    adj += 0.5 * (block[p * ns + p] + block[(p + 1) * ns + p + 1]) - block[p * ns + p + 1];
  adj = ns > 1 ? adj / (double)(ns - 1) : 1.0;
  int nlabels = 0;
  for (size_t q = 0; q < ns; q++) {
    label[q] = -1;
    double bestd = DBL_MAX;
    for (size_t p = 0; p < q; p++) {
      double d = 0.5 * (block[p * ns + p] + block[q * ns + q]) - block[p * ns + q];
      if (d < bestd) {
        bestd = d;
        label[q] = label[p];
      }
    }
    if (label[q] < 0 || adj <= 0 || bestd > SAME_LABEL * adj) label[q] = nlabels++;
  }
  free(block);
  return 0;
}

/* The first unit that starts at or after t (n when none). */
static size_t unit_at(const au_secfeat *s, double t) {
  size_t i = 0;
  while (i < s->n && s->t0[i] < t - 1e-6) i++;
  return i;
}

int vsc_audio_sections(const au_features *f, const double *beats, size_t nbeats,
                       const double *downbeats, size_t ndown, vsc_audio_section **out,
                       size_t *nout) {
  *out = NULL;
  *nout = 0;
  double dur = f->duration;
  au_secfeat sf;
  if (vsc_audio_section_features(f, beats, nbeats, downbeats, ndown, &sf) < 0) return -1;
  if (sf.n < 4) {
    vsc_audio_section_features_free(&sf);
    vsc_audio_section *s = malloc(sizeof *s);
    if (!s) return -1;
    s[0] = (vsc_audio_section){0.0, dur, "A", 1.0};
    *out = s;
    *nout = 1;
    return 0;
  }
  size_t n = sf.n;
  double *score = malloc(n * sizeof *score);
  double *bt = malloc((n + 2 * sf.ngaps + 2) * sizeof *bt); /* boundary times */
  double *conf = malloc((n + 2 * sf.ngaps + 2) * sizeof *conf);
  size_t *bounds = malloc((n + 2 * sf.ngaps + 2) * sizeof *bounds);
  int *label = malloc((n + 2 * sf.ngaps + 2) * sizeof *label);
  vsc_audio_section *s = malloc((n + 2 * sf.ngaps + 3) * sizeof *s);
  if (!score || !bt || !conf || !bounds || !label || !s) {
    free(score), free(bt), free(conf), free(bounds), free(label), free(s);
    vsc_audio_section_features_free(&sf);
    return -1;
  }
  double *raw = malloc(n * sizeof *raw); /* the log-odds, kept while score is consumed */
  if (!raw) {
    free(score), free(bt), free(conf), free(bounds), free(label), free(s);
    vsc_audio_section_features_free(&sf);
    return -1;
  }
  for (size_t i = 0; i < n; i++) raw[i] = score[i] = boundary_logit(&sf.x[i * AU_SEC_NFEAT]);
  double score_taken = 0;
  double first = sf.t0[0], last = sf.t1[n - 1];
  /* The threshold adapts to the song: a boundary must also come near the song's strongest
   * (a steady song's phrase-grid bars are not sections when its real changes score far
   * higher), unless the model is sure of it. */
  double best = -INFINITY;
  for (size_t i = 1; i < n; i++)
    if (raw[i] > best) best = raw[i];
  double tau = fmax(vsc_audio_section_threshold, fmin(best - vsc_audio_section_drop, SURE_LOGIT));
  /* Silent gaps: both edges, whatever the model says. */
  size_t nb = 0;
  bt[nb] = first, conf[nb] = 1.0, bounds[nb++] = 0;
  for (size_t g = 0; g < sf.ngaps; g++)
    for (int e = 0; e < 2; e++) {
      double t = sf.gaps[2 * g + (size_t)e];
      size_t i = unit_at(&sf, t);
      if (i == 0 || i >= n || i <= bounds[nb - 1]) continue;
      bt[nb] = t, conf[nb] = 1.0, bounds[nb++] = i;
    }
  /* Peaks: strongest first, above the threshold, MIN_SECTION_S from the ends and from
   * every boundary already taken. */
  for (;;) {
    long bi = -1;
    for (size_t i = 1; i < n; i++) {
      if (score[i] < tau) continue;
      if (sf.t0[i] - first < MIN_SECTION_S || last - sf.t0[i] < MIN_SECTION_S) continue;
      if (bi < 0 || score[i] > score[bi]) bi = (long)i;
    }
    if (bi < 0) break;
    score_taken = score[bi];
    score[bi] = -INFINITY; /* taken or too close: never again */
    /* Sections start on bars: a beat off a downbeat moves to the better downbeat next to
     * it (the model may peak a beat early on a fill). */
    if (sf.x[(size_t)bi * AU_SEC_NFEAT + AU_SEC_down] == 0) {
      long nb2 = -1;
      for (long j = bi - 1; j <= bi + 1; j += 2)
        if (j >= 0 && j < (long)n && sf.x[(size_t)j * AU_SEC_NFEAT + AU_SEC_down] > 0 &&
            (nb2 < 0 || raw[j] > raw[nb2]))
          nb2 = j;
      if (nb2 >= 0) bi = nb2;
      if (sf.t0[bi] - first < MIN_SECTION_S || last - sf.t0[bi] < MIN_SECTION_S) continue;
    }
    /* A fill bar is the end of a section, not its start: the model may peak on its
     * downbeat, a bar early. The downbeat after a busier bar wins when it scores close. */
    bi = after_fill(&sf, raw, bi);
    if (sf.t0[bi] - first < MIN_SECTION_S || last - sf.t0[bi] < MIN_SECTION_S) continue;
    int ok = 1;
    for (size_t k = 1; k < nb && ok; k++)
      if (fabs(bt[k] - sf.t0[bi]) < MIN_SECTION_S) ok = 0;
    if (ok) {
      bt[nb] = sf.t0[bi], conf[nb] = 1.0 / (1.0 + exp(-score_taken)), bounds[nb++] = (size_t)bi;
    }
  }
  /* Sort by unit (insertion sort: few boundaries). */
  for (size_t i = 1; i < nb; i++)
    for (size_t j = i; j > 0 && bounds[j - 1] > bounds[j]; j--) {
      size_t tb = bounds[j];
      double tt = bt[j], tc = conf[j];
      bounds[j] = bounds[j - 1], bt[j] = bt[j - 1], conf[j] = conf[j - 1];
      bounds[j - 1] = tb, bt[j - 1] = tt, conf[j - 1] = tc;
    }
  bounds[nb] = n;
  if (label_segments(&sf, bounds, nb, label) < 0) {
    free(raw), free(score), free(bt), free(conf), free(bounds), free(label), free(s);
    vsc_audio_section_features_free(&sf);
    return -1;
  }
  double lead = sf.lead;
  size_t q0 = lead > 0; /* the silent lead-in comes first, labelled A */
  if (q0) s[0] = (vsc_audio_section){0.0, lead, "A", 1.0};
  for (size_t q = 0; q < nb; q++) {
    vsc_audio_section *sq = &s[q + q0];
    sq->start = q == 0 ? lead : bt[q];
    sq->end = q + 1 < nb ? bt[q + 1] : dur;
    int l = label[q] + (int)q0;
    if (l < 26) snprintf(sq->label, sizeof sq->label, "%c", 'A' + l);
    else snprintf(sq->label, sizeof sq->label, "%c%d", 'A' + l % 26, (l / 26) % 1000);
    sq->confidence = conf[q];
  }
  *out = s;
  *nout = nb + q0;
  free(raw), free(score), free(bt), free(conf), free(bounds), free(label);
  vsc_audio_section_features_free(&sf);
  return 0;
}
