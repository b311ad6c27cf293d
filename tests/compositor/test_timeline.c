/*
** concat, audio and mux: segments joined by stream copy to the exact planned length, the
** sound track (loop, fades, voices, ducking, clip audio, loudness) and the deliverable MP4
** (faststart, h264 + aac, plays without errors).
*/
#include <stdlib.h>
#include <string.h>

#include "tc.h"

#define W 192
#define H 108

static json_t *card(const char *color) {
  return json_pack("{s:{s:s, s:s}, s:s}", "source", "type", "color", "color", color, "fit", "cover");
}

static json_t *seg(const char *kind, double d, json_t *a, json_t *b, int w) {
  json_t *p = json_pack("{s:s, s:f, s:i, s:i, s:i, s:{s:s, s:i, s:s, s:s}, s:o}", "kind", kind, "duration", d, "width", w,
                        "height", H, "fps", 30, "encode", "codec", "libx264", "crf", 20, "preset", "veryfast", "pix_fmt",
                        "yuv420p", "a", a);
  if (b) {
    json_object_set_new(p, "b", b);
    json_object_set_new(p, "transition", json_string("fade"));
  }
  return p;
}

static int run(const char *op, json_t *params, const char *const *in, size_t n, const char *out, vsc_op_error *err) {
  json_t *node = tc_node(op, params);
  memset(err, 0, sizeof *err);
  int ret = !strcmp(op, "segment") ? vsc_comp_segment(node, in, n, out, err)
          : !strcmp(op, "concat")  ? vsc_comp_concat(node, in, n, out, err)
          : !strcmp(op, "audio")   ? vsc_comp_audio(node, in, n, out, err)
                                   : vsc_comp_mux(node, in, n, out, err);
  json_decref(node);
  return ret;
}

static void must(const char *op, json_t *params, const char *const *in, size_t n, const char *out) {
  vsc_op_error err;
  CHECK(run(op, params, in, n, out, &err) == 0, "%s -> %s: %s", op, out, err.msg);
}

/* The ffmpeg program decodes the whole file without a single error message. */
static int plays(const char *path) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "ffmpeg -nostdin -v error -i '%s' -f null - > play.log 2>&1", path);
  int rc = system(cmd);
  FILE *f = fopen("play.log", "r");
  int clean = f && fgetc(f) == EOF;
  if (f) fclose(f);
  return rc == 0 && clean;
}

static void test_concat(void) {
  must("segment", seg("body", 1.0, card("#ff0000"), NULL, W), NULL, 0, "s0.mp4");
  must("segment", seg("transition", 0.5, card("#ff0000"), card("#0000ff"), W), NULL, 0, "s1.mp4");
  must("segment", seg("body", 0.8333, card("#0000ff"), NULL, W), NULL, 0, "s2.mp4");
  const char *segs[] = {"s0.mp4", "s1.mp4", "s2.mp4"};
  must("concat", json_pack("{s:i}", "count", 3), segs, 3, "video.mp4");
  const char *n = tc_probe("video.mp4", "-select_streams v:0 -count_frames -show_entries stream=nb_read_frames", "nb_read_frames");
  CHECK(atoi(n) == 70, "concat frames %s, want 30+15+25", n);
  double d = atof(tc_probe("video.mp4", "-select_streams v:0 -show_entries stream=duration", "duration"));
  CHECK(d > 70 / 30.0 - 0.001 && d < 70 / 30.0 + 0.001, "concat duration %f", d);
  CHECK(plays("video.mp4"), "concat output decodes cleanly");
  /* Stream copy keeps each segment's opening keyframe where the segment starts. */
  FILE *p = popen("ffprobe -v error -select_streams v:0 -show_entries frame=key_frame -of csv=p=0 video.mp4", "r");
  char line[64], keys[128] = "";
  int i = 0;
  while (p && fgets(line, sizeof line, p)) {
    if (line[0] < '0' || line[0] > '9') continue; /* side-data lines */
    if (atoi(line) == 1 && strlen(keys) < 100) snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%d,", i);
    i++;
  }
  if (p) pclose(p);
  CHECK(!strcmp(keys, "0,30,45,"), "keyframes at segment starts: %s", keys);
  double rgb[3];
  CHECK(tc_frame_rgb("video.mp4", 0.5, 0.2, 0.2, 0.8, 0.8, rgb) == 0 && tc_rgb_dist(rgb, 255, 0, 0) < 40, "red scene");
  CHECK(tc_frame_rgb("video.mp4", 1.25, 0.2, 0.2, 0.8, 0.8, rgb) == 0 && rgb[0] > 70 && rgb[2] > 70, "crossfade mixes");
  CHECK(tc_frame_rgb("video.mp4", 2.0, 0.2, 0.2, 0.8, 0.8, rgb) == 0 && tc_rgb_dist(rgb, 0, 0, 255) < 40, "blue scene");
  /* Different encoder settings cannot be stream-copied together. */
  must("segment", seg("body", 0.5, card("#00ff00"), NULL, W + 64), NULL, 0, "wide.mp4");
  const char *mixed[] = {"s0.mp4", "wide.mp4"};
  vsc_op_error err;
  CHECK(run("concat", json_pack("{s:i}", "count", 2), mixed, 2, "bad.mp4", &err) < 0 && strstr(err.msg, "other settings"),
        "mismatched segments: %s", err.msg);
  CHECK(run("concat", json_pack("{s:i}", "count", 5), segs, 3, "bad.mp4", &err) < 0 && strstr(err.msg, "count"),
        "count mismatch: %s", err.msg);
}

static json_t *audio_params(double length, int duck, double loudness) {
  json_t *p = json_pack("{s:f, s:i, s:{s:i, s:f, s:f, s:f, s:b, s:f}, s:[{s:i, s:f, s:f}]}", "length", length,
                        "sample_rate", 48000, "music", "input", 0, "volume", -6.0, "fade_in", 0.0, "fade_out", 0.5, "loop",
                        1, "start", 0.0, "voices", "input", 1, "at", 1.5, "volume", 0.0);
  if (duck) json_object_set_new(p, "duck", json_pack("{s:f}", "amount", -12.0));
  if (loudness < 0) json_object_set_new(p, "loudness", json_real(loudness));
  return p;
}

static void test_audio(void) {
  tc_render("sine=f=440:sample_rate=48000,volume=0.5[aout]", 3.0, 0, 0, 30, "music.wav");
  tc_render("sine=f=1500:sample_rate=24000,volume=2.0[aout]", 0.8, 0, 0, 30, "voice.wav");
  const char *in[] = {"music.wav", "voice.wav"};
  must("audio", audio_params(4.0, 1, -16.0), in, 2, "duck.m4a");
  must("audio", audio_params(4.0, 0, 0), in, 2, "noduck.m4a");
  CHECK(!strcmp(tc_probe("duck.m4a", "-show_entries stream=codec_name", "codec_name"), "aac"), "aac");
  CHECK(!strcmp(tc_probe("duck.m4a", "-show_entries stream=sample_rate", "sample_rate"), "48000"), "48 kHz");
  double d = atof(tc_probe("duck.m4a", "-show_entries stream=duration", "duration"));
  CHECK(d > 3.97 && d < 4.03, "audio length %f", d);
  /* Voice window 1.5-2.3 s; music alone before it. */
  double m_before = tc_tone_db("duck.m4a", 0.5, 1.3, 440), m_during = tc_tone_db("duck.m4a", 1.7, 2.2, 440);
  double v_during = tc_tone_db("duck.m4a", 1.7, 2.2, 1500), v_before = tc_tone_db("duck.m4a", 0.5, 1.3, 1500);
  CHECK(m_before - m_during > 6.0, "music ducked under voice: %.1f dB before, %.1f dB during", m_before, m_during);
  CHECK(v_during > v_before + 30, "voice placed at 1.5 s: %.1f dB during, %.1f dB before", v_during, v_before);
  double n_before = tc_tone_db("noduck.m4a", 0.5, 1.3, 440), n_during = tc_tone_db("noduck.m4a", 1.7, 2.2, 440);
  CHECK(n_before - n_during < 1.5 && n_during - n_before < 1.5, "no duck, no drop: %.1f vs %.1f", n_before, n_during);
  /* The 3 s music loops past 3 s, then fades out over the last 0.5 s. */
  double looped = tc_tone_db("noduck.m4a", 3.05, 3.45, 440), tail = tc_tone_db("noduck.m4a", 3.9, 3.99, 440);
  CHECK(looped > n_before - 1.5, "music loops: %.1f dB at 3.2 s vs %.1f", looped, n_before);
  CHECK(tail < looped - 10, "fade out: %.1f dB in the last 0.1 s vs %.1f", tail, looped);
  double lufs = tc_loudness("duck.m4a");
  CHECK(lufs > -17.5 && lufs < -14.5, "loudness %.1f LUFS, target -16", lufs);
  must("audio", audio_params(4.0, 1, -16.0), in, 2, "duck2.m4a");
  CHECK(vsc_test_same_bytes("duck.m4a", "duck2.m4a"), "audio re-render differs");

  /* Clip audio placed at 0.5 s for 1 s; a clip without sound is skipped with a warning. */
  tc_render("testsrc2=s=64x64:r=30[vout];sine=f=700[aout]", 2.0, 64, 64, 30, "talk.mp4");
  tc_render("testsrc2=s=64x64:r=30[vout]", 2.0, 64, 64, 30, "silent.mp4");
  const char *cin[] = {"talk.mp4", "silent.mp4"};
  json_t *p = json_pack("{s:f, s:[{s:i, s:f, s:f, s:f, s:f}, {s:i, s:f, s:f, s:f, s:f}]}", "length", 3.0, "clips", "input", 0,
                        "at", 0.5, "offset", 0.5, "duration", 1.0, "volume", 0.0, "input", 1, "at", 1.0, "offset", 0.0,
                        "duration", 1.0, "volume", 0.0);
  vsc_op_error err;
  CHECK(run("audio", p, cin, 2, "clips.m4a", &err) == 0, "clip audio: %s", err.msg);
  CHECK(strstr(err.msg, "silent.mp4") && strstr(err.msg, "left out"), "warning for the silent clip: '%s'", err.msg);
  double c_in = tc_tone_db("clips.m4a", 0.6, 1.4, 700), c_out = tc_tone_db("clips.m4a", 1.7, 2.9, 700);
  CHECK(c_in > -30 && c_out < c_in - 40, "clip sound only in its window: %.1f vs %.1f", c_in, c_out);
  const char *bad[] = {"talk.mp4", "nope.wav"};
  p = json_pack("{s:f, s:[{s:i, s:f}]}", "length", 1.0, "voices", "input", 1, "at", 0.0);
  CHECK(run("audio", p, bad, 2, "bad.m4a", &err) < 0 && err.kind == VSC_FAIL_INPUT && strstr(err.msg, "nope.wav"),
        "missing voice file: %s", err.msg);
}

static void test_mux(void) {
  const char *in[] = {"music.wav", "voice.wav"};
  must("audio", audio_params(70 / 30.0, 1, -14.0), in, 2, "track.m4a");
  const char *av[] = {"video.mp4", "track.m4a"};
  must("mux", json_pack("{s:b}", "faststart", 1), av, 2, "final.mp4");
  CHECK(tc_moov_first("final.mp4"), "faststart: moov before mdat");
  CHECK(!strcmp(tc_probe("final.mp4", "-select_streams v:0 -show_entries stream=codec_name", "codec_name"), "h264"), "h264");
  CHECK(!strcmp(tc_probe("final.mp4", "-select_streams a:0 -show_entries stream=codec_name", "codec_name"), "aac"), "aac");
  const char *n = tc_probe("final.mp4", "-select_streams v:0 -count_frames -show_entries stream=nb_read_frames", "nb_read_frames");
  CHECK(atoi(n) == 70, "final frames %s", n);
  double fd = atof(tc_probe("final.mp4", "-show_entries format=duration", "duration"));
  CHECK(fd > 70 / 30.0 - 1 / 30.0 && fd < 70 / 30.0 + 1 / 30.0, "final duration %f within a frame of %f", fd, 70 / 30.0);
  CHECK(plays("final.mp4"), "final decodes cleanly");
  must("mux", json_pack("{s:b}", "faststart", 0), av, 2, "slow.mp4");
  CHECK(!tc_moov_first("slow.mp4"), "without faststart the index is at the end");
}

int main(void) {
  tc_workdir("timeline.out");
  test_concat();
  test_audio();
  test_mux();
  return vsc_test_done("test_comp_timeline");
}
