/*
** schema.c — the blocking model-schema fetch behind `vsc models pull` (runtime stage:
** providers): GET /v1/models/{owner}/{name} and its latest version's openapi_schema.
*/
#include <stdlib.h>
#include <string.h>

#include "rp.h"

static size_t grow(char *d, size_t sz, size_t nm, void *u) {
  char **b = u;
  size_t old = *b ? strlen(*b) : 0, n = sz * nm;
  if (old + n > (16u << 20)) return 0;
  char *nb = realloc(*b, old + n + 1);
  if (!nb) return 0;
  memcpy(nb + old, d, n);
  nb[old + n] = 0;
  *b = nb;
  return n;
}

int vsc_replicate_model_schema(json_t **schema, char version[65], const char *model,
                               vsc_op_error *err) {
  char token[512], api[512], url[1200];
  *schema = NULL;
  version[0] = 0;
  if (vsc_replicate_read_env(token, sizeof token, api, sizeof api, err) < 0) return -1;
  snprintf(url, sizeof url, "%s/models/%s", api, model);
  CURL *e = curl_easy_init();
  if (!e) return vsc_op_fail(err, VSC_FAIL_LOCAL, "cannot start libcurl");
  char *body = NULL;
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
  curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, token);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, grow);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(e, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(e);
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(e);
  memset(token, 0, sizeof token);
  int ret = -1;
  json_t *j = body ? json_loads(body, 0, NULL) : NULL;
  if (rc != CURLE_OK) vsc_op_fail(err, VSC_FAIL_TRANSIENT, "replicate: %s", curl_easy_strerror(rc));
  else if (status != 200) vsc_op_fail(err, vsc_replicate_http_kind(status), "replicate: HTTP %ld for model %s", status, model);
  else {
    json_t *lv = json_object_get(j, "latest_version");
    json_t *s = json_object_get(lv, "openapi_schema");
    if (!json_is_object(s)) vsc_op_fail(err, VSC_FAIL_INPUT, "replicate: %s has no published schema", model);
    else {
      *schema = json_incref(s);
      snprintf(version, 65, "%s", json_string_value(json_object_get(lv, "id")) ? json_string_value(json_object_get(lv, "id")) : "");
      ret = 0;
    }
  }
  json_decref(j);
  free(body);
  return ret;
}
