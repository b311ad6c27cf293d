/*
** util.c — clocks, time formats, ids, randomness and logging for mock-replicate.
*/
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mock.h"

double mock_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts); /* wall clock: predictions outlive restarts (--state-file) */
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --time-scale: a 5-minute outage with F = 0.01 lasts 3 s. Every duration the mock applies
 * goes through here; the times it reports are the wall-clock ones that result. */
double mock_scaled(double seconds) { return seconds * g_mock.time_scale; }

void mock_iso8601(double t, char *buf, size_t n) {
  time_t s = (time_t)t;
  long us = (long)((t - (double)s) * 1e6);
  if (us < 0) us = 0;
  if (us > 999999) us = 999999;
  struct tm tm;
  gmtime_r(&s, &tm);
  char head[32];
  strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf, n, "%s.%06ldZ", head, us);
}

/* Parses "YYYY-MM-DDTHH:MM:SS[.frac][Z|±HH:MM]" (the subset clients send). */
int mock_parse_iso8601(const char *s, double *out) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  int y, mo, d, h = 0, mi = 0, n = 0;
  double sec = 0;
  if (sscanf(s, "%d-%d-%d%n", &y, &mo, &d, &n) != 3) return -1;
  const char *p = s + n;
  if (*p == 'T' || *p == ' ') {
    int m2 = 0;
    if (sscanf(p + 1, "%d:%d:%lf%n", &h, &mi, &sec, &m2) < 2) return -1;
    p += 1 + m2;
  }
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  double t = (double)timegm(&tm) + sec;
  if (*p == '+' || *p == '-') {
    int oh = 0, om = 0;
    if (sscanf(p + 1, "%d:%d", &oh, &om) < 1) return -1;
    double off = oh * 3600.0 + om * 60.0;
    t += (*p == '+') ? -off : off;
  }
  *out = t;
  return 0;
}

void mock_http_date(double t, char *buf, size_t n) {
  time_t s = (time_t)t;
  struct tm tm;
  gmtime_r(&s, &tm);
  static const char *days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char *mons[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  snprintf(buf, n, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
           mons[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* xorshift64*: seeded by --seed, so fault probabilities are reproducible. Lock held. */
static unsigned long long next_rand(void) {
  unsigned long long x = g_mock.rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  g_mock.rng = x;
  return x * 2685821657736338717ULL;
}

double mock_rand01(void) { return (double)(next_rand() >> 11) / 9007199254740992.0; }

/* Ids look like Replicate's: 26 lower-case base-32 characters. */
void mock_new_id(char out[32]) {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  static unsigned long long salt;
  if (!salt) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    salt = (unsigned long long)ts.tv_nsec ^ ((unsigned long long)ts.tv_sec << 20) ^
           (unsigned long long)getpid() << 40;
  }
  unsigned char buf[64];
  int n = snprintf((char *)buf, sizeof buf, "%llu:%ld:%llu", salt, g_mock.next_seq, next_rand());
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256(buf, (size_t)n, h);
  for (int i = 0; i < 26; i++) out[i] = alphabet[h[i] & 31];
  out[26] = 0;
}

void mock_sleep(double seconds) {
  while (seconds > 0 && !g_stopping) {
    double step = seconds < 0.02 ? seconds : 0.02;
    struct timespec ts = {(time_t)step, (long)((step - (double)(time_t)step) * 1e9)};
    nanosleep(&ts, NULL);
    seconds -= step;
  }
}

void mock_sha256_hex(const void *data, size_t n, char out[65]) {
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256(data, n, h);
  for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) sprintf(out + 2 * i, "%02x", h[i]);
  out[64] = 0;
}

void mock_log(const char *fmt, ...) {
  if (!g_mock.verbose) return;
  va_list ap;
  va_start(ap, fmt);
  fputs("mock-replicate: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}
