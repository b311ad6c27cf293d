/*
** replicate.c — the `replicate` provider (runtime stage: providers). Runs generate/tts nodes
** as Replicate predictions, many at once on the scheduler's thread with libcurl's multi
** interface: create (Prefer: wait, Cancel-After) → poll → download with auth, resume and a
** container probe → actual cost from the registry's price rule.
**
** A create is not idempotent, so it is never retried blindly: after a lost answer (transport
** error, 5xx, bad JSON) the provider lists recent predictions and re-attaches to the one with
** the same model and input; only when none exists is the create sent again.
**
** The token lives in this file's provider object only; it goes to libcurl as a bearer token
** (which keeps it off redirects to other hosts) and never into messages, files or logs.
*/
#include <curl/curl.h>
#include <jansson.h>
#include <libavformat/avformat.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vsc/vsc.h"
#include "vsc/vsc_provider.h"
#include "vsc/vsc_replicate.h"

#define MAX_TRIES 8       /* transient failures of one GET (poll, list, download) */
#define MAX_CREATES 4     /* creates sent for one prediction (after 429s or proven-lost POSTs) */
#define MAX_OUTPUTS 16

typedef enum { PH_CREATE, PH_RECOVER, PH_POLL, PH_DOWNLOAD, PH_DONE } phase_t;

typedef struct rp_provider rp_provider;

struct vsc_pred {
  rp_provider *p;
  struct vsc_pred *next;
  vsc_pred_request req;   /* borrowed pointers (valid until release) */
  char model[200];
  json_t *rule;           /* registry entry of the model (borrowed from p->registry) or NULL */
  json_t *body;           /* create request body (owned) */
  char version[80];       /* "" = official model form */
  phase_t phase;
  vsc_pred_status st;
  CURL *easy;             /* the request in flight, or NULL */
  CURL *cancel_easy;      /* a cancel request in flight, or NULL */
  struct curl_slist *hdrs;
  char *resp;             /* response body */
  size_t resp_len;
  double retry_after;     /* from the last response, or -1 */
  double next_at;         /* monotonic time of the next request */
  double poll_interval;
  int tries, creates;
  double intent_time;     /* wall-clock time of the first create, for re-attach by listing */
  char list_url[1024];    /* next page while recovering */
  char get_url[1024];
  json_t *outputs;        /* array of URLs (owned) */
  int out_idx;
  FILE *fp;
  long long have;         /* bytes of the current output already on disk */
  long long total;        /* expected size, -1 unknown */
  long long range_start;  /* where the current 206 body starts (its Content-Range) */
  int body_started;       /* the current transfer has delivered body bytes */
  char etag[128];         /* validator of the output being downloaded, for If-Range */
  double last_io;         /* monotonic time the current transfer last received something */
  int cancel_requested;
  int reattached;
};

struct rp_provider {
  vsc_provider base;
  CURLM *multi;
  char token[512];
  char api[512];          /* base URL ending in /v1, no trailing slash */
  json_t *registry;       /* vsc_models_json() */
  struct vsc_pred *preds;
  int wait;               /* Prefer: wait seconds */
  char cancel_after[32];
  long stall;             /* seconds */
};

static double now_mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- classification (public helpers) ------------------------------------------------- */

vsc_fail_kind vsc_replicate_http_kind(long status) {
  if (status == 401 || status == 402 || status == 403) return VSC_FAIL_AUTH;
  if (status == 400 || status == 404 || status == 409 || status == 413 || status == 422)
    return VSC_FAIL_INPUT;
  return VSC_FAIL_TRANSIENT; /* 408, 429, 5xx, anything odd */
}

static int has_word(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (; *hay; hay++)
    if (!strncasecmp(hay, needle, n)) return 1;
  return 0;
}

vsc_fail_kind vsc_replicate_error_kind(const char *e) {
  if (!e) return VSC_FAIL_TRANSIENT;
  if (has_word(e, "nsfw") || has_word(e, "sensitive") || has_word(e, "flagged") ||
      has_word(e, "safety") || has_word(e, "content policy") || has_word(e, "E005"))
    return VSC_FAIL_POLICY;
  if (has_word(e, "input validation") || has_word(e, "invalid input")) return VSC_FAIL_INPUT;
  return VSC_FAIL_TRANSIENT; /* CUDA OOM, interruptions, timeouts: worth another try */
}

double vsc_replicate_retry_after(const char *v) {
  if (!v) return -1;
  while (*v == ' ') v++;
  char *end;
  double s = strtod(v, &end);
  if (end != v && (*end == 0 || *end == '\r' || *end == ' ')) return s < 0 ? 0 : s;
  time_t t = curl_getdate(v, NULL);
  if (t < 0) return -1;
  double d = difftime(t, time(NULL));
  return d < 0 ? 0 : d;
}

/* ---- small helpers -------------------------------------------------------------------- */

static void set_fail(vsc_pred *x, vsc_pred_state state, vsc_fail_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void set_fail(vsc_pred *x, vsc_pred_state state, vsc_fail_kind kind, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(x->st.err.msg, sizeof x->st.err.msg, fmt, ap);
  va_end(ap);
  x->st.err.kind = kind;
  x->st.state = state;
  x->phase = PH_DONE;
  if (x->fp) {
    fclose(x->fp);
    x->fp = NULL;
  }
}

static json_t *registry_rule(rp_provider *p, const char *model) {
  size_t i;
  json_t *m;
  json_array_foreach(p->registry, i, m) {
    const char *ref = json_string_value(json_object_get(m, "ref"));
    if (ref && !strcmp(ref, model)) return m;
  }
  return NULL;
}

static const char *map_name(vsc_pred *x, const char *generic) {
  const char *n = json_string_value(json_object_get(json_object_get(x->rule, "inputs"), generic));
  return n;
}

static char *data_uri(const char *path) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  if (n < 0 || n > (64 << 20)) {
    fclose(fp);
    return NULL;
  }
  unsigned char *buf = malloc((size_t)n + 1);
  size_t got = buf ? fread(buf, 1, (size_t)n, fp) : 0;
  fclose(fp);
  if (!buf || (long)got != n) {
    free(buf);
    return NULL;
  }
  const char *dot = strrchr(path, '.');
  const char *mime = !dot ? "application/octet-stream"
                     : !strcasecmp(dot, ".png") ? "image/png"
                     : (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg")) ? "image/jpeg"
                     : !strcasecmp(dot, ".webp") ? "image/webp"
                     : !strcasecmp(dot, ".wav") ? "audio/wav"
                     : !strcasecmp(dot, ".mp4") ? "video/mp4" : "application/octet-stream";
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t out_len = strlen(mime) + 14 + ((size_t)n + 2) / 3 * 4;
  char *o = malloc(out_len + 1);
  if (!o) {
    free(buf);
    return NULL;
  }
  size_t k = (size_t)sprintf(o, "data:%s;base64,", mime);
  for (long i = 0; i < n; i += 3) {
    unsigned v = (unsigned)buf[i] << 16 | (i + 1 < n ? (unsigned)buf[i + 1] << 8 : 0) |
                 (i + 2 < n ? buf[i + 2] : 0);
    o[k++] = b64[v >> 18 & 63];
    o[k++] = b64[v >> 12 & 63];
    o[k++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
    o[k++] = i + 2 < n ? b64[v & 63] : '=';
  }
  o[k] = 0;
  free(buf);
  return o;
}

/* The model input of a node: the registry's `inputs` map applied to the generic params, then
 * the script's `with {…}` values (params.input) on top. */
static json_t *build_input(vsc_pred *x, vsc_op_error *err) {
  json_t *params = json_object_get(x->req.node, "params");
  json_t *in = json_object();
  static const char *const generic[] = {"prompt", "negative", "duration", "aspect", "seed",
                                        "text", "voice", NULL};
  for (int i = 0; generic[i]; i++) {
    json_t *v = json_object_get(params, generic[i]);
    const char *name = map_name(x, generic[i]);
    if (!name && x->rule == NULL && (!strcmp(generic[i], "prompt") || !strcmp(generic[i], "text")))
      name = generic[i]; /* an unknown model: pass the obvious ones through */
    if (!v || json_is_null(v) || !name) continue;
    if (!strcmp(generic[i], "duration") && json_is_number(v))
      v = json_integer((json_int_t)ceil(json_number_value(v) - 1e-9)); /* models take whole seconds */
    else
      json_incref(v);
    json_object_set_new(in, name, v);
  }
  json_t *img = json_object_get(params, "image");
  const char *img_name = map_name(x, "image");
  if (json_is_integer(img) && img_name) {
    json_int_t k = json_integer_value(img);
    if (k < 0 || (size_t)k >= x->req.ninputs) {
      vsc_op_fail(err, VSC_FAIL_INPUT, "image input %lld does not exist", (long long)k);
      json_decref(in);
      return NULL;
    }
    char *uri = data_uri(x->req.inputs[k]);
    if (!uri) {
      vsc_op_fail(err, VSC_FAIL_LOCAL, "cannot read the start image %s", x->req.inputs[k]);
      json_decref(in);
      return NULL;
    }
    json_object_set_new(in, img_name, json_string(uri));
    free(uri);
  }
  json_t *with = json_object_get(params, "input");
  if (json_is_object(with)) json_object_update(in, with);
  return in;
}

/* ---- requests --------------------------------------------------------------------------- */

static size_t on_body(char *d, size_t sz, size_t nm, void *u) {
  vsc_pred *x = u;
  size_t n = sz * nm;
  x->last_io = now_mono();
  if (x->phase == PH_DOWNLOAD && x->fp) {
    long code = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code != 200 && code != 206) goto keep; /* an error body, not the file */
    if (!x->body_started) {
      /* Once per transfer, before its first byte: where does this body start? A 200 is the
       * whole file (the server ignored our Range, or If-Range saw a changed file); a 206
       * starts where its Content-Range says. Keep only the bytes before that point. */
      x->body_started = 1;
      long long at = code == 206 ? x->range_start : 0;
      if (at < 0 || at > x->have) { /* a gap we cannot fill: fetch the whole file again */
        fflush(x->fp);
        if (ftruncate(fileno(x->fp), 0) < 0 || fseeko(x->fp, 0, SEEK_SET) < 0) return 0;
        x->have = 0;
        x->etag[0] = 0;
        return 0; /* abort this transfer; the retry asks for everything */
      }
      if (at < x->have) {
        fflush(x->fp);
        if (ftruncate(fileno(x->fp), (off_t)at) < 0 || fseeko(x->fp, (off_t)at, SEEK_SET) < 0)
          return 0;
        x->have = at;
      }
    }
    if (fwrite(d, 1, n, x->fp) != n) return 0;
    x->have += (long long)n;
    return n;
  }
keep:
  if (x->resp_len + n > (8u << 20)) return 0; /* an API answer is never this large */
  char *nb = realloc(x->resp, x->resp_len + n + 1);
  if (!nb) return 0;
  memcpy(nb + x->resp_len, d, n);
  x->resp = nb;
  x->resp_len += n;
  x->resp[x->resp_len] = 0;
  return n;
}

static size_t on_header(char *d, size_t sz, size_t nm, void *u) {
  vsc_pred *x = u;
  size_t n = sz * nm;
  x->last_io = now_mono();
  char line[512];
  snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line - 1 ? n : sizeof line - 1), d);
  if (!strncasecmp(line, "Retry-After:", 12)) x->retry_after = vsc_replicate_retry_after(line + 12);
  if (x->phase != PH_DOWNLOAD) return n;
  long code = 0;
  curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
  if (code != 200 && code != 206) return n; /* redirects, errors: not the file's headers */
  if (!strncasecmp(line, "Content-Range:", 14)) {
    /* "bytes FROM-TO/TOTAL" */
    const char *b = line + 14;
    while (*b == ' ') b++;
    if (!strncasecmp(b, "bytes ", 6)) x->range_start = atoll(b + 6);
    const char *slash = strchr(line, '/');
    if (slash && slash[1] != '*') x->total = atoll(slash + 1);
  } else if (!strncasecmp(line, "Content-Length:", 15)) {
    if (code == 200) x->total = atoll(line + 15);
  } else if (!strncasecmp(line, "ETag:", 5)) {
    const char *v = line + 5;
    while (*v == ' ') v++;
    size_t l = strcspn(v, "\r\n");
    if (l < sizeof x->etag && (code == 200 || !x->etag[0]))
      snprintf(x->etag, sizeof x->etag, "%.*s", (int)l, v);
  }
  return n;
}

/* Ends a transfer that received nothing for the stall limit (curl's own low-speed check
 * averages over several seconds, so a body that stops after some bytes would hang longer).
 * A create may legitimately be silent while the server holds it for Prefer: wait. */
static int on_progress(void *u, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow) {
  (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
  vsc_pred *x = u;
  double limit = (double)x->p->stall + (x->phase == PH_CREATE ? (double)x->p->wait : 0);
  return now_mono() - x->last_io > limit ? 1 : 0;
}

static void send_request(vsc_pred *x, const char *method, const char *url, const char *body,
                         long timeout) {
  rp_provider *p = x->p;
  CURL *e = curl_easy_init();
  if (!e) {
    set_fail(x, VSC_PRED_FAILED, VSC_FAIL_LOCAL, "replicate: out of memory");
    return;
  }
  free(x->resp);
  x->resp = NULL;
  x->resp_len = 0;
  x->retry_after = -1;
  curl_slist_free_all(x->hdrs);
  x->hdrs = NULL;
  if (body) {
    x->hdrs = curl_slist_append(x->hdrs, "Content-Type: application/json");
    char h[64];
    if (x->phase == PH_CREATE && p->wait > 0) {
      snprintf(h, sizeof h, "Prefer: wait=%d", p->wait);
      x->hdrs = curl_slist_append(x->hdrs, h);
    }
    if (x->phase == PH_CREATE && p->cancel_after[0]) {
      snprintf(h, sizeof h, "Cancel-After: %s", p->cancel_after);
      x->hdrs = curl_slist_append(x->hdrs, h);
    }
    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
  }
  x->body_started = 0;
  x->range_start = 0;
  if (x->phase == PH_DOWNLOAD && x->have > 0) {
    char h[200];
    snprintf(h, sizeof h, "Range: bytes=%lld-", x->have);
    x->hdrs = curl_slist_append(x->hdrs, h);
    if (x->etag[0]) { /* a file that changed meanwhile comes back whole (200), not spliced */
      snprintf(h, sizeof h, "If-Range: %s", x->etag);
      x->hdrs = curl_slist_append(x->hdrs, h);
    }
  }
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
  curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
  curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, p->token);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "vsc-replicate/0.1");
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 15L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT, timeout);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L); /* a stalled body ends the transfer */
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, x->phase == PH_CREATE ? (long)p->wait + p->stall
                                                                    : p->stall);
  curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(e, CURLOPT_XFERINFODATA, x);
  x->last_io = now_mono();
  curl_easy_setopt(e, CURLOPT_PRIVATE, x);
  x->easy = e;
  curl_multi_add_handle(p->multi, e);
}

static void issue(vsc_pred *x) {
  rp_provider *p = x->p;
  char url[1200];
  x->total = -1;
  switch (x->phase) {
  case PH_CREATE: {
    if (x->version[0]) snprintf(url, sizeof url, "%s/predictions", p->api);
    else snprintf(url, sizeof url, "%s/models/%s/predictions", p->api, x->model);
    char *body = json_dumps(x->body, JSON_COMPACT);
    if (x->creates == 0) x->intent_time = (double)time(NULL);
    x->creates++;
    send_request(x, "POST", url, body, (long)p->wait + 60);
    free(body);
    break;
  }
  case PH_RECOVER:
    if (!x->list_url[0]) {
      /* Everything created since a minute before our first create (clock skew margin). */
      time_t t = (time_t)(x->intent_time - 60);
      struct tm tm;
      gmtime_r(&t, &tm);
      char iso[40];
      strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
      snprintf(x->list_url, sizeof x->list_url, "%s/predictions?created_after=%s", p->api, iso);
    }
    send_request(x, "GET", x->list_url, NULL, 60);
    break;
  case PH_POLL:
    send_request(x, "GET", x->get_url, NULL, 60);
    break;
  case PH_DOWNLOAD: {
    const char *u = json_string_value(json_array_get(x->outputs, (size_t)x->out_idx));
    char path[4200];
    if (x->out_idx == 0) snprintf(path, sizeof path, "%s", x->req.out_path);
    else snprintf(path, sizeof path, "%s.%d", x->req.out_path, x->out_idx);
    if (!x->fp) {
      x->fp = fopen(path, x->have > 0 ? "ab" : "wb");
      if (!x->fp) {
        set_fail(x, VSC_PRED_FAILED, VSC_FAIL_LOCAL, "replicate: cannot write %s", path);
        return;
      }
    }
    send_request(x, "GET", u, NULL, 3600);
    break;
  }
  case PH_DONE:
    break;
  }
}

/* Backoff with jitter, honouring Retry-After; bounded. */
static void retry_later(vsc_pred *x, const char *what, long status, int curl_rc) {
  x->tries++;
  if (x->tries > MAX_TRIES) {
    set_fail(x, VSC_PRED_FAILED, VSC_FAIL_TRANSIENT, "replicate: %s failed %d times (last: %s)",
             what, MAX_TRIES, status ? "HTTP error" : curl_easy_strerror((CURLcode)curl_rc));
    if (status) {
      size_t l = strlen(x->st.err.msg);
      snprintf(x->st.err.msg + l, sizeof x->st.err.msg - l, " %ld", status);
    }
    x->st.err.retry_after = x->retry_after > 0 ? x->retry_after : 0;
    return;
  }
  double delay = 0.25 * pow(2, x->tries - 1);
  if (delay > 8) delay = 8;
  delay *= 0.8 + 0.4 * ((double)rand() / RAND_MAX);
  if (x->retry_after >= 0) delay = x->retry_after > 120 ? 120 : x->retry_after;
  x->next_at = now_mono() + delay;
}

/* "replicate: TITLE: DETAIL" from a problem+json body, on one line. */
static void problem_text(vsc_pred *x, long status, char *buf, size_t n) {
  json_t *j = x->resp ? json_loads(x->resp, 0, NULL) : NULL;
  const char *title = json_string_value(json_object_get(j, "title"));
  const char *detail = json_string_value(json_object_get(j, "detail"));
  snprintf(buf, n, "replicate: HTTP %ld%s%s%s%s", status, title ? ": " : "", title ? title : "",
           detail ? ": " : "", detail ? detail : "");
  for (char *c = buf; *c; c++)
    if (*c == '\n' || *c == '\r') *c = ' ';
  json_decref(j);
}

static double output_seconds(vsc_pred *x) {
  json_t *in = json_object_get(x->body, "input");
  const char *dn = map_name(x, "duration");
  json_t *d = dn ? json_object_get(in, dn) : NULL;
  if (json_is_number(d)) return json_number_value(d);
  /* Otherwise the length of what came back. */
  AVFormatContext *fc = NULL;
  double secs = 0;
  if (avformat_open_input(&fc, x->req.out_path, NULL, NULL) == 0) {
    if (avformat_find_stream_info(fc, NULL) >= 0 && fc->duration > 0)
      secs = (double)fc->duration / AV_TIME_BASE;
    avformat_close_input(&fc);
  }
  return secs;
}

static void compute_cost(vsc_pred *x, int succeeded) {
  if (!x->rule) {
    x->st.cost = -1; /* unknown price: the runtime charges the reservation */
    return;
  }
  const char *per = json_string_value(json_object_get(x->rule, "per"));
  double price = json_number_value(json_object_get(x->rule, "price"));
  double units = 0;
  if (per && !strcmp(per, "gpu-second")) units = x->st.predict_time;
  else if (!succeeded) units = 0;
  else if (per && !strcmp(per, "second")) {
    units = output_seconds(x);
    if (units <= 0) { /* paid, but neither the input nor a file tells how long it was */
      x->st.cost = -1;
      return;
    }
  } else if (per && !strcmp(per, "image"))
    /* An output removed before we saw it was still paid for: vsc asks for one image. */
    units = json_array_size(x->outputs) ? (double)json_array_size(x->outputs) : 1;
  else if (per && !strcmp(per, "character")) {
    const char *tn = map_name(x, "text");
    const char *t = json_string_value(json_object_get(json_object_get(x->body, "input"), tn ? tn : "text"));
    for (const unsigned char *c = (const unsigned char *)(t ? t : ""); *c; c++)
      if ((*c & 0xC0) != 0x80) units++;
  } else units = 1;
  x->st.cost = round(units * price * 1e6) / 1e6;
}

/* Checks the finished download: its size and that libavformat recognises the expected kind. */
static int probe_ok(vsc_pred *x, const char *path, char *why, size_t n) {
  struct stat sb;
  if (stat(path, &sb) < 0 || sb.st_size == 0) {
    snprintf(why, n, "empty download");
    return 0;
  }
  if (x->total >= 0 && sb.st_size != x->total) {
    snprintf(why, n, "download has %lld of %lld bytes", (long long)sb.st_size, x->total);
    return 0;
  }
  AVFormatContext *fc = NULL;
  if (avformat_open_input(&fc, path, NULL, NULL) < 0) {
    snprintf(why, n, "not a media file");
    return 0;
  }
  int ok = avformat_find_stream_info(fc, NULL) >= 0;
  const char *kind = json_string_value(json_object_get(json_object_get(x->req.node, "params"), "kind"));
  const char *op = json_string_value(json_object_get(x->req.node, "op"));
  enum AVMediaType want = (op && !strcmp(op, "tts")) || (kind && !strcmp(kind, "music"))
                              ? AVMEDIA_TYPE_AUDIO : AVMEDIA_TYPE_VIDEO;
  int found = 0;
  for (unsigned i = 0; ok && i < fc->nb_streams; i++)
    if (fc->streams[i]->codecpar->codec_type == want) found = 1;
  if (ok && kind && !strcmp(kind, "video") && fc->duration <= 0) found = 0;
  avformat_close_input(&fc);
  if (!ok || !found) snprintf(why, n, "the file has no %s stream", want == AVMEDIA_TYPE_AUDIO ? "audio" : "video");
  return ok && found;
}

static void collect_urls(json_t *out, json_t *urls) {
  if (json_is_string(out)) {
    if (json_array_size(urls) < MAX_OUTPUTS) json_array_append(urls, out);
  } else if (json_is_array(out)) {
    size_t i;
    json_t *v;
    json_array_foreach(out, i, v) collect_urls(v, urls);
  } else if (json_is_object(out)) {
    const char *k;
    json_t *v;
    json_object_foreach(out, k, v) collect_urls(v, urls);
  }
}

/* Acts on a prediction object from create, poll or re-attach. */
static void on_prediction(vsc_pred *x, json_t *pr) {
  const char *id = json_string_value(json_object_get(pr, "id"));
  const char *status = json_string_value(json_object_get(pr, "status"));
  if (!id || !status) {
    set_fail(x, VSC_PRED_FAILED, VSC_FAIL_TRANSIENT, "replicate: unexpected answer (no id/status)");
    return;
  }
  if (!x->st.id[0]) snprintf(x->st.id, sizeof x->st.id, "%s", id);
  if (x->st.state == VSC_PRED_STARTING) x->st.state = VSC_PRED_RUNNING;
  const char *g = json_string_value(json_object_get(json_object_get(pr, "urls"), "get"));
  if (g && strlen(g) < sizeof x->get_url) snprintf(x->get_url, sizeof x->get_url, "%s", g);
  else snprintf(x->get_url, sizeof x->get_url, "%s/predictions/%s", x->p->api, x->st.id);
  json_t *pt = json_object_get(json_object_get(pr, "metrics"), "predict_time");
  if (json_is_number(pt)) x->st.predict_time = json_number_value(pt);
  x->tries = 0;
  if (!strcmp(status, "succeeded")) {
    json_decref(x->outputs);
    x->outputs = json_array();
    collect_urls(json_object_get(pr, "output"), x->outputs);
    if (json_array_size(x->outputs) == 0) {
      compute_cost(x, 1);
      set_fail(x, VSC_PRED_FAILED, VSC_FAIL_TRANSIENT, "replicate: prediction %s succeeded but its "
               "output is gone (%s)", x->st.id,
               json_is_true(json_object_get(pr, "data_removed")) ? "data removed" : "no output");
      return;
    }
    x->phase = PH_DOWNLOAD;
    x->st.state = VSC_PRED_DOWNLOADING;
    x->out_idx = 0;
    x->have = 0;
    x->etag[0] = 0;
    x->next_at = 0;
  } else if (!strcmp(status, "failed")) {
    const char *e = json_string_value(json_object_get(pr, "error"));
    compute_cost(x, 0);
    set_fail(x, VSC_PRED_FAILED, vsc_replicate_error_kind(e), "replicate: prediction failed: %.400s",
             e ? e : "(no error text)");
  } else if (!strcmp(status, "canceled")) {
    compute_cost(x, 0);
    set_fail(x, VSC_PRED_CANCELED, VSC_FAIL_CANCELED, "replicate: prediction canceled%s",
             x->cancel_requested ? "" : " on the provider's side (deadline or by someone else)");
  } else if (!strcmp(status, "aborted")) {
    x->st.cost = 0; /* never started, never billed */
    set_fail(x, VSC_PRED_FAILED, VSC_FAIL_TRANSIENT, "replicate: prediction aborted before it started");
  } else {
    x->phase = PH_POLL;
    x->next_at = now_mono() + x->poll_interval;
    x->poll_interval = x->poll_interval * 1.5 > 3.0 ? 3.0 : x->poll_interval * 1.5;
  }
}

static void finish_download(vsc_pred *x) {
  fclose(x->fp);
  x->fp = NULL;
  char path[4200], why[200];
  if (x->out_idx == 0) snprintf(path, sizeof path, "%s", x->req.out_path);
  else snprintf(path, sizeof path, "%s.%d", x->req.out_path, x->out_idx);
  if (x->total >= 0 && x->have < x->total) { /* cut short: resume */
    retry_later(x, "download", 0, CURLE_PARTIAL_FILE);
    return;
  }
  if (!probe_ok(x, path, why, sizeof why)) {
    set_fail(x, VSC_PRED_FAILED, VSC_FAIL_TRANSIENT, "replicate: output %d of %s is bad: %s",
             x->out_idx, x->st.id, why);
    return;
  }
  x->tries = 0;
  x->have = 0;
  x->etag[0] = 0;
  if (++x->out_idx < (int)json_array_size(x->outputs)) {
    x->next_at = 0;
    return;
  }
  compute_cost(x, 1);
  x->st.state = VSC_PRED_SUCCEEDED;
  x->phase = PH_DONE;
}

/* A finished transfer of x's main request. */
static void on_done(vsc_pred *x, CURLcode rc) {
  long status = 0;
  curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
  curl_multi_remove_handle(x->p->multi, x->easy);
  curl_easy_cleanup(x->easy);
  x->easy = NULL;
  char msg[480];
  json_t *j = NULL;
  switch (x->phase) {
  case PH_CREATE:
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) {
      /* Nothing reached the server: sending the create again is safe. */
      x->creates--;
      retry_later(x, "connect", 0, rc);
      return;
    }
    if (rc == CURLE_OK && (status == 200 || status == 201 || status == 202) &&
        (j = json_loads(x->resp ? x->resp : "", 0, NULL)) != NULL) {
      on_prediction(x, j);
      json_decref(j);
      return;
    }
    if (rc == CURLE_OK && status == 429) { /* refused: nothing was created */
      if (x->creates >= MAX_CREATES) {
        set_fail(x, VSC_PRED_FAILED, VSC_FAIL_TRANSIENT, "replicate: rate limited (HTTP 429)");
        x->st.err.retry_after = x->retry_after > 0 ? x->retry_after : 0;
        return;
      }
      x->next_at = now_mono() + (x->retry_after >= 0 ? x->retry_after : 1.0);
      return;
    }
    if (rc == CURLE_OK && status >= 400 && status < 500) {
      problem_text(x, status, msg, sizeof msg);
      set_fail(x, VSC_PRED_FAILED, vsc_replicate_http_kind(status), "%s", msg);
      return;
    }
    /* Lost answer, 5xx or garbage: the prediction may exist. Find it before anything else. */
    x->phase = PH_RECOVER;
    x->list_url[0] = 0;
    x->next_at = now_mono() + 0.2;
    return;
  case PH_RECOVER:
    if (rc != CURLE_OK || status != 200 || !(j = json_loads(x->resp ? x->resp : "", 0, NULL))) {
      if (rc == CURLE_OK && (status == 401 || status == 403)) {
        problem_text(x, status, msg, sizeof msg);
        set_fail(x, VSC_PRED_FAILED, VSC_FAIL_AUTH, "%s", msg);
        return;
      }
      retry_later(x, "listing predictions", rc == CURLE_OK ? status : 0, rc);
      return;
    }
    {
      size_t i;
      json_t *e;
      json_t *want = json_object_get(x->body, "input");
      json_array_foreach(json_object_get(j, "results"), i, e) {
        const char *m = json_string_value(json_object_get(e, "model"));
        const char *v = json_string_value(json_object_get(e, "version"));
        if (m && !strcmp(m, x->model) && json_equal(json_object_get(e, "input"), want) &&
            (!x->version[0] || (v && !strcmp(v, x->version)))) {
          x->reattached = 1;
          on_prediction(x, e);
          json_decref(j);
          return;
        }
      }
      const char *next = json_string_value(json_object_get(j, "next"));
      if (next && strlen(next) < sizeof x->list_url) {
        snprintf(x->list_url, sizeof x->list_url, "%s", next);
        x->next_at = 0;
      } else if (x->creates >= MAX_CREATES) {
        set_fail(x, VSC_PRED_FAILED, VSC_FAIL_TRANSIENT, "replicate: creating the prediction "
                 "failed %d times", x->creates);
      } else { /* proven absent: the create never happened, send it again */
        x->phase = PH_CREATE;
        x->next_at = now_mono() + 0.5 * x->creates;
      }
      json_decref(j);
    }
    return;
  case PH_POLL:
    if (rc == CURLE_OK && status == 200 && (j = json_loads(x->resp ? x->resp : "", 0, NULL))) {
      on_prediction(x, j);
      json_decref(j);
      return;
    }
    if (rc == CURLE_OK && (status == 404 || status == 401 || status == 403)) {
      problem_text(x, status, msg, sizeof msg);
      set_fail(x, VSC_PRED_FAILED, status == 404 ? VSC_FAIL_INPUT : VSC_FAIL_AUTH, "%s", msg);
      return;
    }
    retry_later(x, "polling", rc == CURLE_OK ? status : 0, rc);
    return;
  case PH_DOWNLOAD:
    if (rc == CURLE_OK && (status == 200 || status == 206)) {
      finish_download(x);
      return;
    }
    if (rc == CURLE_OK && status == 416) { /* our Range is past the end: start over */
      fclose(x->fp);
      x->fp = NULL;
      x->have = 0;
      x->etag[0] = 0;
      retry_later(x, "download", status, rc);
      return;
    }
    if (rc == CURLE_OK && (status == 404 || status == 410)) {
      compute_cost(x, 1);
      set_fail(x, VSC_PRED_FAILED, VSC_FAIL_TRANSIENT, "replicate: output of %s expired before "
               "it was downloaded (HTTP %ld)", x->st.id, status);
      return;
    }
    if (rc == CURLE_OK && (status == 401 || status == 403)) {
      set_fail(x, VSC_PRED_FAILED, VSC_FAIL_AUTH, "replicate: output download refused (HTTP %ld)", status);
      return;
    }
    /* Broken transfer (reset, truncation, stall) or 5xx: keep what we have, resume. */
    if (x->fp) fflush(x->fp);
    retry_later(x, "download", rc == CURLE_OK ? status : 0, rc);
    return;
  case PH_DONE:
    return;
  }
}

/* ---- the vtable ------------------------------------------------------------------------- */

static int rp_quote(vsc_provider *pp, const vsc_pred_request *req, double *estimate, double *max) {
  rp_provider *p = (rp_provider *)pp;
  json_t *r = registry_rule(p, req->model);
  if (!r) return -1;
  const char *per = json_string_value(json_object_get(r, "per"));
  double price = json_number_value(json_object_get(r, "price"));
  json_t *params = json_object_get(req->node, "params");
  double units = 1;
  if (per && !strcmp(per, "second")) {
    double d = json_number_value(json_object_get(params, "duration"));
    units = ceil(d > 0 ? d : 5);
  } else if (per && !strcmp(per, "character")) {
    const char *t = json_string_value(json_object_get(params, "text"));
    units = t ? (double)strlen(t) : 0;
  } else if (per && !strcmp(per, "gpu-second")) {
    json_t *e = json_object_get(r, "estimate");
    units = json_is_number(e) ? json_number_value(e) : 60;
  }
  *estimate = units * price;
  *max = per && !strcmp(per, "gpu-second") ? *estimate * 3 : *estimate; /* time may run long */
  return 0;
}

static int rp_new_pred(rp_provider *p, vsc_pred **out, const vsc_pred_request *req,
                       vsc_op_error *err) {
  vsc_pred *x = calloc(1, sizeof *x);
  if (!x) return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
  x->p = p;
  x->req = *req;
  snprintf(x->model, sizeof x->model, "%s", req->model ? req->model : "");
  x->rule = registry_rule(p, x->model);
  const char *v = json_string_value(json_object_get(x->rule, "version"));
  if (v) snprintf(x->version, sizeof x->version, "%s", v);
  x->st.state = VSC_PRED_STARTING;
  x->st.seed = -1;
  x->retry_after = -1;
  x->poll_interval = 0.25;
  x->total = -1;
  json_t *input = build_input(x, err);
  if (!input) {
    free(x);
    return -1;
  }
  json_t *seed = json_object_get(input, map_name(x, "seed") ? map_name(x, "seed") : "seed");
  if (json_is_integer(seed)) x->st.seed = json_integer_value(seed);
  x->body = json_pack("{s:o}", "input", input);
  if (x->version[0]) json_object_set_new(x->body, "version", json_string(x->version));
  x->next = p->preds;
  p->preds = x;
  *out = x;
  return 0;
}

static int rp_start(vsc_provider *pp, vsc_pred **out, const vsc_pred_request *req,
                    vsc_op_error *err) {
  *out = NULL;
  if (!req->model || !strchr(req->model, '/'))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "replicate: '%s' is not an owner/name model",
                       req->model ? req->model : "");
  if (rp_new_pred((rp_provider *)pp, out, req, err) < 0) return -1;
  (*out)->phase = PH_CREATE;
  return 0;
}

static int rp_reattach(vsc_provider *pp, vsc_pred **out, const vsc_pred_request *req,
                       const char *id, vsc_op_error *err) {
  *out = NULL;
  if (rp_new_pred((rp_provider *)pp, out, req, err) < 0) return -1;
  vsc_pred *x = *out;
  snprintf(x->st.id, sizeof x->st.id, "%s", id);
  snprintf(x->get_url, sizeof x->get_url, "%s/predictions/%s", x->p->api, id);
  x->st.state = VSC_PRED_RUNNING;
  x->phase = PH_POLL;
  x->reattached = 1;
  return 0;
}

static int rp_step(vsc_provider *pp, double max_wait) {
  rp_provider *p = (rp_provider *)pp;
  double now = now_mono(), soonest = now + (max_wait > 0 ? max_wait : 0);
  for (vsc_pred *x = p->preds; x; x = x->next) {
    if (x->easy || x->phase == PH_DONE) continue;
    if (x->next_at <= now) issue(x);
    else if (x->next_at < soonest) soonest = x->next_at;
  }
  int running = 0;
  curl_multi_perform(p->multi, &running);
  int changed = 0;
  for (;;) {
    int left;
    CURLMsg *m = curl_multi_info_read(p->multi, &left);
    if (!m) break;
    if (m->msg != CURLMSG_DONE) continue;
    vsc_pred *x = NULL;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
    CURLcode rc = m->data.result;
    if (x && x->cancel_easy == m->easy_handle) {
      curl_multi_remove_handle(p->multi, x->cancel_easy);
      curl_easy_cleanup(x->cancel_easy);
      x->cancel_easy = NULL;
      if (x->phase == PH_POLL) x->next_at = 0; /* see the canceled state at once */
    } else if (x) {
      on_done(x, rc);
    }
    changed = 1;
  }
  if (changed) return 0;
  double wait = soonest - now_mono();
  if (wait > 0) {
    int ms = (int)(wait * 1000) + 1;
    curl_multi_poll(p->multi, NULL, 0, ms, NULL);
    curl_multi_perform(p->multi, &running);
  }
  return 0;
}

static void rp_wakeup(vsc_provider *pp) { curl_multi_wakeup(((rp_provider *)pp)->multi); }

static void rp_status(vsc_pred *x, vsc_pred_status *st) { *st = x->st; }

static size_t discard(char *d, size_t sz, size_t nm, void *u) {
  (void)d;
  (void)u;
  return sz * nm;
}

static int rp_cancel(vsc_pred *x) {
  x->cancel_requested = 1;
  if (x->phase == PH_DONE) return -1;
  if (!x->st.id[0]) { /* not created yet as far as we know: stop before spending */
    if (x->phase == PH_CREATE && !x->easy) {
      x->st.cost = 0;
      set_fail(x, VSC_PRED_CANCELED, VSC_FAIL_CANCELED, "replicate: canceled before it was created");
      return 0;
    }
    return -1;
  }
  if (x->cancel_easy || x->phase == PH_DOWNLOAD) return x->phase == PH_DOWNLOAD ? -1 : 0;
  char url[1200];
  snprintf(url, sizeof url, "%s/predictions/%s/cancel", x->p->api, x->st.id);
  CURL *e = curl_easy_init();
  if (!e) return -1;
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
  curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
  curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, x->p->token);
  curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(e, CURLOPT_PRIVATE, x);
  x->cancel_easy = e;
  curl_multi_add_handle(x->p->multi, e);
  return 0;
}

static void rp_release(vsc_pred *x) {
  rp_provider *p = x->p;
  for (vsc_pred **pp = &p->preds; *pp; pp = &(*pp)->next)
    if (*pp == x) {
      *pp = x->next;
      break;
    }
  if (x->easy) {
    curl_multi_remove_handle(p->multi, x->easy);
    curl_easy_cleanup(x->easy);
  }
  if (x->cancel_easy) {
    curl_multi_remove_handle(p->multi, x->cancel_easy);
    curl_easy_cleanup(x->cancel_easy);
  }
  if (x->fp) fclose(x->fp);
  curl_slist_free_all(x->hdrs);
  free(x->resp);
  json_decref(x->body);
  json_decref(x->outputs);
  free(x);
}

static void rp_destroy(vsc_provider *pp) {
  rp_provider *p = (rp_provider *)pp;
  while (p->preds) rp_release(p->preds);
  curl_multi_cleanup(p->multi);
  json_decref(p->registry);
  memset(p->token, 0, sizeof p->token);
  free(p);
}

static const vsc_provider_vt replicate_vt = {
    "replicate", rp_quote, rp_start, rp_reattach, rp_step, rp_wakeup,
    rp_status, rp_cancel, rp_release, rp_destroy,
};

static int read_env(char *token, size_t tn, char *api, size_t an, vsc_op_error *err) {
  const char *tok = getenv("REPLICATE_API_TOKEN");
  if (!tok || !*tok)
    return vsc_op_fail(err, VSC_FAIL_AUTH, "replicate: REPLICATE_API_TOKEN is not set");
  if (strlen(tok) >= tn) return vsc_op_fail(err, VSC_FAIL_AUTH, "replicate: the API token is too long");
  snprintf(token, tn, "%s", tok);
  const char *base = getenv("REPLICATE_API_BASE");
  if (!base || !*base) base = getenv("VSC_REPLICATE_URL");
  if (!base || !*base) base = "https://api.replicate.com/v1";
  snprintf(api, an, "%s", base);
  size_t l = strlen(api);
  while (l && api[l - 1] == '/') api[--l] = 0;
  if (l < 3 || strcmp(api + l - 3, "/v1")) snprintf(api + l, an - l, "/v1");
  return 0;
}

int vsc_replicate_provider_new(vsc_provider **out, const vsc_provider_options *opts,
                               vsc_op_error *err) {
  *out = NULL;
  rp_provider *p = calloc(1, sizeof *p);
  if (!p) return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
  if (read_env(p->token, sizeof p->token, p->api, sizeof p->api, err) < 0) {
    free(p);
    return -1;
  }
  p->base.vt = &replicate_vt;
  p->wait = 60;
  const char *w = getenv("VSC_REPLICATE_WAIT");
  if (w && *w) p->wait = atoi(w) < 0 ? 0 : atoi(w) > 60 ? 60 : atoi(w);
  const char *ca = getenv("VSC_REPLICATE_CANCEL_AFTER");
  if (ca) snprintf(p->cancel_after, sizeof p->cancel_after, "%s", ca);
  const char *stall = getenv("VSC_REPLICATE_STALL");
  p->stall = stall && atol(stall) > 0 ? atol(stall) : 30;
  vsc_diag_list *diags = vsc_diag_list_new(20);
  p->registry = diags ? vsc_models_json(NULL, diags) : NULL;
  vsc_diag_list_free(diags);
  if (!p->registry) p->registry = json_array();
  p->multi = curl_multi_init();
  if (!p->multi) {
    rp_destroy(&p->base);
    return vsc_op_fail(err, VSC_FAIL_LOCAL, "replicate: cannot start libcurl");
  }
  curl_multi_setopt(p->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 64L);
  (void)opts;
  *out = &p->base;
  return 0;
}

/* ---- schema fetch (blocking) ---------------------------------------------------------- */

static size_t grow(char *d, size_t sz, size_t nm, void *u) {
  char **b = u;
  size_t old = *b ? strlen(*b) : 0, n = sz * nm;
  if (old + n > (16u << 20)) return 0;
  char *nb = realloc(*b, old + n + 1);
  if (!nb) return 0;
  memcpy(nb + old, d, n);
  nb[old + n] = 0;
  *b = nb;
  return n;
}

int vsc_replicate_model_schema(json_t **schema, char version[65], const char *model,
                               vsc_op_error *err) {
  char token[512], api[512], url[1200];
  *schema = NULL;
  version[0] = 0;
  if (read_env(token, sizeof token, api, sizeof api, err) < 0) return -1;
  snprintf(url, sizeof url, "%s/models/%s", api, model);
  CURL *e = curl_easy_init();
  if (!e) return vsc_op_fail(err, VSC_FAIL_LOCAL, "cannot start libcurl");
  char *body = NULL;
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
  curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, token);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, grow);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(e, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(e);
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(e);
  memset(token, 0, sizeof token);
  int ret = -1;
  json_t *j = body ? json_loads(body, 0, NULL) : NULL;
  if (rc != CURLE_OK) vsc_op_fail(err, VSC_FAIL_TRANSIENT, "replicate: %s", curl_easy_strerror(rc));
  else if (status != 200) vsc_op_fail(err, vsc_replicate_http_kind(status), "replicate: HTTP %ld for model %s", status, model);
  else {
    json_t *lv = json_object_get(j, "latest_version");
    json_t *s = json_object_get(lv, "openapi_schema");
    if (!json_is_object(s)) vsc_op_fail(err, VSC_FAIL_INPUT, "replicate: %s has no published schema", model);
    else {
      *schema = json_incref(s);
      snprintf(version, 65, "%s", json_string_value(json_object_get(lv, "id")) ? json_string_value(json_object_get(lv, "id")) : "");
      ret = 0;
    }
  }
  json_decref(j);
  free(body);
  return ret;
}
