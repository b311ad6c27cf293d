/*
** vsc_test.h — what every C test of vsc shares (library vsc_testlib, tests/lib/):
**   checks      CHECK counts a failure and goes on; REQUIRE also leaves the case by `goto out`
**   cases       a suite lists its cases once, in NAME.def (VSC_TEST_CASE(name) lines), read by
**               its main() through vsc_test_main() and by CMake (vsc_test_cases) for ctest
**   files       read a whole file, write one, compare two
**   fixtures    temp directories, a monotonic clock, child processes run to completion with
**               their output captured, a server that announces its port on its first line
**   JSON lines  a log read as an array, records counted by field
** Decoded video frames are in vsc_test_video.h.
*/
#ifndef VSC_TEST_H
#define VSC_TEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- checks ----------------------------------------------------------------------------- */

extern int vsc_test_failures; /* checks failed so far in this process */

/* Reports "FILE:LINE: check failed: COND: message" on stderr and counts the failure. `fmt`
** starts with the space that CHECK puts before the caller's message ("" + " " = none). */
void vsc_test_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* CHECK(cond) or CHECK(cond, "format", ...): the message is a string literal. */
#define CHECK(cond, ...) \
  do { \
    if (!(cond)) vsc_test_fail(__FILE__, __LINE__, #cond, " " __VA_ARGS__); \
  } while (0)

/* As CHECK, then jumps to the case's `out:` label, where it releases what it holds. */
#define REQUIRE(cond, ...) \
  do { \
    if (!(cond)) { \
      vsc_test_fail(__FILE__, __LINE__, #cond, " " __VA_ARGS__); \
      goto out; \
    } \
  } while (0)

/* The end of a test without cases: prints "NAME: ok" (stdout) or "NAME: N check(s) failed"
** (stderr) and returns the exit status, 0 or 1. */
int vsc_test_done(const char *name);

/* ---- cases ------------------------------------------------------------------------------ */

typedef struct {
  const char *name;
  void (*fn)(void);
} vsc_test_case;

/* A suite's table from its .def list, with the case functions named PREFIX##name:
**   static const vsc_test_case cases[] = {
**   #define VSC_TEST_CASE(name) VSC_TEST_ENTRY(t_, name)
**   #include "test_x.def"
**   #undef VSC_TEST_CASE
**   }; */
#define VSC_TEST_ENTRY(prefix, name) {#name, prefix##name},

/* The case called `name`, or NULL. */
const vsc_test_case *vsc_test_find(const vsc_test_case *cases, size_t ncases, const char *name);

/* Runs the case named by argv[1] ("all" or none: each in turn) and prints "NAME: ok" or
** "NAME: FAILED" on stderr after each. Returns the process's exit status: 0, 1 when a check
** failed, 2 for a missing or unknown case name. */
int vsc_test_main(int argc, char **argv, const vsc_test_case *cases, size_t ncases);

/* Prints the usage line with the case names on stderr; returns 2. */
int vsc_test_usage(const char *argv0, const vsc_test_case *cases, size_t ncases);

#define VSC_TEST_COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* ---- files ------------------------------------------------------------------------------ */

/* The whole file, NUL-terminated (caller frees), its size in *len when len is not NULL; NULL
** when it cannot be read. */
char *vsc_test_slurp(const char *path, size_t *len);
/* Writes `len` bytes to `path` (created or truncated). Returns 0 or -1. */
int vsc_test_write_file(const char *path, const void *data, size_t len);
int vsc_test_write_text(const char *path, const char *text);
/* Whether the file can be read and contains `needle`. */
bool vsc_test_file_has(const char *path, const char *needle);
/* Whether both files can be read and hold the same bytes. */
bool vsc_test_same_bytes(const char *a, const char *b);

/* A 16-bit mono WAV at 22050 Hz, `seconds` long: a 1 kHz click on every beat at 120 BPM,
** the first beat of each 4/4 bar louder, over silence. Returns 0 or -1. */
int vsc_test_write_click_wav(const char *path, double seconds);

/* ---- fixtures --------------------------------------------------------------------------- */

/* Makes a new empty directory $TMPDIR/vsc-TAG-XXXXXX (/tmp without TMPDIR) and writes its
** path into out. A test without its directory cannot run: on failure it exits with status 2. */
void vsc_test_tmpdir(char *out, size_t len, const char *tag);
/* Removes a directory tree (nothing when VSC_KEEP_TEST_DIRS is set, to look at it after).
** Returns 0 or -1. */
int vsc_test_rmtree(const char *dir);

double vsc_test_now(void); /* monotonic seconds */
void vsc_test_sleep(double seconds);

/* A finished child process. */
typedef struct {
  int status;     /* exit code, or 128 + signal */
  char *out;      /* its standard output, NUL-terminated (never NULL) */
  char *err;      /* its standard error */
  double seconds; /* wall time */
} vsc_test_run_result;

/* Runs argv (argv[0] a path) in directory `cwd` (NULL: this one) with extra "NAME=value"
** environment entries (NULL-terminated, may be NULL) and waits for it; stdout and stderr
** are captured through files in `cwd` (or $TMPDIR). Free with vsc_test_run_free. */
void vsc_test_run(vsc_test_run_result *r, const char *cwd, const char *const *env,
                  const char *const *argv);
void vsc_test_run_free(vsc_test_run_result *r);

/* Starts a server (argv[0] a path) that prints a line ending in "HOST:PORT" on stdout once
** it listens, as vsc's mock servers do with `--port 0`. Returns its pid with the port in
** *port, or -1 (the child killed). The server dies with the test (SIGTERM on our exit). */
pid_t vsc_test_start_server(const char *const *argv, int *port);
/* SIGTERM, then waits. Returns the exit status (0 = clean), or -1. */
int vsc_test_stop_server(pid_t pid);

/* ---- JSON lines ------------------------------------------------------------------------- */

/* Every line of `path` that parses as JSON, in order (new array; empty when unreadable). */
json_t *vsc_test_json_lines(const char *path);
/* How many objects of `records` have string `field` equal to `value`. */
int vsc_test_count(const json_t *records, const char *field, const char *value);

#endif
