/*
** Review aids of `vsc build` and `vsc plan` (docs/cli.md): --scene NAME and --range A-B
** render or price a part of the video from the full plan's own nodes (build_review.c),
** and --sheet draws a contact sheet beside the video (build_sheet.c).
*/
#ifndef VSC_CLI_REVIEW_H
#define VSC_CLI_REVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "cli.h"

#define CLI_REVIEW_MAX 32

typedef struct {
  const char *scenes[CLI_REVIEW_MAX]; /* --scene values (each may be a comma list) */
  size_t nscenes;
  const char *ranges[CLI_REVIEW_MAX]; /* --range values */
  size_t nranges;
  bool sheet; /* --sheet */
} cli_review;

/* Consumes argv[*i] (and its value) if it is --scene, --range or (when allow_sheet) --sheet:
 * 0 taken, 1 not ours, -1 bad (missing value, too many). */
int cli_review_parse(cli_review *r, int argc, char **argv, int *i, bool allow_sheet);
/* Whether a part was asked for. */
bool cli_review_part(const cli_review *r);
/* Inserts the part's name before the extension of a default output: "ad.mp4" ->
 * "ad.scene-hero.mp4", "ad.10s-20s.mp4", "ad.scene-hero+outro.10s-20s.mp4". */
void cli_review_output(const cli_review *r, char *out, size_t len);
/* Replaces *ir by the IR of the part (vsc_ir_subset). Prints "vsc: SCRIPT: ..." for an
 * unknown scene (did you mean), a bad or out-of-range --range, and returns an exit code. */
int cli_review_subset(json_t **ir, const cli_review *r, const char *script);

/* Whether a sheet can go beside the video `dest` will receive (not a stream): prints why not
 * and returns VSC_EXIT_USAGE, else VSC_EXIT_OK. Checked before anything runs. */
int cli_sheet_check(const cli_output *dest);
/* Draws the contact sheet of the video `dest` received (OUT.mp4 -> OUT.sheet.png) from the
 * IR it was built from (a part's IR shows the part's scenes). Prints what it wrote or why
 * not; returns an exit code (VSC_EXIT_RUNTIME when no sheet could be made). */
int cli_build_sheet(const json_t *ir, cli_output *dest, const char *cache_dir, const char *provider, bool quiet);

#endif
