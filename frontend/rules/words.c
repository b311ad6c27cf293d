/*
** words.c — builds the word tables of words.h from frontend/words/ (one .def per table).
*/
#include <stddef.h>

#include "frontend.h"
#include "rules/words.h"

const fe_quote_pair fe_words_quote_pairs[] = {
#define QUOTE(open, close, also_closes, rule) {open, close, also_closes, rule},
#include "words/quote_pairs.def"
#undef QUOTE
    {NULL, NULL, NULL, 0}};

const fe_role_word fe_words_quote_roles[] = {
#define ROLE(kw, role) {kw, role},
#include "words/quote_roles.def"
#undef ROLE
    {NULL, 0}};

const char *const fe_words_quote_filler[] = {
#define WORD(w) w,
#include "words/quote_filler.def"
#undef WORD
    NULL};

const fe_role_word fe_words_quote_colon_roles[] = {
#define ROLE(kw, role) {kw, role},
#include "words/quote_colon_roles.def"
#undef ROLE
    {NULL, 0}};

const fe_number_word fe_words_time_numbers[] = {
#define NUMBER(w, v) {w, v},
#include "words/time_numbers.def"
#undef NUMBER
    {NULL, 0}};

const char *const fe_words_time_seconds[] = {
#define WORD(w) w,
#include "words/time_seconds.def"
#undef WORD
    NULL};

const char *const fe_words_time_minutes[] = {
#define WORD(w) w,
#include "words/time_minutes.def"
#undef WORD
    NULL};

const char *const fe_words_time_hours[] = {
#define WORD(w) w,
#include "words/time_hours.def"
#undef WORD
    NULL};

const char *const fe_words_time_video_nouns[] = {
#define WORD(w) w,
#include "words/time_video_nouns.def"
#undef WORD
    NULL};

const char *const fe_words_time_length_leads[] = {
#define WORD(w) w,
#include "words/time_length_leads.def"
#undef WORD
    NULL};

const char *const fe_words_frame_vertical[] = {
#define WORD(w) w,
#include "words/frame_vertical.def"
#undef WORD
    NULL};

const char *const fe_words_frame_square[] = {
#define WORD(w) w,
#include "words/frame_square.def"
#undef WORD
    NULL};

const char *const fe_words_frame_wide[] = {
#define WORD(w) w,
#include "words/frame_wide.def"
#undef WORD
    NULL};

const fe_ratio_word fe_words_frame_ratios[] = {
#define RATIO(kw, w, h) {kw, w, h},
#include "words/frame_ratios.def"
#undef RATIO
    {NULL, 0, 0}};

const fe_resolution_word fe_words_frame_resolutions[] = {
#define RESOLUTION(kw, s) {kw, s},
#include "words/frame_resolutions.def"
#undef RESOLUTION
    {NULL, 0}};

const char *const fe_words_budget_leads[] = {
#define WORD(w) w,
#include "words/budget_leads.def"
#undef WORD
    NULL};

const char *const fe_words_budget_tails[] = {
#define WORD(w) w,
#include "words/budget_tails.def"
#undef WORD
    NULL};

const char *const fe_words_quality_final[] = {
#define WORD(w) w,
#include "words/quality_final.def"
#undef WORD
    NULL};

const char *const fe_words_quality_draft[] = {
#define WORD(w) w,
#include "words/quality_draft.def"
#undef WORD
    NULL};

const fe_mood_word fe_words_style_moods[] = {
#define MOOD(kw, style) {kw, style},
#include "words/style_moods.def"
#undef MOOD
    {NULL, NULL}};

const char *const fe_words_style_names[] = {
#define STYLE(name) name,
#include "words/style_names.def"
#undef STYLE
    NULL};

const fe_named_word fe_words_style_transitions[] = {
#define TRANSITION(kw, name) {kw, name},
#include "words/style_transitions.def"
#undef TRANSITION
    {NULL, NULL}};

const char *const fe_words_path_audio_ext[] = {
#define WORD(w) w,
#include "words/path_audio_ext.def"
#undef WORD
    NULL};

const char *const fe_words_path_media_ext[] = {
#define WORD(w) w,
#include "words/path_media_ext.def"
#undef WORD
    NULL};

const char *const fe_words_music_none[] = {
#define WORD(w) w,
#include "words/music_none.def"
#undef WORD
    NULL};

const char *const fe_words_music_beats[] = {
#define WORD(w) w,
#include "words/music_beats.def"
#undef WORD
    NULL};

const char *const fe_words_music_bars[] = {
#define WORD(w) w,
#include "words/music_bars.def"
#undef WORD
    NULL};

const char *const fe_words_music_nouns[] = {
#define WORD(w) w,
#include "words/music_nouns.def"
#undef WORD
    NULL};

const char *const fe_words_music_stop[] = {
#define WORD(w) w,
#include "words/music_stop.def"
#undef WORD
    NULL};

const char *const fe_words_genre_ad[] = {
#define WORD(w) w,
#include "words/genre_ad.def"
#undef WORD
    NULL};

const char *const fe_words_genre_music_video[] = {
#define WORD(w) w,
#include "words/genre_music_video.def"
#undef WORD
    NULL};

const char *const fe_words_genre_explainer[] = {
#define WORD(w) w,
#include "words/genre_explainer.def"
#undef WORD
    NULL};

const char *const fe_words_genre_nouns[] = {
#define WORD(w) w,
#include "words/genre_nouns.def"
#undef WORD
    NULL};

const char *const fe_words_subject_stopwords[] = {
#define WORD(w) w,
#include "words/subject_stopwords.def"
#undef WORD
    NULL};

const char *const fe_words_subject_leads[] = {
#define WORD(w) w,
#include "words/subject_leads.def"
#undef WORD
    NULL};

const char *const fe_words_subject_ends[] = {
#define WORD(w) w,
#include "words/subject_ends.def"
#undef WORD
    NULL};

const char *const fe_words_clause_leads[] = {
#define WORD(w) w,
#include "words/clause_leads.def"
#undef WORD
    NULL};

const char *const fe_words_clause_tails[] = {
#define WORD(w) w,
#include "words/clause_tails.def"
#undef WORD
    NULL};

const char *const fe_words_clause_scene_nouns[] = {
#define WORD(w) w,
#include "words/clause_scene_nouns.def"
#undef WORD
    NULL};

const char *const fe_words_clause_seq_start[] = {
#define WORD(w) w,
#include "words/clause_seq_start.def"
#undef WORD
    NULL};

const char *const fe_words_clause_seq_mid[] = {
#define WORD(w) w,
#include "words/clause_seq_mid.def"
#undef WORD
    NULL};

const char *const fe_words_clause_seq_end[] = {
#define WORD(w) w,
#include "words/clause_seq_end.def"
#undef WORD
    NULL};

const fe_named_word fe_words_scene_cameras[] = {
#define CAMERA(kw, name) {kw, name},
#include "words/scene_cameras.def"
#undef CAMERA
    {NULL, NULL}};

const char *const fe_words_scene_image[] = {
#define WORD(w) w,
#include "words/scene_image.def"
#undef WORD
    NULL};

const char *const fe_words_scene_card[] = {
#define WORD(w) w,
#include "words/scene_card.def"
#undef WORD
    NULL};
