/*
** Audio helpers: small numeric and error-reporting functions that every step of the
** analysis uses. Owned by util.c; includes nothing else of media/audio, so every other
** file may include it (driver -> steps -> helpers).
*/
#ifndef VSC_AUDIO_UTIL_H
#define VSC_AUDIO_UTIL_H

#include <stddef.h>

/* Writes a printf-style one-line message into err (err may be NULL). */
void vsc_audio_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The median of v[0..n), n > 0; v is not modified. */
double vsc_audio_median(const double *v, size_t n);

/* The maximum of v within +-2 frames of the (fractional) frame pos. */
double vsc_audio_peak_near(const float *v, size_t n, double pos);

/* How much stronger v (the flux below 2.5 kHz) is a third and two thirds of the way
 * between the beats (fractional frames) than halfway, with a floor of 5 % of the on-beat
 * strength: a beat divided in three (6/8, a shuffle) scores 2 or more, one divided in two
 * under 1. The meter (meter.c) and the sections' bars (secfeat.c) read it. */
double vsc_audio_ternary(const float *v, size_t nframes, const double *beats, size_t n);

/* The beat-confidence scale: the share of the curve's strength found on the beats beyond
 * the average (1 - mean / on-beat mean) to 0..1, 0 for a grid over rhythm-less sound. */
double vsc_audio_beat_share_to_confidence(double share);

#endif
