/*
** The local provider's animatic cards (generate kinds video and image): exact duration,
** size and fps (ffprobe), the prompt drawn and large enough, identical bytes on re-render,
** palette colours in the background, every camera move (and only a move) changing the
** picture over time, image-to-video, exact escaping of hostile prompt text, word wrap and
** rejected params.
*/
#include <time.h>
#include <unistd.h>

#include "local.h"
#include "tl.h"
#include "vsc/vsc_compositor.h"
#include "vsc/vsc_buf.h"

static char json[8192];

/* A generate node as JSON; `extra` is spliced into params (may be ""). */
static const char *node(const char *kind, int w, int h, int fps, double dur, const char *extra) {
  snprintf(json, sizeof json,
           "{\"op\":\"generate\",\"model\":\"local/card\",\"params\":{\"kind\":\"%s\",\"width\":%d,"
           "\"height\":%d,\"fps\":%d,\"duration\":%g%s%s}}",
           kind, w, h, fps, dur, *extra ? "," : "", extra);
  return json;
}

static int render(const char *kind, int w, int h, int fps, double dur, const char *extra,
                  const char *out, const char *const *inputs, size_t ninputs) {
  vsc_op_error e;
  int rc = tl_run(vsc_local_generate, node(kind, w, h, fps, dur, extra), inputs, ninputs, out, &e);
  if (rc) fprintf(stderr, "render %s %s: %s\n", kind, extra, e.msg);
  return rc;
}

/* Bounding-box height of near-white pixels (the text) in the middle 80 % of the width. */
static int white_height(const vsc_test_image *im) {
  int top = -1, bot = -1;
  for (int y = 0; y < im->h; y++)
    for (int x = im->w / 10; x < im->w * 9 / 10; x++) {
      const unsigned char *p = im->rgb + ((size_t)y * im->w + x) * 3;
      if (p[0] > 215 && p[1] > 215 && p[2] > 215) {
        if (top < 0) top = y;
        bot = y;
      }
    }
  return top < 0 ? 0 : bot - top + 1;
}

static void test_probe(void) {
  const char *out = tl_path("probe.mp4");
  CHECK(render("video", 480, 270, 24, 2.5,
               "\"prompt\":\"a lighthouse in a storm\",\"label\":\"storm\",\"camera\":\"pan-left\"",
               out, NULL, 0) == 0,
        "render");
  tl_probe p;
  CHECK(tl_ffprobe(out, &p) == 0, "ffprobe failed on %s", out);
  CHECK(!strcmp(p.codec, "h264"), "codec %s", p.codec);
  CHECK(p.width == 480 && p.height == 270, "size %dx%d", p.width, p.height);
  CHECK(p.fps == 24.0, "fps %g", p.fps);
  CHECK(p.frames == 60, "%d frames, want 60", p.frames);
  CHECK(p.duration > 2.49 && p.duration < 2.51, "duration %g", p.duration);
  printf("probe: %dx%d %g fps %d frames %.3f s\n", p.width, p.height, p.fps, p.frames, p.duration);

  /* Full HD: reported (not asserted) so the cost of a card is visible in the test log. */
  const char *hd = tl_path("hd.mp4");
  struct timespec w0, w1;
  clock_gettime(CLOCK_MONOTONIC, &w0);
  clock_t c0 = clock();
  CHECK(render("video", 1920, 1080, 30, 2.0,
               "\"prompt\":\"steam rising from a ceramic cup at sunrise, warm cinematic light\","
               "\"label\":\"sunrise\",\"camera\":\"push-in\",\"palette\":[\"#1b1b1b\",\"#c8a27a\"]",
               hd, NULL, 0) == 0,
        "render 1080p");
  clock_t c1 = clock();
  clock_gettime(CLOCK_MONOTONIC, &w1);
  CHECK(tl_ffprobe(hd, &p) == 0 && p.width == 1920 && p.height == 1080 && p.frames == 60,
        "1080p card is %dx%d with %d frames", p.width, p.height, p.frames);
  printf("1080p card: 2.0 s of video (60 frames) in %.2f s cpu, %.2f s wall\n",
         (double)(c1 - c0) / CLOCKS_PER_SEC,
         (double)(w1.tv_sec - w0.tv_sec) + (w1.tv_nsec - w0.tv_nsec) / 1e9);
}

static void test_text(void) {
  static const int sizes[2][2] = {{1920, 1080}, {480, 270}};
  for (int s = 0; s < 2; s++) {
    int W = sizes[s][0], H = sizes[s][1];
    const char *with = tl_path("text_with.png"), *without = tl_path("text_without.png");
    const char *dark = "\"palette\":[\"#202020\",\"#303030\"]";
    char extra[256];
    snprintf(extra, sizeof extra, "%s,\"prompt\":\"HHHH HHHH HHHH\"", dark);
    CHECK(render("image", W, H, 30, 0, extra, with, NULL, 0) == 0, "render with text");
    CHECK(render("image", W, H, 30, 0, dark, without, NULL, 0) == 0, "render without text");
    vsc_test_image a, b;
    if (vsc_test_frame_index(with, 0, &a) || vsc_test_frame_index(without, 0, &b)) {
      CHECK(0, "cannot decode the pngs");
      return;
    }
    CHECK(a.w == W && a.h == H, "png is %dx%d", a.w, a.h);
    double d = tl_diff(&a, &b, W / 5, H / 3, W * 4 / 5, H * 2 / 3, 40);
    CHECK(d > 0.01, "%dx%d: the prompt changes only %.4f of the centre", W, H, d);
    int th = white_height(&a);
    CHECK(white_height(&b) == 0, "white pixels without text");
    /* Cap height of one line: >= 3.5 % of the frame height, readable at both sizes. */
    CHECK(th >= H * 35 / 1000 && th < H / 4, "%dx%d: text is %d px tall", W, H, th);
    printf("text %dx%d: %d px tall, %.3f of the centre changed\n", W, H, th, d);
    vsc_test_image_free(&a);
    vsc_test_image_free(&b);
  }
}

static void test_deterministic(void) {
  const char *extra = "\"prompt\":\"barista pours latte art, macro\",\"label\":\"pour\","
                      "\"camera\":\"handheld\",\"seed\":77,\"palette\":[\"#1b1b1b\",\"#c8a27a\"]";
  const char *a = tl_path("det_a.mp4"), *b = tl_path("det_b.mp4");
  CHECK(render("video", 320, 180, 25, 1.2, extra, a, NULL, 0) == 0, "render a");
  CHECK(render("video", 320, 180, 25, 1.2, extra, b, NULL, 0) == 0, "render b");
  CHECK(vsc_test_same_bytes(a, b), "two renders of the same node differ");
  const char *pa = tl_path("det_a.png"), *pb = tl_path("det_b.png");
  CHECK(render("image", 320, 180, 25, 0, extra, pa, NULL, 0) == 0, "render png a");
  CHECK(render("image", 320, 180, 25, 0, extra, pb, NULL, 0) == 0, "render png b");
  CHECK(vsc_test_same_bytes(pa, pb), "two renders of the same image node differ");
}

static void test_palette(void) {
  const char *out = tl_path("palette.png");
  CHECK(render("image", 480, 270, 30, 0, "\"palette\":[\"#ff0000\",\"#0000ff\"]", out, NULL, 0) == 0,
        "render");
  vsc_test_image im;
  if (vsc_test_frame_index(out, 0, &im)) {
    CHECK(0, "decode");
    return;
  }
  double tlc[3], brc[3];
  vsc_test_image_mean(&im, 0, 0, 24, 14, tlc);
  vsc_test_image_mean(&im, im.w - 24, im.h - 14, im.w, im.h, brc);
  CHECK(tlc[0] > 200 && tlc[1] < 50 && tlc[2] < 50, "top-left is %.0f,%.0f,%.0f, want red", tlc[0],
        tlc[1], tlc[2]);
  CHECK(brc[2] > 200 && brc[0] < 50 && brc[1] < 50, "bottom-right is %.0f,%.0f,%.0f, want blue",
        brc[0], brc[1], brc[2]);
  vsc_test_image_free(&im);

  /* Without a palette: a neutral dark background. */
  CHECK(render("image", 480, 270, 30, 0, "\"prompt\":\"\"", out, NULL, 0) == 0, "render default");
  if (vsc_test_frame_index(out, 0, &im) == 0) {
    double m[3];
    vsc_test_image_mean(&im, 0, 0, im.w, im.h, m);
    CHECK(m[0] < 110 && m[1] < 110 && m[2] < 110 && m[2] - m[0] < 25 && m[0] - m[2] < 25,
          "default background %.0f,%.0f,%.0f is not a neutral dark", m[0], m[1], m[2]);
    vsc_test_image_free(&im);
  }
  /* One colour is enough. */
  CHECK(render("image", 480, 270, 30, 0, "\"palette\":[\"#0f0\"]", out, NULL, 0) == 0,
        "single short colour");
}

/* Fraction of the picture (between the label row and the camera caption) that changed
** between the first and last frame. */
static double motion(const char *camera, const char *const *inputs, size_t nin, const char *img) {
  char extra[256], name[64];
  snprintf(extra, sizeof extra, "\"camera\":\"%s\",\"palette\":[\"#102030\",\"#d0a070\",\"#203010\"]%s",
           camera, img ? img : "");
  snprintf(name, sizeof name, "move_%s.mp4", camera);
  const char *out = tl_path(name);
  if (render("video", 320, 180, 12, 1.0, extra, out, inputs, nin) != 0) return -1;
  vsc_test_image a, b;
  if (vsc_test_frame_index(out, 0, &a) || vsc_test_frame_index(out, -1, &b)) return -1;
  double d = tl_diff(&a, &b, 0, 36, 320, 144, 6);
  vsc_test_image_free(&a);
  vsc_test_image_free(&b);
  return d;
}

static void test_camera(void) {
  for (int i = 0; vsc_local_camera_moves[i]; i++) {
    const char *cam = vsc_local_camera_moves[i];
    double d = motion(cam, NULL, 0, NULL);
    printf("camera %-9s: %.3f of the frame changed\n", cam, d);
    if (!strcmp(cam, "static"))
      CHECK(d >= 0 && d < 0.002, "static camera changed %.4f of the frame", d);
    else
      CHECK(d > 0.05, "camera %s changed only %.4f of the frame", cam, d);
  }
}

static void test_image_to_video(void) {
  /* A start image: green with a pattern, made with the compositor. */
  const char *png = tl_path("start.png");
  vsc_op_error e = {0};
  CHECK(vsc_comp_render("color=c=0x00b000:s=400x300,drawgrid=w=56:h=56:t=3:c=0x004000[vout]",
                        NULL, 0.04, 400, 300, 25, png, &e) == 0,
        "make start image: %s", e.msg);
  char cwd[1024];
  if (!getcwd(cwd, sizeof cwd) || chdir(tl_dir) != 0) {
    CHECK(0, "chdir");
    return;
  }
  /* A relative name with a colon must not be taken for a protocol. */
  remove("start:image.png");
  CHECK(link("start.png", "start:image.png") == 0, "link");
  const char *inputs[1] = {"start:image.png"};
  double d = motion("pan-right", inputs, 1, ",\"image\":0,\"prompt\":\"the runner turns\"");
  CHECK(d > 0.05, "pan over the image changed only %.4f", d);
  vsc_test_image im;
  if (vsc_test_frame_index("move_pan-right.mp4", 0, &im) == 0) {
    double m[3];
    vsc_test_image_mean(&im, 0, 40, 100, 100, m);
    CHECK(m[1] > 100 && m[0] < 60 && m[2] < 60, "image background is %.0f,%.0f,%.0f, want green",
          m[0], m[1], m[2]);
    vsc_test_image_free(&im);
  }
  CHECK(chdir(cwd) == 0, "chdir back");
}

static void test_hostile_text(void) {
  const char *nasty =
      "She said: \"don't stop\", then left; [cut] 100% {x} %{pts} C:\\path\\to\\file \\\\ "
      "'single' `tick` a=b:c=d, \xc3\xbc"
      "n\xc3\xaf"
      "c\xc3\xb8"
      "d\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac "
      "\xf0\x9f\x8e\xac\xf0\x9f\x94\xa5 tab\there\nnewline";
  /* Through the executor: renders without error. */
  json_t *params = json_pack("{s:s, s:i, s:i, s:i, s:f, s:s, s:s, s:s}", "kind", "video", "width",
                             320, "height", 180, "fps", 10, "duration", 0.5, "prompt", nasty,
                             "label", "it's: [a,b]; \"c\"", "camera", "push-in");
  json_t *n = json_pack("{s:s, s:o}", "op", "generate", "params", params);
  vsc_op_error e = {0};
  const char *out = tl_path("hostile.mp4");
  int rc = vsc_local_generate(n, NULL, 0, out, &e);
  CHECK(rc == 0, "hostile prompt: %s", e.msg);
  json_decref(n);

  /* The escaping is exact: text= through vsc_local_buf_add_arg draws the same pixels as
  ** textfile= with the raw bytes; a one-character change draws different ones. */
  const char *one_line = "She said: \"don't\", 100% [cut]; C:\\dir\\ a=b:c \\\\ 'q' \xc3\xa9 %{pts}";
  const char *txt = tl_path("raw.txt");
  FILE *f = fopen(txt, "wb");
  fputs(one_line, f);
  fclose(f);
  const char *imgs[3] = {tl_path("esc_text.png"), tl_path("esc_file.png"), tl_path("esc_other.png")};
  for (int k = 0; k < 3; k++) {
    vsc_buf g = {0};
    vsc_buf_append(&g, "color=c=black:s=640x80,drawtext=fontfile=", strlen("color=c=black:s=640x80,drawtext=fontfile="));
    vsc_local_add_filter_arg(&g, VSC_LOCAL_FONT_FILE);
    vsc_buf_append(&g, ":expansion=none:fontsize=18:fontcolor=white:x=8:y=30:", strlen(":expansion=none:fontsize=18:fontcolor=white:x=8:y=30:"));
    if (k == 1) {
      vsc_buf_append(&g, "textfile=", strlen("textfile="));
      vsc_local_add_filter_arg(&g, txt);
    } else {
      vsc_buf_append(&g, "text=", strlen("text="));
      vsc_local_add_filter_arg(&g, k == 0 ? one_line : "She said: \"don't\", 100% [cut]; C:\\dir\\ a=b:c \\\\ 'q' \xc3\xa9 %{ptz}");
    }
    vsc_buf_append(&g, "[vout]", strlen("[vout]"));
    memset(&e, 0, sizeof e);
    CHECK(vsc_comp_render(g.s, NULL, 0.04, 640, 80, 25, imgs[k], &e) == 0, "graph %d: %s\n%s", k,
          e.msg, g.s);
    vsc_buf_free(&g);
  }
  CHECK(vsc_test_same_bytes(imgs[0], imgs[1]), "text= and textfile= draw different pixels");
  CHECK(!vsc_test_same_bytes(imgs[0], imgs[2]), "a different text drew the same pixels");
}

static void test_wrap(void) {
  char *s;
  int n = vsc_local_wrap("aaa bbb ccc", 7, 10, &s);
  CHECK(n == 2 && !strcmp(s, "aaa bbb\nccc"), "got %d '%s'", n, s);
  free(s);
  n = vsc_local_wrap("  spaced\t\nout  ", 20, 10, &s);
  CHECK(n == 1 && !strcmp(s, "spaced out"), "got %d '%s'", n, s);
  free(s);
  n = vsc_local_wrap("abcdefghij", 4, 10, &s);
  CHECK(n == 3 && !strcmp(s, "abcd\nefgh\nij"), "long word: %d '%s'", n, s);
  free(s);
  n = vsc_local_wrap("one two three four five six", 9, 2, &s);
  CHECK(n == 2 && !strcmp(s, "one two\nthree\xe2\x80\xa6"), "truncated: %d '%s'", n, s);
  free(s);
  /* Code points, not bytes: three 2-byte letters fill a 3-column line. */
  n = vsc_local_wrap("\xc3\xa9\xc3\xa9\xc3\xa9 \xc3\xa9\xc3\xa9\xc3\xa9", 3, 10, &s);
  CHECK(n == 2 && !strcmp(s, "\xc3\xa9\xc3\xa9\xc3\xa9\n\xc3\xa9\xc3\xa9\xc3\xa9"), "utf-8: %d '%s'",
        n, s);
  free(s);
  n = vsc_local_wrap("", 10, 3, &s);
  CHECK(n == 0 && s && !*s, "empty: %d", n);
  free(s);
  /* A long prompt still renders (smaller font, at most six lines). */
  char longp[1200] = "\"prompt\":\"";
  for (int i = 0; i < 60; i++) strcat(longp, "golden light ");
  strcat(longp, "\"");
  CHECK(render("image", 480, 270, 30, 0, longp, tl_path("long.png"), NULL, 0) == 0, "long prompt");
}

static void test_errors(void) {
  const char *out = tl_path("err.mp4");
  vsc_op_error e;
  struct {
    const char *json;
    const char *why;
  } bad[] = {
      {"{\"params\":{\"kind\":\"video\",\"width\":320,\"height\":180,\"fps\":10,\"duration\":1,"
       "\"camera\":\"barrel-roll\"}}",
       "unknown camera"},
      {"{\"params\":{\"kind\":\"video\",\"width\":320,\"height\":180,\"fps\":10,\"duration\":1,"
       "\"palette\":[\"red\"]}}",
       "colour name"},
      {"{\"params\":{\"kind\":\"video\",\"height\":180,\"fps\":10,\"duration\":1}}", "no width"},
      {"{\"params\":{\"kind\":\"video\",\"width\":320,\"height\":180,\"fps\":10}}", "no duration"},
      {"{\"params\":{\"kind\":\"video\",\"width\":320,\"height\":180,\"fps\":10,\"duration\":1,"
       "\"image\":0}}",
       "image without input"},
      {"{\"params\":{\"kind\":\"image\",\"width\":320,\"height\":180,\"prompt\":7}}", "numeric prompt"},
      {"{\"op\":\"generate\"}", "no params"},
      {"{\"params\":{\"kind\":\"video\",\"width\":321,\"height\":180,\"fps\":10,\"duration\":1}}",
       "odd video width"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = tl_run(vsc_local_generate, bad[i].json, NULL, 0, out, &e);
    CHECK(rc != 0 && e.kind == VSC_FAIL_INPUT && e.msg[0], "%s: rc %d kind %d", bad[i].why, rc,
          e.kind);
  }
  /* A start image that is not a picture. */
  const char *junk = tl_path("junk.png");
  FILE *f = fopen(junk, "wb");
  fputs("not a png", f);
  fclose(f);
  const char *inputs[1] = {junk};
  int rc = tl_run(vsc_local_generate,
                  "{\"params\":{\"kind\":\"video\",\"width\":320,\"height\":180,\"fps\":10,"
                  "\"duration\":1,\"image\":0}}",
                  inputs, 1, out, &e);
  CHECK(rc != 0 && e.kind == VSC_FAIL_INPUT, "junk start image: rc %d kind %d", rc, e.kind);
}

int main(int argc, char **argv) {
  tl_init(argc, argv);
  test_wrap();
  test_errors();
  test_probe();
  test_text();
  test_deterministic();
  test_palette();
  test_camera();
  test_image_to_video();
  test_hostile_text();
  return vsc_test_done("local_card");
}
