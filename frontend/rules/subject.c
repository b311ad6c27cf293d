/*
** subject.c — the genre ("ad", "music video", "explainer") and the subject ("an ad for
** X", "a video about X").
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

/* The genre decides the preset for a music video or an explainer, and the title's noun. */
void fe_read_genre(fe_reader *r) {
  fe_facts *f = r->f;
  int w;
  size_t len, p;
  f->genre = "video";
  if ((p = fe_find_any(r, 0, r->n, fe_words_genre_music_video, &w, &len)) != SIZE_MAX) {
    f->preset = "music_video";
    f->genre = "music video";
    fe_mark(r, p, p + len);
  } else if ((p = fe_find_any(r, 0, r->n, fe_words_genre_explainer, &w, &len)) != SIZE_MAX) {
    f->preset = "explainer";
    f->genre = "explainer";
  } else if (fe_find_any(r, 0, r->n, fe_words_genre_ad, &w, &len) != SIZE_MAX) {
    f->genre = "ad";
  } else if (strcmp(f->preset, "social_vertical") == 0) {
    f->genre = "clip";
  }
}

/* "an ad for X", "a video about X": the words after the lead, up to a comma or a fact. */
char *fe_read_subject(fe_reader *r, size_t a, size_t b) {
  for (size_t at = a; at < b;) {
    int w;
    size_t len, p = fe_find_any(r, at, b, fe_words_subject_leads, &w, &len);
    if (p == SIZE_MAX) break;
    /* Only after a genre noun or at the start of the clause. */
    bool after_noun = false;
    size_t from = p > a + 40 ? p - 40 : a;
    for (int k = 0; fe_words_genre_nouns[k]; k++)
      if (fe_find_kw(r, from, p, fe_words_genre_nouns[k]) != SIZE_MAX) after_noun = true;
    size_t s0 = fe_skip_spaces(r, p + len);
    if (!after_noun || s0 >= b || r->used[s0] || (unsigned char)r->w[s0] == MARK) {
      at = p + len;
      continue;
    }
    size_t e = s0;
    while (e < b && !r->used[e] && r->w[e] != ',' && r->w[e] != '.' && r->w[e] != ';' && r->w[e] != ':' &&
           r->w[e] != '\n' && r->w[e] != '!' && r->w[e] != '?' && (unsigned char)r->w[e] != MARK &&
           strncmp(r->w + e, "\xef\xbc\x8c", 3) != 0 && strncmp(r->w + e, "\xe3\x80\x82", 3) != 0)
      e++;
    for (int k = 0; fe_words_subject_ends[k]; k++) {
      const char *x = strstr(r->w + s0, fe_words_subject_ends[k]);
      if (x && (size_t)(x - r->w) < e) e = (size_t)(x - r->w);
    }
    char *d = fe_strndup(r->s + s0, e - s0);
    fe_squeeze(d, " ,;:.!?-");
    if (fe_content_words(d) > 0) {
      fe_mark(r, p, e);
      return d;
    }
    free(d);
    at = p + len;
  }
  return NULL;
}
