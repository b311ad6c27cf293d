/*
** mock_harness.c — process control of mock-replicate for tests, and a small libcurl client.
*/
#include "mock_harness.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MOCK_REPLICATE_BIN
#error "MOCK_REPLICATE_BIN must name the mock-replicate executable"
#endif

int mock_test_main(int argc, char **argv, const vsc_test_case *cases, size_t ncases) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc = vsc_test_main(argc, argv, cases, ncases);
  curl_global_cleanup();
  return rc;
}

int mock_server_start(mock_server *s, const char *const *args) {
  const char *argv[64];
  int n = 0;
  argv[n++] = MOCK_REPLICATE_BIN;
  argv[n++] = "--port";
  argv[n++] = "0";
  for (int i = 0; args && args[i] && n < 62; i++) argv[n++] = args[i];
  argv[n] = NULL;
  pid_t pid = vsc_test_start_server(argv, &s->port);
  if (pid < 0) return -1;
  s->pid = pid;
  snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", s->port);
  return 0;
}

int mock_server_stop(mock_server *s, double timeout) {
  if (s->pid <= 0) return -1;
  kill(s->pid, SIGTERM);
  double end = vsc_test_now() + timeout;
  int st = 0;
  while (vsc_test_now() < end) {
    pid_t r = waitpid(s->pid, &st, WNOHANG);
    if (r == s->pid) {
      s->pid = 0;
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    vsc_test_sleep(0.01);
  }
  kill(s->pid, SIGKILL);
  waitpid(s->pid, &st, 0);
  s->pid = 0;
  return -1;
}

typedef struct {
  char *p;
  size_t n;
} buf_t;

static size_t on_data(char *d, size_t sz, size_t nm, void *u) {
  buf_t *b = u;
  size_t add = sz * nm;
  char *np = realloc(b->p, b->n + add + 1);
  if (!np) return 0;
  memcpy(np + b->n, d, add);
  b->p = np;
  b->n += add;
  b->p[b->n] = 0;
  return add;
}

int mock_request(const mock_server *s, const char *method, const char *path, const char *token,
                 const char *body, const char *const *hdrs, double timeout, mock_resp *r) {
  memset(r, 0, sizeof *r);
  CURL *c = curl_easy_init();
  if (!c) return -1;
  char url[2048], auth[512];
  if (!strncmp(path, "http", 4)) snprintf(url, sizeof url, "%s", path);
  else snprintf(url, sizeof url, "%s%s", s->base, path);
  struct curl_slist *h = NULL;
  if (token) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    h = curl_slist_append(h, auth);
  }
  if (body) h = curl_slist_append(h, "Content-Type: application/json");
  for (int i = 0; hdrs && hdrs[i]; i++) h = curl_slist_append(h, hdrs[i]);
  buf_t bb = {NULL, 0}, hb = {NULL, 0};
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  else if (!strcmp(method, "POST")) curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &bb);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &hb);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)((timeout > 0 ? timeout : 30) * 1000));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  double t0 = vsc_test_now();
  r->curl_rc = (int)curl_easy_perform(c);
  r->seconds = vsc_test_now() - t0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
  r->body = bb.p ? bb.p : calloc(1, 1);
  r->len = bb.n;
  r->headers = hb.p ? hb.p : calloc(1, 1);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return 0;
}

int mock_upload(const mock_server *s, const char *token, const void *data, size_t len,
                const char *filename, const char *ctype, const char *metadata,
                const char *name_field, const char *type_field, mock_resp *r) {
  memset(r, 0, sizeof *r);
  CURL *c = curl_easy_init();
  if (!c) return -1;
  char url[256], auth[512];
  snprintf(url, sizeof url, "%s/v1/files", s->base);
  struct curl_slist *h = NULL;
  if (token) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    h = curl_slist_append(h, auth);
  }
  curl_mime *mime = curl_mime_init(c);
  curl_mimepart *part = curl_mime_addpart(mime);
  curl_mime_name(part, "content");
  curl_mime_data(part, data, len);
  if (filename) curl_mime_filename(part, filename);
  if (ctype) curl_mime_type(part, ctype);
  const char *names[] = {"metadata", "filename", "type"};
  const char *vals[] = {metadata, name_field, type_field};
  for (int i = 0; i < 3; i++) {
    if (!vals[i]) continue;
    part = curl_mime_addpart(mime);
    curl_mime_name(part, names[i]);
    curl_mime_data(part, vals[i], CURL_ZERO_TERMINATED);
  }
  buf_t bb = {NULL, 0}, hb = {NULL, 0};
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &bb);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &hb);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  double t0 = vsc_test_now();
  r->curl_rc = (int)curl_easy_perform(c);
  r->seconds = vsc_test_now() - t0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
  r->body = bb.p ? bb.p : calloc(1, 1);
  r->len = bb.n;
  r->headers = hb.p ? hb.p : calloc(1, 1);
  curl_mime_free(mime);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return 0;
}

void mock_resp_free(mock_resp *r) {
  free(r->body);
  free(r->headers);
  r->body = r->headers = NULL;
}

const char *mock_resp_header(const mock_resp *r, const char *name, char *buf, size_t n) {
  size_t nl = strlen(name);
  for (const char *line = r->headers; line && *line;) {
    const char *eol = strchr(line, '\n');
    size_t len = eol ? (size_t)(eol - line) : strlen(line);
    if (len > nl && !strncasecmp(line, name, nl) && line[nl] == ':') {
      const char *v = line + nl + 1;
      while (*v == ' ') v++;
      size_t vl = (size_t)(line + len - v);
      while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' ')) vl--;
      snprintf(buf, n, "%.*s", (int)vl, v);
      return buf;
    }
    line = eol ? eol + 1 : NULL;
  }
  return NULL;
}

json_t *mock_resp_json(const mock_resp *r) { return json_loadb(r->body, r->len, 0, NULL); }

json_t *mock_request_json(const mock_server *s, const char *method, const char *path, const char *token,
                          const char *body, const char *const *hdrs, long *status) {
  mock_resp r;
  mock_request(s, method, path, token, body, hdrs, 30, &r);
  if (status) *status = r.status;
  json_t *j = mock_resp_json(&r);
  mock_resp_free(&r);
  return j;
}

int mock_set_faults(const mock_server *s, const char *rules) {
  long st = 0;
  json_decref(mock_request_json(s, "POST", "/_mock/faults", NULL, rules, NULL, &st));
  return st == 200 ? 0 : -1;
}
