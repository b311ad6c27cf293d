/* Scenes (check stage): one table row per statement a scene body may hold, giving its shape
 * and its handler; voice lines; `with { … }`. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check/checker.h"
#include "vsc/vsc_file.h"
#include "vsc/vsc_mem.h"
#include "vsc/vsc_strings.h"

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
const char *const check_fits[2] = {"cover", "contain"};

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

void check_voice(const eval_ctx *c, vsc_ast *v, vsc_voice_spec *out) {
  vsc_session *s = c->s;
  memset(out, 0, sizeof *out);
  out->node = v;
  out->voice = "en-us";
  if (check_get_string(c, &v->vals[0], "voice", &out->text)) {
    out->text = normalise_voice(s, out->text);
    if (!*out->text) ERR(c->src, v->vals[0].span, NULL, "voice line is empty");
  }
  for (vsc_ast *o = v->opts.head; o; o = o->next) {
    if (strcmp(o->keyword, "at") == 0) {
      if (check_get_duration(c, &o->vals[0], "at", &out->at)) check_in_range(c, &o->vals[0], out->at, 0, 36000, "at", "s");
    } else if (strcmp(o->keyword, "as") == 0) {
      check_get_ident(c, &o->vals[0], "as", &out->voice);
    } else if (strcmp(o->keyword, "volume") == 0) {
      const vsc_value *x = check_val(c, &o->vals[0]);
      if (check_expect(c, x, V_DB, "volume", NULL) && check_in_range(c, &o->vals[0], x->num, -60, 20, "volume", "dB")) out->volume = x->num;
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
    json_object_set_new(obj, a->name.str, check_value_json(check_val(c, &a->vals[0])));
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
        check_get_string(c, &st->vals[0], "shot video", &sc->prompt);
      } else if (strcmp(k, "shot image") == 0) {
        sc->shot = SHOT_IMAGE;
        check_get_string(c, &st->vals[0], "shot image", &sc->prompt);
      } else if (strcmp(k, "shot file") == 0) {
        sc->shot = SHOT_FILE;
        if (check_file(c, &st->vals[0], "shot file", &sc->path)) {
          sc->path_media = check_media_of(sc->path);
          if (!sc->path_media)
            ERR(c->src, check_val(c, &st->vals[0])->span, "use a video (.mp4 .mov .mkv .webm) or an image (.png .jpg .webp)",
                "cannot tell the kind of file '%s' from its name", check_val(c, &st->vals[0])->str);
        }
      } else {
        sc->shot = SHOT_COLOR;
        check_get_color(c, &st->vals[0], "shot color", &sc->color);
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
            if (check_get_number(c, &o->vals[1], "animate", &sc->anim_from) && check_get_number(c, &o->vals[2], "animate", &sc->anim_to) &&
                strcmp(sc->animate, "zoom") == 0) {
              check_in_range(c, &o->vals[1], sc->anim_from, 1, 10, "zoom", "");
              check_in_range(c, &o->vals[2], sc->anim_to, 1, 10, "zoom", "");
            }
          }
        } else if (strcmp(ok, "in") == 0) {
          if (sc->shot != SHOT_FILE) ERR(c->src, o->kw, NULL, "'in' applies to a file clip");
          else if (still_file(sc))
            ERR(c->src, o->kw, "a still image has no time to skip", "'in' applies to a video clip, and '%s' is an image",
                check_val(c, &st->vals[0])->str);
          else if (check_get_duration(c, &o->vals[0], "in", &sc->in_point)) check_in_range(c, &o->vals[0], sc->in_point, 0, 36000, "in", "s");
        } else if (strcmp(ok, "mute") == 0) {
          sc->keep_audio = false;
        } else if (strcmp(ok, "keep audio") == 0) {
          if (sc->shot != SHOT_FILE) ERR(c->src, o->kw, NULL, "'keep audio' applies to a file clip");
          else if (still_file(sc))
            ERR(c->src, o->kw, "a still image has no sound", "'keep audio' applies to a video clip, and '%s' is an image",
                check_val(c, &st->vals[0])->str);
          sc->keep_audio = true;
        } else if (strcmp(ok, "from") == 0) {
          if (sc->shot != SHOT_VIDEO) ERR(c->src, o->kw, NULL, "'from' applies to a video shot (image-to-video)");
          else check_file(c, &o->vals[0], "from", &sc->from_path);
        } else if (strcmp(ok, "from image") == 0) {
          if (sc->shot != SHOT_VIDEO) ERR(c->src, o->kw, NULL, "'from image' applies to a video shot (image-to-video)");
          else if (check_get_string(c, &o->vals[0], "from image", &sc->from_prompt) && !*sc->from_prompt)
            ERR(c->src, check_val(c, &o->vals[0])->span, "describe the start image", "empty prompt");
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
        const vsc_ast *at = check_option(st, "at");
        if (at && sc->dur_kind == DUR_TIME && sc->dur_value > 0 && vs->at >= sc->dur_value)
          ERR(c->src, check_val(c, &at->vals[0])->span, "'at' is scene time: 0s is where the scene starts",
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
        if (check_get_duration(c, &st->vals[1], "then", &sc->trans_dur)) {
          if (check_in_range(c, &st->vals[1], sc->trans_dur, 0, 10, "transition", "s") && !sc->transition && sc->trans_dur > 0)
            ERR(c->src, st->vals[1].span, "a cut has no duration", "'cut' takes no duration");
          if (sc->trans_dur == 0) sc->transition = NULL;
        }
      }
    } else if (st->kind == AST_WITH) {
      if (sc->with) ERR(c->src, st->kw, "put all parameters in one 'with { … }'", "scene '%s' already has parameters", sc->name);
      else check_with(c, st, sc);
    } else if (st->kind == AST_STYLE) {
      vsc_style_spec extra = {0};
      check_style_body(c, st, &extra, false);
      if (extra.look) sc->look = sc->look ? vsc_arena_printf(s->arena, "%s, %s", sc->look, extra.look) : extra.look;
    } else if (strcmp(k, "model") == 0) {
      const char *ref;
      if (!check_get_ident(c, &st->vals[0], "model", &ref)) continue;
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
      ERR(c->src, check_val(c, &st->vals[0])->span, check_suggest(ref, names, n, h, sizeof h), "unknown model or class '%s'", ref);
    } else if (strcmp(k, "seed") == 0) {
      double x;
      if (check_get_number(c, &st->vals[0], "seed", &x) && check_in_range(c, &st->vals[0], x, 0, 4294967295.0, "seed", "")) {
        sc->has_seed = true;
        sc->seed = (long long)x;
        if (x != floor(x)) ERR(c->src, check_val(c, &st->vals[0])->span, NULL, "seed must be a whole number");
      }
    } else if (strcmp(k, "final") == 0) {
      sc->tier = 1;
    } else if (strcmp(k, "draft") == 0) {
      sc->tier = 0;
    } else if (strcmp(k, "fit") == 0) {
      check_name_in(c, &st->vals[0], "fit", check_fits, 2, &sc->fit);
    }
  }
}

void check_scene(vsc_session *s, vsc_ast *node, vsc_scene_spec *sc, const vsc_style_spec *style) {
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
    if (check_get_duration(&c, &node->dur, "scene duration", &sc->dur_value) && sc->dur_value <= 0)
      ERR(node->src, node->dur.span, NULL, "scene duration must be positive");
  } else if (node->dur_kind == DUR_BEATS || node->dur_kind == DUR_BARS) {
    const char *what = node->dur_kind == DUR_BEATS ? "beats" : "bars";
    if (check_expect(&c, &node->dur, V_NUMBER, what, NULL)) {
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
    vsc_ast *tpl = check_find_named(s->templates, s->ntemplates, use->name.str);
    if (!tpl) {
      const char *names[256];
      size_t n = 0;
      for (int i = 0; i < s->ntemplates && n < 256; i++) names[n++] = s->templates[i]->name.str;
      char h[96];
      ERR(node->src, use->name.span, check_suggest(use->name.str, names, n, h, sizeof h), "unknown template '%s'", use->name.str);
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
            ERR(node->src, a->name.span, check_suggest(a->name.str, names, (size_t)nparams, h, sizeof h),
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
