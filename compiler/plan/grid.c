/* The beat grid: beats, bars and sections of the music (declared tempo or analysed), and
 * counting beats and bars on it as musicians do. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plan/planner.h"

/* Time of grid point `i` (beats or downbeats), extrapolating past either end. */
double plan_grid_time(const double *pts, size_t n, double period, long i) {
  if (n == 0) return (double)i * period;
  if (i < 0) return pts[0] + (double)i * period;
  if ((size_t)i < n) return pts[i];
  return pts[n - 1] + (double)(i - (long)n + 1) * period;
}

/* Index of the grid point nearest to t. */
long plan_grid_index(const double *pts, size_t n, double period, double t) {
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
double plan_grid_after(planner *p, double t, double count, bool bars) {
  const vsc_audio_analysis *g = p->grid;
  const double *pts = bars ? g->downbeats : g->beats;
  size_t n = bars ? g->ndownbeats : g->nbeats;
  double period = p->beat * (bars ? p->meter : 1);
  long i = plan_grid_index(pts, n, period, t);
  if (g->ndownbeats && t < g->downbeats[0] - 1e-6) {
    i = plan_grid_index(pts, n, period, g->downbeats[0]);
    t = plan_grid_time(pts, n, period, i);
  }
  double whole = floor(count);
  double end = plan_grid_time(pts, n, period, i + (long)whole);
  if (count > whole) end += (count - whole) * (plan_grid_time(pts, n, period, i + (long)whole + 1) - end);
  /* A scene that starts off the grid keeps its offset. */
  return end + (t - plan_grid_time(pts, n, period, i));
}

/* Loads the grid: a declared tempo wins; otherwise the music file is analysed. */
void plan_load_grid(planner *p) {
  vsc_session *s = p->s;
  vsc_music_spec *mu = &p->v->music;
  if (!mu->present) return;
  char err[512];
  double horizon = (p->v->has_length ? p->v->length : 3600) + 60;
  if (mu->has_tempo) {
    if (vsc_audio_grid(&p->grid, mu->tempo, (int)mu->meter, mu->offset, horizon, err, sizeof err) != 0) p->grid = NULL;
  } else if (mu->path) {
    vsc_audio_options opts = VSC_AUDIO_OPTIONS_INIT;
    opts.cache_dir = s->cache_dir;
    if (mu->has_meter) opts.meter = (int)mu->meter; /* a declared meter is forced, 4 too */
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

const char *plan_bar_beat(planner *p, double t) {
  const vsc_audio_analysis *g = p->grid;
  if (!g || !g->nbeats || !g->ndownbeats || t < g->downbeats[0] - 1e-6) return NULL;
  size_t bar = 0;
  while (bar + 1 < g->ndownbeats && g->downbeats[bar + 1] <= t + 1e-6) bar++;
  double bar_start = g->downbeats[bar];
  double b0 = (double)plan_grid_index(g->beats, g->nbeats, p->beat, bar_start);
  long bi = plan_grid_index(g->beats, g->nbeats, p->beat, t);
  double on = plan_grid_time(g->beats, g->nbeats, p->beat, bi);
  double beat = (double)bi - b0 + (t - on) / p->beat;
  if (fabs(t - on) < 1e-3) return vsc_arena_printf(p->s->arena, "%zu:%d", bar + 1, (int)llround(beat) + 1);
  return vsc_arena_printf(p->s->arena, "%zu:%.2f", bar + 1, beat + 1);
}
