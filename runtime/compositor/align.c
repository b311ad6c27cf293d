/*
** The `align` op: the word start times of a voice line in the audio its TTS model produced
** (the node's one input), by forced alignment against espeak-ng (media/speech/align.c).
** Written as JSON, to a temporary name and renamed:
**   {"length": 3.52, "words": [{"w": "Three", "start": 0.41}, ...]}
** one entry per space-separated word of params.text, times in seconds from the audio's first
** sample. Segments and caption sidecars read it to place each caption word (cues.c). Audio
** without speech keeps espeak-ng's times, with a warning; audio that cannot be read fails.
*/
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "comp.h"
#include "vsc/vsc_align.h"
#include "vsc/vsc_speech.h"

int vsc_comp_align(const json_t *node, const char *const *inputs, size_t ninputs, const char *out_path,
                   vsc_op_error *err) {
  if (err) {
    err->kind = VSC_FAIL_NONE;
    err->msg[0] = 0;
  }
  char where[300];
  comp_node_where(node, where, sizeof where);
  const json_t *p = json_object_get(node, "params");
  const char *text, *voice;
  if (comp_get_str(p, "text", NULL, &text, err, where) < 0 || comp_get_str(p, "voice", "en-us", &voice, err, where) < 0)
    return -1;
  if (!text) return vsc_op_fail(err, VSC_FAIL_INPUT, "%salign: params.text is missing", where);
  if (ninputs != 1) return vsc_op_fail(err, VSC_FAIL_INPUT, "%salign: needs the voice line's audio, got %zu inputs", where, ninputs);
  int nw = vsc_align_count_words(text);
  double *starts = calloc((size_t)nw + 1, sizeof *starts), length = 0;
  if (!starts) return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
  char msg[256];
  int r = nw ? vsc_align_file(text, voice, inputs[0], NULL, 0, starts, nw, &length, msg, sizeof msg) : 0;
  if (r == -2) {
    /* A silent take: the captions keep espeak-ng's timing rather than sink the video. */
    comp_warn(err, "%salign: %s ('%s'); the captions keep espeak-ng's timing", where, msg, inputs[0]);
    vsc_speech_word_starts(text, voice, 1.0, starts, nw, NULL);
  } else if (r != 0) {
    free(starts);
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%salign: %s ('%s')", where, msg, inputs[0]);
  }
  json_t *words = json_array();
  const char *t = text;
  for (int i = 0; i < nw; i++) {
    while (*t == ' ') t++;
    size_t len = strcspn(t, " ");
    json_array_append_new(words, json_pack("{s:s%, s:f}", "w", t, len, "start", round(starts[i] * 1000) / 1000));
    t += len;
  }
  free(starts);
  json_t *doc = json_pack("{s:f, s:o}", "length", round(length * 1000) / 1000, "words", words);
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.%ld.tmp", out_path, (long)getpid());
  int rc = doc && json_dump_file(doc, tmp, JSON_SORT_KEYS | JSON_INDENT(1)) == 0 ? 0 : -1;
  json_decref(doc);
  if (rc == 0 && rename(tmp, out_path) != 0) rc = -1;
  if (rc != 0) {
    unlink(tmp);
    return vsc_op_fail(err, VSC_FAIL_LOCAL, "%salign: cannot write '%s'", where, out_path);
  }
  return 0;
}
