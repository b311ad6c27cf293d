/*
** clauses.c — how a request divides into scenes: numbered or bulleted lines, inline
** "1) … 2) …", sequence words ("first … then … finally …"), or sentences.
*/
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

/* Is the line at i a list item ("- ", "* ", "• ", "2.", "3)", "Scene 4:")? Sets *body, and
 * *heading for a "scene/shot/step N" heading, whose body lines may follow below it. */
static bool is_bullet_line(const fe_reader *r, size_t i, size_t *body, bool *heading) {
  *heading = false;
  i = fe_skip_spaces(r, i);
  if (i >= r->n) return false;
  if (r->w[i] == '-' || r->w[i] == '*' || r->w[i] == '+') {
    *body = i + 1;
    return i + 1 < r->n && r->w[i + 1] == ' ';
  }
  if (strncmp(r->w + i, "\xe2\x80\xa2", 3) == 0) { /* • */
    *body = i + 3;
    return true;
  }
  size_t j = i;
  if (fe_kw_at(r, j, "scene") || fe_kw_at(r, j, "shot") || fe_kw_at(r, j, "step")) {
    j = fe_skip_spaces(r, j + (r->w[j + 1] == 'c' ? 5 : 4));
  }
  size_t d = j;
  while (d < r->n && isdigit((unsigned char)r->w[d])) d++;
  if (d == j || d - j > 2 || d >= r->n) return false;
  if (r->w[d] == '.' || r->w[d] == ')' || r->w[d] == ':' || (j > i && r->w[d] == ' ')) {
    if (r->w[d] == '.' && d + 1 < r->n && isdigit((unsigned char)r->w[d + 1])) return false; /* 1.5 */
    *body = d + 1;
    *heading = j > i;
    return true;
  }
  return false;
}

/* Numbered or bulleted lines. Returns the number of items. */
int fe_clauses_list(fe_reader *r, fe_span *items, int max, fe_span *head) {
  int n = 0;
  size_t first = SIZE_MAX, last_end = 0;
  bool in_heading = false;
  for (size_t i = 0; i < r->n;) {
    size_t e = i;
    while (e < r->n && r->w[e] != '\n') e++;
    size_t body;
    bool heading;
    if (is_bullet_line(r, i, &body, &heading)) {
      if (n < max) {
        items[n].a = body;
        items[n].b = e;
        n++;
      }
      if (first == SIZE_MAX) first = i;
      last_end = e;
      in_heading = heading;
    } else if (n > 0 && n <= max && e > i && i == last_end + 1) {
      /* A line right below an item belongs to it when indented, or below a "Scene 2"
       * heading (a script's scene text and its VO line), up to a blank line. */
      if (r->w[i] == ' ' || r->w[i] == '\t' || (in_heading && fe_skip_spaces(r, i) < e)) {
        items[n - 1].b = e;
        last_end = e;
      }
    }
    i = e + 1;
  }
  if (n < 2) return 0;
  head[0].a = 0;
  head[0].b = first;
  head[1].a = last_end;
  head[1].b = r->n;
  return n;
}

/* Ends the last of k items at the first of `enders` that closes a sentence (followed by a
 * space, a newline or the end), and makes the head the text before the list (up to
 * `list_start`) and after it. Returns k. */
static int close_list(fe_reader *r, fe_span *items, int k, size_t list_start, const char *enders, fe_span *head) {
  for (size_t e = items[k - 1].a; e < items[k - 1].b; e++)
    if (r->w[e] && strchr(enders, r->w[e]) && (e + 1 >= r->n || r->w[e + 1] == ' ' || r->w[e + 1] == '\n')) {
      items[k - 1].b = e;
      break;
    }
  head[0].a = 0;
  head[0].b = list_start;
  head[1].a = items[k - 1].b;
  head[1].b = r->n;
  return k;
}

/* "1) … 2) … 3) …" on one line. */
int fe_clauses_inline_numbers(fe_reader *r, fe_span *items, int max, fe_span *head) {
  size_t pos[VSC_PROMPT_MAX_SCENES + 2], body[VSC_PROMPT_MAX_SCENES + 2];
  int n = 0;
  int want = 1;
  for (size_t i = 0; i + 1 < r->n && n < VSC_PROMPT_MAX_SCENES + 2; i++) {
    if (i && fe_is_word_byte((unsigned char)r->w[i - 1])) continue;
    if (r->w[i] == '(' && i + 2 < r->n && r->w[i + 2] == ')' && r->w[i + 1] == '0' + want) {
      pos[n] = i;
      body[n++] = i + 3;
      want++;
      continue;
    }
    char *end;
    long v = strtol(r->w + i, &end, 10);
    if (end == r->w + i || v != want || (*end != ')' && *end != '.')) continue;
    if (end[1] != ' ') continue;
    pos[n] = i;
    body[n++] = (size_t)(end - r->w) + 1;
    want++;
  }
  if (n < 2) return 0;
  int k = 0;
  for (int i = 0; i < n && k < max; i++, k++) {
    items[k].a = body[i];
    items[k].b = i + 1 < n ? pos[i + 1] : r->n;
  }
  /* The last item ends at its sentence. */
  return close_list(r, items, k, pos[0], ".\n", head);
}

/* "first … then … finally …": clause starts at each sequence word. */
int fe_clauses_sequence(fe_reader *r, fe_span *items, int max, fe_span *head, bool *tail_only) {
  size_t marks[64];
  int kinds[64];
  int n = 0;
  const char *const *lists[3] = {fe_words_clause_seq_start, fe_words_clause_seq_mid, fe_words_clause_seq_end};
  for (size_t i = 0; i < r->n && n < 64; i++) {
    if (r->used[i] || (i && fe_is_wb(r, i - 1))) continue;
    for (int l = 0; l < 3; l++) {
      bool hit = false;
      for (int k = 0; lists[l][k]; k++)
        if (fe_kw_at(r, i, lists[l][k])) {
          hit = true;
          break;
        }
      if (hit) {
        /* "and then" / "then" right after a previous mark does not start a new clause. */
        if (!(n && i - marks[n - 1] < 12 && kinds[n - 1] == l)) {
          marks[n] = i;
          kinds[n++] = l;
        }
        break;
      }
    }
  }
  if (n == 0) return 0;
  bool has_start = false, has_mid = false;
  for (int k = 0; k < n; k++) {
    if (kinds[k] == 0) has_start = true;
    if (kinds[k] == 1) has_mid = true;
  }
  /* A lone "then" is more often glue than a storyboard. */
  if (!has_start && !has_mid && n >= 1) *tail_only = true;
  else if (!has_start && n < 2) return 0;
  int k = 0;
  for (int i = 0; i < n && k < max; i++) {
    items[k].a = marks[i];
    items[k].b = i + 1 < n ? marks[i + 1] : r->n;
    k++;
  }
  /* The last clause ends at its sentence, so trailing facts stay in the head. */
  return close_list(r, items, k, marks[0], ".\n!", head);
}

/* Sentences (". ", "! ", "? ", "; ", line breaks, "。"). */
int fe_clauses_sentences(const fe_reader *r, fe_span *out, int max) {
  int n = 0;
  size_t a = 0;
  for (size_t i = 0; i <= r->n && n < max; i++) {
    bool end = i == r->n || r->w[i] == '\n';
    size_t skip = 1;
    if (!end && (r->w[i] == '.' || r->w[i] == '!' || r->w[i] == '?' || r->w[i] == ';') &&
        (i + 1 >= r->n || r->w[i + 1] == ' ' || r->w[i + 1] == '\n'))
      end = true;
    if (!end && (strncmp(r->w + i, "\xe3\x80\x82", 3) == 0 || strncmp(r->w + i, "\xef\xbc\x81", 3) == 0 ||
                 strncmp(r->w + i, "\xef\xbc\x9f", 3) == 0)) {
      end = true;
      skip = 3;
    }
    if (!end) continue;
    if (i > a) {
      out[n].a = a;
      out[n].b = i;
      n++;
    }
    a = i + skip;
    i += skip - 1;
  }
  return n;
}


/* "4 scenes", "three shots:": the number of scenes the request asks for (f->scene_count,
 * with the words consumed). Returns the offset just past the noun, or SIZE_MAX. */
size_t fe_read_scene_count(fe_reader *r) {
  for (size_t i = 0; i < r->n; i++) {
    double v;
    size_t e;
    bool word;
    if (r->used[i] || !fe_number_at(r, i, &v, &e, &word)) continue;
    size_t u = e;
    if (u < r->n && (r->w[u] == ' ' || r->w[u] == '-')) u++;
    for (int k = 0; fe_words_clause_scene_nouns[k]; k++) {
      const char *noun = fe_words_clause_scene_nouns[k];
      if (!fe_kw_at(r, u, noun) || !fe_any_unused(r, u, u + strlen(noun))) continue;
      size_t after = u + strlen(noun);
      /* "two shots of espresso" is a drink; "a scene" is no count. */
      if (fe_kw_at(r, fe_skip_spaces(r, after), "of") || v < 1 || v != floor(v) || (word && v < 2)) break;
      r->f->scene_count = v > VSC_PROMPT_MAX_SCENES ? VSC_PROMPT_MAX_SCENES + 1 : (int)v;
      fe_mark(r, i, after);
      return after;
    }
    i = e > i ? e - 1 : i;
  }
  return SIZE_MAX;
}

/* Splits [a, b) at every `sep` into items (at most max). */
static int split_at(const fe_reader *r, size_t a, size_t b, char sep, fe_span *items, int max) {
  int n = 0;
  size_t s = a;
  for (size_t i = a; i <= b && n < max; i++) {
    if (i < b && r->w[i] != sep) continue;
    size_t x = s, y = i;
    while (x < y && (r->w[x] == ' ' || r->w[x] == '\n')) x++;
    if (y > x) {
      items[n].a = x;
      items[n].b = y;
      n++;
    }
    s = i + 1;
  }
  return n;
}

/* "4 scenes: hiker on a ridge; rain on a tent; campfire; logo" — the items after a stated
 * count and a colon, split at semicolons, else at line breaks, else at commas when the
 * commas give exactly the stated count. `after` is fe_read_scene_count's offset. */
int fe_clauses_counted(fe_reader *r, size_t after, fe_span *items, int max, fe_span *head) {
  if (after == SIZE_MAX) return 0;
  size_t c = fe_skip_spaces(r, after);
  if (c >= r->n || r->w[c] != ':') return 0;
  size_t a = c + 1;
  /* The list runs to a blank line or the end. */
  size_t b = a;
  while (b < r->n && !(r->w[b] == '\n' && b + 1 < r->n && r->w[b + 1] == '\n')) b++;
  size_t semi = 0, lines = 0, commas = 0;
  for (size_t i = a; i < b; i++) {
    if (r->w[i] == ';') semi++;
    if (r->w[i] == '\n' && i > a) lines++;
    if (r->w[i] == ',') commas++;
  }
  int n = 0;
  if (semi) {
    n = split_at(r, a, b, ';', items, max);
    /* The last item ends at its sentence, so what follows stays in the head. */
    if (n > 0) return close_list(r, items, n, c, ".\n!", head);
  } else if (lines) {
    n = split_at(r, a, b, '\n', items, max);
  } else if (commas && (int)commas + 1 == r->f->scene_count) {
    n = split_at(r, a, b, ',', items, max);
    if (n > 0) return close_list(r, items, n, c, ".\n!", head);
  }
  if (n < 1) return 0;
  head[0].a = 0;
  head[0].b = c;
  head[1].a = b;
  head[1].b = r->n;
  return n;
}
