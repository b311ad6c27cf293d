/*
** `vsc batch` (docs/batch.md): one script x rows of data -> one video per row.
**   batch_prepare.c  rows read, every row compiled and checked, the batch directory written
**   batch_plan.c     the batch's price with shared nodes counted once (vsc plan --batch)
**   batch_run.c      rows K..M of a prepared batch run in this process (a pool worker, a
**                    Slurm array task: `vsc batch run DIR --rows K-M`)
**   batch_pool.c     the local pool: bounded builds on one cache, shared paid nodes first
**   batch_report.c   per-row results and the cache's ledger merged into DIR/report.json
**   batch_slurm.c    the batch as Slurm jobs: submit, status, cancel
**   cmd_batch.c      the command line
** The batch directory is the contract between them: DIR/batch.json (the manifest), the row
** plans DIR/rows/NNNNNN.json, each row's entry alone DIR/rows/NNNNNN.row.json (what a
** worker reads), their results DIR/rows/NNNNNN.result.json, the videos DIR/out/ and
** DIR/report.json.
*/
#ifndef VSC_CLI_BATCH_H
#define VSC_CLI_BATCH_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "cmd_run.h"
#include "vsc/vsc_rows.h"

/* How a batch goes to Slurm (vsc batch --slurm). */
typedef struct {
  int max_running;       /* --slurm-max: array tasks at once; 0: as many as Slurm gives */
  size_t rows_per_task;  /* --rows-per-task; 0: a few tasks per CPU of the partition */
  int cpus_per_task;     /* --cpus-per-task: each task's build jobs */
  const char *partition; /* --partition; NULL: the cluster's default */
  const char *licence;   /* --slurm-licence: one of this Slurm licence per task (a cluster-wide cap) */
} batch_slurm_opts;

/* What a batch is made from (the command line of `vsc batch` and `vsc plan --batch`). */
typedef struct {
  const char *script;
  const char *data;     /* rows.csv | rows.jsonl */
  const char *dir;      /* -o: the batch directory */
  const char *cache;    /* --cache; NULL: <script dir>/.vsc, as `vsc build` */
  const char *provider; /* --provider */
  const char *quality;  /* --quality */
  bool preview;
  bool strict;          /* a bad row stops the batch before anything is spent */
  bool resume;          /* DIR holds this batch: run only what is not finished */
  bool force;           /* DIR holds a batch: start it over */
  bool prepare_only;    /* --prepare: write DIR and stop (rows run elsewhere) */
  double budget;        /* --budget: the whole batch's cap; < 0 none (each row its own) */
  int jobs;             /* builds at once; 0: online CPUs */
  int remote_jobs;      /* predictions in flight per build; 0: the run's default */
  const char *name_col; /* --name COLUMN: videos named by that field */
  vsc_progress_mode progress;
  bool slurm; /* --slurm: submit the rows as Slurm jobs instead of the local pool */
  batch_slurm_opts slurm_opts;
} batch_opts;

/* One row after compiling: its plan and what it shares with the others. */
typedef struct {
  size_t row;      /* 1-based, in data order */
  unsigned line;   /* where the record starts in the data file */
  json_t *ir;      /* NULL: invalid */
  char *error;     /* invalid: one line saying why (the diagnostics were printed) */
  json_t *diags;   /* invalid: the diagnostics as JSON (docs/diagnostics.md), or NULL */
  json_t *paid;    /* keys of its remote paid nodes: {key: worst case} */
  json_t *keys;    /* the cache keys of all its nodes */
  double estimate; /* its single plan: the estimates of its paid nodes */
  char *name;      /* --name: the row's field naming its video, or NULL */
} batch_row;

typedef struct {
  batch_row *rows;
  size_t nrows;
  size_t invalid;
  const char *remote; /* the provider of remote nodes ("local": nothing is paid) */
  char cache[PATH_MAX];
} batch_set;

/* Reads the command line from argv[first] on: 0, or -1 (usage). */
int batch_parse(batch_opts *o, int argc, char **argv, int first);

/* Reads the data and compiles every row (diagnostics of a bad row printed as
 * "rows.csv:LINE: error: row N: …" and the script's own). VSC_EXIT_OK, or an exit code
 * when the data cannot be read at all. */
int batch_compile(batch_set *set, const batch_opts *o);
void batch_set_free(batch_set *set);

/* The price of the batch: the sum of single plans, the batch's (each paid key once) and
 * what is still to spend (uncached keys once). */
typedef struct {
  double singles, batch, to_spend;
  size_t keys, shared_keys;
} batch_price;
void batch_price_of(const batch_set *set, batch_price *p);
/* `vsc plan --batch SCRIPT --data FILE [--json]`. */
int batch_plan(const batch_opts *o, bool json);

/* Writes DIR/batch.json and the row plans (prepare), after checking DIR may receive them. */
int batch_prepare(batch_set *set, const batch_opts *o);

/* The manifest of a prepared batch (a new reference), or NULL with the reason printed. */
json_t *batch_manifest_load(const char *dir);
/* "DIR/rows/000137" + suffix. */
void batch_row_path(const char *dir, size_t row, const char *suffix, char *out, size_t len);
/* The result of a row's last run (a new reference), or NULL. */
json_t *batch_result_load(const char *dir, size_t row);
/* Whether a row is finished: its result says ok and its video is there. */
bool batch_row_finished(const char *dir, const json_t *mrow);

/* Writes JSON (sorted keys, indented) atomically. 0, or -1 with errno. */
int batch_write_json(const char *path, const json_t *j);
/* What the cache's ledger says the batch's rows spent since the batch was made (a new
 * object {"spent", "unknown_calls", "rows": {plan id: {"spent", "predictions": [...],
 * "calls"}}}): a row's builds are those of its plan (the id of its video). */
json_t *batch_ledger(const json_t *manifest);

/* Runs rows [from, to] of the prepared batch in DIR one after the other in this process;
 * a finished row is skipped. `jobs`: CPU jobs of each build. Returns the worst exit code. */
int batch_run_rows(const char *dir, size_t from, size_t to, int jobs, vsc_progress_mode progress);

/* Runs the batch's unfinished rows with at most `jobs` builds at once. */
int batch_pool(const char *dir, int jobs, vsc_progress_mode progress);

/* Merges results and the ledger into DIR/report.json; prints the table unless quiet.
 * Returns the batch's exit code (docs/batch.md "Exit codes"). */
int batch_report(const char *dir, bool quiet);

/* Submits the unfinished rows of the prepared batch in DIR as Slurm jobs (batch_slurm.c);
 * prints the array's job id on stdout. */
int batch_slurm_submit(const char *dir, const batch_slurm_opts *so, vsc_progress_mode progress);
/* `vsc batch status DIR`: rows finished, failed and left, and the batch's jobs in squeue. */
int batch_slurm_status(const char *dir);
/* `vsc batch cancel DIR`: scancel of every job the batch submitted. */
int batch_slurm_cancel(const char *dir);

#endif
