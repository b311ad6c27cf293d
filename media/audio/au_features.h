/*
** Audio step 1, the features: everything the later steps read, computed in one pass over
** the samples. Owned by features.c (which runs the beat model of au_beatnet.h to fill `act`);
** the struct is plain data that every later step reads and none writes.
*/
#ifndef VSC_AUDIO_FEATURES_H
#define VSC_AUDIO_FEATURES_H

#include <stddef.h>

#define AU_NCHROMA 12
#define AU_NCEP 12  /* cepstral coefficients 1..12 of the log-mel spectrum (timbre) */
#define AU_NGROUP 8 /* groups of 5 mel bands whose flux the beat model reads */

/* Every array is malloc'd by vsc_audio_features and freed by vsc_audio_features_free. */
typedef struct {
  size_t n;       /* onset frames (hop 256 at 22050 Hz: ~11.6 ms) */
  double fps;     /* onset frames per second */
  double t0;      /* time in seconds of onset frame 0 (latency compensated) */
  float *onset;   /* onset strength (log-mel spectral flux), >= 0, unit mean on music */
  float *low;     /* the same over the bands below ~200 Hz (kick drums, bass notes) */
  float *body;    /* the same below ~2.5 kHz: drums and notes without the cymbals */
  float *rms;     /* RMS of each hop of samples */
  float *groups;  /* n x AU_NGROUP: log(1 + flux / mean flux) per group of mel bands */
  float *act;     /* beat activation of the beat model (beatnet.c), unit mean */
  float *pulse;   /* what the tempo and beat steps track: onset strength and activation */
  size_t ns;      /* slow frames (hop 2048: ~93 ms) */
  double sfps;    /* slow frames per second; slow frame j is centred on j / sfps */
  float *chroma;  /* ns x 12 pitch-class energies */
  float *upper;   /* ns x 12 the same above 500 Hz: the melody's register */
  float *ceps;    /* ns x AU_NCEP timbre coefficients */
  double *onsets; /* aubio onset times in seconds */
  size_t nonsets;
  double duration; /* seconds of audio */
} au_features;

/* Fills f from mono samples at `rate` (must be VSC_AUDIO_RATE). On error f owns nothing. */
int vsc_audio_features(au_features *f, const float *x, size_t n, int rate, char *err,
                       size_t errlen);
void vsc_audio_features_free(au_features *f);

#endif
