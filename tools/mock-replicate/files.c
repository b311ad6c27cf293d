/*
** files.c — Replicate's Files API in mock-replicate: multipart uploads (POST /v1/files),
** the file objects, their expiry (--file-ttl, scaled), persistence beside --state-file, and
** the check of a create's `format: uri` inputs (mock file URL, data: URL or other URL).
** Lock held throughout.
*/
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mock.h"

/* ---- store ----------------------------------------------------------------------------- */

mock_file *mock_file_any(const char *id) {
  for (int i = 0; i < g_mock.nfiles; i++)
    if (!g_mock.files[i]->deleted && !strcmp(g_mock.files[i]->id, id)) return g_mock.files[i];
  return NULL;
}

mock_file *mock_file_find(const char *id) {
  mock_file *f = mock_file_any(id);
  return f && mock_now() < f->expires ? f : NULL;
}

static void data_path(const mock_file *f, char *buf, size_t n) {
  snprintf(buf, n, "%s.files/%s", g_mock.state_file, f->id);
}

/* With --state-file the bytes go beside it once, at upload; the state keeps the rest. */
static void write_data(const mock_file *f) {
  if (!g_mock.state_file) return;
  char dir[4200], path[4300], tmp[4400];
  snprintf(dir, sizeof dir, "%s.files", g_mock.state_file);
  mkdir(dir, 0700);
  data_path(f, path, sizeof path);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *fp = fopen(tmp, "wb");
  if (!fp) return;
  int ok = fwrite(f->data, 1, f->size, fp) == f->size;
  if (fclose(fp) == 0 && ok) rename(tmp, path);
  else unlink(tmp);
}

static mock_file *store(const char *name, const char *ctype, const unsigned char *data,
                        size_t size, json_t *metadata) {
  if (g_mock.nfiles == g_mock.capfiles) {
    int cap = g_mock.capfiles ? g_mock.capfiles * 2 : 16;
    mock_file **nf = realloc(g_mock.files, (size_t)cap * sizeof *nf);
    if (!nf) return NULL;
    g_mock.files = nf;
    g_mock.capfiles = cap;
  }
  mock_file *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  f->data = malloc(size ? size : 1);
  if (!f->data) {
    free(f);
    return NULL;
  }
  memcpy(f->data, data, size);
  f->size = size;
  mock_new_id(f->id);
  f->seq = g_mock.next_file_seq++;
  snprintf(f->name, sizeof f->name, "%s", name);
  snprintf(f->content_type, sizeof f->content_type, "%s", ctype);
  mock_sha256_hex(data, size, f->sha256);
  f->metadata = metadata ? json_incref(metadata) : json_object();
  f->created = mock_now();
  f->expires = f->created + mock_scaled(g_mock.file_ttl);
  g_mock.files[g_mock.nfiles++] = f;
  return f;
}

void mock_file_delete(mock_file *f) {
  f->deleted = 1;
  free(f->data);
  f->data = NULL;
  if (g_mock.state_file) {
    char path[4300];
    data_path(f, path, sizeof path);
    unlink(path);
  }
}

json_t *mock_file_json(const mock_file *f, const char *base) {
  char created[40], expires[40], url[512], etag[40];
  mock_iso8601(f->created, created, sizeof created);
  mock_iso8601(f->expires, expires, sizeof expires);
  snprintf(url, sizeof url, "%s/v1/files/%s", base, f->id);
  snprintf(etag, sizeof etag, "%.32s", f->sha256);
  return json_pack("{s:s, s:s, s:s, s:I, s:s, s:{s:s}, s:O, s:s, s:s, s:{s:s}}", "id", f->id,
                   "name", f->name, "content_type", f->content_type, "size", (json_int_t)f->size,
                   "etag", etag, "checksums", "sha256", f->sha256, "metadata", f->metadata,
                   "created_at", created, "expires_at", expires, "urls", "get", url);
}

/* ---- multipart/form-data (RFC 7578) -------------------------------------------------- */

static const char *memfind(const char *hay, size_t hn, const char *needle, size_t nn) {
  if (nn == 0 || hn < nn) return NULL;
  for (size_t i = 0; i + nn <= hn; i++)
    if (hay[i] == needle[0] && !memcmp(hay + i, needle, nn)) return hay + i;
  return NULL;
}

/* Copies the value of `key=` (quoted or not) from a header line into buf. */
static int header_param(const char *line, size_t n, const char *key, char *buf, size_t bn) {
  size_t kl = strlen(key);
  for (size_t i = 0; i + kl + 1 < n; i++) {
    if ((i == 0 || line[i - 1] == ' ' || line[i - 1] == ';') && !strncasecmp(line + i, key, kl) &&
        line[i + kl] == '=') {
      const char *v = line + i + kl + 1, *end = line + n;
      size_t o = 0;
      if (*v == '"') {
        v++;
        while (v < end && *v != '"' && o + 1 < bn) buf[o++] = *v++;
      } else {
        while (v < end && *v != ';' && *v != ' ' && *v != '\r' && o + 1 < bn) buf[o++] = *v++;
      }
      buf[o] = 0;
      return 0;
    }
  }
  return -1;
}

typedef struct {
  char name[64], filename[256], ctype[128];
  const char *data;
  size_t len;
} part_t;

/* Splits the body into parts (at most `max`); returns the count or -1 when malformed. */
static int parse_parts(const char *boundary, const char *body, size_t len, part_t *parts, int max) {
  char delim[300];
  int dl = snprintf(delim, sizeof delim, "--%s", boundary);
  const char *p = memfind(body, len, delim, (size_t)dl), *end = body + len;
  int n = 0;
  while (p && n < max) {
    p += dl;
    if (end - p >= 2 && p[0] == '-' && p[1] == '-') return n; /* closing delimiter */
    if (end - p < 2 || p[0] != '\r' || p[1] != '\n') return -1;
    p += 2;
    const char *hend = memfind(p, (size_t)(end - p), "\r\n\r\n", 4);
    if (!hend) return -1;
    part_t *pt = &parts[n];
    memset(pt, 0, sizeof *pt);
    for (const char *line = p; line < hend;) {
      const char *eol = memfind(line, (size_t)(hend - line), "\r\n", 2);
      size_t ln = eol ? (size_t)(eol - line) : (size_t)(hend - line);
      if (ln > 20 && !strncasecmp(line, "Content-Disposition:", 20)) {
        header_param(line, ln, "name", pt->name, sizeof pt->name);
        header_param(line, ln, "filename", pt->filename, sizeof pt->filename);
      } else if (ln > 13 && !strncasecmp(line, "Content-Type:", 13)) {
        const char *v = line + 13;
        while (*v == ' ') v++;
        snprintf(pt->ctype, sizeof pt->ctype, "%.*s", (int)(line + ln - v), v);
      }
      line = eol ? eol + 2 : hend;
    }
    pt->data = hend + 4;
    char next[304];
    int nl = snprintf(next, sizeof next, "\r\n%s", delim);
    const char *q = memfind(pt->data, (size_t)(end - pt->data), next, (size_t)nl);
    if (!q) return -1;
    pt->len = (size_t)(q - pt->data);
    if (!pt->name[0]) return -1;
    n++;
    p = q + 2;
  }
  return p ? n : -1;
}

mock_file *mock_file_create(const char *ctype, const char *body, size_t len, int *status,
                            char *err, size_t errlen) {
  char boundary[256] = "";
  if (!ctype || strncasecmp(ctype, "multipart/form-data", 19) ||
      header_param(ctype, strlen(ctype), "boundary", boundary, sizeof boundary) || !boundary[0]) {
    *status = 400;
    snprintf(err, errlen, "The request must be multipart/form-data with a boundary");
    return NULL;
  }
  part_t parts[16];
  int n = parse_parts(boundary, body ? body : "", len, parts, 16);
  if (n < 0) {
    *status = 400;
    snprintf(err, errlen, "The multipart body is malformed");
    return NULL;
  }
  const part_t *content = NULL;
  char name[256] = "", type[128] = "";
  json_t *metadata = NULL;
  for (int i = 0; i < n; i++) {
    const part_t *pt = &parts[i];
    if (!strcmp(pt->name, "content")) content = pt;
    else if (!strcmp(pt->name, "filename"))
      snprintf(name, sizeof name, "%.*s", (int)pt->len, pt->data);
    else if (!strcmp(pt->name, "type"))
      snprintf(type, sizeof type, "%.*s", (int)pt->len, pt->data);
    else if (!strcmp(pt->name, "metadata")) {
      json_decref(metadata);
      metadata = json_loadb(pt->data, pt->len, 0, NULL);
      if (!json_is_object(metadata)) {
        json_decref(metadata);
        *status = 422;
        snprintf(err, errlen, "metadata must be a JSON object");
        return NULL;
      }
    }
  }
  if (!content) {
    json_decref(metadata);
    *status = 422;
    snprintf(err, errlen, "content is required");
    return NULL;
  }
  if ((double)content->len > g_mock.max_file_size) {
    json_decref(metadata);
    *status = 413;
    snprintf(err, errlen, "The file is %zu bytes; files may be at most %.0f bytes", content->len,
             g_mock.max_file_size);
    return NULL;
  }
  if (!name[0]) snprintf(name, sizeof name, "%s", content->filename[0] ? content->filename : "file");
  if (!type[0])
    snprintf(type, sizeof type, "%s", content->ctype[0] ? content->ctype : "application/octet-stream");
  mock_file *f = store(name, type, (const unsigned char *)content->data, content->len, metadata);
  json_decref(metadata);
  if (!f) {
    *status = 500;
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  write_data(f);
  return f;
}

/* ---- persistence ------------------------------------------------------------------------ */

void mock_files_save(json_t *root) {
  json_t *arr = json_array();
  for (int i = 0; i < g_mock.nfiles; i++) {
    mock_file *f = g_mock.files[i];
    if (f->deleted) continue;
    json_array_append_new(arr, json_pack("{s:s, s:I, s:s, s:s, s:I, s:s, s:O, s:f, s:f}", "id",
                                         f->id, "seq", (json_int_t)f->seq, "name", f->name,
                                         "content_type", f->content_type, "size",
                                         (json_int_t)f->size, "sha256", f->sha256, "metadata",
                                         f->metadata, "created", f->created, "expires",
                                         f->expires));
  }
  json_object_set_new(root, "files", arr);
  json_object_set_new(root, "next_file_seq", json_integer(g_mock.next_file_seq));
}

void mock_files_load(json_t *root) {
  size_t i;
  json_t *o;
  json_array_foreach(json_object_get(root, "files"), i, o) {
    mock_file tmp;
    memset(&tmp, 0, sizeof tmp);
    snprintf(tmp.id, sizeof tmp.id, "%s", json_string_value(json_object_get(o, "id")));
    char path[4300];
    data_path(&tmp, path, sizeof path);
    FILE *fp = fopen(path, "rb");
    if (!fp) continue; /* its bytes are gone: so is the file */
    size_t size = (size_t)json_integer_value(json_object_get(o, "size"));
    unsigned char *data = malloc(size ? size : 1);
    size_t got = data ? fread(data, 1, size, fp) : 0;
    fclose(fp);
    if (data && got == size) {
      mock_file *f = store(json_string_value(json_object_get(o, "name")),
                           json_string_value(json_object_get(o, "content_type")), data, size,
                           json_object_get(o, "metadata"));
      if (f) {
        snprintf(f->id, sizeof f->id, "%s", tmp.id);
        f->seq = (long)json_integer_value(json_object_get(o, "seq"));
        f->created = json_number_value(json_object_get(o, "created"));
        f->expires = json_number_value(json_object_get(o, "expires"));
      }
    }
    free(data);
  }
  g_mock.next_file_seq = (long)json_integer_value(json_object_get(root, "next_file_seq"));
}

void mock_files_free(void) {
  for (int i = 0; i < g_mock.nfiles; i++) {
    free(g_mock.files[i]->data);
    json_decref(g_mock.files[i]->metadata);
    free(g_mock.files[i]);
  }
  free(g_mock.files);
  g_mock.files = NULL;
  g_mock.nfiles = g_mock.capfiles = 0;
}

/* ---- uri inputs of a create ----------------------------------------------------------- */

/* "http://127.0.0.1:PORT/v1/files/ID" (or localhost) → ID; NULL for other URLs. */
static const char *mock_file_url_id(const char *v, char *buf, size_t n) {
  const char *hosts[] = {"http://127.0.0.1:", "http://localhost:", NULL};
  for (int i = 0; hosts[i]; i++) {
    size_t hl = strlen(hosts[i]);
    if (strncmp(v, hosts[i], hl)) continue;
    const char *p = v + hl;
    while (isdigit((unsigned char)*p)) p++;
    if (strncmp(p, "/v1/files/", 10)) return NULL;
    p += 10;
    size_t l = strcspn(p, "/?#");
    if (!l || l >= n) return NULL;
    snprintf(buf, n, "%.*s", (int)l, p);
    return buf;
  }
  return NULL;
}

static void bad(json_t *fields, const char *type, const char *key, const char *desc) {
  char field[300];
  snprintf(field, sizeof field, "input.%s", key);
  json_array_append_new(fields, json_pack("{s:s, s:s, s:s}", "type", type, "field", field,
                                          "description", desc));
}

static json_t *classify(const char *key, json_t *v, json_t *fields) {
  const char *s = json_string_value(v);
  char id[64], desc[300];
  if (!s) return json_string("other");
  if (!strncmp(s, "data:", 5)) {
    if (!strchr(s, ',')) bad(fields, "format", key, "Does not match format 'uri'");
    return json_string("data_url");
  }
  if (mock_file_url_id(s, id, sizeof id)) {
    if (!mock_file_find(id)) {
      snprintf(desc, sizeof desc, "The file %s does not exist or has expired", id);
      bad(fields, "invalid_file", key, desc);
    }
    return json_string("file");
  }
  if (strncmp(s, "http://", 7) && strncmp(s, "https://", 8))
    bad(fields, "format", key, "Does not match format 'uri'");
  return json_string("url");
}

void mock_input_uris(const mock_model *m, json_t *input, json_t *kinds, json_t *fields) {
  json_t *props = json_object_get(json_object_get(json_object_get(json_object_get(
                                                                      m->schema, "components"),
                                                                  "schemas"),
                                                  "Input"),
                                  "properties");
  const char *key;
  json_t *prop;
  json_object_foreach(props, key, prop) {
    json_t *v = json_object_get(input, key);
    if (!v) continue;
    const char *fmt = json_string_value(json_object_get(prop, "format"));
    const char *ifmt = json_string_value(json_object_get(json_object_get(prop, "items"), "format"));
    if (fmt && !strcmp(fmt, "uri")) {
      json_object_set_new(kinds, key, classify(key, v, fields));
    } else if (ifmt && !strcmp(ifmt, "uri") && json_is_array(v)) {
      json_t *arr = json_array(), *x;
      size_t i;
      json_array_foreach(v, i, x) json_array_append_new(arr, classify(key, x, fields));
      json_object_set_new(kinds, key, arr);
    }
  }
}
