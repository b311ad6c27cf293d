/*
** vsc ledger: what the journal says was spent, per build and per node.
*/
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vsc/vsc_runtime.h"

int cmd_ledger(int argc, char **argv) {
  bool json = false;
  const char *cache = NULL, *script = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) json = true;
    else if (strcmp(argv[i], "--cache") == 0 && i + 1 < argc) cache = argv[++i];
    else if (argv[i][0] != '-' && !script) script = argv[i];
    else return cli_usage("ledger");
  }
  char dir[PATH_MAX], path[PATH_MAX + 32];
  if (cache) {
    snprintf(dir, sizeof dir, "%s", cache);
  } else if (script) {
    const char *slash = strrchr(script, '/');
    if (slash) snprintf(dir, sizeof dir, "%.*s/.vsc", (int)(slash - script), script);
    else snprintf(dir, sizeof dir, ".vsc");
  } else {
    snprintf(dir, sizeof dir, ".vsc");
  }
  snprintf(path, sizeof path, "%s/journal.jsonl", dir);
  json_t *records = NULL;
  char err[512];
  if (vsc_journal_read(&records, path, err, sizeof err) != 0) {
    fprintf(stderr, "vsc: %s\n", err);
    return VSC_EXIT_RUNTIME;
  }
  json_t *ledger = vsc_ledger_build(records);
  if (json) {
    char *text = json_dumps(ledger, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (text) printf("%s\n", text);
    free(text);
  } else {
    vsc_ledger_print(ledger, stdout);
  }
  json_decref(ledger);
  json_decref(records);
  return VSC_EXIT_OK;
}
