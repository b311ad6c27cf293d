/*
** The corpus of likely mistakes (tests/mistakes/NAME.vscript, docs/diagnostics.md): for one
** case, what `vsc check` says about it, and what its fix does.
**
**   mistakes CASE.vscript CASE.diag     (run from the project root, as ctest does)
**
** The output compared with CASE.diag (VSC_UPDATE_GOLDEN=1 rewrites it) is
**   - the diagnostics exactly as `vsc check` prints them, and `exit N`;
**   - the first diagnostic's fix as `vsc check --json` gives it (span, and the replacement as
**     a JSON string), the
**     fixed line, and what checking the fixed script gives: `after the fix: ok`, or its
**     first error.
** Beyond the golden: each case must report something, its first diagnostic must carry a
** hint, and a fix must get past its error (the fixed script passes, or its first error is
** another one).
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsc/vsc.h"
#include "vsc_test.h"

/* Compiles text as `name` (so relative paths resolve as for the file) and writes the
** diagnostics as `vsc check` would, then "exit N". Returns the diagnostics as JSON. */
static json_t *check(const char *name, const char *text, size_t len, FILE *out, int *exit_code) {
  vsc_diag_list *diags = vsc_diag_list_new(20);
  vsc_compile_options opts = VSC_COMPILE_OPTIONS_INIT;
  json_t *ir = NULL;
  int rc = vsc_compile_source(&ir, name, text, len, &opts, diags);
  vsc_diag_print(diags, out, false);
  int stage = vsc_diag_worst_stage(diags);
  *exit_code = vsc_diag_error_count(diags) ? (stage ? stage : 4) : rc != 0 ? 4
                                                                           : 0;
  json_t *list = vsc_diag_to_json(diags);
  json_decref(ir);
  vsc_diag_list_free(diags);
  return list;
}

/* The first error's place and message, to tell whether a fix got past it. */
static char *first_error(const json_t *list) {
  size_t i;
  json_t *d;
  json_array_foreach(list, i, d) {
    if (strcmp(json_string_value(json_object_get(d, "severity")), "error") != 0) continue;
    char *s = NULL;
    if (asprintf(&s, "%s:%lld:%lld: %s", json_string_value(json_object_get(d, "file")) ?: "",
                 json_integer_value(json_object_get(d, "line")), json_integer_value(json_object_get(d, "column")),
                 json_string_value(json_object_get(d, "message"))) < 0)
      abort();
    return s;
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: mistakes CASE.vscript CASE.diag\n");
    return 2;
  }
  const char *script = argv[1], *golden = argv[2];
  size_t len;
  char *text = vsc_test_slurp(script, &len);
  if (!text) {
    fprintf(stderr, "mistakes: cannot read %s\n", script);
    return 2;
  }
  char *got = NULL;
  size_t got_len = 0;
  FILE *out = open_memstream(&got, &got_len);
  int code;
  json_t *list = check(script, text, len, out, &code);
  fprintf(out, "exit %d\n", code);
  json_t *first = json_array_get(list, 0);
  CHECK(first != NULL, "a mistake of the corpus must be reported");
  CHECK(first && json_object_get(first, "hint"), "the first diagnostic must have a hint");
  json_t *fix = first ? json_object_get(first, "fix") : NULL;
  char *before = first_error(list);
  if (fix) {
    const char *file = json_string_value(json_object_get(fix, "file"));
    const char *repl = json_string_value(json_object_get(fix, "replacement"));
    size_t off = (size_t)json_integer_value(json_object_get(fix, "offset"));
    size_t flen = (size_t)json_integer_value(json_object_get(fix, "length"));
    /* The replacement as a JSON string: a new line in it stays on this line. */
    char *quoted = json_dumps(json_object_get(fix, "replacement"), JSON_ENCODE_ANY);
    fprintf(out, "fix: %s:%lld:%lld-%lld:%lld %s\n", file, json_integer_value(json_object_get(fix, "line")),
            json_integer_value(json_object_get(fix, "column")), json_integer_value(json_object_get(fix, "end_line")),
            json_integer_value(json_object_get(fix, "end_column")), quoted);
    free(quoted);
    /* Fixes in this script are applied here; one in a module it imports, to a copy of it. */
    size_t flen_text = 0;
    char *target = strcmp(file, script) == 0 ? NULL : vsc_test_slurp(file, &flen_text);
    const char *src = target ? target : text;
    size_t src_len = target ? flen_text : len;
    REQUIRE(off + flen <= src_len, "the fix's span lies inside its file");
    size_t rlen = strlen(repl), fixed_len = src_len - flen + rlen;
    char *fixed = malloc(fixed_len + 1);
    memcpy(fixed, src, off);
    memcpy(fixed + off, repl, rlen);
    memcpy(fixed + off + rlen, src + off + flen, src_len - off - flen);
    fixed[fixed_len] = 0;
    /* The fixed line, as it now reads. */
    size_t ls = off, le = off + rlen;
    while (ls > 0 && fixed[ls - 1] != '\n') ls--;
    while (le < fixed_len && fixed[le] != '\n') le++;
    fprintf(out, "fixed: %.*s\n", (int)(le - ls), fixed + ls);
    if (!target) {
      FILE *null = fopen("/dev/null", "w");
      int code2;
      json_t *after = check(script, fixed, fixed_len, null ? null : stderr, &code2);
      if (null) fclose(null);
      char *err2 = first_error(after);
      if (err2) fprintf(out, "after the fix: exit %d: %s\n", code2, err2);
      else fprintf(out, "after the fix: ok\n");
      CHECK(!err2 || !before || strcmp(err2, before) != 0, "the fix must get past its error: %s", before);
      free(err2);
      json_decref(after);
    }
    free(fixed);
    free(target);
  }
out:
  fclose(out);
  free(before);
  json_decref(list);
  free(text);
  int rc = 0;
  if (getenv("VSC_UPDATE_GOLDEN") && strcmp(getenv("VSC_UPDATE_GOLDEN"), "1") == 0) {
    vsc_test_write_file(golden, got, got_len);
    printf("updated %s\n", golden);
  } else {
    size_t want_len;
    char *want = vsc_test_slurp(golden, &want_len);
    if (!want || want_len != got_len || memcmp(want, got, got_len) != 0) {
      fprintf(stderr, "FAIL: output differs from %s\n--- expected\n%s--- got\n%s", golden, want ? want : "(none)\n", got);
      rc = 1;
    }
    free(want);
  }
  free(got);
  return vsc_test_done(script) || rc;
}
