/*
** The local pool (cli, batch): at most N builds at once, each a worker process running one
** row (`vsc batch run DIR --rows R-R`, the command a Slurm task runs), all on one cache.
** Two builds never make the same node at once (a paid one above all): a row that shares a
** node still to make waits while the row before it makes it, then finds it in the cache.
** Rows that share nothing uncached run side by side.
*/
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "batch.h"
#include "vsc/vsc_runtime.h"

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { interrupted = sig; }

/* Rows past the first one still waiting that the pool considers starting at each turn. */
#define POOL_LOOKAHEAD 4096

typedef enum { ROW_SKIP,
               ROW_WAIT,
               ROW_RUNNING,
               ROW_DONE } row_state;

/* The workers run this very program: /proc/self/exe names it even when the file was
 * replaced meanwhile (an upgrade during a long batch). */
static int self_exe(char *out, size_t len) {
  snprintf(out, len, "/proc/self/exe");
  return access(out, X_OK);
}

static pid_t start_worker(const char *exe, const char *dir, size_t row, int jobs) {
  char rows[64], j[16];
  snprintf(rows, sizeof rows, "%zu-%zu", row, row);
  snprintf(j, sizeof j, "%d", jobs);
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    execl(exe, "vsc", "batch", "run", dir, "--rows", rows, "--jobs", j, "--progress", "quiet", (char *)NULL);
    _exit(127);
  }
  return pid;
}

/* Whether a row may start: none of the nodes it shares with other rows and that are still
 * to make (its paid ones above all) is being made by a running build, whose row came first
 * (for a paid node, the one the manifest counted on to pay it). A row that starts claims
 * them. When the row that should make a shared paid node fails to, the next row using it
 * tries, within its own allowance. */
static bool ready(const json_t *mrow, json_t *claimed, vsc_cache *cache) {
  static const char *const lists[] = {"paid", "shared"};
  for (size_t l = 0; l < 2; l++) {
    size_t k;
    json_t *key;
    json_array_foreach(json_object_get(mrow, lists[l]), k, key) {
      if (!json_object_get(claimed, json_string_value(key))) continue;
      vsc_cache_entry e = {0};
      bool have = cache && vsc_cache_peek(cache, json_string_value(key), &e) == 1;
      vsc_cache_entry_clear(&e);
      if (!have) return false;
    }
  }
  return true;
}

static void claim(const json_t *mrow, json_t *claimed, bool on) {
  static const char *const lists[] = {"paid", "shared"};
  for (size_t l = 0; l < 2; l++) {
    size_t k;
    json_t *key;
    json_array_foreach(json_object_get(mrow, lists[l]), k, key) {
      if (on) json_object_set_new(claimed, json_string_value(key), json_true());
      else json_object_del(claimed, json_string_value(key));
    }
  }
}

static void say_row(const char *dir, const json_t *mrow, size_t done, size_t total, vsc_progress_mode progress) {
  if (progress == VSC_PROGRESS_QUIET) return;
  size_t row = (size_t)json_integer_value(json_object_get(mrow, "row"));
  json_t *res = batch_result_load(dir, row);
  const char *status = json_string_value(json_object_get(res, "status"));
  if (progress == VSC_PROGRESS_JSON) {
    json_t *ev = json_pack("{s:s, s:i, s:s, s:f, s:i, s:i}", "event", "row", "row", (json_int_t)row, "status",
                           status ? status : "failed", "spent", json_number_value(json_object_get(res, "spent")), "done",
                           (json_int_t)done, "total", (json_int_t)total);
    char *t = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
    if (t) fprintf(stderr, "%s\n", t);
    free(t);
    json_decref(ev);
  } else {
    fprintf(stderr, "[%zu/%zu] row %zu: %s %s/%s ($%.3f, %.1fs)\n", done, total, row, status ? status : "failed", dir,
            json_string_value(json_object_get(mrow, "output")), json_number_value(json_object_get(res, "spent")),
            json_number_value(json_object_get(res, "seconds")));
  }
  json_decref(res);
}

int batch_pool(const char *dir, int jobs, vsc_progress_mode progress) {
  json_t *m = batch_manifest_load(dir);
  if (!m) return VSC_EXIT_USAGE;
  char exe[PATH_MAX];
  if (self_exe(exe, sizeof exe) != 0) {
    fprintf(stderr, "vsc: cannot find the vsc executable (/proc/self/exe)\n");
    json_decref(m);
    return VSC_EXIT_INTERNAL;
  }
  json_t *rows = json_object_get(m, "rows");
  size_t n = json_array_size(rows), todo = 0, done = 0;
  json_t *claimed = json_object(); /* paid node keys that running builds make */
  vsc_cache *cache = NULL;         /* looked into, never locked */
  char cerr[256];
  vsc_cache_open(&cache, json_string_value(json_object_get(m, "cache")), cerr, sizeof cerr);
  row_state *st = calloc(n + 1, sizeof *st);
  for (size_t i = 0; i < n; i++) {
    const json_t *mr = json_array_get(rows, i);
    bool run = !strcmp(json_string_value(json_object_get(mr, "status")), "ready") && !batch_row_finished(dir, mr);
    st[i] = run ? ROW_WAIT : ROW_SKIP;
    todo += run;
  }
  if (jobs < 1) jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (jobs < 1) jobs = 1;
  /* The machine's cores are shared by the builds: each encodes with its part of them. */
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  int per = cpus > jobs ? (int)(cpus / jobs) : 1;
  int running = 0, rc = VSC_EXIT_OK;
  bool stop = false;
  /* Ctrl-C or a kill reaches the workers (one process group): they stop cleanly, and the
   * pool starts nothing more, waits for them and still writes the report. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  size_t next = 0;                                           /* rows before it are started or skipped */
  pid_t *slot_pid = calloc((size_t)jobs, sizeof *slot_pid);  /* the running workers ... */
  size_t *slot_row = calloc((size_t)jobs, sizeof *slot_row); /* ... and their rows */
  while (done < todo) {
    if (interrupted && !stop) {
      stop = true;
      rc = VSC_EXIT_INTERRUPTED;
      for (int w = 0; w < jobs; w++) /* a TERM to the pool alone still stops its workers */
        if (slot_pid[w] > 0 && interrupted == SIGTERM) kill(slot_pid[w], SIGTERM);
    }
    /* Start what may start, in row order (looking a bounded way ahead of the first row
     * still waiting: a pool of 100,000 rows does not scan them all at every turn). */
    for (size_t i = next; i < n && i < next + POOL_LOOKAHEAD && running < jobs && !stop; i++) {
      if (st[i] != ROW_WAIT || !ready(json_array_get(rows, i), claimed, cache)) continue;
      pid_t wpid = start_worker(exe, dir, i + 1, per);
      if (wpid < 0) {
        fprintf(stderr, "vsc: cannot start a worker: %s\n", strerror(errno));
        stop = true;
        rc = VSC_EXIT_RUNTIME;
        break;
      }
      st[i] = ROW_RUNNING;
      claim(json_array_get(rows, i), claimed, true);
      for (int w = 0; w < jobs; w++)
        if (slot_pid[w] == 0) {
          slot_pid[w] = wpid;
          slot_row[w] = i;
          break;
        }
      running++;
    }
    while (next < n && st[next] != ROW_WAIT) next++;
    if (running == 0) break; /* stopped, or nothing can start */
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int w = 0; w < jobs; w++) {
      if (slot_pid[w] != pid) continue;
      size_t i = slot_row[w];
      slot_pid[w] = 0;
      st[i] = ROW_DONE;
      claim(json_array_get(rows, i), claimed, false);
      running--;
      done++;
      int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      say_row(dir, json_array_get(rows, i), done, todo, progress);
      /* Ctrl-C reached the workers too: start nothing more, let the others stop. */
      if (code == VSC_EXIT_INTERRUPTED || (WIFSIGNALED(status) && WTERMSIG(status) == SIGINT)) {
        stop = true;
        rc = VSC_EXIT_INTERRUPTED;
      }
      break;
    }
  }
  free(st);
  free(slot_pid);
  free(slot_row);
  json_decref(claimed);
  if (cache) vsc_cache_close(cache);
  json_decref(m);
  return rc;
}
