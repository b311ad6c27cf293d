/*
** vsc studio [DIR]: the storyboard studio in the browser (docs/studio.md). Serves DIR on
** loopback and prints the URL with the session token; Ctrl-C stops it.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vsc/vsc_studio.h"

int cmd_studio(int argc, char **argv) {
  vsc_studio_options o = VSC_STUDIO_OPTIONS_INIT;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--port") == 0 && next) {
      char *end;
      long p = strtol(next, &end, 10);
      if (*end || p < 0 || p > 65535) return cli_usage("studio");
      o.port = (int)p;
      i++;
    } else if (strcmp(a, "--listen") == 0 && next) {
      o.listen = next;
      i++;
    } else if (strcmp(a, "--open") == 0 && next) {
      o.open_file = next;
      i++;
    } else if (a[0] == '-' || o.dir) {
      return cli_usage("studio");
    } else {
      o.dir = a;
    }
  }
  char err[1024];
  if (vsc_studio_serve(&o, err, sizeof err) != 0) {
    fprintf(stderr, "vsc studio: %s\n", err);
    return VSC_EXIT_RUNTIME;
  }
  return VSC_EXIT_OK;
}
