/*
** Compositor bench driver: builds the plan-graph nodes of a clip timeline (segments for
** scene bodies and crossfades, concat, audio, mux; params as in docs/ir.md), runs the
** compositor's executors on a pool of worker threads, and keeps outputs in a small
** content-addressed directory so that a second run with one scene edited re-renders
** only that scene's segments. Used by bench/compositor/run.sh.
**
** usage: vsc_comp_bench --cache DIR --out FILE --music WAV [--scenes N] [--clip-dur S]
**                       [--xfade S] [--size WxH] [--fps N] [--crf N] [--preset P]
**                       [--jobs N] [--edit K] [--text] [--emoji] [--verbose] CLIP...
** --text puts a title (libass layout) and karaoke captions on every scene; --emoji the same
** with colour emoji in the title and in the captions.
*/
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "vsc/vsc_compositor.h"

typedef struct {
  const char *op;
  json_t *params;        /* owned */
  const char *inputs[4]; /* file paths (borrowed: clips or other outputs) */
  size_t ninputs;
  char out[1024]; /* cache path, set by key_of */
  int cached;
} job;

static const char *cache_dir;
static job *jobs;
static size_t njobs, next_job;
static size_t *order; /* job indices, longest first */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int failed;
static int verbose; /* --verbose: one line per rendered node */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* FNV-1a over the op, canonical params and input names: enough for a bench cache. */
static void key_of(job *j, const char *ext) {
  char *text = json_dumps(j->params, JSON_SORT_KEYS | JSON_COMPACT);
  uint64_t h = 1469598103934665603ULL;
  const char *parts[6] = {j->op, text};
  size_t np = 2;
  for (size_t i = 0; i < j->ninputs; i++) parts[np++] = j->inputs[i];
  for (size_t k = 0; k < np; k++) {
    for (const char *p = parts[k]; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
  }
  free(text);
  snprintf(j->out, sizeof j->out, "%s/%016llx.%s", cache_dir, (unsigned long long)h, ext);
  struct stat st;
  j->cached = stat(j->out, &st) == 0;
}

static int run_job(job *j) {
  if (j->cached) return 0;
  double t0 = now();
  json_t *node = json_pack("{s:s, s:O}", "op", j->op, "params", j->params);
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp", j->out);
  vsc_op_error err = {0};
  int ret;
  if (!strcmp(j->op, "segment")) ret = vsc_comp_segment(node, j->inputs, j->ninputs, tmp, &err);
  else if (!strcmp(j->op, "audio")) ret = vsc_comp_audio(node, j->inputs, j->ninputs, tmp, &err);
  else if (!strcmp(j->op, "concat")) ret = vsc_comp_concat(node, j->inputs, j->ninputs, tmp, &err);
  else ret = vsc_comp_mux(node, j->inputs, j->ninputs, tmp, &err);
  json_decref(node);
  if (ret < 0 || rename(tmp, j->out) != 0) {
    fprintf(stderr, "%s failed: %s\n", j->op, err.msg);
    return -1;
  }
  if (verbose) fprintf(stderr, "%-8s %s %.2f s\n", j->op, j->out, now() - t0);
  return 0;
}

/* Longest segments first, so the last ones to finish are short and no worker idles long. */
static double job_cost(const job *j) {
  if (strcmp(j->op, "segment")) return 0; /* the sound track is cheap: last */
  return json_number_value(json_object_get(j->params, "duration")) * (1 + (int)j->ninputs);
}

static int by_cost(const void *a, const void *b) {
  double ca = job_cost(&jobs[*(const size_t *)a]), cb = job_cost(&jobs[*(const size_t *)b]);
  return ca < cb ? 1 : ca > cb ? -1
                               : (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

static void *worker(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&lock);
    size_t k = next_job++;
    pthread_mutex_unlock(&lock);
    if (k >= njobs) return NULL;
    size_t i = order[k];
    if (run_job(&jobs[i]) < 0) {
      pthread_mutex_lock(&lock);
      failed = 1;
      pthread_mutex_unlock(&lock);
    }
  }
}

static int with_text;  /* --text: a title and karaoke captions on every scene */
static int with_emoji; /* --emoji: the same with colour emoji in the title and the captions */

/* Karaoke captions over a layer: three words a cue, a word every 0.35 s, from `from` on. */
static json_t *captions_obj(double from, double until) {
  static const char *const words[] = {"Lighter", "faster", "brighter,", "the", "Airloop", "runs", "further", "than",
                                      "any", "sneaker", "before", "it."};
  static const char *const emoji_words[] = {"Lighter", "⚡", "faster,", "brighter", "🔥", "the", "Airloop", "👟", "runs",
                                            "further", "🏃‍♀️", "today."};
  json_t *cues = json_array();
  int w = 0;
  for (double t = from; t + 1.05 <= until + 1e-9; t += 1.05) {
    json_t *ws = json_array();
    for (int k = 0; k < 3; k++, w++)
      json_array_append_new(ws, json_pack("{s:s, s:f}", "w", (with_emoji ? emoji_words : words)[w % 12], "start", t + 0.35 * k));
    json_array_append_new(cues, json_pack("{s:f, s:f, s:o}", "start", t, "end", t + 1.05, "words", ws));
  }
  return json_pack("{s:s, s:s, s:s, s:f, s:f, s:s, s:s, s:f, s:i, s:s, s:s, s:o}", "text", "", "x", "center", "y", "bottom",
                   "size", 0.06, "min_size", 0.03, "font", "DejaVu Sans", "color", "#ffffff", "outline", 0.08, "lines", 1,
                   "style", "karaoke", "highlight", "#ffcc00", "cues", cues);
}

static json_t *clip_layer(size_t input, double offset, const char *text) {
  json_t *l = json_pack("{s:{s:s, s:i, s:f, s:b}, s:s, s:f}", "source", "type", "clip", "input", (int)input, "offset", offset,
                        "loop", 0, "fit", "cover", "t", 0.0);
  json_t *texts = json_array();
  if (text)
    json_array_append_new(texts, json_pack("{s:s, s:s, s:s, s:f, s:s, s:s, s:f, s:b}", "text", text, "x", "center", "y",
                                           "center", "size", 0.12, "font", "DejaVu Sans", "color", "#ffffff", "fade", 0.3,
                                           "box", 0));
  if (with_text) {
    json_array_append_new(texts, json_pack("{s:s, s:s, s:s, s:f, s:f, s:s, s:s, s:f}", "text",
                                           with_emoji ? "MEET THE AIRLOOP 🔥👟 LIGHTER FASTER BRIGHTER"
                                                      : "MEET THE AIRLOOP - LIGHTER FASTER BRIGHTER",
                                           "x", "center", "y", "top", "size",
                                           0.09, "min_size", 0.04, "font", "DejaVu Sans:style=Bold", "color", "#ffffff",
                                           "outline", 0.05));
    json_array_append_new(texts, captions_obj(0, 5.0));
  }
  if (json_array_size(texts)) json_object_set_new(l, "texts", texts);
  else json_decref(texts);
  return l;
}

int main(int argc, char **argv) {
  const char *out = NULL, *music = NULL, *preset = "veryfast";
  const char *clips[256];
  int nclips = 0, scenes = 6, fps = 30, crf = 20, width = 1280, height = 720, threads = 2, edit = -1;
  double clip_dur = 5.0, xfade = 0.5;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--cache") && v) cache_dir = argv[++i];
    else if (!strcmp(a, "--out") && v) out = argv[++i];
    else if (!strcmp(a, "--music") && v) music = argv[++i];
    else if (!strcmp(a, "--scenes") && v) scenes = atoi(argv[++i]);
    else if (!strcmp(a, "--clip-dur") && v) clip_dur = atof(argv[++i]);
    else if (!strcmp(a, "--xfade") && v) xfade = atof(argv[++i]);
    else if (!strcmp(a, "--size") && v) sscanf(argv[++i], "%dx%d", &width, &height);
    else if (!strcmp(a, "--fps") && v) fps = atoi(argv[++i]);
    else if (!strcmp(a, "--crf") && v) crf = atoi(argv[++i]);
    else if (!strcmp(a, "--preset") && v) preset = argv[++i];
    else if (!strcmp(a, "--jobs") && v) threads = atoi(argv[++i]);
    else if (!strcmp(a, "--edit") && v) edit = atoi(argv[++i]);
    else if (!strcmp(a, "--verbose")) verbose = 1;
    else if (!strcmp(a, "--text")) with_text = 1;
    else if (!strcmp(a, "--emoji")) with_text = with_emoji = 1;
    else if (a[0] != '-' && nclips < 256) clips[nclips++] = a;
    else {
      fprintf(stderr, "vsc_comp_bench: bad argument '%s'\n", a);
      return 1;
    }
  }
  if (!cache_dir || !out || !music || nclips == 0 || scenes < 1 || threads < 1) {
    fprintf(stderr, "usage: vsc_comp_bench --cache DIR --out FILE --music WAV [options] CLIP...\n");
    return 1;
  }
  mkdir(cache_dir, 0777);
  double t_start = now();

  /* Timeline (docs/ir.md): every clip is played whole; each crossfade is centred on a scene
     boundary, so scene i lasts clip_dur - (o_in + o_out)/2. */
  double h = xfade / 2;
  size_t nseg = 0, maxseg = (size_t)scenes * 2;
  jobs = calloc(maxseg + 1, sizeof *jobs);
  double length = scenes * clip_dur - (scenes - 1) * xfade;
  json_t *enc = json_pack("{s:s, s:i, s:s, s:s}", "codec", "libx264", "crf", crf, "preset", preset, "pix_fmt", "yuv420p");
  double t = 0;
  for (int i = 0; i < scenes; i++) {
    double in = i > 0 ? h : 0, outh = i + 1 < scenes ? h : 0;
    double body = clip_dur - 2 * in - 2 * outh; /* clip time outside both transitions */
    const char *text = i == edit ? "EDITED" : NULL;
    job *j = &jobs[nseg++];
    j->op = "segment";
    j->inputs[0] = clips[i % nclips];
    j->ninputs = 1;
    j->params = json_pack("{s:s, s:f, s:f, s:i, s:i, s:i, s:O, s:o}", "kind", "body", "t0", t, "duration", body, "width",
                          width, "height", height, "fps", fps, "encode", enc, "a", clip_layer(0, 2 * in, text));
    key_of(j, "mp4");
    t += body;
    if (i + 1 < scenes) {
      j = &jobs[nseg++];
      j->op = "segment";
      j->inputs[0] = clips[i % nclips];
      j->inputs[1] = clips[(i + 1) % nclips];
      j->ninputs = 2;
      const char *next_text = i + 1 == edit ? "EDITED" : NULL;
      j->params = json_pack("{s:s, s:f, s:f, s:i, s:i, s:i, s:O, s:s, s:o, s:o}", "kind", "transition", "t0", t, "duration",
                            xfade, "width", width, "height", height, "fps", fps, "encode", enc, "transition", "fade", "a",
                            clip_layer(0, clip_dur - xfade, text), "b", clip_layer(1, 0, next_text));
      key_of(j, "mp4");
      t += xfade;
    }
  }
  /* The sound track runs alongside the segments. */
  job *aj = &jobs[nseg];
  aj->op = "audio";
  aj->inputs[0] = music;
  aj->ninputs = 1;
  aj->params = json_pack("{s:f, s:i, s:{s:i, s:f, s:f, s:f, s:b, s:f}}", "length", length, "sample_rate", 48000, "music",
                         "input", 0, "volume", -6.0, "fade_in", 0.0, "fade_out", 1.5, "loop", 1, "start", 0.0);
  key_of(aj, "m4a");
  njobs = nseg + 1;
  size_t rendered = 0;
  for (size_t i = 0; i < njobs; i++) rendered += !jobs[i].cached;

  order = malloc(njobs * sizeof *order);
  for (size_t i = 0; i < njobs; i++) order[i] = i;
  qsort(order, njobs, sizeof *order, by_cost);
  pthread_t tid[16];
  int nt = threads > 16 ? 16 : threads;
  for (int i = 0; i < nt; i++) pthread_create(&tid[i], NULL, worker, NULL);
  for (int i = 0; i < nt; i++) pthread_join(tid[i], NULL);
  if (failed) return 1;
  double t_parts = now();

  /* concat (stream copy) and mux. */
  job cj = {0};
  cj.op = "concat";
  cj.params = json_pack("{s:i}", "count", (int)nseg);
  json_t *seglist = json_array();
  for (size_t i = 0; i < nseg; i++) json_array_append_new(seglist, json_string(jobs[i].out));
  char *seg_text = json_dumps(seglist, JSON_COMPACT);
  job ck = cj; /* the concat key covers its segments' keys */
  ck.inputs[0] = seg_text;
  ck.ninputs = 1;
  key_of(&ck, "mp4");
  snprintf(cj.out, sizeof cj.out, "%s", ck.out);
  cj.cached = ck.cached;
  free(seg_text);
  json_decref(seglist);
  const char **seg_paths = malloc(nseg * sizeof *seg_paths);
  for (size_t i = 0; i < nseg; i++) seg_paths[i] = jobs[i].out;
  if (!cj.cached) {
    json_t *node = json_pack("{s:s, s:O}", "op", "concat", "params", cj.params);
    vsc_op_error err = {0};
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", cj.out);
    int ret = vsc_comp_concat(node, seg_paths, nseg, tmp, &err);
    json_decref(node);
    if (ret < 0 || rename(tmp, cj.out) != 0) {
      fprintf(stderr, "concat failed: %s\n", err.msg);
      return 1;
    }
  }
  job mj = {0};
  mj.op = "mux";
  mj.params = json_pack("{s:b}", "faststart", 1);
  mj.inputs[0] = cj.out;
  mj.inputs[1] = aj->out;
  mj.ninputs = 2;
  {
    json_t *node = json_pack("{s:s, s:O}", "op", "mux", "params", mj.params);
    vsc_op_error err = {0};
    int ret = vsc_comp_mux(node, mj.inputs, 2, out, &err);
    json_decref(node);
    if (ret < 0) {
      fprintf(stderr, "mux failed: %s\n", err.msg);
      return 1;
    }
  }
  double t_end = now();
  printf("scenes %d, length %.3f s, %zu segments: %zu of %zu nodes rendered, parts %.2f s, concat+mux %.2f s, total %.2f s\n",
         scenes, length, nseg, rendered, njobs, t_parts - t_start, t_end - t_parts, t_end - t_start);
  for (size_t i = 0; i < njobs; i++) json_decref(jobs[i].params);
  json_decref(cj.params);
  json_decref(mj.params);
  json_decref(enc);
  free(jobs);
  free(seg_paths);
  free(order);
  return 0;
}
