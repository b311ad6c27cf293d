/*
** Audio stage: the analysis cache. A song is analysed once: the result is stored under
** <cache>/analysis/<sha256 of the file>.json, written atomically (temp file, fsync,
** rename), and ignored when it was made by another analysis version or other options.
*/
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "au_cache.h"
#include "au_util.h"
#include "vsc/vsc_audio.h"

static json_t *options_json(const vsc_audio_options *o) {
  return json_pack("{s:f, s:f, s:i}", "min_bpm", o->min_bpm, "max_bpm", o->max_bpm, "meter",
                   o->meter);
}

static int cache_path(char *buf, size_t len, const char *dir, const char *sha) {
  int k = snprintf(buf, len, "%s/analysis/%s.json", dir, sha);
  return k > 0 && (size_t)k < len ? 0 : -1;
}

int vsc_audio_cache_get(vsc_audio_analysis **out, const char *dir, const char *sha,
                        const vsc_audio_options *opts) {
  *out = NULL;
  char path[4096];
  if (cache_path(path, sizeof path, dir, sha) < 0) return 1;
  json_t *j = json_load_file(path, 0, NULL);
  if (!j) return 1;
  int rc = 1;
  json_t *want = options_json(opts);
  const json_t *ver = json_object_get(j, "version"), *s = json_object_get(j, "sha256");
  if (json_is_integer(ver) && json_integer_value(ver) == VSC_AUDIO_ANALYSIS_VERSION &&
      json_is_string(s) && strcmp(json_string_value(s), sha) == 0 && want &&
      json_equal(json_object_get(j, "options"), want)) {
    char err[256];
    if (vsc_audio_from_json(out, j, err, sizeof err) == 0) {
      (*out)->from_cache = true;
      rc = 0;
    }
  }
  json_decref(want);
  json_decref(j);
  return rc;
}

/* mkdir -p for one or two levels we create ourselves. */
static int ensure_dir(const char *path) {
  if (mkdir(path, 0777) == 0 || errno == EEXIST) return 0;
  return -1;
}

int vsc_audio_cache_put(const vsc_audio_analysis *a, const char *dir,
                        const vsc_audio_options *opts, char *err, size_t errlen) {
  char sub[4096], path[4096], tmp[4200];
  if (snprintf(sub, sizeof sub, "%s/analysis", dir) >= (int)sizeof sub ||
      cache_path(path, sizeof path, dir, a->sha256) < 0) {
    vsc_audio_set_err(err, errlen, "cache: path too long");
    return -1;
  }
  if (ensure_dir(dir) < 0 || ensure_dir(sub) < 0) {
    vsc_audio_set_err(err, errlen, "cache: cannot create '%s': %s", sub, strerror(errno));
    return -1;
  }
  json_t *j = vsc_audio_to_json(a);
  json_t *oj = options_json(opts);
  if (!j || !oj || json_object_set_new(j, "options", oj) < 0) {
    json_decref(j);
    vsc_audio_set_err(err, errlen, "cache: out of memory");
    return -1;
  }
  char *text = json_dumps(j, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
  json_decref(j);
  if (!text) {
    vsc_audio_set_err(err, errlen, "cache: out of memory");
    return -1;
  }
  snprintf(tmp, sizeof tmp, "%s/.%s.%ld.tmp", sub, a->sha256, (long)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
  int rc = -1;
  if (fd >= 0) {
    size_t len = strlen(text), off = 0;
    while (off < len) {
      ssize_t w = write(fd, text + off, len - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;
      off += (size_t)w;
    }
    if (off == len && write(fd, "\n", 1) == 1 && fsync(fd) == 0) rc = 0;
    if (close(fd) != 0) rc = -1;
    if (rc == 0 && rename(tmp, path) != 0) rc = -1;
    if (rc < 0) unlink(tmp);
  }
  if (rc < 0) vsc_audio_set_err(err, errlen, "cache: cannot write '%s': %s", path, strerror(errno));
  free(text);
  return rc;
}
