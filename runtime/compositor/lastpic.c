/*
** Last pictures kept across builds (compositor stage): a clip's last picture, decoded once,
** is written to a directory the caller names (the CLI: the cache's `frames/`), so that a
** later build that holds the clip on it (the outgoing clip of a transition after a clip
** that is too short) does not decode the clip again from its keyframe. That is what an
** edit of one scene paid for the transition before it, whose outgoing scene it does not
** render, and what made the transition after it wait for the body before it.
** A file is the picture's planes as decoded (no conversion) with the frame properties a
** graph reads (size, format, aspect, colour, time stamp, the stream's time base and rate),
** named by a hash of the clip's identity (path, device, inode, size, mtime: the same test
** as a parked decoder's) and checked against that identity when read. So a picture from
** here is the one decoding gives, and outputs do not change. Files are written once per
** clip (temporary name, then rename); deleting the directory is always safe. A directory
** that is a symbolic link is not used.
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>

#include "comp.h"
#include "vsc/vsc_facts.h"
#include "vsc/vsc_sha256.h"

#define MAGIC "vsc-last-picture 1\n"

static pthread_mutex_t dir_mu = PTHREAD_MUTEX_INITIALIZER;
static char *frame_dir; /* NULL: nothing kept */

void vsc_comp_set_frame_dir(const char *dir) {
  pthread_mutex_lock(&dir_mu);
  free(frame_dir);
  frame_dir = dir && *dir ? strdup(dir) : NULL;
  pthread_mutex_unlock(&dir_mu);
}

/* The clip's identity line and the file that holds its picture; 0, or -1 without a dir. */
static int names(const char *path, const struct stat *st, char *id, size_t nid, char *file, size_t nfile) {
  /* "PATH DEV INO SIZE MTIME.NSEC", PATH absolute (a build from another directory, and
   * `cache gc`, find the same name). */
  vsc_file_id fid;
  if (vsc_file_id_from(path, st, &fid) < 0 || strlen(fid.line) >= nid) return -1;
  memcpy(id, fid.line, strlen(fid.line) + 1);
  char hex[65];
  vsc_sha256_hex(id, strlen(id), hex);
  pthread_mutex_lock(&dir_mu);
  int ok = frame_dir != NULL;
  if (ok) snprintf(file, nfile, "%s/%.32s.pic", frame_dir, hex);
  pthread_mutex_unlock(&dir_mu);
  if (!ok) return -1;
  /* As the cache's tmp/: a directory that is a symbolic link (or not a directory) is
   * never written or read through. */
  char *slash = strrchr(file, '/');
  struct stat ds;
  *slash = 0;
  if (lstat(file, &ds) == 0 && !S_ISDIR(ds.st_mode)) ok = 0;
  *slash = '/';
  return ok ? 0 : -1;
}

int comp_lastpic_save(const char *path, const struct stat *st, const AVFrame *f, AVRational tb, AVRational fr,
                      AVRational csar) {
  char id[4400], file[4400], tmp[4500];
  struct stat have;
  if (names(path, st, id, sizeof id, file, sizeof file) < 0 || stat(file, &have) == 0) return 0;
  int size = av_image_get_buffer_size((enum AVPixelFormat)f->format, f->width, f->height, 1);
  if (size <= 0) return -1;
  char head[5000];
  int nh = snprintf(head, sizeof head,
                    MAGIC "%s\n%d %d %d %d %d %d %d %d %d %" PRId64 " %d %d %d %d %d %d %d\n", id, f->width, f->height,
                    f->format, f->sample_aspect_ratio.num, f->sample_aspect_ratio.den, tb.num, tb.den, fr.num, fr.den,
                    f->pts, (int)f->color_range, (int)f->colorspace, (int)f->color_primaries, (int)f->color_trc,
                    (int)f->chroma_location, csar.num, csar.den);
  uint8_t *buf = malloc((size_t)size);
  if (!buf || nh <= 0 || (size_t)nh >= sizeof head ||
      av_image_copy_to_buffer(buf, size, (const uint8_t *const *)f->data, f->linesize, (enum AVPixelFormat)f->format,
                              f->width, f->height, 1) < 0) {
    free(buf);
    return -1;
  }
  char *slash = strrchr(file, '/');
  if (slash) { /* the directory, made on first use */
    *slash = 0;
    mkdir(file, 0777);
    *slash = '/';
  }
  static unsigned long serial;
  snprintf(tmp, sizeof tmp, "%s.%ld.%lu.tmp", file, (long)getpid(), __atomic_add_fetch(&serial, 1, __ATOMIC_RELAXED));
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  int ok = fd >= 0 && write(fd, head, (size_t)nh) == nh && write(fd, buf, (size_t)size) == size;
  if (fd >= 0 && close(fd) != 0) ok = 0;
  free(buf);
  if (ok && rename(tmp, file) == 0) return 0;
  if (fd >= 0) unlink(tmp);
  return -1;
}

AVFrame *comp_lastpic_load(const char *path, const struct stat *st, AVRational *tb, AVRational *fr, AVRational *csar) {
  char id[4400], file[4400];
  if (names(path, st, id, sizeof id, file, sizeof file) < 0) return NULL;
  int fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return NULL;
  FILE *in = fdopen(fd, "rb");
  if (!in) {
    close(fd);
    return NULL;
  }
  AVFrame *f = NULL;
  char line[4500];
  int w, h, fmt, sn, sd, tn, td, fn, fd2, cr, cs, cp, ct, cl, qn, qd;
  int64_t pts;
  if (!fgets(line, sizeof line, in) || strcmp(line, MAGIC) != 0) goto done;
  if (!fgets(line, sizeof line, in) || strlen(line) != strlen(id) + 1 || strncmp(line, id, strlen(id)) != 0) goto done;
  if (fscanf(in, "%d %d %d %d %d %d %d %d %d %" SCNd64 " %d %d %d %d %d %d %d", &w, &h, &fmt, &sn, &sd, &tn, &td, &fn,
             &fd2, &pts, &cr, &cs, &cp, &ct, &cl, &qn, &qd) != 17 ||
      fgetc(in) != '\n')
    goto done;
  if (w < 1 || h < 1 || w > 16384 || h > 16384 || !av_pix_fmt_desc_get((enum AVPixelFormat)fmt) || td <= 0 || tn <= 0)
    goto done;
  if (!(f = av_frame_alloc())) goto done;
  f->width = w;
  f->height = h;
  f->format = fmt;
  if (av_frame_get_buffer(f, 0) < 0) goto fail;
  int size = av_image_get_buffer_size((enum AVPixelFormat)fmt, w, h, 1);
  uint8_t *buf = size > 0 ? malloc((size_t)size) : NULL;
  int got = buf && fread(buf, 1, (size_t)size, in) == (size_t)size && fgetc(in) == EOF;
  if (got) {
    const uint8_t *src[4];
    int lines[4];
    got = av_image_fill_arrays((uint8_t **)src, lines, buf, (enum AVPixelFormat)fmt, w, h, 1) >= 0;
    if (got) av_image_copy(f->data, f->linesize, src, lines, (enum AVPixelFormat)fmt, w, h);
  }
  free(buf);
  if (!got) goto fail;
  f->sample_aspect_ratio = (AVRational){sn, sd};
  f->pts = f->best_effort_timestamp = pts;
  f->color_range = (enum AVColorRange)cr;
  f->colorspace = (enum AVColorSpace)cs;
  f->color_primaries = (enum AVColorPrimaries)cp;
  f->color_trc = (enum AVColorTransferCharacteristic)ct;
  f->chroma_location = (enum AVChromaLocation)cl;
  *tb = (AVRational){tn, td};
  *fr = (AVRational){fn, fd2};
  *csar = (AVRational){qn, qd};
  goto done;
fail:
  av_frame_free(&f);
done:
  fclose(in);
  return f;
}

int vsc_comp_prune_frames(const char *dir, int *removed, unsigned long long *freed) {
  *removed = 0;
  *freed = 0;
  struct stat ds;
  if (lstat(dir, &ds) != 0) return errno == ENOENT ? 0 : -1;
  if (!S_ISDIR(ds.st_mode)) return -1; /* a symbolic link is never followed */
  DIR *d = opendir(dir);
  if (!d) return -1;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if (e->d_name[0] == '.' || n < 5) continue;
    char file[4400], line[4500];
    snprintf(file, sizeof file, "%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(file, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    /* A writer's temporary (the caller holds the cache lock: nobody writes now), or a
     * picture whose clip is gone or changed. */
    int stale = strcmp(e->d_name + n - 4, ".tmp") == 0;
    if (!stale && strcmp(e->d_name + n - 4, ".pic") == 0) {
      FILE *in = fopen(file, "rb");
      stale = !in || !fgets(line, sizeof line, in) || strcmp(line, MAGIC) != 0 || !fgets(line, sizeof line, in);
      if (!stale) {
        line[strcspn(line, "\n")] = 0;
        stale = !vsc_file_id_holds(line);
      }
      if (in) fclose(in);
    }
    if (stale && unlink(file) == 0) {
      (*removed)++;
      *freed += (unsigned long long)st.st_size;
    }
  }
  closedir(d);
  return 0;
}
