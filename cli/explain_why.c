/*
** `vsc explain`, the why: a node that is not in the cache against the last build's node of
** the same slot: its object (missing, failing verification), its own params (field by
** field), its provider, its inputs (dirty, changed, gone).
*/
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "explain.h"

/* A reason {kind, text, ...more} appended to x->reasons; `more` is stolen. */
static void reason(cli_xnode *x, const char *kind, json_t *more, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void reason(cli_xnode *x, const char *kind, json_t *more, const char *fmt, ...) {
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  json_t *r = more ? more : json_object();
  json_object_set_new(r, "kind", json_string(kind));
  json_object_set_new(r, "text", json_string(text));
  json_array_append_new(x->reasons, r);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Appends {field, old, new} for every leaf that differs between a and b (either may be
 * NULL: absent). Paths read like jq's: a.texts[0].text. */
static void diff(json_t *changes, const char *path, json_t *a, json_t *b) {
  if ((!a && !b) || (a && b && json_equal(a, b))) return;
  char sub[1024];
  if (json_is_object(a) && json_is_object(b)) {
    json_t *keys = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(a, k, v) json_array_append_new(keys, json_string(k));
    json_object_foreach(b, k, v)
      if (!json_object_get(a, k)) json_array_append_new(keys, json_string(k));
    /* Sorted, so the order is the IR's canonical one. */
    size_t n = json_array_size(keys);
    const char **ks = calloc(n + 1, sizeof *ks);
    for (size_t i = 0; i < n; i++) ks[i] = json_string_value(json_array_get(keys, i));
    qsort(ks, n, sizeof *ks, cmp_str);
    for (size_t i = 0; i < n; i++) {
      snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", ks[i]);
      diff(changes, sub, json_object_get(a, ks[i]), json_object_get(b, ks[i]));
    }
    free(ks);
    json_decref(keys);
    return;
  }
  if (json_is_array(a) && json_is_array(b)) {
    size_t n = json_array_size(a) > json_array_size(b) ? json_array_size(a) : json_array_size(b);
    for (size_t i = 0; i < n; i++) {
      snprintf(sub, sizeof sub, "%s[%zu]", path, i);
      diff(changes, sub, json_array_get(a, i), json_array_get(b, i));
    }
    return;
  }
  json_array_append_new(changes, json_pack("{s:s, s:O, s:O}", "field", path, "old", a ? a : json_null(),
                                           "new", b ? b : json_null()));
}

/* What of the node itself (everything its id hashes but the inputs) changed. */
static json_t *own_changes(json_t *old, json_t *cur) {
  json_t *changes = json_array();
  diff(changes, "", json_object_get(old, "params"), json_object_get(cur, "params"));
  static const char *const fields[] = {"model", "call", "fallbacks"};
  for (size_t i = 0; i < 3; i++)
    diff(changes, fields[i], json_object_get(old, fields[i]), json_object_get(cur, fields[i]));
  return changes;
}

const char *cli_explain_state_name(cli_xstate s) {
  return s == X_CACHED ? "cached" : s == X_RUN ? "dirty"
                                               : "unneeded";
}

/* Inputs that are not what the last build used, matched by slot (so a scene added before
 * them does not shift them): dirty ones in the Ninja way ("input X is dirty"), then those
 * that changed but are cached (an undone edit), then the last build's inputs now gone. */
static int input_reasons(cli_xplan *p, cli_xnode *x, json_t *old) {
  json_t *unused = json_object(); /* the last build's input ids not matched yet */
  size_t k;
  json_t *v;
  json_array_foreach(json_object_get(old, "inputs"), k, v)
    if (json_is_string(v)) json_object_set_new(unused, json_string_value(v), json_true());
  int found = 0;
  for (k = 0; k < x->nin; k++) {
    cli_xnode *in = &p->n[x->in[k]];
    json_t *was = json_object_get(p->prev_byslot, in->slot);
    const char *was_id = cli_explain_str(was, "id"), *was_key = cli_explain_str(was, "key");
    bool used = was_id && json_object_get(unused, was_id);
    if (used) json_object_del(unused, was_id);
    if (used && was_key && in->key && !strcmp(was_key, in->key)) continue;
    json_t *more = json_pack("{s:s, s:s, s:s, s:s}", "input", in->id, "op", in->op, "what", in->what, "state",
                             cli_explain_state_name(in->state));
    if (in->state != X_CACHED)
      reason(x, "input-dirty", more, "input %s %.10s (%s) is dirty", in->op, in->id, in->name);
    else
      reason(x, "input-changed", more, "input %s %.10s (%s) changed since the last build (it is cached)", in->op,
             in->id, in->name);
    found++;
  }
  if (json_object_size(unused)) {
    reason(x, "inputs-removed", json_pack("{s:I}", "count", (json_int_t)json_object_size(unused)),
           "%zu input(s) of the last build no longer used", json_object_size(unused));
    found++;
  }
  json_decref(unused);
  return found;
}

/* Why a node that is not in the cache is not: its object, then the last build's node of
 * the same slot (its params, its provider, its inputs). */
void cli_explain_why(cli_xplan *p, cli_xnode *x) {
  if (x->state == X_CACHED) return;
  if (x->cache == VSC_CACHE_CORRUPT && access(x->e.path, F_OK) != 0) {
    reason(x, "missing", json_pack("{s:s}", "path", x->e.path), "missing from the cache: %s is gone", x->e.path);
    return;
  }
  if (x->cache == VSC_CACHE_CORRUPT) {
    reason(x, "corrupt", json_pack("{s:s, s:s}", "path", x->e.path, "detail", x->why),
           "its cache object fails verification (%s): the build deletes and remakes it", x->why);
    return;
  }
  if (x->cache < 0) {
    reason(x, "unreadable", json_pack("{s:s}", "detail", x->why), "its cache object cannot be read: %s", x->why);
    return;
  }
  if (!p->record) {
    reason(x, "never-built", NULL, "never built: no earlier build of this target is recorded");
    return;
  }
  json_t *old = json_object_get(p->prev_byslot, x->slot);
  if (!old) {
    reason(x, "new", NULL, "new: the last build had no such node");
    return;
  }
  const char *okey = cli_explain_str(old, "key"), *oid = cli_explain_str(old, "id"), *status = cli_explain_str(p->record, "status");
  if (okey && !strcmp(okey, x->key)) {
    if (status && strcmp(status, "ok") != 0)
      reason(x, "not-made", json_pack("{s:s}", "status", status), "the last build (%s) did not make it", status);
    else
      reason(x, "removed", NULL, "missing from the cache: the last build made it, and it has been removed since");
    return;
  }
  int n = 0;
  if (oid && strcmp(oid, x->id) != 0) {
    json_t *ch = own_changes(old, x->node);
    if (json_array_size(ch)) {
      reason(x, "params-changed", json_pack("{s:s, s:o}", "previous", oid, "changes", ch),
             "params changed since the last build (it was %.10s)", oid);
      n++;
    } else {
      json_decref(ch);
    }
  }
  const char *prov = vsc_node_provider(x->node, p->remote);
  const char *oprov = vsc_node_provider(old, cli_explain_str(p->record, "provider"));
  if (*prov && strcmp(prov, oprov) != 0) {
    reason(x, "provider-changed", json_pack("{s:s, s:s}", "old", oprov, "new", prov),
           "provider changed: %s -> %s", oprov, prov);
    n++;
  }
  n += input_reasons(p, x, old);
  if (!n) reason(x, "key-changed", json_pack("{s:s}", "previous", okey ? okey : ""),
                 "its cache key changed since the last build (%.10s -> %.10s)", okey ? okey : "-", x->key);
}
