/*
** The two stores behind a remote cache (runtime/cache): remote_http.c (libcurl) and
** remote_dir.c (a shared directory). remote.c owns the protocol (action entries, blobs,
** verification, switching off); a store only moves bytes under names "cas/<sha256>" and
** "ac/<key>". Every call is thread-safe. Messages never hold credentials.
*/
#ifndef VSC_REMOTE_IMPL_H
#define VSC_REMOTE_IMPL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rc_store rc_store;

typedef struct {
  /* Downloads `name` into the new file `dest` (or, dest NULL, into *body, NUL-terminated,
   * at most `max` bytes). 1 found, 0 absent, -1 failure (err). */
  int (*get)(rc_store *s, const char *name, const char *dest, char **body, size_t *len, size_t max,
             char *err, size_t errlen);
  /* 1 present, 0 absent, -1 failure. */
  int (*exists)(rc_store *s, const char *name, char *err, size_t errlen);
  /* Stores the file `src` (or, src NULL, `len` bytes of `data`) as `name`. `once`: an
   * existing `name` is kept (returns 1). 0 stored, 1 kept, -1 failure. */
  int (*put)(rc_store *s, const char *name, const char *src, const void *data, size_t len, bool once,
             char *err, size_t errlen);
  /* Deletes `name` (absent is fine). 0, or -1. */
  int (*remove)(rc_store *s, const char *name, char *err, size_t errlen);
  void (*destroy)(rc_store *s);
} rc_store_vt;

struct rc_store {
  const rc_store_vt *vt;
};

/* `base` is scheme://host[:port][/prefix] without credentials; user/pass may be NULL. */
int rc_http_open(rc_store **out, const char *base, const char *user, const char *pass, const char *token,
                 char *err, size_t errlen);
int rc_dir_open(rc_store **out, const char *dir, char *err, size_t errlen);

#endif
