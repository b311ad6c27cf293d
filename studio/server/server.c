/*
** server.c (studio) — the daemon and the dispatch of a request: origin check, token
** check, body collection within the route's size limit, then the route table.
*/
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "studio.h"

typedef struct {
  const char *method;
  const char *path; /* exact, or a prefix when it ends with '/' */
  size_t limit;     /* request body bytes accepted */
  studio_handler fn;
} route;

static const route routes[] = {
    {"GET", "/api/session", 0, studio_api_session},
    {"GET", "/api/files", 0, studio_api_files},
    {"GET", "/api/file", 0, studio_api_file_get},
    {"PUT", "/api/file", VSC_STUDIO_MAX_SCRIPT + 4096, studio_api_file_put},
    {"POST", "/api/check", VSC_STUDIO_MAX_SCRIPT + 4096, studio_api_check},
    {"POST", "/api/format", VSC_STUDIO_MAX_SCRIPT + 4096, studio_api_format},
    {"GET", "/api/plan", 0, studio_api_plan},
    {"GET", "/api/models", 0, studio_api_models},
    {"GET", "/api/ledger", 0, studio_api_ledger},
    {"GET", "/api/beats", 0, studio_api_beats},
    {"POST", "/api/build", 4096, studio_api_build_start},
    {"POST", "/api/build/stop", 0, studio_api_build_stop},
    {"POST", "/api/build/unqueue", 4096, studio_api_build_unqueue},
    {"GET", "/api/build", 0, studio_api_build_state},
    {"GET", "/api/build/events", 0, studio_api_build_events},
    {"GET", "/api/media", 0, studio_api_media},
    {"GET", "/api/object/", 0, studio_api_object},
    {"GET", "/api/poster/", 0, studio_api_poster},
    {"POST", "/api/prompt", 64 * 1024, studio_api_prompt},
    {"PUT", "/api/upload", VSC_STUDIO_MAX_UPLOAD, studio_api_upload},
};

static const route *find_route(const char *method, const char *url, bool *path_known) {
  *path_known = false;
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
    const route *r = &routes[i];
    size_t n = strlen(r->path);
    bool match = r->path[n - 1] == '/' ? strncmp(url, r->path, n) == 0 && url[n]
                                       : strcmp(url, r->path) == 0;
    if (!match) continue;
    *path_known = true;
    if (strcmp(method, r->method) == 0) return r;
  }
  return NULL;
}

/* "/?token=…" from the printed URL: the token becomes an HttpOnly cookie and the browser
 * is sent to "/" so the token leaves the address bar and history. */
static enum MHD_Result login(studio *st, struct MHD_Connection *c) {
  static const char page[] = "<!doctype html><title>vsc studio</title><p>Signed in.</p>";
  char *body = strdup(page);
  if (!body) return MHD_NO;
  struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
  if (!r) return free(body), MHD_NO;
  char cookie[160];
  snprintf(cookie, sizeof cookie, "vsc_token=%s; Path=/; HttpOnly; SameSite=Strict", st->token);
  MHD_add_response_header(r, "Set-Cookie", cookie);
  MHD_add_response_header(r, "Location", "/");
  MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
  MHD_add_response_header(r, "Cache-Control", "no-store");
  studio_secure_headers(r);
  enum MHD_Result rc = MHD_queue_response(c, 303, r);
  MHD_destroy_response(r);
  return rc;
}

static enum MHD_Result refuse_auth(studio *st, struct MHD_Connection *c, const char *url) {
  if (strncmp(url, "/api/", 5) == 0)
    return studio_reply_error(st, c, 401, "missing or wrong session token: open the URL that "
                                          "'vsc studio' printed");
  static const char page[] =
      "<!doctype html><meta charset=utf-8><title>vsc studio</title>"
      "<body style=\"font:15px system-ui;margin:3em;color:#222\"><h1>vsc studio</h1>"
      "<p>This page needs the session token. Open the full URL that <code>vsc studio</code> "
      "printed in your terminal (it ends in <code>?token=…</code>).</p>";
  char *body = strdup(page);
  return body ? studio_reply(st, c, 401, "text/html; charset=utf-8", body, strlen(body)) : MHD_NO;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls) {
  (void)version;
  studio *st = cls;
  studio_req *req = *con_cls;
  if (!req) {
    req = calloc(1, sizeof *req);
    if (!req) return MHD_NO;
    *con_cls = req;
    /* Decide the body limit up front: nothing is buffered for a request that will be
     * refused. */
    bool known;
    const route *r = find_route(method, url, &known);
    if (r && studio_origin_ok(st, c, method) && studio_token_ok(st, studio_token_of(c)))
      req->limit = r->limit;
    return MHD_YES;
  }
  if (*upload_data_size) {
    size_t n = *upload_data_size;
    *upload_data_size = 0;
    if (req->too_large || req->len + n > req->limit) {
      req->too_large = true;
      free(req->body);
      req->body = NULL;
      req->len = req->cap = 0;
      return MHD_YES;
    }
    if (req->len + n + 1 > req->cap) {
      size_t cap = req->cap ? req->cap : 16384;
      while (cap < req->len + n + 1) cap *= 2;
      char *b = realloc(req->body, cap);
      if (!b) return MHD_NO;
      req->body = b;
      req->cap = cap;
    }
    memcpy(req->body + req->len, upload_data, n);
    req->len += n;
    req->body[req->len] = 0;
    return MHD_YES;
  }
  if (!studio_origin_ok(st, c, method))
    return studio_reply_error(st, c, 403, "request refused: wrong Host or Origin (the studio "
                                          "answers only its own pages on its own address)");
  if (strcmp(method, "GET") == 0 && strcmp(url, "/") == 0) {
    const char *t = studio_arg(c, "token");
    if (t && studio_token_ok(st, t)) return login(st, c);
  }
  if (!studio_token_ok(st, studio_token_of(c))) return refuse_auth(st, c, url);
  if (req->too_large)
    return studio_reply_error(st, c, 413, "request body too large (limit %zu bytes)", req->limit);
  bool known;
  const route *r = find_route(method, url, &known);
  if (r) return r->fn(st, c, url, req);
  if (known) return studio_reply_error(st, c, 405, "method %s not allowed here", method);
  enum MHD_Result rc;
  if (strcmp(method, "GET") == 0 && studio_asset(st, c, url, &rc)) return rc;
  return studio_reply_error(st, c, 404, "not found");
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode t) {
  (void)cls, (void)c, (void)t;
  studio_req *req = *con_cls;
  if (req) {
    free(req->body);
    free(req);
  }
  *con_cls = NULL;
}

int vsc_studio_serve(const vsc_studio_options *opts, char *err, size_t errlen) {
  static studio st_storage;
  studio *st = &st_storage;
  memset(st, 0, sizeof *st);
  if (!realpath(opts->dir ? opts->dir : ".", st->dir)) {
    snprintf(err, errlen, "%s: %s", opts->dir ? opts->dir : ".", strerror(errno));
    return -1;
  }
  if (!opts->self_exe) {
    ssize_t n = readlink("/proc/self/exe", st->self_exe, sizeof st->self_exe - 1);
    if (n <= 0) return snprintf(err, errlen, "cannot find the vsc executable"), -1;
    st->self_exe[n] = 0;
  } else {
    snprintf(st->self_exe, sizeof st->self_exe, "%s", opts->self_exe);
  }
  if (opts->open_file) snprintf(st->open_file, sizeof st->open_file, "%s", opts->open_file);
  const char *secret = getenv("REPLICATE_API_TOKEN");
  st->secret = secret && *secret ? secret : NULL;
  if (studio_token_new(st, err, errlen) != 0) return -1;
  pthread_mutex_init(&st->compile_lock, NULL);
  studio_build_init(&st->build);

  const char *host = opts->listen ? opts->listen : "127.0.0.1";
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)opts->port);
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
    return snprintf(err, errlen, "--listen %s: not an IPv4 address", host), -1;
  /* Requests must name the address they were sent to (Host), so it has to be one. */
  if (addr.sin_addr.s_addr == htonl(INADDR_ANY))
    return snprintf(err, errlen, "--listen %s: give the address browsers will use (e.g. this "
                                 "machine's LAN address), not the wildcard",
                    host),
         -1;

  /* The server's threads and the builds' waiters must not take SIGINT/SIGTERM: this
   * thread waits for them below. Builds get the default mask back when they start. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  st->daemon = MHD_start_daemon(
      MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
      NULL, NULL, answer, st, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
      MHD_OPTION_NOTIFY_COMPLETED, completed, st, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)600,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
  if (!st->daemon) {
    snprintf(err, errlen, "cannot listen on %s:%d (in use?)", host, opts->port);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    return -1;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(st->daemon, MHD_DAEMON_INFO_BIND_PORT);
  int port = info ? info->port : opts->port;
  studio_origin_init(st, host, port);
  FILE *out = opts->out ? opts->out : stdout;
  fprintf(out, "http://%s:%d/?token=%s\n", host, port, st->token);
  fprintf(out, "vsc studio: serving %s (Ctrl-C to stop)\n", st->dir);
  if (opts->listen && strcmp(host, "127.0.0.1") != 0)
    fprintf(out, "vsc studio: listening on %s: anyone who can reach it and has the URL can "
                 "spend your budget\n",
            host);
  fflush(out);

  int sig = 0;
  sigwait(&set, &sig);
  fprintf(stderr, "vsc studio: stopping\n");
  studio_build_close(&st->build);
  MHD_stop_daemon(st->daemon);
  studio_build_free(&st->build);
  pthread_mutex_destroy(&st->compile_lock);
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
  return 0;
}
