/*
** http.c — the HTTP side of mock-replicate (libmicrohttpd, one thread per connection):
** routing, bearer auth, per-route body limits (uploads, creates), rate-limit headers, the
** Replicate endpoints (predictions, models, deployments, files), output delivery with Range
** support, the /_mock/ control endpoints, and the transport faults (status, reset, slow,
** stall, truncate, bad JSON, lost response).
*/
#include <arpa/inet.h>
#include <ctype.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "mock.h"

#define MAX_BODY (4 << 20)        /* other request bodies larger than this are refused (413) */
#define MULTIPART_SLACK (1 << 20) /* room for the multipart framing around an upload */
#define MAX_HEADERS 10

static struct MHD_Daemon *g_daemon;

typedef struct {
  char *body;
  size_t len, cap;
  int too_big;
  double limit; /* largest body accepted for this route (bytes) */
  int upload;   /* POST /v1/files */
} req_ctx;

/* A reply prepared by a handler; sent (possibly mangled by a fault) by send_reply(). */
typedef struct {
  int status;
  unsigned char *body; /* malloc'd */
  size_t len;
  const char *ctype;
  char hdr[MAX_HEADERS][2][512];
  int nhdr;
  int reset; /* drop the connection instead of answering */
} reply;

static void add_header(reply *r, const char *k, const char *v) {
  if (r->nhdr >= MAX_HEADERS) return;
  snprintf(r->hdr[r->nhdr][0], sizeof r->hdr[0][0], "%s", k);
  snprintf(r->hdr[r->nhdr][1], sizeof r->hdr[0][1], "%s", v);
  r->nhdr++;
}

static void set_json(reply *r, int status, json_t *o) { /* steals o */
  char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
  json_decref(o);
  r->status = status;
  r->body = (unsigned char *)s;
  r->len = s ? strlen(s) : 0;
  r->ctype = "application/json";
}

static void set_problem(reply *r, int status, const char *title, const char *detail) {
  set_json(r, status, json_pack("{s:s, s:s, s:i}", "title", title, "detail", detail, "status", status));
  r->ctype = "application/problem+json";
}

static void not_found(reply *r) {
  set_problem(r, 404, "Not found", "The requested resource could not be found.");
}

/* ---- sending ---------------------------------------------------------------------- */

typedef struct {
  unsigned char *data;
  size_t len;
  long cut_at;  /* stop after this many bytes (-1 = never) */
  double stall; /* seconds to hang at the cut before dropping the connection */
  long rate;    /* bytes per second, 0 = unthrottled */
} body_src;

static ssize_t body_reader(void *cls, uint64_t pos, char *buf, size_t max) {
  body_src *b = cls;
  if (b->cut_at >= 0 && (long)pos >= b->cut_at) {
    if (b->stall > 0) mock_sleep(b->stall);
    return MHD_CONTENT_READER_END_WITH_ERROR; /* connection closes mid-body */
  }
  if (pos >= b->len) return MHD_CONTENT_READER_END_OF_STREAM;
  size_t n = b->len - (size_t)pos;
  if (n > max) n = max;
  if (b->cut_at >= 0 && (long)(pos + n) > b->cut_at) n = (size_t)(b->cut_at - (long)pos);
  if (b->rate > 0) {
    size_t chunk = (size_t)(b->rate / 10 > 0 ? b->rate / 10 : 1);
    if (n > chunk) n = chunk;
    mock_sleep((double)n / (double)b->rate);
    if (g_stopping) return MHD_CONTENT_READER_END_WITH_ERROR;
  }
  memcpy(buf, b->data + pos, n);
  return (ssize_t)n;
}

static void body_free(void *cls) {
  body_src *b = cls;
  free(b->data);
  free(b);
}

/* Closes the connection with a TCP reset: the client sees "connection reset by peer". */
static enum MHD_Result reset_connection(struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (ci) {
    struct linger lg = {1, 0};
    setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  return MHD_NO;
}

static enum MHD_Result send_reply(struct MHD_Connection *c, reply *r, const mock_fault *body_fault) {
  if (r->reset) {
    free(r->body);
    return reset_connection(c);
  }
  struct MHD_Response *resp;
  if (body_fault) {
    body_src *b = calloc(1, sizeof *b);
    b->data = r->body;
    b->len = r->len;
    b->cut_at = -1;
    if (!strcmp(body_fault->action, "truncate") || !strcmp(body_fault->action, "stall")) {
      b->cut_at = body_fault->bytes >= 0 ? body_fault->bytes : (long)(r->len / 2);
      if (b->cut_at > (long)r->len) b->cut_at = (long)r->len;
      if (!strcmp(body_fault->action, "stall")) b->stall = mock_scaled(body_fault->delay);
    }
    /* A slow body takes rate-limited time: scaled like every other duration. */
    b->rate = body_fault->rate > 0 ? (long)(body_fault->rate / g_mock.time_scale) : 0;
    if (body_fault->rate > 0 && b->rate < 1) b->rate = 1;
    resp = MHD_create_response_from_callback(r->len, 32 * 1024, body_reader, b, body_free);
  } else {
    resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
  }
  if (!resp) return MHD_NO;
  if (r->status != 204)
    MHD_add_response_header(resp, "Content-Type", r->ctype ? r->ctype : "application/json");
  for (int i = 0; i < r->nhdr; i++) MHD_add_response_header(resp, r->hdr[i][0], r->hdr[i][1]);
  enum MHD_Result ok = MHD_queue_response(c, (unsigned)r->status, resp);
  MHD_destroy_response(resp);
  return ok;
}

/* ---- helpers ------------------------------------------------------------------------- */

static void base_url(struct MHD_Connection *c, char *buf, size_t n) {
  const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
  if (host && strlen(host) < 200) snprintf(buf, n, "http://%s", host);
  else snprintf(buf, n, "http://127.0.0.1:%d", g_mock.port);
}

/* The token of the Authorization header (borrowed), or NULL. */
static const char *bearer_token(struct MHD_Connection *c) {
  const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
  if (!h) return NULL;
  const char *tok = NULL;
  if (!strncasecmp(h, "Bearer ", 7)) tok = h + 7;
  else if (!strncasecmp(h, "Token ", 6)) tok = h + 6; /* the older scheme, still accepted */
  if (!tok) return NULL;
  while (*tok == ' ') tok++;
  return *tok ? tok : NULL;
}

static int authorized(struct MHD_Connection *c) {
  const char *tok = bearer_token(c);
  if (!tok) return 0;
  if (!g_mock.tokens) return 1;
  for (int i = 0; i < g_mock.ntokens; i++)
    if (!strcmp(tok, g_mock.tokens[i])) return 1;
  return 0;
}

/* `secs` is already scaled. Whole seconds, rounded up (at least 1), or an HTTP date. */
static void retry_after_header(reply *r, double secs, int as_date) {
  char v[64];
  if (as_date) mock_http_date(mock_now() + secs, v, sizeof v);
  else snprintf(v, sizeof v, "%ld", mock_reset_secs(secs));
  add_header(r, "Retry-After", v);
}

static void ratelimit_headers(reply *r, long remaining, long reset) {
  char v[32];
  snprintf(v, sizeof v, "%ld", remaining);
  add_header(r, "ratelimit-remaining", v);
  snprintf(v, sizeof v, "%ld", reset);
  add_header(r, "ratelimit-reset", v);
}

static void status_fault(reply *r, const mock_fault *f) {
  int st = f->status;
  char detail[200];
  const char *title = "Internal Server Error";
  snprintf(detail, sizeof detail, "An unexpected error occurred.");
  if (st == 429) {
    /* Replicate's throttle body; the reset is the rule's `reset`, else its Retry-After, else
     * the ~30 s of Replicate's docs. */
    double reset = mock_scaled(f->reset >= 0 ? f->reset : f->retry_after >= 0 ? f->retry_after
                                                                              : 30);
    set_json(r, 429, mock_throttled_body(reset));
    r->ctype = "application/problem+json";
    if (f->retry_after >= 0) retry_after_header(r, mock_scaled(f->retry_after), f->retry_after_date);
    ratelimit_headers(r, 0, mock_reset_secs(reset));
    return;
  }
  switch (st) {
  case 401:
    title = "Unauthenticated";
    snprintf(detail, sizeof detail, "You did not pass a valid authentication token");
    break;
  case 402:
    title = "Insufficient credit";
    snprintf(detail, sizeof detail, "You have insufficient credit to run this model. Go to "
                                    "https://replicate.com/account/billing#billing to purchase credit.");
    break;
  case 403:
    title = "Forbidden";
    snprintf(detail, sizeof detail, "You do not have permission to perform this action.");
    break;
  case 502:
    title = "Bad Gateway";
    snprintf(detail, sizeof detail, "The upstream server returned an invalid response.");
    break;
  case 503:
    title = "Service Unavailable";
    snprintf(detail, sizeof detail, "The service is temporarily unavailable. Please try again later.");
    break;
  case 504:
    title = "Gateway Timeout";
    snprintf(detail, sizeof detail, "The upstream server did not respond in time.");
    break;
  default: break;
  }
  set_problem(r, st, title, detail);
  if (f->retry_after >= 0) retry_after_header(r, mock_scaled(f->retry_after), f->retry_after_date);
}

/* Splits a path into at most 8 segments (pointers into buf). */
static int split_path(const char *url, char *buf, size_t n, char *seg[8]) {
  snprintf(buf, n, "%s", url);
  int k = 0;
  for (char *p = strtok(buf, "/"); p && k < 8; p = strtok(NULL, "/")) seg[k++] = p;
  return k;
}

/* "wait" → 60, "wait=N" (1..60) → N; 0 when absent; -1 when malformed. */
static int parse_prefer(const char *h) {
  if (!h) return 0;
  if (!strcmp(h, "wait")) return 60;
  if (strncmp(h, "wait=", 5)) return -1;
  const char *d = h + 5;
  if (!*d || *d == '0' || strlen(d) > 2) return -1;
  for (const char *q = d; *q; q++)
    if (!isdigit((unsigned char)*q)) return -1;
  int n = atoi(d);
  return n >= 1 && n <= 60 ? n : -1;
}

/* Cancel-After: Go-style durations ("30s", "1m30s", "1h", "500ms") or bare seconds. */
static double parse_duration(const char *h) {
  if (!h || !*h) return 0;
  char *end;
  double total = 0, v = strtod(h, &end);
  if (end != h && *end == 0) return v > 0 ? v : -1;
  const char *p = h;
  while (*p) {
    v = strtod(p, &end);
    if (end == p || v < 0) return -1;
    p = end;
    if (!strncmp(p, "ms", 2)) total += v / 1000, p += 2;
    else if (*p == 'h') total += v * 3600, p++;
    else if (*p == 'm') total += v * 60, p++;
    else if (*p == 's') total += v, p++;
    else return -1;
  }
  return total > 0 ? total : -1;
}

/* ---- output file cache (generated bytes, per prediction file) ------------------------ */

#define FILE_CACHE 64
static struct {
  char key[48];
  unsigned char *data;
  size_t len;
} g_files[FILE_CACHE];
static int g_files_next;

/* Returns a malloc'd copy of the file's bytes (generating them if needed). */
static int output_bytes(const char *pid, int idx, mock_model *m, json_t *input, const char *ext,
                        unsigned char **data, size_t *len, char *err, size_t errlen) {
  char key[48];
  snprintf(key, sizeof key, "%s/%d", pid, idx);
  pthread_mutex_lock(&g_mock.lock);
  for (int i = 0; i < FILE_CACHE; i++)
    if (g_files[i].data && !strcmp(g_files[i].key, key)) {
      *data = malloc(g_files[i].len);
      memcpy(*data, g_files[i].data, g_files[i].len);
      *len = g_files[i].len;
      pthread_mutex_unlock(&g_mock.lock);
      return 0;
    }
  pthread_mutex_unlock(&g_mock.lock);
  if (mock_media_make(m, input, idx, ext, data, len, err, errlen) < 0) return -1;
  pthread_mutex_lock(&g_mock.lock);
  int slot = g_files_next++ % FILE_CACHE;
  free(g_files[slot].data);
  snprintf(g_files[slot].key, sizeof g_files[slot].key, "%s", key);
  g_files[slot].data = malloc(*len);
  memcpy(g_files[slot].data, *data, *len);
  g_files[slot].len = *len;
  pthread_mutex_unlock(&g_mock.lock);
  return 0;
}

/* ---- handlers (lock held unless said otherwise) ----------------------------------------- */

/* The "model" writes its output while it runs, so files are ready when it succeeds. */
typedef struct {
  char pid[32];
  mock_model *m;
  json_t *input;
} pregen_job;

static int g_pregen_active; /* encoder threads still running (lock held to change) */

static void *pregen_main(void *arg) {
  pregen_job *j = arg;
  int nfiles;
  char ext[8], err[256];
  mock_output_plan(j->m, j->input, &nfiles, ext);
  for (int i = 0; i < nfiles && !g_stopping; i++) {
    unsigned char *data = NULL;
    size_t len = 0;
    if (output_bytes(j->pid, i, j->m, j->input, mock_output_ext(j->m, ext, i), &data, &len, err,
                     sizeof err) == 0)
      free(data);
  }
  json_decref(j->input);
  free(j);
  pthread_mutex_lock(&g_mock.lock);
  g_pregen_active--;
  pthread_mutex_unlock(&g_mock.lock);
  return NULL;
}

static void pregenerate(mock_pred *p, mock_model *m) {
  pregen_job *j = calloc(1, sizeof *j);
  if (!j) return;
  snprintf(j->pid, sizeof j->pid, "%s", p->id);
  j->m = m;
  j->input = json_deep_copy(p->input);
  pthread_t t;
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  g_pregen_active++; /* lock held by the caller */
  if (pthread_create(&t, &a, pregen_main, j) != 0) {
    g_pregen_active--;
    json_decref(j->input);
    free(j);
  }
  pthread_attr_destroy(&a);
}

static const char *jstr_or(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

static const char *const allowed_create_keys[] = {"input", "version", "stream", "webhook",
                                                  "webhook_completed", "webhook_events_filter",
                                                  NULL};

/* Creates a prediction; releases and re-takes the lock while honouring Prefer: wait. */
static void h_create(struct MHD_Connection *c, reply *r, mock_model *m, const char *version,
                     json_t *body, const char *path, const char *deployment, size_t body_len) {
  char base[256];
  base_url(c, base, sizeof base);
  json_t *fields = json_array();
  const char *key;
  json_t *val;
  json_object_foreach(body, key, val) {
    int ok = 0;
    for (int i = 0; allowed_create_keys[i]; i++) ok |= !strcmp(key, allowed_create_keys[i]);
    if (!ok || (!strcmp(key, "version") && !strstr(path, "/v1/predictions"))) {
      char d[300];
      snprintf(d, sizeof d, "Additional property %s is not allowed", key);
      json_array_append_new(fields, json_pack("{s:s, s:s, s:s}", "type",
                                              "additional_property_not_allowed", "field", "",
                                              "description", d));
    }
  }
  json_t *input = json_object_get(body, "input");
  if (!json_is_object(input))
    json_array_append_new(fields, json_pack("{s:s, s:s, s:s}", "type", "required", "field", "",
                                            "description", "input is required"));
  if (json_array_size(fields)) {
    set_json(r, 422, json_pack("{s:s, s:s, s:i, s:o}", "title", "Invalid request", "detail", "The request body is not valid", "status", 422, "invalid_fields", fields));
    r->ctype = "application/problem+json";
    return;
  }
  json_decref(fields);
  json_t *problem = mock_validate_input(m, input);
  if (problem) {
    set_json(r, 422, problem);
    r->ctype = "application/problem+json";
    return;
  }
  /* `format: uri` inputs: a file of the Files API (must exist and not have expired), a
   * data: URL or another URL. Which one is kept for tests (/_mock/predictions/{id}). */
  json_t *kinds = json_object();
  fields = json_array();
  mock_input_uris(m, input, kinds, fields);
  if (json_array_size(fields)) {
    char detail[1024] = "";
    size_t used = 0, i;
    json_t *fe;
    json_array_foreach(fields, i, fe)
      used += (size_t)snprintf(detail + used, used < sizeof detail ? sizeof detail - used : 0,
                               "- %s: %s\n", jstr_or(fe, "field"), jstr_or(fe, "description"));
    json_decref(kinds);
    set_json(r, 422, json_pack("{s:s, s:s, s:i, s:o}", "title", "Input validation failed", "detail", detail, "status", 422, "invalid_fields", fields));
    r->ctype = "application/problem+json";
    return;
  }
  json_decref(fields);
  int wait = parse_prefer(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Prefer"));
  if (wait < 0) {
    json_decref(kinds);
    set_problem(r, 400, "Invalid Prefer header",
                "The Prefer header must match ^wait(=([1-9]|[1-9][0-9]|60))?$");
    return;
  }
  const char *ca = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Cancel-After");
  double cancel_after = parse_duration(ca);
  if (cancel_after < 0) {
    json_decref(kinds);
    set_problem(r, 400, "Invalid Cancel-After header",
                "Cancel-After must be a duration such as 30s, 5m or 1h30m");
    return;
  }
  double now = mock_now();
  mock_pred *p = mock_pred_new(m, version, input, mock_scaled(cancel_after));
  if (!p) {
    json_decref(kinds);
    set_problem(r, 500, "Internal Server Error", "out of memory");
    return;
  }
  json_object_update(p->input_kinds, kinds);
  json_decref(kinds);
  p->body_bytes = (long)body_len;
  if (deployment) snprintf(p->deployment, sizeof p->deployment, "%s", deployment);
  mock_fault *f = mock_fault_match("POST", path, m->full, 1);
  if (f) {
    if (!strcmp(f->action, "fail")) p->fate = FATE_FAIL;
    else if (!strcmp(f->action, "cancel")) p->fate = FATE_CANCEL;
    else if (!strcmp(f->action, "abort")) p->fate = FATE_ABORT;
    else if (!strcmp(f->action, "expire")) p->fate = FATE_EXPIRE;
    snprintf(p->fate_error, sizeof p->fate_error, "%s", f->error);
  }
  if (p->fate == FATE_SUCCEED || p->fate == FATE_EXPIRE) pregenerate(p, m);
  mock_log("created %s for %s (wait %d, cancel-after %.1f)", p->id, m->full, wait, cancel_after);
  mock_state_save();
  char id[32];
  snprintf(id, sizeof id, "%s", p->id);
  double until = now + mock_scaled(wait);
  int terminal = 0;
  while (wait > 0 && !g_stopping) {
    mock_advance(p, mock_now());
    terminal = strcmp(p->status, "starting") && strcmp(p->status, "processing");
    if (terminal || mock_now() >= until) break;
    pthread_mutex_unlock(&g_mock.lock);
    mock_sleep(0.02);
    pthread_mutex_lock(&g_mock.lock);
    p = mock_pred_find(id);
    if (!p) break; /* a /_mock/reset meanwhile */
  }
  if (!p) {
    not_found(r);
    return;
  }
  if (terminal) mock_state_save();
  char loc[400];
  snprintf(loc, sizeof loc, "%s/v1/predictions/%s", base, id);
  add_header(r, "Location", loc);
  set_json(r, wait > 0 && !terminal ? 202 : 201, mock_pred_json(p, base));
  if (wait > 0) add_header(r, "Preference-Applied", "wait");
}

static void h_list(struct MHD_Connection *c, reply *r) {
  char base[256];
  base_url(c, base, sizeof base);
  const char *cursor = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "cursor");
  const char *ca = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "created_after");
  const char *cb = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "created_before");
  double after = -1, before = -1;
  if ((ca && mock_parse_iso8601(ca, &after) < 0) || (cb && mock_parse_iso8601(cb, &before) < 0)) {
    set_problem(r, 400, "Invalid date", "created_after and created_before must be ISO 8601 dates");
    return;
  }
  long below = cursor && cursor[0] == 'c' ? atol(cursor + 1) : -1; /* opaque to clients */
  json_t *results = json_array();
  long last_seq = -1;
  int more = 0;
  for (int i = g_mock.npreds - 1; i >= 0; i--) { /* newest first */
    mock_pred *p = g_mock.preds[i];
    if (below >= 0 && p->seq >= below) continue;
    if (after >= 0 && p->created < after) continue;
    if (before >= 0 && p->created >= before) continue;
    if ((int)json_array_size(results) >= g_mock.page_size) {
      more = 1;
      break;
    }
    json_array_append_new(results, mock_pred_json(p, base));
    last_seq = p->seq;
  }
  json_t *next = json_null();
  if (more) {
    char url[700];
    int n = snprintf(url, sizeof url, "%s/v1/predictions?cursor=c%ld", base, last_seq);
    if (ca) n += snprintf(url + n, sizeof url - (size_t)n, "&created_after=%s", ca);
    if (cb) snprintf(url + n, sizeof url - (size_t)n, "&created_before=%s", cb);
    next = json_string(url);
  }
  set_json(r, 200, json_pack("{s:o, s:n, s:o}", "next", next, "previous", "results", results));
}

/* Answers a file's bytes (taking `data`): ETag = the first 32 hex digits of its SHA-256, and
 * one Range honoured (206), as replicate.delivery does. */
static void serve_bytes(struct MHD_Connection *c, reply *r, unsigned char *data, size_t len,
                        const char *ctype) {
  char etag[80], hex[65];
  mock_sha256_hex(data, len, hex);
  snprintf(etag, sizeof etag, "\"%.32s\"", hex);
  add_header(r, "ETag", etag);
  add_header(r, "Accept-Ranges", "bytes");
  r->ctype = ctype;
  r->status = 200;
  const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range");
  const char *if_range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-Range");
  if (if_range && strcmp(if_range, etag)) range = NULL; /* the file changed: send it whole */
  unsigned long long from = 0, to = len ? len - 1 : 0;
  int ranged = 0;
  if (range && !strncmp(range, "bytes=", 6) && !strchr(range, ',')) {
    /* One range (RFC 9110 14.1.2): "A-", "A-B" or the suffix "-N". Anything else,
     * including several ranges, is ignored and the whole file is sent. */
    const char *spec = range + 6;
    char *end;
    if (*spec == '-' && isdigit((unsigned char)spec[1])) {
      unsigned long long suffix = strtoull(spec + 1, &end, 10);
      if (*end == 0 && suffix > 0) {
        from = suffix >= len ? 0 : len - suffix;
        ranged = 1;
      }
    } else if (isdigit((unsigned char)*spec)) {
      from = strtoull(spec, &end, 10);
      if (*end == '-' && end[1] == 0) ranged = 1;
      else if (*end == '-' && isdigit((unsigned char)end[1])) {
        to = strtoull(end + 1, &end, 10);
        ranged = *end == 0 && to >= from;
        if (to >= len) to = len ? len - 1 : 0;
      }
    }
  }
  if (!ranged) from = 0, to = len ? len - 1 : 0;
  if (ranged) {
    if (from >= len) {
      char cr[64];
      snprintf(cr, sizeof cr, "bytes */%zu", len);
      free(data);
      set_problem(r, 416, "Range Not Satisfiable", "The requested range is outside the file.");
      add_header(r, "Content-Range", cr);
      return;
    }
    char cr[96];
    snprintf(cr, sizeof cr, "bytes %llu-%llu/%zu", from, to, len);
    add_header(r, "Content-Range", cr);
    r->status = 206;
  }
  size_t n = (size_t)(to - from + 1);
  r->body = malloc(n ? n : 1);
  memcpy(r->body, data + from, n);
  r->len = n;
  free(data);
}

static void h_delivery(struct MHD_Connection *c, reply *r, char **seg, int nseg) {
  /* /delivery/{id}/{index}/{name} */
  if (nseg != 4) {
    not_found(r);
    return;
  }
  mock_pred *p = mock_pred_find(seg[1]);
  int idx = atoi(seg[2]);
  if (!p) {
    not_found(r);
    return;
  }
  mock_advance(p, mock_now());
  const char *dot = strrchr(seg[3], '.');
  mock_model *m = mock_model_find(p->model);
  if (strcmp(p->status, "succeeded") || idx < 0 || idx >= p->nfiles || !dot || !m ||
      strcmp(dot + 1, mock_output_ext(m, p->ext, idx))) {
    not_found(r);
    return;
  }
  if (p->data_removed) {
    set_problem(r, 410, "Gone", "This file has expired and was deleted.");
    return;
  }
  json_t *input = json_deep_copy(p->input);
  char pid[32], ext[8];
  snprintf(pid, sizeof pid, "%s", p->id);
  snprintf(ext, sizeof ext, "%s", mock_output_ext(m, p->ext, idx));
  pthread_mutex_unlock(&g_mock.lock); /* encoding takes a while: let others in */
  unsigned char *data = NULL;
  size_t len = 0;
  char err[256] = "";
  int rc = output_bytes(pid, idx, m, input, ext, &data, &len, err, sizeof err);
  json_decref(input);
  pthread_mutex_lock(&g_mock.lock);
  if (rc < 0) {
    set_problem(r, 500, "Internal Server Error", err);
    return;
  }
  serve_bytes(c, r, data, len, mock_media_type(ext));
}

static void h_billing(reply *r) {
  double now = mock_now(), total = 0;
  for (int i = 0; i < g_mock.npreds; i++) mock_advance(g_mock.preds[i], now);
  json_t *by = json_object();
  size_t i;
  json_t *rec;
  json_array_foreach(g_mock.billing, i, rec) {
    double cost = json_number_value(json_object_get(rec, "cost"));
    total += cost;
    const char *model = json_string_value(json_object_get(rec, "model"));
    json_t *e = json_object_get(by, model);
    if (!e) {
      e = json_pack("{s:i, s:f}", "count", 0, "cost", 0.0);
      json_object_set_new(by, model, e);
    }
    json_object_set_new(e, "count", json_integer(json_integer_value(json_object_get(e, "count")) + 1));
    json_object_set_new(e, "cost", json_real(json_number_value(json_object_get(e, "cost")) + cost));
  }
  set_json(r, 200, json_pack("{s:f, s:i, s:i, s:o, s:O}", "total", total, "count", (int)json_array_size(g_mock.billing), "predictions", g_mock.npreds, "by_model", by, "records", g_mock.billing));
}

/* The model a request concerns (for fault rules), or NULL. Writes into buf. */
static const char *request_model(char **seg, int nseg, json_t *body, char *buf, size_t n) {
  if (nseg >= 4 && !strcmp(seg[0], "v1") && !strcmp(seg[1], "models")) {
    snprintf(buf, n, "%s/%s", seg[2], seg[3]);
    return buf;
  }
  if (nseg >= 4 && !strcmp(seg[0], "v1") && !strcmp(seg[1], "deployments")) {
    char full[200];
    snprintf(full, sizeof full, "%s/%s", seg[2], seg[3]);
    mock_deployment *d = mock_deployment_find(full);
    if (d) snprintf(buf, n, "%s", d->model->full);
    return d ? buf : NULL;
  }
  if (nseg >= 3 && !strcmp(seg[0], "v1") && !strcmp(seg[1], "predictions")) {
    mock_pred *p = mock_pred_find(seg[2]);
    if (p) snprintf(buf, n, "%s", p->model);
    return p ? buf : NULL;
  }
  if (nseg >= 2 && !strcmp(seg[0], "delivery")) {
    mock_pred *p = mock_pred_find(seg[1]);
    if (p) snprintf(buf, n, "%s", p->model);
    return p ? buf : NULL;
  }
  const char *v = json_string_value(json_object_get(body, "version"));
  const char *vid;
  mock_model *m = v ? mock_model_by_version(v, &vid) : NULL;
  if (m) {
    snprintf(buf, n, "%s", m->full);
    return buf;
  }
  return NULL;
}

static int is_create(const char *method, char **seg, int n) {
  if (strcmp(method, "POST") || n < 2 || strcmp(seg[0], "v1")) return 0;
  if (n == 2 && !strcmp(seg[1], "predictions")) return 1;
  return n == 5 && (!strcmp(seg[1], "models") || !strcmp(seg[1], "deployments")) &&
         !strcmp(seg[4], "predictions");
}

/* The Files API: POST /v1/files, GET /v1/files, GET|DELETE /v1/files/{id}, GET
 * /v1/files/{id}/download. An expired file is gone (404) like a deleted one. */
static void h_files(struct MHD_Connection *c, reply *r, const char *method, char **seg, int n,
                    req_ctx *ctx, const char *base, const char **route_name) {
  int get = !strcmp(method, "GET");
  if (n == 2 && !strcmp(method, "POST")) {
    *route_name = "/v1/files";
    int status;
    char err[300];
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    mock_file *f = mock_file_create(ct, ctx->body, ctx->len, &status, err, sizeof err);
    if (!f) {
      set_problem(r, status, status == 413 ? "Request Entity Too Large" : "Invalid request", err);
      return;
    }
    mock_state_save();
    set_json(r, 201, mock_file_json(f, base));
  } else if (n == 2 && get) {
    *route_name = "/v1/files";
    const char *cursor = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "cursor");
    long below = cursor && cursor[0] == 'f' ? atol(cursor + 1) : -1;
    json_t *results = json_array();
    long last = -1;
    int more = 0;
    double now = mock_now();
    for (int i = g_mock.nfiles - 1; i >= 0; i--) { /* newest first */
      mock_file *f = g_mock.files[i];
      if (f->deleted || now >= f->expires || (below >= 0 && f->seq >= below)) continue;
      if ((int)json_array_size(results) >= g_mock.page_size) {
        more = 1;
        break;
      }
      json_array_append_new(results, mock_file_json(f, base));
      last = f->seq;
    }
    char url[400];
    snprintf(url, sizeof url, "%s/v1/files?cursor=f%ld", base, last);
    set_json(r, 200, json_pack("{s:o, s:n, s:o}", "next", more ? json_string(url) : json_null(), "previous", "results", results));
  } else if (n == 3 || (n == 4 && !strcmp(seg[3], "download"))) {
    *route_name = n == 3 ? "/v1/files/{id}" : "/v1/files/{id}/download";
    mock_file *f = mock_file_find(seg[2]);
    if (!f) not_found(r);
    else if (n == 3 && get) set_json(r, 200, mock_file_json(f, base));
    else if (n == 3 && !strcmp(method, "DELETE")) {
      mock_file_delete(f);
      mock_state_save();
      r->status = 204;
      r->ctype = NULL;
    } else if (n == 4 && get) {
      unsigned char *data = malloc(f->size ? f->size : 1);
      if (!data) set_problem(r, 500, "Internal Server Error", "out of memory");
      else {
        memcpy(data, f->data, f->size);
        char disp[400];
        snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", f->name);
        add_header(r, "Content-Disposition", disp);
        serve_bytes(c, r, data, f->size, f->content_type);
      }
    } else set_problem(r, 405, "Method Not Allowed", "This method is not allowed for this resource.");
  } else {
    not_found(r);
  }
}

/* Routes one complete request; lock held. `route` gets the route template for stats. */
static void route(struct MHD_Connection *c, const char *method, const char *url, req_ctx *ctx,
                  reply *r, const char **route_name) {
  char buf[1024], *seg[8];
  int n = split_path(url, buf, sizeof buf, seg);
  int get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
  json_t *body = NULL;
  if (ctx->len) body = json_loadb(ctx->body, ctx->len, 0, NULL);
  *route_name = url;

  if (n >= 1 && !strcmp(seg[0], "_mock")) {
    *route_name = "/_mock";
    if (n == 2 && !strcmp(seg[1], "billing") && get) h_billing(r);
    else if (n == 2 && !strcmp(seg[1], "speech") && get) set_json(r, 200, mock_speech_truth());
    else if (n == 2 && !strcmp(seg[1], "stats") && get)
      set_json(r, 200, json_pack("{s:O, s:i}", "requests", g_mock.stats, "predictions", g_mock.npreds));
    else if (n == 3 && !strcmp(seg[1], "predictions") && get) {
      /* Mock-only facts about a prediction: how its uri inputs were sent, its body size. */
      mock_pred *p = mock_pred_find(seg[2]);
      if (!p) not_found(r);
      else set_json(r, 200, json_pack("{s:s, s:s, s:O, s:I, s:s?}", "id", p->id, "model", p->model, "input_kinds", p->input_kinds, "body_bytes", (json_int_t)p->body_bytes, "deployment", p->deployment[0] ? p->deployment : NULL));
    } else if (n == 2 && !strcmp(seg[1], "reset") && post) {
      mock_reset();
      mock_speech_reset();
      set_json(r, 200, json_pack("{s:b}", "ok", 1));
    } else if (n == 2 && !strcmp(seg[1], "faults")) {
      char err[256];
      if (get) set_json(r, 200, json_pack("{s:o}", "rules", mock_faults_json()));
      else if (!strcmp(method, "DELETE") || post) {
        json_t *rules = post ? (body ? json_incref(body) : NULL) : json_array();
        if (!rules) set_problem(r, 400, "Invalid JSON", "expected a JSON list of fault rules");
        else if (mock_faults_set(rules, err, sizeof err) < 0) set_problem(r, 400, "Invalid fault rules", err);
        else set_json(r, 200, json_pack("{s:i}", "rules", g_mock.nfaults));
        json_decref(rules);
      } else set_problem(r, 405, "Method Not Allowed", "use GET, POST or DELETE");
    } else not_found(r);
    json_decref(body);
    return;
  }
  if (!authorized(c)) {
    set_problem(r, 401, "Unauthenticated", "You did not pass a valid authentication token");
    json_decref(body);
    return;
  }
  if (n >= 1 && !strcmp(seg[0], "delivery") && get) {
    *route_name = "/delivery/{id}/{index}/{file}";
    h_delivery(c, r, seg, n);
    json_decref(body);
    return;
  }
  char base[256];
  base_url(c, base, sizeof base);
  if (n >= 1 && !strcmp(seg[0], "v1")) {
    /* Rate limits are the account's (its token), creates apart from everything else. */
    long remaining, reset;
    double wait = mock_ratelimit_take(bearer_token(c), is_create(method, seg, n), &remaining, &reset);
    if (wait > 0) {
      set_json(r, 429, mock_throttled_body(wait));
      r->ctype = "application/problem+json";
      retry_after_header(r, wait, 0);
      ratelimit_headers(r, remaining, reset);
      *route_name = "/v1 (throttled)";
      json_decref(body);
      return;
    }
    ratelimit_headers(r, remaining, reset);
  }
  if (n < 2 || strcmp(seg[0], "v1")) {
    not_found(r);
  } else if (!strcmp(seg[1], "files")) {
    h_files(c, r, method, seg, n, ctx, base, route_name);
  } else if (!strcmp(seg[1], "deployments") && n >= 4) {
    char full[200];
    snprintf(full, sizeof full, "%s/%s", seg[2], seg[3]);
    mock_deployment *d = mock_deployment_find(full);
    if (n == 5 && !strcmp(seg[4], "predictions") && post) {
      *route_name = "/v1/deployments/{owner}/{name}/predictions";
      if (!d) not_found(r);
      else if (!json_is_object(body)) set_problem(r, 400, "Invalid JSON", "The request body must be a JSON object");
      else h_create(c, r, d->model, d->version, body, url, d->full, ctx->len);
    } else if (n == 4 && get) {
      *route_name = "/v1/deployments/{owner}/{name}";
      if (d) set_json(r, 200, mock_deployment_json(d));
      else not_found(r);
    } else set_problem(r, 405, "Method Not Allowed", "This method is not allowed for this resource.");
  } else if (n == 2 && !strcmp(seg[1], "deployments") && get) {
    *route_name = "/v1/deployments";
    json_t *res = json_array();
    for (int i = 0; i < g_mock.ndeployments; i++)
      json_array_append_new(res, mock_deployment_json(&g_mock.deployments[i]));
    set_json(r, 200, json_pack("{s:n, s:n, s:o}", "next", "previous", "results", res));
  } else if (n == 2 && !strcmp(seg[1], "account") && get) {
    *route_name = "/v1/account";
    set_json(r, 200, json_pack("{s:s, s:s, s:s, s:n}", "type", "user", "username", "vsc-test", "name", "vsc test account", "github_url"));
  } else if (!strcmp(seg[1], "predictions")) {
    if (n == 2 && post) {
      *route_name = "/v1/predictions";
      const char *v = json_string_value(json_object_get(body, "version"));
      const char *vid = NULL;
      mock_model *m = v ? mock_model_by_version(v, &vid) : NULL;
      if (!json_is_object(body)) set_problem(r, 400, "Invalid JSON", "The request body must be a JSON object");
      else if (!v) {
        set_json(r, 422, json_pack("{s:s, s:s, s:i, s:[{s:s, s:s, s:s}]}", "title", "Invalid request", "detail", "- version is required\n", "status", 422, "invalid_fields", "type", "required", "field", "", "description", "version is required"));
        r->ctype = "application/problem+json";
      } else if (!m)
        set_problem(r, 422, "Invalid version or not permitted",
                    "The specified version does not exist (or perhaps you don't have permission to use it?)");
      else h_create(c, r, m, vid, body, url, NULL, ctx->len);
    } else if (n == 2 && get) {
      *route_name = "/v1/predictions";
      h_list(c, r);
    } else if (n == 3 && get) {
      *route_name = "/v1/predictions/{id}";
      mock_pred *p = mock_pred_find(seg[2]);
      if (p) set_json(r, 200, mock_pred_json(p, base));
      else not_found(r);
    } else if (n == 4 && post && !strcmp(seg[3], "cancel")) {
      *route_name = "/v1/predictions/{id}/cancel";
      mock_pred *p = mock_pred_find(seg[2]);
      if (!p) not_found(r);
      else {
        double now = mock_now();
        mock_advance(p, now);
        if ((!strcmp(p->status, "starting") || !strcmp(p->status, "processing")) && !p->cancel_at) {
          p->cancel_at = now;
          mock_advance(p, now);
          mock_state_save();
        }
        set_json(r, 200, mock_pred_json(p, base));
      }
    } else set_problem(r, 405, "Method Not Allowed", "This method is not allowed for this resource.");
  } else if (!strcmp(seg[1], "models") && n >= 4) {
    char full[300];
    snprintf(full, sizeof full, "%s/%s", seg[2], seg[3]);
    mock_model *m = mock_model_find(full);
    if (n == 5 && !strcmp(seg[4], "predictions") && post) {
      *route_name = "/v1/models/{owner}/{name}/predictions";
      if (!m) not_found(r);
      else if (!m->official) {
        char d[400];
        snprintf(d, sizeof d, "%s is not an official model: create its predictions with POST "
                              "/v1/predictions and a version",
                 m->full);
        set_problem(r, 404, "Not found", d);
      } else if (!json_is_object(body)) set_problem(r, 400, "Invalid JSON", "The request body must be a JSON object");
      else h_create(c, r, m, "hidden", body, url, NULL, ctx->len);
    } else if (!get) {
      set_problem(r, 405, "Method Not Allowed", "This method is not allowed for this resource.");
    } else if (!m) {
      not_found(r);
    } else if (n == 4) {
      *route_name = "/v1/models/{owner}/{name}";
      set_json(r, 200, mock_model_json(m));
    } else if (n == 5 && !strcmp(seg[4], "versions")) {
      *route_name = "/v1/models/{owner}/{name}/versions";
      json_t *res = json_array();
      size_t i;
      json_t *v;
      json_array_foreach(m->versions, i, v)
        json_array_append_new(res, mock_version_json(m, json_string_value(json_object_get(v, "id"))));
      set_json(r, 200, json_pack("{s:n, s:n, s:o}", "next", "previous", "results", res));
    } else if (n == 6 && !strcmp(seg[4], "versions")) {
      *route_name = "/v1/models/{owner}/{name}/versions/{id}";
      json_t *v = mock_version_json(m, seg[5]);
      if (v) set_json(r, 200, v);
      else not_found(r);
    } else not_found(r);
  } else {
    not_found(r);
  }
  json_decref(body);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
  req_ctx *ctx = *con_cls;
  if (!ctx) {
    ctx = calloc(1, sizeof(req_ctx));
    if (!ctx) return MHD_NO;
    /* Body limits by route: uploads up to --max-file-size (plus the multipart framing),
     * prediction creates up to --max-body (Replicate refuses larger ones with 413). */
    char sb[1024], *sg[8];
    int ns = split_path(url, sb, sizeof sb, sg);
    ctx->limit = MAX_BODY;
    ctx->upload = !strcmp(method, "POST") && ns == 2 && !strcmp(sg[0], "v1") && !strcmp(sg[1], "files");
    if (ctx->upload) ctx->limit = g_mock.max_file_size + MULTIPART_SLACK;
    else if (is_create(method, sg, ns)) ctx->limit = g_mock.max_body;
    *con_cls = ctx;
    return MHD_YES;
  }
  if (*upload_size) {
    if ((double)(ctx->len + *upload_size) > ctx->limit) ctx->too_big = 1;
    else {
      if (ctx->len + *upload_size > ctx->cap) {
        size_t cap = (ctx->len + *upload_size) * 2;
        char *nb = realloc(ctx->body, cap);
        if (!nb) return MHD_NO;
        ctx->body = nb;
        ctx->cap = cap;
      }
      memcpy(ctx->body + ctx->len, upload, *upload_size);
      ctx->len += *upload_size;
    }
    *upload_size = 0;
    return MHD_YES;
  }
  reply r;
  memset(&r, 0, sizeof r);
  r.status = 500;
  if (ctx->too_big) {
    char d[200];
    if (ctx->upload)
      snprintf(d, sizeof d, "The file is too large: files may be at most %.0f bytes.", g_mock.max_file_size);
    else
      snprintf(d, sizeof d, "The request body is too large (at most %.0f bytes). Upload large "
                            "files with the Files API and pass their URL.",
               ctx->limit);
    set_problem(&r, 413, "Request Entity Too Large", d);
    return send_reply(c, &r, NULL);
  }

  /* Transport faults first: they stand for the network and the gateway, before any logic. */
  pthread_mutex_lock(&g_mock.lock);
  char segbuf[1024], *seg[8], mbuf[300];
  int nseg = split_path(url, segbuf, sizeof segbuf, seg);
  json_t *body = ctx->len && !ctx->upload ? json_loadb(ctx->body, ctx->len, 0, NULL) : NULL;
  const char *model = strncmp(url, "/_mock", 6) ? request_model(seg, nseg, body, mbuf, sizeof mbuf) : NULL;
  json_decref(body);
  mock_fault fault, *f = strncmp(url, "/_mock", 6) ? mock_fault_match(method, url, model, 0) : NULL;
  if (f) {
    fault = *f;
    fault.json = NULL;
    f = &fault;
  }
  pthread_mutex_unlock(&g_mock.lock);
  if (f) mock_log("%s %s: fault '%s'", method, url, f->action);
  if (f && !strcmp(f->action, "reset")) return reset_connection(c);
  if (f && !strcmp(f->action, "status")) {
    status_fault(&r, f);
    return send_reply(c, &r, NULL);
  }
  if (f && !strcmp(f->action, "bad_json")) {
    const char *bad = "{\"id\": \"gm3qorzdhgbfurvjtvhg6dckhu\", \"status\": \"proc";
    r.status = 200;
    r.len = strlen(bad);
    r.body = malloc(r.len);
    memcpy(r.body, bad, r.len);
    r.ctype = "application/json";
    return send_reply(c, &r, NULL);
  }
  if (f && !strcmp(f->action, "slow") && f->rate == 0) mock_sleep(mock_scaled(f->delay));

  const char *route_name;
  pthread_mutex_lock(&g_mock.lock);
  route(c, method, url, ctx, &r, &route_name);
  mock_stat(method, route_name);
  pthread_mutex_unlock(&g_mock.lock);
  mock_log("%s %s -> %d", method, url, r.status);
  if (f && !strcmp(f->action, "lose_response")) r.reset = 1; /* done server-side, reply lost */
  const mock_fault *body_fault =
      f && (!strcmp(f->action, "truncate") || !strcmp(f->action, "stall") ||
            (!strcmp(f->action, "slow") && f->rate > 0))
          ? f
          : NULL;
  return send_reply(c, &r, body_fault);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  req_ctx *ctx = *con_cls;
  if (ctx) {
    free(ctx->body);
    free(ctx);
  }
  *con_cls = NULL;
}

int mock_http_start(char *err, size_t errlen) {
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)g_mock.port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* loopback only, never the network */
  g_daemon = MHD_start_daemon(
      MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
          (g_mock.verbose ? MHD_USE_ERROR_LOG : 0),
      (uint16_t)g_mock.port, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &sa,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
      (unsigned)120, MHD_OPTION_CONNECTION_LIMIT, (unsigned)512, MHD_OPTION_END);
  if (!g_daemon) {
    snprintf(err, errlen, "cannot listen on 127.0.0.1:%d", g_mock.port);
    return -1;
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(g_daemon, MHD_DAEMON_INFO_BIND_PORT);
  if (di) g_mock.port = di->port;
  return 0;
}

void mock_http_stop(void) {
  if (g_daemon) MHD_stop_daemon(g_daemon);
  g_daemon = NULL;
  for (int i = 0; i < 500; i++) { /* let output encoders finish: they use the models */
    pthread_mutex_lock(&g_mock.lock);
    int active = g_pregen_active;
    pthread_mutex_unlock(&g_mock.lock);
    if (!active) break;
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, NULL);
  }
  for (int i = 0; i < FILE_CACHE; i++) free(g_files[i].data);
}
