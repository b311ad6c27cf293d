/*
** test_mock.c — behaviour of mock-replicate, checked over HTTP with libcurl against a server
** started on a free port. `test_mock NAME` runs one case (each is its own ctest).
*/
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mock_harness.h"

#define TOK "r8_test_token"
static const char *const WAIT5[] = {"Prefer: wait=5", NULL};

static const char *jstr(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* POST and GET as the token's holder: the parsed body (new ref) or NULL, the HTTP status. */
static json_t *post(mock_server *s, const char *path, const char *body, const char *const *h, long *status) {
  return mock_request_json(s, "POST", path, TOK, body, h, status);
}
static json_t *get(mock_server *s, const char *path, long *status) {
  return mock_request_json(s, "GET", path, TOK, NULL, NULL, status);
}

/* Polls until terminal; returns the last prediction (new ref). */
static json_t *wait_done(mock_server *s, const char *id, double limit) {
  char path[128];
  snprintf(path, sizeof path, "/v1/predictions/%s", id);
  double end = vsc_test_now() + limit;
  json_t *p = NULL;
  while (vsc_test_now() < end) {
    json_decref(p);
    p = get(s, path, NULL);
    const char *st = jstr(p, "status");
    if (st && strcmp(st, "starting") && strcmp(st, "processing")) return p;
    vsc_test_sleep(0.05);
  }
  return p;
}

static double billing_total(mock_server *s) {
  json_t *b = get(s, "/_mock/billing", NULL);
  double t = json_number_value(json_object_get(b, "total"));
  json_decref(b);
  return t;
}

#define KLING "/v1/models/kwaivgi/kling-v2.1/predictions"
#define KLING_IN "{\"input\":{\"prompt\":\"a cup of coffee\",\"start_image\":\"https://example.com/a.png\"}}"

/* ---- cases ---------------------------------------------------------------------------- */

static void t_auth(void) {
  mock_server s;
  const char *args[] = {"--token", TOK, NULL};
  mock_resp r = {0};
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  mock_request(&s, "GET", "/v1/models/kwaivgi/kling-v2.1", NULL, NULL, NULL, 10, &r);
  REQUIRE(r.status == 401, "no token: %ld", r.status);
  char ct[128];
  REQUIRE(mock_resp_header(&r, "Content-Type", ct, sizeof ct) && !strcmp(ct, "application/problem+json"), "ctype");
  json_t *j = mock_resp_json(&r);
  REQUIRE(j && json_integer_value(json_object_get(j, "status")) == 401 && jstr(j, "detail"), "problem body");
  json_decref(j);
  mock_resp_free(&r);
  mock_request(&s, "GET", "/v1/models/kwaivgi/kling-v2.1", "r8_wrong", NULL, NULL, 10, &r);
  REQUIRE(r.status == 401, "wrong token: %ld", r.status);
  mock_resp_free(&r);
  mock_request(&s, "GET", "/v1/models/kwaivgi/kling-v2.1", TOK, NULL, NULL, 10, &r);
  REQUIRE(r.status == 200, "good token: %ld", r.status);
  REQUIRE(!strstr(r.body, TOK), "token echoed");
out:
  mock_resp_free(&r);
  CHECK(mock_server_stop(&s, 5) == 0, "clean stop");
  return;
}

static void t_lifecycle(void) {
  mock_server s;
  const char *args[] = {"--latency", "1.0", NULL};
  json_t *p = NULL;
  mock_resp r = {0};
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  long st;
  /* Without Prefer: wait the create answers at once, 201 and `starting`. */
  p = post(&s, KLING, KLING_IN, NULL, &st);
  REQUIRE(st == 201 && !strcmp(jstr(p, "status"), "starting"), "async create: %ld %s", st, jstr(p, "status"));
  REQUIRE(json_is_null(json_object_get(p, "output")), "no output yet");
  REQUIRE(!strcmp(jstr(p, "version"), "hidden"), "official model version is hidden");
  char get_url[256];
  REQUIRE(jstr(json_object_get(p, "urls"), "get") && strstr(jstr(json_object_get(p, "urls"), "get"), "/v1/predictions/"), "urls.get");
  snprintf(get_url, sizeof get_url, "%s", jstr(json_object_get(p, "urls"), "get"));
  char id[64];
  snprintf(id, sizeof id, "%s", jstr(p, "id"));
  REQUIRE(strlen(id) == 26, "id like Replicate's");
  int seen_proc = 0;
  json_decref(p);
  p = NULL;
  for (int i = 0; i < 60; i++) {
    json_decref(p);
    p = get(&s, strstr(get_url, "/v1/"), &st);
    if (!strcmp(jstr(p, "status"), "processing")) seen_proc = 1;
    if (!strcmp(jstr(p, "status"), "succeeded")) break;
    vsc_test_sleep(0.05);
  }
  REQUIRE(seen_proc, "went through processing");
  REQUIRE(!strcmp(jstr(p, "status"), "succeeded"), "succeeded: %s", jstr(p, "status"));
  double pt = json_number_value(json_object_get(json_object_get(p, "metrics"), "predict_time"));
  REQUIRE(pt > 0.5 && pt < 1.0, "predict_time %f excludes the starting phase", pt);
  REQUIRE(jstr(p, "started_at") && jstr(p, "completed_at"), "timestamps");
  REQUIRE(strstr(jstr(p, "output"), "/delivery/"), "output URL on the mock's host");
  REQUIRE(strstr(jstr(p, "logs"), "100%|"), "progress logs");
  json_decref(p);
  /* Prefer: wait shorter than the work: 202 with Location, then poll. */
  const char *const w1[] = {"Prefer: wait=1", NULL};
  mock_server_stop(&s, 5);
  const char *args2[] = {"--latency", "2.5", NULL};
  if (mock_server_start(&s, args2)) {
    vsc_test_failures++;
    p = NULL;
    goto out;
  }
  mock_request(&s, "POST", KLING, TOK, KLING_IN, w1, 30, &r);
  REQUIRE(r.status == 202, "wait=1 on a 2.5 s job: %ld", r.status);
  REQUIRE(r.seconds >= 0.9 && r.seconds < 2.0, "held about 1 s: %f", r.seconds);
  char loc[256];
  REQUIRE(mock_resp_header(&r, "Location", loc, sizeof loc) && strstr(loc, "/v1/predictions/"), "Location");
  p = mock_resp_json(&r);
  REQUIRE(!strcmp(jstr(json_object_get(p, "urls"), "get"), loc), "Location is urls.get");
  mock_resp_free(&r);
  /* Prefer: wait longer than the work: 201 with the final output. */
  mock_request(&s, "POST", KLING, TOK, KLING_IN, WAIT5, 30, &r);
  REQUIRE(r.status == 201, "wait=5 on a 2.5 s job: %ld", r.status);
  json_decref(p);
  p = mock_resp_json(&r);
  REQUIRE(!strcmp(jstr(p, "status"), "succeeded") && jstr(p, "output"), "done within the wait");
out:
  json_decref(p);
  mock_resp_free(&r);
  if (s.pid) CHECK(mock_server_stop(&s, 5) == 0, "clean stop");
  return;
}

static void t_versions(void) {
  mock_server s;
  const char *args[] = {"--latency", "0.2", NULL};
  json_t *p = NULL, *m = NULL;
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  long st;
  m = get(&s, "/v1/models/stability-ai/sdxl", &st);
  REQUIRE(st == 200, "models.get %ld", st);
  json_t *lv = json_object_get(m, "latest_version");
  const char *vid = jstr(lv, "id");
  REQUIRE(vid && strlen(vid) == 64, "latest_version.id");
  json_t *schemas = json_object_get(json_object_get(json_object_get(lv, "openapi_schema"), "components"), "schemas");
  REQUIRE(json_object_get(schemas, "Input") && json_object_get(schemas, "Output"), "openapi_schema Input/Output");
  char body[512], path[256];
  snprintf(body, sizeof body, "{\"version\":\"%s\",\"input\":{\"prompt\":\"x\"}}", vid);
  p = post(&s, "/v1/predictions", body, WAIT5, &st);
  REQUIRE(st == 201 && !strcmp(jstr(p, "version"), vid), "version form: %ld", st);
  REQUIRE(json_is_array(json_object_get(p, "output")), "sdxl output is a list");
  json_decref(p);
  snprintf(body, sizeof body, "{\"version\":\"stability-ai/sdxl:%s\",\"input\":{\"prompt\":\"x\"}}", vid);
  p = post(&s, "/v1/predictions", body, NULL, &st);
  REQUIRE(st == 201 && !strcmp(jstr(p, "model"), "stability-ai/sdxl"), "owner/name:version form: %ld", st);
  json_decref(p);
  p = post(&s, "/v1/predictions", "{\"version\":\"0000\",\"input\":{}}", NULL, &st);
  REQUIRE(st == 422 && strstr(jstr(p, "title"), "Invalid version"), "unknown version: %ld", st);
  json_decref(p);
  p = post(&s, "/v1/models/stability-ai/sdxl/predictions", "{\"input\":{\"prompt\":\"x\"}}", NULL, &st);
  REQUIRE(st == 404, "non-official model by name: %ld", st);
  json_decref(p);
  p = get(&s, "/v1/models/stability-ai/sdxl/versions", &st);
  REQUIRE(st == 200 && json_array_size(json_object_get(p, "results")) == 2, "versions list");
  json_decref(p);
  snprintf(path, sizeof path, "/v1/models/stability-ai/sdxl/versions/%s", vid);
  p = get(&s, path, &st);
  REQUIRE(st == 200 && json_object_get(p, "openapi_schema"), "versions.get");
  json_decref(p);
  p = get(&s, "/v1/models/nobody/nothing", &st);
  REQUIRE(st == 404, "unknown model: %ld", st);
out:
  json_decref(p);
  json_decref(m);
  CHECK(mock_server_stop(&s, 5) == 0, "clean stop");
  return;
}

static void t_validation(void) {
  mock_server s;
  json_t *p = NULL;
  if (mock_server_start(&s, NULL)) {
    vsc_test_failures++;
    return;
  }
  long st;
  p = post(&s, KLING, "{\"input\":{\"prompt\":\"x\",\"duration\":7}}", NULL, &st);
  REQUIRE(st == 422 && !strcmp(jstr(p, "title"), "Input validation failed"), "422: %ld", st);
  REQUIRE(json_array_size(json_object_get(p, "invalid_fields")) == 2, "missing start_image + bad enum");
  REQUIRE(strstr(jstr(p, "detail"), "duration must be one of the following: 5, 10"), "enum message");
  json_decref(p);
  p = post(&s, "/v1/models/bytedance/seedance-1-lite/predictions",
           "{\"input\":{\"prompt\":\"x\",\"duration\":30,\"camera_fixed\":\"yes\"}}", NULL, &st);
  REQUIRE(st == 422 && strstr(jstr(p, "detail"), "less than or equal to 12") &&
              strstr(jstr(p, "detail"), "Expected: boolean"),
          "range and type: %s", jstr(p, "detail"));
  json_decref(p);
  p = post(&s, KLING, "{\"inptu\":{}}", NULL, &st);
  char *text = json_dumps(p, 0);
  int extra_key = text && strstr(text, "additional_property_not_allowed");
  free(text);
  REQUIRE(st == 422 && extra_key, "unknown top-level key");
  json_decref(p);
  const char *const bad_prefer[] = {"Prefer: wait=61", NULL};
  p = post(&s, KLING, KLING_IN, bad_prefer, &st);
  REQUIRE(st == 400, "Prefer wait=61: %ld", st);
  json_decref(p);
  const char *const bad_ca[] = {"Cancel-After: soon", NULL};
  p = post(&s, KLING, KLING_IN, bad_ca, &st);
  REQUIRE(st == 400, "bad Cancel-After: %ld", st);
  json_decref(p);
  p = post(&s, KLING, "not json", NULL, &st);
  REQUIRE(st == 400, "bad JSON body: %ld", st);
  json_decref(p);
  p = get(&s, "/_mock/billing", &st);
  REQUIRE(json_integer_value(json_object_get(p, "predictions")) == 0, "nothing was created");
out:
  json_decref(p);
  CHECK(mock_server_stop(&s, 5) == 0, "clean stop");
  return;
}

static void t_cancel(void) {
  mock_server s;
  const char *args[] = {"--latency", "2", NULL};
  json_t *p = NULL;
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  long st;
  /* seedance is priced per output second: a run canceled while processing pays its
   * processing time at the hardware rate ($0.001525/s), not the output price. */
  p = post(&s, "/v1/models/bytedance/seedance-1-lite/predictions", "{\"input\":{\"prompt\":\"x\"}}", NULL, &st);
  char path[128], id[64];
  snprintf(id, sizeof id, "%s", jstr(p, "id"));
  json_decref(p);
  vsc_test_sleep(0.8); /* processing by now */
  snprintf(path, sizeof path, "/v1/predictions/%s/cancel", id);
  p = post(&s, path, NULL, NULL, &st);
  REQUIRE(st == 200 && !strcmp(jstr(p, "status"), "canceled"), "cancel: %ld %s", st, jstr(p, "status"));
  double pt = json_number_value(json_object_get(json_object_get(p, "metrics"), "predict_time"));
  REQUIRE(pt > 0.2 && pt < 1.0, "ran %f s before the cancel", pt);
  json_decref(p);
  p = post(&s, path, NULL, NULL, &st); /* again: unchanged */
  REQUIRE(st == 200 && !strcmp(jstr(p, "status"), "canceled"), "cancel twice");
  json_decref(p);
  p = post(&s, "/v1/predictions/nosuchid/cancel", NULL, NULL, &st);
  REQUIRE(st == 404, "cancel unknown: %ld", st);
  json_decref(p);
  p = NULL;
  REQUIRE(pt > 0 && billing_total(&s) == 0,
          "a per-second model canceled before its output pays nothing: %f", billing_total(&s));
  double before = billing_total(&s);
  /* musicgen is priced by GPU time: a cancel bills the time it ran. */
  p = post(&s, "/v1/predictions", "{\"version\":\"671ac645ce5e552cc63a54a2bbff63fcf798043055d2dac5fc9e36a837eedcfb\",\"input\":{}}", NULL, &st);
  snprintf(path, sizeof path, "/v1/predictions/%s/cancel", jstr(p, "id"));
  json_decref(p);
  vsc_test_sleep(1.0);
  p = post(&s, path, NULL, NULL, &st);
  pt = json_number_value(json_object_get(json_object_get(p, "metrics"), "predict_time"));
  double total = billing_total(&s) - before;
  REQUIRE(fabs(total - pt * 0.0014) < 1e-6, "gpu-second billing of a cancel: %f vs %f", total, pt * 0.0014);
out:
  json_decref(p);
  CHECK(mock_server_stop(&s, 5) == 0, "clean stop");
  return;
}

static void t_deadline(void) {
  mock_server s;
  const char *args[] = {"--latency", "2", NULL};
  json_t *p = NULL, *d = NULL;
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  long st;
  /* Deadline before the start (0.4 s of `starting`): aborted, never billed. */
  const char *const early[] = {"Cancel-After: 200ms", NULL};
  p = post(&s, KLING, KLING_IN, early, &st);
  d = wait_done(&s, jstr(p, "id"), 5);
  REQUIRE(!strcmp(jstr(d, "status"), "aborted"), "aborted: %s", jstr(d, "status"));
  json_decref(p);
  json_decref(d);
  /* Deadline while processing: canceled. */
  const char *const mid[] = {"Cancel-After: 1s", "Prefer: wait=5", NULL};
  p = post(&s, KLING, KLING_IN, mid, &st);
  d = NULL;
  REQUIRE(st == 201 && !strcmp(jstr(p, "status"), "canceled"), "canceled at the deadline: %ld %s", st, jstr(p, "status"));
  /* The aborted one is free; the canceled one ran 0.6 s but made no output: free as well. */
  double pt = json_number_value(json_object_get(json_object_get(p, "metrics"), "predict_time"));
  REQUIRE(fabs(pt - 0.6) < 0.05 && billing_total(&s) == 0, "nothing billed: %f", billing_total(&s));
out:
  json_decref(p);
  json_decref(d);
  CHECK(mock_server_stop(&s, 5) == 0, "clean stop");
  return;
}

static void t_list(void) {
  mock_server s;
  const char *args[] = {"--page-size", "2", "--latency", "0.1", NULL};
  json_t *p = NULL;
  char ids[5][64];
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  long st;
  for (int i = 0; i < 5; i++) {
    char body[256];
    snprintf(body, sizeof body, "{\"input\":{\"prompt\":\"shot %d\",\"start_image\":\"https://e/x.png\"}}", i);
    p = post(&s, KLING, body, NULL, &st);
    snprintf(ids[i], sizeof ids[i], "%s", jstr(p, "id"));
    json_decref(p);
    vsc_test_sleep(0.01);
  }
  p = NULL;
  char url[1024] = "/v1/predictions";
  int n = 0, pages = 0;
  while (url[0] && pages < 10) {
    json_t *page = get(&s, url, &st);
    REQUIRE(st == 200, "list: %ld", st);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(page, "results"), i, e) {
      REQUIRE(n < 5 && !strcmp(jstr(e, "id"), ids[4 - n]), "newest first at %d", n);
      REQUIRE(json_object_get(e, "input") && jstr(e, "status"), "full prediction objects");
      n++;
    }
    const char *next = jstr(page, "next");
    snprintf(url, sizeof url, "%s", next ? next : "");
    json_decref(page);
    pages++;
  }
  REQUIRE(n == 5 && pages == 3, "5 predictions over 3 pages: %d/%d", n, pages);
  p = get(&s, "/v1/predictions?created_after=2999-01-01T00:00:00Z", &st);
  REQUIRE(st == 200 && json_array_size(json_object_get(p, "results")) == 0, "created_after filter");
out:
  json_decref(p);
  CHECK(mock_server_stop(&s, 5) == 0, "clean stop");
  return;
}

static void t_outputs(void) {
  mock_server s;
  const char *args[] = {"--latency", "0.2", NULL};
  json_t *p = NULL;
  mock_resp a = {0}, b = {0}, c = {0};
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  long st;
  p = post(&s, KLING, KLING_IN, WAIT5, &st);
  char url[512];
  REQUIRE(jstr(p, "output"), "output url");
  snprintf(url, sizeof url, "%s", jstr(p, "output"));
  mock_request(&s, "GET", url, TOK, NULL, NULL, 30, &a);
  REQUIRE(a.status == 200 && a.len > 1000 && !memcmp(a.body + 4, "ftyp", 4), "an MP4: %ld %zu", a.status, a.len);
  char v[128];
  REQUIRE(mock_resp_header(&a, "Content-Type", v, sizeof v) && !strcmp(v, "video/mp4"), "video/mp4");
  json_decref(p);
  /* Same model + input: same bytes (in a new prediction); other input: other bytes. */
  p = post(&s, KLING, KLING_IN, WAIT5, &st);
  mock_request(&s, "GET", jstr(p, "output"), TOK, NULL, NULL, 30, &b);
  REQUIRE(b.len == a.len && !memcmp(a.body, b.body, a.len), "deterministic output");
  json_decref(p);
  p = post(&s, KLING, "{\"input\":{\"prompt\":\"tea\",\"start_image\":\"https://example.com/a.png\"}}", WAIT5, &st);
  mock_request(&s, "GET", jstr(p, "output"), TOK, NULL, NULL, 30, &c);
  REQUIRE(c.len != a.len || memcmp(a.body, c.body, a.len), "input changes the bytes");
  mock_resp_free(&c);
  /* Auth is required for files too; Range resumes. */
  mock_request(&s, "GET", jstr(p, "output"), NULL, NULL, NULL, 30, &c);
  REQUIRE(c.status == 401, "file without auth: %ld", c.status);
  mock_resp_free(&c);
  const char *const range[] = {"Range: bytes=100-", NULL};
  mock_request(&s, "GET", url, TOK, NULL, range, 30, &c);
  REQUIRE(c.status == 206 && c.len == a.len - 100 && !memcmp(c.body, a.body + 100, c.len), "range: %ld", c.status);
  REQUIRE(mock_resp_header(&c, "Content-Range", v, sizeof v) && !strncmp(v, "bytes 100-", 10), "Content-Range");
  mock_resp_free(&c);
  json_decref(p);
  /* Images and audio. */
  p = post(&s, "/v1/models/black-forest-labs/flux-schnell/predictions",
           "{\"input\":{\"prompt\":\"x\",\"num_outputs\":2,\"output_format\":\"png\"}}", WAIT5, &st);
  REQUIRE(json_array_size(json_object_get(p, "output")) == 2, "two images");
  mock_request(&s, "GET", json_string_value(json_array_get(json_object_get(p, "output"), 1)), TOK, NULL, NULL, 30, &c);
  REQUIRE(c.status == 200 && !memcmp(c.body, "\x89PNG", 4), "a PNG");
  mock_resp_free(&c);
  json_decref(p);
  p = post(&s, "/v1/models/minimax/speech-02-turbo/predictions", "{\"input\":{\"text\":\"Wake up to something better.\"}}", WAIT5, &st);
  mock_request(&s, "GET", jstr(p, "output"), TOK, NULL, NULL, 30, &c);
  REQUIRE(c.status == 200 && !memcmp(c.body, "RIFF", 4) && !memcmp(c.body + 8, "WAVE", 4), "a WAV");
out:
  json_decref(p);
  mock_resp_free(&a);
  mock_resp_free(&b);
  mock_resp_free(&c);
  CHECK(mock_server_stop(&s, 5) == 0, "clean stop");
  return;
}

static void t_expiry(void) {
  mock_server s;
  const char *args[] = {"--latency", "0.2", "--output-ttl", "1", NULL};
  json_t *p = NULL, *q = NULL;
  mock_resp r = {0};
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  long st;
  p = post(&s, KLING, KLING_IN, WAIT5, &st);
  char url[512], path[128];
  snprintf(url, sizeof url, "%s", jstr(p, "output"));
  snprintf(path, sizeof path, "/v1/predictions/%s", jstr(p, "id"));
  vsc_test_sleep(1.3);
  q = get(&s, path, &st);
  REQUIRE(json_is_null(json_object_get(q, "output")) && json_is_true(json_object_get(q, "data_removed")),
          "expired: output null, data_removed");
  mock_request(&s, "GET", url, TOK, NULL, NULL, 10, &r);
  REQUIRE(r.status == 410 || r.status == 404, "expired file: %ld", r.status);
  mock_resp_free(&r);
  /* The `expire` fault removes the output at once. */
  json_decref(p);
  json_decref(q);
  q = NULL;
  REQUIRE(mock_set_faults(&s, "[{\"action\":\"expire\"}]") == 0, "faults");
  p = post(&s, KLING, KLING_IN, WAIT5, &st);
  REQUIRE(!strcmp(jstr(p, "status"), "succeeded") && json_is_null(json_object_get(p, "output")) &&
              json_is_true(json_object_get(p, "data_removed")),
          "expire fault");
  REQUIRE(billing_total(&s) > 0.49, "expired outputs were still paid for");
out:
  json_decref(p);
  json_decref(q);
  mock_resp_free(&r);
  CHECK(mock_server_stop(&s, 5) == 0, "clean stop");
  return;
}

static void t_fault_status(void) {
  mock_server s;
  json_t *p = NULL;
  mock_resp r = {0};
  if (mock_server_start(&s, NULL)) {
    vsc_test_failures++;
    return;
  }
  REQUIRE(mock_set_faults(&s, "[{\"method\":\"POST\",\"path\":\"/v1/models/*/predictions\",\"action\":\"status\","
                              "\"status\":429,\"retry_after\":3,\"count\":2}]") == 0,
          "faults");
  char v[128];
  for (int i = 0; i < 2; i++) {
    mock_request(&s, "POST", KLING, TOK, KLING_IN, NULL, 10, &r);
    REQUIRE(r.status == 429, "429 #%d: %ld", i, r.status);
    REQUIRE(mock_resp_header(&r, "Retry-After", v, sizeof v) && !strcmp(v, "3"), "Retry-After seconds");
    p = mock_resp_json(&r);
    REQUIRE(p && strstr(jstr(p, "detail"), "throttled"), "throttle body");
    json_decref(p);
    p = NULL;
    mock_resp_free(&r);
  }
  mock_request(&s, "POST", KLING, TOK, KLING_IN, NULL, 10, &r);
  REQUIRE(r.status == 201, "count exhausted: %ld", r.status);
  mock_resp_free(&r);
  REQUIRE(mock_set_faults(&s, "[{\"action\":\"status\",\"status\":429,\"retry_after\":30,\"retry_after_format\":\"date\"}]") == 0, "f");
  mock_request(&s, "GET", "/v1/predictions", TOK, NULL, NULL, 10, &r);
  REQUIRE(r.status == 429 && mock_resp_header(&r, "Retry-After", v, sizeof v), "429 with a date");
  time_t when = curl_getdate(v, NULL);
  REQUIRE(when > time(NULL) + 20 && when < time(NULL) + 40, "Retry-After date ~30 s ahead: %s", v);
  mock_resp_free(&r);
  int codes[] = {500, 502, 503, 504};
  for (int i = 0; i < 4; i++) {
    char rule[200];
    snprintf(rule, sizeof rule, "[{\"path\":\"/v1/predictions/*\",\"action\":\"status\",\"status\":%d,\"after\":1}]", codes[i]);
    REQUIRE(mock_set_faults(&s, rule) == 0, "f");
    mock_request(&s, "GET", "/v1/predictions/x", TOK, NULL, NULL, 10, &r);
    REQUIRE(r.status == 404, "`after` lets the first pass: %ld", r.status);
    mock_resp_free(&r);
    mock_request(&s, "GET", "/v1/predictions/x", TOK, NULL, NULL, 10, &r);
    REQUIRE(r.status == codes[i], "%d: %ld", codes[i], r.status);
    REQUIRE(mock_resp_header(&r, "Content-Type", v, sizeof v) && !strcmp(v, "application/problem+json"), "problem+json");
    p = mock_resp_json(&r);
    REQUIRE(p && json_integer_value(json_object_get(p, "status")) == codes[i] && jstr(p, "title"), "RFC 7807 body");
    json_decref(p);
    p = NULL;
    mock_resp_free(&r);
  }
  REQUIRE(mock_set_faults(&s, "[{\"action\":\"status\",\"status\":500,\"probability\":0,\"count\":-1}]") == 0, "f");
  mock_request(&s, "GET", "/v1/models/kwaivgi/kling-v2.1", TOK, NULL, NULL, 10, &r);
  REQUIRE(r.status == 200, "probability 0 never fires");
  mock_resp_free(&r);
  mock_request(&s, "GET", "/_mock/faults", NULL, NULL, NULL, 10, &r);
  p = mock_resp_json(&r);
  REQUIRE(json_integer_value(json_object_get(json_array_get(json_object_get(p, "rules"), 0), "seen")) == 1, "seen count");
out:
  json_decref(p);
  mock_resp_free(&r);
  CHECK(mock_server_stop(&s, 5) == 0, "clean stop");
  return;
}

static void t_fault_transport(void) {
  mock_server s;
  const char *args[] = {"--latency", "0.2", NULL};
  json_t *p = NULL;
  mock_resp r = {0}, full = {0};
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  long st;
  REQUIRE(mock_set_faults(&s, "[{\"path\":\"/v1/models/*\",\"action\":\"reset\"}]") == 0, "f");
  mock_request(&s, "GET", "/v1/models/kwaivgi/kling-v2.1", TOK, NULL, NULL, 10, &r);
  REQUIRE(r.curl_rc == CURLE_RECV_ERROR || r.curl_rc == CURLE_GOT_NOTHING, "reset: curl %d", r.curl_rc);
  mock_resp_free(&r);
  REQUIRE(mock_set_faults(&s, "[{\"path\":\"/v1/models/*\",\"action\":\"slow\",\"delay\":1}]") == 0, "f");
  mock_request(&s, "GET", "/v1/models/kwaivgi/kling-v2.1", TOK, NULL, NULL, 10, &r);
  REQUIRE(r.status == 200 && r.seconds >= 0.95, "slow: %f s", r.seconds);
  mock_resp_free(&r);
  REQUIRE(mock_set_faults(&s, "[{\"path\":\"/v1/models/*\",\"action\":\"bad_json\"}]") == 0, "f");
  mock_request(&s, "GET", "/v1/models/kwaivgi/kling-v2.1", TOK, NULL, NULL, 10, &r);
  p = mock_resp_json(&r);
  REQUIRE(r.status == 200 && !p, "bad JSON body");
  mock_resp_free(&r);
  REQUIRE(mock_set_faults(&s, "[]") == 0, "f");
  p = post(&s, KLING, KLING_IN, WAIT5, &st);
  const char *url = jstr(p, "output");
  mock_request(&s, "GET", url, TOK, NULL, NULL, 10, &full);
  REQUIRE(mock_set_faults(&s, "[{\"path\":\"/delivery/*\",\"action\":\"truncate\",\"bytes\":1000}]") == 0, "f");
  mock_request(&s, "GET", url, TOK, NULL, NULL, 10, &r);
  REQUIRE(r.curl_rc == CURLE_PARTIAL_FILE && r.len == 1000, "truncated: curl %d, %zu bytes", r.curl_rc, r.len);
  mock_resp_free(&r);
  REQUIRE(mock_set_faults(&s, "[{\"path\":\"/delivery/*\",\"action\":\"stall\",\"bytes\":500,\"delay\":5}]") == 0, "f");
  mock_request(&s, "GET", url, TOK, NULL, NULL, 1.0, &r);
  REQUIRE(r.curl_rc == CURLE_OPERATION_TIMEDOUT && r.len == 500, "stalled: curl %d, %zu bytes", r.curl_rc, r.len);
  mock_resp_free(&r);
  REQUIRE(mock_set_faults(&s, "[{\"path\":\"/delivery/*\",\"action\":\"slow\",\"rate\":20000}]") == 0, "f");
  mock_request(&s, "GET", url, TOK, NULL, NULL, 20, &r);
  double expect = (double)full.len / 20000.0;
  REQUIRE(r.status == 200 && r.len == full.len && r.seconds >= expect * 0.8, "slow body %f s for %zu bytes", r.seconds, r.len);
  mock_resp_free(&r);
  /* The POST is done but its reply is lost: the prediction exists all the same. */
  json_decref(p);
  p = NULL;
  REQUIRE(mock_set_faults(&s, "[{\"method\":\"POST\",\"action\":\"lose_response\"}]") == 0, "f");
  mock_request(&s, "POST", KLING, TOK, KLING_IN, NULL, 10, &r);
  REQUIRE(r.curl_rc != 0 && r.status == 0, "lost response: curl %d", r.curl_rc);
  mock_resp_free(&r);
  p = get(&s, "/v1/predictions", &st);
  REQUIRE(json_array_size(json_object_get(p, "results")) == 2, "created anyway (1 + 1)");
out:
  json_decref(p);
  mock_resp_free(&r);
  mock_resp_free(&full);
  CHECK(mock_server_stop(&s, 5) == 0, "clean stop");
  return;
}

static void t_fault_outcome(void) {
  mock_server s;
  const char *args[] = {"--latency", "0.3", NULL};
  json_t *p = NULL;
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  long st;
  REQUIRE(mock_set_faults(&s, "[{\"model\":\"kwaivgi/kling-v2.1\",\"action\":\"fail\",\"preset\":\"nsfw\"},"
                              "{\"action\":\"fail\",\"preset\":\"oom\"},"
                              "{\"action\":\"cancel\"},{\"action\":\"abort\"}]") == 0,
          "f");
  p = post(&s, KLING, KLING_IN, WAIT5, &st);
  REQUIRE(!strcmp(jstr(p, "status"), "failed") && strstr(jstr(p, "error"), "flagged as sensitive"), "nsfw: %s", jstr(p, "error"));
  REQUIRE(json_is_null(json_object_get(p, "output")), "no output when failed");
  json_decref(p);
  p = post(&s, KLING, KLING_IN, WAIT5, &st);
  REQUIRE(!strcmp(jstr(p, "status"), "failed") && strstr(jstr(p, "error"), "CUDA out of memory"), "oom");
  json_decref(p);
  p = post(&s, KLING, KLING_IN, WAIT5, &st);
  REQUIRE(!strcmp(jstr(p, "status"), "canceled"), "canceled: %s", jstr(p, "status"));
  json_decref(p);
  p = post(&s, KLING, KLING_IN, WAIT5, &st);
  REQUIRE(!strcmp(jstr(p, "status"), "aborted") && !jstr(p, "started_at"), "aborted: %s", jstr(p, "status"));
  json_decref(p);
  p = post(&s, KLING, KLING_IN, WAIT5, &st);
  REQUIRE(!strcmp(jstr(p, "status"), "succeeded"), "rules used up");
  /* The success pays its price; canceled, failed and aborted ones of this output-priced model
   * nothing. */
  REQUIRE(fabs(billing_total(&s) - 0.25) < 2e-6, "only the success: %f", billing_total(&s));
out:
  json_decref(p);
  CHECK(mock_server_stop(&s, 5) == 0, "clean stop");
  return;
}

static void t_billing(void) {
  mock_server s;
  const char *args[] = {"--latency", "0.2", NULL};
  json_t *p = NULL;
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  long st;
  struct {
    const char *path, *body;
    double cost;
  } cases[] = {
      {KLING, "{\"input\":{\"prompt\":\"x\",\"start_image\":\"https://e/a.png\",\"duration\":10,\"mode\":\"pro\"}}", 0.9},
      {"/v1/models/bytedance/seedance-1-lite/predictions", "{\"input\":{\"prompt\":\"x\",\"duration\":7,\"resolution\":\"480p\"}}", 0.126},
      {"/v1/models/black-forest-labs/flux-schnell/predictions", "{\"input\":{\"prompt\":\"x\",\"num_outputs\":3}}", 0.009},
      {"/v1/models/minimax/speech-02-turbo/predictions", "{\"input\":{\"text\":\"0123456789\"}}", 0.00015},
      {"/v1/models/wan-video/wan-2.2-t2v-fast/predictions", "{\"input\":{\"prompt\":\"x\",\"resolution\":\"720p\"}}", 0.10},
      {"/v1/models/google/veo-3-fast/predictions", "{\"input\":{\"prompt\":\"x\",\"duration\":4,\"generate_audio\":false}}", 0.4},
  };
  double sum = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    p = post(&s, cases[i].path, cases[i].body, WAIT5, &st);
    REQUIRE(st == 201 && !strcmp(jstr(p, "status"), "succeeded"), "case %zu: %ld", i, st);
    json_decref(p);
    p = NULL;
    sum += cases[i].cost;
    double t = billing_total(&s);
    REQUIRE(fabs(t - sum) < 1e-6, "case %zu: total %f, expected %f", i, t, sum);
  }
  p = get(&s, "/_mock/billing", &st);
  json_t *rec = json_array_get(json_object_get(p, "records"), 0);
  REQUIRE(!strcmp(jstr(rec, "unit"), "second") && json_number_value(json_object_get(rec, "units")) == 10, "record units");
  REQUIRE(json_number_value(json_object_get(rec, "predict_time")) > 0, "record predict_time");
out:
  json_decref(p);
  CHECK(mock_server_stop(&s, 5) == 0, "clean stop");
  return;
}

static void t_rate_limit(void) {
  mock_server s;
  const char *args[] = {"--rate-limit", "2", NULL};
  mock_resp r = {0};
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  for (int i = 0; i < 3; i++) {
    mock_request(&s, "POST", KLING, TOK, KLING_IN, NULL, 10, &r);
    if (i < 2) REQUIRE(r.status == 201, "create %d: %ld", i, r.status);
    if (i < 2) mock_resp_free(&r);
  }
  char v[64];
  REQUIRE(r.status == 429 && mock_resp_header(&r, "Retry-After", v, sizeof v) && atoi(v) > 50, "third: 429");
out:
  mock_resp_free(&r);
  CHECK(mock_server_stop(&s, 5) == 0, "clean stop");
  return;
}

static void t_state_file(void) {
  mock_server s;
  char state[] = "/tmp/vsc-mock-state-XXXXXX";
  int fd = mkstemp(state);
  if (fd < 0) {
    vsc_test_failures++;
    return;
  }
  close(fd);
  unlink(state);
  const char *args[] = {"--latency", "0.2", "--state-file", state, NULL};
  json_t *p = NULL;
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  long st;
  p = post(&s, KLING, KLING_IN, WAIT5, &st);
  char path[128];
  snprintf(path, sizeof path, "/v1/predictions/%s", jstr(p, "id"));
  json_decref(p);
  p = NULL;
  CHECK(mock_server_stop(&s, 5) == 0, "clean stop");
  REQUIRE(mock_server_start(&s, args) == 0, "restart");
  p = get(&s, path, &st);
  REQUIRE(st == 200 && !strcmp(jstr(p, "status"), "succeeded"), "prediction survives a restart: %ld", st);
  REQUIRE(fabs(billing_total(&s) - 0.25) < 1e-9, "billing survives");
out:
  json_decref(p);
  if (s.pid) CHECK(mock_server_stop(&s, 5) == 0, "clean stop");
  unlink(state);
  return;
}

static void t_shutdown(void) {
  mock_server s;
  const char *args[] = {"--latency", "30", NULL};
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  pid_t child = fork();
  if (child == 0) { /* a client held by Prefer: wait=60 */
    mock_resp r;
    const char *const w[] = {"Prefer: wait", NULL};
    mock_request(&s, "POST", KLING, TOK, KLING_IN, w, 60, &r);
    _exit(0);
  }
  vsc_test_sleep(0.5);
  double t0 = vsc_test_now();
  int rc = mock_server_stop(&s, 5);
  double took = vsc_test_now() - t0;
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  REQUIRE(rc == 0 && took < 2.0, "SIGTERM with a request in flight: rc %d in %f s", rc, took);
out:
  return;
}

static const vsc_test_case cases[] = {
#define VSC_TEST_CASE(name) VSC_TEST_ENTRY(t_, name)
#include "test_mock.def"
#undef VSC_TEST_CASE
};

int main(int argc, char **argv) { return mock_test_main(argc, argv, cases, VSC_TEST_COUNT(cases)); }
