/* The files a script names, probed at check time with media/probe (the compositor's own
 * code): a file that does not open, is not media or lacks the stream its use needs is an
 * error at the path here, not a failed build later; its length and size go to the planner,
 * which says what happens when a clip is shorter than its scene. */
#include <jansson.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#include "check/checker.h"
#include "vsc/vsc_facts.h"

/* Studio checks run on every edit: a file is probed again only when it changed. Behind this
 * process's memo, the cache's file facts (vsc_facts.h) keep a probe across builds: a
 * rebuild after an edit does not open every clip again. Only successful probes are kept. */
typedef struct {
  char path[1024];
  struct timespec mtime;
  off_t size;
  int rc;
  vsc_media_info info;
  char err[384];
} probe_memo;

static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;
static probe_memo memo[32];
static unsigned memo_next;

static json_t *info_json(const vsc_media_info *i) {
  return json_pack("{s:f, s:i, s:i, s:i, s:i, s:f, s:f, s:i}", "duration", i->duration, "has_video", i->has_video,
                   "has_audio", i->has_audio, "width", i->width, "height", i->height, "fps", i->fps, "start_time",
                   i->start_time, "is_image", i->is_image);
}

static int info_from_json(const json_t *j, vsc_media_info *i) {
  return j && json_unpack((json_t *)j, "{s:F, s:i, s:i, s:i, s:i, s:F, s:F, s:i !}", "duration", &i->duration,
                          "has_video", &i->has_video, "has_audio", &i->has_audio, "width", &i->width, "height",
                          &i->height, "fps", &i->fps, "start_time", &i->start_time, "is_image", &i->is_image) == 0
           ? 0
           : -1;
}

/* The probe, or the one remembered for this very file under the cache. */
static int probe_known(const char *cache_dir, const char *path, vsc_media_info *info, char *err, size_t errlen) {
  vsc_file_id id;
  if (!cache_dir || vsc_file_id_of(path, &id) != 0) return vsc_media_probe(path, info, err, errlen);
  json_t *known = vsc_facts_get(cache_dir, &id, "probe");
  int got = info_from_json(known, info);
  json_decref(known);
  if (got == 0) return 0;
  if (vsc_media_probe(path, info, err, errlen) != 0) return -1;
  json_t *j = info_json(info);
  if (j) vsc_facts_put(cache_dir, path, &id, "probe", j);
  json_decref(j);
  return 0;
}

static int probe_cached(const char *cache_dir, const char *path, vsc_media_info *info, char *err, size_t errlen) {
  struct stat sb;
  if (stat(path, &sb) != 0 || strlen(path) >= sizeof memo[0].path) return vsc_media_probe(path, info, err, errlen);
  pthread_mutex_lock(&memo_lock);
  for (unsigned i = 0; i < sizeof memo / sizeof memo[0]; i++) {
    probe_memo *m = &memo[i];
    if (strcmp(m->path, path) == 0 && m->size == sb.st_size && m->mtime.tv_sec == sb.st_mtim.tv_sec &&
        m->mtime.tv_nsec == sb.st_mtim.tv_nsec) {
      *info = m->info;
      snprintf(err, errlen, "%s", m->err);
      int rc = m->rc;
      pthread_mutex_unlock(&memo_lock);
      return rc;
    }
  }
  pthread_mutex_unlock(&memo_lock);
  int rc = probe_known(cache_dir, path, info, err, errlen);
  pthread_mutex_lock(&memo_lock);
  probe_memo *m = &memo[memo_next++ % (sizeof memo / sizeof memo[0])];
  snprintf(m->path, sizeof m->path, "%s", path);
  m->mtime = sb.st_mtim;
  m->size = sb.st_size;
  m->rc = rc;
  m->info = *info;
  snprintf(m->err, sizeof m->err, "%s", rc < 0 ? err : "");
  pthread_mutex_unlock(&memo_lock);
  return rc;
}

bool check_media_file(const eval_ctx *c, const vsc_value *v0, const char *path, check_media_need need,
                      vsc_media_info *info) {
  const vsc_value *v = check_val(c, v0);
  char why[384];
  if (probe_cached(c->s->cache_dir, path, info, why, sizeof why) < 0) {
    /* The probe names the resolved path; the script's own words read better. */
    const char *msg = why;
    if (strncmp(msg, "'", 1) == 0 && strstr(msg, "' ")) msg = strstr(msg, "' ") + 2;
    else if (strncmp(msg, "cannot open input '", 19) == 0 && strstr(msg, "': ")) msg = strstr(msg, "': ") + 3;
    VERR(c, v0, "use a video (.mp4 .mov .webm), an image (.png .jpg) or, for music, audio (.wav .mp3 .m4a)",
         "'%s' is not a media file vsc can read: %s", v->str, msg);
    return false;
  }
  if (need == CHECK_MEDIA_PICTURE && !info->has_video) {
    VERR(c, v0, "a shot needs a video or an image; sound goes in 'music' or a voice line",
         "'%s' has no picture: it is sound only", v->str);
    return false;
  }
  if (need == CHECK_MEDIA_STILL && !info->is_image) {
    VERR(c, v0, "name an image (.png .jpg); a video clip goes in 'shot file'",
         "'%s' is %s, not a still image", v->str, info->has_video ? "a video" : "sound");
    return false;
  }
  if (need == CHECK_MEDIA_SOUND && !info->has_audio) {
    VERR(c, v0, "music needs a file with sound (.wav .mp3 .m4a, or a video with its sound)",
         "'%s' has no sound", v->str);
    return false;
  }
  return true;
}
