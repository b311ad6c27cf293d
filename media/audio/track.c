/*
** Audio step 3: the beat grid and its metrical level. A grid is the local tempo path
** (tempo.c) at a level, the dynamic-programming beats (beats.c) on the pulse, then three
** checks of its phase: kick drums in the low band (with the beat model's agreement), a
** safety net for sound the beat model misreads, and one phase for the whole song. The level
** starts at the global tempo and moves by octaves on the evidence of the grids'
** descriptions (level.c): off-beats as strong as beats (faster), every other beat weak
** (slower), beats with nothing between them that the beat model calls strong and weak in
** turn (slower: the subdivision level), or whose low band repeats only every 8 beats
** (slower: the bar). Then by 3 (a 6/8 song at its eighth notes) and by 3/2 (at its quarter
** notes) to the dotted quarter.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "au_beats.h"
#include "au_level.h"
#include "au_tempo.h"
#include "au_track.h"
#include "au_util.h"

/* The off-beat phase test: low-band onsets this many times stronger between the beats
 * than on them mean the grid is on the off-beats; the retry weights the low band so. */
#define PHASE_LOW_RATIO 2.0
#define PHASE_LOW_WEIGHT 1.0
/* ... and the new grid must keep at least this share of the beat activation on its beats. */
#define PHASE_ACT_KEEP 0.9
/* Below this beat confidence on the onset curve the grid is checked against one tracked on
 * the onset curve alone. */
#define ONSET_SHARE_MIN 0.1
/* An interval this far off the local period (a share of it) may be part of a phase jump. */
#define JUMP_DEV 0.1
/* The pulse must be this much stronger (a share) on the other phase to choose it over the
 * phase the song starts on. */
#define PHASE_SCORE_MARGIN 0.05

/* Off-beat strength (relative to the beats) at or above which the next faster level is the
 * beat: a click on every half beat as loud as the beat itself means the tempo is double.
 * The ratio is scaled by the tempo prior (log-Gaussian, Ellis 2007), so leaving the
 * 120 BPM region needs more evidence than approaching it. */
#define OFFBEAT_RATIO 0.7
#define PRIOR_BPM 120.0
#define PRIOR_OCT 1.0
/* The subdivision test (unsubdivided()): nothing between the beats means every curve is
 * below this share of its on-beat strength there; the activation alternates below this
 * ratio; and the slower level's off-beats must not be stronger than its beats. Measured on
 * the training songs: ballads and one-drop reggae at twice their tempo score at most 0.15
 * and 0.77, click tracks and pads at their notated tempo 0.81 or more. */
#define SUBDIV_EMPTY 0.2
#define SUBDIV_ALT 0.8
#define SUBDIV_HALF_MAX 1.1
/* The long-bar test (long_bar()): nothing between the beats (as SUBDIV_EMPTY) while the low
 * band repeats at least this much more 8 beats on than 4 beats on. One-drop reggae at twice
 * its tempo scores 0.50 or more on the training and sectrain3 songs; songs at their notated
 * level with nothing between their beats at most 0.25 (their patterns repeat by the bar). */
#define BAR8_MIN 0.35
/* ... and no swung eighth two thirds of the way (a shuffle's, whose flux there is at least
 * 0.16 of the beats'; the doubled reggae songs score at most 0.06). */
#define BAR8_TRI_MAX 0.1
/* The same test over 6 beats against 3 (long_triple()): a 6/8 song tracked at its eighth
 * notes. */
#define BAR6_MIN 0.15
/* The half-tempo test (halved()): the activation halfway between the beats at least this
 * share of the on-beat activation (songs at their notated level score at most 0.51 in the
 * training set, punk songs at half tempo 0.97), with the flux there at least this share. */
#define HALVED_ACT 0.9
#define HALVED_FLUX 0.4
/* The compound test (compound()): a grid whose beats are divided in two (the activation
 * halfway at least COMPOUND_MID_MIN of the beats') against the grid at 2/3 of its tempo,
 * which has nothing halfway (activation and flux below COMPOUND_MID_MAX) and the model's
 * secondary beats at its thirds (at least COMPOUND_TRI of the beats'); and in the first
 * grid, one halfway point in three stands out in the flux below 2.5 kHz by at least
 * COMPOUND_MID3 of the beats' strength (AU_LV_MID3: the second dotted quarter of each 6/8
 * bar falls halfway between its second and third quarter notes). Of the songs of the
 * training, development, sectrain3 and check68 sets that pass the other tests, the 6/8
 * songs read at 1.5 times their tempo score 0.43-1.04, every other song at most 0.24.
 * Version 6 asked instead that the model call the slower grid's beats stronger (log mean
 * activation 0.15 higher): one such 6/8 song gains only 0.05, and a one-drop reggae at
 * its notated tempo 0.24 (it scores 0.11 on AU_LV_MID3). */
#define COMPOUND_MID_MIN 0.3
#define COMPOUND_MID_MAX 0.1
#define COMPOUND_TRI 0.2
#define COMPOUND_MID3 0.35

#define peak_near vsc_audio_peak_near

double vsc_audio_onset_share(const au_features *f, const double *b, size_t nb) {
  double on = 0, all = 0;
  size_t cnt = 0;
  if (nb == 0) return 0;
  for (size_t i = 0; i < nb; i++) on += peak_near(f->onset, f->n, b[i]);
  on /= (double)nb;
  for (size_t i = 2; i + 2 < f->n; i += 7, cnt++) all += peak_near(f->onset, f->n, (double)i);
  all = cnt ? all / (double)cnt : 0;
  return vsc_audio_beat_share_to_confidence(on > 0 ? 1.0 - all / on : 0);
}

/* Low-band onset strength halfway between the beats, relative to the beats. */
static double lowband_ratio(const au_features *f, const double *b, size_t nb) {
  double on = 0, mid = 0;
  for (size_t i = 0; i + 1 < nb; i++) {
    on += peak_near(f->low, f->n, b[i]);
    mid += peak_near(f->low, f->n, 0.5 * (b[i] + b[i + 1]));
  }
  return on > 0 ? mid / on : mid > 0 ? 1e9
                                     : 0;
}

/* Mean of a curve's peaks at the beats. */
static double mean_on(const float *c, size_t n, const double *b, size_t nb) {
  double s = 0;
  for (size_t i = 0; i < nb; i++) s += peak_near(c, n, b[i]);
  return nb ? s / (double)nb : 0;
}

/* The frame of the pulse's peak within 3 frames of x, refined by a parabola. */
static double pulse_peak(const au_features *f, double x) {
  long c = lround(x), best = -1;
  for (long k = c - 3; k <= c + 3; k++)
    if (k >= 0 && (size_t)k < f->n && (best < 0 || f->pulse[k] > f->pulse[best])) best = k;
  if (best <= 0 || (size_t)best + 1 >= f->n) return x;
  double y0 = f->pulse[best - 1], y1 = f->pulse[best], y2 = f->pulse[best + 1];
  double den = y0 - 2 * y1 + y2;
  return den < 0 ? (double)best + 0.5 * (y0 - y2) / den : (double)best;
}

/* One phase for the whole song. The dynamic programme may move its grid by half a beat over
 * a few beats (1.16 and 1.34 periods, say) where the evidence between the beats is as
 * strong as on them (a one-drop reggae: the skank and the accented hi-hats on the
 * off-beats, the kick once a bar): the grid then follows the off-beats for the rest of the
 * song. A notated beat does not change phase by half a beat; a bar pointer model
 * (Whiteley, Cemgil & Godsill 2006; Krebs, Böck & Widmer 2013) lets the phase advance only
 * with the tempo. So each half-beat jump (a run of at most 3 intervals off the local period
 * by 10 % or more, adding up to between 0.3 and 0.7 of it) is undone: the beats on either
 * side of the jumps are put on one phase, the one where the pulse is clearly stronger over
 * the whole song, else the one the song starts on. Replaces *beats; returns -1 when out of
 * memory. */
static int one_phase(const au_features *f, double **beats, size_t *nbeats) {
  double *b = *beats;
  size_t nb = *nbeats;
  if (nb < 16) return 0;
  size_t nd = nb - 1;
  double *d = malloc(nd * sizeof *d), *per = malloc(nb * sizeof *per), *off = malloc(nb * sizeof *off);
  double *alt[2] = {malloc(nb * sizeof(double)), malloc(nb * sizeof(double))};
  int rc = -1, jumps = 0;
  if (!d || !per || !off || !alt[0] || !alt[1]) goto done;
  for (size_t i = 0; i < nd; i++) d[i] = b[i + 1] - b[i];
  for (size_t i = 0; i < nb; i++) { /* the local period: the median of 17 intervals around */
    size_t lo = i >= 8 ? i - 8 : 0, hi = i + 9 < nd ? i + 9 : nd;
    per[i] = vsc_audio_median(d + lo, hi - lo);
  }
  double acc = 0;
  off[0] = 0;
  for (size_t i = 0; i < nd;) {
    double e = d[i] / per[i] - 1;
    size_t j = i + 1;
    int jump = 0;
    if (fabs(e) >= JUMP_DEV) {
      double sum = e;
      while (j < nd && j < i + 3 && fabs(d[j] / per[j] - 1) >= JUMP_DEV) sum += d[j] / per[j] - 1, j++;
      if (fabs(sum) >= 0.3 && fabs(sum) <= 0.7 && i >= 4 && nd - j >= 4) acc += sum, jumps++, jump = 1;
    }
    /* Beats partway through a jump (NAN) are dropped; the gap is refilled below. */
    for (size_t k = i + 1; k <= j; k++) off[k] = jump && k < j ? NAN : acc;
    i = j;
  }
  if (!jumps) {
    rc = 0;
    goto done;
  }
  /* Alternative 0 puts every beat on the phase of the first beats, 1 on the other one. */
  double score[2] = {0, 0};
  for (size_t i = 0; i < nb; i++) {
    if (isnan(off[i])) continue;
    double o = off[i] - round(off[i]); /* 0 or about +-0.5 periods off the first phase */
    int onfirst = fabs(o) < 0.25;
    alt[0][i] = onfirst ? b[i] : pulse_peak(f, b[i] - o * per[i]);
    alt[1][i] = onfirst ? pulse_peak(f, b[i] + 0.5 * per[i]) : b[i];
    for (int a = 0; a < 2; a++) score[a] += peak_near(f->pulse, f->n, alt[a][i]);
  }
  /* The phase the song starts on stays unless the pulse clearly prefers the other one: a
   * listener, like an online bar pointer tracker, locks on at the start and keeps the phase
   * until the evidence against it is strong. A one-drop's off-beats are nearly as strong as
   * its beats over the song. */
  int pick = 0;
  if (fabs(score[1] - score[0]) >= PHASE_SCORE_MARGIN * fmax(score[0], score[1]))
    pick = score[1] > score[0];
  const double *w = alt[pick];
  /* Where a jump was undone, beats may now crowd (under half a period apart) or leave a gap
   * (over 1.5 periods): drop the one, fill the other on the pulse's peaks. */
  size_t n2 = 0, cap = 2 * nb;
  double *o2 = malloc(cap * sizeof *o2);
  if (!o2) goto done;
  for (size_t i = 0; i < nb; i++) {
    if (isnan(off[i]) || (n2 && w[i] - o2[n2 - 1] < 0.5 * per[i])) continue;
    if (n2 && w[i] - o2[n2 - 1] > 1.5 * per[i]) {
      double prev = o2[n2 - 1], gap = w[i] - prev;
      long k = lround(gap / per[i]);
      for (long m = 1; m < k && n2 + 1 < cap; m++) o2[n2++] = pulse_peak(f, prev + gap * (double)m / (double)k);
    }
    if (n2 < cap) o2[n2++] = w[i];
  }
  free(b);
  *beats = o2, *nbeats = n2;
  rc = 0;
done:
  free(d), free(per), free(off), free(alt[0]), free(alt[1]);
  return rc;
}

/* The phase checks of a grid tracked along `period`: *beats may be replaced. */
static int check_phase(const au_features *f, const float *period, double **beats,
                       size_t *nbeats) {
  double *b = *beats;
  size_t nb = *nbeats;

  /* Phase: kick drums (the low band) mark the beat whatever the hi-hats do. When the
   * points halfway between the beats carry far more low-band onsets than the beats, the
   * grid sits on the off-beats: track again with the low band weighted in. */
  if (nb >= 8 && lowband_ratio(f, b, nb) > PHASE_LOW_RATIO) {
    float *curve = malloc(f->n * sizeof *curve);
    double *b2 = NULL;
    size_t n2 = 0;
    if (!curve) goto oom;
    for (size_t i = 0; i < f->n; i++) curve[i] = f->pulse[i] + PHASE_LOW_WEIGHT * f->low[i];
    int rc = vsc_audio_track_beats(f, curve, period, &b2, &n2);
    free(curve);
    if (rc < 0) goto oom;
    /* The beat model must not disagree: house music puts its bass notes (low band too)
     * between the kicks, where the model has learnt they are not beats. */
    if (n2 >= 8 && lowband_ratio(f, b2, n2) < 1.0 &&
        mean_on(f->act, f->n, b2, n2) >= PHASE_ACT_KEEP * mean_on(f->act, f->n, b, nb)) {
      free(b);
      b = b2, nb = n2;
    } else {
      free(b2);
    }
  }

  /* Safety net: a model can misread sound unlike anything it was trained on (a bare click
   * track) and put the grid between the attacks. When the grid finds no onsets, while the
   * same tempo path tracked on the onset curve alone does, the onset curve wins. */
  if (nb >= 8 && vsc_audio_onset_share(f, b, nb) < ONSET_SHARE_MIN) {
    double *b2 = NULL;
    size_t n2 = 0;
    if (vsc_audio_track_beats(f, f->onset, period, &b2, &n2) < 0) goto oom;
    if (n2 >= 8 && vsc_audio_onset_share(f, b2, n2) >= ONSET_SHARE_MIN + 0.4) {
      free(b);
      b = b2, nb = n2;
    } else {
      free(b2);
    }
  }
  *beats = b, *nbeats = nb;
  return one_phase(f, beats, nbeats);
oom:
  *beats = b, *nbeats = nb;
  return -1;
}

static double prior(double bpm) {
  double z = log2(bpm / PRIOR_BPM) / PRIOR_OCT;
  return exp(-0.5 * z * z);
}

/* The grid at the level of `bpm`, described (and printed to dump). */
static int described_grid(const au_features *f, double bpm, double min_bpm, double max_bpm,
                          float *period, double *clarity, double **b, size_t *nb, float *x,
                          FILE *dump) {
  *b = NULL, *nb = 0;
  if (vsc_audio_tempo_local(f, bpm, min_bpm, max_bpm, period, clarity) < 0 ||
      vsc_audio_track_beats(f, f->pulse, period, b, nb) < 0)
    return -1;
  vsc_audio_level_features(f, *b, *nb, bpm, x);
  if (dump) {
    fprintf(dump, "%.3f %zu", bpm, *nb);
    for (int j = 0; j < AU_LEVEL_NF; j++) fprintf(dump, " %.4g", (double)x[j]);
    fprintf(dump, "\n");
  }
  return 0;
}

/* How strong the points halfway between beats are, relative to the beats, by two
 * witnesses: the flux below 2.5 kHz and in the low band (hi-hats and cymbals mark
 * subdivisions, not beats; a kick between two snares is a beat), and the beat model's
 * activation (which has learnt the notated beat level from data). `agree` = 1 returns the
 * smaller ratio (both must call the off-beats strong: doubling the tempo), 0 the larger
 * (both must call them weak: halving it). */
static double offbeat_ratio(const float *x, int agree) {
  double qf = fmax(x[AU_LV_MID_BODY], x[AU_LV_MID_LOW]), qa = x[AU_LV_MID_ACT];
  return agree ? fmin(qf, qa) : (2 * qf + qa) / 3;
}

/* A grid at the subdivision level: nothing sounds between its beats (halfway or a third of
 * the way, on any curve) while the beat model calls every other beat weak. The notated
 * beat (the tactus) is the level that is itself subdivided (Lerdahl & Jackendoff 1983;
 * Parncutt 1994): a ballad's steady eighth notes are not its beat. */
static int nothing_between(const float *x) {
  double sub = 0;
  for (int k = AU_LV_MID_ACT; k <= AU_LV_TRI_BODY; k++) sub = fmax(sub, x[k]);
  return sub < SUBDIV_EMPTY;
}

static int unsubdivided(const float *x) {
  return nothing_between(x) && x[AU_LV_ALT_ACT] < SUBDIV_ALT;
}

/* A grid at the subdivision level by its bar: nothing sounds between its beats, and its low
 * band (kick, bass) repeats every 8 beats rather than every 4. A bar spans 2 to 4 tactus
 * beats (Klapuri, Eronen & Astola 2006 model the two levels together): a one-drop reggae's
 * kick on beat 3, counted at its eighth notes, comes every 8. The beat model calls such
 * eighths equally strong (the skank on the off-beats), so unsubdivided() misses them. */
static int long_bar(const float *x) {
  return nothing_between(x) && x[AU_LV_TRI_BODY] < BAR8_TRI_MAX && x[AU_LV_BAR8] >= BAR8_MIN;
}

/* A grid at half the notated tempo: the beat model calls the points halfway between its
 * beats as strong as the beats, and notes sound there (a punk song's snare on every other
 * beat makes its half tempo periodic too). */
static int halved(const float *x) {
  return x[AU_LV_MID_ACT] >= HALVED_ACT &&
         fmax(x[AU_LV_MID_BODY], x[AU_LV_MID_LOW]) >= HALVED_FLUX;
}

/* A grid on the eighth notes of a 6/8 song: nothing between its beats (no swung eighth
 * either) and the low band repeating every 6 beats at least BAR6_MIN more than every 3.
 * The 6/8 songs of check68 tracked at their eighths score 0.22-0.43, waltzes at 100 BPM or
 * more at their notated tempo at most 0.08 (training, development, sectrain3, check68). */
static int long_triple(const float *x) {
  return nothing_between(x) && x[AU_LV_TRI_BODY] < BAR8_TRI_MAX && x[AU_LV_BAR6] >= BAR6_MIN;
}

/* Every other beat of b (n2 of them), at the parity where the pulse (the beat model's
 * activation and the onsets) is stronger: the beat is chosen among the grid's phases by the
 * evidence on it (Davies & Plumbley 2007). Not by the low band: a one-drop's bass plays as
 * much on its off-beats as on its beats. */
static double *every_other(const au_features *f, const double *b, size_t nb, size_t *n2) {
  double s[2] = {0, 0};
  for (size_t i = 0; i < nb; i++) s[i % 2] += peak_near(f->pulse, f->n, b[i]);
  size_t p = s[1] > s[0];
  double *o = malloc((nb / 2 + 1) * sizeof *o);
  *n2 = 0;
  if (!o) return NULL;
  for (size_t i = p; i < nb; i += 2) o[(*n2)++] = b[i];
  return o;
}

/* Grid x (tempo T) reads a compound meter as simple: a 6/8 song's eighth notes grouped in
 * twos, three "beats" to the bar at 1.5 times the dotted quarter; y is the grid at 2T/3. */
static int compound(const float *x, const float *y) {
  return x[AU_LV_MID_ACT] >= COMPOUND_MID_MIN && y[AU_LV_MID_ACT] < COMPOUND_MID_MAX &&
         y[AU_LV_MID_BODY] < COMPOUND_MID_MAX && y[AU_LV_TRI_ACT] >= COMPOUND_TRI &&
         x[AU_LV_MID3] >= COMPOUND_MID3;
}

int vsc_audio_choose_level(const au_features *f, double min_bpm, double max_bpm, double *bpm,
                           float *period, double *clarity, double **beats, size_t *nb,
                           FILE *dump) {
  float x[AU_LEVEL_NF], x2[AU_LEVEL_NF];
  float *p2 = malloc(f->n * sizeof *p2);
  double *b2 = NULL, c2;
  size_t n2;
  *beats = NULL, *nb = 0;
  if (!p2 || described_grid(f, *bpm, min_bpm, max_bpm, period, clarity, beats, nb, x, dump) < 0)
    goto oom;
  /* Faster while off-beats are as strong as beats, slower while every other beat is an
   * off-beat; the threshold is scaled by the prior ratio of the two tempi. A move never
   * undoes the one before (a one-drop reggae calls for both: its eighths have nothing
   * between them, its quarters have the skank halfway); the first move stands. */
  int dir = 0;
  for (int step = 0; step < 3; step++) {
    if (dir >= 0 && *bpm * 2 <= max_bpm &&
        (offbeat_ratio(x, 1) >= OFFBEAT_RATIO * prior(*bpm) / prior(*bpm * 2) || halved(x))) {
      if (described_grid(f, *bpm * 2, min_bpm, max_bpm, p2, &c2, &b2, &n2, x2, dump) < 0)
        goto oom;
      /* Not onto a grid that counts the subdivision by its bar (the skank's eighths). */
      if (!(n2 >= 8 && long_bar(x2))) {
        free(*beats);
        *beats = b2, *nb = n2, *bpm *= 2, *clarity = c2, b2 = NULL, dir = 1;
        memcpy(period, p2, f->n * sizeof *period);
        memcpy(x, x2, sizeof x);
        continue;
      }
      free(b2);
      b2 = NULL;
      break;
    }
    /* The range is the grid's own tempo's: the path may have left the global estimate. */
    if (dir <= 0 && 120.0 * exp2(x[AU_LV_Z]) / 2 >= min_bpm) {
      if (described_grid(f, *bpm / 2, min_bpm, max_bpm, p2, &c2, &b2, &n2, x2, dump) < 0) goto oom;
      int take = n2 >= 4 && (offbeat_ratio(x2, 0) < OFFBEAT_RATIO * prior(*bpm / 2) / prior(*bpm) ||
                             (*nb >= 8 && unsubdivided(x) && offbeat_ratio(x2, 0) < SUBDIV_HALF_MAX));
      if (!take && *nb >= 8 && long_bar(x)) {
        /* The beat is every other beat of this grid, the one the pulse marks: the
         * half-tempo grid tracked afresh may sit on the skank. */
        free(b2);
        b2 = every_other(f, *beats, *nb, &n2);
        if (!b2) goto oom;
        vsc_audio_level_features(f, b2, n2, *bpm / 2, x2);
        if (dump) {
          fprintf(dump, "%.3f %zu", *bpm / 2, n2);
          for (int j = 0; j < AU_LEVEL_NF; j++) fprintf(dump, " %.4g", (double)x2[j]);
          fprintf(dump, " (every other beat)\n");
        }
        take = n2 >= 4;
      }
      if (take) {
        free(*beats);
        *beats = b2, *nb = n2, *bpm /= 2, *clarity = c2, b2 = NULL;
        memcpy(period, p2, f->n * sizeof *period);
        memcpy(x, x2, sizeof x);
        dir = -1;
        continue;
      }
      free(b2);
      b2 = NULL;
    }
    break;
  }
  /* Compound meter counted in eighth notes: nothing between the beats, three to the tracked
   * bar, while the low band repeats every 6 beats rather than every 3 (two 6/8 bars of
   * eighths, the second dotted quarter of each like the first; a waltz's oom-pah repeats by
   * its bar). The beat is then the group of three, if the grid at a third of the tempo has
   * its eighths at its thirds and nothing halfway. A slow 6/8 beat may lie below the range. */
  if (*nb >= 24 && dir <= 0 && long_triple(x)) {
    if (described_grid(f, *bpm / 3, min_bpm * 2 / 3, max_bpm, p2, &c2, &b2, &n2, x2, dump) < 0)
      goto oom;
    if (n2 >= 8 && x2[AU_LV_MID_ACT] < COMPOUND_MID_MAX && x2[AU_LV_MID_BODY] < COMPOUND_MID_MAX &&
        x2[AU_LV_TRI_ACT] >= COMPOUND_TRI) {
      free(*beats);
      *beats = b2, *nb = n2, *bpm /= 3, *clarity = c2, b2 = NULL;
      memcpy(period, p2, f->n * sizeof *period);
      memcpy(x, x2, sizeof x);
    }
    free(b2);
    b2 = NULL;
  }
  /* Compound meter: the octave moves cannot reach the dotted quarter from a grid on every
   * other eighth note (a ratio of 3/2). A slow 6/8 beat may lie below the range: its eighth
   * notes are in it. */
  if (*nb >= 8 && x[AU_LV_MID_ACT] >= COMPOUND_MID_MIN) {
    if (described_grid(f, *bpm * 2 / 3, min_bpm * 2 / 3, max_bpm, p2, &c2, &b2, &n2, x2, dump) < 0)
      goto oom;
    if (n2 >= 8 && compound(x, x2)) {
      free(*beats);
      *beats = b2, *nb = n2, *bpm = *bpm * 2 / 3, *clarity = c2, b2 = NULL;
      memcpy(period, p2, f->n * sizeof *period);
    }
    free(b2);
    b2 = NULL;
  }
  free(p2);
  return check_phase(f, period, beats, nb);
oom:
  free(p2), free(b2), free(*beats);
  *beats = NULL, *nb = 0;
  return -1;
}
