/*
** Internal interface of media/text: the context (libass library and renderers) and the
** helpers shared by the layout and the ASS writer.
*/
#ifndef VSC_TEXT_INTERNAL_H
#define VSC_TEXT_INTERNAL_H

#include <ass/ass.h>

#include "vsc/vsc_text.h"

/* Wide enough for one line of any title at its preferred size. */
#define TEXT_MEASURE_W 16384

struct vsc_text_ctx {
  int w, h;
  ASS_Library *lib;
  ASS_Renderer *render;  /* w x h: what the compositor draws */
  ASS_Renderer *measure; /* TEXT_MEASURE_W x h: one line, unclipped */
  char fontdirs[8][512]; /* directories of font files named by path (added to the library) */
  int nfontdirs;
  /* Fonts resolved so far (fontconfig matching costs more than a layout). */
  struct {
    char name[256];
    vsc_text_font font;
    int ok;
  } fonts[16];
  int nfonts;
  struct text_emoji_font *emoji; /* the colour emoji font, opened at the first emoji (emoji.c) */
};

/* A growable string. */
typedef struct {
  char *buf;
  size_t len, cap;
  int oom;
} text_sb;

void text_sb_printf(text_sb *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void text_sb_free(text_sb *sb);
/* Appends s as ASS event text: braces and backslashes are drawn as written. */
void text_sb_ass_escaped(text_sb *sb, const char *s);
/* The same for the first n bytes of s. */
void text_sb_ass_escaped_n(text_sb *sb, const char *s, size_t n);
/* &HAABBGGRR from 0xRRGGBB and an opacity 0..1. */
unsigned text_ass_color(uint32_t rgb, double opacity);

/* Renders the ASS script with renderer r at t seconds: the union of the drawn pixels (alpha
** > 0); with ids, also per-colour x ranges: image colour c (0xBBGGRR, 1..n) widens
** ids[c-1] = {x0, x1}. Returns 0, or -1 when the script cannot be read. */
int text_render_bbox(ASS_Library *lib, ASS_Renderer *r, const char *script, double t, int bbox[4], int (*ids)[2],
                     int nids);

/* Silences libass's own messages. */
void text_quiet(ASS_Library *lib);

/* Makes sure the directory of a font file is known to the context's library. */
int text_ctx_add_fontdir(vsc_text_ctx *c, const char *dir);

/* ---- colour emoji (emoji.c) ---- */
/* How a script draws the box an emoji holds in its line: invisible (the compositor draws the
** glyph there), filled (measuring: the box counts as ink), or alone in its own colour with
** everything else invisible (finding where each box landed). */
typedef enum { TEXT_EMOJI_DRAW,
               TEXT_EMOJI_INK,
               TEXT_EMOJI_PROBE } text_emoji_mode;
void text_ass_set_mode(vsc_text_ass *a, text_emoji_mode mode);
/* Finds the colour emoji in L's tokens (L->emoji); 0, or -1 when out of memory. A text
** without emoji costs one scan of its bytes. */
int text_emoji_find(vsc_text_ctx *c, vsc_text_layout *L);
/* Appends token t of L as ASS event text at px, each emoji as its box drawn as `mode` says
** (hidden: the token is drawn transparent, for word-by-word captions). `line` is the line's
** first and last token, or NULL outside a placed line (measuring words). */
void text_emoji_token(text_sb *sb, const vsc_text_layout *L, int t, int px, text_emoji_mode mode, int hidden,
                      const int line[2]);
/* Sets L->emoji[].x0..y1 from where libass puts the boxes of the placed layout; 0 or -1. */
int text_emoji_probe(vsc_text_ctx *c, vsc_text_layout *L);
void text_emoji_done(vsc_text_ctx *c);

#endif
