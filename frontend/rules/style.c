/*
** style.c — the look: mood and look words ("cozy", "noir", "neon", "corporate") choose a
** std/styles name (words/style_moods.def), and transition words ("hard cuts", "dissolves")
** choose the transition between scenes.
*/
#include <stdint.h>
#include <string.h>

#include "rules/rules.h"

#define MAX_STYLES 32

/* Each mood word scores for its style; a style name typed as such scores 3. The highest
 * score wins; a tie goes to the style named first. */
void fe_read_style(fe_reader *r) {
  const char *const *names = fe_words_style_names;
  int nnames = 0;
  while (names[nnames] && nnames < MAX_STYLES) nnames++;
  int score[MAX_STYLES] = {0};
  size_t first[MAX_STYLES];
  for (int k = 0; k < nnames; k++) first[k] = SIZE_MAX;
  for (size_t m = 0; fe_words_style_moods[m].kw; m++) {
    int k = 0;
    while (k < nnames && strcmp(names[k], fe_words_style_moods[m].style) != 0) k++;
    if (k == nnames) continue;
    for (size_t at = 0;;) {
      size_t p = fe_find_kw(r, at, r->n, fe_words_style_moods[m].kw);
      if (p == SIZE_MAX) break;
      score[k]++;
      if (p < first[k]) first[k] = p;
      at = p + 1;
    }
  }
  for (int k = 0; k < nnames; k++) {
    size_t p = fe_find_kw(r, 0, r->n, names[k]);
    if (p != SIZE_MAX) {
      score[k] += 3;
      if (p < first[k]) first[k] = p;
      fe_mark(r, p, p + strlen(names[k]));
    }
  }
  int best = -1;
  for (int k = 0; k < nnames; k++)
    if (score[k] && (best < 0 || score[k] > score[best] || (score[k] == score[best] && first[k] < first[best])))
      best = k;
  if (best >= 0) r->f->style = names[best];
}

/* Every transition word is consumed; the earliest in the request wins. */
void fe_read_transition(fe_reader *r) {
  const fe_named_word *T = fe_words_style_transitions;
  size_t best = SIZE_MAX;
  for (size_t k = 0; T[k].kw; k++) {
    size_t p = fe_find_kw(r, 0, r->n, T[k].kw);
    if (p == SIZE_MAX) continue;
    fe_mark(r, p, p + strlen(T[k].kw));
    if (p < best) {
      best = p;
      r->f->transition = T[k].name;
    }
  }
}
