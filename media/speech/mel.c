/*
** Log-mel cepstra for forced alignment (media/speech, vsc_align.h): 25 ms Hann windows every
** 10 ms, a power spectrum by radix-2 FFT, 40 triangular mel bands, log, a DCT to cepstra
** c1..c12 (c0, the loudness, is left out: two voices are rarely equally loud). The caller
** takes the mean of the frames it aligns off them (align.c): that cancels much of what a
** different voice or channel adds to every frame alike.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vsc/vsc_align.h"

#define NBANDS 40

/* In-place complex FFT of re/im[0..n), n a power of two; tw holds cos and sin of -2*pi*k/n
** for k < n/2 (interleaved). */
static void fft(float *re, float *im, size_t n, const float *tw) {
  for (size_t i = 1, j = 0; i < n; i++) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      float t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  for (size_t len = 2; len <= n; len <<= 1) {
    size_t stride = n / len;
    for (size_t i = 0; i < n; i += len)
      for (size_t k = 0; k < len / 2; k++) {
        float wr = tw[2 * k * stride], wi = tw[2 * k * stride + 1];
        float xr = re[i + k + len / 2] * wr - im[i + k + len / 2] * wi;
        float xi = re[i + k + len / 2] * wi + im[i + k + len / 2] * wr;
        re[i + k + len / 2] = re[i + k] - xr;
        im[i + k + len / 2] = im[i + k] - xi;
        re[i + k] += xr;
        im[i + k] += xi;
      }
  }
}

static double mel(double hz) { return 2595 * log10(1 + hz / 700); }
static double hz(double m) { return 700 * (pow(10, m / 2595) - 1); }

int vsc_mel_features(const float *x, size_t n, int rate, float **feat, float **level, size_t *nframes) {
  *feat = NULL;
  *level = NULL;
  *nframes = 0;
  if (rate < 8000) return -1;
  size_t hop = (size_t)lround(rate * VSC_ALIGN_HOP), win = (size_t)lround(rate * 0.025), nfft = 1;
  while (nfft < win) nfft <<= 1;
  size_t nf = n / hop + 1, nbins = nfft / 2 + 1;
  float *F = calloc(nf * VSC_MEL_DIM + 1, sizeof *F), *L = calloc(nf + 1, sizeof *L);
  float *re = malloc(nfft * sizeof *re), *im = malloc(nfft * sizeof *im), *hann = malloc(win * sizeof *hann);
  float *bank = calloc((size_t)NBANDS * nbins, sizeof *bank), *tw = malloc(nfft * sizeof *tw);
  if (!F || !L || !re || !im || !hann || !bank || !tw) {
    free(F), free(L), free(re), free(im), free(hann), free(bank), free(tw);
    return -1;
  }
  for (size_t k = 0; k < nfft / 2; k++) {
    tw[2 * k] = (float)cos(-2 * M_PI * (double)k / (double)nfft);
    tw[2 * k + 1] = (float)sin(-2 * M_PI * (double)k / (double)nfft);
  }
  /* Each band's non-zero bins, and the DCT's cosines, computed once. */
  size_t blo[NBANDS], bhi[NBANDS];
  float dct[VSC_MEL_DIM][NBANDS];
  for (int c = 0; c < VSC_MEL_DIM; c++)
    for (int b = 0; b < NBANDS; b++) dct[c][b] = (float)cos(M_PI * (c + 1) * (b + 0.5) / NBANDS);
  for (size_t i = 0; i < win; i++) hann[i] = (float)(0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)win));
  /* Triangular bands evenly spaced in mel from 80 Hz to 7.6 kHz (or Nyquist). */
  double lo = mel(80), top = mel(fmin(7600, rate / 2.0)), edge[NBANDS + 2];
  for (int b = 0; b < NBANDS + 2; b++) edge[b] = hz(lo + (top - lo) * b / (NBANDS + 1));
  for (int b = 0; b < NBANDS; b++)
    for (size_t k = 0; k < nbins; k++) {
      double f = (double)k * rate / (double)nfft, w = 0;
      if (f > edge[b] && f <= edge[b + 1]) w = (f - edge[b]) / (edge[b + 1] - edge[b]);
      else if (f > edge[b + 1] && f < edge[b + 2]) w = (edge[b + 2] - f) / (edge[b + 2] - edge[b + 1]);
      bank[(size_t)b * nbins + k] = (float)w;
    }
  for (int b = 0; b < NBANDS; b++) {
    blo[b] = nbins, bhi[b] = 0;
    for (size_t k = 0; k < nbins; k++)
      if (bank[(size_t)b * nbins + k] > 0) {
        if (k < blo[b]) blo[b] = k;
        bhi[b] = k + 1;
      }
  }
  for (size_t t = 0; t < nf; t++) {
    size_t start = t * hop;
    double energy = 0;
    for (size_t i = 0; i < nfft; i++) {
      float s = i < win && start + i < n ? x[start + i] * hann[i] : 0;
      re[i] = s;
      im[i] = 0;
      energy += (double)s * s;
    }
    fft(re, im, nfft, tw);
    for (size_t k = 0; k < nbins; k++) re[k] = re[k] * re[k] + im[k] * im[k];
    double lm[NBANDS];
    for (int b = 0; b < NBANDS; b++) {
      double e = 0;
      for (size_t k = blo[b]; k < bhi[b]; k++) e += bank[(size_t)b * nbins + k] * re[k];
      lm[b] = log(e + 1e-8);
    }
    for (int c = 0; c < VSC_MEL_DIM; c++) {
      double s = 0;
      for (int b = 0; b < NBANDS; b++) s += lm[b] * dct[c][b];
      F[t * VSC_MEL_DIM + (size_t)c] = (float)s;
    }
    L[t] = (float)(10 * log10(energy / (double)win + 1e-12));
  }
  free(re), free(im), free(hann), free(bank), free(tw);
  *feat = F;
  *level = L;
  *nframes = nf;
  return 0;
}
