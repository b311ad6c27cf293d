/* Modules (check stage): the main script, `import`ed files and the embedded stdlib, loaded
 * once each, with every path relative to the file that wrote it. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check/checker.h"
#include "parse/parse.h"
#include "vsc/vsc_file.h"
#include "vsc/vsc_mem.h"
#include "vsc/vsc_strings.h"

typedef struct {
  const char *name;
  const char *text;
} stdlib_module;
extern const stdlib_module vsc_stdlib_modules[];

/* Whether std/styles declares a style called `name` (the stdlib is in canonical form:
 * each declaration starts a line). */
bool check_std_style(const char *name) {
  for (const stdlib_module *m = vsc_stdlib_modules; m->name; m++) {
    if (strcmp(m->name, "std/styles") != 0) continue;
    size_t n = strlen(name);
    for (const char *p = strstr(m->text, "style "); p; p = strstr(p + 1, "style "))
      if ((p == m->text || p[-1] == '\n') && strncmp(p + 6, name, n) == 0 && p[6 + n] == ' ') return true;
  }
  return false;
}

/* A source the session owns (name and text copied into its arena). */
static vsc_source *new_source(vsc_session *s, const char *name, const char *text, size_t len) {
  vsc_source *src = vsc_arena_alloc(s->arena, sizeof *src);
  src->name = vsc_arena_strdup(s->arena, name);
  src->text = vsc_arena_strndup(s->arena, text, len);
  src->len = (uint32_t)len;
  check_push((void ***)&s->sources, &s->nsources, src);
  return src;
}

/* The folder of a path ("." for a bare name). */
const char *check_dir_of(vsc_session *s, const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return ".";
  if (slash == path) return "/";
  return vsc_arena_strndup(s->arena, path, (size_t)(slash - path));
}

/* rel resolved against dir (absolute paths stay as they are). */
const char *check_join_path(vsc_session *s, const char *dir, const char *rel) {
  if (rel[0] == '/' || strcmp(dir, ".") == 0) return vsc_arena_strdup(s->arena, rel);
  return vsc_arena_printf(s->arena, "%s/%s", dir, rel);
}

/* Whether `path` exists; *unusable is set when it is not a regular file (a directory, or a
 * device such as /dev/zero that would never finish reading). */
int check_file_exists(const char *path, bool *unusable) {
  struct stat st;
  if (stat(path, &st) != 0) return 0;
  if (unusable) *unusable = !S_ISREG(st.st_mode);
  return 1;
}

/* A file's declarations (styles, templates, presets, models, the video) into the session. */
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

/* import "PATH" | import std/NAME: a module loaded once, paths relative to the importer */
static void import_module(vsc_session *s, vsc_ast *imp, int depth) {
  eval_ctx c = {.s = s, .src = imp->src};
  const char *name;
  if (imp->nvals < 1 || !check_get_string(&c, &imp->vals[0], "import", &name)) return;
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
    ERR(imp->src, imp->vals[0].span, check_suggest(name, names, n, h, sizeof h), "unknown stdlib module '%s'", name);
    const char *close = vsc_closest(name, names, n);
    if (close) vsc_diag_fix(s->diags, imp->src, imp->vals[0].span, vsc_arena_printf(s->arena, "\"%s\"", close));
    return;
  }
  const char *path = check_join_path(s, check_dir_of(s, imp->src->name), name);
  bool is_dir = false;
  if (!check_file_exists(path, &is_dir) || is_dir) {
    const char *with_ext = vsc_arena_printf(s->arena, "%s.vscript", path);
    if (check_file_exists(with_ext, &is_dir) && !is_dir) path = with_ext;
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
  char *text = check_file_exists(path, &unusable) && !unusable ? vsc_read_file(path, &len) : NULL;
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
    case AST_STYLE: check_push((void ***)&s->styles, &s->nstyles, it); break;
    case AST_TEMPLATE: check_push((void ***)&s->templates, &s->ntemplates, it); break;
    case AST_PRESET: check_push((void ***)&s->presets, &s->npresets, it); break;
    case AST_PARAM:
      if (!is_main) ERR(src, it->kw, "a param is read from the command line or a batch row by the script itself", "a module cannot declare a param");
      else check_push((void ***)&s->param_decls, &s->nparam_decls, it);
      break;
    case AST_MODEL: {
      vsc_model_decl *d = check_model_decl(s, it);
      if (d) check_push((void ***)&s->models, &s->nmodels, d);
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

/* Loads the main script and everything it imports, without checking the video. */
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
