/*
** test_replicate.c — the replicate provider against mock-replicate: success, parallelism,
** retries, re-attach after a lost create, resumed downloads, error classes, cancel, cost.
** `test_replicate NAME` runs one case (each is its own ctest).
*/
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mock_harness.h"
#include "vsc/vsc_provider.h"
#include "vsc/vsc_replicate.h"

#define TOKEN "r8_secret_test_token_0123456789"

typedef struct {
  mock_server s;
  vsc_provider *p;
  char dir[64];
  json_t *nodes[16];
  vsc_pred *preds[16];
  vsc_pred_request reqs[16];
  char out[16][128];
  int n;
} fixture;

static int setup(fixture *f, const char *const *mock_args, const char *wait, const char *stall) {
  memset(f, 0, sizeof *f);
  if (mock_server_start(&f->s, mock_args) < 0) return -1;
  vsc_test_tmpdir(f->dir, sizeof f->dir, "rep");
  char base[128];
  snprintf(base, sizeof base, "%s/v1", f->s.base);
  setenv("REPLICATE_API_TOKEN", TOKEN, 1);
  setenv("REPLICATE_API_BASE", base, 1);
  setenv("VSC_REPLICATE_WAIT", wait ? wait : "60", 1);
  setenv("VSC_REPLICATE_STALL", stall ? stall : "30", 1);
  setenv("VSC_REPLICATE_SETTLE", "1", 1); /* a lost create is looked for again 1 s after it was sent */
  vsc_op_error err;
  if (vsc_replicate_provider_new(&f->p, NULL, &err) < 0) {
    fprintf(stderr, "provider: %s\n", err.msg);
    return -1;
  }
  return 0;
}

static void teardown(fixture *f) {
  for (int i = 0; i < f->n; i++) {
    if (f->preds[i]) f->p->vt->release(f->preds[i]);
    json_decref(f->nodes[i]);
    unlink(f->out[i]);
  }
  if (f->p) f->p->vt->destroy(f->p);
  if (f->s.pid) mock_server_stop(&f->s, 5);
  vsc_test_rmtree(f->dir);
}

/* The resolved call the planner writes for these generic params (docs/ir.md "call"), for the
 * two models these cases use: their registry input names and price rules. */
static json_t *call_for(const char *model, json_t *params) {
  int image = strstr(model, "flux") != NULL;
  json_t *in = json_object();
  json_object_set(in, "prompt", json_object_get(params, "prompt"));
  if (json_object_get(params, "aspect")) json_object_set(in, "aspect_ratio", json_object_get(params, "aspect"));
  if (json_object_get(params, "seed")) json_object_set(in, "seed", json_object_get(params, "seed"));
  double secs = json_number_value(json_object_get(params, "duration"));
  if (!image && secs > 0) json_object_set_new(in, "duration", json_integer((json_int_t)ceil(secs - 1e-9)));
  json_object_update(in, json_object_get(params, "input"));
  double units = image ? 1 : json_number_value(json_object_get(in, "duration"));
  double rate = image ? 0.003 : 0.036;
  return json_pack("{s:s, s:s, s:n, s:o, s:{s:s, s:f, s:f, s:f, s:f, s:f}, s:s}", "provider", "replicate",
                   "model", model, "version", "input", in, "price", "unit", image ? "image" : "second",
                   "rate", rate, "units", units, "max_units", units, "estimate", round(rate * units * 1e6) / 1e6,
                   "max", round(rate * units * 1e6) / 1e6, "output", image ? "image" : "video");
}

/* Adds a generate node for `model` with the given params JSON and starts it (or reattaches). */
static int start(fixture *f, const char *model, const char *params, const char *ext,
                 const char *reattach_id) {
  int i = f->n++;
  char node[2048];
  snprintf(node, sizeof node, "{\"id\":\"%064d\",\"op\":\"generate\",\"model\":\"%s\",\"params\":%s}",
           i, model, params);
  f->nodes[i] = json_loads(node, 0, NULL);
  json_object_set_new(f->nodes[i], "call", call_for(model, json_object_get(f->nodes[i], "params")));
  snprintf(f->out[i], sizeof f->out[i], "%s/out%d.%s", f->dir, i, ext);
  vsc_pred_request *r = &f->reqs[i];
  memset(r, 0, sizeof *r);
  r->node = f->nodes[i];
  r->node_id = "0";
  r->model = model;
  r->call = json_object_get(f->nodes[i], "call");
  r->out_path = f->out[i];
  r->attempt = 1;
  vsc_op_error err;
  int rc = reattach_id ? f->p->vt->reattach(f->p, &f->preds[i], r, reattach_id, 0, &err)
                       : f->p->vt->start(f->p, &f->preds[i], r, &err);
  if (rc < 0) fprintf(stderr, "start: %s\n", err.msg);
  return rc < 0 ? -1 : i;
}

static int terminal(vsc_pred_state s) {
  return s == VSC_PRED_SUCCEEDED || s == VSC_PRED_FAILED || s == VSC_PRED_CANCELED;
}

/* Steps until every prediction ended or `limit` seconds passed; returns elapsed seconds. */
static double run_all(fixture *f, double limit) {
  double t0 = vsc_test_now();
  while (vsc_test_now() - t0 < limit) {
    int busy = 0;
    for (int i = 0; i < f->n; i++) {
      vsc_pred_status st;
      f->p->vt->status(f->preds[i], &st);
      if (!terminal(st.state)) busy = 1;
    }
    if (!busy) break;
    f->p->vt->step(f->p, 0.2);
  }
  return vsc_test_now() - t0;
}

static vsc_pred_status status_of(fixture *f, int i) {
  vsc_pred_status st;
  f->p->vt->status(f->preds[i], &st);
  return st;
}

static json_t *mock_get(fixture *f, const char *path) {
  mock_resp r;
  mock_request(&f->s, "GET", path, TOKEN, NULL, NULL, 10, &r);
  json_t *j = mock_resp_json(&r);
  mock_resp_free(&r);
  return j;
}

static double billed(fixture *f, int *count) {
  json_t *b = mock_get(f, "/_mock/billing");
  double t = json_number_value(json_object_get(b, "total"));
  if (count) *count = (int)json_integer_value(json_object_get(b, "predictions"));
  json_decref(b);
  return t;
}

static int faults(fixture *f, const char *rules) {
  mock_resp r;
  mock_request(&f->s, "POST", "/_mock/faults", NULL, rules, NULL, 10, &r);
  long st = r.status;
  mock_resp_free(&r);
  return st == 200 ? 0 : -1;
}

static int file_is(const char *path, const char *magic, size_t off) {
  FILE *fp = fopen(path, "rb");
  char buf[16] = {0};
  size_t n = fp ? fread(buf, 1, sizeof buf, fp) : 0;
  if (fp) fclose(fp);
  return n >= off + strlen(magic) && !memcmp(buf + off, magic, strlen(magic));
}

#define SEEDANCE "bytedance/seedance-1-lite"
#define VIDEO_PARAMS "{\"kind\":\"video\",\"prompt\":\"steam over a cup\",\"duration\":4.2,\"aspect\":\"16:9\",\"seed\":7,\"input\":{}}"

/* ---- cases ------------------------------------------------------------------------------ */

static void t_basic(void) {
  fixture f;
  const char *args[] = {"--latency", "0.5", "--token", TOKEN, NULL};
  if (setup(&f, args, NULL, NULL)) {
    vsc_test_failures++;
    teardown(&f);
    return;
  }
  int i = start(&f, SEEDANCE, VIDEO_PARAMS, "mp4", NULL);
  REQUIRE(i >= 0, "start");
  run_all(&f, 20);
  vsc_pred_status st = status_of(&f, i);
  REQUIRE(st.state == VSC_PRED_SUCCEEDED, "state %d: %s", st.state, st.err.msg);
  REQUIRE(strlen(st.id) == 26 && st.seed == 7 && st.predict_time > 0.2, "id/seed/predict_time");
  REQUIRE(file_is(f.out[i], "ftyp", 4), "an MP4 was written");
  int n;
  double total = billed(&f, &n);
  /* 4.2 s is asked as 5 whole seconds × $0.036 (the registry's price, as the mock's). */
  REQUIRE(n == 1 && fabs(total - 0.18) < 1e-9 && fabs(st.cost - total) < 1e-9,
          "cost %f, billed %f over %d", st.cost, total, n);
  json_t *p = mock_get(&f, "/v1/predictions");
  json_t *in = json_object_get(json_array_get(json_object_get(p, "results"), 0), "input");
  REQUIRE(json_integer_value(json_object_get(in, "duration")) == 5 &&
              !strcmp(json_string_value(json_object_get(in, "aspect_ratio")), "16:9"),
          "inputs mapped by the registry");
  json_decref(p);
out:
  teardown(&f);
}

static void t_parallel(void) {
  fixture f;
  const char *args[] = {"--latency", "1.5", NULL};
  if (setup(&f, args, NULL, NULL)) {
    vsc_test_failures++;
    teardown(&f);
    return;
  }
  for (int k = 0; k < 8; k++) {
    char params[300];
    snprintf(params, sizeof params, "{\"kind\":\"video\",\"prompt\":\"scene %d\",\"duration\":2,\"input\":{}}", k);
    REQUIRE(start(&f, SEEDANCE, params, "mp4", NULL) >= 0, "start %d", k);
  }
  double took = run_all(&f, 30);
  for (int k = 0; k < 8; k++) REQUIRE(status_of(&f, k).state == VSC_PRED_SUCCEEDED, "pred %d", k);
  REQUIRE(took < 1.5 * 2.5, "8 × 1.5 s predictions in %f s", took);
out:
  teardown(&f);
}

static void t_retry_429(void) {
  fixture f;
  const char *args[] = {"--latency", "0.3", NULL};
  if (setup(&f, args, NULL, NULL)) {
    vsc_test_failures++;
    teardown(&f);
    return;
  }
  REQUIRE(faults(&f, "[{\"method\":\"POST\",\"path\":\"/v1/models/*\",\"action\":\"status\",\"status\":429,\"retry_after\":1,\"count\":1},"
                     "{\"method\":\"GET\",\"path\":\"/delivery/*\",\"action\":\"status\",\"status\":503,\"count\":2}]") == 0,
          "f");
  int i = start(&f, SEEDANCE, VIDEO_PARAMS, "mp4", NULL);
  double took = run_all(&f, 20);
  vsc_pred_status st = status_of(&f, i);
  REQUIRE(st.state == VSC_PRED_SUCCEEDED, "%s", st.err.msg);
  REQUIRE(took >= 1.0, "Retry-After honoured (%f s)", took);
  int n;
  billed(&f, &n);
  REQUIRE(n == 1, "one prediction, not %d", n);
out:
  teardown(&f);
}

static void t_lost_response(void) {
  fixture f;
  const char *args[] = {"--latency", "0.3", NULL};
  if (setup(&f, args, NULL, NULL)) {
    vsc_test_failures++;
    teardown(&f);
    return;
  }
  REQUIRE(faults(&f, "[{\"method\":\"POST\",\"path\":\"/v1/models/*\",\"action\":\"lose_response\"}]") == 0, "f");
  int i = start(&f, SEEDANCE, VIDEO_PARAMS, "mp4", NULL);
  run_all(&f, 20);
  vsc_pred_status st = status_of(&f, i);
  REQUIRE(st.state == VSC_PRED_SUCCEEDED, "%s", st.err.msg);
  int n;
  double total = billed(&f, &n);
  REQUIRE(n == 1 && fabs(total - st.cost) < 1e-9, "re-attached: %d predictions, paid once", n);
out:
  teardown(&f);
}

static void t_create_503(void) {
  fixture f;
  const char *args[] = {"--latency", "0.3", NULL};
  if (setup(&f, args, NULL, NULL)) {
    vsc_test_failures++;
    teardown(&f);
    return;
  }
  /* A 503 before the model ran: nothing exists; the provider checks, then creates again. */
  REQUIRE(faults(&f, "[{\"method\":\"POST\",\"path\":\"/v1/models/*\",\"action\":\"status\",\"status\":503}]") == 0, "f");
  int i = start(&f, SEEDANCE, VIDEO_PARAMS, "mp4", NULL);
  run_all(&f, 20);
  vsc_pred_status st = status_of(&f, i);
  REQUIRE(st.state == VSC_PRED_SUCCEEDED, "%s", st.err.msg);
  int n;
  billed(&f, &n);
  REQUIRE(n == 1, "%d predictions", n);
  json_t *s = mock_get(&f, "/_mock/stats");
  /* The first listing comes too soon to prove anything; the one after the settle time does. */
  REQUIRE(json_integer_value(json_object_get(json_object_get(s, "requests"), "GET /v1/predictions")) >= 2,
          "listed again after the settle time before creating again");
  json_decref(s);
out:
  teardown(&f);
}

static void t_resume(void) {
  fixture f;
  const char *args[] = {"--latency", "0.3", NULL};
  if (setup(&f, args, NULL, "1")) {
    vsc_test_failures++;
    teardown(&f);
    return;
  }
  REQUIRE(faults(&f, "[{\"path\":\"/delivery/*\",\"action\":\"truncate\",\"bytes\":700,\"count\":1},"
                     "{\"path\":\"/delivery/*\",\"action\":\"reset\",\"count\":1},"
                     "{\"path\":\"/delivery/*\",\"action\":\"stall\",\"bytes\":300,\"delay\":10,\"count\":1}]") == 0,
          "f");
  int i = start(&f, SEEDANCE, VIDEO_PARAMS, "mp4", NULL);
  double took = run_all(&f, 30);
  vsc_pred_status st = status_of(&f, i);
  REQUIRE(st.state == VSC_PRED_SUCCEEDED, "%s", st.err.msg);
  REQUIRE(took < 10, "a stall is cut after ~1 s, not waited out (%f s)", took);
  /* Same bytes as a clean download. */
  json_t *p = mock_get(&f, "/v1/predictions");
  const char *url = json_string_value(json_object_get(json_array_get(json_object_get(p, "results"), 0), "output"));
  mock_resp r;
  mock_request(&f.s, "GET", url, TOKEN, NULL, NULL, 10, &r);
  struct stat sb;
  stat(f.out[i], &sb);
  FILE *fp = fopen(f.out[i], "rb");
  char *buf = malloc(r.len + 1);
  size_t got = fread(buf, 1, r.len + 1, fp);
  fclose(fp);
  int same = got == r.len && !memcmp(buf, r.body, r.len);
  free(buf);
  mock_resp_free(&r);
  json_decref(p);
  REQUIRE(same, "resumed file equals the original (%zu bytes)", got);
  json_t *s = mock_get(&f, "/_mock/stats");
  REQUIRE(json_integer_value(json_object_get(json_object_get(s, "requests"), "POST /v1/models/{owner}/{name}/predictions")) == 1,
          "no second create for a broken download");
  json_decref(s);
out:
  teardown(&f);
}

static void t_errors(void) {
  fixture f;
  const char *args[] = {"--latency", "0.3", NULL};
  if (setup(&f, args, NULL, NULL)) {
    vsc_test_failures++;
    teardown(&f);
    return;
  }
  REQUIRE(faults(&f, "[{\"action\":\"fail\",\"preset\":\"nsfw\",\"count\":1},{\"action\":\"fail\",\"preset\":\"oom\",\"count\":1},"
                     "{\"action\":\"expire\",\"count\":1},{\"action\":\"abort\",\"count\":1}]") == 0,
          "f");
  int a = start(&f, SEEDANCE, VIDEO_PARAMS, "mp4", NULL);
  run_all(&f, 20);
  int b = start(&f, SEEDANCE, VIDEO_PARAMS, "mp4", NULL);
  run_all(&f, 20);
  int c = start(&f, SEEDANCE, VIDEO_PARAMS, "mp4", NULL);
  run_all(&f, 20);
  int d = start(&f, SEEDANCE, VIDEO_PARAMS, "mp4", NULL);
  run_all(&f, 20);
  int e = start(&f, SEEDANCE, "{\"kind\":\"video\",\"prompt\":\"x\",\"input\":{\"duration\":30}}", "mp4", NULL);
  run_all(&f, 20);
  vsc_pred_status st = status_of(&f, a);
  REQUIRE(st.state == VSC_PRED_FAILED && st.err.kind == VSC_FAIL_POLICY && strstr(st.err.msg, "sensitive"), "nsfw: %s", st.err.msg);
  st = status_of(&f, b);
  REQUIRE(st.state == VSC_PRED_FAILED && st.err.kind == VSC_FAIL_TRANSIENT && strstr(st.err.msg, "CUDA"), "oom: %s", st.err.msg);
  st = status_of(&f, c);
  REQUIRE(st.state == VSC_PRED_FAILED && st.err.kind == VSC_FAIL_TRANSIENT && st.cost > 0, "expired: %s (cost %f)", st.err.msg, st.cost);
  st = status_of(&f, d);
  REQUIRE(st.state == VSC_PRED_FAILED && st.cost == 0 && strstr(st.err.msg, "aborted"), "aborted: %s", st.err.msg);
  st = status_of(&f, e);
  REQUIRE(st.state == VSC_PRED_FAILED && st.err.kind == VSC_FAIL_INPUT && strstr(st.err.msg, "duration"), "422: %s", st.err.msg);
out:
  teardown(&f);
}

static void t_auth(void) {
  fixture f;
  const char *args[] = {"--token", "r8_other", NULL};
  if (setup(&f, args, NULL, NULL)) {
    vsc_test_failures++;
    teardown(&f);
    return;
  }
  int i = start(&f, SEEDANCE, VIDEO_PARAMS, "mp4", NULL);
  run_all(&f, 10);
  vsc_pred_status st = status_of(&f, i);
  REQUIRE(st.state == VSC_PRED_FAILED && st.err.kind == VSC_FAIL_AUTH, "auth: %d %s", st.state, st.err.msg);
  REQUIRE(!strstr(st.err.msg, TOKEN) && !strstr(st.err.msg, "r8_"), "no token in messages");
  unsetenv("REPLICATE_API_TOKEN");
  vsc_provider *p2 = NULL;
  vsc_op_error err;
  REQUIRE(vsc_replicate_provider_new(&p2, NULL, &err) < 0 && err.kind == VSC_FAIL_AUTH, "no token: AUTH");
out:
  teardown(&f);
}

static void t_cancel_reattach(void) {
  fixture f;
  const char *args[] = {"--latency", "2", NULL};
  if (setup(&f, args, "0", NULL)) {
    vsc_test_failures++;
    teardown(&f);
    return;
  }
  int i = start(&f, SEEDANCE, VIDEO_PARAMS, "mp4", NULL);
  for (int k = 0; k < 50 && !status_of(&f, i).id[0]; k++) f.p->vt->step(f.p, 0.05);
  REQUIRE(status_of(&f, i).id[0], "id known");
  REQUIRE(f.p->vt->cancel(f.preds[i]) == 0, "cancel");
  run_all(&f, 10);
  vsc_pred_status st = status_of(&f, i);
  REQUIRE(st.state == VSC_PRED_CANCELED && st.err.kind == VSC_FAIL_CANCELED, "canceled: %d %s", st.state, st.err.msg);
  /* A prediction made "by an earlier run": re-attach, poll, download; no new create. */
  mock_resp r;
  const char *const w[] = {"Prefer: wait=5", NULL};
  mock_request(&f.s, "POST", "/v1/models/" SEEDANCE "/predictions", TOKEN,
               "{\"input\":{\"prompt\":\"earlier\",\"duration\":3}}", w, 10, &r);
  json_t *p = mock_resp_json(&r);
  char id[64];
  snprintf(id, sizeof id, "%s", json_string_value(json_object_get(p, "id")));
  json_decref(p);
  mock_resp_free(&r);
  int j = start(&f, SEEDANCE, "{\"kind\":\"video\",\"prompt\":\"earlier\",\"duration\":3,\"input\":{}}", "mp4", id);
  run_all(&f, 20);
  st = status_of(&f, j);
  REQUIRE(st.state == VSC_PRED_SUCCEEDED && !strcmp(st.id, id), "reattached: %s", st.err.msg);
  int n;
  billed(&f, &n);
  REQUIRE(n == 2, "no new prediction on reattach (%d)", n);
  int k = start(&f, SEEDANCE, VIDEO_PARAMS, "mp4", "nosuchprediction");
  run_all(&f, 10);
  st = status_of(&f, k);
  REQUIRE(st.state == VSC_PRED_FAILED && st.err.kind == VSC_FAIL_INPUT, "unknown id: %s", st.err.msg);
out:
  teardown(&f);
}

static void t_polling(void) {
  fixture f;
  const char *args[] = {"--latency", "1", NULL};
  if (setup(&f, args, "0", NULL)) {
    vsc_test_failures++;
    teardown(&f);
    return;
  }
  REQUIRE(faults(&f, "[{\"method\":\"GET\",\"path\":\"/v1/predictions/*\",\"action\":\"bad_json\",\"count\":1},"
                     "{\"method\":\"GET\",\"path\":\"/v1/predictions/*\",\"action\":\"status\",\"status\":502,\"count\":1}]") == 0,
          "f");
  int i = start(&f, "black-forest-labs/flux-schnell", "{\"kind\":\"image\",\"prompt\":\"x\",\"aspect\":\"1:1\",\"input\":{\"output_format\":\"png\",\"num_outputs\":2}}", "png", NULL);
  run_all(&f, 20);
  vsc_pred_status st = status_of(&f, i);
  REQUIRE(st.state == VSC_PRED_SUCCEEDED, "%s", st.err.msg);
  REQUIRE(file_is(f.out[i], "\x89PNG", 0), "a PNG");
  char second[200];
  snprintf(second, sizeof second, "%s.1", f.out[i]);
  REQUIRE(file_is(second, "\x89PNG", 0), "the second image too");
  unlink(second);
  REQUIRE(fabs(st.cost - 0.006) < 1e-9, "2 images × $0.003: %f", st.cost);
out:
  teardown(&f);
}

static void t_schema(void) {
  fixture f;
  if (setup(&f, NULL, NULL, NULL)) {
    vsc_test_failures++;
    teardown(&f);
    return;
  }
  json_t *schema = NULL;
  char version[65];
  vsc_op_error err;
  REQUIRE(vsc_replicate_model_schema(&schema, version, "black-forest-labs/flux-schnell", &err) == 0, "%s", err.msg);
  REQUIRE(json_object_get(json_object_get(json_object_get(schema, "components"), "schemas"), "Input") && strlen(version) == 64, "schema");
  json_decref(schema);
  schema = NULL;
  REQUIRE(vsc_replicate_model_schema(&schema, version, "nobody/nothing", &err) < 0 && err.kind == VSC_FAIL_INPUT, "unknown model");
out:
  json_decref(schema);
  teardown(&f);
}

static void t_helpers(void) {
  REQUIRE(vsc_replicate_retry_after("3") == 3, "seconds");
  char date[64];
  time_t t = time(NULL) + 20;
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime(&t));
  double d = vsc_replicate_retry_after(date);
  REQUIRE(d > 15 && d <= 20, "date: %f", d);
  REQUIRE(vsc_replicate_retry_after("soon") < 0, "garbage");
  REQUIRE(vsc_replicate_http_kind(402) == VSC_FAIL_AUTH && vsc_replicate_http_kind(422) == VSC_FAIL_INPUT &&
              vsc_replicate_http_kind(429) == VSC_FAIL_TRANSIENT && vsc_replicate_http_kind(503) == VSC_FAIL_TRANSIENT,
          "http kinds");
  REQUIRE(vsc_replicate_error_kind("NSFW content detected. Try running it again") == VSC_FAIL_POLICY &&
              vsc_replicate_error_kind("Input validation error: bad url") == VSC_FAIL_INPUT &&
              vsc_replicate_error_kind("Prediction interrupted; please retry (code: PA)") == VSC_FAIL_TRANSIENT,
          "error kinds");
out:
  return;
}

static const vsc_test_case cases[] = {
#define VSC_TEST_CASE(name) VSC_TEST_ENTRY(t_, name)
#include "test_replicate.def"
#undef VSC_TEST_CASE
};

int main(int argc, char **argv) { return mock_test_main(argc, argv, cases, VSC_TEST_COUNT(cases)); }
