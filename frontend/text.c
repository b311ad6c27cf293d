/*
** text.c — string helpers of the prompt front-end: .vscript string
** quoting, UTF-8 sanitizing and cutting, and the notes list.
*/
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend.h"
#include "vsc/vsc_mem.h"

void fe_buf_quote(vsc_buf *b, const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"') vsc_buf_puts(b, "\\\"");
    else if (c == '\\') vsc_buf_puts(b, "\\\\");
    else if (c < 0x20 || c == 0x7f) vsc_buf_puts(b, " ");
    else vsc_buf_append(b, s, 1);
  }
}

char *fe_buf_take(vsc_buf *b) {
  char *s = b->s ? b->s : vsc_xstrdup("");
  b->s = NULL;
  b->len = b->cap = 0;
  return s;
}

char *fe_strndup(const char *s, size_t n) {
  char *d = vsc_xrealloc(NULL, n + 1);
  memcpy(d, s, n);
  d[n] = 0;
  return d;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one. */
static int utf8_len(const unsigned char *s, size_t avail) {
  unsigned char c = s[0];
  int n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2
                   : (c & 0xf0) == 0xe0     ? 3
                   : (c & 0xf8) == 0xf0     ? 4
                                            : 0;
  if (!n || (size_t)n > avail) return 0;
  if (n == 2 && c < 0xc2) return 0; /* overlong */
  for (int i = 1; i < n; i++)
    if ((s[i] & 0xc0) != 0x80) return 0;
  if (n == 3) {
    unsigned cp = ((c & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) | (s[2] & 0x3fu);
    if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  }
  if (n == 4) {
    unsigned cp = ((c & 0x07u) << 18) | ((s[1] & 0x3fu) << 12) | ((s[2] & 0x3fu) << 6) | (s[3] & 0x3fu);
    if (cp < 0x10000 || cp > 0x10ffff) return 0;
  }
  return n;
}

char *fe_sanitize(const char *s, size_t n) {
  char *d = vsc_xrealloc(NULL, n + 1);
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0, j = 0;
  while (i < n) {
    int len = utf8_len(u + i, n - i);
    if (len == 0) {
      d[j++] = ' ';
      i++;
    } else if (len == 1 && (u[i] < 0x20 || u[i] == 0x7f)) {
      d[j++] = u[i] == '\n' ? '\n' : ' ';
      i++;
    } else {
      memcpy(d + j, u + i, (size_t)len);
      i += (size_t)len;
      j += (size_t)len;
    }
  }
  d[j] = 0;
  return d;
}

size_t fe_utf8_cut(const char *s, size_t max) {
  size_t n = strlen(s);
  if (n <= max) return n;
  while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80) max--;
  return max;
}

bool fe_is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

void fe_squeeze(char *s, const char *strip) {
  size_t j = 0;
  bool space = true; /* drops leading space */
  for (size_t i = 0; s[i]; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!space) s[j++] = ' ';
      space = true;
    } else {
      s[j++] = (char)c;
      space = false;
    }
  }
  s[j] = 0;
  /* Trim both ends of space and the strip set, repeatedly. */
  size_t start = 0;
  while (s[start] && (s[start] == ' ' || (strip && strchr(strip, s[start])))) start++;
  size_t end = strlen(s);
  while (end > start && (s[end - 1] == ' ' || (strip && strchr(strip, s[end - 1])))) end--;
  memmove(s, s + start, end - start);
  s[end - start] = 0;
}

/* Appends line to a list unless it holds it already (once is enough). */
static bool list_add(char ***list, size_t *n, size_t *cap, const char *line) {
  for (size_t i = 0; i < *n; i++)
    if (strcmp((*list)[i], line) == 0) return false;
  if (*n == *cap) {
    *cap = *cap ? *cap * 2 : 8;
    *list = vsc_xrealloc(*list, *cap * sizeof **list);
  }
  (*list)[(*n)++] = fe_strndup(line, strlen(line));
  return true;
}

/* Adds one formatted line to the notes and, for a line that could not be placed, to the
 * unplaced list too. */
static void notes_vadd(vsc_prompt_notes *notes, bool unplaced, const char *fmt, va_list ap) {
  char line[1024];
  vsnprintf(line, sizeof line, fmt, ap);
  list_add(&notes->lines, &notes->n, &notes->cap, line);
  if (unplaced) list_add(&notes->unplaced, &notes->nunplaced, &notes->ucap, line);
}

void vsc_prompt_notes_add(vsc_prompt_notes *notes, const char *fmt, ...) {
  if (!notes) return;
  va_list ap;
  va_start(ap, fmt);
  notes_vadd(notes, false, fmt, ap);
  va_end(ap);
}

void vsc_prompt_notes_unplaced(vsc_prompt_notes *notes, const char *fmt, ...) {
  if (!notes) return;
  va_list ap;
  va_start(ap, fmt);
  notes_vadd(notes, true, fmt, ap);
  va_end(ap);
}

void vsc_prompt_notes_free(vsc_prompt_notes *notes) {
  if (!notes) return;
  for (size_t i = 0; i < notes->n; i++) free(notes->lines[i]);
  free(notes->lines);
  for (size_t i = 0; i < notes->nunplaced; i++) free(notes->unplaced[i]);
  free(notes->unplaced);
  json_decref(notes->placed);
  memset(notes, 0, sizeof *notes);
}
