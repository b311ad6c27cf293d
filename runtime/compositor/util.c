/*
** Compositor helpers: filtergraph text with correct escaping, libav error capture,
** the warning channel and typed reading of IR params.
*/
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/log.h>

#include "comp.h"

/* ---------------------------------------------------------------- strings */

void comp_add_filter_arg(vsc_buf *sb, const char *s) {
  /* Level 1 (av_opt_set_from_string / av_get_token on ":="): backslash-escape. */
  vsc_buf one = {0};
  for (const char *p = s; *p; p++) {
    if (strchr("\\':=", *p)) vsc_buf_append(&one, "\\", 1);
    vsc_buf_append(&one, p, 1);
  }
  /* Level 2 (the graph parser's av_get_token on "[],;"). */
  for (const char *p = one.s ? one.s : ""; *p; p++) {
    if (strchr("\\'[],;", *p)) vsc_buf_append(sb, "\\", 1);
    vsc_buf_append(sb, p, 1);
  }
  vsc_buf_free(&one);
}

int comp_fail_av(vsc_op_error *err, vsc_fail_kind kind, int averr, const char *fmt, ...) {
  char what[384];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  char msg[sizeof err->msg];
  vsc_av_error_text(msg, sizeof msg, averr, what);
  return vsc_op_fail(err, kind, "%s", msg);
}

/* ---------------------------------------------------------------- warnings */

static vsc_comp_warn_fn warn_fn;
static void *warn_ud;

void vsc_comp_set_warning_handler(vsc_comp_warn_fn fn, void *ud) {
  warn_fn = fn;
  warn_ud = ud;
}

void comp_warn(vsc_op_error *err, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (err) {
    err->kind = VSC_FAIL_NONE;
    size_t used = strlen(err->msg);
    /* Several warnings in one node are joined with "; ". */
    const char *sep = used ? "; " : "";
    size_t seplen = strlen(sep), m = strlen(msg);
    if (used + seplen < sizeof err->msg - 1) {
      size_t room = sizeof err->msg - 1 - used - seplen;
      if (m > room) m = room;
      memcpy(err->msg + used, sep, seplen);
      memcpy(err->msg + used + seplen, msg, m);
      err->msg[used + seplen + m] = 0;
    }
  }
  if (warn_fn) warn_fn(warn_ud, msg);
}

/* ---------------------------------------------------------------- params */

void comp_node_where(const json_t *node, char *buf, size_t n) {
  buf[0] = 0;
  if (!json_is_object(node)) return;
  const char *scene = json_string_value(json_object_get(node, "scene"));
  const char *src = json_string_value(json_object_get(node, "src"));
  if (scene && src)
    snprintf(buf, n, "scene '%s' (%s): ", scene, src);
  else if (scene)
    snprintf(buf, n, "scene '%s': ", scene);
  else if (src)
    snprintf(buf, n, "%s: ", src);
}

int comp_get_num(const json_t *obj, const char *key, double def, double *out, vsc_op_error *err,
                 const char *where) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) {
    *out = def;
    return 0;
  }
  if (!json_is_number(v) || !isfinite(json_number_value(v)))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%sparam '%s': expected a number", where, key);
  *out = json_number_value(v);
  return 0;
}

int comp_get_int(const json_t *obj, const char *key, long long def, long long *out,
                 vsc_op_error *err, const char *where) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) {
    *out = def;
    return 0;
  }
  if (json_is_integer(v)) {
    *out = json_integer_value(v);
    return 0;
  }
  if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v))) {
    *out = (long long)json_real_value(v);
    return 0;
  }
  return vsc_op_fail(err, VSC_FAIL_INPUT, "%sparam '%s': expected an integer", where, key);
}

int comp_get_str(const json_t *obj, const char *key, const char *def, const char **out,
                 vsc_op_error *err, const char *where) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) {
    *out = def;
    return 0;
  }
  if (!json_is_string(v))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%sparam '%s': expected a string", where, key);
  *out = json_string_value(v);
  return 0;
}

int comp_get_bool(const json_t *obj, const char *key, int def, int *out, vsc_op_error *err,
                  const char *where) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) {
    *out = def;
    return 0;
  }
  if (!json_is_boolean(v))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%sparam '%s': expected true or false", where, key);
  *out = json_is_true(v);
  return 0;
}

int comp_get_input(const json_t *obj, const char *key, size_t ninputs, size_t *out,
                   vsc_op_error *err, const char *where) {
  long long i;
  if (comp_get_int(obj, key, -1, &i, err, where) < 0) return -1;
  if (i < 0 || (size_t)i >= ninputs)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%sparam '%s': input index %lld out of range (%zu inputs)",
                       where, key, i, ninputs);
  *out = (size_t)i;
  return 0;
}

int comp_color(const char *in, char out[16]) {
  if (!in || in[0] != '#') return -1;
  size_t n = strlen(in + 1);
  for (size_t i = 1; i <= n; i++)
    if (!isxdigit((unsigned char)in[i])) return -1;
  if (n == 3) {
    snprintf(out, 16, "0x%c%c%c%c%c%c", in[1], in[1], in[2], in[2], in[3], in[3]);
  } else if (n == 6 || n == 8) {
    snprintf(out, 16, "0x%s", in + 1);
  } else {
    return -1;
  }
  for (char *p = out + 2; *p; p++) *p = (char)toupper((unsigned char)*p);
  return 0;
}

int64_t comp_frames(double seconds, int fps) { return (int64_t)llround(seconds * fps); }

int vsc_comp_encode_opts_from_json(vsc_encode_opts *enc, const json_t *encode, vsc_op_error *err) {
  vsc_encode_opts d = VSC_ENCODE_OPTS_INIT;
  *enc = d;
  if (!encode || json_is_null(encode)) return 0;
  if (!json_is_object(encode)) return vsc_op_fail(err, VSC_FAIL_INPUT, "param 'encode': expected an object");
  long long crf, gop, threads;
  if (comp_get_str(encode, "codec", d.codec, &enc->codec, err, "encode: ") < 0) return -1;
  if (comp_get_str(encode, "preset", d.preset, &enc->preset, err, "encode: ") < 0) return -1;
  if (comp_get_str(encode, "pix_fmt", d.pix_fmt, &enc->pix_fmt, err, "encode: ") < 0) return -1;
  if (comp_get_int(encode, "crf", d.crf, &crf, err, "encode: ") < 0) return -1;
  if (comp_get_int(encode, "gop", d.gop, &gop, err, "encode: ") < 0) return -1;
  if (comp_get_int(encode, "threads", d.threads, &threads, err, "encode: ") < 0) return -1;
  if (crf < 0 || crf > 51) return vsc_op_fail(err, VSC_FAIL_INPUT, "encode: crf %lld out of range 0..51", crf);
  if (gop < 0 || gop > 100000) return vsc_op_fail(err, VSC_FAIL_INPUT, "encode: gop %lld out of range", gop);
  if (threads < 1 || threads > 64)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "encode: threads %lld out of range 1..64", threads);
  static const char *const profiles[] = {"baseline", "main", "high"};
  long long bitrate, maxrate, bufsize;
  if (comp_get_str(encode, "profile", NULL, &enc->profile, err, "encode: ") < 0) return -1;
  if (comp_get_str(encode, "level", NULL, &enc->level, err, "encode: ") < 0) return -1;
  if (comp_get_int(encode, "bitrate", 0, &bitrate, err, "encode: ") < 0) return -1;
  if (comp_get_int(encode, "maxrate", 0, &maxrate, err, "encode: ") < 0) return -1;
  if (comp_get_int(encode, "bufsize", 0, &bufsize, err, "encode: ") < 0) return -1;
  if (enc->profile && strcmp(enc->profile, profiles[0]) && strcmp(enc->profile, profiles[1]) &&
      strcmp(enc->profile, profiles[2]))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "encode: unknown profile '%s' (baseline, main or high)", enc->profile);
  if (enc->level && (strlen(enc->level) > 4 || strspn(enc->level, "0123456789.") != strlen(enc->level)))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "encode: level '%s' is not an H.264 level", enc->level);
  if (bitrate < 0 || bitrate > 2000000000LL || maxrate < 0 || maxrate > 2000000000LL || bufsize < 0 ||
      bufsize > 2000000000LL)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "encode: bitrate, maxrate and bufsize must be 0..2000000000 bits");
  enc->bitrate = bitrate;
  enc->maxrate = maxrate;
  enc->bufsize = bufsize;
  enc->crf = (int)crf;
  enc->gop = (int)gop;
  enc->threads = (int)threads;
  return 0;
}
