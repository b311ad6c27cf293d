/*
** Local provider: the animatic card as a libavfilter graph (generate kinds "video" and
** "image"), rendered by the compositor's vsc_comp_render.
**
** Layout: the background (a gradient of the palette with a faint storyboard grid, or the
** start image for image-to-video) is built once, 25 % larger than the frame, looped, and
** framed by a moving crop (pans, tilts) or zoompan (zooms, orbit, handheld), which applies
** the camera move over the shot. On top, fixed in the
** frame so they stay readable: the prompt word-wrapped in a dark band (or as a caption
** under an image), the scene label top left, the running time code top right, and the
** camera move bottom left.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "local.h"

const char *const vsc_local_camera_moves[] = {
    "static",
    "push-in",
    "pull-out",
    "pan-left",
    "pan-right",
    "tilt-up",
    "tilt-down",
    "zoom-in",
    "zoom-out",
    "orbit",
    "handheld",
    NULL,
};

#define MARGIN 1.25 /* background size / frame size: room for pans and zooms */

/* ---- word wrap ---- */

/* Bytes of the UTF-8 sequence starting at s (1 for a stray continuation byte). */
static size_t u8len(const unsigned char *s) {
  size_t n = *s < 0x80 ? 1 : (*s >> 5) == 6 ? 2
                       : (*s >> 4) == 14    ? 3
                       : (*s >> 3) == 30    ? 4
                                            : 1;
  for (size_t i = 1; i < n; i++)
    if ((s[i] & 0xc0) != 0x80) return 1;
  return n;
}

typedef struct {
  const char *p; /* first byte */
  size_t bytes;
  int cps; /* code points */
} word;

int vsc_local_wrap(const char *text, int cols, int max_lines, char **out) {
  if (cols < 4) cols = 4;
  if (max_lines < 1) max_lines = 1;
  /* Split into words on ASCII whitespace; control characters count as spaces. */
  size_t cap = 16, nw = 0;
  word *w = malloc(cap * sizeof *w);
  const unsigned char *s = (const unsigned char *)(text ? text : "");
  while (w && *s) {
    while (*s && (*s <= 0x20 || *s == 0x7f)) s++;
    if (!*s) break;
    word cur = {(const char *)s, 0, 0};
    while (*s > 0x20 && *s != 0x7f) {
      size_t k = u8len(s);
      s += k;
      cur.bytes += k;
      cur.cps++;
    }
    if (cur.bytes == 0) continue;
    if (nw == cap) {
      word *nw2 = realloc(w, (cap *= 2) * sizeof *w);
      if (!nw2) {
        free(w);
        w = NULL;
        break;
      }
      w = nw2;
    }
    w[nw++] = cur;
  }
  vsc_buf b = {0};
  vsc_buf_append(&b, "", 0);
  int lines = 0, col = 0, truncated = 0;
  for (size_t i = 0; w && i < nw && !truncated; i++) {
    const char *p = w[i].p;
    size_t bytes = w[i].bytes;
    int cps = w[i].cps;
    while (cps > 0) {
      int need = (col ? 1 : 0) + cps;
      if (col && need > cols - col) { /* does not fit: new line */
        if (lines + 1 >= max_lines) {
          truncated = 1;
          break;
        }
        vsc_buf_append(&b, "\n", 1);
        lines++;
        col = 0;
        continue;
      }
      if (col) {
        vsc_buf_append(&b, " ", 1);
        col++;
      }
      int take = cps <= cols - col ? cps : cols - col; /* a word longer than a line breaks */
      size_t tb = 0;
      for (int k = 0; k < take; k++) tb += u8len((const unsigned char *)p + tb);
      vsc_buf_append(&b, p, tb);
      col += take;
      p += tb;
      bytes -= tb;
      cps -= take;
      if (cps > 0) {
        if (lines + 1 >= max_lines) {
          truncated = 1;
          break;
        }
        vsc_buf_append(&b, "\n", 1);
        lines++;
        col = 0;
      }
    }
  }
  if (truncated) {
    /* Make room for the ellipsis on the last line. */
    while (col > cols - 1 && b.len > 0) {
      size_t k = b.len - 1;
      while (k > 0 && ((unsigned char)b.s[k] & 0xc0) == 0x80) k--;
      b.len = k;
      b.s[k] = '\0';
      col--;
    }
    vsc_buf_append(&b, "\xe2\x80\xa6", 3); /* … */
  }
  free(w);
  if (!b.s) {
    *out = NULL;
    return -1;
  }
  *out = b.s;
  return b.len ? lines + 1 : 0;
}

/* ---- graph ---- */

static int even(double v) {
  int i = (int)lround(v);
  return i + (i & 1);
}

static void add_color(vsc_buf *b, uint32_t rgb) { vsc_buf_printf(b, "0x%06x", rgb & 0xffffffu); }

static uint32_t scale_rgb(uint32_t rgb, double k) {
  uint32_t out = 0;
  for (int sh = 0; sh <= 16; sh += 8) {
    double c = ((rgb >> sh) & 0xff) * k;
    out |= (uint32_t)(c > 255 ? 255 : c) << sh;
  }
  return out;
}

/* The expressions of a camera move. P is the shot's progress 0..1 (E: smoothstep-eased, for
** the dolly-like moves). Moves without zoom (static, pans, tilts) become a plain moving crop
** (*crop = 1: x, y are crop expressions over the frame number n), which costs no scaling;
** the others are zoompan expressions over the output frame number `on`, where zoom
** multiplies MARGIN, so zoom = MARGIN shows exactly one frame's worth of background. */
static int camera_exprs(const vsc_local_card *c, vsc_buf *z, vsc_buf *x,
                        vsc_buf *y, int *crop) {
  const char *cam = c->camera && *c->camera ? c->camera : "static";
  *crop = !strcmp(cam, "static") || !strcmp(cam, "none") || !strncmp(cam, "pan-", 4) ||
          !strncmp(cam, "tilt-", 5);
  long frames = c->duration > 0 ? lround(c->duration * c->fps) : 1;
  char P[64], E[256];
  snprintf(P, sizeof P, "min(%s/%ld,1)", *crop ? "n" : "on", frames > 1 ? frames - 1 : 1);
  snprintf(E, sizeof E, "(%s*%s*(3-2*%s))", P, P, P);
  const char *rw = *crop ? "(iw-ow)" : "(iw-iw/zoom)", *rh = *crop ? "(ih-oh)" : "(ih-ih/zoom)";
  double m = MARGIN;
  if (!strcmp(cam, "static") || !strcmp(cam, "none")) {
    vsc_buf_printf(x, "%s/2", rw);
    vsc_buf_printf(y, "%s/2", rh);
  } else if (!strcmp(cam, "pan-left") || !strcmp(cam, "pan-right")) {
    /* The window travels the whole margin: pan-left looks further left as time goes. */
    vsc_buf_printf(x, "%s*(%s%s)", rw, !strcmp(cam, "pan-left") ? "1-" : "", E);
    vsc_buf_printf(y, "%s/2", rh);
  } else if (!strcmp(cam, "tilt-up") || !strcmp(cam, "tilt-down")) {
    vsc_buf_printf(x, "%s/2", rw);
    vsc_buf_printf(y, "%s*(%s%s)", rh, !strcmp(cam, "tilt-up") ? "1-" : "", E);
  } else if (!strcmp(cam, "push-in") || !strcmp(cam, "pull-out")) {
    int in = !strcmp(cam, "push-in");
    vsc_buf_printf(z, "%g*(%s0.18*%s)", m, in ? "1+" : "1.18-", E);
    vsc_buf_printf(x, "%s/2", rw);
    vsc_buf_printf(y, "%s/2", rh);
  } else if (!strcmp(cam, "zoom-in") || !strcmp(cam, "zoom-out")) {
    int in = !strcmp(cam, "zoom-in");
    vsc_buf_printf(z, "%g*(%s0.4*%s)", m, in ? "1+" : "1.4-", P);
    vsc_buf_printf(x, "%s/2", rw);
    vsc_buf_printf(y, "%s/2", rh);
  } else if (!strcmp(cam, "orbit")) {
    /* Half an ellipse around the subject: sweep left to right, dipping at the middle. */
    vsc_buf_printf(z, "%g*1.06", m);
    vsc_buf_printf(x, "%s/2*(1-cos(PI*%s))", rw, P);
    vsc_buf_printf(y, "%s/2*(1+0.6*sin(PI*%s))", rh, P);
  } else if (!strcmp(cam, "handheld")) {
    /* Two incommensurate wobbles per axis; phases from the seed so shots differ. */
    double p1 = (double)(c->seed % 628) / 100.0, p2 = (double)((c->seed / 628) % 628) / 100.0;
    vsc_buf_printf(z, "%g*1.05", m);
    vsc_buf_printf(x, "%s/2*(1+0.55*sin(4.4*on/%d+%.2f)+0.3*sin(11.9*on/%d+%.2f))", rw,
                   c->fps, p1, c->fps, p2);
    vsc_buf_printf(y, "%s/2*(1+0.5*sin(3.1*on/%d+%.2f)+0.3*sin(9.7*on/%d+%.2f))", rh,
                   c->fps, p2, c->fps, p1);
  } else {
    return -1;
  }
  return 0;
}

static void add_font(vsc_buf *b, const vsc_local_card *c) {
  const char *ff = c->font_file ? c->font_file : VSC_LOCAL_FONT_FILE;
  if (access(ff, R_OK) == 0) {
    vsc_buf_append(b, "fontfile=", 9);
    vsc_local_add_filter_arg(b, ff);
  } else {
    vsc_buf_append(b, "font=", 5);
    vsc_local_add_filter_arg(b, VSC_LOCAL_FONT_NAME);
  }
}

/* One drawtext filter, prefixed with a comma. `x`, `y` are drawtext expressions. */
static void drawtext(vsc_buf *b, const vsc_local_card *c, const char *text, int expand,
                     int size, const char *x, const char *y, const char *color, int box) {
  vsc_buf_append(b, ",drawtext=", 10);
  add_font(b, c);
  vsc_buf_printf(b, ":expansion=%s:text=", expand ? "normal" : "none");
  vsc_local_add_filter_arg(b, text);
  vsc_buf_printf(b, ":fontsize=%d:fontcolor=%s:x=", size, color);
  vsc_local_add_filter_arg(b, x);
  vsc_buf_append(b, ":y=", 3);
  vsc_local_add_filter_arg(b, y);
  if (box)
    vsc_buf_printf(b, ":box=1:boxcolor=black@0.45:boxborderw=%d", size / 3 > 1 ? size / 3 : 1);
  vsc_buf_printf(b, ":shadowcolor=black@0.6:shadowx=%d:shadowy=%d", size / 24 + 1,
                 size / 24 + 1);
}

int vsc_local_card_graph(const vsc_local_card *c, char **graph, char *err, size_t errlen) {
  *graph = NULL;
  int W = c->width, H = c->height, fps = c->fps > 0 ? c->fps : 25;
  int BW = even(W * MARGIN), BH = even(H * MARGIN);
  int minwh = W < H ? W : H;
  vsc_buf z = {0}, x = {0}, y = {0}, b = {0};
  int crop;
  if (camera_exprs(c, &z, &x, &y, &crop) != 0) {
    snprintf(err, errlen, "unknown camera move '%s'", c->camera);
    vsc_buf_free(&z);
    vsc_buf_free(&x);
    vsc_buf_free(&y);
    return -1;
  }

  /* Background, built once then looped. */
  if (c->image) {
    vsc_buf_append(&b, "movie=filename=", 15);
    vsc_local_add_filter_arg(&b, c->image);
    vsc_buf_printf(&b,
                   ",scale=%d:%d:force_original_aspect_ratio=increase,crop=%d:%d,setsar=1",
                   BW, BH, BW, BH);
  } else {
    static const uint32_t neutral[2] = {0x3a3f47, 0x1c1f24};
    uint32_t pal[8];
    int n = c->npalette;
    if (n <= 0) {
      memcpy(pal, neutral, sizeof neutral);
      n = 2;
    } else {
      if (n > 8) n = 8;
      memcpy(pal, c->palette, (size_t)n * sizeof *pal);
      if (n == 1) pal[n++] = scale_rgb(pal[0], 0.55);
    }
    /* The gradient runs across the visible frame's diagonal (inset by 10 %), so the frame's
    ** corners show the first and last palette colours exactly. */
    int x0 = (BW - W) / 2 + W / 10, y0 = (BH - H) / 2 + H / 10;
    int x1 = (BW + W) / 2 - W / 10, y1 = (BH + H) / 2 - H / 10;
    vsc_buf_printf(&b, "gradients=s=%dx%d:r=%d:n=%d:seed=0:x0=%d:y0=%d:x1=%d:y1=%d", BW, BH,
                   fps, n, x0, y0, x1, y1);
    for (int i = 0; i < n; i++) {
      vsc_buf_printf(&b, ":c%d=", i);
      add_color(&b, pal[i]);
    }
    int cell = minwh / 6 > 8 ? minwh / 6 : 8, th = minwh / 540 > 1 ? minwh / 540 : 1;
    vsc_buf_printf(&b, ",trim=end_frame=1,drawgrid=w=%d:h=%d:t=%d:c=white@0.12", cell, cell,
                   th);
  }
  /* yuv420p is what the encoder takes: no conversion per frame after the move. */
  vsc_buf_printf(&b, ",format=yuv420p,loop=loop=-1:size=1,setpts=N/(%d*TB)", fps);

  /* The camera move. */
  if (crop) {
    vsc_buf_printf(&b, ",crop=w=%d:h=%d:x=", W, H);
    vsc_local_add_filter_arg(&b, x.s);
    vsc_buf_append(&b, ":y=", 3);
    vsc_local_add_filter_arg(&b, y.s);
  } else {
    vsc_buf_append(&b, ",zoompan=z=", 11);
    vsc_local_add_filter_arg(&b, z.s);
    vsc_buf_append(&b, ":x=", 3);
    vsc_local_add_filter_arg(&b, x.s);
    vsc_buf_append(&b, ":y=", 3);
    vsc_local_add_filter_arg(&b, y.s);
    vsc_buf_printf(&b, ":d=1:s=%dx%d:fps=%d", W, H, fps);
  }

  /* The prompt: centred in a band on a plain card, a lower caption over an image. */
  int fs = (int)lround(minwh * (c->image ? 0.045 : 0.06));
  if (fs < 8) fs = 8;
  int max_lines = c->image ? 3 : 6;
  char *wrapped = NULL;
  int nl = 0;
  for (int tries = 0; tries < 3; tries++) {
    int cols = (int)(0.84 * W / (0.6 * fs));
    free(wrapped);
    nl = vsc_local_wrap(c->prompt, cols, tries < 2 ? 1000 : max_lines, &wrapped);
    if (nl <= max_lines || tries == 2) {
      if (nl > max_lines) nl = max_lines;
      break;
    }
    fs = (int)(fs * 0.82);
    if (fs < 8) fs = 8;
  }
  if (nl < 0) {
    snprintf(err, errlen, "out of memory");
    vsc_buf_free(&z);
    vsc_buf_free(&x);
    vsc_buf_free(&y);
    vsc_buf_free(&b);
    return -1;
  }
  if (nl > 0) {
    int lh = (int)lround(fs * 1.35);
    int top = c->image ? H - (int)lround(H * 0.15) - nl * lh : (H - nl * lh) / 2; /* above the small print */
    int pad = fs / 2;
    vsc_buf_printf(&b, ",drawbox=x=0:y=%d:w=iw:h=%d:color=black@0.42:t=fill", top - pad,
                   nl * lh + 2 * pad);
    char *line = wrapped;
    for (int i = 0; i < nl && line; i++) {
      char *nlp = strchr(line, '\n');
      if (nlp) *nlp = '\0';
      char ybuf[64];
      /* Baselines at fixed steps whatever glyphs a line holds. */
      snprintf(ybuf, sizeof ybuf, "%d-ascent", top + i * lh + (int)lround(fs * 0.95));
      drawtext(&b, c, line, 0, fs, "(w-text_w)/2", ybuf, "white", 0);
      line = nlp ? nlp + 1 : NULL;
    }
  }
  free(wrapped);

  /* Small print: label, time code, camera move. */
  int ss = (int)lround(minwh * 0.035);
  if (ss < 10) ss = 10;
  char mx[32], my[32], rx[48], by[48];
  snprintf(mx, sizeof mx, "%d", (int)lround(W * 0.035));
  snprintf(my, sizeof my, "%d", (int)lround(H * 0.045));
  snprintf(rx, sizeof rx, "w-text_w-%d", (int)lround(W * 0.035));
  snprintf(by, sizeof by, "h-text_h-%d", (int)lround(H * 0.045));
  if (c->label && *c->label) drawtext(&b, c, c->label, 0, ss, mx, my, "white", 1);
  if (c->timecode) drawtext(&b, c, "%{pts:hms}", 1, ss, rx, my, "white", 1);
  if (c->duration > 0 && c->camera && *c->camera && strcmp(c->camera, "static") &&
      strcmp(c->camera, "none")) {
    char cam[96];
    snprintf(cam, sizeof cam, "camera: %s", c->camera);
    drawtext(&b, c, cam, 0, (int)lround(ss * 0.85), mx, by, "white@0.85", 1);
  }
  vsc_buf_append(&b, "[vout]", 6);

  vsc_buf_free(&z);
  vsc_buf_free(&x);
  vsc_buf_free(&y);
  *graph = b.s;
  return 0;
}
