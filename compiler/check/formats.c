/* Formats (check stage): `formats 16:9 9:16 1:1` makes one deliverable per aspect from one
 * storyboard. Each format is checked as its own video: a view of the video block in which the
 * statements of every `for 9:16 { … }` block (video- or scene-level) replace the statements of
 * the same kind, so any setting can change per format without the checker knowing which.
 * The frame of a format derives from the video's own frame (its short side is kept); shared
 * generations are made at the master frame and reframed (docs/language.md "Formats"). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/checker.h"
#include "vsc/vsc_mem.h"

/* A format the script makes. */
typedef struct {
  const char *name, *tag; /* "9:16" (messages, the IR), "9x16" (file names) */
  double rw, rh;          /* the ratio */
} fmt_def;

/* Scenes a format's `for` blocks regenerate, at most (more are still regenerated: see view). */
#define PER_FORMAT_MAX 4096

/* The statements a `for` block replaces: a kind of statement, whatever its keyword. */
static const char *stmt_group(const vsc_ast *st) {
  switch (st->kind) {
  case AST_SHOT: return "shot";
  case AST_TEXT: return "text";
  case AST_VOICE: return "voice";
  case AST_THEN: return "then";
  case AST_WITH: return "with";
  case AST_STYLE: return "style";
  case AST_MUSIC: return "music";
  case AST_SCENE:
  case AST_EACH: return "scene";
  default: break;
  }
  if (strcmp(st->keyword, "final") == 0 || strcmp(st->keyword, "draft") == 0) return "tier";
  return st->keyword;
}

/* What changes the generated picture: overriding it makes the scene's generation per format. */
static bool changes_generation(const char *group) {
  static const char *const g[] = {"shot", "with", "style", "model", "seed", "tier", "quality", "provider"};
  return check_one_of(group, g, sizeof g / sizeof g[0]);
}

static bool is_for(const vsc_ast *st) { return st->kind == AST_SET && st->has_body && strcmp(st->keyword, "for") == 0; }

static bool same_ratio(const vsc_value *v, double w, double h) {
  return v->kind == V_RATIO && fabs(v->num - w) < 1e-9 && fabs(v->num2 - h) < 1e-9;
}

static bool for_matches(const vsc_ast *f, const fmt_def *fmt) {
  for (int i = 0; i < f->nvals; i++)
    if (same_ratio(&f->vals[i], fmt->rw, fmt->rh)) return true;
  return false;
}

/* The view of one body for a format. */
typedef struct {
  vsc_session *s;
  const fmt_def *fmt;
  bool all_per_format;     /* a video-level block changed what every scene generates */
  const char **per_format; /* scenes whose own block changed their generation */
  int nper;
} view;

static vsc_ast *copy_node(vsc_session *s, const vsc_ast *n) {
  vsc_ast *c = vsc_arena_alloc(s->arena, sizeof *c);
  *c = *n;
  c->next = NULL;
  return c;
}

static vsc_ast_list view_body(view *w, vsc_ast_list body, const char *scene);

static void push_stmt(view *w, vsc_ast_list *out, vsc_ast *st) {
  vsc_ast *c = copy_node(w->s, st);
  if (st->kind == AST_SCENE) c->body = view_body(w, st->body, st->name.str);
  else if (st->kind == AST_EACH) c->body = view_body(w, st->body, NULL); /* its scenes, each with its blocks */
  *out = vsc_ast_list_add(*out, c);
}

/* A body with the format's `for` blocks applied: their statements replace those of the same
 * kind; the blocks themselves go. */
static vsc_ast_list view_body(view *w, vsc_ast_list body, const char *scene) {
  const char *groups[64];
  int ngroups = 0;
  for (vsc_ast *f = body.head; f; f = f->next) {
    if (!is_for(f) || !for_matches(f, w->fmt)) continue;
    for (vsc_ast *st = f->body.head; st; st = st->next) {
      const char *g = stmt_group(st);
      if (ngroups < 64) groups[ngroups++] = g;
      if (!changes_generation(g)) continue;
      if (!scene || w->nper >= PER_FORMAT_MAX) w->all_per_format = true;
      else w->per_format[w->nper++] = scene;
    }
  }
  vsc_ast_list out = {0};
  for (vsc_ast *st = body.head; st; st = st->next) {
    if (is_for(st)) continue;
    if (check_one_of(stmt_group(st), (const char *const *)groups, (size_t)ngroups)) continue;
    push_stmt(w, &out, st);
  }
  for (vsc_ast *f = body.head; f; f = f->next)
    if (is_for(f) && for_matches(f, w->fmt))
      for (vsc_ast *st = f->body.head; st; st = st->next) push_stmt(w, &out, st);
  return out;
}

/* "9:16" and "9x16" for a ratio. */
static void format_names(vsc_session *s, double rw, double rh, fmt_def *f) {
  f->rw = rw;
  f->rh = rh;
  f->name = vsc_arena_printf(s->arena, "%g:%g", rw, rh);
  f->tag = vsc_arena_printf(s->arena, "%gx%g", rw, rh);
}

/* A format's frame from the video's: the short side is kept, the long side follows the ratio
 * (1920x1080 -> 1080x1920 for 9:16, 1080x1080 for 1:1, 1080x1350 for 4:5), even for H.264. */
static void derive_frame(int w, int h, double rw, double rh, int *fw, int *fh) {
  int short_side = w < h ? w : h;
  if (rw >= rh) {
    *fh = short_side;
    *fw = 2 * (int)lround(short_side * rw / rh / 2);
  } else {
    *fw = short_side;
    *fh = 2 * (int)lround(short_side * rh / rw / 2);
  }
  if (*fw > 7680) *fw = 7680;
  if (*fh > 7680) *fh = 7680;
}

/* The `formats` statement of the video, else of its preset, or NULL. */
static vsc_ast *formats_stmt(vsc_session *s, vsc_ast *vn) {
  vsc_ast *preset = NULL;
  for (vsc_ast *st = vn->body.head; st; st = st->next) {
    if (st->kind != AST_SET) continue;
    if (strcmp(st->keyword, "formats") == 0) return st;
    if (strcmp(st->keyword, "preset") == 0 && st->nvals && st->vals[0].kind == V_IDENT && !preset)
      preset = check_find_named(s->presets, s->npresets, st->vals[0].str);
  }
  for (vsc_ast *st = preset ? preset->body.head : NULL; st; st = st->next)
    if (st->kind == AST_SET && strcmp(st->keyword, "formats") == 0) return st;
  return NULL;
}

/* `formats R R …` of the video (or its preset): each a frame shape, none twice. */
static int read_formats(vsc_session *s, vsc_ast *vn, fmt_def *out, vsc_ast **stmt) {
  int n = 0;
  vsc_ast *st = *stmt = formats_stmt(s, vn);
  if (st) {
    eval_ctx c = {.s = s, .src = st->src};
    for (int i = 0; i < st->nvals; i++) {
      const vsc_value *v = check_val(&c, &st->vals[i]);
      if (!check_expect(&c, v, V_RATIO, "format", "write formats as ratios: 'formats 16:9 9:16 1:1'")) continue;
      if (!(v->num > 0 && v->num2 > 0 && v->num <= 100 && v->num2 <= 100 && v->num / v->num2 <= 8 && v->num2 / v->num <= 8)) {
        ERR(st->src, v->span, "write a format as 16:9, 9:16, 1:1 or 4:5", "format %g:%g is not a frame shape", v->num, v->num2);
        continue;
      }
      bool dup = false;
      for (int k = 0; k < n; k++) dup |= fabs(out[k].rw - v->num) < 1e-9 && fabs(out[k].rh - v->num2) < 1e-9;
      if (dup) {
        ERR(st->src, v->span, NULL, "format %g:%g is listed twice", v->num, v->num2);
        continue;
      }
      if (!check_room(&c, v->span, n, VSC_FORMATS_MAX, "formats")) break;
      format_names(s, v->num, v->num2, &out[n++]);
    }
  }
  return n;
}

/* --format "9:16,1:1": the formats to make, in the script's order. Returns the count, or -1
 * (reported) when one is not a format of the script. */
static int select_formats(vsc_session *s, fmt_def *fmts, int n, const vsc_ast *stmt) {
  if (!s->formats || !*s->formats) return n;
  fmt_def picked[VSC_FORMATS_MAX];
  int np = 0;
  char *list = vsc_xstrdup(s->formats), *save = NULL;
  bool want[VSC_FORMATS_MAX] = {0};
  int rc = 0;
  for (char *tok = strtok_r(list, ", ", &save); tok && rc == 0; tok = strtok_r(NULL, ", ", &save)) {
    double rw = 0, rh = 0;
    char sep = 0, extra = 0;
    if (sscanf(tok, "%lf%c%lf%c", &rw, &sep, &rh, &extra) != 3 || (sep != ':' && sep != 'x') || !(rw > 0 && rh > 0) ||
        rw / rh > 8 || rh / rw > 8) {
      vsc_diag_plain(s->diags, VSC_SEV_ERROR, VSC_STAGE_CHECK, "--format '%s' is not a frame shape; write e.g. 9:16", tok);
      rc = -1;
      break;
    }
    int k = 0;
    while (k < n && !(fabs(fmts[k].rw - rw) < 1e-9 && fabs(fmts[k].rh - rh) < 1e-9)) k++;
    if (k < n) {
      want[k] = true;
    } else if (stmt) {
      char names[256] = "";
      for (int i = 0; i < n; i++) snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? " " : "", fmts[i].name);
      vsc_diag_plain(s->diags, VSC_SEV_ERROR, VSC_STAGE_CHECK, "--format %g:%g is not one of the video's formats (%s)", rw, rh, names);
      rc = -1;
    } else if (np < VSC_FORMATS_MAX) {
      format_names(s, rw, rh, &picked[np++]); /* no `formats`: the command line names them */
    }
  }
  free(list);
  if (rc < 0) return -1;
  if (!stmt) {
    memcpy(fmts, picked, (size_t)np * sizeof *picked);
    return np;
  }
  for (int k = 0; k < n; k++)
    if (want[k]) fmts[np++] = fmts[k];
  return np;
}

/* Every `for` block names formats the video makes, and holds what its place allows. */
static void check_for_blocks(vsc_session *s, vsc_ast_list body, const fmt_def *all, int nall, bool formats_given,
                             bool in_scene) {
  for (vsc_ast *st = body.head; st; st = st->next) {
    if (st->kind == AST_SCENE) check_for_blocks(s, st->body, all, nall, formats_given, true);
    if (st->kind == AST_EACH) check_for_blocks(s, st->body, all, nall, formats_given, false);
    if (!is_for(st)) continue;
    eval_ctx c = {.s = s, .src = st->src};
    for (int i = 0; i < st->nvals; i++) {
      const vsc_value *v = check_val(&c, &st->vals[i]);
      if (!check_expect(&c, v, V_RATIO, "for", "name formats as ratios: 'for 9:16 { … }'")) continue;
      bool known = false;
      for (int k = 0; k < nall; k++) known |= same_ratio(v, all[k].rw, all[k].rh);
      if (!known && formats_given)
        ERR(st->src, v->span, "add it to the video's 'formats'", "'for %g:%g': the video does not make that format", v->num,
            v->num2);
      else if (!known)
        vsc_warning(s->diags, st->src, v->span, "list the formats with 'formats 16:9 9:16 …'",
                    "'for %g:%g' has no effect: the video makes only its own format", v->num, v->num2);
    }
    for (vsc_ast *in = st->body.head; in; in = in->next) {
      const char *g = stmt_group(in);
      if (strcmp(g, "for") == 0)
        ERR(in->src, in->kw, "list every format in one block: 'for 9:16 1:1 { … }'", "'for' blocks do not nest");
      else if (strcmp(g, "scene") == 0 || strcmp(g, "formats") == 0 || strcmp(g, "preset") == 0)
        ERR(in->src, in->kw, strcmp(g, "scene") == 0 ? "put a 'for' block inside the scene instead" : NULL,
            "'%s' cannot be changed per format%s", g, in_scene ? "" : " in a video-level 'for' block");
    }
  }
}

int vsc_check_formats(vsc_session *s, const char *name, const char *text, size_t len, vsc_video_spec **videos, int *n) {
  *videos = NULL;
  *n = 0;
  if (vsc_check_load(s, name, text, len) != 0 && vsc_diag_worst_stage(s->diags) < VSC_STAGE_CHECK) return -1;
  check_params(s);
  if (!s->video) {
    vsc_diag(s->diags, VSC_SEV_ERROR, VSC_STAGE_CHECK, s->main, ((vsc_span){0, 0}), "a script needs 'video \"Title\" { … }'",
             "no video in '%s'", name);
    return -1;
  }
  vsc_ast *vn = s->video;
  fmt_def all[VSC_FORMATS_MAX], fmts[VSC_FORMATS_MAX];
  vsc_ast *stmt;
  int nall = read_formats(s, vn, all, &stmt);
  memcpy(fmts, all, sizeof all);
  int nf = select_formats(s, fmts, nall, stmt);
  check_for_blocks(s, vn->body, stmt ? all : fmts, stmt ? nall : nf, stmt != NULL, false);
  /* A template's body is checked with its call's arguments, not per format. */
  for (int t = 0; t < s->ntemplates; t++)
    for (vsc_ast *st = s->templates[t]->body.head; st; st = st->next)
      if (is_for(st))
        ERR(st->src, st->kw, "put the 'for' block in the scene that uses the template",
            "a template cannot hold a 'for' block");
  if (nf < 0) return -1;
  if (nf == 0) {
    /* One video, as written: no format names, no views. */
    *videos = vsc_arena_alloc(s->arena, sizeof **videos);
    check_video(s, vn, *videos, NULL);
    *n = 1;
    return vsc_diag_error_count(s->diags) ? -1 : 0;
  }
  int bw, bh;
  bool given;
  check_video_frame(s, vn, &bw, &bh, &given);
  /* The master frame: the video's own, or (no size given) the first format's. */
  int gw = bw, gh = bh;
  if (!given) derive_frame(bw, bh, stmt ? all[0].rw : fmts[0].rw, stmt ? all[0].rh : fmts[0].rh, &gw, &gh);
  vsc_video_spec *vs = vsc_arena_alloc(s->arena, (size_t)nf * sizeof *vs);
  vsc_diag_once(s->diags, 1);
  for (int i = 0; i < nf; i++) {
    view w = {.s = s, .fmt = &fmts[i]};
    w.per_format = vsc_arena_alloc(s->arena, PER_FORMAT_MAX * sizeof *w.per_format);
    vsc_ast *fv = copy_node(s, vn);
    fv->body = view_body(&w, vn->body, NULL);
    check_format cf = {.name = fmts[i].name, .tag = fmts[i].tag, .gen_width = gw, .gen_height = gh};
    bool own_frame = false;
    for (vsc_ast *f = vn->body.head; f; f = f->next)
      if (is_for(f) && for_matches(f, &fmts[i]))
        for (vsc_ast *o = f->body.head; o; o = o->next)
          own_frame |= o->kind == AST_SET && (strcmp(o->keyword, "size") == 0 || strcmp(o->keyword, "aspect") == 0);
    if (!own_frame) derive_frame(bw, bh, fmts[i].rw, fmts[i].rh, &cf.width, &cf.height);
    check_video(s, fv, &vs[i], &cf);
    vs[i].format_in_name = (stmt ? nall : nf) > 1;
    for (int k = 0; k < vs[i].nscenes; k++) {
      vsc_scene_spec *sc = &vs[i].scenes[k];
      if (w.all_per_format) sc->per_format = true;
      for (int j = 0; j < w.nper; j++)
        if (strcmp(w.per_format[j], sc->node->name.str) == 0) sc->per_format = true; /* a `for` item's scene too */
    }
  }
  vsc_diag_once(s->diags, 0);
  *videos = vs;
  *n = nf;
  return vsc_diag_error_count(s->diags) ? -1 : 0;
}
