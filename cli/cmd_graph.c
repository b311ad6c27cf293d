/* vsc graph FILE: the plan graph as Graphviz DOT. */
#include <jansson.h>
#include <string.h>

#include "cli.h"
#include "vsc/vsc_ops.h"

static void dot_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') putchar('\\');
    if (*s == '\n') {
      fputs("\\n", stdout);
      continue;
    }
    putchar(*s);
  }
  putchar('"');
}

int cmd_graph(int argc, char **argv) {
  if (argc != 2 || argv[1][0] == '-') return cli_usage("graph");
  json_t *ir = NULL;
  vsc_compile_options opts = VSC_COMPILE_OPTIONS_INIT;
  int rc = cli_compile(&ir, argv[1], false, 20, &opts);
  if (rc != VSC_EXIT_OK) return rc;
  printf("digraph plan {\n  rankdir=LR;\n  node [shape=box, fontname=\"DejaVu Sans\", fontsize=10];\n");
  size_t i, k;
  json_t *n, *in;
  json_array_foreach(json_object_get(ir, "nodes"), i, n) {
    const char *id = json_string_value(json_object_get(n, "id"));
    const char *op = json_string_value(json_object_get(n, "op"));
    json_t *scene = json_object_get(n, "scene"), *model = json_object_get(n, "model");
    char label[512];
    snprintf(label, sizeof label, "%s%s%s%s%s\n%.8s", op, scene ? " " : "", scene ? json_string_value(scene) : "",
             model ? "\n" : "", model ? json_string_value(model) : "", id);
    printf("  n%.12s [label=", id);
    dot_string(label);
    if (vsc_ops_is_provider(op)) printf(", style=filled, fillcolor=\"#f5efe6\"");
    printf("];\n");
    json_array_foreach(json_object_get(n, "inputs"), k, in) printf("  n%.12s -> n%.12s;\n", json_string_value(in), id);
  }
  printf("}\n");
  json_decref(ir);
  return VSC_EXIT_OK;
}
