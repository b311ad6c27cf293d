/*
** Forced alignment of a spoken line (media/speech): the word start times of `text` in audio
** that some other voice produced (a Replicate TTS model), found by aligning that audio with
** an espeak-ng rendering of the same text, whose word times are known exactly.
**
**   espeak-ng samples + word events ─┐
**                                    ├─ log-mel cepstra (mel.c) ─ DTW (dtw.c) ─ word starts
**   produced audio (any FFmpeg file) ┘
**
** Leading and trailing silence of both are cut before the DTW, so a pause the model puts
** before the line moves every word, not the path's shape. Sentence timestamps, when the model
** returns them, cut the line into pieces aligned one by one (anchors). Thread-safe.
*/
#ifndef VSC_ALIGN_H
#define VSC_ALIGN_H

#include <stddef.h>

/* Seconds per feature frame: the alignment's resolution. */
#define VSC_ALIGN_HOP 0.01

/* A sentence the model timed itself: bytes [off, end) of the text, spoken in the produced
** audio over [start, end_time) seconds. */
typedef struct {
  size_t off, end;
  double start, end_time;
} vsc_align_anchor;

/* Start times (seconds from the audio's first sample) of each space-separated word of
** `text` in the mono samples pcm[0..n) at `rate` Hz, spoken by whatever voice: starts[i] for
** word i (the words the planner counts: runs of non-space bytes). `voice` is the espeak-ng
** voice of the reference rendering (NULL = "en-us"). anchors may be NULL. *length gets the
** audio's length. Returns 0, -1 with err set when espeak-ng cannot speak the text (or
** memory runs out), or -2 when the audio has no speech to align with. */
int vsc_align_samples(const char *text, const char *voice, const float *pcm, size_t n, int rate,
                      const vsc_align_anchor *anchors, size_t nanchors, double *starts, int nwords, double *length,
                      char *err, size_t errlen);

/* The same for an audio file FFmpeg can decode (-1 also when it cannot be decoded). */
int vsc_align_file(const char *text, const char *voice, const char *path, const vsc_align_anchor *anchors,
                   size_t nanchors, double *starts, int nwords, double *length, char *err, size_t errlen);

/* The number of space-separated words of text (what starts[] must hold). */
int vsc_align_count_words(const char *text);

/* ---- the steps (mel.c, dtw.c), exposed for tests ---- */

/* Cepstra of mono samples: *nframes frames of VSC_MEL_DIM floats every VSC_ALIGN_HOP s
** (caller frees *feat), and each frame's level in dB in *level (caller frees). Returns 0/-1. */
#define VSC_MEL_DIM 12
int vsc_mel_features(const float *x, size_t n, int rate, float **feat, float **level, size_t *nframes);

/* Dynamic time warping of a[0..na) onto b[0..nb) (frames of dim floats), both ends matched,
** inside a band around the diagonal. first[i] gets the first frame of b that the path pairs
** with a frame >= i of a (so a pause b has before a's frame i counts as before it). Returns
** 0, or -1 when out of memory. */
int vsc_dtw_first(const float *a, size_t na, const float *b, size_t nb, int dim, size_t *first);

#endif
