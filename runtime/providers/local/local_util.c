/*
** Local provider: small shared pieces — filtergraph escaping and a PCM WAV writer.
*/
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "local.h"

/* Graph level (avfilter_graph_parse): av_get_token(args, "[],;") unescapes one level. */
static void add_graph_escaped(vsc_buf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (strchr("\\'[],;", s[i])) vsc_buf_append(b, "\\", 1);
    vsc_buf_append(b, s + i, 1);
  }
}

void vsc_local_add_filter_arg(vsc_buf *b, const char *s) {
  /* Option level (av_opt_set_from_string): the value single-quoted, where everything is
  ** literal except the quote itself, written as '\'' (close, escaped quote, reopen). */
  vsc_buf v = {0};
  vsc_buf_append(&v, "'", 1);
  for (const char *p = s; *p; p++) {
    if (*p == '\'')
      vsc_buf_append(&v, "'\\''", 4);
    else
      vsc_buf_append(&v, p, 1);
  }
  vsc_buf_append(&v, "'", 1);
  add_graph_escaped(b, v.s, v.len);
  vsc_buf_free(&v);
}

/* ---- WAV ---- */

static void put_le(unsigned char *p, uint32_t v, int n) {
  for (int i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void wav_header(unsigned char h[44], int channels, int rate, uint64_t frames) {
  uint32_t data = (uint32_t)(frames * (uint64_t)channels * 2u);
  memcpy(h, "RIFF", 4);
  put_le(h + 4, 36u + data, 4);
  memcpy(h + 8, "WAVEfmt ", 8);
  put_le(h + 16, 16, 4);
  put_le(h + 20, 1, 2); /* PCM */
  put_le(h + 22, (uint32_t)channels, 2);
  put_le(h + 24, (uint32_t)rate, 4);
  put_le(h + 28, (uint32_t)rate * (uint32_t)channels * 2u, 4);
  put_le(h + 32, (uint32_t)channels * 2u, 2);
  put_le(h + 34, 16, 2);
  memcpy(h + 36, "data", 4);
  put_le(h + 40, data, 4);
}

int vsc_local_wav_open(vsc_local_wav *w, const char *path, int channels, int rate, char *err,
                       size_t errlen) {
  memset(w, 0, sizeof *w);
  w->channels = channels;
  w->rate = rate;
  w->f = fopen(path, "wb");
  if (!w->f) {
    snprintf(err, errlen, "cannot create '%s': %s", path, strerror(errno));
    return -1;
  }
  unsigned char h[44];
  wav_header(h, channels, rate, 0);
  if (fwrite(h, 1, sizeof h, w->f) != sizeof h) {
    snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
    fclose(w->f);
    w->f = NULL;
    return -1;
  }
  return 0;
}

int vsc_local_wav_write(vsc_local_wav *w, const int16_t *pcm, size_t frames, char *err,
                        size_t errlen) {
  size_t n = frames * (size_t)w->channels;
  unsigned char tmp[4096];
  size_t done = 0;
  while (done < n) {
    size_t k = 0;
    for (; k < sizeof tmp / 2 && done + k < n; k++) {
      uint16_t v = (uint16_t)pcm[done + k];
      tmp[2 * k] = (unsigned char)v;
      tmp[2 * k + 1] = (unsigned char)(v >> 8);
    }
    if (fwrite(tmp, 2, k, w->f) != k) {
      snprintf(err, errlen, "cannot write wav data: %s", strerror(errno));
      return -1;
    }
    done += k;
  }
  w->frames += frames;
  return 0;
}

int vsc_local_wav_close(vsc_local_wav *w, char *err, size_t errlen) {
  if (!w->f) return 0;
  int rc = 0;
  unsigned char h[44];
  /* The RIFF sizes are 32-bit: 4 GiB of PCM is hours of audio, far beyond any bed. */
  if (w->frames * (uint64_t)w->channels * 2u > 0xffffffffu - 36u) {
    snprintf(err, errlen, "wav too long (%llu frames)", (unsigned long long)w->frames);
    rc = -1;
  } else {
    wav_header(h, w->channels, w->rate, w->frames);
    if (fseek(w->f, 0, SEEK_SET) != 0 || fwrite(h, 1, sizeof h, w->f) != sizeof h) {
      snprintf(err, errlen, "cannot finish wav header: %s", strerror(errno));
      rc = -1;
    }
  }
  if (fclose(w->f) != 0 && rc == 0) {
    snprintf(err, errlen, "cannot close wav: %s", strerror(errno));
    rc = -1;
  }
  w->f = NULL;
  return rc;
}
