/*
** price.c — price rules (base layer): the arithmetic behind every estimate, reservation and
** charge. See vsc/vsc_price.h.
*/
#include "vsc/vsc_price.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const unit_names[] = {"second", "image", "run", "character", "gpu-second"};

const char *vsc_price_unit_name(vsc_price_unit u) {
  return (unsigned)u < sizeof unit_names / sizeof unit_names[0] ? unit_names[u] : "?";
}

int vsc_price_unit_parse(vsc_price_unit *u, const char *name) {
  for (size_t i = 0; name && i < sizeof unit_names / sizeof unit_names[0]; i++)
    if (strcmp(unit_names[i], name) == 0) {
      *u = (vsc_price_unit)i;
      return 0;
    }
  return -1;
}

double vsc_price_round(double dollars) { return round(dollars * 1e6) / 1e6; }

void vsc_price_make(vsc_price *out, vsc_price_unit unit, double rate, double units, double max_units) {
  if (unit == VSC_PRICE_RUN) units = max_units = 1;
  if (units < 0) units = 0;
  if (max_units < units) max_units = units;
  out->unit = unit;
  out->rate = rate;
  out->units = units;
  out->max_units = max_units;
  out->estimate = vsc_price_round(rate * units);
  out->max = vsc_price_round(rate * max_units);
}

json_t *vsc_price_to_json(const vsc_price *p) {
  return json_pack("{s:s, s:f, s:f, s:f, s:f, s:f}", "unit", vsc_price_unit_name(p->unit), "rate",
                   p->rate, "units", p->units, "max_units", p->max_units, "estimate", p->estimate,
                   "max", p->max);
}

static int bad(char *err, size_t errlen, const char *what) {
  snprintf(err, errlen, "%s", what);
  return -1;
}

int vsc_price_from_json(vsc_price *out, const json_t *j, char *err, size_t errlen) {
  if (!json_is_object(j)) return bad(err, errlen, "expected an object");
  vsc_price_unit u;
  if (vsc_price_unit_parse(&u, json_string_value(json_object_get(j, "unit"))) != 0)
    return bad(err, errlen, ".unit: expected second, image, run, character or gpu-second");
  static const char *const nums[] = {"rate", "units", "max_units", "estimate", "max"};
  for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
    json_t *v = json_object_get(j, nums[i]);
    if (!json_is_number(v) || json_number_value(v) < 0 || !isfinite(json_number_value(v))) {
      snprintf(err, errlen, ".%s: expected a number >= 0", nums[i]);
      return -1;
    }
  }
  vsc_price_make(out, u, json_number_value(json_object_get(j, "rate")),
                 json_number_value(json_object_get(j, "units")),
                 json_number_value(json_object_get(j, "max_units")));
  /* The stored totals must be what the rule gives: a hand-edited estimate cannot lower a
   * reservation. */
  if (fabs(out->estimate - json_number_value(json_object_get(j, "estimate"))) > 1e-6)
    return bad(err, errlen, ".estimate: is not rate x units");
  if (fabs(out->max - json_number_value(json_object_get(j, "max"))) > 1e-6)
    return bad(err, errlen, ".max: is not rate x max_units");
  return 0;
}

double vsc_price_charge(const vsc_price *p, const vsc_price_usage *use) {
  double units = 0;
  switch (p->unit) {
  case VSC_PRICE_GPU_SECOND: units = use->predict_time; break;
  case VSC_PRICE_IMAGE:
    units = !use->produced ? 0 : use->images > 0 ? use->images
                                                 : p->units;
    break;
  case VSC_PRICE_SECOND:
  case VSC_PRICE_CHARACTER:
  case VSC_PRICE_RUN: units = use->produced ? p->units : 0; break;
  }
  return vsc_price_round(p->rate * units);
}
