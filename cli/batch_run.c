/*
** Rows K..M of a prepared batch, run one after the other in this process (cli, batch): what
** a worker of the local pool runs, and what a Slurm array task runs. Each row is a build of
** its plan into DIR/out/NNNNNN.mp4 on the batch's cache (its lock shared with the batch's
** other builds), within the row's share of the budget; its result is written last, so a
** result that says ok means the video is in place.
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "vsc/vsc.h"
#include "vsc/vsc_clock.h"

static const char *status_of(int rc) {
  switch (rc) {
  case VSC_EXIT_OK: return "ok";
  case VSC_EXIT_PARTIAL: return "partial";
  case VSC_EXIT_BUDGET: return "budget";
  case VSC_EXIT_INTERRUPTED: return "interrupted";
  default: return "failed";
  }
}

/* One row: its plan read and checked again (it may come from a shared disk), then built.
 * `m` holds the batch's settings (cache, base, provider), `mrow` the row's own. */
static int run_row(const char *dir, const json_t *m, const json_t *mrow, int jobs, vsc_progress_mode progress) {
  size_t row = (size_t)json_integer_value(json_object_get(mrow, "row"));
  char ir_path[PATH_MAX + 64], out[PATH_MAX + 64], res_path[PATH_MAX + 64];
  snprintf(ir_path, sizeof ir_path, "%s/%s", dir, json_string_value(json_object_get(mrow, "ir")));
  /* the row's video; a script of several formats: its name before their tags */
  snprintf(out, sizeof out, "%s/%s", dir, json_string_value(json_object_get(mrow, "video")));
  batch_row_path(dir, row, ".result.json", res_path, sizeof res_path);
  double t0 = vsc_clock_now();
  json_error_t je;
  json_t *ir = json_load_file(ir_path, 0, &je);
  char verr[1024] = "";
  int rc;
  double spent = 0;
  if (!ir) {
    fprintf(stderr, "%s:%d:%d: error: %s\n", ir_path, je.line, je.column, je.text);
    snprintf(verr, sizeof verr, "plan unreadable: %s", je.text);
    rc = VSC_EXIT_CHECK;
  } else if (vsc_ir_validate(ir, verr, sizeof verr) != 0) {
    fprintf(stderr, "%s: %s\n", ir_path, verr);
    rc = VSC_EXIT_CHECK;
  } else {
    cli_run_args a = CLI_RUN_ARGS_INIT;
    a.output = out;
    a.jobs = jobs;
    a.remote_jobs = (int)json_integer_value(json_object_get(m, "remote_jobs"));
    a.provider = json_string_value(json_object_get(m, "provider"));
    a.progress = progress;
    a.force = true; /* DIR/out is the batch's own */
    a.shared_cache = true;
    a.spent = &spent;
    json_t *allowance = json_object_get(mrow, "allowance");
    if (json_is_number(allowance)) a.budget = json_number_value(allowance);
    const char *cache = json_string_value(json_object_get(m, "cache"));
    const char *base = json_string_value(json_object_get(m, "base"));
    cli_output dest;
    if (cli_formats_named(ir)) {
      rc = cli_run_formats(ir, &a, cache, base, ir_path, out); /* out/000001.9x16.mp4, … */
    } else {
      rc = cli_output_prepare(&dest, out, true, ir_path, cache);
      if (rc == VSC_EXIT_OK) rc = cli_run_ir(ir, &a, cache, base, &dest);
      else cli_output_close(&dest);
    }
  }
  json_t *res = json_pack("{s:i, s:s, s:i, s:s, s:f, s:f}", "row", (json_int_t)row, "status", status_of(rc), "exit", rc,
                          "output", json_string_value(json_object_get(mrow, "output")), "spent", spent, "seconds",
                          vsc_clock_now() - t0);
  json_object_set(res, "plan", json_object_get(mrow, "plan"));
  if (verr[0]) json_object_set_new(res, "error", json_string(verr));
  if (batch_write_json(res_path, res) != 0) fprintf(stderr, "vsc: cannot write %s\n", res_path);
  json_decref(res);
  json_decref(ir);
  return rc;
}

int batch_run_rows(const char *dir, size_t from, size_t to, int jobs, vsc_progress_mode progress) {
  if (from < 1 || to < from) {
    fprintf(stderr, "vsc: --rows %zu-%zu: not a range of rows (they count from 1)\n", from, to);
    return VSC_EXIT_USAGE;
  }
  int worst = VSC_EXIT_OK;
  for (size_t r = from; r <= to; r++) {
    char path[PATH_MAX + 40];
    batch_row_path(dir, r, ".row.json", path, sizeof path);
    json_error_t je;
    json_t *mrow = json_load_file(path, 0, &je);
    if (!mrow) {
      fprintf(stderr, "vsc: %s: %s\n", path, je.text);
      worst = VSC_EXIT_USAGE;
      break;
    }
    const char *status = json_string_value(json_object_get(mrow, "status"));
    int rc = VSC_EXIT_OK;
    /* A row runs only after the rows that make its shared paid nodes finished: otherwise two
     * builds could pay for one node (a Slurm task after a failed make stage). It is left for
     * a resume. */
    size_t k, waits = 0;
    json_t *a;
    if (status && !strcmp(status, "ready") && !batch_row_finished(dir, mrow)) {
      json_array_foreach(json_object_get(mrow, "after"), k, a) {
        char apath[PATH_MAX + 40];
        batch_row_path(dir, (size_t)json_integer_value(a), ".row.json", apath, sizeof apath);
        json_t *arow = json_load_file(apath, 0, NULL);
        if (arow && !batch_row_finished(dir, arow)) waits = (size_t)json_integer_value(a);
        json_decref(arow);
      }
      if (waits) {
        fprintf(stderr, "vsc: row %zu waits for row %zu, which makes a node they share and is not finished: left for a resume\n",
                r, waits);
        if (worst == VSC_EXIT_OK) worst = VSC_EXIT_PARTIAL;
      } else {
        rc = run_row(dir, mrow, mrow, jobs, progress);
      }
    }
    json_decref(mrow);
    if (rc == VSC_EXIT_INTERRUPTED) {
      worst = rc;
      break; /* stopped: the rest is for a resume */
    }
    if (rc != VSC_EXIT_OK && (worst == VSC_EXIT_OK || rc > worst)) worst = rc;
  }
  return worst;
}
