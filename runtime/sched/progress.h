/*
** Progress output of a run (internal to runtime/sched).
*/
#ifndef VSC_PROGRESS_H
#define VSC_PROGRESS_H

#include <stdlib.h>

#include "sched.h"

typedef struct vsc_progress vsc_progress;

/* AUTO picks TTY when `out` is a terminal. Caller frees with vsc_progress_free. */
vsc_progress *vsc_progress_new(vsc_progress_mode mode, FILE *out);
vsc_progress_mode vsc_progress_get_mode(const vsc_progress *pg);
/* Reports an event {"event": "start"|"node"|"warning"|"note"|"end", …}; steals `ev`. */
void vsc_progress_event(vsc_progress *pg, json_t *ev);
/* Where a node is in the picture, as progress lines say it: " scene sunrise", a transition's
 * " transition sunrise -> pour", or "" (no scene, or NULL `to`). */
void vsc_progress_place(char *buf, size_t len, const char *scene, const char *from, const char *to);
/* Redraws the TTY status line (at most 10 times a second unless `force`): nodes, seconds of
 * picture composed of `video_total` (left out when 0), money, time. */
void vsc_progress_status(vsc_progress *pg, int done, int running, int queued, double video_done,
                         double video_total, double spent, double budget, bool force);
void vsc_progress_free(vsc_progress *pg);

#endif
