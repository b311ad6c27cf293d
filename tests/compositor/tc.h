/*
** Helpers for the compositor tests (checks and frame decoding are vsc_testlib's): fixtures
** rendered with vsc_comp_render, ffprobe queries, decoded-frame colours, tone levels in audio
** windows, MP4 atom order.
*/
#ifndef VSC_TC_H
#define VSC_TC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "vsc/vsc_compositor.h"
#include "vsc_test.h"
#include "vsc_test_video.h"

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
/* Sum of absolute differences per pixel channel (0..255 mean) between the frames at time t
** of two files. Returns a negative number on error. */
double tc_frame_diff(const char *a, double ta, const char *b, double tb);
/* Amplitude (dBFS) of the sine component at `freq` Hz in [t0, t1) of the audio. */
double tc_tone_db(const char *path, double t0, double t1, double freq);
/* Whether the top-level 'moov' atom comes before 'mdat'. */
int tc_moov_first(const char *path);
/* Colour distance (max over channels). */
double tc_rgb_dist(const double a[3], double r, double g, double b);
/* A composition node {"op", "scene", "src", "params"} (params stolen). */
json_t *tc_node(const char *op, json_t *params);
/* Integrated loudness (LUFS) measured by the ffmpeg program's ebur128 filter. */
double tc_loudness(const char *path);

#endif
