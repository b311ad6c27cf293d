/*
** Audio step 5a: section-boundary descriptors. The music is cut into beats; each beat gets
** its chroma (harmony), the chroma of the upper register (the melody), cepstra (timbre),
** loudness and register fluxes (rhythm). Four
** self-similarity matrices, one per kind, are read with checkerboard kernels of 2, 4 and
** 8 bars along the diagonal (Foote 2000, "Automatic audio segmentation using a measure of
** audio novelty"): several widths because a 4-bar verse and a 16-bar chorus change at
** different scales. Breaks in repetition come from the time-lag view of the matrix
** (Serrà, Müller, Grosche & Arcos 2014, "Unsupervised music structure annotation by time
** series structure features and segment similarity"): within a section, bar i repeats bar
** i - P (P = 2, 4, 8 bars); where the chord order or the melody changes, that repetition
** drops. Fills and crashes mark section ends and starts, and real songs change section
** on the 4- and 8-bar phrase grid counted from the downbeats, so the grid is a descriptor
** too, with its phase taken from the song itself; and a few of these for the bar before
** and after, so a fill bar ahead of a boundary is not the boundary. sections.c weighs them.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "au_secfeat.h"
#include "au_util.h"

#define LEAD_S 1.5        /* a silent lead-in this long is a section (silence/music edge) */
#define GAP_S 2.0         /* a silent gap inside the music this long opens two sections */
#define QUIET_DB 15       /* silence without notes: this far below the median (a noise floor) */
#define FLOOR_DB 10       /* a steady lead-in without notes: this far below the median */
#define FLOOR_STEADY_DB 4 /* ... and within this of its first unit's level */
#define RISE_DB 6         /* the music starts where the level rises this far above silence */
#define DOWN_TOL 0.06
#define COMPOUND_TERNARY 2.0 /* a beat divided in three (meter.c's TERNARY_MIN) ... */
#define COMPOUND_MAX_BPM 100 /* ... and slow: a dotted quarter, not a shuffled quarter */

typedef struct {
  double t0, t1, db;
  double chroma[AU_NCHROMA];
  double hi[AU_NCHROMA]; /* chroma of the upper register (the melody) */
  double ceps[AU_NCEP];
  double groups[AU_NGROUP];
  double onset;
} unit;

static double dot(const double *a, const double *b, int n) {
  double s = 0;
  for (int k = 0; k < n; k++) s += a[k] * b[k];
  return s;
}

static void normalise(double *v, int n) {
  double s = sqrt(dot(v, v, n));
  if (s > 1e-12)
    for (int k = 0; k < n; k++) v[k] /= s;
  else
    memset(v, 0, (size_t)n * sizeof *v);
}

/* Units: beat intervals, with the stretches before the first and after the last beat cut
 * into pieces of one median beat, so every unit covers about the same time. Without a
 * beat grid: half-second slices. */
static unit *make_units(const double *beats, size_t nbeats, double dur, size_t *nout) {
  size_t nu = 0;
  unit *u;
  if (nbeats >= 16) {
    double *ibi = malloc((nbeats - 1) * sizeof *ibi);
    if (!ibi) return NULL;
    for (size_t i = 0; i + 1 < nbeats; i++) ibi[i] = beats[i + 1] - beats[i];
    double step = vsc_audio_median(ibi, nbeats - 1);
    free(ibi);
    if (step < 0.1) step = 0.1;
    size_t cap = nbeats + 2 + (size_t)(dur / step) * 2;
    u = calloc(cap, sizeof *u);
    if (!u) return NULL;
    double prev = 0;
    for (size_t i = 0; i <= nbeats && nu < cap; i++) {
      double t = i < nbeats ? beats[i] : dur;
      if (t - prev < 0.05) continue;
      size_t pieces = (size_t)floor((t - prev) / step + 0.25);
      if (pieces < 1) pieces = 1;
      for (size_t k = 0; k < pieces && nu < cap; k++) {
        u[nu].t0 = prev + (t - prev) * (double)k / (double)pieces;
        u[nu].t1 = prev + (t - prev) * (double)(k + 1) / (double)pieces;
        nu++;
      }
      prev = t;
    }
  } else {
    size_t k = (size_t)ceil(dur / 0.5);
    u = calloc(k ? k : 1, sizeof *u);
    if (!u) return NULL;
    for (size_t i = 0; i < k; i++, nu++) {
      u[nu].t0 = (double)i * 0.5;
      u[nu].t1 = fmin(dur, (double)(i + 1) * 0.5);
    }
  }
  *nout = nu;
  return u;
}

static void fill_units(const au_features *f, unit *u, size_t nu) {
  for (size_t i = 0; i < nu; i++) {
    long j0 = (long)ceil(u[i].t0 * f->sfps), j1 = (long)ceil(u[i].t1 * f->sfps);
    if (j1 <= j0) j1 = j0 + 1;
    if (j0 >= (long)f->ns) j0 = (long)f->ns - 1;
    if (j1 > (long)f->ns) j1 = (long)f->ns;
    if (j0 < 0) j0 = 0;
    double cnt = 0;
    for (long j = j0; j < j1; j++) {
      double c[AU_NCHROMA];
      for (int k = 0; k < AU_NCHROMA; k++) c[k] = f->chroma[(size_t)j * AU_NCHROMA + k];
      normalise(c, AU_NCHROMA);
      for (int k = 0; k < AU_NCHROMA; k++) u[i].chroma[k] += c[k];
      for (int k = 0; k < AU_NCHROMA; k++) c[k] = f->upper[(size_t)j * AU_NCHROMA + k];
      normalise(c, AU_NCHROMA);
      for (int k = 0; k < AU_NCHROMA; k++) u[i].hi[k] += c[k];
      for (int k = 0; k < AU_NCEP; k++) u[i].ceps[k] += f->ceps[(size_t)j * AU_NCEP + k];
      cnt++;
    }
    if (cnt > 0)
      for (int k = 0; k < AU_NCEP; k++) u[i].ceps[k] /= cnt;
    normalise(u[i].chroma, AU_NCHROMA);
    normalise(u[i].hi, AU_NCHROMA);
    /* Loudness, register fluxes and onset strength over the unit's onset frames. */
    long a = lround((u[i].t0 - f->t0) * f->fps), b = lround((u[i].t1 - f->t0) * f->fps);
    if (a < 0) a = 0;
    if (b > (long)f->n) b = (long)f->n;
    double sq = 0;
    long m = 0;
    for (long k = a; k < b; k++, m++) {
      sq += (double)f->rms[k] * f->rms[k];
      for (int d = 0; d < AU_NGROUP; d++) u[i].groups[d] += f->groups[(size_t)k * AU_NGROUP + d];
      u[i].onset += f->onset[k];
    }
    if (m > 0) {
      for (int d = 0; d < AU_NGROUP; d++) u[i].groups[d] /= (double)m;
      u[i].onset /= (double)m;
    }
    u[i].db = 20 * log10(1e-5 + (m ? sqrt(sq / (double)m) : 0));
  }
}

/* z-scores column k of an n x dim array in place, by the statistics of the rows that are
 * not silent gaps (skip[i] != 0): a gap would make every change in the music look small. */
static void zscore(double *v, size_t n, int dim, int k, const char *skip) {
  double mean = 0, var = 0, m = 0;
  for (size_t i = 0; i < n; i++)
    if (!skip[i]) mean += v[i * (size_t)dim + (size_t)k], m++;
  if (m == 0) return;
  mean /= m;
  for (size_t i = 0; i < n; i++) {
    double d = v[i * (size_t)dim + (size_t)k] - mean;
    if (!skip[i]) var += d * d;
  }
  double sd = sqrt(var / m);
  for (size_t i = 0; i < n; i++) {
    double *p = &v[i * (size_t)dim + (size_t)k];
    *p = sd > 1e-9 ? (*p - mean) / sd : 0;
  }
}

/* Centred moving average of an n x dim array over +-w rows (fewer at the ends). */
static void smooth(const double *in, double *out, size_t n, int dim, long w) {
  for (long i = 0; i < (long)n; i++) {
    long a = i - w < 0 ? 0 : i - w, b = i + w + 1 > (long)n ? (long)n : i + w + 1;
    for (int d = 0; d < dim; d++) {
      double s = 0;
      for (long k = a; k < b; k++) s += in[(size_t)k * (size_t)dim + (size_t)d];
      out[(size_t)i * (size_t)dim + (size_t)d] = s / (double)(b - a);
    }
  }
}

/* A band of a symmetric similarity matrix: S(i, i + d) for 0 <= d < w. */
typedef struct {
  size_t n, w;
  float *v;
} band;

static double band_at(const band *b, long i, long j) {
  if (i > j) {
    long t = i;
    i = j, j = t;
  }
  return b->v[(size_t)i * b->w + (size_t)(j - i)];
}

/* Foote's checkerboard novelty with a box kernel of half-width L: the mean similarity
 * within the L units before i and within the L from i on, minus twice the mean across,
 * divided by 4. The share of the kernel inside the music scales it down at the edges; a
 * silent gap is an edge too (run[i]: the first unit of the stretch of music or gap that
 * holds unit i). */
static void foote(const band *b, const long *run, long L, double *x, int col) {
  long n = (long)b->n;
  for (long i = 0; i < n; i++) {
    double *out = &x[(size_t)i * AU_SEC_NFEAT + (size_t)col];
    *out = 0;
    if (i == 0 || run[i] != run[i - 1]) continue;
    long a = i - L < run[i] ? run[i] : i - L, e = i;
    while (e < n && e < i + L && run[e] == run[i]) e++;
    long np = i - a, nf = e - i;
    if (i == 0 || np < 1 || nf < 1) continue;
    double pp = 0, ff = 0, pf = 0;
    for (long p = a; p < i; p++) {
      for (long q = a; q < i; q++) pp += band_at(b, p, q);
      for (long q = i; q < e; q++) pf += band_at(b, p, q);
    }
    for (long p = i; p < e; p++)
      for (long q = i; q < e; q++) ff += band_at(b, p, q);
    pp /= (double)(np * np), ff /= (double)(nf * nf), pf /= (double)(np * nf);
    *out = (double)(np < nf ? np : nf) / (double)L * (pp + ff - 2 * pf) / 4;
  }
}

/* Beats per bar: the median count of beats between downbeats (4 when unknown). */
static int bar_beats(const double *beats, size_t nbeats, const double *down, size_t ndown) {
  if (ndown < 3 || nbeats < 16) return 4;
  double *cnt = malloc((ndown - 1) * sizeof *cnt);
  if (!cnt) return 4;
  for (size_t k = 0; k + 1 < ndown; k++) {
    cnt[k] = 0;
    for (size_t i = 0; i < nbeats; i++)
      if (beats[i] >= down[k] - 0.05 && beats[i] < down[k + 1] - 0.05) cnt[k]++;
  }
  int m = (int)vsc_audio_median(cnt, ndown - 1);
  free(cnt);
  return m >= 2 && m <= 7 ? m : 4;
}

/* A beat slower than COMPOUND_MAX_BPM whose flux below 2.5 kHz is divided in three
 * (vsc_audio_ternary at least COMPOUND_TERNARY, as meter.c reads a 6/8 beat). */
static int compound_pairs(const au_features *f, const double *beats, size_t nbeats) {
  double *fr = malloc(nbeats * sizeof *fr), *ibi = malloc(nbeats * sizeof *ibi);
  int yes = 0;
  if (fr && ibi) {
    for (size_t i = 0; i < nbeats; i++) {
      fr[i] = (beats[i] - f->t0) * f->fps;
      ibi[i] = i + 1 < nbeats ? beats[i + 1] - beats[i] : 0;
    }
    double period = vsc_audio_median(ibi, nbeats - 1);
    yes = period >= 60.0 / COMPOUND_MAX_BPM &&
          vsc_audio_ternary(f->body, f->n, fr, nbeats) >= COMPOUND_TERNARY;
  }
  free(fr), free(ibi);
  return yes;
}

/* Mean of v[a..b) (clipped to [0, n)), 0 when empty. */
static double win_mean(const double *v, long n, long a, long b) {
  if (a < 0) a = 0;
  if (b > n) b = n;
  if (b <= a) return 0;
  double s = 0;
  for (long k = a; k < b; k++) s += v[k];
  return s / (double)(b - a);
}

/* The break in repetition: rep[i] is how much the units from i repeat those a lag before
 * them (NAN where there is no lag to compare); the descriptor in column col is its mean
 * over the 2m units before i minus that over the 2m from i (Serrà et al. 2014). */
static void rep_drop(const double *rep, long n, long m, double *x, int col) {
  for (long i = 0; i < n; i++) {
    double sa = 0, sb = 0;
    long na = 0, nb = 0;
    for (long q = i - 2 * m; q < i; q++)
      if (q >= 0 && !isnan(rep[q])) sa += rep[q], na++;
    for (long q = i; q < i + 2 * m && q < n; q++)
      if (!isnan(rep[q])) sb += rep[q], nb++;
    x[(size_t)i * AU_SEC_NFEAT + (size_t)col] = na >= m && nb >= m ? sa / (double)na - sb / (double)nb : 0;
  }
}

/* rep_drop of unit vectors v (n x dim) at a lag of P units, rep[i] being the mean
 * similarity of the m units from i to the m units P before them. tmp holds n values. */
static void rep_break(const double *v, int dim, long n, long P, long m, double *tmp, double *x,
                      int col) {
  for (long i = 0; i < n; i++) {
    tmp[i] = NAN;
    if (i < P) continue;
    double acc = 0;
    long cnt = 0;
    for (long q = 0; q < m && i + q < n; q++, cnt++)
      acc += dot(&v[(size_t)(i + q) * (size_t)dim], &v[(size_t)(i + q - P) * (size_t)dim], dim);
    tmp[i] = cnt ? acc / (double)cnt : NAN;
  }
  rep_drop(tmp, n, m, x, col);
}

const char *vsc_audio_section_feature_name(int k) {
  static const char *const names[AU_SEC_NFEAT] = {
      "fc2", "fc4", "fc8", "ft2", "ft4", "ft8", "fe2", "fe4", "fe8",
      "fr2", "fr4", "fr8", "fs4", "fcs4", "rep2", "rep4", "rep8", "on0",
      "fill", "estep", "down", "ph4", "ph8", "ph4a", "x_ph4a", "x_down",
      "n_fs4", "n_fc8", "n_fe2", "n_ft4", "n_ph4", "n_ph4a", "n_x_ph4a",
      "p_fs4", "p_fc8", "p_fe2", "p_ft4", "p_ph4", "p_ph4a", "p_x_ph4a",
      "fm2", "fm4", "repm2", "repm4", "n_fill", "n_on0"};
  return k >= 0 && k < AU_SEC_NFEAT ? names[k] : "";
}

double vsc_audio_section_sim(const au_secfeat *s, size_t i, size_t j) {
  double hc = dot(&s->chroma[i * AU_NCHROMA], &s->chroma[j * AU_NCHROMA], AU_NCHROMA);
  const double *a = &s->ceps[i * AU_NCEP], *b = &s->ceps[j * AU_NCEP];
  double na = sqrt(dot(a, a, AU_NCEP)), nb = sqrt(dot(b, b, AU_NCEP));
  double tc = na > 1e-12 && nb > 1e-12 ? dot(a, b, AU_NCEP) / (na * nb) : 0;
  double ec = exp(-fabs(s->energy[i] - s->energy[j]));
  return (hc + 0.5 * (1.0 + tc) + ec) / 3.0;
}

void vsc_audio_section_features_free(au_secfeat *s) {
  free(s->t0), free(s->t1), free(s->x), free(s->chroma), free(s->ceps), free(s->energy);
  free(s->gaps);
  memset(s, 0, sizeof *s);
}

/* Finds the silent lead-in, the ring-out and silent gaps; returns the music's unit range. */
static int find_silence(const au_features *f, const unit *u, size_t nu, au_secfeat *s,
                        size_t *lo_out, size_t *hi_out, char *in_gap) {
  double *db = malloc(nu * sizeof *db);
  if (!db) return -1;
  for (size_t i = 0; i < nu; i++) db[i] = u[i].db;
  double med = vsc_audio_median(db, nu);
  free(db);
  /* Silent units: far below the median level, or below it by a noise floor's margin and
   * without a note onset (aubio reports one in the first 50 ms of any file). */
  char *quiet = malloc(nu);
  if (!quiet) return -1;
  for (size_t i = 0, k = 0; i < nu; i++) {
    while (k < f->nonsets && f->onsets[k] < u[i].t0) k++;
    int note = k < f->nonsets && f->onsets[k] < u[i].t1 && f->onsets[k] >= 0.05;
    quiet[i] = u[i].db < med - 30 || (u[i].db < med - QUIET_DB && !note);
  }
  /* A noise floor before the music (hiss, a room): a steady level, no note onset, at
   * least FLOOR_DB under the music. The music may be less than QUIET_DB above it. */
  for (size_t i = 0, k = 0; i < nu; i++) {
    while (k < f->nonsets && f->onsets[k] < u[i].t0) k++;
    int note = k < f->nonsets && f->onsets[k] < u[i].t1 && f->onsets[k] >= 0.05;
    if (note || u[i].db > med - FLOOR_DB || u[i].db > u[0].db + FLOOR_STEADY_DB) break;
    quiet[i] = 1;
  }
  size_t lo = 0, hi = nu;
  while (lo < hi && quiet[lo]) lo++;
  while (hi > lo && quiet[hi - 1]) hi--;
  /* A ring-out shorter than a section joins the last section. */
  if (lo < hi && u[nu - 1].t1 - u[hi - 1].t1 >= 4.0) hi = nu;
  if (hi - lo < 4) lo = 0, hi = nu;
  if (lo > 0 && u[lo].t0 - u[0].t0 >= LEAD_S) {
    /* It ends where the music starts: the first note onset there (the first loud unit may
     * begin a little early, on a beat extrapolated into the silence; an onset on the last
     * quiet beat itself belongs to a quiet intro). */
    s->lead = u[lo].t0;
    double from = 0.5 * (u[lo - 1].t0 + u[lo - 1].t1);
    for (size_t k = 0; k < f->nonsets; k++)
      if (f->onsets[k] >= from && f->onsets[k] <= u[lo].t1 + 0.5) {
        s->lead = f->onsets[k];
        break;
      }
    /* Soft first notes under a noise floor may have no onset: the music has started
     * where the level first rises RISE_DB above the loudest silent unit. */
    double floor_db = u[0].db;
    for (size_t i = 1; i < lo; i++) floor_db = fmax(floor_db, u[i].db);
    long a = lround((u[lo - 1].t0 - f->t0) * f->fps), b = lround((s->lead - f->t0) * f->fps);
    for (long k = a < 0 ? 0 : a; k < b && k < (long)f->n; k++)
      if (20 * log10(1e-5 + f->rms[k]) > floor_db + RISE_DB) {
        if (f->t0 + (double)k / f->fps < s->lead - 0.1) s->lead = f->t0 + (double)k / f->fps;
        break;
      }
  }
  /* Silent gaps inside the music: both edges are boundaries. */
  for (size_t i = lo; i < hi;) {
    if (!quiet[i]) {
      i++;
      continue;
    }
    size_t j = i;
    while (j < hi && quiet[j]) j++;
    if (j < hi && u[j].t0 - u[i].t0 >= GAP_S) {
      double *g = realloc(s->gaps, (s->ngaps + 1) * 2 * sizeof *g);
      if (!g) {
        free(quiet);
        return -1;
      }
      s->gaps = g;
      double end = u[j].t0, from = 0.5 * (u[j - 1].t0 + u[j - 1].t1);
      for (size_t k = 0; k < f->nonsets; k++)
        if (f->onsets[k] >= from && f->onsets[k] <= u[j].t1 + 0.5) {
          end = f->onsets[k];
          break;
        }
      memset(in_gap + i, 1, j - i);
      g[2 * s->ngaps] = u[i].t0;
      g[2 * s->ngaps + 1] = end;
      s->ngaps++;
    }
    i = j;
  }
  free(quiet);
  *lo_out = lo;
  *hi_out = hi;
  return 0;
}

int vsc_audio_section_features(const au_features *f, const double *beats, size_t nbeats,
                               const double *downbeats, size_t ndown, au_secfeat *s) {
  memset(s, 0, sizeof *s);
  s->duration = f->duration;
  size_t nall = 0;
  unit *all = make_units(beats, nbeats, f->duration, &nall);
  if (!all) return -1;
  if (nall < 4 || f->ns == 0) {
    free(all);
    return 0;
  }
  fill_units(f, all, nall);
  size_t lo, hi;
  char *in_gap = calloc(nall, 1);
  if (!in_gap || find_silence(f, all, nall, s, &lo, &hi, in_gap) < 0) {
    free(all), free(in_gap);
    vsc_audio_section_features_free(s);
    return -1;
  }
  const unit *u = all + lo;
  size_t n = hi - lo;
  int m = bar_beats(beats, nbeats, downbeats, ndown);
  /* Slow beats divided in three, four to the tracked bar: two bars of 6/8 at the dotted
   * quarter, whose harmony changing every other bar kept the meter at 4 (meter.c). The
   * phrases are counted in 2-beat bars (a 12/8 song's half bars then count too: the grid
   * holds its downbeats all the same). */
  double *split = NULL;
  if (m == 4 && nbeats >= 16 && compound_pairs(f, beats, nbeats)) {
    split = malloc(2 * (ndown + 1) * sizeof *split);
    if (!split) {
      free(all), free(in_gap);
      vsc_audio_section_features_free(s);
      return -1;
    }
    size_t nd = 0;
    for (size_t k = 0, i = 0; k < ndown; k++) {
      split[nd++] = downbeats[k];
      while (i < nbeats && beats[i] < downbeats[k] - DOWN_TOL) i++;
      if (i + 2 < nbeats && (k + 1 >= ndown || beats[i + 2] < downbeats[k + 1] - DOWN_TOL))
        split[nd++] = beats[i + 2];
    }
    downbeats = split, ndown = nd, m = 2;
  }
  long W = 16 * m + 1; /* the widest kernel (8 bars each side) and the longest lag */
  s->n = n;
  s->t0 = malloc(n * sizeof *s->t0);
  s->t1 = malloc(n * sizeof *s->t1);
  s->x = calloc(n * AU_SEC_NFEAT, sizeof *s->x);
  s->chroma = malloc(n * AU_NCHROMA * sizeof *s->chroma);
  s->ceps = malloc(n * AU_NCEP * sizeof *s->ceps);
  s->energy = malloc(n * sizeof *s->energy);
  double *ch = malloc(n * AU_NCHROMA * sizeof *ch); /* per beat, unit length */
  double *hc = malloc(n * AU_NCHROMA * sizeof *hc); /* the same, upper register */
  double *ce = malloc(n * AU_NCEP * sizeof *ce);    /* per beat, z-scored */
  double *gr = malloc(n * AU_NGROUP * sizeof *gr);  /* per beat, z-scored */
  double *en = malloc(n * sizeof *en);              /* z-scored log loudness */
  double *on = malloc(n * sizeof *on);              /* z-scored onset strength */
  double *rep = malloc(n * sizeof *rep);
  long *run = malloc(n * sizeof *run);
  band bc = {n, (size_t)W, malloc(n * (size_t)W * sizeof(float))};
  band bt = {n, (size_t)W, malloc(n * (size_t)W * sizeof(float))};
  band be = {n, (size_t)W, malloc(n * (size_t)W * sizeof(float))};
  band br = {n, (size_t)W, malloc(n * (size_t)W * sizeof(float))};
  int rc = -1;
  if (!s->t0 || !s->t1 || !s->x || !s->chroma || !s->ceps || !s->energy || !ch || !hc || !ce ||
      !gr || !en || !on || !rep || !run || !bc.v || !bt.v || !be.v || !br.v)
    goto done;
  for (size_t i = 0; i < n; i++) {
    s->t0[i] = u[i].t0, s->t1[i] = u[i].t1;
    memcpy(&ch[i * AU_NCHROMA], u[i].chroma, sizeof u[i].chroma);
    memcpy(&hc[i * AU_NCHROMA], u[i].hi, sizeof u[i].hi);
    memcpy(&ce[i * AU_NCEP], u[i].ceps, sizeof u[i].ceps);
    memcpy(&gr[i * AU_NGROUP], u[i].groups, sizeof u[i].groups);
    en[i] = u[i].db / 20;
    on[i] = u[i].onset;
  }
  const char *skip = in_gap + lo;
  for (size_t i = 0; i < n; i++) run[i] = i > 0 && skip[i] == skip[i - 1] ? run[i - 1] : (long)i;
  for (int k = 0; k < AU_NCEP; k++) zscore(ce, n, AU_NCEP, k, skip);
  for (int k = 0; k < AU_NGROUP; k++) zscore(gr, n, AU_NGROUP, k, skip);
  zscore(en, n, 1, 0, skip);
  zscore(on, n, 1, 0, skip);

  /* The smoothed features of the labels and of the "fs4"/"fcs4" novelty: chroma over
   * +-2 bars (a chord progression becomes a stable harmonic profile), timbre and loudness
   * over +-2 beats (kick and snare beats average out). */
  smooth(ch, s->chroma, n, AU_NCHROMA, 2L * m);
  for (size_t i = 0; i < n; i++) normalise(&s->chroma[i * AU_NCHROMA], AU_NCHROMA);
  smooth(ce, s->ceps, n, AU_NCEP, 2);
  smooth(en, s->energy, n, 1, 2);

  /* Per-beat similarities (cosine; loudness exp(-|difference|)) in bands. */
  for (size_t i = 0; i < n; i++) {
    double ti[AU_NCEP], ri[AU_NGROUP];
    memcpy(ti, &ce[i * AU_NCEP], sizeof ti);
    memcpy(ri, &gr[i * AU_NGROUP], sizeof ri);
    normalise(ti, AU_NCEP);
    normalise(ri, AU_NGROUP);
    for (long d = 0; d < W; d++) {
      size_t j = i + (size_t)d, o = i * (size_t)W + (size_t)d;
      if (j >= n) {
        bc.v[o] = bt.v[o] = be.v[o] = br.v[o] = 0;
        continue;
      }
      double tj[AU_NCEP], rj[AU_NGROUP];
      memcpy(tj, &ce[j * AU_NCEP], sizeof tj);
      memcpy(rj, &gr[j * AU_NGROUP], sizeof rj);
      normalise(tj, AU_NCEP);
      normalise(rj, AU_NGROUP);
      bc.v[o] = (float)dot(&ch[i * AU_NCHROMA], &ch[j * AU_NCHROMA], AU_NCHROMA);
      bt.v[o] = (float)dot(ti, tj, AU_NCEP);
      be.v[o] = (float)exp(-fabs(en[i] - en[j]));
      br.v[o] = (float)dot(ri, rj, AU_NGROUP);
    }
  }
  static const int scale[3] = {2, 4, 8};
  for (int k = 0; k < 3; k++) {
    long L = (long)scale[k] * m;
    foote(&bc, run, L, s->x, AU_SEC_fc2 + k);
    foote(&bt, run, L, s->x, AU_SEC_ft2 + k);
    foote(&be, run, L, s->x, AU_SEC_fe2 + k);
    foote(&br, run, L, s->x, AU_SEC_fr2 + k);
  }
  /* The melody's register: its own novelty at 2 and 4 bars (the rhythm band is free now)
   * and the break in its repetition at 2 and 4 bars. A new melody over the same chords
   * moves little in the full chroma, where the chords dominate. */
  for (size_t i = 0; i < n; i++)
    for (long d = 0; d < W; d++) {
      size_t j = i + (size_t)d;
      if (j < n) br.v[i * (size_t)W + (size_t)d] = (float)dot(&hc[i * AU_NCHROMA], &hc[j * AU_NCHROMA], AU_NCHROMA);
    }
  foote(&br, run, 2L * m, s->x, AU_SEC_fm2);
  foote(&br, run, 4L * m, s->x, AU_SEC_fm4);
  rep_break(hc, AU_NCHROMA, (long)n, 2L * m, m, rep, s->x, AU_SEC_repm2);
  rep_break(hc, AU_NCHROMA, (long)n, 4L * m, m, rep, s->x, AU_SEC_repm4);
  /* The smoothed similarity (as the labels see it), and its harmony alone, at 4 bars. */
  {
    band bs = {n, (size_t)W, bc.v}, bh = {n, (size_t)W, bt.v};
    for (size_t i = 0; i < n; i++)
      for (long d = 0; d < W; d++) {
        size_t j = i + (size_t)d, o = i * (size_t)W + (size_t)d;
        if (j >= n) continue;
        bs.v[o] = (float)vsc_audio_section_sim(s, i, j);
        bh.v[o] = (float)dot(&s->chroma[i * AU_NCHROMA], &s->chroma[j * AU_NCHROMA], AU_NCHROMA);
      }
    foote(&bs, run, 4L * m, s->x, AU_SEC_fs4);
    foote(&bh, run, 4L * m, s->x, AU_SEC_fcs4);
  }
  /* Repetition (Serrà et al. 2014, the time-lag view): rep[i] is how much the bar from
   * beat i repeats the bar P beats earlier, in harmony and timbre together. Its drop
   * (the 2 bars before i repeat, the 2 bars from i on do not) marks a new block. The
   * per-beat bands were overwritten above, so harmony and timbre are recomputed here. */
  for (int k = 0; k < 3; k++) {
    long P = (long)scale[k] * m;
    for (long i = 0; i < (long)n; i++) {
      rep[i] = NAN;
      if (i < P) continue;
      double acc = 0;
      long cnt = 0;
      for (long q = 0; q < m && i + q < (long)n; q++, cnt++) {
        long a = i + q, b = i + q - P;
        double t1[AU_NCEP], t2[AU_NCEP];
        memcpy(t1, &ce[(size_t)a * AU_NCEP], sizeof t1);
        memcpy(t2, &ce[(size_t)b * AU_NCEP], sizeof t2);
        normalise(t1, AU_NCEP);
        normalise(t2, AU_NCEP);
        acc += 0.5 * dot(&ch[(size_t)a * AU_NCHROMA], &ch[(size_t)b * AU_NCHROMA], AU_NCHROMA) +
               0.5 * dot(t1, t2, AU_NCEP);
      }
      rep[i] = cnt ? acc / (double)cnt : NAN;
    }
    rep_drop(rep, (long)n, m, s->x, AU_SEC_rep2 + k);
  }
  /* Events: the onset strength on the beat (a crash), the bar before against the bar
   * before that (a fill), and the step in loudness across. */
  for (long i = 0; i < (long)n; i++) {
    double *x = &s->x[(size_t)i * AU_SEC_NFEAT];
    x[AU_SEC_on0] = on[i];
    x[AU_SEC_fill] = win_mean(on, (long)n, i - m, i) - win_mean(on, (long)n, i - 2L * m, i - m);
    x[AU_SEC_estep] = fabs(win_mean(en, (long)n, i, i + m) - win_mean(en, (long)n, i - m, i));
  }
  /* The phrase grid: downbeats, every 4th and 8th bar from the first downbeat, and the
   * phase of the 4-bar grid on which this song's novelty is strongest. */
  {
    long didx = -1;
    double phs[4] = {0};
    for (size_t i = 0; i < n; i++) {
      double *x = &s->x[i * AU_SEC_NFEAT];
      int down = 0;
      for (size_t k = 0; k < ndown && !down; k++)
        if (fabs(downbeats[k] - s->t0[i]) < DOWN_TOL) down = 1;
      if (!down) continue;
      didx++;
      x[AU_SEC_down] = 1;
      x[AU_SEC_ph4] = didx % 4 == 0;
      x[AU_SEC_ph8] = didx % 8 == 0;
      x[AU_SEC_ph4a] = (double)(didx % 4); /* the phase, turned into 0/1 below */
      phs[didx % 4] += x[AU_SEC_fc4] + x[AU_SEC_ft4] + x[AU_SEC_fe4];
    }
    int best = 0;
    for (int p = 1; p < 4; p++)
      if (phs[p] > phs[best]) best = p;
    for (size_t i = 0; i < n; i++) {
      double *x = &s->x[i * AU_SEC_NFEAT];
      x[AU_SEC_ph4a] = x[AU_SEC_down] > 0 && (int)x[AU_SEC_ph4a] == best;
      double nsum = x[AU_SEC_fs4] + x[AU_SEC_fc8] + x[AU_SEC_fe2] + x[AU_SEC_ft4];
      x[AU_SEC_x_ph4a] = nsum * x[AU_SEC_ph4a];
      x[AU_SEC_x_down] = nsum * x[AU_SEC_down];
    }
  }
  /* Context: a few descriptors of the bar after and of the bar before. */
  {
    static const int ctx[7] = {AU_SEC_fs4, AU_SEC_fc8, AU_SEC_fe2, AU_SEC_ft4,
                               AU_SEC_ph4, AU_SEC_ph4a, AU_SEC_x_ph4a};
    for (long i = 0; i < (long)n; i++)
      for (int k = 0; k < 7; k++) {
        double *x = &s->x[(size_t)i * AU_SEC_NFEAT];
        x[AU_SEC_n_fs4 + k] = i + m < (long)n ? s->x[(size_t)(i + m) * AU_SEC_NFEAT + (size_t)ctx[k]] : 0;
        x[AU_SEC_p_fs4 + k] = i - m >= 0 ? s->x[(size_t)(i - m) * AU_SEC_NFEAT + (size_t)ctx[k]] : 0;
      }
    for (long i = 0; i < (long)n; i++) {
      double *x = &s->x[(size_t)i * AU_SEC_NFEAT];
      x[AU_SEC_n_fill] = i + m < (long)n ? s->x[(size_t)(i + m) * AU_SEC_NFEAT + AU_SEC_fill] : 0;
      x[AU_SEC_n_on0] = i + m < (long)n ? s->x[(size_t)(i + m) * AU_SEC_NFEAT + AU_SEC_on0] : 0;
    }
  }
  rc = 0;
done:
  free(split);
  free(all), free(in_gap), free(ch), free(hc), free(ce), free(gr), free(en), free(on), free(rep), free(run);
  free(bc.v), free(bt.v), free(be.v), free(br.v);
  if (rc < 0) vsc_audio_section_features_free(s);
  return rc;
}
