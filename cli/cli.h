/* Shared helpers of the vsc command-line front end. */
#ifndef VSC_CLI_H
#define VSC_CLI_H

/* Exit codes (documented in docs/cli.md). */
enum {
  VSC_EXIT_OK = 0,
  VSC_EXIT_USAGE = 1,
  VSC_EXIT_LEX = 2,
  VSC_EXIT_PARSE = 3,
  VSC_EXIT_CHECK = 4,
  VSC_EXIT_RUNTIME = 5,
  VSC_EXIT_PARTIAL = 6, /* build finished, but some scenes were degraded */
  VSC_EXIT_BUDGET = 7,  /* stopped: the budget would have been exceeded */
  VSC_EXIT_INTERNAL = 255,
};

#define VSC_CMD(name, fn, summary, usage) int fn(int argc, char **argv);
#include "commands.def"
#undef VSC_CMD

/* Prints "usage: ..." for the command to stderr and returns VSC_EXIT_USAGE. */
int cli_usage(const char *command);

#include <stdbool.h>
#include <stdio.h>
#include "vsc/vsc.h"

/* Colour only on a terminal and when NO_COLOR is unset. */
bool cli_color(FILE *f);
/* Prints diagnostics (text to stderr, or JSON to stdout); returns the exit code they imply. */
int cli_report(vsc_diag_list *diags, bool json);
/* Compiles a script, printing diagnostics; returns an exit code (0 = *ir is set). */
int cli_compile(json_t **ir, const char *path, bool json, int max_errors, const vsc_compile_options *opts);
/* Writes a file atomically (temp + fsync + rename). */
int cli_write_file(const char *path, const char *text, size_t len);

#endif
