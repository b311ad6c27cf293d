/*
** libav's log, captured: libav reports the reason for a failure (a bad header, a missing
** decoder) only through its log, so the first error line since the last clear is kept per
** thread and joined to the message of the failure. VSC_AV_LOG=1 also prints the log.
*/
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/log.h>

#include "vsc/vsc_media.h"

static _Thread_local char first_err[256]; /* first complete error line since the clear */
static _Thread_local char cur_line[256];  /* libav logs one line in several pieces */
static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static int log_passthrough;

static void log_cb(void *avcl, int level, const char *fmt, va_list vl) {
  if (level <= AV_LOG_ERROR) {
    size_t used = strlen(cur_line);
    va_list copy;
    va_copy(copy, vl);
    vsnprintf(cur_line + used, sizeof cur_line - used, fmt, copy);
    va_end(copy);
    size_t n = strlen(cur_line);
    if (n && (cur_line[n - 1] == '\n' || n >= sizeof cur_line - 1)) {
      while (n && (cur_line[n - 1] == '\n' || cur_line[n - 1] == '\r' || cur_line[n - 1] == ' ')) cur_line[--n] = 0;
      if (!first_err[0] && n) memcpy(first_err, cur_line, n + 1);
      cur_line[0] = 0;
    }
  }
  if (log_passthrough) av_log_default_callback(avcl, level, fmt, vl);
}

static void log_setup(void) {
  log_passthrough = getenv("VSC_AV_LOG") != NULL;
  av_log_set_callback(log_cb);
}

void vsc_av_log_init(void) { pthread_once(&log_once, log_setup); }
void vsc_av_log_clear(void) { first_err[0] = cur_line[0] = 0; }
const char *vsc_av_log_last(void) { return first_err[0] ? first_err : cur_line; }

void vsc_av_error_text(char *out, size_t size, int averr, const char *what) {
  char avs[AV_ERROR_MAX_STRING_SIZE] = "";
  if (averr < 0) av_strerror(averr, avs, sizeof avs);
  const char *last = vsc_av_log_last();
  if (last[0] && strcmp(last, avs) != 0) snprintf(out, size, "%s: %s (%s)", what, avs[0] ? avs : "failed", last);
  else snprintf(out, size, "%s: %s", what, avs[0] ? avs : "failed");
}
