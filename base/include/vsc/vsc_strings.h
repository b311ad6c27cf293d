/* Words and characters (base). */
#ifndef VSC_STRINGS_H
#define VSC_STRINGS_H

#include <stddef.h>

/* Levenshtein distance, for "did you mean" hints (99 for words over 64 bytes). */
int vsc_edit_distance(const char *a, const char *b);
/* The closest of `n` candidates to `word`, or NULL if none is close enough. */
const char *vsc_closest(const char *word, const char *const *candidates, size_t n);
/* Characters (code points) of a UTF-8 string: what per-character prices count. */
size_t vsc_utf8_length(const char *s);

#endif
