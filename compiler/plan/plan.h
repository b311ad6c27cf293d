/* The planner: checked specs -> a concrete timeline, chosen models, cost estimates and the
 * plan graph (IR). It may still report errors that need the whole timeline (durations that
 * do not fit, transitions longer than scenes, a budget too small). */
#ifndef VSC_PLAN_H
#define VSC_PLAN_H

#include "check/check.h"

/* Returns 0 and a new IR document in *out, or -1 with diagnostics. */
int vsc_plan(vsc_session *s, vsc_video_spec *v, json_t **out);

/* Several formats (plan/formats.c): one plan per checked video in one graph, so the work
** they share is one node; the IR lists every format's outputs and cost (docs/ir.md). A lone
** video without `formats` gives exactly vsc_plan's IR. */
int vsc_plan_formats(vsc_session *s, vsc_video_spec *videos, int n, json_t **out);

/* Captions (plan/captions.c): every voice line's words timed on the timeline, as the IR
** caption object with all cues (new reference), or NULL without `captions`. aligns[k] is the
** `align` node of voice line k (scene lines in order, then the video's), or NULL when
** espeak-ng's word times are the truth (the local voice); aligns may be NULL. The cues of an
** aligned line carry "align": {"id", "at", "word", "next", "until"} (docs/ir.md). */
json_t *vsc_plan_captions(vsc_video_spec *v, const char *const *aligns);
/* Adds to layer.texts the caption object with the cues shown in [t0, t0 + dur), in the time
** of the scene that starts at scene_start (nothing when burning in is off). The align nodes
** its aligned cues name are appended to inputs[*ninputs] (room for every align node) and
** the cues refer to them by index. */
void vsc_plan_captions_layer(const json_t *captions, json_t *layer, double scene_start, double t0, double dur,
                             const char **inputs, int *ninputs);
/* The caption cues of a sidecar (new reference): aligned cues name their align node by
** index into inputs, filled as for vsc_plan_captions_layer. */
json_t *vsc_plan_captions_sidecar(const json_t *captions, const char **inputs, int *ninputs);

#endif
