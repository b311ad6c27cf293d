/*
** Word starts of a voice line (media/speech): espeak-ng's word events mapped onto the words
** captions show, the runs of non-space bytes of the text. The planner times local voice
** lines with this, and the aligner (align.c) uses it for its reference rendering, so both
** read espeak the same way.
*/
#include <stdlib.h>
#include <string.h>

#include "vsc/vsc_speech.h"

int vsc_speech_word_starts(const char *text, const char *voice, double rate, double *starts, int nwords,
                           double *length) {
  vsc_speech_word *w = NULL;
  size_t nw = 0;
  double len = 0;
  int rc = 0;
  if (vsc_speech_words(text, voice, rate, &w, &nw, &len) != 0) {
    nw = 0;
    len = (double)strlen(text) / 15.0; /* the planner's estimate of speech length */
    rc = -1;
  }
  /* Word i of the text starts at the first event inside it (espeak may split "1-4pm"). */
  size_t pos = 0, e = 0;
  for (int i = 0; i < nwords; i++) {
    while (text[pos] == ' ') pos++;
    size_t end = pos;
    while (text[end] && text[end] != ' ') end++;
    while (e < nw && w[e].off < pos) e++;
    starts[i] = e < nw && w[e].off < end ? w[e].start : -1;
    pos = end;
  }
  free(w);
  /* Words without an event of their own (a dash, an emoji) share the time between neighbours. */
  for (int i = 0; i < nwords; i++) {
    if (starts[i] >= 0) continue;
    int j = i;
    while (j < nwords && starts[j] < 0) j++;
    double a = i > 0 ? starts[i - 1] : 0, b = j < nwords ? starts[j] : len;
    for (int k = i; k < j; k++) starts[k] = a + (b - a) * (k - i + (i > 0)) / (j - i + (i > 0));
  }
  if (length) *length = len;
  return rc;
}
