/*
** test_cache_remote.c — the shared cache (runtime/cache/remote*.c) as users run it: two
** "machines" (two local caches) building the same script against one shared cache, served
** by Debian's nginx on loopback (its DAV module) or kept in a shared directory.
**
** What each case asserts: the second machine runs nothing and calls no provider for what
** the first finished, and its video is the first one's, byte for byte; a corrupted blob is
** detected, never used, deleted and replaced; a remote cache that is down or unwritable
** leaves the build local with one warning; concurrent writers leave a consistent store;
** credentials appear nowhere vsc writes. One case runs against mock-replicate so that
** predictions are counted by the provider itself.
**
** `test_cache_remote CASE` runs one case (each its own ctest, files under the build dir).
*/
#include "e2e_env.h" /* first: it asks for _GNU_SOURCE */

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nginx.h"
#include "vsc_test_video.h"
#include "vsc/vsc_sha256.h"

#define PASSWORD "pw-5e1b0c93"
#define BEARER "rc-token-77a0f3d1c2"
#define SCRIPT "tests/replicate_e2e/faults.vscript"

/* A case's directory under the build dir, with the script in it. */
static void case_dir(char *out, size_t len, const char *name) {
  char base[900];
  snprintf(base, sizeof base, "%s", VSC_RC_WORK);
  mkdir(base, 0755);
  snprintf(out, len, "%s/%s-XXXXXX", base, name);
  if (!mkdtemp(out)) {
    perror(out);
    exit(2);
  }
  char from[4096], to[4096];
  snprintf(from, sizeof from, "%s/%s", VSC_SOURCE_DIR, SCRIPT);
  snprintf(to, sizeof to, "%s/s.vscript", out);
  copy_file(from, to);
}

/* `vsc build s.vscript -o OUT --cache CACHE --preview --progress plain [--remote-cache URL]`
 * in dir, on the local provider (no token), with VSC_REMOTE_CACHE_TOKEN set. The result is
 * the caller's to free; stderr is also kept as dir/OUT.err for the credential scan. */
static void build_on(vsc_test_run_result *r, const char *dir, const char *cache, const char *url, const char *out) {
  const char *argv[] = {VSC_BIN, "build", "s.vscript", "-o", out, "--cache", cache, "--preview", "-j", "2", "--progress", "plain",
                        url ? "--remote-cache" : NULL, url, NULL};
  const char *env[] = {"VSC_REMOTE_CACHE_TOKEN=" BEARER, NULL};
  vsc_test_run(r, dir, env, argv);
  char p[4096];
  snprintf(p, sizeof p, "%s/%s.err", dir, out);
  vsc_test_write_text(p, r->err);
  if (r->status != 0) fprintf(stderr, "--- vsc build (%s) exited %d:\n%s\n---\n", cache, r->status, r->err);
}

static bool same_file(const char *dir, const char *a, const char *b) {
  char pa[4096], pb[4096];
  snprintf(pa, sizeof pa, "%s/%s", dir, a);
  snprintf(pb, sizeof pb, "%s/%s", dir, b);
  return vsc_test_same_bytes(pa, pb);
}

/* Whether two videos of a case decode to the same pictures at the same times. A node made
 * again need not give the same bytes (x264 was seen to code a keyframe two bytes apart on a
 * loaded machine, to the same pixels); a node fetched gives the very bytes (same_file). */
static bool same_pictures(const char *dir, const char *a, const char *b) {
  char pa[4096], pb[4096];
  snprintf(pa, sizeof pa, "%s/%s", dir, a);
  snprintf(pb, sizeof pb, "%s/%s", dir, b);
  vsc_test_video *va = vsc_test_video_open(pa, 0, 0), *vb = vsc_test_video_open(pb, 0, 0);
  bool same = va && vb;
  int frames = 0;
  while (same) {
    const vsc_test_image *fa, *fb;
    double ta, tb;
    int ra = vsc_test_video_next(va, &fa, &ta), rb = vsc_test_video_next(vb, &fb, &tb);
    if (ra != rb || ra < 0) same = false;
    if (ra != 1 || !same) break;
    same = fa->w == fb->w && fa->h == fb->h && ta == tb && !memcmp(fa->rgb, fb->rgb, (size_t)fa->w * fa->h * 3);
    frames++;
  }
  if (va) vsc_test_video_close(va);
  if (vb) vsc_test_video_close(vb);
  return same && frames > 0;
}

/* How many lines of s contain needle. */
static int lines_with(const char *s, const char *needle) {
  int n = 0;
  for (const char *p = s; p && (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

/* The journal of a cache directory of a case. */
static json_t *journal_of(const char *dir, const char *cache) {
  char p[4096];
  snprintf(p, sizeof p, "%s/%s/journal.jsonl", dir, cache);
  return vsc_test_json_lines(p);
}

static int count_t(const json_t *recs, const char *t, const char *k, const char *v) {
  int n = 0;
  size_t i;
  json_t *r;
  json_array_foreach(recs, i, r) {
    if (strcmp(json_string_value(json_object_get(r, "t")) ? json_string_value(json_object_get(r, "t")) : "", t)) continue;
    const char *rv = json_string_value(json_object_get(r, k ? k : "t"));
    if (!k || (rv && !strcmp(rv, v))) n++;
  }
  return n;
}

/* The store is consistent: every blob hashes to its name, every action entry is a vsc-ac
 * entry of its own key whose blob is there with its size; no temp file is left. Returns
 * the number of action entries (-1 when anything is wrong). */
static int check_store(const char *store) {
  char p[4096];
  snprintf(p, sizeof p, "%s/cas", store);
  DIR *d = opendir(p);
  int bad = 0, entries = 0;
  struct dirent *de;
  while (d && (de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    char f[4096], sha[65];
    snprintf(f, sizeof f, "%s/cas/%s", store, de->d_name);
    if (vsc_sha256_file(f, sha, NULL, NULL, 0) != 0 || strcmp(sha, de->d_name)) {
      fprintf(stderr, "blob %s hashes to %s\n", de->d_name, sha);
      bad++;
    }
  }
  if (d) closedir(d);
  snprintf(p, sizeof p, "%s/ac", store);
  d = opendir(p);
  while (d && (de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    char f[4096];
    snprintf(f, sizeof f, "%s/ac/%s", store, de->d_name);
    json_t *ac = json_load_file(f, 0, NULL);
    const char *sha = json_string_value(json_object_get(ac, "sha256"));
    struct stat st;
    char blob[4096];
    snprintf(blob, sizeof blob, "%s/cas/%s", store, sha ? sha : "-");
    if (!ac || strcmp(json_string_value(json_object_get(ac, "format")) ? json_string_value(json_object_get(ac, "format")) : "", "vsc-ac") ||
        strcmp(json_string_value(json_object_get(ac, "key")) ? json_string_value(json_object_get(ac, "key")) : "", de->d_name) ||
        stat(blob, &st) != 0 || st.st_size != json_integer_value(json_object_get(ac, "size")) ||
        !json_is_object(json_object_get(ac, "info"))) {
      fprintf(stderr, "action entry %s is not consistent\n", de->d_name);
      bad++;
    }
    entries++;
    json_decref(ac);
  }
  if (d) closedir(d);
  snprintf(p, sizeof p, "%s/tmp", store);
  d = opendir(p);
  while (d && (de = readdir(d)))
    if (de->d_name[0] != '.') {
      fprintf(stderr, "temp file left in the store: %s\n", de->d_name);
      bad++;
    }
  if (d) closedir(d);
  return bad ? -1 : entries;
}

/* The key of the video a cache made (its output object's name, from the manifest). */
static int output_key(const char *dir, const char *out, char key[65]) {
  char p[4096];
  snprintf(p, sizeof p, "%s/%s.json", dir, out);
  json_t *m = json_load_file(p, 0, NULL);
  const char *obj = json_string_value(json_object_get(m, "output_object"));
  const char *slash = obj ? strrchr(obj, '/') : NULL;
  int rc = slash && strlen(slash + 1) > 64 ? 0 : -1;
  if (rc == 0) snprintf(key, 65, "%.64s", slash + 1);
  json_decref(m);
  return rc;
}

/* Flips a byte in the middle of the blob that action entry `key` names; its sha in sha. */
static int corrupt_blob(const char *store, const char *key, char sha[65]) {
  char p[4096];
  snprintf(p, sizeof p, "%s/ac/%s", store, key);
  json_t *ac = json_load_file(p, 0, NULL);
  const char *s = json_string_value(json_object_get(ac, "sha256"));
  int rc = -1;
  if (s) {
    snprintf(sha, 65, "%s", s);
    snprintf(p, sizeof p, "%s/cas/%s", store, s);
    size_t len = 0;
    char *data = vsc_test_slurp(p, &len);
    if (data && len > 0) {
      data[len / 2] ^= 0x5a;
      rc = vsc_test_write_file(p, data, len);
    }
    free(data);
  }
  json_decref(ac);
  return rc;
}

/* ---- credentials ------------------------------------------------------------------------ */
static const char *g_nginx; /* nginx's directory: its configuration names the credentials */
static char g_leak[1024];

static int scan(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)ftw;
  if (type != FTW_F || !S_ISREG(st->st_mode)) return 0;
  if (g_nginx && !strncmp(path, g_nginx, strlen(g_nginx)) && (strstr(path, "/nginx.conf") || strstr(path, "/users")))
    return 0;
  size_t len = 0;
  char *data = vsc_test_slurp(path, &len);
  bool leak = data && (memmem(data, len, PASSWORD, strlen(PASSWORD)) || memmem(data, len, BEARER, strlen(BEARER)));
  free(data);
  if (leak) {
    snprintf(g_leak, sizeof g_leak, "%s", path);
    return 1;
  }
  return 0;
}

/* Neither the password nor the token is in any file under dir (nginx's own configuration
 * aside: it names the credentials it expects). */
static bool no_credentials(const char *dir, const char *nginx_dir) {
  g_nginx = nginx_dir;
  g_leak[0] = 0;
  return nftw(dir, scan, 16, FTW_PHYS) == 0;
}

/* ---- over HTTP (nginx) ------------------------------------------------------------------ */

/* The second machine fetches the finished video (nothing runs, nothing is generated), with
 * the first's bytes; the URL's credentials reach the server (which demands them) and
 * nothing vsc writes; wrong ones switch the shared cache off with one warning. */
static void t_http_two_machines(void) {
  char dir[1024], ndir[2048], url[2048], store[2048];
  test_nginx ng = {0};
  vsc_test_run_result a = {0}, b = {0}, c = {0}, d = {0};
  json_t *jb = NULL;
  case_dir(dir, sizeof dir, "http2");
  snprintf(ndir, sizeof ndir, "%s/nginx", dir);
  REQUIRE(test_nginx_start(&ng, ndir, NULL, "alice", PASSWORD) == 0, "nginx did not start");
  snprintf(url, sizeof url, "http://alice:" PASSWORD "@127.0.0.1:%d/cache/", ng.port);
  snprintf(store, sizeof store, "%s/cache", ng.root);

  build_on(&a, dir, "m1", url, "a.mp4");
  REQUIRE(a.status == 0, "machine 1 exited %d", a.status);
  int entries = check_store(store);
  REQUIRE(entries >= 8, "the store holds %d consistent action entries", entries);
  CHECK(test_nginx_count(&ng, "PUT", "/cache/ac/", 201) == entries, "one created PUT per action entry");
  CHECK(!strstr(a.err, "warning"), "machine 1 warned:\n%s", a.err);

  build_on(&b, dir, "m2", url, "b.mp4");
  REQUIRE(b.status == 0, "machine 2 exited %d", b.status);
  CHECK(same_file(dir, "a.mp4", "b.mp4"), "machine 2's video differs from machine 1's");
  CHECK(strstr(b.err, "cached (remote) mux"), "no 'cached (remote)' line:\n%s", b.err);
  CHECK(strstr(b.err, "ok: 0 run, 1 cached (1 remote)"), "machine 2 ran something:\n%s", b.err);
  CHECK(!strstr(b.err, "running"), "machine 2 ran a node:\n%s", b.err);
  jb = journal_of(dir, "m2");
  CHECK(count_t(jb, "cached", "from", "remote") == 1, "machine 2's journal has no 'cached' from remote record");
  CHECK(count_t(jb, "intent", NULL, NULL) == 0, "machine 2 journaled a paid call");
  /* What the server saw: credentials on every request, a GET of the video's entry and blob. */
  char logp[4096];
  snprintf(logp, sizeof logp, "%s/access.log", ng.dir);
  CHECK(vsc_test_file_has(logp, " alice -"), "the server never saw the user");
  CHECK(test_nginx_count(&ng, NULL, NULL, 401) == 0, "a request was refused");
  CHECK(test_nginx_count(&ng, "GET", "/cache/cas/", 200) == 1, "machine 2 fetched %d blobs",
        test_nginx_count(&ng, "GET", "/cache/cas/", 200));

  /* A rebuild on machine 2 is a local no-op: no request at all. */
  int before = test_nginx_count(&ng, NULL, NULL, 0);
  build_on(&c, dir, "m2", url, "b.mp4");
  CHECK(c.status == 0, "rebuild exited %d", c.status);
  CHECK(test_nginx_count(&ng, NULL, NULL, 0) == before, "a fully cached rebuild asked the remote cache");

  /* Wrong credentials: refused, one warning, a whole local build. */
  snprintf(url, sizeof url, "http://alice:wrong-pass-31@127.0.0.1:%d/cache", ng.port);
  build_on(&d, dir, "m3", url, "d.mp4");
  CHECK(d.status == 0, "machine 3 exited %d", d.status);
  CHECK(lines_with(d.err, "warning:") == 1 && strstr(d.err, "HTTP 401 (the server refused our credentials): "
                                                            "continuing with the local cache only"),
        "not one warning about the credentials:\n%s", d.err);
  CHECK(!strstr(d.err, "wrong-pass-31"), "the password is in the output");
  CHECK(strstr(d.err, "ok: 10 run"), "not a whole local build:\n%s", d.err);
  CHECK(no_credentials(dir, ndir), "a credential is written in %s", g_leak);
out:
  CHECK(test_nginx_stop(&ng) == 0, "nginx did not stop cleanly");
  json_decref(jb);
  vsc_test_run_free(&a);
  vsc_test_run_free(&b);
  vsc_test_run_free(&c);
  vsc_test_run_free(&d);
  if (!vsc_test_failures) vsc_test_rmtree(dir);
}

/* A blob corrupted on the server: machine 2 detects it, never uses it, deletes it, makes
 * the node from its (fetched) inputs and stores it again; the build succeeds. */
static void t_http_corrupt_blob(void) {
  char dir[1024], ndir[2048], store[2048], key[65], sha[65];
  test_nginx ng = {0};
  vsc_test_run_result a = {0}, b = {0};
  json_t *jb = NULL;
  case_dir(dir, sizeof dir, "httpbad");
  snprintf(ndir, sizeof ndir, "%s/nginx", dir);
  REQUIRE(test_nginx_start(&ng, ndir, BEARER, NULL, NULL) == 0, "nginx did not start");
  snprintf(store, sizeof store, "%s/cache", ng.root);
  build_on(&a, dir, "m1", ng.url, "a.mp4"); /* VSC_REMOTE_CACHE_TOKEN: the bearer token */
  REQUIRE(a.status == 0, "machine 1 exited %d", a.status);
  REQUIRE(output_key(dir, "a.mp4", key) == 0, "no output object in the manifest");
  REQUIRE(corrupt_blob(store, key, sha) == 0, "cannot corrupt the video's blob");
  REQUIRE(check_store(store) < 0, "the corruption is not visible");

  build_on(&b, dir, "m2", ng.url, "b.mp4");
  REQUIRE(b.status == 0, "machine 2 exited %d", b.status);
  char want[2048];
  snprintf(want, sizeof want, "blob cas/%.12s… hashes to", sha);
  CHECK(strstr(b.err, want) && strstr(b.err, "corrupt, deleted from the remote cache; not used"),
        "the corruption was not reported:\n%s", b.err);
  /* Fetched twice (a transfer may mangle a blob), then deleted and stored anew. */
  char blob[4096];
  snprintf(blob, sizeof blob, "/cache/cas/%s", sha);
  CHECK(test_nginx_count(&ng, "GET", blob, 200) == 2, "the bad blob was fetched %d times", test_nginx_count(&ng, "GET", blob, 200));
  CHECK(test_nginx_count(&ng, "DELETE", blob, 0) == 1, "the bad blob was not deleted");
  CHECK(strstr(b.err, "done      mux"), "the video was not made again:\n%s", b.err);
  CHECK(!strstr(b.err, "running   generate") && !strstr(b.err, "running   tts"), "machine 2 generated:\n%s", b.err);
  CHECK(same_pictures(dir, "a.mp4", "b.mp4"), "machine 2's video differs");
  jb = journal_of(dir, "m2");
  CHECK(count_t(jb, "cached", "from", "remote") >= 2, "the video's inputs were not fetched");
  CHECK(count_t(jb, "cached", "key", key) == 0, "the corrupt video was recorded as fetched");
  /* Stored anew: the store is whole again. */
  CHECK(check_store(store) >= 8, "the store was not repaired");
  CHECK(test_nginx_count(&ng, NULL, NULL, 401) == 0, "a request went without the bearer token");
  CHECK(no_credentials(dir, ndir), "a credential is written in %s", g_leak);
out:
  CHECK(test_nginx_stop(&ng) == 0, "nginx did not stop cleanly");
  json_decref(jb);
  vsc_test_run_free(&a);
  vsc_test_run_free(&b);
  if (!vsc_test_failures) vsc_test_rmtree(dir);
}

/* Nothing listens: the build is local, complete, with one warning; a server that dies
 * between two builds is the same. */
static void t_http_server_down(void) {
  char dir[1024], url[2048];
  vsc_test_run_result a = {0};
  case_dir(dir, sizeof dir, "httpdown");
  int port = test_free_port();
  REQUIRE(port > 0, "no free port");
  snprintf(url, sizeof url, "http://bob:" PASSWORD "@127.0.0.1:%d/cache", port);
  double t0 = vsc_test_now();
  build_on(&a, dir, "m1", url, "a.mp4");
  REQUIRE(a.status == 0, "the build exited %d", a.status);
  CHECK(vsc_test_now() - t0 < 30, "the build waited for the dead server");
  char want[2048];
  snprintf(want, sizeof want, "warning: remote cache http://127.0.0.1:%d/cache: GET ac/", port);
  CHECK(strstr(a.err, want) && strstr(a.err, "continuing with the local cache only"), "no warning:\n%s", a.err);
  CHECK(lines_with(a.err, "warning:") == 1, "%d warnings:\n%s", lines_with(a.err, "warning:"), a.err);
  CHECK(strstr(a.err, "ok: 10 run"), "not a whole local build:\n%s", a.err);
  CHECK(no_credentials(dir, NULL), "a credential is written in %s", g_leak);
out:
  vsc_test_run_free(&a);
  if (!vsc_test_failures) vsc_test_rmtree(dir);
}

/* A store that refuses writes (403 on PUT): the first refused upload switches the shared
 * cache off with one warning; the build is whole and local. */
static void t_http_read_only(void) {
  char dir[1024], ndir[2048];
  test_nginx ng = {0};
  vsc_test_run_result a = {0};
  case_dir(dir, sizeof dir, "httpro");
  snprintf(ndir, sizeof ndir, "%s/nginx", dir);
  REQUIRE(test_nginx_start_with(&ng, ndir, NULL, NULL, NULL, "limit_except GET HEAD { deny all; }") == 0,
          "nginx did not start");
  build_on(&a, dir, "m1", ng.url, "a.mp4");
  REQUIRE(a.status == 0, "the build exited %d", a.status);
  CHECK(lines_with(a.err, "warning:") == 1 && strstr(a.err, ": PUT cas/") && strstr(a.err, "HTTP 403") &&
            strstr(a.err, "continuing with the local cache only"),
        "not one warning about the refused upload:\n%s", a.err);
  CHECK(strstr(a.err, "ok: 10 run"), "not a whole local build:\n%s", a.err);
  /* At most one more per worker that was already uploading (2 workers and the light one). */
  CHECK(test_nginx_count(&ng, "PUT", NULL, 0) <= 3, "%d uploads after the first was refused",
        test_nginx_count(&ng, "PUT", NULL, 0));
out:
  CHECK(test_nginx_stop(&ng) == 0, "nginx did not stop cleanly");
  vsc_test_run_free(&a);
  if (!vsc_test_failures) vsc_test_rmtree(dir);
}

/* ---- against mock-replicate: paid predictions counted by the provider ------------------- */

/* Machine 1 pays for the shots; machine 2 builds the same script and pays nothing; machine
 * 3 builds a variant (another voice line) and pays only for the new line: the shared shots
 * come from the shared cache. */
static void t_http_mock_replicate(void) {
  env_t e;
  test_nginx ng = {0};
  json_t *b1 = NULL, *b2 = NULL, *b3 = NULL, *j2 = NULL, *j3 = NULL;
  const char *margs[] = {"--latency", "0.2", NULL};
  REQUIRE(setup(&e, FAULTS_SCRIPT, margs) == 0, "setup");
  char ndir[4096];
  snprintf(ndir, sizeof ndir, "%s/nginx", e.dir);
  REQUIRE(test_nginx_start(&ng, ndir, NULL, NULL, NULL) == 0, "nginx did not start");
  const char *a1[] = {"build", e.script, "-o", "a.mp4", "--cache", "m1", "--preview", "--progress", "plain",
                      "--remote-cache", ng.url, NULL};
  int rc = run_vsc(&e, a1, NULL, 0);
  REQUIRE(rc == 0, "machine 1 exited %d", rc);
  b1 = mock_get(&e, "/_mock/billing");
  int paid = (int)json_integer_value(json_object_get(b1, "count"));
  REQUIRE(paid == 3, "machine 1 paid %d predictions", paid);
  long creates = requests(&e, CREATE_OFFICIAL) + requests(&e, CREATE_VERSIONED);

  const char *a2[] = {"build", e.script, "-o", "b.mp4", "--cache", "m2", "--preview", "--progress", "plain",
                      "--remote-cache", ng.url, NULL};
  rc = run_vsc(&e, a2, NULL, 0);
  REQUIRE(rc == 0, "machine 2 exited %d", rc);
  b2 = mock_get(&e, "/_mock/billing");
  CHECK(json_integer_value(json_object_get(b2, "count")) == paid, "machine 2 was billed");
  CHECK(requests(&e, CREATE_OFFICIAL) + requests(&e, CREATE_VERSIONED) == creates, "machine 2 created predictions");
  CHECK(same_file(e.dir, "a.mp4", "b.mp4"), "machine 2's video differs");
  char jp[4096];
  snprintf(jp, sizeof jp, "%s/m2/journal.jsonl", e.dir);
  j2 = vsc_test_json_lines(jp);
  CHECK(count_t(j2, "intent", NULL, NULL) == 0 && count_t(j2, "cached", "from", "remote") == 1,
        "machine 2's journal: %d intents", count_t(j2, "intent", NULL, NULL));
  /* Its manifest names the predictions that made its shots, read from the shared cache. */
  char mp[4096];
  snprintf(mp, sizeof mp, "%s/b.mp4.json", e.dir);
  json_t *m2 = json_load_file(mp, 0, NULL);
  int gens = 0, named = 0;
  size_t si, gi;
  json_t *sc, *g;
  json_array_foreach(json_object_get(m2, "scenes"), si, sc)
    json_array_foreach(json_object_get(sc, "generations"), gi, g) {
      gens++;
      named += json_is_string(json_object_get(g, "prediction")) && json_is_true(json_object_get(g, "cache_hit")) &&
               !strcmp(json_string_value(json_object_get(g, "fetched")) ? json_string_value(json_object_get(g, "fetched")) : "",
                       "remote");
    }
  json_decref(m2);
  CHECK(gens == 3 && named == 3, "machine 2's manifest names %d of %d predictions", named, gens);

  /* A variant: the voice line and the transition change, the two shots do not. */
  REQUIRE(edit_file(e.script, "Hello there.", "Good evening.") == 0 && edit_file(e.script, "fade 0.3s", "fade 0.4s") == 0,
          "cannot edit the script");
  const char *a3[] = {"build", e.script, "-o", "c.mp4", "--cache", "m3", "--preview", "--progress", "plain",
                      "--remote-cache", ng.url, NULL};
  rc = run_vsc(&e, a3, NULL, 0);
  REQUIRE(rc == 0, "machine 3 exited %d", rc);
  b3 = mock_get(&e, "/_mock/billing");
  CHECK(json_integer_value(json_object_get(b3, "count")) == paid + 1, "machine 3 paid %lld predictions, not 1",
        (long long)json_integer_value(json_object_get(b3, "count")) - paid);
  CHECK(billed(b3, KOKORO, "succeeded") == 2 && billed(b3, SEEDANCE, "succeeded") == 1 &&
            billed(b3, FLUX, "succeeded") == 1,
        "a shared shot was generated again");
  snprintf(jp, sizeof jp, "%s/m3/journal.jsonl", e.dir);
  j3 = vsc_test_json_lines(jp);
  CHECK(count_t(j3, "intent", NULL, NULL) == 1, "machine 3 journaled %d paid calls", count_t(j3, "intent", NULL, NULL));
  CHECK(count_t(j3, "cached", "op", "generate") >= 1, "the shots were not fetched");
  /* What machine 1 paid is named, not paid again. */
  size_t i;
  json_t *r;
  json_array_foreach(j3, i, r) {
    if (strcmp(json_string_value(json_object_get(r, "t")), "cached") || strcmp(json_string_value(json_object_get(r, "op")), "generate"))
      continue;
    CHECK(json_is_string(json_object_get(r, "prediction")) && json_number_value(json_object_get(r, "paid_by_origin")) > 0,
          "a fetched shot does not name the prediction that made it");
  }
  /* The ledger of machine 3: one call (the voice line), the shots named as shared. */
  char lout[4096];
  const char *a4[] = {"ledger", "--cache", "m3", NULL};
  REQUIRE(run_vsc(&e, a4, lout, sizeof lout) == 0, "vsc ledger failed");
  char *ltext = vsc_test_slurp(lout, NULL);
  CHECK(ltext && strstr(ltext, " paid output(s) from the shared cache: $") && strstr(ltext, "not again"),
        "the ledger does not name the shared outputs:\n%s", ltext ? ltext : "");
  free(ltext);
  char store[4096];
  snprintf(store, sizeof store, "%s/cache", ng.root);
  CHECK(check_store(store) > 0, "the store is not consistent");
  check_token(&e);
out:
  CHECK(test_nginx_stop(&ng) == 0, "nginx did not stop cleanly");
  json_decref(b1);
  json_decref(b2);
  json_decref(b3);
  json_decref(j2);
  json_decref(j3);
  teardown(&e);
}

/* ---- a shared directory ----------------------------------------------------------------- */

/* The same as over HTTP with file:///dir: machine 2 fetches; a corrupt blob in the
 * directory is detected, deleted and replaced. */
static void t_dir_two_machines(void) {
  char dir[1024], store[2048], url[3000], key[65], sha[65];
  vsc_test_run_result a = {0}, b = {0}, c = {0};
  case_dir(dir, sizeof dir, "dir2");
  snprintf(store, sizeof store, "%s/shared", dir);
  snprintf(url, sizeof url, "file://%s", store);
  build_on(&a, dir, "m1", url, "a.mp4");
  REQUIRE(a.status == 0, "machine 1 exited %d", a.status);
  REQUIRE(check_store(store) >= 8, "the store is not consistent");
  build_on(&b, dir, "m2", store, "b.mp4"); /* a plain path names the same store */
  REQUIRE(b.status == 0, "machine 2 exited %d", b.status);
  CHECK(strstr(b.err, "ok: 0 run, 1 cached (1 remote)"), "machine 2 ran something:\n%s", b.err);
  CHECK(same_file(dir, "a.mp4", "b.mp4"), "machine 2's video differs");

  REQUIRE(output_key(dir, "a.mp4", key) == 0, "no output object");
  REQUIRE(corrupt_blob(store, key, sha) == 0, "cannot corrupt the blob");
  build_on(&c, dir, "m3", url, "c.mp4");
  REQUIRE(c.status == 0, "machine 3 exited %d", c.status);
  CHECK(strstr(c.err, "corrupt, deleted from the remote cache; not used"), "the corruption was not reported:\n%s", c.err);
  CHECK(same_pictures(dir, "a.mp4", "c.mp4"), "machine 3's video differs");
  CHECK(check_store(store) >= 8, "the store was not repaired");
out:
  vsc_test_run_free(&a);
  vsc_test_run_free(&b);
  vsc_test_run_free(&c);
  if (!vsc_test_failures) vsc_test_rmtree(dir);
}

/* Starts `vsc build` in dir without waiting (stdout/stderr to dir/OUT.log). */
static pid_t spawn_build(const char *dir, const char *cache, const char *url, const char *out) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  char log[4096];
  snprintf(log, sizeof log, "%s/%s.log", dir, out);
  int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || chdir(dir) != 0) _exit(126);
  dup2(fd, 1);
  dup2(fd, 2);
  execl(VSC_BIN, VSC_BIN, "build", "s.vscript", "-o", out, "--cache", cache, "--preview", "--progress", "plain",
        "--remote-cache", url, (char *)NULL);
  _exit(127);
}

/* Frames of a video of a case (0 when it cannot be decoded). */
static int frames_of(const char *dir, const char *name) {
  char p[4096];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  vsc_test_video *v = vsc_test_video_open(p, 0, 0);
  int n = 0;
  const vsc_test_image *f;
  double t;
  while (v && vsc_test_video_next(v, &f, &t) == 1) n++;
  if (v) vsc_test_video_close(v);
  return n;
}

/* Two machines build at once into one shared directory from nothing, writing the same keys:
 * both succeed, the store is consistent, no temp file is left. Two more then build at once
 * from it: both fetch the one video the store holds. (The first two videos are compared
 * frame for frame only by count: an animate encode on a loaded machine was seen to give
 * other pixels, which is the compositor's business, not the cache's.) */
static void t_dir_concurrent(void) {
  char dir[1024], store[2048];
  vsc_test_run_result c = {0};
  case_dir(dir, sizeof dir, "dirrace");
  snprintf(store, sizeof store, "%s/shared", dir);
  for (int round = 0; round < 2; round++) {
    char c1[16], c2[16], o1[16], o2[16];
    snprintf(c1, sizeof c1, "r%da", round);
    snprintf(c2, sizeof c2, "r%db", round);
    snprintf(o1, sizeof o1, "r%da.mp4", round);
    snprintf(o2, sizeof o2, "r%db.mp4", round);
    pid_t p1 = spawn_build(dir, c1, store, o1), p2 = spawn_build(dir, c2, store, o2);
    int s1 = wait_vsc(p1, RUN_TIMEOUT), s2 = wait_vsc(p2, RUN_TIMEOUT);
    REQUIRE(s1 == 0 && s2 == 0, "concurrent builds exited %d and %d", s1, s2);
    int f1 = frames_of(dir, o1), f2 = frames_of(dir, o2);
    CHECK(f1 > 0 && f1 == f2, "round %d: %d and %d frames", round, f1, f2);
    int n = check_store(store);
    CHECK(n >= 8, "the store is not consistent after round %d", round);
  }
  /* Round 1 fetched the video: the very bytes the store holds, on both machines. */
  char log[4096];
  snprintf(log, sizeof log, "%s/r1a.mp4.log", dir);
  CHECK(vsc_test_file_has(log, "ok: 0 run, 1 cached (1 remote)"), "round 1 ran something");
  snprintf(log, sizeof log, "%s/r1b.mp4.log", dir);
  CHECK(vsc_test_file_has(log, "ok: 0 run, 1 cached (1 remote)"), "round 1 ran something");
  CHECK(same_file(dir, "r1a.mp4", "r1b.mp4"), "round 1's videos differ");
  build_on(&c, dir, "m3", store, "c.mp4");
  REQUIRE(c.status == 0, "machine 3 exited %d", c.status);
  CHECK(strstr(c.err, "ok: 0 run, 1 cached (1 remote)"), "machine 3 ran something:\n%s", c.err);
  CHECK(same_file(dir, "r1a.mp4", "c.mp4"), "machine 3's video differs");
out:
  vsc_test_run_free(&c);
  if (!vsc_test_failures) vsc_test_rmtree(dir);
}

/* A shared directory that cannot be written (its path goes through a file): one warning,
 * a complete local build. */
static void t_dir_unwritable(void) {
  char dir[1024], store[2048];
  vsc_test_run_result a = {0};
  case_dir(dir, sizeof dir, "dirro");
  snprintf(store, sizeof store, "%s/s.vscript/shared", dir);
  build_on(&a, dir, "m1", store, "a.mp4");
  REQUIRE(a.status == 0, "the build exited %d", a.status);
  CHECK(lines_with(a.err, "warning:") == 1 && strstr(a.err, "continuing with the local cache only"),
        "not one warning:\n%s", a.err);
  CHECK(strstr(a.err, "ok: 10 run"), "not a whole local build:\n%s", a.err);
out:
  vsc_test_run_free(&a);
  if (!vsc_test_failures) vsc_test_rmtree(dir);
}

/* A URL vsc cannot use is a usage error, and says so without its credentials. */
static void t_bad_url(void) {
  char dir[1024];
  vsc_test_run_result a = {0}, b = {0};
  case_dir(dir, sizeof dir, "badurl");
  build_on(&a, dir, "m1", "ftp://carol:" PASSWORD "@host/cache", "a.mp4");
  CHECK(a.status == 1, "exit %d", a.status);
  CHECK(strstr(a.err, "vsc: --remote-cache: remote cache 'ftp://…': not a URL vsc can use"), "%s", a.err);
  CHECK(!strstr(a.err, PASSWORD), "the password is in the message");
  const char *argv[] = {VSC_BIN, "build", "s.vscript", "-o", "b.mp4", "--cache", "m1", "--preview", NULL};
  const char *env[] = {"VSC_REMOTE_CACHE=file://carol:" PASSWORD "@host/x", NULL};
  vsc_test_run(&b, dir, env, argv);
  CHECK(b.status == 1, "exit %d", b.status);
  CHECK(strstr(b.err, "vsc: VSC_REMOTE_CACHE: a file URL of a remote cache names an absolute directory"), "%s", b.err);
  CHECK(!strstr(b.err, PASSWORD), "the password is in the message");
  char vid[4096];
  snprintf(vid, sizeof vid, "%s/a.mp4", dir);
  CHECK(access(vid, F_OK) != 0, "a video was written");
  vsc_test_run_free(&a);
  vsc_test_run_free(&b);
  if (!vsc_test_failures) vsc_test_rmtree(dir);
}

static const vsc_test_case cases[] = {
#define VSC_TEST_CASE(name) VSC_TEST_ENTRY(t_, name)
#include "test_cache_remote.def"
#undef VSC_TEST_CASE
};

int main(int argc, char **argv) {
  unsetenv("REPLICATE_API_TOKEN"); /* the local provider, unless a case sets its own */
  unsetenv("VSC_REMOTE_CACHE");
  bool http = argc > 1 && !strncmp(argv[1], "http_", 5);
  if (http && !test_nginx_available()) {
    fprintf(stderr, "nginx is not installed (scripts/setup.sh installs it): skipped\n");
    return 77;
  }
  return mock_test_main(argc, argv, cases, VSC_TEST_COUNT(cases));
}
