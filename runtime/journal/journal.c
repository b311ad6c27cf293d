/*
** The run journal (runtime stage "journal"): an append-only JSON-lines file in the cache
** directory. Every paid call is written *before* the request (intent), as soon as the
** provider names it (started + prediction id), and when it ends (done + outcome + cost);
** each line is written with one write(2) on an O_APPEND descriptor and fsync'd before the
** caller goes on, so a kill -9 at any point leaves at most one torn last line, which the
** reader skips. docs/runtime.md lists every record type.
*/
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "vsc/vsc_runtime.h"
#include "vsc/vsc_err.h"

struct vsc_journal {
  int fd;
  pthread_mutex_t mu; /* one line at a time, in order */
};

int vsc_journal_open(vsc_journal **out, const char *path, char *err, size_t errlen) {
  *out = NULL;
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd < 0) return vsc_err_set(err, errlen, "%s: %s", path, strerror(errno));
  vsc_journal *j = calloc(1, sizeof *j);
  if (!j) {
    close(fd);
    return vsc_err_set(err, errlen, "out of memory");
  }
  j->fd = fd;
  pthread_mutex_init(&j->mu, NULL);
  *out = j;
  return 0;
}

void vsc_journal_close(vsc_journal *j) {
  if (!j) return;
  close(j->fd);
  pthread_mutex_destroy(&j->mu);
  free(j);
}

static void now_iso(char out[40]) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  struct tm tm;
  gmtime_r(&tv.tv_sec, &tm);
  char base[32];
  strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out, 40, "%s.%03dZ", base, (int)(tv.tv_usec / 1000));
}

int vsc_journal_append(vsc_journal *j, json_t *rec, char *err, size_t errlen) {
  return vsc_journal_write(j, rec, true, err, errlen);
}

int vsc_journal_sync(vsc_journal *j, char *err, size_t errlen) {
  pthread_mutex_lock(&j->mu);
  int rc = fdatasync(j->fd) == 0 ? 0 : vsc_err_set(err, errlen, "journal: fsync: %s", strerror(errno));
  pthread_mutex_unlock(&j->mu);
  return rc;
}

int vsc_journal_write(vsc_journal *j, json_t *rec, bool sync, char *err, size_t errlen) {
  char ts[40];
  now_iso(ts);
  json_t *copy = json_copy(rec);
  if (!copy) return vsc_err_set(err, errlen, "out of memory");
  json_object_set_new(copy, "time", json_string(ts));
  char *text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
  json_decref(copy);
  if (!text) return vsc_err_set(err, errlen, "out of memory");
  size_t len = strlen(text);
  char *line = realloc(text, len + 2);
  if (!line) {
    free(text);
    return vsc_err_set(err, errlen, "out of memory");
  }
  line[len] = '\n';
  line[len + 1] = 0;
  int rc = 0;
  pthread_mutex_lock(&j->mu);
  size_t off = 0;
  while (off < len + 1) {
    ssize_t w = write(j->fd, line + off, len + 1 - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      rc = vsc_err_set(err, errlen, "journal: write: %s", strerror(errno));
      break;
    }
    off += (size_t)w;
  }
  if (rc == 0 && sync && fdatasync(j->fd) != 0)
    rc = vsc_err_set(err, errlen, "journal: fsync: %s", strerror(errno));
  pthread_mutex_unlock(&j->mu);
  free(line);
  return rc;
}

int vsc_journal_read(json_t **out, const char *path, char *err, size_t errlen) {
  *out = NULL;
  json_t *arr = json_array();
  FILE *f = fopen(path, "r");
  if (!f) {
    if (errno == ENOENT) {
      *out = arr;
      return 0;
    }
    json_decref(arr);
    return vsc_err_set(err, errlen, "%s: %s", path, strerror(errno));
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, f)) > 0) {
    /* A line without its newline was being written when the process died. */
    if (line[n - 1] != '\n') break;
    json_t *rec = json_loadb(line, (size_t)n, 0, NULL);
    if (json_is_object(rec) && json_is_string(json_object_get(rec, "t")))
      json_array_append_new(arr, rec);
    else
      json_decref(rec);
  }
  free(line);
  fclose(f);
  *out = arr;
  return 0;
}

static const char *str(const json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

json_t *vsc_journal_open_calls(const json_t *records) {
  json_t *open = json_object();
  size_t i;
  json_t *rec;
  json_array_foreach(records, i, rec) {
    const char *t = str(rec, "t"), *call = str(rec, "call");
    if (!t || !call) continue;
    if (strcmp(t, "intent") == 0) {
      static const char *const keep[] = {"build", "node", "key", "scene", "model",
                                         "provider", "estimate", "reserved", "time"};
      json_t *c = json_object();
      json_object_set_new(c, "call", json_string(call));
      for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++) {
        json_t *v = json_object_get(rec, keep[k]);
        json_object_set(c, keep[k], v ? v : json_null());
      }
      json_object_set_new(c, "prediction", json_null());
      json_object_set_new(open, call, c);
    } else if (strcmp(t, "started") == 0 || strcmp(t, "reattach") == 0) {
      json_t *c = json_object_get(open, call);
      const char *id = str(rec, "prediction");
      if (c && id) json_object_set_new(c, "prediction", json_string(id));
    } else if (strcmp(t, "done") == 0) {
      json_object_del(open, call);
    }
  }
  return open;
}

int vsc_budget_reserve(vsc_budget *b, double max) {
  if (max < 0) max = 0;
  /* A cent's millionth of slack absorbs float sums like 0.1+0.2; never more. */
  if (b->limit >= 0 && b->spent + b->reserved + max > b->limit + 1e-9) return -1;
  b->reserved += max;
  return 0;
}

void vsc_budget_settle(vsc_budget *b, double max, double cost) {
  if (max < 0) max = 0;
  b->reserved -= max;
  if (b->reserved < 1e-12) b->reserved = 0;
  if (cost > 0) b->spent += cost;
}
