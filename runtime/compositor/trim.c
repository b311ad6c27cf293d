/*
** The `trim` op (compositor stage): a part of a cached picture or sound track, for
** `vsc build --scene/--range`. A review render takes the full build's segments whole where
** its range covers them and trims only the one or two it cuts through, so a scene render
** after a full build re-renders nothing that is cached, and the full build reuses every
** segment a scene render made. The sound track is the full mix cut to the same ranges, so
** levels, ducking and loudness are exactly those of the full video.
**
**   video: one range of one segment, re-encoded with the segment's own `encode` settings
**          (closed GOPs), so it joins the untouched segments by concat's stream copy;
**   audio: the ranges of the full mix, in order, joined into one AAC track.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "comp.h"

/* The IR's params of a trim node (docs/ir.md): ranges in seconds of the input. */
typedef struct {
  int audio;
  int fps, sample_rate, width, height;
  size_t nranges;
  const json_t *ranges;
  vsc_encode_opts enc;
  char where[300];
} trim_spec;

static int read_range(const trim_spec *t, size_t i, double *s, double *e, vsc_op_error *err) {
  const json_t *r = json_array_get(t->ranges, i);
  if (!json_is_array(r) || json_array_size(r) != 2 || !json_is_number(json_array_get(r, 0)) ||
      !json_is_number(json_array_get(r, 1)))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%strim: ranges[%zu]: expected [start, end]", t->where, i);
  *s = json_number_value(json_array_get(r, 0));
  *e = json_number_value(json_array_get(r, 1));
  if (!(*s >= 0) || !(*e > *s) || *e > 24 * 3600)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%strim: ranges[%zu]: [%g, %g] is not a range", t->where, i, *s, *e);
  return 0;
}

/* movie=IN -> the frames [f0, f1) of the input, numbered from 0. */
static int video_graph(vsc_buf *g, const trim_spec *t, const char *in, double *dur, vsc_op_error *err) {
  double s, e;
  if (t->nranges != 1) return vsc_op_fail(err, VSC_FAIL_INPUT, "%strim: a video trim takes one range", t->where);
  if (read_range(t, 0, &s, &e, err) < 0) return -1;
  int64_t f0 = comp_frames(s, t->fps), f1 = comp_frames(e, t->fps);
  if (f1 <= f0) return vsc_op_fail(err, VSC_FAIL_INPUT, "%strim: [%g, %g] is less than one frame", t->where, s, e);
  vsc_buf_printf(g, "movie=");
  comp_add_filter_arg(g, in);
  vsc_buf_printf(g, ":dec_threads=1,trim=start_frame=%lld:end_frame=%lld,setpts=PTS-STARTPTS[vout]", (long long)f0,
                 (long long)f1);
  *dur = (double)(f1 - f0) / t->fps;
  return 0;
}

/* amovie=IN -> each range cut on sample boundaries, then joined in order. */
static int audio_graph(vsc_buf *g, const trim_spec *t, const char *in, double *dur, vsc_op_error *err) {
  *dur = 0;
  vsc_buf_printf(g, "amovie=");
  comp_add_filter_arg(g, in);
  if (t->nranges > 1) vsc_buf_printf(g, ",asplit=%zu", t->nranges);
  for (size_t i = 0; i < t->nranges; i++) vsc_buf_printf(g, "[s%zu]", i);
  for (size_t i = 0; i < t->nranges; i++) {
    double s, e;
    if (read_range(t, i, &s, &e, err) < 0) return -1;
    long long n0 = llround(s * t->sample_rate), n1 = llround(e * t->sample_rate);
    vsc_buf_printf(g, ";[s%zu]aresample=%d,atrim=start_sample=%lld:end_sample=%lld,asetpts=PTS-STARTPTS[p%zu]", i,
                   t->sample_rate, n0, n1, i);
    *dur += (double)(n1 - n0) / t->sample_rate;
  }
  vsc_buf_printf(g, ";");
  for (size_t i = 0; i < t->nranges; i++) vsc_buf_printf(g, "[p%zu]", i);
  vsc_buf_printf(g, "concat=n=%zu:v=0:a=1[aout]", t->nranges);
  return 0;
}

static int read_spec(trim_spec *t, const json_t *node, vsc_op_error *err) {
  const char *where = t->where;
  const json_t *p = json_object_get(node, "params");
  const char *media;
  long long sr;
  if (!json_is_object(p)) return vsc_op_fail(err, VSC_FAIL_INPUT, "%strim: params missing", where);
  if (comp_get_str(p, "media", "video", &media, err, where) < 0) return -1;
  if (strcmp(media, "video") && strcmp(media, "audio"))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%strim: media '%s': expected video or audio", where, media);
  t->audio = !strcmp(media, "audio");
  t->ranges = json_object_get(p, "ranges");
  t->nranges = json_array_size(t->ranges);
  if (!json_is_array(t->ranges) || t->nranges < 1 || t->nranges > 64)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%strim: ranges: expected 1 to 64 [start, end] pairs", where);
  if (comp_get_int(p, "sample_rate", 48000, &sr, err, where) < 0) return -1;
  if (sr < 8000 || sr > 192000) return vsc_op_fail(err, VSC_FAIL_INPUT, "%strim: sample rate %lld out of range", where, sr);
  t->sample_rate = (int)sr;
  t->enc = (vsc_encode_opts)VSC_ENCODE_OPTS_INIT;
  if (t->audio) {
    t->enc.format = "m4a";
    t->enc.sample_rate = t->sample_rate;
    t->width = t->height = 16; /* unused: audio only */
    t->fps = 100;
    return 0;
  }
  if (comp_read_frame_params(p, &t->width, &t->height, &t->fps, err, where) < 0) return -1;
  vsc_op_error eerr = {0};
  if (vsc_comp_encode_opts_from_json(&t->enc, json_object_get(p, "encode"), &eerr) < 0)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%s%s", where, eerr.msg);
  t->enc.format = "mp4";
  t->enc.faststart = 0; /* an intermediate, as a segment is */
  return 0;
}

int vsc_comp_trim(const json_t *node, const char *const *inputs, size_t ninputs, const char *out_path,
                  vsc_op_error *err) {
  trim_spec t;
  memset(&t, 0, sizeof t);
  if (err) {
    err->kind = VSC_FAIL_NONE;
    err->retry_after = 0;
    err->msg[0] = 0;
  }
  comp_node_where(node, t.where, sizeof t.where);
  if (read_spec(&t, node, err) < 0) return -1;
  if (ninputs != 1) return vsc_op_fail(err, VSC_FAIL_INPUT, "%strim: needs one input, got %zu", t.where, ninputs);
  vsc_buf g = {0};
  double dur = 0;
  int ret = t.audio ? audio_graph(&g, &t, inputs[0], &dur, err) : video_graph(&g, &t, inputs[0], &dur, err);
  if (ret == 0) {
    comp_job job;
    memset(&job, 0, sizeof job);
    job.graph = g.s;
    job.enc = &t.enc;
    job.duration = dur;
    job.width = t.width;
    job.height = t.height;
    job.fps = t.fps;
    job.out_path = out_path;
    job.kind = t.audio ? COMP_OUT_M4A : COMP_OUT_MP4;
    vsc_op_error rerr = {0};
    ret = comp_run(&job, &rerr);
    if (ret < 0) vsc_op_fail(err, rerr.kind ? rerr.kind : VSC_FAIL_LOCAL, "%strim: %s", t.where, rerr.msg);
  }
  vsc_buf_free(&g);
  return ret;
}
