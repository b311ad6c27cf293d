/*
** vsc models [FILE]: the model registry.
** vsc models pull MODEL [--script FILE]: fetches the model from Replicate
** (GET /v1/models/{owner}/{name}) and locks its latest version id and input schema in
** vsc.lock.json next to the script (or in the current directory), so that `vsc check` and
** `vsc build` validate `with {…}` against what the provider published (docs/cli.md).
*/
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "vsc/vsc_replicate.h"

#define LOCK_NAME "vsc.lock.json" /* read by the checker: compiler/driver/lock.c */

/* A copy of `sch` where every {"$ref": "#/components/schemas/NAME"} is replaced by (a copy
 * of) that schema of `doc`, so that the locked Input stands alone. Bounded depth: Cog's
 * schemas are shallow, and a cyclic $ref must not recurse forever. */
static json_t *resolve_refs(const json_t *sch, const json_t *doc, int depth) {
  if (depth > 16) return json_null();
  if (json_is_array(sch)) {
    json_t *a = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(sch, i, v) json_array_append_new(a, resolve_refs(v, doc, depth + 1));
    return a;
  }
  if (!json_is_object(sch)) return json_deep_copy(sch);
  const char *ref = json_string_value(json_object_get(sch, "$ref"));
  const char *prefix = "#/components/schemas/";
  if (ref && !strncmp(ref, prefix, strlen(prefix))) {
    json_t *target = json_object_get(json_object_get(json_object_get(doc, "components"), "schemas"),
                                     ref + strlen(prefix));
    if (target) return resolve_refs(target, doc, depth + 1);
  }
  json_t *o = json_object();
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)sch, k, v) json_object_set_new(o, k, resolve_refs(v, doc, depth + 1));
  return o;
}

/* The registry's owner/name for a model alias (e.g. seedance_lite), or the argument itself
 * when it already is one. Writes into ref. */
static int model_ref(const char *model, const char *script, char *ref, size_t n) {
  if (strchr(model, '/')) {
    snprintf(ref, n, "%s", model);
    return 0;
  }
  vsc_diag_list *diags = vsc_diag_list_new(20);
  json_t *models = vsc_models_json(script, diags);
  int rc = -1;
  if (!models) cli_report(diags, false);
  size_t i;
  json_t *m;
  json_array_foreach(models, i, m) {
    if (!strcmp(json_string_value(json_object_get(m, "name")), model)) {
      snprintf(ref, n, "%s", json_string_value(json_object_get(m, "ref")));
      rc = 0;
      break;
    }
  }
  if (models && rc < 0)
    fprintf(stderr, "vsc: error: unknown model '%s' (give owner/name, or a name 'vsc models' lists)\n", model);
  json_decref(models);
  vsc_diag_list_free(diags);
  return rc;
}

static int models_pull(int argc, char **argv) {
  const char *model = NULL, *script = NULL;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--script") && i + 1 < argc) script = argv[++i];
    else if (argv[i][0] == '-' || model) return cli_usage("models");
    else model = argv[i];
  }
  if (!model) return cli_usage("models");
  char ref[300], dir[PATH_MAX], path[PATH_MAX + 32];
  if (model_ref(model, script, ref, sizeof ref) < 0) return VSC_EXIT_USAGE;
  const char *slash = script ? strrchr(script, '/') : NULL;
  if (!script) snprintf(dir, sizeof dir, ".");
  else if (!slash) snprintf(dir, sizeof dir, ".");
  else snprintf(dir, sizeof dir, "%.*s", slash == script ? 1 : (int)(slash - script), script);
  snprintf(path, sizeof path, "%s/%s", dir, LOCK_NAME);

  /* An existing lock keeps its other models; a file that is not one is never overwritten. */
  json_t *lock = NULL;
  struct stat sb;
  if (stat(path, &sb) == 0) {
    json_error_t je;
    lock = json_load_file(path, 0, &je);
    if (!lock || !json_is_object(json_object_get(lock, "models")) ||
        strcmp(json_string_value(json_object_get(lock, "format")) ? json_string_value(json_object_get(lock, "format")) : "", "vsc-lock")) {
      fprintf(stderr, "vsc: error: %s is not a vsc lock file%s%s; move it away first\n", path,
              lock ? "" : ": ", lock ? "" : je.text);
      json_decref(lock);
      return VSC_EXIT_USAGE;
    }
  } else {
    lock = json_pack("{s:s, s:i, s:{}}", "format", "vsc-lock", "version", 1, "models");
  }

  json_t *schema = NULL;
  char version[65];
  vsc_op_error err;
  memset(&err, 0, sizeof err);
  if (vsc_replicate_model_schema(&schema, version, ref, &err) != 0) {
    fprintf(stderr, "vsc: error: %s\n", err.msg);
    json_decref(lock);
    return VSC_EXIT_RUNTIME;
  }
  json_t *input = json_object_get(json_object_get(json_object_get(schema, "components"), "schemas"), "Input");
  if (!json_is_object(input) || !json_is_object(json_object_get(input, "properties"))) {
    fprintf(stderr, "vsc: error: %s publishes no Input schema\n", ref);
    json_decref(schema);
    json_decref(lock);
    return VSC_EXIT_RUNTIME;
  }
  json_t *resolved = resolve_refs(input, schema, 0);
  size_t ninputs = json_object_size(json_object_get(resolved, "properties"));
  size_t nrequired = json_array_size(json_object_get(resolved, "required"));
  json_object_set_new(json_object_get(lock, "models"), ref,
                      json_pack("{s:s, s:o}", "version", version, "input", resolved));
  json_decref(schema);
  /* Canonical: sorted keys, two-space indent, one trailing newline. */
  char *text = json_dumps(lock, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
  json_decref(lock);
  size_t len = text ? strlen(text) : 0;
  char *withnl = text ? realloc(text, len + 2) : NULL;
  if (!withnl) {
    free(text);
    fprintf(stderr, "vsc: error: out of memory\n");
    return VSC_EXIT_INTERNAL;
  }
  withnl[len++] = '\n';
  withnl[len] = 0;
  int rc = cli_write_file(path, withnl, len);
  free(withnl);
  if (rc != 0) {
    fprintf(stderr, "vsc: error: cannot write %s: %s\n", path, strerror(errno));
    return VSC_EXIT_RUNTIME;
  }
  printf("locked %s at version %s (%zu inputs, %zu required) in %s\n", ref,
         version[0] ? version : "(none published)", ninputs, nrequired, path);
  return VSC_EXIT_OK;
}

int cmd_models(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "pull")) return models_pull(argc, argv);
  const char *path = NULL;
  bool json = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) json = true;
    else if (argv[i][0] == '-' && argv[i][1]) return cli_usage("models");
    else if (!path) path = argv[i];
    else return cli_usage("models");
  }
  vsc_diag_list *diags = vsc_diag_list_new(20);
  json_t *models = vsc_models_json(path, diags);
  if (!models) {
    int rc = cli_report(diags, false);
    vsc_diag_list_free(diags);
    return rc;
  }
  vsc_diag_list_free(diags);
  if (json) {
    char *text = json_dumps(models, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(12));
    printf("%s\n", text);
    free(text);
  } else {
    printf("%-18s %-36s %-14s %-6s %-28s %s\n", "name", "model", "class", "tier", "price", "priced");
    size_t i;
    json_t *m;
    json_array_foreach(models, i, m) {
      char price[64];
      snprintf(price, sizeof price, "$%g per %s", json_number_value(json_object_get(m, "price")),
               json_string_value(json_object_get(m, "per")));
      json_t *priced = json_object_get(m, "priced");
      printf("%-18s %-36s %-14s %-6s %-28s %s\n", json_string_value(json_object_get(m, "name")),
             json_string_value(json_object_get(m, "ref")), json_string_value(json_object_get(m, "class")),
             json_string_value(json_object_get(m, "tier")), price, priced ? json_string_value(priced) : "-");
    }
  }
  json_decref(models);
  return VSC_EXIT_OK;
}
