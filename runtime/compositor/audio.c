/*
** The `audio` op: the whole sound track in one libavfilter graph. The music bed is
** trimmed or looped, set in volume and faded; voice lines are placed with adelay; the
** music is ducked under the voices with sidechaincompress; clip audio is cut and placed;
** everything is summed with amix. Loudness is normalised to the target in two passes:
** ebur128 measures the mix, then a fixed gain and a true-peak-safe limiter are applied,
** so the dynamics stay those of the mix. Output: AAC in M4A.
*/
#include <math.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "comp.h"

/* Reference speech level (dBFS RMS) the ducking amount is calibrated for. */
#define DUCK_REF_LEVEL (-20.0)
#define DUCK_RATIO 4.0
/* Sample peak ceiling after normalisation, about -1 dBFS. */
#define LIMIT_LINEAR 0.891

typedef struct {
  const json_t *p;
  const char *const *inputs;
  size_t ninputs;
  int sr;
  double length;
  const char *where;
  vsc_op_error *err;
  int quiet; /* a second pass over the same params: do not warn again */
} actx;

/* Common tail of every source chain: the mix format, then volume. */
static void norm_chain(vsc_buf *sb, int sr, double volume_db) {
  vsc_buf_printf(sb, ",aresample=%d,aformat=sample_fmts=fltp:sample_rates=%d:channel_layouts=stereo", sr, sr);
  if (volume_db != 0) vsc_buf_printf(sb, ",volume=%.3fdB", volume_db);
}

static int probe_audio(actx *a, size_t idx, const char *what, vsc_media_info *info) {
  vsc_op_error perr = {0};
  if (vsc_comp_probe_info(a->inputs[idx], info, &perr) < 0)
    return vsc_op_fail(a->err, VSC_FAIL_INPUT, "%s%s: %s", a->where, what, perr.msg);
  return 0;
}

/* Appends "LABEL_SOURCE...[m];" for the music bed. */
static int music_chain(actx *a, const json_t *m, vsc_buf *sb) {
  size_t idx;
  double vol, fin, fout, start;
  int loop;
  const char *w = a->where;
  if (!json_is_object(m)) return vsc_op_fail(a->err, VSC_FAIL_INPUT, "%sparam 'music': expected an object", w);
  if (comp_get_input(m, "input", a->ninputs, &idx, a->err, w) < 0 || comp_get_num(m, "volume", 0, &vol, a->err, w) < 0 ||
      comp_get_num(m, "fade_in", 0, &fin, a->err, w) < 0 || comp_get_num(m, "fade_out", 0, &fout, a->err, w) < 0 ||
      comp_get_num(m, "start", 0, &start, a->err, w) < 0 || comp_get_bool(m, "loop", 0, &loop, a->err, w) < 0)
    return -1;
  if (start < 0 || fin < 0 || fout < 0)
    return vsc_op_fail(a->err, VSC_FAIL_INPUT, "%smusic: start and fades must not be negative", w);
  vsc_media_info info;
  if (probe_audio(a, idx, "music", &info) < 0) return -1;
  if (!info.has_audio) return vsc_op_fail(a->err, VSC_FAIL_INPUT, "%smusic '%s' has no audio stream", w, a->inputs[idx]);
  if (info.duration > 0 && start >= info.duration)
    return vsc_op_fail(a->err, VSC_FAIL_INPUT, "%smusic starts at %.3f s but '%s' lasts %.3f s", w, start,
                       a->inputs[idx], info.duration);
  vsc_buf_printf(sb, "amovie=");
  comp_add_filter_arg(sb, a->inputs[idx]);
  if (loop) {
    /* amovie rewinds to the seek point at the end; number samples anew on each pass. */
    if (start > 0) vsc_buf_printf(sb, ":sp=%.6f", start);
    vsc_buf_printf(sb, ":loop=0");
    norm_chain(sb, a->sr, 0);
    vsc_buf_printf(sb, ",asetpts=N/%d/TB", a->sr);
  } else {
    if (start > 0) vsc_buf_printf(sb, ":sp=%.6f,atrim=start=%.6f", start, start + info.start_time);
    vsc_buf_printf(sb, ",asetpts=PTS-STARTPTS");
    norm_chain(sb, a->sr, 0);
  }
  if (vol != 0) vsc_buf_printf(sb, ",volume=%.3fdB", vol);
  if (fin > 0) vsc_buf_printf(sb, ",afade=t=in:st=0:d=%.6f", fin);
  if (fout > 0) {
    double st = a->length - fout;
    if (st < 0) st = 0;
    vsc_buf_printf(sb, ",afade=t=out:st=%.6f:d=%.6f", st, fout);
  }
  vsc_buf_printf(sb, ",apad[m];");
  return 0;
}

/* Appends the voice lines as "[vm]" (mixed); returns how many there were. */
static int voice_chains(actx *a, const json_t *voices, vsc_buf *sb) {
  const char *w = a->where;
  if (!voices || json_is_null(voices)) return 0;
  if (!json_is_array(voices)) return vsc_op_fail(a->err, VSC_FAIL_INPUT, "%sparam 'voices': expected an array", w);
  size_t i, n = json_array_size(voices);
  const json_t *v;
  json_array_foreach(voices, i, v) {
    size_t idx;
    double at, vol;
    if (!json_is_object(v)) return vsc_op_fail(a->err, VSC_FAIL_INPUT, "%svoices[%zu]: expected an object", w, i);
    if (comp_get_input(v, "input", a->ninputs, &idx, a->err, w) < 0 || comp_get_num(v, "at", 0, &at, a->err, w) < 0 ||
        comp_get_num(v, "volume", 0, &vol, a->err, w) < 0)
      return -1;
    if (at < 0) return vsc_op_fail(a->err, VSC_FAIL_INPUT, "%svoices[%zu].at is negative", w, i);
    vsc_media_info info;
    char what[32];
    snprintf(what, sizeof what, "voices[%zu]", i);
    if (probe_audio(a, idx, what, &info) < 0) return -1;
    if (!info.has_audio)
      return vsc_op_fail(a->err, VSC_FAIL_INPUT, "%svoice '%s' has no audio stream", w, a->inputs[idx]);
    vsc_buf_printf(sb, "amovie=");
    comp_add_filter_arg(sb, a->inputs[idx]);
    vsc_buf_printf(sb, ",asetpts=PTS-STARTPTS");
    norm_chain(sb, a->sr, vol);
    long long delay = llround(at * a->sr);
    if (delay > 0) vsc_buf_printf(sb, ",adelay=delays=%lldS:all=1", delay);
    vsc_buf_printf(sb, ",apad[v%zu];", i);
  }
  if (n == 0) return 0;
  for (i = 0; i < n; i++) vsc_buf_printf(sb, "[v%zu]", i);
  if (n == 1)
    vsc_buf_printf(sb, "anull[vm];");
  else
    vsc_buf_printf(sb, "amix=inputs=%zu:normalize=0:duration=longest[vm];", n);
  return (int)n;
}

/* Appends the clips' own sound as "[c0]".."[cN-1]"; returns how many were used. */
static int clip_chains(actx *a, const json_t *clips, vsc_buf *sb) {
  const char *w = a->where;
  if (!clips || json_is_null(clips)) return 0;
  if (!json_is_array(clips)) return vsc_op_fail(a->err, VSC_FAIL_INPUT, "%sparam 'clips': expected an array", w);
  size_t i;
  int used = 0;
  const json_t *c;
  json_array_foreach(clips, i, c) {
    size_t idx;
    double at, off, dur, vol;
    if (!json_is_object(c)) return vsc_op_fail(a->err, VSC_FAIL_INPUT, "%sclips[%zu]: expected an object", w, i);
    if (comp_get_input(c, "input", a->ninputs, &idx, a->err, w) < 0 || comp_get_num(c, "at", 0, &at, a->err, w) < 0 ||
        comp_get_num(c, "offset", 0, &off, a->err, w) < 0 || comp_get_num(c, "duration", 0, &dur, a->err, w) < 0 ||
        comp_get_num(c, "volume", 0, &vol, a->err, w) < 0)
      return -1;
    if (at < 0 || off < 0 || dur < 0)
      return vsc_op_fail(a->err, VSC_FAIL_INPUT, "%sclips[%zu]: at, offset and duration must not be negative", w, i);
    vsc_media_info info;
    char what[32];
    snprintf(what, sizeof what, "clips[%zu]", i);
    if (probe_audio(a, idx, what, &info) < 0) return -1;
    if (!info.has_audio || (info.duration > 0 && off >= info.duration)) {
      /* A generated clip often has no sound: keep going without it. */
      if (!a->quiet)
        comp_warn(a->err, "%sclip '%s' has no audio %s; its sound is left out", w, a->inputs[idx],
                  info.has_audio ? "after the offset" : "stream");
      continue;
    }
    vsc_buf_printf(sb, "amovie=");
    comp_add_filter_arg(sb, a->inputs[idx]);
    if (off > 0) vsc_buf_printf(sb, ":sp=%.6f", off);
    vsc_buf_printf(sb, ",atrim=start=%.6f", off + info.start_time);
    if (dur > 0) vsc_buf_printf(sb, ":duration=%.6f", dur);
    vsc_buf_printf(sb, ",asetpts=PTS-STARTPTS");
    norm_chain(sb, a->sr, vol);
    long long delay = llround(at * a->sr);
    if (delay > 0) vsc_buf_printf(sb, ",adelay=delays=%lldS:all=1", delay);
    vsc_buf_printf(sb, ",apad[c%d];", used);
    used++;
  }
  return used;
}

/* Builds the mix into `sb`, ending in "[aout]" after `tail` (a filter chain, or "anull"). */
static int build_audio_graph(actx *a, vsc_buf *sb, const char *tail) {
  const char *w = a->where;
  const json_t *music = json_object_get(a->p, "music");
  const json_t *duck = json_object_get(a->p, "duck");
  int has_music = music && !json_is_null(music);
  if (has_music && music_chain(a, music, sb) < 0) return -1;
  int nv = voice_chains(a, json_object_get(a->p, "voices"), sb);
  if (nv < 0) return -1;
  int nc = clip_chains(a, json_object_get(a->p, "clips"), sb);
  if (nc < 0) return -1;
  int parts = 0;
  if (has_music && nv > 0 && duck && !json_is_null(duck)) {
    double amount;
    if (!json_is_object(duck)) return vsc_op_fail(a->err, VSC_FAIL_INPUT, "%sparam 'duck': expected an object", w);
    if (comp_get_num(duck, "amount", -12.0, &amount, a->err, w) < 0) return -1;
    amount = fabs(amount);
    /* A compressor keyed by the voices: at the reference speech level the music drops by
       about `amount` dB (threshold = level - amount / (1 - 1/ratio)). */
    double thr_db = DUCK_REF_LEVEL - amount / (1.0 - 1.0 / DUCK_RATIO);
    double thr = pow(10.0, thr_db / 20.0);
    if (thr < 0.000976563) thr = 0.000976563;
    if (thr > 1) thr = 1;
    vsc_buf_printf(sb, "[vm]asplit=2[vmix][vkey];[m][vkey]sidechaincompress=threshold=%.6f:ratio=%.1f:attack=20:"
                       "release=400:makeup=1:detection=rms[md];",
                   thr, DUCK_RATIO);
    vsc_buf_printf(sb, "[md][vmix]");
    parts = 2;
  } else {
    if (has_music) vsc_buf_printf(sb, "[m]"), parts++;
    if (nv > 0) vsc_buf_printf(sb, "[vm]"), parts++;
  }
  for (int i = 0; i < nc; i++) vsc_buf_printf(sb, "[c%d]", i), parts++;
  if (parts == 0)
    vsc_buf_printf(sb, "anullsrc=r=%d:cl=stereo,%s[aout]", a->sr, tail);
  else if (parts == 1)
    vsc_buf_printf(sb, "%s[aout]", tail);
  else
    vsc_buf_printf(sb, "amix=inputs=%d:normalize=0:duration=longest,%s[aout]", parts, tail);
  return 0;
}

/* Renders the sound track with its loudness gain and a true-peak limiter (the limiter sees
 * the signal oversampled 4x, so it catches the peaks between samples), then measures the
 * encoded file with ebur128 as a player would decode it: the AAC encoder and the resampler
 * can still overshoot a little, and limiting lowers the loudness, so the gain and the limit
 * are corrected from the measurement and the track rendered again, a few times at most.
 * The ceiling is a promise: a track still above it fails; a loudness off by more than
 * DELIVER_LOUDNESS_TOL after the last pass is a warning. */
#define TP_PASSES 4
#define DELIVER_LOUDNESS_TOL 0.5
static int true_peak_passes(actx *a, comp_job *job, double gain, double target, double ceiling, const char *out_path) {
  const char *where = a->where;
  double limit = ceiling - 0.3; /* dBTP the limiter holds; lowered by what the file overshoots */
  double loud = -70, peak = 0;
  vsc_op_error rerr = {0};
  for (int pass = 0; pass < TP_PASSES; pass++) {
    char tail[200];
    snprintf(tail, sizeof tail,
             "volume=%.3fdB,aresample=%d,alimiter=limit=%.5f:level=0:latency=1:attack=2:release=50,aresample=%d", gain,
             4 * a->sr, pow(10, limit / 20), a->sr);
    vsc_buf g = {0};
    int ret = build_audio_graph(a, &g, tail);
    if (ret == 0) {
      job->graph = g.s;
      job->kind = COMP_OUT_M4A;
      job->loudness = NULL;
      job->true_peak = NULL;
      job->out_path = out_path;
      ret = comp_run(job, &rerr);
      if (ret < 0) vsc_op_fail(a->err, rerr.kind, "%saudio: %s", where, rerr.msg);
    }
    vsc_buf_free(&g);
    if (ret < 0) return -1;
    /* Measure what was written. */
    vsc_buf m = {0};
    vsc_buf_printf(&m, "amovie=");
    comp_add_filter_arg(&m, out_path);
    vsc_buf_printf(&m, "[aout]");
    job->graph = m.s;
    job->kind = COMP_OUT_NONE;
    job->out_path = NULL;
    job->loudness = &loud;
    job->true_peak = &peak;
    ret = comp_run(job, &rerr);
    job->loudness = NULL;
    job->true_peak = NULL;
    vsc_buf_free(&m);
    if (ret < 0) return vsc_op_fail(a->err, rerr.kind, "%saudio: measuring the track: %s", where, rerr.msg);
    bool peak_ok = peak <= ceiling, loud_ok = !target || loud < -69.0 || fabs(loud - target) <= DELIVER_LOUDNESS_TOL;
    if (peak_ok && loud_ok) return 0;
    if (!peak_ok) limit -= peak - ceiling + 0.1;
    if (!loud_ok && loud > -69.0) gain += target - loud;
  }
  if (peak > ceiling) {
    unlink(out_path);
    return vsc_op_fail(a->err, VSC_FAIL_LOCAL, "%saudio: the true peak stays at %.2f dBTP, above the %.2f dBTP ceiling",
                       where, peak, ceiling);
  }
  if (a->err)
    snprintf(a->err->msg, sizeof a->err->msg, "%saudio: integrated loudness %.1f LUFS, %.1f LU off the %.1f LUFS target",
             where, loud, fabs(loud - target), target);
  return 0;
}

int vsc_comp_audio(const json_t *node, const char *const *inputs, size_t ninputs, const char *out_path,
                   vsc_op_error *err) {
  char where[300];
  if (err) {
    err->kind = VSC_FAIL_NONE;
    err->retry_after = 0;
    err->msg[0] = 0;
  }
  comp_node_where(node, where, sizeof where);
  const json_t *p = json_object_get(node, "params");
  if (!json_is_object(p)) return vsc_op_fail(err, VSC_FAIL_INPUT, "%saudio: params missing", where);
  actx a = {p, inputs, ninputs, 48000, 0, where, err, 0};
  long long sr;
  if (comp_get_num(p, "length", 0, &a.length, err, where) < 0 || comp_get_int(p, "sample_rate", 48000, &sr, err, where) < 0)
    return -1;
  if (!(a.length > 0) || a.length > 24 * 3600)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%saudio: length %g s out of range", where, a.length);
  if (sr < 8000 || sr > 192000) return vsc_op_fail(err, VSC_FAIL_INPUT, "%saudio: sample rate %lld out of range", where, sr);
  a.sr = (int)sr;
  const json_t *jl = json_object_get(p, "loudness");
  double target = 0;
  int normalise = jl && !json_is_null(jl);
  if (normalise && comp_get_num(p, "loudness", -14.0, &target, err, where) < 0) return -1;
  if (normalise && (target < -70 || target > 0))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%saudio: loudness target %g LUFS out of range", where, target);

  const json_t *jt = json_object_get(p, "true_peak");
  int ceiling = jt && !json_is_null(jt);
  double true_peak = 0;
  long long abr;
  if (ceiling && comp_get_num(p, "true_peak", -1.0, &true_peak, err, where) < 0) return -1;
  if (ceiling && (true_peak < -20 || true_peak > 0))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%saudio: true-peak ceiling %g dBTP out of range", where, true_peak);
  if (comp_get_int(p, "bitrate", 192000, &abr, err, where) < 0) return -1;
  if (abr < 32000 || abr > 512000)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%saudio: bitrate %lld out of range 32000..512000", where, abr);

  vsc_encode_opts enc = VSC_ENCODE_OPTS_INIT;
  enc.format = "m4a";
  enc.sample_rate = a.sr;
  enc.audio_bitrate = (int)abr;
  comp_job job;
  memset(&job, 0, sizeof job);
  job.enc = &enc;
  job.duration = a.length;
  job.width = job.height = 16; /* unused: audio only */
  job.fps = 100;
  vsc_op_error rerr = {0};
  char tail[200] = "anull";
  double gain = 0;
  if (normalise) {
    /* Pass 1: measure the integrated loudness of the mix. */
    vsc_buf g = {0};
    double measured = -70.0;
    int ret = build_audio_graph(&a, &g, "anull");
    if (ret == 0) {
      job.graph = g.s;
      job.kind = COMP_OUT_NONE;
      job.loudness = &measured;
      ret = comp_run(&job, &rerr);
      if (ret < 0) vsc_op_fail(err, rerr.kind, "%saudio: %s", where, rerr.msg);
    }
    vsc_buf_free(&g);
    if (ret < 0) return -1;
    /* Silence (below the absolute gate) gets no gain. */
    if (measured > -69.0) {
      gain = target - measured;
      if (gain > 40) gain = 40;
      snprintf(tail, sizeof tail, "volume=%.3fdB,alimiter=limit=%.3f:level=0:latency=1:attack=5:release=50", gain,
               LIMIT_LINEAR);
    }
    a.quiet = 1;
  }
  if (ceiling) return true_peak_passes(&a, &job, normalise ? gain : 0, normalise ? target : 0, true_peak, out_path);
  vsc_buf g = {0};
  int ret = build_audio_graph(&a, &g, tail);
  if (ret == 0) {
    job.graph = g.s;
    job.kind = COMP_OUT_M4A;
    job.loudness = NULL;
    job.out_path = out_path;
    ret = comp_run(&job, &rerr);
    if (ret < 0) vsc_op_fail(err, rerr.kind, "%saudio: %s", where, rerr.msg);
  }
  vsc_buf_free(&g);
  return ret;
}
