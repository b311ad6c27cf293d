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
    /* Where the node is in the picture: its scene, or a transition's two (as progress says). */
    const json_t *between = json_object_get(n, "between");
    const char *from = json_string_value(json_array_get(between, 0)), *to = json_string_value(json_array_get(between, 1));
    char place[300] = "";
    if (scene) snprintf(place, sizeof place, " %s", json_string_value(scene));
    else if (from && to) snprintf(place, sizeof place, " transition %s -> %s", from, to);
    char label[768];
    snprintf(label, sizeof label, "%s%s%s%s\n%.8s", op, place, model ? "\n" : "", model ? json_string_value(model) : "", id);
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
