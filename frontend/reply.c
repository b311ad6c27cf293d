/*
** reply.c — the LLM front-end's reading of a chat reply, and its system prompt: the
** language reference, the registry, the styles and presets, and one example, all embedded
** at build time so that the prompt matches the compiler it was built with.
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend.h"

extern const char vsc_fe_language_md[];
extern const char vsc_fe_styles_vscript[];
extern const char vsc_fe_presets_vscript[];
extern const char vsc_fe_example_vscript[];

typedef struct {
  const char *body; /* first byte after the opening fence line */
  size_t len;
  char tag[16]; /* the info string: "vscript", "" … */
} fence;

/* The fenced blocks of a Markdown text (``` or ~~~ at a line start, possibly indented). */
static int find_fences(const char *s, fence *out, int max) {
  int n = 0;
  const char *p = s;
  while (*p && n < max) {
    const char *line = p;
    while (*line == ' ' || *line == '\t') line++;
    const char *eol = strchr(p, '\n');
    if (!eol) eol = p + strlen(p);
    if ((strncmp(line, "```", 3) == 0 || strncmp(line, "~~~", 3) == 0)) {
      char mark = line[0];
      const char *t = line;
      while (*t == mark) t++;
      size_t tl = 0;
      while (t[tl] && t[tl] != '\n' && t[tl] != ' ' && tl < 15) tl++;
      fence *f = &out[n];
      snprintf(f->tag, sizeof f->tag, "%.*s", (int)tl, t);
      f->body = *eol ? eol + 1 : eol;
      /* The closing fence: a line that starts with the same mark. */
      const char *q = f->body;
      const char *close = NULL;
      while (*q) {
        const char *ql = q;
        while (*ql == ' ' || *ql == '\t') ql++;
        if (ql[0] == mark && ql[1] == mark && ql[2] == mark) {
          close = q;
          break;
        }
        const char *qe = strchr(q, '\n');
        if (!qe) break;
        q = qe + 1;
      }
      f->len = close ? (size_t)(close - f->body) : strlen(f->body); /* an unclosed fence runs to the end */
      n++;
      if (!close) break;
      const char *after = strchr(close, '\n');
      p = after ? after + 1 : close + strlen(close);
      continue;
    }
    p = *eol ? eol + 1 : eol;
  }
  return n;
}

static bool mentions_video(const char *s, size_t n) {
  for (size_t i = 0; i + 6 <= n; i++)
    if (memcmp(s + i, "video", 5) == 0 && (s[i + 5] == ' ' || s[i + 5] == '"') && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\n'))
      return true;
  return false;
}

/* Does a line start a script? */
static bool starts_script(const char *line) {
  static const char *const KW[] = {"import ", "video ", "style ", "template ", "preset ", "model ", NULL};
  for (int k = 0; KW[k]; k++)
    if (strncmp(line, KW[k], strlen(KW[k])) == 0) return true;
  return false;
}

char *vsc_llm_extract_script(const char *reply) {
  if (!reply) return strdup("");
  fence fences[16];
  int n = find_fences(reply, fences, 16);
  int pick = -1;
  for (int i = 0; i < n && pick < 0; i++)
    if ((strcmp(fences[i].tag, "vscript") == 0 || strcmp(fences[i].tag, "vsc") == 0) &&
        mentions_video(fences[i].body, fences[i].len))
      pick = i;
  for (int i = 0; i < n && pick < 0; i++)
    if (mentions_video(fences[i].body, fences[i].len)) pick = i;
  if (pick < 0 && n > 0) pick = 0;
  if (pick >= 0) return fe_strndup(fences[pick].body, fences[pick].len);
  /* No fences: from the first line that starts a script (or a comment right above it) to
   * the last closing brace. */
  const char *start = NULL, *comment = NULL;
  for (const char *p = reply; *p;) {
    const char *line = p;
    while (*line == ' ' || *line == '\t') line++;
    if (starts_script(line)) {
      start = comment ? comment : p;
      break;
    }
    if (strncmp(line, "//", 2) == 0) {
      if (!comment) comment = p;
    } else if (*line != '\n') {
      comment = NULL;
    }
    const char *eol = strchr(p, '\n');
    if (!eol) break;
    p = eol + 1;
  }
  if (start) {
    const char *last = strrchr(start, '}');
    size_t len = last ? (size_t)(last - start) + 1 : strlen(start);
    char *s = fe_strndup(start, len);
    return s;
  }
  char *s = strdup(reply);
  fe_squeeze(s, NULL);
  return s;
}

/* One line per model: what a script may name, and what it costs. */
static void registry_lines(vsc_buf *b) {
  vsc_diag_list *diags = vsc_diag_list_new(5);
  json_t *models = vsc_models_json(NULL, diags);
  vsc_diag_list_free(diags);
  size_t i;
  json_t *m;
  json_array_foreach(models, i, m) {
    char *text = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
    if (text) vsc_buf_printf(b, "%s\n", text);
    free(text);
  }
  json_decref(models);
}

char *vsc_llm_system_prompt(void) {
  vsc_buf b = {0};
  vsc_buf_puts(&b,
               "You write storyboards in .vscript, the language of the vsc video compiler. Reply with "
               "exactly one complete .vscript file in a single ```vscript code block and nothing "
               "else. The script must pass `vsc check`:\n"
               "- one `video \"TITLE\" { ... }` block; start with `import \"std/styles\"` and "
               "`import \"std/presets\"` and use a preset (ad30, social_vertical, music_video, "
               "explainer) unless told otherwise;\n"
               "- use only the styles, presets, model classes and models listed below; name model "
               "classes (video.fast, video.premium, image.fast, image.premium, i2v.fast, tts, "
               "music) rather than models unless a specific model is asked for;\n"
               "- the estimated cost must stay within `budget`; prefer `quality draft` unless "
               "premium quality is asked for;\n"
               "- never invent brand names, URLs, prices, phone numbers or claims that the request "
               "does not state; leave such text out;\n"
               "- do not reference files that the request does not name;\n"
               "- scene durations must fill `length` (use `rest` for the last scene).\n"
               "When you are sent diagnostics (JSON from `vsc check --json`), fix every error and "
               "reply with the whole corrected script, again in one ```vscript block.\n\n");
  vsc_buf_puts(&b, "# Language reference\n\n");
  vsc_buf_puts(&b, vsc_fe_language_md);
  vsc_buf_puts(&b, "\n# std/styles (import \"std/styles\")\n\n```vscript\n");
  vsc_buf_puts(&b, vsc_fe_styles_vscript);
  vsc_buf_puts(&b, "```\n\n# std/presets (import \"std/presets\")\n\n```vscript\n");
  vsc_buf_puts(&b, vsc_fe_presets_vscript);
  vsc_buf_puts(&b, "```\n\n# The model registry (std/models, always imported), one JSON object per model\n\n");
  registry_lines(&b);
  vsc_buf_puts(&b, "\n# Example\n\n```vscript\n");
  vsc_buf_puts(&b, vsc_fe_example_vscript);
  vsc_buf_puts(&b, "```\n");
  return fe_buf_take(&b);
}
