/*
** scenes.c — one scene from its clause: stated length, a media file, the quoted lines
** inside it, the camera move, the shot kind (video, still, card, file) and the description
** that is left; then the quoted lines no scene holds go to the whole video.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

/* Builds a scene from the clause [a, b). */
void fe_read_scene(fe_reader *r, fe_scene *sc, size_t a, size_t b, fe_length *lens, int nlens) {
  memset(sc, 0, sizeof *sc);
  for (int k = 0; k < nlens; k++)
    if (!lens[k].global && lens[k].a >= a && lens[k].b <= b && !sc->dur) {
      sc->dur = lens[k].seconds;
      fe_mark(r, lens[k].a, lens[k].b);
      /* "for 5 seconds" */
      size_t from = lens[k].a > 5 ? lens[k].a - 5 : a;
      size_t p = fe_find_kw(r, from < a ? a : from, lens[k].a, "for");
      if (p != SIZE_MAX) fe_mark(r, p, lens[k].a);
    }
  size_t fat;
  char *file = fe_take_path(r, a, b, fe_words_path_media_ext, &fat);
  for (int k = 0; k < r->nq; k++) {
    fe_quote *q = &r->q[k];
    if (q->taken || q->pos < a || q->pos >= b) continue;
    /* A clause with more lines than a scene holds leaves the rest to the whole video. */
    if (q->role == ROLE_VOICE ? sc->nvoices >= FE_MAX_LINES : sc->ntexts >= FE_MAX_LINES) continue;
    q->taken = true;
    if (q->role == ROLE_VOICE) {
      sc->voices[sc->nvoices++] = q->text;
    } else {
      /* A title stated on a scene is the video's title too (the first one). */
      if (q->role == FE_TEXT_TITLE && !r->f->title) r->f->title = strdup(q->text);
      sc->texts[sc->ntexts].text = q->text;
      sc->texts[sc->ntexts++].role = q->role == ROLE_NONE ? FE_TEXT_PLAIN : q->role;
    }
    q->text = NULL;
  }
  for (size_t k = 0; fe_words_scene_cameras[k].kw && !sc->camera; k++)
    if (fe_find_kw(r, a, b, fe_words_scene_cameras[k].kw) != SIZE_MAX) sc->camera = fe_words_scene_cameras[k].name;
  char *d = fe_leftover(r, a, b);
  int w;
  size_t len;
  sc->shot = FE_SHOT_VIDEO;
  if (file) {
    sc->shot = FE_SHOT_FILE;
    sc->file = fe_script_path(file, r->o->out_path ? r->o->out_path : "prompt.vscript");
    free(file);
  } else if (fe_find_any(r, a, b, fe_words_scene_image, &w, &len) != SIZE_MAX) {
    sc->shot = FE_SHOT_IMAGE;
  } else if (fe_find_any(r, a, b, fe_words_scene_card, &w, &len) != SIZE_MAX && (sc->ntexts > 0 || fe_content_words(d) <= 2)) {
    /* A card with words on it; a bare "logo" shot is an image of the logo. */
    sc->shot = sc->ntexts > 0 ? FE_SHOT_COLOR : FE_SHOT_IMAGE;
  } else if (!*d && sc->ntexts > 0) {
    sc->shot = FE_SHOT_COLOR;
  }
  if (*d) sc->desc = d;
  else free(d);
}

/* Quoted lines inside no scene clause: voice lines and texts of the whole video (the
 * first title also names it). */
void fe_take_global_quotes(fe_reader *r) {
  fe_facts *f = r->f;
  for (int k = 0; k < r->nq; k++) {
    fe_quote *q = &r->q[k];
    if (q->taken) continue;
    q->taken = true;
    if (q->role == ROLE_VOICE) {
      if (f->nvoices < FE_MAX_GLOBAL) f->voices[f->nvoices++] = q->text;
      else free(q->text);
    } else if (q->role == FE_TEXT_TITLE && !f->title) {
      /* The title of the video, shown on the first scene too. */
      f->title = strdup(q->text);
      if (f->ntexts < FE_MAX_GLOBAL) {
        f->texts[f->ntexts].text = q->text;
        f->texts[f->ntexts++].role = FE_TEXT_TITLE;
      } else {
        free(q->text);
      }
    } else if (f->ntexts < FE_MAX_GLOBAL) {
      f->texts[f->ntexts].text = q->text;
      f->texts[f->ntexts++].role = q->role == ROLE_NONE ? FE_TEXT_PLAIN : q->role;
    } else {
      free(q->text);
    }
    q->text = NULL;
  }
}

/* Scenes from sentences: a premise ("A 30 second ad for X.") gives the subject; two or
 * more describing sentences are the scenes (one content word will do when a stated count
 * says so); a single describing sentence adds to the subject. */
void fe_scenes_from_sentences(fe_reader *r, const fe_span *sents, int nsents, fe_length *lens, int nlens) {
  fe_facts *f = r->f;
  int nscene_s = 0;
  bool is_scene[64] = {false};
  for (int i = 0; i < nsents; i++) {
    int w;
    size_t len;
    bool premise = fe_find_any(r, sents[i].a, sents[i].b, fe_words_genre_nouns, &w, &len) != SIZE_MAX;
    bool marked_genre = false;
    for (int k = 0; fe_words_genre_nouns[k]; k++)
      if (fe_find_kw(r, sents[i].a, sents[i].b, fe_words_genre_nouns[k]) != SIZE_MAX) marked_genre = true;
    if (premise || marked_genre) {
      char *s = fe_read_subject(r, sents[i].a, sents[i].b);
      if (s && !f->subject) f->subject = s;
      else free(s);
      continue;
    }
    char *d = fe_leftover(r, sents[i].a, sents[i].b);
    int quotes_in = 0;
    for (int k = 0; k < r->nq; k++)
      if (r->q[k].pos >= sents[i].a && r->q[k].pos < sents[i].b) quotes_in++;
    if (fe_content_words(d) >= 2 || (fe_content_words(d) >= 1 && quotes_in)) {
      is_scene[i] = true;
      nscene_s++;
    }
    free(d);
  }
  /* "3 scenes. Rain. Mud. Sunshine.": with a stated count, one content word will do when
   * that makes the count. */
  if (f->scene_count > nscene_s) {
    int loose = 0;
    bool maybe[64] = {false};
    for (int i = 0; i < nsents; i++) {
      if (is_scene[i]) continue;
      char *d = fe_leftover(r, sents[i].a, sents[i].b);
      int w;
      size_t len;
      maybe[i] = fe_content_words(d) >= 1 && fe_find_any(r, sents[i].a, sents[i].b, fe_words_genre_nouns, &w, &len) == SIZE_MAX;
      loose += maybe[i];
      free(d);
    }
    if (nscene_s + loose == f->scene_count)
      for (int i = 0; i < nsents; i++)
        if (maybe[i]) is_scene[i] = true, nscene_s++;
  }
  if (nscene_s >= 2) {
    if (nscene_s > VSC_PROMPT_MAX_SCENES) {
      vsc_prompt_notes_unplaced(r->notes, "more than %d scene sentences: kept the first %d", VSC_PROMPT_MAX_SCENES,
                                VSC_PROMPT_MAX_SCENES);
      nscene_s = VSC_PROMPT_MAX_SCENES;
    }
    f->scenes = calloc((size_t)nscene_s, sizeof *f->scenes);
    for (int i = 0; i < nsents && f->nscenes < nscene_s; i++)
      if (is_scene[i]) fe_read_scene(r, &f->scenes[f->nscenes++], sents[i].a, sents[i].b, lens, nlens);
    f->scenes_stated = true;
  } else {
    /* One describing sentence (or none): it is the subject, or adds to it. */
    for (int i = 0; i < nsents; i++) {
      if (!is_scene[i]) continue;
      char *d = fe_leftover(r, sents[i].a, sents[i].b);
      if (!f->subject) {
        f->subject = d;
      } else {
        vsc_buf b = {0};
        vsc_buf_printf(&b, "%s, %s", f->subject, d);
        free(f->subject);
        free(d);
        f->subject = fe_buf_take(&b);
      }
    }
    if (!f->subject) {
      char *d = fe_leftover(r, 0, r->n);
      if (fe_content_words(d) > 0) f->subject = d;
      else free(d);
    }
  }
}
