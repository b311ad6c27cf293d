/*
** Audio stage: the picture of an analysis. The waveform, the beat grid (thin lines), the
** bars (strong lines, numbered), the sections (tinted bands with their labels) and the
** beat confidence along the song (a green curve over a dashed low-confidence line) on one
** image, so a person can see the grid the video will be cut to and where to trust it. PNG is drawn into an RGB buffer and
** encoded with libavcodec's PNG encoder; a name ending in ".svg" gives an SVG instead.
*/
#include <ctype.h>
#include <errno.h>
#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "au_features.h"
#include "au_util.h"
#include "vsc/vsc_audio.h"

#define TOP 28    /* header: summary line and section labels */
#define BOTTOM 24 /* time axis */
#define SIDE 10

typedef struct {
  uint8_t r, g, b;
} rgb;

static const rgb BG = {250, 250, 248}, WAVE = {70, 70, 80}, BEAT = {120, 150, 200},
                 BAR = {200, 40, 40}, TEXT = {30, 30, 30}, AXIS = {150, 150, 150},
                 CONF = {46, 125, 50};
/* Section tints, by label letter. */
static const rgb TINTS[] = {{66, 133, 244}, {234, 167, 53}, {52, 168, 83}, {171, 71, 188}, {0, 172, 193}, {239, 83, 80}, {124, 179, 66}, {141, 110, 99}};

static rgb tint_of(const char *label) {
  int k = label[0] >= 'A' && label[0] <= 'Z' ? label[0] - 'A' : 0;
  return TINTS[k % (int)(sizeof TINTS / sizeof TINTS[0])];
}

/* ---- a 5x7 bitmap font for the labels (upper case, digits, a little punctuation) ---- */
static const char GLYPH_CHARS[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.:/-% =";
static const uint8_t GLYPHS[][7] = {
    {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E},
    {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E},
    {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F},
    {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E},
    {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02},
    {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E},
    {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E},
    {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08},
    {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E},
    {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C},
    {0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11},
    {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E},
    {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E},
    {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C},
    {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F},
    {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10},
    {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F},
    {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11},
    {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E},
    {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C},
    {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11},
    {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F},
    {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11},
    {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11},
    {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E},
    {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10},
    {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D},
    {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11},
    {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E},
    {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04},
    {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E},
    {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04},
    {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A},
    {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11},
    {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04},
    {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F},
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C},
    {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00},
    {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00},
    {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00},
    {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03},
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
    {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00},
};

typedef struct {
  int w, h;
  uint8_t *px; /* w*h*3, RGB24 */
} canvas;

static void put(canvas *c, int x, int y, rgb col, double alpha) {
  if (x < 0 || y < 0 || x >= c->w || y >= c->h) return;
  uint8_t *p = c->px + ((size_t)y * (size_t)c->w + (size_t)x) * 3;
  p[0] = (uint8_t)lround(p[0] * (1 - alpha) + col.r * alpha);
  p[1] = (uint8_t)lround(p[1] * (1 - alpha) + col.g * alpha);
  p[2] = (uint8_t)lround(p[2] * (1 - alpha) + col.b * alpha);
}

static void rect(canvas *c, int x0, int y0, int x1, int y1, rgb col, double alpha) {
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++) put(c, x, y, col, alpha);
}

static void text(canvas *c, int x, int y, int scale, const char *s, rgb col) {
  for (; *s; s++, x += 6 * scale) {
    const char *g = strchr(GLYPH_CHARS, toupper((unsigned char)*s));
    if (!g) continue;
    const uint8_t *rows = GLYPHS[g - GLYPH_CHARS];
    for (int r = 0; r < 7; r++)
      for (int k = 0; k < 5; k++)
        if (rows[r] & (0x10 >> k)) rect(c, x + k * scale, y + r * scale, x + (k + 1) * scale, y + (r + 1) * scale, col, 1.0);
  }
}

/* Layout shared by PNG and SVG. */
typedef struct {
  int w, h;
  double dur;
  float *lo, *hi; /* waveform envelope per column, -1..1 (NULL when there is no audio) */
  float *conf;    /* confidence (0..1) at each beat, or NULL (no audio) */
} layout;

/* Local beat confidence: the measure of analyze.c (how much stronger the tracked curve is
 * on the beats than anywhere) over +-4 s around each beat instead of the whole song. */
static float *beat_confidence_curve(const vsc_audio_analysis *a, const float *x, size_t n) {
  if (a->nbeats == 0) return NULL;
  au_features f;
  char err[256];
  if (vsc_audio_features(&f, x, n, VSC_AUDIO_RATE, err, sizeof err) < 0) return NULL;
  float *c = calloc(a->nbeats, sizeof *c);
  double *on = malloc(a->nbeats * sizeof *on);
  if (!c || !on || f.n == 0) {
    free(c), free(on);
    vsc_audio_features_free(&f);
    return NULL;
  }
  for (size_t i = 0; i < a->nbeats; i++) on[i] = vsc_audio_peak_near(f.onset, f.n, (a->beats[i] - f.t0) * f.fps);
  long w = lround(4.0 * f.fps);
  for (size_t i = 0; i < a->nbeats; i++) {
    long centre = lround((a->beats[i] - f.t0) * f.fps);
    double bsum = 0, all = 0;
    size_t bn = 0, cnt = 0;
    for (size_t k = 0; k < a->nbeats; k++)
      if (fabs(a->beats[k] - a->beats[i]) <= 4.0) bsum += on[k], bn++;
    for (long j = centre - w; j <= centre + w; j += 7)
      if (j >= 2 && (size_t)j + 2 < f.n) all += vsc_audio_peak_near(f.onset, f.n, (double)j), cnt++;
    double mb = bn ? bsum / (double)bn : 0, ma = cnt ? all / (double)cnt : 0;
    c[i] = (float)vsc_audio_beat_share_to_confidence(mb > 0 ? 1.0 - ma / mb : 0);
  }
  free(on);
  vsc_audio_features_free(&f);
  return c;
}

static double x_of(const layout *l, double t) {
  return SIDE + (l->dur > 0 ? t / l->dur : 0) * (l->w - 2 * SIDE);
}

static double tick_step(double dur) {
  static const double steps[] = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600};
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
    if (dur / steps[i] <= 12) return steps[i];
  return 1200;
}

static void summary(const vsc_audio_analysis *a, char *buf, size_t len) {
  snprintf(buf, len, "%.1f BPM  %d/4  %zu BEATS  %zu BARS  %zu SECTIONS  CONFIDENCE %.0f%%", a->tempo,
           a->meter, a->nbeats, a->ndownbeats, a->nsections, 100 * a->confidence);
}

static int write_png(const canvas *c, const char *path, char *err, size_t errlen) {
  const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
  if (!codec) {
    vsc_audio_set_err(err, errlen, "plot: this FFmpeg has no PNG encoder");
    return -1;
  }
  AVCodecContext *ctx = avcodec_alloc_context3(codec);
  AVFrame *fr = av_frame_alloc();
  AVPacket *pkt = av_packet_alloc();
  int rc = -1;
  if (!ctx || !fr || !pkt) goto done;
  ctx->width = c->w;
  ctx->height = c->h;
  ctx->pix_fmt = AV_PIX_FMT_RGB24;
  ctx->time_base = (AVRational){1, 1};
  if (avcodec_open2(ctx, codec, NULL) < 0) goto done;
  fr->format = AV_PIX_FMT_RGB24;
  fr->width = c->w;
  fr->height = c->h;
  if (av_frame_get_buffer(fr, 0) < 0) goto done;
  for (int y = 0; y < c->h; y++)
    memcpy(fr->data[0] + (size_t)y * (size_t)fr->linesize[0], c->px + (size_t)y * (size_t)c->w * 3, (size_t)c->w * 3);
  if (avcodec_send_frame(ctx, fr) < 0 || avcodec_send_frame(ctx, NULL) < 0) goto done;
  if (avcodec_receive_packet(ctx, pkt) < 0) goto done;
  FILE *fp = fopen(path, "wb");
  if (!fp) {
    vsc_audio_set_err(err, errlen, "plot: cannot write '%s': %s", path, strerror(errno));
    goto out;
  }
  size_t wr = fwrite(pkt->data, 1, (size_t)pkt->size, fp);
  if (fclose(fp) != 0 || wr != (size_t)pkt->size) {
    vsc_audio_set_err(err, errlen, "plot: cannot write '%s'", path);
    goto out;
  }
  rc = 0;
  goto out;
done:
  vsc_audio_set_err(err, errlen, "plot: PNG encoding failed");
out:
  av_packet_free(&pkt);
  av_frame_free(&fr);
  avcodec_free_context(&ctx);
  return rc;
}

/* Bar numbers on every bar, or every 2nd, 4th, ... when bars are closer than 24 px. */
static int bar_label_every(const vsc_audio_analysis *a, const layout *l) {
  if (a->ndownbeats < 2) return 1;
  double px = (x_of(l, a->downbeats[a->ndownbeats - 1]) - x_of(l, a->downbeats[0])) / (double)(a->ndownbeats - 1);
  int every = 1;
  while (every < 4096 && px * every < 24) every *= 2;
  return every;
}

static int plot_png(const vsc_audio_analysis *a, const layout *l, const char *path, char *err,
                    size_t errlen) {
  canvas c = {l->w, l->h, malloc((size_t)l->w * (size_t)l->h * 3)};
  if (!c.px) {
    vsc_audio_set_err(err, errlen, "plot: out of memory");
    return -1;
  }
  rect(&c, 0, 0, c.w, c.h, BG, 1.0);
  int y0 = TOP, y1 = l->h - BOTTOM, mid = (y0 + y1) / 2;
  for (size_t i = 0; i < a->nsections; i++) {
    const vsc_audio_section *s = &a->sections[i];
    int xa = (int)lround(x_of(l, s->start)), xb = (int)lround(x_of(l, s->end));
    rgb t = tint_of(s->label);
    rect(&c, xa, y0, xb, y1, t, 0.16);
    rect(&c, xa, y0, xb, y0 + 4, t, 0.9);
    text(&c, xa + 4, y0 + 8, 2, s->label, t);
  }
  if (l->lo)
    for (int x = SIDE; x < l->w - SIDE; x++) {
      float lo = l->lo[x], hi = l->hi[x];
      int ya = (int)lround(mid - hi * (y1 - y0) * 0.45), yb = (int)lround(mid - lo * (y1 - y0) * 0.45);
      rect(&c, x, ya, x + 1, yb + 1, WAVE, 0.85);
    }
  for (size_t i = 0; i < a->nbeats; i++) {
    int x = (int)lround(x_of(l, a->beats[i]));
    rect(&c, x, y0, x + 1, y1, BEAT, 0.7);
  }
  int every = bar_label_every(a, l);
  for (size_t i = 0; i < a->ndownbeats; i++) {
    int x = (int)lround(x_of(l, a->downbeats[i]));
    rect(&c, x, y0, x + 2, y1, BAR, 0.85);
    if (i % (size_t)every == 0) {
      char lab[24];
      snprintf(lab, sizeof lab, "%zu", i + 1);
      text(&c, x + 3, y0 + 28, 1, lab, BAR);
    }
  }
  if (l->conf) {
    /* The confidence strip: the lowest fifth of the plot, 0 at its foot, 1 at its head. */
    int cy1 = y1 - 2, cy0 = y1 - (y1 - y0) / 5;
    int low = cy1 - (int)lround(VSC_AUDIO_LOW_CONFIDENCE * (cy1 - cy0));
    for (int x = SIDE; x < l->w - SIDE; x += 6) rect(&c, x, low, x + 3, low + 1, CONF, 0.8);
    int px = -1, py = 0;
    for (size_t i = 0; i < a->nbeats; i++) {
      int x = (int)lround(x_of(l, a->beats[i])), y = cy1 - (int)lround(l->conf[i] * (cy1 - cy0));
      if (px >= 0)
        for (int k = px; k <= x; k++) {
          int yk = x > px ? py + (y - py) * (k - px) / (x - px) : y;
          rect(&c, k, yk - 1, k + 1, yk + 1, CONF, 1.0);
        }
      px = x, py = y;
    }
    text(&c, SIDE + 2, cy0 - 9, 1, "CONFIDENCE", CONF);
  }
  rect(&c, SIDE, y1, l->w - SIDE, y1 + 1, AXIS, 1.0);
  double step = tick_step(l->dur);
  for (double t = 0; t <= l->dur + 1e-9; t += step) {
    int x = (int)lround(x_of(l, t));
    char lab[32];
    snprintf(lab, sizeof lab, "%.0f", t);
    rect(&c, x, y1, x + 1, y1 + 5, AXIS, 1.0);
    text(&c, x - 3 * (int)strlen(lab), y1 + 8, 1, lab, TEXT);
  }
  char sum[160];
  summary(a, sum, sizeof sum);
  text(&c, SIDE, 8, 2, sum, TEXT);
  int rc = write_png(&c, path, err, errlen);
  free(c.px);
  return rc;
}

static int plot_svg(const vsc_audio_analysis *a, const layout *l, const char *path, char *err,
                    size_t errlen) {
  FILE *fp = fopen(path, "w");
  if (!fp) {
    vsc_audio_set_err(err, errlen, "plot: cannot write '%s': %s", path, strerror(errno));
    return -1;
  }
  int y0 = TOP, y1 = l->h - BOTTOM, mid = (y0 + y1) / 2;
  fprintf(fp, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
              "font-family=\"DejaVu Sans, sans-serif\">\n",
          l->w, l->h);
  fprintf(fp, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fafaf8\"/>\n");
  for (size_t i = 0; i < a->nsections; i++) {
    const vsc_audio_section *s = &a->sections[i];
    double xa = x_of(l, s->start), xb = x_of(l, s->end);
    rgb t = tint_of(s->label);
    fprintf(fp, "<g class=\"section\"><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                "fill=\"#%02x%02x%02x\" fill-opacity=\"0.16\"/>",
            xa, y0, xb - xa, y1 - y0, t.r, t.g, t.b);
    fprintf(fp, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"4\" fill=\"#%02x%02x%02x\"/>", xa, y0,
            xb - xa, t.r, t.g, t.b);
    fprintf(fp, "<text x=\"%.1f\" y=\"%d\" font-size=\"16\" fill=\"#%02x%02x%02x\">%s</text></g>\n",
            xa + 4, y0 + 22, t.r, t.g, t.b, s->label);
  }
  if (l->lo) {
    fprintf(fp, "<path class=\"waveform\" stroke=\"#464650\" stroke-width=\"1\" d=\"");
    for (int x = SIDE; x < l->w - SIDE; x++)
      fprintf(fp, "M%d %.1fV%.1f", x, mid - l->hi[x] * (y1 - y0) * 0.45,
              mid - l->lo[x] * (y1 - y0) * 0.45 + 0.5);
    fprintf(fp, "\"/>\n");
  }
  for (size_t i = 0; i < a->nbeats; i++)
    fprintf(fp, "<line class=\"beat\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#7896c8\"/>\n",
            x_of(l, a->beats[i]), x_of(l, a->beats[i]), y0, y1);
  int every = bar_label_every(a, l);
  for (size_t i = 0; i < a->ndownbeats; i++) {
    fprintf(fp, "<line class=\"downbeat\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#c82828\" "
                "stroke-width=\"2\"/>\n",
            x_of(l, a->downbeats[i]), x_of(l, a->downbeats[i]), y0, y1);
    if (i % (size_t)every == 0)
      fprintf(fp, "<text class=\"bar\" x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"#c82828\">%zu</text>\n",
              x_of(l, a->downbeats[i]) + 3, y0 + 36, i + 1);
  }
  if (l->conf && a->nbeats) {
    int cy1 = y1 - 2, cy0 = y1 - (y1 - y0) / 5;
    double low = cy1 - VSC_AUDIO_LOW_CONFIDENCE * (cy1 - cy0);
    fprintf(fp, "<line class=\"low-confidence\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#2e7d32\" "
                "stroke-dasharray=\"3 3\"/>\n",
            SIDE, l->w - SIDE, low, low);
    fprintf(fp, "<polyline class=\"confidence\" fill=\"none\" stroke=\"#2e7d32\" stroke-width=\"2\" points=\"");
    for (size_t i = 0; i < a->nbeats; i++)
      fprintf(fp, "%s%.1f,%.1f", i ? " " : "", x_of(l, a->beats[i]), cy1 - l->conf[i] * (cy1 - cy0));
    fprintf(fp, "\"/>\n<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#2e7d32\">confidence</text>\n", SIDE + 2, cy0 - 3);
  }
  fprintf(fp, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#969696\"/>\n", SIDE, l->w - SIDE, y1, y1);
  double step = tick_step(l->dur);
  for (double t = 0; t <= l->dur + 1e-9; t += step)
    fprintf(fp, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%.0fs</text>\n",
            x_of(l, t), y1 + 16, t);
  char sum[160];
  summary(a, sum, sizeof sum);
  fprintf(fp, "<text x=\"%d\" y=\"20\" font-size=\"14\">%s</text>\n</svg>\n", SIDE, sum);
  if (fclose(fp) != 0) {
    vsc_audio_set_err(err, errlen, "plot: cannot write '%s'", path);
    return -1;
  }
  return 0;
}

int vsc_audio_plot(const vsc_audio_analysis *a, const char *audio_path, const char *out_path,
                   int width, int height, char *err, size_t errlen) {
  layout l = {width > 0 ? width : 1600, height > 0 ? height : 400, a->duration, NULL, NULL, NULL};
  if (l.w < 2 * SIDE + 10 || l.h < TOP + BOTTOM + 20 || l.w > 20000 || l.h > 5000) {
    vsc_audio_set_err(err, errlen, "plot: size %dx%d out of range", l.w, l.h);
    return -1;
  }
  if (audio_path) {
    float *x;
    size_t n;
    if (vsc_audio_decode(&x, &n, audio_path, VSC_AUDIO_RATE, 1e6, err, errlen) < 0) return -1;
    if (l.dur <= 0) l.dur = (double)n / VSC_AUDIO_RATE;
    l.lo = calloc((size_t)l.w, sizeof *l.lo);
    l.hi = calloc((size_t)l.w, sizeof *l.hi);
    if (!l.lo || !l.hi) {
      free(x), free(l.lo), free(l.hi);
      vsc_audio_set_err(err, errlen, "plot: out of memory");
      return -1;
    }
    float peak = 1e-6f;
    for (size_t i = 0; i < n; i++) peak = fmaxf(peak, fabsf(x[i]));
    for (int col = SIDE; col < l.w - SIDE; col++) {
      double ta = (col - SIDE) * l.dur / (l.w - 2 * SIDE), tb = (col + 1 - SIDE) * l.dur / (l.w - 2 * SIDE);
      size_t ia = (size_t)(ta * VSC_AUDIO_RATE), ib = (size_t)(tb * VSC_AUDIO_RATE);
      if (ib > n) ib = n;
      float lo = 0, hi = 0;
      for (size_t i = ia; i < ib; i++) {
        lo = fminf(lo, x[i] / peak);
        hi = fmaxf(hi, x[i] / peak);
      }
      l.lo[col] = lo;
      l.hi[col] = hi;
    }
    l.conf = beat_confidence_curve(a, x, n);
    free(x);
  }
  if (l.dur <= 0) l.dur = 1;
  size_t len = strlen(out_path);
  int rc = len > 4 && strcasecmp(out_path + len - 4, ".svg") == 0 ? plot_svg(a, &l, out_path, err, errlen)
                                                                  : plot_png(a, &l, out_path, err, errlen);
  free(l.lo);
  free(l.hi);
  free(l.conf);
  return rc;
}
