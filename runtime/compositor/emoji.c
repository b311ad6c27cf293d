/*
** Colour emoji over a layer's texts. libass draws the texts with an invisible box where each
** emoji goes (media/text/emoji.c); here every emoji becomes a picture: the glyph from the
** colour font at its bitmap strike, scaled with libswscale to the box libass placed, and
** overlaid in the segment's graph while the text's events show it, fading with the text.
** Emoji shown over the same times share one picture (one overlay), so a title with three
** emoji costs one overlay of its emoji's area.
*/
#include <libswscale/swscale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "comp.h"
#include "vsc/vsc_text.h"

static int same_times(const vsc_text_emoji_draw *a, const vsc_text_emoji_draw *b) {
  return a->start == b->start && a->end == b->end && a->fade == b->fade && a->fade_from == b->fade_from &&
         a->fade_to == b->fade_to;
}

/* Scales emoji d's strike picture into its box and draws it over the canvas (premultiplied
** RGBA, cw x ch, whose top-left is (ox, oy) in the frame). */
static int draw_one(vsc_text_ctx *c, const vsc_text_emoji_draw *d, uint8_t *canvas, int cw, int ch, int ox, int oy) {
  uint8_t *src;
  int sw, sh;
  if (vsc_text_emoji_bitmap(c, d->cluster, &src, &sw, &sh) < 0) return -1;
  uint8_t *dst = malloc((size_t)d->w * (size_t)d->h * 4);
  /* Premultiplied pixels resample correctly as they are; area averaging down, bicubic up. */
  struct SwsContext *sws = dst ? sws_getContext(sw, sh, AV_PIX_FMT_BGRA, d->w, d->h, AV_PIX_FMT_RGBA,
                                                d->w < sw ? SWS_AREA : SWS_BICUBIC, NULL, NULL, NULL)
                               : NULL;
  int ret = -1;
  if (sws) {
    const uint8_t *const sp[4] = {src, NULL, NULL, NULL};
    const int ss[4] = {sw * 4, 0, 0, 0};
    uint8_t *const dp[4] = {dst, NULL, NULL, NULL};
    const int ds[4] = {d->w * 4, 0, 0, 0};
    if (sws_scale(sws, sp, ss, 0, sh, dp, ds) == d->h) ret = 0;
    sws_freeContext(sws);
  }
  for (int y = 0; ret == 0 && y < d->h; y++) {
    int cy = d->y - oy + y;
    if (cy < 0 || cy >= ch) continue;
    for (int x = 0; x < d->w; x++) {
      int cx = d->x - ox + x;
      if (cx < 0 || cx >= cw) continue;
      uint8_t *s = dst + 4 * ((size_t)y * d->w + x), *o = canvas + 4 * ((size_t)cy * cw + cx);
      for (int k = 0; k < 3; k++)
        if (s[k] > s[3]) s[k] = s[3]; /* bicubic overshoot */
      for (int k = 0; k < 4; k++) o[k] = (uint8_t)(s[k] + o[k] * (255 - s[3]) / 255);
    }
  }
  free(dst);
  free(src);
  return ret;
}

/* Writes the canvas as a PAM image (straight alpha, what libavcodec's pam decoder reads). */
static int write_pam(const char *path, uint8_t *canvas, int w, int h) {
  for (size_t i = 0; i < (size_t)w * h; i++) {
    uint8_t *p = canvas + 4 * i;
    if (p[3] && p[3] < 255)
      for (int k = 0; k < 3; k++) p[k] = (uint8_t)((p[k] * 255 + p[3] / 2) / p[3]);
  }
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  fprintf(f, "P7\nWIDTH %d\nHEIGHT %d\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n", w, h);
  size_t n = (size_t)w * h * 4;
  int bad = fwrite(canvas, 1, n, f) != n;
  if (fclose(f) != 0 || bad) {
    unlink(path);
    return -1;
  }
  return 0;
}

void comp_emoji_remove(const char *ass_path, int n) {
  char path[4200];
  for (int k = 0; k < n; k++) {
    snprintf(path, sizeof path, "%s.%d.pam", ass_path, k);
    unlink(path);
  }
}

/* The overlay of picture k: shown while its events show, fading as the text's \fade does. */
static void overlay_filter(vsc_buf *sb, const char *path, const vsc_text_emoji_draw *d, int x, int y, const char *tag,
                           int k, int fps) {
  vsc_buf_printf(sb, "[%st%d];movie=", tag, k);
  comp_add_filter_arg(sb, path);
  vsc_buf_printf(sb, ",format=yuva420p");
  if (d->fade > 0) {
    /* A frame stream on the layer's clock, shifted by `off` frames while fading (the fade
       filter starts at t >= 0; the text may have begun before this segment). */
    double lo = fmin(d->fade_from, d->fade_to >= 0 ? d->fade_to - d->fade : d->fade_from);
    long off = lo < 0 ? (long)ceil(-lo * fps) : 0;
    double sh = (double)off / fps;
    vsc_buf_printf(sb, ",loop=loop=-1:size=1,settb=1/%d,setpts=N+%ld,fade=t=in:st=%.6f:d=%.6f:alpha=1", fps, off,
                   d->fade_from + sh, d->fade);
    if (d->fade_to >= 0) vsc_buf_printf(sb, ",fade=t=out:st=%.6f:d=%.6f:alpha=1", d->fade_to - d->fade + sh, d->fade);
    vsc_buf_printf(sb, ",setpts=PTS-%ld", off);
  }
  vsc_buf_printf(sb, "[%se%d];[%st%d][%se%d]overlay=x=%d:y=%d:eof_action=repeat", tag, k, tag, k, tag, k, x, y);
  char en[128] = "";
  if (d->end >= 0) snprintf(en, sizeof en, "gte(t,%.2f)*lt(t,%.2f)", d->start, d->end);
  else if (d->start > 0) snprintf(en, sizeof en, "gte(t,%.2f)", d->start);
  if (en[0]) {
    vsc_buf_printf(sb, ":enable=");
    comp_add_filter_arg(sb, en);
  }
}

int comp_emoji_overlays(vsc_buf *sb, vsc_text_ctx *c, const vsc_text_ass *a, const char *ass_path, const char *tag,
                        int fps, vsc_op_error *err, const char *where) {
  const vsc_text_emoji_draw *e;
  int n = vsc_text_ass_emoji(a, &e), k = 0;
  char *done = calloc((size_t)n + 1, 1);
  if (!done) return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
  for (int i = 0; i < n; i++) {
    if (done[i]) continue;
    /* The group of emoji shown over the same times, and the box around them. */
    int x0 = e[i].x, y0 = e[i].y, x1 = e[i].x + e[i].w, y1 = e[i].y + e[i].h;
    for (int j = i; j < n; j++)
      if (!done[j] && same_times(&e[i], &e[j])) {
        if (e[j].x < x0) x0 = e[j].x;
        if (e[j].y < y0) y0 = e[j].y;
        if (e[j].x + e[j].w > x1) x1 = e[j].x + e[j].w;
        if (e[j].y + e[j].h > y1) y1 = e[j].y + e[j].h;
      }
    int cw = x1 - x0, ch = y1 - y0;
    uint8_t *canvas = calloc((size_t)cw * (size_t)ch, 4);
    int ret = canvas ? 0 : -1;
    for (int j = i; j < n && ret == 0; j++)
      if (!done[j] && same_times(&e[i], &e[j])) {
        done[j] = 1;
        ret = draw_one(c, &e[j], canvas, cw, ch, x0, y0);
      }
    char path[4200];
    snprintf(path, sizeof path, "%s.%d.pam", ass_path, k);
    if (ret == 0) ret = write_pam(path, canvas, cw, ch);
    free(canvas);
    if (ret < 0) {
      comp_emoji_remove(ass_path, k);
      free(done);
      return vsc_op_fail(err, VSC_FAIL_LOCAL, "%semoji '%s' cannot be drawn", where, e[i].cluster);
    }
    overlay_filter(sb, path, &e[i], x0, y0, tag, k, fps);
    k++;
  }
  free(done);
  return k;
}
