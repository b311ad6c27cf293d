/*
** Build records (runtime stage "journal"): for every target a build wrote (an output
** video), the plan graph it ran, with each node's cache key. `vsc explain` compares the
** current plan with it to say *why* a node must run again ("params changed: prompt
** 'sunset' -> 'sunrise'"), the way Ninja's build log lets `-d explain` compare commands.
** One small file per target: DIR/builds/<first 16 hex of sha256(target)>.json.
*/
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vsc/vsc_runtime.h"
#include "vsc/vsc_sha256.h"


void vsc_record_path(const char *cache_dir, const char *target, char *out, size_t len) {
  char hex[65];
  vsc_sha256_hex(target, strlen(target), hex);
  snprintf(out, len, "%s/builds/%.16s.json", cache_dir, hex);
}

/* The record's text: the target, the provider and status of the run, and the IR's nodes
 * each with its "key" (what the cache held it under). A new string, caller frees. */
static char *record_text(const char *target, const json_t *ir, const json_t *keys,
                         const char *remote, vsc_run_status status) {
  json_t *nodes = json_array();
  size_t i;
  json_t *node;
  json_array_foreach(json_object_get(ir, "nodes"), i, node) {
    json_t *copy = json_deep_copy(node);
    json_object_del(copy, "src"); /* a moved line is not a change */
    json_object_set(copy, "key", json_array_get(keys, i));
    json_array_append_new(nodes, copy);
  }
  json_t *rec = json_pack("{s:s, s:i, s:s, s:s, s:s, s:O, s:o}", "format", "vsc-build-record",
                          "version", 1, "target", target, "provider", remote ? remote : "local",
                          "status", vsc_run_status_name(status), "outputs",
                          json_object_get(ir, "outputs") ? json_object_get(ir, "outputs") : json_null(),
                          "nodes", nodes);
  char *text = rec ? json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(rec);
  return text;
}

/* Whether the file at `path` holds exactly `text` (a no-op build then writes nothing). */
static bool same_content(const char *path, const char *text) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  size_t want = strlen(text), got = 0;
  struct stat st;
  bool same = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == want;
  char buf[65536];
  while (same && got < want) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || got + (size_t)n > want || memcmp(buf, text + got, (size_t)n) != 0) same = false;
    else got += (size_t)n;
  }
  close(fd);
  return same && got == want;
}

int vsc_record_write(const char *cache_dir, const char *target, const json_t *ir,
                     const json_t *keys, const char *remote, vsc_run_status status, char *err,
                     size_t errlen) {
  char dir[4200], path[4200], tmp[4300];
  snprintf(dir, sizeof dir, "%s/builds", cache_dir);
  vsc_record_path(cache_dir, target, path, sizeof path);
  char *text = record_text(target, ir, keys, remote, status);
  if (!text) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  if (same_content(path, text)) {
    /* Unchanged: only its time moves, so "recorded" is when the target was last built. */
    utimensat(AT_FDCWD, path, NULL, 0);
    free(text);
    return 0;
  }
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    snprintf(err, errlen, "%s: %s", dir, strerror(errno));
    free(text);
    return -1;
  }
  /* Temp + rename, no fsync: a record lost to a crash only makes `explain` say less. */
  snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
  size_t len = strlen(text), off = 0;
  while (fd >= 0 && off < len) {
    ssize_t w = write(fd, text + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    off += (size_t)w;
  }
  int saved = errno;
  bool ok = fd >= 0 && off == len;
  if (fd >= 0 && close(fd) != 0) ok = false;
  if (ok && rename(tmp, path) != 0) {
    saved = errno;
    ok = false;
  }
  if (!ok) {
    unlink(tmp);
    snprintf(err, errlen, "%s: %s", path, strerror(saved ? saved : EIO));
  }
  free(text);
  return ok ? 0 : -1;
}

json_t *vsc_record_read(const char *cache_dir, const char *target) {
  char path[4200];
  vsc_record_path(cache_dir, target, path, sizeof path);
  json_t *rec = json_load_file(path, 0, NULL);
  /* Another target whose name hashed to the same 16 hex digits is not ours. */
  if (rec && (!json_is_object(rec) || !json_is_array(json_object_get(rec, "nodes")) ||
              !json_is_string(json_object_get(rec, "target")) ||
              !json_is_string(json_object_get(rec, "status")) ||
              !json_is_string(json_object_get(rec, "provider")) ||
              strcmp(json_string_value(json_object_get(rec, "target")), target) != 0)) {
    json_decref(rec);
    rec = NULL;
  }
  struct stat st;
  if (rec && stat(path, &st) == 0) {
    char when[32];
    struct tm tm;
    gmtime_r(&st.st_mtime, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_set_new(rec, "recorded", json_string(when)); /* the last build of it */
  }
  return rec;
}

json_t *vsc_record_targets(const char *cache_dir) {
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/builds", cache_dir);
  json_t *out = json_array();
  DIR *d = opendir(dir);
  if (!d) return out;
  struct dirent *de;
  while ((de = readdir(d))) {
    size_t n = strlen(de->d_name);
    if (n != 21 || strcmp(de->d_name + 16, ".json") != 0) continue;
    char path[4500];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    json_t *rec = json_load_file(path, 0, NULL);
    json_t *t = json_object_get(rec, "target");
    if (json_is_string(t)) json_array_append(out, t);
    json_decref(rec);
  }
  closedir(d);
  return out;
}
