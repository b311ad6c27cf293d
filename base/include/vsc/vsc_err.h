/* Error reporting (base): a fallible function fills the caller's `char *err, size_t errlen`
 * with one line saying what failed and returns -1. */
#ifndef VSC_ERR_H
#define VSC_ERR_H

#include <stddef.h>

/* Writes the message into err (when err and errlen are set) and returns -1, so a failure is
 * `return vsc_err_set(err, errlen, "…", …);`. */
int vsc_err_set(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
