/*
** vsc prompt "TEXT": write a .vscript from a request in plain words (docs/prompt.md).
** Offline rules by default, a chat model with --llm. The script is always formatted and
** checked before it is written; --build goes on to render it.
*/
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "vsc/vsc.h"
#include "vsc/vsc_frontend.h"

/* "$5", "5", "4.50": dollars, or -1. */
static double parse_money(const char *s) {
  if (*s == '$') s++;
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end || v < 0) return -1;
  return v;
}

static char *read_stdin(void) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  if (!buf) return NULL;
  size_t k;
  while ((k = fread(buf + n, 1, cap - n - 1, stdin)) > 0) {
    n += k;
    if (n + 1 == cap) {
      char *b = realloc(buf, cap * 2);
      if (!b) break;
      buf = b;
      cap *= 2;
    }
  }
  buf[n] = 0;
  return buf;
}

/* The directory of the output script's cache (.vsc next to it). */
static void cache_dir_of(const char *out, char *dir, size_t len) {
  const char *slash = strrchr(out, '/');
  if (slash) snprintf(dir, len, "%.*s/.vsc", (int)(slash - out), out);
  else snprintf(dir, len, ".vsc");
}

/* Prints a --json report on stdout and frees it. */
static void print_report(json_t *report) {
  char *s = json_dumps(report, JSON_INDENT(2) | JSON_SORT_KEYS);
  if (s) printf("%s\n", s);
  free(s);
  json_decref(report);
}

int cmd_prompt(int argc, char **argv) {
  const char *out = NULL, *music = NULL;
  double budget = -1;
  bool build = false, llm = false, quiet = false, as_json = false;
  int max_repairs = 3;
  bool only_text = false; /* after "--", every argument is the request */
  char *text = NULL;
  size_t tlen = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool opt = !only_text && a[0] == '-' && a[1];
    if (opt && strcmp(a, "-o") == 0 && i + 1 < argc) {
      out = argv[++i];
    } else if (opt && strcmp(a, "--music") == 0 && i + 1 < argc) {
      music = argv[++i];
    } else if (opt && strcmp(a, "--budget") == 0 && i + 1 < argc) {
      budget = parse_money(argv[++i]);
      if (budget < 0) {
        fprintf(stderr, "vsc prompt: --budget wants dollars, like $5 or 4.50\n");
        free(text);
        return VSC_EXIT_USAGE;
      }
    } else if (opt && strcmp(a, "--max-repairs") == 0 && i + 1 < argc) {
      char *end;
      long v = strtol(argv[++i], &end, 10);
      if (*end || v < 0 || v > 20) {
        free(text);
        return cli_usage("prompt");
      }
      max_repairs = (int)v;
    } else if (opt && strcmp(a, "--build") == 0) {
      build = true;
    } else if (opt && strcmp(a, "--llm") == 0) {
      llm = true;
    } else if (opt && strcmp(a, "--json") == 0) {
      as_json = true;
    } else if (opt && (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0)) {
      quiet = true;
    } else if (opt && strcmp(a, "--") == 0) {
      only_text = true;
    } else if (opt) {
      free(text);
      return cli_usage("prompt");
    } else {
      /* The request: "-" reads stdin; several words are joined with spaces. */
      char *part = strcmp(a, "-") == 0 && !only_text ? read_stdin() : strdup(a);
      if (!part) {
        free(text);
        return VSC_EXIT_INTERNAL;
      }
      size_t pl = strlen(part);
      char *t = realloc(text, tlen + pl + 2);
      if (!t) {
        free(part);
        free(text);
        return VSC_EXIT_INTERNAL;
      }
      text = t;
      if (tlen) text[tlen++] = ' ';
      memcpy(text + tlen, part, pl + 1);
      tlen += pl;
      free(part);
    }
  }
  if (!text) return cli_usage("prompt");
  if (build && !out) out = "prompt.vscript";
  if (out) {
    /* Fail before any paid call if the script cannot be written there. */
    char dir[PATH_MAX];
    const char *slash = strrchr(out, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - out) : 1, slash ? out : ".");
    struct stat sb;
    if (!dir[0]) snprintf(dir, sizeof dir, "/");
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
      fprintf(stderr, "vsc prompt: %s: no such directory\n", dir);
      free(text);
      return VSC_EXIT_USAGE;
    }
  }
  const char *name = out ? out : "prompt.vscript";

  char err[1024] = "";
  char *script = NULL;
  vsc_diag_list *diags = vsc_diag_list_new(20);
  vsc_prompt_notes notes = {0};
  int rc;
  char cache[PATH_MAX];
  cache_dir_of(name, cache, sizeof cache);
  if (llm) {
    vsc_llm_options lo = VSC_LLM_OPTIONS_INIT;
    lo.max_repairs = max_repairs;
    lo.out_path = name;
    lo.journal_dir = cache;
    lo.verbose = !quiet;
    vsc_llm_stats st;
    rc = vsc_llm_generate(&script, text, &lo, diags, &st, err, sizeof err);
    if (!quiet && st.replies > 0)
      fprintf(stderr, "vsc prompt: %d repl%s, %d repair(s), %d retr%s, %ld+%ld tokens, $%.4f\n", st.replies,
              st.replies == 1 ? "y" : "ies", st.repairs, st.retries, st.retries == 1 ? "y" : "ies", st.input_tokens,
              st.output_tokens, st.cost);
    if (rc == 0 && music)
      fprintf(stderr, "vsc prompt: note: --music is for the rule-based parser; say the file in the request for --llm\n");
  } else {
    vsc_prompt_options po = VSC_PROMPT_OPTIONS_INIT;
    po.out_path = name;
    po.music = music;
    po.budget = budget;
    rc = vsc_prompt_rules(&script, text, &po, diags, &notes, err, sizeof err);
  }
  if (!quiet)
    for (size_t i = 0; i < notes.n; i++) fprintf(stderr, "vsc prompt: note: %s\n", notes.lines[i]);
  free(text);
  /* --json: what was written, the notes, what could not be placed and where each quoted
   * line went, as one object on stdout (the script goes to -o, or into "script_text"). */
  json_t *report = NULL;
  if (as_json) {
    json_t *jn = json_array(), *ju = json_array();
    for (size_t i = 0; i < notes.n; i++) json_array_append_new(jn, json_string(notes.lines[i]));
    for (size_t i = 0; i < notes.nunplaced; i++) json_array_append_new(ju, json_string(notes.unplaced[i]));
    report = json_pack("{s:b, s:o, s:o, s:O}", "ok", rc == 0, "notes", jn, "unplaced", ju, "placed",
                       notes.placed ? notes.placed : json_null());
    if (rc != 0) {
      json_object_set_new(report, "error", json_string(err));
      json_object_set_new(report, "diagnostics", vsc_diag_to_json(diags));
    }
  }
  vsc_prompt_notes_free(&notes);

  int exit_code = VSC_EXIT_OK;
  if (rc == VSC_PROMPT_ECHECK) {
    vsc_diag_print(diags, stderr, cli_color(stderr));
    fprintf(stderr, "vsc prompt: %s\n", err);
    int stage = vsc_diag_worst_stage(diags);
    exit_code = stage ? stage : VSC_EXIT_CHECK;
  } else if (rc == VSC_PROMPT_EUSAGE) {
    fprintf(stderr, "vsc prompt: %s\n", err);
    cli_usage("prompt");
    exit_code = VSC_EXIT_USAGE;
  } else if (rc != 0) {
    fprintf(stderr, "vsc prompt: %s\n", err);
    exit_code = rc == VSC_PROMPT_ECONFIG ? VSC_EXIT_USAGE : VSC_EXIT_RUNTIME;
  }
  vsc_diag_list_free(diags);
  if (exit_code != VSC_EXIT_OK) {
    if (report) print_report(report);
    free(script);
    return exit_code;
  }
  if (out) {
    if (cli_write_file(out, script, strlen(script)) != 0) {
      fprintf(stderr, "vsc prompt: cannot write %s\n", out);
      json_decref(report);
      free(script);
      return VSC_EXIT_RUNTIME;
    }
    if (!quiet) fprintf(stderr, "vsc prompt: wrote %s\n", out);
    if (report) json_object_set_new(report, "script", json_string(out));
  } else if (report) {
    json_object_set_new(report, "script", json_null());
    json_object_set_new(report, "script_text", json_string(script));
  } else {
    fputs(script, stdout);
  }
  if (report) print_report(report);
  free(script);
  if (build) {
    char *bargv[] = {(char *)"build", (char *)out, NULL};
    return cmd_build(2, bargv);
  }
  return VSC_EXIT_OK;
}
