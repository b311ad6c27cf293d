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

/* The declaration named `name` among items, or NULL. */
vsc_ast *check_find_named(vsc_ast **items, int n, const char *name) {
  for (int i = n - 1; i >= 0; i--) /* later declarations (the user's) win over the stdlib */
    if (items[i]->name.str && strcmp(items[i]->name.str, name) == 0) return items[i];
  return NULL;
}

/* Reports every name declared twice (styles, templates, presets, models), at the second. */
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

/* The model declared as `name` (its alias), or NULL. */
vsc_model_decl *vsc_check_find_model(vsc_session *s, const char *name) {
  for (int i = s->nmodels - 1; i >= 0; i--)
    if (strcmp(s->models[i]->name, name) == 0 || strcmp(s->models[i]->ref, name) == 0) return s->models[i];
  return NULL;
}

/* A literal as JSON: what `param … default`, `enum` and `with` values become. */
json_t *check_value_json(const vsc_value *v) {
  switch (v->kind) {
  case V_NUMBER:
    if (v->num == floor(v->num) && fabs(v->num) < 1e15) return json_integer((json_int_t)v->num);
    return json_real(v->num);
  case V_DURATION:
  case V_DB:
  case V_PERCENT:
  case V_MONEY: return json_real(v->num);
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

/* A model declaration being checked. */
typedef struct {
  eval_ctx c;
  vsc_model_decl *d;
  bool has_price;
} model_body;

#define MB_ERR(span, hint, ...) vsc_error(b->c.s->diags, VSC_STAGE_CHECK, b->c.src, span, hint, __VA_ARGS__)

/* inputs { FIELD "input_name" … }: the model's names for vsc's generic fields */
static void model_inputs(model_body *b, vsc_ast *st) {
  char h[96];
  vsc_model_decl *d = b->d;
  for (vsc_ast *a = st->body.head; a; a = a->next) {
    const char *field = a->name.str, *input;
    if (!ONE_OF(field, generic_fields)) {
      MB_ERR(a->name.span, check_suggest(field, generic_fields, 10, h, sizeof h), "unknown generic field '%s'", field);
      continue;
    }
    if (check_get_string(&b->c, &a->vals[0], field, &input) &&
        check_room(&b->c, a->name.span, d->ninputs, VSC_MODEL_INPUTS_MAX, "inputs of one model")) {
      d->input_names[0][d->ninputs] = field;
      d->input_names[1][d->ninputs++] = input;
    }
  }
}

/* param NAME TYPE [required] [min X] [max X] [default V] [enum V …] */
static void model_param(model_body *b, vsc_ast *st) {
  char h[96];
  vsc_model_decl *d = b->d;
  vsc_session *s = b->c.s;
  if (!check_room(&b->c, st->kw, d->nparams, VSC_MODEL_PARAMS_MAX, "parameters of one model")) return;
  vsc_param_decl *pd = &d->params[d->nparams++];
  pd->name = st->name.str;
  if (check_get_ident(&b->c, &st->vals[0], "param type", &pd->type) && !ONE_OF(pd->type, param_types)) {
    const char *hint = check_suggest(pd->type, param_types, 5, h, sizeof h);
    MB_ERR(st->vals[0].span, hint ? hint : "the types are string, int, number, bool and file",
           "unknown parameter type '%s'", pd->type);
    pd->type = "string";
  }
  for (vsc_ast *o = st->opts.head; o; o = o->next) {
    if (strcmp(o->keyword, "required") == 0) pd->required = true;
    else if (strcmp(o->keyword, "min") == 0) pd->has_min = check_get_number(&b->c, &o->vals[0], "min", &pd->min);
    else if (strcmp(o->keyword, "max") == 0) pd->has_max = check_get_number(&b->c, &o->vals[0], "max", &pd->max);
    else if (strcmp(o->keyword, "default") == 0) pd->deflt = vsc_session_keep(s, check_value_json(&o->vals[0]));
    else if (strcmp(o->keyword, "enum") == 0) {
      pd->enums = vsc_session_keep(s, json_array());
      for (int i = 0; i < o->nvals; i++) json_array_append_new(pd->enums, check_value_json(&o->vals[i]));
    }
  }
}

/* kind video|image|i2v|tts|music */
static void model_kind(model_body *b, vsc_ast *st) {
  char h[96];
  vsc_model_decl *d = b->d;
  if (check_get_ident(&b->c, &st->vals[0], "kind", &d->kind) && !ONE_OF(d->kind, model_kinds))
    MB_ERR(st->vals[0].span, check_suggest(d->kind, model_kinds, 5, h, sizeof h), "unknown model kind '%s'", d->kind);
}

/* class NAME (video.fast, image.premium, …) */
static void model_class(model_body *b, vsc_ast *st) { check_get_ident(&b->c, &st->vals[0], "class", &b->d->klass); }

/* tier draft|final */
static void model_tier(model_body *b, vsc_ast *st) {
  vsc_model_decl *d = b->d;
  if (check_get_ident(&b->c, &st->vals[0], "tier", &d->tier) && strcmp(d->tier, "draft") && strcmp(d->tier, "final"))
    MB_ERR(st->vals[0].span, "a tier is 'draft' or 'final'", "unknown tier '%s'", d->tier);
}

/* priced "DATE and source": where the price came from */
static void model_priced(model_body *b, vsc_ast *st) {
  check_get_string(&b->c, &st->vals[0], "priced", &b->d->priced);
}

/* version "ID": the pinned version */
static void model_version(model_body *b, vsc_ast *st) {
  check_get_string(&b->c, &st->vals[0], "version", &b->d->version);
}

/* durations T T …: the clip lengths the model makes */
static void model_durations(model_body *b, vsc_ast *st) {
  vsc_model_decl *d = b->d;
  for (int i = 0; i < st->nvals && check_room(&b->c, st->vals[i].span, d->ndurations, VSC_MODEL_LIST_MAX, "durations"); i++)
    if (check_get_duration(&b->c, &st->vals[i], "durations", &d->durations[d->ndurations])) d->ndurations++;
}

/* durations T to T */
static void model_duration_range(model_body *b, vsc_ast *st) {
  vsc_model_decl *d = b->d;
  d->dur_range = check_get_duration(&b->c, &st->vals[0], "durations", &d->dur_min) &&
                 check_get_duration(&b->c, &st->vals[1], "durations", &d->dur_max);
}

/* sizes WxH … */
static void model_sizes(model_body *b, vsc_ast *st) {
  vsc_model_decl *d = b->d;
  for (int i = 0; i < st->nvals && check_room(&b->c, st->vals[i].span, d->nsizes, VSC_MODEL_LIST_MAX, "sizes"); i++)
    if (check_expect(&b->c, &st->vals[i], V_DIMS, "sizes", "write a size as 1920x1080")) {
      d->sizes[d->nsizes][0] = (int)st->vals[i].num;
      d->sizes[d->nsizes++][1] = (int)st->vals[i].num2;
    }
}

/* aspects W:H … */
static void model_aspects(model_body *b, vsc_ast *st) {
  vsc_model_decl *d = b->d;
  for (int i = 0; i < st->nvals && check_room(&b->c, st->vals[i].span, d->naspects, VSC_MODEL_LIST_MAX, "aspects"); i++)
    if (check_expect(&b->c, &st->vals[i], V_RATIO, "aspects", "write an aspect as 16:9")) {
      d->aspects[d->naspects][0] = st->vals[i].num;
      d->aspects[d->naspects++][1] = st->vals[i].num2;
    }
}

/* price $AMOUNT per UNIT [estimate DURATION] */
static void model_price(model_body *b, vsc_ast *st) {
  char h[96];
  vsc_model_decl *d = b->d;
  const vsc_value *amount = &st->vals[0];
  b->has_price = true; /* even a bad one: its own error says what is wrong */
  if (!check_expect(&b->c, amount, V_MONEY, "price", NULL)) return;
  d->price = amount->num;
  const char *unit;
  if (!check_get_ident(&b->c, &st->vals[1], "price", &unit)) return;
  size_t ui = 0;
  while (ui < 5 && strcmp(unit, price_units[ui])) ui++;
  if (ui == 5) {
    MB_ERR(st->vals[1].span, check_suggest(unit, price_units, 5, h, sizeof h), "unknown price unit '%s'", unit);
    return;
  }
  d->per = (vsc_price_unit)ui;
  if (d->per != VSC_PRICE_GPU_SECOND) return;
  if (st->nvals < 3)
    MB_ERR(st->vals[1].span, "add 'estimate 30s': the expected run time", "a per gpu-second price needs an estimate");
  else
    check_get_duration(&b->c, &st->vals[2], "estimate", &d->gpu_estimate);
}

/* fallback NAME, NAME …: models tried when this one fails */
static void model_fallback(model_body *b, vsc_ast *st) {
  vsc_model_decl *d = b->d;
  for (int i = 0; i < st->nvals && check_room(&b->c, st->vals[i].span, d->nfallbacks, VSC_MODEL_FALLBACKS_MAX, "fallbacks");
       i++) {
    d->fallback_nodes[d->nfallbacks] = st;
    check_get_ident(&b->c, &st->vals[i], "fallback", &d->fallbacks[d->nfallbacks++]);
  }
}

/* The statements a model declaration may hold: the AST kind (and for settings the keyword)
 * the grammar gives them, and the handler. */
static const struct {
  vsc_ast_kind kind;
  const char *keyword; /* NULL: any statement of the kind */
  void (*check)(model_body *b, vsc_ast *st);
} model_statements[] = {
    {AST_INPUTS, NULL, model_inputs},
    {AST_PARAM, NULL, model_param},
    {AST_SET, "kind", model_kind},
    {AST_SET, "class", model_class},
    {AST_SET, "tier", model_tier},
    {AST_SET, "priced", model_priced},
    {AST_SET, "version", model_version},
    {AST_SET, "durations", model_durations},
    {AST_SET, "durations to", model_duration_range},
    {AST_SET, "sizes", model_sizes},
    {AST_SET, "aspects", model_aspects},
    {AST_SET, "price", model_price},
    {AST_SET, "fallback", model_fallback},
};

/* model NAME "owner/name" { … } */
vsc_model_decl *check_model_decl(vsc_session *s, vsc_ast *m) {
  vsc_model_decl *d = vsc_arena_alloc(s->arena, sizeof *d);
  model_body b = {.c = {.s = s, .src = m->src}, .d = d};
  d->node = m;
  d->name = m->name.str;
  if (!check_get_string(&b.c, &m->vals[0], "model", &d->ref)) d->ref = d->name;
  else if (!strchr(d->ref, '/'))
    ERR(m->src, m->vals[0].span, "write the Replicate name, e.g. \"owner/name\"", "model reference '%s' has no owner", d->ref);
  for (vsc_ast *st = m->body.head; st; st = st->next)
    for (size_t i = 0; i < sizeof model_statements / sizeof model_statements[0]; i++)
      if (model_statements[i].kind == st->kind &&
          (!model_statements[i].keyword || strcmp(model_statements[i].keyword, st->keyword) == 0)) {
        model_statements[i].check(&b, st);
        break;
      }
  if (!d->kind) ERR(m->src, m->name.span, "add e.g. 'kind video'", "model '%s' has no kind", d->name);
  if (!d->klass) ERR(m->src, m->name.span, "add e.g. 'class video.fast'", "model '%s' has no class", d->name);
  if (!b.has_price) ERR(m->src, m->name.span, "add e.g. 'price $0.05 per second'", "model '%s' has no price", d->name);
  if (!d->tier) d->tier = "draft";
  if (!d->kind) d->kind = "video";
  if (!d->klass) d->klass = d->kind;
  return d;
}

/* Every fallback names a declared model (checked once all modules are loaded). */
void check_fallbacks(vsc_session *s) {
  for (int i = 0; i < s->nmodels; i++) {
    vsc_model_decl *d = s->models[i];
    for (int f = 0; f < d->nfallbacks; f++) {
      if (!d->fallbacks[f] || vsc_check_find_model(s, d->fallbacks[f])) continue;
      const char **names = vsc_arena_alloc(s->arena, ((size_t)s->nmodels + 1) * sizeof *names);
      size_t n = 0;
      for (int j = 0; j < s->nmodels; j++) names[n++] = s->models[j]->name;
      char h[96];
      vsc_ast *st = d->fallback_nodes[f];
      ERR(d->node->src, st->vals[f < st->nvals ? f : 0].span, check_suggest(d->fallbacks[f], names, n, h, sizeof h),
          "unknown fallback model '%s'", d->fallbacks[f]);
    }
  }
}
