/*
** Audio step 2, tempo: the global tempo and the local tempo path. Owned by tempo.c.
*/
#ifndef VSC_AUDIO_TEMPO_H
#define VSC_AUDIO_TEMPO_H

#include "au_features.h"

/* The song's beat-level tempo in [min_bpm, max_bpm] and its clarity (0..1). */
void vsc_audio_tempo_global(const au_features *f, double min_bpm, double max_bpm, double *bpm,
                            double *confidence);
/* The beat period (in onset frames) at every onset frame, following tempo changes and
 * staying on the metrical level of `bpm`. period (caller's) has f->n entries. *clarity
 * (0..1) is the mean periodic share of the onset curve's variance along the path. */
int vsc_audio_tempo_local(const au_features *f, double bpm, double min_bpm, double max_bpm,
                          float *period, double *clarity);

#endif
