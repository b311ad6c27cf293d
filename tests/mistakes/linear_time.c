/*
** Error recovery stays linear: `vsc check` on hostile input of size N and 10N, its CPU time
** (user time of the child process) measured here, must grow no more than 12 times.
**
**   linear_time VSC [PATTERN]     (no pattern: all of them)
**
** Each run's time is the least of a few rounds (start-up, N, 10N in turn) minus the least
** time of checking a tiny script (process start, the registry), so a loaded machine or a
** slow start does not decide the ratio. Sizes are chosen so the 10N run does real work (tenths of a second).
*/
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vsc_test.h"

#define REPEATS 4

/* 10x the input may take at most 15x the time: linear work measures 8.5-10.5 here (a heap
** ten times larger misses the caches more), n log n about 12, a quadratic path 100. Under
** AddressSanitizer (CI's second suite) the allocator's own cost grows with the heap it keeps
** (quarantine, shadow memory), so the bound there is 20. */
#ifdef __SANITIZE_ADDRESS__
#define MAX_RATIO 20.0
#else
#define MAX_RATIO 15.0
#endif

/* User CPU seconds of `vsc check PATH` (output to /dev/null): the compiler's own work. The
** kernel's share (page faults) follows the memory touched, and is left out. */
static double check_cpu(const char *vsc, const char *path) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
      dup2(null, 1);
      dup2(null, 2);
    }
    /* `vsc check` runs without glibc's fastbins (cli/main.c): the time measured is the
    ** product's own, as a user gets it. */
    execl(vsc, vsc, "check", path, (char *)NULL);
    _exit(127);
  }
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) != pid) return -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) > 4) return -1; /* a crash is a failure */
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
}

typedef struct {
  char *p;
  size_t n, cap;
} text;

static void put(text *t, const char *s) {
  size_t k = strlen(s);
  if (t->n + k + 1 > t->cap) {
    t->cap = (t->n + k + 1) * 2;
    t->p = realloc(t->p, t->cap);
    if (!t->p) abort();
  }
  memcpy(t->p + t->n, s, k + 1);
  t->n += k;
}

/* The hostile inputs: a head, then one unit repeated until the text is `size` bytes. */
static const struct {
  const char *name, *head, *unit;
  size_t size; /* N in bytes */
} patterns[] = {
    {"brackets", "", "[", 100000},                              /* the line of '[' */
    {"nesting", "video \"x\" {\n", "{", 100000},                /* braces opened, never closed */
    {"parens", "video \"x\" {\n  scene a ", "(", 100000},       /* deep parentheses */
    {"keywords", "video \"x\" {\n", "size ", 100000},           /* a long line of one token */
    {"names", "video \"x\" {\n", "foo ", 100000},               /* a syntax error on every name */
    {"strings", "video \"x\" {\n", "\"unterminated\n", 100000}, /* many unterminated strings */
    {"lex_then_syntax", "video \"x\" {\n", "@ foo ", 100000},   /* a lexical error before each syntax error */
    {"units", "video \"x\" {\n  size ", "48px ", 100000},       /* unknown units with hints */
    /* Many scenes (numbered). At 100 kB their work was near the timer's floor and the ratio
     * jumped between 7 and 17 on one binary; at 200 kB it stays at 8.5-10.5. */
    {"scenes", "video \"x\" {\n", "  scene s (1s) { shot color #000000 }\n", 200000},
    {"bad_scenes", "video \"x\" {\n", "  scene s (1) { shot colr #000000 }\n", 100000},
};

/* Writes pattern i at `scale` times its size into path. Scene names are numbered. */
static void write_pattern(size_t i, int scale, const char *path) {
  text t = {0};
  put(&t, patterns[i].head);
  size_t want = patterns[i].size * (size_t)scale;
  char buf[128];
  for (unsigned k = 0; t.n < want; k++) {
    if (strstr(patterns[i].unit, "scene s ")) {
      const char *rest = patterns[i].unit + strlen("  scene s");
      snprintf(buf, sizeof buf, "  scene s%u%s", k, rest);
      put(&t, buf);
    } else {
      put(&t, patterns[i].unit);
    }
  }
  if (strstr(patterns[i].unit, "scene")) put(&t, "}\n");
  vsc_test_write_file(path, t.p, t.n);
  free(t.p);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: linear_time VSC [PATTERN]\n");
    return 2;
  }
  const char *vsc = argv[1];
  char dir[512], path[600];
  vsc_test_tmpdir(dir, sizeof dir, "linear");
  snprintf(path, sizeof path, "%s/tiny.vscript", dir);
  vsc_test_write_text(path, "video \"x\" {\n  scene a (1s) { shot color #000000 }\n}\n");
  char tiny[600];
  snprintf(tiny, sizeof tiny, "%s", path);
  double base = 1e9;
  for (int r = 0; r < REPEATS; r++) {
    double b = check_cpu(vsc, tiny);
    CHECK(b >= 0, "vsc check runs on a tiny script");
    if (b >= 0 && b < base) base = b;
  }
  for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
    if (argc > 2 && strcmp(argv[2], patterns[i].name) != 0) continue;
    char files[2][600];
    for (int s = 0; s < 2; s++) {
      snprintf(files[s], sizeof files[s], "%s/%s.%d.vscript", dir, patterns[i].name, s);
      write_pattern(i, s ? 10 : 1, files[s]);
    }
    /* Rounds of start-up, N and 10N in turn, so a change in the machine's load touches all
     * three; the least of each is kept (the start-up's over every round so far). */
    double t[2] = {1e9, 1e9};
    bool ok = true;
    for (int r = 0; r < REPEATS && ok; r++) {
      double b = check_cpu(vsc, tiny);
      if (b >= 0 && b < base) base = b;
      for (int s = 0; s < 2; s++) {
        double x = check_cpu(vsc, files[s]);
        if (x < 0) ok = false;
        else if (x < t[s]) t[s] = x;
      }
    }
    unlink(files[0]);
    unlink(files[1]);
    CHECK(ok, "vsc check finished on %s", patterns[i].name);
    if (!ok) continue;
    /* Work beyond the start-up; a floor of 10 ms keeps timer noise out of the ratio. */
    double w1 = t[0] - base, w10 = t[1] - base;
    if (w1 < 0.01) w1 = 0.01;
    if (w10 < 0) w10 = 0;
    double ratio = w10 / w1;
    printf("%-16s N=%-7zu %.3fs  10N %.3fs  (start-up %.3fs)  ratio %.1f\n", patterns[i].name, patterns[i].size,
           t[0], t[1], base, ratio);
    CHECK(ratio <= MAX_RATIO, "%s: 10x the input took %.1fx the time", patterns[i].name, ratio);
  }
  vsc_test_rmtree(dir);
  return vsc_test_done("linear_time");
}
