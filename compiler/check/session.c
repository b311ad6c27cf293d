/* The compile session's lifetime: what it owns and how it is freed. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check/checker.h"
#include "vsc/vsc_file.h"
#include "vsc/vsc_mem.h"
#include "vsc/vsc_strings.h"

/* Keeps v alive as long as the session (the session owns it). */
json_t *vsc_session_keep(vsc_session *s, json_t *v) {
  if (!s->json_owned) s->json_owned = json_array();
  json_array_append_new(s->json_owned, v);
  return v;
}

/* Frees everything the session owns. */
void vsc_session_free(vsc_session *s) {
  for (int i = 0; i < s->nsources; i++) vsc_source_free_lines(s->sources[i]);
  free(s->sources);
  free(s->styles);
  free(s->templates);
  free(s->presets);
  free(s->models);
  free(s->param_decls);
  json_decref(s->json_owned);
  vsc_arena_free(s->arena);
}

/* Appends p to a growable pointer array (doubles when full). */
void check_push(void ***arr, int *n, void *p) {
  if ((*n & (*n - 1)) == 0) *arr = vsc_xrealloc(*arr, (size_t)(*n ? *n * 2 : 1) * sizeof **arr);
  (*arr)[(*n)++] = p;
}
