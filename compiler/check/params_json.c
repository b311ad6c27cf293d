/*
** vsc_params_json: the params a script declares, as data (check stage), for `vsc batch`,
** which names a data file's columns that are not params, and for front-ends.
*/
#include <jansson.h>
#include <stdlib.h>

#include "check/checker.h"
#include "vsc/vsc_file.h"

json_t *vsc_params_json(const char *path, vsc_diag_list *diags) {
  vsc_diag_list *own = diags ? NULL : vsc_diag_list_new(20);
  if (!diags) diags = own;
  vsc_session s = {0};
  s.arena = vsc_arena_new();
  s.diags = diags;
  size_t len = 0;
  char *text = vsc_read_file(path, &len);
  json_t *out = NULL;
  if (!text) vsc_diag_plain(diags, VSC_SEV_ERROR, VSC_STAGE_LEX, "cannot read '%s'", path);
  else if (vsc_check_load(&s, path, text, len) == 0) {
    out = json_array();
    for (int i = 0; i < s.nparam_decls; i++) {
      const vsc_ast *d = s.param_decls[i];
      if (!d->name.str) continue;
      json_t *o = json_pack("{s:s, s:s?, s:b, s:b}", "name", d->name.str, "type",
                            d->nvals && d->vals[0].kind == V_IDENT ? d->vals[0].str : NULL, "list", d->list,
                            "required", check_option(d, "default") == NULL);
      json_array_append_new(out, o);
    }
  }
  free(text);
  vsc_session_free(&s);
  vsc_diag_list_free(own);
  return out;
}
