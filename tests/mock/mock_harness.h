/*
** mock_harness.h — starts and stops a mock-replicate server for a test, and makes plain
** HTTP requests to it with libcurl. Shared by tests/mock and tests/replicate.
*/
#ifndef VSC_MOCK_HARNESS_H
#define VSC_MOCK_HARNESS_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "vsc_test.h"

typedef struct {
  pid_t pid;
  int port;
  char base[64]; /* "http://127.0.0.1:PORT" */
} mock_server;

/* Starts mock-replicate on a free port with the NULL-terminated extra arguments (e.g.
 * "--latency", "0.5", NULL). Returns 0 once it accepts connections, -1 on failure. */
int mock_server_start(mock_server *s, const char *const *args);
/* Sends SIGTERM and waits; returns the exit status (0 = clean), or -1 if it had to be
 * killed after `timeout` seconds. */
int mock_server_stop(mock_server *s, double timeout);

typedef struct {
  int curl_rc; /* CURLcode: 0 when the exchange completed */
  long status; /* HTTP status, 0 when none */
  char *body;  /* NUL-terminated (caller frees with mock_resp_free) */
  size_t len;
  char *headers;  /* raw response headers */
  double seconds; /* wall time of the request */
} mock_resp;

/* One request. `path` is a path on the server ("/v1/...") or a full URL. `token` NULL sends
 * no Authorization header. `hdrs` is a NULL-terminated list of extra "Name: value" lines or
 * NULL. `timeout` in seconds (0 = 30). Returns 0 (see r->curl_rc for transport errors). */
int mock_request(const mock_server *s, const char *method, const char *path, const char *token,
                 const char *body, const char *const *hdrs, double timeout, mock_resp *r);
void mock_resp_free(mock_resp *r);
/* POST /v1/files as the clients do: multipart/form-data with a `content` part (`data`, `len`
 * bytes, `filename` and `ctype` on the part) and, when not NULL, `metadata` (JSON text) and
 * the `filename` / `type` fields. */
int mock_upload(const mock_server *s, const char *token, const void *data, size_t len,
                const char *filename, const char *ctype, const char *metadata,
                const char *name_field, const char *type_field, mock_resp *r);
/* The value of response header `name` (case-insensitive) copied into buf, or NULL. */
const char *mock_resp_header(const mock_resp *r, const char *name, char *buf, size_t n);
/* The body parsed as JSON (new reference) or NULL. */
json_t *mock_resp_json(const mock_resp *r);
/* One request (30 s timeout) whose body is JSON: the parsed body (new reference) or NULL, the
 * HTTP status in *status when status is not NULL. */
json_t *mock_request_json(const mock_server *s, const char *method, const char *path, const char *token,
                          const char *body, const char *const *hdrs, long *status);
/* Replaces the mock's fault rules (POST /_mock/faults, a JSON array). Returns 0 or -1. */
int mock_set_faults(const mock_server *s, const char *rules);

/* vsc_test_main between libcurl's global init and cleanup: the main() of a suite whose
 * cases speak HTTP. */
int mock_test_main(int argc, char **argv, const vsc_test_case *cases, size_t ncases);

#endif
