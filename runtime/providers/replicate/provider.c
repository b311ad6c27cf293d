/*
** provider.c — the `replicate` provider object (runtime stage: providers): configuration
** from the environment, the vtable, and the step loop that drives every prediction's
** requests on one libcurl multi handle. See rp.h for the other files.
**
** The token lives in this object only; it goes to libcurl as a bearer token and never into
** messages, files or logs.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

#include "rp.h"
#include "vsc/vsc_clock.h"

double rp_wall(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static double env_seconds(const char *name, double dflt) {
  const char *v = getenv(name);
  double d = v && *v ? atof(v) : 0;
  return d > 0 ? d : dflt;
}

int vsc_replicate_read_env(char *token, size_t tn, char *api, size_t an, vsc_op_error *err) {
  const char *tok = getenv("REPLICATE_API_TOKEN");
  if (!tok || !*tok)
    return vsc_op_fail(err, VSC_FAIL_AUTH, "replicate: REPLICATE_API_TOKEN is not set");
  if (strlen(tok) >= tn) return vsc_op_fail(err, VSC_FAIL_AUTH, "replicate: the API token is too long");
  snprintf(token, tn, "%s", tok);
  const char *base = getenv("REPLICATE_API_BASE");
  if (!base || !*base) base = getenv("VSC_REPLICATE_URL");
  if (!base || !*base) base = "https://api.replicate.com/v1";
  snprintf(api, an, "%s", base);
  size_t l = strlen(api);
  while (l && api[l - 1] == '/') api[--l] = 0;
  if (l < 3 || strcmp(api + l - 3, "/v1")) snprintf(api + l, an - l, "/v1");
  return 0;
}

/* ---- the vtable ------------------------------------------------------------------------- */

static int rp_new_pred(rp_provider *p, vsc_pred **out, const vsc_pred_request *req, vsc_op_error *err) {
  const json_t *call = req->call;
  const char *model = json_string_value(json_object_get(call, "model"));
  vsc_price price;
  char perr[200];
  if (!call || !model || !strchr(model, '/'))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "replicate: node %.12s has no resolved call for '%s' "
                                            "(compile the script again with this vsc)",
                       req->node_id, req->model ? req->model : "?");
  if (vsc_price_from_json(&price, json_object_get(call, "price"), perr, sizeof perr) != 0)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "replicate: the call's price%s", perr);
  vsc_pred *x = calloc(1, sizeof *x);
  if (!x) return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
  x->p = p;
  x->req = *req;
  x->price = price;
  snprintf(x->model, sizeof x->model, "%s", model);
  const char *v = json_string_value(json_object_get(call, "version"));
  if (v) snprintf(x->version, sizeof x->version, "%s", v);
  const char *kind = json_string_value(json_object_get(call, "output"));
  x->output_kind = kind && !strcmp(kind, "audio") ? "audio" : kind && !strcmp(kind, "image") ? "image"
                                                                                             : "video";
  x->st.state = VSC_PRED_STARTING;
  x->st.seed = -1;
  x->retry_after = -1;
  x->rl_reset = -1;
  x->poll_interval = 0.25;
  x->total = -1;
  x->deadline = vsc_clock_now() + p->deadline;
  x->phase = PH_UPLOAD;
  x->next = p->preds;
  p->preds = x;
  *out = x;
  return 0;
}

static int rp_start(vsc_provider *pp, vsc_pred **out, const vsc_pred_request *req, vsc_op_error *err) {
  *out = NULL;
  if (rp_new_pred((rp_provider *)pp, out, req, err) < 0) return -1;
  rp_files_prepare(*out); /* a failure shows in the prediction's state */
  return 0;
}

static int rp_reattach(vsc_provider *pp, vsc_pred **out, const vsc_pred_request *req, const char *id,
                       double since, vsc_op_error *err) {
  *out = NULL;
  if (rp_new_pred((rp_provider *)pp, out, req, err) < 0) return -1;
  vsc_pred *x = *out;
  x->reattached = 1;
  if (!id) { /* killed while a create was in flight: find it, or prove it never happened */
    x->searching = 1;
    x->intent_time = since;
    rp_files_prepare(x); /* the same input as the lost create had */
    return 0;
  }
  snprintf(x->st.id, sizeof x->st.id, "%s", id);
  snprintf(x->get_url, sizeof x->get_url, "%s/predictions/%s", x->p->api, id);
  x->st.state = VSC_PRED_RUNNING;
  x->phase = PH_POLL;
  return 0;
}

static int rp_step(vsc_provider *pp, double max_wait) {
  rp_provider *p = (rp_provider *)pp;
  double now = vsc_clock_now(), soonest = now + (max_wait > 0 ? max_wait : 0);
  for (vsc_pred *x = p->preds; x; x = x->next) {
    if (x->easy || x->phase == PH_DONE) continue;
    if (x->next_at <= now) rp_issue(x);
    if (!x->easy && x->phase != PH_DONE && x->next_at < soonest) soonest = x->next_at;
  }
  int running = 0;
  curl_multi_perform(p->multi, &running);
  int changed = 0;
  for (;;) {
    int left;
    CURLMsg *m = curl_multi_info_read(p->multi, &left);
    if (!m) break;
    if (m->msg != CURLMSG_DONE) continue;
    vsc_pred *x = NULL;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
    CURLcode rc = m->data.result;
    if (x && x->cancel_easy == m->easy_handle) {
      curl_multi_remove_handle(p->multi, x->cancel_easy);
      curl_easy_cleanup(x->cancel_easy);
      x->cancel_easy = NULL;
      if (x->phase == PH_POLL) x->next_at = 0; /* see the canceled state at once */
    } else if (x) {
      rp_on_done(x, rc);
    }
    changed = 1;
  }
  if (changed) return 0;
  double wait = soonest - vsc_clock_now();
  if (wait > 0) {
    int ms = (int)(wait * 1000) + 1;
    curl_multi_poll(p->multi, NULL, 0, ms, NULL);
    curl_multi_perform(p->multi, &running);
  }
  return 0;
}

static void rp_wakeup(vsc_provider *pp) { curl_multi_wakeup(((rp_provider *)pp)->multi); }

static void rp_status(vsc_pred *x, vsc_pred_status *st) { *st = x->st; }

static size_t discard(char *d, size_t sz, size_t nm, void *u) {
  (void)d;
  (void)u;
  return sz * nm;
}

static int rp_cancel(vsc_pred *x) {
  x->cancel_requested = 1;
  if (x->phase == PH_DONE) return -1;
  if (!x->st.id[0]) { /* not created yet as far as we know: stop before spending */
    if ((x->phase == PH_CREATE || x->phase == PH_UPLOAD) && !x->easy) {
      x->st.cost = 0;
      rp_set_fail(x, VSC_PRED_CANCELED, VSC_FAIL_CANCELED, "replicate: canceled before it was created");
      return 0;
    }
    return -1;
  }
  if (x->cancel_easy || x->phase == PH_DOWNLOAD) return x->phase == PH_DOWNLOAD ? -1 : 0;
  char url[1200];
  snprintf(url, sizeof url, "%s/predictions/%s/cancel", x->p->api, x->st.id);
  CURL *e = curl_easy_init();
  if (!e) return -1;
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
  curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
  curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, x->p->token);
  curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(e, CURLOPT_PRIVATE, x);
  x->cancel_easy = e;
  curl_multi_add_handle(x->p->multi, e);
  return 0;
}

static void rp_release(vsc_pred *x) {
  rp_provider *p = x->p;
  for (vsc_pred **pp = &p->preds; *pp; pp = &(*pp)->next)
    if (*pp == x) {
      *pp = x->next;
      break;
    }
  if (x->easy) {
    curl_multi_remove_handle(p->multi, x->easy);
    curl_easy_cleanup(x->easy);
  }
  if (x->cancel_easy) {
    curl_multi_remove_handle(p->multi, x->cancel_easy);
    curl_easy_cleanup(x->cancel_easy);
  }
  if (x->mime) curl_mime_free(x->mime);
  if (x->fp) fclose(x->fp);
  for (int i = 0; i < x->nfiles; i++) {
    free(x->files[i].key);
    free(x->files[i].value);
  }
  curl_slist_free_all(x->hdrs);
  free(x->resp);
  free(x->text);
  json_decref(x->body);
  json_decref(x->outputs);
  free(x);
}

static void rp_destroy(vsc_provider *pp) {
  rp_provider *p = (rp_provider *)pp;
  while (p->preds) rp_release(p->preds);
  if (p->multi) curl_multi_cleanup(p->multi);
  memset(p->token, 0, sizeof p->token);
  free(p);
}

static const vsc_provider_vt replicate_vt = {
    "replicate",
    rp_start,
    rp_reattach,
    rp_step,
    rp_wakeup,
    rp_status,
    rp_cancel,
    rp_release,
    rp_destroy,
};

/* <cache>/providers/replicate/files, made if missing; "" when there is no cache. */
static void files_dir(rp_provider *p, const char *cache_dir) {
  p->files_dir[0] = 0;
  if (!cache_dir || !*cache_dir) return;
  char d[4096];
  snprintf(d, sizeof d, "%s/providers", cache_dir);
  mkdir(d, 0700);
  snprintf(d, sizeof d, "%s/providers/replicate", cache_dir);
  mkdir(d, 0700);
  snprintf(d, sizeof d, "%s/providers/replicate/files", cache_dir);
  if (mkdir(d, 0700) == 0 || errno == EEXIST) snprintf(p->files_dir, sizeof p->files_dir, "%s", d);
}

int vsc_replicate_provider_new(vsc_provider **out, const vsc_provider_options *opts, vsc_op_error *err) {
  *out = NULL;
  rp_provider *p = calloc(1, sizeof *p);
  if (!p) return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
  if (vsc_replicate_read_env(p->token, sizeof p->token, p->api, sizeof p->api, err) < 0) {
    free(p);
    return -1;
  }
  p->base.vt = &replicate_vt;
  p->wait = 60;
  const char *w = getenv("VSC_REPLICATE_WAIT");
  if (w && *w) p->wait = atoi(w) < 0 ? 0 : atoi(w) > 60 ? 60
                                                        : atoi(w);
  const char *ca = getenv("VSC_REPLICATE_CANCEL_AFTER");
  if (ca) snprintf(p->cancel_after, sizeof p->cancel_after, "%s", ca);
  p->stall = (long)env_seconds("VSC_REPLICATE_STALL", 30);
  p->deadline = env_seconds("VSC_REPLICATE_DEADLINE", 3600);
  p->throttle_limit = env_seconds("VSC_REPLICATE_THROTTLE_LIMIT", 1800);
  p->settle = env_seconds("VSC_REPLICATE_SETTLE", 15);
  files_dir(p, opts ? opts->cache_dir : NULL);
  p->multi = curl_multi_init();
  if (!p->multi) {
    rp_destroy(&p->base);
    return vsc_op_fail(err, VSC_FAIL_LOCAL, "replicate: cannot start libcurl");
  }
  curl_multi_setopt(p->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 64L);
  *out = &p->base;
  return 0;
}
