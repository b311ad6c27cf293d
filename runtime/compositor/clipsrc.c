/*
** Clip sources (compositor stage): a clip's pictures from a time on, decoded here and fed
** to a `buffer` source of a segment's graph in place of libavfilter's `movie`. Two costs
** of `movie` go away:
**   - frames before the wanted time are never converted or sent through the graph, and
**     those no other frame refers to (H.264/HEVC non-reference pictures) are not even
**     decoded (`skip_frame` per packet, by the packet's own time);
**   - a decoder that a segment leaves is parked (a few at most, for a short while) at its
**     position with its last pictures, and the next segment of the same file that starts
**     at or after that position continues it instead of decoding again from the clip's
**     keyframe: a transition takes the tail of its body's decoder, a chunk its neighbour's;
**     one that reached its clip's end keeps only the last picture, for a freeze, and frees
**     its decoder.
** The pictures are those `movie` gives (same demuxer, decoder, timestamps = the best
** effort timestamp): decoding on from an earlier point of the same stream gives the same
** pictures as decoding from the keyframe, and non-reference pictures are skipped only
** before the wanted time. So output bytes do not depend on which segment ran first.
*/
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavfilter/buffersrc.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>

#include "comp.h"
#include "vsc/vsc_clock.h"

#define RING 4          /* last pictures kept: a segment may pull a few past its end */
#define PARK_MAX 2      /* parked decoders, all files together (each keeps its frame pool) */
#define PARK_SECONDS 20 /* a parked decoder nobody took by then is freed */
#define ENDS_MAX 8      /* sources that reached their clip's end: last pictures only, no decoder */
#define ENDS_SECONDS 60 /* one nobody took by then is freed */
#define SLOTS (PARK_MAX + ENDS_MAX)
#define ACTIVE_MAX 64   /* running sources that will reach their clip's end */
#define WAIT_SECONDS 30 /* the longest a freeze waits for one of them */

struct comp_clipsrc {
  char *path;
  dev_t dev;
  ino_t ino;
  off_t size;
  struct timespec mtime;
  AVFormatContext *fc;
  AVCodecContext *dec;
  AVPacket *pkt;
  AVFrame *tmp;
  int vidx;
  AVRational tb, fr, csar; /* the stream's time base and frame rate, its codec's aspect */
  int skip_nonref;         /* the codec's non-reference pictures may be skipped */
  int64_t target;          /* first wanted pts (stream time base), AV_NOPTS_VALUE: all */
  AVFrame *ring[RING];     /* the last pictures given, oldest first */
  int nring;
  AVFrame *queue[RING]; /* pictures to give again before decoding on */
  int nqueue, qpos;
  int64_t last_pts; /* pts of the last picture given, or AV_NOPTS_VALUE */
  int demux_eof;
  int done;      /* the decoder gave its last picture */
  int ended;     /* the current graph got the end */
  int last_only; /* the current graph gets the clip's last picture alone */
  int want_end;  /* its segment runs to the clip's end */
  int to_end;    /* registered in `active` (running, want_end) */
  int given;     /* pictures given to the current graph */
  int ndec;      /* pictures decoded for the current graph (VSC_COMP_TRACE) */
  int reused;    /* the current graph continued a parked source */
  int stored;    /* its last picture came from the directory of lastpic.c */
  int saved;     /* its last picture is in that directory */
  double parked_at;
};

static pthread_mutex_t park_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_cv = PTHREAD_COND_INITIALIZER; /* a source was closed */
static comp_clipsrc *parked[SLOTS];                       /* decoders (dec set), then ends (dec NULL), in any slot */
static comp_clipsrc *active[ACTIVE_MAX];
static atomic_long n_decoded, n_reused; /* comp_clipsrc_stats */

static void src_free(comp_clipsrc *s) {
  if (!s) return;
  for (int i = 0; i < s->nring; i++) av_frame_free(&s->ring[i]);
  for (int i = s->qpos; i < s->nqueue; i++) av_frame_free(&s->queue[i]);
  avcodec_free_context(&s->dec);
  avformat_close_input(&s->fc);
  av_packet_free(&s->pkt);
  av_frame_free(&s->tmp);
  free(s->path);
  free(s);
}

/* The identity fields of s's file as a struct stat (what same_file and lastpic.c read). */
static struct stat src_stat(const comp_clipsrc *s) {
  struct stat st = {0};
  st.st_dev = s->dev;
  st.st_ino = s->ino;
  st.st_size = s->size;
  st.st_mtim = s->mtime;
  return st;
}

static int same_file(const comp_clipsrc *s, const char *path, const struct stat *st) {
  return !strcmp(s->path, path) && s->dev == st->st_dev && s->ino == st->st_ino && s->size == st->st_size &&
         s->mtime.tv_sec == st->st_mtim.tv_sec && s->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* The first pts wanted for a clip time `offset` (seconds after the file's start), one tick
** early: pictures a little before it still go to the graph, whose own trim makes the exact
** cut, so rounding here never decides a picture. AV_NOPTS_VALUE: every picture. */
static int64_t want_pts(const comp_clipsrc *s, double offset) {
  if (!(offset > 0)) return AV_NOPTS_VALUE;
  AVRational tb = s->fc->streams[s->vidx]->time_base;
  int64_t start = s->fc->start_time != AV_NOPTS_VALUE ? av_rescale_q(s->fc->start_time, AV_TIME_BASE_Q, tb) : 0;
  return start + av_rescale_q((int64_t)(offset * AV_TIME_BASE + 0.5), AV_TIME_BASE_Q, tb) - 1;
}

/* Drops parked decoders older than PARK_SECONDS (with park_mu held). */
static void park_expire(double now) {
  for (int i = 0; i < SLOTS; i++)
    if (parked[i] && now - parked[i]->parked_at > (parked[i]->dec ? PARK_SECONDS : ENDS_SECONDS)) {
      src_free(parked[i]);
      parked[i] = NULL;
    }
}

/* The pts of the keyframe a seek to `target` lands on, or AV_NOPTS_VALUE if unknown. */
static int64_t seek_point(AVStream *st, int64_t target) {
  int idx = av_index_search_timestamp(st, target, AVSEEK_FLAG_BACKWARD);
  if (idx < 0) return AV_NOPTS_VALUE;
  const AVIndexEntry *e = avformat_index_get_entry(st, idx);
  return e ? e->timestamp : AV_NOPTS_VALUE;
}

/* A parked decoder of this file that can give every picture from clip time `offset` on
** without a seek and with less decoding than one (with `last`: one that holds the clip's
** last picture), taken out of the pool; or NULL. */
static comp_clipsrc *park_take_locked(const char *path, const struct stat *st, double offset, int last) {
  park_expire(vsc_clock_now());
  int best = -1;
  int64_t best_cost = 0;
  for (int i = 0; i < SLOTS; i++) {
    comp_clipsrc *s = parked[i];
    if (!s || !same_file(s, path, st) || s->nring == 0) continue;
    int64_t cost;
    if (last) {
      if (!s->done) continue;
      cost = 0; /* its last kept picture is the clip's last */
    } else {
      if (!s->fc) continue; /* a last picture from lastpic.c: nothing else */
      AVStream *vs = s->fc->streams[s->vidx];
      int64_t t = want_pts(s, offset);
      if (t == AV_NOPTS_VALUE) t = INT64_MIN;
      if (s->ring[0]->pts <= t) {
        cost = 0; /* its kept pictures reach back to the start */
      } else if (!s->done && t > s->last_pts) {
        int64_t k = seek_point(vs, t);
        if (k != AV_NOPTS_VALUE && s->last_pts < k) continue; /* a seek decodes less */
        cost = t - s->last_pts;
      } else {
        continue;
      }
    }
    if (best < 0 || cost < best_cost) {
      best = i;
      best_cost = cost;
    }
  }
  comp_clipsrc *s = NULL;
  if (best >= 0) {
    atomic_fetch_add(&n_reused, 1);
    s = parked[best];
    parked[best] = NULL;
    s->reused = 1;
  }
  return s;
}

static comp_clipsrc *park_take(const char *path, const struct stat *st, double offset, int last) {
  pthread_mutex_lock(&park_mu);
  comp_clipsrc *s = park_take_locked(path, st, offset, last);
  pthread_mutex_unlock(&park_mu);
  return s;
}

/* The clip's last picture from a decoder that has it or soon will: a parked one that
** reached the end, or one running now in a segment that runs to the clip's end (waited
** for: a freeze is little work, decoding the whole clip again is much). NULL: none. */
static comp_clipsrc *take_last(const char *path, const struct stat *st) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += WAIT_SECONDS;
  pthread_mutex_lock(&park_mu);
  comp_clipsrc *s;
  for (;;) {
    if ((s = park_take_locked(path, st, 0, 1))) break;
    int running = 0;
    for (int i = 0; i < ACTIVE_MAX && !running; i++) running = active[i] && same_file(active[i], path, st);
    if (!running || pthread_cond_timedwait(&park_cv, &park_mu, &deadline) != 0) break;
  }
  pthread_mutex_unlock(&park_mu);
  return s;
}

void comp_clipsrc_running(comp_clipsrc *s) {
  if (!s->want_end) return;
  pthread_mutex_lock(&park_mu);
  for (int i = 0; i < ACTIVE_MAX && !s->to_end; i++)
    if (!active[i]) {
      active[i] = s;
      s->to_end = 1;
    }
  pthread_mutex_unlock(&park_mu);
}

/* Removes s from `active` (with park_mu held) and wakes the freezes waiting. */
static void unset_active_locked(comp_clipsrc *s) {
  if (!s->to_end) return;
  for (int i = 0; i < ACTIVE_MAX; i++)
    if (active[i] == s) active[i] = NULL;
  s->to_end = 0;
  pthread_cond_broadcast(&park_cv);
}

static int src_open(comp_clipsrc **out, const char *path, const struct stat *st, vsc_op_error *err) {
  comp_clipsrc *s = calloc(1, sizeof *s);
  *out = s;
  if (!s || !(s->path = strdup(path)) || !(s->pkt = av_packet_alloc()) || !(s->tmp = av_frame_alloc()))
    return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
  s->dev = st->st_dev;
  s->ino = st->st_ino;
  s->size = st->st_size;
  s->mtime = st->st_mtim;
  s->last_pts = AV_NOPTS_VALUE;
  int ret = avformat_open_input(&s->fc, path, NULL, NULL);
  if (ret < 0) return comp_fail_av(err, VSC_FAIL_INPUT, ret, "cannot open input '%s'", path);
  if ((ret = avformat_find_stream_info(s->fc, NULL)) < 0)
    return comp_fail_av(err, VSC_FAIL_INPUT, ret, "cannot read '%s'", path);
  const AVCodec *codec = NULL;
  ret = av_find_best_stream(s->fc, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (ret < 0 || !codec) return comp_fail_av(err, VSC_FAIL_INPUT, ret, "no video stream in '%s'", path);
  s->vidx = ret;
  s->tb = s->fc->streams[s->vidx]->time_base;
  s->fr = s->fc->streams[s->vidx]->r_frame_rate;
  s->csar = s->fc->streams[s->vidx]->codecpar->sample_aspect_ratio;
  for (unsigned i = 0; i < s->fc->nb_streams; i++) s->fc->streams[i]->discard = (int)i == s->vidx ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
  AVStream *vs = s->fc->streams[s->vidx];
  if (!(s->dec = avcodec_alloc_context3(codec))) return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
  if ((ret = avcodec_parameters_to_context(s->dec, vs->codecpar)) < 0)
    return comp_fail_av(err, VSC_FAIL_LOCAL, ret, "decoder parameters");
  /* One thread, as `movie` had it: the encoder is the bottleneck, frame threads cost CPU. */
  s->dec->thread_count = 1;
  s->dec->pkt_timebase = vs->time_base;
  if ((ret = avcodec_open2(s->dec, codec, NULL)) < 0)
    return comp_fail_av(err, VSC_FAIL_INPUT, ret, "cannot open the %s decoder for '%s'", codec->name, path);
  s->skip_nonref = codec->id == AV_CODEC_ID_H264 || codec->id == AV_CODEC_ID_HEVC;
  return 0;
}

/* Positions a freshly opened source at `target`: a seek to the keyframe at or before it. */
static int src_seek(comp_clipsrc *s, double offset, vsc_op_error *err) {
  if (!(offset > 0)) return 0;
  /* As `movie` seeks: the offset after the file's start, to the keyframe before it. */
  int64_t ts = (int64_t)(offset * AV_TIME_BASE + 0.5);
  if (s->fc->start_time != AV_NOPTS_VALUE) ts += s->fc->start_time;
  int ret = av_seek_frame(s->fc, -1, ts, AVSEEK_FLAG_BACKWARD);
  if (ret < 0) return comp_fail_av(err, VSC_FAIL_INPUT, ret, "cannot seek '%s' to %.3f s", s->path, offset);
  return 0;
}

/* Sets the first wanted time (want_pts). */
static void set_target(comp_clipsrc *s, double offset) { s->target = want_pts(s, offset); }

/* The next picture at or after the target into `out`: 0, AVERROR_EOF, or another error. */
static int next_picture(comp_clipsrc *s, AVFrame *out) {
  if (s->qpos < s->nqueue) {
    av_frame_move_ref(out, s->queue[s->qpos]);
    av_frame_free(&s->queue[s->qpos++]);
    return 0;
  }
  if (!s->dec) return AVERROR_EOF; /* an end: its kept pictures were all it had */
  for (;;) {
    int ret = avcodec_receive_frame(s->dec, out);
    if (ret == AVERROR_EOF) s->done = 1;
    if (ret == 0) {
      atomic_fetch_add(&n_decoded, 1);
      s->ndec++;
      out->pts = out->best_effort_timestamp;
      if (s->target != AV_NOPTS_VALUE && out->pts != AV_NOPTS_VALUE && out->pts < s->target) {
        av_frame_unref(out);
        continue;
      }
      return 0;
    }
    if (ret != AVERROR(EAGAIN)) return ret;
    if (s->demux_eof) return AVERROR_EOF;
    ret = av_read_frame(s->fc, s->pkt);
    if (ret < 0) {
      /* The end of the file (or an unreadable rest, as `movie` treats it): drain. */
      s->demux_eof = 1;
      avcodec_send_packet(s->dec, NULL);
      continue;
    }
    if (s->pkt->stream_index != s->vidx) {
      av_packet_unref(s->pkt);
      continue;
    }
    /* A picture shown before the target that no other picture refers to: not decoded. */
    int skip = s->skip_nonref && s->target != AV_NOPTS_VALUE && s->pkt->pts != AV_NOPTS_VALUE && s->pkt->pts < s->target;
    s->dec->skip_frame = skip ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
    ret = avcodec_send_packet(s->dec, s->pkt);
    av_packet_unref(s->pkt);
    if (ret < 0 && ret != AVERROR(EAGAIN)) return ret;
  }
}

/* Moves picture f to the end of the ring (the oldest leaves when it is full). */
static int keep_picture(comp_clipsrc *s, AVFrame *f) {
  AVFrame *keep = av_frame_alloc();
  if (!keep) {
    av_frame_unref(f);
    return -1;
  }
  if (s->nring == RING) {
    av_frame_free(&s->ring[0]);
    memmove(s->ring, s->ring + 1, (RING - 1) * sizeof *s->ring);
    s->nring--;
  }
  av_frame_move_ref(keep, f);
  s->ring[s->nring++] = keep;
  return 0;
}

/* Writes the `buffer` filter's arguments for the pictures of s, the first being `first`. */
static void buffer_args(const comp_clipsrc *s, const AVFrame *first, char *args, size_t nargs) {
  AVRational sar = first->sample_aspect_ratio.num > 0 ? first->sample_aspect_ratio : s->csar;
  AVRational fr = s->fr;
  const char *pix = av_get_pix_fmt_name((enum AVPixelFormat)first->format);
  int n = snprintf(args, nargs, "video_size=%dx%d:pix_fmt=%s:time_base=%d/%d:pixel_aspect=%d/%d", first->width,
                   first->height, pix ? pix : "yuv420p", s->tb.num, s->tb.den, sar.num > 0 ? sar.num : 0,
                   sar.num > 0 ? sar.den : 1);
  if (fr.num > 0 && fr.den > 0 && n > 0 && (size_t)n < nargs)
    snprintf(args + n, nargs - (size_t)n, ":frame_rate=%d/%d", fr.num, fr.den);
}

/* An ended source holding the clip's last picture kept by an earlier build, or NULL. */
static comp_clipsrc *from_lastpic(const char *path, const struct stat *st) {
  AVRational tb, fr, csar;
  AVFrame *f = comp_lastpic_load(path, st, &tb, &fr, &csar);
  if (!f) return NULL;
  comp_clipsrc *s = calloc(1, sizeof *s);
  if (!s || !(s->path = strdup(path)) || !(s->tmp = av_frame_alloc())) {
    av_frame_free(&f);
    src_free(s);
    return NULL;
  }
  s->dev = st->st_dev;
  s->ino = st->st_ino;
  s->size = st->st_size;
  s->mtime = st->st_mtim;
  s->tb = tb;
  s->fr = fr;
  s->csar = csar;
  s->ring[s->nring++] = f;
  s->last_pts = f->pts;
  s->done = s->demux_eof = 1;
  s->stored = s->saved = 1;
  return s;
}

/* Keeps the last picture of a source that reached its clip's end for later builds. */
static void keep_last(comp_clipsrc *s) {
  if (s->saved || !s->done || s->nring == 0) return;
  struct stat st = src_stat(s);
  comp_lastpic_save(s->path, &st, s->ring[s->nring - 1], s->tb, s->fr, s->csar);
  s->saved = 1;
}

int comp_clipsrc_open_last(comp_clipsrc **out, const char *path, double seek, double tail, char *args, size_t nargs,
                           vsc_op_error *err) {
  *out = NULL;
  struct stat st;
  if (stat(path, &st) != 0) return vsc_op_fail(err, VSC_FAIL_INPUT, "cannot open input '%s'", path);
  /* A decoder that reached the end, parked; else the picture kept by an earlier build;
   * else one running now that will reach the end; else decode the tail. */
  comp_clipsrc *s = park_take(path, &st, 0, 1);
  if (!s) s = from_lastpic(path, &st);
  if (!s) s = take_last(path, &st);
  if (!s) {
    if (src_open(&s, path, &st, err) < 0 || src_seek(s, seek, err) < 0) {
      src_free(s);
      return -1;
    }
    /* As `movie` did: from a second before the container's end, the pictures of the last
     * few frames' time; the last of them is the clip's last picture. */
    set_target(s, tail);
    int ret;
    while ((ret = next_picture(s, s->tmp)) == 0) {
      s->last_pts = s->tmp->pts;
      if (keep_picture(s, s->tmp) < 0) {
        src_free(s);
        return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
      }
    }
    if (ret != AVERROR_EOF || s->nring == 0) {
      src_free(s);
      if (ret == AVERROR_EOF) return 1;
      return comp_fail_av(err, VSC_FAIL_INPUT, ret, "cannot decode '%s'", path);
    }
    keep_last(s);
  }
  /* The graph gets that one picture, then the end. */
  for (int i = s->qpos; i < s->nqueue; i++) av_frame_free(&s->queue[i]);
  s->queue[0] = s->ring[--s->nring];
  s->qpos = 0;
  s->nqueue = 1;
  s->ended = 0;
  s->last_only = 1;
  s->want_end = 0;
  s->given = 0;
  buffer_args(s, s->queue[0], args, nargs);
  *out = s;
  return 0;
}

int comp_clipsrc_open(comp_clipsrc **out, const char *path, double offset, int to_end, char *args, size_t nargs,
                      vsc_op_error *err) {
  *out = NULL;
  struct stat st;
  if (stat(path, &st) != 0) return vsc_op_fail(err, VSC_FAIL_INPUT, "cannot open input '%s'", path);
  comp_clipsrc *s = park_take(path, &st, offset, 0);
  if (s) {
    set_target(s, offset);
    /* Give again the kept pictures from the target on, then decode on. */
    s->nqueue = s->qpos = 0;
    for (int i = 0; i < s->nring; i++) {
      if (s->target == AV_NOPTS_VALUE || s->ring[i]->pts >= s->target) s->queue[s->nqueue++] = s->ring[i];
      else av_frame_free(&s->ring[i]);
    }
    s->nring = 0;
  } else {
    if (src_open(&s, path, &st, err) < 0 || src_seek(s, offset, err) < 0) {
      src_free(s);
      return -1;
    }
    set_target(s, offset);
  }
  s->given = 0;
  s->ended = 0;
  s->last_only = 0;
  /* The first picture fixes the buffer source's parameters. */
  int ret = next_picture(s, s->tmp);
  if (ret < 0) {
    src_free(s);
    if (ret == AVERROR_EOF) return 1; /* nothing from the offset on: the caller freezes */
    return comp_fail_av(err, VSC_FAIL_INPUT, ret, "cannot decode '%s'", path);
  }
  /* Put it back in front of the queue. */
  AVFrame *first = av_frame_alloc();
  if (!first) {
    src_free(s);
    return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
  }
  av_frame_move_ref(first, s->tmp);
  if (s->qpos > 0) {
    s->queue[--s->qpos] = first;
  } else {
    memmove(s->queue + 1, s->queue, (size_t)s->nqueue * sizeof *s->queue);
    s->queue[0] = first;
    s->nqueue++;
  }
  buffer_args(s, first, args, nargs);
  s->want_end = to_end;
  *out = s;
  return 0;
}

int comp_clipsrc_feed(comp_clipsrc *s, AVFilterContext *buf, vsc_op_error *err) {
  if (s->ended) return 0;
  int ret = next_picture(s, s->tmp);
  if (ret == AVERROR_EOF) {
    s->ended = 1;
    /* The end at the last picture's time, as `movie` signals it; a lone last picture
     * lasts one frame (as the trim after `movie` ended it), so `fps` passes it on. */
    int64_t end = s->last_pts;
    if (s->last_only) {
      AVRational fr = s->fr.num > 0 && s->fr.den > 0 ? s->fr : (AVRational){25, 1};
      int64_t dur = av_rescale_q(1, av_inv_q(fr), s->tb);
      end += dur > 0 ? dur : 1;
    }
    ret = av_buffersrc_close(buf, end, 0);
    if (ret < 0) return comp_fail_av(err, VSC_FAIL_LOCAL, ret, "clip source");
    return 0;
  }
  if (ret < 0) return comp_fail_av(err, VSC_FAIL_INPUT, ret, "cannot decode '%s'", s->path);
  s->last_pts = s->tmp->pts;
  s->given++;
  ret = av_buffersrc_add_frame_flags(buf, s->tmp, AV_BUFFERSRC_FLAG_KEEP_REF);
  if (ret < 0) {
    av_frame_unref(s->tmp);
    return comp_fail_av(err, VSC_FAIL_LOCAL, ret, "clip source");
  }
  /* Kept for a segment that starts a little before where this one stopped. */
  if (keep_picture(s, s->tmp) < 0) return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
  return 0;
}

int comp_clipsrc_ended(const comp_clipsrc *s) { return s->ended; }

void comp_clipsrc_close(comp_clipsrc **ps, int park) {
  comp_clipsrc *s = *ps;
  *ps = NULL;
  if (!s) return;
  /* What each graph cost in decoding, for tuning the order and the parking. */
  if (getenv("VSC_COMP_TRACE"))
    fprintf(stderr, "vsc: clip source %s: %d decoded, %d given, %s%s\n", s->path, s->ndec, s->given,
            s->stored ? "kept by an earlier build" : s->reused ? "continued"
                                                               : "opened",
            s->last_only ? ", last picture" : "");
  s->ndec = 0;
  /* The clip's last picture, for later builds: written before the freezes waiting for
   * this source are woken, so that they find it parked. */
  if (park && s->qpos >= s->nqueue) keep_last(s);
  pthread_mutex_lock(&park_mu);
  unset_active_locked(s);
  /* Only a decoder whose kept pictures are the last it gave is worth keeping. */
  if (!park || s->nring == 0 || s->qpos < s->nqueue) {
    pthread_mutex_unlock(&park_mu);
    src_free(s);
    return;
  }
  /* A decoder that gave its last picture can give nothing more than the pictures it kept:
   * those stay (for a freeze on the clip's last picture, or a segment starting among
   * them), the decoder with its frame pool and references goes. (Its last picture was
   * kept for later builds above.) */
  if (s->done) {
    avcodec_free_context(&s->dec);
    av_packet_free(&s->pkt);
    /* Only the last picture (the one a freeze wants): a segment starting among the last
     * few pictures is rare, and would decode them afresh. */
    while (s->nring > 1) {
      av_frame_free(&s->ring[0]);
      memmove(s->ring, s->ring + 1, (size_t)(s->nring - 1) * sizeof *s->ring);
      s->nring--;
    }
  }
  double now = vsc_clock_now();
  s->parked_at = now;
  park_expire(now);
  /* Of two decoders of one file, the one further on stays: segments of a clip mostly come
   * in timeline order, so the earlier decoder's pictures have already been shown (a
   * transition's incoming clip runs after that clip's first chunk), and it would push out
   * a decoder another clip's next chunk continues. */
  struct stat sst = src_stat(s);
  for (int i = 0; s->dec && i < SLOTS; i++) {
    comp_clipsrc *p = parked[i];
    if (!p || !p->dec || !same_file(p, s->path, &sst)) continue;
    if (p->last_pts >= s->last_pts) {
      pthread_mutex_unlock(&park_mu);
      src_free(s);
      return;
    }
    src_free(p);
    parked[i] = NULL;
  }
  /* Each kind has its own room: PARK_MAX decoders, ENDS_MAX ends. */
  int slot = -1, used = 0, oldest = -1;
  for (int i = 0; i < SLOTS; i++) {
    if (!parked[i]) {
      if (slot < 0) slot = i;
      continue;
    }
    if (!parked[i]->dec != !s->dec) continue;
    used++;
    if (oldest < 0 || parked[i]->parked_at < parked[oldest]->parked_at) oldest = i;
  }
  if (used >= (s->dec ? PARK_MAX : ENDS_MAX)) { /* full: the oldest of its kind makes room */
    src_free(parked[oldest]);
    parked[oldest] = NULL;
    slot = oldest;
  }
  parked[slot] = s;
  pthread_mutex_unlock(&park_mu);
}

void vsc_comp_release_decoders(void) {
  vsc_comp_probe_forget();
  comp_text_release();
  pthread_mutex_lock(&park_mu);
  for (int i = 0; i < SLOTS; i++) {
    src_free(parked[i]);
    parked[i] = NULL;
  }
  pthread_mutex_unlock(&park_mu);
}

void comp_clipsrc_stats(long *decoded, long *reused) {
  *decoded = atomic_load(&n_decoded);
  *reused = atomic_load(&n_reused);
}
