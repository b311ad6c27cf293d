/* Memory (base). The one out-of-memory policy of vsc: report it and abort. A build that runs
 * out of memory stops cleanly (nothing half-written is ever published: cache objects and
 * outputs are renamed into place only when whole), rather than every caller inventing a
 * recovery that is never tested. */
#ifndef VSC_MEM_H
#define VSC_MEM_H

#include <stddef.h>

/* Prints "vsc: out of memory" and aborts. */
_Noreturn void vsc_out_of_memory(void);

/* malloc, calloc, realloc, strdup that never return NULL. Size 0 is a valid, freeable block. */
void *vsc_xmalloc(size_t n);
void *vsc_xcalloc(size_t n, size_t size);
void *vsc_xrealloc(void *p, size_t n);
char *vsc_xstrdup(const char *s);

/* An arena: objects that live and die together (a compile's AST, specs and strings). */
typedef struct vsc_arena vsc_arena;
vsc_arena *vsc_arena_new(void);
void vsc_arena_free(vsc_arena *a);
/* Zeroed memory that lives as long as the arena. */
void *vsc_arena_alloc(vsc_arena *a, size_t size);
char *vsc_arena_strndup(vsc_arena *a, const char *s, size_t n);
char *vsc_arena_strdup(vsc_arena *a, const char *s);
char *vsc_arena_printf(vsc_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
