/*
** llm.c — the LLM front-end: a chat model writes the script, the checker judges it, and
** its JSON diagnostics go back for a repair, a bounded number of times.
**
** Transport: libcurl, one request at a time. Timeouts, 429 and 5xx are retried with
** exponential backoff and jitter; Retry-After wins. 401/403 stop at once. Two wire formats:
** OpenAI-compatible chat completions, and Replicate predictions of a language model.
**
** The API key travels only in the Authorization header. It is never printed, logged or
** written, and any server text shown to the user has it masked first.
*/
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "frontend.h"
#include "vsc/vsc_runtime.h"

#define MAX_BODY (8u << 20) /* replies larger than this are refused */
#define MAX_WAIT 120.0      /* the longest Retry-After honoured, in seconds */

typedef struct {
  const char *provider; /* "openai" | "replicate" */
  char base[1024];      /* no trailing slash */
  const char *model;
  const char *key; /* borrowed; may be NULL for keyless local servers */
  double timeout, backoff;
  int attempts;
  bool verbose;
  unsigned seed; /* jitter */
} conn;

/* ---- HTTP ---------------------------------------------------------------------------------- */

typedef struct {
  char *data;
  size_t len;
  bool too_big;
} sink;

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  sink *s = ud;
  size_t k = size * n;
  if (s->len + k > MAX_BODY) {
    s->too_big = true;
    return 0;
  }
  char *d = realloc(s->data, s->len + k + 1);
  if (!d) return 0;
  memcpy(d + s->len, p, k);
  s->data = d;
  s->len += k;
  d[s->len] = 0;
  return k;
}

typedef struct {
  double retry_after; /* seconds, -1 = none */
} head_info;

static double parse_retry_after(const char *v) {
  while (*v == ' ') v++;
  char *end;
  double s = strtod(v, &end);
  if (end != v && (*end == 0 || *end == '\r' || *end == '\n' || *end == ' ')) return s >= 0 ? s : -1;
  char date[200];
  snprintf(date, sizeof date, "%s", v);
  date[strcspn(date, "\r\n")] = 0;
  time_t t = curl_getdate(date, NULL);
  if (t < 0) return -1;
  double d = difftime(t, time(NULL));
  return d > 0 ? d : 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  head_info *h = ud;
  size_t k = size * n;
  if (k > 12 && strncasecmp(p, "retry-after:", 12) == 0) {
    char v[160];
    snprintf(v, sizeof v, "%.*s", (int)(k - 12 < 159 ? k - 12 : 159), p + 12);
    h->retry_after = parse_retry_after(v);
  }
  return k;
}

typedef struct {
  long status; /* 0 = no HTTP answer */
  int curl_rc;
  char curl_err[CURL_ERROR_SIZE];
  char *body; /* caller frees */
  double retry_after;
} http_result;

/* One exchange. `body` NULL = GET. */
static void http_do(const conn *c, const char *url, const char *body, const char *prefer, http_result *res) {
  memset(res, 0, sizeof *res);
  res->retry_after = -1;
  CURL *h = curl_easy_init();
  if (!h) {
    res->curl_rc = CURLE_FAILED_INIT;
    snprintf(res->curl_err, sizeof res->curl_err, "curl_easy_init failed");
    return;
  }
  struct curl_slist *hdrs = NULL;
  hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
  hdrs = curl_slist_append(hdrs, "Accept: application/json");
  if (c->key && *c->key) {
    char *auth = malloc(strlen(c->key) + 32);
    sprintf(auth, "Authorization: Bearer %s", c->key);
    hdrs = curl_slist_append(hdrs, auth);
    memset(auth, 0, strlen(auth));
    free(auth);
  }
  if (prefer) hdrs = curl_slist_append(hdrs, prefer);
  sink s = {0};
  head_info hi = {-1};
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  if (body) curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &hi);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(c->timeout * 1000));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(fmin(c->timeout, 30) * 1000));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, res->curl_err);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "vsc-prompt/"
                                         "0.1");
  res->curl_rc = (int)curl_easy_perform(h);
  if (res->curl_rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
  else if (!res->curl_err[0]) snprintf(res->curl_err, sizeof res->curl_err, "%s", curl_easy_strerror((CURLcode)res->curl_rc));
  if (s.too_big) snprintf(res->curl_err, sizeof res->curl_err, "reply larger than %u bytes", MAX_BODY);
  res->body = s.data;
  res->retry_after = hi.retry_after;
  curl_slist_free_all(hdrs);
  curl_easy_cleanup(h);
}

/* Replaces every occurrence of the key in s by "***" (in place; the key is longer). */
static void mask(char *s, const char *key) {
  if (!s || !key || strlen(key) < 4) return;
  size_t kl = strlen(key);
  for (char *p; (p = strstr(s, key));) {
    memcpy(p, "***", 3);
    memmove(p + 3, p + kl, strlen(p + kl) + 1);
  }
}

static void sleep_seconds(double s) {
  if (s <= 0) return;
  struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

typedef struct {
  int code; /* 0 ok, VSC_PROMPT_E* */
  char msg[2048];
} failure;

/* One request with retries. On success returns 0 and *out (caller frees) holds the body. */
static int http_call(conn *c, const char *url, const char *body, const char *prefer, char **out,
                     vsc_llm_stats *st, failure *fl) {
  *out = NULL;
  double delay = c->backoff;
  for (int attempt = 1;; attempt++) {
    http_result r;
    st->requests++;
    http_do(c, url, body, prefer, &r);
    if (r.curl_rc == 0 && r.status >= 200 && r.status < 300) {
      *out = r.body ? r.body : strdup("");
      return 0;
    }
    bool transient = r.curl_rc != 0 || r.status == 429 || r.status == 408 || r.status >= 500;
    char what[300];
    if (r.curl_rc != 0) snprintf(what, sizeof what, "%s", r.curl_err);
    else snprintf(what, sizeof what, "HTTP %ld", r.status);
    if (r.status == 401 || r.status == 403) {
      fl->code = VSC_PROMPT_EAUTH;
      snprintf(fl->msg, sizeof fl->msg, "%.300s refused the credentials (HTTP %ld): check %s", c->base, r.status,
               strcmp(c->provider, "replicate") == 0 ? "REPLICATE_API_TOKEN" : "VSC_LLM_API_KEY");
      free(r.body);
      return -1;
    }
    if (!transient || attempt >= c->attempts) {
      char detail[200] = "";
      if (r.body) {
        snprintf(detail, sizeof detail, "%s", r.body);
        mask(detail, c->key);
        for (char *p = detail; *p; p++)
          if (*p == '\n' || *p == '\r') *p = ' ';
      }
      fl->code = transient ? VSC_PROMPT_ENET : VSC_PROMPT_ECONFIG;
      snprintf(fl->msg, sizeof fl->msg, "%.300s: %s%s%s%s", url, what, detail[0] ? ": " : "", detail,
               transient ? " (gave up after retries)" : "");
      mask(fl->msg, c->key);
      free(r.body);
      return -1;
    }
    free(r.body);
    double wait = delay * (1.0 + 0.25 * ((double)rand_r(&c->seed) / RAND_MAX));
    if (r.retry_after >= 0) wait = fmin(r.retry_after, MAX_WAIT);
    fprintf(stderr, "vsc prompt: %s; retrying in %.1fs (attempt %d of %d)\n", what, wait, attempt + 1, c->attempts);
    st->retries++;
    sleep_seconds(wait);
    delay *= 2;
  }
}

/* ---- the two wire formats ------------------------------------------------------------------------ */

typedef struct {
  char *text; /* the reply (caller frees) */
  long in_tokens, out_tokens;
} chat_reply;

static int chat_openai(conn *c, json_t *messages, chat_reply *rep, vsc_llm_stats *st, failure *fl) {
  json_t *req = json_pack("{s:s, s:O, s:f}", "model", c->model, "messages", messages, "temperature", 0.2);
  char *body = json_dumps(req, JSON_COMPACT);
  json_decref(req);
  char url[1100];
  snprintf(url, sizeof url, "%s/chat/completions", c->base);
  char *out = NULL;
  int rc = http_call(c, url, body, NULL, &out, st, fl);
  free(body);
  if (rc != 0) return -1;
  json_t *j = json_loads(out, 0, NULL);
  free(out);
  json_t *content = json_object_get(json_object_get(json_array_get(json_object_get(j, "choices"), 0), "message"), "content");
  if (!json_is_string(content)) {
    fl->code = VSC_PROMPT_ENET;
    snprintf(fl->msg, sizeof fl->msg, "%.300s: the reply has no choices[0].message.content", url);
    json_decref(j);
    return -1;
  }
  rep->text = strdup(json_string_value(content));
  json_t *usage = json_object_get(j, "usage");
  rep->in_tokens = (long)json_integer_value(json_object_get(usage, "prompt_tokens"));
  rep->out_tokens = (long)json_integer_value(json_object_get(usage, "completion_tokens"));
  json_decref(j);
  return 0;
}

/* A Replicate language model takes one prompt: the conversation is written out in it. */
static char *flatten(json_t *messages, const char **system) {
  vsc_buf b = {0};
  size_t i;
  json_t *m;
  json_array_foreach(messages, i, m) {
    const char *role = json_string_value(json_object_get(m, "role"));
    const char *content = json_string_value(json_object_get(m, "content"));
    if (!role || !content) continue;
    if (strcmp(role, "system") == 0) {
      *system = content;
      continue;
    }
    vsc_buf_printf(&b, "%s:\n%s\n\n", strcmp(role, "user") == 0 ? "User" : "Assistant", content);
  }
  vsc_buf_puts(&b, "Assistant:\n");
  return fe_buf_take(&b);
}

static int prediction_text(json_t *p, chat_reply *rep) {
  json_t *out = json_object_get(p, "output");
  vsc_buf b = {0};
  if (json_is_string(out)) {
    vsc_buf_puts(&b, json_string_value(out));
  } else if (json_is_array(out)) {
    size_t i;
    json_t *v;
    json_array_foreach(out, i, v)
      if (json_is_string(v)) vsc_buf_puts(&b, json_string_value(v));
  } else {
    return -1;
  }
  rep->text = fe_buf_take(&b);
  json_t *metrics = json_object_get(p, "metrics");
  rep->in_tokens = (long)json_integer_value(json_object_get(metrics, "input_token_count"));
  rep->out_tokens = (long)json_integer_value(json_object_get(metrics, "output_token_count"));
  return 0;
}

static int chat_replicate(conn *c, json_t *messages, chat_reply *rep, vsc_llm_stats *st, failure *fl) {
  const char *system = "";
  char *prompt = flatten(messages, &system);
  json_t *input = json_pack("{s:s, s:s, s:i, s:f}", "prompt", prompt, "system_prompt", system, "max_tokens", 8192,
                            "temperature", 0.2);
  free(prompt);
  char url[1400];
  json_t *req;
  const char *colon = strchr(c->model, ':');
  if (colon) {
    req = json_pack("{s:s, s:o}", "version", colon + 1, "input", input);
    snprintf(url, sizeof url, "%s/predictions", c->base);
  } else {
    req = json_pack("{s:o}", "input", input);
    snprintf(url, sizeof url, "%s/models/%s/predictions", c->base, c->model);
  }
  char *body = json_dumps(req, JSON_COMPACT);
  json_decref(req);
  char prefer[64];
  snprintf(prefer, sizeof prefer, "Prefer: wait=%d", (int)fmax(1, fmin(60, c->timeout - 1)));
  char *out = NULL;
  int rc = http_call(c, url, body, prefer, &out, st, fl);
  free(body);
  if (rc != 0) return -1;
  json_t *p = json_loads(out, 0, NULL);
  free(out);
  /* Poll until the prediction ends, for at most the timeout (plus the retries' own). */
  struct timeval t0, now;
  gettimeofday(&t0, NULL);
  for (;;) {
    const char *status = json_string_value(json_object_get(p, "status"));
    if (!status) {
      fl->code = VSC_PROMPT_ENET;
      snprintf(fl->msg, sizeof fl->msg, "%.300s: the reply is not a prediction", url);
      json_decref(p);
      return -1;
    }
    if (strcmp(status, "succeeded") == 0) break;
    if (strcmp(status, "failed") == 0 || strcmp(status, "canceled") == 0 || strcmp(status, "aborted") == 0) {
      fl->code = VSC_PROMPT_ENET;
      const char *e = json_string_value(json_object_get(p, "error"));
      snprintf(fl->msg, sizeof fl->msg, "the prediction %s%s%s", status, e ? ": " : "", e ? e : "");
      mask(fl->msg, c->key);
      json_decref(p);
      return -1;
    }
    gettimeofday(&now, NULL);
    double spent = (double)(now.tv_sec - t0.tv_sec) + (now.tv_usec - t0.tv_usec) / 1e6;
    if (spent > c->timeout * c->attempts) {
      fl->code = VSC_PROMPT_ENET;
      snprintf(fl->msg, sizeof fl->msg, "the prediction did not finish within %.0fs", spent);
      json_decref(p);
      return -1;
    }
    sleep_seconds(1.0);
    char geturl[1400];
    const char *get = json_string_value(json_object_get(json_object_get(p, "urls"), "get"));
    const char *id = json_string_value(json_object_get(p, "id"));
    if (get) snprintf(geturl, sizeof geturl, "%s", get);
    else snprintf(geturl, sizeof geturl, "%s/predictions/%s", c->base, id ? id : "");
    json_decref(p);
    if (http_call(c, geturl, NULL, NULL, &out, st, fl) != 0) return -1;
    p = json_loads(out, 0, NULL);
    free(out);
  }
  int r = prediction_text(p, rep);
  json_decref(p);
  if (r != 0) {
    fl->code = VSC_PROMPT_ENET;
    snprintf(fl->msg, sizeof fl->msg, "the prediction has no text output");
    return -1;
  }
  return 0;
}

/* ---- the ledger ---------------------------------------------------------------------------------- */

typedef struct {
  vsc_journal *j;
  char build[64];
  int seq;
} ledger;

static void ledger_open(ledger *lg, const char *dir, const conn *c) {
  memset(lg, 0, sizeof *lg);
  if (!dir) return;
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) return;
  char path[4200], err[256];
  snprintf(path, sizeof path, "%s/journal.jsonl", dir);
  if (vsc_journal_open(&lg->j, path, err, sizeof err) != 0) {
    fprintf(stderr, "vsc prompt: warning: the ledger cannot be written: %s\n", err);
    lg->j = NULL;
    return;
  }
  struct timeval tv;
  gettimeofday(&tv, NULL);
  struct tm tm;
  gmtime_r(&tv.tv_sec, &tm);
  char t[24];
  strftime(t, sizeof t, "%Y%m%dT%H%M%S", &tm);
  snprintf(lg->build, sizeof lg->build, "prompt-%s.%03dZ-%05d", t, (int)(tv.tv_usec / 1000), (int)(getpid() % 100000));
  char prov[32];
  snprintf(prov, sizeof prov, "llm:%s", c->provider);
  json_t *rec = json_pack("{s:s, s:s, s:n, s:n, s:s, s:s, s:i}", "t", "build", "build", lg->build, "plan", "budget",
                          "provider", prov, "kind", "prompt", "pid", (int)getpid());
  if (vsc_journal_append(lg->j, rec, err, sizeof err) != 0) fprintf(stderr, "vsc prompt: warning: %s\n", err);
  json_decref(rec);
}

static void ledger_rec(ledger *lg, json_t *rec) {
  char err[256];
  if (lg->j) {
    json_object_set_new(rec, "build", json_string(lg->build));
    if (vsc_journal_append(lg->j, rec, err, sizeof err) != 0) fprintf(stderr, "vsc prompt: warning: %s\n", err);
  }
  json_decref(rec);
}

/* One chat call in the ledger: intent before, outcome and cost after. */
static void ledger_call(ledger *lg, const conn *c, int round, const chat_reply *rep, bool ok, double cost) {
  if (!lg->j) return;
  char call[96], prov[32];
  snprintf(call, sizeof call, "%s.%d", lg->build, ++lg->seq);
  snprintf(prov, sizeof prov, "llm:%s", c->provider);
  ledger_rec(lg, json_pack("{s:s, s:s, s:s, s:n, s:s, s:s, s:i, s:f, s:f}", "t", "intent", "call", call, "node",
                           "prompt", "scene", "model", c->model, "provider", prov, "attempt", round, "estimate", 0.0,
                           "reserved", 0.0));
  if (ok)
    ledger_rec(lg, json_pack("{s:s, s:s, s:s, s:f, s:b, s:s, s:I, s:I}", "t", "done", "call", call, "outcome",
                             "succeeded", "cost", cost, "cost_known", 1, "kind", "llm", "input_tokens",
                             (json_int_t)rep->in_tokens, "output_tokens", (json_int_t)rep->out_tokens));
  else /* a request that failed may still have been billed: its cost is not known */
    ledger_rec(lg, json_pack("{s:s, s:s, s:s, s:f, s:b, s:s}", "t", "done", "call", call, "outcome", "failed", "cost",
                             0.0, "cost_known", 0, "kind", "llm"));
}

static void ledger_close(ledger *lg, const char *status, double spent) {
  if (!lg->j) return;
  ledger_rec(lg, json_pack("{s:s, s:s, s:f}", "t", "end", "status", status, "spent", spent));
  vsc_journal_close(lg->j);
  lg->j = NULL;
}

/* ---- configuration ----------------------------------------------------------------------------- */

static double env_num(const char *name, double def) {
  const char *v = getenv(name);
  if (!v || !*v) return def;
  char *end;
  double d = strtod(v, &end);
  return end != v && d >= 0 ? d : def;
}

static int configure(conn *c, const vsc_llm_options *o, char *err, size_t errlen) {
  memset(c, 0, sizeof *c);
  const char *prov = o->provider ? o->provider : getenv("VSC_LLM_PROVIDER");
  if (!prov || !*prov) prov = "openai";
  if (strcmp(prov, "openai") != 0 && strcmp(prov, "replicate") != 0) {
    snprintf(err, errlen, "VSC_LLM_PROVIDER must be 'openai' or 'replicate', not '%s'", prov);
    return VSC_PROMPT_ECONFIG;
  }
  c->provider = strcmp(prov, "openai") == 0 ? "openai" : "replicate";
  bool rep = strcmp(c->provider, "replicate") == 0;
  const char *base = o->base_url ? o->base_url : getenv("VSC_LLM_BASE_URL");
  if (rep && (!base || !*base)) base = getenv("REPLICATE_API_BASE");
  if (rep && (!base || !*base)) base = getenv("VSC_REPLICATE_URL");
  if (!base || !*base) base = rep ? "https://api.replicate.com/v1" : "https://api.openai.com/v1";
  snprintf(c->base, sizeof c->base, "%s", base);
  size_t bl = strlen(c->base);
  while (bl && c->base[bl - 1] == '/') c->base[--bl] = 0;
  if (rep && (bl < 3 || strcmp(c->base + bl - 3, "/v1") != 0)) snprintf(c->base + bl, sizeof c->base - bl, "/v1");
  c->model = o->model ? o->model : getenv("VSC_LLM_MODEL");
  if (!c->model || !*c->model) {
    snprintf(err, errlen, "set VSC_LLM_MODEL to the chat model to use (e.g. an OpenAI model name, or owner/name on Replicate)");
    return VSC_PROMPT_ECONFIG;
  }
  c->key = o->api_key ? o->api_key : rep ? getenv("REPLICATE_API_TOKEN")
                                         : getenv("VSC_LLM_API_KEY");
  if (rep && (!c->key || !*c->key)) {
    snprintf(err, errlen, "set REPLICATE_API_TOKEN to use a Replicate-hosted language model");
    return VSC_PROMPT_ECONFIG;
  }
  c->timeout = o->timeout > 0 ? o->timeout : env_num("VSC_LLM_TIMEOUT", 120);
  c->backoff = o->backoff >= 0 ? o->backoff : env_num("VSC_LLM_BACKOFF", 1);
  c->attempts = o->max_attempts > 0 ? o->max_attempts : 4;
  c->verbose = o->verbose;
  c->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
  return 0;
}

/* ---- the loop --------------------------------------------------------------------------------- */

/* Is the diagnostic's file the reply itself, a stdlib module, or a file that resolves
 * inside the script's folder? Only then may its text go back to the model. */
static bool may_quote(const char *file, const char *path) {
  if (!file || strcmp(file, path) == 0 || strncmp(file, "std/", 4) == 0) return true;
  char dir[PATH_MAX], rdir[PATH_MAX], rfile[PATH_MAX];
  const char *slash = strrchr(path, '/');
  if (!slash) snprintf(dir, sizeof dir, ".");
  else snprintf(dir, sizeof dir, "%.*s", (int)(slash == path ? 1 : slash - path), path);
  if (!realpath(dir, rdir) || !realpath(file, rfile)) return false;
  size_t n = strlen(rdir);
  return strcmp(rdir, "/") == 0 || (strncmp(rfile, rdir, n) == 0 && rfile[n] == '/');
}

static char *repair_message(vsc_diag_list *diags, const char *path) {
  json_t *arr = vsc_diag_to_json(diags);
  /* Defence in depth (imports are confined by vsc_prompt_check): a diagnostic in a file
   * outside the script's folder goes back without any of that file's text. */
  size_t i;
  json_t *d;
  json_array_foreach(arr, i, d) {
    if (may_quote(json_string_value(json_object_get(d, "file")), path)) continue;
    json_object_del(d, "source_line");
    json_object_del(d, "hint");
    json_object_set_new(d, "message", json_string("an error in a file outside the script's folder (its text is not shown)"));
  }
  json_t *o = json_pack("{s:o, s:i, s:i}", "diagnostics", arr, "errors", vsc_diag_error_count(diags), "warnings",
                        vsc_diag_warning_count(diags));
  char *text = json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
  json_decref(o);
  vsc_buf b = {0};
  vsc_buf_puts(&b,
               "`vsc check --json` rejected the script. Fix every error and reply with the whole "
               "corrected script in one ```vscript block and nothing else.\n\n");
  vsc_buf_puts(&b, text ? text : "[]");
  free(text);
  return fe_buf_take(&b);
}

int vsc_llm_generate(char **out_script, const char *request, const vsc_llm_options *o, vsc_diag_list *diags,
                     vsc_llm_stats *stats, char *err, size_t errlen) {
  *out_script = NULL;
  vsc_llm_stats local = {0};
  vsc_llm_stats *st = stats ? stats : &local;
  memset(st, 0, sizeof *st);
  vsc_llm_options def = VSC_LLM_OPTIONS_INIT;
  if (!o) o = &def;
  bool has = false;
  for (const unsigned char *p = (const unsigned char *)(request ? request : ""); *p; p++)
    if (*p > ' ') has = true;
  if (!has) {
    snprintf(err, errlen, "the request is empty: say what the video should show");
    return VSC_PROMPT_EUSAGE;
  }
  conn c;
  int rc = configure(&c, o, err, errlen);
  if (rc != 0) return rc;
  double price_in = o->price_in >= 0 ? o->price_in : env_num("VSC_LLM_PRICE_IN", 0);
  double price_out = o->price_out >= 0 ? o->price_out : env_num("VSC_LLM_PRICE_OUT", 0);
  const char *path = o->out_path ? o->out_path : "prompt.vscript";
  int max_repairs = o->max_repairs >= 0 ? o->max_repairs : 3;

  if (o->compiler_lock) o->compiler_lock(o->compiler_lock_ud, true);
  char *sys = vsc_llm_system_prompt();
  if (o->compiler_lock) o->compiler_lock(o->compiler_lock_ud, false);
  char *req = fe_strndup(request, fe_utf8_cut(request, VSC_PROMPT_MAX_REQUEST));
  json_t *messages = json_pack("[{s:s, s:s}, {s:s, s:s}]", "role", "system", "content", sys, "role", "user", "content", req);
  free(sys);
  free(req);
  if (!messages) {
    snprintf(err, errlen, "the request is not valid UTF-8");
    return VSC_PROMPT_EUSAGE;
  }
  ledger lg;
  ledger_open(&lg, o->journal_dir, &c);
  int result = VSC_PROMPT_ECHECK;
  char *last = NULL;
  vsc_diag_list *attempt_diags = NULL;
  for (int round = 0; round <= max_repairs; round++) {
    if (c.verbose)
      fprintf(stderr, "vsc prompt: %s %s (%s)\n", round ? "asking for a repair from" : "asking", c.model, c.provider);
    chat_reply rep = {0};
    failure fl = {0};
    int r = strcmp(c.provider, "replicate") == 0 ? chat_replicate(&c, messages, &rep, st, &fl)
                                                 : chat_openai(&c, messages, &rep, st, &fl);
    if (r != 0) {
      ledger_call(&lg, &c, round + 1, &rep, false, 0);
      snprintf(err, errlen, "%s", fl.msg);
      result = fl.code ? fl.code : VSC_PROMPT_ENET;
      break;
    }
    double cost = rep.in_tokens / 1e6 * price_in + rep.out_tokens / 1e6 * price_out;
    st->replies++;
    st->input_tokens += rep.in_tokens;
    st->output_tokens += rep.out_tokens;
    st->cost += cost;
    ledger_call(&lg, &c, round + 1, &rep, true, cost);
    char *script = vsc_llm_extract_script(rep.text);
    if (attempt_diags) vsc_diag_list_free(attempt_diags);
    attempt_diags = vsc_diag_list_new(50);
    char *formatted = NULL;
    if (o->compiler_lock) o->compiler_lock(o->compiler_lock_ud, true);
    int cr = vsc_prompt_check(&formatted, NULL, path, script, strlen(script), o->cache_dir, attempt_diags);
    if (o->compiler_lock) o->compiler_lock(o->compiler_lock_ud, false);
    free(last);
    last = formatted ? formatted : strdup(script);
    free(script);
    if (cr == 0) {
      result = 0;
      free(rep.text);
      break;
    }
    if (round == max_repairs) {
      free(rep.text);
      break;
    }
    /* The conversation grows: the model's reply, then what the checker said. */
    char *fix = repair_message(attempt_diags, path);
    json_array_append_new(messages, json_pack("{s:s, s:s}", "role", "assistant", "content", rep.text));
    json_array_append_new(messages, json_pack("{s:s, s:s}", "role", "user", "content", fix));
    free(fix);
    free(rep.text);
    st->repairs++;
    fprintf(stderr, "vsc prompt: the reply has %d error(s); asking for a repair (%d of %d)\n",
            vsc_diag_error_count(attempt_diags), round + 1, max_repairs);
  }
  json_decref(messages);
  ledger_close(&lg, result == 0 ? "ok" : "failed", st->cost);
  if (result == 0) {
    *out_script = last;
  } else if (result == VSC_PROMPT_ECHECK) {
    /* The last reply's verdict, checked into the caller's list. */
    char *again = NULL;
    if (o->compiler_lock) o->compiler_lock(o->compiler_lock_ud, true);
    if (last) vsc_prompt_check(&again, NULL, path, last, strlen(last), o->cache_dir, diags);
    if (o->compiler_lock) o->compiler_lock(o->compiler_lock_ud, false);
    free(again);
    *out_script = last;
    snprintf(err, errlen, "no reply passed the checker after %d repair round(s)", max_repairs);
  } else {
    free(last);
  }
  if (attempt_diags) vsc_diag_list_free(attempt_diags);
  return result;
}
