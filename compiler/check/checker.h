/* Internal interface of the checker (compiler/check), one section per file:
 *   session.c  the session's lifetime     values.c  reading values     modules.c  loading files
 *   models.c   model declarations         styles.c  styles             text.c     text, captions
 *   scene.c    scene statements (a table) video.c   the video, vsc_check   files.c    probing files
 *   deliver.c  delivery settings and platform presets (deliver.def)
 *   formats.c  `formats`, `for` blocks: one check of the video per format
 *   each.c     `for NAME in LIST` blocks: scenes from a list
 * Only compiler/check includes it; the checker's interface to later stages is check/check.h. */
#ifndef VSC_CHECKER_H
#define VSC_CHECKER_H

#include <stdbool.h>

#include "check/check.h"

#define ERR(src, span, hint, ...) vsc_error(s->diags, VSC_STAGE_CHECK, src, span, hint, __VA_ARGS__)

/* Most templates take a handful of parameters; more is an error, reported where it is declared. */
#define VSC_TEMPLATE_PARAMS_MAX 16

/* Where values are read: the file, and a template's bindings (a name used where a value goes). */
typedef struct {
  vsc_session *s;
  vsc_source *src;
  const char *names[VSC_TEMPLATE_PARAMS_MAX];
  vsc_value vals[VSC_TEMPLATE_PARAMS_MAX];
  /* The text that wrote each bound value: the call's file for an argument, the template's
   * for a default. A value is read, its paths resolved and its errors shown in that text. */
  vsc_source *val_srcs[VSC_TEMPLATE_PARAMS_MAX];
  bool val_default[VSC_TEMPLATE_PARAMS_MAX]; /* the template's default, not an argument */
  int n;
  /* In a template's body: the template and the scene that uses it (errors in the body get
   * a note at the call, errors in an argument a note at the body). */
  const vsc_ast *tpl, *call;
} eval_ctx;

/* Errors in a checker context: CERR at a span of c->src (a note at the template call when
 * c is a template body); VERR at a value, in the text that wrote it (bound arguments
 * included), with a note at the other end of a template call. Both take a hint (or NULL). */
#define CERR(c, span, hint, ...) check_error(c, span, hint, __VA_ARGS__)
#define VERR(c, v, hint, ...) check_value_error(c, v, hint, __VA_ARGS__)
void check_error(const eval_ctx *c, vsc_span span, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void check_value_error(const eval_ctx *c, const vsc_value *v, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The source whose text wrote a value (after check_val). */
vsc_source *check_src_of(const eval_ctx *c, const vsc_value *v);
/* A concrete fix for the diagnostic just reported at value v: replace it with `text`. */
void check_fix(const eval_ctx *c, const vsc_value *v, const char *text);

/* The fit modes of a picture in its frame (scene `fit`, video `fit`). */
#define CHECK_NFITS 3
extern const char *const check_fits[CHECK_NFITS];

/* One format being checked (check/formats.c): its frame and the master frame. */
typedef struct {
  const char *name, *tag; /* "9:16", "9x16" */
  int width, height;      /* the frame; 0: the video's own settings (a `for` block sets size or aspect) */
  int gen_width, gen_height;
} check_format;

/* ---- session.c ---- */
void check_push(void ***arr, int *n, void *p);

/* ---- values.c ---- */
const vsc_value *check_val(const eval_ctx *c, const vsc_value *v);
const char *check_kind_desc(vsc_value_kind k);
bool check_expect(const eval_ctx *c, const vsc_value *v, vsc_value_kind want, const char *what, const char *hint);
bool check_get_duration(const eval_ctx *c, const vsc_value *v0, const char *what, double *out);
bool check_get_string(const eval_ctx *c, const vsc_value *v0, const char *what, const char **out);
bool check_get_ident(const eval_ctx *c, const vsc_value *v0, const char *what, const char **out);
bool check_get_color(const eval_ctx *c, const vsc_value *v0, const char *what, uint32_t *out);
bool check_get_number(const eval_ctx *c, const vsc_value *v0, const char *what, double *out);
bool check_in_range(const eval_ctx *c, const vsc_value *v0, double x, double lo, double hi, const char *what, const char *unit);
const char *check_suggest(const char *word, const char *const *names, size_t n, char *buf, size_t size);
/* Whether a list holding n items has room for one more of `max`; if not, reports "too many
 * WHAT (MAX at most)" at `at`. */
bool check_room(const eval_ctx *c, vsc_span at, int n, int max, const char *what);
bool check_one_of(const char *w, const char *const *list, size_t n);
bool check_name_in(const eval_ctx *c, const vsc_value *v0, const char *what, const char *const *list, size_t n, const char **out);
bool check_file(const eval_ctx *c, const vsc_value *v0, const char *what, const char **path);
const vsc_ast *check_option(const vsc_ast *n, const char *kw);

/* ---- files.c ---- */
typedef enum { CHECK_MEDIA_PICTURE, /* a video or an image */
               CHECK_MEDIA_STILL,   /* an image */
               CHECK_MEDIA_SOUND } check_media_need;
/* Probes the file a value names (resolved `path`): false, with an error at the value, when it
 * is not readable media or lacks what `need` asks. */
bool check_media_file(const eval_ctx *c, const vsc_value *v0, const char *path, check_media_need need,
                      vsc_media_info *info);

/* ---- modules.c ---- */
const char *check_dir_of(vsc_session *s, const char *path);
const char *check_join_path(vsc_session *s, const char *dir, const char *rel);
int check_file_exists(const char *path, bool *unusable);
bool check_std_style(const char *name);

/* ---- models.c ---- */
vsc_ast *check_find_named(vsc_ast **items, int n, const char *name);
void check_duplicates(vsc_session *s, vsc_ast **items, int n, const char *what);
json_t *check_value_json(const vsc_value *v);
vsc_model_decl *check_model_decl(vsc_session *s, vsc_ast *m);
void check_fallbacks(vsc_session *s);

/* ---- styles.c ---- */
void check_style_body(const eval_ctx *c, vsc_ast *style, vsc_style_spec *out, bool append_look);
vsc_ast *check_lookup_style(vsc_session *s, vsc_source *src, const vsc_value *name);

/* ---- text.c ---- */
void check_text_timing(const eval_ctx *c, vsc_ast *t, const vsc_text_spec *ts, const vsc_scene_spec *sc);
void check_text(const eval_ctx *c, vsc_ast *t, vsc_text_spec *out, const vsc_style_spec *style);
void check_captions(const eval_ctx *c, vsc_ast *st, vsc_caption_spec *cap, const vsc_style_spec *style);

/* ---- video.c ---- */
/* Checks the video block `vn` (the video itself or a format's view of it) into *v. */
void check_video(vsc_session *s, vsc_ast *vn, vsc_video_spec *v, const check_format *fmt);
/* The frame the video's own settings and preset give (no `for` block), diagnostics dropped;
** *given: a size or aspect was set (else the 1920x1080 default). */
void check_video_frame(vsc_session *s, vsc_ast *vn, int *w, int *h, bool *given);

/* ---- deliver.c ---- */
void check_deliver(const eval_ctx *c, vsc_ast *st, vsc_deliver_spec *out);
/* Whether `name` is a platform delivery preset (youtube, tiktok, …). */
bool check_deliver_is_preset(const char *name);

/* ---- params.c ---- */
/* Binds the main script's `param`s to the values given (s->param_args) or their defaults,
** each read as its declared type; errors at the value, or at the declaration. */
void check_params(vsc_session *s);
/* The index of the param `name` names, or -1. */
int check_param_index(const vsc_session *s, const char *name);

/* ---- each.c ---- */
/* The scenes a `for NAME in LIST` block makes (to size the scene list; 0 when it is wrong). */
int check_each_count(vsc_session *s, vsc_ast *each);
/* The block's list, checked (not a list, empty, a body of other statements: reported), and
** *es describing it (arena); NULL when it makes no scenes. */
const vsc_value *check_each_begin(vsc_session *s, vsc_ast *each, vsc_each_spec **es);
/* Binds NAME to `item` (index 1-based) for the scenes checked next; each NULL unbinds. */
void check_each_bind(vsc_session *s, vsc_ast *each, const vsc_each_spec *es, const vsc_value *item, int index);

/* ---- scene.c ---- */
void check_voice(const eval_ctx *c, vsc_ast *v, vsc_voice_spec *out);
void check_scene(vsc_session *s, vsc_ast *node, vsc_scene_spec *sc, const vsc_style_spec *style);

#endif
