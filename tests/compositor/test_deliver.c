/*
** Delivery settings in the compositor nodes (docs/ir.md, `deliver`), each checked on the
** produced file with ffprobe or the ffmpeg program's ebur128 filter:
**   - a segment's encode profile, level, GOP and VBV cap: ffprobe reads profile High and level
**     3.1, keyframes every `gop` frames, and a bit rate under the cap where the same segment
**     uncapped takes several times more;
**   - the sound track's true-peak ceiling and loudness target: a fixture with inter-sample
**     peaks (a tone at a quarter of the sample rate, 45 degrees off the samples) normalised to
**     -14 and to -23 LUFS stays under -1 dBTP, where the sample-peak limiter alone lets it
**     through; the AAC bit rate follows `bitrate`;
**   - mux's max_size: a file over it fails and leaves nothing; one under it is written with
**     its index first (faststart).
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tc.h"

#define W 320
#define H 180
#define FPS 30
#define CAP 150000

static int run(const char *op, json_t *params, const char *const *in, size_t n, const char *out, vsc_op_error *err) {
  json_t *node = tc_node(op, params);
  memset(err, 0, sizeof *err);
  int ret = !strcmp(op, "segment") ? vsc_comp_segment(node, in, n, out, err)
          : !strcmp(op, "audio")   ? vsc_comp_audio(node, in, n, out, err)
                                   : vsc_comp_mux(node, in, n, out, err);
  json_decref(node);
  return ret;
}

static void must(const char *op, json_t *params, const char *const *in, size_t n, const char *out) {
  vsc_op_error err;
  CHECK(run(op, params, in, n, out, &err) == 0, "%s -> %s: %s", op, out, err.msg);
}

/* A 2 s body segment over input clip 0, encoded with `encode` (stolen). */
static json_t *segment(json_t *encode) {
  json_t *a = json_pack("{s:{s:s, s:i, s:f, s:b}, s:s, s:f}", "source", "type", "clip", "input", 0, "offset", 0.0,
                        "loop", 0, "fit", "cover", "t", 0.0);
  return json_pack("{s:s, s:f, s:f, s:i, s:i, s:i, s:o, s:o}", "kind", "body", "t0", 0.0, "duration", 2.0, "width", W,
                   "height", H, "fps", FPS, "encode", encode, "a", a);
}

/* Frame numbers of the keyframes of the first video stream, as "0,15,30,". */
static void keyframes(const char *path, char *out, size_t size) {
  char cmd[512], line[64];
  snprintf(cmd, sizeof cmd, "ffprobe -v error -select_streams v:0 -show_entries frame=key_frame -of csv=p=0 '%s'", path);
  FILE *p = popen(cmd, "r");
  int i = 0;
  out[0] = 0;
  while (p && fgets(line, sizeof line, p)) {
    if (line[0] < '0' || line[0] > '9') continue;
    if (atoi(line) == 1 && strlen(out) + 8 < size) snprintf(out + strlen(out), size - strlen(out), "%d,", i);
    i++;
  }
  if (p) pclose(p);
}

/* Bits per second of the first video stream: its packets' bytes over its duration. */
static double video_rate(const char *path) {
  char cmd[512], line[64];
  snprintf(cmd, sizeof cmd, "ffprobe -v error -select_streams v:0 -show_entries packet=size -of csv=p=0 '%s'", path);
  FILE *p = popen(cmd, "r");
  double bytes = 0;
  while (p && fgets(line, sizeof line, p)) bytes += atof(line);
  if (p) pclose(p);
  double d = atof(tc_probe(path, "-select_streams v:0 -show_entries stream=duration", "duration"));
  return d > 0 ? bytes * 8 / d : 0;
}

static void test_encode(void) {
  /* Moving noise: far more bits than the cap allows at this quality. */
  tc_render("testsrc2=s=320x180:r=30,noise=alls=40:allf=t+u[vout]", 2.0, W, H, FPS, "noise.mp4");
  const char *in[] = {"noise.mp4"};
  must("segment",
       segment(json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:i, s:i, s:i}", "codec", "libx264", "crf", 12, "preset",
                         "ultrafast", "pix_fmt", "yuv420p", "profile", "high", "level", "3.1", "gop", 15, "maxrate", CAP,
                         "bufsize", CAP)),
       in, 1, "capped.mp4");
  must("segment",
       segment(json_pack("{s:s, s:i, s:s, s:s, s:i}", "codec", "libx264", "crf", 12, "preset", "ultrafast", "pix_fmt",
                         "yuv420p", "gop", 15)),
       in, 1, "free.mp4");
  const char *prof = tc_probe("capped.mp4", "-select_streams v:0 -show_entries stream=profile", "profile");
  CHECK(!strcmp(prof, "High"), "profile %s, want High (even with the ultrafast preset)", prof);
  const char *level = tc_probe("capped.mp4", "-select_streams v:0 -show_entries stream=level", "level");
  CHECK(!strcmp(level, "31"), "level %s, want 31", level);
  char keys[128];
  keyframes("capped.mp4", keys, sizeof keys);
  CHECK(!strcmp(keys, "0,15,30,45,"), "keyframes every 15 frames: %s", keys);
  double capped = video_rate("capped.mp4"), free_rate = video_rate("free.mp4");
  /* One segment's VBV: at most the cap over its length plus the buffer it starts with. */
  CHECK(capped > 0 && capped <= CAP * 1.0 + CAP / 2.0, "capped segment %.0f bit/s over a %d cap", capped, CAP);
  CHECK(free_rate > 3 * capped, "the cap binds: uncapped %.0f bit/s, capped %.0f", free_rate, capped);
  /* A bad profile in the IR is an input error, not an encoder crash. */
  vsc_op_error err;
  CHECK(run("segment", segment(json_pack("{s:s, s:s}", "codec", "libx264", "profile", "extreme")), in, 1, "bad.mp4",
            &err) < 0 &&
            err.kind == VSC_FAIL_INPUT && strstr(err.msg, "profile"),
        "bad profile: %s", err.msg);
}

/* True peak (dBTP) by the ffmpeg program's ebur128 filter, or 1000 when it cannot tell. */
static double true_peak(const char *path) {
  char cmd[1024], line[512];
  snprintf(cmd, sizeof cmd, "ffmpeg -nostats -hide_banner -i '%s' -af ebur128=peak=true -f null - 2>&1", path);
  FILE *p = popen(cmd, "r");
  double v = 1000;
  int in_tp = 0;
  while (p && fgets(line, sizeof line, p)) {
    if (strstr(line, "True peak:")) in_tp = 1;
    char *s = strstr(line, "Peak:");
    if (in_tp && s) v = strtod(s + 5, NULL);
  }
  if (p) pclose(p);
  return v;
}

/* The audio node's params over input 0; ceiling NAN: none (the sample-peak limiter). */
static json_t *sound(double loudness, double ceiling, int bitrate) {
  json_t *p = json_pack("{s:f, s:i, s:f, s:[{s:i, s:f, s:f}]}", "length", 2.0, "sample_rate", 48000, "loudness",
                        loudness, "voices", "input", 0, "at", 0.0, "volume", 0.0);
  if (!isnan(ceiling)) json_object_set_new(p, "true_peak", json_real(ceiling));
  if (bitrate) json_object_set_new(p, "bitrate", json_integer(bitrate));
  return p;
}

static void test_sound(void) {
  /* A low bed with short bursts of 11 kHz, 45 degrees off the samples: normalising to -14 LUFS
     drives the bursts into the limiter, and a limiter that only sees samples lets the peaks
     between them through. */
  tc_render("aevalsrc='0.2*sin(2*PI*100*t)+if(lt(mod(t\\,0.25)\\,0.004)\\,0.9*sin(2*PI*11000*t+PI/4)\\,0)':s=48000[aout]",
            2.0, 16, 16, 100, "peaky.wav");
  const char *in[] = {"peaky.wav"};
  must("audio", sound(-14, NAN, 0), in, 1, "plain.m4a");
  must("audio", sound(-14, -1, 0), in, 1, "web.m4a");
  must("audio", sound(-23, -1, 256000), in, 1, "broadcast.m4a");
  double tp_plain = true_peak("plain.m4a"), tp_web = true_peak("web.m4a"), tp_bc = true_peak("broadcast.m4a");
  double i_web = tc_loudness("web.m4a"), i_bc = tc_loudness("broadcast.m4a");
  CHECK(tp_plain > -1.0, "the fixture needs the ceiling: without it the true peak is %.1f dBTP", tp_plain);
  /* ebur128 prints one decimal: -1.0 may stand for up to -0.95. */
  CHECK(tp_web <= -0.95, "web true peak %.1f dBTP, ceiling -1", tp_web);
  CHECK(fabs(i_web + 14) <= 1.0, "web loudness %.1f LUFS, target -14", i_web);
  CHECK(tp_bc <= -0.95, "broadcast true peak %.1f dBTP, ceiling -1", tp_bc);
  CHECK(fabs(i_bc + 23) <= 0.5, "broadcast loudness %.1f LUFS, target -23 (EBU R128: within 0.5 LU)", i_bc);
  /* The AAC rate: noise takes every bit it is given. */
  tc_render("anoisesrc=c=pink:a=0.3:r=48000[aout]", 2.0, 16, 16, 100, "noise.wav");
  const char *nin[] = {"noise.wav"};
  must("audio", sound(-23, -1, 96000), nin, 1, "low.m4a");
  must("audio", sound(-23, -1, 256000), nin, 1, "high.m4a");
  double lo = atof(tc_probe("low.m4a", "-select_streams a:0 -show_entries stream=bit_rate", "bit_rate"));
  double hi = atof(tc_probe("high.m4a", "-select_streams a:0 -show_entries stream=bit_rate", "bit_rate"));
  CHECK(lo > 0 && lo < 120000 && hi > 200000, "AAC bit rates %.0f (asked 96k) and %.0f (asked 256k)", lo, hi);
  vsc_op_error err;
  CHECK(run("audio", sound(-14, 3, 0), in, 1, "bad.m4a", &err) < 0 && strstr(err.msg, "true-peak"), "ceiling > 0: %s",
        err.msg);
}

static void test_size(void) {
  tc_render("testsrc2=s=320x180:r=30[vout]", 2.0, W, H, FPS, "pic.mp4");
  tc_render("sine=f=440:sample_rate=48000[aout]", 2.0, 16, 16, 100, "snd.m4a");
  const char *av[] = {"pic.mp4", "snd.m4a"};
  struct stat st;
  CHECK(stat("pic.mp4", &st) == 0, "fixture");
  long long need = (long long)st.st_size;
  vsc_op_error err;
  CHECK(run("mux", json_pack("{s:b, s:I}", "faststart", 1, "max_size", (json_int_t)(need / 2)), av, 2, "big.mp4", &err) <
                0 &&
            err.kind == VSC_FAIL_INPUT && strstr(err.msg, "max_size"),
        "over max_size: %s", err.msg);
  CHECK(stat("big.mp4", &st) != 0, "a file over max_size is not left behind");
  must("mux", json_pack("{s:b, s:I}", "faststart", 1, "max_size", (json_int_t)(need * 2 + 100000)), av, 2, "ok.mp4");
  CHECK(stat("ok.mp4", &st) == 0 && st.st_size <= need * 2 + 100000, "under max_size");
  CHECK(tc_moov_first("ok.mp4"), "faststart: the index comes first");
}

int main(void) {
  tc_workdir("deliver.out");
  test_encode();
  test_sound();
  test_size();
  return vsc_test_done("test_comp_deliver");
}
