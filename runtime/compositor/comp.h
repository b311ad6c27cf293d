/*
** Internal interface of the compositor stage (runtime/compositor): the graph renderer,
** filtergraph text building and escaping, parameter reading and libav error capture.
*/
#ifndef VSC_COMP_H
#define VSC_COMP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct AVFrame;
struct AVFilterContext;
#include <libavutil/rational.h>
typedef struct comp_clipsrc comp_clipsrc;

#include "vsc/vsc_buf.h"
#include "vsc/vsc_compositor.h"

/* ---- filtergraph text (written into base's vsc_buf) ---- */
/* Appends `s` escaped for an option value inside a filter description (two levels: the
** option parser's `\ ' :` and then the graph parser's `\ ' [ ] , ;`). */
void comp_add_filter_arg(vsc_buf *sb, const char *s);

/* ---- the renderer ---- */
typedef enum { COMP_OUT_MP4,
               COMP_OUT_PNG,
               COMP_OUT_WAV,
               COMP_OUT_M4A,
               COMP_OUT_NONE } comp_out_kind;

/* Where a render failed: only graph configuration failures may be retried with a
** simpler graph. */
typedef enum { COMP_STAGE_OK = 0,
               COMP_STAGE_CONFIG,
               COMP_STAGE_RUN } comp_stage;

#define COMP_MAX_SRC 4

typedef struct {
  const char *graph;          /* filtergraph description (borrowed) */
  const vsc_encode_opts *enc; /* never NULL */
  double duration;            /* seconds */
  int width, height, fps;
  const char *out_path; /* NULL for COMP_OUT_NONE */
  comp_out_kind kind;
  double *loudness;  /* COMP_OUT_NONE: receives the integrated loudness (LUFS) of
                                 [aout], measured with ebur128 */
  double *true_peak; /* COMP_OUT_NONE, or NULL: receives the true peak (dBTP, ebur128's
                        4x oversampled peak) of [aout] */
  comp_stage stage;  /* out: where it failed */
  /* Instead of a graph: a video-only generator that fills `frame` (already allocated,
     width x height, yuv420p) with picture number `index`. Returns 0 or -1 with *err set. */
  int (*video_gen)(void *ud, int64_t index, struct AVFrame *frame, vsc_op_error *err);
  void *gen_ud;
  /* Clip sources (clipsrc.c, owned by the caller): src[i] feeds the graph's `buffer`
     filter named "buffer@<src_name[i]>" whenever the graph asks it for a picture. */
  comp_clipsrc *src[COMP_MAX_SRC];
  const char *src_name[COMP_MAX_SRC];
  int nsrc;
} comp_job;

int comp_run(comp_job *job, vsc_op_error *err);
int comp_out_kind_from(const char *format, const char *path, comp_out_kind *kind);

/* ---- clip sources (clipsrc.c): a clip decoded here and fed to a `buffer` source ---- */
/* Opens `path`'s video at clip time `offset` (seconds after its start; a parked decoder of
** the same file is continued when that decodes less) and writes the `buffer` filter's
** arguments for its pictures into args. `to_end`: the segment runs to the clip's end (a
** freeze of the clip may wait for this decoder rather than decode the clip again).
** Returns 0, 1 when the clip has no picture from `offset` on (nothing opened), or -1. */
int comp_clipsrc_open(comp_clipsrc **out, const char *path, double offset, int to_end, char *args, size_t nargs,
                      vsc_op_error *err);
/* The same for a clip held on its last picture: that one picture, then the end (decoded
** from clip time `seek` with the pictures from `tail` on kept, as a freeze with `movie`
** did; or taken from a decoder that reached the clip's end, parked or soon: a running one
** opened with `to_end` is waited for, 30 s at most). */
int comp_clipsrc_open_last(comp_clipsrc **out, const char *path, double seek, double tail, char *args, size_t nargs,
                           vsc_op_error *err);
/* The graph of s runs now: with `to_end`, freezes of its clip may wait for it from here
** on. (Only running graphs are waited for: one being built may itself be waiting.) */
void comp_clipsrc_running(comp_clipsrc *s);
/* Sends the next picture (or the end) to buffer source `buf`. 0 or -1 with err set. */
int comp_clipsrc_feed(comp_clipsrc *s, struct AVFilterContext *buf, vsc_op_error *err);
int comp_clipsrc_ended(const comp_clipsrc *s);
/* Frees *s, or with `park` keeps its decoder for a later segment of the same file. */
void comp_clipsrc_close(comp_clipsrc **s, int park);
/* ---- last pictures kept across builds (lastpic.c; vsc_comp_set_frame_dir) ---- */
struct stat;
/* Writes picture f, the last of clip `path` (st: its stat), unless the directory has it or
** no directory is set. tb, fr: the clip stream's time base and frame rate; csar: its
** codec's aspect ratio. 0 or -1 (nothing kept: the caller goes on without). */
int comp_lastpic_save(const char *path, const struct stat *st, const struct AVFrame *f, AVRational tb, AVRational fr,
                      AVRational csar);
/* The clip's last picture from the directory, with those three, or NULL. */
struct AVFrame *comp_lastpic_load(const char *path, const struct stat *st, AVRational *tb, AVRational *fr,
                                  AVRational *csar);

/* Pictures decoded and parked decoders continued since the process started (tests). */
void comp_clipsrc_stats(long *decoded, long *reused);

/* ---- libav errors (the log is captured by media/probe: vsc/vsc_media.h) ---- */
/* Fails with `kind`, "<what>: <av error>[ (<last libav log line>)]". */
int comp_fail_av(vsc_op_error *err, vsc_fail_kind kind, int averr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- warnings ---- */
void comp_warn(vsc_op_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- IR params ---- */
/* Describes the node for error messages: "scene 'x' (file:1:2): " or "". */
void comp_node_where(const json_t *node, char *buf, size_t n);
/* Typed getters with defaults; a present value of the wrong type is an error. */
int comp_get_num(const json_t *obj, const char *key, double def, double *out, vsc_op_error *err,
                 const char *where);
int comp_get_int(const json_t *obj, const char *key, long long def, long long *out,
                 vsc_op_error *err, const char *where);
int comp_get_str(const json_t *obj, const char *key, const char *def, const char **out,
                 vsc_op_error *err, const char *where);
int comp_get_bool(const json_t *obj, const char *key, int def, int *out, vsc_op_error *err,
                  const char *where);
/* Reads an input index and checks it against ninputs. */
int comp_get_input(const json_t *obj, const char *key, size_t ninputs, size_t *out,
                   vsc_op_error *err, const char *where);
/* Parses "#rgb" / "#rrggbb" into "0xRRGGBB" (libav's colour syntax); -1 if malformed. */
int comp_color(const char *in, char out[16]);
/* Number of frames of a span: round(seconds * fps). */
int64_t comp_frames(double seconds, int fps);
/* Reads and checks width, height (even, 16..8192) and fps (1..240) of a node's params. */
int comp_read_frame_params(const json_t *p, int *w, int *h, int *fps, vsc_op_error *err, const char *where);

/* ---- reframing (reframe.c) ---- */
/* Reads an optional "focus": [x, y] (shares of the picture, 0..1; default the centre). */
int comp_read_focus(const json_t *obj, double *fx, double *fy, vsc_op_error *err, const char *where);

/* ---- text overlays (text.c) ---- */
struct vsc_text_req;
/* Reads text object i of a layer into a layout request for a W x H frame. */
int comp_text_req(const json_t *tx, size_t i, int W, int H, struct vsc_text_req *rq, vsc_op_error *err, const char *where);
/* Lays out the texts (and caption cues) visible in [0, seg_dur) of a layer whose scene
** time at the first frame is t_layer, and writes their ASS script to ass_path. Returns 1
** when something is drawn (fontsdir: the directory of a font file, or ""), 0 when nothing
** is, -1 on error. Layout warnings go to err with kind VSC_FAIL_NONE. Colour emoji are
** written as images beside the script (*nemoji of them) and `emoji` gets the filters that
** overlay them after the ass filter (labels made with tag, frames at fps). */
int comp_text_script(const json_t *texts, double t_layer, double seg_dur, int W, int H, const char *ass_path,
                     char *fontsdir, size_t fontsdir_len, vsc_buf *emoji, const char *tag, int fps, int *nemoji,
                     vsc_op_error *err, const char *where);

/* Frees the calling thread's kept layout context (vsc_comp_release_decoders). */
void comp_text_release(void);

/* ---- colour emoji (emoji.c) ---- */
struct vsc_text_ctx;
struct vsc_text_ass;
/* Writes the emoji of script a as images <ass_path>.<k>.pam and appends to sb the filters
** that overlay them on the chain so far ("[<tag>t<k>];movie=...;[..][..]overlay=..."): the
** picture of each, scaled to the box libass left for it, shown and faded with its text.
** Returns the number of images, or -1 (err set; none left behind). */
int comp_emoji_overlays(vsc_buf *sb, struct vsc_text_ctx *c, const struct vsc_text_ass *a, const char *ass_path,
                        const char *tag, int fps, vsc_op_error *err, const char *where);
/* Removes the images <ass_path>.<k>.pam, k < n. */
void comp_emoji_remove(const char *ass_path, int n);

/* ---- caption cues timed by the audio (cues.c) ---- */
/* When the node's params hold caption cues with "align" (a voice line a TTS model spoke),
** *out is a copy of the node with those cues at the times the align inputs found (new
** reference); else *out is NULL. Returns 0, or -1 with err set (an unreadable alignment). */
int comp_cues_resolve(const json_t *node, const char *const *inputs, size_t ninputs, json_t **out, vsc_op_error *err,
                      const char *where);

/* Forgets every probe vsc_comp_probe_info remembers (probe.c). */
void vsc_comp_probe_forget(void);

#endif
