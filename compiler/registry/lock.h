/* vsc.lock.json: model input schemas locked by `vsc models pull` (docs/cli.md), read by the
 * checker so that `with {…}` parameters are validated against what the provider published,
 * not only against the registry's `param` lines. Internal to the compiler. */
#ifndef VSC_REGISTRY_LOCK_H
#define VSC_REGISTRY_LOCK_H

#include <stddef.h>

typedef struct json_t json_t;

#define VSC_LOCK_NAME "vsc.lock.json"
#define VSC_LOCK_FORMAT "vsc-lock"

typedef struct {
  json_t *input;    /* the locked Input schema, $refs resolved (owned: vsc_lock_entry_clear) */
  char version[72]; /* the locked version id, "" when the provider named none */
  char path[4096];  /* the lock file, as found (DIR/vsc.lock.json), for messages */
} vsc_lock_entry;

/* Looks up model `ref` ("owner/name") in DIR/vsc.lock.json. Returns 1 and fills *e (caller
 * clears it), 0 when there is no lock file or it does not lock that model, -1 when the file
 * exists but cannot be used (err says why). The parsed file is cached and re-read only when
 * it changes (size, mtime or inode), so checking many scenes reads it once. Thread-safe. */
int vsc_lock_find(vsc_lock_entry *e, const char *dir, const char *ref, char *err, size_t errlen);
void vsc_lock_entry_clear(vsc_lock_entry *e);

typedef enum {
  VSC_LOCK_PARAM_OK = 0,
  VSC_LOCK_PARAM_UNKNOWN, /* the schema has no such input */
  VSC_LOCK_PARAM_TYPE,    /* wrong JSON type */
  VSC_LOCK_PARAM_ENUM,    /* not one of the allowed values */
  VSC_LOCK_PARAM_RANGE,   /* below minimum or above maximum */
} vsc_lock_verdict;

/* Checks input `key` = `value` (borrowed) against a locked Input schema. When it is not OK,
 * `what` receives the rule that failed, e.g. "an integer", "one of [\"16:9\", \"1:1\"]" or
 * "from 2 to 12". */
vsc_lock_verdict vsc_lock_check_param(const json_t *input, const char *key, const json_t *value,
                                      char *what, size_t whatlen);

/* The i-th required input of a locked Input schema, or NULL past the end. Borrowed. */
const char *vsc_lock_required(const json_t *input, size_t i);

#endif
