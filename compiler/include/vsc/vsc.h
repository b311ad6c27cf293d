/* libvsc_compiler: .vscript text -> diagnostics + plan graph (IR JSON).
 * The CLI and the runtime use only this header. */
#ifndef VSC_H
#define VSC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct json_t json_t;

#define VSC_IR_VERSION 2

/* ---- diagnostics ---------------------------------------------------------- */
typedef enum { VSC_SEV_ERROR,
               VSC_SEV_WARNING,
               VSC_SEV_NOTE } vsc_severity;

/* The stage that produced a diagnostic; also decides the exit code. */
typedef enum { VSC_STAGE_LEX = 2,
               VSC_STAGE_PARSE = 3,
               VSC_STAGE_CHECK = 4 } vsc_stage;

typedef struct vsc_diag_list vsc_diag_list;

vsc_diag_list *vsc_diag_list_new(int max_errors);
void vsc_diag_list_free(vsc_diag_list *list);
int vsc_diag_error_count(const vsc_diag_list *list);
int vsc_diag_warning_count(const vsc_diag_list *list);
/* The earliest stage that reported an error (0 when there are none). */
int vsc_diag_worst_stage(const vsc_diag_list *list);
/* clang-style text: "file:line:col: error: msg", source line, caret, hint. */
void vsc_diag_print(const vsc_diag_list *list, FILE *out, bool color);
/* A new JSON array of {file,line,column,end_line,end_column,source_line,severity,stage,message,hint}. */
json_t *vsc_diag_to_json(const vsc_diag_list *list);

/* ---- compiling ------------------------------------------------------------ */
/* One value for a script's `param` (docs/language.md "Params"): `--param NAME=VALUE`, or a
 * field of a batch row. All strings are borrowed for the compile. */
typedef struct {
  const char *name;  /* the param it sets */
  const char *value; /* its text, decoded (a CSV field without its quotes) */
  /* Where it was written, for diagnostics and relative paths: the text `src_text` (src_len
   * bytes) is line `src_line` on of the file `src_name` ("rows.csv", "--param"), and the
   * value is its bytes [off, off + len). A `file` value is relative to src_name's folder. */
  const char *src_name, *src_text;
  size_t src_len;
  unsigned src_line;
  size_t off, len;
  bool optional; /* a field the script need not declare (a row's other columns) */
  /* A list given item by item (a JSON array: `items` NULL otherwise). Without it, a list
   * param's value is split at '|' (docs/language.md "Lists"). Each item's text is decoded;
   * off/len are its bytes in src_text, like the arg's own. */
  const struct vsc_param_item *items;
  int nitems;
} vsc_param_arg;

typedef struct vsc_param_item {
  const char *value;
  size_t off, len;
} vsc_param_item;

typedef struct {
  int version;           /* VSC_COMPILE_OPTIONS_VERSION */
  const char *cache_dir; /* where analyses and file facts are kept; NULL = "<script dir>/.vsc" */
  bool preview;          /* lower size and faster encoder settings */
  const char *quality;   /* NULL, "draft" or "final": overrides the script */
  /* NULL, or a directory: a user module that resolves outside it (an absolute path, a
   * '..' escape, a symlink out) is refused at the import and never read. For text from
   * an untrusted writer (an LLM) whose diagnostics are sent back to it. */
  const char *import_root;
  /* NULL, or the formats to make, e.g. "9:16" or "16:9,1:1" (`--format`): a subset of the
   * script's `formats`, or (without them) the formats to make of its storyboard. */
  const char *formats;
  /* Values of the script's `param`s (version 3): an unknown name is an error unless the
   * arg is optional; a param without a value takes its default, or is an error. */
  const vsc_param_arg *params;
  int nparams;
} vsc_compile_options;
#define VSC_COMPILE_OPTIONS_VERSION 3
#define VSC_COMPILE_OPTIONS_INIT \
  { VSC_COMPILE_OPTIONS_VERSION, NULL, false, NULL, NULL, NULL, NULL, 0 }

/* Compiles the script at `path`. On success *out_ir is a new IR document (caller
 * json_decref's it) and 0 is returned; on error, diagnostics are in `diags` and -1 is
 * returned. Warnings may be present either way. */
int vsc_compile_file(json_t **out_ir, const char *path, const vsc_compile_options *opts,
                     vsc_diag_list *diags);

/* Same, for text in memory; `name` is used in diagnostics and to resolve relative paths. */
int vsc_compile_source(json_t **out_ir, const char *name, const char *text, size_t len,
                       const vsc_compile_options *opts, vsc_diag_list *diags);

/* ---- formatting and the registry ------------------------------------------ */
/* The canonical text of a script (comments kept), or NULL with diagnostics when it does
 * not parse. Caller frees. */
char *vsc_format(const char *name, const char *text, size_t len, vsc_diag_list *diags);

/* The model registry (std/models plus the models a script declares, if `path` is given)
 * as a new JSON array, or NULL with diagnostics. */
json_t *vsc_models_json(const char *path, vsc_diag_list *diags);

/* The `param`s the script at `path` declares, as a new JSON array of {name, type, list,
 * required}, in the order written, or NULL with diagnostics when it does not load. */
json_t *vsc_params_json(const char *path, vsc_diag_list *diags);

/* ---- the IR --------------------------------------------------------------- */
/* Canonical text of an IR document (sorted keys, 2-space indent, trailing newline).
 * Returns a new malloc'd string. */
char *vsc_ir_dump(const json_t *ir);

/* Validates an IR document read from anywhere: structure, types, topological order and
 * every node id. On error writes "$.json.path: message" into err and returns -1. */
int vsc_ir_validate(const json_t *ir, char *err, size_t errlen);

/* The id a node must have: SHA-256 over {"inputs","model","op","params"}, hex into out[65]. */
void vsc_ir_node_id(const json_t *node, char out[65]);

/* The IR's JSON Schema (a new reference). */
json_t *vsc_ir_schema(void);

#endif
