/*
** transport.c — one HTTP request of a prediction on the provider's libcurl multi handle
** (runtime stage: providers): bearer auth (libcurl keeps it off redirects to other hosts),
** the response body, the headers that matter (Retry-After, ratelimit-reset, and for
** downloads Content-Range, Content-Length, ETag) and a stall limit.
**
** A create is never sent twice by libcurl itself: it goes out on a fresh connection that is
** not reused, so libcurl has no dead keep-alive connection to silently retry the POST on.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "rp.h"
#include "vsc/vsc_clock.h"

/* Download bodies go to the output file; anything else is an API answer kept in memory. */
static size_t on_body(char *d, size_t sz, size_t nm, void *u) {
  vsc_pred *x = u;
  size_t n = sz * nm;
  x->last_io = vsc_clock_now();
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
        if (ftruncate(fileno(x->fp), 0) < 0 || fseeko(x->fp, 0, SEEK_SET) < 0) goto write_error;
        x->have = 0;
        x->etag[0] = 0;
        return 0; /* abort this transfer; the retry asks for everything */
      }
      if (at < x->have) {
        fflush(x->fp);
        if (ftruncate(fileno(x->fp), (off_t)at) < 0 || fseeko(x->fp, (off_t)at, SEEK_SET) < 0)
          goto write_error;
        x->have = at;
      }
    }
    if (fwrite(d, 1, n, x->fp) != n || fflush(x->fp) != 0) goto write_error;
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
write_error:
  x->write_failed = 1;
  x->write_errno = errno ? errno : EIO;
  return 0;
}

static size_t on_header(char *d, size_t sz, size_t nm, void *u) {
  vsc_pred *x = u;
  size_t n = sz * nm;
  x->last_io = vsc_clock_now();
  char line[512];
  snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line - 1 ? n : sizeof line - 1), d);
  if (!strncasecmp(line, "Retry-After:", 12)) x->retry_after = vsc_replicate_retry_after(line + 12);
  if (!strncasecmp(line, "ratelimit-reset:", 16)) x->rl_reset = vsc_replicate_retry_after(line + 16);
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
  return vsc_clock_now() - x->last_io > limit ? 1 : 0;
}

void rp_send(vsc_pred *x, const char *method, const char *url, const char *body, long timeout) {
  rp_provider *p = x->p;
  CURL *e = curl_easy_init();
  if (!e) {
    rp_set_fail(x, VSC_PRED_FAILED, VSC_FAIL_LOCAL, "replicate: out of memory");
    return;
  }
  free(x->resp);
  x->resp = NULL;
  x->resp_len = 0;
  x->retry_after = -1;
  x->rl_reset = -1;
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
  if (x->phase == PH_CREATE) {
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
  }
  if (x->phase == PH_UPLOAD && x->mime) curl_easy_setopt(e, CURLOPT_MIMEPOST, x->mime);
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
  curl_easy_setopt(e, CURLOPT_USERAGENT, "vsc-replicate/0.2");
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 15L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT, timeout);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L); /* a stalled body ends the transfer */
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, x->phase == PH_CREATE ? (long)p->wait + p->stall : p->stall);
  curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(e, CURLOPT_XFERINFODATA, x);
  x->last_io = vsc_clock_now();
  curl_easy_setopt(e, CURLOPT_PRIVATE, x);
  x->easy = e;
  curl_multi_add_handle(p->multi, e);
}

long rp_finish(vsc_pred *x) {
  long status = 0;
  curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
  curl_multi_remove_handle(x->p->multi, x->easy);
  curl_easy_cleanup(x->easy);
  x->easy = NULL;
  if (x->mime) {
    curl_mime_free(x->mime);
    x->mime = NULL;
  }
  return status;
}
