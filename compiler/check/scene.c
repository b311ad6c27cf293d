/* Scenes (check stage): one table row per statement a scene body may hold, giving its shape
 * and its handler; voice lines; `with { … }`. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check/checker.h"
#include "vsc/vsc_speech.h"
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
const char *const check_fits[CHECK_NFITS] = {"cover", "contain", "blur"};

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

/* `as` names an espeak-ng voice (the local voice, and the timing of every voice line and
 * caption): one espeak-ng does not have is an error here, not a failed build. */
static void check_voice_name(const eval_ctx *c, const vsc_value *v0, const char *voice) {
  if (vsc_speech_voice_known(voice) != 0) return; /* known, or espeak-ng cannot tell: the build will say */
  char like[400], hint[480];
  if (vsc_speech_voices_like(voice, like, sizeof like) > 0)
    snprintf(hint, sizeof hint, "espeak-ng's voices like it: %s", like);
  else
    snprintf(hint, sizeof hint, "espeak-ng's voices are named by language, e.g. en-us, en, de, fr, es, pt-br");
  VERR(c, v0, hint, "espeak-ng has no voice '%s'", voice);
}

/* voice "LINE" [at T] [as "VOICE"] [volume dB], in a scene or the video */
void check_voice(const eval_ctx *c, vsc_ast *v, vsc_voice_spec *out) {
  vsc_session *s = c->s;
  memset(out, 0, sizeof *out);
  out->node = v;
  out->voice = "en-us";
  if (check_get_string(c, &v->vals[0], "voice", &out->text)) {
    out->text = normalise_voice(s, out->text);
    if (!*out->text) VERR(c, &v->vals[0], NULL, "voice line is empty");
  }
  for (vsc_ast *o = v->opts.head; o; o = o->next) {
    if (strcmp(o->keyword, "at") == 0) {
      if (check_get_duration(c, &o->vals[0], "at", &out->at)) check_in_range(c, &o->vals[0], out->at, 0, 36000, "at", "s");
    } else if (strcmp(o->keyword, "as") == 0) {
      if (check_get_ident(c, &o->vals[0], "as", &out->voice)) check_voice_name(c, &o->vals[0], out->voice);
    } else if (strcmp(o->keyword, "volume") == 0) {
      const vsc_value *x = check_val(c, &o->vals[0]);
      if (check_expect(c, x, V_DB, "volume", NULL) && check_in_range(c, &o->vals[0], x->num, -60, 20, "volume", "dB")) out->volume = x->num;
    }
  }
}

/* with { NAME VALUE … }: a scene's own parameters for its model */
static void check_with(const eval_ctx *c, vsc_ast *w, vsc_scene_spec *sc) {
  vsc_session *s = c->s;
  json_t *obj = vsc_session_keep(s, json_object());
  for (vsc_ast *a = w->body.head; a; a = a->next) {
    if (json_object_get(obj, a->name.str)) {
      CERR(c, a->name.span, NULL, "parameter '%s' is given twice", a->name.str);
      continue;
    }
    json_object_set_new(obj, a->name.str, check_value_json(check_val(c, &a->vals[0])));
  }
  int n = 0;
  for (vsc_ast *a = w->body.head; a; a = a->next) n++;
  sc->with_val_srcs = vsc_arena_alloc(s->arena, ((size_t)n + 1) * sizeof *sc->with_val_srcs);
  sc->with_val_spans = vsc_arena_alloc(s->arena, ((size_t)n + 1) * sizeof *sc->with_val_spans);
  n = 0;
  for (vsc_ast *a = w->body.head; a; a = a->next, n++) {
    sc->with_val_srcs[n] = check_src_of(c, &a->vals[0]);
    sc->with_val_spans[n] = check_val(c, &a->vals[0])->span;
  }
  sc->with = obj;
  sc->with_node = w;
  sc->with_src = c->src;
}

/* Whether the shot is a still image file. */
static bool still_file(const vsc_scene_spec *sc) {
  return sc->shot == SHOT_FILE && sc->path_media && strcmp(sc->path_media, "image") == 0;
}

/* A scene body being checked: the scene, its style, and the settings seen so far in this
 * body (a scene may still override its template's). */
typedef struct {
  const eval_ctx *c;
  vsc_scene_spec *sc;
  const vsc_style_spec *style;
  vsc_ast *set_model, *set_seed, *set_fit, *set_tier;
} scene_body;

/* shot video|image "PROMPT" · shot file "PATH" · shot color #RGB */
static void shot_kind(scene_body *b, vsc_ast *st) {
  const eval_ctx *c = b->c;
  vsc_scene_spec *sc = b->sc;
  const char *k = st->keyword;
  if (strcmp(k, "shot video") == 0) {
    sc->shot = SHOT_VIDEO;
    check_get_string(c, &st->vals[0], "shot video", &sc->prompt);
  } else if (strcmp(k, "shot image") == 0) {
    sc->shot = SHOT_IMAGE;
    check_get_string(c, &st->vals[0], "shot image", &sc->prompt);
  } else if (strcmp(k, "shot file") == 0) {
    sc->shot = SHOT_FILE;
    if (check_file(c, &st->vals[0], "shot file", &sc->path) &&
        check_media_file(c, &st->vals[0], sc->path, CHECK_MEDIA_PICTURE, &sc->file))
      sc->path_media = sc->file.is_image ? "image" : "video";
  } else {
    sc->shot = SHOT_COLOR;
    check_get_color(c, &st->vals[0], "shot color", &sc->color);
  }
  if (sc->prompt && !*sc->prompt) VERR(c, &st->vals[0], "describe the shot", "empty prompt");
}

/* … camera MOVE (a generated video) */
static void shot_camera(scene_body *b, vsc_ast *st, vsc_ast *o) {
  const eval_ctx *c = b->c;
  vsc_scene_spec *sc = b->sc;
  (void)st;
  if (sc->shot != SHOT_VIDEO) {
    CERR(c, o->kw,
         sc->shot == SHOT_IMAGE || sc->shot == SHOT_FILE ? "move a still image with 'animate zoom' or 'animate pan-left'"
                                                         : NULL,
         "'camera' applies to a generated video shot");
    return;
  }
  check_name_in(c, &o->vals[0], "camera move", cameras, sizeof cameras / sizeof cameras[0], &sc->camera);
}

/* … animate zoom|pan-… [A -> B] (a still) */
static void shot_animate(scene_body *b, vsc_ast *st, vsc_ast *o) {
  const eval_ctx *c = b->c;
  vsc_scene_spec *sc = b->sc;
  (void)st;
  if (sc->shot == SHOT_VIDEO || sc->shot == SHOT_COLOR || (sc->shot == SHOT_FILE && sc->path_media && strcmp(sc->path_media, "image"))) {
    CERR(c, o->kw, "use 'camera' for a video shot", "'animate' applies to an image");
    return;
  }
  if (!check_name_in(c, &o->vals[0], "animation", animations, sizeof animations / sizeof animations[0], &sc->animate))
    return;
  /* Zoom factors: a zoom goes from -> to; a pan moves across a frame held at the larger one. */
  sc->anim_from = strcmp(sc->animate, "zoom") == 0 ? 1.0 : 1.2;
  sc->anim_to = strcmp(sc->animate, "zoom") == 0 ? 1.15 : 1.2;
  if (o->arrow && check_get_number(c, &o->vals[1], "animate", &sc->anim_from) &&
      check_get_number(c, &o->vals[2], "animate", &sc->anim_to) && strcmp(sc->animate, "zoom") == 0) {
    check_in_range(c, &o->vals[1], sc->anim_from, 1, 10, "zoom", "");
    check_in_range(c, &o->vals[2], sc->anim_to, 1, 10, "zoom", "");
  }
}

/* … in DURATION (a video file: where it starts playing) */
static void shot_in(scene_body *b, vsc_ast *st, vsc_ast *o) {
  const eval_ctx *c = b->c;
  vsc_scene_spec *sc = b->sc;
  if (sc->shot != SHOT_FILE) CERR(c, o->kw, NULL, "'in' applies to a file clip");
  else if (still_file(sc))
    CERR(c, o->kw, "a still image has no time to skip", "'in' applies to a video clip, and '%s' is an image",
         check_val(c, &st->vals[0])->str);
  else if (check_get_duration(c, &o->vals[0], "in", &sc->in_point))
    check_in_range(c, &o->vals[0], sc->in_point, 0, 36000, "in", "s");
}

/* … mute */
static void shot_mute(scene_body *b, vsc_ast *st, vsc_ast *o) {
  (void)st, (void)o;
  b->sc->keep_audio = false;
}

/* … keep audio (a video file) */
static void shot_keep_audio(scene_body *b, vsc_ast *st, vsc_ast *o) {
  const eval_ctx *c = b->c;
  vsc_scene_spec *sc = b->sc;
  if (sc->shot != SHOT_FILE) CERR(c, o->kw, NULL, "'keep audio' applies to a file clip");
  else if (still_file(sc))
    CERR(c, o->kw, "a still image has no sound", "'keep audio' applies to a video clip, and '%s' is an image",
         check_val(c, &st->vals[0])->str);
  sc->keep_audio = true;
}

/* … from "PATH" (image-to-video from a file) */
static void shot_from(scene_body *b, vsc_ast *st, vsc_ast *o) {
  const eval_ctx *c = b->c;
  (void)st;
  if (b->sc->shot != SHOT_VIDEO) CERR(c, o->kw, NULL, "'from' applies to a video shot (image-to-video)");
  else if (check_file(c, &o->vals[0], "from", &b->sc->from_path)) {
    vsc_media_info info;
    check_media_file(c, &o->vals[0], b->sc->from_path, CHECK_MEDIA_STILL, &info);
  }
}

/* … from image "PROMPT" (image-to-video from a generated still) */
static void shot_from_image(scene_body *b, vsc_ast *st, vsc_ast *o) {
  const eval_ctx *c = b->c;
  vsc_scene_spec *sc = b->sc;
  (void)st;
  if (sc->shot != SHOT_VIDEO) CERR(c, o->kw, NULL, "'from image' applies to a video shot (image-to-video)");
  else if (check_get_string(c, &o->vals[0], "from image", &sc->from_prompt) && !*sc->from_prompt)
    VERR(c, &o->vals[0], "describe the start image", "empty prompt");
}

/* The options a shot may take, by keyword (the grammar decides their values' shape). */
static const struct {
  const char *keyword;
  void (*check)(scene_body *b, vsc_ast *shot, vsc_ast *option);
} shot_options[] = {
    {"camera", shot_camera},
    {"animate", shot_animate},
    {"in", shot_in},
    {"mute", shot_mute},
    {"keep audio", shot_keep_audio},
    {"from", shot_from},
    {"from image", shot_from_image},
};

/* shot KIND VALUE [options]: the scene's one shot and its options */
static void scene_shot(scene_body *b, vsc_ast *st) {
  const eval_ctx *c = b->c;
  vsc_session *s = c->s;
  vsc_scene_spec *sc = b->sc;
  if (sc->shot != SHOT_NONE) {
    CERR(c, st->kw, "a scene has one shot; split it into two scenes", "scene '%s' already has a shot", sc->name);
    vsc_note(s->diags, sc->shot_node->src, sc->shot_node->kw, "the first shot is here");
    return;
  }
  sc->shot_node = st;
  shot_kind(b, st);
  for (vsc_ast *o = st->opts.head; o; o = o->next)
    for (size_t i = 0; i < sizeof shot_options / sizeof shot_options[0]; i++)
      if (strcmp(o->keyword, shot_options[i].keyword) == 0) shot_options[i].check(b, st, o);
}

/* text "TEXT" [options] */
static void scene_text(scene_body *b, vsc_ast *st) {
  const eval_ctx *c = b->c;
  vsc_scene_spec *sc = b->sc;
  if (sc->ntexts == VSC_SCENE_TEXTS_MAX) {
    CERR(c, st->kw, "split the scene, or join lines into one text with \\n",
         "too many text overlays in one scene (%d at most)", VSC_SCENE_TEXTS_MAX);
    return;
  }
  vsc_text_spec *ts = &sc->texts[sc->ntexts++];
  check_text(c, st, ts, b->style);
  check_text_timing(c, st, ts, sc);
}

/* voice "LINE" [at T] [as "VOICE"]: must start inside the scene */
static void scene_voice(scene_body *b, vsc_ast *st) {
  const eval_ctx *c = b->c;
  vsc_scene_spec *sc = b->sc;
  if (sc->nvoices == VSC_SCENE_VOICES_MAX) {
    CERR(c, st->kw, "split the scene, or join lines into one", "too many voice lines in one scene (%d at most)",
         VSC_SCENE_VOICES_MAX);
    return;
  }
  vsc_voice_spec *vs = &sc->voices[sc->nvoices++];
  check_voice(c, st, vs);
  /* Scene time, like text: with the scene's length known here, the line must start in it. */
  const vsc_ast *at = check_option(st, "at");
  if (at && sc->dur_kind == DUR_TIME && sc->dur_value > 0 && vs->at >= sc->dur_value)
    VERR(c, &at->vals[0], "'at' is scene time: 0s is where the scene starts",
         "voice line starts at %gs, after scene '%s' ends (%gs)", vs->at, sc->name, sc->dur_value);
}

/* then TRANSITION [DURATION]: the one transition into the next scene */
static void scene_then(scene_body *b, vsc_ast *st) {
  const eval_ctx *c = b->c;
  vsc_session *s = c->s;
  vsc_scene_spec *sc = b->sc;
  if (sc->then_node) {
    CERR(c, st->kw, "a scene has one transition: the one into the next scene", "scene '%s' already has a transition",
         sc->name);
    vsc_note(s->diags, sc->then_node->src, sc->then_node->kw, "the first transition is here");
    return;
  }
  sc->then_node = st;
  const char *name;
  if (!check_name_in(c, &st->vals[0], "transition", transitions, sizeof transitions / sizeof transitions[0], &name))
    return;
  if (strcmp(name, "crossfade") == 0) name = "fade";
  sc->transition = strcmp(name, "cut") == 0 ? NULL : name;
  sc->trans_dur = sc->transition ? 0.5 : 0;
  if (st->nvals > 1 && check_get_duration(c, &st->vals[1], "then", &sc->trans_dur)) {
    if (check_in_range(c, &st->vals[1], sc->trans_dur, 0, 10, "transition", "s") && !sc->transition && sc->trans_dur > 0) {
      VERR(c, &st->vals[1], "a cut has no duration", "'cut' takes no duration");
      check_fix(c, &st->vals[1], "");
    }
    if (sc->trans_dur == 0) sc->transition = NULL;
  }
}

/* with { … }: once per scene */
static void scene_with(scene_body *b, vsc_ast *st) {
  const eval_ctx *c = b->c;
  if (b->sc->with)
    CERR(c, st->kw, "put all parameters in one 'with { … }'", "scene '%s' already has parameters", b->sc->name);
  else check_with(c, st, b->sc);
}

/* style { look "…" }: adds to the video's look for this scene */
static void scene_style(scene_body *b, vsc_ast *st) {
  vsc_session *s = b->c->s;
  vsc_scene_spec *sc = b->sc;
  vsc_style_spec extra = {0};
  check_style_body(b->c, st, &extra, false);
  if (extra.look) sc->look = sc->look ? vsc_arena_printf(s->arena, "%s, %s", sc->look, extra.look) : extra.look;
}

/* Whether model d can make the scene's shot (any model when the shot is not known yet). */
static bool model_fits_shot(const vsc_model_decl *d, const vsc_scene_spec *sc) {
  if (sc->shot == SHOT_VIDEO) return strcmp(d->kind, "video") == 0 || strcmp(d->kind, "i2v") == 0;
  if (sc->shot == SHOT_IMAGE) return strcmp(d->kind, "image") == 0;
  return strcmp(d->kind, "video") == 0 || strcmp(d->kind, "image") == 0 || strcmp(d->kind, "i2v") == 0;
}

/* `model sora2`: not in the registry. The hint names the closest models that can make this
 * shot (by spelling, then the rest of their kind), the classes, and `vsc models`; the fix
 * is the closest name when it is a likely misspelling. */
static void unknown_model(const eval_ctx *c, const vsc_scene_spec *sc, vsc_ast *st, const char *ref) {
  vsc_session *s = c->s;
  const char *best[3] = {0};
  int bestd[3] = {99, 99, 99};
  const char **all = vsc_arena_alloc(s->arena, (2 * (size_t)s->nmodels + 1) * sizeof *all);
  size_t n = 0;
  for (int i = 0; i < s->nmodels; i++) {
    const vsc_model_decl *d = s->models[i];
    all[n++] = d->name;
    all[n++] = d->klass;
    if (!model_fits_shot(d, sc)) continue;
    int dist = vsc_edit_distance(ref, d->name);
    for (int k = 0; k < 3; k++)
      if (dist < bestd[k]) {
        for (int j = 2; j > k; j--) best[j] = best[j - 1], bestd[j] = bestd[j - 1];
        best[k] = d->name, bestd[k] = dist;
        break;
      }
  }
  const char *close = vsc_closest(ref, all, n);
  char h[400];
  int len = 0;
  if (close) len = snprintf(h, sizeof h, "did you mean '%s'? ", close);
  len += snprintf(h + len, sizeof h - (size_t)len, "models that can make this shot:");
  for (int k = 0; k < 3 && best[k]; k++) len += snprintf(h + len, sizeof h - (size_t)len, "%s %s", k ? "," : "", best[k]);
  snprintf(h + len, sizeof h - (size_t)len, "; or a class (%s); 'vsc models' lists them all",
           sc->shot == SHOT_IMAGE ? "image.fast, image.premium" : "video.fast, video.premium");
  VERR(c, &st->vals[0], h, "unknown model or class '%s'", ref);
  if (close) check_fix(c, &st->vals[0], close);
}

/* model NAME|CLASS: a declared model, or a class the planner chooses in */
static void scene_model(scene_body *b, vsc_ast *st) {
  const eval_ctx *c = b->c;
  vsc_session *s = c->s;
  vsc_scene_spec *sc = b->sc;
  const char *ref;
  if (!check_get_ident(c, &st->vals[0], "model", &ref)) return;
  sc->model_node = st;
  sc->model = NULL; /* a scene's own model replaces its template's */
  sc->klass = NULL;
  vsc_model_decl *d = vsc_check_find_model(s, ref);
  if (d) {
    sc->model = d;
    return;
  }
  for (int i = 0; i < s->nmodels; i++)
    if (strcmp(s->models[i]->klass, ref) == 0) {
      sc->klass = ref;
      return;
    }
  unknown_model(c, sc, st, ref);
}

/* seed N (0 to 2^32-1, whole) */
static void scene_seed(scene_body *b, vsc_ast *st) {
  const eval_ctx *c = b->c;
  vsc_scene_spec *sc = b->sc;
  double x;
  if (check_get_number(c, &st->vals[0], "seed", &x) && check_in_range(c, &st->vals[0], x, 0, 4294967295.0, "seed", "")) {
    sc->has_seed = true;
    sc->seed = (long long)x;
    if (x != floor(x)) VERR(c, &st->vals[0], NULL, "seed must be a whole number");
  }
}

/* final: this scene at the final tier */
static void scene_final(scene_body *b, vsc_ast *st) {
  (void)st;
  b->sc->tier = 1;
}

/* draft: this scene at the draft tier */
static void scene_draft(scene_body *b, vsc_ast *st) {
  (void)st;
  b->sc->tier = 0;
}

/* fit cover|contain|blur */
static void scene_fit(scene_body *b, vsc_ast *st) {
  check_name_in(b->c, &st->vals[0], "fit", check_fits, CHECK_NFITS, &b->sc->fit);
}

/* focus X [Y]: the point of the picture a reframe keeps in frame (shares of its width and height) */
static void scene_focus(scene_body *b, vsc_ast *st) {
  double xy[2] = {0.5, 0.5};
  for (int i = 0; i < st->nvals && i < 2; i++) {
    const vsc_value *v = check_val(b->c, &st->vals[i]);
    double x = v->kind == V_PERCENT ? v->num / 100 : v->num;
    if (v->kind != V_NUMBER && v->kind != V_PERCENT) {
      check_expect(b->c, v, V_NUMBER, "focus", "write the point as 'focus 0.3' or 'focus 0.3, 0.6' (0 = left/top, 1 = right/bottom)");
      return;
    }
    if (!check_in_range(b->c, v, x, 0, 1, "focus", "")) return;
    xy[i] = x;
  }
  b->sc->focus_x = xy[0];
  b->sc->focus_y = xy[1];
}

/* reframe share|generate: reuse the master generation in every format (default) or make one per format */
static void scene_reframe(scene_body *b, vsc_ast *st) {
  static const char *const modes[] = {"share", "generate"};
  const char *m = NULL;
  if (check_name_in(b->c, &st->vals[0], "reframe", modes, 2, &m)) b->sc->per_format = strcmp(m, "generate") == 0;
}

/* The statements a scene body may hold: the AST kind (and for settings the keyword) the
 * grammar gives them, the shape as users write it, whether it may appear once per body (the
 * slot that remembers it), and its handler. */
enum { ONCE_NO,
       ONCE_MODEL,
       ONCE_SEED,
       ONCE_FIT,
       ONCE_TIER };
static const struct {
  vsc_ast_kind kind;
  const char *keyword; /* NULL: any statement of the kind */
  const char *shape;
  int once;
  void (*check)(scene_body *b, vsc_ast *st);
} scene_statements[] = {
    {AST_SHOT, NULL, "shot video|image \"PROMPT\" | file \"PATH\" | color #RGB [camera|animate|in|mute|keep audio|from …]",
     ONCE_NO, scene_shot},
    {AST_TEXT, NULL, "text \"TEXT\" [at POS] [size N%] [from T] [to T] [font \"F\"] [color #RGB] [fade T] [box …]", ONCE_NO,
     scene_text},
    {AST_VOICE, NULL, "voice \"LINE\" [at T] [as \"VOICE\"]", ONCE_NO, scene_voice},
    {AST_THEN, NULL, "then TRANSITION [DURATION]", ONCE_NO, scene_then},
    {AST_WITH, NULL, "with { NAME VALUE … }", ONCE_NO, scene_with},
    {AST_STYLE, NULL, "style { look \"…\" … }", ONCE_NO, scene_style},
    {AST_SET, "model", "model NAME|CLASS", ONCE_MODEL, scene_model},
    {AST_SET, "seed", "seed N", ONCE_SEED, scene_seed},
    {AST_SET, "final", "final", ONCE_TIER, scene_final},
    {AST_SET, "draft", "draft", ONCE_TIER, scene_draft},
    {AST_SET, "fit", "fit cover|contain|blur", ONCE_FIT, scene_fit},
    {AST_SET, "focus", "focus X [Y]", ONCE_NO, scene_focus},
    {AST_SET, "reframe", "reframe share|generate", ONCE_NO, scene_reframe},
};

/* A setting given twice in one body is reported at the second, with a note at the first.
 * Returns false when st repeats one. */
static bool first_of_its_kind(scene_body *b, vsc_ast *st, int once) {
  const eval_ctx *c = b->c;
  vsc_session *s = c->s;
  vsc_ast **slot = once == ONCE_MODEL ? &b->set_model
                 : once == ONCE_SEED  ? &b->set_seed
                 : once == ONCE_FIT   ? &b->set_fit
                 : once == ONCE_TIER  ? &b->set_tier
                                      : NULL;
  if (!slot) return true;
  if (*slot) {
    if (once == ONCE_TIER)
      CERR(c, st->kw, "a scene is either 'final' or 'draft'", "scene '%s' is already '%s'", b->sc->name,
           (*slot)->keyword);
    else CERR(c, st->kw, NULL, "'%s' is set twice in scene '%s'", st->keyword, b->sc->name);
    vsc_note(s->diags, (*slot)->src, (*slot)->kw, "the first '%s' is here", (*slot)->keyword);
    return false;
  }
  *slot = st;
  return true;
}

/* Checks a scene's statements (a template's body first, with its bindings). */
static void check_scene_items(const eval_ctx *c, vsc_ast *first, vsc_scene_spec *sc, const vsc_style_spec *style) {
  scene_body b = {.c = c, .sc = sc, .style = style};
  for (vsc_ast *st = first; st; st = st->next)
    for (size_t i = 0; i < sizeof scene_statements / sizeof scene_statements[0]; i++) {
      if (scene_statements[i].kind != st->kind) continue;
      if (scene_statements[i].keyword && strcmp(scene_statements[i].keyword, st->keyword) != 0) continue;
      if (first_of_its_kind(&b, st, scene_statements[i].once)) scene_statements[i].check(&b, st);
      break;
    }
}

/* The scene's length: seconds, beats, bars, `until SECTION` or `rest`. */
static void scene_duration(vsc_session *s, vsc_ast *node, vsc_scene_spec *sc) {
  sc->dur_kind = node->dur_kind;
  sc->dur_span = node->dur.span;
  if (node->dur_kind == DUR_BEATS || node->dur_kind == DUR_BARS) {
    /* "8 beats" is one duration: messages about it underline the unit word too. */
    const char *text = node->src->text;
    uint32_t end = node->dur.span.off + node->dur.span.len;
    while (end < node->src->len && (text[end] == ' ' || text[end] == '\t')) end++;
    const char *word = node->dur_kind == DUR_BEATS ? "beats" : "bars";
    size_t unit = strlen(word);
    if (end + unit > node->src->len || strncmp(text + end, word, unit) != 0) unit--; /* the singular */
    if (end + unit <= node->src->len && strncmp(text + end, word, unit) == 0)
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
}

/* Binds a `use TEMPLATE(args…)` call's arguments (by position or name, defaults for the rest)
 * to the template's parameters in *tc. Returns false when the call is wrong (reported). */
static bool bind_template(vsc_session *s, vsc_ast *node, vsc_ast *tpl, eval_ctx *tc) {
  vsc_ast *use = node->use;
  int nparams = 0;
  vsc_ast *params[VSC_TEMPLATE_PARAMS_MAX];
  for (vsc_ast *p = tpl->params.head; p; p = p->next)
    if (check_room(tc, p->name.span, nparams, VSC_TEMPLATE_PARAMS_MAX, "template parameters")) params[nparams++] = p;
    else break;
  bool bound[VSC_TEMPLATE_PARAMS_MAX] = {0};
  bool failed = false;
  int pos = 0;
  for (vsc_ast *a = use->params.head; a; a = a->next) {
    int idx = -1;
    if (a->name.str) {
      for (int i = 0; i < nparams; i++)
        if (strcmp(params[i]->name.str, a->name.str) == 0) idx = i;
      if (idx < 0) {
        const char *names[VSC_TEMPLATE_PARAMS_MAX];
        for (int i = 0; i < nparams; i++) names[i] = params[i]->name.str;
        char h[96];
        ERR(node->src, a->name.span, check_suggest(a->name.str, names, (size_t)nparams, h, sizeof h),
            "template '%s' has no parameter '%s'", tpl->name.str, a->name.str);
        const char *close = vsc_closest(a->name.str, names, (size_t)nparams);
        if (close) vsc_diag_fix(s->diags, node->src, a->name.span, close);
        vsc_note(s->diags, tpl->src, tpl->name.span, "'%s' is declared here", tpl->name.str);
        failed = true;
        continue;
      }
    } else {
      idx = pos++;
      if (idx >= nparams) {
        char h[200];
        int hl = snprintf(h, sizeof h, "its parameters are (");
        for (int i = 0; i < nparams && hl < (int)sizeof h - 40; i++) hl += snprintf(h + hl, sizeof h - (size_t)hl, "%s%s", i ? ", " : "", params[i]->name.str);
        snprintf(h + hl, sizeof h - (size_t)hl, "); drop the extra argument");
        ERR(node->src, a->vals[0].span, h, "template '%s' takes %d argument%s", tpl->name.str, nparams,
            nparams == 1 ? "" : "s");
        vsc_note(s->diags, tpl->src, tpl->name.span, "'%s' is declared here", tpl->name.str);
        failed = true;
        continue;
      }
    }
    if (bound[idx]) {
      ERR(node->src, a->span, NULL, "parameter '%s' is given twice", params[idx]->name.str);
      continue;
    }
    bound[idx] = true;
    tc->names[idx] = params[idx]->name.str;
    tc->vals[idx] = a->vals[0];
    tc->val_srcs[idx] = node->src; /* the call's text wrote it */
    if (a->vals[0].kind == V_IDENT && s->each_name && strcmp(a->vals[0].str, s->each_name) == 0) {
      tc->vals[idx] = *s->each_item; /* a `for` item: read where it was written */
      tc->val_srcs[idx] = s->each_src;
    }
  }
  for (int i = 0; i < nparams; i++) {
    if (bound[i]) continue;
    if (params[i]->nvals) {
      tc->names[i] = params[i]->name.str;
      tc->vals[i] = params[i]->vals[0];
      tc->val_srcs[i] = tpl->src; /* a default: the template's text */
      tc->val_default[i] = true;
      continue;
    }
    /* After a misspelt argument name, the real problem has been reported already. */
    if (!failed) {
      char h[160];
      snprintf(h, sizeof h, "pass it by position or by name: %s(%s: …)", tpl->name.str, params[i]->name.str);
      ERR(node->src, use->span, h, "template '%s' needs a value for '%s'", tpl->name.str, params[i]->name.str);
      vsc_note(s->diags, tpl->src, params[i]->span, "'%s' is declared here", params[i]->name.str);
    }
    failed = true;
  }
  tc->n = nparams;
  return !failed;
}

/* The template's body, checked first with its arguments bound. Returns false when the call is
 * wrong (then the scene's missing shot is not news). */
static bool scene_template(vsc_session *s, vsc_ast *node, vsc_scene_spec *sc, const vsc_style_spec *style) {
  vsc_ast *use = node->use;
  vsc_ast *tpl = check_find_named(s->templates, s->ntemplates, use->name.str);
  if (!tpl) {
    const char **names = vsc_arena_alloc(s->arena, ((size_t)s->ntemplates + 1) * sizeof *names);
    for (int i = 0; i < s->ntemplates; i++) names[i] = s->templates[i]->name.str;
    char h[96];
    ERR(node->src, use->name.span, check_suggest(use->name.str, names, (size_t)s->ntemplates, h, sizeof h),
        "unknown template '%s'", use->name.str);
    const char *close = vsc_closest(use->name.str, names, (size_t)s->ntemplates);
    if (close) vsc_diag_fix(s->diags, node->src, use->name.span, close);
    return false;
  }
  eval_ctx tc = {.s = s, .src = tpl->src, .tpl = tpl, .call = node};
  if (!bind_template(s, node, tpl, &tc)) return false;
  check_scene_items(&tc, tpl->body.head, sc, style);
  return true;
}

/* scene NAME (DURATION) [use TEMPLATE(args…)] { … } */
void check_scene(vsc_session *s, vsc_ast *node, vsc_scene_spec *sc, const vsc_style_spec *style) {
  memset(sc, 0, sizeof *sc);
  sc->name = node->name.str;
  sc->node = node;
  sc->src = node->src;
  sc->tier = -1;
  sc->focus_x = sc->focus_y = 0.5;
  scene_duration(s, node, sc);
  bool use_ok = !node->use || scene_template(s, node, sc, style);
  check_scene_items(&(eval_ctx){.s = s, .src = node->src}, node->body.head, sc, style);
  /* Nothing is generated for a colour card or a file: a model or its parameters do nothing. */
  if (sc->shot == SHOT_COLOR && sc->model_node)
    vsc_warning(s->diags, sc->model_node->src, sc->model_node->kw, NULL, "'model' has no effect on a colour card");
  if ((sc->shot == SHOT_COLOR || sc->shot == SHOT_FILE) && sc->with_node)
    vsc_warning(s->diags, sc->with_node->src, sc->with_node->kw, NULL, "'with' has no effect on a %s",
                sc->shot == SHOT_COLOR ? "colour card" : "file shot");
  if (sc->shot == SHOT_NONE && use_ok)
    ERR(node->src, node->name.span, "add e.g. 'shot video \"…\"' or 'shot color #000000'", "scene '%s' has no shot",
        sc->name);
}
