/*
** vsc plan --batch SCRIPT --data FILE (cli, batch): what the whole batch costs. A paid node
** that several rows share (the same key: a generated shot used by 500 rows) is paid once;
** the saving is the sum of the rows' single plans minus that.
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "batch.h"

int batch_plan(const batch_opts *o, bool json) {
  batch_set set;
  int rc = batch_compile(&set, o);
  if (rc != VSC_EXIT_OK) return rc;
  batch_price p;
  batch_price_of(&set, &p);
  size_t good = set.nrows - set.invalid;
  if (json) {
    json_t *j = json_pack("{s:i, s:i, s:i, s:f, s:f, s:f, s:f, s:i, s:i, s:s}", "rows", (json_int_t)set.nrows, "valid",
                          (json_int_t)good, "invalid", (json_int_t)set.invalid, "sum_of_single_plans", p.singles,
                          "batch_cost", p.batch, "saving", p.singles - p.batch, "to_spend", p.to_spend, "paid_nodes",
                          (json_int_t)p.keys, "shared_paid_nodes", (json_int_t)p.shared_keys, "provider", set.remote);
    char *t = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(12));
    printf("%s\n", t);
    free(t);
    json_decref(j);
  } else {
    printf("batch: %zu rows (%zu valid, %zu with errors) of %s\n", set.nrows, good, set.invalid, o->data);
    printf("  sum of single plans:  $%.3f\n", p.singles);
    printf("  batch (shared once):  $%.3f  (%zu paid nodes, %zu shared by several rows)\n", p.batch, p.keys, p.shared_keys);
    printf("  saving:               $%.3f", p.singles - p.batch);
    if (p.singles > 0) printf("  (%.1f%%)", 100.0 * (p.singles - p.batch) / p.singles);
    printf("\nprovider %s: this batch would spend $%.3f (cached nodes cost nothing)\n", set.remote, p.to_spend);
  }
  batch_set_free(&set);
  return set.invalid ? VSC_EXIT_CHECK : VSC_EXIT_OK;
}
