/*
** paths.c (studio) — every path from a request is confined to the project folder: the
** text is checked first (no absolute path, no "..", no control bytes), then the real path
** with symlinks resolved must still be inside, so a link pointing out is refused too.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "studio.h"

bool studio_path_within(const char *root, const char *real) {
  size_t n = strlen(root);
  if (strncmp(real, root, n) != 0) return false;
  return real[n] == 0 || real[n] == '/' || (n == 1 && root[0] == '/');
}

const char *studio_path_rel(const studio *st, const char *abs) {
  if (!studio_path_within(st->dir, abs)) return NULL;
  const char *r = abs + strlen(st->dir);
  while (*r == '/') r++;
  return r;
}

/* The text alone: relative, no empty or dot-dot segments, printable. */
static int check_text(const char *rel, char *why, size_t whylen) {
  if (!rel || !*rel) return snprintf(why, whylen, "no path given"), -1;
  if (strlen(rel) >= PATH_MAX / 2) return snprintf(why, whylen, "path too long"), -1;
  if (rel[0] == '/') return snprintf(why, whylen, "absolute paths are not allowed"), -1;
  for (const unsigned char *p = (const unsigned char *)rel; *p; p++)
    if (*p < 0x20 || *p == 0x7f || *p == '\\')
      return snprintf(why, whylen, "bad character in path"), -1;
  const char *seg = rel;
  while (*seg) {
    const char *end = strchr(seg, '/');
    size_t n = end ? (size_t)(end - seg) : strlen(seg);
    if (n == 2 && seg[0] == '.' && seg[1] == '.')
      return snprintf(why, whylen, "'..' is not allowed in paths"), -1;
    if (!end) break;
    seg = end + 1;
  }
  return 0;
}

int studio_path_resolve(const studio *st, const char *rel, bool must_exist, char *out,
                        size_t outlen, char *why, size_t whylen) {
  if (check_text(rel, why, whylen) != 0) return -1;
  char joined[PATH_MAX], real[PATH_MAX];
  if ((size_t)snprintf(joined, sizeof joined, "%s/%s", st->dir, rel) >= sizeof joined)
    return snprintf(why, whylen, "path too long"), -1;
  if (realpath(joined, real)) {
    if (!studio_path_within(st->dir, real))
      return snprintf(why, whylen, "'%s' leads outside the project", rel), -1;
    snprintf(out, outlen, "%s", real);
    return 0;
  }
  if (must_exist || errno != ENOENT) return snprintf(why, whylen, "'%s': %s", rel, strerror(errno)), -1;
  /* A new file: its folder must exist and be inside; the name itself must not be a
   * dangling link (realpath failed, so lstat tells). */
  struct stat lst;
  if (lstat(joined, &lst) == 0) return snprintf(why, whylen, "'%s' is a broken link", rel), -1;
  char *slash = strrchr(joined, '/');
  *slash = 0;
  const char *name = slash + 1;
  if (!*name || strcmp(name, ".") == 0) return snprintf(why, whylen, "'%s' names no file", rel), -1;
  if (!realpath(joined, real)) return snprintf(why, whylen, "'%s': no such folder", rel), -1;
  if (!studio_path_within(st->dir, real))
    return snprintf(why, whylen, "'%s' leads outside the project", rel), -1;
  if ((size_t)snprintf(out, outlen, "%s/%s", real, name) >= outlen)
    return snprintf(why, whylen, "path too long"), -1;
  return 0;
}
