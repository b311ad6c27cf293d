/*
** Audio stage: the beat model. A small multilayer perceptron reads, around each onset
** frame, the spectral flux of 8 register groups (low to high) at 23 offsets out to about
** +-0.55 s, and says how likely the frame is a beat. It learns what the hand-made
** onset curve cannot: kick drums, snares, bass notes and chord changes mark beats, while
** hi-hats, shakers and off-beat stabs sit between them (the phase problem). The idea of
** learning a beat activation from a spectrogram and tracking it with a dynamic programme
** is Böck & Schedl 2011 / Böck, Krebs & Widmer 2016 (there an RNN or TCN); here it is a
** one-hidden-layer network small enough to run in plain C at thousands of times real time.
** The weights (beatnet_weights.c) are fitted offline by tests/audio/train_beatnet.py on
** songs that tests/audio/songs.py composes and renders; none of the evaluation songs.
*/
#include <math.h>
#include <stdlib.h>

#include "au_beatnet.h"
#include "beatnet_weights.h"
#include "beatnet_weights.h"

/* Frame offsets of the context (out to +-0.55 s: half a beat at 55 BPM), and the
 * half-width of the max-pool at each: fine near the frame, coarse far from it. */
static const int OFFS[AU_BEATNET_CTX] = {-47, -38, -30, -23, -17, -12, -8, -5, -3, -2, -1, 0,
                                         1, 2, 3, 5, 8, 12, 17, 23, 30, 38, 47};
static const int POOL[AU_BEATNET_CTX] = {4, 4, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0,
                                         0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4};

void vsc_audio_beatnet_input(const au_features *f, size_t i, float *x) {
  for (int o = 0; o < AU_BEATNET_CTX; o++)
    for (int g = 0; g < AU_NGROUP; g++) {
      float m = 0;
      for (int d = -POOL[o]; d <= POOL[o]; d++) {
        long k = (long)i + OFFS[o] + d;
        if (k < 0 || k >= (long)f->n) continue;
        float v = f->groups[(size_t)k * AU_NGROUP + (size_t)g];
        if (v > m) m = v;
      }
      x[o * AU_NGROUP + g] = m;
    }
}

int vsc_audio_beatnet(const au_features *f, float *act) {
  if (BEATNET_HIDDEN == 0) return 1;
  float x[AU_BEATNET_IN], h[BEATNET_HIDDEN > 0 ? BEATNET_HIDDEN : 1];
  for (size_t i = 0; i < f->n; i++) {
    vsc_audio_beatnet_input(f, i, x);
    for (int k = 0; k < AU_BEATNET_IN; k++)
      x[k] = (x[k] - vsc_audio_beatnet_mean[k]) * vsc_audio_beatnet_scale[k];
    for (int j = 0; j < BEATNET_HIDDEN; j++) {
      const float *w = vsc_audio_beatnet_w1 + (size_t)j * AU_BEATNET_IN;
      float a = vsc_audio_beatnet_b1[j];
      for (int k = 0; k < AU_BEATNET_IN; k++) a += w[k] * x[k];
      h[j] = tanhf(a);
    }
    float z = vsc_audio_beatnet_b2;
    for (int j = 0; j < BEATNET_HIDDEN; j++) z += vsc_audio_beatnet_w2[j] * h[j];
    act[i] = 1.0f / (1.0f + expf(-z));
  }
  return 0;
}
