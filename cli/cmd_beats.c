/* vsc beats FILE [--json] [--plot out.png|out.svg] [--cache DIR | --no-cache]:
 * the music analysis the planner cuts to (tempo, beats, bars, sections), as a summary, as
 * JSON, or as a picture. See docs/beats.md. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vsc/vsc_audio.h"

static void print_summary(const vsc_audio_analysis *a, const char *path) {
  printf("%s: %.1f s%s\n", path, a->duration, a->from_cache ? " (cached analysis)" : "");
  printf("  tempo       %.1f BPM (confidence %.2f)\n", a->tempo, a->tempo_confidence);
  printf("  meter       %d/4 (confidence %.2f)\n", a->meter, a->meter_confidence);
  if (a->nbeats > 0)
    printf("  beats       %zu, first at %.2f s (confidence %.2f)\n", a->nbeats, a->beats[0],
           a->beat_confidence);
  else
    printf("  beats       none found\n");
  if (a->ndownbeats > 0)
    printf("  bars        %zu, first at %.2f s\n", a->ndownbeats, a->downbeats[0]);
  else
    printf("  bars        none\n");
  printf("  onsets      %zu\n", a->nonsets);
  printf("  sections    %zu\n", a->nsections);
  for (size_t i = 0; i < a->nsections; i++)
    printf("    %-4s %7.2f - %7.2f s\n", a->sections[i].label, a->sections[i].start,
           a->sections[i].end);
  printf("  confidence  %.2f\n", a->confidence);
}

int cmd_beats(int argc, char **argv) {
  const char *file = NULL, *plot = NULL, *cache = ".vsc";
  int json = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) json = 1;
    else if (strcmp(argv[i], "--no-cache") == 0) cache = NULL;
    else if (strcmp(argv[i], "--plot") == 0 && i + 1 < argc) plot = argv[++i];
    else if (strcmp(argv[i], "--cache") == 0 && i + 1 < argc) cache = argv[++i];
    else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      fprintf(stderr, "vsc beats: unknown option '%s'\n", argv[i]);
      return cli_usage("beats");
    } else if (!file) file = argv[i];
    else return cli_usage("beats");
  }
  if (!file) return cli_usage("beats");

  vsc_audio_options opts = VSC_AUDIO_OPTIONS_INIT;
  opts.cache_dir = cache;
  vsc_audio_analysis *a;
  char err[512];
  if (vsc_audio_analyze(&a, file, &opts, err, sizeof err) < 0) {
    fprintf(stderr, "vsc beats: error: %s\n", err);
    return VSC_EXIT_RUNTIME;
  }
  if (a->confidence < VSC_AUDIO_LOW_CONFIDENCE)
    fprintf(stderr,
            "vsc beats: warning: low confidence (%.2f) in the beat grid of '%s'; a script "
            "using it should declare 'tempo' (and 'offset') in its music block\n",
            a->confidence, file);
  int rc = VSC_EXIT_OK;
  if (json) {
    json_t *j = vsc_audio_to_json(a);
    char *text = j ? json_dumps(j, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) : NULL;
    if (!text) {
      fprintf(stderr, "vsc beats: error: out of memory\n");
      rc = VSC_EXIT_INTERNAL;
    } else {
      printf("%s\n", text);
    }
    free(text);
    json_decref(j);
  } else {
    print_summary(a, file);
  }
  if (rc == VSC_EXIT_OK && plot) {
    if (vsc_audio_plot(a, file, plot, 0, 0, err, sizeof err) < 0) {
      fprintf(stderr, "vsc beats: error: %s\n", err);
      rc = VSC_EXIT_RUNTIME;
    } else if (!json) {
      printf("  plot        %s\n", plot);
    }
  }
  vsc_audio_analysis_free(a);
  return rc;
}
