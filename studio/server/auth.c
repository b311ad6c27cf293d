/*
** auth.c (studio) — who may talk to the studio: the session token (random, compared in
** constant time, carried by a header or a cookie) and the Host/Origin checks that keep
** other web sites and DNS-rebinding pages out.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "studio.h"

int studio_token_new(studio *st, char *err, size_t errlen) {
  unsigned char raw[STUDIO_TOKEN_HEX / 2];
  size_t got = 0;
  while (got < sizeof raw) {
    ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      snprintf(err, errlen, "no random bytes for the session token: %s", strerror(errno));
      return -1;
    }
    got += (size_t)n;
  }
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < sizeof raw; i++) {
    st->token[2 * i] = hex[raw[i] >> 4];
    st->token[2 * i + 1] = hex[raw[i] & 15];
  }
  st->token[STUDIO_TOKEN_HEX] = 0;
  return 0;
}

bool studio_token_ok(const studio *st, const char *presented) {
  if (!presented) return false;
  /* Every byte of the expected token is compared whatever the input: the time does not
   * tell how much of a guess was right. The length check leaks only the length, which is
   * public (64). */
  size_t n = strnlen(presented, STUDIO_TOKEN_HEX + 1);
  unsigned char diff = (unsigned char)(n != STUDIO_TOKEN_HEX);
  for (size_t i = 0; i < STUDIO_TOKEN_HEX; i++) {
    unsigned char p = i < n ? (unsigned char)presented[i] : 0;
    diff |= (unsigned char)(p ^ (unsigned char)st->token[i]);
  }
  return diff == 0;
}

const char *studio_token_of(struct MHD_Connection *c) {
  const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Vsc-Token");
  if (h) return h;
  return MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "vsc_token");
}

void studio_origin_init(studio *st, const char *host, int port) {
  st->nhost_ok = st->norigin_ok = 0;
  const char *names[3] = {host, NULL, NULL};
  int n = 1;
  if (strcmp(host, "127.0.0.1") == 0) names[n++] = "localhost";
  for (int i = 0; i < n; i++) {
    snprintf(st->host_ok[st->nhost_ok++], sizeof st->host_ok[0], "%s:%d", names[i], port);
    snprintf(st->origin_ok[st->norigin_ok++], sizeof st->origin_ok[0], "http://%s:%d", names[i],
             port);
  }
}

static bool one_of(const char *v, const char (*list)[128], int n) {
  for (int i = 0; i < n; i++)
    if (strcmp(v, list[i]) == 0) return true;
  return false;
}

static bool origin_in(const char *v, const char (*list)[160], int n) {
  for (int i = 0; i < n; i++)
    if (strcmp(v, list[i]) == 0) return true;
  return false;
}

bool studio_origin_ok(const studio *st, struct MHD_Connection *c, const char *method) {
  const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
  /* A rebinding page reaches us under its own name: the Host header gives it away. */
  if (!host || !one_of(host, st->host_ok, st->nhost_ok)) return false;
  const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
  if (origin && !origin_in(origin, st->origin_ok, st->norigin_ok)) return false;
  /* Browsers say where a request came from; anything but our own pages (or a typed URL)
   * is refused, even for GETs (a cross-site <img> or <video> would carry the cookie). */
  const char *site = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
  if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0) return false;
  /* A state-changing request must say where it came from (browsers always send Origin on
   * a cross-origin or non-GET fetch), unless it is a non-browser client using the header. */
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 && !origin &&
      !MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Vsc-Token"))
    return false;
  return true;
}
