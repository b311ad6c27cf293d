/* Captions of a voice a Replicate TTS model speaks, end to end against mock-replicate:
 * `vsc build` of voice.vscript, two voice lines that minimax/speech-02-turbo speaks, in two
 * scenes joined by a crossfade. The mock's model speaks each in another voice, faster, after
 * a pause (tools/mock-replicate/speech.c), so espeak-ng's word times, the planner's guess,
 * are off by a third of a second. Then
 *   - every word's highlight appears on the decoded frames within 60 ms of the word's start
 *     in the audio the mock produced (truth: GET /_mock/speech, which a real model lacks);
 *   - the SRT and WebVTT sidecars agree, hold the lines in order, and each cue starts within
 *     60 ms of its first word;
 *   - the plan has an align node per line, fed by its tts node, and the segments and both
 *     sidecars depend on them;
 *   - with `provider local` the plan has no align node and its captions are espeak-ng's. */
#include "caption_scan.h"
#include "e2e_env.h"
#include "vsc/vsc_speech.h"

#define SCRIPT "tests/captions_align/voice.vscript"
#define FPS 30
#define LINE1 "Three bright sneakers arrive this weekend."

static int count_op(const json_t *ir, const char *op, const json_t **last) {
  const json_t *n;
  size_t i;
  int count = 0;
  json_array_foreach(json_object_get(ir, "nodes"), i, n)
    if (!strcmp(json_string_value(json_object_get(n, "op")), op)) {
      if (last) *last = n;
      count++;
    }
  return count;
}

static const json_t *node_by_id(const json_t *ir, const char *id) {
  const json_t *n;
  size_t i;
  json_array_foreach(json_object_get(ir, "nodes"), i, n)
    if (!strcmp(json_string_value(json_object_get(n, "id")), id)) return n;
  return NULL;
}

/* When the voice line `text` starts on the timeline (the audio node's voices), or -1. */
static double line_at(const json_t *ir, const char *text) {
  const json_t *audio = NULL, *v;
  count_op(ir, "audio", &audio);
  size_t i;
  json_array_foreach(json_object_get(json_object_get(audio, "params"), "voices"), i, v) {
    size_t in = (size_t)json_integer_value(json_object_get(v, "input"));
    const json_t *tts = node_by_id(ir, json_string_value(json_array_get(json_object_get(audio, "inputs"), in)));
    const char *t = json_string_value(json_object_get(json_object_get(tts, "params"), "text"));
    if (t && !strcmp(t, text)) return json_number_value(json_object_get(v, "at"));
  }
  return -1;
}

/* Every align node reads a tts node; segments and both sidecars read the align nodes. */
static void check_plan(env_t *e) {
  REQUIRE(load_ir(e) == 0, "vsc ir");
  CHECK(count_op(e->ir, "align", NULL) == 2 && count_op(e->ir, "tts", NULL) == 2, "an align node per voice line");
  const json_t *n;
  size_t i;
  int seg_users = 0, cap_users = 0;
  json_array_foreach(json_object_get(e->ir, "nodes"), i, n) {
    const char *op = json_string_value(json_object_get(n, "op"));
    size_t k;
    const json_t *in;
    json_array_foreach(json_object_get(n, "inputs"), k, in) {
      const json_t *x = node_by_id(e->ir, json_string_value(in));
      const char *xop = json_string_value(json_object_get(x, "op"));
      if (!strcmp(op, "align")) CHECK(!strcmp(xop, "tts"), "align reads a tts node, not %s", xop);
      if (strcmp(xop, "align")) continue;
      if (!strcmp(op, "segment")) seg_users++;
      if (!strcmp(op, "captions")) cap_users++;
    }
  }
  CHECK(seg_users >= 2 && cap_users == 4, "segments read %d align nodes, sidecars %d", seg_users, cap_users);
out:;
}

/* `provider local`: espeak-ng speaks the lines, their word times are exact, no align node. */
static void check_local_plan(env_t *e) {
  char *text = vsc_test_slurp(e->script, NULL), path[700], plan[700];
  json_t *ir = NULL;
  vsc_speech_word *words = NULL;
  size_t nw;
  const char *from = "  fps 30\n";
  char *at = text ? strstr(text, from) : NULL;
  REQUIRE(at, "script text");
  snprintf(path, sizeof path, "%s/local.vscript", e->dir);
  FILE *f = fopen(path, "w");
  REQUIRE(f, "write %s", path);
  fprintf(f, "%.*s  provider local\n%s", (int)(at + strlen(from) - text), text, at + strlen(from));
  fclose(f);
  snprintf(plan, sizeof plan, "%s/local.json", e->dir);
  const char *args[] = {"ir", path, "-o", plan, NULL};
  REQUIRE(run_vsc(e, args, NULL, 0) == 0, "vsc ir of the local script");
  ir = json_load_file(plan, 0, NULL);
  const json_t *cap = NULL;
  CHECK(count_op(ir, "align", NULL) == 0, "no align node for the local voice");
  count_op(ir, "captions", &cap);
  const json_t *c1 = json_array_get(json_object_get(json_object_get(cap, "params"), "cues"), 1);
  REQUIRE(vsc_speech_words(LINE1, "en-us", 1.0, &words, &nw, NULL) == 0 && nw > 3, "espeak");
  /* The second cue starts with the line's fourth word, at espeak-ng's own time. */
  double t = json_number_value(json_object_get(json_array_get(json_object_get(c1, "words"), 0), "start"));
  CHECK(fabs(t - (line_at(ir, LINE1) + words[3].start)) < 0.0015, "second cue at espeak's time (%.3f)", t);
  CHECK(!json_object_get(c1, "align") && !json_array_size(json_object_get(cap, "inputs")), "local cues need no alignment");
out:
  free(words);
  json_decref(ir);
  free(text);
}

int main(void) {
  env_t e;
  frame_info *fr = NULL;
  json_t *truth = NULL;
  double times[64], guess[64];
  const char *texts[64];
  size_t nwords = 0;
  REQUIRE(setup(&e, SCRIPT, NULL) == 0, "mock and script");
  check_plan(&e);
  check_local_plan(&e);
  const char *args[] = {"build", e.script, "-o", e.out, "--progress", "plain", NULL};
  REQUIRE(run_vsc(&e, args, NULL, 0) == 0, "vsc build against the mock");

  /* Truth: each word where the mock's audio has it, on the timeline. */
  truth = mock_get(&e, "/_mock/speech");
  REQUIRE(json_array_size(truth) == 2, "the mock spoke two lines");
  double length = json_number_value(json_object_get(json_object_get(e.ir, "video"), "length"));
  for (int l = 0; l < 2; l++) {
    const json_t *rec = json_array_get(truth, 0);
    const char *text = json_string_value(json_object_get(rec, "text"));
    if ((l == 0) != !strcmp(text, LINE1)) text = json_string_value(json_object_get(rec = json_array_get(truth, 1), "text"));
    double at = line_at(e.ir, text);
    REQUIRE(at >= 0, "'%s' is in the plan", text);
    vsc_speech_word *ew = NULL;
    size_t new = 0;
    vsc_speech_words(text, "en-us", 1.0, &ew, &new, NULL);
    const json_t *w;
    size_t k;
    json_array_foreach(json_object_get(rec, "words"), k, w)
      if (nwords < 64) {
        texts[nwords] = json_string_value(json_object_get(w, "w"));
        times[nwords] = at + json_number_value(json_object_get(w, "start"));
        guess[nwords++] = k < new ? at + ew[k].start : -1;
      }
    free(ew);
  }
  REQUIRE(nwords == 13, "%zu words", nwords);

  int nf = 0;
  REQUIRE(scan_video(e.out, &fr, &nf) == 0 && nf == (int)lround(length * FPS), "decoded %d frames", nf);
  double changes[256], worst = 0, off = 0;
  int nch = highlight_changes(fr, nf, changes, 256);
  CHECK(nch == (int)nwords, "%d highlight changes for %zu words", nch, nwords);
  for (size_t k = 0; k < nwords; k++) {
    double best = 1e9;
    for (int c = 0; c < nch; c++)
      if (fabs(changes[c] - times[k]) < fabs(best - times[k])) best = changes[c];
    if (fabs(best - times[k]) > worst) worst = fabs(best - times[k]);
    if (guess[k] >= 0 && fabs(guess[k] - times[k]) > off) off = fabs(guess[k] - times[k]);
    CHECK(fabs(best - times[k]) <= 0.060, "word %zu '%s' spoken at %.3f s, highlighted at %.3f s", k, texts[k], times[k], best);
  }
  /* The test means something only if espeak-ng's guess would have failed it. */
  CHECK(off > 0.2, "espeak-ng's guess is off by %.0f ms at worst", off * 1000);

  cue srt[64], vtt[64];
  char path[700], joined[1024] = "", want[1024] = "";
  snprintf(path, sizeof path, "%s/out.srt", e.dir);
  int ns = read_subs(path, srt, 64);
  snprintf(path, sizeof path, "%s/out.vtt", e.dir);
  int nv = read_subs(path, vtt, 64);
  CHECK(ns >= 5 && ns == nv, "srt %d cues, vtt %d cues", ns, nv);
  size_t word = 0;
  for (int i = 0; i < ns && i < nv && word < nwords; i++) {
    CHECK(fabs(srt[i].start - vtt[i].start) < 0.002 && fabs(srt[i].end - vtt[i].end) < 0.002 && !strcmp(srt[i].text, vtt[i].text),
          "cue %d: srt and vtt agree", i);
    CHECK(fabs(srt[i].start - times[word]) <= 0.060, "cue %d '%s' starts at %.3f s, its first word at %.3f s", i, srt[i].text,
          srt[i].start, times[word]);
    CHECK(i == 0 || srt[i].start >= srt[i - 1].end - 0.001, "cue %d starts after cue %d ends", i, i - 1);
    for (const char *c = srt[i].text; *c; c++)
      if (*c != ' ' && (c == srt[i].text || c[-1] == ' ')) word++;
    if (i) strcat(joined, " ");
    strncat(joined, srt[i].text, sizeof joined - strlen(joined) - 1);
  }
  for (size_t k = 0; k < nwords; k++) {
    if (k) strcat(want, " ");
    strncat(want, texts[k], sizeof want - strlen(want) - 1);
  }
  CHECK(!strcmp(joined, want), "the cues hold the lines: '%s'", joined);
  printf("captions_align: %zu words, worst highlight error %.0f ms (espeak-ng's guess: %.0f ms)\n", nwords, worst * 1000,
         off * 1000);
out:
  free(fr);
  json_decref(truth);
  teardown(&e);
  return vsc_test_done("captions_align");
}
