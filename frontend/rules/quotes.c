/*
** quotes.c — the quoted lines of a request and what each one is. Reads every quoted line
** (in the quoting styles of words/quote_pairs.def), "Voiceover: line" labels without quotes,
** and the role keyword before each quote (voice, title, caption, tagline, plain text).
** Each quote becomes a marker in the reader, so later extractors see one token.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

/* Replaces s[a, b) by a marker for a new quote holding `text` (owned). */
static void add_quote(fe_reader *r, size_t a, size_t b, char *text) {
  fe_squeeze(text, NULL);
  if (!*text || r->nq >= MAX_QUOTES || b - a < 2) {
    if (r->nq >= MAX_QUOTES) vsc_prompt_notes_add(r->notes, "more than %d quoted lines: the rest were ignored", MAX_QUOTES);
    free(text);
    memset(r->s + a, ' ', b - a);
    memset(r->w + a, ' ', b - a);
    return;
  }
  fe_quote *q = &r->q[r->nq];
  q->text = text;
  q->role = ROLE_NONE;
  q->pos = a;
  q->taken = false;
  memset(r->s + a, ' ', b - a);
  r->s[a] = MARK;
  r->s[a + 1] = (char)(0x80 + r->nq);
  memcpy(r->w + a, r->s + a, b - a);
  r->nq++;
}

/* Every quoted line, in any pair of words/quote_pairs.def, becomes a quote marker. */
void fe_read_quotes(fe_reader *r) {
  for (size_t i = 0; i < r->n; i++) {
    for (size_t k = 0; fe_words_quote_pairs[k].open; k++) {
      size_t ol = strlen(fe_words_quote_pairs[k].open);
      if (strncmp(r->s + i, fe_words_quote_pairs[k].open, ol) != 0) continue;
      /* Closing quote: the pair's own, or (for typographic quotes) a straight one. */
      const char *close = strstr(r->s + i + ol, fe_words_quote_pairs[k].close);
      if (k == 1) {
        const char *alt = strstr(r->s + i + ol, "\xe2\x80\x9c"); /* “…“ typed twice */
        if (!close || (alt && alt < close)) close = alt;
      }
      if (!close) continue;
      size_t cl = strlen(fe_words_quote_pairs[k].close);
      size_t a = i, b = (size_t)(close - r->s) + cl;
      /* A straight quote that spans lines is probably a stray inch mark. */
      if (k == 0 && memchr(r->s + a + 1, '\n', b - a - 2)) continue;
      add_quote(r, a, b, fe_strndup(r->s + a + ol, b - a - ol - cl));
      i = b - 1;
      break;
    }
  }
}

static bool is_filler_word(const char *w, size_t n) {
  for (int i = 0; fe_words_quote_filler[i]; i++)
    if (strlen(fe_words_quote_filler[i]) == n && memcmp(fe_words_quote_filler[i], w, n) == 0) return true;
  return false;
}

/* Marks the filler words that end just before `end` (walking backwards). */
static void mark_filler_before(fe_reader *r, size_t start_limit, size_t end) {
  size_t i = end;
  for (;;) {
    size_t e = i;
    while (e > start_limit && (r->w[e - 1] == ' ' || r->w[e - 1] == ',' || r->w[e - 1] == ':')) e--;
    size_t b = e;
    while (b > start_limit && fe_is_word_byte((unsigned char)r->w[b - 1]) && (unsigned char)r->w[b - 1] < 0x80) b--;
    if (b == e || !is_filler_word(r->w + b, e - b)) {
      fe_mark(r, e, i);
      return;
    }
    fe_mark(r, b, i);
    i = b;
  }
}

/* Decides each quote's role from the words just before it (and "on screen" just after). */
void fe_read_quote_roles(fe_reader *r) {
  for (int k = 0; k < r->nq; k++) {
    fe_quote *q = &r->q[k];
    size_t from = q->pos > 48 ? q->pos - 48 : 0;
    /* Do not look back past the previous quote or a line break. */
    for (size_t i = q->pos; i > from; i--)
      if (r->w[i - 1] == '\n' || ((unsigned char)r->w[i - 1] >= 0x80 && i >= 2 && r->w[i - 2] == MARK)) {
        from = i;
        break;
      }
    size_t best_end = 0, best_at = 0;
    int role = ROLE_NONE;
    for (size_t j = 0; fe_words_quote_roles[j].kw; j++) {
      size_t at = from;
      for (;;) {
        size_t p = fe_find_kw(r, at, q->pos, fe_words_quote_roles[j].kw);
        if (p == SIZE_MAX) break;
        size_t e = p + strlen(fe_words_quote_roles[j].kw);
        if (e > best_end || (e == best_end && role == ROLE_NONE)) {
          best_end = e;
          best_at = p;
          role = fe_words_quote_roles[j].role;
        }
        at = p + 1;
      }
    }
    /* 'say "Buy now" on screen' is on-screen text. */
    size_t after = fe_skip_spaces(r, q->pos + 2);
    while (after < r->n && r->w[after] == ' ') after++;
    if (fe_find_kw(r, after, after + 10 < r->n ? after + 10 : r->n, "on screen") == after ||
        fe_find_kw(r, after, after + 10 < r->n ? after + 10 : r->n, "on-screen") == after) {
      if (role == ROLE_VOICE || role == ROLE_NONE) role = FE_TEXT_PLAIN;
      fe_mark(r, after, after + 9);
    }
    /* Only words between the keyword and the quote: otherwise it was not about this quote. */
    if (role != ROLE_NONE) {
      size_t gap = best_end;
      bool near = true;
      while (gap < q->pos) {
        while (gap < q->pos && !fe_is_word_byte((unsigned char)r->w[gap])) gap++;
        size_t e = gap;
        while (e < q->pos && fe_is_word_byte((unsigned char)r->w[e]) && (unsigned char)r->w[e] < 0x80) e++;
        if (e == gap) break;
        if (!is_filler_word(r->w + gap, e - gap)) near = false;
        gap = e;
      }
      if (!near) role = ROLE_NONE;
    }
    if (role != ROLE_NONE) {
      /* "ending with the tagline" etc.: an end text; "with the title" stays a title. */
      fe_mark(r, best_at, q->pos);
      mark_filler_before(r, from, best_at);
    }
    q->role = role;
  }
}

/* "voiceover: Wake up." and "text: LUMEN" without quotes: the rest of the line. */
void fe_read_colon_lines(fe_reader *r) {
  for (size_t i = 0; i < r->n; i++) {
    for (size_t k = 0; fe_words_quote_colon_roles[k].kw; k++) {
      if (r->w[i] != fe_words_quote_colon_roles[k].kw[0] || !fe_kw_at(r, i, fe_words_quote_colon_roles[k].kw)) continue;
      size_t c = fe_skip_spaces(r, i + strlen(fe_words_quote_colon_roles[k].kw));
      if (c >= r->n || r->w[c] != ':') continue;
      size_t a = fe_skip_spaces(r, c + 1);
      if (a >= r->n || r->w[a] == MARK || r->w[a] == '\n') continue;
      size_t b = a;
      while (b < r->n && r->w[b] != '\n' && r->w[b] != MARK) b++;
      /* Stop before the next "keyword:" on the same line. */
      for (size_t j = a + 1; j < b; j++) {
        bool stop = false;
        for (size_t m = 0; fe_words_quote_colon_roles[m].kw && !stop; m++) {
          if (r->w[j] != fe_words_quote_colon_roles[m].kw[0] || !fe_kw_at(r, j, fe_words_quote_colon_roles[m].kw)) continue;
          size_t cc = fe_skip_spaces(r, j + strlen(fe_words_quote_colon_roles[m].kw));
          if (cc < b && r->w[cc] == ':') stop = true;
        }
        if (stop) {
          b = j;
          break;
        }
      }
      if (b - a < 2 || r->nq >= MAX_QUOTES) continue;
      char *text = fe_strndup(r->s + a, b - a);
      fe_squeeze(text, " ,;");
      int idx = r->nq;
      add_quote(r, a, b, text);
      if (r->nq > idx) {
        r->q[idx].role = fe_words_quote_colon_roles[k].role;
        fe_mark(r, i, a);
      }
      i = b;
      break;
    }
  }
}

