/* Canonical IR text, Merkle node ids, and the reader's validation. */
#include "ir/ir.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsc/vsc_mem.h"
#include "vsc/vsc_ops.h"
#include "vsc/vsc_sha256.h"
#include "vsc/vsc_price.h"
#include "vsc/vsc_err.h"

extern const char vsc_ir_schema_text[];

void vsc_ir_node_id(const json_t *node, char out[65]) {
  json_t *key = json_object();
  json_t *inputs = json_object_get(node, "inputs");
  json_t *params = json_object_get(node, "params");
  json_t *model = json_object_get(node, "model");
  json_object_set(key, "inputs", inputs ? inputs : json_array());
  json_object_set(key, "op", json_object_get(node, "op"));
  json_object_set(key, "params", params ? params : json_object());
  json_object_set(key, "model", model ? model : json_null());
  /* A paid node's resolved calls (model, version, input, price) are part of what it is: a
   * version bump or a price change makes a new node, never a stale cache hit. */
  json_t *call = json_object_get(node, "call"), *fallbacks = json_object_get(node, "fallbacks");
  if (call) json_object_set(key, "call", call);
  if (fallbacks) json_object_set(key, "fallbacks", fallbacks);
  char *text = json_dumps(key, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(VSC_IR_REAL_PRECISION));
  vsc_sha256_hex(text ? text : "", text ? strlen(text) : 0, out);
  free(text);
  json_decref(key);
}

char *vsc_ir_dump(const json_t *ir) {
  char *text = json_dumps(ir, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(VSC_IR_REAL_PRECISION));
  if (!text) return NULL;
  size_t n = strlen(text);
  char *out = vsc_xmalloc(n + 2);
  memcpy(out, text, n);
  out[n] = '\n';
  out[n + 1] = 0;
  free(text);
  return out;
}

json_t *vsc_ir_schema(void) { return json_loads(vsc_ir_schema_text, 0, NULL); }

/* ---- validation ---------------------------------------------------------------- */

typedef enum { T_STRING,
               T_INT,
               T_NUMBER,
               T_BOOL,
               T_OBJECT,
               T_ARRAY } jtype;

static const char *type_name(jtype t) {
  static const char *const names[] = {"a string", "an integer", "a number", "a boolean", "an object", "an array"};
  return names[t];
}

static bool is_type(const json_t *v, jtype t) {
  switch (t) {
  case T_STRING: return json_is_string(v);
  case T_INT: return json_is_integer(v);
  case T_NUMBER: return json_is_number(v);
  case T_BOOL: return json_is_boolean(v);
  case T_OBJECT: return json_is_object(v);
  case T_ARRAY: return json_is_array(v);
  }
  return false;
}

/* Checks obj[key]: present (unless optional) and of type t. */
static int field(const json_t *obj, const char *path, const char *key, jtype t, bool optional, char *err, size_t errlen) {
  json_t *v = json_object_get(obj, key);
  if (!v) return optional ? 0 : vsc_err_set(err, errlen, "%s.%s: missing", path, key);
  if (!is_type(v, t)) return vsc_err_set(err, errlen, "%s.%s: expected %s", path, key, type_name(t));
  return 0;
}


/* Checks params against an op's shape (the params column of vsc_ops.def). */
static int check_params(const json_t *params, const char *path, const vsc_op_info *r, char *err, size_t errlen) {
  char spec[256];
  snprintf(spec, sizeof spec, "%s", r->params);
  for (char *tok = strtok(spec, " "); tok; tok = strtok(NULL, " ")) {
    char *colon = strchr(tok, ':');
    *colon = 0;
    char tc = colon[1];
    bool optional = colon[2] == '?';
    jtype t = tc == 's' ? T_STRING : tc == 'i' ? T_INT
                               : tc == 'n'     ? T_NUMBER
                               : tc == 'b'     ? T_BOOL
                               : tc == 'o'     ? T_OBJECT
                                               : T_ARRAY;
    if (field(params, path, tok, t, optional, err, errlen)) return -1;
  }
  return 0;
}

/* A resolved provider call (docs/ir.md "call"). */
static int check_call(const json_t *call, const char *path, size_t ninputs, char *err, size_t errlen) {
  if (!json_is_object(call)) return vsc_err_set(err, errlen, "%s: expected a call object", path);
  if (field(call, path, "provider", T_STRING, false, err, errlen) || field(call, path, "model", T_STRING, false, err, errlen) ||
      field(call, path, "input", T_OBJECT, false, err, errlen) || field(call, path, "price", T_OBJECT, false, err, errlen) ||
      field(call, path, "output", T_STRING, false, err, errlen))
    return -1;
  const char *model = json_string_value(json_object_get(call, "model"));
  if (!strchr(model, '/')) return vsc_err_set(err, errlen, "%s.model: expected owner/name", path);
  json_t *version = json_object_get(call, "version");
  if (!json_is_null(version) && !json_is_string(version)) return vsc_err_set(err, errlen, "%s.version: expected a version id or null", path);
  const char *out = json_string_value(json_object_get(call, "output"));
  if (strcmp(out, "video") && strcmp(out, "image") && strcmp(out, "audio"))
    return vsc_err_set(err, errlen, "%s.output: expected video, image or audio", path);
  char perr[200];
  vsc_price pr;
  if (vsc_price_from_json(&pr, json_object_get(call, "price"), perr, sizeof perr) != 0)
    return vsc_err_set(err, errlen, "%s.price%s", path, perr);
  const char *k;
  json_t *v;
  json_object_foreach(json_object_get(call, "input"), k, v) {
    json_t *ref = json_object_get(v, "$input");
    if (json_is_object(v) && ref && (!json_is_integer(ref) || json_integer_value(ref) < 0 || (size_t)json_integer_value(ref) >= ninputs))
      return vsc_err_set(err, errlen, "%s.input.%s.$input: not the index of one of the node's inputs", path, k);
  }
  return 0;
}

/* $.formats (docs/ir.md "Formats"): each format's outputs are nodes of the graph, and its
 * suffix, which goes into file names, is "" or "." and letters, digits and 'x' (no path). */
static int check_formats(const json_t *ir, const json_t *seen, char *err, size_t errlen) {
  const json_t *formats = json_object_get(ir, "formats");
  if (!formats) return 0;
  if (!json_is_array(formats)) return vsc_err_set(err, errlen, "$.formats: expected an array");
  size_t i;
  json_t *f;
  json_array_foreach(formats, i, f) {
    const char *suffix = json_string_value(json_object_get(f, "suffix"));
    bool ok = suffix && (!*suffix || suffix[0] == '.') && strlen(suffix) < 32;
    for (const char *c = suffix && *suffix ? suffix + 1 : ""; ok && *c; c++)
      ok = (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || *c == '_';
    if (!ok) return vsc_err_set(err, errlen, "$.formats[%zu].suffix: expected \"\" or e.g. \".9x16\"", i);
    const json_t *w = json_object_get(f, "width"), *h = json_object_get(f, "height");
    if (!json_is_integer(w) || !json_is_integer(h))
      return vsc_err_set(err, errlen, "$.formats[%zu]: expected integer width and height", i);
    const json_t *outs = json_object_get(f, "outputs");
    if (!json_is_object(outs) || !json_is_string(json_object_get(outs, "video")))
      return vsc_err_set(err, errlen, "$.formats[%zu].outputs.video: expected a node id", i);
    const char *k;
    json_t *o;
    json_object_foreach((json_t *)outs, k, o) {
      if (!json_is_string(o) || !json_object_get(seen, json_string_value(o)))
        return vsc_err_set(err, errlen, "$.formats[%zu].outputs.%s: no such node", i, k);
    }
  }
  return 0;
}

int vsc_ir_validate(const json_t *ir, char *err, size_t errlen) {
  if (!json_is_object(ir)) return vsc_err_set(err, errlen, "$: expected an object");
  json_t *format = json_object_get(ir, "format");
  if (!json_is_string(format) || strcmp(json_string_value(format), "vsc-ir") != 0)
    return vsc_err_set(err, errlen, "$.format: expected \"vsc-ir\"");
  json_t *version = json_object_get(ir, "version");
  if (!json_is_integer(version)) return vsc_err_set(err, errlen, "$.version: expected an integer");
  if (json_integer_value(version) != VSC_IR_VERSION)
    return vsc_err_set(err, errlen, "$.version: version %lld is not supported (this vsc reads %d)",
                       (long long)json_integer_value(version), VSC_IR_VERSION);
  if (field(ir, "$", "root", T_STRING, true, err, errlen) || field(ir, "$", "video", T_OBJECT, false, err, errlen) ||
      field(ir, "$", "nodes", T_ARRAY, false, err, errlen) || field(ir, "$", "outputs", T_OBJECT, false, err, errlen))
    return -1;
  json_t *video = json_object_get(ir, "video");
  if (field(video, "$.video", "width", T_INT, false, err, errlen) || field(video, "$.video", "height", T_INT, false, err, errlen) ||
      field(video, "$.video", "fps", T_INT, false, err, errlen) || field(video, "$.video", "length", T_NUMBER, false, err, errlen) ||
      field(video, "$.video", "title", T_STRING, true, err, errlen) || field(video, "$.video", "provider", T_STRING, true, err, errlen))
    return -1;
  json_int_t w = json_integer_value(json_object_get(video, "width")), h = json_integer_value(json_object_get(video, "height"));
  json_int_t fps = json_integer_value(json_object_get(video, "fps"));
  if (w < 16 || w > 7680 || h < 16 || h > 7680 || (w % 2) || (h % 2))
    return vsc_err_set(err, errlen, "$.video: size %lldx%lld is not an even size between 16 and 7680", (long long)w, (long long)h);
  if (fps < 1 || fps > 120) return vsc_err_set(err, errlen, "$.video.fps: %lld is out of range (1-120)", (long long)fps);
  json_t *budget = json_object_get(video, "budget");
  if (budget && !json_is_null(budget) && !json_is_number(budget)) return vsc_err_set(err, errlen, "$.video.budget: expected a number or null");

  json_t *nodes = json_object_get(ir, "nodes");
  json_t *seen = json_object();
  size_t i;
  json_t *node;
  int rc = 0;
  json_array_foreach(nodes, i, node) {
    char path[64];
    snprintf(path, sizeof path, "$.nodes[%zu]", i);
    if (!json_is_object(node)) {
      rc = vsc_err_set(err, errlen, "%s: expected an object", path);
      break;
    }
    if (field(node, path, "id", T_STRING, false, err, errlen) || field(node, path, "op", T_STRING, false, err, errlen) ||
        field(node, path, "inputs", T_ARRAY, false, err, errlen) || field(node, path, "params", T_OBJECT, false, err, errlen) ||
        field(node, path, "model", T_STRING, true, err, errlen) || field(node, path, "fallbacks", T_ARRAY, true, err, errlen) ||
        field(node, path, "retry", T_OBJECT, true, err, errlen) || field(node, path, "cost", T_OBJECT, true, err, errlen) ||
        field(node, path, "call", T_OBJECT, true, err, errlen)) {
      rc = -1;
      break;
    }
    /* A transition's two scenes (docs/ir.md "Node"), for people: not part of the id. */
    json_t *between = json_object_get(node, "between");
    if (between && (!json_is_array(between) || json_array_size(between) != 2 || !json_is_string(json_array_get(between, 0)) ||
                    !json_is_string(json_array_get(between, 1)))) {
      rc = vsc_err_set(err, errlen, "%s.between: expected the two scene names [outgoing, incoming]", path);
      break;
    }
    const char *op = json_string_value(json_object_get(node, "op"));
    const vsc_op_info *rule = vsc_ops_find(op);
    if (!rule) {
      rc = vsc_err_set(err, errlen, "%s.op: unknown op \"%s\"", path, op);
      break;
    }
    char ppath[128];
    snprintf(ppath, sizeof ppath, "%s.params", path);
    if (check_params(json_object_get(node, "params"), ppath, rule, err, errlen)) {
      rc = -1;
      break;
    }
    size_t nin = json_array_size(json_object_get(node, "inputs"));
    json_t *call = json_object_get(node, "call");
    if (call) {
      snprintf(ppath, sizeof ppath, "%s.call", path);
      if (check_call(call, ppath, nin, err, errlen)) {
        rc = -1;
        break;
      }
      const char *model = json_string_value(json_object_get(node, "model"));
      if (!model || strcmp(model, json_string_value(json_object_get(call, "model"))) != 0) {
        rc = vsc_err_set(err, errlen, "%s.call.model: is not the node's model", path);
        break;
      }
    }
    json_t *fb;
    size_t fi;
    json_array_foreach(json_object_get(node, "fallbacks"), fi, fb) {
      snprintf(ppath, sizeof ppath, "%s.fallbacks[%zu]", path, fi);
      if ((rc = check_call(fb, ppath, nin, err, errlen)) != 0) break;
    }
    if (rc) break;
    json_t *cost = json_object_get(node, "cost");
    if (cost) {
      snprintf(ppath, sizeof ppath, "%s.cost", path);
      if (field(cost, ppath, "estimate", T_NUMBER, false, err, errlen) || field(cost, ppath, "max", T_NUMBER, false, err, errlen)) {
        rc = -1;
        break;
      }
      if (json_number_value(json_object_get(cost, "max")) < json_number_value(json_object_get(cost, "estimate"))) {
        rc = vsc_err_set(err, errlen, "%s.cost.max: less than the estimate", path);
        break;
      }
    }
    size_t k;
    json_t *in;
    json_array_foreach(json_object_get(node, "inputs"), k, in) {
      if (!json_is_string(in) || !json_object_get(seen, json_string_value(in))) {
        rc = vsc_err_set(err, errlen, "%s.inputs[%zu]: not the id of an earlier node", path, k);
        break;
      }
    }
    if (rc) break;
    char id[65];
    vsc_ir_node_id(node, id);
    const char *given = json_string_value(json_object_get(node, "id"));
    if (strcmp(id, given) != 0) {
      rc = vsc_err_set(err, errlen, "%s.id: does not match its content (expected %s)", path, id);
      break;
    }
    if (json_object_get(seen, id)) {
      rc = vsc_err_set(err, errlen, "%s.id: duplicate node", path);
      break;
    }
    json_object_set_new(seen, id, json_string(op));
  }
  if (!rc) {
    json_t *out = json_object_get(json_object_get(ir, "outputs"), "video");
    if (!json_is_string(out)) rc = vsc_err_set(err, errlen, "$.outputs.video: expected a node id");
    else if (!json_object_get(seen, json_string_value(out))) rc = vsc_err_set(err, errlen, "$.outputs.video: no such node");
  }
  if (!rc) rc = check_formats(ir, seen, err, errlen);
  json_decref(seen);
  return rc;
}
