/*
** `--param NAME=VALUE` (check, ir, plan, build, explain, graph): values for the script's
** `param`s. The command line's values are one list for the process, applied by cli_compile
** to every compile that names none of its own (a batch row names its own).
*/
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static vsc_param_arg *given; /* the command line's values, in order */
static int ngiven;

int cli_param_arg(int argc, char **argv, int *i) {
  if (strcmp(argv[*i], "--param") != 0 && strncmp(argv[*i], "--param=", 8) != 0) return 1;
  const char *text = argv[*i][7] == '=' ? argv[*i] + 8 : *i + 1 < argc ? argv[++*i]
                                                                       : NULL;
  const char *eq = text ? strchr(text, '=') : NULL;
  if (!eq || eq == text) {
    fprintf(stderr, "vsc: --param takes NAME=VALUE\n");
    return -1;
  }
  vsc_param_arg *grown = realloc(given, (size_t)(ngiven + 1) * sizeof *given);
  if (!grown) return -1;
  given = grown;
  /* The argument is the text the value is shown in ("--param:1:7"); argv outlives the run. */
  given[ngiven++] = (vsc_param_arg){.name = strndup(text, (size_t)(eq - text)),
                                    .value = eq + 1,
                                    .src_name = "--param",
                                    .src_text = text,
                                    .src_len = strlen(text),
                                    .src_line = 1,
                                    .off = (size_t)(eq + 1 - text),
                                    .len = strlen(eq + 1)};
  if (!given[ngiven - 1].name) return -1;
  return 0;
}

void cli_params_apply(vsc_compile_options *opts) {
  if (opts->params || !ngiven) return;
  opts->params = given;
  opts->nparams = ngiven;
}
