/*
** The graph renderer: runs one libavfilter graph (with its own sources) through the
** encoders into an MP4, PNG, WAV or M4A file, one frame at a time. Everything the
** compositor produces goes through here, so the bit-exactness flags, the exact frame and
** sample counts and the closed-GOP encoder settings live in one place.
*/
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/cpu.h>
#include <libavutil/dict.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/samplefmt.h>

#include "comp.h"
#include "vsc/vsc_clock.h"

/* Everything one render owns; freed by rctx_free. */
typedef struct {
  comp_job *job;
  AVFilterGraph *graph;
  AVFilterContext *vsink, *asink;     /* NULL when the graph has no such output */
  AVFilterContext *src[COMP_MAX_SRC]; /* the buffer filters of job->src */
  AVFormatContext *oc;                /* NULL for png and loudness measurement */
  int oc_header;                      /* the header was written: a trailer is due */
  AVCodecContext *venc, *aenc;
  AVStream *vst, *ast;
  AVFrame *frame; /* scratch */
  AVFrame *last;  /* the last video frame, for freeze-extension */
  AVPacket *pkt;
  FILE *png; /* png output */
  int png_written;
  double loudness; /* last integrated loudness seen (measurement) */
  double peak;     /* highest true peak seen, linear (measurement with job->true_peak) */
} rctx;

int comp_out_kind_from(const char *format, const char *path, comp_out_kind *kind) {
  const char *ext = format;
  if (!ext) {
    const char *dot = path ? strrchr(path, '.') : NULL;
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!dot || (slash && dot < slash)) return -1;
    ext = dot + 1;
  }
  if (!strcasecmp(ext, "mp4") || !strcasecmp(ext, "m4v") || !strcasecmp(ext, "mov"))
    *kind = COMP_OUT_MP4;
  else if (!strcasecmp(ext, "png"))
    *kind = COMP_OUT_PNG;
  else if (!strcasecmp(ext, "wav"))
    *kind = COMP_OUT_WAV;
  else if (!strcasecmp(ext, "m4a"))
    *kind = COMP_OUT_M4A;
  else
    return -1;
  return 0;
}

static void rctx_free(rctx *r) {
  if (r->oc) {
    if (r->oc->pb) avio_closep(&r->oc->pb);
    avformat_free_context(r->oc);
  }
  avcodec_free_context(&r->venc);
  avcodec_free_context(&r->aenc);
  avfilter_graph_free(&r->graph);
  av_frame_free(&r->frame);
  av_frame_free(&r->last);
  av_packet_free(&r->pkt);
  if (r->png) fclose(r->png);
}

/* Appends filter `name` (args may be NULL) after (*cur, *pad) and makes it current. */
static int chain(AVFilterGraph *g, AVFilterContext **cur, int *pad, const char *name,
                 const char *args, vsc_op_error *err) {
  const AVFilter *f = avfilter_get_by_name(name);
  if (!f) return vsc_op_fail(err, VSC_FAIL_LOCAL, "libavfilter lacks the '%s' filter", name);
  AVFilterContext *c = NULL;
  int ret = avfilter_graph_create_filter(&c, f, NULL, args, NULL, g);
  if (ret >= 0) ret = avfilter_link(*cur, (unsigned)*pad, c, 0);
  if (ret < 0) return comp_fail_av(err, VSC_FAIL_INPUT, ret, "cannot add filter %s=%s", name, args ? args : "");
  *cur = c;
  *pad = 0;
  return 0;
}

static int build_graph(rctx *r, vsc_op_error *err) {
  comp_job *job = r->job;
  const vsc_encode_opts *enc = job->enc;
  AVFilterInOut *ins = NULL, *outs = NULL;
  int ret = 0;
  char args[256];

  r->graph = avfilter_graph_alloc();
  if (!r->graph) return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
  r->graph->nb_threads = enc->threads;
  ret = avfilter_graph_parse2(r->graph, job->graph, &ins, &outs);
  if (ret < 0) {
    ret = comp_fail_av(err, VSC_FAIL_INPUT, ret, "invalid filter graph");
    goto done;
  }
  if (ins) {
    ret = vsc_op_fail(err, VSC_FAIL_INPUT, "filter graph has an unconnected input%s%s%s",
                      ins->name ? " '" : "", ins->name ? ins->name : "", ins->name ? "'" : "");
    goto done;
  }
  int want_video = job->kind == COMP_OUT_MP4 || job->kind == COMP_OUT_PNG;
  for (AVFilterInOut *o = outs; o; o = o->next) {
    AVFilterContext *cur = o->filter_ctx;
    int pad = o->pad_idx;
    if (o->name && !strcmp(o->name, "vout")) {
      if (!want_video) {
        ret = vsc_op_fail(err, VSC_FAIL_INPUT, "filter graph has [vout] but the output is audio only");
        goto done;
      }
      if (avfilter_pad_get_type(cur->output_pads, pad) != AVMEDIA_TYPE_VIDEO) {
        ret = vsc_op_fail(err, VSC_FAIL_INPUT, "filter graph output [vout] is not video");
        goto done;
      }
      const char *pix = job->kind == COMP_OUT_PNG ? "rgb24" : enc->pix_fmt;
      snprintf(args, sizeof args, "fps=%d", job->fps);
      if ((ret = chain(r->graph, &cur, &pad, "fps", args, err)) < 0) goto done;
      snprintf(args, sizeof args, "w=%d:h=%d:flags=bicubic", job->width, job->height);
      if ((ret = chain(r->graph, &cur, &pad, "scale", args, err)) < 0) goto done;
      if ((ret = chain(r->graph, &cur, &pad, "setsar", "1", err)) < 0) goto done;
      snprintf(args, sizeof args, "pix_fmts=%s", pix);
      if ((ret = chain(r->graph, &cur, &pad, "format", args, err)) < 0) goto done;
      if ((ret = chain(r->graph, &cur, &pad, "buffersink", NULL, err)) < 0) goto done;
      r->vsink = cur;
    } else if (o->name && !strcmp(o->name, "aout")) {
      if (avfilter_pad_get_type(cur->output_pads, pad) != AVMEDIA_TYPE_AUDIO) {
        ret = vsc_op_fail(err, VSC_FAIL_INPUT, "filter graph output [aout] is not audio");
        goto done;
      }
      if (job->kind == COMP_OUT_PNG) {
        /* A still has no sound: drain the audio into a sink nobody reads. */
        if ((ret = chain(r->graph, &cur, &pad, "anullsink", NULL, err)) < 0) goto done;
        continue;
      }
      /* Endless silence after the sound ends: the encoder then only ever sees whole frames
         until the cut at the exact length (AAC rejects a short frame that is not the last). */
      if ((ret = chain(r->graph, &cur, &pad, "apad", NULL, err)) < 0) goto done;
      snprintf(args, sizeof args, "%d", enc->sample_rate);
      if ((ret = chain(r->graph, &cur, &pad, "aresample", args, err)) < 0) goto done;
      if (job->kind == COMP_OUT_NONE &&
          (ret = chain(r->graph, &cur, &pad, "ebur128", job->true_peak ? "metadata=1:peak=true" : "metadata=1", err)) < 0)
        goto done;
      snprintf(args, sizeof args, "sample_fmts=%s:sample_rates=%d:channel_layouts=stereo",
               job->kind == COMP_OUT_WAV ? "s16" : "fltp", enc->sample_rate);
      if ((ret = chain(r->graph, &cur, &pad, "aformat", args, err)) < 0) goto done;
      if ((ret = chain(r->graph, &cur, &pad, "abuffersink", NULL, err)) < 0) goto done;
      r->asink = cur;
    } else {
      ret = vsc_op_fail(err, VSC_FAIL_INPUT, "filter graph has an unconnected output%s%s%s (label it [vout] or [aout])",
                        o->name ? " '" : "", o->name ? o->name : "", o->name ? "'" : "");
      goto done;
    }
  }
  if (want_video && !r->vsink) {
    ret = vsc_op_fail(err, VSC_FAIL_INPUT, "filter graph has no [vout] output");
    goto done;
  }
  if (!want_video && !r->asink) {
    ret = vsc_op_fail(err, VSC_FAIL_INPUT, "filter graph has no [aout] output");
    goto done;
  }
  for (int i = 0; i < job->nsrc; i++) {
    char name[64];
    snprintf(name, sizeof name, "buffer@%s", job->src_name[i]);
    for (unsigned k = 0; k < r->graph->nb_filters && !r->src[i]; k++) {
      const char *fname = r->graph->filters[k]->name;
      if (fname && (!strcmp(fname, name) || !strcmp(fname, job->src_name[i]))) r->src[i] = r->graph->filters[k];
    }
    if (!r->src[i]) {
      ret = vsc_op_fail(err, VSC_FAIL_LOCAL, "filter graph lacks its clip source %s", name);
      goto done;
    }
  }
  if ((ret = avfilter_graph_config(r->graph, NULL)) < 0) {
    ret = comp_fail_av(err, VSC_FAIL_INPUT, ret, "cannot configure filter graph");
    goto done;
  }
  ret = 0;
done:
  avfilter_inout_free(&ins);
  avfilter_inout_free(&outs);
  return ret < 0 ? -1 : 0;
}

static int open_video_encoder(rctx *r, vsc_op_error *err) {
  comp_job *job = r->job;
  const vsc_encode_opts *enc = job->enc;
  const AVCodec *codec = job->kind == COMP_OUT_PNG ? avcodec_find_encoder(AV_CODEC_ID_PNG)
                                                   : avcodec_find_encoder_by_name(enc->codec);
  if (!codec) return vsc_op_fail(err, VSC_FAIL_INPUT, "unknown video encoder '%s'", enc->codec);
  AVCodecContext *c = r->venc = avcodec_alloc_context3(codec);
  if (!c) return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
  c->width = job->width;
  c->height = job->height;
  c->pix_fmt = r->vsink ? av_buffersink_get_format(r->vsink) : AV_PIX_FMT_YUV420P;
  c->sample_aspect_ratio = (AVRational){1, 1};
  c->time_base = (AVRational){1, job->fps};
  c->framerate = (AVRational){job->fps, 1};
  c->flags |= AV_CODEC_FLAG_BITEXACT;
  c->thread_count = enc->threads;
  if (job->kind == COMP_OUT_MP4) {
    c->gop_size = enc->gop > 0 ? enc->gop : 2 * job->fps;
    c->flags |= AV_CODEC_FLAG_CLOSED_GOP;
    if (r->oc->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (!strcmp(codec->name, "libx264") || !strcmp(codec->name, "libx265")) {
      av_opt_set(c->priv_data, "preset", enc->preset, 0);
      if (enc->bitrate > 0) c->bit_rate = enc->bitrate; /* an average target instead of a quality */
      else av_opt_set_double(c->priv_data, "crf", enc->crf, 0);
      char x264_params[160] = "";
      if (enc->profile) {
        av_opt_set(c->priv_data, "profile", enc->profile, 0);
        /* x264 signals the lowest profile its tools need: the fastest presets drop the tools
           that make a stream High (8x8 transform) or Main (CABAC), so ask for them. */
        if (!strcmp(enc->profile, "high")) snprintf(x264_params, sizeof x264_params, "8x8dct=1:cabac=1");
        else if (!strcmp(enc->profile, "main")) snprintf(x264_params, sizeof x264_params, "cabac=1");
      }
      /* x264's AVX-512 code (0.164) now and then codes the same frames to other bytes on one
         thread, seen under load; the AVX2 set it falls back to encodes as fast (5.7 CPU-s for
         8 s of 720p either way), and the same graph must give the same bytes. */
      if (!strcmp(codec->name, "libx264") && (av_get_cpu_flags() & AV_CPU_FLAG_AVX512))
        snprintf(x264_params + strlen(x264_params), sizeof x264_params - strlen(x264_params),
                 "%sasm=MMX2,SSE2Fast,SSSE3,SSE4.2,AVX,FMA3,BMI2,AVX2", x264_params[0] ? ":" : "");
      if (x264_params[0]) av_opt_set(c->priv_data, "x264-params", x264_params, 0);
      if (enc->level) av_opt_set(c->priv_data, "level", enc->level, 0);
    }
    if (enc->maxrate > 0) {
      c->rc_max_rate = enc->maxrate;
      c->rc_buffer_size = (int)(enc->bufsize > 0 ? enc->bufsize : 2 * enc->maxrate);
      /* Every segment (and chunk) is its own encode, joined by stream copy: each assumes the
         decoder's buffer half full at its start rather than x264's 90 %, so the bursts at the
         starts add less to the whole file's rate. */
      c->rc_initial_buffer_occupancy = c->rc_buffer_size / 2;
    }
  }
  int ret = avcodec_open2(c, codec, NULL);
  if (ret < 0) return comp_fail_av(err, VSC_FAIL_LOCAL, ret, "cannot open the %s encoder", codec->name);
  if (r->oc) {
    r->vst = avformat_new_stream(r->oc, NULL);
    if (!r->vst) return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
    r->vst->time_base = c->time_base;
    r->vst->avg_frame_rate = c->framerate;
    r->vst->sample_aspect_ratio = c->sample_aspect_ratio;
    if ((ret = avcodec_parameters_from_context(r->vst->codecpar, c)) < 0)
      return comp_fail_av(err, VSC_FAIL_LOCAL, ret, "encoder parameters");
  }
  return 0;
}

static int open_audio_encoder(rctx *r, vsc_op_error *err) {
  comp_job *job = r->job;
  const vsc_encode_opts *enc = job->enc;
  int wav = job->kind == COMP_OUT_WAV;
  const AVCodec *codec = avcodec_find_encoder(wav ? AV_CODEC_ID_PCM_S16LE : AV_CODEC_ID_AAC);
  if (!codec) return vsc_op_fail(err, VSC_FAIL_LOCAL, "no %s encoder", wav ? "pcm_s16le" : "aac");
  AVCodecContext *c = r->aenc = avcodec_alloc_context3(codec);
  if (!c) return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
  c->sample_fmt = av_buffersink_get_format(r->asink);
  c->sample_rate = enc->sample_rate;
  AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
  av_channel_layout_copy(&c->ch_layout, &stereo);
  c->time_base = (AVRational){1, enc->sample_rate};
  c->flags |= AV_CODEC_FLAG_BITEXACT;
  if (!wav) c->bit_rate = enc->audio_bitrate;
  if (r->oc->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  int ret = avcodec_open2(c, codec, NULL);
  if (ret < 0) return comp_fail_av(err, VSC_FAIL_LOCAL, ret, "cannot open the %s encoder", codec->name);
  if (c->frame_size > 0) av_buffersink_set_frame_size(r->asink, (unsigned)c->frame_size);
  r->ast = avformat_new_stream(r->oc, NULL);
  if (!r->ast) return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
  r->ast->time_base = c->time_base;
  if ((ret = avcodec_parameters_from_context(r->ast->codecpar, c)) < 0)
    return comp_fail_av(err, VSC_FAIL_LOCAL, ret, "encoder parameters");
  return 0;
}

static int open_output(rctx *r, vsc_op_error *err) {
  comp_job *job = r->job;
  int ret;
  if (job->kind == COMP_OUT_NONE) return 0;
  if (job->kind == COMP_OUT_PNG) {
    if (open_video_encoder(r, err) < 0) return -1;
    r->png = fopen(job->out_path, "wb");
    if (!r->png) return vsc_op_fail(err, VSC_FAIL_LOCAL, "cannot write %s: %s", job->out_path, strerror(errno));
    return 0;
  }
  const char *fmt = job->kind == COMP_OUT_MP4 ? "mp4" : job->kind == COMP_OUT_M4A ? "ipod"
                                                                                  : "wav";
  ret = avformat_alloc_output_context2(&r->oc, NULL, fmt, job->out_path);
  if (ret < 0 || !r->oc) return comp_fail_av(err, VSC_FAIL_LOCAL, ret, "cannot create a %s muxer", fmt);
  r->oc->flags |= AVFMT_FLAG_BITEXACT;
  if ((r->vsink || job->video_gen) && open_video_encoder(r, err) < 0) return -1;
  if (r->asink && open_audio_encoder(r, err) < 0) return -1;
  if ((ret = avio_open(&r->oc->pb, job->out_path, AVIO_FLAG_WRITE)) < 0)
    return comp_fail_av(err, VSC_FAIL_LOCAL, ret, "cannot write %s", job->out_path);
  AVDictionary *opts = NULL;
  if (job->enc->faststart && job->kind != COMP_OUT_WAV) av_dict_set(&opts, "movflags", "+faststart", 0);
  ret = avformat_write_header(r->oc, &opts);
  av_dict_free(&opts);
  if (ret < 0) return comp_fail_av(err, VSC_FAIL_LOCAL, ret, "cannot write the %s header", fmt);
  r->oc_header = 1;
  return 0;
}

/* Sends `f` (NULL = flush) to encoder `c` and writes every packet it returns. */
static int encode(rctx *r, AVCodecContext *c, AVStream *st, AVFrame *f, vsc_op_error *err) {
  int ret = avcodec_send_frame(c, f);
  if (ret < 0) return comp_fail_av(err, VSC_FAIL_LOCAL, ret, "%s encoder", c->codec->name);
  for (;;) {
    ret = avcodec_receive_packet(c, r->pkt);
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return 0;
    if (ret < 0) return comp_fail_av(err, VSC_FAIL_LOCAL, ret, "%s encoder", c->codec->name);
    if (r->png) {
      if (!r->png_written && fwrite(r->pkt->data, 1, (size_t)r->pkt->size, r->png) != (size_t)r->pkt->size) {
        av_packet_unref(r->pkt);
        return vsc_op_fail(err, VSC_FAIL_LOCAL, "cannot write %s: %s", r->job->out_path, strerror(errno));
      }
      r->png_written = 1;
      av_packet_unref(r->pkt);
      continue;
    }
    /* Constant frame rate: every picture lasts exactly one tick of 1/fps. */
    if (c->codec_type == AVMEDIA_TYPE_VIDEO && r->pkt->duration <= 0) r->pkt->duration = 1;
    av_packet_rescale_ts(r->pkt, c->time_base, st->time_base);
    r->pkt->stream_index = st->index;
    ret = av_interleaved_write_frame(r->oc, r->pkt);
    if (ret < 0) return comp_fail_av(err, VSC_FAIL_LOCAL, ret, "cannot write %s", r->job->out_path);
  }
}

static int emit_video(rctx *r, AVFrame *f, int64_t index, vsc_op_error *err) {
  f->pts = index;
  f->pict_type = AV_PICTURE_TYPE_NONE; /* the encoder alone decides keyframes */
  return encode(r, r->venc, r->vst, f, err);
}

/* The graph waits for a clip picture: gives one to each clip source it asked, or to the
** first one still running. 0, or -1 (err set) also when no source can give any more. */
static int feed_sources(rctx *r, int64_t n, vsc_op_error *err) {
  comp_job *job = r->job;
  int fed = 0;
  for (int pass = 0; pass < 2 && !fed; pass++)
    for (int i = 0; i < job->nsrc; i++) {
      if (comp_clipsrc_ended(job->src[i])) continue;
      if (pass == 0 && av_buffersrc_get_nb_failed_requests(r->src[i]) == 0) continue;
      if (comp_clipsrc_feed(job->src[i], r->src[i], err) < 0) {
        job->stage = COMP_STAGE_RUN;
        return -1;
      }
      fed = 1;
      if (pass == 1) break;
    }
  if (!fed) {
    job->stage = COMP_STAGE_RUN;
    return vsc_op_fail(err, VSC_FAIL_LOCAL, "filter graph stalled at video frame %lld", (long long)n);
  }
  return 0;
}

/* Pulls, encodes or pads the next video frame. */
static int step_video(rctx *r, int64_t *n, int *eof, vsc_op_error *err) {
  int ret;
  if (r->job->video_gen) {
    AVFrame *f = r->frame;
    f->width = r->job->width;
    f->height = r->job->height;
    f->format = AV_PIX_FMT_YUV420P;
    /* A fresh buffer per picture: an encoder may keep a reference to the previous one. */
    if ((ret = av_frame_get_buffer(f, 0)) < 0) return comp_fail_av(err, VSC_FAIL_LOCAL, ret, "frame");
    if (r->job->video_gen(r->job->gen_ud, *n, f, err) < 0) {
      av_frame_unref(f);
      return -1;
    }
    ret = emit_video(r, f, *n, err);
    av_frame_unref(f);
    (*n)++;
    return ret;
  }
  if (!*eof) {
    while ((ret = av_buffersink_get_frame(r->vsink, r->frame)) == AVERROR(EAGAIN) && r->job->nsrc > 0)
      if (feed_sources(r, *n, err) < 0) return -1;
    if (ret == AVERROR_EOF) {
      *eof = 1;
    } else if (ret < 0) {
      r->job->stage = COMP_STAGE_RUN;
      return comp_fail_av(err, VSC_FAIL_INPUT, ret, "filter graph failed at video frame %lld", (long long)*n);
    } else {
      if ((ret = emit_video(r, r->frame, *n, err)) < 0) return ret;
      av_frame_unref(r->last);
      av_frame_move_ref(r->last, r->frame);
      (*n)++;
      return 0;
    }
  }
  /* The graph ended early: freeze on its last picture. */
  if (!r->last->buf[0]) {
    r->job->stage = COMP_STAGE_RUN;
    return vsc_op_fail(err, VSC_FAIL_INPUT, "filter graph produced no video frames%s%s",
                       vsc_av_log_last()[0] ? ": " : "", vsc_av_log_last());
  }
  if ((ret = av_frame_ref(r->frame, r->last)) < 0) return comp_fail_av(err, VSC_FAIL_LOCAL, ret, "frame");
  ret = emit_video(r, r->frame, *n, err);
  av_frame_unref(r->frame);
  (*n)++;
  return ret;
}

static void read_loudness(rctx *r, const AVFrame *f) {
  AVDictionaryEntry *e = av_dict_get(f->metadata, "lavfi.r128.I", NULL, 0);
  if (e) r->loudness = strtod(e->value, NULL);
  for (int ch = 0; r->job->true_peak && ch < 8; ch++) {
    char key[48];
    snprintf(key, sizeof key, "lavfi.r128.true_peaks_ch%d", ch);
    if (!(e = av_dict_get(f->metadata, key, NULL, 0))) break;
    double peak = strtod(e->value, NULL);
    if (peak > r->peak) r->peak = peak;
  }
}

/* Pulls, encodes (or measures) or pads the next audio frame, never past `target` samples. */
static int step_audio(rctx *r, int64_t *n, int64_t target, int *eof, vsc_op_error *err) {
  int ret;
  AVFrame *f = r->frame;
  if (!*eof) {
    ret = av_buffersink_get_frame(r->asink, f);
    if (ret == AVERROR_EOF) {
      *eof = 1;
    } else if (ret < 0) {
      r->job->stage = COMP_STAGE_RUN;
      return comp_fail_av(err, VSC_FAIL_INPUT, ret, "filter graph failed at audio sample %lld", (long long)*n);
    }
  }
  if (*eof) {
    /* Defensive: apad keeps the graph going, but an ended graph still yields the exact length. */
    int size = r->aenc && r->aenc->frame_size > 0 ? r->aenc->frame_size : 1024;
    f->nb_samples = (int)(target - *n < size ? target - *n : size);
    f->format = av_buffersink_get_format(r->asink);
    f->sample_rate = av_buffersink_get_sample_rate(r->asink);
    if ((ret = av_buffersink_get_ch_layout(r->asink, &f->ch_layout)) < 0 ||
        (ret = av_frame_get_buffer(f, 0)) < 0)
      return comp_fail_av(err, VSC_FAIL_LOCAL, ret, "audio frame");
    av_samples_set_silence(f->extended_data, 0, f->nb_samples, f->ch_layout.nb_channels, f->format);
  }
  if (*n + f->nb_samples > target) f->nb_samples = (int)(target - *n);
  f->pts = *n;
  *n += f->nb_samples;
  if (r->job->kind == COMP_OUT_NONE) {
    read_loudness(r, f);
    ret = 0;
  } else {
    ret = encode(r, r->aenc, r->ast, f, err);
  }
  av_frame_unref(f);
  return ret;
}

int comp_run(comp_job *job, vsc_op_error *err) {
  double t_start = vsc_clock_now(), t_graph = 0, t_open = 0, t_frames = 0;
  rctx r;
  memset(&r, 0, sizeof r);
  r.job = job;
  r.loudness = -70.0;
  job->stage = COMP_STAGE_OK;
  vsc_av_log_init();
  vsc_av_log_clear();
  int ret = -1;

  int video_out = job->kind == COMP_OUT_MP4 || job->kind == COMP_OUT_PNG;
  if (!(job->duration > 0) || job->duration > 24 * 3600 || job->fps <= 0 || job->fps > 1000 ||
      (video_out && (job->width <= 0 || job->height <= 0 || job->width > 16384 || job->height > 16384))) {
    vsc_op_fail(err, VSC_FAIL_INPUT, "bad render size %dx%d, fps %d or duration %g", job->width, job->height,
                job->fps, job->duration);
    goto done;
  }
  if (job->enc->sample_rate < 8000 || job->enc->sample_rate > 192000 || job->enc->threads < 1) {
    vsc_op_fail(err, VSC_FAIL_INPUT, "bad encoder options (sample rate %d, threads %d)", job->enc->sample_rate,
                job->enc->threads);
    goto done;
  }
  r.frame = av_frame_alloc();
  r.last = av_frame_alloc();
  r.pkt = av_packet_alloc();
  if (!r.frame || !r.last || !r.pkt) {
    vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
    goto done;
  }
  if (!job->video_gen && build_graph(&r, err) < 0) {
    job->stage = COMP_STAGE_CONFIG;
    goto done;
  }
  t_graph = vsc_clock_now();
  if (open_output(&r, err) < 0) goto done;
  t_open = vsc_clock_now();
  for (int i = 0; i < job->nsrc; i++) comp_clipsrc_running(job->src[i]);

  int has_video = r.vsink || job->video_gen;
  int64_t vtarget = !has_video ? 0 : job->kind == COMP_OUT_PNG ? 1
                                                               : comp_frames(job->duration, job->fps);
  int64_t atarget = (r.asink && job->kind != COMP_OUT_PNG) ? (int64_t)llround(job->duration * job->enc->sample_rate) : 0;
  if (has_video && vtarget < 1) vtarget = 1;
  int64_t vn = 0, an = 0;
  int veof = 0, aeof = 0;
  int sr = job->enc->sample_rate;
  while (vn < vtarget || an < atarget) {
    /* Pull from whichever output is behind in time, so neither queue grows. */
    int video = vn < vtarget && (an >= atarget || vn * sr <= an * job->fps);
    if (video ? step_video(&r, &vn, &veof, err) < 0 : step_audio(&r, &an, atarget, &aeof, err) < 0) goto done;
  }
  t_frames = vsc_clock_now();
  if (r.venc && encode(&r, r.venc, r.vst, NULL, err) < 0) goto done;
  if (r.aenc && encode(&r, r.aenc, r.ast, NULL, err) < 0) goto done;
  if (r.oc) {
    int wret = av_write_trailer(r.oc);
    r.oc_header = 0;
    if (wret < 0) {
      comp_fail_av(err, VSC_FAIL_LOCAL, wret, "cannot finish %s", job->out_path);
      goto done;
    }
  }
  if (r.png) {
    if (!r.png_written) {
      vsc_op_fail(err, VSC_FAIL_LOCAL, "the png encoder produced no picture");
      goto done;
    }
    int cret = fclose(r.png);
    r.png = NULL;
    if (cret != 0) {
      vsc_op_fail(err, VSC_FAIL_LOCAL, "cannot write %s: %s", job->out_path, strerror(errno));
      goto done;
    }
  }
  if (job->loudness) *job->loudness = r.loudness;
  if (job->true_peak) *job->true_peak = r.peak > 0 ? 20 * log10(r.peak) : -120.0;
  ret = 0;
  /* Where a render's time goes: graph set-up, encoder start, the frames, the flush. */
  if (getenv("VSC_COMP_TRACE") && job->out_path)
    fprintf(stderr, "vsc: render %s: graph %.3f s, open %.3f s, %lld frames %.3f s, flush %.3f s\n", job->out_path,
            t_graph - t_start, t_open - t_graph, (long long)vn, t_frames - t_open, vsc_clock_now() - t_frames);
done:
  if (r.oc_header) av_write_trailer(r.oc);
  rctx_free(&r);
  if (ret < 0 && job->out_path && job->kind != COMP_OUT_NONE) unlink(job->out_path);
  return ret;
}

int vsc_comp_render(const char *filtergraph, const vsc_encode_opts *enc, double duration, int width, int height,
                    int fps, const char *out_path, vsc_op_error *err) {
  vsc_encode_opts defaults = VSC_ENCODE_OPTS_INIT;
  if (!enc) enc = &defaults;
  if (!filtergraph || !out_path) return vsc_op_fail(err, VSC_FAIL_INPUT, "render: no filter graph or output path");
  comp_job job;
  memset(&job, 0, sizeof job);
  if (comp_out_kind_from(enc->format, out_path, &job.kind) < 0)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "render: cannot tell the output format of '%s' (use .mp4, .png, .wav or .m4a)",
                       enc->format ? enc->format : out_path);
  job.graph = filtergraph;
  job.enc = enc;
  job.duration = duration;
  job.width = width;
  job.height = height;
  job.fps = fps;
  job.out_path = out_path;
  return comp_run(&job, err);
}
