/* The aligner (media/speech, vsc_align.h) on audio whose word times are known: espeak-ng
 * speaking a line at another speed (0.8x, 1.3x), in another voice and pitch, after a 0.4 s
 * pause and with silence after it. Truth: espeak-ng's own word events for that rendering
 * (vsc_speech_word_starts) plus the pause. Every word must land within 60 ms. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsc/vsc_align.h"
#include "vsc/vsc_speech.h"
#include "vsc_test.h"

#define LINE "Three bright sneakers arrive this weekend, so grab yours before they sell out. Doors open at nine."
#define PAUSE 0.4

/* `voice` at `rate` after `pause` seconds of silence (and 0.3 s after): samples, and the truth. */
static float *render(const char *line, const char *voice, double rate, double pause, size_t *n, int *sr, double *truth,
                     int nwords) {
  int16_t *pcm;
  size_t k;
  char err[256];
  if (vsc_speech_speak(line, voice, rate, &pcm, &k, sr, err, sizeof err) != 0) return NULL;
  size_t lead = (size_t)(pause * *sr), tail = (size_t)(0.3 * *sr);
  float *x = calloc(lead + k + tail, sizeof *x);
  for (size_t i = 0; i < k; i++) x[lead + i] = pcm[i] / 32768.0f;
  free(pcm);
  *n = lead + k + tail;
  vsc_speech_word_starts(line, voice, rate, truth, nwords, NULL);
  for (int i = 0; i < nwords; i++) truth[i] += pause;
  return x;
}

static void check_text(const char *line, const char *voice, double rate, const vsc_align_anchor *anchors, size_t nanchors) {
  int nw = vsc_align_count_words(line), sr;
  double truth[512], got[512], len, worst = 0;
  size_t n;
  char err[256] = "";
  float *x = nw <= 512 ? render(line, voice, rate, PAUSE, &n, &sr, truth, nw) : NULL;
  REQUIRE(x, "espeak-ng renders the line");
  REQUIRE(vsc_align_samples(line, "en-us", x, n, sr, anchors, nanchors, got, nw, &len, err, sizeof err) == 0, "%s", err);
  CHECK(fabs(len - (double)n / sr) < 1e-6, "length %.3f", len);
  for (int i = 0; i < nw; i++) {
    double e = fabs(got[i] - truth[i]);
    if (e > worst) worst = e;
    CHECK(e <= 0.060, "%s at %.2fx: word %d at %.3f s, aligned at %.3f s", voice, rate, i, truth[i], got[i]);
  }
  printf("%s at %.2fx: %d words, worst error %.0f ms\n", voice, rate, nw, worst * 1000);
out:
  free(x);
}

static void check_line(const char *voice, double rate, const vsc_align_anchor *anchors, size_t nanchors) {
  check_text(LINE, voice, rate, anchors, nanchors);
}

static void t_slow(void) { check_line("en-us", 0.8, NULL, 0); }
static void t_fast(void) { check_line("en-us", 1.3, NULL, 0); }
/* What the mock's TTS model speaks: another voice, higher, a little faster. */
static void t_other_voice(void) { check_line("en-us+f3", 1.15, NULL, 0); }

/* Sentence timestamps as a model returns them: the second sentence's start pins the path. */
static void t_anchors(void) {
  int nw = vsc_align_count_words(LINE), sr;
  double truth[64];
  size_t n;
  float *x = render(LINE, "en", 0.9, PAUSE, &n, &sr, truth, nw);
  REQUIRE(x, "espeak-ng renders the line");
  const char *line = LINE, *second = strstr(line, "Doors");
  int w = 0;
  for (const char *p = line; p < second; p++)
    if (*p != ' ' && (p == line || p[-1] == ' ')) w++;
  size_t cut = (size_t)(second - line);
  vsc_align_anchor a[2] = {{0, cut, PAUSE, truth[w]}, {cut, strlen(line), truth[w], (double)n / sr}};
  free(x);
  check_line("en", 0.9, a, 2);
out:;
}

/* A minute of narration: the band keeps memory and time small, and the words still land. */
static void t_long(void) {
  char text[4096] = "";
  for (int i = 0; i < 10; i++) strcat(text, i ? " " LINE : LINE);
  check_text(text, "en-us+m3", 1.1, NULL, 0);
}

/* Audio with no speech in it is an error, not a made-up timing. */
static void t_silence(void) {
  float *x = calloc(22050, sizeof *x);
  double got[64], len;
  char err[256] = "";
  CHECK(vsc_align_samples(LINE, "en-us", x, 22050, 22050, NULL, 0, got, vsc_align_count_words(LINE), &len, err, sizeof err) == -2);
  CHECK(strstr(err, "no speech") != NULL, "err: %s", err);
  free(x);
}

static const vsc_test_case cases[] = {
#define VSC_TEST_CASE(name) VSC_TEST_ENTRY(t_, name)
#include "test_align.def"
#undef VSC_TEST_CASE
};

int main(int argc, char **argv) { return vsc_test_main(argc, argv, cases, VSC_TEST_COUNT(cases)); }
