/* The contract between the scheduler and whatever executes one plan-graph node
 * (compositor, local provider, replicate provider). See docs/ir.md for params. */
#ifndef VSC_OP_H
#define VSC_OP_H

#include <stddef.h>

typedef struct json_t json_t;

/* Why a node failed; the scheduler decides what to do from this. */
typedef enum {
  VSC_FAIL_NONE = 0,
  VSC_FAIL_TRANSIENT,  /* network, timeout, 429, 5xx: retry with backoff */
  VSC_FAIL_POLICY,     /* content-policy refusal: reseed or fall back */
  VSC_FAIL_INPUT,      /* invalid input (422, a corrupt clip): do not retry */
  VSC_FAIL_AUTH,       /* 401/402/403, out of credit: stop the build */
  VSC_FAIL_LOCAL,      /* a local error (disk, encoder, bug) */
  VSC_FAIL_CANCELED,   /* interrupted by the user or a deadline */
  VSC_FAIL_RATE,       /* the account stayed rate limited (429) too long: stop starting calls;
                         never a reason to switch models (limits are per account) */
  VSC_FAIL_DISK,       /* the output could not be stored (disk full, unwritable cache): stop
                         spending; a paid prediction stays journaled for the next run */
  VSC_FAIL_UNRESOLVED, /* the prediction exists but its outcome could not be learnt before its
                         deadline: no new create for it; the next run re-attaches */
  VSC_FAIL_ABSENT,     /* re-attach by listing proved the call was never created: nothing was
                         paid, the call may be sent */
} vsc_fail_kind;

typedef struct {
  vsc_fail_kind kind;
  double retry_after; /* seconds the provider asked us to wait, or 0 */
  char msg[512];      /* one line, lower-case, no secrets */
} vsc_op_error;

/* Executes one node. `node` is the whole IR node object (borrowed): op, params, model.
 * inputs[i] is the file produced by the node's i-th input. The output is written to
 * `out_path` (a temporary path the cache renames into place on success; on failure the
 * executor may leave a partial file, which the cache deletes). Returns 0 or -1 with *err set. */
typedef int (*vsc_op_fn)(const json_t *node, const char *const *inputs, size_t ninputs,
                         const char *out_path, vsc_op_error *err);

/* Sets err (printf-style) and returns -1. */
int vsc_op_fail(vsc_op_error *err, vsc_fail_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
