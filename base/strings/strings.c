/* Words and characters: "did you mean" by edit distance, and UTF-8 character counts. */
#include <string.h>

#include "vsc/vsc_strings.h"

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
  int limit = wl <= 3 ? 1 : wl <= 6 ? 2
                                    : 3;
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

size_t vsc_utf8_length(const char *s) {
  size_t n = 0;
  for (const unsigned char *c = (const unsigned char *)s; *c; c++)
    if ((*c & 0xC0) != 0x80) n++;
  return n;
}
