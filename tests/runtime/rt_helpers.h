/* Helpers shared by the runtime tests and benches (see rt_helpers.c). */
#ifndef RT_HELPERS_H
#define RT_HELPERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "vsc/vsc_runtime.h"
#include "vsc_test.h"

extern char rt_exec_log[4096];      /* when set, rt_exec appends {id,op,label,t0,t1} lines */
extern bool rt_cancel_on_interrupt; /* rt_run's vsc_run_options.cancel_on_interrupt */
extern int rt_jobs;                 /* rt_run's vsc_run_options.jobs (0: 4) */
/* rt_run's progress (AUTO, the default: quiet, plain with VSC_TEST_VERBOSE) and where it goes. */
extern vsc_progress_mode rt_progress;
extern FILE *rt_progress_out;
/* rt_run's vsc_run_options.split (joined by rt_exec), or NULL. */
extern json_t *(*rt_split)(const json_t *node);

/* A new IR document (caller decrefs) with provider "test" and the given budget (<0: none). */
json_t *rt_plan_new(double budget);
/* Appends a node (steals params) and returns its id (borrowed from the plan). */
const char *rt_add(json_t *plan, const char *op, json_t *params, const char *model,
                   const char *const *inputs, size_t ninputs);
/* The last node added (borrowed), to set cost/retry/fallbacks. */
json_t *rt_last(json_t *plan);

int rt_exec(const json_t *node, const char *const *inputs, size_t ninputs, const char *out_path,
            vsc_op_error *err);
extern const vsc_executor rt_executors[];
extern const size_t rt_nexecutors;

json_t *rt_journal(const char *cache);
char *rt_journal_text(const json_t *records, const char *const *fields);

/* Runs plan with the test provider scripted by provider_cfg (JSON text). */
int rt_run(const json_t *plan, const char *cache, const char *provider_cfg, vsc_run_result *res,
           const char *output);

#endif
