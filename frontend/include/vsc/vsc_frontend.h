/*
** vsc_frontend.h — from a request in plain words to a checked .vscript (docs/prompt.md).
**
** Two front-ends produce the same thing, a script that vsc_format made canonical and that
** vsc_compile_source accepted:
**   - the rule-based prompt parser (offline, deterministic, no network), and
**   - the LLM front-end (an OpenAI-compatible chat endpoint or a Replicate-hosted language
**     model over libcurl), with a check-and-repair loop.
**
** Errors: functions that can fail return 0 or a negative VSC_PROMPT_E* code and write one
** lower-case line into `err` (errlen bytes). Ownership is stated per function.
*/
#ifndef VSC_FRONTEND_H
#define VSC_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>

#include "vsc/vsc.h"

typedef struct json_t json_t;

enum {
  VSC_PROMPT_OK = 0,
  VSC_PROMPT_EUSAGE = -1,  /* nothing usable in the request (empty, only punctuation) */
  VSC_PROMPT_ECHECK = -2,  /* the script did not pass the checker: see the diagnostics */
  VSC_PROMPT_ENET = -3,    /* the chat endpoint could not be reached or kept failing */
  VSC_PROMPT_EAUTH = -4,   /* the chat endpoint refused the credentials */
  VSC_PROMPT_ECONFIG = -5, /* missing or bad configuration (model, token, URL) */
  VSC_PROMPT_EINTERNAL = -6,
};

/* ---- notes: what the front-end assumed, changed or could not place, for the user ------ */
/* A growable list of lines ("no length stated: 30 s from preset ad30"). Start from {0}.
 * Nothing the request states is dropped silently: what the script does not hold is in
 * `unplaced` as well as in `lines`. */
typedef struct {
  char **lines; /* owned */
  size_t n, cap;
  char **unplaced; /* owned: one line per stated fact the script does not hold */
  size_t nunplaced, ucap;
  json_t *placed; /* owned, or NULL: where each quoted line of the request went, an array
                       of {"text", "stated": "voice"|"title"|"caption"|"end"|"text",
                       "placed": "voice"|"text"|"title"|null, "scene": name|null} */
} vsc_prompt_notes;

void vsc_prompt_notes_add(vsc_prompt_notes *notes, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Adds a line to both `lines` and `unplaced`. */
void vsc_prompt_notes_unplaced(vsc_prompt_notes *notes, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void vsc_prompt_notes_free(vsc_prompt_notes *notes);

/* ---- the rule-based parser ------------------------------------------------------------ */
typedef struct {
  int version;           /* VSC_PROMPT_OPTIONS_VERSION */
  const char *out_path;  /* where the script will be written: relative paths in it (the
                              music file) are made relative to its directory, and the
                              checker resolves them there. NULL = "prompt.vscript" */
  const char *music;     /* --music FILE, as named from the current directory, or NULL */
  double budget;         /* --budget in dollars (wins over the request); < 0 = none */
  const char *cache_dir; /* audio analysis cache for the checker; NULL = next to out_path */
} vsc_prompt_options;
#define VSC_PROMPT_OPTIONS_VERSION 1
#define VSC_PROMPT_OPTIONS_INIT \
  { VSC_PROMPT_OPTIONS_VERSION, NULL, NULL, -1.0, NULL }

/* The longest request read; the rest is ignored (with a note). */
#define VSC_PROMPT_MAX_REQUEST (16 * 1024)
/* At most this many scenes are kept from a list (with a note). */
#define VSC_PROMPT_MAX_SCENES 24

/* Turns `request` into a script: extracts the facts it states, writes .vscript text for
 * them, formats and checks it, and adapts what the checker rejects (a premium tier or
 * generated video that the budget cannot pay for, frames no video model can make), noting
 * every change. On success *out_script is the canonical text (caller frees) and 0 is
 * returned. VSC_PROMPT_EUSAGE: nothing to work from. VSC_PROMPT_ECHECK: `diags` holds the
 * checker's verdict on the last attempt, *out_script that attempt (caller frees; may be
 * NULL if it did not parse). `notes` (may be NULL) receives assumptions and changes. */
int vsc_prompt_rules(char **out_script, const char *request, const vsc_prompt_options *o,
                     vsc_diag_list *diags, vsc_prompt_notes *notes, char *err, size_t errlen);

/* The first step alone: the .vscript text the rules write for `request`, unformatted and
 * unchecked (caller frees), or NULL with err. For tests and `vsc prompt --raw`. */
char *vsc_prompt_draft(const char *request, const vsc_prompt_options *o,
                       vsc_prompt_notes *notes, char *err, size_t errlen);

/* Formats `text` and compiles it under the name `path` (relative paths resolve next to it;
 * a module import that resolves outside path's folder is refused unread).
 * On success *out_formatted is the canonical text (caller frees), *out_ir (if not NULL) the
 * IR (caller decrefs), and 0 is returned. Otherwise VSC_PROMPT_ECHECK with `diags` filled;
 * *out_formatted is then the formatted text if it parsed, else NULL. */
int vsc_prompt_check(char **out_formatted, json_t **out_ir, const char *path, const char *text,
                     size_t len, const char *cache_dir, vsc_diag_list *diags);

/* ---- the LLM front-end ---------------------------------------------------------------- */
typedef struct {
  int version;             /* VSC_LLM_OPTIONS_VERSION */
  const char *provider;    /* "openai" (any OpenAI-compatible chat completions API) or
                               "replicate"; NULL = $VSC_LLM_PROVIDER or "openai" */
  const char *base_url;    /* NULL = $VSC_LLM_BASE_URL, $REPLICATE_API_BASE for replicate,
                               or the provider's public API */
  const char *model;       /* NULL = $VSC_LLM_MODEL (required) */
  const char *api_key;     /* NULL = $VSC_LLM_API_KEY (or $REPLICATE_API_TOKEN for
                               replicate). Sent only in the Authorization header; never
                               printed, logged or written. */
  int max_repairs;         /* repair rounds after the first reply (default 3) */
  int max_attempts;        /* tries of one request on timeouts, 429 and 5xx (default 4) */
  double timeout;          /* seconds for one HTTP exchange (default $VSC_LLM_TIMEOUT or 120) */
  double backoff;          /* first retry delay in seconds, doubled each time, with jitter
                               (default $VSC_LLM_BACKOFF or 1); Retry-After wins */
  double price_in;         /* dollars per 1M input tokens ($VSC_LLM_PRICE_IN, default 0) */
  double price_out;        /* dollars per 1M output tokens ($VSC_LLM_PRICE_OUT, default 0) */
  const char *journal_dir; /* where journal.jsonl records the calls' cost (the `.vsc/` next
                               to the output script); NULL = not recorded */
  const char *out_path;    /* the name diagnostics and relative paths use */
  const char *cache_dir;   /* audio analysis cache for the checker; NULL = default */
  bool verbose;            /* progress lines on stderr (never a secret) */
  /* Called with true before and false after each use of the compiler (the system prompt,
   * each check): a server whose threads share one compiler lock holds it only then, never
   * while the chat model answers. NULL = not called. */
  void (*compiler_lock)(void *ud, bool lock);
  void *compiler_lock_ud;
} vsc_llm_options;
#define VSC_LLM_OPTIONS_VERSION 1
#define VSC_LLM_OPTIONS_INIT \
  { VSC_LLM_OPTIONS_VERSION, NULL, NULL, NULL, NULL, 3, 4, 0, 0, -1, -1, NULL, NULL, NULL, false, NULL, NULL }

/* What the LLM front-end did. */
typedef struct {
  int requests;      /* HTTP requests sent (retries included) */
  int replies;       /* replies received and checked */
  int repairs;       /* repair rounds asked for */
  int retries;       /* requests repeated after a timeout, 429 or 5xx */
  long input_tokens; /* summed over every reply */
  long output_tokens;
  double cost; /* dollars: tokens × the configured prices */
} vsc_llm_stats;

/* Asks the chat model for a script for `request`, checks each reply and sends the JSON
 * diagnostics back for a repair, at most o->max_repairs times. On success *out_script is
 * the canonical, checked text (caller frees). VSC_PROMPT_ECHECK: every reply failed; the
 * last one's diagnostics are in `diags` and its text in *out_script (caller frees; may be
 * NULL). Other errors leave *out_script NULL. `stats` may be NULL. */
int vsc_llm_generate(char **out_script, const char *request, const vsc_llm_options *o,
                     vsc_diag_list *diags, vsc_llm_stats *stats, char *err, size_t errlen);

/* The system prompt: the language reference, the model registry and styles, one example
 * and the rules of the reply. Caller frees. */
char *vsc_llm_system_prompt(void);

/* The script inside a model's reply: the body of a ```vscript (or the first ``` block that
 * holds a `video`), else the span from the first line that starts a script to the last
 * closing brace, else the whole reply trimmed. Caller frees. */
char *vsc_llm_extract_script(const char *reply);

#endif
