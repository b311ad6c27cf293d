/* The .vscript grammar (Lemon). Only structure lives here: every action calls an AST
 * builder (compiler/ast/ast.c); meaning is given by the checker. */

%name vscParse
%token_prefix TK_
%token_type { vsc_token }
%default_type { vsc_ast * }
%extra_argument { vsc_parser *P }
%start_symbol file

%include {
#include <assert.h>
#include "parse/parse.h"
}

%syntax_error { vsc_parse_syntax_error(P, yymajor, TOKEN); }
%stack_overflow { vsc_parse_overflow(P); }
%stack_size 200

/* Literal tokens first, so their codes are stable. */
%token ID STRING NUMBER DURATION MONEY DB PERCENT DIMS RATIO RATE BYTES HEX.
%token LBRACE RBRACE LPAREN RPAREN COMMA COLON EQ ARROW LBRACKET RBRACKET ILLEGAL.

/* Keywords are only keywords where the grammar expects one: elsewhere they are names. */
%fallback ID IMPORT VIDEO STYLE TEMPLATE PRESET MODEL SCENE SHOT TEXT VOICE THEN MUSIC
  GENERATE WITH FINAL DRAFT SEED SIZE FPS LENGTH ASPECT BUDGET QUALITY PROVIDER FIT TEMPO
  METER OFFSET LOOK PALETTE AVOID FONT IMAGE FILE COLOR CAMERA ANIMATE IN MUTE KEEP AUDIO
  AT FROM TO FADE BOX AS CUT ON BEATS BARS REST UNTIL VOLUME LOOP START DUCK SECTION KIND
  CLASS TIER DURATIONS SIZES ASPECTS PRICE PRICED PER ESTIMATE VERSION INPUTS PARAM
  REQUIRED ENUM MIN MAX DEFAULT FALLBACK OUT USE WIDTH LINES ALIGN SPACING OUTLINE SHADOW ACCENT
  CAPTIONS HIGHLIGHT WORDS BURN SAFE
  DELIVER.
/* Formats (docs/language.md "Formats"). */
%fallback ID FORMATS FOR FOCUS REFRAME.
/* List params and `for NAME in LIST` (docs/language.md "Lists"). */
%fallback ID LIST.

%type value { vsc_value }
%type literal { vsc_value }
%type name { vsc_value }
%type items { vsc_ast_list }
%type vitems { vsc_ast_list }
%type sitems { vsc_ast_list }
%type styitems { vsc_ast_list }
%type mitems { vsc_ast_list }
%type mditems { vsc_ast_list }
%type shotopts { vsc_ast_list }
%type textopts { vsc_ast_list }
%type voiceopts { vsc_ast_list }
%type capopts { vsc_ast_list }
%type dopts { vsc_ast_list }
%type popts { vsc_ast_list }
%type kvs { vsc_ast_list }
%type kvlist { vsc_ast_list }
%type tparams { vsc_ast_list }
%type tparamlist { vsc_ast_list }
%type args { vsc_ast_list }
%type arglist { vsc_ast_list }

file ::= items(L). { vsc_parse_finish(P, L); }

items(A) ::= . { A.head = A.tail = 0; }
items(A) ::= items(L) item(I). { A = vsc_ast_list_add(L, I); }
items(A) ::= items(L) error. { A = L; }

/* ---- values ----------------------------------------------------------------
 * A keyword falls back to ID only where it has no explicit action, and Lemon's default
 * reductions are not explicit. So wherever a construct may end and a bare name could
 * follow, only literals (not names) may follow: lists are literals or comma-separated. */
literal(A) ::= NUMBER|DURATION|MONEY|DB|PERCENT|DIMS|RATIO|RATE|BYTES|HEX|STRING(T). { A = vsc_parse_value(P, T); }
value(A) ::= literal(L). { A = L; }
value(A) ::= ID(T). { A = vsc_parse_ident(P, T); }
name(A) ::= ID(T). { A = vsc_parse_ident(P, T); }

/* A list: [a, b, c] (a trailing comma is fine; [] is empty). Brackets only start a list, so
 * a list is a value wherever one goes and the checker says where it does not belong. */
value(A) ::= LBRACKET(L) RBRACKET(R). { A = vsc_parse_list(P, L, 0, R); }
value(A) ::= LBRACKET(L) listvals(N) RBRACKET(R). { A = vsc_parse_list(P, L, N, R); }
value(A) ::= LBRACKET(L) listvals(N) COMMA RBRACKET(R). { A = vsc_parse_list(P, L, N, R); }
%type listvals { vsc_ast * }
listvals(A) ::= value(V). { A = vsc_parse_vals_start(P, V); }
listvals(A) ::= listvals(L) COMMA value(V). { A = L; vsc_parse_add_val(P, A, V); }

/* ---- top level ------------------------------------------------------------- */
item(A) ::= IMPORT(K) value(V). { A = vsc_parse_node(P, AST_IMPORT, K, "import"); vsc_parse_add_val(P, A, V); }
item(A) ::= VIDEO(K) value(T) LBRACE vitems(B) RBRACE(E).
  { A = vsc_parse_node(P, AST_VIDEO, K, "video"); vsc_parse_add_val(P, A, T); A->body = B; A->has_body = 1; vsc_ast_extend_tok(A, E); }
item(A) ::= STYLE(K) name(N) LBRACE styitems(B) RBRACE(E).
  { A = vsc_parse_node(P, AST_STYLE, K, "style"); A->name = N; A->body = B; A->has_body = 1; vsc_ast_extend_tok(A, E); }
item(A) ::= TEMPLATE(K) name(N) LPAREN tparamlist(L) RPAREN LBRACE sitems(B) RBRACE(E).
  { A = vsc_parse_node(P, AST_TEMPLATE, K, "template"); A->name = N; A->params = L; A->body = B; A->has_body = 1; vsc_ast_extend_tok(A, E); }
item(A) ::= PRESET(K) name(N) LBRACE vitems(B) RBRACE(E).
  { A = vsc_parse_node(P, AST_PRESET, K, "preset"); A->name = N; A->body = B; A->has_body = 1; vsc_ast_extend_tok(A, E); }
item(A) ::= MODEL(K) name(N) value(R) LBRACE mditems(B) RBRACE(E).
  { A = vsc_parse_node(P, AST_MODEL, K, "model"); A->name = N; vsc_parse_add_val(P, A, R); A->body = B; A->has_body = 1; vsc_ast_extend_tok(A, E); }

/* `param NAME TYPE [default VALUE]`: a value the script is given (check/params.c). */
item(A) ::= PARAM(K) name(N) value(T) popts(O).
  { A = vsc_parse_node(P, AST_PARAM, K, "param"); A->name = N; vsc_parse_add_val(P, A, T); vsc_parse_opts(P, A, O); }
/* `param NAME list TYPE [default [a, b]]`: a list of values of TYPE. */
item(A) ::= PARAM(K) name(N) LIST value(T) popts(O).
  { A = vsc_parse_node(P, AST_PARAM, K, "param"); A->name = N; A->list = 1; vsc_parse_add_val(P, A, T); vsc_parse_opts(P, A, O); }

tparamlist(A) ::= . { A.head = A.tail = 0; }
tparamlist(A) ::= tparams(L). { A = L; }
tparams(A) ::= tparam(I). { A.head = A.tail = 0; A = vsc_ast_list_add(A, I); }
tparams(A) ::= tparams(L) COMMA tparam(I). { A = vsc_ast_list_add(L, I); }
tparam(A) ::= name(N). { A = vsc_parse_named(P, AST_PARAM, N); }
tparam(A) ::= name(N) EQ value(V). { A = vsc_parse_named(P, AST_PARAM, N); vsc_parse_add_val(P, A, V); }

/* ---- video and preset bodies ----------------------------------------------- */
vitems(A) ::= . { A.head = A.tail = 0; }
vitems(A) ::= vitems(L) vitem(I). { A = vsc_ast_list_add(L, I); }
vitems(A) ::= vitems(L) error. { A = L; }

vitem(A) ::= SIZE|FPS|LENGTH|ASPECT|BUDGET|QUALITY|SEED|PROVIDER|FIT|PRESET|SAFE(K) value(V).
  { A = vsc_parse_set(P, K, V); }
vitem(A) ::= STYLE(K) name(N). { A = vsc_parse_node(P, AST_SET, K, "style"); vsc_parse_add_val(P, A, N); }
vitem(A) ::= STYLE(K) LBRACE styitems(B) RBRACE(E).
  { A = vsc_parse_node(P, AST_STYLE, K, "style"); A->body = B; A->has_body = 1; vsc_ast_extend_tok(A, E); }
vitem(A) ::= music(M). { A = M; }
vitem(A) ::= voice(V). { A = V; }
vitem(A) ::= CAPTIONS(K) value(V). { A = vsc_parse_set(P, K, V); }
vitem(A) ::= CAPTIONS(K) value(V) LBRACE capopts(O) RBRACE(E). { A = vsc_parse_set(P, K, V); vsc_parse_opts(P, A, O); vsc_ast_extend_tok(A, E); }

/* ---- captions (from the voice-over) ----------------------------------------- */
capopts(A) ::= . { A.head = A.tail = 0; }
capopts(A) ::= capopts(L) capopt(I). { A = vsc_ast_list_add(L, I); }
capopt(A) ::= WORDS|LINES|SIZE|MIN|FONT|COLOR|HIGHLIGHT|BOX|BURN|WIDTH(K) value(V). { A = vsc_parse_set(P, K, V); }
capopt(A) ::= AT(K) value(V). { A = vsc_parse_set(P, K, V); }
capopt(A) ::= AT(K) literal(X) literal(Y). { A = vsc_parse_set(P, K, X); vsc_parse_add_val(P, A, Y); }
capopt(A) ::= OUTLINE|SHADOW(K) literal(X). { A = vsc_parse_set(P, K, X); }
capopt(A) ::= OUTLINE|SHADOW(K) literal(X) literal(Y). { A = vsc_parse_set(P, K, X); vsc_parse_add_val(P, A, Y); }
vitem(A) ::= scene(S). { A = S; }
/* for NAME in LIST { scenes }: the scenes once per item of a list (check/each.c). */
vitem(A) ::= FOR(K) name(N) IN value(L) LBRACE vitems(B) RBRACE(E).
  { A = vsc_parse_node(P, AST_EACH, K, "for"); A->name = N; vsc_parse_add_val(P, A, L); A->body = B; A->has_body = 1; vsc_ast_extend_tok(A, E); }

/* ---- formats: one deliverable per aspect, `for` blocks override per format ---- */
vitem(A) ::= FORMATS(K) litlist(L). { A = L; vsc_parse_rekey(P, A, K); }
vitem(A) ::= FOR(K) litlist(L) LBRACE(O) vitems(B) RBRACE(E). { A = L; vsc_parse_rekey(P, A, K); vsc_parse_body(P, A, vsc_parse_block(P, O, B, E)); }
sitem(A) ::= FOR(K) litlist(L) LBRACE(O) sitems(B) RBRACE(E). { A = L; vsc_parse_rekey(P, A, K); vsc_parse_body(P, A, vsc_parse_block(P, O, B, E)); }
sitem(A) ::= FOCUS(K) literal(X). { A = vsc_parse_set(P, K, X); }
sitem(A) ::= FOCUS(K) literal(X) literal(Y). { A = vsc_parse_set(P, K, X); vsc_parse_add_val(P, A, Y); }
sitem(A) ::= FOCUS(K) literal(X) COMMA literal(Y). { A = vsc_parse_set(P, K, X); vsc_parse_add_val(P, A, Y); }
sitem(A) ::= REFRAME(K) value(V). { A = vsc_parse_set(P, K, V); }

/* ---- delivery: a platform preset, its overrides, or settings of its own ------ */
vitem(A) ::= DELIVER(K) value(V). { A = vsc_parse_set(P, K, V); }
vitem(A) ::= DELIVER(K) value(V) LBRACE dopts(O) RBRACE(E). { A = vsc_parse_set(P, K, V); vsc_parse_opts(P, A, O); vsc_ast_extend_tok(A, E); }
vitem(A) ::= DELIVER(K) LBRACE dopts(O) RBRACE(E). { A = vsc_parse_set(P, K, vsc_parse_none(P, K)); vsc_parse_opts(P, A, O); vsc_ast_extend_tok(A, E); }
dopts(A) ::= . { A.head = A.tail = 0; }
dopts(A) ::= dopts(L) dopt(I). { A = vsc_ast_list_add(L, I); }
dopt(A) ::= name(N) value(V). { A = vsc_parse_arg(P, &N, V); }

/* ---- styles ---------------------------------------------------------------- */
styitems(A) ::= . { A.head = A.tail = 0; }
styitems(A) ::= styitems(L) styitem(I). { A = vsc_ast_list_add(L, I); }
styitems(A) ::= styitems(L) error. { A = L; }
styitem(A) ::= LOOK|AVOID|FONT(K) value(V). { A = vsc_parse_set(P, K, V); }
styitem(A) ::= PALETTE(K) litlist(A1). { A = A1; vsc_parse_rekey(P, A, K); }

%type litlist { vsc_ast * }
litlist(A) ::= literal(V). { A = vsc_parse_vals_start(P, V); }
litlist(A) ::= litlist(L) literal(V). { A = L; vsc_parse_add_val(P, A, V); }
%type namelist { vsc_ast * }
namelist(A) ::= name(V). { A = vsc_parse_vals_start(P, V); }
namelist(A) ::= namelist(L) COMMA name(V). { A = L; vsc_parse_add_val(P, A, V); }

/* ---- music ----------------------------------------------------------------- */
music(A) ::= MUSIC(K) value(V) mblock(B). { A = vsc_parse_node(P, AST_MUSIC, K, "music"); vsc_parse_add_val(P, A, V); vsc_parse_body(P, A, B); }
music(A) ::= MUSIC(K) GENERATE value(V) mblock(B). { A = vsc_parse_node(P, AST_MUSIC, K, "music generate"); vsc_parse_add_val(P, A, V); vsc_parse_body(P, A, B); }

%type mblock { vsc_ast * }
mblock(A) ::= . { A = 0; }
mblock(A) ::= LBRACE(L) mitems(B) RBRACE(E). { A = vsc_parse_block(P, L, B, E); }

mitems(A) ::= . { A.head = A.tail = 0; }
mitems(A) ::= mitems(L) mitem(I). { A = vsc_ast_list_add(L, I); }
mitems(A) ::= mitems(L) error. { A = L; }
mitem(A) ::= VOLUME|START|DUCK|TEMPO|METER|OFFSET(K) value(V). { A = vsc_parse_set(P, K, V); }
mitem(A) ::= LOOP(K). { A = vsc_parse_node(P, AST_SET, K, "loop"); }
mitem(A) ::= FADE(K) IN value(V). { A = vsc_parse_node(P, AST_SET, K, "fade in"); vsc_parse_add_val(P, A, V); }
mitem(A) ::= FADE(K) OUT value(V). { A = vsc_parse_node(P, AST_SET, K, "fade out"); vsc_parse_add_val(P, A, V); }
mitem(A) ::= CUT(K) ON value(V). { A = vsc_parse_node(P, AST_SET, K, "cut on"); vsc_parse_add_val(P, A, V); }
mitem(A) ::= CUT(K) ON BEATS(T). { A = vsc_parse_node(P, AST_SET, K, "cut on"); vsc_parse_add_val(P, A, vsc_parse_ident(P, T)); }
mitem(A) ::= CUT(K) ON BARS(T). { A = vsc_parse_node(P, AST_SET, K, "cut on"); vsc_parse_add_val(P, A, vsc_parse_ident(P, T)); }
mitem(A) ::= SECTION(K) name(N) AT value(V). { A = vsc_parse_node(P, AST_SET, K, "section"); A->name = N; vsc_parse_add_val(P, A, V); }

/* ---- voice-over ------------------------------------------------------------ */
voice(A) ::= VOICE(K) value(V) voiceopts(O). { A = vsc_parse_node(P, AST_VOICE, K, "voice"); vsc_parse_add_val(P, A, V); vsc_parse_opts(P, A, O); }
voiceopts(A) ::= . { A.head = A.tail = 0; }
voiceopts(A) ::= voiceopts(L) voiceopt(I). { A = vsc_ast_list_add(L, I); }
voiceopt(A) ::= AT|AS|VOLUME(K) value(V). { A = vsc_parse_set(P, K, V); }

/* ---- scenes ---------------------------------------------------------------- */
scene(A) ::= SCENE(K) name(N) sdur(D) suse(U) sblock(B).
  { A = vsc_parse_node(P, AST_SCENE, K, "scene"); A->name = N; vsc_parse_scene(P, A, D, U, B); }

%type sdur { vsc_ast * }
sdur(A) ::= . { A = 0; }
sdur(A) ::= LPAREN(L) dur(D) RPAREN(R). { A = D; vsc_parse_wrap(A, L, R); }
%type dur { vsc_ast * }
dur(A) ::= value(V). { A = vsc_parse_dur(P, DUR_TIME, V); }
dur(A) ::= value(V) BEATS(T). { A = vsc_parse_dur(P, DUR_BEATS, V); vsc_ast_extend_tok(A, T); }
dur(A) ::= value(V) BARS(T). { A = vsc_parse_dur(P, DUR_BARS, V); vsc_ast_extend_tok(A, T); }
dur(A) ::= REST(T). { A = vsc_parse_dur(P, DUR_REST, vsc_parse_ident(P, T)); }
dur(A) ::= VOICE(T). { A = vsc_parse_dur(P, DUR_VOICE, vsc_parse_ident(P, T)); }
dur(A) ::= UNTIL(T) name(N). { A = vsc_parse_dur(P, DUR_UNTIL, N); A->span = vsc_span_join(vsc_span_of(T), N.span); }

%type suse { vsc_ast * }
suse(A) ::= . { A = 0; }
suse(A) ::= USE(K) name(N) LPAREN arglist(L) RPAREN(E).
  { A = vsc_parse_node(P, AST_USE, K, "use"); A->name = N; A->params = L; vsc_ast_extend_tok(A, E); }

arglist(A) ::= . { A.head = A.tail = 0; }
arglist(A) ::= args(L). { A = L; }
arglist(A) ::= args(L) COMMA. { A = L; }
args(A) ::= arg(I). { A.head = A.tail = 0; A = vsc_ast_list_add(A, I); }
args(A) ::= args(L) COMMA arg(I). { A = vsc_ast_list_add(L, I); }
arg(A) ::= value(V). { A = vsc_parse_arg(P, 0, V); }
arg(A) ::= name(N) COLON value(V). { A = vsc_parse_arg(P, &N, V); }

%type sblock { vsc_ast * }
sblock(A) ::= . { A = 0; }
sblock(A) ::= LBRACE(L) sitems(B) RBRACE(E). { A = vsc_parse_block(P, L, B, E); }

sitems(A) ::= . { A.head = A.tail = 0; }
sitems(A) ::= sitems(L) sitem(I). { A = vsc_ast_list_add(L, I); }
sitems(A) ::= sitems(L) error. { A = L; }

sitem(A) ::= SHOT(K) VIDEO|IMAGE|FILE|COLOR(S) value(V) shotopts(O).
  { A = vsc_parse_shot(P, K, S, V); vsc_parse_opts(P, A, O); }
sitem(A) ::= MODEL|SEED|FIT(K) value(V). { A = vsc_parse_set(P, K, V); }
sitem(A) ::= FINAL|DRAFT(K). { A = vsc_parse_set0(P, K); }
sitem(A) ::= WITH(K) LBRACE kvlist(L) RBRACE(E). { A = vsc_parse_node(P, AST_WITH, K, "with"); A->body = L; A->has_body = 1; vsc_ast_extend_tok(A, E); }
sitem(A) ::= STYLE(K) LBRACE styitems(B) RBRACE(E).
  { A = vsc_parse_node(P, AST_STYLE, K, "style"); A->body = B; A->has_body = 1; vsc_ast_extend_tok(A, E); }
sitem(A) ::= TEXT(K) value(V) textopts(O). { A = vsc_parse_node(P, AST_TEXT, K, "text"); vsc_parse_add_val(P, A, V); vsc_parse_opts(P, A, O); }
sitem(A) ::= voice(V). { A = V; }
sitem(A) ::= THEN(K) value(V). { A = vsc_parse_node(P, AST_THEN, K, "then"); vsc_parse_add_val(P, A, V); }
sitem(A) ::= THEN(K) value(V) literal(D). { A = vsc_parse_node(P, AST_THEN, K, "then"); vsc_parse_add_val(P, A, V); vsc_parse_add_val(P, A, D); }

shotopts(A) ::= . { A.head = A.tail = 0; }
shotopts(A) ::= shotopts(L) shotopt(I). { A = vsc_ast_list_add(L, I); }
shotopt(A) ::= CAMERA|IN(K) value(V). { A = vsc_parse_set(P, K, V); }
shotopt(A) ::= FROM(K) value(V). { A = vsc_parse_set(P, K, V); }
shotopt(A) ::= FROM(K) IMAGE value(V). { A = vsc_parse_node(P, AST_SET, K, "from image"); vsc_parse_add_val(P, A, V); }
shotopt(A) ::= ANIMATE(K) value(V). { A = vsc_parse_set(P, K, V); }
shotopt(A) ::= ANIMATE(K) value(V) literal(F) ARROW literal(T).
  { A = vsc_parse_set(P, K, V); vsc_parse_add_val(P, A, F); vsc_parse_add_val(P, A, T); A->arrow = 1; }
shotopt(A) ::= MUTE(K). { A = vsc_parse_set0(P, K); }
shotopt(A) ::= KEEP(K) AUDIO(E). { A = vsc_parse_node(P, AST_SET, K, "keep audio"); vsc_ast_extend_tok(A, E); }

textopts(A) ::= . { A.head = A.tail = 0; }
textopts(A) ::= textopts(L) textopt(I). { A = vsc_ast_list_add(L, I); }
textopt(A) ::= SIZE|FROM|TO|FONT|COLOR|FADE|BOX|MIN|WIDTH|LINES|ALIGN|SPACING|ACCENT(K) value(V). { A = vsc_parse_set(P, K, V); }
textopt(A) ::= OUTLINE|SHADOW(K) literal(X). { A = vsc_parse_set(P, K, X); }
textopt(A) ::= OUTLINE|SHADOW(K) literal(X) literal(Y). { A = vsc_parse_set(P, K, X); vsc_parse_add_val(P, A, Y); }
textopt(A) ::= AT(K) value(V). { A = vsc_parse_set(P, K, V); }
textopt(A) ::= AT(K) literal(X) literal(Y). { A = vsc_parse_set(P, K, X); vsc_parse_add_val(P, A, Y); }

kvlist(A) ::= . { A.head = A.tail = 0; }
kvlist(A) ::= kvs(L). { A = L; }
kvlist(A) ::= kvs(L) COMMA. { A = L; }
kvs(A) ::= kv(I). { A.head = A.tail = 0; A = vsc_ast_list_add(A, I); }
kvs(A) ::= kvs(L) COMMA kv(I). { A = vsc_ast_list_add(L, I); }
kvs(A) ::= kvs(L) kv(I). { A = vsc_ast_list_add(L, I); }
kv(A) ::= name(N) COLON value(V). { A = vsc_parse_arg(P, &N, V); }

/* ---- model declarations (the registry) ------------------------------------- */
mditems(A) ::= . { A.head = A.tail = 0; }
mditems(A) ::= mditems(L) mditem(I). { A = vsc_ast_list_add(L, I); }
mditems(A) ::= mditems(L) error. { A = L; }
mditem(A) ::= KIND|CLASS|TIER|PRICED|VERSION(K) value(V). { A = vsc_parse_set(P, K, V); }
mditem(A) ::= SIZES|ASPECTS(K) litlist(L). { A = L; vsc_parse_rekey(P, A, K); }
mditem(A) ::= FALLBACK(K) namelist(L). { A = L; vsc_parse_rekey(P, A, K); }
mditem(A) ::= DURATIONS(K) litlist(L). { A = L; vsc_parse_rekey(P, A, K); }
mditem(A) ::= DURATIONS(K) literal(F) TO literal(T).
  { A = vsc_parse_node(P, AST_SET, K, "durations to"); vsc_parse_add_val(P, A, F); vsc_parse_add_val(P, A, T); }
mditem(A) ::= PRICE(K) value(V) PER value(U).
  { A = vsc_parse_set(P, K, V); vsc_parse_add_val(P, A, U); }
mditem(A) ::= PRICE(K) value(V) PER value(U) ESTIMATE value(E).
  { A = vsc_parse_set(P, K, V); vsc_parse_add_val(P, A, U); vsc_parse_add_val(P, A, E); }
mditem(A) ::= INPUTS(K) LBRACE kvlist(L) RBRACE(E).
  { A = vsc_parse_node(P, AST_INPUTS, K, "inputs"); A->body = L; A->has_body = 1; vsc_ast_extend_tok(A, E); }
mditem(A) ::= PARAM(K) name(N) value(T) popts(O).
  { A = vsc_parse_node(P, AST_PARAM, K, "param"); A->name = N; vsc_parse_add_val(P, A, T); vsc_parse_opts(P, A, O); }

popts(A) ::= . { A.head = A.tail = 0; }
popts(A) ::= popts(L) popt(I). { A = vsc_ast_list_add(L, I); }
popt(A) ::= REQUIRED(K). { A = vsc_parse_set0(P, K); }
popt(A) ::= MIN|MAX|DEFAULT(K) value(V). { A = vsc_parse_set(P, K, V); }
popt(A) ::= ENUM(K) litlist(L). { A = L; vsc_parse_rekey(P, A, K); }

/* ---- the expected-token set (for syntax-error hints: compiler/parse/expect.c) ---------- */
%code {
#include <string.h>

/* The parser's state stack, bottom first, into out[max]; returns its depth. */
int vsc_parse_states(void *parser, int *out, int max) {
  yyParser *p = parser;
  int n = 0;
  for (yyStackEntry *e = p->yystack; e <= p->yytos && n < max; e++) out[n++] = e->stateno;
  return n;
}

/* Token codes run from 1 to this (exclusive). */
int vsc_parse_ntokens(void) { return YYNTOKEN; }

/* Whether a parser with the given state stack would shift `token` (its own code, no
 * fallback to a name), after the reductions the token leads to. */
int vsc_parse_accepts(const int *states, int n, int token) {
  int st[256];
  if (n <= 0 || n > 256 || token <= 0 || token >= YYNTOKEN) return 0;
  memcpy(st, states, (size_t)n * sizeof *st);
  for (int guard = 0; guard < 1000; guard++) {
    int state = st[n - 1], act;
    if (state > YY_MAX_SHIFT) act = state;
    else {
      int i = yy_shift_ofst[state] + token;
      act = yy_lookahead[i] == token ? yy_action[i] : yy_default[state];
    }
    if (act == YY_ERROR_ACTION) return 0;
    if (act <= YY_MAX_SHIFTREDUCE || act == YY_ACCEPT_ACTION) return 1;
    if (act < YY_MIN_REDUCE) return 0;
    int rule = act - YY_MIN_REDUCE, size = yyRuleInfoNRhs[rule];
    if (n + size < 1 || n + size >= 256) return 0;
    n += size;
    st[n] = yy_find_reduce_action((YYACTIONTYPE)st[n - 1], yyRuleInfoLhs[rule]);
    n++;
  }
  return 0;
}
}
