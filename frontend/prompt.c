/*
** prompt.c — the rule-based front-end's driver: request → facts → text → vsc_format →
** vsc_compile_source, adapting the draft when the checker refuses what the request asked
** for (a premium tier or generated video over the budget, a frame no video model makes).
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend.h"

/* Does the request hold anything to work from (a letter or a digit, in any script)? */
static bool has_substance(const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p >= 0xc3)
      return true;
  return false;
}

static int fail(char *err, size_t errlen, int code, const char *msg) {
  if (err && errlen) snprintf(err, errlen, "%s", msg);
  return code;
}

int vsc_prompt_check(char **out_formatted, json_t **out_ir, const char *path, const char *text,
                     size_t len, const char *cache_dir, vsc_diag_list *diags) {
  *out_formatted = NULL;
  if (out_ir) *out_ir = NULL;
  char *fmt = vsc_format(path, text, len, diags);
  if (!fmt) return VSC_PROMPT_ECHECK;
  vsc_compile_options co = VSC_COMPILE_OPTIONS_INIT;
  co.cache_dir = cache_dir;
  /* A written script imports only from its own folder: what the checker reads may be
   * quoted back to whoever wrote it (an LLM's repair loop). */
  char dir[4096];
  const char *slash = strrchr(path, '/');
  if (!slash) snprintf(dir, sizeof dir, ".");
  else if (slash == path) snprintf(dir, sizeof dir, "/");
  else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  co.import_root = dir;
  json_t *ir = NULL;
  int rc = vsc_compile_source(&ir, path, fmt, strlen(fmt), &co, diags);
  *out_formatted = fmt;
  if (rc != 0 || vsc_diag_error_count(diags) > 0) {
    if (ir) json_decref(ir);
    return VSC_PROMPT_ECHECK;
  }
  if (out_ir) *out_ir = ir;
  else json_decref(ir);
  return 0;
}

char *vsc_prompt_draft(const char *request, const vsc_prompt_options *o, vsc_prompt_notes *notes,
                       char *err, size_t errlen) {
  vsc_prompt_options def = VSC_PROMPT_OPTIONS_INIT;
  if (!o) o = &def;
  if (!request || !has_substance(request)) {
    fail(err, errlen, VSC_PROMPT_EUSAGE, "the request is empty: say what the video should show");
    return NULL;
  }
  fe_facts f;
  if (fe_rules_read(&f, request, o, notes, err, errlen) != 0) return NULL;
  fe_degrade d = {false, false, false};
  char *text = fe_emit(&f, &d, notes);
  fe_facts_free(&f);
  return text;
}

/* Does any error message of the list contain `what`? */
static bool diag_says(vsc_diag_list *diags, const char *what) {
  json_t *arr = vsc_diag_to_json(diags);
  bool found = false;
  size_t i;
  json_t *d;
  json_array_foreach(arr, i, d) {
    const char *sev = json_string_value(json_object_get(d, "severity"));
    const char *msg = json_string_value(json_object_get(d, "message"));
    if (sev && strcmp(sev, "error") == 0 && msg && strstr(msg, what)) found = true;
  }
  json_decref(arr);
  return found;
}

/* ---- the placement check ------------------------------------------------------------- */

static const char *role_name(int role) {
  switch (role) {
  case FE_VOICE: return "voice";
  case FE_TEXT_TITLE: return "title";
  case FE_TEXT_CAPTION: return "caption";
  case FE_TEXT_END: return "end";
  default: return "text";
  }
}

/* The scene of the first segment node that shows `text`, or NULL if none does. */
static const char *scene_showing(json_t *nodes, const char *text, bool *found) {
  size_t i;
  json_t *n;
  const char *any = NULL;
  *found = false;
  json_array_foreach(nodes, i, n) {
    if (strcmp(json_string_value(json_object_get(n, "op")), "segment") != 0) continue;
    json_t *p = json_object_get(n, "params");
    const char *layers[] = {"a", "b"};
    for (int l = 0; l < 2; l++) {
      size_t k;
      json_t *tx;
      json_array_foreach(json_object_get(json_object_get(p, layers[l]), "texts"), k, tx) {
        const char *s = json_string_value(json_object_get(tx, "text"));
        if (!s || strcmp(s, text) != 0) continue;
        *found = true;
        const char *scene = json_string_value(json_object_get(n, "scene"));
        if (scene) return scene;
        if (!any) any = "";
      }
    }
  }
  return any && *any ? any : NULL;
}

/* Every quoted line the request stated must be in the plan as what it was stated as: a
 * voice line as a tts node, a title as the video's title or on-screen text, the rest as
 * on-screen text. Records where each went (notes->placed) and reports each line the plan
 * does not hold as stated (notes->unplaced). */
static void check_placed(const fe_text *stated, int nstated, json_t *ir, vsc_prompt_notes *notes) {
  if (!notes) return;
  json_t *nodes = json_object_get(ir, "nodes");
  const char *title = json_string_value(json_object_get(json_object_get(ir, "video"), "title"));
  size_t nn = json_array_size(nodes);
  bool *used = calloc(nn ? nn : 1, sizeof *used);
  if (!used) abort();
  json_t *placed = json_array();
  for (int k = 0; k < nstated; k++) {
    const char *text = stated[k].text;
    int role = stated[k].role;
    const char *as = NULL, *scene = NULL;
    /* tts nodes, an unused one first (a line said twice is two nodes unless they merge) */
    int hit = -1;
    for (int pass = 0; pass < 2 && hit < 0; pass++)
      for (size_t i = 0; i < nn && hit < 0; i++) {
        json_t *n = json_array_get(nodes, i);
        if (strcmp(json_string_value(json_object_get(n, "op")), "tts") != 0 || (pass == 0 && used[i])) continue;
        const char *s = json_string_value(json_object_get(json_object_get(n, "params"), "text"));
        if (s && strcmp(s, text) == 0) hit = (int)i;
      }
    bool on_screen;
    const char *shown_in = scene_showing(nodes, text, &on_screen);
    if (role == FE_VOICE && hit >= 0) {
      used[hit] = true;
      as = "voice";
      scene = json_string_value(json_object_get(json_array_get(nodes, (size_t)hit), "scene"));
    } else if (role == FE_TEXT_TITLE && title && strcmp(title, text) == 0) {
      as = "title";
      scene = shown_in;
    } else if (role != FE_VOICE && on_screen) {
      as = "text";
      scene = shown_in;
    } else if (hit >= 0 || on_screen) {
      /* In the plan, but not as stated. */
      as = hit >= 0 ? "voice" : "text";
      scene = hit >= 0 ? json_string_value(json_object_get(json_array_get(nodes, (size_t)hit), "scene")) : shown_in;
      vsc_prompt_notes_unplaced(notes, "the quoted line \"%.80s\" was asked as %s but became %s", text,
                                role == FE_VOICE ? "voice-over" : "on-screen text", hit >= 0 ? "voice-over" : "on-screen text");
    } else {
      vsc_prompt_notes_unplaced(notes, "could not place the quoted line \"%.80s\" (%s): it is not in the script", text,
                                role == FE_VOICE ? "voice-over" : "on-screen text");
    }
    json_array_append_new(placed, json_pack("{s:s, s:s, s:o, s:o}", "text", text, "stated", role_name(role), "placed",
                                            as ? json_string(as) : json_null(), "scene",
                                            scene ? json_string(scene) : json_null()));
  }
  free(used);
  json_decref(notes->placed);
  notes->placed = placed;
}

static void free_stated(fe_text *stated, int n) {
  for (int k = 0; k < n; k++) free(stated[k].text);
  free(stated);
}

/* Moves what `from` noted into `to` (lines, then what could not be placed). */
static void notes_move(vsc_prompt_notes *to, vsc_prompt_notes *from) {
  for (size_t i = 0; i < from->n; i++) {
    bool unplaced = false;
    for (size_t u = 0; u < from->nunplaced; u++)
      if (strcmp(from->unplaced[u], from->lines[i]) == 0) unplaced = true;
    if (unplaced) vsc_prompt_notes_unplaced(to, "%s", from->lines[i]);
    else vsc_prompt_notes_add(to, "%s", from->lines[i]);
  }
  vsc_prompt_notes_free(from);
}

int vsc_prompt_rules(char **out_script, const char *request, const vsc_prompt_options *o,
                     vsc_diag_list *diags, vsc_prompt_notes *notes, char *err, size_t errlen) {
  *out_script = NULL;
  vsc_prompt_options def = VSC_PROMPT_OPTIONS_INIT;
  if (!o) o = &def;
  if (!request || !has_substance(request))
    return fail(err, errlen, VSC_PROMPT_EUSAGE, "the request is empty: say what the video should show");
  const char *path = o->out_path ? o->out_path : "prompt.vscript";
  fe_degrade d = {false, false, false};
  /* Each round reads the request afresh (emit consumes the facts) and applies one more
   * adaptation; there are three, so four rounds at most. */
  for (int round = 0; round < 4; round++) {
    fe_facts f;
    vsc_prompt_notes scratch = {0};
    if (fe_rules_read(&f, request, o, &scratch, err, errlen) != 0) {
      vsc_prompt_notes_free(&scratch);
      return VSC_PROMPT_EINTERNAL;
    }
    bool stated_final = f.quality && strcmp(f.quality, "final") == 0;
    bool generated_music = !f.music_file && (f.music_desc || f.cut);
    char *text = fe_emit(&f, &d, &scratch);
    bool has_video = strstr(text, "shot video") != NULL;
    fe_text *stated = f.stated;
    int nstated = f.nstated;
    f.stated = NULL;
    f.nstated = 0;
    fe_facts_free(&f);
    vsc_diag_list *attempt = vsc_diag_list_new(50);
    char *formatted = NULL;
    json_t *ir = NULL;
    int rc = vsc_prompt_check(&formatted, &ir, path, text, strlen(text), o->cache_dir, attempt);
    if (rc == 0) {
      free(text);
      if (notes) notes_move(notes, &scratch);
      else vsc_prompt_notes_free(&scratch);
      check_placed(stated, nstated, ir, notes);
      json_decref(ir);
      free_stated(stated, nstated);
      vsc_diag_list_free(attempt);
      *out_script = formatted;
      return 0;
    }
    free_stated(stated, nstated);
    vsc_prompt_notes_free(&scratch);
    /* One adaptation per round, cheapest loss first. */
    bool over = diag_says(attempt, "over the budget");
    bool frame = diag_says(attempt, "can make") || diag_says(attempt, "cannot make");
    bool adapted = false;
    if (frame && has_video && !d.stills) {
      d.stills = true;
      vsc_prompt_notes_add(notes, "no video model makes this frame: generated stills are animated instead");
      adapted = true;
    } else if (over && stated_final && !d.draft_tier) {
      d.draft_tier = true;
      vsc_prompt_notes_add(notes, "the final tier does not fit the budget: used the draft tier");
      adapted = true;
    } else if (over && has_video && !d.stills) {
      d.stills = true;
      vsc_prompt_notes_add(notes, "generated video does not fit the budget: animated stills instead");
      adapted = true;
    } else if (over && generated_music && !d.drop_music) {
      d.drop_music = true;
      vsc_prompt_notes_add(notes, "a generated music bed does not fit the budget: left it out");
      adapted = true;
    }
    if (!adapted || round == 3) {
      vsc_diag_list_free(attempt);
      /* Check again into the caller's list: its diagnostics then refer to this text. */
      char *again = NULL;
      vsc_prompt_check(&again, NULL, path, text, strlen(text), o->cache_dir, diags);
      free(again);
      free(text);
      *out_script = formatted;
      return fail(err, errlen, VSC_PROMPT_ECHECK, "the script written for the request does not pass the checker");
    }
    free(formatted);
    free(text);
    vsc_diag_list_free(attempt);
  }
  return fail(err, errlen, VSC_PROMPT_EINTERNAL, "internal error");
}
