/*
** Local provider: op `generate` — reads the node's params (docs/ir.md) and renders the
** animatic card (kinds video, image) through the compositor or the music bed (kind music).
*/
#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "local.h"
#include "vsc/vsc_compositor.h"
#include "vsc/vsc_local.h"

/* "#rrggbb" (or "#rgb") → 0xRRGGBB. */
static int parse_color(const char *s, uint32_t *out) {
  if (!s || *s != '#') return -1;
  s++;
  size_t n = strlen(s);
  if (n != 6 && n != 3) return -1;
  uint32_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isxdigit((unsigned char)s[i])) return -1;
    int d = isdigit((unsigned char)s[i]) ? s[i] - '0' : tolower((unsigned char)s[i]) - 'a' + 10;
    v = n == 6 ? v << 4 | (uint32_t)d : v << 8 | (uint32_t)(d * 17);
  }
  *out = v;
  return 0;
}

/* An optional string param: absent or null → NULL. */
static int opt_string(const json_t *params, const char *key, const char **out, vsc_op_error *err) {
  const json_t *v = json_object_get(params, key);
  *out = NULL;
  if (!v || json_is_null(v)) return 0;
  if (!json_is_string(v))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "generate: params.%s must be a string", key);
  *out = json_string_value(v);
  return 0;
}

/* An optional number param within [lo, hi]; absent or null → dflt. */
static int opt_number(const json_t *params, const char *key, double dflt, double lo, double hi,
                      double *out, vsc_op_error *err) {
  const json_t *v = json_object_get(params, key);
  *out = dflt;
  if (!v || json_is_null(v)) return 0;
  if (!json_is_number(v))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "generate: params.%s must be a number", key);
  double d = json_number_value(v);
  if (!(d >= lo && d <= hi))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "generate: params.%s = %g is outside [%g, %g]", key,
                       d, lo, hi);
  *out = d;
  return 0;
}

static uint64_t seed_of(const json_t *params) {
  const json_t *v = json_object_get(params, "seed");
  if (json_is_integer(v)) return (uint64_t)json_integer_value(v);
  if (json_is_real(v)) return (uint64_t)(int64_t)json_real_value(v);
  return 0;
}

/* The prompt asks for a dark mood: minor-key progressions. */
static int wants_minor(const char *prompt) {
  static const char *const words[] = {"minor", "dark", "sad", "tense", "melanchol", "moody",
                                      "somber", "sombre", "ominous", "noir", NULL};
  if (!prompt) return 0;
  for (int i = 0; words[i]; i++) {
    size_t n = strlen(words[i]);
    for (const char *p = prompt; *p; p++)
      if (strncasecmp(p, words[i], n) == 0) return 1;
  }
  return 0;
}

static int gen_music(const json_t *params, const char *out_path, vsc_op_error *err) {
  vsc_local_music_opts o = {0};
  if (opt_number(params, "duration", -1, 0.001, 3600, &o.duration, err) != 0) return -1;
  if (o.duration < 0)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "generate: music needs params.duration");
  if (opt_number(params, "tempo", 120, 30, 300, &o.tempo, err) != 0) return -1;
  const char *prompt;
  if (opt_string(params, "prompt", &prompt, err) != 0) return -1;
  o.seed = seed_of(params);
  o.minor = wants_minor(prompt);
  char msg[400];
  if (vsc_local_music_render(&o, out_path, msg, sizeof msg) != 0)
    return vsc_op_fail(err, VSC_FAIL_LOCAL, "generate: music: %s", msg);
  return 0;
}

static int gen_card(const json_t *params, int still, const char *const *inputs, size_t ninputs,
                    const char *out_path, vsc_op_error *err) {
  vsc_local_card c = {0};
  double w, h, fps, dur = 0;
  if (opt_number(params, "width", -1, 16, 8192, &w, err) != 0 ||
      opt_number(params, "height", -1, 16, 8192, &h, err) != 0)
    return -1;
  if (w < 0 || h < 0)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "generate: params.width and params.height are required");
  if (opt_number(params, "fps", 30, 1, 240, &fps, err) != 0) return -1;
  if (!still) {
    if (((int)w | (int)h) & 1) /* yuv420p H.264 has no odd sizes */
      return vsc_op_fail(err, VSC_FAIL_INPUT, "generate: a video's size must be even, not %dx%d",
                         (int)w, (int)h);
    if (opt_number(params, "duration", -1, 0.001, 3600, &dur, err) != 0) return -1;
    if (dur < 0) return vsc_op_fail(err, VSC_FAIL_INPUT, "generate: video needs params.duration");
  }
  if (opt_string(params, "prompt", &c.prompt, err) != 0 ||
      opt_string(params, "label", &c.label, err) != 0 ||
      opt_string(params, "camera", &c.camera, err) != 0)
    return -1;
  const json_t *pal = json_object_get(params, "palette");
  if (pal && !json_is_null(pal)) {
    if (!json_is_array(pal))
      return vsc_op_fail(err, VSC_FAIL_INPUT, "generate: params.palette must be an array");
    for (size_t i = 0; i < json_array_size(pal) && c.npalette < 8; i++) {
      const char *s = json_string_value(json_array_get(pal, i));
      if (parse_color(s, &c.palette[c.npalette]) != 0)
        return vsc_op_fail(err, VSC_FAIL_INPUT, "generate: params.palette[%zu] is not a #rrggbb colour", i);
      c.npalette++;
    }
  }
  char *image_url = NULL; /* heap, when the input path needs a file: prefix */
  const json_t *img = json_object_get(params, "image");
  if (img && !json_is_null(img)) {
    json_int_t k = json_is_integer(img) ? json_integer_value(img) : -1;
    if (k < 0 || (size_t)k >= ninputs || !inputs || !inputs[k])
      return vsc_op_fail(err, VSC_FAIL_INPUT, "generate: params.image is not the index of an input");
    /* "a:b.png" would be taken for protocol "a": name the file protocol explicitly. */
    if (strchr(inputs[k], ':') && strncmp(inputs[k], "file:", 5) != 0) {
      size_t n = strlen(inputs[k]) + 6;
      if (!(image_url = malloc(n))) return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
      snprintf(image_url, n, "file:%s", inputs[k]);
    }
    c.image = image_url ? image_url : inputs[k];
    vsc_media_info info;
    if (vsc_comp_probe_info(c.image, &info, err) != 0) {
      free(image_url);
      return -1;
    }
    if (!info.has_video) {
      free(image_url);
      return vsc_op_fail(err, VSC_FAIL_INPUT, "generate: start image '%s' has no picture", inputs[k]);
    }
  }
  c.width = (int)w;
  c.height = (int)h;
  c.fps = still ? 25 : (int)lround(fps);
  c.duration = still ? 0 : dur;
  c.timecode = !still;
  c.seed = seed_of(params);
  if (still) c.camera = NULL; /* a still has no move */

  char *graph = NULL;
  char msg[400];
  if (vsc_local_card_graph(&c, &graph, msg, sizeof msg) != 0) {
    free(image_url);
    return vsc_op_fail(err, VSC_FAIL_INPUT, "generate: %s", msg);
  }
  vsc_encode_opts enc = VSC_ENCODE_OPTS_INIT;
  enc.format = still ? "png" : "mp4";
  /* A card is an intermediate that its segment re-encodes: the fastest preset, a little
  ** more quality to make up for it. */
  enc.preset = "ultrafast";
  enc.crf = 18;
  int rc = vsc_comp_render(graph, &enc, still ? 1.0 / c.fps : dur, c.width, c.height, c.fps,
                           out_path, err);
  free(graph);
  free(image_url);
  return rc;
}

int vsc_local_generate(const json_t *node, const char *const *inputs, size_t ninputs,
                       const char *out_path, vsc_op_error *err) {
  if (err) memset(err, 0, sizeof *err);
  const json_t *params = json_object_get(node, "params");
  if (!json_is_object(params))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "generate: node has no params object");
  const char *kind = json_string_value(json_object_get(params, "kind"));
  if (!kind) return vsc_op_fail(err, VSC_FAIL_INPUT, "generate: params.kind must be a string");
  if (!strcmp(kind, "music")) return gen_music(params, out_path, err);
  if (!strcmp(kind, "video")) return gen_card(params, 0, inputs, ninputs, out_path, err);
  if (!strcmp(kind, "image")) return gen_card(params, 1, inputs, ninputs, out_path, err);
  return vsc_op_fail(err, VSC_FAIL_INPUT, "generate: the local provider cannot make kind '%s'", kind);
}
