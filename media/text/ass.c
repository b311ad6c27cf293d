/*
** The ASS script of laid-out texts: one style per text and one event per line, each line
** placed with \an and \pos, so libass only shapes and draws (WrapStyle 2: it never wraps on
** its own). Also the renderer probe that returns the pixels a script draws.
*/
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

void text_sb_printf(text_sb *sb, const char *fmt, ...) {
  if (sb->oom) return;
  va_list ap;
  for (;;) {
    size_t room = sb->cap - sb->len;
    va_start(ap, fmt);
    int n = vsnprintf(sb->buf ? sb->buf + sb->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0) {
      sb->oom = 1;
      return;
    }
    if ((size_t)n < room) {
      sb->len += (size_t)n;
      return;
    }
    size_t cap = sb->cap ? sb->cap * 2 : 1024;
    while (cap < sb->len + (size_t)n + 1) cap *= 2;
    char *b = realloc(sb->buf, cap);
    if (!b) {
      sb->oom = 1;
      return;
    }
    sb->buf = b;
    sb->cap = cap;
  }
}

void text_sb_free(text_sb *sb) {
  free(sb->buf);
  memset(sb, 0, sizeof *sb);
}

void text_sb_ass_escaped(text_sb *sb, const char *s) { text_sb_ass_escaped_n(sb, s, strlen(s)); }

void text_sb_ass_escaped_n(text_sb *sb, const char *s, size_t n) {
  for (const char *end = s + n; s < end && *s; s++) {
    if (*s == '{' || *s == '}') text_sb_printf(sb, "\\%c", *s);
    else if (*s == '\\') text_sb_printf(sb, "\\\xE2\x81\xA0"); /* a word joiner stops \N, \h, \{ */
    else if (*s == '\n' || *s == '\r') text_sb_printf(sb, " ");
    else text_sb_printf(sb, "%c", *s);
  }
}

unsigned text_ass_color(uint32_t rgb, double opacity) {
  unsigned r = (rgb >> 16) & 255, g = (rgb >> 8) & 255, b = rgb & 255;
  if (opacity < 0) opacity = 0;
  if (opacity > 1) opacity = 1;
  unsigned a = (unsigned)lround((1 - opacity) * 255);
  return a << 24 | b << 16 | g << 8 | r;
}

static void quiet(int level, const char *fmt, va_list va, void *data) {
  (void)level, (void)fmt, (void)va, (void)data;
}

void text_quiet(ASS_Library *lib) { ass_set_message_cb(lib, quiet, NULL); }

int text_render_bbox(ASS_Library *lib, ASS_Renderer *r, const char *script, double t, int bbox[4], int (*ids)[2],
                     int nids) {
  ASS_Track *track = ass_read_memory(lib, (char *)script, strlen(script), NULL);
  if (!track) return -1;
  bbox[0] = bbox[1] = INT_MAX;
  bbox[2] = bbox[3] = INT_MIN;
  for (ASS_Image *img = ass_render_frame(r, track, (long long)llround(t * 1000), NULL); img; img = img->next) {
    if ((img->color & 0xff) == 0xff) continue; /* fully transparent */
    int x0 = INT_MAX, y0 = INT_MAX, x1 = INT_MIN, y1 = INT_MIN;
    for (int y = 0; y < img->h; y++) {
      /* Only each row's first and last inked pixel matter. */
      const unsigned char *row = img->bitmap + (size_t)y * img->stride;
      int a = 0, b = img->w - 1;
      while (a <= b && !row[a]) a++;
      if (a > b) continue;
      while (!row[b]) b--;
      if (a < x0) x0 = a;
      if (b > x1) x1 = b;
      if (y < y0) y0 = y;
      y1 = y;
    }
    if (x1 < x0) continue;
    x0 += img->dst_x, x1 += img->dst_x + 1, y0 += img->dst_y, y1 += img->dst_y + 1;
    if (x0 < bbox[0]) bbox[0] = x0;
    if (y0 < bbox[1]) bbox[1] = y0;
    if (x1 > bbox[2]) bbox[2] = x1;
    if (y1 > bbox[3]) bbox[3] = y1;
    if (ids) {
      unsigned rgb = img->color >> 8;
      int id = (int)rgb - 1;
      if (id >= 0 && id < nids) {
        if (x0 < ids[id][0]) ids[id][0] = x0;
        if (x1 > ids[id][1]) ids[id][1] = x1;
      }
    }
  }
  ass_free_track(track);
  if (bbox[2] < bbox[0]) bbox[0] = bbox[1] = bbox[2] = bbox[3] = 0;
  return 0;
}

struct vsc_text_ass {
  int w, h, nstyles;
  text_sb styles, events, script;
  text_emoji_mode mode;       /* how emoji boxes are drawn (DRAW for the compositor) */
  vsc_text_emoji_draw *emoji; /* heap: the emoji left to the compositor */
  int nemoji, cap_emoji, oom;
};

void text_ass_set_mode(vsc_text_ass *a, text_emoji_mode mode) { a->mode = mode; }

int vsc_text_ass_emoji(const vsc_text_ass *a, const vsc_text_emoji_draw **out) {
  *out = a->emoji;
  return a->nemoji;
}

/* Remembers emoji e of L drawn from start to end (the event's times); an emoji shown by
** back-to-back events (a caption's word-by-word events) stays one drawing. */
static void add_emoji(vsc_text_ass *a, const vsc_text_layout *L, const vsc_text_emoji *e, double start, double end,
                      double fade, double fade_from, double fade_to) {
  if (e->x1 <= e->x0 || e->y1 <= e->y0) return; /* off the frame */
  const char *src = L->tokens[e->token].text + e->off;
  for (int i = 0; i < a->nemoji; i++) {
    vsc_text_emoji_draw *d = &a->emoji[i];
    if (d->x == e->x0 && d->y == e->y0 && d->w == e->x1 - e->x0 && d->h == e->y1 - e->y0 && !fade && !d->fade &&
        d->end >= 0 && fabs(d->end - start) < 1e-6 && !strncmp(d->cluster, src, (size_t)e->len) && !d->cluster[e->len]) {
      d->end = end;
      return;
    }
  }
  if (a->nemoji == a->cap_emoji) {
    int cap = a->cap_emoji ? a->cap_emoji * 2 : 8;
    vsc_text_emoji_draw *n = realloc(a->emoji, sizeof *n * (size_t)cap);
    if (!n) {
      a->oom = 1;
      return;
    }
    a->emoji = n;
    a->cap_emoji = cap;
  }
  vsc_text_emoji_draw *d = &a->emoji[a->nemoji++];
  memset(d, 0, sizeof *d);
  memcpy(d->cluster, src, (size_t)e->len); /* len < sizeof cluster (emoji.c) */
  d->x = e->x0, d->y = e->y0, d->w = e->x1 - e->x0, d->h = e->y1 - e->y0;
  d->start = start, d->end = end;
  d->fade = fade, d->fade_from = fade_from, d->fade_to = fade_to;
}

vsc_text_ass *vsc_text_ass_new(int w, int h) {
  vsc_text_ass *a = calloc(1, sizeof *a);
  if (!a) return NULL;
  a->w = w;
  a->h = h;
  return a;
}

void vsc_text_ass_free(vsc_text_ass *a) {
  if (!a) return;
  text_sb_free(&a->styles);
  text_sb_free(&a->events);
  text_sb_free(&a->script);
  free(a->emoji);
  free(a);
}

static void ass_time(text_sb *sb, double t) {
  long long cs = t < 0 ? 35999999LL : llround(t * 100);
  if (cs > 35999999LL) cs = 35999999LL;
  text_sb_printf(sb, "%lld:%02lld:%02lld.%02lld", cs / 360000, cs / 6000 % 60, cs / 100 % 60, cs % 100);
}

int vsc_text_ass_add(vsc_text_ass *a, const vsc_text_layout *L, double start, double end, double fade,
                     int visible, int highlight, uint32_t hl_color) {
  int si = a->nstyles++;
  text_sb_printf(&a->styles, "Style: t%d,%s\n", si, L->style);
  int an = L->align == VSC_ALIGN_LEFT ? 7 : L->align == VSC_ALIGN_RIGHT ? 9
                                                                        : 8;
  unsigned base = text_ass_color(L->color, 1), acc = text_ass_color(L->accent, 1), hl = text_ass_color(hl_color, 1);
  for (int li = 0; li < L->nlines; li++) {
    double ev = start < 0 ? 0 : start;
    text_sb_printf(&a->events, "Dialogue: 0,");
    ass_time(&a->events, ev);
    text_sb_printf(&a->events, ",");
    ass_time(&a->events, end);
    text_sb_printf(&a->events, ",t%d,,0,0,0,,{\\an%d\\pos(%d,%d)", si, an, L->anchor_x, L->top_y + li * L->line_px);
    if (fade > 0) {
      /* Times relative to the event, which may begin after the text did (a later segment). */
      long long t1 = llround((start - ev) * 1000), t2 = t1 + llround(fade * 1000);
      long long t4 = end < 0 ? 360000000LL : llround((end - ev) * 1000), t3 = end < 0 ? t4 : t4 - llround(fade * 1000);
      text_sb_printf(&a->events, "\\fade(255,0,255,%lld,%lld,%lld,%lld)", t1, t2, t3, t4);
    }
    if (a->mode == TEXT_EMOJI_PROBE) text_sb_printf(&a->events, "\\alpha&HFF&"); /* only the emoji boxes show */
    text_sb_printf(&a->events, "}");
    unsigned cur = base;
    int hidden = 0;
    for (int t = L->line_start[li]; t < L->line_start[li + 1]; t++) {
      const vsc_text_token *tk = &L->tokens[t];
      unsigned want = t == highlight ? hl : tk->accent ? acc
                                                       : base;
      int hide = visible >= 0 && t >= visible;
      if (t > L->line_start[li] && tk->space) text_sb_printf(&a->events, " ");
      if (want != cur || hide != hidden) {
        text_sb_printf(&a->events, "{");
        if (want != cur) text_sb_printf(&a->events, "\\1c&H%06X&", want & 0xffffff);
        if (hide != hidden) {
          if (hide) text_sb_printf(&a->events, "\\alpha&HFF&");
          else text_sb_printf(&a->events, "\\1a&H00&\\3a&H%02X&\\4a&H%02X&", L->box ? (unsigned)lround((1 - L->box_alpha) * 255) : 0,
                              L->box ? (unsigned)lround((1 - L->box_alpha) * 255) : 0);
        }
        text_sb_printf(&a->events, "}");
        cur = want;
        hidden = hide;
      }
      const int line[2] = {L->line_start[li], L->line_start[li + 1] - 1};
      text_emoji_token(&a->events, L, t, L->size_px, a->mode, hide, line);
    }
    /* The emoji of this line, as the compositor draws them (ASS times are centiseconds). */
    for (int e = 0; a->mode == TEXT_EMOJI_DRAW && e < L->nemoji; e++) {
      int t = L->emoji[e].token;
      if (t < L->line_start[li] || t >= L->line_start[li + 1] || (visible >= 0 && t >= visible)) continue;
      double es = llround(ev * 100) / 100.0, ee = end < 0 ? -1 : fmin(llround(end * 100), 35999999LL) / 100.0;
      add_emoji(a, L, &L->emoji[e], es, ee, fade > 0 ? fade : 0, start, end);
    }
    text_sb_printf(&a->events, "\n");
  }
  return a->styles.oom || a->events.oom || a->oom ? -1 : 0;
}

const char *vsc_text_ass_script(vsc_text_ass *a) {
  text_sb_free(&a->script);
  text_sb_printf(&a->script,
                 "[Script Info]\nScriptType: v4.00+\nPlayResX: %d\nPlayResY: %d\nLayoutResX: %d\nLayoutResY: %d\n"
                 "WrapStyle: 2\nScaledBorderAndShadow: yes\nYCbCr Matrix: None\n\n[V4+ Styles]\n"
                 "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
                 "Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
                 "Alignment, MarginL, MarginR, MarginV, Encoding\n%s\n[Events]\n"
                 "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n%s",
                 a->w, a->h, a->w, a->h, a->styles.buf ? a->styles.buf : "", a->events.buf ? a->events.buf : "");
  return a->script.oom || a->styles.oom || a->events.oom ? NULL : a->script.buf;
}

int vsc_text_ass_bbox(vsc_text_ctx *c, const char *script, double t, int *x0, int *y0, int *x1, int *y1) {
  int b[4];
  if (text_render_bbox(c->lib, c->render, script, t, b, NULL, 0) < 0) return -1;
  *x0 = b[0], *y0 = b[1], *x1 = b[2], *y1 = b[3];
  return 0;
}
