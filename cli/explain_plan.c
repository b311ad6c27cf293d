/*
** `vsc explain`, the plan side: what each node is (words for people, and the slot that
** matches it with its previous version in the last build), and what the next build would
** do with it, decided as the scheduler's demand pass decides.
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"

/* ---- what a node is ---------------------------------------------------------------- */

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

static void describe(cli_xnode *x) {
  if (x->scene) snprintf(x->name, sizeof x->name, "scene %s", x->scene);
  else if (x->link[0]) snprintf(x->name, sizeof x->name, "transition %s", x->link);
  json_t *pa = json_object_get(x->node, "params");
  const char *kind = cli_explain_str(pa, "kind"), *model = cli_explain_str(x->node, "model");
  char sc[300] = "", s[200];
  if (x->scene) snprintf(sc, sizeof sc, "scene %s: ", x->scene);
  if (!strcmp(x->op, "generate")) {
    shorten(s, sizeof s, cli_explain_str(pa, "prompt") ? cli_explain_str(pa, "prompt") : "", 48);
    snprintf(x->what, sizeof x->what, "%s%s \"%s\"%s%s%s", sc, kind ? kind : "media", s,
             model ? " (" : "", model ? model : "", model ? ")" : "");
  } else if (!strcmp(x->op, "tts")) {
    shorten(s, sizeof s, cli_explain_str(pa, "text") ? cli_explain_str(pa, "text") : "", 48);
    snprintf(x->what, sizeof x->what, "%svoice \"%s\"%s%s%s", sc, s, model ? " (" : "",
             model ? model : "", model ? ")" : "");
  } else if (!strcmp(x->op, "align")) {
    shorten(s, sizeof s, cli_explain_str(pa, "text") ? cli_explain_str(pa, "text") : "", 48);
    snprintf(x->what, sizeof x->what, "%sword times of \"%s\"", sc, s);
  } else if (!strcmp(x->op, "animate")) {
    snprintf(x->what, sizeof x->what, "%s%s %g -> %g", sc, cli_explain_str(pa, "move") ? cli_explain_str(pa, "move") : "move",
             json_number_value(json_object_get(pa, "from")), json_number_value(json_object_get(pa, "to")));
  } else if (!strcmp(x->op, "segment") && x->link[0]) {
    snprintf(x->what, sizeof x->what, "transition %s, %s %gs", x->link,
             cli_explain_str(pa, "transition") ? cli_explain_str(pa, "transition") : "cut",
             json_number_value(json_object_get(pa, "duration")));
  } else if (!strcmp(x->op, "segment")) {
    snprintf(x->what, sizeof x->what, "scene %s", x->scene ? x->scene : "?");
  } else {
    static const char *const fixed[][2] = {{"concat", "the scenes joined"}, {"audio", "the soundtrack"}, {"mux", "the video"}, {"captions", "the captions"}};
    const char *w = NULL;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
      if (!strcmp(x->op, fixed[i][0])) w = fixed[i][1];
    if (!w && !strcmp(x->op, "asset")) w = cli_explain_str(pa, "path");
    snprintf(x->what, sizeof x->what, "%s%s", sc, w ? w : x->op);
  }
  if (!x->name[0]) snprintf(x->name, sizeof x->name, "%.300s", x->what);
}

/* Names that hold across builds, for one plan's nodes (a JSON array): the slot is what a
 * node is, not its content: scene/op/kind, and "#n" for the n-th of several alike, so an
 * edited node matches its previous version. A transition names no scene but the two it
 * joins ("a -> b"): its `between`, or in an IR without it (another tool's, a record of an
 * older build) the scenes of the bodies around it in a concat's inputs. */
typedef struct {
  char slot[512];
  char link[256];
} xname;

/* The node `inputs[k]` of a concat names, or NULL. */
static json_t *concat_input(const json_t *nodes, const json_t *inputs, size_t k, const json_t *pos, size_t *at) {
  const char *id = json_string_value(json_array_get(inputs, k));
  json_t *ip = id ? json_object_get(pos, id) : NULL;
  if (!ip) return NULL;
  *at = (size_t)json_integer_value(ip);
  return json_array_get(nodes, *at);
}

static void link_concat(const json_t *nodes, const json_t *concat, const json_t *pos, xname *names) {
  const json_t *inputs = json_object_get(concat, "inputs");
  size_t n = json_array_size(inputs), at = 0, next_at = 0;
  const char *before = "start";
  for (size_t k = 0; k < n; k++) {
    json_t *in = concat_input(nodes, inputs, k, pos, &at);
    const char *scene = cli_explain_str(in, "scene"), *op = cli_explain_str(in, "op");
    if (scene) before = scene;
    if (scene || !op || strcmp(op, "segment") != 0 || names[at].link[0]) continue;
    const char *after = "end";
    for (size_t j = k + 1; j < n && !strcmp(after, "end"); j++) {
      json_t *next = concat_input(nodes, inputs, j, pos, &next_at);
      if (cli_explain_str(next, "scene")) after = cli_explain_str(next, "scene");
    }
    snprintf(names[at].link, sizeof names[at].link, "%s -> %s", before, after);
  }
}

static xname *name_nodes(const json_t *nodes) {
  size_t nn = json_array_size(nodes);
  xname *names = calloc(nn + 1, sizeof *names);
  json_t *pos = json_object(), *seen = json_object();
  for (size_t i = 0; i < nn; i++) {
    const char *id = cli_explain_str(json_array_get(nodes, i), "id");
    json_object_set_new(pos, id ? id : "", json_integer((json_int_t)i));
  }
  for (size_t i = 0; i < nn; i++) {
    const json_t *between = json_object_get(json_array_get(nodes, i), "between");
    const char *from = json_string_value(json_array_get(between, 0)), *to = json_string_value(json_array_get(between, 1));
    if (from && to) snprintf(names[i].link, sizeof names[i].link, "%s -> %s", from, to);
  }
  for (size_t i = 0; i < nn; i++) {
    json_t *node = json_array_get(nodes, i);
    if (cli_explain_str(node, "op") && !strcmp(cli_explain_str(node, "op"), "concat")) link_concat(nodes, node, pos, names);
  }
  for (size_t i = 0; i < nn; i++) {
    json_t *node = json_array_get(nodes, i);
    const char *kind = cli_explain_str(json_object_get(node, "params"), "kind"), *scene = cli_explain_str(node, "scene");
    char base[480];
    snprintf(base, sizeof base, "%s/%s/%s", scene ? scene : names[i].link, cli_explain_str(node, "op") ? cli_explain_str(node, "op") : "",
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

int cli_explain_load_nodes(cli_xplan *p) {
  json_t *nodes = json_object_get(p->ir, "nodes");
  p->nn = json_array_size(nodes);
  p->n = calloc(p->nn ? p->nn : 1, sizeof *p->n);
  p->byid = json_object();
  if (!p->n) return -1;
  for (size_t i = 0; i < p->nn; i++) {
    cli_xnode *x = &p->n[i];
    x->node = json_array_get(nodes, i);
    x->id = cli_explain_str(x->node, "id");
    x->op = cli_explain_str(x->node, "op");
    x->scene = cli_explain_str(x->node, "scene");
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
void cli_explain_index_record(cli_xplan *p) {
  p->prev_byslot = json_object();
  p->prev_byid = json_object();
  p->prev_slot = json_object();
  json_t *nodes = json_object_get(p->record, "nodes");
  if (!nodes) return;
  xname *names = name_nodes(nodes);
  for (size_t i = 0; i < json_array_size(nodes); i++) {
    json_t *node = json_array_get(nodes, i);
    json_object_set(p->prev_byslot, names[i].slot, node);
    if (cli_explain_str(node, "id")) json_object_set(p->prev_byid, cli_explain_str(node, "id"), node);
    if (cli_explain_str(node, "id")) json_object_set_new(p->prev_slot, cli_explain_str(node, "id"), json_string(names[i].slot));
  }
  free(names);
}

/* Every node's object, then the scheduler's demand pass: from the outputs backwards, a
 * node found (and verified) in the cache is done and its inputs are not needed. */
void cli_explain_decide(cli_xplan *p) {
  for (size_t i = 0; i < p->nn; i++) {
    cli_xnode *x = &p->n[i];
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
    cli_xnode *x = &p->n[i];
    if (x->cache == VSC_CACHE_HIT) x->state = X_CACHED;
    else x->state = x->needed ? X_RUN : X_UNNEEDED;
    if (x->needed && x->cache != VSC_CACHE_HIT)
      for (size_t j = 0; j < x->nin; j++) p->n[x->in[j]].needed = true;
  }
}

void cli_explain_free(cli_xplan *p) {
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
