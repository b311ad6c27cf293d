/*
** media.c (studio) — videos, images, audio and sidecars for the page: project files by
** path (media kinds only) and cache objects by key (scene previews), with single byte
** ranges so the player can seek. Both are confined: a path to the project, an object to
** its script's cache (symlinks resolved).
*/
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "studio.h"
#include "vsc/vsc_runtime.h"

static const char *media_type(const char *path) {
  static const struct { const char *ext, *type; } types[] = {
      {".mp4", "video/mp4"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".wav", "audio/wav"},
      {".mp3", "audio/mpeg"},
      {".flac", "audio/flac"},
      {".ogg", "audio/ogg"},
      {".m4a", "audio/mp4"},
      {".json", "application/json"},
      {".srt", "text/plain; charset=utf-8"},
      {".vtt", "text/vtt; charset=utf-8"},
      {".webp", "image/webp"},
  };
  const char *dot = strrchr(path, '.');
  for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
    if (strcasecmp(dot, types[i].ext) == 0) return types[i].type;
  return NULL;
}

enum MHD_Result studio_send_file(const studio *st, struct MHD_Connection *c, int fd,
                                 const char *ctype) {
  struct stat sb;
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    close(fd);
    return studio_reply_error(st, c, 404, "not a file");
  }
  uint64_t size = (uint64_t)sb.st_size, from = 0, to = size ? size - 1 : 0;
  unsigned status = 200;
  const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range");
  if (range && size) {
    uint64_t a = 0, b = 0;
    int n = 0;
    if (sscanf(range, "bytes=%" SCNu64 "-%n", &a, &n) == 1 && n > 0) {
      if (range[n] && sscanf(range + n, "%" SCNu64, &b) == 1 && b < to) to = b;
      if (a > to) {
        close(fd);
        struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        char cr[64];
        snprintf(cr, sizeof cr, "bytes */%" PRIu64, size);
        MHD_add_response_header(r, "Content-Range", cr);
        studio_secure_headers(r);
        enum MHD_Result rc = MHD_queue_response(c, 416, r);
        MHD_destroy_response(r);
        return rc;
      }
      from = a;
      status = 206;
    } else if (sscanf(range, "bytes=-%" SCNu64, &b) == 1 && b > 0) {
      from = b >= size ? 0 : size - b;
      status = 206;
    }
  }
  uint64_t len = size ? to - from + 1 : 0;
  struct MHD_Response *r = MHD_create_response_from_fd_at_offset64(len, fd, from);
  if (!r) {
    close(fd);
    return MHD_NO;
  }
  MHD_add_response_header(r, "Content-Type", ctype);
  MHD_add_response_header(r, "Accept-Ranges", "bytes");
  MHD_add_response_header(r, "Cache-Control", "no-store");
  if (status == 206) {
    char cr[96];
    snprintf(cr, sizeof cr, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, from, to, size);
    MHD_add_response_header(r, "Content-Range", cr);
  }
  studio_secure_headers(r);
  enum MHD_Result rc = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return rc;
}

enum MHD_Result studio_api_media(studio *st, struct MHD_Connection *c, const char *url,
                                 const studio_req *req) {
  (void)url, (void)req;
  char abs[PATH_MAX], why[512];
  if (studio_path_resolve(st, studio_arg(c, "path"), true, abs, sizeof abs, why, sizeof why) != 0)
    return studio_reply_error(st, c, strstr(why, "No such") ? 404 : 403, "%s", why);
  const char *type = media_type(abs);
  if (!type) return studio_reply_error(st, c, 403, "only media and sidecar files are served");
  int fd = open(abs, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return studio_reply_error(st, c, 404, "%s", strerror(errno));
  if (strcmp(type, "application/json") == 0 || strncmp(type, "text/", 5) == 0) {
    /* Text goes through the scrubbing reply path, like every other text. */
    close(fd);
    size_t len;
    char *text = studio_read_text(abs, 16u << 20, &len, NULL, why, sizeof why);
    if (!text) return studio_reply_error(st, c, 400, "%s", why);
    return studio_reply(st, c, 200, type, text, len);
  }
  return studio_send_file(st, c, fd, type);
}

unsigned studio_object_path(const studio *st, const char *script, const char *key,
                            char obj[PATH_MAX], char cache_out[PATH_MAX], char *why,
                            size_t whylen) {
  if (strlen(key) != 64 || strspn(key, "0123456789abcdef") != 64)
    return snprintf(why, whylen, "an object key is 64 hex digits"), 400;
  char abs[PATH_MAX], cache[PATH_MAX];
  if (studio_path_resolve(st, script, true, abs, sizeof abs, why, whylen) != 0) return 403;
  studio_cache_dir_of(abs, cache, sizeof cache);
  if (!realpath(cache, cache_out)) return snprintf(why, whylen, "no cache yet"), 404;
  vsc_cache *vc = NULL;
  if (vsc_cache_open(&vc, cache_out, why, whylen) != 0) return 500;
  vsc_cache_entry e = {0};
  int found = vsc_cache_peek(vc, key, &e);
  vsc_cache_close(vc);
  if (found != 1) {
    vsc_cache_entry_clear(&e);
    return snprintf(why, whylen, "no such object"), 404;
  }
  bool inside = realpath(e.path, obj) && studio_path_within(cache_out, obj);
  vsc_cache_entry_clear(&e);
  if (!inside) return snprintf(why, whylen, "the object leads outside the cache"), 403;
  const char *type = media_type(obj);
  if (!type || strncmp(type, "text/", 5) == 0 || strcmp(type, "application/json") == 0)
    return snprintf(why, whylen, "not a media object"), 415;
  return 0;
}

enum MHD_Result studio_api_object(studio *st, struct MHD_Connection *c, const char *url,
                                  const studio_req *req) {
  (void)req;
  char obj[PATH_MAX], cache[PATH_MAX], why[512];
  unsigned status = studio_object_path(st, studio_arg(c, "path"), url + strlen("/api/object/"),
                                       obj, cache, why, sizeof why);
  if (status) return studio_reply_error(st, c, status, "%s", why);
  int fd = open(obj, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return studio_reply_error(st, c, 404, "%s", strerror(errno));
  return studio_send_file(st, c, fd, media_type(obj));
}
