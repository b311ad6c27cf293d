/*
** vsc explain SCRIPT [NODE|SCENE]: why each node of the plan will run again or comes from
** the cache (Ninja's `-d explain`). It compiles the script as `vsc build` would, computes
** every node's cache key, decides what the build would do exactly as the scheduler's demand
** pass does (from the outputs backwards: a cached node is done and its inputs are not
** needed), and explains each verdict from the build record of the same target
** (runtime/journal/record.c): the node's own params that changed, the inputs that are
** dirty, the provider that changed, the object that is missing or fails verification.
** Read-only: nothing in the cache is created, deleted or touched.
*/
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cmd_run.h"
#include "vsc/vsc.h"
#include "vsc/vsc_runtime.h"

/* Changes listed per node in the text output (the JSON lists them all). */
#define EXPLAIN_MAX_CHANGES 12
/* A changed string longer than this is shown around its first difference. */
#define EXPLAIN_SHORT_STRING 60

typedef enum { X_CACHED, X_RUN, X_UNNEEDED } xstate;

typedef struct {
  json_t *node;       /* borrowed from the IR */
  const char *id, *op, *scene; /* scene: NULL for nodes of no one scene */
  const char *key;    /* borrowed from the keys array */
  char slot[512];     /* stable name across builds: scene/op/kind[#n] (matches the record) */
  char what[640];     /* what it is, for people */
  char name[320];     /* the short of it, where an input is named: "scene X", "transition a -> b" */
  char link[256];     /* a transition: "a -> b" (the scenes it joins) */
  size_t *in, nin;    /* input node indices */
  int cache;          /* VSC_CACHE_HIT / MISS / CORRUPT (or -1 on an I/O error) */
  char why[320];      /* CORRUPT: what is wrong */
  vsc_cache_entry e;  /* HIT/CORRUPT: the index entry */
  bool needed;        /* the build would look at it (demand pass) */
  xstate state;
  json_t *prev;       /* the last build's node in the same slot (borrowed), or NULL */
  json_t *reasons;    /* array of {kind, text, ...} */
} xnode;

typedef struct {
  const char *script, *target_arg, *cache_arg, *provider, *output, *quality;
  bool json, all, preview;
} xargs;

typedef struct {
  json_t *ir, *keys, *record; /* owned */
  json_t *byid;       /* id -> index */
  json_t *prev_byslot, *prev_byid; /* slot/id -> the record's node (borrowed from record) */
  json_t *prev_slot;  /* the record's node id -> its slot (string) */
  xnode *n;
  size_t nn;
  char cache_dir[PATH_MAX], target[PATH_MAX];
  const char *remote;
  vsc_cache *cache;   /* NULL when the cache does not exist */
} xplan;

/* ---- what a node is ---------------------------------------------------------------- */

static const char *jstr(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* At most `max` bytes of s (never cutting a UTF-8 sequence), with "…" when cut. */
static void shorten(char *out, size_t len, const char *s, size_t max) {
  size_t n = strlen(s);
  if (n <= max) {
    snprintf(out, len, "%s", s);
    return;
  }
  while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80) max--;
  snprintf(out, len, "%.*s…", (int)max, s);
}

static void describe(xnode *x) {
  if (x->scene) snprintf(x->name, sizeof x->name, "scene %s", x->scene);
  else if (x->link[0]) snprintf(x->name, sizeof x->name, "transition %s", x->link);
  json_t *pa = json_object_get(x->node, "params");
  const char *kind = jstr(pa, "kind"), *model = jstr(x->node, "model");
  char sc[300] = "", s[200];
  if (x->scene) snprintf(sc, sizeof sc, "scene %s: ", x->scene);
  if (!strcmp(x->op, "generate")) {
    shorten(s, sizeof s, jstr(pa, "prompt") ? jstr(pa, "prompt") : "", 48);
    snprintf(x->what, sizeof x->what, "%s%s \"%s\"%s%s%s", sc, kind ? kind : "media", s,
             model ? " (" : "", model ? model : "", model ? ")" : "");
  } else if (!strcmp(x->op, "tts")) {
    shorten(s, sizeof s, jstr(pa, "text") ? jstr(pa, "text") : "", 48);
    snprintf(x->what, sizeof x->what, "%svoice \"%s\"%s%s%s", sc, s, model ? " (" : "",
             model ? model : "", model ? ")" : "");
  } else if (!strcmp(x->op, "animate")) {
    snprintf(x->what, sizeof x->what, "%s%s %g -> %g", sc, jstr(pa, "move") ? jstr(pa, "move") : "move",
             json_number_value(json_object_get(pa, "from")), json_number_value(json_object_get(pa, "to")));
  } else if (!strcmp(x->op, "segment") && x->link[0]) {
    snprintf(x->what, sizeof x->what, "transition %s, %s %gs", x->link,
             jstr(pa, "transition") ? jstr(pa, "transition") : "cut",
             json_number_value(json_object_get(pa, "duration")));
  } else if (!strcmp(x->op, "segment")) {
    snprintf(x->what, sizeof x->what, "scene %s", x->scene ? x->scene : "?");
  } else {
    static const char *const fixed[][2] = {{"concat", "the scenes joined"}, {"audio", "the soundtrack"},
                                           {"mux", "the video"}, {"captions", "the captions"}};
    const char *w = NULL;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
      if (!strcmp(x->op, fixed[i][0])) w = fixed[i][1];
    if (!w && !strcmp(x->op, "asset")) w = jstr(pa, "path");
    snprintf(x->what, sizeof x->what, "%s%s", sc, w ? w : x->op);
  }
  if (!x->name[0]) snprintf(x->name, sizeof x->name, "%.300s", x->what);
}

/* Names that hold across builds, for one plan's nodes (a JSON array): the slot is what a
 * node is, not its content: scene/op/kind, and "#n" for the n-th of several alike, so an
 * edited node matches its previous version. A transition names no scene: in a concat's
 * inputs it sits between the bodies of the two scenes it joins ("a -> b"). */
typedef struct {
  char slot[512];
  char link[256];
} xname;

static void link_concat(const json_t *nodes, const json_t *concat, const json_t *pos, xname *names) {
  const char *before = NULL;
  size_t pending[64], np = 0;
  const json_t *inputs = json_object_get(concat, "inputs");
  for (size_t k = 0; k <= json_array_size(inputs); k++) {
    json_t *ip = k < json_array_size(inputs) ? json_object_get(pos, json_string_value(json_array_get(inputs, k)) ? json_string_value(json_array_get(inputs, k)) : "") : NULL;
    json_t *in = ip ? json_array_get(nodes, (size_t)json_integer_value(ip)) : NULL;
    const char *op = in ? jstr(in, "op") : NULL;
    if (op && !strcmp(op, "segment") && !jstr(in, "scene")) {
      if (np < 64) pending[np++] = (size_t)json_integer_value(ip);
      continue;
    }
    for (size_t j = 0; j < np; j++)
      snprintf(names[pending[j]].link, sizeof names[pending[j]].link, "%s -> %s",
               before ? before : "start", in && jstr(in, "scene") ? jstr(in, "scene") : "end");
    np = 0;
    if (in && jstr(in, "scene")) before = jstr(in, "scene");
  }
}

static xname *name_nodes(const json_t *nodes) {
  size_t nn = json_array_size(nodes);
  xname *names = calloc(nn + 1, sizeof *names);
  json_t *pos = json_object(), *seen = json_object();
  for (size_t i = 0; i < nn; i++) {
    const char *id = jstr(json_array_get(nodes, i), "id");
    json_object_set_new(pos, id ? id : "", json_integer((json_int_t)i));
  }
  for (size_t i = 0; i < nn; i++) {
    json_t *node = json_array_get(nodes, i);
    if (jstr(node, "op") && !strcmp(jstr(node, "op"), "concat")) link_concat(nodes, node, pos, names);
  }
  for (size_t i = 0; i < nn; i++) {
    json_t *node = json_array_get(nodes, i);
    const char *kind = jstr(json_object_get(node, "params"), "kind"), *scene = jstr(node, "scene");
    char base[480];
    snprintf(base, sizeof base, "%s/%s/%s", scene ? scene : names[i].link, jstr(node, "op") ? jstr(node, "op") : "",
             kind ? kind : "");
    json_int_t k = json_integer_value(json_object_get(seen, base));
    json_object_set_new(seen, base, json_integer(k + 1));
    if (k) snprintf(names[i].slot, sizeof names[i].slot, "%s#%lld", base, (long long)k + 1);
    else snprintf(names[i].slot, sizeof names[i].slot, "%s", base);
  }
  json_decref(pos);
  json_decref(seen);
  return names;
}

/* ---- loading: the plan, its keys, the cache, the record ---------------------------- */

static int load_nodes(xplan *p) {
  json_t *nodes = json_object_get(p->ir, "nodes");
  p->nn = json_array_size(nodes);
  p->n = calloc(p->nn ? p->nn : 1, sizeof *p->n);
  p->byid = json_object();
  if (!p->n) return -1;
  for (size_t i = 0; i < p->nn; i++) {
    xnode *x = &p->n[i];
    x->node = json_array_get(nodes, i);
    x->id = jstr(x->node, "id");
    x->op = jstr(x->node, "op");
    x->scene = jstr(x->node, "scene");
    x->key = json_string_value(json_array_get(p->keys, i));
    x->reasons = json_array();
    json_t *inputs = json_object_get(x->node, "inputs");
    x->in = calloc(json_array_size(inputs) + 1, sizeof *x->in);
    for (size_t k = 0; k < json_array_size(inputs); k++) {
      json_t *pos = json_object_get(p->byid, json_string_value(json_array_get(inputs, k)));
      if (pos) x->in[x->nin++] = (size_t)json_integer_value(pos);
    }
    json_object_set_new(p->byid, x->id, json_integer((json_int_t)i));
  }
  xname *names = name_nodes(nodes);
  for (size_t i = 0; i < p->nn; i++) {
    memcpy(p->n[i].slot, names[i].slot, sizeof names[i].slot);
    memcpy(p->n[i].link, names[i].link, sizeof names[i].link);
    describe(&p->n[i]);
  }
  free(names);
  return 0;
}

/* The record's nodes by slot (named the same way) and by id. */
static void index_record(xplan *p) {
  p->prev_byslot = json_object();
  p->prev_byid = json_object();
  p->prev_slot = json_object();
  json_t *nodes = json_object_get(p->record, "nodes");
  if (!nodes) return;
  xname *names = name_nodes(nodes);
  for (size_t i = 0; i < json_array_size(nodes); i++) {
    json_t *node = json_array_get(nodes, i);
    json_object_set(p->prev_byslot, names[i].slot, node);
    if (jstr(node, "id")) json_object_set(p->prev_byid, jstr(node, "id"), node);
    if (jstr(node, "id")) json_object_set_new(p->prev_slot, jstr(node, "id"), json_string(names[i].slot));
  }
  free(names);
}

/* Every node's object, then the scheduler's demand pass: from the outputs backwards, a
 * node found (and verified) in the cache is done and its inputs are not needed. */
static void decide(xplan *p) {
  for (size_t i = 0; i < p->nn; i++) {
    xnode *x = &p->n[i];
    x->cache = p->cache && x->key ? vsc_cache_inspect(p->cache, x->key, &x->e, x->why, sizeof x->why)
                                  : VSC_CACHE_MISS;
  }
  const char *k;
  json_t *v;
  json_object_foreach(json_object_get(p->ir, "outputs"), k, v) {
    json_t *pos = json_string_value(v) ? json_object_get(p->byid, json_string_value(v)) : NULL;
    if (pos) p->n[json_integer_value(pos)].needed = true;
  }
  for (size_t i = p->nn; i-- > 0;) {
    xnode *x = &p->n[i];
    if (x->cache == VSC_CACHE_HIT) x->state = X_CACHED;
    else x->state = x->needed ? X_RUN : X_UNNEEDED;
    if (x->needed && x->cache != VSC_CACHE_HIT)
      for (size_t j = 0; j < x->nin; j++) p->n[x->in[j]].needed = true;
  }
}

/* ---- why: the node against the last build's node of the same slot ---------------- */

/* A reason {kind, text, ...more} appended to x->reasons; `more` is stolen. */
static void reason(xnode *x, const char *kind, json_t *more, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void reason(xnode *x, const char *kind, json_t *more, const char *fmt, ...) {
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
    json_object_foreach(b, k, v) if (!json_object_get(a, k)) json_array_append_new(keys, json_string(k));
    /* Sorted, so the order is the IR's canonical one. */
    size_t n = json_array_size(keys);
    const char **ks = calloc(n + 1, sizeof *ks);
    for (size_t i = 0; i < n; i++) ks[i] = json_string_value(json_array_get(keys, i));
    for (size_t i = 1; i < n; i++)
      for (size_t j = i; j > 0 && strcmp(ks[j - 1], ks[j]) > 0; j--) {
        const char *t = ks[j];
        ks[j] = ks[j - 1];
        ks[j - 1] = t;
      }
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

static const char *state_name(xstate s) {
  return s == X_CACHED ? "cached" : s == X_RUN ? "dirty" : "unneeded";
}

/* Inputs that are not what the last build used, matched by slot (so a scene added before
 * them does not shift them): dirty ones in the Ninja way ("input X is dirty"), then those
 * that changed but are cached (an undone edit), then the last build's inputs now gone. */
static int input_reasons(xplan *p, xnode *x, json_t *old) {
  json_t *unused = json_object(); /* the last build's input ids not matched yet */
  size_t k;
  json_t *v;
  json_array_foreach(json_object_get(old, "inputs"), k, v)
    if (json_is_string(v)) json_object_set_new(unused, json_string_value(v), json_true());
  int found = 0;
  for (k = 0; k < x->nin; k++) {
    xnode *in = &p->n[x->in[k]];
    json_t *was = json_object_get(p->prev_byslot, in->slot);
    const char *was_id = jstr(was, "id"), *was_key = jstr(was, "key");
    bool used = was_id && json_object_get(unused, was_id);
    if (used) json_object_del(unused, was_id);
    if (used && was_key && in->key && !strcmp(was_key, in->key)) continue;
    json_t *more = json_pack("{s:s, s:s, s:s, s:s}", "input", in->id, "op", in->op, "what", in->what, "state",
                             state_name(in->state));
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
static void explain_node(xplan *p, xnode *x) {
  if (x->state == X_CACHED) return;
  if (x->cache == VSC_CACHE_CORRUPT && !strcmp(x->why, "the object file is missing")) {
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
  const char *okey = jstr(old, "key"), *oid = jstr(old, "id"), *status = jstr(p->record, "status");
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
  const char *oprov = vsc_node_provider(old, jstr(p->record, "provider"));
  if (*prov && strcmp(prov, oprov) != 0) {
    reason(x, "provider-changed", json_pack("{s:s, s:s}", "old", oprov, "new", prov),
           "provider changed: %s -> %s", oprov, prov);
    n++;
  }
  n += input_reasons(p, x, old);
  if (!n) reason(x, "key-changed", json_pack("{s:s}", "previous", okey ? okey : ""),
                 "its cache key changed since the last build (%.10s -> %.10s)", okey ? okey : "-", x->key);
}

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
  printf("  %-9s%s%s\n", label, jstr(r, "text"), ch ? ":" : "");
  size_t i;
  json_t *c;
  json_array_foreach(ch, i, c) {
    if (i == EXPLAIN_MAX_CHANGES) {
      printf("             ... and %zu more (--json lists them all)\n", json_array_size(ch) - i);
      break;
    }
    char *a = show_value(json_object_get(c, "old"), json_object_get(c, "new"));
    char *b = show_value(json_object_get(c, "new"), json_object_get(c, "old"));
    printf("             %s: %s -> %s\n", jstr(c, "field"), a, b);
    free(a);
    free(b);
  }
}

static void print_node(const xnode *x) {
  printf("%s %.10s  %s\n", x->op, x->id, x->what);
  printf("  key      %s\n", x->key);
  if (x->state == X_CACHED) {
    const char *created = jstr(x->e.info, "created"), *prov = jstr(x->e.info, "provider");
    printf("  cached   %s\n           written %s%s%s\n", x->e.path, created ? created : "(time unknown)",
           prov ? " by " : "", prov ? prov : "");
    return;
  }
  if (x->state == X_UNNEEDED) printf("  unneeded the build skips it: every node that uses it is cached\n");
  size_t i;
  json_t *r;
  json_array_foreach(x->reasons, i, r) print_reason(i == 0 && x->state == X_RUN ? "dirty" : "", r);
}

static json_t *node_json(const xnode *x) {
  json_t *pa = json_object_get(x->node, "params");
  const char *prompt = jstr(pa, "prompt") ? jstr(pa, "prompt") : jstr(pa, "text");
  bool paid = !strcmp(x->op, "generate") || !strcmp(x->op, "tts");
  json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", x->id, "op", x->op, "what", x->what, "key",
                        x->key ? x->key : "", "state", state_name(x->state));
  json_object_set_new(o, "scene", x->scene ? json_string(x->scene) : json_null());
  json_object_set_new(o, "model", jstr(x->node, "model") ? json_string(jstr(x->node, "model")) : json_null());
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

static bool touches_scene(const xnode *x, const char *scene) {
  if (x->scene) return !strcmp(x->scene, scene);
  if (!x->link[0]) return false;
  size_t n = strlen(scene);
  const char *arrow = strstr(x->link, " -> ");
  return (arrow && (size_t)(arrow - x->link) == n && !strncmp(x->link, scene, n)) ||
         (arrow && !strcmp(arrow + 4, scene));
}

/* Marks the upstream nodes that are not cached, so a node's dirty inputs follow it. */
static void mark_upstream(xplan *p, size_t i, bool *pick) {
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
static int select_nodes(xplan *p, const xargs *a, bool *pick) {
  if (!a->target_arg) {
    for (size_t i = 0; i < p->nn; i++) pick[i] = a->all || p->n[i].state == X_RUN;
    return VSC_EXIT_OK;
  }
  const char *t = a->target_arg;
  json_t *scenes = json_object_get(p->ir, "scenes");
  size_t i, hits = 0;
  json_t *sc;
  json_array_foreach(scenes, i, sc) {
    if (!jstr(sc, "name") || strcmp(jstr(sc, "name"), t) != 0) continue;
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
    if (hex && (!strncmp(k, t, tl) || (jstr(v, "key") && !strncmp(jstr(v, "key"), t, tl)))) pid = k, hits++;
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
    const char *name = jstr(sc, "name");
    size_t d = name ? edit_distance(t, name) : 99;
    if (d < bd) best = name, bd = d;
  }
  fprintf(stderr, "vsc: %s has no scene or node '%s'", a->script, t);
  if (best) fprintf(stderr, "; did you mean scene '%s'?\n", best);
  else {
    fprintf(stderr, " (scenes:");
    json_array_foreach(scenes, i, sc) fprintf(stderr, "%s %s", i ? "," : "", jstr(sc, "name"));
    fprintf(stderr, "; or the first digits of a node id, as 'vsc explain %s --all' lists them)\n", a->script);
  }
  return VSC_EXIT_USAGE;
}

/* ---- the command ------------------------------------------------------------------ */

static int parse_args(xargs *a, int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
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

/* Compiles the script as `vsc build` would and finds its cache, target and record. */
static int load(xplan *p, const xargs *a) {
  if (a->cache_arg) snprintf(p->cache_dir, sizeof p->cache_dir, "%s", a->cache_arg);
  else {
    const char *slash = strrchr(a->script, '/');
    if (slash) snprintf(p->cache_dir, sizeof p->cache_dir, "%.*s/.vsc", (int)(slash - a->script), a->script);
    else snprintf(p->cache_dir, sizeof p->cache_dir, ".vsc");
  }
  struct stat st;
  bool have_cache = stat(p->cache_dir, &st) == 0 && S_ISDIR(st.st_mode);
  vsc_compile_options copts = VSC_COMPILE_OPTIONS_INIT;
  copts.cache_dir = have_cache ? p->cache_dir : NULL; /* the same plan; nothing created */
  copts.preview = a->preview;
  copts.quality = a->quality;
  int rc = cli_compile(&p->ir, a->script, false, 20, &copts);
  if (rc != VSC_EXIT_OK || !p->ir) return rc != VSC_EXIT_OK ? rc : VSC_EXIT_INTERNAL;
  char out[PATH_MAX];
  if (a->output) snprintf(out, sizeof out, "%s", a->output);
  else {
    cli_default_output(a->script, out, sizeof out);
    size_t n = strlen(out);
    if (a->preview && n > 4) snprintf(out + n - 4, sizeof out - (n - 4), ".preview.mp4");
  }
  cli_build_target(out, p->target);
  p->remote = cli_remote_name(p->ir, a->provider);
  p->keys = vsc_plan_keys(p->ir, p->remote);
  char err[512];
  /* Never created here: a missing cache means nothing was built. */
  if (have_cache && vsc_cache_open(&p->cache, p->cache_dir, err, sizeof err) != 0)
    p->cache = NULL;
  if (p->cache) p->record = vsc_record_read(p->cache_dir, p->target);
  if (load_nodes(p) != 0) return VSC_EXIT_INTERNAL;
  index_record(p);
  return VSC_EXIT_OK;
}

static void free_plan(xplan *p) {
  for (size_t i = 0; p->n && i < p->nn; i++) {
    free(p->n[i].in);
    vsc_cache_entry_clear(&p->n[i].e);
    json_decref(p->n[i].reasons);
  }
  free(p->n);
  json_decref(p->ir);
  json_decref(p->keys);
  json_decref(p->record);
  json_decref(p->byid);
  json_decref(p->prev_byslot);
  json_decref(p->prev_byid);
  json_decref(p->prev_slot);
  if (p->cache) vsc_cache_close(p->cache);
}

/* Dollars the remote nodes that will run may cost at most (the budget's worst case). */
static double to_spend(const xplan *p) {
  double sum = 0;
  for (size_t i = 0; i < p->nn; i++) {
    const char *prov = vsc_node_provider(p->n[i].node, p->remote);
    if (p->n[i].state == X_RUN && *prov && strcmp(prov, "local") != 0)
      sum += json_number_value(json_object_get(json_object_get(p->n[i].node, "cost"), "max"));
  }
  return sum;
}

static void print_header(const xplan *p, size_t run, size_t cached, size_t unneeded) {
  printf("%s: %zu of %zu nodes to run, %zu cached", p->target, run, p->nn, cached);
  if (unneeded) printf(", %zu not needed", unneeded);
  printf(" (provider %s", p->remote);
  if (strcmp(p->remote, "local") != 0) printf(", up to $%.2f to spend", to_spend(p));
  printf(")\n");
  if (p->record) {
    printf("last build: %s, provider %s, recorded %s\n", jstr(p->record, "status"), jstr(p->record, "provider"),
           jstr(p->record, "recorded") ? jstr(p->record, "recorded") : "?");
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
  xplan p = {0};
  int rc = load(&p, &a);
  if (rc != VSC_EXIT_OK) {
    free_plan(&p);
    return rc;
  }
  decide(&p);
  size_t run = 0, cached = 0, unneeded = 0;
  for (size_t i = 0; i < p.nn; i++) {
    explain_node(&p, &p.n[i]);
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
      fprintf(stderr, "vsc: cannot encode the explanation as JSON\n");
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
  free_plan(&p);
  return rc;
}
