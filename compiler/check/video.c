/* The video (check stage): settings, presets, music, the scene list, and vsc_check, the
 * checker's entry point. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check/checker.h"
#include "vsc/vsc_file.h"
#include "vsc/vsc_mem.h"
#include "vsc/vsc_strings.h"

static const char *const providers[] = {"auto", "local", "replicate"};
/* music "PATH" { … } | music generate "PROMPT" { volume start duck tempo meter offset fade loop section } */
static void check_music(vsc_session *s, vsc_ast *m, vsc_music_spec *mu) {
  eval_ctx c = {.s = s, .src = m->src};
  mu->present = true;
  mu->node = m;
  mu->meter = 4;
  if (strcmp(m->keyword, "music generate") == 0) {
    mu->generate = true;
    if (check_get_string(&c, &m->vals[0], "music generate", &mu->prompt) && !*mu->prompt)
      ERR(m->src, m->vals[0].span, "describe the music, e.g. \"warm lo-fi, soft keys\"", "empty music prompt");
  } else if (check_file(&c, &m->vals[0], "music", &mu->path)) {
    mu->rel = m->vals[0].str;
    check_media_file(&c, &m->vals[0], mu->path, CHECK_MEDIA_SOUND, &mu->file);
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
      if (check_expect(&c, v, V_DB, "volume", NULL) && check_in_range(&c, v, v->num, -60, 20, "volume", "dB")) mu->volume = v->num;
    } else if (strcmp(k, "duck") == 0) {
      if (check_expect(&c, v, V_DB, "duck", NULL) && check_in_range(&c, v, v->num, -60, 0, "duck", "dB")) {
        mu->duck = v->num;
        mu->has_duck = true;
      }
    } else if (strcmp(k, "fade in") == 0) {
      if (check_get_duration(&c, v, "fade in", &mu->fade_in)) check_in_range(&c, v, mu->fade_in, 0, 60, "fade in", "s");
    } else if (strcmp(k, "fade out") == 0) {
      if (check_get_duration(&c, v, "fade out", &mu->fade_out)) check_in_range(&c, v, mu->fade_out, 0, 60, "fade out", "s");
    } else if (strcmp(k, "start") == 0) {
      if (check_get_duration(&c, v, "start", &mu->start)) check_in_range(&c, v, mu->start, 0, 36000, "start", "s");
    } else if (strcmp(k, "loop") == 0) {
      mu->loop = true;
    } else if (strcmp(k, "tempo") == 0) {
      if (check_get_number(&c, v, "tempo", &mu->tempo) && check_in_range(&c, v, mu->tempo, 20, 400, "tempo", " bpm")) mu->has_tempo = true;
    } else if (strcmp(k, "meter") == 0) {
      if (check_get_number(&c, v, "meter", &mu->meter) && check_in_range(&c, v, mu->meter, 2, 12, "meter", "")) {
        if (mu->meter != floor(mu->meter)) {
          ERR(m->src, v->span, "the meter is the number of beats in a bar, e.g. 'meter 4'", "meter must be a whole number");
          mu->meter = 4;
        } else {
          mu->has_meter = true;
        }
      }
    } else if (strcmp(k, "offset") == 0) {
      if (check_get_duration(&c, v, "offset", &mu->offset)) mu->has_offset = check_in_range(&c, v, mu->offset, 0, 60, "offset", "s");
    } else if (strcmp(k, "cut on") == 0) {
      static const char *const grids[] = {"beats", "bars", "beat", "bar"};
      if (check_name_in(&c, v, "grid", grids, 4, &mu->cut_on)) {
        if (strcmp(mu->cut_on, "beat") == 0) mu->cut_on = "beats"; /* "cut on beat": the same grid */
        else if (strcmp(mu->cut_on, "bar") == 0) mu->cut_on = "bars";
      }
    } else if (strcmp(k, "section") == 0) {
      double at;
      bool dup_section = false;
      for (int i = 0; i < mu->nsections; i++)
        if (strcmp(mu->sections[i].name, st->name.str) == 0) dup_section = true;
      if (dup_section) ERR(m->src, st->name.span, NULL, "duplicate section '%s'", st->name.str);
      else if (check_get_duration(&c, v, "section", &at) &&
               check_room(&c, st->name.span, mu->nsections, VSC_SECTIONS_MAX, "sections")) {
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
  const vsc_value *x = check_val(&c, &st->vals[0]);
  if (strcmp(k, "size") == 0) {
    if (!check_expect(&c, x, V_DIMS, "size", "write a size as 1920x1080")) return;
    if (check_in_range(&c, x, x->num, 16, 7680, "width", "px") && check_in_range(&c, x, x->num2, 16, 7680, "height", "px")) {
      if (((int)x->num % 2) || ((int)x->num2 % 2))
        ERR(st->src, x->span, "H.264 needs even dimensions", "size %gx%g has an odd dimension", x->num, x->num2);
      v->width = (int)x->num;
      v->height = (int)x->num2;
    }
  } else if (strcmp(k, "fps") == 0) {
    double f;
    if (check_get_number(&c, x, "fps", &f) && check_in_range(&c, x, f, 1, 120, "fps", "")) {
      if (f != floor(f)) ERR(st->src, x->span, NULL, "fps must be a whole number");
      else v->fps = (int)f;
    }
  } else if (strcmp(k, "length") == 0) {
    if (check_get_duration(&c, x, "length", &v->length) && check_in_range(&c, x, v->length, 0.1, 36000, "length", "s")) {
      v->has_length = true;
      v->length_node = st;
    }
  } else if (strcmp(k, "aspect") == 0) {
    if (!check_expect(&c, x, V_RATIO, "aspect", "write an aspect as 16:9")) return;
    if (!(x->num > 0 && x->num2 > 0 && x->num <= 100 && x->num2 <= 100)) {
      ERR(st->src, x->span, "write an aspect as 16:9", "aspect %g:%g is not a frame shape", x->num, x->num2);
    } else {
      v->has_aspect = true;
      v->aspect_w = x->num;
      v->aspect_h = x->num2;
    }
  } else if (strcmp(k, "budget") == 0) {
    if (check_expect(&c, x, V_MONEY, "budget", NULL) && check_in_range(&c, x, x->num, 0, 100000, "budget", "$")) {
      v->budget = x->num;
      v->has_budget = true;
    }
  } else if (strcmp(k, "quality") == 0) {
    static const char *const tiers[] = {"draft", "final"};
    const char *q;
    if (check_name_in(&c, x, "quality", tiers, 2, &q)) v->quality = strcmp(q, "final") == 0;
  } else if (strcmp(k, "seed") == 0) {
    double sd;
    if (check_get_number(&c, x, "seed", &sd) && check_in_range(&c, x, sd, 0, 4294967295.0, "seed", "")) {
      if (sd != floor(sd)) ERR(st->src, x->span, NULL, "seed must be a whole number");
      else v->seed = (long long)sd;
    }
  } else if (strcmp(k, "provider") == 0) {
    check_name_in(&c, x, "provider", providers, 3, &v->provider);
  } else if (strcmp(k, "fit") == 0) {
    check_name_in(&c, x, "fit", check_fits, CHECK_NFITS, &v->fit);
  } else if (strcmp(k, "safe") == 0) {
    static const char *const safes[] = {"auto", "title", "action", "social", "none"};
    check_name_in(&c, x, "safe", safes, 5, &v->safe);
  } else if (strcmp(k, "captions") == 0) {
    check_captions(&c, st, &v->captions, NULL);
  } else if (strcmp(k, "deliver") == 0) {
    check_deliver(&c, st, &v->deliver);
  }
}

/* preset NAME: a preset's settings under the video's own */
static void apply_preset(vsc_session *s, vsc_ast *use, vsc_video_spec *v, const char **seen, int *nseen) {
  const char *name = check_val(&(eval_ctx){.s = s}, &use->vals[0])->str;
  if (use->vals[0].kind != V_IDENT) {
    ERR(use->src, use->vals[0].span, NULL, "expected a preset name");
    return;
  }
  vsc_ast *p = check_find_named(s->presets, s->npresets, name);
  if (!p && check_deliver_is_preset(name)) {
    /* `preset tiktok`: the platform's delivery settings are what a producer means. */
    ERR(use->src, use->kw, "a platform's encoding and loudness are set with 'deliver'",
        "'%s' is a delivery preset, not a video preset: write 'deliver %s'", name, name);
    vsc_diag_fix(s->diags, use->src, use->kw, "deliver");
    return;
  }
  if (!p) {
    const char *names[256];
    size_t n = 0;
    for (int i = 0; i < s->npresets && n < 256; i++) names[n++] = s->presets[i]->name.str;
    char h[128];
    const char *hint = check_suggest(name, names, n, h, sizeof h);
    char all[256];
    int al = snprintf(all, sizeof all, "the presets are:");
    for (size_t i = 0; i < n && al < (int)sizeof all - 40; i++) al += snprintf(all + al, sizeof all - (size_t)al, "%s %s", i ? "," : "", names[i]);
    if (!hint && n) hint = all;
    ERR(use->src, use->vals[0].span, hint ? hint : "presets come from 'import \"std/presets\"' or 'preset NAME { … }'",
        "unknown preset '%s'", name);
    const char *close = vsc_closest(name, names, n);
    if (close) vsc_diag_fix(s->diags, use->src, use->vals[0].span, close);
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

/* A set of names with the index each was first seen at. */
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

/* The statements of a video block that are found before anything is checked. */
typedef struct {
  const char *seen[32]; /* settings given, for "set twice" and "aspect without size" */
  int nseen;
  vsc_ast *preset, *style_ref, *style_block, *music;
  int nscenes;
} video_parts;

/* video "TITLE" { … }: the defaults before any setting */
static void video_defaults(eval_ctx *c, vsc_ast *vn, vsc_video_spec *v) {
  memset(v, 0, sizeof *v);
  v->node = vn;
  v->src = vn->src;
  v->width = 1920;
  v->height = 1080;
  v->fps = 30;
  v->provider = "auto";
  v->fit = "cover";
  v->safe = "auto";
  check_get_string(c, &vn->vals[0], "video", &v->title);
  if (!v->title) v->title = "";
}

/* Settings first (their order in the block does not matter); the one-per-video statements are
 * found and kept for later. */
static void video_settings(vsc_session *s, vsc_ast *vn, vsc_video_spec *v, video_parts *vp) {
  for (vsc_ast *st = vn->body.head; st; st = st->next) {
    if (st->kind == AST_SET && strcmp(st->keyword, "preset") == 0) {
      if (vp->preset) ERR(st->src, st->kw, NULL, "a video uses one preset");
      else vp->preset = st;
    } else if (st->kind == AST_SET && strcmp(st->keyword, "for") == 0) {
      /* applied per format before the video is checked (check/formats.c) */
    } else if (st->kind == AST_SET && strcmp(st->keyword, "style") == 0) {
      if (vp->style_ref) ERR(st->src, st->kw, "combine looks in one named style", "a video uses one named style");
      else vp->style_ref = st;
    } else if (st->kind == AST_SET) {
      apply_setting(s, st, v, vp->seen, &vp->nseen);
    } else if (st->kind == AST_STYLE) {
      if (vp->style_block) ERR(st->src, st->kw, NULL, "a video has one inline style block");
      else vp->style_block = st;
    } else if (st->kind == AST_MUSIC) {
      if (vp->music) {
        ERR(st->src, st->kw, "mix the tracks into one file", "a video has one music bed");
        vsc_note(s->diags, vp->music->src, vp->music->kw, "the first music is here");
      } else
        vp->music = st;
    } else if (st->kind == AST_SCENE) {
      vp->nscenes++;
    } else if (st->kind == AST_EACH) {
      vp->nscenes += check_each_count(s, st);
    }
  }
}

/* The last `keyword VALUE` setting of the video block, or NULL. */
static vsc_ast *last_setting(vsc_ast *vn, const char *keyword) {
  vsc_ast *found = NULL;
  for (vsc_ast *st = vn->body.head; st; st = st->next)
    if (st->kind == AST_SET && strcmp(st->keyword, keyword) == 0) found = st;
  return found;
}

/* An aspect with no explicit size picks the size; with one, the two must agree. */
static void video_aspect(vsc_session *s, vsc_ast *vn, vsc_video_spec *v, const video_parts *vp) {
  if (!v->has_aspect || fabs((double)v->width / v->height - v->aspect_w / v->aspect_h) <= 0.01) return;
  bool size_given = false;
  for (int i = 0; i < vp->nseen; i++)
    if (strcmp(vp->seen[i], "size") == 0) size_given = true;
  vsc_ast *aspect = last_setting(vn, "aspect");
  if (size_given) {
    /* Point at the aspect the video wrote (or at the video, when it came from the preset). */
    vsc_ast *size = last_setting(vn, "size");
    ERR(vn->src, aspect && aspect->nvals ? aspect->vals[0].span : vn->kw, "drop 'aspect' or change 'size'",
        "size %dx%d does not have the aspect %g:%g", v->width, v->height, v->aspect_w, v->aspect_h);
    if (size && size->nvals) vsc_note(s->diags, vn->src, size->vals[0].span, "the size is set here");
    return;
  }
  if (v->aspect_w >= v->aspect_h) v->width = (int)(2 * round(v->height * v->aspect_w / v->aspect_h / 2));
  else {
    int w = v->width < v->height ? v->width : v->height;
    v->width = w;
    v->height = (int)(2 * round(w * v->aspect_h / v->aspect_w / 2));
  }
  /* A very long or thin aspect gives a frame no encoder takes. */
  if (v->width < 16 || v->width > 7680 || v->height < 16 || v->height > 7680) {
    ERR(vn->src, aspect && aspect->nvals ? aspect->vals[0].span : vn->kw, "give the frame a 'size' as well",
        "aspect %g:%g makes a %dx%d frame; each side must be between 16 and 7680 px", v->aspect_w, v->aspect_h,
        v->width, v->height);
    v->width = 1920;
    v->height = 1080;
  }
}

/* Adds scene `name` (node st) to the video, unless the name is taken. */
static vsc_scene_spec *video_scene(vsc_session *s, vsc_ast *st, const char *name, vsc_video_spec *v, name_set *names) {
  int first = name_set_add(names, name, v->nscenes);
  if (first >= 0) {
    ERR(st->src, st->name.span, NULL, "duplicate scene '%s'", name);
    vsc_note(s->diags, v->scenes[first].src, v->scenes[first].node->name.span, "'%s' was first declared here", name);
  }
  vsc_scene_spec *sc = &v->scenes[v->nscenes++];
  check_scene(s, st, sc, &v->style);
  sc->name = name;
  return sc;
}

/* for NAME in LIST { scenes }: each scene once per item, named SCENE_1, SCENE_2, …; a
** mistake of the body that is not the item's is reported once (check/each.c). */
static void video_each(vsc_session *s, vsc_ast *each, vsc_video_spec *v, name_set *names, int cap) {
  vsc_each_spec *es;
  const vsc_value *list = check_each_begin(s, each, &es);
  if (!list) return;
  int was = vsc_diag_once(s->diags, 1);
  for (int k = 0; k < list->nitems && v->nscenes < cap; k++) {
    check_each_bind(s, each, es, &list->items[k], k + 1);
    for (vsc_ast *st = each->body.head; st && v->nscenes < cap; st = st->next) {
      if (st->kind != AST_SCENE) continue;
      vsc_scene_spec *sc = video_scene(s, st, vsc_arena_printf(s->arena, "%s_%d", st->name.str, k + 1), v, names);
      sc->each = es;
      sc->each_item = k + 1;
    }
  }
  check_each_bind(s, NULL, NULL, NULL, 0);
  vsc_diag_once(s->diags, was);
}

/* Video-level voice lines and the scenes, in order; scene names are unique. */
static void video_scenes(vsc_session *s, eval_ctx *c, vsc_ast *vn, vsc_video_spec *v, int nscenes) {
  v->scenes = vsc_arena_alloc(s->arena, (size_t)(nscenes ? nscenes : 1) * sizeof *v->scenes);
  name_set names = name_set_new(s->arena, nscenes);
  for (vsc_ast *st = vn->body.head; st; st = st->next) {
    if (st->kind == AST_VOICE) {
      if (check_room(c, st->kw, v->nvoices, VSC_VIDEO_VOICES_MAX, "video-level voice lines"))
        check_voice(c, st, &v->voices[v->nvoices++]);
    } else if (st->kind == AST_SCENE && v->nscenes < nscenes) {
      video_scene(s, st, st->name.str, v, &names);
    } else if (st->kind == AST_EACH) {
      video_each(s, st, v, &names, nscenes);
    }
  }
  bool each = false; /* a `for` block that makes none has said why */
  for (vsc_ast *st = vn->body.head; st; st = st->next) each |= st->kind == AST_EACH;
  if (v->nscenes == 0 && !each) ERR(vn->src, vn->kw, "add e.g. 'scene intro (5s) { shot color #000000 }'", "video has no scenes");
}

/* Voice lines of the whole video, video-level and in scenes. */
static int voice_lines(const vsc_video_spec *v) {
  int n = v->nvoices;
  for (int i = 0; i < v->nscenes; i++) n += v->scenes[i].nvoices;
  return n;
}

/* What only the whole video shows: settings that do nothing, a last transition into nothing,
 * two `rest` scenes. */
static void video_whole(vsc_session *s, vsc_video_spec *v) {
  /* Ducking lowers the music under voice-over: with no voice lines it does nothing. */
  if (v->music.has_duck) {
    vsc_ast *duck = NULL;
    for (vsc_ast *st = v->music.node->body.head; st; st = st->next)
      if (strcmp(st->keyword, "duck") == 0) duck = st;
    if (!voice_lines(v) && duck)
      vsc_warning(s->diags, duck->src, duck->kw, NULL, "'duck' has no effect: the video has no voice-over");
  }
  if (v->nscenes > 0) {
    vsc_scene_spec *last = &v->scenes[v->nscenes - 1];
    if (last->transition && last->each) {
      /* Written once for every item of a `for`: the last one has nothing to go to. */
      last->transition = NULL;
      last->trans_dur = 0;
    } else if (last->transition && last->then_node) {
      ERR(last->src, last->then_node->span, "use a 'fade out' on the music or a final scene instead",
          "the last scene '%s' has a transition to nothing", last->name);
      vsc_diag_fix(s->diags, last->src, last->then_node->span, "");
    }
  }
  vsc_scene_spec *first_rest = NULL;
  for (int i = 0; i < v->nscenes; i++) {
    vsc_scene_spec *sc = &v->scenes[i];
    if (sc->dur_kind != DUR_REST) continue;
    /* The scenes one `rest` scene of a `for` block makes share the rest (plan/timeline.c). */
    if (first_rest && sc->each && sc->each == first_rest->each && sc->node == first_rest->node) continue;
    if (first_rest) {
      ERR(sc->src, sc->dur_span, "give this scene a duration", "'rest' is used by two scenes");
      vsc_note(s->diags, first_rest->src, first_rest->dur_span, "the first 'rest' is here");
    } else
      first_rest = sc;
  }
  if (v->captions.present) {
    vsc_ast *cn = v->captions.node;
    if (v->style.font && !check_option(cn, "font")) v->captions.text.font = v->style.font;
    if (!voice_lines(v))
      vsc_warning(s->diags, cn->src, cn->kw, "captions show the 'voice' lines",
                  "'captions' has no effect: the video has no voice-over");
  }
}

/* The settings of the video block (and its preset), then its frame. */
static void video_frame(vsc_session *s, eval_ctx *c, vsc_ast *vn, vsc_video_spec *v, video_parts *vp) {
  video_defaults(c, vn, v);
  video_settings(s, vn, v, vp);
  if (vp->preset) {
    apply_preset(s, vp->preset, v, vp->seen, &vp->nseen);
    /* A length that came from the preset is reported at the `preset` line the user wrote. */
    if (v->length_node && v->length_node->src != vn->src) v->length_node = vp->preset;
  }
  video_aspect(s, vn, v, vp);
}

void check_video_frame(vsc_session *s, vsc_ast *vn, int *w, int *h, bool *given) {
  vsc_diag_list *keep = s->diags;
  s->diags = vsc_diag_list_new(1000); /* reported by the checks of the formats */
  eval_ctx c = {.s = s, .src = vn->src};
  vsc_video_spec v;
  video_parts vp = {0};
  video_frame(s, &c, vn, &v, &vp);
  vsc_diag_list_free(s->diags);
  s->diags = keep;
  *w = v.width;
  *h = v.height;
  *given = v.width != 1920 || v.height != 1080;
  for (int i = 0; i < vp.nseen; i++)
    if (strcmp(vp.seen[i], "size") == 0 || strcmp(vp.seen[i], "aspect") == 0) *given = true;
}

/* video "TITLE" { settings, preset, style, music, voice lines, scenes } */
void check_video(vsc_session *s, vsc_ast *vn, vsc_video_spec *v, const check_format *fmt) {
  eval_ctx c = {.s = s, .src = vn->src};
  video_parts vp = {0};
  video_frame(s, &c, vn, v, &vp);
  v->gen_width = v->width;
  v->gen_height = v->height;
  if (fmt) {
    v->format = fmt->name;
    v->format_tag = fmt->tag;
    if (fmt->width) v->width = fmt->width, v->height = fmt->height;
    v->gen_width = fmt->gen_width;
    v->gen_height = fmt->gen_height;
  }
  if (s->quality_override) v->quality = strcmp(s->quality_override, "final") == 0;
  if (vp.style_ref) {
    vsc_ast *st = check_lookup_style(s, vp.style_ref->src, &vp.style_ref->vals[0]);
    if (st) check_style_body(&(eval_ctx){.s = s, .src = st->src}, st, &v->style, false);
  }
  if (vp.style_block) check_style_body(&c, vp.style_block, &v->style, true);
  if (vp.music) check_music(s, vp.music, &v->music);
  video_scenes(s, &c, vn, v, vp.nscenes);
  video_whole(s, v);
  vsc_chk_deliver(s, v);
  /* Measured at the final frame size, with the renderer's fonts. */
  vsc_chk_text_fit(s, v);
}

/* The checker's entry point: the main script, its modules, then the video. */
int vsc_check(vsc_session *s, const char *name, const char *text, size_t len, vsc_video_spec *video) {
  if (vsc_check_load(s, name, text, len) != 0 && vsc_diag_worst_stage(s->diags) < VSC_STAGE_CHECK) return -1;
  check_params(s);
  if (!s->video) {
    vsc_diag(s->diags, VSC_SEV_ERROR, VSC_STAGE_CHECK, s->main, ((vsc_span){0, 0}),
             "a script needs 'video \"Title\" { … }'", "no video in '%s'", name);
    return -1;
  }
  check_video(s, s->video, video, NULL);
  return vsc_diag_error_count(s->diags) ? -1 : 0;
}
