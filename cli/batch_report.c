/*
** The batch report (cli, batch): every row's result and what the cache's ledger says its
** builds spent, merged into DIR/report.json and a short table. The ledger is the truth about
** money (a killed build's calls are in it, its result file is not): a row's builds are the
** builds of its plan since the batch was made.
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "vsc/vsc_runtime.h"

json_t *batch_ledger(const json_t *m) {
  json_t *out = json_pack("{s:f, s:i, s:o}", "spent", 0.0, "unknown_calls", 0, "rows", json_object());
  char path[PATH_MAX + 32], err[256];
  snprintf(path, sizeof path, "%s/journal.jsonl", json_string_value(json_object_get(m, "cache")));
  json_t *records = NULL;
  if (vsc_journal_read(&records, path, err, sizeof err) != 0) return out;
  json_t *ledger = vsc_ledger_build(records);
  json_decref(records);
  json_t *plans = json_object(); /* plan id -> true: the batch's rows */
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(m, "rows"), i, r)
    if (json_is_string(json_object_get(r, "plan"))) json_object_set_new(plans, json_string_value(json_object_get(r, "plan")), json_true());
  json_t *earlier = json_object(); /* plans the rows had before a resume: their money counts */
  json_array_foreach(json_object_get(m, "earlier_plans"), i, r)
    if (json_is_string(r) && !json_object_get(plans, json_string_value(r))) json_object_set_new(earlier, json_string_value(r), json_true());
  const char *since = json_string_value(json_object_get(m, "created"));
  double total = 0;
  json_int_t unknown = 0;
  json_t *b;
  json_array_foreach(json_object_get(ledger, "builds"), i, b) {
    const char *plan = json_string_value(json_object_get(b, "plan"));
    const char *time = json_string_value(json_object_get(b, "time"));
    if (!plan || !time || (since && strcmp(time, since) < 0)) continue;
    if (!json_object_get(plans, plan)) {
      if (!json_object_get(earlier, plan)) continue;
      size_t k;
      json_t *c;
      json_array_foreach(json_object_get(b, "calls"), k, c) {
        total += json_number_value(json_object_get(c, "cost"));
        if (!json_is_true(json_object_get(c, "cost_known"))) unknown++;
      }
      continue;
    }
    json_t *row = json_object_get(json_object_get(out, "rows"), plan);
    if (!row) {
      row = json_pack("{s:f, s:[], s:i, s:i}", "spent", 0.0, "predictions", "calls", 0, "builds", 0);
      json_object_set_new(json_object_get(out, "rows"), plan, row);
    }
    json_integer_set(json_object_get(row, "builds"), json_integer_value(json_object_get(row, "builds")) + 1);
    size_t k;
    json_t *c;
    json_array_foreach(json_object_get(b, "calls"), k, c) {
      double cost = json_number_value(json_object_get(c, "cost"));
      json_real_set(json_object_get(row, "spent"), json_number_value(json_object_get(row, "spent")) + cost);
      json_integer_set(json_object_get(row, "calls"), json_integer_value(json_object_get(row, "calls")) + 1);
      total += cost;
      if (!json_is_true(json_object_get(c, "cost_known"))) unknown++;
      json_t *pred = json_object_get(c, "prediction");
      if (json_is_string(pred)) json_array_append(json_object_get(row, "predictions"), pred);
    }
  }
  json_object_set_new(out, "spent", json_real(total));
  json_object_set_new(out, "unknown_calls", json_integer(unknown));
  json_decref(plans);
  json_decref(earlier);
  json_decref(ledger);
  return out;
}

/* The report's row: manifest, result and ledger side by side. */
static json_t *report_row(const char *dir, const json_t *mr, const json_t *ledger_rows, json_t *seen_plans, const char *data) {
  size_t row = (size_t)json_integer_value(json_object_get(mr, "row"));
  const char *mstatus = json_string_value(json_object_get(mr, "status"));
  json_t *o = json_pack("{s:i, s:i}", "row", (json_int_t)row, "line", json_integer_value(json_object_get(mr, "line")));
  if (strcmp(mstatus, "invalid") == 0) {
    json_object_set_new(o, "status", json_string("invalid"));
    json_object_set(o, "error", json_object_get(mr, "error"));
    if (json_object_get(mr, "diagnostics")) json_object_set(o, "diagnostics", json_object_get(mr, "diagnostics"));
    char where[PATH_MAX + 32];
    snprintf(where, sizeof where, "%s:%d", data, (int)json_integer_value(json_object_get(mr, "line")));
    json_object_set_new(o, "where", json_string(where));
    json_object_set_new(o, "cost", json_real(0));
    json_object_set_new(o, "predictions", json_array());
    return o;
  }
  json_t *res = batch_result_load(dir, row);
  bool current = res && json_equal(json_object_get(res, "plan"), json_object_get(mr, "plan"));
  const char *status = current ? json_string_value(json_object_get(res, "status")) : NULL;
  bool finished = batch_row_finished(dir, mr);
  json_object_set_new(o, "status", json_string(finished ? "ok" : status ? status
                                                                        : "not run"));
  if (finished || (status && strcmp(status, "partial") == 0)) {
    json_t *outs = json_array();
    size_t k;
    json_t *rel;
    json_array_foreach(json_object_get(mr, "outputs"), k, rel) {
      char out[PATH_MAX + 64];
      snprintf(out, sizeof out, "%s/%s", dir, json_string_value(rel));
      json_array_append_new(outs, json_string(out));
    }
    json_object_set(o, "output", json_array_get(outs, 0));
    if (json_array_size(outs) > 1) json_object_set(o, "outputs", outs); /* one per format */
    json_decref(outs);
  }
  if (current && json_object_get(res, "error")) json_object_set(o, "error", json_object_get(res, "error"));
  /* Rows with the same plan make the same video: its builds are the first such row's. */
  const char *plan = json_string_value(json_object_get(mr, "plan"));
  const json_t *lr = plan && !json_object_get(seen_plans, plan) ? json_object_get(ledger_rows, plan) : NULL;
  if (plan) json_object_set_new(seen_plans, plan, json_true());
  json_object_set_new(o, "cost", json_real(json_number_value(json_object_get(lr, "spent"))));
  json_t *preds = json_object_get(lr, "predictions");
  json_object_set_new(o, "predictions", preds ? json_deep_copy(preds) : json_array());
  json_object_set(o, "estimate", json_object_get(mr, "estimate"));
  json_object_set(o, "allowance", json_object_get(mr, "allowance"));
  json_decref(res);
  return o;
}

int batch_report(const char *dir, bool quiet) {
  json_t *m = batch_manifest_load(dir);
  if (!m) return VSC_EXIT_USAGE;
  json_t *ledger = batch_ledger(m);
  const char *data = json_string_value(json_object_get(m, "data_name"));
  json_t *rows = json_array(), *seen_plans = json_object();
  size_t i, counts[5] = {0}; /* ok, partial, failed (and budget, interrupted), not run, invalid */
  json_t *mr;
  json_array_foreach(json_object_get(m, "rows"), i, mr) {
    json_t *o = report_row(dir, mr, json_object_get(ledger, "rows"), seen_plans, data ? data : "data");
    const char *s = json_string_value(json_object_get(o, "status"));
    if (!strcmp(s, "ok")) counts[0]++;
    else if (!strcmp(s, "partial")) counts[1]++;
    else if (!strcmp(s, "not run")) counts[3]++;
    else if (!strcmp(s, "invalid")) counts[4]++;
    else counts[2]++;
    json_array_append_new(rows, o);
  }
  size_t n = json_array_size(rows);
  json_t *budget = json_object_get(m, "budget");
  json_t *totals = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:O, s:O, s:O}", "rows", (json_int_t)n, "ok", (json_int_t)counts[0],
                             "partial", (json_int_t)counts[1], "failed", (json_int_t)counts[2], "not_run", (json_int_t)counts[3],
                             "invalid", (json_int_t)counts[4], "spent", json_object_get(ledger, "spent"), "unknown_cost_calls",
                             json_object_get(ledger, "unknown_calls"), "budget", budget ? budget : json_null());
  json_t *report = json_pack("{s:s, s:i, s:O, s:O, s:O, s:o, s:o}", "format", "vsc-batch-report", "version", 1, "script",
                             json_object_get(m, "script"), "data", json_object_get(m, "data"), "created",
                             json_object_get(m, "created"), "rows", rows, "totals", totals);
  char path[PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/report.json", dir);
  if (batch_write_json(path, report) != 0) fprintf(stderr, "vsc: cannot write %s\n", path);
  if (!quiet) {
    /* A short table: every row of a small batch, only the rows to look at of a big one. */
    bool all = n <= 40;
    printf("%6s  %6s  %-11s  %9s  %s\n", "row", "line", "status", "cost", "output / why");
    json_array_foreach(rows, i, mr) {
      const char *s = json_string_value(json_object_get(mr, "status"));
      if (!all && !strcmp(s, "ok")) continue;
      const char *what = json_string_value(json_object_get(mr, "output"));
      if (!what) what = json_string_value(json_object_get(mr, "error"));
      printf("%6d  %6d  %-11s  %9.3f  %s\n", (int)json_integer_value(json_object_get(mr, "row")),
             (int)json_integer_value(json_object_get(mr, "line")), s, json_number_value(json_object_get(mr, "cost")), what ? what : "");
    }
    printf("%zu rows: %zu ok, %zu partial, %zu failed, %zu not run, %zu invalid; spent $%.3f", n, counts[0], counts[1], counts[2],
           counts[3], counts[4], json_number_value(json_object_get(ledger, "spent")));
    if (json_is_number(budget)) printf(" of $%.2f", json_number_value(budget));
    printf("\nreport: %s\n", path);
  }
  json_decref(report);
  json_decref(seen_plans);
  json_decref(ledger);
  json_decref(m);
  if (counts[0] == n) return VSC_EXIT_OK;
  if (counts[0] == 0 && counts[1] == 0) return VSC_EXIT_RUNTIME;
  return VSC_EXIT_PARTIAL;
}
