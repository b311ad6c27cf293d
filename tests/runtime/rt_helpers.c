/*
** Helpers of the runtime tests: building small plan graphs with correct ids, tiny op
** executors whose outputs are text (so results can be asserted byte for byte), and
** reading back the journal and the test provider's call log.
*/
#include "rt_helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

char rt_exec_log[4096];
bool rt_cancel_on_interrupt;
vsc_progress_mode rt_progress;
FILE *rt_progress_out;

json_t *rt_plan_new(double budget) {
  json_t *p = json_pack("{s:s, s:i, s:s, s:{s:s, s:i, s:i, s:i, s:f, s:s}, s:[], s:[], s:{}}",
                        "format", "vsc-ir", "version", 1, "root", ".", "video", "title", "t",
                        "width", 64, "height", 36, "fps", 10, "length", 1.0, "provider", "test",
                        "scenes", "nodes", "outputs");
  json_object_set_new(json_object_get(p, "video"), "budget", budget >= 0 ? json_real(budget) : json_null());
  return p;
}

const char *rt_add(json_t *plan, const char *op, json_t *params, const char *model,
                   const char *const *inputs, size_t ninputs) {
  json_t *in = json_array();
  for (size_t i = 0; i < ninputs; i++) json_array_append_new(in, json_string(inputs[i]));
  json_t *basis = json_pack("{s:O, s:s, s:o, s:o}", "inputs", in, "op", op, "params", json_copy(params),
                            "model", model ? json_string(model) : json_null());
  char *text = json_dumps(basis, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
  unsigned char md[32];
  unsigned int len = 0;
  EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL);
  free(text);
  json_decref(basis);
  char id[65];
  for (int i = 0; i < 32; i++) snprintf(id + 2 * i, 3, "%02x", md[i]);
  json_t *node = json_pack("{s:s, s:s, s:o, s:o}", "id", id, "op", op, "inputs", in, "params", params);
  if (model) json_object_set_new(node, "model", json_string(model));
  const char *label = json_string_value(json_object_get(params, "label"));
  if (label) json_object_set_new(node, "scene", json_string(label));
  json_array_append_new(json_object_get(plan, "nodes"), node);
  return json_string_value(json_object_get(node, "id"));
}

json_t *rt_last(json_t *plan) {
  json_t *nodes = json_object_get(plan, "nodes");
  return json_array_get(nodes, json_array_size(nodes) - 1);
}

/* ---- executors -------------------------------------------------------------------------- */

static int read_file(const char *path, char *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  size_t n = fread(buf, 1, cap - 1, f);
  buf[n] = 0;
  fclose(f);
  return (int)n;
}

static void log_exec(const json_t *node, double t0, double t1) {
  if (!rt_exec_log[0]) return;
  json_t *rec = json_pack("{s:s, s:s, s:f, s:f}", "id", json_string_value(json_object_get(node, "id")),
                          "op", json_string_value(json_object_get(node, "op")), "t0", t0, "t1", t1);
  const char *label = json_string_value(json_object_get(json_object_get(node, "params"), "label"));
  if (label) json_object_set_new(rec, "label", json_string(label));
  char *text = json_dumps(rec, JSON_COMPACT);
  int fd = open(rt_exec_log, O_WRONLY | O_CREAT | O_APPEND, 0666);
  if (fd >= 0 && text) {
    dprintf(fd, "%s\n", text);
  }
  if (fd >= 0) close(fd);
  free(text);
  json_decref(rec);
}

/* Output: "<op>[<label>](<inputs' contents joined by '+'>)". params.sleep delays it,
 * params.fail makes it fail. */
int rt_exec(const json_t *node, const char *const *inputs, size_t ninputs, const char *out_path,
            vsc_op_error *err) {
  double t0 = vsc_test_now();
  const json_t *params = json_object_get(node, "params");
  double sleep_s = json_number_value(json_object_get(params, "sleep"));
  if (sleep_s > 0) {
    struct timespec ts = {(time_t)sleep_s, (long)((sleep_s - (double)(time_t)sleep_s) * 1e9)};
    nanosleep(&ts, NULL);
  }
  if (json_is_true(json_object_get(params, "fail")))
    return vsc_op_fail(err, VSC_FAIL_LOCAL, "scripted local failure");
  const char *op = json_string_value(json_object_get(node, "op"));
  const char *label = json_string_value(json_object_get(params, "label"));
  const char *prompt = json_string_value(json_object_get(params, "prompt"));
  const char *model = json_string_value(json_object_get(node, "model"));
  FILE *f = fopen(out_path, "wb");
  if (!f) return vsc_op_fail(err, VSC_FAIL_LOCAL, "%s: %s", out_path, strerror(errno));
  if (model && strcmp(model, "local/card") == 0)
    fprintf(f, "card[%s]", prompt ? prompt : "");
  else
    fprintf(f, "%s[%s](", op, label ? label : "");
  for (size_t i = 0; i < ninputs; i++) {
    char buf[8192];
    if (read_file(inputs[i], buf, sizeof buf) < 0) {
      fclose(f);
      return vsc_op_fail(err, VSC_FAIL_INPUT, "cannot read input %zu", i);
    }
    size_t len = strlen(buf);
    while (len && buf[len - 1] == '\n') buf[--len] = 0;
    fprintf(f, "%s%s", i ? "+" : "", buf);
  }
  if (!(model && strcmp(model, "local/card") == 0)) fprintf(f, ")");
  fclose(f);
  log_exec(node, t0, vsc_test_now());
  return 0;
}

const vsc_executor rt_executors[] = {
    {"generate", rt_exec},
    {"tts", rt_exec},
    {"animate", rt_exec},
    {"segment", rt_exec},
    {"concat", rt_exec},
    {"audio", rt_exec},
    {"mux", rt_exec},
};
const size_t rt_nexecutors = sizeof rt_executors / sizeof rt_executors[0];

/* ---- files ------------------------------------------------------------------------------ */

static json_t *rt_read_lines(const char *path) {
  json_t *arr = NULL;
  char err[256];
  if (vsc_journal_read(&arr, path, err, sizeof err) == 0) return arr;
  return json_array();
}

json_t *rt_journal(const char *cache) {
  char path[4200];
  snprintf(path, sizeof path, "%s/journal.jsonl", cache);
  return rt_read_lines(path);
}

/* A journal with the volatile fields dropped, as one line per record:
 * "t field=value …" — what the exact-contents tests compare. */
char *rt_journal_text(const json_t *records, const char *const *fields) {
  size_t cap = 1 << 16, len = 0;
  char *out = malloc(cap);
  out[0] = 0;
  size_t i;
  json_t *r;
  json_array_foreach(records, i, r) {
    char line[1024];
    int w = snprintf(line, sizeof line, "%s", json_string_value(json_object_get(r, "t")));
    for (const char *const *f = fields; *f; f++) {
      json_t *v = json_object_get(r, *f);
      if (!v) continue;
      char *vt = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
      w += snprintf(line + w, sizeof line - (size_t)w, " %s=%s", *f, vt ? vt : "?");
      free(vt);
      if ((size_t)w >= sizeof line) break;
    }
    size_t l = strlen(line);
    if (len + l + 2 > cap) {
      cap = (len + l + 2) * 2;
      out = realloc(out, cap);
    }
    memcpy(out + len, line, l);
    len += l;
    out[len++] = '\n';
    out[len] = 0;
  }
  return out;
}

json_t *(*rt_split)(const json_t *node);
int rt_jobs;

int rt_run(const json_t *plan, const char *cache, const char *provider_cfg, vsc_run_result *res,
           const char *output) {
  vsc_run_options o = VSC_RUN_OPTIONS_INIT;
  o.cache_dir = cache;
  o.jobs = rt_jobs > 0 ? rt_jobs : 4;
  o.executors = rt_executors;
  o.nexecutors = rt_nexecutors;
  o.card = rt_exec;
  o.progress = rt_progress ? rt_progress : getenv("VSC_TEST_VERBOSE") ? VSC_PROGRESS_PLAIN
                                                                      : VSC_PROGRESS_QUIET;
  o.progress_out = rt_progress_out;
  o.output = output;
  o.cancel_on_interrupt = rt_cancel_on_interrupt;
  o.split = rt_split;
  o.join = rt_exec;
  vsc_provider *prov = NULL;
  vsc_op_error perr;
  vsc_provider_options po = VSC_PROVIDER_OPTIONS_INIT;
  po.cache_dir = cache;
  po.config = provider_cfg;
  if (vsc_provider_test_new(&prov, &po, &perr) != 0) {
    fprintf(stderr, "test provider: %s\n", perr.msg);
    return -1;
  }
  o.remote = prov;
  char err[512];
  int rc = vsc_run(plan, &o, res, err, sizeof err);
  if (rc != 0) fprintf(stderr, "vsc_run: %s\n", err);
  prov->vt->destroy(prov);
  return rc;
}
