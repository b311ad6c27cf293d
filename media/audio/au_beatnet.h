/*
** Audio step 1b, the beat model: a beat activation from the register-group flux of
** au_features. Owned by beatnet.c (weights in beatnet_weights.c); called by features.c.
*/
#ifndef VSC_AUDIO_BEATNET_H
#define VSC_AUDIO_BEATNET_H

#include "au_features.h"

#define AU_BEATNET_CTX 23
#define AU_BEATNET_IN (AU_BEATNET_CTX * AU_NGROUP)

/* The input vector of the beat model at onset frame i (AU_BEATNET_IN floats into x). */
void vsc_audio_beatnet_input(const au_features *f, size_t i, float *x);
/* The beat activation (0..1) at every onset frame into act (f->n floats, caller's).
 * Returns 0, or 1 when the library has no trained model (act is then untouched). */
int vsc_audio_beatnet(const au_features *f, float *act);

#endif
