/* Shared helpers of the vsc command-line front end. */
#ifndef VSC_CLI_H
#define VSC_CLI_H

/* Exit codes (documented in docs/cli.md). */
enum {
  VSC_EXIT_OK = 0,
  VSC_EXIT_USAGE = 1,
  VSC_EXIT_LEX = 2,
  VSC_EXIT_PARSE = 3,
  VSC_EXIT_CHECK = 4,
  VSC_EXIT_RUNTIME = 5,
  VSC_EXIT_PARTIAL = 6, /* build finished, but some scenes were degraded */
  VSC_EXIT_BUDGET = 7,  /* stopped: the budget would have been exceeded */
  VSC_EXIT_INTERNAL = 255,
};

#define VSC_CMD(name, fn, summary, usage) int fn(int argc, char **argv);
#include "commands.def"
#undef VSC_CMD

/* Prints "usage: ..." for the command to stderr and returns VSC_EXIT_USAGE. */
int cli_usage(const char *command);

#include <stdbool.h>
#include <stdio.h>
#include "vsc/vsc.h"

/* Colour only on a terminal and when NO_COLOR is unset. */
bool cli_color(FILE *f);
/* Prints diagnostics (text to stderr, or JSON to stdout); returns the exit code they imply. */
int cli_report(vsc_diag_list *diags, bool json);
/* Compiles a script, printing diagnostics; returns an exit code (0 = *ir is set). */
int cli_compile(json_t **ir, const char *path, bool json, int max_errors, const vsc_compile_options *opts);
/* Consumes `--param NAME=VALUE` (repeatable) into the command line's params (params.c):
 * 0 taken, 1 not ours, -1 bad (said on stderr). */
int cli_param_arg(int argc, char **argv, int *i);
/* Gives opts the command line's params when it names none (cli_compile calls it). */
void cli_params_apply(vsc_compile_options *opts);
/* Writes a file atomically (temp + fsync + rename; nothing at the temp name is followed). */
/* The `vsc plan` deliver line (cli/deliver_line.c): encoding, loudness and size of the
** deliverable, from the IR's video.deliver (or the default encode). Writes into buf. */
void cli_deliver_line(const json_t *ir, char *buf, size_t size);
int cli_write_file(const char *path, const char *text, size_t len);

/* ---- the render's destination (output.c; docs/cli.md "Output") ---- */
#include <limits.h>
#include <sys/stat.h>
#include <sys/types.h>

typedef enum {
  CLI_OUT_FILE,   /* a regular file: replaced atomically, manifest OUT.json beside it */
  CLI_OUT_STREAM, /* a character device or FIFO: opened and streamed into, no manifest */
  CLI_OUT_STDOUT, /* "-": streamed to stdout, no manifest */
} cli_out_kind;

typedef struct {
  cli_out_kind kind;
  char shown[PATH_MAX];        /* as the user named it (for messages and the manifest) */
  char path[PATH_MAX];         /* what is written (a symlink named by the user resolved) */
  char manifest[PATH_MAX + 8]; /* FILE: path + ".json" */
  char dir[PATH_MAX];          /* FILE: the directory of path */
  char cache_real[PATH_MAX];   /* resolved cache directory: never written into */
  char cache_dir[PATH_MAX];    /* the cache directory as named */
  bool force;
  bool have_input;
  dev_t input_dev; /* the input (script or plan): never written */
  ino_t input_ino;
  int fd;                 /* STDOUT: the real stdout (fd 1 is stderr meanwhile) */
  bool cleared;           /* FILE: an existing target was allowed before the run ... */
  struct stat cleared_st; /* ... as it was then (a change meanwhile is checked again) */
} cli_output;

/* Checks, before anything runs, that `path` may receive the video: not the input, not in
 * the cache, not a user's file (unless force), its directory writable with room for a
 * temp file. Prints the error and returns an exit code (VSC_EXIT_USAGE for a refused
 * target, VSC_EXIT_RUNTIME for an unusable place), or VSC_EXIT_OK. */
int cli_output_prepare(cli_output *o, const char *path, bool force, const char *input, const char *cache_dir);
/* Places a sidecar the run staged (captions: `ext` "srt", "vtt") beside a placed video,
 * OUT.mp4 -> OUT.<ext>, by the same atomic rules. 0, or -1 with err (nothing written). */
int cli_output_sidecar(cli_output *o, const char *staged, const char *ext, char *err, size_t errlen);
/* A staging path in the cache's tmp/ for the run to export to (the run writes the video
 * and its manifest there; cli_output_commit then puts them in place). */
void cli_output_stage(const cli_output *o, const char *cache_dir, char *out, size_t len);
/* Puts the output object `obj` in place and (for a file) the manifest, made from the run's
 * staged manifest plus output_size and output_sha256. 0, or -1 with err. */
int cli_output_commit(cli_output *o, const char *obj, const char *staged_manifest, char *err, size_t errlen);
void cli_output_close(cli_output *o);
/* The real path of `path`, which need not exist: its deepest existing ancestor resolved
 * (symlinks included), the rest appended. 0, or -1. */
int cli_resolve_loose(const char *path, char out[PATH_MAX]);
/* Whether a resolved path lies under a directory named .vsc (some project's cache). */
bool cli_under_dot_vsc(const char *real);
/* Whether the resolved path `child` is `parent` or below it. */
bool cli_path_inside(const char *child, const char *parent);

/* Consumes `--format R[,R…]` (repeatable) into *formats (a static list): 0 taken, 1 not
 * ours, -1 bad (formats.c). */
int cli_format_arg(const char **formats, int argc, char **argv, int *i);
/* Whether the IR makes several deliverables with their own names (formats[].suffix). */
bool cli_formats_named(const json_t *ir);
/* The review aids (--scene, --range, --sheet) take one format: an IR of several is refused
 * (usage, naming --format), one picked with --format becomes a video of its own. */
int cli_formats_one(json_t *ir);
/* OUTPUT with a format's suffix before its extension: out/ad.mp4 -> out/ad.9x16.mp4. */
void cli_format_path(const char *output, const char *suffix, char *out, size_t len);

#endif
