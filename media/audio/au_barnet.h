/*
** Audio step 4a, the bar model: how likely each tracked beat is a downbeat, from what
** marks bar starts around it (kick and bass, snare, harmonic change, loudness) over a
** window of beats. Owned by barnet.c (weights in barnet_weights.c, fitted by
** tests/audio/train_barnet.py); called by meter.c.
*/
#ifndef VSC_AUDIO_BARNET_H
#define VSC_AUDIO_BARNET_H

#include "au_features.h"

#define AU_BAR_DESC 15  /* descriptors per beat */
#define AU_BAR_BEFORE 3 /* the window: beats i-3 .. i+4 */
#define AU_BAR_SPAN 8
#define AU_BAR_IN (AU_BAR_DESC * AU_BAR_SPAN)
/* Descriptor indices the hand-made accent (no trained model) reads. */
#define AU_BAR_LOW 0
#define AU_BAR_ONSET 2
#define AU_BAR_HARM 12

/* The descriptors of every beat (beats in onset frames, increasing) into d (nbeats x
 * AU_BAR_DESC floats, the caller's), each z-scored over the song. */
int vsc_audio_bar_descriptors(const au_features *f, const double *beats, size_t nbeats,
                              float *d);
/* The model's input for beat i from the descriptors (AU_BAR_IN floats into x; beats
 * outside the song read as zeros). */
void vsc_audio_barnet_input(const float *d, size_t nbeats, size_t i, float *x);
/* The downbeat log-odds of every beat into logit (nbeats values, the caller's). Returns
 * 0, 1 when the library has no trained model (logit untouched), -1 when out of memory. */
int vsc_audio_barnet(const float *d, size_t nbeats, double *logit);

#endif
