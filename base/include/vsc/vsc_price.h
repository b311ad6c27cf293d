/*
** vsc_price.h — the price rule of one paid call, and the one place that turns it into money.
**
** The planner writes a rule into every paid node of the IR (`call.price`); the scheduler
** reserves its worst case against the budget; the provider charges what the call actually
** used. All three use these functions, so a plan, a reservation and a ledger line can never
** disagree about how a price is computed.
**
**   unit        what is counted             expected units          worst case
**   second      seconds of output           the requested length    the same
**   image       output images               images asked for        the same
**   run         one prediction              1                       1
**   character   input characters            the text's length       the same
**   gpu-second  provider compute seconds    the model's estimate    max_units (a long run)
*/
#ifndef VSC_PRICE_H
#define VSC_PRICE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct json_t json_t;

typedef enum {
  VSC_PRICE_SECOND = 0,
  VSC_PRICE_IMAGE,
  VSC_PRICE_RUN,
  VSC_PRICE_CHARACTER,
  VSC_PRICE_GPU_SECOND,
} vsc_price_unit;

typedef struct {
  vsc_price_unit unit;
  double rate;      /* dollars per unit */
  double units;     /* expected units of this call */
  double max_units; /* units in the worst case (>= units) */
  double estimate;  /* rate * units, rounded to a millionth of a dollar */
  double max;       /* rate * max_units, likewise */
} vsc_price;

/* What a finished call used, as far as the provider saw it. */
typedef struct {
  bool produced;       /* the prediction succeeded (its output existed, fetched or not) */
  int images;          /* output files of an image model, 0 if unknown */
  double predict_time; /* provider compute seconds, 0 if unknown */
} vsc_price_usage;

/* Names of units as written in the IR and the registry ("second", "gpu-second", …). */
const char *vsc_price_unit_name(vsc_price_unit u);
/* Returns 0 and sets *u, or -1 for an unknown name. */
int vsc_price_unit_parse(vsc_price_unit *u, const char *name);

/* Fills a rule; max_units below units is raised to units. */
void vsc_price_make(vsc_price *out, vsc_price_unit unit, double rate, double units, double max_units);

/* The rule as IR JSON {unit, rate, units, max_units, estimate, max} (a new reference). */
json_t *vsc_price_to_json(const vsc_price *p);
/* Reads and checks a rule (estimate and max must be what rate and units give). Returns 0, or
 * -1 with a message naming the field in err. */
int vsc_price_from_json(vsc_price *out, const json_t *j, char *err, size_t errlen);

/* Dollars charged for a finished call: per-output units only when it produced something;
 * compute time whatever the outcome (the provider bills the seconds it ran). */
double vsc_price_charge(const vsc_price *p, const vsc_price_usage *use);

/* Rounds dollars to a millionth (every stored price and cost goes through this). */
double vsc_price_round(double dollars);

#endif
