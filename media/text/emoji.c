/*
** Colour emoji. libass 0.17 cannot draw them: its fontconfig provider skips fonts without
** outlines (Noto Color Emoji is CBDT/CBLC bitmaps only, FC_OUTLINE false) and it loads glyphs
** with FT_LOAD_NO_BITMAP, so emoji fall back to a black-and-white outline font (Symbola).
** Here each emoji sequence (UTS #51: ZWJ sequences, skin tones, flags, keycaps, tag
** sequences, VS16) becomes a box in the ASS line with the emoji's own advance and height, so
** libass still shapes, wraps and places the line and every measure counts the emoji as drawn;
** the compositor then draws the colour glyph (FreeType, FT_LOAD_COLOR, HarfBuzz mapping the
** sequence to its glyph) over the box that libass placed. The emoji is sized as libass sizes
** a font: the strike's ascent plus descent is the font size in px.
*/
#include <ft2build.h>
#include FT_FREETYPE_H
#include <hb-ft.h>
#include <hb.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>

#include "text.h"

/* Longer sequences are left to libass (the longest real ones, tag flags, are 28 bytes). */
#define EMOJI_MAX_BYTES ((int)sizeof(((vsc_text_emoji_draw *)0)->cluster) - 1)

struct text_emoji_font {
  int tried, ok;
  FT_Library ft;
  FT_Face face; /* at its largest bitmap strike */
  hb_font_t *hb;
  double asc, line; /* strike pixels: ascent, and ascent + descent (the font size) */
};

void text_emoji_done(vsc_text_ctx *c) {
  struct text_emoji_font *f = c->emoji;
  if (!f) return;
  if (f->hb) hb_font_destroy(f->hb);
  if (f->face) FT_Done_Face(f->face);
  if (f->ft) FT_Done_FreeType(f->ft);
  free(f);
  c->emoji = NULL;
}

/* The colour emoji font, opened once per context; NULL when there is none. */
static struct text_emoji_font *emoji_font(vsc_text_ctx *c) {
  if (!c->emoji && !(c->emoji = calloc(1, sizeof *c->emoji))) return NULL;
  struct text_emoji_font *f = c->emoji;
  if (f->tried) return f->ok ? f : NULL;
  f->tried = 1;
  vsc_text_font font;
  if (vsc_text_font_resolve("Noto Color Emoji", &font) < 0 || font.substituted || FT_Init_FreeType(&f->ft)) return NULL;
  if (FT_New_Face(f->ft, font.file, 0, &f->face)) {
    f->face = NULL;
    return NULL;
  }
  if (!FT_HAS_COLOR(f->face) || f->face->num_fixed_sizes < 1) return NULL;
  int best = 0;
  for (int i = 1; i < f->face->num_fixed_sizes; i++)
    if (f->face->available_sizes[i].y_ppem > f->face->available_sizes[best].y_ppem) best = i;
  if (FT_Select_Size(f->face, best)) return NULL;
  f->asc = f->face->size->metrics.ascender / 64.0;
  f->line = f->asc - f->face->size->metrics.descender / 64.0;
  if (f->line <= 0 || !(f->hb = hb_ft_font_create_referenced(f->face))) return NULL;
  f->ok = 1;
  return f;
}

static unsigned next_cp(const unsigned char *s, int *len) {
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

static int is_pict(unsigned cp) {
  return u_hasBinaryProperty((UChar32)cp, UCHAR_EMOJI) || u_hasBinaryProperty((UChar32)cp, UCHAR_EXTENDED_PICTOGRAPHIC);
}

/* Bytes of the emoji sequence drawn in colour at s, or 0 (text, or an emoji asking for text
** presentation: "©", "❤" without VS16, anything with VS15). */
static int emoji_span(const unsigned char *s) {
  int n, n2;
  unsigned cp = next_cp(s, &n);
  if (u_hasBinaryProperty((UChar32)cp, UCHAR_REGIONAL_INDICATOR))
    return u_hasBinaryProperty((UChar32)next_cp(s + n, &n2), UCHAR_REGIONAL_INDICATOR) ? n + n2 : 0;
  if (cp == '#' || cp == '*' || (cp >= '0' && cp <= '9')) {
    /* A keycap: base, VS16 (optional), U+20E3. */
    const unsigned char *q = s + n;
    unsigned c = next_cp(q, &n2);
    if (c == 0xFE0F) q += n2, c = next_cp(q, &n2);
    return c == 0x20E3 ? (int)(q + n2 - s) : 0;
  }
  if (!is_pict(cp)) return 0;
  const unsigned char *q = s;
  int shown = 0;
  for (;;) {
    /* element: pictograph [VS15|VS16] [skin tone] [tag* cancel-tag] */
    cp = next_cp(q, &n);
    q += n;
    int pres = u_hasBinaryProperty((UChar32)cp, UCHAR_EMOJI_PRESENTATION);
    unsigned c = next_cp(q, &n);
    if (c == 0xFE0F || c == 0xFE0E) pres = c == 0xFE0F, q += n, c = next_cp(q, &n);
    if (u_hasBinaryProperty((UChar32)c, UCHAR_EMOJI_MODIFIER)) pres = 1, q += n, c = next_cp(q, &n);
    if (c >= 0xE0020 && c <= 0xE007E) {
      const unsigned char *t = q;
      while (c >= 0xE0020 && c <= 0xE007E) t += n, c = next_cp(t, &n);
      if (c == 0xE007F) q = t + n, pres = 1;
    }
    shown |= pres;
    if (c != 0x200D || !is_pict(next_cp(q + n, &n2))) break;
    q += n; /* ZWJ: the next element joins this one */
  }
  return shown ? (int)(q - s) : 0;
}

/* Shapes an emoji sequence with the colour font: its advance in strike pixels, or -1 when
** the font lacks a glyph for part of it (libass then draws it as text). */
static double shape(struct text_emoji_font *f, const char *s, int len, hb_buffer_t *buf) {
  hb_buffer_clear_contents(buf);
  hb_buffer_add_utf8(buf, s, len, 0, len);
  hb_buffer_guess_segment_properties(buf);
  hb_shape(f->hb, buf, NULL, 0);
  unsigned n;
  const hb_glyph_info_t *gi = hb_buffer_get_glyph_infos(buf, &n);
  const hb_glyph_position_t *gp = hb_buffer_get_glyph_positions(buf, &n);
  double adv = 0;
  for (unsigned i = 0; i < n; i++) {
    if (!gi[i].codepoint) return -1;
    adv += gp[i].x_advance / 64.0;
  }
  return n ? adv : -1;
}

int text_emoji_find(vsc_text_ctx *c, vsc_text_layout *L) {
  struct text_emoji_font *f = NULL;
  hb_buffer_t *buf = NULL;
  int cap = 0, ret = 0;
  for (int t = 0; t < L->ntokens && ret == 0; t++) {
    const unsigned char *s = (const unsigned char *)L->tokens[t].text;
    for (int i = 0; s[i];) {
      /* Emoji start beyond ASCII, except keycaps ("1️⃣"): most bytes need no look. */
      int n = s[i] >= 0x80 || s[i] == '#' || s[i] == '*' || (s[i] >= '0' && s[i] <= '9') ? emoji_span(s + i) : 0;
      if (!n) {
        int cl;
        next_cp(s + i, &cl); /* on to the next character */
        i += cl;
        continue;
      }
      if (!f && !(f = emoji_font(c))) return 0; /* no colour font: libass draws them as before */
      if (!buf && !hb_buffer_allocation_successful(buf = hb_buffer_create())) {
        ret = -1;
        break;
      }
      double adv = n <= EMOJI_MAX_BYTES ? shape(f, (const char *)s + i, n, buf) : -1;
      if (adv > 0) {
        if (L->nemoji == cap) {
          cap = cap ? cap * 2 : 4;
          vsc_text_emoji *e = realloc(L->emoji, sizeof *e * (size_t)cap);
          if (!e) {
            ret = -1;
            break;
          }
          L->emoji = e;
        }
        L->emoji[L->nemoji++] = (vsc_text_emoji){t, i, n, adv / f->line, (f->line - f->asc) / f->line, 0, 0, 0, 0};
      }
      i += n;
    }
  }
  hb_buffer_destroy(buf);
  return ret;
}

void text_emoji_token(text_sb *sb, const vsc_text_layout *L, int t, int px, text_emoji_mode mode, int hidden,
                      const int line[2]) {
  const char *s = L->tokens[t].text;
  size_t slen = strlen(s);
  int pos = 0;
  for (int i = 0; i < L->nemoji; i++) {
    const vsc_text_emoji *e = &L->emoji[i];
    if (e->token != t) continue;
    text_sb_ass_escaped_n(sb, s + pos, (size_t)(e->off - pos));
    pos = e->off + e->len;
    /* A box the emoji's advance wide and the font size tall, its foot desc below the baseline
       (\pbo): libass sets a drawing's ascent to its height less \pbo, as for a glyph. */
    double w = e->adv * px;
    int h = px, d = (int)lround(e->desc * px);
    /* libass boxes (BorderStyle 3) each run of glyphs on its own, padded by the border on
       every side; a drawing is a run, so translucent boxes would overlap twice over the
       emoji. Between other glyphs its box is padded by 1 px across (the least libass draws). */
    int narrow = L->box && line && mode != TEXT_EMOJI_PROBE && (t > line[0] || e->off > 0) &&
                 (t < line[1] || (size_t)(e->off + e->len) < slen);
    if (mode == TEXT_EMOJI_PROBE)
      text_sb_printf(sb, "{\\1c&H%06X&\\1a&H00&\\bord0\\shad0\\pbo%d\\p1}", text_ass_color((uint32_t)(i + 1), 1) & 0xffffff,
                     d);
    else if (mode == TEXT_EMOJI_DRAW && L->box) /* the box behind the line goes on behind the emoji */
      text_sb_printf(sb, "{\\1a&HFF&%s\\pbo%d\\p1}", narrow ? "\\xbord1" : "", d);
    else if (mode == TEXT_EMOJI_DRAW) /* emoji get no outline or shadow */
      text_sb_printf(sb, "{\\1a&HFF&\\bord0\\shad0\\pbo%d\\p1}", d);
    else
      text_sb_printf(sb, "{%s\\pbo%d\\p1}", L->box ? (narrow ? "\\xbord1" : "") : "\\bord0\\shad0", d);
    text_sb_printf(sb, "m 0 0 l %.2f 0 %.2f %d 0 %d{\\p0", w, w, h, h);
    if (mode == TEXT_EMOJI_PROBE) text_sb_printf(sb, "\\1a&HFF&");
    else if (mode == TEXT_EMOJI_DRAW) text_sb_printf(sb, "\\1a&H%s&", hidden ? "FF" : "00");
    if (mode != TEXT_EMOJI_PROBE && !L->box) text_sb_printf(sb, "\\bord%.2f\\shad%.2f", L->outline_px, L->shadow_px);
    else if (narrow) text_sb_printf(sb, "\\bord%.2f", L->outline_px);
    text_sb_printf(sb, "}");
  }
  text_sb_ass_escaped(sb, s + pos);
}

int text_emoji_probe(vsc_text_ctx *c, vsc_text_layout *L) {
  for (int i = 0; i < L->nemoji; i++) L->emoji[i].x0 = L->emoji[i].y0 = INT_MAX, L->emoji[i].x1 = L->emoji[i].y1 = INT_MIN;
  vsc_text_ass *a = vsc_text_ass_new(c->w, c->h);
  if (!a) return -1;
  text_ass_set_mode(a, TEXT_EMOJI_PROBE);
  const char *script = vsc_text_ass_add(a, L, 0, 10, 0, -1, -1, 0) == 0 ? vsc_text_ass_script(a) : NULL;
  ASS_Track *track = script ? ass_read_memory(c->lib, (char *)script, strlen(script), NULL) : NULL;
  vsc_text_ass_free(a);
  if (!track) return -1;
  for (ASS_Image *img = ass_render_frame(c->render, track, 1000, NULL); img; img = img->next) {
    int id = (int)(img->color >> 8) - 1;
    if ((img->color & 0xff) == 0xff || id < 0 || id >= L->nemoji) continue;
    vsc_text_emoji *e = &L->emoji[id];
    for (int y = 0; y < img->h; y++)
      for (int x = 0; x < img->w; x++) {
        if (!img->bitmap[(size_t)y * img->stride + x]) continue;
        int fx = img->dst_x + x, fy = img->dst_y + y;
        if (fx < e->x0) e->x0 = fx;
        if (fx + 1 > e->x1) e->x1 = fx + 1;
        if (fy < e->y0) e->y0 = fy;
        if (fy + 1 > e->y1) e->y1 = fy + 1;
      }
  }
  ass_free_track(track);
  for (int i = 0; i < L->nemoji; i++)
    if (L->emoji[i].x1 <= L->emoji[i].x0) L->emoji[i].x0 = L->emoji[i].y0 = L->emoji[i].x1 = L->emoji[i].y1 = 0;
  return 0;
}

/* Draws glyph g (premultiplied BGRA, or grey coverage drawn black) over the canvas at (x, y). */
static void blit(uint8_t *dst, int dw, int dh, const FT_Bitmap *bm, int x, int y) {
  for (int r = 0; r < (int)bm->rows; r++) {
    int dy = y + r;
    if (dy < 0 || dy >= dh) continue;
    const uint8_t *src = bm->buffer + (ptrdiff_t)r * bm->pitch;
    for (int k = 0; k < (int)bm->width; k++) {
      int dx = x + k;
      if (dx < 0 || dx >= dw) continue;
      uint8_t px[4] = {0, 0, 0, 0};
      if (bm->pixel_mode == FT_PIXEL_MODE_BGRA) memcpy(px, src + 4 * k, 4);
      else if (bm->pixel_mode == FT_PIXEL_MODE_GRAY) px[3] = src[k];
      else continue;
      uint8_t *d = dst + 4 * ((size_t)dy * dw + dx);
      for (int ch = 0; ch < 4; ch++) d[ch] = (uint8_t)(px[ch] + d[ch] * (255 - px[3]) / 255);
    }
  }
}

int vsc_text_emoji_bitmap(vsc_text_ctx *c, const char *cluster, uint8_t **out, int *w, int *h) {
  *out = NULL;
  struct text_emoji_font *f = emoji_font(c);
  int len = (int)strlen(cluster);
  if (!f || !len || emoji_span((const unsigned char *)cluster) != len) return -1;
  hb_buffer_t *buf = hb_buffer_create();
  double adv = hb_buffer_allocation_successful(buf) ? shape(f, cluster, len, buf) : -1;
  int ret = -1;
  if (adv > 0) {
    *w = (int)ceil(adv);
    *h = (int)lround(f->line);
    *out = calloc((size_t)*w * (size_t)*h, 4);
    if (*out) {
      unsigned n;
      const hb_glyph_info_t *gi = hb_buffer_get_glyph_infos(buf, &n);
      const hb_glyph_position_t *gp = hb_buffer_get_glyph_positions(buf, &n);
      double pen = 0;
      ret = 0;
      for (unsigned i = 0; i < n && ret == 0; i++) {
        if (FT_Load_Glyph(f->face, gi[i].codepoint, FT_LOAD_COLOR) ||
            (f->face->glyph->format != FT_GLYPH_FORMAT_BITMAP && FT_Render_Glyph(f->face->glyph, FT_RENDER_MODE_NORMAL))) {
          ret = -1;
          break;
        }
        FT_GlyphSlot g = f->face->glyph;
        blit(*out, *w, *h, &g->bitmap, (int)lround(pen + gp[i].x_offset / 64.0) + g->bitmap_left,
             (int)lround(f->asc - gp[i].y_offset / 64.0) - g->bitmap_top);
        pen += gp[i].x_advance / 64.0;
      }
    }
  }
  hb_buffer_destroy(buf);
  if (ret < 0) {
    free(*out);
    *out = NULL;
  }
  return ret;
}
