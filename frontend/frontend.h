/*
** frontend.h — internals of the prompt parser (rules/ reads a request into facts, emit.c
** writes facts as .vscript, text.c holds the string helpers they share).
*/
#ifndef VSC_FRONTEND_INTERNAL_H
#define VSC_FRONTEND_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "vsc/vsc_buf.h"
#include "vsc/vsc_frontend.h"

/* ---- strings ---------------------------------------------------------------------------- */
/* Scripts are written into base's growable string (vsc/vsc_buf.h). */
/* Appends s as the body of a .vscript string literal (quotes, backslashes, control bytes). */
void fe_buf_quote(vsc_buf *b, const char *s);
char *fe_buf_take(vsc_buf *b); /* the string (never NULL; caller frees); resets b */

char *fe_strndup(const char *s, size_t n);
/* Copies s with invalid UTF-8 and control bytes (but \n) replaced by spaces. */
char *fe_sanitize(const char *s, size_t n);
/* Length of at most `max` bytes of s that ends on a UTF-8 character boundary. */
size_t fe_utf8_cut(const char *s, size_t max);
/* Collapses runs of white space to one space and trims s in place, with any leading or
 * trailing bytes listed in `strip`. */
void fe_squeeze(char *s, const char *strip);
bool fe_is_word_byte(unsigned char c);
/* Content words of a description: not filler, not mood words (rules/leftover.c). */
int fe_content_words(const char *d);

/* ---- facts -------------------------------------------------------------------------------- */
enum { FE_SHOT_VIDEO,
       FE_SHOT_IMAGE,
       FE_SHOT_COLOR,
       FE_SHOT_FILE };
enum { FE_TEXT_TITLE,
       FE_TEXT_CAPTION,
       FE_TEXT_END,
       FE_TEXT_PLAIN,
       FE_VOICE = 10 };

#define FE_MAX_LINES 16   /* lines per scene */
#define FE_MAX_GLOBAL 128 /* lines of the whole video, placed on scenes by emit */

typedef struct {
  char *text; /* owned */
  int role;   /* FE_TEXT_* (or FE_VOICE in fe_facts.stated) */
} fe_text;

typedef struct {
  char *desc;         /* what the shot shows (owned; NULL for a bare card) */
  char *file;         /* FE_SHOT_FILE: the path (owned) */
  int shot;           /* FE_SHOT_* */
  const char *camera; /* camera move for video, or NULL */
  double dur;         /* stated seconds, 0 = share of the length */
  fe_text texts[FE_MAX_LINES];
  int ntexts;
  char *voices[FE_MAX_LINES]; /* owned */
  int nvoices;
  double at[FE_MAX_LINES]; /* voice start times (scene time), set by emit */
  double length;           /* resolved seconds, set by emit */
} fe_scene;

typedef struct {
  const char *preset; /* ad30 | social_vertical | music_video | explainer */
  const char *genre;  /* "ad", "clip", "music video", "explainer" (for the title) */
  double length;      /* stated total seconds, 0 = not stated */
  int width, height;  /* stated frame, 0 = the preset's */
  int aspect_w, aspect_h;
  int fps;             /* 0 = the preset's */
  const char *style;   /* a std/styles name or NULL */
  double budget;       /* dollars, < 0 = not stated */
  const char *quality; /* "draft", "final" or NULL (the preset's) */
  char *music_file;    /* path as written in the script (owned) */
  char *music_desc;    /* a generated bed's description (owned) */
  bool no_music;
  int cut;                /* 0 none, 1 beats, 2 bars */
  double tempo;           /* stated bpm, 0 = none */
  const char *transition; /* NULL = by style */
  char *subject;          /* what the video is about (owned), or NULL */
  char *title;            /* stated title (owned), or NULL */
  fe_scene *scenes;
  int nscenes;
  bool scenes_stated;           /* from a list, sequence words or sentences */
  bool tail_only;               /* only closing scenes were stated ("end on the logo") */
  fe_text texts[FE_MAX_GLOBAL]; /* on-screen text not tied to a scene */
  int ntexts;
  char *voices[FE_MAX_GLOBAL]; /* voice-over lines not tied to a scene */
  int nvoices;
  char *request;   /* the sanitized request, for the header comment */
  int scene_count; /* "4 scenes": the number stated, 0 = none */
  /* Every quoted line as the request states it, in order (owned copies), for the check
   * that each one lands in the plan (prompt.c). */
  fe_text *stated;
  int nstated, capstated;
} fe_facts;

/* Reads the request (already non-empty) into facts. Returns 0, or -1 with err. */
int fe_rules_read(fe_facts *f, const char *request, const vsc_prompt_options *o,
                  vsc_prompt_notes *notes, char *err, size_t errlen);
void fe_facts_free(fe_facts *f);
/* Records a quoted line the request stated (a copy of text; role FE_TEXT_* or FE_VOICE). */
void fe_facts_state_line(fe_facts *f, const char *text, int role);

/* Degradations applied when the checker refuses a draft. */
typedef struct {
  bool draft_tier; /* drop a stated premium tier */
  bool stills;     /* generated video shots become animated stills */
  bool drop_music; /* no generated music bed */
} fe_degrade;

/* Writes the facts as .vscript text (caller frees). Resolves scene lengths, voice times,
 * text placement and the transition; notes what it assumed. */
char *fe_emit(fe_facts *f, const fe_degrade *d, vsc_prompt_notes *notes);

/* Seconds of a music file, or -1 when it cannot be read. */
double fe_media_duration(const char *path);

#endif
