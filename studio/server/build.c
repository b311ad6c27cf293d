/*
** build.c (studio) — the one build of the project: compiles the script with the build's
** options, writes the plan next to the cache, runs `vsc run PLAN --progress json` as a
** child in its own process group, and turns every line it prints into an event in an
** in-memory log that Server-Sent Events replay and follow. Stop sends SIGINT to the group,
** as Ctrl-C in a terminal does. One build at a time: a build asked for while one runs
** waits in a queue (shown to every page through "queue" events) and starts when the
** running one ends; Stop drops the queue too, as Ctrl-C ends a chain of commands.
*/
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "studio.h"
#include "vsc/vsc.h"

extern char **environ;

void studio_build_init(studio_build *b) {
  memset(b, 0, sizeof *b);
  pthread_mutex_init(&b->lock, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&b->cond, &ca);
  pthread_condattr_destroy(&ca);
  b->events = json_array();
}

/* Appends an event (stolen) and wakes the streams. Caller holds b->lock. */
static void push_locked(studio_build *b, json_t *ev) {
  json_object_set_new(ev, "build", json_integer((json_int_t)b->id));
  json_array_append_new(b->events, ev);
  pthread_cond_broadcast(&b->cond);
}

typedef struct {
  studio *st;
  int fd; /* the child's stdout+stderr */
  pid_t pid;
  char output[PATH_MAX];
} reader_args;

/* One line from the child: a progress event (JSON) or a message (an error, a report). */
static void take_line(studio *st, char *line, size_t len) {
  studio_scrub(line, len, st->secret);
  studio_scrub(line, len, st->token);
  while (len && (line[len - 1] == '\r' || line[len - 1] == ' ')) line[--len] = 0;
  if (!len) return;
  json_error_t je;
  json_t *ev = line[0] == '{' ? json_loadb(line, len, 0, &je) : NULL;
  if (!json_is_object(ev) || !json_is_string(json_object_get(ev, "event"))) {
    json_decref(ev);
    ev = json_pack("{s:s, s:s%}", "event", "log", "msg", line, len);
    if (!ev) return; /* not UTF-8: dropped */
  }
  pthread_mutex_lock(&st->build.lock);
  push_locked(&st->build, ev);
  pthread_mutex_unlock(&st->build.lock);
}

static const char *exit_status(int code, bool stopped) {
  switch (code) {
  case 0: return "completed";
  case 6: return "partial";
  case 7: return "budget";
  case 130: return "stopped";
  default: return stopped ? "stopped" : "failed";
  }
}

static void run_queue(studio *st, const studio_build_req *first);
static bool pop_queue_locked(studio_build *b, studio_build_req *q);

static void *reader_main(void *arg) {
  reader_args *ra = arg;
  studio *st = ra->st;
  char buf[65536];
  size_t have = 0;
  for (;;) {
    ssize_t n = read(ra->fd, buf + have, sizeof buf - 1 - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    have += (size_t)n;
    char *start = buf, *nl;
    while ((nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
      *nl = 0;
      take_line(st, start, (size_t)(nl - start));
      start = nl + 1;
    }
    have -= (size_t)(start - buf);
    memmove(buf, start, have);
    if (have == sizeof buf - 1) { /* an endless line: cut it */
      buf[have] = 0;
      take_line(st, buf, have);
      have = 0;
    }
  }
  if (have) {
    buf[have] = 0;
    take_line(st, buf, have);
  }
  close(ra->fd);
  int status = 0;
  while (waitpid(ra->pid, &status, 0) < 0 && errno == EINTR) {}
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  /* The manifest that `vsc run -o` writes next to the video: model, prediction, seed and
   * cost per scene. */
  char manifest_path[PATH_MAX + 8];
  snprintf(manifest_path, sizeof manifest_path, "%s.json", ra->output);
  json_error_t je;
  json_t *manifest = json_load_file(manifest_path, 0, &je);
  struct stat sb;
  bool have_output = stat(ra->output, &sb) == 0 && (code == 0 || code == 6);
  pthread_mutex_lock(&st->build.lock);
  studio_build *b = &st->build;
  b->exit_code = code;
  json_t *ev = json_pack("{s:s, s:i, s:s, s:f}", "event", "exit", "code", code, "status",
                         exit_status(code, b->stop_requested), "elapsed",
                         studio_now() - b->started);
  if (have_output) json_object_set_new(ev, "output", json_string(b->output_rel));
  if (manifest && have_output) json_object_set_new(ev, "manifest", manifest);
  else json_decref(manifest);
  push_locked(b, ev);
  b->pid = 0;
  /* The next queued build takes over at once (nothing asked for later can jump ahead). */
  studio_build_req next;
  bool have_next = !b->closing && pop_queue_locked(b, &next);
  if (!have_next) b->phase = BUILD_DONE;
  pthread_cond_broadcast(&b->cond);
  pthread_mutex_unlock(&st->build.lock);
  free(ra);
  run_queue(st, have_next ? &next : NULL);
  pthread_mutex_lock(&st->build.lock);
  st->build.readers--;
  pthread_cond_broadcast(&st->build.cond);
  pthread_mutex_unlock(&st->build.lock);
  return NULL;
}

/* Starts the child; its output goes to *out_fd. */
static int spawn_run(studio *st, const char *cwd, const char *plan, const char *output,
                     const char *cache, const char *provider, pid_t *pid, int *out_fd,
                     char *err, size_t errlen) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return snprintf(err, errlen, "pipe: %s", strerror(errno)), -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  posix_spawn_file_actions_addchdir_np(&fa, cwd);
  posix_spawnattr_t at;
  posix_spawnattr_init(&at);
  sigset_t none, deflt;
  sigemptyset(&none);
  sigemptyset(&deflt);
  sigaddset(&deflt, SIGINT);
  sigaddset(&deflt, SIGTERM);
  sigaddset(&deflt, SIGPIPE);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &deflt);
  posix_spawnattr_setpgroup(&at, 0); /* its own group: Stop signals all of it */
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  const char *argv[16];
  int n = 0;
  argv[n++] = st->self_exe;
  argv[n++] = "run";
  argv[n++] = plan;
  argv[n++] = "-o";
  argv[n++] = output;
  argv[n++] = "--cache";
  argv[n++] = cache;
  argv[n++] = "--progress";
  argv[n++] = "json";
  if (provider && *provider && strcmp(provider, "auto") != 0) {
    argv[n++] = "--provider";
    argv[n++] = provider;
  }
  argv[n] = NULL;
  int rc = posix_spawn(pid, st->self_exe, &fa, &at, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return snprintf(err, errlen, "cannot start %s: %s", st->self_exe, strerror(rc)), -1;
  }
  *out_fd = fds[0];
  return 0;
}

static int mkdir_p(const char *path) {
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s", path);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* The queue as an event for the pages: {"event":"queue","queue":[{id,script,provider,
 * preview,waited}]}. Caller holds b->lock. */
static json_t *queue_json_locked(const studio_build *b) {
  json_t *q = json_array();
  for (int i = 0; i < b->nqueue; i++) {
    const studio_build_req *r = &b->queue[i];
    json_array_append_new(q, json_pack("{s:I, s:s, s:s, s:b}", "id", (json_int_t)r->id,
                                       "script", r->rel, "provider",
                                       r->provider[0] ? r->provider : "auto", "preview",
                                       r->preview));
  }
  return q;
}

static void push_queue_locked(studio_build *b) {
  push_locked(b, json_pack("{s:s, s:o}", "event", "queue", "queue", queue_json_locked(b)));
}

/* "X does not compile: FILE:LINE:COL: MESSAGE" from the first diagnostic. */
static void compile_error(const char *rel, const json_t *diags, char *err, size_t errlen) {
  json_t *d0 = json_array_get(diags, 0);
  snprintf(err, errlen, "%s does not compile: %s:%lld:%lld: %s", rel,
           json_string_value(json_object_get(d0, "file")),
           (long long)json_integer_value(json_object_get(d0, "line")),
           (long long)json_integer_value(json_object_get(d0, "column")),
           json_string_value(json_object_get(d0, "message")));
}

/* Where a build of `q` writes: its video (OUT, next to the script) and its plan (PLAN, in
 * the cache's studio/ folder, created). Compiles the script, writes the plan and returns
 * the page's summary of it (new), or NULL with err. */
static json_t *prepare(studio *st, const studio_build_req *q, char cache[PATH_MAX],
                       char plan[PATH_MAX + 64], char output[PATH_MAX], char played[PATH_MAX], char *err,
                       size_t errlen) {
  const char *abs = q->abs;
  json_t *diags = NULL;
  json_t *ir = studio_compile_ir(st, abs, NULL, 0, q->preview, &diags);
  char dir[PATH_MAX];
  studio_cache_dir_of(abs, cache, PATH_MAX);
  snprintf(dir, sizeof dir, "%s", abs);
  *strrchr(dir, '/') = 0;
  const char *base = strrchr(abs, '/') + 1;
  const char *dot = strrchr(base, '.');
  int stem = dot && dot != base ? (int)(dot - base) : (int)strlen(base);
  if ((size_t)snprintf(output, PATH_MAX, "%s/%.*s%s.mp4", dir, stem, base,
                       q->preview ? ".preview" : "") >= PATH_MAX)
    output[0] = 0; /* cannot happen: abs is a real path shorter than PATH_MAX */
  /* A script of several formats writes one file each, the format's suffix before ".mp4"
   * (cli/formats.c): the page plays the first. */
  const char *suffix = ir ? json_string_value(json_object_get(json_array_get(json_object_get(ir, "formats"), 0), "suffix")) : NULL;
  snprintf(played, PATH_MAX, "%.*s%s.mp4", (int)(strlen(output) > 4 ? strlen(output) - 4 : 0), output, suffix ? suffix : "");
  snprintf(plan, PATH_MAX + 64, "%s/studio/%.*s.plan.json", cache, stem, base);
  json_t *summary = NULL;
  char *text = NULL;
  if (!ir) {
    compile_error(q->rel, diags, err, errlen);
  } else if ((size_t)snprintf(dir, sizeof dir, "%s/studio", cache) >= sizeof dir ||
             mkdir_p(dir) != 0) {
    snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
  } else if (!(text = vsc_ir_dump(ir)) || studio_write_file(plan, text, strlen(text)) != 0) {
    snprintf(err, errlen, "cannot write the plan %s: %s", plan, strerror(errno));
  } else {
    summary = studio_plan_summary(st, ir, cache, q->provider[0] ? q->provider : NULL);
  }
  free(text);
  json_decref(ir);
  json_decref(diags);
  return summary;
}

/* Compiles the request, writes its plan and spawns `vsc run`. The caller reserved the
 * build (phase RUNNING, no pid); on failure the phase goes back to `before`. */
static int launch(studio *st, const studio_build_req *q, build_phase before, char *err,
                  size_t errlen) {
  studio_build *b = &st->build;
  const char *abs = q->abs, *rel = q->rel, *provider = q->provider[0] ? q->provider : NULL;
  bool preview = q->preview;
  char cache[PATH_MAX], dir[PATH_MAX], plan[PATH_MAX + 64], output[PATH_MAX], played[PATH_MAX];
  json_t *summary = prepare(st, q, cache, plan, output, played, err, errlen);
  int rc = summary ? 0 : -1;
  pthread_mutex_lock(&b->lock);
  if (rc == 0 && b->closing) { /* the studio is stopping: start nothing */
    snprintf(err, errlen, "the studio is stopping");
    rc = -1;
  } else if (rc == 0 && b->launch_canceled) {
    snprintf(err, errlen, "stopped before it started");
    rc = -1;
  }
  b->launch_canceled = false;
  if (rc != 0) {
    b->phase = before;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->lock);
    json_decref(summary);
    return -1;
  }

  b->id++;
  json_decref(b->events);
  b->events = json_array();
  json_decref(b->nodes);
  b->nodes = summary;
  b->stop_requested = false;
  b->exit_code = -1;
  snprintf(b->script, sizeof b->script, "%s", rel);
  snprintf(b->output, sizeof b->output, "%s", played);
  const char *orel = studio_path_rel(st, played);
  snprintf(b->output_rel, sizeof b->output_rel, "%s", orel ? orel : "");
  b->started = studio_now();
  push_locked(b, json_pack("{s:s, s:s, s:s, s:b, s:O}", "event", "plan", "script", rel, "output",
                           b->output_rel, "preview", preview, "plan", summary));
  if (b->nqueue) push_queue_locked(b);
  snprintf(dir, sizeof dir, "%s", abs); /* the child runs in the script's folder */
  *strrchr(dir, '/') = 0;
  pid_t pid;
  int fd;
  if (spawn_run(st, dir, plan, output, cache, provider, &pid, &fd, err, errlen) != 0) {
    push_locked(b, json_pack("{s:s, s:s}", "event", "log", "msg", err));
    push_locked(b, json_pack("{s:s, s:i, s:s}", "event", "exit", "code", 255, "status", "failed"));
    b->phase = BUILD_DONE;
    pthread_mutex_unlock(&b->lock);
    return -1;
  }
  b->pid = pid;
  reader_args *ra = calloc(1, sizeof *ra);
  ra->st = st;
  ra->fd = fd;
  ra->pid = pid;
  snprintf(ra->output, sizeof ra->output, "%s", played);
  pthread_t t;
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
  b->readers++;
  if (pthread_create(&t, &at, reader_main, ra) != 0) {
    /* No reader: the child is interrupted and reaped here, and the build ends failed. */
    b->readers--;
    kill(-pid, SIGINT);
    close(fd);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    free(ra);
    push_locked(b, json_pack("{s:s, s:i, s:s}", "event", "exit", "code", 255, "status", "failed"));
    b->phase = BUILD_DONE;
    b->pid = 0;
  }
  pthread_attr_destroy(&at);
  pthread_mutex_unlock(&b->lock);
  return 0;
}

/* Takes the queue's head into *q, reserving the build for it. Caller holds b->lock. */
static bool pop_queue_locked(studio_build *b, studio_build_req *q) {
  if (b->nqueue == 0) return false;
  *q = b->queue[0];
  memmove(b->queue, b->queue + 1, (size_t)(b->nqueue - 1) * sizeof b->queue[0]);
  b->nqueue--;
  b->phase = BUILD_RUNNING; /* reserved while it compiles */
  return true;
}

/* After a build ends: starts `first` (popped already) and, while a queued build cannot
 * start (it no longer compiles: said in the finished build's log), the next one. Called
 * without the lock. */
static void run_queue(studio *st, const studio_build_req *first) {
  studio_build *b = &st->build;
  studio_build_req q;
  if (!first) return;
  q = *first;
  for (;;) {
    char err[1024];
    if (launch(st, &q, BUILD_DONE, err, sizeof err) == 0) return;
    pthread_mutex_lock(&b->lock);
    push_locked(b, json_pack("{s:s, s:s}", "event", "note", "msg", "a queued build did not start"));
    push_locked(b, json_pack("{s:s, s:s}", "event", "log", "msg", err));
    bool more = !b->closing && b->phase != BUILD_RUNNING && pop_queue_locked(b, &q);
    push_queue_locked(b);
    pthread_mutex_unlock(&b->lock);
    if (!more) return;
  }
}

int studio_build_start(studio *st, const char *abs, const char *rel, const char *provider,
                       bool preview, char *err, size_t errlen) {
  studio_build *b = &st->build;
  studio_build_req q = {0};
  snprintf(q.abs, sizeof q.abs, "%s", abs);
  snprintf(q.rel, sizeof q.rel, "%s", rel);
  snprintf(q.provider, sizeof q.provider, "%s", provider && strcmp(provider, "auto") ? provider : "");
  q.preview = preview;
  pthread_mutex_lock(&b->lock);
  if (b->closing) {
    pthread_mutex_unlock(&b->lock);
    return snprintf(err, errlen, "the studio is stopping"), -1;
  }
  if (b->phase != BUILD_RUNNING) {
    build_phase before = b->phase;
    b->phase = BUILD_RUNNING; /* reserved while it compiles */
    pthread_mutex_unlock(&b->lock);
    return launch(st, &q, before, err, errlen) == 0 ? 0 : -1;
  }
  for (int i = 0; i < b->nqueue; i++)
    if (!strcmp(b->queue[i].abs, q.abs) && !strcmp(b->queue[i].provider, q.provider) &&
        b->queue[i].preview == q.preview) {
      snprintf(err, errlen, "%s is already queued (number %d after the running build of %s)",
               rel, i + 1, b->script);
      pthread_mutex_unlock(&b->lock);
      return 1;
    }
  if (b->nqueue == STUDIO_QUEUE_MAX) {
    snprintf(err, errlen, "%d builds are already waiting after the running build of %s: "
                          "wait, or stop it",
             STUDIO_QUEUE_MAX, b->script);
    pthread_mutex_unlock(&b->lock);
    return 1;
  }
  pthread_mutex_unlock(&b->lock);
  /* Say now if it does not compile, rather than when its turn comes. */
  json_t *diags = NULL;
  json_t *ir = studio_compile_ir(st, abs, NULL, 0, preview, &diags);
  if (!ir) {
    compile_error(rel, diags, err, errlen);
    json_decref(diags);
    return -1;
  }
  json_decref(ir);
  json_decref(diags);
  pthread_mutex_lock(&b->lock);
  if (b->phase != BUILD_RUNNING && !b->closing && b->nqueue == 0) {
    /* The running build ended meanwhile: this one starts now. */
    build_phase before = b->phase;
    b->phase = BUILD_RUNNING;
    pthread_mutex_unlock(&b->lock);
    return launch(st, &q, before, err, errlen) == 0 ? 0 : -1;
  }
  if (b->nqueue == STUDIO_QUEUE_MAX || b->closing) {
    snprintf(err, errlen, "the queue filled up meanwhile: wait, or stop the running build");
    pthread_mutex_unlock(&b->lock);
    return 1;
  }
  q.id = ++b->queue_seq;
  q.queued_at = studio_now();
  b->queue[b->nqueue++] = q;
  push_queue_locked(b);
  pthread_mutex_unlock(&b->lock);
  return 2;
}

int studio_build_stop(studio *st) {
  studio_build *b = &st->build;
  pthread_mutex_lock(&b->lock);
  int rc = 1;
  if (b->phase == BUILD_RUNNING) {
    int dropped = b->nqueue;
    b->nqueue = 0;
    if (b->pid > 0) {
      b->stop_requested = true;
      kill(-b->pid, SIGINT);
    } else {
      b->launch_canceled = true; /* still compiling: it will not be spawned */
    }
    char msg[128];
    if (dropped)
      snprintf(msg, sizeof msg, "stop requested (Ctrl-C); %d queued build%s dropped", dropped,
               dropped == 1 ? "" : "s");
    else
      snprintf(msg, sizeof msg, "stop requested (Ctrl-C)");
    push_locked(b, json_pack("{s:s, s:s}", "event", "note", "msg", msg));
    if (dropped) push_queue_locked(b);
    rc = 0;
  }
  pthread_mutex_unlock(&b->lock);
  return rc;
}

int studio_build_unqueue(studio *st, unsigned long id) {
  studio_build *b = &st->build;
  pthread_mutex_lock(&b->lock);
  int rc = 1;
  for (int i = 0; i < b->nqueue; i++)
    if (b->queue[i].id == id) {
      memmove(b->queue + i, b->queue + i + 1, (size_t)(b->nqueue - i - 1) * sizeof b->queue[0]);
      b->nqueue--;
      push_queue_locked(b);
      rc = 0;
      break;
    }
  pthread_mutex_unlock(&b->lock);
  return rc;
}

json_t *studio_build_snapshot(studio *st) {
  studio_build *b = &st->build;
  pthread_mutex_lock(&b->lock);
  static const char *phases[] = {"idle", "running", "done"};
  json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:i, s:I, s:o}", "id", (json_int_t)b->id, "phase",
                        phases[b->phase], "script", b->script, "output", b->output_rel,
                        "exit_code", b->exit_code, "events", (json_int_t)json_array_size(b->events),
                        "queue", queue_json_locked(b));
  pthread_mutex_unlock(&b->lock);
  return o;
}

void studio_build_close(studio_build *b) {
  pthread_mutex_lock(&b->lock);
  b->closing = true;
  b->nqueue = 0;
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += 10;
  if (b->phase == BUILD_RUNNING && b->pid > 0) kill(-b->pid, SIGINT);
  /* Until the child has exited and every reader thread is gone (a build being compiled
   * sees `closing` and starts nothing). */
  while (b->phase == BUILD_RUNNING || b->readers > 0)
    if (pthread_cond_timedwait(&b->cond, &b->lock, &until) == ETIMEDOUT) {
      if (b->pid > 0) kill(-b->pid, SIGKILL);
      until.tv_sec += 10;
    }
  pthread_cond_broadcast(&b->cond);
  pthread_mutex_unlock(&b->lock);
}

void studio_build_free(studio_build *b) {
  studio_build_close(b); /* a build started while the daemon was stopping */
  json_decref(b->events);
  json_decref(b->nodes);
  b->events = b->nodes = NULL;
  pthread_cond_destroy(&b->cond);
  pthread_mutex_destroy(&b->lock);
}
