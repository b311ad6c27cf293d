/*
** test_review.c — the review aids of `vsc build` end to end with the local provider, on a
** script of flat colour cards (so every picture is known): the contact sheet decoded and
** measured (size, each cell's colour, label pixels), parts rendered with --scene and
** --range checked by their streams' durations, decoded frames and sound (the voice starts
** where it starts in the full video), what a part render runs after a full build (only
** trims and joins: nothing generated, nothing cached rendered again), the errors, and
** `vsc plan --scene`.
**
** `test_review CASE` runs one case; each has its own temp directory.
*/
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vsc_test.h"
#include "vsc_test_video.h"

#define FPS 25
/* Five cards; the voice in `red` is the only sound (no music), so its onset can be found. */
#define SCRIPT \
  "video \"Review test\" {\n" \
  "  size 320x180 fps 25 length 6s\n" \
  "  scene red (1.5s) {\n" \
  "    shot color #ff0000\n" \
  "    voice \"Red.\" at 0.5s\n" \
  "  }\n" \
  "  scene green (1.5s) {\n" \
  "    shot color #00ff00\n" \
  "    then crossfade 0.4s\n" \
  "  }\n" \
  "  scene blue (1s) { shot color #0000ff }\n" \
  "  scene yellow (1s) { shot color #ffff00 }\n" \
  "  scene magenta (rest) { shot color #ff00ff }\n" \
  "}\n"

static const unsigned colors[5] = {0xff0000, 0x00ff00, 0x0000ff, 0xffff00, 0xff00ff};

static char dir[256];

static void setup(const char *tag, const char *script) {
  vsc_test_tmpdir(dir, sizeof dir, tag);
  char p[512];
  snprintf(p, sizeof p, "%s/t.vscript", dir);
  if (vsc_test_write_text(p, script) != 0) exit(2);
}

/* `vsc ARGS...` in the test directory; returns its exit status (result in *r). */
static int vsc(vsc_test_run_result *r, const char *a1, const char *a2, const char *a3, const char *a4, const char *a5,
               const char *a6) {
  const char *argv[] = {VSC_BIN, a1, a2, a3, a4, a5, a6, NULL};
  vsc_test_run(r, dir, NULL, argv);
  if (r->status != 0 && getenv("VSC_TEST_VERBOSE")) fprintf(stderr, "%s", r->err);
  return r->status;
}

static int build(const char *a1, const char *a2, const char *a3) {
  vsc_test_run_result r;
  int rc = vsc(&r, "build", "t.vscript", a1, a2, a3, NULL);
  if (rc != 0) fprintf(stderr, "vsc build %s %s exited %d:\n%s\n", a1 ? a1 : "", a2 ? a2 : "", rc, r.err);
  vsc_test_run_free(&r);
  return rc;
}

static void path(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", dir, name); }

/* Whether the picture's mean over the rectangle is the colour (within tol per channel). */
static bool mean_is(const vsc_test_image *im, int x0, int y0, int x1, int y1, unsigned rgb, double tol) {
  double m[3];
  vsc_test_image_mean(im, x0, y0, x1, y1, m);
  double want[3] = {(rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255};
  bool ok = true;
  for (int c = 0; c < 3; c++) ok = ok && fabs(m[c] - want[c]) <= tol;
  if (!ok) fprintf(stderr, "  mean (%.0f, %.0f, %.0f), want #%06x\n", m[0], m[1], m[2], rgb);
  return ok;
}

/* The duration of the file's first stream of `type` (its own duration field), or -1. */
static double stream_duration(const char *file, enum AVMediaType type) {
  AVFormatContext *fmt = NULL;
  double d = -1;
  if (avformat_open_input(&fmt, file, NULL, NULL) < 0) return -1;
  if (avformat_find_stream_info(fmt, NULL) >= 0) {
    int s = av_find_best_stream(fmt, type, -1, -1, NULL, 0);
    if (s >= 0 && fmt->streams[s]->duration > 0) d = (double)fmt->streams[s]->duration * av_q2d(fmt->streams[s]->time_base);
  }
  avformat_close_input(&fmt);
  return d;
}

/* The time of the first sample of the sound louder than `level` (mean of the channels), or -1. */
static double sound_onset(const char *file, double level) {
  AVFormatContext *fmt = NULL;
  AVCodecContext *dec = NULL;
  AVPacket *pkt = av_packet_alloc();
  AVFrame *fr = av_frame_alloc();
  double onset = -1;
  long long n = 0;
  if (avformat_open_input(&fmt, file, NULL, NULL) < 0 || avformat_find_stream_info(fmt, NULL) < 0) goto out;
  int s = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
  if (s < 0) goto out;
  const AVCodec *codec = avcodec_find_decoder(fmt->streams[s]->codecpar->codec_id);
  dec = codec ? avcodec_alloc_context3(codec) : NULL;
  if (!dec || avcodec_parameters_to_context(dec, fmt->streams[s]->codecpar) < 0 || avcodec_open2(dec, codec, NULL) < 0) goto out;
  int sr = dec->sample_rate;
  while (onset < 0 && av_read_frame(fmt, pkt) >= 0) {
    if (pkt->stream_index == s && avcodec_send_packet(dec, pkt) >= 0) {
      while (onset < 0 && avcodec_receive_frame(dec, fr) == 0) {
        if (fr->format != AV_SAMPLE_FMT_FLTP) goto out;
        int ch = fr->ch_layout.nb_channels;
        for (int i = 0; i < fr->nb_samples && onset < 0; i++) {
          double v = 0;
          for (int c = 0; c < ch; c++) v += ((const float *)fr->extended_data[c])[i];
          if (fabs(v / ch) > level) onset = (double)(n + i) / sr;
        }
        n += fr->nb_samples;
      }
    }
    av_packet_unref(pkt);
  }
out:
  av_frame_free(&fr);
  av_packet_free(&pkt);
  avcodec_free_context(&dec);
  avformat_close_input(&fmt);
  return onset;
}

/* Ops of the nodes a `--progress json` run started. */
static int ran_ops(const char *err, char ops[][16], int max) {
  int n = 0;
  for (const char *p = err; (p = strstr(p, "\"event\":\"node\"")) && n < max; p++) {
    const char *bol = p;
    while (bol > err && bol[-1] != '\n') bol--;
    const char *eol = strchr(p, '\n');
    char line[1024];
    snprintf(line, sizeof line, "%.*s", (int)(eol ? eol - bol : (long)strlen(bol)), bol);
    json_t *ev = json_loads(line, 0, NULL);
    if (ev && !strcmp(json_string_value(json_object_get(ev, "state")) ?: "", "running"))
      snprintf(ops[n++], 16, "%s", json_string_value(json_object_get(ev, "op")) ?: "?");
    json_decref(ev);
  }
  return n;
}

/* ---- the contact sheet ---------------------------------------------------------------- */

/* Geometry of docs/cli.md: 480x270 frames of a 16:9 video, 4 columns, 16 px margins, a
 * 76 px label band under each frame and a 92 px header. */
#define THUMB_W 480
#define THUMB_H 270
#define LABEL_H 76
#define MARGIN 16
#define HEADER_H 92

static void cell_origin(int i, int *x, int *y) {
  *x = MARGIN + (i % 4) * (THUMB_W + MARGIN);
  *y = HEADER_H + MARGIN + (i / 4) * (THUMB_H + LABEL_H + MARGIN);
}

/* Pixels brighter than the sheet's dark background by far: text. */
static int text_pixels(const vsc_test_image *im, int x0, int y0, int x1, int y1) {
  int n = 0;
  for (int y = y0; y < y1 && y < im->h; y++)
    for (int x = x0; x < x1 && x < im->w; x++) {
      const uint8_t *p = im->rgb + ((size_t)y * (size_t)im->w + (size_t)x) * 3;
      if (p[0] + p[1] + p[2] > 3 * 110) n++;
    }
  return n;
}

static void t_sheet(void) {
  vsc_test_image im = {0};
  vsc_test_run_result r = {0};
  char sheet[512], video[512];
  setup("review-sheet", SCRIPT);
  path(sheet, sizeof sheet, "t.sheet.png");
  path(video, sizeof video, "t.mp4");
  REQUIRE(build("--sheet", "--progress", "quiet") == 0);
  REQUIRE(access(video, F_OK) == 0 && access(sheet, F_OK) == 0, "t.mp4 and t.sheet.png written");
  REQUIRE(vsc_test_frame_index(sheet, 0, &im) == 0, "the sheet decodes");
  /* 5 scenes: 4 columns, 2 rows. */
  CHECK(im.w == 4 * THUMB_W + 5 * MARGIN && im.h == HEADER_H + 2 * (THUMB_H + LABEL_H + MARGIN) + MARGIN,
        "sheet is %dx%d", im.w, im.h);
  for (int i = 0; i < 5; i++) {
    int x, y;
    cell_origin(i, &x, &y);
    /* The frame's inside is the scene's card... */
    CHECK(mean_is(&im, x + 8, y + 8, x + THUMB_W - 8, y + THUMB_H - 8, colors[i], 6), "cell %d has the scene's colour", i);
    /* ... its label band has text (name, times, "card · $0.00") ... */
    int t = text_pixels(&im, x, y + THUMB_H, x + THUMB_W, y + THUMB_H + LABEL_H);
    CHECK(t > 400, "cell %d: %d text pixels in the label band", i, t);
    /* ... and the margin beside it is the background. */
    CHECK(mean_is(&im, x + THUMB_W + 2, y, x + THUMB_W + MARGIN - 2, y + THUMB_H, 0x1e1e1e, 4), "margin right of cell %d", i);
  }
  CHECK(text_pixels(&im, 0, 0, im.w, HEADER_H) > 800, "the header has its title and line");
  /* The unused fourth cell of the second row stays empty. */
  int x, y;
  cell_origin(7, &x, &y);
  CHECK(mean_is(&im, x, y, x + THUMB_W, y + THUMB_H + LABEL_H, 0x1e1e1e, 4), "no eighth cell");
  vsc_test_image_free(&im);

  /* Again, all cached: the sheet is drawn from the video, nothing runs. */
  unlink(sheet);
  REQUIRE(vsc(&r, "build", "t.vscript", "--sheet", "--progress", "json", NULL) == 0);
  CHECK(strstr(r.err, "\"executed\":0") != NULL, "a cached build ran nodes:\n%s", r.err);
  CHECK(access(sheet, F_OK) == 0, "the sheet was written again");
out:
  vsc_test_image_free(&im);
  vsc_test_run_free(&r);
  vsc_test_rmtree(dir);
}

/* ---- parts ------------------------------------------------------------------------------ */

static void t_scene(void) {
  vsc_test_image im = {0};
  vsc_test_run_result r = {0};
  char full[512], part[512], two[512], copy[512];
  setup("review-scene", SCRIPT);
  path(full, sizeof full, "t.mp4");
  path(part, sizeof part, "t.scene-green.mp4");
  path(two, sizeof two, "t.scene-red+blue.mp4");
  REQUIRE(build("--progress", "quiet", NULL) == 0);
  char *before = vsc_test_slurp(full, NULL);
  path(copy, sizeof copy, "full-copy.mp4");
  size_t flen = 0;
  free(before);
  before = vsc_test_slurp(full, &flen);
  REQUIRE(before && vsc_test_write_file(copy, before, flen) == 0);
  free(before);

  /* After the full build a scene runs only its trims and joins. */
  REQUIRE(vsc(&r, "build", "t.vscript", "--scene", "green", "--progress", "json") == 0);
  char ops[64][16];
  int n = ran_ops(r.err, ops, 64);
  CHECK(n >= 2, "%d nodes ran", n);
  for (int i = 0; i < n; i++)
    CHECK(!strcmp(ops[i], "trim") || !strcmp(ops[i], "concat") || !strcmp(ops[i], "mux"), "a scene render ran a '%s' node", ops[i]);
  CHECK(strstr(r.err, "\"spent\":0") != NULL, "spent nothing");
  CHECK(vsc_test_same_bytes(full, copy), "the full video was left alone");
  double vd = stream_duration(part, AVMEDIA_TYPE_VIDEO), ad = stream_duration(part, AVMEDIA_TYPE_AUDIO);
  CHECK(fabs(vd - 1.5) <= 1.0 / FPS + 1e-6, "video %.3f s, want 1.5", vd);
  CHECK(fabs(ad - 1.5) <= 1.0 / FPS + 1e-6, "audio %.3f s, want 1.5", ad);
  REQUIRE(vsc_test_frame_index(part, 0, &im) == 0);
  CHECK(mean_is(&im, 0, 0, im.w, im.h, 0x00ff00, 6), "the first frame is green");
  vsc_test_image_free(&im);
  REQUIRE(vsc_test_frame_at(part, 0.75, &im) == 0);
  CHECK(mean_is(&im, 0, 0, im.w, im.h, 0x00ff00, 6), "the middle is green");
  vsc_test_image_free(&im);

  /* Two scenes apart play one after the other. */
  vsc_test_run_free(&r);
  REQUIRE(vsc(&r, "build", "t.vscript", "--scene", "red,blue", "--progress", "quiet") == 0, "%s", r.err);
  vd = stream_duration(two, AVMEDIA_TYPE_VIDEO);
  CHECK(fabs(vd - 2.5) <= 1.0 / FPS + 1e-6, "red+blue: %.3f s, want 2.5", vd);
  REQUIRE(vsc_test_frame_index(two, 0, &im) == 0);
  CHECK(mean_is(&im, 0, 0, im.w, im.h, 0xff0000, 6), "red first");
  vsc_test_image_free(&im);
  /* red's 1.5 s is 38 frames (its boundary is on frame round(1.5 * 25), as in the video);
   * blue opens with the second half of the crossfade from green (0.2 s), then is blue. */
  REQUIRE(vsc_test_frame_index(two, 38 + 8, &im) == 0);
  CHECK(mean_is(&im, 0, 0, im.w, im.h, 0x0000ff, 6), "then blue");
out:
  vsc_test_image_free(&im);
  vsc_test_run_free(&r);
  vsc_test_rmtree(dir);
}

static void t_range(void) {
  vsc_test_image im = {0};
  char full[512], part[512];
  setup("review-range", SCRIPT);
  path(full, sizeof full, "t.mp4");
  path(part, sizeof part, "t.0.2s-2.2s.mp4");
  /* The part first (from nothing), then the full video. */
  REQUIRE(build("--range", "0.2s-2.2s", NULL) == 0);
  REQUIRE(build("--progress", "quiet", NULL) == 0);
  double vd = stream_duration(part, AVMEDIA_TYPE_VIDEO), ad = stream_duration(part, AVMEDIA_TYPE_AUDIO);
  CHECK(fabs(vd - 2.0) <= 1.0 / FPS + 1e-6, "video %.3f s, want 2", vd);
  CHECK(fabs(ad - 2.0) <= 1.0 / FPS + 1e-6, "audio %.3f s, want 2", ad);
  REQUIRE(vsc_test_frame_index(part, 0, &im) == 0);
  CHECK(mean_is(&im, 0, 0, im.w, im.h, 0xff0000, 6), "the first frame is red");
  vsc_test_image_free(&im);
  REQUIRE(vsc_test_frame_index(part, (int)(1.6 * FPS), &im) == 0); /* 1.8 s on the timeline */
  CHECK(mean_is(&im, 0, 0, im.w, im.h, 0x00ff00, 6), "green from 1.5 s on the timeline");
  vsc_test_image_free(&im);
  /* The voice starts 0.2 s earlier in the part than in the video: the sound is in sync. */
  double on_full = sound_onset(full, 0.01), on_part = sound_onset(part, 0.01);
  CHECK(on_full > 0.45 && on_full < 0.8, "the voice starts at %.3f s in the video", on_full);
  CHECK(fabs(on_part - (on_full - 0.2)) < 0.005, "the voice starts at %.3f s in the part, %.3f s in the video", on_part,
        on_full);
out:
  vsc_test_image_free(&im);
  vsc_test_rmtree(dir);
}

static void t_range_bars(void) {
  vsc_test_image im = {0};
  char part[512];
  /* 120 bpm in 4/4: a bar is 2 s; bar 2 (1 bar in) starts at 2 s. */
  setup("review-bars", "video \"Bars\" {\n"
                       "  size 320x180 fps 25 length 6s\n"
                       "  music generate \"a soft pad\" { tempo 120 }\n"
                       "  scene one (1 bars) { shot color #ff0000 }\n"
                       "  scene two (1 bars) { shot color #00ff00 }\n"
                       "  scene three (rest) { shot color #0000ff }\n"
                       "}\n");
  path(part, sizeof part, "t.1bars-2bars.mp4");
  REQUIRE(build("--range", "1bars-2bars", NULL) == 0);
  double vd = stream_duration(part, AVMEDIA_TYPE_VIDEO);
  CHECK(fabs(vd - 2.0) <= 1.0 / FPS + 1e-6, "video %.3f s, want 2", vd);
  REQUIRE(vsc_test_frame_index(part, 0, &im) == 0);
  CHECK(mean_is(&im, 0, 0, im.w, im.h, 0x00ff00, 6), "bar 2 is scene two");
  vsc_test_image_free(&im);
  REQUIRE(vsc_test_frame_index(part, -1, &im) == 0);
  CHECK(mean_is(&im, 0, 0, im.w, im.h, 0x00ff00, 6), "and ends with it");
out:
  vsc_test_image_free(&im);
  vsc_test_rmtree(dir);
}

static void t_errors(void) {
  vsc_test_run_result r = {0};
  char p[512];
  setup("review-errors", SCRIPT);
  REQUIRE(vsc(&r, "build", "t.vscript", "--scene", "gren", NULL, NULL) == 1);
  CHECK(strstr(r.err, "vsc: t.vscript has no scene 'gren'; did you mean 'green'?") != NULL, "%s", r.err);
  vsc_test_run_free(&r);
  REQUIRE(vsc(&r, "build", "t.vscript", "--range", "5s-9s", NULL, NULL) == 1);
  CHECK(strstr(r.err, "vsc: --range 5s-9s: it ends at 9s, after the end of the video (6s long)") != NULL, "%s", r.err);
  vsc_test_run_free(&r);
  REQUIRE(vsc(&r, "build", "t.vscript", "--range", "2bars-3bars", NULL, NULL) == 1);
  CHECK(strstr(r.err, "needs a tempo") != NULL, "%s", r.err);
  vsc_test_run_free(&r);
  REQUIRE(vsc(&r, "build", "t.vscript", "--range", "3s-2s", NULL, NULL) == 1);
  CHECK(strstr(r.err, "it ends (2s) before it starts (3s)") != NULL, "%s", r.err);
  vsc_test_run_free(&r);
  REQUIRE(vsc(&r, "build", "t.vscript", "--range", "2parsecs-3s", NULL, NULL) == 1);
  CHECK(strstr(r.err, "unknown unit 'parsecs'") != NULL, "%s", r.err);
  vsc_test_run_free(&r);
  REQUIRE(vsc(&r, "build", "t.vscript", "--sheet", "-o", "-", NULL) == 1);
  CHECK(strstr(r.err, "vsc: --sheet: the video goes to a stream (stdout)") != NULL && r.out[0] == 0, "%s", r.err);
  vsc_test_run_free(&r);
  REQUIRE(vsc(&r, "plan", "t.vscript", "--scene", "bleu", NULL, NULL) == 1);
  CHECK(strstr(r.err, "did you mean 'blue'?") != NULL, "%s", r.err);
  /* Nothing was rendered, nothing left behind. */
  const char *names[] = {"t.scene-gren.mp4", "t.5s-9s.mp4", "t.mp4", "t.2bars-3bars.mp4"};
  for (size_t i = 0; i < 4; i++) {
    path(p, sizeof p, names[i]);
    CHECK(access(p, F_OK) != 0, "%s exists", names[i]);
  }
out:
  vsc_test_run_free(&r);
  vsc_test_rmtree(dir);
}

static void t_plan(void) {
  vsc_test_run_result r = {0};
  json_t *plan = NULL;
  setup("review-plan", SCRIPT);
  REQUIRE(vsc(&r, "plan", "t.vscript", "--scene", "green,yellow", "--json", NULL) == 0, "%s", r.err);
  plan = json_loads(r.out, 0, NULL);
  REQUIRE(plan, "plan --json is JSON");
  json_t *sc = json_object_get(plan, "scenes");
  CHECK(json_array_size(sc) == 2 && !strcmp(json_string_value(json_object_get(json_array_get(sc, 0), "name")), "green") &&
            !strcmp(json_string_value(json_object_get(json_array_get(sc, 1), "name")), "yellow"),
        "the part's scenes");
  CHECK(fabs(json_number_value(json_object_get(plan, "length")) - 2.5) <= 1.0 / FPS + 1e-9, "length %g",
        json_number_value(json_object_get(plan, "length")));
out:
  json_decref(plan);
  vsc_test_run_free(&r);
  vsc_test_rmtree(dir);
}

static const vsc_test_case cases[] = {
#define VSC_TEST_CASE(name) VSC_TEST_ENTRY(t_, name)
#include "test_review.def"
#undef VSC_TEST_CASE
};

int main(int argc, char **argv) { return vsc_test_main(argc, argv, cases, VSC_TEST_COUNT(cases)); }
