/* Small shared pieces of the compiler: an arena, a growable string, files, hashing. */
#ifndef VSC_UTIL_H
#define VSC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VSC_INTERNAL __attribute__((visibility("hidden")))

/* ---- arena: every AST/checker object lives here and is freed at once ---- */
typedef struct vsc_arena vsc_arena;
vsc_arena *vsc_arena_new(void);
void vsc_arena_free(vsc_arena *a);
/* Zeroed memory that lives as long as the arena. Aborts on out-of-memory. */
void *vsc_arena_alloc(vsc_arena *a, size_t size);
char *vsc_arena_strndup(vsc_arena *a, const char *s, size_t n);
char *vsc_arena_strdup(vsc_arena *a, const char *s);
char *vsc_arena_printf(vsc_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- heap helpers that abort on out-of-memory ---- */
void *vsc_xmalloc(size_t n);
void *vsc_xrealloc(void *p, size_t n);
char *vsc_xstrdup(const char *s);

/* ---- growable string (heap) ---- */
typedef struct {
  char *s;
  size_t len, cap;
} vsc_buf;
void vsc_buf_append(vsc_buf *b, const char *s, size_t n);
void vsc_buf_puts(vsc_buf *b, const char *s);
void vsc_buf_printf(vsc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vsc_buf_free(vsc_buf *b);

/* Reads a whole file, NUL-terminated. Returns a malloc'd buffer or NULL (errno set). */
char *vsc_read_file(const char *path, size_t *len);

/* Hex SHA-256 of bytes / of a file's contents. The file form returns -1 if unreadable. */
void vsc_util_sha256_hex(const void *data, size_t len, char out[65]);
int vsc_util_sha256_file(const char *path, char out[65]);

/* Levenshtein distance, for "did you mean" hints. */
int vsc_edit_distance(const char *a, const char *b);
/* The closest of `n` candidates to `word`, or NULL if none is close enough. */
const char *vsc_closest(const char *word, const char *const *candidates, size_t n);

/* Rounds to the microsecond, so times print the same everywhere. */
double vsc_round_us(double t);
/* Characters (code points) of a UTF-8 string: what per-character prices count. */
size_t vsc_utf8_length(const char *s);

#endif
