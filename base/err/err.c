/* Error messages into a caller's buffer: every fallible function of vsc reports this way. */
#include <stdarg.h>
#include <stdio.h>

#include "vsc/vsc_err.h"

int vsc_err_set(char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return -1;
}
