/*
** test_testlib.c — vsc_testlib's own tests: a check that fails is counted, reported at its
** line and turns the exit status to 1; files, directories, child processes, JSON lines and
** decoded frames give back what was put in. `test_testlib NAME` runs one case.
*/
#define _GNU_SOURCE /* setenv, unsetenv */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vsc_test.h"
#include "vsc_test_video.h"

/* ---- the runner and the checks ---------------------------------------------------------- */

/* Under VSC_TESTLIB_SELF=fail, `checks` fails on purpose so that `runner` can see it fail. */
static void t_checks(void) {
  int before = vsc_test_failures;
  CHECK(1 + 1 == 2, "arithmetic");
  CHECK(before == vsc_test_failures, "a check that holds counts nothing");
  if (getenv("VSC_TESTLIB_SELF")) {
    CHECK(1 + 1 == 3, "deliberately, %d", 42);
    CHECK(2 + 2 == 5);
  }
}

static void t_runner(void) {
  const char *self[] = {"/proc/self/exe", "checks", NULL};
  vsc_test_run_result r;
  vsc_test_run(&r, NULL, NULL, self);
  CHECK(r.status == 0 && strstr(r.err, "checks: ok"), "a passing case: %d\n%s", r.status, r.err);
  vsc_test_run_free(&r);

  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  REQUIRE(n > 0, "readlink");
  exe[n] = 0;
  const char *failing[] = {exe, "checks", NULL};
  const char *env[] = {"VSC_TESTLIB_SELF=fail", NULL};
  vsc_test_run(&r, NULL, env, failing);
  CHECK(r.status == 1, "a failing case exits 1, not %d", r.status);
  CHECK(strstr(r.err, "test_testlib.c:") && strstr(r.err, ": check failed: 1 + 1 == 3: deliberately, 42\n"),
        "the failed check with its line, condition and message:\n%s", r.err);
  CHECK(strstr(r.err, ": check failed: 2 + 2 == 5\n"), "a check without a message:\n%s", r.err);
  CHECK(strstr(r.err, "checks: FAILED"), "the case is reported failed:\n%s", r.err);
  vsc_test_run_free(&r);

  const char *unknown[] = {exe, "no_such_case", NULL};
  vsc_test_run(&r, NULL, NULL, unknown);
  CHECK(r.status == 2 && strstr(r.err, "usage:") && strstr(r.err, " json_lines"), "an unknown case: %d\n%s",
        r.status, r.err);
  vsc_test_run_free(&r);
out:
  return;
}

/* ---- files, directories ----------------------------------------------------------------- */

static void t_files(void) {
  char dir[4096], a[4200], b[4200], missing[4200];
  vsc_test_tmpdir(dir, sizeof dir, "testlib");
  snprintf(a, sizeof a, "%s/a.bin", dir);
  snprintf(b, sizeof b, "%s/b.bin", dir);
  snprintf(missing, sizeof missing, "%s/missing", dir);
  /* Larger than the first read buffer, with NUL bytes inside. */
  size_t len = 200000;
  char *data = malloc(len);
  for (size_t i = 0; i < len; i++) data[i] = (char)(i * 7 % 251);
  memcpy(data + 1000, "needle", 6);
  CHECK(vsc_test_write_file(a, data, len) == 0, "write %s", a);
  size_t got = 0;
  char *back = vsc_test_slurp(a, &got);
  CHECK(back && got == len && memcmp(back, data, len) == 0 && back[len] == 0, "read back %zu of %zu bytes", got, len);
  CHECK(vsc_test_file_has(a, "needle") == false, "strstr stops at the first NUL byte");
  CHECK(vsc_test_write_text(b, "one\ntwo needle\n") == 0 && vsc_test_file_has(b, "two needle"), "text file");
  CHECK(!vsc_test_same_bytes(a, b), "different files");
  CHECK(vsc_test_write_file(b, data, len) == 0 && vsc_test_same_bytes(a, b), "equal files");
  data[len - 1] ^= 1;
  CHECK(vsc_test_write_file(b, data, len) == 0 && !vsc_test_same_bytes(a, b), "files differing in the last byte");
  CHECK(vsc_test_slurp(missing, &got) == NULL && got == 0, "a missing file");
  CHECK(!vsc_test_same_bytes(missing, missing), "a missing file is not the same as itself");
  CHECK(vsc_test_write_file(missing, "x", 1) == 0 && unlink(missing) == 0, "write then remove");

  /* The click track: a WAV header and 2 s of 16-bit mono samples at 22050 Hz. */
  CHECK(vsc_test_write_click_wav(b, 2.0) == 0, "click wav");
  free(back);
  back = vsc_test_slurp(b, &got);
  CHECK(back && got == 44 + 2 * 22050 * 2 && !memcmp(back, "RIFF", 4) && !memcmp(back + 8, "WAVEfmt ", 8) &&
            !memcmp(back + 36, "data", 4),
        "wav of %zu bytes", got);
  free(back);
  free(data);
  CHECK(vsc_test_rmtree(dir) == 0, "rmtree %s", dir);
}

static void t_dirs(void) {
  char dir[4096], p[4300];
  vsc_test_tmpdir(dir, sizeof dir, "testlib");
  struct stat st;
  CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && strstr(dir, "/vsc-testlib-"), "made %s", dir);
  snprintf(p, sizeof p, "%s/sub", dir);
  CHECK(mkdir(p, 0755) == 0, "mkdir");
  snprintf(p, sizeof p, "%s/sub/f", dir);
  CHECK(vsc_test_write_text(p, "x") == 0, "a file in a subfolder");
  snprintf(p, sizeof p, "%s/link", dir);
  CHECK(symlink("/", p) == 0, "a link to / (must be removed, not followed)");
  setenv("VSC_KEEP_TEST_DIRS", "1", 1);
  CHECK(vsc_test_rmtree(dir) == 0 && stat(dir, &st) == 0, "kept when VSC_KEEP_TEST_DIRS is set");
  unsetenv("VSC_KEEP_TEST_DIRS");
  CHECK(vsc_test_rmtree(dir) == 0 && stat(dir, &st) != 0, "removed");
  CHECK(stat("/proc", &st) == 0, "the link's target is still there");
  CHECK(vsc_test_rmtree(dir) == 0, "removing what is gone is no error");
  char other[4096];
  vsc_test_tmpdir(other, sizeof other, "testlib");
  vsc_test_tmpdir(dir, sizeof dir, "testlib");
  CHECK(strcmp(other, dir) != 0, "two directories, two names");
  vsc_test_rmtree(other);
  vsc_test_rmtree(dir);
  double t0 = vsc_test_now();
  vsc_test_sleep(0.05);
  double dt = vsc_test_now() - t0;
  CHECK(dt >= 0.05 && dt < 1.0, "slept %.3f s", dt);
}

/* ---- processes -------------------------------------------------------------------------- */

static void t_processes(void) {
  char dir[4096];
  vsc_test_tmpdir(dir, sizeof dir, "testlib");
  const char *sh[] = {"/bin/sh", "-c", "echo out; pwd; echo \"$GREETING\" >&2; exit 3", NULL};
  const char *env[] = {"GREETING=hello there", NULL};
  vsc_test_run_result r;
  vsc_test_run(&r, dir, env, sh);
  char want[4200];
  snprintf(want, sizeof want, "out\n%s\n", dir);
  CHECK(r.status == 3, "exit status %d", r.status);
  CHECK(strcmp(r.out, want) == 0, "stdout '%s'", r.out);
  CHECK(strcmp(r.err, "hello there\n") == 0, "stderr '%s'", r.err);
  vsc_test_run_free(&r);
  const char *killed[] = {"/bin/sh", "-c", "kill -9 $$", NULL};
  vsc_test_run(&r, dir, NULL, killed);
  CHECK(r.status == 128 + 9, "killed by a signal: %d", r.status);
  vsc_test_run_free(&r);
  const char *missing[] = {"/nonexistent/program", NULL};
  vsc_test_run(&r, dir, NULL, missing);
  CHECK(r.status == 127 && r.out && r.err, "a program that does not exist: %d", r.status);
  vsc_test_run_free(&r);
  CHECK(vsc_test_rmtree(dir) == 0, "only the test's own files were in %s", dir);

  /* A server that announces its port, then stops cleanly on SIGTERM. */
  const char *server[] = {"/bin/sh", "-c",
                          "trap 'exit 0' TERM; echo 'fake listening on http://127.0.0.1:4242'; "
                          "while :; do sleep 0.05; done",
                          NULL};
  int port = 0;
  pid_t pid = vsc_test_start_server(server, &port);
  CHECK(pid > 0 && port == 4242, "started: pid %ld, port %d", (long)pid, port);
  CHECK(vsc_test_stop_server(pid) == 0, "stopped cleanly");
  const char *silent[] = {"/bin/sh", "-c", "echo no port here", NULL};
  CHECK(vsc_test_start_server(silent, &port) < 0 && port == 0, "a server that names no port");
}

/* ---- JSON lines ------------------------------------------------------------------------- */

static void t_json_lines(void) {
  char dir[4096], p[4200];
  vsc_test_tmpdir(dir, sizeof dir, "testlib");
  snprintf(p, sizeof p, "%s/log.jsonl", dir);
  /* A torn line in the middle and a last line without its newline. */
  CHECK(vsc_test_write_text(p, "{\"t\":\"a\",\"k\":1}\n{\"t\":\"b\n{\"t\":\"b\"}\n\n{\"t\":\"a\"}") == 0, "write");
  json_t *recs = vsc_test_json_lines(p);
  CHECK(json_array_size(recs) == 3, "%zu records", json_array_size(recs));
  CHECK(vsc_test_count(recs, "t", "a") == 2 && vsc_test_count(recs, "t", "b") == 1 && vsc_test_count(recs, "k", "1") == 0,
        "counted by string field");
  json_decref(recs);
  snprintf(p, sizeof p, "%s/missing.jsonl", dir);
  recs = vsc_test_json_lines(p);
  CHECK(json_is_array(recs) && json_array_size(recs) == 0, "a missing log is empty");
  json_decref(recs);
  vsc_test_rmtree(dir);
}

/* ---- frames ----------------------------------------------------------------------------- */

static bool near(const double rgb[3], double r, double g, double b) {
  return abs((int)(rgb[0] - r)) < 24 && abs((int)(rgb[1] - g)) < 24 && abs((int)(rgb[2] - b)) < 24;
}

/* A 1 s clip at 10 fps made by the ffmpeg program: 5 red frames, then 5 blue ones. */
static void t_frames(void) {
  char dir[4096], clip[4200];
  vsc_test_tmpdir(dir, sizeof dir, "testlib");
  snprintf(clip, sizeof clip, "%s/rb.mp4", dir);
  const char *ffmpeg[] = {"/usr/bin/env", "ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                          "color=c=red:s=64x36:r=10:d=0.5[r];color=c=blue:s=64x36:r=10:d=0.5[b];[r][b]concat=n=2:v=1",
                          "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "1", "-y", clip, NULL};
  vsc_test_run_result r;
  vsc_test_run(&r, dir, NULL, ffmpeg);
  REQUIRE(r.status == 0, "ffmpeg made the clip: %s", r.err);

  vsc_test_image im;
  double rgb[3];
  REQUIRE(vsc_test_frame_index(clip, 0, &im) == 0 && im.w == 64 && im.h == 36, "first frame");
  vsc_test_image_mean(&im, 0, 0, 64, 36, rgb);
  CHECK(near(rgb, 255, 0, 0), "frame 0 is red: %.0f %.0f %.0f", rgb[0], rgb[1], rgb[2]);
  vsc_test_image_free(&im);
  REQUIRE(vsc_test_frame_index(clip, -1, &im) == 0, "last frame");
  vsc_test_image_mean(&im, -5, -5, 500, 500, rgb); /* clipped to the picture */
  CHECK(near(rgb, 0, 0, 255), "the last frame is blue: %.0f %.0f %.0f", rgb[0], rgb[1], rgb[2]);
  vsc_test_image_free(&im);
  CHECK(vsc_test_frame_index(clip, 10, &im) < 0 && im.rgb == NULL, "there is no frame 10");
  REQUIRE(vsc_test_frame_index(clip, 4, &im) == 0, "frame 4");
  vsc_test_image_mean(&im, 0, 0, 64, 36, rgb);
  CHECK(near(rgb, 255, 0, 0), "frame 4 is red");
  vsc_test_image_free(&im);
  REQUIRE(vsc_test_frame_at(clip, 0.45, &im) == 0, "shown at 0.45 s");
  vsc_test_image_mean(&im, 0, 0, 64, 36, rgb);
  CHECK(near(rgb, 255, 0, 0), "red until 0.5 s");
  vsc_test_image_free(&im);
  REQUIRE(vsc_test_frame_at(clip, 0.5, &im) == 0, "shown at 0.5 s");
  vsc_test_image_mean(&im, 0, 0, 64, 36, rgb);
  CHECK(near(rgb, 0, 0, 255), "blue from 0.5 s: %.0f %.0f %.0f", rgb[0], rgb[1], rgb[2]);
  vsc_test_image_free(&im);
  REQUIRE(vsc_test_frame_at(clip, 99, &im) == 0, "after the end: the last frame");
  vsc_test_image_free(&im);

  vsc_test_video *v = vsc_test_video_open(clip, 8, 4);
  REQUIRE(v, "open scaled");
  CHECK(vsc_test_video_fps(v) > 9.99 && vsc_test_video_fps(v) < 10.01, "fps %f", vsc_test_video_fps(v));
  const vsc_test_image *f;
  double t, last = -1;
  int n = 0, res;
  while ((res = vsc_test_video_next(v, &f, &t)) == 1) {
    CHECK(f->w == 8 && f->h == 4 && t > last, "frame %d: %dx%d at %.3f", n, f->w, f->h, t);
    vsc_test_image_mean(f, 0, 0, 8, 4, rgb);
    CHECK(n < 5 ? near(rgb, 255, 0, 0) : near(rgb, 0, 0, 255), "frame %d's colour", n);
    last = t;
    n++;
  }
  CHECK(res == 0 && n == 10, "10 frames, then the end (%d, %d)", n, res);
  CHECK(vsc_test_video_next(v, &f, &t) == 0, "the end stays the end");
  vsc_test_video_close(v);
  snprintf(clip, sizeof clip, "%s/missing.mp4", dir);
  CHECK(vsc_test_video_open(clip, 0, 0) == NULL && vsc_test_frame_at(clip, 0, &im) < 0, "a missing file");
out:
  vsc_test_run_free(&r);
  vsc_test_rmtree(dir);
}

static const vsc_test_case cases[] = {
#define VSC_TEST_CASE(name) VSC_TEST_ENTRY(t_, name)
#include "test_testlib.def"
#undef VSC_TEST_CASE
};

int main(int argc, char **argv) { return vsc_test_main(argc, argv, cases, VSC_TEST_COUNT(cases)); }
