/* The model registry (compiler/registry): which declared model makes a shot, which version of
 * it runs, and whether a scene's `with { … }` suits its schema. Model declarations are read by
 * the checker (check/models.c); the lock file is registry/lock.h; prices are base/'s one rule.
 * Internal to the compiler. */
#ifndef VSC_REGISTRY_H
#define VSC_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "check/check.h"

/* What a shot needs of a model. */
typedef struct {
  const char *klass;                    /* wanted class ("video.fast", "tts", …) */
  const vsc_model_decl *explicit_model; /* the script named one: it wins */
  bool final;                           /* final tier wanted */
  double seconds;                       /* shot length, 0 for stills */
  size_t characters;                    /* spoken characters, for per-character prices */
  int width, height;                    /* the frame */
} vsc_model_need;

/* Picks a model of the class: able to make the frame, then making the whole shot, then of the
 * tier, then cheapest. NULL when none can make the frame. */
const vsc_model_decl *vsc_registry_choose(vsc_session *s, const vsc_model_need *need);
/* Whether m offers the frame's aspect ratio (within 2 %). */
bool vsc_registry_makes_aspect(const vsc_model_decl *m, int w, int h);
/* "16:9" for 1920x1080 (arena string). */
const char *vsc_registry_aspect(vsc_session *s, int w, int h);
/* The version m runs at: the lock's (vsc models pull), else the registry's; NULL floats. A lock
 * that disagrees with the registry wins, with a warning at the scene sc (may be NULL). */
const char *vsc_registry_version(vsc_session *s, const vsc_model_decl *m, vsc_scene_spec *sc);
/* Reports every `with` value of sc that m's parameters (and its locked schema) reject. */
void vsc_registry_check_with(vsc_session *s, vsc_scene_spec *sc, const vsc_model_decl *m);

#endif
