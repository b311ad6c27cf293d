/*
** prediction.c — one Replicate prediction's state machine (runtime stage: providers):
**
**   UPLOAD ─▶ CREATE ─▶ POLL ─▶ DOWNLOAD ─▶ DONE
**               │  ▲
**               ▼  │ proven absent
**             RECOVER (the answer to a create was lost: find it by listing)
**
** Money rules kept here:
** - a create is sent again only when listing has proved the first never happened;
** - once a prediction id is known, only that prediction is followed: an outage of any length
**   on polls or downloads is waited out with capped backoff until the deadline (then the call
**   is left UNRESOLVED for the next run), never answered with a new create;
** - a 429 throttles every create of the account and is never a reason to fail or switch;
** - a paid output that cannot be fetched is fetched again from the same prediction (fresh
**   URLs) and, when it is gone, its cost is still reported.
*/
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rp.h"
#include "vsc/vsc_clock.h"
#include "vsc/vsc_compositor.h"

void rp_set_fail(vsc_pred *x, vsc_pred_state state, vsc_fail_kind kind, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(x->st.err.msg, sizeof x->st.err.msg, fmt, ap);
  va_end(ap);
  x->st.err.kind = kind;
  x->st.state = state;
  x->phase = PH_DONE;
  if (x->fp) {
    fclose(x->fp);
    x->fp = NULL;
  }
}

/* The charge of this call so far, from the IR's price rule. */
static void charge(vsc_pred *x, int produced) {
  vsc_price_usage use = {.produced = produced != 0, .predict_time = x->st.predict_time};
  if (x->price.unit == VSC_PRICE_IMAGE) use.images = (int)json_array_size(x->outputs);
  x->st.cost = vsc_price_charge(&x->price, &use);
}

/* The output file of output i. */
static void out_path(const vsc_pred *x, int i, char *path, size_t n) {
  if (i == 0) snprintf(path, n, "%s", x->req.out_path);
  else snprintf(path, n, "%s.%d", x->req.out_path, i);
}

/* Waits out a failed GET (poll, listing, download): capped exponential backoff with jitter,
 * Retry-After honoured, for as long as the deadline allows. */
static void wait_out(vsc_pred *x, const char *what, long status, CURLcode rc) {
  x->tries++;
  double delay = 0.25 * pow(2, x->tries - 1 < 10 ? x->tries - 1 : 10);
  if (delay > RP_BACKOFF_CAP) delay = RP_BACKOFF_CAP;
  delay *= 0.8 + 0.4 * ((double)rand() / RAND_MAX);
  if (x->retry_after > delay) delay = x->retry_after > 120 ? 120 : x->retry_after;
  if (vsc_clock_now() + delay > x->deadline) {
    char last[80];
    if (status) snprintf(last, sizeof last, "HTTP %ld", status);
    else snprintf(last, sizeof last, "%s", curl_easy_strerror(rc));
    rp_set_fail(x, VSC_PRED_FAILED, VSC_FAIL_UNRESOLVED, "replicate: %s of %s got no answer until "
                                                         "the deadline (%d tries, last: %s); the next run takes it up again",
                what,
                x->st.id[0] ? x->st.id : "a created prediction", x->tries, last);
    return;
  }
  x->next_at = vsc_clock_now() + delay;
}

/* A 429: every create of the account waits (Retry-After, ratelimit-reset, the body's "resets
 * in ~Ns", else exponential backoff); too long a throttle stops the build, never a fallback. */
static void throttle(vsc_pred *x) {
  rp_provider *p = x->p;
  double wait = x->retry_after >= 0 ? x->retry_after : x->rl_reset > 0 ? x->rl_reset
                                                                       : rp_reset_from_body(x->resp);
  if (wait < 0) {
    wait = pow(2, p->throttle_level < 6 ? p->throttle_level : 6);
    p->throttle_level++;
  }
  if (wait > 600) wait = 600;
  wait *= 1.0 + 0.1 * ((double)rand() / RAND_MAX); /* creates do not all return at once */
  double now = vsc_clock_now();
  if (p->throttled_since == 0) p->throttled_since = now;
  if (now - p->throttled_since > p->throttle_limit) {
    rp_set_fail(x, VSC_PRED_FAILED, VSC_FAIL_RATE, "replicate: the account has been rate limited "
                                                   "for %.0fs (HTTP 429); stopping rather than waiting longer",
                now - p->throttled_since);
    return;
  }
  if (now + wait > p->throttle_until) p->throttle_until = now + wait;
  x->next_at = p->throttle_until;
}

/* "replicate: HTTP 422: TITLE: DETAIL" from a problem+json body, on one line. */
static void problem_text(vsc_pred *x, long status, char *buf, size_t n) {
  json_t *j = x->resp ? json_loads(x->resp, 0, NULL) : NULL;
  const char *title = json_string_value(json_object_get(j, "title"));
  const char *detail = json_string_value(json_object_get(j, "detail"));
  snprintf(buf, n, "replicate: HTTP %ld%s%s%s%s", status, title ? ": " : "", title ? title : "",
           detail ? ": " : "", detail ? detail : "");
  for (char *c = buf; *c; c++)
    if (*c == '\n' || *c == '\r') *c = ' ';
  json_decref(j);
}

/* Checks a finished output file: its size, and that it opens, decodes and has the expected
 * stream (the compositor's probe, the same check every input clip gets). */
static int probe_ok(vsc_pred *x, const char *path, char *why, size_t n) {
  struct stat sb;
  if (stat(path, &sb) < 0 || sb.st_size == 0) {
    snprintf(why, n, "empty download");
    return 0;
  }
  if (x->total >= 0 && sb.st_size != x->total) {
    snprintf(why, n, "download has %lld of %lld bytes", (long long)sb.st_size, x->total);
    return 0;
  }
  vsc_media_info info;
  vsc_op_error perr = {0};
  if (vsc_comp_probe_info(path, &info, &perr) < 0) {
    snprintf(why, n, "not a playable media file (%.120s)", perr.msg);
    return 0;
  }
  int audio = !strcmp(x->output_kind, "audio");
  int found = audio ? info.has_audio : info.has_video;
  if (found && !strcmp(x->output_kind, "video") && info.duration <= 0) found = 0;
  if (!found) snprintf(why, n, "the file has no %s stream", audio ? "audio" : "video");
  return found;
}

static void start_download(vsc_pred *x) {
  x->phase = PH_DOWNLOAD;
  x->st.state = VSC_PRED_DOWNLOADING;
  x->out_idx = 0;
  x->have = 0;
  x->etag[0] = 0;
  x->tries = 0;
  x->next_at = 0;
}

/* Acts on a prediction object from create, poll or listing. */
static void on_prediction(vsc_pred *x, json_t *pr) {
  const char *id = json_string_value(json_object_get(pr, "id"));
  const char *status = json_string_value(json_object_get(pr, "status"));
  if (!id || !status) {
    x->phase = x->st.id[0] ? PH_POLL : PH_RECOVER;
    wait_out(x, "reading the prediction", 0, CURLE_OK);
    return;
  }
  if (!x->st.id[0]) snprintf(x->st.id, sizeof x->st.id, "%s", id);
  if (x->st.state == VSC_PRED_STARTING) x->st.state = VSC_PRED_RUNNING;
  const char *g = json_string_value(json_object_get(json_object_get(pr, "urls"), "get"));
  if (g && strlen(g) < sizeof x->get_url) snprintf(x->get_url, sizeof x->get_url, "%s", g);
  else snprintf(x->get_url, sizeof x->get_url, "%s/predictions/%s", x->p->api, x->st.id);
  json_t *pt = json_object_get(json_object_get(pr, "metrics"), "predict_time");
  if (json_is_number(pt)) x->st.predict_time = json_number_value(pt);
  x->tries = 0;
  if (!strcmp(status, "succeeded")) {
    rp_outputs_collect(x, json_object_get(pr, "output"));
    if (json_array_size(x->outputs) == 0) {
      charge(x, 1); /* it ran and was paid for, whatever came back */
      if (x->text)
        rp_set_fail(x, VSC_PRED_FAILED, VSC_FAIL_INPUT, "replicate: %s returned text, not a %s file: "
                                                        "%.200s",
                    x->model, x->output_kind, x->text);
      else
        rp_set_fail(x, VSC_PRED_FAILED, VSC_FAIL_TRANSIENT, "replicate: prediction %s succeeded but "
                                                            "its output is gone (%s)",
                    x->st.id,
                    json_is_true(json_object_get(pr, "data_removed")) ? "data removed" : "no output");
      return;
    }
    start_download(x);
  } else if (!strcmp(status, "failed")) {
    const char *e = json_string_value(json_object_get(pr, "error"));
    charge(x, 0);
    rp_set_fail(x, VSC_PRED_FAILED, vsc_replicate_error_kind(e), "replicate: prediction failed: %.400s",
                e ? e : "(no error text)");
  } else if (!strcmp(status, "canceled")) {
    charge(x, 0);
    rp_set_fail(x, VSC_PRED_CANCELED, VSC_FAIL_CANCELED, "replicate: prediction canceled%s",
                x->cancel_requested ? "" : " on the provider's side (deadline or by someone else)");
  } else if (!strcmp(status, "aborted")) {
    x->st.cost = 0; /* never started, never billed */
    rp_set_fail(x, VSC_PRED_FAILED, VSC_FAIL_TRANSIENT, "replicate: prediction aborted before it started");
  } else {
    x->phase = PH_POLL;
    x->next_at = vsc_clock_now() + x->poll_interval;
    x->poll_interval = x->poll_interval * 1.5 > 3.0 ? 3.0 : x->poll_interval * 1.5;
  }
}

/* Output out_idx is complete on disk: check it, go on with the next or finish. */
static void output_stored(vsc_pred *x) {
  char path[4200], why[200];
  out_path(x, x->out_idx, path, sizeof path);
  if (!probe_ok(x, path, why, sizeof why)) {
    charge(x, 1);
    rp_set_fail(x, VSC_PRED_FAILED, VSC_FAIL_INPUT, "replicate: output %d of %s is not usable: %s",
                x->out_idx, x->st.id, why);
    return;
  }
  x->tries = 0;
  x->have = 0;
  x->etag[0] = 0;
  if (++x->out_idx < (int)json_array_size(x->outputs)) {
    x->next_at = 0;
    return;
  }
  charge(x, 1);
  x->st.state = VSC_PRED_SUCCEEDED;
  x->phase = PH_DONE;
}

static void disk_failed(vsc_pred *x, int err) {
  charge(x, 1);
  rp_set_fail(x, VSC_PRED_FAILED, VSC_FAIL_DISK, "replicate: cannot store the output of %s: %s",
              x->st.id, strerror(err));
}

/* Builds the create body once every file input has its URL. */
static int build_body(vsc_pred *x) {
  json_t *in = rp_files_input(x);
  x->body = json_pack("{s:o}", "input", in);
  if (x->version[0]) {
    char v[300];
    snprintf(v, sizeof v, "%s:%s", x->model, x->version);
    json_object_set_new(x->body, "version", json_string(v));
  }
  json_t *seed = json_object_get(in, "seed");
  if (json_is_integer(seed)) x->st.seed = json_integer_value(seed);
  return 0;
}

void rp_issue(vsc_pred *x) {
  rp_provider *p = x->p;
  char url[1200];
  x->total = -1;
  switch (x->phase) {
  case PH_UPLOAD: {
    int i = rp_files_next_upload(x);
    if (i >= 0 && x->searching) { /* the upload a create needed never happened */
      x->st.cost = 0;
      rp_set_fail(x, VSC_PRED_FAILED, VSC_FAIL_ABSENT, "replicate: the call was never created");
      return;
    }
    if (i >= 0 && rp_files_uploading(x, i)) {
      x->next_at = vsc_clock_now() + 0.1;
      return;
    }
    if (i >= 0) {
      rp_files_send_upload(x, i);
      return;
    }
    build_body(x);
    x->phase = x->searching ? PH_RECOVER : PH_CREATE;
    rp_issue(x);
    return;
  }
  case PH_CREATE: {
    if (vsc_clock_now() < p->throttle_until) { /* the account is throttled: wait with every create */
      x->next_at = p->throttle_until;
      return;
    }
    if (x->version[0]) snprintf(url, sizeof url, "%s/predictions", p->api);
    else snprintf(url, sizeof url, "%s/models/%s/predictions", p->api, x->model);
    char *body = json_dumps(x->body, JSON_COMPACT);
    if (x->creates == 0 && x->intent_time == 0) x->intent_time = rp_wall();
    x->sent_time = rp_wall();
    x->creates++;
    rp_send(x, "POST", url, body, (long)p->wait + 60);
    free(body);
    return;
  }
  case PH_RECOVER:
    if (!x->list_url[0]) {
      /* Everything created since a minute before the first create (clock skew margin). */
      time_t t = (time_t)(x->intent_time - 60);
      struct tm tm;
      gmtime_r(&t, &tm);
      char iso[40];
      strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
      snprintf(x->list_url, sizeof x->list_url, "%s/predictions?created_after=%s", p->api, iso);
      x->list_time = rp_wall();
    }
    rp_send(x, "GET", x->list_url, NULL, 60);
    return;
  case PH_POLL:
    rp_send(x, "GET", x->get_url, NULL, 60);
    return;
  case PH_DOWNLOAD: {
    const char *u = json_string_value(json_array_get(x->outputs, (size_t)x->out_idx));
    char path[4200], why[200];
    out_path(x, x->out_idx, path, sizeof path);
    if (!strncasecmp(u, "data:", 5)) { /* the output is in the answer itself */
      int rc = rp_outputs_write_data(u, path, why, sizeof why);
      if (rc == -2) disk_failed(x, errno ? errno : EIO);
      else if (rc < 0) {
        charge(x, 1);
        rp_set_fail(x, VSC_PRED_FAILED, VSC_FAIL_INPUT, "replicate: output %d of %s: %s", x->out_idx, x->st.id, why);
      } else {
        output_stored(x); /* x->total is -1: the size check does not apply */
      }
      return;
    }
    if (!x->fp) {
      x->fp = fopen(path, x->have > 0 ? "ab" : "wb");
      if (!x->fp) {
        disk_failed(x, errno);
        return;
      }
    }
    rp_send(x, "GET", u, NULL, 3600);
    return;
  }
  case PH_DONE:
    return;
  }
}

/* Is this listed prediction the one our lost create made? */
static int is_ours(vsc_pred *x, json_t *e) {
  const char *m = json_string_value(json_object_get(e, "model"));
  const char *v = json_string_value(json_object_get(e, "version"));
  const char *id = json_string_value(json_object_get(e, "id"));
  if (!m || !id || strcmp(m, x->model) != 0) return 0;
  if (x->version[0] && (!v || strcmp(v, x->version) != 0)) return 0;
  for (size_t k = 0; k < x->req.nknown; k++)
    if (x->req.known[k] && !strcmp(x->req.known[k], id)) return 0;
  return json_equal(json_object_get(e, "input"), json_object_get(x->body, "input"));
}

static void on_listing(vsc_pred *x, CURLcode rc, long status) {
  char msg[480];
  json_t *j = NULL;
  if (rc != CURLE_OK || status != 200 || !(j = json_loads(x->resp ? x->resp : "", 0, NULL))) {
    if (rc == CURLE_OK && (status == 401 || status == 403)) {
      problem_text(x, status, msg, sizeof msg);
      rp_set_fail(x, VSC_PRED_FAILED, VSC_FAIL_AUTH, "%s", msg);
      return;
    }
    wait_out(x, "listing predictions", rc == CURLE_OK ? status : 0, rc);
    return;
  }
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(j, "results"), i, e) {
    if (is_ours(x, e)) {
      x->reattached = 1;
      on_prediction(x, e);
      json_decref(j);
      return;
    }
  }
  const char *next = json_string_value(json_object_get(j, "next"));
  double settled = (x->searching ? x->intent_time : x->sent_time) + x->p->settle;
  if (next && strlen(next) < sizeof x->list_url) {
    snprintf(x->list_url, sizeof x->list_url, "%s", next);
    x->next_at = 0;
  } else if (x->list_time < settled) {
    /* Absent from a listing asked for too soon: a create sent just before (by a run killed
     * mid-request, or one whose answer was lost) may still be on its way in. List again once
     * it has had time to land; only a later listing proves it never happened. */
    x->list_url[0] = 0;
    x->next_at = vsc_clock_now() + (settled - rp_wall() > 0.05 ? settled - rp_wall() : 0.05);
  } else if (x->searching) { /* proven absent: the earlier run's create never happened */
    x->st.cost = 0;
    rp_set_fail(x, VSC_PRED_FAILED, VSC_FAIL_ABSENT, "replicate: the call was never created");
  } else if (x->creates >= RP_MAX_CREATES) {
    rp_set_fail(x, VSC_PRED_FAILED, VSC_FAIL_TRANSIENT, "replicate: creating the prediction failed %d "
                                                        "times (each proved not created)",
                x->creates);
  } else { /* proven absent: the create never happened, send it again */
    x->phase = PH_CREATE;
    x->list_url[0] = 0;
    x->next_at = vsc_clock_now() + 0.5 * x->creates;
  }
  json_decref(j);
}

static void on_create(vsc_pred *x, CURLcode rc, long status) {
  char msg[480];
  json_t *j = NULL;
  if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) {
    x->creates--; /* nothing reached the server: sending it again is safe */
    wait_out(x, "connecting", 0, rc);
    return;
  }
  if (rc == CURLE_OK && (status == 200 || status == 201 || status == 202) &&
      (j = json_loads(x->resp ? x->resp : "", 0, NULL)) != NULL) {
    x->p->throttled_since = 0;
    x->p->throttle_level = 0;
    on_prediction(x, j);
    json_decref(j);
    return;
  }
  if (rc == CURLE_OK && status == 429) { /* refused: nothing was created */
    x->creates--;
    throttle(x);
    return;
  }
  if (rc == CURLE_OK && status >= 400 && status < 500) {
    problem_text(x, status, msg, sizeof msg);
    rp_set_fail(x, VSC_PRED_FAILED, vsc_replicate_http_kind(status), "%s", msg);
    return;
  }
  /* Lost answer, 5xx or garbage: the prediction may exist. Find it before anything else. */
  x->phase = PH_RECOVER;
  x->list_url[0] = 0;
  x->next_at = vsc_clock_now() + 0.2;
}

static void on_download(vsc_pred *x, CURLcode rc, long status) {
  if (x->write_failed) {
    disk_failed(x, x->write_errno);
    return;
  }
  if (rc == CURLE_OK && (status == 200 || status == 206)) {
    if (fclose(x->fp) != 0) {
      x->fp = NULL;
      disk_failed(x, errno);
      return;
    }
    x->fp = NULL;
    if (x->total >= 0 && x->have < x->total) { /* cut short: resume */
      wait_out(x, "download", 0, CURLE_PARTIAL_FILE);
      return;
    }
    output_stored(x);
    return;
  }
  if (rc == CURLE_OK && status == 416) { /* our Range is past the end: start over */
    fclose(x->fp);
    x->fp = NULL;
    x->have = 0;
    x->etag[0] = 0;
    wait_out(x, "download", status, rc);
    return;
  }
  if (rc == CURLE_OK && (status == 404 || status == 410 || status == 401 || status == 403)) {
    fclose(x->fp);
    x->fp = NULL;
    x->have = 0;
    x->etag[0] = 0;
    if (!x->refreshed) { /* ask the prediction again: its output may have new URLs */
      x->refreshed = 1;
      x->phase = PH_POLL;
      x->next_at = 0;
      return;
    }
    charge(x, 1); /* paid for, and gone */
    rp_set_fail(x, VSC_PRED_FAILED, status == 401 || status == 403 ? VSC_FAIL_AUTH : VSC_FAIL_TRANSIENT,
                "replicate: the output of %s could not be fetched (HTTP %ld); it was paid for", x->st.id, status);
    return;
  }
  /* Broken transfer (reset, truncation, stall) or 5xx: keep what we have, resume. */
  if (x->fp) fflush(x->fp);
  wait_out(x, "download", rc == CURLE_OK ? status : 0, rc);
}

static void on_upload(vsc_pred *x, CURLcode rc, long status) {
  char msg[480];
  if (rc == CURLE_OK && rp_files_take_upload(x, status) == 0) {
    x->tries = 0;
    x->next_at = 0; /* next upload, or the create */
    return;
  }
  if (rc == CURLE_OK && status == 429) {
    wait_out(x, "uploading a file", status, rc);
    return;
  }
  if (rc == CURLE_OK && status >= 400 && status < 500) {
    problem_text(x, status, msg, sizeof msg);
    rp_set_fail(x, VSC_PRED_FAILED, vsc_replicate_http_kind(status), "%s (uploading %s)", msg,
                x->files[x->upload_idx].key);
    return;
  }
  if (x->tries >= 8) { /* nothing was paid yet: let the scheduler decide */
    rp_set_fail(x, VSC_PRED_FAILED, VSC_FAIL_TRANSIENT, "replicate: uploading '%s' failed %d times",
                x->files[x->upload_idx].key, x->tries);
    return;
  }
  wait_out(x, "uploading a file", rc == CURLE_OK ? status : 0, rc);
}

void rp_on_done(vsc_pred *x, CURLcode rc) {
  long status = rp_finish(x);
  char msg[480];
  json_t *j = NULL;
  switch (x->phase) {
  case PH_UPLOAD: on_upload(x, rc, status); return;
  case PH_CREATE: on_create(x, rc, status); return;
  case PH_RECOVER: on_listing(x, rc, status); return;
  case PH_POLL:
    if (rc == CURLE_OK && status == 200 && (j = json_loads(x->resp ? x->resp : "", 0, NULL))) {
      on_prediction(x, j);
      json_decref(j);
      return;
    }
    if (rc == CURLE_OK && (status == 404 || status == 401 || status == 403)) {
      problem_text(x, status, msg, sizeof msg);
      rp_set_fail(x, VSC_PRED_FAILED, status == 404 ? VSC_FAIL_INPUT : VSC_FAIL_AUTH, "%s", msg);
      return;
    }
    wait_out(x, "polling", rc == CURLE_OK ? status : 0, rc);
    return;
  case PH_DOWNLOAD: on_download(x, rc, status); return;
  case PH_DONE: return;
  }
}
