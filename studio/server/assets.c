/*
** assets.c (studio) — the front end, embedded at build time (studio/embed.c writes the
** table from the Vite bundle), served with its content type and the security headers.
** Hashed bundle files are immutable; index.html is never cached.
*/
#include <stdlib.h>
#include <string.h>

#include "studio.h"

typedef struct {
  const char *path; /* "/index.html", "/assets/index-1a2b.js" */
  const unsigned char *data;
  size_t len;
} studio_asset_file;

extern const studio_asset_file vsc_studio_assets[]; /* ends with {NULL, NULL, 0} */

static const char *content_type(const char *path) {
  static const struct { const char *ext, *type; } types[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".json", "application/json"},
  };
  const char *dot = strrchr(path, '.');
  for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
    if (strcmp(dot, types[i].ext) == 0) return types[i].type;
  return "application/octet-stream";
}

bool studio_asset(const studio *st, struct MHD_Connection *c, const char *url,
                  enum MHD_Result *rc) {
  (void)st;
  const char *want = strcmp(url, "/") == 0 ? "/index.html" : url;
  for (const studio_asset_file *a = vsc_studio_assets; a->path; a++) {
    if (strcmp(a->path, want) != 0) continue;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    if (!r) return *rc = MHD_NO, true;
    MHD_add_response_header(r, "Content-Type", content_type(a->path));
    bool hashed = strncmp(a->path, "/assets/", 8) == 0;
    MHD_add_response_header(r, "Cache-Control", hashed ? "private, max-age=31536000, immutable" : "no-store");
    studio_secure_headers(r);
    *rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return true;
  }
  return false;
}
