/*
** The compile bench's yardstick: how long jansson takes to load a JSON file. Prints the
** best wall time of N loads (seconds) and the node count, so the bench can compare
** `vsc ir` against reading back the very IR it wrote.
**   usage: vsc_json_load FILE [N]
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: vsc_json_load FILE [N]\n");
    return 1;
  }
  int runs = argc > 2 ? atoi(argv[2]) : 1;
  if (runs < 1) runs = 1;
  double best = -1;
  size_t nodes = 0;
  for (int i = 0; i < runs; i++) {
    double t0 = now();
    json_error_t err;
    json_t *doc = json_load_file(argv[1], 0, &err);
    double t = now() - t0;
    if (!doc) {
      fprintf(stderr, "%s:%d:%d: %s\n", argv[1], err.line, err.column, err.text);
      return 1;
    }
    nodes = json_array_size(json_object_get(doc, "nodes"));
    json_decref(doc);
    if (best < 0 || t < best) best = t;
  }
  printf("%.6f %zu\n", best, nodes);
  return 0;
}
