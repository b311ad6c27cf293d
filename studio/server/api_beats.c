/*
** api_beats.c (studio) — the music's grid for the timeline: tempo, beats, bars and sections
** of a song in the project or of a generated track in the script's cache, from the same
** analysis (and the same analysis cache) the planner uses.
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "studio.h"
#include "vsc/vsc_audio.h"
#include "vsc/vsc_runtime.h"

enum MHD_Result studio_api_beats(studio *st, struct MHD_Connection *c, const char *url,
                                 const studio_req *req) {
  (void)url, (void)req;
  char script[PATH_MAX], song[PATH_MAX], cache[PATH_MAX], why[512];
  if (studio_path_resolve(st, studio_arg(c, "script"), false, script, sizeof script, why, sizeof why) != 0)
    return studio_reply_error(st, c, 403, "%s", why);
  studio_cache_dir_of(script, cache, sizeof cache);
  const char *rel = studio_arg(c, "path"), *key = studio_arg(c, "key");
  if (rel) {
    if (studio_path_resolve(st, rel, true, song, sizeof song, why, sizeof why) != 0)
      return studio_reply_error(st, c, 403, "%s", why);
  } else if (key && strlen(key) == 64 && strspn(key, "0123456789abcdef") == 64) {
    /* A generated track: its object in the script's cache, confined like a preview. */
    char real_cache[PATH_MAX];
    vsc_cache *vc = NULL;
    if (!realpath(cache, real_cache) || vsc_cache_open(&vc, real_cache, why, sizeof why) != 0)
      return studio_reply_error(st, c, 404, "no cache yet");
    vsc_cache_entry e = {0};
    int found = vsc_cache_peek(vc, key, &e);
    vsc_cache_close(vc);
    bool inside = found == 1 && realpath(e.path, song) && studio_path_within(real_cache, song);
    vsc_cache_entry_clear(&e);
    if (!inside) return studio_reply_error(st, c, 404, "no such track");
  } else {
    return studio_reply_error(st, c, 400, "give a song's path or a track's key");
  }
  vsc_audio_options o = VSC_AUDIO_OPTIONS_INIT;
  o.cache_dir = cache;
  vsc_audio_analysis *a = NULL;
  /* Analysis shares the compiler's lock: both write the same analysis cache. */
  pthread_mutex_lock(&st->compile_lock);
  int rc = vsc_audio_analyze(&a, song, &o, why, sizeof why);
  pthread_mutex_unlock(&st->compile_lock);
  if (rc != 0) return studio_reply_error(st, c, 422, "%s", why);
  json_t *j = vsc_audio_to_json(a);
  vsc_audio_analysis_free(a);
  json_object_del(j, "onsets"); /* the timeline does not draw them; they are the bulk */
  return studio_reply_json(st, c, 200, j);
}
