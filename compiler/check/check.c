/* The checker. Reads the AST of the main script and its modules, and produces typed specs
 * (check.h). Every error names the exact span; the checker goes on after an error so that
 * one run reports as many independent problems as it can. */
#include "check/check.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "parse/parse.h"

typedef struct {
  const char *name;
  const char *text;
} stdlib_module;
extern const stdlib_module vsc_stdlib_modules[];

#define ERR(src, span, hint, ...) vsc_error(s->diags, VSC_STAGE_CHECK, src, span, hint, __VA_ARGS__)

json_t *vsc_session_keep(vsc_session *s, json_t *v) {
  if (!s->json_owned) s->json_owned = json_array();
  json_array_append_new(s->json_owned, v);
  return v;
}

void vsc_session_free(vsc_session *s) {
  for (int i = 0; i < s->nsources; i++) vsc_source_free_lines(s->sources[i]);
  free(s->sources);
  free(s->styles);
  free(s->templates);
  free(s->presets);
  free(s->models);
  json_decref(s->json_owned);
  vsc_arena_free(s->arena);
}

static void push_ptr(void ***arr, int *n, void *p) {
  if ((*n & (*n - 1)) == 0) *arr = vsc_xrealloc(*arr, (size_t)(*n ? *n * 2 : 1) * sizeof **arr);
  (*arr)[(*n)++] = p;
}

/* ---- template bindings: a name used where a value goes ---------------------------- */
typedef struct {
  vsc_session *s;
  vsc_source *src;
  const char *names[16];
  vsc_value vals[16];
  int n;
} eval_ctx;

static const vsc_value *val(const eval_ctx *c, const vsc_value *v) {
  if (v->kind == V_IDENT)
    for (int i = 0; i < c->n; i++)
      if (strcmp(c->names[i], v->str) == 0) return &c->vals[i];
  return v;
}

static const char *kind_desc(vsc_value_kind k) {
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
  default: return "a value";
  }
}

/* Reports "expected X" unless the value is already an error. */
static bool expect(const eval_ctx *c, const vsc_value *v, vsc_value_kind want, const char *what,
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
  ERR(c->src, v->span, hint, "expected %s for '%s', found %s", kind_desc(want), what, kind_desc(v->kind));
  return false;
}

static bool get_duration(const eval_ctx *c, const vsc_value *v0, const char *what, double *out) {
  const vsc_value *v = val(c, v0);
  if (!expect(c, v, V_DURATION, what, NULL)) return false;
  *out = v->num;
  return true;
}

static bool get_string(const eval_ctx *c, const vsc_value *v0, const char *what, const char **out) {
  const vsc_value *v = val(c, v0);
  if (!expect(c, v, V_STRING, what, NULL)) return false;
  *out = v->str;
  return true;
}

static bool get_ident(const eval_ctx *c, const vsc_value *v0, const char *what, const char **out) {
  const vsc_value *v = val(c, v0);
  if (v->kind == V_STRING) { /* a quoted name is fine */
    *out = v->str;
    return true;
  }
  if (!expect(c, v, V_IDENT, what, NULL)) return false;
  *out = v->str;
  return true;
}

static bool get_color(const eval_ctx *c, const vsc_value *v0, const char *what, uint32_t *out) {
  const vsc_value *v = val(c, v0);
  if (!expect(c, v, V_COLOR, what, "write a colour as #rrggbb")) return false;
  *out = v->rgb;
  return true;
}

static bool get_number(const eval_ctx *c, const vsc_value *v0, const char *what, double *out) {
  const vsc_value *v = val(c, v0);
  if (!expect(c, v, V_NUMBER, what, NULL)) return false;
  *out = v->num;
  return true;
}

static bool in_range(const eval_ctx *c, const vsc_value *v0, double x, double lo, double hi, const char *what,
                     const char *unit) {
  vsc_session *s = c->s;
  if (x >= lo && x <= hi) return true;
  char h[96];
  snprintf(h, sizeof h, "'%s' must be between %g%s and %g%s", what, lo, unit, hi, unit);
  ERR(c->src, val(c, v0)->span, h, "%s %g%s is out of range", what, x, unit);
  return false;
}

/* Suggests the closest name from a list. */
static const char *suggest(const char *word, const char *const *names, size_t n, char *buf, size_t size) {
  const char *close = vsc_closest(word, names, n);
  if (!close) return NULL;
  snprintf(buf, size, "did you mean '%s'?", close);
  return buf;
}

/* ---- modules ----------------------------------------------------------------------- */

static vsc_source *new_source(vsc_session *s, const char *name, const char *text, size_t len) {
  vsc_source *src = vsc_arena_alloc(s->arena, sizeof *src);
  src->name = vsc_arena_strdup(s->arena, name);
  src->text = vsc_arena_strndup(s->arena, text, len);
  src->len = (uint32_t)len;
  push_ptr((void ***)&s->sources, &s->nsources, src);
  return src;
}

static const char *dir_of(vsc_session *s, const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return ".";
  if (slash == path) return "/";
  return vsc_arena_strndup(s->arena, path, (size_t)(slash - path));
}

static const char *join_path(vsc_session *s, const char *dir, const char *rel) {
  if (rel[0] == '/' || strcmp(dir, ".") == 0) return vsc_arena_strdup(s->arena, rel);
  return vsc_arena_printf(s->arena, "%s/%s", dir, rel);
}

/* Whether `path` exists; *unusable is set when it is not a regular file (a directory, or a
 * device such as /dev/zero that would never finish reading). */
static int file_exists(const char *path, bool *unusable) {
  struct stat st;
  if (stat(path, &st) != 0) return 0;
  if (unusable) *unusable = !S_ISREG(st.st_mode);
  return 1;
}

static void load_module(vsc_session *s, vsc_source *src, bool is_main, int depth);

/* Does `path` resolve (symlinks followed) inside `root`? A path that does not resolve is
 * let through: reading it fails with its own error, and nothing of it can be shown. */
static bool inside_import_root(const char *root, const char *path) {
  char rroot[PATH_MAX], rpath[PATH_MAX];
  if (!realpath(root, rroot)) return false;
  if (!realpath(path, rpath)) return errno == ENOENT && path[0] != '/' && !strstr(path, "..");
  size_t n = strlen(rroot);
  if (strcmp(rroot, "/") == 0) return true;
  return strncmp(rpath, rroot, n) == 0 && rpath[n] == '/';
}

static void import_module(vsc_session *s, vsc_ast *imp, int depth) {
  eval_ctx c = {.s = s, .src = imp->src};
  const char *name;
  if (imp->nvals < 1 || !get_string(&c, &imp->vals[0], "import", &name)) return;
  for (int i = 0; i < s->nsources; i++)
    if (strcmp(s->sources[i]->name, name) == 0) return; /* already loaded (or loading) */
  if (depth > 16) {
    ERR(imp->src, imp->vals[0].span, NULL, "imports nested too deeply");
    return;
  }
  if (strncmp(name, "std/", 4) == 0) {
    const char *names[32];
    size_t n = 0;
    for (const stdlib_module *m = vsc_stdlib_modules; m->name; m++) {
      if (n < 32) names[n++] = m->name;
      if (strcmp(m->name, name) == 0) {
        load_module(s, new_source(s, name, m->text, strlen(m->text)), false, depth + 1);
        return;
      }
    }
    char h[96];
    ERR(imp->src, imp->vals[0].span, suggest(name, names, n, h, sizeof h), "unknown stdlib module '%s'", name);
    return;
  }
  const char *path = join_path(s, dir_of(s, imp->src->name), name);
  bool is_dir = false;
  if (!file_exists(path, &is_dir) || is_dir) {
    const char *with_ext = vsc_arena_printf(s->arena, "%s.vscript", path);
    if (file_exists(with_ext, &is_dir) && !is_dir) path = with_ext;
  }
  for (int i = 0; i < s->nsources; i++)
    if (strcmp(s->sources[i]->name, path) == 0) return;
  if (s->import_root && !inside_import_root(s->import_root, path)) {
    ERR(imp->src, imp->vals[0].span, "only modules in the script's folder (and std/…) can be imported here",
        "module '%s' is outside the script's folder; it was not read", name);
    return;
  }
  size_t len;
  bool unusable = false;
  char *text = file_exists(path, &unusable) && !unusable ? vsc_read_file(path, &len) : NULL;
  if (unusable) {
    ERR(imp->src, imp->vals[0].span, "a module is a .vscript file", "module '%s' is not a regular file", name);
    return;
  }
  if (!text) {
    ERR(imp->src, imp->vals[0].span, "paths are relative to the importing file", "cannot read module '%s'", name);
    return;
  }
  vsc_source *src = new_source(s, path, text, len);
  free(text);
  load_module(s, src, false, depth + 1);
}

static vsc_model_decl *check_model_decl(vsc_session *s, vsc_ast *m);

static void load_module(vsc_session *s, vsc_source *src, bool is_main, int depth) {
  vsc_parser *p = vsc_arena_alloc(s->arena, sizeof *p);
  int errors_before = vsc_diag_error_count(s->diags);
  vsc_ast *file = vsc_parse(p, s->arena, src, s->diags);
  if (is_main) s->main = src;
  /* A file that does not lex or parse is not checked: what it says is not what was meant,
   * and its syntax errors are the ones to fix first. */
  if (vsc_diag_error_count(s->diags) > errors_before) return;
  for (vsc_ast *it = file->body.head; it; it = it->next) {
    switch (it->kind) {
    case AST_IMPORT: import_module(s, it, depth); break;
    case AST_STYLE: push_ptr((void ***)&s->styles, &s->nstyles, it); break;
    case AST_TEMPLATE: push_ptr((void ***)&s->templates, &s->ntemplates, it); break;
    case AST_PRESET: push_ptr((void ***)&s->presets, &s->npresets, it); break;
    case AST_MODEL: {
      vsc_model_decl *d = check_model_decl(s, it);
      if (d) push_ptr((void ***)&s->models, &s->nmodels, d);
      break;
    }
    case AST_VIDEO:
      if (!is_main) ERR(src, it->kw, "a module holds styles, templates, presets and models", "a module cannot declare a video");
      else if (s->video) {
        ERR(src, it->kw, NULL, "a script declares one video");
        vsc_note(s->diags, src, s->video->kw, "the first video is here");
      } else
        s->video = it;
      break;
    default: break;
    }
  }
}

/* ---- declarations -------------------------------------------------------------------- */

static vsc_ast *find_named(vsc_ast **items, int n, const char *name) {
  for (int i = n - 1; i >= 0; i--) /* later declarations (the user's) win over the stdlib */
    if (items[i]->name.str && strcmp(items[i]->name.str, name) == 0) return items[i];
  return NULL;
}

static void check_duplicates(vsc_session *s, vsc_ast **items, int n, const char *what) {
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

static json_t *value_json(const vsc_value *v) {
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

static bool one_of(const char *w, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(w, list[i]) == 0) return true;
  return false;
}
#define ONE_OF(w, list) one_of(w, list, sizeof list / sizeof list[0])

static vsc_model_decl *check_model_decl(vsc_session *s, vsc_ast *m) {
  eval_ctx c = {.s = s, .src = m->src};
  vsc_model_decl *d = vsc_arena_alloc(s->arena, sizeof *d);
  d->node = m;
  d->name = m->name.str;
  if (!get_string(&c, &m->vals[0], "model", &d->ref)) d->ref = d->name;
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
          ERR(m->src, a->name.span, suggest(field, generic_fields, 10, h, sizeof h), "unknown generic field '%s'", field);
          continue;
        }
        if (get_string(&c, &a->vals[0], field, &input) && d->ninputs < 16) {
          d->input_names[0][d->ninputs] = field;
          d->input_names[1][d->ninputs++] = input;
        }
      }
    } else if (st->kind == AST_PARAM) {
      if (d->nparams >= 32) continue;
      vsc_param_decl *pd = &d->params[d->nparams++];
      pd->name = st->name.str;
      if (get_ident(&c, &st->vals[0], "param type", &pd->type) && !ONE_OF(pd->type, param_types)) {
        const char *hint = suggest(pd->type, param_types, 5, h, sizeof h);
        ERR(m->src, st->vals[0].span, hint ? hint : "the types are string, int, number, bool and file",
            "unknown parameter type '%s'", pd->type);
        pd->type = "string";
      }
      for (vsc_ast *o = st->opts.head; o; o = o->next) {
        if (strcmp(o->keyword, "required") == 0) pd->required = true;
        else if (strcmp(o->keyword, "min") == 0) pd->has_min = get_number(&c, &o->vals[0], "min", &pd->min);
        else if (strcmp(o->keyword, "max") == 0) pd->has_max = get_number(&c, &o->vals[0], "max", &pd->max);
        else if (strcmp(o->keyword, "default") == 0) pd->deflt = vsc_session_keep(s, value_json(&o->vals[0]));
        else if (strcmp(o->keyword, "enum") == 0) {
          pd->enums = vsc_session_keep(s, json_array());
          for (int i = 0; i < o->nvals; i++) json_array_append_new(pd->enums, value_json(&o->vals[i]));
        }
      }
    } else if (strcmp(k, "kind") == 0) {
      if (get_ident(&c, &st->vals[0], "kind", &d->kind) && !ONE_OF(d->kind, model_kinds))
        ERR(m->src, st->vals[0].span, suggest(d->kind, model_kinds, 5, h, sizeof h), "unknown model kind '%s'", d->kind);
    } else if (strcmp(k, "class") == 0) get_ident(&c, &st->vals[0], "class", &d->klass);
    else if (strcmp(k, "tier") == 0) {
      if (get_ident(&c, &st->vals[0], "tier", &d->tier) && strcmp(d->tier, "draft") && strcmp(d->tier, "final"))
        ERR(m->src, st->vals[0].span, "a tier is 'draft' or 'final'", "unknown tier '%s'", d->tier);
    } else if (strcmp(k, "priced") == 0) get_string(&c, &st->vals[0], "priced", &d->priced);
    else if (strcmp(k, "version") == 0) get_string(&c, &st->vals[0], "version", &d->version);
    else if (strcmp(k, "durations") == 0) {
      for (int i = 0; i < st->nvals && d->ndurations < 16; i++)
        if (get_duration(&c, &st->vals[i], "durations", &d->durations[d->ndurations])) d->ndurations++;
    } else if (strcmp(k, "durations to") == 0) {
      d->dur_range = get_duration(&c, &st->vals[0], "durations", &d->dur_min) &&
                     get_duration(&c, &st->vals[1], "durations", &d->dur_max);
    } else if (strcmp(k, "sizes") == 0) {
      for (int i = 0; i < st->nvals && d->nsizes < 16; i++)
        if (expect(&c, &st->vals[i], V_DIMS, "sizes", "write a size as 1920x1080")) {
          d->sizes[d->nsizes][0] = (int)st->vals[i].num;
          d->sizes[d->nsizes++][1] = (int)st->vals[i].num2;
        }
    } else if (strcmp(k, "aspects") == 0) {
      for (int i = 0; i < st->nvals && d->naspects < 16; i++)
        if (expect(&c, &st->vals[i], V_RATIO, "aspects", "write an aspect as 16:9")) {
          d->aspects[d->naspects][0] = st->vals[i].num;
          d->aspects[d->naspects++][1] = st->vals[i].num2;
        }
    } else if (strcmp(k, "price") == 0) {
      const vsc_value *amount = &st->vals[0];
      has_price = true; /* even a bad one: its own error says what is wrong */
      if (!expect(&c, amount, V_MONEY, "price", NULL)) continue;
      d->price = amount->num;
      const char *unit;
      if (!get_ident(&c, &st->vals[1], "price", &unit)) continue;
      size_t ui = 0;
      while (ui < 5 && strcmp(unit, price_units[ui])) ui++;
      if (ui == 5) {
        ERR(m->src, st->vals[1].span, suggest(unit, price_units, 5, h, sizeof h), "unknown price unit '%s'", unit);
        continue;
      }
      d->per = (vsc_price_unit)ui;
      if (d->per == VSC_PRICE_GPU_SECOND) {
        if (st->nvals < 3)
          ERR(m->src, st->vals[1].span, "add 'estimate 30s': the expected run time", "a per gpu-second price needs an estimate");
        else
          get_duration(&c, &st->vals[2], "estimate", &d->gpu_estimate);
      }
    } else if (strcmp(k, "fallback") == 0) {
      for (int i = 0; i < st->nvals && d->nfallbacks < 8; i++) {
        d->fallback_nodes[d->nfallbacks] = st;
        get_ident(&c, &st->vals[i], "fallback", &d->fallbacks[d->nfallbacks++]);
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

static void check_fallbacks(vsc_session *s) {
  for (int i = 0; i < s->nmodels; i++) {
    vsc_model_decl *d = s->models[i];
    for (int f = 0; f < d->nfallbacks; f++) {
      if (!d->fallbacks[f] || vsc_check_find_model(s, d->fallbacks[f])) continue;
      const char *names[256];
      size_t n = 0;
      for (int j = 0; j < s->nmodels && n < 256; j++) names[n++] = s->models[j]->name;
      char h[96];
      vsc_ast *st = d->fallback_nodes[f];
      ERR(d->node->src, st->vals[f < st->nvals ? f : 0].span, suggest(d->fallbacks[f], names, n, h, sizeof h),
          "unknown fallback model '%s'", d->fallbacks[f]);
    }
  }
}

/* ---- styles ---------------------------------------------------------------------------- */

static void apply_style_body(const eval_ctx *c, vsc_ast *style, vsc_style_spec *out, bool append_look) {
  for (vsc_ast *st = style->body.head; st; st = st->next) {
    const char *k = st->keyword, *str;
    if (strcmp(k, "look") == 0 && get_string(c, &st->vals[0], "look", &str)) {
      if (append_look && out->look && *out->look)
        out->look = vsc_arena_printf(c->s->arena, "%s, %s", out->look, str);
      else
        out->look = str;
    } else if (strcmp(k, "avoid") == 0 && get_string(c, &st->vals[0], "avoid", &str)) {
      out->avoid = str;
    } else if (strcmp(k, "font") == 0 && get_string(c, &st->vals[0], "font", &str)) {
      out->font = str;
    } else if (strcmp(k, "palette") == 0) {
      out->npalette = 0;
      for (int i = 0; i < st->nvals && out->npalette < 8; i++)
        if (get_color(c, &st->vals[i], "palette", &out->palette[out->npalette])) out->npalette++;
    }
  }
}

static vsc_ast *lookup_style(vsc_session *s, vsc_source *src, const vsc_value *name) {
  vsc_ast *st = find_named(s->styles, s->nstyles, name->str);
  if (!st) {
    const char *names[256];
    size_t n = 0;
    for (int i = 0; i < s->nstyles && n < 256; i++) names[n++] = s->styles[i]->name.str;
    char h[128];
    const char *hint = suggest(name->str, names, n, h, sizeof h);
    if (!hint && !find_named(s->styles, s->nstyles, "noir")) hint = "named styles come from 'import \"std/styles\"' or your own 'style NAME { … }'";
    ERR(src, name->span, hint, "unknown style '%s'", name->str);
  }
  return st;
}

/* ---- the video ---------------------------------------------------------------------------- */

static const char *const transitions[] = {
    "cut", "fade", "crossfade", "dissolve", "fadeblack", "fadewhite", "fadegrays", "wipeleft", "wiperight",
    "wipeup", "wipedown", "slideleft", "slideright", "slideup", "slidedown", "smoothleft", "smoothright",
    "smoothup", "smoothdown", "circlecrop", "rectcrop", "circleclose", "circleopen", "horzclose",
    "horzopen", "vertclose", "vertopen", "diagbl", "diagbr", "diagtl", "diagtr", "hlslice", "hrslice",
    "vuslice", "vdslice", "pixelize", "radial", "distance", "squeezeh", "squeezev", "zoomin", "hblur",
    "wipetl", "wipetr", "wipebl", "wipebr"};
static const char *const cameras[] = {"static", "push-in", "pull-out", "pan-left", "pan-right", "tilt-up",
                                      "tilt-down", "orbit", "handheld", "zoom-in", "zoom-out"};
static const char *const animations[] = {"zoom", "pan-left", "pan-right", "pan-up", "pan-down"};
static const char *const positions[] = {"center", "top", "bottom", "left", "right", "top-left", "top-right",
                                        "bottom-left", "bottom-right", "lower-third"};
static const char *const providers[] = {"auto", "local", "replicate"};
static const char *const fits[] = {"cover", "contain"};

static bool check_name_in(const eval_ctx *c, const vsc_value *v0, const char *what, const char *const *list,
                          size_t n, const char **out) {
  const char *w;
  if (!get_ident(c, v0, what, &w)) return false;
  if (one_of(w, list, n)) {
    *out = w;
    return true;
  }
  vsc_session *s = c->s;
  char h[256];
  const char *hint = suggest(w, list, n, h, sizeof h);
  if (!hint) {
    size_t len = 0;
    len += (size_t)snprintf(h, sizeof h, "one of:");
    for (size_t i = 0; i < n && len < sizeof h - 40; i++) len += (size_t)snprintf(h + len, sizeof h - len, " %s", list[i]);
    if (len >= sizeof h - 40) snprintf(h + len, sizeof h - len, " …");
    hint = h;
  }
  ERR(c->src, val(c, v0)->span, hint, "unknown %s '%s'", what, w);
  return false;
}

static const char *resolve_file(vsc_session *s, vsc_source *src, const char *rel) {
  return join_path(s, dir_of(s, src->name), rel);
}

static const char *media_of(const char *path) {
  const char *dot = strrchr(path, '.');
  if (!dot) return NULL;
  static const char *const images[] = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif"};
  static const char *const videos[] = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v"};
  for (size_t i = 0; i < 6; i++)
    if (strcasecmp(dot, images[i]) == 0) return "image";
  for (size_t i = 0; i < 6; i++)
    if (strcasecmp(dot, videos[i]) == 0) return "video";
  return NULL;
}

static bool check_file(const eval_ctx *c, const vsc_value *v0, const char *what, const char **path) {
  const char *rel;
  if (!get_string(c, v0, what, &rel)) return false;
  vsc_session *s = c->s;
  const char *p = resolve_file(s, c->src, rel);
  bool dir = false;
  if (!file_exists(p, &dir)) {
    ERR(c->src, val(c, v0)->span, "paths are relative to the script's directory", "file '%s' not found", rel);
    return false;
  }
  if (dir) {
    ERR(c->src, val(c, v0)->span, NULL, "'%s' is not a regular file", rel);
    return false;
  }
  *path = p;
  return true;
}

/* The first inline option `kw` of a statement, or NULL. */
static const vsc_ast *option(const vsc_ast *n, const char *kw) {
  for (const vsc_ast *o = n->opts.head; o; o = o->next)
    if (strcmp(o->keyword, kw) == 0) return o;
  return NULL;
}

/* Text times are scene times: when the scene's length is known here, they must fit in it. */
static void check_text_timing(const eval_ctx *c, vsc_ast *t, const vsc_text_spec *ts, const vsc_scene_spec *sc) {
  vsc_session *s = c->s;
  if (sc->dur_kind != DUR_TIME || sc->dur_value <= 0) return;
  const vsc_ast *from = option(t, "from"), *to = option(t, "to");
  const char *hint = "'from' and 'to' are scene times: 0s is where the scene starts";
  if (from && ts->start >= sc->dur_value)
    ERR(c->src, val(c, &from->vals[0])->span, hint, "text \"%s\" starts at %gs, after scene '%s' ends (%gs)",
        ts->text ? ts->text : "", ts->start, sc->name, sc->dur_value);
  else if (to && ts->end > sc->dur_value + 1e-9)
    ERR(c->src, val(c, &to->vals[0])->span, hint, "text \"%s\" ends at %gs, after scene '%s' ends (%gs)",
        ts->text ? ts->text : "", ts->end, sc->name, sc->dur_value);
}

static const char *const aligns[] = {"left", "center", "right"};

/* `outline COLOUR [WIDTH%]` / `shadow COLOUR [OFFSET%]`, in either order: the width is a
** share of the text size. */
static void check_stroke(const eval_ctx *c, const vsc_ast *o, double *width, uint32_t *color, double def_width) {
  vsc_session *s = c->s;
  bool has_width = false;
  for (int i = 0; i < o->nvals; i++) {
    const vsc_value *v = val(c, &o->vals[i]);
    if (v->kind == V_COLOR) {
      *color = v->rgb;
    } else if (v->kind == V_PERCENT) {
      if (in_range(c, &o->vals[i], v->num, 0, 50, o->keyword, "%")) *width = v->num / 100.0;
      has_width = true;
    } else if (v->kind != V_ERROR) {
      char h[96];
      snprintf(h, sizeof h, "e.g. '%s #000000 8%%' (a colour, and a width as a share of the text size)", o->keyword);
      ERR(c->src, v->span, h, "expected a colour or a percentage for '%s', found %s", o->keyword, kind_desc(v->kind));
    }
  }
  if (!has_width) *width = def_width;
}

/* The options a text and the captions share: place, size, font and look. Returns false
** when `o` is not one of them. */
static bool check_look_option(const eval_ctx *c, const vsc_ast *o, vsc_text_spec *out) {
  vsc_session *s = c->s;
  const char *k = o->keyword;
  const vsc_value *v = val(c, &o->vals[0]);
  if (strcmp(k, "at") == 0) {
    if (o->nvals == 2) {
      const vsc_value *vy = val(c, &o->vals[1]);
      if (expect(c, v, V_PERCENT, "at", "give x and y as percentages: at 10% 80%") &&
          expect(c, vy, V_PERCENT, "at", "give x and y as percentages: at 10% 80%") &&
          in_range(c, &o->vals[0], v->num, 0, 100, "x", "%") && in_range(c, &o->vals[1], vy->num, 0, 100, "y", "%")) {
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
    if (expect(c, v, V_PERCENT, "size", NULL) && in_range(c, &o->vals[0], v->num, 1, 100, "size", "%"))
      out->size = v->num / 100.0;
  } else if (strcmp(k, "min") == 0) {
    if (expect(c, v, V_PERCENT, "min", "the smallest size the text may shrink to, e.g. 'min 4%'") &&
        in_range(c, &o->vals[0], v->num, 1, 100, "min", "%"))
      out->min_size = v->num / 100.0;
  } else if (strcmp(k, "width") == 0) {
    if (expect(c, v, V_PERCENT, "width", "the widest the text may be, as a share of the frame width: 'width 80%'") &&
        in_range(c, &o->vals[0], v->num, 5, 100, "width", "%"))
      out->max_width = v->num / 100.0;
  } else if (strcmp(k, "lines") == 0) {
    double n;
    if (get_number(c, &o->vals[0], "lines", &n) && in_range(c, &o->vals[0], n, 1, 20, "lines", "")) {
      if (n != floor(n)) ERR(c->src, v->span, NULL, "lines must be a whole number");
      else out->lines = (int)n;
    }
  } else if (strcmp(k, "align") == 0) {
    check_name_in(c, &o->vals[0], "align", aligns, 3, &out->align);
  } else if (strcmp(k, "spacing") == 0) {
    double x;
    if (get_number(c, &o->vals[0], "spacing", &x) && in_range(c, &o->vals[0], x, 0.5, 3, "spacing", "")) out->spacing = x;
  } else if (strcmp(k, "outline") == 0) {
    check_stroke(c, o, &out->outline, &out->outline_color, 0.06);
  } else if (strcmp(k, "shadow") == 0) {
    check_stroke(c, o, &out->shadow, &out->shadow_color, 0.05);
  } else if (strcmp(k, "accent") == 0) {
    get_color(c, &o->vals[0], "accent", &out->accent);
  } else if (strcmp(k, "font") == 0) {
    get_string(c, &o->vals[0], "font", &out->font);
  } else if (strcmp(k, "color") == 0) {
    get_color(c, &o->vals[0], "color", &out->color);
  } else if (strcmp(k, "box") == 0) {
    out->box = get_color(c, &o->vals[0], "box", &out->box_color);
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

static void check_text_size(const eval_ctx *c, vsc_ast *t, vsc_text_spec *out) {
  vsc_session *s = c->s;
  const vsc_ast *min = option(t, "min");
  if (!min) {
    out->min_size = out->size / 2;
  } else if (out->min_size > out->size + 1e-9) {
    ERR(c->src, val(c, &min->vals[0])->span, "'min' is the smallest size the text may shrink to",
        "min %g%% is larger than the size %g%%", out->min_size * 100, out->size * 100);
    out->min_size = out->size;
  }
}

static void check_text(const eval_ctx *c, vsc_ast *t, vsc_text_spec *out, const vsc_style_spec *style) {
  vsc_session *s = c->s;
  text_defaults(out, style);
  out->node = t;
  if (get_string(c, &t->vals[0], "text", &out->text) && !*out->text)
    ERR(c->src, val(c, &t->vals[0])->span, "drop the line, or write the words to show", "empty text");
  for (vsc_ast *o = t->opts.head; o; o = o->next) {
    const char *k = o->keyword;
    if (check_look_option(c, o, out)) continue;
    if (strcmp(k, "from") == 0) {
      get_duration(c, &o->vals[0], "from", &out->start);
    } else if (strcmp(k, "to") == 0) {
      get_duration(c, &o->vals[0], "to", &out->end);
    } else if (strcmp(k, "fade") == 0) {
      if (get_duration(c, &o->vals[0], "fade", &out->fade)) in_range(c, &o->vals[0], out->fade, 0, 10, "fade", "s");
    }
  }
  check_text_size(c, t, out);
  if (out->end >= 0 && out->end <= out->start)
    ERR(c->src, t->span, NULL, "text ends at %gs, before it starts at %gs", out->end, out->start);
}

static const char *const caption_styles[] = {"plain", "box", "karaoke", "pop"};

/* `captions STYLE { at bottom words 4 lines 2 size 7% … burn off }` */
static void check_captions(const eval_ctx *c, vsc_ast *st, vsc_caption_spec *cap, const vsc_style_spec *style) {
  vsc_session *s = c->s;
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
      if (get_number(c, &o->vals[0], "lines", &n) && in_range(c, &o->vals[0], n, 1, 4, "lines", "")) cap->lines = (int)n;
      continue;
    }
    if (check_look_option(c, o, &cap->text)) continue;
    if (strcmp(k, "words") == 0) {
      double n;
      if (get_number(c, &o->vals[0], "words", &n) && in_range(c, &o->vals[0], n, 1, 20, "words", "")) {
        if (n != floor(n)) ERR(c->src, val(c, &o->vals[0])->span, NULL, "words must be a whole number");
        else cap->words = (int)n;
      }
    } else if (strcmp(k, "highlight") == 0) {
      get_color(c, &o->vals[0], "highlight", &cap->highlight);
    } else if (strcmp(k, "burn") == 0) {
      static const char *const onoff[] = {"on", "off"};
      const char *b;
      if (check_name_in(c, &o->vals[0], "burn", onoff, 2, &b)) cap->burn = strcmp(b, "on") == 0;
    }
  }
  cap->text.lines = cap->lines;
  if (strcmp(cap->style, "box") == 0 && !option(st, "box")) {
    cap->text.box = true;
    cap->text.box_color = 0x000000;
  }
  check_text_size(c, st, &cap->text);
}

/* The one spelling of a voice line that speech and captions both use: whitespace runs
** (newlines, tabs) become one space, and the ends are trimmed. */
static const char *normalise_voice(vsc_session *s, const char *text) {
  size_t n = strlen(text);
  char *out = vsc_arena_alloc(s->arena, n + 1), *o = out;
  bool space = false;
  for (const char *p = text; *p; p++) {
    if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v') {
      space = o > out;
      continue;
    }
    if (space) *o++ = ' ';
    space = false;
    *o++ = *p;
  }
  *o = 0;
  return out;
}

static void check_voice(const eval_ctx *c, vsc_ast *v, vsc_voice_spec *out) {
  vsc_session *s = c->s;
  memset(out, 0, sizeof *out);
  out->node = v;
  out->voice = "en-us";
  if (get_string(c, &v->vals[0], "voice", &out->text)) {
    out->text = normalise_voice(s, out->text);
    if (!*out->text) ERR(c->src, v->vals[0].span, NULL, "voice line is empty");
  }
  for (vsc_ast *o = v->opts.head; o; o = o->next) {
    if (strcmp(o->keyword, "at") == 0) {
      if (get_duration(c, &o->vals[0], "at", &out->at)) in_range(c, &o->vals[0], out->at, 0, 36000, "at", "s");
    } else if (strcmp(o->keyword, "as") == 0) {
      get_ident(c, &o->vals[0], "as", &out->voice);
    } else if (strcmp(o->keyword, "volume") == 0) {
      const vsc_value *x = val(c, &o->vals[0]);
      if (expect(c, x, V_DB, "volume", NULL) && in_range(c, &o->vals[0], x->num, -60, 20, "volume", "dB")) out->volume = x->num;
    }
  }
}

static void check_with(const eval_ctx *c, vsc_ast *w, vsc_scene_spec *sc) {
  vsc_session *s = c->s;
  json_t *obj = vsc_session_keep(s, json_object());
  for (vsc_ast *a = w->body.head; a; a = a->next) {
    if (json_object_get(obj, a->name.str)) {
      ERR(c->src, a->name.span, NULL, "parameter '%s' is given twice", a->name.str);
      continue;
    }
    json_object_set_new(obj, a->name.str, value_json(val(c, &a->vals[0])));
  }
  sc->with = obj;
  sc->with_node = w;
  sc->with_src = c->src;
}

static bool still_file(const vsc_scene_spec *sc) {
  return sc->shot == SHOT_FILE && sc->path_media && strcmp(sc->path_media, "image") == 0;
}

/* Checks a scene's statements (a template's body first, with its bindings). */
static void check_scene_items(const eval_ctx *c, vsc_ast *first, vsc_scene_spec *sc, const vsc_style_spec *style) {
  vsc_session *s = c->s;
  char h[128];
  /* Scene settings given twice in one body (a scene may still override its template's). */
  vsc_ast *set_model = NULL, *set_seed = NULL, *set_fit = NULL, *set_tier = NULL;
  for (vsc_ast *st = first; st; st = st->next) {
    const char *k = st->keyword;
    if (st->kind == AST_SET) {
      bool tier = strcmp(k, "final") == 0 || strcmp(k, "draft") == 0;
      vsc_ast **slot = strcmp(k, "model") == 0 ? &set_model : strcmp(k, "seed") == 0 ? &set_seed
                     : strcmp(k, "fit") == 0   ? &set_fit   : tier                     ? &set_tier
                                                                                        : NULL;
      if (slot && *slot) {
        if (tier) ERR(c->src, st->kw, "a scene is either 'final' or 'draft'", "scene '%s' is already '%s'", sc->name, (*slot)->keyword);
        else ERR(c->src, st->kw, NULL, "'%s' is set twice in scene '%s'", k, sc->name);
        vsc_note(s->diags, (*slot)->src, (*slot)->kw, "the first '%s' is here", (*slot)->keyword);
        continue;
      }
      if (slot) *slot = st;
    }
    if (st->kind == AST_SHOT) {
      if (sc->shot != SHOT_NONE) {
        ERR(c->src, st->kw, "a scene has one shot; split it into two scenes", "scene '%s' already has a shot", sc->name);
        vsc_note(s->diags, sc->shot_node->src, sc->shot_node->kw, "the first shot is here");
        continue;
      }
      sc->shot_node = st;
      if (strcmp(k, "shot video") == 0) {
        sc->shot = SHOT_VIDEO;
        get_string(c, &st->vals[0], "shot video", &sc->prompt);
      } else if (strcmp(k, "shot image") == 0) {
        sc->shot = SHOT_IMAGE;
        get_string(c, &st->vals[0], "shot image", &sc->prompt);
      } else if (strcmp(k, "shot file") == 0) {
        sc->shot = SHOT_FILE;
        if (check_file(c, &st->vals[0], "shot file", &sc->path)) {
          sc->path_media = media_of(sc->path);
          if (!sc->path_media)
            ERR(c->src, val(c, &st->vals[0])->span, "use a video (.mp4 .mov .mkv .webm) or an image (.png .jpg .webp)",
                "cannot tell the kind of file '%s' from its name", val(c, &st->vals[0])->str);
        }
      } else {
        sc->shot = SHOT_COLOR;
        get_color(c, &st->vals[0], "shot color", &sc->color);
      }
      if (sc->prompt && !*sc->prompt) ERR(c->src, st->vals[0].span, "describe the shot", "empty prompt");
      for (vsc_ast *o = st->opts.head; o; o = o->next) {
        const char *ok = o->keyword;
        if (strcmp(ok, "camera") == 0) {
          if (sc->shot != SHOT_VIDEO) {
            ERR(c->src, o->kw, sc->shot == SHOT_IMAGE || sc->shot == SHOT_FILE ? "move a still image with 'animate zoom' or 'animate pan-left'" : NULL,
                "'camera' applies to a generated video shot");
            continue;
          }
          check_name_in(c, &o->vals[0], "camera move", cameras, sizeof cameras / sizeof cameras[0], &sc->camera);
        } else if (strcmp(ok, "animate") == 0) {
          if (sc->shot == SHOT_VIDEO || sc->shot == SHOT_COLOR || (sc->shot == SHOT_FILE && sc->path_media && strcmp(sc->path_media, "image"))) {
            ERR(c->src, o->kw, "use 'camera' for a video shot", "'animate' applies to an image");
            continue;
          }
          if (!check_name_in(c, &o->vals[0], "animation", animations, sizeof animations / sizeof animations[0], &sc->animate))
            continue;
          /* Zoom factors: a zoom goes from -> to; a pan moves across a frame held at the larger one. */
          sc->anim_from = strcmp(sc->animate, "zoom") == 0 ? 1.0 : 1.2;
          sc->anim_to = strcmp(sc->animate, "zoom") == 0 ? 1.15 : 1.2;
          if (o->arrow) {
            if (get_number(c, &o->vals[1], "animate", &sc->anim_from) && get_number(c, &o->vals[2], "animate", &sc->anim_to) &&
                strcmp(sc->animate, "zoom") == 0) {
              in_range(c, &o->vals[1], sc->anim_from, 1, 10, "zoom", "");
              in_range(c, &o->vals[2], sc->anim_to, 1, 10, "zoom", "");
            }
          }
        } else if (strcmp(ok, "in") == 0) {
          if (sc->shot != SHOT_FILE) ERR(c->src, o->kw, NULL, "'in' applies to a file clip");
          else if (still_file(sc))
            ERR(c->src, o->kw, "a still image has no time to skip", "'in' applies to a video clip, and '%s' is an image",
                val(c, &st->vals[0])->str);
          else if (get_duration(c, &o->vals[0], "in", &sc->in_point)) in_range(c, &o->vals[0], sc->in_point, 0, 36000, "in", "s");
        } else if (strcmp(ok, "mute") == 0) {
          sc->keep_audio = false;
        } else if (strcmp(ok, "keep audio") == 0) {
          if (sc->shot != SHOT_FILE) ERR(c->src, o->kw, NULL, "'keep audio' applies to a file clip");
          else if (still_file(sc))
            ERR(c->src, o->kw, "a still image has no sound", "'keep audio' applies to a video clip, and '%s' is an image",
                val(c, &st->vals[0])->str);
          sc->keep_audio = true;
        } else if (strcmp(ok, "from") == 0) {
          if (sc->shot != SHOT_VIDEO) ERR(c->src, o->kw, NULL, "'from' applies to a video shot (image-to-video)");
          else check_file(c, &o->vals[0], "from", &sc->from_path);
        } else if (strcmp(ok, "from image") == 0) {
          if (sc->shot != SHOT_VIDEO) ERR(c->src, o->kw, NULL, "'from image' applies to a video shot (image-to-video)");
          else if (get_string(c, &o->vals[0], "from image", &sc->from_prompt) && !*sc->from_prompt)
            ERR(c->src, val(c, &o->vals[0])->span, "describe the start image", "empty prompt");
        }
      }
    } else if (st->kind == AST_TEXT) {
      if (sc->ntexts < 16) {
        vsc_text_spec *ts = &sc->texts[sc->ntexts++];
        check_text(c, st, ts, style);
        check_text_timing(c, st, ts, sc);
      }
      else ERR(c->src, st->kw, NULL, "too many text overlays in one scene (16 at most)");
    } else if (st->kind == AST_VOICE) {
      if (sc->nvoices < 16) {
        vsc_voice_spec *vs = &sc->voices[sc->nvoices++];
        check_voice(c, st, vs);
        /* Scene time, like text: with the scene's length known here, the line must start in it. */
        const vsc_ast *at = option(st, "at");
        if (at && sc->dur_kind == DUR_TIME && sc->dur_value > 0 && vs->at >= sc->dur_value)
          ERR(c->src, val(c, &at->vals[0])->span, "'at' is scene time: 0s is where the scene starts",
              "voice line starts at %gs, after scene '%s' ends (%gs)", vs->at, sc->name, sc->dur_value);
      }
      else ERR(c->src, st->kw, NULL, "too many voice lines in one scene (16 at most)");
    } else if (st->kind == AST_THEN) {
      if (sc->then_node) {
        ERR(c->src, st->kw, "a scene has one transition: the one into the next scene", "scene '%s' already has a transition",
            sc->name);
        vsc_note(s->diags, sc->then_node->src, sc->then_node->kw, "the first transition is here");
        continue;
      }
      sc->then_node = st;
      const char *name;
      if (!check_name_in(c, &st->vals[0], "transition", transitions, sizeof transitions / sizeof transitions[0], &name))
        continue;
      if (strcmp(name, "crossfade") == 0) name = "fade";
      sc->transition = strcmp(name, "cut") == 0 ? NULL : name;
      sc->trans_dur = sc->transition ? 0.5 : 0;
      if (st->nvals > 1) {
        if (get_duration(c, &st->vals[1], "then", &sc->trans_dur)) {
          if (in_range(c, &st->vals[1], sc->trans_dur, 0, 10, "transition", "s") && !sc->transition && sc->trans_dur > 0)
            ERR(c->src, st->vals[1].span, "a cut has no duration", "'cut' takes no duration");
          if (sc->trans_dur == 0) sc->transition = NULL;
        }
      }
    } else if (st->kind == AST_WITH) {
      if (sc->with) ERR(c->src, st->kw, "put all parameters in one 'with { … }'", "scene '%s' already has parameters", sc->name);
      else check_with(c, st, sc);
    } else if (st->kind == AST_STYLE) {
      vsc_style_spec extra = {0};
      apply_style_body(c, st, &extra, false);
      if (extra.look) sc->look = sc->look ? vsc_arena_printf(s->arena, "%s, %s", sc->look, extra.look) : extra.look;
    } else if (strcmp(k, "model") == 0) {
      const char *ref;
      if (!get_ident(c, &st->vals[0], "model", &ref)) continue;
      sc->model_node = st;
      sc->model = NULL; /* a scene's own model replaces its template's */
      sc->klass = NULL;
      vsc_model_decl *d = vsc_check_find_model(s, ref);
      if (d) {
        sc->model = d;
        continue;
      }
      bool is_class = false;
      for (int i = 0; i < s->nmodels; i++)
        if (strcmp(s->models[i]->klass, ref) == 0) is_class = true;
      if (is_class) {
        sc->klass = ref;
        continue;
      }
      const char *names[512];
      size_t n = 0;
      for (int i = 0; i < s->nmodels && n < 500; i++) {
        names[n++] = s->models[i]->name;
        names[n++] = s->models[i]->klass;
      }
      ERR(c->src, val(c, &st->vals[0])->span, suggest(ref, names, n, h, sizeof h), "unknown model or class '%s'", ref);
    } else if (strcmp(k, "seed") == 0) {
      double x;
      if (get_number(c, &st->vals[0], "seed", &x) && in_range(c, &st->vals[0], x, 0, 4294967295.0, "seed", "")) {
        sc->has_seed = true;
        sc->seed = (long long)x;
        if (x != floor(x)) ERR(c->src, val(c, &st->vals[0])->span, NULL, "seed must be a whole number");
      }
    } else if (strcmp(k, "final") == 0) {
      sc->tier = 1;
    } else if (strcmp(k, "draft") == 0) {
      sc->tier = 0;
    } else if (strcmp(k, "fit") == 0) {
      check_name_in(c, &st->vals[0], "fit", fits, 2, &sc->fit);
    }
  }
}

static void check_scene(vsc_session *s, vsc_ast *node, vsc_scene_spec *sc, const vsc_style_spec *style) {
  memset(sc, 0, sizeof *sc);
  sc->name = node->name.str;
  sc->node = node;
  sc->src = node->src;
  sc->tier = -1;
  sc->dur_kind = node->dur_kind;
  sc->dur_span = node->dur.span;
  if (node->dur_kind == DUR_BEATS || node->dur_kind == DUR_BARS) {
    /* "8 beats" is one duration: messages about it underline the unit word too. */
    const char *text = node->src->text;
    uint32_t end = node->dur.span.off + node->dur.span.len;
    while (end < node->src->len && (text[end] == ' ' || text[end] == '\t')) end++;
    size_t unit = node->dur_kind == DUR_BEATS ? 5 : 4;
    if (end + unit <= node->src->len && strncmp(text + end, node->dur_kind == DUR_BEATS ? "beats" : "bars", unit) == 0)
      sc->dur_span.len = end + (uint32_t)unit - node->dur.span.off;
  }
  eval_ctx c = {.s = s, .src = node->src};
  if (node->dur_kind == DUR_TIME) {
    if (get_duration(&c, &node->dur, "scene duration", &sc->dur_value) && sc->dur_value <= 0)
      ERR(node->src, node->dur.span, NULL, "scene duration must be positive");
  } else if (node->dur_kind == DUR_BEATS || node->dur_kind == DUR_BARS) {
    const char *what = node->dur_kind == DUR_BEATS ? "beats" : "bars";
    if (expect(&c, &node->dur, V_NUMBER, what, NULL)) {
      sc->dur_value = node->dur.num;
      if (sc->dur_value <= 0 || sc->dur_value > 10000)
        ERR(node->src, node->dur.span, NULL, "the number of %s must be between 0 and 10000", what);
    }
  } else if (node->dur_kind == DUR_UNTIL) {
    sc->until = node->dur.str;
  }
  bool use_failed = false; /* a bad template call: the scene's missing shot is not news */
  if (node->use) {
    vsc_ast *use = node->use;
    vsc_ast *tpl = find_named(s->templates, s->ntemplates, use->name.str);
    if (!tpl) {
      const char *names[256];
      size_t n = 0;
      for (int i = 0; i < s->ntemplates && n < 256; i++) names[n++] = s->templates[i]->name.str;
      char h[96];
      ERR(node->src, use->name.span, suggest(use->name.str, names, n, h, sizeof h), "unknown template '%s'", use->name.str);
      use_failed = true;
    } else {
      eval_ctx tc = {.s = s, .src = tpl->src};
      int nparams = 0;
      vsc_ast *params[16];
      for (vsc_ast *p = tpl->params.head; p && nparams < 16; p = p->next) params[nparams++] = p;
      bool bound[16] = {0};
      int pos = 0;
      for (vsc_ast *a = use->params.head; a; a = a->next) {
        int idx = -1;
        if (a->name.str) {
          for (int i = 0; i < nparams; i++)
            if (strcmp(params[i]->name.str, a->name.str) == 0) idx = i;
          if (idx < 0) {
            const char *names[16];
            for (int i = 0; i < nparams; i++) names[i] = params[i]->name.str;
            char h[96];
            ERR(node->src, a->name.span, suggest(a->name.str, names, (size_t)nparams, h, sizeof h),
                "template '%s' has no parameter '%s'", tpl->name.str, a->name.str);
            use_failed = true;
            continue;
          }
        } else {
          idx = pos++;
          if (idx >= nparams) {
            ERR(node->src, a->vals[0].span, NULL, "template '%s' takes %d argument%s", tpl->name.str, nparams,
                nparams == 1 ? "" : "s");
            vsc_note(s->diags, tpl->src, tpl->name.span, "'%s' is declared here", tpl->name.str);
            use_failed = true;
            continue;
          }
        }
        if (bound[idx]) {
          ERR(node->src, a->span, NULL, "parameter '%s' is given twice", params[idx]->name.str);
          continue;
        }
        bound[idx] = true;
        tc.names[idx] = params[idx]->name.str;
        tc.vals[idx] = a->vals[0];
      }
      bool ok = true;
      for (int i = 0; i < nparams; i++) {
        if (bound[i]) continue;
        if (params[i]->nvals) {
          tc.names[i] = params[i]->name.str;
          tc.vals[i] = params[i]->vals[0];
        } else {
          /* After a misspelt argument name, the real problem has been reported already. */
          if (!use_failed) {
            ERR(node->src, use->span, NULL, "template '%s' needs a value for '%s'", tpl->name.str, params[i]->name.str);
            vsc_note(s->diags, tpl->src, params[i]->span, "'%s' is declared here", params[i]->name.str);
          }
          ok = false;
        }
      }
      tc.n = nparams;
      if (ok) check_scene_items(&tc, tpl->body.head, sc, style);
      else use_failed = true;
    }
  }
  check_scene_items(&c, node->body.head, sc, style);
  /* Nothing is generated for a colour card or a file: a model or its parameters do nothing. */
  if (sc->shot == SHOT_COLOR && sc->model_node)
    vsc_warning(s->diags, sc->model_node->src, sc->model_node->kw, NULL, "'model' has no effect on a colour card");
  if ((sc->shot == SHOT_COLOR || sc->shot == SHOT_FILE) && sc->with_node)
    vsc_warning(s->diags, sc->with_node->src, sc->with_node->kw, NULL, "'with' has no effect on a %s",
                sc->shot == SHOT_COLOR ? "colour card" : "file shot");
  if (sc->shot == SHOT_NONE && !use_failed) {
    ERR(node->src, node->name.span, "add e.g. 'shot video \"…\"' or 'shot color #000000'", "scene '%s' has no shot", sc->name);
  }
}

static void check_music(vsc_session *s, vsc_ast *m, vsc_music_spec *mu) {
  eval_ctx c = {.s = s, .src = m->src};
  mu->present = true;
  mu->node = m;
  mu->meter = 4;
  if (strcmp(m->keyword, "music generate") == 0) {
    mu->generate = true;
    if (get_string(&c, &m->vals[0], "music generate", &mu->prompt) && !*mu->prompt)
      ERR(m->src, m->vals[0].span, "describe the music, e.g. \"warm lo-fi, soft keys\"", "empty music prompt");
  } else if (check_file(&c, &m->vals[0], "music", &mu->path)) {
    mu->rel = m->vals[0].str;
  }
  const char *seen[32];
  int nseen = 0;
  for (vsc_ast *st = m->body.head; st; st = st->next) {
    const char *k = st->keyword;
    bool dup = false;
    if (strcmp(k, "section") != 0) {
      for (int i = 0; i < nseen; i++)
        if (strcmp(seen[i], k) == 0) dup = true;
      if (dup) {
        ERR(m->src, st->kw, NULL, "'%s' is set twice", k);
        continue;
      }
      if (nseen < 32) seen[nseen++] = k;
    }
    const vsc_value *v = st->nvals ? &st->vals[0] : NULL;
    if (strcmp(k, "volume") == 0) {
      if (expect(&c, v, V_DB, "volume", NULL) && in_range(&c, v, v->num, -60, 20, "volume", "dB")) mu->volume = v->num;
    } else if (strcmp(k, "duck") == 0) {
      if (expect(&c, v, V_DB, "duck", NULL) && in_range(&c, v, v->num, -60, 0, "duck", "dB")) {
        mu->duck = v->num;
        mu->has_duck = true;
      }
    } else if (strcmp(k, "fade in") == 0) {
      if (get_duration(&c, v, "fade in", &mu->fade_in)) in_range(&c, v, mu->fade_in, 0, 60, "fade in", "s");
    } else if (strcmp(k, "fade out") == 0) {
      if (get_duration(&c, v, "fade out", &mu->fade_out)) in_range(&c, v, mu->fade_out, 0, 60, "fade out", "s");
    } else if (strcmp(k, "start") == 0) {
      if (get_duration(&c, v, "start", &mu->start)) in_range(&c, v, mu->start, 0, 36000, "start", "s");
    } else if (strcmp(k, "loop") == 0) {
      mu->loop = true;
    } else if (strcmp(k, "tempo") == 0) {
      if (get_number(&c, v, "tempo", &mu->tempo) && in_range(&c, v, mu->tempo, 20, 400, "tempo", " bpm")) mu->has_tempo = true;
    } else if (strcmp(k, "meter") == 0) {
      if (get_number(&c, v, "meter", &mu->meter) && in_range(&c, v, mu->meter, 2, 12, "meter", "") && mu->meter != floor(mu->meter)) {
        ERR(m->src, v->span, "the meter is the number of beats in a bar, e.g. 'meter 4'", "meter must be a whole number");
        mu->meter = 4;
      }
    } else if (strcmp(k, "offset") == 0) {
      if (get_duration(&c, v, "offset", &mu->offset)) mu->has_offset = in_range(&c, v, mu->offset, 0, 60, "offset", "s");
    } else if (strcmp(k, "cut on") == 0) {
      static const char *const grids[] = {"beats", "bars"};
      check_name_in(&c, v, "grid", grids, 2, &mu->cut_on);
    } else if (strcmp(k, "section") == 0) {
      double at;
      bool dup_section = false;
      for (int i = 0; i < mu->nsections; i++)
        if (strcmp(mu->sections[i].name, st->name.str) == 0) dup_section = true;
      if (dup_section) ERR(m->src, st->name.span, NULL, "duplicate section '%s'", st->name.str);
      else if (get_duration(&c, v, "section", &at) && mu->nsections < 32) {
        mu->sections[mu->nsections].name = st->name.str;
        mu->sections[mu->nsections++].at = at;
      }
    }
  }
  if (mu->generate && !mu->has_tempo) mu->tempo = 120, mu->has_tempo = true;
}

/* Applies one video-level setting; presets use the same code. */
static void apply_setting(vsc_session *s, vsc_ast *st, vsc_video_spec *v, const char **seen, int *nseen) {
  eval_ctx c = {.s = s, .src = st->src};
  const char *k = st->keyword;
  for (int i = 0; i < *nseen; i++)
    if (strcmp(seen[i], k) == 0) {
      ERR(st->src, st->kw, "each setting appears once", "'%s' is set twice", k);
      return;
    }
  if (*nseen < 32) seen[(*nseen)++] = k;
  const vsc_value *x = val(&c, &st->vals[0]);
  if (strcmp(k, "size") == 0) {
    if (!expect(&c, x, V_DIMS, "size", "write a size as 1920x1080")) return;
    if (in_range(&c, x, x->num, 16, 7680, "width", "px") && in_range(&c, x, x->num2, 16, 7680, "height", "px")) {
      if (((int)x->num % 2) || ((int)x->num2 % 2))
        ERR(st->src, x->span, "H.264 needs even dimensions", "size %gx%g has an odd dimension", x->num, x->num2);
      v->width = (int)x->num;
      v->height = (int)x->num2;
    }
  } else if (strcmp(k, "fps") == 0) {
    double f;
    if (get_number(&c, x, "fps", &f) && in_range(&c, x, f, 1, 120, "fps", "")) {
      if (f != floor(f)) ERR(st->src, x->span, NULL, "fps must be a whole number");
      else v->fps = (int)f;
    }
  } else if (strcmp(k, "length") == 0) {
    if (get_duration(&c, x, "length", &v->length) && in_range(&c, x, v->length, 0.1, 36000, "length", "s")) {
      v->has_length = true;
      v->length_node = st;
    }
  } else if (strcmp(k, "aspect") == 0) {
    if (!expect(&c, x, V_RATIO, "aspect", "write an aspect as 16:9")) return;
    if (!(x->num > 0 && x->num2 > 0 && x->num <= 100 && x->num2 <= 100)) {
      ERR(st->src, x->span, "write an aspect as 16:9", "aspect %g:%g is not a frame shape", x->num, x->num2);
    } else {
      v->has_aspect = true;
      v->aspect_w = x->num;
      v->aspect_h = x->num2;
    }
  } else if (strcmp(k, "budget") == 0) {
    if (expect(&c, x, V_MONEY, "budget", NULL) && in_range(&c, x, x->num, 0, 100000, "budget", "$")) {
      v->budget = x->num;
      v->has_budget = true;
    }
  } else if (strcmp(k, "quality") == 0) {
    static const char *const tiers[] = {"draft", "final"};
    const char *q;
    if (check_name_in(&c, x, "quality", tiers, 2, &q)) v->quality = strcmp(q, "final") == 0;
  } else if (strcmp(k, "seed") == 0) {
    double sd;
    if (get_number(&c, x, "seed", &sd) && in_range(&c, x, sd, 0, 4294967295.0, "seed", "")) {
      if (sd != floor(sd)) ERR(st->src, x->span, NULL, "seed must be a whole number");
      else v->seed = (long long)sd;
    }
  } else if (strcmp(k, "provider") == 0) {
    check_name_in(&c, x, "provider", providers, 3, &v->provider);
  } else if (strcmp(k, "fit") == 0) {
    check_name_in(&c, x, "fit", fits, 2, &v->fit);
  } else if (strcmp(k, "safe") == 0) {
    static const char *const safes[] = {"auto", "title", "action", "social", "none"};
    check_name_in(&c, x, "safe", safes, 5, &v->safe);
  } else if (strcmp(k, "captions") == 0) {
    check_captions(&c, st, &v->captions, NULL);
  }
}

static void apply_preset(vsc_session *s, vsc_ast *use, vsc_video_spec *v, const char **seen, int *nseen) {
  const char *name = val(&(eval_ctx){.s = s}, &use->vals[0])->str;
  if (use->vals[0].kind != V_IDENT) {
    ERR(use->src, use->vals[0].span, NULL, "expected a preset name");
    return;
  }
  vsc_ast *p = find_named(s->presets, s->npresets, name);
  if (!p) {
    const char *names[256];
    size_t n = 0;
    for (int i = 0; i < s->npresets && n < 256; i++) names[n++] = s->presets[i]->name.str;
    char h[128];
    const char *hint = suggest(name, names, n, h, sizeof h);
    ERR(use->src, use->vals[0].span, hint ? hint : "presets come from 'import \"std/presets\"' or 'preset NAME { … }'",
        "unknown preset '%s'", name);
    return;
  }
  /* The preset's settings come first; the video's own settings override them. */
  const char *pseen[32];
  int npseen = 0;
  for (vsc_ast *st = p->body.head; st; st = st->next) {
    if (st->kind != AST_SET || strcmp(st->keyword, "preset") == 0) {
      ERR(st->src, st->kw, NULL, "a preset holds only video settings (size, fps, length, …)");
      continue;
    }
    bool overridden = false;
    for (int i = 0; i < *nseen; i++)
      if (strcmp(seen[i], st->keyword) == 0) overridden = true;
    if (!overridden) apply_setting(s, st, v, pseen, &npseen);
  }
}

/* Scene names seen so far, hashed: a long video must not cost a comparison per pair. */
typedef struct {
  const char **names;
  int *index;
  size_t cap; /* a power of two, at least twice the number of names */
} name_set;

static name_set name_set_new(vsc_arena *a, int n) {
  name_set set = {0};
  set.cap = 16;
  while (set.cap < 2 * (size_t)n) set.cap *= 2;
  set.names = vsc_arena_alloc(a, set.cap * sizeof *set.names);
  set.index = vsc_arena_alloc(a, set.cap * sizeof *set.index);
  return set;
}

/* Adds `name` with `index` unless present; returns the earlier index, or -1 if new. */
static int name_set_add(name_set *set, const char *name, int index) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (const char *c = name; *c; c++) h = (h ^ (unsigned char)*c) * 16777619u;
  for (size_t i = h & (set->cap - 1);; i = (i + 1) & (set->cap - 1)) {
    if (!set->names[i]) {
      set->names[i] = name;
      set->index[i] = index;
      return -1;
    }
    if (strcmp(set->names[i], name) == 0) return set->index[i];
  }
}

static void check_video(vsc_session *s, vsc_ast *vn, vsc_video_spec *v) {
  eval_ctx c = {.s = s, .src = vn->src};
  memset(v, 0, sizeof *v);
  v->node = vn;
  v->src = vn->src;
  v->width = 1920;
  v->height = 1080;
  v->fps = 30;
  v->provider = "auto";
  v->fit = "cover";
  v->safe = "auto";
  get_string(&c, &vn->vals[0], "video", &v->title);
  if (!v->title) v->title = "";
  /* Settings first (their order in the block does not matter), then presets under them. */
  const char *seen[32];
  int nseen = 0;
  vsc_ast *preset = NULL, *style_ref = NULL, *style_block = NULL, *music = NULL;
  int nscenes = 0;
  for (vsc_ast *st = vn->body.head; st; st = st->next) {
    if (st->kind == AST_SET && strcmp(st->keyword, "preset") == 0) {
      if (preset) ERR(st->src, st->kw, NULL, "a video uses one preset");
      else preset = st;
    } else if (st->kind == AST_SET && strcmp(st->keyword, "style") == 0) {
      if (style_ref) ERR(st->src, st->kw, "combine looks in one named style", "a video uses one named style");
      else style_ref = st;
    } else if (st->kind == AST_SET) {
      apply_setting(s, st, v, seen, &nseen);
    } else if (st->kind == AST_STYLE) {
      if (style_block) ERR(st->src, st->kw, NULL, "a video has one inline style block");
      else style_block = st;
    } else if (st->kind == AST_MUSIC) {
      if (music) {
        ERR(st->src, st->kw, "mix the tracks into one file", "a video has one music bed");
        vsc_note(s->diags, music->src, music->kw, "the first music is here");
      } else
        music = st;
    } else if (st->kind == AST_SCENE) {
      nscenes++;
    }
  }
  if (preset) {
    apply_preset(s, preset, v, seen, &nseen);
    /* A length that came from the preset is reported at the `preset` line the user wrote. */
    if (v->length_node && v->length_node->src != vn->src) v->length_node = preset;
  }
  if (v->has_aspect && fabs((double)v->width / v->height - v->aspect_w / v->aspect_h) > 0.01) {
    /* An aspect with no explicit size picks the size. */
    bool size_given = false;
    for (int i = 0; i < nseen; i++)
      if (strcmp(seen[i], "size") == 0) size_given = true;
    if (!size_given) {
      if (v->aspect_w >= v->aspect_h) v->width = (int)(2 * round(v->height * v->aspect_w / v->aspect_h / 2));
      else {
        int w = v->width < v->height ? v->width : v->height;
        v->width = w;
        v->height = (int)(2 * round(w * v->aspect_h / v->aspect_w / 2));
      }
      /* A very long or thin aspect gives a frame no encoder takes. */
      if (v->width < 16 || v->width > 7680 || v->height < 16 || v->height > 7680) {
        vsc_ast *aspect = NULL;
        for (vsc_ast *st = vn->body.head; st; st = st->next)
          if (st->kind == AST_SET && strcmp(st->keyword, "aspect") == 0) aspect = st;
        ERR(vn->src, aspect && aspect->nvals ? aspect->vals[0].span : vn->kw, "give the frame a 'size' as well",
            "aspect %g:%g makes a %dx%d frame; each side must be between 16 and 7680 px", v->aspect_w, v->aspect_h,
            v->width, v->height);
        v->width = 1920;
        v->height = 1080;
      }
    } else {
      /* Point at the aspect the video wrote (or at the video, when it came from the preset). */
      vsc_ast *aspect = NULL, *size = NULL;
      for (vsc_ast *st = vn->body.head; st; st = st->next)
        if (st->kind == AST_SET && strcmp(st->keyword, "aspect") == 0) aspect = st;
        else if (st->kind == AST_SET && strcmp(st->keyword, "size") == 0) size = st;
      ERR(vn->src, aspect && aspect->nvals ? aspect->vals[0].span : vn->kw, "drop 'aspect' or change 'size'",
          "size %dx%d does not have the aspect %g:%g", v->width, v->height, v->aspect_w, v->aspect_h);
      if (size && size->nvals) vsc_note(s->diags, vn->src, size->vals[0].span, "the size is set here");
    }
  }
  if (s->quality_override) v->quality = strcmp(s->quality_override, "final") == 0;
  if (style_ref) {
    vsc_ast *st = lookup_style(s, style_ref->src, &style_ref->vals[0]);
    if (st) apply_style_body(&(eval_ctx){.s = s, .src = st->src}, st, &v->style, false);
  }
  if (style_block) apply_style_body(&c, style_block, &v->style, true);
  if (music) check_music(s, music, &v->music);

  v->scenes = vsc_arena_alloc(s->arena, (size_t)(nscenes ? nscenes : 1) * sizeof *v->scenes);
  name_set names = name_set_new(s->arena, nscenes);
  for (vsc_ast *st = vn->body.head; st; st = st->next) {
    if (st->kind == AST_VOICE) {
      if (v->nvoices < 32) check_voice(&c, st, &v->voices[v->nvoices++]);
      else ERR(st->src, st->kw, NULL, "too many video-level voice lines (32 at most)");
    } else if (st->kind == AST_SCENE) {
      int first = name_set_add(&names, st->name.str, v->nscenes);
      if (first >= 0) {
        ERR(st->src, st->name.span, NULL, "duplicate scene '%s'", st->name.str);
        vsc_note(s->diags, v->scenes[first].src, v->scenes[first].node->name.span, "'%s' was first declared here",
                 st->name.str);
      }
      check_scene(s, st, &v->scenes[v->nscenes++], &v->style);
    }
  }
  if (v->nscenes == 0) ERR(vn->src, vn->kw, "add e.g. 'scene intro (5s) { shot color #000000 }'", "video has no scenes");
  /* Ducking lowers the music under voice-over: with no voice lines it does nothing. */
  if (v->music.has_duck) {
    int voices = v->nvoices;
    for (int i = 0; i < v->nscenes; i++) voices += v->scenes[i].nvoices;
    vsc_ast *duck = NULL;
    for (vsc_ast *st = v->music.node->body.head; st; st = st->next)
      if (strcmp(st->keyword, "duck") == 0) duck = st;
    if (!voices && duck) vsc_warning(s->diags, duck->src, duck->kw, NULL, "'duck' has no effect: the video has no voice-over");
  }
  /* The last scene's transition has nothing to go to. */
  if (v->nscenes > 0) {
    vsc_scene_spec *last = &v->scenes[v->nscenes - 1];
    if (last->transition && last->then_node)
      ERR(last->src, last->then_node->span, "use a 'fade out' on the music or a final scene instead",
          "the last scene '%s' has a transition to nothing", last->name);
  }
  int nrest = 0;
  vsc_scene_spec *first_rest = NULL;
  for (int i = 0; i < v->nscenes; i++) {
    vsc_scene_spec *sc = &v->scenes[i];
    if (sc->dur_kind != DUR_REST) continue;
    if (nrest++) {
      ERR(sc->src, sc->dur_span, "give this scene a duration", "'rest' is used by two scenes");
      vsc_note(s->diags, first_rest->src, first_rest->dur_span, "the first 'rest' is here");
    } else
      first_rest = sc;
  }
  if (v->captions.present) {
    vsc_ast *cn = v->captions.node;
    if (v->style.font && !option(cn, "font")) v->captions.text.font = v->style.font;
    int voices = v->nvoices;
    for (int i = 0; i < v->nscenes; i++) voices += v->scenes[i].nvoices;
    if (!voices) vsc_warning(s->diags, cn->src, cn->kw, "captions show the 'voice' lines", "'captions' has no effect: the video has no voice-over");
  }
  /* Measured at the final frame size, with the renderer's fonts. */
  vsc_chk_text_fit(s, v);
}

int vsc_check_load(vsc_session *s, const char *name, const char *text, size_t len) {
  if (!s->arena) s->arena = vsc_arena_new();
  /* The registry is always there; the user's own declarations come after it. */
  for (const stdlib_module *m = vsc_stdlib_modules; m->name; m++)
    if (strcmp(m->name, "std/models") == 0) load_module(s, new_source(s, m->name, m->text, strlen(m->text)), false, 0);
  if (name) load_module(s, new_source(s, name, text, len), true, 0);
  if (vsc_diag_error_count(s->diags) && vsc_diag_worst_stage(s->diags) < VSC_STAGE_CHECK) return -1;
  check_duplicates(s, s->styles, s->nstyles, "style");
  check_duplicates(s, s->templates, s->ntemplates, "template");
  check_duplicates(s, s->presets, s->npresets, "preset");
  for (int i = 0; i < s->nmodels; i++)
    for (int j = 0; j < i; j++)
      if (strcmp(s->models[i]->name, s->models[j]->name) == 0 && s->models[i]->node->src == s->models[j]->node->src) {
        ERR(s->models[i]->node->src, s->models[i]->node->name.span, NULL, "duplicate model '%s'", s->models[i]->name);
        break;
      }
  check_fallbacks(s);
  return vsc_diag_error_count(s->diags) ? -1 : 0;
}

int vsc_check(vsc_session *s, const char *name, const char *text, size_t len, vsc_video_spec *video) {
  if (vsc_check_load(s, name, text, len) != 0 && vsc_diag_worst_stage(s->diags) < VSC_STAGE_CHECK) return -1;
  if (!s->video) {
    vsc_diag(s->diags, VSC_SEV_ERROR, VSC_STAGE_CHECK, s->main, ((vsc_span){0, 0}),
             "a script needs 'video \"Title\" { … }'", "no video in '%s'", name);
    return -1;
  }
  check_video(s, s->video, video);
  return vsc_diag_error_count(s->diags) ? -1 : 0;
}
