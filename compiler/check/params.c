/*
** Params (check stage): `param NAME TYPE [default VALUE]` at the top of the main script, bound
** to the values the compile was given (`--param NAME=VALUE`, or a field of a batch row) or to
** their defaults. A param is then used by name wherever a value goes, as a template's
** parameter is (values.c resolves the name). A value is read in the text that wrote it: a
** row's field is shown, and its path resolved, in the data file.
*/
#include <string.h>

#include "check/checker.h"
#include "lex/lex.h"
#include "parse/parse.h"
#include "vsc/vsc_mem.h"
#include "vsc/vsc_strings.h"
#include "vsc_parse.h"

/* The types a param may have, the token a value of it is, and what the user reads. */
typedef struct {
  const char *name;
  int token;        /* TK_* a value must lex to; 0: the text itself, as a string */
  const char *desc; /* for messages: "a colour like #1b1b1b" */
} param_type;

static const param_type types[] = {
    {"string", 0, "text"},
    {"text", 0, "text"},
    {"file", 0, "a path"},
    {"number", TK_NUMBER, "a number like 0.6"},
    {"colour", TK_HEX, "a colour like #1b1b1b"},
    {"color", TK_HEX, "a colour like #1b1b1b"},
    {"duration", TK_DURATION, "a duration like 4s or 500ms"},
    {"money", TK_MONEY, "an amount like $2.50"},
    {"percent", TK_PERCENT, "a percentage like 12%"},
    {"size", TK_DIMS, "a size like 1920x1080"},
    {"ratio", TK_RATIO, "a ratio like 16:9"},
    {"model", TK_ID, "a model or class name like video.fast"},
    {"name", TK_ID, "a name like crossfade"},
};
#define NTYPES (sizeof types / sizeof types[0])

static const param_type *find_type(const char *name) {
  for (size_t i = 0; i < NTYPES; i++)
    if (strcmp(types[i].name, name) == 0) return &types[i];
  return NULL;
}

int check_param_index(const vsc_session *s, const char *name) {
  for (int i = 0; i < s->nparam_decls; i++)
    if (s->param_decls[i]->name.str && strcmp(s->param_decls[i]->name.str, name) == 0) return i;
  return -1;
}

/* The value kind a literal token gives (for a default written in the script). */
static vsc_value_kind kind_of_token(int token) {
  switch (token) {
  case TK_NUMBER: return V_NUMBER;
  case TK_HEX: return V_COLOR;
  case TK_DURATION: return V_DURATION;
  case TK_MONEY: return V_MONEY;
  case TK_PERCENT: return V_PERCENT;
  case TK_DIMS: return V_DIMS;
  case TK_RATIO: return V_RATIO;
  case TK_ID: return V_IDENT;
  default: return V_STRING;
  }
}

/* The source a given value was written in: one per distinct text (a row's fields share
 * their record). Its lines are numbered as in the file it comes from. */
static vsc_source *arg_source(vsc_session *s, const vsc_param_arg *a, const char **last_text, vsc_source **last) {
  if (a->src_text && a->src_text == *last_text) return *last;
  vsc_source *src = vsc_arena_alloc(s->arena, sizeof *src);
  src->name = vsc_arena_strdup(s->arena, a->src_name ? a->src_name : "--param");
  if (a->src_text) {
    src->text = vsc_arena_strndup(s->arena, a->src_text, a->src_len);
    src->len = (uint32_t)a->src_len;
  } else {
    src->text = vsc_arena_strdup(s->arena, a->value);
    src->len = (uint32_t)strlen(a->value);
  }
  src->line_base = a->src_line > 0 ? a->src_line - 1 : 0;
  check_push((void ***)&s->sources, &s->nsources, src);
  *last_text = a->src_text;
  *last = src;
  return src;
}

/* Reads text as type t: a string as it is, else exactly one token of t's kind (lexed from
 * the text itself). false, with an error at `at` in src, when it is not; `what` names the
 * value in the message (NULL: the text itself, "item 2 of 'products'"). */
static bool read_text(vsc_session *s, const vsc_ast *decl, const param_type *t, const char *text, vsc_span at,
                      vsc_source *src, const char *what, vsc_value *out) {
  if (at.off > src->len) at.off = src->len;
  if (at.off + at.len > src->len) at.len = src->len - at.off;
  if (t->token == 0) {
    *out = (vsc_value){.kind = V_STRING, .span = at, .str = vsc_arena_strdup(s->arena, text)};
    return true;
  }
  /* The lexer reports into a parser: a scratch one, whose errors are not the user's (the
   * value's own message below says what was wrong). */
  vsc_diag_list *scratch = vsc_diag_list_new(4);
  vsc_source vsrc = {.name = "value", .text = text, .len = (uint32_t)strlen(text)};
  vsc_parser p = {.arena = s->arena, .src = &vsrc, .diags = scratch};
  vsc_lexer L;
  vsc_lex_init(&L, &p, vsrc.text, vsrc.len);
  vsc_token tok, extra;
  int k = vsc_lex_next(&L, &tok);
  bool ok = k != 0 && vsc_lex_next(&L, &extra) == 0 && vsc_diag_error_count(scratch) == 0;
  if (ok && t->token == TK_ID) ok = k == TK_ID || vsc_lex_keyword(vsrc.text + tok.off, tok.len) != TK_ID;
  else if (ok) ok = k == t->token;
  if (ok) {
    *out = t->token == TK_ID ? vsc_parse_ident(&p, tok) : vsc_parse_value(&p, tok);
    ok = out->kind != V_ERROR && vsc_diag_error_count(scratch) == 0;
  }
  vsc_diag_list_free(scratch);
  vsc_source_free_lines(&vsrc); /* built if the lexer reported */
  if (!ok) {
    char hint[160];
    snprintf(hint, sizeof hint, "param '%s' is %s%s: %s", decl->name.str, decl->list ? "a list of " : "",
             decl->vals[0].str, t->desc);
    if (what) ERR(src, at, hint, "%s is not %s: '%s'", what, t->desc, text);
    else ERR(src, at, hint, "'%s' is not %s", text, t->desc);
    vsc_note(s->diags, decl->src, decl->name.span, "'%s' is declared here", decl->name.str);
    return false;
  }
  out->span = at;
  return true;
}

/* A given value's span in its source. */
static vsc_span arg_span(const vsc_param_arg *a, const vsc_source *src) {
  return (vsc_span){(uint32_t)(a->src_text ? a->off : 0), (uint32_t)(a->src_text ? a->len : src->len)};
}

/* Reads a given value as type t (one value). */
static bool read_value(vsc_session *s, const vsc_ast *decl, const param_type *t, const vsc_param_arg *a,
                       vsc_source *src, vsc_value *out) {
  if (a->items) {
    ERR(src, arg_span(a, src), "give one value, or declare it 'param NAME list TYPE'",
        "param '%s' takes one value, not a list", decl->name.str);
    vsc_note(s->diags, decl->src, decl->name.span, "'%s' is declared here", decl->name.str);
    return false;
  }
  return read_text(s, decl, t, a->value, arg_span(a, src), src, NULL, out);
}

/* The byte of src_text where byte d of a's decoded value was written: a CSV field in
 * quotes has its quotes, and "" for each quote, around and in the text. */
static size_t raw_at(const vsc_param_arg *a, size_t d) {
  if (!a->src_text) return d;
  size_t r = a->off, end = a->off + a->len;
  bool quoted = r < end && a->src_text[r] == '"';
  if (quoted) r++;
  for (size_t i = 0; i < d && r < end; i++) r += quoted && a->src_text[r] == '"' ? 2 : 1;
  return r;
}

/* A list written in one field: items separated by '|', "\|" a '|' in an item and "\\" a
 * backslash; spaces around an item are not part of it. Items into it[] (arena). */
static int split_items(vsc_session *s, const vsc_param_arg *a, vsc_param_item **out) {
  const char *v = a->value;
  size_t n = strlen(v);
  int cap = 1;
  for (size_t i = 0; i < n; i++) cap += v[i] == '|';
  vsc_param_item *it = vsc_arena_alloc(s->arena, (size_t)cap * sizeof *it);
  int k = 0;
  size_t i = 0;
  while (k < cap) {
    while (i < n && (v[i] == ' ' || v[i] == '\t')) i++;
    size_t start = i, last = i; /* last: after the item's last byte that is not a space */
    char *text = vsc_arena_alloc(s->arena, n - start + 1);
    size_t tl = 0, keep = 0;
    for (; i < n && v[i] != '|'; i++) {
      if (v[i] == '\\' && i + 1 < n && (v[i + 1] == '|' || v[i + 1] == '\\')) i++;
      text[tl++] = v[i];
      if (v[i] != ' ' && v[i] != '\t') keep = tl, last = i + 1;
    }
    text[keep] = 0;
    size_t ro = raw_at(a, start), re = raw_at(a, last > start ? last : start);
    it[k++] = (vsc_param_item){.value = text, .off = ro, .len = re - ro};
    if (i >= n) break;
    i++; /* the '|' */
  }
  *out = it;
  return k;
}

/* Reads a given list of type t: its items, each reported where it was written. */
static bool read_list(vsc_session *s, const vsc_ast *decl, const param_type *t, const vsc_param_arg *a,
                      vsc_source *src, vsc_value *out) {
  vsc_param_item *split = NULL;
  const vsc_param_item *items = a->items;
  int n = a->nitems;
  if (!items && a->value[0]) n = split_items(s, a, &split), items = split;
  else if (!items) n = 0; /* an empty field: an empty list */
  vsc_value *vals = vsc_arena_alloc(s->arena, ((size_t)n + 1) * sizeof *vals);
  bool ok = true;
  for (int k = 0; k < n; k++) {
    vsc_span at = {(uint32_t)(a->src_text ? items[k].off : 0), (uint32_t)(a->src_text ? items[k].len : src->len)};
    const char *what = vsc_arena_printf(s->arena, "item %d of '%s'%s", k + 1, decl->name.str,
                                        a->items ? vsc_arena_printf(s->arena, " ($.%s[%d])", decl->name.str, k) : "");
    if (!items[k].value[0]) {
      ERR(src, at, a->items ? "drop the empty item" : "drop the extra '|' (write '\\|' for a '|' in an item)",
          "%s is empty", what);
      ok = false;
      continue;
    }
    if (!read_text(s, decl, t, items[k].value, at, src, what, &vals[k])) ok = false;
  }
  *out = (vsc_value){.kind = V_LIST, .span = arg_span(a, src), .items = vals, .nitems = n};
  return ok;
}

/* A default written in the script must be of the param's type. */
static bool check_default(vsc_session *s, const vsc_ast *decl, const param_type *t, const vsc_value *v) {
  vsc_value_kind want = kind_of_token(t->token);
  if (decl->list) {
    if (v->kind != V_LIST) {
      ERR(decl->src, v->span, "write a list in brackets: default [\"a\", \"b\"]", "the default of param '%s' is not a list",
          decl->name.str);
      return false;
    }
    bool ok = true;
    for (int k = 0; k < v->nitems; k++)
      if (v->items[k].kind != want && v->items[k].kind != V_ERROR) {
        ERR(decl->src, v->items[k].span, NULL, "item %d of the default of param '%s' is not %s", k + 1, decl->name.str, t->desc);
        ok = false;
      } else if (v->items[k].kind == V_ERROR) {
        ok = false;
      }
    return ok;
  }
  if (v->kind == want || v->kind == V_ERROR) return v->kind == want;
  ERR(decl->src, v->span, NULL, "the default of param '%s' is not %s", decl->name.str, t->desc);
  return false;
}

/* The declarations: a known type each, no name twice, no option but `default`. */
static void check_decls(vsc_session *s) {
  check_duplicates(s, s->param_decls, s->nparam_decls, "param");
  for (int i = 0; i < s->nparam_decls; i++) {
    vsc_ast *d = s->param_decls[i];
    if (d->nvals < 1 || d->vals[0].kind != V_IDENT || !find_type(d->vals[0].str)) {
      const char *names[NTYPES];
      for (size_t k = 0; k < NTYPES; k++) names[k] = types[k].name;
      char hint[300];
      int n = snprintf(hint, sizeof hint, "a param's type is one of");
      for (size_t k = 0; k < NTYPES && n < (int)sizeof hint - 20; k++) n += snprintf(hint + n, sizeof hint - (size_t)n, " %s", names[k]);
      vsc_span at = d->nvals ? d->vals[0].span : d->name.span;
      ERR(d->src, at, hint, "param '%s' has no known type", d->name.str ? d->name.str : "");
      if (d->nvals && d->vals[0].kind == V_IDENT) {
        const char *close = vsc_closest(d->vals[0].str, names, NTYPES);
        if (close) vsc_diag_fix(s->diags, d->src, at, close);
      }
    }
    for (const vsc_ast *o = d->opts.head; o; o = o->next)
      if (strcmp(o->keyword, "default") != 0)
        ERR(d->src, o->kw, "a param takes a type and an optional 'default VALUE'", "'%s' does not apply to a param", o->keyword);
  }
}

/* Each given value to its param: unknown names (unless optional) and repeats are errors. */
static void bind_args(vsc_session *s, const param_type **ptypes, bool *given) {
  const char *last_text = NULL;
  vsc_source *last = NULL;
  for (int k = 0; k < s->nparam_args; k++) {
    const vsc_param_arg *a = &s->param_args[k];
    int i = check_param_index(s, a->name);
    if (i < 0 && a->optional) continue;
    vsc_source *src = arg_source(s, a, &last_text, &last);
    vsc_span at = arg_span(a, src);
    size_t nl = strlen(a->name);
    if (i < 0 && a->src_text && a->off > nl && memcmp(a->src_text + a->off - nl - 1, a->name, nl) == 0)
      at = (vsc_span){(uint32_t)(a->off - nl - 1), (uint32_t)nl}; /* NAME=VALUE: at the name */
    if (i < 0) {
      const char *names[64];
      size_t n = 0;
      for (int j = 0; j < s->nparam_decls && n < 64; j++) names[n++] = s->param_decls[j]->name.str;
      const char *close = vsc_closest(a->name, names, n);
      char hint[200];
      if (close) snprintf(hint, sizeof hint, "did you mean '%s'?", close);
      else if (n) snprintf(hint, sizeof hint, "the script's params are declared with 'param NAME TYPE'");
      else snprintf(hint, sizeof hint, "declare it at the top of the script: param %s string", a->name);
      ERR(src, at, hint, "the script has no param '%s'", a->name);
      continue;
    }
    if (given[i]) {
      ERR(src, at, NULL, "param '%s' is given twice", a->name);
      continue;
    }
    /* An empty field leaves a param with a default to its default. */
    if (!a->value[0] && check_option(s->param_decls[i], "default")) continue;
    if (!ptypes[i]) continue;
    given[i] = true;
    bool ok = s->param_decls[i]->list ? read_list(s, s->param_decls[i], ptypes[i], a, src, &s->param_vals[i])
                                      : read_value(s, s->param_decls[i], ptypes[i], a, src, &s->param_vals[i]);
    if (ok) s->param_srcs[i] = src;
    else s->param_vals[i].kind = V_ERROR;
  }
}

void check_params(vsc_session *s) {
  int n = s->nparam_decls;
  s->param_vals = vsc_arena_alloc(s->arena, ((size_t)n + 1) * sizeof *s->param_vals);
  s->param_srcs = vsc_arena_alloc(s->arena, ((size_t)n + 1) * sizeof *s->param_srcs);
  const param_type **ptypes = vsc_arena_alloc(s->arena, ((size_t)n + 1) * sizeof *ptypes);
  bool *given = vsc_arena_alloc(s->arena, (size_t)n + 1);
  check_decls(s);
  for (int i = 0; i < n; i++) {
    vsc_ast *d = s->param_decls[i];
    ptypes[i] = d->nvals && d->vals[0].kind == V_IDENT ? find_type(d->vals[0].str) : NULL;
    s->param_vals[i].kind = V_ERROR; /* until bound: a use is not reported again */
  }
  bind_args(s, ptypes, given);
  for (int i = 0; i < n; i++) {
    vsc_ast *d = s->param_decls[i];
    if (given[i] || !ptypes[i] || check_param_index(s, d->name.str) != i) continue; /* a duplicate: said */
    const vsc_ast *def = check_option(d, "default");
    if (def && def->nvals) {
      if (check_default(s, d, ptypes[i], &def->vals[0])) {
        s->param_vals[i] = def->vals[0];
        s->param_srcs[i] = d->src;
      }
      continue;
    }
    char hint[300];
    snprintf(hint, sizeof hint, "give it with --param %s=VALUE or a '%s' field in the batch data, or write 'default VALUE'",
             d->name.str, d->name.str);
    ERR(d->src, d->name.span, hint, "param '%s' has no value", d->name.str);
  }
}
