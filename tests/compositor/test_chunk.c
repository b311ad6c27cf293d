/*
** Chunked bodies: vsc_comp_segment_split cuts a long body segment into GOP-aligned chunks;
** the chunks rendered by vsc_comp_segment and joined by vsc_comp_concat must be the whole
** segment's picture: the same frame count and timestamps, every source frame once at the
** joins (each frame of the fixture carries its number as eight bars), a keyframe at each
** join, and identical pictures when rendered again. Also what is never split.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "tc.h"

#define W 320
#define H 240
#define FPS 30

/* One decoded frame: its number (read from the bars), its timestamp in frames, key flag, and
 * a hash of every pixel. */
typedef struct {
  int number;
  int64_t pts;
  int key;
  uint64_t hash;
} frame_info;

static uint64_t picture_hash(const AVFrame *f) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a over the visible rows of the three planes */
  for (int p = 0; p < 3; p++) {
    int w = p ? (f->width + 1) / 2 : f->width, rows = p ? (f->height + 1) / 2 : f->height;
    for (int y = 0; y < rows; y++)
      for (int x = 0; x < w; x++) h = (h ^ f->data[p][(size_t)y * f->linesize[p] + x]) * 1099511628211ull;
  }
  return h;
}

/* The number drawn on a fixture frame: bar b (of 8, left to right) is white for bit b. */
static int read_bars(const AVFrame *f) {
  int v = 0;
  for (int b = 0; b < 8; b++) {
    int x = (2 * b + 1) * f->width / 16;
    long sum = 0;
    for (int y = f->height / 4; y < 3 * f->height / 4; y++) sum += f->data[0][(size_t)y * f->linesize[0] + x];
    if (sum / (f->height / 2) > 128) v |= 1 << b;
  }
  return v;
}

/* Decodes every video frame of path into out[0..max); returns the count or -1. */
static int decode_all(const char *path, frame_info *out, int max) {
  AVFormatContext *ic = NULL;
  if (avformat_open_input(&ic, path, NULL, NULL) < 0) return -1;
  int n = -1, si = -1;
  AVCodecContext *dc = NULL;
  AVPacket *pkt = av_packet_alloc();
  AVFrame *fr = av_frame_alloc();
  if (avformat_find_stream_info(ic, NULL) < 0) goto done;
  si = av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
  if (si < 0) goto done;
  const AVCodec *codec = avcodec_find_decoder(ic->streams[si]->codecpar->codec_id);
  dc = avcodec_alloc_context3(codec);
  avcodec_parameters_to_context(dc, ic->streams[si]->codecpar);
  dc->thread_count = 1;
  if (avcodec_open2(dc, codec, NULL) < 0) goto done;
  AVRational tb = ic->streams[si]->time_base;
  n = 0;
  for (int eof = 0; !eof;) {
    if (av_read_frame(ic, pkt) < 0) {
      eof = 1;
      avcodec_send_packet(dc, NULL);
    } else if (pkt->stream_index != si) {
      av_packet_unref(pkt);
      continue;
    } else {
      avcodec_send_packet(dc, pkt);
      av_packet_unref(pkt);
    }
    while (avcodec_receive_frame(dc, fr) == 0) {
      if (n < max) {
        out[n].number = read_bars(fr);
        out[n].pts = av_rescale_q(fr->best_effort_timestamp, tb, (AVRational){1, FPS});
        out[n].key = fr->key_frame != 0;
        out[n].hash = picture_hash(fr);
      }
      n++;
      av_frame_unref(fr);
    }
  }
done:
  av_frame_free(&fr);
  av_packet_free(&pkt);
  avcodec_free_context(&dc);
  avformat_close_input(&ic);
  return n;
}

static json_t *body_params(double t0, double duration, double offset) {
  return json_pack("{s:s, s:f, s:f, s:i, s:i, s:i, s:{s:s, s:i, s:s, s:s, s:i}, s:{s:{s:s, s:i, s:f, s:b}, s:s, s:f, s:[]}}",
                   "kind", "body", "t0", t0, "duration", duration, "width", W, "height", H, "fps", FPS, "encode",
                   "codec", "libx264", "crf", 20, "preset", "veryfast", "pix_fmt", "yuv420p", "threads", 1, "a", "source", "type",
                   "clip", "input", 0, "offset", offset, "loop", 0, "fit", "cover", "t", offset, "texts");
}

static json_t *body_node(const char *id, double t0, double duration, double offset) {
  json_t *node = tc_node("segment", body_params(t0, duration, offset));
  json_object_set_new(node, "id", json_string(id));
  return node;
}

static double num(const json_t *o, const char *path1, const char *path2, const char *key) {
  const json_t *v = json_object_get(o, path1);
  if (path2) v = json_object_get(v, path2);
  return json_number_value(json_object_get(v, key));
}

/* The parts of a 5 s body from 0.5 s into the clip at timeline 10 s: 60 + 90 frames. */
static void check_split_params(void) {
  json_t *node = body_node("abc", 10.0, 5.0, 0.5);
  json_t *parts = vsc_comp_segment_split(node);
  CHECK(json_array_size(parts) == 2, "a 150-frame body in 60-frame GOPs: 2 chunks, got %zu", json_array_size(parts));
  const json_t *p0 = json_array_get(parts, 0), *p1 = json_array_get(parts, 1);
  CHECK(p0 && !strcmp(json_string_value(json_object_get(p0, "id")), "abc.1"), "chunk 1 id");
  CHECK(p1 && !strcmp(json_string_value(json_object_get(p1, "id")), "abc.2"), "chunk 2 id");
  CHECK(json_integer_value(json_object_get(json_object_get(p1, "part"), "index")) == 1 &&
            json_integer_value(json_object_get(json_object_get(p1, "part"), "count")) == 2 &&
            !strcmp(json_string_value(json_object_get(json_object_get(p1, "part"), "of")), "abc"),
        "chunk 2 names its place");
  CHECK(fabs(num(p0, "params", NULL, "duration") - 2.0) < 1e-9 && fabs(num(p1, "params", NULL, "duration") - 3.0) < 1e-9,
        "durations 2 s and 3 s (the remainder rides on the last)");
  CHECK(fabs(num(p1, "params", NULL, "t0") - 12.0) < 1e-9, "chunk 2 starts at 12 s on the timeline");
  CHECK(fabs(num(p1, "params", "a", "t") - 2.5) < 1e-9, "chunk 2 scene time 2.5 s");
  CHECK(fabs(json_number_value(json_object_get(json_object_get(json_object_get(json_object_get(p1, "params"), "a"), "source"), "offset")) - 2.5) < 1e-9,
        "chunk 2 clip offset 2.5 s");
  CHECK(!strcmp(json_string_value(json_object_get(p0, "scene")), "testscene"), "a chunk keeps its scene");
  json_decref(parts);
  json_decref(node);
  /* Never split: a body shorter than two chunks, a transition, another op. */
  node = body_node("short", 0, 3.9, 0);
  CHECK(vsc_comp_segment_split(node) == NULL, "a 3.9 s body stays whole");
  json_decref(node);
  node = body_node("tr", 0, 10, 0);
  json_object_set_new(json_object_get(node, "params"), "kind", json_string("transition"));
  CHECK(vsc_comp_segment_split(node) == NULL, "a transition stays whole");
  json_object_set_new(node, "op", json_string("animate"));
  CHECK(vsc_comp_segment_split(node) == NULL, "only segments are split");
  json_decref(node);
  /* A GOP of 45 frames: 150 frames in three chunks of 45, 45, 60. */
  node = body_node("g45", 0, 5.0, 0);
  json_object_set_new(json_object_get(json_object_get(node, "params"), "encode"), "gop", json_integer(45));
  parts = vsc_comp_segment_split(node);
  CHECK(json_array_size(parts) == 3 && fabs(num(json_array_get(parts, 2), "params", NULL, "duration") - 2.0) < 1e-9 &&
            fabs(num(json_array_get(parts, 1), "params", NULL, "t0") - 1.5) < 1e-9,
        "gop 45: chunks at 0, 1.5, 3 s");
  json_decref(parts);
  json_decref(node);
}

/* Renders the parts of node and joins them into out; returns 0 or -1. */
static int render_chunked(const json_t *node, const char *const *inputs, const char *out, const char *tag) {
  json_t *parts = vsc_comp_segment_split(node);
  size_t n = json_array_size(parts);
  char paths[8][64];
  const char *pp[8];
  vsc_op_error err = {0};
  int ret = n >= 2 && n <= 8 ? 0 : -1;
  for (size_t k = 0; ret == 0 && k < n; k++) {
    snprintf(paths[k], sizeof paths[k], "%s.part%zu.mp4", tag, k);
    pp[k] = paths[k];
    ret = vsc_comp_segment(json_array_get(parts, k), inputs, 1, paths[k], &err);
    CHECK(ret == 0, "chunk %zu: %s", k, err.msg);
  }
  if (ret == 0) ret = vsc_comp_concat(node, pp, n, out, &err);
  CHECK(ret == 0, "join: %s", err.msg);
  json_decref(parts);
  return ret;
}

/* Whether a and b decode to the same pictures at the same times: what a viewer sees, and what
 * broke when x264's AVX-512 code coded one block of a frame a level apart (render.c). */
static int same_pictures(const char *a, const char *b) {
  static frame_info fa[200], fb[200];
  int na = decode_all(a, fa, 200), nb = decode_all(b, fb, 200);
  if (na < 1 || na != nb || na > 200) return 0;
  for (int i = 0; i < na; i++)
    if (fa[i].hash != fb[i].hash || fa[i].pts != fb[i].pts) return 0;
  return 1;
}

/* The joined chunks against the source numbers: frames 15..164 in order, one per 1/30 s. */
static void check_frames(const char *path, int expect_first, int joined) {
  frame_info fi[200];
  int n = decode_all(path, fi, 200);
  CHECK(n == 150, "%s: 150 frames, got %d", path, n);
  int bad = 0;
  for (int i = 0; i < n && i < 150 && bad < 5; i++) {
    if (fi[i].number != expect_first + i || fi[i].pts != i) {
      CHECK(0, "%s: frame %d shows source frame %d at pts %lld (expected %d at %d)", path, i, fi[i].number,
            (long long)fi[i].pts, expect_first + i, i);
      bad++;
    }
  }
  CHECK(n > 60 && fi[0].key && (!joined || fi[60].key), "%s: keyframes at 0 and at the chunk join (60)", path);
}

int main(void) {
  tc_workdir("chunk");
  check_split_params();
  /* Frame k of the clip shows k in binary as eight bars. */
  tc_render("color=c=black:s=320x240:r=30,format=gray,"
            "geq=lum='255*mod(floor(N/pow(2\\,floor(X*8/W)))\\,2)',format=yuv420p[vout]",
            6.0, W, H, FPS, "numbered.mp4");
  const char *inputs[1] = {"numbered.mp4"};
  json_t *node = body_node("body", 0, 5.0, 0.5);
  vsc_op_error err = {0};
  CHECK(vsc_comp_segment(node, inputs, 1, "whole.mp4", &err) == 0, "whole: %s", err.msg);
  check_frames("whole.mp4", 15, 0);
  if (render_chunked(node, inputs, "joined.mp4", "a") == 0) {
    check_frames("joined.mp4", 15, 1);
    CHECK(!strcmp(tc_probe("joined.mp4", "-show_entries format=duration", "duration"),
                  tc_probe("whole.mp4", "-show_entries format=duration", "duration")),
          "joined and whole last as long");
    CHECK(render_chunked(node, inputs, "again.mp4", "b") == 0 && same_pictures("joined.mp4", "again.mp4"),
          "the same inputs give the same pictures");
    CHECK(same_pictures("a.part1.mp4", "b.part1.mp4"), "a chunk renders the same pictures again");
    CHECK(!same_pictures("a.part0.mp4", "a.part1.mp4"), "two different chunks differ");
  }
  json_decref(node);
  return vsc_test_done("compositor_chunk");
}
