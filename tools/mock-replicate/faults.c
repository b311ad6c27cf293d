/*
** faults.c — fault injection rules of mock-replicate (POST /_mock/faults). A rule matches
** requests by method, path pattern (fnmatch) and model, lets `after` of them pass, then
** fires `count` times (each with `probability`) doing its `action` — or, with a time window
** (`from` + `for` seconds after mock start or after the first matching request), fires on
** every matching request inside the window: an outage of minutes. Lock held throughout.
*/
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mock.h"

/* Transport actions act on the HTTP exchange; outcome actions decide a new prediction's fate. */
static const char *const transport_actions[] = {"status", "reset", "slow", "stall", "truncate",
                                                "bad_json", "lose_response", NULL};
static const char *const outcome_actions[] = {"fail", "cancel", "abort", "expire", NULL};

static int in_list(const char *s, const char *const *list) {
  for (int i = 0; list[i]; i++)
    if (!strcmp(s, list[i])) return 1;
  return 0;
}

int mock_fault_is_outcome(const char *action) { return in_list(action, outcome_actions); }

/* Realistic error texts for `fail` rules naming a preset instead of a message. */
static const char *preset_error(const char *preset) {
  if (!strcmp(preset, "nsfw"))
    return "The input or output was flagged as sensitive. Please try again with different "
           "inputs. (E005)";
  if (!strcmp(preset, "nsfw_sd"))
    return "NSFW content detected. Try running it again, or try a different prompt.";
  if (!strcmp(preset, "oom"))
    return "CUDA out of memory. Tried to allocate 2.25 GiB (GPU 0; 39.39 GiB total capacity; "
           "35.61 GiB already allocated; 1.62 GiB free; 36.12 GiB reserved in total by PyTorch)";
  if (!strcmp(preset, "interrupted")) return "Prediction interrupted; please retry (code: PA)";
  if (!strcmp(preset, "input"))
    return "Input validation error: the start_image could not be fetched (HTTP 403)";
  if (!strcmp(preset, "timeout")) return "Prediction timed out";
  return NULL;
}

static void free_rules(void) {
  for (int i = 0; i < g_mock.nfaults; i++) json_decref(g_mock.faults[i].json);
  free(g_mock.faults);
  g_mock.faults = NULL;
  g_mock.nfaults = 0;
}

static void copy_str(char *dst, size_t n, json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  snprintf(dst, n, "%s", s ? s : "");
}

int mock_faults_set(json_t *rules, char *err, size_t errlen) {
  if (json_is_object(rules) && json_is_array(json_object_get(rules, "rules")))
    rules = json_object_get(rules, "rules");
  if (!json_is_array(rules)) {
    if (err) snprintf(err, errlen, "expected a JSON list of rules");
    return -1;
  }
  size_t n = json_array_size(rules), i;
  mock_fault *f = calloc(n ? n : 1, sizeof *f);
  if (!f) return -1;
  json_t *r;
  json_array_foreach(rules, i, r) {
    mock_fault *x = &f[i];
    copy_str(x->action, sizeof x->action, r, "action");
    if (!in_list(x->action, transport_actions) && !in_list(x->action, outcome_actions)) {
      if (err) snprintf(err, errlen, "rule %zu: unknown action '%s'", i, x->action);
      for (size_t j = 0; j < i; j++) json_decref(f[j].json);
      free(f);
      return -1;
    }
    copy_str(x->method, sizeof x->method, r, "method");
    copy_str(x->path, sizeof x->path, r, "path");
    copy_str(x->model, sizeof x->model, r, "model");
    json_t *v;
    x->after = (v = json_object_get(r, "after")) ? (long)json_integer_value(v) : 0;
    x->win_for = (v = json_object_get(r, "for")) ? json_number_value(v) : -1;
    x->win_from = (v = json_object_get(r, "from")) ? json_number_value(v) : 0;
    const char *clock = json_string_value(json_object_get(r, "clock"));
    if ((json_object_get(r, "for") && (!json_is_number(v = json_object_get(r, "for")) ||
                                       json_number_value(v) <= 0)) ||
        x->win_from < 0 || (clock && strcmp(clock, "start") && strcmp(clock, "first"))) {
      if (err) snprintf(err, errlen, "rule %zu: a window needs \"for\" > 0, \"from\" >= 0 and "
                                     "\"clock\" \"start\" or \"first\"",
                        i);
      for (size_t j = 0; j < i; j++) json_decref(f[j].json);
      free(f);
      return -1;
    }
    x->win_first = clock && !strcmp(clock, "first");
    /* A window fires on every request inside it unless a count is given. */
    x->count = (v = json_object_get(r, "count")) ? (long)json_integer_value(v)
             : x->win_for > 0                    ? -1
                                                 : 1;
    x->reset = (v = json_object_get(r, "reset")) ? json_number_value(v) : -1;
    x->probability = (v = json_object_get(r, "probability")) ? json_number_value(v) : 1.0;
    x->status = (v = json_object_get(r, "status")) ? (int)json_integer_value(v) : 503;
    x->retry_after = (v = json_object_get(r, "retry_after")) ? json_number_value(v) : -1;
    const char *fmt = json_string_value(json_object_get(r, "retry_after_format"));
    x->retry_after_date = fmt && !strcmp(fmt, "date");
    x->delay = (v = json_object_get(r, "delay")) ? json_number_value(v) : 2.0;
    x->bytes = (v = json_object_get(r, "bytes")) ? (long)json_integer_value(v) : -1;
    x->rate = (v = json_object_get(r, "rate")) ? (long)json_integer_value(v) : 0;
    const char *e = json_string_value(json_object_get(r, "error"));
    const char *preset = json_string_value(json_object_get(r, "preset"));
    if (!e && preset) e = preset_error(preset);
    if (!e && !strcmp(x->action, "fail")) e = preset_error("oom");
    snprintf(x->error, sizeof x->error, "%s", e ? e : "");
    if (x->delay > 600) x->delay = 600; /* every stall ends (before --time-scale) */
    x->json = json_incref(r);
  }
  free_rules();
  g_mock.faults = f;
  g_mock.nfaults = (int)n;
  return 0;
}

json_t *mock_faults_json(void) {
  json_t *arr = json_array();
  for (int i = 0; i < g_mock.nfaults; i++) {
    json_t *o = json_deep_copy(g_mock.faults[i].json);
    json_object_set_new(o, "seen", json_integer(g_mock.faults[i].seen));
    json_object_set_new(o, "fired", json_integer(g_mock.faults[i].fired));
    json_array_append_new(arr, o);
  }
  return arr;
}

mock_fault *mock_fault_match(const char *method, const char *path, const char *model,
                             int outcome_only) {
  for (int i = 0; i < g_mock.nfaults; i++) {
    mock_fault *f = &g_mock.faults[i];
    if (outcome_only != mock_fault_is_outcome(f->action)) continue;
    if (f->method[0] && strcasecmp(f->method, method) != 0) continue;
    if (f->path[0] && fnmatch(f->path, path, 0) != 0) continue;
    if (f->model[0] && (!model || strcmp(f->model, model) != 0)) continue;
    f->seen++;
    if (f->win_for > 0) {
      double now = mock_now();
      if (f->win_first && f->win_t0 == 0) f->win_t0 = now;
      double t0 = f->win_first ? f->win_t0 : g_mock.started;
      double from = t0 + mock_scaled(f->win_from), to = from + mock_scaled(f->win_for);
      if (now < from || now >= to) continue;
    }
    if (f->seen <= f->after) continue;
    if (f->count >= 0 && f->fired >= f->count) continue;
    if (f->probability < 1.0 && mock_rand01() >= f->probability) continue;
    f->fired++;
    return f;
  }
  return NULL;
}
