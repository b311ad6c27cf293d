/*
** The `animate` op: a still made into a clip with a zoom or a pan. The picture is decoded
** once and fitted (cover, or contain on black) at the largest zoom it will be shown at; every output frame is
** then resampled from that base with sub-pixel window positions (bilinear), so slow moves
** do not jitter the way whole-pixel crops (zoompan) do, and no scaler is set up per frame.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>

#include "comp.h"

typedef enum { MOVE_ZOOM,
               MOVE_LEFT,
               MOVE_RIGHT,
               MOVE_UP,
               MOVE_DOWN } move_kind;

/* The per-render state handed to the frame generator. */
typedef struct {
  AVFrame *base;   /* the fitted picture, yuv420p, bw x bh */
  double zbase;    /* zoom factor at which the base maps 1:1 to output pixels */
  double from, to; /* zoom factors at the first and last frame */
  move_kind move;
  int64_t frames;
  int *xtab; /* per output column: source index (scratch) */
  int *wtab; /* per output column: weight of the right neighbour, 0..256 */
} anim;

/* Decodes the first picture of `path` into a new yuv420p frame of bw x bh: scaled to cover
** and cropped around the focus point (fx, fy; 0.5 = the centre), or (contain) scaled to fit
** whole and centred on black. */
static int load_fitted(const char *path, int bw, int bh, int contain, double fx, double fy, AVFrame **out,
                       vsc_op_error *err) {
  AVFormatContext *ic = NULL;
  AVCodecContext *c = NULL;
  AVPacket *pkt = av_packet_alloc();
  AVFrame *f = av_frame_alloc(), *big = av_frame_alloc(), *dst = av_frame_alloc();
  struct SwsContext *sws = NULL;
  int ret = -1, got = 0;
  vsc_av_log_clear();
  if (!pkt || !f || !big || !dst) {
    vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
    goto done;
  }
  int r = avformat_open_input(&ic, path, NULL, NULL);
  if (r >= 0) r = avformat_find_stream_info(ic, NULL);
  int si = r >= 0 ? av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0) : r;
  if (si < 0) {
    comp_fail_av(err, VSC_FAIL_INPUT, si, "cannot read the picture '%s'", path);
    goto done;
  }
  const AVCodec *dec = avcodec_find_decoder(ic->streams[si]->codecpar->codec_id);
  c = dec ? avcodec_alloc_context3(dec) : NULL;
  if (!c || avcodec_parameters_to_context(c, ic->streams[si]->codecpar) < 0 || avcodec_open2(c, dec, NULL) < 0) {
    vsc_op_fail(err, VSC_FAIL_INPUT, "cannot decode the picture '%s'", path);
    goto done;
  }
  while (!got) {
    r = av_read_frame(ic, pkt);
    if (r < 0) {
      avcodec_send_packet(c, NULL);
    } else if (pkt->stream_index == si) {
      avcodec_send_packet(c, pkt);
    }
    if (r >= 0) av_packet_unref(pkt);
    int d = avcodec_receive_frame(c, f);
    if (d >= 0) got = 1;
    else if (r < 0 && d != AVERROR(EAGAIN)) break;
  }
  if (!got) {
    vsc_op_fail(err, VSC_FAIL_INPUT, "'%s' holds no picture", path);
    goto done;
  }
  /* Scale to cover bw x bh, then crop the centre (even offsets keep chroma aligned); or
   * scale to fit inside it, then pad the centre. */
  double s = contain ? fmin((double)bw / f->width, (double)bh / f->height)
                     : fmax((double)bw / f->width, (double)bh / f->height);
  big->width = (int)ceil(f->width * s);
  big->height = (int)ceil(f->height * s);
  if (contain) {
    big->width = big->width > bw ? bw : (big->width + 1) & ~1;
    big->height = big->height > bh ? bh : (big->height + 1) & ~1;
  } else {
    if (big->width < bw) big->width = bw;
    if (big->height < bh) big->height = bh;
  }
  big->format = AV_PIX_FMT_YUV420P;
  sws = sws_getContext(f->width, f->height, f->format, big->width, big->height, AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL,
                       NULL, NULL);
  if (!sws || av_frame_get_buffer(big, 0) < 0) {
    vsc_op_fail(err, VSC_FAIL_LOCAL, "cannot scale the picture '%s'", path);
    goto done;
  }
  sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, big->data, big->linesize);
  dst->width = bw;
  dst->height = bh;
  dst->format = AV_PIX_FMT_YUV420P;
  if (av_frame_get_buffer(dst, 0) < 0) {
    vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
    goto done;
  }
  if (contain) {
    int x0 = ((bw - big->width) / 2) & ~1, y0 = ((bh - big->height) / 2) & ~1;
    for (int p = 0; p < 3; p++) {
      int sh = p ? 1 : 0;
      for (int y = 0; y < (bh >> sh); y++) /* black: Y 16, Cb Cr 128 */
        memset(dst->data[p] + (size_t)y * dst->linesize[p], p ? 128 : 16, (size_t)(bw >> sh));
      for (int y = 0; y < (big->height >> sh); y++)
        memcpy(dst->data[p] + (size_t)(y + (y0 >> sh)) * dst->linesize[p] + (x0 >> sh),
               big->data[p] + (size_t)y * big->linesize[p], (size_t)(big->width >> sh));
    }
  } else {
    int x0 = (int)((big->width - bw) * fx) & ~1, y0 = (int)((big->height - bh) * fy) & ~1;
    for (int p = 0; p < 3; p++) {
      int sh = p ? 1 : 0;
      for (int y = 0; y < (bh >> sh); y++)
        memcpy(dst->data[p] + (size_t)y * dst->linesize[p],
               big->data[p] + (size_t)(y + (y0 >> sh)) * big->linesize[p] + (x0 >> sh), (size_t)(bw >> sh));
    }
  }
  *out = dst;
  dst = NULL;
  ret = 0;
done:
  sws_freeContext(sws);
  av_frame_free(&dst);
  av_frame_free(&big);
  av_frame_free(&f);
  av_packet_free(&pkt);
  avcodec_free_context(&c);
  avformat_close_input(&ic);
  return ret;
}

/* Bilinear resampling of one plane: output pixel (x, y) shows source point
** (x0 + (x + 0.5) * scale - 0.5, y0 + (y + 0.5) * scale - 0.5), clamped to the plane. */
static void sample_plane(const anim *a, const uint8_t *src, int sls, int sw, int sh, uint8_t *dst, int dls, int dw,
                         int dh, double x0, double y0, double scale) {
  for (int x = 0; x < dw; x++) {
    double sx = x0 + (x + 0.5) * scale - 0.5;
    if (sx < 0) sx = 0;
    if (sx > sw - 1) sx = sw - 1;
    int ix = (int)sx;
    if (ix > sw - 2) ix = sw > 1 ? sw - 2 : 0;
    a->xtab[x] = ix;
    a->wtab[x] = sw > 1 ? (int)lround((sx - ix) * 256) : 0;
  }
  for (int y = 0; y < dh; y++) {
    double sy = y0 + (y + 0.5) * scale - 0.5;
    if (sy < 0) sy = 0;
    if (sy > sh - 1) sy = sh - 1;
    int iy = (int)sy;
    if (iy > sh - 2) iy = sh > 1 ? sh - 2 : 0;
    int wy = sh > 1 ? (int)lround((sy - iy) * 256) : 0;
    const uint8_t *r0 = src + (size_t)iy * sls, *r1 = sh > 1 ? r0 + sls : r0;
    uint8_t *o = dst + (size_t)y * dls;
    for (int x = 0; x < dw; x++) {
      int ix = a->xtab[x], wx = a->wtab[x], ix1 = sw > 1 ? ix + 1 : ix;
      int top = r0[ix] * (256 - wx) + r0[ix1] * wx;
      int bot = r1[ix] * (256 - wx) + r1[ix1] * wx;
      o[x] = (uint8_t)((top * (256 - wy) + bot * wy + 32768) >> 16);
    }
  }
}

static int anim_frame(void *ud, int64_t index, AVFrame *frame, vsc_op_error *err) {
  (void)err;
  const anim *a = ud;
  double p = a->frames > 1 ? (double)index / (a->frames - 1) : 0;
  double z = a->move == MOVE_ZOOM ? a->from + (a->to - a->from) * p : a->from;
  int bw = a->base->width, bh = a->base->height;
  /* The visible window in base pixels, and where it sits. */
  double ww = bw / z, wh = bh / z;
  double fx = bw - ww, fy = bh - wh;
  double x0 = fx / 2, y0 = fy / 2;
  if (a->move == MOVE_RIGHT) x0 = fx * p;
  if (a->move == MOVE_LEFT) x0 = fx * (1 - p);
  if (a->move == MOVE_DOWN) y0 = fy * p;
  if (a->move == MOVE_UP) y0 = fy * (1 - p);
  double scale = ww / frame->width;
  sample_plane(a, a->base->data[0], a->base->linesize[0], bw, bh, frame->data[0], frame->linesize[0], frame->width,
               frame->height, x0, y0, scale);
  for (int pl = 1; pl < 3; pl++)
    sample_plane(a, a->base->data[pl], a->base->linesize[pl], bw / 2, bh / 2, frame->data[pl], frame->linesize[pl],
                 frame->width / 2, frame->height / 2, x0 / 2, y0 / 2, scale);
  return 0;
}

int vsc_comp_animate(const json_t *node, const char *const *inputs, size_t ninputs, const char *out_path,
                     vsc_op_error *err) {
  char where[300];
  if (err) {
    err->kind = VSC_FAIL_NONE;
    err->retry_after = 0;
    err->msg[0] = 0;
  }
  vsc_av_log_init();
  comp_node_where(node, where, sizeof where);
  const json_t *p = json_object_get(node, "params");
  if (!json_is_object(p)) return vsc_op_fail(err, VSC_FAIL_INPUT, "%sanimate: params missing", where);
  if (ninputs < 1) return vsc_op_fail(err, VSC_FAIL_INPUT, "%sanimate: needs an image input", where);
  const char *move, *fit;
  double from, to, duration;
  int W, H, fps;
  if (comp_get_str(p, "move", "zoom", &move, err, where) < 0 || comp_get_str(p, "fit", "cover", &fit, err, where) < 0 || comp_get_num(p, "from", 1.0, &from, err, where) < 0 ||
      comp_get_num(p, "to", 1.0, &to, err, where) < 0 || comp_get_num(p, "duration", 0, &duration, err, where) < 0 ||
      comp_read_frame_params(p, &W, &H, &fps, err, where) < 0)
    return -1;
  double fx, fy;
  if (comp_read_focus(p, &fx, &fy, err, where) < 0) return -1;
  anim a;
  memset(&a, 0, sizeof a);
  a.frames = comp_frames(duration, fps);
  if (a.frames < 1 || duration > 3600) return vsc_op_fail(err, VSC_FAIL_INPUT, "%sanimate: bad duration %g s", where, duration);
  if (!(from >= 1.0 && to >= 1.0 && from <= 10.0 && to <= 10.0))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%sanimate: zoom factors must be between 1 and 10 (got %g -> %g)", where,
                       from, to);
  if (!strcmp(move, "zoom")) a.move = MOVE_ZOOM;
  else if (!strcmp(move, "pan-left")) a.move = MOVE_LEFT;
  else if (!strcmp(move, "pan-right")) a.move = MOVE_RIGHT;
  else if (!strcmp(move, "pan-up")) a.move = MOVE_UP;
  else if (!strcmp(move, "pan-down")) a.move = MOVE_DOWN;
  else return vsc_op_fail(err, VSC_FAIL_INPUT, "%sanimate: unknown move '%s'", where, move);
  if (strcmp(fit, "cover") && strcmp(fit, "contain"))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%sanimate: unknown fit '%s'", where, fit);
  double zmax = from > to ? from : to;
  if (a.move != MOVE_ZOOM) {
    /* A pan needs room: it runs at the larger zoom factor, at least 1.2. */
    if (zmax < 1.2) zmax = 1.2;
    from = to = zmax;
  }
  a.from = from;
  a.to = to;
  /* Beyond 2x the base would be huge; larger zooms upsample it instead. */
  a.zbase = zmax < 2.0 ? zmax : 2.0;
  int bw = 2 * (int)ceil(W * a.zbase / 2), bh = 2 * (int)ceil(H * a.zbase / 2);

  vsc_media_info info;
  vsc_op_error perr = {0};
  if (vsc_comp_probe_info(inputs[0], &info, &perr) < 0) return vsc_op_fail(err, VSC_FAIL_INPUT, "%s%s", where, perr.msg);
  if (!info.has_video) return vsc_op_fail(err, VSC_FAIL_INPUT, "%sanimate: '%s' is not an image", where, inputs[0]);
  vsc_encode_opts enc = VSC_ENCODE_OPTS_INIT;
  vsc_op_error eerr = {0};
  if (vsc_comp_encode_opts_from_json(&enc, json_object_get(p, "encode"), &eerr) < 0)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%s%s", where, eerr.msg);
  if (!json_object_get(p, "encode")) enc.crf = 16; /* an intermediate: its segment encodes it again */
  enc.format = "mp4";
  enc.faststart = 0;
  if (load_fitted(inputs[0], bw, bh, !strcmp(fit, "contain"), fx, fy, &a.base, &perr) < 0) return vsc_op_fail(err, perr.kind, "%s%s", where, perr.msg);
  a.xtab = malloc(sizeof *a.xtab * (size_t)W);
  a.wtab = malloc(sizeof *a.wtab * (size_t)W);
  int ret = -1;
  if (!a.xtab || !a.wtab) {
    vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
  } else {
    comp_job job;
    memset(&job, 0, sizeof job);
    job.enc = &enc;
    job.duration = (double)a.frames / fps;
    job.width = W;
    job.height = H;
    job.fps = fps;
    job.out_path = out_path;
    job.kind = COMP_OUT_MP4;
    job.video_gen = anim_frame;
    job.gen_ud = &a;
    vsc_op_error rerr = {0};
    ret = comp_run(&job, &rerr);
    if (ret < 0) vsc_op_fail(err, rerr.kind, "%sanimate: %s", where, rerr.msg);
  }
  free(a.xtab);
  free(a.wtab);
  av_frame_free(&a.base);
  return ret;
}
