#include "util/util.h"

#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(void) {
  fputs("vsc: out of memory\n", stderr);
  abort();
}

void *vsc_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) out_of_memory();
  return p;
}

void *vsc_xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (!p) out_of_memory();
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

char *vsc_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  vsc_buf b = {0};
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) vsc_buf_append(&b, chunk, n);
  int failed = ferror(f);
  fclose(f);
  if (failed) {
    vsc_buf_free(&b);
    errno = EIO;
    return NULL;
  }
  if (!b.s) vsc_buf_append(&b, "", 0);
  if (len) *len = b.len;
  return b.s;
}

static void to_hex(const unsigned char *md, char out[65]) {
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < 32; i++) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 15];
  }
  out[64] = 0;
}

void vsc_util_sha256_hex(const void *data, size_t len, char out[65]) {
  unsigned char md[32];
  unsigned int mdlen = 0;
  EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
  to_hex(md, out);
}

int vsc_util_sha256_file(const char *path, char out[65]) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) EVP_DigestUpdate(ctx, chunk, n);
  int failed = ferror(f);
  fclose(f);
  unsigned char md[32];
  unsigned int mdlen = 0;
  EVP_DigestFinal_ex(ctx, md, &mdlen);
  EVP_MD_CTX_free(ctx);
  if (failed) return -1;
  to_hex(md, out);
  return 0;
}

int vsc_edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return 99;
  int row[65];
  for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
  for (size_t i = 1; i <= la; i++) {
    int prev = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= lb; j++) {
      int cur = row[j];
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      int best = prev + cost;
      if (row[j] + 1 < best) best = row[j] + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      prev = cur;
    }
  }
  return row[lb];
}

const char *vsc_closest(const char *word, const char *const *candidates, size_t n) {
  const char *best = NULL;
  int best_d = 99;
  size_t wl = strlen(word);
  int limit = wl <= 3 ? 1 : wl <= 6 ? 2 : 3;
  for (size_t i = 0; i < n; i++) {
    if (!candidates[i]) continue;
    int d = vsc_edit_distance(word, candidates[i]);
    if (d < best_d) {
      best_d = d;
      best = candidates[i];
    }
  }
  return best_d <= limit ? best : NULL;
}

double vsc_round_us(double t) { return round(t * 1e6) / 1e6; }

size_t vsc_utf8_length(const char *s) {
  size_t n = 0;
  for (const unsigned char *c = (const unsigned char *)s; *c; c++)
    if ((*c & 0xC0) != 0x80) n++;
  return n;
}
