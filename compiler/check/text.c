/* Text and captions (check stage): `text … at POS size from to font color fade box`, its
 * look and timing, and the video's `captions` settings. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check/checker.h"
#include "vsc/vsc_file.h"
#include "vsc/vsc_mem.h"
#include "vsc/vsc_strings.h"

static const char *const positions[] = {"center", "top", "bottom", "left", "right", "top-left", "top-right",
                                        "bottom-left", "bottom-right", "lower-third"};
/* Text times are scene times: when the scene's length is known here, they must fit in it. */
void check_text_timing(const eval_ctx *c, vsc_ast *t, const vsc_text_spec *ts, const vsc_scene_spec *sc) {
  if (sc->dur_kind != DUR_TIME || sc->dur_value <= 0) return;
  const vsc_ast *from = check_option(t, "from"), *to = check_option(t, "to");
  const char *hint = "'from' and 'to' are scene times: 0s is where the scene starts";
  if (from && ts->start >= sc->dur_value)
    VERR(c, &from->vals[0], hint, "text \"%s\" starts at %gs, after scene '%s' ends (%gs)",
         ts->text ? ts->text : "", ts->start, sc->name, sc->dur_value);
  else if (to && ts->end > sc->dur_value + 1e-9)
    VERR(c, &to->vals[0], hint, "text \"%s\" ends at %gs, after scene '%s' ends (%gs)",
         ts->text ? ts->text : "", ts->end, sc->name, sc->dur_value);
}

static const char *const aligns[] = {"left", "center", "right"};

/* `outline COLOUR [WIDTH%]` / `shadow COLOUR [OFFSET%]`, in either order: the width is a
** share of the text size. */
static void check_stroke(const eval_ctx *c, const vsc_ast *o, double *width, uint32_t *color, double def_width) {
  bool has_width = false;
  for (int i = 0; i < o->nvals; i++) {
    const vsc_value *v = check_val(c, &o->vals[i]);
    if (v->kind == V_COLOR) {
      *color = v->rgb;
    } else if (v->kind == V_PERCENT) {
      if (check_in_range(c, &o->vals[i], v->num, 0, 50, o->keyword, "%")) *width = v->num / 100.0;
      has_width = true;
    } else if (v->kind != V_ERROR) {
      char h[96];
      snprintf(h, sizeof h, "e.g. '%s #000000 8%%' (a colour, and a width as a share of the text size)", o->keyword);
      VERR(c, v, h, "expected a colour or a percentage for '%s', found %s", o->keyword, check_kind_desc(v->kind));
    }
  }
  if (!has_width) *width = def_width;
}

/* The options a text and the captions share: place, size, font and look. Returns false
** when `o` is not one of them. */
static bool check_look_option(const eval_ctx *c, const vsc_ast *o, vsc_text_spec *out) {
  const char *k = o->keyword;
  const vsc_value *v = check_val(c, &o->vals[0]);
  if (strcmp(k, "at") == 0) {
    if (o->nvals == 2) {
      const vsc_value *vy = check_val(c, &o->vals[1]);
      if (check_expect(c, v, V_PERCENT, "at", "give x and y as percentages: at 10% 80%") &&
          check_expect(c, vy, V_PERCENT, "at", "give x and y as percentages: at 10% 80%") &&
          check_in_range(c, &o->vals[0], v->num, 0, 100, "x", "%") && check_in_range(c, &o->vals[1], vy->num, 0, 100, "y", "%")) {
        out->x = out->y = NULL;
        out->xf = v->num / 100.0;
        out->yf = vy->num / 100.0;
      }
    } else {
      const char *pos;
      if (check_name_in(c, &o->vals[0], "position", positions, sizeof positions / sizeof positions[0], &pos)) {
        out->x = "center";
        out->y = "center";
        if (strstr(pos, "left")) out->x = "left";
        if (strstr(pos, "right")) out->x = "right";
        if (strncmp(pos, "top", 3) == 0) out->y = "top";
        if (strncmp(pos, "bottom", 6) == 0) out->y = "bottom";
        if (strcmp(pos, "left") == 0 || strcmp(pos, "right") == 0) out->y = "center";
        if (strcmp(pos, "lower-third") == 0) {
          out->x = NULL;
          out->y = NULL;
          out->xf = 0.5;
          out->yf = 0.78;
        }
      }
    }
  } else if (strcmp(k, "size") == 0) {
    if (check_expect(c, v, V_PERCENT, "size", NULL) && check_in_range(c, &o->vals[0], v->num, 1, 100, "size", "%"))
      out->size = v->num / 100.0;
  } else if (strcmp(k, "min") == 0) {
    if (check_expect(c, v, V_PERCENT, "min", "the smallest size the text may shrink to, e.g. 'min 4%'") &&
        check_in_range(c, &o->vals[0], v->num, 1, 100, "min", "%"))
      out->min_size = v->num / 100.0;
  } else if (strcmp(k, "width") == 0) {
    if (check_expect(c, v, V_PERCENT, "width", "the widest the text may be, as a share of the frame width: 'width 80%'") &&
        check_in_range(c, &o->vals[0], v->num, 5, 100, "width", "%"))
      out->max_width = v->num / 100.0;
  } else if (strcmp(k, "lines") == 0) {
    double n;
    if (check_get_number(c, &o->vals[0], "lines", &n) && check_in_range(c, &o->vals[0], n, 1, 20, "lines", "")) {
      if (n != floor(n)) VERR(c, v, NULL, "lines must be a whole number");
      else out->lines = (int)n;
    }
  } else if (strcmp(k, "align") == 0) {
    check_name_in(c, &o->vals[0], "align", aligns, 3, &out->align);
  } else if (strcmp(k, "spacing") == 0) {
    double x;
    if (check_get_number(c, &o->vals[0], "spacing", &x) && check_in_range(c, &o->vals[0], x, 0.5, 3, "spacing", "")) out->spacing = x;
  } else if (strcmp(k, "outline") == 0) {
    check_stroke(c, o, &out->outline, &out->outline_color, 0.06);
  } else if (strcmp(k, "shadow") == 0) {
    check_stroke(c, o, &out->shadow, &out->shadow_color, 0.05);
  } else if (strcmp(k, "accent") == 0) {
    check_get_color(c, &o->vals[0], "accent", &out->accent);
  } else if (strcmp(k, "font") == 0) {
    check_get_string(c, &o->vals[0], "font", &out->font);
  } else if (strcmp(k, "color") == 0) {
    check_get_color(c, &o->vals[0], "color", &out->color);
  } else if (strcmp(k, "box") == 0) {
    out->box = check_get_color(c, &o->vals[0], "box", &out->box_color);
  } else {
    return false;
  }
  return true;
}

/* Defaults of a text's look: white, a thin black outline, shrinking to half its size. */
static void text_defaults(vsc_text_spec *out, const vsc_style_spec *style) {
  memset(out, 0, sizeof *out);
  out->x = out->y = "center";
  out->size = 0.06;
  out->end = -1;
  out->color = 0xffffff;
  out->accent = 0xffcc00;
  out->outline = 0.04;
  out->font = style && style->font ? style->font : "DejaVu Sans";
}

/* size N% [min N%]: the text's size and the smallest it may shrink to */
static void check_text_size(const eval_ctx *c, vsc_ast *t, vsc_text_spec *out) {
  const vsc_ast *min = check_option(t, "min");
  if (!min) {
    out->min_size = out->size / 2;
  } else if (out->min_size > out->size + 1e-9) {
    VERR(c, &min->vals[0], "'min' is the smallest size the text may shrink to",
         "min %g%% is larger than the size %g%%", out->min_size * 100, out->size * 100);
    out->min_size = out->size;
  }
}

/* text "TEXT" [at POS | at X% Y%] [size] [from T] [to T] [font] [color] [fade] [box] [outline] [shadow] */
void check_text(const eval_ctx *c, vsc_ast *t, vsc_text_spec *out, const vsc_style_spec *style) {
  text_defaults(out, style);
  out->node = t;
  if (check_get_string(c, &t->vals[0], "text", &out->text) && !*out->text)
    VERR(c, &t->vals[0], "drop the line, or write the words to show", "empty text");
  for (vsc_ast *o = t->opts.head; o; o = o->next) {
    const char *k = o->keyword;
    if (check_look_option(c, o, out)) continue;
    if (strcmp(k, "from") == 0) {
      check_get_duration(c, &o->vals[0], "from", &out->start);
    } else if (strcmp(k, "to") == 0) {
      check_get_duration(c, &o->vals[0], "to", &out->end);
    } else if (strcmp(k, "fade") == 0) {
      if (check_get_duration(c, &o->vals[0], "fade", &out->fade)) check_in_range(c, &o->vals[0], out->fade, 0, 10, "fade", "s");
    }
  }
  check_text_size(c, t, out);
  if (out->end >= 0 && out->end <= out->start)
    CERR(c, t->span, NULL, "text ends at %gs, before it starts at %gs", out->end, out->start);
}

static const char *const caption_styles[] = {"plain", "box", "karaoke", "pop"};

/* `captions STYLE { at bottom words 4 lines 2 size 7% … burn off }` */
void check_captions(const eval_ctx *c, vsc_ast *st, vsc_caption_spec *cap, const vsc_style_spec *style) {
  memset(cap, 0, sizeof *cap);
  cap->present = true;
  cap->burn = true;
  cap->node = st;
  cap->words = 4;
  cap->lines = 2;
  cap->highlight = 0xffcc00;
  text_defaults(&cap->text, style);
  cap->text.node = st;
  cap->text.y = "bottom";
  cap->text.size = 0.05;
  cap->text.outline = 0.08;
  if (!check_name_in(c, &st->vals[0], "captions style", caption_styles, 4, &cap->style)) cap->style = "plain";
  for (vsc_ast *o = st->opts.head; o; o = o->next) {
    const char *k = o->keyword;
    if (strcmp(k, "lines") == 0) {
      double n;
      if (check_get_number(c, &o->vals[0], "lines", &n) && check_in_range(c, &o->vals[0], n, 1, 4, "lines", "")) cap->lines = (int)n;
      continue;
    }
    if (check_look_option(c, o, &cap->text)) continue;
    if (strcmp(k, "words") == 0) {
      double n;
      if (check_get_number(c, &o->vals[0], "words", &n) && check_in_range(c, &o->vals[0], n, 1, 20, "words", "")) {
        if (n != floor(n)) VERR(c, &o->vals[0], NULL, "words must be a whole number");
        else cap->words = (int)n;
      }
    } else if (strcmp(k, "highlight") == 0) {
      check_get_color(c, &o->vals[0], "highlight", &cap->highlight);
    } else if (strcmp(k, "burn") == 0) {
      static const char *const onoff[] = {"on", "off"};
      const char *b;
      if (check_name_in(c, &o->vals[0], "burn", onoff, 2, &b)) cap->burn = strcmp(b, "on") == 0;
    }
  }
  cap->text.lines = cap->lines;
  if (strcmp(cap->style, "box") == 0 && !check_option(st, "box")) {
    cap->text.box = true;
    cap->text.box_color = 0x000000;
  }
  check_text_size(c, st, &cap->text);
}
