/*
** Fuzz target for the whole front end: lexer, parser, checker and planner, as
** vsc_compile_source runs them. Built with -DVSC_FUZZ=ON under clang, this is a libFuzzer
** binary (fuzz_compile); in every build, the main at the end replays files and directories
** (tests/fuzz/corpus is a ctest), so a crash found once stays fixed.
**
** Beyond "does not crash": a successful compile must give an IR that validates, and a
** failed one must have reported an error.
*/
#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vsc/vsc.h"

/* Scripts are compiled as if they lived in a directory that does not exist, so relative
 * paths in them resolve to nothing and no audio analysis cache is written. */
#define FUZZ_DIR "/nonexistent/vsc-fuzz"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > (1u << 20)) return 0; /* large inputs cost time and find nothing new */
  char *text = malloc(size + 1);
  if (!text) abort();
  memcpy(text, data, size);
  text[size] = 0;
  vsc_diag_list *diags = vsc_diag_list_new(20);
  vsc_compile_options opts = VSC_COMPILE_OPTIONS_INIT;
  opts.cache_dir = FUZZ_DIR "/.vsc";
  json_t *ir = NULL;
  int rc = vsc_compile_source(&ir, FUZZ_DIR "/fuzz.vscript", text, size, &opts, diags);
  if (rc == 0) {
    char err[512] = "";
    if (!ir || vsc_ir_validate(ir, err, sizeof err) != 0) {
      fprintf(stderr, "fuzz_compile: compiled, but the IR does not validate: %s\n", err);
      abort();
    }
    free(vsc_ir_dump(ir));
  } else if (vsc_diag_error_count(diags) == 0) {
    fprintf(stderr, "fuzz_compile: compile failed without an error\n");
    abort();
  }
  /* Rendering the diagnostics runs the caret and JSON code on whatever spans were made. */
  FILE *null = fopen("/dev/null", "w");
  if (null) {
    vsc_diag_print(diags, null, true);
    fclose(null);
  }
  json_decref(vsc_diag_to_json(diags));
  json_decref(ir);
  vsc_diag_list_free(diags);
  free(text);
  return 0;
}

#ifndef VSC_LIBFUZZER
/* ---- replay: fuzz_replay FILE|DIR... ------------------------------------------------ */

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "fuzz_replay: cannot read %s\n", path);
    return -1;
  }
  size_t cap = 4096, len = 0;
  uint8_t *buf = malloc(cap);
  size_t n;
  while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
    len += n;
    if (len == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  if (!buf) abort();
  LLVMFuzzerTestOneInput(buf, len);
  free(buf);
  return 0;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Replays every regular file of a directory, in name order; returns the count or -1. */
static int replay_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    if (n == cap) names = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof *names);
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp_names);
  int count = 0;
  for (size_t i = 0; i < n; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && replay_file(path) == 0) count++;
    free(names[i]);
  }
  free(names);
  return count;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: fuzz_replay FILE|DIR...\n");
    return 1;
  }
  int total = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "fuzz_replay: cannot read %s\n", argv[i]);
      return 1;
    }
    int n = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]) == 0 ? 1
                                                                                  : -1;
    if (n < 0) return 1;
    total += n;
  }
  /* An empty corpus would make the test pass without testing anything. */
  if (total == 0) {
    fprintf(stderr, "fuzz_replay: no inputs\n");
    return 1;
  }
  printf("fuzz_replay: %d inputs compiled without a crash\n", total);
  return 0;
}
#endif
