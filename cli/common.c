/* Helpers shared by the commands: diagnostics output and file writing. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "vsc/vsc.h"

bool cli_color(FILE *f) { return isatty(fileno(f)) && !getenv("NO_COLOR"); }

int cli_report(vsc_diag_list *diags, bool json) {
  if (json) {
    json_t *arr = vsc_diag_to_json(diags);
    json_t *o = json_object();
    json_object_set_new(o, "diagnostics", arr);
    json_object_set_new(o, "errors", json_integer(vsc_diag_error_count(diags)));
    json_object_set_new(o, "warnings", json_integer(vsc_diag_warning_count(diags)));
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fprintf(stdout, "%s\n", text);
    free(text);
    json_decref(o);
  } else {
    vsc_diag_print(diags, stderr, cli_color(stderr));
  }
  int stage = vsc_diag_worst_stage(diags);
  return vsc_diag_error_count(diags) ? (stage ? stage : VSC_EXIT_CHECK) : VSC_EXIT_OK;
}

int cli_write_file(const char *path, const char *text, size_t len) {
  char tmp[4096];
  static unsigned long n;
  int fd = -1;
  /* O_EXCL|O_NOFOLLOW: a file or symlink planted at the temp name is never written through. */
  for (int tries = 0; fd < 0 && tries < 8; tries++) {
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%lu", path, (long)getpid(), ++n);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) return -1;
  }
  if (fd < 0) return -1;
  size_t off = 0;
  int ok = 1;
  while (ok && off < len) {
    ssize_t w = write(fd, text + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) ok = 0;
    else off += (size_t)w;
  }
  ok = (fsync(fd) == 0) && ok;
  ok = (close(fd) == 0) && ok;
  if (!ok || rename(tmp, path) != 0) {
    unlink(tmp);
    return -1;
  }
  return 0;
}

int cli_compile(json_t **ir, const char *path, bool json, int max_errors, const vsc_compile_options *opts) {
  vsc_diag_list *diags = vsc_diag_list_new(max_errors);
  vsc_compile_options with_params = opts ? *opts : (vsc_compile_options)VSC_COMPILE_OPTIONS_INIT;
  cli_params_apply(&with_params);
  int rc = vsc_compile_file(ir, path, &with_params, diags);
  int exit_code = VSC_EXIT_OK;
  if (rc != 0 || vsc_diag_warning_count(diags) || json) exit_code = cli_report(diags, json);
  if (rc != 0 && exit_code == VSC_EXIT_OK) exit_code = VSC_EXIT_CHECK;
  vsc_diag_list_free(diags);
  return exit_code;
}
