/* Captions of a voice a Replicate TTS model speaks, end to end against mock-replicate:
 * `vsc build` of voice.vscript, whose voice line minimax/speech-02-turbo speaks. The mock's
 * model speaks it in another voice, faster, after a pause (tools/mock-replicate/speech.c),
 * so espeak-ng's word times, the planner's guess, are off by up to half a second. Then
 *   - every word's highlight appears on the decoded frames within 60 ms of the word's start
 *     in the audio the mock produced (truth: GET /_mock/speech, which a real model lacks);
 *   - the SRT and WebVTT sidecars agree, hold the line in order, and each cue starts within
 *     60 ms of its first word;
 *   - the plan has one align node, fed by the tts node, and the sidecars depend on it;
 *   - with `provider local` the plan has no align node and its captions are espeak-ng's. */
#include "caption_scan.h"
#include "e2e_env.h"
#include "vsc/vsc_speech.h"

#define SCRIPT "tests/captions_align/voice.vscript"
#define AT 0.4
#define FPS 30
#define LENGTH 7

static const json_t *node_of_op(const json_t *ir, const char *op, int *count) {
  const json_t *found = NULL, *n;
  size_t i;
  *count = 0;
  json_array_foreach(json_object_get(ir, "nodes"), i, n)
    if (!strcmp(json_string_value(json_object_get(n, "op")), op)) {
      found = n;
      (*count)++;
    }
  return found;
}

static void check_plan(env_t *e) {
  int na, nt;
  REQUIRE(load_ir(e) == 0, "vsc ir");
  const json_t *al = node_of_op(e->ir, "align", &na), *tts = node_of_op(e->ir, "tts", &nt);
  REQUIRE(na == 1 && nt == 1, "%d align, %d tts nodes", na, nt);
  CHECK(!strcmp(json_string_value(json_array_get(json_object_get(al, "inputs"), 0)), json_string_value(json_object_get(tts, "id"))),
        "align reads the tts node's audio");
  const char *aid = json_string_value(json_object_get(al, "id"));
  const json_t *n;
  size_t i;
  int users = 0;
  json_array_foreach(json_object_get(e->ir, "nodes"), i, n) {
    const char *op = json_string_value(json_object_get(n, "op"));
    size_t k;
    const json_t *in;
    json_array_foreach(json_object_get(n, "inputs"), k, in)
      if (!strcmp(json_string_value(in), aid)) users++;
    (void)op;
  }
  CHECK(users == 3, "the segment and both sidecars read the align node (%d readers)", users);
out:;
}

/* `provider local`: espeak-ng speaks the line, its word times are exact, no align node. */
static void check_local_plan(env_t *e) {
  char *text = vsc_test_slurp(e->script, NULL), path[700];
  snprintf(path, sizeof path, "%s/local.vscript", e->dir);
  const char *from = "  fps 30\n";
  char *at = text ? strstr(text, from) : NULL;
  REQUIRE(at, "script text");
  FILE *f = fopen(path, "w");
  REQUIRE(f, "write %s", path);
  fprintf(f, "%.*s  provider local\n%s", (int)(at + strlen(from) - text), text, at + strlen(from));
  fclose(f);
  char plan[700];
  snprintf(plan, sizeof plan, "%s/local.json", e->dir);
  const char *args[] = {"ir", path, "-o", plan, NULL};
  REQUIRE(run_vsc(e, args, NULL, 0) == 0, "vsc ir of the local script");
  json_t *ir = json_load_file(plan, 0, NULL);
  int na;
  node_of_op(ir, "align", &na);
  CHECK(na == 0, "no align node for the local voice (%d)", na);
  /* Its cues are espeak-ng's word events, as before. */
  int nt;
  const json_t *cap = node_of_op(ir, "captions", &nt);
  const json_t *w0 = json_array_get(json_object_get(json_array_get(json_object_get(json_object_get(cap, "params"), "cues"), 1), "words"), 0);
  vsc_speech_word *words;
  size_t nw;
  REQUIRE(vsc_speech_words("Three bright sneakers arrive this weekend, so grab yours before they sell out.", "en-us", 1.0, &words, &nw, NULL) == 0, "espeak");
  CHECK(nw > 3 && fabs(json_number_value(json_object_get(w0, "start")) - (AT + words[3].start)) < 0.0015, "second cue at espeak's time");
  CHECK(!json_object_get(json_array_get(json_object_get(json_object_get(cap, "params"), "cues"), 1), "align"), "no align on local cues");
  free(words);
  json_decref(ir);
out:
  free(text);
}

int main(void) {
  env_t e;
  frame_info *fr = NULL;
  json_t *truth = NULL;
  REQUIRE(setup(&e, SCRIPT, NULL) == 0, "mock and script");
  check_plan(&e);
  check_local_plan(&e);
  const char *args[] = {"build", e.script, "-o", e.out, "--progress", "plain", NULL};
  REQUIRE(run_vsc(&e, args, NULL, 0) == 0, "vsc build against the mock");
  truth = mock_get(&e, "/_mock/speech");
  REQUIRE(json_array_size(truth) == 1, "the mock spoke one line");
  const json_t *tw = json_object_get(json_array_get(truth, 0), "words");
  size_t nwords = json_array_size(tw);
  REQUIRE(nwords == 13, "%zu words", nwords);
  int nf = 0;
  REQUIRE(scan_video(e.out, &fr, &nf) == 0 && nf == LENGTH * FPS, "decoded %d frames", nf);
  double changes[256], worst = 0, guess = 0;
  int nch = highlight_changes(fr, nf, changes, 256);
  CHECK(nch == (int)nwords, "%d highlight changes for %zu words", nch, nwords);
  vsc_speech_word *ew;
  size_t new;
  REQUIRE(vsc_speech_words(json_string_value(json_object_get(json_array_get(truth, 0), "text")), "en-us", 1.0, &ew, &new, NULL) == 0, "espeak");
  for (size_t k = 0; k < nwords; k++) {
    double t = AT + json_number_value(json_object_get(json_array_get(tw, k), "start")), best = 1e9;
    for (int c = 0; c < nch; c++)
      if (fabs(changes[c] - t) < fabs(best - t)) best = changes[c];
    if (fabs(best - t) > worst) worst = fabs(best - t);
    if (k < new &&fabs(AT + ew[k].start - t) > guess) guess = fabs(AT + ew[k].start - t);
    CHECK(fabs(best - t) <= 0.060, "word %zu '%s' spoken at %.3f s, highlighted at %.3f s", k,
          json_string_value(json_object_get(json_array_get(tw, k), "w")), t, best);
  }
  free(ew);
  /* The test means something only if espeak's guess would have failed it. */
  CHECK(guess > 0.2, "espeak-ng's guess is off by %.0f ms at worst", guess * 1000);
  cue srt[64], vtt[64];
  char path[700];
  snprintf(path, sizeof path, "%s/out.srt", e.dir);
  int ns = read_subs(path, srt, 64);
  snprintf(path, sizeof path, "%s/out.vtt", e.dir);
  int nv = read_subs(path, vtt, 64);
  CHECK(ns >= 4 && ns == nv, "srt %d cues, vtt %d cues", ns, nv);
  char joined[1024] = "";
  size_t word = 0;
  for (int i = 0; i < ns && i < nv; i++) {
    CHECK(fabs(srt[i].start - vtt[i].start) < 0.002 && fabs(srt[i].end - vtt[i].end) < 0.002 && !strcmp(srt[i].text, vtt[i].text),
          "cue %d: srt and vtt agree", i);
    double t = AT + json_number_value(json_object_get(json_array_get(tw, word), "start"));
    CHECK(fabs(srt[i].start - t) <= 0.060, "cue %d '%s' starts at %.3f s, its first word at %.3f s", i, srt[i].text, srt[i].start, t);
    for (const char *c = srt[i].text; *c; c++)
      if (*c != ' ' && (c == srt[i].text || c[-1] == ' ')) word++;
    if (i) strcat(joined, " ");
    strncat(joined, srt[i].text, sizeof joined - strlen(joined) - 1);
  }
  CHECK(!strcmp(joined, json_string_value(json_object_get(json_array_get(truth, 0), "text"))), "the cues hold the line: '%s'", joined);
  printf("captions_align: %zu words, worst highlight error %.0f ms (espeak-ng's guess: %.0f ms)\n", nwords, worst * 1000, guess * 1000);
out:
  free(fr);
  json_decref(truth);
  teardown(&e);
  return vsc_test_done("captions_align");
}
