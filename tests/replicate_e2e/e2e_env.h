/*
** e2e_env.h — the harness of the end-to-end tests against mock-replicate: a temp directory
** with a script, a mock on a free port, bounded `vsc` runs, and the invariants every paid
** build must keep (books balance, no double generation, the token nowhere).
*/
#ifndef VSC_E2E_ENV_H
#define VSC_E2E_ENV_H
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libavformat/avformat.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mock_harness.h"
#include "vsc_test.h"

#define TOKEN "r8_e2e_secret_token_5f1c9a77d2"
#define WRONG_TOKEN "r8_e2e_revoked_token_0b4e6d13aa"
#define RUN_TIMEOUT 90.0 /* seconds any one vsc run may take before the test fails */

#define SEEDANCE "bytedance/seedance-1-lite"
#define WAN "wan-video/wan-2.2-t2v-fast"
#define FLUX "black-forest-labs/flux-schnell"
#define KOKORO "jaaari/kokoro-82m"

typedef struct {
  mock_server s;
  char dir[128];      /* the test's temp directory */
  char script[512];   /* the script being built (a copy inside dir) */
  char out[512];      /* the MP4 it renders */
  char last_err[600]; /* stderr of the last vsc run */
  const char *token;  /* the token vsc is given */
  int runs;           /* vsc runs so far (numbers the log files) */
  json_t *ir;         /* the script's plan graph */
  double last_secs;   /* wall time of the last run */
} env_t;

#define CREATE_OFFICIAL "POST /v1/models/{owner}/{name}/predictions"
#define CREATE_VERSIONED "POST /v1/predictions"
#define FAULTS_SCRIPT "tests/replicate_e2e/faults.vscript"

int copy_file(const char *from, const char *to);
int copy_scripts(const char *from, const char *to);
int edit_file(const char *path, const char *from, const char *to);
pid_t spawn_vsc(env_t *e, const char *const *args, char *out_log, size_t outlen);
int wait_vsc(pid_t pid, double timeout);
int run_vsc(env_t *e, const char *const *args, char *out_log, size_t outlen);
int build(env_t *e, const char *extra1, const char *extra2);
void use_token(env_t *e, const char *token);
int setup(env_t *e, const char *script, const char *const *mock_args);
int load_ir(env_t *e);
void teardown(env_t *e);
json_t *mock_get(env_t *e, const char *path);
int set_faults(env_t *e, const char *rules);
long fired(env_t *e, int i);
int billed(const json_t *billing, const char *model, const char *status);
double billed_cost(const json_t *billing, const char *model);
double status_cost(const json_t *billing, const char *model, const char *status);
long requests(env_t *e, const char *route);
json_t *journal(env_t *e);
int jcount(const json_t *recs, const char *t, const char *k, const char *v);
json_t *ledger(env_t *e);
json_t *manifest(env_t *e);
const char *node_of_model(const json_t *recs, const char *model);
json_t *ledger_calls(const json_t *l);
int check_books(env_t *e, double budget);
int check_token(env_t *e);
int check_mp4(env_t *e);
int check_complete(env_t *e);
double budget_of(env_t *e);
const char *manifest_model(json_t *m, const char *scene);
int check_output_intact(env_t *e, const json_t *recs, const char *model);
int fault_setup(env_t *e, const char *latency, const char *rules);
int check_one_each(env_t *e);

#endif
