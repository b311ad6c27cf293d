/*
** vsc_ops.h — the plan-graph ops as data (the rows of vsc_ops.def), for every layer that
** must know what an op is: the IR validator (params shape), the scheduler (who runs it, the
** object's extension), cache keys (which ops name a provider), `vsc plan` and `vsc graph`
** (which ops are paid). The CLI expands the executor column itself (cli/cmd_run.c). Code that used to compare op
** names asks this table instead, so adding an op is one row.
**
** Everything returned is static (never freed). Lookups are a linear scan of a handful of
** rows: cheap next to anything a node does.
*/
#ifndef VSC_OPS_H
#define VSC_OPS_H

#include <stdbool.h>

typedef struct json_t json_t;

/* One id per row: VSC_OPID_asset, VSC_OPID_generate, ... */
typedef enum {
#define VSC_OP(name, kind, output, ext, executor, params) VSC_OPID_##name,
#include "vsc/vsc_ops.def"
#undef VSC_OP
  VSC_OPID_COUNT
} vsc_op_id;

typedef enum {
  VSC_OPKIND_LOCAL,    /* run by the scheduler itself */
  VSC_OPKIND_PROVIDER, /* a generation: a provider call (remote, paid) or a local/ model */
  VSC_OPKIND_CPU,      /* a compositor executor on the CPU pool */
} vsc_op_kind;

typedef struct {
  vsc_op_id id;
  const char *name; /* the IR's op string */
  vsc_op_kind kind;
  const char *output; /* "video" | "audio" | "image" | "text" | "media" */
  const char *ext;    /* object extension, NULL when the params decide */
  const char *params; /* params shape (see vsc_ops.def) */
} vsc_op_info;

/* The row of op `name`, or NULL for an unknown op (or NULL name). */
const vsc_op_info *vsc_ops_find(const char *name);
/* The row of an id (never NULL for id < VSC_OPID_COUNT). */
const vsc_op_info *vsc_ops_get(vsc_op_id id);
/* True when `name` is a generation op (kind PROVIDER): the ops a plan prices, a cache key
 * tags with its provider and a manifest lists. */
bool vsc_ops_is_provider(const char *name);
/* True when `name` is the op `id` (a NULL or unknown name is no op). */
bool vsc_ops_is(const char *name, vsc_op_id id);
/* The cache object's extension of an IR node, lower-case, no dot: the row's, or from the
 * params (an asset's file name, a generation's kind). Unknown ops and odd names give "bin"
 * for assets and "mp4" otherwise. Writes into buf when it must build the name. */
const char *vsc_ops_ext(const json_t *node, char buf[12]);

#endif
