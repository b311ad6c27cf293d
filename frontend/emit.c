/*
** emit.c — writes the facts of a request (rules/) as .vscript text: the preset and what
** the request overrides, generic scenes when none were stated, on-screen text and voice-over
** placed on scenes, scene lengths that fill the video, transitions and model classes.
** Nothing is invented: a generic scene only reframes the stated subject.
*/
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "frontend.h"
#include "vsc/vsc_media.h"

#define MIN_SCENE 1.5    /* seconds: shorter scenes are unreadable and break transitions */
#define MAX_LENGTH 600.0 /* seconds: longer requests are capped (with a note) */

typedef struct {
  const char *name;
  const char *dark, *accent, *light;
  const char *transition;
  double tdur;
} style_info;

/* The palettes of std/styles (darkest, accent, light), for colour cards and text, and the
 * transition that suits each look. */
static const style_info STYLES[] = {
    {"warm_cinematic", "#1b1b1b", "#c8a27a", "#f5efe6", "crossfade", 0.5},
    {"noir", "#0a0a0a", "#7a7a7a", "#f0f0f0", "fadeblack", 0.6},
    {"pastel_minimal", "#3d3a4b", "#f6c6d0", "#fdf6ec", "fade", 0.5},
    {"neon_night", "#0b0221", "#ff2bd6", "#22e4ff", "pixelize", 0.4},
    {"documentary", "#1f2421", "#d9a441", "#eae7dc", "cut", 0},
    {"retro_vhs", "#1a1423", "#e4572e", "#f3c677", "hlslice", 0.4},
    {"clean_corporate", "#0f172a", "#2563eb", "#f8fafc", "fade", 0.5},
    {"anime", "#1d1e2c", "#ff7a59", "#fef9ef", "wipeleft", 0.5},
    {"bold_pop", "#111111", "#ff3d7f", "#ffe94e", "slideleft", 0.3},
    {"flat_explainer", "#0f172a", "#38bdf8", "#f8fafc", "wipeleft", 0.5},
};
static const style_info NO_STYLE = {NULL, "#111111", "#888888", "#ffffff", "crossfade", 0.5};

static const style_info *style_of(const char *name) {
  if (name)
    for (size_t i = 0; i < sizeof STYLES / sizeof STYLES[0]; i++)
      if (strcmp(STYLES[i].name, name) == 0) return &STYLES[i];
  return &NO_STYLE;
}

double fe_media_duration(const char *path) {
  vsc_media_info info;
  char err[512];
  return vsc_media_probe(path, &info, err, sizeof err) == 0 && info.duration > 0 ? info.duration : -1;
}

/* Seconds to speak a line: about 2.6 words a second, plus a breath. */
static double speech_seconds(const char *line) {
  int words = 0;
  bool in = false;
  size_t cjk = 0;
  for (const unsigned char *p = (const unsigned char *)line; *p; p++) {
    if (*p >= 0xe0) cjk++;
    bool w = !isspace(*p);
    if (w && !in) words++;
    in = w;
  }
  /* Scripts without spaces: about four characters a second. */
  double s = words / 2.6 + (double)cjk / 4.0;
  return s + 0.4;
}

/* ---- generic scenes ------------------------------------------------------------------------ */

typedef struct {
  const char *fmt; /* %s = the subject */
  int shot;
  const char *move;
} framing;

/* Ways to show one subject; none adds a fact. */
static const framing FRAMINGS[] = {
    {"%s, establishing wide shot", FE_SHOT_VIDEO, "push-in"},
    {"close-up details of %s", FE_SHOT_VIDEO, "static"},
    {"%s, medium shot, a natural everyday moment", FE_SHOT_VIDEO, "handheld"},
    {"%s, hero shot", FE_SHOT_IMAGE, "zoom"},
    {"%s from a new angle", FE_SHOT_VIDEO, "orbit"},
    {"%s, slow detail pan", FE_SHOT_IMAGE, "pan-right"},
};

static void generic_scenes(fe_facts *f, int count) {
  int tail = f->tail_only ? f->nscenes : 0;
  fe_scene *all = calloc((size_t)(count + tail), sizeof *all);
  const char *subject = f->subject ? f->subject : "the subject";
  for (int i = 0; i < count; i++) {
    const framing *fr = &FRAMINGS[i % (sizeof FRAMINGS / sizeof FRAMINGS[0])];
    vsc_buf b = {0};
    vsc_buf_printf(&b, fr->fmt, subject);
    all[i].desc = fe_buf_take(&b);
    all[i].shot = fr->shot;
    all[i].camera = fr->move;
  }
  for (int i = 0; i < tail; i++) all[count + i] = f->scenes[i];
  free(f->scenes);
  f->scenes = all;
  f->nscenes = count + tail;
}

/* ---- names --------------------------------------------------------------------------------- */

static void scene_name(char *out, size_t outlen, const fe_scene *sc, int index, char names[][24], int nnames) {
  char base[24] = "";
  static const char *const SKIP[] = {"a", "an", "the", "of", "and", "with", "close-up", "closeup", "shot",
                                     "wide", "establishing", "details", "detail", "slow", "hero", "new",
                                     "from", "in", "on", "at", "to", "our", "my", "your", "its", "his",
                                     "her", "their", "some", "two", "three", "una", "un", "une", "el", "la", "le", "les", "des", "der", "die", "das", "ein", "eine", NULL};
  if (sc->shot == FE_SHOT_COLOR && !sc->desc) snprintf(base, sizeof base, "card");
  const char *d = sc->desc ? sc->desc : sc->file;
  if (d && !base[0]) {
    const char *p = d;
    size_t len = 0;
    while (*p) {
      while (*p && !isalnum((unsigned char)*p)) {
        p++;
      }
      const char *e = p;
      while (*e && (isalnum((unsigned char)*e) || *e == '-')) e++;
      size_t n = (size_t)(e - p);
      bool skip = n == 0 || (*e && (unsigned char)*e >= 0x80) || (p > d && (unsigned char)p[-1] >= 0x80);
      for (int k = 0; SKIP[k] && !skip; k++)
        if (strlen(SKIP[k]) == n && strncasecmp(SKIP[k], p, n) == 0) skip = true;
      if (!skip && n > 1 && !isdigit((unsigned char)*p)) {
        for (size_t i = 0; i < n && len + 1 < 16; i++)
          base[len++] = p[i] == '-' ? '_' : (char)tolower((unsigned char)p[i]);
        base[len] = 0;
        break;
      }
      p = e;
    }
  }
  if (!base[0]) snprintf(base, sizeof base, "scene%d", index + 1);
  snprintf(out, outlen, "%s", base);
  for (int k = 2;; k++) {
    bool taken = false;
    for (int i = 0; i < nnames; i++)
      if (strcmp(names[i], out) == 0) taken = true;
    if (!taken) break;
    char num[16];
    snprintf(num, sizeof num, "_%d", k % 1000);
    snprintf(out, outlen, "%.18s", base);
    strncat(out, num, outlen - strlen(out) - 1);
  }
}

/* ---- timing ---------------------------------------------------------------------------------- */

static double voice_need(const fe_scene *sc) {
  double s = 0;
  for (int i = 0; i < sc->nvoices; i++) s += speech_seconds(sc->voices[i]) + 0.3;
  return sc->nvoices ? s + 0.8 : 0;
}

/* Gives every scene its length: stated ones keep theirs, the others share what is left,
 * none below MIN_SCENE or below what its voice-over needs. */
static void fill_lengths(fe_facts *f, double L, vsc_prompt_notes *notes) {
  int n = f->nscenes;
  double stated = 0;
  int nfree = 0;
  for (int i = 0; i < n; i++) {
    if (f->scenes[i].dur > 0) stated += f->scenes[i].dur;
    else nfree++;
  }
  double room = L - nfree * MIN_SCENE;
  if (stated > room + 1e-9) {
    double scale = room > 0 ? room / stated : 0;
    vsc_prompt_notes_add(notes, "the stated scene lengths (%gs) do not fit in %gs: shortened them", stated, L);
    for (int i = 0; i < n; i++)
      if (f->scenes[i].dur > 0) f->scenes[i].dur = fmax(MIN_SCENE, floor(f->scenes[i].dur * scale * 10) / 10);
    stated = 0;
    for (int i = 0; i < n; i++)
      if (f->scenes[i].dur > 0) stated += f->scenes[i].dur;
  }
  /* Water-fill the free scenes: those that need more than an equal share get their need. */
  double left = L - stated;
  bool fixed[VSC_PROMPT_MAX_SCENES + 8] = {false};
  for (int round = 0; round < n; round++) {
    int cnt = 0;
    double have = left;
    for (int i = 0; i < n; i++) {
      if (f->scenes[i].dur > 0) continue;
      if (fixed[i]) have -= f->scenes[i].length;
      else cnt++;
    }
    if (!cnt) break;
    double share = have / cnt;
    bool changed = false;
    for (int i = 0; i < n; i++) {
      if (f->scenes[i].dur > 0 || fixed[i]) continue;
      double need = fmax(MIN_SCENE, voice_need(&f->scenes[i]));
      if (need > share + 1e-9) {
        f->scenes[i].length = need;
        fixed[i] = true;
        changed = true;
      }
    }
    if (!changed) {
      for (int i = 0; i < n; i++)
        if (f->scenes[i].dur <= 0 && !fixed[i]) f->scenes[i].length = share;
      break;
    }
  }
  for (int i = 0; i < n; i++)
    if (f->scenes[i].dur > 0) f->scenes[i].length = f->scenes[i].dur;
  /* Round to tenths; the last scene takes what rounding left (it is written as `rest`). */
  double sum = 0;
  for (int i = 0; i + 1 < n; i++) {
    f->scenes[i].length = round(f->scenes[i].length * 10) / 10;
    sum += f->scenes[i].length;
  }
  f->scenes[n - 1].length = L - sum;
  for (int i = 0; i < n; i++)
    if (voice_need(&f->scenes[i]) > f->scenes[i].length + 0.05)
      vsc_prompt_notes_add(notes, "the voice-over of scene %d may run past its %.1fs", i + 1, f->scenes[i].length);
}

/* ---- text and voice placement ---------------------------------------------------------------- */

/* Puts a line on scene `target`, or the next scene with room (the placement check in
 * prompt.c reports a line no scene could take). */
static void move_text(fe_facts *f, int target, char *text, int role) {
  for (int k = 0; k < f->nscenes; k++) {
    fe_scene *sc = &f->scenes[(target + k) % f->nscenes];
    if (sc->ntexts < FE_MAX_LINES) {
      sc->texts[sc->ntexts].text = text;
      sc->texts[sc->ntexts++].role = role;
      return;
    }
  }
  free(text);
}

static void move_voice(fe_facts *f, int target, char *line) {
  for (int k = 0; k < f->nscenes; k++) {
    fe_scene *sc = &f->scenes[(target + k) % f->nscenes];
    if (sc->nvoices < FE_MAX_LINES) {
      sc->voices[sc->nvoices++] = line;
      return;
    }
  }
  free(line);
}

static void place_lines(fe_facts *f, bool generic) {
  int n = f->nscenes;
  int ncap = 0, nplain = 0, nend = 0;
  for (int k = 0; k < f->ntexts; k++) {
    if (f->texts[k].role == FE_TEXT_CAPTION) ncap++;
    if (f->texts[k].role == FE_TEXT_PLAIN) nplain++;
    if (f->texts[k].role == FE_TEXT_END) nend++;
  }
  int icap = 0, iplain = 0;
  for (int k = 0; k < f->ntexts; k++) {
    fe_text *t = &f->texts[k];
    int target;
    if (t->role == FE_TEXT_TITLE) target = 0;
    else if (t->role == FE_TEXT_END) target = n - 1;
    else if (t->role == FE_TEXT_CAPTION) target = n * icap++ / (ncap ? ncap : 1);
    /* One plain line in a generic video is its closing words; several spread out. */
    else if (nplain == 1 && !nend && n > 1) target = n - 1, iplain++;
    else target = n * iplain++ / (nplain ? nplain : 1);
    move_text(f, target, t->text, t->role);
    t->text = NULL;
  }
  f->ntexts = 0;
  for (int k = 0; k < f->nvoices; k++) {
    move_voice(f, n * k / f->nvoices, f->voices[k]);
    f->voices[k] = NULL;
  }
  f->nvoices = 0;
  /* A generic closing scene with words on it becomes a card. */
  fe_scene *last = &f->scenes[n - 1];
  if (generic && n > 1 && last->ntexts > 0 && last->shot != FE_SHOT_FILE) {
    last->shot = FE_SHOT_COLOR;
    free(last->desc);
    last->desc = NULL;
  }
}

/* ---- writing --------------------------------------------------------------------------------- */

static void put_string(vsc_buf *b, const char *s, size_t max) {
  char *c = fe_strndup(s, fe_utf8_cut(s, max));
  vsc_buf_puts(b, "\"");
  fe_buf_quote(b, c);
  vsc_buf_puts(b, "\"");
  free(c);
}

static void header_comment(vsc_buf *b, const char *request) {
  vsc_buf_puts(b, "// Written by `vsc prompt` from the request:\n");
  char *r = fe_strndup(request, fe_utf8_cut(request, 480));
  bool cut = strlen(r) < strlen(request);
  for (char *p = r; *p; p++)
    if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
  fe_squeeze(r, NULL);
  /* Wrap at about 88 columns, on spaces. */
  const char *p = r;
  while (*p) {
    size_t n = strlen(p);
    size_t take = n;
    if (n > 88) {
      take = 88;
      while (take > 40 && p[take] != ' ') take--;
      if (p[take] != ' ') take = fe_utf8_cut(p, 88);
    }
    vsc_buf_puts(b, "//   ");
    vsc_buf_append(b, p, take);
    if (!p[take] && cut) vsc_buf_puts(b, " …");
    vsc_buf_puts(b, "\n");
    p += take;
    while (*p == ' ') p++;
  }
  free(r);
}

/* s with a capital first letter, cut to max bytes at a word boundary when it is longer. */
static void capitalize_into(vsc_buf *b, const char *s, size_t max) {
  size_t n = fe_utf8_cut(s, max);
  if (s[n]) {
    size_t w = n;
    while (w > 0 && s[w] != ' ') w--;
    while (w > 0 && strchr(" ,;:-", s[w - 1])) w--;
    if (w > max / 2) n = w;
  }
  char *c = fe_strndup(s, n);
  if (c[0] >= 'a' && c[0] <= 'z') c[0] = (char)(c[0] - 'a' + 'A');
  fe_buf_quote(b, c);
  free(c);
}

/* Does `hay` hold `needle` (ASCII case folded)? */
static bool holds(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (const char *p = hay; *p; p++)
    if (strncasecmp(p, needle, n) == 0) return true;
  return false;
}

/* Does s start with a word that leads into something ("for", "about") or end with one
 * that needs something after it ("of", "the")? Such a run is no title. */
static bool glue_edge(const char *s) {
  static const char *const LEAD[] = {"for", "about", "of", "on", "with", "and", "to", "in", "at", "by",
                                     "from", "f\xc3\xbcr", "de", "sur", "para", "pour", NULL};
  static const char *const TAIL[] = {"a", "an", "the", "of", "for", "with", "and", "to", "in", "on", "at",
                                     "by", NULL};
  size_t first = strcspn(s, " ");
  for (int k = 0; LEAD[k]; k++)
    if (strlen(LEAD[k]) == first && strncasecmp(s, LEAD[k], first) == 0) return true;
  const char *last = strrchr(s, ' ');
  last = last ? last + 1 : s;
  for (int k = 0; TAIL[k]; k++)
    if (strcasecmp(last, TAIL[k]) == 0) return true;
  return false;
}

/* The subject's words for the title, only as the request wrote them: the subject if the
 * request holds it verbatim, else the run of its words that the request holds side by side
 * with the most content words (then the longest), else NULL. No title is stitched from
 * words that were not side by side ("For, neon city at night, scenes"). Caller frees. */
static char *title_words(const fe_facts *f) {
  if (!f->subject || !*f->subject) return NULL;
  if (holds(f->request, f->subject)) return strdup(f->subject);
  char *best = NULL;
  int best_words = 0;
  size_t best_len = 0;
  for (const char *p = f->subject; *p;) {
    size_t n = strcspn(p, ",");
    char *part = fe_strndup(p, n);
    fe_squeeze(part, " ,");
    /* Word starts of the part (at most 32 words). */
    size_t starts[33];
    int nw = 0;
    for (size_t i = 0; part[i] && nw < 32; i++)
      if (part[i] != ' ' && (i == 0 || part[i - 1] == ' ')) starts[nw++] = i;
    size_t len = strlen(part);
    for (int a = 0; a < nw; a++)
      for (int b = nw; b > a; b--) {
        size_t from = starts[a], to = b < nw ? starts[b] - 1 : len;
        char *run = fe_strndup(part + from, to - from);
        int words = glue_edge(run) ? 0 : fe_content_words(run);
        if (words > 0 && (words > best_words || (words == best_words && to - from > best_len)) && holds(f->request, run)) {
          free(best);
          best = run;
          best_words = words;
          best_len = to - from;
        } else {
          free(run);
        }
      }
    free(part);
    p += n;
    if (*p) p++;
  }
  return best;
}

char *fe_emit(fe_facts *f, const fe_degrade *d, vsc_prompt_notes *notes) {
  const style_info *st = style_of(f->style);
  bool final = f->quality && strcmp(f->quality, "final") == 0 && !d->draft_tier;

  /* The length: stated, or the preset's, or the music's. */
  double preset_len = strcmp(f->preset, "social_vertical") == 0 ? 15 : strcmp(f->preset, "explainer") == 0 ? 60
                                                                                                           : 30;
  double L = f->length;
  if (L <= 0) {
    double stated = 0;
    bool all = f->scenes_stated && f->nscenes > 0;
    for (int i = 0; i < f->nscenes; i++) {
      if (f->scenes[i].dur > 0) stated += f->scenes[i].dur;
      else all = false;
    }
    if (all) {
      L = stated;
    } else if (strcmp(f->preset, "music_video") == 0 && f->music_file) {
      double m = fe_media_duration(f->music_file);
      L = m > 0 ? floor(m * 10) / 10 : 30;
      if (m > 0) vsc_prompt_notes_add(notes, "no length stated: %.1fs, the length of %s", L, f->music_file);
    } else {
      L = preset_len;
      if (f->scenes_stated && f->nscenes * 4.0 > L) L = f->nscenes * 4.0;
      vsc_prompt_notes_add(notes, "no length stated: %gs (preset %s)", L, f->preset);
    }
  }
  if (L > MAX_LENGTH) {
    vsc_prompt_notes_add(notes, "%gs is longer than vsc prompt writes: capped at %gs", L, MAX_LENGTH);
    L = MAX_LENGTH;
  }
  if (L < MIN_SCENE) {
    vsc_prompt_notes_add(notes, "%gs is too short for a scene: made it %gs", L, MIN_SCENE);
    L = MIN_SCENE;
  }
  f->length = L;

  /* Scenes: stated ones, or generic ones around the subject. */
  bool generic = !f->scenes_stated;
  if (generic) {
    int count = (int)lround(L / 6.0);
    if (count < 2) count = 2;
    if (count > 6) count = 6;
    /* "3 scenes" with none described: that many framings of the subject. */
    if (f->scene_count > 0) count = f->scene_count > VSC_PROMPT_MAX_SCENES ? VSC_PROMPT_MAX_SCENES : f->scene_count;
    if (f->tail_only) count -= f->nscenes;
    if (count < 1) count = 1;
    while (count + (f->tail_only ? f->nscenes : 0) > 1 && (count + (f->tail_only ? f->nscenes : 0)) * MIN_SCENE > L) count--;
    if (count < 1) count = 1;
    generic_scenes(f, count);
  }
  /* Too many scenes for the length: keep the first ones and the last. */
  int cap = (int)floor(L / MIN_SCENE + 1e-9);
  if (cap < 1) cap = 1;
  if (f->nscenes > cap) {
    vsc_prompt_notes_add(notes, "%d scenes do not fit in %gs: kept %d", f->nscenes, L, cap);
    fe_scene keep_last = f->scenes[f->nscenes - 1];
    int dropped_from = cap - 1, dropped_to = f->nscenes - 1;
    /* The words of a dropped scene stay in the video: its lines go to the whole video and
     * are placed with the others; a stated scene's picture is reported. */
    for (int i = dropped_from; i < dropped_to; i++) {
      fe_scene *sc = &f->scenes[i];
      if (f->scenes_stated && (sc->desc || sc->file))
        vsc_prompt_notes_unplaced(notes, "scene %d (\"%.60s\") does not fit in %gs: left out", i + 1,
                                  sc->desc ? sc->desc : sc->file, L);
      free(sc->desc);
      free(sc->file);
      for (int k = 0; k < sc->ntexts; k++) {
        if (f->ntexts < FE_MAX_GLOBAL) f->texts[f->ntexts++] = sc->texts[k];
        else free(sc->texts[k].text);
      }
      for (int k = 0; k < sc->nvoices; k++) {
        if (f->nvoices < FE_MAX_GLOBAL) f->voices[f->nvoices++] = sc->voices[k];
        else free(sc->voices[k]);
      }
    }
    f->scenes[cap - 1] = keep_last;
    f->nscenes = cap;
  }
  /* Short stated descriptions lean on the subject ("then the logo"). */
  for (int i = 0; i < f->nscenes && f->subject && !generic; i++) {
    fe_scene *sc = &f->scenes[i];
    if (sc->desc && strlen(sc->desc) < 24 && !strstr(sc->desc, f->subject) && sc->shot != FE_SHOT_COLOR) {
      vsc_buf b = {0};
      vsc_buf_printf(&b, "%s, %s", sc->desc, f->subject);
      free(sc->desc);
      sc->desc = fe_buf_take(&b);
    }
  }
  if (f->tail_only && f->subject) {
    for (int i = 0; i < f->nscenes; i++) {
      fe_scene *sc = &f->scenes[i];
      if (sc->desc && !strstr(sc->desc, f->subject) && strlen(sc->desc) < 24 && sc->shot != FE_SHOT_COLOR) {
        vsc_buf b = {0};
        vsc_buf_printf(&b, "%s, %s", sc->desc, f->subject);
        free(sc->desc);
        sc->desc = fe_buf_take(&b);
      }
    }
  }
  place_lines(f, generic);
  fill_lengths(f, L, notes);

  /* Transitions: stated, else hard cuts on a beat grid, else the style's. */
  const char *tr = f->transition ? f->transition : f->cut ? "cut"
                                                          : st->transition;
  double tdur = strcmp(tr, "cut") == 0 ? 0 : f->transition ? 0.5
                                                           : st->tdur;
  double shortest = L;
  for (int i = 0; i < f->nscenes; i++)
    if (f->scenes[i].length < shortest) shortest = f->scenes[i].length;
  if (tdur > 0.4 * shortest) tdur = floor(0.4 * shortest * 10) / 10;
  if (tdur < 0.1) tr = "cut";

  vsc_buf b = {0};
  header_comment(&b, f->request);
  vsc_buf_puts(&b, "\nimport \"std/styles\"\nimport \"std/presets\"\n\nvideo \"");
  if (f->title) {
    fe_buf_quote(&b, f->title);
  } else {
    char *words = title_words(f);
    if (words) {
      capitalize_into(&b, words, 60);
      vsc_buf_puts(&b, " — ");
    }
    char g[64];
    snprintf(g, sizeof g, "%g-second %s", L, f->genre ? f->genre : "video");
    if (!words) g[0] = (char)toupper((unsigned char)g[0]);
    free(words);
    vsc_buf_puts(&b, g);
  }
  vsc_buf_puts(&b, "\" {\n");
  vsc_buf_printf(&b, "  preset %s\n", f->preset);
  if (f->width) {
    vsc_buf_printf(&b, "  size %dx%d\n", f->width, f->height);
    vsc_buf_printf(&b, "  aspect %d:%d\n", f->aspect_w, f->aspect_h);
  }
  if (f->fps) vsc_buf_printf(&b, "  fps %d\n", f->fps);
  vsc_buf_printf(&b, "  length %gs\n", L);
  if (f->budget >= 0) vsc_buf_printf(&b, "  budget $%.2f\n", f->budget);
  if (f->quality) vsc_buf_printf(&b, "  quality %s\n", final ? "final" : "draft");
  if (f->style) vsc_buf_printf(&b, "  style %s\n", f->style);

  bool voices = false;
  for (int i = 0; i < f->nscenes; i++)
    if (f->scenes[i].nvoices) voices = true;
  const char *music_desc = f->music_desc;
  char fallback_desc[] = "instrumental background music with a steady beat";
  if (!f->music_file && !music_desc && f->cut && !f->no_music) {
    music_desc = fallback_desc;
    vsc_prompt_notes_add(notes, "cutting to the beat needs music: added a generated music bed");
  }
  if (d->drop_music && !f->music_file) music_desc = NULL;
  if (f->music_file || music_desc) {
    if (f->music_file) {
      vsc_buf_puts(&b, "  music ");
      put_string(&b, f->music_file, 1024);
    } else {
      vsc_buf_puts(&b, "  music generate ");
      put_string(&b, music_desc, 200);
    }
    vsc_buf_puts(&b, " {\n");
    if (f->tempo > 0) vsc_buf_printf(&b, "    tempo %g\n", f->tempo);
    vsc_buf_printf(&b, "    volume %s\n", voices ? "-8dB" : "-4dB");
    vsc_buf_puts(&b, "    fade out 1.5s\n");
    if (voices) vsc_buf_puts(&b, "    duck -10dB\n");
    if (f->cut == 1) vsc_buf_puts(&b, "    cut on beats\n");
    if (f->cut == 2) vsc_buf_puts(&b, "    cut on bars\n");
    vsc_buf_puts(&b, "  }\n");
  }

  char names[VSC_PROMPT_MAX_SCENES + 8][24];
  int nnames = 0;
  for (int i = 0; i < f->nscenes; i++) {
    fe_scene *sc = &f->scenes[i];
    char name[24];
    scene_name(name, sizeof name, sc, i, names, nnames);
    snprintf(names[nnames++], sizeof names[0], "%s", name);
    vsc_buf_printf(&b, "\n  scene %s (", name);
    if (i + 1 == f->nscenes) vsc_buf_puts(&b, "rest");
    else vsc_buf_printf(&b, "%gs", sc->length);
    vsc_buf_puts(&b, ") {\n");
    int shot = sc->shot;
    if (shot == FE_SHOT_VIDEO && d->stills) shot = FE_SHOT_IMAGE;
    if ((shot == FE_SHOT_VIDEO || shot == FE_SHOT_IMAGE) && !sc->desc) shot = FE_SHOT_COLOR;
    switch (shot) {
    case FE_SHOT_VIDEO:
      vsc_buf_puts(&b, "    shot video ");
      put_string(&b, sc->desc, 400);
      if (sc->camera) vsc_buf_printf(&b, " camera %s", sc->camera);
      vsc_buf_printf(&b, "\n    model %s\n", final ? "video.premium" : "video.fast");
      break;
    case FE_SHOT_IMAGE: {
      vsc_buf_puts(&b, "    shot image ");
      put_string(&b, sc->desc, 400);
      const char *cam = sc->camera;
      if (cam && strncmp(cam, "pan-", 4) == 0 && strcmp(cam, "pan-left") && strcmp(cam, "pan-right")) cam = NULL;
      if (cam && (strcmp(cam, "pan-left") == 0 || strcmp(cam, "pan-right") == 0)) vsc_buf_printf(&b, " animate %s", cam);
      else if (cam && strcmp(cam, "tilt-up") == 0) vsc_buf_puts(&b, " animate pan-up");
      else if (cam && strcmp(cam, "tilt-down") == 0) vsc_buf_puts(&b, " animate pan-down");
      else if (cam && (strcmp(cam, "pull-out") == 0 || strcmp(cam, "zoom-out") == 0)) vsc_buf_puts(&b, " animate zoom 1.15 -> 1.0");
      else vsc_buf_puts(&b, " animate zoom 1.0 -> 1.12");
      vsc_buf_printf(&b, "\n    model %s\n", final ? "image.premium" : "image.fast");
      break;
    }
    case FE_SHOT_FILE:
      vsc_buf_puts(&b, "    shot file ");
      put_string(&b, sc->file, 1024);
      vsc_buf_puts(&b, "\n");
      break;
    default:
      vsc_buf_printf(&b, "    shot color %s\n", i == 0 || i + 1 == f->nscenes ? st->dark : st->accent);
      break;
    }
    /* Text: each role has its place; more lines take the next free place. */
    static const char *const PLACES[] = {"center", "lower-third", "top", "bottom", "top-left", "bottom-right"};
    bool taken[6] = {false};
    for (int k = 0; k < sc->ntexts; k++) {
      int role = sc->texts[k].role;
      int want = role == FE_TEXT_CAPTION ? 1 : (role == FE_TEXT_PLAIN && shot != FE_SHOT_COLOR) ? 1
                                                                                                : 0;
      int p = want;
      while (p < 6 && taken[p]) p++;
      if (p == 6)
        for (p = 0; p < 6 && taken[p]; p++) {}
      if (p == 6) p = 0;
      taken[p] = true;
      const char *size = role == FE_TEXT_TITLE ? "10%" : p == 0 && shot == FE_SHOT_COLOR ? "9%"
                                                                                         : "6%";
      vsc_buf_puts(&b, "    text ");
      put_string(&b, sc->texts[k].text, VSC_PROMPT_MAX_REQUEST);
      vsc_buf_printf(&b, " at %s size %s", PLACES[p], size);
      if (shot == FE_SHOT_COLOR) vsc_buf_printf(&b, " color %s", st->light);
      else vsc_buf_printf(&b, " color %s box %s", st->light, st->dark);
      vsc_buf_puts(&b, " fade 0.3s\n");
    }
    double at = 0.4;
    for (int k = 0; k < sc->nvoices; k++) {
      vsc_buf_puts(&b, "    voice ");
      put_string(&b, sc->voices[k], VSC_PROMPT_MAX_REQUEST);
      vsc_buf_printf(&b, " at %gs\n", round(at * 10) / 10);
      at += speech_seconds(sc->voices[k]) + 0.3;
    }
    if (i + 1 < f->nscenes) {
      if (strcmp(tr, "cut") == 0) vsc_buf_puts(&b, "    then cut\n");
      else vsc_buf_printf(&b, "    then %s %gs\n", tr, tdur);
    }
    vsc_buf_puts(&b, "  }\n");
  }
  vsc_buf_puts(&b, "}\n");
  return fe_buf_take(&b);
}
