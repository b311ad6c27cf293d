/*
** Audio step 3: the description of a beat grid that the choice of the metrical level reads
** (track.c): where its tempo lies, how strong the beat model's activation and the onset
** curves are halfway and a third of the way between its beats relative to the beats
** (the subdivisions), whether every other beat is weaker (strong-weak alternation), and
** how many note onsets fall in a beat.
*/
#include <math.h>

#include "au_level.h"
#include "au_util.h"

/* a / b clipped to 3; 0 (no evidence) when the beats themselves carry nothing. */
static double ratio(double a, double b) {
  double r = b > 0 ? a / b : 0;
  return r > 3.0 ? 3.0 : r;
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
}
