/*
** Runtime tests: scheduler order and concurrency, failure isolation, cache hits/misses and
** corruption recovery, remote concurrency, retry/fallback/degrade/auth paths with the
** journal asserted record by record, and "a second run makes zero provider calls".
** Usage: test_sched NAME (one ctest per NAME).
*/
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "rt_helpers.h"

static json_t *P(const char *label, double sleep_s) {
  json_t *p = json_pack("{s:s}", "label", label);
  if (sleep_s > 0) json_object_set_new(p, "sleep", json_real(sleep_s));
  return p;
}

static void set_output(json_t *plan, const char *id) {
  json_object_set_new(json_object_get(plan, "outputs"), "video", json_string(id));
}

/* A remote generate node with a cost and a retry policy. */
static const char *gen(json_t *plan, const char *label, const char *model, double est, double max,
                       int attempts, const char *const *fallbacks, size_t nfb) {
  json_t *params = json_pack("{s:s, s:s, s:s, s:i}", "kind", "video", "prompt", label, "label",
                             label, "seed", 7);
  const char *id = rt_add(plan, "generate", params, model, NULL, 0);
  json_t *n = rt_last(plan);
  json_object_set_new(n, "cost", json_pack("{s:f, s:f}", "estimate", est, "max", max));
  json_object_set_new(n, "retry", json_pack("{s:i, s:f}", "attempts", attempts, "backoff", 0.02));
  json_t *fb = json_array();
  for (size_t i = 0; i < nfb; i++) json_array_append_new(fb, json_string(fallbacks[i]));
  json_object_set_new(n, "fallbacks", fb);
  json_array_append_new(json_object_get(plan, "scenes"),
                        json_pack("{s:s, s:f, s:f}", "name", label, "start", 0.0, "duration", 1.0));
  return id;
}

/* ---- scheduler -------------------------------------------------------------------------- */

/* a -> {b, c} -> d, plus e independent: every node starts after its inputs ended, and the
 * independent sleepers overlap. */
static void t_order(void) {
  char dir[2048], cache[4200];
  vsc_test_tmpdir(dir, sizeof dir, "order");
  snprintf(cache, sizeof cache, "%s/cache", dir);
  snprintf(rt_exec_log, sizeof rt_exec_log, "%s/exec.jsonl", dir);
  json_t *plan = rt_plan_new(-1);
  const char *a = rt_add(plan, "segment", P("a", 0.1), NULL, NULL, 0);
  const char *b = rt_add(plan, "segment", P("b", 0.5), NULL, &a, 1);
  const char *c = rt_add(plan, "segment", P("c", 0.5), NULL, &a, 1);
  const char *e = rt_add(plan, "segment", P("e", 0.5), NULL, NULL, 0);
  const char *bc[] = {b, c, e};
  const char *d = rt_add(plan, "concat", P("d", 0), NULL, bc, 3);
  set_output(plan, d);
  vsc_run_result res;
  double t0 = vsc_test_now();
  CHECK(rt_run(plan, cache, "{}", &res, NULL) == 0, "run");
  double wall = vsc_test_now() - t0;
  CHECK(res.status == VSC_RUN_OK, "status %d", res.status);
  CHECK(res.executed == 5, "executed %d", res.executed);
  char *out = vsc_test_slurp(res.output_object, NULL);
  CHECK(out && strcmp(out, "concat[d](segment[b](segment[a]())+segment[c](segment[a]())+segment[e]())") == 0,
        "output '%s'", out ? out : "(null)");
  free(out);
  /* Dependencies respected. */
  json_t *log = vsc_test_json_lines(rt_exec_log);
  double t[5][2] = {{0}};
  const char *labels = "abced";
  size_t i;
  json_t *rec;
  json_array_foreach(log, i, rec) {
    const char *l = json_string_value(json_object_get(rec, "label"));
    const char *p = l ? strchr(labels, l[0]) : NULL;
    if (!p) continue;
    t[p - labels][0] = json_number_value(json_object_get(rec, "t0"));
    t[p - labels][1] = json_number_value(json_object_get(rec, "t1"));
  }
  CHECK(t[1][0] >= t[0][1] && t[2][0] >= t[0][1], "b and c start after a ends");
  CHECK(t[4][0] >= t[1][1] && t[4][0] >= t[2][1] && t[4][0] >= t[3][1], "d starts after b, c, e");
  /* b, c and e (0.5 s each) overlap on 4 workers: 0.6 s, where one at a time takes 1.6 s. */
  CHECK(wall < 1.2, "wall %.2fs: independent nodes did not overlap", wall);
  json_decref(log);
  json_decref(plan);
  rt_exec_log[0] = 0;
  vsc_test_rmtree(dir);
}

/* A failing node stops only its dependents; the other branch completes and is cached. */
static void t_isolation(void) {
  char dir[2048], cache[4200];
  vsc_test_tmpdir(dir, sizeof dir, "iso");
  snprintf(cache, sizeof cache, "%s/cache", dir);
  json_t *plan = rt_plan_new(-1);
  json_t *bad = P("bad", 0);
  json_object_set_new(bad, "fail", json_true());
  const char *x = rt_add(plan, "segment", bad, NULL, NULL, 0);
  const char *y = rt_add(plan, "segment", P("y", 0), NULL, &x, 1);
  const char *g = rt_add(plan, "segment", P("good", 0.05), NULL, NULL, 0);
  const char *h = rt_add(plan, "segment", P("good2", 0), NULL, &g, 1);
  const char *both[] = {y, h};
  const char *z = rt_add(plan, "concat", P("z", 0), NULL, both, 2);
  set_output(plan, z);
  vsc_run_result res;
  CHECK(rt_run(plan, cache, "{}", &res, NULL) == 0, "run");
  CHECK(res.status == VSC_RUN_FAILED, "status %d", res.status);
  CHECK(res.failed == 1, "failed %d", res.failed);
  CHECK(res.executed == 2, "the good branch ran: executed %d", res.executed);
  /* The good branch is in the cache: a second run re-executes only the failing one. */
  CHECK(rt_run(plan, cache, "{}", &res, NULL) == 0, "run 2");
  CHECK(res.executed == 0 && res.cached >= 1 && res.failed == 1, "run 2: executed %d cached %d failed %d",
        res.executed, res.cached, res.failed);
  json_decref(plan);
  vsc_test_rmtree(dir);
}

/* A case's temporary directory, and the cache in it. */
static void case_dirs(const char *name, char *dir, size_t ndir, char *cache, size_t ncache) {
  vsc_test_tmpdir(dir, ndir, name);
  snprintf(cache, ncache, "%s/cache", dir);
}

/* A transition segment names its two scenes (the IR's `between`) wherever a node is told:
 * its JSON node events and the report's failed event carry "between", its plain lines say
 * "transition a -> b" where a scene's say "scene a". */
static char *run_told(const json_t *plan, const char *cache, const char *log, vsc_progress_mode mode) {
  vsc_test_rmtree(cache);
  FILE *f = fopen(log, "w");
  if (!f) return NULL;
  rt_progress = mode;
  rt_progress_out = f;
  vsc_run_result res;
  int rc = rt_run(plan, cache, "{}", &res, NULL);
  rt_progress = VSC_PROGRESS_AUTO;
  rt_progress_out = NULL;
  fclose(f);
  CHECK(rc == 0 && res.status == VSC_RUN_FAILED && res.failed >= 1, "run: rc %d status %d failed %d", rc, res.status,
        res.failed);
  return vsc_test_slurp(log, NULL);
}

static void t_transition_names(void) {
  char dir[2048], cache[4200], log[4200], want[400];
  case_dirs("tnames", dir, sizeof dir, cache, sizeof cache);
  json_t *plan = rt_plan_new(-1);
  const char *a = rt_add(plan, "segment", P("sa", 0), NULL, NULL, 0);
  json_t *tp = P("sa-sb", 0);
  json_object_set_new(tp, "fail", json_true());
  const char *t = rt_add(plan, "segment", tp, NULL, NULL, 0);
  json_object_del(rt_last(plan), "scene");
  json_object_set_new(rt_last(plan), "between", json_pack("[ss]", "sa", "sb"));
  const char *both[] = {a, t};
  set_output(plan, rt_add(plan, "concat", P("c", 0), NULL, both, 2));
  char *text = NULL;

  snprintf(log, sizeof log, "%s/json.log", dir);
  text = run_told(plan, cache, log, VSC_PROGRESS_JSON);
  REQUIRE(text, "no JSON progress");
  json_t *events = vsc_test_json_lines(log);
  int told = 0, failed = 0;
  size_t i;
  json_t *ev;
  json_array_foreach(events, i, ev) {
    const char *id = json_string_value(json_object_get(ev, "node"));
    if (!id || strcmp(id, t) != 0) continue;
    const json_t *between = json_object_get(ev, "between");
    CHECK(json_array_size(between) == 2 && !strcmp(json_string_value(json_array_get(between, 0)), "sa") &&
              !strcmp(json_string_value(json_array_get(between, 1)), "sb") && !json_object_get(ev, "scene"),
          "event %zu of the transition: %s", i, text);
    const char *kind = json_string_value(json_object_get(ev, "event"));
    if (kind && !strcmp(kind, "node")) told++;
    if (kind && !strcmp(kind, "failed")) failed++;
  }
  CHECK(told == 2, "node events of the transition (running, failed): %d", told);
  CHECK(failed == 1, "failed events of the transition in the report: %d", failed);
  json_decref(events);
  free(text);

  snprintf(log, sizeof log, "%s/plain.log", dir);
  text = run_told(plan, cache, log, VSC_PROGRESS_PLAIN);
  REQUIRE(text, "no plain progress");
  snprintf(want, sizeof want, "\nrunning   segment  %.10s transition sa -> sb\n", t);
  CHECK(strstr(text, want), "no '%s' in:\n%s", want + 1, text);
  snprintf(want, sizeof want, "\nfailed    segment  %.10s transition sa -> sb: local: scripted local failure\n", t);
  CHECK(strstr(text, want), "no '%s' in:\n%s", want + 1, text);
  snprintf(want, sizeof want, "\nfailed: segment %.12s transition sa -> sb: local: scripted local failure\n", t);
  CHECK(strstr(text, want), "no '%s' in:\n%s", want + 1, text);
  snprintf(want, sizeof want, "segment  %.10s scene sa", a);
  CHECK(strstr(text, want), "no '%s' in:\n%s", want, text);
out:
  free(text);
  json_decref(plan);
  vsc_test_rmtree(dir);
}

/* ---- cache ------------------------------------------------------------------------------ */

static json_t *chain_plan(const char *leaf_label, const char **ids) {
  json_t *plan = rt_plan_new(-1);
  ids[0] = rt_add(plan, "segment", P(leaf_label, 0), NULL, NULL, 0);
  ids[1] = rt_add(plan, "segment", P("other", 0), NULL, NULL, 0);
  const char *in[] = {ids[0], ids[1]};
  ids[2] = rt_add(plan, "concat", P("c", 0), NULL, in, 2);
  ids[3] = rt_add(plan, "mux", P("m", 0), NULL, &ids[2], 1);
  set_output(plan, ids[3]);
  return plan;
}

static void t_cache(void) {
  char dir[2048], cache[4200];
  case_dirs("cache", dir, sizeof dir, cache, sizeof cache);
  const char *ids[4];
  json_t *plan = chain_plan("leaf", ids);
  vsc_run_result res;
  CHECK(rt_run(plan, cache, "{}", &res, NULL) == 0 && res.executed == 4, "miss: executed %d", res.executed);
  /* Hit: the root is found and nothing else is even looked at. */
  CHECK(rt_run(plan, cache, "{}", &res, NULL) == 0, "run 2");
  CHECK(res.executed == 0 && res.cached == 1 && res.status == VSC_RUN_OK, "hit: executed %d cached %d",
        res.executed, res.cached);
  /* An edit of one leaf re-runs the path to the root only. */
  json_t *plan2 = chain_plan("leaf2", ids);
  CHECK(rt_run(plan2, cache, "{}", &res, NULL) == 0, "run 3");
  CHECK(res.executed == 3 && res.cached == 1, "edit: executed %d cached %d", res.executed, res.cached);
  json_decref(plan2);
  json_decref(plan);
  vsc_test_rmtree(dir);
}

/* A stop asked for before a run (SIGTERM between two rows of a batch worker) is not
 * forgotten when the run starts: nothing runs, and the run says it was interrupted. */
static void t_stop_before(void) {
  char dir[2048], cache[4200];
  case_dirs("stop_before", dir, sizeof dir, cache, sizeof cache);
  vsc_run_install_signals();
  const char *ids[4];
  json_t *plan = chain_plan("leaf", ids);
  raise(SIGTERM);
  vsc_run_result res;
  CHECK(rt_run(plan, cache, "{}", &res, NULL) == 0, "run");
  CHECK(res.status == VSC_RUN_INTERRUPTED && res.executed == 0, "status %d, executed %d", (int)res.status,
        res.executed);
  json_decref(plan);
  vsc_test_rmtree(dir);
}

static void flip_byte(const char *path, long off, bool keep_mtime) {
  struct stat st;
  stat(path, &st);
  int fd = open(path, O_RDWR);
  unsigned char c = 0;
  if (pread(fd, &c, 1, off) != 1) c = 0;
  c ^= 0xff;
  if (pwrite(fd, &c, 1, off) != 1) fprintf(stderr, "pwrite failed\n");
  close(fd);
  if (keep_mtime) {
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    utimensat(AT_FDCWD, path, ts, 0);
  }
}

/* Truncated, bit-flipped and missing objects are detected, reported, deleted and rebuilt. */
static void t_corrupt(void) {
  char dir[2048], cache[4200];
  vsc_test_tmpdir(dir, sizeof dir, "corrupt");
  snprintf(cache, sizeof cache, "%s/cache", dir);
  const char *ids[4];
  json_t *plan = chain_plan("leaf", ids);
  vsc_run_result res;
  CHECK(rt_run(plan, cache, "{}", &res, NULL) == 0 && res.executed == 4, "first run");
  char *good = vsc_test_slurp(res.output_object, NULL);
  vsc_cache *c = NULL;
  char err[256], why[256];
  CHECK(vsc_cache_open(&c, cache, err, sizeof err) == 0, "open: %s", err);
  vsc_cache_entry e;

  /* 1. Truncated root: detected by size, deleted, rebuilt from the cached concat. */
  CHECK(vsc_cache_peek(c, ids[3], &e) == 1, "root entry");
  CHECK(truncate(e.path, 3) == 0, "truncate");
  vsc_cache_entry_clear(&e);
  CHECK(rt_run(plan, cache, "{}", &res, NULL) == 0, "run 2");
  CHECK(res.executed == 1 && res.cached == 1, "truncated root: executed %d cached %d", res.executed, res.cached);
  char *again = vsc_test_slurp(res.output_object, NULL);
  CHECK(good && again && strcmp(good, again) == 0, "rebuilt output equals the original");
  free(again);

  /* 2. Same-size bit flip in a small object: caught by the hash on read. */
  CHECK(vsc_cache_peek(c, ids[3], &e) == 1, "root entry");
  flip_byte(e.path, 0, true);
  vsc_cache_entry_clear(&e);
  CHECK(vsc_cache_lookup(c, ids[3], false, &e, why, sizeof why) == VSC_CACHE_CORRUPT, "flip detected");
  CHECK(strstr(why, "content hash") != NULL, "why: %s", why);
  CHECK(vsc_cache_peek(c, ids[3], &e) == 0, "corrupt object deleted");

  /* 3. Missing intermediate + missing root: both rebuilt, leaves reused. */
  CHECK(vsc_cache_peek(c, ids[2], &e) == 1, "concat entry");
  unlink(e.path);
  vsc_cache_entry_clear(&e);
  CHECK(rt_run(plan, cache, "{}", &res, NULL) == 0, "run 3");
  CHECK(res.executed == 2 && res.cached == 2, "missing concat: executed %d cached %d", res.executed, res.cached);

  /* 4. A big object: a bit flip that keeps size and mtime is not re-hashed on an ordinary
   * read (the documented trade-off), a touched one is, and a full verify always is. */
  char tmp[4096], big_key[65];
  memset(big_key, 'b', 64);
  big_key[64] = 0;
  CHECK(vsc_cache_tmp_path(c, big_key, "bin", tmp, sizeof tmp) == 0, "tmp path");
  FILE *f = fopen(tmp, "wb");
  for (int i = 0; i < (int)(VSC_CACHE_REHASH_LIMIT / 1024) + 64; i++) {
    char block[1024];
    memset(block, 'x' + (i % 3), sizeof block);
    fwrite(block, 1, sizeof block, f);
  }
  fclose(f);
  CHECK(vsc_cache_commit(c, big_key, tmp, "bin", NULL, &e, err, sizeof err) == 0, "commit big: %s", err);
  char bigpath[4096];
  snprintf(bigpath, sizeof bigpath, "%s", e.path);
  vsc_cache_entry_clear(&e);
  flip_byte(bigpath, 5000, true);
  CHECK(vsc_cache_lookup(c, big_key, false, &e, why, sizeof why) == VSC_CACHE_HIT, "stat-trusted read");
  vsc_cache_entry_clear(&e);
  CHECK(vsc_cache_lookup(c, big_key, true, &e, why, sizeof why) == VSC_CACHE_CORRUPT, "full verify catches it");
  CHECK(vsc_cache_commit(c, big_key, tmp, "bin", NULL, &e, err, sizeof err) != 0, "temp was consumed");
  vsc_cache_close(c);
  free(good);
  json_decref(plan);
  vsc_test_rmtree(dir);
}

/* ---- remote ------------------------------------------------------------------------------ */

/* 8 independent remote generations of 0.4 s each finish in about one latency, and a second
 * run makes zero provider calls. */
static void t_remote(void) {
  char dir[2048], cache[4200], cfg[8400], logp[4300];
  vsc_test_tmpdir(dir, sizeof dir, "remote");
  snprintf(cache, sizeof cache, "%s/cache", dir);
  snprintf(logp, sizeof logp, "%s/calls.jsonl", dir);
  snprintf(cfg, sizeof cfg, "{\"latency\": 0.4, \"log\": \"%s\"}", logp);
  json_t *plan = rt_plan_new(10);
  const char *g[8];
  for (int i = 0; i < 8; i++) {
    char label[16];
    snprintf(label, sizeof label, "s%d", i);
    g[i] = gen(plan, label, "acme/video", 0.1, 0.2, 3, NULL, 0);
  }
  const char *c = rt_add(plan, "concat", P("all", 0), NULL, g, 8);
  set_output(plan, c);
  vsc_run_result res;
  double t0 = vsc_test_now();
  CHECK(rt_run(plan, cache, cfg, &res, NULL) == 0, "run");
  double wall = vsc_test_now() - t0;
  CHECK(res.status == VSC_RUN_OK && res.provider_calls == 8, "status %d calls %d", res.status, res.provider_calls);
  /* One at a time would take 3.2 s; the margin absorbs sanitizer builds and a busy CI. */
  CHECK(wall < 0.4 * 2, "8 x 0.4 s predictions took %.2fs", wall);
  CHECK(res.spent > 0.8 - 1e-9 && res.spent < 0.8 + 1e-9, "spent %.3f", res.spent);
  json_t *calls = vsc_test_json_lines(logp);
  CHECK(json_array_size(calls) == 8, "calls %zu", json_array_size(calls));
  json_decref(calls);
  CHECK(rt_run(plan, cache, cfg, &res, NULL) == 0, "run 2");
  calls = vsc_test_json_lines(logp);
  CHECK(json_array_size(calls) == 8 && res.provider_calls == 0 && res.executed == 0,
        "second run: %zu provider calls in the log, %d executed", json_array_size(calls), res.executed);
  json_decref(calls);
  json_decref(plan);
  vsc_test_rmtree(dir);
}

static const char *const JFIELDS[] = {"model", "attempt", "outcome", "kind", "estimate", "reserved", "cost", "from", "to", NULL};

/* Transient failure with Retry-After, then success: exact journal. */
static void t_retry(void) {
  char dir[2048], cache[4200], cfg[8400];
  vsc_test_tmpdir(dir, sizeof dir, "retry");
  snprintf(cache, sizeof cache, "%s/cache", dir);
  snprintf(cfg, sizeof cfg,
           "{\"latency\": 0.01, \"rules\": [{\"attempt\": 1, \"fail\": \"transient\", \"retry_after\": 0.3},"
           " {\"attempt\": 2, \"fail\": \"transient\"}]}");
  json_t *plan = rt_plan_new(1);
  const char *g = gen(plan, "sunrise", "acme/video", 0.25, 0.5, 3, NULL, 0);
  set_output(plan, g);
  vsc_run_result res;
  double t0 = vsc_test_now();
  CHECK(rt_run(plan, cache, cfg, &res, NULL) == 0, "run");
  double wall = vsc_test_now() - t0;
  CHECK(res.status == VSC_RUN_OK && res.provider_calls == 3, "status %d calls %d", res.status, res.provider_calls);
  CHECK(wall >= 0.3, "Retry-After 0.3 s honoured (wall %.2fs)", wall);
  json_t *j = rt_journal(cache);
  char *text = rt_journal_text(j, JFIELDS);
  const char *want =
      "build\n"
      "intent model=\"acme/video\" attempt=1 estimate=0.25 reserved=0.5\n"
      "started\n"
      "done outcome=\"failed\" kind=\"transient\" cost=0.0\n"
      "retry model=\"acme/video\" attempt=2 kind=\"transient\"\n"
      "intent model=\"acme/video\" attempt=2 estimate=0.25 reserved=0.5\n"
      "started\n"
      "done outcome=\"failed\" kind=\"transient\" cost=0.0\n"
      "retry model=\"acme/video\" attempt=3 kind=\"transient\"\n"
      "intent model=\"acme/video\" attempt=3 estimate=0.25 reserved=0.5\n"
      "started\n"
      "done outcome=\"succeeded\" cost=0.25\n"
      "end\n";
  CHECK(strcmp(text, want) == 0, "journal:\n%s\nwanted:\n%s", text, want);
  /* The delays: the first is Retry-After, the second 2x the backoff with jitter. */
  size_t i;
  json_t *r;
  int k = 0;
  json_array_foreach(j, i, r) {
    if (strcmp(json_string_value(json_object_get(r, "t")), "retry") != 0) continue;
    double d = json_number_value(json_object_get(r, "delay"));
    if (k == 0) CHECK(d >= 0.3 - 1e-9 && d < 0.31, "first delay %.3f", d);
    if (k == 1) CHECK(d >= 0.04 * 0.75 - 1e-9 && d <= 0.04 * 1.25 + 1e-9, "second delay %.3f", d);
    k++;
  }
  /* Each record carries the call that ties intent, id and outcome together. */
  json_array_foreach(j, i, r) {
    const char *t = json_string_value(json_object_get(r, "t"));
    if (strcmp(t, "started") == 0) CHECK(json_is_string(json_object_get(r, "prediction")), "started has the id");
  }
  free(text);
  json_decref(j);
  json_decref(plan);
  vsc_test_rmtree(dir);
}

/* Policy refusal → fallback model; transient exhaustion of every model → degrade to a
 * placeholder card, a partial result and a manifest naming the scene. */
static void t_fallback_degrade(void) {
  char dir[2048], cache[4200], cfg[8400], out[4300];
  vsc_test_tmpdir(dir, sizeof dir, "fallback");
  snprintf(cache, sizeof cache, "%s/cache", dir);
  snprintf(out, sizeof out, "%s/out.mp4", dir);
  snprintf(cfg, sizeof cfg,
           "{\"latency\": 0.01, \"rules\": [{\"label\": \"pour\", \"model\": \"acme/premium\", \"fail\": \"policy\"},"
           " {\"label\": \"end\", \"fail\": \"transient\"}]}");
  json_t *plan = rt_plan_new(5);
  const char *fb[] = {"acme/fast"};
  const char *a = gen(plan, "pour", "acme/premium", 0.5, 1.0, 3, fb, 1);
  const char *b = gen(plan, "end", "acme/premium", 0.5, 1.0, 2, fb, 1);
  const char *ab[] = {a, b};
  const char *c = rt_add(plan, "concat", P("all", 0), NULL, ab, 2);
  set_output(plan, c);
  vsc_run_result res;
  CHECK(rt_run(plan, cache, cfg, &res, out) == 0, "run");
  CHECK(res.status == VSC_RUN_PARTIAL && res.degraded == 1, "status %d degraded %d", res.status, res.degraded);
  char *video = vsc_test_slurp(out, NULL);
  CHECK(video && strstr(video, "model=acme/fast prediction=") && strstr(video, "card[scene end could not be generated: acme/fast: test provider: scripted transient failure of acme/fast]"),
        "output: %s", video ? video : "(none)");
  free(video);
  json_t *j = rt_journal(cache);
  json_t *pour = json_array(), *end = json_array();
  size_t i;
  json_t *r;
  /* Split the records by node (calls are matched through their intents). */
  json_t *callnode = json_object();
  json_array_foreach(j, i, r) {
    const char *t = json_string_value(json_object_get(r, "t"));
    const char *node = json_string_value(json_object_get(r, "node"));
    const char *call = json_string_value(json_object_get(r, "call"));
    if (strcmp(t, "intent") == 0) json_object_set_new(callnode, call, json_string(node));
    if (!node && call) node = json_string_value(json_object_get(callnode, call));
    if (!node) continue;
    json_array_append(strcmp(node, a) == 0 ? pour : end, r);
  }
  char *tp = rt_journal_text(pour, JFIELDS), *te = rt_journal_text(end, JFIELDS);
  const char *want_pour =
      "intent model=\"acme/premium\" attempt=1 estimate=0.5 reserved=1.0\n"
      "started\n"
      "done outcome=\"failed\" kind=\"policy\" cost=0.0\n"
      "fallback kind=\"policy\" from=\"acme/premium\" to=\"acme/fast\"\n"
      "intent model=\"acme/fast\" attempt=1 estimate=0.5 reserved=1.0\n"
      "started\n"
      "done outcome=\"succeeded\" cost=0.5\n";
  const char *want_end =
      "intent model=\"acme/premium\" attempt=1 estimate=0.5 reserved=1.0\n"
      "started\n"
      "done outcome=\"failed\" kind=\"transient\" cost=0.0\n"
      "retry model=\"acme/premium\" attempt=2 kind=\"transient\"\n"
      "intent model=\"acme/premium\" attempt=2 estimate=0.5 reserved=1.0\n"
      "started\n"
      "done outcome=\"failed\" kind=\"transient\" cost=0.0\n"
      "fallback kind=\"transient\" from=\"acme/premium\" to=\"acme/fast\"\n"
      "intent model=\"acme/fast\" attempt=1 estimate=0.5 reserved=1.0\n"
      "started\n"
      "done outcome=\"failed\" kind=\"transient\" cost=0.0\n"
      "retry model=\"acme/fast\" attempt=2 kind=\"transient\"\n"
      "intent model=\"acme/fast\" attempt=2 estimate=0.5 reserved=1.0\n"
      "started\n"
      "done outcome=\"failed\" kind=\"transient\" cost=0.0\n"
      "degrade\n";
  CHECK(strcmp(tp, want_pour) == 0, "pour journal:\n%s\nwanted:\n%s", tp, want_pour);
  CHECK(strcmp(te, want_end) == 0, "end journal:\n%s\nwanted:\n%s", te, want_end);
  free(tp);
  free(te);
  /* The manifest names the degraded scene and why. */
  char mpath[4400];
  snprintf(mpath, sizeof mpath, "%s.json", out);
  json_t *m = json_load_file(mpath, 0, NULL);
  CHECK(m != NULL, "manifest written");
  json_t *scenes = json_object_get(m, "scenes");
  json_t *s1 = json_array_get(scenes, 1), *s0 = json_array_get(scenes, 0);
  CHECK(json_is_true(json_object_get(s1, "degraded")) && strstr(json_string_value(json_object_get(s1, "reason")) ?: "", "transient"),
        "scene end degraded with a reason");
  json_t *g0 = json_array_get(json_object_get(s0, "generations"), 0);
  CHECK(strcmp(json_string_value(json_object_get(g0, "model")) ?: "", "acme/fast") == 0 &&
            json_is_string(json_object_get(g0, "prediction")) && json_integer_value(json_object_get(g0, "seed")) == 7 &&
            json_is_false(json_object_get(g0, "cache_hit")),
        "scene pour: model, prediction, seed, cache_hit");
  json_decref(m);
  /* Next run: the real generation is tried again (the placeholder is not the node's output). */
  vsc_run_result res2;
  CHECK(rt_run(plan, cache, "{\"latency\": 0.01}", &res2, out) == 0, "run 2");
  CHECK(res2.status == VSC_RUN_OK && res2.provider_calls == 1, "run 2: status %d calls %d", res2.status, res2.provider_calls);
  json_decref(callnode);
  json_decref(pour);
  json_decref(end);
  json_decref(j);
  json_decref(plan);
  vsc_test_rmtree(dir);
}

/* An auth error stops the build: nothing more is started. */
static void t_auth(void) {
  char dir[2048], cache[4200], cfg[8400], logp[4300];
  vsc_test_tmpdir(dir, sizeof dir, "auth");
  snprintf(cache, sizeof cache, "%s/cache", dir);
  snprintf(logp, sizeof logp, "%s/calls.jsonl", dir);
  snprintf(cfg, sizeof cfg, "{\"latency\": 0.01, \"log\": \"%s\", \"rules\": [{\"label\": \"a\", \"fail\": \"auth\"}]}", logp);
  json_t *plan = rt_plan_new(-1);
  const char *a = gen(plan, "a", "acme/v", 0.1, 0.1, 3, NULL, 0);
  const char *b = rt_add(plan, "segment", P("after-a", 0.1), NULL, &a, 1);
  const char *ids[] = {b, NULL};
  ids[1] = gen(plan, "b", "acme/v", 0.1, 0.1, 3, NULL, 0);
  const char *c = rt_add(plan, "concat", P("all", 0), NULL, ids, 2);
  set_output(plan, c);
  vsc_run_result res;
  vsc_run_options o = VSC_RUN_OPTIONS_INIT;
  (void)o;
  CHECK(rt_run(plan, cache, cfg, &res, NULL) == 0, "run");
  CHECK(res.status == VSC_RUN_AUTH, "status %d", res.status);
  json_t *calls = vsc_test_json_lines(logp);
  CHECK(vsc_test_count(calls, "call", "start") <= 2, "no retry after an auth error");
  json_t *j = rt_journal(cache);
  CHECK(vsc_test_count(j, "t", "retry") == 0 && vsc_test_count(j, "t", "fallback") == 0 && vsc_test_count(j, "t", "degrade") == 0,
        "auth: no retry, fallback or degrade");
  json_decref(j);
  json_decref(calls);
  json_decref(plan);
  vsc_test_rmtree(dir);
}

/* ---- nodes run in parts ------------------------------------------------------------------ */

/* params.parts = N: N copies "ID.k" labelled "LABEL/k" (the shape of vsc_comp_segment_split). */
static json_t *split_by_param(const json_t *node) {
  int n = (int)json_integer_value(json_object_get(json_object_get(node, "params"), "parts"));
  if (n < 1) return NULL;
  json_t *parts = json_array();
  for (int k = 1; k <= n; k++) {
    json_t *part = json_deep_copy(node);
    json_t *p = json_object_get(part, "params");
    char id[200], label[100];
    snprintf(id, sizeof id, "%s.%d", json_string_value(json_object_get(node, "id")), k);
    snprintf(label, sizeof label, "%s/%d", json_string_value(json_object_get(p, "label")), k);
    json_object_set_new(part, "id", json_string(id));
    json_object_set_new(p, "label", json_string(label));
    json_object_del(p, "parts");
    json_object_set_new(part, "part", json_pack("{s:s, s:i, s:i}", "of", json_string_value(json_object_get(node, "id")), "index", k - 1, "count", n));
    json_array_append_new(parts, part);
  }
  return parts;
}

/* a -> long (in 3 parts) -> d: the parts run side by side on the node's input, the node's
 * object is their join in order; a second run is one cache hit; a single part is no split. */
static void t_parts(void) {
  char dir[2048], cache[4200];
  vsc_test_tmpdir(dir, sizeof dir, "parts");
  snprintf(cache, sizeof cache, "%s/cache", dir);
  snprintf(rt_exec_log, sizeof rt_exec_log, "%s/exec.jsonl", dir);
  rt_split = split_by_param;
  json_t *plan = rt_plan_new(-1);
  const char *a = rt_add(plan, "segment", P("a", 0), NULL, NULL, 0);
  json_t *lp = P("long", 0.4);
  json_object_set_new(lp, "parts", json_integer(3));
  const char *l = rt_add(plan, "segment", lp, NULL, &a, 1);
  json_t *sp = P("single", 0);
  json_object_set_new(sp, "parts", json_integer(1));
  const char *one = rt_add(plan, "segment", sp, NULL, &a, 1);
  const char *ins[] = {l, one};
  const char *d = rt_add(plan, "concat", P("d", 0), NULL, ins, 2);
  set_output(plan, d);
  vsc_run_result res;
  CHECK(rt_run(plan, cache, "{}", &res, NULL) == 0, "run");
  CHECK(res.status == VSC_RUN_OK, "status %d", res.status);
  CHECK(res.executed == 7, "a, 3 parts, their join, single, d: executed %d", res.executed);
  char *out = vsc_test_slurp(res.output_object, NULL);
  CHECK(out && strcmp(out, "concat[d](segment[long](segment[long/1](segment[a]())+segment[long/2](segment[a]())+"
                           "segment[long/3](segment[a]()))+segment[single](segment[a]()))") == 0,
        "output '%s'", out ? out : "(null)");
  free(out);
  /* The three parts overlapped (4 pool threads). */
  json_t *log = vsc_test_json_lines(rt_exec_log);
  double last_start = 0, first_end = 1e30;
  int nparts = 0;
  size_t i;
  json_t *rec;
  json_array_foreach(log, i, rec) {
    const char *label = json_string_value(json_object_get(rec, "label"));
    if (!label || strncmp(label, "long/", 5) != 0) continue;
    nparts++;
    double t0 = json_number_value(json_object_get(rec, "t0")), t1 = json_number_value(json_object_get(rec, "t1"));
    if (t0 > last_start) last_start = t0;
    if (t1 < first_end) first_end = t1;
  }
  CHECK(nparts == 3 && last_start < first_end, "%d parts, running side by side", nparts);
  json_decref(log);
  /* Again: the output is in the cache, nothing runs. */
  CHECK(rt_run(plan, cache, "{}", &res, NULL) == 0, "run 2");
  CHECK(res.status == VSC_RUN_OK && res.executed == 0, "second run executed %d", res.executed);
  rt_split = NULL;
  rt_exec_log[0] = 0;
  json_decref(plan);
  vsc_test_rmtree(dir);
}

/* Two chunks, "LABEL/1" and "LABEL/2", the second moved 2 s on the timeline: 2 s and the
 * rest of the duration (when the node has one). */
static json_t *split_in_two(const json_t *node) {
  const json_t *p = json_object_get(node, "params");
  if (!json_is_integer(json_object_get(p, "parts"))) return NULL;
  json_t *parts = json_array();
  for (int k = 0; k < 2; k++) {
    json_t *part = json_deep_copy(node);
    json_t *pp = json_object_get(part, "params");
    char id[200], label[100];
    snprintf(id, sizeof id, "%s.%d", json_string_value(json_object_get(node, "id")), k + 1);
    snprintf(label, sizeof label, "%s/%d", json_string_value(json_object_get(pp, "label")), k + 1);
    json_object_set_new(part, "id", json_string(id));
    json_object_set_new(pp, "label", json_string(label));
    json_object_set_new(pp, "t0", json_real(json_number_value(json_object_get(pp, "t0")) + 2.0 * k));
    json_t *dur = json_object_get(pp, "duration");
    if (json_is_number(dur)) json_object_set_new(pp, "duration", json_real(k == 0 ? 2.0 : json_number_value(dur) - 2.0));
    json_object_del(pp, "parts");
    json_object_set_new(part, "part", json_pack("{s:s, s:i, s:i}", "of", json_string_value(json_object_get(node, "id")), "index", k, "count", 2));
    json_array_append_new(parts, part);
  }
  return parts;
}

/* The labels of the executed nodes that `keep` accepts, in the order they started
 * (rt_exec_log), space-separated. */
static void start_order(char *order, size_t n, int (*keep)(const char *label)) {
  json_t *log = vsc_test_json_lines(rt_exec_log);
  order[0] = 0;
  double last = -1;
  for (;;) {
    const char *next = NULL;
    double best = 1e300;
    size_t i;
    json_t *rec;
    json_array_foreach(log, i, rec) {
      double t0 = json_number_value(json_object_get(rec, "t0"));
      const char *label = json_string_value(json_object_get(rec, "label"));
      if (label && keep(label) && t0 > last && t0 < best) {
        best = t0;
        next = label;
      }
    }
    if (!next) break;
    last = best;
    snprintf(order + strlen(order), n - strlen(order), "%s%s", order[0] ? " " : "", next);
  }
  json_decref(log);
}
static int chunk_or_transition(const char *label) { return strchr(label, '/') || label[0] == 't'; }
static int not_concat_or_whole_body(const char *label) { return strcmp(label, "d") && strcmp(label, "b3"); }

/* Pieces of the picture on one worker, in the pool's order: the first scene whole first;
 * then a body's second chunk after the next body's first, a transition after the first
 * chunk of the body after its incoming one (so a chunk follows the chunk before it on the
 * same clip, and a transition the end of its outgoing clip); the rest in timeline order,
 * except that the last body's chunks come before the transitions left, and the transition
 * into it after them (the run ends with short jobs, not with one core encoding a chunk
 * alone). */
static void t_timeline(void) {
  char dir[2048], cache[4200];
  vsc_test_tmpdir(dir, sizeof dir, "timeline");
  snprintf(cache, sizeof cache, "%s/cache", dir);
  snprintf(rt_exec_log, sizeof rt_exec_log, "%s/exec.jsonl", dir);
  rt_split = split_in_two;
  rt_jobs = 1;
  json_t *plan = rt_plan_new(-1);
  const char *ids[7];
  for (int k = 0; k < 7; k++) {
    char label[8];
    int body = k % 2 == 0;
    snprintf(label, sizeof label, body ? "b%d" : "t%d%d", body ? k / 2 + 1 : k / 2 + 1, k / 2 + 2);
    json_t *p = P(label, 0);
    json_object_set_new(p, "kind", json_string(body ? "body" : "transition"));
    json_object_set_new(p, "t0", json_real(5.0 * (k / 2) + (body ? (k ? 0.25 : 0) : 4.75)));
    json_object_set_new(p, "duration", json_real(body ? 4.5 : 0.5));
    if (body) json_object_set_new(p, "parts", json_integer(2));
    ids[k] = rt_add(plan, "segment", p, NULL, NULL, 0);
  }
  const char *d = rt_add(plan, "concat", P("d", 0), NULL, ids, 7);
  set_output(plan, d);
  vsc_run_result res;
  CHECK(rt_run(plan, cache, "{}", &res, NULL) == 0 && res.status == VSC_RUN_OK, "run");
  char order[200];
  start_order(order, sizeof order, chunk_or_transition);
  CHECK(strcmp(order, "b1/1 b1/2 b2/1 b3/1 b2/2 t12 b4/1 b3/2 b4/2 t23 t34") == 0, "order '%s'", order);
  rt_split = NULL;
  rt_jobs = 0;
  rt_exec_log[0] = 0;
  json_decref(plan);
  vsc_test_rmtree(dir);
}

/* An edit of one scene (its body and the two transitions around it run, the rest is
 * cached) with a sound track to make: the body's chunks first, side by side; then the
 * sound track, which only the mux reads; the transitions last (the one after the body
 * needs the end of the body's clip). */
static void t_edit_order(void) {
  char dir[2048], cache[4200];
  vsc_test_tmpdir(dir, sizeof dir, "editorder");
  snprintf(cache, sizeof cache, "%s/cache", dir);
  snprintf(rt_exec_log, sizeof rt_exec_log, "%s/exec.jsonl", dir);
  rt_split = split_in_two;
  rt_jobs = 1;
  json_t *plan = rt_plan_new(-1);
  const char *ids[4];
  static const char *const labels[] = {"t23", "b3", "t34"};
  for (int k = 0; k < 3; k++) {
    json_t *p = P(labels[k], 0);
    int body = k == 1;
    json_object_set_new(p, "kind", json_string(body ? "body" : "transition"));
    json_object_set_new(p, "t0", json_real(body ? 10.25 : k == 0 ? 9.75
                                                                 : 14.75));
    json_object_set_new(p, "duration", json_real(body ? 4.5 : 0.5));
    if (body) json_object_set_new(p, "parts", json_integer(2));
    ids[k] = rt_add(plan, "segment", p, NULL, NULL, 0);
  }
  json_t *ap = P("audio", 0);
  json_object_set_new(ap, "length", json_real(30));
  ids[3] = rt_add(plan, "audio", ap, NULL, NULL, 0);
  const char *d = rt_add(plan, "concat", P("d", 0), NULL, ids, 4);
  set_output(plan, d);
  vsc_run_result res;
  CHECK(rt_run(plan, cache, "{}", &res, NULL) == 0 && res.status == VSC_RUN_OK, "run");
  char order[200];
  start_order(order, sizeof order, not_concat_or_whole_body);
  CHECK(strcmp(order, "b3/1 b3/2 audio t23 t34") == 0, "order '%s'", order);
  rt_split = NULL;
  rt_jobs = 0;
  rt_exec_log[0] = 0;
  json_decref(plan);
  vsc_test_rmtree(dir);
}

static const vsc_test_case cases[] = {
#define VSC_TEST_CASE(name) VSC_TEST_ENTRY(t_, name)
#include "test_sched.def"
#undef VSC_TEST_CASE
};

int main(int argc, char **argv) { return vsc_test_main(argc, argv, cases, VSC_TEST_COUNT(cases)); }
