/*
** vsc_replicate.h — the Replicate provider's own API, beyond the vsc_provider vtable that
** vsc_replicate_provider_new() (vsc/vsc_provider.h) returns.
**
** Environment: REPLICATE_API_TOKEN (never printed, logged or written anywhere),
** REPLICATE_API_BASE or VSC_REPLICATE_URL (default https://api.replicate.com/v1; with or
** without the trailing /v1), VSC_REPLICATE_WAIT (Prefer: wait seconds, 1–60, default 60),
** VSC_REPLICATE_CANCEL_AFTER (Cancel-After value sent with every create, default none),
** VSC_REPLICATE_STALL (seconds without a byte before a transfer counts as stalled, default 30),
** VSC_REPLICATE_DEADLINE (seconds a known prediction is followed through outages before it is
** left for the next run, default 3600), VSC_REPLICATE_THROTTLE_LIMIT (seconds of continuous
** 429s before the build stops, default 1800).
*/
#ifndef VSC_REPLICATE_H
#define VSC_REPLICATE_H

#include <stddef.h>

#include "vsc/vsc_op.h"

/* Fetches a model (GET /v1/models/{owner}/{name}) and returns its latest version's
 * openapi_schema as a new reference in *schema, the version id in version[65] (may be "").
 * Blocking; for `vsc models pull`. Returns 0 or -1 with *err (kind AUTH, INPUT for an
 * unknown model, TRANSIENT for network trouble). */
int vsc_replicate_model_schema(json_t **schema, char version[65], const char *model,
                               vsc_op_error *err);

/* Classifies an HTTP status of a Replicate API answer. */
vsc_fail_kind vsc_replicate_http_kind(long status);
/* Classifies the `error` text of a failed prediction: content policy (NSFW, "flagged as
 * sensitive", E005, safety) → POLICY; input validation → INPUT; else TRANSIENT. */
vsc_fail_kind vsc_replicate_error_kind(const char *error);
/* Seconds to wait from a Retry-After value (delta-seconds or an HTTP date), or -1. */
double vsc_replicate_retry_after(const char *value);

#endif
