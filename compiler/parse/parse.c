/* The push-parser loop, syntax-error messages, and the small builders the grammar uses. */
#include "parse/parse.h"

#include <stdlib.h>
#include <string.h>

#include "lex/lex.h"
#include "vsc_parse.h"
#include "vsc/vsc_strings.h"

/* ---- comments and lexical errors --------------------------------------------- */

void vsc_parse_comment(vsc_parser *p, uint32_t off, uint32_t len) {
  vsc_comment *c = vsc_arena_alloc(p->arena, sizeof *c);
  c->span = (vsc_span){off, len};
  if (p->comments_tail) p->comments_tail->next = c;
  else p->comments = c;
  p->comments_tail = c;
}

/* A lexical error at [off, off+len), with a hint. */
void vsc_parse_lex_error(vsc_parser *p, uint32_t off, uint32_t len, const char *msg, const char *hint) {
  vsc_error(p->diags, VSC_STAGE_LEX, p->src, ((vsc_span){off, len}), hint, "%s", msg);
}

/* A byte no token starts with. */
void vsc_parse_bad_char(vsc_parser *p, uint32_t off) {
  unsigned char c = (unsigned char)p->src->text[off];
  /* Paths and statement ends are what people usually type here. */
  const char *hint = c == '/'  ? "paths and text go in double quotes, e.g. import \"std/styles\""
                   : c == ';'  ? "statements need no ';': end them with a space or a new line"
                   : c == '\'' ? "strings use double quotes"
                               : NULL;
  if (c >= 0x20 && c < 0x7f)
    vsc_error(p->diags, VSC_STAGE_LEX, p->src, ((vsc_span){off, 1}), hint,
              "unexpected character '%c'", c);
  else
    vsc_error(p->diags, VSC_STAGE_LEX, p->src, ((vsc_span){off, 1}), NULL,
              "unexpected byte 0x%02x", c);
}

/* A number with a unit vsc does not know (5sec, 48px). */
void vsc_parse_bad_unit(vsc_parser *p, uint32_t off, uint32_t len, uint32_t unit_off, uint32_t unit_len) {
  static const char *const units[] = {"s", "ms", "min", "dB", "%", "x", "k", "M", "kbps", "Mbps", "KB", "MB", "GB"};
  char unit[32];
  size_t n = unit_len < sizeof unit - 1 ? unit_len : sizeof unit - 1;
  memcpy(unit, p->src->text + unit_off, n);
  unit[n] = 0;
  const char *close = vsc_closest(unit, units, sizeof units / sizeof units[0]);
  static const char *const long_names[][2] = {
      {"sec", "s"},
      {"secs", "s"},
      {"second", "s"},
      {"seconds", "s"},
      {"msec", "ms"},
      {"mins", "min"},
      {"minute", "min"},
      {"minutes", "min"},
      {"m", "min"},
      {"db", "dB"},
      {"DB", "dB"},
      {"mbps", "Mbps"},
      {"Mb", "M"},
      {"mb", "MB"},
      {"kb", "KB"},
      {"kB", "KB"},
      {"gb", "GB"},
      {"beats", NULL},
      {"bars", NULL},
      {"beat", NULL},
      {"bar", NULL}};
  for (size_t i = 0; i < sizeof long_names / sizeof long_names[0]; i++)
    if (strcmp(unit, long_names[i][0]) == 0) close = long_names[i][1] ? long_names[i][1] : "";
  char hint[160];
  if (close && !*close)
    snprintf(hint, sizeof hint, "put a space between the number and '%s': '%.*s %s'", unit,
             (int)(unit_off - off), p->src->text + off, unit);
  else if (close)
    snprintf(hint, sizeof hint, "did you mean '%.*s%s'?", (int)(unit_off - off), p->src->text + off, close);
  else
    snprintf(hint, sizeof hint, "units are s, ms, min, dB, %%, k and M (bit rates), KB, MB and GB (sizes)");
  vsc_error(p->diags, VSC_STAGE_LEX, p->src, ((vsc_span){off, len}), hint, "unknown unit '%s'", unit);
}

/* ---- syntax errors ------------------------------------------------------------ */

static const char *describe(vsc_parser *p, vsc_token t, char *buf, size_t size) {
  if (t.kind == 0) return "end of file";
  int n = t.len > 24 ? 24 : (int)t.len;
  const char *text = p->src->text + t.off;
  const char *dots = t.len > 24 ? "…" : "";
  switch (t.kind) {
  case TK_ID: snprintf(buf, size, "name '%.*s%s'", n, text, dots); break;
  case TK_STRING: snprintf(buf, size, "string %.*s%s", n, text, dots); break;
  case TK_LBRACE:
  case TK_RBRACE:
  case TK_LPAREN:
  case TK_RPAREN:
  case TK_COMMA:
  case TK_COLON:
  case TK_EQ:
  case TK_ARROW:
    snprintf(buf, size, "%s", vsc_lex_token_name(t.kind));
    break;
  default:
    if (t.kind >= TK_NUMBER && t.kind <= TK_HEX) snprintf(buf, size, "%s '%.*s'", vsc_lex_token_name(t.kind), n, text);
    else snprintf(buf, size, "'%.*s'", n, text);
  }
  return buf;
}

/* What the lexer saw just before `off`, found by lexing again from the start (only on the
 * error path, so the parser keeps no history): the previous token, whether the lexer
 * reported an error between it and `off`, and a '(' still open there. */
typedef struct {
  vsc_token prev;
  bool lex_error_between;
  int64_t open_paren; /* offset of an unclosed '(' or -1 */
} token_context;

static token_context context_at(vsc_parser *p, uint32_t off) {
  token_context tc = {.prev = {-1, 0, 0}, .open_paren = -1};
  vsc_parser q;
  memset(&q, 0, sizeof q);
  q.arena = p->arena;
  q.src = p->src;
  q.diags = vsc_diag_list_new(1 << 30);
  vsc_lexer L;
  vsc_lex_init(&L, &q, p->src->text, p->src->len);
  vsc_token t;
  int errors = 0;
  while (vsc_lex_next(&L, &t) != 0 && t.off < off) {
    tc.prev = t;
    errors = vsc_diag_error_count(q.diags);
    if (t.kind == TK_LPAREN) tc.open_paren = t.off;
    else if (t.kind == TK_RPAREN || t.kind == TK_LBRACE || t.kind == TK_RBRACE) tc.open_paren = -1;
  }
  tc.lex_error_between = vsc_diag_error_count(q.diags) > errors && tc.prev.kind >= 0;
  vsc_diag_list_free(q.diags);
  return tc;
}

/* The name of the innermost open block's keyword ("scene", "with", …), or "" at top level. */
static const char *innermost(vsc_parser *p, char *buf, size_t size) {
  if (p->nopen == 0) return "";
  int n = (int)p->open[p->nopen - 1].opener_len;
  if (n > 20) n = 20;
  snprintf(buf, size, "%.*s", n, p->src->text + p->open[p->nopen - 1].opener_off);
  return buf;
}

/* Reports a missing '}' before `tok`, naming the block it should close. */
static void missing_brace(vsc_parser *p, vsc_token tok, const char *what) {
  uint32_t line, col;
  vsc_source_position(p->src, p->open[p->nopen - 1].brace, &line, &col);
  char opener[32];
  innermost(p, opener, sizeof opener);
  if (tok.kind == 0)
    vsc_error(p->diags, VSC_STAGE_PARSE, p->src, ((vsc_span){tok.off, 0}), NULL,
              "'}' expected (to close '%s' at line %u)", opener, line);
  else
    vsc_error(p->diags, VSC_STAGE_PARSE, p->src, vsc_span_of(tok), NULL,
              "'}' expected before %s (to close '%s' at line %u)", what, opener, line);
  vsc_note(p->diags, p->src, ((vsc_span){p->open[p->nopen - 1].opener_off, p->open[p->nopen - 1].opener_len}),
           "'%s' opened here", opener);
}

static void token_word(vsc_parser *p, vsc_token tok, char *word, size_t size) {
  size_t n = tok.len < size - 1 ? tok.len : size - 1;
  memcpy(word, p->src->text + tok.off, n);
  word[n] = 0;
}

/* Lemon's syntax error: what was expected here, said in the language's words. */
void vsc_parse_syntax_error(vsc_parser *p, int major, vsc_token tok) {
  (void)major;
  p->syntax_errors++;
  token_context tc = context_at(p, tok.off);
  /* Text the lexer skipped just before this token has been reported already, and it is
   * the likely cause: one message is enough. */
  if (tc.lex_error_between) return;
  char what[96], block[32], word[32];
  describe(p, tok, what, sizeof what);
  innermost(p, block, sizeof block);
  if (tc.open_paren >= 0 && (tok.kind == 0 || tok.kind == TK_LBRACE || tok.kind == TK_RBRACE)) {
    vsc_error(p->diags, VSC_STAGE_PARSE, p->src, tok.kind ? vsc_span_of(tok) : ((vsc_span){tok.off, 0}), NULL,
              "')' expected before %s", what);
    vsc_note(p->diags, p->src, ((vsc_span){(uint32_t)tc.open_paren, 1}), "'(' opened here");
    return;
  }
  if (p->nopen > 0 && (tok.kind == 0 || tok.kind == TK_VIDEO || tok.kind == TK_TEMPLATE || tok.kind == TK_IMPORT ||
                       (tok.kind == TK_SCENE && strcmp(block, "video") != 0 && strcmp(block, "preset") != 0))) {
    /* A block keyword where it cannot be: the block before it was not closed. */
    missing_brace(p, tok, what);
    return;
  }
  bool in_pairs = strcmp(block, "with") == 0 || strcmp(block, "inputs") == 0;
  if (in_pairs && tc.prev.kind > TK_ILLEGAL && tok.kind != TK_COLON) {
    /* A statement keyword read as a parameter name: the 'with { … }' was not closed. */
    char kw[40];
    snprintf(kw, sizeof kw, "'%.*s'", (int)(tc.prev.len < 30 ? tc.prev.len : 30), p->src->text + tc.prev.off);
    missing_brace(p, tc.prev, kw);
    return;
  }
  const char *hint = NULL;
  char hintbuf[160];
  if (tc.prev.kind == TK_SHOT) {
    static const char *const kinds[] = {"video", "image", "file", "color"};
    const char *close = NULL;
    if (tok.kind == TK_ID || tok.kind > TK_ILLEGAL) {
      token_word(p, tok, word, sizeof word);
      close = vsc_closest(word, kinds, 4);
    }
    if (close) snprintf(hintbuf, sizeof hintbuf, "did you mean 'shot %s'?", close);
    else snprintf(hintbuf, sizeof hintbuf, "write e.g. shot video \"…\", shot image \"…\", shot file \"…\" or shot color #000000");
    vsc_error(p->diags, VSC_STAGE_PARSE, p->src, vsc_span_of(tok), hintbuf,
              "expected video, image, file or color after 'shot', found %s", what);
    return;
  }
  if (tc.prev.kind == TK_VIDEO && tok.kind != TK_STRING) {
    hint = "a video starts with its title: video \"My video\" { … }";
  } else if (tc.prev.kind == TK_SCENE) {
    hint = "a scene starts with its name: scene intro (4s) { … }";
  } else if (tc.prev.kind == TK_THEN) {
    hint = "'then' names the transition into the next scene, e.g. then crossfade 0.5s";
  } else if (tc.prev.kind > TK_ILLEGAL && (tok.kind == TK_ID || tok.kind == TK_RBRACE || tok.kind == 0)) {
    /* Before a name, the keyword was itself taken as a value ("text at center"); before
     * the end of a block, it has no value ("fps }"). */
    token_word(p, tc.prev, word, sizeof word);
    if (tok.kind == TK_ID) snprintf(hintbuf, sizeof hintbuf, "is a value missing before '%s'?", word);
    else snprintf(hintbuf, sizeof hintbuf, "'%s' needs a value", word);
    hint = hintbuf;
  } else if (in_pairs) {
    snprintf(hintbuf, sizeof hintbuf, "write each entry of '%s' as 'name: value', separated by commas", block);
    hint = hintbuf;
  } else if (tok.kind == TK_ID) {
    /* A misspelt keyword is the common case: suggest the closest one. */
    static const char *const words[] = {
        "import", "video", "style", "template", "preset", "model", "scene", "shot", "text", "voice",
        "then", "music", "with", "final", "draft", "seed", "size", "fps", "length", "aspect",
        "budget", "quality", "provider", "fit", "tempo", "meter", "offset", "look", "palette",
        "avoid", "font", "camera", "animate", "mute", "keep", "at", "from", "to", "fade", "box",
        "as", "cut", "volume", "loop", "start", "duck", "section", "kind", "class", "tier",
        "durations", "sizes", "aspects", "price", "priced", "version", "inputs", "param", "fallback"};
    token_word(p, tok, word, sizeof word);
    const char *close = vsc_closest(word, words, sizeof words / sizeof words[0]);
    if (close) {
      snprintf(hintbuf, sizeof hintbuf, "did you mean '%s'?", close);
      hint = hintbuf;
    } else {
      hint = "each statement starts with a keyword, e.g. 'shot', 'text', 'then'";
    }
  } else if (tok.kind == TK_STRING) {
    hint = "a string must follow a keyword, e.g. text \"…\" or shot video \"…\"";
  } else if (tok.kind == TK_RBRACE && p->nopen == 0) {
    hint = "this '}' closes nothing";
  }
  vsc_error(p->diags, VSC_STAGE_PARSE, p->src, vsc_span_of(tok), hint, "unexpected %s", what);
}

/* The parser's stack is full: nesting too deep. */
void vsc_parse_overflow(vsc_parser *p) {
  vsc_error(p->diags, VSC_STAGE_PARSE, p->src, vsc_span_of(p->last), NULL, "script is nested too deeply");
}

/* file ::= items: the file's top-level declarations */
void vsc_parse_finish(vsc_parser *p, vsc_ast_list items) {
  vsc_token t = {0, 0, 0};
  p->root = vsc_parse_node(p, AST_FILE, t, "file");
  p->root->body = items;
  p->root->span = (vsc_span){0, p->src->len};
}

/* ---- builders ------------------------------------------------------------------- */

static const char *keyword_text(vsc_parser *p, vsc_token kw) {
  return vsc_arena_strndup(p->arena, p->src->text + kw.off, kw.len);
}

/* KEYWORD value: a setting */
vsc_ast *vsc_parse_set(vsc_parser *p, vsc_token kw, vsc_value v) {
  vsc_ast *n = vsc_parse_node(p, AST_SET, kw, keyword_text(p, kw));
  vsc_parse_add_val(p, n, v);
  return n;
}

vsc_ast *vsc_parse_set0(vsc_parser *p, vsc_token kw) { return vsc_parse_node(p, AST_SET, kw, keyword_text(p, kw)); }

/* name [= value]: a named item (template parameter, param line) */
vsc_ast *vsc_parse_named(vsc_parser *p, vsc_ast_kind kind, vsc_value name) {
  vsc_token t = {TK_ID, name.span.off, name.span.len};
  vsc_ast *n = vsc_parse_node(p, kind, t, "");
  n->name = name;
  return n;
}

/* value value …: the first of a list of values (palette, durations, fallback) */
vsc_ast *vsc_parse_vals_start(vsc_parser *p, vsc_value v) {
  vsc_token t = {0, v.span.off, v.span.len};
  vsc_ast *n = vsc_parse_node(p, AST_SET, t, "");
  vsc_parse_add_val(p, n, v);
  return n;
}

/* A value list becomes the statement of keyword kw. */
void vsc_parse_rekey(vsc_parser *p, vsc_ast *n, vsc_token kw) {
  n->kw = vsc_span_of(kw);
  n->keyword = keyword_text(p, kw);
  vsc_ast_extend(n, n->kw);
}

/* { items } */
vsc_ast *vsc_parse_block(vsc_parser *p, vsc_token open, vsc_ast_list body, vsc_token close) {
  vsc_ast *n = vsc_parse_node(p, AST_SET, open, "{");
  n->body = body;
  n->has_body = true;
  vsc_ast_extend_tok(n, close);
  return n;
}

/* A block becomes n's body. */
void vsc_parse_body(vsc_parser *p, vsc_ast *n, vsc_ast *block) {
  (void)p;
  if (!block) return;
  n->body = block->body;
  n->has_body = true;
  vsc_ast_extend(n, block->span);
}

/* Options after a statement's value (at, size, camera, …). */
void vsc_parse_opts(vsc_parser *p, vsc_ast *n, vsc_ast_list opts) {
  (void)p;
  n->opts = opts;
  for (vsc_ast *o = opts.head; o; o = o->next) vsc_ast_extend(n, o->span);
}

/* (DURATION): seconds, N beats, N bars, rest, voice, until SECTION */
vsc_ast *vsc_parse_dur(vsc_parser *p, vsc_dur_kind kind, vsc_value v) {
  vsc_token t = {0, v.span.off, v.span.len};
  vsc_ast *n = vsc_parse_node(p, AST_SET, t, "duration");
  n->dur_kind = kind;
  n->dur = v;
  return n;
}

/* ( … ): the span grows to the parentheses. */
void vsc_parse_wrap(vsc_ast *n, vsc_token open, vsc_token close) {
  (void)open;
  (void)close;
  (void)n; /* the duration's span stays on its value, where errors point */
}

/* value | name: value: a template argument */
vsc_ast *vsc_parse_arg(vsc_parser *p, const vsc_value *name, vsc_value v) {
  vsc_token t = {0, name ? name->span.off : v.span.off, name ? name->span.len : v.span.len};
  vsc_ast *n = vsc_parse_node(p, AST_ARG, t, "");
  if (name) n->name = *name;
  vsc_parse_add_val(p, n, v);
  return n;
}

/* shot video|image|file|color VALUE */
vsc_ast *vsc_parse_shot(vsc_parser *p, vsc_token kw, vsc_token kind, vsc_value v) {
  const char *k = kind.kind == TK_VIDEO ? "shot video" : kind.kind == TK_IMAGE ? "shot image"
                                                   : kind.kind == TK_FILE      ? "shot file"
                                                                               : "shot color";
  vsc_ast *n = vsc_parse_node(p, AST_SHOT, kw, k);
  n->kw = vsc_span_join(n->kw, vsc_span_of(kind));
  vsc_parse_add_val(p, n, v);
  return n;
}

/* scene NAME (DURATION) [use TEMPLATE(args)] { items } */
void vsc_parse_scene(vsc_parser *p, vsc_ast *scene, vsc_ast *dur, vsc_ast *use, vsc_ast *block) {
  vsc_ast_extend(scene, scene->name.span);
  if (dur) {
    scene->dur_kind = dur->dur_kind;
    scene->dur = dur->dur;
    vsc_ast_extend(scene, dur->span);
  }
  if (use) {
    scene->use = use;
    vsc_ast_extend(scene, use->span);
  }
  vsc_parse_body(p, scene, block);
}

/* ---- the driver ------------------------------------------------------------------ */

static int starts_statement(int kind) {
  switch (kind) {
  case TK_VIDEO:
  case TK_STYLE:
  case TK_TEMPLATE:
  case TK_PRESET:
  case TK_MODEL:
  case TK_SCENE:
  case TK_MUSIC:
  case TK_WITH:
  case TK_INPUTS:
    return 1;
  default:
    return 0;
  }
}

/* Parses a whole source. */
vsc_ast *vsc_parse(vsc_parser *p, vsc_arena *arena, vsc_source *src, vsc_diag_list *diags) {
  memset(p, 0, sizeof *p);
  p->arena = arena;
  p->src = src;
  p->diags = diags;
  vsc_lexer L;
  vsc_lex_init(&L, p, src->text, src->len);
  void *lemon = vscParseAlloc(malloc);
  vsc_token t;
  do {
    vsc_lex_next(&L, &t);
    p->last = t;
    if (starts_statement(t.kind)) {
      p->last_stmt_off = t.off;
      p->last_stmt_len = t.len;
    }
    if (t.kind == TK_LBRACE && p->nopen < (int)(sizeof p->open / sizeof p->open[0])) {
      p->open[p->nopen].brace = t.off;
      p->open[p->nopen].opener_off = p->last_stmt_len ? p->last_stmt_off : t.off;
      p->open[p->nopen].opener_len = p->last_stmt_len ? p->last_stmt_len : 1;
      p->nopen++;
    } else if (t.kind == TK_RBRACE && p->nopen > 0) {
      p->nopen--;
    }
    vscParse(lemon, t.kind, t, p);
  } while (t.kind != 0 && !vsc_diag_full(diags));
  if (t.kind != 0) vscParse(lemon, 0, (vsc_token){0, src->len, 0}, p);
  vscParseFree(lemon, free);
  if (!p->root) {
    vsc_token none = {0, 0, 0};
    p->root = vsc_parse_node(p, AST_FILE, none, "file");
  }
  return p->root;
}
