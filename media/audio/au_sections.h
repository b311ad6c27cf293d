/*
** Audio step 5, sections: contiguous labelled sections. Owned by sections.c.
*/
#ifndef VSC_AUDIO_SECTIONS_H
#define VSC_AUDIO_SECTIONS_H

#include "au_features.h"
#include "vsc/vsc_audio.h"

/* Contiguous labelled sections over [0, duration); beats and downbeats in seconds.
 * *out is malloc'd and the caller's. */
int vsc_audio_sections(const au_features *f, const double *beats, size_t nbeats,
                       const double *downbeats, size_t ndown, vsc_audio_section **out,
                       size_t *nout);

#endif
