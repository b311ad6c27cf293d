/*
** vsc_test_video.h — decoded video frames for the C tests (library vsc_testlib): the frames
** of a file's first video stream in presentation order as packed RGB24, at the file's size
** or scaled, and the single frame shown at a time or found at an index. Assertions then look
** at real pixels, not at what the encoder was asked for.
*/
#ifndef VSC_TEST_VIDEO_H
#define VSC_TEST_VIDEO_H

#include <stdint.h>

/* A picture, packed RGB24 (3 bytes a pixel, rows of w * 3 bytes). */
typedef struct {
  int w, h;
  uint8_t *rgb; /* owned: vsc_test_image_free */
} vsc_test_image;

void vsc_test_image_free(vsc_test_image *im);

typedef struct vsc_test_video vsc_test_video;

/* Opens the first video stream of `path`; frames come out w x h (0, 0: the stream's own
** size; scaling averages areas, the own size copies pixels exactly). NULL on failure. */
vsc_test_video *vsc_test_video_open(const char *path, int w, int h);
/* Decodes the next frame. Returns 1 with *frame pointing at it (owned by v, valid until the
** next call) and *t its time in seconds, 0 after the last frame, -1 on a decoding error. */
int vsc_test_video_next(vsc_test_video *v, const vsc_test_image **frame, double *t);
double vsc_test_video_fps(const vsc_test_video *v); /* the stream's average frame rate */
void vsc_test_video_close(vsc_test_video *v);

/* The frame shown at time t (the last one starting at or before t; the first frame for a t
** before it), at the file's size, into *im (caller frees). Returns 0, or -1 if there is none. */
int vsc_test_frame_at(const char *path, double t, vsc_test_image *im);
/* Frame `index` (0-based; -1: the last), at the file's size. Returns 0, or -1 if there is none. */
int vsc_test_frame_index(const char *path, int index, vsc_test_image *im);

/* Mean colour of the rectangle [x0, x1) x [y0, y1) (clipped to the picture). */
void vsc_test_image_mean(const vsc_test_image *im, int x0, int y0, int x1, int y1, double rgb[3]);

#endif
