/*
** Dynamic time warping for forced alignment (media/speech, vsc_align.h). Steps (1,0), (0,1)
** and (1,1), the diagonal weighted twice (the symmetric form: no path is cheaper for being
** short), both ends pinned. Only a band around the straight line from (0,0) to (na,nb) is
** filled: both sequences are cut to their speech first, so the path stays near that line
** and memory grows with the line's length, not its square.
** Frames are compared by cosine distance: it ignores how loud a frame is and weighs the
** spectral shape, which is what two voices saying the same sound share.
*/
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "vsc/vsc_align.h"

/* Band half-width in frames: a quarter of the longer sequence (a voice may linger or hurry
** over part of a line), at least 0.3 s. */
static size_t band_width(size_t na, size_t nb) {
  size_t m = na > nb ? na : nb, w = m / 4;
  return w < 30 ? 30 : w;
}

static float dist(const float *x, const float *y, int dim) {
  float s = 0, nx = 0, ny = 0;
  for (int k = 0; k < dim; k++) s += x[k] * y[k], nx += x[k] * x[k], ny += y[k] * y[k];
  return 1 - s / sqrtf(nx * ny + 1e-9f);
}

int vsc_dtw_first(const float *a, size_t na, const float *b, size_t nb, int dim, size_t *first) {
  if (!na || !nb) return -1;
  size_t w = band_width(na, nb), width = 2 * w + 1;
  float *D = malloc(na * width * sizeof *D);
  uint8_t *step = malloc(na * width);
  size_t *lo = malloc(na * sizeof *lo);
  if (!D || !step || !lo) {
    free(D), free(step), free(lo);
    return -1;
  }
  /* Row i covers b frames [lo[i], lo[i] + width), centred on the diagonal. */
  for (size_t i = 0; i < na; i++) {
    double c = na > 1 ? (double)i * (double)(nb - 1) / (double)(na - 1) : 0;
    lo[i] = c > (double)w ? (size_t)(c - (double)w) : 0;
  }
#define CELL(i, j) D[(i)*width + ((j)-lo[i])]
#define IN(i, j) ((j) >= lo[i] && (j) < lo[i] + width && (j) < nb)
  for (size_t i = 0; i < na; i++)
    for (size_t j = lo[i]; j < lo[i] + width && j < nb; j++) {
      float d = dist(a + i * (size_t)dim, b + j * (size_t)dim, dim), best = FLT_MAX;
      uint8_t s = 0;
      if (i == 0 && j == 0) best = d, s = 3;
      if (i > 0 && j > 0 && IN(i - 1, j - 1) && CELL(i - 1, j - 1) + 2 * d < best) best = CELL(i - 1, j - 1) + 2 * d, s = 0;
      if (i > 0 && IN(i - 1, j) && CELL(i - 1, j) + d < best) best = CELL(i - 1, j) + d, s = 1;
      if (j > 0 && IN(i, j - 1) && CELL(i, j - 1) + d < best) best = CELL(i, j - 1) + d, s = 2;
      CELL(i, j) = best;
      step[i * width + (j - lo[i])] = s;
    }
  /* Back from the end: the path visits rows in decreasing order; the last b frame seen on a
   * row (walking back) is that row's first. A row >= i then starts no later than first[i]. */
  size_t i = na - 1, j = nb - 1;
  int ok = IN(i, j) && CELL(i, j) < FLT_MAX;
  for (size_t k = 0; k < na; k++) first[k] = nb - 1;
  while (ok) {
    first[i] = j;
    uint8_t s = step[i * width + (j - lo[i])];
    if (s == 3) break;
    if (s == 0) i--, j--;
    else if (s == 1) i--;
    else j--;
  }
  for (size_t k = na - 1; k-- > 0;)
    if (first[k + 1] < first[k]) first[k] = first[k + 1];
#undef CELL
#undef IN
  free(D), free(step), free(lo);
  return ok ? 0 : -1;
}
