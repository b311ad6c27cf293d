/* The parser driver: feeds tokens to the Lemon push parser, reports syntax errors with
 * recovery, and gives the grammar's actions their builders. */
#ifndef VSC_PARSE_H
#define VSC_PARSE_H

#include "ast/ast.h"
#include "vsc/vsc_mem.h"

typedef struct vsc_parser vsc_parser;

#define VSC_PARSE_STATES_MAX 200 /* the grammar's %stack_size */

struct vsc_parser {
  vsc_arena *arena;
  vsc_source *src;
  vsc_diag_list *diags;
  vsc_ast *root; /* AST_FILE after a parse */
  vsc_comment *comments, *comments_tail;
  vsc_token last; /* the token being fed, for error positions */
  /* Open braces, to say which block a missing '}' belongs to. */
  struct {
    uint32_t brace, opener_off, opener_len;
  } open[64];
  int nopen;
  uint32_t last_stmt_off, last_stmt_len; /* latest keyword seen at statement start */
  int syntax_errors;
  /* The parser's state stack before the token being fed: what the grammar expected there,
   * before the default reductions the token caused (parse/expect.c). */
  int before[VSC_PARSE_STATES_MAX];
  int nbefore;
};

/* Parses `src` into an AST_FILE node in `arena` (never NULL: on errors the tree holds what
 * could be parsed). Comments are kept in parser->comments. */
vsc_ast *vsc_parse(vsc_parser *p, vsc_arena *arena, vsc_source *src, vsc_diag_list *diags);

/* Called by the lexer. */
void vsc_parse_comment(vsc_parser *p, uint32_t off, uint32_t len);
void vsc_parse_lex_error(vsc_parser *p, uint32_t off, uint32_t len, const char *msg, const char *hint);
void vsc_parse_bad_char(vsc_parser *p, uint32_t off, uint32_t len);
void vsc_parse_quoted(vsc_parser *p, uint32_t off, uint32_t len, uint32_t quote_len, const char *what);
void vsc_parse_unterminated(vsc_parser *p, uint32_t off, uint32_t len);
void vsc_parse_hash_comment(vsc_parser *p, uint32_t off, uint32_t len);
void vsc_parse_bad_unit(vsc_parser *p, uint32_t off, uint32_t len, uint32_t unit_off, uint32_t unit_len);

/* Called by the grammar: nodes and values from tokens (parse/values.c). */
vsc_ast *vsc_parse_node(vsc_parser *p, vsc_ast_kind kind, vsc_token kw, const char *keyword);
void vsc_parse_add_val(vsc_parser *p, vsc_ast *n, vsc_value v);
vsc_value vsc_parse_value(vsc_parser *p, vsc_token t);
vsc_value vsc_parse_ident(vsc_parser *p, vsc_token t);
/* [items…] from '[' to ']': a V_LIST of the values of `items` (NULL: empty). */
vsc_value vsc_parse_list(vsc_parser *p, vsc_token open, vsc_ast *items, vsc_token close);
/* No value (V_NONE), placed where keyword token t ends: `deliver { … }` names no preset. */
vsc_value vsc_parse_none(vsc_parser *p, vsc_token t);

/* Called by the grammar. */
void vsc_parse_syntax_error(vsc_parser *p, int major, vsc_token tok);
void vsc_parse_overflow(vsc_parser *p);
void vsc_parse_finish(vsc_parser *p, vsc_ast_list items);
vsc_ast *vsc_parse_set(vsc_parser *p, vsc_token kw, vsc_value v);
vsc_ast *vsc_parse_set0(vsc_parser *p, vsc_token kw);
vsc_ast *vsc_parse_named(vsc_parser *p, vsc_ast_kind kind, vsc_value name);
vsc_ast *vsc_parse_vals_start(vsc_parser *p, vsc_value v);
void vsc_parse_rekey(vsc_parser *p, vsc_ast *n, vsc_token kw);
vsc_ast *vsc_parse_block(vsc_parser *p, vsc_token open, vsc_ast_list body, vsc_token close);
void vsc_parse_body(vsc_parser *p, vsc_ast *n, vsc_ast *block);
void vsc_parse_opts(vsc_parser *p, vsc_ast *n, vsc_ast_list opts);
vsc_ast *vsc_parse_dur(vsc_parser *p, vsc_dur_kind kind, vsc_value v);
void vsc_parse_wrap(vsc_ast *n, vsc_token open, vsc_token close);
vsc_ast *vsc_parse_arg(vsc_parser *p, const vsc_value *name, vsc_value v);
vsc_ast *vsc_parse_shot(vsc_parser *p, vsc_token kw, vsc_token kind, vsc_value v);
void vsc_parse_scene(vsc_parser *p, vsc_ast *scene, vsc_ast *dur, vsc_ast *use, vsc_ast *block);

/* Syntax-error hints from the grammar's expected-token set (parse/expect.c): reports the
 * error at `tok` with a hint and a fix when the grammar says what was meant; false when
 * it has nothing better than the generic message. */
bool vsc_parse_expected_hint(vsc_parser *p, vsc_token tok, vsc_token prev);
/* The hex of a colour name ("red" -> "#ff0000"), or NULL. */
const char *vsc_parse_colour_hex(const char *name);
/* "duration", "number", …: a token kind without its article. */
const char *vsc_parse_token_noun(int kind);

/* Lemon's generated entry points (vsc_parse.c), and the expected-token set (the grammar's
 * %code): the state stack, and whether a token would be shifted from a stack. */
int vsc_parse_states(void *parser, int *out, int max);
int vsc_parse_accepts(const int *states, int n, int token);
int vsc_parse_ntokens(void);
void *vscParseAlloc(void *(*alloc)(size_t));
void vscParse(void *parser, int major, vsc_token minor, vsc_parser *p);
void vscParseFree(void *parser, void (*dealloc)(void *));

#endif
