/*
** music.c — the soundtrack: a music file (or --music), "no music", beat and bar cuts
** ("cut to the beat"), a stated tempo ("120 bpm"), and the words that describe a generated
** bed ("upbeat lo-fi music").
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

/* Reads the whole request: the music file, "no music", beat or bar cuts, the tempo, and
 * up to four words before a music noun as the description of a generated bed. */
void fe_read_music(fe_reader *r) {
  fe_facts *f = r->f;
  char *file = r->o->music ? strdup(r->o->music) : NULL;
  char *found = fe_take_path(r, 0, r->n, fe_words_path_audio_ext, NULL);
  if (file && found) vsc_prompt_notes_add(r->notes, "--music %s wins over %s in the request", file, found);
  if (!file) file = found;
  else free(found);
  if (file) {
    f->music_file = fe_script_path(file, r->o->out_path ? r->o->out_path : "prompt.vscript");
    free(file);
  }
  int w;
  size_t len, p = fe_find_any(r, 0, r->n, fe_words_music_none, &w, &len);
  if (p != SIZE_MAX && !f->music_file) {
    f->no_music = true;
    fe_mark(r, p, p + len);
  }
  /* Beat cuts first: "cut to the beat" must not become a music bed called "beat". */
  while ((p = fe_find_any(r, 0, r->n, fe_words_music_bars, &w, &len)) != SIZE_MAX) {
    f->cut = 2;
    fe_mark(r, p, p + len);
  }
  while ((p = fe_find_any(r, 0, r->n, fe_words_music_beats, &w, &len)) != SIZE_MAX) {
    if (!f->cut) f->cut = 1;
    fe_mark(r, p, p + len);
  }
  /* "N bpm" */
  for (size_t i = 0; i < r->n; i++) {
    double v;
    size_t e;
    bool word;
    if (!fe_number_at(r, i, &v, &e, &word) || word) continue;
    size_t u = fe_skip_spaces(r, e);
    if (fe_kw_at(r, u, "bpm") && v >= 40 && v <= 240) {
      f->tempo = v;
      fe_mark(r, i, u + 3);
      break;
    }
    i = e > i ? e - 1 : i;
  }
  /* "upbeat lo-fi music": up to four words before a music noun. */
  p = fe_find_any(r, 0, r->n, fe_words_music_nouns, &w, &len);
  if (p != SIZE_MAX && !f->no_music) {
    size_t a = p;
    int words = 0;
    while (a > 0 && words < 4) {
      size_t e = a;
      while (e > 0 && r->w[e - 1] == ' ') e--;
      size_t b = e;
      while (b > 0 && (fe_is_wb(r, b - 1) || r->w[b - 1] == '-') && !r->used[b - 1]) b--;
      if (b == e) break;
      bool stop = false;
      for (int k = 0; fe_words_music_stop[k]; k++)
        if (strlen(fe_words_music_stop[k]) == e - b && memcmp(r->w + b, fe_words_music_stop[k], e - b) == 0) stop = true;
      if (stop) break;
      a = b;
      words++;
    }
    /* "music: lo-fi piano" */
    size_t e = p + len, desc = a;
    size_t c = fe_skip_spaces(r, e);
    if (c < r->n && r->w[c] == ':') {
      size_t b = fe_skip_spaces(r, c + 1), x = b;
      while (x < r->n && r->w[x] != '\n' && r->w[x] != '.' && r->w[x] != ',' && r->w[x] != ';' && r->w[x] != MARK) x++;
      if (x > b) {
        e = x;
        /* "Music: warm acoustic guitar" on a line of its own: the words after the label */
        if (a == p && (p == 0 || r->w[p - 1] == '\n')) desc = b;
      }
    }
    if (!f->music_file) {
      char *d = fe_strndup(r->s + desc, e - desc);
      for (char *q = d; *q; q++)
        if (*q == ':') *q = ',';
      fe_squeeze(d, " ,.;");
      f->music_desc = d;
    }
    fe_mark(r, a, e);
  }
}
