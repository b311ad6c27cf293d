/*
** Forced alignment of a voice line (media/speech, vsc_align.h): the words of the text found
** in audio another voice produced. espeak-ng speaks the same text as the reference, whose
** word starts are known exactly (words.c); both are turned into cepstra (mel.c), cut to
** their speech, and matched frame to frame by DTW (dtw.c); each reference word start then
** lands where the path takes it in the produced audio.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsc/vsc_align.h"
#include "vsc/vsc_audio.h"
#include "vsc/vsc_speech.h"

/* A frame is speech when it is within this many dB of the loudest frame of the piece. */
#define SPEECH_DB 35.0

typedef struct {
  float *feat, *level;
  size_t n;
} feats;

int vsc_align_count_words(const char *t) {
  int n = 0;
  for (size_t i = 0; t[i]; i++)
    if (t[i] != ' ' && (i == 0 || t[i - 1] == ' ')) n++;
  return n;
}

/* The first and last speech frames of [f0, f1), or 0 when there are none. */
static int speech_span(const feats *F, size_t f0, size_t f1, size_t *lo, size_t *hi) {
  float top = -1e30f;
  for (size_t t = f0; t < f1; t++)
    if (F->level[t] > top) top = F->level[t];
  size_t a = f0, b = f1;
  while (a < f1 && F->level[a] < top - SPEECH_DB) a++;
  while (b > a && F->level[b - 1] < top - SPEECH_DB) b--;
  if (a >= b || top < -90) return 0;
  *lo = a;
  *hi = b - 1;
  return 1;
}

/* Frames [lo, hi] of F, each its cepstra less their mean over the frames (cepstral mean
** normalisation) then their slope over +-2 frames: DIM floats a frame. */
#define DIM (2 * VSC_MEL_DIM)
static float *normalised(const feats *F, size_t lo, size_t hi) {
  size_t n = hi - lo + 1;
  float *out = malloc(n * DIM * sizeof *out);
  if (!out) return NULL;
  double mean[VSC_MEL_DIM] = {0};
  for (size_t t = lo; t <= hi; t++)
    for (int c = 0; c < VSC_MEL_DIM; c++) mean[c] += F->feat[t * VSC_MEL_DIM + (size_t)c];
  for (size_t t = 0; t < n; t++)
    for (int c = 0; c < VSC_MEL_DIM; c++)
      out[t * DIM + (size_t)c] = F->feat[(lo + t) * VSC_MEL_DIM + (size_t)c] - (float)(mean[c] / (double)n);
  for (size_t t = 0; t < n; t++)
    for (int c = 0; c < VSC_MEL_DIM; c++) {
      float d = 0;
      for (int k = 1; k <= 2; k++) {
        size_t a = t + (size_t)k < n ? t + (size_t)k : n - 1, b = t >= (size_t)k ? t - (size_t)k : 0;
        d += (float)k * (out[a * DIM + (size_t)c] - out[b * DIM + (size_t)c]);
      }
      out[t * DIM + VSC_MEL_DIM + (size_t)c] = d / 10;
    }
  return out;
}

static size_t frame_of(double t, size_t n) {
  long f = lround(t / VSC_ALIGN_HOP);
  if (f < 0) f = 0;
  return (size_t)f < n ? (size_t)f : n - 1;
}

/* Aligns reference frames [r0, r1) with produced frames [p0, p1) and moves the reference
** times starts[k] (seconds) that fall in the piece into produced time. */
static int align_piece(const feats *R, size_t r0, size_t r1, const feats *P, size_t p0, size_t p1, const double *ref,
                       double *starts, int nwords, int *done) {
  size_t rlo, rhi, plo, phi;
  if (r1 <= r0 || p1 <= p0) return -1;
  if (!speech_span(R, r0, r1, &rlo, &rhi) || !speech_span(P, p0, p1, &plo, &phi)) return -1;
  float *a = normalised(R, rlo, rhi), *b = normalised(P, plo, phi);
  size_t na = rhi - rlo + 1, nb = phi - plo + 1, *first = malloc(na * sizeof *first);
  int rc = a && b && first ? vsc_dtw_first(a, na, b, nb, DIM, first) : -1;
  for (int k = 0; rc == 0 && k < nwords; k++) {
    if (done[k]) continue;
    size_t f = frame_of(ref[k], R->n);
    if (f < r0 || f >= r1) continue;
    /* Before or after the speech, a word keeps its distance from it. */
    double t;
    if (f < rlo) t = (double)plo - (double)(rlo - f);
    else if (f > rhi) t = (double)phi + (double)(f - rhi);
    else t = (double)(plo + first[f - rlo]);
    starts[k] = t < (double)p0 ? p0 * VSC_ALIGN_HOP : t * VSC_ALIGN_HOP;
    done[k] = 1;
  }
  free(a), free(b), free(first);
  return rc;
}

int vsc_align_samples(const char *text, const char *voice, const float *pcm, size_t n, int rate,
                      const vsc_align_anchor *anchors, size_t nanchors, double *starts, int nwords, double *length,
                      char *err, size_t errlen) {
  int16_t *rpcm = NULL;
  size_t rn = 0;
  int rrate = 0;
  if (!voice || !*voice) voice = "en-us";
  if (length) *length = rate > 0 ? (double)n / rate : 0;
  if (vsc_speech_speak(text, voice, 1.0, &rpcm, &rn, &rrate, err, errlen) != 0) return -1;
  double *ref = calloc((size_t)nwords + 1, sizeof *ref), rlen = 0;
  int *done = calloc((size_t)nwords + 1, sizeof *done);
  float *rf = malloc((rn ? rn : 1) * sizeof *rf);
  feats R = {0}, P = {0};
  int rc = -1;
  if (!ref || !done || !rf) {
    snprintf(err, errlen, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < rn; i++) rf[i] = rpcm[i] / 32768.0f;
  if (vsc_speech_word_starts(text, voice, 1.0, ref, nwords, &rlen) != 0 ||
      vsc_mel_features(rf, rn, rrate, &R.feat, &R.level, &R.n) != 0 ||
      vsc_mel_features(pcm, n, rate, &P.feat, &P.level, &P.n) != 0) {
    snprintf(err, errlen, "cannot analyse the speech");
    goto out;
  }
  /* Pieces: between sentence anchors when the model gave them, else the whole line. Each
   * anchor's reference time is its first word's. */
  size_t np = nanchors ? nanchors : 1;
  rc = 0;
  for (size_t k = 0; k < np && rc == 0; k++) {
    size_t r0 = 0, r1 = R.n, p0 = 0, p1 = P.n;
    if (nanchors) {
      int w0 = 0, w1 = nwords;
      for (int i = 0, pos = 0; i < nwords; i++) {
        while (text[pos] == ' ') pos++;
        if ((size_t)pos < anchors[k].off) w0 = i + 1;
        if (k + 1 < nanchors && (size_t)pos < anchors[k + 1].off) w1 = i + 1;
        while (text[pos] && text[pos] != ' ') pos++;
      }
      r0 = k == 0 ? 0 : frame_of(w0 < nwords ? ref[w0] : rlen, R.n);
      r1 = k + 1 == nanchors ? R.n : frame_of(w1 < nwords ? ref[w1] : rlen, R.n);
      p0 = k == 0 ? 0 : frame_of(anchors[k].start, P.n);
      p1 = k + 1 == nanchors ? P.n : frame_of(anchors[k + 1].start, P.n);
    }
    rc = align_piece(&R, r0, r1, &P, p0, p1, ref, starts, nwords, done);
  }
  if (rc != 0) {
    snprintf(err, errlen, "no speech to align the text with in the audio");
    rc = -2;
  }
  for (int k = 0; rc == 0 && k < nwords; k++)
    if (!done[k]) starts[k] = k ? starts[k - 1] : 0;
out:
  free(rpcm), free(rf), free(ref), free(done);
  free(R.feat), free(R.level), free(P.feat), free(P.level);
  return rc;
}

int vsc_align_file(const char *text, const char *voice, const char *path, const vsc_align_anchor *anchors,
                   size_t nanchors, double *starts, int nwords, double *length, char *err, size_t errlen) {
  float *pcm;
  size_t n;
  const int rate = 22050;
  if (vsc_audio_decode(&pcm, &n, path, rate, 3600, err, errlen) != 0) return -1;
  int rc = vsc_align_samples(text, voice, pcm, n, rate, anchors, nanchors, starts, nwords, length, err, errlen);
  free(pcm);
  return rc;
}
