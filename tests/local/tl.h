/*
** Shared helpers of the local provider's tests (checks, files and frames are vsc_testlib's):
** running executors on JSON nodes, reading WAV files, comparing frames, and asking ffprobe.
*/
#ifndef TL_H
#define TL_H

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vsc/vsc_local.h"
#include "vsc_test.h"
#include "vsc_test_video.h"

static const char *tl_dir = ".";

static inline void tl_init(int argc, char **argv) {
  if (argc > 1) tl_dir = argv[1];
  mkdir(tl_dir, 0777);
}

static inline const char *tl_path(const char *name) {
  static char buf[8][1024];
  static int k;
  k = (k + 1) % 8;
  snprintf(buf[k], sizeof buf[k], "%s/%s", tl_dir, name);
  return buf[k];
}

/* Runs `fn` on a node given as JSON text; returns its rc, *e filled. */
static inline int tl_run(vsc_op_fn fn, const char *json, const char *const *inputs, size_t ninputs,
                         const char *out, vsc_op_error *e) {
  json_error_t je;
  json_t *node = json_loads(json, 0, &je);
  if (!node) {
    fprintf(stderr, "bad test json: %s: %s\n", je.text, json);
    exit(2);
  }
  memset(e, 0, sizeof *e);
  remove(out);
  int rc = fn(node, inputs, ninputs, out, e);
  json_decref(node);
  return rc;
}

/* ---- WAV ---- */
typedef struct {
  int channels, rate, bits;
  size_t frames;
  int16_t *pcm; /* interleaved */
} tl_wav;

static inline uint32_t tl_le(const unsigned char *p, int n) {
  uint32_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

static inline int tl_wav_read(const char *path, tl_wav *w) {
  memset(w, 0, sizeof *w);
  size_t n;
  unsigned char *p = (unsigned char *)vsc_test_slurp(path, &n);
  if (!p || n < 12 || memcmp(p, "RIFF", 4) || memcmp(p + 8, "WAVE", 4)) {
    free(p);
    return -1;
  }
  size_t off = 12;
  int ok = 0;
  while (off + 8 <= n) {
    uint32_t sz = tl_le(p + off + 4, 4);
    if (!memcmp(p + off, "fmt ", 4) && sz >= 16) {
      w->channels = (int)tl_le(p + off + 10, 2);
      w->rate = (int)tl_le(p + off + 12, 4);
      w->bits = (int)tl_le(p + off + 22, 2);
    } else if (!memcmp(p + off, "data", 4) && w->channels > 0 && w->bits == 16) {
      if (off + 8 + sz > n) break;
      w->frames = sz / 2 / (size_t)w->channels;
      w->pcm = malloc(sz ? sz : 1);
      for (size_t i = 0; i < sz / 2; i++) w->pcm[i] = (int16_t)tl_le(p + off + 8 + 2 * i, 2);
      ok = 1;
      break;
    }
    off += 8 + sz + (sz & 1);
  }
  free(p);
  return ok ? 0 : -1;
}

/* ---- video frames ---- */
/* Fraction of pixels in the rectangle whose channels differ by more than `thr`. */
static inline double tl_diff(const vsc_test_image *a, const vsc_test_image *b, int x0, int y0, int x1, int y1, int thr) {
  if (a->w != b->w || a->h != b->h) return 1.0;
  long n = 0, d = 0;
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++, n++) {
      const unsigned char *p = a->rgb + ((size_t)y * a->w + x) * 3, *q = b->rgb + ((size_t)y * b->w + x) * 3;
      for (int c = 0; c < 3; c++)
        if (abs(p[c] - q[c]) > thr) {
          d++;
          break;
        }
    }
  return n ? (double)d / n : 0;
}

/* ---- ffprobe ---- */
typedef struct {
  int width, height, frames;
  double fps, duration;
  char codec[32];
} tl_probe;

/* Runs ffprobe (from PATH) on the first video stream, counting decoded frames. */
static inline int tl_ffprobe(const char *path, tl_probe *p) {
  memset(p, 0, sizeof *p);
  char cmd[1400];
  snprintf(cmd, sizeof cmd,
           "ffprobe -v error -select_streams v:0 -count_frames -show_entries "
           "stream=codec_name,width,height,r_frame_rate,nb_read_frames:format=duration "
           "-of default=noprint_wrappers=1 '%s'",
           path);
  FILE *f = popen(cmd, "r");
  if (!f) return -1;
  char line[256];
  int got = 0;
  while (fgets(line, sizeof line, f)) {
    int a, b;
    if (sscanf(line, "width=%d", &p->width) == 1) got++;
    else if (sscanf(line, "height=%d", &p->height) == 1) got++;
    else if (sscanf(line, "nb_read_frames=%d", &p->frames) == 1) got++;
    else if (sscanf(line, "duration=%lf", &p->duration) == 1) got++;
    else if (sscanf(line, "codec_name=%31s", p->codec) == 1) got++;
    else if (sscanf(line, "r_frame_rate=%d/%d", &a, &b) == 2 && b) {
      p->fps = (double)a / b;
      got++;
    }
  }
  int st = pclose(f);
  return st == 0 && got >= 6 ? 0 : -1;
}

#endif
