/*
** money.c — what the request may spend: the budget ("under $5", "5 dollars max") and the
** quality tier ("premium", "draft").
*/
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

/* The budget: a dollar amount with a budget word before or after it ("under $5", "$5
 * max"), else the only dollar amount. --budget wins, with a note. */
void fe_read_budget(fe_reader *r) {
  const char *const *LEADS = fe_words_budget_leads, *const *TAILS = fe_words_budget_tails;
  double amounts[16];
  size_t at[16], ends[16];
  bool ctx[16];
  int n = 0;
  for (size_t i = 0; i < r->n && n < 16; i++) {
    size_t a = i, j = i;
    bool dollar = false;
    if (r->w[i] == '$') dollar = true, j = i + 1;
    else if (strncmp(r->w + i, "us$", 3) == 0 && !(i && fe_is_wb(r, i - 1))) dollar = true, j = i + 3;
    else if (strncmp(r->w + i, "usd ", 4) == 0 && !(i && fe_is_wb(r, i - 1))) dollar = true, j = i + 4;
    if (!isdigit((unsigned char)r->w[j]) || (!dollar && i && (fe_is_wb(r, i - 1) || r->w[i - 1] == '.'))) continue;
    char *end;
    double v = strtod(r->w + j, &end);
    size_t e = (size_t)(end - r->w);
    if (e < r->n && (r->w[e] == 'k')) v *= 1000, e++;
    if (!dollar) {
      size_t u = fe_skip_spaces(r, e);
      if (fe_kw_at(r, u, "dollars")) e = u + 7, dollar = true;
      else if (fe_kw_at(r, u, "dollar")) e = u + 6, dollar = true;
      else if (fe_kw_at(r, u, "usd")) e = u + 3, dollar = true;
      else if (u < r->n && r->w[u] == '$') e = u + 1, dollar = true;
    }
    if (!dollar) {
      i = e > i ? e - 1 : i;
      continue;
    }
    amounts[n] = v;
    at[n] = a;
    ends[n] = e;
    ctx[n] = false;
    size_t from = a > 24 ? a - 24 : 0;
    for (int k = 0; LEADS[k]; k++)
      if (fe_find_kw(r, from, a, LEADS[k]) != SIZE_MAX) ctx[n] = true;
    size_t to = e + 16 < r->n ? e + 16 : r->n;
    for (int k = 0; TAILS[k]; k++)
      if (fe_find_kw(r, e, to, TAILS[k]) != SIZE_MAX) ctx[n] = true;
    n++;
    i = e - 1;
  }
  int pick = -1;
  for (int k = 0; k < n && pick < 0; k++)
    if (ctx[k]) pick = k;
  if (pick < 0 && n == 1) pick = 0;
  if (pick >= 0) {
    r->f->budget = amounts[pick];
    fe_mark(r, at[pick], ends[pick]);
    /* the lead words go too ("under", "budget of") */
    size_t from = at[pick] > 24 ? at[pick] - 24 : 0;
    for (int k = 0; LEADS[k]; k++) {
      size_t p = fe_find_kw(r, from, at[pick], LEADS[k]);
      if (p != SIZE_MAX) fe_mark(r, p, at[pick]);
    }
    size_t to = ends[pick] + 16 < r->n ? ends[pick] + 16 : r->n;
    for (int k = 0; TAILS[k]; k++) {
      size_t p = fe_find_kw(r, ends[pick], to, TAILS[k]);
      if (p != SIZE_MAX) fe_mark(r, ends[pick], p + strlen(TAILS[k]));
    }
  }
  if (r->o->budget >= 0) {
    if (r->f->budget >= 0 && fabs(r->f->budget - r->o->budget) > 1e-9)
      vsc_prompt_notes_add(r->notes, "--budget $%.2f wins over the $%.2f in the request", r->o->budget, r->f->budget);
    r->f->budget = r->o->budget;
  }
}

/* The tier: the earlier of a final word ("premium") and a draft word ("cheap"). */
void fe_read_quality(fe_reader *r) {
  int w;
  size_t len;
  size_t pf = fe_find_any(r, 0, r->n, fe_words_quality_final, &w, &len), lf = len;
  size_t pd = fe_find_any(r, 0, r->n, fe_words_quality_draft, &w, &len), ld = len;
  if (pf != SIZE_MAX && (pd == SIZE_MAX || pf < pd)) {
    r->f->quality = "final";
    fe_mark(r, pf, pf + lf);
  } else if (pd != SIZE_MAX) {
    r->f->quality = "draft";
    fe_mark(r, pd, pd + ld);
  }
}
