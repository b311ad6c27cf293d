/*
** lock.c — reads vsc.lock.json, the model schemas `vsc models pull` locked next to a script,
** and checks model inputs against them (compiler stage: driver, used by the planner's
** parameter check). The file is JSON:
**
**   {"format": "vsc-lock", "version": 1,
**    "models": {"owner/name": {"version": "<id>", "input": {<Input schema, $refs resolved>}}}}
**
** A script without a lock file compiles exactly as before: nothing here runs unless the
** file exists.
*/
#include "registry/lock.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The last lock file parsed, kept while it is unchanged on disk. */
static struct {
  char path[4096];
  dev_t dev;
  ino_t ino;
  off_t size;
  struct timespec mtime;
  json_t *doc;    /* parsed document, or NULL when it was invalid */
  char err[4400]; /* why it is invalid */
} g_lock;
static pthread_mutex_t g_lock_mu = PTHREAD_MUTEX_INITIALIZER;

/* Parses and checks the shape of a lock file; a new reference, or NULL with err. */
static json_t *load_lock(const char *path, char *err, size_t errlen) {
  json_error_t je;
  json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
  if (!doc) {
    snprintf(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    return NULL;
  }
  const char *fmt = json_string_value(json_object_get(doc, "format"));
  json_t *models = json_object_get(doc, "models");
  if (!fmt || strcmp(fmt, VSC_LOCK_FORMAT) || json_integer_value(json_object_get(doc, "version")) != 1 ||
      !json_is_object(models)) {
    snprintf(err, errlen, "%s is not a version 1 vsc lock file", path);
    json_decref(doc);
    return NULL;
  }
  const char *ref;
  json_t *m;
  json_object_foreach(models, ref, m) {
    if (!json_is_object(json_object_get(m, "input")) ||
        !json_is_object(json_object_get(json_object_get(m, "input"), "properties"))) {
      snprintf(err, errlen, "%s: model '%s' has no input schema", path, ref);
      json_decref(doc);
      return NULL;
    }
  }
  return doc;
}

int vsc_lock_find(vsc_lock_entry *e, const char *dir, const char *ref, char *err, size_t errlen) {
  memset(e, 0, sizeof *e);
  snprintf(e->path, sizeof e->path, "%s/%s", dir && *dir ? dir : ".", VSC_LOCK_NAME);
  struct stat sb;
  if (stat(e->path, &sb) != 0) return 0; /* no lock file: nothing is locked */
  if (!S_ISREG(sb.st_mode)) {
    snprintf(err, errlen, "%s is not a regular file", e->path);
    return -1;
  }
  int rc = 0;
  pthread_mutex_lock(&g_lock_mu);
  if (strcmp(g_lock.path, e->path) || g_lock.dev != sb.st_dev || g_lock.ino != sb.st_ino ||
      g_lock.size != sb.st_size || g_lock.mtime.tv_sec != sb.st_mtim.tv_sec ||
      g_lock.mtime.tv_nsec != sb.st_mtim.tv_nsec) {
    json_decref(g_lock.doc);
    g_lock.err[0] = 0;
    g_lock.doc = load_lock(e->path, g_lock.err, sizeof g_lock.err);
    snprintf(g_lock.path, sizeof g_lock.path, "%s", e->path);
    g_lock.dev = sb.st_dev;
    g_lock.ino = sb.st_ino;
    g_lock.size = sb.st_size;
    g_lock.mtime = sb.st_mtim;
  }
  if (!g_lock.doc) {
    snprintf(err, errlen, "%s", g_lock.err);
    rc = -1;
  } else {
    json_t *m = json_object_get(json_object_get(g_lock.doc, "models"), ref);
    if (m) {
      /* A copy: the cached document may be replaced by another thread meanwhile. */
      e->input = json_deep_copy(json_object_get(m, "input"));
      const char *v = json_string_value(json_object_get(m, "version"));
      snprintf(e->version, sizeof e->version, "%s", v ? v : "");
      rc = e->input ? 1 : 0;
    }
  }
  pthread_mutex_unlock(&g_lock_mu);
  return rc;
}

void vsc_lock_entry_clear(vsc_lock_entry *e) {
  json_decref(e->input);
  e->input = NULL;
}

/* ---- JSON Schema, the part Cog emits -------------------------------------------------- */

static bool type_ok(const char *type, const json_t *v) {
  if (!strcmp(type, "integer")) return json_is_integer(v) || (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)));
  if (!strcmp(type, "number")) return json_is_number(v);
  if (!strcmp(type, "string")) return json_is_string(v);
  if (!strcmp(type, "boolean")) return json_is_boolean(v);
  if (!strcmp(type, "array")) return json_is_array(v);
  if (!strcmp(type, "object")) return json_is_object(v);
  if (!strcmp(type, "null")) return json_is_null(v);
  return true; /* a type this checker does not know: the provider will judge */
}

static const char *type_words(const char *type) {
  if (!strcmp(type, "integer")) return "an integer";
  if (!strcmp(type, "number")) return "a number";
  if (!strcmp(type, "string")) return "a string";
  if (!strcmp(type, "boolean")) return "a boolean";
  if (!strcmp(type, "array")) return "a list";
  if (!strcmp(type, "object")) return "an object";
  return type;
}

/* Numbers compare by value (5 equals 5.0), everything else exactly. */
static bool same_value(const json_t *a, const json_t *b) {
  if (json_is_number(a) && json_is_number(b)) return json_number_value(a) == json_number_value(b);
  return json_equal(a, b);
}

static vsc_lock_verdict check_schema(const json_t *sch, const json_t *v, char *what, size_t n,
                                     int depth) {
  if (!json_is_object(sch) || depth > 8) return VSC_LOCK_PARAM_OK;
  const char *type = json_string_value(json_object_get(sch, "type"));
  if (type && !type_ok(type, v)) {
    snprintf(what, n, "%s", type_words(type));
    return VSC_LOCK_PARAM_TYPE;
  }
  json_t *en = json_object_get(sch, "enum");
  if (json_is_array(en)) {
    bool found = false;
    size_t i;
    json_t *x;
    json_array_foreach(en, i, x)
      if (same_value(x, v)) found = true;
    if (!found) {
      char *list = json_dumps(en, JSON_COMPACT | JSON_ENCODE_ANY);
      snprintf(what, n, "one of %s", list ? list : "[]");
      free(list);
      return VSC_LOCK_PARAM_ENUM;
    }
  }
  if (json_is_number(v)) {
    double x = json_number_value(v);
    json_t *mn = json_object_get(sch, "minimum"), *mx = json_object_get(sch, "maximum");
    json_t *xmn = json_object_get(sch, "exclusiveMinimum"), *xmx = json_object_get(sch, "exclusiveMaximum");
    bool low = (json_is_number(mn) && x < json_number_value(mn)) ||
               (json_is_number(xmn) && x <= json_number_value(xmn));
    bool high = (json_is_number(mx) && x > json_number_value(mx)) ||
                (json_is_number(xmx) && x >= json_number_value(xmx));
    if (low || high) {
      char lo[48] = "", hi[48] = "";
      if (json_is_number(mn)) snprintf(lo, sizeof lo, "from %g", json_number_value(mn));
      else if (json_is_number(xmn)) snprintf(lo, sizeof lo, "above %g", json_number_value(xmn));
      if (json_is_number(mx)) snprintf(hi, sizeof hi, "to %g", json_number_value(mx));
      else if (json_is_number(xmx)) snprintf(hi, sizeof hi, "below %g", json_number_value(xmx));
      snprintf(what, n, "%s%s%s", lo, lo[0] && hi[0] ? " " : "", hi);
      return VSC_LOCK_PARAM_RANGE;
    }
  }
  /* Cog puts enums behind allOf: [{$ref}] (resolved into the lock by `vsc models pull`). */
  json_t *all = json_object_get(sch, "allOf");
  size_t i;
  json_t *sub;
  json_array_foreach(all, i, sub) {
    vsc_lock_verdict r = check_schema(sub, v, what, n, depth + 1);
    if (r != VSC_LOCK_PARAM_OK) return r;
  }
  return VSC_LOCK_PARAM_OK;
}

vsc_lock_verdict vsc_lock_check_param(const json_t *input, const char *key, const json_t *value,
                                      char *what, size_t whatlen) {
  what[0] = 0;
  json_t *prop = json_object_get(json_object_get(input, "properties"), key);
  if (!prop) return VSC_LOCK_PARAM_UNKNOWN;
  return check_schema(prop, value, what, whatlen, 0);
}

const char *vsc_lock_required(const json_t *input, size_t i) {
  return json_string_value(json_array_get(json_object_get(input, "required"), i));
}
