/*
** Local provider: op `tts`. The speech itself comes from media/speech (espeak-ng); this file
** checks the node's params and writes the samples as a mono 16-bit WAV.
*/
#include <jansson.h>
#include <stdlib.h>

#include "local.h"
#include "vsc/vsc_local.h"
#include "vsc/vsc_speech.h"

int vsc_local_tts(const json_t *node, const char *const *inputs, size_t ninputs,
                  const char *out_path, vsc_op_error *err) {
  (void)inputs;
  (void)ninputs;
  const json_t *params = json_object_get(node, "params");
  const char *text = json_string_value(json_object_get(params, "text"));
  if (!text) return vsc_op_fail(err, VSC_FAIL_INPUT, "tts: params.text must be a string");
  const json_t *jv = json_object_get(params, "voice");
  const json_t *jr = json_object_get(params, "rate");
  if (jv && !json_is_string(jv) && !json_is_null(jv))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "tts: params.voice must be a string");
  if (jr && !json_is_number(jr) && !json_is_null(jr))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "tts: params.rate must be a number");
  double rate = jr && json_is_number(jr) ? json_number_value(jr) : 1.0;
  if (!(rate > 0)) return vsc_op_fail(err, VSC_FAIL_INPUT, "tts: params.rate must be > 0");

  int16_t *pcm;
  size_t n;
  int sr;
  char msg[400];
  int rc = vsc_speech_speak(text, json_string_value(jv), rate, &pcm, &n, &sr, msg, sizeof msg);
  if (rc != 0) return vsc_op_fail(err, rc == -1 ? VSC_FAIL_INPUT : VSC_FAIL_LOCAL, "%s", msg);
  vsc_local_wav w;
  rc = vsc_local_wav_open(&w, out_path, 1, sr, msg, sizeof msg);
  if (rc == 0) rc = vsc_local_wav_write(&w, pcm, n, msg, sizeof msg);
  if (rc == 0) {
    rc = vsc_local_wav_close(&w, msg, sizeof msg);
  } else if (w.f) {
    char scratch[64];
    vsc_local_wav_close(&w, scratch, sizeof scratch);
  }
  free(pcm);
  if (rc != 0) return vsc_op_fail(err, VSC_FAIL_LOCAL, "tts: %s", msg);
  return 0;
}
