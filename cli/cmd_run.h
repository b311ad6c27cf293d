/* Run options shared by `vsc run` and `vsc build` (cmd_run.c). */
#ifndef VSC_CMD_RUN_H
#define VSC_CMD_RUN_H

#include <stdbool.h>
#include <limits.h>
#include <stddef.h>

#include "cli.h"
#include "vsc/vsc_runtime.h"

/* 128 + SIGINT, as shells report a Ctrl-C'd program. */
#define VSC_EXIT_INTERRUPTED 130

typedef struct {
  const char *output;   /* -o */
  int jobs;             /* --jobs, 0 = online CPUs */
  int remote_jobs;      /* --remote-jobs, 0 = 16 */
  const char *cache;    /* --cache */
  const char *provider; /* --provider */
  vsc_progress_mode progress;
  bool cancel_on_interrupt;
  bool force;               /* --force: -o may replace a file vsc did not write */
  double budget;            /* < 0: the IR's; else what this run may spend (formats.c: what is left) */
  double *spent;            /* NULL, or where the run adds what it spent */
  const char *remote_cache; /* --remote-cache URL; NULL: $VSC_REMOTE_CACHE */
  bool no_remote_cache;     /* --no-remote-cache: neither */
  bool shared_cache;        /* a batch row: the cache is shared with the batch's other builds */
} cli_run_args;
#define CLI_RUN_ARGS_INIT \
  { NULL, 0, 0, NULL, NULL, VSC_PROGRESS_AUTO, false, false, -1, NULL, NULL, false, false }

/* Consumes argv[*i] (and its value) if it is a run option: 0 taken, 1 not ours, -1 bad. */
int cli_run_parse(cli_run_args *a, int argc, char **argv, int *i);
/* "<dir of input>/<stem>.mp4" into out. */
void cli_default_output(const char *input, char *out, size_t len);
/* Runs a validated IR (borrowed) into the prepared output `out` (cli_output_prepare;
 * closed here); returns the exit code. `base_dir`: what a relative IR root is relative to
 * (NULL = the current directory). */
int cli_run_ir(const json_t *ir, const cli_run_args *a, const char *cache_dir, const char *base_dir,
               cli_output *out);

/* ---- formats (formats.c) ---- */
/* Runs every format of the IR into OUTPUT with its suffix (ad.mp4 -> ad.9x16.mp4), one
 * after the other on one cache, under one budget: each targets is checked before anything
 * runs. `input`: the script or plan (never a target). Returns the worst exit code. */
int cli_run_formats(const json_t *ir, const cli_run_args *a, const char *cache_dir, const char *base_dir,
                    const char *input, const char *output);

/* ---- build records (build_record.c) ---- */
/* The name a build's target is recorded under: the output's resolved path, or "-". */
void cli_build_target(const char *output, char out[PATH_MAX]);
/* The provider that runs remote nodes: `provider` (--provider), else the IR's
 * video.provider, with auto resolved. */
const char *cli_remote_name(const json_t *ir, const char *provider);
/* Leaves the record of this run of `ir` in the cache for `vsc explain`; a failure to
 * write it is only a warning. */
void cli_record_build(const json_t *ir, const char *provider, const char *cache_dir,
                      const char *target, vsc_run_status status);

/* `vsc run`'s confinement (confine.c): the IR's root and every asset path must resolve
 * inside `base` (a real path), outside the cache. Prints "PLAN: $.json.path: why" and
 * returns an exit code, or VSC_EXIT_OK. */
int cli_confine_ir(const json_t *ir, const char *plan_path, const char *base, const char *cache_dir);

#endif
