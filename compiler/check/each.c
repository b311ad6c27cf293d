/*
** Scene lists from data (check stage): `for NAME in LIST { scenes }` inside `video` makes
** its scenes once per item of LIST, a list param (`param products list string`, given by a
** row or `--param`) or a list written in place (`[a, b]`). Scene `item` of the block is
** `item_1`, `item_2`, … in the video; NAME used in those scenes (their values, durations,
** template arguments) is the item, read and reported where the item was written (a row's
** field, the param's default). docs/language.md "Lists".
*/
#include <string.h>

#include "check/checker.h"
#include "vsc/vsc_mem.h"
#include "vsc/vsc_strings.h"

/* The scenes of a `for` body; other statements are reported once. */
static int body_scenes(vsc_session *s, vsc_ast *each, bool report) {
  int n = 0;
  for (vsc_ast *st = each->body.head; st; st = st->next) {
    if (st->kind == AST_SCENE) n++;
    else if (report)
      ERR(st->src, st->kw, st->kind == AST_EACH ? "make one list of the items: a 'for' block repeats scenes once per item" : "put it in a scene of the block, or outside the 'for'",
          "a 'for … in' block holds only scenes%s", st->kind == AST_EACH ? " ('for' blocks do not nest)" : "");
  }
  return n;
}

/* The list a `for` names: a list param's value (nothing reported when its value is in error:
** that was said) or a list written in place. */
static const vsc_value *each_list(vsc_session *s, vsc_ast *each, vsc_each_spec *es, bool report) {
  const vsc_value *v = &each->vals[0];
  es->node = each;
  es->list_src = each->src;
  es->list_span = v->span;
  es->list = "the list";
  if (v->kind == V_IDENT) {
    int p = check_param_index(s, v->str);
    if (p < 0) {
      if (!report) return NULL;
      const char **names = vsc_arena_alloc(s->arena, ((size_t)s->nparam_decls + 1) * sizeof *names);
      size_t n = 0;
      for (int i = 0; i < s->nparam_decls; i++)
        if (s->param_decls[i]->list) names[n++] = s->param_decls[i]->name.str;
      char h[200];
      const char *hint = check_suggest(v->str, names, n, h, sizeof h);
      if (!hint) hint = "declare it at the top of the script: param NAME list string, or write the items: [\"a\", \"b\"]";
      ERR(each->src, v->span, hint, "unknown list '%s'", v->str);
      return NULL;
    }
    const vsc_ast *d = s->param_decls[p];
    if (!d->list) {
      if (report) {
        ERR(each->src, v->span, "declare it 'param NAME list TYPE', or write the items: [\"a\", \"b\"]",
            "param '%s' is not a list", v->str);
        vsc_note(s->diags, d->src, d->name.span, "'%s' is declared here", d->name.str);
      }
      return NULL;
    }
    const vsc_value *val = &s->param_vals[p];
    if (val->kind != V_LIST) return NULL; /* in error: reported at the value */
    es->list = vsc_arena_printf(s->arena, "'%s'", v->str);
    es->list_src = s->param_srcs[p] ? s->param_srcs[p] : each->src;
    es->list_span = val->span;
    return val;
  }
  if (v->kind != V_LIST) {
    if (report && v->kind != V_ERROR)
      ERR(each->src, v->span, "name a list param, or write the items: for p in [\"a\", \"b\"] { … }",
          "'for … in' takes a list, found %s", check_kind_desc(v->kind));
    return NULL;
  }
  bool ok = true;
  for (int k = 0; k < v->nitems; k++)
    if (v->items[k].kind == V_LIST) {
      if (report) ERR(each->src, v->items[k].span, NULL, "a list item is one value, not a list");
      ok = false;
    }
  return ok ? v : NULL;
}

int check_each_count(vsc_session *s, vsc_ast *each) {
  vsc_each_spec es = {0};
  const vsc_value *list = each_list(s, each, &es, false);
  return list ? list->nitems * body_scenes(s, each, false) : 0;
}

const vsc_value *check_each_begin(vsc_session *s, vsc_ast *each, vsc_each_spec **out) {
  vsc_each_spec *es = vsc_arena_alloc(s->arena, sizeof *es);
  *out = es;
  int per_item = body_scenes(s, each, true);
  const vsc_value *list = each_list(s, each, es, true);
  if (!list) return NULL;
  es->nitems = list->nitems;
  es->per_item = per_item;
  if (per_item == 0) {
    ERR(each->src, each->kw, "add e.g. 'scene item (3s) { text p at center }' to the block",
        "the 'for' block makes no scenes");
    return NULL;
  }
  if (list->nitems == 0) {
    ERR(es->list_src, es->list_span, "give it one item or more ('a|b' in a CSV field, [\"a\", \"b\"] in JSON or the script)",
        "%s is empty: the 'for' block makes no scenes from it", es->list);
    if (es->list_src != each->src) vsc_note(s->diags, each->src, each->vals[0].span, "the 'for' block is here");
    return NULL;
  }
  return list;
}

void check_each_bind(vsc_session *s, vsc_ast *each, const vsc_each_spec *es, const vsc_value *item, int index) {
  s->each_name = each ? each->name.str : NULL;
  s->each_item = item;
  s->each_src = es ? es->list_src : NULL;
  s->each = es;
  s->each_index = index;
}
