/* The planner's entry point: the grid, the timeline, every scene's nodes, the sound track,
 * the budget and the IR document. See docs/ir.md for the timeline model and the ops. */
#include "plan/planner.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


/* What the scenes of one plan add up to, shared by the steps of vsc_plan. */
typedef struct {
  scene_source *srcs;  /* per scene: what makes its picture */
  double *cost, *max;  /* per scene: estimated and worst-case cost */
  const char **voices; /* tts node of every voice line, in timeline order of declaration */
  double *voice_at;    /* when each is spoken */
  int nvoice;
  double extra_cost, extra_max; /* music and video-level voice-over */
} plan_parts;

/* Every scene's shot and voice lines, then the video-level voice-over. */
static void plan_scenes(planner *p, plan_parts *pp) {
  vsc_session *s = p->s;
  vsc_video_spec *v = p->v;
  int n = v->nscenes;
  for (int i = 0; i < n; i++) {
    vsc_scene_spec *sc = &v->scenes[i];
    double in = i > 0 && v->scenes[i - 1].transition ? v->scenes[i - 1].trans_dur : 0;
    double outd = sc->transition && i + 1 < n ? sc->trans_dur : 0;
    double shot_len = sc->duration + in / 2 + outd / 2;
    pp->srcs[i] = plan_shot(p, sc, shot_len);
    pp->srcs[i].clip_start = sc->start - in / 2;
    pp->cost[i] = pp->srcs[i].cost;
    pp->max[i] = pp->srcs[i].cost_max;
    for (int k = 0; k < sc->nvoices; k++) {
      pp->voices[pp->nvoice] = plan_tts(p, &sc->voices[k], sc, &pp->cost[i], &pp->max[i]);
      pp->voice_at[pp->nvoice++] = sc->start + sc->voices[k].at;
    }
  }
  for (int k = 0; k < v->nvoices; k++) {
    if (v->voices[k].at >= v->length)
      ERR(v->src, v->voices[k].node->span, NULL, "voice line starts at %gs, after the video ends (%gs)", v->voices[k].at,
          t6(v->length));
    pp->voices[pp->nvoice] = plan_tts(p, &v->voices[k], NULL, &pp->extra_cost, &pp->extra_max);
    pp->voice_at[pp->nvoice++] = v->voices[k].at;
  }
}

/* With captions, the `align` node of every voice line a TTS model speaks (NULL where the
 * local voice does, whose word times the planner knows): the words found in the audio the
 * model made. Indexed as pp->voices; caller frees the array. */
static const char **plan_aligns(planner *p, const plan_parts *pp) {
  const char **aligns = vsc_xcalloc((size_t)pp->nvoice + 1, sizeof *aligns);
  if (!p->v->captions.present || !strcmp(p->v->provider, "local")) return aligns;
  for (int k = 0; k < pp->nvoice; k++) {
    const json_t *tts = json_object_get(p->by_id, pp->voices[k]);
    const char *model = json_string_value(json_object_get(tts, "model"));
    if (!model || !strncmp(model, "local/", 6)) continue;
    const json_t *tp = json_object_get(tts, "params");
    const char *text = json_string_value(json_object_get(tp, "text"));
    if (!text || !*text) continue; /* no words to caption */
    json_t *params = json_pack("{s:O, s:O}", "text", json_object_get(tp, "text"), "voice", json_object_get(tp, "voice"));
    const char *in[1] = {pp->voices[k]};
    aligns[k] = plan_add_node(p, "align", params, NULL, in, 1, json_string_value(json_object_get(tts, "scene")),
                              json_string_value(json_object_get(tts, "src")));
  }
  return aligns;
}

/* The picture: segments tile the timeline in whole frames, so their sum is the length
 * exactly; one concat joins them. */
static const char *plan_picture(planner *p, const plan_parts *pp) {
  vsc_session *s = p->s;
  vsc_video_spec *v = p->v;
  int n = v->nscenes;
  const char **segs = vsc_xcalloc(2 * (size_t)n + 1, sizeof *segs);
  int nseg = 0;
  int fps = v->fps;
  int frame = 0;
  for (int i = 0; i < n; i++) {
    vsc_scene_spec *sc = &v->scenes[i];
    double outd = sc->transition && i + 1 < n ? sc->trans_dur : 0;
    double end = sc->start + sc->duration;
    int body_end = (int)llround((end - outd / 2) * fps);
    if (i + 1 == n) body_end = (int)llround(v->length * fps);
    if (body_end > frame) segs[nseg++] = plan_segment(p, "body", frame, body_end, NULL, sc, &pp->srcs[i], NULL, NULL);
    if (body_end > frame) frame = body_end;
    if (outd > 0) {
      int trans_end = (int)llround((end + outd / 2) * fps);
      if (trans_end > frame) {
        segs[nseg++] = plan_segment(p, "transition", frame, trans_end, sc->transition, sc, &pp->srcs[i],
                                    &v->scenes[i + 1], &pp->srcs[i + 1]);
        frame = trans_end;
      }
    }
  }
  json_t *cparams = json_object();
  json_object_set_new(cparams, "count", json_integer(nseg));
  const char *concat = plan_add_node(p, "concat", cparams, NULL, segs, nseg, NULL, plan_src(s, v->src, v->node->kw));
  free(segs);
  return concat;
}

/* The music bed's node (generated or a file), or NULL without music. */
static const char *plan_music(planner *p, plan_parts *pp) {
  vsc_session *s = p->s;
  vsc_video_spec *v = p->v;
  vsc_music_spec *mu = &v->music;
  if (mu->generate) {
    vsc_scene_spec dummy = {.name = "music", .tier = -1, .node = mu->node, .src = mu->node->src};
    const vsc_model_decl *m = plan_pick_model(p, &dummy, "music", v->length, 0, false);
    json_t *params = json_object();
    json_object_set_new(params, "kind", json_string("music"));
    json_object_set_new(params, "prompt", json_string(mu->prompt ? mu->prompt : ""));
    json_object_set_new(params, "duration", json_real(t6(ceil(v->length))));
    json_object_set_new(params, "tempo", json_real(mu->tempo));
    json_object_set_new(params, "seed", json_integer(v->seed));
    json_object_set_new(params, "input", json_object());
    json_t *node = plan_new_node("generate", params, m ? m->ref : NULL, NULL, 0, NULL,
                                 plan_src(s, mu->node->src, mu->node->kw));
    if (m) {
      vsc_call_need need = {.params = params, .seconds = ceil(v->length)};
      vsc_price pr = plan_resolve_calls(p, node, m, &need, NULL);
      pp->extra_cost += pr.estimate;
      pp->extra_max += pr.max;
    }
    return plan_commit_node(p, node);
  }
  if (mu->path) return plan_asset(p, mu->path, mu->rel, "audio", mu->node->src, mu->node->vals[0].span, NULL);
  return NULL;
}

/* A music file plays from its `start` once (or loops): check says where it ends up short. */
static void music_length(planner *p, const vsc_music_spec *mu) {
  vsc_session *s = p->s;
  const vsc_video_spec *v = p->v;
  const char *name = strrchr(mu->path, '/') ? strrchr(mu->path, '/') + 1 : mu->path;
  double avail = mu->file.duration - mu->start;
  if (mu->file.duration <= 0) return;
  const vsc_ast *start = NULL;
  for (const vsc_ast *st = mu->node->body.head; st; st = st->next)
    if (strcmp(st->keyword, "start") == 0 && st->nvals) start = st;
  if (avail <= 0)
    ERR(mu->node->src, start ? start->vals[0].span : mu->node->kw, "choose a 'start' inside the track",
        "the music starts %gs into '%s', but it is %gs long", t6(mu->start), name, t6(mu->file.duration));
  else if (!mu->loop && avail < v->length - 0.5)
    vsc_warning(s->diags, mu->node->src, mu->node->kw, "add 'loop' to repeat it, or use a longer track",
                "'%s' plays for %gs%s; the video is %gs, so its last %gs have no music", name, t6(avail),
                mu->start > 0 ? " from its 'start'" : "", t6(v->length), t6(v->length - avail));
}

/* The sound track: the music bed, every voice line and the clips that keep their sound. */
static const char *plan_sound(planner *p, plan_parts *pp) {
  vsc_session *s = p->s;
  vsc_video_spec *v = p->v;
  int n = v->nscenes;
  const char **in = vsc_xcalloc(1 + (size_t)pp->nvoice + (size_t)n, sizeof *in);
  int nin = 0;
  json_t *aparams = json_object();
  json_object_set_new(aparams, "length", json_real(t6(v->length)));
  json_object_set_new(aparams, "sample_rate", json_integer(48000));
  json_object_set_new(aparams, "loudness", json_real(-14.0));
  plan_deliver_audio(v, aparams);
  const char *mid = v->music.present ? plan_music(p, pp) : NULL;
  if (mid && !v->music.generate && v->music.path) music_length(p, &v->music);
  if (mid) {
    vsc_music_spec *mu = &v->music;
    json_t *m = json_object();
    json_object_set_new(m, "input", json_integer(nin));
    json_object_set_new(m, "volume", json_real(mu->volume));
    json_object_set_new(m, "fade_in", json_real(mu->fade_in));
    json_object_set_new(m, "fade_out", json_real(mu->fade_out));
    json_object_set_new(m, "loop", json_boolean(mu->loop));
    json_object_set_new(m, "start", json_real(mu->start));
    json_object_set_new(aparams, "music", m);
    in[nin++] = mid;
    if (mu->has_duck) {
      json_t *d = json_object();
      json_object_set_new(d, "amount", json_real(mu->duck));
      json_object_set_new(aparams, "duck", d);
    }
  }
  json_t *voices = json_array();
  for (int k = 0; k < pp->nvoice; k++) {
    json_t *o = json_object();
    json_object_set_new(o, "input", json_integer(nin));
    json_object_set_new(o, "at", json_real(t6(pp->voice_at[k])));
    json_object_set_new(o, "volume", json_real(0.0));
    json_array_append_new(voices, o);
    in[nin++] = pp->voices[k];
  }
  json_object_set_new(aparams, "voices", voices);
  json_t *clips = json_array();
  for (int i = 0; i < n; i++) {
    vsc_scene_spec *sc = &v->scenes[i];
    if (!sc->keep_audio || !pp->srcs[i].id) continue;
    json_t *o = json_object();
    json_object_set_new(o, "input", json_integer(nin));
    json_object_set_new(o, "at", json_real(t6(sc->start)));
    json_object_set_new(o, "offset", json_real(t6(sc->in_point)));
    json_object_set_new(o, "duration", json_real(t6(sc->duration)));
    json_object_set_new(o, "volume", json_real(0.0));
    json_array_append_new(clips, o);
    in[nin++] = pp->srcs[i].id;
  }
  json_object_set_new(aparams, "clips", clips);
  const char *audio = plan_add_node(p, "audio", aparams, NULL, in, nin, NULL, plan_src(s, v->src, v->node->kw));
  free(in);
  return audio;
}

/* The budget: the cheapest the plan could be must fit. Returns the estimated total. */
static double plan_budget(planner *p, const plan_parts *pp) {
  vsc_session *s = p->s;
  vsc_video_spec *v = p->v;
  int n = v->nscenes;
  double total = pp->extra_cost;
  for (int i = 0; i < n; i++) total += pp->cost[i];
  if (v->has_budget && total > v->budget + 1e-9 && !p->several) {
    ERR(v->src, v->node->kw, "raise 'budget', use 'quality draft', or shorten scenes",
        "estimated cost $%.2f is over the budget of $%.2f", total, v->budget);
    for (int i = 0; i < n; i++)
      if (pp->cost[i] > 0)
        vsc_note(s->diags, v->scenes[i].src, v->scenes[i].node->name.span, "scene '%s': $%.3f (%s)", v->scenes[i].name,
                 pp->cost[i], pp->srcs[i].model ? pp->srcs[i].model : "voice");
    if (pp->extra_cost > 0)
      vsc_note(s->diags, v->src, v->node->kw, "music and video-level voice-over: $%.3f", pp->extra_cost);
  }
  return total;
}

static json_t *video_json(planner *p) {
  vsc_session *s = p->s;
  vsc_video_spec *v = p->v;
  json_t *video = json_object();
  json_object_set_new(video, "title", json_string(v->title));
  json_object_set_new(video, "width", json_integer(v->width));
  json_object_set_new(video, "height", json_integer(v->height));
  json_object_set_new(video, "fps", json_integer(v->fps));
  json_object_set_new(video, "length", json_real(t6(v->length)));
  json_object_set_new(video, "budget", v->has_budget ? json_real(v->budget) : json_null());
  json_object_set_new(video, "quality", json_string(v->quality ? "final" : "draft"));
  json_object_set_new(video, "seed", json_integer(v->seed));
  json_object_set_new(video, "provider", json_string(v->provider));
  json_object_set_new(video, "src", json_string(plan_src(s, v->src, v->node->kw)));
  if (v->deliver.present) json_object_set_new(video, "deliver", plan_deliver_json(p));
  if (p->grid) {
    json_object_set_new(video, "tempo", json_real(vsc_round_us(p->grid->tempo)));
    json_object_set_new(video, "meter", json_integer((json_int_t)p->meter));
  }
  return video;
}

static json_t *scenes_json(planner *p, const plan_parts *pp) {
  vsc_session *s = p->s;
  vsc_video_spec *v = p->v;
  int n = v->nscenes;
  json_t *scenes = json_array();
  for (int i = 0; i < n; i++) {
    vsc_scene_spec *sc = &v->scenes[i];
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(sc->name));
    json_object_set_new(o, "start", json_real(t6(sc->start)));
    json_object_set_new(o, "duration", json_real(t6(sc->duration)));
    json_object_set_new(o, "model", pp->srcs[i].model ? json_string(pp->srcs[i].model) : json_null());
    json_object_set_new(o, "estimated_cost", json_real(t6(pp->cost[i])));
    json_object_set_new(o, "src", json_string(plan_src(s, sc->src, sc->node->kw)));
    const char *bb = plan_bar_beat(p, sc->start);
    if (bb) json_object_set_new(o, "bar", json_string(bb));
    if (sc->snap_shift != 0) {
      json_object_set_new(o, "snap", json_real(t6(sc->snap_shift)));
      if (sc->snap_why) json_object_set_new(o, "snap_reason", json_string(sc->snap_why));
    }
    if (sc->transition && i + 1 < n) {
      json_object_set_new(o, "transition", json_string(sc->transition));
      json_object_set_new(o, "transition_duration", json_real(t6(sc->trans_dur)));
    }
    json_array_append_new(scenes, o);
  }
  return scenes;
}

/* The outputs: the video, and subtitle sidecars next to it when there are captions. */
static json_t *outputs_json(planner *p, const char *video) {
  vsc_session *s = p->s;
  vsc_video_spec *v = p->v;
  json_t *outputs = json_object();
  json_object_set_new(outputs, "video", json_string(video));
  for (int f = 0; p->captions && f < 2; f++) {
    const char *fmt = f ? "vtt" : "srt";
    const char **in = vsc_xcalloc(json_array_size(json_object_get(p->captions, "cues")) + 1, sizeof *in);
    int nin = 0;
    json_t *cp = json_pack("{s:s, s:o}", "format", fmt, "cues", vsc_plan_captions_sidecar(p->captions, in, &nin));
    const char *id = plan_add_node(p, "captions", cp, NULL, in, nin, NULL,
                                   plan_src(s, v->captions.node->src, v->captions.node->kw));
    free(in);
    json_object_set_new(outputs, fmt, json_string(id));
  }
  return outputs;
}

/* Plans p->v into p's graph: its timeline, scenes, picture, sound and mux. Fills *r (new
 * references) and returns 0, or -1 when the timeline does not work out (reported). */
int plan_video(planner *p, plan_video_result *r) {
  vsc_session *s = p->s;
  vsc_video_spec *v = p->v;
  memset(r, 0, sizeof *r);
  p->meter = v->music.meter > 0 ? v->music.meter : 4;
  p->grid = NULL;
  p->beat = 0;
  plan_load_grid(p);
  if (s->preview) {
    v->width = (v->width / 2) & ~1;
    v->height = (v->height / 2) & ~1;
    v->gen_width = (v->gen_width / 2) & ~1;
    v->gen_height = (v->gen_height / 2) & ~1;
  }
  if (!plan_timeline(p) || (plan_snap_to_grid(p), !plan_check_transitions(p)) || plan_deliver_resolve(p) < 0) {
    vsc_audio_analysis_free(p->grid);
    p->grid = NULL;
    return -1;
  }
  int n = v->nscenes;
  size_t nvoices = (size_t)v->nvoices;
  for (int i = 0; i < n; i++) nvoices += (size_t)v->scenes[i].nvoices;
  plan_parts pp = {.srcs = vsc_xcalloc((size_t)n + 1, sizeof *pp.srcs),
                   .cost = vsc_xcalloc((size_t)n + 1, sizeof *pp.cost),
                   .max = vsc_xcalloc((size_t)n + 1, sizeof *pp.max),
                   .voices = vsc_xcalloc(nvoices + 1, sizeof *pp.voices),
                   .voice_at = vsc_xcalloc(nvoices + 1, sizeof *pp.voice_at)};
  plan_scenes(p, &pp);
  const char **aligns = plan_aligns(p, &pp);
  p->captions = vsc_plan_captions(v, aligns);
  free(aligns);
  const char *picture = plan_picture(p, &pp);
  const char *sound = plan_sound(p, &pp);
  json_t *mparams = json_object();
  json_object_set_new(mparams, "faststart", json_true());
  plan_deliver_mux(v, mparams);
  const char *mux_in[2] = {picture, sound};
  const char *mux = plan_add_node(p, "mux", mparams, NULL, mux_in, 2, NULL, plan_src(s, v->src, v->node->kw));
  r->total = plan_budget(p, &pp);
  r->video = video_json(p);
  r->scenes = scenes_json(p, &pp);
  r->outputs = outputs_json(p, mux);
  free(pp.srcs);
  free(pp.cost);
  free(pp.max);
  free(pp.voices);
  free(pp.voice_at);
  json_decref(p->captions);
  p->captions = NULL;
  vsc_audio_analysis_free(p->grid);
  p->grid = NULL;
  return 0;
}

int vsc_plan(vsc_session *s, vsc_video_spec *v, json_t **out) {
  planner P = {.s = s, .v = v, .nodes = json_array(), .by_id = json_object()};
  planner *p = &P;
  plan_video_result r;
  if (plan_video(p, &r) != 0) {
    json_decref(p->nodes);
    json_decref(p->by_id);
    return -1;
  }
  json_t *ir = json_object();
  json_object_set_new(ir, "format", json_string("vsc-ir"));
  json_object_set_new(ir, "version", json_integer(VSC_IR_VERSION));
  json_object_set_new(ir, "root", json_string(s->root_dir));
  json_object_set_new(ir, "video", r.video);
  json_object_set_new(ir, "scenes", r.scenes);
  json_object_set_new(ir, "nodes", p->nodes);
  json_object_set_new(ir, "outputs", r.outputs);
  json_object_set_new(ir, "estimated_cost", json_real(t6(r.total)));
  json_decref(p->by_id);
  if (vsc_diag_error_count(s->diags)) {
    json_decref(ir);
    return -1;
  }
  *out = ir;
  return 0;
}
