/* vsc ir: emit, validate or canonicalise a plan graph; print its schema. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static int load_ir(const char *path, json_t **ir) {
  json_error_t e;
  *ir = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
  if (!*ir) {
    fprintf(stderr, "%s:%d:%d: error: %s\n", path, e.line, e.column, e.text);
    return VSC_EXIT_PARSE;
  }
  char err[512];
  if (vsc_ir_validate(*ir, err, sizeof err) != 0) {
    fprintf(stderr, "%s: error: %s\n", path, err);
    json_decref(*ir);
    *ir = NULL;
    return VSC_EXIT_CHECK;
  }
  return VSC_EXIT_OK;
}

static int emit(json_t *ir, const char *out) {
  char *text = vsc_ir_dump(ir);
  int rc = VSC_EXIT_OK;
  if (!out) {
    fputs(text, stdout);
  } else if (cli_write_file(out, text, strlen(text)) != 0) {
    fprintf(stderr, "vsc: error: cannot write '%s'\n", out);
    rc = VSC_EXIT_RUNTIME;
  }
  free(text);
  return rc;
}

int cmd_ir(int argc, char **argv) {
  const char *path = NULL, *out = NULL, *formats = NULL;
  bool json = false, validate = false, canon = false, schema = false;
  for (int i = 1; i < argc; i++) {
    int frc = cli_param_arg(argc, argv, &i);
    if (frc == 1) frc = cli_format_arg(&formats, argc, argv, &i);
    if (frc < 0) return cli_usage("ir");
    if (frc == 0) continue;
    if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) out = argv[++i];
    else if (strcmp(argv[i], "--json") == 0) json = true;
    else if (strcmp(argv[i], "--schema") == 0) schema = true;
    else if (strcmp(argv[i], "--validate") == 0) validate = true;
    else if (strcmp(argv[i], "--canon") == 0) canon = true;
    else if (argv[i][0] == '-' && argv[i][1]) return cli_usage("ir");
    else if (!path) path = argv[i];
    else return cli_usage("ir");
  }
  if (schema) {
    json_t *s = vsc_ir_schema();
    char *text = json_dumps(s, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", text);
    free(text);
    json_decref(s);
    return VSC_EXIT_OK;
  }
  if (!path) return cli_usage("ir");
  /* The IR of a script never replaces the script (--canon rewriting a plan in place is fine). */
  struct stat sp, so;
  if (out && !validate && !canon && stat(path, &sp) == 0 && stat(out, &so) == 0 && sp.st_dev == so.st_dev &&
      sp.st_ino == so.st_ino) {
    fprintf(stderr, "vsc: -o %s is the script itself; choose another file\n", out);
    return VSC_EXIT_USAGE;
  }
  json_t *ir = NULL;
  int rc;
  if (validate || canon) {
    rc = load_ir(path, &ir);
    if (rc == VSC_EXIT_OK && validate && !canon) printf("%s: valid IR\n", path);
    else if (rc == VSC_EXIT_OK) rc = emit(ir, out);
  } else if (json) {
    /* For tools: on failure stdout is the diagnostics JSON; on success it is the IR, and any
     * warnings go to stderr as JSON. */
    vsc_compile_options opts = VSC_COMPILE_OPTIONS_INIT;
    opts.formats = formats;
    vsc_diag_list *diags = vsc_diag_list_new(20);
    if (vsc_compile_file(&ir, path, &opts, diags) != 0) {
      rc = cli_report(diags, true);
      if (rc == VSC_EXIT_OK) rc = VSC_EXIT_CHECK;
    } else {
      if (vsc_diag_warning_count(diags)) {
        json_t *w = vsc_diag_to_json(diags);
        char *text = json_dumps(w, JSON_COMPACT);
        fprintf(stderr, "%s\n", text);
        free(text);
        json_decref(w);
      }
      rc = emit(ir, out);
    }
    vsc_diag_list_free(diags);
  } else {
    vsc_compile_options opts = VSC_COMPILE_OPTIONS_INIT;
    opts.formats = formats;
    rc = cli_compile(&ir, path, false, 20, &opts);
    if (rc == VSC_EXIT_OK) rc = emit(ir, out);
  }
  json_decref(ir);
  return rc;
}
