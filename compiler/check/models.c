/* Model declarations (check stage): `model NAME "owner/name" { … }` lines of the registry
 * and of scripts become vsc_model_decl (price rule, durations, sizes, params, fallbacks). The
 * registry (compiler/registry) chooses among them at plan time. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check/checker.h"
#include "vsc/vsc_file.h"
#include "vsc/vsc_mem.h"
#include "vsc/vsc_strings.h"

#define ONE_OF(w, list) check_one_of(w, list, sizeof list / sizeof list[0])

vsc_ast *check_find_named(vsc_ast **items, int n, const char *name) {
  for (int i = n - 1; i >= 0; i--) /* later declarations (the user's) win over the stdlib */
    if (items[i]->name.str && strcmp(items[i]->name.str, name) == 0) return items[i];
  return NULL;
}

void check_duplicates(vsc_session *s, vsc_ast **items, int n, const char *what) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j < i; j++)
      if (items[i]->name.str && items[j]->name.str && strcmp(items[i]->name.str, items[j]->name.str) == 0 &&
          items[i]->src == items[j]->src) {
        ERR(items[i]->src, items[i]->name.span, NULL, "duplicate %s '%s'", what, items[i]->name.str);
        vsc_note(s->diags, items[j]->src, items[j]->name.span, "'%s' was first declared here", items[j]->name.str);
        break;
      }
}

vsc_model_decl *vsc_check_find_model(vsc_session *s, const char *name) {
  for (int i = s->nmodels - 1; i >= 0; i--)
    if (strcmp(s->models[i]->name, name) == 0 || strcmp(s->models[i]->ref, name) == 0) return s->models[i];
  return NULL;
}

json_t *check_value_json(const vsc_value *v) {
  switch (v->kind) {
  case V_NUMBER:
    if (v->num == floor(v->num) && fabs(v->num) < 1e15) return json_integer((json_int_t)v->num);
    return json_real(v->num);
  case V_DURATION: case V_DB: case V_PERCENT: case V_MONEY: return json_real(v->num);
  case V_STRING: return json_string(v->str);
  case V_IDENT:
    if (strcmp(v->str, "true") == 0) return json_true();
    if (strcmp(v->str, "false") == 0) return json_false();
    return json_string(v->str);
  case V_RATIO: {
    char b[64];
    snprintf(b, sizeof b, "%g:%g", v->num, v->num2);
    return json_string(b);
  }
  case V_DIMS: {
    char b[64];
    snprintf(b, sizeof b, "%gx%g", v->num, v->num2);
    return json_string(b);
  }
  case V_COLOR: {
    char b[8];
    snprintf(b, sizeof b, "#%06x", v->rgb);
    return json_string(b);
  }
  default: return json_null();
  }
}

static const char *const price_units[] = {"second", "image", "run", "character", "gpu-second"};
static const char *const model_kinds[] = {"video", "image", "i2v", "tts", "music"};
static const char *const param_types[] = {"string", "int", "number", "bool", "file"};
static const char *const generic_fields[] = {"prompt", "negative", "duration", "aspect", "seed", "image", "text", "voice", "size", "fps"};

vsc_model_decl *check_model_decl(vsc_session *s, vsc_ast *m) {
  eval_ctx c = {.s = s, .src = m->src};
  vsc_model_decl *d = vsc_arena_alloc(s->arena, sizeof *d);
  d->node = m;
  d->name = m->name.str;
  if (!check_get_string(&c, &m->vals[0], "model", &d->ref)) d->ref = d->name;
  else if (!strchr(d->ref, '/'))
    ERR(m->src, m->vals[0].span, "write the Replicate name, e.g. \"owner/name\"", "model reference '%s' has no owner", d->ref);
  bool has_price = false;
  char h[96];
  for (vsc_ast *st = m->body.head; st; st = st->next) {
    const char *k = st->keyword;
    if (st->kind == AST_INPUTS) {
      for (vsc_ast *a = st->body.head; a; a = a->next) {
        const char *field = a->name.str, *input;
        if (!ONE_OF(field, generic_fields)) {
          ERR(m->src, a->name.span, check_suggest(field, generic_fields, 10, h, sizeof h), "unknown generic field '%s'", field);
          continue;
        }
        if (check_get_string(&c, &a->vals[0], field, &input) && d->ninputs < 16) {
          d->input_names[0][d->ninputs] = field;
          d->input_names[1][d->ninputs++] = input;
        }
      }
    } else if (st->kind == AST_PARAM) {
      if (d->nparams >= 32) continue;
      vsc_param_decl *pd = &d->params[d->nparams++];
      pd->name = st->name.str;
      if (check_get_ident(&c, &st->vals[0], "param type", &pd->type) && !ONE_OF(pd->type, param_types)) {
        const char *hint = check_suggest(pd->type, param_types, 5, h, sizeof h);
        ERR(m->src, st->vals[0].span, hint ? hint : "the types are string, int, number, bool and file",
            "unknown parameter type '%s'", pd->type);
        pd->type = "string";
      }
      for (vsc_ast *o = st->opts.head; o; o = o->next) {
        if (strcmp(o->keyword, "required") == 0) pd->required = true;
        else if (strcmp(o->keyword, "min") == 0) pd->has_min = check_get_number(&c, &o->vals[0], "min", &pd->min);
        else if (strcmp(o->keyword, "max") == 0) pd->has_max = check_get_number(&c, &o->vals[0], "max", &pd->max);
        else if (strcmp(o->keyword, "default") == 0) pd->deflt = vsc_session_keep(s, check_value_json(&o->vals[0]));
        else if (strcmp(o->keyword, "enum") == 0) {
          pd->enums = vsc_session_keep(s, json_array());
          for (int i = 0; i < o->nvals; i++) json_array_append_new(pd->enums, check_value_json(&o->vals[i]));
        }
      }
    } else if (strcmp(k, "kind") == 0) {
      if (check_get_ident(&c, &st->vals[0], "kind", &d->kind) && !ONE_OF(d->kind, model_kinds))
        ERR(m->src, st->vals[0].span, check_suggest(d->kind, model_kinds, 5, h, sizeof h), "unknown model kind '%s'", d->kind);
    } else if (strcmp(k, "class") == 0) check_get_ident(&c, &st->vals[0], "class", &d->klass);
    else if (strcmp(k, "tier") == 0) {
      if (check_get_ident(&c, &st->vals[0], "tier", &d->tier) && strcmp(d->tier, "draft") && strcmp(d->tier, "final"))
        ERR(m->src, st->vals[0].span, "a tier is 'draft' or 'final'", "unknown tier '%s'", d->tier);
    } else if (strcmp(k, "priced") == 0) check_get_string(&c, &st->vals[0], "priced", &d->priced);
    else if (strcmp(k, "version") == 0) check_get_string(&c, &st->vals[0], "version", &d->version);
    else if (strcmp(k, "durations") == 0) {
      for (int i = 0; i < st->nvals && d->ndurations < 16; i++)
        if (check_get_duration(&c, &st->vals[i], "durations", &d->durations[d->ndurations])) d->ndurations++;
    } else if (strcmp(k, "durations to") == 0) {
      d->dur_range = check_get_duration(&c, &st->vals[0], "durations", &d->dur_min) &&
                     check_get_duration(&c, &st->vals[1], "durations", &d->dur_max);
    } else if (strcmp(k, "sizes") == 0) {
      for (int i = 0; i < st->nvals && d->nsizes < 16; i++)
        if (check_expect(&c, &st->vals[i], V_DIMS, "sizes", "write a size as 1920x1080")) {
          d->sizes[d->nsizes][0] = (int)st->vals[i].num;
          d->sizes[d->nsizes++][1] = (int)st->vals[i].num2;
        }
    } else if (strcmp(k, "aspects") == 0) {
      for (int i = 0; i < st->nvals && d->naspects < 16; i++)
        if (check_expect(&c, &st->vals[i], V_RATIO, "aspects", "write an aspect as 16:9")) {
          d->aspects[d->naspects][0] = st->vals[i].num;
          d->aspects[d->naspects++][1] = st->vals[i].num2;
        }
    } else if (strcmp(k, "price") == 0) {
      const vsc_value *amount = &st->vals[0];
      has_price = true; /* even a bad one: its own error says what is wrong */
      if (!check_expect(&c, amount, V_MONEY, "price", NULL)) continue;
      d->price = amount->num;
      const char *unit;
      if (!check_get_ident(&c, &st->vals[1], "price", &unit)) continue;
      size_t ui = 0;
      while (ui < 5 && strcmp(unit, price_units[ui])) ui++;
      if (ui == 5) {
        ERR(m->src, st->vals[1].span, check_suggest(unit, price_units, 5, h, sizeof h), "unknown price unit '%s'", unit);
        continue;
      }
      d->per = (vsc_price_unit)ui;
      if (d->per == VSC_PRICE_GPU_SECOND) {
        if (st->nvals < 3)
          ERR(m->src, st->vals[1].span, "add 'estimate 30s': the expected run time", "a per gpu-second price needs an estimate");
        else
          check_get_duration(&c, &st->vals[2], "estimate", &d->gpu_estimate);
      }
    } else if (strcmp(k, "fallback") == 0) {
      for (int i = 0; i < st->nvals && d->nfallbacks < 8; i++) {
        d->fallback_nodes[d->nfallbacks] = st;
        check_get_ident(&c, &st->vals[i], "fallback", &d->fallbacks[d->nfallbacks++]);
      }
    }
  }
  if (!d->kind) ERR(m->src, m->name.span, "add e.g. 'kind video'", "model '%s' has no kind", d->name);
  if (!d->klass) ERR(m->src, m->name.span, "add e.g. 'class video.fast'", "model '%s' has no class", d->name);
  if (!has_price) ERR(m->src, m->name.span, "add e.g. 'price $0.05 per second'", "model '%s' has no price", d->name);
  if (!d->tier) d->tier = "draft";
  if (!d->kind) d->kind = "video";
  if (!d->klass) d->klass = d->kind;
  return d;
}

void check_fallbacks(vsc_session *s) {
  for (int i = 0; i < s->nmodels; i++) {
    vsc_model_decl *d = s->models[i];
    for (int f = 0; f < d->nfallbacks; f++) {
      if (!d->fallbacks[f] || vsc_check_find_model(s, d->fallbacks[f])) continue;
      const char *names[256];
      size_t n = 0;
      for (int j = 0; j < s->nmodels && n < 256; j++) names[n++] = s->models[j]->name;
      char h[96];
      vsc_ast *st = d->fallback_nodes[f];
      ERR(d->node->src, st->vals[f < st->nvals ? f : 0].span, check_suggest(d->fallbacks[f], names, n, h, sizeof h),
          "unknown fallback model '%s'", d->fallbacks[f]);
    }
  }
}

