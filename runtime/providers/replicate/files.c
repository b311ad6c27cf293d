/*
** files.c — local files as model inputs (runtime stage: providers).
**
** A call's input names the node's input files as {"$input": K}. A file up to 256 KB goes as
** a data URL inside the create; a larger one is uploaded once with the Files API
** (POST /v1/files) and its `urls.get` is sent instead, as Replicate asks. An upload is
** remembered per content hash under <cache>/providers/replicate/files/<sha256>.json and used
** again until shortly before it expires, so a retry or a rebuild sends the same input (which
** is also how a lost create is recognised when listing).
*/
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rp.h"
#include "vsc/vsc_file.h"
#include "vsc/vsc_sha256.h"

#define REUSE_MARGIN 900.0 /* seconds an upload must still live to be used again */

const char *rp_mime(const char *path) {
  static const char *const map[][2] = {
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".webp", "image/webp"},
      {".gif", "image/gif"},
      {".mp4", "video/mp4"},
      {".mov", "video/quicktime"},
      {".webm", "video/webm"},
      {".mp3", "audio/mpeg"},
      {".wav", "audio/wav"},
      {".m4a", "audio/mp4"},
      {".ogg", "audio/ogg"},
      {".flac", "audio/flac"},
      {".json", "application/json"},
      {".txt", "text/plain"}};
  const char *dot = strrchr(path, '.');
  for (size_t i = 0; dot && i < sizeof map / sizeof map[0]; i++)
    if (!strcasecmp(dot, map[i][0])) return map[i][1];
  return "application/octet-stream";
}

static char *data_url(const unsigned char *buf, size_t n, const char *mime) {
  size_t cap = strlen(mime) + 16 + 4 * ((n + 2) / 3) + 1;
  char *o = malloc(cap);
  if (!o) return NULL;
  int k = snprintf(o, cap, "data:%s;base64,", mime);
  EVP_EncodeBlock((unsigned char *)o + k, buf, (int)n);
  return o;
}

/* The epoch seconds of an ISO 8601 UTC time ("2026-12-03T10:00:00.123Z"), or -1. */
static double iso_time(const char *s) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                   &tm.tm_min, &tm.tm_sec) != 6)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return (double)timegm(&tm);
}

static void record_path(const vsc_pred *x, const char *sha, char *out, size_t n) {
  snprintf(out, n, "%s/%s.json", x->p->files_dir, sha);
}

/* A remembered upload of this content that lives long enough, as a new string, or NULL. */
static char *remembered(const vsc_pred *x, const char *sha) {
  if (!x->p->files_dir[0]) return NULL;
  char path[4400];
  record_path(x, sha, path, sizeof path);
  json_t *j = json_load_file(path, 0, NULL);
  const char *url = json_string_value(json_object_get(j, "url"));
  double exp = iso_time(json_string_value(json_object_get(j, "expires_at")));
  char *out = url && (exp < 0 || exp - rp_wall() > REUSE_MARGIN) ? strdup(url) : NULL;
  json_decref(j);
  return out;
}

/* Remembers an upload (temp + rename; a record is written whole or not at all). */
static void remember(const vsc_pred *x, const char *sha, const json_t *file) {
  if (!x->p->files_dir[0]) return;
  char path[4400], tmp[4500];
  record_path(x, sha, path, sizeof path);
  snprintf(tmp, sizeof tmp, "%s.%d.part", path, (int)getpid());
  json_t *rec = json_pack("{s:O?, s:O?, s:O?, s:O?, s:s}", "id", json_object_get(file, "id"), "url",
                          json_object_get(json_object_get(file, "urls"), "get"), "expires_at",
                          json_object_get(file, "expires_at"), "size", json_object_get(file, "size"),
                          "sha256", sha);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  char *text = rec ? json_dumps(rec, JSON_SORT_KEYS) : NULL;
  int ok = fd >= 0 && text && write(fd, text, strlen(text)) == (ssize_t)strlen(text) && fsync(fd) == 0;
  if (fd >= 0) close(fd);
  if (ok) ok = rename(tmp, path) == 0;
  if (!ok) unlink(tmp);
  free(text);
  json_decref(rec);
}

int rp_files_prepare(vsc_pred *x) {
  json_t *in = json_object_get(x->req.call, "input");
  const char *k;
  json_t *v;
  json_object_foreach(in, k, v) {
    json_t *ref = json_object_get(v, "$input");
    if (!json_is_object(v) || !json_is_integer(ref)) continue;
    json_int_t idx = json_integer_value(ref);
    if (idx < 0 || (size_t)idx >= x->req.ninputs || !x->req.inputs) {
      rp_set_fail(x, VSC_PRED_FAILED, VSC_FAIL_INPUT, "replicate: input '%s' names file %lld, which "
                                                      "the node does not have",
                  k, (long long)idx);
      return -1;
    }
    if (x->nfiles == (int)(sizeof x->files / sizeof x->files[0])) {
      rp_set_fail(x, VSC_PRED_FAILED, VSC_FAIL_INPUT, "replicate: too many file inputs");
      return -1;
    }
    rp_file *f = &x->files[x->nfiles++];
    f->key = strdup(k);
    f->index = (int)idx;
    const char *path = x->req.inputs[idx];
    size_t n = 0;
    unsigned char *buf = (unsigned char *)vsc_read_file(path, &n);
    if (!buf) {
      rp_set_fail(x, VSC_PRED_FAILED, VSC_FAIL_LOCAL, "replicate: cannot read the input file for '%s'", k);
      return -1;
    }
    vsc_sha256_hex(buf, n, f->sha);
    if (n <= RP_DATA_URL_MAX) f->value = data_url(buf, n, rp_mime(path));
    else f->value = remembered(x, f->sha);
    free(buf);
  }
  return 0;
}

int rp_files_next_upload(vsc_pred *x) {
  for (int i = 0; i < x->nfiles; i++)
    if (!x->files[i].value && !(x->files[i].value = remembered(x, x->files[i].sha))) return i;
  return -1;
}

bool rp_files_uploading(const vsc_pred *x, int i) {
  for (const vsc_pred *o = x->p->preds; o; o = o->next)
    if (o != x && o->phase == PH_UPLOAD && o->easy && !strcmp(o->files[o->upload_idx].sha, x->files[i].sha))
      return true;
  return false;
}

void rp_files_send_upload(vsc_pred *x, int i) {
  rp_file *f = &x->files[i];
  const char *path = x->req.inputs[f->index];
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  CURL *tmp = curl_easy_init(); /* curl_mime_init needs a handle; any will do */
  x->mime = curl_mime_init(tmp);
  curl_easy_cleanup(tmp);
  if (!x->mime) {
    rp_set_fail(x, VSC_PRED_FAILED, VSC_FAIL_LOCAL, "replicate: out of memory");
    return;
  }
  curl_mimepart *part = curl_mime_addpart(x->mime);
  curl_mime_name(part, "content");
  curl_mime_filedata(part, path);
  curl_mime_filename(part, base);
  curl_mime_type(part, rp_mime(path));
  part = curl_mime_addpart(x->mime);
  curl_mime_name(part, "filename");
  curl_mime_data(part, base, CURL_ZERO_TERMINATED);
  part = curl_mime_addpart(x->mime);
  curl_mime_name(part, "type");
  curl_mime_data(part, rp_mime(path), CURL_ZERO_TERMINATED);
  char meta[120];
  snprintf(meta, sizeof meta, "{\"sha256\":\"%s\"}", f->sha);
  part = curl_mime_addpart(x->mime);
  curl_mime_name(part, "metadata");
  curl_mime_data(part, meta, CURL_ZERO_TERMINATED);
  x->upload_idx = i;
  char url[700];
  snprintf(url, sizeof url, "%s/files", x->p->api);
  rp_send(x, "POST", url, NULL, 600);
}

int rp_files_take_upload(vsc_pred *x, long status) {
  rp_file *f = &x->files[x->upload_idx];
  json_t *j = x->resp ? json_loads(x->resp, 0, NULL) : NULL;
  const char *url = json_string_value(json_object_get(json_object_get(j, "urls"), "get"));
  if ((status != 200 && status != 201) || !url) {
    json_decref(j);
    return -1;
  }
  f->value = strdup(url);
  remember(x, f->sha, j);
  json_decref(j);
  return 0;
}

json_t *rp_files_input(vsc_pred *x) {
  json_t *in = json_deep_copy(json_object_get(x->req.call, "input"));
  if (!in) in = json_object();
  for (int i = 0; i < x->nfiles; i++) json_object_set_new(in, x->files[i].key, json_string(x->files[i].value));
  return in;
}
