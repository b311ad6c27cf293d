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

/* The beat-confidence scale: the share of the curve's strength found on the beats beyond
 * the average (1 - mean / on-beat mean) to 0..1, 0 for a grid over rhythm-less sound. */
double vsc_audio_beat_share_to_confidence(double share);

#endif
