/* Internal interface of the planner (compiler/plan): the state one vsc_plan call shares
 * between its stages, in the order they run:
 *   grid.c      the beat grid (declared tempo or analysed music)
 *   timeline.c  scene starts and lengths, snapping, transitions
 *   graph.c     per scene: shot, voice lines, segments (with registry/ choosing models)
 *   nodes.c     nodes, their content ids and resolved provider calls
 *   deliver.c   delivery settings into the params of the nodes they affect
 *   plan.c      vsc_plan: the stages above, the sound track, the budget, the IR document
 *   formats.c   vsc_plan_formats: one plan per format in one graph (shared nodes once)
 * Only compiler/plan includes it; the planner's public entry point is plan/plan.h. */
#ifndef VSC_PLANNER_H
#define VSC_PLANNER_H

#include <jansson.h>
#include <stdbool.h>

#include "ir/ir.h"
#include "registry/call.h"
#include "plan/plan.h"
#include "registry/registry.h"
#include "vsc/vsc_audio.h"
#include "vsc/vsc_clock.h"

#define ERR(src, span, hint, ...) vsc_error(s->diags, VSC_STAGE_CHECK, src, span, hint, __VA_ARGS__)

typedef struct {
  vsc_session *s;
  vsc_video_spec *v;
  json_t *nodes;
  vsc_audio_analysis *grid; /* beats, bars and sections of the music, or NULL */
  double beat;              /* seconds per beat on average (0 = no grid) */
  double meter;
  json_t *by_id;    /* id -> node, so identical work is one node */
  json_t *captions; /* the caption object with every cue, or NULL */
  bool several;     /* one of several formats: the budget is checked on their sum (formats.c) */
} planner;

/* What makes a scene's picture. */
typedef struct {
  const char *id;   /* node that makes the picture, or NULL (colour card) */
  const char *type; /* clip | image | color */
  double clip_len;  /* length of a clip source */
  double in_point;
  double shot_len;
  double clip_start; /* timeline time the source starts playing */
  double cost, cost_max;
  const char *model;
} scene_source;

/* Times are written to the IR rounded to the microsecond. */
static inline double t6(double t) { return vsc_round_us(t); }

/* ---- nodes.c ---- */
/* "file:line:col" of a span, for a node's `src`. */
const char *plan_src(vsc_session *s, vsc_source *src, vsc_span span);
/* A node not yet in the graph; steals `params`. plan_commit_node gives it its id. */
json_t *plan_new_node(const char *op, json_t *params, const char *model, const char *const *inputs, int ninputs,
                      const char *scene, const char *src);
/* Hashes a new node and appends it (steals it); the same work twice is one node. Returns the
 * node's id (owned by the graph). */
const char *plan_commit_node(planner *p, json_t *n);
const char *plan_add_node(planner *p, const char *op, json_t *params, const char *model, const char *const *inputs,
                          int ninputs, const char *scene, const char *src);
void plan_set_cost(json_t *node, double estimate, double max);
void plan_set_retry(json_t *node);
json_t *plan_color(uint32_t rgb);
/* Sets a paid node's call (model m), cost, retry policy and fallbacks; returns its price. */
vsc_price plan_resolve_calls(planner *p, json_t *node, const vsc_model_decl *m, vsc_call_need *need,
                             vsc_scene_spec *sc);

/* ---- plan.c ---- */
/* What planning one video adds to the graph (new references). */
typedef struct {
  json_t *video, *scenes, *outputs; /* the IR's objects of that name */
  double total;                     /* its estimated cost, shared nodes included */
} plan_video_result;
int plan_video(planner *p, plan_video_result *r);

/* ---- formats.c ---- */
/* The frame scene sc's generations are made at: the master frame, shared by every format,
** or this format's own when the scene regenerates per format. */
void plan_gen_frame(const planner *p, const vsc_scene_spec *sc, int *w, int *h);
/* The frame model m (or NULL) makes scene sc's picture at: plan_gen_frame's, or, with several
** formats when m cannot make that shape, m's own shape closest to it (every format reframes). */
void plan_model_frame(const planner *p, const vsc_scene_spec *sc, const vsc_model_decl *m, int *w, int *h);
/* Adds "focus": [x, y] to a layer or animate object when the scene moved it off the centre. */
void plan_set_focus(json_t *obj, const vsc_scene_spec *sc);

/* ---- grid.c ---- */
double plan_grid_time(const double *pts, size_t n, double period, long i);
long plan_grid_index(const double *pts, size_t n, double period, double t);
/* The time `count` beats (or bars) after t, counted on the grid from the first downbeat. */
double plan_grid_after(planner *p, double t, double count, bool bars);
void plan_load_grid(planner *p);
/* "bar:beat" of time t, or NULL before the first downbeat or without a grid. */
const char *plan_bar_beat(planner *p, double t);

/* ---- timeline.c ---- */
bool plan_timeline(planner *p);
void plan_snap_to_grid(planner *p);
bool plan_check_transitions(planner *p);

/* ---- graph.c ---- */
const vsc_model_decl *plan_pick_model(planner *p, vsc_scene_spec *sc, const char *default_class, double seconds,
                                      size_t chars, bool explicit_applies);
const char *plan_asset(planner *p, const char *path, const char *rel, const char *media, vsc_source *src,
                       vsc_span span, const char *scene);
scene_source plan_shot(planner *p, vsc_scene_spec *sc, double shot_len);
const char *plan_segment(planner *p, const char *kind, int f0, int f1, const char *transition,
                         const vsc_scene_spec *a, const scene_source *sa, const vsc_scene_spec *b,
                         const scene_source *sb);
const char *plan_tts(planner *p, const vsc_voice_spec *vo, vsc_scene_spec *sc, double *cost, double *cost_max);

/* ---- deliver.c ---- */
/* After the timeline: a max_size becomes a cap on the picture's bit rate (an error when it
** leaves too little). Returns 0 or -1. */
int plan_deliver_resolve(planner *p);
void plan_deliver_encode(const vsc_session *s, const vsc_video_spec *v, json_t *encode);
void plan_deliver_audio(const vsc_video_spec *v, json_t *aparams);
void plan_deliver_mux(const vsc_video_spec *v, json_t *mparams);
/* The IR's video.deliver object (new ref). */
json_t *plan_deliver_json(planner *p);

#endif
