/*
** test_rows.c — a batch's data file read into rows (base/rows, vsc_rows.h): RFC 4180 CSV
** (quotes, "" escapes, commas and line breaks inside quotes, CRLF, a BOM, blank lines), rows
** the file gets wrong reported with their line while the others are read, files that cannot
** be read at all, and JSON lines. Each field's bytes are checked against the record's text.
*/
#include <string.h>

#include "vsc/vsc_rows.h"
#include "vsc_test.h"

/* The raw text of field k of row r (the record's bytes it covers). */
static int raw_is(const vsc_row *r, int k, const char *want) {
  const vsc_row_field *f = &r->fields[k];
  return f->off + f->len <= r->len && strlen(want) == f->len && memcmp(r->text + f->off, want, f->len) == 0;
}

static void t_csv_quotes(void) {
  const char *csv = "store,headline,bg\n"
                    "Lyon,\"Hello, Lyon\",#223344\n"
                    "\"Nice \"\"Côte\"\"\",\"two\nlines\",\n"
                    "Paris,,#ff0000\n";
  vsc_rows *r = NULL;
  char err[256];
  REQUIRE(vsc_rows_parse(&r, "rows.csv", csv, strlen(csv), err, sizeof err) == 0, "%s", err);
  REQUIRE(r->ncolumns == 3 && r->nrows == 3, "%d columns, %zu rows", r->ncolumns, r->nrows);
  CHECK(!strcmp(r->columns[0], "store") && !strcmp(r->columns[2], "bg"));
  CHECK(r->rows[0].line == 2 && r->rows[1].line == 3 && r->rows[2].line == 5, "lines %u %u %u", r->rows[0].line,
        r->rows[1].line, r->rows[2].line);
  CHECK(!strcmp(vsc_row_get(&r->rows[0], "headline")->value, "Hello, Lyon"));
  CHECK(raw_is(&r->rows[0], 1, "\"Hello, Lyon\""));
  CHECK(!strcmp(r->rows[1].fields[0].value, "Nice \"Côte\""), "%s", r->rows[1].fields[0].value);
  CHECK(raw_is(&r->rows[1], 0, "\"Nice \"\"Côte\"\"\""));
  CHECK(!strcmp(r->rows[1].fields[1].value, "two\nlines"));
  CHECK(!strcmp(r->rows[1].fields[2].value, "") && r->rows[1].fields[2].len == 0, "an empty last field");
  CHECK(r->rows[1].len == strlen("\"Nice \"\"Côte\"\"\",\"two\nlines\","), "the record's text spans its two lines");
  CHECK(!strcmp(vsc_row_get(&r->rows[2], "bg")->value, "#ff0000") && !vsc_row_get(&r->rows[2], "nope"));
  for (size_t i = 0; i < r->nrows; i++) CHECK(!r->rows[i].error, "row %zu: %s", i + 1, r->rows[i].error);
out:
  vsc_rows_free(r);
}

static void t_csv_crlf_bom(void) {
  const char *csv = "\xEF\xBB\xBF"
                    "a , b\r\n1,2\r\n\r\n\"x\r\ny\",3\r\n4,5";
  vsc_rows *r = NULL;
  char err[256];
  REQUIRE(vsc_rows_parse(&r, "x.csv", csv, strlen(csv), err, sizeof err) == 0, "%s", err);
  REQUIRE(r->ncolumns == 2 && r->nrows == 3, "%d columns, %zu rows", r->ncolumns, r->nrows);
  CHECK(!strcmp(r->columns[0], "a") && !strcmp(r->columns[1], "b"), "the BOM and spaces are not in names");
  CHECK(!strcmp(r->rows[0].fields[1].value, "2"), "CR is not data: '%s'", r->rows[0].fields[1].value);
  CHECK(r->rows[1].line == 4 && !strcmp(r->rows[1].fields[0].value, "x\r\ny"), "a quoted CRLF is data");
  CHECK(r->rows[2].line == 6 && !strcmp(r->rows[2].fields[1].value, "5"), "the last record needs no line end");
out:
  vsc_rows_free(r);
}

static void t_csv_bad_rows(void) {
  const char *csv = "a,b\n1,2\n1,2,3\nx\"y,2\n\"q\"z,2\n7,8\n";
  vsc_rows *r = NULL;
  char err[256];
  REQUIRE(vsc_rows_parse(&r, "x.csv", csv, strlen(csv), err, sizeof err) == 0, "%s", err);
  REQUIRE(r->nrows == 5, "%zu rows", r->nrows);
  CHECK(!r->rows[0].error && !r->rows[4].error, "good rows around bad ones");
  CHECK(r->rows[1].error && strstr(r->rows[1].error, "3 fields, the header has 2 columns"), "%s", r->rows[1].error);
  CHECK(r->rows[2].error && strstr(r->rows[2].error, "a quote inside an unquoted field"), "%s", r->rows[2].error);
  CHECK(r->rows[3].error && strstr(r->rows[3].error, "text after a closing quote"), "%s", r->rows[3].error);
  CHECK(r->rows[3].line == 5 && r->rows[4].line == 6);
  CHECK(!strcmp(r->rows[4].fields[1].value, "8"));
out:
  vsc_rows_free(r);
}

static void t_csv_file_errors(void) {
  vsc_rows *r = NULL;
  char err[256];
  CHECK(vsc_rows_parse(&r, "x.csv", "a,b\n1,\"open\n2,3\n", 16, err, sizeof err) == -1 && !r);
  CHECK(strstr(err, "x.csv:2: a quoted field is never closed"), "%s", err);
  CHECK(vsc_rows_parse(&r, "x.csv", "\n\n", 2, err, sizeof err) == -1 && strstr(err, "no header line"), "%s", err);
  CHECK(vsc_rows_parse(&r, "x.csv", "a,,b\n", 5, err, sizeof err) == -1 && strstr(err, "x.csv:1: column 2 has no name"), "%s", err);
  CHECK(vsc_rows_parse(&r, "x.csv", "a,b,a\n", 6, err, sizeof err) == -1 && strstr(err, "column 'a' is named twice"), "%s", err);
  CHECK(vsc_rows_parse(&r, "x.csv", "a\0b\n", 4, err, sizeof err) == -1 && strstr(err, "NUL"), "%s", err);
  CHECK(vsc_rows_read(&r, "/nonexistent/rows.csv", err, sizeof err) == -1 && strstr(err, "/nonexistent/rows.csv: "), "%s", err);
}

static void t_jsonl(void) {
  const char *text = "{\"store\": \"Lyon\", \"n\": 42, \"x\": 0.5, \"ok\": true, \"none\": null}\n"
                     "\n"
                     "{\"store\": \"Nice, \\\"sud\\\"\"}\n"
                     "not json\n"
                     "{\"list\": {\"a\": 1}}\n";
  vsc_rows *r = NULL;
  char err[256];
  REQUIRE(vsc_rows_parse(&r, "rows.jsonl", text, strlen(text), err, sizeof err) == 0, "%s", err);
  REQUIRE(r->nrows == 4, "%zu rows (a blank line is none)", r->nrows);
  const vsc_row *a = &r->rows[0];
  CHECK(a->line == 1 && !a->error);
  CHECK(!strcmp(vsc_row_get(a, "n")->value, "42") && !strcmp(vsc_row_get(a, "x")->value, "0.5"), "%s",
        vsc_row_get(a, "x")->value);
  CHECK(!strcmp(vsc_row_get(a, "ok")->value, "true") && !strcmp(vsc_row_get(a, "none")->value, ""));
  const vsc_row_field *s = vsc_row_get(a, "store");
  CHECK(raw_is(a, (int)(s - a->fields), "\"Lyon\""), "the field's bytes are its value in the line");
  CHECK(r->rows[1].line == 3 && !strcmp(r->rows[1].fields[0].value, "Nice, \"sud\""));
  CHECK(r->rows[2].line == 4 && r->rows[2].error && strstr(r->rows[2].error, "not JSON"), "%s", r->rows[2].error);
  CHECK(r->rows[3].error && strstr(r->rows[3].error, "field 'list' is an object"), "%s", r->rows[3].error);
out:
  vsc_rows_free(r);
}

/* A JSON array of single values is a list field: each item decoded, with its own bytes. */
static void t_jsonl_lists(void) {
  const char *text = "{\"p\": [\"Mug\", \"a \\\"b\\\"\" , 3, true], \"e\": [], \"s\": \"x|y\"}\n"
                     "{\"p\": [\"a\", [\"b\"]]}\n"
                     "{\"p\": [null]}\n";
  vsc_rows *r = NULL;
  char err[256];
  REQUIRE(vsc_rows_parse(&r, "rows.jsonl", text, strlen(text), err, sizeof err) == 0, "%s", err);
  REQUIRE(r->nrows == 3, "%zu rows", r->nrows);
  const vsc_row *a = &r->rows[0];
  REQUIRE(!a->error, "%s", a->error);
  const vsc_row_field *p = vsc_row_get(a, "p");
  REQUIRE(p && p->list && p->nitems == 4, "a list of 4");
  const char *want[] = {"Mug", "a \"b\"", "3", "true"}, *raw[] = {"\"Mug\"", "\"a \\\"b\\\"\"", "3", "true"};
  for (int i = 0; i < 4; i++) {
    CHECK(!strcmp(p->items[i].value, want[i]), "item %d: %s", i, p->items[i].value);
    CHECK(p->items[i].off + p->items[i].len <= a->len && p->items[i].len == strlen(raw[i]) &&
              !memcmp(a->text + p->items[i].off, raw[i], p->items[i].len),
          "item %d's bytes", i);
  }
  const vsc_row_field *e = vsc_row_get(a, "e");
  CHECK(e && e->list && e->nitems == 0, "[] is an empty list");
  CHECK(!vsc_row_get(a, "s")->list, "a string is one value (a list param splits it at '|')");
  CHECK(r->rows[1].error && strstr(r->rows[1].error, "field 'p' item 2 is an array"), "%s", r->rows[1].error);
  CHECK(r->rows[2].error && strstr(r->rows[2].error, "item 1 is null"), "%s", r->rows[2].error);
out:
  vsc_rows_free(r);
}

static const vsc_test_case cases[] = {
#define VSC_TEST_CASE(name) VSC_TEST_ENTRY(t_, name)
#include "test_rows.def"
#undef VSC_TEST_CASE
};

int main(int argc, char **argv) { return vsc_test_main(argc, argv, cases, VSC_TEST_COUNT(cases)); }
