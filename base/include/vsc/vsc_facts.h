/*
** Facts remembered about a file while it stays the same file (base): its content hash, what
** a probe found. A check or a build that names a 57 MB song should not hash and probe it
** again when nothing changed; Ninja and git's index skip the same work the same way.
** A file's identity is its absolute path, device, inode, size and modification time (what
** Ninja compares, and git's index without the status-change time, which the cache's own
** links and renames of its objects change; the compositor identifies clips in the cache
** this way too). Facts live in DIR/files/, one JSON file per path, and one is
** used only while the file's identity is the one it was taken with.
** Facts are taken only from a settled file, one unchanged for two seconds: a file rewritten
** with the same size within a timestamp tick of being read would otherwise keep its
** identity (git's "racily clean" entries). Losing DIR/files/ costs time, never correctness.
*/
#ifndef VSC_FACTS_H
#define VSC_FACTS_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

typedef struct {
  char line[PATH_MAX + 128]; /* "ABSPATH DEV INO SIZE MTIME", "" when not known */
  bool settled;              /* unchanged for two seconds when taken */
} vsc_file_id;

/* The identity of the file at `path` now. Returns 0, or -1 (errno set) when it cannot be
 * read; a regular file only. */
int vsc_file_id_of(const char *path, vsc_file_id *id);

/* The same from a stat of it taken earlier (what a decoder opened). -1 when its path does
 * not resolve or holds a newline. */
int vsc_file_id_from(const char *path, const struct stat *st, vsc_file_id *id);

/* Whether the file an identity line names still has that identity. */
bool vsc_file_id_holds(const char *line);

/* A new reference to fact `name` remembered under `dir` for the file whose identity is `id`,
 * or NULL. */
json_t *vsc_facts_get(const char *dir, const vsc_file_id *id, const char *name);

/* Remembers fact `name` = `value` (borrowed) of the file at `path`, taken while its identity
 * was `before`: kept only when `before` was settled and the file still has it. DIR must
 * exist (a check never creates a cache); DIR/files is made when missing. A failure to
 * write is silent: the fact is taken again next time. */
void vsc_facts_put(const char *dir, const char *path, const vsc_file_id *before, const char *name,
                   const json_t *value);

/* Deletes from DIR/files/ the facts of files gone or changed, and writers' leftovers a
 * minute old. Returns 0 with *removed counted, or -1 when DIR/files
 * cannot be read (a symbolic link is not followed). */
int vsc_facts_prune(const char *dir, int *removed);

/* vsc_sha256_file, with the hash remembered under `dir` (NULL: not remembered). */
int vsc_sha256_file_known(const char *dir, const char *path, char out[65], uint64_t *size, char *err,
                          size_t errlen);

#endif
