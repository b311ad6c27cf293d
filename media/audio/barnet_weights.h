/*
** Audio step 4a: the bar model's weights (barnet_weights.c, written by
** tests/audio/train_barnet.py; do not edit by hand).
*/
#ifndef VSC_AUDIO_BARNET_WEIGHTS_H
#define VSC_AUDIO_BARNET_WEIGHTS_H

#include "au_barnet.h"

#define BARNET_HIDDEN 16

extern const float vsc_audio_barnet_mean[AU_BAR_IN];  /* input standardisation */
extern const float vsc_audio_barnet_scale[AU_BAR_IN]; /* 1 / standard deviation */
extern const float vsc_audio_barnet_w1[BARNET_HIDDEN * AU_BAR_IN];
extern const float vsc_audio_barnet_b1[BARNET_HIDDEN];
extern const float vsc_audio_barnet_w2[BARNET_HIDDEN];
extern const float vsc_audio_barnet_b2;

#endif
