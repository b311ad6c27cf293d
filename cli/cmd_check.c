/* vsc check FILE: every diagnostic, no output file. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_check(int argc, char **argv) {
  const char *path = NULL, *formats = NULL;
  bool json = false;
  int max_errors = 20;
  for (int i = 1; i < argc; i++) {
    int frc = cli_param_arg(argc, argv, &i);
    if (frc == 1) frc = cli_format_arg(&formats, argc, argv, &i);
    if (frc < 0) return cli_usage("check");
    if (frc == 0) continue;
    if (strcmp(argv[i], "--json") == 0) json = true;
    else if (strcmp(argv[i], "--max-errors") == 0 && i + 1 < argc) max_errors = atoi(argv[++i]);
    else if (argv[i][0] == '-' && argv[i][1]) return cli_usage("check");
    else if (!path) path = argv[i];
    else return cli_usage("check");
  }
  if (!path) return cli_usage("check");
  json_t *ir = NULL;
  vsc_compile_options opts = VSC_COMPILE_OPTIONS_INIT;
  opts.formats = formats;
  int rc = cli_compile(&ir, path, json, max_errors, &opts);
  if (rc == VSC_EXIT_OK && !json) {
    json_t *video = json_object_get(ir, "video");
    printf("%s: ok, %zu scenes, %gs, estimated $%.2f", path, json_array_size(json_object_get(ir, "scenes")),
           json_number_value(json_object_get(video, "length")), json_number_value(json_object_get(ir, "estimated_cost")));
    size_t k;
    json_t *f;
    json_array_foreach(json_object_get(ir, "formats"), k, f)
      printf("%s %s %dx%d", k ? "," : "; formats", json_string_value(json_object_get(f, "name")),
             (int)json_integer_value(json_object_get(f, "width")), (int)json_integer_value(json_object_get(f, "height")));
    printf("\n");
  }
  json_decref(ir);
  return rc;
}
