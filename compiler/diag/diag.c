#include "diag/diag.h"
#include "vsc/vsc_mem.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIAG_LINE_SHOWN 160 /* bytes of a source line shown at most */

/* A diagnostic keeps copies of everything it prints, so it outlives the sources. */
typedef struct {
  vsc_severity sev;
  vsc_stage stage;
  char *file; /* NULL for plain diagnostics */
  uint32_t line, col, end_line, end_col;
  char *line_text; /* the source line, without newline */
  char *msg, *hint;
  /* A concrete edit that applies the hint: replace [fix_off, fix_off+fix_len) of fix_file. */
  char *fix_file, *fix_text;
  uint32_t fix_off, fix_len, fix_line, fix_col, fix_end_line, fix_end_col;
} diag_entry;

struct vsc_diag_list {
  diag_entry *items;
  int n, cap;
  int errors, warnings, max_errors, dropped;
  int worst_stage;
  bool last_kept; /* whether the latest vsc_diag call made an entry (a fix attaches to it) */
  int once;       /* vsc_diag_once: drop repeats */
  int skipping;   /* the last diagnostic was a dropped repeat: drop its notes too */
};

vsc_diag_list *vsc_diag_list_new(int max_errors) {
  vsc_diag_list *l = calloc(1, sizeof *l);
  if (!l) abort();
  l->max_errors = max_errors > 0 ? max_errors : 20;
  return l;
}

static void entry_free(diag_entry *d) {
  free(d->file);
  free(d->line_text);
  free(d->msg);
  free(d->hint);
  free(d->fix_file);
  free(d->fix_text);
}

void vsc_diag_list_free(vsc_diag_list *l) {
  if (!l) return;
  for (int i = 0; i < l->n; i++) entry_free(&l->items[i]);
  free(l->items);
  free(l);
}

int vsc_diag_once(vsc_diag_list *l, int on) {
  int was = l->once;
  l->once = on;
  l->skipping = 0;
  return was;
}

static int same_text(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

/* With `once`: drops the newest diagnostic when an earlier one says the same at the same place. */
static void drop_repeat(vsc_diag_list *l) {
  diag_entry *d = &l->items[l->n - 1];
  int repeat = 0;
  if (d->sev == VSC_SEV_NOTE && l->skipping) repeat = 1;
  else if (d->sev != VSC_SEV_NOTE) {
    l->skipping = 0;
    for (int i = 0; i + 1 < l->n && !repeat; i++) {
      const diag_entry *e = &l->items[i];
      repeat = e->sev == d->sev && e->line == d->line && e->col == d->col && same_text(e->file, d->file) &&
               same_text(e->msg, d->msg);
    }
    l->skipping = repeat;
  }
  if (!repeat) return;
  if (d->sev == VSC_SEV_ERROR) l->errors--;
  else if (d->sev == VSC_SEV_WARNING) l->warnings--;
  entry_free(d);
  l->n--;
  l->last_kept = false; /* a fix for the dropped repeat has nothing to attach to */
}

int vsc_diag_error_count(const vsc_diag_list *l) { return l->errors; }
int vsc_diag_warning_count(const vsc_diag_list *l) { return l->warnings; }
int vsc_diag_worst_stage(const vsc_diag_list *l) { return l->worst_stage; }
int vsc_diag_full(const vsc_diag_list *l) { return l->errors >= l->max_errors; }

static void build_lines(vsc_source *src) {
  uint32_t cap = 64, n = 0;
  uint32_t *starts = vsc_xmalloc(cap * sizeof *starts);
  starts[n++] = 0;
  for (uint32_t i = 0; i < src->len; i++) {
    if (src->text[i] == '\n') {
      if (n == cap) starts = vsc_xrealloc(starts, (cap *= 2) * sizeof *starts);
      starts[n++] = i + 1;
    }
  }
  src->line_starts = starts;
  src->nlines = n;
}

void vsc_source_position(vsc_source *src, uint32_t off, uint32_t *line, uint32_t *col) {
  if (!src->line_starts) build_lines(src);
  if (off > src->len) off = src->len;
  uint32_t lo = 0, hi = src->nlines;
  while (hi - lo > 1) {
    uint32_t mid = (lo + hi) / 2;
    if (src->line_starts[mid] <= off) lo = mid;
    else hi = mid;
  }
  *line = lo + 1 + src->line_base;
  *col = off - src->line_starts[lo] + 1;
}

void vsc_source_free_lines(vsc_source *src) {
  free(src->line_starts);
  src->line_starts = NULL;
  src->nlines = 0;
}

static char *vformat(const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  char *s = vsc_xmalloc((size_t)n + 1);
  vsnprintf(s, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  return s;
}

static diag_entry *push(vsc_diag_list *l, vsc_severity sev, vsc_stage stage) {
  l->last_kept = false;
  if (sev == VSC_SEV_ERROR) {
    if (l->errors >= l->max_errors) {
      l->dropped++;
      return NULL;
    }
    l->errors++;
    if (!l->worst_stage || (int)stage < l->worst_stage) l->worst_stage = (int)stage;
  } else if (sev == VSC_SEV_WARNING) {
    l->warnings++;
  } else if (l->errors >= l->max_errors) {
    return NULL; /* notes of dropped errors */
  }
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 16;
    l->items = vsc_xrealloc(l->items, (size_t)l->cap * sizeof *l->items);
  }
  diag_entry *d = &l->items[l->n++];
  memset(d, 0, sizeof *d);
  d->sev = sev;
  d->stage = stage;
  l->last_kept = true;
  return d;
}

void vsc_diag(vsc_diag_list *l, vsc_severity sev, vsc_stage stage, vsc_source *src, vsc_span span,
              const char *hint, const char *fmt, ...) {
  diag_entry *d = push(l, sev, stage);
  if (!d) return;
  va_list ap;
  va_start(ap, fmt);
  d->msg = vformat(fmt, ap);
  va_end(ap);
  d->hint = hint ? vsc_xstrdup(hint) : NULL;
  if (!src) return;
  d->file = vsc_xstrdup(src->name);
  vsc_source_position(src, span.off, &d->line, &d->col);
  uint32_t end = span.off + (span.len ? span.len - 1 : 0);
  vsc_source_position(src, end, &d->end_line, &d->end_col);
  if (span.len) d->end_col++; /* exclusive end column */
  else d->end_col = d->col;
  uint32_t ls = src->line_starts[d->line - 1 - src->line_base], le = ls;
  while (le < src->len && src->text[le] != '\n' && src->text[le] != '\r') le++;
  d->line_text = vsc_xmalloc(le - ls + 1);
  memcpy(d->line_text, src->text + ls, le - ls);
  d->line_text[le - ls] = 0;
  if (l->once) drop_repeat(l);
}

void vsc_diag_fix(vsc_diag_list *l, vsc_source *src, vsc_span span, const char *replacement) {
  if (!l->last_kept || !src || !replacement) return;
  diag_entry *d = &l->items[l->n - 1];
  if (d->fix_text) return; /* the first fix stands */
  if (span.off > src->len) span.off = src->len;
  if (span.len > src->len - span.off) span.len = src->len - span.off;
  d->fix_file = vsc_xstrdup(src->name);
  d->fix_text = vsc_xstrdup(replacement);
  d->fix_off = span.off;
  d->fix_len = span.len;
  vsc_source_position(src, span.off, &d->fix_line, &d->fix_col);
  vsc_source_position(src, span.off + span.len, &d->fix_end_line, &d->fix_end_col);
}

void vsc_diag_plain(vsc_diag_list *l, vsc_severity sev, vsc_stage stage, const char *fmt, ...) {
  diag_entry *d = push(l, sev, stage);
  if (!d) return;
  va_list ap;
  va_start(ap, fmt);
  d->msg = vformat(fmt, ap);
  va_end(ap);
}

static const char *sev_name(vsc_severity s) {
  return s == VSC_SEV_ERROR ? "error" : s == VSC_SEV_WARNING ? "warning"
                                                             : "note";
}

static const char *sev_color(vsc_severity s) {
  return s == VSC_SEV_ERROR ? "\033[1;31m" : s == VSC_SEV_WARNING ? "\033[1;35m"
                                                                  : "\033[1;36m";
}

void vsc_diag_print(const vsc_diag_list *l, FILE *out, bool color) {
  const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";
  const char *green = color ? "\033[1;32m" : "";
  for (int i = 0; i < l->n; i++) {
    const diag_entry *d = &l->items[i];
    const char *sc = color ? sev_color(d->sev) : "";
    if (!d->file) {
      fprintf(out, "%svsc: %s%s:%s %s%s%s\n", bold, sc, sev_name(d->sev), reset, bold, d->msg, reset);
    } else {
      fprintf(out, "%s%s:%u:%u: %s%s:%s %s%s%s\n", bold, d->file, d->line, d->col, sc,
              sev_name(d->sev), reset, bold, d->msg, reset);
      /* A very long line (minified, or hostile input) is shown as a window around the
       * caret, so a message stays a few lines long. */
      uint32_t len = (uint32_t)strlen(d->line_text), from = 0, to = len;
      if (len > DIAG_LINE_SHOWN) {
        from = d->col - 1 > DIAG_LINE_SHOWN / 2 ? d->col - 1 - DIAG_LINE_SHOWN / 2 : 0;
        if (from > len) from = len;
        to = from + DIAG_LINE_SHOWN < len ? from + DIAG_LINE_SHOWN : len;
        while (from > 0 && from < len && ((unsigned char)d->line_text[from] & 0xC0) == 0x80) from--; /* whole characters */
        while (to < len && ((unsigned char)d->line_text[to] & 0xC0) == 0x80) to++;
      }
      fprintf(out, "%5u | %s%.*s%s\n      | %s", d->line, from ? "…" : "", (int)(to - from), d->line_text + from,
              to < len ? "…" : "", from ? " " : "");
      /* Copy tabs so the caret lines up under the text. */
      for (uint32_t c = from + 1; c < d->col && d->line_text[c - 1]; c++)
        fputc(d->line_text[c - 1] == '\t' ? '\t' : ' ', out);
      uint32_t width = d->end_line == d->line && d->end_col > d->col ? d->end_col - d->col : 1;
      if (width > to - (d->col - 1) && to > d->col - 1) width = to - (d->col - 1);
      fprintf(out, "%s^", green);
      for (uint32_t c = 1; c < width; c++) fputc('~', out);
      fprintf(out, "%s\n", reset);
    }
    if (d->hint) fprintf(out, "      = hint: %s\n", d->hint);
  }
  if (l->dropped)
    fprintf(out, "vsc: note: %d more error%s not shown (--max-errors)\n", l->dropped,
            l->dropped == 1 ? "" : "s");
}

json_t *vsc_diag_to_json(const vsc_diag_list *l) {
  json_t *arr = json_array();
  for (int i = 0; i < l->n; i++) {
    const diag_entry *d = &l->items[i];
    json_t *o = json_object();
    json_object_set_new(o, "severity", json_string(sev_name(d->sev)));
    json_object_set_new(o, "stage", json_string(d->stage == VSC_STAGE_LEX ? "lex" : d->stage == VSC_STAGE_PARSE ? "parse"
                                                                                                                : "check"));
    json_object_set_new(o, "message", json_string(d->msg));
    if (d->file) {
      json_object_set_new(o, "file", json_string(d->file));
      json_object_set_new(o, "line", json_integer(d->line));
      json_object_set_new(o, "column", json_integer(d->col));
      json_object_set_new(o, "end_line", json_integer(d->end_line));
      json_object_set_new(o, "end_column", json_integer(d->end_col));
      json_object_set_new(o, "source_line", json_string(d->line_text));
    }
    if (d->hint) json_object_set_new(o, "hint", json_string(d->hint));
    if (d->fix_text) {
      json_t *f = json_object();
      json_object_set_new(f, "file", json_string(d->fix_file));
      json_object_set_new(f, "line", json_integer(d->fix_line));
      json_object_set_new(f, "column", json_integer(d->fix_col));
      json_object_set_new(f, "end_line", json_integer(d->fix_end_line));
      json_object_set_new(f, "end_column", json_integer(d->fix_end_col));
      json_object_set_new(f, "offset", json_integer(d->fix_off));
      json_object_set_new(f, "length", json_integer(d->fix_len));
      json_object_set_new(f, "replacement", json_string(d->fix_text));
      json_object_set_new(o, "fix", f);
    }
    json_array_append_new(arr, o);
  }
  return arr;
}
