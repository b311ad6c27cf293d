/* Memory: the one out-of-memory policy (report and abort: a half-built plan or a half-written
 * cache object is worse than a clean stop), and arenas for objects freed all at once. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsc/vsc_mem.h"

void vsc_out_of_memory(void) {
  fputs("vsc: out of memory\n", stderr);
  abort();
}

void *vsc_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) vsc_out_of_memory();
  return p;
}

void *vsc_xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (!p) vsc_out_of_memory();
  return p;
}

void *vsc_xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) vsc_out_of_memory();
  return p;
}

char *vsc_xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(vsc_xmalloc(n), s, n);
}

/* A chain of blocks; big requests get a block of their own. */
typedef struct arena_block {
  struct arena_block *next;
  size_t used, cap;
  max_align_t data[];
} arena_block;

struct vsc_arena {
  arena_block *head;
};

enum { ARENA_BLOCK = 64 * 1024 };

vsc_arena *vsc_arena_new(void) {
  vsc_arena *a = vsc_xmalloc(sizeof *a);
  a->head = NULL;
  return a;
}

void vsc_arena_free(vsc_arena *a) {
  if (!a) return;
  for (arena_block *b = a->head, *next; b; b = next) {
    next = b->next;
    free(b);
  }
  free(a);
}

void *vsc_arena_alloc(vsc_arena *a, size_t size) {
  size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
  arena_block *b = a->head;
  if (!b || b->cap - b->used < size) {
    size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;
    b = vsc_xmalloc(sizeof *b + cap);
    b->used = 0;
    b->cap = cap;
    /* Keep a partly used head in front when the new block is a one-off big one. */
    if (a->head && size > ARENA_BLOCK) {
      b->next = a->head->next;
      a->head->next = b;
    } else {
      b->next = a->head;
      a->head = b;
    }
  }
  void *p = (char *)b->data + b->used;
  b->used += size;
  memset(p, 0, size);
  return p;
}

char *vsc_arena_strndup(vsc_arena *a, const char *s, size_t n) {
  char *p = vsc_arena_alloc(a, n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

char *vsc_arena_strdup(vsc_arena *a, const char *s) { return vsc_arena_strndup(a, s, strlen(s)); }

char *vsc_arena_printf(vsc_arena *a, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *p = vsc_arena_alloc(a, (size_t)n + 1);
  vsnprintf(p, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  return p;
}
