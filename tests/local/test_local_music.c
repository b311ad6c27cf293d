/*
** The local provider's music bed (generate kind "music"): format and exact length, kick
** onsets on the tempo grid (decoded and measured), bar accents, a pattern change at the
** 8-bar section boundary, determinism from the seed, and rejected params.
*/
#include <math.h>
#include <time.h>

#include "tl.h"

#define SR 48000
#define HOP 48 /* 1 ms */

typedef struct {
  double *env; /* RMS of the low band over `win` samples, one value per ms */
  size_t n;
} lowenv;

/* Low band (two one-pole low-passes at 120 Hz) of the mono mix, RMS per 1 ms hop over
** `win` samples: 2 ms to time onsets, a whole kick period (24 ms) to compare strengths. */
static lowenv low_envelope(const tl_wav *w, size_t win) {
  lowenv e = {0};
  double a = 1.0 - exp(-2.0 * M_PI * 120.0 / SR);
  double *lp = malloc(w->frames * sizeof *lp);
  double s1 = 0, s2 = 0;
  for (size_t i = 0; i < w->frames; i++) {
    double x = (w->pcm[2 * i] + w->pcm[2 * i + 1]) / 65536.0;
    s1 += a * (x - s1);
    s2 += a * (s1 - s2);
    lp[i] = s2;
  }
  e.n = w->frames > win ? (w->frames - win) / HOP : 0;
  e.env = calloc(e.n + 1, sizeof *e.env);
  for (size_t f = 0; f < e.n; f++) {
    double s = 0;
    for (size_t k = 0; k < win; k++) s += lp[f * HOP + k] * lp[f * HOP + k];
    e.env[f] = sqrt(s / (double)win);
  }
  free(lp);
  return e;
}

static double max_over(const lowenv *e, long f0, long f1) {
  double m = 0;
  for (long f = f0 < 0 ? 0 : f0; f < f1 && f < (long)e->n; f++)
    if (e->env[f] > m) m = e->env[f];
  return m;
}

static double mean_over(const lowenv *e, long f0, long f1) {
  double s = 0;
  long n = 0;
  for (long f = f0 < 0 ? 0 : f0; f < f1 && f < (long)e->n; f++, n++) s += e->env[f];
  return n ? s / n : 0;
}

/* High band energy (first difference) of samples [t0, t1) seconds. */
static double high_energy(const tl_wav *w, double t0, double t1) {
  size_t a = (size_t)(t0 * SR), b = (size_t)(t1 * SR);
  if (b > w->frames) b = w->frames;
  double s = 0;
  for (size_t i = a + 1; i < b; i++) {
    double d = (w->pcm[2 * i] - w->pcm[2 * i - 2]) / 32768.0;
    s += d * d;
  }
  return b > a ? s / (double)(b - a) : 0;
}

static void check_grid(double tempo, int seed, double dur) {
  char json[256], name[64];
  snprintf(json, sizeof json,
           "{\"op\":\"generate\",\"params\":{\"kind\":\"music\",\"duration\":%g,\"tempo\":%g,"
           "\"seed\":%d}}",
           dur, tempo, seed);
  snprintf(name, sizeof name, "music_%g_%d.wav", tempo, seed);
  const char *out = tl_path(name);
  vsc_op_error e;
  clock_t c0 = clock();
  int rc = tl_run(vsc_local_generate, json, NULL, 0, out, &e);
  double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
  CHECK(rc == 0, "generate music: %s", e.msg);
  if (rc) return;
  tl_wav w;
  CHECK(tl_wav_read(out, &w) == 0, "%s is not a readable wav", out);
  CHECK(w.channels == 2 && w.rate == SR && w.bits == 16, "format %d ch %d Hz %d bit", w.channels,
        w.rate, w.bits);
  CHECK(w.frames == (size_t)llround(dur * SR), "length %zu frames, want %lld", w.frames,
        llround(dur * SR));
  if (!w.pcm || w.channels != 2) return;

  lowenv env = low_envelope(&w, 96), slow = low_envelope(&w, 1152);
  double spb = 60.0 / tempo;
  int nbeats = 0, bad_onset = 0, weak = 0;
  double worst = 0, accent = 0, plain = 0;
  int naccent = 0, nplain = 0;
  for (int i = 0;; i++) {
    double tb = i * spb;
    if (tb > dur - 0.06) break;
    long fb = lround(tb * 1000.0);
    double pre = i == 0 ? 0.0 : mean_over(&env, fb - 14, fb - 4);
    double post = max_over(&env, fb, fb + 30);
    if (!(post > 3.0 * pre) || post < 0.01) weak++;
    /* Onset: first ms where the envelope is halfway from before to the peak. Frame f holds
    ** samples [f, f + 2) ms, so it starts to rise one frame before the hit. */
    long on = -1;
    for (long f = fb - 12; f < fb + 30; f++)
      if (f >= 0 && f < (long)env.n && env.env[f] >= pre + 0.5 * (post - pre)) {
        on = f;
        break;
      }
    double dt = on < 0 ? 1.0 : fabs((on + 1) / 1000.0 - tb);
    if (dt > worst) worst = dt;
    if (dt > 0.006) bad_onset++;
    if (i % 4 == 0) accent += post, naccent++;
    else plain += post, nplain++;
    nbeats++;
  }
  CHECK(nbeats >= (int)(dur / spb) - 1, "only %d beats measured", nbeats);
  CHECK(weak == 0, "%d of %d beats have no kick onset (tempo %g)", weak, nbeats, tempo);
  CHECK(bad_onset == 0, "%d onsets off the grid, worst %.1f ms (tempo %g)", bad_onset,
        worst * 1000, tempo);
  CHECK(accent / naccent > 1.1 * (plain / nplain), "bar starts not accented: %.4f vs %.4f",
        accent / naccent, plain / nplain);

  /* Nothing off the grid hits the low band like a kick does. Rise ratio of the slow
  ** envelope: level now over the level 24-36 ms before. Every kick jumps by a large ratio;
  ** bass notes and the beating of the kick's tail with the bass must stay well below the
  ** weakest kick. Frame f spans [f, f + 24) ms, so a kick at tb lifts frames tb-24..tb+12. */
  double kick_min = 1e9, off_max = 0, off_t = 0;
  for (long f = 36; f < (long)slow.n; f++) {
    double r = slow.env[f] / (mean_over(&slow, f - 36, f - 24) + 1e-4);
    double t = (f + 6) / 1000.0, k = round(t / spb);
    if (fabs(t - k * spb) > 0.040) {
      if (r > off_max) off_max = r, off_t = t;
    }
  }
  for (int i = 1; i * spb < dur - 0.06; i++) {
    long fb = lround(i * spb * 1000.0);
    double best = 0;
    for (long f = fb - 18; f <= fb + 12; f++) {
      if (f < 36 || f >= (long)slow.n) continue;
      double r = slow.env[f] / (mean_over(&slow, f - 36, f - 24) + 1e-4);
      if (r > best) best = r;
    }
    if (best < kick_min) kick_min = best;
  }
  CHECK(off_max < 0.6 * kick_min, "off-grid low-band rise %.2f at %.3f s vs weakest kick %.2f (tempo %g)",
        off_max, off_t, kick_min, tempo);

  /* Bars 9-16 (a B section: snare, 16th hats, arpeggio) differ from the intro. */
  double bar = 4 * spb;
  if (dur >= 16 * bar) {
    double intro = high_energy(&w, 0, 8 * bar), sec_b = high_energy(&w, 8 * bar, 16 * bar);
    CHECK(sec_b > 2.0 * intro, "no pattern change at bar 8: high band %.3g vs %.3g", sec_b, intro);
    printf("tempo %g: %g s rendered in %.2f s cpu\n", tempo, dur, cpu);
    printf("tempo %g: worst onset error %.1f ms, weakest kick rise x%.2f, strongest off-grid "
           "rise x%.2f (%.3f s), high band intro %.3g / B %.3g\n",
           tempo, worst * 1000, kick_min, off_max, off_t, intro, sec_b);
  }
  free(env.env);
  free(slow.env);
  free(w.pcm);
}

int main(int argc, char **argv) {
  tl_init(argc, argv);
  check_grid(120, 1, 34);
  check_grid(97, 5, 42); /* 29690.72 samples per beat: rounding must not drift */
  check_grid(174, 9, 24);

  /* Deterministic from the seed. */
  const char *a = tl_path("m_a.wav"), *b = tl_path("m_b.wav"), *c = tl_path("m_c.wav");
  vsc_op_error e;
  const char *j1 = "{\"op\":\"generate\",\"params\":{\"kind\":\"music\",\"duration\":6,\"tempo\":128,\"seed\":42}}";
  const char *j2 = "{\"op\":\"generate\",\"params\":{\"kind\":\"music\",\"duration\":6,\"tempo\":128,\"seed\":43}}";
  CHECK(tl_run(vsc_local_generate, j1, NULL, 0, a, &e) == 0, "%s", e.msg);
  CHECK(tl_run(vsc_local_generate, j1, NULL, 0, b, &e) == 0, "%s", e.msg);
  CHECK(tl_run(vsc_local_generate, j2, NULL, 0, c, &e) == 0, "%s", e.msg);
  CHECK(vsc_test_same_bytes(a, b), "same seed gave different bytes");
  CHECK(!vsc_test_same_bytes(a, c), "different seeds gave the same bytes");

  /* Default tempo is 120: the second kick lands at 0.5 s. */
  const char *d = tl_path("m_default.wav");
  CHECK(tl_run(vsc_local_generate, "{\"params\":{\"kind\":\"music\",\"duration\":2}}", NULL, 0, d,
               &e) == 0,
        "%s", e.msg);
  tl_wav w;
  if (tl_wav_read(d, &w) == 0) {
    lowenv env = low_envelope(&w, 96);
    CHECK(max_over(&env, 500, 530) > 3 * mean_over(&env, 486, 496), "no kick at 0.5 s by default");
    free(env.env);
    free(w.pcm);
  }

  /* Bad params are input errors. */
  CHECK(tl_run(vsc_local_generate, "{\"params\":{\"kind\":\"music\",\"duration\":2,\"tempo\":5}}",
               NULL, 0, d, &e) != 0 &&
            e.kind == VSC_FAIL_INPUT,
        "tempo 5 accepted");
  CHECK(tl_run(vsc_local_generate, "{\"params\":{\"kind\":\"music\"}}", NULL, 0, d, &e) != 0 &&
            e.kind == VSC_FAIL_INPUT,
        "missing duration accepted");
  CHECK(tl_run(vsc_local_generate, "{\"params\":{\"kind\":\"hologram\"}}", NULL, 0, d, &e) != 0 &&
            e.kind == VSC_FAIL_INPUT,
        "unknown kind accepted");

  return vsc_test_done("local_music");
}
