/*
** format.c — the frame and the frame rate: explicit sizes ("1280x720"), ratios ("9:16"),
** platforms and orientation words ("TikTok", "square", "YouTube"), resolutions ("720p",
** "4k"), and "60 fps". Picks the preset a vertical frame implies.
*/
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

static void set_frame(fe_facts *f, int w, int h) {
  f->width = w;
  f->height = h;
  int a = w, b = h;
  while (b) {
    int t = a % b;
    a = b;
    b = t;
  }
  f->aspect_w = w / a;
  f->aspect_h = h / a;
}

/* The frame: an explicit size wins, then a ratio, then platform and orientation words;
 * a resolution word scales it. */
void fe_read_frame(fe_reader *r) {
  fe_facts *f = r->f;
  bool vertical = false, square = false, wide = false;
  /* An explicit size "1280x720". */
  for (size_t i = 0; i < r->n; i++) {
    if (!isdigit((unsigned char)r->w[i]) || (i && fe_is_wb(r, i - 1))) continue;
    char *end;
    long w = strtol(r->w + i, &end, 10);
    if ((*end != 'x' && strncmp(end, "\xc3\x97", 2) != 0) || w < 64 || w > 7680) continue;
    char *p = end + (*end == 'x' ? 1 : 2);
    long h = strtol(p, &end, 10);
    if (end == p || h < 64 || h > 7680 || fe_is_word_byte((unsigned char)*end)) continue;
    set_frame(f, (int)(w / 2 * 2), (int)(h / 2 * 2));
    fe_mark(r, i, (size_t)(end - r->w));
    break;
  }
  /* A ratio "9:16". */
  size_t best = SIZE_MAX;
  int bw = 0, bh = 0;
  for (size_t k = 0; fe_words_frame_ratios[k].kw; k++) {
    size_t p = fe_find_kw(r, 0, r->n, fe_words_frame_ratios[k].kw);
    if (p != SIZE_MAX && p < best) {
      best = p;
      bw = fe_words_frame_ratios[k].w;
      bh = fe_words_frame_ratios[k].h;
    }
    if (p != SIZE_MAX) fe_mark(r, p, p + strlen(fe_words_frame_ratios[k].kw));
  }
  if (!f->width && bw) set_frame(f, bw, bh);
  int which;
  size_t len, p;
  while ((p = fe_find_any(r, 0, r->n, fe_words_frame_vertical, &which, &len)) != SIZE_MAX) {
    vertical = true;
    fe_mark(r, p, p + len);
  }
  while ((p = fe_find_any(r, 0, r->n, fe_words_frame_square, &which, &len)) != SIZE_MAX) {
    square = true;
    fe_mark(r, p, p + len);
  }
  while ((p = fe_find_any(r, 0, r->n, fe_words_frame_wide, &which, &len)) != SIZE_MAX) {
    wide = true;
    fe_mark(r, p, p + len);
  }
  if (!f->width) {
    if (vertical) set_frame(f, 1080, 1920);
    else if (square) set_frame(f, 1080, 1080);
    else if (wide) set_frame(f, 1920, 1080);
  }
  /* "720p", "1080p", "4k": the short side, keeping the orientation. */
  for (size_t k = 0; fe_words_frame_resolutions[k].kw; k++) {
    p = fe_find_kw(r, 0, r->n, fe_words_frame_resolutions[k].kw);
    if (p == SIZE_MAX) continue;
    fe_mark(r, p, p + strlen(fe_words_frame_resolutions[k].kw));
    int w = f->width ? f->width : 1920, h = f->height ? f->height : 1080;
    double scale = (double)fe_words_frame_resolutions[k].shortside / (w < h ? w : h);
    set_frame(f, (int)lround(w * scale / 2) * 2, (int)lround(h * scale / 2) * 2);
    break;
  }
  f->preset = vertical && !square && !wide ? "social_vertical" : f->height > f->width ? "social_vertical"
                                                                                      : "ad30";
}

/* "60 fps", "25 frames per second": only the rates the renderer writes. */
void fe_read_fps(fe_reader *r) {
  for (size_t i = 0; i < r->n; i++) {
    double v;
    size_t e;
    bool word;
    if (!fe_number_at(r, i, &v, &e, &word) || word) continue;
    size_t u = fe_skip_spaces(r, e);
    size_t l = fe_unit_at(r, u, "fps") ? 3 : fe_unit_at(r, u, "frames per second") ? 17
                                                                                   : 0;
    if (l && (v == 24 || v == 25 || v == 30 || v == 50 || v == 60)) {
      r->f->fps = (int)v;
      fe_mark(r, i, u + l);
      break;
    }
    i = e > i ? e - 1 : i;
  }
}
