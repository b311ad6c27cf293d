/* Delivery settings (check stage): `deliver PRESET`, `deliver { … }` and `deliver PRESET { … }`
 * read into a vsc_deliver_spec, then held against the whole video: the H.264 level its frame
 * size, frame rate and bit-rate cap need (`level auto` picks the lowest), and what the
 * platform preset accepts. The presets, YouTube's bit-rate ladder and the level limits are
 * tables in deliver.def. The planner (plan/deliver.c) turns the spec into node params. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check/checker.h"

typedef struct {
  const char *name, *profile, *level;
  double gop, maxrate, max_size, loudness, true_peak, audio;
  int fps_min, fps_max, side_min, width_max, side_max;
} deliver_preset;

typedef struct {
  int side;
  double rate30, rate60;
} youtube_rate;

typedef struct {
  const char *name;
  double mbps, fs, br, cpb; /* MaxMBPS, MaxFS, MaxBR (kbit/s), MaxCPB (kbit) */
} h264_level;

#define VSC_DELIVER_PRESET(n, pr, lv, g, mr, ms, lo, tp, au, f0, f1, s0, w1, s1) {n, pr, lv, g, mr, ms, lo, tp, au, f0, f1, s0, w1, s1},
#define VSC_YOUTUBE_RATE(side, r30, r60)
#define VSC_H264_LEVEL(n, mbps, fs, br, cpb)
static const deliver_preset presets[] = {
#include "check/deliver.def"
};
#undef VSC_DELIVER_PRESET
#undef VSC_YOUTUBE_RATE
#undef VSC_H264_LEVEL

#define VSC_DELIVER_PRESET(n, pr, lv, g, mr, ms, lo, tp, au, f0, f1, s0, w1, s1)
#define VSC_YOUTUBE_RATE(side, r30, r60) {side, r30, r60},
#define VSC_H264_LEVEL(n, mbps, fs, br, cpb)
static const youtube_rate youtube_rates[] = {
#include "check/deliver.def"
};
#undef VSC_YOUTUBE_RATE
#undef VSC_H264_LEVEL
#define VSC_YOUTUBE_RATE(side, r30, r60)
#define VSC_H264_LEVEL(n, mbps, fs, br, cpb) {n, mbps, fs, br, cpb},
static const h264_level levels[] = {
#include "check/deliver.def"
};
#undef VSC_DELIVER_PRESET
#undef VSC_YOUTUBE_RATE
#undef VSC_H264_LEVEL

#define NPRESETS (sizeof presets / sizeof presets[0])
#define NLEVELS (sizeof levels / sizeof levels[0])

bool check_deliver_is_preset(const char *name) {
  for (size_t i = 0; name && i < NPRESETS; i++)
    if (strcmp(presets[i].name, name) == 0) return true;
  return false;
}

static const char *const options[] = {"crf", "bitrate", "maxrate", "bufsize", "profile", "level",
                                      "gop", "max_size", "loudness", "true_peak", "faststart", "audio_bitrate"};
#define NOPTIONS (sizeof options / sizeof options[0])
static const char *const profiles[] = {"baseline", "main", "high"};

/* The ways of saying yes and no to `faststart`. */
static bool read_yes_no(const eval_ctx *c, const vsc_value *v, const char *what, bool *out) {
  static const char *const words[] = {"yes", "no", "on", "off", "true", "false"};
  const char *w;
  if (!check_name_in(c, v, what, words, 6, &w)) return false;
  *out = strcmp(w, "yes") == 0 || strcmp(w, "on") == 0 || strcmp(w, "true") == 0;
  return true;
}

/* A bit rate as it is written: 8M, 800k. */
static const char *rate_text(double bps, char *buf, size_t size) {
  if (bps >= 1e6) snprintf(buf, size, "%gM", bps / 1e6);
  else snprintf(buf, size, "%gk", bps / 1e3);
  return buf;
}

/* A bit rate (8M, 800k) within [lo, hi] bits/s. */
static bool read_rate(const eval_ctx *c, const vsc_value *v0, const char *what, double lo, double hi, double *out) {
  const vsc_value *v = check_val(c, v0);
  if (!check_expect(c, v, V_BITRATE, what, "write a bit rate with its unit: 8M or 800k (bits per second)")) return false;
  if (!(v->num >= lo && v->num <= hi)) {
    vsc_session *s = c->s;
    char h[96], a[24], b[24], x[24];
    snprintf(h, sizeof h, "'%s' must be between %s and %s", what, rate_text(lo, a, sizeof a), rate_text(hi, b, sizeof b));
    ERR(c->src, v->span, h, "%s %s is out of range", what, rate_text(v->num, x, sizeof x));
    return false;
  }
  *out = v->num;
  return true;
}

/* A plain number or a level in dB (loudness -14, true_peak -1dB), within [lo, hi]. */
static bool read_level(const eval_ctx *c, const vsc_value *v0, const char *what, double lo, double hi, const char *unit,
                       double *out) {
  vsc_value num = *check_val(c, v0);
  if (num.kind == V_DB) num.kind = V_NUMBER;
  const vsc_value *v = &num;
  if (!check_expect(c, v, V_NUMBER, what, NULL)) return false;
  vsc_session *s = c->s;
  if (!(v->num >= lo && v->num <= hi)) {
    char h[96];
    snprintf(h, sizeof h, "'%s' must be between %g and %g %s", what, lo, hi, unit);
    ERR(c->src, v->span, h, "%s %g %s is out of range", what, v->num, unit);
    return false;
  }
  *out = v->num;
  return true;
}

/* Applies a platform preset's row. */
static void apply_preset(vsc_deliver_spec *d, const deliver_preset *p) {
  d->preset = p->name;
  d->profile = p->profile;
  d->level = p->level;
  d->gop = p->gop;
  d->maxrate = p->maxrate;
  d->max_size = p->max_size;
  d->loudness = p->loudness;
  d->true_peak = p->true_peak;
  d->audio_bitrate = p->audio;
}

static const deliver_preset *find_preset(const char *name) {
  for (size_t i = 0; i < NPRESETS; i++)
    if (strcmp(presets[i].name, name) == 0) return &presets[i];
  return NULL;
}

/* deliver PRESET: the name of a platform preset */
static void read_preset(const eval_ctx *c, const vsc_value *v, vsc_deliver_spec *d) {
  vsc_session *s = c->s;
  const char *name;
  if (!check_get_ident(c, v, "deliver", &name)) return;
  const deliver_preset *p = find_preset(name);
  if (p) {
    apply_preset(d, p);
    return;
  }
  const char *names[NPRESETS];
  for (size_t i = 0; i < NPRESETS; i++) names[i] = presets[i].name;
  char h[160];
  const char *hint = check_suggest(name, names, NPRESETS, h, sizeof h);
  if (!hint) {
    snprintf(h, sizeof h, "presets are youtube, tiktok, instagram-reels and broadcast; or write 'deliver { crf 20 … }'");
    hint = h;
  }
  ERR(c->src, check_val(c, v)->span, hint, "unknown delivery preset '%s'", name);
}

static const h264_level *find_level(const char *name) {
  for (size_t i = 0; i < NLEVELS; i++)
    if (strcmp(levels[i].name, name) == 0) return &levels[i];
  return NULL;
}

/* level 4.1 | level auto */
static void read_h264_level(const eval_ctx *c, const vsc_value *v0, vsc_deliver_spec *d) {
  vsc_session *s = c->s;
  const vsc_value *v = check_val(c, v0);
  if (v->kind == V_IDENT && strcmp(v->str, "auto") == 0) {
    d->level = "auto";
    return;
  }
  if (v->kind != V_NUMBER) {
    check_expect(c, v, V_NUMBER, "level", "write an H.264 level as 4.1, or 'auto'");
    return;
  }
  char name[16];
  snprintf(name, sizeof name, "%g", v->num);
  const h264_level *l = find_level(name);
  if (!l) {
    ERR(c->src, v->span, "H.264 levels are 1, 1.1 … 3, 3.1, 3.2, 4, 4.1, 4.2, 5, 5.1, 5.2, 6, 6.1, 6.2",
        "%s is not an H.264 level", name);
    return;
  }
  d->level = l->name;
}

/* gop 2s (seconds) or gop 48 (frames, kept as negative until the fps is known) */
static void read_gop(const eval_ctx *c, const vsc_value *v0, vsc_deliver_spec *d) {
  const vsc_value *v = check_val(c, v0);
  if (v->kind == V_NUMBER) {
    vsc_session *s = c->s;
    if (!(v->num >= 1 && v->num <= 1000 && v->num == floor(v->num)))
      ERR(c->src, v->span, "a GOP is a whole number of frames (1 to 1000) or a duration such as 2s",
          "gop %g is not a number of frames", v->num);
    else
      d->gop = -v->num;
    return;
  }
  double g;
  if (check_get_duration(c, v, "gop", &g) && check_in_range(c, v, g, 0.04, 20, "gop", "s")) d->gop = g;
}

/* One `name value` line of a deliver block. */
static void read_option(const eval_ctx *c, vsc_ast *o, vsc_deliver_spec *d, vsc_ast **crf_node, vsc_ast **rate_node) {
  vsc_session *s = c->s;
  const char *k = o->name.str;
  const vsc_value *v = &o->vals[0];
  if (strcmp(k, "crf") == 0) {
    double x;
    if (check_get_number(c, v, "crf", &x) && check_in_range(c, v, x, 0, 51, "crf", "")) {
      if (x != floor(x)) ERR(c->src, check_val(c, v)->span, NULL, "crf must be a whole number");
      else d->crf = (int)x, *crf_node = o;
    }
  } else if (strcmp(k, "bitrate") == 0) {
    if (read_rate(c, v, "bitrate", 50e3, 400e6, &d->bitrate)) *rate_node = o;
  } else if (strcmp(k, "maxrate") == 0) {
    read_rate(c, v, "maxrate", 50e3, 800e6, &d->maxrate);
  } else if (strcmp(k, "bufsize") == 0) {
    read_rate(c, v, "bufsize", 50e3, 1600e6, &d->bufsize);
  } else if (strcmp(k, "profile") == 0) {
    check_name_in(c, v, "profile", profiles, 3, &d->profile);
  } else if (strcmp(k, "level") == 0) {
    read_h264_level(c, v, d);
  } else if (strcmp(k, "gop") == 0) {
    read_gop(c, v, d);
  } else if (strcmp(k, "max_size") == 0) {
    const vsc_value *x = check_val(c, v);
    if (check_expect(c, x, V_BYTES, "max_size", "write a file size as 50MB, 4GB or 500KB") &&
        check_in_range(c, x, x->num / 1e6, 0.1, 1e6, "max_size", "MB")) {
      d->max_size = x->num;
      d->max_size_node = o;
    }
  } else if (strcmp(k, "loudness") == 0) {
    read_level(c, v, "loudness", -40, -5, "LUFS", &d->loudness);
  } else if (strcmp(k, "true_peak") == 0) {
    read_level(c, v, "true_peak", -12, 0, "dBTP", &d->true_peak);
  } else if (strcmp(k, "faststart") == 0) {
    read_yes_no(c, v, "faststart", &d->faststart);
  } else if (strcmp(k, "audio_bitrate") == 0) {
    read_rate(c, v, "audio_bitrate", 32e3, 512e3, &d->audio_bitrate);
  }
}

void check_deliver(const eval_ctx *c, vsc_ast *st, vsc_deliver_spec *d) {
  vsc_session *s = c->s;
  memset(d, 0, sizeof *d);
  d->present = true;
  d->node = st;
  d->max_size_node = st;
  d->crf = -1;
  d->loudness = -14;
  d->true_peak = -1;
  d->faststart = true;
  d->audio_bitrate = 192000;
  if (st->nvals && st->vals[0].kind != V_NONE) read_preset(c, &st->vals[0], d);
  const char *seen[NOPTIONS];
  int nseen = 0;
  vsc_ast *crf_node = NULL, *rate_node = NULL;
  for (vsc_ast *o = st->opts.head; o; o = o->next) {
    const char *k = o->name.str;
    if (!check_one_of(k, options, NOPTIONS)) {
      char h[160];
      const char *hint = check_suggest(k, options, NOPTIONS, h, sizeof h);
      ERR(c->src, o->name.span, hint ? hint : "delivery settings: crf bitrate maxrate bufsize profile level gop max_size loudness true_peak faststart audio_bitrate",
          "unknown delivery setting '%s'", k);
      continue;
    }
    bool dup = false;
    for (int i = 0; i < nseen; i++) dup |= strcmp(seen[i], k) == 0;
    if (dup) {
      ERR(c->src, o->name.span, "each setting appears once", "'%s' is set twice", k);
      continue;
    }
    seen[nseen++] = k;
    read_option(c, o, d, &crf_node, &rate_node);
  }
  if (crf_node && rate_node) {
    ERR(c->src, rate_node->name.span, "drop one: 'crf' keeps a quality, 'bitrate' keeps an average rate",
        "'bitrate' and 'crf' cannot both be set");
    d->bitrate = 0;
  }
  if (d->bitrate > 0 && d->maxrate > 0 && d->maxrate < d->bitrate) {
    char a[24], b[24];
    ERR(c->src, rate_node->vals[0].span, "raise 'maxrate' or lower 'bitrate'", "bitrate %s is above the maxrate of %s",
        rate_text(d->bitrate, a, sizeof a), rate_text(d->maxrate, b, sizeof b));
  }
  if (d->bufsize > 0 && !(d->maxrate > 0) && !(d->bitrate > 0))
    ERR(c->src, st->kw, "add 'maxrate': the buffer is that of a bit-rate cap", "'bufsize' without 'maxrate'");
}

/* ---- against the whole video ------------------------------------------------------------ */

/* The option line `name` of the deliver statement, or NULL. */
static vsc_ast *option_node(const vsc_deliver_spec *d, const char *name) {
  for (vsc_ast *o = d->node->opts.head; o; o = o->next)
    if (strcmp(o->name.str, name) == 0) return o;
  return NULL;
}

/* Where an error about a setting goes: its own value, or the preset's name. */
static vsc_span span_of(const vsc_deliver_spec *d, const char *name) {
  vsc_ast *o = option_node(d, name);
  if (o) return o->vals[0].span;
  return d->node->nvals && d->node->vals[0].kind != V_NONE ? d->node->vals[0].span : d->node->kw;
}

/* YouTube's recommended rate for the frame: the first row its short side fits. */
static double youtube_rate_for(int w, int h, int fps) {
  int side = w < h ? w : h;
  size_t n = sizeof youtube_rates / sizeof youtube_rates[0];
  for (size_t i = 0; i < n; i++)
    if (side <= youtube_rates[i].side) return fps > 30 ? youtube_rates[i].rate60 : youtube_rates[i].rate30;
  return fps > 30 ? youtube_rates[n - 1].rate60 : youtube_rates[n - 1].rate30;
}

/* Whether level l carries the frame, its rate and the caps; else why not, in why. */
static bool level_fits(const h264_level *l, int mbw, int mbh, int fps, double br_factor, double maxrate, double bufsize,
                       char *why, size_t size) {
  double fs = (double)mbw * mbh, side = sqrt(8 * l->fs);
  if (fs > l->fs || mbw > side || mbh > side) {
    snprintf(why, size, "a %.0f-macroblock frame (level %s holds %.0f)", fs, l->name, l->fs);
    return false;
  }
  if (fs * fps > l->mbps) {
    snprintf(why, size, "%.0f macroblocks a second (level %s decodes %.0f)", fs * fps, l->name, l->mbps);
    return false;
  }
  if (maxrate > l->br * 1000 * br_factor) {
    char a[24], b[24];
    snprintf(why, size, "a cap of %s (level %s allows %s)", rate_text(maxrate, a, sizeof a), l->name,
             rate_text(l->br * 1000 * br_factor, b, sizeof b));
    return false;
  }
  if (bufsize > l->cpb * 1000 * br_factor) {
    char a[24], b[24];
    snprintf(why, size, "a buffer of %s (level %s allows %s)", rate_text(bufsize, a, sizeof a), l->name,
             rate_text(l->cpb * 1000 * br_factor, b, sizeof b));
    return false;
  }
  return true;
}

/* The frame size and rate the platform takes. */
static void check_platform(vsc_session *s, vsc_video_spec *v, const deliver_preset *p) {
  vsc_deliver_spec *d = &v->deliver;
  vsc_span at = d->node->vals[0].span;
  if (p->fps_min && (v->fps < p->fps_min || v->fps > p->fps_max))
    ERR(d->node->src, at, "set the video's 'fps' to 30", "%s takes %d to %d fps; the video has %d fps", p->name,
        p->fps_min, p->fps_max, v->fps);
  int lo = v->width < v->height ? v->width : v->height, hi = v->width > v->height ? v->width : v->height;
  if ((p->side_min && lo < p->side_min) || (p->side_max && hi > p->side_max))
    ERR(d->node->src, at, "change the video's 'size'", "%s takes %d to %d pixels a side; the video is %dx%d", p->name,
        p->side_min, p->side_max, v->width, v->height);
  if (p->width_max && v->width > p->width_max)
    ERR(d->node->src, at, "change the video's 'size'", "%s takes frames at most %d pixels wide; the video is %dx%d",
        p->name, p->width_max, v->width, v->height);
}

void vsc_chk_deliver(vsc_session *s, vsc_video_spec *v) {
  vsc_deliver_spec *d = &v->deliver;
  if (!d->present) return;
  const deliver_preset *p = d->preset ? find_preset(d->preset) : NULL;
  if (p) check_platform(s, v, p);
  if (d->maxrate < 0) d->maxrate = youtube_rate_for(v->width, v->height, v->fps);
  if (d->gop < 0) d->gop = -d->gop / v->fps; /* frames, now that the rate is known */
  if (d->maxrate > 0 && d->bufsize <= 0) d->bufsize = 2 * d->maxrate;
  if (d->bufsize > 0 && d->maxrate > 0 && d->bufsize < d->maxrate / v->fps) {
    char a[24], b[24];
    ERR(d->node->src, span_of(d, "bufsize"), "give the buffer at least a second of the cap",
        "bufsize %s cannot hold one frame at the maxrate of %s", rate_text(d->bufsize, a, sizeof a),
        rate_text(d->maxrate, b, sizeof b));
  }
  if (!d->level) return;
  /* High profile carries 1.25 times the bits of Main and Baseline (H.264 Table A-2). */
  double br_factor = !d->profile || strcmp(d->profile, "high") == 0 ? 1.25 : 1.0;
  int mbw = (v->width + 15) / 16, mbh = (v->height + 15) / 16;
  char why[160];
  if (strcmp(d->level, "auto") == 0) {
    for (size_t i = 0; i < NLEVELS; i++)
      if (level_fits(&levels[i], mbw, mbh, v->fps, br_factor, d->maxrate, d->bufsize, why, sizeof why)) {
        d->level = levels[i].name;
        break;
      }
    if (strcmp(d->level, "auto") == 0) {
      ERR(d->node->src, span_of(d, "level"), "lower the size, the fps or the 'maxrate'",
          "no H.264 level carries %dx%d at %d fps with these caps", v->width, v->height, v->fps);
      d->level = NULL;
      return;
    }
  } else {
    const h264_level *l = find_level(d->level);
    if (!level_fits(l, mbw, mbh, v->fps, br_factor, d->maxrate, d->bufsize, why, sizeof why)) {
      char hint[96] = "use 'level auto'", scratch[160];
      for (size_t i = 0; i < NLEVELS; i++)
        if (level_fits(&levels[i], mbw, mbh, v->fps, br_factor, d->maxrate, d->bufsize, scratch, sizeof scratch)) {
          snprintf(hint, sizeof hint, "use 'level %s' or higher, or 'level auto'", levels[i].name);
          break;
        }
      ERR(d->node->src, span_of(d, "level"), hint, "level %s cannot carry %dx%d at %d fps: %s", d->level, v->width,
          v->height, v->fps, why);
      return;
    }
  }
  /* A level is a promise to the decoder: without a cap of its own, the level's own caps apply. */
  const h264_level *l = find_level(d->level);
  if (d->maxrate <= 0) {
    d->maxrate = l->br * 1000 * br_factor;
    d->bufsize = l->cpb * 1000 * br_factor;
  }
}
