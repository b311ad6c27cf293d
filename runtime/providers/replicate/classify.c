/*
** classify.c — what an answer from Replicate means (runtime stage: providers): HTTP statuses
** and failure texts to failure kinds, and how long to wait from Retry-After, rate-limit
** headers or a 429's body.
*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "rp.h"

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
  if (end != v && (*end == 0 || *end == '\r' || *end == '\n' || *end == ' ')) return s < 0 ? 0 : s;
  time_t t = curl_getdate(v, NULL);
  if (t < 0) return -1;
  double d = difftime(t, time(NULL));
  return d < 0 ? 0 : d;
}

/* Replicate's 429 says "Your rate limit resets in ~30s." (seconds, sometimes "~1m"). */
double rp_reset_from_body(const char *body) {
  const char *at = body ? strstr(body, "resets in") : NULL;
  if (!at) return -1;
  at += 9;
  while (*at == ' ' || *at == '~') at++;
  if (!isdigit((unsigned char)*at)) return -1;
  char *end;
  double n = strtod(at, &end);
  if (*end == 'm') n *= 60;
  else if (*end == 'h') n *= 3600;
  return n < 0 ? -1 : n;
}
