/* Captions end to end: `vsc build` of a script with karaoke captions over one voice line,
 * then
 *   - every word's highlight appears on the decoded frames within 60 ms of the word's start
 *     in the speech (truth: espeak-ng's own word events, vsc_speech_words);
 *   - the SRT and WebVTT sidecars parse with FFmpeg's demuxers, hold the voice line's words in
 *     order, and each cue matches the burned-in captions (shown inside it, the first word
 *     highlighted at its start; nothing burned in before the first or after the last).
 * Usage: captions_e2e VSC WORKDIR */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vsc/vsc_local.h"
#include "vsc/vsc_speech.h"
#include "vsc_test.h"
#include "vsc_test_video.h"
#include "caption_scan.h"

#define VOICE "Three bright sneakers arrive this weekend, so grab yours before they sell out."
#define AT 0.4
#define FPS 30

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  const char *vsc = argv[1], *dir = argv[2];
  char cmd[4096], path[4096];
  mkdir(dir, 0755);
  snprintf(path, sizeof path, "%s/cap.vscript", dir);
  FILE *f = fopen(path, "w");
  if (!f) return 2;
  fprintf(f,
          "video \"Captions\" {\n  size 640x360\n  fps %d\n"
          "  captions karaoke { at bottom words 3 lines 1 size 9%% highlight #ff0000 outline 0%% }\n"
          "  scene one (6s) {\n    shot color #204060\n    voice \"%s\" at %.1fs\n  }\n}\n",
          FPS, VOICE, AT);
  fclose(f);
  snprintf(cmd, sizeof cmd, "cd '%s' && rm -rf .vsc cap.mp4 cap.srt cap.vtt && '%s' build --provider local --progress quiet cap.vscript", dir,
           vsc);
  CHECK(system(cmd) == 0, "vsc build");

  /* Truth: where espeak-ng says each word starts. */
  vsc_speech_word *words;
  size_t nwords;
  double length;
  CHECK(vsc_speech_words(VOICE, "en-us", 1.0, &words, &nwords, &length) == 0 && nwords == 13, "espeak word events: %zu",
        nwords);

  frame_info *fr = NULL;
  int nf = 0;
  snprintf(path, sizeof path, "%s/cap.mp4", dir);
  CHECK(scan_video(path, &fr, &nf) == 0 && nf == 6 * FPS, "decoded %d frames", nf);
  /* Highlight changes: the first frame with a highlight, and every frame whose red box moved. */
  double changes[256];
  int nch = highlight_changes(fr, nf, changes, 256);
  CHECK(nch == (int)nwords, "%d highlight changes for %zu words", nch, nwords);
  double worst = 0;
  for (size_t k = 0; k < nwords && k < (size_t)nch; k++) {
    double truth = AT + words[k].start, best = 1e9;
    for (int c = 0; c < nch; c++)
      if (fabs(changes[c] - truth) < fabs(best - truth)) best = changes[c];
    if (fabs(best - truth) > worst) worst = fabs(best - truth);
    CHECK(fabs(best - truth) <= 0.060, "word %zu '%.*s' spoken at %.3f s, highlighted at %.3f s", k, (int)words[k].len,
          &VOICE[words[k].off], truth, best);
  }

  /* The sidecars, read by FFmpeg's demuxers. */
  cue srt[64], vtt[64];
  snprintf(path, sizeof path, "%s/cap.srt", dir);
  int ns = read_subs(path, srt, 64);
  snprintf(path, sizeof path, "%s/cap.vtt", dir);
  int nv = read_subs(path, vtt, 64);
  CHECK(ns >= 4 && ns == nv, "srt %d cues, vtt %d cues", ns, nv);
  char joined[1024] = "";
  for (int i = 0; i < ns && i < nv; i++) {
    CHECK(fabs(srt[i].start - vtt[i].start) < 0.002 && fabs(srt[i].end - vtt[i].end) < 0.002 && !strcmp(srt[i].text, vtt[i].text),
          "cue %d: srt and vtt agree", i);
    if (i) strcat(joined, " ");
    strncat(joined, srt[i].text, sizeof joined - strlen(joined) - 1);
    /* Burned in during the cue, with its first word highlighted from (about) its start. */
    int shown = 0, hl = 0;
    for (int k = 0; k < nf; k++) {
      if (fr[k].t > srt[i].start + 0.05 && fr[k].t < srt[i].end - 0.05 && fr[k].ncap > 50) shown++;
      if (fabs(fr[k].t - srt[i].start) < 0.045 && fr[k].nred > 20) hl = 1;
    }
    CHECK(shown > 0 && hl, "cue %d '%s' (%.3f-%.3f) burned in (%d frames, highlight at start %d)", i, srt[i].text,
          srt[i].start, srt[i].end, shown, hl);
  }
  CHECK(!strcmp(joined, VOICE), "the cues hold the voice line: '%s'", joined);
  /* Nothing before the first cue or after the last. */
  for (int k = 0; k < nf && ns > 0; k++)
    if (fr[k].t < srt[0].start - 0.04 || fr[k].t > srt[ns - 1].end + 0.04)
      CHECK(fr[k].ncap < 20, "no caption at %.3f s (%d px)", fr[k].t, fr[k].ncap);
  free(words);
  free(fr);
  if (vsc_test_failures) {
    fprintf(stderr, "captions_e2e: %d check(s) failed\n", vsc_test_failures);
    return 1;
  }
  printf("captions_e2e: ok (%zu words, %d cues, worst highlight delay %.0f ms)\n", nwords, ns, worst * 1000);
  return 0;
}
