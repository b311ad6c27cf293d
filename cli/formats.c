/*
** Several deliverables from one plan (`formats 16:9 9:16 1:1`, docs/cli.md "Formats"): the
** IR lists each format with its outputs; each is run in turn as the IR it would be alone, on
** the same cache, so work the formats share (a generated clip reframed for each) runs once
** and is a cache hit for the next. The budget is one: each run may spend what the ones
** before it left. Every target is checked before the first run starts.
*/
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_run.h"

int cli_format_arg(const char **formats, int argc, char **argv, int *i) {
  static char list[256]; /* every --format of the command, comma-joined */
  if (strcmp(argv[*i], "--format") != 0) return 1;
  if (*i + 1 >= argc || !argv[*i + 1][0]) return -1;
  const char *v = argv[++*i];
  size_t used = strlen(list);
  if (used + strlen(v) + 2 > sizeof list) return -1;
  snprintf(list + used, sizeof list - used, "%s%s", used ? "," : "", v);
  *formats = list;
  return 0;
}

bool cli_formats_named(const json_t *ir) {
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(ir, "formats"), i, f) {
    const char *suffix = json_string_value(json_object_get(f, "suffix"));
    if (suffix && *suffix) return true;
  }
  return false;
}

int cli_formats_one(json_t *ir) {
  json_t *formats = json_object_get(ir, "formats");
  if (!cli_formats_named(ir)) return VSC_EXIT_OK;
  if (json_array_size(formats) > 1) {
    fprintf(stderr, "vsc: --scene, --range and --sheet review one format: pick it with --format (e.g. --format %s)\n",
            json_string_value(json_object_get(json_array_get(formats, 0), "name")));
    return VSC_EXIT_USAGE;
  }
  /* Its outputs, scenes and frame are the IR's already. */
  json_object_del(ir, "formats");
  json_object_del(ir, "shared_cost");
  return VSC_EXIT_OK;
}

void cli_format_path(const char *output, const char *suffix, char *out, size_t len) {
  const char *dot = strrchr(output, '.'), *slash = strrchr(output, '/');
  int stem = dot && (!slash || dot > slash + 1) ? (int)(dot - output) : (int)strlen(output);
  snprintf(out, len, "%.*s%s%s", stem, output, suffix, output + stem);
}

/* The IR of format f alone: its outputs, scenes and frame where a one-format IR has them
 * (a new reference sharing the nodes). */
static json_t *format_ir(const json_t *ir, const json_t *f) {
  json_t *one = json_copy((json_t *)ir);
  json_t *video = json_copy(json_object_get(ir, "video"));
  json_object_set(video, "width", json_object_get(f, "width"));
  json_object_set(video, "height", json_object_get(f, "height"));
  json_object_set(video, "length", json_object_get(f, "length"));
  json_object_set_new(one, "video", video);
  json_object_set(one, "outputs", json_object_get(f, "outputs"));
  json_object_set(one, "scenes", json_object_get(f, "scenes"));
  json_object_set(one, "estimated_cost", json_object_get(f, "estimated_cost"));
  return one;
}

/* Worse exit codes win: a stop (budget, interrupt, auth) over a failure over a partial. */
static int worse(int a, int b) {
  if (a == VSC_EXIT_OK) return b;
  if (b == VSC_EXIT_OK || b == VSC_EXIT_PARTIAL) return a;
  return a == VSC_EXIT_PARTIAL ? b : a;
}

int cli_run_formats(const json_t *ir, const cli_run_args *a, const char *cache_dir, const char *base_dir,
                    const char *input, const char *output) {
  const json_t *formats = json_object_get(ir, "formats");
  size_t n = json_array_size(formats);
  if (strcmp(output, "-") == 0) {
    fprintf(stderr, "vsc: -o -: %zu formats cannot share stdout; pick one with --format\n", n);
    return VSC_EXIT_USAGE;
  }
  cli_output *dests = calloc(n, sizeof *dests);
  if (!dests) return VSC_EXIT_INTERNAL;
  int rc = VSC_EXIT_OK;
  size_t prepared = 0;
  for (; prepared < n && rc == VSC_EXIT_OK; prepared++) {
    char path[PATH_MAX];
    json_t *f = json_array_get(formats, prepared);
    cli_format_path(output, json_string_value(json_object_get(f, "suffix")), path, sizeof path);
    rc = cli_output_prepare(&dests[prepared], path, a->force, input, cache_dir);
  }
  if (rc != VSC_EXIT_OK) {
    for (size_t i = 0; i < prepared; i++) cli_output_close(&dests[i]);
    free(dests);
    return rc;
  }
  const json_t *budget = json_object_get(json_object_get(ir, "video"), "budget");
  double spent = 0;
  size_t i = 0;
  for (; i < n; i++) {
    cli_run_args one = *a;
    one.spent = &spent;
    if (json_is_number(budget)) {
      double left = (a->budget >= 0 ? a->budget : json_number_value(budget)) - spent;
      one.budget = left > 0 ? left : 0;
    }
    json_t *fir = format_ir(ir, json_array_get(formats, i));
    int frc = cli_run_ir(fir, &one, cache_dir, base_dir, &dests[i]);
    json_decref(fir);
    rc = worse(rc, frc);
    if (frc != VSC_EXIT_OK && frc != VSC_EXIT_PARTIAL) break; /* a stop stops every format */
  }
  for (i++; i < n; i++) cli_output_close(&dests[i]);
  free(dests);
  return rc;
}
