/*
** vsc run plan.json: execute an IR made by anything (the compiler, an LLM front-end).
** Also the run options and executor table that `vsc build` shares (cli_run_ir).
*/
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_run.h"
#include "vsc/vsc.h"
#include "vsc/vsc_compositor.h"
#include "vsc/vsc_local.h"
#include "vsc/vsc_rcache.h"
#include "vsc/vsc_speech.h"
#include "vsc/vsc_runtime.h"

/* The ops the CLI can execute: the op table's executor column (the compositor and the
 * local provider; the asset op is the scheduler's own). Remote generate/tts go through the
 * provider chosen at run time instead. */
static const vsc_executor executors[] = {
#define VSC_OP(name, kind, output, ext, executor, params) {#name, executor},
#include "vsc/vsc_ops.def"
#undef VSC_OP
};

static int open_remote(vsc_provider **out, const char *name, const vsc_provider_options *o,
                       vsc_op_error *err) {
  if (strcmp(name, "replicate") == 0) return vsc_replicate_provider_new(out, o, err);
  if (strcmp(name, "test") == 0) return vsc_provider_test_new(out, o, err);
  return vsc_op_fail(err, VSC_FAIL_INPUT, "unknown provider '%s' (local, replicate, test)", name);
}

static vsc_progress_mode progress_mode;

static void comp_warning(void *ud, const char *msg) {
  (void)ud;
  if (progress_mode == VSC_PROGRESS_JSON) {
    json_t *ev = json_pack("{s:s, s:s}", "event", "warning", "msg", msg);
    char *text = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
    if (text) fprintf(stderr, "%s\n", text);
    free(text);
    json_decref(ev);
  } else if (progress_mode != VSC_PROGRESS_QUIET) {
    fprintf(stderr, "warning: %s\n", msg);
  }
}

int cli_run_parse(cli_run_args *a, int argc, char **argv, int *i) {
  const char *arg = argv[*i];
  const char *next = *i + 1 < argc ? argv[*i + 1] : NULL;
  if (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0) {
    if (!next) return -1;
    a->output = next;
  } else if (strcmp(arg, "--jobs") == 0 || strcmp(arg, "-j") == 0) {
    if (!next || atoi(next) < 1) return -1;
    a->jobs = atoi(next);
  } else if (strcmp(arg, "--remote-jobs") == 0) {
    if (!next || atoi(next) < 1) return -1;
    a->remote_jobs = atoi(next);
  } else if (strcmp(arg, "--cache") == 0) {
    if (!next) return -1;
    a->cache = next;
  } else if (strcmp(arg, "--provider") == 0) {
    if (!next || (strcmp(next, "local") && strcmp(next, "replicate") && strcmp(next, "auto") &&
                  strcmp(next, "test")))
      return -1;
    a->provider = next;
  } else if (strcmp(arg, "--progress") == 0) {
    if (!next) return -1;
    if (strcmp(next, "auto") == 0) a->progress = VSC_PROGRESS_AUTO;
    else if (strcmp(next, "plain") == 0) a->progress = VSC_PROGRESS_PLAIN;
    else if (strcmp(next, "json") == 0) a->progress = VSC_PROGRESS_JSON;
    else if (strcmp(next, "quiet") == 0) a->progress = VSC_PROGRESS_QUIET;
    else return -1;
  } else if (strcmp(arg, "--cancel-on-interrupt") == 0) {
    a->cancel_on_interrupt = true;
    return 0;
  } else if (strcmp(arg, "--force") == 0) {
    a->force = true;
    return 0;
  } else if (strcmp(arg, "--remote-cache") == 0) {
    char err[600];
    vsc_rcache *rc = NULL;
    if (!next) return -1;
    if (vsc_rcache_open(&rc, next, err, sizeof err) != 0) {
      fprintf(stderr, "vsc: --remote-cache: %s\n", err);
      return -1;
    }
    vsc_rcache_close(rc);
    a->remote_cache = next;
  } else if (strcmp(arg, "--no-remote-cache") == 0) {
    a->no_remote_cache = true;
    return 0;
  } else {
    return 1; /* not a run option */
  }
  (*i)++;
  return 0;
}

/* The directory part of `path` ("." when none). */
static void dir_of(const char *path, char *out, size_t len) {
  const char *slash = strrchr(path, '/');
  if (!slash) snprintf(out, len, ".");
  else if (slash == path) snprintf(out, len, "/");
  else snprintf(out, len, "%.*s", (int)(slash - path), path);
}

void cli_default_output(const char *input, char *out, size_t len) {
  char dir[PATH_MAX];
  dir_of(input, dir, sizeof dir);
  const char *base = strrchr(input, '/');
  base = base ? base + 1 : input;
  const char *dot = strrchr(base, '.');
  int stem = dot && dot != base ? (int)(dot - base) : (int)strlen(base);
  snprintf(out, len, "%s/%.*s.mp4", dir, stem, base);
}

/* The staged path of sidecar `key` (the run writes STAGED.mp4's sidecars as STAGED.<key>). */
static void staged_sidecar(const char *staged, const char *key, char *out, size_t len) {
  const char *dot = strrchr(staged, '.'), *slash = strrchr(staged, '/');
  int stem = dot && (!slash || dot > slash) ? (int)(dot - staged) : (int)strlen(staged);
  snprintf(out, len, "%.*s.%s", stem, staged, key);
}

/* Every output of the IR besides the video (caption sidecars) goes beside the video. */
static void place_sidecars(const json_t *ir, cli_output *out, const char *staged) {
  const char *key;
  json_t *v;
  json_object_foreach(json_object_get(ir, "outputs"), key, v) {
    char side[PATH_MAX + 80], err[1024];
    if (!strcmp(key, "video")) continue;
    staged_sidecar(staged, key, side, sizeof side);
    if (access(side, F_OK) == 0 && cli_output_sidecar(out, side, key, err, sizeof err) != 0)
      fprintf(stderr, "vsc: %s\n", err);
  }
}

static void unlink_sidecars(const json_t *ir, const char *staged) {
  const char *key;
  json_t *v;
  json_object_foreach(json_object_get(ir, "outputs"), key, v) {
    char side[PATH_MAX + 80];
    staged_sidecar(staged, key, side, sizeof side);
    if (strcmp(key, "video")) unlink(side);
  }
}

int cli_run_ir(const json_t *ir, const cli_run_args *a, const char *cache_dir, const char *base_dir,
               cli_output *out) {
  /* The run exports into the cache's tmp/; the video reaches its place only at the end,
   * by the rules of output.c. */
  char staged[PATH_MAX + 64], staged_manifest[PATH_MAX + 80];
  /* The shared cache: --remote-cache, else $VSC_REMOTE_CACHE (how a batch passes it on). */
  const char *remote_cache = a->no_remote_cache ? NULL : a->remote_cache ? a->remote_cache
                                                                         : getenv("VSC_REMOTE_CACHE");
  if (remote_cache && *remote_cache && !a->remote_cache) {
    char rerr[600];
    vsc_rcache *rc = NULL;
    if (vsc_rcache_open(&rc, remote_cache, rerr, sizeof rerr) != 0) {
      fprintf(stderr, "vsc: VSC_REMOTE_CACHE: %s\n", rerr);
      cli_output_close(out);
      return VSC_EXIT_USAGE;
    }
    vsc_rcache_close(rc);
  }
  cli_output_stage(out, cache_dir, staged, sizeof staged);
  snprintf(staged_manifest, sizeof staged_manifest, "%s.json", staged);
  vsc_run_options o = VSC_RUN_OPTIONS_INIT;
  o.cache_dir = cache_dir;
  o.base_dir = base_dir;
  o.jobs = a->jobs;
  o.remote_jobs = a->remote_jobs;
  o.provider = a->provider;
  o.open_remote = open_remote;
  o.executors = executors;
  o.nexecutors = sizeof executors / sizeof executors[0];
  o.card = vsc_local_generate;
  o.split = vsc_comp_segment_split;
  o.join = vsc_comp_concat;
  o.output = staged;
  o.remote_cache = remote_cache && *remote_cache ? remote_cache : NULL;
  if (a->budget >= 0) o.budget_override = a->budget;
  o.shared_cache = a->shared_cache;
  o.progress = a->progress;
  o.cancel_on_interrupt = a->cancel_on_interrupt;
  progress_mode = a->progress == VSC_PROGRESS_AUTO
                    ? (isatty(STDERR_FILENO) ? VSC_PROGRESS_TTY : VSC_PROGRESS_PLAIN)
                    : a->progress;
  vsc_comp_set_warning_handler(comp_warning, NULL);
  /* A clip's last picture is kept in the cache for later builds (compositor.md). */
  char frames[PATH_MAX + 16];
  snprintf(frames, sizeof frames, "%s/frames", cache_dir);
  vsc_comp_set_frame_dir(frames);
  /* Speech is synthesised in forked children: start their server while we are still
   * single-threaded (the scheduler's threads come next). */
  size_t ni;
  json_t *node;
  json_array_foreach(json_object_get(ir, "nodes"), ni, node) {
    if (strcmp(json_string_value(json_object_get(node, "op")), "tts") == 0) {
      vsc_speech_prepare();
      break;
    }
  }
  vsc_run_install_signals();
  vsc_run_result res;
  char err[1024];
  int ran = vsc_run(ir, &o, &res, err, sizeof err);
  vsc_comp_release_decoders(); /* the run's segments are done: no later one continues them */
  if (ran == 0 && a->spent) *a->spent += res.spent;
  if (ran == 0) {
    char target[PATH_MAX];
    cli_build_target(out->kind == CLI_OUT_STDOUT ? "-" : out->path, target);
    cli_record_build(ir, a->provider, cache_dir, target, res.status);
  }
  bool placed = false;
  if (ran == 0 && (res.status == VSC_RUN_OK || res.status == VSC_RUN_PARTIAL) && res.output_object[0]) {
    char perr[1024] = "";
    if (cli_output_commit(out, res.output_object, staged_manifest, perr, sizeof perr) == 0) {
      placed = true;
      place_sidecars(ir, out, staged);
    } else {
      fprintf(stderr, "vsc: %s (the video is in the cache: %s)\n", perr, res.output_object);
      res.status = VSC_RUN_FAILED;
    }
  }
  unlink(staged);
  unlink(staged_manifest);
  unlink_sidecars(ir, staged);
  cli_output_close(out);
  if (ran != 0) {
    fprintf(stderr, "vsc: %s\n", err);
    return VSC_EXIT_RUNTIME;
  }
  if (placed && progress_mode != VSC_PROGRESS_JSON && progress_mode != VSC_PROGRESS_QUIET)
    fprintf(stderr, "wrote %s (%s)\n", out->shown, res.status == VSC_RUN_OK ? "complete" : "partial: see the report above");
  switch (res.status) {
  case VSC_RUN_OK: return VSC_EXIT_OK;
  case VSC_RUN_PARTIAL: return VSC_EXIT_PARTIAL;
  case VSC_RUN_BUDGET: return VSC_EXIT_BUDGET;
  case VSC_RUN_INTERRUPTED: return VSC_EXIT_INTERRUPTED;
  case VSC_RUN_AUTH:
  case VSC_RUN_UNSAFE:
  case VSC_RUN_RATE:
  case VSC_RUN_FAILED: return VSC_EXIT_RUNTIME;
  }
  return VSC_EXIT_INTERNAL;
}

int cmd_run(int argc, char **argv) {
  cli_run_args a = CLI_RUN_ARGS_INIT;
  const char *plan_path = NULL, *root_opt = NULL;
  for (int i = 1; i < argc; i++) {
    int rc = cli_run_parse(&a, argc, argv, &i);
    if (rc < 0) return cli_usage("run");
    if (rc == 0) continue;
    if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
      root_opt = argv[++i];
      continue;
    }
    if (argv[i][0] == '-' || plan_path) return cli_usage("run");
    plan_path = argv[i];
  }
  if (!plan_path) return cli_usage("run");
  json_error_t je;
  json_t *ir = json_load_file(plan_path, 0, &je);
  if (!ir) {
    fprintf(stderr, "%s:%d:%d: error: %s\n", plan_path, je.line, je.column, je.text);
    return VSC_EXIT_CHECK;
  }
  char verr[1024];
  if (vsc_ir_validate(ir, verr, sizeof verr) != 0) {
    fprintf(stderr, "%s: %s\n", plan_path, verr);
    json_decref(ir);
    return VSC_EXIT_CHECK;
  }
  /* A plan may come from anywhere: it reads and writes only inside the project root (the
   * current directory, or --root). Like `vsc build`, the cache lives at <IR root>/.vsc. */
  char base[PATH_MAX];
  if (!realpath(root_opt ? root_opt : ".", base)) {
    fprintf(stderr, "vsc: --root %s: %s\n", root_opt ? root_opt : ".", strerror(errno));
    json_decref(ir);
    return VSC_EXIT_USAGE;
  }
  char cache[PATH_MAX], out[PATH_MAX];
  const char *root = json_string_value(json_object_get(ir, "root"));
  if (!root || !*root) root = ".";
  if (a.cache) snprintf(cache, sizeof cache, "%s", a.cache);
  else if (root[0] == '/') snprintf(cache, sizeof cache, "%.2000s/.vsc", root);
  else snprintf(cache, sizeof cache, "%.2000s/%.2000s/.vsc", base, root);
  int rc = cli_confine_ir(ir, plan_path, base, cache);
  if (rc != VSC_EXIT_OK) {
    json_decref(ir);
    return rc;
  }
  if (!a.output) {
    cli_default_output(plan_path, out, sizeof out);
    a.output = out;
  }
  cli_output dest;
  if (cli_formats_named(ir)) {
    rc = cli_run_formats(ir, &a, cache, base, plan_path, a.output);
    json_decref(ir);
    return rc;
  }
  rc = cli_output_prepare(&dest, a.output, a.force, plan_path, cache);
  if (rc == VSC_EXIT_OK) rc = cli_run_ir(ir, &a, cache, base, &dest);
  else cli_output_close(&dest);
  json_decref(ir);
  return rc;
}
