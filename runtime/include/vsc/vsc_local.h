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
** The executors are thread-safe. Speech comes from media/speech (vsc/vsc_speech.h).
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

#endif
