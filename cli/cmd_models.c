/* vsc models [FILE]: the model registry. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_models(int argc, char **argv) {
  const char *path = NULL;
  bool json = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) json = true;
    else if (argv[i][0] == '-' && argv[i][1]) return cli_usage("models");
    else if (!path) path = argv[i];
    else return cli_usage("models");
  }
  vsc_diag_list *diags = vsc_diag_list_new(20);
  json_t *models = vsc_models_json(path, diags);
  if (!models) {
    int rc = cli_report(diags, false);
    vsc_diag_list_free(diags);
    return rc;
  }
  vsc_diag_list_free(diags);
  if (json) {
    char *text = json_dumps(models, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(12));
    printf("%s\n", text);
    free(text);
  } else {
    printf("%-18s %-36s %-14s %-6s %-28s %s\n", "name", "model", "class", "tier", "price", "priced");
    size_t i;
    json_t *m;
    json_array_foreach(models, i, m) {
      char price[64];
      snprintf(price, sizeof price, "$%g per %s", json_number_value(json_object_get(m, "price")),
               json_string_value(json_object_get(m, "per")));
      json_t *priced = json_object_get(m, "priced");
      printf("%-18s %-36s %-14s %-6s %-28s %s\n", json_string_value(json_object_get(m, "name")),
             json_string_value(json_object_get(m, "ref")), json_string_value(json_object_get(m, "class")),
             json_string_value(json_object_get(m, "tier")), price, priced ? json_string_value(priced) : "-");
    }
  }
  json_decref(models);
  return VSC_EXIT_OK;
}
