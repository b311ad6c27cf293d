/*
** speech.c — the voice of mock-replicate's TTS models (a fixture's output.speech): espeak-ng
** speaking the text input, but not as vsc's local voice does, so captions timed from
** espeak's guess would be wrong and only alignment to the audio is right, as with a real
** model: another voice variant, another pace (× the `speed` input) and a pause before the
** first word. Output WAV at the requested sample rate.
**
** The mock knows where each word it spoke starts; a real model does not say. Tests read it
** from GET /_mock/speech (mock-only): one record per rendering, {model, text, voice, rate,
** lead, length, words: [{w, start}]}, times in seconds from the first sample.
*/
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"
#include "vsc/vsc_speech.h"

static pthread_mutex_t truth_lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *truth; /* array of records */

static void put_le(unsigned char *p, unsigned v, int bytes) {
  for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void remember(const mock_model *m, const char *text, const char *voice, double rate, double lead, double length) {
  int nw = 0;
  for (size_t i = 0; text[i]; i++)
    if (text[i] != ' ' && (i == 0 || text[i - 1] == ' ')) nw++;
  double *st = calloc((size_t)nw + 1, sizeof *st);
  if (!st) return;
  vsc_speech_word_starts(text, voice, rate, st, nw, NULL);
  json_t *words = json_array();
  const char *t = text;
  for (int i = 0; i < nw; i++) {
    while (*t == ' ') t++;
    size_t len = strcspn(t, " ");
    json_array_append_new(words, json_pack("{s:s%, s:f}", "w", t, len, "start", lead + st[i]));
    t += len;
  }
  free(st);
  json_t *rec = json_pack("{s:s, s:s, s:s, s:f, s:f, s:f, s:o}", "model", m->full, "text", text, "voice", voice, "rate", rate,
                          "lead", lead, "length", length, "words", words);
  pthread_mutex_lock(&truth_lock);
  if (!truth) truth = json_array();
  json_array_append_new(truth, rec);
  pthread_mutex_unlock(&truth_lock);
}

json_t *mock_speech_truth(void) {
  pthread_mutex_lock(&truth_lock);
  json_t *out = truth ? json_deep_copy(truth) : json_array();
  pthread_mutex_unlock(&truth_lock);
  return out;
}

void mock_speech_reset(void) {
  pthread_mutex_lock(&truth_lock);
  json_decref(truth);
  truth = NULL;
  pthread_mutex_unlock(&truth_lock);
}

int mock_speech_wav(const mock_model *m, json_t *input, int sr, unsigned char **data, size_t *len, char *err,
                    size_t errlen) {
  json_t *out = json_object_get(m->fixture, "output"), *sp = json_object_get(out, "speech");
  const char *text_in = json_string_value(json_object_get(out, "text_input"));
  const char *text = json_string_value(json_object_get(input, text_in ? text_in : "text"));
  const char *voice = json_string_value(json_object_get(sp, "voice"));
  double rate = json_number_value(json_object_get(sp, "rate")), lead = json_number_value(json_object_get(sp, "lead"));
  json_t *speed = json_object_get(input, "speed");
  if (json_is_number(speed) && json_number_value(speed) > 0) rate *= json_number_value(speed);
  if (!text || !*text) {
    snprintf(err, errlen, "text is empty");
    return -1;
  }
  if (!voice) voice = "en-us";
  if (rate <= 0) rate = 1;
  int16_t *pcm;
  size_t n;
  int esr;
  if (vsc_speech_speak(text, voice, rate, &pcm, &n, &esr, err, errlen) != 0) return -1;
  /* The pause, then the speech resampled (linearly: a test voice, not a studio one). */
  size_t lead_n = (size_t)lround(lead * sr), body = (size_t)((double)n * sr / esr), frames = lead_n + body;
  size_t bytes = frames * 2;
  unsigned char *b = malloc(44 + bytes);
  if (!b) {
    free(pcm);
    return -1;
  }
  memcpy(b, "RIFF", 4);
  put_le(b + 4, (unsigned)(36 + bytes), 4);
  memcpy(b + 8, "WAVEfmt ", 8);
  put_le(b + 16, 16, 4);
  put_le(b + 20, 1, 2);
  put_le(b + 22, 1, 2);
  put_le(b + 24, (unsigned)sr, 4);
  put_le(b + 28, (unsigned)(sr * 2), 4);
  put_le(b + 32, 2, 2);
  put_le(b + 34, 16, 2);
  memcpy(b + 36, "data", 4);
  put_le(b + 40, (unsigned)bytes, 4);
  for (size_t i = 0; i < frames; i++) {
    int v = 0;
    if (i >= lead_n) {
      double x = (double)(i - lead_n) * esr / sr;
      size_t k = (size_t)x;
      double f = x - (double)k;
      double a = k < n ? pcm[k] : 0, c = k + 1 < n ? pcm[k + 1] : 0;
      v = (int)lround(a + (c - a) * f);
    }
    put_le(b + 44 + i * 2, (unsigned)(v & 0xffff), 2);
  }
  free(pcm);
  remember(m, text, voice, rate, lead, (double)frames / sr);
  *data = b;
  *len = 44 + bytes;
  return 0;
}
