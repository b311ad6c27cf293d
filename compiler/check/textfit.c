/* Texts at compile time: the IR object of a text (the planner writes it) and its layout with
 * media/text, the code and fonts the renderer uses, so a text that cannot fit the frame's
 * safe area even at its smallest size is an error here and not a cropped title later. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsc/vsc_mem.h"
#include "check/check.h"
#include "vsc/vsc_text.h"

#define ERR(src, span, hint, ...) vsc_error(s->diags, VSC_STAGE_CHECK, src, span, hint, __VA_ARGS__)

static json_t *color_json(uint32_t rgb) {
  char b[8];
  snprintf(b, sizeof b, "#%06x", rgb & 0xffffff);
  return json_string(b);
}

/* Rounded to the microsecond/millionth, so the IR text does not carry binary noise. */
static double r6(double x) { return round(x * 1e6) / 1e6; }

json_t *vsc_chk_text_json(const vsc_text_spec *t, const char *safe, double start, double end) {
  json_t *o = json_object();
  json_object_set_new(o, "text", json_string(t->text ? t->text : ""));
  json_object_set_new(o, "x", t->x ? json_string(t->x) : json_real(r6(t->xf)));
  json_object_set_new(o, "y", t->y ? json_string(t->y) : json_real(r6(t->yf)));
  json_object_set_new(o, "size", json_real(r6(t->size)));
  json_object_set_new(o, "min_size", json_real(r6(t->min_size > 0 ? t->min_size : t->size)));
  if (t->max_width > 0) json_object_set_new(o, "max_width", json_real(r6(t->max_width)));
  if (t->lines > 0) json_object_set_new(o, "lines", json_integer(t->lines));
  if (t->align) json_object_set_new(o, "align", json_string(t->align));
  if (t->spacing > 0) json_object_set_new(o, "spacing", json_real(r6(t->spacing)));
  json_object_set_new(o, "font", json_string(t->font ? t->font : "DejaVu Sans"));
  json_object_set_new(o, "color", color_json(t->color));
  json_object_set_new(o, "accent", color_json(t->accent));
  json_object_set_new(o, "outline", json_real(r6(t->outline)));
  json_object_set_new(o, "outline_color", color_json(t->outline_color));
  json_object_set_new(o, "shadow", json_real(r6(t->shadow)));
  json_object_set_new(o, "shadow_color", color_json(t->shadow_color));
  json_object_set_new(o, "safe", json_string(safe ? safe : "auto"));
  json_object_set_new(o, "start", json_real(r6(start)));
  json_object_set_new(o, "end", json_real(r6(end)));
  json_object_set_new(o, "fade", json_real(r6(t->fade)));
  json_object_set_new(o, "box", t->box ? color_json(t->box_color) : json_false());
  return o;
}

typedef struct {
  vsc_session *s;
  vsc_video_spec *v;
  vsc_text_ctx *ctx;
  char *warned[16]; /* fonts already reported (copies: the request's strings die with its JSON) */
  int nwarned;
} fitter;

/* Lays out one text object; reports at `span` when it does not fit. */
static void fit_one(fitter *f, vsc_source *src, vsc_span span, vsc_span font_span, json_t *obj, const char *what) {
  vsc_session *s = f->s;
  vsc_video_spec *v = f->v;
  char msg[256];
  vsc_text_req rq;
  if (vsc_text_req_from_json(obj, v->width, v->height, &rq, msg, sizeof msg) < 0) return; /* reported as a value */
  if (!f->ctx && !(f->ctx = vsc_text_new(v->width, v->height))) return;
  vsc_text_layout L;
  if (vsc_text_layout_run(f->ctx, &rq, &L, msg, sizeof msg) < 0) {
    ERR(src, span, NULL, "%s", msg);
    return;
  }
  if (L.font.substituted) {
    bool seen = false;
    for (int i = 0; i < f->nwarned; i++)
      if (strcmp(f->warned[i], rq.font) == 0) seen = true;
    if (!seen) {
      char hint[200];
      snprintf(hint, sizeof hint, "install the font, or name an installed one ('fc-list : family' lists them)");
      vsc_warning(s->diags, src, font_span, hint, "font '%s' is not installed; '%s' is used instead", rq.font, L.font.family);
      if (f->nwarned < 16) f->warned[f->nwarned++] = vsc_xstrdup(rq.font);
    }
  }
  if (!L.fits) {
    int sw = L.safe_x1 - L.safe_x0, sh = L.safe_y1 - L.safe_y0;
    int lim = rq.max_width > 0 && (int)(rq.max_width * v->width) < sw ? (int)(rq.max_width * v->width) : sw;
    const char *limit = lim < sw ? "its 'width' of" : "the safe area's";
    double minp = round(rq.min_size * 1000) / 10;
    if (L.over_w > 0 && L.widest_px > lim)
      ERR(src, span, "shorten the word, or allow a smaller 'min' size",
          "%s does not fit: the word '%.40s%s' is %d px wide at its smallest size (%g%%, %d px), %d px more than %s %d px on "
          "%dx%d",
          what, L.tokens[L.widest].text, strlen(L.tokens[L.widest].text) > 40 ? "…" : "", L.widest_px, minp, L.size_px, L.widest_px - lim, limit, lim, v->width, v->height);
    else if (L.over_w > 0 && (L.nlines <= 1 || !rq.max_lines || L.nlines < rq.max_lines))
      ERR(src, span, "shorten the longest word, or allow a smaller 'min' size",
          "%s does not fit: %d px wide at its smallest size (%g%%, %d px), %d px more than %s %d px on %dx%d", what,
          lim + L.over_w, minp, L.size_px, L.over_w, limit, lim, v->width, v->height);
    else if (L.over_w > 0)
      ERR(src, span, "shorten it, allow more 'lines' or a smaller 'min' size",
          "%s does not fit in %d lines: %d px wide at its smallest size (%g%%, %d px), %d px more than %s %d px on %dx%d",
          what, L.nlines, lim + L.over_w, minp, L.size_px, L.over_w, limit, lim, v->width, v->height);
    else
      ERR(src, span, "shorten it, or allow a smaller 'min' size",
          "%s does not fit: %d lines are %d px tall at its smallest size (%g%%, %d px), %d px more than the safe "
          "area's %d px on %dx%d",
          what, L.nlines, sh + L.over_h, minp, L.size_px, L.over_h, sh, v->width, v->height);
  }
  vsc_text_layout_free(&L);
}

static vsc_span span_of_font(const vsc_ast *n, vsc_span def) {
  for (const vsc_ast *o = n->opts.head; o; o = o->next)
    if (strcmp(o->keyword, "font") == 0 && o->nvals) return o->vals[0].span;
  return def;
}

void vsc_chk_text_fit(vsc_session *s, vsc_video_spec *v) {
  fitter f = {.s = s, .v = v};
  for (int i = 0; i < v->nscenes; i++) {
    vsc_scene_spec *sc = &v->scenes[i];
    for (int k = 0; k < sc->ntexts; k++) {
      vsc_text_spec *t = &sc->texts[k];
      if (!t->node || !t->text || !*t->text) continue;
      json_t *obj = vsc_chk_text_json(t, v->safe, 0, 1);
      char what[128];
      snprintf(what, sizeof what, "text \"%.60s%s\"%s%s", t->text, strlen(t->text) > 60 ? "…" : "",
               v->format ? " in format " : "", v->format ? v->format : "");
      vsc_span span = t->node->vals[0].span;
      fit_one(&f, t->node->src, span, span_of_font(t->node, span), obj, what);
      json_decref(obj);
    }
  }
  if (v->captions.present) {
    /* Every caption the voice-over will show, with the captions' look. */
    vsc_caption_spec *cap = &v->captions;
    vsc_span cspan = span_of_font(cap->node, cap->node->kw);
    for (int i = -1; i < v->nscenes; i++) {
      int n = i < 0 ? v->nvoices : v->scenes[i].nvoices;
      for (int k = 0; k < n; k++) {
        vsc_voice_spec *vo = i < 0 ? &v->voices[k] : &v->scenes[i].voices[k];
        if (!vo->text || !*vo->text) continue;
        vsc_caption_cue cues[256];
        int ncues = vsc_chk_caption_cues(vo->text, cap, cues, 256);
        for (int c = 0; c < ncues; c++) {
          vsc_text_spec t = cap->text;
          char buf[1024];
          snprintf(buf, sizeof buf, "%.*s", (int)cues[c].len, vo->text + cues[c].off);
          t.text = buf;
          json_t *obj = vsc_chk_text_json(&t, v->safe, 0, 1);
          char what[200];
          snprintf(what, sizeof what, "caption \"%.60s\"%s%s", buf, v->format ? " in format " : "",
                   v->format ? v->format : "");
          fit_one(&f, vo->node->src, vo->node->vals[0].span, cspan, obj, what);
          json_decref(obj);
        }
      }
    }
  }
  vsc_text_free(f.ctx);
  for (int i = 0; i < f.nwarned; i++) free(f.warned[i]);
}

/* Words are cut at spaces. Each sentence (ending in . ! ?) is shown in as few captions of at
 * most `words` x `lines` words as it needs, of balanced sizes (no lone last word). */
int vsc_chk_caption_cues(const char *text, const vsc_caption_spec *cap, vsc_caption_cue *cues, int max) {
  int per = cap->words * cap->lines, n = 0, word = 0;
  size_t i = 0, len = strlen(text);
  if (per < 1) per = 1;
  while (i < len && n < max) {
    /* One sentence: its words' spans. */
    size_t off[256], end[256];
    int m = 0;
    while (i < len && m < 256) {
      while (i < len && text[i] == ' ') i++;
      if (i >= len) break;
      off[m] = i;
      while (i < len && text[i] != ' ') i++;
      end[m++] = i;
      char last = text[i - 1];
      if (last == '.' || last == '!' || last == '?') break;
    }
    if (!m) break;
    int k = (m + per - 1) / per;
    for (int c = 0, first = 0; c < k && n < max; c++) {
      int size = (m - first + (k - c) - 1) / (k - c);
      cues[n].off = off[first];
      cues[n].len = end[first + size - 1] - off[first];
      cues[n].first_word = word + first;
      cues[n].nwords = size;
      n++;
      first += size;
    }
    word += m;
  }
  return n;
}
