/*
** build.c (studio) — the one build of the project: compiles the script with the build's
** options, writes the plan next to the cache, runs `vsc run PLAN --progress json` as a
** child in its own process group, and turns every line it prints into an event in an
** in-memory log that Server-Sent Events replay and follow. Stop sends SIGINT to the group,
** as Ctrl-C in a terminal does. One build at a time: a second is refused while one runs.
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
  int fd;              /* the child's stdout+stderr */
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
  b->phase = BUILD_DONE;
  b->pid = 0;
  pthread_cond_broadcast(&b->cond);
  pthread_mutex_unlock(&st->build.lock);
  free(ra);
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

int studio_build_start(studio *st, const char *abs, const char *rel, const char *provider,
                       bool preview, char *err, size_t errlen) {
  studio_build *b = &st->build;
  pthread_mutex_lock(&b->lock);
  if (b->phase == BUILD_RUNNING) {
    snprintf(err, errlen, "a build of %s is running (started %.0f s ago): stop it or wait for it "
                          "to finish", b->script, studio_now() - b->started);
    pthread_mutex_unlock(&b->lock);
    return 1;
  }
  build_phase before = b->phase;
  b->phase = BUILD_RUNNING; /* reserved while we compile */
  if (b->reader_started) {
    pthread_join(b->reader, NULL);
    b->reader_started = false;
  }
  pthread_mutex_unlock(&b->lock);

  json_t *diags = NULL;
  json_t *ir = studio_compile_ir(st, abs, NULL, 0, preview, &diags);
  char cache[PATH_MAX], dir[PATH_MAX], plan[PATH_MAX + 64], output[PATH_MAX];
  studio_cache_dir_of(abs, cache, sizeof cache);
  snprintf(dir, sizeof dir, "%s", abs);
  *strrchr(dir, '/') = 0;
  const char *base = strrchr(abs, '/') + 1;
  const char *dot = strrchr(base, '.');
  int stem = dot && dot != base ? (int)(dot - base) : (int)strlen(base);
  if ((size_t)snprintf(output, sizeof output, "%s/%.*s%s.mp4", dir, stem, base,
                       preview ? ".preview" : "") >= sizeof output)
    output[0] = 0; /* cannot happen: abs is a real path shorter than PATH_MAX */
  snprintf(plan, sizeof plan, "%s/studio/%.*s.plan.json", cache, stem, base);
  int rc = -1;
  json_t *summary = NULL;
  char *text = NULL;
  if (!ir) {
    json_t *d0 = json_array_get(diags, 0);
    snprintf(err, errlen, "%s does not compile: %s:%lld:%lld: %s", rel,
             json_string_value(json_object_get(d0, "file")),
             (long long)json_integer_value(json_object_get(d0, "line")),
             (long long)json_integer_value(json_object_get(d0, "column")),
             json_string_value(json_object_get(d0, "message")));
  } else if ((size_t)snprintf(dir, sizeof dir, "%s/studio", cache) >= sizeof dir ||
             mkdir_p(dir) != 0) {
    snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
  } else if (!(text = vsc_ir_dump(ir)) || studio_write_file(plan, text, strlen(text)) != 0) {
    snprintf(err, errlen, "cannot write the plan %s: %s", plan, strerror(errno));
  } else {
    summary = studio_plan_summary(st, ir, cache, provider);
    rc = 0;
  }
  free(text);
  json_decref(ir);
  json_decref(diags);
  pthread_mutex_lock(&b->lock);
  if (rc == 0 && b->closing) { /* the studio is stopping: start nothing */
    snprintf(err, errlen, "the studio is stopping");
    rc = -1;
  }
  if (rc != 0) {
    b->phase = before;
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
  snprintf(b->output, sizeof b->output, "%s", output);
  const char *orel = studio_path_rel(st, output);
  snprintf(b->output_rel, sizeof b->output_rel, "%s", orel ? orel : "");
  b->started = studio_now();
  push_locked(b, json_pack("{s:s, s:s, s:s, s:b, s:O}", "event", "plan", "script", rel, "output",
                           b->output_rel, "preview", preview, "plan", summary));
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
  snprintf(ra->output, sizeof ra->output, "%s", output);
  if (pthread_create(&b->reader, NULL, reader_main, ra) == 0) b->reader_started = true;
  pthread_mutex_unlock(&b->lock);
  return 0;
}

int studio_build_stop(studio *st) {
  studio_build *b = &st->build;
  pthread_mutex_lock(&b->lock);
  int rc = 1;
  if (b->phase == BUILD_RUNNING && b->pid > 0) {
    b->stop_requested = true;
    kill(-b->pid, SIGINT);
    push_locked(b, json_pack("{s:s, s:s}", "event", "note", "msg", "stop requested (Ctrl-C)"));
    rc = 0;
  }
  pthread_mutex_unlock(&b->lock);
  return rc;
}

json_t *studio_build_snapshot(studio *st) {
  studio_build *b = &st->build;
  pthread_mutex_lock(&b->lock);
  static const char *phases[] = {"idle", "running", "done"};
  json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:i, s:I}", "id", (json_int_t)b->id, "phase",
                        phases[b->phase], "script", b->script, "output", b->output_rel,
                        "exit_code", b->exit_code, "events", (json_int_t)json_array_size(b->events));
  pthread_mutex_unlock(&b->lock);
  return o;
}

void studio_build_close(studio_build *b) {
  pthread_mutex_lock(&b->lock);
  b->closing = true;
  if (b->phase == BUILD_RUNNING && b->pid > 0) {
    kill(-b->pid, SIGINT);
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += 10;
    while (b->phase == BUILD_RUNNING)
      if (pthread_cond_timedwait(&b->cond, &b->lock, &until) == ETIMEDOUT) {
        if (b->pid > 0) kill(-b->pid, SIGKILL);
        until.tv_sec += 10;
      }
  }
  pthread_cond_broadcast(&b->cond);
  pthread_mutex_unlock(&b->lock);
  if (b->reader_started) pthread_join(b->reader, NULL);
  b->reader_started = false;
}

void studio_build_free(studio_build *b) {
  studio_build_close(b); /* a build started while the daemon was stopping */
  json_decref(b->events);
  json_decref(b->nodes);
  b->events = b->nodes = NULL;
  pthread_cond_destroy(&b->cond);
  pthread_mutex_destroy(&b->lock);
}
