/*
** vsc_rows.h — the rows of a batch's data file (base/rows): CSV (RFC 4180: a header line,
** quoted fields with "" and embedded commas and newlines, CRLF or LF, a UTF-8 BOM) or JSON
** lines (one object per line; a field may be an array of single values, a list). Every field keeps where it was written, so a value can be
** shown in its file, line and column.
**
** Ownership: vsc_rows_read returns a new table (vsc_rows_free); every string in it belongs
** to the table.
*/
#ifndef VSC_ROWS_H
#define VSC_ROWS_H

#include <stdbool.h>
#include <stddef.h>

/* One item of a list field (a JSON array of single values). */
typedef struct {
  char *value;     /* decoded, as a field's value */
  size_t off, len; /* its bytes in the record's text */
} vsc_row_item;

typedef struct {
  const char *name; /* the column (CSV header) or key (JSON line) */
  char *value;      /* decoded: no quotes, "" made ", a JSON number as written; an array as written */
  size_t off, len;  /* the field's bytes in the record's text (quotes included) */
  bool list;        /* a JSON array: its items are items[nitems] */
  vsc_row_item *items;
  int nitems;
} vsc_row_field;

typedef struct {
  unsigned line;    /* the line the record starts on (1-based, as editors count) */
  const char *text; /* the record's text in the file (not NUL-terminated) */
  size_t len;
  vsc_row_field *fields;
  int nfields;
  char *error; /* NULL, or why this record could not be read (the others can) */
} vsc_row;

typedef struct {
  char *path; /* as named */
  char *data; /* the whole file (NUL-terminated) */
  size_t size;
  char **columns; /* CSV: the header; JSON lines: every key met, in first-seen order */
  int ncolumns;
  vsc_row *rows;
  size_t nrows;
} vsc_rows;

/* Reads a data file: JSON lines when its name ends in .jsonl or .ndjson, else CSV. A row
 * that cannot be read carries its error and the others are read; a file that cannot be
 * read at all (missing, no header, a quote never closed) is -1 with "path:line: why" in
 * err. */
int vsc_rows_read(vsc_rows **out, const char *path, char *err, size_t errlen);
/* The same, for text in memory (copied); `name` is used in messages and decides the format. */
int vsc_rows_parse(vsc_rows **out, const char *name, const char *text, size_t len, char *err, size_t errlen);
/* The field `name` of a row, or NULL. */
const vsc_row_field *vsc_row_get(const vsc_row *row, const char *name);
void vsc_rows_free(vsc_rows *r);

#endif
