/*
** match.c — keyword matching on the reader (rules.h): words at word boundaries, unused
** spans, numbers written as digits or words, units after a number.
*/
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "rules/rules.h"

/* Is byte i part of a word (ASCII letter or digit, or any UTF-8 byte)? */
bool fe_is_wb(const fe_reader *r, size_t i) { return i < r->n && fe_is_word_byte((unsigned char)r->w[i]); }

/* Is keyword `kw` at offset i, with word boundaries (unless it starts or ends with a
 * non-ASCII byte: CJK words have no spaces)? */
bool fe_kw_at(const fe_reader *r, size_t i, const char *kw) {
  size_t k = strlen(kw);
  if (i + k > r->n || memcmp(r->w + i, kw, k) != 0) return false;
  bool cjk_start = (unsigned char)kw[0] >= 0x80, cjk_end = (unsigned char)kw[k - 1] >= 0x80;
  if (!cjk_start && i > 0 && fe_is_wb(r, i - 1)) return false;
  if (!cjk_end && fe_is_wb(r, i + k)) return false;
  return true;
}

/* The first occurrence of kw in [from, to) with boundaries, or SIZE_MAX. */
size_t fe_find_kw(const fe_reader *r, size_t from, size_t to, const char *kw) {
  size_t k = strlen(kw);
  for (size_t i = from; i + k <= to; i++)
    if (r->w[i] == kw[0] && fe_kw_at(r, i, kw)) return i;
  return SIZE_MAX;
}

/* True when no byte of [a, b) was consumed yet. */
bool fe_any_unused(const fe_reader *r, size_t a, size_t b) {
  for (size_t i = a; i < b; i++)
    if (r->used[i]) return false;
  return true;
}

/* Consumes [a, b): later extractors and the leftover description skip it. */
void fe_mark(fe_reader *r, size_t a, size_t b) {
  if (b > r->n) b = r->n;
  for (size_t i = a; i < b; i++) r->used[i] = 1;
}

/* Finds the earliest keyword of a NULL-terminated list in [from, to) that is not used yet;
 * sets *which and *len. Returns the offset or SIZE_MAX. */
size_t fe_find_any(const fe_reader *r, size_t from, size_t to, const char *const *kws, int *which,
                   size_t *len) {
  size_t best = SIZE_MAX;
  for (int k = 0; kws[k]; k++) {
    size_t at = from;
    for (;;) {
      size_t p = fe_find_kw(r, at, to, kws[k]);
      if (p == SIZE_MAX || p >= best) break;
      if (fe_any_unused(r, p, p + strlen(kws[k]))) {
        best = p;
        if (which) *which = k;
        if (len) *len = strlen(kws[k]);
        break;
      }
      at = p + 1;
    }
  }
  return best;
}

/* The first byte at or after i that is not a space or a tab. */
size_t fe_skip_spaces(const fe_reader *r, size_t i) {
  while (i < r->n && (r->w[i] == ' ' || r->w[i] == '\t')) i++;
  return i;
}

/* A number at i: digits (with . or , decimals) or a number word. Sets *end. */
bool fe_number_at(const fe_reader *r, size_t i, double *v, size_t *end, bool *word) {
  if (i > 0 && fe_is_wb(r, i - 1) && (unsigned char)r->w[i - 1] < 0x80) return false;
  if (isdigit((unsigned char)r->w[i])) {
    size_t j = i;
    double x = 0;
    while (j < r->n && isdigit((unsigned char)r->w[j])) x = x * 10 + (r->w[j++] - '0');
    if (j + 1 < r->n && (r->w[j] == '.' || r->w[j] == ',') && isdigit((unsigned char)r->w[j + 1])) {
      double scale = 0.1;
      j++;
      while (j < r->n && isdigit((unsigned char)r->w[j])) {
        x += scale * (r->w[j++] - '0');
        scale /= 10;
      }
    }
    *v = x;
    *end = j;
    *word = false;
    return true;
  }
  for (size_t k = 0; fe_words_time_numbers[k].w; k++) {
    if (fe_kw_at(r, i, fe_words_time_numbers[k].w)) {
      *v = fe_words_time_numbers[k].v;
      *end = i + strlen(fe_words_time_numbers[k].w);
      *word = true;
      return true;
    }
  }
  return false;
}

/* A unit right after a number: no word boundary needed before it ("30s"), one after it
 * unless it is CJK. */
bool fe_unit_at(const fe_reader *r, size_t u, const char *unit) {
  size_t k = strlen(unit);
  if (u + k > r->n || memcmp(r->w + u, unit, k) != 0) return false;
  return (unsigned char)unit[k - 1] >= 0x80 || !fe_is_wb(r, u + k);
}
