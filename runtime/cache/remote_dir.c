/*
** The directory store of the shared cache (runtime/cache): DIR/cas/<sha256> and
** DIR/ac/<key> on a filesystem every machine mounts (NFS, a cluster filesystem). A file
** is written under DIR/tmp/ (named by host, pid and a random part, so writers never share
** one), fsync'd, then renamed into place; an action entry is linked into place instead, so
** that it is created once (link fails on an existing name). Readers therefore see a whole
** file or none, and concurrent writers of the same name are harmless.
*/
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remote_impl.h"
#include "vsc/vsc_err.h"
#include "vsc/vsc_file.h"

typedef struct {
  rc_store base;
  char dir[2048];
  char tag[160]; /* host.pid.random: this process's temp names */
  unsigned long seq;
} dir_store;

static void path_of(const dir_store *d, const char *name, char *out, size_t len) {
  snprintf(out, len, "%s/%s", d->dir, name);
}

/* Copies all of fd `in` to fd `out`. 0 or -1 (errno). */
static int copy_fd(int in, int out) {
  char buf[1 << 16];
  for (;;) {
    ssize_t got = read(in, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return -1;
    if (got == 0) return 0;
    for (ssize_t off = 0; off < got;) {
      ssize_t w = write(out, buf + off, (size_t)(got - off));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return -1;
      off += w;
    }
  }
}

static int dir_get(rc_store *s, const char *name, const char *dest, char **body, size_t *len, size_t max, char *err,
                   size_t errlen) {
  dir_store *d = (dir_store *)s;
  char p[2400];
  path_of(d, name, p, sizeof p);
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : vsc_err_set(err, errlen, "%s: %s", p, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return vsc_err_set(err, errlen, "%s: not a regular file", p);
  }
  int rc = 1;
  if (dest) {
    int out = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (out < 0) rc = vsc_err_set(err, errlen, "%s: %s", dest, strerror(errno));
    else if (copy_fd(fd, out) != 0) rc = vsc_err_set(err, errlen, "copying %s: %s", p, strerror(errno));
    if (out >= 0 && close(out) != 0 && rc == 1) rc = vsc_err_set(err, errlen, "%s: %s", dest, strerror(errno));
    if (rc != 1 && out >= 0) unlink(dest);
  } else if ((uint64_t)st.st_size > max) {
    rc = vsc_err_set(err, errlen, "%s: too large", p);
  } else {
    char *b = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (b && got < (size_t)st.st_size) {
      ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += (size_t)r;
    }
    if (!b || got != (size_t)st.st_size) {
      free(b);
      rc = vsc_err_set(err, errlen, "%s: short read", p);
    } else {
      b[got] = 0;
      *body = b;
      *len = got;
    }
  }
  close(fd);
  return rc;
}

static int dir_exists(rc_store *s, const char *name, char *err, size_t errlen) {
  char p[2400];
  path_of((dir_store *)s, name, p, sizeof p);
  struct stat st;
  if (stat(p, &st) == 0) return 1;
  return errno == ENOENT ? 0 : vsc_err_set(err, errlen, "%s: %s", p, strerror(errno));
}

static void fsync_parent(const char *path) {
  char dir[2400];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash) return;
  *slash = 0;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

static int dir_put(rc_store *s, const char *name, const char *src, const void *data, size_t len, bool once, char *err,
                   size_t errlen) {
  dir_store *d = (dir_store *)s;
  char final[2400], tmp[2600], sub[2400];
  path_of(d, name, final, sizeof final);
  /* The layout is made on first write: a directory that cannot be made is a failure. */
  snprintf(sub, sizeof sub, "%s/tmp", d->dir);
  if (vsc_mkdir_p(sub) != 0) return vsc_err_set(err, errlen, "%s: %s", sub, strerror(errno));
  snprintf(sub, sizeof sub, "%s", final);
  *strrchr(sub, '/') = 0;
  if (vsc_mkdir_p(sub) != 0) return vsc_err_set(err, errlen, "%s: %s", sub, strerror(errno));
  snprintf(tmp, sizeof tmp, "%s/tmp/%s.%lu", d->dir, d->tag, __atomic_add_fetch(&d->seq, 1, __ATOMIC_RELAXED));
  int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (out < 0) return vsc_err_set(err, errlen, "%s: %s", tmp, strerror(errno));
  int rc = 0;
  if (src) {
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0 || copy_fd(in, out) != 0) rc = vsc_err_set(err, errlen, "copying %s to %s: %s", src, tmp, strerror(errno));
    if (in >= 0) close(in);
  } else {
    for (size_t off = 0; rc == 0 && off < len;) {
      ssize_t w = write(out, (const char *)data + off, len - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) rc = vsc_err_set(err, errlen, "%s: %s", tmp, strerror(errno));
      else off += (size_t)w;
    }
  }
  if (rc == 0 && fsync(out) != 0) rc = vsc_err_set(err, errlen, "%s: fsync: %s", tmp, strerror(errno));
  if (close(out) != 0 && rc == 0) rc = vsc_err_set(err, errlen, "%s: %s", tmp, strerror(errno));
  if (rc != 0) {
    unlink(tmp);
    return -1;
  }
  if (once) {
    if (link(tmp, final) == 0) {
      rc = 0;
    } else if (errno == EEXIST) {
      rc = 1; /* someone else finished first */
    } else if (errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP || errno == EMLINK) {
      /* A filesystem without hard links: an entry already there is kept, else renamed in
       * (two writers racing here write equivalent entries). */
      struct stat st;
      if (stat(final, &st) == 0) rc = 1;
      else if (rename(tmp, final) != 0) rc = vsc_err_set(err, errlen, "%s: %s", final, strerror(errno));
    } else {
      rc = vsc_err_set(err, errlen, "%s: %s", final, strerror(errno));
    }
    unlink(tmp);
  } else if (rename(tmp, final) != 0) {
    rc = vsc_err_set(err, errlen, "%s: %s", final, strerror(errno));
    unlink(tmp);
  }
  if (rc == 0) fsync_parent(final);
  return rc;
}

static int dir_remove(rc_store *s, const char *name, char *err, size_t errlen) {
  char p[2400];
  path_of((dir_store *)s, name, p, sizeof p);
  if (unlink(p) == 0 || errno == ENOENT) return 0;
  return vsc_err_set(err, errlen, "%s: %s", p, strerror(errno));
}

static void dir_destroy(rc_store *s) { free(s); }

static const rc_store_vt dir_vt = {dir_get, dir_exists, dir_put, dir_remove, dir_destroy};

int rc_dir_open(rc_store **out, const char *dir, char *err, size_t errlen) {
  *out = NULL;
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') n--;
  if (n == 0 || n > 2000) return vsc_err_set(err, errlen, "remote cache directory: bad path");
  dir_store *d = calloc(1, sizeof *d);
  if (!d) return vsc_err_set(err, errlen, "out of memory");
  d->base.vt = &dir_vt;
  snprintf(d->dir, sizeof d->dir, "%.*s", (int)n, dir);
  char host[64] = "host";
  gethostname(host, sizeof host);
  host[sizeof host - 1] = 0;
  for (char *p = host; *p; p++)
    if (*p == '/' || *p == '.') *p = '_';
  unsigned char r[6] = {0};
  if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) memcpy(r, &d, sizeof r < sizeof d ? sizeof r : sizeof d);
  snprintf(d->tag, sizeof d->tag, "%s.%ld.%02x%02x%02x%02x%02x%02x", host, (long)getpid(), r[0], r[1], r[2], r[3], r[4],
           r[5]);
  *out = &d->base;
  return 0;
}
