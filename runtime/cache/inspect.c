/*
** Looking at an object without touching it (runtime stage "cache"): the same verdict as
** vsc_cache_lookup — a missing file, a size that differs, a content hash that differs
** (re-hashed under the same rule) — but a bad object is reported, not deleted, and a
** touched-but-intact one keeps its index entry as it is. For `vsc explain`, which only
** says what the next build would do.
*/
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "vsc/vsc_runtime.h"
#include "vsc/vsc_sha256.h"

int vsc_cache_inspect(vsc_cache *c, const char *key, vsc_cache_entry *e, char *why,
                      size_t whylen) {
  if (why && whylen) why[0] = 0;
  if (vsc_cache_peek(c, key, e) != 1) return VSC_CACHE_MISS;
  /* The index entry's stat fields (the public entry does not carry them). */
  char meta[4200];
  snprintf(meta, sizeof meta, "%s/objects/%.2s/%.64s.json", vsc_cache_dir(c), key, key);
  json_t *m = json_load_file(meta, 0, NULL);
  struct stat st;
  int rc = VSC_CACHE_HIT;
  if (stat(e->path, &st) != 0) {
    snprintf(why, whylen, "the object file is missing");
    rc = VSC_CACHE_CORRUPT;
  } else if ((uint64_t)st.st_size != e->size) {
    snprintf(why, whylen, "size %llu, expected %llu (truncated or overwritten)",
             (unsigned long long)st.st_size, (unsigned long long)e->size);
    rc = VSC_CACHE_CORRUPT;
  } else {
    long long mt = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    bool same_stat = json_integer_value(json_object_get(m, "mtime_ns")) == mt &&
                     json_integer_value(json_object_get(m, "ino")) == (json_int_t)st.st_ino;
    if (!same_stat || e->size <= VSC_CACHE_REHASH_LIMIT) {
      char sha[65], herr[256];
      uint64_t size = 0;
      if (vsc_sha256_file(e->path, sha, &size, herr, sizeof herr) != 0) {
        snprintf(why, whylen, "%s", herr);
        rc = -1;
      } else if (strcmp(sha, e->sha256) != 0) {
        snprintf(why, whylen, "content hash %.12s…, expected %.12s…", sha, e->sha256);
        rc = VSC_CACHE_CORRUPT;
      }
    }
  }
  json_decref(m);
  return rc;
}
