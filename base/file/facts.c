/* Facts remembered about an unchanged file (vsc_facts.h): identities, and the JSON files
 * under DIR/files/ that hold the facts, one per path. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vsc/vsc_facts.h"
#include "vsc/vsc_sha256.h"

/* Seconds a file must have been left alone before its facts are kept (see the header). */
#define SETTLE_SECONDS 2

int vsc_file_id_from(const char *path, const struct stat *st, vsc_file_id *id) {
  id->line[0] = 0;
  id->settled = false;
  char *abs = realpath(path, NULL);
  if (!abs) return -1;
  int n = snprintf(id->line, sizeof id->line, "%s %ju %ju %jd %jd.%09ld", abs, (uintmax_t)st->st_dev,
                   (uintmax_t)st->st_ino, (intmax_t)st->st_size, (intmax_t)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
  free(abs);
  if (n < 0 || (size_t)n >= sizeof id->line || strchr(id->line, '\n')) {
    id->line[0] = 0;
    errno = ENAMETOOLONG;
    return -1;
  }
  id->settled = time(NULL) - st->st_mtim.tv_sec >= SETTLE_SECONDS;
  return 0;
}

int vsc_file_id_of(const char *path, vsc_file_id *id) {
  struct stat st;
  id->line[0] = 0;
  id->settled = false;
  if (stat(path, &st) != 0) return -1;
  if (!S_ISREG(st.st_mode)) {
    errno = EINVAL;
    return -1;
  }
  return vsc_file_id_from(path, &st, id);
}

/* The path an identity line names: what precedes its last four fields. */
static int path_of(const vsc_file_id *id, char *out, size_t n) {
  const char *end = id->line + strlen(id->line);
  for (int k = 0; k < 4; k++) {
    while (end > id->line && end[-1] != ' ') end--;
    if (end == id->line) return -1;
    end--;
  }
  if ((size_t)(end - id->line) >= n) return -1;
  memcpy(out, id->line, (size_t)(end - id->line));
  out[end - id->line] = 0;
  return 0;
}

bool vsc_file_id_holds(const char *line) {
  vsc_file_id was, now;
  char path[PATH_MAX + 128];
  if (snprintf(was.line, sizeof was.line, "%s", line) >= (int)sizeof was.line) return false;
  return path_of(&was, path, sizeof path) == 0 && vsc_file_id_of(path, &now) == 0 && strcmp(now.line, was.line) == 0;
}

/* DIR/files/<sha256 of the file's path>.json: the path alone names the facts, so a changed
 * file's facts are replaced, not kept beside. */
static int facts_path(const char *dir, const vsc_file_id *id, char *out, size_t n) {
  char path[PATH_MAX + 128], hex[65];
  if (path_of(id, path, sizeof path) != 0) return -1;
  vsc_sha256_hex(path, strlen(path), hex);
  int k = snprintf(out, n, "%s/files/%s.json", dir, hex);
  return k > 0 && (size_t)k < n ? 0 : -1;
}

static json_t *load(const char *dir, const vsc_file_id *id) {
  char path[PATH_MAX + 100];
  if (!dir || !id->line[0] || facts_path(dir, id, path, sizeof path) != 0) return NULL;
  json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
  const char *have = json_string_value(json_object_get(j, "identity"));
  if (!json_is_object(j) || !have || strcmp(have, id->line) != 0) {
    json_decref(j);
    return NULL;
  }
  return j;
}

json_t *vsc_facts_get(const char *dir, const vsc_file_id *id, const char *name) {
  json_t *j = load(dir, id);
  json_t *v = json_incref(json_object_get(j, name));
  json_decref(j);
  return v;
}

static int ensure_dir(const char *path) {
  return mkdir(path, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

void vsc_facts_put(const char *dir, const char *path, const vsc_file_id *before, const char *name,
                   const json_t *value) {
  vsc_file_id now;
  if (!dir || !before->settled || vsc_file_id_of(path, &now) != 0 || strcmp(now.line, before->line) != 0) return;
  char sub[PATH_MAX + 16], file[PATH_MAX + 100], tmp[PATH_MAX + 140];
  if (snprintf(sub, sizeof sub, "%s/files", dir) >= (int)sizeof sub || facts_path(dir, before, file, sizeof file) != 0)
    return;
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || ensure_dir(sub) != 0) return;
  json_t *j = load(dir, before);
  if (!j) j = json_pack("{s:s}", "identity", before->line);
  if (!j || json_object_set(j, name, (json_t *)value) != 0) {
    json_decref(j);
    return;
  }
  /* A temporary name no other writer has (O_EXCL: another host's process of the same pid,
   * or a planted symbolic link, is skipped), then rename: a reader sees the old facts or
   * the new. */
  static unsigned long n;
  int fd = -1;
  for (int tries = 0; fd < 0 && tries < 8; tries++) {
    snprintf(tmp, sizeof tmp, "%s.%ld.%lu.tmp", file, (long)getpid(), __atomic_add_fetch(&n, 1, __ATOMIC_RELAXED));
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    json_decref(j);
    return;
  }
  int ok = json_dumpfd(j, fd, JSON_SORT_KEYS | JSON_COMPACT) == 0;
  ok = close(fd) == 0 && ok && rename(tmp, file) == 0;
  if (!ok) unlink(tmp);
  json_decref(j);
}

int vsc_sha256_file_known(const char *dir, const char *path, char out[65], uint64_t *size, char *err,
                          size_t errlen) {
  vsc_file_id id;
  if (!dir || vsc_file_id_of(path, &id) != 0) return vsc_sha256_file(path, out, size, err, errlen);
  json_t *f = vsc_facts_get(dir, &id, "sha256");
  const char *hex = json_string_value(json_object_get(f, "hex"));
  const json_t *n = json_object_get(f, "size");
  if (vsc_sha256_is_hex(hex) && json_is_integer(n) && json_integer_value(n) >= 0) {
    memcpy(out, hex, 65);
    if (size) *size = (uint64_t)json_integer_value(n);
    json_decref(f);
    return 0;
  }
  json_decref(f);
  uint64_t got = 0;
  if (vsc_sha256_file(path, out, &got, err, errlen) != 0) return -1;
  if (size) *size = got;
  json_t *v = json_pack("{s:s, s:I}", "hex", out, "size", (json_int_t)got);
  if (v) vsc_facts_put(dir, path, &id, "sha256", v);
  json_decref(v);
  return 0;
}

int vsc_facts_prune(const char *dir, int *removed) {
  *removed = 0;
  char sub[PATH_MAX + 16];
  if (snprintf(sub, sizeof sub, "%s/files", dir) >= (int)sizeof sub) return -1;
  struct stat ds;
  if (lstat(sub, &ds) != 0) return errno == ENOENT ? 0 : -1;
  if (!S_ISDIR(ds.st_mode)) return -1; /* a symbolic link is never followed */
  DIR *d = opendir(sub);
  if (!d) return -1;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if (e->d_name[0] == '.' || n < 5) continue;
    char file[PATH_MAX + 300];
    if (snprintf(file, sizeof file, "%s/%s", sub, e->d_name) >= (int)sizeof file) continue;
    /* A writer's leftover (a compile writes facts without the cache lock, so only one a
     * minute old), or facts whose file is gone or changed. */
    struct stat fs;
    bool stale = strcmp(e->d_name + n - 4, ".tmp") == 0 && lstat(file, &fs) == 0 && time(NULL) - fs.st_mtime > 60;
    if (!stale && strcmp(e->d_name + n - 5, ".json") == 0) {
      json_t *j = json_load_file(file, 0, NULL);
      const char *line = json_string_value(json_object_get(j, "identity"));
      stale = !line || !vsc_file_id_holds(line);
      json_decref(j);
    }
    if (stale && unlink(file) == 0) (*removed)++;
  }
  closedir(d);
  return 0;
}
