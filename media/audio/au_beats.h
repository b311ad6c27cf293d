/*
** Audio step 3, beats: the beat positions along a tempo path. Owned by beats.c.
*/
#ifndef VSC_AUDIO_BEATS_H
#define VSC_AUDIO_BEATS_H

#include "au_features.h"

/* Beat positions in onset frames (fractional, increasing) that follow `curve` (f->n
 * values, usually f->pulse) at the local period `period` (au_tempo.h); *beats is malloc'd
 * and the caller's. */
int vsc_audio_track_beats(const au_features *f, const float *curve, const float *period,
                          double **beats, size_t *nbeats);

#endif
