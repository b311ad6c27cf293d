/*
** Benchmark of the music analysis: decodes and analyses FILE (no cache) RUNS times and
** prints the best time as a factor of real time. bench_beats.sh feeds it a synthesised
** 4-minute song.
*/
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "vsc/vsc_audio.h"

static double clock_s(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}
static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu_s(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_audio FILE [RUNS]\n");
    return 1;
  }
  int runs = argc > 2 ? atoi(argv[2]) : 3;
  if (runs < 1) runs = 1;
  double best_total = 1e30, best_decode = 1e30, best_cpu = 1e30, duration = 0;
  char err[512];
  for (int r = 0; r < runs; r++) {
    double t0 = now_s();
    float *x;
    size_t n;
    if (vsc_audio_decode(&x, &n, argv[1], VSC_AUDIO_RATE, 3600, err, sizeof err) < 0) {
      fprintf(stderr, "bench_audio: %s\n", err);
      return 1;
    }
    double t1 = now_s();
    free(x);
    vsc_audio_analysis *a;
    double t2 = now_s(), c2 = cpu_s();
    if (vsc_audio_analyze(&a, argv[1], NULL, err, sizeof err) < 0) {
      fprintf(stderr, "bench_audio: %s\n", err);
      return 1;
    }
    double t3 = now_s(), c3 = cpu_s();
    if (c3 - c2 < best_cpu) best_cpu = c3 - c2;
    duration = a->duration;
    if (r == 0)
      printf("%s: %.1f s, tempo %.2f BPM, %zu beats, %zu bars, %zu sections\n", argv[1],
             a->duration, a->tempo, a->nbeats, a->ndownbeats, a->nsections);
    vsc_audio_analysis_free(a);
    if (t3 - t2 < best_total) best_total = t3 - t2;
    if (t1 - t0 < best_decode) best_decode = t1 - t0;
  }
  printf("decode only:            %.3f s\n", best_decode);
  printf("hash+decode+analysis:   %.3f s (best of %d)\n", best_total, runs);
  printf("  CPU time of the same:   %.3f s\n", best_cpu);
  printf("analysis speed:         %.0fx real time (target >= 100x); %.0fx per CPU second\n",
         duration / best_total, duration / best_cpu);
  return 0;
}
