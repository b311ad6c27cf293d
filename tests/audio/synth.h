/*
** Test audio with exactly known beats, downbeats and sections, synthesised from a score
** (clicks, a drum kit, bass, pads, leads) so accuracy can be measured against the truth.
*/
#ifndef VSC_TEST_AUDIO_SYNTH_H
#define VSC_TEST_AUDIO_SYNTH_H

#include <stddef.h>

typedef struct {
  float *x; /* mono samples (caller frees with synth_free) */
  size_t n;
  int rate;
  double *beats; /* true beat times, seconds */
  size_t nbeats;
  double *downbeats; /* true bar starts */
  size_t ndown;
  double bounds[16]; /* true section boundaries (not 0, not the end) */
  size_t nbounds;
  char labels[17];     /* expected section labels in order, e.g. "ABAB" ("" = not checked) */
  double tempo;        /* expected tempo in BPM (0: changes along the track) */
  int meter;           /* expected meter */
  int hard;            /* 1: a hard track (beat F-measure >= 0.85 instead of 0.95) */
  int check_downbeats; /* 1: downbeats must be right on >= 90 % of bars */
} synth_track;

/* Synthesises the named case into t. Returns 0, or -1 for an unknown name. */
int synth_make(synth_track *t, const char *name);
void synth_free(synth_track *t);

/* NULL-terminated list of the case names. */
const char *const *synth_cases(void);

/* Writes t as a 16-bit stereo WAV file. Returns 0 or -1. */
int synth_write_wav(const synth_track *t, const char *path);

/* F-measure of estimated against reference times with a +-tol window (each reference
 * matches at most one estimate). */
double synth_fmeasure(const double *est, size_t nest, const double *ref, size_t nref, double tol);

#endif
