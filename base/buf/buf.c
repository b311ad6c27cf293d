/* A growable NUL-terminated string on the heap. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsc/vsc_buf.h"
#include "vsc/vsc_mem.h"

void vsc_buf_append(vsc_buf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < b->len + n + 1) cap *= 2;
    b->s = vsc_xrealloc(b->s, cap);
    b->cap = cap;
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = 0;
}

void vsc_buf_puts(vsc_buf *b, const char *s) { vsc_buf_append(b, s, strlen(s)); }

void vsc_buf_printf(vsc_buf *b, const char *fmt, ...) {
  char small[512];
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < (int)sizeof small) {
    vsc_buf_append(b, small, (size_t)n);
  } else {
    char *big = vsc_xmalloc((size_t)n + 1);
    vsnprintf(big, (size_t)n + 1, fmt, ap2);
    vsc_buf_append(b, big, (size_t)n);
    free(big);
  }
  va_end(ap2);
}

void vsc_buf_free(vsc_buf *b) {
  free(b->s);
  b->s = NULL;
  b->len = b->cap = 0;
}
