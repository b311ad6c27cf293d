/*
** Internal interface of the local provider (runtime/providers/local). Only this directory
** and tests/local include it; the public API is vsc/vsc_local.h.
*/
#ifndef VSC_LOCAL_INTERNAL_H
#define VSC_LOCAL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vsc/vsc_buf.h"

#define VSC_LOCAL_INTERNAL __attribute__((visibility("hidden")))

/* The font every card uses (fonts-dejavu-core). */
#define VSC_LOCAL_FONT_FILE "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define VSC_LOCAL_FONT_NAME "DejaVu Sans"

/* Sample rate of synthesised music beds. */
#define VSC_LOCAL_MUSIC_RATE 48000

/* ---- filtergraph text ---- */
/* Appends `s` as one filter option value inside a filtergraph description, escaped for both
** levels of libavfilter parsing (option value, then graph), so any bytes (quotes, colons,
** commas, brackets, backslashes, newlines, UTF-8) reach the filter unchanged. */
VSC_LOCAL_INTERNAL void vsc_local_add_filter_arg(vsc_buf *b, const char *s);

/* ---- WAV (PCM 16-bit little-endian) ---- */
typedef struct {
  FILE *f;
  int channels;
  int rate;
  uint64_t frames; /* frames written so far */
} vsc_local_wav;

/* Opens `path` for writing and reserves the header. Returns 0 or -1 with err set. */
VSC_LOCAL_INTERNAL int vsc_local_wav_open(vsc_local_wav *w, const char *path, int channels,
                                          int rate, char *err, size_t errlen);
/* Appends interleaved frames. */
VSC_LOCAL_INTERNAL int vsc_local_wav_write(vsc_local_wav *w, const int16_t *pcm, size_t frames,
                                           char *err, size_t errlen);
/* Writes the final header and closes; on failure the file is left for the caller to delete. */
VSC_LOCAL_INTERNAL int vsc_local_wav_close(vsc_local_wav *w, char *err, size_t errlen);

/* ---- music ---- */
typedef struct {
  double duration; /* seconds, > 0 */
  double tempo;    /* beats per minute */
  uint64_t seed;   /* picks key, chord progressions and fills */
  int minor;       /* minor-key progressions (the prompt asked for a dark mood) */
} vsc_local_music_opts;

/* Renders the music bed into a 48 kHz stereo WAV at `path`, streaming bar by bar
** (memory does not grow with duration). Kick i starts exactly at sample
** llround(i * 60 / tempo * 48000). Returns 0 or -1 with err set. */
VSC_LOCAL_INTERNAL int vsc_local_music_render(const vsc_local_music_opts *o, const char *path,
                                              char *err, size_t errlen);

/* ---- animatic cards ---- */
typedef struct {
  const char *prompt;    /* borrowed; may be empty */
  const char *label;     /* scene name, or NULL */
  const char *camera;    /* a camera move name, NULL = static */
  const char *image;     /* background image path (image-to-video), or NULL */
  const char *font_file; /* font for drawtext; NULL = DejaVu Sans */
  uint32_t palette[8];   /* 0xRRGGBB */
  int npalette;          /* 0 = the neutral default */
  int width, height;
  int fps;         /* video only */
  double duration; /* seconds; 0 = a still image (PNG) */
  int timecode;    /* draw the running time code */
  uint64_t seed;   /* phase of the handheld shake */
} vsc_local_card;

/* Builds the libavfilter graph description (output pad [vout]) of a card.
** *graph is heap, caller frees. Returns 0, or -1 with err set (unknown camera move). */
VSC_LOCAL_INTERNAL int vsc_local_card_graph(const vsc_local_card *c, char **graph, char *err,
                                            size_t errlen);

/* Word-wraps UTF-8 `text` into at most `max_lines` lines of at most `cols` code points
** (a longer word is broken; overflow ends with an ellipsis). Lines are joined with '\n'
** into *out (heap, caller frees). Returns the number of lines. */
VSC_LOCAL_INTERNAL int vsc_local_wrap(const char *text, int cols, int max_lines, char **out);

/* Names of the camera moves, NULL-terminated (for docs and tests). */
VSC_LOCAL_INTERNAL extern const char *const vsc_local_camera_moves[];

#endif
