/*
** test_money.c — the money invariants of `vsc build` against mock-replicate, under faults:
**
**   user_model    a script's own models (input names, pinned version, price) run as declared
**   files         local files as inputs: the Files API above 256 KB (once per content), data
**                 URLs below
**   fault_matrix  outages of 0–5 minutes on polls, listings and deliveries, 429 bursts, lost
**                 create responses (a time-scaled mock): every schedule ends with billing
**                 equal to the ledger, within the budget, one create per paid node
**   kill_loop     30 builds killed with SIGKILL or SIGHUP at random moments (default
**                 Prefer: wait, with and without faults), each rebuilt to completion: zero
**                 nodes paid twice, billing equal to the ledger
**   late_create   a build killed while the mock still holds its create, rebuilt at once: the
**                 create lands after the rebuild's first listing and is found, not paid twice
**   commit_then_kill  outputs stored, calls never closed: a rebuild with nothing to run
**                 closes them with their recorded charges (ledger = billing), creating nothing
**   full_disk     a cache on a tiny tmpfs (mounted by the test, as root): the build stops
**                 spending at once; after space is freed the rebuild pays nothing twice
**
** `test_money CASE` runs one case. Exit 77 = skipped (full_disk without root or mount).
*/
#include <sys/mount.h>
#include <time.h>

#include "e2e_env.h"

#define USER_SCRIPT "tests/replicate_e2e/user_model.vscript"
#define FILES_SCRIPT "tests/replicate_e2e/files.vscript"
#define SDXL_VERSION "39ed52f2a78e934b3ba6e2a89f5b1c712de7dfea535525255b1aa35c5565e08b"
#define WAN_I2V "wan-video/wan-2.2-i2v-fast"

/* The IR node whose call names `model` (borrowed), or NULL. */
static json_t *call_of(const json_t *ir, const char *model) {
  size_t i;
  json_t *n;
  json_array_foreach(json_object_get(ir, "nodes"), i, n) {
    json_t *c = json_object_get(n, "call");
    const char *m = json_string_value(json_object_get(c, "model"));
    if (m && !strcmp(m, model)) return c;
  }
  return NULL;
}

/* The version of the billed prediction of `model`. */
static const char *billed_version(const json_t *billing, const char *model) {
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(billing, "records"), i, r)
    if (!strcmp(json_string_value(json_object_get(r, "model")), model))
      return json_string_value(json_object_get(r, "version"));
  return NULL;
}

static void t_user_model(void) {
  env_t e;
  json_t *b = NULL;
  const char *margs[] = {"--latency", "0.3", NULL};
  REQUIRE(setup(&e, USER_SCRIPT, margs) == 0 && load_ir(&e) == 0, "setup");
  /* The IR carries what the script declared, in the model's own terms. */
  json_t *video = call_of(e.ir, "minimax/video-01"), *image = call_of(e.ir, "stability-ai/sdxl");
  REQUIRE(video && image, "no resolved calls");
  REQUIRE(json_is_string(json_object_get(json_object_get(video, "input"), "prompt")) &&
              json_is_true(json_object_get(json_object_get(video, "input"), "prompt_optimizer")) &&
              json_object_size(json_object_get(video, "input")) == 2 && json_is_null(json_object_get(video, "version")),
          "video-01's input is not what the script declares");
  REQUIRE(!strcmp(json_string_value(json_object_get(image, "version")), SDXL_VERSION) &&
              !strcmp(json_string_value(json_object_get(json_object_get(image, "input"), "negative_prompt")), "text, watermark") &&
              json_integer_value(json_object_get(json_object_get(image, "input"), "num_outputs")) == 1 &&
              !strcmp(json_string_value(json_object_get(json_object_get(image, "price"), "unit")), "gpu-second") &&
              fabs(json_number_value(json_object_get(json_object_get(image, "price"), "rate")) - 0.000975) < 1e-12,
          "sdxl's call is not what the script declares");
  int rc = build(&e, NULL, NULL);
  REQUIRE(rc == 0, "build exited %d", rc);
  check_complete(&e);
  b = mock_get(&e, "/_mock/billing");
  REQUIRE(billed(b, "minimax/video-01", "succeeded") == 1 && billed(b, "stability-ai/sdxl", "succeeded") == 1,
          "each declared model ran once");
  REQUIRE(requests(&e, CREATE_VERSIONED) == 1 && requests(&e, CREATE_OFFICIAL) == 1,
          "creates: %ld versioned, %ld official", requests(&e, CREATE_VERSIONED), requests(&e, CREATE_OFFICIAL));
  const char *v = billed_version(b, "stability-ai/sdxl");
  REQUIRE(v && !strcmp(v, SDXL_VERSION), "sdxl ran version %s, not the pinned one", v ? v : "?");
  check_books(&e, budget_of(&e));
  check_token(&e);
out:
  json_decref(b);
  teardown(&e);
}

/* A PNG of noise (incompressible) of w x h pixels, made with the ffmpeg program. */
static int noise_png(const char *path, int w, int h) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "ffmpeg -v error -y -f rawvideo -pixel_format rgb24 -video_size %dx%d "
                            "-i /dev/urandom -frames:v 1 '%s'",
           w, h, path);
  return system(cmd) == 0 ? 0 : -1;
}

static long long file_size(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

static void t_files(void) {
  env_t e;
  json_t *b = NULL;
  char big[700], small[700];
  const char *margs[] = {"--latency", "0.3", NULL};
  REQUIRE(setup(&e, FILES_SCRIPT, margs) == 0, "setup");
  snprintf(big, sizeof big, "%s/big.png", e.dir);
  snprintf(small, sizeof small, "%s/small.png", e.dir);
  REQUIRE(noise_png(big, 1600, 1300) == 0 && noise_png(small, 180, 180) == 0, "ffmpeg made no PNGs");
  REQUIRE(file_size(big) > 6000000 && file_size(small) > 90000 && file_size(small) < 256 * 1024,
          "sizes %lld and %lld", file_size(big), file_size(small));
  REQUIRE(load_ir(&e) == 0, "ir");
  int rc = build(&e, NULL, NULL);
  REQUIRE(rc == 0, "build exited %d", rc);
  check_complete(&e);
  REQUIRE(requests(&e, "POST /v1/files") == 1, "%ld uploads: the 6 MB photo goes up once for two scenes",
          requests(&e, "POST /v1/files"));
  b = mock_get(&e, "/_mock/billing");
  int via_file = 0, via_data = 0;
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(b, "records"), i, r) {
    if (strcmp(json_string_value(json_object_get(r, "model")), WAN_I2V)) continue;
    const char *k = json_string_value(json_object_get(json_object_get(r, "input_kinds"), "image"));
    via_file += k && !strcmp(k, "file");
    via_data += k && !strcmp(k, "data_url");
  }
  REQUIRE(via_file == 2 && via_data == 1, "%d predictions got a Files API URL, %d a data URL", via_file, via_data);
  check_books(&e, budget_of(&e));
  check_token(&e);
out:
  json_decref(b);
  teardown(&e);
}

#define OUTPUTS_SCRIPT "tests/replicate_e2e/outputs.vscript"

static void t_outputs(void) {
  env_t e;
  json_t *b = NULL, *recs = NULL, *m = NULL;
  char still[700];
  const char *margs[] = {"--latency", "0.3", NULL};
  REQUIRE(setup(&e, OUTPUTS_SCRIPT, margs) == 0, "setup");
  snprintf(still, sizeof still, "%s/still.png", e.dir);
  REQUIRE(noise_png(still, 64, 48) == 0, "ffmpeg");
  REQUIRE(load_ir(&e) == 0, "ir");
  int rc = build(&e, NULL, NULL);
  REQUIRE(rc == 6, "a build with a shot that got text instead of an image exited %d, not 6 (partial)", rc);
  b = mock_get(&e, "/_mock/billing");
  REQUIRE(billed(b, "vsc-fixtures/swatch-data-url", "succeeded") == 1, "the data: URI model ran once");
  REQUIRE(billed(b, "salesforce/blip", NULL) == 1, "the text model was paid %d times, not once",
          billed(b, "salesforce/blip", NULL));
  recs = journal(&e);
  /* The text is kept in the journal, and nothing was fetched for it. */
  size_t i;
  json_t *r;
  const char *text = NULL;
  json_array_foreach(recs, i, r) {
    const char *t = json_string_value(json_object_get(r, "text"));
    if (t) text = t;
  }
  REQUIRE(text && !strncmp(text, "Caption: ", 9), "the model's text is not in the journal");
  m = manifest(&e);
  REQUIRE(m && !strcmp(json_string_value(json_object_get(m, "status")), "partial"), "manifest status");
  check_books(&e, budget_of(&e));
  check_token(&e);
out:
  json_decref(b);
  json_decref(recs);
  json_decref(m);
  teardown(&e);
}

/* ---- faults of every length --------------------------------------------------------------- */

#define CREATES "/v1/models/*/predictions"
static const struct {
  const char *name, *rules;
} schedules[] = {
    {"no fault", "[]"},
    {"polls answer 503 for 1 min", "[{\"method\":\"GET\",\"path\":\"/v1/predictions/*\",\"action\":\"status\",\"status\":503,\"for\":60,\"clock\":\"first\"}]"},
    {"polls answer 503 for 5 min", "[{\"method\":\"GET\",\"path\":\"/v1/predictions/*\",\"action\":\"status\",\"status\":503,\"for\":300,\"clock\":\"first\"}]"},
    {"polls reset for 2 min", "[{\"method\":\"GET\",\"path\":\"/v1/predictions/*\",\"action\":\"reset\",\"for\":120,\"clock\":\"first\"}]"},
    {"deliveries answer 503 for 2 min", "[{\"method\":\"GET\",\"path\":\"/delivery/*\",\"action\":\"status\",\"status\":503,\"for\":120,\"clock\":\"first\"}]"},
    {"deliveries reset for 5 min", "[{\"method\":\"GET\",\"path\":\"/delivery/*\",\"action\":\"reset\",\"for\":300,\"clock\":\"first\"}]"},
    {"429 burst, no Retry-After", "[{\"method\":\"POST\",\"path\":\"" CREATES "\",\"action\":\"status\",\"status\":429,\"count\":6}]"},
    {"429 with Retry-After", "[{\"method\":\"POST\",\"path\":\"" CREATES "\",\"action\":\"status\",\"status\":429,\"retry_after\":40,\"count\":3}]"},
    {"lost create responses", "[{\"method\":\"POST\",\"path\":\"" CREATES "\",\"action\":\"lose_response\",\"count\":2}]"},
    {"lost create, listing down 1 min", "[{\"method\":\"POST\",\"path\":\"" CREATES "\",\"action\":\"lose_response\",\"count\":1},"
                                        "{\"method\":\"GET\",\"path\":\"/v1/predictions?*\",\"action\":\"status\",\"status\":502,\"for\":60,\"clock\":\"first\"}]"},
    {"everything flaky for 3 min", "[{\"method\":\"GET\",\"path\":\"/v1/predictions*\",\"action\":\"status\",\"status\":504,\"for\":180,\"clock\":\"first\",\"probability\":0.5},"
                                   "{\"method\":\"GET\",\"path\":\"/delivery/*\",\"action\":\"reset\",\"for\":180,\"clock\":\"first\",\"probability\":0.5}]"},
};

static const char *const scaled_mock[] = {"--latency", "20", "--time-scale", "0.02", NULL};

static void t_fault_matrix(void) {
  for (size_t k = 0; k < sizeof schedules / sizeof schedules[0]; k++) {
    env_t e;
    int before = vsc_test_failures;
    double secs = 0;
    REQUIRE(setup(&e, FAULTS_SCRIPT, scaled_mock) == 0 && load_ir(&e) == 0, "setup");
    REQUIRE(set_faults(&e, schedules[k].rules) == 0, "rules of '%s'", schedules[k].name);
    /* With the default Prefer: wait a create answers with the finished prediction and nothing
     * is polled: the poll outages need a short hold (1 s, scaled by the mock to 20 ms). */
    if (strstr(schedules[k].rules, "/v1/predictions")) setenv("VSC_REPLICATE_WAIT", "1", 1);
    int rc = build(&e, NULL, NULL);
    secs = e.last_secs;
    unsetenv("VSC_REPLICATE_WAIT");
    REQUIRE(rc == 0, "'%s': build exited %d", schedules[k].name, rc);
    REQUIRE(k == 0 || fired(&e, 0) > 0, "'%s': the fault never fired", schedules[k].name);
    check_complete(&e);
    check_one_each(&e);
    check_books(&e, budget_of(&e));
    check_token(&e);
  out:
    if (vsc_test_failures > before) fprintf(stderr, "schedule '%s' failed\n", schedules[k].name);
    else fprintf(stderr, "schedule '%s': built in %.1fs\n", schedules[k].name, secs);
    teardown(&e);
  }
}

/* Each paid node of the fault script was paid for exactly once, whatever was interrupted
 * (calls that were journaled but proved never created may add intents, never predictions). */
static int check_paid_once(env_t *e) {
  int bad = vsc_test_failures;
  json_t *b = mock_get(e, "/_mock/billing");
  REQUIRE(json_integer_value(json_object_get(b, "count")) == 3, "%lld predictions billed",
          (long long)json_integer_value(json_object_get(b, "count")));
  REQUIRE(billed(b, SEEDANCE, "succeeded") == 1 && billed(b, FLUX, "succeeded") == 1 &&
              billed(b, KOKORO, "succeeded") == 1,
          "one prediction per model");
out:
  json_decref(b);
  return vsc_test_failures - bad;
}

/* ---- kill -9 and SIGHUP at random moments --------------------------------------------------- */

static void rm_cache(env_t *e) {
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s/.vsc' '%s'", e->dir, e->out);
  if (system(cmd) != 0) fprintf(stderr, "could not clear the cache\n");
}

static void t_kill_loop(void) {
  env_t e;
  unsigned seed = 20261203;
  int searches = 0, reattaches = 0;
  REQUIRE(setup(&e, FAULTS_SCRIPT, scaled_mock) == 0 && load_ir(&e) == 0, "setup");
  const char *args[] = {"build", e.script, "-o", e.out, "--preview", "--progress", "plain", NULL};
  for (int it = 0; it < 30; it++) {
    int before = vsc_test_failures;
    mock_resp r;
    REQUIRE(mock_request(&e.s, "POST", "/_mock/reset", NULL, NULL, NULL, 10, &r) == 0 && r.status == 200, "reset");
    mock_resp_free(&r);
    rm_cache(&e);
    /* A third of the builds also run into faults. */
    if (it % 3 == 1) REQUIRE(set_faults(&e, schedules[1 + (it / 3) % 9].rules) == 0, "faults");
    int sig = it % 4 == 3 ? SIGHUP : SIGKILL;
    double at = 0.05 + 2.5 * (double)rand_r(&seed) / RAND_MAX;
    char log[600];
    pid_t pid = spawn_vsc(&e, args, log, sizeof log);
    REQUIRE(pid > 0, "spawn");
    struct timespec ts = {(time_t)at, (long)((at - (double)(time_t)at) * 1e9)};
    nanosleep(&ts, NULL);
    kill(pid, sig);
    int st = wait_vsc(pid, 60);
    (void)st;
    /* Rebuild to completion (a second kill sometimes, to die while resuming). */
    if (it % 5 == 4) {
      pid = spawn_vsc(&e, args, log, sizeof log);
      nanosleep(&(struct timespec){0, 300000000}, NULL);
      kill(pid, SIGKILL);
      wait_vsc(pid, 60);
    }
    int rc = build(&e, NULL, NULL);
    REQUIRE(rc == 0, "iteration %d (%s at %.2fs): the rebuild exited %d", it, sig == SIGKILL ? "SIGKILL" : "SIGHUP", at, rc);
    check_paid_once(&e);
    check_books(&e, budget_of(&e));
    json_t *recs = journal(&e);
    searches += jcount(recs, "search", NULL, NULL);
    reattaches += jcount(recs, "reattach", NULL, NULL);
    json_decref(recs);
    if (vsc_test_failures > before) {
      fprintf(stderr, "kill loop: iteration %d (%s at %.2fs) failed; its journal and billing:\n", it,
              sig == SIGKILL ? "SIGKILL" : "SIGHUP", at);
      json_t *all = journal(&e), *b = mock_get(&e, "/_mock/billing");
      size_t k;
      json_t *rec;
      json_array_foreach(all, k, rec) {
        char *line = json_dumps(rec, JSON_COMPACT);
        fprintf(stderr, "  %s\n", line ? line : "?");
        free(line);
      }
      json_array_foreach(json_object_get(b, "records"), k, rec) {
        fprintf(stderr, "  billed %s %s %s %s\n", json_string_value(json_object_get(rec, "id")),
                json_string_value(json_object_get(rec, "model")), json_string_value(json_object_get(rec, "status")),
                json_string_value(json_object_get(rec, "created_at")));
      }
      json_decref(all);
      json_decref(b);
      break;
    }
  }
  fprintf(stderr, "kill loop: %d searches for creates in flight at the kill, %d predictions re-attached\n",
          searches, reattaches);
  REQUIRE(searches > 0 && reattaches > 0, "the kills never hit a call in flight");
  check_token(&e);
out:
  teardown(&e);
}

/* ---- a create that lands after its run died ------------------------------------------------ */

/* The mock holds the first create 1.5 s before making the prediction; the build is killed
 * while it is held and rebuilt at once. The rebuild's first listing cannot see the prediction
 * yet: only a listing after the settle time (2 s in these tests) may prove it absent, and that
 * one finds it. Creating anew on the first listing would pay for the node twice. */
static void t_late_create(void) {
  env_t e;
  REQUIRE(setup(&e, FAULTS_SCRIPT, scaled_mock) == 0 && load_ir(&e) == 0, "setup");
  REQUIRE(set_faults(&e, "[{\"method\":\"POST\",\"path\":\"" CREATES "\",\"action\":\"slow\",\"delay\":75,"
                         "\"count\":1}]") == 0,
          "faults");
  const char *args[] = {"build", e.script, "-o", e.out, "--preview", "--progress", "plain", NULL};
  char log[600];
  pid_t pid = spawn_vsc(&e, args, log, sizeof log);
  REQUIRE(pid > 0, "spawn");
  /* Kill once the first create has been sent (its intent is journaled just before). */
  double end = vsc_test_now() + 30;
  int intents = 0;
  while (!intents && vsc_test_now() < end) {
    nanosleep(&(struct timespec){0, 20000000}, NULL);
    json_t *recs = journal(&e);
    intents = recs ? jcount(recs, "intent", NULL, NULL) : 0;
    json_decref(recs);
  }
  REQUIRE(intents > 0, "no create was ever sent");
  nanosleep(&(struct timespec){0, 200000000}, NULL);
  kill(pid, SIGKILL);
  wait_vsc(pid, 60);
  json_t *b = mock_get(&e, "/_mock/billing");
  long held = (long)json_integer_value(json_object_get(b, "count"));
  json_decref(b);
  REQUIRE(fired(&e, 0) == 1, "the create was not held");
  int rc = build(&e, NULL, NULL);
  REQUIRE(rc == 0, "the rebuild exited %d", rc);
  check_paid_once(&e);
  check_books(&e, budget_of(&e));
  json_t *recs = journal(&e);
  int searches = jcount(recs, "search", NULL, NULL), absent = jcount(recs, "done", "outcome", "not-created");
  json_decref(recs);
  fprintf(stderr, "late create: %ld predictions existed at the kill, %d searched for, %d proved never created\n", held,
          searches, absent);
  REQUIRE(searches > 0, "the kill did not leave the held create in flight");
  REQUIRE(absent == 0, "a create that landed late was taken for one never made");
out:
  teardown(&e);
}

/* ---- killed between storing an output and closing its call --------------------------------- */

/* A build whose every output reached the cache but whose calls were never closed (the journal
 * as a kill between the commit and the `done` line leaves it: the done lines are removed).
 * The rebuild has nothing to run, and must still close each call with the charge its commit
 * recorded, so the ledger equals the billing; it creates nothing. */
static void t_commit_then_kill(void) {
  env_t e;
  char path[700], *text = NULL;
  REQUIRE(setup(&e, FAULTS_SCRIPT, scaled_mock) == 0 && load_ir(&e) == 0, "setup");
  REQUIRE(build(&e, NULL, NULL) == 0, "the first build failed");
  snprintf(path, sizeof path, "%s/.vsc/journal.jsonl", e.dir);
  size_t len = 0;
  text = vsc_test_slurp(path, &len);
  REQUIRE(text, "no journal");
  FILE *f = fopen(path, "w");
  REQUIRE(f, "cannot rewrite the journal");
  int dropped = 0;
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    if (strstr(line, "\"t\":\"done\"")) dropped++;
    else fprintf(f, "%s\n", line);
  }
  fclose(f);
  REQUIRE(dropped == 3, "%d calls were closed, not 3", dropped);
  long creates = requests(&e, CREATE_OFFICIAL) + requests(&e, CREATE_VERSIONED);
  REQUIRE(creates == 3, "%ld creates", creates);
  REQUIRE(build(&e, NULL, NULL) == 0, "the rebuild failed");
  REQUIRE(requests(&e, CREATE_OFFICIAL) + requests(&e, CREATE_VERSIONED) == creates, "the rebuild created predictions");
  json_t *recs = journal(&e);
  int recovered = jcount(recs, "done", "outcome", "succeeded");
  json_decref(recs);
  REQUIRE(recovered == 3, "%d calls closed by the rebuild, not 3", recovered);
  check_books(&e, budget_of(&e));
out:
  free(text);
  teardown(&e);
}

/* ---- a full disk ------------------------------------------------------------------------------ */

static void t_full_disk(void) {
  env_t e;
  char cache[700], filler[800], cmd[1600];
  bool mounted = false;
  if (geteuid() != 0) {
    fprintf(stderr, "full_disk needs root to mount a tmpfs: skipped\n");
    exit(77);
  }
  REQUIRE(setup(&e, FAULTS_SCRIPT, scaled_mock) == 0 && load_ir(&e) == 0, "setup");
  snprintf(cache, sizeof cache, "%s/.vsc", e.dir);
  REQUIRE(mkdir(cache, 0700) == 0, "mkdir");
  if (mount("tmpfs", cache, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") != 0) {
    fprintf(stderr, "cannot mount a tmpfs (%s): skipped\n", strerror(errno));
    teardown(&e);
    exit(77);
  }
  mounted = true;
  /* Leave room for the journal's first lines, not for the outputs. */
  snprintf(filler, sizeof filler, "%s/filler", cache);
  snprintf(cmd, sizeof cmd, "head -c %d /dev/zero > '%s' 2>/dev/null", 1024 * 1024 - 24 * 1024, filler);
  if (system(cmd) != 0) { /* filled up: expected */
  }
  setenv("VSC_CACHE_MIN_FREE", "1", 1); /* test the reaction to ENOSPC, not the pre-check */
  int rc = build(&e, NULL, NULL);
  REQUIRE(rc == 5, "a build on a full disk exited %d, not 5", rc);
  REQUIRE(vsc_test_file_has(e.last_err, "stopping before anything more is spent"), "no clear message");
  json_t *b = mock_get(&e, "/_mock/billing");
  long paid_full = (long)json_integer_value(json_object_get(b, "count"));
  json_decref(b);
  REQUIRE(paid_full <= 3, "%ld predictions paid while the disk was full", paid_full);
  /* Space again: the rebuild takes up what was started and pays nothing twice. */
  REQUIRE(unlink(filler) == 0, "unlink");
  rc = build(&e, NULL, NULL);
  REQUIRE(rc == 0, "the rebuild exited %d", rc);
  check_complete(&e);
  check_paid_once(&e);
  check_books(&e, budget_of(&e));
  check_token(&e);
out:
  unsetenv("VSC_CACHE_MIN_FREE");
  if (mounted && umount2(cache, MNT_DETACH) != 0) fprintf(stderr, "umount %s: %s\n", cache, strerror(errno));
  teardown(&e);
}

static const vsc_test_case cases[] = {
#define VSC_TEST_CASE(name) VSC_TEST_ENTRY(t_, name)
#include "test_money.def"
#undef VSC_TEST_CASE
};

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  return vsc_test_main(argc, argv, cases, VSC_TEST_COUNT(cases));
}
