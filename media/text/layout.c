/*
** Text layout. The text is cut into words (and single CJK characters, which may break
** anywhere); one libass render of the whole text on a single line, each word in its own
** colour, gives every word's ink span; widths scale with the size (no hinting). Then, from
** the preferred size down to the smallest allowed, the fewest lines whose balanced breaks
** (the longest line as short as possible) fit the width, and whose height fits, are placed
** and drawn for real: the drawn pixels (outline, shadow and box included) are moved inside
** the safe area, and the first size whose pixels fit is kept.
*/
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

vsc_text_ctx *vsc_text_new(int w, int h) {
  if (w < 16 || h < 16) return NULL;
  vsc_text_ctx *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->w = w;
  c->h = h;
  c->lib = ass_library_init();
  if (!c->lib) goto fail;
  text_quiet(c->lib);
  c->render = ass_renderer_init(c->lib);
  c->measure = ass_renderer_init(c->lib);
  if (!c->render || !c->measure) goto fail;
  ass_set_frame_size(c->render, w, h);
  ass_set_frame_size(c->measure, TEXT_MEASURE_W, h);
  /* As FFmpeg's ass filter sets them: fontconfig, no default family, complex shaping. */
  ass_set_fonts(c->render, NULL, NULL, ASS_FONTPROVIDER_AUTODETECT, NULL, 1);
  ass_set_fonts(c->measure, NULL, NULL, ASS_FONTPROVIDER_AUTODETECT, NULL, 1);
  ass_set_shaper(c->render, ASS_SHAPING_COMPLEX);
  ass_set_shaper(c->measure, ASS_SHAPING_COMPLEX);
  return c;
fail:
  vsc_text_free(c);
  return NULL;
}

void vsc_text_free(vsc_text_ctx *c) {
  if (!c) return;
  if (c->render) ass_renderer_done(c->render);
  if (c->measure) ass_renderer_done(c->measure);
  if (c->lib) ass_library_done(c->lib);
  text_emoji_done(c);
  free(c);
}

int text_ctx_add_fontdir(vsc_text_ctx *c, const char *dir) {
  for (int i = 0; i < c->nfontdirs; i++)
    if (!strcmp(c->fontdirs[i], dir)) return 0;
  if (c->nfontdirs > 0) return -1; /* libass (and the ass filter) read one fonts directory */
  snprintf(c->fontdirs[c->nfontdirs++], sizeof c->fontdirs[0], "%s", dir);
  ass_set_fonts_dir(c->lib, dir);
  ass_set_fonts(c->render, NULL, NULL, ASS_FONTPROVIDER_AUTODETECT, NULL, 1);
  ass_set_fonts(c->measure, NULL, NULL, ASS_FONTPROVIDER_AUTODETECT, NULL, 1);
  return 0;
}

void vsc_text_layout_free(vsc_text_layout *L) {
  if (!L) return;
  for (int i = 0; i < L->ntokens; i++) free(L->tokens[i].text);
  free(L->tokens);
  free(L->line_start);
  free(L->emoji);
  L->emoji = NULL;
  L->nemoji = 0;
  L->tokens = NULL;
  L->line_start = NULL;
  L->ntokens = L->nlines = 0;
}

/* ---- words ---- */
static unsigned utf8_next(const unsigned char *s, int *len) {
  unsigned c = s[0];
  int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2
                   : (c >> 4) == 14    ? 3
                   : (c >> 3) == 30    ? 4
                                       : 1;
  for (int i = 1; i < n; i++)
    if ((s[i] & 0xC0) != 0x80) n = 1;
  *len = n;
  if (n == 1) return c;
  unsigned cp = c & (0x7F >> n);
  for (int i = 1; i < n; i++) cp = cp << 6 | (s[i] & 0x3F);
  return cp;
}

/* Scripts written without spaces: a line may break before any of their characters. */
static int breaks_anywhere(unsigned cp) {
  return (cp >= 0x2E80 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFF00 && cp <= 0xFFEF) || (cp >= 0x20000 && cp <= 0x3FFFF);
}

/* Punctuation that must not start a line (kept with the character before it). */
static int no_break_before(unsigned cp) {
  return cp == 0x3001 || cp == 0x3002 || cp == 0xFF0C || cp == 0xFF01 || cp == 0xFF1F || cp == 0x300D ||
         cp == 0x300F || cp == 0xFF09;
}

static int push_token(vsc_text_layout *L, const char *s, size_t n, bool space, bool newline, bool accent) {
  if ((L->ntokens & (L->ntokens + 1)) == 0 || L->ntokens == 0) {
    size_t cap = (size_t)(L->ntokens + 1) * 2;
    vsc_text_token *t = realloc(L->tokens, cap * sizeof *t);
    if (!t) return -1;
    L->tokens = t;
  }
  char *copy = malloc(n + 1);
  if (!copy) return -1;
  memcpy(copy, s, n);
  copy[n] = 0;
  L->tokens[L->ntokens++] = (vsc_text_token){copy, space, newline, accent};
  return 0;
}

static int tokenize(const char *text, vsc_text_layout *L) {
  const unsigned char *p = (const unsigned char *)text;
  char *word = malloc(strlen(text) + 1);
  if (!word) return -1;
  size_t wn = 0;
  bool accent = false, space = false, newline = false, wacc = false;
  int ret = 0;
#define FLUSH() \
  do { \
    if (wn && ret == 0) ret = push_token(L, word, wn, space && L->ntokens > 0, newline && L->ntokens > 0, wacc); \
    if (wn) space = newline = false; \
    wn = 0; \
  } while (0)
  while (*p) {
    int len;
    unsigned cp = utf8_next(p, &len);
    if (cp == '*' && p[1] == '*') {
      if (!wn) wacc = accent;
      word[wn++] = '*';
      p += 2;
      continue;
    }
    if (cp == '*') {
      /* The accent changes: the piece so far is a token of its own, glued to the next. */
      FLUSH();
      accent = !accent;
      p++;
      continue;
    }
    if (cp == ' ' || cp == '\t' || cp == 0x3000) {
      FLUSH();
      space = true;
      p += len;
      continue;
    }
    if (cp == '\n') {
      FLUSH();
      newline = true;
      p++;
      continue;
    }
    if (breaks_anywhere(cp) && !no_break_before(cp)) FLUSH();
    if (!wn) wacc = accent;
    memcpy(word + wn, p, (size_t)len);
    wn += (size_t)len;
    p += len;
    if (breaks_anywhere(cp)) {
      /* Closing punctuation stays with this character, and so does a variation selector
         (㊗️ is an emoji: emoji.c). */
      int l2;
      unsigned c2;
      while (*p && (no_break_before(c2 = utf8_next(p, &l2)) || c2 == 0xFE0F || c2 == 0xFE0E)) {
        memcpy(word + wn, p, (size_t)l2);
        wn += (size_t)l2;
        p += l2;
      }
      FLUSH();
    }
  }
  FLUSH();
#undef FLUSH
  free(word);
  return ret;
}

/* ---- styles ---- */
static void style_line(const vsc_text_req *rq, vsc_text_layout *L, int px) {
  double bord = rq->box ? fmax(rq->outline * px, 0.2 * px) : rq->outline * px;
  double shad = rq->shadow * px;
  unsigned prim = text_ass_color(L->color, 1);
  unsigned outl = rq->box ? text_ass_color(rq->box_color, L->box_alpha) : text_ass_color(rq->outline_color, 1);
  unsigned back = rq->box && !rq->shadow ? outl : text_ass_color(rq->shadow_color, rq->box ? L->box_alpha : 0.75);
  L->outline_px = bord, L->shadow_px = shad;
  snprintf(L->style, sizeof L->style, "%s,%d,&H%08X,&H%08X,&H%08X,&H%08X,%d,%d,0,0,100,100,0,0,%d,%.2f,%.2f,7,0,0,0,1",
           L->font.family, px, prim, prim, outl, back, L->font.bold ? -1 : 0, L->font.italic ? -1 : 0, rq->box ? 3 : 1,
           bord, shad);
}

/* Every word's ink span on one line at px (ids[i] = {x0, x1}); 0 or -1. */
static int measure_words(vsc_text_ctx *c, const vsc_text_layout *L, int px, int (*ids)[2]) {
  text_sb sb = {0};
  text_sb_printf(&sb,
                 "[Script Info]\nScriptType: v4.00+\nPlayResX: %d\nPlayResY: %d\nLayoutResX: %d\nLayoutResY: %d\n"
                 "WrapStyle: 2\nScaledBorderAndShadow: yes\n\n[V4+ Styles]\n"
                 "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
                 "Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
                 "Alignment, MarginL, MarginR, MarginV, Encoding\n"
                 "Style: m,%s,%d,&H00FFFFFF,&H00FFFFFF,&H00000000,&H00000000,%d,%d,0,0,100,100,0,0,1,0,0,7,0,0,0,1\n\n"
                 "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
                 "Dialogue: 0,0:00:00.00,0:00:10.00,m,,0,0,0,,{\\pos(%d,0)}",
                 TEXT_MEASURE_W, c->h, TEXT_MEASURE_W, c->h, L->font.family, px, L->font.bold ? -1 : 0,
                 L->font.italic ? -1 : 0, px);
  for (int i = 0; i < L->ntokens; i++) {
    if (i && (L->tokens[i].space || L->tokens[i].newline)) text_sb_printf(&sb, " ");
    text_sb_printf(&sb, "{\\1c&H%06X&}", text_ass_color((uint32_t)(i + 1), 1) & 0xffffff);
    text_emoji_token(&sb, L, i, px, TEXT_EMOJI_INK, 0, NULL);
    ids[i][0] = INT_MAX;
    ids[i][1] = INT_MIN;
  }
  text_sb_printf(&sb, "\n");
  int bbox[4], ret = -1;
  if (!sb.oom) ret = text_render_bbox(c->lib, c->measure, sb.buf, 1.0, bbox, ids, L->ntokens);
  text_sb_free(&sb);
  /* A word without ink (a space-like character) sits where the previous one ended. */
  int last = px;
  for (int i = 0; i < L->ntokens; i++) {
    if (ids[i][1] < ids[i][0]) ids[i][0] = ids[i][1] = last;
    last = ids[i][1];
  }
  return ret;
}

/* ---- balanced breaks ---- */
typedef struct {
  int n;
  const double *x0, *x1; /* word ink spans at the size being tried */
  const vsc_text_token *tok;
} words;

/* The k-line breaks of words that make the longest line shortest (starts[0..k]); returns
** that width, or HUGE_VAL when k lines cannot respect the forced breaks or keep every line
** within `cap` (lines wider than cap are never considered: they would not fit anyway). */
static double balance(const words *w, int k, int *starts, double cap) {
  int n = w->n;
  double *best = malloc(sizeof(double) * (size_t)(k + 1) * (size_t)(n + 1));
  int *from = malloc(sizeof(int) * (size_t)(k + 1) * (size_t)(n + 1));
  if (!best || !from) {
    free(best);
    free(from);
    return HUGE_VAL;
  }
#define B(l, j) best[(size_t)(l) * (size_t)(n + 1) + (size_t)(j)]
#define F(l, j) from[(size_t)(l) * (size_t)(n + 1) + (size_t)(j)]
  for (int l = 0; l <= k; l++)
    for (int j = 0; j <= n; j++) B(l, j) = HUGE_VAL, F(l, j) = -1;
  B(0, 0) = 0;
  for (int l = 1; l <= k; l++)
    for (int j = 1; j <= n; j++) {
      /* Words i..j-1 on one line, i going left: the line only gets wider. */
      double lo = w->x0[j - 1], hi = w->x1[j - 1];
      for (int i = j - 1; i >= 0; i--) {
        if (w->x0[i] < lo) lo = w->x0[i];
        if (w->x1[i] > hi) hi = w->x1[i];
        double lw = hi - lo;
        if (lw > cap || lw >= B(l, j)) break;
        if (B(l - 1, i) < HUGE_VAL) {
          double v = fmax(B(l - 1, i), lw);
          if (v < B(l, j)) B(l, j) = v, F(l, j) = i;
        }
        if (w->tok[i].newline) break; /* a forced break starts this line */
      }
    }
  double r = B(k, n);
  if (r < HUGE_VAL) {
    int j = n;
    for (int l = k; l > 0; l--) {
      starts[l] = j;
      j = F(l, j);
    }
    starts[0] = 0;
  }
#undef B
#undef F
  free(best);
  free(from);
  return r;
}

/* The fewest lines that fit `cap` (filling each line as far as it goes, forced breaks kept),
** or INT_MAX when a single word is wider than cap. */
static int greedy_lines(const words *w, double cap) {
  int lines = 0;
  for (int i = 0; i < w->n;) {
    double lo = w->x0[i], hi = w->x1[i];
    if (hi - lo > cap) return INT_MAX;
    int j = i + 1;
    while (j < w->n && !w->tok[j].newline) {
      double l2 = fmin(lo, w->x0[j]), h2 = fmax(hi, w->x1[j]);
      if (h2 - l2 > cap) break;
      lo = l2, hi = h2, j++;
    }
    lines++;
    i = j;
  }
  return lines;
}

/* ---- placement ---- */
static double xf_of(const vsc_text_req *rq, double *anchor) {
  if (!rq->x) return *anchor = rq->xf, 0.5;
  if (!strcmp(rq->x, "left")) return *anchor = rq->safe.x0, 0.0;
  if (!strcmp(rq->x, "right")) return *anchor = rq->safe.x1, 1.0;
  return *anchor = 0.5, 0.5;
}

static double yf_of(const vsc_text_req *rq, double *anchor) {
  if (!rq->y) return *anchor = rq->yf, 0.5;
  if (!strcmp(rq->y, "top")) return *anchor = rq->safe.y0, 0.0;
  if (!strcmp(rq->y, "bottom")) return *anchor = rq->safe.y1, 1.0;
  return *anchor = 0.5, 0.5;
}

/* Places the lines of L (breaks, size and style set) and draws them: fills anchor, top and
** the ink box, moved inside the safe area when it fits there. Returns 1 if it fits, 0 if
** not, -1 on failure. */
static int place(vsc_text_ctx *c, const vsc_text_req *rq, vsc_text_layout *L, double block_w, double extra) {
  int W = c->w, H = c->h;
  double ax, ay;
  double fx = xf_of(rq, &ax), fy = yf_of(rq, &ay);
  double bw = block_w + 2 * extra, bh = L->nlines * L->line_px + 2 * extra;
  double left = ax * W - fx * bw, top = ay * H - fy * bh;
  /* Start from the measured block moved inside the safe area: the frame clips what is drawn
     outside it, and a clipped drawing cannot tell how far to move. */
  if (left + bw > L->safe_x1) left = L->safe_x1 - bw;
  if (left < L->safe_x0) left = L->safe_x0;
  if (top + bh > L->safe_y1) top = L->safe_y1 - bh;
  if (top < L->safe_y0) top = L->safe_y0;
  L->anchor_x = (int)lround(L->align == VSC_ALIGN_LEFT    ? left + extra
                            : L->align == VSC_ALIGN_RIGHT ? left + bw - extra
                                                          : left + bw / 2);
  L->top_y = (int)lround(top + extra);
  for (int pass = 0; pass < 2; pass++) {
    vsc_text_ass *a = vsc_text_ass_new(W, H);
    if (!a) return -1;
    text_ass_set_mode(a, TEXT_EMOJI_INK); /* the emoji boxes are ink */
    const char *script = vsc_text_ass_add(a, L, 0, 10, 0, -1, -1, 0) == 0 ? vsc_text_ass_script(a) : NULL;
    int b[4], ret = script ? text_render_bbox(c->lib, c->render, script, 1.0, b, NULL, 0) : -1;
    vsc_text_ass_free(a);
    if (ret < 0) return -1;
    L->ink_x0 = b[0], L->ink_y0 = b[1], L->ink_x1 = b[2], L->ink_y1 = b[3];
    if (pass) break;
    /* Move the drawn pixels inside the safe area (the drawing only moves with \pos). */
    int dx = 0, dy = 0;
    if (b[2] - b[0] <= L->safe_x1 - L->safe_x0) {
      if (b[0] < L->safe_x0) dx = L->safe_x0 - b[0];
      else if (b[2] > L->safe_x1) dx = L->safe_x1 - b[2];
    }
    if (b[3] - b[1] <= L->safe_y1 - L->safe_y0) {
      if (b[1] < L->safe_y0) dy = L->safe_y0 - b[1];
      else if (b[3] > L->safe_y1) dy = L->safe_y1 - b[3];
    }
    if (!dx && !dy) break;
    L->anchor_x += dx;
    L->top_y += dy;
  }
  return L->ink_x0 >= L->safe_x0 && L->ink_x1 <= L->safe_x1 && L->ink_y0 >= L->safe_y0 && L->ink_y1 <= L->safe_y1;
}

static int set_lines(vsc_text_layout *L, const int *starts, int k) {
  int *ls = realloc(L->line_start, sizeof(int) * (size_t)(k + 1));
  if (!ls) return -1;
  memcpy(ls, starts, sizeof(int) * (size_t)(k + 1));
  L->line_start = ls;
  L->nlines = k;
  return 0;
}

/* vsc_text_font_resolve, remembered per context. */
static int ctx_font(vsc_text_ctx *c, const char *name, vsc_text_font *out) {
  const char *key = name ? name : "";
  for (int i = 0; i < c->nfonts; i++)
    if (!strcmp(c->fonts[i].name, key)) {
      *out = c->fonts[i].font;
      return c->fonts[i].ok;
    }
  int ok = vsc_text_font_resolve(name, out);
  if (c->nfonts < 16 && strlen(key) < sizeof c->fonts[0].name) {
    snprintf(c->fonts[c->nfonts].name, sizeof c->fonts[0].name, "%s", key);
    c->fonts[c->nfonts].font = *out;
    c->fonts[c->nfonts++].ok = ok;
  }
  return ok;
}

int vsc_text_layout_run(vsc_text_ctx *c, const vsc_text_req *rq, vsc_text_layout *L, char *err, size_t errlen) {
  memset(L, 0, sizeof *L);
  int W = c->w, H = c->h;
  if (ctx_font(c, rq->font, &L->font) < 0) {
    snprintf(err, errlen, "font '%s' cannot be read", rq->font ? rq->font : "");
    return -1;
  }
  if (L->font.is_file) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s", L->font.file);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    if (text_ctx_add_fontdir(c, dir[0] ? dir : "/") < 0) {
      snprintf(err, errlen, "font files from more than one directory in one frame ('%s')", rq->font);
      return -1;
    }
  }
  L->color = rq->color;
  L->accent = rq->accent;
  L->box = rq->box;
  L->box_alpha = rq->box_alpha > 0 ? rq->box_alpha : 0.6;
  L->align = rq->align;
  if (L->align == VSC_ALIGN_AUTO)
    L->align = rq->x && !strcmp(rq->x, "left") ? VSC_ALIGN_LEFT : rq->x && !strcmp(rq->x, "right") ? VSC_ALIGN_RIGHT
                                                                                                   : VSC_ALIGN_CENTER;
  L->safe_x0 = (int)ceil(rq->safe.x0 * W), L->safe_x1 = (int)floor(rq->safe.x1 * W);
  L->safe_y0 = (int)ceil(rq->safe.y0 * H), L->safe_y1 = (int)floor(rq->safe.y1 * H);
  if (tokenize(rq->text ? rq->text : "", L) < 0 || text_emoji_find(c, L) < 0) goto oom;
  int n = L->ntokens;
  if (n > VSC_TEXT_MAX_WORDS) {
    snprintf(err, errlen, "text has %d words; an overlay holds %d at most", n, VSC_TEXT_MAX_WORDS);
    vsc_text_layout_free(L);
    return -1;
  }
  int px_max = (int)lround(rq->size * H), px_min = (int)lround((rq->min_size > 0 ? rq->min_size : rq->size) * H);
  if (px_max < 1) px_max = 1;
  if (px_min < 1) px_min = 1;
  if (px_min > px_max) px_min = px_max;
  double spacing = rq->spacing > 0 ? rq->spacing : 1.0;
  if (n == 0) {
    int z = 0;
    L->size_px = px_max, L->size = (double)px_max / H, L->line_px = (int)lround(spacing * px_max);
    style_line(rq, L, px_max);
    L->fits = true;
    return set_lines(L, &z, 0) < 0 ? (vsc_text_layout_free(L), -1) : 0;
  }
  int(*ids)[2] = malloc(sizeof *ids * (size_t)n);
  double *x0 = malloc(sizeof(double) * (size_t)n), *x1 = malloc(sizeof(double) * (size_t)n);
  int *starts = malloc(sizeof(int) * (size_t)(n + 1)), *best_starts = malloc(sizeof(int) * (size_t)(n + 1));
  if (!ids || !x0 || !x1 || !starts || !best_starts) {
    free(ids), free(x0), free(x1), free(starts), free(best_starts);
    goto oom;
  }
  /* Measure once, at a size whose single line fits the measuring frame. */
  int ref = px_max, ret = -1;
  for (int tries = 0; tries < 8; tries++) {
    if (measure_words(c, L, ref, ids) < 0) break;
    if (ids[n - 1][1] < TEXT_MEASURE_W - ref || ref <= 4) {
      ret = 0;
      break;
    }
    ref /= 2;
  }
  if (ret < 0) {
    snprintf(err, errlen, "text cannot be measured (font '%s')", L->font.family);
    free(ids), free(x0), free(x1), free(starts), free(best_starts);
    vsc_text_layout_free(L);
    return -1;
  }
  words w = {n, x0, x1, L->tokens};
  int maxw_px = rq->max_width > 0 ? (int)floor(rq->max_width * W) : INT_MAX;
  int safe_w = L->safe_x1 - L->safe_x0, safe_h = L->safe_y1 - L->safe_y0;
  L->fits = false;
  int px = px_max, done = 0;
  for (;;) {
    double scale = (double)px / ref;
    for (int i = 0; i < n; i++) x0[i] = ids[i][0] * scale, x1[i] = ids[i][1] * scale;
    double extra = rq->box ? fmax(rq->outline * px, 0.2 * px) : rq->outline * px;
    double shadow = rq->shadow * px;
    double avail_w = fmin((double)maxw_px, (double)safe_w) - 2 * extra - shadow;
    double avail_h = safe_h - 2 * extra - shadow;
    int line_px = (int)lround(spacing * px);
    int kmax = rq->max_lines > 0 ? rq->max_lines : n;
    int chosen = 0;
    double chosen_w = 0;
    /* Greedy filling gives the fewest lines that fit the width; balancing keeps that count. */
    int k = greedy_lines(&w, avail_w + 0.5);
    /* Lines are px tall (the font's height), spaced line_px apart. */
    if (k <= kmax && (k - 1) * line_px + px <= avail_h + 0.5) {
      double bw = balance(&w, k, starts, avail_w + 0.5);
      if (bw <= avail_w + 0.5) {
        chosen = k;
        chosen_w = bw;
        memcpy(best_starts, starts, sizeof(int) * (size_t)(k + 1));
      }
    }
    if (chosen) {
      L->size_px = px, L->size = (double)px / H, L->line_px = line_px;
      style_line(rq, L, px);
      if (set_lines(L, best_starts, chosen) < 0) break;
      int fit = place(c, rq, L, chosen_w, extra);
      if (fit < 0) break;
      if (fit) {
        L->fits = true;
        done = 1;
        break;
      }
    }
    if (px <= px_min) break;
    int step = px / 40;
    px -= step < 1 ? 1 : step;
    if (px < px_min) px = px_min;
  }
  if (!done) {
    /* Does not fit even at the smallest size: lay it out there anyway (the renderer still
       draws it when it gets such a plan) and say by how much it overflows. */
    px = px_min;
    double scale = (double)px / ref;
    for (int i = 0; i < n; i++) x0[i] = ids[i][0] * scale, x1[i] = ids[i][1] * scale;
    double extra = rq->box ? fmax(rq->outline * px, 0.2 * px) : rq->outline * px;
    double shadow = rq->shadow * px;
    double avail_w = fmin((double)maxw_px, (double)safe_w) - 2 * extra - shadow;
    int line_px = (int)lround(spacing * px);
    int kmax = rq->max_lines > 0 ? rq->max_lines : n;
    double widest = 0;
    for (int i = 0; i < n; i++)
      if (x1[i] - x0[i] > widest) widest = x1[i] - x0[i], L->widest = i;
    L->widest_px = (int)ceil(widest + 2 * extra + shadow);
    /* The fewest lines at the width (or, with a word wider than that, at the word's width),
       as many as allowed; forced breaks may need more. */
    int k = greedy_lines(&w, avail_w + 0.5);
    if (k == INT_MAX) k = greedy_lines(&w, widest + 0.5);
    if (k > kmax) k = kmax;
    double bw = balance(&w, k, starts, HUGE_VAL);
    if (bw == HUGE_VAL) {
      k = greedy_lines(&w, HUGE_VAL);
      bw = balance(&w, k, starts, HUGE_VAL);
    }
    memcpy(best_starts, starts, sizeof(int) * (size_t)(k + 1));
    L->size_px = px, L->size = (double)px / H, L->line_px = line_px;
    style_line(rq, L, px);
    int fit = -1;
    if (set_lines(L, best_starts, k) == 0 && (fit = place(c, rq, L, bw, extra)) >= 0) {
      int iw = L->ink_x1 - L->ink_x0, ih = L->ink_y1 - L->ink_y0;
      int lim_w = maxw_px < safe_w ? maxw_px : safe_w;
      /* The frame clips the drawing: the measured line says how wide it really is. */
      double need_w = (bw < HUGE_VAL ? bw : 0) + 2 * extra + shadow;
      if (need_w > iw) iw = (int)ceil(need_w);
      L->over_w = iw > lim_w ? iw - lim_w : 0;
      L->over_h = ih > safe_h ? ih - safe_h : 0;
      if (fit == 1) L->fits = true, L->over_w = L->over_h = 0; /* the estimate was pessimistic */
      else if (!L->over_w && !L->over_h) L->over_w = 1;        /* drawn outside, by less than a pixel of size */
      done = 1;
    }
  }
  free(ids), free(x0), free(x1), free(starts), free(best_starts);
  if (!done) goto oom;
  if (L->nemoji && text_emoji_probe(c, L) < 0) goto oom;
  return 0;
oom:
  snprintf(err, errlen, "out of memory laying out text");
  vsc_text_layout_free(L);
  return -1;
}
