/*
** Journal resume tests: a run is killed (SIGKILL) at several points of a paid call — before
** the provider answered, right after the prediction id was journaled, mid-download, or
** while the prediction hangs — or interrupted (SIGINT, leaving or canceling). The next run
** must re-attach instead of paying twice wherever the id is known, and the ledger must say
** what happened. Usage: test_resume NAME.
*/
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "rt_helpers.h"

typedef struct {
  char dir[2048], cache[2200], logp[2200], state[2200];
  json_t *plan;
  const char *a, *b;
} fixture;

static void setup(fixture *f, const char *name) {
  vsc_test_tmpdir(f->dir, sizeof f->dir, name);
  snprintf(f->cache, sizeof f->cache, "%s/cache", f->dir);
  snprintf(f->logp, sizeof f->logp, "%s/calls.jsonl", f->dir);
  snprintf(f->state, sizeof f->state, "%s/server", f->dir);
  f->plan = rt_plan_new(10);
  const char *labels[] = {"a", "b"};
  const char *ids[2];
  for (int i = 0; i < 2; i++) {
    json_t *params = json_pack("{s:s, s:s, s:s, s:i}", "kind", "video", "prompt", labels[i], "label",
                               labels[i], "seed", 1);
    ids[i] = rt_add(f->plan, "generate", params, "acme/v", NULL, 0);
    json_t *n = rt_last(f->plan);
    json_object_set_new(n, "cost", json_pack("{s:f, s:f}", "estimate", i ? 0.5 : 1.0, "max", i ? 0.5 : 1.0));
    json_object_set_new(n, "retry", json_pack("{s:i, s:f}", "attempts", 2, "backoff", 0.01));
  }
  f->a = ids[0];
  f->b = ids[1];
  json_t *params = json_pack("{s:s}", "label", "all");
  const char *c = rt_add(f->plan, "concat", params, NULL, ids, 2);
  json_object_set_new(json_object_get(f->plan, "outputs"), "video", json_string(c));
}

static void teardown(fixture *f) {
  json_decref(f->plan);
  vsc_test_rmtree(f->dir);
}

/* Runs the plan in a child process; returns its pid. */
static pid_t spawn(fixture *f, const char *rules) {
  char cfg[8192];
  snprintf(cfg, sizeof cfg, "{\"latency\": 0.05, \"log\": \"%s\", \"state\": \"%s\", \"rules\": %s}", f->logp,
           f->state, rules);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    vsc_run_install_signals();
    vsc_run_result res;
    int rc = rt_run(f->plan, f->cache, cfg, &res, NULL);
    _exit(rc != 0 ? 100 : (int)res.status);
  }
  return pid;
}

/* Waits until the journal has `n` records of type t (with a prediction, for "started"). */
static bool wait_journal(fixture *f, const char *t, int n, double timeout) {
  double end = vsc_test_now() + timeout;
  while (vsc_test_now() < end) {
    json_t *j = rt_journal(f->cache);
    int c = vsc_test_count(j, "t", t);
    json_decref(j);
    if (c >= n) return true;
    struct timespec ts = {0, 10 * 1000000L};
    nanosleep(&ts, NULL);
  }
  return false;
}

static int child_status(pid_t pid, int *sig) {
  int st = 0;
  waitpid(pid, &st, 0);
  *sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int calls_for(json_t *calls, const char *node, const char *kind) {
  int n = 0;
  size_t i;
  json_t *c;
  json_array_foreach(calls, i, c) {
    if (strcmp(json_string_value(json_object_get(c, "node")), node) == 0 &&
        strcmp(json_string_value(json_object_get(c, "call")), kind) == 0)
      n++;
  }
  return n;
}

/* The second, clean run. */
static void rerun(fixture *f, vsc_run_result *res) {
  char cfg[8192];
  snprintf(cfg, sizeof cfg, "{\"latency\": 0.05, \"log\": \"%s\", \"state\": \"%s\"}", f->logp, f->state);
  CHECK(rt_run(f->plan, f->cache, cfg, res, NULL) == 0, "rerun");
}

/* kill -9 while node a's prediction hangs (its id journaled, b finished). */
static void t_kill_hang(void) {
  fixture f;
  setup(&f, "kill-hang");
  pid_t pid = spawn(&f, "[{\"label\": \"a\", \"hang\": true}]");
  CHECK(wait_journal(&f, "done", 1, 20), "b finished");
  CHECK(wait_journal(&f, "started", 2, 20), "both ids journaled");
  kill(pid, SIGKILL);
  int sig;
  child_status(pid, &sig);
  CHECK(sig == SIGKILL, "killed");
  vsc_run_result res;
  rerun(&f, &res);
  CHECK(res.status == VSC_RUN_OK && res.reattached == 1 && res.provider_calls == 0,
        "status %d reattached %d new calls %d", res.status, res.reattached, res.provider_calls);
  json_t *calls = vsc_test_json_lines(f.logp);
  CHECK(calls_for(calls, f.a, "start") == 1 && calls_for(calls, f.a, "reattach") == 1, "a: one start, one reattach");
  CHECK(calls_for(calls, f.b, "start") == 1 && calls_for(calls, f.b, "reattach") == 0, "b: paid once, cached");
  /* The ledger: both calls succeeded, a's finished by the second build; $1.50 in all. */
  json_t *j = rt_journal(f.cache);
  json_t *ledger = vsc_ledger_build(j);
  json_t *builds = json_object_get(ledger, "builds");
  CHECK(json_array_size(builds) == 2, "two builds in the ledger (%zu)", json_array_size(builds));
  json_t *calls0 = json_object_get(json_array_get(builds, 0), "calls");
  CHECK(json_array_size(calls0) == 2, "build 1 owns both calls");
  size_t i;
  json_t *c;
  json_array_foreach(calls0, i, c) {
    CHECK(strcmp(json_string_value(json_object_get(c, "outcome")), "succeeded") == 0, "call %zu succeeded", i);
    if (strcmp(json_string_value(json_object_get(c, "node")), f.a) == 0)
      CHECK(json_is_string(json_object_get(c, "resumed_by")), "a was resumed by build 2");
  }
  double total = json_number_value(json_object_get(ledger, "total"));
  CHECK(total > 1.5 - 1e-9 && total < 1.5 + 1e-9, "total %.3f", total);
  CHECK(json_array_size(json_object_get(json_array_get(builds, 1), "calls")) == 0, "build 2 paid for nothing new");
  json_decref(ledger);
  json_decref(j);
  json_decref(calls);
  teardown(&f);
}

/* Killed inside start(): the provider took the request but no id reached the journal. The
 * call cannot be found again: it is recorded as lost (possibly paid) and a retried. */
static void t_kill_start(void) {
  fixture f;
  setup(&f, "kill-start");
  pid_t pid = spawn(&f, "[{\"label\": \"a\", \"crash\": \"start\"}]");
  int sig;
  child_status(pid, &sig);
  CHECK(sig == SIGKILL, "crashed in start");
  json_t *j = rt_journal(f.cache);
  CHECK(vsc_test_count(j, "t", "intent") >= 1 && vsc_test_count(j, "t", "started") == 0, "intent journaled before the request");
  json_decref(j);
  vsc_run_result res;
  rerun(&f, &res);
  j = rt_journal(f.cache);
  /* a's create reached the server before the kill: the rebuild finds it by listing and pays
   * nothing again. b's intent, if it was in the same batch, was journaled but never sent:
   * the search proves it absent and only then is it created. */
  CHECK(res.status == VSC_RUN_OK && res.reattached >= 1, "status %d reattached %d", res.status, res.reattached);
  CHECK(vsc_test_count(j, "outcome", "lost") == 0, "nothing is recorded as lost");
  json_t *calls = vsc_test_json_lines(f.logp);
  CHECK(vsc_test_count(calls, "call", "start") == 2, "one create per node in all, not %d", vsc_test_count(calls, "call", "start"));
  json_decref(calls);
  json_t *ledger = vsc_ledger_build(j);
  CHECK(json_number_value(json_object_get(ledger, "unknown_cost")) < 1e-9, "every charge is known: %g",
        json_number_value(json_object_get(ledger, "unknown_cost")));
  json_decref(ledger);
  json_decref(j);
  teardown(&f);
}

/* Killed right after the id was journaled, and mid-download: re-attached both times. */
static void kill_at(const char *name, const char *crash) {
  fixture f;
  setup(&f, name);
  char rules[256];
  snprintf(rules, sizeof rules, "[{\"label\": \"a\", \"crash\": \"%s\"}]", crash);
  pid_t pid = spawn(&f, rules);
  int sig;
  child_status(pid, &sig);
  CHECK(sig == SIGKILL, "crashed at %s", crash);
  vsc_run_result res;
  rerun(&f, &res);
  CHECK(res.status == VSC_RUN_OK && res.reattached >= 1 && res.provider_calls == 0,
        "%s: status %d reattached %d new calls %d", crash, res.status, res.reattached, res.provider_calls);
  json_t *calls = vsc_test_json_lines(f.logp);
  CHECK(calls_for(calls, f.a, "start") == 1 && calls_for(calls, f.a, "reattach") == 1, "%s: a paid once, resumed", crash);
  CHECK(calls_for(calls, f.b, "start") == 1, "%s: b paid once", crash);
  json_decref(calls);
  /* No debris: the partial download of the dead process was removed. */
  char tmpdir[2300];
  snprintf(tmpdir, sizeof tmpdir, "%s/tmp", f.cache);
  DIR *d = opendir(tmpdir);
  int left = 0;
  struct dirent *de;
  while (d && (de = readdir(d)))
    if (de->d_name[0] != '.') left++;
  if (d) closedir(d);
  CHECK(left == 0, "%s: %d temp files left", crash, left);
  char *out = vsc_test_slurp(res.output_object, NULL);
  CHECK(out && strstr(out, f.a), "output has a's generation");
  free(out);
  teardown(&f);
}

static void t_kill_id(void) { kill_at("kill-id", "id"); }
static void t_kill_download(void) { kill_at("kill-dl", "download"); }

/* Ctrl-C while a prediction hangs: left journaled (default) or canceled. */
static void interrupt(bool cancel) {
  fixture f;
  setup(&f, cancel ? "int-cancel" : "int-leave");
  rt_cancel_on_interrupt = cancel;
  pid_t pid = spawn(&f, "[{\"label\": \"a\", \"hang\": true}]");
  CHECK(wait_journal(&f, "started", 2, 20), "ids journaled");
  kill(pid, SIGINT);
  int sig;
  int code = child_status(pid, &sig);
  CHECK(sig == 0 && code == VSC_RUN_INTERRUPTED, "clean stop: exit %d signal %d", code, sig);
  json_t *j = rt_journal(f.cache);
  json_t *calls = vsc_test_json_lines(f.logp);
  if (cancel) {
    CHECK(calls_for(calls, f.a, "cancel") == 1, "a canceled at the provider");
    int canceled = 0;
    size_t i;
    json_t *r;
    json_array_foreach(j, i, r) {
      const char *o = json_string_value(json_object_get(r, "outcome"));
      if (o && strcmp(o, "canceled") == 0) canceled++;
    }
    CHECK(canceled == 1 && vsc_test_count(j, "t", "left") == 0, "journal: canceled %d", canceled);
  } else {
    /* b may still have been in flight too: it is left the same way. */
    CHECK(vsc_test_count(j, "t", "left") >= 1 && calls_for(calls, f.a, "cancel") == 0, "a left running");
  }
  CHECK(vsc_test_count(j, "t", "end") == 1, "the interrupted build closed its journal");
  json_decref(j);
  json_decref(calls);
  vsc_run_result res;
  rt_cancel_on_interrupt = false;
  rerun(&f, &res);
  calls = vsc_test_json_lines(f.logp);
  if (cancel)
    CHECK(res.reattached == 0 && calls_for(calls, f.a, "start") == 2, "canceled: a starts anew");
  else
    CHECK(res.reattached >= 1 && calls_for(calls, f.a, "start") == 1 && calls_for(calls, f.a, "reattach") == 1,
          "left: a resumed, paid once");
  CHECK(res.status == VSC_RUN_OK, "rerun status %d", res.status);
  json_decref(calls);
  teardown(&f);
}

static void t_interrupt_leave(void) { interrupt(false); }
static void t_interrupt_cancel(void) { interrupt(true); }

static const vsc_test_case cases[] = {
#define VSC_TEST_CASE(name) VSC_TEST_ENTRY(t_, name)
#include "test_resume.def"
#undef VSC_TEST_CASE
};

int main(int argc, char **argv) { return vsc_test_main(argc, argv, cases, VSC_TEST_COUNT(cases)); }
