/* The syntax tree. Every node and value lives in the compile session's arena; tokens are
 * slices of the source text. The tree is generic on purpose: a statement is a keyword with
 * values, inline options and a body, and the checker gives each keyword its meaning. */
#ifndef VSC_AST_H
#define VSC_AST_H

#include "diag/diag.h"

typedef struct {
  int kind; /* TK_* from the generated parser header */
  uint32_t off, len;
} vsc_token;

typedef enum {
  V_NONE,
  V_NUMBER,
  V_DURATION, /* seconds */
  V_MONEY,    /* dollars */
  V_DB,
  V_PERCENT, /* 12% -> 12 */
  V_DIMS,    /* num x num2 */
  V_RATIO,   /* num : num2 */
  V_COLOR,   /* rgb */
  V_STRING,  /* str: decoded UTF-8 */
  V_IDENT,   /* str */
  V_BITRATE, /* 8M, 800k: bits per second */
  V_BYTES,   /* 50MB, 2GiB: bytes */
  V_ERROR,   /* a bad literal already reported */
  V_LIST,    /* [a, b, …]: items[nitems] (a list param's value, a list literal) */
} vsc_value_kind;

typedef struct vsc_value_s {
  vsc_value_kind kind;
  vsc_span span;
  double num, num2;
  uint32_t rgb;
  const char *str;                 /* V_STRING, V_IDENT; also the unit text of a V_DURATION ("s", "ms") */
  const struct vsc_value_s *items; /* V_LIST: its items (arena), none a V_LIST */
  int nitems;
} vsc_value;

#define VSC_AST_KINDS(X) \
  X(FILE)     /* children: top-level declarations */ \
  X(IMPORT)   /* vals[0]: module string */ \
  X(VIDEO)    /* vals[0]: title; body: settings, style, music, voice, scenes */ \
  X(STYLE)    /* name (decl) or none (inline block); body: look, palette, avoid, font */ \
  X(TEMPLATE) /* name; params: PARAM list; body: scene statements */ \
  X(PRESET)   /* name; body: video settings */ \
  X(MODEL)    /* name, vals[0]: "owner/name"; body: model statements */ \
  X(SCENE)    /* name; dur; use: template call; body */ \
  X(USE)      /* name: template; params: ARG list */ \
  X(ARG)      /* optional name; vals[0] */ \
  X(PARAM)    /* name; vals: default (template) or type (model); opts */ \
  X(MUSIC)    /* keyword "music" or "music generate"; vals[0]; body */ \
  X(SHOT)     /* keyword "shot video" ...; vals[0]; opts */ \
  X(TEXT)     /* vals[0]; opts */ \
  X(VOICE)    /* vals[0]; opts */ \
  X(THEN)     /* vals: name [duration] */ \
  X(WITH)     /* body: ARG list (name: value) */ \
  X(INPUTS)   /* body: ARG list (name: "input name") */ \
  X(SET)      /* a keyword with values: size, fps, camera, at, … */ \
  X(EACH)     /* for NAME in LIST { scenes }: name; vals[0]: the list; body: scenes */

typedef enum {
#define X(k) AST_##k,
  VSC_AST_KINDS(X)
#undef X
} vsc_ast_kind;

const char *vsc_ast_kind_name(vsc_ast_kind k);

/* DUR_VOICE: as long as the scene's voice-over lines take to speak, plus a pause. */
typedef enum { DUR_NONE,
               DUR_TIME,
               DUR_BEATS,
               DUR_BARS,
               DUR_REST,
               DUR_UNTIL,
               DUR_VOICE } vsc_dur_kind;

typedef struct vsc_ast vsc_ast;
typedef struct {
  vsc_ast *head, *tail;
} vsc_ast_list;

struct vsc_ast {
  vsc_ast_kind kind;
  vsc_span span;       /* from the first token to the last */
  vsc_span kw;         /* the leading keyword(s) */
  const char *keyword; /* canonical keyword text: "size", "fade out", "shot video", "cut on" */
  vsc_value name;      /* V_IDENT name where the construct has one */
  vsc_value *vals;
  int nvals;
  vsc_ast_list opts;   /* inline options (on the same statement) */
  vsc_ast_list params; /* TEMPLATE/USE/PARAM lists */
  vsc_ast_list body;   /* statements in braces */
  bool has_body;       /* braces were written (even if empty) */
  bool arrow;          /* `animate zoom a -> b` */
  bool list;           /* PARAM: `param NAME list TYPE`, a list of TYPE */
  vsc_dur_kind dur_kind;
  vsc_value dur; /* SCENE duration: time, count of beats/bars, or section name */
  vsc_ast *use;  /* SCENE: template call */
  vsc_source *src;
  vsc_ast *next;
};

typedef struct vsc_comment {
  vsc_span span;
  struct vsc_comment *next;
} vsc_comment;

void vsc_ast_extend(vsc_ast *n, vsc_span to);
void vsc_ast_extend_tok(vsc_ast *n, vsc_token t);
vsc_ast_list vsc_ast_list_add(vsc_ast_list l, vsc_ast *n);
vsc_span vsc_span_of(vsc_token t);
vsc_span vsc_span_join(vsc_span a, vsc_span b);

#endif
