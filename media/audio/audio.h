/*
** Audio stage: the internal interface between the analysis steps.
** decode -> features (aubio) -> tempo -> beats -> meter -> sections -> JSON/cache/plot.
*/
#ifndef VSC_AUDIO_INTERNAL_H
#define VSC_AUDIO_INTERNAL_H

#include <stddef.h>

#include "vsc/vsc_audio.h"

#define AU_NCHROMA 12
#define AU_NCEP 12 /* cepstral coefficients 1..12 of the log-mel spectrum (timbre) */
#define AU_NGROUP 8 /* groups of 5 mel bands whose flux the beat model reads */

/* Everything the later steps need, computed in one pass over the samples. */
typedef struct {
  size_t n;          /* onset frames (hop 256 at 22050 Hz: ~11.6 ms) */
  double fps;        /* onset frames per second */
  double t0;         /* time in seconds of onset frame 0 (latency compensated) */
  float *onset;      /* onset strength (log-mel spectral flux), >= 0, unit mean on music */
  float *low;        /* the same over the bands below ~200 Hz (kick drums, bass notes) */
  float *body;       /* the same below ~2.5 kHz: drums and notes without the cymbals */
  float *rms;        /* RMS of each hop of samples */
  float *groups;     /* n x AU_NGROUP: log(1 + flux / mean flux) per group of mel bands */
  float *act;        /* beat activation of the beat model (beatnet.c), unit mean */
  float *pulse;      /* what the tempo and beat steps track: onset strength and activation */
  size_t ns;         /* slow frames (hop 2048: ~93 ms) */
  double sfps;       /* slow frames per second; slow frame j is centred on j / sfps */
  float *chroma;     /* ns x 12 pitch-class energies */
  float *ceps;       /* ns x AU_NCEP timbre coefficients */
  double *onsets;    /* aubio onset times in seconds */
  size_t nonsets;
  double duration;   /* seconds of audio */
} au_features;

/* Writes a printf-style one-line message into err (err may be NULL). */
void vsc_audio_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* features.c: fills f from mono samples at `rate` (must be VSC_AUDIO_RATE). */
int vsc_audio_features(au_features *f, const float *x, size_t n, int rate, char *err,
                       size_t errlen);
void vsc_audio_features_free(au_features *f);

/* tempo.c: the song's beat-level tempo in [min_bpm, max_bpm] and its clarity (0..1). */
void vsc_audio_tempo_global(const au_features *f, double min_bpm, double max_bpm, double *bpm,
                            double *confidence);
/* tempo.c: the beat period (in onset frames) at every onset frame, following tempo changes
 * and staying on the metrical level of `bpm`. period has f->n entries. *clarity (0..1) is
 * the mean periodic share of the onset curve's variance along the path. */
int vsc_audio_tempo_local(const au_features *f, double bpm, double min_bpm, double max_bpm,
                          float *period, double *clarity);

/* beatnet.c: the input vector of the beat model at onset frame i (AU_BEATNET_IN floats). */
#define AU_BEATNET_CTX 23
#define AU_BEATNET_IN (AU_BEATNET_CTX * AU_NGROUP)
void vsc_audio_beatnet_input(const au_features *f, size_t i, float *x);
/* beatnet.c: the beat activation (0..1) at every onset frame into act (f->n floats).
 * Returns 0, or 1 when the library has no trained model (act is then untouched). */
int vsc_audio_beatnet(const au_features *f, float *act);

/* beats.c: beat positions in onset frames (fractional, increasing) that follow `curve`
 * (f->n values, usually f->pulse); *beats is malloc'd. */
int vsc_audio_track_beats(const au_features *f, const float *curve, const float *period,
                          double **beats, size_t *nbeats);

/* meter.c: meter and the indices (into beats) of the downbeats; *down is malloc'd.
 * meter_hint 0 = detect 3 or 4. */
int vsc_audio_downbeats(const au_features *f, const double *beats, size_t nbeats, int meter_hint,
                        int *meter, double *confidence, size_t **down, size_t *ndown);

/* sections.c: contiguous labelled sections over [0, duration); beats and downbeats in
 * seconds. *out is malloc'd. */
int vsc_audio_sections(const au_features *f, const double *beats, size_t nbeats,
                       const double *downbeats, size_t ndown, vsc_audio_section **out,
                       size_t *nout);

/* cache.c: hex SHA-256 of a file's bytes into hex[65]. */
int vsc_audio_sha256_file(char hex[65], const char *path, char *err, size_t errlen);
/* cache.c: a cached analysis for sha, or 1 when there is none (or it is stale). */
int vsc_audio_cache_get(vsc_audio_analysis **out, const char *dir, const char *sha,
                        const vsc_audio_options *opts);
/* cache.c: writes the analysis atomically (temp + fsync + rename). */
int vsc_audio_cache_put(const vsc_audio_analysis *a, const char *dir,
                        const vsc_audio_options *opts, char *err, size_t errlen);

/* Small numeric helpers shared by the steps (util in analyze.c). */
double vsc_audio_median(const double *v, size_t n); /* n > 0; does not modify v */
/* The maximum of v within +-2 frames of the (fractional) frame pos. */
double vsc_audio_peak_near(const float *v, size_t n, double pos);
/* The beat-confidence scale: the share of the curve's strength found on the beats beyond
 * the average (1 - mean / on-beat mean) to 0..1, 0 for a grid over rhythm-less sound. */
double vsc_audio_beat_share_to_confidence(double share);

#endif
