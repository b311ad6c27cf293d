/*
** Internal header of `vsc explain` (cmd_explain.c): the plan as explain sees it. Each node
** knows what it is (explain_plan.c: its slot, the stable name that matches it with the last
** build's node, and words for people), what the build would do with it, and why
** (explain_why.c: reasons against the build record).
*/
#ifndef VSC_CLI_EXPLAIN_H
#define VSC_CLI_EXPLAIN_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "vsc/vsc_runtime.h"

typedef enum { X_CACHED,
               X_RUN,
               X_UNNEEDED } cli_xstate;

typedef struct {
  json_t *node;                /* borrowed from the IR */
  const char *id, *op, *scene; /* scene: NULL for nodes of no one scene */
  const char *key;             /* borrowed from the keys array */
  char slot[512];              /* stable name across builds: scene/op/kind[#n] (matches the record) */
  char what[640];              /* what it is, for people */
  char name[320];              /* the short of it, where an input is named: "scene X", "transition a -> b" */
  char link[256];              /* a transition: "a -> b" (the scenes it joins) */
  size_t *in, nin;             /* input node indices */
  int cache;                   /* VSC_CACHE_HIT / MISS / CORRUPT (or -1 on an I/O error) */
  char why[320];               /* CORRUPT: what is wrong */
  vsc_cache_entry e;           /* HIT/CORRUPT: the index entry */
  bool needed;                 /* the build would look at it (demand pass) */
  cli_xstate state;
  json_t *reasons; /* array of {kind, text, ...} */
} cli_xnode;

typedef struct {
  json_t *ir, *keys, *record;      /* owned */
  json_t *byid;                    /* id -> index */
  json_t *prev_byslot, *prev_byid; /* slot/id -> the record's node (borrowed from record) */
  json_t *prev_slot;               /* the record's node id -> its slot (string) */
  cli_xnode *n;
  size_t nn;
  char cache_dir[PATH_MAX], target[PATH_MAX];
  const char *remote;
  vsc_cache *cache; /* NULL when the cache does not exist */
} cli_xplan;

static inline const char *cli_explain_str(const json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

/* explain_plan.c */
/* Fills p->n from p->ir and p->keys: inputs, slots, words (0, or -1 out of memory). */
int cli_explain_load_nodes(cli_xplan *p);
/* Indexes p->record's nodes by slot and id (an empty index without a record). */
void cli_explain_index_record(cli_xplan *p);
/* Inspects every node's object and runs the scheduler's demand pass: sets state. */
void cli_explain_decide(cli_xplan *p);
void cli_explain_free(cli_xplan *p);

/* explain_why.c */
/* Fills x->reasons: why a node that is not cached is not (nothing for a cached one). */
void cli_explain_why(cli_xplan *p, cli_xnode *x);
/* "cached", "dirty", "unneeded". */
const char *cli_explain_state_name(cli_xstate s);

#endif
