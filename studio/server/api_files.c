/*
** api_files.c (studio) — the scripts of the project: list, read, save (formatted, written
** atomically, refused when the file changed on disk since it was read) and check as you
** type (diagnostics plus the plan summary, from text that is not saved yet).
*/
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "studio.h"
#include "vsc/vsc.h"
#include "vsc/vsc_runtime.h"

/* ---- listing ------------------------------------------------------------------------ */

static const char *file_kind(const char *name) {
  const char *dot = strrchr(name, '.');
  if (!dot) return NULL;
  if (strcmp(dot, ".vscript") == 0) return "script";
  if (strcmp(dot, ".mp4") == 0) return "video";
  if (!strcmp(dot, ".wav") || !strcmp(dot, ".mp3") || !strcmp(dot, ".flac") || !strcmp(dot, ".ogg") ||
      !strcmp(dot, ".m4a"))
    return "audio";
  if (!strcmp(dot, ".png") || !strcmp(dot, ".jpg") || !strcmp(dot, ".jpeg")) return "image";
  if (!strcmp(dot, ".srt") || !strcmp(dot, ".vtt")) return "sidecar";
  size_t n = strlen(name);
  if (n > 9 && strcmp(name + n - 9, ".mp4.json") == 0) return "manifest";
  return NULL;
}

/* Walks the project (no hidden folders, no links followed, 5 levels, 2000 entries). */
static void walk(const char *abs, const char *rel, int depth, json_t *out) {
  if (depth > 5 || json_array_size(out) >= 2000) return;
  DIR *d = opendir(abs);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' || strcmp(e->d_name, "node_modules") == 0) continue;
    char a[PATH_MAX], r[PATH_MAX];
    if ((size_t)snprintf(a, sizeof a, "%s/%s", abs, e->d_name) >= sizeof a) continue;
    snprintf(r, sizeof r, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
    struct stat st;
    if (lstat(a, &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      walk(a, r, depth + 1, out);
    } else if (S_ISREG(st.st_mode)) {
      const char *kind = file_kind(e->d_name);
      if (!kind) continue;
      json_array_append_new(out, json_pack("{s:s, s:s, s:I, s:f}", "path", r, "kind", kind,
                                           "size", (json_int_t)st.st_size, "mtime",
                                           (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9));
    }
  }
  closedir(d);
}

static int by_path(const void *a, const void *b) {
  return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "path")),
                json_string_value(json_object_get(*(json_t *const *)b, "path")));
}

enum MHD_Result studio_api_files(studio *st, struct MHD_Connection *c, const char *url,
                                 const studio_req *req) {
  (void)url, (void)req;
  json_t *files = json_array();
  walk(st->dir, "", 0, files);
  size_t n = json_array_size(files);
  json_t **items = malloc((n ? n : 1) * sizeof *items);
  for (size_t i = 0; i < n; i++) items[i] = json_incref(json_array_get(files, i));
  qsort(items, n, sizeof *items, by_path);
  json_t *sorted = json_array();
  for (size_t i = 0; i < n; i++) json_array_append_new(sorted, items[i]);
  free(items);
  json_decref(files);
  return studio_reply_json(st, c, 200, json_pack("{s:o}", "files", sorted));
}

/* ---- reading and saving -------------------------------------------------------------- */

char *studio_read_text(const char *abs, size_t limit, size_t *len, double *mtime, char *why,
                       size_t whylen) {
  int fd = open(abs, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return snprintf(why, whylen, "%s", strerror(errno)), NULL;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return snprintf(why, whylen, "not a regular file"), NULL;
  }
  if ((size_t)st.st_size > limit) {
    close(fd);
    return snprintf(why, whylen, "file too large (limit %zu bytes)", limit), NULL;
  }
  char *buf = malloc((size_t)st.st_size + 1);
  size_t n = 0;
  while (buf && n < (size_t)st.st_size) {
    ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);
    if (k <= 0) break;
    n += (size_t)k;
  }
  close(fd);
  if (!buf) return snprintf(why, whylen, "out of memory"), NULL;
  buf[n] = 0;
  *len = n;
  if (mtime) *mtime = (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
  return buf;
}

enum MHD_Result studio_api_file_get(studio *st, struct MHD_Connection *c, const char *url,
                                    const studio_req *req) {
  (void)url, (void)req;
  const char *rel = studio_arg(c, "path");
  char abs[PATH_MAX], why[512];
  if (studio_path_resolve(st, rel, true, abs, sizeof abs, why, sizeof why) != 0)
    return studio_reply_error(st, c, strstr(why, "No such") ? 404 : 403, "%s", why);
  /* ?since=MTIME (the page's poll for edits made elsewhere): an unchanged file is answered
   * without its text, so watching a file costs a stat, not a read and a parse. */
  const char *since = studio_arg(c, "since");
  struct stat fst;
  if (since && stat(abs, &fst) == 0) {
    double m = (double)fst.st_mtim.tv_sec + fst.st_mtim.tv_nsec / 1e9;
    if (m <= strtod(since, NULL))
      return studio_reply_json(st, c, 200,
                               json_pack("{s:s, s:f, s:b}", "path", studio_path_rel(st, abs), "mtime", m, "unchanged", 1));
  }
  size_t len;
  double mtime;
  char *text = studio_read_text(abs, VSC_STUDIO_MAX_SCRIPT, &len, &mtime, why, sizeof why);
  if (!text) return studio_reply_error(st, c, 400, "%s: %s", rel, why);
  json_t *o = json_pack("{s:s, s:s%, s:f}", "path", studio_path_rel(st, abs), "text", text, len,
                        "mtime", mtime);
  free(text);
  if (!o) return studio_reply_error(st, c, 400, "%s is not UTF-8 text", rel);
  return studio_reply_json(st, c, 200, o);
}

int studio_write_file(const char *abs, const char *text, size_t len) {
  char tmp[PATH_MAX + 32];
  snprintf(tmp, sizeof tmp, "%s.studio.%ld.tmp", abs, (long)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  size_t off = 0;
  while (off < len) {
    ssize_t k = write(fd, text + off, len - off);
    if (k <= 0) break;
    off += (size_t)k;
  }
  int ok = off == len && fsync(fd) == 0;
  ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp, abs) != 0) {
    unlink(tmp);
    return -1;
  }
  return 0;
}

enum MHD_Result studio_api_file_put(studio *st, struct MHD_Connection *c, const char *url,
                                    const studio_req *req) {
  (void)url;
  enum MHD_Result rc;
  json_t *body = studio_body_json(st, c, req, &rc);
  if (!body) return rc;
  const char *rel = json_string_value(json_object_get(body, "path"));
  json_t *jtext = json_object_get(body, "text");
  json_t *base = json_object_get(body, "base_mtime"); /* the mtime the editor read */
  bool fmt = !json_is_false(json_object_get(body, "format"));
  char abs[PATH_MAX], why[512];
  if (!json_is_string(jtext)) {
    json_decref(body);
    return studio_reply_error(st, c, 400, "'text' must be a string");
  }
  if (studio_path_resolve(st, rel, false, abs, sizeof abs, why, sizeof why) != 0) {
    json_decref(body);
    return studio_reply_error(st, c, 403, "%s", why);
  }
  const char *dot = strrchr(abs, '.');
  if (!dot || strcmp(dot, ".vscript") != 0) {
    json_decref(body);
    return studio_reply_error(st, c, 403, "only .vscript files can be written");
  }
  struct stat sb;
  if (json_is_number(base) && stat(abs, &sb) == 0) {
    double now = (double)sb.st_mtim.tv_sec + sb.st_mtim.tv_nsec / 1e9;
    /* The file on disk is the truth: never overwrite an edit made elsewhere unseen. */
    if (now - json_number_value(base) > 1e-6 && !json_is_true(json_object_get(body, "force"))) {
      json_decref(body);
      return studio_reply_error(st, c, 409, "the file changed on disk since it was opened: "
                                            "reload it, or save again to overwrite");
    }
  }
  const char *text = json_string_value(jtext);
  size_t len = json_string_length(jtext);
  char *formatted = NULL;
  json_t *diags_json = NULL;
  if (fmt) {
    pthread_mutex_lock(&st->compile_lock);
    vsc_diag_list *diags = vsc_diag_list_new(20);
    formatted = vsc_format(abs, text, len, diags);
    diags_json = studio_diags_json(st, diags);
    vsc_diag_list_free(diags);
    pthread_mutex_unlock(&st->compile_lock);
  }
  const char *out = formatted ? formatted : text;
  size_t outlen = formatted ? strlen(formatted) : len;
  if (studio_write_file(abs, out, outlen) != 0) {
    free(formatted);
    json_decref(diags_json);
    json_decref(body);
    return studio_reply_error(st, c, 500, "cannot write %s: %s", rel, strerror(errno));
  }
  stat(abs, &sb);
  json_t *o = json_pack("{s:s, s:s%, s:f, s:b, s:o}", "path", studio_path_rel(st, abs), "text",
                        out, outlen, "mtime",
                        (double)sb.st_mtim.tv_sec + sb.st_mtim.tv_nsec / 1e9, "formatted",
                        formatted != NULL, "diagnostics", diags_json ? diags_json : json_array());
  free(formatted);
  json_decref(body);
  return studio_reply_json(st, c, 200, o);
}

/* ---- checking as you type ------------------------------------------------------------- */

json_t *studio_diags_json(const studio *st, const vsc_diag_list *diags) {
  json_t *arr = vsc_diag_to_json(diags);
  size_t i;
  json_t *d;
  /* Absolute names are compiled so imports resolve; the page sees project paths. */
  json_array_foreach(arr, i, d) {
    const char *f = json_string_value(json_object_get(d, "file"));
    const char *rel = f ? studio_path_rel(st, f) : NULL;
    if (rel) json_object_set_new(d, "file", json_string(rel));
  }
  return arr;
}

enum MHD_Result studio_api_check(studio *st, struct MHD_Connection *c, const char *url,
                                 const studio_req *req) {
  (void)url;
  enum MHD_Result rc;
  json_t *body = studio_body_json(st, c, req, &rc);
  if (!body) return rc;
  const char *rel = json_string_value(json_object_get(body, "path"));
  json_t *jtext = json_object_get(body, "text");
  const char *provider = json_string_value(json_object_get(body, "provider"));
  bool preview = json_is_true(json_object_get(body, "preview"));
  char abs[PATH_MAX], why[512];
  if (!json_is_string(jtext) ||
      studio_path_resolve(st, rel, false, abs, sizeof abs, why, sizeof why) != 0) {
    json_decref(body);
    return studio_reply_error(st, c, json_is_string(jtext) ? 403 : 400, "%s",
                              json_is_string(jtext) ? why : "'text' must be a string");
  }
  json_t *o = studio_compile_and_plan(st, abs, json_string_value(jtext), json_string_length(jtext),
                                      provider, preview);
  json_decref(body);
  return studio_reply_json(st, c, 200, o);
}

enum MHD_Result studio_api_format(studio *st, struct MHD_Connection *c, const char *url,
                                  const studio_req *req) {
  (void)url;
  enum MHD_Result rc;
  json_t *body = studio_body_json(st, c, req, &rc);
  if (!body) return rc;
  const char *rel = json_string_value(json_object_get(body, "path"));
  json_t *jtext = json_object_get(body, "text");
  char abs[PATH_MAX], why[512];
  if (!json_is_string(jtext) ||
      studio_path_resolve(st, rel, false, abs, sizeof abs, why, sizeof why) != 0) {
    json_decref(body);
    return studio_reply_error(st, c, 400, "%s", json_is_string(jtext) ? why : "'text' must be a string");
  }
  pthread_mutex_lock(&st->compile_lock);
  vsc_diag_list *diags = vsc_diag_list_new(20);
  char *out = vsc_format(abs, json_string_value(jtext), json_string_length(jtext), diags);
  json_t *dj = studio_diags_json(st, diags);
  vsc_diag_list_free(diags);
  pthread_mutex_unlock(&st->compile_lock);
  json_t *o = json_pack("{s:s?, s:o}", "text", out, "diagnostics", dj);
  free(out);
  json_decref(body);
  return studio_reply_json(st, c, 200, o);
}
