/* The syntax tree as data: kind names, spans, lists. Building nodes from tokens is the
 * parser's job (parse/values.c). */
#include "ast/ast.h"

const char *vsc_ast_kind_name(vsc_ast_kind k) {
  static const char *const names[] = {
#define X(k) #k,
      VSC_AST_KINDS(X)
#undef X
  };
  return names[k];
}

vsc_span vsc_span_of(vsc_token t) { return (vsc_span){t.off, t.len}; }

vsc_span vsc_span_join(vsc_span a, vsc_span b) {
  uint32_t start = a.off < b.off ? a.off : b.off;
  uint32_t end_a = a.off + a.len, end_b = b.off + b.len;
  uint32_t end = end_a > end_b ? end_a : end_b;
  return (vsc_span){start, end - start};
}

void vsc_ast_extend(vsc_ast *n, vsc_span to) { n->span = vsc_span_join(n->span, to); }
void vsc_ast_extend_tok(vsc_ast *n, vsc_token t) { vsc_ast_extend(n, vsc_span_of(t)); }

vsc_ast_list vsc_ast_list_add(vsc_ast_list l, vsc_ast *n) {
  if (!n) return l;
  n->next = NULL;
  if (l.tail) l.tail->next = n;
  else l.head = n;
  l.tail = n;
  return l;
}
