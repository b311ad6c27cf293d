/* Delivery settings into the plan (plan stage): the checked `deliver` spec becomes params of
 * exactly the nodes it affects, so changing it re-runs only those and every generated clip
 * stays cached:
 *   segment.encode  crf or bitrate, VBV cap, profile, level, GOP (the same for every segment,
 *                   so they still join by stream copy)
 *   audio           loudness target, true-peak ceiling, AAC bit rate
 *   mux             faststart, max_size (checked on the finished file)
 * and video.deliver in the IR, which `vsc plan` and the manifest show. A video without
 * `deliver` gets none of these keys: its IR is what it always was. */
#include <math.h>

#include "plan/planner.h"

/* The MP4's own bytes (moov, headers) and the encoders' overshoot are kept out of the bits a
 * max_size leaves for the picture. */
#define DELIVER_SIZE_MARGIN 0.92
/* Below this a picture is not worth delivering: a max_size that leaves less is an error. */
#define DELIVER_MIN_VIDEO_RATE 100e3

int plan_deliver_resolve(planner *p) {
  vsc_session *s = p->s;
  vsc_video_spec *v = p->v;
  vsc_deliver_spec *d = &v->deliver;
  if (!d->present || d->max_size <= 0 || !(v->length > 0)) return 0;
  /* What the sound takes, then a cap for the picture that fills the rest over the length;
     the buffer is half a second of it, as every segment may start with a full buffer. */
  double audio_bits = d->audio_bitrate * v->length;
  double video_rate = (d->max_size * 8 * DELIVER_SIZE_MARGIN - audio_bits) / (v->length + 0.5);
  if (video_rate < DELIVER_MIN_VIDEO_RATE) {
    vsc_ast *at = d->max_size_node;
    vsc_span span = at == d->node ? (at->nvals && at->vals[0].kind != V_NONE ? at->vals[0].span : at->kw) : at->vals[0].span;
    if (video_rate <= 0)
      ERR(at->src, span, "raise 'max_size', lower 'audio_bitrate' or shorten the video",
          "max_size %gMB cannot hold %gs of video: the sound alone takes %.2fMB of it", d->max_size / 1e6, t6(v->length),
          audio_bits / 8e6);
    else
      ERR(at->src, span, "raise 'max_size' or shorten the video",
          "max_size %gMB cannot hold %gs of video: it leaves %.0fk for the picture after the sound (%gk at least)",
          d->max_size / 1e6, t6(v->length), video_rate / 1e3, DELIVER_MIN_VIDEO_RATE / 1e3);
    return -1;
  }
  if (d->maxrate <= 0 || video_rate < d->maxrate) {
    d->maxrate = floor(video_rate / 1000) * 1000;
    d->bufsize = d->maxrate / 2;
  }
  if (d->bitrate > d->maxrate) d->bitrate = d->maxrate;
  return 0;
}

void plan_deliver_encode(const vsc_session *s, const vsc_video_spec *v, json_t *e) {
  const vsc_deliver_spec *d = &v->deliver;
  if (!d->present) return;
  if (d->crf >= 0 && !s->preview) json_object_set_new(e, "crf", json_integer(d->crf));
  if (d->bitrate > 0) json_object_set_new(e, "bitrate", json_integer((json_int_t)d->bitrate));
  if (d->maxrate > 0) {
    json_object_set_new(e, "maxrate", json_integer((json_int_t)d->maxrate));
    json_object_set_new(e, "bufsize", json_integer((json_int_t)d->bufsize));
  }
  if (d->profile) json_object_set_new(e, "profile", json_string(d->profile));
  if (d->level) json_object_set_new(e, "level", json_string(d->level));
  if (d->gop > 0) {
    /* A keyframe at least every `gop` seconds: YouTube's "half the frame rate" is 12 frames
       at 25 fps. */
    long gop = (long)floor(d->gop * v->fps + 1e-6);
    json_object_set_new(e, "gop", json_integer(gop < 1 ? 1 : gop));
  }
}

void plan_deliver_audio(const vsc_video_spec *v, json_t *aparams) {
  const vsc_deliver_spec *d = &v->deliver;
  if (!d->present) return;
  json_object_set_new(aparams, "loudness", json_real(d->loudness));
  json_object_set_new(aparams, "true_peak", json_real(d->true_peak));
  json_object_set_new(aparams, "bitrate", json_integer((json_int_t)d->audio_bitrate));
}

void plan_deliver_mux(const vsc_video_spec *v, json_t *mparams) {
  const vsc_deliver_spec *d = &v->deliver;
  if (!d->present) return;
  json_object_set_new(mparams, "faststart", json_boolean(d->faststart));
  if (d->max_size > 0) json_object_set_new(mparams, "max_size", json_integer((json_int_t)d->max_size));
}

json_t *plan_deliver_json(planner *p) {
  const vsc_video_spec *v = p->v;
  const vsc_deliver_spec *d = &v->deliver;
  json_t *o = json_object();
  json_object_set_new(o, "preset", d->preset ? json_string(d->preset) : json_null());
  json_object_set_new(o, "crf", d->crf >= 0 ? json_integer(d->crf) : json_null());
  json_object_set_new(o, "bitrate", d->bitrate > 0 ? json_integer((json_int_t)d->bitrate) : json_null());
  json_object_set_new(o, "maxrate", d->maxrate > 0 ? json_integer((json_int_t)d->maxrate) : json_null());
  json_object_set_new(o, "bufsize", d->maxrate > 0 ? json_integer((json_int_t)d->bufsize) : json_null());
  json_object_set_new(o, "profile", d->profile ? json_string(d->profile) : json_null());
  json_object_set_new(o, "level", d->level ? json_string(d->level) : json_null());
  json_object_set_new(o, "gop", json_real(t6(d->gop > 0 ? d->gop : 2.0)));
  json_object_set_new(o, "max_size", d->max_size > 0 ? json_integer((json_int_t)d->max_size) : json_null());
  json_object_set_new(o, "loudness", json_real(d->loudness));
  json_object_set_new(o, "true_peak", json_real(d->true_peak));
  json_object_set_new(o, "faststart", json_boolean(d->faststart));
  json_object_set_new(o, "audio_bitrate", json_integer((json_int_t)d->audio_bitrate));
  json_object_set_new(o, "src", json_string(plan_src(p->s, d->node->src, d->node->kw)));
  return o;
}
