/*
** test_replicate_e2e.c — end-to-end `vsc build` against mock-replicate: every example, and
** one build per injected fault. Each case asserts what the build did (exit code, report),
** what the journal and the ledger contain, that the mock's billing equals the ledger and
** stays within the budget, that nothing paid for was generated twice, and that the token
** appears in no output, log, journal, cache file, manifest or IR.
**
** `test_replicate_e2e CASE` runs one case (each is its own ctest). Every case starts its own
** mock on a free port and its own temp directory; the mock and vsc die with the test
** (PR_SET_PDEATHSIG), and every vsc run is bounded.
*/
#include "e2e_env.h"

/* ---- the examples ----------------------------------------------------------------------- */

/* check_complete of every format's video (out.<tag>.mp4), or of out.mp4 with one format. */
static void check_formats_complete(env_t *e) {
  char one[sizeof e->out];
  snprintf(one, sizeof one, "%s", e->out);
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(e->ir, "formats"), i, f) {
    snprintf(e->out, sizeof e->out, "%s/out%s.mp4", e->dir, json_string_value(json_object_get(f, "suffix")));
    check_complete(e);
  }
  snprintf(e->out, sizeof e->out, "%s", one);
  if (!json_array_size(json_object_get(e->ir, "formats"))) check_complete(e);
}

/* Builds an example against the mock: complete, billed as the ledger says, within budget;
 * the journal has intent → id → outcome for every paid node; a second build is free. */
static void example(const char *name, bool force_replicate) {
  env_t e;
  json_t *recs = NULL, *b1 = NULL, *b2 = NULL, *l = NULL, *calls = NULL;
  char script[128];
  snprintf(script, sizeof script, "examples/%s.vscript", name);
  const char *margs[] = {"--latency", "0.3", NULL};
  REQUIRE(setup(&e, script, margs) == 0, "setup");
  REQUIRE(load_ir(&e) == 0, "vsc ir %s", name);
  const char *p1 = force_replicate ? "--provider" : NULL, *p2 = force_replicate ? "replicate" : NULL;
  int rc = build(&e, p1, p2);
  REQUIRE(rc == 0, "build exited %d", rc);
  check_formats_complete(&e);
  check_books(&e, budget_of(&e));
  b1 = mock_get(&e, "/_mock/billing");
  int paid = (int)json_integer_value(json_object_get(b1, "count"));
  REQUIRE(paid > 0 && billed(b1, NULL, "succeeded") == paid, "%d predictions, %d succeeded", paid,
          billed(b1, NULL, "succeeded"));
  /* The journal of this one build: per paid node, intent → started with the billed id →
   * done succeeded with the output's hash. */
  /* A script with several formats runs once per format (out.<tag>.mp4 each). */
  size_t nformats = json_array_size(json_object_get(e.ir, "formats"));
  int runs = nformats ? (int)nformats : 1;
  recs = journal(&e);
  REQUIRE(jcount(recs, "build", NULL, NULL) == runs && jcount(recs, "end", "status", "ok") == runs,
          "%d build records and ends 'ok'", runs);
  REQUIRE(jcount(recs, "intent", NULL, NULL) == paid, "%d intents for %d predictions",
          jcount(recs, "intent", NULL, NULL), paid);
  REQUIRE(jcount(recs, "started", NULL, NULL) == paid, "started records");
  REQUIRE(jcount(recs, "done", "outcome", "succeeded") == paid, "done records");
  size_t i;
  json_t *r;
  json_array_foreach(recs, i, r) {
    if (strcmp(json_string_value(json_object_get(r, "t")), "done")) continue;
    const char *sha = json_string_value(json_object_get(r, "sha256"));
    REQUIRE(sha && strlen(sha) == 64, "a done record without the output's sha256");
  }
  l = ledger(&e);
  calls = ledger_calls(l);
  REQUIRE((int)json_array_size(calls) == paid, "the ledger lists %zu calls", json_array_size(calls));
  json_array_foreach(calls, i, r)
    REQUIRE(billed(b1, json_string_value(json_object_get(r, "model")), "succeeded") > 0,
            "the ledger's %s was not billed", json_string_value(json_object_get(r, "model")));

  /* Again: everything is cached, no provider call, $0. */
  long creates = requests(&e, CREATE_OFFICIAL) + requests(&e, CREATE_VERSIONED);
  rc = build(&e, p1, p2);
  REQUIRE(rc == 0, "second build exited %d", rc);
  b2 = mock_get(&e, "/_mock/billing");
  REQUIRE(json_integer_value(json_object_get(b2, "count")) == paid &&
              json_number_value(json_object_get(b2, "total")) == json_number_value(json_object_get(b1, "total")),
          "the second build was billed");
  REQUIRE(requests(&e, CREATE_OFFICIAL) + requests(&e, CREATE_VERSIONED) == creates,
          "the second build created predictions");
  json_decref(recs);
  recs = journal(&e);
  REQUIRE(jcount(recs, "intent", NULL, NULL) == paid, "the second build journaled paid calls");
  check_formats_complete(&e);
  check_books(&e, budget_of(&e));
  check_token(&e);
out:
  json_decref(recs);
  json_decref(b1);
  json_decref(b2);
  json_decref(l);
  json_decref(calls);
  teardown(&e);
}

/* 429 + Retry-After on two creates (seconds, and an HTTP date): the provider waits and sends
 * them again; the build is complete and nothing is paid twice. */
static void t_retry_429(void) {
  env_t e;
  REQUIRE(fault_setup(&e, "0.3",
                      "[{\"method\":\"POST\",\"model\":\"" SEEDANCE "\",\"action\":\"status\","
                      "\"status\":429,\"retry_after\":2,\"count\":1},"
                      "{\"method\":\"POST\",\"model\":\"" FLUX "\",\"action\":\"status\",\"status\":429,"
                      "\"retry_after\":2,\"retry_after_format\":\"date\",\"count\":1}]") == 0,
          "setup");
  int rc = build(&e, NULL, NULL);
  REQUIRE(rc == 0, "exit %d", rc);
  REQUIRE(fired(&e, 0) == 1 && fired(&e, 1) == 1, "the 429s were not sent");
  REQUIRE(e.last_secs >= 1.9, "Retry-After: 2 not honoured (build took %.2f s)", e.last_secs);
  check_complete(&e);
  check_one_each(&e);
  check_books(&e, budget_of(&e));
  check_token(&e);
out:
  teardown(&e);
}

/* 500, 502, 503, 504 on create, poll, download and a versioned create: all retried; a create
 * that may have reached the server is looked for (list) before it is sent again. */
static void t_http_5xx(void) {
  env_t e;
  setenv("VSC_REPLICATE_WAIT", "1", 1); /* answers come before the end: polls happen */
  REQUIRE(fault_setup(&e, "1.5",
                      "[{\"method\":\"POST\",\"model\":\"" SEEDANCE "\",\"action\":\"status\",\"status\":500,\"count\":1},"
                      "{\"method\":\"GET\",\"path\":\"/v1/predictions/*\",\"action\":\"status\",\"status\":502,\"count\":2},"
                      "{\"method\":\"GET\",\"path\":\"/delivery/*\",\"model\":\"" FLUX "\",\"action\":\"status\",\"status\":503,\"count\":1},"
                      "{\"method\":\"POST\",\"path\":\"/v1/predictions\",\"action\":\"status\",\"status\":504,\"count\":1}]") == 0,
          "setup");
  int rc = build(&e, NULL, NULL);
  REQUIRE(rc == 0, "exit %d", rc);
  REQUIRE(fired(&e, 0) == 1 && fired(&e, 1) == 2 && fired(&e, 2) == 1 && fired(&e, 3) == 1,
          "fired %ld %ld %ld %ld", fired(&e, 0), fired(&e, 1), fired(&e, 2), fired(&e, 3));
  REQUIRE(requests(&e, "GET /v1/predictions") >= 2, "creates answered 5xx were sent again without looking");
  check_complete(&e);
  check_one_each(&e);
  check_books(&e, budget_of(&e));
  check_token(&e);
out:
  teardown(&e);
}

/* Connection resets on create, poll and download. */
static void t_conn_reset(void) {
  env_t e;
  setenv("VSC_REPLICATE_WAIT", "1", 1);
  REQUIRE(fault_setup(&e, "1.5",
                      "[{\"method\":\"POST\",\"model\":\"" SEEDANCE "\",\"action\":\"reset\",\"count\":1},"
                      "{\"method\":\"GET\",\"path\":\"/v1/predictions/*\",\"action\":\"reset\",\"count\":1},"
                      "{\"method\":\"GET\",\"path\":\"/delivery/*\",\"action\":\"reset\",\"count\":2}]") == 0,
          "setup");
  int rc = build(&e, NULL, NULL);
  REQUIRE(rc == 0, "exit %d", rc);
  REQUIRE(fired(&e, 0) == 1 && fired(&e, 1) == 1 && fired(&e, 2) == 2, "resets not sent");
  check_complete(&e);
  check_one_each(&e);
  check_books(&e, budget_of(&e));
  check_token(&e);
out:
  teardown(&e);
}

/* A download that stalls mid-body (dropped after the stall limit, resumed with Range) and
 * one that trickles (slow but alive: completes); a create answered late. */
static void t_slow_stall(void) {
  env_t e;
  json_t *recs = NULL;
  setenv("VSC_REPLICATE_STALL", "1", 1);
  REQUIRE(fault_setup(&e, "0.3",
                      "[{\"method\":\"GET\",\"path\":\"/delivery/*\",\"model\":\"" SEEDANCE "\",\"action\":\"stall\",\"bytes\":2000,\"delay\":20,\"count\":1},"
                      "{\"method\":\"GET\",\"path\":\"/delivery/*\",\"model\":\"" KOKORO "\",\"action\":\"slow\",\"rate\":40000,\"count\":1},"
                      "{\"method\":\"POST\",\"model\":\"" FLUX "\",\"action\":\"slow\",\"delay\":1.5,\"count\":1}]") == 0,
          "setup");
  int rc = build(&e, NULL, NULL);
  REQUIRE(rc == 0, "exit %d", rc);
  REQUIRE(fired(&e, 0) == 1 && fired(&e, 1) == 1 && fired(&e, 2) == 1, "faults not fired");
  /* The mock would hold the stalled body 20 s: ending well before means vsc gave up on it. */
  REQUIRE(e.last_secs < 12, "the stalled download was waited out (%.1f s), not resumed", e.last_secs);
  /* 3 + the resume; more when a busy mock takes over the 1 s limit to start a body. */
  REQUIRE(requests(&e, "GET /delivery/{id}/{index}/{file}") >= 4, "%ld downloads (3 + 1 resume)",
          requests(&e, "GET /delivery/{id}/{index}/{file}"));
  recs = journal(&e);
  check_output_intact(&e, recs, SEEDANCE);
  check_output_intact(&e, recs, KOKORO);
  check_complete(&e);
  check_one_each(&e);
  check_books(&e, budget_of(&e));
  check_token(&e);
out:
  json_decref(recs);
  teardown(&e);
}

/* Truncated downloads (full Content-Length, connection dropped): resumed from where they
 * stopped; what reaches the cache is the whole file, never the truncated one. */
static void t_truncate(void) {
  env_t e;
  json_t *recs = NULL;
  REQUIRE(fault_setup(&e, "0.3",
                      "[{\"method\":\"GET\",\"path\":\"/delivery/*\",\"model\":\"" SEEDANCE "\",\"action\":\"truncate\",\"bytes\":1000,\"count\":2},"
                      "{\"method\":\"GET\",\"path\":\"/delivery/*\",\"model\":\"" KOKORO "\",\"action\":\"truncate\",\"count\":1}]") == 0,
          "setup");
  int rc = build(&e, NULL, NULL);
  REQUIRE(rc == 0, "exit %d", rc);
  REQUIRE(fired(&e, 0) == 2 && fired(&e, 1) == 1, "truncations not sent");
  REQUIRE(requests(&e, "GET /delivery/{id}/{index}/{file}") == 6, "%ld downloads (3 + 3 resumes)",
          requests(&e, "GET /delivery/{id}/{index}/{file}"));
  recs = journal(&e);
  check_output_intact(&e, recs, SEEDANCE);
  check_output_intact(&e, recs, KOKORO);
  check_output_intact(&e, recs, FLUX);
  check_complete(&e);
  check_one_each(&e);
  check_books(&e, budget_of(&e));
  check_token(&e);
out:
  json_decref(recs);
  teardown(&e);
}

/* `failed` with an NSFW message: content policy, no retry of that model, the fallback model
 * makes the shot. */
static void t_policy_fallback(void) {
  env_t e;
  json_t *recs = NULL, *b = NULL, *m = NULL;
  REQUIRE(fault_setup(&e, "0.3", "[{\"model\":\"" SEEDANCE "\",\"action\":\"fail\",\"preset\":\"nsfw\",\"count\":1}]") == 0,
          "setup");
  int rc = build(&e, NULL, NULL);
  REQUIRE(rc == 0, "exit %d", rc);
  check_complete(&e);
  recs = journal(&e);
  const char *node = node_of_model(recs, SEEDANCE);
  REQUIRE(node, "no call of " SEEDANCE);
  REQUIRE(jcount(recs, "fallback", "kind", "policy") == 1 && jcount(recs, "fallback", "to", WAN) == 1,
          "no policy fallback to " WAN);
  REQUIRE(jcount(recs, "retry", "node", node) == 0, "a content-policy refusal was retried");
  REQUIRE(jcount(recs, "done", "kind", "policy") == 1, "the refusal is not journaled as policy");
  b = mock_get(&e, "/_mock/billing");
  REQUIRE(billed(b, SEEDANCE, "failed") == 1 && billed(b, SEEDANCE, "succeeded") == 0, "seedance billing");
  REQUIRE(billed(b, WAN, "succeeded") == 1 && billed(b, NULL, NULL) == 4, "wan billing");
  REQUIRE(billed_cost(b, SEEDANCE) == 0, "a refused prediction was charged");
  m = manifest(&e);
  REQUIRE(manifest_model(m, "clip") && !strcmp(manifest_model(m, "clip"), WAN),
          "the manifest says scene clip was made by %s", manifest_model(m, "clip"));
  check_books(&e, budget_of(&e));
  check_token(&e);
out:
  json_decref(recs);
  json_decref(b);
  json_decref(m);
  teardown(&e);
}

/* Every model of a shot keeps failing (CUDA OOM): each is retried, then the next is tried,
 * then the shot degrades to a placeholder; the video is finished, exit 6, the report names
 * the scene. */
static void t_failed_degrade(void) {
  env_t e;
  json_t *recs = NULL, *b = NULL, *m = NULL;
  REQUIRE(fault_setup(&e, "0.2",
                      "[{\"model\":\"" SEEDANCE "\",\"action\":\"fail\",\"preset\":\"oom\",\"count\":-1},"
                      "{\"model\":\"" WAN "\",\"action\":\"fail\",\"preset\":\"oom\",\"count\":-1}]") == 0,
          "setup");
  int rc = build(&e, NULL, NULL);
  REQUIRE(rc == 6, "exit %d, not 6 (partial)", rc);
  REQUIRE(vsc_test_file_has(e.last_err, "degraded: scene clip"), "the report does not name scene clip");
  check_mp4(&e);
  recs = journal(&e);
  const char *node = node_of_model(recs, SEEDANCE);
  REQUIRE(node, "no call of " SEEDANCE);
  REQUIRE(jcount(recs, "intent", "model", SEEDANCE) == 3 && jcount(recs, "intent", "model", WAN) == 3,
          "%d seedance and %d wan calls, not 3 each", jcount(recs, "intent", "model", SEEDANCE),
          jcount(recs, "intent", "model", WAN));
  REQUIRE(jcount(recs, "retry", "node", node) == 4, "retries");
  REQUIRE(jcount(recs, "fallback", "to", WAN) == 1, "fallback");
  REQUIRE(jcount(recs, "degrade", "scene", "clip") == 1, "degrade record");
  REQUIRE(jcount(recs, "end", "status", "partial") == 1, "end record");
  b = mock_get(&e, "/_mock/billing");
  REQUIRE(billed(b, SEEDANCE, "failed") == 3 && billed(b, WAN, "failed") == 3, "failed predictions");
  REQUIRE(billed_cost(b, SEEDANCE) + billed_cost(b, WAN) == 0, "failures were charged");
  m = manifest(&e);
  REQUIRE(!strcmp(json_string_value(json_object_get(m, "status")), "partial"), "manifest status");
  size_t i;
  json_t *sc;
  json_array_foreach(json_object_get(m, "scenes"), i, sc) {
    bool clip = !strcmp(json_string_value(json_object_get(sc, "name")), "clip");
    REQUIRE(json_is_true(json_object_get(sc, "degraded")) == clip, "scene %s degraded: %d",
            json_string_value(json_object_get(sc, "name")), json_is_true(json_object_get(sc, "degraded")));
  }
  check_books(&e, budget_of(&e));
  check_token(&e);
out:
  json_decref(recs);
  json_decref(b);
  json_decref(m);
  teardown(&e);
}

/* A prediction canceled, or aborted, on the provider's side: retried, not charged (an
 * output-priced model charges for outputs it made). */
static void outcome_retried(const char *action, const char *model, const char *status) {
  env_t e;
  json_t *recs = NULL, *b = NULL;
  char rules[300];
  snprintf(rules, sizeof rules, "[{\"model\":\"%s\",\"action\":\"%s\",\"count\":1}]", model, action);
  REQUIRE(fault_setup(&e, "0.3", rules) == 0, "setup");
  int rc = build(&e, NULL, NULL);
  REQUIRE(rc == 0, "exit %d", rc);
  check_complete(&e);
  recs = journal(&e);
  const char *node = node_of_model(recs, model);
  REQUIRE(node && jcount(recs, "intent", "node", node) == 2 && jcount(recs, "retry", "node", node) == 1,
          "the %s prediction was not retried once", status);
  REQUIRE(jcount(recs, "done", "outcome", !strcmp(status, "canceled") ? "canceled" : "failed") == 1,
          "no %s outcome in the journal", status);
  b = mock_get(&e, "/_mock/billing");
  REQUIRE(billed(b, model, status) == 1 && billed(b, model, "succeeded") == 1, "%s billing", model);
  REQUIRE(status_cost(b, model, status) == 0 && billed(b, NULL, NULL) == 4, "the %s prediction was charged",
          status);
  check_books(&e, budget_of(&e));
  check_token(&e);
out:
  json_decref(recs);
  json_decref(b);
  teardown(&e);
}

static void t_canceled(void) { outcome_retried("cancel", SEEDANCE, "canceled"); }
static void t_aborted(void) { outcome_retried("abort", FLUX, "aborted"); }

/* The output expired before it was downloaded: it was paid for (the ledger says so, as the
 * billing does), and a new prediction makes the shot. */
static void t_expired(void) {
  env_t e;
  json_t *recs = NULL, *b = NULL;
  REQUIRE(fault_setup(&e, "0.3", "[{\"model\":\"" FLUX "\",\"action\":\"expire\",\"count\":1}]") == 0, "setup");
  int rc = build(&e, NULL, NULL);
  REQUIRE(rc == 0, "exit %d", rc);
  check_complete(&e);
  b = mock_get(&e, "/_mock/billing");
  REQUIRE(billed(b, FLUX, "succeeded") == 2 && fabs(billed_cost(b, FLUX) - 0.006) < 1e-9,
          "flux: %d predictions, $%.4f", billed(b, FLUX, "succeeded"), billed_cost(b, FLUX));
  recs = journal(&e);
  const char *node = node_of_model(recs, FLUX);
  REQUIRE(node && jcount(recs, "retry", "node", node) == 1, "the expired output was not retried");
  REQUIRE(jcount(recs, "done", "outcome", "failed") == 1, "the expired call's outcome");
  check_books(&e, budget_of(&e)); /* the expired one is in the ledger at its price */
  check_token(&e);
out:
  json_decref(recs);
  json_decref(b);
  teardown(&e);
}

/* The create reached the mock (the prediction exists) but its answer was lost: the provider
 * finds it by listing and re-attaches; exactly one prediction is created. */
static void t_lost_response(void) {
  env_t e;
  json_t *recs = NULL, *b = NULL;
  REQUIRE(fault_setup(&e, "0.5", "[{\"method\":\"POST\",\"model\":\"" SEEDANCE "\",\"action\":\"lose_response\",\"count\":1}]") == 0,
          "setup");
  int rc = build(&e, NULL, NULL);
  REQUIRE(rc == 0, "exit %d", rc);
  REQUIRE(fired(&e, 0) == 1, "the response was not lost");
  REQUIRE(requests(&e, "GET /v1/predictions") >= 1, "the provider did not look for the prediction");
  check_complete(&e);
  check_one_each(&e); /* one create of seedance reached the server, one was billed */
  b = mock_get(&e, "/_mock/billing");
  recs = journal(&e);
  /* The call journaled the id of the prediction its lost create made. */
  const char *id = NULL;
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(b, "records"), i, r)
    if (!strcmp(json_string_value(json_object_get(r, "model")), SEEDANCE))
      id = json_string_value(json_object_get(r, "id"));
  REQUIRE(id && jcount(recs, "started", "prediction", id) == 1, "the re-attached id is not journaled once");
  check_books(&e, budget_of(&e));
  check_token(&e);
out:
  json_decref(recs);
  json_decref(b);
  teardown(&e);
}

/* The provider refuses the credentials: the build stops cleanly, exit 5, nothing is made or
 * paid; the message says why. */
static void auth_stop(bool wrong_token, const char *expect) {
  env_t e;
  json_t *recs = NULL, *b = NULL;
  REQUIRE(fault_setup(&e, "0.3", wrong_token ? NULL : "[{\"method\":\"POST\",\"path\":\"/v1/*predictions\",\"action\":\"status\",\"status\":402,\"count\":-1}]") == 0,
          "setup");
  if (wrong_token) use_token(&e, WRONG_TOKEN);
  int rc = build(&e, NULL, NULL);
  REQUIRE(rc == 5, "exit %d, not 5", rc);
  REQUIRE(vsc_test_file_has(e.last_err, expect), "the report does not say '%s'", expect);
  REQUIRE(access(e.out, F_OK) != 0, "a video was written");
  b = mock_get(&e, "/_mock/billing");
  REQUIRE(json_integer_value(json_object_get(b, "count")) == 0, "something was billed");
  recs = journal(&e);
  REQUIRE(jcount(recs, "done", "kind", "auth") >= 1, "no auth failure in the journal");
  REQUIRE(jcount(recs, "done", "outcome", "succeeded") == 0, "a call succeeded");
  REQUIRE(jcount(recs, "degrade", NULL, NULL) == 0 && jcount(recs, "fallback", NULL, NULL) == 0 &&
              jcount(recs, "retry", NULL, NULL) == 0,
          "an auth failure was retried, fallen back or degraded");
  check_books(&e, budget_of(&e));
  check_token(&e);
out:
  json_decref(recs);
  json_decref(b);
  teardown(&e);
}

static void t_auth_401(void) { auth_stop(true, "HTTP 401"); }
static void t_credit_402(void) { auth_stop(false, "Insufficient credit"); }

/* Paid failures (outputs that expire) eat the budget: the retry that could exceed it is
 * never started; exit 7 and the budget held. */
static void t_budget(void) {
  env_t e;
  json_t *recs = NULL, *b = NULL;
  const char *margs[] = {"--latency", "0.3", NULL};
  REQUIRE(setup(&e, FAULTS_SCRIPT, margs) == 0, "setup");
  REQUIRE(edit_file(e.script, "budget $1.00", "budget $0.25") == 0, "edit budget");
  REQUIRE(load_ir(&e) == 0 && budget_of(&e) == 0.25, "ir");
  REQUIRE(set_faults(&e, "[{\"model\":\"" SEEDANCE "\",\"action\":\"expire\",\"count\":-1}]") == 0, "faults");
  int rc = build(&e, NULL, NULL);
  REQUIRE(rc == 7, "exit %d, not 7", rc);
  recs = journal(&e);
  REQUIRE(jcount(recs, "budget-stop", NULL, NULL) == 1, "no budget-stop record");
  REQUIRE(jcount(recs, "end", "status", "budget") == 1, "end record");
  b = mock_get(&e, "/_mock/billing");
  REQUIRE(billed(b, SEEDANCE, NULL) == 2, "%d seedance predictions, not 2", billed(b, SEEDANCE, NULL));
  REQUIRE(json_number_value(json_object_get(b, "total")) <= 0.25, "the budget was exceeded");
  check_books(&e, 0.25);
  check_token(&e);
out:
  json_decref(recs);
  json_decref(b);
  teardown(&e);
}

/* kill -9 of vsc while its predictions run; the rebuild re-attaches to them (no second
 * create), completes, and the books balance. */
static void t_kill9(void) {
  env_t e;
  json_t *recs = NULL, *b = NULL;
  setenv("VSC_REPLICATE_WAIT", "1", 1); /* ids arrive before the predictions end */
  REQUIRE(fault_setup(&e, "6", NULL) == 0, "setup");
  const char *args[] = {"build", e.script, "-o", e.out, "--preview", "--progress", "plain", NULL};
  char log[600];
  pid_t pid = spawn_vsc(&e, args, log, sizeof log);
  REQUIRE(pid > 0, "spawn");
  double end = vsc_test_now() + 20;
  int started = 0;
  while (vsc_test_now() < end) {
    recs = journal(&e);
    started = jcount(recs, "started", NULL, NULL);
    json_decref(recs);
    recs = NULL;
    if (started == 3) break;
    vsc_test_sleep(0.05);
  }
  kill(pid, SIGKILL);
  wait_vsc(pid, 10);
  REQUIRE(started == 3, "only %d prediction ids were journaled", started);
  b = mock_get(&e, "/_mock/billing");
  REQUIRE(json_integer_value(json_object_get(b, "predictions")) == 3, "predictions before the kill");
  REQUIRE(json_integer_value(json_object_get(b, "count")) == 0, "the predictions had already ended");
  json_decref(b);
  b = NULL;
  int rc = build(&e, NULL, NULL);
  REQUIRE(rc == 0, "rebuild exit %d", rc);
  check_complete(&e);
  recs = journal(&e);
  REQUIRE(jcount(recs, "reattach", NULL, NULL) == 3, "%d re-attached, not 3", jcount(recs, "reattach", NULL, NULL));
  REQUIRE(jcount(recs, "intent", NULL, NULL) == 3, "the rebuild paid for new calls");
  check_one_each(&e); /* no second create: 3 predictions, each billed once */
  check_books(&e, budget_of(&e));
  check_token(&e);
out:
  json_decref(recs);
  json_decref(b);
  teardown(&e);
}

/* ---- vsc models pull and the lock file ------------------------------------------------------ */

#define LOCK_SCRIPT "tests/replicate_e2e/lock_check.vscript"
#define BAD_WITH "with { resolution: \"4k\", fps: 30, camera_fixed: \"yes\", duration: 20 }"

/* 1-based line and column of the first `needle` in `text` (after `after`, if given). */
static void position(const char *text, const char *after, const char *needle, int *line, int *col) {
  const char *from = after ? strstr(text, after) : text;
  const char *at = from ? strstr(from, needle) : NULL;
  *line = *col = 0;
  if (!at) return;
  *line = 1;
  const char *bol = text;
  for (const char *c = text; c < at; c++)
    if (*c == '\n') (*line)++, bol = c + 1;
  *col = (int)(at - bol) + 1;
}

/* A diagnostic of `vsc check --json` at line:col whose message contains `msg`. */
static const json_t *find_diag(const json_t *diags, int line, int col, const char *msg) {
  size_t i;
  json_t *d;
  json_array_foreach(json_object_get(diags, "diagnostics"), i, d) {
    const char *m = json_string_value(json_object_get(d, "message"));
    if (json_integer_value(json_object_get(d, "line")) == line &&
        json_integer_value(json_object_get(d, "column")) == col && m && strstr(m, msg))
      return d;
  }
  return NULL;
}

/* `vsc models pull` writes the lock (canonical, atomic, the model's latest version and its
 * resolved Input schema); the checker then rejects what only the locked schema forbids, at
 * the exact spans, citing the lock; a correct script's IR is the same with or without it. */
static void t_models_pull(void) {
  env_t e;
  char lock[600], out[600], plan_a[600], plan_b[600], moved[600];
  char *text = NULL, *again = NULL, *canon = NULL, *script = NULL, *ira = NULL, *irb = NULL;
  json_t *doc = NULL, *model = NULL, *diags = NULL;
  REQUIRE(setup(&e, LOCK_SCRIPT, NULL) == 0, "setup");
  snprintf(lock, sizeof lock, "%s/vsc.lock.json", e.dir);
  const char *check[] = {"check", e.script, "--json", NULL};
  REQUIRE(run_vsc(&e, check, NULL, 0) == 0, "the loose registry entries reject the script");

  /* Without credentials accepted, nothing is written. */
  use_token(&e, WRONG_TOKEN);
  const char *pull1[] = {"models", "pull", "bytedance/seedance-1-lite", "--script", e.script, NULL};
  int rc = run_vsc(&e, pull1, NULL, 0);
  REQUIRE(rc == 5 && vsc_test_file_has(e.last_err, "401"), "pull with a refused token: exit %d", rc);
  REQUIRE(access(lock, F_OK) != 0, "a lock was written without the schema");
  use_token(&e, TOKEN);

  REQUIRE(run_vsc(&e, pull1, out, sizeof out) == 0, "pull seedance");
  REQUIRE(vsc_test_file_has(out, "locked bytedance/seedance-1-lite at version"), "pull does not say what it locked");
  const char *pull2[] = {"models", "pull", "loose_kling", "--script", e.script, NULL}; /* an alias */
  REQUIRE(run_vsc(&e, pull2, NULL, 0) == 0, "pull kling by its alias");
  text = vsc_test_slurp(lock, NULL);
  REQUIRE(text, "no %s", lock);
  doc = json_loads(text, 0, NULL);
  REQUIRE(doc && !strcmp(json_string_value(json_object_get(doc, "format")), "vsc-lock") &&
              json_integer_value(json_object_get(doc, "version")) == 1,
          "lock header");
  canon = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
  REQUIRE(canon && strlen(text) == strlen(canon) + 1 && !strncmp(text, canon, strlen(canon)) &&
              text[strlen(canon)] == '\n',
          "the lock is not canonical JSON");
  REQUIRE(!strstr(text, "$ref"), "the lock has unresolved $refs");
  REQUIRE(json_object_size(json_object_get(doc, "models")) == 2, "two models locked");
  const char *refs[] = {"bytedance/seedance-1-lite", "kwaivgi/kling-v2.1"};
  for (int i = 0; i < 2; i++) {
    char path[200];
    snprintf(path, sizeof path, "/v1/models/%s", refs[i]);
    mock_resp r;
    mock_request(&e.s, "GET", path, TOKEN, NULL, NULL, 10, &r);
    model = mock_resp_json(&r);
    mock_resp_free(&r);
    json_t *locked = json_object_get(json_object_get(doc, "models"), refs[i]);
    const char *want = json_string_value(json_object_get(json_object_get(model, "latest_version"), "id"));
    REQUIRE(want && !strcmp(json_string_value(json_object_get(locked, "version")), want),
            "%s is locked at another version than the latest", refs[i]);
    REQUIRE(json_object_size(json_object_get(json_object_get(locked, "input"), "properties")) ==
                json_object_size(json_object_get(json_object_get(json_object_get(json_object_get(
                                                                                     json_object_get(json_object_get(model, "latest_version"), "openapi_schema"),
                                                                                     "components"),
                                                                                 "schemas"),
                                                                 "Input"),
                                                 "properties")),
            "%s: the locked inputs differ from the published ones", refs[i]);
    json_decref(model);
    model = NULL;
  }
  /* Pulling again changes nothing (canonical, deterministic). */
  REQUIRE(run_vsc(&e, pull1, NULL, 0) == 0, "second pull");
  again = vsc_test_slurp(lock, NULL);
  REQUIRE(again && !strcmp(again, text), "a second pull rewrote the lock differently");

  /* The checker now cites the lock, at the exact spans. */
  REQUIRE(run_vsc(&e, check, out, sizeof out) == 4, "the locked schemas do not reject the script");
  diags = json_load_file(out, 0, NULL);
  script = vsc_test_slurp(e.script, NULL);
  REQUIRE(diags && script, "diagnostics");
  REQUIRE(json_integer_value(json_object_get(diags, "errors")) == 5, "%lld errors, not 5",
          (long long)json_integer_value(json_object_get(diags, "errors")));
  const struct {
    const char *after, *needle, *msg;
  } want[] = {
      {BAD_WITH, "\"4k\"", "must be one of [\"480p\",\"720p\",\"1080p\"]"},
      {BAD_WITH, "30", "must be one of [24]"},
      {BAD_WITH, "\"yes\"", "must be a boolean"},
      {BAD_WITH, "20 }", "'duration' = 20 is out of range"},
      {"scene kite", "model loose_kling", "needs parameter 'start_image'"},
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    int line, col;
    position(script, want[i].after, want[i].needle, &line, &col);
    const json_t *d = find_diag(diags, line, col, want[i].msg);
    REQUIRE(d, "no error '%s' at %d:%d", want[i].msg, line, col);
    const char *hint = json_string_value(json_object_get(d, "hint"));
    REQUIRE(hint && strstr(hint, "vsc.lock.json (version "), "the error at %d:%d does not cite the lock", line, col);
    REQUIRE(!strstr(want[i].msg, "out of range") || strstr(hint, "ranges from 2 to 12"),
            "the range error does not give the locked range");
  }
  /* Corrected, the script compiles with and without the lock; the lock pins the versions
   * that run (call.version), and without it the same calls float (version null). */
  REQUIRE(edit_file(e.script, BAD_WITH, "with { resolution: \"720p\", fps: 24, duration: 5 }") == 0 &&
              edit_file(e.script, "model loose_kling\n", "model loose_kling\n    with { start_image: \"https://example.com/kite.png\" }\n") == 0,
          "edit");
  snprintf(plan_a, sizeof plan_a, "%s/locked.json", e.dir);
  snprintf(plan_b, sizeof plan_b, "%s/unlocked.json", e.dir);
  const char *ir_a[] = {"ir", e.script, "-o", plan_a, NULL};
  const char *ir_b[] = {"ir", e.script, "-o", plan_b, NULL};
  REQUIRE(run_vsc(&e, ir_a, NULL, 0) == 0, "the corrected script fails with the lock");
  snprintf(moved, sizeof moved, "%s/moved.lock.json", e.dir);
  REQUIRE(rename(lock, moved) == 0, "move the lock away");
  REQUIRE(run_vsc(&e, ir_b, NULL, 0) == 0, "the corrected script fails without the lock");
  ira = vsc_test_slurp(plan_a, NULL);
  irb = vsc_test_slurp(plan_b, NULL);
  REQUIRE(ira && irb, "IRs written");
  {
    json_t *ja = json_loads(ira, 0, NULL), *jb = json_loads(irb, 0, NULL);
    json_t *models = json_object_get(doc, "models");
    size_t k, pinned = 0;
    json_t *n;
    json_array_foreach(json_object_get(ja, "nodes"), k, n) {
      json_t *call = json_object_get(n, "call");
      json_t *lk = json_object_get(models, json_string_value(json_object_get(call, "model")));
      if (!lk) continue;
      pinned++;
      REQUIRE(json_equal(json_object_get(call, "version"), json_object_get(lk, "version")),
              "node %zu does not run the locked version", k);
      json_t *nb = json_array_get(json_object_get(jb, "nodes"), k);
      REQUIRE(json_is_null(json_object_get(json_object_get(nb, "call"), "version")),
              "without the lock node %zu is still pinned", k);
      REQUIRE(strcmp(json_string_value(json_object_get(n, "id")), json_string_value(json_object_get(nb, "id"))) != 0,
              "a pinned call must be another node than a floating one");
    }
    REQUIRE(pinned == 2, "%zu locked calls, not 2", pinned);
    json_decref(ja);
    json_decref(jb);
  }
  check_token(&e);
out:
  free(text);
  free(again);
  free(canon);
  free(script);
  free(ira);
  free(irb);
  json_decref(doc);
  json_decref(model);
  json_decref(diags);
  teardown(&e);
}

/* ---- main ---------------------------------------------------------------------------------- */

static void t_example_ad(void) { example("ad", false); }
static void t_example_explainer(void) { example("explainer", false); }
static void t_example_music_video(void) { example("music_video", true); } /* it says `provider local` */
static void t_example_social(void) { example("social", false); }

/* Three formats from one script: each generation is one prediction (a clip made once at the
 * master frame serves every format that reframes it); only what a `for` block or `reframe
 * generate` makes per format is generated again, at that format's frame. Three MP4s at their
 * (preview) frames; a second build creates nothing. */
static void t_formats_shared(void) {
  env_t e;
  json_t *b = NULL;
  const char *margs[] = {"--latency", "0.2", NULL};
  REQUIRE(setup(&e, "tests/replicate_e2e/formats.vscript", margs) == 0, "setup");
  REQUIRE(load_ir(&e) == 0, "vsc ir");
  int rc = build(&e, NULL, NULL);
  REQUIRE(rc == 0, "build exited %d", rc);
  /* hook and product once; run at the master frame and for 9:16; city in each format. */
  long creates = requests(&e, CREATE_OFFICIAL) + requests(&e, CREATE_VERSIONED);
  b = mock_get(&e, "/_mock/billing");
  REQUIRE(creates == 7, "%ld predictions created (7 expected; three one-format builds make 12)", creates);
  REQUIRE(json_integer_value(json_object_get(b, "count")) == 7 && billed(b, NULL, "succeeded") == 7, "7 predictions billed");
  int paid = 0;
  size_t i;
  json_t *n;
  json_array_foreach(json_object_get(e.ir, "nodes"), i, n) paid += json_object_get(n, "call") != NULL;
  REQUIRE(paid == 7, "the IR has %d paid nodes", paid);
  static const struct {
    const char *tag;
    int w, h;
  } want[] = {{"16x9", 320, 180}, {"9x16", 180, 320}, {"1x1", 180, 180}};
  for (int k = 0; k < 3; k++) {
    char path[700];
    snprintf(path, sizeof path, "%s/out.%s.mp4", e.dir, want[k].tag);
    AVFormatContext *fc = NULL;
    REQUIRE(avformat_open_input(&fc, path, NULL, NULL) == 0 && avformat_find_stream_info(fc, NULL) >= 0, "open %s", path);
    int vs = av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    int w = vs >= 0 ? fc->streams[vs]->codecpar->width : 0, h = vs >= 0 ? fc->streams[vs]->codecpar->height : 0;
    avformat_close_input(&fc);
    REQUIRE(w == want[k].w && h == want[k].h, "%s is %dx%d", path, w, h);
  }
  check_formats_complete(&e);
  check_books(&e, budget_of(&e));
  rc = build(&e, NULL, NULL);
  REQUIRE(rc == 0, "second build exited %d", rc);
  REQUIRE(requests(&e, CREATE_OFFICIAL) + requests(&e, CREATE_VERSIONED) == creates, "the second build created predictions");
  check_token(&e);
out:
  json_decref(b);
  teardown(&e);
}

static const vsc_test_case cases[] = {
#define VSC_TEST_CASE(name) VSC_TEST_ENTRY(t_, name)
#include "test_replicate_e2e.def"
#undef VSC_TEST_CASE
};

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  /* Only what a case sets reaches vsc. */
  unsetenv("VSC_REPLICATE_URL");
  unsetenv("VSC_REPLICATE_WAIT");
  unsetenv("VSC_REPLICATE_STALL");
  unsetenv("VSC_REPLICATE_CANCEL_AFTER");
  unsetenv("VSC_TEST_PROVIDER");
  return vsc_test_main(argc, argv, cases, VSC_TEST_COUNT(cases));
}
