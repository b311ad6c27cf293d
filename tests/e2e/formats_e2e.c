/* Formats end to end (local provider): one script with `formats 16:9 9:16 1:1` builds
 *   - three MP4s named NAME.16x9.mp4, NAME.9x16.mp4, NAME.1x1.mp4, each decoded at its own
 *     frame (640x360, 360x640, 360x360) and length, with a manifest;
 *   - its generations once: the scheduler's node events (--progress json) show each generate
 *     node run once over the three formats, and only the scene whose shot a `for 9:16` block
 *     changes generates a second clip (4 generations, where three one-format builds make 9);
 *   - its texts inside each format's safe area (the box of the pixels that differ from the
 *     flat card, on a decoded frame, against media/text's safe rectangle: title-safe for
 *     16:9 and 1:1, the social UI zones for 9:16 through `for 9:16 { safe social }`);
 *   - `vsc plan --json` prices the shared work once: shared + each format's own = total;
 *   - `--format 9:16` rebuilds that one file from the cache, running nothing.
 * Usage: formats_e2e VSC WORKDIR */
#include <jansson.h>
#include <libavformat/avformat.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vsc/vsc_text.h"
#include "vsc_test.h"
#include "vsc_test_video.h"

static const char *const SCRIPT =
    "video \"Formats\" {\n"
    "  size 640x360 fps 12\n"
    "  formats 16:9 9:16 1:1\n"
    "  safe title\n"
    "  for 9:16 { safe social }\n"
    "  scene card (1s) {\n"
    "    shot color #204060\n"
    "    text \"MEET THE AIRLOOP RUNNER TODAY\" at top size 12%\n"
    "    text \"STRIDE LABS\" at bottom-right size 9%\n"
    "  }\n"
    "  scene clip (1s) { shot video \"a red sneaker on a wet street\" focus 0.3 }\n"
    "  scene still (1s) { shot image \"the sneaker box on a table\" fit blur }\n"
    "  scene own (1s) {\n"
    "    shot video \"a runner crossing a bridge\"\n"
    "    for 9:16 { shot video \"a runner crossing a bridge, tall framing\" }\n"
    "  }\n"
    "}\n";

static const struct {
  const char *name, *tag, *safe;
  int w, h;
} formats[] = {{"16:9", "16x9", "title", 640, 360}, {"9:16", "9x16", "social", 360, 640}, {"1:1", "1x1", "title", 360, 360}};

static const int card[3] = {0x20, 0x40, 0x60};

/* Box of the pixels that differ from the card at time t (x1 <= x0 when none); the frame's size. */
static int ink_box(const char *path, double t, int box[4], int *w, int *h) {
  vsc_test_image im;
  if (vsc_test_frame_at(path, t, &im) < 0) return -1;
  *w = im.w;
  *h = im.h;
  box[0] = box[1] = 1 << 30;
  box[2] = box[3] = -1;
  for (int y = 0; y < im.h; y++)
    for (int x = 0; x < im.w; x++) {
      const uint8_t *p = im.rgb + ((size_t)y * (size_t)im.w + (size_t)x) * 3;
      if (abs(p[0] - card[0]) + abs(p[1] - card[1]) + abs(p[2] - card[2]) <= 60) continue;
      if (x < box[0]) box[0] = x;
      if (y < box[1]) box[1] = y;
      if (x + 1 > box[2]) box[2] = x + 1;
      if (y + 1 > box[3]) box[3] = y + 1;
    }
  vsc_test_image_free(&im);
  return 0;
}

static double duration_of(const char *path) {
  AVFormatContext *fc = NULL;
  if (avformat_open_input(&fc, path, NULL, NULL) < 0) return -1;
  double d = avformat_find_stream_info(fc, NULL) >= 0 ? (double)fc->duration / AV_TIME_BASE : -1;
  avformat_close_input(&fc);
  return d;
}

/* The generate nodes the run's node events show finished, as an object id -> count. */
static void count_generated(const char *events, json_t *ran) {
  char *copy = strdup(events), *save = NULL;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    json_t *e = json_loads(line, 0, NULL);
    const char *op = json_string_value(json_object_get(e, "op")), *st = json_string_value(json_object_get(e, "state"));
    if (op && st && !strcmp(op, "generate") && !strcmp(st, "done")) {
      const char *id = json_string_value(json_object_get(e, "node"));
      json_object_set_new(ran, id, json_integer(json_integer_value(json_object_get(ran, id)) + 1));
    }
    json_decref(e);
  }
  free(copy);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: formats_e2e VSC WORKDIR\n");
    return 2;
  }
  const char *vsc = argv[1], *dir = argv[2];
  char script[1024], path[1200];
  json_t *ran = json_object(), *plan = NULL;
  vsc_test_rmtree(dir);
  mkdir(dir, 0755);
  snprintf(script, sizeof script, "%s/spot.vscript", dir);
  REQUIRE(vsc_test_write_text(script, SCRIPT) == 0, "write the script");

  vsc_test_run_result r;
  const char *build[] = {vsc, "build", "spot.vscript", "--provider", "local", "--progress", "json", "--jobs", "2", NULL};
  vsc_test_run(&r, dir, NULL, build);
  CHECK(r.status == 0, "vsc build exited %d: %s", r.status, r.err);
  count_generated(r.err, ran);
  vsc_test_run_free(&r);

  /* Four generations, each once: clip, still, own at the master frame, own's 9:16 shot. */
  CHECK(json_object_size(ran) == 4, "%zu generate nodes ran (expected 4)", json_object_size(ran));
  const char *id;
  json_t *n;
  json_object_foreach(ran, id, n) CHECK(json_integer_value(n) == 1, "generate %.12s ran %d times", id, (int)json_integer_value(n));

  for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
    snprintf(path, sizeof path, "%s/spot.%s.mp4", dir, formats[f].tag);
    double d = duration_of(path);
    CHECK(fabs(d - 4.0) < 0.2, "%s lasts %.3f s", path, d);
    int box[4], w = 0, h = 0;
    REQUIRE(ink_box(path, 0.5, box, &w, &h) == 0, "decode %s", path);
    CHECK(w == formats[f].w && h == formats[f].h, "%s is %dx%d, expected %dx%d", formats[f].name, w, h, formats[f].w,
          formats[f].h);
    vsc_text_rect safe;
    vsc_text_safe_area(formats[f].safe, w, h, &safe);
    int sx0 = (int)floor(safe.x0 * w), sy0 = (int)floor(safe.y0 * h), sx1 = (int)ceil(safe.x1 * w), sy1 = (int)ceil(safe.y1 * h);
    CHECK(box[2] > box[0], "%s: no text drawn", formats[f].name);
    CHECK(box[0] >= sx0 && box[1] >= sy0 && box[2] <= sx1 && box[3] <= sy1,
          "%s: text pixels %d,%d-%d,%d outside the %s safe area %d,%d-%d,%d", formats[f].name, box[0], box[1], box[2], box[3],
          formats[f].safe, sx0, sy0, sx1, sy1);
    snprintf(path, sizeof path, "%s/spot.%s.mp4.json", dir, formats[f].tag);
    CHECK(vsc_test_file_has(path, "\"status\": \"ok\""), "no complete manifest %s", path);
    snprintf(path, sizeof path, "%s/spot.%s.srt", dir, formats[f].tag);
    struct stat st;
    CHECK(stat(path, &st) != 0, "%s written without captions", path);
  }
  snprintf(path, sizeof path, "%s/spot.mp4", dir);
  struct stat st;
  CHECK(stat(path, &st) != 0, "spot.mp4 written beside the three formats");

  /* The plan prices shared work once. */
  const char *pl[] = {vsc, "plan", "spot.vscript", "--json", NULL};
  vsc_test_run(&r, dir, NULL, pl);
  plan = json_loads(r.out, 0, NULL);
  vsc_test_run_free(&r);
  REQUIRE(plan, "vsc plan --json");
  json_t *fl = json_object_get(plan, "formats");
  REQUIRE(json_array_size(fl) == 3, "plan lists %zu formats", json_array_size(fl));
  double sum = json_number_value(json_object_get(plan, "shared_cost")), alone = 0;
  size_t i;
  json_t *fo;
  json_array_foreach(fl, i, fo) {
    sum += json_number_value(json_object_get(fo, "extra_cost"));
    alone += json_number_value(json_object_get(fo, "estimated_cost"));
  }
  double total = json_number_value(json_object_get(plan, "estimated_cost"));
  CHECK(fabs(sum - total) < 1e-6, "shared + own = %.6f, total %.6f", sum, total);
  CHECK(json_number_value(json_object_get(plan, "shared_cost")) > 0 && total < alone - 1e-6,
        "nothing priced as shared (total %.4f, formats alone %.4f)", total, alone);

  /* One format again: from the cache, nothing runs. */
  snprintf(path, sizeof path, "%s/spot.9x16.mp4", dir);
  unlink(path);
  const char *one[] = {vsc, "build", "spot.vscript", "--format", "9:16", "--provider", "local", "--progress", "json", NULL};
  vsc_test_run(&r, dir, NULL, one);
  CHECK(r.status == 0, "vsc build --format 9:16 exited %d: %s", r.status, r.err);
  CHECK(strstr(r.err, "\"todo\":0") != NULL, "--format 9:16 ran nodes: %s", r.err);
  vsc_test_run_free(&r);
  CHECK(stat(path, &st) == 0, "--format 9:16 did not write %s", path);
out:
  json_decref(ran);
  json_decref(plan);
  if (!vsc_test_failures) vsc_test_rmtree(dir);
  return vsc_test_done("formats_e2e");
}
