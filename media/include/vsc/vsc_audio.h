/* libvsc_audio: music analysis for beat-synced timing (docs/beats.md).
 * Decodes any file FFmpeg can read, then finds tempo, beats, downbeats (bars), onsets and
 * sections. The planner resolves `N beats`, `N bars`, `until SECTION` and `cut on beats`
 * against this grid. Nothing here depends on the compiler. */
#ifndef VSC_AUDIO_H
#define VSC_AUDIO_H

#include <stdbool.h>
#include <stddef.h>

typedef struct json_t json_t;

/* Bumped whenever the analysis changes its results: cached analyses of another version
 * are recomputed. */
#define VSC_AUDIO_ANALYSIS_VERSION 9

/* The fixed rate (Hz) every file is resampled to before analysis. */
#define VSC_AUDIO_RATE 22050

typedef struct {
  int version;           /* VSC_AUDIO_OPTIONS_VERSION */
  const char *cache_dir; /* results go to <cache_dir>/analysis/<sha256>.json; NULL = no cache */
  double min_bpm;        /* tempo range of the beat level (default 55..215; 6/8 to 2/3 of min) */
  double max_bpm;
  int meter;          /* beats per bar: 0 = detect (2 for 6/8, 3 or 4), or force 2..12 */
  double max_seconds; /* refuse longer files (default 1800 s): memory is ~90 kB/s */
} vsc_audio_options;
#define VSC_AUDIO_OPTIONS_VERSION 1
#define VSC_AUDIO_OPTIONS_INIT \
  { VSC_AUDIO_OPTIONS_VERSION, NULL, 55.0, 215.0, 0, 1800.0 }

/* One song section: [start, end) in seconds, with a label per repeated kind ("A", "B", …
 * in order of first appearance; similar sections share a label). */
typedef struct {
  double start;
  double end;
  char label[8];
  double confidence; /* 0..1: how clear the boundary at `start` is (1 for the first) */
} vsc_audio_section;

/* The analysis of one file. Every array is sorted and owned by the struct; times are in
 * seconds from the start of the decoded audio. Free with vsc_audio_analysis_free. */
typedef struct {
  double duration;         /* seconds of decoded audio */
  double tempo;            /* beats per minute of the whole song (median beat period) */
  double tempo_confidence; /* 0..1: how clearly one periodicity dominates */
  double beat_confidence;  /* 0..1: how much onset energy the beat grid explains */
  int meter;               /* beats per bar */
  double meter_confidence; /* 0..1: contrast of downbeat accents against other beats */
  double confidence;       /* 0..1 overall; below VSC_AUDIO_LOW_CONFIDENCE, warn and let the
                               script's tempo or the default timing win */
  double *beats;           /* beat times */
  size_t nbeats;
  double *downbeats; /* bar starts (a subset of beats) */
  size_t ndownbeats;
  double *onsets; /* note onsets (aubio) */
  size_t nonsets;
  vsc_audio_section *sections; /* contiguous, covering [0, duration) */
  size_t nsections;
  char sha256[65]; /* hex SHA-256 of the file's bytes ("" for samples in memory) */
  bool from_cache; /* true when read from the cache rather than computed */
} vsc_audio_analysis;

#define VSC_AUDIO_LOW_CONFIDENCE 0.3

/* Analyses the audio file at `path` (WAV, MP3, AAC/M4A, FLAC, OGG, … anything FFmpeg
 * decodes). With opts->cache_dir set, a cached result for the same file content is
 * returned without decoding, and a new result is written there atomically. `opts` may be
 * NULL (defaults). On success *out is a new analysis (caller frees with
 * vsc_audio_analysis_free) and 0 is returned; on failure -1 with a one-line message naming
 * the path in err. */
int vsc_audio_analyze(vsc_audio_analysis **out, const char *path, const vsc_audio_options *opts,
                      char *err, size_t errlen);

/* Same for mono samples in memory (borrowed) at any rate; never cached. */
int vsc_audio_analyze_samples(vsc_audio_analysis **out, const float *samples, size_t n,
                              double rate, const vsc_audio_options *opts, char *err,
                              size_t errlen);

/* A regular grid for when there is no usable analysis (the script declares `tempo`,
 * `meter`, `offset`): beats every 60/bpm s from `offset` to `duration`, a bar every
 * `meter` beats, one section "A". confidence is 1 (the script said so). Caller frees. */
int vsc_audio_grid(vsc_audio_analysis **out, double bpm, int meter, double offset,
                   double duration, char *err, size_t errlen);

void vsc_audio_analysis_free(vsc_audio_analysis *a);

/* Decodes `path` to mono float samples at `rate` Hz. On success *out is a new malloc'd
 * array (caller frees) of *n samples. */
int vsc_audio_decode(float **out, size_t *n, const char *path, int rate, double max_seconds,
                     char *err, size_t errlen);

/* The JSON form: {"tempo": 128.0, "beats": [...], "downbeats": [...], "sections":
 * [{"start": 0.0, "end": 15.0, "label": "A", "confidence": …}], "duration": 31.2, "meter",
 * "onsets", "confidence", "tempo_confidence", "beat_confidence", "meter_confidence",
 * "sha256", "version"}. Times are rounded to the millisecond. Returns a new reference. */
json_t *vsc_audio_to_json(const vsc_audio_analysis *a);

/* Reads the JSON form back (e.g. a cache file or another tool's output). Only "tempo",
 * "beats" and "duration" are required. On success *out is new (caller frees). */
int vsc_audio_from_json(vsc_audio_analysis **out, const json_t *j, char *err, size_t errlen);

/* Which grid a time is snapped to. */
typedef enum { VSC_AUDIO_BEATS,
               VSC_AUDIO_BARS } vsc_audio_grid_kind;

/* The grid point (beat or downbeat) nearest to t, or t itself when the grid is empty. */
double vsc_audio_snap(const vsc_audio_analysis *a, double t, vsc_audio_grid_kind kind);

/* Draws the waveform of `audio_path` with the analysis on top (beats as thin lines,
 * downbeats as strong lines, sections as coloured bands with their labels) into `out_path`:
 * a PNG, or an SVG when the name ends in ".svg". width/height 0 = 1600x400. */
int vsc_audio_plot(const vsc_audio_analysis *a, const char *audio_path, const char *out_path,
                   int width, int height, char *err, size_t errlen);

#endif
