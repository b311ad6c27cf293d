/*
** vsc build --sheet (docs/cli.md): the contact sheet beside the video, OUT.sheet.png. One
** frame per scene (the middle of what the video shows of it), labelled with the scene's
** name, its times on the timeline, what made it (the model, the local animatic, a colour
** card or a file) and its cost; the header names the video, its size, length and total.
** The frames come from the video just placed, so the sheet needs no render of its own.
*/
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd_run.h"
#include "review.h"
#include "vsc/vsc_ops.h"
#include "vsc/vsc_runtime.h"
#include "vsc/vsc_sheet.h"

static double num(const json_t *o, const char *k) { return json_number_value(json_object_get(o, k)); }

/* What drew scene `name` when it has no model: a colour card or a file. */
static const char *source_kind(const json_t *ir, const char *name) {
  size_t i;
  json_t *n;
  json_array_foreach(json_object_get(ir, "nodes"), i, n) {
    const char *sc = json_string_value(json_object_get(n, "scene"));
    if (!sc || strcmp(sc, name) || strcmp(json_string_value(json_object_get(n, "op")), "segment")) continue;
    const char *type = json_string_value(json_object_get(json_object_get(json_object_get(json_object_get(n, "params"), "a"), "source"), "type"));
    return type && !strcmp(type, "color") ? "card" : "file";
  }
  return "card";
}

/* What the journal says each node's calls cost (all its attempts, known costs only), by node
 * id: a new object, empty when there is no journal. */
static json_t *paid_by_node(const char *cache_dir) {
  char path[PATH_MAX + 32], err[512];
  json_t *records = NULL, *out = json_object();
  snprintf(path, sizeof path, "%s/journal.jsonl", cache_dir);
  if (access(path, F_OK) != 0 || vsc_journal_read(&records, path, err, sizeof err) != 0) return out;
  json_t *ledger = vsc_ledger_build(records);
  size_t i, k;
  json_t *b, *c;
  json_array_foreach(json_object_get(ledger, "builds"), i, b)
    json_array_foreach(json_object_get(b, "calls"), k, c) {
      const char *node = json_string_value(json_object_get(c, "node"));
      if (!node || !json_is_true(json_object_get(c, "cost_known"))) continue;
      json_object_set_new(out, node, json_real(num(out, node) + num(c, "cost")));
    }
  json_decref(ledger);
  json_decref(records);
  return out;
}

/* The cost of scene `name`'s generations: what the journal says they cost when it knows
 * (*known), else the plan's estimate. */
static double scene_cost(const json_t *ir, const json_t *paid, const char *name, bool *known) {
  double sum = 0, est = 0;
  size_t i;
  json_t *n;
  *known = false;
  json_array_foreach(json_object_get(ir, "nodes"), i, n) {
    const char *sc = json_string_value(json_object_get(n, "scene")), *id = json_string_value(json_object_get(n, "id"));
    if (!sc || !id || strcmp(sc, name) || !vsc_ops_is_provider(json_string_value(json_object_get(n, "op")))) continue;
    est += num(json_object_get(n, "cost"), "estimate");
    if (json_object_get(paid, id)) {
      *known = true;
      sum += num(paid, id);
    }
  }
  return *known ? sum : est;
}

/* Where the middle of what the video shows of [s, e) is, in the video's own time (a part
 * plays its ranges one after another). -1 when the video does not show it. */
static double frame_time(const json_t *part, double s, double e, int fps) {
  double at = 0;
  size_t i;
  json_t *r;
  json_array_foreach(part, i, r) {
    double a = json_number_value(json_array_get(r, 0)), b = json_number_value(json_array_get(r, 1));
    double lo = s > a ? s : a, hi = e < b ? e : b;
    if (hi > lo) {
      long long f0 = llround((at + lo - a) * fps), f1 = llround((at + hi - a) * fps);
      return (double)((f0 + f1) / 2) / fps;
    }
    at += b - a;
  }
  return -1;
}

int cli_sheet_check(const cli_output *dest) {
  if (dest->kind == CLI_OUT_FILE) return VSC_EXIT_OK;
  fprintf(stderr, "vsc: --sheet: the video goes to a stream (%s), so there is no place beside it for a sheet\n", dest->shown);
  return VSC_EXIT_USAGE;
}

int cli_build_sheet(const json_t *ir, cli_output *dest, const char *cache_dir, const char *provider, bool quiet) {
  if (cli_sheet_check(dest) != VSC_EXIT_OK) return VSC_EXIT_USAGE;
  const json_t *video = json_object_get(ir, "video"), *scenes = json_object_get(ir, "scenes");
  int fps = (int)json_integer_value(json_object_get(video, "fps"));
  double length = num(video, "length");
  json_t *part = json_object_get(video, "part");
  json_t *whole = json_is_array(part) ? NULL : json_pack("[[f,f]]", 0.0, length);
  if (!part || !json_is_array(part)) part = whole;
  const char *remote = cli_remote_name(ir, provider);
  bool local = strcmp(remote, "local") == 0;
  size_t n = json_array_size(scenes), k = 0;
  vsc_sheet_cell *cells = calloc(n ? n : 1, sizeof *cells);
  char(*text)[2][160] = calloc(n ? n : 1, sizeof *text);
  int rc = VSC_EXIT_OK;
  json_t *paid = local ? json_object() : paid_by_node(cache_dir);
  double paid_total = 0; /* what the journal says the scenes shown cost */
  bool any_paid = false;
  if (!cells || !text) {
    fprintf(stderr, "vsc: --sheet: out of memory\n");
    rc = VSC_EXIT_INTERNAL;
    goto done;
  }
  size_t i;
  json_t *sc;
  json_array_foreach(scenes, i, sc) {
    const char *name = json_string_value(json_object_get(sc, "name"));
    double s = num(sc, "start"), e = s + num(sc, "duration");
    bool known = local;
    double cost = local ? 0 : scene_cost(ir, paid, name ? name : "", &known);
    if (!local && known) paid_total += cost, any_paid = true;
    double t = frame_time(part, s, e, fps > 0 ? fps : 30);
    if (!name || t < 0) continue;
    const json_t *model = json_object_get(sc, "model");
    const char *made = !json_is_string(model) ? source_kind(ir, name) : local ? "local animatic"
                                                                              : json_string_value(model);
    snprintf(text[k][0], sizeof text[k][0], "%.2fs – %.2fs  (%.2fs)", s, e, e - s);
    snprintf(text[k][1], sizeof text[k][1], "%.100s · %s$%.2f", made, known ? "" : "est. ", cost);
    cells[k] = (vsc_sheet_cell){t, {name, text[k][0], text[k][1]}};
    k++;
  }
  if (k == 0) {
    fprintf(stderr, "vsc: --sheet: the video shows no scene\n");
    rc = VSC_EXIT_RUNTIME;
    goto done;
  }
  char info[512], staged[PATH_MAX + 80], err[1024];
  int w = (int)json_integer_value(json_object_get(video, "width")), h = (int)json_integer_value(json_object_get(video, "height"));
  /* Offline, what the same plan would cost with a paid provider is worth knowing too. */
  double est = num(ir, "estimated_cost");
  int len = snprintf(info, sizeof info, "%dx%d · %d fps · %.2fs · %zu scene%s · ", w, h, fps, length, k, k == 1 ? "" : "s");
  if (len > 0 && (size_t)len < sizeof info)
    len += !local  ? snprintf(info + len, sizeof info - (size_t)len, any_paid ? "estimated $%.2f · paid $%.2f" : "estimated $%.2f", est,
                              paid_total)
         : est > 0 ? snprintf(info + len, sizeof info - (size_t)len, "local provider: $0.00 (estimated $%.2f paid)", est)
                   : snprintf(info + len, sizeof info - (size_t)len, "local provider: $0.00");
  if (whole == NULL && len > 0 && (size_t)len < sizeof info) {
    json_t *r;
    json_array_foreach(part, i, r) {
      if ((size_t)len + 64 >= sizeof info) break; /* a header line, not a list of 64 ranges */
      len += snprintf(info + len, sizeof info - (size_t)len, "%s%.2fs–%.2fs", i ? ", " : " · part ",
                      json_number_value(json_array_get(r, 0)), json_number_value(json_array_get(r, 1)));
    }
  }
  cli_output_stage(dest, cache_dir, staged, PATH_MAX);
  strcat(staged, ".sheet.png");
  vsc_sheet_spec spec = {dest->path, w, h, fps, json_string_value(json_object_get(video, "title")), info, cells, k};
  vsc_op_error oerr = {0};
  if (vsc_comp_sheet(&spec, staged, &oerr) < 0) {
    fprintf(stderr, "vsc: --sheet: %s\n", oerr.msg);
    rc = VSC_EXIT_RUNTIME;
  } else if (cli_output_sidecar(dest, staged, "sheet.png", err, sizeof err) != 0) {
    fprintf(stderr, "vsc: --sheet: %s\n", err);
    rc = VSC_EXIT_RUNTIME;
  } else if (!quiet) {
    char shown[PATH_MAX + 16];
    const char *dot = strrchr(dest->shown, '.'), *slash = strrchr(dest->shown, '/');
    int stem = dot && (!slash || dot > slash) ? (int)(dot - dest->shown) : (int)strlen(dest->shown);
    snprintf(shown, sizeof shown, "%.*s.sheet.png", stem, dest->shown);
    fprintf(stderr, "wrote %s (%zu scene%s)\n", shown, k, k == 1 ? "" : "s");
  }
  unlink(staged);
done:
  json_decref(whole);
  json_decref(paid);
  free(cells);
  free(text);
  return rc;
}
