/*
** The shared cache's protocol (runtime/cache): action entries and blobs on a store
** (remote_http.c, remote_dir.c), what a fetch verifies, when the remote cache switches
** itself off, and the warnings it leaves for the scheduler. See vsc/vsc_rcache.h.
*/
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remote_impl.h"
#include "vsc/vsc_err.h"
#include "vsc/vsc_rcache.h"
#include "vsc/vsc_sha256.h"

#define MAX_WARNINGS 16
#define MAX_BAD 64
#define AC_MAX (1u << 20) /* an action entry is a few hundred bytes; more is not one */

struct vsc_rcache {
  rc_store *store;
  char name[2048]; /* the URL without credentials */
  pthread_mutex_t mu;
  bool off; /* a failure switched it off for this run */
  char warnings[MAX_WARNINGS][600];
  int nwarn;
  char bad[MAX_BAD][65]; /* blobs found corrupt: a store overwrites them */
  int nbad;
};

static void warn(vsc_rcache *rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(vsc_rcache *rc, const char *fmt, ...) {
  pthread_mutex_lock(&rc->mu);
  if (rc->nwarn < MAX_WARNINGS) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rc->warnings[rc->nwarn++], sizeof rc->warnings[0], fmt, ap);
    va_end(ap);
  }
  pthread_mutex_unlock(&rc->mu);
}

/* A failure of the store: the first one switches the remote cache off, with its warning
 * (later ones, already in flight on other threads, say nothing more). */
static void fail(vsc_rcache *rc, const char *what) {
  pthread_mutex_lock(&rc->mu);
  bool first = !rc->off;
  rc->off = true;
  pthread_mutex_unlock(&rc->mu);
  if (first) warn(rc, "remote cache %s: %s: continuing with the local cache only", rc->name, what);
}

bool vsc_rcache_usable(vsc_rcache *rc) {
  pthread_mutex_lock(&rc->mu);
  bool on = !rc->off;
  pthread_mutex_unlock(&rc->mu);
  return on;
}

int vsc_rcache_take_warning(vsc_rcache *rc, char *buf, size_t len) {
  pthread_mutex_lock(&rc->mu);
  int got = rc->nwarn > 0;
  if (got) {
    snprintf(buf, len, "%s", rc->warnings[0]);
    memmove(rc->warnings[0], rc->warnings[1], (size_t)(rc->nwarn - 1) * sizeof rc->warnings[0]);
    rc->nwarn--;
  }
  pthread_mutex_unlock(&rc->mu);
  return got;
}

const char *vsc_rcache_name(const vsc_rcache *rc) { return rc->name; }

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Percent-decodes src[0..n) into out (user names and passwords in URLs are encoded). */
static void pct_decode(const char *src, size_t n, char *out, size_t len) {
  size_t o = 0;
  for (size_t i = 0; i < n && o + 1 < len; i++) {
    if (src[i] == '%' && i + 2 < n && hexval(src[i + 1]) >= 0 && hexval(src[i + 2]) >= 0) {
      out[o++] = (char)(hexval(src[i + 1]) * 16 + hexval(src[i + 2]));
      i += 2;
    } else {
      out[o++] = src[i];
    }
  }
  out[o] = 0;
}

/* http(s)://[user[:pass]@]host[:port][/prefix]: the base URL without credentials, and
 * the credentials apart. */
static int open_http(vsc_rcache *rc, const char *url, char *err, size_t errlen) {
  const char *scheme_end = strstr(url, "://") + 3;
  const char *path = strchr(scheme_end, '/');
  size_t alen = path ? (size_t)(path - scheme_end) : strlen(scheme_end);
  const char *at = NULL; /* the last '@' of the authority: a password may hold one */
  for (size_t i = 0; i < alen; i++)
    if (scheme_end[i] == '@') at = scheme_end + i;
  char user[512] = "", pass[512] = "";
  bool creds = at != NULL;
  if (at) {
    const char *colon = memchr(scheme_end, ':', (size_t)(at - scheme_end));
    size_t ulen = colon ? (size_t)(colon - scheme_end) : (size_t)(at - scheme_end);
    pct_decode(scheme_end, ulen, user, sizeof user);
    if (colon) pct_decode(colon + 1, (size_t)(at - colon - 1), pass, sizeof pass);
  }
  const char *host = at ? at + 1 : scheme_end;
  size_t hlen = (size_t)(scheme_end + alen - host);
  if (hlen == 0) return vsc_err_set(err, errlen, "remote cache URL without a host");
  size_t plen = path ? strlen(path) : 0;
  while (plen > 0 && path[plen - 1] == '/') plen--; /* "http://h/p/" is "http://h/p" */
  int w = snprintf(rc->name, sizeof rc->name, "%.*s%.*s%.*s", (int)(scheme_end - url), url, (int)hlen, host,
                   (int)plen, path ? path : "");
  if (w < 0 || (size_t)w >= sizeof rc->name) return vsc_err_set(err, errlen, "remote cache URL too long");
  /* One Authorization header: the URL's own credentials are the more specific choice. */
  const char *token = creds ? NULL : getenv("VSC_REMOTE_CACHE_TOKEN");
  int rcode = rc_http_open(&rc->store, rc->name, creds ? user : NULL, creds ? pass : NULL,
                           token && *token ? token : NULL, err, errlen);
  explicit_bzero(pass, sizeof pass);
  return rcode;
}

int vsc_rcache_open(vsc_rcache **out, const char *url, char *err, size_t errlen) {
  *out = NULL;
  if (!url || !*url) return vsc_err_set(err, errlen, "empty remote cache URL");
  if (strlen(url) > 1800) return vsc_err_set(err, errlen, "remote cache URL too long");
  vsc_rcache *rc = calloc(1, sizeof *rc);
  if (!rc) return vsc_err_set(err, errlen, "out of memory");
  pthread_mutex_init(&rc->mu, NULL);
  int rcode;
  if (!strncmp(url, "http://", 7) || !strncmp(url, "https://", 8)) {
    rcode = open_http(rc, url, err, errlen);
  } else if (!strncmp(url, "file://", 7)) {
    /* file:///dir (an empty authority) or file://localhost/dir */
    const char *p = url + 7;
    if (!strncmp(p, "localhost/", 10)) p += 9;
    if (*p != '/') {
      rcode = vsc_err_set(err, errlen, "a file URL of a remote cache names an absolute directory (file:///dir)");
    } else {
      snprintf(rc->name, sizeof rc->name, "%s", p);
      rcode = rc_dir_open(&rc->store, p, err, errlen);
    }
  } else if (strstr(url, "://")) {
    rcode = vsc_err_set(err, errlen, "remote cache '%.*s…': not a URL vsc can use (http://, https://, file:// or a "
                                     "directory)",
                        (int)(strstr(url, "://") - url + 3), url);
  } else {
    snprintf(rc->name, sizeof rc->name, "%s", url);
    rcode = rc_dir_open(&rc->store, url, err, errlen);
  }
  if (rcode != 0) {
    vsc_rcache_close(rc);
    return -1;
  }
  *out = rc;
  return 0;
}

void vsc_rcache_close(vsc_rcache *rc) {
  if (!rc) return;
  if (rc->store) rc->store->vt->destroy(rc->store);
  pthread_mutex_destroy(&rc->mu);
  free(rc);
}

static bool is_ext(const char *s) {
  if (!s || !*s || strlen(s) > 8) return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))) return false;
  return true;
}

static void mark_bad(vsc_rcache *rc, const char *sha) {
  pthread_mutex_lock(&rc->mu);
  if (rc->nbad < MAX_BAD) snprintf(rc->bad[rc->nbad++], sizeof rc->bad[0], "%s", sha);
  pthread_mutex_unlock(&rc->mu);
}

static bool is_bad(vsc_rcache *rc, const char *sha) {
  pthread_mutex_lock(&rc->mu);
  bool bad = false;
  for (int i = 0; i < rc->nbad && !bad; i++) bad = !strcmp(rc->bad[i], sha);
  pthread_mutex_unlock(&rc->mu);
  return bad;
}

/* The action entry of `key` (new reference, validated), NULL when absent or failed (*st:
 * 0 absent, -1 failed, -2 invalid with why). */
static json_t *get_entry(vsc_rcache *rc, const char *key, int *st, char *why, size_t whylen) {
  char name[80], err[1024];
  snprintf(name, sizeof name, "ac/%s", key);
  char *body = NULL;
  size_t len = 0;
  int g = rc->store->vt->get(rc->store, name, NULL, &body, &len, AC_MAX, err, sizeof err);
  if (g <= 0) {
    if (g < 0) fail(rc, err);
    *st = g;
    return NULL;
  }
  json_error_t je;
  json_t *ac = json_loadb(body, len, 0, &je);
  free(body);
  const char *bad = NULL;
  if (!json_is_object(ac)) bad = "not JSON";
  else if (strcmp(json_string_value(json_object_get(ac, "format")) ? json_string_value(json_object_get(ac, "format")) : "", "vsc-ac") != 0 ||
           json_integer_value(json_object_get(ac, "version")) != 1)
    bad = "not a vsc action entry of version 1";
  else if (strcmp(json_string_value(json_object_get(ac, "key")) ? json_string_value(json_object_get(ac, "key")) : "", key) != 0)
    bad = "it names another key";
  else if (!vsc_sha256_is_hex(json_string_value(json_object_get(ac, "sha256"))) ||
           !is_ext(json_string_value(json_object_get(ac, "ext"))) || !json_is_integer(json_object_get(ac, "size")) ||
           json_integer_value(json_object_get(ac, "size")) < 0 || !json_is_object(json_object_get(ac, "info")))
    bad = "a field is missing or malformed";
  if (bad) {
    snprintf(why, whylen, "action entry ac/%.12s… is invalid (%s): deleted", key, bad);
    json_decref(ac);
    rc->store->vt->remove(rc->store, name, err, sizeof err);
    *st = -2;
    return NULL;
  }
  *st = 1;
  return ac;
}

int vsc_rcache_fetch(vsc_rcache *rc, vsc_cache *local, const char *key, vsc_cache_entry *e, char *why,
                     size_t whylen) {
  memset(e, 0, sizeof *e);
  if (why && whylen) why[0] = 0;
  if (!vsc_sha256_is_hex(key) || !vsc_rcache_usable(rc)) return VSC_CACHE_MISS;
  int st;
  char wbuf[600];
  json_t *ac = get_entry(rc, key, &st, wbuf, sizeof wbuf);
  if (!ac) {
    if (st == -2 && why) snprintf(why, whylen, "%s", wbuf);
    return st == -2 ? VSC_CACHE_CORRUPT : VSC_CACHE_MISS;
  }
  const char *sha = json_string_value(json_object_get(ac, "sha256"));
  const char *ext = json_string_value(json_object_get(ac, "ext"));
  uint64_t want = (uint64_t)json_integer_value(json_object_get(ac, "size"));
  char blob[80], tmp[4096], err[1024], got[65] = "";
  snprintf(blob, sizeof blob, "cas/%s", sha);
  int result = VSC_CACHE_MISS;
  bool ok = false;
  char bad[300] = "";
  /* A blob that arrives wrong is fetched once more (a transfer may have mangled it); wrong
   * twice, it is wrong where it is kept. */
  for (int attempt = 0; attempt < 2 && !ok; attempt++) {
    if (vsc_cache_tmp_path(local, key, ext, tmp, sizeof tmp) != 0) break;
    int g = rc->store->vt->get(rc->store, blob, tmp, NULL, NULL, 0, err, sizeof err);
    if (g <= 0) {
      unlink(tmp);
      if (g < 0) fail(rc, err);
      /* g == 0: the entry names a blob that is gone (collected): a miss */
      bad[0] = 0;
      break;
    }
    uint64_t size = 0;
    char herr[256];
    if (vsc_sha256_file(tmp, got, &size, herr, sizeof herr) != 0) {
      unlink(tmp);
      snprintf(bad, sizeof bad, "%s", herr);
      continue;
    }
    if (strcmp(got, sha) == 0 && size == want) {
      ok = true;
      break;
    }
    unlink(tmp);
    if (size != want)
      snprintf(bad, sizeof bad, "blob cas/%.12s… has %llu bytes, its entry says %llu", sha, (unsigned long long)size,
               (unsigned long long)want);
    else
      snprintf(bad, sizeof bad, "blob cas/%.12s… hashes to %.12s…", sha, got);
  }
  if (ok) {
    json_t *info = json_deep_copy(json_object_get(ac, "info"));
    json_object_set_new(info, "fetched", json_string("remote"));
    if (vsc_cache_commit(local, key, tmp, ext, info, e, err, sizeof err) == 0) {
      result = VSC_CACHE_HIT;
    } else {
      if (why) snprintf(why, whylen, "storing what the remote cache had: %s", err);
      result = -1;
    }
    json_decref(info);
  } else if (bad[0]) {
    /* Never used: deleted where it is kept (best effort; a store overwrites it anyway). */
    mark_bad(rc, sha);
    rc->store->vt->remove(rc->store, blob, err, sizeof err);
    char acname[80];
    snprintf(acname, sizeof acname, "ac/%s", key);
    rc->store->vt->remove(rc->store, acname, err, sizeof err);
    if (why) snprintf(why, whylen, "%s: corrupt, deleted from the remote cache", bad);
    result = VSC_CACHE_CORRUPT;
  }
  json_decref(ac);
  return result;
}

json_t *vsc_rcache_info(vsc_rcache *rc, const char *key) {
  if (!vsc_sha256_is_hex(key) || !vsc_rcache_usable(rc)) return NULL;
  int st;
  char why[600];
  json_t *ac = get_entry(rc, key, &st, why, sizeof why);
  json_t *info = ac ? json_incref(json_object_get(ac, "info")) : NULL;
  json_decref(ac);
  return info;
}

int vsc_rcache_store(vsc_rcache *rc, const char *key, const char *ext, const vsc_cache_entry *e) {
  if (!vsc_sha256_is_hex(key) || !vsc_sha256_is_hex(e->sha256) || !is_ext(ext) || !vsc_rcache_usable(rc)) return -1;
  char blob[80], acname[80], err[1024];
  snprintf(blob, sizeof blob, "cas/%s", e->sha256);
  snprintf(acname, sizeof acname, "ac/%s", key);
  int have = is_bad(rc, e->sha256) ? 0 : rc->store->vt->exists(rc->store, blob, err, sizeof err);
  if (have < 0 || (have == 0 && rc->store->vt->put(rc->store, blob, e->path, NULL, 0, false, err, sizeof err) < 0)) {
    fail(rc, err);
    return -1;
  }
  json_t *info = e->info ? json_deep_copy(e->info) : json_object();
  json_object_del(info, "fetched");
  json_t *ac = json_pack("{s:s, s:i, s:s, s:s, s:s, s:I, s:o}", "format", "vsc-ac", "version", 1, "key", key, "ext",
                         ext, "sha256", e->sha256, "size", (json_int_t)e->size, "info", info);
  char *text = ac ? json_dumps(ac, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
  json_decref(ac);
  if (!text) {
    fail(rc, "out of memory");
    return -1;
  }
  /* Created once: an entry already there is someone else's equivalent result. */
  int put = rc->store->vt->put(rc->store, acname, NULL, text, strlen(text), true, err, sizeof err);
  free(text);
  if (put < 0) {
    fail(rc, err);
    return -1;
  }
  return 0;
}
