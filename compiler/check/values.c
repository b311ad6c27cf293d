/* Values (check stage): a statement's values read as durations, strings, names, colours,
 * numbers and files, with template parameters bound, each mismatch reported at its span. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/checker.h"
#include "parse/parse.h"
#include "vsc/vsc_file.h"
#include "vsc/vsc_mem.h"
#include "vsc/vsc_strings.h"

/* Index of v among c's bound values, or -1. */
static int bound_index(const eval_ctx *c, const vsc_value *v) {
  for (int i = 0; i < c->n; i++)
    if (v == &c->vals[i]) return i;
  return -1;
}

/* Index of v among the session's param values, or -1. */
static int param_index(const eval_ctx *c, const vsc_value *v) {
  const vsc_session *s = c->s;
  if (!s || !s->param_vals || v < s->param_vals || v >= s->param_vals + s->nparam_decls) return -1;
  return (int)(v - s->param_vals);
}

/* The value itself, or what a template parameter it names is bound to (a value already
 * bound is returned as it is); a name left over may be a param of the script (params.c). */
const vsc_value *check_val(const eval_ctx *c, const vsc_value *v) {
  if (param_index(c, v) >= 0 || (c->s && v == c->s->each_item)) return v;
  const vsc_value *r = v;
  if (bound_index(c, v) < 0 && v->kind == V_IDENT)
    for (int i = 0; i < c->n; i++)
      if (strcmp(c->names[i], v->str) == 0) {
        r = &c->vals[i];
        break;
      }
  /* A `for` item's name, in the scenes it makes (a template's body sees only its own). */
  if (r == v && !c->tpl && v->kind == V_IDENT && c->s && c->s->each_name && strcmp(v->str, c->s->each_name) == 0)
    return c->s->each_item;
  if (r->kind == V_IDENT && c->s && c->s->nparam_decls) {
    int p = check_param_index(c->s, r->str);
    if (p >= 0) return &c->s->param_vals[p];
  }
  return r;
}

vsc_source *check_src_of(const eval_ctx *c, const vsc_value *v) {
  const vsc_value *r = check_val(c, v);
  if (r == c->s->each_item) return c->s->each_src;
  int p = param_index(c, r);
  if (p >= 0) return c->s->param_srcs[p] ? c->s->param_srcs[p] : c->src;
  int i = bound_index(c, r);
  return i >= 0 && c->val_srcs[i] ? c->val_srcs[i] : c->src;
}

/* In a template body, a note at the scene that uses it. */
static void note_call(const eval_ctx *c) {
  if (!c->call || !c->call->use) return;
  vsc_note(c->s->diags, c->call->src, c->call->use->name.span, "in scene '%s', which uses template '%s' here",
           c->call->name.str ? c->call->name.str : "", c->tpl->name.str);
}

void check_error(const eval_ctx *c, vsc_span span, const char *hint, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  vsc_error(c->s->diags, VSC_STAGE_CHECK, c->src, span, hint, "%s", msg);
  note_call(c);
}

void check_value_error(const eval_ctx *c, const vsc_value *v0, const char *hint, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const vsc_value *v = check_val(c, v0);
  if (v == c->s->each_item) {
    /* A `for` item: shown where it was written, with a note where the scene uses it. */
    vsc_error(c->s->diags, VSC_STAGE_CHECK, c->s->each_src, v->span, hint, "%s", msg);
    vsc_note(c->s->diags, c->src, v0->span, "'%s' is item %d of %s, used here", c->s->each_name, c->s->each_index,
             c->s->each->list);
    return;
  }
  int p = param_index(c, v);
  if (p >= 0) {
    /* A param's value: shown where it was given, with a note where the script uses it. */
    const vsc_ast *d = c->s->param_decls[p];
    vsc_error(c->s->diags, VSC_STAGE_CHECK, check_src_of(c, v), v->span, hint, "%s", msg);
    /* Named in a template call's argument: the note is at the argument, in the call's text. */
    int b = bound_index(c, v0);
    for (int i = 0; b < 0 && v0->kind == V_IDENT && i < c->n; i++)
      if (strcmp(c->names[i], v0->str) == 0) b = i;
    const vsc_value *at = b >= 0 ? &c->vals[b] : v0;
    if (v0 == v) vsc_note(c->s->diags, d->src, d->name.span, "'%s' is declared here", d->name.str);
    else vsc_note(c->s->diags, b >= 0 && c->val_srcs[b] ? c->val_srcs[b] : c->src, at->span, "param '%s' is used here", d->name.str);
    note_call(c);
    return;
  }
  int i = bound_index(c, v);
  vsc_source *src = i >= 0 && c->val_srcs[i] ? c->val_srcs[i] : c->src;
  vsc_error(c->s->diags, VSC_STAGE_CHECK, src, v->span, hint, "%s", msg);
  if (i < 0) {
    note_call(c); /* the template's own text: where it is used */
  } else if (v0 != v) {
    vsc_note(c->s->diags, c->src, v0->span, "'%s' is used here, in template '%s'", c->names[i], c->tpl->name.str);
    if (c->val_default[i]) note_call(c); /* a default: the call that left it unset */
  } else if (c->tpl) {
    vsc_note(c->s->diags, c->tpl->src, c->tpl->name.span, "'%s' is a parameter of template '%s', declared here", c->names[i],
             c->tpl->name.str);
  }
}

void check_fix(const eval_ctx *c, const vsc_value *v0, const char *text) {
  const vsc_value *v = check_val(c, v0);
  vsc_diag_fix(c->s->diags, check_src_of(c, v), v->span, text);
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
  case V_LIST: return "a list";
  default: return "a value";
  }
}

/* Durations that are short by nature, with the longest that makes sense: a bare number
 * past it was meant in milliseconds ("then fade 500"). */
static double short_duration_max(const char *what) {
  static const struct {
    const char *what;
    double max;
  } fields[] = {{"then", 10}, {"fade", 10}, {"fade in", 30}, {"fade out", 30}, {"in", 3600}};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (strcmp(fields[i].what, what) == 0) return fields[i].max;
  return 0;
}

/* A colour written without its '#' ("ffffff"): the hex it meant, or NULL. */
static const char *bare_hex(const eval_ctx *c, const char *w) {
  size_t n = strlen(w);
  if (n != 3 && n != 6) return NULL;
  for (size_t i = 0; i < n; i++)
    if (!strchr("0123456789abcdefABCDEF", w[i])) return NULL;
  return vsc_arena_printf(c->s->arena, "#%s", w);
}

/* Reports "expected X" unless the value is already an error. The hint says how to write a
 * value of the kind expected, and names it as a fix when it is certain. */
bool check_expect(const eval_ctx *c, const vsc_value *v0, vsc_value_kind want, const char *what,
                  const char *hint) {
  const vsc_value *v = check_val(c, v0);
  if (v->kind == want) return true;
  if (v->kind == V_ERROR) return false;
  char h[200] = "", fix[80] = "";
  if (want == V_DURATION && v->kind == V_NUMBER) {
    double max = short_duration_max(what);
    if (max > 0 && v->num > max) {
      snprintf(fix, sizeof fix, "%gms", v->num);
      snprintf(h, sizeof h, "add a unit: '%s' (%g seconds is far longer than a '%s' takes)", fix, v->num, what);
    } else {
      snprintf(fix, sizeof fix, "%gs", v->num);
      snprintf(h, sizeof h, "add a unit: '%s'", fix);
    }
  } else if (want == V_MONEY && v->kind == V_NUMBER) {
    snprintf(fix, sizeof fix, "$%g", v->num);
    snprintf(h, sizeof h, "write money with a dollar sign: '%s'", fix);
  } else if (want == V_DB && v->kind == V_NUMBER) {
    snprintf(fix, sizeof fix, "%gdB", v->num);
    snprintf(h, sizeof h, "add a unit: '%s'", fix);
  } else if (want == V_PERCENT && v->kind == V_NUMBER) {
    snprintf(fix, sizeof fix, "%g%%", v->num);
    snprintf(h, sizeof h, "add a unit: '%s'", fix);
  } else if (want == V_NUMBER && (v->kind == V_DURATION || v->kind == V_DB || v->kind == V_PERCENT)) {
    const vsc_source *src = check_src_of(c, v);
    const char *t = src->text + v->span.off;
    size_t n = 0;
    while (n < v->span.len && n < sizeof fix - 1 && (t[n] == '-' || t[n] == '.' || (t[n] >= '0' && t[n] <= '9'))) n++;
    memcpy(fix, t, n);
    fix[n] = 0;
    snprintf(h, sizeof h, "write a plain number, without a unit: '%s'", fix);
  } else if (want == V_STRING && v->kind == V_IDENT) {
    snprintf(fix, sizeof fix, "\"%s\"", v->str);
    snprintf(h, sizeof h, "put text in double quotes: %s", fix);
  } else if (want == V_COLOR && (v->kind == V_IDENT || v->kind == V_STRING) && vsc_parse_colour_hex(v->str)) {
    snprintf(fix, sizeof fix, "%s", vsc_parse_colour_hex(v->str));
    snprintf(h, sizeof h, "colours are written in hex: '%s' is %s", v->str, fix);
  } else if (want == V_COLOR && v->kind == V_IDENT && bare_hex(c, v->str)) {
    snprintf(fix, sizeof fix, "%s", bare_hex(c, v->str));
    snprintf(h, sizeof h, "a colour starts with '#': '%s'", fix);
  } else if (want == V_DIMS && v->kind == V_RATIO) {
    snprintf(h, sizeof h, "'%s' takes width x height, e.g. 1920x1080; a shape like %g:%g goes in 'aspect'", what, v->num,
             v->num2);
  }
  if (h[0]) hint = h; /* advice for this very value says more than the caller's general one */
  VERR(c, v0, hint, "expected %s for '%s', found %s", check_kind_desc(want), what, check_kind_desc(v->kind));
  if (fix[0]) check_fix(c, v0, fix);
  return false;
}

/* A duration (4s, 300ms, 1min). */
bool check_get_duration(const eval_ctx *c, const vsc_value *v0, const char *what, double *out) {
  const vsc_value *v = check_val(c, v0);
  if (!check_expect(c, v0, V_DURATION, what, NULL)) return false;
  *out = v->num;
  return true;
}

/* A string. */
bool check_get_string(const eval_ctx *c, const vsc_value *v0, const char *what, const char **out) {
  const vsc_value *v = check_val(c, v0);
  if (!check_expect(c, v0, V_STRING, what, NULL)) return false;
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
  if (!check_expect(c, v0, V_IDENT, what, NULL)) return false;
  *out = v->str;
  return true;
}

/* A colour (#rgb or #rrggbb). */
bool check_get_color(const eval_ctx *c, const vsc_value *v0, const char *what, uint32_t *out) {
  const vsc_value *v = check_val(c, v0);
  if (!check_expect(c, v0, V_COLOR, what, "write a colour as #rrggbb")) return false;
  *out = v->rgb;
  return true;
}

/* A plain number. */
bool check_get_number(const eval_ctx *c, const vsc_value *v0, const char *what, double *out) {
  const vsc_value *v = check_val(c, v0);
  if (!check_expect(c, v0, V_NUMBER, what, NULL)) return false;
  *out = v->num;
  return true;
}

bool check_in_range(const eval_ctx *c, const vsc_value *v0, double x, double lo, double hi, const char *what,
                    const char *unit) {
  if (x >= lo && x <= hi) return true;
  char h[96];
  snprintf(h, sizeof h, "'%s' must be between %g%s and %g%s", what, lo, unit, hi, unit);
  VERR(c, v0, h, "%s %g%s is out of range", what, x, unit);
  /* The nearest value in range, written as the value was (a unit after the number). */
  const vsc_value *v = check_val(c, v0);
  const char *t = check_src_of(c, v)->text + v->span.off;
  if (strcmp(unit, "$") != 0 && v->span.len && ((t[0] >= '0' && t[0] <= '9') || t[0] == '-')) {
    double near = x < lo ? lo : hi;
    char fix[64];
    if (v->kind == V_DURATION && v->str && strcmp(v->str, "ms") == 0) snprintf(fix, sizeof fix, "%gms", near * 1000);
    else if (v->kind == V_DURATION && v->str && strcmp(v->str, "min") == 0) snprintf(fix, sizeof fix, "%gmin", near / 60);
    else snprintf(fix, sizeof fix, "%g%s", near, v->kind == V_DURATION ? "s" : unit);
    check_fix(c, v0, fix);
  }
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
  char h[256];
  const char *hint = check_suggest(w, list, n, h, sizeof h);
  if (!hint) {
    size_t len = 0;
    len += (size_t)snprintf(h, sizeof h, "one of:");
    for (size_t i = 0; i < n && len < sizeof h - 40; i++) len += (size_t)snprintf(h + len, sizeof h - len, " %s", list[i]);
    if (len >= sizeof h - 40) snprintf(h + len, sizeof h - len, " …");
    hint = h;
  }
  VERR(c, v0, hint, "unknown %s '%s'", what, w);
  const char *close = vsc_closest(w, list, n);
  if (close) check_fix(c, v0, close);
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
  const char *p = resolve_file(s, check_src_of(c, v0), rel);
  bool dir = false;
  if (!check_file_exists(p, &dir)) {
    char h[300];
    vsc_source *from = check_src_of(c, v0);
    snprintf(h, sizeof h, "paths are relative to the folder of the file that writes them: %s", check_dir_of(s, from->name));
    VERR(c, v0, h, "file '%s' not found", rel);
    return false;
  }
  if (dir) {
    VERR(c, v0, NULL, "'%s' is not a regular file", rel);
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
  if (n < max) return true;
  CERR(c, at, NULL, "too many %s (%d at most)", what, max);
  return false;
}
