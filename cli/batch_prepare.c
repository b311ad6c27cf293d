/*
** A batch made ready (cli, batch): the data read, every row compiled and checked before
** anything is spent, and the batch directory written: the row plans, and the manifest
** saying, per row, its plan, its video, its share of the budget and which rows make the
** paid nodes it shares (they run first). docs/batch.md.
*/
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "vsc/vsc.h"
#include "vsc/vsc_file.h"
#include "vsc/vsc_ops.h"
#include "vsc/vsc_runtime.h"
#include "vsc/vsc_rows.h"
#include "vsc/vsc_strings.h"

void batch_row_path(const char *dir, size_t row, const char *suffix, char *out, size_t len) {
  snprintf(out, len, "%s/rows/%06zu%s", dir, row, suffix);
}

/* The cache a batch of `script` uses: --cache, else the script's .vsc, as `vsc build`. */
static void cache_of(const batch_opts *o, char *out, size_t len) {
  char named[PATH_MAX];
  const char *slash = strrchr(o->script, '/');
  if (o->cache) snprintf(named, sizeof named, "%s", o->cache);
  else if (slash) snprintf(named, sizeof named, "%.*s/.vsc", (int)(slash - o->script), o->script);
  else snprintf(named, sizeof named, ".vsc");
  if (cli_resolve_loose(named, out) != 0) snprintf(out, len, "%s", named);
}

/* Keys of a row's remote paid nodes with their worst case, and its single plan's price. */
static void row_paid(batch_row *r, const char *remote) {
  r->paid = json_object();
  json_t *keys = r->keys = vsc_plan_keys(r->ir, remote);
  size_t i;
  json_t *node;
  json_array_foreach(json_object_get(r->ir, "nodes"), i, node) {
    const char *op = json_string_value(json_object_get(node, "op"));
    if (!op || !vsc_ops_is_provider(op) || strcmp(vsc_node_provider(node, remote), "local") == 0) continue;
    const json_t *cost = json_object_get(node, "cost");
    double est = json_number_value(json_object_get(cost, "estimate"));
    double max = json_is_number(json_object_get(cost, "max")) ? json_number_value(json_object_get(cost, "max")) : est;
    if (max < est) max = est;
    const char *key = json_string_value(json_array_get(keys, i));
    if (!key || json_object_get(r->paid, key)) continue;
    json_object_set_new(r->paid, key, json_pack("{s:f, s:f}", "estimate", est, "max", max));
    r->estimate += est;
  }
}

/* ---- warnings: a warning many rows give is said once, with the rows ---- */

/* After the line at `at`. */
static char *line_end(char *at) {
  char *nl = strchr(at, '\n');
  return nl ? nl + 1 : at + strlen(at);
}

/* Whether the line at `at` starts a warning or an error (not a note, a source line or a hint). */
static bool starts_diag(const char *at) {
  if (*at == ' ') return false;
  const char *nl = strchr(at, '\n'), *w = strstr(at, ": warning: "), *e = strstr(at, ": error: ");
  return (w && (!nl || w < nl)) || (e && (!nl || e < nl));
}

/* Each warning of a row's compile (its line and what follows it up to the next warning or
 * error: the source line, the caret, its notes), keyed by its text, with the rows that gave
 * it: warned = {text: {"rows": [N, …], "line": L}}, in first-seen order. The errors (with
 * their notes) go to `errors`, if given. */
static void note_warnings(json_t *warned, vsc_diag_list *diags, size_t row, unsigned line, FILE *errors) {
  char *text = NULL;
  size_t tlen = 0;
  FILE *mem = open_memstream(&text, &tlen);
  if (!mem) return;
  vsc_diag_print(diags, mem, false);
  fclose(mem);
  for (char *at = text; at && *at;) {
    char *end = line_end(at);
    while (*end && !starts_diag(end)) end = line_end(end); /* its source lines and notes */
    char saved = *end;
    *end = 0;
    const char *nl = strchr(at, '\n'), *w = strstr(at, ": warning: ");
    if (starts_diag(at) && w && (!nl || w < nl)) {
      json_t *o = json_object_get(warned, at);
      if (!o) json_object_set_new(warned, at, o = json_pack("{s:[], s:I}", "rows", "line", (json_int_t)line));
      json_array_append_new(json_object_get(o, "rows"), json_integer((json_int_t)row));
    } else if (errors) {
      fputs(at, errors);
    }
    *end = saved;
    at = end;
  }
  free(text);
}

/* "1–200", "1–5, 9, 12–20": rows (ascending) as ranges, at most 8 of them. */
static void row_ranges(const json_t *rows, char *out, size_t len) {
  size_t n = json_array_size(rows), used = 0, ranges = 0;
  out[0] = 0;
  for (size_t i = 0; i < n && used < len; i++) {
    json_int_t a = json_integer_value(json_array_get(rows, i)), b = a;
    while (i + 1 < n && json_integer_value(json_array_get(rows, i + 1)) == b + 1) b++, i++;
    if (++ranges > 8) {
      snprintf(out + used, len - used, ", …");
      return;
    }
    int k = a == b ? snprintf(out + used, len - used, "%s%lld", used ? ", " : "", (long long)a)
                   : snprintf(out + used, len - used, "%s%lld–%lld", used ? ", " : "", (long long)a, (long long)b);
    used += k > 0 ? (size_t)k : 0;
  }
}

/* The warnings, once each: a row's own as "rows.csv:7: row 5:" and the warning; one many
 * rows gave with "(in 200 rows: 1–200)" at the end of its first line. */
static void print_warnings(const json_t *warned, const char *data) {
  const char *text;
  json_t *w;
  json_object_foreach((json_t *)warned, text, w) {
    const json_t *rows = json_object_get(w, "rows");
    size_t n = json_array_size(rows);
    if (n == 1) {
      fprintf(stderr, "%s:%lld: row %lld:\n%s", data, (long long)json_integer_value(json_object_get(w, "line")),
              (long long)json_integer_value(json_array_get(rows, 0)), text);
      continue;
    }
    char ranges[256];
    row_ranges(rows, ranges, sizeof ranges);
    const char *nl = strchr(text, '\n');
    int first = nl ? (int)(nl - text) : (int)strlen(text);
    fprintf(stderr, "%.*s (in %zu rows: %s)\n%s", first, text, n, ranges, nl ? nl + 1 : "");
  }
}

/* Columns of the data that are not params of the script (nor --name's): a warning each,
 * with the closest param; errors with --strict. Returns how many there are. */
static int unknown_columns(const vsc_rows *rows, const batch_opts *o, bool strict) {
  json_t *params = vsc_params_json(o->script, NULL);
  if (!params) return 0; /* the rows' compiles say why */
  size_t np = json_array_size(params);
  const char **names = calloc(np + 1, sizeof *names);
  for (size_t i = 0; i < np; i++) names[i] = json_string_value(json_object_get(json_array_get(params, i), "name"));
  int bad = 0;
  for (int c = 0; c < rows->ncolumns; c++) {
    const char *col = rows->columns[c];
    bool known = o->name_col && !strcmp(col, o->name_col);
    for (size_t i = 0; i < np && !known; i++) known = !strcmp(col, names[i]);
    if (known) continue;
    unsigned line = 1; /* the header; in JSON lines the first row that has it */
    for (size_t i = 0; i < rows->nrows && !vsc_row_get(&rows->rows[0], col); i++)
      if (vsc_row_get(&rows->rows[i], col)) {
        line = rows->rows[i].line;
        break;
      }
    const char *close = vsc_closest(col, names, np);
    char hint[200];
    if (close) snprintf(hint, sizeof hint, "did you mean '%s'?", close);
    else {
      int k = snprintf(hint, sizeof hint, "the params are:");
      for (size_t i = 0; i < np && k < (int)sizeof hint - 40; i++) k += snprintf(hint + k, sizeof hint - (size_t)k, " %s", names[i]);
      if (!np) snprintf(hint, sizeof hint, "the script declares no param");
    }
    fprintf(stderr, "%s:%u: %s: column '%s' is not a param of %s: its values are not used (%s)\n", rows->path, line,
            strict ? "error" : "warning", col, o->script, hint);
    bad++;
  }
  free(names);
  json_decref(params);
  return bad;
}

/* One row compiled with its fields as the script's params; a bad row's diagnostics are
 * printed under a line naming it in the data file. */
static void compile_row(batch_row *r, const vsc_rows *rows, const vsc_row *row, const batch_opts *o, const char *cache,
                        json_t *warned) {
  const vsc_row_field *nf = o->name_col ? vsc_row_get(row, o->name_col) : NULL;
  if (nf) r->name = strdup(nf->value);
  if (row->error) {
    fprintf(stderr, "%s:%u: error: row %zu: %s\n", rows->path, row->line, r->row, row->error);
    r->error = strdup(row->error);
    return;
  }
  vsc_param_arg *args = calloc((size_t)row->nfields + 1, sizeof *args);
  vsc_param_item *items = NULL;
  int nitems = 0;
  for (int k = 0; k < row->nfields; k++) nitems += row->fields[k].nitems;
  if (nitems) items = calloc((size_t)nitems, sizeof *items);
  nitems = 0;
  for (int k = 0; k < row->nfields; k++) {
    /* A JSON array is a list given item by item (a CSV field is split by the compiler). */
    const vsc_row_field *f = &row->fields[k];
    if (f->list) {
      static const vsc_param_item none; /* [] is an empty list, not "not given" */
      args[k].items = items ? items + nitems : &none;
      args[k].nitems = f->nitems;
      for (int j = 0; j < f->nitems; j++)
        items[nitems++] = (vsc_param_item){.value = f->items[j].value, .off = f->items[j].off, .len = f->items[j].len};
    }
  }
  for (int k = 0; k < row->nfields; k++)
    args[k] = (vsc_param_arg){.items = args[k].items,
                              .nitems = args[k].nitems,
                              .name = row->fields[k].name,
                              .value = row->fields[k].value,
                              .src_name = rows->path,
                              .src_text = row->text,
                              .src_len = row->len,
                              .src_line = row->line,
                              .off = row->fields[k].off,
                              .len = row->fields[k].len,
                              .optional = true};
  vsc_compile_options co = VSC_COMPILE_OPTIONS_INIT;
  co.cache_dir = cache;
  co.preview = o->preview;
  co.quality = o->quality;
  co.params = args;
  co.nparams = row->nfields;
  vsc_diag_list *diags = vsc_diag_list_new(20);
  int rc = vsc_compile_file(&r->ir, o->script, &co, diags);
  int errors = vsc_diag_error_count(diags);
  if (rc != 0 || !r->ir) {
    char why[160];
    snprintf(why, sizeof why, "%d error%s in the script with this row's values", errors, errors == 1 ? "" : "s");
    fprintf(stderr, "%s:%u: error: row %zu: %s (not rendered)\n", rows->path, row->line, r->row, why);
    /* Its warnings are said once for the batch, with the others' (below). */
    if (vsc_diag_warning_count(diags)) note_warnings(warned, diags, r->row, row->line, stderr);
    else vsc_diag_print(diags, stderr, cli_color(stderr));
    r->error = strdup(why);
    r->diags = vsc_diag_to_json(diags); /* for the report: a tool repairs the row from it */
    json_decref(r->ir);
    r->ir = NULL;
  } else if (vsc_diag_warning_count(diags) && o->progress != VSC_PROGRESS_QUIET) {
    note_warnings(warned, diags, r->row, row->line, NULL);
  }
  vsc_diag_list_free(diags);
  free(items);
  free(args);
}

int batch_compile(batch_set *set, const batch_opts *o) {
  memset(set, 0, sizeof *set);
  cache_of(o, set->cache, sizeof set->cache);
  vsc_rows *rows;
  char err[1024];
  if (vsc_rows_read(&rows, o->data, err, sizeof err) != 0) {
    fprintf(stderr, "vsc: %s\n", err);
    return VSC_EXIT_USAGE;
  }
  bool have_name = !o->name_col;
  for (int k = 0; k < rows->ncolumns && !have_name; k++) have_name = !strcmp(rows->columns[k], o->name_col);
  if (!have_name) {
    fprintf(stderr, "vsc: --name %s: %s has no such column\n", o->name_col, o->data);
    vsc_rows_free(rows);
    return VSC_EXIT_USAGE;
  }
  if (rows->nrows == 0) {
    fprintf(stderr, "vsc: %s: no rows\n", o->data);
    vsc_rows_free(rows);
    return VSC_EXIT_USAGE;
  }
  set->rows = calloc(rows->nrows, sizeof *set->rows);
  set->nrows = rows->nrows;
  set->remote = NULL;
  if (unknown_columns(rows, o, o->strict) && o->strict) {
    fprintf(stderr, "vsc: the data has columns that are not params: nothing was run (--strict)\n");
    vsc_rows_free(rows);
    batch_set_free(set);
    return VSC_EXIT_CHECK;
  }
  json_t *warned = json_object(); /* warnings, said once each after the rows */
  for (size_t i = 0; i < rows->nrows; i++) {
    batch_row *r = &set->rows[i];
    r->row = i + 1;
    r->line = rows->rows[i].line;
    compile_row(r, rows, &rows->rows[i], o, set->cache, warned);
    if (!r->ir) {
      set->invalid++;
      continue;
    }
    if (!set->remote)
      set->remote = vsc_provider_resolve(o->provider ? o->provider
                                                     : json_string_value(json_object_get(json_object_get(r->ir, "video"), "provider")));
    row_paid(r, set->remote);
  }
  if (!set->remote) set->remote = vsc_provider_resolve(o->provider);
  print_warnings(warned, rows->path);
  json_decref(warned);
  vsc_rows_free(rows);
  return VSC_EXIT_OK;
}

void batch_set_free(batch_set *set) {
  for (size_t i = 0; i < set->nrows; i++) {
    json_decref(set->rows[i].ir);
    json_decref(set->rows[i].paid);
    json_decref(set->rows[i].keys);
    json_decref(set->rows[i].diags);
    free(set->rows[i].error);
    free(set->rows[i].name);
  }
  free(set->rows);
  memset(set, 0, sizeof *set);
}

/* Whether the cache holds `key` (no lock taken: a look, not a use). */
static bool cached(vsc_cache *c, const char *key) {
  vsc_cache_entry e = {0};
  bool hit = c && vsc_cache_peek(c, key, &e) == 1;
  vsc_cache_entry_clear(&e);
  return hit;
}

void batch_price_of(const batch_set *set, batch_price *p) {
  memset(p, 0, sizeof *p);
  vsc_cache *cache = NULL;
  char err[256];
  struct stat st;
  if (stat(set->cache, &st) == 0 && S_ISDIR(st.st_mode)) vsc_cache_open(&cache, set->cache, err, sizeof err);
  json_t *seen = json_object(); /* key -> number of rows using it */
  for (size_t i = 0; i < set->nrows; i++) {
    const batch_row *r = &set->rows[i];
    if (!r->ir) continue;
    p->singles += r->estimate;
    const char *key;
    json_t *c;
    json_object_foreach(r->paid, key, c) {
      json_t *n = json_object_get(seen, key);
      if (n) {
        if (json_integer_value(n) == 1) p->shared_keys++;
        json_integer_set(n, json_integer_value(n) + 1);
        continue;
      }
      json_object_set_new(seen, key, json_integer(1));
      p->keys++;
      double est = json_number_value(json_object_get(c, "estimate"));
      p->batch += est;
      if (!cached(cache, key)) p->to_spend += est;
    }
  }
  json_decref(seen);
  if (cache) vsc_cache_close(cache);
}

/* ---- the batch directory ---- */

/* A video's file name from a row's field (--name): letters (UTF-8 too), digits, '.', '_'
 * and '-' kept, the rest '-', at most 80 bytes; "" when nothing is left. */
static void file_name(const char *v, char *out, size_t len) {
  size_t n = 0;
  for (; *v && n + 1 < len && n < 80; v++) {
    unsigned char ch = (unsigned char)*v;
    bool keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
                (ch == '.' && n > 0) || ch >= 0x80; /* UTF-8 letters stay (a cut one at the end is harmless) */
    if (!keep && n > 0 && out[n - 1] == '-') continue;
    out[n++] = keep ? (char)ch : '-';
  }
  while (n > 0 && (out[n - 1] == '-' || out[n - 1] == '.')) n--;
  out[n] = 0;
}

json_t *batch_manifest_load(const char *dir) {
  char path[PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/batch.json", dir);
  json_error_t je;
  json_t *m = json_load_file(path, 0, &je);
  if (!m) {
    fprintf(stderr, "vsc: %s: %s\n", path, access(path, F_OK) == 0 ? je.text : "no batch here (vsc batch SCRIPT --data FILE -o DIR makes one)");
    return NULL;
  }
  if (strcmp(json_string_value(json_object_get(m, "format")) ? json_string_value(json_object_get(m, "format")) : "", "vsc-batch") != 0) {
    fprintf(stderr, "vsc: %s: not a vsc batch manifest\n", path);
    json_decref(m);
    return NULL;
  }
  return m;
}

json_t *batch_result_load(const char *dir, size_t row) {
  char path[PATH_MAX + 40];
  batch_row_path(dir, row, ".result.json", path, sizeof path);
  return json_load_file(path, 0, NULL);
}

bool batch_row_finished(const char *dir, const json_t *mrow) {
  size_t row = (size_t)json_integer_value(json_object_get(mrow, "row"));
  json_t *res = batch_result_load(dir, row);
  const char *status = json_string_value(json_object_get(res, "status"));
  bool ok = status && strcmp(status, "ok") == 0 && json_equal(json_object_get(res, "plan"), json_object_get(mrow, "plan"));
  json_decref(res);
  size_t k;
  json_t *o;
  json_array_foreach(json_object_get(mrow, "outputs"), k, o) {
    char out[PATH_MAX + 40];
    snprintf(out, sizeof out, "%s/%s", dir, json_string_value(o));
    ok = ok && access(out, F_OK) == 0;
  }
  return ok;
}

static void now_iso(char out[40]) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 40, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

int batch_write_json(const char *path, const json_t *j) {
  char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
  if (!text) return -1;
  size_t n = strlen(text);
  text = realloc(text, n + 2);
  text[n] = '\n';
  text[n + 1] = 0;
  int rc = cli_write_file(path, text, n + 1);
  free(text);
  return rc;
}

/* Which rows make the shared paid nodes, and each row's share of what the batch may still
 * spend: the worst case of the nodes it makes (no other row pays them), scaled up to the
 * budget when it covers them all, else given in row order while it lasts. */
static void plan_money(json_t *mrows, const batch_set *set, const batch_opts *o, double spent) {
  vsc_cache *cache = NULL;
  char err[256];
  vsc_cache_open(&cache, set->cache, err, sizeof err);
  json_t *lead = json_object(); /* key -> the row that makes it */
  double *lead_cost = calloc(set->nrows + 1, sizeof *lead_cost), total = 0;
  for (size_t i = 0; i < set->nrows; i++) {
    json_t *m = json_array_get(mrows, i);
    const batch_row *r = &set->rows[i];
    json_t *after = json_array();
    if (r->ir && !json_is_true(json_object_get(m, "finished"))) {
      const char *key;
      json_t *c;
      json_object_foreach(r->paid, key, c) {
        if (cached(cache, key)) continue;
        json_t *l = json_object_get(lead, key);
        if (!l) {
          json_object_set_new(lead, key, json_integer((json_int_t)r->row));
          lead_cost[i] += json_number_value(json_object_get(c, "max"));
          continue;
        }
        bool have = false;
        size_t k;
        json_t *a;
        json_array_foreach(after, k, a) have = have || json_equal(a, l);
        if (!have) json_array_append(after, l);
      }
      total += lead_cost[i];
    }
    json_object_set_new(m, "after", after);
  }
  double left = o->budget - spent;
  if (left < 0) left = 0;
  double given = 0;
  for (size_t i = 0; i < set->nrows; i++) {
    json_t *m = json_array_get(mrows, i);
    if (o->budget < 0 || !set->rows[i].ir) {
      json_object_set_new(m, "allowance", json_null());
      continue;
    }
    double a;
    if (total <= left) a = total > 0 ? lead_cost[i] * (left / total) : 0;
    else a = given + lead_cost[i] <= left ? lead_cost[i] : 0;
    given += a;
    /* the row's own budget still holds: the batch only narrows it */
    json_t *own = json_object_get(json_object_get(set->rows[i].ir, "video"), "budget");
    if (json_is_number(own) && json_number_value(own) < a) a = json_number_value(own);
    json_object_set_new(m, "allowance", json_real(a));
  }
  free(lead_cost);
  json_decref(lead);
  if (cache) vsc_cache_close(cache);
}

/* DIR may hold this batch: not inside a cache, not a batch already unless resumed or forced
 * (*old: the manifest being resumed). Makes DIR/rows and DIR/out. */
static int open_dir(const batch_set *set, const batch_opts *o, json_t **old) {
  char path[PATH_MAX + 64], real[PATH_MAX];
  *old = NULL;
  /* The videos go to DIR/out: never into a cache (objects there are the cache's). */
  if (cli_resolve_loose(o->dir, real) == 0 && (cli_path_inside(real, set->cache) || cli_under_dot_vsc(real))) {
    fprintf(stderr, "vsc: -o %s: a batch directory cannot be inside a cache (%s)\n", o->dir, set->cache);
    return VSC_EXIT_USAGE;
  }
  snprintf(path, sizeof path, "%s/batch.json", o->dir);
  if (access(path, F_OK) == 0) {
    if (!o->resume && !o->force) {
      fprintf(stderr, "vsc: %s holds a batch already: --resume finishes it, --force starts it over\n", o->dir);
      return VSC_EXIT_USAGE;
    }
    if (o->resume && !(*old = batch_manifest_load(o->dir))) return VSC_EXIT_USAGE;
  }
  static const char *const sub[] = {"rows", "out"};
  for (size_t k = 0; k < 2; k++) {
    snprintf(path, sizeof path, "%s/%s", o->dir, sub[k]);
    if (vsc_mkdir_p(path) != 0) {
      fprintf(stderr, "vsc: %s: %s\n", path, strerror(errno));
      json_decref(*old);
      *old = NULL;
      return VSC_EXIT_RUNTIME;
    }
  }
  return VSC_EXIT_OK;
}

/* How many rows have each node key (a node is shared when several do). */
static json_t *count_uses(const batch_set *set) {
  json_t *uses = json_object();
  for (size_t i = 0; i < set->nrows; i++) {
    json_t *seen = json_object(), *k;
    size_t n;
    json_array_foreach(set->rows[i].keys, n, k) {
      const char *key = json_string_value(k);
      if (!key || json_object_get(seen, key)) continue;
      json_object_set_new(seen, key, json_true());
      json_object_set_new(uses, key, json_integer(json_integer_value(json_object_get(uses, key)) + 1));
    }
    json_decref(seen);
  }
  return uses;
}

/* --name: how many rows give each file name. */
static json_t *count_names(const batch_set *set) {
  json_t *names = json_object();
  for (size_t i = 0; i < set->nrows; i++) {
    char fname[96];
    if (!set->rows[i].name) continue;
    file_name(set->rows[i].name, fname, sizeof fname);
    json_object_set_new(names, fname, json_integer(json_integer_value(json_object_get(names, fname)) + 1));
  }
  return names;
}

/* A row's video, relative to DIR: out/NNNNNN.mp4, or --name's out/<field>.mp4 (a name
 * several rows give, or none, keeps the row's number). */
static void video_path(const batch_row *r, const char *id, const json_t *names, char *out, size_t len) {
  char fname[96] = "";
  if (r->name) file_name(r->name, fname, sizeof fname);
  if (!fname[0]) snprintf(out, len, "out/%s.mp4", id);
  else if (json_integer_value(json_object_get(names, fname)) > 1) snprintf(out, len, "out/%s-%s.mp4", fname, id);
  else snprintf(out, len, "out/%s.mp4", fname);
}

/* A valid row's plan, its nodes (paid, shared) and its videos (one per named format). */
static void entry_plan(json_t *mr, const batch_row *r, const json_t *uses, const char *video) {
  json_object_set(mr, "plan", json_object_get(json_object_get(r->ir, "outputs"), "video"));
  json_object_set_new(mr, "estimate", json_real(r->estimate));
  json_t *paid = json_array(), *shared = json_array(), *kv, *c, *f;
  const char *key;
  size_t k;
  json_object_foreach(r->paid, key, c) json_array_append_new(paid, json_string(key));
  json_object_set_new(mr, "paid", paid);
  /* What other rows make too: the pool lets one build make it, the others find it. */
  json_array_foreach(r->keys, k, kv)
    if (json_integer_value(json_object_get(uses, json_string_value(kv))) > 1 && !json_object_get(r->paid, json_string_value(kv)))
      json_array_append(shared, kv);
  json_object_set_new(mr, "shared", shared);
  /* A script of several formats makes one video each (out/000001.9x16.mp4, …). */
  json_t *outs = json_array();
  if (cli_formats_named(r->ir))
    json_array_foreach(json_object_get(r->ir, "formats"), k, f) {
      char fp[200];
      cli_format_path(video, json_string_value(json_object_get(f, "suffix")), fp, sizeof fp);
      json_array_append_new(outs, json_string(fp));
    }
  else json_array_append_new(outs, json_string(video));
  json_object_set(mr, "output", json_array_get(outs, 0));
  json_object_set_new(mr, "outputs", outs);
}

/* Row r's manifest entry, its plan written to DIR/rows/NNNNNN.json. NULL when that cannot
 * be written (said). */
static json_t *row_entry(const batch_row *r, const batch_opts *o, const json_t *uses, const json_t *names) {
  char id[16], ir_rel[64], video[160], path[PATH_MAX + 64];
  snprintf(id, sizeof id, "%06zu", r->row);
  snprintf(ir_rel, sizeof ir_rel, "rows/%s.json", id);
  video_path(r, id, names, video, sizeof video);
  json_t *mr = json_pack("{s:i, s:i, s:s, s:s, s:s, s:s}", "row", (json_int_t)r->row, "line", (json_int_t)r->line, "id", id,
                         "status", r->ir ? "ready" : "invalid", "output", video, "video", video);
  if (r->ir) {
    json_object_set_new(mr, "ir", json_string(ir_rel));
    entry_plan(mr, r, uses, video);
    char *text = vsc_ir_dump(r->ir);
    snprintf(path, sizeof path, "%s/%s", o->dir, ir_rel);
    int wrc = text ? cli_write_file(path, text, strlen(text)) : -1;
    free(text);
    if (wrc != 0) {
      fprintf(stderr, "vsc: cannot write %s: %s\n", path, strerror(errno));
      json_decref(mr);
      return NULL;
    }
  } else {
    json_object_set_new(mr, "error", json_string(r->error ? r->error : "invalid"));
    if (r->diags) json_object_set(mr, "diagnostics", r->diags);
  }
  if (o->force) { /* start over: no row counts as finished */
    batch_row_path(o->dir, r->row, ".result.json", path, sizeof path);
    unlink(path);
  }
  json_object_set_new(mr, "finished", json_boolean(r->ir && o->resume && batch_row_finished(o->dir, mr)));
  return mr;
}

/* The plans the resumed batch's rows had (and the ones before them): what they spent still
 * counts against the batch's budget after the script or the data changed. */
static json_t *earlier_plans(const json_t *old) {
  json_t *earlier = json_array(), *e;
  size_t i;
  if (!old) return earlier;
  json_array_extend(earlier, json_object_get(old, "earlier_plans"));
  json_array_foreach(json_object_get(old, "rows"), i, e)
    if (json_is_string(json_object_get(e, "plan"))) json_array_append(earlier, json_object_get(e, "plan"));
  return earlier;
}

/* Each row's entry alone, with what running it needs of the whole (a worker or a cluster
 * task reads its rows, not a manifest of every row), then the manifest. */
static int write_manifest(const batch_opts *o, const json_t *m) {
  char path[PATH_MAX + 64];
  size_t i;
  json_t *mr;
  json_array_foreach(json_object_get(m, "rows"), i, mr) {
    json_t *one = json_deep_copy(mr);
    static const char *const keep[] = {"cache", "base", "provider", "remote_jobs", "created"};
    for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++) json_object_set(one, keep[k], json_object_get(m, keep[k]));
    batch_row_path(o->dir, (size_t)json_integer_value(json_object_get(mr, "row")), ".row.json", path, sizeof path);
    int wrc = batch_write_json(path, one);
    json_decref(one);
    if (wrc != 0) goto fail;
  }
  snprintf(path, sizeof path, "%s/batch.json", o->dir);
  if (batch_write_json(path, m) == 0) return VSC_EXIT_OK;
fail:
  fprintf(stderr, "vsc: cannot write %s: %s\n", path, strerror(errno));
  return VSC_EXIT_RUNTIME;
}

int batch_prepare(batch_set *set, const batch_opts *o) {
  json_t *old;
  int rc = open_dir(set, o, &old);
  if (rc != VSC_EXIT_OK) return rc;
  char created[40], base[PATH_MAX], script[PATH_MAX], data[PATH_MAX];
  now_iso(created);
  if (!getcwd(base, sizeof base) || cli_resolve_loose(o->script, script) != 0 || cli_resolve_loose(o->data, data) != 0) {
    fprintf(stderr, "vsc: cannot resolve the batch's paths\n");
    json_decref(old);
    return VSC_EXIT_RUNTIME;
  }
  /* A resumed batch keeps its start: what its rows spent since then counts against it. */
  const char *since = old && json_string_value(json_object_get(old, "created")) ? json_string_value(json_object_get(old, "created")) : created;
  json_t *m = json_pack("{s:s, s:i, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "format", "vsc-batch", "version", 1,
                        "remote_jobs", o->remote_jobs, "script", script, "data", data, "data_name", o->data, "cache",
                        set->cache, "base", base, "created", since, "provider", set->remote, "budget",
                        o->budget >= 0 ? json_real(o->budget) : json_null(), "earlier_plans", earlier_plans(old));
  json_t *mrows = json_array(), *uses = count_uses(set), *names = count_names(set);
  json_object_set(m, "rows", mrows);
  for (size_t i = 0; i < set->nrows && rc == VSC_EXIT_OK; i++) {
    json_t *mr = row_entry(&set->rows[i], o, uses, names);
    if (mr) json_array_append_new(mrows, mr);
    else rc = VSC_EXIT_RUNTIME;
  }
  json_decref(names);
  json_decref(uses);
  if (rc == VSC_EXIT_OK) {
    double spent = 0;
    if (old && o->budget >= 0) {
      json_t *ledger = batch_ledger(m);
      spent = json_number_value(json_object_get(ledger, "spent"));
      json_decref(ledger);
    }
    plan_money(mrows, set, o, spent);
    json_object_set_new(m, "spent_before", json_real(spent));
    rc = write_manifest(o, m);
  }
  json_decref(mrows);
  json_decref(m);
  json_decref(old);
  return rc;
}
