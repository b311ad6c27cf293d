/* Clocks: monotonic seconds for durations and deadlines, and rounding times for output. */
#include <math.h>
#include <time.h>

#include "vsc/vsc_clock.h"

double vsc_clock_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double vsc_round_us(double t) { return round(t * 1e6) / 1e6; }
