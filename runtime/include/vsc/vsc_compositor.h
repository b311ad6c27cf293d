/*
** The compositor: turns libavfilter graphs and the plan graph's composition nodes
** (segment, concat, audio, mux, animate; see docs/ir.md and docs/compositor.md) into
** media files with the FFmpeg libraries. Frames are streamed: memory does not grow with
** the length of the video. Every function here is safe to call from several threads at
** once on different outputs.
*/
#ifndef VSC_COMPOSITOR_H
#define VSC_COMPOSITOR_H

#include <stddef.h>

#include "vsc/vsc_media.h"
#include "vsc/vsc_op.h"

/* Encoder settings shared by every output. Segments that must join by stream copy have to
** be encoded with identical settings. Initialise with VSC_ENCODE_OPTS_INIT. */
typedef struct vsc_encode_opts {
  int version;         /* 1 */
  const char *format;  /* "mp4" | "png" | "wav" | "m4a", or NULL: from out_path's extension */
  const char *codec;   /* video encoder; "libx264" */
  int crf;             /* constant rate factor, 0..51 */
  const char *preset;  /* x264 preset, e.g. "veryfast" */
  const char *pix_fmt; /* "yuv420p" */
  int gop;             /* max frames between keyframes (closed GOPs); 0 = 2 s worth */
  int threads;         /* encoder threads; a fixed number, never the core count, because
                           x264's output depends on it and renders must be bit-exact */
  int sample_rate;     /* audio, Hz */
  int audio_bitrate;   /* AAC, bits per second */
  int faststart;       /* mp4/m4a: move the index (moov) before the media data */
  /* Delivery (`deliver`, docs/language.md); zero/NULL: the encoder's own choice. */
  const char *profile; /* H.264 profile: "baseline" | "main" | "high" */
  const char *level;   /* H.264 level: "4.1" */
  long long bitrate;   /* average target, bits/s, instead of the crf */
  long long maxrate;   /* VBV cap, bits/s */
  long long bufsize;   /* VBV buffer, bits (0: two seconds of maxrate) */
} vsc_encode_opts;

#define VSC_ENCODE_OPTS_INIT \
  { 1, NULL, "libx264", 20, "veryfast", "yuv420p", 0, 1, 48000, 192000, 1, NULL, NULL, 0, 0, 0 }

/* Renders a libavfilter graph description into out_path.
** The graph holds its own sources (color=, testsrc2=, movie=FILE, amovie=FILE, anullsrc, sine,
** ...) and has no open inputs. It must label one video output `[vout]` for mp4/png and may
** label one audio output `[aout]` (required for wav/m4a, where `[vout]` must be absent).
** The compositor appends fps=FPS, scale=WIDTHxHEIGHT, setsar=1 and the pixel format to
** [vout], and resampling to enc->sample_rate stereo to [aout].
** Output: mp4 = H.264 (+ AAC when [aout]); png = the first frame; wav = PCM s16; m4a = AAC.
** Exactly round(duration*fps) frames and round(duration*sample_rate) samples are written:
** infinite sources are cut, a video that ends early is extended by repeating its last frame
** and audio by silence. The same graph and options give byte-identical files.
** `enc` may be NULL (VSC_ENCODE_OPTS_INIT). Strings are borrowed. Returns 0, or -1 with *err
** set (VSC_FAIL_INPUT for a bad graph or unreadable source, VSC_FAIL_LOCAL otherwise). */
int vsc_comp_render(const char *filtergraph, const vsc_encode_opts *enc, double duration,
                    int width, int height, int fps, const char *out_path, vsc_op_error *err);

/* Where clip sources keep a clip's last picture across builds (the CLI: the cache's
** `frames/`), so that a later build holding the clip on it does not decode the clip again;
** NULL: nowhere (the default). Outputs are the same either way. */
void vsc_comp_set_frame_dir(const char *dir);
/* Deletes from such a directory the pictures whose clip is gone or changed, and writers'
** leftovers (call it holding the cache lock); counts them. 0, or -1 if DIR cannot be read
** (a symbolic link is not followed). A missing DIR is empty. */
int vsc_comp_prune_frames(const char *dir, int *removed, unsigned long long *freed);

/* media/probe's vsc_media_probe, failing as an op does: -1 with err->kind VSC_FAIL_INPUT and a
** message naming the file. A file's answer is remembered while its path, inode, size and
** mtime stay the same (vsc_comp_release_decoders forgets them all). */
int vsc_comp_probe_info(const char *path, vsc_media_info *info, vsc_op_error *err);

/* Validates an input clip: it opens, decodes, has a video stream when need_video, and lasts
** at least min_duration seconds (still images pass any min_duration). Returns 0 or -1 with
** err->kind = VSC_FAIL_INPUT and a message naming the file. */
int vsc_comp_probe(const char *path, int need_video, double min_duration, vsc_op_error *err);

/* The op executors (vsc_op_fn, see vsc_op.h): params exactly as in docs/ir.md.
**   segment: inputs = the clips/images its layers name; output MP4 (H.264, video only)
**   concat:  inputs = segments in timeline order; stream copy; output MP4 (video only)
**   audio:   inputs = music, voice and clip files; output M4A (AAC)
**   mux:     inputs = [concat, audio]; stream copy; output MP4 with faststart
**   animate: inputs = [image]; zoom/pan; output MP4 (video only)
** Encoder settings come from params.encode when present (segment; animate may have one),
** else VSC_ENCODE_OPTS_INIT with the node's size and fps (animate: CRF 16, as its output is
** encoded again by a segment).
**
** Fallback: when a segment's full filter graph cannot be configured (an unknown
** transition, a text the filter rejects), the segment is rendered again with a simpler
** graph: the transition becomes a hard cut at its midpoint, then the text overlays are
** dropped. The call still returns 0, and the caller learns of it in two ways:
**   - err->kind is VSC_FAIL_NONE and err->msg is non-empty (the executors clear *err on
**     entry, so a non-empty message after success is always such a warning);
**   - the warning handler, if one is set, is called with the same message.
** Input problems (a missing, corrupt or too-short clip) never fall back: they fail with
** VSC_FAIL_INPUT and a message naming the node's scene and source position. */
int vsc_comp_segment(const json_t *node, const char *const *inputs, size_t ninputs,
                     const char *out_path, vsc_op_error *err);
int vsc_comp_concat(const json_t *node, const char *const *inputs, size_t ninputs,
                    const char *out_path, vsc_op_error *err);
/* Chunked bodies: a body segment of at least two chunks becomes a new array of part nodes
** (each a `segment` node: id "ID.k", a "part" object {of, index, count}, params t0,
** duration, a.t and a clip's a.source.offset moved to the chunk), to be rendered with
** vsc_comp_segment and joined in order with vsc_comp_concat (stream copy). A chunk is
** VSC_COMP_CHUNK_GOPS GOPs (2 s by default) and starts on a GOP boundary of the whole
** segment; the last chunk takes the remainder. NULL for any other node (run it whole).
** Caller owns the array. */
#define VSC_COMP_CHUNK_GOPS 1
json_t *vsc_comp_segment_split(const json_t *node);
/* Segments decode their clips themselves and park a decoder they leave (a few, for 20 s at
** most) for the next segment of the same file to continue. Frees the parked ones and the
** remembered probes, e.g. at the end of a build. */
void vsc_comp_release_decoders(void);
int vsc_comp_audio(const json_t *node, const char *const *inputs, size_t ninputs,
                   const char *out_path, vsc_op_error *err);
/* Op `captions`: params.cues (timeline times) written as a subtitle file in params.format
** ("srt" or "vtt") to out_path. */
/* Op `trim` (trim.c): params.media "video" cuts one range [start, end] (seconds) of a
** segment and re-encodes it with params.encode; "audio" cuts params.ranges of a sound track
** and joins them into one AAC track. */
int vsc_comp_trim(const json_t *node, const char *const *inputs, size_t ninputs, const char *out_path,
                  vsc_op_error *err);
int vsc_comp_captions(const json_t *node, const char *const *inputs, size_t ninputs, const char *out_path,
                      vsc_op_error *err);
/* Op `align` (align.c): the start of each word of params.text in the audio of inputs[0],
** found by forced alignment with an espeak-ng rendering in params.voice; JSON
** {"length", "words": [{"w", "start"}]} to out_path. */
int vsc_comp_align(const json_t *node, const char *const *inputs, size_t ninputs, const char *out_path,
                   vsc_op_error *err);

int vsc_comp_mux(const json_t *node, const char *const *inputs, size_t ninputs,
                 const char *out_path, vsc_op_error *err);
int vsc_comp_animate(const json_t *node, const char *const *inputs, size_t ninputs,
                     const char *out_path, vsc_op_error *err);

/* Process-wide handler for compositor warnings (fallbacks, skipped clip audio). `fn` may be
** NULL to remove it. It may be called from any thread that runs an executor; `ud` is
** borrowed and passed back. Not synchronised with running executors: set it at start-up. */
typedef void (*vsc_comp_warn_fn)(void *ud, const char *msg);
void vsc_comp_set_warning_handler(vsc_comp_warn_fn fn, void *ud);

/* Fills *enc from an IR `encode` object ({"codec","crf","preset","pix_fmt","gop","threads",
** "bitrate","maxrate","bufsize","profile","level"}); missing keys
** keep their VSC_ENCODE_OPTS_INIT values. Strings point into `encode` (borrowed). Returns 0
** or -1 (VSC_FAIL_INPUT) on a wrongly typed value. */
int vsc_comp_encode_opts_from_json(vsc_encode_opts *enc, const json_t *encode, vsc_op_error *err);

#endif
