/*
** vsc_rcache.h — the shared cache: a second level behind the local object cache, shared
** by every machine that builds the same plans (runtime/cache/remote*.c, docs/cache.md).
**
** A remote cache is content-addressed in the layout bazel-remote uses:
**   cas/<sha256>   a blob: an object's bytes, named by their SHA-256
**   ac/<key>       an action entry: what a node's cache key maps to, JSON
**                  {"format":"vsc-ac","version":1,"key","ext","sha256","size","info"}
**                  (info: what made it, its prediction and the cost it was paid, as the
**                  local index entry records it)
** served over HTTP(S) (GET/HEAD/PUT/DELETE URL/cas/<sha256>, URL/ac/<key>; any
** WebDAV/S3-style server) or kept in a shared directory (DIR/cas, DIR/ac, written as temp
** file + fsync + rename). Action entries are created once: a writer that finds one there
** already leaves it (someone else finished first, with an equivalent result).
**
** Every blob fetched is hashed before it is used: a blob whose bytes do not match its
** name is fetched once more, then deleted from the remote cache and never used. Network
** failures never fail a build: the first one switches the remote cache off for the rest of
** the run with one warning (vsc_rcache_take_warning), and the build goes on locally.
** Credentials (user:pass@ in the URL, sent as Basic auth; else VSC_REMOTE_CACHE_TOKEN, sent
** as a Bearer token) are never part of a message, a warning or what vsc_rcache_name returns.
**
** Thread-safe: workers of the CPU pool store their outputs concurrently.
*/
#ifndef VSC_RCACHE_H
#define VSC_RCACHE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vsc/vsc_runtime.h"

typedef struct vsc_rcache vsc_rcache;

/* Opens the remote cache `url`: http://[user:pass@]host[:port][/prefix], https://…,
 * file:///dir or a plain directory path. No network or disk access yet (a fully cached
 * build never touches it). The bearer token comes from VSC_REMOTE_CACHE_TOKEN. 0, or -1
 * with err (a URL that is not one of these forms). Caller frees with vsc_rcache_close. */
int vsc_rcache_open(vsc_rcache **out, const char *url, char *err, size_t errlen);
void vsc_rcache_close(vsc_rcache *rc);

/* The URL without credentials, for messages ("http://host:8080/prefix", "/shared/dir").
 * Borrowed. */
const char *vsc_rcache_name(const vsc_rcache *rc);

/* False once a network or storage failure switched it off for this run. */
bool vsc_rcache_usable(vsc_rcache *rc);

/* Looks `key` up remotely; on a hit downloads its blob, verifies its SHA-256 and size and
 * commits it to `local` under `key` (the entry's info plus "fetched":"remote"), filling *e
 * (caller clears it). Returns VSC_CACHE_HIT, VSC_CACHE_MISS (also when the remote cache
 * is off or failed: see vsc_rcache_take_warning), or VSC_CACHE_CORRUPT when what was
 * there was bad (`why` says what; it was deleted remotely and nothing was stored). */
int vsc_rcache_fetch(vsc_rcache *rc, vsc_cache *local, const char *key, vsc_cache_entry *e,
                     char *why, size_t whylen);

/* The info of `key`'s action entry (what made it: prediction, cost, model, …) without its
 * blob: a new reference, or NULL when absent, invalid or the remote cache is off. */
json_t *vsc_rcache_info(vsc_rcache *rc, const char *key);

/* Uploads the object of local entry `e` (its path, sha256, size, info) with extension
 * `ext` as the result of `key`: the blob unless the remote cache has it, then the action
 * entry (created once). 0 stored (or already there), -1 not stored (the remote cache is
 * off or failed; the warning is queued). */
int vsc_rcache_store(vsc_rcache *rc, const char *key, const char *ext, const vsc_cache_entry *e);

/* Moves the oldest queued warning into buf (0 when there is none, 1 when one was taken):
 * the scheduler shows them as warning events, from its own thread. */
int vsc_rcache_take_warning(vsc_rcache *rc, char *buf, size_t len);

#endif
