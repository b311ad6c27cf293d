/*
** Text overlays on decoded frames: long titles at every position on 16:9, 9:16, 1:1 and 4:5
** stay inside the safe area (rendered on a flat card, the box of the pixels that differ from
** the card is compared with the safe rectangle) and land where the layout measured them (what
** `vsc check` measures is what the render draws); CJK and emoji are drawn with real glyphs,
** not the missing-glyph box; outline, box and accent colours; captions word by word.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tc.h"
#include "vsc/vsc_text.h"

#define FPS 25
static const int card[3] = {0x20, 0x40, 0x60};

static json_t *text_obj(const char *text, json_t *x, json_t *y, double size, double min_size) {
  return json_pack("{s:s, s:o, s:o, s:f, s:f, s:s, s:s, s:f, s:s, s:f, s:f, s:f, s:b}", "text", text, "x", x, "y", y,
                   "size", size, "min_size", min_size, "font", "DejaVu Sans", "color", "#ffffff", "outline", 0.06,
                   "outline_color", "#000000", "start", 0.0, "end", 10.0, "fade", 0.0, "box", 0);
}

static int render(json_t *texts, int w, int h, const char *out, vsc_op_error *err) {
  json_t *layer = json_pack("{s:{s:s, s:s}, s:s, s:f, s:o}", "source", "type", "color", "color", "#204060", "fit",
                            "cover", "t", 0.0, "texts", texts);
  json_t *p = json_pack("{s:s, s:f, s:f, s:i, s:i, s:i, s:{s:s, s:i, s:s, s:s}, s:o}", "kind", "body", "t0", 0.0,
                        "duration", 2.0 / FPS, "width", w, "height", h, "fps", FPS, "encode", "codec", "libx264", "crf",
                        12, "preset", "ultrafast", "pix_fmt", "yuv420p", "a", layer);
  json_t *node = tc_node("segment", p);
  memset(err, 0, sizeof *err);
  int ret = vsc_comp_segment(node, NULL, 0, out, err);
  json_decref(node);
  return ret;
}

/* Box of the pixels that differ from the card (x1 <= x0 when none). */
static int ink_box(const char *path, int box[4]) {
  vsc_test_image im;
  if (vsc_test_frame_at(path, 0.0, &im) < 0) return -1;
  const uint8_t *px = im.rgb;
  int w = im.w, h = im.h;
  box[0] = box[1] = 1 << 30;
  box[2] = box[3] = -1;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const uint8_t *p = px + ((size_t)y * w + x) * 3;
      int d = abs(p[0] - card[0]) + abs(p[1] - card[1]) + abs(p[2] - card[2]);
      if (d > 60) {
        if (x < box[0]) box[0] = x;
        if (y < box[1]) box[1] = y;
        if (x + 1 > box[2]) box[2] = x + 1;
        if (y + 1 > box[3]) box[3] = y + 1;
      }
    }
  vsc_test_image_free(&im);
  return 0;
}

static void test_safe_areas(void) {
  static const int formats[][2] = {{640, 360}, {360, 640}, {480, 480}, {432, 540}};
  static const char *const names[] = {"16:9", "9:16", "1:1", "4:5"};
  static const char *const xs[] = {"left", "center", "right"}, *const ys[] = {"top", "center", "bottom"};
  const char *title = "MEET THE AIRLOOP — LIGHTER, FASTER AND BRIGHTER THAN ANY SNEAKER BEFORE";
  for (int f = 0; f < 4; f++) {
    int w = formats[f][0], h = formats[f][1];
    vsc_text_rect safe;
    vsc_text_safe_area(NULL, w, h, &safe);
    int sx0 = (int)ceil(safe.x0 * w), sy0 = (int)ceil(safe.y0 * h), sx1 = (int)floor(safe.x1 * w), sy1 = (int)floor(safe.y1 * h);
    vsc_text_ctx *ctx = vsc_text_new(w, h);
    CHECK(ctx != NULL, "libass context");
    for (int pos = 0; pos < 10; pos++) {
      json_t *x = pos < 9 ? json_string(xs[pos % 3]) : json_real(0.9);
      json_t *y = pos < 9 ? json_string(ys[pos / 3]) : json_real(0.97);
      json_t *t = text_obj(title, x, y, 0.09, 0.03);
      /* The layout's own prediction, from the same request the compositor reads. */
      vsc_text_req rq;
      vsc_text_layout L;
      char msg[256];
      CHECK(vsc_text_req_from_json(t, w, h, &rq, msg, sizeof msg) == 0, "%s", msg);
      CHECK(vsc_text_layout_run(ctx, &rq, &L, msg, sizeof msg) == 0 && L.fits, "%s %s pos %d: layout fits", names[f], msg,
            pos);
      vsc_op_error err;
      int ret = render(json_pack("[o]", t), w, h, "safe.mp4", &err);
      CHECK(ret == 0 && !err.msg[0], "%s pos %d: render: %s", names[f], pos, err.msg);
      int b[4];
      CHECK(ink_box("safe.mp4", b) == 0 && b[2] > b[0], "%s pos %d: text drawn", names[f], pos);
      /* 4:2:0 chroma may bleed one pixel past the glyphs. */
      CHECK(b[0] >= sx0 - 1 && b[1] >= sy0 - 1 && b[2] <= sx1 + 1 && b[3] <= sy1 + 1,
            "%s pos %d: text pixels %d,%d-%d,%d outside the safe area %d,%d-%d,%d", names[f], pos, b[0], b[1], b[2], b[3],
            sx0, sy0, sx1, sy1);
      CHECK(abs(b[0] - L.ink_x0) <= 2 && abs(b[1] - L.ink_y0) <= 2 && abs(b[2] - L.ink_x1) <= 2 && abs(b[3] - L.ink_y1) <= 2,
            "%s pos %d: drawn %d,%d-%d,%d where the layout measured %d,%d-%d,%d", names[f], pos, b[0], b[1], b[2], b[3],
            L.ink_x0, L.ink_y0, L.ink_x1, L.ink_y1);
      CHECK(L.nlines >= 2, "%s pos %d: the long title wraps (%d lines)", names[f], pos, L.nlines);
      vsc_text_layout_free(&L);
    }
    vsc_text_free(ctx);
  }
}

/* Balanced breaks: two lines of about equal width, not a full line and a widow. */
static void test_balance(void) {
  vsc_text_ctx *ctx = vsc_text_new(1920, 1080);
  vsc_text_req rq = {.text = "The quick brown fox jumps over the lazy dog", .size = 0.09, .min_size = 0.09, .color = 0xffffff};
  vsc_text_safe_area("title", 1920, 1080, &rq.safe);
  vsc_text_layout L;
  char msg[256];
  /* Greedy filling would put six words on the first line and three on the second. */
  CHECK(vsc_text_layout_run(ctx, &rq, &L, msg, sizeof msg) == 0 && L.fits && L.nlines == 2, "two lines: %d", L.nlines);
  CHECK(L.nlines == 2 && L.line_start[1] == 4, "balanced break after 'fox' (word %d)", L.nlines == 2 ? L.line_start[1] : -1);
  vsc_text_layout_free(&L);
  /* Shrinks to fit two lines when asked for at most two. */
  rq.text = "A title long enough that it needs to shrink to stay on two lines, even on a frame as wide as this";
  rq.max_lines = 2;
  rq.min_size = 0.02;
  CHECK(vsc_text_layout_run(ctx, &rq, &L, msg, sizeof msg) == 0 && L.fits && L.nlines == 2 && L.size < 0.085,
        "shrunk to %g in %d lines", L.size, L.nlines);
  vsc_text_layout_free(&L);
  /* An unbreakable word wider than the frame at its minimum size does not fit. */
  rq.text = "Supercalifragilisticexpialidociousnessesses";
  rq.size = 0.12;
  rq.min_size = 0.1;
  rq.max_lines = 0;
  CHECK(vsc_text_layout_run(ctx, &rq, &L, msg, sizeof msg) == 0 && !L.fits && L.over_w > 100, "overflow %d", L.over_w);
  vsc_text_layout_free(&L);
  vsc_text_free(ctx);
}

/* Distance of two frames (mean absolute difference over all channels). */
static void test_glyphs(void) {
  vsc_op_error err;
  const char *samples[][2] = {{"東京の夜", "cjk.mp4"}, {"😀🎉👟", "emoji.mp4"}, {"\xF4\x8F\xBF\xBD\xF4\x8F\xBF\xBD", "notdef.mp4"}};
  for (int i = 0; i < 3; i++) {
    json_t *t = text_obj(samples[i][0], json_string("center"), json_string("center"), 0.3, 0.3);
    json_object_set_new(t, "outline", json_real(0));
    CHECK(render(json_pack("[o]", t), 480, 270, samples[i][1], &err) == 0, "%s: %s", samples[i][1], err.msg);
  }
  int b[4];
  CHECK(ink_box("cjk.mp4", b) == 0 && b[2] - b[0] > 150, "CJK drawn (%d px wide)", b[2] - b[0]);
  CHECK(ink_box("emoji.mp4", b) == 0 && b[2] - b[0] > 100, "emoji drawn (%d px wide)", b[2] - b[0]);
  double dc = tc_frame_diff("cjk.mp4", 0, "notdef.mp4", 0), de = tc_frame_diff("emoji.mp4", 0, "notdef.mp4", 0);
  CHECK(dc > 2.0, "CJK glyphs differ from the missing-glyph rendering (diff %.2f)", dc);
  CHECK(de > 2.0, "emoji glyphs differ from the missing-glyph rendering (diff %.2f)", de);
  /* Two different CJK strings differ too (not one box drawn for each character). */
  json_t *t = text_obj("山川草木", json_string("center"), json_string("center"), 0.3, 0.3);
  json_object_set_new(t, "outline", json_real(0));
  CHECK(render(json_pack("[o]", t), 480, 270, "cjk2.mp4", &err) == 0, "cjk2: %s", err.msg);
  CHECK(tc_frame_diff("cjk.mp4", 0, "cjk2.mp4", 0) > 1.0, "different CJK text draws different glyphs");
}

/* Outline, box and accent words. */
static void test_look(void) {
  vsc_op_error err;
  double rgb[3];
  json_t *t = text_obj("GO *NOW*", json_string("center"), json_string("center"), 0.4, 0.4);
  json_object_set_new(t, "accent", json_string("#ff0000"));
  json_object_set_new(t, "outline", json_real(0));
  CHECK(render(json_pack("[o]", t), 480, 270, "accent.mp4", &err) == 0, "accent: %s", err.msg);
  /* The accent word is on the right half: red there, white on the left. */
  vsc_test_image im;
  int red = 0, white = 0;
  if (vsc_test_frame_at("accent.mp4", 0, &im) == 0) {
    const uint8_t *px = im.rgb;
    int w = im.w, h = im.h;
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        const uint8_t *p = px + ((size_t)y * w + x) * 3;
        if (p[0] > 200 && p[1] < 60 && p[2] < 60) red += x > w / 2;
        if (p[0] > 220 && p[1] > 220 && p[2] > 220) white += x < w / 2;
      }
    vsc_test_image_free(&im);
  }
  CHECK(red > 500 && white > 500, "accent word red (%d px), the rest white (%d px)", red, white);
  t = text_obj("BOX", json_string("center"), json_string("center"), 0.2, 0.2);
  json_object_set_new(t, "box", json_string("#ffff00"));
  CHECK(render(json_pack("[o]", t), 480, 270, "box.mp4", &err) == 0, "box: %s", err.msg);
  /* Just inside the box's padding, left of the text: the box colour blended over the card. */
  int b[4];
  CHECK(ink_box("box.mp4", b) == 0, "box drawn");
  CHECK(tc_frame_rgb("box.mp4", 0, (b[0] + 2) / 480.0, (b[1] + b[3]) / 2 / 270.0, (b[0] + 4) / 480.0,
                     (b[1] + b[3]) / 2 / 270.0 + 0.01, rgb) == 0 &&
            rgb[0] > 100 && rgb[1] > 100 && rgb[2] < 90,
        "the box is yellowish (%.0f %.0f %.0f)", rgb[0], rgb[1], rgb[2]);
}

/* Captions in a segment: `pop` shows the words spoken so far, `box` puts a box behind them,
** and each cue is shown only between its start and end (scene time, layer t). */
static void test_caption_styles(void) {
  vsc_op_error err;
  json_t *words = json_pack("[{s:s, s:f}, {s:s, s:f}, {s:s, s:f}]", "w", "ONE", "start", 0.0, "w", "TWO", "start", 0.4, "w",
                            "THREE", "start", 0.8);
  json_t *cap = json_pack("{s:s, s:s, s:s, s:f, s:f, s:s, s:s, s:f, s:s, s:[{s:f, s:f, s:o}]}", "text", "", "x", "center", "y",
                          "center", "size", 0.15, "min_size", 0.05, "font", "DejaVu Sans", "color", "#ffffff", "outline", 0.0,
                          "style", "pop", "cues", "start", 0.0, "end", 1.2, "words", words);
  json_t *layer = json_pack("{s:{s:s, s:s}, s:s, s:f, s:[o]}", "source", "type", "color", "color", "#204060", "fit", "cover",
                            "t", 0.0, "texts", cap);
  json_t *p = json_pack("{s:s, s:f, s:f, s:i, s:i, s:i, s:{s:s, s:i, s:s, s:s}, s:o}", "kind", "body", "t0", 0.0, "duration",
                        1.6, "width", 480, "height", 270, "fps", FPS, "encode", "codec", "libx264", "crf", 12, "preset",
                        "ultrafast", "pix_fmt", "yuv420p", "a", layer);
  json_t *node = tc_node("segment", p);
  memset(&err, 0, sizeof err);
  CHECK(vsc_comp_segment(node, NULL, 0, "pop.mp4", &err) == 0, "pop: %s", err.msg);
  json_decref(node);
  /* Widths of the drawn text after each word's start: they grow; after the cue, nothing. */
  int widths[4];
  const double at[4] = {0.2, 0.6, 1.0, 1.4};
  for (int k = 0; k < 4; k++) {
    widths[k] = 0;
    vsc_test_image im;
    if (vsc_test_frame_at("pop.mp4", at[k], &im) < 0) continue;
    const uint8_t *px = im.rgb;
    int w = im.w, h = im.h;
    int x0 = w, x1 = -1;
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        const uint8_t *q = px + ((size_t)y * w + x) * 3;
        if (q[0] > 200 && q[1] > 200 && q[2] > 200) {
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
        }
      }
    widths[k] = x1 >= x0 ? x1 - x0 + 1 : 0;
    vsc_test_image_free(&im);
  }
  CHECK(widths[0] > 20 && widths[1] > widths[0] + 20 && widths[2] > widths[1] + 20 && widths[3] == 0,
        "pop: drawn widths %d, %d, %d, then %d after the cue", widths[0], widths[1], widths[2], widths[3]);
}

int main(void) {
  tc_workdir("text_work");
  test_safe_areas();
  test_balance();
  test_glyphs();
  test_look();
  test_caption_styles();
  return vsc_test_done("compositor_text");
}
