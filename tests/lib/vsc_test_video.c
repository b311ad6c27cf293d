/*
** vsc_test_video.c — one decoder loop (libavformat + libavcodec, swscale to RGB24) for every
** test that looks at frames (see vsc_test_video.h).
*/
#include "vsc_test_video.h"

#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>

struct vsc_test_video {
  AVFormatContext *fmt;
  AVCodecContext *dec;
  struct SwsContext *sws;
  AVPacket *pkt;
  AVFrame *frame;
  int stream;
  int w, h; /* wanted output size; 0, 0: each frame's own */
  int eof;  /* no more packets: the decoder is being drained */
  vsc_test_image out;
  size_t out_cap; /* bytes allocated at out.rgb */
};

void vsc_test_image_free(vsc_test_image *im) {
  free(im->rgb);
  im->rgb = NULL;
  im->w = im->h = 0;
}

vsc_test_video *vsc_test_video_open(const char *path, int w, int h) {
  vsc_test_video *v = calloc(1, sizeof *v);
  if (!v) return NULL;
  v->w = w;
  v->h = h;
  v->pkt = av_packet_alloc();
  v->frame = av_frame_alloc();
  if (!v->pkt || !v->frame || avformat_open_input(&v->fmt, path, NULL, NULL) < 0 ||
      avformat_find_stream_info(v->fmt, NULL) < 0)
    goto fail;
  v->stream = av_find_best_stream(v->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
  if (v->stream < 0) goto fail;
  const AVCodecParameters *par = v->fmt->streams[v->stream]->codecpar;
  const AVCodec *codec = avcodec_find_decoder(par->codec_id);
  v->dec = codec ? avcodec_alloc_context3(codec) : NULL;
  if (!v->dec || avcodec_parameters_to_context(v->dec, par) < 0) goto fail;
  v->dec->thread_count = 1; /* frames in a fixed order and time, under the sanitizers too */
  if (avcodec_open2(v->dec, codec, NULL) < 0) goto fail;
  return v;
fail:
  vsc_test_video_close(v);
  return NULL;
}

double vsc_test_video_fps(const vsc_test_video *v) { return av_q2d(v->fmt->streams[v->stream]->avg_frame_rate); }

/* The decoded frame into v->out. */
static int convert(vsc_test_video *v) {
  const AVFrame *f = v->frame;
  int ow = v->w > 0 ? v->w : f->width, oh = v->h > 0 ? v->h : f->height;
  int same = ow == f->width && oh == f->height;
  v->sws = sws_getCachedContext(v->sws, f->width, f->height, f->format, ow, oh, AV_PIX_FMT_RGB24,
                                same ? SWS_POINT : SWS_AREA, NULL, NULL, NULL);
  size_t need = (size_t)ow * (size_t)oh * 3 + 64; /* swscale's SIMD may write past the last row */
  if (need > v->out_cap) {
    uint8_t *p = realloc(v->out.rgb, need);
    if (!p) return -1;
    v->out.rgb = p;
    v->out_cap = need;
  }
  if (!v->sws) return -1;
  v->out.w = ow;
  v->out.h = oh;
  uint8_t *dst[4] = {v->out.rgb, NULL, NULL, NULL};
  int stride[4] = {ow * 3, 0, 0, 0};
  sws_scale(v->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, stride);
  return 0;
}

int vsc_test_video_next(vsc_test_video *v, const vsc_test_image **frame, double *t) {
  for (;;) {
    int r = avcodec_receive_frame(v->dec, v->frame);
    if (r == 0) {
      if (t) *t = (double)v->frame->best_effort_timestamp * av_q2d(v->fmt->streams[v->stream]->time_base);
      r = convert(v);
      av_frame_unref(v->frame);
      if (r < 0) return -1;
      *frame = &v->out;
      return 1;
    }
    if (r == AVERROR_EOF) return 0;
    if (r != AVERROR(EAGAIN)) return -1;
    if (av_read_frame(v->fmt, v->pkt) < 0) {
      if (v->eof) return 0;
      v->eof = 1;
      avcodec_send_packet(v->dec, NULL); /* drain what the decoder still holds */
    } else {
      if (v->pkt->stream_index == v->stream) avcodec_send_packet(v->dec, v->pkt);
      av_packet_unref(v->pkt);
    }
  }
}

void vsc_test_video_close(vsc_test_video *v) {
  if (!v) return;
  free(v->out.rgb);
  sws_freeContext(v->sws);
  av_frame_free(&v->frame);
  av_packet_free(&v->pkt);
  avcodec_free_context(&v->dec);
  avformat_close_input(&v->fmt);
  free(v);
}

/* A copy of a frame that outlives the decoder. */
static int keep(vsc_test_image *im, const vsc_test_image *f) {
  size_t n = (size_t)f->w * (size_t)f->h * 3;
  uint8_t *p = realloc(im->rgb, n);
  if (!p) return -1;
  memcpy(p, f->rgb, n);
  im->rgb = p;
  im->w = f->w;
  im->h = f->h;
  return 0;
}

int vsc_test_frame_at(const char *path, double t, vsc_test_image *im) {
  memset(im, 0, sizeof *im);
  vsc_test_video *v = vsc_test_video_open(path, 0, 0);
  if (!v) return -1;
  const vsc_test_image *f;
  double ft;
  int rc = -1;
  while (vsc_test_video_next(v, &f, &ft) == 1) {
    if (rc == 0 && ft > t + 1e-6) break; /* the one kept is shown until this one starts */
    if (keep(im, f) < 0) break;
    rc = 0;
  }
  vsc_test_video_close(v);
  if (rc < 0) vsc_test_image_free(im);
  return rc;
}

int vsc_test_frame_index(const char *path, int index, vsc_test_image *im) {
  memset(im, 0, sizeof *im);
  vsc_test_video *v = vsc_test_video_open(path, 0, 0);
  if (!v) return -1;
  const vsc_test_image *f;
  int seen = 0, rc = -1;
  while (vsc_test_video_next(v, &f, NULL) == 1) {
    if (index >= 0 && seen++ < index) continue;
    if (keep(im, f) < 0) break;
    rc = 0;
    if (index >= 0) break;
  }
  vsc_test_video_close(v);
  if (rc < 0) vsc_test_image_free(im);
  return rc;
}

void vsc_test_image_mean(const vsc_test_image *im, int x0, int y0, int x1, int y1, double rgb[3]) {
  double s[3] = {0, 0, 0};
  long n = 0;
  for (int y = y0 < 0 ? 0 : y0; y < y1 && y < im->h; y++)
    for (int x = x0 < 0 ? 0 : x0; x < x1 && x < im->w; x++, n++)
      for (int c = 0; c < 3; c++) s[c] += im->rgb[((size_t)y * (size_t)im->w + (size_t)x) * 3 + (size_t)c];
  for (int c = 0; c < 3; c++) rgb[c] = n ? s[c] / (double)n : 0;
}
