/*
** leftover.c — what is left of a clause once the extractors took their facts: the
** description of a scene or a subject, without lead-in words ("then", "we see") and glue,
** and how many content words it holds.
*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/rules.h"

static bool is_mood_word(const char *w, size_t n) {
  for (size_t k = 0; fe_words_style_moods[k].kw; k++)
    if (strlen(fe_words_style_moods[k].kw) == n && strncasecmp(fe_words_style_moods[k].kw, w, n) == 0) return true;
  return false;
}

static bool is_stopword(const char *w, size_t n) {
  for (int i = 0; fe_words_subject_stopwords[i]; i++)
    if (strlen(fe_words_subject_stopwords[i]) == n && strncasecmp(fe_words_subject_stopwords[i], w, n) == 0) return true;
  return false;
}

/* Content words of a description: not filler, not mood words. */
int fe_content_words(const char *d) {
  int n = 0;
  for (const char *p = d; *p;) {
    while (*p && !fe_is_word_byte((unsigned char)*p)) p++;
    const char *e = p;
    while (*e && (fe_is_word_byte((unsigned char)*e) || *e == '-' || *e == '\'')) e++;
    size_t len = (size_t)(e - p);
    if (len && !is_stopword(p, len) && !is_mood_word(p, len) && !(len == 1 && (unsigned char)*p < 0x80)) {
      /* A CJK run has no spaces: count roughly one word per two characters. */
      if ((unsigned char)*p >= 0xe0) n += (int)(len / 6) + 1;
      else n++;
    }
    p = e;
  }
  return n;
}

/* Leading words that only lead into a scene ("then", "after that, show"). */
void fe_strip_glue(char *d) {
  const char *const *LEADS = fe_words_clause_leads;
  bool again = true;
  while (again) {
    again = false;
    fe_squeeze(d, " ,:;-.)(");
    for (int k = 0; LEADS[k]; k++) {
      size_t l = strlen(LEADS[k]);
      if (strncasecmp(d, LEADS[k], l) == 0 && (!fe_is_word_byte((unsigned char)d[l]) || !fe_is_word_byte((unsigned char)LEADS[k][l - 1]))) {
        memmove(d, d + l, strlen(d + l) + 1);
        again = true;
        break;
      }
    }
    /* "scene 2:" and list numbers */
    size_t i = 0;
    while (isdigit((unsigned char)d[i])) i++;
    if (i && (d[i] == '.' || d[i] == ')' || d[i] == ':' || d[i] == ' ' || !d[i])) {
      memmove(d, d + i + (d[i] ? 1 : 0), strlen(d + i + (d[i] ? 1 : 0)) + 1);
      again = true;
    }
  }
  /* Trailing glue. */
  const char *const *TAILS = fe_words_clause_tails;
  again = true;
  while (again) {
    again = false;
    fe_squeeze(d, " ,:;-(");
    size_t n = strlen(d);
    for (int k = 0; TAILS[k]; k++) {
      size_t l = strlen(TAILS[k]);
      if (n >= l && strcasecmp(d + n - l, TAILS[k]) == 0) {
        d[n - l] = 0;
        again = true;
        break;
      }
    }
  }
}

/* What is left of [a, b): the unused bytes, squeezed, without leading glue. Caller frees. */
char *fe_leftover(const fe_reader *r, size_t a, size_t b) {
  vsc_buf buf = {0};
  for (size_t i = a; i < b; i++) {
    if ((unsigned char)r->s[i] == MARK) {
      vsc_buf_puts(&buf, " ");
      i++;
      continue;
    }
    if (r->used[i]) {
      /* keep a gap so that words on both sides do not merge */
      if (buf.len && buf.s[buf.len - 1] != ' ') vsc_buf_puts(&buf, " ");
      continue;
    }
    /* Lines of one clause read as one description: "Beach at dawn\nWaves roll in" gets a
     * comma between them. */
    if (r->s[i] == '\n') {
      size_t k = buf.len;
      while (k > 0 && buf.s[k - 1] == ' ') k--;
      vsc_buf_puts(&buf, k > 0 && fe_is_word_byte((unsigned char)buf.s[k - 1]) ? ", " : " ");
      continue;
    }
    vsc_buf_append(&buf, r->s + i, 1);
  }
  char *d = fe_buf_take(&buf);
  /* Empty brackets and doubled punctuation left by removed facts. */
  for (char *p; (p = strstr(d, "()"));) memmove(p, p + 2, strlen(p + 2) + 1);
  for (char *p; (p = strstr(d, "( )"));) memmove(p, p + 3, strlen(p + 3) + 1);
  for (char *p = d; *p; p++)
    if (*p == '\n') *p = ' ';
  fe_squeeze(d, NULL);
  for (char *p; (p = strstr(d, " ,"));) memmove(p, p + 1, strlen(p + 1) + 1);
  for (char *p; (p = strstr(d, ",,"));) memmove(p, p + 1, strlen(p + 1) + 1);
  for (char *p; (p = strstr(d, ", ."));) memmove(p, p + 2, strlen(p + 2) + 1);
  fe_strip_glue(d);
  fe_squeeze(d, " ,;:.!?-");
  return d;
}
