/* Checks a rendered video against its plan (decoded with the FFmpeg libraries):
 *   e2e_check probe OUT.mp4 PLAN.json       length within a frame, size, fps, codecs, faststart
 *   e2e_check color OUT.mp4 T X Y RRGGBB    the colour around (X, Y) (fractions) at time T
 *   e2e_check cuts OUT.mp4 PLAN.json        every hard cut is within one frame of the plan
 *   e2e_check ongrid PLAN.json BEATS.json   every scene boundary is one of the analysed beats
 * Exit 0 when the check holds, 1 with a message otherwise. */
#include <jansson.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsc_test_video.h"

enum { W = 64,
       H = 36 }; /* frames are compared scaled down to this size */

static json_t *load_plan(const char *path) {
  json_error_t e;
  json_t *p = json_load_file(path, 0, &e);
  if (!p) fprintf(stderr, "e2e_check: %s: %s\n", path, e.text);
  return p;
}

/* moov before mdat: the file starts streaming at once. */
static int faststart(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  unsigned char h[8];
  int moov = 0, result = 0;
  while (fread(h, 1, 8, f) == 8) {
    uint64_t size = ((uint64_t)h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3];
    if (!memcmp(h + 4, "moov", 4)) moov = 1;
    if (!memcmp(h + 4, "mdat", 4)) {
      result = moov;
      break;
    }
    if (size < 8) break;
    fseek(f, (long)size - 8, SEEK_CUR);
  }
  fclose(f);
  return result;
}

static int check_probe(const char *out, const char *plan_path) {
  json_t *plan = load_plan(plan_path);
  if (!plan) return 1;
  AVFormatContext *fmt = NULL;
  if (avformat_open_input(&fmt, out, NULL, NULL) < 0 || avformat_find_stream_info(fmt, NULL) < 0) {
    fprintf(stderr, "FAIL: cannot open %s\n", out);
    return 1;
  }
  int fails = 0;
  double length = json_number_value(json_object_get(plan, "length"));
  int fps = (int)json_integer_value(json_object_get(plan, "fps"));
  int vs = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
  int as = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
  if (vs < 0 || as < 0) {
    fprintf(stderr, "FAIL: needs a video and an audio stream\n");
    return 1;
  }
  AVStream *v = fmt->streams[vs], *a = fmt->streams[as];
  double vdur = v->duration * av_q2d(v->time_base);
  long frames = v->nb_frames;
  if (fabs(vdur - length) > 1.0 / fps + 1e-6) {
    fprintf(stderr, "FAIL: video lasts %.4fs, plan says %.4fs\n", vdur, length);
    fails++;
  }
  if (frames && llabs(frames - llround(length * fps)) > 1) {
    fprintf(stderr, "FAIL: %ld frames, plan says %lld\n", frames, (long long)llround(length * fps));
    fails++;
  }
  if (v->codecpar->width != json_integer_value(json_object_get(plan, "width")) ||
      v->codecpar->height != json_integer_value(json_object_get(plan, "height"))) {
    fprintf(stderr, "FAIL: size %dx%d\n", v->codecpar->width, v->codecpar->height);
    fails++;
  }
  if (fabs(av_q2d(v->avg_frame_rate) - fps) > 0.01) {
    fprintf(stderr, "FAIL: %.3f fps\n", av_q2d(v->avg_frame_rate));
    fails++;
  }
  if (v->codecpar->codec_id != AV_CODEC_ID_H264 || a->codecpar->codec_id != AV_CODEC_ID_AAC) {
    fprintf(stderr, "FAIL: codecs %s + %s\n", avcodec_get_name(v->codecpar->codec_id), avcodec_get_name(a->codecpar->codec_id));
    fails++;
  }
  double adur = a->duration * av_q2d(a->time_base);
  if (fabs(adur - length) > 0.1) {
    fprintf(stderr, "FAIL: audio lasts %.3fs, plan says %.3fs\n", adur, length);
    fails++;
  }
  avformat_close_input(&fmt);
  if (!faststart(out)) {
    fprintf(stderr, "FAIL: not faststart (moov after mdat)\n");
    fails++;
  }
  json_decref(plan);
  if (!fails) printf("ok: %.3fs, %ld frames, faststart\n", vdur, frames);
  return fails ? 1 : 0;
}

typedef struct {
  long want;
  double x, y;
  uint8_t rgb[3];
  int found;
} color_probe;

/* Keeps the colour at (x, y) of frame `want`; 1 once it has it. */
static int grab(long idx, const uint8_t *rgb, void *ud) {
  color_probe *c = ud;
  if (idx < c->want) return 0;
  int px = (int)(c->x * (W - 1)), py = (int)(c->y * (H - 1));
  memcpy(c->rgb, rgb + (py * W + px) * 3, 3);
  c->found = 1;
  return 1;
}

static int check_color(const char *out, double t, double x, double y, const char *hex) {
  vsc_test_video *v = vsc_test_video_open(out, W, H);
  if (!v) {
    fprintf(stderr, "FAIL: cannot decode %s\n", out);
    return 1;
  }
  color_probe c = {.want = lround(t * vsc_test_video_fps(v)), .x = x, .y = y};
  const vsc_test_image *im;
  for (long idx = 0; vsc_test_video_next(v, &im, NULL) == 1; idx++)
    if (grab(idx, im->rgb, &c)) break;
  vsc_test_video_close(v);
  unsigned want = (unsigned)strtoul(hex[0] == '#' ? hex + 1 : hex, NULL, 16);
  int d = abs(c.rgb[0] - (int)(want >> 16)) + abs(c.rgb[1] - (int)((want >> 8) & 255)) + abs(c.rgb[2] - (int)(want & 255));
  if (!c.found || d > 30) {
    fprintf(stderr, "FAIL: at %.3fs (%.2f, %.2f) colour #%02x%02x%02x, expected %s\n", t, x, y, c.rgb[0], c.rgb[1], c.rgb[2], hex);
    return 1;
  }
  printf("ok: #%02x%02x%02x at %.3fs\n", c.rgb[0], c.rgb[1], c.rgb[2], t);
  return 0;
}

typedef struct {
  double *diff;
  long n, cap;
  uint8_t prev[W * H * 3];
} diffs;

static void record_diff(long idx, const uint8_t *rgb, void *ud) {
  diffs *d = ud;
  double sum = 0;
  if (idx > 0)
    for (int i = 0; i < W * H * 3; i++) sum += abs(rgb[i] - d->prev[i]);
  memcpy(d->prev, rgb, sizeof d->prev);
  if (d->n == d->cap) d->diff = realloc(d->diff, (size_t)(d->cap = d->cap ? d->cap * 2 : 1024) * sizeof *d->diff);
  d->diff[d->n++] = sum / (W * H * 3);
}

static int check_cuts(const char *out, const char *plan_path) {
  json_t *plan = load_plan(plan_path);
  if (!plan) return 1;
  vsc_test_video *v = vsc_test_video_open(out, W, H);
  if (!v) {
    fprintf(stderr, "FAIL: cannot decode %s\n", out);
    return 1;
  }
  diffs d = {0};
  const vsc_test_image *im;
  for (long idx = 0; vsc_test_video_next(v, &im, NULL) == 1; idx++) record_diff(idx, im->rgb, &d);
  double fps = vsc_test_video_fps(v);
  vsc_test_video_close(v);
  json_t *scenes = json_object_get(plan, "scenes");
  int fails = 0, checked = 0;
  for (size_t i = 1; i < json_array_size(scenes); i++) {
    json_t *prev = json_array_get(scenes, i - 1);
    if (json_object_get(prev, "transition")) continue; /* only hard cuts are sharp */
    double b = json_number_value(json_object_get(json_array_get(scenes, i), "start"));
    long want = lround(b * fps);
    /* The biggest change near the planned frame must be within one frame of it. */
    long best = -1;
    double best_d = -1;
    for (long f = want - 6; f <= want + 6; f++)
      if (f > 0 && f < d.n && d.diff[f] > best_d) best_d = d.diff[f], best = f;
    checked++;
    if (best < 0 || labs(best - want) > 1 || best_d < 4) {
      fprintf(stderr, "FAIL: cut into scene %zu planned at frame %ld (%.3fs), biggest change at frame %ld (%.1f)\n", i, want,
              b, best, best_d);
      fails++;
    } else {
      printf("ok: cut at frame %ld (planned %ld, %.3fs)\n", best, want, b);
    }
  }
  free(d.diff);
  json_decref(plan);
  if (!checked) {
    fprintf(stderr, "FAIL: the plan has no hard cut to check\n");
    return 1;
  }
  return fails ? 1 : 0;
}

static int check_ongrid(const char *plan_path, const char *beats_path) {
  json_t *plan = load_plan(plan_path), *beats = load_plan(beats_path);
  if (!plan || !beats) return 1;
  json_t *scenes = json_object_get(plan, "scenes"), *grid = json_object_get(beats, "beats");
  int fails = 0;
  for (size_t i = 1; i < json_array_size(scenes); i++) {
    double b = json_number_value(json_object_get(json_array_get(scenes, i), "start"));
    double best = 1e9;
    size_t k;
    json_t *t;
    json_array_foreach(grid, k, t)
      if (fabs(json_number_value(t) - b) < fabs(best)) best = json_number_value(t) - b;
    /* The beats JSON is rounded to the millisecond. */
    if (fabs(best) > 0.0015) {
      fprintf(stderr, "FAIL: scene %zu starts at %.4fs, %.4fs from the nearest beat\n", i, b, best);
      fails++;
    } else {
      printf("ok: scene %zu starts on a beat at %.3fs\n", i, b);
    }
  }
  json_decref(plan);
  json_decref(beats);
  return fails ? 1 : 0;
}

int main(int argc, char **argv) {
  av_log_set_level(AV_LOG_ERROR);
  if (argc == 4 && strcmp(argv[1], "probe") == 0) return check_probe(argv[2], argv[3]);
  if (argc == 7 && strcmp(argv[1], "color") == 0) return check_color(argv[2], atof(argv[3]), atof(argv[4]), atof(argv[5]), argv[6]);
  if (argc == 4 && strcmp(argv[1], "cuts") == 0) return check_cuts(argv[2], argv[3]);
  if (argc == 4 && strcmp(argv[1], "ongrid") == 0) return check_ongrid(argv[2], argv[3]);
  fprintf(stderr, "usage: e2e_check probe|color|cuts …\n");
  return 2;
}
