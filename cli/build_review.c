/*
** --scene NAME and --range A-B of `vsc build` and `vsc plan` (docs/cli.md "Rendering a
** part"): the names and times on the command line resolved against the compiled plan, then
** the plan cut to them (vsc_ir_subset), so a part reuses the full build's cache.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review.h"
#include "vsc/vsc.h"
#include "vsc/vsc_strings.h"
#include "vsc/vsc_subset.h"

int cli_review_parse(cli_review *r, int argc, char **argv, int *i, bool allow_sheet) {
  const char *arg = argv[*i];
  if (allow_sheet && strcmp(arg, "--sheet") == 0) {
    r->sheet = true;
    return 0;
  }
  bool scene = strcmp(arg, "--scene") == 0, range = strcmp(arg, "--range") == 0;
  if (!scene && !range) return 1;
  if (*i + 1 >= argc || !argv[*i + 1][0]) return -1;
  if (scene ? r->nscenes == CLI_REVIEW_MAX : r->nranges == CLI_REVIEW_MAX) return -1;
  if (scene) r->scenes[r->nscenes++] = argv[++*i];
  else r->ranges[r->nranges++] = argv[++*i];
  return 0;
}

bool cli_review_part(const cli_review *r) { return r->nscenes || r->nranges; }

/* Appends `s` with anything unusual in a file name (and the separators '/' and ',') as '_'. */
static size_t put_safe(char *out, size_t k, size_t len, const char *s, char comma_as) {
  for (; *s && k + 1 < len; s++) {
    char c = *s;
    if (c == ' ') continue;
    if (c == ',') c = comma_as;
    else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
               c == '.' || c == '+'))
      c = '_';
    out[k++] = c;
  }
  out[k] = 0;
  return k;
}

void cli_review_output(const cli_review *r, char *out, size_t len) {
  if (!cli_review_part(r)) return;
  char part[256];
  size_t k = 0;
  part[0] = 0;
  for (size_t i = 0; i < r->nscenes; i++) {
    k = put_safe(part, k, sizeof part, i ? "+" : "scene-", '+');
    k = put_safe(part, k, sizeof part, r->scenes[i], '+');
  }
  for (size_t i = 0; i < r->nranges; i++) {
    k = put_safe(part, k, sizeof part, i ? "+" : k ? "."
                                                   : "",
                 '+');
    k = put_safe(part, k, sizeof part, r->ranges[i], '+');
  }
  size_t n = strlen(out);
  const char *slash = strrchr(out, '/'), *dot = strrchr(out, '.');
  if (!dot || (slash && dot < slash)) dot = out + n;
  char ext[64];
  snprintf(ext, sizeof ext, "%s", dot);
  size_t stem = (size_t)(dot - out);
  snprintf(out + stem, len - stem, ".%s%s", part, ext);
}

/* ---- --scene ------------------------------------------------------------------------ */

static int scene_range(const json_t *ir, const char *name, size_t nlen, vsc_range *out, const char *script) {
  const json_t *scenes = json_object_get(ir, "scenes");
  size_t i, n = json_array_size(scenes);
  json_t *sc;
  json_array_foreach(scenes, i, sc) {
    const char *s = json_string_value(json_object_get(sc, "name"));
    if (s && strlen(s) == nlen && strncmp(s, name, nlen) == 0) {
      out->start = json_number_value(json_object_get(sc, "start"));
      out->end = out->start + json_number_value(json_object_get(sc, "duration"));
      return 0;
    }
  }
  char want[256];
  snprintf(want, sizeof want, "%.*s", (int)(nlen < 200 ? nlen : 200), name);
  const char **names = calloc(n ? n : 1, sizeof *names);
  if (!names) return -1;
  json_array_foreach(scenes, i, sc) names[i] = json_string_value(json_object_get(sc, "name"));
  const char *best = vsc_closest(want, names, n);
  fprintf(stderr, "vsc: %s has no scene '%s'", script, want);
  if (best) {
    fprintf(stderr, "; did you mean '%s'?\n", best);
  } else {
    fprintf(stderr, " (scenes:");
    for (i = 0; i < n; i++) fprintf(stderr, "%s %s", i ? "," : "", names[i]);
    fprintf(stderr, ")\n");
  }
  free(names);
  return -1;
}

/* ---- --range ------------------------------------------------------------------------ */

/* The first downbeat of the video's beat grid: where bar 1 starts, from a scene's bar:beat
 * (the planner's grid is steady at video.tempo where it was declared). */
static double first_downbeat(const json_t *ir, double beat, int meter) {
  size_t i;
  json_t *sc;
  json_array_foreach(json_object_get(ir, "scenes"), i, sc) {
    const char *bb = json_string_value(json_object_get(sc, "bar"));
    double bar, b;
    if (!bb || sscanf(bb, "%lf:%lf", &bar, &b) != 2) continue;
    return json_number_value(json_object_get(sc, "start")) - ((bar - 1) * meter + (b - 1)) * beat;
  }
  return 0;
}

/* One end of a range: "12s", "1.5s", "500ms", "12" (seconds), "8beats", "4 bars"; empty
 * = `def`. Returns 0, or -1 with err. */
static int parse_point(const json_t *ir, const char *s, size_t n, double def, double *out, char *err, size_t errlen) {
  char buf[64];
  while (n && *s == ' ') s++, n--;
  while (n && s[n - 1] == ' ') n--;
  if (n == 0) {
    *out = def;
    return 0;
  }
  if (n >= sizeof buf) return snprintf(err, errlen, "'%.*s' is too long", (int)(n > 40 ? 40 : n), s), -1;
  memcpy(buf, s, n);
  buf[n] = 0;
  char *end;
  double v = strtod(buf, &end);
  if (end == buf || buf[0] == '-' || buf[0] == '+' || !isfinite(v))
    return snprintf(err, errlen, "'%s' is not a time (10s, 500ms, 8beats, 4bars)", buf), -1;
  while (*end == ' ') end++;
  const json_t *video = json_object_get(ir, "video");
  if (!*end || !strcmp(end, "s") || !strcmp(end, "sec")) *out = v;
  else if (!strcmp(end, "ms")) *out = v / 1000;
  else if (!strcmp(end, "beat") || !strcmp(end, "beats") || !strcmp(end, "bar") || !strcmp(end, "bars")) {
    double tempo = json_number_value(json_object_get(video, "tempo"));
    if (!(tempo > 0))
      return snprintf(err, errlen, "'%s' needs a tempo, and this video has no beat grid (give seconds: 10s-20s)", buf), -1;
    int meter = (int)json_integer_value(json_object_get(video, "meter"));
    if (meter < 1) meter = 4;
    double beat = 60.0 / tempo;
    *out = first_downbeat(ir, beat, meter) + v * beat * (end[2] == 'r' ? meter : 1);
    if (*out < 0) *out = 0;
  } else {
    return snprintf(err, errlen, "'%s': unknown unit '%s' (s, ms, beats, bars)", buf, end), -1;
  }
  return 0;
}

static int parse_range(const json_t *ir, const char *spec, vsc_range *r, char *err, size_t errlen) {
  const char *dash = strchr(spec, '-');
  double length = json_number_value(json_object_get(json_object_get(ir, "video"), "length"));
  if (!dash) return snprintf(err, errlen, "expected START-END (10s-20s, 4bars-8bars; an empty end is the video's)"), -1;
  if (parse_point(ir, spec, (size_t)(dash - spec), 0, &r->start, err, errlen) < 0 ||
      parse_point(ir, dash + 1, strlen(dash + 1), length, &r->end, err, errlen) < 0)
    return -1;
  if (r->end <= r->start) return snprintf(err, errlen, "it ends (%gs) before it starts (%gs)", r->end, r->start), -1;
  if (r->start >= length - 1e-6)
    return snprintf(err, errlen, "it starts at %gs, at or after the end of the video (%gs long)", r->start, length), -1;
  if (r->end > length + 1e-6)
    return snprintf(err, errlen, "it ends at %gs, after the end of the video (%gs long)", r->end, length), -1;
  return 0;
}

int cli_review_subset(json_t **ir, const cli_review *r, const char *script) {
  vsc_range ranges[4 * CLI_REVIEW_MAX];
  size_t n = 0;
  for (size_t i = 0; i < r->nscenes; i++) {
    for (const char *p = r->scenes[i]; *p;) {
      size_t len = strcspn(p, ",");
      if (len && n == sizeof ranges / sizeof ranges[0]) {
        fprintf(stderr, "vsc: too many scenes\n");
        return VSC_EXIT_USAGE;
      }
      if (len && scene_range(*ir, p, len, &ranges[n++], script) < 0) return VSC_EXIT_USAGE;
      p += len;
      if (*p == ',') p++;
    }
  }
  for (size_t i = 0; i < r->nranges; i++) {
    char err[300];
    if (parse_range(*ir, r->ranges[i], &ranges[n++], err, sizeof err) < 0) {
      fprintf(stderr, "vsc: --range %s: %s\n", r->ranges[i], err);
      return VSC_EXIT_USAGE;
    }
  }
  if (n == 0) {
    fprintf(stderr, "vsc: --scene: no scene named\n");
    return VSC_EXIT_USAGE;
  }
  char err[512];
  json_t *part = vsc_ir_subset(*ir, ranges, n, err, sizeof err);
  if (!part) {
    fprintf(stderr, "vsc: %s: %s\n", script, err);
    return VSC_EXIT_USAGE;
  }
  /* The part's plan is checked as any IR is: a failure here is a bug in vsc. */
  if (vsc_ir_validate(part, err, sizeof err) != 0) {
    fprintf(stderr, "vsc: internal error: the plan of the part is not valid: %s\n", err);
    json_decref(part);
    return VSC_EXIT_INTERNAL;
  }
  json_decref(*ir);
  *ir = part;
  return VSC_EXIT_OK;
}
