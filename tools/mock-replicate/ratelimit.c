/*
** ratelimit.c — Replicate's rate limits, per account (the bearer token), not per model:
** creates and all other API requests each have a sliding one-minute window (scaled by
** --time-scale). Every API answer reports `ratelimit-remaining` and `ratelimit-reset`;
** a request over an enforced limit gets 429 with Replicate's body. Lock held throughout.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

/* Replicate's documented limits, reported in the headers when none is enforced. */
#define REPLICATE_CREATES_PER_MIN 600
#define REPLICATE_OTHER_PER_MIN 3000

typedef struct {
  double *t;
  int n, cap;
} window_t;

typedef struct {
  char key[17];  /* first 16 hex digits of the token's SHA-256: the token itself is not kept */
  window_t w[2]; /* [0] other requests, [1] creates */
} account_t;

static account_t *g_acc;
static int g_nacc;

static account_t *account(const char *token) {
  char hex[65];
  mock_sha256_hex(token ? token : "", token ? strlen(token) : 0, hex);
  hex[16] = 0;
  for (int i = 0; i < g_nacc; i++)
    if (!strcmp(g_acc[i].key, hex)) return &g_acc[i];
  account_t *na = realloc(g_acc, (size_t)(g_nacc + 1) * sizeof *na);
  if (!na) return NULL;
  g_acc = na;
  account_t *a = &g_acc[g_nacc++];
  memset(a, 0, sizeof *a);
  memcpy(a->key, hex, sizeof a->key); /* hex was cut at 16 digits */
  return a;
}

long mock_reset_secs(double secs) {
  long s = (long)ceil(secs - 1e-9);
  return s < 1 ? 1 : s;
}

json_t *mock_throttled_body(double secs) {
  char d[160];
  snprintf(d, sizeof d, "Request was throttled. Your rate limit resets in ~%lds.",
           mock_reset_secs(secs));
  return json_pack("{s:s, s:i, s:s}", "detail", d, "status", 429, "title",
                   "Request was throttled");
}

double mock_ratelimit_take(const char *token, int create, long *remaining, long *reset) {
  double now = mock_now(), span = mock_scaled(60);
  double limit = create ? g_mock.rate_limit : g_mock.rate_limit_other;
  double shown = limit > 0 ? limit : create ? REPLICATE_CREATES_PER_MIN
                                            : REPLICATE_OTHER_PER_MIN;
  account_t *a = account(token);
  *remaining = (long)shown;
  *reset = 1;
  if (!a) return 0;
  window_t *w = &a->w[create ? 1 : 0];
  int keep = 0;
  for (int i = 0; i < w->n; i++)
    if (now - w->t[i] < span) w->t[keep++] = w->t[i];
  w->n = keep;
  if (limit > 0 && w->n >= (int)limit) {
    double wait = w->t[0] + span - now;
    if (wait <= 0) wait = 1e-3;
    *remaining = 0;
    *reset = mock_reset_secs(wait);
    return wait;
  }
  if (w->n == w->cap) {
    int cap = w->cap ? w->cap * 2 : 64;
    double *nt = realloc(w->t, (size_t)cap * sizeof *nt);
    if (!nt) return 0;
    w->t = nt;
    w->cap = cap;
  }
  w->t[w->n++] = now;
  *remaining = (long)shown - w->n;
  if (*remaining < 0) *remaining = 0;
  *reset = mock_reset_secs(w->t[0] + span - now);
  return 0;
}

void mock_ratelimit_clear(void) {
  for (int i = 0; i < g_nacc; i++) {
    free(g_acc[i].w[0].t);
    free(g_acc[i].w[1].t);
  }
  free(g_acc);
  g_acc = NULL;
  g_nacc = 0;
}
