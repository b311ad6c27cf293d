/*
** Review renders (compiler, plan stage): the IR of a part of a video, for `vsc build
** --scene NAME` and `--range 10s-20s` (docs/cli.md). The part is made from the very nodes
** of the full plan: segments that lie inside it are used whole (same ids, so the same cache
** objects), the one or two it cuts through are trimmed (`trim` nodes), and the sound track
** is the full mix trimmed to the same frames. So a part rendered after a full build calls no
** provider and renders only its trims, and a full build after a part reuses everything the
** part made.
*/
#ifndef VSC_SUBSET_H
#define VSC_SUBSET_H

#include <stddef.h>

typedef struct json_t json_t;

/* A stretch of the timeline, seconds: [start, end). */
typedef struct {
  double start, end;
} vsc_range;

/* The IR (borrowed, valid) cut to `ranges` (n >= 1; any order; overlapping ones are merged;
** each is rounded to the video's frames and must lie inside [0, video.length]). The result
** keeps root, video (with `length` the part's length and `part`: the ranges it shows, in
** timeline seconds) and budget; `scenes` lists the scenes the part shows (their timeline
** times unchanged), `nodes` only what the part needs, `outputs` only the video (caption
** sidecars are left out: their times are the full video's) and `estimated_cost` their sum.
** Returns a new reference, or NULL with a message in err (a range outside the video, a plan
** whose output is not mux(concat(segments), audio)). */
json_t *vsc_ir_subset(const json_t *ir, const vsc_range *ranges, size_t n, char *err, size_t errlen);

/* Sorts `ranges` by start and merges those that overlap or touch, in place; returns the new
** count. */
size_t vsc_range_merge(vsc_range *ranges, size_t n);

#endif
