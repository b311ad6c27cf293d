/*
** Plan keys (runtime stage "sched"): the cache key of every node. A node's IR id already
** hashes everything it depends on, except who generated its upstream media; so a
** generate/tts node's key adds the provider's name, and every node downstream of one
** hashes its inputs' keys in turn (a Merkle DAG over keys, like the ids).
*/
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"
#include "vsc/vsc_ops.h"

const char *vsc_node_provider(const json_t *node, const char *remote) {
  if (!vsc_ops_is_provider(json_string_value(json_object_get(node, "op")))) return "";
  const char *model = json_string_value(json_object_get(node, "model"));
  if (model && strncmp(model, "local/", 6) == 0) return "local";
  return remote && *remote ? remote : "local";
}

const char *vsc_provider_resolve(const char *name) {
  if (name && *name && strcmp(name, "auto") != 0) return name;
  const char *tok = getenv("REPLICATE_API_TOKEN");
  return tok && *tok ? "replicate" : "local";
}

void vsc_sched_derive_key(const char *id, const char *tag, const char *const *input_keys,
                          size_t n, char out[65]) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
  EVP_DigestUpdate(ctx, "vsc-key-1\n", 10);
  EVP_DigestUpdate(ctx, id, strlen(id));
  EVP_DigestUpdate(ctx, "\n", 1);
  EVP_DigestUpdate(ctx, tag, strlen(tag));
  for (size_t i = 0; i < n; i++) {
    EVP_DigestUpdate(ctx, "\n", 1);
    EVP_DigestUpdate(ctx, input_keys[i], strlen(input_keys[i]));
  }
  unsigned char md[32];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  for (int i = 0; i < 32; i++) {
    static const char hex[] = "0123456789abcdef";
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 15];
  }
  out[64] = 0;
}

json_t *vsc_plan_keys(const json_t *ir, const char *remote) {
  json_t *nodes = json_object_get(ir, "nodes");
  json_t *keys = json_array();
  json_t *byid = json_object(); /* id -> index */
  size_t i;
  json_t *node;
  json_array_foreach(nodes, i, node) {
    const char *id = json_string_value(json_object_get(node, "id"));
    if (!id) id = "";
    const char *tag = vsc_node_provider(node, remote);
    json_t *inputs = json_object_get(node, "inputs");
    size_t n = json_array_size(inputs);
    const char **ik = calloc(n ? n : 1, sizeof *ik);
    bool derived = *tag != 0;
    for (size_t k = 0; k < n; k++) {
      const char *in = json_string_value(json_array_get(inputs, k));
      json_t *pos = in ? json_object_get(byid, in) : NULL;
      const char *key = pos ? json_string_value(json_array_get(keys, (size_t)json_integer_value(pos)))
                            : (in ? in : "");
      ik[k] = key;
      if (!in || strcmp(key, in) != 0) derived = true;
    }
    char out[65];
    if (derived)
      vsc_sched_derive_key(id, tag, ik, n, out);
    else
      snprintf(out, sizeof out, "%s", id);
    free(ik);
    json_array_append_new(keys, json_string(out));
    json_object_set_new(byid, id, json_integer((json_int_t)i));
  }
  json_decref(byid);
  return keys;
}

const char *vsc_pred_state_name(vsc_pred_state s) {
  switch (s) {
  case VSC_PRED_STARTING: return "starting";
  case VSC_PRED_RUNNING: return "running";
  case VSC_PRED_DOWNLOADING: return "downloading";
  case VSC_PRED_SUCCEEDED: return "succeeded";
  case VSC_PRED_FAILED: return "failed";
  case VSC_PRED_CANCELED: return "canceled";
  }
  return "?";
}

static const char *const fail_names[] = {"none", "transient", "policy", "input",
                                         "auth", "local", "canceled", "rate-limited",
                                         "disk", "unresolved", "not-created"};

const char *vsc_fail_kind_name(vsc_fail_kind k) {
  return (unsigned)k < sizeof fail_names / sizeof fail_names[0] ? fail_names[k] : "local";
}

vsc_fail_kind vsc_fail_kind_parse(const char *name) {
  for (size_t i = 0; name && i < sizeof fail_names / sizeof fail_names[0]; i++)
    if (strcmp(name, fail_names[i]) == 0) return (vsc_fail_kind)i;
  return VSC_FAIL_LOCAL;
}
