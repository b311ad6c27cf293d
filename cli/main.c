/* vsc: dispatch argv[1] to the command table in commands.def. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *summary;
  const char *usage;
} cli_command;

static const cli_command commands[] = {
#define VSC_CMD(name, fn, summary, usage) {#name, fn, summary, usage},
#include "commands.def"
#undef VSC_CMD
};
static const size_t ncommands = sizeof commands / sizeof commands[0];

static const cli_command *find_command(const char *name) {
  for (size_t i = 0; i < ncommands; i++)
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  return NULL;
}

int cli_usage(const char *command) {
  const cli_command *c = find_command(command);
  fprintf(stderr, "usage: %s\n", c ? c->usage : "vsc COMMAND [ARGS]");
  return VSC_EXIT_USAGE;
}

static void print_help(FILE *out) {
  fprintf(out, "vsc %s: compile and render .vscript video storyboards\n\n", VSC_VERSION_STRING);
  fprintf(out, "usage: vsc COMMAND [ARGS]\n\ncommands:\n");
  for (size_t i = 0; i < ncommands; i++)
    fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\n'vsc help COMMAND' shows a command's usage. Exit codes: docs/cli.md\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    print_help(stderr);
    return VSC_EXIT_USAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
    printf("vsc %s\n", VSC_VERSION_STRING);
    return VSC_EXIT_OK;
  }
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
    print_help(stdout);
    return VSC_EXIT_OK;
  }
  if (strcmp(name, "help") == 0) {
    if (argc < 3) {
      print_help(stdout);
      return VSC_EXIT_OK;
    }
    const cli_command *c = find_command(argv[2]);
    if (!c) {
      fprintf(stderr, "vsc: unknown command '%s'\n", argv[2]);
      return VSC_EXIT_USAGE;
    }
    printf("%s\n\nusage: %s\n", c->summary, c->usage);
    return VSC_EXIT_OK;
  }
  /* The compiler makes and frees many small objects; glibc's fastbins then consolidate their
   * free lists on every large request, a cost that grows faster than the script (10x the
   * scenes took 13x the time, 5x without them, and less time at every size). */
  if (!strcmp(name, "check") || !strcmp(name, "ir") || !strcmp(name, "plan") || !strcmp(name, "fmt"))
    mallopt(M_MXFAST, 0);
  /* A render makes and frees large buffers (an encoder's pictures, decoders' and filters'
   * frame pools) for every segment. glibc's sliding threshold soon serves them from the
   * heap arenas, where freed ones stay resident and fragment: a 5 min render peaked 1.2-1.3x
   * a 30 s one. Mapped each time, they go back to the system when freed: peaks 16-21 %
   * lower, for about 1 % more CPU in page faults (docs/compositor.md, *Large buffers
   * mapped each time*). */
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  const cli_command *c = find_command(name);
  if (!c) {
    fprintf(stderr, "vsc: unknown command '%s' (try 'vsc help')\n", name);
    return VSC_EXIT_USAGE;
  }
  return c->fn(argc - 1, argv + 1);
}
