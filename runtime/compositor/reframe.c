/*
** Reframing a picture made for another format (docs/ir.md "Formats"): the focus point a
** cover crop keeps. The fits themselves (cover, contain, blur) are filter chains built by
** segment.c; animate.c crops its base picture at the same point.
*/
#include <math.h>

#include "comp.h"

int comp_read_focus(const json_t *obj, double *fx, double *fy, vsc_op_error *err, const char *where) {
  *fx = *fy = 0.5;
  const json_t *f = json_object_get(obj, "focus");
  if (!f || json_is_null(f)) return 0;
  if (!json_is_array(f) || json_array_size(f) != 2 || !json_is_number(json_array_get(f, 0)) ||
      !json_is_number(json_array_get(f, 1)))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%sparam 'focus': expected [x, y]", where);
  double x = json_number_value(json_array_get(f, 0)), y = json_number_value(json_array_get(f, 1));
  if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1))
    return vsc_op_fail(err, VSC_FAIL_INPUT, "%sparam 'focus': [%g, %g] is outside the picture (0..1)", where, x, y);
  *fx = x;
  *fy = y;
  return 0;
}
