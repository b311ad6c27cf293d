/* SHA-256 (OpenSSL's EVP) as lowercase hex: of bytes, of a file's contents streamed, and of
 * a file's copy as it is made. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/fs.h> /* FICLONE */
#endif

#include "vsc/vsc_err.h"
#include "vsc/vsc_sha256.h"

static void to_hex(const unsigned char *md, char out[65]) {
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < 32; i++) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 15];
  }
  out[64] = 0;
}

void vsc_sha256_hex(const void *data, size_t len, char out[65]) {
  unsigned char md[32];
  unsigned int mdlen = 0;
  EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
  to_hex(md, out);
}

/* Writes all of buf to fd. */
static int write_all(int fd, const unsigned char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    buf += w, n -= (size_t)w;
  }
  return 0;
}

/* Hashes what can be read from `in` (named src), writing it to `to` as well unless it is
 * -1. Closes neither. Returns 0, -1 (reading failed) or -2 (writing failed), err set. */
static int stream(int in, const char *src, int to, const char *dst, char out[65], uint64_t *size, char *err,
                  size_t errlen) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  enum { CHUNK = 1 << 16 };
  unsigned char *buf = malloc(CHUNK);
  uint64_t total = 0;
  int rc = 0;
  if (!ctx || !buf || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
    rc = -1, vsc_err_set(err, errlen, "%s", buf ? "sha256 unavailable" : "out of memory");
  while (rc == 0) {
    ssize_t r = read(in, buf, CHUNK);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) rc = -1, vsc_err_set(err, errlen, "%s: read: %s", src, strerror(errno));
    if (r <= 0) break;
    EVP_DigestUpdate(ctx, buf, (size_t)r);
    if (to >= 0 && write_all(to, buf, (size_t)r) != 0)
      rc = -2, vsc_err_set(err, errlen, "%s: write: %s", dst, strerror(errno));
    total += (uint64_t)r;
  }
  free(buf);
  if (rc == 0) {
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    to_hex(md, out);
    if (size) *size = total;
  }
  EVP_MD_CTX_free(ctx);
  return rc;
}

int vsc_sha256_file(const char *path, char out[65], uint64_t *size, char *err, size_t errlen) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return vsc_err_set(err, errlen, "%s: %s", path, strerror(errno));
  int rc = stream(fd, path, -1, NULL, out, size, err, errlen);
  close(fd);
  return rc == 0 ? 0 : -1;
}

int vsc_sha256_copy(const char *src, const char *dst, char out[65], uint64_t *size, char *err, size_t errlen) {
  int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    vsc_err_set(err, errlen, "%s: %s", src, strerror(errno));
    return -1;
  }
  int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    vsc_err_set(err, errlen, "%s: %s", dst, strerror(errno));
    close(in);
    return -2;
  }
  int rc;
#ifdef FICLONE
  if (ioctl(fd, FICLONE, in) == 0) { /* a snapshot sharing src's blocks: hash the snapshot */
    close(in);
    if ((in = open(dst, O_RDONLY | O_CLOEXEC)) < 0) {
      vsc_err_set(err, errlen, "%s: %s", dst, strerror(errno));
      close(fd);
      return -2;
    }
    rc = stream(in, dst, -1, NULL, out, size, err, errlen) == 0 ? 0 : -2;
  } else
#endif
    rc = stream(in, src, fd, dst, out, size, err, errlen);
  close(in);
  if (close(fd) != 0 && rc == 0) rc = -2, vsc_err_set(err, errlen, "%s: %s", dst, strerror(errno));
  return rc;
}

bool vsc_sha256_is_hex(const char *s) {
  if (!s || strlen(s) != 64) return false;
  for (int i = 0; i < 64; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
  return true;
}
