/*
** The scripted `test` provider (runtime stage "sched"): simulated paid predictions with
** latency, failures, hangs and crashes on command, for tests and benches (see the script
** format in vsc_provider.h). The "server side" of each prediction is a small JSON file in
** the state directory, so a later process can re-attach to it exactly as to Replicate:
** a prediction started by a process that was killed keeps running and finishes at
** created + latency, whoever polls it then.
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "vsc/vsc_ops.h"
#include "sched.h"

typedef struct tpred tpred;

typedef struct {
  vsc_provider base;
  json_t *cfg;        /* the script */
  char state[3072];   /* server-side prediction files (bounded: paths fit 4096) */
  char log[4096];     /* call log, "" = none */
  json_t *attempts;   /* "node|model" -> tries started in this process */
  tpred *live;        /* predictions not yet released */
  pthread_mutex_t mu; /* guards woken (wakeup may come from any thread) */
  pthread_cond_t cv;
  bool woken;
} tprov;

struct tpred {
  tprov *p;
  tpred *next;
  vsc_pred_status st;
  char node[65], model[256], out[4096];
  double created;   /* wall-clock seconds when the server accepted it */
  double id_at;     /* when the id becomes visible to us */
  double done_at;   /* when it finishes (server side) */
  bool hang;        /* never finishes in this process */
  char crash[16];   /* "id" | "download" | "" */
  bool id_reported; /* status() has shown the id: the scheduler journals it */
  json_t *server;   /* the server-side record (fail, cost, output, ...) */
};

static double wall_now(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static double num(const json_t *o, const char *k, double dflt) {
  json_t *v = json_object_get(o, k);
  return json_is_number(v) ? json_number_value(v) : dflt;
}

static void append_line(const char *path, json_t *rec) {
  if (!*path) return;
  char *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
  if (!text) return;
  size_t len = strlen(text);
  char *line = malloc(len + 2);
  if (line) {
    memcpy(line, text, len);
    line[len] = '\n';
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0666);
    if (fd >= 0) {
      ssize_t w = write(fd, line, len + 1);
      (void)w;
      fsync(fd);
      close(fd);
    }
  }
  free(line);
  free(text);
}

static void log_call(tprov *p, const char *call, const char *node, const char *model,
                     int attempt, const char *id) {
  json_t *rec = json_pack("{s:s, s:s, s:s, s:i, s:s, s:i}", "call", call, "node", node, "model",
                          model, "attempt", attempt, "prediction", id ? id : "", "pid",
                          (int)getpid());
  append_line(p->log, rec);
  json_decref(rec);
}

static void state_path(const tprov *p, const char *id, char *out, size_t outlen) {
  snprintf(out, outlen, "%s/%.100s.json", p->state, id);
}

static void save_server(const tprov *p, const char *id, json_t *server) {
  char path[4200], tmp[4300];
  state_path(p, id, path, sizeof path);
  snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
  if (json_dump_file(server, tmp, JSON_COMPACT | JSON_SORT_KEYS) == 0) rename(tmp, path);
}

/* The first rule matching this node, model and attempt, or NULL. */
static const json_t *match_rule(const tprov *p, const vsc_pred_request *req, int attempt) {
  json_t *rules = json_object_get(p->cfg, "rules");
  const json_t *params = json_object_get(req->node, "params");
  const char *label = json_string_value(json_object_get(params, "label"));
  const char *op = json_string_value(json_object_get(req->node, "op"));
  const char *kind = vsc_ops_is(op, VSC_OPID_tts) ? "tts" : json_string_value(json_object_get(params, "kind"));
  size_t i;
  json_t *r;
  json_array_foreach(rules, i, r) {
    const char *node = json_string_value(json_object_get(r, "node"));
    const char *rl = json_string_value(json_object_get(r, "label"));
    const char *model = json_string_value(json_object_get(r, "model"));
    const char *rk = json_string_value(json_object_get(r, "kind"));
    json_t *at = json_object_get(r, "attempt");
    if (rk && (!kind || strcmp(rk, kind) != 0)) continue;
    if (node && strncmp(req->node_id, node, strlen(node)) != 0) continue;
    if (rl && (!label || strcmp(rl, label) != 0)) continue;
    if (model && strcmp(model, req->model) != 0) continue;
    if (json_is_integer(at) && json_integer_value(at) != attempt) continue;
    return r;
  }
  return NULL;
}

/* A value from the rule, else the script's top level. */
static json_t *pick(const json_t *rule, const json_t *cfg, const char *k) {
  json_t *v = rule ? json_object_get(rule, k) : NULL;
  return v ? v : json_object_get(cfg, k);
}


static tpred *new_pred(tprov *p, const vsc_pred_request *req) {
  tpred *pr = calloc(1, sizeof *pr);
  if (!pr) return NULL;
  pr->p = p;
  snprintf(pr->node, sizeof pr->node, "%s", req->node_id);
  snprintf(pr->model, sizeof pr->model, "%s", req->model);
  snprintf(pr->out, sizeof pr->out, "%s", req->out_path);
  pr->st.cost = -1;
  pr->st.seed = -1;
  pr->next = p->live;
  p->live = pr;
  return pr;
}

static void random_id(char out[24]) {
  unsigned char b[8] = {0};
  int fd = open("/dev/urandom", O_RDONLY);
  if (fd < 0 || read(fd, b, sizeof b) != (ssize_t)sizeof b) {
    unsigned long long x = (unsigned long long)wall_now() * 1000003ULL ^ (unsigned long long)getpid();
    memcpy(b, &x, sizeof b);
  }
  if (fd >= 0) close(fd);
  snprintf(out, 24, "t%02x%02x%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
           b[6], b[7]);
}

static int tp_start(vsc_provider *base, vsc_pred **out, const vsc_pred_request *req,
                    vsc_op_error *err) {
  tprov *p = (tprov *)base;
  *out = NULL;
  char akey[600];
  snprintf(akey, sizeof akey, "%s|%s", req->node_id, req->model);
  int attempt = (int)json_integer_value(json_object_get(p->attempts, akey)) + 1;
  json_object_set_new(p->attempts, akey, json_integer(attempt));
  const json_t *rule = match_rule(p, req, attempt);

  char id[24];
  random_id(id);
  double now = wall_now();
  double latency = json_number_value(pick(rule, p->cfg, "latency"));
  if (!json_is_number(pick(rule, p->cfg, "latency"))) latency = 0.01;
  json_t *server = json_pack("{s:s, s:s, s:f, s:f}", "node", req->node_id, "model",
                             req->model, "created", now, "latency", latency);
  static const char *const copy[] = {"fail", "retry_after", "cost", "fail_cost", "output"};
  for (size_t i = 0; i < sizeof copy / sizeof copy[0]; i++) {
    json_t *v = pick(rule, p->cfg, copy[i]);
    if (v && !json_is_null(v)) json_object_set(server, copy[i], v);
  }
  if (!json_object_get(server, "cost")) {
    json_t *cost = json_object_get(json_object_get(req->node, "cost"), "estimate");
    json_object_set_new(server, "cost", json_real(json_is_number(cost) ? json_number_value(cost) : 0));
  }
  json_t *seed = json_object_get(json_object_get(req->node, "params"), "seed");
  json_object_set_new(server, "seed", json_integer(json_is_integer(seed) ? json_integer_value(seed) : 0));
  save_server(p, id, server);
  log_call(p, "start", req->node_id, req->model, attempt, id);

  const char *crash = json_string_value(pick(rule, p->cfg, "crash"));
  /* Killed after the request reached the server but before its answer reached us. */
  if (crash && strcmp(crash, "start") == 0) raise(SIGKILL);

  tpred *pr = new_pred(p, req);
  if (!pr) {
    json_decref(server);
    return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
  }
  snprintf(pr->st.id, sizeof pr->st.id, "%s", id);
  pr->created = now;
  pr->id_at = now + num(rule, "id_delay", num(p->cfg, "id_delay", 0));
  pr->done_at = now + latency;
  pr->hang = json_is_true(pick(rule, p->cfg, "hang"));
  if (crash) snprintf(pr->crash, sizeof pr->crash, "%s", crash);
  pr->server = server;
  pr->st.state = VSC_PRED_STARTING;
  *out = (vsc_pred *)pr;
  return 0;
}

/* The server-side prediction a lost create made: same node and model, created since the
 * intent, not one of the ids already known. Copies its id into found[24]; 0 or -1. */
static int find_lost(const tprov *p, const vsc_pred_request *req, double since, char found[24]) {
  DIR *d = opendir(p->state);
  if (!d) return -1;
  struct dirent *e;
  int rc = -1;
  while ((e = readdir(d)) != NULL) {
    size_t l = strlen(e->d_name);
    if (l < 6 || l > 40 || strcmp(e->d_name + l - 5, ".json") != 0) continue;
    char id[48];
    snprintf(id, sizeof id, "%.*s", (int)(l - 5), e->d_name);
    bool known = false;
    for (size_t k = 0; k < req->nknown; k++) known |= strcmp(req->known[k], id) == 0;
    char path[4200];
    state_path(p, id, path, sizeof path);
    json_t *srv = known ? NULL : json_load_file(path, 0, NULL);
    const char *node = json_string_value(json_object_get(srv, "node"));
    const char *model = json_string_value(json_object_get(srv, "model"));
    if (node && model && strcmp(node, req->node_id) == 0 && strcmp(model, req->model) == 0 &&
        num(srv, "created", 0) >= since - 60 && strlen(id) < 24) {
      snprintf(found, 24, "%s", id);
      rc = 0;
    }
    json_decref(srv);
  }
  closedir(d);
  return rc;
}

static int tp_reattach(vsc_provider *base, vsc_pred **out, const vsc_pred_request *req,
                       const char *id, double since, vsc_op_error *err) {
  tprov *p = (tprov *)base;
  *out = NULL;
  char found[24];
  if (!id) {
    log_call(p, "search", req->node_id, req->model, 0, NULL);
    if (find_lost(p, req, since, found) != 0) {
      tpred *pr = new_pred(p, req);
      if (!pr) return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
      pr->st.state = VSC_PRED_FAILED;
      pr->st.cost = 0;
      vsc_op_fail(&pr->st.err, VSC_FAIL_ABSENT, "the call was never created");
      *out = (vsc_pred *)pr;
      return 0;
    }
    id = found;
  }
  log_call(p, "reattach", req->node_id, req->model, 0, id);
  char path[4200];
  state_path(p, id, path, sizeof path);
  tpred *pr = new_pred(p, req);
  if (!pr) return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
  snprintf(pr->st.id, sizeof pr->st.id, "%s", id);
  json_t *server = json_load_file(path, 0, NULL);
  if (!server) {
    pr->st.state = VSC_PRED_FAILED;
    vsc_op_fail(&pr->st.err, VSC_FAIL_INPUT, "prediction %s is not known to the provider", id);
    pr->st.cost = 0;
  } else {
    pr->server = server;
    pr->created = num(server, "created", wall_now());
    pr->id_at = 0;
    pr->done_at = pr->created + num(server, "latency", 0);
    pr->st.state = VSC_PRED_RUNNING;
  }
  *out = (vsc_pred *)pr;
  return 0;
}

static bool terminal(vsc_pred_state s) {
  return s == VSC_PRED_SUCCEEDED || s == VSC_PRED_FAILED || s == VSC_PRED_CANCELED;
}

static int write_output(tpred *pr, bool half) {
  const char *src = json_string_value(json_object_get(pr->server, "output"));
  char *data = NULL;
  size_t len = 0;
  if (src) {
    FILE *f = fopen(src, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc(sz > 0 ? (size_t)sz : 1);
    len = data ? fread(data, 1, (size_t)(sz > 0 ? sz : 0), f) : 0;
    fclose(f);
    if (!data) return -1;
  } else {
    data = malloc(1024);
    if (!data) return -1;
    len = (size_t)snprintf(data, 1024, "test-output node=%s model=%s prediction=%s\n", pr->node,
                           pr->model, pr->st.id);
  }
  int fd = open(pr->out, O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (fd < 0) {
    free(data);
    return -1;
  }
  size_t n = half ? len / 2 : len, off = 0;
  while (off < n) {
    ssize_t w = write(fd, data + off, n - off);
    if (w <= 0) break;
    off += (size_t)w;
  }
  free(data);
  close(fd);
  return off == n ? 0 : -1;
}

static void advance(tpred *pr, double now) {
  if (terminal(pr->st.state)) return;
  if (pr->crash[0] && strcmp(pr->crash, "id") == 0 && pr->id_reported) raise(SIGKILL);
  if (pr->st.state == VSC_PRED_STARTING && now >= pr->id_at) pr->st.state = VSC_PRED_RUNNING;
  if (pr->st.state != VSC_PRED_RUNNING || pr->hang || now < pr->done_at) return;
  json_t *s = pr->server;
  pr->st.seed = json_integer_value(json_object_get(s, "seed"));
  pr->st.predict_time = num(s, "latency", 0);
  const char *fail = json_string_value(json_object_get(s, "fail"));
  if (json_is_true(json_object_get(s, "canceled"))) {
    pr->st.state = VSC_PRED_CANCELED;
    pr->st.cost = 0;
    vsc_op_fail(&pr->st.err, VSC_FAIL_CANCELED, "prediction %s was canceled", pr->st.id);
  } else if (fail) {
    pr->st.state = VSC_PRED_FAILED;
    pr->st.cost = num(s, "fail_cost", 0);
    vsc_fail_kind k = vsc_fail_kind_parse(fail);
    vsc_op_fail(&pr->st.err, k, "test provider: scripted %s failure of %s", fail, pr->model);
    pr->st.err.retry_after = num(s, "retry_after", 0);
  } else {
    pr->st.state = VSC_PRED_DOWNLOADING;
    if (strcmp(pr->crash, "download") == 0) {
      write_output(pr, true);
      raise(SIGKILL);
    }
    if (write_output(pr, false) != 0) {
      pr->st.state = VSC_PRED_FAILED;
      pr->st.cost = num(s, "cost", 0);
      vsc_op_fail(&pr->st.err, VSC_FAIL_TRANSIENT, "test provider: download of %s failed",
                  pr->st.id);
      return;
    }
    pr->st.cost = num(s, "cost", 0);
    pr->st.state = VSC_PRED_SUCCEEDED;
  }
}

static int tp_step(vsc_provider *base, double max_wait) {
  tprov *p = (tprov *)base;
  double now = wall_now();
  for (tpred *pr = p->live; pr; pr = pr->next) advance(pr, now);
  /* Sleep until the next scripted event, the deadline or a wakeup. */
  double next = now + (max_wait > 0 ? max_wait : 0);
  for (tpred *pr = p->live; pr; pr = pr->next) {
    if (terminal(pr->st.state)) return 0; /* something for the scheduler to collect */
    if (pr->st.state == VSC_PRED_STARTING && pr->id_at < next) next = pr->id_at;
    if (pr->st.state == VSC_PRED_RUNNING && pr->id_reported == false) return 0;
    if (!pr->hang && pr->done_at < next) next = pr->done_at;
  }
  pthread_mutex_lock(&p->mu);
  while (!p->woken && wall_now() < next) {
    double at = next;
    struct timespec ts;
    ts.tv_sec = (time_t)at;
    ts.tv_nsec = (long)((at - (double)ts.tv_sec) * 1e9);
    pthread_cond_timedwait(&p->cv, &p->mu, &ts);
  }
  p->woken = false;
  pthread_mutex_unlock(&p->mu);
  now = wall_now();
  for (tpred *pr = p->live; pr; pr = pr->next) advance(pr, now);
  return 0;
}

static void tp_wakeup(vsc_provider *base) {
  tprov *p = (tprov *)base;
  pthread_mutex_lock(&p->mu);
  p->woken = true;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
}

static void tp_status(vsc_pred *pred, vsc_pred_status *st) {
  tpred *pr = (tpred *)pred;
  *st = pr->st;
  if (pr->st.state == VSC_PRED_STARTING) st->id[0] = 0;
  else pr->id_reported = true;
}

static int tp_cancel(vsc_pred *pred) {
  tpred *pr = (tpred *)pred;
  log_call(pr->p, "cancel", pr->node, pr->model, 0, pr->st.id);
  if (terminal(pr->st.state) || !pr->server) return -1;
  json_object_set_new(pr->server, "canceled", json_true());
  save_server(pr->p, pr->st.id, pr->server);
  pr->hang = false;
  pr->done_at = 0; /* the next step reports CANCELED */
  if (pr->st.state == VSC_PRED_STARTING) pr->st.state = VSC_PRED_RUNNING;
  return 0;
}

static void tp_release(vsc_pred *pred) {
  tpred *pr = (tpred *)pred;
  tprov *p = pr->p;
  for (tpred **pp = &p->live; *pp; pp = &(*pp)->next)
    if (*pp == pr) {
      *pp = pr->next;
      break;
    }
  json_decref(pr->server);
  free(pr);
}

static void tp_destroy(vsc_provider *base) {
  tprov *p = (tprov *)base;
  while (p->live) tp_release((vsc_pred *)p->live);
  json_decref(p->cfg);
  json_decref(p->attempts);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  free(p);
}

static const vsc_provider_vt test_vt = {
    "test",
    tp_start,
    tp_reattach,
    tp_step,
    tp_wakeup,
    tp_status,
    tp_cancel,
    tp_release,
    tp_destroy,
};

static int mkdirs(const char *path) {
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *s = buf + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    mkdir(buf, 0777);
    *s = '/';
  }
  return mkdir(buf, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

int vsc_provider_test_new(vsc_provider **out, const vsc_provider_options *opts,
                          vsc_op_error *err) {
  *out = NULL;
  const char *src = opts && opts->config ? opts->config : getenv("VSC_TEST_PROVIDER");
  json_t *cfg = NULL;
  json_error_t je;
  if (!src || !*src)
    cfg = json_object();
  else if (src[0] == '@')
    cfg = json_load_file(src + 1, 0, &je);
  else
    cfg = json_loads(src, 0, &je);
  if (!json_is_object(cfg)) {
    json_decref(cfg);
    return vsc_op_fail(err, VSC_FAIL_INPUT, "test provider script: %s", cfg ? "not an object" : je.text);
  }
  tprov *p = calloc(1, sizeof *p);
  if (!p) {
    json_decref(cfg);
    return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
  }
  p->base.vt = &test_vt;
  p->cfg = cfg;
  p->attempts = json_object();
  const char *state = json_string_value(json_object_get(cfg, "state"));
  if (state)
    snprintf(p->state, sizeof p->state, "%.3000s", state);
  else
    snprintf(p->state, sizeof p->state, "%.3000s/providers/test",
             opts && opts->cache_dir ? opts->cache_dir : ".");
  const char *log = json_string_value(json_object_get(cfg, "log"));
  snprintf(p->log, sizeof p->log, "%s", log ? log : "");
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  if (mkdirs(p->state) != 0) {
    tp_destroy(&p->base);
    return vsc_op_fail(err, VSC_FAIL_LOCAL, "test provider: cannot create %s", state ? state : "state dir");
  }
  *out = &p->base;
  return 0;
}
