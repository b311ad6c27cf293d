/*
** `vsc run`'s confinement: a plan.json may come from anywhere (an LLM, another tool), so
** what it names is held to the project root (the directory vsc run starts in, or --root):
** its `root` and every asset path must resolve inside it, by name (no `..` escape) and by
** the file system (no symlink out), and never into the cache (objects, journal, ledger).
** Checked before anything runs; the error names the JSON path.
*/
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_run.h"

/* `path` (absolute) with "." and ".." folded by name, as if no component were a symlink. */
static void fold_by_name(const char *path, char *out, size_t len) {
  size_t n = 0;
  out[0] = 0;
  const char *p = path;
  while (*p) {
    while (*p == '/') p++;
    const char *e = strchr(p, '/');
    size_t k = e ? (size_t)(e - p) : strlen(p);
    if (k == 0) break;
    if (k == 2 && p[0] == '.' && p[1] == '.') {
      while (n > 0 && out[n - 1] != '/') n--;
      if (n > 0) n--; /* drop the slash too; "/.." stays "/" */
      out[n] = 0;
    } else if (!(k == 1 && p[0] == '.') && n + k + 2 < len) {
      out[n++] = '/';
      memcpy(out + n, p, k);
      n += k;
      out[n] = 0;
    }
    p += k;
  }
  if (n == 0) snprintf(out, len, "/");
}

/* Checks one path of the plan: `rel` (as written) resolved against the directory `dir`.
 * NULL when it is inside `base` and outside the cache, by name and on disk; else why not. */
static const char *outside(const char *rel, const char *dir, const char *base, const char *cache_real,
                           char *buf, size_t len) {
  char full[PATH_MAX * 2], folded[PATH_MAX * 2], real[PATH_MAX];
  if (rel[0] == '/') snprintf(full, sizeof full, "%s", rel);
  else snprintf(full, sizeof full, "%s/%s", dir, rel);
  fold_by_name(full, folded, sizeof folded);
  if (!cli_path_inside(folded, base))
    return rel[0] == '/' ? "is an absolute path outside the project root" : "climbs out of the project root with '..'";
  errno = 0;
  if (strlen(full) >= PATH_MAX || cli_resolve_loose(full, real) != 0) {
    snprintf(buf, len, "cannot be resolved: %s", strerror(errno ? errno : ENAMETOOLONG));
    return buf;
  }
  if (!cli_path_inside(real, base)) {
    snprintf(buf, len, "resolves to %.2000s (a symbolic link?), outside the project root %.2000s", real, base);
    return buf;
  }
  if (cache_real[0] && (cli_path_inside(folded, cache_real) || cli_path_inside(real, cache_real)))
    return "is inside the cache directory (objects, journal, ledger)";
  if (cli_under_dot_vsc(folded) || cli_under_dot_vsc(real)) return "is inside a .vsc cache directory";
  return NULL;
}

int cli_confine_ir(const json_t *ir, const char *plan_path, const char *base, const char *cache_dir) {
  char cache_real[PATH_MAX] = "", why[PATH_MAX * 2 + 100];
  if (cache_dir && cli_resolve_loose(cache_dir, cache_real) != 0) cache_real[0] = 0;
  const char *root = json_string_value(json_object_get(ir, "root"));
  if (!root || !*root) root = ".";
  const char *bad = outside(root, base, base, cache_real, why, sizeof why);
  if (bad) {
    fprintf(stderr, "%s: $.root: \"%s\" %s (vsc run stays inside the directory it runs in; see --root)\n",
            plan_path, root, bad);
    return VSC_EXIT_USAGE;
  }
  char rootdir[PATH_MAX], rootreal[PATH_MAX];
  if (root[0] == '/') snprintf(rootdir, sizeof rootdir, "%s", root);
  else snprintf(rootdir, sizeof rootdir, "%.2000s/%.2000s", base, root);
  if (cli_resolve_loose(rootdir, rootreal) != 0) snprintf(rootreal, sizeof rootreal, "%s", rootdir);
  int rc = VSC_EXIT_OK;
  size_t i;
  json_t *node;
  json_array_foreach(json_object_get(ir, "nodes"), i, node) {
    const char *op = json_string_value(json_object_get(node, "op"));
    if (!op || strcmp(op, "asset") != 0) continue;
    const char *p = json_string_value(json_object_get(json_object_get(node, "params"), "path"));
    if (!p) continue; /* the validator requires it */
    bad = !*p ? "is empty" : outside(p, rootreal, base, cache_real, why, sizeof why);
    if (bad) {
      fprintf(stderr, "%s: $.nodes[%zu].params.path: \"%s\" %s (vsc run reads only files inside the project root)\n",
              plan_path, i, p, bad);
      rc = VSC_EXIT_USAGE;
    }
  }
  return rc;
}
