/*
** test_rules_stress — the rule-based front end on requests built at random from the
** pieces people type (every quoting style, apostrophes, bullets, labels, counts, lengths,
** CJK, stray marks), in process and deterministic (a fixed seed).
**
**   test_rules_stress N DIR   N requests; scripts are "written" as DIR/out.vscript
**
** For each request: vsc_prompt_rules returns ok, a usage error or a checker refusal and
** nothing else; a written script has a report of every quoted line (notes.placed) and each
** line it does not hold is in notes.unplaced; the same request gives the same bytes again.
** Under ASan/UBSan (the CI's second suite) it is also the memory check of the extractors.
*/
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsc/vsc_frontend.h"

static const char *const PIECES[] = {
    "a", "cat", "sunrise", "the", "logo", "neon", "city at night", "ad", "TikTok", "30 seconds", "5s", "(4s)",
    "$4", "under $2", "4 scenes:", "3 shots", "two shots of espresso", "then", "finally", "first", "Voiceover:",
    "VO", "narrator says", "text", "title", "caption", "tagline", "as the title", "as the voiceover", "on screen",
    "'90s", "the 80s", "don't", "kids'", "it's", "rock 'n' roll", "Music:", "no music", "120 bpm", "9:16", "4k",
    "cut to the beat", "hard cuts", "premium", "draft", "\n", "\n\n", "\n- ", "\n* ", "\n\xe2\x80\xa2 ", "\n1. ",
    "\n2) ", "Scene 3:", ";", ",", ".", ":", "!", "?", "-", "\xc2\xab", "\xc2\xbb", "\xe2\x80\xb9", "\xe2\x80\xba",
    "\xe2\x80\x9c", "\xe2\x80\x9d", "\xe2\x80\x9e", "\xe2\x80\x98", "\xe2\x80\x99", "\xe2\x80\x9a", "'", "\"",
    "\xe3\x80\x8c", "\xe3\x80\x8d", "\xe3\x80\x8e", "\xe3\x80\x8f", "\xe3\x80\x8a", "\xe3\x80\x8b", "\xef\xbc\x82",
    "\xe7\xa7\x92", "\xe5\xb9\xbf\xe5\x91\x8a", "\xe6\x97\x81\xe7\x99\xbd", "\xe3\x83\x8a\xe3\x83\xac\xe3\x83\xbc"
                                                                            "\xe3\x82\xb7\xe3\x83\xa7\xe3\x83\xb3",
    "\xc3\xa9t\xc3\xa9", "Stra\xc3\x9f"
                         "e",
    "voix off", "Sprecher:",
    "\"Buy now\"", "'Fresh every morning'", "\xc2\xab"
                                            "Bonjour"
                                            "\xc2\xbb",
    "\xe2\x80\x9cSlow down\"", "END CARD:",
    "photo of a beach", "push in", "1 min 30 s", "half a minute", "twenty", "1080x1920", "(", ")", "  ", "\t"};

static uint32_t rnd_state = 12345;
static uint32_t rnd(uint32_t n) {
  rnd_state = rnd_state * 1103515245u + 12345u;
  return (rnd_state >> 8) % n;
}

static char *make_request(void) {
  size_t cap = 4096, n = 0;
  char *s = malloc(cap);
  int count = 1 + (int)rnd(48);
  for (int i = 0; i < count; i++) {
    const char *p = PIECES[rnd(sizeof PIECES / sizeof PIECES[0])];
    size_t l = strlen(p);
    if (n + l + 2 >= cap) break;
    if (n && rnd(4)) s[n++] = ' ';
    memcpy(s + n, p, l);
    n += l;
  }
  s[n] = 0;
  return s;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: test_rules_stress N DIR\n");
    return 2;
  }
  int count = atoi(argv[1]);
  char out[4096], cache[4096];
  snprintf(out, sizeof out, "%s/out.vscript", argv[2]);
  snprintf(cache, sizeof cache, "%s/.vsc", argv[2]);
  int failures = 0, written = 0, placed_lines = 0;
  for (int k = 0; k < count; k++) {
    char *req = make_request();
    vsc_prompt_options o = VSC_PROMPT_OPTIONS_INIT;
    o.out_path = out;
    o.cache_dir = cache;
    char *script = NULL, err[512] = "";
    vsc_diag_list *diags = vsc_diag_list_new(20);
    vsc_prompt_notes notes = {0};
    int rc = vsc_prompt_rules(&script, req, &o, diags, &notes, err, sizeof err);
    if (rc != 0 && rc != VSC_PROMPT_EUSAGE && rc != VSC_PROMPT_ECHECK) {
      fprintf(stderr, "FAIL request %d: rc %d (%s)\n%s\n", k, rc, err, req);
      failures++;
    }
    if (rc == 0) {
      written++;
      size_t lost = 0, i;
      json_t *pl;
      json_array_foreach(notes.placed, i, pl) {
        placed_lines++;
        if (json_is_null(json_object_get(pl, "placed"))) lost++;
      }
      if (!script || lost > notes.nunplaced) {
        fprintf(stderr, "FAIL request %d: %zu quoted lines not in the script, %zu reported\n%s\n", k, lost,
                notes.nunplaced, req);
        failures++;
      }
      /* Deterministic: every 8th request again. */
      if (k % 8 == 0) {
        char *again = NULL;
        vsc_diag_list *d2 = vsc_diag_list_new(20);
        vsc_prompt_notes n2 = {0};
        vsc_prompt_rules(&again, req, &o, d2, &n2, err, sizeof err);
        if (!again || strcmp(again, script) != 0) {
          fprintf(stderr, "FAIL request %d: a second run wrote different text\n%s\n", k, req);
          failures++;
        }
        free(again);
        vsc_prompt_notes_free(&n2);
        vsc_diag_list_free(d2);
      }
    }
    free(script);
    vsc_prompt_notes_free(&notes);
    vsc_diag_list_free(diags);
    free(req);
  }
  printf("%d requests, %d scripts written, %d quoted lines placed or reported, %d failures\n", count, written,
         placed_lines, failures);
  /* A stress run that writes nothing tests nothing. */
  if (written < count / 4) {
    fprintf(stderr, "FAIL only %d of %d requests made a script\n", written, count);
    failures++;
  }
  return failures ? 1 : 0;
}
