/*
** Where a render goes (`-o`): checked before anything runs, written at the end, and never
** at the cost of something vsc did not write.
**
** Targets (docs/cli.md "Output"):
**   - a regular file, new or written by vsc before: temp file beside it (created with
**     O_EXCL, so nothing planted at its name is followed), fsync, rename, fsync the dir;
**   - a character device or a FIFO (/dev/null, a pipe): opened and streamed into, never
**     renamed over;
**   - "-": stdout, streamed (fd 1 points at stderr meanwhile, so stray prints cannot
**     corrupt the video).
** An existing regular file is vsc's when OUT.json beside it is a vsc manifest whose
** output_size and output_sha256 match the file as it is now; anything else is the user's
** and is replaced only with --force. The input (script or plan), the cache (its journal
** included) and anything under a .vsc directory are never a target, --force or not.
** The manifest OUT.json follows the same rules; a stream gets no manifest.
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "vsc/vsc_runtime.h"
#include "vsc/vsc_sha256.h"

#define PROBE_BYTES (64 * 1024)

static void rand_hex(char out[17]) {
  unsigned char b[8];
  if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
    unsigned long long x = (unsigned long long)time(NULL) * 6364136223846793005ULL ^ (unsigned long long)getpid();
    memcpy(b, &x, sizeof b);
  }
  for (int i = 0; i < 8; i++) snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void dir_part(const char *path, char *out, size_t len) {
  const char *slash = strrchr(path, '/');
  if (!slash) snprintf(out, len, ".");
  else if (slash == path) snprintf(out, len, "/");
  else snprintf(out, len, "%.*s", (int)(slash - path), path);
}

static const char *base_part(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* The real path of `path`, which need not exist yet: its deepest existing ancestor is
 * resolved (symlinks included) and the rest appended. */
int cli_resolve_loose(const char *path, char out[PATH_MAX]) {
  if (realpath(path, out)) return 0;
  if (errno != ENOENT) return -1;
  char parent[PATH_MAX];
  dir_part(path, parent, sizeof parent);
  const char *base = base_part(path);
  if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strcmp(parent, path) == 0) return -1;
  char rp[PATH_MAX];
  if (cli_resolve_loose(parent, rp) != 0) return -1;
  int w = snprintf(out, PATH_MAX, "%s/%s", strcmp(rp, "/") == 0 ? "" : rp, base);
  return w > 0 && w < PATH_MAX ? 0 : -1;
}

bool cli_path_inside(const char *child, const char *parent) {
  if (strcmp(parent, "/") == 0) return child[0] == '/';
  size_t n = strlen(parent);
  return strncmp(child, parent, n) == 0 && (child[n] == '/' || child[n] == 0);
}

bool cli_under_dot_vsc(const char *real) {
  for (const char *p = strstr(real, "/.vsc"); p; p = strstr(p + 1, "/.vsc"))
    if (p[5] == '/' || p[5] == 0) return true;
  return false;
}

/* Why `real` (a resolved path; st when it exists) may never be written, or NULL. */
static const char *protected_reason(const cli_output *o, const char *real, const struct stat *st) {
  if (st && o->have_input && st->st_dev == o->input_dev && st->st_ino == o->input_ino)
    return "is the input itself";
  if (o->cache_real[0] && cli_path_inside(real, o->cache_real))
    return "is inside the cache directory (objects, journal, ledger)";
  if (cli_under_dot_vsc(real)) return "is inside a .vsc cache directory";
  return NULL;
}

/* A JSON file read without following a symlink at its name (NULL if absent or not JSON). */
static json_t *load_nofollow(const char *path) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return NULL;
  struct stat st;
  json_t *j = NULL;
  char *buf = NULL;
  /* Read whole (json_loadfd reads a byte per system call). */
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < (16 << 20) && (buf = malloc((size_t)st.st_size + 1))) {
    size_t n = 0;
    ssize_t r;
    while (n < (size_t)st.st_size && ((r = read(fd, buf + n, (size_t)st.st_size - n)) > 0 || (r < 0 && errno == EINTR)))
      if (r > 0) n += (size_t)r;
    j = json_loadb(buf, n, 0, NULL);
    free(buf);
  }
  close(fd);
  return j;
}

static bool is_manifest(const json_t *m) {
  const char *f = json_string_value(json_object_get(m, "format"));
  return f && strcmp(f, "vsc-manifest") == 0;
}

/* Is the object named by a manifest's output_object ("objects/ab/<key>.mp4") the very file
 * st (the cache's own object, hard-linked there: whatever happened to it, the cache
 * verifies and re-makes it)? */
static bool is_cache_object(const cli_output *o, const json_t *m, const struct stat *st) {
  const char *rel = json_string_value(json_object_get(m, "output_object"));
  if (!rel || !o->cache_dir[0] || strncmp(rel, "objects/", 8) != 0 || strstr(rel, "..")) return false;
  char p[PATH_MAX + 200];
  snprintf(p, sizeof p, "%s/%.150s", o->cache_dir, rel);
  struct stat so;
  return lstat(p, &so) == 0 && S_ISREG(so.st_mode) && so.st_dev == st->st_dev && so.st_ino == st->st_ino;
}

/* Is st one of the cache's objects (a hard link vsc made, from a manifest that does not name
 * its object, e.g. one written before output_object existed)? Only files with several links
 * are looked for, in objects/<ab>/ (never through a symlink). */
static bool linked_into_cache(const cli_output *o, const struct stat *st) {
  if (st->st_nlink < 2 || !o->cache_dir[0]) return false;
  char odir[PATH_MAX + 16];
  snprintf(odir, sizeof odir, "%s/objects", o->cache_dir);
  int ofd = open(odir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *d = ofd >= 0 ? fdopendir(ofd) : NULL;
  if (!d) {
    if (ofd >= 0) close(ofd);
    return false;
  }
  bool found = false;
  struct dirent *de;
  while (!found && (de = readdir(d))) {
    if (strlen(de->d_name) != 2) continue;
    int sfd = openat(ofd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *sd = sfd >= 0 ? fdopendir(sfd) : NULL;
    if (!sd) {
      if (sfd >= 0) close(sfd);
      continue;
    }
    struct dirent *se;
    while (!found && (se = readdir(sd))) {
      struct stat so;
      found = se->d_ino == st->st_ino && fstatat(sfd, se->d_name, &so, AT_SYMLINK_NOFOLLOW) == 0 &&
              S_ISREG(so.st_mode) && so.st_dev == st->st_dev && so.st_ino == st->st_ino;
    }
    closedir(sd);
  }
  closedir(d);
  return found;
}

/* Did vsc write the regular file `path` (its manifest records this very content, or it is
 * still the cache object vsc linked there)? */
static bool vsc_wrote(const cli_output *o, const char *path, const char *manifest, const struct stat *st) {
  json_t *m = load_nofollow(manifest);
  bool ok = m && is_manifest(m) && (is_cache_object(o, m, st) || linked_into_cache(o, st));
  if (!ok && m && is_manifest(m) && json_is_integer(json_object_get(m, "output_size")) &&
      json_integer_value(json_object_get(m, "output_size")) == (json_int_t)st->st_size) {
    const char *want = json_string_value(json_object_get(m, "output_sha256"));
    char sha[65];
    ok = want && vsc_sha256_file(path, sha, NULL, NULL, 0) == 0 && strcmp(sha, want) == 0;
  }
  json_decref(m);
  return ok;
}

static int refuse(const cli_output *o, int code, const char *fmt, const char *detail) {
  fprintf(stderr, "vsc: output %s: ", o->shown);
  fprintf(stderr, fmt, detail);
  fputc('\n', stderr);
  return code;
}

/* May the manifest beside a regular-file output be (re)written? 0, or an exit code. */
static int check_sidecar(const cli_output *o) {
  struct stat st;
  if (lstat(o->manifest, &st) != 0) {
    if (errno == ENOENT) return VSC_EXIT_OK;
    return refuse(o, VSC_EXIT_RUNTIME, "its manifest: %s", strerror(errno));
  }
  char real[PATH_MAX];
  if (cli_resolve_loose(o->manifest, real) != 0) snprintf(real, sizeof real, "%.4000s", o->manifest);
  const char *why = protected_reason(o, real, S_ISLNK(st.st_mode) ? NULL : &st);
  if (why) return refuse(o, VSC_EXIT_USAGE, "its manifest %s; choose another -o", why);
  if (S_ISLNK(st.st_mode)) {
    if (o->force) return VSC_EXIT_OK; /* the link itself is replaced, its target untouched */
    return refuse(o, VSC_EXIT_USAGE, "its manifest path is a symbolic link%s; use --force to replace the link", "");
  }
  if (!S_ISREG(st.st_mode)) return refuse(o, VSC_EXIT_USAGE, "its manifest path is not a regular file%s", "");
  json_t *m = load_nofollow(o->manifest);
  bool ours = m && is_manifest(m);
  json_decref(m);
  if (!ours && !o->force)
    return refuse(o, VSC_EXIT_USAGE,
                  "%s.json exists and is not a vsc manifest; use --force to replace it, or choose another -o",
                  o->shown);
  return VSC_EXIT_OK;
}

/* Creates a temp file in `dir` that no one else can have named: .<base>.vsc-tmp.<pid>.<rand>.
 * O_EXCL|O_NOFOLLOW: a file or symlink planted there makes us pick another name. */
static int make_temp(const char *dir, const char *base, char *out, size_t len, bool create) {
  for (int tries = 0; tries < 16; tries++) {
    char r[17];
    rand_hex(r);
    snprintf(out, len, "%s/.%.100s.vsc-tmp.%ld.%s", dir, base, (long)getpid(), r);
    if (!create) {
      struct stat st;
      if (lstat(out, &st) != 0 && errno == ENOENT) return 0;
      continue;
    }
    int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

static int write_all(int fd, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      struct pollfd p = {fd, POLLOUT, 0};
      poll(&p, 1, 1000);
      continue;
    }
    if (w <= 0) return -1;
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

/* A temp file of PROBE_BYTES written and removed: the directory takes files and has room. */
static int probe_dir(const cli_output *o) {
  char tmp[PATH_MAX + 200];
  int fd = make_temp(o->dir, base_part(o->path), tmp, sizeof tmp, true);
  if (fd < 0) return refuse(o, VSC_EXIT_RUNTIME, "cannot create a file there: %s", strerror(errno));
  char *zeros = calloc(1, PROBE_BYTES);
  int rc = zeros ? write_all(fd, zeros, PROBE_BYTES) : -1;
  int e = errno;
  free(zeros);
  close(fd);
  unlink(tmp);
  if (rc != 0) return refuse(o, VSC_EXIT_RUNTIME, "cannot write there: %s", strerror(e));
  return VSC_EXIT_OK;
}

int cli_output_prepare(cli_output *o, const char *path, bool force, const char *input, const char *cache_dir) {
  memset(o, 0, sizeof *o);
  o->fd = -1;
  o->force = force;
  snprintf(o->shown, sizeof o->shown, "%s", path);
  struct stat st;
  if (input && stat(input, &st) == 0) {
    o->have_input = true;
    o->input_dev = st.st_dev;
    o->input_ino = st.st_ino;
  }
  if (cache_dir && cli_resolve_loose(cache_dir, o->cache_real) != 0) o->cache_real[0] = 0;
  if (cache_dir) snprintf(o->cache_dir, sizeof o->cache_dir, "%s", cache_dir);

  if (strcmp(path, "-") == 0) {
    if (isatty(STDOUT_FILENO) && !force)
      return refuse(o, VSC_EXIT_USAGE, "stdout is a terminal%s; redirect it or pipe it (or --force)", "");
    o->kind = CLI_OUT_STDOUT;
    snprintf(o->shown, sizeof o->shown, "stdout");
    o->fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    if (o->fd < 0) return refuse(o, VSC_EXIT_RUNTIME, "%s", strerror(errno));
    /* From now on anything printed to fd 1 lands on stderr, not in the video. */
    fflush(stdout);
    dup2(STDERR_FILENO, STDOUT_FILENO);
    return VSC_EXIT_OK;
  }
  if (!*path) return refuse(o, VSC_EXIT_USAGE, "an empty path%s", "");
  if (path[strlen(path) - 1] == '/') return refuse(o, VSC_EXIT_USAGE, "names a directory%s; name the .mp4 file", "");

  char target[PATH_MAX];
  snprintf(target, sizeof target, "%s", path);
  bool exists = lstat(path, &st) == 0;
  if (!exists && errno != ENOENT) return refuse(o, VSC_EXIT_RUNTIME, "%s", strerror(errno));
  if (exists && S_ISLNK(st.st_mode)) {
    /* The user's link stays; what it points at is the target, under the same rules. */
    if (!realpath(path, target) || stat(target, &st) != 0)
      return refuse(o, VSC_EXIT_USAGE, "a symbolic link to nothing%s; name a file", "");
  }
  char real[PATH_MAX];
  if (cli_resolve_loose(target, real) != 0) snprintf(real, sizeof real, "%s", target);
  const char *why = protected_reason(o, real, exists ? &st : NULL);
  if (why) return refuse(o, VSC_EXIT_USAGE, "%s; vsc never writes its video there", why);
  if (exists) {
    if (S_ISDIR(st.st_mode)) return refuse(o, VSC_EXIT_USAGE, "is a directory%s; name the .mp4 file", "");
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
      if (access(target, W_OK) != 0) return refuse(o, VSC_EXIT_RUNTIME, "not writable: %s", strerror(errno));
      o->kind = CLI_OUT_STREAM;
      snprintf(o->path, sizeof o->path, "%s", target);
      return VSC_EXIT_OK;
    }
    if (!S_ISREG(st.st_mode))
      return refuse(o, VSC_EXIT_USAGE,
                    "is a %s; vsc writes a regular file, a character device or a FIFO",
                    S_ISBLK(st.st_mode) ? "block device" : S_ISSOCK(st.st_mode) ? "socket"
                                                                                : "special file");
  }
  o->kind = CLI_OUT_FILE;
  snprintf(o->path, sizeof o->path, "%s", target);
  snprintf(o->manifest, sizeof o->manifest, "%s.json", target);
  dir_part(target, o->dir, sizeof o->dir);
  if (exists && !force && !vsc_wrote(o, target, o->manifest, &st))
    return refuse(o, VSC_EXIT_USAGE,
                  "%s exists and vsc did not write it (no matching manifest beside it); "
                  "use --force to replace it, or choose another -o",
                  o->shown);
  if (exists) { /* allowed as it is now: the end of the run recognises it by these */
    o->cleared = true;
    o->cleared_st = st;
  }
  int rc = check_sidecar(o);
  if (rc != VSC_EXIT_OK) return rc;
  struct stat ds;
  if (stat(o->dir, &ds) != 0) return refuse(o, VSC_EXIT_RUNTIME, "its directory: %s", strerror(errno));
  if (!S_ISDIR(ds.st_mode)) return refuse(o, VSC_EXIT_RUNTIME, "its directory is not a directory%s", "");
  return probe_dir(o);
}

void cli_output_stage(const cli_output *o, const char *cache_dir, char *out, size_t len) {
  (void)o;
  char r[17];
  rand_hex(r);
  /* A name of the cache's own temp pattern: debris of a crash is cleaned like its own. */
  snprintf(out, len, "%s/tmp/vsc-tmp.%ld.%s.0.render.mp4", cache_dir, (long)getpid(), r);
}

static int fsync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  close(fd);
  return rc;
}

/* Streams the file `src` into fd. */
static int copy_into(int fd, const char *src, char *err, size_t errlen) {
  int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    snprintf(err, errlen, "%s: %s", src, strerror(errno));
    return -1;
  }
  static char buf[1 << 16];
  int rc = 0;
  void (*old)(int) = signal(SIGPIPE, SIG_IGN); /* a reader that goes away is an error, not a kill */
  for (;;) {
    ssize_t r = read(in, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      snprintf(err, errlen, "%s: read: %s", src, strerror(errno));
      rc = -1;
      break;
    }
    if (r == 0) break;
    if (write_all(fd, buf, (size_t)r) != 0) {
      snprintf(err, errlen, "write: %s", strerror(errno));
      rc = -1;
      break;
    }
  }
  signal(SIGPIPE, old);
  close(in);
  return rc;
}

/* Puts the bytes of `src` at `dst` atomically: a hard link (or a copy) under a temp name in
 * dst's directory, fsync'd, renamed over dst. */
static int place_atomic(const char *src, const char *text, size_t textlen, const char *dst, const char *dir,
                        char *err, size_t errlen) {
  char tmp[PATH_MAX + 200];
  int fd = -1;
  bool linked = false;
  if (src) {
    if (make_temp(dir, base_part(dst), tmp, sizeof tmp, false) == 0 && link(src, tmp) == 0) linked = true;
  }
  if (!linked) {
    fd = make_temp(dir, base_part(dst), tmp, sizeof tmp, true);
    if (fd < 0) {
      snprintf(err, errlen, "%s: cannot create a temp file: %s", dir, strerror(errno));
      return -1;
    }
    int rc = src ? copy_into(fd, src, err, errlen) : write_all(fd, text, textlen);
    if (rc != 0 && !src) snprintf(err, errlen, "%s: write: %s", tmp, strerror(errno));
    if (rc == 0 && fsync(fd) != 0) {
      snprintf(err, errlen, "%s: fsync: %s", tmp, strerror(errno));
      rc = -1;
    }
    if (close(fd) != 0 && rc == 0) {
      snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
      rc = -1;
    }
    if (rc != 0) {
      unlink(tmp);
      return -1;
    }
  }
  if (rename(tmp, dst) != 0) {
    snprintf(err, errlen, "%s: %s", dst, strerror(errno));
    unlink(tmp);
    return -1;
  }
  fsync_dir(dir);
  return 0;
}

/* Is the regular-file target still ours to replace (nothing appeared meanwhile)? */
static int still_allowed(const cli_output *o, const struct stat *obj, char *err, size_t errlen, bool *same) {
  struct stat st;
  *same = false;
  if (lstat(o->path, &st) != 0) return errno == ENOENT ? 0 : -1;
  if (!S_ISREG(st.st_mode)) {
    snprintf(err, errlen, "%s: replaced by something else than a regular file during the build", o->shown);
    return -1;
  }
  if (st.st_dev == obj->st_dev && st.st_ino == obj->st_ino) {
    *same = true; /* already this very object: nothing to write */
    return 0;
  }
  if (o->cleared && st.st_dev == o->cleared_st.st_dev && st.st_ino == o->cleared_st.st_ino &&
      st.st_size == o->cleared_st.st_size && st.st_mtim.tv_sec == o->cleared_st.st_mtim.tv_sec &&
      st.st_mtim.tv_nsec == o->cleared_st.st_mtim.tv_nsec)
    return 0; /* the file that was cleared before the run, untouched since */
  char real[PATH_MAX];
  if (cli_resolve_loose(o->path, real) != 0) snprintf(real, sizeof real, "%s", o->path);
  const char *why = protected_reason(o, real, &st);
  if (why || (!o->force && !vsc_wrote(o, o->path, o->manifest, &st))) {
    snprintf(err, errlen, "%s: %s", o->shown, why ? why : "a file vsc did not write appeared there during the build (use --force)");
    return -1;
  }
  return 0;
}

/* The hash of the output from the cache's index entry of `obj` (objects/ab/<key>.json),
 * which the run just verified: when `out` is that very file (the hard link), there is no
 * need to read a big video again on every no-op build. 0, or -1 (hash it instead). */
static int object_hash(const char *obj, const char *out, char sha[65], uint64_t *size) {
  char meta[PATH_MAX + 8];
  snprintf(meta, sizeof meta, "%s", obj);
  char *dot = strrchr(meta, '.'), *slash = strrchr(meta, '/');
  if (!dot || (slash && dot < slash)) return -1;
  snprintf(dot, sizeof meta - (size_t)(dot - meta), ".json");
  json_t *m = load_nofollow(meta);
  const char *h = json_string_value(json_object_get(m, "sha256"));
  json_int_t n = json_integer_value(json_object_get(m, "size"));
  struct stat so, st;
  int rc = -1;
  if (h && strlen(h) == 64 && stat(obj, &so) == 0 && stat(out, &st) == 0 && so.st_size == n && st.st_size == n &&
      so.st_dev == st.st_dev && so.st_ino == st.st_ino) {
    memcpy(sha, h, 65);
    *size = (uint64_t)n;
    rc = 0;
  }
  json_decref(m);
  return rc;
}

int cli_output_commit(cli_output *o, const char *obj, const char *staged_manifest, char *err, size_t errlen) {
  if (o->kind == CLI_OUT_STDOUT || o->kind == CLI_OUT_STREAM) {
    int fd = o->fd;
    if (o->kind == CLI_OUT_STREAM) {
      fd = open(o->path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
      struct stat st;
      if (fd < 0) {
        snprintf(err, errlen, "%s: %s", o->shown, strerror(errno));
        return -1;
      }
      if (fstat(fd, &st) != 0 || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
        close(fd);
        snprintf(err, errlen, "%s: no longer a device or FIFO", o->shown);
        return -1;
      }
    }
    char cerr[512];
    int rc = copy_into(fd, obj, cerr, sizeof cerr);
    if (rc != 0) snprintf(err, errlen, "%s: %s", o->shown, cerr);
    if (o->kind == CLI_OUT_STREAM) close(fd);
    return rc;
  }
  struct stat so;
  if (stat(obj, &so) != 0) {
    snprintf(err, errlen, "%s: %s", obj, strerror(errno));
    return -1;
  }
  bool same = false;
  if (still_allowed(o, &so, err, errlen, &same) != 0) return -1;
  if (!same && place_atomic(obj, NULL, 0, o->path, o->dir, err, errlen) != 0) return -1;
  /* The manifest: what the run recorded, plus the size and hash that make the file vsc's. */
  json_t *m = staged_manifest ? load_nofollow(staged_manifest) : NULL;
  if (!m) m = json_pack("{s:s, s:i}", "format", "vsc-manifest", "version", 1);
  char sha[65];
  uint64_t size = 0;
  if (object_hash(obj, o->path, sha, &size) != 0 && vsc_sha256_file(o->path, sha, &size, err, errlen) != 0) {
    json_decref(m);
    return -1;
  }
  json_object_set_new(m, "output", json_string(o->shown));
  json_object_set_new(m, "output_size", json_integer((json_int_t)size));
  json_object_set_new(m, "output_sha256", json_string(sha));
  size_t cl = strlen(o->cache_dir);
  if (cl && strncmp(obj, o->cache_dir, cl) == 0 && obj[cl] == '/')
    json_object_set_new(m, "output_object", json_string(obj + cl + 1));
  char *text = json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS);
  json_decref(m);
  if (!text) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  size_t n = strlen(text);
  text[n] = 0;
  char *withnl = realloc(text, n + 2);
  if (withnl) {
    text = withnl;
    text[n++] = '\n';
    text[n] = 0;
  }
  int rc = check_sidecar(o) == VSC_EXIT_OK ? place_atomic(NULL, text, n, o->manifest, o->dir, err, errlen) : -1;
  if (rc != 0 && !err[0]) snprintf(err, errlen, "%s.json: refused", o->shown);
  free(text);
  return rc;
}

int cli_output_sidecar(cli_output *o, const char *staged, const char *ext, char *err, size_t errlen) {
  if (o->kind != CLI_OUT_FILE) return 0; /* a stream has no place beside it */
  char dst[PATH_MAX + 64];
  const char *base = base_part(o->path), *dot = strrchr(base, '.');
  int stem = dot && dot != base ? (int)(dot - o->path) : (int)strlen(o->path);
  snprintf(dst, sizeof dst, "%.*s.%s", stem, o->path, ext);
  struct stat st;
  /* Beside a video vsc may replace, a sidecar of the same stem is vsc's too; anything that
   * is not a regular file (a link, a directory, a device) is left alone. */
  if (lstat(dst, &st) == 0 && !S_ISREG(st.st_mode)) {
    snprintf(err, errlen, "%s is not a regular file: the %s sidecar was not written", dst, ext);
    return -1;
  }
  return place_atomic(staged, NULL, 0, dst, o->dir, err, errlen);
}

void cli_output_close(cli_output *o) {
  if (o->kind == CLI_OUT_STDOUT && o->fd >= 0) {
    fflush(stdout);
    dup2(o->fd, STDOUT_FILENO);
    close(o->fd);
  }
  o->fd = -1;
}
