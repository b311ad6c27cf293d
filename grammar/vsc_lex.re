/* The .vscript lexer (re2c). Only the shapes of tokens live here; values are decoded by
 * compiler/ast/ast.c and keywords are looked up in compiler/lex/keywords.c. */
#include <string.h>

#include "lex/lex.h"
#include "parse/parse.h"
#include "vsc_parse.h"

void vsc_lex_init(vsc_lexer *L, vsc_parser *p, const char *text, size_t len) {
  L->base = (const unsigned char *)text;
  L->cur = L->base;
  L->lim = L->base + len;
  L->parser = p;
  /* A UTF-8 byte order mark is not part of the script. */
  if (len >= 3 && L->cur[0] == 0xEF && L->cur[1] == 0xBB && L->cur[2] == 0xBF) L->cur += 3;
}

/* Classifies the unit of "<number><letters>": returns the token kind, or reports. */
static int quantity(vsc_lexer *L, const unsigned char *tok, const unsigned char *end) {
  const unsigned char *u = tok;
  if (*u == '-') u++;
  while (u < end && ((*u >= '0' && *u <= '9') || *u == '.')) u++;
  size_t n = (size_t)(end - u);
  const char *s = (const char *)u;
  if ((n == 1 && s[0] == 's') || (n == 2 && s[0] == 'm' && s[1] == 's') ||
      (n == 3 && s[0] == 'm' && s[1] == 'i' && s[2] == 'n'))
    return TK_DURATION;
  if (n == 2 && (s[0] == 'd' || s[0] == 'D') && (s[1] == 'B' || s[1] == 'b')) return TK_DB;
  if (n == 1 && s[0] == '%') return TK_PERCENT;
  /* Delivery: bit rates (8M, 800k, 8Mbps) and file sizes (50MB, 2GiB). */
  static const char *const rates[] = {"k", "kbps", "M", "Mbps"};
  static const char *const sizes[] = {"B", "KB", "MB", "GB", "KiB", "MiB", "GiB"};
  for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
    if (strlen(rates[i]) == n && memcmp(rates[i], s, n) == 0) return TK_RATE;
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    if (strlen(sizes[i]) == n && memcmp(sizes[i], s, n) == 0) return TK_BYTES;
  vsc_parse_bad_unit(L->parser, (uint32_t)(tok - L->base), (uint32_t)(end - tok),
                     (uint32_t)(u - L->base), (uint32_t)n);
  return TK_DURATION; /* the value decodes to an error; parsing goes on */
}

int vsc_lex_next(vsc_lexer *L, vsc_token *t) {
  const unsigned char *mar;
  for (;;) {
    const unsigned char *tok = L->cur;
    t->off = (uint32_t)(tok - L->base);
#define TOKEN(k) do { t->kind = (k); t->len = (uint32_t)(L->cur - tok); return t->kind; } while (0)
    /*!re2c
      re2c:api:style = free-form;
      re2c:define:YYCTYPE = "unsigned char";
      re2c:define:YYCURSOR = "L->cur";
      re2c:define:YYMARKER = "mar";
      re2c:define:YYLIMIT = "L->lim";
      re2c:yyfill:enable = 0;
      re2c:eof = 0;

      digits = [0-9]+;
      num = "-"? digits ("." digits)?;
      ident = [a-zA-Z_] [a-zA-Z0-9_]* ([-.] [a-zA-Z0-9_]+)*;

      $ { t->kind = 0; t->len = 0; return 0; }
      [ \t\r\n\f\v]+ { continue; }
      "//" [^\n]* { vsc_parse_comment(L->parser, t->off, (uint32_t)(L->cur - tok)); continue; }
      "/*" ([^*] | "*"+ [^*/])* "*"+ "/" { vsc_parse_comment(L->parser, t->off, (uint32_t)(L->cur - tok)); continue; }
      "/*" { vsc_parse_lex_error(L->parser, t->off, 2, "unterminated comment", "close it with '*/'");
             L->cur = L->lim; continue; }

      ["] ([^"\\\n] | "\\" [^\n])* ["] { TOKEN(TK_STRING); }
      ["] ([^"\\\n] | "\\" [^\n])* { vsc_parse_unterminated(L->parser, t->off, (uint32_t)(L->cur - tok));
                                     TOKEN(TK_STRING); }

      ['] [^'\n]* ['] { vsc_parse_quoted(L->parser, t->off, (uint32_t)(L->cur - tok), 1, "a string in single quotes");
                        TOKEN(TK_STRING); }
      "\xe2\x80\x9c" ([^\n\xe2] | "\xe2" [^\x80\n] | "\xe2\x80" [^\x9d\n])* "\xe2\x80\x9d" { vsc_parse_quoted(L->parser, t->off, (uint32_t)(L->cur - tok), 3, "a string in curly quotes");
                                           TOKEN(TK_STRING); }

      num { TOKEN(TK_NUMBER); }
      num [a-zA-Z%]+ { int k = quantity(L, tok, L->cur); TOKEN(k); }
      digits "x" digits { TOKEN(TK_DIMS); }
      num ":" num { TOKEN(TK_RATIO); }
      "$" digits ("." digits)? { TOKEN(TK_MONEY); }
      "#" [0-9a-zA-Z]+ { TOKEN(TK_HEX); }
      "#" ([ \t] [^\n]*)? { vsc_parse_hash_comment(L->parser, t->off, (uint32_t)(L->cur - tok)); continue; }
      ident { t->len = (uint32_t)(L->cur - tok);
              t->kind = vsc_lex_keyword((const char *)tok, t->len);
              return t->kind; }

      "->" { TOKEN(TK_ARROW); }
      "{" { TOKEN(TK_LBRACE); }
      "}" { TOKEN(TK_RBRACE); }
      "(" { TOKEN(TK_LPAREN); }
      "[" { TOKEN(TK_LBRACKET); }
      "]" { TOKEN(TK_RBRACKET); }
      ")" { TOKEN(TK_RPAREN); }
      "," { TOKEN(TK_COMMA); }
      ":" { TOKEN(TK_COLON); }
      "=" { TOKEN(TK_EQ); }

      [\x80-\xff]+ { vsc_parse_lex_error(L->parser, t->off, (uint32_t)(L->cur - tok),
                       "unexpected non-ASCII text outside a string",
                       "names use ASCII letters, digits, '_' and '-'; other text goes in double quotes");
                     continue; }
      * { /* A run of one stray byte is one mistake ('[[[[…'): one error for the run. */
          while (L->cur < L->lim && *L->cur == *tok) L->cur++;
          vsc_parse_bad_char(L->parser, t->off, (uint32_t)(L->cur - tok)); continue; }
    */
#undef TOKEN
  }
}
