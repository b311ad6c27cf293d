/*
** The build record a run leaves in the cache (runtime/journal/record.c) and the two facts
** `vsc build` and `vsc explain` must agree on to find it again: which target a build
** writes, and which provider generates its remote nodes.
*/
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_run.h"
#include "vsc/vsc_runtime.h"

void cli_build_target(const char *output, char out[PATH_MAX]) {
  if (strcmp(output, "-") == 0 || cli_resolve_loose(output, out) != 0)
    snprintf(out, PATH_MAX, "%s", output);
}

const char *cli_remote_name(const json_t *ir, const char *provider) {
  const char *name = provider ? provider
                              : json_string_value(json_object_get(json_object_get(ir, "video"), "provider"));
  return vsc_provider_resolve(name);
}

void cli_record_build(const json_t *ir, const char *provider, const char *cache_dir,
                      const char *target, vsc_run_status status) {
  const char *remote = cli_remote_name(ir, provider);
  json_t *keys = vsc_plan_keys(ir, remote);
  char err[512];
  if (vsc_record_write(cache_dir, target, ir, keys, remote, status, err, sizeof err) != 0)
    fprintf(stderr, "warning: build record not written (vsc explain will know less): %s\n", err);
  json_decref(keys);
}
