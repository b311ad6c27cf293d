/*
** Audio step 5a, the section-boundary descriptors: for every beat of the music, numbers
** that say how likely a section starts there (novelty curves of harmony, timbre, loudness
** and rhythm at three scales, breaks in repetition, fills, the phrase grid). Owned by
** secfeat.c; read by sections.c (and by tests/audio/audio_tool for fitting the weights).
*/
#ifndef VSC_AUDIO_SECFEAT_H
#define VSC_AUDIO_SECFEAT_H

#include "au_features.h"

/* The descriptors of a boundary before unit i, in this order (secfeat.c says how each is
 * computed; the weights in section_weights.c follow it). */
enum {
  AU_SEC_fc2,
  AU_SEC_fc4,
  AU_SEC_fc8,
  AU_SEC_ft2,
  AU_SEC_ft4,
  AU_SEC_ft8,
  AU_SEC_fe2,
  AU_SEC_fe4,
  AU_SEC_fe8,
  AU_SEC_fr2,
  AU_SEC_fr4,
  AU_SEC_fr8,
  AU_SEC_fs4,
  AU_SEC_fcs4,
  AU_SEC_rep2,
  AU_SEC_rep4,
  AU_SEC_rep8,
  AU_SEC_on0,
  AU_SEC_fill,
  AU_SEC_estep,
  AU_SEC_down,
  AU_SEC_ph4,
  AU_SEC_ph8,
  AU_SEC_ph4a,
  AU_SEC_x_ph4a,
  AU_SEC_x_down,
  /* The same 7 of the bar after and of the bar before: a fill bar ahead of a phrase
   * boundary is not itself the boundary. */
  AU_SEC_n_fs4,
  AU_SEC_n_fc8,
  AU_SEC_n_fe2,
  AU_SEC_n_ft4,
  AU_SEC_n_ph4,
  AU_SEC_n_ph4a,
  AU_SEC_n_x_ph4a,
  AU_SEC_p_fs4,
  AU_SEC_p_fc8,
  AU_SEC_p_fe2,
  AU_SEC_p_ft4,
  AU_SEC_p_ph4,
  AU_SEC_p_ph4a,
  AU_SEC_p_x_ph4a,
  /* The melody's register (chroma above ~500 Hz): its novelty at 2 and 4 bars and the
   * break in its repetition at 2 and 4 bars, where a new melody comes over the same
   * chords. */
  AU_SEC_fm2,
  AU_SEC_fm4,
  AU_SEC_repm2,
  AU_SEC_repm4,
  /* The bar from this beat against the bar before (n_fill) and the onset strength a bar
   * on (n_on0): a fill bar, with the crash after it, is not itself the boundary. */
  AU_SEC_n_fill,
  AU_SEC_n_on0,
  AU_SEC_NFEAT
};

/* The name of descriptor k ("fc2" ...), for the fitting script. */
const char *vsc_audio_section_feature_name(int k);

/* The units of the music (beats; beat-sized slices where there are none) with their
 * smoothed features for labelling, and the boundary descriptors. */
typedef struct {
  size_t n;        /* units between the silent lead-in and the ring-out */
  double *t0, *t1; /* unit times, seconds */
  double *x;       /* n x AU_SEC_NFEAT descriptors of a boundary before unit i */
  double *chroma;  /* n x 12 smoothed chroma (unit length or 0) */
  double *ceps;    /* n x AU_NCEP smoothed, z-scored cepstra */
  double *energy;  /* n smoothed, z-scored log loudness */
  double lead;     /* end of a silent lead-in (the first note), or 0 when there is none */
  double *gaps;    /* start and end times of silent gaps inside the music, in pairs */
  size_t ngaps;    /* number of gaps (gaps has 2 * ngaps values) */
  double duration;
} au_secfeat;

/* Fills s. Returns 0, or -1 when out of memory (s then owns nothing). With fewer than 4
 * units, s->n is 0. */
int vsc_audio_section_features(const au_features *f, const double *beats, size_t nbeats,
                               const double *downbeats, size_t ndown, au_secfeat *s);
void vsc_audio_section_features_free(au_secfeat *s);

/* Similarity in [0, 1] of units i and j of s: harmony, timbre and loudness equally. */
double vsc_audio_section_sim(const au_secfeat *s, size_t i, size_t j);

#endif
