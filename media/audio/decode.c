/*
** Audio stage: decoding. Any file libavformat/libavcodec can read becomes mono float
** samples at the analysis rate (libswresample downmixes and resamples).
*/
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/log.h>
#include <libswresample/swresample.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au_util.h"
#include "vsc/vsc_audio.h"

/* A growable sample buffer. */
typedef struct {
  float *data;
  size_t n;
  size_t cap;
} sample_buf;

static int buf_reserve(sample_buf *b, size_t extra) {
  if (b->n + extra <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 1 << 16;
  while (cap < b->n + extra) cap *= 2;
  float *p = realloc(b->data, cap * sizeof *p);
  if (!p) return -1;
  b->data = p;
  b->cap = cap;
  return 0;
}

static void av_errmsg(char *err, size_t errlen, const char *path, const char *what, int code) {
  char msg[AV_ERROR_MAX_STRING_SIZE] = "";
  av_strerror(code, msg, sizeof msg);
  vsc_audio_set_err(err, errlen, "cannot decode '%s': %s: %s", path, what, msg);
}

/* Converts one frame (or flushes the resampler when frame is NULL) into b. */
static int convert(SwrContext *swr, const AVFrame *frame, sample_buf *b) {
  int in_n = frame ? frame->nb_samples : 0;
  int max_out = swr_get_out_samples(swr, in_n);
  if (max_out < 0) return max_out;
  if (max_out == 0) return 0;
  if (buf_reserve(b, (size_t)max_out) < 0) return AVERROR(ENOMEM);
  uint8_t *out[1] = {(uint8_t *)(b->data + b->n)};
  int got = swr_convert(swr, out, max_out, frame ? (const uint8_t **)frame->extended_data : NULL,
                        in_n);
  if (got < 0) return got;
  b->n += (size_t)got;
  return 0;
}

int vsc_audio_decode(float **out, size_t *n, const char *path, int rate, double max_seconds,
                     char *err, size_t errlen) {
  *out = NULL;
  *n = 0;
  AVFormatContext *fmt = NULL;
  AVCodecContext *dec = NULL;
  SwrContext *swr = NULL;
  AVPacket *pkt = NULL;
  AVFrame *frame = NULL;
  sample_buf b = {0};
  int rc = -1, ret;
  /* FFmpeg's default log level is meant for the ffmpeg program; our errors are reported
   * through err. Only quieten it if nobody else chose a level. */
  if (av_log_get_level() == AV_LOG_INFO) av_log_set_level(AV_LOG_FATAL);

  if ((ret = avformat_open_input(&fmt, path, NULL, NULL)) < 0) {
    av_errmsg(err, errlen, path, "cannot open", ret);
    goto done;
  }
  if ((ret = avformat_find_stream_info(fmt, NULL)) < 0) {
    av_errmsg(err, errlen, path, "cannot read stream info", ret);
    goto done;
  }
  const AVCodec *codec = NULL;
  int si = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
  if (si < 0 || !codec) {
    vsc_audio_set_err(err, errlen, "cannot decode '%s': no audio stream", path);
    goto done;
  }
  AVStream *st = fmt->streams[si];
  if (!(dec = avcodec_alloc_context3(codec))) goto oom;
  if ((ret = avcodec_parameters_to_context(dec, st->codecpar)) < 0 ||
      (ret = avcodec_open2(dec, codec, NULL)) < 0) {
    av_errmsg(err, errlen, path, "cannot open the decoder", ret);
    goto done;
  }
  if (dec->sample_rate <= 0) {
    vsc_audio_set_err(err, errlen, "cannot decode '%s': unknown sample rate", path);
    goto done;
  }
  if (dec->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || dec->ch_layout.nb_channels <= 0) {
    int ch = dec->ch_layout.nb_channels > 0 ? dec->ch_layout.nb_channels : 1;
    av_channel_layout_uninit(&dec->ch_layout);
    av_channel_layout_default(&dec->ch_layout, ch);
  }
  AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
  if ((ret = swr_alloc_set_opts2(&swr, &mono, AV_SAMPLE_FMT_FLT, rate, &dec->ch_layout,
                                 dec->sample_fmt, dec->sample_rate, 0, NULL)) < 0 ||
      (ret = swr_init(swr)) < 0) {
    av_errmsg(err, errlen, path, "cannot set up resampling", ret);
    goto done;
  }
  if (!(pkt = av_packet_alloc()) || !(frame = av_frame_alloc())) goto oom;

  size_t limit = (size_t)(max_seconds * rate) + (size_t)rate;
  int eof = 0;
  while (!eof) {
    ret = av_read_frame(fmt, pkt);
    if (ret == AVERROR_EOF) {
      eof = 1;
      ret = avcodec_send_packet(dec, NULL);
    } else if (ret < 0) {
      av_errmsg(err, errlen, path, "read error", ret);
      goto done;
    } else {
      if (pkt->stream_index != si) {
        av_packet_unref(pkt);
        continue;
      }
      ret = avcodec_send_packet(dec, pkt);
      av_packet_unref(pkt);
      /* A damaged packet is skipped, as players do; a file with no good packet fails below. */
      if (ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_INVALIDDATA) {
        av_errmsg(err, errlen, path, "decoder error", ret);
        goto done;
      }
    }
    for (;;) {
      ret = avcodec_receive_frame(dec, frame);
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) break;
      if (ret == AVERROR_INVALIDDATA) continue;
      if (ret < 0) {
        av_errmsg(err, errlen, path, "decoder error", ret);
        goto done;
      }
      ret = convert(swr, frame, &b);
      av_frame_unref(frame);
      if (ret < 0) {
        av_errmsg(err, errlen, path, "resampling failed", ret);
        goto done;
      }
      if (b.n > limit) {
        vsc_audio_set_err(err, errlen, "cannot analyse '%s': longer than %.0f s", path,
                          max_seconds);
        goto done;
      }
    }
  }
  if ((ret = convert(swr, NULL, &b)) < 0) {
    av_errmsg(err, errlen, path, "resampling failed", ret);
    goto done;
  }
  if (b.n == 0) {
    vsc_audio_set_err(err, errlen, "cannot decode '%s': no audio samples", path);
    goto done;
  }
  *out = b.data;
  *n = b.n;
  b.data = NULL;
  rc = 0;
  goto done;
oom:
  vsc_audio_set_err(err, errlen, "cannot decode '%s': out of memory", path);
done:
  free(b.data);
  av_frame_free(&frame);
  av_packet_free(&pkt);
  swr_free(&swr);
  avcodec_free_context(&dec);
  avformat_close_input(&fmt);
  return rc;
}
