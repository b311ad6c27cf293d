/*
** Media files (media/probe): what a file is (streams, size, length), read with libav, and
** libav's log captured so a failure says why. The checker probes every file a script names
** with this, and the compositor every input it is given, so both tell the same story.
*/
#ifndef VSC_MEDIA_H
#define VSC_MEDIA_H

#include <stddef.h>

typedef struct vsc_media_info {
  double duration;   /* seconds; 0 for a still image */
  int has_video;     /* a decodable video (or image) stream */
  int has_audio;     /* a decodable audio stream */
  int width, height; /* of the video stream */
  double fps;        /* average frame rate of the video stream, 0 if unknown */
  double start_time; /* seconds of the first timestamp (0 for most files) */
  int is_image;      /* a single still picture (png, jpeg, ...) */
} vsc_media_info;

/* Opens `path`, finds its streams and decodes the first frame of the video stream (or of the
** audio stream when there is no video), so a truncated or corrupt file fails here with a clear
** message rather than inside an encoder. Returns 0, or -1 with a message naming the file. */
int vsc_media_probe(const char *path, vsc_media_info *info, char *err, size_t errlen);

/* libav's log: installed once per process (thread-safe); cleared and read per thread. The
** last read is the first error line logged since the clear, or "". */
void vsc_av_log_init(void);
void vsc_av_log_clear(void);
const char *vsc_av_log_last(void);

/* "WHAT: libav's error text[ (the log's first error line)]" for libav error `averr` into out. */
void vsc_av_error_text(char *out, size_t size, int averr, const char *what);

#endif
