/*
** rules.c — the rule-based prompt parser: reads a request in plain words into facts
** (frontend.h). Deterministic, offline. It extracts only what the request states; emit.c
** fills the rest from the preset. The extractors live one family per file in this folder
** (rules.h lists them), their words in frontend/words/ (one .def per table).
*/
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/rules.h"

/* Keeps the comma-separated parts of the subject that hold content words, each without
 * the lead words left over from the facts around it ("TikTok for, neon city at night, 3
 * scenes" → "neon city at night"). */
static void clean_subject(fe_facts *f) {
  /* The CJK commas "、" and "，" separate parts too. */
  vsc_buf in = {0};
  for (const char *p = f->subject; *p; p++) {
    if (strncmp(p, "\xe3\x80\x81", 3) == 0 || strncmp(p, "\xef\xbc\x8c", 3) == 0) {
      vsc_buf_puts(&in, ", ");
      p += 2;
    } else {
      vsc_buf_append(&in, p, 1);
    }
  }
  free(f->subject);
  f->subject = fe_buf_take(&in);
  vsc_buf out = {0};
  for (char *p = f->subject; *p;) {
    size_t n = strcspn(p, ",:;");
    char *part = fe_strndup(p, n);
    for (bool again = true; again;) {
      again = false;
      fe_squeeze(part, " ,;:.!?-");
      for (int k = 0; fe_words_subject_leads[k]; k++) {
        size_t l = strlen(fe_words_subject_leads[k]);
        if (strncasecmp(part, fe_words_subject_leads[k], l) == 0 && (!part[l] || part[l] == ' ')) {
          memmove(part, part + l, strlen(part + l) + 1);
          again = true;
          break;
        }
      }
    }
    fe_strip_glue(part);
    if (fe_content_words(part) > 0) {
      if (out.len) vsc_buf_puts(&out, ", ");
      vsc_buf_puts(&out, part);
    }
    free(part);
    p += n;
    if (*p) p++;
  }
  free(f->subject);
  f->subject = out.len ? fe_buf_take(&out) : NULL;
  free(out.s);
}

/* The quoted lines and their roles first (each quote then stands for one token), then
 * the facts of the whole video. */
static void read_global_facts(fe_reader *r) {
  fe_read_quotes(r);
  fe_read_colon_lines(r);
  fe_read_quote_roles(r);
  for (int k = 0; k < r->nq; k++)
    fe_facts_state_line(r->f, r->q[k].text, r->q[k].role == ROLE_NONE ? FE_TEXT_PLAIN : r->q[k].role);
  fe_read_frame(r);
  fe_read_genre(r);
  fe_read_budget(r);
  fe_read_quality(r);
  fe_read_music(r);
  fe_read_transition(r);
  fe_read_fps(r);
  fe_read_style(r);
}

/* The video's length: the first length outside the scene clauses, or worded as the
 * video's ("a 30 second ad"); with sentences only, a lone length too. */
static void settle_length(fe_reader *r, fe_length *lens, int nlens, const fe_span *items, int nitems,
                          bool from_sentences) {
  for (int k = 0; k < nlens; k++) {
    bool inside = false;
    for (int i = 0; i < nitems; i++)
      if (lens[k].a >= items[i].a && lens[k].b <= items[i].b) inside = true;
    if (!inside && !from_sentences) lens[k].global = true;
    if (from_sentences && k == 0 && nlens == 1) lens[k].global = true;
  }
  for (int k = 0; k < nlens; k++)
    if (lens[k].global && !r->f->length) {
      r->f->length = lens[k].seconds;
      fe_mark(r, lens[k].a, lens[k].b);
      /* "30-second long" */
      size_t e = fe_skip_spaces(r, lens[k].b);
      if (fe_kw_at(r, e, "long")) fe_mark(r, e, e + 4);
    }
}

/* Runs the extractors over the request in order: quotes, global facts, lengths, then the
 * clauses (a list, inline numbers, sequence words or sentences) and a scene per clause. */
int fe_rules_read(fe_facts *f, const char *request, const vsc_prompt_options *o,
                  vsc_prompt_notes *notes, char *err, size_t errlen) {
  memset(f, 0, sizeof *f);
  f->budget = -1;
  size_t n = strlen(request);
  if (n > VSC_PROMPT_MAX_REQUEST) {
    n = fe_utf8_cut(request, VSC_PROMPT_MAX_REQUEST);
    vsc_prompt_notes_unplaced(notes, "the request is longer than %d bytes: only the first %zu were read",
                              VSC_PROMPT_MAX_REQUEST, n);
  }
  fe_reader r = {0};
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

  read_global_facts(&r);

  fe_length lens[32];
  int nlens = fe_read_lengths(&r, lens, 32);
  for (int k = 0; k < nlens; k++) fe_mark(&r, lens[k].a, lens[k].b); /* "30 second" is no sequence word */

  /* Clauses: a list, inline numbers, sequence words, or sentences. */
  fe_span items[VSC_PROMPT_MAX_SCENES + 1], head[2] = {{0, 0}, {0, 0}};
  bool tail_only = false;
  size_t count_end = fe_read_scene_count(&r);
  int nitems = fe_clauses_list(&r, items, VSC_PROMPT_MAX_SCENES + 1, head);
  if (!nitems) nitems = fe_clauses_counted(&r, count_end, items, VSC_PROMPT_MAX_SCENES + 1, head);
  if (!nitems) nitems = fe_clauses_inline_numbers(&r, items, VSC_PROMPT_MAX_SCENES + 1, head);
  if (!nitems) nitems = fe_clauses_sequence(&r, items, VSC_PROMPT_MAX_SCENES + 1, head, &tail_only);
  bool from_sentences = false;
  fe_span sents[64];
  int nsents = 0;
  if (!nitems) {
    nsents = fe_clauses_sentences(&r, sents, 64);
    head[0].a = head[0].b = 0;
    from_sentences = true;
  }

  settle_length(&r, lens, nlens, items, nitems, from_sentences);

  /* The subject: from the head (or the first sentence). */
  if (!from_sentences) {
    f->subject = fe_read_subject(&r, head[0].a, head[0].b);
    if (!f->subject) f->subject = fe_read_subject(&r, head[1].a, head[1].b);
    if (!f->subject) {
      char *d = fe_leftover(&r, head[0].a, head[0].b);
      if (fe_content_words(d) > 0) f->subject = d;
      else free(d);
    }
  }

  if (nitems) {
    if (nitems > VSC_PROMPT_MAX_SCENES) {
      vsc_prompt_notes_unplaced(notes, "more than %d scenes listed: kept the first %d", VSC_PROMPT_MAX_SCENES,
                                VSC_PROMPT_MAX_SCENES);
      nitems = VSC_PROMPT_MAX_SCENES;
    }
    f->scenes = calloc((size_t)nitems, sizeof *f->scenes);
    for (int i = 0; i < nitems; i++) fe_read_scene(&r, &f->scenes[f->nscenes++], items[i].a, items[i].b, lens, nlens);
    f->scenes_stated = !tail_only;
    f->tail_only = tail_only;
  } else {
    fe_scenes_from_sentences(&r, sents, nsents, lens, nlens);
  }
  if (f->scene_count && f->scenes_stated && f->nscenes != f->scene_count)
    vsc_prompt_notes_add(notes, "the request asks for %d scene%s and describes %d: made the %d described",
                         f->scene_count, f->scene_count == 1 ? "" : "s", f->nscenes, f->nscenes);
  fe_take_global_quotes(&r);
  if (f->subject) clean_subject(f);
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

void fe_facts_state_line(fe_facts *f, const char *text, int role) {
  if (f->nstated == f->capstated) {
    f->capstated = f->capstated ? f->capstated * 2 : 16;
    fe_text *s = realloc(f->stated, (size_t)f->capstated * sizeof *s);
    if (!s) abort();
    f->stated = s;
  }
  f->stated[f->nstated].text = strdup(text);
  if (!f->stated[f->nstated].text) abort();
  f->stated[f->nstated++].role = role;
}

/* Frees what the facts own and zeroes them. */
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
  for (int k = 0; k < f->nstated; k++) free(f->stated[k].text);
  free(f->stated);
  memset(f, 0, sizeof *f);
}
