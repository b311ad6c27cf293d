/*
** poster.c (studio) — a scene preview as one small JPEG, STUDIO_POSTER_WIDTH pixels wide:
** a frame from the middle of a cached clip (at most 1.5 s in) or the picture itself, made
** once per cache key (keys name content, so a poster never goes stale) and kept in the
** script's .vsc/studio/posters/. The page shows posters while a build runs and loads a
** clip only when someone hovers its scene, so watching a build costs the render next to
** nothing (a video element per scene would be decoded by the browser beside the render).
** A poster is made on a niced thread, on one core, decoding only what that frame needs.
*/
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

#include "studio.h"

#define STUDIO_POSTER_WIDTH 320
#define STUDIO_POSTER_AT_MAX (3 * AV_TIME_BASE / 2) /* the still is taken at most 1.5 s in */

/* Decodes the still of `src` (see STUDIO_POSTER_AT_MAX; a picture's only frame). */
static AVFrame *middle_frame(const char *src, char *why, size_t whylen) {
  AVFormatContext *fmt = NULL;
  AVCodecContext *dc = NULL;
  AVPacket *pkt = av_packet_alloc();
  AVFrame *cur = av_frame_alloc(), *last = av_frame_alloc(), *best = NULL;
  const AVCodec *dec = NULL;
  int vi = -1;
  if (!pkt || !cur || !last || avformat_open_input(&fmt, src, NULL, NULL) < 0 ||
      avformat_find_stream_info(fmt, NULL) < 0 ||
      (vi = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &dec, 0)) < 0) {
    snprintf(why, whylen, "no picture in the clip");
    goto out;
  }
  AVStream *vs = fmt->streams[vi];
  if (!(dc = avcodec_alloc_context3(dec)) || avcodec_parameters_to_context(dc, vs->codecpar) < 0) {
    snprintf(why, whylen, "cannot decode the clip");
    goto out;
  }
  /* One core, and no deblocking: invisible at thumbnail size, a good part of the cost. */
  dc->thread_count = 1;
  dc->skip_loop_filter = AVDISCARD_ALL;
  if (avcodec_open2(dc, dec, NULL) < 0) {
    snprintf(why, whylen, "cannot decode the clip");
    goto out;
  }
  int64_t target = AV_NOPTS_VALUE;
  if (fmt->duration > 0) {
    /* The middle of a short clip; 1.5 s into a longer one: past an incoming transition,
     * and the decoding from the keyframe before it stays short. */
    int64_t at = fmt->duration / 2 < STUDIO_POSTER_AT_MAX ? fmt->duration / 2 : STUDIO_POSTER_AT_MAX;
    target = av_rescale_q(at, AV_TIME_BASE_Q, vs->time_base);
    if (vs->start_time != AV_NOPTS_VALUE) target += vs->start_time;
    av_seek_frame(fmt, vi, target, AVSEEK_FLAG_BACKWARD);
  }
  /* Frames before the middle are decoded only as far as later frames need them. */
  if (target != AV_NOPTS_VALUE) dc->skip_frame = AVDISCARD_NONREF;
  bool eof = false;
  while (!best) {
    int rc = avcodec_receive_frame(dc, cur);
    if (rc == 0) {
      /* The first frame at or past the middle; else the last one (a short clip). */
      int64_t ts = cur->best_effort_timestamp;
      if (target == AV_NOPTS_VALUE || ts == AV_NOPTS_VALUE || ts >= target) {
        best = cur;
        cur = NULL;
      } else {
        av_frame_unref(last);
        av_frame_move_ref(last, cur);
      }
      continue;
    }
    if (rc != AVERROR(EAGAIN) || eof) break;
    if (av_read_frame(fmt, pkt) < 0) {
      eof = true;
      avcodec_send_packet(dc, NULL);
      continue;
    }
    if (pkt->stream_index == vi) avcodec_send_packet(dc, pkt);
    av_packet_unref(pkt);
  }
  if (!best && last->width > 0) { /* never reached the middle: the last frame decoded */
    best = last;
    last = NULL;
  }
  if (!best) snprintf(why, whylen, "no frame could be decoded");
out:
  av_frame_free(&cur);
  av_frame_free(&last);
  av_packet_free(&pkt);
  avcodec_free_context(&dc);
  avformat_close_input(&fmt);
  return best;
}

/* `frame` scaled to the poster's size and encoded as a JPEG: a new packet or NULL. */
static AVPacket *encode_jpeg(const AVFrame *frame, char *why, size_t whylen) {
  int w = STUDIO_POSTER_WIDTH;
  int h = (int)((double)frame->height * w / frame->width / 2 + 0.5) * 2;
  if (h < 2) h = 2;
  AVFrame *small = av_frame_alloc();
  AVPacket *pkt = av_packet_alloc(), *out = NULL;
  AVCodecContext *ec = NULL;
  struct SwsContext *sws = NULL;
  const AVCodec *enc = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
  if (!small || !pkt || !enc || !(ec = avcodec_alloc_context3(enc))) {
    snprintf(why, whylen, "no JPEG encoder");
    goto out;
  }
  /* Full-range 4:2:0, as JPEG wants (the deprecated yuvj formats say the same thing). */
  small->format = AV_PIX_FMT_YUV420P;
  small->color_range = AVCOL_RANGE_JPEG;
  small->width = w;
  small->height = h;
  sws = sws_getContext(frame->width, frame->height, frame->format, w, h, AV_PIX_FMT_YUV420P,
                       SWS_BILINEAR, NULL, NULL, NULL);
  if (sws) {
    int *inv, *tab, src_full, dst_full, bright, contrast, sat;
    if (sws_getColorspaceDetails(sws, &inv, &src_full, &tab, &dst_full, &bright, &contrast, &sat) >= 0)
      sws_setColorspaceDetails(sws, inv, frame->color_range == AVCOL_RANGE_JPEG, tab, 1, bright,
                               contrast, sat);
  }
  if (!sws || av_frame_get_buffer(small, 0) < 0 ||
      sws_scale(sws, (const uint8_t *const *)frame->data, frame->linesize, 0, frame->height,
                small->data, small->linesize) != h) {
    snprintf(why, whylen, "cannot scale the frame");
    goto out;
  }
  ec->width = w;
  ec->height = h;
  ec->pix_fmt = AV_PIX_FMT_YUV420P;
  ec->color_range = AVCOL_RANGE_JPEG;
  ec->time_base = (AVRational){1, 25};
  ec->flags |= AV_CODEC_FLAG_QSCALE;
  ec->global_quality = FF_QP2LAMBDA * 4; /* small and clean at thumbnail size */
  small->quality = ec->global_quality;
  small->pts = 0;
  if (avcodec_open2(ec, enc, NULL) < 0 || avcodec_send_frame(ec, small) < 0 ||
      avcodec_receive_packet(ec, pkt) < 0) {
    snprintf(why, whylen, "cannot encode the poster");
    goto out;
  }
  out = pkt;
  pkt = NULL;
out:
  sws_freeContext(sws);
  avcodec_free_context(&ec);
  av_packet_free(&pkt);
  av_frame_free(&small);
  return out;
}

/* Writes the poster of `src` to `dst` (atomically): 0, or -1 with why. */
static int poster_write(const char *src, const char *dst, char *why, size_t whylen) {
  AVFrame *f = middle_frame(src, why, whylen);
  if (!f) return -1;
  AVPacket *jpg = encode_jpeg(f, why, whylen);
  av_frame_free(&f);
  if (!jpg) return -1;
  int rc = studio_write_file(dst, (const char *)jpg->data, (size_t)jpg->size);
  if (rc != 0) snprintf(why, whylen, "cannot write the poster: %s", strerror(errno));
  av_packet_free(&jpg);
  return rc;
}

typedef struct {
  const char *src, *dst;
  char why[512];
  int rc;
} poster_job;

static void *poster_main(void *arg) {
  poster_job *j = arg;
  /* Low priority: a still is never worth slowing the render that makes the next one. */
  setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
  j->rc = poster_write(j->src, j->dst, j->why, sizeof j->why);
  return NULL;
}

/* poster_write on a thread of its own, niced (the connection's thread keeps its priority). */
static int poster_make(const char *src, const char *dst, char *why, size_t whylen) {
  poster_job j = {src, dst, "", -1};
  pthread_t t;
  if (pthread_create(&t, NULL, poster_main, &j) != 0) return poster_write(src, dst, why, whylen);
  pthread_join(t, NULL);
  if (j.rc != 0) snprintf(why, whylen, "%s", j.why);
  return j.rc;
}

enum MHD_Result studio_api_poster(studio *st, struct MHD_Connection *c, const char *url,
                                  const studio_req *req) {
  (void)req;
  const char *key = url + strlen("/api/poster/");
  char obj[PATH_MAX], cache[PATH_MAX], why[512];
  unsigned status = studio_object_path(st, studio_arg(c, "path"), key, obj, cache, why,
                                       sizeof why);
  if (status) return studio_reply_error(st, c, status, "%s", why);
  char dir[PATH_MAX + 32], path[PATH_MAX + 128];
  snprintf(dir, sizeof dir, "%s/studio/posters", cache);
  snprintf(path, sizeof path, "%s/%s.jpg", dir, key);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    char parent[PATH_MAX + 16];
    snprintf(parent, sizeof parent, "%s/studio", cache);
    mkdir(parent, 0755);
    mkdir(dir, 0755);
    if (poster_make(obj, path, why, sizeof why) != 0)
      return studio_reply_error(st, c, 422, "no poster for %.12s: %s", key, why);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return studio_reply_error(st, c, 500, "%s", strerror(errno));
  }
  return studio_send_file(st, c, fd, "image/jpeg");
}
