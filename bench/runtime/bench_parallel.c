/*
** Bench: N independent scenes whose (test) provider takes L seconds each must finish in
** about one latency, not N of them. Prints wall/L (target < 1.3).
** Usage: bench_rt_parallel [N=8] [L=1.0]
*/
#include <stdio.h>
#include <stdlib.h>

#include "rt_helpers.h"

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 8;
  double latency = argc > 2 ? atof(argv[2]) : 1.0;
  if (n < 1 || n > 256 || latency <= 0) return 2;
  char dir[2048], cache[2200];
  vsc_test_tmpdir(dir, sizeof dir, "bench-par");
  snprintf(cache, sizeof cache, "%s/cache", dir);
  json_t *plan = rt_plan_new(-1);
  const char **ids = calloc((size_t)n, sizeof *ids);
  for (int i = 0; i < n; i++) {
    char label[32];
    snprintf(label, sizeof label, "scene%d", i);
    json_t *params = json_pack("{s:s, s:s, s:s, s:i}", "kind", "video", "prompt", label, "label", label, "seed", i);
    ids[i] = rt_add(plan, "generate", params, "bench/video", NULL, 0);
    json_object_set_new(rt_last(plan), "cost", json_pack("{s:f, s:f}", "estimate", 0.1, "max", 0.1));
  }
  const char *c = rt_add(plan, "concat", json_pack("{s:s}", "label", "all"), NULL, ids, (size_t)n);
  json_object_set_new(json_object_get(plan, "outputs"), "video", json_string(c));
  char cfg[128];
  snprintf(cfg, sizeof cfg, "{\"latency\": %g}", latency);
  vsc_run_result res;
  double t0 = vsc_test_now();
  int rc = rt_run(plan, cache, cfg, &res, NULL);
  double wall = vsc_test_now() - t0;
  if (rc != 0 || res.status != VSC_RUN_OK || res.provider_calls != n) {
    fprintf(stderr, "bench run failed (status %d, calls %d)\n", res.status, res.provider_calls);
    return 1;
  }
  printf("parallel: %d scenes x %.2fs provider latency: wall %.3fs, ratio %.3f (target < 1.3)\n", n,
         latency, wall, wall / latency);
  free(ids);
  json_decref(plan);
  vsc_test_rmtree(dir);
  return wall / latency < 1.3 ? 0 : 1;
}
