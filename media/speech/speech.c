/*
** Speech with the espeak-ng library: samples, spoken length and word times of a voice line.
** The local provider's `tts` op writes these samples; the planner times scenes with the
** length and captions with the word times, so both always agree.
**
** espeak-ng keeps synthesis state in globals (pitch flutter index, gain control, echo
** buffer, rand()), so the same text spoken twice in one process gives different samples,
** and espeak_Initialize after espeak_Terminate hangs in 1.51. Each synthesis therefore runs
** in a forked child with fresh library state: deterministic, and safe to call from several
** scheduler threads at once. The child sends framed PCM back through a pipe.
**
** Forking a multi-threaded process is only safe when the allocator's locks are fork-aware
** (glibc's are; AddressSanitizer's are not, and a child can block forever in malloc). So a
** process that is about to start threads calls vsc_speech_prepare() first: it forks a
** single-threaded speech server, and every synthesis is then forked from that server.
*/
#include <errno.h>
#include <espeak-ng/speak_lib.h>
#include <fcntl.h>
#include <pthread.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vsc/vsc_speech.h"

/* Child exit statuses, sent in the trailer frame. */
enum { CHILD_OK = 0,
       CHILD_INIT = 1,
       CHILD_VOICE = 2,
       CHILD_SYNTH = 3,
       CHILD_IO = 4 };

static int child_fd = -1; /* only meaningful inside the child */
static int child_io_failed;

static int write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t k = write(fd, c, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    c += k;
    n -= (size_t)k;
  }
  return 0;
}

/* Frame: int32 count (> 0) then count samples; a word event is int32 -1 then int32 text
 * position (characters, 1-based), length (characters) and time (ms); the trailer is int32 0
 * then int32 status. */
static int child_cb(short *wav, int n, espeak_EVENT *events) {
  for (espeak_EVENT *e = events; e && e->type != espeakEVENT_LIST_TERMINATED && !child_io_failed; e++)
    if (e->type == espeakEVENT_WORD) {
      int32_t w[4] = {-1, e->text_position, e->length, e->audio_position};
      if (write_all(child_fd, w, sizeof w) < 0) child_io_failed = 1;
    }
  if (!wav || n <= 0 || child_io_failed) return 0;
  int32_t k = n;
  if (write_all(child_fd, &k, sizeof k) < 0 || write_all(child_fd, wav, (size_t)n * 2) < 0) {
    child_io_failed = 1;
    return 1; /* abort synthesis */
  }
  return 0;
}

static void child_finish(int status) {
  int32_t t[2] = {0, status};
  write_all(child_fd, t, sizeof t);
  _exit(status == CHILD_OK ? 0 : 1);
}

static void child_main(const char *text, const char *voice, int wpm) {
  int32_t sr = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL, espeakINITIALIZE_DONT_EXIT);
  if (sr <= 0) child_finish(CHILD_INIT);
  if (write_all(child_fd, &sr, sizeof sr) < 0) _exit(1);
  espeak_SetSynthCallback(child_cb);
  if (espeak_SetVoiceByName(voice) != EE_OK) child_finish(CHILD_VOICE);
  espeak_SetParameter(espeakRATE, wpm, 0);
  /* Plain UTF-8 text: no SSML, no [[phonemes]], whatever the script says. */
  if (espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, NULL, NULL) !=
      EE_OK)
    child_finish(CHILD_SYNTH);
  espeak_Synchronize();
  child_finish(child_io_failed ? CHILD_IO : CHILD_OK);
}

static int read_all(int fd, void *p, size_t n) {
  char *c = p;
  while (n > 0) {
    ssize_t k = read(fd, c, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (k == 0) return -1; /* EOF before the frame was complete */
    c += k;
    n -= (size_t)k;
  }
  return 0;
}

static int is_blank(const char *s) {
  for (; *s; s++)
    if (!strchr(" \t\r\n", *s)) return 0;
  return 1;
}

/* ---- the speech server ------------------------------------------------------------ */

/* Requests: int32 wpm, uint32 voice length, voice, uint32 text length, text. For each, the
 * server forks a child that writes the framed reply straight to the reply pipe. */
static pthread_mutex_t server_lock = PTHREAD_MUTEX_INITIALIZER;
static int server_req = -1, server_reply = -1;
static pid_t server_pid = -1;

static char *read_string(int fd) {
  uint32_t len;
  if (read_all(fd, &len, sizeof len) < 0 || len > (1u << 24)) return NULL;
  char *s = malloc((size_t)len + 1);
  if (!s) return NULL;
  if (read_all(fd, s, len) < 0) {
    free(s);
    return NULL;
  }
  s[len] = 0;
  return s;
}

static void server_main(int req, int reply) {
  for (;;) {
    int32_t wpm;
    if (read_all(req, &wpm, sizeof wpm) < 0) _exit(0); /* the client is gone */
    char *voice = read_string(req), *text = voice ? read_string(req) : NULL;
    if (!text) _exit(1);
    pid_t pid = fork();
    if (pid == 0) {
      close(req);
      child_fd = reply;
      child_main(text, voice, wpm);
      _exit(1);
    }
    if (pid < 0) {
      int32_t t[2] = {0, CHILD_INIT};
      write_all(reply, t, sizeof t);
    } else {
      while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
      }
    }
    free(voice);
    free(text);
  }
}

/* Our ends must not leak into programs this process execs. */
static int pipe_cloexec(int fds[2]) {
  if (pipe(fds) < 0) return -1;
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  return 0;
}

int vsc_speech_prepare(void) {
  pthread_mutex_lock(&server_lock);
  int rc = 0;
  if (server_pid < 0) {
    int req[2], reply[2];
    if (pipe_cloexec(req) < 0) {
      rc = -1;
    } else if (pipe_cloexec(reply) < 0) {
      close(req[0]);
      close(req[1]);
      rc = -1;
    } else {
      fflush(NULL);
      pid_t pid = fork();
      if (pid == 0) {
        close(req[1]);
        close(reply[0]);
        signal(SIGPIPE, SIG_DFL);
        server_main(req[0], reply[1]);
      }
      close(req[0]);
      close(reply[1]);
      if (pid < 0) {
        close(req[1]);
        close(reply[0]);
        rc = -1;
      } else {
        server_pid = pid;
        server_req = req[1];
        server_reply = reply[0];
      }
    }
  }
  pthread_mutex_unlock(&server_lock);
  return rc;
}

static int send_string(int fd, const char *s) {
  uint32_t len = (uint32_t)strlen(s);
  return write_all(fd, &len, sizeof len) < 0 || write_all(fd, s, len) < 0 ? -1 : 0;
}

/* Reads one framed reply (sample rate, frames, trailer) from fd. */
typedef struct {
  int32_t pos, len, ms;
} word_event;
typedef struct {
  word_event *ev;
  size_t n, cap;
} word_events;

static int read_reply(int fd, const char *voice, int16_t **pcm, size_t *nsamples, int *sample_rate, word_events *words,
                      char *err, size_t errlen);

static int speak(const char *text, const char *voice, double rate, int16_t **pcm, size_t *nsamples, int *sample_rate,
                 word_events *words, char *err, size_t errlen);

int vsc_speech_speak(const char *text, const char *voice, double rate, int16_t **pcm,
                     size_t *nsamples, int *sample_rate, char *err, size_t errlen) {
  return speak(text, voice, rate, pcm, nsamples, sample_rate, NULL, err, errlen);
}

static int speak(const char *text, const char *voice, double rate, int16_t **pcm, size_t *nsamples, int *sample_rate,
                 word_events *words, char *err, size_t errlen) {
  *pcm = NULL;
  *nsamples = 0;
  *sample_rate = 0;
  if (!text || is_blank(text)) {
    snprintf(err, errlen, "tts text is empty");
    return -1;
  }
  if (!voice || !*voice) voice = "en-us";
  if (!(rate > 0) || !isfinite(rate)) rate = 1.0;
  long wpm = lround(espeakRATE_NORMAL * rate);
  if (wpm < espeakRATE_MINIMUM) wpm = espeakRATE_MINIMUM;
  if (wpm > espeakRATE_MAXIMUM) wpm = espeakRATE_MAXIMUM;

  pthread_mutex_lock(&server_lock);
  if (server_pid > 0) {
    int32_t w = (int32_t)wpm;
    int rc = -2;
    if (write_all(server_req, &w, sizeof w) < 0 || send_string(server_req, voice) < 0 || send_string(server_req, text) < 0)
      snprintf(err, errlen, "tts: the speech server is gone");
    else
      rc = read_reply(server_reply, voice, pcm, nsamples, sample_rate, words, err, errlen);
    pthread_mutex_unlock(&server_lock);
    return rc;
  }
  pthread_mutex_unlock(&server_lock);

  int fds[2];
  if (pipe(fds) < 0) {
    snprintf(err, errlen, "tts: pipe: %s", strerror(errno));
    return -2;
  }
  fflush(NULL); /* nothing buffered may be written twice by the child */
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(err, errlen, "tts: fork: %s", strerror(errno));
    close(fds[0]);
    close(fds[1]);
    return -2;
  }
  if (pid == 0) {
    close(fds[0]);
    signal(SIGPIPE, SIG_DFL);
    child_fd = fds[1];
    child_main(text, voice, (int)wpm);
    _exit(1);
  }
  close(fds[1]);
  int rc = read_reply(fds[0], voice, pcm, nsamples, sample_rate, words, err, errlen);
  close(fds[0]);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
  }
  return rc;
}

static int read_reply(int fd, const char *voice, int16_t **pcm, size_t *nsamples, int *sample_rate, word_events *words,
                      char *err, size_t errlen) {
  int fds[1] = {fd};
  int rc = -2;
  int32_t sr = 0;
  int16_t *buf = NULL;
  size_t n = 0, cap = 0;
  int32_t status = -1;
  if (read_all(fds[0], &sr, sizeof sr) < 0) {
    snprintf(err, errlen, "tts: espeak-ng child died before speaking");
    goto done;
  }
  if (sr == 0) { /* the trailer came first: initialisation failed */
    if (read_all(fds[0], &status, sizeof status) < 0) status = -1;
    snprintf(err, errlen, "tts: cannot initialise espeak-ng (is espeak-ng-data installed?)");
    goto done;
  }
  for (;;) {
    int32_t k;
    if (read_all(fds[0], &k, sizeof k) < 0) {
      snprintf(err, errlen, "tts: espeak-ng child ended early");
      goto done;
    }
    if (k == 0) {
      if (read_all(fds[0], &status, sizeof status) < 0) status = -1;
      break;
    }
    if (k == -1) {
      word_event e;
      if (read_all(fds[0], &e, sizeof e) < 0) {
        snprintf(err, errlen, "tts: espeak-ng child ended early");
        goto done;
      }
      if (words && words->n == words->cap) {
        size_t ncap = words->cap ? words->cap * 2 : 64;
        word_event *nb = realloc(words->ev, ncap * sizeof *nb);
        if (!nb) {
          snprintf(err, errlen, "tts: out of memory");
          goto done;
        }
        words->ev = nb;
        words->cap = ncap;
      }
      if (words) words->ev[words->n++] = e;
      continue;
    }
    if (k < 0 || (size_t)k > (size_t)1 << 24) {
      snprintf(err, errlen, "tts: bad frame from espeak-ng child");
      goto done;
    }
    if (n + (size_t)k > cap) {
      size_t ncap = cap ? cap * 2 : 65536;
      while (ncap < n + (size_t)k) ncap *= 2;
      int16_t *nb = realloc(buf, ncap * sizeof *nb);
      if (!nb) {
        snprintf(err, errlen, "tts: out of memory");
        goto done;
      }
      buf = nb;
      cap = ncap;
    }
    if (read_all(fds[0], buf + n, (size_t)k * 2) < 0) {
      snprintf(err, errlen, "tts: espeak-ng child ended early");
      goto done;
    }
    n += (size_t)k;
  }
  switch (status) {
  case CHILD_OK:
    if (n == 0) {
      snprintf(err, errlen, "tts: espeak-ng produced no audio");
      rc = -1;
    } else {
      rc = 0;
    }
    break;
  case CHILD_VOICE:
    snprintf(err, errlen, "tts: unknown espeak-ng voice '%s'", voice);
    rc = -1;
    break;
  case CHILD_SYNTH: snprintf(err, errlen, "tts: espeak-ng cannot synthesise the text"); break;
  default: snprintf(err, errlen, "tts: espeak-ng failed (status %d)", (int)status); break;
  }

done:
  if (rc == 0) {
    *pcm = buf;
    *nsamples = n;
    *sample_rate = sr;
  } else {
    free(buf);
  }
  return rc;
}

/* Byte offset of the 1-based character position pos in UTF-8 text. */
static size_t byte_of_char(const char *text, int32_t pos) {
  size_t b = 0;
  for (int32_t c = 1; c < pos && text[b]; c++) {
    b++;
    while (((unsigned char)text[b] & 0xC0) == 0x80) b++;
  }
  return b;
}

int vsc_speech_words(const char *text, const char *voice, double rate, vsc_speech_word **out, size_t *nout,
                     double *length) {
  int16_t *pcm;
  size_t n;
  int sr;
  char err[256];
  word_events we = {0};
  *out = NULL;
  *nout = 0;
  if (speak(text, voice, rate, &pcm, &n, &sr, &we, err, sizeof err) != 0) {
    free(we.ev);
    return -1;
  }
  free(pcm);
  if (length) *length = (double)n / sr;
  vsc_speech_word *w = calloc(we.n ? we.n : 1, sizeof *w);
  if (!w) {
    free(we.ev);
    return -1;
  }
  size_t tl = strlen(text);
  for (size_t i = 0; i < we.n; i++) {
    size_t b0 = byte_of_char(text, we.ev[i].pos), b1 = byte_of_char(text, we.ev[i].pos + we.ev[i].len);
    if (b0 > tl) b0 = tl;
    if (b1 < b0) b1 = b0;
    w[i].off = b0;
    w[i].len = b1 - b0;
    w[i].start = we.ev[i].ms / 1000.0;
  }
  *out = w;
  *nout = we.n;
  free(we.ev);
  return 0;
}

double vsc_speech_length(const char *text, const char *voice, double rate) {
  int16_t *pcm;
  size_t n;
  int sr;
  char err[256];
  if (vsc_speech_speak(text, voice, rate, &pcm, &n, &sr, err, sizeof err) != 0) return -1.0;
  free(pcm);
  return (double)n / sr;
}
