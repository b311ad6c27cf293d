/* A growable string (base): heap, NUL-terminated, grows by doubling; out of memory aborts
 * (vsc_mem.h). Start with `vsc_buf b = {0};`, end with vsc_buf_free. */
#ifndef VSC_BUF_H
#define VSC_BUF_H

#include <stddef.h>

typedef struct {
  char *s; /* NULL until the first append */
  size_t len, cap;
} vsc_buf;

void vsc_buf_append(vsc_buf *b, const char *s, size_t n);
void vsc_buf_puts(vsc_buf *b, const char *s);
void vsc_buf_printf(vsc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vsc_buf_free(vsc_buf *b);

#endif
