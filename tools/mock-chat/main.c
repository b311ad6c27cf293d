/*
** mock-chat — a loopback stand-in for a chat model, for the LLM front-end's tests
** (docs/prompt.md). It replays scripted replies from a JSON file, one per request, over two
** wire formats: OpenAI-compatible chat completions and Replicate predictions.
**
**   mock-chat --script FILE [--port PORT] [--token T]
**
** Listens on 127.0.0.1 only. PORT 0 (the default) picks a free port. Prints
** "mock-chat listening on http://127.0.0.1:PORT" once it accepts connections, and stops
** cleanly on SIGTERM or SIGINT.
**
** The script: {"replies": [REPLY, …], "repeat_last": true}. A REPLY is
**   {"content": "text"} or {"lines": ["line", …]} (joined with newlines) — the model's text;
**   "status": 429 (default 200), "retry_after": "1" (sent as Retry-After), "error": "msg";
**   "delay": seconds to wait before answering (a timeout, when longer than the client's);
**   "prompt_tokens"/"completion_tokens": the usage reported (default 1000 / 200);
**   "poll": true — a Replicate prediction answers "processing" first, then succeeds on GET.
** Request k gets reply k; past the end, the last one again if repeat_last, else a 500.
**
** Endpoints: POST /v1/chat/completions, POST /v1/models/OWNER/NAME/predictions,
** POST /v1/predictions, GET /v1/predictions/ID, and GET /_mock/requests: every request seen,
** as [{"method","path","auth","body","reply"}] ("auth": "ok", "missing" or "wrong" — the
** token itself is never echoed).
*/
#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BODY (4 << 20)

static json_t *g_replies; /* the script's replies */
static bool g_repeat_last = true;
static const char *g_token; /* required bearer token, or NULL */
static json_t *g_log;       /* requests seen */
static json_t *g_pending;   /* Replicate predictions answered "processing": id → reply index */
static int g_count;         /* POSTs answered so far */
static int g_port;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct {
  char *body;
  size_t len;
  bool too_big;
} req_ctx;

static int usage(void) {
  fprintf(stderr, "usage: mock-chat --script FILE [--port PORT] [--token T]\n");
  return 2;
}

static void nap(double s) {
  if (s <= 0) return;
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

static enum MHD_Result send_json(struct MHD_Connection *c, int status, json_t *o, const char *retry_after) {
  char *text = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
  MHD_add_response_header(r, "Content-Type", "application/json");
  if (retry_after) MHD_add_response_header(r, "Retry-After", retry_after);
  enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, r);
  MHD_destroy_response(r);
  return rc;
}

/* The model's text of a reply: "content", or "lines" joined with newlines. */
static char *reply_text(json_t *rep) {
  const char *content = json_string_value(json_object_get(rep, "content"));
  if (content) return strdup(content);
  json_t *lines = json_object_get(rep, "lines");
  size_t n = 1, i;
  json_t *l;
  json_array_foreach(lines, i, l) n += strlen(json_string_value(l) ? json_string_value(l) : "") + 1;
  char *s = calloc(n, 1);
  json_array_foreach(lines, i, l) {
    strcat(s, json_string_value(l) ? json_string_value(l) : "");
    strcat(s, "\n");
  }
  return s;
}

static json_int_t int_or(json_t *o, const char *k, json_int_t def) {
  json_t *v = json_object_get(o, k);
  return json_is_integer(v) ? json_integer_value(v) : def;
}

static json_t *prediction(int index, json_t *rep, const char *status) {
  char id[32], get[128];
  snprintf(id, sizeof id, "mockpred%04d", index);
  snprintf(get, sizeof get, "http://127.0.0.1:%d/v1/predictions/%s", g_port, id);
  json_t *p = json_pack("{s:s, s:s, s:{s:s}}", "id", id, "status", status, "urls", "get", get);
  if (strcmp(status, "succeeded") == 0) {
    /* Replicate streams language models as an array of chunks: split the text in two. */
    char *text = reply_text(rep);
    size_t half = strlen(text) / 2;
    json_t *out = json_array();
    json_array_append_new(out, json_stringn(text, half));
    json_array_append_new(out, json_string(text + half));
    free(text);
    json_object_set_new(p, "output", out);
    json_object_set_new(p, "metrics", json_pack("{s:I, s:I}", "input_token_count", int_or(rep, "prompt_tokens", 1000), "output_token_count", int_or(rep, "completion_tokens", 200)));
  }
  return p;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **con_cls) {
  (void)cls;
  (void)version;
  req_ctx *ctx = *con_cls;
  if (!ctx) {
    ctx = calloc(1, sizeof *ctx);
    *con_cls = ctx;
    return MHD_YES;
  }
  if (*upload_size) {
    if (ctx->len + *upload_size > MAX_BODY) {
      ctx->too_big = true;
    } else {
      ctx->body = realloc(ctx->body, ctx->len + *upload_size + 1);
      memcpy(ctx->body + ctx->len, upload, *upload_size);
      ctx->len += *upload_size;
      ctx->body[ctx->len] = 0;
    }
    *upload_size = 0;
    return MHD_YES;
  }
  if (strcmp(method, "GET") == 0 && strcmp(url, "/_mock/requests") == 0) {
    pthread_mutex_lock(&g_lock);
    json_t *copy = json_deep_copy(g_log);
    pthread_mutex_unlock(&g_lock);
    return send_json(c, 200, copy, NULL);
  }
  /* Authorization: checked, recorded as ok/missing/wrong, never echoed. */
  const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
  const char *auth_state = "ok";
  if (g_token) {
    char want[512];
    snprintf(want, sizeof want, "Bearer %s", g_token);
    auth_state = !auth ? "missing" : strcmp(auth, want) == 0 ? "ok"
                                                             : "wrong";
  }
  json_t *body = ctx->body ? json_loads(ctx->body, 0, NULL) : NULL;
  bool chat = strcmp(url, "/v1/chat/completions") == 0;
  bool create = strcmp(url, "/v1/predictions") == 0 ||
                (strncmp(url, "/v1/models/", 11) == 0 && strlen(url) > 23 && strcmp(url + strlen(url) - 12, "/predictions") == 0);
  bool poll = strncmp(url, "/v1/predictions/", 16) == 0 && strcmp(method, "GET") == 0;
  int index = -1;
  pthread_mutex_lock(&g_lock);
  if ((chat || create) && strcmp(method, "POST") == 0 && strcmp(auth_state, "ok") == 0) index = g_count++;
  json_array_append_new(g_log, json_pack("{s:s, s:s, s:s, s:o, s:i}", "method", method, "path", url, "auth", auth_state,
                                         "body", body ? json_incref(body) : json_null(), "reply", index));
  pthread_mutex_unlock(&g_lock);
  json_decref(body);

  if (strcmp(auth_state, "ok") != 0)
    return send_json(c, 401, json_pack("{s:s, s:i}", "detail", "Unauthenticated", "status", 401), NULL);
  if (poll) {
    const char *id = url + 16;
    pthread_mutex_lock(&g_lock);
    json_t *pending = json_object_get(g_pending, id);
    int pi = pending ? (int)json_integer_value(pending) : -1;
    pthread_mutex_unlock(&g_lock);
    if (pi < 0) return send_json(c, 404, json_pack("{s:s}", "detail", "Not found"), NULL);
    return send_json(c, 200, prediction(pi, json_array_get(g_replies, (size_t)pi), "succeeded"), NULL);
  }
  if (!(chat || create) || strcmp(method, "POST") != 0)
    return send_json(c, 404, json_pack("{s:s}", "detail", "Not found"), NULL);
  if (ctx->too_big) return send_json(c, 413, json_pack("{s:s}", "detail", "request too large"), NULL);

  size_t n = json_array_size(g_replies);
  if (index >= (int)n) {
    if (!g_repeat_last || n == 0)
      return send_json(c, 500, json_pack("{s:{s:s}}", "error", "message", "mock-chat: the script has no more replies"), NULL);
    index = (int)n - 1;
  }
  json_t *rep = json_array_get(g_replies, (size_t)index);
  nap(json_number_value(json_object_get(rep, "delay")));
  int status = (int)int_or(rep, "status", 200);
  const char *retry_after = json_string_value(json_object_get(rep, "retry_after"));
  if (status != 200) {
    const char *msg = json_string_value(json_object_get(rep, "error"));
    return send_json(c, status, json_pack("{s:{s:s, s:i}}", "error", "message", msg ? msg : "scripted failure", "code", status),
                     retry_after);
  }
  if (create) {
    bool later = json_is_true(json_object_get(rep, "poll"));
    if (later) {
      char id[32];
      snprintf(id, sizeof id, "mockpred%04d", index);
      pthread_mutex_lock(&g_lock);
      json_object_set_new(g_pending, id, json_integer(index));
      pthread_mutex_unlock(&g_lock);
    }
    return send_json(c, 201, prediction(index, rep, later ? "processing" : "succeeded"), NULL);
  }
  char *text = reply_text(rep);
  json_int_t pt = int_or(rep, "prompt_tokens", 1000), ct = int_or(rep, "completion_tokens", 200);
  const char *model = "mock";
  json_t *reqbody = NULL;
  if (ctx->body) reqbody = json_loads(ctx->body, 0, NULL);
  if (json_is_string(json_object_get(reqbody, "model"))) model = json_string_value(json_object_get(reqbody, "model"));
  json_t *o = json_pack("{s:s, s:s, s:s, s:[{s:i, s:{s:s, s:s}, s:s}], s:{s:I, s:I, s:I}}", "id", "chatcmpl-mock",
                        "object", "chat.completion", "model", model, "choices", "index", 0, "message", "role", "assistant",
                        "content", text, "finish_reason", "stop", "usage", "prompt_tokens", pt, "completion_tokens", ct,
                        "total_tokens", pt + ct);
  json_decref(reqbody);
  free(text);
  return send_json(c, 200, o, NULL);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t) {
  (void)cls;
  (void)c;
  (void)t;
  req_ctx *ctx = *con_cls;
  if (ctx) {
    free(ctx->body);
    free(ctx);
  }
  *con_cls = NULL;
}

int main(int argc, char **argv) {
  const char *script = NULL;
  long port = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--script") == 0 && i + 1 < argc) script = argv[++i];
    else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      char *end;
      port = strtol(argv[++i], &end, 10);
      if (*end || port < 0 || port > 65535) return usage();
    } else if (strcmp(argv[i], "--token") == 0 && i + 1 < argc) g_token = argv[++i];
    else return usage();
  }
  if (!script) return usage();
  json_error_t je;
  json_t *doc = json_load_file(script, 0, &je);
  if (!doc || !json_is_array(json_object_get(doc, "replies"))) {
    fprintf(stderr, "mock-chat: %s:%d: %s\n", script, je.line, doc ? "no \"replies\" array" : je.text);
    json_decref(doc);
    return 1;
  }
  g_replies = json_incref(json_object_get(doc, "replies"));
  if (json_is_false(json_object_get(doc, "repeat_last"))) g_repeat_last = false;
  json_decref(doc);
  g_log = json_array();
  g_pending = json_object();

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port,
                                          NULL, NULL, answer, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                          MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
                                          (unsigned)120, MHD_OPTION_END);
  if (!d) {
    fprintf(stderr, "mock-chat: cannot listen on 127.0.0.1:%ld\n", port);
    return 1;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  g_port = info ? info->port : (int)port;
  printf("mock-chat listening on http://127.0.0.1:%d\n", g_port);
  fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  MHD_stop_daemon(d);
  json_decref(g_replies);
  json_decref(g_log);
  json_decref(g_pending);
  return 0;
}
