/*
** words.h — the rule-based parser's word tables, one .def file per table in frontend/words/
** (X-macro lists: add a word by adding a line there). Built once in words.c; every table
** is static data ending in a NULL entry. Lower-case ASCII, UTF-8 for other scripts.
*/
#ifndef VSC_FRONTEND_WORDS_H
#define VSC_FRONTEND_WORDS_H

/* What a quoted line is, beside FE_TEXT_* (frontend.h). */
#define ROLE_VOICE FE_VOICE
#define ROLE_NONE (-1)

typedef struct {
  const char *kw;
  int role; /* FE_TEXT_* or ROLE_VOICE */
} fe_role_word;

enum { QUOTE_PAIR,
       QUOTE_LINE,
       QUOTE_APOS };

typedef struct {
  const char *open, *close;
  const char *also_closes; /* another closing mark people type, or NULL */
  int rule;                /* QUOTE_PAIR, QUOTE_LINE or QUOTE_APOS */
} fe_quote_pair;

typedef struct {
  const char *w;
  double v;
} fe_number_word;

typedef struct {
  const char *kw;
  int w, h;
} fe_ratio_word;

typedef struct {
  const char *kw;
  int shortside;
} fe_resolution_word;

typedef struct {
  const char *kw;
  const char *style; /* a std/styles name */
} fe_mood_word;

typedef struct {
  const char *kw;
  const char *name; /* the script's word for it */
} fe_named_word;

extern const fe_quote_pair fe_words_quote_pairs[];
extern const fe_role_word fe_words_quote_roles[];
extern const char *const fe_words_quote_filler[];
extern const fe_role_word fe_words_quote_colon_roles[];
extern const fe_number_word fe_words_time_numbers[];
extern const char *const fe_words_time_seconds[];
extern const char *const fe_words_time_minutes[];
extern const char *const fe_words_time_hours[];
extern const char *const fe_words_time_video_nouns[];
extern const char *const fe_words_time_length_leads[];
extern const char *const fe_words_frame_vertical[];
extern const char *const fe_words_frame_square[];
extern const char *const fe_words_frame_wide[];
extern const fe_ratio_word fe_words_frame_ratios[];
extern const fe_resolution_word fe_words_frame_resolutions[];
extern const char *const fe_words_budget_leads[];
extern const char *const fe_words_budget_tails[];
extern const char *const fe_words_quality_final[];
extern const char *const fe_words_quality_draft[];
extern const fe_mood_word fe_words_style_moods[];
extern const char *const fe_words_style_names[];
extern const fe_named_word fe_words_style_transitions[];
extern const char *const fe_words_path_audio_ext[];
extern const char *const fe_words_path_media_ext[];
extern const char *const fe_words_music_none[];
extern const char *const fe_words_music_beats[];
extern const char *const fe_words_music_bars[];
extern const char *const fe_words_music_nouns[];
extern const char *const fe_words_music_stop[];
extern const char *const fe_words_genre_ad[];
extern const char *const fe_words_genre_music_video[];
extern const char *const fe_words_genre_explainer[];
extern const char *const fe_words_genre_nouns[];
extern const char *const fe_words_subject_stopwords[];
extern const char *const fe_words_subject_leads[];
extern const char *const fe_words_subject_ends[];
extern const char *const fe_words_clause_leads[];
extern const char *const fe_words_clause_tails[];
extern const char *const fe_words_clause_scene_nouns[];
extern const char *const fe_words_clause_seq_start[];
extern const char *const fe_words_clause_seq_mid[];
extern const char *const fe_words_clause_seq_end[];
extern const fe_named_word fe_words_scene_cameras[];
extern const char *const fe_words_scene_image[];
extern const char *const fe_words_scene_card[];

#endif
