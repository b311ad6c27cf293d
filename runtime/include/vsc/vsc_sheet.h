/*
** Contact sheets (runtime, compositor stage; `vsc build --sheet`, docs/cli.md): one frame
** per scene taken from a rendered video, in a grid, each labelled, under a header. Drawn
** with libavfilter (movie, select, scale, tile) and the project's libass layout (media/text),
** into a PNG. The video is decoded once, front to back: memory does not grow with it.
**
** Ownership: every string is borrowed for the call.
*/
#ifndef VSC_SHEET_H
#define VSC_SHEET_H

#include <stddef.h>

#include "vsc/vsc_op.h"

/* Label lines of a cell: the scene, its times, its model and cost. */
#define VSC_SHEET_LINES 3

typedef struct {
  double t;                           /* time in the video of the frame shown (seconds) */
  const char *lines[VSC_SHEET_LINES]; /* label lines, top to bottom (NULL: none) */
} vsc_sheet_cell;

typedef struct {
  const char *video; /* the rendered video the frames are taken from */
  int width, height; /* its frame size */
  int fps;           /* its frame rate: a cell shows frame round(t * fps) */
  const char *title; /* header, first line (large) */
  const char *info;  /* header, second line */
  const vsc_sheet_cell *cells;
  size_t ncells; /* 1..VSC_SHEET_MAX_CELLS */
} vsc_sheet_spec;

#define VSC_SHEET_MAX_CELLS 400

/* Where everything goes, in pixels of the sheet. A thumbnail is 480 px wide (landscape and
** square videos) or 480 px tall (portrait); columns: up to 4 (landscape, square) or 6
** (portrait); cell i is at column i % cols, row i / cols. */
typedef struct {
  int width, height; /* the sheet */
  int cols, rows;
  int thumb_w, thumb_h; /* a scene's frame */
  int label_h;          /* the label band under each frame */
  int margin;           /* around and between cells */
  int header_h;         /* the header band at the top */
} vsc_sheet_geometry;

void vsc_sheet_layout(int video_w, int video_h, size_t ncells, vsc_sheet_geometry *g);
/* The top-left corner of cell i's frame (its label band is right below it). */
void vsc_sheet_cell_origin(const vsc_sheet_geometry *g, size_t i, int *x, int *y);

/* Draws the sheet into out_png. Returns 0, or -1 with *err set (VSC_FAIL_INPUT: the video
** cannot be read; VSC_FAIL_LOCAL otherwise). */
int vsc_comp_sheet(const vsc_sheet_spec *spec, const char *out_png, vsc_op_error *err);

#endif
