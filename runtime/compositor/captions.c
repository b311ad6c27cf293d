/*
** The `captions` op: the voice-over's caption cues as a sidecar subtitle file, SubRip (.srt)
** or WebVTT (.vtt), with the same cue times and texts the segments burn in (for a voice a
** TTS model spoke, the times its align inputs found: cues.c). Written to a
** temporary name and renamed, so a failure leaves no partial file.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "comp.h"

static void stamp(FILE *f, double t, char sep) {
  long long ms = llround(t * 1000);
  if (ms < 0) ms = 0;
  fprintf(f, "%02lld:%02lld:%02lld%c%03lld", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, sep, ms % 1000);
}

int vsc_comp_captions(const json_t *node, const char *const *inputs, size_t ninputs, const char *out_path,
                      vsc_op_error *err) {
  if (err) {
    err->kind = VSC_FAIL_NONE;
    err->msg[0] = 0;
  }
  char where[300];
  comp_node_where(node, where, sizeof where);
  /* Cues of a model's voice: at the times its audio has them (cues.c); inputs are the
   * align nodes those cues name. */
  json_t *timed;
  if (comp_cues_resolve(node, inputs, ninputs, &timed, err, where) < 0) return -1;
  if (timed) {
    int r = vsc_comp_captions(timed, inputs, ninputs, out_path, err);
    json_decref(timed);
    return r;
  }
  const json_t *p = json_object_get(node, "params");
  const char *format;
  if (comp_get_str(p, "format", NULL, &format, err, where) < 0) return -1;
  if (!format || (strcmp(format, "srt") && strcmp(format, "vtt")))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%scaptions: format must be srt or vtt", where);
  const json_t *cues = json_object_get(p, "cues");
  if (!json_is_array(cues)) return vsc_op_fail(err, VSC_FAIL_INPUT, "%scaptions: cues must be an array", where);
  int vtt = !strcmp(format, "vtt");
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.%ld.tmp", out_path, (long)getpid());
  FILE *f = fopen(tmp, "w");
  if (!f) return vsc_op_fail(err, VSC_FAIL_LOCAL, "%scaptions: cannot write '%s'", where, tmp);
  if (vtt) fprintf(f, "WEBVTT\n\n");
  size_t i;
  const json_t *cue;
  int n = 0, ret = 0;
  json_array_foreach(cues, i, cue) {
    double s, e;
    if (comp_get_num(cue, "start", 0, &s, err, where) < 0 || comp_get_num(cue, "end", 0, &e, err, where) < 0) {
      ret = -1;
      break;
    }
    const json_t *words = json_object_get(cue, "words");
    if (!json_is_array(words) || e <= s) continue;
    if (!vtt) fprintf(f, "%d\n", ++n);
    stamp(f, s, vtt ? '.' : ',');
    fprintf(f, " --> ");
    stamp(f, e, vtt ? '.' : ',');
    fprintf(f, "\n");
    size_t k;
    const json_t *w;
    json_array_foreach(words, k, w) {
      const char *t = json_string_value(json_object_get(w, "w"));
      /* Accent markers are for the picture; '<' and '&' would be markup in WebVTT. */
      for (const char *c = t ? t : ""; *c; c++) {
        if (*c == '*') continue;
        if (vtt && *c == '<') fputs("&lt;", f);
        else if (vtt && *c == '&') fputs("&amp;", f);
        else fputc(*c, f);
      }
      if (k + 1 < json_array_size(words)) fputc(' ', f);
    }
    fprintf(f, "\n\n");
  }
  if (ferror(f)) ret = vsc_op_fail(err, VSC_FAIL_LOCAL, "%scaptions: write error", where);
  if (fclose(f) != 0 && ret == 0) ret = vsc_op_fail(err, VSC_FAIL_LOCAL, "%scaptions: write error", where);
  if (ret == 0 && rename(tmp, out_path) != 0) ret = vsc_op_fail(err, VSC_FAIL_LOCAL, "%scaptions: cannot rename", where);
  if (ret < 0) unlink(tmp);
  return ret;
}
