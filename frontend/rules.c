/*
** rules.c — the rule-based prompt parser: reads a request in plain words into facts
** (frontend.h). Deterministic, offline. It extracts only what the request states; emit.c
** fills the rest from the preset.
**
** The request is kept twice with the same byte offsets: `s` (original case) and `w`
** (ASCII-lowercased), with every quoted line replaced by a two-byte marker padded with
** spaces. Each matcher marks the bytes it consumed in `used`, so that what is left of a
** clause is its visual description.
*/
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend.h"

#define MAX_QUOTES 64
#define MARK 0x01 /* a quote marker: MARK, 0x80 + index */
#define ROLE_VOICE 10
#define ROLE_NONE (-1)

typedef struct {
  char *text;   /* owned until moved into the facts */
  int role;     /* FE_TEXT_*, ROLE_VOICE or ROLE_NONE */
  size_t pos;   /* offset of its marker */
  bool taken;   /* moved into a scene or the facts */
} quote;

typedef struct {
  size_t a, b;  /* a clause: [a, b) */
} span;

typedef struct {
  char *s, *w;
  size_t n;
  unsigned char *used;
  quote q[MAX_QUOTES];
  int nq;
  fe_facts *f;
  vsc_prompt_notes *notes;
  const vsc_prompt_options *o;
} reader;

/* ---- matching ------------------------------------------------------------------------ */

static bool is_wb(const reader *r, size_t i) { return i < r->n && fe_is_word_byte((unsigned char)r->w[i]); }

/* Is keyword `kw` at offset i, with word boundaries (unless it starts or ends with a
 * non-ASCII byte: CJK words have no spaces)? */
static bool kw_at(const reader *r, size_t i, const char *kw) {
  size_t k = strlen(kw);
  if (i + k > r->n || memcmp(r->w + i, kw, k) != 0) return false;
  bool cjk_start = (unsigned char)kw[0] >= 0x80, cjk_end = (unsigned char)kw[k - 1] >= 0x80;
  if (!cjk_start && i > 0 && is_wb(r, i - 1)) return false;
  if (!cjk_end && is_wb(r, i + k)) return false;
  return true;
}

/* The first occurrence of kw in [from, to) with boundaries, or SIZE_MAX. */
static size_t find_kw(const reader *r, size_t from, size_t to, const char *kw) {
  size_t k = strlen(kw);
  for (size_t i = from; i + k <= to; i++)
    if (r->w[i] == kw[0] && kw_at(r, i, kw)) return i;
  return SIZE_MAX;
}

static bool any_unused(const reader *r, size_t a, size_t b) {
  for (size_t i = a; i < b; i++)
    if (r->used[i]) return false;
  return true;
}

static void mark(reader *r, size_t a, size_t b) {
  if (b > r->n) b = r->n;
  for (size_t i = a; i < b; i++) r->used[i] = 1;
}

/* Finds the earliest keyword of a NULL-terminated list in [from, to) that is not used yet;
 * sets *which and *len. Returns the offset or SIZE_MAX. */
static size_t find_any(const reader *r, size_t from, size_t to, const char *const *kws, int *which,
                       size_t *len) {
  size_t best = SIZE_MAX;
  for (int k = 0; kws[k]; k++) {
    size_t at = from;
    for (;;) {
      size_t p = find_kw(r, at, to, kws[k]);
      if (p == SIZE_MAX || p >= best) break;
      if (any_unused(r, p, p + strlen(kws[k]))) {
        best = p;
        if (which) *which = k;
        if (len) *len = strlen(kws[k]);
        break;
      }
      at = p + 1;
    }
  }
  return best;
}

static size_t skip_spaces(const reader *r, size_t i) {
  while (i < r->n && (r->w[i] == ' ' || r->w[i] == '\t')) i++;
  return i;
}

/* ---- quotes -------------------------------------------------------------------------- */

typedef struct {
  const char *open, *close;
} quote_pair;

static const quote_pair QUOTES[] = {
    {"\"", "\""},
    {"\xe2\x80\x9c", "\xe2\x80\x9d"},  /* “ ” */
    {"\xe2\x80\x9e", "\xe2\x80\x9c"},  /* „ “ */
    {"\xc2\xab", "\xc2\xbb"},          /* « » */
    {"\xe3\x80\x8c", "\xe3\x80\x8d"},  /* 「 」 */
    {"\xe3\x80\x8e", "\xe3\x80\x8f"},  /* 『 』 */
};

/* Replaces s[a, b) by a marker for a new quote holding `text` (owned). */
static void add_quote(reader *r, size_t a, size_t b, char *text) {
  fe_squeeze(text, NULL);
  if (!*text || r->nq >= MAX_QUOTES || b - a < 2) {
    if (r->nq >= MAX_QUOTES) vsc_prompt_notes_add(r->notes, "more than %d quoted lines: the rest were ignored", MAX_QUOTES);
    free(text);
    memset(r->s + a, ' ', b - a);
    memset(r->w + a, ' ', b - a);
    return;
  }
  quote *q = &r->q[r->nq];
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

static void find_quotes(reader *r) {
  for (size_t i = 0; i < r->n; i++) {
    for (size_t k = 0; k < sizeof QUOTES / sizeof QUOTES[0]; k++) {
      size_t ol = strlen(QUOTES[k].open);
      if (strncmp(r->s + i, QUOTES[k].open, ol) != 0) continue;
      /* Closing quote: the pair's own, or (for typographic quotes) a straight one. */
      const char *close = strstr(r->s + i + ol, QUOTES[k].close);
      if (k == 1) {
        const char *alt = strstr(r->s + i + ol, "\xe2\x80\x9c"); /* “…“ typed twice */
        if (!close || (alt && alt < close)) close = alt;
      }
      if (!close) continue;
      size_t cl = strlen(QUOTES[k].close);
      size_t a = i, b = (size_t)(close - r->s) + cl;
      /* A straight quote that spans lines is probably a stray inch mark. */
      if (k == 0 && memchr(r->s + a + 1, '\n', b - a - 2)) continue;
      add_quote(r, a, b, fe_strndup(r->s + a + ol, b - a - ol - cl));
      i = b - 1;
      break;
    }
  }
}

/* Role keywords, looked for just before a quote (the nearest one wins). */
typedef struct {
  const char *kw;
  int role;
} role_kw;

static const role_kw ROLE_KWS[] = {
    {"voiceover", ROLE_VOICE}, {"voice-over", ROLE_VOICE}, {"voice over", ROLE_VOICE},
    {"voice", ROLE_VOICE}, {"narrator", ROLE_VOICE}, {"narration", ROLE_VOICE},
    {"narrates", ROLE_VOICE}, {"narrate", ROLE_VOICE}, {"says", ROLE_VOICE},
    {"saying", ROLE_VOICE}, {"say", ROLE_VOICE}, {"said", ROLE_VOICE}, {"vo", ROLE_VOICE},
    {"speaks", ROLE_VOICE}, {"speak", ROLE_VOICE}, {"spoken", ROLE_VOICE},
    {"announcer", ROLE_VOICE}, {"tells", ROLE_VOICE}, {"whispers", ROLE_VOICE},
    {"voix", ROLE_VOICE}, {"voz", ROLE_VOICE}, {"dice", ROLE_VOICE}, {"dit", ROLE_VOICE},
    {"sagt", ROLE_VOICE}, {"sprecher", ROLE_VOICE}, {"narrador", ROLE_VOICE},
    {"title", FE_TEXT_TITLE}, {"titled", FE_TEXT_TITLE}, {"called", FE_TEXT_TITLE},
    {"headline", FE_TEXT_TITLE}, {"heading", FE_TEXT_TITLE}, {"titre", FE_TEXT_TITLE},
    {"titulo", FE_TEXT_TITLE}, {"t\xc3\xadtulo", FE_TEXT_TITLE}, {"titel", FE_TEXT_TITLE},
    {"caption", FE_TEXT_CAPTION}, {"captions", FE_TEXT_CAPTION}, {"subtitle", FE_TEXT_CAPTION},
    {"subtitles", FE_TEXT_CAPTION}, {"lower third", FE_TEXT_CAPTION}, {"lower-third", FE_TEXT_CAPTION},
    {"end card", FE_TEXT_END}, {"endcard", FE_TEXT_END}, {"end screen", FE_TEXT_END},
    {"cta", FE_TEXT_END}, {"call to action", FE_TEXT_END}, {"tagline", FE_TEXT_END},
    {"slogan", FE_TEXT_END}, {"closing", FE_TEXT_END}, {"sign-off", FE_TEXT_END},
    {"text", FE_TEXT_PLAIN}, {"on screen", FE_TEXT_PLAIN}, {"on-screen", FE_TEXT_PLAIN},
    {"onscreen", FE_TEXT_PLAIN}, {"super", FE_TEXT_PLAIN}, {"words", FE_TEXT_PLAIN},
    {"reads", FE_TEXT_PLAIN}, {"reading", FE_TEXT_PLAIN}, {"written", FE_TEXT_PLAIN},
    {"card", FE_TEXT_PLAIN}, {"sign", FE_TEXT_PLAIN}, {"texto", FE_TEXT_PLAIN},
    {"texte", FE_TEXT_PLAIN}, {"show", FE_TEXT_PLAIN}, {"shows", FE_TEXT_PLAIN},
};

/* Little words between a role keyword and its quote, or before the keyword. */
static const char *const FILLER[] = {"with", "the", "a", "an", "and", "some", "big", "large", "small",
                                     "bold", "that", "which", "in", "on", "of", "as", "is", "are",
                                     "its", "their", "saying", "says", "reads", "reading", "text",
                                     "line", "lines", "words", "word", ":", "-", "then", "plus",
                                     "y", "et", "und", "con", "avec", "mit", "le", "la", "el", "der",
                                     "die", "das", "un", "une", "ein", "eine", NULL};

static bool is_filler_word(const char *w, size_t n) {
  for (int i = 0; FILLER[i]; i++)
    if (strlen(FILLER[i]) == n && memcmp(FILLER[i], w, n) == 0) return true;
  return false;
}

/* Marks the filler words that end just before `end` (walking backwards). */
static void mark_filler_before(reader *r, size_t start_limit, size_t end) {
  size_t i = end;
  for (;;) {
    size_t e = i;
    while (e > start_limit && (r->w[e - 1] == ' ' || r->w[e - 1] == ',' || r->w[e - 1] == ':')) e--;
    size_t b = e;
    while (b > start_limit && fe_is_word_byte((unsigned char)r->w[b - 1]) && (unsigned char)r->w[b - 1] < 0x80) b--;
    if (b == e || !is_filler_word(r->w + b, e - b)) {
      mark(r, e, i);
      return;
    }
    mark(r, b, i);
    i = b;
  }
}

/* Decides each quote's role from the words just before it (and "on screen" just after). */
static void quote_roles(reader *r) {
  for (int k = 0; k < r->nq; k++) {
    quote *q = &r->q[k];
    size_t from = q->pos > 48 ? q->pos - 48 : 0;
    /* Do not look back past the previous quote or a line break. */
    for (size_t i = q->pos; i > from; i--)
      if (r->w[i - 1] == '\n' || ((unsigned char)r->w[i - 1] >= 0x80 && i >= 2 && r->w[i - 2] == MARK)) {
        from = i;
        break;
      }
    size_t best_end = 0, best_at = 0;
    int role = ROLE_NONE;
    for (size_t j = 0; j < sizeof ROLE_KWS / sizeof ROLE_KWS[0]; j++) {
      size_t at = from;
      for (;;) {
        size_t p = find_kw(r, at, q->pos, ROLE_KWS[j].kw);
        if (p == SIZE_MAX) break;
        size_t e = p + strlen(ROLE_KWS[j].kw);
        if (e > best_end || (e == best_end && role == ROLE_NONE)) {
          best_end = e;
          best_at = p;
          role = ROLE_KWS[j].role;
        }
        at = p + 1;
      }
    }
    /* 'say "Buy now" on screen' is on-screen text. */
    size_t after = skip_spaces(r, q->pos + 2);
    while (after < r->n && r->w[after] == ' ') after++;
    if (find_kw(r, after, after + 10 < r->n ? after + 10 : r->n, "on screen") == after ||
        find_kw(r, after, after + 10 < r->n ? after + 10 : r->n, "on-screen") == after) {
      if (role == ROLE_VOICE || role == ROLE_NONE) role = FE_TEXT_PLAIN;
      mark(r, after, after + 9);
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
      mark(r, best_at, q->pos);
      mark_filler_before(r, from, best_at);
    }
    q->role = role;
  }
}

/* "voiceover: Wake up." and "text: LUMEN" without quotes: the rest of the line. */
static void colon_lines(reader *r) {
  static const role_kw COLON[] = {
      {"voiceover", ROLE_VOICE}, {"voice-over", ROLE_VOICE}, {"voice over", ROLE_VOICE},
      {"vo", ROLE_VOICE}, {"narrator", ROLE_VOICE}, {"narration", ROLE_VOICE},
      {"voice", ROLE_VOICE}, {"title", FE_TEXT_TITLE}, {"headline", FE_TEXT_TITLE},
      {"caption", FE_TEXT_CAPTION}, {"subtitle", FE_TEXT_CAPTION}, {"tagline", FE_TEXT_END},
      {"cta", FE_TEXT_END}, {"end card", FE_TEXT_END}, {"text", FE_TEXT_PLAIN},
      {"on-screen text", FE_TEXT_PLAIN}, {"on screen text", FE_TEXT_PLAIN},
  };
  for (size_t i = 0; i < r->n; i++) {
    for (size_t k = 0; k < sizeof COLON / sizeof COLON[0]; k++) {
      if (r->w[i] != COLON[k].kw[0] || !kw_at(r, i, COLON[k].kw)) continue;
      size_t c = skip_spaces(r, i + strlen(COLON[k].kw));
      if (c >= r->n || r->w[c] != ':') continue;
      size_t a = skip_spaces(r, c + 1);
      if (a >= r->n || r->w[a] == MARK || r->w[a] == '\n') continue;
      size_t b = a;
      while (b < r->n && r->w[b] != '\n' && r->w[b] != MARK) b++;
      /* Stop before the next "keyword:" on the same line. */
      for (size_t j = a + 1; j < b; j++) {
        bool stop = false;
        for (size_t m = 0; m < sizeof COLON / sizeof COLON[0] && !stop; m++) {
          if (r->w[j] != COLON[m].kw[0] || !kw_at(r, j, COLON[m].kw)) continue;
          size_t cc = skip_spaces(r, j + strlen(COLON[m].kw));
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
        r->q[idx].role = COLON[k].role;
        mark(r, i, a);
      }
      i = b;
      break;
    }
  }
}

/* ---- numbers and lengths -------------------------------------------------------------- */

static const struct {
  const char *w;
  double v;
} NUMBER_WORDS[] = {
    {"one", 1},     {"two", 2},       {"three", 3},    {"four", 4},    {"five", 5},
    {"six", 6},     {"seven", 7},     {"eight", 8},    {"nine", 9},    {"ten", 10},
    {"eleven", 11}, {"twelve", 12},   {"fifteen", 15}, {"twenty", 20}, {"thirty", 30},
    {"forty", 40},  {"forty-five", 45}, {"fifty", 50}, {"sixty", 60},  {"ninety", 90},
    {"a", 1},       {"an", 1},        {"half a", 0.5}, {"half-a", 0.5}, {"a half", 0.5},
};

/* A number at i: digits (with . or , decimals) or a number word. Sets *end. */
static bool number_at(const reader *r, size_t i, double *v, size_t *end, bool *word) {
  if (i > 0 && is_wb(r, i - 1) && (unsigned char)r->w[i - 1] < 0x80) return false;
  if (isdigit((unsigned char)r->w[i])) {
    size_t j = i;
    double x = 0;
    while (j < r->n && isdigit((unsigned char)r->w[j])) x = x * 10 + (r->w[j++] - '0');
    if (j + 1 < r->n && (r->w[j] == '.' || r->w[j] == ',') && isdigit((unsigned char)r->w[j + 1])) {
      double scale = 0.1;
      j++;
      while (j < r->n && isdigit((unsigned char)r->w[j])) {
        x += scale * (r->w[j++] - '0');
        scale /= 10;
      }
    }
    *v = x;
    *end = j;
    *word = false;
    return true;
  }
  for (size_t k = 0; k < sizeof NUMBER_WORDS / sizeof NUMBER_WORDS[0]; k++) {
    if (kw_at(r, i, NUMBER_WORDS[k].w)) {
      *v = NUMBER_WORDS[k].v;
      *end = i + strlen(NUMBER_WORDS[k].w);
      *word = true;
      return true;
    }
  }
  return false;
}

static const char *const SECOND_UNITS[] = {
    "seconds", "second", "secs", "sec", "s", "segundos", "segundo", "segs", "seg", "secondes",
    "seconde", "sekunden", "sekunde", "sek", "secondi", "secondo",
    "\xd1\x81\xd0\xb5\xd0\xba\xd1\x83\xd0\xbd\xd0\xb4\xd1\x8b", /* секунды */
    "\xd1\x81\xd0\xb5\xd0\xba\xd1\x83\xd0\xbd\xd0\xb4",         /* секунд */
    "\xd1\x81\xd0\xb5\xd0\xba",                                 /* сек */
    "\xe7\xa7\x92\xe9\x92\x9f", "\xe7\xa7\x92",                 /* 秒钟 秒 */
    "\xec\xb4\x88",                                             /* 초 */
    NULL};
static const char *const MINUTE_UNITS[] = {
    "minutes", "minute", "mins", "min", "minutos", "minuto", "minuten", "minuti",
    "\xd0\xbc\xd0\xb8\xd0\xbd\xd1\x83\xd1\x82\xd1\x8b", /* минуты */
    "\xd0\xbc\xd0\xb8\xd0\xbd\xd1\x83\xd1\x82",         /* минут */
    "\xd0\xbc\xd0\xb8\xd0\xbd",                         /* мин */
    "\xe5\x88\x86\xe9\x92\x9f", "\xe5\x88\x86",         /* 分钟 分 */
    "\xeb\xb6\x84",                                     /* 분 */
    NULL};

static const char *const HOUR_UNITS[] = {"hours", "hour", "hrs", "hr", "horas", "hora", "heures", "heure",
                                          "stunden", "stunde", NULL};

typedef struct {
  double seconds;
  size_t a, b;
  bool global; /* says it is the video's length */
} length_hit;

static const char *const VIDEO_NOUNS[] = {
    "video", "videos", "ad", "ads", "advert", "advertisement", "clip", "spot", "reel", "reels",
    "short", "commercial", "promo", "trailer", "teaser", "story", "film", "movie", "explainer",
    "tiktok", "animation", "montage", "piece", "version", "cut", "edit", "long", "total",
    "overall", "max", "maximum", "music", "spot", "anuncio", "v\xc3\xad" "deo", "pub",
    "publicit\xc3\xa9", "werbung", "werbespot", "film", "intro", "outro", "loop", "gif",
    "presentation", "tutorial", "demo", "sizzle", "showreel", NULL};
static const char *const LENGTH_LEADS[] = {"length", "total", "duration", "runtime", "overall",
                                           "make it", "keep it", "within", "max", "maximum",
                                           "about", "around", "exactly", "in", NULL};

/* A unit right after a number: no word boundary needed before it ("30s"), one after it
 * unless it is CJK. */
static bool unit_at(const reader *r, size_t u, const char *unit) {
  size_t k = strlen(unit);
  if (u + k > r->n || memcmp(r->w + u, unit, k) != 0) return false;
  return (unsigned char)unit[k - 1] >= 0x80 || !is_wb(r, u + k);
}

/* Every "N seconds"/"N min" in the request. */
static int find_lengths(reader *r, length_hit *hits, int max) {
  int n = 0;
  for (size_t i = 0; i < r->n && n < max; i++) {
    double v;
    size_t e;
    bool word;
    if (r->used[i] || !number_at(r, i, &v, &e, &word)) continue;
    size_t u = e;
    if (u < r->n && (r->w[u] == ' ' || r->w[u] == '-')) u++;
    double mult = 0;
    size_t ul = 0;
    for (int k = 0; SECOND_UNITS[k] && !mult; k++)
      if (unit_at(r, u, SECOND_UNITS[k])) {
        /* "a second" is an idiom, "5s" is seconds. */
        if (word && v <= 1) break;
        mult = 1;
        ul = strlen(SECOND_UNITS[k]);
      }
    for (int k = 0; MINUTE_UNITS[k] && !mult; k++)
      if (unit_at(r, u, MINUTE_UNITS[k])) {
        mult = 60;
        ul = strlen(MINUTE_UNITS[k]);
      }
    for (int k = 0; HOUR_UNITS[k] && !mult; k++)
      if (unit_at(r, u, HOUR_UNITS[k])) {
        mult = 3600;
        ul = strlen(HOUR_UNITS[k]);
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
      size_t j = skip_spaces(r, b);
      double v2;
      size_t e2;
      bool w2;
      if (j < r->n && number_at(r, j, &v2, &e2, &w2) && !w2) {
        size_t u2 = e2 < r->n && r->w[e2] == ' ' ? e2 + 1 : e2;
        for (int k = 0; SECOND_UNITS[k]; k++)
          if (unit_at(r, u2, SECOND_UNITS[k])) {
            secs += v2;
            b = u2 + strlen(SECOND_UNITS[k]);
            break;
          }
      }
    }
    length_hit *h = &hits[n++];
    h->seconds = secs;
    h->a = i;
    h->b = b;
    /* Followed by a video noun (skipping "-" and "long"), or led by a length word. */
    size_t j = b;
    h->global = false;
    for (int words = 0; words < 3 && j < r->n; words++) {
      while (j < r->n && (r->w[j] == ' ' || r->w[j] == '-')) j++;
      for (int k = 0; VIDEO_NOUNS[k]; k++)
        if (kw_at(r, j, VIDEO_NOUNS[k])) h->global = true;
      while (j < r->n && is_wb(r, j)) j++;
    }
    size_t from = i > 16 ? i - 16 : 0;
    for (int k = 0; LENGTH_LEADS[k]; k++) {
      size_t p = find_kw(r, from, i, LENGTH_LEADS[k]);
      if (p != SIZE_MAX && strcmp(LENGTH_LEADS[k], "in") != 0) h->global = true;
    }
    i = b - 1;
  }
  return n;
}

/* ---- the frame -------------------------------------------------------------------------- */

static const char *const VERTICAL[] = {"tiktok", "tik tok", "tik-tok", "reels", "reel",
                                       "instagram story", "instagram stories", "ig story",
                                       "youtube shorts", "yt shorts", "shorts", "snapchat",
                                       "vertical", "portrait mode", "portrait format",
                                       "phone screen", "stories", "vertikal", NULL};
static const char *const SQUARE[] = {"square", "instagram post", "instagram feed", "feed post",
                                     "instagram", "carr\xc3\xa9", "cuadrado", "quadratisch", NULL};
static const char *const WIDE[] = {"landscape", "horizontal", "widescreen", "wide screen",
                                   "youtube", "tv", "television", "website", "web", "desktop",
                                   "linkedin", "presentation", NULL};

static void set_frame(fe_facts *f, int w, int h) {
  f->width = w;
  f->height = h;
  int a = w, b = h;
  while (b) {
    int t = a % b;
    a = b;
    b = t;
  }
  f->aspect_w = w / a;
  f->aspect_h = h / a;
}

static void read_frame(reader *r) {
  fe_facts *f = r->f;
  bool vertical = false, square = false, wide = false;
  /* An explicit size "1280x720". */
  for (size_t i = 0; i < r->n; i++) {
    if (!isdigit((unsigned char)r->w[i]) || (i && is_wb(r, i - 1))) continue;
    char *end;
    long w = strtol(r->w + i, &end, 10);
    if ((*end != 'x' && strncmp(end, "\xc3\x97", 2) != 0) || w < 64 || w > 7680) continue;
    char *p = end + (*end == 'x' ? 1 : 2);
    long h = strtol(p, &end, 10);
    if (end == p || h < 64 || h > 7680 || fe_is_word_byte((unsigned char)*end)) continue;
    set_frame(f, (int)(w / 2 * 2), (int)(h / 2 * 2));
    mark(r, i, (size_t)(end - r->w));
    break;
  }
  /* A ratio "9:16". */
  static const struct {
    const char *kw;
    int w, h;
  } RATIOS[] = {{"16:9", 1920, 1080}, {"9:16", 1080, 1920}, {"1:1", 1080, 1080}, {"4:5", 1080, 1350},
                {"4:3", 1440, 1080},  {"3:4", 1080, 1440},  {"21:9", 2520, 1080}, {"2.39:1", 2520, 1080},
                {"cinemascope", 2520, 1080}, {"ultrawide", 2520, 1080}, {"ultra-wide", 2520, 1080}};
  size_t best = SIZE_MAX;
  int bw = 0, bh = 0;
  for (size_t k = 0; k < sizeof RATIOS / sizeof RATIOS[0]; k++) {
    size_t p = find_kw(r, 0, r->n, RATIOS[k].kw);
    if (p != SIZE_MAX && p < best) {
      best = p;
      bw = RATIOS[k].w;
      bh = RATIOS[k].h;
    }
    if (p != SIZE_MAX) mark(r, p, p + strlen(RATIOS[k].kw));
  }
  if (!f->width && bw) set_frame(f, bw, bh);
  int which;
  size_t len, p;
  while ((p = find_any(r, 0, r->n, VERTICAL, &which, &len)) != SIZE_MAX) {
    vertical = true;
    mark(r, p, p + len);
  }
  while ((p = find_any(r, 0, r->n, SQUARE, &which, &len)) != SIZE_MAX) {
    square = true;
    mark(r, p, p + len);
  }
  while ((p = find_any(r, 0, r->n, WIDE, &which, &len)) != SIZE_MAX) {
    wide = true;
    mark(r, p, p + len);
  }
  if (!f->width) {
    if (vertical) set_frame(f, 1080, 1920);
    else if (square) set_frame(f, 1080, 1080);
    else if (wide) set_frame(f, 1920, 1080);
  }
  /* "720p", "1080p", "4k": the short side, keeping the orientation. */
  static const struct {
    const char *kw;
    int shortside;
  } RES[] = {{"720p", 720}, {"1080p", 1080}, {"full hd", 1080}, {"4k", 2160}, {"2160p", 2160}, {"uhd", 2160}};
  for (size_t k = 0; k < sizeof RES / sizeof RES[0]; k++) {
    p = find_kw(r, 0, r->n, RES[k].kw);
    if (p == SIZE_MAX) continue;
    mark(r, p, p + strlen(RES[k].kw));
    int w = f->width ? f->width : 1920, h = f->height ? f->height : 1080;
    double scale = (double)RES[k].shortside / (w < h ? w : h);
    set_frame(f, (int)lround(w * scale / 2) * 2, (int)lround(h * scale / 2) * 2);
    break;
  }
  f->preset = vertical && !square && !wide ? "social_vertical" : f->height > f->width ? "social_vertical" : "ad30";
}

/* ---- money, quality, style, music, transitions ---------------------------------------- */

static void read_budget(reader *r) {
  static const char *const LEADS[] = {"under", "below", "max", "maximum", "budget", "within",
                                      "less than", "up to", "at most", "cap", "capped at", "spend",
                                      "no more than", "limit", "cost", "costs", "costing", "for",
                                      "menos de", "moins de", "unter", "presupuesto", NULL};
  static const char *const TAILS[] = {"budget", "max", "maximum", "or less", "cap", "limit", "tops", NULL};
  double amounts[16];
  size_t at[16], ends[16];
  bool ctx[16];
  int n = 0;
  for (size_t i = 0; i < r->n && n < 16; i++) {
    size_t a = i, j = i;
    bool dollar = false;
    if (r->w[i] == '$') dollar = true, j = i + 1;
    else if (strncmp(r->w + i, "us$", 3) == 0 && !(i && is_wb(r, i - 1))) dollar = true, j = i + 3;
    else if (strncmp(r->w + i, "usd ", 4) == 0 && !(i && is_wb(r, i - 1))) dollar = true, j = i + 4;
    if (!isdigit((unsigned char)r->w[j]) || (!dollar && i && (is_wb(r, i - 1) || r->w[i - 1] == '.'))) continue;
    char *end;
    double v = strtod(r->w + j, &end);
    size_t e = (size_t)(end - r->w);
    if (e < r->n && (r->w[e] == 'k')) v *= 1000, e++;
    if (!dollar) {
      size_t u = skip_spaces(r, e);
      if (kw_at(r, u, "dollars")) e = u + 7, dollar = true;
      else if (kw_at(r, u, "dollar")) e = u + 6, dollar = true;
      else if (kw_at(r, u, "usd")) e = u + 3, dollar = true;
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
      if (find_kw(r, from, a, LEADS[k]) != SIZE_MAX) ctx[n] = true;
    size_t to = e + 16 < r->n ? e + 16 : r->n;
    for (int k = 0; TAILS[k]; k++)
      if (find_kw(r, e, to, TAILS[k]) != SIZE_MAX) ctx[n] = true;
    n++;
    i = e - 1;
  }
  int pick = -1;
  for (int k = 0; k < n && pick < 0; k++)
    if (ctx[k]) pick = k;
  if (pick < 0 && n == 1) pick = 0;
  if (pick >= 0) {
    r->f->budget = amounts[pick];
    mark(r, at[pick], ends[pick]);
    /* the lead words go too ("under", "budget of") */
    size_t from = at[pick] > 24 ? at[pick] - 24 : 0;
    for (int k = 0; LEADS[k]; k++) {
      size_t p = find_kw(r, from, at[pick], LEADS[k]);
      if (p != SIZE_MAX) mark(r, p, at[pick]);
    }
    size_t to = ends[pick] + 16 < r->n ? ends[pick] + 16 : r->n;
    for (int k = 0; TAILS[k]; k++) {
      size_t p = find_kw(r, ends[pick], to, TAILS[k]);
      if (p != SIZE_MAX) mark(r, ends[pick], p + strlen(TAILS[k]));
    }
  }
  if (r->o->budget >= 0) {
    if (r->f->budget >= 0 && fabs(r->f->budget - r->o->budget) > 1e-9)
      vsc_prompt_notes_add(r->notes, "--budget $%.2f wins over the $%.2f in the request", r->o->budget, r->f->budget);
    r->f->budget = r->o->budget;
  }
}

static void read_quality(reader *r) {
  static const char *const FINAL[] = {"high quality", "high-quality", "highest quality", "best quality",
                                      "top quality", "premium", "final quality", "final render",
                                      "production quality", "production-ready", "polished",
                                      "high-end", "high end", "hq", "broadcast quality",
                                      "pro quality", "alta calidad", "haute qualit\xc3\xa9",
                                      "hochwertig", NULL};
  static const char *const DRAFT[] = {"draft", "rough cut", "rough", "cheap", "cheaply", "low cost",
                                      "low-cost", "inexpensive", "quick preview", "preview",
                                      "test render", "animatic", "low quality", "low-quality",
                                      "budget-friendly", "borrador", "brouillon", "entwurf", NULL};
  int w;
  size_t len;
  size_t pf = find_any(r, 0, r->n, FINAL, &w, &len), lf = len;
  size_t pd = find_any(r, 0, r->n, DRAFT, &w, &len), ld = len;
  if (pf != SIZE_MAX && (pd == SIZE_MAX || pf < pd)) {
    r->f->quality = "final";
    mark(r, pf, pf + lf);
  } else if (pd != SIZE_MAX) {
    r->f->quality = "draft";
    mark(r, pd, pd + ld);
  }
}

typedef struct {
  const char *kw;
  const char *style;
} mood;

/* Mood and look words → std/styles names. */
static const mood MOODS[] = {
    {"cozy", "warm_cinematic"}, {"cosy", "warm_cinematic"}, {"warm", "warm_cinematic"},
    {"cinematic", "warm_cinematic"}, {"golden hour", "warm_cinematic"}, {"golden", "warm_cinematic"},
    {"inviting", "warm_cinematic"}, {"homey", "warm_cinematic"}, {"heartfelt", "warm_cinematic"},
    {"emotional", "warm_cinematic"}, {"romantic", "warm_cinematic"}, {"rustic", "warm_cinematic"},
    {"comforting", "warm_cinematic"}, {"filmic", "warm_cinematic"}, {"c\xc3\xa1lido", "warm_cinematic"},
    {"acogedor", "warm_cinematic"}, {"chaleureux", "warm_cinematic"}, {"chaleureuse", "warm_cinematic"},
    {"gem\xc3\xbctlich", "warm_cinematic"}, {"warmherzig", "warm_cinematic"},
    {"noir", "noir"}, {"film noir", "noir"}, {"black and white", "noir"}, {"black-and-white", "noir"},
    {"b&w", "noir"}, {"monochrome", "noir"}, {"moody", "noir"}, {"mysterious", "noir"}, {"dark", "noir"},
    {"gritty", "noir"}, {"suspense", "noir"}, {"suspenseful", "noir"}, {"thriller", "noir"},
    {"detective", "noir"}, {"sombre", "noir"}, {"somber", "noir"}, {"oscuro", "noir"},
    {"minimal", "pastel_minimal"}, {"minimalist", "pastel_minimal"}, {"pastel", "pastel_minimal"},
    {"calm", "pastel_minimal"}, {"serene", "pastel_minimal"}, {"soft", "pastel_minimal"},
    {"elegant", "pastel_minimal"}, {"zen", "pastel_minimal"}, {"gentle", "pastel_minimal"},
    {"airy", "pastel_minimal"}, {"delicate", "pastel_minimal"}, {"clean", "pastel_minimal"},
    {"tranquil", "pastel_minimal"}, {"peaceful", "pastel_minimal"}, {"relaxing", "pastel_minimal"},
    {"neon", "neon_night"}, {"cyberpunk", "neon_night"}, {"nightlife", "neon_night"},
    {"night", "neon_night"}, {"futuristic", "neon_night"}, {"synthwave", "neon_night"},
    {"club", "neon_night"}, {"edgy", "neon_night"}, {"electric", "neon_night"}, {"sci-fi", "neon_night"},
    {"documentary", "documentary"}, {"authentic", "documentary"}, {"candid", "documentary"},
    {"natural", "documentary"}, {"realistic", "documentary"}, {"real-life", "documentary"},
    {"behind the scenes", "documentary"}, {"behind-the-scenes", "documentary"}, {"raw", "documentary"},
    {"honest", "documentary"}, {"journalistic", "documentary"}, {"documental", "documentary"},
    {"documentaire", "documentary"},
    {"retro", "retro_vhs"}, {"vhs", "retro_vhs"}, {"80s", "retro_vhs"}, {"1980s", "retro_vhs"},
    {"90s", "retro_vhs"}, {"1990s", "retro_vhs"}, {"vintage", "retro_vhs"}, {"throwback", "retro_vhs"},
    {"old-school", "retro_vhs"}, {"old school", "retro_vhs"}, {"nostalgic", "retro_vhs"},
    {"r\xc3\xa9tro", "retro_vhs"},
    {"corporate", "clean_corporate"}, {"professional", "clean_corporate"}, {"business", "clean_corporate"},
    {"b2b", "clean_corporate"}, {"saas", "clean_corporate"}, {"enterprise", "clean_corporate"},
    {"trustworthy", "clean_corporate"}, {"fintech", "clean_corporate"}, {"office", "clean_corporate"},
    {"startup", "clean_corporate"}, {"software", "clean_corporate"}, {"app", "clean_corporate"},
    {"anime", "anime"}, {"manga", "anime"}, {"ghibli", "anime"}, {"cartoon", "anime"},
    {"animated", "anime"}, {"cel-shaded", "anime"},
    {"bold", "bold_pop"}, {"pop", "bold_pop"}, {"energetic", "bold_pop"}, {"upbeat", "bold_pop"},
    {"fun", "bold_pop"}, {"playful", "bold_pop"}, {"vibrant", "bold_pop"}, {"colorful", "bold_pop"},
    {"colourful", "bold_pop"}, {"punchy", "bold_pop"}, {"exciting", "bold_pop"}, {"hype", "bold_pop"},
    {"bright", "bold_pop"}, {"dynamic", "bold_pop"}, {"lively", "bold_pop"}, {"flashy", "bold_pop"},
    {"energico", "bold_pop"}, {"en\xc3\xa9rgico", "bold_pop"}, {"dynamique", "bold_pop"},
    {"flat", "flat_explainer"}, {"vector", "flat_explainer"}, {"infographic", "flat_explainer"},
    {"illustrated", "flat_explainer"}, {"isometric", "flat_explainer"},
    {"motion graphics", "flat_explainer"}, {"explainer", "flat_explainer"},
    {"whiteboard", "flat_explainer"}, {"diagram", "flat_explainer"},
};

static bool is_mood_word(const char *w, size_t n) {
  for (size_t k = 0; k < sizeof MOODS / sizeof MOODS[0]; k++)
    if (strlen(MOODS[k].kw) == n && strncasecmp(MOODS[k].kw, w, n) == 0) return true;
  return false;
}

static void read_style(reader *r) {
  static const char *const NAMES[] = {"warm_cinematic", "noir", "pastel_minimal", "neon_night",
                                      "documentary", "retro_vhs", "clean_corporate", "anime",
                                      "bold_pop", "flat_explainer"};
  int score[10] = {0};
  size_t first[10];
  for (int k = 0; k < 10; k++) first[k] = SIZE_MAX;
  for (size_t m = 0; m < sizeof MOODS / sizeof MOODS[0]; m++) {
    int k = 0;
    while (k < 10 && strcmp(NAMES[k], MOODS[m].style) != 0) k++;
    for (size_t at = 0;;) {
      size_t p = find_kw(r, at, r->n, MOODS[m].kw);
      if (p == SIZE_MAX) break;
      /* A style name typed as such ("warm_cinematic") also counts. */
      score[k]++;
      if (p < first[k]) first[k] = p;
      at = p + 1;
    }
  }
  for (int k = 0; k < 10; k++) {
    size_t p = find_kw(r, 0, r->n, NAMES[k]);
    if (p != SIZE_MAX) {
      score[k] += 3;
      if (p < first[k]) first[k] = p;
      mark(r, p, p + strlen(NAMES[k]));
    }
  }
  int best = -1;
  for (int k = 0; k < 10; k++)
    if (score[k] && (best < 0 || score[k] > score[best] || (score[k] == score[best] && first[k] < first[best])))
      best = k;
  if (best >= 0) r->f->style = NAMES[best];
}

static bool has_ext(const char *p, size_t n, const char *const *exts) {
  for (int k = 0; exts[k]; k++) {
    size_t e = strlen(exts[k]);
    if (n > e && strncasecmp(p + n - e, exts[k], e) == 0) return true;
  }
  return false;
}

static const char *const AUDIO_EXT[] = {".wav", ".mp3", ".flac", ".ogg", ".m4a", ".aac", ".opus", NULL};
static const char *const MEDIA_EXT[] = {".png", ".jpg", ".jpeg", ".webp", ".mp4", ".mov", ".webm", ".mkv", NULL};

/* The path as the script must name it: relative to the script's directory when the file
 * lies under it, else absolute (a path named from the current directory would break). */
static char *script_path(const char *path, const char *out_path) {
  if (path[0] == '/') return strdup(path);
  char outdir[PATH_MAX];
  const char *slash = strrchr(out_path, '/');
  if (!slash) return strdup(path);
  snprintf(outdir, sizeof outdir, "%.*s", (int)(slash - out_path), out_path);
  char rdir[PATH_MAX], rcwd[PATH_MAX], rfile[PATH_MAX];
  if (!realpath(outdir[0] ? outdir : "/", rdir) || !realpath(".", rcwd)) return strdup(path);
  if (strcmp(rdir, rcwd) == 0) return strdup(path);
  if (!realpath(path, rfile)) {
    fe_buf b = {0};
    fe_buf_printf(&b, "%s/%s", rcwd, path);
    char *abs = fe_buf_take(&b);
    size_t dl = strlen(rdir);
    char *res = strncmp(abs, rdir, dl) == 0 && abs[dl] == '/' ? strdup(abs + dl + 1) : strdup(abs);
    free(abs);
    return res;
  }
  size_t dl = strlen(rdir);
  if (strncmp(rfile, rdir, dl) == 0 && rfile[dl] == '/') return strdup(rfile + dl + 1);
  return strdup(rfile);
}

/* Unquoted paths "assets/song.wav" in the text; quoted ones are in the quote list. */
static char *take_path(reader *r, size_t from, size_t to, const char *const *exts, size_t *at) {
  for (int k = 0; k < r->nq; k++) {
    quote *q = &r->q[k];
    if (q->taken || q->pos < from || q->pos >= to) continue;
    if (has_ext(q->text, strlen(q->text), exts) && !strchr(q->text, ' ')) {
      q->taken = true;
      if (at) *at = q->pos;
      return strdup(q->text);
    }
  }
  for (size_t i = from; i < to; i++) {
    if (i > from && r->s[i - 1] != ' ' && r->s[i - 1] != '\n' && r->s[i - 1] != '(' && r->s[i - 1] != ',') continue;
    size_t e = i;
    while (e < to && r->s[e] != ' ' && r->s[e] != '\n' && r->s[e] != ',' && r->s[e] != ')' &&
           (unsigned char)r->s[e] != MARK)
      e++;
    size_t n = e - i;
    while (n > 0 && (r->s[i + n - 1] == '.' || r->s[i + n - 1] == ';' || r->s[i + n - 1] == '!')) n--;
    if (n > 4 && has_ext(r->s + i, n, exts) && any_unused(r, i, i + n)) {
      mark(r, i, i + n);
      if (at) *at = i;
      return fe_strndup(r->s + i, n);
    }
    i = e;
  }
  return NULL;
}

static void read_music(reader *r) {
  fe_facts *f = r->f;
  char *file = r->o->music ? strdup(r->o->music) : NULL;
  char *found = take_path(r, 0, r->n, AUDIO_EXT, NULL);
  if (file && found) vsc_prompt_notes_add(r->notes, "--music %s wins over %s in the request", file, found);
  if (!file) file = found;
  else free(found);
  if (file) {
    f->music_file = script_path(file, r->o->out_path ? r->o->out_path : "prompt.vscript");
    free(file);
  }
  static const char *const NONE[] = {"no music", "without music", "silent", "no soundtrack", "sin m\xc3\xbasica",
                                     "sans musique", "ohne musik", NULL};
  int w;
  size_t len, p = find_any(r, 0, r->n, NONE, &w, &len);
  if (p != SIZE_MAX && !f->music_file) {
    f->no_music = true;
    mark(r, p, p + len);
  }
  /* Beat cuts first: "cut to the beat" must not become a music bed called "beat". */
  static const char *const BEATS[] = {"cut to the beat", "cuts to the beat", "cut on the beat",
                                      "cuts on the beat", "cut on beat", "cut on beats", "on the beat",
                                      "on beat", "to the beat", "on the beats", "beat-synced", "beat synced",
                                      "beat-sync", "beat sync", "synced to the music", "synced to the beat",
                                      "sync to the music", "in sync with the music", "to the rhythm",
                                      "al ritmo", "sur le rythme", "im takt", NULL};
  static const char *const BARS[] = {"on the bars", "on the bar", "on bars", "every bar", "each bar",
                                     "on the downbeat", "on downbeats", NULL};
  while ((p = find_any(r, 0, r->n, BARS, &w, &len)) != SIZE_MAX) {
    f->cut = 2;
    mark(r, p, p + len);
  }
  while ((p = find_any(r, 0, r->n, BEATS, &w, &len)) != SIZE_MAX) {
    if (!f->cut) f->cut = 1;
    mark(r, p, p + len);
  }
  /* "N bpm" */
  for (size_t i = 0; i < r->n; i++) {
    double v;
    size_t e;
    bool word;
    if (!number_at(r, i, &v, &e, &word) || word) continue;
    size_t u = skip_spaces(r, e);
    if (kw_at(r, u, "bpm") && v >= 40 && v <= 240) {
      f->tempo = v;
      mark(r, i, u + 3);
      break;
    }
    i = e > i ? e - 1 : i;
  }
  /* "upbeat lo-fi music": up to four words before a music noun. */
  static const char *const NOUNS[] = {"music", "soundtrack", "song", "track", "score", "tune", "jingle",
                                      "bgm", "beat", "m\xc3\xbasica", "musique", "musik",
                                      "\xd0\xbc\xd1\x83\xd0\xb7\xd1\x8b\xd0\xba\xd0\xb0", "\xe9\x9f\xb3\xe4\xb9\x90", NULL};
  p = find_any(r, 0, r->n, NOUNS, &w, &len);
  if (p != SIZE_MAX && !f->no_music) {
    size_t a = p;
    int words = 0;
    static const char *const STOP[] = {"with", "and", "to", "over", "plus", "some", "the", "a", "an",
                                       "set", "under", "con", "avec", "mit", "y", "et", "und", NULL};
    while (a > 0 && words < 4) {
      size_t e = a;
      while (e > 0 && r->w[e - 1] == ' ') e--;
      size_t b = e;
      while (b > 0 && (is_wb(r, b - 1) || r->w[b - 1] == '-') && !r->used[b - 1]) b--;
      if (b == e) break;
      bool stop = false;
      for (int k = 0; STOP[k]; k++)
        if (strlen(STOP[k]) == e - b && memcmp(r->w + b, STOP[k], e - b) == 0) stop = true;
      if (stop) break;
      a = b;
      words++;
    }
    /* "music: lo-fi piano" */
    size_t e = p + len;
    size_t c = skip_spaces(r, e);
    if (c < r->n && r->w[c] == ':') {
      size_t b = skip_spaces(r, c + 1), x = b;
      while (x < r->n && r->w[x] != '\n' && r->w[x] != '.' && r->w[x] != ',' && r->w[x] != ';' && r->w[x] != MARK) x++;
      if (x > b) e = x;
    }
    if (!f->music_file) {
      char *d = fe_strndup(r->s + a, e - a);
      for (char *q = d; *q; q++)
        if (*q == ':') *q = ',';
      fe_squeeze(d, " ,.;");
      f->music_desc = d;
    }
    mark(r, a, e);
  }
}

static void read_transition(reader *r) {
  static const struct {
    const char *kw, *name;
  } T[] = {{"hard cuts", "cut"}, {"hard cut", "cut"}, {"quick cuts", "cut"}, {"fast cuts", "cut"},
           {"jump cuts", "cut"}, {"jump cut", "cut"}, {"straight cuts", "cut"}, {"no transitions", "cut"},
           {"crossfades", "crossfade"}, {"crossfade", "crossfade"}, {"cross-fade", "crossfade"},
           {"cross fade", "crossfade"}, {"dissolves", "dissolve"}, {"dissolve", "dissolve"},
           {"fade to black", "fadeblack"}, {"fades to black", "fadeblack"}, {"dip to black", "fadeblack"},
           {"fade to white", "fadewhite"}, {"wipes", "wipeleft"}, {"wipe", "wipeleft"},
           {"slides", "slideleft"}, {"slide transitions", "slideleft"}, {"zoom transitions", "zoomin"},
           {"zoom transition", "zoomin"}, {"glitch", "pixelize"}, {"glitchy", "pixelize"},
           {"fades", "fade"}, {"fade transitions", "fade"}};
  size_t best = SIZE_MAX;
  for (size_t k = 0; k < sizeof T / sizeof T[0]; k++) {
    size_t p = find_kw(r, 0, r->n, T[k].kw);
    if (p == SIZE_MAX) continue;
    mark(r, p, p + strlen(T[k].kw));
    if (p < best) {
      best = p;
      r->f->transition = T[k].name;
    }
  }
  /* "60 fps" */
  for (size_t i = 0; i < r->n; i++) {
    double v;
    size_t e;
    bool word;
    if (!number_at(r, i, &v, &e, &word) || word) continue;
    size_t u = skip_spaces(r, e);
    size_t l = unit_at(r, u, "fps") ? 3 : unit_at(r, u, "frames per second") ? 17 : 0;
    if (l && (v == 24 || v == 25 || v == 30 || v == 50 || v == 60)) {
      r->f->fps = (int)v;
      mark(r, i, u + l);
      break;
    }
    i = e > i ? e - 1 : i;
  }
}

/* ---- genre and subject ------------------------------------------------------------------ */

static const char *const AD_WORDS[] = {"ad", "advert", "advertisement", "commercial", "spot", "promo",
                                       "promotional", "anuncio", "pub", "publicit\xc3\xa9", "werbung",
                                       "werbespot", "\xe5\xb9\xbf\xe5\x91\x8a", "\xd1\x80\xd0\xb5\xd0\xba\xd0\xbb\xd0\xb0\xd0\xbc\xd0\xb0", NULL};
static const char *const MV_WORDS[] = {"music video", "lyric video", "videoclip", "clip musical",
                                       "musikvideo", NULL};
static const char *const EXPL_WORDS[] = {"explainer", "tutorial", "how-to", "how to", "explain",
                                         "explains", "explaining", "walkthrough", "educational",
                                         "lesson", "tutoriel", NULL};
static const char *const GENRE_NOUNS[] = {"video", "tiktok", "reels", "shorts", "instagram", "youtube", "ad", "advert", "advertisement", "commercial", "spot",
                                          "promo", "clip", "reel", "short", "trailer", "teaser", "film",
                                          "movie", "explainer", "tutorial", "montage", "animation",
                                          "story", "anuncio", "v\xc3\xad" "deo", "pub", "werbung", "vid\xc3\xa9o",
                                          "\xe5\xb9\xbf\xe5\x91\x8a", "\xe8\xa7\x86\xe9\xa2\x91",
                                          "\xd1\x80\xd0\xbe\xd0\xbb\xd0\xb8\xd0\xba", NULL};

static void read_genre(reader *r) {
  fe_facts *f = r->f;
  int w;
  size_t len, p;
  f->genre = "video";
  if ((p = find_any(r, 0, r->n, MV_WORDS, &w, &len)) != SIZE_MAX) {
    f->preset = "music_video";
    f->genre = "music video";
    mark(r, p, p + len);
  } else if ((p = find_any(r, 0, r->n, EXPL_WORDS, &w, &len)) != SIZE_MAX) {
    f->preset = "explainer";
    f->genre = "explainer";
  } else if (find_any(r, 0, r->n, AD_WORDS, &w, &len) != SIZE_MAX) {
    f->genre = "ad";
  } else if (strcmp(f->preset, "social_vertical") == 0) {
    f->genre = "clip";
  }
}

static const char *const STOPWORDS[] = {
    "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "with", "by", "from", "into",
    "onto", "then", "next", "first", "finally", "lastly", "after", "that", "this", "it", "its", "is",
    "are", "be", "we", "us", "our", "i", "me", "my", "you", "your", "show", "shows", "showing", "see",
    "make", "made", "create", "want", "need", "please", "video", "ad", "clip", "scene", "shot", "some",
    "very", "really", "also", "about", "like", "just", "as", "so", "but", "while", "where", "when",
    "end", "ends", "start", "starts", "open", "opens", "close", "closes", "cut", "cuts", "music", "x",
    "s", "le", "la", "les", "el", "los", "las", "un", "una", "une", "de", "del", "des", "du", "y", "et",
    "und", "der", "die", "das", "ein", "eine", "en", "con", "avec", "mit", "para", "pour", "f\xc3\xbcr",
    "ending", "opening", "starting", "between", "each", "every", "over", "under", "up", "down", NULL};

static bool is_stopword(const char *w, size_t n) {
  for (int i = 0; STOPWORDS[i]; i++)
    if (strlen(STOPWORDS[i]) == n && strncasecmp(STOPWORDS[i], w, n) == 0) return true;
  return false;
}

/* Content words of a description: not filler, not mood words. */
static int content_words(const char *d) {
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
static void strip_leads(char *d) {
  static const char *const LEADS[] = {
      "first of all", "first", "firstly", "to start", "start with", "starts with", "starting with",
      "open with", "opens with", "opening with", "open on", "opens on", "begin with", "begins with",
      "then", "next", "after that", "afterwards", "followed by", "and then", "and", "second",
      "secondly", "third", "thirdly", "fourth", "finally", "lastly", "at the end", "in the end",
      "end with", "ends with", "end on", "ends on", "ending with", "ending on", "close on",
      "closes on", "close with", "closes with", "closing on", "closing with", "finish with",
      "finishes with", "finish on", "we see", "you see", "show", "shows", "showing", "cut to",
      "scene", "shot", "a shot of", "shot of", "luego", "despu\xc3\xa9s", "puis", "ensuite", "dann",
      "danach", "enfin", "finalmente", "zuletzt", "primero", "d'abord", "zuerst", ":", ",", "-",
      NULL};
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
  static const char *const TAILS[] = {" and", " with", " then", " the", " a", " an", " of", " to", " in", " on", NULL};
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
static char *leftover(const reader *r, size_t a, size_t b) {
  fe_buf buf = {0};
  for (size_t i = a; i < b; i++) {
    if ((unsigned char)r->s[i] == MARK) {
      fe_buf_puts(&buf, " ");
      i++;
      continue;
    }
    if (r->used[i]) {
      /* keep a gap so that words on both sides do not merge */
      if (buf.n && buf.s[buf.n - 1] != ' ') fe_buf_puts(&buf, " ");
      continue;
    }
    fe_buf_add(&buf, r->s + i, 1);
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
  strip_leads(d);
  fe_squeeze(d, " ,;:.!?-");
  return d;
}

/* "an ad for X", "a video about X": the words after the lead, up to a comma or a fact. */
static char *subject_of(reader *r, size_t a, size_t b) {
  static const char *const LEADS[] = {"for", "about", "of", "showing", "featuring", "on", "introducing",
                                      "promoting", "advertising", "presenting", "para", "pour",
                                      "f\xc3\xbcr", "sobre", "\xc3\xbc" "ber", "sur", "de", NULL};
  static const char *const ENDS[] = {" with ", " that ", " which ", " in the style", " set to ",
                                     " using ", " where ", " while ", " y ", " et ", " und ", " and then ",
                                     NULL};
  for (size_t at = a; at < b;) {
    int w;
    size_t len, p = find_any(r, at, b, LEADS, &w, &len);
    if (p == SIZE_MAX) break;
    /* Only after a genre noun or at the start of the clause. */
    bool after_noun = false;
    size_t from = p > a + 40 ? p - 40 : a;
    for (int k = 0; GENRE_NOUNS[k]; k++)
      if (find_kw(r, from, p, GENRE_NOUNS[k]) != SIZE_MAX) after_noun = true;
    size_t s0 = skip_spaces(r, p + len);
    if (!after_noun || s0 >= b || r->used[s0] || (unsigned char)r->w[s0] == MARK) {
      at = p + len;
      continue;
    }
    size_t e = s0;
    while (e < b && !r->used[e] && r->w[e] != ',' && r->w[e] != '.' && r->w[e] != ';' && r->w[e] != ':' &&
           r->w[e] != '\n' && r->w[e] != '!' && r->w[e] != '?' && (unsigned char)r->w[e] != MARK &&
           strncmp(r->w + e, "\xef\xbc\x8c", 3) != 0 && strncmp(r->w + e, "\xe3\x80\x82", 3) != 0)
      e++;
    for (int k = 0; ENDS[k]; k++) {
      const char *x = strstr(r->w + s0, ENDS[k]);
      if (x && (size_t)(x - r->w) < e) e = (size_t)(x - r->w);
    }
    char *d = fe_strndup(r->s + s0, e - s0);
    fe_squeeze(d, " ,;:.!?-");
    if (content_words(d) > 0) {
      mark(r, p, e);
      return d;
    }
    free(d);
    at = p + len;
  }
  return NULL;
}

/* ---- clauses ---------------------------------------------------------------------------- */

static bool is_bullet_line(const reader *r, size_t i, size_t *body) {
  i = skip_spaces(r, i);
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
  if (kw_at(r, j, "scene") || kw_at(r, j, "shot") || kw_at(r, j, "step")) {
    j = skip_spaces(r, j + (r->w[j + 1] == 'c' ? 5 : 4));
  }
  size_t d = j;
  while (d < r->n && isdigit((unsigned char)r->w[d])) d++;
  if (d == j || d - j > 2 || d >= r->n) return false;
  if (r->w[d] == '.' || r->w[d] == ')' || r->w[d] == ':' || (j > i && r->w[d] == ' ')) {
    if (r->w[d] == '.' && d + 1 < r->n && isdigit((unsigned char)r->w[d + 1])) return false; /* 1.5 */
    *body = d + 1;
    return true;
  }
  return false;
}

/* Numbered or bulleted lines. Returns the number of items. */
static int list_lines(reader *r, span *items, int max, span *head) {
  int n = 0;
  size_t first = SIZE_MAX, last_end = 0;
  for (size_t i = 0; i < r->n;) {
    size_t e = i;
    while (e < r->n && r->w[e] != '\n') e++;
    size_t body;
    if (is_bullet_line(r, i, &body)) {
      if (n < max) {
        items[n].a = body;
        items[n].b = e;
        n++;
      }
      if (first == SIZE_MAX) first = i;
      last_end = e;
    } else if (n > 0 && n <= max && e > i && i > last_end) {
      /* an indented continuation line belongs to the item above */
      if (r->w[i] == ' ' || r->w[i] == '\t') {
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
static int close_list(reader *r, span *items, int k, size_t list_start, const char *enders, span *head) {
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
static int inline_numbers(reader *r, span *items, int max, span *head) {
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

static const char *const SEQ_START[] = {"first of all", "first", "firstly", "to start", "start with",
                                        "starts with", "starting with", "open with", "opens with",
                                        "opening with", "open on", "opens on", "begin with",
                                        "begins with", "primero", "d'abord", "zuerst", NULL};
static const char *const SEQ_MID[] = {"then", "next", "after that", "afterwards", "followed by",
                                      "second", "secondly", "third", "thirdly", "luego", "puis",
                                      "ensuite", "dann", "danach", NULL};
static const char *const SEQ_END[] = {"finally", "lastly", "at the end", "in the end", "end with",
                                      "ends with", "end on", "ends on", "ending with", "ending on",
                                      "close on", "closes on", "close with", "closes with",
                                      "closing on", "closing with", "finish with", "finishes with",
                                      "finish on", "enfin", "finalmente", "zuletzt", NULL};

/* "first … then … finally …": clause starts at each sequence word. */
static int sequence_words(reader *r, span *items, int max, span *head, bool *tail_only) {
  size_t marks[64];
  int kinds[64];
  int n = 0;
  const char *const *lists[3] = {SEQ_START, SEQ_MID, SEQ_END};
  for (size_t i = 0; i < r->n && n < 64; i++) {
    if (r->used[i] || (i && is_wb(r, i - 1))) continue;
    for (int l = 0; l < 3; l++) {
      bool hit = false;
      for (int k = 0; lists[l][k]; k++)
        if (kw_at(r, i, lists[l][k])) {
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
static int sentences(const reader *r, span *out, int max) {
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

/* ---- scenes ------------------------------------------------------------------------------- */

static const struct {
  const char *kw, *move;
} CAMERAS[] = {{"push in", "push-in"},   {"push-in", "push-in"},     {"pushes in", "push-in"},
               {"dolly in", "push-in"},  {"pull out", "pull-out"},   {"pull-out", "pull-out"},
               {"pulls out", "pull-out"}, {"pull back", "pull-out"}, {"pulls back", "pull-out"},
               {"dolly out", "pull-out"}, {"pan left", "pan-left"},  {"pans left", "pan-left"},
               {"pan right", "pan-right"}, {"pans right", "pan-right"}, {"tilt up", "tilt-up"},
               {"tilts up", "tilt-up"},  {"tilt down", "tilt-down"}, {"tilts down", "tilt-down"},
               {"orbit", "orbit"},       {"orbits", "orbit"},        {"360", "orbit"},
               {"circling", "orbit"},    {"handheld", "handheld"},   {"hand-held", "handheld"},
               {"shaky", "handheld"},    {"zoom in", "zoom-in"},     {"zooms in", "zoom-in"},
               {"zoom out", "zoom-out"}, {"zooms out", "zoom-out"},  {"static", "static"},
               {"locked-off", "static"}, {"tripod", "static"}};

static const char *const IMAGE_WORDS[] = {"photo", "photograph", "still", "image", "picture",
                                          "illustration", "poster", "painting", "drawing", "snapshot",
                                          "foto", "imagen", "bild", NULL};
static const char *const CARD_WORDS[] = {"logo", "end card", "endcard", "title card", "card",
                                         "black screen", "end screen", "text card", "packshot",
                                         "blank screen", NULL};

static void add_scene_text(fe_scene *sc, char *text, int role) {
  if (sc->ntexts >= FE_MAX_LINES) {
    free(text);
    return;
  }
  sc->texts[sc->ntexts].text = text;
  sc->texts[sc->ntexts].role = role;
  sc->ntexts++;
}

static void add_scene_voice(fe_scene *sc, char *line) {
  if (sc->nvoices >= FE_MAX_LINES) {
    free(line);
    return;
  }
  sc->voices[sc->nvoices++] = line;
}

/* Builds a scene from the clause [a, b). */
static void read_scene(reader *r, fe_scene *sc, size_t a, size_t b, length_hit *lens, int nlens) {
  memset(sc, 0, sizeof *sc);
  for (int k = 0; k < nlens; k++)
    if (!lens[k].global && lens[k].a >= a && lens[k].b <= b && !sc->dur) {
      sc->dur = lens[k].seconds;
      mark(r, lens[k].a, lens[k].b);
      /* "for 5 seconds" */
      size_t from = lens[k].a > 5 ? lens[k].a - 5 : a;
      size_t p = find_kw(r, from < a ? a : from, lens[k].a, "for");
      if (p != SIZE_MAX) mark(r, p, lens[k].a);
    }
  size_t fat;
  char *file = take_path(r, a, b, MEDIA_EXT, &fat);
  for (int k = 0; k < r->nq; k++) {
    quote *q = &r->q[k];
    if (q->taken || q->pos < a || q->pos >= b) continue;
    q->taken = true;
    if (q->role == ROLE_VOICE) add_scene_voice(sc, q->text);
    else add_scene_text(sc, q->text, q->role == ROLE_NONE ? FE_TEXT_PLAIN : q->role);
    q->text = NULL;
  }
  for (size_t k = 0; k < sizeof CAMERAS / sizeof CAMERAS[0] && !sc->camera; k++)
    if (find_kw(r, a, b, CAMERAS[k].kw) != SIZE_MAX) sc->camera = CAMERAS[k].move;
  char *d = leftover(r, a, b);
  int w;
  size_t len;
  sc->shot = FE_SHOT_VIDEO;
  if (file) {
    sc->shot = FE_SHOT_FILE;
    sc->file = script_path(file, r->o->out_path ? r->o->out_path : "prompt.vscript");
    free(file);
  } else if (find_any(r, a, b, IMAGE_WORDS, &w, &len) != SIZE_MAX) {
    sc->shot = FE_SHOT_IMAGE;
  } else if (find_any(r, a, b, CARD_WORDS, &w, &len) != SIZE_MAX && (sc->ntexts > 0 || content_words(d) <= 2)) {
    /* A card with words on it; a bare "logo" shot is an image of the logo. */
    sc->shot = sc->ntexts > 0 ? FE_SHOT_COLOR : FE_SHOT_IMAGE;
  } else if (!*d && sc->ntexts > 0) {
    sc->shot = FE_SHOT_COLOR;
  }
  if (*d) sc->desc = d;
  else free(d);
}

static void take_global_quotes(reader *r) {
  fe_facts *f = r->f;
  for (int k = 0; k < r->nq; k++) {
    quote *q = &r->q[k];
    if (q->taken) continue;
    q->taken = true;
    if (q->role == ROLE_VOICE) {
      if (f->nvoices < FE_MAX_LINES * 2) f->voices[f->nvoices++] = q->text;
      else free(q->text);
    } else if (q->role == FE_TEXT_TITLE && !f->title) {
      /* The title of the video, shown on the first scene too. */
      f->title = strdup(q->text);
      if (f->ntexts < FE_MAX_LINES * 2) {
        f->texts[f->ntexts].text = q->text;
        f->texts[f->ntexts++].role = FE_TEXT_TITLE;
      } else {
        free(q->text);
      }
    } else if (f->ntexts < FE_MAX_LINES * 2) {
      f->texts[f->ntexts].text = q->text;
      f->texts[f->ntexts++].role = q->role == ROLE_NONE ? FE_TEXT_PLAIN : q->role;
    } else {
      free(q->text);
    }
    q->text = NULL;
  }
}

/* ---- the whole request ---------------------------------------------------------------- */

int fe_rules_read(fe_facts *f, const char *request, const vsc_prompt_options *o,
                  vsc_prompt_notes *notes, char *err, size_t errlen) {
  memset(f, 0, sizeof *f);
  f->budget = -1;
  size_t n = strlen(request);
  if (n > VSC_PROMPT_MAX_REQUEST) {
    n = fe_utf8_cut(request, VSC_PROMPT_MAX_REQUEST);
    vsc_prompt_notes_add(notes, "the request is longer than %d bytes: only the first %zu were read",
                         VSC_PROMPT_MAX_REQUEST, n);
  }
  reader r = {0};
  r.f = f;
  r.o = o;
  r.notes = notes;
  r.s = fe_sanitize(request, n);
  r.n = strlen(r.s);
  f->request = strdup(r.s);
  r.w = strdup(r.s);
  for (size_t i = 0; i < r.n; i++)
    if ((unsigned char)r.s[i] < 0x80) r.w[i] = (char)tolower((unsigned char)r.s[i]);
  r.used = calloc(r.n + 1, 1);

  find_quotes(&r);
  colon_lines(&r);
  quote_roles(&r);
  read_frame(&r);
  read_genre(&r);
  read_budget(&r);
  read_quality(&r);
  read_music(&r);
  read_transition(&r);
  read_style(&r);
  if (f->fps == 0 && f->width == 0 && strcmp(f->preset, "ad30") == 0) {
    /* nothing: the preset decides */
  }

  length_hit lens[32];
  int nlens = find_lengths(&r, lens, 32);
  for (int k = 0; k < nlens; k++) mark(&r, lens[k].a, lens[k].b); /* "30 second" is no sequence word */

  /* Clauses: a list, inline numbers, sequence words, or sentences. */
  span items[VSC_PROMPT_MAX_SCENES + 1], head[2] = {{0, 0}, {0, 0}};
  bool tail_only = false;
  int nitems = list_lines(&r, items, VSC_PROMPT_MAX_SCENES + 1, head);
  if (!nitems) nitems = inline_numbers(&r, items, VSC_PROMPT_MAX_SCENES + 1, head);
  if (!nitems) nitems = sequence_words(&r, items, VSC_PROMPT_MAX_SCENES + 1, head, &tail_only);
  bool from_sentences = false;
  span sents[64];
  int nsents = 0;
  if (!nitems) {
    nsents = sentences(&r, sents, 64);
    head[0].a = head[0].b = 0;
    from_sentences = true;
  }

  /* Lengths outside the scene clauses, or worded as the video's, are the total. */
  for (int k = 0; k < nlens; k++) {
    bool inside = false;
    for (int i = 0; i < nitems; i++)
      if (lens[k].a >= items[i].a && lens[k].b <= items[i].b) inside = true;
    if (!inside && !from_sentences) lens[k].global = true;
    if (from_sentences && k == 0 && nlens == 1) lens[k].global = true;
  }
  for (int k = 0; k < nlens; k++)
    if (lens[k].global) {
      if (!f->length) {
        f->length = lens[k].seconds;
        mark(&r, lens[k].a, lens[k].b);
        /* "30-second long" */
        size_t e = skip_spaces(&r, lens[k].b);
        if (kw_at(&r, e, "long")) mark(&r, e, e + 4);
      }
    }

  /* The subject: from the head (or the first sentence). */
  if (!from_sentences) {
    f->subject = subject_of(&r, head[0].a, head[0].b);
    if (!f->subject) f->subject = subject_of(&r, head[1].a, head[1].b);
    if (!f->subject) {
      char *d = leftover(&r, head[0].a, head[0].b);
      if (content_words(d) > 0) f->subject = d;
      else free(d);
    }
  }

  if (nitems) {
    if (nitems > VSC_PROMPT_MAX_SCENES) {
      vsc_prompt_notes_add(notes, "more than %d scenes listed: kept the first %d", VSC_PROMPT_MAX_SCENES,
                           VSC_PROMPT_MAX_SCENES);
      nitems = VSC_PROMPT_MAX_SCENES;
    }
    f->scenes = calloc((size_t)nitems, sizeof *f->scenes);
    for (int i = 0; i < nitems; i++) read_scene(&r, &f->scenes[f->nscenes++], items[i].a, items[i].b, lens, nlens);
    f->scenes_stated = !tail_only;
    f->tail_only = tail_only;
  } else {
    /* Sentences: a premise ("A 30 second ad for X.") gives the subject; two or more
     * describing sentences are the scenes. */
    int nscene_s = 0;
    bool is_scene[64] = {false};
    for (int i = 0; i < nsents; i++) {
      int w;
      size_t len;
      bool premise = find_any(&r, sents[i].a, sents[i].b, GENRE_NOUNS, &w, &len) != SIZE_MAX;
      bool marked_genre = false;
      for (int k = 0; GENRE_NOUNS[k]; k++)
        if (find_kw(&r, sents[i].a, sents[i].b, GENRE_NOUNS[k]) != SIZE_MAX) marked_genre = true;
      if (premise || marked_genre) {
        char *s = subject_of(&r, sents[i].a, sents[i].b);
        if (s && !f->subject) f->subject = s;
        else free(s);
        continue;
      }
      char *d = leftover(&r, sents[i].a, sents[i].b);
      int quotes_in = 0;
      for (int k = 0; k < r.nq; k++)
        if (r.q[k].pos >= sents[i].a && r.q[k].pos < sents[i].b) quotes_in++;
      if (content_words(d) >= 2 || (content_words(d) >= 1 && quotes_in)) {
        is_scene[i] = true;
        nscene_s++;
      }
      free(d);
    }
    if (nscene_s >= 2) {
      if (nscene_s > VSC_PROMPT_MAX_SCENES) {
        vsc_prompt_notes_add(notes, "more than %d scene sentences: kept the first %d", VSC_PROMPT_MAX_SCENES,
                             VSC_PROMPT_MAX_SCENES);
        nscene_s = VSC_PROMPT_MAX_SCENES;
      }
      f->scenes = calloc((size_t)nscene_s, sizeof *f->scenes);
      for (int i = 0; i < nsents && f->nscenes < nscene_s; i++)
        if (is_scene[i]) read_scene(&r, &f->scenes[f->nscenes++], sents[i].a, sents[i].b, lens, nlens);
      f->scenes_stated = true;
    } else {
      /* One describing sentence (or none): it is the subject, or adds to it. */
      for (int i = 0; i < nsents; i++) {
        if (!is_scene[i]) continue;
        char *d = leftover(&r, sents[i].a, sents[i].b);
        if (!f->subject) {
          f->subject = d;
        } else {
          fe_buf b = {0};
          fe_buf_printf(&b, "%s, %s", f->subject, d);
          free(f->subject);
          free(d);
          f->subject = fe_buf_take(&b);
        }
      }
      if (!f->subject) {
        char *d = leftover(&r, 0, r.n);
        if (content_words(d) > 0) f->subject = d;
        else free(d);
      }
    }
  }
  /* A file in the head makes the first scene. */
  take_global_quotes(&r);
  if (f->subject) {
    f->subject[fe_utf8_cut(f->subject, 200)] = 0;
    fe_squeeze(f->subject, " ,;:.!?-");
    if (!*f->subject) {
      free(f->subject);
      f->subject = NULL;
    }
  }
  for (int i = 0; i < r.nq; i++) free(r.q[i].text);
  free(r.s);
  free(r.w);
  free(r.used);
  (void)err;
  (void)errlen;
  return 0;
}

void fe_facts_free(fe_facts *f) {
  for (int i = 0; i < f->nscenes; i++) {
    fe_scene *sc = &f->scenes[i];
    free(sc->desc);
    free(sc->file);
    for (int k = 0; k < sc->ntexts; k++) free(sc->texts[k].text);
    for (int k = 0; k < sc->nvoices; k++) free(sc->voices[k]);
  }
  free(f->scenes);
  for (int k = 0; k < f->ntexts; k++) free(f->texts[k].text);
  for (int k = 0; k < f->nvoices; k++) free(f->voices[k]);
  free(f->music_file);
  free(f->music_desc);
  free(f->subject);
  free(f->title);
  free(f->request);
  memset(f, 0, sizeof *f);
}
