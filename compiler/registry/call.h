/*
** call.h — the resolved provider call of a paid node (registry stage, used by the planner).
**
** Everything the runtime needs to spend money on one model is decided here, once, and
** written into the IR: the model, the version that runs (pinned or floating), the exact
** provider input object (the model's own input names, every declared default made explicit,
** local files as {"$input": K} references to the node's K-th input) and the price rule.
** docs/ir.md ("call") is the reference.
*/
#ifndef VSC_REGISTRY_CALL_H
#define VSC_REGISTRY_CALL_H

#include "check/check.h"

/* What one generate or tts node asks of whatever model runs it. */
typedef struct {
  const json_t *params; /* the node's generic params (prompt, negative, seed, text, voice, …) */
  const json_t *with;   /* the script's `with {…}` values meant for `with_model`, or NULL */
  const vsc_model_decl *with_model;
  const json_t *files; /* model input name -> index in the node's inputs (file parameters) */
  double seconds;      /* length of output the scene needs (0 for images and speech) */
  size_t characters;   /* characters of text to speak (tts) */
} vsc_call_need;

/* The length asked of model m for a shot of `need` seconds: the nearest it can make that is
 * not shorter, else its longest. */
double vsc_call_duration(const vsc_model_decl *m, double need);

/* The price rule of m for this need. */
void vsc_call_price(vsc_price *out, const vsc_model_decl *m, const vsc_call_need *need);

/* The call object of model m (a new reference). `version` is the pinned version or NULL
 * (floating: the provider runs its latest). */
json_t *vsc_call_json(const vsc_model_decl *m, const vsc_call_need *need, const char *version);

#endif
