/*
** Colour emoji in rendered text, on decoded frames: "Sale 🔥👟" on a flat card draws the
** emoji in saturated colour (not Symbola's black and white), after "Sale", on the same
** baseline band, inside the safe area and where the layout measured them; a ZWJ family, a
** flag, a keycap and a skin tone each draw as one glyph; the layout reserves each emoji's
** advance; a karaoke caption with an emoji shows it with its cue only, a pop caption from its
** word's start; a fading title fades
** its emoji too; both scenes of a transition draw theirs; text without emoji draws no colour,
** and no temporary picture is left behind.
*/
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tc.h"
#include "vsc/vsc_text.h"

#define FPS 25
#define W 640
#define H 360
static const int card[3] = {0x20, 0x40, 0x60};

static json_t *text_obj(const char *text, double size) {
  return json_pack("{s:s, s:s, s:s, s:f, s:f, s:s, s:s, s:f, s:s, s:f, s:f, s:f}", "text", text, "x", "center", "y",
                   "center", "size", size, "min_size", size, "font", "DejaVu Sans", "color", "#ffffff", "outline", 0.0,
                   "outline_color", "#000000", "start", 0.0, "end", 10.0, "fade", 0.0);
}

static int render(json_t *texts, double duration, const char *out, vsc_op_error *err) {
  json_t *layer = json_pack("{s:{s:s, s:s}, s:s, s:f, s:o}", "source", "type", "color", "color", "#204060", "fit",
                            "cover", "t", 0.0, "texts", texts);
  json_t *p = json_pack("{s:s, s:f, s:f, s:i, s:i, s:i, s:{s:s, s:i, s:s, s:s}, s:o}", "kind", "body", "t0", 0.0,
                        "duration", duration, "width", W, "height", H, "fps", FPS, "encode", "codec", "libx264", "crf",
                        12, "preset", "ultrafast", "pix_fmt", "yuv420p", "a", layer);
  json_t *node = tc_node("segment", p);
  memset(err, 0, sizeof *err);
  int ret = vsc_comp_segment(node, NULL, 0, out, err);
  json_decref(node);
  return ret;
}

/* Pixels of a frame: those that differ from the card, and the saturated ones (colour, not
** grey: max - min channel > 80), each with its bounding box (x1 <= x0 when none). */
typedef struct {
  int ink[4], sat[4];
  int nsat;
} frame_stats;

static void grow(int b[4], int x, int y) {
  if (x < b[0]) b[0] = x;
  if (y < b[1]) b[1] = y;
  if (x + 1 > b[2]) b[2] = x + 1;
  if (y + 1 > b[3]) b[3] = y + 1;
}

static int stats_in(const char *path, double t, int x0, int x1, frame_stats *s) {
  vsc_test_image im;
  memset(s, 0, sizeof *s);
  s->ink[0] = s->ink[1] = s->sat[0] = s->sat[1] = 1 << 30;
  s->ink[2] = s->ink[3] = s->sat[2] = s->sat[3] = -1;
  if (vsc_test_frame_at(path, t, &im) < 0) return -1;
  for (int y = 0; y < im.h; y++)
    for (int x = x0; x < x1 && x < im.w; x++) {
      const uint8_t *p = im.rgb + ((size_t)y * im.w + x) * 3;
      int d = abs(p[0] - card[0]) + abs(p[1] - card[1]) + abs(p[2] - card[2]);
      int mx = p[0] > p[1] ? (p[0] > p[2] ? p[0] : p[2]) : (p[1] > p[2] ? p[1] : p[2]);
      int mn = p[0] < p[1] ? (p[0] < p[2] ? p[0] : p[2]) : (p[1] < p[2] ? p[1] : p[2]);
      if (d > 60) grow(s->ink, x, y);
      /* The card itself is a muted blue (max - min 64): colour means more than that. */
      if (d > 60 && mx - mn > 100) grow(s->sat, x, y), s->nsat++;
    }
  vsc_test_image_free(&im);
  return 0;
}

static int stats(const char *path, double t, frame_stats *s) { return stats_in(path, t, 0, W, s); }

/* "Sale 🔥👟": the emoji are in colour, right of "Sale", on its baseline band, in the safe area,
** where the layout put their boxes. */
static void test_title(void) {
  vsc_op_error err;
  CHECK(render(json_pack("[o]", text_obj("Sale 🔥👟", 0.2)), 2.0 / FPS, "sale.mp4", &err) == 0, "sale: %s", err.msg);
  frame_stats s;
  CHECK(stats("sale.mp4", 0, &s) == 0, "sale decoded");
  CHECK(s.nsat > 1500, "emoji drawn in saturated colour (%d px)", s.nsat);
  /* The layout: two tokens, two emoji in the second, side by side on one line. */
  vsc_text_ctx *ctx = vsc_text_new(W, H);
  vsc_text_req rq = {.text = "Sale 🔥👟", .x = "center", .y = "center", .size = 0.2, .min_size = 0.2, .color = 0xffffff, .font = "DejaVu Sans"};
  vsc_text_safe_area("title", W, H, &rq.safe);
  vsc_text_layout L;
  char msg[256];
  CHECK(vsc_text_layout_run(ctx, &rq, &L, msg, sizeof msg) == 0 && L.fits && L.nlines == 1 && L.nemoji == 2,
        "laid out on one line with two emoji (%d lines, %d emoji)", L.nlines, L.nemoji);
  if (L.nemoji == 2) {
    const vsc_text_emoji *a = &L.emoji[0], *b = &L.emoji[1];
    int px = L.size_px;
    CHECK(a->token == 1 && b->token == 1 && a->off == 0 && a->len == 4 && b->off == 4 && b->len == 4,
          "emoji found in 'Sale 🔥👟' (tokens %d %d)", a->token, b->token);
    /* Each box: the emoji's advance (Noto: 1.06 of the size) and the size tall. */
    CHECK(abs(a->x1 - a->x0 - (int)lround(1.06 * px)) <= 2 && abs(a->y1 - a->y0 - px) <= 2,
          "emoji box %dx%d at size %d px", a->x1 - a->x0, a->y1 - a->y0, px);
    CHECK(b->x0 >= a->x1 - 1 && b->x0 <= a->x1 + 1 && b->y0 == a->y0, "second emoji follows the first (%d after %d)",
          b->x0, a->x1);
    /* The colour pixels lie in the boxes (scaled glyphs fill most of them). */
    CHECK(s.sat[0] >= a->x0 - 1 && s.sat[2] <= b->x1 + 1 && s.sat[1] >= a->y0 - 1 && s.sat[3] <= a->y1 + 1,
          "colour pixels [%d,%d %d,%d] inside the emoji boxes [%d,%d %d,%d]", s.sat[0], s.sat[1], s.sat[2], s.sat[3],
          a->x0, a->y0, b->x1, a->y1);
    CHECK(s.sat[2] - s.sat[0] > (b->x1 - a->x0) * 8 / 10, "colour spans both emoji (%d of %d px)",
          s.sat[2] - s.sat[0], b->x1 - a->x0);
    /* Safe area (title: 5 %). */
    CHECK(s.ink[0] >= W / 20 && s.ink[2] <= W - W / 20 && s.ink[1] >= H / 20 && s.ink[3] <= H - H / 20,
          "text and emoji inside the safe area (%d,%d %d,%d)", s.ink[0], s.ink[1], s.ink[2], s.ink[3]);
    /* "Sale" is left of the emoji: white ink there, and on the same band: its cap height
       ends near the baseline, which the emoji's foot passes by its depth. */
    frame_stats word;
    CHECK(stats_in("sale.mp4", 0, 0, a->x0 - 2, &word) == 0 && word.ink[2] > word.ink[0] && word.nsat < 20,
          "'Sale' drawn left of the emoji, in white (%d colour px)", word.nsat);
    int baseline = a->y1 - (int)lround(a->desc * px);
    CHECK(abs(word.ink[3] - baseline) <= 3, "'Sale' sits on the emoji's baseline (%d vs %d)", word.ink[3], baseline);
    CHECK(word.ink[1] > a->y0 && word.ink[1] < baseline, "'Sale' within the emoji's band (top %d, band %d..%d)",
          word.ink[1], a->y0, a->y1);
    CHECK(s.ink[0] == word.ink[0] && s.ink[2] > (b->x0 + b->x1) / 2 && s.ink[2] <= b->x1 + 1,
          "the ink is 'Sale' then the emoji (%d..%d, last box ends at %d)", s.ink[0], s.ink[2], b->x1);
  }
  vsc_text_layout_free(&L);
  vsc_text_free(ctx);
}

/* Sequences: each draws as one glyph, the advance of one emoji. */
static void test_sequences(void) {
  vsc_text_ctx *ctx = vsc_text_new(W, H);
  const char *one[] = {"👨‍👩‍👧‍👦", "🇫🇷", "1️⃣", "👍🏽", "❤️", "🏳️‍🌈", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "㊗️"};
  char msg[256];
  for (size_t i = 0; i < sizeof one / sizeof *one; i++) {
    vsc_text_req rq = {.text = one[i], .size = 0.2, .min_size = 0.2, .color = 0xffffff};
    vsc_text_safe_area("title", W, H, &rq.safe);
    vsc_text_layout L;
    CHECK(vsc_text_layout_run(ctx, &rq, &L, msg, sizeof msg) == 0 && L.nemoji == 1 && L.emoji[0].len == (int)strlen(one[i]),
          "'%s' is one emoji (%d found)", one[i], L.nemoji);
    if (L.nemoji == 1)
      CHECK(abs(L.emoji[0].x1 - L.emoji[0].x0 - (int)lround(1.06 * L.size_px)) <= 2, "'%s' one glyph wide (%d px)", one[i],
            L.emoji[0].x1 - L.emoji[0].x0);
    vsc_text_layout_free(&L);
  }
  /* Text presentation stays text: "©", "❤" without VS16, "1", "#hashtag". */
  const char *text[] = {"© 2026", "I ❤ NY", "Sunday 1-4pm", "#sale", "㊗"};
  for (size_t i = 0; i < sizeof text / sizeof *text; i++) {
    vsc_text_req rq = {.text = text[i], .size = 0.1, .min_size = 0.1, .color = 0xffffff};
    vsc_text_safe_area("title", W, H, &rq.safe);
    vsc_text_layout L;
    CHECK(vsc_text_layout_run(ctx, &rq, &L, msg, sizeof msg) == 0 && L.nemoji == 0, "'%s' has no colour emoji (%d)", text[i],
          L.nemoji);
    vsc_text_layout_free(&L);
  }
  vsc_text_free(ctx);
  /* Drawn: the family, a technologist and the flag are one glyph each, as wide as one emoji
     box (libass would draw each person of the sequence side by side). Noto draws the
     four-person family as a grey tile of silhouettes; the others are in colour. */
  vsc_op_error err;
  CHECK(render(json_pack("[o]", text_obj("👨‍👩‍👧‍👦", 0.3)), 2.0 / FPS, "family.mp4", &err) == 0, "family: %s", err.msg);
  CHECK(render(json_pack("[o]", text_obj("👩‍💻", 0.3)), 2.0 / FPS, "coder.mp4", &err) == 0, "coder: %s", err.msg);
  CHECK(render(json_pack("[o]", text_obj("🇫🇷", 0.3)), 2.0 / FPS, "flag.mp4", &err) == 0, "flag: %s", err.msg);
  int px = (int)lround(0.3 * H);
  frame_stats s;
  CHECK(stats("family.mp4", 0, &s) == 0 && s.ink[2] - s.ink[0] > 0.8 * px && s.ink[2] - s.ink[0] <= 1.07 * px + 2 &&
            s.ink[3] - s.ink[1] > 0.8 * px,
        "family: one glyph (%dx%d px, one emoji is %d wide)", s.ink[2] - s.ink[0], s.ink[3] - s.ink[1], (int)(1.06 * px));
  CHECK(stats("coder.mp4", 0, &s) == 0 && s.nsat > 1000 && s.ink[2] - s.ink[0] <= 1.07 * px + 2,
        "woman technologist: one colour glyph (%d colour px, %d px wide)", s.nsat, s.ink[2] - s.ink[0]);
  CHECK(stats("flag.mp4", 0, &s) == 0 && s.nsat > 1000 && s.ink[2] - s.ink[0] <= 1.07 * px + 2,
        "flag: one colour glyph (%d colour px, %d px wide)", s.nsat, s.ink[2] - s.ink[0]);
  /* The French flag: blue on the left, red on the right. */
  vsc_test_image im;
  if (vsc_test_frame_at("flag.mp4", 0, &im) == 0) {
    int y = (s.ink[1] + s.ink[3]) / 2, xl = s.ink[0] + (s.ink[2] - s.ink[0]) / 6, xr = s.ink[2] - (s.ink[2] - s.ink[0]) / 6;
    const uint8_t *l = im.rgb + ((size_t)y * im.w + xl) * 3, *r = im.rgb + ((size_t)y * im.w + xr) * 3;
    CHECK(l[2] > l[0] + 60 && r[0] > r[2] + 60, "flag blue (%d,%d,%d) then red (%d,%d,%d)", l[0], l[1], l[2], r[0], r[1], r[2]);
    vsc_test_image_free(&im);
  }
}

/* A wrapped line counts emoji at their drawn width: a row of emoji wider than the safe area
** wraps (or shrinks) and stays inside it. */
static void test_wrap(void) {
  vsc_op_error err;
  json_t *t = text_obj("🔥🔥🔥🔥 🔥🔥🔥🔥 🔥🔥🔥🔥", 0.2);
  json_object_set_new(t, "min_size", json_real(0.1));
  CHECK(render(json_pack("[o]", t), 2.0 / FPS, "wrap.mp4", &err) == 0, "wrap: %s", err.msg);
  frame_stats s;
  CHECK(stats("wrap.mp4", 0, &s) == 0 && s.nsat > 3000, "emoji rows drawn (%d colour px)", s.nsat);
  CHECK(s.ink[0] >= W / 20 && s.ink[2] <= W - W / 20 && s.ink[1] >= H / 20 && s.ink[3] <= H - H / 20,
        "wrapped emoji inside the safe area (%d,%d %d,%d)", s.ink[0], s.ink[1], s.ink[2], s.ink[3]);
  CHECK(s.ink[3] - s.ink[1] > H / 4, "on several lines (%d px tall)", s.ink[3] - s.ink[1]);
}

/* A karaoke caption with an emoji word: the emoji shows with its cue and not after it; a
** fading title's emoji fades with it. */
static void test_caption_and_fade(void) {
  vsc_op_error err;
  json_t *words = json_pack("[{s:s, s:f}, {s:s, s:f}, {s:s, s:f}]", "w", "Run", "start", 0.0, "w", "🏃", "start", 0.4, "w",
                            "fast", "start", 0.8);
  json_t *cap = json_pack("{s:s, s:s, s:s, s:f, s:f, s:s, s:s, s:f, s:s, s:[{s:f, s:f, s:o}]}", "text", "", "x", "center",
                          "y", "center", "size", 0.15, "min_size", 0.05, "font", "DejaVu Sans", "color", "#ffffff",
                          "outline", 0.05, "style", "karaoke", "cues", "start", 0.0, "end", 1.2, "words", words);
  CHECK(render(json_pack("[o]", cap), 1.6, "karaoke.mp4", &err) == 0, "karaoke: %s", err.msg);
  frame_stats s0, s1, s2;
  CHECK(stats("karaoke.mp4", 0.2, &s0) == 0 && stats("karaoke.mp4", 1.0, &s1) == 0 && stats("karaoke.mp4", 1.4, &s2) == 0,
        "karaoke decoded");
  CHECK(s0.nsat > 300 && s1.nsat > 300, "the emoji word shows through the cue (%d, %d colour px)", s0.nsat, s1.nsat);
  CHECK(s2.nsat < 20 && s2.ink[2] < s2.ink[0], "nothing after the cue (%d colour px)", s2.nsat);
  /* Pop: the emoji word appears at its own start, like the other words. */
  words = json_pack("[{s:s, s:f}, {s:s, s:f}, {s:s, s:f}]", "w", "Go", "start", 0.0, "w", "🔥", "start", 0.4, "w", "now",
                    "start", 0.8);
  cap = json_pack("{s:s, s:s, s:s, s:f, s:f, s:s, s:s, s:f, s:s, s:[{s:f, s:f, s:o}]}", "text", "", "x", "center", "y",
                  "center", "size", 0.15, "min_size", 0.05, "font", "DejaVu Sans", "color", "#ffffff", "outline", 0.05,
                  "style", "pop", "cues", "start", 0.0, "end", 1.2, "words", words);
  CHECK(render(json_pack("[o]", cap), 1.6, "pop.mp4", &err) == 0, "pop: %s", err.msg);
  CHECK(stats("pop.mp4", 0.2, &s0) == 0 && stats("pop.mp4", 0.6, &s1) == 0 && stats("pop.mp4", 1.4, &s2) == 0, "pop decoded");
  CHECK(s0.nsat < 20 && s0.ink[2] > s0.ink[0], "pop: the first word alone at first (%d colour px)", s0.nsat);
  CHECK(s1.nsat > 300 && s2.nsat < 20, "pop: the emoji from its word's start (%d colour px), gone after the cue (%d)",
        s1.nsat, s2.nsat);
  /* Fading title: 1 s fade in from 0; at 0.2 s the emoji is fainter than at 1.5 s. */
  json_t *t = text_obj("🍓", 0.3);
  json_object_set_new(t, "fade", json_real(1.0));
  CHECK(render(json_pack("[o]", t), 1.6, "fade.mp4", &err) == 0, "fade: %s", err.msg);
  frame_stats f0, f1;
  CHECK(stats("fade.mp4", 0.2, &f0) == 0 && stats("fade.mp4", 1.5, &f1) == 0, "fade decoded");
  CHECK(f1.nsat > 1000 && f0.nsat < f1.nsat / 2, "the emoji fades in with its text (%d then %d colour px)", f0.nsat, f1.nsat);
}

/* A transition segment with emoji on both scenes: both layers get their overlays (labels of
** their own) and the crossfade shows both. */
static void test_transition(void) {
  vsc_op_error err;
  json_t *la = json_pack("{s:{s:s, s:s}, s:s, s:f, s:[o]}", "source", "type", "color", "color", "#204060", "fit", "cover",
                         "t", 0.0, "texts", text_obj("🔥", 0.3));
  json_t *tb = text_obj("🍓", 0.3);
  json_object_set_new(tb, "y", json_string("top"));
  json_t *lb = json_pack("{s:{s:s, s:s}, s:s, s:f, s:[o]}", "source", "type", "color", "color", "#204060", "fit", "cover",
                         "t", 0.0, "texts", tb);
  json_t *p = json_pack("{s:s, s:f, s:f, s:i, s:i, s:i, s:{s:s, s:i, s:s, s:s}, s:o, s:o, s:s}", "kind", "transition", "t0",
                        0.0, "duration", 0.4, "width", W, "height", H, "fps", FPS, "encode", "codec", "libx264", "crf", 12,
                        "preset", "ultrafast", "pix_fmt", "yuv420p", "a", la, "b", lb, "transition", "fade");
  json_t *node = tc_node("segment", p);
  memset(&err, 0, sizeof err);
  CHECK(vsc_comp_segment(node, NULL, 0, "xfade.mp4", &err) == 0 && !strstr(err.msg, "instead"), "transition: %s", err.msg);
  json_decref(node);
  /* Middle of the crossfade: the fire at the centre and the strawberry at the top, both faint. */
  vsc_test_image im;
  int centre = 0, upper = 0;
  if (vsc_test_frame_at("xfade.mp4", 0.2, &im) == 0) {
    for (int y = 0; y < im.h; y++)
      for (int x = 0; x < im.w; x++) {
        const uint8_t *q = im.rgb + ((size_t)y * im.w + x) * 3;
        if (abs(q[0] - card[0]) + abs(q[1] - card[1]) + abs(q[2] - card[2]) > 60) *(y < H / 3 ? &upper : &centre) += 1;
      }
    vsc_test_image_free(&im);
  }
  CHECK(centre > 500 && upper > 500, "both scenes' emoji in the crossfade (%d px centre, %d px top)", centre, upper);
}

/* Text without emoji draws white only; and no emoji picture or ASS script is left beside the
** outputs of all the renders above. */
static void test_no_emoji(void) {
  vsc_op_error err;
  CHECK(render(json_pack("[o]", text_obj("Sale today", 0.2)), 2.0 / FPS, "plain.mp4", &err) == 0, "plain: %s", err.msg);
  frame_stats s;
  CHECK(stats("plain.mp4", 0, &s) == 0 && s.nsat < 20 && s.ink[2] > s.ink[0], "white text, no colour (%d px)", s.nsat);
  DIR *d = opendir(".");
  int left = 0, mp4 = 0;
  for (struct dirent *e; d && (e = readdir(d));) {
    left += strstr(e->d_name, ".pam") || strstr(e->d_name, ".ass");
    mp4 += strstr(e->d_name, ".mp4") != NULL;
  }
  if (d) closedir(d);
  CHECK(mp4 >= 9 && left == 0, "%d renders, %d temporary files left", mp4, left);
}

int main(void) {
  tc_workdir("emoji_work");
  test_title();
  test_sequences();
  test_wrap();
  test_caption_and_fade();
  test_transition();
  test_no_emoji();
  return vsc_test_done("compositor_emoji");
}
