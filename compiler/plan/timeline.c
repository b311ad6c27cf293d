/* The timeline: every scene's start and length from seconds, beats, bars, sections and
 * `rest`; snapping cuts to the grid; transitions that fit their scenes. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plan/planner.h"
#include "vsc/vsc_speech.h"
#include "vsc/vsc_strings.h"

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

/* A scene that lasts as long as its voice-over: the last line's end and a breath, on a frame. */
static bool voice_duration(planner *p, vsc_scene_spec *sc) {
  vsc_session *s = p->s;
  double end = 0;
  for (int k = 0; k < sc->nvoices; k++) {
    double spoken = vsc_speech_length(sc->voices[k].text, sc->voices[k].voice, 1.0);
    if (sc->voices[k].at + spoken > end) end = sc->voices[k].at + spoken;
  }
  bool ok = sc->nvoices > 0;
  if (!ok) {
    ERR(sc->src, sc->dur_span, "add a 'voice \"…\"' line, or give a duration",
        "scene '%s' lasts as long as its voice-over, but has none", sc->name);
    end = 1;
  }
  sc->duration = round((end + 0.6) * p->v->fps) / p->v->fps;
  return ok;
}

/* The hint for a section nobody declared: the closest name, or the names there are. */
static const char *section_hint(planner *p, const char *name, char *h, size_t hn, const char **close_out) {
  vsc_video_spec *v = p->v;
  size_t max = (size_t)v->music.nsections + (p->grid ? p->grid->nsections : 0) + 1;
  const char **names = vsc_arena_alloc(p->s->arena, max * sizeof *names);
  size_t nn = 0;
  for (int k = 0; k < v->music.nsections; k++) names[nn++] = v->music.sections[k].name;
  for (size_t k = 0; p->grid && !v->music.has_tempo && k < p->grid->nsections; k++)
    names[nn++] = analysed_section_name(p, k);
  const char *close = vsc_closest(name, names, nn);
  *close_out = close;
  if (close) snprintf(h, hn, "did you mean '%s'?", close);
  else if (nn)
    snprintf(h, hn, "the sections are: %s%s%s%s", names[0], nn > 1 ? ", " : "", nn > 1 ? names[1] : "",
             nn > 2 ? ", …" : "");
  else snprintf(h, hn, "declare it: music \"…\" { section %s at 16s }", name);
  return h;
}

/* `until SECTION`: the scene ends where the section starts, on the beat nearest to it.
 * `after_rest` says a `rest` scene came earlier (then nothing after it has a known start). */
static bool until_duration(planner *p, int i, double t, bool after_rest) {
  vsc_session *s = p->s;
  vsc_video_spec *v = p->v;
  vsc_scene_spec *sc = &v->scenes[i];
  bool found;
  double at = section_time(p, sc->until, &found);
  sc->duration = 1;
  if (!found) {
    char h[160];
    const char *close = NULL;
    ERR(sc->src, sc->dur_span, section_hint(p, sc->until, h, sizeof h, &close), "unknown section '%s'", sc->until);
    if (close) vsc_diag_fix(p->s->diags, sc->src, sc->dur_span, close);
    return false;
  }
  if (after_rest) {
    ERR(sc->src, sc->dur_span, "give the earlier scene a duration", "'until %s' cannot follow a 'rest' scene", sc->until);
    return false;
  }
  if (at <= t + 1e-6) {
    ERR(sc->src, sc->dur_span, NULL, "section '%s' starts at %gs, before scene '%s' starts (%gs)", sc->until, at,
        sc->name, t6(t));
    return false;
  }
  /* On a beat grid the cut lands on the beat nearest the section start (declared times are
   * approximate); never at or before the scene's own start. */
  double land = at;
  if (p->grid && p->beat && p->grid->nbeats) {
    double b = plan_grid_time(p->grid->beats, p->grid->nbeats, p->beat,
                              plan_grid_index(p->grid->beats, p->grid->nbeats, p->beat, at));
    if (b > t + 1e-6 && fabs(b - at) > 1e-6) land = b;
  }
  sc->duration = land - t;
  if (i + 1 < v->nscenes && land != at) {
    v->scenes[i + 1].snap_shift = land - at;
    v->scenes[i + 1].snap_why = vsc_arena_printf(s->arena, "the beat nearest section '%s' (%gs)", sc->until, t6(at));
  }
  return true;
}

/* The length of scene i, which starts at t; `rest` is 0 until the others are known. */
static bool scene_duration(planner *p, int i, double t, bool after_rest) {
  vsc_session *s = p->s;
  vsc_scene_spec *sc = &p->v->scenes[i];
  switch (sc->dur_kind) {
  case DUR_NONE: sc->duration = 5.0; return true;
  case DUR_TIME: sc->duration = sc->dur_value; return true;
  case DUR_BEATS:
  case DUR_BARS:
    if (!p->beat) {
      ERR(sc->src, sc->dur_span, "declare the tempo: music \"…\" { tempo 120 }", "'%g %s' needs a tempo", sc->dur_value,
          sc->dur_kind == DUR_BEATS ? "beats" : "bars");
      sc->duration = 1;
      return false;
    }
    sc->duration = plan_grid_after(p, t, sc->dur_value, sc->dur_kind == DUR_BARS) - t;
    return true;
  case DUR_VOICE: return voice_duration(p, sc);
  case DUR_UNTIL: return until_duration(p, i, t, after_rest);
  case DUR_REST: sc->duration = 0; return true;
  }
  return true;
}

/* A scene a `for` block makes from a list item may not be shorter: the rest shared by many
** items must still show each one. */
#define VSC_EACH_SCENE_MIN 0.5

/* The scenes of `for` blocks do not fit the video's length: said at the list (a row's
** field, or where the script wrote it), with how many items would fit. */
static void each_overflow(planner *p, double fixed, double rest_each) {
  vsc_session *s = p->s;
  vsc_video_spec *v = p->v;
  /* The list to blame: the one whose scenes share the rest, else the one taking most time. */
  const vsc_each_spec *es = NULL;
  double most = -1;
  for (int i = 0; i < v->nscenes; i++) {
    const vsc_each_spec *e = v->scenes[i].each;
    if (!e) continue;
    if (rest_each > 0 && v->scenes[i].dur_kind == DUR_REST) {
      es = e;
      break;
    }
    double total = 0;
    for (int j = 0; j < v->nscenes; j++)
      if (v->scenes[j].each == e) total += v->scenes[j].duration;
    if (total > most) most = total, es = e;
  }
  if (!es) return;
  double per_item = 0;
  for (int i = 0; i < v->nscenes; i++)
    if (v->scenes[i].each == es && v->scenes[i].each_item == 1 && v->scenes[i].dur_kind != DUR_REST)
      per_item += v->scenes[i].duration;
  double others = fixed - per_item * es->nitems; /* the rest of the video */
  int fit = per_item > 0 ? (int)((v->length - others) / per_item + 1e-9) : (int)((v->length - others) / VSC_EACH_SCENE_MIN);
  if (fit < 0) fit = 0;
  char h[200];
  snprintf(h, sizeof h, "at most %d item%s fit%s; give fewer, shorten the scenes, or lengthen the video", fit, fit == 1 ? "" : "s",
           fit == 1 ? "s" : "");
  if (rest_each > 0)
    ERR(es->list_src, es->list_span, h, "too many scenes for the video's length: the %d items of %s would get %.2fs each (%gs at least)",
        es->nitems, es->list, rest_each, VSC_EACH_SCENE_MIN);
  else
    ERR(es->list_src, es->list_span, h, "too many scenes for the video's length: with the %d items of %s the scenes take %gs, the video is %gs",
        es->nitems, es->list, t6(fixed), v->length);
  vsc_note(s->diags, es->node->src, es->node->kw, "the 'for' block that makes them is here");
}

/* With every other scene's length known: the video's length, or the `rest` scene's (the
 * scenes one `rest` scene of a `for` block makes share it), and the two must add up. */
static bool fit_length(planner *p, int rest, double fixed) {
  vsc_session *s = p->s;
  vsc_video_spec *v = p->v;
  if (!v->has_length) {
    if (rest >= 0) {
      ERR(v->scenes[rest].src, v->scenes[rest].dur_span, "add e.g. 'length 30s' to the video",
          "'rest' needs the video's length");
      return false;
    }
    v->length = fixed;
    return true;
  }
  bool from_each = false;
  for (int i = 0; i < v->nscenes; i++) from_each |= v->scenes[i].each != NULL;
  if (rest >= 0) {
    int nrest = 0;
    for (int i = 0; i < v->nscenes; i++) nrest += v->scenes[i].dur_kind == DUR_REST;
    double left = v->length - fixed;
    if (nrest > 1 && left / nrest < VSC_EACH_SCENE_MIN) {
      each_overflow(p, fixed, left / nrest);
      return false;
    }
    if (left < 0.1) {
      if (from_each) {
        each_overflow(p, fixed, 0);
        return false;
      }
      ERR(v->scenes[rest].src, v->scenes[rest].dur_span, NULL,
          "no time left for 'rest': the other scenes take %gs of the %gs length", t6(fixed), v->length);
      return false;
    }
    for (int i = 0; i < v->nscenes; i++)
      if (v->scenes[i].dur_kind == DUR_REST) v->scenes[i].duration = left / nrest;
    return true;
  }
  if (fabs(fixed - v->length) > 0.5 / v->fps) {
    if (from_each && fixed > v->length) {
      each_overflow(p, fixed, 0);
      return false;
    }
    vsc_scene_spec *last = &v->scenes[v->nscenes - 1];
    char h[160];
    snprintf(h, sizeof h, "make one scene 'rest', or set 'length %gs'", t6(fixed));
    vsc_ast *at = v->length_node ? v->length_node : v->node;
    ERR(at->src, at->span, h, "scene durations add up to %gs but the video's length is %gs", t6(fixed), v->length);
    vsc_note(s->diags, last->src, last->node->name.span, "the last scene ends at %gs", t6(fixed));
    return false;
  }
  return true;
}

bool plan_timeline(planner *p) {
  vsc_video_spec *v = p->v;
  bool ok = true;
  int rest = -1;
  double t = 0, fixed = 0;
  for (int i = 0; i < v->nscenes; i++) {
    vsc_scene_spec *sc = &v->scenes[i];
    sc->start = t;
    if (!scene_duration(p, i, t, rest >= 0)) ok = false;
    if (sc->dur_kind == DUR_REST) rest = i;
    else fixed += sc->duration;
    t += sc->duration;
  }
  if (!ok || !fit_length(p, rest, fixed)) return false;
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
void plan_snap_to_grid(planner *p) {
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
    long k = plan_grid_index(pts, npts, step, b);
    double snapped = plan_grid_time(pts, npts, step, k);
    const char *why = vsc_arena_printf(p->s->arena, "the nearest %s", unit);
    /* The latest declared section this boundary has reached. */
    const vsc_section *sec = NULL;
    for (int j = 0; j < v->music.nsections; j++) {
      const vsc_section *c = &v->music.sections[j];
      if (c->at <= b + 1e-6 && (!sec || c->at > sec->at)) sec = c;
    }
    while (sec && snapped < sec->at - 1e-6) {
      snapped = plan_grid_time(pts, npts, step, ++k);
      why = vsc_arena_printf(p->s->arena, "the first %s of section '%s' (%gs)", unit, sec->name, t6(sec->at));
    }
    if (snapped <= prev + step * 0.5) { /* never empty a scene */
      snapped = plan_grid_time(pts, npts, step, k + 1);
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

bool plan_check_transitions(planner *p) {
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
