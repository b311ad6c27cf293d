/*
** Tests of the audio library's contract: the cache (hit, stale, corrupt, atomic), errors on
** files that cannot be decoded, the JSON form and its reader, the regular grid, snapping,
** samples at other rates, silence, tiny inputs and the plot files.
*/
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "synth.h"
#include "vsc_test.h"
#include "vsc/vsc_audio.h"

static char dir[1024];

static void path_in(char *buf, size_t len, const char *name) { snprintf(buf, len, "%s/%s", dir, name); }

static char *dump(const vsc_audio_analysis *a) {
  json_t *j = vsc_audio_to_json(a);
  char *s = json_dumps(j, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
  json_decref(j);
  return s;
}

static size_t count_files(const char *d) {
  DIR *dp = opendir(d);
  if (!dp) return 0;
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(dp)))
    if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))) n++;
  closedir(dp);
  return n;
}

static void test_cache(const char *wav) {
  char cache[4096], sub[4200], file[4300], err[512];
  path_in(cache, sizeof cache, "cache");
  vsc_audio_options o = VSC_AUDIO_OPTIONS_INIT;
  o.cache_dir = cache;
  vsc_audio_analysis *a = NULL, *b = NULL, *c = NULL;
  CHECK(vsc_audio_analyze(&a, wav, &o, err, sizeof err) == 0);
  if (!a) return;
  CHECK(!a->from_cache);
  CHECK(strlen(a->sha256) == 64);
  snprintf(sub, sizeof sub, "%s/analysis", cache);
  snprintf(file, sizeof file, "%s/%s.json", sub, a->sha256);
  struct stat st;
  CHECK(stat(file, &st) == 0 && st.st_size > 100);
  CHECK(count_files(sub) == 1); /* no temporary file left behind */

  CHECK(vsc_audio_analyze(&b, wav, &o, err, sizeof err) == 0);
  if (b) {
    CHECK(b->from_cache);
    char *sa = dump(a), *sb = dump(b);
    CHECK(sa && sb && strcmp(sa, sb) == 0); /* the cached result is the same analysis */
    free(sa), free(sb);
    vsc_audio_analysis_free(b);
  }

  /* Other options: the cached result does not apply. */
  o.meter = 3;
  CHECK(vsc_audio_analyze(&b, wav, &o, err, sizeof err) == 0);
  if (b) {
    CHECK(!b->from_cache);
    CHECK(b->meter == 3);
    vsc_audio_analysis_free(b);
  }
  o.meter = 0;

  /* A corrupt cache file is ignored and replaced. */
  CHECK(vsc_test_write_file(file, "{\"tempo\": 12", 12) == 0);
  CHECK(vsc_audio_analyze(&c, wav, &o, err, sizeof err) == 0);
  if (c) {
    CHECK(!c->from_cache);
    CHECK(fabs(c->tempo - a->tempo) < 1e-9);
    vsc_audio_analysis_free(c);
  }
  CHECK(vsc_audio_analyze(&c, wav, &o, err, sizeof err) == 0);
  if (c) {
    CHECK(c->from_cache);
    vsc_audio_analysis_free(c);
  }

  /* An analysis from another version is recomputed. */
  json_t *j = json_load_file(file, 0, NULL);
  CHECK(j != NULL);
  if (j) {
    json_object_set_new(j, "version", json_integer(VSC_AUDIO_ANALYSIS_VERSION + 100));
    json_dump_file(j, file, 0);
    json_decref(j);
  }
  CHECK(vsc_audio_analyze(&c, wav, &o, err, sizeof err) == 0);
  if (c) {
    CHECK(!c->from_cache);
    vsc_audio_analysis_free(c);
  }
  vsc_audio_analysis_free(a);
}

static void expect_error(const char *path, const char *what) {
  vsc_audio_analysis *a = (vsc_audio_analysis *)1;
  char err[512] = "";
  int rc = vsc_audio_analyze(&a, path, NULL, err, sizeof err);
  CHECK(rc < 0);
  CHECK(a == NULL);
  CHECK(strstr(err, path) != NULL); /* the message names the file */
  printf("%s: %s\n", what, err);
  if (rc == 0) vsc_audio_analysis_free(a);
}

static void test_errors(const char *wav) {
  char p[4096];
  path_in(p, sizeof p, "missing.wav");
  expect_error(p, "missing file");
  path_in(p, sizeof p, "text.mp3");
  CHECK(vsc_test_write_file(p, "this is not audio, only text pretending to be an mp3\n", 53) == 0);
  expect_error(p, "text file");
  path_in(p, sizeof p, "empty.wav");
  CHECK(vsc_test_write_file(p, "", 0) == 0);
  expect_error(p, "empty file");
  /* A WAV header that promises data but has none. */
  FILE *f = fopen(wav, "rb");
  unsigned char head[44];
  CHECK(f && fread(head, 1, 44, f) == 44);
  if (f) fclose(f);
  path_in(p, sizeof p, "header_only.wav");
  CHECK(vsc_test_write_file(p, head, 44) == 0);
  expect_error(p, "header only");
  /* Random bytes. */
  unsigned char junk[4096];
  unsigned s = 12345;
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)((s = s * 1103515245u + 12345u) >> 16);
  path_in(p, sizeof p, "junk.ogg");
  CHECK(vsc_test_write_file(p, junk, sizeof junk) == 0);
  expect_error(p, "random bytes");
  /* A truncated file decodes as far as it goes: not an error, and no crash. */
  struct stat st;
  CHECK(stat(wav, &st) == 0);
  size_t half = (size_t)st.st_size / 2;
  unsigned char *buf = malloc(half);
  f = fopen(wav, "rb");
  CHECK(f && buf && fread(buf, 1, half, f) == half);
  if (f) fclose(f);
  path_in(p, sizeof p, "truncated.wav");
  CHECK(vsc_test_write_file(p, buf, half) == 0);
  free(buf);
  vsc_audio_analysis *a;
  char err[512];
  CHECK(vsc_audio_analyze(&a, p, NULL, err, sizeof err) == 0);
  if (a) {
    CHECK(a->duration > 5 && a->nbeats > 8);
    vsc_audio_analysis_free(a);
  }
}

static void test_json(const char *wav) {
  vsc_audio_analysis *a, *b;
  char err[512];
  CHECK(vsc_audio_analyze(&a, wav, NULL, err, sizeof err) == 0);
  char *s = dump(a);
  CHECK(s && strncmp(s, "{\"tempo\": ", 10) == 0);
  const char *order[] = {"\"tempo\"", "\"beats\"", "\"downbeats\"", "\"sections\"", "\"duration\""};
  const char *prev = s;
  for (size_t i = 0; i < 5; i++) {
    const char *at = strstr(s, order[i]);
    CHECK(at != NULL && at >= prev);
    if (at) prev = at;
  }
  CHECK(strstr(s, "\"sections\": [{\"start\": 0.0, \"end\": ") != NULL);
  json_t *j = json_loads(s, 0, NULL);
  CHECK(j != NULL);
  CHECK(vsc_audio_from_json(&b, j, err, sizeof err) == 0);
  if (b) {
    char *s2 = dump(b);
    CHECK(s2 && strcmp(s, s2) == 0); /* round trip */
    free(s2);
    vsc_audio_analysis_free(b);
  }
  /* Rejected forms, with a JSON path in the message. */
  json_t *bad = json_deep_copy(j);
  json_object_del(bad, "beats");
  CHECK(vsc_audio_from_json(&b, bad, err, sizeof err) < 0 && strstr(err, "$.beats"));
  json_decref(bad);
  bad = json_deep_copy(j);
  json_array_set_new(json_object_get(bad, "beats"), 3, json_real(0.0));
  CHECK(vsc_audio_from_json(&b, bad, err, sizeof err) < 0 && strstr(err, "$.beats[3]"));
  json_decref(bad);
  bad = json_deep_copy(j);
  json_object_set_new(json_array_get(json_object_get(bad, "sections"), 0), "end", json_real(-1));
  CHECK(vsc_audio_from_json(&b, bad, err, sizeof err) < 0 && strstr(err, "$.sections[0]"));
  json_decref(bad);
  json_decref(j);
  free(s);
  vsc_audio_analysis_free(a);
}

static void test_grid_and_snap(void) {
  vsc_audio_analysis *g;
  char err[256];
  CHECK(vsc_audio_grid(&g, 120, 4, 0.5, 10.0, err, sizeof err) == 0);
  if (g) {
    CHECK(g->nbeats == 20); /* 0.5, 1.0, ..., 10.0 */
    CHECK(fabs(g->beats[0] - 0.5) < 1e-12 && fabs(g->beats[19] - 10.0) < 1e-9);
    CHECK(g->ndownbeats == 5 && fabs(g->downbeats[1] - 2.5) < 1e-12);
    CHECK(g->nsections == 1 && strcmp(g->sections[0].label, "A") == 0);
    CHECK(fabs(vsc_audio_snap(g, 1.2, VSC_AUDIO_BEATS) - 1.0) < 1e-12);
    CHECK(fabs(vsc_audio_snap(g, 1.3, VSC_AUDIO_BEATS) - 1.5) < 1e-12);
    CHECK(fabs(vsc_audio_snap(g, 1.6, VSC_AUDIO_BARS) - 2.5) < 1e-12);
    CHECK(fabs(vsc_audio_snap(g, -3, VSC_AUDIO_BARS) - 0.5) < 1e-12);
    CHECK(fabs(vsc_audio_snap(g, 99, VSC_AUDIO_BEATS) - 10.0) < 1e-12);
    vsc_audio_analysis_free(g);
  }
  CHECK(vsc_audio_grid(&g, 0, 4, 0, 10, err, sizeof err) < 0 && g == NULL);
  CHECK(vsc_audio_grid(&g, 120, 0, 0, 10, err, sizeof err) < 0);
}

static void test_samples(void) {
  /* A 48 kHz click track at 96 BPM, analysed from memory. */
  size_t rate = 48000, n = rate * 20;
  float *x = calloc(n, sizeof *x);
  for (int b = 0; b < 32; b++) {
    size_t s = (size_t)(b * 0.625 * (double)rate);
    for (size_t k = 0; k < 2000 && s + k < n; k++)
      x[s + k] = (float)(0.5 * sin(2 * M_PI * (b % 4 ? 1000 : 1500) * k / (double)rate) * exp(-(double)k / 600));
  }
  vsc_audio_analysis *a;
  char err[256];
  CHECK(vsc_audio_analyze_samples(&a, x, n, (double)rate, NULL, err, sizeof err) == 0);
  if (a) {
    printf("48 kHz clicks: tempo %.2f, %zu beats\n", a->tempo, a->nbeats);
    CHECK(fabs(a->tempo - 96) < 96 * 0.04);
    CHECK(fabs(a->duration - 20) < 0.01);
    CHECK(a->sha256[0] == '\0' && !a->from_cache);
    vsc_audio_analysis_free(a);
  }
  /* Silence: no beats, one section, no crash. */
  memset(x, 0, n * sizeof *x);
  CHECK(vsc_audio_analyze_samples(&a, x, n, (double)rate, NULL, err, sizeof err) == 0);
  if (a) {
    CHECK(a->nbeats == 0 && a->nsections == 1 && a->confidence < VSC_AUDIO_LOW_CONFIDENCE);
    vsc_audio_analysis_free(a);
  }
  /* No rhythm at all (white noise, a steady chord): low confidence, so the planner warns
   * and falls back to the script's tempo. */
  unsigned r = 1;
  for (size_t i = 0; i < n; i++) {
    r = r * 1103515245u + 12345u;
    x[i] = (float)(((r >> 8) & 0xffff) / 65536.0 - 0.5);
  }
  CHECK(vsc_audio_analyze_samples(&a, x, n, (double)rate, NULL, err, sizeof err) == 0);
  if (a) {
    printf("white noise: confidence %.2f\n", a->confidence);
    CHECK(a->confidence < VSC_AUDIO_LOW_CONFIDENCE);
    vsc_audio_analysis_free(a);
  }
  for (size_t i = 0; i < n; i++)
    x[i] = (float)(0.2 * (sin(2 * M_PI * 220.0 * (double)i / (double)rate) +
                          sin(2 * M_PI * 277.2 * (double)i / (double)rate) +
                          sin(2 * M_PI * 329.6 * (double)i / (double)rate)));
  CHECK(vsc_audio_analyze_samples(&a, x, n, (double)rate, NULL, err, sizeof err) == 0);
  if (a) {
    printf("steady chord: confidence %.2f\n", a->confidence);
    CHECK(a->confidence < VSC_AUDIO_LOW_CONFIDENCE);
    vsc_audio_analysis_free(a);
  }
  memset(x, 0, n * sizeof *x);
  /* A few samples only. */
  CHECK(vsc_audio_analyze_samples(&a, x, 100, (double)rate, NULL, err, sizeof err) == 0);
  if (a) vsc_audio_analysis_free(a);
  CHECK(vsc_audio_analyze_samples(&a, x, 0, (double)rate, NULL, err, sizeof err) < 0);
  free(x);
}

static void test_plot(const char *wav) {
  vsc_audio_analysis *a;
  char err[512], png[4096], svg[4096];
  CHECK(vsc_audio_analyze(&a, wav, NULL, err, sizeof err) == 0);
  if (!a) return;
  path_in(png, sizeof png, "plot.png");
  path_in(svg, sizeof svg, "plot.svg");
  CHECK(vsc_audio_plot(a, wav, png, 800, 200, err, sizeof err) == 0);
  FILE *f = fopen(png, "rb");
  unsigned char h[24] = {0};
  CHECK(f && fread(h, 1, 24, f) == 24);
  if (f) fclose(f);
  CHECK(memcmp(h, "\x89PNG\r\n\x1a\n", 8) == 0);
  CHECK(h[16] == 0 && h[17] == 0 && h[18] == 800 / 256 && h[19] == 800 % 256); /* IHDR width */
  CHECK(h[22] == 0 && h[23] == 200);                                           /* IHDR height */
  CHECK(vsc_audio_plot(a, wav, svg, 0, 0, err, sizeof err) == 0);
  f = fopen(svg, "r");
  char *text = calloc(1, 1 << 22);
  size_t len = f ? fread(text, 1, (1 << 22) - 1, f) : 0;
  if (f) fclose(f);
  CHECK(len > 0 && strstr(text, "<svg") && strstr(text, "</svg>"));
  size_t downs = 0, sections = 0;
  for (const char *p = text; (p = strstr(p, "class=\"downbeat\"")); p++) downs++;
  for (const char *p = text; (p = strstr(p, "class=\"section\"")); p++) sections++;
  CHECK(downs == a->ndownbeats && sections == a->nsections);
  CHECK(strstr(text, "<polyline class=\"confidence\"") != NULL); /* the confidence curve */
  free(text);
  char bad[4200];
  snprintf(bad, sizeof bad, "%s/no/such/dir/plot.png", dir);
  CHECK(vsc_audio_plot(a, wav, bad, 0, 0, err, sizeof err) < 0);
  vsc_audio_analysis_free(a);
}

int main(void) {
  vsc_test_tmpdir(dir, sizeof dir, "audio-api");
  synth_track t;
  char wav[4096];
  path_in(wav, sizeof wav, "sections.wav");
  if (synth_make(&t, "sections_abab") < 0 || synth_write_wav(&t, wav) < 0) return 1;
  synth_free(&t);
  test_cache(wav);
  test_errors(wav);
  test_json(wav);
  test_grid_and_snap();
  test_samples();
  test_plot(wav);
  if (vsc_test_rmtree(dir) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return vsc_test_done("audio_api");
}
