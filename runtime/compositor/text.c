/*
** Text overlays of a layer: every text (and caption) object of the IR is laid out with
** media/text (the checker's code: same fonts, same breaks, same sizes), written into one
** ASS script per layer and drawn by libavfilter's `ass` filter (libass).
*/
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "comp.h"
#include "vsc/vsc_text.h"

static int get_color(const json_t *o, const char *key, uint32_t def, uint32_t *out, vsc_op_error *err,
                     const char *where, size_t i) {
  const char *s;
  if (comp_get_str(o, key, NULL, &s, err, where) < 0) return -1;
  *out = def;
  if (!s) return 0;
  char c[16];
  if (comp_color(s, c) < 0)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%stexts[%zu].%s '%s' is not #rgb or #rrggbb", where, i, key, s);
  *out = (uint32_t)strtoul(c + 2, NULL, 16);
  return 0;
}

int comp_text_req(const json_t *tx, size_t i, int W, int H, vsc_text_req *rq, vsc_op_error *err, const char *where) {
  char msg[256];
  if (vsc_text_req_from_json(tx, W, H, rq, msg, sizeof msg) < 0)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%stexts[%zu]%s", where, i, msg);
  return 0;
}

static const char *word_of(const json_t *words, size_t w) {
  const char *s = json_string_value(json_object_get(json_array_get(words, w), "w"));
  return s ? s : "";
}

/* Adds the timed caption cues of a text object with "words" to the script. Each cue is a
** group of words shown from its first word's start to the next cue (or its last word's end);
** the style decides what changes word by word. */
static int add_caption(vsc_text_ctx *c, vsc_text_ass *a, const json_t *tx, const vsc_text_req *base, double t_layer,
                       double seg_dur, vsc_op_error *err, const char *where, size_t i) {
  const json_t *cues = json_object_get(tx, "cues");
  const char *style;
  uint32_t hl;
  if (comp_get_str(tx, "style", "plain", &style, err, where) < 0 || get_color(tx, "highlight", 0xffcc00, &hl, err, where, i) < 0)
    return -1;
  int karaoke = !strcmp(style, "karaoke"), pop = !strcmp(style, "pop");
  if (!json_is_array(cues)) return vsc_op_fail(err, VSC_FAIL_INPUT, "%stexts[%zu].cues: expected an array", where, i);
  size_t k;
  const json_t *cue;
  json_array_foreach(cues, k, cue) {
    const json_t *words = json_object_get(cue, "words");
    double cs, ce;
    if (comp_get_num(cue, "start", 0, &cs, err, where) < 0 || comp_get_num(cue, "end", 0, &ce, err, where) < 0) return -1;
    if (!json_is_array(words) || !json_array_size(words))
      return vsc_op_fail(err, VSC_FAIL_INPUT, "%stexts[%zu].cues[%zu].words: expected a non-empty array", where, i, k);
    if (ce - t_layer <= 0 || cs - t_layer >= seg_dur) continue;
    /* The cue's text: its words joined by spaces. */
    size_t len = 1, nw = json_array_size(words);
    for (size_t w = 0; w < nw; w++) len += strlen(word_of(words, w)) + 1;
    char *text = malloc(len);
    if (!text) return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
    text[0] = 0;
    for (size_t w = 0; w < nw; w++) {
      if (w) strcat(text, " ");
      strcat(text, word_of(words, w));
    }
    vsc_text_req rq = *base;
    rq.text = text;
    vsc_text_layout L;
    char msg[256];
    int ret = vsc_text_layout_run(c, &rq, &L, msg, sizeof msg);
    free(text);
    if (ret < 0) return vsc_op_fail(err, VSC_FAIL_INPUT, "%scaption: %s", where, msg);
    if (!karaoke && !pop) {
      ret = vsc_text_ass_add(a, &L, cs - t_layer, ce - t_layer, 0, -1, -1, 0);
    } else {
      /* One event per word: from its start to the next word's start (the last to the cue's end). */
      for (size_t w = 0; w < nw && ret == 0 && (int)w < L.ntokens; w++) {
        double ws, we;
        const json_t *wo = json_array_get(words, w);
        if (comp_get_num(wo, "start", cs, &ws, err, where) < 0) {
          vsc_text_layout_free(&L);
          return -1;
        }
        if (w + 1 < nw) comp_get_num(json_array_get(words, w + 1), "start", ce, &we, NULL, where);
        else we = ce;
        if (w == 0) ws = cs;
        /* Only the words this segment shows: a word over before its first frame would get a
         * negative end, which an event reads as "never ends" (a chunk or a transition that
         * starts inside a cue). */
        if (we <= ws || we - t_layer <= 0 || ws - t_layer >= seg_dur) continue;
        ret = vsc_text_ass_add(a, &L, ws - t_layer, we - t_layer, 0, pop ? (int)w + 1 : -1, karaoke ? (int)w : -1, hl);
      }
    }
    vsc_text_layout_free(&L);
    if (ret < 0) return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
  }
  return 0;
}

/* Each thread keeps the layout context of its last layer for the next one of the same
 * frame size: starting libass with fontconfig (two renderers) is about 70 ms, a segment's
 * whole text layout less. A context that was given a fonts directory (a font file) is
 * not kept, so a layout never depends on which segment ran before on the thread. */
static pthread_key_t ctx_key;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

typedef struct {
  vsc_text_ctx *c;
  int w, h;
} kept_ctx;

static void ctx_drop(void *p) {
  kept_ctx *k = p;
  if (k) vsc_text_free(k->c);
  free(k);
}
static void ctx_key_make(void) { pthread_key_create(&ctx_key, ctx_drop); }

static vsc_text_ctx *ctx_take(int W, int H) {
  pthread_once(&ctx_once, ctx_key_make);
  kept_ctx *k = pthread_getspecific(ctx_key);
  vsc_text_ctx *c = NULL;
  if (k && k->w == W && k->h == H) {
    c = k->c;
    k->c = NULL;
  }
  return c ? c : vsc_text_new(W, H);
}

static void ctx_give(vsc_text_ctx *c, int W, int H, int keep) {
  kept_ctx *k = pthread_getspecific(ctx_key);
  if (keep && !k && (k = calloc(1, sizeof *k)) && pthread_setspecific(ctx_key, k) != 0) {
    free(k);
    k = NULL;
  }
  if (!keep || !k) {
    vsc_text_free(c);
    return;
  }
  vsc_text_free(k->c);
  k->c = c;
  k->w = W;
  k->h = H;
}

void comp_text_release(void) {
  pthread_once(&ctx_once, ctx_key_make);
  ctx_drop(pthread_getspecific(ctx_key));
  pthread_setspecific(ctx_key, NULL);
}

int comp_text_script(const json_t *texts, double t_layer, double seg_dur, int W, int H, const char *ass_path,
                     char *fontsdir, size_t fontsdir_len, vsc_buf *emoji, const char *tag, int fps, int *nemoji,
                     vsc_op_error *err, const char *where) {
  fontsdir[0] = 0;
  *nemoji = 0;
  if (!texts || !json_is_array(texts) || !json_array_size(texts)) return 0;
  vsc_text_ctx *c = ctx_take(W, H);
  vsc_text_ass *a = vsc_text_ass_new(W, H);
  if (!c || !a) {
    vsc_text_free(c);
    vsc_text_ass_free(a);
    return vsc_op_fail(err, VSC_FAIL_LOCAL, "%stext layout: cannot start libass", where);
  }
  int drawn = 0, ret = 0;
  size_t i;
  const json_t *tx;
  json_array_foreach(texts, i, tx) {
    vsc_text_req rq;
    double start, end, fade;
    if ((ret = comp_text_req(tx, i, W, H, &rq, err, where)) < 0) break;
    if ((ret = comp_get_num(tx, "start", 0, &start, err, where)) < 0 || (ret = comp_get_num(tx, "end", HUGE_VAL, &end, err, where)) < 0 ||
        (ret = comp_get_num(tx, "fade", 0, &fade, err, where)) < 0)
      break;
    if (json_object_get(tx, "cues")) {
      if ((ret = add_caption(c, a, tx, &rq, t_layer, seg_dur, err, where, i)) < 0) break;
      drawn = 1;
      continue;
    }
    double s0 = start - t_layer, e0 = end - t_layer;
    if (e0 <= 0 || s0 >= seg_dur || !rq.text[0]) continue;
    vsc_text_layout L;
    char msg[256];
    if (vsc_text_layout_run(c, &rq, &L, msg, sizeof msg) < 0) {
      ret = vsc_op_fail(err, VSC_FAIL_INPUT, "%stexts[%zu]: %s", where, i, msg);
      break;
    }
    if (!L.fits)
      comp_warn(err, "%stext \"%s\" does not fit the safe area even at %.1f%% (%d px over)", where, rq.text, L.size * 100,
                L.over_w > L.over_h ? L.over_w : L.over_h);
    if (L.font.substituted) comp_warn(err, "%sfont '%s' is not installed; drawn with '%s'", where, rq.font, L.font.family);
    if (L.font.is_file && !fontsdir[0]) {
      snprintf(fontsdir, fontsdir_len, "%s", L.font.file);
      char *slash = strrchr(fontsdir, '/');
      if (slash) *slash = 0;
    }
    /* The fade is over the text's own start and end, as the scene sees them. */
    ret = vsc_text_ass_add(a, &L, s0, isfinite(end) ? e0 : -1, fade, -1, -1, 0);
    vsc_text_layout_free(&L);
    if (ret < 0) {
      ret = vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
      break;
    }
    drawn = 1;
  }
  if (ret == 0 && drawn) {
    const char *script = vsc_text_ass_script(a);
    FILE *f = script ? fopen(ass_path, "w") : NULL;
    int bad = !f || fputs(script, f) < 0;
    if (f && fclose(f) != 0) bad = 1;
    if (bad) {
      unlink(ass_path);
      ret = vsc_op_fail(err, VSC_FAIL_LOCAL, "%scannot write '%s'", where, ass_path);
    }
    if (ret == 0 && (ret = comp_emoji_overlays(emoji, c, a, ass_path, tag, fps, err, where)) >= 0) *nemoji = ret, ret = 0;
    else if (ret < 0) unlink(ass_path);
  }
  vsc_text_ass_free(a);
  ctx_give(c, W, H, ret == 0 && !fontsdir[0]);
  return ret < 0 ? -1 : drawn;
}
