/* The checker: resolves imports, declarations, presets and templates, and turns the
 * video's AST into typed specs with every value checked. The planner reads only these. */
#ifndef VSC_CHECK_H
#define VSC_CHECK_H

#include "ast/ast.h"

typedef struct json_t json_t;

/* Limits of one script. Each is a named constant, and a script that goes past one gets an
 * error at the statement that does (never a silent drop). */
#define VSC_PALETTE_MAX 8         /* colours of a style's palette */
#define VSC_MODEL_LIST_MAX 16     /* a model's durations, sizes, aspects */
#define VSC_MODEL_INPUTS_MAX 16   /* a model's generic-field renames (input …) */
#define VSC_MODEL_PARAMS_MAX 32   /* a model's `param` lines */
#define VSC_MODEL_FALLBACKS_MAX 8 /* a model's fallbacks */
#define VSC_SCENE_TEXTS_MAX 16    /* text overlays of one scene */
#define VSC_SCENE_VOICES_MAX 16   /* voice lines of one scene */
#define VSC_VIDEO_VOICES_MAX 32   /* video-level voice lines */
#define VSC_SECTIONS_MAX 32       /* declared music sections */
#define VSC_FORMATS_MAX 8         /* deliverables of one script (`formats`) */

typedef struct {
  const char *look, *avoid, *font;
  uint32_t palette[VSC_PALETTE_MAX];
  int npalette;
} vsc_style_spec;

typedef struct {
  const char *name, *type; /* string int number bool file */
  bool required, has_min, has_max;
  double min, max;
  json_t *enums; /* array or NULL (owned by the session's json list) */
  json_t *deflt; /* or NULL */
} vsc_param_decl;

#include "vsc/vsc_media.h"
#include "vsc/vsc_price.h"
#include "vsc/vsc_mem.h"

typedef struct vsc_model_decl {
  const char *name, *ref; /* alias and "owner/name" */
  const char *kind, *klass, *tier, *priced, *version;
  double durations[VSC_MODEL_LIST_MAX];
  int ndurations;
  bool dur_range;
  double dur_min, dur_max;
  int sizes[VSC_MODEL_LIST_MAX][2];
  int nsizes;
  double aspects[VSC_MODEL_LIST_MAX][2];
  int naspects;
  double price;
  vsc_price_unit per;
  double gpu_estimate;                              /* seconds, for VSC_PRICE_GPU_SECOND */
  const char *input_names[2][VSC_MODEL_INPUTS_MAX]; /* generic field -> model input name */
  int ninputs;
  vsc_param_decl params[VSC_MODEL_PARAMS_MAX];
  int nparams;
  const char *fallbacks[VSC_MODEL_FALLBACKS_MAX];
  vsc_ast *fallback_nodes[VSC_MODEL_FALLBACKS_MAX];
  int nfallbacks;
  vsc_ast *node;
} vsc_model_decl;

typedef struct {
  const char *text, *font, *x, *y; /* x/y: names, or NULL when xf/yf are used */
  double xf, yf, size, start, end, fade;
  uint32_t color, box_color;
  bool box;
  double min_size, max_width, spacing; /* fractions (min_size of the height, max_width of the width) */
  int lines;                           /* 0 = as many as fit */
  const char *align;                   /* left | center | right | NULL (follows x) */
  double outline, shadow;              /* fractions of the size */
  uint32_t outline_color, shadow_color, accent;
  vsc_ast *node;
} vsc_text_spec;

/* `captions STYLE { … }`: every voice line shown as timed captions, word by word. */
typedef struct {
  bool present, burn;
  const char *style;  /* plain | box | karaoke | pop */
  int words, lines;   /* words per line, lines per caption */
  vsc_text_spec text; /* look and place (text unused) */
  uint32_t highlight;
  vsc_ast *node;
} vsc_caption_spec;

/* `deliver PRESET { … }`: how the deliverable is encoded (check/deliver.c, docs/language.md).
** Every segment gets the same picture settings, so the segments still join by stream copy. */
typedef struct {
  bool present;
  const char *preset;      /* platform preset (youtube, tiktok, …) or NULL */
  int crf;                 /* 0..51, or -1: the quality tier's */
  double bitrate;          /* average target in bits/s instead of a CRF, or 0 */
  double maxrate, bufsize; /* VBV: peak bits/s and buffer bits, or 0 (none) */
  const char *profile;     /* baseline | main | high, or NULL (the encoder's) */
  const char *level;       /* H.264 level ("4.1"; "auto" resolved by the checker), or NULL */
  double gop;              /* seconds between keyframes, or 0 (2 s); frames as a negative count until vsc_chk_deliver */
  double max_size;         /* bytes the MP4 may take, or 0 (no limit) */
  double loudness;         /* integrated loudness target, LUFS */
  double true_peak;        /* true-peak ceiling, dBTP */
  bool faststart;          /* the index (moov) before the media data */
  double audio_bitrate;    /* AAC bits/s */
  vsc_ast *node;
  vsc_ast *max_size_node; /* the `max_size` option (or the deliver line), for the planner's errors */
} vsc_deliver_spec;

typedef struct {
  const char *text, *voice;
  double at, volume;
  vsc_ast *node;
} vsc_voice_spec;

typedef enum { SHOT_NONE,
               SHOT_VIDEO,
               SHOT_IMAGE,
               SHOT_FILE,
               SHOT_COLOR } vsc_shot_kind;

/* A `for NAME in LIST { scenes }` block (check/each.c): the scenes it makes come from it. */
typedef struct {
  vsc_ast *node;        /* the `for` */
  const char *list;     /* "'products'" (a param) or "the list": for messages */
  vsc_source *list_src; /* where the list's items were written (a row, the script) */
  vsc_span list_span;
  int nitems;   /* the list's items */
  int per_item; /* scenes its body makes per item */
} vsc_each_spec;

typedef struct vsc_scene_spec {
  const char *name;
  const vsc_each_spec *each; /* the `for` block that made it, or NULL */
  int each_item;             /* 1-based: the item it was made for */
  vsc_ast *node;
  vsc_source *src;
  vsc_dur_kind dur_kind;
  double dur_value;  /* seconds, or a count of beats/bars */
  const char *until; /* section name */
  vsc_span dur_span;
  vsc_shot_kind shot;
  const char *prompt;                  /* video/image prompt */
  const char *path;                    /* file shot (resolved path), or i2v start file */
  const char *path_media;              /* "video" | "image" */
  vsc_media_info file;                 /* the file shot as probed (length, size) */
  const char *from_path, *from_prompt; /* image-to-video start: a file or a generated image */
  vsc_ast *shot_node;
  uint32_t color;
  const char *camera;
  const char *animate; /* zoom | pan-left | … or NULL */
  double anim_from, anim_to;
  double in_point;
  bool keep_audio;
  const char *fit;
  double focus_x, focus_y; /* where a reframe keeps the picture (0..1 of the source; 0.5 = centre) */
  bool per_format;         /* generated at each format's frame, not shared (reframe generate, a `for` shot) */
  vsc_model_decl *model;   /* explicit model, or NULL */
  const char *klass;       /* explicit class, or NULL */
  vsc_ast *model_node;
  json_t *with;         /* checked model parameters (object) or NULL */
  vsc_source *with_src; /* the source whose text wrote `with` */
  /* Per `with` entry, in the order written: the text that wrote its value (a template
   * argument's is the call's; file paths are relative to it) and the value's span there. */
  vsc_source **with_val_srcs;
  vsc_span *with_val_spans;
  vsc_ast *with_node;
  int tier; /* -1 inherit, 0 draft, 1 final */
  bool has_seed;
  long long seed;
  const char *look; /* extra look for this scene */
  vsc_text_spec texts[VSC_SCENE_TEXTS_MAX];
  int ntexts;
  vsc_voice_spec voices[VSC_SCENE_VOICES_MAX];
  int nvoices;
  const char *transition; /* into the next scene; NULL = cut */
  double trans_dur;
  vsc_ast *then_node;
  /* Filled by the planner. */
  double start, duration, snap_shift;
  const char *snap_why; /* why the start moved (snap_shift != 0), for `vsc plan` */
} vsc_scene_spec;

typedef struct {
  const char *name;
  double at;
} vsc_section;

typedef struct {
  bool present, generate;
  const char *path;    /* resolved file path (relative to cwd) */
  const char *rel;     /* as written (relative to the script) */
  const char *prompt;  /* music generate */
  vsc_media_info file; /* the music file as probed */
  vsc_ast *node;
  double volume, fade_in, fade_out, start, duck, tempo, meter, offset;
  bool loop, has_duck, has_tempo, has_meter, has_offset;
  const char *cut_on; /* NULL | "beats" | "bars" */
  vsc_section sections[VSC_SECTIONS_MAX];
  int nsections;
} vsc_music_spec;

typedef struct {
  const char *title;
  vsc_ast *node;
  vsc_source *src;
  int width, height, fps;
  const char *format, *format_tag; /* "9:16", "9x16" with `formats` (check/formats.c), else NULL */
  bool format_in_name;             /* the script makes several formats: files are named NAME.9x16.mp4 */
  int gen_width, gen_height;       /* the master frame shared generations are made at */
  double length, budget;
  bool has_length, has_budget, has_aspect;
  vsc_ast *length_node; /* the `length` setting (the video's or its preset's), for errors */
  double aspect_w, aspect_h;
  int quality; /* 0 draft, 1 final */
  long long seed;
  const char *provider, *fit;
  const char *safe; /* safe area name: auto | title | action | social | none */
  vsc_caption_spec captions;
  vsc_deliver_spec deliver;
  vsc_style_spec style;
  vsc_music_spec music;
  vsc_voice_spec voices[VSC_VIDEO_VOICES_MAX]; /* video-level voice-over, absolute times */
  int nvoices;
  vsc_scene_spec *scenes;
  int nscenes;
} vsc_video_spec;

typedef struct vsc_session vsc_session;

/* Everything one compile needs: arena, sources, declarations. */
struct vsc_session {
  vsc_arena *arena;
  vsc_diag_list *diags;
  const char *root_dir;  /* the main script's directory, as named */
  const char *cache_dir; /* analyses and file facts (vsc_facts.h): never NULL */
  /* Declarations from every module, in load order. */
  vsc_ast **styles, **templates, **presets;
  int nstyles, ntemplates, npresets;
  vsc_model_decl **models;
  int nmodels;
  vsc_source **sources;
  int nsources;
  json_t *json_owned; /* an array that keeps JSON values alive until the session ends */
  vsc_ast *video;     /* the main file's video */
  vsc_source *main;
  bool preview;
  const char *quality_override;
  const char *import_root; /* NULL, or the directory user modules must resolve inside */
  const char *formats;     /* NULL, or the formats to make ("9:16,1:1", from --format) */
  /* Params (check/params.c): the main script's `param` declarations, the values given for
   * them (compile options), and each param's bound value and the text that wrote it. */
  const vsc_param_arg *param_args;
  int nparam_args;
  vsc_ast **param_decls;
  int nparam_decls;
  vsc_value *param_vals;   /* [nparam_decls]; V_NONE: unbound (an error was reported) */
  vsc_source **param_srcs; /* [nparam_decls] */
  /* The item of a `for NAME in LIST` whose scenes are being checked (check/each.c): NAME
   * used in those scenes (not in a template's body) is this item, written in each_src. */
  const char *each_name;
  const vsc_value *each_item;
  vsc_source *each_src;
  const vsc_each_spec *each;
  int each_index; /* 1-based */
};

/* Text layout at compile time (check/textfit.c). The IR object of a text (docs/ir.md): the
** planner writes it and the checker measures it, with media/text, as the renderer will. */
json_t *vsc_chk_text_json(const vsc_text_spec *t, const char *safe, double start, double end);
/* Lays out every text and caption of the video at its frame size: an error at the text when
** it cannot fit the safe area even at its smallest size, a warning when its font is not
** installed (naming the font drawn instead). */
void vsc_chk_text_fit(vsc_session *s, vsc_video_spec *v);

/* Delivery settings against the whole video (check/deliver.c): the H.264 level its frame size,
** rate and cap need (resolves `level auto`), and what the platform preset accepts. */
void vsc_chk_deliver(vsc_session *s, vsc_video_spec *v);

/* One caption: words first_word .. first_word+nwords-1 of a voice line, bytes [off, off+len). */
typedef struct {
  size_t off, len;
  int first_word, nwords;
} vsc_caption_cue;
/* Cuts a (normalised) voice line into captions of at most words x lines words: each sentence
** in as few as it needs, balanced in size. Returns the number of cues. */
int vsc_chk_caption_cues(const char *text, const vsc_caption_spec *cap, vsc_caption_cue *cues, int max);

/* Loads the main source and its imports, checks declarations and the video.
 * Returns 0 and fills *video on success; -1 with diagnostics otherwise. */
int vsc_check(vsc_session *s, const char *name, const char *text, size_t len, vsc_video_spec *video);

/* Loads the main source and its imports and checks the video once per format it makes
** (`formats`, narrowed by s->formats), each with its `for` blocks applied (check/formats.c).
** Returns 0 with *n specs in *videos (arena), or -1 with diagnostics (reported once). */
int vsc_check_formats(vsc_session *s, const char *name, const char *text, size_t len, vsc_video_spec **videos, int *n);

/* Loads std/models and (if name is given) a script with its imports, and checks the
 * declarations, without requiring a video. */
int vsc_check_load(vsc_session *s, const char *name, const char *text, size_t len);
vsc_model_decl *vsc_check_find_model(vsc_session *s, const char *name_or_ref);
/* Keeps a JSON value alive for the session; returns it. */
json_t *vsc_session_keep(vsc_session *s, json_t *v);
void vsc_session_free(vsc_session *s);

#endif
