/* The formatter: one statement per line, two-space indent, literals spelt as written,
 * comments kept where they were (own line or end of line), at most one blank line kept
 * between statements. Formatting never changes the IR. */
#include <stdlib.h>
#include <string.h>

#include "parse/parse.h"
#include "vsc/vsc_buf.h"

typedef struct {
  vsc_buf out;
  vsc_source *src;
  vsc_comment *c;    /* next comment to emit */
  uint32_t prev_end; /* end offset of the last thing emitted */
  int indent;
} fmt;

static void text(fmt *f, const char *s) { vsc_buf_puts(&f->out, s); }

static void span_text(fmt *f, vsc_span sp) { vsc_buf_append(&f->out, f->src->text + sp.off, sp.len); }

static void indent(fmt *f) {
  for (int i = 0; i < f->indent; i++) text(f, "  ");
}

static uint32_t line_of(fmt *f, uint32_t off) {
  uint32_t line, col;
  vsc_source_position(f->src, off, &line, &col);
  return line;
}

/* True when the source has an empty line between two offsets. */
static bool blank_between(fmt *f, uint32_t from, uint32_t to) {
  int newlines = 0;
  for (uint32_t i = from; i < to && i < f->src->len; i++) {
    char ch = f->src->text[i];
    if (ch == '\n') {
      if (++newlines >= 2) return true;
    } else if (ch != ' ' && ch != '\t' && ch != '\r') {
      newlines = 0;
    }
  }
  return false;
}

static void comment_text(fmt *f, vsc_comment *c) {
  /* Trailing spaces inside a line comment are not kept. */
  uint32_t len = c->span.len;
  while (len > 2 && (f->src->text[c->span.off + len - 1] == ' ' || f->src->text[c->span.off + len - 1] == '\t')) len--;
  vsc_buf_append(&f->out, f->src->text + c->span.off, len);
}

/* Own-line comments that come before `off`. */
static void leading_comments(fmt *f, uint32_t off, bool first_in_block) {
  while (f->c && f->c->span.off < off) {
    if (!first_in_block && blank_between(f, f->prev_end, f->c->span.off)) text(f, "\n");
    first_in_block = false;
    indent(f);
    comment_text(f, f->c);
    text(f, "\n");
    f->prev_end = f->c->span.off + f->c->span.len;
    f->c = f->c->next;
  }
}

/* Comments that start on the line where a statement ended. */
static void trailing_comments(fmt *f, uint32_t end, uint32_t limit) {
  uint32_t line = line_of(f, end > 0 ? end - 1 : 0);
  while (f->c && f->c->span.off >= end && f->c->span.off < limit && line_of(f, f->c->span.off) == line) {
    text(f, "  ");
    comment_text(f, f->c);
    f->prev_end = f->c->span.off + f->c->span.len;
    f->c = f->c->next;
  }
}

/* A value as written; a list as [a, b, c], each item as written. */
static void value(fmt *f, const vsc_value *v) {
  if (v->kind != V_LIST) {
    span_text(f, v->span);
    return;
  }
  text(f, "[");
  for (int i = 0; i < v->nitems; i++) {
    if (i) text(f, ", ");
    value(f, &v->items[i]);
  }
  text(f, "]");
}

static void values(fmt *f, const vsc_ast *n, int from) {
  for (int i = from; i < n->nvals; i++) {
    text(f, " ");
    value(f, &n->vals[i]);
  }
}

static void statement(fmt *f, vsc_ast *n);
static void inline_stmt(fmt *f, vsc_ast *n);

static void block(fmt *f, vsc_ast_list body, uint32_t close_off) {
  text(f, " {\n");
  f->indent++;
  bool first = true;
  for (vsc_ast *s = body.head; s; s = s->next) {
    bool had_comment = f->c && f->c->span.off < s->span.off;
    leading_comments(f, s->span.off, first);
    if (!first && !had_comment && blank_between(f, f->prev_end, s->span.off)) text(f, "\n");
    else if (had_comment && blank_between(f, f->prev_end, s->span.off)) text(f, "\n");
    first = false;
    indent(f);
    statement(f, s);
    f->prev_end = s->span.off + s->span.len;
    trailing_comments(f, f->prev_end, s->next ? s->next->span.off : close_off);
    text(f, "\n");
  }
  leading_comments(f, close_off, first);
  f->indent--;
  indent(f);
  text(f, "}");
  f->prev_end = close_off + 1;
}

/* Where the closing brace of a node's block is: its span's last byte. */
static uint32_t close_of(const vsc_ast *n) { return n->span.off + n->span.len - 1; }

static void args(fmt *f, vsc_ast_list list) {
  bool first = true;
  for (vsc_ast *a = list.head; a; a = a->next) {
    if (!first) text(f, ", ");
    first = false;
    if (a->name.str) {
      value(f, &a->name);
      text(f, a->kind == AST_PARAM ? " = " : ": ");
      if (a->nvals) value(f, &a->vals[0]);
    } else if (a->nvals) {
      value(f, &a->vals[0]);
    }
  }
}

static void template_params(fmt *f, vsc_ast_list list) {
  bool first = true;
  for (vsc_ast *a = list.head; a; a = a->next) {
    if (!first) text(f, ", ");
    first = false;
    value(f, &a->name);
    if (a->nvals) {
      text(f, " = ");
      value(f, &a->vals[0]);
    }
  }
}

static void options(fmt *f, vsc_ast_list opts) {
  for (vsc_ast *o = opts.head; o; o = o->next) {
    text(f, " ");
    inline_stmt(f, o);
  }
}

/* A keyword statement on one line (no block). */
static void inline_stmt(fmt *f, vsc_ast *n) {
  const char *k = n->keyword;
  if (n->kind == AST_SET && strcmp(k, "section") == 0) {
    text(f, "section ");
    value(f, &n->name);
    text(f, " at ");
    value(f, &n->vals[0]);
  } else if (n->kind == AST_SET && strcmp(k, "durations to") == 0) {
    text(f, "durations ");
    value(f, &n->vals[0]);
    text(f, " to ");
    value(f, &n->vals[1]);
  } else if (n->kind == AST_SET && strcmp(k, "price") == 0) {
    text(f, "price ");
    value(f, &n->vals[0]);
    text(f, " per ");
    value(f, &n->vals[1]);
    if (n->nvals > 2) {
      text(f, " estimate ");
      value(f, &n->vals[2]);
    }
  } else if (n->kind == AST_SET && strcmp(k, "fallback") == 0) {
    text(f, "fallback ");
    for (int i = 0; i < n->nvals; i++) {
      if (i) text(f, ", ");
      value(f, &n->vals[i]);
    }
  } else if (n->kind == AST_SET && strcmp(k, "captions") == 0) {
    /* Caption options are a block: a bare list would run into the video's settings. */
    text(f, k);
    values(f, n, 0);
    if (n->opts.head) {
      text(f, " {");
      options(f, n->opts);
      text(f, " }");
    }
    return;
  } else if (n->kind == AST_SET && strcmp(k, "deliver") == 0) {
    /* deliver [PRESET] [{ name value … }]: a block of named settings (braces even when empty
       without a preset, as `deliver` alone says nothing). */
    text(f, k);
    bool preset = n->nvals && n->vals[0].kind != V_NONE;
    if (preset) values(f, n, 0);
    if (n->opts.head || !preset) {
      text(f, " {");
      for (vsc_ast *o = n->opts.head; o; o = o->next) {
        text(f, " ");
        value(f, &o->name);
        text(f, " ");
        value(f, &o->vals[0]);
      }
      text(f, " }");
    }
    return;
  } else if (n->kind == AST_SET && n->arrow) {
    text(f, k);
    text(f, " ");
    value(f, &n->vals[0]);
    text(f, " ");
    value(f, &n->vals[1]);
    text(f, " -> ");
    value(f, &n->vals[2]);
  } else {
    text(f, k);
    values(f, n, 0);
  }
  options(f, n->opts);
}

/* The count of `8 beats`: the duration's span covers the unit too, for diagnostics. */
static void count(fmt *f, const vsc_value *v) {
  uint32_t n = 0;
  while (n < v->span.len && f->src->text[v->span.off + n] != ' ' && f->src->text[v->span.off + n] != '\t' &&
         f->src->text[v->span.off + n] != '\n' && f->src->text[v->span.off + n] != '\r')
    n++;
  vsc_buf_append(&f->out, f->src->text + v->span.off, n);
}

static void dur(fmt *f, vsc_ast *n) {
  switch (n->dur_kind) {
  case DUR_NONE: return;
  case DUR_TIME:
    text(f, " (");
    value(f, &n->dur);
    text(f, ")");
    break;
  case DUR_BEATS:
  case DUR_BARS:
    text(f, " (");
    count(f, &n->dur);
    text(f, n->dur_kind == DUR_BEATS ? " beat" : " bar");
    text(f, n->dur.kind == V_NUMBER && n->dur.num == 1 ? ")" : "s)");
    break;
  case DUR_REST: text(f, " (rest)"); break;
  case DUR_VOICE: text(f, " (voice)"); break;
  case DUR_UNTIL:
    text(f, " (until ");
    value(f, &n->dur);
    text(f, ")");
    break;
  }
}

static bool comments_inside(fmt *f, const vsc_ast *n) {
  return f->c && f->c->span.off < n->span.off + n->span.len;
}

static void statement(fmt *f, vsc_ast *n) {
  switch (n->kind) {
  case AST_VIDEO:
    text(f, "video ");
    value(f, &n->vals[0]);
    block(f, n->body, close_of(n));
    return;
  case AST_STYLE:
    text(f, "style");
    if (n->name.str) {
      text(f, " ");
      value(f, &n->name);
    }
    if (!n->name.str && !comments_inside(f, n) && (!n->body.head || !n->body.head->next)) {
      text(f, " {");
      if (n->body.head) {
        text(f, " ");
        inline_stmt(f, n->body.head);
      }
      text(f, " }");
      return;
    }
    block(f, n->body, close_of(n));
    return;
  case AST_TEMPLATE:
    text(f, "template ");
    value(f, &n->name);
    text(f, "(");
    template_params(f, n->params);
    text(f, ")");
    block(f, n->body, close_of(n));
    return;
  case AST_PRESET:
    text(f, "preset ");
    value(f, &n->name);
    block(f, n->body, close_of(n));
    return;
  case AST_MODEL:
    text(f, "model ");
    value(f, &n->name);
    text(f, " ");
    value(f, &n->vals[0]);
    block(f, n->body, close_of(n));
    return;
  case AST_SCENE:
    text(f, "scene ");
    value(f, &n->name);
    dur(f, n);
    if (n->use) {
      text(f, " use ");
      value(f, &n->use->name);
      text(f, "(");
      args(f, n->use->params);
      text(f, ")");
    }
    if (n->has_body) block(f, n->body, close_of(n));
    return;
  case AST_MUSIC:
    text(f, n->keyword);
    values(f, n, 0);
    if (n->has_body) block(f, n->body, close_of(n));
    return;
  case AST_WITH:
  case AST_INPUTS:
    text(f, n->keyword);
    text(f, n->body.head ? " { " : " {");
    args(f, n->body);
    text(f, " }");
    return;
  case AST_PARAM:
    text(f, "param ");
    value(f, &n->name);
    if (n->list) text(f, " list");
    values(f, n, 0);
    options(f, n->opts);
    return;
  case AST_SET:
    if (n->has_body && strcmp(n->keyword, "for") == 0) { /* for 9:16 { … } */
      text(f, "for");
      values(f, n, 0);
      block(f, n->body, close_of(n));
      return;
    }
    inline_stmt(f, n);
    return;
  case AST_EACH: /* for NAME in LIST { scenes } */
    text(f, "for ");
    value(f, &n->name);
    text(f, " in ");
    value(f, &n->vals[0]);
    block(f, n->body, close_of(n));
    return;
  case AST_IMPORT:
  case AST_SHOT:
  case AST_TEXT:
  case AST_VOICE:
  case AST_THEN:
    inline_stmt(f, n);
    return;
  case AST_FILE:
  case AST_USE:
  case AST_ARG:
    return;
  }
}

char *vsc_format(const char *name, const char *src_text, size_t len, vsc_diag_list *diags) {
  vsc_arena *arena = vsc_arena_new();
  vsc_source src = {.name = name, .text = src_text, .len = (uint32_t)len};
  vsc_parser p;
  vsc_ast *file = vsc_parse(&p, arena, &src, diags);
  char *out = NULL;
  if (!vsc_diag_error_count(diags)) {
    fmt f = {.src = &src, .c = p.comments};
    vsc_buf_append(&f.out, "", 0);
    bool first = true;
    vsc_ast_kind prev_kind = AST_FILE;
    for (vsc_ast *n = file->body.head; n; n = n->next) {
      bool had_comment = f.c && f.c->span.off < n->span.off;
      /* Declarations are separated by one blank line; consecutive imports are not. */
      bool sep = !first && !(prev_kind == n->kind && (n->kind == AST_IMPORT || n->kind == AST_PARAM) && !blank_between(&f, f.prev_end, n->span.off));
      if (sep) text(&f, "\n");
      leading_comments(&f, n->span.off, true);
      if (had_comment && blank_between(&f, f.prev_end, n->span.off)) text(&f, "\n");
      first = false;
      statement(&f, n);
      f.prev_end = n->span.off + n->span.len;
      trailing_comments(&f, f.prev_end, n->next ? n->next->span.off : src.len + 1);
      text(&f, "\n");
      prev_kind = n->kind;
    }
    if (f.c) {
      if (!first) text(&f, "\n");
      leading_comments(&f, src.len + 1, true);
    }
    out = f.out.s;
  }
  vsc_source_free_lines(&src);
  vsc_arena_free(arena);
  return out;
}
