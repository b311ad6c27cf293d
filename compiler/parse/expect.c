/* Syntax-error hints from what the grammar expected. The parser keeps its state stack from
 * before each token (parse.c), so the set is the one at the point of the mistake, before
 * the reductions the wrong token caused: after `text "Hi"` it still holds `at`, `size`, …
 * A hint that names a concrete edit also carries it as a fix (span + replacement). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lex/lex.h"
#include "parse/parse.h"
#include "vsc/vsc_strings.h"
#include "vsc_parse.h"

static bool expects(vsc_parser *p, int kind) { return vsc_parse_accepts(p->before, p->nbefore, kind) != 0; }

/* Colour names people write where a colour goes, as the hex the language takes. */
const char *vsc_parse_colour_hex(const char *name) {
  static const char *const names[][2] = {
      {"black", "#000000"},
      {"white", "#ffffff"},
      {"red", "#ff0000"},
      {"green", "#00ff00"},
      {"blue", "#0000ff"},
      {"yellow", "#ffff00"},
      {"orange", "#ff8000"},
      {"purple", "#800080"},
      {"pink", "#ffc0cb"},
      {"gray", "#808080"},
      {"grey", "#808080"},
      {"cyan", "#00ffff"},
      {"magenta", "#ff00ff"},
      {"brown", "#8b4513"},
      {"navy", "#000080"},
      {"gold", "#ffd700"},
      {"silver", "#c0c0c0"},
      {"teal", "#008080"},
      {"beige", "#f5f5dc"}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcasecmp(names[i][0], name) == 0) return names[i][1];
  return NULL;
}

static bool in_list(const char *w, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(w, list[i]) == 0) return true;
  return false;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Values that belong after an option keyword: a bare one is the keyword left out. Lists
 * mirror the checker's (compiler/check/text.c, scene.c); only membership is used here. */
static const char *const positions[] = {"center", "top", "bottom", "left", "right", "top-left", "top-right",
                                        "bottom-left", "bottom-right", "lower-third"};
static const char *const cameras[] = {"static", "push-in", "pull-out", "pan-left", "pan-right", "tilt-up",
                                      "tilt-down", "orbit", "handheld", "zoom-in", "zoom-out"};
static const char *const animations[] = {"zoom", "pan-up", "pan-down"};
static const char *const transitions[] = {"fade", "crossfade", "dissolve", "fadeblack", "fadewhite", "wipeleft",
                                          "wiperight", "slideleft", "slideright", "zoomin", "cut"};
static const char *const length_words[] = {"duration", "length", "dur", "time", "seconds"};

/* Reports at tok with a hint and, when `fix` is given, the edit replacing tok with it. */
static void report(vsc_parser *p, vsc_token tok, const char *what, const char *hint, const char *fix) {
  vsc_error(p->diags, VSC_STAGE_PARSE, p->src, vsc_span_of(tok), hint, "unexpected %s", what);
  if (fix) vsc_diag_fix(p->diags, p->src, vsc_span_of(tok), fix);
}

static void describe_tok(vsc_parser *p, vsc_token tok, char *buf, size_t size) {
  int n = tok.len > 24 ? 24 : (int)tok.len;
  const char *dots = tok.len > 24 ? "…" : "";
  if (tok.kind == TK_ID) snprintf(buf, size, "name '%.*s%s'", n, p->src->text + tok.off, dots);
  else if (tok.kind >= TK_LBRACE && tok.kind <= TK_RBRACKET) snprintf(buf, size, "%s", vsc_lex_token_name(tok.kind));
  else if (tok.kind > TK_ILLEGAL) snprintf(buf, size, "'%.*s'", n, p->src->text + tok.off);
  else snprintf(buf, size, "%s '%.*s%s'", vsc_parse_token_noun(tok.kind), n, p->src->text + tok.off, dots);
}

bool vsc_parse_expected_hint(vsc_parser *p, vsc_token tok, vsc_token prev) {
  if (p->nbefore <= 0 || tok.kind == 0) return false;
  char word[48], what[96], hint[200], fix[96];
  size_t n = tok.len < sizeof word - 1 ? tok.len : sizeof word - 1;
  memcpy(word, p->src->text + tok.off, n);
  word[n] = 0;
  describe_tok(p, tok, what, sizeof what);

  /* `scene one 5s`: a length where the '(' of the duration goes. */
  if ((tok.kind == TK_DURATION || tok.kind == TK_NUMBER) && prev.kind >= 0 && expects(p, TK_LPAREN) &&
      !expects(p, TK_DURATION)) {
    snprintf(hint, sizeof hint, "a scene's length goes in parentheses after its name: '(%s%s)'", word,
             tok.kind == TK_NUMBER ? "s" : "");
    snprintf(fix, sizeof fix, "(%s%s)", word, tok.kind == TK_NUMBER ? "s" : "");
    report(p, tok, what, hint, fix);
    return true;
  }
  /* Punctuation from other languages: `size: 1920x1080`, `text "Hi", at center`,
   * `use card(title = "x")`, `template card(title: "x")`. */
  if (tok.kind == TK_EQ && expects(p, TK_COLON)) {
    report(p, tok, what, "a named argument is written 'name: value'", ":");
    return true;
  }
  if (tok.kind == TK_COLON && expects(p, TK_EQ)) {
    report(p, tok, what, "a parameter's default is written 'name = value'", "=");
    return true;
  }
  if ((tok.kind == TK_COLON || tok.kind == TK_EQ || tok.kind == TK_COMMA) && !expects(p, tok.kind)) {
    report(p, tok, what,
           tok.kind == TK_COMMA ? "options and statements are separated by spaces, not commas"
                                : "a setting is its keyword and its value, e.g. 'size 1920x1080', without ':' or '='",
           "");
    return true;
  }
  /* `use card {`: a template call takes its arguments in parentheses, even none. */
  if (tok.kind == TK_LBRACE && prev.kind == TK_ID && expects(p, TK_LPAREN) && !expects(p, TK_LBRACE)) {
    report(p, tok, what, "a template call takes parentheses, even without arguments: 'use NAME() { … }'", "() {");
    return true;
  }
  if (tok.kind != TK_ID && tok.kind <= TK_ILLEGAL) return false;

  /* `palette red blue`: a colour name where only literals go. */
  const char *hex = vsc_parse_colour_hex(word);
  if (hex && expects(p, TK_HEX) && !expects(p, TK_ID)) {
    snprintf(hint, sizeof hint, "colours are written in hex: '%s' is %s", word, hex);
    report(p, tok, what, hint, hex);
    return true;
  }
  /* After a keyword, that keyword was itself read as a value (`text at center`): the
   * caller's hints say so. */
  if (prev.kind > TK_ILLEGAL) return false;
  if (expects(p, TK_ID)) return false; /* a name was fine here: the problem is elsewhere */

  /* `at top left`: a two-word position. */
  if (prev.kind == TK_ID && in_list(word, positions, COUNT(positions))) {
    char pw[32];
    size_t pn = prev.len < sizeof pw - 1 ? prev.len : sizeof pw - 1;
    memcpy(pw, p->src->text + prev.off, pn);
    pw[pn] = 0;
    if ((strcmp(pw, "top") == 0 || strcmp(pw, "bottom") == 0) && (strcmp(word, "left") == 0 || strcmp(word, "right") == 0)) {
      snprintf(fix, sizeof fix, "%s-%s", pw, word);
      snprintf(hint, sizeof hint, "a corner is one word: '%s'", fix);
      vsc_error(p->diags, VSC_STAGE_PARSE, p->src, vsc_span_of(tok), hint, "unexpected %s", what);
      vsc_diag_fix(p->diags, p->src, ((vsc_span){prev.off, tok.off + tok.len - prev.off}), fix);
      return true;
    }
  }

  /* Words other tools use for a keyword of this place. */
  static const struct {
    const char *word;
    int keyword;
    const char *spelling;
  } synonyms[] = {
      {"position", TK_AT, "at"},
      {"pos", TK_AT, "at"},
      {"colour", TK_COLOR, "color"},
      {"transition", TK_THEN, "then"},
      {"resolution", TK_SIZE, "size"},
      {"framerate", TK_FPS, "fps"},
      {"frame_rate", TK_FPS, "fps"},
      {"duration", TK_LENGTH, "length"},
      {"ratio", TK_ASPECT, "aspect"},
      {"narration", TK_VOICE, "voice"},
      {"voiceover", TK_VOICE, "voice"},
      {"vo", TK_VOICE, "voice"},
      {"caption", TK_TEXT, "text"},
      {"subtitle", TK_TEXT, "text"},
      {"title", TK_TEXT, "text"},
      {"bpm", TK_TEMPO, "tempo"},
      {"prompt", TK_SHOT, "shot video"},
  };
  for (size_t i = 0; i < COUNT(synonyms); i++)
    if (strcmp(word, synonyms[i].word) == 0 && expects(p, synonyms[i].keyword)) {
      snprintf(hint, sizeof hint, "the keyword here is '%s'", synonyms[i].spelling);
      report(p, tok, what, hint, synonyms[i].spelling);
      return true;
    }

  /* A value without its option keyword: `text "Hi" center`, `shot video "…" push-in`. */
  static const struct {
    int keyword;
    const char *spelling;
    const char *const *values;
    size_t n;
  } bare[] = {
      {TK_AT, "at", positions, COUNT(positions)},
      {TK_CAMERA, "camera", cameras, COUNT(cameras)},
      {TK_ANIMATE, "animate", animations, COUNT(animations)},
      {TK_THEN, "then", transitions, COUNT(transitions)},
  };
  for (size_t i = 0; i < COUNT(bare); i++)
    if (in_list(word, bare[i].values, bare[i].n) && expects(p, bare[i].keyword)) {
      snprintf(hint, sizeof hint, "'%s' is a value of '%s': write '%s %s'", word, bare[i].spelling, bare[i].spelling,
               word);
      snprintf(fix, sizeof fix, "%s %s", bare[i].spelling, word);
      report(p, tok, what, hint, fix);
      return true;
    }

  /* `image "…"` in a scene: the shot keyword left out. */
  if ((tok.kind == TK_VIDEO || tok.kind == TK_IMAGE || tok.kind == TK_FILE || tok.kind == TK_COLOR) && expects(p, TK_SHOT)) {
    snprintf(fix, sizeof fix, "shot %s", word);
    snprintf(hint, sizeof hint, "a scene's picture is its shot: '%s'", fix);
    report(p, tok, what, hint, fix);
    return true;
  }
  /* `title "…"` in a video: its title follows 'video'. */
  if (strcmp(word, "title") == 0 && expects(p, TK_LENGTH)) {
    report(p, tok, what, "the title follows 'video': video \"My title\" { … }", NULL);
    return true;
  }
  /* `tempo 120` in a video: a music setting outside the music block. */
  if ((tok.kind == TK_TEMPO || tok.kind == TK_METER || tok.kind == TK_DUCK || tok.kind == TK_SECTION) && expects(p, TK_MUSIC)) {
    snprintf(hint, sizeof hint, "'%s' is a setting of the music: music \"…\" { %s … }", word, word);
    report(p, tok, what, hint, NULL);
    return true;
  }

  /* `duration 5s` in a scene: its length is written with its name. */
  if (in_list(word, length_words, COUNT(length_words)) && expects(p, TK_SHOT)) {
    report(p, tok, what, "a scene's length goes in parentheses after its name: scene NAME (5s) { … }", NULL);
    return true;
  }

  /* A misspelt keyword: the closest of the keywords the grammar takes here. */
  const char *names[128];
  size_t nn = 0;
  for (int k = TK_ILLEGAL + 1, end = vsc_parse_ntokens(); k < end && nn < COUNT(names); k++) {
    const char *kw = vsc_lex_token_name(k);
    if (vsc_lex_keyword(kw, strlen(kw)) == k && expects(p, k)) names[nn++] = kw;
  }
  if (nn == 0) return false;
  const char *close = vsc_closest(word, names, nn);
  if (close && strcmp(close, word) != 0) {
    snprintf(hint, sizeof hint, "did you mean '%s'?", close);
    report(p, tok, what, hint, close);
    return true;
  }
  /* Nothing close: say what may come here (a short list, in the grammar's order). */
  size_t len = (size_t)snprintf(hint, sizeof hint, "expected one of:");
  for (size_t i = 0; i < nn && len < sizeof hint - 24; i++)
    len += (size_t)snprintf(hint + len, sizeof hint - len, "%s %s", i ? "," : "", names[i]);
  if (len >= sizeof hint - 24) snprintf(hint + len, sizeof hint - len, ", …");
  report(p, tok, what, hint, NULL);
  return true;
}
