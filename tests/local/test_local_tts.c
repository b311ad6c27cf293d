/*
** The local provider's speech (op tts, vsc_speech_length): a mono 16-bit WAV with speech
** energy, a length equal to vsc_speech_length, the rate honoured, identical bytes on
** every call (also from several threads at once), and input errors.
*/
#include <math.h>
#include <pthread.h>
#include <time.h>

#include "tl.h"
#include "vsc/vsc_speech.h"

static const char *LINE =
    "{\"op\":\"tts\",\"model\":\"local/espeak-ng\",\"params\":{\"text\":\"Wake up to something "
    "better. Lumen coffee, roasted fresh every morning.\",\"voice\":\"en-us\",\"rate\":1.0}}";

static double rms(const tl_wav *w, size_t a, size_t b) {
  double s = 0;
  if (b > w->frames) b = w->frames;
  for (size_t i = a; i < b; i++) s += (double)w->pcm[i] * w->pcm[i];
  return b > a ? sqrt(s / (double)(b - a)) : 0;
}

typedef struct {
  int idx;
  int rc;
  char msg[512];
} job;

static void *speak_thread(void *arg) {
  job *j = arg;
  char name[64];
  snprintf(name, sizeof name, "tts_thread%d.wav", j->idx);
  vsc_op_error e;
  j->rc = tl_run(vsc_local_tts, LINE, NULL, 0, tl_path(name), &e);
  snprintf(j->msg, sizeof j->msg, "%s", e.msg);
  return NULL;
}

int main(int argc, char **argv) {
  tl_init(argc, argv);
  vsc_op_error e;
  const char *out = tl_path("tts.wav");
  int rc = tl_run(vsc_local_tts, LINE, NULL, 0, out, &e);
  CHECK(rc == 0, "tts: %s", e.msg);
  tl_wav w;
  CHECK(tl_wav_read(out, &w) == 0, "unreadable wav");
  CHECK(w.channels == 1 && w.bits == 16, "want mono 16-bit, got %d ch %d bit", w.channels, w.bits);
  CHECK(w.rate >= 16000 && w.rate <= 48000, "sample rate %d", w.rate);
  double secs = w.rate ? (double)w.frames / w.rate : 0;
  CHECK(secs > 2.0 && secs < 8.0, "a 13-word line lasts %.2f s", secs);

  /* Speech energy: loud overall, and present in most of the line (not one click). */
  double total = rms(&w, 0, w.frames);
  CHECK(total > 800, "speech rms %.0f is too quiet", total);
  size_t win = (size_t)w.rate / 10, voiced = 0, wins = 0;
  for (size_t a = 0; a + win <= w.frames; a += win, wins++)
    if (rms(&w, a, a + win) > 300) voiced++;
  CHECK(wins && voiced * 2 > wins, "only %zu of %zu 100 ms windows carry speech", voiced, wins);

  /* The planner's length is the file's length. */
  const char *text = "Wake up to something better. Lumen coffee, roasted fresh every morning.";
  double len = vsc_speech_length(text, "en-us", 1.0);
  CHECK(fabs(len - secs) < 0.01, "vsc_speech_length %.3f s vs wav %.3f s", len, secs);
  CHECK(vsc_speech_length(text, NULL, 0) == len, "defaults (en-us, rate 1) differ");
  printf("tts: %.3f s, rms %.0f, %zu/%zu windows voiced\n", secs, total, voiced, wins);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < 5; i++)
    CHECK(vsc_speech_length(text, "en-us", 1.0) == len, "length changed on call %d", i);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("vsc_speech_length: %.1f ms per call (wall)\n",
         ((double)(t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / 5);

  /* Rate: twice as fast is clearly shorter. */
  double fast = vsc_speech_length(text, "en-us", 2.0);
  CHECK(fast > 0 && fast < 0.7 * len, "rate 2.0 gives %.2f s vs %.2f s", fast, len);

  /* Deterministic, also when several threads speak at once: as the runtime does, start the
   * speech server before the threads (forking a threaded process is unsafe under ASan). */
  const char *again = tl_path("tts_again.wav");
  CHECK(tl_run(vsc_local_tts, LINE, NULL, 0, again, &e) == 0, "%s", e.msg);
  CHECK(vsc_test_same_bytes(out, again), "two renders of the same line differ");
  CHECK(vsc_speech_prepare() == 0, "cannot start the speech server");
  const char *served = tl_path("tts_served.wav");
  CHECK(tl_run(vsc_local_tts, LINE, NULL, 0, served, &e) == 0, "%s", e.msg);
  CHECK(vsc_test_same_bytes(out, served), "the speech server's render differs from a direct one");
  pthread_t th[4];
  job jobs[4];
  for (int i = 0; i < 4; i++) {
    jobs[i].idx = i;
    pthread_create(&th[i], NULL, speak_thread, &jobs[i]);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    char name[64];
    snprintf(name, sizeof name, "tts_thread%d.wav", i);
    CHECK(jobs[i].rc == 0, "thread %d: %s", i, jobs[i].msg);
    CHECK(vsc_test_same_bytes(out, tl_path(name)), "thread %d's render differs", i);
  }

  /* Another voice speaks too, and differently. */
  const char *de = tl_path("tts_de.wav");
  CHECK(tl_run(vsc_local_tts, "{\"params\":{\"text\":\"Guten Morgen, Kaffee.\",\"voice\":\"de\"}}",
               NULL, 0, de, &e) == 0,
        "voice de: %s", e.msg);

  /* Text that looks like markup or phonemes is read as plain text. */
  const char *odd = tl_path("tts_odd.wav");
  CHECK(tl_run(vsc_local_tts,
               "{\"params\":{\"text\":\"<speak>5 < 6 & [[h@'loU]] \\\"quoted\\\" caf\\u00e9 \\ud83c\\udfac</speak>\"}}",
               NULL, 0, odd, &e) == 0,
        "odd text: %s", e.msg);

  /* Input errors. */
  CHECK(tl_run(vsc_local_tts, "{\"params\":{\"text\":\"hello\",\"voice\":\"xx-nowhere\"}}", NULL,
               0, odd, &e) != 0 &&
            e.kind == VSC_FAIL_INPUT,
        "unknown voice accepted (%s)", e.msg);
  CHECK(tl_run(vsc_local_tts, "{\"params\":{\"text\":\"   \"}}", NULL, 0, odd, &e) != 0 &&
            e.kind == VSC_FAIL_INPUT,
        "blank text accepted");
  CHECK(tl_run(vsc_local_tts, "{\"params\":{\"voice\":\"en-us\"}}", NULL, 0, odd, &e) != 0 &&
            e.kind == VSC_FAIL_INPUT,
        "missing text accepted");
  CHECK(vsc_speech_length("hello", "xx-nowhere", 1.0) < 0, "length of an unknown voice");

  free(w.pcm);
  return vsc_test_done("local_tts");
}
