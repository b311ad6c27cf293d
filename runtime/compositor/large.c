/*
** Large encodes, a memory-lean mode (compositor stage; VSC_COMP_LARGE=1, off by default):
** at 1080p and above, two x264 encoders side by side hold about 316 MB (158 MB each with
** one thread at `veryfast`: lookahead, B-frames, half-pel planes), half of what the ffmpeg
** program needs for the whole job. In this mode a segment whose frames are that large
** encodes with two x264 threads and waits for a slot first: one such encode at a time per
** two online cores, so the other core goes to its encoder instead of to a second
** encoder's frames. The thread count follows from the frame size alone (x264's bytes
** depend on it, so it can never follow the moment's load); only how many run at once
** follows the machine. The slot is taken before the segment opens its clip sources, so a
** segment holding it never waits for a clip decoder of a segment that waits for the slot
** (clipsrc.c only waits for running graphs). Measured on the 1080p reference job
** (docs/compositor.md): peak memory 600 MB instead of 660 MB, but 40 % more wall time
** (one job's decoding and filtering run between its encoder's frames), so it is not the
** default.
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "comp.h"

static pthread_mutex_t large_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t large_cv = PTHREAD_COND_INITIALIZER;
static int large_running;

int comp_large(int width, int height) {
  const char *on = getenv("VSC_COMP_LARGE");
  if (!on || strcmp(on, "1") != 0) return 0;
  return (long long)width * height >= (long long)COMP_LARGE_PIXELS;
}

int comp_encode_threads(const json_t *encode, int width, int height, int threads) {
  if (json_is_integer(json_object_get(encode, "threads"))) return threads; /* the IR's own */
  return comp_large(width, height) ? COMP_LARGE_THREADS : threads;
}

/* Encodes of large frames that may run at once: one per COMP_LARGE_THREADS online cores. */
static int large_slots(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN) / COMP_LARGE_THREADS;
  return n < 1 ? 1 : n > 64 ? 64
                            : (int)n;
}

void comp_large_enter(void) {
  int slots = large_slots();
  pthread_mutex_lock(&large_mu);
  while (large_running >= slots) pthread_cond_wait(&large_cv, &large_mu);
  large_running++;
  pthread_mutex_unlock(&large_mu);
}

void comp_large_leave(void) {
  pthread_mutex_lock(&large_mu);
  large_running--;
  pthread_cond_broadcast(&large_cv);
  pthread_mutex_unlock(&large_mu);
}
