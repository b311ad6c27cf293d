/*
** timing.c — lengths: every "30 seconds", "45s", "1 min 30 s", "half a minute",
** "20 segundos", "30秒" in the request, and whether the words around it make it the video's
** length ("a 30 second ad", "length 30s") or a scene's.
*/
#include <stdint.h>
#include <string.h>

#include "rules/rules.h"

/* "'90s", "the 80s", "70s style": a decade, not a length. */
static bool is_decade(const fe_reader *r, size_t i, size_t e, double v) {
  if (e >= r->n || r->w[e] != 's' || fe_is_wb(r, e + 1) || v < 10 || v > 90 || (int)v % 10) return false;
  if (i > 0 && r->w[i - 1] == '\'') return true;
  if (i >= 3 && strncmp(r->w + i - 3, "\xe2\x80\x99", 3) == 0) return true; /* ’ */
  if (i >= 4 && strncmp(r->w + i - 4, "the ", 4) == 0) return true;
  static const char *const AFTER[] = {"style", "vibe", "vibes", "look", "aesthetic", "era", "retro", "fashion", NULL};
  size_t a = fe_skip_spaces(r, e + 1);
  for (int k = 0; AFTER[k]; k++)
    if (fe_kw_at(r, a, AFTER[k])) return true;
  return false;
}

/* Every "N seconds"/"N min" in the request. */
int fe_read_lengths(fe_reader *r, fe_length *hits, int max) {
  int n = 0;
  for (size_t i = 0; i < r->n && n < max; i++) {
    double v;
    size_t e;
    bool word;
    if (r->used[i] || !fe_number_at(r, i, &v, &e, &word)) continue;
    if (!word && is_decade(r, i, e, v)) {
      i = e;
      continue;
    }
    size_t u = e;
    if (u < r->n && (r->w[u] == ' ' || r->w[u] == '-')) u++;
    double mult = 0;
    size_t ul = 0;
    for (int k = 0; fe_words_time_seconds[k] && !mult; k++)
      if (fe_unit_at(r, u, fe_words_time_seconds[k])) {
        /* "a second" is an idiom, "5s" is seconds. */
        if (word && v <= 1) break;
        mult = 1;
        ul = strlen(fe_words_time_seconds[k]);
      }
    for (int k = 0; fe_words_time_minutes[k] && !mult; k++)
      if (fe_unit_at(r, u, fe_words_time_minutes[k])) {
        mult = 60;
        ul = strlen(fe_words_time_minutes[k]);
      }
    for (int k = 0; fe_words_time_hours[k] && !mult; k++)
      if (fe_unit_at(r, u, fe_words_time_hours[k])) {
        mult = 3600;
        ul = strlen(fe_words_time_hours[k]);
      }
    /* "half a minute": the number is "half a", the unit "minute". */
    if (!mult || v <= 0) {
      i = e > i ? e - 1 : i;
      continue;
    }
    /* "1 min 30 s" */
    size_t b = u + ul;
    double secs = v * mult;
    if (mult == 60) {
      size_t j = fe_skip_spaces(r, b);
      double v2;
      size_t e2;
      bool w2;
      if (j < r->n && fe_number_at(r, j, &v2, &e2, &w2) && !w2) {
        size_t u2 = e2 < r->n && r->w[e2] == ' ' ? e2 + 1 : e2;
        for (int k = 0; fe_words_time_seconds[k]; k++)
          if (fe_unit_at(r, u2, fe_words_time_seconds[k])) {
            secs += v2;
            b = u2 + strlen(fe_words_time_seconds[k]);
            break;
          }
      }
    }
    fe_length *h = &hits[n++];
    h->seconds = secs;
    h->a = i;
    h->b = b;
    /* Followed by a video noun (skipping "-" and "long"), or led by a length word. */
    size_t j = b;
    h->global = false;
    for (int words = 0; words < 3 && j < r->n; words++) {
      while (j < r->n && (r->w[j] == ' ' || r->w[j] == '-')) j++;
      for (int k = 0; fe_words_time_video_nouns[k]; k++)
        if (fe_kw_at(r, j, fe_words_time_video_nouns[k])) h->global = true;
      while (j < r->n && fe_is_wb(r, j)) j++;
    }
    size_t from = i > 16 ? i - 16 : 0;
    for (int k = 0; fe_words_time_length_leads[k]; k++) {
      size_t p = fe_find_kw(r, from, i, fe_words_time_length_leads[k]);
      if (p != SIZE_MAX && strcmp(fe_words_time_length_leads[k], "in") != 0) h->global = true;
    }
    i = b - 1;
  }
  return n;
}
