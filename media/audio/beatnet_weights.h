/*
** Audio stage: the beat model's weights (beatnet_weights.c, written by
** tests/audio/train_beatnet.py; do not edit by hand).
*/
#ifndef VSC_AUDIO_BEATNET_WEIGHTS_H
#define VSC_AUDIO_BEATNET_WEIGHTS_H

#include "au_beatnet.h"

#define BEATNET_HIDDEN 32

extern const float vsc_audio_beatnet_mean[AU_BEATNET_IN];  /* input standardisation */
extern const float vsc_audio_beatnet_scale[AU_BEATNET_IN]; /* 1 / standard deviation */
extern const float vsc_audio_beatnet_w1[BEATNET_HIDDEN * AU_BEATNET_IN];
extern const float vsc_audio_beatnet_b1[BEATNET_HIDDEN];
extern const float vsc_audio_beatnet_w2[BEATNET_HIDDEN];
extern const float vsc_audio_beatnet_b2;

#endif
