/*
** paths.c — file paths in a request ("assets/song.wav", "clip.mp4"), quoted or not, and
** how the written script must name them.
*/
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/rules.h"

static bool has_ext(const char *p, size_t n, const char *const *exts) {
  for (int k = 0; exts[k]; k++) {
    size_t e = strlen(exts[k]);
    if (n > e && strncasecmp(p + n - e, exts[k], e) == 0) return true;
  }
  return false;
}

/* The path as the script must name it: relative to the script's directory when the file
 * lies under it, else absolute (a path named from the current directory would break). */
char *fe_script_path(const char *path, const char *out_path) {
  if (path[0] == '/') return strdup(path);
  char outdir[PATH_MAX];
  const char *slash = strrchr(out_path, '/');
  if (!slash) return strdup(path);
  snprintf(outdir, sizeof outdir, "%.*s", (int)(slash - out_path), out_path);
  char rdir[PATH_MAX], rcwd[PATH_MAX], rfile[PATH_MAX];
  if (!realpath(outdir[0] ? outdir : "/", rdir) || !realpath(".", rcwd)) return strdup(path);
  if (strcmp(rdir, rcwd) == 0) return strdup(path);
  if (!realpath(path, rfile)) {
    vsc_buf b = {0};
    vsc_buf_printf(&b, "%s/%s", rcwd, path);
    char *abs = fe_buf_take(&b);
    size_t dl = strlen(rdir);
    char *res = strncmp(abs, rdir, dl) == 0 && abs[dl] == '/' ? strdup(abs + dl + 1) : strdup(abs);
    free(abs);
    return res;
  }
  size_t dl = strlen(rdir);
  if (strncmp(rfile, rdir, dl) == 0 && rfile[dl] == '/') return strdup(rfile + dl + 1);
  return strdup(rfile);
}

/* Unquoted paths "assets/song.wav" in the text; quoted ones are in the quote list. */
char *fe_take_path(fe_reader *r, size_t from, size_t to, const char *const *exts, size_t *at) {
  for (int k = 0; k < r->nq; k++) {
    fe_quote *q = &r->q[k];
    if (q->taken || q->pos < from || q->pos >= to) continue;
    if (has_ext(q->text, strlen(q->text), exts) && !strchr(q->text, ' ')) {
      q->taken = true;
      if (at) *at = q->pos;
      return strdup(q->text);
    }
  }
  for (size_t i = from; i < to; i++) {
    if (i > from && r->s[i - 1] != ' ' && r->s[i - 1] != '\n' && r->s[i - 1] != '(' && r->s[i - 1] != ',') continue;
    size_t e = i;
    while (e < to && r->s[e] != ' ' && r->s[e] != '\n' && r->s[e] != ',' && r->s[e] != ')' &&
           (unsigned char)r->s[e] != MARK)
      e++;
    size_t n = e - i;
    while (n > 0 && (r->s[i + n - 1] == '.' || r->s[i + n - 1] == ';' || r->s[i + n - 1] == '!')) n--;
    if (n > 4 && has_ext(r->s + i, n, exts) && fe_any_unused(r, i, i + n)) {
      fe_mark(r, i, i + n);
      if (at) *at = i;
      return fe_strndup(r->s + i, n);
    }
    i = e;
  }
  return NULL;
}
