/*
** The voices espeak-ng has: whether a name is one (asked of espeak-ng itself, so the checker
** accepts exactly what the local voice will speak with) and, for an error's hint, the names
** close to one that is not (read from espeak-ng's data folder).
*/
#include <dirent.h>
#include <espeak-ng/espeak_ng.h>
#include <espeak-ng/speak_lib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vsc/vsc_speech.h"
#include "vsc/vsc_strings.h"

/* Studio checks run on every edit: each name is asked about once per process. */
static pthread_mutex_t known_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
  char name[64];
  int known;
} asked[32];
static unsigned nasked;

int vsc_speech_voice_known(const char *voice) {
  if (!voice || !*voice) return 1;
  if (strlen(voice) >= sizeof asked[0].name) return 0;
  pthread_mutex_lock(&known_lock);
  for (unsigned i = 0; i < nasked && i < 32; i++)
    if (strcmp(asked[i].name, voice) == 0) {
      int k = asked[i].known;
      pthread_mutex_unlock(&known_lock);
      return k;
    }
  pthread_mutex_unlock(&known_lock);
  int16_t *pcm = NULL;
  size_t n = 0;
  int sr;
  char err[256];
  int rc = vsc_speech_speak("a", voice, 1.0, &pcm, &n, &sr, err, sizeof err);
  free(pcm);
  int known = rc == 0 ? 1 : rc == -1 && strstr(err, "unknown espeak-ng voice") ? 0
                                                                               : -1;
  if (known >= 0) {
    pthread_mutex_lock(&known_lock);
    unsigned slot = nasked++ % 32;
    snprintf(asked[slot].name, sizeof asked[slot].name, "%s", voice);
    asked[slot].known = known;
    pthread_mutex_unlock(&known_lock);
  }
  return known;
}

/* Adds the voice files under dir (lowercased base names) to names. */
static void collect(const char *dir, int depth, char ***names, size_t *n, size_t *cap) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    DIR *sub = depth < 3 ? opendir(path) : NULL;
    if (sub) {
      closedir(sub);
      collect(path, depth + 1, names, n, cap);
      continue;
    }
    if (*n == *cap) {
      *cap = *cap ? 2 * *cap : 256;
      char **grown = realloc(*names, *cap * sizeof **names);
      if (!grown) break;
      *names = grown;
    }
    char *name = strdup(e->d_name);
    if (!name) break;
    for (char *c = name; *c; c++)
      if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
    (*names)[(*n)++] = name;
  }
  closedir(d);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int vsc_speech_voices_like(const char *voice, char *out, size_t size) {
  out[0] = 0;
  const char *data = NULL;
  espeak_ng_InitializePath(NULL);
  espeak_Info(&data);
  if (!data || !*data || !voice) return 0;
  char lang[1100];
  snprintf(lang, sizeof lang, "%s/lang", data);
  char **names = NULL;
  size_t n = 0, cap = 0;
  collect(lang, 0, &names, &n, &cap);
  qsort(names, n, sizeof *names, by_name);
  /* The voices of the same language ("en" of "en-scottish"), else the nearest name. */
  size_t stem = strcspn(voice, "-_+");
  int listed = 0;
  size_t used = 0;
  for (size_t i = 0; i < n; i++) {
    if (strncasecmp(names[i], voice, stem) != 0 || (names[i][stem] && names[i][stem] != '-')) continue;
    size_t len = strlen(names[i]);
    if (used + len + 3 >= size) break;
    used += (size_t)snprintf(out + used, size - used, "%s%s", listed ? ", " : "", names[i]);
    listed++;
  }
  if (!listed) {
    const char *near = vsc_closest(voice, (const char *const *)names, n);
    if (near && strlen(near) < size) listed = snprintf(out, size, "%s", near) > 0;
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  return listed;
}
