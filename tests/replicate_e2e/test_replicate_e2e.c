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
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libavformat/avformat.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mock_harness.h"

#ifndef VSC_BIN
#error "VSC_BIN must name the vsc executable"
#endif
#ifndef VSC_SOURCE_DIR
#error "VSC_SOURCE_DIR must name the source tree"
#endif

static int g_fail;
#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                            \
      fputc('\n', stderr);                                                     \
      g_fail++;                                                                \
      goto out;                                                                \
    }                                                                          \
  } while (0)

#define TOKEN "r8_e2e_secret_token_5f1c9a77d2"
#define WRONG_TOKEN "r8_e2e_revoked_token_0b4e6d13aa"
#define RUN_TIMEOUT 90.0 /* seconds any one vsc run may take before the test fails */

#define SEEDANCE "bytedance/seedance-1-lite"
#define WAN "wan-video/wan-2.2-t2v-fast"
#define FLUX "black-forest-labs/flux-schnell"
#define KOKORO "jaaari/kokoro-82m"

typedef struct {
  mock_server s;
  char dir[128];     /* the test's temp directory */
  char script[512];  /* the script being built (a copy inside dir) */
  char out[512];     /* the MP4 it renders */
  char last_err[600]; /* stderr of the last vsc run */
  const char *token; /* the token vsc is given */
  int runs;          /* vsc runs so far (numbers the log files) */
  json_t *ir;        /* the script's plan graph */
  double last_secs;  /* wall time of the last run */
} env_t;

/* ---- files -------------------------------------------------------------------------- */

static int copy_file(const char *from, const char *to) {
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
static int copy_scripts(const char *from, const char *to) {
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

static char *slurp(const char *path, size_t *len) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  size_t cap = 4096, n = 0;
  char *b = malloc(cap);
  size_t got;
  while (b && (got = fread(b + n, 1, cap - n - 1, fp)) > 0) {
    n += got;
    if (cap - n < 2) {
      char *nb = realloc(b, cap * 2);
      if (!nb) {
        free(b);
        b = NULL;
        break;
      }
      b = nb;
      cap *= 2;
    }
  }
  fclose(fp);
  if (b) b[n] = 0;
  if (len) *len = n;
  return b;
}

static bool file_has(const char *path, const char *needle) {
  char *t = slurp(path, NULL);
  bool r = t && strstr(t, needle);
  free(t);
  return r;
}

/* Replaces the first `from` by `to` in a text file. */
static int edit_file(const char *path, const char *from, const char *to) {
  char *t = slurp(path, NULL);
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
static pid_t spawn_vsc(env_t *e, const char *const *args, char *out_log, size_t outlen) {
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
static int wait_vsc(pid_t pid, double timeout) {
  double end = mock_clock() + timeout;
  int st;
  for (;;) {
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (r < 0 && errno != EINTR) return -1;
    if (mock_clock() > end) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      fprintf(stderr, "vsc did not finish within %.0f s\n", timeout);
      return -1;
    }
    mock_pause(0.02);
  }
}

static int run_vsc(env_t *e, const char *const *args, char *out_log, size_t outlen) {
  double t0 = mock_clock();
  char scratch[600];
  if (!out_log) {
    out_log = scratch;
    outlen = sizeof scratch;
  }
  pid_t pid = spawn_vsc(e, args, out_log, outlen);
  int rc = pid < 0 ? -1 : wait_vsc(pid, RUN_TIMEOUT);
  e->last_secs = mock_clock() - t0;
  return rc;
}

/* `vsc build SCRIPT -o OUT --preview --progress plain [extra…]`; returns its exit code. */
static int build(env_t *e, const char *extra1, const char *extra2) {
  const char *args[] = {"build", e->script, "-o", e->out, "--preview", "--progress", "plain",
                        extra1, extra2, NULL};
  int rc = run_vsc(e, args, NULL, 0);
  if (rc != 0 && rc != 6) { /* show what happened, for the failure report */
    char *t = slurp(e->last_err, NULL);
    size_t l = t ? strlen(t) : 0;
    fprintf(stderr, "--- vsc build exited %d; last lines of its stderr:\n%s\n---\n", rc,
            t ? t + (l > 2000 ? l - 2000 : 0) : "");
    free(t);
  }
  return rc;
}

static void use_token(env_t *e, const char *token) {
  e->token = token;
  setenv("REPLICATE_API_TOKEN", token, 1);
}

/* A temp directory with the script (and what it imports), a running mock and the IR. */
static int setup(env_t *e, const char *script, const char *const *mock_args) {
  memset(e, 0, sizeof *e);
  snprintf(e->dir, sizeof e->dir, "/tmp/vsc-r2e-XXXXXX");
  if (!mkdtemp(e->dir)) return -1;
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
  use_token(e, TOKEN);
  return 0;
}

/* The IR of the script as it is now (also written to dir/plan.json, for the token scan). */
static int load_ir(env_t *e) {
  char plan[600];
  snprintf(plan, sizeof plan, "%s/plan.json", e->dir);
  const char *args[] = {"ir", e->script, "-o", plan, NULL};
  if (run_vsc(e, args, NULL, 0) != 0) return -1;
  json_decref(e->ir);
  e->ir = json_load_file(plan, 0, NULL);
  return e->ir ? 0 : -1;
}

static void teardown(env_t *e) {
  /* The mock must stop cleanly: under the sanitizers a leak or an error changes its status. */
  int st = e->s.pid ? mock_server_stop(&e->s, 5) : 0;
  if (st != 0) {
    fprintf(stderr, "mock-replicate exited with status %d\n", st);
    g_fail++;
  }
  json_decref(e->ir);
  e->ir = NULL;
  if (!g_fail && e->dir[0] && !getenv("VSC_E2E_KEEP")) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", e->dir);
  } else if (e->dir[0]) {
    fprintf(stderr, "test files kept in %s\n", e->dir);
  }
}

/* ---- the mock's side ------------------------------------------------------------------ */

static json_t *mock_get(env_t *e, const char *path) {
  mock_resp r;
  if (mock_request(&e->s, "GET", path, NULL, NULL, NULL, 10, &r) != 0) return NULL;
  json_t *j = r.status == 200 ? mock_resp_json(&r) : NULL;
  mock_resp_free(&r);
  return j;
}

static int set_faults(env_t *e, const char *rules) {
  mock_resp r;
  if (mock_request(&e->s, "POST", "/_mock/faults", NULL, rules, NULL, 10, &r) != 0) return -1;
  int ok = r.status == 200 ? 0 : -1;
  if (ok) fprintf(stderr, "fault rules refused: %s\n", r.body);
  mock_resp_free(&r);
  return ok;
}

/* How often fault rule i fired. */
static long fired(env_t *e, int i) {
  json_t *f = mock_get(e, "/_mock/faults");
  long n = (long)json_integer_value(json_object_get(json_array_get(json_object_get(f, "rules"), (size_t)i), "fired"));
  json_decref(f);
  return n;
}

/* Billing records of `model` (NULL: any) with `status` (NULL: any). */
static int billed(const json_t *billing, const char *model, const char *status) {
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

static double billed_cost(const json_t *billing, const char *model) {
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
static double status_cost(const json_t *billing, const char *model, const char *status) {
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
static long requests(env_t *e, const char *route) {
  json_t *s = mock_get(e, "/_mock/stats");
  long n = (long)json_integer_value(json_object_get(json_object_get(s, "requests"), route));
  json_decref(s);
  return n;
}
#define CREATE_OFFICIAL "POST /v1/models/{owner}/{name}/predictions"
#define CREATE_VERSIONED "POST /v1/predictions"

/* ---- vsc's side ------------------------------------------------------------------------- */

/* Every record of the journal (torn lines skipped). */
static json_t *journal(env_t *e) {
  char path[600];
  snprintf(path, sizeof path, "%s/.vsc/journal.jsonl", e->dir);
  json_t *a = json_array();
  char *t = slurp(path, NULL);
  for (char *line = t; line && *line;) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = 0;
    json_t *j = json_loads(line, 0, NULL);
    if (j) json_array_append_new(a, j);
    line = nl ? nl + 1 : NULL;
  }
  free(t);
  return a;
}

/* Records of type t whose field k (if given) equals v. */
static int jcount(const json_t *recs, const char *t, const char *k, const char *v) {
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

static json_t *ledger(env_t *e) {
  char out[600];
  const char *args[] = {"ledger", e->script, "--json", NULL};
  if (run_vsc(e, args, out, sizeof out) != 0) return NULL;
  return json_load_file(out, 0, NULL);
}

static json_t *manifest(env_t *e) {
  char p[600];
  snprintf(p, sizeof p, "%s.json", e->out);
  return json_load_file(p, 0, NULL);
}

static const char *node_of_model(const json_t *recs, const char *model) {
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
static json_t *ledger_calls(const json_t *l) {
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
static int check_books(env_t *e, double budget) {
  int bad = g_fail;
  json_t *billing = mock_get(e, "/_mock/billing");
  json_t *l = ledger(e);
  json_t *recs = journal(e);
  json_t *calls = ledger_calls(l);
  json_t *seen = json_object(), *node_ok = json_object();
  CHECK(billing && l, "billing or ledger unavailable");
  double bt = json_number_value(json_object_get(billing, "total"));
  double lt = json_number_value(json_object_get(l, "total"));
  CHECK(fabs(bt - lt) < 1e-6, "billing $%.6f != ledger $%.6f", bt, lt);
  CHECK(json_number_value(json_object_get(l, "unknown_cost")) == 0, "the ledger has costs it does not know");
  if (budget >= 0) CHECK(bt <= budget + 1e-9, "spent $%.6f over the $%.2f budget", bt, budget);
  size_t i;
  json_t *c, *r;
  json_array_foreach(calls, i, c) {
    const char *pid = json_string_value(json_object_get(c, "prediction"));
    const char *outcome = json_string_value(json_object_get(c, "outcome"));
    const char *node = json_string_value(json_object_get(c, "node"));
    CHECK(outcome && strcmp(outcome, "open") && strcmp(outcome, "left running") && strcmp(outcome, "lost"),
          "call %s ended '%s'",
          json_string_value(json_object_get(c, "call")), outcome ? outcome : "(none)");
    if (pid) {
      CHECK(!json_object_get(seen, pid), "prediction %s is in two calls", pid);
      json_object_set_new(seen, pid, json_true());
    }
    if (!strcmp(outcome, "succeeded")) {
      CHECK(!json_object_get(node_ok, node), "node %.12s was generated twice", node);
      json_object_set_new(node_ok, node, json_true());
    }
  }
  json_array_foreach(json_object_get(billing, "records"), i, r) {
    const char *id = json_string_value(json_object_get(r, "id"));
    CHECK(id && json_object_get(seen, id), "billed prediction %s (%s) is unknown to the journal",
          id ? id : "?", json_string_value(json_object_get(r, "model")));
  }
  CHECK(json_object_size(seen) == json_array_size(json_object_get(billing, "records")),
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
    CHECK(done > (long)i, "call %s has no outcome after its intent", call);
    CHECK(started < 0 || (started > (long)i && started < done), "call %s: started out of order", call);
  }
out:
  json_decref(billing);
  json_decref(l);
  json_decref(recs);
  json_decref(calls);
  json_decref(seen);
  json_decref(node_ok);
  return g_fail - bad;
}

/* The token is in no file of the test directory: outputs, logs, journal, cache, manifest, IR. */
static const char *g_secret[2];
static char g_leak[1024];
static int scan_file(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)ftw;
  if (flag != FTW_F || !S_ISREG(sb->st_mode)) return 0;
  size_t n;
  char *t = slurp(path, &n);
  for (int i = 0; t && i < 2; i++)
    if (g_secret[i] && memmem(t, n, g_secret[i], strlen(g_secret[i]))) {
      snprintf(g_leak, sizeof g_leak, "%s", path);
      free(t);
      return 1;
    }
  free(t);
  return 0;
}

static int check_token(env_t *e) {
  int bad = g_fail;
  g_secret[0] = TOKEN;
  g_secret[1] = WRONG_TOKEN;
  g_leak[0] = 0;
  char p[600];
  snprintf(p, sizeof p, "%s/logs/1.err", e->dir);
  CHECK(access(p, F_OK) == 0, "nothing to scan in %s", e->dir);
  CHECK(nftw(e->dir, scan_file, 16, FTW_PHYS) == 0, "the token is written in %s", g_leak);
out:
  return g_fail - bad;
}

/* A complete H.264 MP4 of the plan's length. */
static int check_mp4(env_t *e) {
  int bad = g_fail;
  AVFormatContext *fc = NULL;
  double want = json_number_value(json_object_get(json_object_get(e->ir, "video"), "length"));
  CHECK(avformat_open_input(&fc, e->out, NULL, NULL) == 0, "cannot open %s", e->out);
  CHECK(avformat_find_stream_info(fc, NULL) >= 0, "no stream info in %s", e->out);
  int video = av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
  CHECK(video >= 0 && fc->streams[video]->codecpar->codec_id == AV_CODEC_ID_H264, "no H.264 video");
  double secs = (double)fc->duration / AV_TIME_BASE;
  CHECK(fabs(secs - want) < 0.25, "the video lasts %.3f s, the plan %.3f s", secs, want);
out:
  if (fc) avformat_close_input(&fc);
  return g_fail - bad;
}

/* Exit 0, a complete video, a manifest with no degraded scene, no "degraded" report. */
static int check_complete(env_t *e) {
  int bad = g_fail;
  json_t *m = manifest(e);
  CHECK(m, "no manifest");
  CHECK(!strcmp(json_string_value(json_object_get(m, "status")), "ok"), "manifest status %s",
        json_string_value(json_object_get(m, "status")));
  size_t i;
  json_t *sc;
  json_array_foreach(json_object_get(m, "scenes"), i, sc)
    CHECK(!json_is_true(json_object_get(sc, "degraded")), "scene %s degraded",
          json_string_value(json_object_get(sc, "name")));
  CHECK(!file_has(e->last_err, "degraded"), "the build reports a degraded scene");
  check_mp4(e);
out:
  json_decref(m);
  return g_fail - bad;
}

static double budget_of(env_t *e) {
  json_t *b = json_object_get(json_object_get(e->ir, "video"), "budget");
  return json_is_number(b) ? json_number_value(b) : -1;
}

/* The model the manifest says made the first generation of `scene`. */
static const char *manifest_model(json_t *m, const char *scene) {
  size_t i;
  json_t *sc;
  json_array_foreach(json_object_get(m, "scenes"), i, sc)
    if (!strcmp(json_string_value(json_object_get(sc, "name")), scene))
      return json_string_value(json_object_get(json_array_get(json_object_get(sc, "generations"), 0), "model"));
  return NULL;
}

/* The cached output of `model`'s successful call is byte for byte what the mock serves: its
 * sha256 (journal) agrees with the delivery's ETag (the first 32 hex digits of the sha256). */
static int check_output_intact(env_t *e, const json_t *recs, const char *model) {
  int bad = g_fail;
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
  CHECK(id && sha, "no successful call of %s in the journal", model);
  snprintf(path, sizeof path, "/v1/predictions/%s", id);
  mock_resp resp;
  mock_request(&e->s, "GET", path, TOKEN, NULL, NULL, 10, &resp);
  pred = mock_resp_json(&resp);
  mock_resp_free(&resp);
  json_t *o = json_object_get(pred, "output");
  const char *u = json_string_value(json_is_array(o) ? json_array_get(o, 0) : o);
  CHECK(u, "prediction %s has no output URL", id);
  snprintf(url, sizeof url, "%s", u);
  mock_request(&e->s, "GET", url, TOKEN, NULL, NULL, 30, &resp);
  mock_resp_header(&resp, "ETag", etag, sizeof etag);
  long st = resp.status;
  mock_resp_free(&resp);
  CHECK(st == 200, "GET %s: %ld", url, st);
  CHECK(strlen(etag) == 34 && !strncmp(etag + 1, sha, 32), "cached %s has sha256 %.32s…, the mock's file %s",
        model, sha, etag);
out:
  json_decref(pred);
  return g_fail - bad;
}

/* ---- the examples ----------------------------------------------------------------------- */

/* Builds an example against the mock: complete, billed as the ledger says, within budget;
 * the journal has intent → id → outcome for every paid node; a second build is free. */
static void example(const char *name, bool force_replicate) {
  env_t e;
  json_t *recs = NULL, *b1 = NULL, *b2 = NULL, *l = NULL, *calls = NULL;
  char script[128];
  snprintf(script, sizeof script, "examples/%s.vscript", name);
  const char *margs[] = {"--latency", "0.3", NULL};
  CHECK(setup(&e, script, margs) == 0, "setup");
  CHECK(load_ir(&e) == 0, "vsc ir %s", name);
  const char *p1 = force_replicate ? "--provider" : NULL, *p2 = force_replicate ? "replicate" : NULL;
  int rc = build(&e, p1, p2);
  CHECK(rc == 0, "build exited %d", rc);
  check_complete(&e);
  check_books(&e, budget_of(&e));
  b1 = mock_get(&e, "/_mock/billing");
  int paid = (int)json_integer_value(json_object_get(b1, "count"));
  CHECK(paid > 0 && billed(b1, NULL, "succeeded") == paid, "%d predictions, %d succeeded", paid,
        billed(b1, NULL, "succeeded"));
  /* The journal of this one build: per paid node, intent → started with the billed id →
   * done succeeded with the output's hash. */
  recs = journal(&e);
  CHECK(jcount(recs, "build", NULL, NULL) == 1 && jcount(recs, "end", "status", "ok") == 1,
        "one build record and one end 'ok'");
  CHECK(jcount(recs, "intent", NULL, NULL) == paid, "%d intents for %d predictions",
        jcount(recs, "intent", NULL, NULL), paid);
  CHECK(jcount(recs, "started", NULL, NULL) == paid, "started records");
  CHECK(jcount(recs, "done", "outcome", "succeeded") == paid, "done records");
  size_t i;
  json_t *r;
  json_array_foreach(recs, i, r) {
    if (strcmp(json_string_value(json_object_get(r, "t")), "done")) continue;
    const char *sha = json_string_value(json_object_get(r, "sha256"));
    CHECK(sha && strlen(sha) == 64, "a done record without the output's sha256");
  }
  l = ledger(&e);
  calls = ledger_calls(l);
  CHECK((int)json_array_size(calls) == paid, "the ledger lists %zu calls", json_array_size(calls));
  json_array_foreach(calls, i, r)
    CHECK(billed(b1, json_string_value(json_object_get(r, "model")), "succeeded") > 0,
          "the ledger's %s was not billed", json_string_value(json_object_get(r, "model")));

  /* Again: everything is cached, no provider call, $0. */
  long creates = requests(&e, CREATE_OFFICIAL) + requests(&e, CREATE_VERSIONED);
  rc = build(&e, p1, p2);
  CHECK(rc == 0, "second build exited %d", rc);
  b2 = mock_get(&e, "/_mock/billing");
  CHECK(json_integer_value(json_object_get(b2, "count")) == paid &&
            json_number_value(json_object_get(b2, "total")) == json_number_value(json_object_get(b1, "total")),
        "the second build was billed");
  CHECK(requests(&e, CREATE_OFFICIAL) + requests(&e, CREATE_VERSIONED) == creates,
        "the second build created predictions");
  json_decref(recs);
  recs = journal(&e);
  CHECK(jcount(recs, "intent", NULL, NULL) == paid, "the second build journaled paid calls");
  check_complete(&e);
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

/* ---- faults ---------------------------------------------------------------------------------- */

#define FAULTS_SCRIPT "tests/replicate_e2e/faults.vscript"

/* Starts a fault case: the mock with `latency`, the fault rules, the IR. */
static int fault_setup(env_t *e, const char *latency, const char *rules) {
  const char *margs[] = {"--latency", latency, NULL};
  if (setup(e, FAULTS_SCRIPT, margs) < 0 || load_ir(e) < 0) return -1;
  return rules ? set_faults(e, rules) : 0;
}

/* One create per paid node, each billed once and succeeded: what a build that recovered from
 * transport faults must look like. */
static int check_one_each(env_t *e) {
  int bad = g_fail;
  json_t *b = mock_get(e, "/_mock/billing");
  json_t *recs = journal(e);
  CHECK(json_integer_value(json_object_get(b, "count")) == 3, "%lld predictions billed",
        (long long)json_integer_value(json_object_get(b, "count")));
  CHECK(billed(b, SEEDANCE, "succeeded") == 1 && billed(b, FLUX, "succeeded") == 1 &&
            billed(b, KOKORO, "succeeded") == 1, "one prediction per model");
  CHECK(requests(e, CREATE_OFFICIAL) == 2 && requests(e, CREATE_VERSIONED) == 1,
        "creates that reached the server: %ld official, %ld versioned",
        requests(e, CREATE_OFFICIAL), requests(e, CREATE_VERSIONED));
  CHECK(jcount(recs, "intent", NULL, NULL) == 3 && jcount(recs, "retry", NULL, NULL) == 0,
        "one paid call per node, no retried call");
out:
  json_decref(b);
  json_decref(recs);
  return g_fail - bad;
}

/* 429 + Retry-After on two creates (seconds, and an HTTP date): the provider waits and sends
 * them again; the build is complete and nothing is paid twice. */
static void t_retry_429(void) {
  env_t e;
  CHECK(fault_setup(&e, "0.3",
                    "[{\"method\":\"POST\",\"model\":\"" SEEDANCE "\",\"action\":\"status\","
                    "\"status\":429,\"retry_after\":2,\"count\":1},"
                    "{\"method\":\"POST\",\"model\":\"" FLUX "\",\"action\":\"status\",\"status\":429,"
                    "\"retry_after\":2,\"retry_after_format\":\"date\",\"count\":1}]") == 0, "setup");
  int rc = build(&e, NULL, NULL);
  CHECK(rc == 0, "exit %d", rc);
  CHECK(fired(&e, 0) == 1 && fired(&e, 1) == 1, "the 429s were not sent");
  CHECK(e.last_secs >= 1.9, "Retry-After: 2 not honoured (build took %.2f s)", e.last_secs);
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
  CHECK(fault_setup(&e, "1.5",
                    "[{\"method\":\"POST\",\"model\":\"" SEEDANCE "\",\"action\":\"status\",\"status\":500,\"count\":1},"
                    "{\"method\":\"GET\",\"path\":\"/v1/predictions/*\",\"action\":\"status\",\"status\":502,\"count\":2},"
                    "{\"method\":\"GET\",\"path\":\"/delivery/*\",\"model\":\"" FLUX "\",\"action\":\"status\",\"status\":503,\"count\":1},"
                    "{\"method\":\"POST\",\"path\":\"/v1/predictions\",\"action\":\"status\",\"status\":504,\"count\":1}]") == 0,
        "setup");
  int rc = build(&e, NULL, NULL);
  CHECK(rc == 0, "exit %d", rc);
  CHECK(fired(&e, 0) == 1 && fired(&e, 1) == 2 && fired(&e, 2) == 1 && fired(&e, 3) == 1,
        "fired %ld %ld %ld %ld", fired(&e, 0), fired(&e, 1), fired(&e, 2), fired(&e, 3));
  CHECK(requests(&e, "GET /v1/predictions") >= 2, "creates answered 5xx were sent again without looking");
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
  CHECK(fault_setup(&e, "1.5",
                    "[{\"method\":\"POST\",\"model\":\"" SEEDANCE "\",\"action\":\"reset\",\"count\":1},"
                    "{\"method\":\"GET\",\"path\":\"/v1/predictions/*\",\"action\":\"reset\",\"count\":1},"
                    "{\"method\":\"GET\",\"path\":\"/delivery/*\",\"action\":\"reset\",\"count\":2}]") == 0,
        "setup");
  int rc = build(&e, NULL, NULL);
  CHECK(rc == 0, "exit %d", rc);
  CHECK(fired(&e, 0) == 1 && fired(&e, 1) == 1 && fired(&e, 2) == 2, "resets not sent");
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
  CHECK(fault_setup(&e, "0.3",
                    "[{\"method\":\"GET\",\"path\":\"/delivery/*\",\"model\":\"" SEEDANCE "\",\"action\":\"stall\",\"bytes\":2000,\"delay\":20,\"count\":1},"
                    "{\"method\":\"GET\",\"path\":\"/delivery/*\",\"model\":\"" KOKORO "\",\"action\":\"slow\",\"rate\":40000,\"count\":1},"
                    "{\"method\":\"POST\",\"model\":\"" FLUX "\",\"action\":\"slow\",\"delay\":1.5,\"count\":1}]") == 0,
        "setup");
  int rc = build(&e, NULL, NULL);
  CHECK(rc == 0, "exit %d", rc);
  CHECK(fired(&e, 0) == 1 && fired(&e, 1) == 1 && fired(&e, 2) == 1, "faults not fired");
  /* The mock would hold the stalled body 20 s: ending well before means vsc gave up on it. */
  CHECK(e.last_secs < 12, "the stalled download was waited out (%.1f s), not resumed", e.last_secs);
  /* 3 + the resume; more when a busy mock takes over the 1 s limit to start a body. */
  CHECK(requests(&e, "GET /delivery/{id}/{index}/{file}") >= 4, "%ld downloads (3 + 1 resume)",
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
  CHECK(fault_setup(&e, "0.3",
                    "[{\"method\":\"GET\",\"path\":\"/delivery/*\",\"model\":\"" SEEDANCE "\",\"action\":\"truncate\",\"bytes\":1000,\"count\":2},"
                    "{\"method\":\"GET\",\"path\":\"/delivery/*\",\"model\":\"" KOKORO "\",\"action\":\"truncate\",\"count\":1}]") == 0,
        "setup");
  int rc = build(&e, NULL, NULL);
  CHECK(rc == 0, "exit %d", rc);
  CHECK(fired(&e, 0) == 2 && fired(&e, 1) == 1, "truncations not sent");
  CHECK(requests(&e, "GET /delivery/{id}/{index}/{file}") == 6, "%ld downloads (3 + 3 resumes)",
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
  CHECK(fault_setup(&e, "0.3", "[{\"model\":\"" SEEDANCE "\",\"action\":\"fail\",\"preset\":\"nsfw\",\"count\":1}]") == 0,
        "setup");
  int rc = build(&e, NULL, NULL);
  CHECK(rc == 0, "exit %d", rc);
  check_complete(&e);
  recs = journal(&e);
  const char *node = node_of_model(recs, SEEDANCE);
  CHECK(node, "no call of " SEEDANCE);
  CHECK(jcount(recs, "fallback", "kind", "policy") == 1 && jcount(recs, "fallback", "to", WAN) == 1,
        "no policy fallback to " WAN);
  CHECK(jcount(recs, "retry", "node", node) == 0, "a content-policy refusal was retried");
  CHECK(jcount(recs, "done", "kind", "policy") == 1, "the refusal is not journaled as policy");
  b = mock_get(&e, "/_mock/billing");
  CHECK(billed(b, SEEDANCE, "failed") == 1 && billed(b, SEEDANCE, "succeeded") == 0, "seedance billing");
  CHECK(billed(b, WAN, "succeeded") == 1 && billed(b, NULL, NULL) == 4, "wan billing");
  CHECK(billed_cost(b, SEEDANCE) == 0, "a refused prediction was charged");
  m = manifest(&e);
  CHECK(manifest_model(m, "clip") && !strcmp(manifest_model(m, "clip"), WAN),
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
  CHECK(fault_setup(&e, "0.2",
                    "[{\"model\":\"" SEEDANCE "\",\"action\":\"fail\",\"preset\":\"oom\",\"count\":-1},"
                    "{\"model\":\"" WAN "\",\"action\":\"fail\",\"preset\":\"oom\",\"count\":-1}]") == 0,
        "setup");
  int rc = build(&e, NULL, NULL);
  CHECK(rc == 6, "exit %d, not 6 (partial)", rc);
  CHECK(file_has(e.last_err, "degraded: scene clip"), "the report does not name scene clip");
  check_mp4(&e);
  recs = journal(&e);
  const char *node = node_of_model(recs, SEEDANCE);
  CHECK(node, "no call of " SEEDANCE);
  CHECK(jcount(recs, "intent", "model", SEEDANCE) == 3 && jcount(recs, "intent", "model", WAN) == 3,
        "%d seedance and %d wan calls, not 3 each", jcount(recs, "intent", "model", SEEDANCE),
        jcount(recs, "intent", "model", WAN));
  CHECK(jcount(recs, "retry", "node", node) == 4, "retries");
  CHECK(jcount(recs, "fallback", "to", WAN) == 1, "fallback");
  CHECK(jcount(recs, "degrade", "scene", "clip") == 1, "degrade record");
  CHECK(jcount(recs, "end", "status", "partial") == 1, "end record");
  b = mock_get(&e, "/_mock/billing");
  CHECK(billed(b, SEEDANCE, "failed") == 3 && billed(b, WAN, "failed") == 3, "failed predictions");
  CHECK(billed_cost(b, SEEDANCE) + billed_cost(b, WAN) == 0, "failures were charged");
  m = manifest(&e);
  CHECK(!strcmp(json_string_value(json_object_get(m, "status")), "partial"), "manifest status");
  size_t i;
  json_t *sc;
  json_array_foreach(json_object_get(m, "scenes"), i, sc) {
    bool clip = !strcmp(json_string_value(json_object_get(sc, "name")), "clip");
    CHECK(json_is_true(json_object_get(sc, "degraded")) == clip, "scene %s degraded: %d",
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

/* A prediction canceled, or aborted, on the provider's side: retried. An aborted one is not
 * charged; one canceled while running pays its processing time (as Replicate bills it). */
static void outcome_retried(const char *action, const char *model, const char *status) {
  env_t e;
  json_t *recs = NULL, *b = NULL;
  char rules[300];
  snprintf(rules, sizeof rules, "[{\"model\":\"%s\",\"action\":\"%s\",\"count\":1}]", model, action);
  CHECK(fault_setup(&e, "0.3", rules) == 0, "setup");
  int rc = build(&e, NULL, NULL);
  CHECK(rc == 0, "exit %d", rc);
  check_complete(&e);
  recs = journal(&e);
  const char *node = node_of_model(recs, model);
  CHECK(node && jcount(recs, "intent", "node", node) == 2 && jcount(recs, "retry", "node", node) == 1,
        "the %s prediction was not retried once", status);
  CHECK(jcount(recs, "done", "outcome", !strcmp(status, "canceled") ? "canceled" : "failed") == 1,
        "no %s outcome in the journal", status);
  b = mock_get(&e, "/_mock/billing");
  CHECK(billed(b, model, status) == 1 && billed(b, model, "succeeded") == 1, "%s billing", model);
  CHECK((!strcmp(status, "canceled") ? status_cost(b, model, status) > 0 : status_cost(b, model, status) == 0) &&
        billed(b, NULL, NULL) == 4, "the %s prediction's charge: $%f", status, status_cost(b, model, status));
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
  CHECK(fault_setup(&e, "0.3", "[{\"model\":\"" FLUX "\",\"action\":\"expire\",\"count\":1}]") == 0, "setup");
  int rc = build(&e, NULL, NULL);
  CHECK(rc == 0, "exit %d", rc);
  check_complete(&e);
  b = mock_get(&e, "/_mock/billing");
  CHECK(billed(b, FLUX, "succeeded") == 2 && fabs(billed_cost(b, FLUX) - 0.006) < 1e-9,
        "flux: %d predictions, $%.4f", billed(b, FLUX, "succeeded"), billed_cost(b, FLUX));
  recs = journal(&e);
  const char *node = node_of_model(recs, FLUX);
  CHECK(node && jcount(recs, "retry", "node", node) == 1, "the expired output was not retried");
  CHECK(jcount(recs, "done", "outcome", "failed") == 1, "the expired call's outcome");
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
  CHECK(fault_setup(&e, "0.5", "[{\"method\":\"POST\",\"model\":\"" SEEDANCE "\",\"action\":\"lose_response\",\"count\":1}]") == 0,
        "setup");
  int rc = build(&e, NULL, NULL);
  CHECK(rc == 0, "exit %d", rc);
  CHECK(fired(&e, 0) == 1, "the response was not lost");
  CHECK(requests(&e, "GET /v1/predictions") >= 1, "the provider did not look for the prediction");
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
  CHECK(id && jcount(recs, "started", "prediction", id) == 1, "the re-attached id is not journaled once");
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
  CHECK(fault_setup(&e, "0.3", wrong_token ? NULL
                    : "[{\"method\":\"POST\",\"path\":\"/v1/*predictions\",\"action\":\"status\",\"status\":402,\"count\":-1}]") == 0,
        "setup");
  if (wrong_token) use_token(&e, WRONG_TOKEN);
  int rc = build(&e, NULL, NULL);
  CHECK(rc == 5, "exit %d, not 5", rc);
  CHECK(file_has(e.last_err, expect), "the report does not say '%s'", expect);
  CHECK(access(e.out, F_OK) != 0, "a video was written");
  b = mock_get(&e, "/_mock/billing");
  CHECK(json_integer_value(json_object_get(b, "count")) == 0, "something was billed");
  recs = journal(&e);
  CHECK(jcount(recs, "done", "kind", "auth") >= 1, "no auth failure in the journal");
  CHECK(jcount(recs, "done", "outcome", "succeeded") == 0, "a call succeeded");
  CHECK(jcount(recs, "degrade", NULL, NULL) == 0 && jcount(recs, "fallback", NULL, NULL) == 0 &&
            jcount(recs, "retry", NULL, NULL) == 0, "an auth failure was retried, fallen back or degraded");
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
  CHECK(setup(&e, FAULTS_SCRIPT, margs) == 0, "setup");
  CHECK(edit_file(e.script, "budget $1.00", "budget $0.25") == 0, "edit budget");
  CHECK(load_ir(&e) == 0 && budget_of(&e) == 0.25, "ir");
  CHECK(set_faults(&e, "[{\"model\":\"" SEEDANCE "\",\"action\":\"expire\",\"count\":-1}]") == 0, "faults");
  int rc = build(&e, NULL, NULL);
  CHECK(rc == 7, "exit %d, not 7", rc);
  recs = journal(&e);
  CHECK(jcount(recs, "budget-stop", NULL, NULL) == 1, "no budget-stop record");
  CHECK(jcount(recs, "end", "status", "budget") == 1, "end record");
  b = mock_get(&e, "/_mock/billing");
  CHECK(billed(b, SEEDANCE, NULL) == 2, "%d seedance predictions, not 2", billed(b, SEEDANCE, NULL));
  CHECK(json_number_value(json_object_get(b, "total")) <= 0.25, "the budget was exceeded");
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
  CHECK(fault_setup(&e, "6", NULL) == 0, "setup");
  const char *args[] = {"build", e.script, "-o", e.out, "--preview", "--progress", "plain", NULL};
  char log[600];
  pid_t pid = spawn_vsc(&e, args, log, sizeof log);
  CHECK(pid > 0, "spawn");
  double end = mock_clock() + 20;
  int started = 0;
  while (mock_clock() < end) {
    recs = journal(&e);
    started = jcount(recs, "started", NULL, NULL);
    json_decref(recs);
    recs = NULL;
    if (started == 3) break;
    mock_pause(0.05);
  }
  kill(pid, SIGKILL);
  wait_vsc(pid, 10);
  CHECK(started == 3, "only %d prediction ids were journaled", started);
  b = mock_get(&e, "/_mock/billing");
  CHECK(json_integer_value(json_object_get(b, "predictions")) == 3, "predictions before the kill");
  CHECK(json_integer_value(json_object_get(b, "count")) == 0, "the predictions had already ended");
  json_decref(b);
  b = NULL;
  int rc = build(&e, NULL, NULL);
  CHECK(rc == 0, "rebuild exit %d", rc);
  check_complete(&e);
  recs = journal(&e);
  CHECK(jcount(recs, "reattach", NULL, NULL) == 3, "%d re-attached, not 3", jcount(recs, "reattach", NULL, NULL));
  CHECK(jcount(recs, "intent", NULL, NULL) == 3, "the rebuild paid for new calls");
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
  CHECK(setup(&e, LOCK_SCRIPT, NULL) == 0, "setup");
  snprintf(lock, sizeof lock, "%s/vsc.lock.json", e.dir);
  const char *check[] = {"check", e.script, "--json", NULL};
  CHECK(run_vsc(&e, check, NULL, 0) == 0, "the loose registry entries reject the script");

  /* Without credentials accepted, nothing is written. */
  use_token(&e, WRONG_TOKEN);
  const char *pull1[] = {"models", "pull", "bytedance/seedance-1-lite", "--script", e.script, NULL};
  int rc = run_vsc(&e, pull1, NULL, 0);
  CHECK(rc == 5 && file_has(e.last_err, "401"), "pull with a refused token: exit %d", rc);
  CHECK(access(lock, F_OK) != 0, "a lock was written without the schema");
  use_token(&e, TOKEN);

  CHECK(run_vsc(&e, pull1, out, sizeof out) == 0, "pull seedance");
  CHECK(file_has(out, "locked bytedance/seedance-1-lite at version"), "pull does not say what it locked");
  const char *pull2[] = {"models", "pull", "loose_kling", "--script", e.script, NULL}; /* an alias */
  CHECK(run_vsc(&e, pull2, NULL, 0) == 0, "pull kling by its alias");
  text = slurp(lock, NULL);
  CHECK(text, "no %s", lock);
  doc = json_loads(text, 0, NULL);
  CHECK(doc && !strcmp(json_string_value(json_object_get(doc, "format")), "vsc-lock") &&
            json_integer_value(json_object_get(doc, "version")) == 1, "lock header");
  canon = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
  CHECK(canon && strlen(text) == strlen(canon) + 1 && !strncmp(text, canon, strlen(canon)) &&
            text[strlen(canon)] == '\n', "the lock is not canonical JSON");
  CHECK(!strstr(text, "$ref"), "the lock has unresolved $refs");
  CHECK(json_object_size(json_object_get(doc, "models")) == 2, "two models locked");
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
    CHECK(want && !strcmp(json_string_value(json_object_get(locked, "version")), want),
          "%s is locked at another version than the latest", refs[i]);
    CHECK(json_object_size(json_object_get(json_object_get(locked, "input"), "properties")) ==
              json_object_size(json_object_get(json_object_get(json_object_get(json_object_get(
                  json_object_get(json_object_get(model, "latest_version"), "openapi_schema"),
                  "components"), "schemas"), "Input"), "properties")),
          "%s: the locked inputs differ from the published ones", refs[i]);
    json_decref(model);
    model = NULL;
  }
  /* Pulling again changes nothing (canonical, deterministic). */
  CHECK(run_vsc(&e, pull1, NULL, 0) == 0, "second pull");
  again = slurp(lock, NULL);
  CHECK(again && !strcmp(again, text), "a second pull rewrote the lock differently");

  /* The checker now cites the lock, at the exact spans. */
  CHECK(run_vsc(&e, check, out, sizeof out) == 4, "the locked schemas do not reject the script");
  diags = json_load_file(out, 0, NULL);
  script = slurp(e.script, NULL);
  CHECK(diags && script, "diagnostics");
  CHECK(json_integer_value(json_object_get(diags, "errors")) == 5, "%lld errors, not 5",
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
    CHECK(d, "no error '%s' at %d:%d", want[i].msg, line, col);
    const char *hint = json_string_value(json_object_get(d, "hint"));
    CHECK(hint && strstr(hint, "vsc.lock.json (version "), "the error at %d:%d does not cite the lock", line, col);
    CHECK(!strstr(want[i].msg, "out of range") || strstr(hint, "ranges from 2 to 12"),
          "the range error does not give the locked range");
  }
  /* Corrected, the script compiles with and without the lock; the lock pins the versions
   * that run (call.version), and without it the same calls float (version null). */
  CHECK(edit_file(e.script, BAD_WITH, "with { resolution: \"720p\", fps: 24, duration: 5 }") == 0 &&
            edit_file(e.script, "model loose_kling\n", "model loose_kling\n    with { start_image: \"https://example.com/kite.png\" }\n") == 0,
        "edit");
  snprintf(plan_a, sizeof plan_a, "%s/locked.json", e.dir);
  snprintf(plan_b, sizeof plan_b, "%s/unlocked.json", e.dir);
  const char *ir_a[] = {"ir", e.script, "-o", plan_a, NULL};
  const char *ir_b[] = {"ir", e.script, "-o", plan_b, NULL};
  CHECK(run_vsc(&e, ir_a, NULL, 0) == 0, "the corrected script fails with the lock");
  snprintf(moved, sizeof moved, "%s/moved.lock.json", e.dir);
  CHECK(rename(lock, moved) == 0, "move the lock away");
  CHECK(run_vsc(&e, ir_b, NULL, 0) == 0, "the corrected script fails without the lock");
  ira = slurp(plan_a, NULL);
  irb = slurp(plan_b, NULL);
  CHECK(ira && irb, "IRs written");
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
      CHECK(json_equal(json_object_get(call, "version"), json_object_get(lk, "version")),
            "node %zu does not run the locked version", k);
      json_t *nb = json_array_get(json_object_get(jb, "nodes"), k);
      CHECK(json_is_null(json_object_get(json_object_get(nb, "call"), "version")),
            "without the lock node %zu is still pinned", k);
      CHECK(strcmp(json_string_value(json_object_get(n, "id")), json_string_value(json_object_get(nb, "id"))) != 0,
            "a pinned call must be another node than a floating one");
    }
    CHECK(pinned == 2, "%zu locked calls, not 2", pinned);
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

static void ex_ad(void) { example("ad", false); }
static void ex_explainer(void) { example("explainer", false); }
static void ex_music_video(void) { example("music_video", true); } /* it says `provider local` */
static void ex_social(void) { example("social", false); }

static const struct {
  const char *name;
  void (*fn)(void);
} cases[] = {
    {"example_ad", ex_ad},
    {"example_explainer", ex_explainer},
    {"example_music_video", ex_music_video},
    {"example_social", ex_social},
    {"retry_429", t_retry_429},
    {"http_5xx", t_http_5xx},
    {"conn_reset", t_conn_reset},
    {"slow_stall", t_slow_stall},
    {"truncate", t_truncate},
    {"policy_fallback", t_policy_fallback},
    {"failed_degrade", t_failed_degrade},
    {"canceled", t_canceled},
    {"aborted", t_aborted},
    {"expired", t_expired},
    {"lost_response", t_lost_response},
    {"auth_401", t_auth_401},
    {"credit_402", t_credit_402},
    {"budget", t_budget},
    {"kill9", t_kill9},
    {"models_pull", t_models_pull},
};

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test_replicate_e2e CASE\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  /* Only what a case sets reaches vsc. */
  unsetenv("VSC_REPLICATE_URL");
  unsetenv("VSC_REPLICATE_WAIT");
  unsetenv("VSC_REPLICATE_STALL");
  unsetenv("VSC_REPLICATE_CANCEL_AFTER");
  unsetenv("VSC_TEST_PROVIDER");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (!strcmp(cases[i].name, argv[1])) {
      cases[i].fn();
      if (g_fail) fprintf(stderr, "%s: %d check(s) failed\n", argv[1], g_fail);
      return g_fail ? 1 : 0;
    }
  fprintf(stderr, "unknown case %s\n", argv[1]);
  return 2;
}
