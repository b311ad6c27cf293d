/*
** The object cache (runtime stage "cache"): content-addressed files under DIR/objects.
**
** An object is written to DIR/tmp, fsync'd, hashed, renamed to objects/<k0k1>/<key>.<ext>,
** and only then is its index entry <key>.json written (temp + fsync + rename), so an entry
** always names a complete object. A lookup checks the entry against the file: a size
** mismatch is a truncation; small objects are always re-hashed, big ones when their
** mtime/inode changed (docs/runtime.md: the trade-off). A bad object is deleted and
** reported, never returned.
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vsc/vsc_err.h"
#include "vsc/vsc_file.h"
#include "vsc/vsc_runtime.h"
#include "vsc/vsc_sha256.h"

struct vsc_cache {
  char dir[3072];     /* bounded so every derived path fits in 4096 bytes */
  pthread_mutex_t mu; /* guards seq */
  unsigned long seq;  /* temp-name counter of this process */
  char rand[17];      /* random part of this cache handle's temp names */
  int lockfd;         /* DIR/lock while held, else -1 */
};

static bool valid_key(const char *key) {
  if (!key || strlen(key) != 64) return false;
  for (int i = 0; i < 64; i++)
    if (!((key[i] >= '0' && key[i] <= '9') || (key[i] >= 'a' && key[i] <= 'f'))) return false;
  return true;
}

static bool valid_ext(const char *ext) {
  if (!ext || !*ext || strlen(ext) > 8) return false;
  for (const char *p = ext; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))) return false;
  return true;
}

static void fsync_dir(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

/* Temp files are named vsc-tmp.<pid>.<16 hex>.<n>.<ext>, and anything an executor derives
 * from such a name starts the same way. Only names of exactly that shape are ours: any
 * other file in tmp/ belongs to someone else and is never touched. */
static bool own_tmp_name(const char *name, long *pid) {
  static const char prefix[] = "vsc-tmp.";
  if (strncmp(name, prefix, sizeof prefix - 1) != 0) return false;
  const char *p = name + sizeof prefix - 1;
  long v = 0;
  int digits = 0;
  for (; *p >= '0' && *p <= '9'; p++, digits++) {
    if (digits >= 10) return false;
    v = v * 10 + (*p - '0');
  }
  if (digits == 0 || v <= 0 || *p++ != '.') return false;
  for (int i = 0; i < 16; i++, p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
  if (*p++ != '.' || !*p) return false;
  *pid = v;
  return true;
}

/* Removes our temp files whose process is gone (debris of a crash). The directory is opened
 * without following a symlink and every entry is examined and removed relative to it, so
 * nothing outside tmp/ and nothing but our own regular files can be deleted. */
static void clean_tmp(const char *tmpdir) {
  int dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) return;
  DIR *d = fdopendir(dfd);
  if (!d) {
    close(dfd);
    return;
  }
  struct dirent *de;
  while ((de = readdir(d))) {
    long pid;
    if (!own_tmp_name(de->d_name, &pid)) continue;
    if (kill((pid_t)pid, 0) == 0 || errno == EPERM) continue;
    struct stat st;
    if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
    unlinkat(dfd, de->d_name, 0);
  }
  closedir(d);
}

static void random_hex16(char out[17]) {
  unsigned char b[8];
  if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
    unsigned long long x = (unsigned long long)time(NULL) * 6364136223846793005ULL ^
                           (unsigned long long)getpid() ^ (unsigned long long)(uintptr_t)out;
    memcpy(b, &x, sizeof b);
  }
  for (int i = 0; i < 8; i++) snprintf(out + 2 * i, 3, "%02x", b[i]);
}

int vsc_cache_open(vsc_cache **out, const char *dir, char *err, size_t errlen) {
  *out = NULL;
  if (!dir || !*dir) return vsc_err_set(err, errlen, "no cache directory");
  if (strlen(dir) > 3000) return vsc_err_set(err, errlen, "cache directory path too long");
  char sub[4096];
  snprintf(sub, sizeof sub, "%s/objects", dir);
  if (vsc_mkdir_p(sub) != 0) return vsc_err_set(err, errlen, "%s: cannot create: %s", sub, strerror(errno));
  snprintf(sub, sizeof sub, "%s/tmp", dir);
  if (vsc_mkdir_p(sub) != 0) return vsc_err_set(err, errlen, "%s: cannot create: %s", sub, strerror(errno));
  struct stat st;
  if (lstat(sub, &st) != 0 || !S_ISDIR(st.st_mode))
    return vsc_err_set(err, errlen, "%s: not a directory (a symbolic link?): vsc writes its temp files only "
                                    "into a real directory; remove it and run again",
                       sub);
  vsc_cache *c = calloc(1, sizeof *c);
  if (!c) return vsc_err_set(err, errlen, "out of memory");
  snprintf(c->dir, sizeof c->dir, "%s", dir);
  random_hex16(c->rand);
  c->lockfd = -1;
  pthread_mutex_init(&c->mu, NULL);
  *out = c;
  return 0;
}

int vsc_cache_lock(vsc_cache *c, char *err, size_t errlen) {
  if (c->lockfd >= 0) return 0;
  char path[4096];
  snprintf(path, sizeof path, "%s/lock", c->dir);
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return vsc_err_set(err, errlen, "%s: %s", path, strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return vsc_err_set(err, errlen, "%s: another vsc process is using this cache", c->dir);
  }
  c->lockfd = fd;
  /* Only the owner of the cache cleans: no writer of another process can be mid-file. */
  snprintf(path, sizeof path, "%s/tmp", c->dir);
  clean_tmp(path);
  return 0;
}

int vsc_cache_lock_shared(vsc_cache *c, char *err, size_t errlen) {
  if (c->lockfd >= 0) return 0;
  char path[4096];
  snprintf(path, sizeof path, "%s/lock", c->dir);
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return vsc_err_set(err, errlen, "%s: %s", path, strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
    /* Alone for now: clean as the owner would, then let the batch's other builds in. */
    snprintf(path, sizeof path, "%s/tmp", c->dir);
    clean_tmp(path);
  }
  /* Another build of the batch may hold it alone for the moment it cleans: wait for that
   * (a few seconds at most), not for a lone run, gc or verify. */
  int tries = 0;
  while (flock(fd, LOCK_SH | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK || ++tries > 250) {
      close(fd);
      return vsc_err_set(err, errlen, "%s: another vsc process is using this cache", c->dir);
    }
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  c->lockfd = fd;
  return 0;
}

void vsc_cache_close(vsc_cache *c) {
  if (!c) return;
  if (c->lockfd >= 0) close(c->lockfd);
  pthread_mutex_destroy(&c->mu);
  free(c);
}

const char *vsc_cache_dir(const vsc_cache *c) { return c->dir; }

int vsc_cache_tmp_path(vsc_cache *c, const char *key, const char *ext, char *out,
                       size_t outlen) {
  pthread_mutex_lock(&c->mu);
  unsigned long n = ++c->seq;
  pthread_mutex_unlock(&c->mu);
  (void)key;
  int w = snprintf(out, outlen, "%s/tmp/vsc-tmp.%ld.%s.%lu.%s", c->dir, (long)getpid(), c->rand, n,
                   ext && *ext ? ext : "bin");
  return w > 0 && (size_t)w < outlen ? 0 : -1;
}

static void entry_paths(const vsc_cache *c, const char *key, const char *ext, char *obj,
                        size_t objlen, char *meta, size_t metalen) {
  if (obj) snprintf(obj, objlen, "%s/objects/%.2s/%.64s.%.8s", c->dir, key, key, ext);
  if (meta) snprintf(meta, metalen, "%s/objects/%.2s/%.64s.json", c->dir, key, key);
}

static long long mtime_ns(const struct stat *st) {
  return (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

/* Writes `text` to path atomically (temp in the same dir, fsync, rename). */
static int write_atomic(const char *path, const char *text, char *err, size_t errlen) {
  char tmp[4200];
  static unsigned long n;
  int fd = -1;
  /* O_EXCL: a file or symlink planted at the temp name is never written through (a name
   * left by a crashed process of the same pid is skipped). */
  for (int tries = 0; fd < 0 && tries < 8; tries++) {
    snprintf(tmp, sizeof tmp, "%s.%ld.%lu.tmp", path, (long)getpid(),
             __atomic_add_fetch(&n, 1, __ATOMIC_RELAXED));
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) return vsc_err_set(err, errlen, "%s: %s", tmp, strerror(errno));
  size_t len = strlen(text), off = 0;
  while (off < len) {
    ssize_t w = write(fd, text + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      close(fd);
      unlink(tmp);
      return vsc_err_set(err, errlen, "%s: write: %s", tmp, strerror(errno));
    }
    off += (size_t)w;
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    unlink(tmp);
    return vsc_err_set(err, errlen, "%s: fsync: %s", tmp, strerror(errno));
  }
  if (rename(tmp, path) != 0) {
    unlink(tmp);
    return vsc_err_set(err, errlen, "%s: rename: %s", path, strerror(errno));
  }
  return 0;
}

int vsc_cache_commit(vsc_cache *c, const char *key, const char *tmp_path, const char *ext,
                     const json_t *info, vsc_cache_entry *e, char *err, size_t errlen) {
  if (e) memset(e, 0, sizeof *e);
  if (!valid_key(key) || !valid_ext(ext)) {
    unlink(tmp_path);
    return vsc_err_set(err, errlen, "cache: bad key or extension");
  }
  int fd = open(tmp_path, O_RDONLY);
  if (fd < 0) return vsc_err_set(err, errlen, "%s: no output was written: %s", tmp_path, strerror(errno));
  int synced = fsync(fd);
  close(fd);
  if (synced != 0) {
    unlink(tmp_path);
    return vsc_err_set(err, errlen, "%s: fsync: %s", tmp_path, strerror(errno));
  }
  char sha[65];
  uint64_t size = 0;
  if (vsc_sha256_file(tmp_path, sha, &size, err, errlen) != 0) {
    unlink(tmp_path);
    return -1;
  }
  char obj[4096], meta[4096], sub[4096];
  entry_paths(c, key, ext, obj, sizeof obj, meta, sizeof meta);
  snprintf(sub, sizeof sub, "%s/objects/%.2s", c->dir, key);
  if (vsc_mkdir_p(sub) != 0) {
    unlink(tmp_path);
    return vsc_err_set(err, errlen, "%s: %s", sub, strerror(errno));
  }
  /* A stale entry for another extension must not shadow the new object. */
  unlink(meta);
  if (rename(tmp_path, obj) != 0) {
    unlink(tmp_path);
    return vsc_err_set(err, errlen, "%s: rename: %s", obj, strerror(errno));
  }
  struct stat st;
  if (stat(obj, &st) != 0) return vsc_err_set(err, errlen, "%s: %s", obj, strerror(errno));
  json_t *m = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "key", key, "ext", ext, "sha256",
                        sha, "size", (json_int_t)size, "mtime_ns", (json_int_t)mtime_ns(&st),
                        "ino", (json_int_t)st.st_ino);
  json_object_set_new(m, "info", info ? json_deep_copy(info) : json_object());
  char *text = json_dumps(m, JSON_SORT_KEYS | JSON_COMPACT);
  int rc = text ? write_atomic(meta, text, err, errlen) : vsc_err_set(err, errlen, "out of memory");
  free(text);
  if (rc == 0) fsync_dir(sub);
  if (rc == 0 && e) {
    snprintf(e->key, sizeof e->key, "%s", key);
    snprintf(e->path, sizeof e->path, "%s", obj);
    snprintf(e->sha256, sizeof e->sha256, "%s", sha);
    e->size = size;
    e->info = json_incref(json_object_get(m, "info"));
  }
  json_decref(m);
  return rc;
}

static json_t *read_meta(const vsc_cache *c, const char *key) {
  char meta[4096];
  entry_paths(c, key, "", NULL, 0, meta, sizeof meta);
  json_t *m = json_load_file(meta, 0, NULL);
  if (m && (!json_is_object(m) || !json_is_string(json_object_get(m, "sha256")) ||
            !json_is_string(json_object_get(m, "ext")) ||
            !valid_ext(json_string_value(json_object_get(m, "ext"))))) {
    json_decref(m);
    return NULL;
  }
  return m;
}

static void fill_entry(const vsc_cache *c, const char *key, json_t *m, vsc_cache_entry *e) {
  memset(e, 0, sizeof *e);
  snprintf(e->key, sizeof e->key, "%s", key);
  entry_paths(c, key, json_string_value(json_object_get(m, "ext")), e->path, sizeof e->path,
              NULL, 0);
  snprintf(e->sha256, sizeof e->sha256, "%s", json_string_value(json_object_get(m, "sha256")));
  e->size = (uint64_t)json_integer_value(json_object_get(m, "size"));
  json_t *info = json_object_get(m, "info");
  e->info = info ? json_incref(info) : json_object();
}

void vsc_cache_entry_clear(vsc_cache_entry *e) {
  if (!e) return;
  json_decref(e->info);
  e->info = NULL;
}

int vsc_cache_peek(vsc_cache *c, const char *key, vsc_cache_entry *e) {
  memset(e, 0, sizeof *e);
  if (!valid_key(key)) return 0;
  json_t *m = read_meta(c, key);
  if (!m) return 0;
  fill_entry(c, key, m, e);
  json_decref(m);
  return 1;
}

int vsc_cache_remove(vsc_cache *c, const char *key) {
  if (!valid_key(key)) return -1;
  json_t *m = read_meta(c, key);
  char obj[4096], meta[4096];
  if (m) {
    entry_paths(c, key, json_string_value(json_object_get(m, "ext")), obj, sizeof obj, meta,
                sizeof meta);
    unlink(obj);
    json_decref(m);
  }
  entry_paths(c, key, "", NULL, 0, meta, sizeof meta);
  unlink(meta);
  return 0;
}

/* Rewrites the entry's stat fields after a successful re-hash (a touched but intact file),
 * so the next read of a big object can again trust size+mtime. */
static void refresh_stat(vsc_cache *c, const char *key, json_t *m, const struct stat *st) {
  json_object_set_new(m, "mtime_ns", json_integer(mtime_ns(st)));
  json_object_set_new(m, "ino", json_integer((json_int_t)st->st_ino));
  char meta[4096];
  entry_paths(c, key, "", NULL, 0, meta, sizeof meta);
  char *text = json_dumps(m, JSON_SORT_KEYS | JSON_COMPACT);
  if (text) write_atomic(meta, text, NULL, 0);
  free(text);
}

int vsc_cache_lookup(vsc_cache *c, const char *key, bool full, vsc_cache_entry *e,
                     char *why, size_t whylen) {
  memset(e, 0, sizeof *e);
  if (why && whylen) why[0] = 0;
  if (!valid_key(key)) return VSC_CACHE_MISS;
  json_t *m = read_meta(c, key);
  if (!m) return VSC_CACHE_MISS;
  char obj[4096];
  entry_paths(c, key, json_string_value(json_object_get(m, "ext")), obj, sizeof obj, NULL, 0);
  uint64_t want = (uint64_t)json_integer_value(json_object_get(m, "size"));
  struct stat st;
  const char *bad = NULL;
  char badbuf[256];
  if (stat(obj, &st) != 0) {
    bad = "object file is missing";
  } else if ((uint64_t)st.st_size != want) {
    snprintf(badbuf, sizeof badbuf, "size %llu, expected %llu (truncated or overwritten)",
             (unsigned long long)st.st_size, (unsigned long long)want);
    bad = badbuf;
  } else {
    bool same_stat = json_integer_value(json_object_get(m, "mtime_ns")) == mtime_ns(&st) &&
                     json_integer_value(json_object_get(m, "ino")) == (json_int_t)st.st_ino;
    if (full || !same_stat || want <= VSC_CACHE_REHASH_LIMIT) {
      char sha[65];
      uint64_t size = 0;
      char herr[256];
      if (vsc_sha256_file(obj, sha, &size, herr, sizeof herr) != 0) {
        json_decref(m);
        if (why) snprintf(why, whylen, "%s", herr);
        return -1;
      }
      if (strcmp(sha, json_string_value(json_object_get(m, "sha256"))) != 0) {
        snprintf(badbuf, sizeof badbuf, "content hash %.12s…, expected %.12s…", sha,
                 json_string_value(json_object_get(m, "sha256")));
        bad = badbuf;
      } else if (!same_stat) {
        refresh_stat(c, key, m, &st);
      }
    }
  }
  if (bad) {
    if (why) snprintf(why, whylen, "%s", bad);
    json_decref(m);
    vsc_cache_remove(c, key);
    return VSC_CACHE_CORRUPT;
  }
  fill_entry(c, key, m, e);
  json_decref(m);
  return VSC_CACHE_HIT;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int vsc_cache_each(vsc_cache *c, int (*fn)(const vsc_cache_entry *e, void *ud), void *ud,
                   char *err, size_t errlen) {
  char odir[4096];
  snprintf(odir, sizeof odir, "%s/objects", c->dir);
  DIR *d = opendir(odir);
  if (!d) return vsc_err_set(err, errlen, "%s: %s", odir, strerror(errno));
  char **keys = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (strlen(de->d_name) != 2) continue;
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/%s", odir, de->d_name);
    struct stat sst; /* a symlink here is not ours: never walked (gc would delete through it) */
    if (lstat(sub, &sst) != 0 || !S_ISDIR(sst.st_mode)) continue;
    DIR *sd = opendir(sub);
    if (!sd) continue;
    struct dirent *se;
    while ((se = readdir(sd))) {
      size_t len = strlen(se->d_name);
      if (len != 69 || strcmp(se->d_name + 64, ".json") != 0) continue;
      if (n == cap) {
        cap = cap ? cap * 2 : 64;
        char **nk = realloc(keys, cap * sizeof *keys);
        if (!nk) break;
        keys = nk;
      }
      keys[n++] = strndup(se->d_name, 64);
    }
    closedir(sd);
  }
  closedir(d);
  if (n) qsort(keys, n, sizeof *keys, cmp_str);
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    vsc_cache_entry e;
    if (rc == 0 && vsc_cache_peek(c, keys[i], &e)) {
      rc = fn(&e, ud);
      vsc_cache_entry_clear(&e);
    }
    free(keys[i]);
  }
  free(keys);
  return 0;
}
