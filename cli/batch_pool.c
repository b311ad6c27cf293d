/*
** The local pool (cli, batch): at most N builds at once, each a worker process running a
** run of consecutive rows (`vsc batch run DIR --rows K-M`, the command a Slurm task runs),
** all on one cache. A run is short (a few rows, more in a long batch: a process's start
** costs more than a card's render) and the workers take runs in row order. Two builds never
** make the same node at once (a paid one above all): a row that shares a node still to make
** waits while the build that claimed it makes it (the pool looks again every
** POOL_POLL_MS), then finds it in the cache. Rows that share nothing uncached run side by
** side. A row is reported when its result is written.
*/
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "vsc/vsc_runtime.h"

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { interrupted = sig; }

/* Rows past the first one still waiting that the pool considers starting at each turn. */
#define POOL_LOOKAHEAD 4096
/* A worker's run of rows: at most this many, and about a quarter of a worker's share, so
 * the workers end together. */
#define POOL_RUN_MAX 16
/* How often the pool looks for rows that may start and results written, while workers run. */
#define POOL_POLL_MS 50

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

static pid_t start_worker(const char *exe, const char *dir, size_t from, size_t to, int jobs) {
  char rows[64], j[16];
  snprintf(rows, sizeof rows, "%zu-%zu", from, to);
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

/* Row i may start in a run that starts at row `from`: ready, and the rows that make its
 * shared paid nodes (its `after`) are finished, or come before it in the same run (which
 * runs them first): `vsc batch run` leaves a row whose makers are not finished. */
static bool may_start(const json_t *rows, size_t i, size_t from, const row_state *st, json_t *claimed, vsc_cache *cache) {
  const json_t *mrow = json_array_get(rows, i);
  size_t k;
  json_t *a;
  json_array_foreach(json_object_get(mrow, "after"), k, a) {
    size_t r = (size_t)json_integer_value(a);
    if (r < 1 || r > json_array_size(rows)) continue;
    if (st[r - 1] == ROW_DONE || st[r - 1] == ROW_SKIP || (r - 1 >= from && r - 1 < i)) continue;
    return false;
  }
  return ready(mrow, claimed, cache);
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

/* Now, by the clock files are stamped with (the kernel's coarse one). */
static struct timespec file_clock(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME_COARSE, &t);
  return t;
}

/* Whether row's result was written since t0 (a run still going finished it). */
static bool result_since(const char *dir, size_t row, struct timespec t0) {
  char path[PATH_MAX + 40];
  batch_row_path(dir, row, ".result.json", path, sizeof path);
  struct stat sb;
  if (stat(path, &sb) != 0) return false;
  return sb.st_mtim.tv_sec > t0.tv_sec || (sb.st_mtim.tv_sec == t0.tv_sec && sb.st_mtim.tv_nsec >= t0.tv_nsec);
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
  size_t next = 0;                                                  /* rows before it are started or skipped */
  pid_t *slot_pid = calloc((size_t)jobs, sizeof *slot_pid);         /* the running workers ... */
  size_t *slot_row = calloc((size_t)jobs, sizeof *slot_row);        /* ... their first row ... */
  size_t *slot_end = calloc((size_t)jobs, sizeof *slot_end);        /* ... and the row after their last */
  struct timespec *slot_t0 = calloc((size_t)jobs, sizeof *slot_t0); /* ... started then */
  bool *said = calloc(n + 1, sizeof *said);                         /* rows reported */
  size_t run = todo / ((size_t)jobs * 4);
  if (run < 1) run = 1;
  if (run > POOL_RUN_MAX) run = POOL_RUN_MAX;
  while (done < todo) {
    if (interrupted && !stop) {
      stop = true;
      rc = VSC_EXIT_INTERRUPTED;
      for (int w = 0; w < jobs; w++) /* a TERM to the pool alone still stops its workers */
        if (slot_pid[w] > 0 && interrupted == SIGTERM) kill(slot_pid[w], SIGTERM);
    }
    /* Start what may start, in row order (looking a bounded way ahead of the first row
     * still waiting: a pool of 100,000 rows does not scan them all at every turn): a run of
     * rows from a ready one, through rows that are ready or not to run, none running. */
    for (size_t i = next; i < n && i < next + POOL_LOOKAHEAD && running < jobs && !stop; i++) {
      if (st[i] != ROW_WAIT || !may_start(rows, i, i, st, claimed, cache)) continue;
      size_t end = i + 1, taken = 1;
      while (end < n && taken < run &&
             (st[end] == ROW_SKIP || (st[end] == ROW_WAIT && may_start(rows, end, i, st, claimed, cache)))) {
        taken += st[end] == ROW_WAIT;
        end++;
      }
      while (end > i + 1 && st[end - 1] == ROW_SKIP) end--;
      struct timespec t0 = file_clock(); /* before the worker can write a result */
      pid_t wpid = start_worker(exe, dir, i + 1, end, per);
      if (wpid < 0) {
        fprintf(stderr, "vsc: cannot start a worker: %s\n", strerror(errno));
        stop = true;
        rc = VSC_EXIT_RUNTIME;
        break;
      }
      for (size_t k = i; k < end; k++)
        if (st[k] == ROW_WAIT) {
          st[k] = ROW_RUNNING;
          claim(json_array_get(rows, k), claimed, true);
        }
      for (int w = 0; w < jobs; w++)
        if (slot_pid[w] == 0) {
          slot_pid[w] = wpid;
          slot_row[w] = i;
          slot_end[w] = end;
          slot_t0[w] = t0;
          break;
        }
      running++;
      i = end - 1;
    }
    while (next < n && st[next] != ROW_WAIT) next++;
    if (running == 0) break; /* stopped, or nothing can start */
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno != EINTR) break;
    if (pid <= 0) {
      /* Rows finished inside runs still going: said as their results are written. */
      for (int w = 0; w < jobs; w++)
        for (size_t k = slot_row[w]; slot_pid[w] > 0 && k < slot_end[w]; k++) {
          if (st[k] != ROW_RUNNING || said[k]) continue;
          if (!result_since(dir, k + 1, slot_t0[w])) break;
          said[k] = true;
          done++;
          say_row(dir, json_array_get(rows, k), done, todo, progress);
        }
      struct timespec nap = {0, POOL_POLL_MS * 1000000L};
      nanosleep(&nap, NULL);
      continue;
    }
    for (int w = 0; w < jobs; w++) {
      if (slot_pid[w] != pid) continue;
      slot_pid[w] = 0;
      running--;
      for (size_t i = slot_row[w]; i < slot_end[w]; i++) {
        if (st[i] != ROW_RUNNING) continue;
        st[i] = ROW_DONE;
        claim(json_array_get(rows, i), claimed, false);
        if (!said[i]) {
          said[i] = true;
          done++;
          say_row(dir, json_array_get(rows, i), done, todo, progress);
        }
      }
      int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      /* Ctrl-C reached the workers too: start nothing more, let the others stop. */
      if (code == VSC_EXIT_INTERRUPTED || (WIFSIGNALED(status) && WTERMSIG(status) == SIGINT)) {
        stop = true;
        rc = VSC_EXIT_INTERRUPTED;
      }
      break;
    }
  }
  free(said);
  free(slot_end);
  free(slot_t0);
  free(st);
  free(slot_pid);
  free(slot_row);
  json_decref(claimed);
  if (cache) vsc_cache_close(cache);
  json_decref(m);
  return rc;
}
