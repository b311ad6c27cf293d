/*
** main.c — mock-replicate: a local stand-in for Replicate's HTTP API, for tests and
** offline development (docs/mock-replicate.md).
**
**   mock-replicate --port PORT [--latency S] [--output-ttl S] [--state-file F]
**                  [--models FILE] [--page-size N] [--rate-limit N] [--rate-limit-other N]
**                  [--time-scale F] [--max-file-size BYTES] [--file-ttl S]
**                  [--max-body BYTES] [--token T]... [--seed N] [--verbose]
**
** Prints "mock-replicate listening on http://127.0.0.1:PORT" once it accepts connections
** (PORT 0 picks a free port), and stops cleanly on SIGTERM or SIGINT.
*/
#include <libavutil/log.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"
#include "vsc/vsc_speech.h"

#ifndef MOCK_DEFAULT_MODELS
#define MOCK_DEFAULT_MODELS "models.json"
#endif

mock_state g_mock;
volatile sig_atomic_t g_stopping;

static int usage(void) {
  fprintf(stderr,
          "usage: mock-replicate --port PORT [--latency SECONDS] [--output-ttl SECONDS]\n"
          "                      [--state-file F] [--models FILE] [--page-size N]\n"
          "                      [--rate-limit CREATES_PER_MINUTE] [--rate-limit-other N]\n"
          "                      [--time-scale F] [--max-file-size BYTES] [--file-ttl SECONDS]\n"
          "                      [--max-body BYTES] [--token T]... [--seed N] [--verbose]\n");
  return 2;
}

static int num_arg(const char *s, double lo, double hi, double *out) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

int main(int argc, char **argv) {
  const char *models = MOCK_DEFAULT_MODELS;
  double port = -1, seed = 1;
  g_mock.latency = 1.0;
  g_mock.output_ttl = 3600;
  g_mock.page_size = 100;
  g_mock.time_scale = 1.0;
  g_mock.max_file_size = 100.0 * 1024 * 1024; /* Replicate: 100 MiB (replicate-javascript#286) */
  g_mock.file_ttl = 24 * 3600;
  g_mock.max_body = 1024.0 * 1024;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    double d;
    if (!strcmp(a, "--verbose")) {
      g_mock.verbose = 1;
      continue;
    }
    if (!v) return usage();
    i++;
    if (!strcmp(a, "--port")) {
      if (num_arg(v, 0, 65535, &port)) return usage();
    } else if (!strcmp(a, "--latency")) {
      if (num_arg(v, 0, 86400, &g_mock.latency)) return usage();
    } else if (!strcmp(a, "--output-ttl")) {
      if (num_arg(v, 0, 1e9, &g_mock.output_ttl)) return usage();
    } else if (!strcmp(a, "--state-file")) {
      g_mock.state_file = (char *)v;
    } else if (!strcmp(a, "--models")) {
      models = v;
    } else if (!strcmp(a, "--page-size")) {
      if (num_arg(v, 1, 1000, &d)) return usage();
      g_mock.page_size = (int)d;
    } else if (!strcmp(a, "--rate-limit")) {
      if (num_arg(v, 0, 1e6, &g_mock.rate_limit)) return usage();
    } else if (!strcmp(a, "--rate-limit-other")) {
      if (num_arg(v, 0, 1e6, &g_mock.rate_limit_other)) return usage();
    } else if (!strcmp(a, "--time-scale")) {
      if (num_arg(v, 1e-4, 1e4, &g_mock.time_scale)) return usage();
    } else if (!strcmp(a, "--max-file-size")) {
      if (num_arg(v, 1, 16e9, &g_mock.max_file_size)) return usage();
    } else if (!strcmp(a, "--file-ttl")) {
      if (num_arg(v, 0, 1e9, &g_mock.file_ttl)) return usage();
    } else if (!strcmp(a, "--max-body")) {
      if (num_arg(v, 1024, 1e9, &g_mock.max_body)) return usage();
    } else if (!strcmp(a, "--seed")) {
      if (num_arg(v, 0, 1e18, &seed)) return usage();
    } else if (!strcmp(a, "--token")) {
      char **t = realloc(g_mock.tokens, (size_t)(g_mock.ntokens + 1) * sizeof *t);
      if (!t) return 1;
      g_mock.tokens = t;
      g_mock.tokens[g_mock.ntokens++] = (char *)v;
    } else {
      return usage();
    }
  }
  if (port < 0) return usage();
  g_mock.port = (int)port;
  g_mock.rng = (unsigned long long)seed * 6364136223846793005ULL + 1442695040888963407ULL;
  if (!g_mock.rng) g_mock.rng = 1;
  g_mock.billing = json_array();
  g_mock.stats = json_object();
  g_mock.started = mock_now();
  pthread_mutex_init(&g_mock.lock, NULL);

  char err[512];
  if (mock_models_load(models, err, sizeof err) < 0 || mock_state_load(err, sizeof err) < 0) {
    fprintf(stderr, "mock-replicate: %s\n", err);
    return 1;
  }
  /* Block the stop signals in every thread; main waits for them with sigwait(). */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  av_log_set_level(g_mock.verbose ? AV_LOG_WARNING : AV_LOG_ERROR); /* no encoder chatter */
  vsc_speech_prepare();                                             /* the TTS voice forks from a process without threads (speech.c) */
  if (mock_http_start(err, sizeof err) < 0) {
    fprintf(stderr, "mock-replicate: %s\n", err);
    return 1;
  }
  printf("mock-replicate listening on http://127.0.0.1:%d\n", g_mock.port);
  fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  g_stopping = 1;
  mock_http_stop();
  pthread_mutex_lock(&g_mock.lock);
  mock_state_save();
  pthread_mutex_unlock(&g_mock.lock);
  for (int i = 0; i < g_mock.npreds; i++) mock_pred_free(g_mock.preds[i]);
  free(g_mock.preds);
  mock_files_free();
  mock_ratelimit_clear();
  free(g_mock.deployments);
  for (int i = 0; i < g_mock.nmodels; i++) {
    mock_model *m = &g_mock.models[i];
    free(m->owner);
    free(m->name);
    free(m->full);
    json_decref(m->fixture);
    json_decref(m->schema);
    json_decref(m->versions);
  }
  free(g_mock.models);
  json_t *none = json_array();
  mock_faults_set(none, NULL, 0);
  json_decref(none);
  json_decref(g_mock.billing);
  json_decref(g_mock.stats);
  free(g_mock.tokens);
  return 0;
}
