/* Styles (check stage): named and inline `style { look palette avoid font }`. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check/checker.h"
#include "vsc/vsc_file.h"
#include "vsc/vsc_mem.h"
#include "vsc/vsc_strings.h"

/* style { look "…" avoid "…" font "…" palette #… }, into *out */
void check_style_body(const eval_ctx *c, vsc_ast *style, vsc_style_spec *out, bool append_look) {
  for (vsc_ast *st = style->body.head; st; st = st->next) {
    const char *k = st->keyword, *str;
    if (strcmp(k, "look") == 0 && check_get_string(c, &st->vals[0], "look", &str)) {
      if (append_look && out->look && *out->look)
        out->look = vsc_arena_printf(c->s->arena, "%s, %s", out->look, str);
      else
        out->look = str;
    } else if (strcmp(k, "avoid") == 0 && check_get_string(c, &st->vals[0], "avoid", &str)) {
      out->avoid = str;
    } else if (strcmp(k, "font") == 0 && check_get_string(c, &st->vals[0], "font", &str)) {
      out->font = str;
    } else if (strcmp(k, "palette") == 0) {
      out->npalette = 0;
      for (int i = 0; i < st->nvals && check_room(c, st->vals[i].span, out->npalette, VSC_PALETTE_MAX, "palette colours"); i++)
        if (check_get_color(c, &st->vals[i], "palette", &out->palette[out->npalette])) out->npalette++;
    }
  }
}

/* style NAME: the named style, or an error with a suggestion */
vsc_ast *check_lookup_style(vsc_session *s, vsc_source *src, const vsc_value *name) {
  vsc_ast *st = check_find_named(s->styles, s->nstyles, name->str);
  if (!st) {
    const char *names[256];
    size_t n = 0;
    for (int i = 0; i < s->nstyles && n < 256; i++) names[n++] = s->styles[i]->name.str;
    char h[128];
    const char *hint = check_suggest(name->str, names, n, h, sizeof h);
    bool std_style = false;
    if (!hint && !check_find_named(s->styles, s->nstyles, "noir")) {
      hint = "named styles come from 'import \"std/styles\"' or your own 'style NAME { … }'";
      std_style = check_std_style(name->str);
    }
    ERR(src, name->span, hint, "unknown style '%s'", name->str);
    if (std_style) vsc_diag_fix(s->diags, src, ((vsc_span){0, 0}), "import \"std/styles\"\n");
    const char *close = vsc_closest(name->str, names, n);
    if (close) vsc_diag_fix(s->diags, src, name->span, close);
  }
  return st;
}
