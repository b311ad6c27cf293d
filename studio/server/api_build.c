/*
** api_build.c (studio) — the build routes: start (202; queued behind a running build,
** 409 when that queue is full or already holds the same build), stop, unqueue, state, and
** the event stream (Server-Sent Events that replay the build's log from the
** start, then follow it; a new build restarts the stream at its "plan" event).
*/
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "studio.h"

enum MHD_Result studio_api_build_start(studio *st, struct MHD_Connection *c, const char *url,
                                       const studio_req *req) {
  (void)url;
  enum MHD_Result rc;
  json_t *body = studio_body_json(st, c, req, &rc);
  if (!body) return rc;
  const char *rel = json_string_value(json_object_get(body, "path"));
  const char *provider = json_string_value(json_object_get(body, "provider"));
  bool preview = json_is_true(json_object_get(body, "preview"));
  if (provider && strcmp(provider, "auto") && strcmp(provider, "local") &&
      strcmp(provider, "replicate")) {
    json_decref(body);
    return studio_reply_error(st, c, 400, "provider must be auto, local or replicate");
  }
  char abs[PATH_MAX], why[1024];
  if (studio_path_resolve(st, rel, true, abs, sizeof abs, why, sizeof why) != 0) {
    json_decref(body);
    return studio_reply_error(st, c, 403, "%s", why);
  }
  const char *dot = strrchr(abs, '.');
  if (!dot || strcmp(dot, ".vscript") != 0) {
    json_decref(body);
    return studio_reply_error(st, c, 400, "only .vscript files can be built");
  }
  int r = studio_build_start(st, abs, studio_path_rel(st, abs), provider, preview, why, sizeof why);
  json_decref(body);
  if (r == 1) return studio_reply_error(st, c, 409, "%s", why);
  if (r < 0) return studio_reply_error(st, c, 422, "%s", why);
  json_t *snap = studio_build_snapshot(st);
  json_object_set_new(snap, "queued", json_boolean(r == 2));
  return studio_reply_json(st, c, 202, snap);
}

enum MHD_Result studio_api_build_stop(studio *st, struct MHD_Connection *c, const char *url,
                                      const studio_req *req) {
  (void)url, (void)req;
  if (studio_build_stop(st) != 0) return studio_reply_error(st, c, 409, "no build is running");
  return studio_reply_json(st, c, 202, studio_build_snapshot(st));
}

enum MHD_Result studio_api_build_unqueue(studio *st, struct MHD_Connection *c, const char *url,
                                         const studio_req *req) {
  (void)url;
  enum MHD_Result rc;
  json_t *body = studio_body_json(st, c, req, &rc);
  if (!body) return rc;
  json_t *id = json_object_get(body, "id");
  bool ok = json_is_integer(id) && json_integer_value(id) > 0;
  unsigned long qid = ok ? (unsigned long)json_integer_value(id) : 0;
  json_decref(body);
  if (!ok) return studio_reply_error(st, c, 400, "give the queued build's id");
  if (studio_build_unqueue(st, qid) != 0)
    return studio_reply_error(st, c, 404, "build %lu is not queued (it may have started)", qid);
  return studio_reply_json(st, c, 200, studio_build_snapshot(st));
}

enum MHD_Result studio_api_build_state(studio *st, struct MHD_Connection *c, const char *url,
                                       const studio_req *req) {
  (void)url, (void)req;
  return studio_reply_json(st, c, 200, studio_build_snapshot(st));
}

/* ---- the event stream ---------------------------------------------------------------- */
typedef struct {
  studio *st;
  unsigned long build; /* the build being followed (0 = none yet) */
  size_t next;         /* its next event */
  char *pend;          /* serialised text not yet handed to MHD (owned) */
  size_t pend_len, pend_off;
} sse_stream;

/* Serialises the events from s->next on into s->pend. Caller holds the build lock. */
static void fill_locked(sse_stream *s) {
  studio_build *b = &s->st->build;
  size_t n = json_array_size(b->events), cap = 0;
  free(s->pend);
  s->pend = NULL;
  s->pend_len = s->pend_off = 0;
  for (; s->next < n; s->next++) {
    char *text = json_dumps(json_array_get(b->events, s->next), JSON_COMPACT | JSON_SORT_KEYS);
    if (!text) continue;
    size_t tl = strlen(text);
    studio_scrub(text, tl, s->st->secret);
    studio_scrub(text, tl, s->st->token);
    char head[64];
    int hl = snprintf(head, sizeof head, "id: %lu.%zu\ndata: ", b->id, s->next + 1);
    size_t need = s->pend_len + (size_t)hl + tl + 2;
    if (need > cap) {
      cap = need * 2;
      char *p = realloc(s->pend, cap);
      if (!p) {
        free(text);
        break;
      }
      s->pend = p;
    }
    memcpy(s->pend + s->pend_len, head, (size_t)hl);
    memcpy(s->pend + s->pend_len + hl, text, tl);
    memcpy(s->pend + s->pend_len + hl + tl, "\n\n", 2);
    s->pend_len = need;
    free(text);
    if (s->pend_len > 256 * 1024) {
      s->next++;
      break;
    }
  }
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  sse_stream *s = cls;
  if (s->pend_off < s->pend_len) {
    size_t n = s->pend_len - s->pend_off < max ? s->pend_len - s->pend_off : max;
    memcpy(buf, s->pend + s->pend_off, n);
    s->pend_off += n;
    return (ssize_t)n;
  }
  studio_build *b = &s->st->build;
  pthread_mutex_lock(&b->lock);
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += 15;
  for (;;) {
    if (b->closing) {
      pthread_mutex_unlock(&b->lock);
      return MHD_CONTENT_READER_END_OF_STREAM;
    }
    if (b->id != s->build) { /* a new build: follow it from its first event */
      s->build = b->id;
      s->next = 0;
    }
    if (s->next < json_array_size(b->events)) break;
    if (pthread_cond_timedwait(&b->cond, &b->lock, &until) == ETIMEDOUT) {
      pthread_mutex_unlock(&b->lock);
      static const char ping[] = ": keep-alive\n\n";
      size_t n = sizeof ping - 1 < max ? sizeof ping - 1 : max;
      memcpy(buf, ping, n);
      return (ssize_t)n;
    }
  }
  fill_locked(s);
  pthread_mutex_unlock(&b->lock);
  return sse_read(cls, pos, buf, max);
}

static void sse_free(void *cls) {
  sse_stream *s = cls;
  free(s->pend);
  free(s);
}

enum MHD_Result studio_api_build_events(studio *st, struct MHD_Connection *c, const char *url,
                                        const studio_req *req) {
  (void)url, (void)req;
  sse_stream *s = calloc(1, sizeof *s);
  if (!s) return MHD_NO;
  s->st = st;
  /* EventSource reconnects with the last id it saw: "BUILD.N" resumes after event N. */
  const char *last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
  unsigned long bid = 0;
  size_t n = 0;
  if (last && sscanf(last, "%lu.%zu", &bid, &n) == 2) {
    pthread_mutex_lock(&st->build.lock);
    if (bid == st->build.id) s->build = bid, s->next = n;
    pthread_mutex_unlock(&st->build.lock);
  }
  if (!s->build) {
    pthread_mutex_lock(&st->build.lock);
    s->build = st->build.id;
    pthread_mutex_unlock(&st->build.lock);
  }
  struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024,
                                                             sse_read, s, sse_free);
  if (!r) {
    sse_free(s);
    return MHD_NO;
  }
  MHD_add_response_header(r, "Content-Type", "text/event-stream");
  MHD_add_response_header(r, "Cache-Control", "no-store");
  MHD_add_response_header(r, "X-Accel-Buffering", "no");
  studio_secure_headers(r);
  enum MHD_Result rc = MHD_queue_response(c, 200, r);
  MHD_destroy_response(r);
  return rc;
}
