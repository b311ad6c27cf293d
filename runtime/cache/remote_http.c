/*
** The HTTP store of the shared cache (runtime/cache): GET, HEAD, PUT and DELETE of
** BASE/cas/<sha256> and BASE/ac/<key> with libcurl, as bazel-remote, nginx's DAV module
** or any S3-style gateway serve them. Handles are kept for reuse (one connection each) and
** taken by one thread at a time. Credentials go to libcurl apart from the URL, so no
** message (libcurl's included) ever holds them; redirects are not followed, so they are
** never sent anywhere else.
*/
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remote_impl.h"
#include "vsc/vsc_err.h"

#define IDLE_MAX 8

typedef struct {
  rc_store base;
  char url[2048]; /* scheme://host[:port][/prefix], no credentials */
  char *user, *pass;
  struct curl_slist *auth; /* "Authorization: Bearer …" or NULL */
  pthread_mutex_t mu;
  CURL *idle[IDLE_MAX];
  int nidle;
} http_store;

static CURL *take(http_store *h) {
  pthread_mutex_lock(&h->mu);
  CURL *c = h->nidle > 0 ? h->idle[--h->nidle] : NULL;
  pthread_mutex_unlock(&h->mu);
  if (c) curl_easy_reset(c);
  else c = curl_easy_init();
  return c;
}

static void give_back(http_store *h, CURL *c) {
  pthread_mutex_lock(&h->mu);
  if (h->nidle < IDLE_MAX) {
    h->idle[h->nidle++] = c;
    c = NULL;
  }
  pthread_mutex_unlock(&h->mu);
  if (c) curl_easy_cleanup(c);
}

typedef struct {
  char *buf;
  size_t len, cap, max;
  bool over;
  int fd; /* download target, or -1 */
  bool werr;
  const char *src; /* upload from memory */
  size_t slen, soff;
} xfer;

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  xfer *x = ud;
  size_t len = size * n;
  if (x->fd >= 0) {
    for (size_t off = 0; off < len;) {
      ssize_t w = write(x->fd, p + off, len - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        x->werr = true;
        return 0;
      }
      off += (size_t)w;
    }
    return len;
  }
  if (x->len + len > x->max) {
    x->over = true;
    return 0;
  }
  if (x->len + len + 1 > x->cap) {
    size_t nc = (x->len + len + 1) * 2;
    char *nb = realloc(x->buf, nc);
    if (!nb) return 0;
    x->buf = nb;
    x->cap = nc;
  }
  memcpy(x->buf + x->len, p, len);
  x->len += len;
  x->buf[x->len] = 0;
  return len;
}

static size_t on_read(char *p, size_t size, size_t n, void *ud) {
  xfer *x = ud;
  size_t len = size * n, left = x->slen - x->soff;
  if (len > left) len = left;
  memcpy(p, x->src + x->soff, len);
  x->soff += len;
  return len;
}

/* One request on a fresh or reused handle. Returns the HTTP status, or -1 (err). */
static long request(http_store *h, const char *method, const char *name, xfer *x, FILE *upload, curl_off_t upsize,
                    bool once, bool big, char *err, size_t errlen) {
  CURL *c = take(h);
  if (!c) return vsc_err_set(err, errlen, "cannot start an HTTP request");
  char url[2300], ebuf[CURL_ERROR_SIZE] = "";
  snprintf(url, sizeof url, "%s/%s", h->url, name);
  struct curl_slist *hdrs = NULL;
  for (struct curl_slist *a = h->auth; a; a = a->next) hdrs = curl_slist_append(hdrs, a->data);
  hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
  if (once) hdrs = curl_slist_append(hdrs, "If-None-Match: *");
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
  /* A stalled transfer is a failure; a big one that moves is not. */
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
  if (!big) curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "vsc-remote-cache/1");
  if (h->user) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, h->user);
    curl_easy_setopt(c, CURLOPT_PASSWORD, h->pass ? h->pass : "");
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
  if (!strcmp(method, "HEAD")) {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (!strcmp(method, "PUT")) {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    if (upload) {
      curl_easy_setopt(c, CURLOPT_READDATA, upload);
    } else {
      curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(c, CURLOPT_READDATA, x);
    }
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, upsize);
  } else if (strcmp(method, "GET") != 0) {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  }
  CURLcode cc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(hdrs);
  give_back(h, c);
  if (x->werr) return vsc_err_set(err, errlen, "%s %s: writing the download: %s", method, name, strerror(errno));
  if (x->over) return vsc_err_set(err, errlen, "%s %s: answer too large", method, name);
  if (cc != CURLE_OK) return vsc_err_set(err, errlen, "%s %s: %s", method, name, ebuf[0] ? ebuf : curl_easy_strerror(cc));
  return status;
}

static int status_error(long st, const char *method, const char *name, char *err, size_t errlen) {
  if (st == 401 || st == 403)
    return vsc_err_set(err, errlen, "%s %s: HTTP %ld (the server refused our credentials)", method, name, st);
  return vsc_err_set(err, errlen, "%s %s: HTTP %ld", method, name, st);
}

static int http_get(rc_store *s, const char *name, const char *dest, char **body, size_t *len, size_t max, char *err,
                    size_t errlen) {
  http_store *h = (http_store *)s;
  xfer x = {.fd = -1, .max = max};
  if (dest) {
    x.fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (x.fd < 0) return vsc_err_set(err, errlen, "%s: %s", dest, strerror(errno));
  }
  long st = request(h, "GET", name, &x, NULL, 0, false, dest != NULL, err, errlen);
  if (x.fd >= 0 && close(x.fd) != 0 && st == 200) st = vsc_err_set(err, errlen, "%s: %s", dest, strerror(errno));
  if (st == 200) {
    if (body) {
      *body = x.buf ? x.buf : strdup("");
      *len = x.len;
    }
    return 1;
  }
  free(x.buf);
  if (dest) unlink(dest);
  if (st == 404) return 0;
  return st < 0 ? -1 : status_error(st, "GET", name, err, errlen);
}

static int http_exists(rc_store *s, const char *name, char *err, size_t errlen) {
  xfer x = {.fd = -1, .max = 0};
  long st = request((http_store *)s, "HEAD", name, &x, NULL, 0, false, false, err, errlen);
  free(x.buf);
  if (st == 200) return 1;
  if (st == 404) return 0;
  return st < 0 ? -1 : status_error(st, "HEAD", name, err, errlen);
}

static int http_put(rc_store *s, const char *name, const char *src, const void *data, size_t len, bool once,
                    char *err, size_t errlen) {
  xfer x = {.fd = -1, .max = 64 * 1024, .src = data, .slen = len};
  FILE *f = NULL;
  curl_off_t size = (curl_off_t)len;
  if (src) {
    f = fopen(src, "rb");
    struct stat sst;
    if (!f || fstat(fileno(f), &sst) != 0) {
      if (f) fclose(f);
      return vsc_err_set(err, errlen, "%s: %s", src, strerror(errno));
    }
    size = (curl_off_t)sst.st_size;
  }
  long st = request((http_store *)s, "PUT", name, &x, f, size, once, src != NULL, err, errlen);
  if (f) fclose(f);
  free(x.buf);
  if (st == 200 || st == 201 || st == 204) return 0;
  if (st == 412) return 1; /* created once, by someone else first */
  return st < 0 ? -1 : status_error(st, "PUT", name, err, errlen);
}

static int http_remove(rc_store *s, const char *name, char *err, size_t errlen) {
  xfer x = {.fd = -1, .max = 64 * 1024};
  long st = request((http_store *)s, "DELETE", name, &x, NULL, 0, false, false, err, errlen);
  free(x.buf);
  if (st == 200 || st == 202 || st == 204 || st == 404) return 0;
  return st < 0 ? -1 : status_error(st, "DELETE", name, err, errlen);
}

static void http_destroy(rc_store *s) {
  http_store *h = (http_store *)s;
  for (int i = 0; i < h->nidle; i++) curl_easy_cleanup(h->idle[i]);
  curl_slist_free_all(h->auth);
  free(h->user);
  if (h->pass) {
    explicit_bzero(h->pass, strlen(h->pass));
    free(h->pass);
  }
  pthread_mutex_destroy(&h->mu);
  free(h);
  curl_global_cleanup();
}

static const rc_store_vt http_vt = {http_get, http_exists, http_put, http_remove, http_destroy};

int rc_http_open(rc_store **out, const char *base, const char *user, const char *pass, const char *token, char *err,
                 size_t errlen) {
  *out = NULL;
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) return vsc_err_set(err, errlen, "libcurl cannot start");
  http_store *h = calloc(1, sizeof *h);
  if (!h) {
    curl_global_cleanup();
    return vsc_err_set(err, errlen, "out of memory");
  }
  h->base.vt = &http_vt;
  snprintf(h->url, sizeof h->url, "%s", base);
  pthread_mutex_init(&h->mu, NULL);
  if (user) {
    h->user = strdup(user);
    h->pass = strdup(pass ? pass : "");
  }
  if (token) {
    char line[4200];
    snprintf(line, sizeof line, "Authorization: Bearer %.4000s", token);
    h->auth = curl_slist_append(NULL, line);
    explicit_bzero(line, sizeof line);
  }
  *out = &h->base;
  return 0;
}
