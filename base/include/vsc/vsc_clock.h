/* Time (base). */
#ifndef VSC_CLOCK_H
#define VSC_CLOCK_H

/* Seconds on the monotonic clock: for durations and deadlines, never for dates. */
double vsc_clock_now(void);
/* Rounds to the microsecond, so times print the same everywhere. */
double vsc_round_us(double t);

#endif
