/* Reading back rendered captions (tests/e2e, shared with tests/captions_align): per decoded
 * frame, where the karaoke highlight (pure red) is and how many caption pixels there are;
 * and the cues of an SRT or WebVTT file as FFmpeg's demuxers read them. */
#ifndef CAPTION_SCAN_H
#define CAPTION_SCAN_H

/* Per decoded frame: time, box of the highlight (red) pixels and the count of caption pixels. */
typedef struct {
  double t;
  int rx0, rx1, nred, ncap;
} frame_info;

/* Every frame of the video at path (*out: caller frees). Returns 0 or -1. */
int scan_video(const char *path, frame_info **out, int *nout);

typedef struct {
  double start, end;
  char text[512];
} cue;

/* Up to max cues of a subtitle file; returns how many, or -1. */
int read_subs(const char *path, cue *cues, int max);

/* The times at which the highlight appears or moves to another word (more than 8 px: coding
 * noise can tip a thin stroke at the box's edge across the red threshold). Returns how many. */
int highlight_changes(const frame_info *fr, int nf, double *changes, int max);

#endif
