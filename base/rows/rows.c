/*
** A batch's data file read into rows (base): CSV by RFC 4180, or JSON lines. Positions are
** kept (each record's first line and text, each field's bytes) so that a row's mistake is
** shown where it was written. docs/batch.md "Data" states the rules.
*/
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsc/vsc_err.h"
#include "vsc/vsc_file.h"
#include "vsc/vsc_mem.h"
#include "vsc/vsc_rows.h"

/* Columns past this are a mistake in the file, not data (a wrong delimiter, a binary). */
#define ROWS_MAX_COLUMNS 1024

#define xrealloc vsc_xrealloc

static char *xstrndup(const char *s, size_t n) {
  char *d = vsc_xmalloc(n + 1);
  memcpy(d, s, n);
  d[n] = 0;
  return d;
}

static char *row_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *row_error(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return xstrndup(buf, strlen(buf));
}

static vsc_row *add_row(vsc_rows *r, unsigned line, const char *text, size_t len) {
  r->rows = xrealloc(r->rows, (r->nrows + 1) * sizeof *r->rows);
  vsc_row *row = &r->rows[r->nrows++];
  memset(row, 0, sizeof *row);
  row->line = line;
  row->text = text;
  row->len = len;
  return row;
}

static void add_field(vsc_row *row, const char *name, char *value, size_t off, size_t len) {
  row->fields = xrealloc(row->fields, (size_t)(row->nfields + 1) * sizeof *row->fields);
  row->fields[row->nfields++] = (vsc_row_field){.name = name, .value = value, .off = off, .len = len};
}

/* ---- CSV ---- */

/* One CSV record's raw fields: each field's decoded text and its bytes. */
typedef struct {
  char **vals;
  size_t *offs, *lens; /* relative to the record's start */
  int n;
} csv_record;

static void csv_record_clear(csv_record *c) {
  for (int i = 0; i < c->n; i++) free(c->vals[i]);
  free(c->vals);
  free(c->offs);
  free(c->lens);
  memset(c, 0, sizeof *c);
}

/* Scans one record from *pos (record -> field (',' field)* line-end). Fills c, advances
 * *pos past the line end and *line by the lines it spans. Returns 0; 1 for a record whose
 * quotes are wrong (skipped to its line end, *why set); -1 for a quote never closed. */
static int csv_scan(const char *d, size_t size, size_t *pos, unsigned *line, csv_record *c, const char **why) {
  size_t p = *pos, start = *pos;
  int bad = 0;
  for (;;) {
    size_t fstart = p;
    char *val;
    size_t vlen = 0;
    if (p < size && d[p] == '"') {
      /* quoted: "" is a quote; commas and line ends inside are data */
      val = xrealloc(NULL, 16);
      size_t cap = 16;
      p++;
      for (;;) {
        if (p >= size) {
          free(val);
          *why = "a quoted field is never closed";
          return -1;
        }
        if (d[p] == '"') {
          if (p + 1 < size && d[p + 1] == '"') p++;
          else break;
        } else if (d[p] == '\n') {
          (*line)++;
        }
        if (vlen + 2 > cap) val = xrealloc(val, cap *= 2);
        val[vlen++] = d[p++];
      }
      p++; /* the closing quote */
      val[vlen] = 0;
      if (p < size && d[p] != ',' && d[p] != '\n' && d[p] != '\r' && !bad) {
        bad = 1;
        *why = "text after a closing quote (a quote inside a quoted field is written \"\")";
      }
      while (p < size && d[p] != ',' && d[p] != '\n' && d[p] != '\r') p++;
    } else {
      while (p < size && d[p] != ',' && d[p] != '\n' && d[p] != '\r') {
        if (d[p] == '"' && !bad) {
          bad = 1;
          *why = "a quote inside an unquoted field (quote the whole field, and write a quote as \"\")";
        }
        p++;
      }
      val = xstrndup(d + fstart, p - fstart);
    }
    c->vals = xrealloc(c->vals, (size_t)(c->n + 1) * sizeof *c->vals);
    c->offs = xrealloc(c->offs, (size_t)(c->n + 1) * sizeof *c->offs);
    c->lens = xrealloc(c->lens, (size_t)(c->n + 1) * sizeof *c->lens);
    c->vals[c->n] = val;
    c->offs[c->n] = fstart - start;
    c->lens[c->n] = p - fstart;
    c->n++;
    if (p < size && d[p] == ',') {
      p++;
      continue;
    }
    break;
  }
  if (p < size && d[p] == '\r') p++;
  if (p < size && d[p] == '\n') p++;
  (*line)++;
  *pos = p;
  return bad;
}

/* The record ends before its line end: the length of its text without it. */
static size_t text_len(const char *d, size_t from, size_t to) {
  while (to > from && (d[to - 1] == '\n' || d[to - 1] == '\r')) to--;
  return to - from;
}

static int parse_csv(vsc_rows *r, size_t pos, char *err, size_t errlen) {
  const char *d = r->data;
  unsigned line = 1;
  csv_record c = {0};
  const char *why = NULL;
  /* blank lines before the header are not a header */
  while (pos < r->size && (d[pos] == '\n' || d[pos] == '\r')) line += d[pos++] == '\n';
  if (pos >= r->size) return vsc_err_set(err, errlen, "%s: no header line (the first line names the columns)", r->path);
  unsigned hline = line;
  int rc = csv_scan(d, r->size, &pos, &line, &c, &why);
  if (rc != 0) {
    csv_record_clear(&c);
    return vsc_err_set(err, errlen, "%s:%u: header: %s", r->path, hline, why);
  }
  if (c.n > ROWS_MAX_COLUMNS) {
    csv_record_clear(&c);
    return vsc_err_set(err, errlen, "%s:%u: more than %d columns", r->path, hline, ROWS_MAX_COLUMNS);
  }
  r->columns = xrealloc(NULL, (size_t)c.n * sizeof *r->columns);
  for (int i = 0; i < c.n; i++) {
    /* a header name is trimmed: "store , text" names store and text */
    char *h = c.vals[i];
    size_t a = 0, b = strlen(h);
    while (a < b && (h[a] == ' ' || h[a] == '\t')) a++;
    while (b > a && (h[b - 1] == ' ' || h[b - 1] == '\t')) b--;
    if (a == b) {
      r->ncolumns = i;
      csv_record_clear(&c);
      return vsc_err_set(err, errlen, "%s:%u: column %d has no name", r->path, hline, i + 1);
    }
    for (int j = 0; j < i; j++)
      if (strlen(r->columns[j]) == b - a && strncmp(r->columns[j], h + a, b - a) == 0) {
        r->ncolumns = i;
        vsc_err_set(err, errlen, "%s:%u: column '%.*s' is named twice", r->path, hline, (int)(b - a), h + a);
        csv_record_clear(&c);
        return -1;
      }
    r->columns[i] = xstrndup(h + a, b - a);
    r->ncolumns = i + 1;
  }
  csv_record_clear(&c);
  while (pos < r->size) {
    if (d[pos] == '\n' || d[pos] == '\r') { /* a blank line is no record */
      line += d[pos++] == '\n';
      continue;
    }
    size_t start = pos;
    unsigned first = line;
    why = NULL;
    rc = csv_scan(d, r->size, &pos, &line, &c, &why);
    if (rc < 0) {
      csv_record_clear(&c);
      return vsc_err_set(err, errlen, "%s:%u: %s", r->path, first, why);
    }
    vsc_row *row = add_row(r, first, d + start, text_len(d, start, pos));
    if (rc > 0) {
      row->error = row_error("%s", why);
    } else if (c.n != r->ncolumns) {
      row->error = row_error("%d field%s, the header has %d column%s", c.n, c.n == 1 ? "" : "s", r->ncolumns,
                             r->ncolumns == 1 ? "" : "s");
    } else {
      for (int i = 0; i < c.n; i++) {
        add_field(row, r->columns[i], c.vals[i], c.offs[i], c.lens[i]);
        c.vals[i] = NULL;
      }
    }
    csv_record_clear(&c);
  }
  return 0;
}

/* ---- JSON lines ---- */

/* The bytes of key's value in a JSON object's text (a best effort for messages: the whole
 * line when the key is not found as written). */
static void json_value_span(const char *t, size_t len, const char *key, size_t *off, size_t *vlen) {
  *off = 0;
  *vlen = len;
  char pat[300];
  int n = snprintf(pat, sizeof pat, "\"%s\"", key);
  if (n <= 0 || (size_t)n >= sizeof pat) return;
  for (size_t i = 0; i + (size_t)n <= len; i++) {
    if (memcmp(t + i, pat, (size_t)n) != 0) continue;
    size_t p = i + (size_t)n;
    while (p < len && (t[p] == ' ' || t[p] == '\t')) p++;
    if (p >= len || t[p] != ':') continue;
    p++;
    while (p < len && (t[p] == ' ' || t[p] == '\t')) p++;
    size_t s = p;
    if (p < len && t[p] == '"') {
      for (p++; p < len && t[p] != '"'; p++)
        if (t[p] == '\\') p++;
      if (p < len) p++;
    } else {
      int depth = 0;
      for (; p < len; p++) {
        if (t[p] == '[' || t[p] == '{') depth++;
        else if ((t[p] == ']' || t[p] == '}') && depth-- == 0) break;
        else if (t[p] == ',' && depth == 0) break;
      }
      while (p > s && (t[p - 1] == ' ' || t[p - 1] == '\t')) p--;
    }
    *off = s;
    *vlen = p - s;
    return;
  }
}

/* The bytes of an array's items in its text t[off, off + len) (which starts with '['), at
 * most max; returns how many were found. */
static int array_item_spans(const char *t, size_t off, size_t len, size_t *offs, size_t *lens, int max) {
  size_t p = off + 1, end = off + len;
  int n = 0;
  while (p < end && n < max) {
    while (p < end && (t[p] == ' ' || t[p] == '\t' || t[p] == ',')) p++;
    if (p >= end || t[p] == ']') break;
    size_t s = p;
    if (t[p] == '"') {
      for (p++; p < end && t[p] != '"'; p++)
        if (t[p] == '\\') p++;
      if (p < end) p++;
    } else {
      int depth = 0;
      for (; p < end; p++) {
        if (t[p] == '[' || t[p] == '{') depth++;
        else if ((t[p] == ']' || t[p] == '}') && depth-- == 0) break;
        else if (t[p] == ',' && depth == 0) break;
      }
      while (p > s && (t[p - 1] == ' ' || t[p - 1] == '\t')) p--;
    }
    offs[n] = s;
    lens[n++] = p - s;
  }
  return n;
}

/* A JSON scalar as a field's text, or NULL (an array or an object). */
static char *scalar_text(const json_t *v) {
  if (json_is_string(v)) return xstrndup(json_string_value(v), json_string_length(v));
  if (json_is_integer(v)) return row_error("%lld", (long long)json_integer_value(v));
  if (json_is_real(v)) return row_error("%.17g", json_real_value(v));
  if (json_is_boolean(v)) return row_error("%s", json_is_true(v) ? "true" : "false");
  if (json_is_null(v)) return row_error("%s", "");
  return NULL;
}

/* A list field: an array of single values, each item with where it was written. */
static bool json_list(vsc_row *row, vsc_row_field *f, const char *key, const json_t *arr) {
  size_t n = json_array_size(arr);
  f->list = true;
  f->items = vsc_xmalloc((n + 1) * sizeof *f->items);
  size_t *offs = vsc_xmalloc((n + 1) * sizeof *offs), *lens = vsc_xmalloc((n + 1) * sizeof *lens);
  int found = array_item_spans(row->text, f->off, f->len, offs, lens, (int)n);
  bool ok = true;
  for (size_t i = 0; i < n; i++) {
    const json_t *v = json_array_get(arr, i);
    char *text = json_is_null(v) ? NULL : scalar_text(v);
    if (!text) {
      row->error = row_error("field '%s' item %zu is %s; a list holds single values", key, i + 1,
                             json_is_null(v) ? "null" : json_is_array(v) ? "an array"
                                                                         : "an object");
      ok = false;
      break;
    }
    bool at = (int)i < found;
    f->items[f->nitems++] = (vsc_row_item){.value = text, .off = at ? offs[i] : f->off, .len = at ? lens[i] : f->len};
  }
  free(offs);
  free(lens);
  return ok;
}

static void note_column(vsc_rows *r, const char *key) {
  for (int i = 0; i < r->ncolumns; i++)
    if (strcmp(r->columns[i], key) == 0) return;
  r->columns = xrealloc(r->columns, (size_t)(r->ncolumns + 1) * sizeof *r->columns);
  r->columns[r->ncolumns++] = xstrndup(key, strlen(key));
}

static const char *column_name(vsc_rows *r, const char *key) {
  note_column(r, key);
  for (int i = 0; i < r->ncolumns; i++)
    if (strcmp(r->columns[i], key) == 0) return r->columns[i];
  return NULL;
}

static void json_line(vsc_rows *r, vsc_row *row) {
  json_error_t je;
  json_t *o = json_loadb(row->text, row->len, 0, &je);
  if (!o || !json_is_object(o)) {
    row->error = o ? row_error("a line holds one JSON object") : row_error("not JSON: %s (column %d)", je.text, je.column);
    json_decref(o);
    return;
  }
  const char *key;
  json_t *v;
  json_object_foreach(o, key, v) {
    size_t off, len;
    json_value_span(row->text, row->len, key, &off, &len);
    char *text = scalar_text(v); /* null: "", not given (the param's default) */
    if (json_is_array(v) && off < row->len && row->text[off] == '[') {
      add_field(row, column_name(r, key), xstrndup(row->text + off, len), off, len);
      if (!json_list(row, &row->fields[row->nfields - 1], key, v)) break;
      continue;
    }
    if (!text) {
      row->error = row_error("field '%s' is %s, not a single value or a list", key, json_is_array(v) ? "an array" : "an object");
      break;
    }
    add_field(row, column_name(r, key), text, off, len);
  }
  json_decref(o);
}

static int parse_jsonl(vsc_rows *r, size_t pos) {
  const char *d = r->data;
  unsigned line = 1;
  while (pos < r->size) {
    size_t end = pos;
    while (end < r->size && d[end] != '\n') end++;
    size_t len = text_len(d, pos, end);
    size_t blank = 0;
    while (blank < len && (d[pos + blank] == ' ' || d[pos + blank] == '\t')) blank++;
    if (blank < len) json_line(r, add_row(r, line, d + pos, len));
    pos = end < r->size ? end + 1 : end;
    line++;
  }
  return 0;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

int vsc_rows_parse(vsc_rows **out, const char *name, const char *text, size_t len, char *err, size_t errlen) {
  *out = NULL;
  vsc_rows *r = calloc(1, sizeof *r);
  if (!r) return vsc_err_set(err, errlen, "out of memory");
  r->path = xstrndup(name, strlen(name));
  r->data = xstrndup(text, len);
  r->size = len;
  if (memchr(r->data, 0, len)) {
    vsc_rows_free(r);
    return vsc_err_set(err, errlen, "%s: a NUL byte: this is not a text file", name);
  }
  size_t pos = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0; /* a UTF-8 BOM */
  bool jsonl = ends_with(name, ".jsonl") || ends_with(name, ".ndjson");
  int rc = jsonl ? parse_jsonl(r, pos) : parse_csv(r, pos, err, errlen);
  if (rc != 0) {
    vsc_rows_free(r);
    return -1;
  }
  *out = r;
  return 0;
}

int vsc_rows_read(vsc_rows **out, const char *path, char *err, size_t errlen) {
  size_t len;
  char *text = vsc_read_file(path, &len);
  if (!text) {
    *out = NULL;
    return vsc_err_set(err, errlen, "%s: %s", path, errno ? strerror(errno) : "cannot read");
  }
  int rc = vsc_rows_parse(out, path, text, len, err, errlen);
  free(text);
  return rc;
}

const vsc_row_field *vsc_row_get(const vsc_row *row, const char *name) {
  for (int i = 0; i < row->nfields; i++)
    if (strcmp(row->fields[i].name, name) == 0) return &row->fields[i];
  return NULL;
}

void vsc_rows_free(vsc_rows *r) {
  if (!r) return;
  for (size_t i = 0; i < r->nrows; i++) {
    for (int k = 0; k < r->rows[i].nfields; k++) {
      vsc_row_field *f = &r->rows[i].fields[k];
      for (int j = 0; j < f->nitems; j++) free(f->items[j].value);
      free(f->items);
      free(f->value);
    }
    free(r->rows[i].fields);
    free(r->rows[i].error);
  }
  free(r->rows);
  for (int i = 0; i < r->ncolumns; i++) free(r->columns[i]);
  free(r->columns);
  free(r->data);
  free(r->path);
  free(r);
}
