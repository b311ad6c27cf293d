/* The plan graph of one scene: its shot (generated, file, image or colour), voice lines and
 * the body and transition segments that draw it, with texts and captions. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plan/planner.h"
#include "vsc/vsc_buf.h"
#include "vsc/vsc_mem.h"
#include "vsc/vsc_strings.h"
#include "vsc/vsc_facts.h"

static long long scene_seed(const vsc_video_spec *v, const vsc_scene_spec *sc) {
  if (sc->has_seed) return sc->seed;
  uint32_t h = 2166136261u; /* FNV-1a of the scene name: stable when scenes move */
  for (const char *c = sc->name; *c; c++) h = (h ^ (unsigned char)*c) * 16777619u;
  return (long long)((v->seed + h) % 2147483647u);
}

static const char *merged_prompt(planner *p, const vsc_scene_spec *sc, const char *prompt, bool with_camera) {
  vsc_buf b = {0};
  vsc_buf_puts(&b, prompt);
  if (with_camera && sc->camera && strcmp(sc->camera, "static") != 0) vsc_buf_printf(&b, ", camera %s", sc->camera);
  const char *look = p->v->style.look;
  if (look && *look) vsc_buf_printf(&b, ". %s", look);
  if (sc->look && *sc->look) vsc_buf_printf(&b, "%s%s", look && *look ? ", " : ". ", sc->look);
  char *out = vsc_arena_strdup(p->s->arena, b.s);
  vsc_buf_free(&b);
  return out;
}

static json_t *palette_json(const vsc_video_spec *v) {
  json_t *a = json_array();
  for (int i = 0; i < v->style.npalette; i++) json_array_append_new(a, plan_color(v->style.palette[i]));
  return a;
}

/* The media kind of a file by its name, for `asset` nodes of file parameters. */
static const char *file_media(const char *path) {
  const char *dot = strrchr(path, '.');
  static const char *const kinds[][2] = {
      {".png", "image"},
      {".jpg", "image"},
      {".jpeg", "image"},
      {".webp", "image"},
      {".gif", "image"},
      {".mp4", "video"},
      {".mov", "video"},
      {".webm", "video"},
      {".mp3", "audio"},
      {".wav", "audio"},
      {".m4a", "audio"},
      {".ogg", "audio"},
      {".flac", "audio"}};
  for (size_t i = 0; dot && i < sizeof kinds / sizeof kinds[0]; i++)
    if (strcasecmp(dot, kinds[i][0]) == 0) return kinds[i][1];
  return "file";
}

/* `with` parameters of type file become asset nodes (hashed by content into the node id);
 * their paths are relative to the file whose text wrote them. Appends their ids to inputs
 * and maps each parameter to its input index in *files. */
static void file_params(planner *p, vsc_scene_spec *sc, const vsc_model_decl *m, const char **inputs, int *ninputs,
                        json_t *files) {
  vsc_session *s = p->s;
  for (int i = 0; sc->with && i < m->nparams && *ninputs < 8; i++) {
    const vsc_param_decl *pd = &m->params[i];
    const char *rel = json_string_value(json_object_get(sc->with, pd->name));
    if (!pd->type || strcmp(pd->type, "file") != 0 || !rel) continue;
    if (strstr(rel, "://") || strncmp(rel, "data:", 5) == 0) continue; /* a URL goes as it is */
    vsc_ast *a = sc->with_node->body.head;
    int k = 0;
    while (a && strcmp(a->name.str, pd->name) != 0) a = a->next, k++;
    vsc_source *wsrc = a && sc->with_val_srcs ? sc->with_val_srcs[k] : sc->with_src ? sc->with_src
                                                                                    : sc->src;
    const char *slash = strrchr(wsrc->name, '/');
    const char *path = rel[0] == '/' || !slash ? rel
                                               : vsc_arena_printf(s->arena, "%.*s/%s", (int)(slash - wsrc->name), wsrc->name, rel);
    const char *id = plan_asset(p, path, rel, file_media(path), wsrc, a && sc->with_val_spans ? sc->with_val_spans[k] : sc->with_node->kw, sc->name);
    if (!id) continue;
    json_object_set_new(files, pd->name, json_integer(*ninputs));
    inputs[(*ninputs)++] = id;
  }
}

static const char *generate_node(planner *p, vsc_scene_spec *sc, const char *kind, const char *prompt,
                                 const vsc_model_decl *m, double seconds, const char *image_id, double *cost,
                                 double *cost_max) {
  vsc_video_spec *v = p->v;
  json_t *params = json_object();
  json_object_set_new(params, "kind", json_string(kind));
  json_object_set_new(params, "prompt", json_string(merged_prompt(p, sc, prompt, strcmp(kind, "video") == 0)));
  if (v->style.avoid) json_object_set_new(params, "negative", json_string(v->style.avoid));
  int gw, gh;
  plan_model_frame(p, sc, m, &gw, &gh);
  json_object_set_new(params, "width", json_integer(gw));
  json_object_set_new(params, "height", json_integer(gh));
  json_object_set_new(params, "aspect", json_string(vsc_registry_aspect(p->s, gw, gh)));
  json_object_set_new(params, "seed", json_integer(scene_seed(v, sc)));
  json_object_set_new(params, "label", json_string(sc->name));
  json_object_set_new(params, "palette", palette_json(v));
  if (strcmp(kind, "video") == 0) {
    json_object_set_new(params, "duration", json_real(t6(seconds)));
    json_object_set_new(params, "fps", json_integer(v->fps));
    json_object_set_new(params, "camera", json_string(sc->camera ? sc->camera : "static"));
  }
  if (image_id) json_object_set_new(params, "image", json_integer(0));
  const json_t *with = sc->with && (m == sc->model || !sc->model) ? sc->with : NULL;
  json_object_set_new(params, "input", with ? json_deep_copy(with) : json_object());
  const char *inputs[9] = {image_id};
  int ninputs = image_id ? 1 : 0;
  json_t *files = json_object();
  if (m && with) file_params(p, sc, m, inputs, &ninputs, files);
  json_t *node = plan_new_node("generate", params, m ? m->ref : NULL, inputs, ninputs, sc->name,
                               plan_src(p->s, sc->src, sc->shot_node ? sc->shot_node->kw : sc->node->kw));
  if (m) {
    vsc_call_need need = {.params = params, .with = with, .with_model = m, .files = files, .seconds = seconds};
    vsc_price pr = plan_resolve_calls(p, node, m, &need, sc);
    *cost += pr.estimate;
    *cost_max += pr.max;
  }
  json_decref(files);
  return plan_commit_node(p, node);
}

const char *plan_asset(planner *p, const char *path, const char *rel, const char *media, vsc_source *src,
                       vsc_span span, const char *scene) {
  vsc_session *s = p->s;
  char sha[65];
  if (vsc_sha256_file_known(s->cache_dir, path, sha, NULL, NULL, 0) != 0) {
    ERR(src, span, NULL, "cannot read '%s'", rel);
    return NULL;
  }
  json_t *params = json_object();
  /* Relative to the IR's root (the script's directory), as the script wrote it. */
  const char *root = s->root_dir;
  size_t rl = strlen(root);
  const char *stored = path;
  if (strcmp(root, ".") != 0 && strncmp(path, root, rl) == 0 && path[rl] == '/') stored = path + rl + 1;
  json_object_set_new(params, "path", json_string(stored));
  json_object_set_new(params, "media", json_string(media));
  json_object_set_new(params, "sha256", json_string(sha));
  return plan_add_node(p, "asset", params, NULL, NULL, 0, scene, plan_src(s, src, span));
}

static bool final_tier(const vsc_video_spec *v, const vsc_scene_spec *sc) {
  return sc->tier >= 0 ? sc->tier == 1 : v->quality == 1;
}

const vsc_model_decl *plan_pick_model(planner *p, vsc_scene_spec *sc, const char *default_class, double seconds,
                                      size_t chars, bool explicit_applies) {
  vsc_session *s = p->s;
  int gw, gh;
  plan_gen_frame(p, sc, &gw, &gh);
  vsc_model_need need = {.klass = default_class, .final = final_tier(p->v, sc), .seconds = seconds, .characters = chars, .width = gw, .height = gh};
  if (explicit_applies) {
    if (sc->model) need.explicit_model = sc->model;
    if (sc->klass) need.klass = sc->klass;
  }
  const vsc_model_decl *m = vsc_registry_choose(p->s, &need);
  if (!m && p->v->format && default_class) {
    /* Several formats reframe every picture: a model of the class makes its closest shape. */
    vsc_model_need any = need;
    any.width = any.height = 0;
    m = vsc_registry_choose(p->s, &any);
  }
  /* With several formats every picture is reframed: a model makes its own closest shape. */
  if (need.explicit_model && !vsc_registry_makes_aspect(m, gw, gh) && !p->v->format) {
    ERR(sc->src, sc->model_node->vals[0].span, "choose another model or change the video's size",
        "model '%s' cannot make %s frames (%dx%d)", m->ref, vsc_registry_aspect(s, gw, gh), gw, gh);
  }
  if (!m) {
    vsc_span span = sc->model_node && explicit_applies ? sc->model_node->vals[0].span : sc->shot_node ? sc->shot_node->kw
                                                                                                      : sc->node->kw;
    ERR(sc->src, span, "add one to the registry with 'model NAME \"owner/name\" { … }'",
        "no model of class '%s' can make %s frames", need.klass, vsc_registry_aspect(s, gw, gh));
  }
  return m;
}

/* A file clip plays from its `in` point; shorter than the shot, it holds its last frame,
 * which the producer is told here (the segment op does exactly that). */
static void file_length(planner *p, vsc_scene_spec *sc, scene_source *src) {
  vsc_session *s = p->s;
  const char *name = strrchr(sc->path, '/') ? strrchr(sc->path, '/') + 1 : sc->path;
  double len = sc->file.duration, avail = len - sc->in_point, frame = 1.0 / p->v->fps;
  if (len <= 0) return; /* a stream without a length: the compositor holds its last frame */
  src->clip_len = avail;
  const vsc_ast *in = NULL;
  for (const vsc_ast *o = sc->shot_node->opts.head; o; o = o->next)
    if (strcmp(o->keyword, "in") == 0 && o->nvals) in = o;
  if (avail < frame)
    ERR(sc->src, in ? in->vals[0].span : sc->shot_node->kw, "choose an 'in' inside the clip",
        "scene '%s' starts '%s' at %gs, but it is %gs long", sc->name, name, t6(sc->in_point), t6(len));
  else if (avail < src->shot_len - frame)
    vsc_warning(s->diags, sc->src, sc->shot_node->kw,
                sc->in_point > 0 ? "shorten the scene, or choose an earlier 'in'" : "shorten the scene, or use a longer clip",
                "scene '%s' needs %gs of video; '%s' has %gs%s, so its last frame is held for %gs", sc->name,
                t6(src->shot_len), name, t6(avail), sc->in_point > 0 ? " after its 'in' point" : "",
                t6(src->shot_len - avail));
}

/* A picture enlarged more than twice to fill the frame looks soft: say so. */
static void file_size(planner *p, vsc_scene_spec *sc) {
  vsc_session *s = p->s;
  const vsc_video_spec *v = p->v;
  int w = sc->file.width, h = sc->file.height;
  if (w <= 0 || h <= 0) return;
  const char *fit = sc->fit ? sc->fit : v->fit;
  double sx = (double)v->width / w, sy = (double)v->height / h;
  double scale = fit && strcmp(fit, "contain") == 0 ? (sx < sy ? sx : sy) : (sx > sy ? sx : sy);
  if (scale <= 2.0) return;
  const char *name = strrchr(sc->path, '/') ? strrchr(sc->path, '/') + 1 : sc->path;
  char hint[160];
  snprintf(hint, sizeof hint, "use a file of at least %dx%d", (int)ceil(w * scale / 2), (int)ceil(h * scale / 2));
  vsc_warning(s->diags, sc->src, sc->shot_node->kw, hint, "'%s' is %dx%d: on %dx%d it is enlarged %.1f times and will look soft",
              name, w, h, v->width, v->height, scale);
}

scene_source plan_shot(planner *p, vsc_scene_spec *sc, double shot_len) {
  vsc_session *s = p->s;
  vsc_video_spec *v = p->v;
  scene_source src = {.type = "color", .shot_len = shot_len};
  bool fin = final_tier(v, sc);
  switch (sc->shot) {
  case SHOT_VIDEO: {
    const char *image_id = NULL;
    if (sc->from_path) {
      image_id = plan_asset(p, sc->from_path, sc->from_path, "image", sc->src, sc->shot_node->kw, sc->name);
    } else if (sc->from_prompt) {
      const vsc_model_decl *im = plan_pick_model(p, sc, fin ? "image.premium" : "image.fast", 0, 0, false);
      if (im) image_id = generate_node(p, sc, "image", sc->from_prompt, im, 0, NULL, &src.cost, &src.cost_max);
    }
    const char *klass = image_id ? (fin ? "i2v.premium" : "i2v.fast") : (fin ? "video.premium" : "video.fast");
    const vsc_model_decl *m = plan_pick_model(p, sc, klass, shot_len, 0, true);
    if (!m) return src;
    vsc_registry_check_with(p->s, sc, m);
    double gen = vsc_call_duration(m, shot_len);
    if (gen - shot_len >= 1.0)
      vsc_warning(s->diags, sc->src, sc->shot_node->kw, NULL,
                  "scene '%s' needs %gs of video; '%s' makes %gs, so the clip is trimmed", sc->name, t6(shot_len), m->ref, gen);
    else if (gen < shot_len - 1e-6)
      vsc_warning(s->diags, sc->src, sc->shot_node->kw, NULL,
                  "scene '%s' needs %gs of video; '%s' makes at most %gs, so the clip is held on its last frame", sc->name, t6(shot_len),
                  m->ref, gen);
    src.id = generate_node(p, sc, "video", sc->prompt, m, gen, image_id, &src.cost, &src.cost_max);
    src.type = "clip";
    src.clip_len = gen;
    src.model = m->ref;
    break;
  }
  case SHOT_IMAGE: {
    const vsc_model_decl *m = plan_pick_model(p, sc, fin ? "image.premium" : "image.fast", 0, 0, true);
    if (!m) return src;
    vsc_registry_check_with(p->s, sc, m);
    src.id = generate_node(p, sc, "image", sc->prompt, m, 0, NULL, &src.cost, &src.cost_max);
    src.type = "image";
    src.model = m->ref;
    break;
  }
  case SHOT_FILE:
    src.id = plan_asset(p, sc->path, sc->path, sc->path_media ? sc->path_media : "video", sc->src, sc->shot_node->kw, sc->name);
    src.type = sc->path_media && strcmp(sc->path_media, "image") == 0 ? "image" : "clip";
    src.in_point = sc->in_point;
    if (strcmp(src.type, "clip") == 0) file_length(p, sc, &src);
    file_size(p, sc);
    if (sc->model_node) vsc_warning(s->diags, sc->src, sc->model_node->kw, NULL, "'model' has no effect on a file shot");
    break;
  case SHOT_COLOR:
  case SHOT_NONE:
    break;
  }
  if (src.id && strcmp(src.type, "image") == 0 && sc->animate) {
    json_t *params = json_object();
    json_object_set_new(params, "move", json_string(sc->animate));
    json_object_set_new(params, "from", json_real(sc->anim_from));
    json_object_set_new(params, "to", json_real(sc->anim_to));
    json_object_set_new(params, "duration", json_real(t6(shot_len)));
    /* At the master frame, like the picture it moves: every format reframes the same clip. */
    int aw, ah;
    plan_gen_frame(p, sc, &aw, &ah);
    json_object_set_new(params, "width", json_integer(aw));
    json_object_set_new(params, "height", json_integer(ah));
    json_object_set_new(params, "fps", json_integer(v->fps));
    plan_set_focus(params, sc);
    /* Blur is a reframe of the clip (the segment's): the still itself is fitted as cover. */
    const char *afit = sc->fit ? sc->fit : v->fit;
    json_object_set_new(params, "fit", json_string(strcmp(afit, "blur") == 0 ? "cover" : afit));
    const char *in[1] = {src.id};
    src.id = plan_add_node(p, "animate", params, NULL, in, 1, sc->name, plan_src(s, sc->src, sc->shot_node->kw));
    src.type = "clip";
    src.clip_len = shot_len;
  }
  return src;
}

static json_t *texts_json(planner *p, const vsc_scene_spec *sc) {
  json_t *arr = json_array();
  for (int i = 0; i < sc->ntexts; i++) {
    const vsc_text_spec *t = &sc->texts[i];
    double end = t->end >= 0 && t->end < sc->duration ? t->end : sc->duration;
    json_array_append_new(arr, vsc_chk_text_json(t, p->v->safe, t6(t->start), t6(end)));
  }
  return arr;
}

/* One scene's picture over a segment that starts at timeline time t0. */
static json_t *layers_json(planner *p, const vsc_scene_spec *sc, const scene_source *src, double t0, int input) {
  json_t *l = json_object();
  json_t *source = json_object();
  json_object_set_new(source, "type", json_string(src->type));
  if (strcmp(src->type, "color") == 0) {
    json_object_set_new(source, "color", plan_color(sc->shot == SHOT_COLOR ? sc->color : 0x000000));
  } else {
    json_object_set_new(source, "input", json_integer(input));
    if (strcmp(src->type, "clip") == 0) {
      double offset = t0 - src->clip_start + src->in_point;
      json_object_set_new(source, "offset", json_real(t6(offset < 0 ? 0 : offset)));
      json_object_set_new(source, "loop", json_false()); /* shorter than its shot: held, as check says */
    }
  }
  json_object_set_new(l, "source", source);
  json_object_set_new(l, "fit", json_string(sc->fit ? sc->fit : p->v->fit));
  if (strcmp(src->type, "color") != 0) plan_set_focus(l, sc);
  json_object_set_new(l, "t", json_real(t6(t0 - sc->start)));
  json_object_set_new(l, "texts", texts_json(p, sc));
  return l;
}

static json_t *encode_json(const vsc_session *s, const vsc_video_spec *v) {
  json_t *e = json_object();
  json_object_set_new(e, "codec", json_string("libx264"));
  json_object_set_new(e, "pix_fmt", json_string("yuv420p"));
  int crf = s->preview ? 30 : v->quality ? 18
                                         : 23;
  const char *preset = s->preview ? "ultrafast" : v->quality ? "medium"
                                                             : "veryfast";
  json_object_set_new(e, "crf", json_integer(crf));
  json_object_set_new(e, "preset", json_string(preset));
  plan_deliver_encode(s, v, e);
  return e;
}

const char *plan_segment(planner *p, const char *kind, int f0, int f1, const char *transition,
                         const vsc_scene_spec *a, const scene_source *sa, const vsc_scene_spec *b,
                         const scene_source *sb) {
  vsc_video_spec *v = p->v;
  double t0 = (double)f0 / v->fps;
  json_t *params = json_object();
  json_object_set_new(params, "kind", json_string(kind));
  json_object_set_new(params, "t0", json_real(t6(t0)));
  json_object_set_new(params, "duration", json_real(t6((double)(f1 - f0) / v->fps)));
  json_object_set_new(params, "width", json_integer(v->width));
  json_object_set_new(params, "height", json_integer(v->height));
  json_object_set_new(params, "fps", json_integer(v->fps));
  json_object_set_new(params, "encode", encode_json(p->s, v));
  /* The pictures, then the align nodes of the caption cues it may show. */
  size_t room = 2 + (p->captions ? json_array_size(json_object_get(p->captions, "cues")) : 0);
  const char **inputs = vsc_xcalloc(room, sizeof *inputs);
  int n = 0;
  int ia = -1, ib = -1;
  if (sa->id) inputs[ia = n++] = sa->id;
  if (b && sb->id) {
    if (sa->id && strcmp(sa->id, sb->id) == 0) ib = ia;
    else inputs[ib = n++] = sb->id;
  }
  json_object_set_new(params, "a", layers_json(p, a, sa, t0, ia));
  vsc_plan_captions_layer(p->captions, json_object_get(params, "a"), a->start, t0, (double)(f1 - f0) / v->fps, inputs, &n);
  if (b) {
    json_object_set_new(params, "b", layers_json(p, b, sb, t0, ib));
    vsc_plan_captions_layer(p->captions, json_object_get(params, "b"), b->start, t0, (double)(f1 - f0) / v->fps, inputs,
                            &n);
    json_object_set_new(params, "transition", json_string(transition));
  }
  json_t *node = plan_new_node("segment", params, NULL, inputs, n, b ? NULL : a->name,
                               plan_src(p->s, a->src, b && a->then_node ? a->then_node->kw : a->node->kw));
  /* A transition belongs to no one scene: it names the two it joins, outgoing first, for
   * progress and listings (like `scene`, not part of the id). */
  if (b) json_object_set_new(node, "between", json_pack("[ss]", a->name, b->name));
  const char *id = plan_commit_node(p, node);
  free(inputs);
  return id;
}

const char *plan_tts(planner *p, const vsc_voice_spec *vo, vsc_scene_spec *sc, double *cost, double *cost_max) {
  vsc_scene_spec dummy = {.name = "voice-over", .tier = -1};
  const char *text = vo->text ? vo->text : "";
  size_t chars = vsc_utf8_length(text);
  const vsc_model_decl *m = plan_pick_model(p, sc ? sc : &dummy, "tts", 0, chars, false);
  json_t *params = json_object();
  json_object_set_new(params, "text", json_string(text));
  json_object_set_new(params, "voice", json_string(vo->voice));
  json_object_set_new(params, "rate", json_real(1.0));
  json_t *node = plan_new_node("tts", params, m ? m->ref : NULL, NULL, 0, sc ? sc->name : NULL,
                               plan_src(p->s, vo->node->src, vo->node->kw));
  if (m) {
    vsc_call_need need = {.params = params, .characters = chars};
    vsc_price pr = plan_resolve_calls(p, node, m, &need, sc);
    *cost += pr.estimate;
    *cost_max += pr.max;
  }
  return plan_commit_node(p, node);
}
