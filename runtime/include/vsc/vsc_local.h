/*
** The `local` provider: renders every generation kind offline and deterministically, so a
** build needs no account and no network. Same node (op + params + inputs) → same bytes.
**
**   generate kind "video" → an animatic card MP4 (palette background, the prompt wrapped,
**                           scene label, running time code, the camera move over the shot)
**   generate kind "image" → a PNG card of the same design (no time code, no move)
**   generate kind "music" → a 48 kHz stereo 16-bit WAV drum/bass/chord loop on the tempo grid
**   tts                   → espeak-ng speech, a mono 16-bit WAV at espeak's rate (22050 Hz)
**
** Params are those of docs/ir.md; docs/providers-local.md describes the renderings.
** The executors are thread-safe: espeak-ng keeps global state between calls, so each
** synthesis runs in a short-lived child process, which is also what makes it deterministic.
*/
#ifndef VSC_LOCAL_H
#define VSC_LOCAL_H

#include <stddef.h>

#include "vsc/vsc_op.h"

/* Op `generate` (vsc_op_fn). `node` is borrowed; inputs[params.image] is the start image for
** image-to-video. Writes the MP4/PNG/WAV to out_path (any name: the format comes from
** params.kind). Bad params fail with VSC_FAIL_INPUT, anything else with VSC_FAIL_LOCAL. */
int vsc_local_generate(const json_t *node, const char *const *inputs, size_t ninputs,
                       const char *out_path, vsc_op_error *err);

/* Op `tts` (vsc_op_fn): params.text spoken with params.voice (default "en-us") at
** params.rate (1.0 = 175 words per minute, clamped to espeak's 80..450) into out_path. */
int vsc_local_tts(const json_t *node, const char *const *inputs, size_t ninputs,
                  const char *out_path, vsc_op_error *err);

/* Spoken length in seconds of `text` with `voice` (NULL = "en-us") at `rate` (<= 0 = 1.0),
** exactly the length vsc_local_tts writes for the same params. Returns < 0 if espeak-ng
** cannot speak it (unknown voice, no espeak data). Strings are borrowed. */
double vsc_local_tts_length(const char *text, const char *voice, double rate);

/* A word of a spoken text: bytes [off, off+len) of the text, spoken from `start` seconds. */
typedef struct {
  size_t off, len;
  double start;
} vsc_local_word;
/* The word start times of `text` spoken exactly as vsc_local_tts speaks it, from espeak-ng's
** own word events, in text order; *length (if not NULL) gets the spoken length. Returns 0,
** or -1 when it cannot be spoken. The caller frees *words. */
int vsc_local_tts_words(const char *text, const char *voice, double rate, vsc_local_word **words, size_t *n,
                        double *length);

/* Starts the speech server: a single-threaded process from which every later synthesis is
 * forked. Call it before starting threads (forking a threaded process is unsafe under some
 * allocators); without it each synthesis forks the caller. Returns 0, or -1 (then syntheses
 * fork the caller as before). The server ends when this process does. */
int vsc_local_tts_prepare(void);

#endif
