/* The planner. See docs/ir.md for the timeline model and the ops it emits. */
#include "plan/plan.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "driver/lock.h"
#include "ir/ir.h"
#include "plan/call.h"
#include "vsc/vsc_audio.h"
#include "vsc/vsc_speech.h"

#define ERR(src, span, hint, ...) vsc_error(s->diags, VSC_STAGE_CHECK, src, span, hint, __VA_ARGS__)

typedef struct {
  vsc_session *s;
  vsc_video_spec *v;
  json_t *nodes;
  vsc_audio_analysis *grid; /* beats, bars and sections of the music, or NULL */
  double beat;              /* seconds per beat on average (0 = no grid) */
  double meter;
  json_t *by_id; /* id -> node, so identical work is one node */
  json_t *captions; /* the caption object with every cue, or NULL */
} planner;

/* ---- nodes ------------------------------------------------------------------------- */

static const char *src_of(vsc_session *s, vsc_source *src, vsc_span span) {
  uint32_t line, col;
  vsc_source_position(src, span.off, &line, &col);
  return vsc_arena_printf(s->arena, "%s:%u:%u", src->name, line, col);
}

/* A node not yet in the graph; steals `params`. commit_node gives it its id. */
static json_t *new_node(const char *op, json_t *params, const char *model, const char *const *inputs,
                        int ninputs, const char *scene, const char *src) {
  json_t *n = json_object();
  json_t *in = json_array();
  for (int i = 0; i < ninputs; i++) json_array_append_new(in, json_string(inputs[i]));
  json_object_set_new(n, "op", json_string(op));
  json_object_set_new(n, "inputs", in);
  json_object_set_new(n, "params", params);
  if (model) json_object_set_new(n, "model", json_string(model));
  if (scene) json_object_set_new(n, "scene", json_string(scene));
  if (src) json_object_set_new(n, "src", json_string(src));
  return n;
}

/* Hashes a new node and appends it (steals it). The same work twice (two scenes using one
 * file) is one node: ids are content. Returns the node's id (owned by the graph). */
static const char *commit_node(planner *p, json_t *n) {
  char id[65];
  vsc_ir_node_id(n, id);
  json_t *existing = json_object_get(p->by_id, id);
  if (existing) {
    json_decref(n);
    return json_string_value(json_object_get(existing, "id"));
  }
  json_object_set_new(n, "id", json_string(id));
  json_array_append_new(p->nodes, n);
  json_object_set(p->by_id, id, n);
  return json_string_value(json_object_get(n, "id"));
}

static const char *add_node(planner *p, const char *op, json_t *params, const char *model,
                            const char *const *inputs, int ninputs, const char *scene, const char *src) {
  return commit_node(p, new_node(op, params, model, inputs, ninputs, scene, src));
}


static void set_cost(json_t *node, double estimate, double max) {
  json_t *c = json_object();
  json_object_set_new(c, "estimate", json_real(vsc_round_us(estimate)));
  json_object_set_new(c, "max", json_real(vsc_round_us(max)));
  json_object_set_new(node, "cost", c);
}

static void set_retry(json_t *node) {
  json_t *r = json_object();
  json_object_set_new(r, "attempts", json_integer(3));
  json_object_set_new(r, "backoff", json_real(2.0));
  json_object_set_new(node, "retry", r);
}

static json_t *color_json(uint32_t rgb) {
  char b[8];
  snprintf(b, sizeof b, "#%06x", rgb & 0xffffff);
  return json_string(b);
}

static double t6(double t) { return vsc_round_us(t); }

/* ---- models and cost -------------------------------------------------------------- */

static int gcd(int a, int b) { return b ? gcd(b, a % b) : a; }

static const char *aspect_string(vsc_session *s, int w, int h) {
  int g = gcd(w, h);
  return vsc_arena_printf(s->arena, "%d:%d", w / g, h / g);
}

static bool model_supports_aspect(const vsc_model_decl *m, int w, int h) {
  if (!m->naspects) return true;
  double want = (double)w / h;
  for (int i = 0; i < m->naspects; i++)
    if (fabs(m->aspects[i][0] / m->aspects[i][1] - want) < 0.02) return true;
  return false;
}

/* Expected price of one call of m (for choosing between models). */
static double model_cost(const vsc_model_decl *m, double seconds, size_t characters) {
  vsc_call_need need = {.seconds = seconds, .characters = characters};
  vsc_price pr;
  vsc_call_price(&pr, m, &need);
  return pr.estimate;
}

typedef struct {
  const char *klass;        /* wanted class */
  const vsc_model_decl *explicit_model;
  bool final;
  double seconds;
  size_t characters;
} model_need;

/* Picks a model of the class: right tier first, able to make the frame, then cheapest. */
static const vsc_model_decl *choose_model(planner *p, const model_need *need) {
  if (need->explicit_model) return need->explicit_model;
  vsc_session *s = p->s;
  const vsc_model_decl *best = NULL;
  int best_rank = 99;
  double best_cost = 0;
  for (int i = 0; i < s->nmodels; i++) {
    const vsc_model_decl *m = s->models[i];
    if (strcmp(m->klass, need->klass) != 0) continue;
    /* Must make the frame; should make the whole shot; should be of the tier. */
    int rank = 0;
    if (!model_supports_aspect(m, p->v->width, p->v->height)) rank += 4;
    if (need->seconds > 0 && vsc_call_duration(m, need->seconds) < need->seconds - 1e-6) rank += 2;
    if ((strcmp(m->tier, "final") == 0) != need->final) rank += 1;
    double cost = model_cost(m, need->seconds, need->characters);
    if (!best || rank < best_rank || (rank == best_rank && cost < best_cost)) {
      best = m;
      best_rank = rank;
      best_cost = cost;
    }
  }
  return best && best_rank < 4 ? best : NULL;
}

/* The version a model runs at: the lock's (vsc models pull) or else the registry's; NULL
 * floats (the provider runs its latest). A lock that disagrees with the registry wins, with a
 * warning at the scene that uses the model. */
static const char *pinned_version(planner *p, const vsc_model_decl *m, vsc_scene_spec *sc) {
  vsc_session *s = p->s;
  vsc_lock_entry lk;
  char lerr[4400];
  const char *version = m->version;
  if (vsc_lock_find(&lk, s->root_dir, m->ref, lerr, sizeof lerr) > 0) {
    if (lk.version[0]) {
      if (m->version && strcmp(m->version, lk.version) != 0 && sc && sc->node)
        vsc_warning(s->diags, sc->src, sc->model_node ? sc->model_node->kw : sc->node->kw,
                    "'vsc models pull' refreshes the lock; or update the registry's 'version'",
                    "'%s' is locked at version %.12s in %s, but the registry pins %.12s; the lock wins",
                    m->ref, lk.version, lk.path, m->version);
      version = vsc_arena_strdup(s->arena, lk.version);
    }
    vsc_lock_entry_clear(&lk);
  }
  return version;
}

/* Sets the node's call (model m), its cost, retry policy and fallbacks resolved the same way;
 * then gives the node its id. Returns the node's cost rule. */
static vsc_price resolve_calls(planner *p, json_t *node, const vsc_model_decl *m, vsc_call_need *need,
                               vsc_scene_spec *sc) {
  vsc_price pr;
  vsc_call_price(&pr, m, need);
  json_object_set_new(node, "call", vsc_call_json(m, need, pinned_version(p, m, sc)));
  set_cost(node, pr.estimate, pr.max);
  set_retry(node);
  if (m->nfallbacks) {
    json_t *arr = json_array();
    for (int i = 0; i < m->nfallbacks; i++) {
      const vsc_model_decl *f = m->fallbacks[i] ? vsc_check_find_model(p->s, m->fallbacks[i]) : NULL;
      if (f) json_array_append_new(arr, vsc_call_json(f, need, pinned_version(p, f, sc)));
    }
    json_object_set_new(node, "fallbacks", arr);
  }
  return pr;
}

/* Checks `with { … }` against the model's parameter schema: the registry's `param` lines and,
 * when vsc.lock.json next to the script locks this model (`vsc models pull`), the input schema
 * the provider published. Without a lock file only the registry is consulted. */
static void check_params(planner *p, vsc_scene_spec *sc, const vsc_model_decl *m) {
  vsc_session *s = p->s;
  vsc_lock_entry lk;
  char lerr[4400] = "", lhint[4400] = "", what[600];
  int locked = vsc_lock_find(&lk, s->root_dir, m->ref, lerr, sizeof lerr);
  vsc_span at = sc->with_node ? sc->with_node->kw : sc->model_node ? sc->model_node->kw : sc->shot_node->kw;
  if (locked < 0)
    ERR(sc->src, at, "fix or delete the file; 'vsc models pull' writes it", "cannot use the lock file: %s", lerr);
  if (locked > 0)
    snprintf(lhint, sizeof lhint, "locked in %s (version %.12s); 'vsc models pull %s' refreshes it", lk.path,
             lk.version[0] ? lk.version : "unknown", m->ref);
  const char *key;
  json_t *value;
  if (sc->with) json_object_foreach(sc->with, key, value) {
    vsc_ast *a = sc->with_node->body.head;
    for (; a; a = a->next)
      if (strcmp(a->name.str, key) == 0) break;
    vsc_span span = a ? a->name.span : sc->with_node->kw;
    vsc_span vspan = a ? a->vals[0].span : span;
    const vsc_param_decl *pd = NULL;
    for (int i = 0; i < m->nparams; i++)
      if (strcmp(m->params[i].name, key) == 0) pd = &m->params[i];
    if (!pd) {
      const char *names[32];
      for (int i = 0; i < m->nparams; i++) names[i] = m->params[i].name;
      const char *close = vsc_closest(key, names, (size_t)m->nparams);
      char h[128];
      if (close) snprintf(h, sizeof h, "did you mean '%s'?", close);
      else snprintf(h, sizeof h, "'vsc models' lists the parameters of '%s'", m->name);
      ERR(sc->src, span, h, "model '%s' has no parameter '%s'", m->ref, key);
      continue;
    }
    const char *t = pd->type;
    bool ok = strcmp(t, "string") == 0 || strcmp(t, "file") == 0 ? json_is_string(value)
              : strcmp(t, "int") == 0                              ? json_is_integer(value)
              : strcmp(t, "number") == 0                           ? json_is_number(value)
              : strcmp(t, "bool") == 0                             ? json_is_boolean(value)
                                                                   : true;
    if (!ok) {
      ERR(sc->src, vspan, NULL, "parameter '%s' of '%s' must be %s %s", key, m->ref,
          strcmp(t, "int") == 0 ? "an" : "a", strcmp(t, "int") == 0 ? "integer" : t);
      continue;
    }
    if (json_is_number(value)) {
      double x = json_number_value(value);
      if ((pd->has_min && x < pd->min) || (pd->has_max && x > pd->max)) {
        char h[96];
        snprintf(h, sizeof h, "'%s' ranges from %g to %g", key, pd->has_min ? pd->min : -INFINITY,
                 pd->has_max ? pd->max : INFINITY);
        ERR(sc->src, vspan, h, "parameter '%s' = %g is out of range", key, x);
        continue;
      }
    }
    if (pd->enums && json_array_size(pd->enums)) {
      bool found = false;
      size_t i;
      json_t *e;
      json_array_foreach(pd->enums, i, e) if (json_equal(e, value)) found = true;
      if (!found) {
        char *list = json_dumps(pd->enums, JSON_COMPACT | JSON_ENCODE_ANY);
        ERR(sc->src, vspan, NULL, "parameter '%s' must be one of %s", key, list);
        free(list);
        continue;
      }
    }
    if (locked <= 0) continue;
    /* The registry accepts it; so must the schema the provider published. */
    switch (vsc_lock_check_param(lk.input, key, value, what, sizeof what)) {
    case VSC_LOCK_PARAM_OK: break;
    case VSC_LOCK_PARAM_UNKNOWN:
      ERR(sc->src, span, lhint, "model '%s' has no parameter '%s' in its locked schema", m->ref, key);
      break;
    case VSC_LOCK_PARAM_TYPE:
      ERR(sc->src, vspan, lhint, "parameter '%s' of '%s' must be %s (locked schema)", key, m->ref, what);
      break;
    case VSC_LOCK_PARAM_ENUM:
      ERR(sc->src, vspan, lhint, "parameter '%s' must be %s (locked schema of '%s')", key, what, m->ref);
      break;
    case VSC_LOCK_PARAM_RANGE: {
      char h[4600];
      snprintf(h, sizeof h, "'%s' ranges %s; %s", key, what, lhint);
      ERR(sc->src, vspan, h, "parameter '%s' = %g is out of range (locked schema of '%s')", key,
          json_number_value(value), m->ref);
      break;
    }
    }
  }
  for (int i = 0; sc->with && i < m->nparams; i++) {
    const vsc_param_decl *pd = &m->params[i];
    if (!pd->required) continue;
    bool generic = false;
    for (int k = 0; k < m->ninputs; k++)
      if (strcmp(m->input_names[1][k], pd->name) == 0) generic = true;
    if (!generic && !json_object_get(sc->with, pd->name))
      ERR(sc->src, sc->with_node->kw, NULL, "model '%s' needs parameter '%s'", m->ref, pd->name);
  }
  /* Inputs the locked schema requires that neither vsc's generic fields nor `with` give (a
   * registry `required` line was reported above). */
  const char *req;
  for (size_t i = 0; locked > 0 && (req = vsc_lock_required(lk.input, i)) != NULL; i++) {
    bool given = sc->with && json_object_get(sc->with, req);
    for (int k = 0; k < m->ninputs && !given; k++)
      if (strcmp(m->input_names[1][k], req) == 0) given = true;
    for (int k = 0; k < m->nparams && !given; k++)
      if (strcmp(m->params[k].name, req) == 0 && m->params[k].required && sc->with) given = true;
    if (!given) ERR(sc->src, at, lhint, "model '%s' needs parameter '%s' (locked schema)", m->ref, req);
  }
  if (locked > 0) vsc_lock_entry_clear(&lk);
}

/* ---- the beat grid ---------------------------------------------------------------------- */

/* Time of grid point `i` (beats or downbeats), extrapolating past either end. */
static double grid_time(const double *pts, size_t n, double period, long i) {
  if (n == 0) return (double)i * period;
  if (i < 0) return pts[0] + (double)i * period;
  if ((size_t)i < n) return pts[i];
  return pts[n - 1] + (double)(i - (long)n + 1) * period;
}

/* Index of the grid point nearest to t. */
static long grid_index(const double *pts, size_t n, double period, double t) {
  if (n == 0) return lround(t / period);
  if (t <= pts[0]) return lround((t - pts[0]) / period);
  if (t >= pts[n - 1]) return (long)n - 1 + lround((t - pts[n - 1]) / period);
  size_t lo = 0, hi = n - 1;
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (pts[mid] <= t) lo = mid;
    else hi = mid;
  }
  return t - pts[lo] <= pts[hi] - t ? (long)lo : (long)hi;
}

/* The time `count` beats (or bars) after t, counted on the grid. Before the first downbeat
 * (an offset, a pickup, a silent intro) counting starts at the first downbeat: bar 1 is
 * the first whole bar, as musicians count. */
static double grid_after(planner *p, double t, double count, bool bars) {
  const vsc_audio_analysis *g = p->grid;
  const double *pts = bars ? g->downbeats : g->beats;
  size_t n = bars ? g->ndownbeats : g->nbeats;
  double period = p->beat * (bars ? p->meter : 1);
  long i = grid_index(pts, n, period, t);
  if (g->ndownbeats && t < g->downbeats[0] - 1e-6) {
    i = grid_index(pts, n, period, g->downbeats[0]);
    t = grid_time(pts, n, period, i);
  }
  double whole = floor(count);
  double end = grid_time(pts, n, period, i + (long)whole);
  if (count > whole) end += (count - whole) * (grid_time(pts, n, period, i + (long)whole + 1) - end);
  /* A scene that starts off the grid keeps its offset. */
  return end + (t - grid_time(pts, n, period, i));
}

/* Loads the grid: a declared tempo wins; otherwise the music file is analysed. */
static void load_grid(planner *p) {
  vsc_session *s = p->s;
  vsc_music_spec *mu = &p->v->music;
  if (!mu->present) return;
  char err[512];
  double horizon = (p->v->has_length ? p->v->length : 3600) + 60;
  if (mu->has_tempo) {
    if (vsc_audio_grid(&p->grid, mu->tempo, (int)mu->meter, mu->offset, horizon, err, sizeof err) != 0) p->grid = NULL;
  } else if (mu->path) {
    vsc_audio_options opts = VSC_AUDIO_OPTIONS_INIT;
    const char *cache = s->cache_dir ? s->cache_dir : vsc_arena_printf(s->arena, "%s/.vsc", s->root_dir);
    opts.cache_dir = cache;
    if (mu->meter != 4) opts.meter = (int)mu->meter;
    vsc_audio_analysis *a = NULL;
    if (vsc_audio_analyze(&a, mu->path, &opts, err, sizeof err) != 0) {
      vsc_warning(s->diags, mu->node->src, mu->node->vals[0].span, "declare 'tempo 120' in the music block",
                  "cannot analyse the music: %s; beat timing is unavailable", err);
      return;
    }
    if (a->confidence < VSC_AUDIO_LOW_CONFIDENCE || a->nbeats < 2) {
      double bpm = a->tempo > 0 ? a->tempo : 120;
      vsc_warning(s->diags, mu->node->src, mu->node->vals[0].span, "declare 'tempo' (and 'offset') in the music block to fix it",
                  "the beat analysis is unsure (confidence %.2f); using a steady %.1f bpm grid", a->confidence, bpm);
      vsc_audio_analysis *g = NULL;
      double first = a->nbeats ? a->beats[0] : 0;
      if (vsc_audio_grid(&g, bpm, a->meter > 0 ? a->meter : 4, first, horizon, err, sizeof err) == 0) {
        /* Keep the analysed sections; only the beats are replaced. */
        vsc_audio_section *keep = a->sections;
        size_t nkeep = a->nsections;
        a->sections = g->sections;
        a->nsections = g->nsections;
        g->sections = keep;
        g->nsections = nkeep;
        vsc_audio_analysis_free(a);
        a = g;
      }
    }
    p->grid = a;
    if (a->meter > 0) p->meter = a->meter;
  }
  if (p->grid) {
    p->beat = p->grid->tempo > 0 ? 60.0 / p->grid->tempo : 0.5;
    if (p->grid->meter > 0) p->meter = p->grid->meter;
  }
}

/* ---- timing --------------------------------------------------------------------------- */

/* Analysed sections are named by label and occurrence: A, B, A2, B2, … */
static const char *analysed_section_name(planner *p, size_t i) {
  const vsc_audio_analysis *g = p->grid;
  int occurrence = 1;
  for (size_t k = 0; k < i; k++)
    if (strcmp(g->sections[k].label, g->sections[i].label) == 0) occurrence++;
  if (occurrence == 1) return g->sections[i].label;
  return vsc_arena_printf(p->s->arena, "%s%d", g->sections[i].label, occurrence);
}

/* Declared sections win over analysed ones. */
static double section_time(planner *p, const char *name, bool *found) {
  for (int i = 0; i < p->v->music.nsections; i++)
    if (strcmp(p->v->music.sections[i].name, name) == 0) {
      *found = true;
      return p->v->music.sections[i].at;
    }
  if (p->grid && !p->v->music.has_tempo)
    for (size_t i = 0; i < p->grid->nsections; i++)
      if (strcmp(analysed_section_name(p, i), name) == 0) {
        *found = true;
        return p->grid->sections[i].start;
      }
  *found = false;
  return 0;
}

static bool resolve_timeline(planner *p) {
  vsc_session *s = p->s;
  vsc_video_spec *v = p->v;
  bool ok = true;
  int rest = -1;
  double t = 0, fixed = 0;
  for (int i = 0; i < v->nscenes; i++) {
    vsc_scene_spec *sc = &v->scenes[i];
    sc->start = t;
    switch (sc->dur_kind) {
    case DUR_NONE: sc->duration = 5.0; break;
    case DUR_TIME: sc->duration = sc->dur_value; break;
    case DUR_BEATS:
    case DUR_BARS:
      if (!p->beat) {
        ERR(sc->src, sc->dur_span, "declare the tempo: music \"…\" { tempo 120 }",
            "'%g %s' needs a tempo", sc->dur_value, sc->dur_kind == DUR_BEATS ? "beats" : "bars");
        ok = false;
        sc->duration = 1;
      } else {
        sc->duration = grid_after(p, t, sc->dur_value, sc->dur_kind == DUR_BARS) - t;
      }
      break;
    case DUR_VOICE: {
      double end = 0;
      for (int k = 0; k < sc->nvoices; k++) {
        double spoken = vsc_speech_length(sc->voices[k].text, sc->voices[k].voice, 1.0);
        if (sc->voices[k].at + spoken > end) end = sc->voices[k].at + spoken;
      }
      if (!sc->nvoices) {
        ERR(sc->src, sc->dur_span, "add a 'voice \"…\"' line, or give a duration", "scene '%s' lasts as long as its voice-over, but has none",
            sc->name);
        ok = false;
        end = 1;
      }
      /* A breath after the last line, rounded to a frame. */
      sc->duration = round((end + 0.6) * v->fps) / v->fps;
      break;
    }
    case DUR_UNTIL: {
      bool found;
      double at = section_time(p, sc->until, &found);
      if (!found) {
        const char *names[64];
        size_t nn = 0;
        for (int k = 0; k < v->music.nsections; k++) names[nn++] = v->music.sections[k].name;
        for (size_t k = 0; p->grid && !v->music.has_tempo && k < p->grid->nsections && nn < 64; k++)
          names[nn++] = analysed_section_name(p, k);
        const char *close = vsc_closest(sc->until, names, nn);
        char h[160];
        if (close) snprintf(h, sizeof h, "did you mean '%s'?", close);
        else if (nn) snprintf(h, sizeof h, "the sections are: %s%s%s%s", names[0], nn > 1 ? ", " : "", nn > 1 ? names[1] : "", nn > 2 ? ", …" : "");
        else snprintf(h, sizeof h, "declare it: music \"…\" { section %s at 16s }", sc->until);
        ERR(sc->src, sc->dur_span, h, "unknown section '%s'", sc->until);
        ok = false;
        sc->duration = 1;
      } else if (rest >= 0) {
        ERR(sc->src, sc->dur_span, "give the earlier scene a duration", "'until %s' cannot follow a 'rest' scene", sc->until);
        ok = false;
        sc->duration = 1;
      } else if (at <= t + 1e-6) {
        ERR(sc->src, sc->dur_span, NULL, "section '%s' starts at %gs, before scene '%s' starts (%gs)", sc->until, at,
            sc->name, t6(t));
        ok = false;
        sc->duration = 1;
      } else {
        /* On a beat grid the cut lands on the beat nearest the section start (declared
         * times are approximate); never at or before the scene's own start. */
        double land = at;
        if (p->grid && p->beat && p->grid->nbeats) {
          double b = grid_time(p->grid->beats, p->grid->nbeats, p->beat,
                               grid_index(p->grid->beats, p->grid->nbeats, p->beat, at));
          if (b > t + 1e-6 && fabs(b - at) > 1e-6) land = b;
        }
        sc->duration = land - t;
        if (i + 1 < v->nscenes && land != at) {
          v->scenes[i + 1].snap_shift = land - at;
          v->scenes[i + 1].snap_why = vsc_arena_printf(s->arena, "the beat nearest section '%s' (%gs)", sc->until, t6(at));
        }
      }
      break;
    }
    case DUR_REST:
      rest = i;
      sc->duration = 0;
      break;
    }
    if (sc->dur_kind != DUR_REST) fixed += sc->duration;
    t += sc->duration;
  }
  if (!ok) return false;
  if (!v->has_length) {
    if (rest >= 0) {
      ERR(v->scenes[rest].src, v->scenes[rest].dur_span, "add e.g. 'length 30s' to the video", "'rest' needs the video's length");
      return false;
    }
    v->length = fixed;
  } else if (rest >= 0) {
    double left = v->length - fixed;
    if (left < 0.1) {
      ERR(v->scenes[rest].src, v->scenes[rest].dur_span, NULL,
          "no time left for 'rest': the other scenes take %gs of the %gs length", t6(fixed), v->length);
      return false;
    }
    v->scenes[rest].duration = left;
  } else if (fabs(fixed - v->length) > 0.5 / v->fps) {
    vsc_scene_spec *last = &v->scenes[v->nscenes - 1];
    char h[160];
    snprintf(h, sizeof h, "make one scene 'rest', or set 'length %gs'", t6(fixed));
    vsc_ast *at = v->length_node ? v->length_node : v->node;
    ERR(at->src, at->span, h, "scene durations add up to %gs but the video's length is %gs", t6(fixed), v->length);
    vsc_note(s->diags, last->src, last->node->name.span, "the last scene ends at %gs", t6(fixed));
    return false;
  }
  /* Starts again, now that 'rest' is known. */
  t = 0;
  for (int i = 0; i < v->nscenes; i++) {
    v->scenes[i].start = t;
    t += v->scenes[i].duration;
  }
  return true;
}

/* `cut on beats|bars`: every boundary moves to the nearest grid point, but never back
 * over a declared section start it had reached, and never so far that a scene empties.
 * Each move keeps its reason for `vsc plan`. */
static void snap_to_grid(planner *p) {
  vsc_video_spec *v = p->v;
  if (!v->music.cut_on || !p->grid) return;
  bool bars = strcmp(v->music.cut_on, "bars") == 0;
  const double *pts = bars ? p->grid->downbeats : p->grid->beats;
  size_t npts = bars ? p->grid->ndownbeats : p->grid->nbeats;
  double step = p->beat * (bars ? p->meter : 1);
  const char *unit = bars ? "bar" : "beat";
  double prev = 0;
  for (int i = 0; i + 1 < v->nscenes; i++) {
    vsc_scene_spec *next = &v->scenes[i + 1];
    double b = v->scenes[i].start + v->scenes[i].duration;
    double moved = next->snap_shift; /* an earlier move (until: the nearest beat) */
    long k = grid_index(pts, npts, step, b);
    double snapped = grid_time(pts, npts, step, k);
    const char *why = vsc_arena_printf(p->s->arena, "the nearest %s", unit);
    /* The latest declared section this boundary has reached. */
    const vsc_section *sec = NULL;
    for (int j = 0; j < v->music.nsections; j++) {
      const vsc_section *c = &v->music.sections[j];
      if (c->at <= b + 1e-6 && (!sec || c->at > sec->at)) sec = c;
    }
    while (sec && snapped < sec->at - 1e-6) {
      snapped = grid_time(pts, npts, step, ++k);
      why = vsc_arena_printf(p->s->arena, "the first %s of section '%s' (%gs)", unit, sec->name, t6(sec->at));
    }
    if (snapped <= prev + step * 0.5) { /* never empty a scene */
      snapped = grid_time(pts, npts, step, k + 1);
      why = vsc_arena_printf(p->s->arena, "the next %s (the nearest would empty scene '%s')", unit, v->scenes[i].name);
    }
    if (snapped >= v->length) {
      snapped = b;
      why = NULL;
    }
    if (fabs(snapped - b) > 1e-9) {
      next->snap_shift = moved + (snapped - b);
      next->snap_why = moved != 0 && next->snap_why
                           ? vsc_arena_printf(p->s->arena, "%s, then %s", next->snap_why, why)
                           : why;
    }
    v->scenes[i].duration = snapped - v->scenes[i].start;
    next->start = snapped;
    prev = snapped;
  }
  vsc_scene_spec *last = &v->scenes[v->nscenes - 1];
  last->duration = v->length - last->start;
}

static bool check_transitions(planner *p) {
  vsc_session *s = p->s;
  vsc_video_spec *v = p->v;
  bool ok = true;
  for (int i = 0; i + 1 < v->nscenes; i++) {
    vsc_scene_spec *a = &v->scenes[i], *b = &v->scenes[i + 1];
    double o = a->transition ? a->trans_dur : 0;
    if (o <= 0) continue;
    double a_in = i > 0 && v->scenes[i - 1].transition ? v->scenes[i - 1].trans_dur : 0;
    double b_out = b->transition ? b->trans_dur : 0;
    const vsc_scene_spec *too_short = NULL;
    if (o / 2 + a_in / 2 > a->duration + 1e-9) too_short = a;
    else if (o / 2 + b_out / 2 > b->duration + 1e-9) too_short = b;
    if (too_short) {
      ERR(a->src, a->then_node->span, "shorten the transition or lengthen the scene",
          "transition '%s' (%gs) is longer than scene '%s' (%gs) can hold", a->transition, o, too_short->name,
          t6(too_short->duration));
      ok = false;
    }
  }
  return ok;
}

/* ---- building the graph ------------------------------------------------------------- */

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
  for (int i = 0; i < v->style.npalette; i++) json_array_append_new(a, color_json(v->style.palette[i]));
  return a;
}

typedef struct {
  const char *id;          /* node that makes the picture, or NULL (colour card) */
  const char *type;        /* clip | image | color */
  double clip_len;         /* length of a clip source */
  double in_point;
  double shot_len;
  double clip_start;       /* timeline time the source starts playing */
  double cost, cost_max;
  const char *model;
} scene_source;

static const char *asset_node(planner *p, const char *path, const char *rel, const char *media, vsc_source *src,
                              vsc_span span, const char *scene);

/* The media kind of a file by its name, for `asset` nodes of file parameters. */
static const char *file_media(const char *path) {
  const char *dot = strrchr(path, '.');
  static const char *const kinds[][2] = {
      {".png", "image"}, {".jpg", "image"}, {".jpeg", "image"}, {".webp", "image"}, {".gif", "image"},
      {".mp4", "video"}, {".mov", "video"}, {".webm", "video"}, {".mp3", "audio"}, {".wav", "audio"},
      {".m4a", "audio"}, {".ogg", "audio"}, {".flac", "audio"}};
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
    while (a && strcmp(a->name.str, pd->name) != 0) a = a->next;
    vsc_source *wsrc = sc->with_src ? sc->with_src : sc->src;
    const char *slash = strrchr(wsrc->name, '/');
    const char *path = rel[0] == '/' || !slash ? rel
                       : vsc_arena_printf(s->arena, "%.*s/%s", (int)(slash - wsrc->name), wsrc->name, rel);
    const char *id = asset_node(p, path, rel, file_media(path), wsrc, a ? a->vals[0].span : sc->with_node->kw, sc->name);
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
  json_object_set_new(params, "width", json_integer(v->width));
  json_object_set_new(params, "height", json_integer(v->height));
  json_object_set_new(params, "aspect", json_string(aspect_string(p->s, v->width, v->height)));
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
  json_t *node = new_node("generate", params, m ? m->ref : NULL, inputs, ninputs, sc->name,
                          src_of(p->s, sc->src, sc->shot_node ? sc->shot_node->kw : sc->node->kw));
  if (m) {
    vsc_call_need need = {.params = params, .with = with, .with_model = m, .files = files, .seconds = seconds};
    vsc_price pr = resolve_calls(p, node, m, &need, sc);
    *cost += pr.estimate;
    *cost_max += pr.max;
  }
  json_decref(files);
  return commit_node(p, node);
}

static const char *asset_node(planner *p, const char *path, const char *rel, const char *media, vsc_source *src,
                              vsc_span span, const char *scene) {
  vsc_session *s = p->s;
  char sha[65];
  if (vsc_util_sha256_file(path, sha) != 0) {
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
  return add_node(p, "asset", params, NULL, NULL, 0, scene, src_of(s, src, span));
}

static bool final_tier(const vsc_video_spec *v, const vsc_scene_spec *sc) {
  return sc->tier >= 0 ? sc->tier == 1 : v->quality == 1;
}

static const vsc_model_decl *pick(planner *p, vsc_scene_spec *sc, const char *default_class, double seconds,
                                  size_t chars, bool explicit_applies) {
  vsc_session *s = p->s;
  model_need need = {.klass = default_class, .final = final_tier(p->v, sc), .seconds = seconds, .characters = chars};
  if (explicit_applies) {
    if (sc->model) need.explicit_model = sc->model;
    if (sc->klass) need.klass = sc->klass;
  }
  const vsc_model_decl *m = choose_model(p, &need);
  if (need.explicit_model && !model_supports_aspect(m, p->v->width, p->v->height)) {
    ERR(sc->src, sc->model_node->vals[0].span, "choose another model or change the video's size",
        "model '%s' cannot make %s frames (%dx%d)", m->ref, aspect_string(s, p->v->width, p->v->height), p->v->width,
        p->v->height);
  }
  if (!m) {
    vsc_span span = sc->model_node && explicit_applies ? sc->model_node->vals[0].span : sc->shot_node ? sc->shot_node->kw : sc->node->kw;
    ERR(sc->src, span, "add one to the registry with 'model NAME \"owner/name\" { … }'",
        "no model of class '%s' can make %s frames", need.klass, aspect_string(s, p->v->width, p->v->height));
  }
  return m;
}

static scene_source plan_shot(planner *p, vsc_scene_spec *sc, double shot_len) {
  vsc_session *s = p->s;
  vsc_video_spec *v = p->v;
  scene_source src = {.type = "color", .shot_len = shot_len};
  bool fin = final_tier(v, sc);
  switch (sc->shot) {
  case SHOT_VIDEO: {
    const char *image_id = NULL;
    if (sc->from_path) {
      image_id = asset_node(p, sc->from_path, sc->from_path, "image", sc->src, sc->shot_node->kw, sc->name);
    } else if (sc->from_prompt) {
      const vsc_model_decl *im = pick(p, sc, fin ? "image.premium" : "image.fast", 0, 0, false);
      if (im) image_id = generate_node(p, sc, "image", sc->from_prompt, im, 0, NULL, &src.cost, &src.cost_max);
    }
    const char *klass = image_id ? (fin ? "i2v.premium" : "i2v.fast") : (fin ? "video.premium" : "video.fast");
    const vsc_model_decl *m = pick(p, sc, klass, shot_len, 0, true);
    if (!m) return src;
    check_params(p, sc, m);
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
    const vsc_model_decl *m = pick(p, sc, fin ? "image.premium" : "image.fast", 0, 0, true);
    if (!m) return src;
    check_params(p, sc, m);
    src.id = generate_node(p, sc, "image", sc->prompt, m, 0, NULL, &src.cost, &src.cost_max);
    src.type = "image";
    src.model = m->ref;
    break;
  }
  case SHOT_FILE:
    src.id = asset_node(p, sc->path, sc->path, sc->path_media ? sc->path_media : "video", sc->src, sc->shot_node->kw, sc->name);
    src.type = sc->path_media && strcmp(sc->path_media, "image") == 0 ? "image" : "clip";
    src.clip_len = 0; /* unknown until the compositor probes it; it loops or holds */
    src.in_point = sc->in_point;
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
    json_object_set_new(params, "width", json_integer(v->width));
    json_object_set_new(params, "height", json_integer(v->height));
    json_object_set_new(params, "fps", json_integer(v->fps));
    const char *in[1] = {src.id};
    src.id = add_node(p, "animate", params, NULL, in, 1, sc->name, src_of(s, sc->src, sc->shot_node->kw));
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
    json_object_set_new(source, "color", color_json(sc->shot == SHOT_COLOR ? sc->color : 0x000000));
  } else {
    json_object_set_new(source, "input", json_integer(input));
    if (strcmp(src->type, "clip") == 0) {
      double offset = t0 - src->clip_start + src->in_point;
      json_object_set_new(source, "offset", json_real(t6(offset < 0 ? 0 : offset)));
      json_object_set_new(source, "loop", json_boolean(src->clip_len > 0 && src->clip_len < src->shot_len - 1e-6));
    }
  }
  json_object_set_new(l, "source", source);
  json_object_set_new(l, "fit", json_string(sc->fit ? sc->fit : p->v->fit));
  json_object_set_new(l, "t", json_real(t6(t0 - sc->start)));
  json_object_set_new(l, "texts", texts_json(p, sc));
  return l;
}

static json_t *encode_json(const vsc_session *s, const vsc_video_spec *v) {
  json_t *e = json_object();
  json_object_set_new(e, "codec", json_string("libx264"));
  json_object_set_new(e, "pix_fmt", json_string("yuv420p"));
  int crf = s->preview ? 30 : v->quality ? 18 : 23;
  const char *preset = s->preview ? "ultrafast" : v->quality ? "medium" : "veryfast";
  json_object_set_new(e, "crf", json_integer(crf));
  json_object_set_new(e, "preset", json_string(preset));
  return e;
}

static const char *segment_node(planner *p, const char *kind, int f0, int f1, const char *transition,
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
  const char *inputs[2];
  int n = 0;
  int ia = -1, ib = -1;
  if (sa->id) inputs[ia = n++] = sa->id;
  if (b && sb->id) {
    if (sa->id && strcmp(sa->id, sb->id) == 0) ib = ia;
    else inputs[ib = n++] = sb->id;
  }
  json_object_set_new(params, "a", layers_json(p, a, sa, t0, ia));
  vsc_plan_captions_layer(p->captions, json_object_get(params, "a"), a->start, t0, (double)(f1 - f0) / v->fps);
  if (b) {
    json_object_set_new(params, "b", layers_json(p, b, sb, t0, ib));
    vsc_plan_captions_layer(p->captions, json_object_get(params, "b"), b->start, t0, (double)(f1 - f0) / v->fps);
    json_object_set_new(params, "transition", json_string(transition));
  }
  return add_node(p, "segment", params, NULL, inputs, n, b ? NULL : a->name,
                  src_of(p->s, a->src, b && a->then_node ? a->then_node->kw : a->node->kw));
}

static const char *tts_node(planner *p, const vsc_voice_spec *vo, vsc_scene_spec *sc, double *cost, double *cost_max) {
  vsc_scene_spec dummy = {.name = "voice-over", .tier = -1};
  const char *text = vo->text ? vo->text : "";
  size_t chars = vsc_utf8_length(text);
  const vsc_model_decl *m = pick(p, sc ? sc : &dummy, "tts", 0, chars, false);
  json_t *params = json_object();
  json_object_set_new(params, "text", json_string(text));
  json_object_set_new(params, "voice", json_string(vo->voice));
  json_object_set_new(params, "rate", json_real(1.0));
  json_t *node = new_node("tts", params, m ? m->ref : NULL, NULL, 0, sc ? sc->name : NULL,
                          src_of(p->s, vo->node->src, vo->node->kw));
  if (m) {
    vsc_call_need need = {.params = params, .characters = chars};
    vsc_price pr = resolve_calls(p, node, m, &need, sc);
    *cost += pr.estimate;
    *cost_max += pr.max;
  }
  return commit_node(p, node);
}

/* "bar:beat" of a time on the grid (1-based; fractional off the grid). */
static const char *bar_beat(planner *p, double t) {
  const vsc_audio_analysis *g = p->grid;
  if (!g || !g->nbeats || !g->ndownbeats || t < g->downbeats[0] - 1e-6) return NULL;
  size_t bar = 0;
  while (bar + 1 < g->ndownbeats && g->downbeats[bar + 1] <= t + 1e-6) bar++;
  double bar_start = g->downbeats[bar];
  double b0 = (double)grid_index(g->beats, g->nbeats, p->beat, bar_start);
  long bi = grid_index(g->beats, g->nbeats, p->beat, t);
  double on = grid_time(g->beats, g->nbeats, p->beat, bi);
  double beat = (double)bi - b0 + (t - on) / p->beat;
  if (fabs(t - on) < 1e-3) return vsc_arena_printf(p->s->arena, "%zu:%d", bar + 1, (int)llround(beat) + 1);
  return vsc_arena_printf(p->s->arena, "%zu:%.2f", bar + 1, beat + 1);
}

int vsc_plan(vsc_session *s, vsc_video_spec *v, json_t **out) {
  planner P = {.s = s, .v = v, .nodes = json_array(), .by_id = json_object(), .meter = v->music.meter > 0 ? v->music.meter : 4};
  planner *p = &P;
  load_grid(p);
  if (s->preview) {
    v->width = (v->width / 2) & ~1;
    v->height = (v->height / 2) & ~1;
  }
  if (!resolve_timeline(p) || (snap_to_grid(p), !check_transitions(p))) {
    json_decref(p->nodes);
    json_decref(p->by_id);
    vsc_audio_analysis_free(p->grid);
    return -1;
  }
  int n = v->nscenes;
  scene_source *srcs = calloc((size_t)n, sizeof *srcs);
  double *scene_cost = calloc((size_t)n, sizeof *scene_cost), *scene_max = calloc((size_t)n, sizeof *scene_max);
  const char **voice_ids = calloc(16 * (size_t)n + 32, sizeof *voice_ids);
  double *voice_at = calloc(16 * (size_t)n + 32, sizeof *voice_at);
  int nvoice = 0;
  for (int i = 0; i < n; i++) {
    vsc_scene_spec *sc = &v->scenes[i];
    double in = i > 0 && v->scenes[i - 1].transition ? v->scenes[i - 1].trans_dur : 0;
    double outd = sc->transition && i + 1 < n ? sc->trans_dur : 0;
    double shot_len = sc->duration + in / 2 + outd / 2;
    srcs[i] = plan_shot(p, sc, shot_len);
    srcs[i].clip_start = sc->start - in / 2;
    scene_cost[i] = srcs[i].cost;
    scene_max[i] = srcs[i].cost_max;
    for (int k = 0; k < sc->nvoices; k++) {
      voice_ids[nvoice] = tts_node(p, &sc->voices[k], sc, &scene_cost[i], &scene_max[i]);
      voice_at[nvoice++] = sc->start + sc->voices[k].at;
    }
  }
  double extra_cost = 0, extra_max = 0;
  for (int k = 0; k < v->nvoices; k++) {
    if (v->voices[k].at >= v->length)
      ERR(v->src, v->voices[k].node->span, NULL, "voice line starts at %gs, after the video ends (%gs)", v->voices[k].at,
          t6(v->length));
    voice_ids[nvoice] = tts_node(p, &v->voices[k], NULL, &extra_cost, &extra_max);
    voice_at[nvoice++] = v->voices[k].at;
  }
  p->captions = vsc_plan_captions(v);
  /* Segments tile the timeline in whole frames, so their sum is the length exactly. */
  const char **segs = calloc(2 * (size_t)n + 1, sizeof *segs);
  int nseg = 0;
  int fps = v->fps;
  int frame = 0;
  for (int i = 0; i < n; i++) {
    vsc_scene_spec *sc = &v->scenes[i];
    double outd = sc->transition && i + 1 < n ? sc->trans_dur : 0;
    double end = sc->start + sc->duration;
    int body_end = (int)llround((end - outd / 2) * fps);
    if (i + 1 == n) body_end = (int)llround(v->length * fps);
    if (body_end > frame) segs[nseg++] = segment_node(p, "body", frame, body_end, NULL, sc, &srcs[i], NULL, NULL);
    if (body_end > frame) frame = body_end;
    if (outd > 0) {
      int trans_end = (int)llround((end + outd / 2) * fps);
      if (trans_end > frame) {
        segs[nseg++] = segment_node(p, "transition", frame, trans_end, sc->transition, sc, &srcs[i], &v->scenes[i + 1],
                                    &srcs[i + 1]);
        frame = trans_end;
      }
    }
  }
  json_t *cparams = json_object();
  json_object_set_new(cparams, "count", json_integer(nseg));
  const char *concat = add_node(p, "concat", cparams, NULL, segs, nseg, NULL, src_of(s, v->src, v->node->kw));

  /* The sound track: music, voices, kept clip audio. */
  const char *audio_in[64];
  int nin = 0;
  json_t *aparams = json_object();
  json_object_set_new(aparams, "length", json_real(t6(v->length)));
  json_object_set_new(aparams, "sample_rate", json_integer(48000));
  json_object_set_new(aparams, "loudness", json_real(-14.0));
  if (v->music.present) {
    const char *mid = NULL;
    vsc_music_spec *mu = &v->music;
    if (mu->generate) {
      vsc_scene_spec dummy = {.name = "music", .tier = -1, .node = mu->node, .src = mu->node->src};
      const vsc_model_decl *m = pick(p, &dummy, "music", v->length, 0, false);
      json_t *params = json_object();
      json_object_set_new(params, "kind", json_string("music"));
      json_object_set_new(params, "prompt", json_string(mu->prompt ? mu->prompt : ""));
      json_object_set_new(params, "duration", json_real(t6(ceil(v->length))));
      json_object_set_new(params, "tempo", json_real(mu->tempo));
      json_object_set_new(params, "seed", json_integer(v->seed));
      json_object_set_new(params, "input", json_object());
      json_t *node = new_node("generate", params, m ? m->ref : NULL, NULL, 0, NULL, src_of(s, mu->node->src, mu->node->kw));
      if (m) {
        vsc_call_need need = {.params = params, .seconds = ceil(v->length)};
        vsc_price pr = resolve_calls(p, node, m, &need, NULL);
        extra_cost += pr.estimate;
        extra_max += pr.max;
      }
      mid = commit_node(p, node);
    } else if (mu->path) {
      mid = asset_node(p, mu->path, mu->rel, "audio", mu->node->src, mu->node->vals[0].span, NULL);
    }
    if (mid) {
      json_t *m = json_object();
      json_object_set_new(m, "input", json_integer(nin));
      json_object_set_new(m, "volume", json_real(mu->volume));
      json_object_set_new(m, "fade_in", json_real(mu->fade_in));
      json_object_set_new(m, "fade_out", json_real(mu->fade_out));
      json_object_set_new(m, "loop", json_boolean(mu->loop));
      json_object_set_new(m, "start", json_real(mu->start));
      json_object_set_new(aparams, "music", m);
      audio_in[nin++] = mid;
      if (mu->has_duck) {
        json_t *d = json_object();
        json_object_set_new(d, "amount", json_real(mu->duck));
        json_object_set_new(aparams, "duck", d);
      }
    }
  }
  json_t *voices = json_array();
  for (int k = 0; k < nvoice && nin < 60; k++) {
    json_t *o = json_object();
    json_object_set_new(o, "input", json_integer(nin));
    json_object_set_new(o, "at", json_real(t6(voice_at[k])));
    json_object_set_new(o, "volume", json_real(0.0));
    json_array_append_new(voices, o);
    audio_in[nin++] = voice_ids[k];
  }
  json_object_set_new(aparams, "voices", voices);
  json_t *clips = json_array();
  for (int i = 0; i < n && nin < 63; i++) {
    vsc_scene_spec *sc = &v->scenes[i];
    if (!sc->keep_audio || !srcs[i].id) continue;
    json_t *o = json_object();
    json_object_set_new(o, "input", json_integer(nin));
    json_object_set_new(o, "at", json_real(t6(sc->start)));
    json_object_set_new(o, "offset", json_real(t6(sc->in_point)));
    json_object_set_new(o, "duration", json_real(t6(sc->duration)));
    json_object_set_new(o, "volume", json_real(0.0));
    json_array_append_new(clips, o);
    audio_in[nin++] = srcs[i].id;
  }
  json_object_set_new(aparams, "clips", clips);
  const char *audio = add_node(p, "audio", aparams, NULL, audio_in, nin, NULL, src_of(s, v->src, v->node->kw));
  json_t *mparams = json_object();
  json_object_set_new(mparams, "faststart", json_true());
  const char *mux_in[2] = {concat, audio};
  const char *mux = add_node(p, "mux", mparams, NULL, mux_in, 2, NULL, src_of(s, v->src, v->node->kw));

  /* The budget: the cheapest the plan could be must fit. */
  double total = extra_cost, total_max = extra_max;
  for (int i = 0; i < n; i++) total += scene_cost[i], total_max += scene_max[i];
  if (v->has_budget && total > v->budget + 1e-9) {
    ERR(v->src, v->node->kw, "raise 'budget', use 'quality draft', or shorten scenes",
        "estimated cost $%.2f is over the budget of $%.2f", total, v->budget);
    for (int i = 0; i < n; i++)
      if (scene_cost[i] > 0)
        vsc_note(s->diags, v->scenes[i].src, v->scenes[i].node->name.span, "scene '%s': $%.3f (%s)", v->scenes[i].name,
                 scene_cost[i], srcs[i].model ? srcs[i].model : "voice");
    if (extra_cost > 0) vsc_note(s->diags, v->src, v->node->kw, "music and video-level voice-over: $%.3f", extra_cost);
  }

  json_t *ir = json_object();
  json_object_set_new(ir, "format", json_string("vsc-ir"));
  json_object_set_new(ir, "version", json_integer(VSC_IR_VERSION));
  json_object_set_new(ir, "root", json_string(s->root_dir));
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
  json_object_set_new(video, "src", json_string(src_of(s, v->src, v->node->kw)));
  if (p->grid) {
    json_object_set_new(video, "tempo", json_real(vsc_round_us(p->grid->tempo)));
    json_object_set_new(video, "meter", json_integer((json_int_t)p->meter));
  }
  json_object_set_new(ir, "video", video);
  json_t *scenes = json_array();
  for (int i = 0; i < n; i++) {
    vsc_scene_spec *sc = &v->scenes[i];
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(sc->name));
    json_object_set_new(o, "start", json_real(t6(sc->start)));
    json_object_set_new(o, "duration", json_real(t6(sc->duration)));
    json_object_set_new(o, "model", srcs[i].model ? json_string(srcs[i].model) : json_null());
    json_object_set_new(o, "estimated_cost", json_real(t6(scene_cost[i])));
    json_object_set_new(o, "src", json_string(src_of(s, sc->src, sc->node->kw)));
    const char *bb = bar_beat(p, sc->start);
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
  json_object_set_new(ir, "scenes", scenes);
  json_object_set_new(ir, "nodes", p->nodes);
  json_t *outputs = json_object();
  json_object_set_new(outputs, "video", json_string(mux));
  if (p->captions) {
    /* Sidecar subtitle files next to the video. */
    for (int f = 0; f < 2; f++) {
      const char *fmt = f ? "vtt" : "srt";
      json_t *cp = json_pack("{s:s, s:O}", "format", fmt, "cues", json_object_get(p->captions, "cues"));
      const char *id = add_node(p, "captions", cp, NULL, NULL, 0, NULL, src_of(s, v->captions.node->src, v->captions.node->kw));
      json_object_set_new(outputs, fmt, json_string(id));
    }
  }
  json_object_set_new(ir, "outputs", outputs);
  json_object_set_new(ir, "estimated_cost", json_real(t6(total)));
  free(srcs);
  free(scene_cost);
  free(scene_max);
  free(voice_ids);
  free(voice_at);
  free(segs);
  json_decref(p->captions);
  json_decref(p->by_id);
  vsc_audio_analysis_free(p->grid);
  if (vsc_diag_error_count(s->diags)) {
    json_decref(ir);
    return -1;
  }
  *out = ir;
  return 0;
}
