/*
** vsc_comp_render: output kinds, exact frame and sample counts, freeze-extension, bit-exact
** output, clear errors for bad graphs and unreadable sources, probe of broken clips.
*/
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tc.h"

static void test_mp4(void) {
  /* 1.37 s at 30 fps is 41 frames (round(41.1)); 25 fps sources are resampled to 30. */
  tc_render("color=c=0x2050C0:s=64x48:r=25[vout];sine=f=440[aout]", 1.37, 320, 180, 30, "av.mp4");
  CHECK(!strcmp(tc_probe("av.mp4", "-select_streams v:0 -show_entries stream=codec_name", "codec_name"), "h264"), "video codec");
  CHECK(!strcmp(tc_probe("av.mp4", "-select_streams a:0 -show_entries stream=codec_name", "codec_name"), "aac"), "audio codec");
  CHECK(!strcmp(tc_probe("av.mp4", "-select_streams v:0 -show_entries stream=width", "width"), "320"), "width");
  CHECK(!strcmp(tc_probe("av.mp4", "-select_streams v:0 -show_entries stream=height", "height"), "180"), "height");
  CHECK(!strcmp(tc_probe("av.mp4", "-select_streams v:0 -show_entries stream=r_frame_rate", "r_frame_rate"), "30/1"), "fps");
  const char *n = tc_probe("av.mp4", "-select_streams v:0 -count_frames -show_entries stream=nb_read_frames", "nb_read_frames");
  CHECK(atoi(n) == 41, "frames %s, want 41", n);
  double d = atof(tc_probe("av.mp4", "-select_streams v:0 -show_entries stream=duration", "duration"));
  CHECK(d > 1.36 && d < 1.37 + 0.001, "video duration %f", d);
  double a = atof(tc_probe("av.mp4", "-select_streams a:0 -show_entries stream=duration", "duration"));
  CHECK(a > 1.37 - 0.03 && a < 1.37 + 0.03, "audio duration %f", a);
  const char *sar = tc_probe("av.mp4", "-select_streams v:0 -show_entries stream=sample_aspect_ratio", "sample_aspect_ratio");
  CHECK(!strcmp(sar, "1:1"), "sar %s", sar);
  double rgb[3];
  CHECK(tc_frame_rgb("av.mp4", 0.7, 0.2, 0.2, 0.8, 0.8, rgb) == 0, "decode");
  CHECK(tc_rgb_dist(rgb, 0x20, 0x50, 0xC0) < 8, "colour %.0f %.0f %.0f", rgb[0], rgb[1], rgb[2]);
  /* No creation time or encoder strings: the same graph gives the same bytes. */
  tc_render("color=c=0x2050C0:s=64x48:r=25[vout];sine=f=440[aout]", 1.37, 320, 180, 30, "av2.mp4");
  CHECK(vsc_test_same_bytes("av.mp4", "av2.mp4"), "re-render differs");
}

static void test_other_kinds(void) {
  tc_render("color=c=0xFF0000:s=32x32,drawbox=x=0:y=0:w=16:h=32:c=0x00FF00:t=fill[vout]", 1, 64, 32, 30, "still.png");
  CHECK(!strcmp(tc_probe("still.png", "-show_entries stream=codec_name", "codec_name"), "png"), "png codec");
  double rgb[3];
  CHECK(tc_frame_rgb("still.png", 0, 0.05, 0.1, 0.4, 0.9, rgb) == 0 && tc_rgb_dist(rgb, 0, 255, 0) < 4, "png left green");
  CHECK(tc_frame_rgb("still.png", 0, 0.6, 0.1, 0.95, 0.9, rgb) == 0 && tc_rgb_dist(rgb, 255, 0, 0) < 4, "png right red");
  /* 0.5 s of tone rendered as 1.5 s: padded with silence to the exact sample count. */
  tc_render("sine=f=440:d=0.5[aout]", 1.5, 0, 0, 30, "tone.wav");
  const char *ns = tc_probe("tone.wav", "-show_entries stream=duration_ts", "duration_ts");
  CHECK(atoi(ns) == 72000, "wav samples %s", ns);
  CHECK(tc_tone_db("tone.wav", 0.1, 0.4, 440) > -24, "tone present");
  CHECK(tc_tone_db("tone.wav", 0.8, 1.4, 440) < -80, "silence after the source ended");
  /* A finite AAC source ends with a short frame: padded, not rejected by the encoder. */
  tc_render("sine=f=440:d=0.51[aout]", 1.5, 0, 0, 30, "short.m4a");
  double sd = atof(tc_probe("short.m4a", "-show_entries stream=duration", "duration"));
  CHECK(sd > 1.47 && sd < 1.53, "short m4a duration %f", sd);
  CHECK(tc_tone_db("short.m4a", 0.1, 0.4, 440) > -24 && tc_tone_db("short.m4a", 0.8, 1.4, 440) < -60, "tone then silence");
  tc_render("sine=f=1000[aout]", 2.0, 0, 0, 30, "tone.m4a");
  CHECK(!strcmp(tc_probe("tone.m4a", "-show_entries stream=codec_name", "codec_name"), "aac"), "m4a codec");
  double d = atof(tc_probe("tone.m4a", "-show_entries stream=duration", "duration"));
  CHECK(d > 1.97 && d < 2.03, "m4a duration %f", d);
}

static void test_freeze(void) {
  /* A video that ends after 10 frames is held on its last picture up to 30 frames. */
  tc_render("color=c=0x0000FF:s=64x64:r=30:d=0.3334,drawbox=c=0xFFFF00:t=fill:enable='gte(n,9)'[vout]", 1.0, 64, 64,
            30, "freeze.mp4");
  const char *n = tc_probe("freeze.mp4", "-count_frames -show_entries stream=nb_read_frames", "nb_read_frames");
  CHECK(atoi(n) == 30, "frames %s", n);
  double rgb[3];
  CHECK(tc_frame_rgb("freeze.mp4", 0.1, 0.25, 0.25, 0.75, 0.75, rgb) == 0 && tc_rgb_dist(rgb, 0, 0, 255) < 10, "start blue");
  CHECK(tc_frame_rgb("freeze.mp4", 0.95, 0.25, 0.25, 0.75, 0.75, rgb) == 0 && tc_rgb_dist(rgb, 255, 255, 0) < 10,
        "end frozen on yellow: %.0f %.0f %.0f", rgb[0], rgb[1], rgb[2]);
}

static void expect_error(const char *graph, const char *out, const char *needle) {
  vsc_op_error err = {0};
  int ret = vsc_comp_render(graph, NULL, 1.0, 64, 64, 30, out, &err);
  CHECK(ret < 0, "graph '%s' should fail", graph);
  CHECK(err.kind == VSC_FAIL_INPUT, "graph '%s': kind %d", graph, err.kind);
  CHECK(strstr(err.msg, needle) != NULL, "graph '%s': message '%s' lacks '%s'", graph, err.msg, needle);
  CHECK(access(out, F_OK) != 0, "no partial output left for '%s'", graph);
}

static void test_errors(void) {
  expect_error("color=c=red[x]", "e.mp4", "unconnected output 'x'");
  expect_error("color=c=red,nosuchfilter[vout]", "e.mp4", "nosuchfilter");
  expect_error("sine[aout]", "e.mp4", "no [vout]");
  expect_error("color=c=red[vout]", "e.wav", "audio only");
  expect_error("movie=missing-clip.mp4[vout]", "e.mp4", "missing-clip.mp4");
  vsc_op_error err = {0};
  CHECK(vsc_comp_render("color[vout]", NULL, 1.0, 64, 64, 30, "e.avi", &err) < 0 && strstr(err.msg, "output format"),
        "unknown extension: %s", err.msg);
}

static void test_probe(void) {
  tc_render("testsrc2=s=160x120:r=30[vout]", 2.0, 160, 120, 30, "good.mp4");
  vsc_op_error err = {0};
  vsc_media_info info;
  CHECK(vsc_comp_probe_info("good.mp4", &info, &err) == 0, "probe good: %s", err.msg);
  CHECK(info.has_video && !info.has_audio && info.width == 160 && info.height == 120, "info");
  CHECK(info.duration > 1.99 && info.duration < 2.01 && info.fps > 29.9 && info.fps < 30.1, "duration %f fps %f",
        info.duration, info.fps);
  CHECK(vsc_comp_probe("good.mp4", 1, 1.99, &err) == 0, "long enough: %s", err.msg);
  CHECK(vsc_comp_probe("good.mp4", 1, 3.0, &err) < 0 && strstr(err.msg, "too short"), "too short: %s", err.msg);
  tc_render("sine[aout]", 1.0, 0, 0, 30, "sound.wav");
  CHECK(vsc_comp_probe("sound.wav", 1, 0, &err) < 0 && strstr(err.msg, "no video"), "no video: %s", err.msg);
  /* Truncated: cut the file in half (its index, at the end, is lost). */
  FILE *in = fopen("good.mp4", "rb"), *out = fopen("cut.mp4", "wb");
  fseek(in, 0, SEEK_END);
  long size = ftell(in);
  fseek(in, 0, SEEK_SET);
  for (long i = 0; i < size / 2; i++) fputc(fgetc(in), out);
  fclose(in);
  fclose(out);
  err.msg[0] = 0;
  CHECK(vsc_comp_probe("cut.mp4", 1, 0, &err) < 0 && err.kind == VSC_FAIL_INPUT && strstr(err.msg, "cut.mp4"),
        "truncated: %s", err.msg);
  /* Garbage bytes. */
  out = fopen("junk.mp4", "wb");
  for (int i = 0; i < 5000; i++) fputc((i * 7919) & 0xff, out);
  fclose(out);
  CHECK(vsc_comp_probe("junk.mp4", 1, 0, &err) < 0 && strstr(err.msg, "junk.mp4"), "junk: %s", err.msg);
  /* Faststart file whose media data is cut: the index points past the end. */
  vsc_encode_opts enc = VSC_ENCODE_OPTS_INIT;
  CHECK(vsc_comp_render("testsrc2=s=160x120:r=30[vout]", &enc, 2.0, 160, 120, 30, "fs.mp4", &err) == 0, "fs");
  CHECK(tc_moov_first("fs.mp4"), "faststart");
  in = fopen("fs.mp4", "rb");
  out = fopen("fscut.mp4", "wb");
  fseek(in, 0, SEEK_END);
  size = ftell(in);
  fseek(in, 0, SEEK_SET);
  for (long i = 0; i < size * 2 / 3; i++) fputc(fgetc(in), out);
  fclose(in);
  fclose(out);
  CHECK(vsc_comp_probe("fscut.mp4", 1, 0, &err) < 0 && strstr(err.msg, "truncated"), "fs truncated: %s", err.msg);
}

int main(void) {
  tc_workdir("render.out");
  test_mp4();
  test_other_kinds();
  test_freeze();
  test_errors();
  test_probe();
  return vsc_test_done("test_comp_render");
}
