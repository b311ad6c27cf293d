/* Values (check stage): a statement's values read as durations, strings, names, colours,
 * numbers and files, with template parameters bound, each mismatch reported at its span. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check/checker.h"
#include "vsc/vsc_file.h"
#include "vsc/vsc_mem.h"
#include "vsc/vsc_strings.h"

/* The value itself, or what a template parameter it names is bound to. */
const vsc_value *check_val(const eval_ctx *c, const vsc_value *v) {
  if (v->kind == V_IDENT)
    for (int i = 0; i < c->n; i++)
      if (strcmp(c->names[i], v->str) == 0) return &c->vals[i];
  return v;
}

/* "a duration", "a string", …: a value kind for messages. */
const char *check_kind_desc(vsc_value_kind k) {
  switch (k) {
  case V_NUMBER: return "a number";
  case V_DURATION: return "a duration";
  case V_MONEY: return "an amount of money";
  case V_DB: return "a level in dB";
  case V_PERCENT: return "a percentage";
  case V_DIMS: return "a size";
  case V_RATIO: return "a ratio";
  case V_COLOR: return "a colour";
  case V_STRING: return "a string";
  case V_IDENT: return "a name";
  case V_BITRATE: return "a bit rate";
  case V_BYTES: return "a file size";
  default: return "a value";
  }
}

/* Reports "expected X" unless the value is already an error. */
bool check_expect(const eval_ctx *c, const vsc_value *v, vsc_value_kind want, const char *what,
                  const char *hint) {
  vsc_session *s = c->s;
  if (v->kind == want) return true;
  if (v->kind == V_ERROR) return false;
  char h[128];
  if (!hint && want == V_DURATION && v->kind == V_NUMBER) {
    snprintf(h, sizeof h, "add a unit: '%gs'", v->num);
    hint = h;
  } else if (!hint && want == V_MONEY && v->kind == V_NUMBER) {
    snprintf(h, sizeof h, "write money with a dollar sign: '$%g'", v->num);
    hint = h;
  } else if (!hint && want == V_DB && v->kind == V_NUMBER) {
    snprintf(h, sizeof h, "add a unit: '%gdB'", v->num);
    hint = h;
  } else if (!hint && want == V_PERCENT && v->kind == V_NUMBER) {
    snprintf(h, sizeof h, "add a unit: '%g%%'", v->num);
    hint = h;
  } else if (!hint && want == V_NUMBER && (v->kind == V_DURATION || v->kind == V_DB || v->kind == V_PERCENT)) {
    hint = "write a plain number, without a unit";
  } else if (!hint && want == V_STRING && v->kind == V_IDENT) {
    snprintf(h, sizeof h, "put text in double quotes: \"%s\"", v->str);
    hint = h;
  }
  ERR(c->src, v->span, hint, "expected %s for '%s', found %s", check_kind_desc(want), what, check_kind_desc(v->kind));
  return false;
}

/* A duration (4s, 300ms, 1min). */
bool check_get_duration(const eval_ctx *c, const vsc_value *v0, const char *what, double *out) {
  const vsc_value *v = check_val(c, v0);
  if (!check_expect(c, v, V_DURATION, what, NULL)) return false;
  *out = v->num;
  return true;
}

/* A string. */
bool check_get_string(const eval_ctx *c, const vsc_value *v0, const char *what, const char **out) {
  const vsc_value *v = check_val(c, v0);
  if (!check_expect(c, v, V_STRING, what, NULL)) return false;
  *out = v->str;
  return true;
}

/* A bare name. */
bool check_get_ident(const eval_ctx *c, const vsc_value *v0, const char *what, const char **out) {
  const vsc_value *v = check_val(c, v0);
  if (v->kind == V_STRING) { /* a quoted name is fine */
    *out = v->str;
    return true;
  }
  if (!check_expect(c, v, V_IDENT, what, NULL)) return false;
  *out = v->str;
  return true;
}

/* A colour (#rgb or #rrggbb). */
bool check_get_color(const eval_ctx *c, const vsc_value *v0, const char *what, uint32_t *out) {
  const vsc_value *v = check_val(c, v0);
  if (!check_expect(c, v, V_COLOR, what, "write a colour as #rrggbb")) return false;
  *out = v->rgb;
  return true;
}

/* A plain number. */
bool check_get_number(const eval_ctx *c, const vsc_value *v0, const char *what, double *out) {
  const vsc_value *v = check_val(c, v0);
  if (!check_expect(c, v, V_NUMBER, what, NULL)) return false;
  *out = v->num;
  return true;
}

bool check_in_range(const eval_ctx *c, const vsc_value *v0, double x, double lo, double hi, const char *what,
                    const char *unit) {
  vsc_session *s = c->s;
  if (x >= lo && x <= hi) return true;
  char h[96];
  snprintf(h, sizeof h, "'%s' must be between %g%s and %g%s", what, lo, unit, hi, unit);
  ERR(c->src, check_val(c, v0)->span, h, "%s %g%s is out of range", what, x, unit);
  return false;
}

/* Suggests the closest name from a list. */
const char *check_suggest(const char *word, const char *const *names, size_t n, char *buf, size_t size) {
  const char *close = vsc_closest(word, names, n);
  if (!close) return NULL;
  snprintf(buf, size, "did you mean '%s'?", close);
  return buf;
}

/* Whether w is one of the n names of list. */
bool check_one_of(const char *w, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(w, list[i]) == 0) return true;
  return false;
}

bool check_name_in(const eval_ctx *c, const vsc_value *v0, const char *what, const char *const *list,
                   size_t n, const char **out) {
  const char *w;
  if (!check_get_ident(c, v0, what, &w)) return false;
  if (check_one_of(w, list, n)) {
    *out = w;
    return true;
  }
  vsc_session *s = c->s;
  char h[256];
  const char *hint = check_suggest(w, list, n, h, sizeof h);
  if (!hint) {
    size_t len = 0;
    len += (size_t)snprintf(h, sizeof h, "one of:");
    for (size_t i = 0; i < n && len < sizeof h - 40; i++) len += (size_t)snprintf(h + len, sizeof h - len, " %s", list[i]);
    if (len >= sizeof h - 40) snprintf(h + len, sizeof h - len, " …");
    hint = h;
  }
  ERR(c->src, check_val(c, v0)->span, hint, "unknown %s '%s'", what, w);
  return false;
}

static const char *resolve_file(vsc_session *s, vsc_source *src, const char *rel) {
  return check_join_path(s, check_dir_of(s, src->name), rel);
}

/* "video" or "image" from a file name's extension, or NULL. */
/* A path to a readable regular file, relative to the file that wrote it. */
bool check_file(const eval_ctx *c, const vsc_value *v0, const char *what, const char **path) {
  const char *rel;
  if (!check_get_string(c, v0, what, &rel)) return false;
  vsc_session *s = c->s;
  const char *p = resolve_file(s, c->src, rel);
  bool dir = false;
  if (!check_file_exists(p, &dir)) {
    ERR(c->src, check_val(c, v0)->span, "paths are relative to the script's directory", "file '%s' not found", rel);
    return false;
  }
  if (dir) {
    ERR(c->src, check_val(c, v0)->span, NULL, "'%s' is not a regular file", rel);
    return false;
  }
  *path = p;
  return true;
}

/* The first inline option `kw` of a statement, or NULL. */
const vsc_ast *check_option(const vsc_ast *n, const char *kw) {
  for (const vsc_ast *o = n->opts.head; o; o = o->next)
    if (strcmp(o->keyword, kw) == 0) return o;
  return NULL;
}

bool check_room(const eval_ctx *c, vsc_span at, int n, int max, const char *what) {
  vsc_session *s = c->s;
  if (n < max) return true;
  ERR(c->src, at, NULL, "too many %s (%d at most)", what, max);
  return false;
}
