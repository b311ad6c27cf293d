/*
** http.c (studio) — replies: one function queues every text reply, adds the security
** headers and scrubs secrets out of the body; JSON bodies in and out.
*/
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "studio.h"

/* Scripts and styles only from the studio itself; inline styles are allowed because
 * Svelte sets style attributes. Media may be blob: (the song preview before upload). */
#define STUDIO_CSP \
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " \
  "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; " \
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

double studio_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void studio_secure_headers(struct MHD_Response *r) {
  MHD_add_response_header(r, "Content-Security-Policy", STUDIO_CSP);
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(r, "X-Frame-Options", "DENY");
  MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
  MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
}

void studio_scrub(char *buf, size_t len, const char *secret) {
  if (!secret || !*secret || !buf) return;
  size_t n = strlen(secret);
  if (n > len) return;
  for (size_t i = 0; i + n <= len; i++)
    if (buf[i] == secret[0] && memcmp(buf + i, secret, n) == 0) memset(buf + i, '*', n);
}

enum MHD_Result studio_reply(const studio *st, struct MHD_Connection *c, unsigned status,
                             const char *ctype, char *body, size_t len) {
  /* Neither the session token nor the provider's token may leave in a body. */
  studio_scrub(body, len, st->token);
  studio_scrub(body, len, st->secret);
  struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
  if (!r) {
    free(body);
    return MHD_NO;
  }
  MHD_add_response_header(r, "Content-Type", ctype);
  MHD_add_response_header(r, "Cache-Control", "no-store");
  studio_secure_headers(r);
  enum MHD_Result rc = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return rc;
}

enum MHD_Result studio_reply_json(const studio *st, struct MHD_Connection *c, unsigned status,
                                  json_t *o) {
  char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  if (!text) text = strdup("{\"error\":\"internal error\"}"), status = 500;
  if (!text) return MHD_NO;
  return studio_reply(st, c, status, "application/json; charset=utf-8", text, strlen(text));
}

enum MHD_Result studio_reply_error(const studio *st, struct MHD_Connection *c, unsigned status,
                                   const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return studio_reply_json(st, c, status, json_pack("{s:s}", "error", msg));
}

json_t *studio_body_json(const studio *st, struct MHD_Connection *c, const studio_req *req,
                         enum MHD_Result *rc) {
  json_error_t je;
  json_t *o = req->body ? json_loadb(req->body, req->len, 0, &je) : NULL;
  if (!json_is_object(o)) {
    json_decref(o);
    *rc = studio_reply_error(st, c, 400, "the request body must be a JSON object");
    return NULL;
  }
  return o;
}

const char *studio_arg(struct MHD_Connection *c, const char *name) {
  return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}
