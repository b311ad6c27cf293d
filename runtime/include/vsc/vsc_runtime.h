/*
** vsc_runtime.h — executing a plan graph: the object cache, the journal (ledger + budget)
** and the scheduler. docs/runtime.md describes the files on disk and the policies.
**
** Errors: functions that can fail return 0 / -1 and write one lower-case line into
** `err` (errlen bytes). Ownership is stated per function.
*/
#ifndef VSC_RUNTIME_H
#define VSC_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vsc/vsc_op.h"
#include "vsc/vsc_provider.h"

/* ==== cache: content-addressed objects ============================================== */
/* Layout: DIR/objects/<k0k1>/<key>.<ext> (the object) and <key>.json (its index entry:
 * sha256, size, mtime, inode, info). Writes go to DIR/tmp, are fsync'd and renamed. */
typedef struct vsc_cache vsc_cache;

typedef struct {
  char key[65];
  char path[4096]; /* the object's file */
  char sha256[65]; /* content hash recorded at commit */
  uint64_t size;
  json_t *info; /* what made it (node, op, scene, provider, model, prediction, seed,
                       cost, seconds, created); owned by the entry: vsc_cache_entry_clear */
} vsc_cache_entry;

/* Objects up to this size are re-hashed on every read; bigger ones only when their size,
 * mtime or inode differ from the index entry (the no-op rebuild stays fast). */
#define VSC_CACHE_REHASH_LIMIT (1u << 20)

/* Opens (creating if needed) the cache in `dir`; refuses a DIR/tmp that is not a real
 * directory (a symlink is never written or cleaned through).
 * Caller frees with vsc_cache_close. */
int vsc_cache_open(vsc_cache **out, const char *dir, char *err, size_t errlen);
void vsc_cache_close(vsc_cache *c);
const char *vsc_cache_dir(const vsc_cache *c); /* borrowed */
/* Takes DIR/lock (flock, released by vsc_cache_close or process death) so that one run,
 * gc or verify at a time owns the cache; fails at once if another process holds it. The
 * owner then removes temp files of dead vsc processes: regular files in DIR/tmp named
 * vsc-tmp.<pid>.<16 hex>.… whose pid is gone. Nothing else in DIR/tmp is ever touched. */
int vsc_cache_lock(vsc_cache *c, char *err, size_t errlen);
/* The same lock shared by the builds of one batch (cli/batch_pool.c), whose rows never build
 * the same paid node at once: any number of them hold DIR/lock together, and a run, gc or
 * verify that wants it alone fails at once. Dead processes' temp files are cleaned only when
 * no other holder is there (the lock is first tried alone). */
int vsc_cache_lock_shared(vsc_cache *c, char *err, size_t errlen);

/* A fresh temp path DIR/tmp/vsc-tmp.<pid>.<16 hex>.<n>.<ext> for writing an object (the
 * key is not part of it). Thread-safe. */
int vsc_cache_tmp_path(vsc_cache *c, const char *key, const char *ext, char *out,
                       size_t outlen);

/* Makes tmp_path the object for `key`: fsyncs it, hashes it, renames it into place and
 * writes the index entry (with `info`, borrowed, copied). Fills *e if not NULL (caller
 * clears it). On failure the temp file is deleted. Thread-safe for distinct keys. */
int vsc_cache_commit(vsc_cache *c, const char *key, const char *tmp_path, const char *ext,
                     const json_t *info, vsc_cache_entry *e, char *err, size_t errlen);

typedef enum {
  VSC_CACHE_MISS = 0,
  VSC_CACHE_HIT = 1,
  VSC_CACHE_CORRUPT = 2, /* found but bad: it was deleted; `why` says what was wrong */
} vsc_cache_result;

/* Looks `key` up and verifies it (see VSC_CACHE_REHASH_LIMIT; `full` forces a re-hash).
 * On HIT fills *e (caller clears it). A corrupt or truncated object is deleted, never
 * returned. Returns the result, or -1 on an I/O error. */
int vsc_cache_lookup(vsc_cache *c, const char *key, bool full, vsc_cache_entry *e,
                     char *why, size_t whylen);

/* The verdict vsc_cache_lookup would give (HIT, MISS, CORRUPT with `why`), changing
 * nothing: a bad object is not deleted (runtime/cache/inspect.c). On HIT or CORRUPT *e is
 * the index entry (caller clears it); -1 on an I/O error (why). */
int vsc_cache_inspect(vsc_cache *c, const char *key, vsc_cache_entry *e, char *why,
                      size_t whylen);

/* Reads only the index entry (no verification): 1 found, 0 not. Caller clears *e. */
int vsc_cache_peek(vsc_cache *c, const char *key, vsc_cache_entry *e);

void vsc_cache_entry_clear(vsc_cache_entry *e);

/* Calls fn for every index entry (sorted by key); fn returns non-zero to stop. */
int vsc_cache_each(vsc_cache *c, int (*fn)(const vsc_cache_entry *e, void *ud), void *ud,
                   char *err, size_t errlen);

/* Deletes an object and its index entry. */
int vsc_cache_remove(vsc_cache *c, const char *key);


/* ==== journal: append-only JSON lines, fsync'd ===================================== */
typedef struct vsc_journal vsc_journal;

/* Opens DIR/journal.jsonl for appending (creating it). Caller frees with _close. */
int vsc_journal_open(vsc_journal **out, const char *path, char *err, size_t errlen);
void vsc_journal_close(vsc_journal *j);
/* Appends one record (borrowed; a "time" field is added) as one line and fsyncs before
 * returning. Thread-safe. */
int vsc_journal_append(vsc_journal *j, json_t *rec, char *err, size_t errlen);
/* The same without waiting for the disk unless `sync`: a batch of records is followed by
 * one vsc_journal_sync (e.g. the intents of several calls, before any is sent). */
int vsc_journal_write(vsc_journal *j, json_t *rec, bool sync, char *err, size_t errlen);
int vsc_journal_sync(vsc_journal *j, char *err, size_t errlen);
/* Reads every record of a journal file into a new array (caller decrefs). A torn last line
 * (a crash mid-write) is skipped; a missing file gives an empty array. */
int vsc_journal_read(json_t **out, const char *path, char *err, size_t errlen);

/* Paid calls of earlier runs that were started and never finished: a new object
 * {call: {"call","node","key","model","provider","prediction"|null,"reserved"}} (caller
 * decrefs). Calls without a prediction id could not be resumed. */
json_t *vsc_journal_open_calls(const json_t *records);

/* ==== budget: reservations of the worst case ======================================= */
typedef struct {
  double limit;    /* dollars; < 0 = no cap */
  double spent;    /* settled costs */
  double reserved; /* worst cases of calls in flight */
} vsc_budget;

/* Reserves `max` if spent + reserved + max stays within the limit: 0, else -1. */
int vsc_budget_reserve(vsc_budget *b, double max);
/* Ends a reservation of `max` that actually cost `cost`. */
void vsc_budget_settle(vsc_budget *b, double max, double cost);

/* ==== ledger: what was spent, per build and per node ================================ */
/* Summarises journal records into a new JSON object {"builds":[…], "total":x}
 * (caller decrefs); docs/runtime.md shows its shape. */
json_t *vsc_ledger_build(const json_t *records);
/* Prints the summary as text. */
void vsc_ledger_print(const json_t *ledger, FILE *out);

/* ==== plan keys ===================================================================== */
/* The provider that runs a generate/tts node: "local" when its model is local/…, else
 * `remote` (the chosen provider's name). Other ops return "". */
const char *vsc_node_provider(const json_t *node, const char *remote);

/* Cache keys of every node of a validated IR (new array of strings, caller decrefs). A
 * node's key is its id unless it, or anything it depends on, is a generate/tts node: then
 * the provider's name enters the key (local and replicate outputs never mix). */
json_t *vsc_plan_keys(const json_t *ir, const char *remote);

/* The provider name `auto` resolves to: "replicate" when REPLICATE_API_TOKEN is set, else
 * "local". `name` may be NULL (= auto). Borrowed static string or `name` itself. */
const char *vsc_provider_resolve(const char *name);

/* ==== running a plan ================================================================ */
typedef enum {
  VSC_PROGRESS_AUTO = 0, /* live line on a TTY, plain lines otherwise */
  VSC_PROGRESS_TTY,
  VSC_PROGRESS_PLAIN,
  VSC_PROGRESS_JSON, /* NDJSON events */
  VSC_PROGRESS_QUIET,
} vsc_progress_mode;

/* One executor per op (the CLI's table maps ops to the compositor and local provider). */
typedef struct {
  const char *op; /* "generate", "tts", "animate", "segment", "concat", "audio", "mux" */
  vsc_op_fn fn;
} vsc_executor;

typedef struct {
  int version;                 /* VSC_RUN_OPTIONS_VERSION */
  const char *cache_dir;       /* required */
  const char *base_dir;        /* relative IR `root` is resolved against it; NULL = cwd */
  int jobs;                    /* CPU-bound ops at once; <= 0 = online CPUs */
  int remote_jobs;             /* predictions in flight at once; <= 0 = 16 */
  const char *provider;        /* NULL = the IR's video.provider; auto|local|replicate|test */
  const char *provider_config; /* vsc_provider_options.config of the remote provider */
  vsc_provider *remote;        /* borrowed: the remote provider to use (tests, benches) */
  /* Otherwise the remote provider is opened by this callback, once, only when a remote
   * node actually has to run (a fully cached build needs no credentials). The run destroys
   * what it returns. */
  int (*open_remote)(vsc_provider **out, const char *name, const vsc_provider_options *o,
                     vsc_op_error *err);
  const vsc_executor *executors; /* ops → functions; generate/tts entries are the local
                                    provider (used for local/ models and provider local) */
  size_t nexecutors;
  vsc_op_fn card;     /* renders a degraded shot's placeholder (a local generate);
                                NULL = a failed generation fails the node */
  const char *output; /* copy/link the video here (+ OUTPUT.json manifest); NULL = no */
  vsc_progress_mode progress;
  FILE *progress_out;       /* NULL = stderr */
  bool cancel_on_interrupt; /* Ctrl-C: cancel paid predictions in flight (else they are
                                left journaled and the next run resumes them) */
  double budget_override;   /* < 0: use video.budget */
  /* Runs a node as parts side by side, joined in order (a long body segment as GOP-aligned
   * chunks: vsc_comp_segment_split, joined by vsc_comp_concat's stream copy). Returns a new
   * array of part nodes (each with its own "id"), or NULL to run the node whole. The parts
   * are cached under keys derived from the node's key and their place; the node's object is
   * the join of theirs. NULL split or join: every node runs whole. */
  json_t *(*split)(const json_t *node);
  vsc_op_fn join;
  /* The shared cache behind the local one (vsc/vsc_rcache.h: http(s)://…, file:///dir or a
   * directory), or NULL: a local miss is looked up there, finished nodes are stored there. */
  const char *remote_cache;
  bool shared_cache; /* a batch row: the cache's lock is shared (vsc_cache_lock_shared) */
} vsc_run_options;
#define VSC_RUN_OPTIONS_VERSION 1
#define VSC_RUN_OPTIONS_INIT \
  { VSC_RUN_OPTIONS_VERSION, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, \
    VSC_PROGRESS_AUTO, NULL, false, -1.0, NULL, NULL, NULL, false }

typedef enum {
  VSC_RUN_OK = 0,
  VSC_RUN_PARTIAL,     /* the video was made, some scenes are placeholders */
  VSC_RUN_FAILED,      /* a node failed and the output could not be made */
  VSC_RUN_AUTH,        /* the provider refused our credentials: stopped */
  VSC_RUN_BUDGET,      /* a call could have exceeded the budget: stopped */
  VSC_RUN_INTERRUPTED, /* SIGINT, SIGTERM or SIGHUP */
  VSC_RUN_UNSAFE,      /* the journal or the cache could not be written: stopped before
                          spending anything more */
  VSC_RUN_RATE,        /* the account stayed rate limited: stopped */
} vsc_run_status;

/* A run status as the manifest, the journal and the CLI name it: "ok", "partial", "failed",
 * "auth", "budget", "interrupted", "stopped-unsafe", "rate-limited". */
const char *vsc_run_status_name(vsc_run_status s);

typedef struct {
  vsc_run_status status;
  double spent;             /* dollars settled in this run */
  int executed;             /* nodes run (not from cache) */
  int cached;               /* nodes found in the cache */
  int provider_calls;       /* predictions started (new, paid) */
  int reattached;           /* predictions of earlier runs resumed */
  int degraded;             /* shots replaced by a placeholder */
  int failed;               /* nodes that failed (and their dependents did not run) */
  double seconds;           /* wall time */
  char output_object[4096]; /* the output's cached file, when made */
  int remote_cached;        /* of `cached`: fetched from the shared cache */
} vsc_run_result;

/* Installs SIGINT/SIGTERM handlers that make a running vsc_run stop cleanly. */
void vsc_run_install_signals(void);

/* Executes a validated IR (borrowed). Prints progress and, at the end, a report of
 * degraded scenes / failures / left predictions. Returns 0 when it ran to a status in
 * *res (which may still be a failure), -1 on a setup error (err). */
int vsc_run(const json_t *ir, const vsc_run_options *opts, vsc_run_result *res, char *err,
            size_t errlen);

/* ==== build records: the plan each target was last built from ======================= */
/* DIR/builds/<16 hex of sha256(target)>.json (runtime/journal/record.c): {"format":
 * "vsc-build-record", "version":1, "target", "provider", "status", "outputs", "nodes":[the
 * IR's nodes without "src", each with its cache "key"]}. `target` names what was built (the
 * output video's resolved path, or "-"). `vsc explain` reads it to say why a node runs. */
/* Writes the record of a run of `ir` (borrowed) whose node keys are `keys` (from
 * vsc_plan_keys); an unchanged record is not rewritten, only its mtime set to now. 0, or
 * -1 with err. */
int vsc_record_write(const char *cache_dir, const char *target, const json_t *ir,
                     const json_t *keys, const char *remote, vsc_run_status status, char *err,
                     size_t errlen);
/* The record of `target` (a new reference, plus "recorded": when the target was last
 * built, UTC), or NULL when none is readable. */
json_t *vsc_record_read(const char *cache_dir, const char *target);
/* The targets recorded in the cache (a new array of strings, unordered). */
json_t *vsc_record_targets(const char *cache_dir);
/* Where the record of `target` lives. */
void vsc_record_path(const char *cache_dir, const char *target, char *out, size_t len);

#endif
