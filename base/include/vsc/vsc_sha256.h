/* SHA-256 as 64 lowercase hex digits (base): content ids of nodes, cache keys, file hashes. */
#ifndef VSC_SHA256_H
#define VSC_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void vsc_sha256_hex(const void *data, size_t len, char out[65]);

/* Hashes a file's contents, streaming; *size (if not NULL) gets its length in bytes.
 * Returns 0, or -1 with err set ("PATH: reason"). */
int vsc_sha256_file(const char *path, char out[65], uint64_t *size, char *err, size_t errlen);

/* Copies src to dst (created or truncated) and hashes what was copied, in one pass, or
 * by a reflink (FICLONE) where the file system has them, hashing the clone. The hash is of
 * dst's bytes even if src changes meanwhile. Returns 0, -1 if src cannot be read, -2 if dst
 * cannot be written (err set: "PATH: reason"). */
int vsc_sha256_copy(const char *src, const char *dst, char out[65], uint64_t *size, char *err, size_t errlen);

/* Whether s is a hash as these write it: 64 lowercase hex digits. */
bool vsc_sha256_is_hex(const char *s);

#endif
