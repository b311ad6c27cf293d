#include <stdarg.h>
#include <stdio.h>

#include "vsc/vsc_op.h"

int vsc_op_fail(vsc_op_error *err, vsc_fail_kind kind, const char *fmt, ...) {
  if (!err) return -1;
  err->kind = kind;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  return -1;
}
