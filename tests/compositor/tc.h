/*
** Helpers for the compositor tests: checks, fixtures rendered with vsc_comp_render,
** ffprobe queries, decoded-frame colours, tone levels in audio windows, MP4 atom order.
*/
#ifndef VSC_TC_H
#define VSC_TC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "vsc/vsc_compositor.h"

extern int tc_failures;

#define CHECK(cond, ...)                                                        \
  do {                                                                          \
    if (!(cond)) {                                                              \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                             \
      fputc('\n', stderr);                                                      \
      tc_failures++;                                                            \
    }                                                                           \
  } while (0)

/* Makes and enters a fresh work directory named `name` under the current directory. */
void tc_workdir(const char *name);
/* Renders a fixture with vsc_comp_render; aborts the test on failure. */
void tc_render(const char *graph, double duration, int w, int h, int fps, const char *path);
/* Runs ffprobe on `path` with `args` (e.g. "-select_streams v:0 -show_entries stream=codec_name")
** in `-of default=nw=1` form and returns the value of `key`, or "" (static buffer). */
const char *tc_probe(const char *path, const char *args, const char *key);
/* Decodes the video frame shown at time t and returns its average RGB over the rectangle
** given in fractions of the frame (x0,y0)-(x1,y1). Returns 0, or -1 if there is no frame. */
int tc_frame_rgb(const char *path, double t, double x0, double y0, double x1, double y1, double rgb[3]);
/* Decodes the frame shown at time t as packed RGB24 (caller frees *rgb). Returns 0 or -1. */
int tc_frame_pixels(const char *path, double t, uint8_t **rgb, int *w, int *h);
/* Sum of absolute differences per pixel channel (0..255 mean) between the frames at time t
** of two files. Returns a negative number on error. */
double tc_frame_diff(const char *a, double ta, const char *b, double tb);
/* Amplitude (dBFS) of the sine component at `freq` Hz in [t0, t1) of the audio. */
double tc_tone_db(const char *path, double t0, double t1, double freq);
/* Whether the top-level 'moov' atom comes before 'mdat'. */
int tc_moov_first(const char *path);
/* Whether two files have identical bytes. */
int tc_same_bytes(const char *a, const char *b);
/* Colour distance (max over channels). */
double tc_rgb_dist(const double a[3], double r, double g, double b);
/* A composition node {"op", "scene", "src", "params"} (params stolen). */
json_t *tc_node(const char *op, json_t *params);
/* Integrated loudness (LUFS) measured by the ffmpeg program's ebur128 filter. */
double tc_loudness(const char *path);
int tc_done(const char *name);

#endif
