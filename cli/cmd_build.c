/*
** vsc build FILE: compile the script (diagnostics as `vsc check` prints them), then run its
** plan with the cache next to the script (.vsc/) and write <stem>.mp4 beside it.
*/
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_run.h"
#include "review.h"
#include "vsc/vsc.h"
#include "vsc/vsc_file.h"

int cmd_build(int argc, char **argv) {
  cli_run_args a = CLI_RUN_ARGS_INIT;
  const char *script = NULL, *quality = NULL, *formats = NULL;
  bool preview = false;
  cli_review review = {0};
  for (int i = 1; i < argc; i++) {
    int rc = cli_run_parse(&a, argc, argv, &i);
    if (rc == 1) rc = cli_review_parse(&review, argc, argv, &i, true);
    if (rc < 0) return cli_usage("build");
    if (rc == 0) continue;
    int frc = cli_param_arg(argc, argv, &i);
    if (frc == 1) frc = cli_format_arg(&formats, argc, argv, &i);
    if (frc < 0) return cli_usage("build");
    if (frc == 0) continue;
    if (strcmp(argv[i], "--preview") == 0) {
      preview = true;
    } else if (strcmp(argv[i], "--quality") == 0 && i + 1 < argc &&
               (strcmp(argv[i + 1], "draft") == 0 || strcmp(argv[i + 1], "final") == 0)) {
      quality = argv[++i];
    } else if (argv[i][0] == '-' || script) {
      return cli_usage("build");
    } else {
      script = argv[i];
    }
  }
  if (!script) return cli_usage("build");
  char cache[PATH_MAX], out[PATH_MAX];
  if (a.cache) {
    snprintf(cache, sizeof cache, "%s", a.cache);
  } else {
    const char *slash = strrchr(script, '/');
    if (slash) snprintf(cache, sizeof cache, "%.*s/.vsc", (int)(slash - script), script);
    else snprintf(cache, sizeof cache, ".vsc");
  }
  if (!a.output) {
    cli_default_output(script, out, sizeof out);
    cli_review_output(&review, out, sizeof out); /* a part never overwrites the whole */
    if (preview) {
      /* A preview never overwrites the full render. */
      size_t n = strlen(out);
      if (n > 4) snprintf(out + n - 4, sizeof out - (n - 4), ".preview.mp4");
    }
    a.output = out;
  }
  /* Where the video goes is settled before anything is compiled or paid for. */
  cli_output dest;
  int orc = cli_output_prepare(&dest, a.output, a.force, script, cache);
  if (orc == VSC_EXIT_OK && review.sheet) orc = cli_sheet_check(&dest);
  if (orc != VSC_EXIT_OK) {
    cli_output_close(&dest);
    return orc;
  }
  /* The run creates its cache anyway; made now, the compile keeps file facts in it
   * (vsc_facts.h), so the next build does not hash and probe every file again. */
  (void)vsc_mkdir_p(cache);
  vsc_compile_options copts = VSC_COMPILE_OPTIONS_INIT;
  copts.cache_dir = cache;
  copts.preview = preview;
  copts.quality = quality;
  copts.formats = formats;
  json_t *ir = NULL;
  int rc = cli_compile(&ir, script, false, 20, &copts);
  if (rc != VSC_EXIT_OK || !ir) {
    json_decref(ir);
    cli_output_close(&dest);
    return rc != VSC_EXIT_OK ? rc : VSC_EXIT_INTERNAL;
  }
  if (review.sheet || cli_review_part(&review)) rc = cli_formats_one(ir);
  if (rc == VSC_EXIT_OK && cli_review_part(&review)) rc = cli_review_subset(&ir, &review, script);
  if (rc != VSC_EXIT_OK) {
    json_decref(ir);
    cli_output_close(&dest);
    return rc;
  }
  if (cli_formats_named(ir)) {
    /* One file per format (ad.9x16.mp4, …): each target is checked in its turn. */
    cli_output_close(&dest);
    rc = cli_run_formats(ir, &a, cache, NULL, script, a.output);
  } else {
    rc = cli_run_ir(ir, &a, cache, NULL, &dest);
    if (review.sheet && (rc == VSC_EXIT_OK || rc == VSC_EXIT_PARTIAL)) {
      int src = cli_build_sheet(ir, &dest, cache, a.provider,
                                a.progress == VSC_PROGRESS_QUIET || a.progress == VSC_PROGRESS_JSON);
      if (src != VSC_EXIT_OK && rc == VSC_EXIT_OK) rc = src;
    }
  }
  json_decref(ir);
  return rc;
}
