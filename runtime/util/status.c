/* The names of a run's statuses, shared by the scheduler's report and the build records. */
#include "vsc/vsc_runtime.h"

const char *vsc_run_status_name(vsc_run_status s) {
  switch (s) {
  case VSC_RUN_OK: return "ok";
  case VSC_RUN_PARTIAL: return "partial";
  case VSC_RUN_FAILED: return "failed";
  case VSC_RUN_AUTH: return "auth";
  case VSC_RUN_BUDGET: return "budget";
  case VSC_RUN_INTERRUPTED: return "interrupted";
  case VSC_RUN_UNSAFE: return "stopped-unsafe";
  case VSC_RUN_RATE: return "rate-limited";
  }
  return "failed";
}
