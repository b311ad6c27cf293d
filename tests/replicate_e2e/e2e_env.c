/*
** e2e_env.c — the harness of the end-to-end tests (see e2e_env.h).
*/
#include "e2e_env.h"

#ifndef VSC_BIN
#error "VSC_BIN must name the vsc executable"
#endif
#ifndef VSC_SOURCE_DIR
#error "VSC_SOURCE_DIR must name the source tree"
#endif


/* ---- files -------------------------------------------------------------------------- */

int copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "rb"), *o = in ? fopen(to, "wb") : NULL;
  int rc = in && o ? 0 : -1;
  char buf[8192];
  size_t n;
  while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
    if (fwrite(buf, 1, n, o) != n) rc = -1;
  if (in) fclose(in);
  if (o && fclose(o) != 0) rc = -1;
  return rc;
}

/* Copies every *.vscript of `from` into `to` (not recursive). */
int copy_scripts(const char *from, const char *to) {
  DIR *d = opendir(from);
  if (!d) return -1;
  mkdir(to, 0755);
  struct dirent *de;
  int rc = 0;
  while ((de = readdir(d)) != NULL) {
    size_t l = strlen(de->d_name);
    if (l < 9 || strcmp(de->d_name + l - 8, ".vscript")) continue;
    char a[1024], b[1024];
    snprintf(a, sizeof a, "%s/%s", from, de->d_name);
    snprintf(b, sizeof b, "%s/%s", to, de->d_name);
    if (copy_file(a, b) < 0) rc = -1;
  }
  closedir(d);
  return rc;
}

/* Replaces the first `from` by `to` in a text file. */
int edit_file(const char *path, const char *from, const char *to) {
  char *t = vsc_test_slurp(path, NULL);
  char *at = t ? strstr(t, from) : NULL;
  if (!at) {
    free(t);
    return -1;
  }
  FILE *fp = fopen(path, "wb");
  if (!fp) {
    free(t);
    return -1;
  }
  fwrite(t, 1, (size_t)(at - t), fp);
  fputs(to, fp);
  fputs(at + strlen(from), fp);
  fclose(fp);
  free(t);
  return 0;
}

/* ---- running vsc -------------------------------------------------------------------- */

/* Starts vsc with `args` (NULL-terminated, without argv[0]); stdout and stderr go to log
 * files in the test directory. Returns the pid, or -1. */
pid_t spawn_vsc(env_t *e, const char *const *args, char *out_log, size_t outlen) {
  const char *argv[40];
  int n = 0;
  argv[n++] = VSC_BIN;
  for (int i = 0; args[i] && n < 39; i++) argv[n++] = args[i];
  argv[n] = NULL;
  e->runs++;
  char err_log[600];
  snprintf(out_log, outlen, "%s/logs/%d.out", e->dir, e->runs);
  snprintf(err_log, sizeof err_log, "%s/logs/%d.err", e->dir, e->runs);
  snprintf(e->last_err, sizeof e->last_err, "%s", err_log);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* a dying test leaves no build behind */
    int o = open(out_log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int er = open(err_log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || er < 0) _exit(126);
    dup2(o, 1);
    dup2(er, 2);
    close(o);
    close(er);
    if (chdir(e->dir) < 0) _exit(126);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  return pid;
}

/* Waits for pid; its exit code, or -1 after `timeout` seconds (it is then killed). */
int wait_vsc(pid_t pid, double timeout) {
  double end = vsc_test_now() + timeout;
  int st;
  for (;;) {
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (r < 0 && errno != EINTR) return -1;
    if (vsc_test_now() > end) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      fprintf(stderr, "vsc did not finish within %.0f s\n", timeout);
      return -1;
    }
    vsc_test_sleep(0.02);
  }
}

int run_vsc(env_t *e, const char *const *args, char *out_log, size_t outlen) {
  double t0 = vsc_test_now();
  char scratch[600];
  if (!out_log) {
    out_log = scratch;
    outlen = sizeof scratch;
  }
  pid_t pid = spawn_vsc(e, args, out_log, outlen);
  int rc = pid < 0 ? -1 : wait_vsc(pid, RUN_TIMEOUT);
  e->last_secs = vsc_test_now() - t0;
  return rc;
}

/* `vsc build SCRIPT -o OUT --preview --progress plain [extra…]`; returns its exit code. */
int build(env_t *e, const char *extra1, const char *extra2) {
  const char *args[] = {"build", e->script, "-o", e->out, "--preview", "--progress", "plain",
                        extra1, extra2, NULL};
  int rc = run_vsc(e, args, NULL, 0);
  if (rc != 0 && rc != 6) { /* show what happened, for the failure report */
    char *t = vsc_test_slurp(e->last_err, NULL);
    size_t l = t ? strlen(t) : 0;
    fprintf(stderr, "--- vsc build exited %d; last lines of its stderr:\n%s\n---\n", rc,
            t ? t + (l > 2000 ? l - 2000 : 0) : "");
    free(t);
  }
  return rc;
}

void use_token(env_t *e, const char *token) {
  e->token = token;
  setenv("REPLICATE_API_TOKEN", token, 1);
}

/* A temp directory with the script (and what it imports), a running mock and the IR. */
int setup(env_t *e, const char *script, const char *const *mock_args) {
  memset(e, 0, sizeof *e);
  vsc_test_tmpdir(e->dir, sizeof e->dir, "r2e");
  char p[1024], q[1024];
  snprintf(p, sizeof p, "%s/logs", e->dir);
  mkdir(p, 0755);
  if (!strncmp(script, "examples/", 9)) {
    snprintf(p, sizeof p, "%s/examples", VSC_SOURCE_DIR);
    if (copy_scripts(p, e->dir) < 0) return -1;
    snprintf(p, sizeof p, "%s/examples/lib", VSC_SOURCE_DIR);
    snprintf(q, sizeof q, "%s/lib", e->dir);
    if (copy_scripts(p, q) < 0) return -1;
  } else {
    snprintf(p, sizeof p, "%s/%s", VSC_SOURCE_DIR, script);
    snprintf(q, sizeof q, "%s/%s", e->dir, strrchr(script, '/') + 1);
    if (copy_file(p, q) < 0) return -1;
  }
  snprintf(e->script, sizeof e->script, "%s/%s", e->dir, strrchr(script, '/') + 1);
  snprintf(e->out, sizeof e->out, "%s/out.mp4", e->dir);
  const char *args[24];
  int n = 0;
  args[n++] = "--token";
  args[n++] = TOKEN;
  for (int i = 0; mock_args && mock_args[i] && n < 23; i++) args[n++] = mock_args[i];
  args[n] = NULL;
  if (mock_server_start(&e->s, args) < 0) return -1;
  char base[128];
  snprintf(base, sizeof base, "%s/v1", e->s.base);
  setenv("REPLICATE_API_BASE", base, 1);
  /* A create in flight lands on loopback within milliseconds; 2 s keeps kills and lost answers
   * fast to recover while still covering a mock thread starved by a loaded machine. */
  setenv("VSC_REPLICATE_SETTLE", "2", 1);
  use_token(e, TOKEN);
  return 0;
}

/* The IR of the script as it is now (also written to dir/plan.json, for the token scan). */
int load_ir(env_t *e) {
  char plan[600];
  snprintf(plan, sizeof plan, "%s/plan.json", e->dir);
  const char *args[] = {"ir", e->script, "-o", plan, NULL};
  if (run_vsc(e, args, NULL, 0) != 0) return -1;
  json_decref(e->ir);
  e->ir = json_load_file(plan, 0, NULL);
  return e->ir ? 0 : -1;
}

void teardown(env_t *e) {
  /* The mock must stop cleanly: under the sanitizers a leak or an error changes its status. */
  int st = e->s.pid ? mock_server_stop(&e->s, 5) : 0;
  if (st != 0) {
    fprintf(stderr, "mock-replicate exited with status %d\n", st);
    vsc_test_failures++;
  }
  json_decref(e->ir);
  e->ir = NULL;
  if (!vsc_test_failures && e->dir[0] && !getenv("VSC_E2E_KEEP")) {
    if (vsc_test_rmtree(e->dir) != 0) fprintf(stderr, "could not remove %s\n", e->dir);
  } else if (e->dir[0]) {
    fprintf(stderr, "test files kept in %s\n", e->dir);
  }
}

/* ---- the mock's side ------------------------------------------------------------------ */

json_t *mock_get(env_t *e, const char *path) {
  mock_resp r;
  if (mock_request(&e->s, "GET", path, NULL, NULL, NULL, 10, &r) != 0) return NULL;
  json_t *j = r.status == 200 ? mock_resp_json(&r) : NULL;
  mock_resp_free(&r);
  return j;
}

int set_faults(env_t *e, const char *rules) {
  mock_resp r;
  if (mock_request(&e->s, "POST", "/_mock/faults", NULL, rules, NULL, 10, &r) != 0) return -1;
  int ok = r.status == 200 ? 0 : -1;
  if (ok) fprintf(stderr, "fault rules refused: %s\n", r.body);
  mock_resp_free(&r);
  return ok;
}

/* How often fault rule i fired. */
long fired(env_t *e, int i) {
  json_t *f = mock_get(e, "/_mock/faults");
  long n = (long)json_integer_value(json_object_get(json_array_get(json_object_get(f, "rules"), (size_t)i), "fired"));
  json_decref(f);
  return n;
}

/* Billing records of `model` (NULL: any) with `status` (NULL: any). */
int billed(const json_t *billing, const char *model, const char *status) {
  int n = 0;
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(billing, "records"), i, r) {
    const char *m = json_string_value(json_object_get(r, "model"));
    const char *s = json_string_value(json_object_get(r, "status"));
    if ((!model || (m && !strcmp(m, model))) && (!status || (s && !strcmp(s, status)))) n++;
  }
  return n;
}

double billed_cost(const json_t *billing, const char *model) {
  double c = 0;
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(billing, "records"), i, r) {
    const char *m = json_string_value(json_object_get(r, "model"));
    if (!model || (m && !strcmp(m, model))) c += json_number_value(json_object_get(r, "cost"));
  }
  return c;
}

/* What the records of `model` with `status` cost together. */
double status_cost(const json_t *billing, const char *model, const char *status) {
  double c = 0;
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(billing, "records"), i, r) {
    const char *m = json_string_value(json_object_get(r, "model"));
    const char *s = json_string_value(json_object_get(r, "status"));
    if (m && !strcmp(m, model) && s && !strcmp(s, status)) c += json_number_value(json_object_get(r, "cost"));
  }
  return c;
}

/* Requests of a route template the mock answered (GET /_mock/stats). */
long requests(env_t *e, const char *route) {
  json_t *s = mock_get(e, "/_mock/stats");
  long n = (long)json_integer_value(json_object_get(json_object_get(s, "requests"), route));
  json_decref(s);
  return n;
}

/* ---- vsc's side ------------------------------------------------------------------------- */

/* Every record of the journal (torn lines skipped). */
json_t *journal(env_t *e) {
  char path[600];
  snprintf(path, sizeof path, "%s/.vsc/journal.jsonl", e->dir);
  return vsc_test_json_lines(path);
}

/* Records of type t whose field k (if given) equals v. */
int jcount(const json_t *recs, const char *t, const char *k, const char *v) {
  int n = 0;
  size_t i;
  json_t *r;
  json_array_foreach(recs, i, r) {
    const char *rt = json_string_value(json_object_get(r, "t"));
    if (!rt || strcmp(rt, t)) continue;
    const char *rv = k ? json_string_value(json_object_get(r, k)) : NULL;
    if (!k || (rv && !strcmp(rv, v))) n++;
  }
  return n;
}

json_t *ledger(env_t *e) {
  char out[600];
  const char *args[] = {"ledger", e->script, "--json", NULL};
  if (run_vsc(e, args, out, sizeof out) != 0) return NULL;
  return json_load_file(out, 0, NULL);
}

json_t *manifest(env_t *e) {
  char p[600];
  snprintf(p, sizeof p, "%s.json", e->out);
  return json_load_file(p, 0, NULL);
}

const char *node_of_model(const json_t *recs, const char *model) {
  size_t i;
  json_t *r;
  json_array_foreach(recs, i, r) {
    const char *m = json_string_value(json_object_get(r, "model"));
    if (!strcmp(json_string_value(json_object_get(r, "t")), "intent") && m && !strcmp(m, model))
      return json_string_value(json_object_get(r, "node"));
  }
  return NULL;
}

/* Calls of a ledger, flattened over its builds (borrowed references into `l`). */
json_t *ledger_calls(const json_t *l) {
  json_t *all = json_array();
  size_t i, k;
  json_t *b, *c;
  json_array_foreach(json_object_get(l, "builds"), i, b)
    json_array_foreach(json_object_get(b, "calls"), k, c) json_array_append(all, c);
  return all;
}

/* ---- invariants --------------------------------------------------------------------------- */

/* The books balance: the mock's billing equals the ledger and stays within the budget; every
 * paid prediction is a call of the journal (nothing paid for is lost) and each once; no node
 * was generated twice; every call of the journal went intent → started (id) → done, in that
 * order, and none is left open. */
int check_books(env_t *e, double budget) {
  int bad = vsc_test_failures;
  json_t *billing = mock_get(e, "/_mock/billing");
  json_t *l = ledger(e);
  json_t *recs = journal(e);
  json_t *calls = ledger_calls(l);
  json_t *seen = json_object(), *node_ok = json_object();
  REQUIRE(billing && l, "billing or ledger unavailable");
  double bt = json_number_value(json_object_get(billing, "total"));
  double lt = json_number_value(json_object_get(l, "total"));
  REQUIRE(fabs(bt - lt) < 1e-6, "billing $%.6f != ledger $%.6f", bt, lt);
  REQUIRE(json_number_value(json_object_get(l, "unknown_cost")) == 0, "the ledger has costs it does not know");
  if (budget >= 0) REQUIRE(bt <= budget + 1e-9, "spent $%.6f over the $%.2f budget", bt, budget);
  size_t i;
  json_t *c, *r;
  json_array_foreach(calls, i, c) {
    const char *pid = json_string_value(json_object_get(c, "prediction"));
    const char *outcome = json_string_value(json_object_get(c, "outcome"));
    const char *node = json_string_value(json_object_get(c, "node"));
    REQUIRE(outcome && strcmp(outcome, "open") && strcmp(outcome, "left running") && strcmp(outcome, "lost"),
            "call %s ended '%s'",
            json_string_value(json_object_get(c, "call")), outcome ? outcome : "(none)");
    if (pid) {
      REQUIRE(!json_object_get(seen, pid), "prediction %s is in two calls", pid);
      json_object_set_new(seen, pid, json_true());
    }
    if (!strcmp(outcome, "succeeded")) {
      REQUIRE(!json_object_get(node_ok, node), "node %.12s was generated twice", node);
      json_object_set_new(node_ok, node, json_true());
    }
  }
  json_array_foreach(json_object_get(billing, "records"), i, r) {
    const char *id = json_string_value(json_object_get(r, "id"));
    REQUIRE(id && json_object_get(seen, id), "billed prediction %s (%s) is unknown to the journal",
            id ? id : "?", json_string_value(json_object_get(r, "model")));
  }
  REQUIRE(json_object_size(seen) == json_array_size(json_object_get(billing, "records")),
          "%zu calls with ids, %zu billed predictions", json_object_size(seen),
          json_array_size(json_object_get(billing, "records")));
  /* Order of every call in the journal. */
  json_array_foreach(recs, i, r) {
    const char *t = json_string_value(json_object_get(r, "t"));
    if (strcmp(t, "intent")) continue;
    const char *call = json_string_value(json_object_get(r, "call"));
    long started = -1, done = -1;
    size_t k;
    json_t *q;
    json_array_foreach(recs, k, q) {
      const char *qt = json_string_value(json_object_get(q, "t"));
      const char *qc = json_string_value(json_object_get(q, "call"));
      if (!qc || strcmp(qc, call)) continue;
      if (!strcmp(qt, "started") && started < 0) started = (long)k;
      if (!strcmp(qt, "done")) done = (long)k;
    }
    REQUIRE(done > (long)i, "call %s has no outcome after its intent", call);
    REQUIRE(started < 0 || (started > (long)i && started < done), "call %s: started out of order", call);
  }
out:
  json_decref(billing);
  json_decref(l);
  json_decref(recs);
  json_decref(calls);
  json_decref(seen);
  json_decref(node_ok);
  return vsc_test_failures - bad;
}

/* The token is in no file of the test directory: outputs, logs, journal, cache, manifest, IR. */
static const char *g_secret[2];
static char g_leak[1024];
static int scan_file(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)ftw;
  if (flag != FTW_F || !S_ISREG(sb->st_mode)) return 0;
  size_t n;
  char *t = vsc_test_slurp(path, &n);
  for (int i = 0; t && i < 2; i++)
    if (g_secret[i] && memmem(t, n, g_secret[i], strlen(g_secret[i]))) {
      snprintf(g_leak, sizeof g_leak, "%s", path);
      free(t);
      return 1;
    }
  free(t);
  return 0;
}

int check_token(env_t *e) {
  int bad = vsc_test_failures;
  g_secret[0] = TOKEN;
  g_secret[1] = WRONG_TOKEN;
  g_leak[0] = 0;
  char p[600];
  snprintf(p, sizeof p, "%s/logs/1.err", e->dir);
  REQUIRE(access(p, F_OK) == 0, "nothing to scan in %s", e->dir);
  REQUIRE(nftw(e->dir, scan_file, 16, FTW_PHYS) == 0, "the token is written in %s", g_leak);
out:
  return vsc_test_failures - bad;
}

/* A complete H.264 MP4 of the plan's length. */
int check_mp4(env_t *e) {
  int bad = vsc_test_failures;
  AVFormatContext *fc = NULL;
  double want = json_number_value(json_object_get(json_object_get(e->ir, "video"), "length"));
  REQUIRE(avformat_open_input(&fc, e->out, NULL, NULL) == 0, "cannot open %s", e->out);
  REQUIRE(avformat_find_stream_info(fc, NULL) >= 0, "no stream info in %s", e->out);
  int video = av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
  REQUIRE(video >= 0 && fc->streams[video]->codecpar->codec_id == AV_CODEC_ID_H264, "no H.264 video");
  double secs = (double)fc->duration / AV_TIME_BASE;
  REQUIRE(fabs(secs - want) < 0.25, "the video lasts %.3f s, the plan %.3f s", secs, want);
out:
  if (fc) avformat_close_input(&fc);
  return vsc_test_failures - bad;
}

/* Exit 0, a complete video, a manifest with no degraded scene, no "degraded" report. */
int check_complete(env_t *e) {
  int bad = vsc_test_failures;
  json_t *m = manifest(e);
  REQUIRE(m, "no manifest");
  REQUIRE(!strcmp(json_string_value(json_object_get(m, "status")), "ok"), "manifest status %s",
          json_string_value(json_object_get(m, "status")));
  size_t i;
  json_t *sc;
  json_array_foreach(json_object_get(m, "scenes"), i, sc)
    REQUIRE(!json_is_true(json_object_get(sc, "degraded")), "scene %s degraded",
            json_string_value(json_object_get(sc, "name")));
  REQUIRE(!vsc_test_file_has(e->last_err, "degraded"), "the build reports a degraded scene");
  check_mp4(e);
out:
  json_decref(m);
  return vsc_test_failures - bad;
}

double budget_of(env_t *e) {
  json_t *b = json_object_get(json_object_get(e->ir, "video"), "budget");
  return json_is_number(b) ? json_number_value(b) : -1;
}

/* The model the manifest says made the first generation of `scene`. */
const char *manifest_model(json_t *m, const char *scene) {
  size_t i;
  json_t *sc;
  json_array_foreach(json_object_get(m, "scenes"), i, sc)
    if (!strcmp(json_string_value(json_object_get(sc, "name")), scene))
      return json_string_value(json_object_get(json_array_get(json_object_get(sc, "generations"), 0), "model"));
  return NULL;
}

/* The cached output of `model`'s successful call is byte for byte what the mock serves: its
 * sha256 (journal) agrees with the delivery's ETag (the first 32 hex digits of the sha256). */
int check_output_intact(env_t *e, const json_t *recs, const char *model) {
  int bad = vsc_test_failures;
  char url[600] = "", etag[80] = "", path[200];
  json_t *pred = NULL;
  const char *id = NULL, *sha = NULL;
  size_t i, k;
  json_t *r, *q;
  json_array_foreach(recs, i, r) {
    const char *m = json_string_value(json_object_get(r, "model"));
    if (strcmp(json_string_value(json_object_get(r, "t")), "intent") || !m || strcmp(m, model)) continue;
    const char *call = json_string_value(json_object_get(r, "call"));
    json_array_foreach(recs, k, q) {
      const char *qc = json_string_value(json_object_get(q, "call"));
      const char *qt = json_string_value(json_object_get(q, "t"));
      if (!qc || strcmp(qc, call)) continue;
      if (!strcmp(qt, "started")) id = json_string_value(json_object_get(q, "prediction"));
      if (!strcmp(qt, "done") && !strcmp(json_string_value(json_object_get(q, "outcome")), "succeeded"))
        sha = json_string_value(json_object_get(q, "sha256"));
    }
    if (sha) break;
  }
  REQUIRE(id && sha, "no successful call of %s in the journal", model);
  snprintf(path, sizeof path, "/v1/predictions/%s", id);
  mock_resp resp;
  mock_request(&e->s, "GET", path, TOKEN, NULL, NULL, 10, &resp);
  pred = mock_resp_json(&resp);
  mock_resp_free(&resp);
  json_t *o = json_object_get(pred, "output");
  const char *u = json_string_value(json_is_array(o) ? json_array_get(o, 0) : o);
  REQUIRE(u, "prediction %s has no output URL", id);
  snprintf(url, sizeof url, "%s", u);
  mock_request(&e->s, "GET", url, TOKEN, NULL, NULL, 30, &resp);
  mock_resp_header(&resp, "ETag", etag, sizeof etag);
  long st = resp.status;
  mock_resp_free(&resp);
  REQUIRE(st == 200, "GET %s: %ld", url, st);
  REQUIRE(strlen(etag) == 34 && !strncmp(etag + 1, sha, 32), "cached %s has sha256 %.32s…, the mock's file %s",
          model, sha, etag);
out:
  json_decref(pred);
  return vsc_test_failures - bad;
}

/* ---- faults ---------------------------------------------------------------------------------- */


/* Starts a fault case: the mock with `latency`, the fault rules, the IR. */
int fault_setup(env_t *e, const char *latency, const char *rules) {
  const char *margs[] = {"--latency", latency, NULL};
  if (setup(e, FAULTS_SCRIPT, margs) < 0 || load_ir(e) < 0) return -1;
  return rules ? set_faults(e, rules) : 0;
}

/* One create per paid node, each billed once and succeeded: what a build that recovered from
 * transport faults must look like. */
int check_one_each(env_t *e) {
  int bad = vsc_test_failures;
  json_t *b = mock_get(e, "/_mock/billing");
  json_t *recs = journal(e);
  REQUIRE(json_integer_value(json_object_get(b, "count")) == 3, "%lld predictions billed",
          (long long)json_integer_value(json_object_get(b, "count")));
  REQUIRE(billed(b, SEEDANCE, "succeeded") == 1 && billed(b, FLUX, "succeeded") == 1 &&
              billed(b, KOKORO, "succeeded") == 1,
          "one prediction per model");
  REQUIRE(requests(e, CREATE_OFFICIAL) == 2 && requests(e, CREATE_VERSIONED) == 1,
          "creates that reached the server: %ld official, %ld versioned",
          requests(e, CREATE_OFFICIAL), requests(e, CREATE_VERSIONED));
  REQUIRE(jcount(recs, "intent", NULL, NULL) == 3 && jcount(recs, "retry", NULL, NULL) == 0,
          "one paid call per node, no retried call");
out:
  json_decref(b);
  json_decref(recs);
  return vsc_test_failures - bad;
}
