/*
** models.c — the model fixtures of mock-replicate: loading (--models FILE), the JSON of
** models.get / versions, input validation against the Cog Input schema, the output plan
** and the price rules.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

static char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static const char *str_or(json_t *obj, const char *key, const char *dflt) {
  const char *s = json_string_value(json_object_get(obj, key));
  return s ? s : dflt;
}

int mock_models_load(const char *path, char *err, size_t errlen) {
  json_error_t je;
  json_t *root = json_load_file(path, 0, &je);
  if (!root) {
    snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
    return -1;
  }
  json_t *arr = json_object_get(root, "models");
  if (!json_is_array(arr) || json_array_size(arr) == 0) {
    snprintf(err, errlen, "%s: expected a non-empty \"models\" array", path);
    json_decref(root);
    return -1;
  }
  size_t n = json_array_size(arr);
  g_mock.models = calloc(n, sizeof *g_mock.models);
  if (!g_mock.models) {
    json_decref(root);
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    json_t *f = json_array_get(arr, i);
    const char *owner = str_or(f, "owner", NULL), *name = str_or(f, "name", NULL);
    json_t *schema = json_object_get(f, "openapi_schema");
    const char *kind = json_string_value(json_object_get(json_object_get(f, "output"), "kind"));
    if (!owner || !name || !json_is_object(schema) || !kind ||
        (strcmp(kind, "video") && strcmp(kind, "image") && strcmp(kind, "audio") &&
         strcmp(kind, "text"))) {
      snprintf(err, errlen, "%s: models[%zu]: needs owner, name, openapi_schema and "
                            "output.kind (video|image|audio|text)",
               path, i);
      json_decref(root);
      return -1;
    }
    mock_model *m = &g_mock.models[i];
    m->owner = xstrdup(owner);
    m->name = xstrdup(name);
    size_t fl = strlen(owner) + strlen(name) + 2;
    m->full = malloc(fl);
    snprintf(m->full, fl, "%s/%s", owner, name);
    m->official = json_is_true(json_object_get(f, "official"));
    m->fixture = json_incref(f);
    /* A full OpenAPI document around the fixture's components, as Cog publishes it. */
    m->schema = json_pack("{s:s, s:{s:s, s:s}, s:{}, s:O}", "openapi", "3.0.2", "info", "title",
                          "Cog", "version", "0.1.0", "paths", "components",
                          json_object_get(schema, "components"));
    json_t *vers = json_object_get(f, "versions");
    if (json_is_array(vers) && json_array_size(vers) > 0) {
      m->versions = json_deep_copy(vers);
    } else {
      /* Official models still have one (hidden) version; derive a stable id. */
      char vid[65], seedtxt[400];
      snprintf(seedtxt, sizeof seedtxt, "%s:v1", m->full);
      mock_sha256_hex(seedtxt, strlen(seedtxt), vid);
      m->versions = json_pack("[{s:s, s:s, s:s}]", "id", vid, "created_at",
                              "2025-06-01T00:00:00.000000Z", "cog_version", "0.14.0");
    }
  }
  g_mock.nmodels = (int)n;
  json_t *deps = json_object_get(root, "deployments");
  size_t nd = json_array_size(deps);
  g_mock.deployments = calloc(nd ? nd : 1, sizeof *g_mock.deployments);
  for (size_t i = 0; i < nd && g_mock.deployments; i++) {
    json_t *d = json_array_get(deps, i);
    mock_deployment *x = &g_mock.deployments[i];
    const char *owner = str_or(d, "owner", NULL), *name = str_or(d, "name", NULL);
    const char *model = str_or(d, "model", "");
    x->model = mock_model_find(model);
    if (!owner || !name || !x->model) {
      snprintf(err, errlen, "%s: deployments[%zu]: needs owner, name and a known model", path, i);
      json_decref(root);
      return -1;
    }
    snprintf(x->owner, sizeof x->owner, "%s", owner);
    snprintf(x->name, sizeof x->name, "%s", name);
    snprintf(x->full, sizeof x->full, "%s/%s", owner, name);
    snprintf(x->version, sizeof x->version, "%s",
             str_or(d, "version", mock_model_latest_version(x->model)));
    snprintf(x->hardware, sizeof x->hardware, "%s", str_or(d, "hardware", "gpu-l40s"));
    x->min_instances = (int)json_integer_value(json_object_get(d, "min_instances"));
    x->max_instances = json_object_get(d, "max_instances")
                         ? (int)json_integer_value(json_object_get(d, "max_instances"))
                         : 1;
  }
  g_mock.ndeployments = (int)nd;
  json_decref(root);
  return 0;
}

mock_deployment *mock_deployment_find(const char *owner_name) {
  for (int i = 0; i < g_mock.ndeployments; i++)
    if (!strcmp(g_mock.deployments[i].full, owner_name)) return &g_mock.deployments[i];
  return NULL;
}

json_t *mock_deployment_json(const mock_deployment *d) {
  return json_pack("{s:s, s:s, s:{s:i, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:i, s:i}}}",
                   "owner", d->owner, "name", d->name, "current_release", "number", 1, "model",
                   d->model->full, "version", d->version, "created_at",
                   "2025-06-01T00:00:00.000000Z", "created_by", "type", "organization",
                   "username", d->owner, "configuration", "hardware", d->hardware,
                   "min_instances", d->min_instances, "max_instances", d->max_instances);
}

mock_model *mock_model_find(const char *owner_name) {
  for (int i = 0; i < g_mock.nmodels; i++)
    if (strcmp(g_mock.models[i].full, owner_name) == 0) return &g_mock.models[i];
  return NULL;
}

/* Accepts "64hex" or "owner/name:64hex". */
mock_model *mock_model_by_version(const char *version, const char **vid_out) {
  const char *colon = strchr(version, ':');
  const char *vid = colon ? colon + 1 : version;
  for (int i = 0; i < g_mock.nmodels; i++) {
    mock_model *m = &g_mock.models[i];
    if (colon && (strncmp(version, m->full, (size_t)(colon - version)) != 0 ||
                  m->full[colon - version] != 0))
      continue;
    size_t j;
    json_t *v;
    json_array_foreach(m->versions, j, v) {
      if (strcmp(str_or(v, "id", ""), vid) == 0) {
        *vid_out = str_or(v, "id", "");
        return m;
      }
    }
  }
  return NULL;
}

const char *mock_model_latest_version(const mock_model *m) {
  return str_or(json_array_get(m->versions, 0), "id", "");
}

json_t *mock_version_json(const mock_model *m, const char *vid) {
  size_t j;
  json_t *v;
  json_array_foreach(m->versions, j, v) {
    if (strcmp(str_or(v, "id", ""), vid) == 0) {
      json_t *o = json_deep_copy(v);
      json_object_set(o, "openapi_schema", m->schema);
      return o;
    }
  }
  return NULL;
}

json_t *mock_model_json(const mock_model *m) {
  char url[400];
  snprintf(url, sizeof url, "https://replicate.com/%s", m->full);
  json_t *o = json_object();
  json_object_set_new(o, "url", json_string(url));
  json_object_set_new(o, "owner", json_string(m->owner));
  json_object_set_new(o, "name", json_string(m->name));
  json_object_set_new(o, "description", json_string(str_or(m->fixture, "description", "")));
  json_object_set_new(o, "visibility", json_string("public"));
  json_object_set_new(o, "github_url", json_null());
  json_object_set_new(o, "paper_url", json_null());
  json_object_set_new(o, "license_url", json_null());
  json_object_set_new(o, "run_count", json_integer(m->run_count));
  json_object_set_new(o, "cover_image_url", json_null());
  json_object_set_new(o, "default_example", json_null());
  json_object_set_new(o, "is_official", json_boolean(m->official));
  json_object_set_new(o, "latest_version", mock_version_json(m, mock_model_latest_version(m)));
  return o;
}

/* ---- input validation ------------------------------------------------------------------ */

/* The effective schema of one property: Cog writes enums as allOf:[{$ref}]. */
static json_t *resolve_prop(const mock_model *m, json_t *prop, json_t **ref_out) {
  *ref_out = NULL;
  json_t *all = json_object_get(prop, "allOf");
  json_t *ref = json_object_get(json_array_get(all, 0), "$ref");
  const char *r = json_string_value(ref);
  const char *prefix = "#/components/schemas/";
  if (r && strncmp(r, prefix, strlen(prefix)) == 0)
    *ref_out = json_object_get(
        json_object_get(json_object_get(m->schema, "components"), "schemas"), r + strlen(prefix));
  return prop;
}

static json_t *prop_get(json_t *prop, json_t *ref, const char *key) {
  json_t *v = json_object_get(prop, key);
  return v ? v : (ref ? json_object_get(ref, key) : NULL);
}

static json_t *input_props(const mock_model *m) {
  return json_object_get(json_object_get(json_object_get(json_object_get(m->schema, "components"),
                                                         "schemas"),
                                         "Input"),
                         "properties");
}

static void add_invalid(json_t *fields, json_t *detail_lines, const char *type, const char *field,
                        const char *desc) {
  json_array_append_new(fields, json_pack("{s:s, s:s, s:s}", "type", type, "field", field,
                                          "description", desc));
  char line[700];
  snprintf(line, sizeof line, "- %s: %s\n", field, desc);
  json_array_append_new(detail_lines, json_string(line));
}

static void enum_text(json_t *en, char *buf, size_t n) {
  size_t used = 0, i;
  json_t *v;
  buf[0] = 0;
  json_array_foreach(en, i, v) {
    char *s = json_dumps(v, JSON_ENCODE_ANY);
    const char *t = json_is_string(v) ? json_string_value(v) : (s ? s : "?");
    used += (size_t)snprintf(buf + used, used < n ? n - used : 0, "%s%s", i ? ", " : "", t);
    free(s);
    if (used >= n) break;
  }
}

json_t *mock_validate_input(const mock_model *m, json_t *input) {
  json_t *fields = json_array(), *lines = json_array();
  json_t *in = json_object_get(json_object_get(json_object_get(m->schema, "components"), "schemas"),
                               "Input");
  json_t *props = input_props(m);
  size_t i;
  json_t *req;
  json_array_foreach(json_object_get(in, "required"), i, req) {
    const char *name = json_string_value(req);
    if (name && !json_object_get(input, name)) {
      char desc[300];
      snprintf(desc, sizeof desc, "%s is required", name);
      add_invalid(fields, lines, "required", "input", desc);
    }
  }
  const char *key;
  json_t *val;
  json_object_foreach(input, key, val) {
    json_t *prop = json_object_get(props, key);
    if (!prop) continue; /* Cog ignores inputs it does not declare */
    json_t *ref;
    resolve_prop(m, prop, &ref);
    char field[300], desc[600];
    snprintf(field, sizeof field, "input.%s", key);
    const char *type = json_string_value(prop_get(prop, ref, "type"));
    json_t *en = prop_get(prop, ref, "enum");
    int ok = 1;
    if (type) {
      if (!strcmp(type, "string")) ok = json_is_string(val);
      else if (!strcmp(type, "integer")) ok = json_is_integer(val);
      else if (!strcmp(type, "number")) ok = json_is_number(val);
      else if (!strcmp(type, "boolean")) ok = json_is_boolean(val);
    }
    if (!ok) {
      snprintf(desc, sizeof desc, "Invalid type. Expected: %s, given: %s", type,
               json_is_string(val) ? "string" : json_is_integer(val) ? "integer"
                                            : json_is_number(val)    ? "number"
                                            : json_is_boolean(val)   ? "boolean"
                                            : json_is_null(val)      ? "null"
                                            : json_is_array(val)     ? "array"
                                                                     : "object");
      add_invalid(fields, lines, "invalid_type", field, desc);
      continue;
    }
    if (json_is_array(en)) {
      size_t j;
      json_t *e;
      int found = 0;
      json_array_foreach(en, j, e)
        if (json_equal(e, val)) found = 1;
      if (!found) {
        char list[400];
        enum_text(en, list, sizeof list);
        snprintf(desc, sizeof desc, "%s must be one of the following: %s", key, list);
        add_invalid(fields, lines, "enum", field, desc);
        continue;
      }
    }
    if (json_is_number(val)) {
      json_t *mn = prop_get(prop, ref, "minimum"), *mx = prop_get(prop, ref, "maximum");
      double x = json_number_value(val);
      if (mn && x < json_number_value(mn)) {
        snprintf(desc, sizeof desc, "Must be greater than or equal to %g", json_number_value(mn));
        add_invalid(fields, lines, "number_gte", field, desc);
      } else if (mx && x > json_number_value(mx)) {
        snprintf(desc, sizeof desc, "Must be less than or equal to %g", json_number_value(mx));
        add_invalid(fields, lines, "number_lte", field, desc);
      }
    }
  }
  if (json_array_size(fields) == 0) {
    json_decref(fields);
    json_decref(lines);
    return NULL;
  }
  char detail[2048];
  size_t used = 0;
  detail[0] = 0;
  json_t *l;
  json_array_foreach(lines, i, l) {
    used += (size_t)snprintf(detail + used, used < sizeof detail ? sizeof detail - used : 0, "%s",
                             json_string_value(l));
    if (used >= sizeof detail) break;
  }
  json_decref(lines);
  return json_pack("{s:s, s:s, s:i, s:o}", "title", "Input validation failed", "detail", detail,
                   "status", 422, "invalid_fields", fields);
}

/* ---- outputs and prices ------------------------------------------------------------------ */

/* The input value of `key`, or the schema default. Borrowed; may be NULL. */
static json_t *input_or_default(const mock_model *m, json_t *input, const char *key) {
  if (!key) return NULL;
  json_t *v = json_object_get(input, key);
  if (v) return v;
  return json_object_get(json_object_get(input_props(m), key), "default");
}

static double num_or(json_t *v, double dflt) { return json_is_number(v) ? json_number_value(v) : dflt; }

double mock_output_seconds(const mock_model *m, json_t *input) {
  json_t *out = json_object_get(m->fixture, "output");
  const char *fi = str_or(out, "frames_input", NULL), *di = str_or(out, "duration_input", NULL);
  const char *ti = str_or(out, "text_input", NULL);
  if (fi) {
    double frames = num_or(input_or_default(m, input, fi), 81);
    double fps = num_or(input_or_default(m, input, str_or(out, "fps_input", NULL)),
                        num_or(json_object_get(out, "fps"), 16));
    return fps > 0 ? frames / fps : 5.0;
  }
  if (di) return num_or(input_or_default(m, input, di), num_or(json_object_get(out, "default_duration"), 5));
  if (ti) {
    const char *text = json_string_value(json_object_get(input, ti));
    double secs = text ? (double)strlen(text) / 15.0 : 1.0; /* about 15 characters a second */
    return secs < 1.0 ? 1.0 : secs;
  }
  return num_or(json_object_get(out, "default_duration"), 5);
}

/* Object outputs may name their fields (`output.fields`): "file" (the model's main file),
 * "file:EXT" (a text file: txt, srt), "text", "const:VALUE", "segments" or "null". */
static int field_files(const mock_model *m) {
  json_t *fields = json_object_get(json_object_get(m->fixture, "output"), "fields");
  const char *k;
  json_t *v;
  int n = 0;
  json_object_foreach(fields, k, v) {
    const char *spec = json_string_value(v);
    if (spec && !strncmp(spec, "file", 4)) n++;
  }
  return n;
}

const char *mock_output_ext(const mock_model *m, const char *main_ext, int idx) {
  json_t *fields = json_object_get(json_object_get(m->fixture, "output"), "fields");
  const char *k;
  json_t *v;
  int n = 0;
  json_object_foreach(fields, k, v) {
    const char *spec = json_string_value(v);
    if (!spec || strncmp(spec, "file", 4)) continue;
    if (n++ == idx) return spec[4] == ':' ? spec + 5 : main_ext;
  }
  return main_ext;
}

void mock_output_plan(const mock_model *m, json_t *input, int *nfiles, char ext[8]) {
  json_t *out = json_object_get(m->fixture, "output");
  const char *kind = str_or(out, "kind", "video");
  *nfiles = 1;
  if (!strcmp(kind, "video")) {
    snprintf(ext, 8, "mp4");
  } else if (!strcmp(kind, "audio")) {
    snprintf(ext, 8, "wav");
  } else if (!strcmp(kind, "text")) {
    snprintf(ext, 8, "txt");
    *nfiles = 0; /* the text is the output; files only where an object names them */
  } else {
    json_t *fmt = input_or_default(m, input, str_or(out, "format_input", NULL));
    const char *f = json_string_value(fmt);
    if (!f) f = str_or(out, "default_format", "png");
    snprintf(ext, 8, "%s", f);
    if ((strcmp(ext, "jpg") && strcmp(ext, "webp")) || !mock_media_can(ext)) snprintf(ext, 8, "png");
    if (!strcmp(str_or(out, "shape", "string"), "array")) {
      double c = num_or(input_or_default(m, input, str_or(out, "count_input", NULL)), 1);
      *nfiles = c < 1 ? 1 : c > 16 ? 16
                                   : (int)c;
    }
  }
  if (json_object_get(out, "fields")) *nfiles = field_files(m);
}

/* A caption or a transcript: sentences of words drawn from a hash of model + input, so the
 * same request gives the same text. */
char *mock_output_text(const mock_model *m, json_t *input) {
  static const char *const words[] = {
      "a", "the", "bright", "quiet", "red", "small", "city", "street", "morning", "cup",
      "coffee", "table", "window", "light", "over", "near", "walks", "glows", "slowly", "river",
      "mountain", "person", "smiles", "holds", "warm", "blue", "evening", "car", "road", "sky"};
  const size_t nw = sizeof words / sizeof words[0];
  json_t *out = json_object_get(m->fixture, "output");
  char *canon = json_dumps(input, JSON_SORT_KEYS | JSON_COMPACT);
  size_t bl = strlen(m->full) + (canon ? strlen(canon) : 0) + 4;
  char *seed = malloc(bl);
  char hex[65];
  if (!seed) {
    free(canon);
    return NULL;
  }
  snprintf(seed, bl, "%s\n%s", m->full, canon ? canon : "{}");
  mock_sha256_hex(seed, strlen(seed), hex);
  free(seed);
  free(canon);
  int sentences = (int)num_or(json_object_get(out, "sentences"), 1);
  if (sentences < 1) sentences = 1;
  const char *prefix = str_or(out, "text_prefix", "");
  size_t cap = strlen(prefix) + (size_t)sentences * 120 + 8, used = 0;
  char *t = malloc(cap);
  if (!t) return NULL;
  used += (size_t)snprintf(t, cap, "%s", prefix);
  int stop = json_is_true(json_object_get(out, "sentence_stop"));
  for (int s = 0; s < sentences; s++) {
    for (int w = 0; w < 6; w++) {
      unsigned h = (unsigned)hex[(s * 7 + w * 3) % 64] * 31u + (unsigned)hex[(s * 5 + w * 11 + 1) % 64];
      used += (size_t)snprintf(t + used, cap - used, "%s%s", s || w ? " " : "", words[h % nw]);
    }
    if (stop) used += (size_t)snprintf(t + used, cap - used, ".");
  }
  return t;
}

/* The key of an input value in a price table: "720p", "true", "10". */
static void value_key(json_t *v, char *key, size_t n) {
  key[0] = 0;
  if (json_is_string(v)) snprintf(key, n, "%s", json_string_value(v));
  else if (json_is_boolean(v)) snprintf(key, n, "%s", json_is_true(v) ? "true" : "false");
  else if (json_is_integer(v)) snprintf(key, n, "%lld", (long long)json_integer_value(v));
}

double mock_price(const mock_model *m, const mock_pred *p, double *units, const char **unit) {
  json_t *price = json_object_get(m->fixture, "price");
  const char *u = str_or(price, "unit", "run");
  double rate = num_or(json_object_get(price, "usd"), 0);
  const char *by = str_or(price, "by", NULL);
  char key[64];
  if (by) {
    value_key(input_or_default(m, p->input, by), key, sizeof key);
    json_t *r = json_object_get(json_object_get(price, "rates"), key);
    if (json_is_number(r)) rate = json_number_value(r);
  }
  /* Further inputs that scale the rate: {"resolution": {"720p": 1, "1080p": 1}}. */
  const char *fk;
  json_t *table;
  json_object_foreach(json_object_get(price, "factors"), fk, table) {
    value_key(input_or_default(m, p->input, fk), key, sizeof key);
    json_t *f = json_object_get(table, key);
    if (json_is_number(f)) rate *= json_number_value(f);
  }
  int ok = !strcmp(p->status, "succeeded");
  int ran = strcmp(p->status, "aborted") && p->predict_time > 0;
  *unit = u;
  *units = 0;
  if (!strcmp(u, "gpu_second")) {
    /* Time-priced models bill the time they ran, whatever the outcome (not when aborted). */
    *units = ran ? p->predict_time : 0;
  } else if (ok) {
    if (!strcmp(u, "second")) *units = mock_output_seconds(m, p->input);
    else if (!strcmp(u, "image")) *units = p->nfiles;
    else if (!strcmp(u, "character")) {
      const char *t = json_string_value(json_object_get(p->input, str_or(price, "input", "text")));
      size_t chars = 0;
      for (const unsigned char *c = (const unsigned char *)(t ? t : ""); *c; c++)
        if ((*c & 0xC0) != 0x80) chars++; /* count UTF-8 code points */
      *units = (double)chars;
    } else *units = 1;
  }
  /* Output-priced (official) models charge for what they made: a prediction canceled or failed
   * before it produced its output costs nothing; time-priced ones pay the time they ran. */
  return round(*units * rate * 1e6) / 1e6;
}
