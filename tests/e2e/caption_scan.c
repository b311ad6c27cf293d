/* Reading back rendered captions: see caption_scan.h. */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caption_scan.h"
#include "vsc_test_video.h"

int scan_video(const char *path, frame_info **out, int *nout) {
  vsc_test_video *v = vsc_test_video_open(path, 0, 0);
  if (!v) return -1;
  const vsc_test_image *im;
  double t;
  int n = 0, cap = 0, r;
  frame_info *info = NULL;
  while ((r = vsc_test_video_next(v, &im, &t)) == 1) {
    if (n == cap) info = realloc(info, (size_t)(cap = cap ? cap * 2 : 256) * sizeof *info);
    frame_info *fi = &info[n++];
    fi->t = t;
    fi->rx0 = 1 << 30, fi->rx1 = -1, fi->nred = fi->ncap = 0;
    for (int y = 0; y < im->h; y++)
      for (int x = 0; x < im->w; x++) {
        const uint8_t *p = im->rgb + ((size_t)y * (size_t)im->w + (size_t)x) * 3;
        if (p[0] > 200 && p[1] < 80 && p[2] < 80) {
          fi->nred++;
          if (x < fi->rx0) fi->rx0 = x;
          if (x > fi->rx1) fi->rx1 = x;
        }
        if ((p[0] > 200 && p[1] > 200 && p[2] > 200) || (p[0] > 200 && p[1] < 80 && p[2] < 80)) fi->ncap++;
      }
  }
  vsc_test_video_close(v);
  *out = info;
  *nout = n;
  return r == 0 ? 0 : -1;
}

int read_subs(const char *path, cue *cues, int max) {
  AVFormatContext *fmt = NULL;
  if (avformat_open_input(&fmt, path, NULL, NULL) < 0) return -1;
  if (avformat_find_stream_info(fmt, NULL) < 0) return -1;
  AVStream *st = fmt->streams[0];
  AVPacket *pkt = av_packet_alloc();
  int n = 0;
  while (av_read_frame(fmt, pkt) >= 0 && n < max) {
    cues[n].start = pkt->pts * av_q2d(st->time_base);
    cues[n].end = (pkt->pts + pkt->duration) * av_q2d(st->time_base);
    snprintf(cues[n].text, sizeof cues[n].text, "%.*s", pkt->size, (const char *)pkt->data);
    size_t l = strlen(cues[n].text);
    while (l && (cues[n].text[l - 1] == '\n' || cues[n].text[l - 1] == '\r')) cues[n].text[--l] = 0;
    n++;
    av_packet_unref(pkt);
  }
  av_packet_free(&pkt);
  avformat_close_input(&fmt);
  return n;
}

int highlight_changes(const frame_info *fr, int nf, double *changes, int max) {
  int n = 0;
  for (int i = 0; i < nf && n < max; i++) {
    int on = fr[i].nred > 20, was = i > 0 && fr[i - 1].nred > 20;
    if (on && (!was || abs(fr[i].rx0 - fr[i - 1].rx0) > 8 || abs(fr[i].rx1 - fr[i - 1].rx1) > 8)) changes[n++] = fr[i].t;
  }
  return n;
}
