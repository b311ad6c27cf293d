/*
** Clip sources (runtime/compositor/clipsrc.c): segments decode their clips themselves and
** continue a decoder an earlier segment of the same file left. Every render here is checked
** against the same segment rendered with libavfilter's `movie` (VSC_COMP_MOVIE=1): the same
** pictures at the same times. And the savings are real: a seek into a one-keyframe clip
** skips its non-reference pictures, a transition after its body decodes only its own
** frames, a freeze after a body that reached the clip's end decodes nothing (even after
** other clips' decoders were parked since, or in a later process from the picture an earlier
** one kept), and a file
** rewritten in place is never continued from its old decoder nor given its old probe.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/compositor/comp.h"
#include "tc.h"

#define W 320
#define H 240
#define FPS 30

/* Frame k of a fixture shows k + base in binary as eight bars; one keyframe, B-frames. */
static void numbered(const char *path, int base) {
  char g[300];
  snprintf(g, sizeof g,
           "color=c=black:s=320x240:r=30,format=gray,"
           "geq=lum='255*mod(floor((N+%d)/pow(2\\,floor(X*8/W)))\\,2)',format=yuv420p[vout]",
           base);
  vsc_encode_opts enc = VSC_ENCODE_OPTS_INIT;
  enc.gop = 1000; /* the whole 6 s clip hangs on its first picture, as generated clips do */
  enc.crf = 18;
  vsc_op_error err = {0};
  if (vsc_comp_render(g, &enc, 6.0, W, H, FPS, path, &err) != 0) {
    fprintf(stderr, "fixture %s: %s\n", path, err.msg);
    exit(1);
  }
}

static json_t *layer(double offset) {
  return json_pack("{s:{s:s, s:i, s:f, s:b}, s:s, s:f}", "source", "type", "clip", "input", 0, "offset", offset, "loop",
                   0, "fit", "cover", "t", offset);
}

static json_t *seg_node(const char *kind, double t0, double duration, double offset) {
  json_t *p = json_pack("{s:s, s:f, s:f, s:i, s:i, s:i, s:{s:s, s:i, s:s, s:s, s:i}, s:o}", "kind", kind, "t0", t0,
                        "duration", duration, "width", W, "height", H, "fps", FPS, "encode", "codec", "libx264", "crf", 20,
                        "preset", "ultrafast", "pix_fmt", "yuv420p", "threads", 1, "a", layer(offset));
  if (!strcmp(kind, "transition")) {
    json_object_set_new(p, "b", json_pack("{s:{s:s, s:s}, s:f}", "source", "type", "color", "color", "#2040c0", "t", 0.0));
    json_object_set_new(p, "transition", json_string("fade"));
  }
  return tc_node("segment", p);
}

/* Renders node from `clip` to out, with `movie` or with clipsrc; returns the pictures
 * decoded and the decoders continued meanwhile. */
static void render(const json_t *node, const char *clip, const char *out, int movie, long *decoded, long *reused) {
  const char *inputs[1] = {clip};
  vsc_op_error err = {0};
  long d0, r0, d1, r1;
  if (movie) setenv("VSC_COMP_MOVIE", "1", 1);
  else unsetenv("VSC_COMP_MOVIE");
  comp_clipsrc_stats(&d0, &r0);
  CHECK(vsc_comp_segment(node, inputs, 1, out, &err) == 0, "%s: %s", out, err.msg);
  comp_clipsrc_stats(&d1, &r1);
  unsetenv("VSC_COMP_MOVIE");
  if (getenv("TC_VERBOSE")) fprintf(stderr, "%s: decoded %ld reused %ld\n", out, d1 - d0, r1 - r0);
  if (decoded) *decoded = d1 - d0;
  if (reused) *reused = r1 - r0;
}

/* Number shown by picture im (bar b is white for bit b). */
static int bars(const vsc_test_image *im) {
  int v = 0;
  for (int b = 0; b < 8; b++) {
    double rgb[3];
    int x = (2 * b + 1) * im->w / 16;
    vsc_test_image_mean(im, x - 2, im->h / 4, x + 2, 3 * im->h / 4, rgb);
    if (rgb[0] > 128) v |= 1 << b;
  }
  return v;
}

/* Whether a and b decode to the same pictures at the same times; *first: the number the
 * first picture of a shows. */
static int same_pictures(const char *a, const char *b, int *first) {
  vsc_test_video *va = vsc_test_video_open(a, 0, 0), *vb = vsc_test_video_open(b, 0, 0);
  int same = va && vb, n = 0;
  while (same) {
    const vsc_test_image *fa, *fb;
    double ta, tb;
    int ra = vsc_test_video_next(va, &fa, &ta);
    if (ra == 1 && n == 0 && first) *first = bars(fa);
    /* fa stays valid: vb is another decoder */
    int rb = vsc_test_video_next(vb, &fb, &tb);
    if (ra != rb || ra < 0) same = 0;
    if (ra != 1 || !same) break;
    if (ta != tb || fa->w != fb->w || fa->h != fb->h || memcmp(fa->rgb, fb->rgb, (size_t)fa->w * fa->h * 3) != 0) same = 0;
    n++;
  }
  if (va) vsc_test_video_close(va);
  if (vb) vsc_test_video_close(vb);
  return same && n > 0;
}

static void copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "rb"), *out = fopen(to, "wb"); /* "wb": the same inode, rewritten */
  char buf[65536];
  size_t n;
  while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
  if (in) fclose(in);
  if (out) fclose(out);
}

int main(void) {
  tc_workdir("clipsrc");
  numbered("long.mp4", 0);
  numbered("other.mp4", 100);
  long dec, reu;
  int first = -1;

  /* A seek 3 s into a one-keyframe clip: the 90 pictures before are needed as references
   * only, and those no picture refers to are not decoded. */
  vsc_comp_release_decoders();
  json_t *node = seg_node("body", 0, 1.0, 3.0);
  render(node, "long.mp4", "seek_m.mp4", 1, NULL, NULL);
  render(node, "long.mp4", "seek.mp4", 0, &dec, &reu);
  CHECK(same_pictures("seek.mp4", "seek_m.mp4", &first) && first == 90, "a seek: movie's pictures from frame 90 (%d)", first);
  CHECK(dec >= 30 && dec < 90 && reu == 0, "a seek decodes %ld pictures, fewer than the 90 before it", dec);
  json_decref(node);

  /* A body, then the transition after it: the transition continues the body's decoder. */
  vsc_comp_release_decoders();
  node = seg_node("body", 0, 2.0, 0.5);
  render(node, "long.mp4", "body.mp4", 0, &dec, &reu);
  json_decref(node);
  node = seg_node("transition", 2.0, 0.5, 2.5);
  render(node, "long.mp4", "tr.mp4", 0, &dec, &reu);
  long dec_continued = dec;
  CHECK(reu == 1 && dec <= 15 + 4, "the transition continues the body's decoder (%ld continued, %ld decoded)", reu, dec);
  render(node, "long.mp4", "tr_m.mp4", 1, NULL, NULL);
  CHECK(same_pictures("tr.mp4", "tr_m.mp4", &first) && first == 75, "continued: movie's pictures from frame 75 (%d)", first);
  /* The same segment again, now without a decoder to continue (a fresh seek). */
  vsc_comp_release_decoders();
  render(node, "long.mp4", "tr2.mp4", 0, &dec, &reu);
  CHECK(reu == 0 && dec > dec_continued, "a fresh transition decodes from the keyframe (%ld)", dec);
  CHECK(same_pictures("tr.mp4", "tr2.mp4", NULL), "continued or fresh: the same pictures");
  json_decref(node);

  /* A body to the clip's end, then a transition held on the clip's last picture: nothing
   * decoded again. */
  vsc_comp_release_decoders();
  node = seg_node("body", 0, 2.0, 4.0);
  render(node, "long.mp4", "tail.mp4", 0, &dec, &reu);
  json_decref(node);
  node = seg_node("transition", 2.0, 0.5, 6.2);
  render(node, "long.mp4", "frz.mp4", 0, &dec, &reu);
  CHECK(reu == 1 && dec == 0, "the freeze takes the ended decoder's last picture (%ld continued, %ld decoded)", reu, dec);
  render(node, "long.mp4", "frz_m.mp4", 1, NULL, NULL);
  CHECK(same_pictures("frz.mp4", "frz_m.mp4", &first) && first == 179, "frozen: movie's last picture, 179 (%d)", first);
  /* An ended source keeps its last pictures, not its decoder, in a room of its own:
   * decoders parked meanwhile by segments of other clips do not push it out. */
  vsc_comp_release_decoders();
  json_t *tail = seg_node("body", 0, 2.0, 4.0);
  render(tail, "long.mp4", "tail2.mp4", 0, NULL, NULL);
  json_decref(tail);
  copy_file("other.mp4", "third.mp4");
  json_t *busy = seg_node("body", 0, 1.0, 0.5);
  render(busy, "other.mp4", "busy1.mp4", 0, NULL, NULL);
  render(busy, "third.mp4", "busy2.mp4", 0, NULL, NULL);
  json_decref(busy);
  render(node, "long.mp4", "frz3.mp4", 0, &dec, &reu);
  CHECK(reu == 1 && dec == 0 && same_pictures("frz.mp4", "frz3.mp4", NULL),
        "after two other clips' decoders were parked, the freeze still decodes nothing (%ld continued, %ld decoded)", reu, dec);
  vsc_comp_release_decoders();
  render(node, "long.mp4", "frz2.mp4", 0, &dec, &reu);
  CHECK(reu == 0 && dec > 0 && same_pictures("frz.mp4", "frz2.mp4", NULL), "a fresh freeze: the same picture");
  json_decref(node);

  /* With a directory for last pictures, a body that reached the clip's end leaves its last
   * picture there: a later process (decoders released) freezes on it decoding nothing,
   * and shows what decoding shows. A clip changed since is decoded again. */
  vsc_comp_release_decoders();
  vsc_comp_set_frame_dir("frames");
  json_t *tail3 = seg_node("body", 0, 2.0, 4.0);
  render(tail3, "long.mp4", "tail3.mp4", 0, NULL, NULL);
  json_decref(tail3);
  vsc_comp_release_decoders();
  node = seg_node("transition", 2.0, 0.5, 6.2);
  render(node, "long.mp4", "frz4.mp4", 0, &dec, &reu);
  CHECK(dec == 0 && reu == 0 && same_pictures("frz.mp4", "frz4.mp4", NULL),
        "the last picture kept by an earlier build: nothing decoded (%ld), the same picture", dec);
  CHECK(vsc_test_same_bytes("frz.mp4", "frz4.mp4"), "kept or decoded: the same bytes");
  copy_file("long.mp4", "moved.mp4");
  vsc_comp_release_decoders();
  render(node, "moved.mp4", "frz5.mp4", 0, &dec, &reu);
  CHECK(dec > 0 && same_pictures("frz.mp4", "frz5.mp4", NULL), "another file: decoded (%ld)", dec);
  vsc_comp_set_frame_dir(NULL);
  json_decref(node);

  /* A clip rewritten in place between two segments: its old decoder is not continued. */
  vsc_comp_release_decoders();
  copy_file("long.mp4", "clip.mp4");
  node = seg_node("body", 0, 1.0, 0.5);
  render(node, "clip.mp4", "r1.mp4", 0, NULL, NULL);
  json_decref(node);
  copy_file("other.mp4", "clip.mp4");
  node = seg_node("body", 1.0, 1.0, 1.5);
  render(node, "clip.mp4", "r2.mp4", 0, &dec, &reu);
  render(node, "clip.mp4", "r2_m.mp4", 1, NULL, NULL);
  CHECK(reu == 0, "a rewritten file is decoded afresh");
  CHECK(same_pictures("r2.mp4", "r2_m.mp4", &first) && first == 145, "the new file's pictures, from 145 (%d)", first);
  json_decref(node);

  /* Probes are remembered per file, and a file rewritten in place is probed again. */
  vsc_encode_opts penc = VSC_ENCODE_OPTS_INIT;
  vsc_op_error perr = {0};
  CHECK(vsc_comp_render("color=c=red:s=64x64:r=30[vout]", &penc, 1.0, 64, 64, FPS, "p1.mp4", &perr) == 0 &&
            vsc_comp_render("color=c=red:s=64x64:r=30[vout]", &penc, 2.0, 64, 64, FPS, "p2.mp4", &perr) == 0,
        "probe fixtures: %s", perr.msg);
  copy_file("p1.mp4", "probed.mp4");
  vsc_media_info i1, i2, i3;
  CHECK(vsc_comp_probe_info("probed.mp4", &i1, &perr) == 0 && vsc_comp_probe_info("probed.mp4", &i2, &perr) == 0 &&
            i1.duration > 0.9 && i1.duration < 1.1 && i2.duration == i1.duration,
        "probed twice: the same 1 s (%g, %g)", i1.duration, i2.duration);
  copy_file("p2.mp4", "probed.mp4");
  CHECK(vsc_comp_probe_info("probed.mp4", &i3, &perr) == 0 && i3.duration > 1.9 && i3.duration < 2.1,
        "rewritten in place: probed again, 2 s (%g)", i3.duration);

  vsc_comp_release_decoders();
  return vsc_test_done("compositor_clipsrc");
}
