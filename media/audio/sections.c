/*
** Audio stage: sections. Beat-synchronous chroma (harmony), cepstra (timbre) and loudness
** form a self-similarity matrix; a Gaussian-tapered checkerboard kernel slid along its
** diagonal (Foote 2000) peaks where the music changes. Peaks become section boundaries,
** and sections whose features match an earlier one share its label (A, B, A, ...).
*/
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au_sections.h"
#include "au_util.h"

#define KERNEL_S 6.0      /* half-width of the checkerboard kernel, seconds */
#define MIN_SECTION_S 4.0 /* no section shorter than this */
#define LEAD_S 1.5        /* a silent lead-in this long is a section (silence/music edge) */
#define PEAK_FLOOR 0.06   /* novelty below this is not a boundary (uniform music stays one) */
#define SAME_LABEL 0.45   /* segment distance, relative to adjacent segments', for "same kind" */
#define NFEAT (AU_NCHROMA + AU_NCEP + 1)

/* One analysis unit: a beat interval (or a fixed slice when there are few beats). */
typedef struct {
  double t0, t1;
  double chroma[AU_NCHROMA]; /* L2-normalised, or all 0 for silence */
  double ceps[AU_NCEP];      /* z-scored over the song */
  double energy;             /* z-scored log RMS */
  double db;                 /* RMS level in dB (before z-scoring) */
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

/* Similarity of two units in [0, 1]: harmony, timbre and loudness equally. */
static double unit_sim(const unit *a, const unit *b) {
  double hc = dot(a->chroma, b->chroma, AU_NCHROMA);
  double za = sqrt(dot(a->chroma, a->chroma, AU_NCHROMA)), zb = sqrt(dot(b->chroma, b->chroma, AU_NCHROMA));
  if (za == 0 || zb == 0) hc = (za == 0 && zb == 0) ? 1.0 : 0.0;
  double ta = sqrt(dot(a->ceps, a->ceps, AU_NCEP)), tb = sqrt(dot(b->ceps, b->ceps, AU_NCEP));
  double tc = ta > 0 && tb > 0 ? dot(a->ceps, b->ceps, AU_NCEP) / (ta * tb) : 1.0;
  double ec = exp(-fabs(a->energy - b->energy));
  return (hc + 0.5 * (1.0 + tc) + ec) / 3.0;
}

static void fill_units(const au_features *f, unit *u, size_t nu) {
  for (size_t i = 0; i < nu; i++) {
    memset(u[i].chroma, 0, sizeof u[i].chroma);
    memset(u[i].ceps, 0, sizeof u[i].ceps);
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
      for (int k = 0; k < AU_NCEP; k++) u[i].ceps[k] += f->ceps[(size_t)j * AU_NCEP + k];
      cnt++;
    }
    if (cnt > 0)
      for (int k = 0; k < AU_NCEP; k++) u[i].ceps[k] /= cnt;
    normalise(u[i].chroma, AU_NCHROMA);
    /* Loudness: RMS over the unit's onset frames. */
    long a = lround((u[i].t0 - f->t0) * f->fps), b = lround((u[i].t1 - f->t0) * f->fps);
    if (a < 0) a = 0;
    if (b > (long)f->n) b = (long)f->n;
    double sq = 0;
    long m = 0;
    for (long k = a; k < b; k++, m++) sq += (double)f->rms[k] * f->rms[k];
    u[i].db = 20 * log10(1e-5 + (m ? sqrt(sq / (double)m) : 0));
    u[i].energy = u[i].db / 20;
  }
}

/* z-scores timbre and loudness over the units so no dimension dominates. */
static void zscore_units(unit *u, size_t nu) {
  for (int k = 0; k <= AU_NCEP; k++) {
    double mean = 0, var = 0;
    for (size_t i = 0; i < nu; i++) mean += k < AU_NCEP ? u[i].ceps[k] : u[i].energy;
    mean /= (double)nu;
    for (size_t i = 0; i < nu; i++) {
      double v = (k < AU_NCEP ? u[i].ceps[k] : u[i].energy) - mean;
      var += v * v;
    }
    double sd = sqrt(var / (double)nu);
    for (size_t i = 0; i < nu; i++) {
      double *v = k < AU_NCEP ? &u[i].ceps[k] : &u[i].energy;
      *v = sd > 1e-9 ? (*v - mean) / sd : 0;
    }
  }
}

/* Centred moving averages: chroma over 4 bars (a chord progression becomes a stable
 * harmonic profile, so only a change of progression or key stands out), timbre and
 * loudness over one bar (kick and snare beats average out). Peaks stay in place. */
static int smooth_units(unit *u, size_t nu, int beat_units) {
  long wc = beat_units ? 8 : 16, wt = beat_units ? 2 : 4; /* half-widths in units */
  unit *c = malloc(nu * sizeof *c);
  if (!c) return -1;
  memcpy(c, u, nu * sizeof *c);
  for (long i = 0; i < (long)nu; i++) {
    double ch[AU_NCHROMA] = {0}, ce[AU_NCEP] = {0}, en = 0;
    long nc = 0, nt = 0;
    for (long k = i - wc; k <= i + wc; k++) {
      if (k < 0 || k >= (long)nu) continue;
      for (int d = 0; d < AU_NCHROMA; d++) ch[d] += c[k].chroma[d];
      nc++;
      if (k < i - wt || k > i + wt) continue;
      for (int d = 0; d < AU_NCEP; d++) ce[d] += c[k].ceps[d];
      en += c[k].energy;
      nt++;
    }
    normalise(ch, AU_NCHROMA);
    memcpy(u[i].chroma, ch, sizeof ch);
    for (int d = 0; d < AU_NCEP; d++) u[i].ceps[d] = nt ? ce[d] / nt : 0;
    u[i].energy = nt ? en / nt : 0;
    (void)nc;
  }
  free(c);
  return 0;
}

int vsc_audio_sections(const au_features *f, const double *beats, size_t nbeats,
                       const double *downbeats, size_t ndown, vsc_audio_section **out,
                       size_t *nout) {
  *out = NULL;
  *nout = 0;
  double dur = f->duration;
  /* Units: beat intervals, with the stretches before the first and after the last beat. */
  size_t nu = 0;
  unit *u = NULL;
  if (nbeats >= 16) {
    /* Long stretches without beats (a silent intro, the ring-out) are cut into pieces of
     * one median beat so that every unit covers about the same time. */
    double *ibi = malloc((nbeats - 1) * sizeof *ibi);
    if (!ibi) return -1;
    for (size_t i = 0; i + 1 < nbeats; i++) ibi[i] = beats[i + 1] - beats[i];
    double step = vsc_audio_median(ibi, nbeats - 1);
    free(ibi);
    if (step < 0.1) step = 0.1;
    size_t cap = nbeats + 2 + (size_t)(dur / step) * 2;
    u = malloc(cap * sizeof *u);
    if (!u) return -1;
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
    u = malloc((k ? k : 1) * sizeof *u);
    if (!u) return -1;
    for (size_t i = 0; i < k; i++) {
      u[nu].t0 = (double)i * 0.5;
      u[nu].t1 = fmin(dur, (double)(i + 1) * 0.5);
      nu++;
    }
  }
  vsc_audio_section *s = malloc((nu + 1) * sizeof *s);
  if (!s) {
    free(u);
    return -1;
  }
  if (nu < 4 || f->ns == 0) {
    s[0] = (vsc_audio_section){0.0, dur, "A", 1.0};
    *out = s;
    *nout = 1;
    free(u);
    return 0;
  }
  fill_units(f, u, nu);
  /* The quiet lead-in and ring-out stay out of the similarity analysis: left in, their
   * silence would look like a section change. A ring-out shorter than a section, and a
   * lead-in shorter than LEAD_S, join their neighbour. */
  unit *whole = u;
  double lead = 0; /* end of a silent lead-in section, or 0 */
  {
    double *db = malloc(nu * sizeof *db);
    if (!db) {
      free(u), free(s);
      return -1;
    }
    for (size_t i = 0; i < nu; i++) db[i] = u[i].db;
    double quiet = vsc_audio_median(db, nu) - 30.0;
    free(db);
    size_t lo = 0, hi = nu;
    while (lo < hi && u[lo].db < quiet) lo++;
    while (hi > lo && u[hi - 1].db < quiet) hi--;
    if (lo < hi && u[nu - 1].t1 - u[hi - 1].t1 >= MIN_SECTION_S) hi = nu;
    if (hi - lo < 4) lo = 0, hi = nu;
    if (lo > 0 && u[lo].t0 - u[0].t0 >= LEAD_S) {
      /* A silent lead-in is a section of its own, however short the checkerboard kernel
       * would find it: it ends where the music starts, the first note onset there (the
       * first loud unit may begin a little early, on a beat extrapolated into the
       * silence). */
      lead = u[lo].t0;
      for (size_t k = 0; k < f->nonsets; k++)
        if (f->onsets[k] >= u[lo - 1].t0 && f->onsets[k] <= u[lo].t1 + 0.5) {
          lead = f->onsets[k];
          break;
        }
    }
    u += lo;
    nu = hi - lo;
  }
  zscore_units(u, nu);
  if (smooth_units(u, nu, nbeats >= 16) < 0) {
    free(whole), free(s);
    return -1;
  }
  double first_t = u[0].t0, last_t = u[nu - 1].t1;

  double *sim = malloc(nu * nu * sizeof *sim);
  double *nov = calloc(nu, sizeof *nov);
  size_t *bounds = malloc((nu + 1) * sizeof *bounds);
  int *label = malloc((nu + 1) * sizeof *label);
  if (!sim || !nov || !bounds || !label) {
    free(whole), free(s), free(sim), free(nov), free(bounds), free(label);
    return -1;
  }
  for (size_t i = 0; i < nu; i++)
    for (size_t j = i; j < nu; j++) sim[i * nu + j] = sim[j * nu + i] = unit_sim(&u[i], &u[j]);

  double unit_len = (u[nu - 1].t1 - u[0].t0) / (double)nu;
  long L = nbeats >= 16 ? 16 : lround(KERNEL_S / unit_len); /* 4 bars of 4/4 */
  if (L < 4) L = 4;
  if (L > 32) L = 32;
  /* nov[i]: change between units before i and from i on. */
  for (long i = 1; i < (long)nu; i++) {
    /* Gaussian-weighted means of the three quadrants (past-past, future-future,
     * past-future): a uniform stretch scores 0 even where the song's edge cuts the
     * kernel; the share of the kernel inside the song scales the result down there. */
    double m[3] = {0}, w[3] = {0}, cover[2] = {0}, full[2] = {0};
    for (long a = -L; a < L; a++) {
      long ia = i + a;
      double ga = exp(-0.5 * pow((a + 0.5) / (0.5 * L), 2));
      full[a >= 0] += ga;
      if (ia < 0 || ia >= (long)nu) continue;
      cover[a >= 0] += ga;
      for (long b = -L; b < L; b++) {
        long ib = i + b;
        if (ib < 0 || ib >= (long)nu) continue;
        double g = ga * exp(-0.5 * pow((b + 0.5) / (0.5 * L), 2));
        int quad = (a < 0) != (b < 0) ? 2 : a >= 0;
        m[quad] += g * sim[ia * (long)nu + ib];
        w[quad] += g;
      }
    }
    double c = fmin(cover[0] / full[0], cover[1] / full[1]);
    nov[i] = w[0] > 0 && w[1] > 0 && w[2] > 0
               ? 0.25 * c * (m[0] / w[0] + m[1] / w[1] - 2 * m[2] / w[2])
               : 0;
  }
  /* Only boundaries that leave MIN_SECTION_S on both sides count, also for the scale. */
  double nmax = 0;
  for (size_t i = 1; i < nu; i++) {
    if (u[i].t0 - first_t < MIN_SECTION_S || last_t - u[i].t0 < MIN_SECTION_S) nov[i] = 0;
    if (nov[i] > nmax) nmax = nov[i];
  }

  /* Peaks: local maxima over +-MIN_SECTION_S, strong enough, greedily strongest first. */
  size_t nb = 0;
  bounds[nb++] = 0;
  long reach = lround(MIN_SECTION_S / unit_len);
  if (reach < 2) reach = 2;
  char *taken = calloc(nu, 1);
  if (!taken) {
    free(whole), free(s), free(sim), free(nov), free(bounds), free(label);
    return -1;
  }
  for (;;) {
    long bi = -1;
    for (long i = 1; i < (long)nu; i++) {
      if (taken[i] || nov[i] < PEAK_FLOOR || nov[i] < 0.3 * nmax) continue;
      if (bi < 0 || nov[i] > nov[bi]) bi = i;
    }
    if (bi < 0) break;
    int ok = 1;
    for (size_t k = 1; k < nb; k++)
      if (labs((long)bounds[k] - bi) < reach ||
          fabs(u[bounds[k]].t0 - u[bi].t0) < MIN_SECTION_S)
        ok = 0;
    for (long k = bi - reach / 2; k <= bi + reach / 2; k++)
      if (k >= 0 && k < (long)nu) taken[k] = 1;
    if (ok) bounds[nb++] = (size_t)bi;
  }
  free(taken);
  /* Sort boundaries. */
  for (size_t i = 1; i < nb; i++)
    for (size_t j = i; j > 0 && bounds[j - 1] > bounds[j]; j--) {
      size_t t = bounds[j];
      bounds[j] = bounds[j - 1];
      bounds[j - 1] = t;
    }
  bounds[nb] = nu;

  /* Labels: block similarity of segments, relative to their own coherence. */
  size_t ns = nb;
  double *block = malloc(ns * ns * sizeof *block);
  if (!block) {
    free(whole), free(s), free(sim), free(nov), free(bounds), free(label);
    return -1;
  }
  for (size_t p = 0; p < ns; p++)
    for (size_t q = 0; q < ns; q++) {
      double acc = 0;
      size_t m = 0;
      for (size_t i = bounds[p]; i < bounds[p + 1]; i++)
        for (size_t j = bounds[q]; j < bounds[q + 1]; j++) {
          if (p == q && i == j) continue;
          acc += sim[i * nu + j];
          m++;
        }
      block[p * ns + q] = m ? acc / (double)m : 1.0;
    }
  double adj = 0;
  for (size_t p = 0; p + 1 < ns; p++)
    adj += 0.5 * (block[p * ns + p] + block[(p + 1) * ns + p + 1]) - block[p * ns + p + 1];
  adj = ns > 1 ? adj / (double)(ns - 1) : 1.0;
  int nlabels = 0;
  for (size_t q = 0; q < ns; q++) {
    label[q] = -1;
    double bestd = DBL_MAX;
    for (size_t p = 0; p < q; p++) {
      double d = 0.5 * (block[p * ns + p] + block[q * ns + q]) - block[p * ns + q];
      if (d < bestd) {
        bestd = d;
        label[q] = label[p];
      }
    }
    if (label[q] < 0 || adj <= 0 || bestd > SAME_LABEL * adj) label[q] = nlabels++;
  }
  /* Sections start on bars: move each boundary to a downbeat within a beat and a half. */
  double *bt = malloc((ns + 1) * sizeof *bt);
  if (!bt) {
    free(whole), free(s), free(sim), free(nov), free(bounds), free(label), free(block);
    return -1;
  }
  double beat_len = unit_len;
  if (nbeats >= 2) beat_len = (beats[nbeats - 1] - beats[0]) / (double)(nbeats - 1);
  for (size_t q = 0; q < ns; q++) {
    bt[q] = q == 0 ? 0.0 : u[bounds[q]].t0;
    if (q == 0 || ndown == 0) continue;
    double best = bt[q];
    for (size_t k = 0; k < ndown; k++)
      if (fabs(downbeats[k] - bt[q]) < fabs(best - bt[q]) || best == bt[q]) best = downbeats[k];
    if (fabs(best - bt[q]) <= 1.5 * beat_len && best > bt[q - 1] + 0.5 * MIN_SECTION_S) bt[q] = best;
  }
  bt[ns] = dur;
  if (lead > 0) bt[0] = lead;
  size_t q0 = lead > 0; /* the silent lead-in comes first, labelled A */
  if (q0) s[0] = (vsc_audio_section){0.0, lead, "A", 1.0};
  for (size_t q = 0; q < ns; q++) {
    vsc_audio_section *sq = &s[q + q0];
    sq->start = bt[q];
    sq->end = bt[q + 1];
    int l = label[q] + (int)q0;
    if (l < 26) snprintf(sq->label, sizeof sq->label, "%c", 'A' + l);
    else snprintf(sq->label, sizeof sq->label, "%c%d", 'A' + l % 26, (l / 26) % 1000);
    sq->confidence = q == 0 ? 1.0 : (nmax > 0 ? nov[bounds[q]] / nmax : 0);
  }
  *out = s;
  *nout = ns + q0;
  free(whole), free(sim), free(nov), free(bounds), free(label), free(block), free(bt);
  return 0;
}
