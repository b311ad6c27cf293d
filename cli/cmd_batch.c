/*
** vsc batch: one script x rows of data -> one video per row (docs/batch.md).
**   vsc batch SCRIPT --data rows.csv|rows.jsonl [-o DIR] [--jobs N] [--resume|--force]
**             [--strict] [--budget $X] [--provider P] [--cache DIR] [--preview] [--quality Q]
**   vsc batch run DIR --rows K-M [--jobs N]     rows K..M of a prepared batch (a Slurm task)
**   vsc batch report DIR [--quiet]              the report, again (after workers elsewhere)
**   vsc batch status DIR | vsc batch cancel DIR  a batch submitted with --slurm
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"

/* "$3.50" or "3.50" -> 3.5; -1 when not an amount. */
static double parse_money(const char *s) {
  if (*s == '$') s++;
  char *end;
  double v = strtod(s, &end);
  return end != s && !*end && v >= 0 ? v : -1;
}

static int parse_progress(const char *s, vsc_progress_mode *out) {
  if (!strcmp(s, "auto")) *out = VSC_PROGRESS_AUTO;
  else if (!strcmp(s, "plain")) *out = VSC_PROGRESS_PLAIN;
  else if (!strcmp(s, "json")) *out = VSC_PROGRESS_JSON;
  else if (!strcmp(s, "quiet")) *out = VSC_PROGRESS_QUIET;
  else return -1;
  return 0;
}

/* vsc batch run DIR --rows K-M */
static int batch_run_cmd(int argc, char **argv) {
  const char *dir = NULL;
  size_t from = 0, to = 0;
  int jobs = 0;
  vsc_progress_mode progress = VSC_PROGRESS_AUTO;
  for (int i = 2; i < argc; i++) {
    const char *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(argv[i], "--rows") && next) {
      char *end;
      from = strtoul(next, &end, 10);
      to = *end == '-' ? strtoul(end + 1, &end, 10) : from;
      if (*end) return cli_usage("batch");
      i++;
    } else if (!strcmp(argv[i], "--jobs") && next && atoi(next) > 0) {
      jobs = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--progress") && next && parse_progress(next, &progress) == 0) {
      i++;
    } else if (argv[i][0] != '-' && !dir) {
      dir = argv[i];
    } else {
      return cli_usage("batch");
    }
  }
  if (!dir || !from) return cli_usage("batch");
  vsc_run_install_signals();
  return batch_run_rows(dir, from, to, jobs, progress);
}

/* Parses the options shared by `vsc batch` and `vsc plan --batch`: 0 taken, 1 not ours, -1 bad. */
static int batch_arg(batch_opts *o, int argc, char **argv, int *i) {
  const char *a = argv[*i], *next = *i + 1 < argc ? argv[*i + 1] : NULL;
  if (!strcmp(a, "--resume")) o->resume = true;
  else if (!strcmp(a, "--strict")) o->strict = true;
  else if (!strcmp(a, "--force")) o->force = true;
  else if (!strcmp(a, "--preview")) o->preview = true;
  else if (!strcmp(a, "--prepare")) o->prepare_only = true;
  else if (!strcmp(a, "--slurm")) o->slurm = true;
  else if (!next) return 1;
  else if (!strcmp(a, "--data")) o->data = argv[++*i];
  else if (!strcmp(a, "-o") || !strcmp(a, "--output")) o->dir = argv[++*i];
  else if (!strcmp(a, "--cache")) o->cache = argv[++*i];
  else if (!strcmp(a, "--name")) o->name_col = argv[++*i];
  else if (!strcmp(a, "--remote-jobs")) {
    if ((o->remote_jobs = atoi(next)) < 1) return -1;
    ++*i;
  } else if (!strcmp(a, "--jobs") || !strcmp(a, "-j")) {
    if ((o->jobs = atoi(next)) < 1) return -1;
    ++*i;
  } else if (!strcmp(a, "--slurm-max")) {
    if ((o->slurm_opts.max_running = atoi(next)) < 1) return -1;
    ++*i;
  } else if (!strcmp(a, "--rows-per-task")) {
    if (atoi(next) < 1) return -1;
    o->slurm_opts.rows_per_task = (size_t)atoi(argv[++*i]);
  } else if (!strcmp(a, "--cpus-per-task")) {
    if ((o->slurm_opts.cpus_per_task = atoi(next)) < 1) return -1;
    ++*i;
  } else if (!strcmp(a, "--slurm-licence") || !strcmp(a, "--slurm-license")) {
    o->slurm_opts.licence = argv[++*i];
  } else if (!strcmp(a, "--partition")) {
    o->slurm_opts.partition = argv[++*i];
  } else if (!strcmp(a, "--budget")) {
    if ((o->budget = parse_money(next)) < 0) return -1;
    ++*i;
  } else if (!strcmp(a, "--provider")) {
    if (strcmp(next, "local") && strcmp(next, "replicate") && strcmp(next, "auto") && strcmp(next, "test")) return -1;
    o->provider = argv[++*i];
  } else if (!strcmp(a, "--quality")) {
    if (strcmp(next, "draft") && strcmp(next, "final")) return -1;
    o->quality = argv[++*i];
  } else if (!strcmp(a, "--progress")) {
    if (parse_progress(next, &o->progress) != 0) return -1;
    ++*i;
  } else return 1;
  return 0;
}

int batch_parse(batch_opts *o, int argc, char **argv, int first) {
  memset(o, 0, sizeof *o);
  o->budget = -1;
  o->slurm_opts.cpus_per_task = 1;
  for (int i = first; i < argc; i++) {
    int rc = batch_arg(o, argc, argv, &i);
    if (rc < 0) return -1;
    if (rc == 0) continue;
    if (argv[i][0] == '-' || o->script) return -1;
    o->script = argv[i];
  }
  return o->script && o->data ? 0 : -1;
}

int cmd_batch(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "run")) return batch_run_cmd(argc, argv);
  if (argc >= 3 && !strcmp(argv[1], "report")) {
    if (argc > 4 || (argc == 4 && strcmp(argv[3], "--quiet"))) return cli_usage("batch");
    return batch_report(argv[2], argc == 4);
  }
  if (argc == 3 && !strcmp(argv[1], "status")) return batch_slurm_status(argv[2]);
  if (argc == 3 && !strcmp(argv[1], "cancel")) return batch_slurm_cancel(argv[2]);
  batch_opts o;
  if (batch_parse(&o, argc, argv, 1) != 0) return cli_usage("batch");
  if (o.resume && o.force) {
    fprintf(stderr, "vsc: --resume finishes a batch, --force starts it over: give one\n");
    return VSC_EXIT_USAGE;
  }
  char dir[PATH_MAX];
  if (!o.dir) {
    /* <script dir>/<stem>.batch, beside the script as `vsc build`'s video */
    cli_default_output(o.script, dir, sizeof dir);
    size_t n = strlen(dir);
    if (n > 4) snprintf(dir + n - 4, sizeof dir - (n - 4), ".batch");
    o.dir = dir;
  }
  batch_set set;
  int rc = batch_compile(&set, &o);
  if (rc != VSC_EXIT_OK) return rc;
  size_t good = set.nrows - set.invalid;
  if (set.invalid && (o.strict || !good)) {
    fprintf(stderr, "vsc: %zu of %zu rows have errors: nothing was run%s\n", set.invalid, set.nrows,
            o.strict ? " (--strict)" : "");
    batch_set_free(&set);
    return VSC_EXIT_CHECK;
  }
  if (set.invalid && o.progress != VSC_PROGRESS_QUIET)
    fprintf(stderr, "vsc: %zu of %zu rows have errors and are left out; the other %zu go on\n", set.invalid, set.nrows, good);
  rc = batch_prepare(&set, &o);
  batch_set_free(&set);
  if (rc != VSC_EXIT_OK) return rc;
  if (o.prepare_only) {
    if (o.progress != VSC_PROGRESS_QUIET) fprintf(stderr, "prepared %zu rows in %s (vsc batch run %s --rows K-M)\n", good, o.dir, o.dir);
    return VSC_EXIT_OK;
  }
  if (o.slurm) return batch_slurm_submit(o.dir, &o.slurm_opts, o.progress);
  int prc = batch_pool(o.dir, o.jobs, o.progress);
  int rrc = batch_report(o.dir, o.progress == VSC_PROGRESS_QUIET);
  return prc == VSC_EXIT_INTERRUPTED || prc == VSC_EXIT_RUNTIME ? prc : rrc;
}
