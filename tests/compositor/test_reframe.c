/*
** Reframing (formats): a 16:9 picture fitted into a 9:16 frame, on decoded frames. `cover`
** crops around the layer's focus point (left edge, centre, right edge of a red | blue split);
** `blur` shows the whole picture over a blurred fill of itself (no black bars, unlike
** `contain`); the animate op crops its still at the same point; a focus outside the picture
** is an input error.
*/
#include <stdlib.h>
#include <string.h>

#include "tc.h"

#define W 108
#define H 192
#define FPS 30

/* A body segment of one image layer with `fit` and an optional focus [fx, fy]. */
static int reframe(const char *fit, double fx, double fy, bool focus, const char *out, vsc_op_error *err) {
  json_t *layer = json_pack("{s:{s:s, s:i}, s:s, s:f}", "source", "type", "image", "input", 0, "fit", fit, "t", 0.0);
  if (focus) json_object_set_new(layer, "focus", json_pack("[f, f]", fx, fy));
  json_t *p = json_pack("{s:s, s:f, s:f, s:i, s:i, s:i, s:{s:s, s:i, s:s, s:s}, s:o}", "kind", "body", "t0", 0.0,
                        "duration", 0.2, "width", W, "height", H, "fps", FPS, "encode", "codec", "libx264", "crf", 18,
                        "preset", "veryfast", "pix_fmt", "yuv420p", "a", layer);
  json_t *node = tc_node("segment", p);
  const char *in[] = {"split.png"};
  memset(err, 0, sizeof *err);
  int ret = vsc_comp_segment(node, in, 1, out, err);
  json_decref(node);
  return ret;
}

static bool near(const double rgb[3], int r, int g, int b) { return tc_rgb_dist(rgb, r, g, b) < 40; }

int main(void) {
  tc_workdir("reframe.out");
  /* 16:9, red on the left half, blue on the right. */
  tc_render("color=c=red:s=320x180,drawbox=x=160:y=0:w=160:h=180:c=blue:t=fill[vout]", 1, 320, 180, 30, "split.png");
  vsc_op_error err;
  double a[3], b[3], c[3];

  /* cover: the crop is a ninth of the picture's width, where the focus says. */
  CHECK(reframe("cover", 0.0, 0.5, true, "left.mp4", &err) == 0, "cover focus 0: %s", err.msg);
  CHECK(tc_frame_rgb("left.mp4", 0.1, 0, 0, 1, 1, a) == 0 && near(a, 255, 0, 0), "focus 0 is red: %.0f %.0f %.0f", a[0],
        a[1], a[2]);
  CHECK(reframe("cover", 1.0, 0.5, true, "right.mp4", &err) == 0, "cover focus 1: %s", err.msg);
  CHECK(tc_frame_rgb("right.mp4", 0.1, 0, 0, 1, 1, a) == 0 && near(a, 0, 0, 255), "focus 1 is blue: %.0f %.0f %.0f", a[0],
        a[1], a[2]);
  CHECK(reframe("cover", 0.5, 0.5, false, "centre.mp4", &err) == 0, "cover: %s", err.msg);
  CHECK(tc_frame_rgb("centre.mp4", 0.1, 0, 0, 0.3, 1, a) == 0 && near(a, 255, 0, 0) &&
            tc_frame_rgb("centre.mp4", 0.1, 0.7, 0, 1, 1, b) == 0 && near(b, 0, 0, 255),
        "no focus: the centre (red | blue)");

  /* blur: the whole picture in the middle band, a blurred fill (not black) above and below. */
  CHECK(reframe("blur", 0.5, 0.5, false, "blur.mp4", &err) == 0, "blur: %s", err.msg);
  CHECK(tc_frame_rgb("blur.mp4", 0.1, 0.05, 0.45, 0.3, 0.55, a) == 0 && near(a, 255, 0, 0) &&
            tc_frame_rgb("blur.mp4", 0.1, 0.7, 0.45, 0.95, 0.55, b) == 0 && near(b, 0, 0, 255),
        "blur: the whole picture across the middle (%.0f %.0f %.0f | %.0f %.0f %.0f)", a[0], a[1], a[2], b[0], b[1], b[2]);
  CHECK(tc_frame_rgb("blur.mp4", 0.1, 0, 0, 1, 0.2, c) == 0 && c[0] + c[1] + c[2] > 90,
        "blur: the top is a fill, not a bar (%.0f %.0f %.0f)", c[0], c[1], c[2]);
  CHECK(reframe("contain", 0.5, 0.5, false, "contain.mp4", &err) == 0, "contain: %s", err.msg);
  CHECK(tc_frame_rgb("contain.mp4", 0.1, 0, 0, 1, 0.2, c) == 0 && c[0] + c[1] + c[2] < 30, "contain: a black bar");

  /* animate crops its still at the focus too. */
  json_t *node = tc_node("animate", json_pack("{s:s, s:f, s:f, s:f, s:i, s:i, s:i, s:[f, f]}", "move", "zoom", "from", 1.0,
                                              "to", 1.0, "duration", 0.2, "width", W, "height", H, "fps", FPS, "focus",
                                              1.0, 0.5));
  const char *in[] = {"split.png"};
  memset(&err, 0, sizeof err);
  CHECK(vsc_comp_animate(node, in, 1, "anim.mp4", &err) == 0, "animate: %s", err.msg);
  json_decref(node);
  CHECK(tc_frame_rgb("anim.mp4", 0.1, 0, 0, 1, 1, a) == 0 && near(a, 0, 0, 255), "animate focus 1 is blue: %.0f %.0f %.0f",
        a[0], a[1], a[2]);

  CHECK(reframe("cover", 1.5, 0.5, true, "bad.mp4", &err) < 0 && err.kind == VSC_FAIL_INPUT && strstr(err.msg, "focus"),
        "focus outside the picture: %s", err.msg);
  CHECK(reframe("stretch", 0.5, 0.5, false, "bad.mp4", &err) < 0 && strstr(err.msg, "blur"), "unknown fit: %s", err.msg);
  return vsc_test_done("test_comp_reframe");
}
