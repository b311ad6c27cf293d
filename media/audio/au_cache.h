/*
** Audio cache: analyses stored by the SHA-256 of the file (vsc_sha256_file, base/).
** Owned by cache.c; used by the driver (analyze.c) only.
*/
#ifndef VSC_AUDIO_CACHE_H
#define VSC_AUDIO_CACHE_H

#include <stddef.h>

#include "vsc/vsc_audio.h"

/* A cached analysis for sha (*out is the caller's), or 1 when there is none (or it is
 * stale). */
int vsc_audio_cache_get(vsc_audio_analysis **out, const char *dir, const char *sha,
                        const vsc_audio_options *opts);
/* Writes the analysis atomically (temp + fsync + rename). */
int vsc_audio_cache_put(const vsc_audio_analysis *a, const char *dir,
                        const vsc_audio_options *opts, char *err, size_t errlen);

#endif
