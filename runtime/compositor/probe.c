/*
** Input validation for the ops: media/probe's answer as an op failure (VSC_FAIL_INPUT), and
** the checks a clip must pass before any encoding starts. A file's answer is remembered
** for as long as the file is unchanged (path, inode, size and mtime): every segment and
** chunk of a clip probes it, and each probe opens the file and decodes a picture.
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "comp.h"
#include "vsc/vsc_media.h"

#define MEMO 64 /* files remembered, the oldest forgotten first */

typedef struct {
  char *path;
  dev_t dev;
  ino_t ino;
  off_t size;
  struct timespec mtime;
  vsc_media_info info;
} memo_entry;

static pthread_mutex_t memo_mu = PTHREAD_MUTEX_INITIALIZER;
static memo_entry memo[MEMO];
static int memo_next; /* the slot written next */

static int memo_same(const memo_entry *e, const char *path, const struct stat *st) {
  return e->path && !strcmp(e->path, path) && e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
         e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

int vsc_comp_probe_info(const char *path, vsc_media_info *info, vsc_op_error *err) {
  struct stat st;
  int known = stat(path, &st) == 0;
  if (known) {
    pthread_mutex_lock(&memo_mu);
    for (int i = 0; i < MEMO; i++)
      if (memo_same(&memo[i], path, &st)) {
        *info = memo[i].info;
        pthread_mutex_unlock(&memo_mu);
        return 0;
      }
    pthread_mutex_unlock(&memo_mu);
  }
  char msg[sizeof err->msg];
  if (vsc_media_probe(path, info, msg, sizeof msg) < 0) return vsc_op_fail(err, VSC_FAIL_INPUT, "%s", msg);
  /* Remembered only when the file was the same before and after the probe. */
  struct stat after;
  char *copy = NULL;
  if (known && stat(path, &after) == 0 && after.st_ino == st.st_ino && after.st_size == st.st_size &&
      after.st_mtim.tv_sec == st.st_mtim.tv_sec && after.st_mtim.tv_nsec == st.st_mtim.tv_nsec &&
      (copy = strdup(path))) {
    pthread_mutex_lock(&memo_mu);
    memo_entry *e = &memo[memo_next];
    memo_next = (memo_next + 1) % MEMO;
    free(e->path);
    *e = (memo_entry){copy, st.st_dev, st.st_ino, st.st_size, st.st_mtim, *info};
    pthread_mutex_unlock(&memo_mu);
  }
  return 0;
}

void vsc_comp_probe_forget(void) {
  pthread_mutex_lock(&memo_mu);
  for (int i = 0; i < MEMO; i++) {
    free(memo[i].path);
    memo[i].path = NULL;
  }
  memo_next = 0;
  pthread_mutex_unlock(&memo_mu);
}

int vsc_comp_probe(const char *path, int need_video, double min_duration, vsc_op_error *err) {
  vsc_media_info info;
  if (vsc_comp_probe_info(path, &info, err) < 0) return -1;
  if (need_video && !info.has_video) return vsc_op_fail(err, VSC_FAIL_INPUT, "'%s' has no video stream", path);
  /* Half a frame of slack: container durations are rounded. */
  double slack = info.fps > 0 ? 0.5 / info.fps : 0.02;
  if (!info.is_image && min_duration > 0 && info.duration + slack < min_duration)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "'%s' is too short: %.3f s, %.3f s needed", path, info.duration,
                       min_duration);
  return 0;
}
