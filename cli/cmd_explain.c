/*
** vsc explain SCRIPT [NODE|SCENE]: why each node of the plan will run again or comes from
** the cache (Ninja's `-d explain`). This file is the command: it compiles the script as
** `vsc build` would, finds the cache, the target and its build record
** (runtime/journal/record.c), picks the nodes to show and prints them, as text or JSON.
** explain_plan.c decides what the build would do; explain_why.c says why.
** Read-only: nothing in the cache is created, deleted or touched.
*/
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cmd_run.h"
#include "explain.h"
#include "vsc/vsc.h"
#include "vsc/vsc_runtime.h"

/* Changes listed per node in the text output (the JSON lists them all). */
#define EXPLAIN_MAX_CHANGES 12
/* A changed string longer than this is shown around its first difference. */
#define EXPLAIN_SHORT_STRING 60

typedef struct {
  const char *script, *target_arg, *cache_arg, *provider, *output, *quality;
  const char *formats; /* --format: which format's file is explained (default: the first) */
  bool json, all, preview;
} xargs;

/* ---- printing --------------------------------------------------------------------- */

/* A value as JSON text; a long string that changed is cut to its difference with `other`
 * (the same string before or after), ±20 bytes around it. Caller frees. */
static char *show_value(json_t *v, json_t *other) {
  if (!v) return strdup("(none)");
  const char *s = json_string_value(v), *o = json_string_value(other);
  if (s && o && (strlen(s) > EXPLAIN_SHORT_STRING || strlen(o) > EXPLAIN_SHORT_STRING)) {
    size_t ls = strlen(s), lo = strlen(o), cp = 0, cs = 0;
    while (cp < ls && cp < lo && s[cp] == o[cp]) cp++;
    while (cs < ls - cp && cs < lo - cp && s[ls - 1 - cs] == o[lo - 1 - cs]) cs++;
    size_t from = cp > 20 ? cp - 20 : 0, to = ls - cs + 20 < ls ? ls - cs + 20 : ls;
    while (from > 0 && ((unsigned char)s[from] & 0xC0) == 0x80) from--;
    while (to < ls && ((unsigned char)s[to] & 0xC0) == 0x80) to++;
    char *cut = malloc(to - from + 8);
    snprintf(cut, to - from + 8, "%s%.*s%s", from ? "…" : "", (int)(to - from), s + from, to < ls ? "…" : "");
    json_t *js = json_string(cut);
    free(cut);
    char *text = js ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
    json_decref(js);
    if (text) return text;
  }
  return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(12));
}

/* One reason: `label` ("dirty", or "" under the first) and its text, then its changes. */
static void print_reason(const char *label, json_t *r) {
  json_t *ch = json_object_get(r, "changes");
  printf("  %-9s%s%s\n", label, cli_explain_str(r, "text"), ch ? ":" : "");
  size_t i;
  json_t *c;
  json_array_foreach(ch, i, c) {
    if (i == EXPLAIN_MAX_CHANGES) {
      printf("             ... and %zu more (--json lists them all)\n", json_array_size(ch) - i);
      break;
    }
    char *a = show_value(json_object_get(c, "old"), json_object_get(c, "new"));
    char *b = show_value(json_object_get(c, "new"), json_object_get(c, "old"));
    printf("             %s: %s -> %s\n", cli_explain_str(c, "field"), a, b);
    free(a);
    free(b);
  }
}

static void print_node(const cli_xnode *x) {
  printf("%s %.10s  %s\n", x->op, x->id, x->what);
  printf("  key      %s\n", x->key);
  if (x->state == X_CACHED) {
    const char *created = cli_explain_str(x->e.info, "created"), *prov = cli_explain_str(x->e.info, "provider");
    printf("  cached   %s\n           written %s%s%s\n", x->e.path, created ? created : "(time unknown)",
           prov ? " by " : "", prov ? prov : "");
    return;
  }
  if (x->state == X_UNNEEDED) printf("  unneeded the build skips it: every node that uses it is cached\n");
  size_t i;
  json_t *r;
  json_array_foreach(x->reasons, i, r) print_reason(i == 0 && x->state == X_RUN ? "dirty" : "", r);
}

static json_t *node_json(const cli_xnode *x) {
  json_t *pa = json_object_get(x->node, "params");
  const char *prompt = cli_explain_str(pa, "prompt") ? cli_explain_str(pa, "prompt") : cli_explain_str(pa, "text");
  bool paid = !strcmp(x->op, "generate") || !strcmp(x->op, "tts");
  json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", x->id, "op", x->op, "what", x->what, "key",
                        x->key ? x->key : "", "state", cli_explain_state_name(x->state));
  json_object_set_new(o, "scene", x->scene ? json_string(x->scene) : json_null());
  json_object_set_new(o, "model", cli_explain_str(x->node, "model") ? json_string(cli_explain_str(x->node, "model")) : json_null());
  json_object_set_new(o, "prompt", paid && prompt ? json_string(prompt) : json_null());
  json_t *obj = json_null();
  if (x->state == X_CACHED)
    obj = json_pack("{s:s, s:I, s:O, s:O}", "path", x->e.path, "size", (json_int_t)x->e.size, "created",
                    json_object_get(x->e.info, "created") ? json_object_get(x->e.info, "created") : json_null(),
                    "provider", json_object_get(x->e.info, "provider") ? json_object_get(x->e.info, "provider") : json_null());
  json_object_set_new(o, "object", obj);
  json_object_set(o, "reasons", x->reasons);
  return o;
}

/* ---- what to explain -------------------------------------------------------------- */

static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return 99;
  size_t d[65][65];
  for (size_t i = 0; i <= la; i++) d[i][0] = i;
  for (size_t j = 0; j <= lb; j++) d[0][j] = j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
      d[i][j] = best;
    }
  return d[la][lb];
}

static bool touches_scene(const cli_xnode *x, const char *scene) {
  if (x->scene) return !strcmp(x->scene, scene);
  if (!x->link[0]) return false;
  size_t n = strlen(scene);
  const char *arrow = strstr(x->link, " -> ");
  return (arrow && (size_t)(arrow - x->link) == n && !strncmp(x->link, scene, n)) ||
         (arrow && !strcmp(arrow + 4, scene));
}

/* Marks the upstream nodes that are not cached, so a node's dirty inputs follow it. */
static void mark_upstream(cli_xplan *p, size_t i, bool *pick) {
  for (size_t k = 0; k < p->n[i].nin; k++) {
    size_t j = p->n[i].in[k];
    if (pick[j] || p->n[j].state == X_CACHED) continue;
    pick[j] = true;
    mark_upstream(p, j, pick);
  }
}

/* Which nodes to print: the target's (a scene's nodes, or one node and its dirty inputs),
 * else every node that will run (all with --all). Prints the error and returns an exit
 * code for a target that names nothing. */
static int select_nodes(cli_xplan *p, const xargs *a, bool *pick) {
  if (!a->target_arg) {
    for (size_t i = 0; i < p->nn; i++) pick[i] = a->all || p->n[i].state == X_RUN;
    return VSC_EXIT_OK;
  }
  const char *t = a->target_arg;
  json_t *scenes = json_object_get(p->ir, "scenes");
  size_t i, hits = 0;
  json_t *sc;
  json_array_foreach(scenes, i, sc) {
    if (!cli_explain_str(sc, "name") || strcmp(cli_explain_str(sc, "name"), t) != 0) continue;
    for (size_t k = 0; k < p->nn; k++) pick[k] = touches_scene(&p->n[k], t);
    return VSC_EXIT_OK;
  }
  size_t tl = strlen(t), hit = 0;
  bool hex = tl >= 4 && strspn(t, "0123456789abcdef") == tl;
  for (size_t k = 0; hex && k < p->nn; k++)
    if (!strncmp(p->n[k].id, t, tl) || (p->n[k].key && !strncmp(p->n[k].key, t, tl))) hit = k, hits++;
  if (hits == 1) {
    pick[hit] = true;
    mark_upstream(p, hit, pick);
    return VSC_EXIT_OK;
  }
  if (hits > 1) {
    fprintf(stderr, "vsc: '%s' is the start of %zu node ids or keys; give more digits:", t, hits);
    for (size_t k = 0; k < p->nn; k++)
      if (!strncmp(p->n[k].id, t, tl) || (p->n[k].key && !strncmp(p->n[k].key, t, tl)))
        fprintf(stderr, " %.*s", (int)(tl + 4 < 64 ? tl + 4 : 64), !strncmp(p->n[k].id, t, tl) ? p->n[k].id : p->n[k].key);
    fprintf(stderr, "\n");
    return VSC_EXIT_USAGE;
  }
  /* A node of the last build: its successor, the current node of the same slot. */
  const char *pid = NULL, *k;
  json_t *v;
  hits = 0;
  json_object_foreach(p->prev_byid, k, v) {
    if (hex && (!strncmp(k, t, tl) || (cli_explain_str(v, "key") && !strncmp(cli_explain_str(v, "key"), t, tl)))) pid = k, hits++;
  }
  for (size_t j = 0; hits == 1 && j < p->nn; j++) {
    if (strcmp(p->n[j].slot, json_string_value(json_object_get(p->prev_slot, pid))) != 0) continue;
    fprintf(stderr, "vsc: '%s' is %s %.10s of the last build; now it is %s %.10s\n", t, p->n[j].op, pid, p->n[j].op,
            p->n[j].id);
    pick[j] = true;
    mark_upstream(p, j, pick);
    return VSC_EXIT_OK;
  }
  const char *best = NULL;
  size_t bd = 3;
  json_array_foreach(scenes, i, sc) {
    const char *name = cli_explain_str(sc, "name");
    size_t d = name ? edit_distance(t, name) : 99;
    if (d < bd) best = name, bd = d;
  }
  fprintf(stderr, "vsc: %s has no scene or node '%s'", a->script, t);
  if (best) fprintf(stderr, "; did you mean scene '%s'?\n", best);
  else {
    fprintf(stderr, " (scenes:");
    json_array_foreach(scenes, i, sc) fprintf(stderr, "%s %s", i ? "," : "", cli_explain_str(sc, "name"));
    fprintf(stderr, "; or the first digits of a node id, as 'vsc explain %s --all' lists them)\n", a->script);
  }
  return VSC_EXIT_USAGE;
}

/* ---- the command ------------------------------------------------------------------ */

static int parse_args(xargs *a, int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    int frc = cli_param_arg(argc, argv, &i);
    if (frc == 1) frc = cli_format_arg(&a->formats, argc, argv, &i);
    if (frc < 0) return -1;
    if (frc == 0) continue;
    const char *arg = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(arg, "--json")) a->json = true;
    else if (!strcmp(arg, "--all")) a->all = true;
    else if (!strcmp(arg, "--preview")) a->preview = true;
    else if (!strcmp(arg, "--cache") && next) a->cache_arg = argv[++i];
    else if ((!strcmp(arg, "-o") || !strcmp(arg, "--output")) && next) a->output = argv[++i];
    else if (!strcmp(arg, "--provider") && next &&
             (!strcmp(next, "local") || !strcmp(next, "replicate") || !strcmp(next, "auto") || !strcmp(next, "test")))
      a->provider = argv[++i];
    else if (!strcmp(arg, "--quality") && next && (!strcmp(next, "draft") || !strcmp(next, "final")))
      a->quality = argv[++i];
    else if (arg[0] == '-' && arg[1]) return -1;
    else if (!a->script) a->script = arg;
    else if (!a->target_arg) a->target_arg = arg;
    else return -1;
  }
  return a->script ? 0 : -1;
}

static bool is_plan_json(const char *path) {
  size_t n = strlen(path);
  return n > 5 && strcmp(path + n - 5, ".json") == 0;
}

/* A plan graph made by anything, read as `vsc run` reads it; its cache is <IR root>/.vsc. */
static int read_plan(cli_xplan *p, const xargs *a) {
  json_error_t je;
  p->ir = json_load_file(a->script, 0, &je);
  if (!p->ir) {
    fprintf(stderr, "%s:%d:%d: error: %s\n", a->script, je.line, je.column, je.text);
    return VSC_EXIT_CHECK;
  }
  char verr[1024];
  if (vsc_ir_validate(p->ir, verr, sizeof verr) != 0) {
    fprintf(stderr, "%s: %s\n", a->script, verr);
    return VSC_EXIT_CHECK;
  }
  const char *root = cli_explain_str(p->ir, "root");
  if (!a->cache_arg) snprintf(p->cache_dir, sizeof p->cache_dir, "%.4000s/.vsc", root && *root ? root : ".");
  return VSC_EXIT_OK;
}

/* Compiles the script as `vsc build` would (or reads a plan as `vsc run` does) and finds
 * its cache, target and record. */
static int load(cli_xplan *p, const xargs *a) {
  if (a->cache_arg) snprintf(p->cache_dir, sizeof p->cache_dir, "%s", a->cache_arg);
  else {
    const char *slash = strrchr(a->script, '/');
    if (slash) snprintf(p->cache_dir, sizeof p->cache_dir, "%.*s/.vsc", (int)(slash - a->script), a->script);
    else snprintf(p->cache_dir, sizeof p->cache_dir, ".vsc");
  }
  struct stat st;
  int rc = VSC_EXIT_OK;
  if (is_plan_json(a->script)) {
    rc = read_plan(p, a);
  } else {
    vsc_compile_options copts = VSC_COMPILE_OPTIONS_INIT;
    bool have = stat(p->cache_dir, &st) == 0 && S_ISDIR(st.st_mode);
    copts.cache_dir = have ? p->cache_dir : NULL; /* the same plan; nothing created */
    copts.preview = a->preview;
    copts.quality = a->quality;
    copts.formats = a->formats;
    rc = cli_compile(&p->ir, a->script, false, 20, &copts);
  }
  if (rc != VSC_EXIT_OK || !p->ir) return rc != VSC_EXIT_OK ? rc : VSC_EXIT_INTERNAL;
  char out[PATH_MAX];
  if (a->output) snprintf(out, sizeof out, "%s", a->output);
  else {
    cli_default_output(a->script, out, sizeof out);
    size_t n = strlen(out);
    if (a->preview && n > 4) snprintf(out + n - 4, sizeof out - (n - 4), ".preview.mp4");
  }
  if (cli_formats_named(p->ir)) {
    /* Several formats: the first one's file (its outputs are the IR's). */
    char one[PATH_MAX + 32];
    cli_format_path(out, json_string_value(json_object_get(json_array_get(json_object_get(p->ir, "formats"), 0), "suffix")),
                    one, sizeof one);
    if (strlen(one) < sizeof out) memcpy(out, one, strlen(one) + 1);
  }
  cli_build_target(out, p->target);
  p->remote = cli_remote_name(p->ir, a->provider);
  p->keys = vsc_plan_keys(p->ir, p->remote);
  char err[512];
  /* Never created here: a missing cache means nothing was built. */
  if (stat(p->cache_dir, &st) == 0 && S_ISDIR(st.st_mode) && vsc_cache_open(&p->cache, p->cache_dir, err, sizeof err) != 0)
    p->cache = NULL;
  if (p->cache) p->record = vsc_record_read(p->cache_dir, p->target);
  if (cli_explain_load_nodes(p) != 0) return VSC_EXIT_INTERNAL;
  cli_explain_index_record(p);
  return VSC_EXIT_OK;
}

/* Dollars the remote nodes that will run may cost at most (the budget's worst case). */
static double to_spend(const cli_xplan *p) {
  double sum = 0;
  for (size_t i = 0; i < p->nn; i++) {
    const char *prov = vsc_node_provider(p->n[i].node, p->remote);
    if (p->n[i].state == X_RUN && *prov && strcmp(prov, "local") != 0)
      sum += json_number_value(json_object_get(json_object_get(p->n[i].node, "cost"), "max"));
  }
  return sum;
}

static void print_header(const cli_xplan *p, size_t run, size_t cached, size_t unneeded) {
  printf("%s: %zu of %zu nodes to run, %zu cached", p->target, run, p->nn, cached);
  if (unneeded) printf(", %zu not needed", unneeded);
  printf(" (provider %s", p->remote);
  if (strcmp(p->remote, "local") != 0) printf(", up to $%.2f to spend", to_spend(p));
  printf(")\n");
  if (p->record) {
    printf("last build: %s, provider %s, recorded %s\n", cli_explain_str(p->record, "status"), cli_explain_str(p->record, "provider"),
           cli_explain_str(p->record, "recorded") ? cli_explain_str(p->record, "recorded") : "?");
    return;
  }
  printf("last build: none recorded for this target in %s\n", p->cache_dir);
  json_t *others = p->cache ? vsc_record_targets(p->cache_dir) : NULL;
  size_t i;
  json_t *t;
  json_array_foreach(others, i, t) printf("%s%s", i ? ", " : "  built from this cache: ", json_string_value(t));
  if (json_array_size(others)) printf(" (-o names the target)\n");
  json_decref(others);
}

int cmd_explain(int argc, char **argv) {
  xargs a = {0};
  if (parse_args(&a, argc, argv) != 0) return cli_usage("explain");
  cli_xplan p = {0};
  int rc = load(&p, &a);
  if (rc != VSC_EXIT_OK) {
    cli_explain_free(&p);
    return rc;
  }
  cli_explain_decide(&p);
  size_t run = 0, cached = 0, unneeded = 0;
  for (size_t i = 0; i < p.nn; i++) {
    cli_explain_why(&p, &p.n[i]);
    run += p.n[i].state == X_RUN;
    cached += p.n[i].state == X_CACHED;
    unneeded += p.n[i].state == X_UNNEEDED;
  }
  bool *pick = calloc(p.nn + 1, sizeof *pick);
  rc = select_nodes(&p, &a, pick);
  if (rc == VSC_EXIT_OK && a.json) {
    json_t *nodes = json_array();
    for (size_t i = 0; i < p.nn; i++)
      if (pick[i]) json_array_append_new(nodes, node_json(&p.n[i]));
    char rp[PATH_MAX + 64];
    vsc_record_path(p.cache_dir, p.target, rp, sizeof rp);
    json_t *last = json_null();
    if (p.record)
      last = json_pack("{s:O, s:O, s:O, s:s}", "status", json_object_get(p.record, "status"), "provider",
                       json_object_get(p.record, "provider"), "recorded", json_object_get(p.record, "recorded"), "record", rp);
    json_t *o = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:o, s:{s:I, s:I, s:I, s:I}, s:f, s:o}", "format", "vsc-explain",
                          "version", 1, "script", a.script, "target", p.target, "cache", p.cache_dir, "provider", p.remote,
                          "last_build", last, "counts", "nodes", (json_int_t)p.nn, "dirty", (json_int_t)run, "cached",
                          (json_int_t)cached, "unneeded", (json_int_t)unneeded, "to_spend", to_spend(&p), "nodes", nodes);
    char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(12)) : NULL;
    if (!text) {
      fprintf(stderr, "vsc: cannot encode the ecli_xplanation as JSON\n");
      rc = VSC_EXIT_INTERNAL;
    } else {
      printf("%s\n", text);
    }
    free(text);
    json_decref(o);
  } else if (rc == VSC_EXIT_OK) {
    print_header(&p, run, cached, unneeded);
    for (size_t i = 0; i < p.nn; i++)
      if (pick[i]) {
        printf("\n");
        print_node(&p.n[i]);
      }
    if (!a.target_arg && !a.all && cached + unneeded)
      printf("\n(%zu nodes not shown: --all lists every node)\n", cached + unneeded);
  }
  free(pick);
  cli_explain_free(&p);
  return rc;
}
