/*
** state.c — predictions of mock-replicate: their life (starting → processing → terminal,
** computed from the clock when looked at), their JSON, billing, and the --state-file.
** Every function here expects g_mock.lock to be held.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock.h"

mock_pred *mock_pred_new(mock_model *m, const char *version, json_t *input, double cancel_after) {
  if (g_mock.npreds == g_mock.cappreds) {
    int cap = g_mock.cappreds ? g_mock.cappreds * 2 : 64;
    mock_pred **np = realloc(g_mock.preds, (size_t)cap * sizeof *np);
    if (!np) return NULL;
    g_mock.preds = np;
    g_mock.cappreds = cap;
  }
  mock_pred *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  mock_new_id(p->id);
  p->seq = g_mock.next_seq++;
  snprintf(p->model, sizeof p->model, "%s", m->full);
  snprintf(p->version, sizeof p->version, "%s", version);
  p->input = json_deep_copy(input);
  p->created = mock_now();
  /* A fifth of the latency is spent `starting` (queue + cold boot), the rest predicting. */
  p->start_at = p->created + g_mock.latency * 0.2;
  p->done_at = p->created + g_mock.latency;
  p->deadline = cancel_after > 0 ? p->created + cancel_after : 0;
  snprintf(p->status, sizeof p->status, "starting");
  g_mock.preds[g_mock.npreds++] = p;
  return p;
}

mock_pred *mock_pred_find(const char *id) {
  for (int i = 0; i < g_mock.npreds; i++)
    if (strcmp(g_mock.preds[i]->id, id) == 0) return g_mock.preds[i];
  return NULL;
}

static int is_terminal(const char *s) {
  return !strcmp(s, "succeeded") || !strcmp(s, "failed") || !strcmp(s, "canceled") ||
         !strcmp(s, "aborted");
}

static void bill(mock_pred *p) {
  mock_model *m = mock_model_find(p->model);
  if (!m || p->billed) return;
  double units;
  const char *unit;
  double cost = mock_price(m, p, &units, &unit);
  char created[40], completed[40];
  mock_iso8601(p->created, created, sizeof created);
  mock_iso8601(p->completed_at, completed, sizeof completed);
  json_array_append_new(g_mock.billing,
      json_pack("{s:s, s:s, s:s, s:s, s:f, s:f, s:s, s:f, s:s, s:s}", "id", p->id, "model",
                p->model, "version", p->version, "status", p->status, "predict_time",
                p->predict_time, "units", units, "unit", unit, "cost", cost, "created_at",
                created, "completed_at", completed));
  p->billed = 1;
}

static void finish(mock_pred *p, const char *status, double at, double predict_time) {
  snprintf(p->status, sizeof p->status, "%s", status);
  p->completed_at = at;
  p->predict_time = predict_time < 0 ? 0 : predict_time;
  mock_model *m = mock_model_find(p->model);
  if (m && !strcmp(status, "succeeded")) mock_output_plan(m, p->input, &p->nfiles, p->ext);
  if (m && strcmp(status, "aborted")) m->run_count++;
  bill(p);
  mock_log("prediction %s %s (%s)", p->id, status, p->model);
}

void mock_advance(mock_pred *p, double now) {
  if (is_terminal(p->status)) {
    if (!p->data_removed &&
        (p->fate == FATE_EXPIRE || now >= p->completed_at + g_mock.output_ttl)) {
      p->data_removed = 1;
      mock_log("prediction %s: data removed", p->id);
    }
    return;
  }
  double stop = 0;
  int by_deadline = 0;
  if (p->cancel_at > 0) stop = p->cancel_at;
  if (p->deadline > 0 && (stop == 0 || p->deadline < stop)) {
    stop = p->deadline;
    by_deadline = 1;
  }
  if (p->fate == FATE_ABORT && now >= p->start_at && (stop == 0 || stop >= p->start_at)) {
    finish(p, "aborted", p->start_at, 0);
  } else if (stop > 0 && stop <= now && stop < p->done_at) {
    if (stop < p->start_at)
      finish(p, by_deadline ? "aborted" : "canceled", stop, 0); /* never ran */
    else
      finish(p, "canceled", stop, stop - p->start_at);
  } else if (now >= p->done_at) {
    const char *st = p->fate == FATE_FAIL ? "failed" : p->fate == FATE_CANCEL ? "canceled"
                                                                               : "succeeded";
    finish(p, st, p->done_at, p->done_at - p->start_at);
  } else {
    snprintf(p->status, sizeof p->status, "%s", now >= p->start_at ? "processing" : "starting");
  }
  if (is_terminal(p->status)) mock_advance(p, now); /* an expired fate applies at once */
}

/* Progress lines in the tqdm format the official clients parse. */
static void progress_logs(char *buf, size_t n, double frac) {
  int steps = 20, done = (int)(frac * steps);
  if (done > steps) done = steps;
  size_t used = (size_t)snprintf(buf, n, "Using seed: 1234\n");
  for (int i = 0; i <= done && used < n; i += 5) {
    char bar[24];
    int fill = i / 2;
    memset(bar, '#', (size_t)fill);
    memset(bar + fill, ' ', (size_t)(10 - fill));
    bar[10] = 0;
    used += (size_t)snprintf(buf + used, n - used, "%3d%%|%s| %d/%d\n", i * 100 / steps, bar, i,
                             steps);
  }
}

json_t *mock_pred_json(mock_pred *p, const char *base) {
  double now = mock_now();
  mock_advance(p, now);
  char created[40], t[40], url[512], logs[1024];
  json_t *o = json_object();
  json_object_set_new(o, "id", json_string(p->id));
  json_object_set_new(o, "model", json_string(p->model));
  json_object_set_new(o, "version", json_string(p->version));
  json_object_set_new(o, "input", p->data_removed ? json_object() : json_deep_copy(p->input));
  int terminal = is_terminal(p->status);
  int started = now >= p->start_at && strcmp(p->status, "aborted") &&
                !(terminal && p->completed_at < p->start_at);
  logs[0] = 0;
  if (started && !p->data_removed) {
    double end = terminal ? p->completed_at : now;
    double frac = (end - p->start_at) / (p->done_at - p->start_at > 0 ? p->done_at - p->start_at : 1);
    progress_logs(logs, sizeof logs, frac);
    if (!strcmp(p->status, "failed")) {
      size_t l = strlen(logs);
      snprintf(logs + l, sizeof logs - l, "Traceback (most recent call last):\n%s\n", p->fate_error);
    }
  }
  json_object_set_new(o, "logs", json_string(logs));
  json_t *output = json_null();
  if (!strcmp(p->status, "succeeded") && !p->data_removed) {
    mock_model *m = mock_model_find(p->model);
    json_t *outfx = m ? json_object_get(m->fixture, "output") : NULL;
    const char *shape = json_string_value(json_object_get(outfx, "shape"));
    json_t *urls = json_array();
    for (int i = 0; i < p->nfiles; i++) {
      if (shape && !strcmp(shape, "array"))
        snprintf(url, sizeof url, "%s/delivery/%s/%d/out-%d.%s", base, p->id, i, i, p->ext);
      else
        snprintf(url, sizeof url, "%s/delivery/%s/%d/output.%s", base, p->id, i, p->ext);
      json_array_append_new(urls, json_string(url));
    }
    if (shape && !strcmp(shape, "array")) {
      output = urls;
    } else if (shape && !strcmp(shape, "object")) {
      const char *key = json_string_value(json_object_get(outfx, "object_key"));
      output = json_pack("{s:O}", key ? key : "output", json_array_get(urls, 0));
      json_decref(urls);
    } else {
      output = json_incref(json_array_get(urls, 0));
      json_decref(urls);
    }
  }
  json_object_set_new(o, "output", output);
  json_object_set_new(o, "data_removed", json_boolean(p->data_removed));
  json_object_set_new(o, "error", !strcmp(p->status, "failed") ? json_string(p->fate_error)
                                                               : json_null());
  json_object_set_new(o, "status", json_string(p->status));
  mock_iso8601(p->created, created, sizeof created);
  json_object_set_new(o, "created_at", json_string(created));
  if (started) {
    mock_iso8601(p->start_at, t, sizeof t);
    json_object_set_new(o, "started_at", json_string(t));
  }
  if (terminal) {
    mock_iso8601(p->completed_at, t, sizeof t);
    json_object_set_new(o, "completed_at", json_string(t));
    json_object_set_new(o, "metrics", json_pack("{s:f, s:f}", "predict_time", p->predict_time,
                                                "total_time", p->completed_at - p->created));
  } else {
    json_object_set_new(o, "metrics", json_object());
  }
  json_object_set_new(o, "source", json_string("api"));
  json_t *u = json_object();
  snprintf(url, sizeof url, "%s/v1/predictions/%s", base, p->id);
  json_object_set_new(u, "get", json_string(url));
  snprintf(url, sizeof url, "%s/v1/predictions/%s/cancel", base, p->id);
  json_object_set_new(u, "cancel", json_string(url));
  snprintf(url, sizeof url, "https://replicate.com/p/%s", p->id);
  json_object_set_new(u, "web", json_string(url));
  json_object_set_new(o, "urls", u);
  return o;
}

void mock_stat(const char *method, const char *route) {
  char key[300];
  snprintf(key, sizeof key, "%s %s", method, route);
  json_t *v = json_object_get(g_mock.stats, key);
  json_object_set_new(g_mock.stats, key, json_integer(v ? json_integer_value(v) + 1 : 1));
}

void mock_reset(void) {
  for (int i = 0; i < g_mock.npreds; i++) {
    json_decref(g_mock.preds[i]->input);
    free(g_mock.preds[i]);
  }
  g_mock.npreds = 0;
  json_array_clear(g_mock.billing);
  json_object_clear(g_mock.stats);
  for (int i = 0; i < g_mock.nmodels; i++) g_mock.models[i].run_count = 0;
  json_t *none = json_array();
  mock_faults_set(none, NULL, 0);
  json_decref(none);
  g_mock.ncreate_times = 0;
  mock_state_save();
}

/* ---- --state-file ------------------------------------------------------------------- */

void mock_state_save(void) {
  if (!g_mock.state_file) return;
  json_t *arr = json_array();
  for (int i = 0; i < g_mock.npreds; i++) {
    mock_pred *p = g_mock.preds[i];
    json_array_append_new(arr, json_pack(
        "{s:s, s:I, s:s, s:s, s:O, s:f, s:f, s:f, s:f, s:f, s:i, s:s, s:s, s:f, s:f, s:i, s:i,"
        " s:i, s:s}",
        "id", p->id, "seq", (json_int_t)p->seq, "model", p->model, "version", p->version, "input",
        p->input, "created", p->created, "start_at", p->start_at, "done_at", p->done_at,
        "cancel_at", p->cancel_at, "deadline", p->deadline, "fate", (int)p->fate, "fate_error",
        p->fate_error, "status", p->status, "completed_at", p->completed_at, "predict_time",
        p->predict_time, "data_removed", p->data_removed, "billed", p->billed, "nfiles",
        p->nfiles, "ext", p->ext));
  }
  json_t *root = json_pack("{s:o, s:O, s:O, s:I}", "predictions", arr, "billing", g_mock.billing,
                           "stats", g_mock.stats, "next_seq", (json_int_t)g_mock.next_seq);
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp%ld", g_mock.state_file, (long)getpid());
  /* Atomic replace: a reader (or a crash) never sees half a file. */
  if (json_dump_file(root, tmp, JSON_COMPACT) == 0) rename(tmp, g_mock.state_file);
  json_decref(root);
}

static double num(json_t *o, const char *k) { return json_number_value(json_object_get(o, k)); }

int mock_state_load(char *err, size_t errlen) {
  if (!g_mock.state_file || access(g_mock.state_file, F_OK) != 0) return 0;
  json_error_t je;
  json_t *root = json_load_file(g_mock.state_file, 0, &je);
  if (!root) {
    snprintf(err, errlen, "%s:%d: %s", g_mock.state_file, je.line, je.text);
    return -1;
  }
  size_t i;
  json_t *o;
  json_array_foreach(json_object_get(root, "predictions"), i, o) {
    mock_model *m = mock_model_find(json_string_value(json_object_get(o, "model")));
    if (!m) continue;
    mock_pred *p = mock_pred_new(m, json_string_value(json_object_get(o, "version")),
                                 json_object_get(o, "input"), 0);
    if (!p) break;
    snprintf(p->id, sizeof p->id, "%s", json_string_value(json_object_get(o, "id")));
    p->seq = (long)json_integer_value(json_object_get(o, "seq"));
    p->created = num(o, "created");
    p->start_at = num(o, "start_at");
    p->done_at = num(o, "done_at");
    p->cancel_at = num(o, "cancel_at");
    p->deadline = num(o, "deadline");
    p->fate = (mock_fate)json_integer_value(json_object_get(o, "fate"));
    snprintf(p->fate_error, sizeof p->fate_error, "%s",
             json_string_value(json_object_get(o, "fate_error")));
    snprintf(p->status, sizeof p->status, "%s", json_string_value(json_object_get(o, "status")));
    p->completed_at = num(o, "completed_at");
    p->predict_time = num(o, "predict_time");
    p->data_removed = (int)json_integer_value(json_object_get(o, "data_removed"));
    p->billed = (int)json_integer_value(json_object_get(o, "billed"));
    p->nfiles = (int)json_integer_value(json_object_get(o, "nfiles"));
    snprintf(p->ext, sizeof p->ext, "%s", json_string_value(json_object_get(o, "ext")));
  }
  json_t *b = json_object_get(root, "billing");
  if (json_is_array(b)) json_array_extend(g_mock.billing, b);
  json_t *s = json_object_get(root, "stats");
  if (json_is_object(s)) json_object_update(g_mock.stats, s);
  g_mock.next_seq = (long)json_integer_value(json_object_get(root, "next_seq"));
  json_decref(root);
  return 0;
}
