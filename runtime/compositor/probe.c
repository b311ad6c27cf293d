/*
** Input validation for the ops: media/probe's answer as an op failure (VSC_FAIL_INPUT), and
** the checks a clip must pass before any encoding starts.
*/
#include "comp.h"
#include "vsc/vsc_media.h"

int vsc_comp_probe_info(const char *path, vsc_media_info *info, vsc_op_error *err) {
  char msg[sizeof err->msg];
  if (vsc_media_probe(path, info, msg, sizeof msg) < 0) return vsc_op_fail(err, VSC_FAIL_INPUT, "%s", msg);
  return 0;
}

int vsc_comp_probe(const char *path, int need_video, double min_duration, vsc_op_error *err) {
  vsc_media_info info;
  if (vsc_comp_probe_info(path, &info, err) < 0) return -1;
  if (need_video && !info.has_video) return vsc_op_fail(err, VSC_FAIL_INPUT, "'%s' has no video stream", path);
  /* Half a frame of slack: container durations are rounded. */
  double slack = info.fps > 0 ? 0.5 / info.fps : 0.02;
  if (!info.is_image && min_duration > 0 && info.duration + slack < min_duration)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "'%s' is too short: %.3f s, %.3f s needed", path, info.duration,
                       min_duration);
  return 0;
}
