/*
** The `concat` and `mux` ops: stream copy with libavformat, no decoding and no encoding.
** concat joins segments (identical encoder settings, each starting on a keyframe) by
** shifting every segment's timestamps to where the previous one ended; mux puts the
** picture track and the sound track into the deliverable MP4 with faststart.
*/
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/mathematics.h>

#include "comp.h"

static void clear_err(vsc_op_error *err) {
  if (!err) return;
  err->kind = VSC_FAIL_NONE;
  err->retry_after = 0;
  err->msg[0] = 0;
}

/* Opens `path` and returns the index of its first stream of `type`, or -1 with *err set. */
static int open_in(AVFormatContext **ic, const char *path, enum AVMediaType type, const char *where,
                   vsc_op_error *err) {
  vsc_av_log_clear();
  int ret = avformat_open_input(ic, path, NULL, NULL);
  if (ret < 0) return comp_fail_av(err, VSC_FAIL_INPUT, ret, "%scannot open '%s'", where, path);
  for (unsigned i = 0; i < (*ic)->nb_streams; i++)
    if ((*ic)->streams[i]->codecpar->codec_type == type) return (int)i;
  return vsc_op_fail(err, VSC_FAIL_INPUT, "%s'%s' has no %s stream", where, path, av_get_media_type_string(type));
}

static int open_out(AVFormatContext **oc, const char *path, vsc_op_error *err) {
  int ret = avformat_alloc_output_context2(oc, NULL, "mp4", path);
  if (ret < 0 || !*oc) return comp_fail_av(err, VSC_FAIL_LOCAL, ret, "cannot create an mp4 muxer");
  (*oc)->flags |= AVFMT_FLAG_BITEXACT;
  if ((ret = avio_open(&(*oc)->pb, path, AVIO_FLAG_WRITE)) < 0)
    return comp_fail_av(err, VSC_FAIL_LOCAL, ret, "cannot write %s", path);
  return 0;
}

static AVStream *copy_stream(AVFormatContext *oc, const AVStream *ist) {
  AVStream *ost = avformat_new_stream(oc, NULL);
  if (!ost || avcodec_parameters_copy(ost->codecpar, ist->codecpar) < 0) return NULL;
  ost->codecpar->codec_tag = 0;
  ost->time_base = ist->time_base;
  ost->avg_frame_rate = ist->avg_frame_rate;
  ost->sample_aspect_ratio = ist->sample_aspect_ratio;
  return ost;
}

static void close_out(AVFormatContext **oc) {
  if (!*oc) return;
  if ((*oc)->pb) avio_closep(&(*oc)->pb);
  avformat_free_context(*oc);
  *oc = NULL;
}

/* Whether segment `b` can follow segment `a` in one stream without re-encoding. */
static int same_params(const AVCodecParameters *a, const AVCodecParameters *b) {
  return a->codec_id == b->codec_id && a->width == b->width && a->height == b->height && a->format == b->format &&
         a->extradata_size == b->extradata_size &&
         (a->extradata_size == 0 || !memcmp(a->extradata, b->extradata, (size_t)a->extradata_size));
}

int vsc_comp_concat(const json_t *node, const char *const *inputs, size_t ninputs, const char *out_path,
                    vsc_op_error *err) {
  char where[300];
  clear_err(err);
  vsc_av_log_init();
  comp_node_where(node, where, sizeof where);
  const json_t *p = json_object_get(node, "params");
  long long count;
  if (comp_get_int(p, "count", (long long)ninputs, &count, err, where) < 0) return -1;
  if (count != (long long)ninputs)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%sconcat: count %lld but %zu inputs", where, count, ninputs);
  if (ninputs == 0) return vsc_op_fail(err, VSC_FAIL_INPUT, "%sconcat: no segments", where);

  AVFormatContext *oc = NULL, *ic = NULL;
  AVPacket *pkt = av_packet_alloc();
  AVCodecParameters *first = avcodec_parameters_alloc();
  AVStream *ost = NULL;
  int64_t offset = 0; /* where the next segment starts, in ost->time_base */
  int ret = -1, header = 0;
  if (!pkt || !first) {
    vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
    goto done;
  }
  if (open_out(&oc, out_path, err) < 0) goto done;
  for (size_t i = 0; i < ninputs; i++) {
    int si = open_in(&ic, inputs[i], AVMEDIA_TYPE_VIDEO, where, err);
    if (si < 0) goto done;
    AVStream *ist = ic->streams[si];
    if (i == 0) {
      if (!(ost = copy_stream(oc, ist)) || avcodec_parameters_copy(first, ist->codecpar) < 0) {
        vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
        goto done;
      }
      int r = avformat_write_header(oc, NULL);
      if (r < 0) {
        comp_fail_av(err, VSC_FAIL_LOCAL, r, "%sconcat: cannot write the header", where);
        goto done;
      }
      header = 1;
    } else if (!same_params(first, ist->codecpar)) {
      vsc_op_fail(err, VSC_FAIL_INPUT,
                  "%sconcat: segment %zu ('%s') was encoded with other settings than segment 0 (%dx%d %s): "
                  "cannot join by stream copy",
                  where, i, inputs[i], first->width, first->height, avcodec_get_name(first->codec_id));
      goto done;
    }
    int64_t start = AV_NOPTS_VALUE, end = AV_NOPTS_VALUE; /* pts range of this segment, ist tb */
    int npk = 0;
    /* Packets are shifted by `offset - start` (in ost tb); the first packet decides `start`. */
    int64_t shift = 0;
    for (;;) {
      int r = av_read_frame(ic, pkt);
      if (r == AVERROR_EOF) break;
      if (r < 0) {
        comp_fail_av(err, VSC_FAIL_INPUT, r, "%sconcat: cannot read segment %zu ('%s')", where, i, inputs[i]);
        goto done;
      }
      if (pkt->stream_index != si) {
        av_packet_unref(pkt);
        continue;
      }
      if (npk++ == 0) {
        if (!(pkt->flags & AV_PKT_FLAG_KEY)) {
          av_packet_unref(pkt);
          vsc_op_fail(err, VSC_FAIL_INPUT, "%sconcat: segment %zu ('%s') does not start with a keyframe", where, i,
                      inputs[i]);
          goto done;
        }
        start = 0; /* segments start at time 0; their first packet may be a reordered B-frame's dts */
        shift = offset - av_rescale_q(start, ist->time_base, ost->time_base);
      }
      if (pkt->pts != AV_NOPTS_VALUE && (end == AV_NOPTS_VALUE || pkt->pts + pkt->duration > end))
        end = pkt->pts + pkt->duration;
      av_packet_rescale_ts(pkt, ist->time_base, ost->time_base);
      if (pkt->pts != AV_NOPTS_VALUE) pkt->pts += shift;
      if (pkt->dts != AV_NOPTS_VALUE) pkt->dts += shift;
      pkt->stream_index = ost->index;
      pkt->pos = -1;
      r = av_interleaved_write_frame(oc, pkt);
      if (r < 0) {
        comp_fail_av(err, VSC_FAIL_LOCAL, r, "%sconcat: cannot write %s", where, out_path);
        goto done;
      }
    }
    if (npk == 0 || end == AV_NOPTS_VALUE) {
      vsc_op_fail(err, VSC_FAIL_INPUT, "%sconcat: segment %zu ('%s') has no pictures", where, i, inputs[i]);
      goto done;
    }
    offset += av_rescale_q(end - start, ist->time_base, ost->time_base);
    avformat_close_input(&ic);
  }
  header = 0;
  if ((ret = av_write_trailer(oc)) < 0) {
    comp_fail_av(err, VSC_FAIL_LOCAL, ret, "%sconcat: cannot finish %s", where, out_path);
    goto done;
  }
  ret = 0;
done:
  if (header) av_write_trailer(oc);
  avformat_close_input(&ic);
  close_out(&oc);
  av_packet_free(&pkt);
  avcodec_parameters_free(&first);
  return ret < 0 ? -1 : 0;
}

int vsc_comp_mux(const json_t *node, const char *const *inputs, size_t ninputs, const char *out_path,
                 vsc_op_error *err) {
  char where[300];
  clear_err(err);
  vsc_av_log_init();
  comp_node_where(node, where, sizeof where);
  const json_t *p = json_object_get(node, "params");
  int faststart;
  long long max_size;
  if (comp_get_bool(p, "faststart", 1, &faststart, err, where) < 0) return -1;
  if (comp_get_int(p, "max_size", 0, &max_size, err, where) < 0) return -1;
  if (max_size < 0) return vsc_op_fail(err, VSC_FAIL_INPUT, "%smux: max_size %lld is negative", where, max_size);
  if (ninputs != 2) return vsc_op_fail(err, VSC_FAIL_INPUT, "%smux: needs [video, audio] inputs, got %zu", where, ninputs);

  AVFormatContext *in[2] = {NULL, NULL}, *oc = NULL;
  AVPacket *pk[2] = {av_packet_alloc(), av_packet_alloc()};
  AVStream *ost[2] = {NULL, NULL};
  int si[2], have[2] = {0, 0}, eof[2] = {0, 0};
  int ret = -1, header = 0;
  if (!pk[0] || !pk[1]) {
    vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
    goto done;
  }
  for (int k = 0; k < 2; k++) {
    si[k] = open_in(&in[k], inputs[k], k ? AVMEDIA_TYPE_AUDIO : AVMEDIA_TYPE_VIDEO, where, err);
    if (si[k] < 0) goto done;
  }
  if (open_out(&oc, out_path, err) < 0) goto done;
  for (int k = 0; k < 2; k++) {
    if (!(ost[k] = copy_stream(oc, in[k]->streams[si[k]]))) {
      vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
      goto done;
    }
  }
  AVDictionary *opts = NULL;
  if (faststart) av_dict_set(&opts, "movflags", "+faststart", 0);
  int r = avformat_write_header(oc, &opts);
  av_dict_free(&opts);
  if (r < 0) {
    comp_fail_av(err, VSC_FAIL_LOCAL, r, "%smux: cannot write the header", where);
    goto done;
  }
  header = 1;
  for (;;) {
    /* Keep one packet from each input and write the earlier one: the muxer's queue stays short. */
    for (int k = 0; k < 2; k++) {
      while (!have[k] && !eof[k]) {
        r = av_read_frame(in[k], pk[k]);
        if (r == AVERROR_EOF) {
          eof[k] = 1;
        } else if (r < 0) {
          comp_fail_av(err, VSC_FAIL_INPUT, r, "%smux: cannot read '%s'", where, inputs[k]);
          goto done;
        } else if (pk[k]->stream_index != si[k]) {
          av_packet_unref(pk[k]);
        } else {
          have[k] = 1;
        }
      }
    }
    if (!have[0] && !have[1]) break;
    int k;
    if (!have[0]) k = 1;
    else if (!have[1]) k = 0;
    else {
      AVRational tb0 = in[0]->streams[si[0]]->time_base, tb1 = in[1]->streams[si[1]]->time_base;
      k = av_compare_ts(pk[0]->dts, tb0, pk[1]->dts, tb1) <= 0 ? 0 : 1;
    }
    av_packet_rescale_ts(pk[k], in[k]->streams[si[k]]->time_base, ost[k]->time_base);
    pk[k]->stream_index = ost[k]->index;
    pk[k]->pos = -1;
    r = av_interleaved_write_frame(oc, pk[k]);
    have[k] = 0;
    if (r < 0) {
      comp_fail_av(err, VSC_FAIL_LOCAL, r, "%smux: cannot write %s", where, out_path);
      goto done;
    }
  }
  header = 0;
  if ((r = av_write_trailer(oc)) < 0) {
    comp_fail_av(err, VSC_FAIL_LOCAL, r, "%smux: cannot finish %s", where, out_path);
    goto done;
  }
  ret = 0;
done:
  if (header) av_write_trailer(oc);
  for (int k = 0; k < 2; k++) {
    avformat_close_input(&in[k]);
    av_packet_free(&pk[k]);
  }
  close_out(&oc);
  /* A delivery size limit is checked on the finished file: a larger file never ships. */
  struct stat st;
  if (ret == 0 && max_size > 0 && stat(out_path, &st) == 0 && st.st_size > max_size) {
    unlink(out_path);
    ret = vsc_op_fail(err, VSC_FAIL_INPUT,
                      "%smux: the video takes %.2f MB, over its max_size of %.2f MB (lower 'maxrate', raise 'crf' or "
                      "'max_size')",
                      where, (double)st.st_size / 1e6, (double)max_size / 1e6);
  }
  return ret;
}
