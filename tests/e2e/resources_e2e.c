/* What check says about the resources a script names is what the render does (issue: a
 * script that checks renders as written). Each case runs `vsc check`, asserts its words,
 * then `vsc build` with the local provider and asserts the same thing on decoded frames:
 *   held_clip      a 1 s file clip in a 3 s scene: "held for 2s", and the frames hold
 *   model_length   a 12 s scene, a model of 5 s or 10 s: 10 s is generated ("held on its
 *                  last frame") and the last 2 s hold, not loop back to the start
 *   voice          a voice espeak-ng does not have: a check error at its name, and build
 *                  stops there (exit 4, nothing rendered)
 *   contain_still  `fit contain` on an animated square still: the whole square is shown,
 *                  on black bars, not cropped
 *   font           a font that is not installed: check names the one used instead, and the
 *                  render is pixel for pixel the one that names that font (another differs)
 * Usage: resources_e2e VSC CASE */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vsc_test.h"
#include "vsc_test_video.h"

static const char *vsc_bin;
static char dir[512];

static int sh(const char *cmd) {
  char full[2048];
  snprintf(full, sizeof full, "cd '%s' && %s", dir, cmd);
  return system(full);
}

static void script(const char *text) {
  char path[700];
  snprintf(path, sizeof path, "%s/s.vscript", dir);
  vsc_test_write_text(path, text);
}

static void vsc(vsc_test_run_result *r, const char *cmd) {
  const char *argv[] = {vsc_bin, cmd, "s.vscript", "--provider", "local", "-o", "out.mp4", "--progress", "quiet", NULL};
  if (!strcmp(cmd, "check")) argv[2 + 1] = NULL;
  vsc_test_run(r, dir, NULL, argv);
}

/* Mean absolute difference of two frames of one size, per channel value. A picture held
 * across keyframes differs by coding noise only (under 6 here); motion by far more. */
static double frame_diff(const vsc_test_image *a, const vsc_test_image *b) {
  if (a->w != b->w || a->h != b->h) return 255;
  double sum = 0;
  size_t n = (size_t)a->w * (size_t)a->h * 3;
  for (size_t i = 0; i < n; i++) sum += abs((int)a->rgb[i] - (int)b->rgb[i]);
  return sum / (double)n;
}

static double diff_at(const char *video, double t0, double t1) {
  vsc_test_image a = {0}, b = {0};
  double d = 255;
  if (vsc_test_frame_at(video, t0, &a) == 0 && vsc_test_frame_at(video, t1, &b) == 0) d = frame_diff(&a, &b);
  vsc_test_image_free(&a);
  vsc_test_image_free(&b);
  return d;
}

static void out_path(char *p, size_t n) { snprintf(p, n, "%s/out.mp4", dir); }

static void t_held_clip(void) {
  vsc_test_run_result r = {0};
  REQUIRE(sh("ffmpeg -v error -y -f lavfi -i testsrc2=size=160x90:rate=30:duration=1 -pix_fmt yuv420p clip.mp4") == 0,
          "ffmpeg made no clip");
  script("video \"Held\" {\n  size 160x90 fps 30\n  scene a (3s) { shot file \"clip.mp4\" }\n}\n");
  vsc(&r, "check");
  REQUIRE(r.status == 0 && strstr(r.err, "'clip.mp4' has 1s, so its last frame is held for 2s"), "check said: %s", r.err);
  vsc_test_run_free(&r);
  vsc(&r, "build");
  REQUIRE(r.status == 0, "build exited %d: %s", r.status, r.err);
  char out[700];
  out_path(out, sizeof out);
  double moving = diff_at(out, 0.2, 0.6), held1 = diff_at(out, 1.2, 2.0), held2 = diff_at(out, 1.5, 2.9);
  fprintf(stderr, "held_clip: difference 0.2 s vs 0.6 s %.1f; 1.2 s vs 2.0 s %.2f; 1.5 s vs 2.9 s %.2f\n", moving, held1,
          held2);
  CHECK(moving > 15, "the clip does not move before its end (%.1f)", moving);
  CHECK(held1 < 6 && held2 < 6, "the frames after the clip's end are not its last frame held (%.2f, %.2f)", held1, held2);
out:
  vsc_test_run_free(&r);
}

static void t_model_length(void) {
  vsc_test_run_result r = {0};
  script("model clip10 \"acme/clip-10\" {\n  kind video\n  class video.fast\n  durations 5s 10s\n"
         "  aspects 16:9\n  price $0.01 per second\n  inputs { prompt: \"prompt\", duration: \"duration\" }\n"
         "  param prompt string required\n  param duration int enum 5 10 default 5\n}\n"
         "video \"Long\" {\n  size 160x90 fps 30\n  scene a (12s) { shot video \"waves roll on a beach\" model clip10 }\n}\n");
  vsc(&r, "check");
  REQUIRE(r.status == 0 && strstr(r.err, "needs 12s of video; 'acme/clip-10' makes at most 10s, so the clip is held on its last frame"),
          "check said: %s", r.err);
  vsc_test_run_free(&r);
  vsc(&r, "build");
  REQUIRE(r.status == 0, "build exited %d: %s", r.status, r.err);
  char out[700];
  out_path(out, sizeof out);
  double moving = diff_at(out, 8.5, 9.5), held = diff_at(out, 10.3, 11.9), start = diff_at(out, 0.3, 10.5);
  fprintf(stderr, "model_length: difference 8.5 s vs 9.5 s %.1f; 10.3 s vs 11.9 s %.2f; 0.3 s vs 10.5 s %.1f\n", moving,
          held, start);
  /* The animatic moves slowly: a held picture is still far closer to itself than that. */
  CHECK(moving > 0.1, "the generated clip does not move before its end (%.2f)", moving);
  CHECK(held < moving / 3, "the last 2 s are not the clip's last frame held (%.2f)", held);
  CHECK(start > 1, "the clip loops back to its start (%.2f)", start);
out:
  vsc_test_run_free(&r);
}

static void t_voice(void) {
  vsc_test_run_result r = {0};
  script("video \"Voice\" {\n  size 160x90\n  scene a (2s) {\n    shot color #223344\n"
         "    voice \"Hello there\" as \"en-scottish-bogus\"\n  }\n}\n");
  vsc(&r, "check");
  REQUIRE(r.status == 4 && strstr(r.err, "s.vscript:5:28: error: espeak-ng has no voice 'en-scottish-bogus'") &&
              strstr(r.err, "en-gb-scotland"),
          "check exited %d: %s", r.status, r.err);
  vsc_test_run_free(&r);
  vsc(&r, "build");
  char out[700];
  out_path(out, sizeof out);
  CHECK(r.status == 4 && strstr(r.err, "s.vscript:5:28: error: espeak-ng has no voice"), "build exited %d: %s", r.status,
        r.err);
  CHECK(access(out, F_OK) != 0, "build rendered despite the error");
  vsc_test_run_free(&r);
  /* The voice its hint names is one the render speaks with. */
  script("video \"Voice\" {\n  size 160x90\n  scene a (2s) {\n    shot color #223344\n"
         "    voice \"Hello there\" as \"en-gb-scotland\"\n  }\n}\n");
  vsc(&r, "build");
  CHECK(r.status == 0, "build with en-gb-scotland exited %d: %s", r.status, r.err);
out:
  vsc_test_run_free(&r);
}

static void t_contain_still(void) {
  vsc_test_run_result r = {0};
  REQUIRE(sh("ffmpeg -v error -y -f lavfi -i color=white:size=90x90 -frames:v 1 square.png") == 0, "ffmpeg made no png");
  script("video \"Logo\" {\n  size 160x90 fps 30\n"
         "  scene a (2s) { shot file \"square.png\" animate zoom 1.0 -> 1.05 fit contain }\n}\n");
  vsc(&r, "check");
  REQUIRE(r.status == 0, "check exited %d: %s", r.status, r.err);
  vsc_test_run_free(&r);
  vsc(&r, "build");
  REQUIRE(r.status == 0, "build exited %d: %s", r.status, r.err);
  char out[700];
  out_path(out, sizeof out);
  vsc_test_image im = {0};
  REQUIRE(vsc_test_frame_at(out, 0.05, &im) == 0, "no frame");
  double left[3], mid[3], right[3];
  vsc_test_image_mean(&im, 2, 10, 20, 80, left);
  vsc_test_image_mean(&im, 60, 10, 100, 80, mid);
  vsc_test_image_mean(&im, 140, 10, 158, 80, right);
  vsc_test_image_free(&im);
  fprintf(stderr, "contain_still: left %.0f, middle %.0f, right %.0f\n", left[0], mid[0], right[0]);
  CHECK(left[0] < 40 && right[0] < 40, "the sides are not black bars (%.0f, %.0f): the square was cropped to cover",
        left[0], right[0]);
  CHECK(mid[0] > 215, "the square is not shown (%.0f)", mid[0]);
out:
  vsc_test_run_free(&r);
}

/* Builds a one-scene title card with `font` into out-NAME.mp4; returns check's stderr. */
static char *font_card(const char *font, const char *name) {
  vsc_test_run_result r = {0};
  char text[600], out[100];
  snprintf(text, sizeof text,
           "video \"Font\" {\n  size 320x180 fps 10\n  scene a (1s) {\n    shot color #203040\n"
           "    text \"Fancy Title\" at center size 20%% font \"%s\"\n  }\n}\n",
           font);
  script(text);
  vsc(&r, "check");
  char *said = strdup(r.err);
  vsc_test_run_free(&r);
  snprintf(out, sizeof out, "out-%s.mp4", name);
  const char *argv[] = {vsc_bin, "build", "s.vscript", "--provider", "local", "-o", out, "--progress", "quiet", NULL};
  vsc_test_run(&r, dir, NULL, argv);
  if (r.status != 0) fprintf(stderr, "build with font %s exited %d: %s\n", font, r.status, r.err);
  vsc_test_run_free(&r);
  return said;
}

static void t_font(void) {
  char *said = font_card("Helvetica Neue", "missing");
  char *plain = font_card("DejaVu Sans", "named");
  char *serif = font_card("DejaVu Serif", "serif");
  char a[700], b[700], c[700];
  snprintf(a, sizeof a, "%s/out-missing.mp4", dir);
  snprintf(b, sizeof b, "%s/out-named.mp4", dir);
  snprintf(c, sizeof c, "%s/out-serif.mp4", dir);
  CHECK(said && strstr(said, "font 'Helvetica Neue' is not installed; 'DejaVu Sans' is used instead"),
        "check said: %s", said ? said : "");
  vsc_test_image x = {0}, y = {0}, z = {0};
  REQUIRE(vsc_test_frame_at(a, 0.5, &x) == 0 && vsc_test_frame_at(b, 0.5, &y) == 0 && vsc_test_frame_at(c, 0.5, &z) == 0,
          "a build made no video");
  double same = frame_diff(&x, &y), other = frame_diff(&x, &z);
  fprintf(stderr, "font: difference to DejaVu Sans %.3f, to DejaVu Serif %.3f\n", same, other);
  CHECK(same < 0.01, "the missing font did not render as the font check named (%.3f)", same);
  CHECK(other > 0.3, "another font renders the same: the comparison cannot tell fonts apart (%.3f)", other);
out:
  vsc_test_image_free(&x);
  vsc_test_image_free(&y);
  vsc_test_image_free(&z);
  free(said);
  free(plain);
  free(serif);
}

static const vsc_test_case cases[] = {
#define VSC_TEST_CASE(name) VSC_TEST_ENTRY(t_, name)
#include "resources_e2e.def"
#undef VSC_TEST_CASE
};

int main(int argc, char **argv) {
  if (argc < 2) return vsc_test_usage(argv[0], cases, VSC_TEST_COUNT(cases));
  vsc_bin = argv[1];
  vsc_test_tmpdir(dir, sizeof dir, "resources");
  int rc = vsc_test_main(argc - 1, argv + 1, cases, VSC_TEST_COUNT(cases));
  if (rc == 0) vsc_test_rmtree(dir);
  return rc;
}
