/*
** Speech with espeak-ng (media/speech): the samples of a voice line, its spoken length and
** the start time of each word. The local provider's `tts` op writes these samples; the
** planner times scenes and captions with the length and word times, so what the plan says
** and what the render speaks are the same thing.
**
** Every synthesis runs in a short-lived child process: espeak-ng keeps global state between
** calls, and a fresh process is what makes the same line always give the same samples. The
** functions are thread-safe.
*/
#ifndef VSC_SPEECH_H
#define VSC_SPEECH_H

#include <stddef.h>
#include <stdint.h>

/* Speaks `text` with `voice` (NULL or "" = "en-us") at `rate` (1.0 = 175 words per minute,
** clamped to espeak's 80..450; <= 0 = 1.0). *pcm is mono 16-bit at *sample_rate Hz; the
** caller frees it. Returns 0, -1 (bad input: unknown voice, empty text) or -2 (local
** failure), with err set. */
int vsc_speech_speak(const char *text, const char *voice, double rate, int16_t **pcm, size_t *nsamples,
                     int *sample_rate, char *err, size_t errlen);

/* Spoken length in seconds of `text`, exactly the length vsc_speech_speak gives for the same
** arguments. Returns < 0 if espeak-ng cannot speak it (unknown voice, no espeak data). */
double vsc_speech_length(const char *text, const char *voice, double rate);

/* A word of a spoken text: bytes [off, off+len) of the text, spoken from `start` seconds. */
typedef struct {
  size_t off, len;
  double start;
} vsc_speech_word;

/* The word start times of `text` spoken exactly as vsc_speech_speak speaks it, from
** espeak-ng's own word events, in text order; *length (if not NULL) gets the spoken length.
** Returns 0, or -1 when it cannot be spoken. The caller frees *words. */
int vsc_speech_words(const char *text, const char *voice, double rate, vsc_speech_word **words, size_t *n,
                     double *length);

/* The start of each of the nwords space-separated words of `text` (runs of non-space bytes,
** the words captions show), from vsc_speech_words: a word starts at the first event inside
** it; words without one (a dash, an emoji) share the time between their neighbours. Returns
** 0, or -1 when espeak-ng cannot speak the text: then the words are spread evenly over the
** planner's estimate of its length (15 bytes a second), which *length (if not NULL) gets. */
int vsc_speech_word_starts(const char *text, const char *voice, double rate, double *starts, int nwords,
                           double *length);

/* Whether espeak-ng speaks with `voice` (a name as `as` gives it, e.g. "en-gb-scotland",
** "en-us+f3"): 1 yes, 0 no, -1 cannot tell (espeak-ng cannot run). Remembered per process. */
int vsc_speech_voice_known(const char *voice);

/* For a voice that is not one, the names of espeak-ng's voices of the same language ("en" for
** "en-scottish"), else the nearest name, joined by ", " into out. Returns how many. */
int vsc_speech_voices_like(const char *voice, char *out, size_t size);

/* Starts the speech server: a single-threaded process from which every later synthesis is
** forked. Call it before starting threads (forking a threaded process is unsafe under some
** allocators); without it each synthesis forks the caller. Returns 0, or -1 (then syntheses
** fork the caller as before). The server ends when this process does. */
int vsc_speech_prepare(void);

#endif
