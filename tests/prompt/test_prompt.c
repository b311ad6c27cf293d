/*
** test_prompt — tests of `vsc prompt` through the real CLI.
**
**   test_prompt corpus CORPUS.json NAME   one request of the corpus: the facts it states
**                                         must be in the plan (vsc plan --json, vsc ir), the
**                                         script must pass vsc check and vsc fmt --check, and
**                                         a second run must write the same bytes
**   test_prompt llm DIR CASE              the LLM front-end against mock-chat replaying
**                                         DIR/CASE.json
**
** VSC_BIN and MOCK_CHAT_BIN are the programs under test (compiled in by CMake).
*/
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vsc_test.h"

static char *make_dir(const char *tag) {
  char tmp[256], dir[4096];
  snprintf(tmp, sizeof tmp, "prompt-%s", tag);
  vsc_test_tmpdir(dir, sizeof dir, tmp);
  return strdup(dir);
}

static char *replace_all(const char *s, const char *what, const char *with) {
  size_t n = strlen(s) + 1, wl = strlen(what), rl = strlen(with);
  for (const char *p = s; (p = strstr(p, what)); p += wl) n += rl;
  char *out = malloc(n), *o = out;
  for (const char *p = s;;) {
    const char *q = strstr(p, what);
    if (!q) {
      strcpy(o, p);
      break;
    }
    memcpy(o, p, (size_t)(q - p));
    o += q - p;
    memcpy(o, with, rl);
    o += rl;
    p = q + wl;
  }
  return out;
}

/* ---- what the IR says ------------------------------------------------------------------- */

static void collect_texts(json_t *layers, json_t *into) {
  size_t i;
  json_t *t;
  json_array_foreach(json_object_get(layers, "texts"), i, t) {
    const char *s = json_string_value(json_object_get(t, "text"));
    if (s) json_object_set_new(into, s, json_true());
  }
}

/* What the nodes of one scene show: generated prompts, file paths and on-screen texts,
 * joined by " | ". Caller frees. */
static char *scene_shows(json_t *ir, const char *scene) {
  json_t *parts = json_array();
  size_t i;
  json_t *node;
  json_array_foreach(json_object_get(ir, "nodes"), i, node) {
    const char *s = json_string_value(json_object_get(node, "scene"));
    if (!s || strcmp(s, scene) != 0) continue;
    const char *op = json_string_value(json_object_get(node, "op"));
    json_t *p = json_object_get(node, "params");
    if (strcmp(op, "generate") == 0) json_array_append(parts, json_object_get(p, "prompt"));
    if (strcmp(op, "asset") == 0) json_array_append(parts, json_object_get(p, "path"));
    if (strcmp(op, "segment") == 0) {
      json_t *tx = json_object();
      collect_texts(json_object_get(p, "a"), tx);
      collect_texts(json_object_get(p, "b"), tx);
      const char *k;
      json_t *val;
      json_object_foreach(tx, k, val) json_array_append_new(parts, json_string(k));
      json_decref(tx);
    }
  }
  size_t n = 1;
  json_t *x;
  json_array_foreach(parts, i, x) n += strlen(json_string_value(x) ? json_string_value(x) : "") + 3;
  char *out = calloc(n, 1);
  json_array_foreach(parts, i, x) {
    if (i) strcat(out, " | ");
    if (json_string_value(x)) strcat(out, json_string_value(x));
  }
  json_decref(parts);
  return out;
}

/* ---- the corpus --------------------------------------------------------------------------- */

static double num(json_t *o, const char *k) { return json_number_value(json_object_get(o, k)); }

static int corpus_case(const char *corpus_path, const char *name) {
  json_error_t je;
  json_t *corpus = json_load_file(corpus_path, 0, &je);
  if (!corpus) {
    fprintf(stderr, "%s:%d: %s\n", corpus_path, je.line, je.text);
    return 2;
  }
  json_t *tc = NULL;
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(corpus, "cases"), i, c)
    if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0) tc = c;
  if (!tc) {
    fprintf(stderr, "no case '%s' in %s\n", name, corpus_path);
    return 2;
  }
  char *dir = make_dir(name);
  char music[4200];
  snprintf(music, sizeof music, "%s/song.wav", dir);
  if (vsc_test_write_click_wav(music, 12.0) != 0) return 2;

  /* The request: "request" (with @MUSIC@ for the test song), or "repeat": [text, n]. */
  char *request;
  json_t *rep = json_object_get(tc, "repeat");
  if (rep) {
    const char *unit = json_string_value(json_array_get(rep, 0));
    int times = (int)json_integer_value(json_array_get(rep, 1));
    size_t ul = strlen(unit);
    request = malloc(ul * (size_t)times + 1);
    for (int k = 0; k < times; k++) memcpy(request + ul * (size_t)k, unit, ul);
    request[ul * (size_t)times] = 0;
  } else {
    request = replace_all(json_string_value(json_object_get(tc, "request")), "@MUSIC@", "song.wav");
  }
  /* vsc prompt -o out.vscript ARGS -- REQUEST (the request may start with "-") */
  const char *argv[32] = {VSC_BIN, "prompt", "-o", "out.vscript"};
  int argc = 4;
  json_t *a;
  json_array_foreach(json_object_get(tc, "args"), i, a)
    if (argc < 28) argv[argc++] = json_string_value(a);
  argv[argc++] = "--";
  argv[argc++] = request;
  argv[argc] = NULL;
  json_t *expect = json_object_get(tc, "expect");
  int want_exit = json_object_get(expect, "exit") ? (int)json_integer_value(json_object_get(expect, "exit")) : 0;

  vsc_test_run_result r;
  vsc_test_run(&r, dir, NULL, argv);
  CHECK(r.status == want_exit, "vsc prompt exited %d, expected %d; stderr:\n%s", r.status, want_exit, r.err);
  const char *want_err = json_string_value(json_object_get(expect, "stderr"));
  if (want_err) CHECK(strstr(r.err, want_err) != NULL, "stderr lacks '%s':\n%s", want_err, r.err);
  char outpath[4300];
  snprintf(outpath, sizeof outpath, "%s/out.vscript", dir);
  char *script = vsc_test_slurp(outpath, NULL);
  if (want_exit != 0) {
    CHECK(script == NULL, "a failed prompt must not write the script");
    goto done;
  }
  if (r.status != 0 || !script) goto done;
  /* Deterministic: a second run, to stdout with --json, gives the same bytes; its report
   * says where each quoted line went and what could not be placed. */
  json_t *report = NULL;
  {
    const char *argv2[32];
    memcpy(argv2, argv, sizeof argv2);
    argv2[2] = "--quiet"; /* no -o: to stdout */
    argv2[3] = "--json";
    vsc_test_run_result r2;
    vsc_test_run(&r2, dir, NULL, argv2);
    report = json_loads(r2.out, 0, NULL);
    const char *again = json_string_value(json_object_get(report, "script_text"));
    CHECK(r2.status == 0 && again && strcmp(again, script) == 0, "a second run wrote different text");
    vsc_test_run_free(&r2);
  }
  /* Nothing is dropped silently: the unplaced lines (none unless the case says how many)
   * are each a note on stderr too. */
  {
    json_t *unplaced = json_object_get(report, "unplaced");
    json_t *want = json_object_get(expect, "unplaced");
    size_t nwant = want ? (size_t)json_integer_value(want) : 0;
    CHECK(json_array_size(unplaced) == nwant, "%zu lines could not be placed, expected %zu:\n%s",
          json_array_size(unplaced), nwant, r.err);
    json_array_foreach(unplaced, i, a) {
      char line[1200];
      snprintf(line, sizeof line, "note: %s\n", json_string_value(a));
      CHECK(strstr(r.err, line) != NULL, "unplaced '%s' is not on stderr", json_string_value(a));
    }
  }
  const char *has;
  json_array_foreach(json_object_get(expect, "script_has"), i, a) {
    has = json_string_value(a);
    CHECK(strstr(script, has) != NULL, "the script lacks '%s':\n%s", has, script);
  }
  json_array_foreach(json_object_get(expect, "script_lacks"), i, a) {
    has = json_string_value(a);
    CHECK(strstr(script, has) == NULL, "the script has '%s':\n%s", has, script);
  }
  const char *style = json_string_value(json_object_get(expect, "style"));
  if (style) {
    char line[128];
    snprintf(line, sizeof line, "\n  style %s\n", style);
    CHECK(strstr(script, line) != NULL, "style %s expected:\n%s", style, script);
  }
  if (json_is_null(json_object_get(expect, "style"))) CHECK(strstr(script, "\n  style ") == NULL, "no style expected");

  /* vsc check, vsc fmt --check */
  const char *check_argv[] = {VSC_BIN, "check", "out.vscript", NULL};
  vsc_test_run_result rc;
  vsc_test_run(&rc, dir, NULL, check_argv);
  CHECK(rc.status == 0, "vsc check failed (%d):\n%s", rc.status, rc.err);
  vsc_test_run_free(&rc);
  const char *fmt_argv[] = {VSC_BIN, "fmt", "out.vscript", "--check", NULL};
  vsc_test_run(&rc, dir, NULL, fmt_argv);
  CHECK(rc.status == 0, "vsc fmt --check failed: the script is not canonical");
  vsc_test_run_free(&rc);

  /* The plan. */
  const char *plan_argv[] = {VSC_BIN, "plan", "out.vscript", "--json", NULL};
  vsc_test_run(&rc, dir, NULL, plan_argv);
  json_t *plan = json_loads(rc.out, 0, NULL);
  CHECK(plan != NULL, "vsc plan --json gave no JSON: %s", rc.err);
  vsc_test_run_free(&rc);
  const char *ir_argv[] = {VSC_BIN, "ir", "out.vscript", NULL};
  vsc_test_run(&rc, dir, NULL, ir_argv);
  json_t *ir = json_loads(rc.out, 0, NULL);
  CHECK(ir != NULL, "vsc ir gave no JSON: %s", rc.err);
  vsc_test_run_free(&rc);
  if (!plan || !ir) goto done_json;
  json_t *v;
  if ((v = json_object_get(expect, "length"))) CHECK(fabs(num(plan, "length") - json_number_value(v)) < 1e-6, "length %g, expected %g", num(plan, "length"), json_number_value(v));
  if ((v = json_object_get(expect, "width"))) CHECK(json_integer_value(json_object_get(plan, "width")) == json_integer_value(v), "width %lld", (long long)json_integer_value(json_object_get(plan, "width")));
  if ((v = json_object_get(expect, "height"))) CHECK(json_integer_value(json_object_get(plan, "height")) == json_integer_value(v), "height %lld", (long long)json_integer_value(json_object_get(plan, "height")));
  if ((v = json_object_get(expect, "fps"))) CHECK(json_integer_value(json_object_get(plan, "fps")) == json_integer_value(v), "fps %lld", (long long)json_integer_value(json_object_get(plan, "fps")));
  if ((v = json_object_get(expect, "budget"))) {
    json_t *b = json_object_get(plan, "budget");
    if (json_is_null(v)) CHECK(json_is_null(b), "no budget expected");
    else CHECK(json_is_number(b) && fabs(json_number_value(b) - json_number_value(v)) < 1e-6, "budget %g, expected %g", json_number_value(b), json_number_value(v));
  }
  json_t *budget = json_object_get(plan, "budget");
  if (json_is_number(budget)) CHECK(num(plan, "estimated_cost") <= json_number_value(budget) + 1e-9, "estimate over the budget");
  size_t nscenes = json_array_size(json_object_get(plan, "scenes"));
  if ((v = json_object_get(expect, "scenes"))) CHECK(nscenes == (size_t)json_integer_value(v), "%zu scenes, expected %lld", nscenes, (long long)json_integer_value(v));
  if ((v = json_object_get(expect, "scenes_min"))) CHECK(nscenes >= (size_t)json_integer_value(v), "%zu scenes, expected at least %lld", nscenes, (long long)json_integer_value(v));
  if ((v = json_object_get(expect, "scenes_max"))) CHECK(nscenes <= (size_t)json_integer_value(v), "%zu scenes, expected at most %lld", nscenes, (long long)json_integer_value(v));
  /* Scenes tile the length. */
  double sum = 0;
  json_t *sc;
  json_array_foreach(json_object_get(plan, "scenes"), i, sc) sum += num(sc, "duration");
  CHECK(fabs(sum - num(plan, "length")) < 1e-3, "scene durations sum to %g, not %g", sum, num(plan, "length"));
  if ((v = json_object_get(expect, "durations"))) {
    json_t *d;
    json_array_foreach(v, i, d) {
      double got = num(json_array_get(json_object_get(plan, "scenes"), i), "duration");
      CHECK(fabs(got - json_number_value(d)) < 0.051, "scene %zu lasts %g, expected %g", i + 1, got, json_number_value(d));
    }
  }
  json_t *video = json_object_get(ir, "video");
  if ((v = json_object_get(expect, "quality"))) CHECK(strcmp(json_string_value(json_object_get(video, "quality")), json_string_value(v)) == 0, "quality %s", json_string_value(json_object_get(video, "quality")));
  if ((v = json_object_get(expect, "title"))) CHECK(strcmp(json_string_value(json_object_get(video, "title")), json_string_value(v)) == 0, "title '%s'", json_string_value(json_object_get(video, "title")));
  if ((v = json_object_get(expect, "title_lacks"))) CHECK(!strstr(json_string_value(json_object_get(video, "title")), json_string_value(v)), "title '%s'", json_string_value(json_object_get(video, "title")));
  /* Nodes: voice lines, texts, music, prompts. */
  json_t *voices = json_array(), *texts = json_object();
  const char *music_kind = "none";
  bool look_everywhere = true;
  int prompts = 0;
  const char *look = json_string_value(json_object_get(expect, "look"));
  json_t *node;
  json_array_foreach(json_object_get(ir, "nodes"), i, node) {
    const char *op = json_string_value(json_object_get(node, "op"));
    json_t *p = json_object_get(node, "params");
    if (strcmp(op, "tts") == 0) json_array_append(voices, json_object_get(p, "text"));
    if (strcmp(op, "segment") == 0) {
      collect_texts(json_object_get(p, "a"), texts);
      collect_texts(json_object_get(p, "b"), texts);
    }
    if (strcmp(op, "asset") == 0 && strcmp(json_string_value(json_object_get(p, "media")), "audio") == 0) music_kind = "file";
    if (strcmp(op, "generate") == 0) {
      const char *kind = json_string_value(json_object_get(p, "kind"));
      if (strcmp(kind, "music") == 0) music_kind = "generate";
      else {
        prompts++;
        const char *pr = json_string_value(json_object_get(p, "prompt"));
        if (look && (!pr || !strstr(pr, look))) look_everywhere = false;
      }
    }
  }
  if (look) CHECK(prompts > 0 && look_everywhere, "the look '%s' is not in every generated prompt", look);
  if ((v = json_object_get(expect, "voices"))) {
    char *got = json_dumps(voices, JSON_COMPACT), *want = json_dumps(v, JSON_COMPACT);
    CHECK(json_equal(voices, v), "voice lines %s, expected %s", got, want);
    free(got);
    free(want);
  }
  json_array_foreach(json_object_get(expect, "texts"), i, a) CHECK(json_object_get(texts, json_string_value(a)) != NULL, "no on-screen text '%s'", json_string_value(a));
  if ((v = json_object_get(expect, "ntexts"))) CHECK(json_object_size(texts) == (size_t)json_integer_value(v), "%zu distinct texts", json_object_size(texts));
  if ((v = json_object_get(expect, "music"))) CHECK(strcmp(music_kind, json_string_value(v)) == 0, "music %s, expected %s", music_kind, json_string_value(v));
  if ((v = json_object_get(expect, "generated_shots_min"))) CHECK(prompts >= json_integer_value(v), "%d generated shots", prompts);
  if ((v = json_object_get(expect, "cut_to_beat")) && json_is_true(v)) {
    /* Every boundary sits on the 120 bpm grid (0.5 s). */
    json_array_foreach(json_object_get(plan, "scenes"), i, sc) {
      double s = num(sc, "start");
      CHECK(fabs(s * 2 - round(s * 2)) < 0.03, "scene %zu starts at %g, off the beat grid", i + 1, s);
    }
    CHECK(json_object_get(plan, "tempo") != NULL, "no tempo in the plan");
  }
  /* Every quoted line the front end says it placed is in the plan as that; the case's
   * "placed" entries say where particular lines must go. */
  {
    json_t *pl;
    const char *title = json_string_value(json_object_get(video, "title"));
    json_array_foreach(json_object_get(report, "placed"), i, pl) {
      const char *text = json_string_value(json_object_get(pl, "text"));
      const char *as = json_string_value(json_object_get(pl, "placed"));
      if (!as) continue;
      bool in_voices = false;
      size_t k;
      json_t *vo;
      json_array_foreach(voices, k, vo)
        if (strcmp(json_string_value(vo), text) == 0) in_voices = true;
      if (strcmp(as, "voice") == 0) CHECK(in_voices, "'%s' is reported as voice but no tts node says it", text);
      else if (strcmp(as, "title") == 0) CHECK(title && strcmp(title, text) == 0, "'%s' is reported as the title", text);
      else CHECK(json_object_get(texts, text) != NULL, "'%s' is reported as on-screen text but no segment shows it", text);
    }
    json_t *want;
    json_array_foreach(json_object_get(expect, "placed"), i, want) {
      const char *text = json_string_value(json_object_get(want, "text"));
      const char *as = json_string_value(json_object_get(want, "as"));
      const char *scene = json_string_value(json_object_get(want, "scene"));
      bool found = false;
      size_t k;
      json_array_foreach(json_object_get(report, "placed"), k, pl) {
        if (strcmp(json_string_value(json_object_get(pl, "text")), text) != 0) continue;
        const char *got = json_string_value(json_object_get(pl, "placed"));
        const char *gscene = json_string_value(json_object_get(pl, "scene"));
        if (got && strcmp(got, as) == 0 && (!scene || (gscene && strcmp(gscene, scene) == 0))) found = true;
      }
      CHECK(found, "'%s' was not placed as %s%s%s", text, as, scene ? " in scene " : "", scene ? scene : "");
    }
  }
  /* "scene_has": what each scene shows, in order (its generated prompt, file or text). */
  if ((v = json_object_get(expect, "scene_has"))) {
    json_t *want;
    json_array_foreach(v, i, want) {
      const char *sname = json_string_value(json_object_get(json_array_get(json_object_get(plan, "scenes"), i), "name"));
      CHECK(sname != NULL, "no scene %zu for '%s'", i + 1, json_string_value(want));
      if (!sname) continue;
      char *shows = scene_shows(ir, sname);
      CHECK(strcasestr(shows, json_string_value(want)) != NULL, "scene %zu (%s) does not show '%s': %s", i + 1, sname,
            json_string_value(want), shows);
      free(shows);
    }
  }
  json_decref(voices);
  json_decref(texts);
done_json:
  json_decref(plan);
  json_decref(ir);
  json_decref(report);
done:
  free(script);
  vsc_test_run_free(&r);
  free(request);
  json_decref(corpus);
  if (!vsc_test_failures) vsc_test_rmtree(dir);
  else fprintf(stderr, "(kept %s)\n", dir);
  free(dir);
  return vsc_test_failures ? 1 : 0;
}

/* ---- LLM mode against mock-chat ------------------------------------------------------------- */

typedef struct {
  pid_t pid;
  int port;
} mock;

static int mock_start(mock *m, const char *script, const char *token) {
  const char *argv[] = {MOCK_CHAT_BIN, "--script", script, "--port", "0", token ? "--token" : NULL, token, NULL};
  m->pid = vsc_test_start_server(argv, &m->port);
  return m->pid > 0 ? 0 : -1;
}

/* The mock's request log: a plain HTTP/1.0 GET over a socket. */
static json_t *mock_requests(const mock *m) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "GET /_mock/requests HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  int fd = -1;
  {
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)m->port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
      if (fd >= 0) close(fd);
      return NULL;
    }
  }
  if (write(fd, cmd, strlen(cmd)) < 0) {
    close(fd);
    return NULL;
  }
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  ssize_t k;
  while ((k = read(fd, buf + n, cap - n - 1)) > 0) {
    n += (size_t)k;
    if (n + 1 == cap) buf = realloc(buf, cap *= 2);
  }
  buf[n] = 0;
  close(fd);
  char *body = strstr(buf, "\r\n\r\n");
  json_t *j = body ? json_loads(body + 4, 0, NULL) : NULL;
  free(buf);
  return j;
}

static int count_posts(json_t *log) {
  int n = 0;
  size_t i;
  json_t *r;
  json_array_foreach(log, i, r)
    if (strcmp(json_string_value(json_object_get(r, "method")), "POST") == 0) n++;
  return n;
}

#define TOKEN "sk-test-0123456789abcdef"

static int llm_case(const char *dir_in, const char *name) {
  char script[4200];
  snprintf(script, sizeof script, "%s/%s.json", dir_in, name);
  json_t *spec = json_load_file(script, 0, NULL);
  if (!spec) {
    fprintf(stderr, "cannot read %s\n", script);
    return 2;
  }
  json_t *t = json_object_get(spec, "test");
  const char *provider = json_string_value(json_object_get(t, "provider"));
  bool replicate = provider && strcmp(provider, "replicate") == 0;
  const char *client_key = json_string_value(json_object_get(t, "client_key"));
  if (!client_key) client_key = TOKEN;
  mock m;
  if (mock_start(&m, script, TOKEN) != 0) {
    fprintf(stderr, "mock-chat did not start\n");
    return 2;
  }
  char *dir = make_dir(name);
  /* Files around the script ("files": path → text, "symlinks": path → target, relative to
   * the case directory; "out" puts the script in a subfolder so that files can lie outside
   * the script's folder). */
  const char *out_rel = json_string_value(json_object_get(t, "out"));
  if (!out_rel) out_rel = "out.vscript";
  const char *fk;
  json_t *fv;
  json_object_foreach(json_object_get(t, "files"), fk, fv) {
    char fp[4400];
    snprintf(fp, sizeof fp, "%s/%s", dir, fk);
    char *slash = strrchr(fp, '/');
    *slash = 0;
    mkdir(fp, 0777);
    *slash = '/';
    FILE *f = fopen(fp, "w");
    if (f) {
      fputs(json_string_value(fv), f);
      fclose(f);
    }
  }
  json_object_foreach(json_object_get(t, "symlinks"), fk, fv) {
    char fp[4400];
    snprintf(fp, sizeof fp, "%s/%s", dir, fk);
    CHECK(symlink(json_string_value(fv), fp) == 0, "symlink %s", fp);
  }
  char e_base[128], e_key[160], e_timeout[64], e_backoff[64];
  const char *env[16];
  int ne = 0;
  if (replicate) {
    snprintf(e_base, sizeof e_base, "REPLICATE_API_BASE=http://127.0.0.1:%d", m.port); /* without /v1 */
    snprintf(e_key, sizeof e_key, "REPLICATE_API_TOKEN=%s", client_key);
    env[ne++] = "VSC_LLM_PROVIDER=replicate";
    env[ne++] = "VSC_LLM_MODEL=meta/meta-llama-3-70b-instruct";
    env[ne++] = "VSC_LLM_BASE_URL=";
  } else {
    snprintf(e_base, sizeof e_base, "VSC_LLM_BASE_URL=http://127.0.0.1:%d/v1", m.port);
    snprintf(e_key, sizeof e_key, "VSC_LLM_API_KEY=%s", client_key);
    env[ne++] = "VSC_LLM_PROVIDER=openai";
    env[ne++] = "VSC_LLM_MODEL=mock-model";
  }
  env[ne++] = e_base;
  env[ne++] = e_key;
  json_t *tv = json_object_get(t, "timeout");
  snprintf(e_timeout, sizeof e_timeout, "VSC_LLM_TIMEOUT=%g", tv ? json_number_value(tv) : 20.0);
  snprintf(e_backoff, sizeof e_backoff, "VSC_LLM_BACKOFF=%g", 0.2);
  env[ne++] = e_timeout;
  env[ne++] = e_backoff;
  env[ne++] = "VSC_LLM_PRICE_IN=2.5";
  env[ne++] = "VSC_LLM_PRICE_OUT=10";
  env[ne] = NULL;

  const char *argv[16] = {VSC_BIN, "prompt", "--llm", "a 20 second ad for a lamp", "-o", out_rel};
  int argc = 6;
  json_t *extra = json_object_get(t, "args");
  size_t i;
  json_t *a;
  json_array_foreach(extra, i, a) argv[argc++] = json_string_value(a);
  argv[argc] = NULL;
  vsc_test_run_result r;
  vsc_test_run(&r, dir, env, argv);
  json_t *log = mock_requests(&m);
  int mock_rc = vsc_test_stop_server(m.pid);
  CHECK(mock_rc == 0, "mock-chat did not stop cleanly (%d)", mock_rc);

  int want_exit = (int)json_integer_value(json_object_get(t, "exit"));
  CHECK(r.status == want_exit, "exit %d, expected %d; stderr:\n%s", r.status, want_exit, r.err);
  int want_posts = (int)json_integer_value(json_object_get(t, "requests"));
  CHECK(count_posts(log) == want_posts, "%d requests, expected %d", count_posts(log), want_posts);
  json_t *v;
  if ((v = json_object_get(t, "min_seconds"))) CHECK(r.seconds >= json_number_value(v), "took %.2fs, expected at least %g", r.seconds, json_number_value(v));
  if ((v = json_object_get(t, "max_seconds"))) CHECK(r.seconds <= json_number_value(v), "took %.2fs, expected at most %g", r.seconds, json_number_value(v));
  json_array_foreach(json_object_get(t, "stderr"), i, a) CHECK(strstr(r.err, json_string_value(a)) != NULL, "stderr lacks '%s':\n%s", json_string_value(a), r.err);
  /* The key is sent, and never shown or written. */
  CHECK(!strstr(r.out, client_key) && !strstr(r.err, client_key), "the API key was printed");
  char outpath[4300], journal[4400];
  snprintf(outpath, sizeof outpath, "%s/%s", dir, out_rel);
  char out_dir[4300];
  snprintf(out_dir, sizeof out_dir, "%s", outpath);
  *strrchr(out_dir, '/') = 0;
  snprintf(journal, sizeof journal, "%s/.vsc/journal.jsonl", out_dir);
  CHECK(!vsc_test_file_has(journal, client_key), "the API key is in the journal");
  size_t k;
  json_t *req;
  json_array_foreach(log, k, req) {
    if (strcmp(json_string_value(json_object_get(req, "method")), "POST") != 0) continue;
    const char *want_auth = json_string_value(json_object_get(t, "auth"));
    CHECK(strcmp(json_string_value(json_object_get(req, "auth")), want_auth ? want_auth : "ok") == 0, "request %zu auth %s", k,
          json_string_value(json_object_get(req, "auth")));
    if (replicate) {
      CHECK(strcmp(json_string_value(json_object_get(req, "path")), "/v1/models/meta/meta-llama-3-70b-instruct/predictions") == 0,
            "replicate path %s", json_string_value(json_object_get(req, "path")));
      const char *sys = json_string_value(json_object_get(json_object_get(json_object_get(req, "body"), "input"), "system_prompt"));
      CHECK(sys && strstr(sys, "The .vscript language") && strstr(sys, "warm_cinematic"), "system prompt lacks the reference");
    } else {
      json_t *msgs = json_object_get(json_object_get(req, "body"), "messages");
      const char *sys = json_string_value(json_object_get(json_array_get(msgs, 0), "content"));
      CHECK(sys && strstr(sys, "The .vscript language") && strstr(sys, "wan-video/wan-2.2-t2v-fast") &&
                strstr(sys, "style warm_cinematic") && strstr(sys, "Weekend Drop"),
            "the system prompt lacks the language, registry, styles or example");
      CHECK(strcmp(json_string_value(json_object_get(json_array_get(msgs, 1), "content")), "a 20 second ad for a lamp") == 0,
            "the request is not the first user message");
    }
  }
  /* Text of files outside the script's folder never reaches the model. */
  json_array_foreach(json_object_get(t, "never_sent"), i, a) {
    json_array_foreach(log, k, req) {
      char *body = json_dumps(json_object_get(req, "body"), JSON_COMPACT);
      CHECK(!body || !strstr(body, json_string_value(a)), "request %zu carries '%s'", k, json_string_value(a));
      free(body);
    }
  }
  /* A repair request carries the previous reply and the checker's JSON diagnostics. */
  if ((v = json_object_get(t, "repair_mentions"))) {
    json_t *last = NULL;
    json_array_foreach(log, k, req)
      if (strcmp(json_string_value(json_object_get(req, "method")), "POST") == 0) last = req;
    const char *content = NULL;
    if (replicate) {
      content = json_string_value(json_object_get(json_object_get(json_object_get(last, "body"), "input"), "prompt"));
    } else {
      json_t *msgs = json_object_get(json_object_get(last, "body"), "messages");
      content = json_string_value(json_object_get(json_array_get(msgs, json_array_size(msgs) - 1), "content"));
      CHECK(json_array_size(msgs) >= 4, "the repair request has %zu messages", json_array_size(msgs));
    }
    json_array_foreach(v, i, a) CHECK(content && strstr(content, json_string_value(a)), "the repair request lacks '%s'", json_string_value(a));
  }
  char *written = vsc_test_slurp(outpath, NULL);
  if (want_exit == 0) {
    CHECK(written != NULL, "no script written");
    if (written) {
      const char *check_argv[] = {VSC_BIN, "check", out_rel, NULL};
      vsc_test_run_result rc;
      vsc_test_run(&rc, dir, NULL, check_argv);
      CHECK(rc.status == 0, "the written script fails vsc check:\n%s", rc.err);
      vsc_test_run_free(&rc);
      json_array_foreach(json_object_get(t, "script_has"), i, a) CHECK(strstr(written, json_string_value(a)), "script lacks '%s'", json_string_value(a));
      CHECK(!strstr(written, "```"), "Markdown fences left in the script");
    }
  } else {
    CHECK(written == NULL, "a failed run wrote the script");
  }
  free(written);
  /* The ledger: one call per reply received, cost = tokens × prices. */
  if ((v = json_object_get(t, "ledger_cost"))) {
    const char *ledger_argv[] = {VSC_BIN, "ledger", out_rel, "--json", NULL};
    vsc_test_run_result rl;
    vsc_test_run(&rl, dir, NULL, ledger_argv);
    json_t *lj = json_loads(rl.out, 0, NULL);
    CHECK(lj && fabs(num(lj, "total") - json_number_value(v)) < 1e-9, "ledger total %g, expected %g", num(lj, "total"), json_number_value(v));
    json_t *calls = json_object_get(json_array_get(json_object_get(lj, "builds"), 0), "calls");
    json_t *want_calls = json_object_get(t, "ledger_calls");
    if (want_calls) CHECK(json_array_size(calls) == (size_t)json_integer_value(want_calls), "%zu ledger calls", json_array_size(calls));
    json_decref(lj);
    vsc_test_run_free(&rl);
  }
  json_decref(log);
  json_decref(spec);
  vsc_test_run_free(&r);
  if (!vsc_test_failures) vsc_test_rmtree(dir);
  else fprintf(stderr, "(kept %s)\n", dir);
  free(dir);
  return vsc_test_failures ? 1 : 0;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc == 4 && strcmp(argv[1], "corpus") == 0) return corpus_case(argv[2], argv[3]);
  if (argc == 4 && strcmp(argv[1], "llm") == 0) return llm_case(argv[2], argv[3]);
  fprintf(stderr, "usage: test_prompt corpus CORPUS.json NAME | test_prompt llm DIR CASE\n");
  return 2;
}
