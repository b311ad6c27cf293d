/*
** The `segment` op: builds one libavfilter graph from the node's params (docs/ir.md)
** and renders it with comp_run. A segment normalises its scene layers (fit,
** frame rate, pixel format, SAR), trims or loops or freezes clips, draws text and, for a
** transition segment, crossfades the two scenes with xfade. When the full graph cannot be
** configured it falls back to a hard cut, then to no text (see vsc_compositor.h).
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "comp.h"
#include "vsc/vsc_clock.h"

typedef enum { LAYER_CLIP,
               LAYER_IMAGE,
               LAYER_COLOR } layer_type;

/* One scene's picture over the segment (the IR's LAYERS object). */
typedef struct {
  layer_type type;
  const char *path;    /* clip or image file (borrowed from inputs) */
  double offset;       /* clip time at the segment's first frame */
  int loop;            /* repeat a clip that is shorter than needed */
  char color[16];      /* colour card, libav syntax */
  int contain;         /* fit: contain (pad) instead of cover (crop) */
  int blur;            /* fit: blur (contain over a blurred cover of itself) */
  double fx, fy;       /* focus: the point of the picture a cover crop keeps (0.5 = centre) */
  double t;            /* scene time at the segment's first frame */
  const json_t *texts; /* array of text objects, or NULL (borrowed from the node) */
  vsc_media_info info; /* probe result of path */
  char ass_path[4096]; /* the layer's text script, written while building the graph */
  int ass_written;
  int nemoji; /* emoji images written beside it */
} layer;

/* Everything a segment render needs, read from params. */
typedef struct {
  int transition; /* a transition segment (two layers) */
  double duration;
  int width, height, fps;
  int64_t frames;    /* round(duration * fps) */
  const char *xfade; /* xfade transition name */
  vsc_encode_opts enc;
  layer a, b;
  char where[300];                 /* "scene 'x' (file:l:c): " for messages */
  comp_clipsrc *src[COMP_MAX_SRC]; /* clips decoded here (clipsrc.c), for the graph being built */
  char src_name[COMP_MAX_SRC][16];
  int nsrc;
} seg;

/* Graph simplification levels, tried in order until one configures. */
enum { LEVEL_FULL,
       LEVEL_CUT,
       LEVEL_NO_TEXT };

static int read_layer(const json_t *obj, const char *name, const char *const *inputs, size_t ninputs, int fps,
                      layer *L, vsc_op_error *err, const char *where) {
  memset(L, 0, sizeof *L);
  if (!json_is_object(obj)) return vsc_op_fail(err, VSC_FAIL_INPUT, "%sparam '%s': expected an object", where, name);
  const json_t *src = json_object_get(obj, "source");
  if (!json_is_object(src))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%sparam '%s.source': expected an object", where, name);
  const char *type, *fit;
  if (comp_get_str(src, "type", NULL, &type, err, where) < 0) return -1;
  if (!type) return vsc_op_fail(err, VSC_FAIL_INPUT, "%sparam '%s.source.type' is missing", where, name);
  if (comp_get_str(obj, "fit", "cover", &fit, err, where) < 0) return -1;
  if (strcmp(fit, "cover") && strcmp(fit, "contain") && strcmp(fit, "blur"))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%sparam '%s.fit': expected cover, contain or blur, not '%s'", where, name, fit);
  L->contain = !strcmp(fit, "contain");
  L->blur = !strcmp(fit, "blur");
  if (comp_read_focus(obj, &L->fx, &L->fy, err, where) < 0) return -1;
  if (comp_get_num(obj, "t", 0, &L->t, err, where) < 0) return -1;
  L->texts = json_object_get(obj, "texts");
  if (L->texts && !json_is_null(L->texts) && !json_is_array(L->texts))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%sparam '%s.texts': expected an array", where, name);
  if (!strcmp(type, "color")) {
    const char *c;
    L->type = LAYER_COLOR;
    if (comp_get_str(src, "color", "#000000", &c, err, where) < 0) return -1;
    if (comp_color(c, L->color) < 0)
      return vsc_op_fail(err, VSC_FAIL_INPUT, "%sparam '%s.source.color': '%s' is not #rgb or #rrggbb", where, name, c);
    return 0;
  }
  size_t idx;
  if (strcmp(type, "clip") && strcmp(type, "image"))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%sparam '%s.source.type': unknown '%s'", where, name, type);
  if (comp_get_input(src, "input", ninputs, &idx, err, where) < 0) return -1;
  L->path = inputs[idx];
  L->type = !strcmp(type, "clip") ? LAYER_CLIP : LAYER_IMAGE;
  if (comp_get_num(src, "offset", 0, &L->offset, err, where) < 0) return -1;
  if (comp_get_bool(src, "loop", 0, &L->loop, err, where) < 0) return -1;
  if (L->offset < 0) return vsc_op_fail(err, VSC_FAIL_INPUT, "%sparam '%s.source.offset' is negative", where, name);
  /* Validate the file before building anything around it. */
  vsc_op_error perr = {0};
  if (vsc_comp_probe_info(L->path, &L->info, &perr) < 0)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%s%s", where, perr.msg);
  if (!L->info.has_video)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%sinput '%s' has no video stream", where, L->path);
  if (L->info.is_image || L->info.duration <= 0) L->type = LAYER_IMAGE; /* a still named as a clip */
  (void)fps;
  return 0;
}

/* Appends ",ass=..." drawing the texts of L visible during the segment (laid out by
** media/text into an ASS script next to the output). */
static int text_filters(vsc_buf *sb, const seg *s, layer *L, const char *out_path, char which, vsc_op_error *err) {
  if (!L->texts) return 0;
  char fontsdir[512], tag[8];
  snprintf(L->ass_path, sizeof L->ass_path, "%s.%c.ass", out_path, which);
  snprintf(tag, sizeof tag, "em%c", which);
  vsc_buf emoji = {0};
  int r = comp_text_script(L->texts, L->t, s->duration, s->width, s->height, L->ass_path, fontsdir, sizeof fontsdir,
                           &emoji, tag, s->fps, &L->nemoji, err, s->where);
  if (r <= 0) {
    vsc_buf_free(&emoji);
    return r;
  }
  L->ass_written = 1;
  vsc_buf_printf(sb, ",ass=filename=");
  comp_add_filter_arg(sb, L->ass_path);
  if (fontsdir[0]) {
    vsc_buf_printf(sb, ":fontsdir=");
    comp_add_filter_arg(sb, fontsdir);
  }
  if (emoji.s) vsc_buf_puts(sb, emoji.s);
  vsc_buf_free(&emoji);
  return 0;
}

/* Appends the chain that fits L's picture to w x h: cover (crop, at the focus point),
** contain (pad) or blur (contain over a blurred cover: a reframe without black bars).
** `tag` keeps blur's inner labels apart between the two layers of a segment. */
static void fit_filters(vsc_buf *sb, const layer *L, int w, int h, const char *tag) {
  if (L->contain) {
    vsc_buf_printf(sb, ",scale=w=%d:h=%d:force_original_aspect_ratio=decrease,pad=w=%d:h=%d:x=(ow-iw)/2:y=(oh-ih)/2:color=black",
                   w, h, w, h);
  } else if (L->blur) {
    /* The fill is blurred at a quarter size: the blur is wide and cheap. */
    int qw = (w / 4) & ~1, qh = (h / 4) & ~1;
    vsc_buf_printf(sb, ",split=2[fb%s][ff%s];[fb%s]scale=w=%d:h=%d:force_original_aspect_ratio=increase,crop=w=%d:h=%d,"
                       "boxblur=luma_radius=%d:luma_power=2,scale=w=%d:h=%d,setsar=1[fbb%s];"
                       "[ff%s]scale=w=%d:h=%d:force_original_aspect_ratio=decrease,setsar=1[ffs%s];"
                       "[fbb%s][ffs%s]overlay=x=(W-w)/2:y=(H-h)/2",
                   tag, tag, tag, qw, qh, qw, qh, qw < qh ? qw / 8 + 1 : qh / 8 + 1, w, h, tag, tag, w, h, tag, tag, tag);
  } else if (L->fx != 0.5 || L->fy != 0.5) {
    vsc_buf_printf(sb, ",scale=w=%d:h=%d:force_original_aspect_ratio=increase,crop=w=%d:h=%d:x=(iw-ow)*%.4f:y=(ih-oh)*%.4f",
                   w, h, w, h, L->fx, L->fy);
  } else {
    vsc_buf_printf(sb, ",scale=w=%d:h=%d:force_original_aspect_ratio=increase,crop=w=%d:h=%d", w, h, w, h);
  }
}

/* Appends the chain that makes layer L's picture, ending in [label]; text unless !with_text. */
static int layer_chain(vsc_buf *sb, seg *s, layer *L, int with_text, const char *label, const char *out_path,
                       vsc_op_error *err) {
  int W = s->width, H = s->height, fps = s->fps;
  switch (L->type) {
  case LAYER_COLOR:
    vsc_buf_printf(sb, "color=c=%s:s=%dx%d:r=%d,format=yuv420p", L->color, W, H, fps);
    break;
  case LAYER_IMAGE:
    /* Fit the still once, then repeat that one frame: constant memory, no re-decoding. */
    vsc_buf_printf(sb, "movie=");
    comp_add_filter_arg(sb, L->path);
    fit_filters(sb, L, W, H, label);
    vsc_buf_printf(sb, ",setsar=1,format=yuv420p,loop=loop=-1:size=1,settb=1/%d,setpts=N,fps=%d", fps, fps);
    break;
  case LAYER_CLIP: {
    double clip_fps = L->info.fps > 0 ? L->info.fps : fps;
    double off = L->offset;
    int loop = L->loop && L->info.duration > 0;
    /* Nothing left to play from the offset: freeze on the clip's last picture. */
    int freeze = !loop && L->info.duration > 0 && off > L->info.duration - 1.0 / clip_fps;
    if (!loop && s->nsrc < COMP_MAX_SRC && !getenv("VSC_COMP_MOVIE")) {
      /* Decoded here (clipsrc.c): no picture before the offset reaches the graph, and a
       * decoder an earlier segment of this clip left is continued. */
      char args[256];
      int k = s->nsrc, r = 0;
      /* Whether this segment shows the clip to its end (a transition after it may then
       * take the clip's last picture from this decoder). */
      int to_end = L->info.duration > 0 && off + s->duration >= L->info.duration - 1.0 / clip_fps;
      if (!freeze) r = comp_clipsrc_open(&s->src[k], L->path, off, to_end, args, sizeof args, err);
      if (r < 0) return -1;
      if (r == 1) freeze = 1; /* no picture from the offset on: the last one */
      if (freeze) {
        double tail = L->info.duration - 2.5 / clip_fps, seek = L->info.duration - 1.0;
        r = comp_clipsrc_open_last(&s->src[k], L->path, seek > 0 ? seek : 0, tail > 0 ? tail : 0, args, sizeof args, err);
        if (r < 0) return -1;
      }
      if (r == 0) {
        snprintf(s->src_name[k], sizeof s->src_name[k], "vscclip%d", k);
        s->nsrc++;
        vsc_buf_printf(sb, "buffer@%s=%s", s->src_name[k], args);
        if (off > 0 && !freeze) vsc_buf_printf(sb, ",trim=start=%.6f", off + L->info.start_time);
        goto fit;
      }
    }
    vsc_buf_printf(sb, "movie=");
    comp_add_filter_arg(sb, L->path);
    /* One decoding thread: the encoder is the bottleneck, and frame threads cost CPU. */
    vsc_buf_printf(sb, ":dec_threads=1");
    if (freeze) {
      /* The last picture, whatever the container's rounded length says: decode the last few
       * frames, and keep the last one (reverse buffers only those). */
      double tail = L->info.duration - 2.5 / clip_fps, seek = L->info.duration - 1.0;
      vsc_buf_printf(sb, ":sp=%.6f,trim=start=%.6f,reverse,trim=end_frame=1", seek > 0 ? seek : 0,
                     (tail > 0 ? tail : 0) + L->info.start_time);
    } else if (loop) {
      /* movie restarts timestamps on every pass: renumber frames at the clip's rate. */
      vsc_buf_printf(sb, ":loop=0,setpts=N/(%.6f*TB)", clip_fps);
      if (off > 0) vsc_buf_printf(sb, ",trim=start=%.6f", off);
    } else if (off > 0) {
      /* Seek near the offset, then drop the frames before it. */
      vsc_buf_printf(sb, ":sp=%.6f,trim=start=%.6f", off, off + L->info.start_time);
    }
  fit:
    vsc_buf_printf(sb, ",setpts=PTS-STARTPTS,fps=%d", fps);
    fit_filters(sb, L, W, H, label);
    vsc_buf_printf(sb, ",setsar=1,format=yuv420p");
    break;
  }
  }
  if (with_text && text_filters(sb, s, L, out_path, label[0] == 'b' ? 'b' : 'a', err) < 0) return -1;
  /* A clip shorter than the segment holds its last picture. */
  if (L->type == LAYER_CLIP) vsc_buf_printf(sb, ",tpad=stop_mode=clone:stop=-1");
  vsc_buf_printf(sb, "[%s]", label);
  return 0;
}

/* Appends the transition from [a] to [b], ending in [vout]: xfade, but for two names. */
static void transition_filter(vsc_buf *sb, const seg *s) {
  if (!strcmp(s->xfade, "fade")) {
    /* A crossfade blends the two pictures as they are, in 4:2:0: xfade converts both to
    ** 4:4:4 and back, most of its cost, and the round trip blurs the colour of even its
    ** first frame. The opacity steps once a frame, as xfade's progress does. */
    vsc_buf cmds = {0};
    for (int64_t k = 0; k < s->frames; k++)
      vsc_buf_printf(&cmds, "%.6f blend@xf all_opacity %.6f;", k ? (k - 0.5) / s->fps : 0.0,
                     1.0 - (double)k / (double)s->frames);
    vsc_buf_printf(sb, ";[a]sendcmd=c=");
    comp_add_filter_arg(sb, cmds.s ? cmds.s : "");
    vsc_buf_printf(sb, "[ac];[ac][b]blend@xf=all_mode=normal:all_opacity=1[vout]");
    vsc_buf_free(&cmds);
    return;
  }
  /* FFmpeg 5.1's slideup reads the row after its first input's last on the first frame (a
  ** garbage top row, or a crash at the end of a mapping). slidedown between upside-down
  ** pictures gives the same pixels in bounds; vflip only turns the row pointers round.
  ** Flipping after xfade's own conversion to 4:4:4 keeps every other frame bit-identical. */
  int flip = !strcmp(s->xfade, "slideup");
  if (flip) {
    vsc_buf_printf(sb, ";[a]format=yuv444p,vflip[af];[b]format=yuv444p,vflip[bf];[af][bf]xfade=transition=slidedown");
  } else {
    vsc_buf_printf(sb, ";[a][b]xfade=transition=");
    comp_add_filter_arg(sb, s->xfade);
  }
  vsc_buf_printf(sb, ":duration=%.6f:offset=0%s[vout]", (double)s->frames / s->fps, flip ? ",vflip" : "");
}

static int build_segment_graph(vsc_buf *sb, seg *s, int level, const char *out_path, vsc_op_error *err) {
  int text = level < LEVEL_NO_TEXT;
  if (!s->transition) return layer_chain(sb, s, &s->a, text, "vout", out_path, err);
  if (layer_chain(sb, s, &s->a, text, "a", out_path, err) < 0) return -1;
  vsc_buf_printf(sb, ";");
  if (layer_chain(sb, s, &s->b, text, "b", out_path, err) < 0) return -1;
  if (level == LEVEL_FULL) {
    transition_filter(sb, s);
  } else {
    /* Hard cut at the transition's midpoint. */
    int64_t k = s->frames / 2;
    vsc_buf_printf(sb, ";[a]trim=end_frame=%lld[a1];[b]trim=start_frame=%lld,setpts=PTS-STARTPTS[b1];"
                       "[a1][b1]concat=n=2:v=1:a=0[vout]",
                   (long long)k, (long long)k);
  }
  return 0;
}

static int layer_has_text(const layer *L) { return L->texts && json_array_size(L->texts) > 0; }

int comp_read_frame_params(const json_t *p, int *w, int *h, int *fps, vsc_op_error *err, const char *where) {
  long long lw, lh, lf;
  if (comp_get_int(p, "width", 1920, &lw, err, where) < 0 || comp_get_int(p, "height", 1080, &lh, err, where) < 0 ||
      comp_get_int(p, "fps", 30, &lf, err, where) < 0)
    return -1;
  if (lw < 16 || lh < 16 || lw > 8192 || lh > 8192 || (lw & 1) || (lh & 1))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%ssize %lldx%lld: expected even numbers from 16 to 8192", where, lw, lh);
  if (lf < 1 || lf > 240) return vsc_op_fail(err, VSC_FAIL_INPUT, "%sfps %lld out of range 1..240", where, lf);
  *w = (int)lw;
  *h = (int)lh;
  *fps = (int)lf;
  return 0;
}

/* Renders s at the first simplification level whose graph configures. */
static int render_levels(seg *s, const char *out_path, vsc_op_error *err) {
  const char *where = s->where;
  int has_text = layer_has_text(&s->a) || (s->transition && layer_has_text(&s->b));
  int levels[3], nlevels = 0;
  levels[nlevels++] = LEVEL_FULL;
  if (s->transition) levels[nlevels++] = LEVEL_CUT;
  if (has_text) levels[nlevels++] = LEVEL_NO_TEXT;
  for (int i = 0; i < nlevels; i++) {
    vsc_buf g = {0};
    vsc_op_error rerr = {0};
    double t0 = getenv("VSC_COMP_TRACE") ? vsc_clock_now() : 0;
    int ret = build_segment_graph(&g, s, levels[i], out_path, &rerr);
    if (t0 > 0) fprintf(stderr, "vsc: segment %s: layers and texts %.3f s\n", out_path, vsc_clock_now() - t0);
    comp_job job;
    memset(&job, 0, sizeof job);
    if (ret == 0) {
      job.graph = g.s;
      job.enc = &s->enc;
      job.duration = (double)s->frames / s->fps;
      job.width = s->width;
      job.height = s->height;
      job.fps = s->fps;
      job.out_path = out_path;
      job.kind = COMP_OUT_MP4;
      for (int k = 0; k < s->nsrc; k++) {
        job.src[k] = s->src[k];
        job.src_name[k] = s->src_name[k];
      }
      job.nsrc = s->nsrc;
      ret = comp_run(&job, &rerr);
    }
    /* A finished render leaves its decoders for the next segment of the same clips. */
    for (int k = 0; k < s->nsrc; k++) comp_clipsrc_close(&s->src[k], ret == 0);
    s->nsrc = 0;
    vsc_buf_free(&g);
    /* Warnings of the layout (substituted fonts, overflow) go to the caller. */
    if (ret == 0 && rerr.kind == VSC_FAIL_NONE && rerr.msg[0] && err) {
      /* Already given to the warning handler: only joined to the node's message here. */
      size_t used = strlen(err->msg);
      snprintf(err->msg + used, sizeof err->msg - used, "%s%s", used ? "; " : "", rerr.msg);
    }
    for (layer *L = &s->a; L; L = L == &s->a && s->transition ? &s->b : NULL)
      if (L->ass_written) {
        unlink(L->ass_path);
        comp_emoji_remove(L->ass_path, L->nemoji);
        L->ass_written = 0;
        L->nemoji = 0;
      }
    if (ret == 0) return 0;
    /* A text that cannot be laid out (no usable font): the picture without texts. */
    int built = job.graph != NULL;
    if (!built && has_text && levels[i] < LEVEL_NO_TEXT) {
      job.stage = COMP_STAGE_CONFIG;
      while (i + 2 < nlevels) i++;
    }
    /* Only a graph that failed to configure is worth simplifying. */
    if (job.stage != COMP_STAGE_CONFIG || i + 1 == nlevels)
      return vsc_op_fail(err, rerr.kind ? rerr.kind : VSC_FAIL_LOCAL, "%ssegment: %s", where, rerr.msg);
    comp_warn(err, "%s%s; rendered %s instead", where, rerr.msg,
              levels[i + 1] == LEVEL_CUT ? "the transition as a hard cut" : "without text overlays");
  }
  return vsc_op_fail(err, VSC_FAIL_LOCAL, "%ssegment: no graph could be rendered", where);
}

int vsc_comp_segment(const json_t *node, const char *const *inputs, size_t ninputs, const char *out_path,
                     vsc_op_error *err) {
  seg s;
  memset(&s, 0, sizeof s);
  if (err) {
    err->kind = VSC_FAIL_NONE;
    err->retry_after = 0;
    err->msg[0] = 0;
  }
  comp_node_where(node, s.where, sizeof s.where);
  const char *where = s.where;
  const json_t *p = json_object_get(node, "params");
  if (!json_is_object(p)) return vsc_op_fail(err, VSC_FAIL_INPUT, "%ssegment: params missing", where);
  /* Captions of a model's voice: first placed where the words fell in its audio. */
  json_t *timed;
  if (comp_cues_resolve(node, inputs, ninputs, &timed, err, where) < 0) return -1;
  if (timed) {
    int r = vsc_comp_segment(timed, inputs, ninputs, out_path, err);
    json_decref(timed);
    return r;
  }
  const char *kind;
  if (comp_get_str(p, "kind", "body", &kind, err, where) < 0) return -1;
  if (strcmp(kind, "body") && strcmp(kind, "transition"))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%ssegment kind '%s': expected body or transition", where, kind);
  s.transition = !strcmp(kind, "transition");
  if (comp_get_num(p, "duration", 0, &s.duration, err, where) < 0) return -1;
  if (comp_read_frame_params(p, &s.width, &s.height, &s.fps, err, where) < 0) return -1;
  s.frames = comp_frames(s.duration, s.fps);
  if (s.frames < 1 || s.duration > 24 * 3600)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%ssegment duration %g s is less than one frame", where, s.duration);
  vsc_op_error eerr = {0};
  if (vsc_comp_encode_opts_from_json(&s.enc, json_object_get(p, "encode"), &eerr) < 0)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%s%s", where, eerr.msg);
  s.enc.format = "mp4";
  s.enc.faststart = 0; /* an intermediate: concat reads it whole anyway */
  if (comp_get_str(p, "transition", "fade", &s.xfade, err, where) < 0) return -1;
  if (!strcmp(s.xfade, "crossfade")) s.xfade = "fade";
  if (read_layer(json_object_get(p, "a"), "a", inputs, ninputs, s.fps, &s.a, err, where) < 0) return -1;
  if (s.transition && read_layer(json_object_get(p, "b"), "b", inputs, ninputs, s.fps, &s.b, err, where) < 0) return -1;

  return render_levels(&s, out_path, err);
}
