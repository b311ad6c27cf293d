/*
** Audio step 5b: the section model's weights (section_weights.c, written by
** tests/audio/train_sections.py; do not edit by hand).
*/
#ifndef VSC_AUDIO_SECTION_WEIGHTS_H
#define VSC_AUDIO_SECTION_WEIGHTS_H

#include "au_secfeat.h"

extern const double vsc_audio_section_mean[AU_SEC_NFEAT];  /* input standardisation */
extern const double vsc_audio_section_scale[AU_SEC_NFEAT]; /* 1 / standard deviation */
extern const double vsc_audio_section_w[AU_SEC_NFEAT];     /* logistic weights */
extern const double vsc_audio_section_bias;
extern const double vsc_audio_section_threshold; /* log-odds a boundary must reach */
extern const double vsc_audio_section_drop;      /* ... and at most this below the song's best */
/* A boundary on a fill bar moves to the downbeat after it when that bar is busier than the
 * one before by fill_min (z-scored onset strength) and its log-odds are at most
 * fill_drop lower. */
extern const double vsc_audio_section_fill_min;
extern const double vsc_audio_section_fill_drop;

#endif
