/*
** The "deliver" line of `vsc plan` (cli): how the deliverable will be encoded, read from the IR
** (video.deliver when the script has `deliver`, else the segments' own encode settings).
*/
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

/* Appends printf-style text at *len (kept within size). */
static void add(char *buf, size_t size, size_t *len, const char *fmt, const char *s, double x) {
  if (*len >= size) return;
  int n = s ? snprintf(buf + *len, size - *len, fmt, s) : snprintf(buf + *len, size - *len, fmt, x);
  if (n > 0) *len += (size_t)n;
}

static double num(const json_t *o, const char *key) { return json_number_value(json_object_get(o, key)); }

/* A rate as 8M or 800k. */
static void add_rate(char *buf, size_t size, size_t *len, const char *what, double bps) {
  char r[48];
  if (bps >= 1e6) snprintf(r, sizeof r, "%s %gM", what, bps / 1e6);
  else snprintf(r, sizeof r, "%s %gk", what, bps / 1e3);
  add(buf, size, len, ", %s", r, 0);
}

void cli_deliver_line(const json_t *ir, char *buf, size_t size) {
  const json_t *d = json_object_get(json_object_get(ir, "video"), "deliver");
  size_t len = 0;
  buf[0] = 0;
  if (!json_is_object(d)) {
    /* No `deliver`: the defaults, as the first segment encodes them. */
    const json_t *enc = NULL;
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(ir, "nodes"), i, n) {
      const char *op = json_string_value(json_object_get(n, "op"));
      if (op && strcmp(op, "segment") == 0) {
        enc = json_object_get(json_object_get(n, "params"), "encode");
        break;
      }
    }
    add(buf, size, &len, "default: H.264 crf %g", NULL, enc ? num(enc, "crf") : 0);
    add(buf, size, &len, ", keyframe every 2s, %s LUFS, faststart", "-14", 0);
    return;
  }
  const char *preset = json_string_value(json_object_get(d, "preset"));
  add(buf, size, &len, "%s: H.264", preset ? preset : "custom", 0);
  if (json_is_string(json_object_get(d, "profile"))) add(buf, size, &len, " %s profile", json_string_value(json_object_get(d, "profile")), 0);
  if (json_is_string(json_object_get(d, "level"))) add(buf, size, &len, " level %s", json_string_value(json_object_get(d, "level")), 0);
  if (json_is_number(json_object_get(d, "crf"))) add(buf, size, &len, ", crf %g", NULL, num(d, "crf"));
  if (json_is_number(json_object_get(d, "bitrate"))) add_rate(buf, size, &len, "bitrate", num(d, "bitrate"));
  if (json_is_number(json_object_get(d, "maxrate"))) add_rate(buf, size, &len, "max", num(d, "maxrate"));
  add(buf, size, &len, ", keyframe every %gs", NULL, num(d, "gop"));
  if (json_is_number(json_object_get(d, "max_size"))) add(buf, size, &len, ", at most %gMB", NULL, num(d, "max_size") / 1e6);
  add(buf, size, &len, ", %g LUFS", NULL, num(d, "loudness"));
  add(buf, size, &len, ", true peak %g dBTP", NULL, num(d, "true_peak"));
  add_rate(buf, size, &len, "AAC", num(d, "audio_bitrate"));
  if (json_is_true(json_object_get(d, "faststart"))) add(buf, size, &len, ", %s", "faststart", 0);
}
