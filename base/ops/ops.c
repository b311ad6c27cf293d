/*
** The op table's lookups (base layer): the rows of vsc_ops.def as an array, found by name.
*/
#include <jansson.h>
#include <string.h>

#include "vsc/vsc_ops.h"

static const vsc_op_info rows[] = {
#define VSC_OP(name, kind, output, ext, executor, params) \
  {VSC_OPID_##name, #name, VSC_OPKIND_##kind, #output, ext, params},
#include "vsc/vsc_ops.def"
#undef VSC_OP
};

const vsc_op_info *vsc_ops_find(const char *name) {
  for (size_t i = 0; name && i < sizeof rows / sizeof rows[0]; i++)
    if (strcmp(rows[i].name, name) == 0) return &rows[i];
  return NULL;
}

const vsc_op_info *vsc_ops_get(vsc_op_id id) { return (unsigned)id < VSC_OPID_COUNT ? &rows[id] : NULL; }

bool vsc_ops_is_provider(const char *name) {
  const vsc_op_info *op = vsc_ops_find(name);
  return op && op->kind == VSC_OPKIND_PROVIDER;
}

bool vsc_ops_is(const char *name, vsc_op_id id) {
  const vsc_op_info *op = vsc_ops_find(name);
  return op && op->id == id;
}

/* An asset's extension from its file name: 1 to 8 letters or digits, lower-cased. */
static const char *file_ext(const char *path, char buf[12]) {
  const char *dot = path ? strrchr(path, '.') : NULL;
  if (!dot || strchr(dot, '/')) return "bin";
  size_t len = strlen(dot + 1);
  if (len < 1 || len > 8) return "bin";
  for (size_t k = 0; k < len; k++) {
    char c = dot[1 + k];
    if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return "bin";
    buf[k] = c;
  }
  buf[len] = 0;
  return buf;
}

const char *vsc_ops_ext(const json_t *node, char buf[12]) {
  const json_t *params = json_object_get(node, "params");
  const vsc_op_info *op = vsc_ops_find(json_string_value(json_object_get(node, "op")));
  if (!op) return json_is_string(json_object_get(node, "op")) ? "mp4" : "bin";
  if (op->ext) return op->ext;
  if (op->id == VSC_OPID_asset) return file_ext(json_string_value(json_object_get(params, "path")), buf);
  /* A trim is of a picture (mp4) or of a sound track (m4a). */
  if (op->id == VSC_OPID_trim) {
    const char *media = json_string_value(json_object_get(params, "media"));
    return media && strcmp(media, "audio") == 0 ? "m4a" : "mp4";
  }
  /* A generation: its kind says what comes back. */
  const char *kind = json_string_value(json_object_get(params, "kind"));
  if (kind && strcmp(kind, "image") == 0) return "png";
  if (kind && strcmp(kind, "music") == 0) return "wav";
  return "mp4";
}
