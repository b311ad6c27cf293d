/* Sources and diagnostics. Positions are byte offsets into a source; line and column are
 * computed only when a diagnostic is reported (1-based; columns count bytes). */
#ifndef VSC_DIAG_H
#define VSC_DIAG_H

#include <stdint.h>

#include "vsc/vsc.h"

typedef struct {
  uint32_t off, len;
} vsc_span;

/* A script or module text. Owns nothing: name and text belong to the compile session. */
typedef struct vsc_source {
  const char *name; /* as shown in diagnostics, e.g. "examples/ad.vscript" or "std/models" */
  const char *text; /* NUL-terminated */
  uint32_t len;
  uint32_t *line_starts; /* built on first use (heap; freed by vsc_source_free_lines) */
  uint32_t nlines;
  uint32_t line_base; /* lines before `text` in the file it comes from (a batch row: its record) */
} vsc_source;

void vsc_source_position(vsc_source *src, uint32_t off, uint32_t *line, uint32_t *col);
void vsc_source_free_lines(vsc_source *src);

/* Records a diagnostic. `hint` may be NULL. Messages are lower-case, no trailing period. */
void vsc_diag(vsc_diag_list *list, vsc_severity sev, vsc_stage stage, vsc_source *src,
              vsc_span span, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

#define vsc_error(list, stage, src, span, hint, ...) \
  vsc_diag(list, VSC_SEV_ERROR, stage, src, span, hint, __VA_ARGS__)
#define vsc_warning(list, src, span, hint, ...) \
  vsc_diag(list, VSC_SEV_WARNING, VSC_STAGE_CHECK, src, span, hint, __VA_ARGS__)
#define vsc_note(list, src, span, ...) \
  vsc_diag(list, VSC_SEV_NOTE, VSC_STAGE_CHECK, src, span, NULL, __VA_ARGS__)

/* Gives the diagnostic just recorded a concrete fix: replace `span` of `src` with
 * `replacement` (copied; "" deletes). Nothing when that diagnostic was dropped (error cap)
 * or already has one. The hint says the same thing in words. */
void vsc_diag_fix(vsc_diag_list *list, vsc_source *src, vsc_span span, const char *replacement);

/* A diagnostic without a source position ("vsc: error: …"). */
void vsc_diag_plain(vsc_diag_list *list, vsc_severity sev, vsc_stage stage, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* From now on a diagnostic identical to one already listed (same severity, place and
 * message) is dropped with its notes: the checks of several formats report a shared
 * mistake once, the scenes of a `for` block a mistake of its body once. Returns the
 * setting it replaces. */
int vsc_diag_once(vsc_diag_list *list, int on);

/* True once the error cap is reached: callers may stop early. */
int vsc_diag_full(const vsc_diag_list *list);

#endif
