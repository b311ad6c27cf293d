/*
** Dynamic time warping for forced alignment (media/speech, vsc_align.h). Steps (1,0), (0,1)
** and (1,1), the diagonal weighted twice (the symmetric form: no path is cheaper for being
** short), both ends pinned. Only a band around the straight line from (0,0) to (na,nb) is
** filled: both sequences are cut to their speech first, so the path stays near that line
** and memory grows with the line's length (a byte a cell), not its square.
** Frames are compared by cosine distance: it ignores how loud a frame is and weighs the
** spectral shape, which is what two voices saying the same sound share.
*/
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "vsc/vsc_align.h"

/* Band half-width in frames: a quarter of the longer sequence (a voice may linger or hurry
** over part of a line), at least 0.3 s, at most 5 s (a long narration keeps to its pace
** overall; sentence anchors cut longer drifts into pieces). */
static size_t band_width(size_t na, size_t nb) {
  size_t m = na > nb ? na : nb, w = m / 4;
  return w < 30 ? 30 : w > 500 ? 500
                               : w;
}

static float dot(const float *x, const float *y, int dim) {
  float s = 0;
  for (int k = 0; k < dim; k++) s += x[k] * y[k];
  return s;
}

/* 1 / |frame| of each frame, so a cosine distance is one dot product. */
static float *inverse_norms(const float *x, size_t n, int dim) {
  float *r = malloc((n ? n : 1) * sizeof *r);
  for (size_t i = 0; r && i < n; i++) r[i] = 1 / sqrtf(dot(x + i * (size_t)dim, x + i * (size_t)dim, dim) + 1e-9f);
  return r;
}

int vsc_dtw_first(const float *a, size_t na, const float *b, size_t nb, int dim, size_t *first) {
  if (!na || !nb) return -1;
  size_t w = band_width(na, nb), width = 2 * w + 1;
  /* Costs of two rows only; the step taken into every cell is kept for the way back. */
  float *prev = malloc(width * sizeof *prev), *cur = malloc(width * sizeof *cur);
  uint8_t *step = malloc(na * width);
  size_t *lo = malloc(na * sizeof *lo);
  float *ia = inverse_norms(a, na, dim), *ib = inverse_norms(b, nb, dim);
  if (!prev || !cur || !step || !lo || !ia || !ib) {
    free(prev), free(cur), free(step), free(lo), free(ia), free(ib);
    return -1;
  }
  /* Row i covers b frames [lo[i], lo[i] + width), centred on the diagonal. */
  for (size_t i = 0; i < na; i++) {
    double c = na > 1 ? (double)i * (double)(nb - 1) / (double)(na - 1) : 0;
    lo[i] = c > (double)w ? (size_t)(c - (double)w) : 0;
  }
  float last = FLT_MAX;
  for (size_t i = 0; i < na; i++) {
    for (size_t k = 0; k < width; k++) cur[k] = FLT_MAX;
    for (size_t j = lo[i]; j < lo[i] + width && j < nb; j++) {
      float d = 1 - dot(a + i * (size_t)dim, b + j * (size_t)dim, dim) * ia[i] * ib[j], best = FLT_MAX;
      uint8_t st = 4; /* unreachable */
      if (i == 0 && j == 0) best = d, st = 3;
      if (i > 0 && j > 0 && j - 1 >= lo[i - 1] && j - 1 < lo[i - 1] + width && prev[j - 1 - lo[i - 1]] < FLT_MAX &&
          prev[j - 1 - lo[i - 1]] + 2 * d < best)
        best = prev[j - 1 - lo[i - 1]] + 2 * d, st = 0;
      if (i > 0 && j >= lo[i - 1] && j < lo[i - 1] + width && prev[j - lo[i - 1]] < FLT_MAX && prev[j - lo[i - 1]] + d < best)
        best = prev[j - lo[i - 1]] + d, st = 1;
      if (j > lo[i] && cur[j - 1 - lo[i]] < FLT_MAX && cur[j - 1 - lo[i]] + d < best) best = cur[j - 1 - lo[i]] + d, st = 2;
      cur[j - lo[i]] = best;
      step[i * width + (j - lo[i])] = st;
    }
    if (i + 1 == na && nb - 1 >= lo[i] && nb - 1 < lo[i] + width) last = cur[nb - 1 - lo[i]];
    float *t = prev;
    prev = cur;
    cur = t;
  }
  /* Back from the end: the path visits rows in decreasing order; the last b frame seen on a
   * row (walking back) is that row's first. A row >= i then starts no later than first[i]. */
  size_t i = na - 1, j = nb - 1;
  int ok = last < FLT_MAX;
  for (size_t k = 0; k < na; k++) first[k] = nb - 1;
  while (ok) {
    first[i] = j;
    uint8_t st = step[i * width + (j - lo[i])];
    if (st == 3) break;
    if (st == 0) i--, j--;
    else if (st == 1) i--;
    else if (st == 2) j--;
    else ok = 0;
  }
  for (size_t k = na - 1; k-- > 0;)
    if (first[k + 1] < first[k]) first[k] = first[k + 1];
  free(prev), free(cur), free(step), free(lo), free(ia), free(ib);
  return ok ? 0 : -1;
}
