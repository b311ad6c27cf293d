/* The planner: checked specs -> a concrete timeline, chosen models, cost estimates and the
 * plan graph (IR). It may still report errors that need the whole timeline (durations that
 * do not fit, transitions longer than scenes, a budget too small). */
#ifndef VSC_PLAN_H
#define VSC_PLAN_H

#include "check/check.h"

/* Returns 0 and a new IR document in *out, or -1 with diagnostics. */
int vsc_plan(vsc_session *s, vsc_video_spec *v, json_t **out);

#endif
