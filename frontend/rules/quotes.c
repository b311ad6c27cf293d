/*
** quotes.c — the quoted lines of a request and what each one is. Reads every quoted line
** (in the quoting styles of words/quote_pairs.def), "Voiceover: line" labels without quotes,
** and the role keyword before each quote (voice, title, caption, tagline, plain text).
** Each quote becomes a marker in the reader, so later extractors see one token.
*/
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

/* Replaces s[a, b) by a marker for a new quote holding `text` (owned). A quote over the
 * limit is kept aside as unplaced, so the placement check reports it. */
static void add_quote(fe_reader *r, size_t a, size_t b, char *text) {
  fe_squeeze(text, NULL);
  if (!*text || r->nq >= MAX_QUOTES || b - a < 2) {
    if (*text && r->nq >= MAX_QUOTES) fe_facts_state_line(r->f, text, FE_TEXT_PLAIN);
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

static bool ascii_alnum(unsigned char c) { return c < 0x80 && isalnum(c); }

/* An apostrophe-like mark at i opens a quote after a non-letter and before a non-space. */
static bool apos_opens(const fe_reader *r, size_t i, size_t ol) {
  if (i > 0 && ascii_alnum((unsigned char)r->s[i - 1])) return false;
  /* "'90s" is a decade, not a quote. */
  size_t d = i + ol;
  while (d < r->n && isdigit((unsigned char)r->s[d])) d++;
  if (d > i + ol && d < r->n && r->w[d] == 's') return false;
  return i + ol < r->n && !isspace((unsigned char)r->s[i + ol]);
}

/* ... and closes one after a non-space and before a non-letter ("kids' toys" closes, "don't"
 * does not). */
static bool apos_closes(const fe_reader *r, size_t j, size_t cl) {
  if (j == 0 || isspace((unsigned char)r->s[j - 1])) return false;
  return j + cl >= r->n || !ascii_alnum((unsigned char)r->s[j + cl]);
}

/* The length of the mark of `alts` (space-separated, may be NULL) at j, or 0. */
static size_t also_closes_at(const fe_reader *r, size_t j, const char *alts) {
  for (const char *a = alts; a && *a;) {
    size_t n = strcspn(a, " ");
    if (n && strncmp(r->s + j, a, n) == 0) return n;
    a += n;
    if (*a) a++;
  }
  return 0;
}

/* Where the quote opened at i by pair p ends (the offset of its closing mark, with *cl its
 * length), or SIZE_MAX. For QUOTE_APOS, *i moves to a later opener met before any closer
 * ("'90s look, text 'Hi'" quotes "Hi"). */
static size_t quote_end(const fe_reader *r, const fe_quote_pair *p, size_t *i, size_t *cl) {
  size_t ol = strlen(p->open), pl = strlen(p->close);
  for (size_t j = *i + ol; j < r->n; j++) {
    if (r->s[j] == '\n' && p->rule != QUOTE_PAIR) return SIZE_MAX;
    size_t len = strncmp(r->s + j, p->close, pl) == 0 ? pl : also_closes_at(r, j, p->also_closes);
    if (!len) continue;
    if (p->rule == QUOTE_APOS) {
      if (j > *i + ol && apos_closes(r, j, len)) {
        *cl = len;
        return j;
      }
      if (strcmp(p->open, p->close) == 0 ? apos_opens(r, j, ol) : false) *i = j;
      j += len - 1;
      continue;
    }
    *cl = len;
    return j;
  }
  return SIZE_MAX;
}

/* Every quoted line, in any pair of words/quote_pairs.def, becomes a quote marker. */
void fe_read_quotes(fe_reader *r) {
  for (size_t i = 0; i < r->n; i++) {
    for (size_t k = 0; fe_words_quote_pairs[k].open; k++) {
      const fe_quote_pair *p = &fe_words_quote_pairs[k];
      size_t ol = strlen(p->open);
      if (strncmp(r->s + i, p->open, ol) != 0) continue;
      if (p->rule == QUOTE_APOS && !apos_opens(r, i, ol)) continue;
      size_t a = i, cl = 0;
      size_t c = quote_end(r, p, &a, &cl);
      if (c == SIZE_MAX) continue;
      /* An apostrophe pair holds at least two letters ("rock 'n' roll" is no quote). */
      if (p->rule == QUOTE_APOS && c - (a + ol) < 2) continue;
      size_t b = c + cl;
      add_quote(r, a, b, fe_strndup(r->s + a + ol, c - a - ol));
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

/* Is [a, b) only spaces, punctuation and joining words, on one line? */
static bool only_glue(const fe_reader *r, size_t a, size_t b) {
  static const char *const JOIN[] = {"and", "then", "plus", "also", "y", "et", "und", NULL};
  for (size_t i = a; i < b;) {
    unsigned char c = (unsigned char)r->w[i];
    if (c == '\n') return false;
    if (c < 0x80 && !isalnum(c)) {
      i++;
      continue;
    }
    size_t e = i;
    while (e < b && (unsigned char)r->w[e] < 0x80 && isalpha((unsigned char)r->w[e])) e++;
    bool ok = false;
    for (int k = 0; !ok && JOIN[k]; k++)
      if (strlen(JOIN[k]) == e - i && memcmp(r->w + i, JOIN[k], e - i) == 0) ok = true;
    if (!ok) return false;
    i = e;
  }
  return true;
}

/* The role named just after a quote: "as"/"als"/"comme"/"como", an optional article,
 * and a role keyword. Consumes those words. */
static int role_after(fe_reader *r, const fe_quote *q) {
  static const char *const AS[] = {"as", "als", "comme", "como", "come", NULL};
  static const char *const ARTICLE[] = {"the", "a", "an", "der", "die", "das", "le", "la", "el", "il", NULL};
  size_t i = fe_skip_spaces(r, q->pos + 2), j = SIZE_MAX;
  for (int k = 0; AS[k] && j == SIZE_MAX; k++)
    if (fe_kw_at(r, i, AS[k])) j = fe_skip_spaces(r, i + strlen(AS[k]));
  if (j == SIZE_MAX) return ROLE_NONE;
  for (int k = 0; ARTICLE[k]; k++)
    if (fe_kw_at(r, j, ARTICLE[k])) {
      j = fe_skip_spaces(r, j + strlen(ARTICLE[k]));
      break;
    }
  for (size_t k = 0; fe_words_quote_roles[k].kw; k++) {
    const char *kw = fe_words_quote_roles[k].kw;
    /* Only nouns: "as the title", not "as it says". */
    if (fe_words_quote_roles[k].role == FE_TEXT_PLAIN && strcmp(kw, "text") != 0 && strcmp(kw, "on-screen text") != 0) continue;
    if (fe_kw_at(r, j, kw)) {
      fe_mark(r, i, j + strlen(kw));
      return fe_words_quote_roles[k].role;
    }
  }
  return ROLE_NONE;
}

/* Decides each quote's role from the words just before it (and "on screen" just after). */
void fe_read_quote_roles(fe_reader *r) {
  for (int k = 0; k < r->nq; k++) {
    fe_quote *q = &r->q[k];
    if (q->role != ROLE_NONE) continue; /* a labelled line (fe_read_colon_lines) */
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
        /* Words a role after an earlier quote consumed are not about this one. */
        if (!fe_any_unused(r, p, e)) {
          at = p + 1;
          continue;
        }
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
    /* '"Frisch gebacken" als Titel', '"Go further" as the voiceover': the role after. */
    if (role == ROLE_NONE) role = role_after(r, q);
    /* 'Voiceover: "a" "b" "c"': a quote that follows another with nothing but glue
     * between them is more of the same. */
    if (role == ROLE_NONE && k > 0 && r->q[k - 1].role != ROLE_NONE && only_glue(r, r->q[k - 1].pos + 2, q->pos)) {
      role = r->q[k - 1].role;
      fe_mark(r, r->q[k - 1].pos + 2, q->pos);
    }
    q->role = role;
  }
}

/* The body of a line that starts at i (ends at e) past a bullet or a list number, or i. */
static size_t bullet_body(const fe_reader *r, size_t i, size_t e) {
  i = fe_skip_spaces(r, i);
  if (i + 1 < e && strchr("-*+", r->w[i]) && r->w[i + 1] == ' ') return i + 2;
  if (i + 3 <= e && strncmp(r->w + i, "\xe2\x80\xa2", 3) == 0) return fe_skip_spaces(r, i + 3); /* • */
  size_t d = i;
  while (d < e && isdigit((unsigned char)r->w[d])) d++;
  if (d > i && d - i <= 2 && d + 1 < e && (r->w[d] == '.' || r->w[d] == ')') && r->w[d + 1] == ' ') return d + 2;
  return i;
}

/* Does the line at i start with a label ("Scenes:", "Music:", "Voiceover:"): one to three
 * words and a colon? */
static bool is_label(const fe_reader *r, size_t i, size_t e) {
  int words = 0;
  while (i < e && words <= 3) {
    size_t w = i;
    while (w < e && (fe_is_wb(r, w) || r->w[w] == '-')) w++;
    if (w == i) return false;
    words++;
    i = fe_skip_spaces(r, w);
    if (i < e && r->w[i] == ':') return true;
  }
  return false;
}

/* The lines from `line` on that belong to a label alone on its line: each becomes a quote
 * of `role` (or gives its quotes that role), with its bullet blanked so that the list
 * reader does not take it for a scene. Returns where the block ends. */
static size_t label_block(fe_reader *r, size_t line, int role) {
  while (line < r->n) {
    size_t e = line;
    while (e < r->n && r->w[e] != '\n') e++;
    size_t body = bullet_body(r, line, e);
    size_t end = e;
    while (end > body && (r->w[end - 1] == ' ' || r->w[end - 1] == '\r' || r->w[end - 1] == '\t')) end--;
    if (end == body || is_label(r, body, end)) break;
    bool quoted = false;
    for (int k = 0; k < r->nq; k++)
      if (r->q[k].pos >= body && r->q[k].pos < end) {
        quoted = true;
        if (r->q[k].role == ROLE_NONE) r->q[k].role = role;
      }
    if (!quoted && r->nq < MAX_QUOTES) {
      char *text = fe_strndup(r->s + body, end - body);
      fe_squeeze(text, " ,;");
      int idx = r->nq;
      add_quote(r, body, end, text);
      if (r->nq > idx) r->q[idx].role = role;
    }
    /* Blank the bullet, consume the rest of the line's glue. */
    memset(r->s + line, ' ', body - line);
    memset(r->w + line, ' ', body - line);
    fe_mark(r, line, e);
    line = e + 1;
  }
  return line;
}

/* "voiceover: Wake up." and "text: LUMEN" without quotes: the rest of the line. */
void fe_read_colon_lines(fe_reader *r) {
  for (size_t i = 0; i < r->n; i++) {
    for (size_t k = 0; fe_words_quote_colon_roles[k].kw; k++) {
      if (r->w[i] != fe_words_quote_colon_roles[k].kw[0] || !fe_kw_at(r, i, fe_words_quote_colon_roles[k].kw)) continue;
      size_t c = fe_skip_spaces(r, i + strlen(fe_words_quote_colon_roles[k].kw));
      if (c >= r->n || r->w[c] != ':') continue;
      size_t a = fe_skip_spaces(r, c + 1);
      if (a < r->n && r->w[a] == '\r') a++;
      if (a < r->n && r->w[a] == '\n') {
        /* "Voiceover:" alone on its line: the lines below it, up to a blank line or the
         * next label, are its lines. */
        size_t end = label_block(r, a + 1, fe_words_quote_colon_roles[k].role);
        if (end > a + 1) fe_mark(r, i, a + 1);
        i = end > a ? end - 1 : a;
        break;
      }
      if (a >= r->n || r->w[a] == MARK) continue;
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
      /* "Title: Summer Sale." is the words; a spoken line keeps its full stop. */
      fe_squeeze(text, fe_words_quote_colon_roles[k].role == ROLE_VOICE ? " ,;" : " ,;.");
      int idx = r->nq;
      add_quote(r, a, b, text);
      if (r->nq > idx) {
        r->q[idx].role = fe_words_quote_colon_roles[k].role;
        fe_mark(r, i, a);
      }
      i = b - 1; /* the next label may start right at b */
      break;
    }
  }
}
