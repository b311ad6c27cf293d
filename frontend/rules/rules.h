/*
** rules.h — internals of the rule-based prompt parser (frontend/rules/): the reader that
** every extractor works on, the matching helpers they share, and one entry per extractor.
**
** The request is kept twice with the same byte offsets: `s` (original case) and `w`
** (ASCII-lowercased), with every quoted line replaced by a two-byte marker padded with
** spaces. Each extractor marks the bytes it consumed in `used`, so that what is left of a
** clause is its visual description. rules.c runs the extractors in a fixed order (see
** fe_rules_read): quotes first, then the global facts, then clauses and scenes.
*/
#ifndef VSC_FRONTEND_RULES_H
#define VSC_FRONTEND_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "frontend.h"
#include "rules/words.h"

#define MAX_QUOTES 120 /* the marker holds 0x80 + index in one byte */
#define MARK 0x01      /* a quote marker: MARK, 0x80 + index */

typedef struct {
  char *text; /* owned until moved into the facts */
  int role;   /* FE_TEXT_*, ROLE_VOICE or ROLE_NONE */
  size_t pos; /* offset of its marker */
  bool taken; /* moved into a scene or the facts */
} fe_quote;

typedef struct {
  size_t a, b; /* a clause: [a, b) */
} fe_span;

typedef struct {
  char *s, *w; /* the request, original case and lowered (owned) */
  size_t n;
  unsigned char *used; /* n bytes: 1 where an extractor consumed the byte (owned) */
  fe_quote q[MAX_QUOTES];
  int nq;
  fe_facts *f; /* what the extractors fill (borrowed) */
  vsc_prompt_notes *notes;
  const vsc_prompt_options *o;
} fe_reader;

typedef struct {
  double seconds;
  size_t a, b;
  bool global; /* says it is the video's length */
} fe_length;

/* ---- matching (match.c) ----------------------------------------------------------------- */
bool fe_is_wb(const fe_reader *r, size_t i);
/* Is keyword `kw` at offset i, with word boundaries (none needed on a non-ASCII side)? */
bool fe_kw_at(const fe_reader *r, size_t i, const char *kw);
/* The first occurrence of kw in [from, to) with boundaries, or SIZE_MAX. */
size_t fe_find_kw(const fe_reader *r, size_t from, size_t to, const char *kw);
bool fe_any_unused(const fe_reader *r, size_t a, size_t b); /* true when none of [a, b) is used */
void fe_mark(fe_reader *r, size_t a, size_t b);
/* The earliest unused keyword of a NULL-terminated list in [from, to): its offset (or
 * SIZE_MAX), with *which and *len set. */
size_t fe_find_any(const fe_reader *r, size_t from, size_t to, const char *const *kws, int *which,
                   size_t *len);
size_t fe_skip_spaces(const fe_reader *r, size_t i);
/* A number at i: digits (with . or , decimals) or a number word. Sets *end and *word. */
bool fe_number_at(const fe_reader *r, size_t i, double *v, size_t *end, bool *word);
/* A unit right after a number: no boundary needed before it, one after unless CJK. */
bool fe_unit_at(const fe_reader *r, size_t u, const char *unit);

/* ---- what is left of a clause (leftover.c) ---------------------------------------------- */
/* Strips lead-in words ("then", "we see", list numbers) and trailing glue (" and", " the")
 * from d in place. */
void fe_strip_glue(char *d);
/* The unused bytes of [a, b), squeezed, without leading and trailing glue. Caller frees. */
char *fe_leftover(const fe_reader *r, size_t a, size_t b);

/* ---- paths (paths.c) -------------------------------------------------------------------- */
/* The first path in [from, to) ending in one of `exts`: a quoted one (taken) or an
 * unquoted one (marked). Caller frees; NULL if none. *at (may be NULL) gets its offset. */
char *fe_take_path(fe_reader *r, size_t from, size_t to, const char *const *exts, size_t *at);
/* The path as the script at out_path must name it. Caller frees. */
char *fe_script_path(const char *path, const char *out_path);

/* ---- extractors, in the order rules.c runs them ----------------------------------------- */
void fe_read_quotes(fe_reader *r);                           /* quotes.c: quoted lines in any quoting style */
void fe_read_colon_lines(fe_reader *r);                      /* quotes.c: "Voiceover: line" without quotes */
void fe_read_quote_roles(fe_reader *r);                      /* quotes.c: what each quoted line is */
void fe_read_frame(fe_reader *r);                            /* format.c: size, aspect, platform */
void fe_read_genre(fe_reader *r);                            /* subject.c: ad, music video, explainer */
void fe_read_budget(fe_reader *r);                           /* money.c: the dollar cap */
void fe_read_quality(fe_reader *r);                          /* money.c: draft or final tier */
void fe_read_music(fe_reader *r);                            /* music.c: file, description, beat cuts, bpm */
void fe_read_transition(fe_reader *r);                       /* style.c: transitions between scenes */
void fe_read_fps(fe_reader *r);                              /* format.c: frames per second */
void fe_read_style(fe_reader *r);                            /* style.c: mood words → a std/styles name */
int fe_read_lengths(fe_reader *r, fe_length *hits, int max); /* timing.c: every "N seconds" */

/* clauses.c: how the request divides into scenes. Each returns the number of items (0 =
 * not this shape) and sets head[0..1], the text before and after the list. */
int fe_clauses_list(fe_reader *r, fe_span *items, int max, fe_span *head);
int fe_clauses_inline_numbers(fe_reader *r, fe_span *items, int max, fe_span *head);
int fe_clauses_sequence(fe_reader *r, fe_span *items, int max, fe_span *head, bool *tail_only);
int fe_clauses_sentences(const fe_reader *r, fe_span *out, int max);
/* "4 scenes": sets f->scene_count; returns the offset past the noun, or SIZE_MAX. */
size_t fe_read_scene_count(fe_reader *r);
/* "4 scenes: a; b; c; d": the items after a stated count (`after`, from above). */
int fe_clauses_counted(fe_reader *r, size_t after, fe_span *items, int max, fe_span *head);

/* subject.c: "an ad for X", "a video about X" in [a, b), or NULL. Caller frees. */
char *fe_read_subject(fe_reader *r, size_t a, size_t b);

/* scenes.c */
void fe_read_scene(fe_reader *r, fe_scene *sc, size_t a, size_t b, fe_length *lens, int nlens);
void fe_take_global_quotes(fe_reader *r);
/* Scenes (or the subject) from the sentences of a request with no list. */
void fe_scenes_from_sentences(fe_reader *r, const fe_span *sents, int nsents, fe_length *lens, int nlens);

#endif
