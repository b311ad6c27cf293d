/* vsc plan FILE: the timeline, models and money, before anything is spent. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "cli.h"
#include "cmd_run.h"
#include "vsc/vsc_runtime.h"
#include "vsc/vsc_ops.h"

static double num(json_t *o, const char *k) { return json_number_value(json_object_get(o, k)); }

static json_t *plan_json(json_t *ir) {
  json_t *video = json_object_get(ir, "video");
  json_t *o = json_object();
  json_object_set_new(o, "title", json_deep_copy(json_object_get(video, "title")));
  json_object_set_new(o, "length", json_real(num(video, "length")));
  json_object_set_new(o, "width", json_deep_copy(json_object_get(video, "width")));
  json_object_set_new(o, "height", json_deep_copy(json_object_get(video, "height")));
  json_object_set_new(o, "fps", json_deep_copy(json_object_get(video, "fps")));
  json_object_set_new(o, "budget", json_deep_copy(json_object_get(video, "budget")));
  json_object_set_new(o, "estimated_cost", json_real(num(ir, "estimated_cost")));
  json_object_set_new(o, "scenes", json_deep_copy(json_object_get(ir, "scenes")));
  if (json_object_get(video, "tempo")) json_object_set_new(o, "tempo", json_deep_copy(json_object_get(video, "tempo")));
  json_t *formats = json_array();
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(ir, "formats"), i, f) {
    json_array_append_new(formats, json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "name", json_object_get(f, "name"), "suffix",
                                             json_object_get(f, "suffix"), "width", json_object_get(f, "width"), "height",
                                             json_object_get(f, "height"), "estimated_cost", json_object_get(f, "estimated_cost"),
                                             "extra_cost", json_object_get(f, "extra_cost")));
  }
  if (json_array_size(formats)) {
    json_object_set_new(o, "formats", formats);
    json_object_set_new(o, "shared_cost", json_real(num(ir, "shared_cost")));
  } else {
    json_decref(formats);
  }
  return o;
}

/* Marks every scene cached or to generate, from the cache next to the script (never
 * creating it), and returns what the run would spend. */
static double mark_cached(json_t *ir, const char *script, const char *cache_arg, const char *provider) {
  char dir[4096];
  if (cache_arg) snprintf(dir, sizeof dir, "%s", cache_arg);
  else {
    const char *slash = strrchr(script, '/');
    if (slash) snprintf(dir, sizeof dir, "%.*s/.vsc", (int)(slash - script), script);
    else snprintf(dir, sizeof dir, ".vsc");
  }
  struct stat st;
  vsc_cache *cache = NULL;
  char err[256];
  if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) vsc_cache_open(&cache, dir, err, sizeof err);
  const char *remote = vsc_provider_resolve(provider ? provider : json_string_value(json_object_get(json_object_get(ir, "video"), "provider")));
  json_t *keys = vsc_plan_keys(ir, remote);
  json_t *scenes = json_object_get(ir, "scenes");
  double to_spend = 0;
  size_t i;
  json_t *node;
  json_array_foreach(json_object_get(ir, "nodes"), i, node) {
    const char *op = json_string_value(json_object_get(node, "op"));
    bool paid = vsc_ops_is_provider(op);
    vsc_cache_entry e = {0};
    bool cached = cache && vsc_cache_peek(cache, json_string_value(json_array_get(keys, i)), &e) == 1;
    vsc_cache_entry_clear(&e);
    json_object_set_new(node, "cached", json_boolean(cached));
    double cost = json_number_value(json_object_get(json_object_get(node, "cost"), "estimate"));
    if (paid && !cached && strcmp(remote, "local") != 0) to_spend += cost;
    json_t *scene_name = json_object_get(node, "scene");
    if (!paid || !json_is_string(scene_name)) continue;
    size_t k;
    json_t *sc;
    json_array_foreach(scenes, k, sc) {
      if (!json_equal(json_object_get(sc, "name"), scene_name)) continue;
      json_t *st_old = json_object_get(sc, "status");
      if (!cached || !st_old) json_object_set_new(sc, "status", json_string(cached ? "cached" : "generate"));
    }
  }
  size_t k;
  json_t *sc;
  json_array_foreach(scenes, k, sc)
    if (!json_object_get(sc, "status")) json_object_set_new(sc, "status", json_string("render"));
  json_object_set_new(ir, "to_spend", json_real(to_spend));
  json_object_set_new(ir, "provider", json_string(remote));
  json_decref(keys);
  if (cache) vsc_cache_close(cache);
  return to_spend;
}

/* Every model the plan may call (fallbacks too), with the version it runs: pinned by the lock
 * or the registry, or floating (the provider runs its latest). A new reference. */
static json_t *plan_models(const json_t *ir) {
  json_t *seen = json_object(), *out = json_array();
  size_t i, k;
  json_t *node, *call;
  json_array_foreach(json_object_get(ir, "nodes"), i, node) {
    json_t *calls = json_array();
    if (json_object_get(node, "call")) json_array_append(calls, json_object_get(node, "call"));
    if (json_is_array(json_object_get(node, "fallbacks"))) json_array_extend(calls, json_object_get(node, "fallbacks"));
    json_array_foreach(calls, k, call) {
      const char *m = json_string_value(json_object_get(call, "model"));
      if (!m || json_object_get(seen, m)) continue;
      json_object_set_new(seen, m, json_true());
      json_t *v = json_object_get(call, "version");
      json_array_append_new(out, json_pack("{s:s, s:O, s:b}", "model", m, "version", v ? v : json_null(),
                                           "pinned", json_is_string(v)));
    }
    json_decref(calls);
  }
  json_decref(seen);
  return out;
}

/* Each format: its frame, its file, what it costs alone and beyond the shared work. */
static void print_formats(json_t *ir, const char *script) {
  json_t *formats = json_object_get(ir, "formats");
  if (!json_array_size(formats)) return;
  printf("\nformats (the scenes above are the first; shared work is priced once):\n");
  char out[4096];
  cli_default_output(script, out, sizeof out);
  const char *dot = strrchr(out, '.');
  int stem = dot ? (int)(dot - out) : (int)strlen(out);
  size_t i;
  json_t *f;
  json_array_foreach(formats, i, f) {
    char size[32];
    snprintf(size, sizeof size, "%dx%d", (int)json_integer_value(json_object_get(f, "width")),
             (int)json_integer_value(json_object_get(f, "height")));
    printf("  %-6s %-10s %.*s%s.mp4  $%.3f alone, $%.3f its own\n", json_string_value(json_object_get(f, "name")), size, stem, out,
           json_string_value(json_object_get(f, "suffix")), num(f, "estimated_cost"), num(f, "extra_cost"));
  }
  printf("  shared by the formats: $%.3f\n", num(ir, "shared_cost"));
}

int cmd_plan(int argc, char **argv) {
  const char *path = NULL;
  const char *cache = NULL, *provider = NULL, *formats = NULL;
  bool json = false;
  for (int i = 1; i < argc; i++) {
    int frc = cli_format_arg(&formats, argc, argv, &i);
    if (frc < 0) return cli_usage("plan");
    if (frc == 0) continue;
    if (strcmp(argv[i], "--json") == 0) json = true;
    else if (strcmp(argv[i], "--cache") == 0 && i + 1 < argc) cache = argv[++i];
    else if (strcmp(argv[i], "--provider") == 0 && i + 1 < argc) provider = argv[++i];
    else if (argv[i][0] == '-' && argv[i][1]) return cli_usage("plan");
    else if (!path) path = argv[i];
    else return cli_usage("plan");
  }
  if (!path) return cli_usage("plan");
  json_t *ir = NULL;
  vsc_compile_options opts = VSC_COMPILE_OPTIONS_INIT;
  opts.formats = formats;
  int rc = cli_compile(&ir, path, false, 20, &opts);
  if (rc != VSC_EXIT_OK) return rc;
  double to_spend = mark_cached(ir, path, cache, provider);
  json_t *plan = plan_json(ir);
  json_object_set_new(plan, "to_spend", json_real(to_spend));
  json_object_set_new(plan, "provider", json_deep_copy(json_object_get(ir, "provider")));
  json_t *models = plan_models(ir);
  json_object_set(plan, "models", models);
  if (json) {
    char *text = json_dumps(plan, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(12));
    printf("%s\n", text);
    free(text);
  } else {
    json_t *video = json_object_get(ir, "video");
    printf("%s\n%dx%d, %d fps, %gs", json_string_value(json_object_get(video, "title")),
           (int)json_integer_value(json_object_get(video, "width")), (int)json_integer_value(json_object_get(video, "height")),
           (int)json_integer_value(json_object_get(video, "fps")), num(video, "length"));
    if (json_object_get(video, "tempo")) printf(", %g bpm", num(video, "tempo"));
    printf("\n\n%-16s %9s %9s %6s  %-36s %9s  %s\n", "scene", "start", "duration", "bar", "model", "cost", "status");
    size_t i;
    json_t *sc;
    json_array_foreach(json_object_get(ir, "scenes"), i, sc) {
      json_t *model = json_object_get(sc, "model"), *bar = json_object_get(sc, "bar");
      printf("%-16s %8.3fs %8.3fs %6s  %-36s $%8.3f  %s", json_string_value(json_object_get(sc, "name")), num(sc, "start"),
             num(sc, "duration"), bar ? json_string_value(bar) : "-", model && json_is_string(model) ? json_string_value(model) : "-",
             num(sc, "estimated_cost"), json_string_value(json_object_get(sc, "status")));
      if (json_object_get(sc, "snap")) {
        const char *why = json_string_value(json_object_get(sc, "snap_reason"));
        printf("  (moved %+.3fs to %s)", num(sc, "snap"), why ? why : "the beat");
      }
      printf("\n");
    }
    print_formats(ir, path);
    json_t *budget = json_object_get(video, "budget");
    printf("\nestimated cost $%.2f", num(ir, "estimated_cost"));
    if (json_is_number(budget)) printf(" of a $%.2f budget", json_number_value(budget));
    const char *prov = json_string_value(json_object_get(ir, "provider"));
    if (strcmp(prov, "local") == 0) printf("; provider local: this run spends $0.00\n");
    else printf("; provider %s: this run would spend $%.2f (cached scenes cost nothing)\n", prov, to_spend);
    if (json_array_size(models)) printf("\nmodels (with fallbacks):\n");
    json_t *m;
    json_array_foreach(models, i, m) {
      const char *v = json_string_value(json_object_get(m, "version"));
      if (v) printf("  %-36s pinned at %.12s\n", json_string_value(json_object_get(m, "model")), v);
      else printf("  %-36s floating: runs the latest version ('vsc models pull' pins it)\n",
                  json_string_value(json_object_get(m, "model")));
    }
  }
  json_decref(models);
  json_decref(plan);
  json_decref(ir);
  return VSC_EXIT_OK;
}
