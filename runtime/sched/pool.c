/*
** The CPU thread pool (runtime stage "sched"): compositor and local-provider executors run
** here, a few at a time, and each worker commits its node's output to the cache itself
** (fsync + hash + rename are I/O the scheduler's loop should not wait on). Jobs run by
** priority. Besides the N workers, one more takes only light jobs (a join of parts: a
** stream copy), so that a finished scene never waits behind long encodes to be whole.
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sched.h"

struct vsc_pool {
  pthread_mutex_t mu;
  pthread_cond_t work; /* queued jobs or stopping */
  pthread_cond_t done; /* a new event */
  vsc_pool_job **queue;
  size_t nqueue, capqueue;
  vsc_pool_event *events; /* jobs taken by a worker and jobs finished, oldest first */
  size_t nevents, capevents;
  int running;
  bool stop;
  bool hold; /* jobs are being queued together: none is taken yet */
  pthread_t *threads;
  int nthreads;
  void (*notify)(void *ud);
  void *ud;
};

double vsc_sched_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool push(vsc_pool_job ***arr, size_t *n, size_t *cap, vsc_pool_job *job) {
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 16;
    vsc_pool_job **na = realloc(*arr, nc * sizeof *na);
    if (!na) return false;
    *arr = na;
    *cap = nc;
  }
  (*arr)[(*n)++] = job;
  return true;
}

static void run_job(vsc_pool_job *job) {
  double t0 = vsc_sched_now();
  char tmp[4096];
  memset(&job->err, 0, sizeof job->err);
  if (vsc_cache_tmp_path(job->cache, job->key, job->ext, tmp, sizeof tmp) != 0) {
    job->rc = vsc_op_fail(&job->err, VSC_FAIL_LOCAL, "cache path too long");
    return;
  }
  job->rc = job->fn(job->node_json, (const char *const *)job->inputs, job->ninputs, tmp,
                    &job->err);
  if (job->rc != 0) {
    if (job->err.kind == VSC_FAIL_NONE) job->err.kind = VSC_FAIL_LOCAL;
    unlink(tmp);
    job->seconds = vsc_sched_now() - t0;
    return;
  }
  job->seconds = vsc_sched_now() - t0;
  json_object_set_new(job->info, "seconds", json_real(job->seconds));
  vsc_cache_entry e;
  char cerr[512];
  if (vsc_cache_commit(job->cache, job->key, tmp, job->ext, job->info, &e, cerr, sizeof cerr) != 0) {
    job->rc = vsc_op_fail(&job->err, VSC_FAIL_LOCAL, "cache: %s", cerr);
    return;
  }
  memcpy(job->path, e.path, sizeof job->path);
  memcpy(job->sha256, e.sha256, sizeof job->sha256);
  /* Shared before the node is done; a failure only switches the shared cache off. */
  if (job->rcache) vsc_rcache_store(job->rcache, job->key, job->ext, &e);
  vsc_cache_entry_clear(&e);
}

/* Under p->mu: queues an event for the scheduler (job NULL: node's job was taken) and wakes
 * it. false: no memory. */
static bool note(vsc_pool *p, int node, vsc_pool_job *job) {
  if (p->nevents == p->capevents) {
    size_t nc = p->capevents ? p->capevents * 2 : 16;
    vsc_pool_event *na = realloc(p->events, nc * sizeof *na);
    if (!na) return false;
    p->events = na;
    p->capevents = nc;
  }
  p->events[p->nevents++] = (vsc_pool_event){node, job};
  pthread_cond_broadcast(&p->done);
  return true;
}

/* The most urgent queued job this worker may take (ties: the first queued), or -1. */
static long pick(const vsc_pool *p, bool light_only) {
  long best = -1;
  for (size_t k = 0; k < p->nqueue; k++) {
    if (light_only && !p->queue[k]->light) continue;
    if (best < 0 || p->queue[k]->priority > p->queue[best]->priority) best = (long)k;
  }
  return best;
}

static void work(vsc_pool *p, bool light_only) {
  pthread_mutex_lock(&p->mu);
  for (;;) {
    long best = -1;
    while (!p->stop && (p->hold || (best = pick(p, light_only)) < 0)) pthread_cond_wait(&p->work, &p->mu);
    if (p->stop) break;
    vsc_pool_job *job = p->queue[best];
    memmove(p->queue + best, p->queue + best + 1, (p->nqueue - (size_t)best - 1) * sizeof *p->queue);
    p->nqueue--;
    p->running++;
    note(p, job->node, NULL); /* without memory its start goes untold, not its end */
    pthread_mutex_unlock(&p->mu);
    if (p->notify) p->notify(p->ud);
    run_job(job);
    pthread_mutex_lock(&p->mu);
    p->running--;
    if (!note(p, job->node, job)) vsc_pool_job_free(job);
    if (p->notify) {
      /* Outside the lock: notify may take the provider's own lock. */
      pthread_mutex_unlock(&p->mu);
      p->notify(p->ud);
      pthread_mutex_lock(&p->mu);
    }
  }
  pthread_mutex_unlock(&p->mu);
}

static void *worker(void *arg) {
  work(arg, false);
  return NULL;
}

static void *light_worker(void *arg) {
  work(arg, true);
  return NULL;
}

int vsc_pool_new(vsc_pool **out, int threads, void (*notify)(void *ud), void *ud) {
  *out = NULL;
  if (threads < 1) threads = 1;
  vsc_pool *p = calloc(1, sizeof *p);
  if (!p) return -1;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->work, NULL);
  pthread_cond_init(&p->done, NULL);
  p->notify = notify;
  p->ud = ud;
  p->threads = calloc((size_t)threads + 1, sizeof *p->threads);
  for (int i = 0; p->threads && i < threads; i++) {
    if (pthread_create(&p->threads[i], NULL, worker, p) != 0) break;
    p->nthreads++;
  }
  /* Without its light worker the pool still runs light jobs on the others. */
  if (p->threads && p->nthreads == threads && pthread_create(&p->threads[threads], NULL, light_worker, p) == 0)
    p->nthreads++;
  if (p->nthreads == 0) {
    vsc_pool_free(p);
    return -1;
  }
  *out = p;
  return 0;
}

void vsc_pool_submit(vsc_pool *p, vsc_pool_job *job) {
  pthread_mutex_lock(&p->mu);
  if (push(&p->queue, &p->nqueue, &p->capqueue, job)) {
    pthread_cond_broadcast(&p->work); /* the light worker waits on it too */
  } else {
    job->rc = vsc_op_fail(&job->err, VSC_FAIL_LOCAL, "out of memory");
    if (!note(p, job->node, job)) vsc_pool_job_free(job);
  }
  pthread_mutex_unlock(&p->mu);
}

void vsc_pool_hold(vsc_pool *p, bool hold) {
  pthread_mutex_lock(&p->mu);
  p->hold = hold;
  if (!hold) pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->mu);
}

bool vsc_pool_next(vsc_pool *p, double wait, vsc_pool_event *ev) {
  pthread_mutex_lock(&p->mu);
  if (p->nevents == 0 && wait > 0 && (p->running > 0 || p->nqueue > 0)) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double at = (double)ts.tv_sec + ts.tv_nsec / 1e9 + wait;
    ts.tv_sec = (time_t)at;
    ts.tv_nsec = (long)((at - (double)ts.tv_sec) * 1e9);
    pthread_cond_timedwait(&p->done, &p->mu, &ts);
  }
  bool got = p->nevents > 0;
  if (got) {
    *ev = p->events[0];
    memmove(p->events, p->events + 1, (p->nevents - 1) * sizeof *p->events);
    p->nevents--;
  }
  pthread_mutex_unlock(&p->mu);
  return got;
}

void vsc_pool_cancel_queued(vsc_pool *p) {
  pthread_mutex_lock(&p->mu);
  for (size_t i = 0; i < p->nqueue; i++) {
    vsc_pool_job *job = p->queue[i];
    job->rc = vsc_op_fail(&job->err, VSC_FAIL_CANCELED, "interrupted");
    if (!note(p, job->node, job)) vsc_pool_job_free(job);
  }
  p->nqueue = 0;
  pthread_mutex_unlock(&p->mu);
}

int vsc_pool_busy(vsc_pool *p) {
  pthread_mutex_lock(&p->mu);
  int n = p->running + (int)p->nqueue;
  pthread_mutex_unlock(&p->mu);
  return n;
}

void vsc_pool_job_free(vsc_pool_job *job) {
  if (!job) return;
  json_decref(job->node_json);
  json_decref(job->info);
  for (size_t i = 0; i < job->ninputs; i++) free(job->inputs[i]);
  free(job->inputs);
  free(job);
}

void vsc_pool_free(vsc_pool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  for (size_t i = 0; i < p->nqueue; i++) vsc_pool_job_free(p->queue[i]);
  p->nqueue = 0;
  p->stop = true;
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
  for (size_t i = 0; i < p->nevents; i++) vsc_pool_job_free(p->events[i].job);
  free(p->queue);
  free(p->events);
  free(p->threads);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->work);
  pthread_cond_destroy(&p->done);
  free(p);
}
