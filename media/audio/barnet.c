/*
** Audio step 4a: the bar model. Downbeat tracking from beat-synchronous features is
** Durand, Bello, David & Richard 2016 and Böck, Krebs & Widmer 2016 (there deep networks
** on spectrogram segments); here each beat is described by a few numbers (the low-band,
** body and broadband onset strength on it, the beat activation, the flux of 8 register
** groups, the harmonic change across it at one and two beats, its loudness) and a
** one-hidden-layer network reads them over 8 beats (i-3 .. i+4), so it can learn bar
** patterns: a kick on 1 and 3, a snare on 2 and 4, a chord that changes on 1, a crash or a
** fill before it. The Viterbi path over bar positions (meter.c) then turns the log-odds
** into a consistent bar grid.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "au_barnet.h"
#include "barnet_weights.h"

static double max_around(const float *v, size_t n, size_t stride, size_t k0, double pos,
                         long w) {
  long c = lround(pos);
  double m = 0;
  for (long k = c - w; k <= c + w; k++)
    if (k >= 0 && (size_t)k < n && v[(size_t)k * stride + k0] > m) m = v[(size_t)k * stride + k0];
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

static double change(const au_features *f, double a0, double a1, double b0, double b1) {
  double x[AU_NCHROMA], y[AU_NCHROMA], xy = 0, xx = 0, yy = 0;
  chroma_span(f, a0, a1, x);
  chroma_span(f, b0, b1, y);
  for (int k = 0; k < AU_NCHROMA; k++) xy += x[k] * y[k], xx += x[k] * x[k], yy += y[k] * y[k];
  return xx > 0 && yy > 0 ? 1.0 - xy / sqrt(xx * yy) : 0.0; /* silence: no change */
}

int vsc_audio_bar_descriptors(const au_features *f, const double *beats, size_t nbeats,
                              float *d) {
  if (nbeats == 0) return 0;
  /* Beat times in seconds, two extrapolated beats at each end. */
  double *bt = malloc((nbeats + 4) * sizeof *bt);
  if (!bt) return -1;
  double step = nbeats > 1 ? (beats[nbeats - 1] - beats[0]) / f->fps / (double)(nbeats - 1) : 0.5;
  for (size_t i = 0; i < nbeats; i++) bt[i + 2] = f->t0 + beats[i] / f->fps;
  bt[1] = bt[2] - step, bt[0] = bt[1] - step;
  bt[nbeats + 2] = bt[nbeats + 1] + step, bt[nbeats + 3] = bt[nbeats + 2] + step;
  for (size_t i = 0; i < nbeats; i++) {
    float *o = d + i * AU_BAR_DESC;
    double p = beats[i], t = bt[i + 2];
    o[AU_BAR_LOW] = (float)max_around(f->low, f->n, 1, 0, p, 2);
    o[1] = (float)max_around(f->body, f->n, 1, 0, p, 2);
    o[AU_BAR_ONSET] = (float)max_around(f->onset, f->n, 1, 0, p, 2);
    o[3] = (float)max_around(f->act, f->n, 1, 0, p, 2);
    for (int g = 0; g < AU_NGROUP; g++)
      o[4 + g] = (float)max_around(f->groups, f->n, AU_NGROUP, (size_t)g, p, 2);
    /* Spans stop 70 ms short of the next beat so the 186 ms chroma window does not reach
     * into it. */
    o[AU_BAR_HARM] = (float)change(f, bt[i + 1], t - 0.07, t, bt[i + 3] - 0.07);
    o[13] = (float)change(f, bt[i], t - 0.07, t, bt[i + 4] - 0.07);
    /* Loudness over the beat (dB of the mean square). */
    long k0 = lround(p), k1 = lround(p + step * f->fps);
    double e = 0;
    long cnt = 0;
    for (long k = k0 < 0 ? 0 : k0; k < k1 && (size_t)k < f->n; k++, cnt++)
      e += (double)f->rms[k] * f->rms[k];
    o[14] = (float)(10.0 * log10(1e-10 + (cnt ? e / (double)cnt : 0)));
  }
  free(bt);
  /* z-scores over the song: the model sees contrasts between beats, not levels. */
  for (int k = 0; k < AU_BAR_DESC; k++) {
    double m = 0, s = 0;
    for (size_t i = 0; i < nbeats; i++) m += d[i * AU_BAR_DESC + (size_t)k];
    m /= (double)nbeats;
    for (size_t i = 0; i < nbeats; i++) {
      double v = d[i * AU_BAR_DESC + (size_t)k] - m;
      s += v * v;
    }
    s = sqrt(s / (double)nbeats);
    for (size_t i = 0; i < nbeats; i++) {
      float *v = d + i * AU_BAR_DESC + (size_t)k;
      *v = s > 1e-9 ? (float)((*v - m) / s) : 0.0f;
    }
  }
  return 0;
}

void vsc_audio_barnet_input(const float *d, size_t nbeats, size_t i, float *x) {
  for (int w = 0; w < AU_BAR_SPAN; w++) {
    long j = (long)i - AU_BAR_BEFORE + w;
    for (int k = 0; k < AU_BAR_DESC; k++)
      x[w * AU_BAR_DESC + k] =
          j >= 0 && (size_t)j < nbeats ? d[(size_t)j * AU_BAR_DESC + (size_t)k] : 0.0f;
  }
}

int vsc_audio_barnet(const float *d, size_t nbeats, double *logit) {
  if (BARNET_HIDDEN == 0) return 1;
  float x[AU_BAR_IN];
  for (size_t i = 0; i < nbeats; i++) {
    vsc_audio_barnet_input(d, nbeats, i, x);
    for (int k = 0; k < AU_BAR_IN; k++)
      x[k] = (x[k] - vsc_audio_barnet_mean[k]) * vsc_audio_barnet_scale[k];
    double z = vsc_audio_barnet_b2;
    for (int j = 0; j < BARNET_HIDDEN; j++) {
      const float *w = vsc_audio_barnet_w1 + (size_t)j * AU_BAR_IN;
      float a = vsc_audio_barnet_b1[j];
      for (int k = 0; k < AU_BAR_IN; k++) a += w[k] * x[k];
      z += vsc_audio_barnet_w2[j] * tanhf(a);
    }
    logit[i] = z;
  }
  return 0;
}
