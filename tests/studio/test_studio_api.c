/*
** test_studio_api.c — `vsc studio` from the outside: a real server on a free loopback
** port, spoken to with libcurl. One case per run (test_studio_api CASE):
**   auth       session token required (header or cookie), login sets an HttpOnly cookie
**   origin     Host and Origin checked (DNS rebinding, cross-site requests)
**   paths      no absolute paths, no "..", only .vscript written
**   symlinks   links (file and folder) leading out of the project are refused
**   limits     request bodies over the limit are refused with 413
**   check      diagnostics at line:col for unsaved text; the plan for good text (a
**              transition's row names the two scenes it joins)
**   save       saving formats and writes; an edit made on disk is never overwritten unseen
**   build      a local build streams every node to completed over SSE and makes the MP4
**   concurrent a build asked for while one runs is queued (202, "queue" events), runs when
**              the first ends; the same build twice, a broken script, unqueue; Stop drops
**              the queue
**   stop       Stop interrupts the build as Ctrl-C does (exit 130, status "stopped")
**   secrets    neither the session token nor REPLICATE_API_TOKEN is in any response
**   media      videos are served with byte ranges; cache objects by key only; posters
**              (a 320-pixel JPEG per scene clip)
**   ledger     a local build is in the ledger at $0 (the same records `vsc ledger` reads)
**   prompt     the prompt box writes a checked script, never over an existing one
**   beats      a song's tempo, beats and sections for the timeline
**   replicate  a paid build against mock-replicate: prediction ids, costs, the ledger
**   prompt_llm the prompt box on a chat model (mock-chat): the script, its cost in the ledger
**   llm_checks while the chat model takes 3 s to answer, live checks answer at once
*/
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mock_harness.h"
#include "vsc_test.h"

#define SECRET "r8_studioTestSecret_0123456789abcdef"
#define LLM_KEY "sk-studioTestChatKey_0123456789"

/* ---- the server under test ------------------------------------------------------- */
static pid_t server_pid;
static char token[80], hostport[64], tmp[4096], project[4200], outside[4200];

static const char *SCRIPT =
    "video \"studio test\" {\n"
    "  size 320x180\n"
    "  fps 12\n"
    "  length 3s\n"
    "  scene a (1s) {\n"
    "    shot image \"a red ball\"\n"
    "    text \"hello\" at center\n"
    "  }\n"
    "  scene b (1s) {\n"
    "    shot image \"a blue square\"\n"
    "  }\n"
    "  scene c (rest) {\n"
    "    shot color #203040\n"
    "  }\n"
    "}\n";

/* A slower script (video shots at 640x360) for the stop and concurrency cases. */
static const char *SLOW =
    "video \"slow\" {\n"
    "  size 640x360\n"
    "  fps 24\n"
    "  length 20s\n"
    "  scene a (5s) {\n    shot video \"waves on a beach at dusk\"\n  }\n"
    "  scene b (5s) {\n    shot video \"a city street in the rain\"\n  }\n"
    "  scene c (5s) {\n    shot video \"a forest path in fog\"\n  }\n"
    "  scene d (rest) {\n    shot video \"a desert road at noon\"\n  }\n"
    "}\n";

/* Two formats from one storyboard (language.md "Formats"). */
static const char *FORMATS =
    "video \"Two\" {\n"
    "  size 320x180 fps 12\n"
    "  formats 16:9 9:16\n"
    "  scene a (1s) { shot color #336699 text \"TWO\" at center }\n"
    "}\n";

static void make_project(void) {
  vsc_test_tmpdir(tmp, sizeof tmp, "studio-test");
  snprintf(project, sizeof project, "%s/project", tmp);
  snprintf(outside, sizeof outside, "%s/outside", tmp);
  mkdir(project, 0755);
  mkdir(outside, 0755);
  char p[8192];
  snprintf(p, sizeof p, "%s/t.vscript", project);
  vsc_test_write_text(p, SCRIPT);
  snprintf(p, sizeof p, "%s/slow.vscript", project);
  vsc_test_write_text(p, SLOW);
  snprintf(p, sizeof p, "%s/two.vscript", project);
  vsc_test_write_text(p, FORMATS);
  snprintf(p, sizeof p, "%s/secret.vscript", outside);
  vsc_test_write_text(p, "// outside the project\n");
  snprintf(p, sizeof p, "%s/secret.png", outside);
  vsc_test_write_text(p, "not really a png\n");
  char target[8192];
  snprintf(target, sizeof target, "%s/secret.vscript", outside);
  snprintf(p, sizeof p, "%s/link.vscript", project);
  if (symlink(target, p) != 0) perror("symlink");
  snprintf(target, sizeof target, "%s/secret.png", outside);
  snprintf(p, sizeof p, "%s/link.png", project);
  if (symlink(target, p) != 0) perror("symlink");
  snprintf(p, sizeof p, "%s/outdir", project);
  if (symlink(outside, p) != 0) perror("symlink");
}

static void start_server(void) {
  make_project();
  int fds[2];
  if (pipe(fds) != 0) exit(2);
  server_pid = fork();
  if (server_pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    setenv("REPLICATE_API_TOKEN", SECRET, 1);
    execl(VSC_BIN, "vsc", "studio", project, "--port", "0", (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  FILE *f = fdopen(fds[0], "r");
  char line[512];
  if (!fgets(line, sizeof line, f)) {
    fprintf(stderr, "the studio printed no URL\n");
    exit(2);
  }
  /* http://127.0.0.1:PORT/?token=HEX */
  if (sscanf(line, "http://%63[^/]/?token=%79s", hostport, token) != 2) {
    fprintf(stderr, "unexpected first line: %s", line);
    exit(2);
  }
  /* Keep reading its output so it never blocks on a full pipe. */
  if (fork() == 0) {
    char buf[4096];
    while (fread(buf, 1, sizeof buf, f) > 0) {}
    _exit(0);
  }
  fclose(f);
}

static void stop_server(void) {
  if (server_pid <= 0) return;
  kill(server_pid, SIGINT);
  int status = 0;
  for (int i = 0; i < 200; i++) {
    if (waitpid(server_pid, &status, WNOHANG) == server_pid) {
      CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the studio stopped with status %d", status);
      server_pid = 0;
      return;
    }
    usleep(50000);
  }
  kill(server_pid, SIGKILL);
  waitpid(server_pid, &status, 0);
  CHECK(0, "the studio did not stop within 10 s of SIGINT");
}

/* ---- requests ---------------------------------------------------------------------- */
typedef struct {
  long status;
  char *body;
  size_t len;
  char *headers;
  size_t hlen;
} reply;

static size_t on_data(char *p, size_t sz, size_t n, void *ud) {
  char **buf = ud;
  size_t add = sz * n;
  size_t *len = (size_t *)(buf + 1);
  char *b = realloc(*buf, *len + add + 1);
  if (!b) return 0;
  memcpy(b + *len, p, add);
  *len += add;
  b[*len] = 0;
  *buf = b;
  return add;
}

typedef struct {
  char *buf;
  size_t len;
} acc;

static size_t acc_write(char *p, size_t sz, size_t n, void *ud) { return on_data(p, sz, n, ud); }

/* Every reply of the run, to check that no secret ever left in one. */
static json_t *seen;

/* Sends a request. `hdrs` is NULL-terminated extra header lines; by default the token goes
 * in X-Vsc-Token (pass auth=false to leave it out). */
static reply request(const char *method, const char *path, const char *body, size_t blen,
                     bool auth, const char *const *hdrs) {
  reply r = {0};
  acc b = {0}, h = {0};
  CURL *c = curl_easy_init();
  char url[8192];
  snprintf(url, sizeof url, "http://%s%s", hostport, path);
  struct curl_slist *list = NULL;
  char th[256];
  if (auth) {
    snprintf(th, sizeof th, "X-Vsc-Token: %s", token);
    list = curl_slist_append(list, th);
  }
  for (int i = 0; hdrs && hdrs[i]; i++) list = curl_slist_append(list, hdrs[i]);
  list = curl_slist_append(list, "Expect:");
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, acc_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, acc_write);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)blen);
  }
  CURLcode rc = curl_easy_perform(c);
  CHECK(rc == CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_cleanup(c);
  curl_slist_free_all(list);
  r.body = b.buf ? b.buf : strdup("");
  r.len = b.len;
  r.headers = h.buf ? h.buf : strdup("");
  r.hlen = h.len;
  if (seen) json_array_append_new(seen, json_pack("{s:s, s:s%, s:s%}", "what", path, "body", r.body,
                                                  r.len, "headers", r.headers, r.hlen));
  return r;
}

static reply get(const char *path) { return request("GET", path, NULL, 0, true, NULL); }
static reply post_json(const char *method, const char *path, json_t *o) {
  char *text = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  reply r = request(method, path, text, strlen(text), true, NULL);
  free(text);
  return r;
}
static void reply_free(reply *r) {
  free(r->body);
  free(r->headers);
}
static json_t *body_json(const reply *r) {
  json_error_t je;
  json_t *o = json_loadb(r->body, r->len, 0, &je);
  CHECK(o != NULL, "reply is not JSON: %.200s", r->body);
  return o ? o : json_object();
}

/* Follows the event stream until the build's exit event (or `until` seconds); returns
 * every event, in order (new array). `on_event` may act on each (e.g. press Stop). */
typedef struct {
  char *buf;
  size_t len;
  size_t parsed;
  json_t *events;
  bool (*on_event)(json_t *ev);
  bool done;
  const char *script; /* end at the exit of this script's build (NULL: the first exit) */
  char current[256];  /* the script of the build being followed */
} sse_acc;

static size_t sse_write(char *p, size_t sz, size_t n, void *ud) {
  sse_acc *s = ud;
  size_t add = sz * n;
  char *b = realloc(s->buf, s->len + add + 1);
  if (!b) return 0;
  memcpy(b + s->len, p, add);
  s->len += add;
  b[s->len] = 0;
  s->buf = b;
  char *end;
  while ((end = strstr(s->buf + s->parsed, "\n\n"))) {
    char *data = strstr(s->buf + s->parsed, "data: ");
    if (data && data < end) {
      json_error_t je;
      json_t *ev = json_loadb(data + 6, (size_t)(end - data - 6), 0, &je);
      if (ev) {
        json_array_append(s->events, ev);
        if (s->on_event && s->on_event(ev)) {}
        const char *kind = json_string_value(json_object_get(ev, "event"));
        if (kind && strcmp(kind, "plan") == 0)
          snprintf(s->current, sizeof s->current, "%s", json_string_value(json_object_get(ev, "script")));
        if (kind && strcmp(kind, "exit") == 0 && (!s->script || !strcmp(s->script, s->current)))
          s->done = true;
        json_decref(ev);
      }
    }
    s->parsed = (size_t)(end - s->buf) + 2;
  }
  return s->done ? 0 : add; /* returning 0 ends the transfer */
}

static json_t *follow_script(bool (*on_event)(json_t *), long seconds, const char *script) {
  sse_acc s = {0};
  s.events = json_array();
  s.on_event = on_event;
  s.script = script;
  CURL *c = curl_easy_init();
  char url[512], th[256];
  snprintf(url, sizeof url, "http://%s/api/build/events", hostport);
  snprintf(th, sizeof th, "X-Vsc-Token: %s", token);
  struct curl_slist *list = curl_slist_append(NULL, th);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sse_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, seconds);
  curl_easy_perform(c);
  curl_easy_cleanup(c);
  curl_slist_free_all(list);
  CHECK(s.done, "the stream ended without an exit event");
  if (seen) json_array_append_new(seen, json_pack("{s:s, s:s}", "what", "sse", "body", s.buf ? s.buf : ""));
  free(s.buf);
  return s.events;
}

static json_t *follow_build(bool (*on_event)(json_t *), long seconds) {
  return follow_script(on_event, seconds, NULL);
}

static json_t *last_event(json_t *events, const char *kind) {
  for (size_t i = json_array_size(events); i-- > 0;) {
    json_t *ev = json_array_get(events, i);
    if (strcmp(json_string_value(json_object_get(ev, "event")), kind) == 0) return ev;
  }
  return NULL;
}

/* Width and height from a JPEG's first SOF marker (0 when there is none). */
static void jpeg_size(const unsigned char *p, size_t len, int *w, int *h) {
  *w = *h = 0;
  if (len < 4 || p[0] != 0xFF || p[1] != 0xD8) return;
  size_t i = 2;
  while (i + 9 < len && p[i] == 0xFF) {
    unsigned m = p[i + 1], seg = (unsigned)p[i + 2] << 8 | p[i + 3];
    if (m >= 0xC0 && m <= 0xC3) {
      *h = p[i + 5] << 8 | p[i + 6];
      *w = p[i + 7] << 8 | p[i + 8];
      return;
    }
    i += 2 + seg;
  }
}

/* ---- cases ----------------------------------------------------------------------------- */
static void case_auth(void) {
  reply r = request("GET", "/api/session", NULL, 0, false, NULL);
  CHECK(r.status == 401, "no token: %ld", r.status);
  CHECK(strstr(r.body, "session token") != NULL, "the refusal says why: %s", r.body);
  reply_free(&r);
  char wrong[160];
  snprintf(wrong, sizeof wrong, "X-Vsc-Token: %s", token);
  wrong[strlen(wrong) - 1] ^= 1; /* the same length, one bit off */
  const char *h1[] = {wrong, NULL};
  r = request("GET", "/api/session", NULL, 0, false, h1);
  CHECK(r.status == 401, "a wrong token: %ld", r.status);
  reply_free(&r);
  r = get("/api/session");
  CHECK(r.status == 200, "header token: %ld", r.status);
  reply_free(&r);
  char cookie[160];
  snprintf(cookie, sizeof cookie, "Cookie: vsc_token=%s", token);
  const char *h2[] = {cookie, NULL};
  r = request("GET", "/api/session", NULL, 0, false, h2);
  CHECK(r.status == 200, "cookie token: %ld", r.status);
  reply_free(&r);
  /* The printed URL: the token becomes an HttpOnly, SameSite=Strict cookie. */
  char path[256];
  snprintf(path, sizeof path, "/?token=%s", token);
  r = request("GET", path, NULL, 0, false, NULL);
  CHECK(r.status == 303, "login: %ld", r.status);
  CHECK(strstr(r.headers, "HttpOnly") && strstr(r.headers, "SameSite=Strict"), "cookie flags: %s", r.headers);
  CHECK(strstr(r.headers, "Location: /") != NULL, "redirect: %s", r.headers);
  reply_free(&r);
  /* A token in the query of an API call is not a way in. */
  snprintf(path, sizeof path, "/api/session?token=%s", token);
  r = request("GET", path, NULL, 0, false, NULL);
  CHECK(r.status == 401, "query token on the API: %ld", r.status);
  reply_free(&r);
  r = request("GET", "/", NULL, 0, false, NULL);
  CHECK(r.status == 401 && strstr(r.body, "vsc studio"), "the page without a token: %ld", r.status);
  reply_free(&r);
  r = get("/");
  CHECK(r.status == 200 && strstr(r.body, "<div id=\"app\">"), "the page: %ld", r.status);
  CHECK(strstr(r.headers, "Content-Security-Policy: default-src 'none'; script-src 'self'") != NULL,
        "CSP: %s", r.headers);
  CHECK(strstr(r.headers, "X-Frame-Options: DENY") != NULL, "frames: %s", r.headers);
  reply_free(&r);
  r = get("/api/nothing");
  CHECK(r.status == 404, "unknown route: %ld", r.status);
  reply_free(&r);
  r = request("DELETE", "/api/files", NULL, 0, true, NULL);
  CHECK(r.status == 405, "wrong method: %ld", r.status);
  reply_free(&r);
}

static void case_origin(void) {
  const char *evil_host[] = {"Host: evil.example:80", NULL};
  reply r = request("GET", "/api/session", NULL, 0, true, evil_host);
  CHECK(r.status == 403, "rebinding Host: %ld", r.status);
  reply_free(&r);
  char lh[128];
  snprintf(lh, sizeof lh, "Host: localhost:%s", strchr(hostport, ':') + 1);
  const char *local_host[] = {lh, NULL};
  r = request("GET", "/api/session", NULL, 0, true, local_host);
  CHECK(r.status == 200, "localhost Host: %ld", r.status);
  reply_free(&r);
  const char *evil_origin[] = {"Origin: http://evil.example", NULL};
  r = request("POST", "/api/build/stop", "", 0, true, evil_origin);
  CHECK(r.status == 403, "cross-site Origin: %ld", r.status);
  reply_free(&r);
  char og[128];
  snprintf(og, sizeof og, "Origin: http://%s", hostport);
  const char *good_origin[] = {og, NULL};
  r = request("POST", "/api/build/stop", "", 0, true, good_origin);
  CHECK(r.status == 409, "own Origin (no build running): %ld %s", r.status, r.body);
  reply_free(&r);
  const char *site[] = {"Sec-Fetch-Site: cross-site", NULL};
  r = request("GET", "/api/session", NULL, 0, true, site);
  CHECK(r.status == 403, "Sec-Fetch-Site cross-site: %ld", r.status);
  reply_free(&r);
  /* A state change carried by the cookie alone must name its origin. */
  char cookie[160];
  snprintf(cookie, sizeof cookie, "Cookie: vsc_token=%s", token);
  const char *cookie_only[] = {cookie, NULL};
  r = request("POST", "/api/build/stop", "", 0, false, cookie_only);
  CHECK(r.status == 403, "cookie POST without Origin: %ld", r.status);
  reply_free(&r);
}

static void case_paths(void) {
  static const char *bad[] = {"/api/file?path=../outside/secret.vscript", "/api/file?path=%2Fetc%2Fpasswd",
                              "/api/file?path=sub/../../x", "/api/file?path=", "/api/file"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    reply r = get(bad[i]);
    CHECK(r.status == 403, "%s: %ld %s", bad[i], r.status, r.body);
    reply_free(&r);
  }
  reply r = get("/api/file?path=t.vscript");
  CHECK(r.status == 200, "inside: %ld", r.status);
  json_t *o = body_json(&r);
  CHECK(strcmp(json_string_value(json_object_get(o, "text")), SCRIPT) == 0, "the text as on disk");
  json_decref(o);
  reply_free(&r);
  r = get("/api/file?path=missing.vscript");
  CHECK(r.status == 404, "missing: %ld", r.status);
  reply_free(&r);
  r = post_json("PUT", "/api/file", json_pack("{s:s, s:s}", "path", "../escape.vscript", "text", "x"));
  CHECK(r.status == 403, "write outside: %ld", r.status);
  reply_free(&r);
  r = post_json("PUT", "/api/file", json_pack("{s:s, s:s}", "path", "run.sh", "text", "echo"));
  CHECK(r.status == 403 && strstr(r.body, ".vscript"), "write a non-script: %ld %s", r.status, r.body);
  reply_free(&r);
  char p[8192];
  snprintf(p, sizeof p, "%s/../escape.vscript", project);
  struct stat sb;
  CHECK(stat(p, &sb) != 0, "nothing was written outside");
  r = get("/api/media?path=t.vscript");
  CHECK(r.status == 403, "media serves media only: %ld", r.status);
  reply_free(&r);
  r = post_json("POST", "/api/build", json_pack("{s:s}", "path", "../outside/secret.vscript"));
  CHECK(r.status == 403, "build outside: %ld", r.status);
  reply_free(&r);
}

static void case_symlinks(void) {
  static const char *bad[] = {"/api/file?path=link.vscript", "/api/file?path=outdir/secret.vscript",
                              "/api/media?path=link.png", "/api/media?path=outdir/secret.png"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    reply r = get(bad[i]);
    CHECK(r.status == 403 && strstr(r.body, "outside the project"), "%s: %ld %s", bad[i], r.status, r.body);
    reply_free(&r);
  }
  reply r = post_json("PUT", "/api/file", json_pack("{s:s, s:s}", "path", "outdir/new.vscript", "text", "x"));
  CHECK(r.status == 403, "write through a linked folder: %ld", r.status);
  reply_free(&r);
  r = post_json("PUT", "/api/file", json_pack("{s:s, s:s, s:b}", "path", "link.vscript", "text", "// overwritten\n", "format", 0));
  CHECK(r.status == 403, "write through a linked file: %ld", r.status);
  reply_free(&r);
  char p[8192];
  snprintf(p, sizeof p, "%s/secret.vscript", outside);
  FILE *f = fopen(p, "r");
  char line[64] = "";
  if (f) {
    if (!fgets(line, sizeof line, f)) line[0] = 0;
    fclose(f);
  }
  CHECK(strcmp(line, "// outside the project\n") == 0, "the outside file is untouched: %s", line);
  /* The listing does not follow links either. */
  r = get("/api/files");
  CHECK(strstr(r.body, "outdir/") == NULL, "no linked folder in the listing: %s", r.body);
  reply_free(&r);
}

static void case_limits(void) {
  size_t n = (1u << 20) + 8192;
  char *big = malloc(n + 64);
  memcpy(big, "{\"path\":\"t.vscript\",\"text\":\"", 28);
  memset(big + 28, 'a', n - 30);
  memcpy(big + n - 2, "\"}", 3);
  reply r = request("POST", "/api/check", big, n, true, NULL);
  CHECK(r.status == 413, "oversized body: %ld", r.status);
  reply_free(&r);
  r = request("PUT", "/api/upload?name=song.wav", big, 1000, true, NULL);
  CHECK(r.status == 201, "a small upload: %ld %s", r.status, r.body);
  reply_free(&r);
  r = request("PUT", "/api/upload?name=..%2F..%2Fevil.sh", big, 100, true, NULL);
  CHECK(r.status == 415, "not a song: %ld", r.status);
  reply_free(&r);
  r = request("POST", "/api/build", "not json", 8, true, NULL);
  CHECK(r.status == 400, "bad JSON: %ld", r.status);
  reply_free(&r);
  /* Unauthenticated bodies are not even buffered: still a clean 401. */
  char og[128];
  snprintf(og, sizeof og, "Origin: http://%s", hostport);
  const char *good_origin[] = {og, NULL};
  r = request("POST", "/api/check", big, n, false, good_origin);
  CHECK(r.status == 401, "oversized body without a token: %ld", r.status);
  reply_free(&r);
  free(big);
}

static void case_check(void) {
  /* An unknown transition on line 7: the diagnostic points at it. */
  const char *bad = "video \"x\" {\n  size 320x180\n  length 2s\n  scene a (1s) {\n    shot color #000000\n"
                    "    text \"hi\" at center\n    then wobble 0.5s\n  }\n  scene b (rest) {\n"
                    "    shot color #ffffff\n  }\n}\n";
  reply r = post_json("POST", "/api/check", json_pack("{s:s, s:s}", "path", "t.vscript", "text", bad));
  CHECK(r.status == 200, "check: %ld", r.status);
  json_t *o = body_json(&r);
  json_t *d = json_array_get(json_object_get(o, "diagnostics"), 0);
  CHECK(json_integer_value(json_object_get(o, "errors")) >= 1, "an error: %s", r.body);
  CHECK(json_integer_value(json_object_get(d, "line")) == 7, "at line 7: %s", r.body);
  CHECK(json_integer_value(json_object_get(d, "column")) == 10, "at column 10: %s", r.body);
  CHECK(strcmp(json_string_value(json_object_get(d, "file")), "t.vscript") == 0, "project path: %s", r.body);
  CHECK(json_is_null(json_object_get(o, "plan")), "no plan for a broken script");
  json_decref(o);
  reply_free(&r);
  r = post_json("POST", "/api/check", json_pack("{s:s, s:s}", "path", "t.vscript", "text", SCRIPT));
  o = body_json(&r);
  json_t *plan = json_object_get(o, "plan");
  CHECK(json_array_size(json_object_get(plan, "scenes")) == 3, "three scenes: %s", r.body);
  json_t *a = json_array_get(json_object_get(plan, "scenes"), 0);
  CHECK(strcmp(json_string_value(json_object_get(a, "name")), "a") == 0 &&
            json_integer_value(json_object_get(a, "line")) == 5,
        "scene a at line 5");
  CHECK(json_number_value(json_object_get(json_array_get(json_object_get(a, "texts"), 0), "start")) == 0,
        "its text: %s", r.body);
  CHECK(json_array_size(json_object_get(plan, "nodes")) > 3, "nodes with keys");
  CHECK(json_is_string(json_object_get(json_array_get(json_object_get(plan, "nodes"), 0), "key")), "a key");
  json_decref(o);
  reply_free(&r);
  /* A transition's row names the two scenes it joins (the IR's `between`), as `vsc build`
   * does ("transition a -> b"); the scenes' rows name their scene and nothing else. */
  char joined[1024];
  const char *at = strstr(SCRIPT, "  }\n  scene b");
  snprintf(joined, sizeof joined, "%.*s    then fade 0.5s\n%s", (int)(at - SCRIPT), SCRIPT, at);
  r = post_json("POST", "/api/check", json_pack("{s:s, s:s}", "path", "t.vscript", "text", joined));
  o = body_json(&r);
  size_t i, transitions = 0, bodies = 0;
  json_t *n, *ab = json_pack("[s, s]", "a", "b");
  json_array_foreach(json_object_get(json_object_get(o, "plan"), "nodes"), i, n) {
    const char *kind = json_string_value(json_object_get(n, "kind"));
    json_t *between = json_object_get(n, "between");
    if (kind && strcmp(kind, "transition") == 0) {
      transitions++;
      CHECK(json_equal(between, ab), "the transition's row joins a and b: %s", r.body);
      CHECK(!json_is_string(json_object_get(n, "scene")), "the transition's row has no scene: %s", r.body);
    } else {
      CHECK(!between, "only a transition's row has between: %s", r.body);
      if (kind && strcmp(kind, "body") == 0) bodies++;
    }
  }
  CHECK(transitions == 1 && bodies == 3, "one transition, three bodies: %s", r.body);
  json_decref(ab);
  json_decref(o);
  reply_free(&r);
  /* The disk is not touched by a check. */
  r = get("/api/file?path=t.vscript");
  o = body_json(&r);
  CHECK(strcmp(json_string_value(json_object_get(o, "text")), SCRIPT) == 0, "unchanged on disk");
  json_decref(o);
  reply_free(&r);
  r = get("/api/models?path=t.vscript");
  o = body_json(&r);
  CHECK(json_array_size(json_object_get(o, "models")) >= 10, "the registry: %.200s", r.body);
  json_decref(o);
  reply_free(&r);
}

static void case_save(void) {
  reply r = get("/api/file?path=t.vscript");
  json_t *o = body_json(&r);
  double mtime = json_number_value(json_object_get(o, "mtime"));
  json_decref(o);
  reply_free(&r);
  const char *messy = "video \"studio test\"{\nsize 320x180\n  fps 12\nlength 3s\nscene a(1s){shot color #102030}\n"
                      "scene b (rest) {\n shot color #203040 }\n}\n";
  r = post_json("PUT", "/api/file", json_pack("{s:s, s:s, s:f}", "path", "t.vscript", "text", messy, "base_mtime", mtime));
  CHECK(r.status == 200, "save: %ld %s", r.status, r.body);
  o = body_json(&r);
  const char *text = json_string_value(json_object_get(o, "text"));
  CHECK(json_is_true(json_object_get(o, "formatted")), "formatted");
  CHECK(text && strstr(text, "  scene a (1s) {\n    shot color #102030\n  }\n"), "canonical layout: %s", text);
  double saved_mtime = json_number_value(json_object_get(o, "mtime"));
  char p[8192];
  snprintf(p, sizeof p, "%s/t.vscript", project);
  FILE *f = fopen(p, "r");
  char disk[4096] = "";
  size_t n = f ? fread(disk, 1, sizeof disk - 1, f) : 0;
  disk[n] = 0;
  if (f) fclose(f);
  CHECK(text && strcmp(disk, text) == 0, "the file holds what the reply says");
  json_decref(o);
  reply_free(&r);
  /* The page's poll: a file not changed since the page's mtime comes back without its text. */
  char url[128];
  snprintf(url, sizeof url, "/api/file?path=t.vscript&since=%.6f", saved_mtime + 1e-6);
  r = get(url);
  o = body_json(&r);
  CHECK(r.status == 200 && json_is_true(json_object_get(o, "unchanged")) && !json_object_get(o, "text"),
        "an unchanged file is answered without its text: %ld %s", r.status, r.body);
  json_decref(o);
  reply_free(&r);
  /* An edit made elsewhere after we read the file: a save based on the old read is refused. */
  usleep(20000);
  vsc_test_write_text(p, SCRIPT);
  r = get(url);
  o = body_json(&r);
  CHECK(r.status == 200 && !json_object_get(o, "unchanged") &&
            !strcmp(json_string_value(json_object_get(o, "text")) ? json_string_value(json_object_get(o, "text")) : "", SCRIPT),
        "a file changed since comes back with its text: %ld %.200s", r.status, r.body);
  json_decref(o);
  reply_free(&r);
  r = post_json("PUT", "/api/file", json_pack("{s:s, s:s, s:f}", "path", "t.vscript", "text", messy, "base_mtime", saved_mtime));
  CHECK(r.status == 409 && strstr(r.body, "changed on disk"), "conflict: %ld %s", r.status, r.body);
  reply_free(&r);
  f = fopen(p, "r");
  n = f ? fread(disk, 1, sizeof disk - 1, f) : 0;
  disk[n] = 0;
  if (f) fclose(f);
  CHECK(strcmp(disk, SCRIPT) == 0, "the edit made elsewhere survived");
  /* Text that does not parse is saved as typed (nothing is lost), with its diagnostics. */
  r = post_json("PUT", "/api/file", json_pack("{s:s, s:s, s:b}", "path", "new.vscript", "text", "video {", "force", 1));
  CHECK(r.status == 200, "new file: %ld %s", r.status, r.body);
  o = body_json(&r);
  CHECK(json_is_false(json_object_get(o, "formatted")) && json_array_size(json_object_get(o, "diagnostics")) > 0,
        "unformatted, with diagnostics: %s", r.body);
  json_decref(o);
  reply_free(&r);
}

static void case_build(void) {
  reply r = post_json("POST", "/api/build", json_pack("{s:s, s:s, s:b}", "path", "t.vscript", "provider", "local", "preview", 0));
  CHECK(r.status == 202, "start: %ld %s", r.status, r.body);
  reply_free(&r);
  json_t *events = follow_build(NULL, 60);
  json_t *plan = json_array_get(events, 0);
  CHECK(strcmp(json_string_value(json_object_get(plan, "event")), "plan") == 0, "the stream starts with the plan");
  json_t *nodes = json_object_get(json_object_get(plan, "plan"), "nodes");
  size_t i;
  json_t *node;
  /* Every node of the plan ends done (or cached). */
  json_array_foreach(nodes, i, node) {
    const char *id = json_string_value(json_object_get(node, "id"));
    const char *final = NULL;
    size_t k;
    json_t *ev;
    json_array_foreach(events, k, ev) {
      if (json_equal(json_object_get(ev, "node"), json_object_get(node, "id")) &&
          strcmp(json_string_value(json_object_get(ev, "event")), "node") == 0)
        final = json_string_value(json_object_get(ev, "state"));
    }
    CHECK(final && (strcmp(final, "done") == 0 || strcmp(final, "cached") == 0), "node %.12s ended %s", id,
          final ? final : "without an event");
  }
  json_t *exit_ev = last_event(events, "exit");
  CHECK(exit_ev && json_integer_value(json_object_get(exit_ev, "code")) == 0, "exit 0");
  CHECK(exit_ev && strcmp(json_string_value(json_object_get(exit_ev, "status")), "completed") == 0, "completed");
  CHECK(exit_ev && strcmp(json_string_value(json_object_get(exit_ev, "output")), "t.mp4") == 0, "output t.mp4");
  json_t *man = json_object_get(exit_ev, "manifest");
  CHECK(json_array_size(json_object_get(man, "scenes")) == 3, "the manifest's scenes");
  char p[8192];
  snprintf(p, sizeof p, "%s/t.mp4", project);
  struct stat sb;
  CHECK(stat(p, &sb) == 0 && sb.st_size > 1000, "the video was written");
  json_decref(events);
  /* A second build is allowed once the first is over, and is fully cached. */
  r = post_json("POST", "/api/build", json_pack("{s:s, s:s}", "path", "t.vscript", "provider", "local"));
  CHECK(r.status == 202, "again: %ld %s", r.status, r.body);
  reply_free(&r);
  events = follow_build(NULL, 60);
  json_t *start = last_event(events, "start");
  CHECK(start && json_integer_value(json_object_get(start, "todo")) == 0, "all cached the second time");
  json_decref(events);
  r = get("/api/build");
  json_t *o = body_json(&r);
  CHECK(strcmp(json_string_value(json_object_get(o, "phase")), "done") == 0, "phase done");
  json_decref(o);
  reply_free(&r);
}

/* A script of several formats: the build writes one file per format and the page plays the
 * first (two.16x9.mp4), with its manifest. */
static void case_build_formats(void) {
  reply r = post_json("POST", "/api/build", json_pack("{s:s, s:s}", "path", "two.vscript", "provider", "local"));
  CHECK(r.status == 202, "start: %ld %s", r.status, r.body);
  reply_free(&r);
  json_t *events = follow_build(NULL, 60);
  json_t *exit_ev = last_event(events, "exit");
  CHECK(exit_ev && json_integer_value(json_object_get(exit_ev, "code")) == 0, "exit 0");
  const char *out = exit_ev ? json_string_value(json_object_get(exit_ev, "output")) : NULL;
  CHECK(out && strcmp(out, "two.16x9.mp4") == 0, "output %s", out ? out : "(none)");
  CHECK(exit_ev && json_object_get(exit_ev, "manifest"), "the first format's manifest");
  static const char *const files[] = {"two.16x9.mp4", "two.9x16.mp4"};
  for (int i = 0; i < 2; i++) {
    char p[8192];
    snprintf(p, sizeof p, "%s/%s", project, files[i]);
    struct stat sb;
    CHECK(stat(p, &sb) == 0 && sb.st_size > 1000, "%s was written", files[i]);
  }
  json_decref(events);
}

/* The "queue" event last seen in `events` (borrowed) or NULL. */
static json_t *last_queue(json_t *events) {
  json_t *q = last_event(events, "queue");
  return q ? json_object_get(q, "queue") : NULL;
}

static void case_concurrent(void) {
  char p[8192];
  snprintf(p, sizeof p, "%s/broken.vscript", project);
  vsc_test_write_text(p, "video \"broken\" {\n  size 320x180\n  scene a (1s) {\n    shot colour #000000\n  }\n}\n");
  reply r = post_json("POST", "/api/build", json_pack("{s:s, s:s, s:b}", "path", "slow.vscript", "provider", "local", "preview", 1));
  CHECK(r.status == 202, "first: %ld %s", r.status, r.body);
  json_t *o = body_json(&r);
  CHECK(json_is_false(json_object_get(o, "queued")), "the first starts: %s", r.body);
  json_decref(o);
  reply_free(&r);
  /* A second build waits for the first. */
  r = post_json("POST", "/api/build", json_pack("{s:s, s:s}", "path", "t.vscript", "provider", "local"));
  CHECK(r.status == 202, "second while the first runs: %ld %s", r.status, r.body);
  o = body_json(&r);
  json_t *q = json_object_get(o, "queue");
  CHECK(json_is_true(json_object_get(o, "queued")) && json_array_size(q) == 1 &&
            !strcmp(json_string_value(json_object_get(json_array_get(q, 0), "script")), "t.vscript") &&
            !strcmp(json_string_value(json_object_get(json_array_get(q, 0), "provider")), "local") &&
            !strcmp(json_string_value(json_object_get(o, "script")), "slow.vscript"),
        "queued behind slow.vscript: %s", r.body);
  json_decref(o);
  reply_free(&r);
  /* The same build again is refused, saying where it waits. */
  r = post_json("POST", "/api/build", json_pack("{s:s, s:s}", "path", "t.vscript", "provider", "local"));
  CHECK(r.status == 409, "the same build again: %ld", r.status);
  CHECK(strstr(r.body, "t.vscript is already queued (number 1 after the running build of slow.vscript)") != NULL,
        "says where: %s", r.body);
  reply_free(&r);
  /* A script that does not compile is refused now, not when its turn comes. */
  r = post_json("POST", "/api/build", json_pack("{s:s, s:s}", "path", "broken.vscript", "provider", "local"));
  CHECK(r.status == 422 && strstr(r.body, "broken.vscript does not compile: broken.vscript:4:"), "broken: %ld %s",
        r.status, r.body);
  reply_free(&r);
  /* Another one, then taken out of the queue. */
  r = post_json("POST", "/api/build", json_pack("{s:s, s:s, s:b}", "path", "slow.vscript", "provider", "local", "preview", 0));
  CHECK(r.status == 202, "third: %ld %s", r.status, r.body);
  o = body_json(&r);
  q = json_object_get(o, "queue");
  json_int_t third = json_integer_value(json_object_get(json_array_get(q, 1), "id"));
  CHECK(json_array_size(q) == 2 && third > 0, "two waiting: %s", r.body);
  json_decref(o);
  reply_free(&r);
  r = post_json("POST", "/api/build/unqueue", json_pack("{s:I}", "id", third));
  o = body_json(&r);
  CHECK(r.status == 200 && json_array_size(json_object_get(o, "queue")) == 1, "unqueue: %ld %s", r.status, r.body);
  json_decref(o);
  reply_free(&r);
  r = post_json("POST", "/api/build/unqueue", json_pack("{s:I}", "id", third));
  CHECK(r.status == 404, "unqueue twice: %ld %s", r.status, r.body);
  reply_free(&r);
  /* The queued build starts when the first ends, and completes. */
  json_t *events = follow_script(NULL, 90, "t.vscript");
  json_t *exit_ev = last_event(events, "exit");
  CHECK(exit_ev && json_integer_value(json_object_get(exit_ev, "code")) == 0 &&
            !strcmp(json_string_value(json_object_get(exit_ev, "output")), "t.mp4"),
        "the queued build completed");
  json_decref(events);
  r = get("/api/build");
  o = body_json(&r);
  CHECK(!strcmp(json_string_value(json_object_get(o, "script")), "t.vscript") &&
            json_array_size(json_object_get(o, "queue")) == 0,
        "then nothing waits: %s", r.body);
  json_int_t id = json_integer_value(json_object_get(o, "id"));
  json_decref(o);
  reply_free(&r);
  /* Stop interrupts the running build and drops the queue, like Ctrl-C ending a chain. */
  r = post_json("POST", "/api/build", json_pack("{s:s, s:s, s:b}", "path", "slow.vscript", "provider", "local", "preview", 0));
  CHECK(r.status == 202, "slow again: %ld %s", r.status, r.body);
  reply_free(&r);
  snprintf(p, sizeof p, "%s/t.mp4", project);
  unlink(p);
  r = post_json("POST", "/api/build", json_pack("{s:s, s:s}", "path", "t.vscript", "provider", "local"));
  o = body_json(&r);
  CHECK(r.status == 202 && json_is_true(json_object_get(o, "queued")), "queued again: %ld %s", r.status, r.body);
  json_decref(o);
  reply_free(&r);
  r = request("POST", "/api/build/stop", "", 0, true, NULL);
  CHECK(r.status == 202, "stop: %ld", r.status);
  o = body_json(&r);
  CHECK(json_array_size(json_object_get(o, "queue")) == 0, "the queue is empty: %s", r.body);
  json_decref(o);
  reply_free(&r);
  events = follow_build(NULL, 60);
  exit_ev = last_event(events, "exit");
  CHECK(exit_ev && !strcmp(json_string_value(json_object_get(exit_ev, "status")), "stopped"), "stopped");
  json_t *note = last_event(events, "note");
  CHECK(note && !strcmp(json_string_value(json_object_get(note, "msg")), "stop requested (Ctrl-C); 1 queued build dropped"),
        "the note: %s", note ? json_string_value(json_object_get(note, "msg")) : "none");
  q = last_queue(events);
  CHECK(q && json_array_size(q) == 0, "the pages were told the queue is empty");
  json_decref(events);
  usleep(500000);
  r = get("/api/build");
  o = body_json(&r);
  CHECK(json_integer_value(json_object_get(o, "id")) == id + 1 &&
            !strcmp(json_string_value(json_object_get(o, "phase")), "done"),
        "nothing started after the stop: %s", r.body);
  json_decref(o);
  reply_free(&r);
  struct stat sb;
  CHECK(stat(p, &sb) != 0, "the dropped build made no t.mp4");
}

static bool stop_on_first_run(json_t *ev) {
  static bool sent;
  if (!sent && json_is_string(json_object_get(ev, "state")) &&
      strcmp(json_string_value(json_object_get(ev, "state")), "running") == 0) {
    sent = true;
    reply r = request("POST", "/api/build/stop", "", 0, true, NULL);
    CHECK(r.status == 202, "stop: %ld %s", r.status, r.body);
    reply_free(&r);
  }
  return false;
}

static void case_stop(void) {
  reply r = post_json("POST", "/api/build", json_pack("{s:s, s:s, s:b}", "path", "slow.vscript", "provider", "local", "preview", 0));
  CHECK(r.status == 202, "start: %ld %s", r.status, r.body);
  reply_free(&r);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  json_t *events = follow_build(stop_on_first_run, 60);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  json_t *exit_ev = last_event(events, "exit");
  CHECK(exit_ev && json_integer_value(json_object_get(exit_ev, "code")) == 130, "exit 130 as Ctrl-C: %lld",
        exit_ev ? (long long)json_integer_value(json_object_get(exit_ev, "code")) : -1LL);
  CHECK(exit_ev && strcmp(json_string_value(json_object_get(exit_ev, "status")), "stopped") == 0, "stopped");
  CHECK(!json_object_get(exit_ev, "output"), "no output claimed for a stopped build");
  json_t *end = last_event(events, "end");
  CHECK(end && strcmp(json_string_value(json_object_get(end, "status")), "interrupted") == 0, "the runtime says interrupted");
  json_decref(events);
  r = request("POST", "/api/build/stop", "", 0, true, NULL);
  CHECK(r.status == 409, "nothing left to stop: %ld", r.status);
  reply_free(&r);
  /* The studio builds again after a stop (the cache lock was released). */
  r = post_json("POST", "/api/build", json_pack("{s:s, s:s}", "path", "t.vscript", "provider", "local"));
  CHECK(r.status == 202, "build after stop: %ld %s", r.status, r.body);
  reply_free(&r);
  events = follow_build(NULL, 60);
  exit_ev = last_event(events, "exit");
  CHECK(exit_ev && json_integer_value(json_object_get(exit_ev, "code")) == 0, "then completes");
  json_decref(events);
}

static void case_secrets(void) {
  seen = json_array();
  /* A script that names the secret (pasted by mistake): it is masked on the way out. */
  char p[8192];
  snprintf(p, sizeof p, "%s/leak.vscript", project);
  vsc_test_write_text(p, "// token " SECRET "\n");
  char path[256];
  snprintf(path, sizeof path, "/?token=%s", token);
  reply r = request("GET", path, NULL, 0, false, NULL); /* the login: its cookie is the one place */
  reply_free(&r);
  json_array_remove(seen, json_array_size(seen) - 1);
  static const char *paths[] = {"/", "/api/session", "/api/files", "/api/file?path=leak.vscript",
                                "/api/file?path=t.vscript", "/api/models?path=t.vscript",
                                "/api/ledger?path=t.vscript", "/api/build", "/api/nothing",
                                "/api/file?path=../x"};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    r = get(paths[i]);
    reply_free(&r);
  }
  r = request("GET", "/api/session", NULL, 0, false, NULL);
  reply_free(&r);
  r = post_json("POST", "/api/check", json_pack("{s:s, s:s}", "path", "t.vscript", "text", "video { " SECRET));
  reply_free(&r);
  r = post_json("POST", "/api/build", json_pack("{s:s, s:s}", "path", "t.vscript", "provider", "local"));
  reply_free(&r);
  json_t *events = follow_build(NULL, 60);
  json_decref(events);
  r = get("/api/file?path=leak.vscript");
  CHECK(strstr(r.body, "// token ****") != NULL, "masked: %s", r.body);
  reply_free(&r);
  size_t i;
  json_t *s;
  json_array_foreach(seen, i, s) {
    const char *body = json_string_value(json_object_get(s, "body"));
    const char *hdr = json_string_value(json_object_get(s, "headers"));
    const char *what = json_string_value(json_object_get(s, "what"));
    CHECK(!strstr(body, SECRET) && !(hdr && strstr(hdr, SECRET)), "REPLICATE_API_TOKEN in %s", what);
    CHECK(!strstr(body, token) && !(hdr && strstr(hdr, token)), "the session token in %s", what);
  }
  CHECK(json_array_size(seen) >= 14, "replies looked at: %zu", json_array_size(seen));
  json_decref(seen);
  seen = NULL;
}

static void case_media(void) {
  reply r = post_json("POST", "/api/build", json_pack("{s:s, s:s}", "path", "t.vscript", "provider", "local"));
  reply_free(&r);
  json_t *events = follow_build(NULL, 60);
  json_t *plan = json_object_get(json_array_get(events, 0), "plan");
  r = get("/api/media?path=t.mp4");
  CHECK(r.status == 200 && r.len > 1000, "the video: %ld %zu", r.status, r.len);
  CHECK(strstr(r.headers, "Content-Type: video/mp4") && strstr(r.headers, "Accept-Ranges: bytes"), "%s", r.headers);
  size_t full = r.len;
  reply_free(&r);
  const char *range[] = {"Range: bytes=100-199", NULL};
  r = request("GET", "/api/media?path=t.mp4", NULL, 0, true, range);
  CHECK(r.status == 206 && r.len == 100, "a range: %ld %zu", r.status, r.len);
  char cr[128];
  snprintf(cr, sizeof cr, "Content-Range: bytes 100-199/%zu", full);
  CHECK(strstr(r.headers, cr) != NULL, "%s", r.headers);
  reply_free(&r);
  r = get("/api/media?path=t.mp4.json");
  CHECK(r.status == 200 && strstr(r.body, "vsc-manifest"), "the manifest: %ld", r.status);
  reply_free(&r);
  /* A scene's clip, by its cache key. */
  size_t i;
  json_t *n;
  int served = 0;
  json_array_foreach(json_object_get(plan, "nodes"), i, n) {
    if (strcmp(json_string_value(json_object_get(n, "op")), "segment")) continue;
    char path[512];
    snprintf(path, sizeof path, "/api/object/%s?path=t.vscript", json_string_value(json_object_get(n, "key")));
    r = get(path);
    CHECK(r.status == 200 && strstr(r.headers, "video/mp4"), "segment object: %ld", r.status);
    served += r.status == 200;
    reply_free(&r);
  }
  CHECK(served >= 3, "every scene's segment is served (%d)", served);
  /* Each scene's poster: a JPEG 320 pixels wide (320x180 for this 16:9 script), made once. */
  int posters = 0;
  json_array_foreach(json_object_get(plan, "nodes"), i, n) {
    const char *op = json_string_value(json_object_get(n, "op"));
    if (strcmp(op, "segment") && strcmp(op, "generate")) continue;
    if (strcmp(op, "generate") == 0 && strcmp(json_string_value(json_object_get(n, "kind")), "image")) continue;
    char path[512];
    snprintf(path, sizeof path, "/api/poster/%s?path=t.vscript", json_string_value(json_object_get(n, "key")));
    r = get(path);
    int w = 0, h = 0;
    jpeg_size((const unsigned char *)r.body, r.len, &w, &h);
    CHECK(r.status == 200 && strstr(r.headers, "Content-Type: image/jpeg") && w == 320 && h == 180,
          "%s poster: %ld %dx%d", op, r.status, w, h);
    reply_free(&r);
    char file[8192];
    snprintf(file, sizeof file, "%s/.vsc/studio/posters/%s.jpg", project, json_string_value(json_object_get(n, "key")));
    struct stat sb;
    CHECK(stat(file, &sb) == 0 && sb.st_size > 500, "kept in the cache: %s", file);
    posters++;
  }
  CHECK(posters == 5, "posters of 3 segments and 2 pictures: %d", posters);
  r = get("/api/poster/0000000000000000000000000000000000000000000000000000000000000000?path=t.vscript");
  CHECK(r.status == 404, "unknown poster: %ld", r.status);
  reply_free(&r);
  r = get("/api/poster/abc?path=t.vscript");
  CHECK(r.status == 400, "not a key: %ld", r.status);
  reply_free(&r);
  r = get("/api/poster/0000000000000000000000000000000000000000000000000000000000000000?path=../x.vscript");
  CHECK(r.status == 403, "outside: %ld", r.status);
  reply_free(&r);
  r = get("/api/object/../../etc/passwd?path=t.vscript");
  CHECK(r.status == 400 || r.status == 404, "not a key: %ld", r.status);
  reply_free(&r);
  r = get("/api/object/0000000000000000000000000000000000000000000000000000000000000000?path=t.vscript");
  CHECK(r.status == 404, "unknown key: %ld", r.status);
  reply_free(&r);
  json_decref(events);
}

/* A local build is in the ledger at $0, and the page's ledger is exactly `vsc ledger`'s. */
static void case_ledger(void) {
  reply r = get("/api/ledger?path=t.vscript");
  json_t *o = body_json(&r);
  CHECK(r.status == 200 && json_array_size(json_object_get(o, "builds")) == 0, "nothing before: %s", r.body);
  json_decref(o);
  reply_free(&r);
  r = post_json("POST", "/api/build", json_pack("{s:s, s:s}", "path", "t.vscript", "provider", "local"));
  reply_free(&r);
  json_decref(follow_build(NULL, 60));
  /* Again: all cached, nothing ran, no new record. */
  r = post_json("POST", "/api/build", json_pack("{s:s, s:s}", "path", "t.vscript", "provider", "local"));
  reply_free(&r);
  json_decref(follow_build(NULL, 60));
  r = get("/api/ledger?path=t.vscript");
  o = body_json(&r);
  json_t *builds = json_object_get(o, "builds"), *b0 = json_array_get(builds, 0);
  CHECK(json_array_size(builds) == 1, "one build that did work: %s", r.body);
  CHECK(!strcmp(json_string_value(json_object_get(b0, "provider")), "local") &&
            !strcmp(json_string_value(json_object_get(b0, "status")), "ok") &&
            json_number_value(json_object_get(b0, "spent")) == 0.0 &&
            json_array_size(json_object_get(b0, "calls")) == 0 &&
            json_number_value(json_object_get(o, "total")) == 0.0,
        "local, ok, $0, no paid call: %s", r.body);
  /* The command line reads the same journal the same way. */
  char cmd[8400], out[8400];
  snprintf(out, sizeof out, "%s/.ledger.json", project);
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' ledger t.vscript --json > .ledger.json", project, VSC_BIN);
  CHECK(system(cmd) == 0, "vsc ledger --json");
  json_t *cli = json_load_file(out, 0, NULL);
  CHECK(cli && json_equal(cli, o), "vsc ledger --json and the page agree");
  json_decref(cli);
  unlink(out);
  json_decref(o);
  reply_free(&r);
}

static void case_prompt(void) {
  reply r = post_json("POST", "/api/prompt", json_pack("{s:s, s:s}", "text", "A 12 second ad for a bakery, two scenes, warm light, end card Fresh daily", "out", "bakery.vscript"));
  CHECK(r.status == 201, "prompt: %ld %s", r.status, r.body);
  json_t *o = body_json(&r);
  CHECK(strcmp(json_string_value(json_object_get(o, "path")), "bakery.vscript") == 0, "path: %s", r.body);
  json_decref(o);
  reply_free(&r);
  /* The script it wrote checks clean. */
  r = get("/api/plan?path=bakery.vscript");
  o = body_json(&r);
  CHECK(json_integer_value(json_object_get(o, "errors")) == 0 && json_is_object(json_object_get(o, "plan")),
        "a clean plan: %.300s", r.body);
  json_decref(o);
  reply_free(&r);
  r = post_json("POST", "/api/prompt", json_pack("{s:s, s:s}", "text", "another ad", "out", "bakery.vscript"));
  CHECK(r.status == 409, "an existing script is not overwritten: %ld", r.status);
  reply_free(&r);
  r = post_json("POST", "/api/prompt", json_pack("{s:s, s:s}", "text", "an ad", "out", "../bakery.vscript"));
  CHECK(r.status == 403, "outside: %ld", r.status);
  reply_free(&r);
  r = post_json("POST", "/api/prompt", json_pack("{s:s, s:s}", "text", "", "out", "x.vscript"));
  CHECK(r.status == 400, "empty request: %ld", r.status);
  reply_free(&r);
}

static void case_beats(void) {
  char p[8192];
  snprintf(p, sizeof p, "%s/click.wav", project);
  vsc_test_write_click_wav(p, 8.0);
  reply r = get("/api/beats?script=t.vscript&path=click.wav");
  CHECK(r.status == 200, "beats: %ld %s", r.status, r.body);
  json_t *o = body_json(&r);
  double tempo = json_number_value(json_object_get(o, "tempo"));
  CHECK(tempo > 115 && tempo < 125, "120 bpm: %g", tempo);
  CHECK(json_array_size(json_object_get(o, "beats")) >= 12, "beats: %s", r.body);
  CHECK(json_array_size(json_object_get(o, "sections")) >= 1, "sections");
  CHECK(!json_object_get(o, "onsets"), "no onsets sent");
  json_decref(o);
  reply_free(&r);
  r = get("/api/beats?script=t.vscript&path=../outside/secret.png");
  CHECK(r.status == 403, "outside: %ld", r.status);
  reply_free(&r);
  r = get("/api/beats?script=t.vscript&path=t.vscript");
  CHECK(r.status == 422, "not audio: %ld", r.status);
  reply_free(&r);
  r = get("/api/beats?script=t.vscript&key=0000000000000000000000000000000000000000000000000000000000000000");
  CHECK(r.status == 404, "no such track: %ld", r.status);
  reply_free(&r);
}

/* A build on the replicate provider against mock-replicate (started by main with the test's
 * secret as its only accepted token): predictions and costs reach the rows and the ledger,
 * and the secret reaches no reply and no event. */
static void case_replicate(void) {
  seen = json_array();
  reply r = post_json("POST", "/api/build", json_pack("{s:s, s:s}", "path", "t.vscript", "provider", "replicate"));
  CHECK(r.status == 202, "start: %ld %s", r.status, r.body);
  reply_free(&r);
  json_t *events = follow_build(NULL, 90);
  json_t *exit_ev = last_event(events, "exit");
  CHECK(exit_ev && strcmp(json_string_value(json_object_get(exit_ev, "status")), "completed") == 0,
        "completed: %s", exit_ev ? json_string_value(json_object_get(exit_ev, "status")) : "no exit");
  size_t i;
  json_t *ev;
  int paid = 0;
  double cost = 0;
  json_array_foreach(events, i, ev) {
    const char *state = json_string_value(json_object_get(ev, "state"));
    if (!state || strcmp(state, "done") || strcmp(json_string_value(json_object_get(ev, "op")), "generate")) continue;
    paid++;
    cost += json_number_value(json_object_get(ev, "cost"));
    CHECK(json_is_string(json_object_get(ev, "prediction")), "a prediction id on the row");
  }
  CHECK(paid == 2, "two paid shots: %d", paid);
  CHECK(cost > 0.0059 && cost < 0.0061, "cost $%.4f (2 x flux-schnell $0.003)", cost);
  json_decref(events);
  r = get("/api/ledger?path=t.vscript");
  json_t *o = body_json(&r);
  double total = json_number_value(json_object_get(o, "total"));
  CHECK(total > 0.0059 && total < 0.0061, "the ledger: %s", r.body);
  json_decref(o);
  reply_free(&r);
  json_t *s;
  json_array_foreach(seen, i, s) {
    const char *body = json_string_value(json_object_get(s, "body"));
    const char *hdr = json_string_value(json_object_get(s, "headers"));
    CHECK(!strstr(body, SECRET) && !(hdr && strstr(hdr, SECRET)), "REPLICATE_API_TOKEN in %s",
          json_string_value(json_object_get(s, "what")));
  }
  json_decref(seen);
  seen = NULL;
}

/* The prompt box on the chat model: mock-chat answers with a script (main started it and
 * pointed VSC_LLM_* at it); its key reaches no reply. */
static void case_prompt_llm(void) {
  seen = json_array();
  reply r = get("/api/session");
  CHECK(strstr(r.body, "\"llm\":true") != NULL, "the session offers the chat model: %s", r.body);
  reply_free(&r);
  r = post_json("POST", "/api/prompt", json_pack("{s:s, s:s, s:b}", "text", "a 20 second ad for a lamp", "out", "lamp.vscript", "llm", 1));
  CHECK(r.status == 201, "prompt: %ld %s", r.status, r.body);
  CHECK(strstr(r.body, "chat model: 1 reply") != NULL, "a note on the exchange: %s", r.body);
  reply_free(&r);
  char p[8192];
  snprintf(p, sizeof p, "%s/lamp.vscript", project);
  FILE *f = fopen(p, "r");
  char text[4096] = "";
  size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
  text[n] = 0;
  if (f) fclose(f);
  CHECK(strstr(text, "video \"Lamp") != NULL, "the model's script, formatted: %s", text);
  r = get("/api/ledger?path=lamp.vscript");
  json_t *o = body_json(&r);
  CHECK(json_number_value(json_object_get(o, "total")) > 0.0144, "the chat's cost is in the ledger: %s", r.body);
  json_decref(o);
  reply_free(&r);
  size_t i;
  json_t *s;
  json_array_foreach(seen, i, s)
    CHECK(!strstr(json_string_value(json_object_get(s, "body")), LLM_KEY), "the chat key in %s",
          json_string_value(json_object_get(s, "what")));
  json_decref(seen);
  seen = NULL;
}

static void *prompt_in_background(void *arg) {
  reply *r = arg;
  *r = post_json("POST", "/api/prompt", json_pack("{s:s, s:s, s:b}", "text", "a 20 second ad for a lamp", "out", "lamp.vscript", "llm", 1));
  return NULL;
}

/* The chat model answers after 3 s; meanwhile the editor's live checks are not held up
 * (the front-end holds the compiler only while it compiles). */
static void case_llm_checks(void) {
  reply pr = {0};
  pthread_t t;
  double t0 = vsc_test_now();
  CHECK(pthread_create(&t, NULL, prompt_in_background, &pr) == 0, "thread");
  usleep(800000); /* the request is with the chat model by now */
  double c0 = vsc_test_now();
  reply r = post_json("POST", "/api/check", json_pack("{s:s, s:s}", "path", "t.vscript", "text", SCRIPT));
  double waited = vsc_test_now() - c0;
  json_t *o = body_json(&r);
  CHECK(r.status == 200 && json_integer_value(json_object_get(o, "errors")) == 0, "check: %ld %s", r.status, r.body);
  CHECK(waited < 1.5, "the check waited %.2f s for the chat model", waited);
  json_decref(o);
  reply_free(&r);
  pthread_join(t, NULL);
  double total = vsc_test_now() - t0;
  CHECK(pr.status == 201, "prompt: %ld %s", pr.status, pr.body);
  CHECK(total >= 3.0, "the chat model did take its 3 s (%.2f s)", total);
  reply_free(&pr);
}

static const vsc_test_case cases[] = {
#define VSC_TEST_CASE(name) VSC_TEST_ENTRY(case_, name)
#include "test_studio_api.def"
#undef VSC_TEST_CASE
};

/* Each case gets a fresh project and studio, and the mocks its builds talk to. */
int main(int argc, char **argv) {
  const vsc_test_case *c = argc == 2 ? vsc_test_find(cases, VSC_TEST_COUNT(cases), argv[1]) : NULL;
  if (!c) return vsc_test_usage(argv[0], cases, VSC_TEST_COUNT(cases));
  signal(SIGPIPE, SIG_IGN);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  mock_server mock = {0};
  if (c->fn == case_replicate) {
    const char *margs[] = {"--token", SECRET, NULL};
    if (mock_server_start(&mock, margs) != 0) return 2;
    char base[128];
    snprintf(base, sizeof base, "%s/v1", mock.base);
    setenv("REPLICATE_API_BASE", base, 1); /* inherited by the studio and its builds */
  }
  pid_t chat = 0;
  if (c->fn == case_prompt_llm || c->fn == case_llm_checks) {
    int port = 0;
    const char *chat_argv[] = {MOCK_CHAT_BIN, "--script",
                               c->fn == case_prompt_llm ? VSC_SOURCE_DIR "/tests/prompt/llm/ok.json"
                                                        : VSC_SOURCE_DIR "/tests/studio/llm_slow.json",
                               "--port", "0", "--token", LLM_KEY, NULL};
    chat = vsc_test_start_server(chat_argv, &port);
    if (chat < 0) return 2;
    char base[128];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/v1", port);
    setenv("VSC_LLM_BASE_URL", base, 1);
    setenv("VSC_LLM_PROVIDER", "openai", 1);
    setenv("VSC_LLM_MODEL", "mock-model", 1);
    setenv("VSC_LLM_API_KEY", LLM_KEY, 1);
    setenv("VSC_LLM_PRICE_IN", "2.5", 1);
    setenv("VSC_LLM_PRICE_OUT", "10", 1);
  }
  start_server();
  c->fn();
  stop_server();
  if (mock.pid > 0) CHECK(mock_server_stop(&mock, 10) == 0, "mock-replicate stopped cleanly");
  if (chat > 0) vsc_test_stop_server(chat);
  if (vsc_test_failures == 0 && vsc_test_rmtree(tmp) != 0) fprintf(stderr, "could not remove %s\n", tmp);
  curl_global_cleanup();
  printf("%s: %s\n", c->name, vsc_test_failures ? "FAILED" : "ok");
  return vsc_test_failures ? 1 : 0;
}
