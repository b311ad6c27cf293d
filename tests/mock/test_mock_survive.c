/*
** test_mock_survive.c — what mock-replicate adds for a provider to survive: the Files API and
** the create body limit, deployments, per-account rate limits with Replicate's 429, outages
** of minutes (windowed faults) under --time-scale, the output shapes (text, data: URL,
** object, list) and the mock's own price table. `test_mock_survive NAME` runs one case.
*/
#define _GNU_SOURCE /* strptime, timegm */
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mock_harness.h"

#define TOK "r8_test_token"
#define TOK2 "r8_other_account"
static const char *const WAIT5[] = {"Prefer: wait=5", NULL};

static const char *jstr(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
static double jnum(json_t *o, const char *k) { return json_number_value(json_object_get(o, k)); }

static json_t *billing(mock_server *s) { return mock_request_json(s, "GET", "/_mock/billing", NULL, NULL, NULL, NULL); }

/* The billing record of prediction `id` (borrowed from b). */
static json_t *record(json_t *b, const char *id) {
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(b, "records"), i, r)
    if (!strcmp(jstr(r, "id"), id)) return r;
  return NULL;
}

static json_t *wait_done(mock_server *s, const char *id, double limit) {
  char path[128];
  snprintf(path, sizeof path, "/v1/predictions/%s", id);
  double end = vsc_test_now() + limit;
  json_t *p = NULL;
  while (vsc_test_now() < end) {
    json_decref(p);
    p = mock_request_json(s, "GET", path, TOK, NULL, NULL, NULL);
    const char *st = jstr(p, "status");
    if (st && strcmp(st, "starting") && strcmp(st, "processing")) return p;
    vsc_test_sleep(0.05);
  }
  return p;
}

/* ---- Files API ---------------------------------------------------------------------- */

static void t_files(void) {
  mock_server s;
  const char *args[] = {"--latency", "0.2", "--page-size", "2", "--token", TOK, NULL};
  json_t *f = NULL, *p = NULL, *l = NULL;
  mock_resp r = {0};
  char v[256], id[64], url[256], path[300];
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  mock_upload(&s, TOK, "hello", 5, "hello.txt", "text/plain", "{\"shot\":\"s1\"}", NULL, NULL, &r);
  REQUIRE(r.status == 201, "upload: %ld %s", r.status, r.body);
  f = mock_resp_json(&r);
  mock_resp_free(&r);
  REQUIRE(f && strlen(jstr(f, "id")) == 26 && !strcmp(jstr(f, "name"), "hello.txt") &&
              !strcmp(jstr(f, "content_type"), "text/plain") && json_integer_value(json_object_get(f, "size")) == 5,
          "file object");
  REQUIRE(!strcmp(jstr(json_object_get(f, "checksums"), "sha256"),
                  "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
          "sha256");
  REQUIRE(!strcmp(jstr(json_object_get(f, "metadata"), "shot"), "s1") && jstr(f, "etag"), "metadata, etag");
  double expires;
  REQUIRE(jstr(f, "created_at") && jstr(f, "expires_at"), "dates");
  {
    struct tm a = {0}, b = {0};
    strptime(jstr(f, "created_at"), "%Y-%m-%dT%H:%M:%S", &a);
    strptime(jstr(f, "expires_at"), "%Y-%m-%dT%H:%M:%S", &b);
    expires = difftime(timegm(&b), timegm(&a));
    REQUIRE(fabs(expires - 86400) <= 1, "expires 24 h later: %f", expires);
  }
  snprintf(id, sizeof id, "%s", jstr(f, "id"));
  snprintf(url, sizeof url, "%s", jstr(json_object_get(f, "urls"), "get"));
  snprintf(v, sizeof v, "%s/v1/files/%s", s.base, id);
  REQUIRE(!strcmp(url, v), "urls.get on the mock's host: %s", url);
  /* filename/type fields override the part's; a metadata part that is not an object is refused. */
  mock_upload(&s, TOK, "\x00\x01\x02", 3, "blob", "application/octet-stream", NULL, "frame.bin", "image/png", &r);
  json_t *g = mock_resp_json(&r);
  REQUIRE(r.status == 201 && !strcmp(jstr(g, "name"), "frame.bin") && !strcmp(jstr(g, "content_type"), "image/png") &&
              json_integer_value(json_object_get(g, "size")) == 3,
          "fields override: %s", r.body);
  json_decref(g);
  mock_resp_free(&r);
  mock_upload(&s, TOK, "x", 1, "x", NULL, "[1]", NULL, NULL, &r);
  REQUIRE(r.status == 422, "bad metadata: %ld", r.status);
  mock_resp_free(&r);
  mock_upload(&s, NULL, "x", 1, "x", NULL, NULL, NULL, NULL, &r);
  REQUIRE(r.status == 401, "upload without auth: %ld", r.status);
  mock_resp_free(&r);
  mock_upload(&s, TOK, "third", 5, "c.txt", NULL, NULL, NULL, NULL, &r);
  mock_resp_free(&r);
  /* List: newest first, 2 a page, a `next` cursor URL. */
  long st;
  l = mock_request_json(&s, "GET", "/v1/files", TOK, NULL, NULL, &st);
  REQUIRE(st == 200 && json_array_size(json_object_get(l, "results")) == 2 && jstr(l, "next") &&
              json_object_get(l, "previous"),
          "page 1");
  REQUIRE(!strcmp(jstr(json_array_get(json_object_get(l, "results"), 0), "name"), "c.txt"), "newest first");
  snprintf(path, sizeof path, "%s", jstr(l, "next"));
  json_decref(l);
  l = mock_request_json(&s, "GET", path, TOK, NULL, NULL, &st);
  REQUIRE(json_array_size(json_object_get(l, "results")) == 1 && json_is_null(json_object_get(l, "next")) &&
              !strcmp(jstr(json_array_get(json_object_get(l, "results"), 0), "id"), id),
          "page 2");
  /* Get, download (auth, Range). */
  json_decref(g = mock_request_json(&s, "GET", url, TOK, NULL, NULL, &st));
  REQUIRE(st == 200, "get: %ld", st);
  snprintf(path, sizeof path, "%s/download", url);
  mock_request(&s, "GET", path, NULL, NULL, NULL, 10, &r);
  REQUIRE(r.status == 401, "download needs auth: %ld", r.status);
  mock_resp_free(&r);
  mock_request(&s, "GET", path, TOK, NULL, NULL, 10, &r);
  REQUIRE(r.status == 200 && r.len == 5 && !memcmp(r.body, "hello", 5) &&
              mock_resp_header(&r, "Content-Type", v, sizeof v) && !strcmp(v, "text/plain"),
          "download");
  mock_resp_free(&r);
  const char *const range[] = {"Range: bytes=1-2", NULL};
  mock_request(&s, "GET", path, TOK, NULL, range, 10, &r);
  REQUIRE(r.status == 206 && r.len == 2 && !memcmp(r.body, "el", 2), "ranged download: %ld", r.status);
  mock_resp_free(&r);
  /* The file URL as a prediction input: accepted and recorded as sent through the Files API;
   * a data: URL is recorded as such. */
  char body[700];
  snprintf(body, sizeof body, "{\"version\":\"2e1dddc8621f72155f24cf2e0adbde548458d3cab9f00c0139eea840d0ac4746\","
                              "\"input\":{\"image\":\"%s\"}}",
           url);
  p = mock_request_json(&s, "POST", "/v1/predictions", TOK, body, WAIT5, &st);
  REQUIRE(st == 201 && !strcmp(jstr(p, "status"), "succeeded"), "create with a file URL: %ld", st);
  snprintf(path, sizeof path, "/_mock/predictions/%s", jstr(p, "id"));
  g = mock_request_json(&s, "GET", path, NULL, NULL, NULL, &st);
  REQUIRE(st == 200 && !strcmp(jstr(json_object_get(g, "input_kinds"), "image"), "file"), "kind file");
  json_decref(g);
  json_decref(p);
  p = mock_request_json(&s, "POST", "/v1/predictions", TOK,
                        "{\"version\":\"2e1dddc8621f72155f24cf2e0adbde548458d3cab9f00c0139eea840d0ac4746\","
                        "\"input\":{\"image\":\"data:image/png;base64,iVBORw0KGgo=\"}}",
                        WAIT5, &st);
  REQUIRE(st == 201, "create with a data URL: %ld", st);
  json_t *b = billing(&s);
  json_t *rec = record(b, jstr(p, "id"));
  REQUIRE(rec && !strcmp(jstr(json_object_get(rec, "input_kinds"), "image"), "data_url"), "billing records data_url");
  json_decref(b);
  json_decref(p);
  p = mock_request_json(&s, "POST", "/v1/predictions", TOK,
                        "{\"version\":\"2e1dddc8621f72155f24cf2e0adbde548458d3cab9f00c0139eea840d0ac4746\","
                        "\"input\":{\"image\":\"/tmp/a.png\"}}",
                        NULL, &st);
  REQUIRE(st == 422 && strstr(jstr(p, "detail"), "format 'uri'"), "a path is not a uri: %ld", st);
  json_decref(p);
  /* Delete: 204, then gone; an input naming it fails validation. */
  mock_request(&s, "DELETE", url, TOK, NULL, NULL, 10, &r);
  REQUIRE(r.status == 204 && r.len == 0, "delete: %ld", r.status);
  mock_resp_free(&r);
  json_decref(g = mock_request_json(&s, "GET", url, TOK, NULL, NULL, &st));
  REQUIRE(st == 404, "deleted: %ld", st);
  p = mock_request_json(&s, "POST", "/v1/predictions", TOK, body, NULL, &st);
  REQUIRE(st == 422 && !strcmp(jstr(json_array_get(json_object_get(p, "invalid_fields"), 0), "field"), "input.image"),
          "deleted file input: %ld", st);
out:
  json_decref(f);
  json_decref(p);
  json_decref(l);
  mock_resp_free(&r);
  if (mock_server_stop(&s, 5) != 0) vsc_test_failures++;
}

/* Size limits: --max-file-size on uploads and --max-body on creates answer 413 problem+json. */
static void t_limits(void) {
  mock_server s;
  const char *args[] = {"--max-file-size", "1000", "--max-body", "4096", NULL};
  mock_resp r = {0};
  char *big = NULL;
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  big = malloc(10000);
  memset(big, 'a', 10000);
  mock_upload(&s, TOK, big, 1001, "big.bin", NULL, NULL, NULL, NULL, &r);
  char v[128];
  REQUIRE(r.status == 413 && mock_resp_header(&r, "Content-Type", v, sizeof v) &&
              !strcmp(v, "application/problem+json"),
          "upload over the limit: %ld", r.status);
  mock_resp_free(&r);
  mock_upload(&s, TOK, big, 1000, "ok.bin", NULL, NULL, NULL, NULL, &r);
  REQUIRE(r.status == 201, "upload at the limit: %ld", r.status);
  mock_resp_free(&r);
  mock_upload(&s, TOK, big, 5000, "far.bin", NULL, NULL, NULL, NULL, &r);
  REQUIRE(r.status == 413, "upload far over the limit: %ld", r.status);
  mock_resp_free(&r);
  /* A create whose body (a data URL) is over --max-body. */
  char *body = malloc(12000);
  int n = snprintf(body, 12000, "{\"input\":{\"prompt\":\"x\",\"start_image\":\"data:image/png;base64,");
  memset(body + n, 'A', 5000);
  snprintf(body + n + 5000, 100, "\"}}");
  mock_request(&s, "POST", "/v1/models/kwaivgi/kling-v2.1/predictions", TOK, body, NULL, 10, &r);
  free(body);
  json_t *j = mock_resp_json(&r);
  REQUIRE(r.status == 413 && json_integer_value(json_object_get(j, "status")) == 413, "create body over --max-body: %ld", r.status);
  json_decref(j);
  mock_resp_free(&r);
  json_t *st = mock_request_json(&s, "GET", "/_mock/stats", NULL, NULL, NULL, NULL);
  REQUIRE(json_integer_value(json_object_get(st, "predictions")) == 0, "nothing created");
  json_decref(st);
out:
  free(big);
  mock_resp_free(&r);
  if (mock_server_stop(&s, 5) != 0) vsc_test_failures++;
}

/* Files expire after --file-ttl (scaled): 404 on get and download, 422 as an input. */
static void t_file_expiry(void) {
  mock_server s;
  const char *args[] = {"--file-ttl", "100", "--time-scale", "0.01", NULL};
  mock_resp r = {0};
  json_t *p = NULL;
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  mock_upload(&s, TOK, "abc", 3, "a.png", "image/png", NULL, NULL, NULL, &r);
  json_t *f = mock_resp_json(&r);
  char url[256], body[600], path[300];
  snprintf(url, sizeof url, "%s", jstr(json_object_get(f, "urls"), "get"));
  json_decref(f);
  mock_resp_free(&r);
  long st;
  json_decref(mock_request_json(&s, "GET", url, TOK, NULL, NULL, &st));
  REQUIRE(st == 200, "alive: %ld", st);
  vsc_test_sleep(1.2); /* 100 s × 0.01 */
  json_decref(mock_request_json(&s, "GET", url, TOK, NULL, NULL, &st));
  REQUIRE(st == 404, "expired get: %ld", st);
  snprintf(path, sizeof path, "%s/download", url);
  json_decref(mock_request_json(&s, "GET", path, TOK, NULL, NULL, &st));
  REQUIRE(st == 404, "expired download: %ld", st);
  snprintf(body, sizeof body, "{\"input\":{\"prompt\":\"x\",\"start_image\":\"%s\"}}", url);
  p = mock_request_json(&s, "POST", "/v1/models/kwaivgi/kling-v2.1/predictions", TOK, body, NULL, &st);
  REQUIRE(st == 422 && strstr(jstr(p, "detail"), "expired"), "expired input: %ld", st);
out:
  json_decref(p);
  mock_resp_free(&r);
  if (mock_server_stop(&s, 5) != 0) vsc_test_failures++;
}

/* ---- deployments ------------------------------------------------------------------- */

static void t_deployments(void) {
  mock_server s;
  const char *args[] = {"--latency", "0.2", NULL};
  json_t *p = NULL, *d = NULL, *b = NULL;
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  long st;
  p = mock_request_json(&s, "POST", "/v1/deployments/vsc-test/narrator/predictions", TOK,
                        "{\"input\":{\"text\":\"Hello there.\"}}", WAIT5, &st);
  REQUIRE(st == 201 && !strcmp(jstr(p, "status"), "succeeded"), "deployment create: %ld", st);
  REQUIRE(!strcmp(jstr(p, "deployment"), "vsc-test/narrator") && !strcmp(jstr(p, "model"), "jaaari/kokoro-82m") &&
              !strcmp(jstr(p, "version"), "f559560eb822dc509045f3921a1921234918b91739db4bf3daab2169b71c7a13"),
          "deployment, model, version: %s %s", jstr(p, "deployment"), jstr(p, "version"));
  b = billing(&s);
  REQUIRE(!strcmp(jstr(record(b, jstr(p, "id")), "deployment"), "vsc-test/narrator"), "billed as the deployment");
  json_decref(p);
  p = mock_request_json(&s, "POST", "/v1/deployments/vsc-test/nope/predictions", TOK, "{\"input\":{}}", NULL, &st);
  REQUIRE(st == 404, "unknown deployment: %ld", st);
  json_decref(p);
  p = mock_request_json(&s, "POST", "/v1/deployments/vsc-test/narrator/predictions", TOK, "{\"input\":{\"voice\":\"x\"}}", NULL, &st);
  REQUIRE(st == 422, "validated against the model: %ld", st);
  d = mock_request_json(&s, "GET", "/v1/deployments/vsc-test/stills", TOK, NULL, NULL, &st);
  REQUIRE(st == 200 && !strcmp(jstr(json_object_get(d, "current_release"), "model"), "bytedance/sdxl-lightning-4step"), "get deployment");
  json_decref(d);
  d = mock_request_json(&s, "GET", "/v1/deployments", TOK, NULL, NULL, &st);
  REQUIRE(json_array_size(json_object_get(d, "results")) == 2, "list deployments");
out:
  json_decref(p);
  json_decref(d);
  json_decref(b);
  if (mock_server_stop(&s, 5) != 0) vsc_test_failures++;
}

/* ---- 429 and rate limits ---------------------------------------------------------------- */

static void t_throttle(void) {
  mock_server s;
  const char *args[] = {"--rate-limit", "2", NULL};
  mock_resp r = {0};
  char v[128];
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  const char *k = "/v1/models/black-forest-labs/flux-schnell/predictions", *in = "{\"input\":{\"prompt\":\"x\"}}";
  /* Every API answer has the headers; creates count apart from other requests. */
  mock_request(&s, "GET", "/v1/account", TOK, NULL, NULL, 10, &r);
  REQUIRE(mock_resp_header(&r, "ratelimit-remaining", v, sizeof v) && atol(v) == 2999, "other remaining: %s", v);
  REQUIRE(mock_resp_header(&r, "ratelimit-reset", v, sizeof v) && atol(v) >= 1 && atol(v) <= 60, "reset: %s", v);
  mock_resp_free(&r);
  for (int i = 0; i < 2; i++) {
    mock_request(&s, "POST", k, TOK, in, NULL, 10, &r);
    REQUIRE(r.status == 201 && mock_resp_header(&r, "ratelimit-remaining", v, sizeof v) && atol(v) == 1 - i,
            "create %d: %ld remaining %s", i, r.status, v);
    mock_resp_free(&r);
  }
  mock_request(&s, "POST", k, TOK, in, NULL, 10, &r);
  REQUIRE(r.status == 429, "third create: %ld", r.status);
  REQUIRE(mock_resp_header(&r, "Retry-After", v, sizeof v) && atol(v) >= 59 && atol(v) <= 60, "Retry-After %s", v);
  long ra = atol(v);
  char want[200];
  snprintf(want, sizeof want, "{\"detail\":\"Request was throttled. Your rate limit resets in ~%lds.\","
                              "\"status\":429,\"title\":\"Request was throttled\"}",
           ra);
  REQUIRE(!strcmp(r.body, want), "the real body: %s", r.body);
  REQUIRE(mock_resp_header(&r, "ratelimit-remaining", v, sizeof v) && !strcmp(v, "0") &&
              mock_resp_header(&r, "ratelimit-reset", v, sizeof v) && atol(v) == ra,
          "headers on the 429");
  mock_resp_free(&r);
  /* Per account, not per model: another model is throttled too, another token is not. */
  mock_request(&s, "POST", "/v1/models/kwaivgi/kling-v2.1/predictions", TOK,
               "{\"input\":{\"prompt\":\"x\",\"start_image\":\"https://e/a.png\"}}", NULL, 10, &r);
  REQUIRE(r.status == 429, "same account, other model: %ld", r.status);
  mock_resp_free(&r);
  mock_request(&s, "POST", k, TOK2, in, NULL, 10, &r);
  REQUIRE(r.status == 201, "other account: %ld", r.status);
  mock_resp_free(&r);
  mock_request(&s, "GET", "/v1/predictions", TOK, NULL, NULL, 10, &r);
  REQUIRE(r.status == 200, "other requests are not throttled by creates: %ld", r.status);
  mock_resp_free(&r);
  /* Fault rules: 429 without Retry-After (body still says when), with one, with a date. */
  REQUIRE(mock_set_faults(&s, "[{\"path\":\"/v1/predictions\",\"method\":\"GET\",\"action\":\"status\",\"status\":429,\"count\":1},"
                              "{\"path\":\"/v1/predictions\",\"method\":\"GET\",\"action\":\"status\",\"status\":429,\"retry_after\":7,\"count\":1}]") == 0,
          "faults");
  mock_request(&s, "GET", "/v1/predictions", TOK, NULL, NULL, 10, &r);
  REQUIRE(r.status == 429 && !mock_resp_header(&r, "Retry-After", v, sizeof v) &&
              !strcmp(r.body, "{\"detail\":\"Request was throttled. Your rate limit resets in ~30s.\",\"status\":429,\"title\":\"Request was throttled\"}"),
          "429 without Retry-After: %s", r.body);
  mock_resp_free(&r);
  mock_request(&s, "GET", "/v1/predictions", TOK, NULL, NULL, 10, &r);
  REQUIRE(r.status == 429 && mock_resp_header(&r, "Retry-After", v, sizeof v) && !strcmp(v, "7") &&
              strstr(r.body, "resets in ~7s.") && mock_resp_header(&r, "ratelimit-reset", v, sizeof v) && !strcmp(v, "7"),
          "429 with Retry-After: %s", r.body);
out:
  mock_resp_free(&r);
  if (mock_server_stop(&s, 5) != 0) vsc_test_failures++;
}

/* --time-scale: latency, Retry-After, the reset text and rate-limit windows shrink together. */
static void t_time_scale(void) {
  mock_server s;
  const char *args[] = {"--latency", "100", "--time-scale", "0.01", "--rate-limit", "1", NULL};
  mock_resp r = {0};
  json_t *p = NULL;
  char v[64];
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  long st;
  /* The create window is 60 s × 0.01: a second create at once is throttled for ~0.6 s. */
  double t0 = vsc_test_now();
  /* Prefer: wait=5 holds 0.05 s: the answer is 202, still running. */
  p = mock_request_json(&s, "POST", "/v1/models/black-forest-labs/flux-schnell/predictions", TOK, "{\"input\":{\"prompt\":\"x\"}}", WAIT5, &st);
  REQUIRE(st == 202 && vsc_test_now() - t0 < 0.5, "scaled Prefer: wait: %ld", st);
  mock_request(&s, "POST", "/v1/models/black-forest-labs/flux-schnell/predictions", TOK, "{\"input\":{\"prompt\":\"y\"}}", NULL, 10, &r);
  REQUIRE(r.status == 429 && mock_resp_header(&r, "Retry-After", v, sizeof v) && !strcmp(v, "1") &&
              strstr(r.body, "resets in ~1s."),
          "scaled reset: %s %s", v, r.body);
  mock_resp_free(&r);
  char id[64];
  snprintf(id, sizeof id, "%s", jstr(p, "id"));
  json_decref(p);
  p = wait_done(&s, id, 5);
  double took = vsc_test_now() - t0;
  REQUIRE(!strcmp(jstr(p, "status"), "succeeded") && took > 0.9 && took < 3,
          "100 s latency runs in ~1 s: %s in %f s", jstr(p, "status"), took);
  double pt = jnum(json_object_get(p, "metrics"), "predict_time");
  REQUIRE(pt > 0.7 && pt < 1.0, "reported predict_time is the wall-clock one: %f", pt);
  mock_request(&s, "POST", "/v1/models/black-forest-labs/flux-schnell/predictions", TOK, "{\"input\":{\"prompt\":\"y\"}}", NULL, 10, &r);
  REQUIRE(r.status == 201, "the window has passed: %ld", r.status);
  mock_resp_free(&r);
  /* A rule's Retry-After of 300 s is sent as 3. */
  REQUIRE(mock_set_faults(&s, "[{\"path\":\"/v1/account\",\"action\":\"status\",\"status\":429,\"retry_after\":300}]") == 0, "f");
  mock_request(&s, "GET", "/v1/account", TOK, NULL, NULL, 10, &r);
  REQUIRE(r.status == 429 && mock_resp_header(&r, "Retry-After", v, sizeof v) && !strcmp(v, "3") &&
              strstr(r.body, "resets in ~3s."),
          "scaled rule: %s", r.body);
out:
  json_decref(p);
  mock_resp_free(&r);
  if (mock_server_stop(&s, 5) != 0) vsc_test_failures++;
}

/* ---- outages of minutes -------------------------------------------------------------------- */

static void t_outage(void) {
  mock_server s;
  const char *args[] = {"--latency", "0.1", "--time-scale", "0.01", NULL};
  mock_resp r = {0};
  json_t *p = NULL;
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  long st;
  p = mock_request_json(&s, "POST", "/v1/models/black-forest-labs/flux-schnell/predictions", TOK, "{\"input\":{\"prompt\":\"x\"}}", WAIT5, &st);
  char get[128], file[512];
  snprintf(get, sizeof get, "/v1/predictions/%s", jstr(p, "id"));
  snprintf(file, sizeof file, "%s", json_string_value(json_array_get(json_object_get(p, "output"), 0)));
  /* A 5-minute 503 outage on polling that starts 10 s after the first poll, and a 2-minute
   * run of resets on deliveries from mock start: 3 s and 1.2 s at F = 0.01. */
  REQUIRE(mock_set_faults(&s, "[{\"method\":\"GET\",\"path\":\"/v1/predictions/*\",\"action\":\"status\",\"status\":503,"
                              "\"from\":10,\"for\":300,\"clock\":\"first\"},"
                              "{\"path\":\"/delivery/*\",\"action\":\"reset\",\"from\":0,\"for\":120}]") == 0,
          "faults");
  double t0 = vsc_test_now();
  json_decref(mock_request_json(&s, "GET", get, TOK, NULL, NULL, &st));
  REQUIRE(st == 200, "before the window: %ld", st);
  vsc_test_sleep(0.2);
  int n503 = 0, n200 = 0;
  double last503 = 0;
  while (vsc_test_now() - t0 < 4.0) {
    json_decref(mock_request_json(&s, "GET", get, TOK, NULL, NULL, &st));
    if (st == 503) n503++, last503 = vsc_test_now() - t0;
    else if (st == 200 && n503) n200++;
    vsc_test_sleep(0.1);
  }
  REQUIRE(n503 >= 20 && last503 > 2.7 && last503 < 3.3 && n200 >= 5, "503 for ~3 s then 200: %d %f %d", n503, last503, n200);
  /* Deliveries: reset within 1.2 s of start, served afterwards. */
  mock_request(&s, "GET", file, TOK, NULL, NULL, 10, &r);
  REQUIRE(r.status == 200 && r.len > 100, "delivery after its window: %ld", r.status);
  mock_resp_free(&r);
  json_t *rules = mock_request_json(&s, "GET", "/_mock/faults", NULL, NULL, NULL, NULL);
  json_t *r0 = json_array_get(json_object_get(rules, "rules"), 0);
  REQUIRE(json_integer_value(json_object_get(r0, "fired")) == n503, "fired counts the 503s");
  json_decref(rules);
  /* A window from mock start that is still open: every delivery is reset. */
  REQUIRE(mock_set_faults(&s, "[{\"path\":\"/delivery/*\",\"action\":\"reset\",\"from\":0,\"for\":100000}]") == 0, "f");
  mock_request(&s, "GET", file, TOK, NULL, NULL, 10, &r);
  REQUIRE(r.curl_rc == CURLE_RECV_ERROR || r.curl_rc == CURLE_GOT_NOTHING, "reset in the window: %d", r.curl_rc);
  mock_resp_free(&r);
  /* A stall window on deliveries: 100 bytes, then a 100 s hang (1 s here), then the cut. */
  REQUIRE(mock_set_faults(&s, "[{\"path\":\"/delivery/*\",\"action\":\"stall\",\"bytes\":100,\"delay\":100,"
                              "\"from\":0,\"for\":100000}]") == 0,
          "f");
  mock_request(&s, "GET", file, TOK, NULL, NULL, 10, &r);
  REQUIRE(r.curl_rc == CURLE_PARTIAL_FILE && r.len == 100 && r.seconds > 0.9 && r.seconds < 3,
          "stalled and cut: curl %d, %zu bytes, %f s", r.curl_rc, r.len, r.seconds);
  mock_resp_free(&r);
  REQUIRE(mock_set_faults(&s, "[{\"action\":\"reset\",\"for\":0}]") != 0, "for must be > 0");
out:
  json_decref(p);
  mock_resp_free(&r);
  if (mock_server_stop(&s, 5) != 0) vsc_test_failures++;
}

/* ---- output shapes ----------------------------------------------------------------------- */

static void t_shapes(void) {
  mock_server s;
  const char *args[] = {"--latency", "0.2", NULL};
  json_t *p = NULL;
  mock_resp r = {0};
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  long st;
  /* Plain text: BLIP's caption. Same input, same text. */
  const char *blip = "{\"version\":\"salesforce/blip:2e1dddc8621f72155f24cf2e0adbde548458d3cab9f00c0139eea840d0ac4746\","
                     "\"input\":{\"image\":\"https://example.com/cat.png\"}}";
  p = mock_request_json(&s, "POST", "/v1/predictions", TOK, blip, WAIT5, &st);
  const char *cap = jstr(p, "output");
  REQUIRE(st == 201 && cap && !strncmp(cap, "Caption: ", 9) && !strstr(cap, "://") && strlen(cap) > 20, "caption: %s", cap);
  char first[256];
  snprintf(first, sizeof first, "%s", cap);
  json_decref(p);
  p = mock_request_json(&s, "POST", "/v1/predictions", TOK, blip, WAIT5, &st);
  REQUIRE(!strcmp(jstr(p, "output"), first), "deterministic caption");
  json_decref(p);
  /* Object with a text field and file URLs: whisper. */
  p = mock_request_json(&s, "POST", "/v1/predictions", TOK,
                        "{\"version\":\"4d50797290df275329f202e48c76360b3f22b08d28c196cbc54600319435f8d2\","
                        "\"input\":{\"audio\":\"data:audio/wav;base64,UklGRg==\"}}",
                        WAIT5, &st);
  json_t *o = json_object_get(p, "output");
  const char *tr = jstr(o, "transcription"), *txt = jstr(o, "txt_file"), *srt = jstr(o, "srt_file");
  REQUIRE(st == 201 && tr && txt && srt && !strcmp(jstr(o, "detected_language"), "english") &&
              json_is_null(json_object_get(o, "translation")) && json_array_size(json_object_get(o, "segments")) == 3,
          "whisper object: %s", tr ? tr : "(none)");
  mock_request(&s, "GET", txt, TOK, NULL, NULL, 10, &r);
  REQUIRE(r.status == 200 && r.len == strlen(tr) && !memcmp(r.body, tr, r.len), "txt_file is the transcription");
  mock_resp_free(&r);
  mock_request(&s, "GET", srt, TOK, NULL, NULL, 10, &r);
  REQUIRE(r.status == 200 && !strncmp(r.body, "1\n00:00:00,000 --> 00:00:02,500\n", 32) && strstr(r.body, "\n3\n00:00:05,000 --> 00:00:07,500\n"),
          "srt_file: %s", r.body);
  mock_resp_free(&r);
  json_decref(p);
  /* A data: URI string. */
  p = mock_request_json(&s, "POST", "/v1/models/vsc-fixtures/swatch-data-url/predictions", TOK, "{\"input\":{\"prompt\":\"teal\"}}", WAIT5, &st);
  REQUIRE(st == 201 && jstr(p, "output") && !strncmp(jstr(p, "output"), "data:image/png;base64,iVBORw0KGgo", 33),
          "data URI output: %.60s", jstr(p, "output"));
  json_decref(p);
  /* A list: sdxl-lightning with two outputs. */
  p = mock_request_json(&s, "POST", "/v1/predictions", TOK,
                        "{\"version\":\"5599ed30703defd1d160a25a63321b4dec97101d98b4674bcc56e41f62f35637\","
                        "\"input\":{\"prompt\":\"x\",\"num_outputs\":2,\"width\":512,\"height\":512}}",
                        WAIT5, &st);
  REQUIRE(st == 201 && json_array_size(json_object_get(p, "output")) == 2, "a list of two");
  mock_request(&s, "GET", json_string_value(json_array_get(json_object_get(p, "output"), 1)), TOK, NULL, NULL, 10, &r);
  REQUIRE(r.status == 200 && !memcmp(r.body, "\x89PNG", 4), "the second is a PNG");
out:
  json_decref(p);
  mock_resp_free(&r);
  if (mock_server_stop(&s, 5) != 0) vsc_test_failures++;
}

/* ---- the price table --------------------------------------------------------------------- */

static void t_prices(void) {
  mock_server s;
  const char *args[] = {"--latency", "1.0", NULL}; /* room to cancel while it runs, under load */
  json_t *p = NULL, *b = NULL;
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  long st;
  char text[1001];
  memset(text, 'a', 1000);
  text[1000] = 0;
  char body[1200];
  snprintf(body, sizeof body, "{\"input\":{\"text\":\"%s\"}}", text);
  struct {
    const char *path, *body;
    double cost;
    const char *unit;
  } cases[] = {
      {"/v1/models/minimax/speech-02-turbo/predictions", body, 0.015, "character"},
      /* veo-3-fast defaults: 8 s, audio, 1080p. */
      {"/v1/models/google/veo-3-fast/predictions", "{\"input\":{\"prompt\":\"x\"}}", 1.2, "second"},
      {"/v1/models/google/veo-3-fast/predictions", "{\"input\":{\"prompt\":\"x\",\"duration\":4,\"generate_audio\":false,\"resolution\":\"720p\"}}", 0.4, "second"},
      {"/v1/models/black-forest-labs/flux-schnell/predictions", "{\"input\":{\"prompt\":\"x\",\"num_outputs\":4}}", 0.012, "image"},
      {"/v1/models/minimax/video-01/predictions", "{\"input\":{\"prompt\":\"x\"}}", 0.5, "run"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    p = mock_request_json(&s, "POST", cases[i].path, TOK, cases[i].body, WAIT5, &st);
    REQUIRE(st == 201 && !strcmp(jstr(p, "status"), "succeeded"), "case %zu: %ld", i, st);
    b = billing(&s);
    json_t *rec = record(b, jstr(p, "id"));
    REQUIRE(rec && fabs(jnum(rec, "cost") - cases[i].cost) < 1e-9 && !strcmp(jstr(rec, "unit"), cases[i].unit) &&
                jstr(rec, "price_source"),
            "case %zu: cost %f unit %s", i, jnum(rec, "cost"), jstr(rec, "unit"));
    json_decref(b);
    b = NULL;
    json_decref(p);
    p = NULL;
  }
  /* veo-3-fast reports 1080p as its default. */
  p = mock_request_json(&s, "GET", "/v1/models/google/veo-3-fast", TOK, NULL, NULL, &st);
  REQUIRE(!strcmp(jstr(json_object_get(json_object_get(json_object_get(json_object_get(json_object_get(json_object_get(
                                                                                                           json_object_get(p, "latest_version"), "openapi_schema"),
                                                                                                       "components"),
                                                                                       "schemas"),
                                                                       "Input"),
                                                       "properties"),
                                       "resolution"),
                       "default"),
                  "1080p"),
          "resolution default");
  json_decref(p);
  /* An output-priced model canceled while running made nothing and costs nothing; aborted:
   * free as well. */
  p = mock_request_json(&s, "POST", "/v1/models/kwaivgi/kling-v2.1/predictions", TOK,
                        "{\"input\":{\"prompt\":\"x\",\"start_image\":\"https://e/a.png\"}}", NULL, &st);
  char id[64], path[128];
  snprintf(id, sizeof id, "%s", jstr(p, "id"));
  json_decref(p);
  vsc_test_sleep(0.5); /* processing from 0.2 s, done at 1 s */
  snprintf(path, sizeof path, "/v1/predictions/%s/cancel", id);
  p = mock_request_json(&s, "POST", path, TOK, NULL, NULL, &st);
  REQUIRE(!strcmp(jstr(p, "status"), "canceled"), "canceled");
  double pt = jnum(json_object_get(p, "metrics"), "predict_time");
  json_decref(p);
  b = billing(&s);
  json_t *rec = record(b, id);
  REQUIRE(rec && pt > 0.1 && jnum(rec, "cost") == 0, "canceled while running is billed: %f for %f s",
          jnum(rec, "cost"), pt);
  json_decref(b);
  const char *const ca[] = {"Cancel-After: 5s", NULL};
  REQUIRE(mock_set_faults(&s, "[{\"action\":\"abort\"}]") == 0, "f");
  p = mock_request_json(&s, "POST", "/v1/models/kwaivgi/kling-v2.1/predictions", TOK,
                        "{\"input\":{\"prompt\":\"x\",\"start_image\":\"https://e/a.png\"}}", ca, &st);
  snprintf(id, sizeof id, "%s", jstr(p, "id"));
  REQUIRE(jstr(p, "deadline"), "Cancel-After gives a deadline");
  json_decref(p);
  p = wait_done(&s, id, 5);
  b = billing(&s);
  rec = record(b, id);
  REQUIRE(!strcmp(jstr(p, "status"), "aborted") && rec && jnum(rec, "cost") == 0, "aborted is free");
out:
  json_decref(p);
  json_decref(b);
  if (mock_server_stop(&s, 5) != 0) vsc_test_failures++;
}

/* Files survive a restart with --state-file (their bytes are kept beside it). */
static void t_files_state(void) {
  mock_server s;
  char state[] = "/tmp/vsc-mock-files-XXXXXX";
  int fd = mkstemp(state);
  if (fd < 0) {
    vsc_test_failures++;
    return;
  }
  close(fd);
  unlink(state);
  const char *args[] = {"--state-file", state, NULL};
  mock_resp r = {0};
  char url[256] = "", path[300], dir[300];
  snprintf(dir, sizeof dir, "%s.files", state);
  if (mock_server_start(&s, args)) {
    vsc_test_failures++;
    return;
  }
  mock_upload(&s, TOK, "persist me", 10, "p.txt", "text/plain", NULL, NULL, NULL, &r);
  json_t *f = mock_resp_json(&r);
  snprintf(url, sizeof url, "%s", jstr(json_object_get(f, "urls"), "get"));
  json_decref(f);
  mock_resp_free(&r);
  if (mock_server_stop(&s, 5) != 0) vsc_test_failures++;
  REQUIRE(mock_server_start(&s, args) == 0, "restart");
  /* The port changed: ask on the new one for the same id. */
  snprintf(path, sizeof path, "/v1/files/%s/download", strrchr(url, '/') + 1);
  mock_request(&s, "GET", path, TOK, NULL, NULL, 10, &r);
  REQUIRE(r.status == 200 && r.len == 10 && !memcmp(r.body, "persist me", 10), "file after restart: %ld", r.status);
out:
  mock_resp_free(&r);
  if (s.pid && mock_server_stop(&s, 5) != 0) vsc_test_failures++;
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", state, dir);
  if (system(cmd) != 0) vsc_test_failures++;
}

static const vsc_test_case cases[] = {
#define VSC_TEST_CASE(name) VSC_TEST_ENTRY(t_, name)
#include "test_mock_survive.def"
#undef VSC_TEST_CASE
};

int main(int argc, char **argv) { return mock_test_main(argc, argv, cases, VSC_TEST_COUNT(cases)); }
