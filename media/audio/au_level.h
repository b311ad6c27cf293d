/*
** Audio step 3, the description of a beat grid that the choice of the metrical level reads
** (track.c). Owned by level.c.
*/
#ifndef VSC_AUDIO_LEVEL_H
#define VSC_AUDIO_LEVEL_H

#include <stddef.h>

#include "au_features.h"

#define AU_LEVEL_NF 15 /* numbers describing one grid: */
enum {
  AU_LV_Z,        /* log2(tempo / 120) */
  AU_LV_Z2,       /* its square */
  AU_LV_ACT,      /* log of the mean activation on the beats */
  AU_LV_MID_ACT,  /* halfway between the beats against on them: activation, */
  AU_LV_MID_BODY, /* flux below 2.5 kHz, */
  AU_LV_MID_LOW,  /* low band, */
  AU_LV_MID_ONS,  /* onset strength */
  AU_LV_TRI_ACT,  /* a third and two thirds of the way: activation, */
  AU_LV_TRI_BODY, /* flux below 2.5 kHz */
  AU_LV_ONSETS,   /* log(0.1 + note onsets per beat) */
  AU_LV_ALT_ACT,  /* weaker of even and odd beats against the stronger: activation, */
  AU_LV_ALT_BODY, /* flux below 2.5 kHz */
  AU_LV_BAR8,     /* low band: repetition 8 beats on minus 4 beats on (beat-synchronous) */
  AU_LV_MID3,     /* flux below 2.5 kHz halfway: one in three stronger (a 6/8 bar in quarters) */
  AU_LV_BAR6      /* low band: repetition 6 beats on minus 3 beats on */
};

/* Describes the beat grid `beats` (frames, nb of them) tracked at `bpm` into x[AU_LEVEL_NF]. */
void vsc_audio_level_features(const au_features *f, const double *beats, size_t nb, double bpm,
                              float *x);

#endif
