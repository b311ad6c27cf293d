/* vsc plan FILE: the timeline, models and money, before anything is spent. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "batch.h"
#include "cli.h"
#include "cmd_run.h"
#include "review.h"
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
  if (json_object_get(ir, "sound")) json_object_set_new(o, "sound", json_deep_copy(json_object_get(ir, "sound")));
  if (json_object_get(video, "deliver")) json_object_set_new(o, "deliver", json_deep_copy(json_object_get(video, "deliver")));
  return o;
}

/* The paid nodes of no scene (the music bed, video-level voice-over) make one row of the
 * plan, so that its rows add up to the total: ir.sound {cost, models, status}. */
static void sound_row(json_t *ir, const json_t *node, double cost, bool cached) {
  json_t *row = json_object_get(ir, "sound");
  if (!row) {
    row = json_pack("{s:f, s:[], s:s}", "estimated_cost", 0.0, "models", "status", "cached");
    json_object_set_new(ir, "sound", row);
  }
  json_object_set_new(row, "estimated_cost", json_real(num(row, "estimated_cost") + cost));
  const char *m = json_string_value(json_object_get(json_object_get(node, "call"), "model"));
  json_t *models = json_object_get(row, "models");
  bool seen = false;
  size_t i;
  json_t *x;
  json_array_foreach(models, i, x) seen = seen || (m && !strcmp(json_string_value(x), m));
  if (m && !seen) json_array_append_new(models, json_string(m));
  if (!cached) json_object_set_new(row, "status", json_string("generate"));
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
    if (paid && !json_is_string(scene_name)) sound_row(ir, node, cost, cached);
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
  printf("  shared by the formats: $%.3f\n  all formats: $%.3f\n", num(ir, "shared_cost"), num(ir, "estimated_cost"));
}

/* "$0.050": costs to a tenth of a cent, so the rows visibly add up to the total. */
static const char *money(double v) {
  static char buf[4][32];
  static int k;
  char *b = buf[k++ % 4];
  snprintf(b, sizeof buf[0], "$%.3f", v);
  return b;
}

/* The plan as a table whose columns fit their contents: a row per scene, one for the music
 * and video-level voice-over, and a total that is their sum. The bar column only when the
 * video has a tempo. */
static void print_table(json_t *ir) {
  json_t *video = json_object_get(ir, "video"), *scenes = json_object_get(ir, "scenes"), *sound = json_object_get(ir, "sound");
  bool tempo = json_object_get(video, "tempo") != NULL;
  printf("%s\n%dx%d, %d fps, %gs", json_string_value(json_object_get(video, "title")),
         (int)json_integer_value(json_object_get(video, "width")), (int)json_integer_value(json_object_get(video, "height")),
         (int)json_integer_value(json_object_get(video, "fps")), num(video, "length"));
  if (tempo) printf(", %g bpm, %d beats a bar", num(video, "tempo"), (int)json_integer_value(json_object_get(video, "meter")));
  char dline[400];
  cli_deliver_line(ir, dline, sizeof dline);
  printf("\ndeliver %s", dline);
  int wname = 5, wbar = 3, wmodel = 5;
  size_t i;
  json_t *sc;
  json_array_foreach(scenes, i, sc) {
    const char *name = json_string_value(json_object_get(sc, "name")), *bar = json_string_value(json_object_get(sc, "bar"));
    const char *model = json_string_value(json_object_get(sc, "model"));
    if ((int)strlen(name) > wname) wname = (int)strlen(name);
    if (bar && (int)strlen(bar) > wbar) wbar = (int)strlen(bar);
    if (model && (int)strlen(model) > wmodel) wmodel = (int)strlen(model);
  }
  char sound_models[300] = "";
  json_t *m;
  json_array_foreach(json_object_get(sound, "models"), i, m) {
    size_t used = strlen(sound_models);
    snprintf(sound_models + used, sizeof sound_models - used, "%s%s", used ? ", " : "", json_string_value(m));
  }
  const char *sound_name = "music & voice-over";
  if (sound && (int)strlen(sound_name) > wname) wname = (int)strlen(sound_name);
  if ((int)strlen(sound_models) > wmodel) wmodel = (int)strlen(sound_models);
  printf("\n\n%-*s %9s %9s", wname, "scene", "start", "duration");
  if (tempo) printf("  %-*s", wbar, "bar");
  printf("  %-*s  %8s  %s\n", wmodel, "model", "cost", "status");
  double sum = 0;
  json_array_foreach(scenes, i, sc) {
    json_t *model = json_object_get(sc, "model");
    double cost = num(sc, "estimated_cost");
    sum += cost;
    printf("%-*s %8.3fs %8.3fs", wname, json_string_value(json_object_get(sc, "name")), num(sc, "start"), num(sc, "duration"));
    if (tempo) printf("  %-*s", wbar, json_object_get(sc, "bar") ? json_string_value(json_object_get(sc, "bar")) : "-");
    printf("  %-*s  %8s  %s", wmodel, json_is_string(model) ? json_string_value(model) : "-", money(cost),
           json_string_value(json_object_get(sc, "status")));
    if (json_object_get(sc, "snap")) {
      const char *why = json_string_value(json_object_get(sc, "snap_reason"));
      printf("  (moved %+.3fs to %s)", num(sc, "snap"), why ? why : "the beat");
    }
    printf("\n");
  }
  if (sound) {
    double cost = num(sound, "estimated_cost");
    sum += cost;
    printf("%-*s %9s %9s", wname, sound_name, "", "");
    if (tempo) printf("  %-*s", wbar, "");
    printf("  %-*s  %8s  %s\n", wmodel, sound_models, money(cost), json_string_value(json_object_get(sound, "status")));
  }
  int rule = wname + 20 + (tempo ? wbar + 2 : 0) + 2 + wmodel + 2;
  printf("%*s%s\n%-*s%8s", rule, "", "--------", rule, "total", money(sum));
  json_t *budget = json_object_get(video, "budget");
  if (json_is_number(budget)) printf(" of a $%.2f budget", json_number_value(budget));
  printf("\n");
  const char *prov = json_string_value(json_object_get(ir, "provider"));
  if (strcmp(prov, "local") == 0) printf("\nprovider local: this run spends $0.00\n");
  else printf("\nprovider %s: this run would spend $%.3f (cached scenes cost nothing)\n", prov, num(ir, "to_spend"));
}

int cmd_plan(int argc, char **argv) {
  /* vsc plan --batch SCRIPT --data FILE: the whole batch's price (batch_plan.c) */
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--batch") == 0) {
      bool json = false;
      char **rest = calloc((size_t)argc + 1, sizeof *rest);
      int n = 0;
      for (int k = 0; k < argc; k++)
        if (k != i && strcmp(argv[k], "--json") != 0) rest[n++] = argv[k];
        else if (k != i) json = true;
      batch_opts o;
      int rc = batch_parse(&o, n, rest, 1) == 0 ? batch_plan(&o, json) : cli_usage("plan");
      free(rest);
      return rc;
    }
  const char *path = NULL;
  const char *cache = NULL, *provider = NULL, *formats = NULL;
  bool json = false;
  cli_review review = {0};
  for (int i = 1; i < argc; i++) {
    int frc = cli_param_arg(argc, argv, &i);
    if (frc == 1) frc = cli_format_arg(&formats, argc, argv, &i);
    if (frc < 0) return cli_usage("plan");
    if (frc == 0) continue;
    int rr = cli_review_parse(&review, argc, argv, &i, false);
    if (rr < 0) return cli_usage("plan");
    if (rr == 0) continue;
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
  if (cli_review_part(&review) &&
      ((rc = cli_formats_one(ir)) != VSC_EXIT_OK || (rc = cli_review_subset(&ir, &review, path)) != VSC_EXIT_OK)) {
    json_decref(ir);
    return rc;
  }
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
    print_table(ir);
    print_formats(ir, path);
    if (json_array_size(models)) printf("\nmodels (with fallbacks):\n");
    size_t i;
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
