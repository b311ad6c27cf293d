/*
** media.c — deterministic output files of mock-replicate: a small valid MP4 (H.264, or
** MPEG-4 part 2 when libx264 is missing), PNG/JPEG/WebP image, WAV tone or text file
** (a transcript's .txt / .srt), whose colour,
** pitch and length derive from a SHA-256 of model + canonical input + output index. Same
** request, same bytes: so a client's content-addressed cache is testable.
*/
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock.h"

const char *mock_media_type(const char *ext) {
  if (!strcmp(ext, "mp4")) return "video/mp4";
  if (!strcmp(ext, "png")) return "image/png";
  if (!strcmp(ext, "jpg")) return "image/jpeg";
  if (!strcmp(ext, "webp")) return "image/webp";
  if (!strcmp(ext, "wav")) return "audio/wav";
  if (!strcmp(ext, "txt")) return "text/plain; charset=utf-8";
  if (!strcmp(ext, "srt")) return "application/x-subrip";
  return "application/octet-stream";
}

typedef struct {
  unsigned char hash[32];
  int r, g, b;
} seed_t;

static void make_seed(const mock_model *m, json_t *input, int index, seed_t *s) {
  char *canon = json_dumps(input, JSON_SORT_KEYS | JSON_COMPACT);
  size_t n = strlen(m->full) + (canon ? strlen(canon) : 0) + 32;
  char *buf = malloc(n);
  int len = snprintf(buf, n, "%s\n%s\n%d", m->full, canon ? canon : "{}", index);
  char hex[65];
  mock_sha256_hex(buf, (size_t)len, hex);
  for (int i = 0; i < 32; i++) {
    unsigned v;
    sscanf(hex + 2 * i, "%2x", &v);
    s->hash[i] = (unsigned char)v;
  }
  /* Mid-range colours: never black, never white, so a frame is visibly "something". */
  s->r = 40 + s->hash[0] % 176;
  s->g = 40 + s->hash[1] % 176;
  s->b = 40 + s->hash[2] % 176;
  free(buf);
  free(canon);
}

static void aspect_size(const mock_model *m, json_t *input, int longside, int *w, int *h) {
  json_t *out = json_object_get(m->fixture, "output");
  const char *wi = json_string_value(json_object_get(out, "width_input"));
  const char *hi = json_string_value(json_object_get(out, "height_input"));
  double aw = 16, ah = 9;
  json_t *jw = wi ? json_object_get(input, wi) : NULL, *jh = hi ? json_object_get(input, hi) : NULL;
  if (wi && hi) {
    aw = json_is_number(jw) ? json_number_value(jw) : 1024;
    ah = json_is_number(jh) ? json_number_value(jh) : 1024;
  } else {
    const char *ai = json_string_value(json_object_get(out, "aspect_input"));
    const char *a = ai ? json_string_value(json_object_get(input, ai)) : NULL;
    if (!a || sscanf(a, "%lf:%lf", &aw, &ah) != 2) {
      a = json_string_value(json_object_get(out, "default_aspect"));
      if (!a || sscanf(a, "%lf:%lf", &aw, &ah) != 2) aw = 16, ah = 9;
    }
  }
  if (aw <= 0 || ah <= 0) aw = ah = 1;
  if (aw >= ah) {
    *w = longside;
    *h = (int)(longside * ah / aw);
  } else {
    *h = longside;
    *w = (int)(longside * aw / ah);
  }
  *w &= ~1;
  *h &= ~1;
  if (*w < 16) *w = 16;
  if (*h < 16) *h = 16;
}

static void rgb_to_yuv(int r, int g, int b, int *y, int *u, int *v) {
  *y = (int)(0.257 * r + 0.504 * g + 0.098 * b + 16);
  *u = (int)(-0.148 * r - 0.291 * g + 0.439 * b + 128);
  *v = (int)(0.439 * r - 0.368 * g - 0.071 * b + 128);
}

/* Paints a YUV 4:2:0 frame: the seed colour with a lighter band at x0 (moves over time). */
static void paint_yuv(AVFrame *f, const seed_t *s, int x0) {
  int y, u, v, yb;
  rgb_to_yuv(s->r, s->g, s->b, &y, &u, &v);
  yb = y + 60 > 235 ? 235 : y + 60;
  int band = f->width / 10 + 2;
  for (int j = 0; j < f->height; j++)
    for (int i = 0; i < f->width; i++)
      f->data[0][j * f->linesize[0] + i] = (uint8_t)((i >= x0 && i < x0 + band) ? yb : y);
  for (int j = 0; j < f->height / 2; j++)
    for (int i = 0; i < f->width / 2; i++) {
      f->data[1][j * f->linesize[1] + i] = (uint8_t)u;
      f->data[2][j * f->linesize[2] + i] = (uint8_t)v;
    }
}

static int read_file(const char *path, unsigned char **data, size_t *len) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return -1;
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  *data = malloc(n > 0 ? (size_t)n : 1);
  *len = (*data && n > 0) ? fread(*data, 1, (size_t)n, fp) : 0;
  fclose(fp);
  return (*data && (long)*len == n) ? 0 : -1;
}

static int make_mp4(const mock_model *m, json_t *input, const seed_t *s, unsigned char **data,
                    size_t *len, char *err, size_t errlen) {
  json_t *out = json_object_get(m->fixture, "output");
  const char *fi = json_string_value(json_object_get(out, "fps_input"));
  json_t *jfps = fi ? json_object_get(input, fi) : NULL;
  int fps = json_is_integer(jfps) ? (int)json_integer_value(jfps)
                                  : (int)json_integer_value(json_object_get(out, "fps"));
  if (fps <= 0 || fps > 60) fps = 24;
  double secs = mock_output_seconds(m, input);
  if (secs > 60) secs = 60;
  int nframes = (int)lround(secs * fps);
  if (nframes < 1) nframes = 1;
  int w, h;
  aspect_size(m, input, 320, &w, &h);

  char path[] = "/tmp/mock-replicate-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) {
    snprintf(err, errlen, "mkstemp failed");
    return -1;
  }
  close(fd);
  int rc = -1;
  AVFormatContext *fmt = NULL;
  AVCodecContext *cc = NULL;
  AVFrame *frame = NULL;
  AVPacket *pkt = av_packet_alloc();
  const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
  if (!codec) codec = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
  if (!codec || !pkt || avformat_alloc_output_context2(&fmt, NULL, "mp4", path) < 0) {
    snprintf(err, errlen, "no video encoder or mp4 muxer");
    goto done;
  }
  fmt->flags |= AVFMT_FLAG_BITEXACT; /* no library version strings: same bytes each time */
  AVStream *st = avformat_new_stream(fmt, NULL);
  cc = avcodec_alloc_context3(codec);
  if (!st || !cc) goto done;
  cc->width = w;
  cc->height = h;
  cc->pix_fmt = AV_PIX_FMT_YUV420P;
  cc->time_base = (AVRational){1, fps};
  cc->framerate = (AVRational){fps, 1};
  cc->gop_size = fps * 2;
  cc->max_b_frames = 0;
  cc->thread_count = 1;
  cc->flags |= AV_CODEC_FLAG_BITEXACT;
  if (fmt->oformat->flags & AVFMT_GLOBALHEADER) cc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if (!strcmp(codec->name, "libx264")) {
    av_opt_set(cc->priv_data, "preset", "ultrafast", 0);
    av_opt_set(cc->priv_data, "crf", "30", 0);
  } else {
    cc->bit_rate = 200000;
  }
  if (avcodec_open2(cc, codec, NULL) < 0 || avcodec_parameters_from_context(st->codecpar, cc) < 0) {
    snprintf(err, errlen, "cannot open encoder %s", codec->name);
    goto done;
  }
  st->time_base = cc->time_base;
  if (avio_open(&fmt->pb, path, AVIO_FLAG_WRITE) < 0 || avformat_write_header(fmt, NULL) < 0) {
    snprintf(err, errlen, "cannot write mp4 header");
    goto done;
  }
  frame = av_frame_alloc();
  frame->format = cc->pix_fmt;
  frame->width = w;
  frame->height = h;
  if (av_frame_get_buffer(frame, 0) < 0) goto done;
  for (int i = 0; i <= nframes; i++) {
    if (i < nframes) {
      if (av_frame_make_writable(frame) < 0) goto done;
      paint_yuv(frame, s, (int)((long)i * w / nframes));
      frame->pts = i;
    }
    if (avcodec_send_frame(cc, i < nframes ? frame : NULL) < 0) goto done;
    while (avcodec_receive_packet(cc, pkt) == 0) {
      if (pkt->duration <= 0) pkt->duration = 1; /* else the last frame has no length */
      av_packet_rescale_ts(pkt, cc->time_base, st->time_base);
      pkt->stream_index = st->index;
      if (av_interleaved_write_frame(fmt, pkt) < 0) goto done;
    }
  }
  if (av_write_trailer(fmt) < 0) goto done;
  avio_closep(&fmt->pb);
  rc = read_file(path, data, len);
  if (rc) snprintf(err, errlen, "cannot read back the encoded clip");
done:
  if (fmt && fmt->pb) avio_closep(&fmt->pb);
  avformat_free_context(fmt);
  avcodec_free_context(&cc);
  av_frame_free(&frame);
  av_packet_free(&pkt);
  unlink(path);
  return rc;
}

static int make_image(const mock_model *m, json_t *input, const seed_t *s, const char *ext,
                      unsigned char **data, size_t *len, char *err, size_t errlen) {
  const AVCodec *codec = NULL;
  enum AVPixelFormat pf = AV_PIX_FMT_RGB24;
  if (!strcmp(ext, "jpg")) {
    codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
    pf = AV_PIX_FMT_YUVJ420P;
  } else if (!strcmp(ext, "webp")) {
    codec = avcodec_find_encoder_by_name("libwebp");
    pf = AV_PIX_FMT_YUV420P;
  } else {
    codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
  }
  if (!codec) {
    snprintf(err, errlen, "no encoder for .%s", ext);
    return -1;
  }
  int w, h, rc = -1;
  aspect_size(m, input, 384, &w, &h);
  AVCodecContext *cc = avcodec_alloc_context3(codec);
  AVFrame *f = av_frame_alloc();
  AVPacket *pkt = av_packet_alloc();
  if (!cc || !f || !pkt) goto done;
  cc->width = w;
  cc->height = h;
  cc->pix_fmt = pf;
  cc->time_base = (AVRational){1, 25};
  cc->flags |= AV_CODEC_FLAG_BITEXACT;
  cc->thread_count = 1;
  if (avcodec_open2(cc, codec, NULL) < 0) {
    snprintf(err, errlen, "cannot open encoder %s", codec->name);
    goto done;
  }
  f->format = pf;
  f->width = w;
  f->height = h;
  if (av_frame_get_buffer(f, 0) < 0) goto done;
  if (pf == AV_PIX_FMT_RGB24) {
    for (int j = 0; j < h; j++)
      for (int i = 0; i < w; i++) {
        uint8_t *px = f->data[0] + j * f->linesize[0] + 3 * i;
        int lift = (i + j) * 60 / (w + h); /* a soft diagonal gradient */
        px[0] = (uint8_t)(s->r + lift);
        px[1] = (uint8_t)(s->g + lift);
        px[2] = (uint8_t)(s->b + lift);
      }
  } else {
    paint_yuv(f, s, w / 3);
  }
  f->pts = 0;
  if (avcodec_send_frame(cc, f) < 0 || avcodec_send_frame(cc, NULL) < 0) goto done;
  if (avcodec_receive_packet(cc, pkt) == 0) {
    *data = malloc((size_t)pkt->size);
    if (*data) {
      memcpy(*data, pkt->data, (size_t)pkt->size);
      *len = (size_t)pkt->size;
      rc = 0;
    }
  }
  if (rc) snprintf(err, errlen, "image encoding failed");
done:
  avcodec_free_context(&cc);
  av_frame_free(&f);
  av_packet_free(&pkt);
  return rc;
}

static void put_le(unsigned char *p, unsigned v, int bytes) {
  for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static int make_wav(const mock_model *m, json_t *input, const seed_t *s, unsigned char **data,
                    size_t *len) {
  json_t *out = json_object_get(m->fixture, "output");
  const char *sri = json_string_value(json_object_get(out, "sample_rate_input"));
  json_t *jsr = sri ? json_object_get(input, sri) : NULL;
  int sr = json_is_integer(jsr) ? (int)json_integer_value(jsr)
                                : (int)json_integer_value(json_object_get(out, "sample_rate"));
  if (sr < 8000 || sr > 48000) sr = 24000;
  if (json_object_get(out, "speech")) {
    char err[256];
    return mock_speech_wav(m, input, sr, data, len, err, sizeof err);
  }
  int ch = (int)json_integer_value(json_object_get(out, "channels"));
  if (ch < 1 || ch > 2) ch = 1;
  double secs = mock_output_seconds(m, input);
  if (secs > 120) secs = 120;
  size_t frames = (size_t)(secs * sr);
  size_t bytes = frames * (size_t)ch * 2;
  unsigned char *b = malloc(44 + bytes);
  if (!b) return -1;
  memcpy(b, "RIFF", 4);
  put_le(b + 4, (unsigned)(36 + bytes), 4);
  memcpy(b + 8, "WAVEfmt ", 8);
  put_le(b + 16, 16, 4);
  put_le(b + 20, 1, 2); /* PCM */
  put_le(b + 22, (unsigned)ch, 2);
  put_le(b + 24, (unsigned)sr, 4);
  put_le(b + 28, (unsigned)(sr * ch * 2), 4);
  put_le(b + 32, (unsigned)(ch * 2), 2);
  put_le(b + 34, 16, 2);
  memcpy(b + 36, "data", 4);
  put_le(b + 40, (unsigned)bytes, 4);
  double freq = 220.0 + (s->hash[3] | (s->hash[4] << 8)) % 440;
  for (size_t i = 0; i < frames; i++) {
    double t = (double)i / sr, env = 1.0;
    double fade = 0.01 * sr;
    if ((double)i < fade) env = (double)i / fade;
    if ((double)(frames - i) < fade) env = (double)(frames - i) / fade;
    int v = (int)(0.2 * 32767 * env * sin(2 * M_PI * freq * t));
    for (int c = 0; c < ch; c++) put_le(b + 44 + (i * (size_t)ch + (size_t)c) * 2, (unsigned)(v & 0xffff), 2);
  }
  *data = b;
  *len = 44 + bytes;
  return 0;
}

/* A transcript's text file (.txt) or its subtitles (.srt, one cue per sentence of about
 * 2.5 s), both from the model's deterministic text. */
static int make_text_file(const mock_model *m, json_t *input, const char *ext,
                          unsigned char **data, size_t *len) {
  char *text = mock_output_text(m, input);
  if (!text) return -1;
  if (!strcmp(ext, "txt")) {
    *data = (unsigned char *)text;
    *len = strlen(text);
    return 0;
  }
  size_t cap = strlen(text) * 2 + 256, used = 0;
  char *out = malloc(cap);
  int cue = 0;
  for (char *p = text; *p && out;) {
    char *end = strchr(p, '.');
    size_t n = end ? (size_t)(end - p + 1) : strlen(p);
    while (n && *p == ' ') p++, n--;
    if (!n) break;
    int a = cue * 2500, b = a + 2500;
    used += (size_t)snprintf(out + used, cap - used,
                             "%d\n%02d:%02d:%02d,%03d --> %02d:%02d:%02d,%03d\n%.*s\n\n", cue + 1,
                             a / 3600000, a / 60000 % 60, a / 1000 % 60, a % 1000, b / 3600000,
                             b / 60000 % 60, b / 1000 % 60, b % 1000, (int)n, p);
    cue++;
    p += n;
  }
  free(text);
  if (!out) return -1;
  *data = (unsigned char *)out;
  *len = used;
  return 0;
}

int mock_media_make(const mock_model *m, json_t *input, int index, const char *ext,
                    unsigned char **data, size_t *len, char *err, size_t errlen) {
  if (!strcmp(ext, "txt") || !strcmp(ext, "srt")) {
    *data = NULL;
    *len = 0;
    if (make_text_file(m, input, ext, data, len) == 0) return 0;
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  seed_t s;
  make_seed(m, input, index, &s);
  *data = NULL;
  *len = 0;
  if (!strcmp(ext, "mp4")) return make_mp4(m, input, &s, data, len, err, errlen);
  if (!strcmp(ext, "wav")) return make_wav(m, input, &s, data, len);
  return make_image(m, input, &s, ext, data, len, err, errlen);
}

int mock_media_can(const char *ext) {
  if (!strcmp(ext, "webp")) return avcodec_find_encoder_by_name("libwebp") != NULL;
  if (!strcmp(ext, "jpg")) return avcodec_find_encoder(AV_CODEC_ID_MJPEG) != NULL;
  return 1;
}
