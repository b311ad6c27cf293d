/*
** An IR text object (docs/ir.md, "texts") as a layout request. The checker and the
** compositor both read texts through here, so a text is measured and drawn from the same
** values.
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsc/vsc_text.h"

static int color_of(const char *s, uint32_t *out) {
  if (!s || s[0] != '#') return -1;
  size_t n = strlen(s + 1);
  for (size_t i = 1; i <= n; i++)
    if (!strchr("0123456789abcdefABCDEF", s[i])) return -1;
  unsigned long v = strtoul(s + 1, NULL, 16);
  if (n == 3) {
    unsigned r = (v >> 8) & 15, g = (v >> 4) & 15, b = v & 15;
    *out = (uint32_t)(r * 17 << 16 | g * 17 << 8 | b * 17);
  } else if (n == 6) {
    *out = (uint32_t)v;
  } else {
    return -1;
  }
  return 0;
}

#define FAIL(...) return (snprintf(err, errlen, __VA_ARGS__), -1)

static int num(const json_t *o, const char *k, double def, double *out, char *err, size_t errlen) {
  const json_t *v = json_object_get(o, k);
  *out = def;
  if (!v || json_is_null(v)) return 0;
  if (!json_is_number(v)) FAIL(".%s: expected a number", k);
  *out = json_number_value(v);
  return 0;
}

static int str(const json_t *o, const char *k, const char *def, const char **out, char *err, size_t errlen) {
  const json_t *v = json_object_get(o, k);
  *out = def;
  if (!v || json_is_null(v)) return 0;
  if (!json_is_string(v)) FAIL(".%s: expected a string", k);
  *out = json_string_value(v);
  return 0;
}

static int col(const json_t *o, const char *k, uint32_t def, uint32_t *out, char *err, size_t errlen) {
  const char *s;
  *out = def;
  if (str(o, k, NULL, &s, err, errlen) < 0) return -1;
  if (s && color_of(s, out) < 0) FAIL(".%s '%s' is not #rgb or #rrggbb", k, s);
  return 0;
}

static int pos(const json_t *v, int horizontal, const char **name, double *frac, char *err, size_t errlen) {
  *name = "center";
  if (!v || json_is_null(v)) return 0;
  if (json_is_number(v)) {
    *name = NULL;
    *frac = json_number_value(v);
    if (*frac < 0 || *frac > 1) FAIL(".%s: a fraction must be in 0..1", horizontal ? "x" : "y");
    return 0;
  }
  const char *s = json_string_value(v);
  if (s && (!strcmp(s, "center") || !strcmp(s, horizontal ? "left" : "top") || !strcmp(s, horizontal ? "right" : "bottom"))) {
    *name = s;
    return 0;
  }
  FAIL(" %s position '%s' is not %s, center, %s or a fraction", horizontal ? "x" : "y", s ? s : "?",
       horizontal ? "left" : "top", horizontal ? "right" : "bottom");
}

int vsc_text_req_from_json(const json_t *tx, int W, int H, vsc_text_req *rq, char *err, size_t errlen) {
  memset(rq, 0, sizeof *rq);
  if (!json_is_object(tx)) FAIL(": expected an object");
  const char *align, *safe;
  double lines;
  if (str(tx, "text", NULL, &rq->text, err, errlen) < 0) return -1;
  if (!rq->text) FAIL(".text is missing");
  if (str(tx, "font", "DejaVu Sans", &rq->font, err, errlen) < 0 || num(tx, "size", 0.06, &rq->size, err, errlen) < 0 ||
      num(tx, "min_size", 0, &rq->min_size, err, errlen) < 0 || num(tx, "max_width", 0, &rq->max_width, err, errlen) < 0 ||
      num(tx, "lines", 0, &lines, err, errlen) < 0 || str(tx, "align", "auto", &align, err, errlen) < 0 ||
      num(tx, "spacing", 0, &rq->spacing, err, errlen) < 0 || num(tx, "outline", 0, &rq->outline, err, errlen) < 0 ||
      num(tx, "shadow", 0, &rq->shadow, err, errlen) < 0 || str(tx, "safe", "auto", &safe, err, errlen) < 0 ||
      col(tx, "color", 0xffffff, &rq->color, err, errlen) < 0 || col(tx, "accent", 0xffcc00, &rq->accent, err, errlen) < 0 ||
      col(tx, "outline_color", 0x000000, &rq->outline_color, err, errlen) < 0 ||
      col(tx, "shadow_color", 0x000000, &rq->shadow_color, err, errlen) < 0)
    return -1;
  if (!(rq->size > 0 && rq->size <= 1)) FAIL(".size must be in (0, 1]");
  if (rq->min_size < 0 || rq->min_size > rq->size) rq->min_size = rq->size;
  if (lines < 0 || lines > 100 || lines != (int)lines) FAIL(".lines must be a whole number 0..100");
  rq->max_lines = (int)lines;
  if (!strcmp(align, "left")) rq->align = VSC_ALIGN_LEFT;
  else if (!strcmp(align, "center")) rq->align = VSC_ALIGN_CENTER;
  else if (!strcmp(align, "right")) rq->align = VSC_ALIGN_RIGHT;
  else if (strcmp(align, "auto")) FAIL(".align '%s' is not left, center, right or auto", align);
  if (rq->outline < 0 || rq->outline > 1 || rq->shadow < 0 || rq->shadow > 1 || rq->max_width < 0 || rq->max_width > 1)
    FAIL(": outline, shadow and max_width must be in 0..1");
  if (rq->spacing < 0 || rq->spacing > 10) FAIL(".spacing must be in 0..10");
  if (vsc_text_safe_area(safe, W, H, &rq->safe) < 0) FAIL(".safe '%s' is not auto, title, action, social or none", safe);
  const json_t *box = json_object_get(tx, "box");
  if (json_is_true(box)) {
    rq->box = true;
  } else if (json_is_string(box)) {
    if (color_of(json_string_value(box), &rq->box_color) < 0) FAIL(".box '%s' is not #rgb or #rrggbb", json_string_value(box));
    rq->box = true;
  } else if (box && !json_is_false(box) && !json_is_null(box)) {
    FAIL(".box: expected true, false or a colour");
  }
  if (pos(json_object_get(tx, "x"), 1, &rq->x, &rq->xf, err, errlen) < 0 ||
      pos(json_object_get(tx, "y"), 0, &rq->y, &rq->yf, err, errlen) < 0)
    return -1;
  return 0;
}
