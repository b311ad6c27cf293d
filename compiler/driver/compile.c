/* vsc_compile_*: the front end from text to IR, stage by stage. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "plan/plan.h"
#include "vsc/vsc_file.h"

static const char *dir_name(vsc_arena *a, const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return ".";
  if (slash == path) return "/";
  return vsc_arena_strndup(a, path, (size_t)(slash - path));
}

int vsc_compile_source(json_t **out_ir, const char *name, const char *text, size_t len,
                       const vsc_compile_options *opts, vsc_diag_list *diags) {
  vsc_compile_options defaults = VSC_COMPILE_OPTIONS_INIT;
  if (!opts) opts = &defaults;
  *out_ir = NULL;
  vsc_session s = {0};
  s.arena = vsc_arena_new();
  s.diags = diags;
  s.root_dir = dir_name(s.arena, name);
  s.cache_dir = opts->cache_dir ? opts->cache_dir : vsc_arena_printf(s.arena, "%s/.vsc", s.root_dir);
  s.preview = opts->preview;
  s.quality_override = opts->quality;
  s.import_root = opts->import_root;
  s.formats = opts->version >= 2 ? opts->formats : NULL;
  if (opts->version >= 3) {
    s.param_args = opts->params;
    s.nparam_args = opts->nparams;
  }
  vsc_video_spec *videos;
  int nvideos;
  int rc = vsc_check_formats(&s, name, text, len, &videos, &nvideos);
  if (rc == 0) rc = vsc_plan_formats(&s, videos, nvideos, out_ir);
  vsc_session_free(&s);
  return rc;
}

int vsc_compile_file(json_t **out_ir, const char *path, const vsc_compile_options *opts, vsc_diag_list *diags) {
  size_t len;
  char *text = vsc_read_file(path, &len);
  if (!text) {
    *out_ir = NULL;
    vsc_diag_plain(diags, VSC_SEV_ERROR, VSC_STAGE_LEX, "cannot read '%s'", path);
    return -1;
  }
  int rc = vsc_compile_source(out_ir, path, text, len, opts, diags);
  free(text);
  return rc;
}
