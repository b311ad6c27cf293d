/*
** The ledger (runtime stage "journal"): what the journal says was spent, per build and per
** node. A call belongs to the build that recorded its intent (that is when the money was
** committed), even when a later build re-attached to it and saw it finish.
*/
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "vsc/vsc_runtime.h"

static const char *str(const json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

static json_t *find_build(json_t *builds, json_t *index, const char *b) {
  json_t *pos = json_object_get(index, b);
  if (pos) return json_array_get(builds, (size_t)json_integer_value(pos));
  json_t *nb = json_pack("{s:s, s:n, s:n, s:n, s:n, s:s, s:f, s:f, s:i, s:o, s:o}", "build", b,
                         "time", "plan", "budget", "provider", "status", "unfinished", "spent",
                         0.0, "unknown_cost", 0.0, "unknown_calls", 0, "calls", json_array(),
                         "nodes", json_array());
  json_object_set_new(index, b, json_integer((json_int_t)json_array_size(builds)));
  json_array_append_new(builds, nb);
  return nb;
}

static void set_if(json_t *dst, const char *k, json_t *src, const char *sk) {
  json_t *v = json_object_get(src, sk);
  if (v) json_object_set(dst, k, v);
}

json_t *vsc_ledger_build(const json_t *records) {
  json_t *builds = json_array(), *index = json_object(), *calls = json_object();
  size_t i;
  json_t *rec;
  json_array_foreach(records, i, rec) {
    const char *t = str(rec, "t"), *b = str(rec, "build");
    if (!t || !b) continue;
    if (strcmp(t, "build") == 0) {
      json_t *nb = find_build(builds, index, b);
      set_if(nb, "time", rec, "time");
      set_if(nb, "plan", rec, "plan");
      set_if(nb, "budget", rec, "budget");
      set_if(nb, "provider", rec, "provider");
    } else if (strcmp(t, "end") == 0) {
      set_if(find_build(builds, index, b), "status", rec, "status");
    } else if (strcmp(t, "cached") == 0 && str(rec, "prediction")) {
      /* A paid output another machine made (the shared cache): named, not paid again. */
      json_t *nb = find_build(builds, index, b);
      if (!json_object_get(nb, "shared")) json_object_set_new(nb, "shared", json_array());
      json_t *s = json_object();
      static const char *const keep[] = {"node", "scene", "op", "prediction", "paid_by_origin"};
      for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++) set_if(s, keep[k], rec, keep[k]);
      json_array_append_new(json_object_get(nb, "shared"), s);
    } else if (strcmp(t, "intent") == 0 && str(rec, "call")) {
      json_t *nb = find_build(builds, index, b);
      json_t *c = json_pack("{s:s, s:n, s:s, s:f, s:b}", "call", str(rec, "call"),
                            "prediction", "outcome", "open", "cost", 0.0, "cost_known", 0);
      static const char *const keep[] = {"build", "node", "scene", "model", "provider", "attempt",
                                         "estimate", "reserved"};
      for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++) set_if(c, keep[k], rec, keep[k]);
      json_array_append(json_object_get(nb, "calls"), c);
      json_object_set_new(calls, str(rec, "call"), c);
    } else if ((strcmp(t, "started") == 0 || strcmp(t, "reattach") == 0) && str(rec, "call")) {
      json_t *c = json_object_get(calls, str(rec, "call"));
      if (c && json_is_string(json_object_get(rec, "prediction")))
        set_if(c, "prediction", rec, "prediction");
      if (c && strcmp(t, "reattach") == 0) set_if(c, "resumed_by", rec, "build");
    } else if (strcmp(t, "left") == 0 && str(rec, "call")) {
      json_t *c = json_object_get(calls, str(rec, "call"));
      if (c) json_object_set_new(c, "outcome", json_string("left running"));
      if (c && json_is_true(json_object_get(rec, "cost_known"))) { /* paid, output not stored */
        set_if(c, "cost", rec, "cost");
        set_if(c, "cost_known", rec, "cost_known");
      }
    } else if (strcmp(t, "done") == 0 && str(rec, "call")) {
      json_t *c = json_object_get(calls, str(rec, "call"));
      if (!c) continue;
      set_if(c, "outcome", rec, "outcome");
      set_if(c, "cost", rec, "cost");
      set_if(c, "cost_known", rec, "cost_known");
      set_if(c, "kind", rec, "kind");
      set_if(c, "msg", rec, "msg");
      if (strcmp(str(rec, "build"), str(c, "build") ? str(c, "build") : "") != 0)
        set_if(c, "finished_by", rec, "build");
    }
  }
  /* Totals and per-node rows. */
  double total = 0, total_unknown = 0;
  json_t *nb;
  json_array_foreach(builds, i, nb) {
    double spent = 0, unknown = 0;
    int nunknown = 0;
    json_t *nodes = json_object_get(nb, "nodes"), *byid = json_object();
    size_t k;
    json_t *c;
    json_array_foreach(json_object_get(nb, "calls"), k, c) {
      double cost = json_number_value(json_object_get(c, "cost"));
      const char *outcome = str(c, "outcome");
      bool known = json_is_true(json_object_get(c, "cost_known"));
      bool open = outcome && (strcmp(outcome, "open") == 0 || (strcmp(outcome, "left running") == 0 && !known));
      if (open || !json_is_true(json_object_get(c, "cost_known"))) {
        /* Not known: count the reserved worst case as possibly spent. */
        double r = open ? json_number_value(json_object_get(c, "reserved")) : cost;
        unknown += r;
        nunknown++;
      } else {
        spent += cost;
      }
      const char *node = str(c, "node");
      if (!node) continue;
      json_t *row = json_object_get(byid, node);
      if (!row) {
        row = json_pack("{s:s, s:O, s:i, s:f, s:o}", "node", node, "scene",
                        json_object_get(c, "scene") ? json_object_get(c, "scene") : json_null(),
                        "calls", 0, "cost", 0.0, "models", json_array());
        json_object_set_new(byid, node, row);
        json_array_append(nodes, row);
      }
      json_object_set_new(row, "calls", json_integer(json_integer_value(json_object_get(row, "calls")) + 1));
      if (!open && json_is_true(json_object_get(c, "cost_known")))
        json_object_set_new(row, "cost", json_real(json_number_value(json_object_get(row, "cost")) + cost));
      set_if(row, "outcome", c, "outcome");
      set_if(row, "prediction", c, "prediction");
      json_t *models = json_object_get(row, "models");
      const char *m = str(c, "model");
      bool seen = false;
      size_t q;
      json_t *mv;
      json_array_foreach(models, q, mv)
        if (m && strcmp(json_string_value(mv), m) == 0) seen = true;
      if (m && !seen) json_array_append_new(models, json_string(m));
    }
    json_decref(byid);
    json_object_set_new(nb, "spent", json_real(spent));
    json_object_set_new(nb, "unknown_cost", json_real(unknown));
    json_object_set_new(nb, "unknown_calls", json_integer(nunknown));
    total += spent;
    total_unknown += unknown;
  }
  json_decref(index);
  json_decref(calls);
  return json_pack("{s:o, s:f, s:f}", "builds", builds, "total", total, "unknown_cost",
                   total_unknown);
}

static const char *or_dash(const char *s) { return s && *s ? s : "-"; }

void vsc_ledger_print(const json_t *ledger, FILE *out) {
  size_t i;
  json_t *nb;
  json_t *builds = json_object_get(ledger, "builds");
  if (json_array_size(builds) == 0) {
    fprintf(out, "no paid calls recorded\n");
    return;
  }
  json_array_foreach(builds, i, nb) {
    json_t *budget = json_object_get(nb, "budget");
    char bud[32] = "none";
    if (json_is_number(budget)) snprintf(bud, sizeof bud, "$%.2f", json_number_value(budget));
    fprintf(out, "build %s  %s  provider %s  budget %s  spent $%.2f  status %s\n",
            str(nb, "build"), or_dash(str(nb, "time")), or_dash(str(nb, "provider")), bud,
            json_number_value(json_object_get(nb, "spent")), or_dash(str(nb, "status")));
    if (json_integer_value(json_object_get(nb, "unknown_calls")) > 0)
      fprintf(out, "  + up to $%.2f in %lld call(s) whose cost is not known yet\n",
              json_number_value(json_object_get(nb, "unknown_cost")),
              (long long)json_integer_value(json_object_get(nb, "unknown_calls")));
    if (json_array_size(json_object_get(nb, "calls")) == 0)
      fprintf(out, "  no paid calls (local provider, or every paid output cached)\n");
    json_t *shared = json_object_get(nb, "shared");
    if (json_array_size(shared) > 0) {
      double origin = 0;
      size_t q;
      json_t *s;
      json_array_foreach(shared, q, s) origin += json_number_value(json_object_get(s, "paid_by_origin"));
      fprintf(out, "  %zu paid output(s) from the shared cache: $%.2f paid by the build that made them, not again\n",
              json_array_size(shared), origin);
    }
    size_t k;
    json_t *row;
    json_array_foreach(json_object_get(nb, "nodes"), k, row) {
      char models[160] = "";
      size_t q;
      json_t *mv;
      json_array_foreach(json_object_get(row, "models"), q, mv) {
        size_t len = strlen(models);
        snprintf(models + len, sizeof models - len, "%s%s", q ? "," : "", json_string_value(mv));
      }
      fprintf(out, "  %.12s  %-14s %-36s %2lld call(s)  %-12s $%.2f  %s\n", str(row, "node"),
              or_dash(str(row, "scene")), models,
              (long long)json_integer_value(json_object_get(row, "calls")),
              or_dash(str(row, "outcome")), json_number_value(json_object_get(row, "cost")),
              or_dash(str(row, "prediction")));
    }
  }
  fprintf(out, "total spent: $%.2f", json_number_value(json_object_get(ledger, "total")));
  if (json_number_value(json_object_get(ledger, "unknown_cost")) > 0)
    fprintf(out, " (+ up to $%.2f not yet known)",
            json_number_value(json_object_get(ledger, "unknown_cost")));
  fprintf(out, "\n");
}
