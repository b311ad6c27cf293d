/*
** What a media file is: open it, find its streams, check that its index does not point
** past the end of the file and decode its first frame, so that a bad clip is reported by
** name (by the checker at the script's line, by the compositor before any encoding).
*/
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "vsc/vsc_media.h"

/* err = "WHAT: libav's reason (its log's first error line)"; returns -1. */
static int fail_av(char *err, size_t errlen, int averr, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail_av(char *err, size_t errlen, int averr, const char *fmt, ...) {
  char what[384];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  vsc_av_error_text(err, errlen, averr, what);
  return -1;
}

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return -1;
}

/* Whether the container's index (mp4/mov) refers to bytes beyond the end of the file:
** the usual sign of a download or copy cut short. */
static int index_truncated(AVFormatContext *ic, AVStream *st) {
  int64_t size = ic->pb ? avio_size(ic->pb) : -1;
  int n = avformat_index_get_entries_count(st);
  if (size <= 0 || n <= 0) return 0;
  const AVIndexEntry *e = avformat_index_get_entry(st, n - 1);
  return e && e->pos >= 0 && e->pos + e->size > size;
}

/* Decodes frames of stream `si` until one comes out. */
static int decode_first(AVFormatContext *ic, int si, const char *path, char *err, size_t errlen) {
  AVStream *st = ic->streams[si];
  const AVCodec *dec = avcodec_find_decoder(st->codecpar->codec_id);
  if (!dec) return fail(err, errlen, "'%s': no decoder for its %s codec", path,
                        avcodec_get_name(st->codecpar->codec_id));
  AVCodecContext *c = avcodec_alloc_context3(dec);
  AVPacket *pkt = av_packet_alloc();
  AVFrame *f = av_frame_alloc();
  int ret = (!c || !pkt || !f) ? AVERROR(ENOMEM) : avcodec_parameters_to_context(c, st->codecpar);
  if (ret >= 0) {
    c->thread_count = 1;
    ret = avcodec_open2(c, dec, NULL);
  }
  int got = 0, packets = 0;
  while (ret >= 0 && !got) {
    ret = av_read_frame(ic, pkt);
    if (ret == AVERROR_EOF) {
      ret = avcodec_send_packet(c, NULL); /* drain */
    } else if (ret >= 0) {
      if (pkt->stream_index == si) {
        ret = avcodec_send_packet(c, pkt);
        packets++;
      }
      av_packet_unref(pkt);
    } else {
      break;
    }
    if (ret < 0 && ret != AVERROR(EAGAIN)) break;
    int r2 = avcodec_receive_frame(c, f);
    if (r2 >= 0) got = 1;
    else if (r2 == AVERROR_EOF) break;
    else if (r2 != AVERROR(EAGAIN)) {
      ret = r2;
      break;
    }
    if (packets > 1000) break; /* no picture after this many packets: not a playable stream */
    ret = 0;
  }
  if (!got)
    ret = fail_av(err, errlen, ret < 0 ? ret : AVERROR_INVALIDDATA, "'%s': cannot decode its first %s frame",
                  path, st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO ? "video" : "audio");
  else
    ret = 0;
  av_frame_free(&f);
  av_packet_free(&pkt);
  avcodec_free_context(&c);
  return ret;
}

int vsc_media_probe(const char *path, vsc_media_info *info, char *err, size_t errlen) {
  memset(info, 0, sizeof *info);
  vsc_av_log_init();
  vsc_av_log_clear();
  AVFormatContext *ic = NULL;
  int ret = avformat_open_input(&ic, path, NULL, NULL);
  if (ret < 0) return fail_av(err, errlen, ret, "cannot open input '%s'", path);
  if ((ret = avformat_find_stream_info(ic, NULL)) < 0) {
    fail_av(err, errlen, ret, "'%s' is not a readable media file", path);
    goto fail;
  }
  int vi = -1, ai = -1;
  for (unsigned i = 0; i < ic->nb_streams; i++) {
    AVStream *st = ic->streams[i];
    if (st->disposition & AV_DISPOSITION_ATTACHED_PIC) continue; /* cover art is not a picture track */
    if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && vi < 0 && st->codecpar->width > 0) vi = (int)i;
    if (st->codecpar->codec_type == AVMEDIA_TYPE_AUDIO && ai < 0) ai = (int)i;
  }
  if (vi < 0 && ai < 0) {
    fail(err, errlen, "'%s' has no video or audio stream", path);
    goto fail;
  }
  info->has_video = vi >= 0;
  info->has_audio = ai >= 0;
  if (ic->start_time != AV_NOPTS_VALUE) info->start_time = ic->start_time / (double)AV_TIME_BASE;
  if (vi >= 0) {
    AVStream *st = ic->streams[vi];
    info->width = st->codecpar->width;
    info->height = st->codecpar->height;
    AVRational fr = st->avg_frame_rate.num ? st->avg_frame_rate : st->r_frame_rate;
    if (fr.num > 0 && fr.den > 0) info->fps = av_q2d(fr);
    info->is_image = (ic->iformat->flags & AVFMT_NOTIMESTAMPS) || strstr(ic->iformat->name, "image2") ||
                     strstr(ic->iformat->name, "_pipe");
  }
  if (!info->is_image) {
    if (ic->duration != AV_NOPTS_VALUE && ic->duration > 0)
      info->duration = ic->duration / (double)AV_TIME_BASE;
    else if (vi >= 0 && ic->streams[vi]->duration != AV_NOPTS_VALUE)
      info->duration = ic->streams[vi]->duration * av_q2d(ic->streams[vi]->time_base);
  }
  for (int k = 0; k < 2; k++) {
    int si = k ? ai : vi;
    if (si >= 0 && index_truncated(ic, ic->streams[si])) {
      fail(err, errlen, "'%s' is truncated: its index points past the end of the file", path);
      goto fail;
    }
  }
  if (decode_first(ic, vi >= 0 ? vi : ai, path, err, errlen) < 0) goto fail;
  avformat_close_input(&ic);
  return 0;
fail:
  avformat_close_input(&ic);
  return -1;
}
