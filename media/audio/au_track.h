/*
** Audio step 3, the beat grid at a metrical level: the local tempo path, the beats, the
** phase check and the safety net, for each candidate level, and the choice among them.
** Owned by track.c.
*/
#ifndef VSC_AUDIO_TRACK_H
#define VSC_AUDIO_TRACK_H

#include <stdio.h>

#include "au_features.h"

/* The beat-confidence measure of a grid (frames) on the onset curve: 0 when the beats fall
 * on no more onset strength than arbitrary points do. */
double vsc_audio_onset_share(const au_features *f, const double *b, size_t nb);

/* Tracks every candidate level of the global tempo *bpm (au_level.h) in [min_bpm,
 * max_bpm] and keeps the one the level model scores best: on return *bpm, period (f->n
 * entries, the caller's), *clarity and *beats (malloc'd frames, *nb of them) are the
 * winner's. With `dump`, one line per candidate: its tempo, the median tempo of its grid,
 * its beat count and the level model's inputs (audio_tool levels). */
int vsc_audio_choose_level(const au_features *f, double min_bpm, double max_bpm, double *bpm,
                           float *period, double *clarity, double **beats, size_t *nb,
                           FILE *dump);

#endif
