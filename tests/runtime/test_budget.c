/*
** Budget property test: many randomized plans (random prices, worst cases, budgets,
** fallbacks, retry policies) run against a test provider that fails at random (transient,
** policy, input; failures that cost money too) and charges random actual costs up to the
** worst case. Whatever happens, replaying the journal must show that at every moment the
** money settled plus the worst cases of the calls in flight stayed within the budget, that
** every call was closed, and that a budget stop is journaled when it happens.
** Usage: test_budget [PLANS] [SEED].
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_helpers.h"

static double urand(unsigned *s) { return (double)rand_r(s) / ((double)RAND_MAX + 1.0); }

/* Replays the journal; returns the largest (settled + reserved) seen at an intent. */
static double replay(const json_t *j, double budget, int *open_calls, int *stops, double *spent) {
  json_t *reserved = json_object();
  double settled = 0, inflight = 0, peak = 0;
  size_t i;
  json_t *r;
  *stops = 0;
  json_array_foreach(j, i, r) {
    const char *t = json_string_value(json_object_get(r, "t"));
    const char *call = json_string_value(json_object_get(r, "call"));
    if (strcmp(t, "intent") == 0) {
      double max = json_number_value(json_object_get(r, "reserved"));
      inflight += max;
      json_object_set_new(reserved, call, json_real(max));
      if (settled + inflight > peak) peak = settled + inflight;
    } else if (strcmp(t, "done") == 0) {
      json_t *m = json_object_get(reserved, call);
      inflight -= json_number_value(m);
      double cost = json_number_value(json_object_get(r, "cost"));
      settled += cost;
      json_object_del(reserved, call);
    } else if (strcmp(t, "budget-stop") == 0) {
      (*stops)++;
    }
  }
  *open_calls = (int)json_object_size(reserved);
  *spent = settled;
  json_decref(reserved);
  (void)budget;
  return peak;
}

int main(int argc, char **argv) {
  int plans = argc > 1 ? atoi(argv[1]) : 60;
  unsigned seed = argc > 2 ? (unsigned)atoi(argv[2]) : 1234u;
  char dir[2048];
  vsc_test_tmpdir(dir, sizeof dir, "budget");
  int stopped = 0, degraded = 0, ok = 0;
  for (int p = 0; p < plans; p++) {
    char cache[2200];
    snprintf(cache, sizeof cache, "%s/c%d", dir, p);
    double budget = 0.2 + urand(&seed) * 4.0;
    json_t *plan = rt_plan_new(budget);
    int n = 2 + (int)(urand(&seed) * 9);
    const char *ids[16];
    json_t *rules = json_array();
    for (int k = 0; k < n; k++) {
      char label[16];
      snprintf(label, sizeof label, "s%d", k);
      json_t *params = json_pack("{s:s, s:s, s:s, s:i}", "kind", "video", "prompt", label, "label", label, "seed", k);
      ids[k] = rt_add(plan, "generate", params, "acme/main", NULL, 0);
      json_t *node = rt_last(plan);
      double est = 0.05 + urand(&seed) * 0.9, max = est * (1.0 + urand(&seed));
      json_object_set_new(node, "cost", json_pack("{s:f, s:f}", "estimate", est, "max", max));
      json_object_set_new(node, "retry", json_pack("{s:i, s:f}", "attempts", 1 + (int)(urand(&seed) * 3), "backoff", 0.001));
      json_t *fb = json_array();
      int nfb = (int)(urand(&seed) * 3);
      for (int q = 0; q < nfb; q++) json_array_append_new(fb, json_string(q ? "acme/b" : "acme/a"));
      json_object_set_new(node, "fallbacks", fb);
      /* Random outcomes for the first few attempts of this scene (any model). */
      for (int a = 1; a <= 3; a++) {
        double x = urand(&seed);
        const char *fail = x < 0.25 ? "transient" : x < 0.35 ? "policy"
                                              : x < 0.4      ? "input"
                                                             : NULL;
        json_t *rule = json_pack("{s:s, s:i, s:f}", "label", label, "attempt", a, "cost", max * urand(&seed));
        if (fail) {
          json_object_set_new(rule, "fail", json_string(fail));
          json_object_set_new(rule, "fail_cost", json_real(urand(&seed) < 0.5 ? 0.0 : max * urand(&seed)));
          if (urand(&seed) < 0.3) json_object_set_new(rule, "retry_after", json_real(0.002));
        }
        json_array_append_new(rules, rule);
      }
    }
    const char *c = rt_add(plan, "concat", json_pack("{s:s}", "label", "all"), NULL, ids, (size_t)n);
    json_object_set_new(json_object_get(plan, "outputs"), "video", json_string(c));
    json_t *cfg = json_pack("{s:f, s:o}", "latency", 0.002 + urand(&seed) * 0.01, "rules", rules);
    char *cfgtext = json_dumps(cfg, JSON_COMPACT);
    vsc_run_result res;
    CHECK(rt_run(plan, cache, cfgtext, &res, NULL) == 0, "plan %d: run", p);
    json_t *j = rt_journal(cache);
    int open_calls, stops;
    double spent;
    double peak = replay(j, budget, &open_calls, &stops, &spent);
    CHECK(peak <= budget + 1e-9, "plan %d: spent + reserved reached %.4f over budget %.4f", p, peak, budget);
    CHECK(spent <= budget + 1e-9 && res.spent <= budget + 1e-9, "plan %d: spent %.4f over %.4f", p, spent, budget);
    CHECK(spent > res.spent - 1e-9 && spent < res.spent + 1e-9, "plan %d: journal %.4f vs run %.4f", p, spent, res.spent);
    CHECK(open_calls == 0, "plan %d: %d calls never closed", p, open_calls);
    CHECK((res.status == VSC_RUN_BUDGET) == (stops == 1), "plan %d: status %d, %d budget stops", p, res.status, stops);
    if (res.status == VSC_RUN_BUDGET) stopped++;
    else if (res.status == VSC_RUN_PARTIAL) degraded++;
    else if (res.status == VSC_RUN_OK) ok++;
    else CHECK(res.status == VSC_RUN_FAILED, "plan %d: unexpected status %d", p, res.status);
    json_decref(j);
    free(cfgtext);
    json_decref(cfg);
    json_decref(plan);
    vsc_test_rmtree(cache);
  }
  printf("%d plans: %d ok, %d partial, %d stopped by the budget\n", plans, ok, degraded, stopped);
  /* The generator must exercise every path, or the property proves little. */
  CHECK(stopped > 0 && degraded > 0 && ok > 0, "every outcome seen");
  vsc_test_rmtree(dir);
  if (vsc_test_failures) fprintf(stderr, "%d check(s) failed\n", vsc_test_failures);
  return vsc_test_failures ? 1 : 0;
}
