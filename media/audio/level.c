/*
** Audio step 3: the description of a beat grid that the choice of the metrical level reads
** (track.c): where its tempo lies, how strong the beat model's activation and the onset
** curves are halfway and a third of the way between its beats relative to the beats
** (the subdivisions), whether every other beat is weaker (strong-weak alternation), how
** many note onsets fall in a beat, how long the low band's pattern is in beats, and whether
** one halfway point in three stands out (a 6/8 bar counted in quarter notes).
*/
#include <math.h>
#include <stdlib.h>

#include "au_level.h"
#include "au_util.h"

/* a / b clipped to 3; 0 (no evidence) when the beats themselves carry nothing. */
static double ratio(double a, double b) {
  double r = b > 0 ? a / b : 0;
  return r > 3.0 ? 3.0 : r;
}

/* How much more the low band (kick, bass) on the beats repeats `lag` beats on than lag / 2
 * beats on: the correlation of its z-scored beat-synchronous strength at the two lags. A bar
 * spans 2 to 4 beats of the tactus (Klapuri, Eronen & Astola 2006 estimate tactus and
 * measure together, with a prior on their ratio); a pattern that repeats only every 8 beats
 * means the grid counts the subdivision, as in a one-drop reggae tracked at its eighth
 * notes (kick and bass on beat 3 of 4), and one that repeats every 6 rather than every 3, a
 * 6/8 song tracked at its eighth notes. 0 when the grid is too short to tell. */
static double longer_bar(const float *low, size_t n, const double *b, size_t nb, size_t lag) {
  if (nb < 3 * lag) return 0;
  double *l = malloc(nb * sizeof *l), m = 0, s = 0, r1 = 0, r2 = 0;
  if (!l) return 0;
  for (size_t i = 0; i < nb; i++) m += l[i] = vsc_audio_peak_near(low, n, b[i]);
  m /= (double)nb;
  for (size_t i = 0; i < nb; i++) s += (l[i] - m) * (l[i] - m);
  s = sqrt(s / (double)nb);
  if (s > 1e-9) {
    size_t h = lag / 2;
    for (size_t i = 0; i < nb; i++) l[i] = (l[i] - m) / s;
    for (size_t i = 0; i + h < nb; i++) r1 += l[i] * l[i + h];
    for (size_t i = 0; i + lag < nb; i++) r2 += l[i] * l[i + lag];
    r1 /= (double)(nb - h), r2 /= (double)(nb - lag);
  }
  free(l);
  return r2 - r1;
}

/* Whether one halfway point in three stands out in the flux below 2.5 kHz: a 6/8 song
 * tracked at its quarter notes (three to the bar, on eighths 1, 3 and 5) has its second
 * dotted-quarter beat halfway between quarters 2 and 3, while a 3/4 or 4/4 song's off-beats
 * are alike. Over windows of 24 beats (so a dropped beat does not mix the phases): the
 * strongest of the three phases' mean minus the middle one, relative to the beats. */
static double mid3(const float *c, size_t n, const double *b, size_t nb, double on) {
  enum { W = 24 };
  if (nb < W + 1 || !(on > 0)) return 0;
  double sum = 0;
  int cnt = 0;
  for (size_t s = 0; s + W + 1 <= nb; s += W / 2, cnt++) {
    double ph[3] = {0, 0, 0};
    for (size_t i = s; i < s + W; i++)
      ph[(i - s) % 3] += vsc_audio_peak_near(c, n, 0.5 * (b[i] + b[i + 1])) / (W / 3);
    double hi = fmax(ph[0], fmax(ph[1], ph[2])), lo = fmin(ph[0], fmin(ph[1], ph[2]));
    sum += hi - (ph[0] + ph[1] + ph[2] - hi - lo); /* the strongest minus the middle one */
  }
  return sum / cnt / on;
}

void vsc_audio_level_features(const au_features *f, const double *b, size_t nb, double bpm,
                              float *x) {
  const float *curves[4] = {f->act, f->body, f->low, f->onset};
  double on[4] = {0}, mid[4] = {0}, third[4] = {0}, even = 0, odd = 0, beven = 0, bodd = 0;
  for (size_t i = 0; i + 1 < nb; i++) {
    double d = b[i + 1] - b[i];
    for (int c = 0; c < 4; c++) {
      on[c] += vsc_audio_peak_near(curves[c], f->n, b[i]);
      mid[c] += vsc_audio_peak_near(curves[c], f->n, b[i] + 0.5 * d);
      third[c] += 0.5 * (vsc_audio_peak_near(curves[c], f->n, b[i] + d / 3.0) +
                         vsc_audio_peak_near(curves[c], f->n, b[i] + 2.0 * d / 3.0));
    }
    double a = vsc_audio_peak_near(f->act, f->n, b[i]);
    double y = vsc_audio_peak_near(f->body, f->n, b[i]);
    if (i % 2) odd += a, bodd += y;
    else even += a, beven += y;
  }
  /* The tempo the grid really has (the local tempo path may have left the candidate's). */
  if (nb > 1) bpm = 60.0 * f->fps * (double)(nb - 1) / (b[nb - 1] - b[0]);
  double z = log2(bpm / 120.0);
  size_t ons = 0; /* note onsets within the tracked span */
  double t0 = nb ? f->t0 + b[0] / f->fps : 0, t1 = nb ? f->t0 + b[nb - 1] / f->fps : 0;
  for (size_t i = 0; i < f->nonsets; i++) ons += f->onsets[i] >= t0 && f->onsets[i] < t1;
  double n = nb > 1 ? (double)(nb - 1) : 1.0;
  x[AU_LV_Z] = (float)z;
  x[AU_LV_Z2] = (float)(z * z);
  x[AU_LV_ACT] = (float)log(0.01 + on[0] / n);
  x[AU_LV_MID_ACT] = (float)ratio(mid[0], on[0]);
  x[AU_LV_MID_BODY] = (float)ratio(mid[1], on[1]);
  x[AU_LV_MID_LOW] = (float)ratio(mid[2], on[2]);
  x[AU_LV_MID_ONS] = (float)ratio(mid[3], on[3]);
  x[AU_LV_TRI_ACT] = (float)ratio(third[0], on[0]);
  x[AU_LV_TRI_BODY] = (float)ratio(third[1], on[1]);
  x[AU_LV_ONSETS] = (float)log(0.1 + (double)ons / n);
  x[AU_LV_ALT_ACT] = (float)ratio(fmin(even, odd), fmax(even, odd));
  x[AU_LV_ALT_BODY] = (float)ratio(fmin(beven, bodd), fmax(beven, bodd));
  x[AU_LV_BAR8] = (float)longer_bar(f->low, f->n, b, nb, 8);
  x[AU_LV_BAR6] = (float)longer_bar(f->low, f->n, b, nb, 6);
  x[AU_LV_MID3] = (float)mid3(f->body, f->n, b, nb, nb > 1 ? on[1] / n : 0);
}
