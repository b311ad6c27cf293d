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

#endif
