/*
** outputs.c — a prediction's output, whatever shape the model's Output schema gives it
** (runtime stage: providers): a URL, a list, an object, a data: URI or plain text. Files
** (URLs and data: URIs) are stored; text is kept as text and never fetched.
*/
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rp.h"

static void add_text(vsc_pred *x, const char *t) {
  size_t old = x->text ? strlen(x->text) : 0, n = strlen(t);
  if (old + n > (1u << 20)) return; /* keep at most a megabyte of text */
  char *nt = realloc(x->text, old + n + 2);
  if (!nt) return;
  if (old) nt[old++] = '\n';
  memcpy(nt + old, t, n + 1);
  x->text = nt;
}

static void walk(vsc_pred *x, const json_t *out) {
  if (json_is_string(out)) {
    const char *s = json_string_value(out);
    bool file = !strncasecmp(s, "https://", 8) || !strncasecmp(s, "http://", 7) || !strncasecmp(s, "data:", 5);
    if (!file) add_text(x, s);
    else if (json_array_size(x->outputs) < RP_MAX_OUTPUTS) json_array_append(x->outputs, (json_t *)out);
  } else if (json_is_array(out)) {
    size_t i;
    json_t *v;
    json_array_foreach(out, i, v) walk(x, v);
  } else if (json_is_object(out)) {
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)out, k, v) walk(x, v);
  } else if (json_is_number(out) || json_is_boolean(out)) {
    char *t = json_dumps(out, JSON_ENCODE_ANY);
    if (t) add_text(x, t);
    free(t);
  }
}

void rp_outputs_collect(vsc_pred *x, const json_t *output) {
  json_decref(x->outputs);
  x->outputs = json_array();
  free(x->text);
  x->text = NULL;
  walk(x, output);
  x->st.text = x->text;
}

int rp_outputs_write_data(const char *uri, const char *path, char *why, size_t n) {
  const char *comma = strchr(uri, ',');
  if (!comma) {
    snprintf(why, n, "malformed data: URI");
    return -1;
  }
  bool b64 = comma - uri >= 7 && !strncasecmp(comma - 7, ";base64", 7);
  const char *d = comma + 1;
  size_t len = strlen(d);
  unsigned char *buf = malloc(len + 4);
  if (!buf) {
    snprintf(why, n, "out of memory");
    return -1;
  }
  int out = 0;
  if (b64) {
    out = len % 4 == 0 ? EVP_DecodeBlock(buf, (const unsigned char *)d, (int)len) : -1;
    if (out >= 0) out -= (len >= 1 && d[len - 1] == '=') + (len >= 2 && d[len - 2] == '=');
  } else { /* percent-encoded text */
    for (size_t i = 0; i < len; i++) {
      if (d[i] == '%' && i + 2 < len) {
        char h[3] = {d[i + 1], d[i + 2], 0};
        buf[out++] = (unsigned char)strtol(h, NULL, 16);
        i += 2;
      } else buf[out++] = (unsigned char)d[i];
    }
  }
  if (out <= 0) {
    free(buf);
    snprintf(why, n, "undecodable data: URI");
    return -1;
  }
  FILE *fp = fopen(path, "wb");
  int ok = fp && fwrite(buf, 1, (size_t)out, fp) == (size_t)out;
  if (fp && fclose(fp) != 0) ok = 0;
  free(buf);
  if (!ok) {
    snprintf(why, n, "cannot write the output");
    return -2;
  }
  return 0;
}
