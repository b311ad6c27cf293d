/*
** A prepared batch on a Slurm cluster (cli, batch; docs/batch.md "On a Slurm cluster"). The
** batch directory must be on a filesystem every node sees, and vsc at the same path on every
** node. One submission is up to three jobs:
**   make    one task that runs, in order, the rows other rows wait for (the first to need a
**           shared paid node makes it; the rest find it in the cache), so nothing shared is
**           paid twice however many tasks run at once;
**   rows    a job array over the other unfinished rows, in shards of consecutive rows so
**           that 100,000 rows fit MaxArraySize, at most --slurm-max tasks at once, after make;
**   report  after both, `vsc batch report DIR`.
** Each array task runs `vsc batch run DIR --rows K-M` for the ranges on its line of the shard
** file; a row whose maker did not finish is left for a resume. Every submission is recorded in
** DIR/slurm/jobs.json; `vsc batch status` and `vsc batch cancel` read it, and a resume submits
** only the rows not finished. The API token reaches the tasks through the environment Slurm
** passes on (--export=ALL), never through a file.
*/
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "vsc/vsc_buf.h"
#include "vsc/vsc_proc.h"

/* Appends s to b quoted for sh: '...' with every ' written as '\''. */
static void sh_quote(vsc_buf *b, const char *s) {
  vsc_buf_puts(b, "'");
  for (; *s; s++) {
    if (*s == '\'') vsc_buf_puts(b, "'\\''");
    else vsc_buf_append(b, s, 1);
  }
  vsc_buf_puts(b, "'");
}

/* The value of `Key = value` in `scontrol show config`, or def. */
static long slurm_config_long(const char *key, long def) {
  char *argv[] = {"scontrol", "show", "config", NULL};
  vsc_buf out = {0};
  long v = def;
  if (vsc_proc_run(argv, &out) == 0 && out.s) {
    size_t kl = strlen(key);
    for (char *line = out.s; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
      if (strncmp(line, key, kl) != 0 || (line[kl] != ' ' && line[kl] != '=')) continue;
      char *eq = strchr(line, '=');
      if (eq) v = strtol(eq + 1, NULL, 10);
      break;
    }
  }
  vsc_buf_free(&out);
  return v > 0 ? v : def;
}

/* The CPUs of a partition (all of the cluster's when NULL): sinfo's %C is "A/I/O/T". */
static long slurm_cpus(const char *partition) {
  char *argv[] = {"sinfo", "-h", "-o", "%C", NULL, NULL, NULL};
  if (partition) {
    argv[4] = "-p";
    argv[5] = (char *)partition;
  }
  vsc_buf out = {0};
  long total = 0;
  if (vsc_proc_run(argv, &out) == 0 && out.s) {
    for (char *line = out.s; *line;) {
      long a, i, o, t;
      if (sscanf(line, "%ld/%ld/%ld/%ld", &a, &i, &o, &t) == 4) total += t;
      char *nl = strchr(line, '\n');
      if (!nl) break;
      line = nl + 1;
    }
  }
  vsc_buf_free(&out);
  return total;
}

/* Writes text to path atomically (temp file, rename). 0, or -1 with errno. */
static int write_text(const char *path, const char *text, mode_t mode) {
  char tmp[PATH_MAX + 16];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) return -1;
  int ok = fputs(text, f) >= 0;
  ok = fclose(f) == 0 && ok;
  if (!ok || chmod(tmp, mode) != 0 || rename(tmp, path) != 0) {
    int e = errno;
    unlink(tmp);
    errno = e;
    return -1;
  }
  return 0;
}

/* Appends "K-M" ranges of the sorted rows[from..to) to b, space-separated. */
static void add_ranges(vsc_buf *b, const size_t *rows, size_t from, size_t to) {
  for (size_t i = from; i < to;) {
    size_t j = i;
    while (j + 1 < to && rows[j + 1] == rows[j] + 1) j++;
    vsc_buf_printf(b, "%s%zu-%zu", i > from ? " " : "", rows[i], rows[j]);
    i = j + 1;
  }
  vsc_buf_puts(b, "\n");
}

/* sbatch with args; the job id (its --parsable answer) or 0 with the reason printed. */
static long sbatch(char **argv) {
  vsc_buf out = {0};
  int rc = vsc_proc_run(argv, &out);
  long id = rc == 0 && out.s ? strtol(out.s, NULL, 10) : 0;
  if (rc == 127) fprintf(stderr, "vsc: cannot run sbatch (is Slurm's client installed and on PATH?)\n");
  else if (id <= 0) fprintf(stderr, "vsc: sbatch failed (exit %d)%s%s\n", rc, out.s ? ": " : "", out.s ? out.s : "");
  vsc_buf_free(&out);
  return id > 0 ? id : 0;
}

/* The common sbatch options: job name, log file, partition, CPUs per task, licence. */
static int sbatch_base(char **argv, int n, char *bufs[5], const char *dir, const char *name, const char *log,
                       const batch_slurm_opts *so) {
  argv[n++] = "sbatch";
  argv[n++] = "--parsable";
  argv[n++] = "--export=ALL";
  snprintf(bufs[0], 300, "--job-name=vsc-batch-%s", name);
  argv[n++] = bufs[0];
  snprintf(bufs[1], PATH_MAX + 64, "--output=%s/slurm/logs/%s", dir, log);
  argv[n++] = bufs[1];
  snprintf(bufs[2], 64, "--cpus-per-task=%d", so->cpus_per_task);
  argv[n++] = bufs[2];
  if (so->partition) {
    snprintf(bufs[3], 300, "--partition=%s", so->partition);
    argv[n++] = bufs[3];
  }
  if (so->licence && strcmp(name, "report") != 0) {
    snprintf(bufs[4], 300, "--licenses=%s", so->licence);
    argv[n++] = bufs[4];
  }
  return n;
}

/* One job array of the batch: its shard file DIR/slurm/KIND-SUB.txt (a line of row ranges
** per task; `sh` is freed) written, then `sbatch` of task.sh over it with `array` (and
** `dep`, if any). The job id, or 0 with the reason printed. */
static long submit_shard(const char *adir, const char *kind, size_t sub, vsc_buf *sh, const char *array, const char *dep,
                         const char *task, const batch_slurm_opts *so) {
  char shard[PATH_MAX + 64], log[64], b0[300], b1[PATH_MAX + 64], b2[64], b3[300], b4[300];
  char *bufs[5] = {b0, b1, b2, b3, b4};
  char *argv[24];
  snprintf(shard, sizeof shard, "%s/slurm/%s-%zu.txt", adir, kind, sub);
  int wrc = write_text(shard, sh->s ? sh->s : "", 0644), err = errno;
  vsc_buf_free(sh);
  if (wrc != 0) {
    fprintf(stderr, "vsc: cannot write %s: %s\n", shard, strerror(err));
    return 0;
  }
  snprintf(log, sizeof log, "%s-%%A_%%a.out", kind);
  int k = sbatch_base(argv, 0, bufs, adir, kind, log, so);
  argv[k++] = (char *)array;
  if (dep) argv[k++] = (char *)dep;
  argv[k++] = (char *)task;
  argv[k++] = shard;
  argv[k] = NULL;
  return sbatch(argv);
}

int batch_slurm_submit(const char *dir, const batch_slurm_opts *so, vsc_progress_mode progress) {
  json_t *m = batch_manifest_load(dir);
  if (!m) return VSC_EXIT_USAGE;
  int rc = VSC_EXIT_RUNTIME;
  char exe[PATH_MAX], adir[PATH_MAX], path[PATH_MAX + 64];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0 || !realpath(dir, adir)) {
    fprintf(stderr, "vsc: cannot find the vsc executable or %s\n", dir);
    json_decref(m);
    return VSC_EXIT_INTERNAL;
  }
  exe[n] = 0;
  json_t *rows = json_object_get(m, "rows");
  size_t total = json_array_size(rows);
  size_t *todo = calloc(total + 1, sizeof *todo), *makers = calloc(total + 1, sizeof *makers);
  bool *waited = calloc(total + 2, sizeof *waited);
  size_t ntodo = 0, nmakers = 0;
  size_t i;
  json_t *mr;
  json_array_foreach(rows, i, mr) {
    const char *st = json_string_value(json_object_get(mr, "status"));
    if (!st || strcmp(st, "ready") != 0 || batch_row_finished(adir, mr)) continue;
    size_t k;
    json_t *a;
    json_array_foreach(json_object_get(mr, "after"), k, a) {
      json_int_t r = json_integer_value(a);
      if (r >= 1 && (size_t)r <= total) waited[r] = true;
    }
  }
  json_array_foreach(rows, i, mr) {
    const char *st = json_string_value(json_object_get(mr, "status"));
    if (!st || strcmp(st, "ready") != 0 || batch_row_finished(adir, mr)) continue;
    if (waited[i + 1]) makers[nmakers++] = i + 1;
    else todo[ntodo++] = i + 1;
  }
  json_t *jobs = NULL;
  if (!ntodo && !nmakers) {
    if (progress != VSC_PROGRESS_QUIET) fprintf(stderr, "vsc: every row of %s is finished: nothing to submit\n", dir);
    rc = VSC_EXIT_OK;
    goto out;
  }
  /* Shards: at least a few tasks per CPU slot (so a slow row does not hold the end), never
   * more tasks than MaxArraySize allows, never fewer than --rows-per-task asks. */
  long max_array = slurm_config_long("MaxArraySize", 1001);
  long slots = slurm_cpus(so->partition) / (so->cpus_per_task > 0 ? so->cpus_per_task : 1);
  size_t ntasks = 0, per = 0;
  if (ntodo) {
    size_t want = so->rows_per_task ? (ntodo + so->rows_per_task - 1) / so->rows_per_task
                                    : (size_t)(slots > 0 ? 4 * slots : 8);
    if (want > ntodo) want = ntodo;
    if (want > (size_t)max_array) want = (size_t)max_array;
    if (want < 1) want = 1;
    per = (ntodo + want - 1) / want;
    ntasks = (ntodo + per - 1) / per;
  }
  snprintf(path, sizeof path, "%s/slurm/logs", adir);
  char sdir[PATH_MAX + 16];
  snprintf(sdir, sizeof sdir, "%s/slurm", adir);
  if ((mkdir(sdir, 0777) != 0 && errno != EEXIST) || (mkdir(path, 0777) != 0 && errno != EEXIST)) {
    fprintf(stderr, "vsc: cannot make %s: %s\n", path, strerror(errno));
    goto out;
  }
  snprintf(path, sizeof path, "%s/slurm/jobs.json", adir);
  jobs = json_load_file(path, 0, NULL);
  if (!json_is_array(jobs)) {
    json_decref(jobs);
    jobs = json_array();
  }
  size_t sub = json_array_size(jobs) + 1; /* this submission's number */

  /* The task script: the rows on line SLURM_ARRAY_TASK_ID + 1 of the shard file ($1). */
  vsc_buf sc = {0};
  vsc_buf_puts(&sc, "#!/bin/sh\n# One task of a vsc batch on Slurm (written by vsc batch --slurm): the rows on line\n"
                    "# SLURM_ARRAY_TASK_ID + 1 of the shard file $1, one range after the other.\nset -u\nVSC=");
  sh_quote(&sc, exe);
  vsc_buf_puts(&sc, "\nDIR=");
  sh_quote(&sc, adir);
  vsc_buf_printf(&sc,
                 "\nline=$(sed -n \"$((${SLURM_ARRAY_TASK_ID:-0} + 1))p\" \"$1\")\nworst=0\n"
                 "for r in $line; do\n  \"$VSC\" batch run \"$DIR\" --rows \"$r\" --jobs %d --progress plain\n  rc=$?\n"
                 "  [ $rc -eq 130 ] && exit 130 # stopped (scancel): the rest is for a resume\n"
                 "  [ $rc -gt $worst ] && worst=$rc\ndone\nexit $worst\n",
                 so->cpus_per_task);
  snprintf(path, sizeof path, "%s/slurm/task.sh", adir);
  if (write_text(path, sc.s, 0755) != 0) {
    fprintf(stderr, "vsc: cannot write %s: %s\n", path, strerror(errno));
    vsc_buf_free(&sc);
    goto out;
  }
  vsc_buf_free(&sc);

  char b0[300], b1[PATH_MAX + 64], b2[64], b3[300], b4[300], arr[64], dep[128], task[PATH_MAX + 64];
  char *bufs[5] = {b0, b1, b2, b3, b4};
  char *argv[24];
  snprintf(task, sizeof task, "%s/slurm/task.sh", adir);
  long make_id = 0, rows_id = 0, report_id = 0;
  if (nmakers) {
    vsc_buf sh = {0};
    add_ranges(&sh, makers, 0, nmakers);
    if (!(make_id = submit_shard(adir, "make", sub, &sh, "--array=0-0", NULL, task, so))) goto out;
  }
  if (ntodo) {
    vsc_buf sh = {0};
    for (size_t t = 0; t < ntasks; t++) add_ranges(&sh, todo, t * per, (t + 1) * per < ntodo ? (t + 1) * per : ntodo);
    if (so->max_running > 0) snprintf(arr, sizeof arr, "--array=0-%zu%%%d", ntasks - 1, so->max_running);
    else snprintf(arr, sizeof arr, "--array=0-%zu", ntasks - 1);
    if (make_id) snprintf(dep, sizeof dep, "--dependency=afterany:%ld", make_id);
    if (!(rows_id = submit_shard(adir, "rows", sub, &sh, arr, make_id ? dep : NULL, task, so))) {
      if (make_id) { /* nothing half-submitted stays behind */
        char id[32];
        snprintf(id, sizeof id, "%ld", make_id);
        char *cancel[] = {"scancel", id, NULL};
        vsc_proc_run(cancel, NULL);
      }
      goto out;
    }
  }
  {
    vsc_buf wrap = {0};
    sh_quote(&wrap, exe);
    vsc_buf_puts(&wrap, " batch report ");
    sh_quote(&wrap, adir);
    vsc_buf_puts(&wrap, " --quiet");
    int k = sbatch_base(argv, 0, bufs, adir, "report", "report-%j.out", so);
    if (make_id && rows_id) snprintf(dep, sizeof dep, "--dependency=afterany:%ld:%ld", make_id, rows_id);
    else snprintf(dep, sizeof dep, "--dependency=afterany:%ld", make_id ? make_id : rows_id);
    argv[k++] = dep;
    argv[k++] = "--wrap";
    argv[k++] = wrap.s;
    argv[k] = NULL;
    report_id = sbatch(argv);
    vsc_buf_free(&wrap);
  }
  char when[40];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  json_array_append_new(jobs, json_pack("{s:i, s:s, s:i, s:i, s:i, s:i, s:i, s:i}", "submission", (json_int_t)sub,
                                        "time", when, "make", (json_int_t)make_id, "rows", (json_int_t)rows_id,
                                        "report", (json_int_t)report_id, "tasks", (json_int_t)ntasks, "rows_per_task",
                                        (json_int_t)per, "row_count", (json_int_t)(ntodo + nmakers)));
  snprintf(path, sizeof path, "%s/slurm/jobs.json", adir);
  if (batch_write_json(path, jobs) != 0) fprintf(stderr, "vsc: cannot write %s: %s\n", path, strerror(errno));
  if (progress != VSC_PROGRESS_QUIET) {
    fprintf(stderr, "vsc: submitted %zu rows to Slurm:", ntodo + nmakers);
    if (make_id) fprintf(stderr, " job %ld makes the %zu rows others share first;", make_id, nmakers);
    if (rows_id)
      fprintf(stderr, " array %ld runs %zu rows in %zu tasks of %zu%s;", rows_id, ntodo, ntasks, per,
              so->max_running > 0 ? " (throttled)" : "");
    fprintf(stderr, " job %ld writes %s/report.json\n", report_id, dir);
    fprintf(stderr, "vsc: watch it with 'vsc batch status %s'; stop it with 'vsc batch cancel %s'\n", dir, dir);
  }
  printf("%ld\n", rows_id ? rows_id : make_id);
  rc = report_id ? VSC_EXIT_OK : VSC_EXIT_RUNTIME;
out:
  free(todo);
  free(makers);
  free(waited);
  json_decref(jobs);
  json_decref(m);
  return rc;
}

/* The job ids of every submission of the batch (a new array of integers), or NULL. */
static json_t *batch_jobs(const char *dir) {
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/slurm/jobs.json", dir);
  json_t *subs = json_load_file(path, 0, NULL);
  if (!json_is_array(subs)) {
    fprintf(stderr, "vsc: %s was never submitted to Slurm (no %s)\n", dir, path);
    json_decref(subs);
    return NULL;
  }
  json_t *ids = json_array();
  size_t i;
  json_t *s;
  json_array_foreach(subs, i, s) {
    const char *keys[] = {"make", "rows", "report"};
    for (int k = 0; k < 3; k++) {
      json_int_t id = json_integer_value(json_object_get(s, keys[k]));
      if (id > 0) json_array_append_new(ids, json_integer(id));
    }
  }
  json_decref(subs);
  return ids;
}

int batch_slurm_status(const char *dir) {
  json_t *m = batch_manifest_load(dir);
  json_t *ids = m ? batch_jobs(dir) : NULL;
  if (!ids) {
    json_decref(m);
    return VSC_EXIT_USAGE;
  }
  size_t ok = 0, failed = 0, stopped = 0, ready = 0, i;
  json_t *mr;
  json_array_foreach(json_object_get(m, "rows"), i, mr) {
    const char *st = json_string_value(json_object_get(mr, "status"));
    if (!st || strcmp(st, "ready") != 0) continue;
    ready++;
    if (batch_row_finished(dir, mr)) {
      ok++;
      continue;
    }
    json_t *res = batch_result_load(dir, i + 1);
    const char *rst = json_string_value(json_object_get(res, "status"));
    if (rst && !strcmp(rst, "interrupted")) stopped++;
    else if (rst) failed++;
    json_decref(res);
  }
  printf("rows: %zu finished, %zu failed, %zu stopped, %zu not run yet (of %zu)\n", ok, failed, stopped,
         ready - ok - failed - stopped, ready);
  /* squeue lists what is pending or running; a job it no longer lists has ended. */
  vsc_buf list = {0};
  json_t *id;
  json_array_foreach(ids, i, id) vsc_buf_printf(&list, "%s%lld", i ? "," : "", (long long)json_integer_value(id));
  char *argv[] = {"squeue", "-h", "-j", list.s ? list.s : "0", "-o", "%i %j %T %M %R", NULL};
  vsc_buf out = {0};
  int rc = vsc_proc_run(argv, &out);
  if (rc == 127) fprintf(stderr, "vsc: cannot run squeue (is Slurm's client installed and on PATH?)\n");
  else if (out.s && *out.s) printf("jobs (id, name, state, time, reason):\n%s", out.s);
  else printf("jobs: none queued or running%s\n", ok == ready ? "" : " ('vsc batch SCRIPT --data ROWS --resume --slurm' submits the rest)");
  vsc_buf_free(&out);
  vsc_buf_free(&list);
  json_decref(ids);
  json_decref(m);
  return rc == 127 ? VSC_EXIT_RUNTIME : VSC_EXIT_OK;
}

int batch_slurm_cancel(const char *dir) {
  json_t *ids = batch_jobs(dir);
  if (!ids) return VSC_EXIT_USAGE;
  size_t n = json_array_size(ids), i;
  char **argv = calloc(n + 2, sizeof *argv);
  argv[0] = "scancel";
  json_t *id;
  json_array_foreach(ids, i, id) {
    argv[i + 1] = malloc(32);
    snprintf(argv[i + 1], 32, "%lld", (long long)json_integer_value(id));
  }
  int rc = vsc_proc_run(argv, NULL);
  for (i = 0; i < n; i++) free(argv[i + 1]);
  free(argv);
  json_decref(ids);
  if (rc == 127) {
    fprintf(stderr, "vsc: cannot run scancel (is Slurm's client installed and on PATH?)\n");
    return VSC_EXIT_RUNTIME;
  }
  fprintf(stderr,
          "vsc: cancelled the batch's jobs; a row stopped half-way pays nothing twice when resumed "
          "('vsc batch SCRIPT --data ROWS -o %s --resume --slurm'), and 'vsc batch report %s' reports what is done\n",
          dir, dir);
  return rc == 0 ? VSC_EXIT_OK : VSC_EXIT_RUNTIME;
}
