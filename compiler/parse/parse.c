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

/* A byte no token starts with, `len` times in a row. */
void vsc_parse_bad_char(vsc_parser *p, uint32_t off, uint32_t len) {
  unsigned char c = (unsigned char)p->src->text[off];
  /* Paths and statement ends are what people usually type here. */
  const char *hint = c == '/'             ? "paths and text go in double quotes, e.g. import \"std/styles\""
                   : c == ';'             ? "statements need no ';': end them with a space or a new line"
                   : c == '\''            ? "strings use double quotes"
                   : c == '*'             ? "a frame size is written with 'x': 1920x1080"
                   : c == '@' || c == '$' ? "names are letters, digits, '_' and '-'; text goes in double quotes"
                                          : NULL;
  char times[48] = "";
  if (len > 1) snprintf(times, sizeof times, " (%u in a row)", len);
  if (c >= 0x20 && c < 0x7f) {
    vsc_error(p->diags, VSC_STAGE_LEX, p->src, ((vsc_span){off, len}), hint, "unexpected character '%c'%s", c, times);
    if (c == ';') vsc_diag_fix(p->diags, p->src, ((vsc_span){off, len}), "");
  } else
    vsc_error(p->diags, VSC_STAGE_LEX, p->src, ((vsc_span){off, len}), NULL, "unexpected byte 0x%02x%s", c, times);
}

/* 'text' or “text”: a string in quotes the language does not use (each quote quote_len
 * bytes). The fix puts it in double quotes when its text needs no escapes. */
void vsc_parse_quoted(vsc_parser *p, uint32_t off, uint32_t len, uint32_t quote_len, const char *what) {
  vsc_error(p->diags, VSC_STAGE_LEX, p->src, ((vsc_span){off, len}), "strings use double quotes: \"…\"", "%s", what);
  const char *inner = p->src->text + off + quote_len;
  uint32_t n = len - 2 * quote_len;
  if (memchr(inner, '"', n) || memchr(inner, '\\', n)) return;
  char *fix = vsc_arena_printf(p->arena, "\"%.*s\"", (int)n, inner);
  vsc_diag_fix(p->diags, p->src, ((vsc_span){off, len}), fix);
}

/* "text…: a string not closed on its line. The fix closes it where its line's text ends
 * (trailing blanks and a '{' or '}' that ends the line stay outside). */
void vsc_parse_unterminated(vsc_parser *p, uint32_t off, uint32_t len) {
  vsc_error(p->diags, VSC_STAGE_LEX, p->src, ((vsc_span){off, len}), "close it with '\"' on the same line",
            "unterminated string");
  uint32_t end = off + len;
  while (end > off + 1 && (p->src->text[end - 1] == ' ' || p->src->text[end - 1] == '\t' || p->src->text[end - 1] == '\r')) end--;
  if (end > off + 1 && (p->src->text[end - 1] == '{' || p->src->text[end - 1] == '}')) {
    end--;
    while (end > off + 1 && p->src->text[end - 1] == ' ') end--;
  }
  vsc_diag_fix(p->diags, p->src, ((vsc_span){end, 0}), "\"");
}

/* `# text`: a comment in another language's syntax. The line is skipped, so what follows
 * it is not taken for statements. */
void vsc_parse_hash_comment(vsc_parser *p, uint32_t off, uint32_t len) {
  vsc_error(p->diags, VSC_STAGE_LEX, p->src, ((vsc_span){off, 1}), "comments start with '//'",
            "'#' does not start a comment");
  vsc_diag_fix(p->diags, p->src, ((vsc_span){off, 1}), "//");
  (void)len;
}

/* A number with a unit vsc does not know (5sec, 48px, 1080p). The previous token says what
 * the number is for (`size 48px` on a text is a share of the frame height, `fps 30fps` is
 * a plain number), so the hint, and its fix, can be the value meant there. */
void vsc_parse_bad_unit(vsc_parser *p, uint32_t off, uint32_t len, uint32_t unit_off, uint32_t unit_len) {
  static const char *const units[] = {"s", "ms", "min", "dB", "%", "k", "M", "kbps", "Mbps", "KB", "MB", "GB"};
  char unit[32];
  size_t n = unit_len < sizeof unit - 1 ? unit_len : sizeof unit - 1;
  memcpy(unit, p->src->text + unit_off, n);
  unit[n] = 0;
  int numlen = (int)(unit_off - off);
  const char *num = p->src->text + off;
  double x = strtod(num, NULL);
  /* One letter is too little to guess from by spelling ('p' is not a misspelt 's'). */
  const char *close = n >= 2 ? vsc_closest(unit, units, sizeof units / sizeof units[0]) : NULL;
  static const char *const long_names[][2] = {
      {"sec", "s"},
      {"secs", "s"},
      {"second", "s"},
      {"seconds", "s"},
      {"S", "s"},
      {"msec", "ms"},
      {"msecs", "ms"},
      {"millis", "ms"},
      {"mins", "min"},
      {"minute", "min"},
      {"minutes", "min"},
      {"m", "min"},
      {"db", "dB"},
      {"DB", "dB"},
      {"Db", "dB"},
      {"pct", "%"},
      {"percent", "%"},
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
  char hint[200], fix[64];
  fix[0] = 0;
  int prev = p->last.kind;
  if ((strcmp(unit, "p") == 0 || strcmp(unit, "P") == 0 || strcmp(unit, "k") == 0 || strcmp(unit, "K") == 0) && x > 0) {
    /* 1080p, 720p, 4k: a video format's height; the frame is written as width x height. */
    int h = (unit[0] == 'k' || unit[0] == 'K') ? (x >= 4 ? 2160 : 1440) : (int)x;
    int w = h * 16 / 9;
    w += w % 2;
    snprintf(fix, sizeof fix, "%dx%d", w, h);
    snprintf(hint, sizeof hint, "a frame size is width x height: '%s' (%dx%d for a vertical video)", fix, h, w);
  } else if ((strcmp(unit, "px") == 0 || strcmp(unit, "pt") == 0) && prev == TK_SIZE && x > 0 && x < 400) {
    /* A text's size is a share of the frame height, so it scales with the frame. */
    snprintf(fix, sizeof fix, "%.1f%%", x / 1080.0 * 100.0);
    snprintf(hint, sizeof hint, "text size is a share of the frame height: '%s' is %g%s on a 1080-line frame", fix, x, unit);
  } else if (strcmp(unit, "px") == 0) {
    snprintf(hint, sizeof hint, "a frame size is width x height (e.g. '1920x1080'); text sizes are a share of the frame height (e.g. '5%%')");
  } else if ((strcmp(unit, "fps") == 0 && prev == TK_FPS) || (strcmp(unit, "bpm") == 0 && prev == TK_TEMPO) ||
             (strcmp(unit, "x") == 0 && prev != TK_SIZE)) {
    /* fps 30fps, tempo 120bpm, zoom 1.2x: the keyword already says what the number is. */
    snprintf(fix, sizeof fix, "%.*s", numlen, num);
    snprintf(hint, sizeof hint, "write the number alone: '%s'", fix);
  } else if (strcmp(unit, "fps") == 0 || strcmp(unit, "bpm") == 0) {
    snprintf(fix, sizeof fix, "%s %.*s", unit[0] == 'f' ? "fps" : "tempo", numlen, num);
    snprintf(hint, sizeof hint, "write it as a setting: '%s'", fix);
  } else if (close && !*close) {
    snprintf(fix, sizeof fix, "%.*s %s", numlen, num, unit);
    snprintf(hint, sizeof hint, "put a space between the number and '%s': '%s'", unit, fix);
  } else if (close) {
    snprintf(fix, sizeof fix, "%.*s%s", numlen, num, close);
    snprintf(hint, sizeof hint, "did you mean '%s'?", fix);
  } else {
    snprintf(hint, sizeof hint, "units are s, ms, min, dB, %%, k and M (bit rates), KB, MB and GB (sizes)");
  }
  vsc_error(p->diags, VSC_STAGE_LEX, p->src, ((vsc_span){off, len}), hint, "unknown unit '%s'", unit);
  if (fix[0]) vsc_diag_fix(p->diags, p->src, ((vsc_span){off, len}), fix);
}

/* ---- syntax errors ------------------------------------------------------------ */

/* "duration", "number", …: a token kind without its article ("unexpected duration '5s'"). */
const char *vsc_parse_token_noun(int kind) {
  const char *name = vsc_lex_token_name(kind);
  if (strncmp(name, "a ", 2) == 0) return name + 2;
  if (strncmp(name, "an ", 3) == 0) return name + 3;
  return name;
}

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
  case TK_LBRACKET:
  case TK_RBRACKET:
    snprintf(buf, size, "%s", vsc_lex_token_name(t.kind));
    break;
  default:
    if (t.kind >= TK_NUMBER && t.kind <= TK_HEX) snprintf(buf, size, "%s '%.*s'", vsc_parse_token_noun(t.kind), n, text);
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
  char hint[96];
  snprintf(hint, sizeof hint, "close '%s' with '}' %s", opener, tok.kind == 0 ? "at the end" : "before this");
  if (tok.kind == 0) {
    vsc_error(p->diags, VSC_STAGE_PARSE, p->src, ((vsc_span){tok.off, 0}), hint,
              "'}' expected (to close '%s' at line %u)", opener, line);
    vsc_diag_fix(p->diags, p->src, ((vsc_span){tok.off, 0}), "}\n");
  } else {
    vsc_error(p->diags, VSC_STAGE_PARSE, p->src, vsc_span_of(tok), hint,
              "'}' expected before %s (to close '%s' at line %u)", what, opener, line);
    vsc_diag_fix(p->diags, p->src, ((vsc_span){tok.off, 0}), "} ");
  }
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
                       (tok.kind == TK_SCENE && strcmp(block, "video") != 0 && strcmp(block, "preset") != 0 &&
                        strcmp(block, "for") != 0))) {
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
    if (close) vsc_diag_fix(p->diags, p->src, vsc_span_of(tok), close);
    else if (tok.kind == TK_STRING) /* `shot "a cat"`: a prompt is a generated video */
      vsc_diag_fix(p->diags, p->src, vsc_span_of(tok), vsc_arena_printf(p->arena, "video %.*s", (int)tok.len, p->src->text + tok.off));
    return;
  }
  /* After a value, the grammar's expected set says what was meant (a keyword left out or
   * misspelt, a scene length without parentheses). After a keyword, that keyword itself was
   * read as a value, and the hints below say so. */
  if (vsc_parse_expected_hint(p, tok, tc.prev)) return;
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

/* "1 bar", "1 beat": the singular of a unit is the unit where the parser expects a unit and
 * no name, so a scene may still be called `bar`. (`cut on beat` is a name there; the
 * checker takes it.) */
static int singular_unit(vsc_parser *p, vsc_token t) {
  if (t.kind != TK_ID || vsc_parse_accepts(p->before, p->nbefore, TK_ID)) return t.kind;
  const char *w = p->src->text + t.off;
  int unit = 0;
  if (t.len == 3 && memcmp(w, "bar", 3) == 0) unit = TK_BARS;
  else if (t.len == 4 && memcmp(w, "beat", 4) == 0) unit = TK_BEATS;
  return unit && vsc_parse_accepts(p->before, p->nbefore, unit) ? unit : t.kind;
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
    p->nbefore = vsc_parse_states(lemon, p->before, VSC_PARSE_STATES_MAX);
    t.kind = singular_unit(p, t);
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
