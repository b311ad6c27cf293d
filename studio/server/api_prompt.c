/*
** api_prompt.c (studio) — starting from words: the session facts the page needs, the song
** upload (size-limited, written into the project's assets/ folder under a clean name) and
** the prompt box (the rule-based prompt front-end, or the chat model when one is configured,
** writes a checked .vscript).
*/
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "studio.h"
#include "vsc/vsc.h"
#include "vsc/vsc_frontend.h"
#include "vsc/vsc_runtime.h"

/* The LLM front-end's hook around its uses of the compiler. */
static void compiler_lock(void *ud, bool lock) {
  studio *st = ud;
  if (lock) pthread_mutex_lock(&st->compile_lock);
  else pthread_mutex_unlock(&st->compile_lock);
}

/* The chat model of `vsc prompt --llm` is configured (docs/prompt.md). */
static bool llm_configured(void) {
  const char *m = getenv("VSC_LLM_MODEL");
  return m && *m;
}

enum MHD_Result studio_api_session(studio *st, struct MHD_Connection *c, const char *url,
                                   const studio_req *req) {
  (void)url, (void)req;
  const char *base = strrchr(st->dir, '/');
  return studio_reply_json(
      st, c, 200,
      json_pack("{s:s, s:s, s:s?, s:s, s:b, s:b, s:I, s:I}", "project", base && base[1] ? base + 1 : st->dir,
                "dir", st->dir, "open", st->open_file[0] ? st->open_file : NULL, "provider",
                vsc_provider_resolve(NULL), "replicate_token", st->secret != NULL, "llm",
                llm_configured(), "max_script", (json_int_t)VSC_STUDIO_MAX_SCRIPT, "max_upload",
                (json_int_t)VSC_STUDIO_MAX_UPLOAD));
}

/* A file name safe anywhere: letters, digits, '.', '-', '_' (others become '_'). */
static void clean_name(const char *in, char *out, size_t len) {
  size_t n = 0;
  for (; *in && n + 1 < len; in++) {
    unsigned char ch = (unsigned char)*in;
    out[n++] = isalnum(ch) || ch == '.' || ch == '-' || ch == '_' ? (char)ch : '_';
  }
  out[n] = 0;
  while (out[0] == '.') memmove(out, out + 1, strlen(out)); /* no hidden or ".." names */
}

enum MHD_Result studio_api_upload(studio *st, struct MHD_Connection *c, const char *url,
                                  const studio_req *req) {
  (void)url;
  const char *name = studio_arg(c, "name");
  char clean[128];
  clean_name(name ? name : "", clean, sizeof clean);
  const char *dot = strrchr(clean, '.');
  static const char *const ok[] = {".wav", ".mp3", ".flac", ".ogg", ".m4a"};
  bool audio = false;
  for (size_t i = 0; dot && i < sizeof ok / sizeof ok[0]; i++) audio |= strcasecmp(dot, ok[i]) == 0;
  if (!audio || dot == clean)
    return studio_reply_error(st, c, 415, "upload a song (.wav, .mp3, .flac, .ogg or .m4a)");
  if (!req->body || req->len == 0) return studio_reply_error(st, c, 400, "empty upload");
  char dir[PATH_MAX + 16], abs[PATH_MAX + 160];
  snprintf(dir, sizeof dir, "%s/assets", st->dir);
  if (mkdir(dir, 0755) != 0 && errno != EEXIST)
    return studio_reply_error(st, c, 500, "cannot create assets/: %s", strerror(errno));
  char rel[200], why[512];
  snprintf(rel, sizeof rel, "assets/%s", clean);
  /* Confined like any path: assets/ itself might be a link out of the project. */
  if (studio_path_resolve(st, rel, false, abs, sizeof abs, why, sizeof why) != 0)
    return studio_reply_error(st, c, 403, "%s", why);
  if (studio_write_file(abs, req->body, req->len) != 0)
    return studio_reply_error(st, c, 500, "cannot write %s: %s", rel, strerror(errno));
  return studio_reply_json(st, c, 201, json_pack("{s:s, s:I}", "path", studio_path_rel(st, abs), "size", (json_int_t)req->len));
}

enum MHD_Result studio_api_prompt(studio *st, struct MHD_Connection *c, const char *url,
                                  const studio_req *req) {
  (void)url;
  enum MHD_Result rc;
  json_t *body = studio_body_json(st, c, req, &rc);
  if (!body) return rc;
  const char *text = json_string_value(json_object_get(body, "text"));
  const char *music = json_string_value(json_object_get(body, "music"));
  const char *out = json_string_value(json_object_get(body, "out"));
  json_t *jb = json_object_get(body, "budget");
  bool llm = json_is_true(json_object_get(body, "llm"));
  if (llm && !llm_configured()) {
    json_decref(body);
    return studio_reply_error(st, c, 400, "no chat model: start vsc studio with VSC_LLM_MODEL "
                                          "(and VSC_LLM_BASE_URL, VSC_LLM_API_KEY) set");
  }
  char abs[PATH_MAX], mabs[PATH_MAX], why[512];
  if (!text || !*text) {
    json_decref(body);
    return studio_reply_error(st, c, 400, "write what the video should be");
  }
  if (studio_path_resolve(st, out && *out ? out : "prompt.vscript", false, abs, sizeof abs, why,
                          sizeof why) != 0 ||
      (music && *music && studio_path_resolve(st, music, true, mabs, sizeof mabs, why, sizeof why) != 0)) {
    json_decref(body);
    return studio_reply_error(st, c, 403, "%s", why);
  }
  size_t n = strlen(abs);
  if (n < 8 || strcmp(abs + n - 8, ".vscript") != 0) {
    json_decref(body);
    return studio_reply_error(st, c, 400, "the script's name must end in .vscript");
  }
  struct stat sb;
  if (stat(abs, &sb) == 0 && !json_is_true(json_object_get(body, "overwrite"))) {
    json_decref(body);
    return studio_reply_error(st, c, 409, "%s exists: choose another name", studio_path_rel(st, abs));
  }
  char cache[PATH_MAX];
  studio_cache_dir_of(abs, cache, sizeof cache);
  vsc_prompt_options po = VSC_PROMPT_OPTIONS_INIT;
  po.out_path = abs;
  po.music = music && *music ? mabs : NULL;
  po.budget = json_is_number(jb) ? json_number_value(jb) : -1;
  po.cache_dir = cache;
  vsc_prompt_notes notes = {0};
  char *script = NULL;
  char err[512] = "";
  /* The chat model's check-and-repair loop takes the compiler's lock only while it
   * compiles, so live checks go on while the model answers. Its cost is journaled next to
   * the script, so the ledger shows it. The rule-based front-end is quick: it holds the
   * lock throughout. */
  vsc_diag_list *diags = vsc_diag_list_new(20);
  int r;
  if (llm) {
    vsc_llm_options lo = VSC_LLM_OPTIONS_INIT;
    lo.journal_dir = cache;
    lo.out_path = abs;
    lo.cache_dir = cache;
    lo.compiler_lock = compiler_lock;
    lo.compiler_lock_ud = st;
    vsc_llm_stats stats = {0};
    r = vsc_llm_generate(&script, text, &lo, diags, &stats, err, sizeof err);
    if (stats.replies) vsc_prompt_notes_add(&notes, "chat model: %d repl%s, %d repair%s, $%.4f",
                                            stats.replies, stats.replies == 1 ? "y" : "ies",
                                            stats.repairs, stats.repairs == 1 ? "" : "s", stats.cost);
  } else {
    pthread_mutex_lock(&st->compile_lock);
    r = vsc_prompt_rules(&script, text, &po, diags, &notes, err, sizeof err);
    pthread_mutex_unlock(&st->compile_lock);
  }
  pthread_mutex_lock(&st->compile_lock); /* diagnostics may point into the compiler's sources */
  json_t *dj = studio_diags_json(st, diags);
  vsc_diag_list_free(diags);
  pthread_mutex_unlock(&st->compile_lock);
  json_t *jnotes = json_array();
  for (size_t i = 0; i < notes.n; i++) json_array_append_new(jnotes, json_string(notes.lines[i]));
  vsc_prompt_notes_free(&notes);
  json_decref(body);
  if (r != 0 || !script) {
    free(script);
    return studio_reply_json(st, c, 422, json_pack("{s:s, s:o, s:o}", "error", *err ? err : "the request did not make a valid script", "diagnostics", dj, "notes", jnotes));
  }
  if (studio_write_file(abs, script, strlen(script)) != 0) {
    free(script);
    json_decref(dj);
    json_decref(jnotes);
    return studio_reply_error(st, c, 500, "cannot write the script: %s", strerror(errno));
  }
  free(script);
  return studio_reply_json(st, c, 201, json_pack("{s:s, s:o, s:o}", "path", studio_path_rel(st, abs), "notes", jnotes, "diagnostics", dj));
}
