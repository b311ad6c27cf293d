/*
** vsc_test.c — checks, the case runner, files and fixtures shared by the C tests (see
** vsc_test.h).
*/
#define _GNU_SOURCE /* nftw's FTW_DEPTH and FTW_PHYS */
#include "vsc_test.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int vsc_test_failures;

/* ---- checks and cases ------------------------------------------------------------------- */

void vsc_test_fail(const char *file, int line, const char *cond, const char *fmt, ...) {
  vsc_test_failures++;
  fprintf(stderr, "%s:%d: check failed: %s", file, line, cond);
  if (fmt[0] == ' ' && fmt[1]) { /* a message beyond CHECK's leading space */
    fputs(":", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
  }
  fputc('\n', stderr);
}

int vsc_test_done(const char *name) {
  if (vsc_test_failures) {
    fprintf(stderr, "%s: %d check(s) failed\n", name, vsc_test_failures);
    return 1;
  }
  printf("%s: ok\n", name);
  return 0;
}

const vsc_test_case *vsc_test_find(const vsc_test_case *cases, size_t ncases, const char *name) {
  for (size_t i = 0; i < ncases; i++)
    if (strcmp(cases[i].name, name) == 0) return &cases[i];
  return NULL;
}

int vsc_test_usage(const char *argv0, const vsc_test_case *cases, size_t ncases) {
  fprintf(stderr, "usage: %s [all|CASE]; cases:", argv0);
  for (size_t i = 0; i < ncases; i++) fprintf(stderr, " %s", cases[i].name);
  fputc('\n', stderr);
  return 2;
}

int vsc_test_main(int argc, char **argv, const vsc_test_case *cases, size_t ncases) {
  const char *want = argc > 1 ? argv[1] : "all";
  bool all = strcmp(want, "all") == 0;
  if (argc > 2 || (!all && !vsc_test_find(cases, ncases, want))) return vsc_test_usage(argv[0], cases, ncases);
  for (size_t i = 0; i < ncases; i++) {
    if (!all && strcmp(cases[i].name, want) != 0) continue;
    int before = vsc_test_failures;
    cases[i].fn();
    fprintf(stderr, "%s: %s\n", cases[i].name, vsc_test_failures == before ? "ok" : "FAILED");
  }
  return vsc_test_failures ? 1 : 0;
}

/* ---- files ------------------------------------------------------------------------------ */

char *vsc_test_slurp(const char *path, size_t *len) {
  if (len) *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0, got;
  char *b = malloc(cap);
  while (b && (got = fread(b + n, 1, cap - n - 1, f)) > 0) { /* reads pipes and /proc too */
    n += got;
    if (cap - n < 2) {
      char *nb = realloc(b, cap * 2);
      if (!nb) {
        free(b);
        b = NULL;
        break;
      }
      b = nb;
      cap *= 2;
    }
  }
  bool bad = ferror(f);
  fclose(f);
  if (!b || bad) {
    free(b);
    return NULL;
  }
  b[n] = 0;
  if (len) *len = n;
  return b;
}

int vsc_test_write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  int rc = fwrite(data, 1, len, f) == len ? 0 : -1;
  if (fclose(f) != 0) rc = -1;
  return rc;
}

int vsc_test_write_text(const char *path, const char *text) {
  return vsc_test_write_file(path, text, strlen(text));
}

bool vsc_test_file_has(const char *path, const char *needle) {
  char *text = vsc_test_slurp(path, NULL);
  bool has = text && strstr(text, needle);
  free(text);
  return has;
}

bool vsc_test_same_bytes(const char *a, const char *b) {
  size_t na, nb;
  char *pa = vsc_test_slurp(a, &na), *pb = vsc_test_slurp(b, &nb);
  bool same = pa && pb && na == nb && memcmp(pa, pb, na) == 0;
  free(pa);
  free(pb);
  return same;
}

static void put_le(uint8_t *p, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; i++) p[i] = (uint8_t)(v >> (8 * i));
}

int vsc_test_write_click_wav(const char *path, double seconds) {
  const uint32_t rate = 22050, n = (uint32_t)(seconds * rate), beat = rate / 2, click = 800;
  size_t size = 44 + (size_t)n * 2;
  uint8_t *w = calloc(1, size);
  if (!w) return -1;
  memcpy(w, "RIFF", 4);
  put_le(w + 4, (uint32_t)size - 8, 4);
  memcpy(w + 8, "WAVEfmt ", 8);
  put_le(w + 16, 16, 4); /* fmt chunk size */
  put_le(w + 20, 1, 2);  /* PCM */
  put_le(w + 22, 1, 2);  /* mono */
  put_le(w + 24, rate, 4);
  put_le(w + 28, rate * 2, 4); /* bytes per second */
  put_le(w + 32, 2, 2);        /* block align */
  put_le(w + 34, 16, 2);       /* bits */
  memcpy(w + 36, "data", 4);
  put_le(w + 40, n * 2, 4);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t k = i / beat, in = i % beat;
    double amp = in < click ? (k % 4 == 0 ? 0.9 : 0.5) * (1.0 - (double)in / click) : 0.0;
    double v = amp * sin(2 * M_PI * 1000.0 * i / rate);
    put_le(w + 44 + 2 * (size_t)i, (uint16_t)(int16_t)(v * 32000), 2);
  }
  int rc = vsc_test_write_file(path, w, size);
  free(w);
  return rc;
}

/* ---- fixtures --------------------------------------------------------------------------- */

void vsc_test_tmpdir(char *out, size_t len, const char *tag) {
  const char *base = getenv("TMPDIR");
  int n = snprintf(out, len, "%s/vsc-%s-XXXXXX", base && *base ? base : "/tmp", tag);
  if (n < 0 || (size_t)n >= len || !mkdtemp(out)) {
    fprintf(stderr, "cannot make a temp directory for %s: %s\n", tag, n >= 0 && (size_t)n >= len ? "path too long" : strerror(errno));
    exit(2);
  }
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int vsc_test_rmtree(const char *dir) {
  if (getenv("VSC_KEEP_TEST_DIRS")) return 0;
  int rc = nftw(dir, remove_one, 32, FTW_DEPTH | FTW_PHYS);
  return rc == 0 || errno == ENOENT ? 0 : -1;
}

double vsc_test_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void vsc_test_sleep(double seconds) {
  if (seconds <= 0) return;
  struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

void vsc_test_run(vsc_test_run_result *r, const char *cwd, const char *const *env,
                  const char *const *argv) {
  const char *where = cwd ? cwd : getenv("TMPDIR");
  if (!where || !*where) where = "/tmp";
  char outp[4200], errp[4200];
  snprintf(outp, sizeof outp, "%s/.stdout-%ld", where, (long)getpid());
  snprintf(errp, sizeof errp, "%s/.stderr-%ld", where, (long)getpid());
  memset(r, 0, sizeof *r);
  double t0 = vsc_test_now();
  pid_t pid = fork();
  if (pid == 0) {
    if (cwd && chdir(cwd) != 0) _exit(127);
    int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644), e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0) _exit(127);
    dup2(o, 1);
    dup2(e, 2);
    for (int i = 0; env && env[i]; i++) putenv((char *)env[i]);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  int st = 0;
  r->status = 127;
  if (pid > 0 && waitpid(pid, &st, 0) == pid)
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r->seconds = vsc_test_now() - t0;
  r->out = vsc_test_slurp(outp, NULL);
  r->err = vsc_test_slurp(errp, NULL);
  if (!r->out) r->out = strdup("");
  if (!r->err) r->err = strdup("");
  unlink(outp);
  unlink(errp);
}

void vsc_test_run_free(vsc_test_run_result *r) {
  free(r->out);
  free(r->err);
  memset(r, 0, sizeof *r);
}

pid_t vsc_test_start_server(const char *const *argv, int *port) {
  *port = 0;
  int fds[2];
  if (pipe(fds) < 0) return -1;
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* a crashed test leaves no server behind */
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  close(fds[1]);
  FILE *f = fdopen(fds[0], "r");
  char line[256] = "";
  bool ok = f && fgets(line, sizeof line, f) != NULL;
  if (f) fclose(f);
  else close(fds[0]);
  const char *colon = ok ? strrchr(line, ':') : NULL;
  *port = colon ? atoi(colon + 1) : 0;
  if (*port <= 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    fprintf(stderr, "%s did not start\n", argv[0]);
    return -1;
  }
  return pid;
}

int vsc_test_stop_server(pid_t pid) {
  if (pid <= 0) return -1;
  kill(pid, SIGTERM);
  int st = 0;
  if (waitpid(pid, &st, 0) != pid) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- JSON lines ------------------------------------------------------------------------- */

json_t *vsc_test_json_lines(const char *path) {
  json_t *arr = json_array();
  char *text = vsc_test_slurp(path, NULL);
  for (char *line = text, *end; line && *line; line = end) {
    end = strchr(line, '\n');
    if (end) *end++ = 0;
    else end = line + strlen(line);
    json_t *rec = json_loads(line, 0, NULL);
    if (rec) json_array_append_new(arr, rec);
  }
  free(text);
  return arr;
}

int vsc_test_count(const json_t *records, const char *field, const char *value) {
  int n = 0;
  size_t i;
  json_t *r;
  json_array_foreach(records, i, r) {
    const char *v = json_string_value(json_object_get(r, field));
    if (v && strcmp(v, value) == 0) n++;
  }
  return n;
}
