/* vsc fmt FILE [--check|--write]: canonical formatting. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_fmt(int argc, char **argv) {
  const char *path = NULL;
  bool check = false, write = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--check") == 0) check = true;
    else if (strcmp(argv[i], "--write") == 0) write = true;
    else if (argv[i][0] == '-' && argv[i][1]) return cli_usage("fmt");
    else if (!path) path = argv[i];
    else return cli_usage("fmt");
  }
  if (!path || (check && write)) return cli_usage("fmt");
  size_t len;
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "vsc: error: cannot read '%s'\n", path);
    return VSC_EXIT_USAGE;
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc((size_t)size + 1);
  len = fread(text, 1, (size_t)size, f);
  text[len] = 0;
  fclose(f);
  vsc_diag_list *diags = vsc_diag_list_new(20);
  char *out = vsc_format(path, text, len, diags);
  int rc = VSC_EXIT_OK;
  if (!out) {
    rc = cli_report(diags, false);
  } else if (check) {
    if (strlen(out) != len || memcmp(out, text, len) != 0) {
      fprintf(stderr, "%s: not formatted (run 'vsc fmt --write %s')\n", path, path);
      rc = VSC_EXIT_USAGE;
    }
  } else if (write) {
    if ((strlen(out) != len || memcmp(out, text, len) != 0) && cli_write_file(path, out, strlen(out)) != 0) {
      fprintf(stderr, "vsc: error: cannot write '%s'\n", path);
      rc = VSC_EXIT_RUNTIME;
    }
  } else {
    fputs(out, stdout);
  }
  free(out);
  free(text);
  vsc_diag_list_free(diags);
  return rc;
}
