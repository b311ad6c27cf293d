/*
** Compositor test helpers (see tc.h). Decoding uses libav directly so assertions look at
** the actual pixels and samples; stream facts come from the ffprobe program.
*/
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "tc.h"

void tc_workdir(const char *name) {
  if (vsc_test_rmtree(name) != 0 || (mkdir(name, 0777) != 0 && errno != EEXIST) || chdir(name) != 0) {
    fprintf(stderr, "cannot make work directory %s\n", name);
    exit(2);
  }
}

void tc_render(const char *graph, double duration, int w, int h, int fps, const char *path) {
  vsc_op_error err = {0};
  if (vsc_comp_render(graph, NULL, duration, w, h, fps, path, &err) < 0) {
    fprintf(stderr, "fixture %s: %s\n", path, err.msg);
    exit(2);
  }
}

const char *tc_probe(const char *path, const char *args, const char *key) {
  static char value[256];
  char cmd[1024], line[512];
  value[0] = 0;
  snprintf(cmd, sizeof cmd, "ffprobe -v error %s -of default=nw=1 '%s'", args, path);
  FILE *p = popen(cmd, "r");
  if (!p) return value;
  size_t klen = strlen(key);
  while (fgets(line, sizeof line, p)) {
    if (!strncmp(line, key, klen) && line[klen] == '=' && !value[0]) {
      snprintf(value, sizeof value, "%s", line + klen + 1);
      value[strcspn(value, "\r\n")] = 0;
    }
  }
  pclose(p);
  return value;
}

int tc_frame_rgb(const char *path, double t, double x0, double y0, double x1, double y1, double rgb[3]) {
  vsc_test_image im;
  if (vsc_test_frame_at(path, t, &im) < 0) return -1;
  int ax = (int)(x0 * im.w), bx = (int)(x1 * im.w), ay = (int)(y0 * im.h), by = (int)(y1 * im.h);
  if (bx <= ax) bx = ax + 1;
  if (by <= ay) by = ay + 1;
  vsc_test_image_mean(&im, ax, ay, bx, by, rgb);
  vsc_test_image_free(&im);
  return 0;
}

double tc_frame_diff(const char *a, double ta, const char *b, double tb) {
  vsc_test_image pa, pb;
  if (vsc_test_frame_at(a, ta, &pa) < 0) return -1;
  if (vsc_test_frame_at(b, tb, &pb) < 0) {
    vsc_test_image_free(&pa);
    return -1;
  }
  double d = -2;
  if (pa.w == pb.w && pa.h == pb.h) {
    double s = 0;
    size_t n = (size_t)pa.w * (size_t)pa.h * 3;
    for (size_t i = 0; i < n; i++) s += abs((int)pa.rgb[i] - (int)pb.rgb[i]);
    d = s / (double)n;
  }
  vsc_test_image_free(&pa);
  vsc_test_image_free(&pb);
  return d;
}

double tc_tone_db(const char *path, double t0, double t1, double freq) {
  AVFormatContext *ic = NULL;
  AVCodecContext *c = NULL;
  AVPacket *pkt = av_packet_alloc();
  AVFrame *f = av_frame_alloc();
  double s1 = 0, s2 = 0, result = -200;
  long n = 0;
  if (avformat_open_input(&ic, path, NULL, NULL) < 0 || avformat_find_stream_info(ic, NULL) < 0) goto done;
  int si = av_find_best_stream(ic, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
  if (si < 0) goto done;
  AVStream *st = ic->streams[si];
  const AVCodec *dec = avcodec_find_decoder(st->codecpar->codec_id);
  c = avcodec_alloc_context3(dec);
  if (!c || avcodec_parameters_to_context(c, st->codecpar) < 0 || avcodec_open2(c, dec, NULL) < 0) goto done;
  if (c->sample_fmt != AV_SAMPLE_FMT_FLTP && c->sample_fmt != AV_SAMPLE_FMT_S16) goto done;
  double coeff = 2 * cos(2 * M_PI * freq / c->sample_rate);
  /* Goertzel over the window, on the mean of the channels. */
  int64_t first = (int64_t)llround(t0 * c->sample_rate), last = (int64_t)llround(t1 * c->sample_rate);
  int64_t pos = -1;
  int eof = 0;
  for (;;) {
    if (!eof) {
      int r = av_read_frame(ic, pkt);
      if (r < 0) {
        eof = 1;
        avcodec_send_packet(c, NULL);
      } else {
        if (pkt->stream_index == si) avcodec_send_packet(c, pkt);
        av_packet_unref(pkt);
      }
    }
    int r;
    while ((r = avcodec_receive_frame(c, f)) >= 0) {
      if (pos < 0) pos = f->pts == AV_NOPTS_VALUE ? 0 : av_rescale_q(f->pts, st->time_base, (AVRational){1, c->sample_rate});
      int ch = f->ch_layout.nb_channels;
      for (int i = 0; i < f->nb_samples; i++, pos++) {
        if (pos < first || pos >= last) continue;
        double x = 0;
        for (int k = 0; k < ch; k++)
          x += c->sample_fmt == AV_SAMPLE_FMT_FLTP ? ((const float *)f->extended_data[k])[i]
                                                   : ((const int16_t *)f->data[0])[i * ch + k] / 32768.0;
        x /= ch;
        double s0 = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
        n++;
      }
      av_frame_unref(f);
    }
    if (r == AVERROR_EOF || pos >= last) break;
  }
  if (n > 0) {
    double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    double amp = 2 * sqrt(power > 0 ? power : 0) / n;
    result = amp > 0 ? 20 * log10(amp) : -200;
  }
done:
  av_frame_free(&f);
  av_packet_free(&pkt);
  avcodec_free_context(&c);
  avformat_close_input(&ic);
  return result;
}

int tc_moov_first(const char *path) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return 0;
  int moov = -1, mdat = -1, i = 0;
  unsigned char hdr[16];
  long off = 0;
  while (fread(hdr, 1, 8, fp) == 8) {
    uint64_t size = ((uint64_t)hdr[0] << 24) | (hdr[1] << 16) | (hdr[2] << 8) | hdr[3];
    if (!memcmp(hdr + 4, "moov", 4) && moov < 0) moov = i;
    if (!memcmp(hdr + 4, "mdat", 4) && mdat < 0) mdat = i;
    if (size == 1) {
      if (fread(hdr + 8, 1, 8, fp) != 8) break;
      size = 0;
      for (int k = 8; k < 16; k++) size = (size << 8) | hdr[k];
    } else if (size == 0) {
      break;
    }
    if (size < 8) break;
    off += (long)size;
    if (fseek(fp, off, SEEK_SET) != 0) break;
    i++;
  }
  fclose(fp);
  return moov >= 0 && mdat >= 0 && moov < mdat;
}

double tc_rgb_dist(const double a[3], double r, double g, double b) {
  double d = fabs(a[0] - r);
  if (fabs(a[1] - g) > d) d = fabs(a[1] - g);
  if (fabs(a[2] - b) > d) d = fabs(a[2] - b);
  return d;
}

json_t *tc_node(const char *op, json_t *params) {
  return json_pack("{s:s, s:s, s:s, s:o}", "op", op, "scene", "testscene", "src", "test.vscript:7:3", "params", params);
}

double tc_loudness(const char *path) {
  char cmd[1024], line[512];
  snprintf(cmd, sizeof cmd, "ffmpeg -nostats -hide_banner -i '%s' -af ebur128 -f null - 2>&1", path);
  FILE *p = popen(cmd, "r");
  double v = -1000;
  if (!p) return v;
  int summary = 0;
  while (fgets(line, sizeof line, p)) {
    if (strstr(line, "Summary:")) summary = 1;
    char *s = strstr(line, "I:");
    if (summary && s) v = strtod(s + 2, NULL);
  }
  pclose(p);
  return v;
}
