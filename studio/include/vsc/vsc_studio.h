/*
** vsc_studio.h — `vsc studio`: the storyboard studio, a local web app over the compiler and
** runtime (docs/studio.md).
**
** The server is libmicrohttpd on loopback with a random session token; the front end
** (Svelte, built at build time) is embedded in the binary. Builds run as child processes
** of the same `vsc` executable (`vsc run PLAN --progress json`), so a Stop is a real
** Ctrl-C and a crash in a build never takes the studio down.
*/
#ifndef VSC_STUDIO_H
#define VSC_STUDIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct {
  int version;           /* VSC_STUDIO_OPTIONS_VERSION */
  const char *dir;       /* the project folder; every path the studio touches is in it */
  const char *listen;    /* NULL = 127.0.0.1 (loopback only); else an IPv4 address */
  int port;              /* 0 = any free port */
  const char *self_exe;  /* the vsc executable that runs builds (NULL = /proc/self/exe) */
  const char *open_file; /* a script to open first (relative to dir), or NULL */
  FILE *out;             /* where the URL is printed (NULL = stdout) */
} vsc_studio_options;
#define VSC_STUDIO_OPTIONS_VERSION 1
#define VSC_STUDIO_OPTIONS_INIT \
  { VSC_STUDIO_OPTIONS_VERSION, NULL, NULL, 0, NULL, NULL, NULL }

/* Serves until SIGINT/SIGTERM. Prints "http://HOST:PORT/?token=…" as its first line on
 * opts->out. Returns 0 after a clean stop, -1 with a message in err when it cannot start. */
int vsc_studio_serve(const vsc_studio_options *opts, char *err, size_t errlen);

/* Upload and request size limits (bytes): a script, and a song for the prompt box. */
#define VSC_STUDIO_MAX_SCRIPT (1u << 20)
#define VSC_STUDIO_MAX_UPLOAD (64u << 20)

#endif
