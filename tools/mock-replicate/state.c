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
  p->start_at = p->created + mock_scaled(g_mock.latency) * 0.2;
  p->done_at = p->created + mock_scaled(g_mock.latency);
  p->input_kinds = json_object();
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
  json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:f, s:f, s:s, s:f, s:s, s:s, s:O, s:I}", "id",
                          p->id, "model", p->model, "version", p->version, "status", p->status,
                          "predict_time", p->predict_time, "units", units, "unit", unit, "cost",
                          cost, "created_at", created, "completed_at", completed, "input_kinds",
                          p->input_kinds, "body_bytes", (json_int_t)p->body_bytes);
  if (p->deployment[0]) json_object_set_new(rec, "deployment", json_string(p->deployment));
  json_t *src = json_object_get(json_object_get(m->fixture, "price"), "source");
  if (json_is_string(src)) json_object_set(rec, "price_source", src);
  json_array_append_new(g_mock.billing, rec);
  p->billed = 1;
}

static void finish(mock_pred *p, const char *status, double at, double predict_time) {
  snprintf(p->status, sizeof p->status, "%s", status);
  p->completed_at = at;
  p->predict_time = predict_time < 0 ? 0 : predict_time;
  mock_model *m = mock_model_find(p->model);
  if (m && strcmp(status, "aborted")) mock_output_plan(m, p->input, &p->nfiles, p->ext);
  if (strcmp(status, "succeeded")) p->nfiles = 0; /* the ext stays: it names the files' kind */
  if (m && strcmp(status, "aborted")) m->run_count++;
  bill(p);
  mock_log("prediction %s %s (%s)", p->id, status, p->model);
}

void mock_advance(mock_pred *p, double now) {
  if (is_terminal(p->status)) {
    if (!p->data_removed &&
        (p->fate == FATE_EXPIRE || now >= p->completed_at + mock_scaled(g_mock.output_ttl))) {
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

/* The data: URL of a data_url model's output (made once; the lock is held, and a small
 * image or tone takes milliseconds). */
static const char *data_output(mock_model *m, mock_pred *p) {
  if (p->data_output) return p->data_output;
  unsigned char *bytes = NULL;
  size_t len = 0;
  char err[256];
  if (mock_media_make(m, p->input, 0, p->ext, &bytes, &len, err, sizeof err) < 0) return NULL;
  const char *mime = mock_media_type(p->ext);
  size_t cap = strlen(mime) + 16 + (len + 2) / 3 * 4 + 1;
  char *s = malloc(cap);
  if (s) {
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = (size_t)snprintf(s, cap, "data:%.*s;base64,", (int)strcspn(mime, ";"), mime);
    for (size_t i = 0; i < len; i += 3) {
      unsigned v = (unsigned)bytes[i] << 16 | (i + 1 < len ? (unsigned)bytes[i + 1] << 8 : 0) |
                   (i + 2 < len ? bytes[i + 2] : 0);
      s[o++] = b64[v >> 18 & 63];
      s[o++] = b64[v >> 12 & 63];
      s[o++] = i + 1 < len ? b64[v >> 6 & 63] : '=';
      s[o++] = i + 2 < len ? b64[v & 63] : '=';
    }
    s[o] = 0;
  }
  free(bytes);
  p->data_output = s;
  return s;
}

/* The output as the model's Output schema shapes it (the fixture's `output` says how):
 * file URLs on the mock's host, a data: URL, plain text, a list, or an object. */
static json_t *build_output(mock_model *m, mock_pred *p, const char *base) {
  json_t *outfx = json_object_get(m->fixture, "output");
  const char *shape = json_string_value(json_object_get(outfx, "shape"));
  const char *kind = json_string_value(json_object_get(outfx, "kind"));
  const char *enc = json_string_value(json_object_get(outfx, "encoding"));
  int array = shape && !strcmp(shape, "array"), object = shape && !strcmp(shape, "object");
  char url[512];
  json_t *urls = json_array();
  for (int i = 0; i < p->nfiles; i++) {
    const char *ext = mock_output_ext(m, p->ext, i);
    if (array) snprintf(url, sizeof url, "%s/delivery/%s/%d/out-%d.%s", base, p->id, i, i, ext);
    else snprintf(url, sizeof url, "%s/delivery/%s/%d/output.%s", base, p->id, i, ext);
    json_array_append_new(urls, json_string(url));
  }
  json_t *output;
  if (kind && !strcmp(kind, "text") && !object) {
    char *text = mock_output_text(m, p->input);
    if (array) { /* streamed text: the tokens, each with its leading space */
      output = json_array();
      for (char *w = text; w && *w;) {
        size_t n = strcspn(w + 1, " ") + 1;
        json_array_append_new(output, json_stringn(w, n));
        w += n;
      }
    } else {
      output = json_string(text ? text : "");
    }
    free(text);
  } else if (enc && !strcmp(enc, "data_url") && !array && !object) {
    const char *d = data_output(m, p);
    output = d ? json_string(d) : json_null();
  } else if (array) {
    output = json_incref(urls);
  } else if (object && json_object_get(outfx, "fields")) {
    output = json_object();
    const char *k;
    json_t *v;
    int fi = 0;
    char *text = mock_output_text(m, p->input);
    json_object_foreach(json_object_get(outfx, "fields"), k, v) {
      const char *spec = json_string_value(v);
      if (!spec || !strcmp(spec, "null")) json_object_set_new(output, k, json_null());
      else if (!strncmp(spec, "file", 4)) json_object_set(output, k, json_array_get(urls, (size_t)fi++));
      else if (!strcmp(spec, "text")) json_object_set_new(output, k, json_string(text ? text : ""));
      else if (!strncmp(spec, "const:", 6)) json_object_set_new(output, k, json_string(spec + 6));
      else if (!strcmp(spec, "segments")) {
        json_t *segs = json_array();
        int id = 0;
        for (char *q = text; q && *q; id++) {
          char *end = strchr(q, '.');
          size_t n = end ? (size_t)(end - q + 1) : strlen(q);
          while (n && *q == ' ') q++, n--;
          if (!n) break;
          json_array_append_new(segs, json_pack("{s:i, s:f, s:f, s:s%}", "id", id, "start",
                                                id * 2.5, "end", id * 2.5 + 2.5, "text", q, n));
          q += n;
        }
        json_object_set_new(output, k, segs);
      } else json_object_set_new(output, k, json_null());
    }
    free(text);
  } else if (object) {
    const char *key = json_string_value(json_object_get(outfx, "object_key"));
    output = json_pack("{s:O}", key ? key : "output", json_array_get(urls, 0));
  } else {
    output = json_incref(json_array_get(urls, 0));
    if (!output) output = json_null();
  }
  json_decref(urls);
  return output;
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
    if (m) output = build_output(m, p, base);
  }
  json_object_set_new(o, "output", output);
  json_object_set_new(o, "data_removed", json_boolean(p->data_removed));
  json_object_set_new(o, "error", !strcmp(p->status, "failed") ? json_string(p->fate_error) : json_null());
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
    json_object_set_new(o, "metrics", json_pack("{s:f, s:f}", "predict_time", p->predict_time, "total_time", p->completed_at - p->created));
  } else {
    json_object_set_new(o, "metrics", json_object());
  }
  json_object_set_new(o, "source", json_string("api"));
  if (p->deployment[0]) json_object_set_new(o, "deployment", json_string(p->deployment));
  if (p->deadline > 0) {
    mock_iso8601(p->deadline, t, sizeof t);
    json_object_set_new(o, "deadline", json_string(t));
  }
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

void mock_pred_free(mock_pred *p) {
  json_decref(p->input);
  json_decref(p->input_kinds);
  free(p->data_output);
  free(p);
}

void mock_reset(void) {
  for (int i = 0; i < g_mock.npreds; i++) mock_pred_free(g_mock.preds[i]);
  g_mock.npreds = 0;
  mock_files_free();
  mock_ratelimit_clear();
  json_array_clear(g_mock.billing);
  json_object_clear(g_mock.stats);
  for (int i = 0; i < g_mock.nmodels; i++) g_mock.models[i].run_count = 0;
  json_t *none = json_array();
  mock_faults_set(none, NULL, 0);
  json_decref(none);
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
                                   " s:i, s:s, s:s, s:O, s:I}",
                                   "id", p->id, "seq", (json_int_t)p->seq, "model", p->model, "version", p->version, "input",
                                   p->input, "created", p->created, "start_at", p->start_at, "done_at", p->done_at,
                                   "cancel_at", p->cancel_at, "deadline", p->deadline, "fate", (int)p->fate, "fate_error",
                                   p->fate_error, "status", p->status, "completed_at", p->completed_at, "predict_time",
                                   p->predict_time, "data_removed", p->data_removed, "billed", p->billed, "nfiles",
                                   p->nfiles, "ext", p->ext, "deployment", p->deployment, "input_kinds", p->input_kinds,
                                   "body_bytes", (json_int_t)p->body_bytes));
  }
  json_t *root = json_pack("{s:o, s:O, s:O, s:I}", "predictions", arr, "billing", g_mock.billing,
                           "stats", g_mock.stats, "next_seq", (json_int_t)g_mock.next_seq);
  mock_files_save(root);
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
    const char *dep = json_string_value(json_object_get(o, "deployment"));
    snprintf(p->deployment, sizeof p->deployment, "%s", dep ? dep : "");
    json_t *kinds = json_object_get(o, "input_kinds");
    if (json_is_object(kinds)) json_object_update(p->input_kinds, kinds);
    p->body_bytes = (long)json_integer_value(json_object_get(o, "body_bytes"));
  }
  json_t *b = json_object_get(root, "billing");
  if (json_is_array(b)) json_array_extend(g_mock.billing, b);
  json_t *s = json_object_get(root, "stats");
  if (json_is_object(s)) json_object_update(g_mock.stats, s);
  g_mock.next_seq = (long)json_integer_value(json_object_get(root, "next_seq"));
  mock_files_load(root);
  json_decref(root);
  return 0;
}
