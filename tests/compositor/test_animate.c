/*
** The animate op: a still made into a clip with a zoom or a pan, exact length, and its
** input checks.
*/
#include <stdlib.h>
#include <string.h>

#include "tc.h"

static int animate(const char *move, double from, double to, const char *image, const char *out, vsc_op_error *err) {
  json_t *node = tc_node("animate", json_pack("{s:s, s:f, s:f, s:f, s:i, s:i, s:i}", "move", move, "from", from, "to", to,
                                              "duration", 1.0, "width", 192, "height", 108, "fps", 30));
  const char *in[] = {image};
  memset(err, 0, sizeof *err);
  int ret = vsc_comp_animate(node, in, 1, out, err);
  json_decref(node);
  return ret;
}

int main(void) {
  tc_workdir("animate.out");
  /* A white square in the middle of a black 16:9 picture, and a red | blue split one. */
  tc_render("color=c=black:s=400x225,drawbox=x=150:y=62:w=100:h=100:c=white:t=fill[vout]", 1, 400, 225, 30, "square.png");
  tc_render("color=c=red:s=400x225,drawbox=x=200:y=0:w=200:h=225:c=blue:t=fill[vout]", 1, 400, 225, 30, "split.png");
  vsc_op_error err;
  double a[3], b[3];

  CHECK(animate("zoom", 1.0, 2.0, "square.png", "zoom.mp4", &err) == 0, "zoom: %s", err.msg);
  const char *n = tc_probe("zoom.mp4", "-count_frames -show_entries stream=nb_read_frames", "nb_read_frames");
  CHECK(atoi(n) == 30, "frames %s", n);
  CHECK(!strcmp(tc_probe("zoom.mp4", "-show_entries stream=width", "width"), "192"), "width");
  /* Zooming 2x makes the square cover four times the area. */
  CHECK(tc_frame_rgb("zoom.mp4", 0.0, 0, 0, 1, 1, a) == 0 && tc_frame_rgb("zoom.mp4", 0.99, 0, 0, 1, 1, b) == 0, "decode");
  double ratio = a[0] > 0 ? b[0] / a[0] : 0;
  CHECK(ratio > 3.2 && ratio < 4.8, "zoom area ratio %.2f (start %.1f, end %.1f)", ratio, a[0], b[0]);
  CHECK(tc_frame_rgb("zoom.mp4", 0.5, 0.45, 0.45, 0.55, 0.55, a) == 0 && a[0] > 200, "centre stays white");

  /* Panning right moves the view towards the blue half. */
  CHECK(animate("pan-right", 1.0, 1.0, "split.png", "panr.mp4", &err) == 0, "pan-right: %s", err.msg);
  CHECK(tc_frame_rgb("panr.mp4", 0.0, 0, 0, 1, 1, a) == 0 && tc_frame_rgb("panr.mp4", 0.99, 0, 0, 1, 1, b) == 0, "decode");
  CHECK(a[0] > b[0] + 20 && b[2] > a[2] + 20, "pan-right: red %.0f -> %.0f, blue %.0f -> %.0f", a[0], b[0], a[2], b[2]);
  CHECK(animate("pan-left", 1.0, 1.0, "split.png", "panl.mp4", &err) == 0, "pan-left: %s", err.msg);
  CHECK(tc_frame_rgb("panl.mp4", 0.0, 0, 0, 1, 1, a) == 0 && tc_frame_rgb("panl.mp4", 0.99, 0, 0, 1, 1, b) == 0, "decode");
  CHECK(b[0] > a[0] + 20, "pan-left: red %.0f -> %.0f", a[0], b[0]);

  CHECK(animate("zoom", 0.5, 1.0, "square.png", "bad.mp4", &err) < 0 && err.kind == VSC_FAIL_INPUT, "zoom below 1: %s",
        err.msg);
  CHECK(animate("spin", 1.0, 1.2, "square.png", "bad.mp4", &err) < 0 && strstr(err.msg, "spin"), "unknown move: %s", err.msg);
  CHECK(animate("zoom", 1.0, 1.2, "nothing.png", "bad.mp4", &err) < 0 && strstr(err.msg, "nothing.png"), "missing: %s",
        err.msg);
  return vsc_test_done("test_comp_animate");
}
