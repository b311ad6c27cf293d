/*
** bench_replicate.c — N predictions of 2 s each (mock latency) through the replicate
** provider at once, against one alone: the ratio to the ideal (one latency) and the
** provider's CPU time per prediction.   bench_replicate [N] [LATENCY]
*/
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "mock_harness.h"
#include "vsc_test.h"
#include "vsc/vsc_provider.h"

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

/* Runs n predictions at once; returns wall seconds, or -1 if any failed. */
static double run(vsc_provider *p, int n, const char *dir, double *cpu) {
  vsc_pred *preds[64];
  vsc_pred_request reqs[64];
  json_t *nodes[64];
  char out[64][256];
  double t0 = vsc_test_now(), c0 = cpu_seconds();
  static int serial;
  for (int i = 0; i < n; i++) {
    char node[512];
    snprintf(node, sizeof node, "{\"op\":\"generate\",\"model\":\"bytedance/seedance-1-lite\","
                                "\"params\":{\"kind\":\"video\",\"prompt\":\"scene %d of run %d\",\"duration\":5,\"input\":{}}}",
             i, serial);
    nodes[i] = json_loads(node, 0, NULL);
    snprintf(out[i], sizeof out[i], "%s/s%d-%d.mp4", dir, serial, i);
    memset(&reqs[i], 0, sizeof reqs[i]);
    reqs[i].node = nodes[i];
    reqs[i].node_id = "bench";
    reqs[i].model = "bytedance/seedance-1-lite";
    reqs[i].out_path = out[i];
    vsc_op_error err;
    if (p->vt->start(p, &preds[i], &reqs[i], &err) < 0) return -1;
  }
  serial++;
  int failed = 0;
  for (;;) {
    int busy = 0;
    for (int i = 0; i < n; i++) {
      vsc_pred_status st;
      p->vt->status(preds[i], &st);
      if (st.state != VSC_PRED_SUCCEEDED && st.state != VSC_PRED_FAILED && st.state != VSC_PRED_CANCELED) busy = 1;
    }
    if (!busy || vsc_test_now() - t0 > 60) break;
    p->vt->step(p, 0.5);
  }
  double wall = vsc_test_now() - t0;
  *cpu = cpu_seconds() - c0;
  for (int i = 0; i < n; i++) {
    vsc_pred_status st;
    p->vt->status(preds[i], &st);
    if (st.state != VSC_PRED_SUCCEEDED) failed++;
    p->vt->release(preds[i]);
    json_decref(nodes[i]);
    unlink(out[i]);
  }
  return failed ? -1 : wall;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 8;
  const char *lat = argc > 2 ? argv[2] : "2";
  if (n < 1 || n > 64) n = 8;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  mock_server s;
  const char *args[] = {"--latency", lat, NULL};
  if (mock_server_start(&s, args) < 0) return 1;
  char base[128], dir[] = "/tmp/vsc-bench-rep-XXXXXX";
  if (!mkdtemp(dir)) return 1;
  snprintf(base, sizeof base, "%s/v1", s.base);
  setenv("REPLICATE_API_TOKEN", "r8_bench", 1);
  setenv("REPLICATE_API_BASE", base, 1);
  vsc_provider *p;
  vsc_op_error err;
  if (vsc_replicate_provider_new(&p, NULL, &err) < 0) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  double cpu1, cpun;
  double one = run(p, 1, dir, &cpu1);
  double many = run(p, n, dir, &cpun);
  p->vt->destroy(p);
  mock_server_stop(&s, 5);
  rmdir(dir);
  curl_global_cleanup();
  if (one < 0 || many < 0) {
    fprintf(stderr, "bench_replicate: a prediction failed\n");
    return 1;
  }
  double ideal = atof(lat);
  printf("replicate: 1 prediction   %.3f s (latency %.1f s)\n", one, ideal);
  printf("replicate: %d predictions  %.3f s\n", n, many);
  printf("replicate: ratio %d-parallel / ideal   %.3f (target < 1.3)\n", n, many / ideal);
  printf("replicate: ratio %d-parallel / one     %.3f\n", n, many / one);
  printf("replicate: provider CPU per prediction %.2f ms (%d at once, incl. download + probe)\n",
         cpun / n * 1000, n);
  return many / ideal < 1.3 ? 0 : 3;
}
