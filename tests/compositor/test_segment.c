/*
** The segment op: colour cards, clip fit (cover/contain), offsets, looping and freezing,
** stills, text overlays and timing, transitions, the hard-cut fallback, input errors and
** bit-exact output.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tc.h"

#define W 192
#define H 108
#define FPS 30

static json_t *layer_color(const char *color) {
  return json_pack("{s:{s:s, s:s}, s:s, s:f}", "source", "type", "color", "color", color, "fit", "cover", "t", 0.0);
}

static json_t *layer_clip(int input, double offset, int loop, const char *fit) {
  return json_pack("{s:{s:s, s:i, s:f, s:b}, s:s, s:f}", "source", "type", "clip", "input", input, "offset", offset,
                   "loop", loop, "fit", fit, "t", 0.0);
}

static json_t *seg_params(const char *kind, double duration, json_t *a, json_t *b, const char *transition) {
  json_t *p = json_pack("{s:s, s:f, s:f, s:i, s:i, s:i, s:{s:s, s:i, s:s, s:s}, s:o}", "kind", kind, "t0", 0.0,
                        "duration", duration, "width", W, "height", H, "fps", FPS, "encode", "codec", "libx264", "crf",
                        20, "preset", "veryfast", "pix_fmt", "yuv420p", "a", a);
  if (b) json_object_set_new(p, "b", b);
  if (transition) json_object_set_new(p, "transition", json_string(transition));
  return p;
}

/* Runs a segment node; returns the executor's result, leaves err filled. */
static int run_seg(json_t *params, const char *const *inputs, size_t n, const char *out, vsc_op_error *err) {
  json_t *node = tc_node("segment", params);
  memset(err, 0, sizeof *err);
  int ret = vsc_comp_segment(node, inputs, n, out, err);
  json_decref(node);
  return ret;
}

static void must_seg(json_t *params, const char *const *inputs, size_t n, const char *out) {
  vsc_op_error err;
  int ret = run_seg(params, inputs, n, out, &err);
  CHECK(ret == 0, "segment %s: %s", out, err.msg);
  CHECK(err.msg[0] == 0, "segment %s: unexpected warning '%s'", out, err.msg);
}

static int frames(const char *path) {
  return atoi(tc_probe(path, "-select_streams v:0 -count_frames -show_entries stream=nb_read_frames", "nb_read_frames"));
}

static void make_fixtures(void) {
  tc_render("color=c=red:s=320x240:r=25[vout]", 2.0, 320, 240, 25, "red43.mp4");
  tc_render("color=c=red:s=320x240:r=30:d=1[a];color=c=blue:s=320x240:r=30:d=1[b];[a][b]concat=n=2:v=1:a=0[vout]", 2.0,
            320, 240, 30, "twotone.mp4");
  tc_render("color=c=red:s=160x90:r=30:d=0.25[a];color=c=blue:s=160x90:r=30:d=0.25[b];[a][b]concat=n=2:v=1:a=0[vout]",
            0.5, 160, 90, 30, "short.mp4");
  tc_render("color=c=yellow:s=200x100[vout]", 1, 200, 100, 30, "wide.png");
}

static void test_color_card(void) {
  must_seg(seg_params("body", 1.0, layer_color("#336699"), NULL, NULL), NULL, 0, "card.mp4");
  CHECK(frames("card.mp4") == 30, "frames %d", frames("card.mp4"));
  CHECK(!strcmp(tc_probe("card.mp4", "-show_entries stream=codec_name", "codec_name"), "h264"), "codec");
  CHECK(!strcmp(tc_probe("card.mp4", "-show_entries stream=width", "width"), "192"), "width");
  CHECK(!strcmp(tc_probe("card.mp4", "-show_entries stream=r_frame_rate", "r_frame_rate"), "30/1"), "fps");
  double rgb[3];
  CHECK(tc_frame_rgb("card.mp4", 0.5, 0.1, 0.1, 0.9, 0.9, rgb) == 0 && tc_rgb_dist(rgb, 0x33, 0x66, 0x99) < 6,
        "midpoint colour %.0f %.0f %.0f", rgb[0], rgb[1], rgb[2]);
  /* 0.4667 s is 14 frames exactly. */
  must_seg(seg_params("body", 0.4667, layer_color("#fff"), NULL, NULL), NULL, 0, "card14.mp4");
  CHECK(frames("card14.mp4") == 14, "frames %d", frames("card14.mp4"));
  /* Same node, same bytes. */
  must_seg(seg_params("body", 1.0, layer_color("#336699"), NULL, NULL), NULL, 0, "card2.mp4");
  CHECK(vsc_test_same_bytes("card.mp4", "card2.mp4"), "segment re-render differs");
}

static void test_fit(void) {
  const char *in[] = {"red43.mp4"};
  double rgb[3];
  must_seg(seg_params("body", 0.5, layer_clip(0, 0, 0, "cover"), NULL, NULL), in, 1, "cover.mp4");
  CHECK(tc_frame_rgb("cover.mp4", 0.2, 0.0, 0.0, 0.05, 1.0, rgb) == 0 && tc_rgb_dist(rgb, 255, 0, 0) < 40,
        "cover: left edge red %.0f %.0f %.0f", rgb[0], rgb[1], rgb[2]);
  must_seg(seg_params("body", 0.5, layer_clip(0, 0, 0, "contain"), NULL, NULL), in, 1, "contain.mp4");
  CHECK(tc_frame_rgb("contain.mp4", 0.2, 0.0, 0.0, 0.1, 1.0, rgb) == 0 && tc_rgb_dist(rgb, 0, 0, 0) < 20,
        "contain: left bar black %.0f %.0f %.0f", rgb[0], rgb[1], rgb[2]);
  CHECK(tc_frame_rgb("contain.mp4", 0.2, 0.3, 0.1, 0.7, 0.9, rgb) == 0 && tc_rgb_dist(rgb, 255, 0, 0) < 40,
        "contain: centre red");
  CHECK(frames("contain.mp4") == 15, "25 fps clip normalised to 30 fps: %d frames", frames("contain.mp4"));
  /* A file name with the filtergraph's special characters. */
  const char *odd = "odd name: it's, [x]; 50%\\.mp4";
  CHECK(system("cp red43.mp4 \"odd name: it's, [x]; 50%\\\\.mp4\"") == 0, "copy");
  const char *oddin[] = {odd};
  must_seg(seg_params("body", 0.2, layer_clip(0, 0, 0, "cover"), NULL, NULL), oddin, 1, "odd.mp4");
  CHECK(tc_frame_rgb("odd.mp4", 0.1, 0.2, 0.2, 0.8, 0.8, rgb) == 0 && tc_rgb_dist(rgb, 255, 0, 0) < 40, "odd name read");
  const char *img[] = {"wide.png"};
  json_t *l = json_pack("{s:{s:s, s:i}, s:s}", "source", "type", "image", "input", 0, "fit", "contain");
  must_seg(seg_params("body", 0.5, l, NULL, NULL), img, 1, "still.mp4");
  CHECK(frames("still.mp4") == 15, "still frames");
  CHECK(tc_frame_rgb("still.mp4", 0.4, 0.1, 0.0, 0.9, 0.03, rgb) == 0 && tc_rgb_dist(rgb, 0, 0, 0) < 20,
        "still: top bar black %.0f %.0f %.0f", rgb[0], rgb[1], rgb[2]);
  CHECK(tc_frame_rgb("still.mp4", 0.4, 0.3, 0.3, 0.7, 0.7, rgb) == 0 && tc_rgb_dist(rgb, 255, 255, 0) < 30,
        "still: yellow");
}

static void test_timing(void) {
  const char *two[] = {"twotone.mp4"};
  double rgb[3];
  /* offset 1.2 s: the blue half only. */
  must_seg(seg_params("body", 0.5, layer_clip(0, 1.2, 0, "cover"), NULL, NULL), two, 1, "off.mp4");
  CHECK(tc_frame_rgb("off.mp4", 0.0, 0.2, 0.2, 0.8, 0.8, rgb) == 0 && tc_rgb_dist(rgb, 0, 0, 255) < 40,
        "offset first frame blue %.0f %.0f %.0f", rgb[0], rgb[1], rgb[2]);
  /* offset 0.5 s: red until 0.5 s into the segment, then blue. */
  must_seg(seg_params("body", 1.0, layer_clip(0, 0.5, 0, "cover"), NULL, NULL), two, 1, "off2.mp4");
  CHECK(tc_frame_rgb("off2.mp4", 0.4, 0.2, 0.2, 0.8, 0.8, rgb) == 0 && tc_rgb_dist(rgb, 255, 0, 0) < 40, "off2 red");
  CHECK(tc_frame_rgb("off2.mp4", 0.6, 0.2, 0.2, 0.8, 0.8, rgb) == 0 && tc_rgb_dist(rgb, 0, 0, 255) < 40, "off2 blue");
  /* A 0.5 s clip (red, then blue) in a 1.5 s segment: looped, or frozen on blue. */
  const char *sh[] = {"short.mp4"};
  must_seg(seg_params("body", 1.5, layer_clip(0, 0, 1, "cover"), NULL, NULL), sh, 1, "loop.mp4");
  CHECK(frames("loop.mp4") == 45, "loop frames %d", frames("loop.mp4"));
  CHECK(tc_frame_rgb("loop.mp4", 0.6, 0.2, 0.2, 0.8, 0.8, rgb) == 0 && tc_rgb_dist(rgb, 255, 0, 0) < 40,
        "loop: second pass starts red %.0f %.0f %.0f", rgb[0], rgb[1], rgb[2]);
  CHECK(tc_frame_rgb("loop.mp4", 1.3, 0.2, 0.2, 0.8, 0.8, rgb) == 0 && tc_rgb_dist(rgb, 0, 0, 255) < 40, "loop blue");
  must_seg(seg_params("body", 1.5, layer_clip(0, 0, 0, "cover"), NULL, NULL), sh, 1, "hold.mp4");
  CHECK(frames("hold.mp4") == 45, "hold frames %d", frames("hold.mp4"));
  CHECK(tc_frame_rgb("hold.mp4", 1.3, 0.2, 0.2, 0.8, 0.8, rgb) == 0 && tc_rgb_dist(rgb, 0, 0, 255) < 40,
        "frozen on the last (blue) picture %.0f %.0f %.0f", rgb[0], rgb[1], rgb[2]);
}

static json_t *text_layer(const char *text, double start, double end, int box) {
  json_t *l = layer_color("#202020");
  json_t *t = json_pack("{s:s, s:s, s:s, s:f, s:s, s:s, s:f, s:f, s:f, s:b}", "text", text, "x", "center", "y", "center",
                        "size", 0.3, "font", "DejaVu Sans", "color", "#ffffff", "start", start, "end", end, "fade", 0.0,
                        "box", box);
  json_object_set_new(t, "min_size", json_real(0.05));
  json_object_set_new(l, "texts", json_pack("[o]", t));
  return l;
}

static void test_text(void) {
  must_seg(seg_params("body", 1.0, layer_color("#202020"), NULL, NULL), NULL, 0, "plain.mp4");
  must_seg(seg_params("body", 1.0, text_layer("HELLO", 0.5, 5.0, 0), NULL, NULL), NULL, 0, "text.mp4");
  double before = tc_frame_diff("plain.mp4", 0.2, "text.mp4", 0.2);
  double after = tc_frame_diff("plain.mp4", 0.8, "text.mp4", 0.8);
  CHECK(before >= 0 && before < 1.0, "no text before its start: diff %.2f", before);
  CHECK(after > 5.0, "text present after its start: diff %.2f", after);
  double rgb[3];
  CHECK(tc_frame_rgb("text.mp4", 0.8, 0.0, 0.0, 0.1, 0.1, rgb) == 0 && tc_rgb_dist(rgb, 0x20, 0x20, 0x20) < 6,
        "corner untouched");
  /* Fontconfig names and patterns pick different faces (a pattern is not a family name). */
  const char *fonts[] = {"DejaVu Sans", "DejaVu Serif", "DejaVu Serif:style=Bold"};
  char names[3][32];
  for (int i = 0; i < 3; i++) {
    json_t *l = text_layer("Lumen", 0, 1, 0);
    json_object_set_new(json_array_get(json_object_get(l, "texts"), 0), "font", json_string(fonts[i]));
    snprintf(names[i], sizeof names[i], "font%d.mp4", i);
    must_seg(seg_params("body", 0.1, l, NULL, NULL), NULL, 0, names[i]);
  }
  for (int i = 0; i < 3; i++)
    for (int j = i + 1; j < 3; j++) {
      double d = tc_frame_diff(names[i], 0.05, names[j], 0.05);
      CHECK(d > 0.5, "'%s' and '%s' render differently: diff %.2f", fonts[i], fonts[j], d);
    }
  /* Characters that need escaping in a filter graph. */
  must_seg(seg_params("body", 0.3, text_layer("It's 50% off: now, [really]; \\o/ = \"yes\"", 0, 1, 1), NULL, NULL), NULL,
           0, "escaped.mp4");
  CHECK(tc_frame_diff("plain.mp4", 0.1, "escaped.mp4", 0.1) > 5.0, "escaped text drawn");
}

static void test_transitions(void) {
  double rgb[3];
  must_seg(seg_params("transition", 0.5, layer_color("#ff0000"), layer_color("#0000ff"), "fade"), NULL, 0, "xf.mp4");
  CHECK(frames("xf.mp4") == 15, "transition frames %d", frames("xf.mp4"));
  CHECK(tc_frame_rgb("xf.mp4", 0.0, 0.2, 0.2, 0.8, 0.8, rgb) == 0 && rgb[0] > 200 && rgb[2] < 60, "starts red");
  CHECK(tc_frame_rgb("xf.mp4", 0.25, 0.2, 0.2, 0.8, 0.8, rgb) == 0 && rgb[0] > 70 && rgb[0] < 190 && rgb[2] > 70 &&
            rgb[2] < 190,
        "midpoint mixes red and blue: %.0f %.0f %.0f", rgb[0], rgb[1], rgb[2]);
  CHECK(tc_frame_rgb("xf.mp4", 0.49, 0.2, 0.2, 0.8, 0.8, rgb) == 0 && rgb[2] > 200 && rgb[0] < 60, "ends blue");
  /* Frame k of n is (n - k) / n the outgoing picture: frame 5 of 15 is two thirds red. */
  CHECK(tc_frame_rgb("xf.mp4", 5.0 / 30 + 0.001, 0.2, 0.2, 0.8, 0.8, rgb) == 0 && fabs(rgb[0] - 170) < 8 &&
            fabs(rgb[2] - 85) < 8,
        "frame 5 of the crossfade: %.0f %.0f %.0f, not two thirds red", rgb[0], rgb[1], rgb[2]);
  must_seg(seg_params("transition", 0.5, layer_color("#ff0000"), layer_color("#0000ff"), "wipeleft"), NULL, 0, "wipe.mp4");
  double l[3], r[3];
  CHECK(tc_frame_rgb("wipe.mp4", 0.25, 0.02, 0.2, 0.2, 0.8, l) == 0 && tc_frame_rgb("wipe.mp4", 0.25, 0.8, 0.2, 0.98, 0.8, r) == 0 &&
            tc_rgb_dist(l, 255, 0, 0) < 40 && tc_rgb_dist(r, 0, 0, 255) < 40,
        "wipeleft midpoint: left still red, right already blue (%.0f,%.0f,%.0f) (%.0f,%.0f,%.0f)", l[0], l[1], l[2], r[0], r[1], r[2]);
  /* FFmpeg 5.1's slideup reads the row after its first input's last on the first frame; the
  ** segment must show the outgoing picture's own top row there. */
  must_seg(seg_params("transition", 0.5, layer_color("#ff0000"), layer_color("#0000ff"), "slideup"), NULL, 0, "up.mp4");
  for (int x = 0; x < 10; x++) {
    CHECK(tc_frame_rgb("up.mp4", 0.0, x / 10.0, 0.0, (x + 1) / 10.0, 0.001, rgb) == 0 && tc_rgb_dist(rgb, 255, 0, 0) < 40,
          "slideup's first frame, top row, tenth %d: red, not (%.0f,%.0f,%.0f)", x, rgb[0], rgb[1], rgb[2]);
  }
  CHECK(tc_frame_rgb("up.mp4", 0.25, 0.0, 0.05, 1.0, 0.4, l) == 0 && tc_frame_rgb("up.mp4", 0.25, 0.0, 0.6, 1.0, 0.95, r) == 0 &&
            tc_rgb_dist(l, 255, 0, 0) < 40 && tc_rgb_dist(r, 0, 0, 255) < 40,
        "slideup midpoint: top still red, bottom already blue (%.0f,%.0f,%.0f) (%.0f,%.0f,%.0f)", l[0], l[1], l[2], r[0], r[1], r[2]);
}

static int warned;
static void on_warn(void *ud, const char *msg) {
  (void)ud;
  warned++;
  fprintf(stderr, "warning: %s\n", msg);
}

static void test_fallback(void) {
  FILE *f;
  vsc_comp_set_warning_handler(on_warn, NULL);
  vsc_op_error err;
  double rgb[3];
  int ret = run_seg(seg_params("transition", 0.5, layer_color("#ff0000"), layer_color("#0000ff"), "nosuchwipe"), NULL, 0,
                    "cut.mp4", &err);
  CHECK(ret == 0, "fallback renders: %s", err.msg);
  CHECK(err.kind == VSC_FAIL_NONE && strstr(err.msg, "hard cut") && strstr(err.msg, "scene 'testscene'"),
        "fallback reported in err: '%s'", err.msg);
  CHECK(warned == 1, "handler called %d times", warned);
  CHECK(frames("cut.mp4") == 15, "cut frames %d", frames("cut.mp4"));
  CHECK(tc_frame_rgb("cut.mp4", 0.15, 0.2, 0.2, 0.8, 0.8, rgb) == 0 && tc_rgb_dist(rgb, 255, 0, 0) < 40, "before cut red");
  CHECK(tc_frame_rgb("cut.mp4", 0.35, 0.2, 0.2, 0.8, 0.8, rgb) == 0 && tc_rgb_dist(rgb, 0, 0, 255) < 40, "after cut blue");
  /* A text the filter rejects (no font can be loaded: a missing file, and a fontconfig
     set-up without fonts): dropped, with a warning. */
  f = fopen("nofonts.conf", "w");
  fputs("<?xml version=\"1.0\"?>\n<fontconfig></fontconfig>\n", f);
  fclose(f);
  char conf[1024];
  if (!getcwd(conf, sizeof conf - 20)) conf[0] = 0;
  strcat(conf, "/nofonts.conf");
  setenv("FONTCONFIG_FILE", conf, 1);
  json_t *l = text_layer("HI", 0, 1, 0);
  json_object_set_new(json_array_get(json_object_get(l, "texts"), 0), "font", json_string("/no/such/font.ttf"));
  ret = run_seg(seg_params("body", 0.3, l, NULL, NULL), NULL, 0, "notext.mp4", &err);
  CHECK(ret == 0 && strstr(err.msg, "without text"), "text fallback: %d '%s'", ret, err.msg);
  unsetenv("FONTCONFIG_FILE");
  CHECK(warned == 2, "handler called %d times", warned);
  vsc_comp_set_warning_handler(NULL, NULL);
}

static void test_bad_inputs(void) {
  FILE *f = fopen("corrupt.mp4", "wb");
  for (int i = 0; i < 4096; i++) fputc((i * 131) & 0xff, f);
  fclose(f);
  const char *in[] = {"corrupt.mp4"};
  vsc_op_error err;
  int ret = run_seg(seg_params("body", 0.5, layer_clip(0, 0, 0, "cover"), NULL, NULL), in, 1, "bad.mp4", &err);
  CHECK(ret < 0 && err.kind == VSC_FAIL_INPUT, "corrupt clip fails as input error: %d %d", ret, err.kind);
  CHECK(strstr(err.msg, "scene 'testscene'") && strstr(err.msg, "test.vscript:7:3") && strstr(err.msg, "corrupt.mp4"),
        "message names the scene, source line and file: '%s'", err.msg);
  const char *none[] = {"does-not-exist.mp4"};
  ret = run_seg(seg_params("body", 0.5, layer_clip(0, 0, 0, "cover"), NULL, NULL), none, 1, "bad.mp4", &err);
  CHECK(ret < 0 && strstr(err.msg, "does-not-exist.mp4"), "missing clip: '%s'", err.msg);
  ret = run_seg(seg_params("body", 0.5, layer_clip(3, 0, 0, "cover"), NULL, NULL), in, 1, "bad.mp4", &err);
  CHECK(ret < 0 && strstr(err.msg, "out of range"), "bad input index: '%s'", err.msg);
  ret = run_seg(seg_params("body", 0.5, layer_color("blue"), NULL, NULL), NULL, 0, "bad.mp4", &err);
  CHECK(ret < 0 && strstr(err.msg, "#rgb"), "bad colour: '%s'", err.msg);
}

int main(void) {
  tc_workdir("segment.out");
  make_fixtures();
  test_color_card();
  test_fit();
  test_timing();
  test_text();
  test_transitions();
  test_fallback();
  test_bad_inputs();
  return vsc_test_done("test_comp_segment");
}
