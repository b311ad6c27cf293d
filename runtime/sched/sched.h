/*
** Internal header of the scheduler stage: the CPU thread pool and helpers shared by the
** files of runtime/sched. The public API is vsc/vsc_runtime.h.
*/
#ifndef VSC_SCHED_H
#define VSC_SCHED_H

#include <jansson.h>
#include <stdbool.h>

#include "vsc/vsc_provider.h"
#include "vsc/vsc_runtime.h"

/* sha256("vsc-key-1\n" id "\n" tag ("\n" input_key)*), hex into out[65]. */
void vsc_sched_derive_key(const char *id, const char *tag, const char *const *input_keys,
                          size_t n, char out[65]);

/* ---- the CPU pool: N threads run op executors and commit their output to the cache ---- */
typedef struct vsc_pool vsc_pool;

typedef struct {
  int node;                  /* the scheduler's node index */
  vsc_op_fn fn;
  json_t *node_json;         /* a reference the job owns (decref'd by the pool) */
  char **inputs;             /* owned, ninputs strings */
  size_t ninputs;
  char key[65], ext[12];
  json_t *info;              /* cache index info, owned */
  vsc_cache *cache;          /* borrowed */
  /* results, filled by the worker */
  int rc;
  vsc_op_error err;
  char path[4096];           /* the committed object */
  char sha256[65];
  double seconds;
} vsc_pool_job;

/* `notify(ud)` is called (from a worker) after each job finishes. */
int vsc_pool_new(vsc_pool **out, int threads, void (*notify)(void *ud), void *ud);
/* Takes ownership of job (malloc'd). */
void vsc_pool_submit(vsc_pool *p, vsc_pool_job *job);
/* A finished job (caller frees with vsc_pool_job_free), or NULL. Waits up to `wait`
 * seconds for one when `wait` > 0. */
vsc_pool_job *vsc_pool_take(vsc_pool *p, double wait);
void vsc_pool_job_free(vsc_pool_job *job);
/* Finishes every queued (not yet running) job as canceled. */
void vsc_pool_cancel_queued(vsc_pool *p);
/* Jobs queued or running. */
int vsc_pool_busy(vsc_pool *p);
/* Waits for running jobs, drops queued ones, joins the threads. */
void vsc_pool_free(vsc_pool *p);

/* Monotonic seconds. */
double vsc_sched_now(void);

#endif
