/*
** Text layout (media/text, library vsc_text): fonts, safe areas, line breaking, auto-shrink
** and measurement with libass (FreeType + HarfBuzz + fontconfig), and the ASS script that the
** compositor's `ass` filter draws. The checker lays out every text with the same code at
** compile time, so what `vsc check` measures is what the render draws.
**
** Ownership: a vsc_text_ctx is created by vsc_text_new and freed by vsc_text_free; one
** context is used by one thread at a time. Strings in vsc_text_req are borrowed for the call.
** A vsc_text_layout owns its heap fields; free it with vsc_text_layout_free.
*/
#ifndef VSC_TEXT_H
#define VSC_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A rectangle in fractions of the frame (x0 < x1, y0 < y1). */
typedef struct {
  double x0, y0, x1, y1;
} vsc_text_rect;

/* The safe area `name` for a w x h frame: "title" (5 % margins), "action" (3.5 %), "social"
** (9:16 platform UI: top 13 %, bottom 22 %, sides 10 %), "none", or NULL / "auto" (social
** when h >= 1.5 w, else title). Returns 0, or -1 for an unknown name. */
int vsc_text_safe_area(const char *name, int w, int h, vsc_text_rect *out);

/* The installed font used for `font` (a fontconfig family, a pattern such as
** "DejaVu Serif:style=Bold", or a font file path). Fills family (the ASS font name),
** bold/italic, file (the font file, for a path: its directory goes to the renderer) and
** *substituted when fontconfig chose another family. Returns 0, or -1 when no font at all
** (a missing file). */
typedef struct {
  char family[128];
  char file[512];
  bool bold, italic, substituted, is_file;
} vsc_text_font;
int vsc_text_font_resolve(const char *font, vsc_text_font *out);

typedef enum { VSC_ALIGN_AUTO = 0,
               VSC_ALIGN_LEFT,
               VSC_ALIGN_CENTER,
               VSC_ALIGN_RIGHT } vsc_text_align;

/* One text to lay out. Sizes are fractions of the frame height (the font size, em). */
typedef struct vsc_text_req {
  const char *text;       /* UTF-8; "*word*" takes the accent colour, "**" is a '*' */
  const char *font;       /* as vsc_text_font_resolve; NULL = "DejaVu Sans" */
  const char *x, *y;      /* left|center|right, top|center|bottom; NULL: xf/yf */
  double xf, yf;          /* centre of the text, fractions of the frame */
  double size, min_size;  /* preferred and smallest size; min_size 0 = size (no shrink) */
  double max_width;       /* fraction of the frame width; 0 = the safe area's width */
  int max_lines;          /* 0 = as many as fit */
  vsc_text_align align;   /* AUTO follows x */
  double spacing;         /* line advance / size; 0 = 1.0 (the font's own line height) */
  uint32_t color, accent; /* 0xRRGGBB */
  double outline;         /* outline width, fraction of the size (0 = none) */
  uint32_t outline_color;
  double shadow; /* shadow offset, fraction of the size (0 = none) */
  uint32_t shadow_color;
  bool box; /* a box behind each line */
  uint32_t box_color;
  double box_alpha;   /* 0 transparent .. 1 opaque; 0 = 0.6 */
  vsc_text_rect safe; /* where the text must stay */
} vsc_text_req;

/* A word or unbreakable piece of the text. */
typedef struct {
  char *text;   /* heap, UTF-8 */
  bool space;   /* a space before it (when not at a line start) */
  bool newline; /* a forced line break before it */
  bool accent;
} vsc_text_token;

/* A colour emoji of a laid-out text (a whole sequence: ZWJ, skin tone, flag, keycap, VS16).
** libass cannot draw colour bitmap fonts, so the line holds an invisible box with the emoji's
** advance (wrapping, shrinking and the safe area measure it as drawn) and the compositor
** draws the glyph from Noto Color Emoji over that box. */
typedef struct {
  int token;          /* the token it is in */
  int off, len;       /* its bytes in that token's text */
  double adv, desc;   /* advance and depth below the baseline, fractions of the size in px */
  int x0, y0, x1, y1; /* the box it is drawn in, frame pixels (x1 <= x0: off the frame) */
} vsc_text_emoji;

typedef struct {
  int ntokens;
  vsc_text_token *tokens; /* heap */
  int nemoji;
  vsc_text_emoji *emoji; /* heap, in text order */
  int nlines;
  int *line_start; /* heap, nlines + 1 entries: first token of each line, then ntokens */
  double size;     /* the size used (fraction of the frame height) */
  int size_px;
  int line_px;                        /* line advance, pixels */
  vsc_text_align align;               /* resolved */
  int anchor_x, top_y;                /* \pos of line 0 (x by align: left edge, centre, right edge) */
  int ink_x0, ink_y0, ink_x1, ink_y1; /* pixels drawn (outline, shadow, box included) */
  int safe_x0, safe_y0, safe_x1, safe_y1;
  bool fits;
  int over_w, over_h;    /* when !fits: pixels beyond the safe area at min_size */
  int widest, widest_px; /* the widest word (token index) and its width at min_size */
  uint32_t color, accent;
  bool box;
  double box_alpha;
  vsc_text_font font;
  char style[512];              /* the ASS style line (without the "Style: " name field) */
  double outline_px, shadow_px; /* the style's outline and shadow */
} vsc_text_layout;

typedef struct json_t json_t;
/* Reads an IR text object (docs/ir.md) for a W x H frame; strings stay borrowed from tx.
** Returns 0, or -1 with err starting with the field (".size must be in (0, 1]"). */
int vsc_text_req_from_json(const json_t *tx, int W, int H, vsc_text_req *rq, char *err, size_t errlen);

typedef struct vsc_text_ctx vsc_text_ctx;

/* Longer texts are refused by the layout (a paragraph is not an overlay). */
#define VSC_TEXT_MAX_WORDS 400

/* A context for a w x h frame (libass library and renderer, fontconfig). NULL on failure. */
vsc_text_ctx *vsc_text_new(int w, int h);
void vsc_text_free(vsc_text_ctx *c);

/* Lays out req: the largest size from size down to min_size whose balanced line breaks fit the
** width and lines and whose drawn pixels fit the safe area. Returns 0 (out->fits tells whether
** it fits; when not, the layout at min_size is kept and over_w/over_h say by how much), or
** -1 with a message in err (no usable font, out of memory). */
int vsc_text_layout_run(vsc_text_ctx *c, const vsc_text_req *req, vsc_text_layout *out, char *err, size_t errlen);
void vsc_text_layout_free(vsc_text_layout *L);

/* ---- the ASS script ---- */
typedef struct vsc_text_ass vsc_text_ass;

vsc_text_ass *vsc_text_ass_new(int w, int h);
void vsc_text_ass_free(vsc_text_ass *a);
/* Adds a laid-out text shown from `start` to `end` seconds (end < 0: to the end), fading
** in and out over `fade` seconds. Per-word state: words [0, visible) are drawn (visible < 0:
** all), word `highlight` (or -1) takes `hl_color`. Returns 0 or -1 (out of memory). */
int vsc_text_ass_add(vsc_text_ass *a, const vsc_text_layout *L, double start, double end, double fade,
                     int visible, int highlight, uint32_t hl_color);
/* An emoji the script leaves to the compositor: the glyph of `cluster` drawn over the box
** from `start` to `end` seconds (end < 0: to the end), fading in from fade_from and out to
** fade_to over `fade` seconds, as the text's own \fade. */
typedef struct {
  char cluster[64];  /* UTF-8 emoji sequence */
  int x, y, w, h;    /* frame pixels */
  double start, end; /* the times the ASS events use (centiseconds) */
  double fade, fade_from, fade_to;
} vsc_text_emoji_draw;
/* The emoji of the texts added so far (borrowed until the next add or free); returns the count. */
int vsc_text_ass_emoji(const vsc_text_ass *a, const vsc_text_emoji_draw **out);
/* The picture of an emoji sequence from the colour emoji font at its bitmap strike:
** premultiplied BGRA, *w x *h (the advance by the line height: the box the layout reserves),
** in *out (caller frees). Returns 0, or -1 (no colour font, no glyph, out of memory). */
int vsc_text_emoji_bitmap(vsc_text_ctx *c, const char *cluster, uint8_t **out, int *w, int *h);

/* The script text (borrowed until the next call or free); NULL when out of memory. */
const char *vsc_text_ass_script(vsc_text_ass *a);
/* Draws the script at time t (seconds) and returns the bounding box of the pixels drawn
** (x1 <= x0 when nothing is drawn); for tests and the checker. */
int vsc_text_ass_bbox(vsc_text_ctx *c, const char *script, double t, int *x0, int *y0, int *x1, int *y1);

#endif
