/* vsc plan FILE: the timeline, models and money, before anything is spent. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static double num(json_t *o, const char *k) { return json_number_value(json_object_get(o, k)); }

static json_t *plan_json(json_t *ir) {
  json_t *video = json_object_get(ir, "video");
  json_t *o = json_object();
  json_object_set_new(o, "title", json_deep_copy(json_object_get(video, "title")));
  json_object_set_new(o, "length", json_real(num(video, "length")));
  json_object_set_new(o, "width", json_deep_copy(json_object_get(video, "width")));
  json_object_set_new(o, "height", json_deep_copy(json_object_get(video, "height")));
  json_object_set_new(o, "fps", json_deep_copy(json_object_get(video, "fps")));
  json_object_set_new(o, "budget", json_deep_copy(json_object_get(video, "budget")));
  json_object_set_new(o, "estimated_cost", json_real(num(ir, "estimated_cost")));
  json_object_set_new(o, "scenes", json_deep_copy(json_object_get(ir, "scenes")));
  if (json_object_get(video, "tempo")) json_object_set_new(o, "tempo", json_deep_copy(json_object_get(video, "tempo")));
  return o;
}

int cmd_plan(int argc, char **argv) {
  const char *path = NULL;
  bool json = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) json = true;
    else if (argv[i][0] == '-' && argv[i][1]) return cli_usage("plan");
    else if (!path) path = argv[i];
    else return cli_usage("plan");
  }
  if (!path) return cli_usage("plan");
  json_t *ir = NULL;
  vsc_compile_options opts = VSC_COMPILE_OPTIONS_INIT;
  int rc = cli_compile(&ir, path, false, 20, &opts);
  if (rc != VSC_EXIT_OK) return rc;
  json_t *plan = plan_json(ir);
  if (json) {
    char *text = json_dumps(plan, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(12));
    printf("%s\n", text);
    free(text);
  } else {
    json_t *video = json_object_get(ir, "video");
    printf("%s\n%dx%d, %d fps, %gs", json_string_value(json_object_get(video, "title")),
           (int)json_integer_value(json_object_get(video, "width")), (int)json_integer_value(json_object_get(video, "height")),
           (int)json_integer_value(json_object_get(video, "fps")), num(video, "length"));
    if (json_object_get(video, "tempo")) printf(", %g bpm", num(video, "tempo"));
    printf("\n\n%-16s %9s %9s %6s  %-36s %9s\n", "scene", "start", "duration", "bar", "model", "cost");
    size_t i;
    json_t *sc;
    json_array_foreach(json_object_get(ir, "scenes"), i, sc) {
      json_t *model = json_object_get(sc, "model"), *bar = json_object_get(sc, "bar");
      printf("%-16s %8.3fs %8.3fs %6s  %-36s %8.3f$", json_string_value(json_object_get(sc, "name")), num(sc, "start"),
             num(sc, "duration"), bar ? json_string_value(bar) : "-", model && json_is_string(model) ? json_string_value(model) : "-",
             num(sc, "estimated_cost"));
      if (json_object_get(sc, "snap")) printf("  (snapped %+.3fs to the beat)", num(sc, "snap"));
      printf("\n");
    }
    json_t *budget = json_object_get(video, "budget");
    printf("\nestimated cost $%.2f", num(ir, "estimated_cost"));
    if (json_is_number(budget)) printf(" of a $%.2f budget", json_number_value(budget));
    printf(" (with a REPLICATE_API_TOKEN; the offline local provider costs nothing)\n");
  }
  json_decref(plan);
  json_decref(ir);
  return VSC_EXIT_OK;
}
