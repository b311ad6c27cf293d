/*
** Audio step 4, meter: the meter and the downbeats among the beats. Owned by meter.c.
*/
#ifndef VSC_AUDIO_METER_H
#define VSC_AUDIO_METER_H

#include "au_features.h"

/* The meter and the indices (into beats, in onset frames) of the downbeats; *down is
 * malloc'd and the caller's. meter_hint 0 = detect 3 or 4 (2 when the beats divide in three). */
int vsc_audio_downbeats(const au_features *f, const double *beats, size_t nbeats, int meter_hint,
                        int *meter, double *confidence, size_t **down, size_t *ndown);

#endif
