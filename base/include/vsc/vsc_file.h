/* Files (base). */
#ifndef VSC_FILE_H
#define VSC_FILE_H

#include <stddef.h>

/* Reads a whole file, NUL-terminated. Returns a malloc'd buffer or NULL (errno set). */
char *vsc_read_file(const char *path, size_t *len);

/* Creates directory `path` and its missing parents (mode 0777 before umask). Returns 0 when
 * `path` is a directory afterwards, else -1 with errno set. */
int vsc_mkdir_p(const char *path);

#endif
