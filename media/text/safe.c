/*
** Safe areas: where text may go on a frame. Title-safe keeps 5 % from every edge (the
** broadcast title-safe 90 %); on vertical video the platforms draw their UI over the top
** (status, tabs, search) and the bottom (caption, account, music, progress bar) and a rail of
** buttons on the right, so "social" keeps clear of the union of TikTok's, Reels' and Shorts'
** published zones for 1080x1920.
*/
#include <string.h>

#include "vsc/vsc_text.h"

int vsc_text_safe_area(const char *name, int w, int h, vsc_text_rect *out) {
  if (!name || !strcmp(name, "auto")) name = (w > 0 && h >= 1.5 * w) ? "social" : "title";
  if (!strcmp(name, "title")) {
    *out = (vsc_text_rect){0.05, 0.05, 0.95, 0.95};
  } else if (!strcmp(name, "action")) {
    *out = (vsc_text_rect){0.035, 0.035, 0.965, 0.965};
  } else if (!strcmp(name, "social")) {
    *out = (vsc_text_rect){0.10, 0.13, 0.90, 0.78};
  } else if (!strcmp(name, "none")) {
    *out = (vsc_text_rect){0, 0, 1, 1};
  } else {
    return -1;
  }
  return 0;
}
