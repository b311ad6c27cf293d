/*
** Accuracy test driver for the audio analysis.
**   audio_tool run CASE          synthesise CASE, write it as WAV, analyse, check the truth
**   audio_tool synth CASE OUT    write CASE as a WAV file
**   audio_tool check CASE FILE   analyse FILE (e.g. CASE encoded as MP3) and check the truth
**   audio_tool list              print the case names
**   audio_tool features FILE OUT write the beat model's inputs for every onset frame of FILE
**                                (for tests/audio/train_beatnet.py)
**   audio_tool curves FILE OUT   write the onset, low-band, body, activation and pulse curves
**   audio_tool levels FILE       print each candidate metrical level: its tempo, the median
**                                tempo of its grid and the level model's inputs (one line
**                                each; for tests/audio/train_level.py)
**   audio_tool barfeatures FILE BEATS OUT
**                                write the bar model's inputs at the beats listed in the
**                                text file BEATS (seconds) (for tests/audio/train_barnet.py)
**   audio_tool secfeatures FILE OUT
**                                write the section model's inputs for every beat of FILE as
**                                JSON (for tests/audio/train_sections.py)
** Checks: beat F-measure (+-70 ms) >= 0.95 (0.85 on hard cases), tempo within 4 %, meter,
** downbeats right on >= 90 % of bars (steady tracks), section boundaries within 0.5 s and
** their labels, and a confidence above the low-confidence mark on clean tracks. Exit 0 when every check passes.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "au_barnet.h"
#include "au_beatnet.h"
#include "au_features.h"
#include "au_secfeat.h"
#include "au_tempo.h"
#include "au_track.h"
#include "synth.h"
#include "vsc/vsc_audio.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int check(const synth_track *t, const char *name, const char *file) {
  vsc_audio_analysis *a;
  char err[512];
  double t0 = now_s();
  if (vsc_audio_analyze(&a, file, NULL, err, sizeof err) < 0) {
    fprintf(stderr, "%s: FAIL: %s\n", name, err);
    return 1;
  }
  double secs = now_s() - t0;
  int fails = 0;
  double beat_f = synth_fmeasure(a->beats, a->nbeats, t->beats, t->nbeats, 0.07);
  double need = t->hard ? 0.85 : 0.95;
  printf("%s: beat F %.3f (need %.2f), %zu beats (truth %zu)\n", name, beat_f, need, a->nbeats,
         t->nbeats);
  if (beat_f < need) fails++, printf("  FAIL: beat F-measure\n");
  printf("  tempo %.2f BPM (truth %.0f), confidence %.2f (tempo %.2f, beats %.2f)\n", a->tempo,
         t->tempo, a->confidence, a->tempo_confidence, a->beat_confidence);
  if (t->tempo > 0 && fabs(a->tempo - t->tempo) > 0.04 * t->tempo)
    fails++, printf("  FAIL: tempo off by more than 4 %%\n");
  if (!t->hard && a->confidence < VSC_AUDIO_LOW_CONFIDENCE)
    fails++, printf("  FAIL: a clean track reported as low confidence\n");
  double down_f = synth_fmeasure(a->downbeats, a->ndownbeats, t->downbeats, t->ndown, 0.07);
  printf("  meter %d (truth %d, confidence %.2f), downbeat F %.3f\n", a->meter, t->meter,
         a->meter_confidence, down_f);
  if (t->check_downbeats) {
    if (a->meter != t->meter) fails++, printf("  FAIL: meter\n");
    if (down_f < 0.90) fails++, printf("  FAIL: downbeats right on fewer than 90 %% of bars\n");
  }
  printf("  sections:");
  char labels[64] = "";
  for (size_t i = 0; i < a->nsections; i++) {
    printf(" %s[%.2f-%.2f]", a->sections[i].label, a->sections[i].start, a->sections[i].end);
    if (strlen(labels) + strlen(a->sections[i].label) < sizeof labels)
      strcat(labels, a->sections[i].label);
  }
  printf("\n");
  if (t->nbounds > 0) {
    printf("  truth:");
    for (size_t i = 0; i < t->nbounds; i++) printf(" %.2f", t->bounds[i]);
    printf(" labels %s\n", t->labels);
    if (a->nsections != t->nbounds + 1)
      fails++, printf("  FAIL: %zu sections, expected %zu\n", a->nsections, t->nbounds + 1);
    for (size_t i = 0; i < t->nbounds; i++) {
      double best = 1e9;
      for (size_t k = 1; k < a->nsections; k++)
        best = fmin(best, fabs(a->sections[k].start - t->bounds[i]));
      if (best > 0.5) fails++, printf("  FAIL: no boundary within 0.5 s of %.2f\n", t->bounds[i]);
    }
    if (strcmp(labels, t->labels) != 0) fails++, printf("  FAIL: labels %s, expected %s\n", labels, t->labels);
  }
  printf("  analysed %.1f s of audio in %.3f s (%.0fx real time)\n", a->duration, secs,
         a->duration / secs);
  vsc_audio_analysis_free(a);
  return fails ? 1 : 0;
}

/* Decodes `in` and computes its feature curves; says why not on stderr. */
static int load_features(const char *in, au_features *f) {
  float *x;
  size_t n;
  char err[512];
  if (vsc_audio_decode(&x, &n, in, VSC_AUDIO_RATE, 1800, err, sizeof err) < 0) {
    fprintf(stderr, "audio_tool: %s\n", err);
    return -1;
  }
  int rc = vsc_audio_features(f, x, n, VSC_AUDIO_RATE, err, sizeof err);
  free(x);
  if (rc < 0) fprintf(stderr, "audio_tool: %s\n", err);
  return rc < 0 ? -1 : 0;
}

/* Header: frame count, input size, frames per second, time of frame 0 (doubles); then the
 * inputs, n x AU_BEATNET_IN floats. */
static int dump_features(const char *in, const char *out) {
  au_features f;
  if (load_features(in, &f) < 0) return 1;
  FILE *fp = fopen(out, "wb");
  if (!fp) {
    vsc_audio_features_free(&f);
    fprintf(stderr, "audio_tool: cannot write %s\n", out);
    return 1;
  }
  double hdr[4] = {(double)f.n, AU_BEATNET_IN, f.fps, f.t0};
  fwrite(hdr, sizeof hdr, 1, fp);
  float v[AU_BEATNET_IN];
  for (size_t i = 0; i < f.n; i++) {
    vsc_audio_beatnet_input(&f, i, v);
    fwrite(v, sizeof v, 1, fp);
  }
  int rc = fclose(fp) == 0 ? 0 : 1;
  vsc_audio_features_free(&f);
  return rc;
}

/* Header: frame count, curve count, frames per second, time of frame 0 (doubles); then per
 * frame the onset, low-band, body, activation and pulse curves (floats). */
static int dump_curves(const char *in, const char *out) {
  au_features f;
  if (load_features(in, &f) < 0) return 1;
  FILE *fp = fopen(out, "wb");
  if (!fp) {
    vsc_audio_features_free(&f);
    fprintf(stderr, "audio_tool: cannot write %s\n", out);
    return 1;
  }
  double hdr[4] = {(double)f.n, 5, f.fps, f.t0};
  fwrite(hdr, sizeof hdr, 1, fp);
  for (size_t i = 0; i < f.n; i++) {
    float v[5] = {f.onset[i], f.low[i], f.body[i], f.act[i], f.pulse[i]};
    fwrite(v, sizeof v, 1, fp);
  }
  int rc = fclose(fp) == 0 ? 0 : 1;
  vsc_audio_features_free(&f);
  return rc;
}

/* As analyze.c's choice of the metrical level, with the default tempo range. */
static int dump_levels(const char *in) {
  au_features f;
  if (load_features(in, &f) < 0) return 1;
  vsc_audio_options o = VSC_AUDIO_OPTIONS_INIT;
  double bpm, conf, clarity, *b = NULL;
  size_t nb = 0;
  vsc_audio_tempo_global(&f, o.min_bpm, o.max_bpm, &bpm, &conf);
  float *period = malloc((f.n ? f.n : 1) * sizeof *period);
  int rc = !period || (bpm > 0 && vsc_audio_choose_level(&f, o.min_bpm, o.max_bpm, &bpm, period,
                                                         &clarity, &b, &nb, stdout) < 0);
  free(b), free(period);
  vsc_audio_features_free(&f);
  return rc;
}

/* Header: beat count, input size (doubles); then n x AU_BAR_IN floats. */
static int dump_bar_features(const char *in, const char *beats_path, const char *out) {
  FILE *bp = fopen(beats_path, "r");
  if (!bp) {
    fprintf(stderr, "audio_tool: cannot read %s\n", beats_path);
    return 1;
  }
  double *bt = NULL, t;
  size_t nb = 0, cap = 0;
  while (fscanf(bp, "%lf", &t) == 1) {
    if (nb == cap) {
      cap = cap ? 2 * cap : 256;
      double *nbt = realloc(bt, cap * sizeof *bt);
      if (!nbt) {
        free(bt), fclose(bp);
        return 1;
      }
      bt = nbt;
    }
    bt[nb++] = t;
  }
  fclose(bp);
  float *x;
  size_t n;
  char err[512];
  if (nb == 0 || vsc_audio_decode(&x, &n, in, VSC_AUDIO_RATE, 1800, err, sizeof err) < 0) {
    fprintf(stderr, "audio_tool: %s\n", nb ? err : "no beats");
    free(bt);
    return 1;
  }
  au_features f;
  int rc = vsc_audio_features(&f, x, n, VSC_AUDIO_RATE, err, sizeof err);
  free(x);
  if (rc < 0) {
    fprintf(stderr, "audio_tool: %s\n", err);
    free(bt);
    return 1;
  }
  for (size_t i = 0; i < nb; i++) bt[i] = (bt[i] - f.t0) * f.fps; /* seconds -> frames */
  float *d = malloc(nb * AU_BAR_DESC * sizeof *d);
  FILE *fp = d && vsc_audio_bar_descriptors(&f, bt, nb, d) == 0 ? fopen(out, "wb") : NULL;
  rc = 1;
  if (fp) {
    double hdr[2] = {(double)nb, AU_BAR_IN};
    fwrite(hdr, sizeof hdr, 1, fp);
    float v[AU_BAR_IN];
    for (size_t i = 0; i < nb; i++) {
      vsc_audio_barnet_input(d, nb, i, v);
      fwrite(v, sizeof v, 1, fp);
    }
    rc = fclose(fp) == 0 ? 0 : 1;
  }
  if (rc) fprintf(stderr, "audio_tool: cannot write %s\n", out);
  free(d), free(bt);
  vsc_audio_features_free(&f);
  return rc;
}

/* The section model's inputs: the analysis's beats and downbeats, then the descriptors of
 * every unit (au_secfeat.h) as one JSON object. */
static int dump_section_features(const char *in, const char *out) {
  float *x;
  size_t n;
  char err[512];
  if (vsc_audio_decode(&x, &n, in, VSC_AUDIO_RATE, 1800, err, sizeof err) < 0) {
    fprintf(stderr, "audio_tool: %s\n", err);
    return 1;
  }
  vsc_audio_options opts = VSC_AUDIO_OPTIONS_INIT;
  vsc_audio_analysis *a = NULL;
  au_features f;
  au_secfeat s;
  if (vsc_audio_analyze_samples(&a, x, n, VSC_AUDIO_RATE, &opts, err, sizeof err) < 0 ||
      vsc_audio_features(&f, x, n, VSC_AUDIO_RATE, err, sizeof err) < 0) {
    fprintf(stderr, "audio_tool: %s\n", err);
    free(x);
    vsc_audio_analysis_free(a);
    return 1;
  }
  free(x);
  int rc = 1;
  if (vsc_audio_section_features(&f, a->beats, a->nbeats, a->downbeats, a->ndownbeats, &s) == 0) {
    FILE *fp = fopen(out, "w");
    if (fp) {
      fprintf(fp, "{\"lead\": %.4f, \"t0\": [", s.lead);
      for (size_t i = 0; i < s.n; i++) fprintf(fp, "%s%.4f", i ? "," : "", s.t0[i]);
      fprintf(fp, "], \"gaps\": [");
      for (size_t i = 0; i < 2 * s.ngaps; i++) fprintf(fp, "%s%.4f", i ? "," : "", s.gaps[i]);
      fprintf(fp, "], \"t1\": %.4f, \"meter\": %d, \"meter_confidence\": %.4f, \"tempo\": %.3f",
              s.n ? s.t1[s.n - 1] : 0.0, a->meter, a->meter_confidence, a->tempo);
      fprintf(fp, ", \"downbeats\": [");
      for (size_t i = 0; i < a->ndownbeats; i++) fprintf(fp, "%s%.4f", i ? "," : "", a->downbeats[i]);
      fprintf(fp, "], \"names\": [");
      for (int k = 0; k < AU_SEC_NFEAT; k++)
        fprintf(fp, "%s\"%s\"", k ? "," : "", vsc_audio_section_feature_name(k));
      fprintf(fp, "], \"x\": [");
      for (size_t i = 0; i < s.n; i++) {
        fprintf(fp, "%s[", i ? "," : "");
        for (int k = 0; k < AU_SEC_NFEAT; k++)
          fprintf(fp, "%s%.6g", k ? "," : "", s.x[i * AU_SEC_NFEAT + (size_t)k]);
        fprintf(fp, "]");
      }
      fprintf(fp, "]}\n");
      rc = fclose(fp) == 0 ? 0 : 1;
    }
    vsc_audio_section_features_free(&s);
  }
  if (rc) fprintf(stderr, "audio_tool: cannot write %s\n", out);
  vsc_audio_features_free(&f);
  vsc_audio_analysis_free(a);
  return rc;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "features") == 0) return dump_features(argv[2], argv[3]);
  if (argc == 4 && strcmp(argv[1], "curves") == 0) return dump_curves(argv[2], argv[3]);
  if (argc == 3 && strcmp(argv[1], "levels") == 0) return dump_levels(argv[2]);
  if (argc == 5 && strcmp(argv[1], "barfeatures") == 0)
    return dump_bar_features(argv[2], argv[3], argv[4]);
  if (argc == 4 && strcmp(argv[1], "secfeatures") == 0)
    return dump_section_features(argv[2], argv[3]);
  if (argc == 2 && strcmp(argv[1], "list") == 0) {
    for (const char *const *c = synth_cases(); *c; c++) puts(*c);
    return 0;
  }
  if (argc < 3) {
    fprintf(stderr, "usage: audio_tool run CASE | synth CASE OUT.wav | check CASE FILE | list\n");
    return 2;
  }
  synth_track t;
  if (synth_make(&t, argv[2]) < 0) {
    fprintf(stderr, "audio_tool: unknown case '%s'\n", argv[2]);
    return 2;
  }
  int rc = 2;
  if (strcmp(argv[1], "synth") == 0 && argc == 4) {
    rc = synth_write_wav(&t, argv[3]) == 0 ? 0 : 1;
    if (rc) fprintf(stderr, "audio_tool: cannot write %s\n", argv[3]);
  } else if (strcmp(argv[1], "check") == 0 && argc == 4) {
    rc = check(&t, argv[2], argv[3]);
  } else if (strcmp(argv[1], "run") == 0) {
    const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char path[4096];
    snprintf(path, sizeof path, "%s/vsc_audio_%s_%ld.wav", tmpdir, argv[2], (long)getpid());
    if (synth_write_wav(&t, path) < 0) {
      fprintf(stderr, "audio_tool: cannot write %s\n", path);
      rc = 1;
    } else {
      rc = check(&t, argv[2], path);
      unlink(path);
    }
  } else {
    fprintf(stderr, "usage: audio_tool run CASE | synth CASE OUT.wav | check CASE FILE | list\n");
  }
  synth_free(&t);
  return rc;
}
