/*
** api_plan.c (studio) — what the page shows before anything is spent: the plan summary
** (scenes at their planned times, texts, voices, music, per-node model, price, cache
** state, and the scene or, for a transition, the two scenes it joins), the model registry
** and the ledger.
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "studio.h"
#include "vsc/vsc.h"
#include "vsc/vsc_runtime.h"

void studio_cache_dir_of(const char *abs_script, char *out, size_t len) {
  const char *slash = strrchr(abs_script, '/');
  snprintf(out, len, "%.*s/.vsc", (int)(slash ? slash - abs_script : 0), abs_script);
}

static const char *str(const json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

static const json_t *node_by_id(const json_t *nodes, const char *id) {
  size_t i;
  json_t *n;
  json_array_foreach(nodes, i, n)
    if (id && strcmp(str(n, "id"), id) == 0) return n;
  return NULL;
}

/* "ad.vscript:23:3" -> line 23 (0 when absent). */
static int src_line(const json_t *o) {
  const char *s = str(o, "src");
  const char *colon = s ? strchr(s, ':') : NULL;
  return colon ? atoi(colon + 1) : 0;
}

/* Texts of a scene: its body segment's overlays (times relative to the scene). */
static json_t *scene_texts(const json_t *nodes, const char *scene) {
  json_t *out = json_array();
  size_t i;
  json_t *n;
  json_array_foreach(nodes, i, n) {
    const json_t *p = json_object_get(n, "params");
    if (strcmp(str(n, "op"), "segment") || !str(n, "scene") || strcmp(str(n, "scene"), scene) ||
        strcmp(str(p, "kind") ? str(p, "kind") : "", "body"))
      continue;
    size_t k;
    json_t *t;
    json_array_foreach(json_object_get(json_object_get(p, "a"), "texts"), k, t)
      json_array_append_new(out, json_pack("{s:O?, s:O?, s:O?}", "text", json_object_get(t, "text"),
                                           "start", json_object_get(t, "start"), "end",
                                           json_object_get(t, "end")));
  }
  return out;
}

/* The shot of a scene: its first generate node's kind and prompt. */
static void scene_shot(const json_t *nodes, const char *scene, json_t *sc) {
  size_t i;
  json_t *n;
  json_array_foreach(nodes, i, n) {
    if (strcmp(str(n, "op"), "generate") || !str(n, "scene") || strcmp(str(n, "scene"), scene)) continue;
    const json_t *p = json_object_get(n, "params");
    json_object_set_new(sc, "kind", json_string(str(p, "kind") ? str(p, "kind") : "video"));
    json_object_set_new(sc, "prompt", json_string(str(p, "prompt") ? str(p, "prompt") : ""));
    json_object_set(sc, "seed", json_object_get(p, "seed"));
    return;
  }
}

json_t *studio_plan_summary(const studio *st, const json_t *ir, const char *cache_dir,
                            const char *provider) {
  (void)st;
  const json_t *video = json_object_get(ir, "video");
  const json_t *nodes = json_object_get(ir, "nodes");
  const char *remote = vsc_provider_resolve(provider && *provider && strcmp(provider, "auto")
                                                ? provider
                                                : str(video, "provider"));
  json_t *keys = vsc_plan_keys(ir, remote);
  vsc_cache *cache = NULL;
  struct stat sb;
  char err[256];
  if (stat(cache_dir, &sb) == 0 && S_ISDIR(sb.st_mode)) vsc_cache_open(&cache, cache_dir, err, sizeof err);

  json_t *out_nodes = json_array();
  double to_spend = 0;
  size_t i;
  json_t *n;
  json_array_foreach(nodes, i, n) {
    const char *op = str(n, "op");
    const char *key = json_string_value(json_array_get(keys, i));
    vsc_cache_entry e = {0};
    bool cached = cache && key && vsc_cache_peek(cache, key, &e) == 1;
    vsc_cache_entry_clear(&e);
    double est = json_number_value(json_object_get(json_object_get(n, "cost"), "estimate"));
    const char *prov = vsc_node_provider(n, remote);
    bool paid = *prov && strcmp(prov, "local") != 0;
    if (paid && !cached) to_spend += est;
    json_t *o = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:f, s:b, s:s, s:i}", "id", str(n, "id"),
                          "op", op, "scene", str(n, "scene"), "model", str(n, "model"), "key", key,
                          "estimate", paid ? est : 0.0, "cached", cached, "provider", prov,
                          "line", src_line(n));
    const char *kind = str(json_object_get(n, "params"), "kind");
    if (kind) json_object_set_new(o, "kind", json_string(kind));
    /* A transition segment has no scene: it names the two it joins, [outgoing, incoming]. */
    json_t *between = json_object_get(n, "between");
    if (json_array_size(between) == 2) json_object_set(o, "between", between);
    json_array_append_new(out_nodes, o);
  }

  json_t *scenes = json_array();
  json_t *sc;
  json_array_foreach(json_object_get(ir, "scenes"), i, sc) {
    json_t *s = json_deep_copy(sc);
    const char *name = str(sc, "name");
    json_object_set_new(s, "line", json_integer(src_line(sc)));
    json_object_set_new(s, "texts", scene_texts(nodes, name));
    scene_shot(nodes, name, s);
    bool any = false, all = true;
    size_t k;
    json_t *on;
    json_array_foreach(out_nodes, k, on) {
      const char *osc = str(on, "scene"), *op = str(on, "op");
      if (!osc || strcmp(osc, name) || (strcmp(op, "generate") && strcmp(op, "tts"))) continue;
      any = true;
      all = all && json_is_true(json_object_get(on, "cached"));
    }
    json_object_set_new(s, "cached", json_boolean(any && all));
    if (!any) json_object_set_new(s, "estimated_cost", json_real(0));
    json_array_append_new(scenes, s);
  }

  /* Voices and music come from the audio node: inputs are [music?, voices...]. */
  json_t *voices = json_array(), *music = json_null();
  json_array_foreach(nodes, i, n) {
    if (strcmp(str(n, "op"), "audio")) continue;
    const json_t *p = json_object_get(n, "params"), *inputs = json_object_get(n, "inputs");
    size_t k;
    json_t *v;
    json_array_foreach(json_object_get(p, "voices"), k, v) {
      const json_t *tts = node_by_id(nodes, json_string_value(json_array_get(
                                                inputs, (size_t)json_integer_value(json_object_get(v, "input")))));
      json_array_append_new(voices, json_pack("{s:O?, s:s?}", "at", json_object_get(v, "at"), "text",
                                              tts ? str(json_object_get(tts, "params"), "text") : NULL));
    }
    const json_t *m = json_object_get(p, "music");
    if (m) {
      size_t idx = (size_t)json_integer_value(json_object_get(m, "input"));
      const char *mid = json_string_value(json_array_get(inputs, idx));
      size_t j;
      json_t *mn;
      json_decref(music);
      music = json_pack("{s:O?, s:O?, s:n}", "start", json_object_get(m, "start"), "volume",
                        json_object_get(m, "volume"), "key");
      json_array_foreach(nodes, j, mn) {
        if (mid && strcmp(str(mn, "id"), mid) == 0) {
          json_object_set(music, "key", json_array_get(keys, j));
          json_object_set_new(music, "op", json_string(str(mn, "op")));
          const char *path = str(json_object_get(mn, "params"), "path");
          if (path) json_object_set_new(music, "path", json_string(path));
        }
      }
    }
  }
  json_t *o = json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:f, s:s}",
                        "title", json_object_get(video, "title"), "length",
                        json_object_get(video, "length"), "width", json_object_get(video, "width"),
                        "height", json_object_get(video, "height"), "fps",
                        json_object_get(video, "fps"), "budget", json_object_get(video, "budget"),
                        "tempo", json_object_get(video, "tempo"), "meter",
                        json_object_get(video, "meter"), "quality", json_object_get(video, "quality"),
                        "estimated_cost", json_object_get(ir, "estimated_cost"), "to_spend",
                        to_spend, "provider", remote);
  json_object_set_new(o, "scenes", scenes);
  json_object_set_new(o, "voices", voices);
  json_object_set_new(o, "music", music);
  json_object_set_new(o, "nodes", out_nodes);
  json_decref(keys);
  if (cache) vsc_cache_close(cache);
  return o;
}

json_t *studio_compile_ir(studio *st, const char *abs, const char *text, size_t len,
                          bool preview, json_t **out_diags) {
  char cache[PATH_MAX];
  studio_cache_dir_of(abs, cache, sizeof cache);
  vsc_compile_options opts = VSC_COMPILE_OPTIONS_INIT;
  opts.cache_dir = cache;
  opts.preview = preview;
  json_t *ir = NULL;
  pthread_mutex_lock(&st->compile_lock);
  vsc_diag_list *diags = vsc_diag_list_new(20);
  int rc = text ? vsc_compile_source(&ir, abs, text, len, &opts, diags)
                : vsc_compile_file(&ir, abs, &opts, diags);
  *out_diags = studio_diags_json(st, diags);
  vsc_diag_list_free(diags);
  pthread_mutex_unlock(&st->compile_lock);
  if (rc != 0) {
    json_decref(ir);
    return NULL;
  }
  return ir;
}

json_t *studio_compile_and_plan(studio *st, const char *abs, const char *text, size_t len,
                                const char *provider, bool preview) {
  json_t *diags = NULL;
  json_t *ir = studio_compile_ir(st, abs, text, len, preview, &diags);
  int errors = 0, warnings = 0;
  size_t i;
  json_t *d;
  json_array_foreach(diags, i, d) {
    const char *sev = str(d, "severity");
    if (sev && strcmp(sev, "error") == 0) errors++;
    else if (sev && strcmp(sev, "warning") == 0) warnings++;
  }
  json_t *plan = json_null();
  if (ir) {
    char cache[PATH_MAX];
    studio_cache_dir_of(abs, cache, sizeof cache);
    json_decref(plan);
    plan = studio_plan_summary(st, ir, cache, provider);
    json_decref(ir);
  }
  return json_pack("{s:o, s:i, s:i, s:o}", "diagnostics", diags, "errors", errors, "warnings",
                   warnings, "plan", plan);
}

enum MHD_Result studio_api_plan(studio *st, struct MHD_Connection *c, const char *url,
                                const studio_req *req) {
  (void)url, (void)req;
  char abs[PATH_MAX], why[512];
  if (studio_path_resolve(st, studio_arg(c, "path"), true, abs, sizeof abs, why, sizeof why) != 0)
    return studio_reply_error(st, c, 403, "%s", why);
  const char *preview = studio_arg(c, "preview");
  return studio_reply_json(st, c, 200,
                           studio_compile_and_plan(st, abs, NULL, 0, studio_arg(c, "provider"),
                                                   preview && strcmp(preview, "1") == 0));
}

enum MHD_Result studio_api_models(studio *st, struct MHD_Connection *c, const char *url,
                                  const studio_req *req) {
  (void)url, (void)req;
  const char *rel = studio_arg(c, "path");
  char abs[PATH_MAX], why[512];
  if (rel && studio_path_resolve(st, rel, true, abs, sizeof abs, why, sizeof why) != 0)
    return studio_reply_error(st, c, 403, "%s", why);
  pthread_mutex_lock(&st->compile_lock);
  vsc_diag_list *diags = vsc_diag_list_new(20);
  json_t *models = vsc_models_json(rel ? abs : NULL, diags);
  if (!models) models = vsc_models_json(NULL, diags); /* a broken script: the stdlib's */
  vsc_diag_list_free(diags);
  pthread_mutex_unlock(&st->compile_lock);
  if (!models) return studio_reply_error(st, c, 500, "the model registry could not be read");
  return studio_reply_json(st, c, 200, json_pack("{s:o}", "models", models));
}

enum MHD_Result studio_api_ledger(studio *st, struct MHD_Connection *c, const char *url,
                                  const studio_req *req) {
  (void)url, (void)req;
  char abs[PATH_MAX], why[512], cache[PATH_MAX], journal[PATH_MAX + 16];
  if (studio_path_resolve(st, studio_arg(c, "path"), false, abs, sizeof abs, why, sizeof why) != 0)
    return studio_reply_error(st, c, 403, "%s", why);
  studio_cache_dir_of(abs, cache, sizeof cache);
  snprintf(journal, sizeof journal, "%s/journal.jsonl", cache);
  json_t *records = NULL;
  if (vsc_journal_read(&records, journal, why, sizeof why) != 0)
    return studio_reply_error(st, c, 500, "%s", why);
  json_t *ledger = vsc_ledger_build(records);
  json_decref(records);
  return studio_reply_json(st, c, 200, ledger);
}
