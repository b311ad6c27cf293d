/*
** vsc cache ls|verify|gc: look at, check and prune the object cache.
**   ls      every object: key, op, scene, provider/model, size, age
**   verify  re-hash every object; corrupt ones are reported and deleted (exit 5 if any)
**   gc      keep only what the given scripts' (or plan.json files') plans reference, with
**           any provider; delete everything else, and the kept last pictures of clips gone
*/
#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "vsc/vsc.h"
#include "vsc/vsc_compositor.h"
#include "vsc/vsc_facts.h"
#include "vsc/vsc_runtime.h"

static const char *info_str(const vsc_cache_entry *e, const char *k) {
  const char *v = json_string_value(json_object_get(e->info, k));
  return v && *v ? v : "-";
}

/* The object's scene, or a transition's two ("sunrise->pour", one word, as the column is). */
static const char *place_str(const vsc_cache_entry *e, char *buf, size_t len) {
  const json_t *between = json_object_get(e->info, "between");
  const char *from = json_string_value(json_array_get(between, 0)), *to = json_string_value(json_array_get(between, 1));
  if (!json_object_get(e->info, "scene") && from && to) {
    snprintf(buf, len, "%s->%s", from, to);
    return buf;
  }
  return info_str(e, "scene");
}

typedef struct {
  bool json;
  json_t *list;
  int count;
  unsigned long long bytes;
} ls_ctx;

static int ls_one(const vsc_cache_entry *e, void *ud) {
  ls_ctx *c = ud;
  c->count++;
  c->bytes += e->size;
  if (c->json) {
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:O}", "key", e->key, "path", e->path, "sha256",
                          e->sha256, "size", (json_int_t)e->size, "info", e->info);
    json_array_append_new(c->list, o);
    return 0;
  }
  const char *model = info_str(e, "model");
  char place[256];
  printf("%.12s  %-8s %-14s %-9s %-32s %10llu  %s%s\n", e->key, info_str(e, "op"), place_str(e, place, sizeof place),
         info_str(e, "provider"), model, (unsigned long long)e->size, info_str(e, "created"),
         json_object_get(e->info, "degraded") ? "  (placeholder)" : "");
  return 0;
}

typedef struct {
  vsc_cache *cache;
  int ok, bad;
  json_t *keep; /* gc: keys to keep, or NULL for verify */
  int removed;
  unsigned long long freed;
} walk_ctx;

static int verify_one(const vsc_cache_entry *e, void *ud) {
  walk_ctx *c = ud;
  vsc_cache_entry full;
  char why[512];
  int r = vsc_cache_lookup(c->cache, e->key, true, &full, why, sizeof why);
  if (r == VSC_CACHE_HIT) {
    c->ok++;
    vsc_cache_entry_clear(&full);
  } else {
    c->bad++;
    char place[256];
    printf("corrupt: %.12s (%s %s): %s — deleted, the next build regenerates it\n", e->key,
           info_str(e, "op"), place_str(e, place, sizeof place), r < 0 ? "unreadable" : why);
    if (r < 0) vsc_cache_remove(c->cache, e->key);
  }
  return 0;
}

static int gc_one(const vsc_cache_entry *e, void *ud) {
  walk_ctx *c = ud;
  if (json_object_get(c->keep, e->key)) {
    c->ok++;
    return 0;
  }
  c->removed++;
  c->freed += e->size;
  vsc_cache_remove(c->cache, e->key);
  return 0;
}

/* The IR of a script (compiled, full or --preview) or of a plan.json. */
static json_t *load_plan(const char *path, const char *cache_dir, bool preview) {
  size_t n = strlen(path);
  if (n > 5 && strcmp(path + n - 5, ".json") == 0) {
    json_error_t je;
    json_t *ir = json_load_file(path, 0, &je);
    if (!ir) fprintf(stderr, "%s:%d:%d: error: %s\n", path, je.line, je.column, je.text);
    return ir;
  }
  vsc_compile_options o = VSC_COMPILE_OPTIONS_INIT;
  o.cache_dir = cache_dir;
  o.preview = preview;
  json_t *ir = NULL;
  if (cli_compile(&ir, path, false, 20, &o) != VSC_EXIT_OK) {
    json_decref(ir);
    return NULL;
  }
  return ir;
}

int cmd_cache(int argc, char **argv) {
  if (argc < 2) return cli_usage("cache");
  const char *sub = argv[1], *cache = NULL;
  bool json = false;
  const char **scripts = calloc((size_t)argc, sizeof *scripts);
  int nscripts = 0;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--cache") == 0 && i + 1 < argc) cache = argv[++i];
    else if (strcmp(argv[i], "--json") == 0) json = true;
    else if (argv[i][0] == '-') {
      free(scripts);
      return cli_usage("cache");
    } else scripts[nscripts++] = argv[i];
  }
  char dir[PATH_MAX];
  if (cache) {
    snprintf(dir, sizeof dir, "%s", cache);
  } else if (nscripts) {
    const char *slash = strrchr(scripts[0], '/');
    if (slash) snprintf(dir, sizeof dir, "%.*s/.vsc", (int)(slash - scripts[0]), scripts[0]);
    else snprintf(dir, sizeof dir, ".vsc");
  } else {
    snprintf(dir, sizeof dir, ".vsc");
  }
  struct stat st;
  if (stat(dir, &st) != 0) {
    fprintf(stderr, "vsc: no cache at %s\n", dir);
    free(scripts);
    return strcmp(sub, "ls") == 0 ? VSC_EXIT_OK : VSC_EXIT_RUNTIME;
  }
  vsc_cache *c = NULL;
  char err[1024];
  if (vsc_cache_open(&c, dir, err, sizeof err) != 0) {
    fprintf(stderr, "vsc: %s\n", err);
    free(scripts);
    return VSC_EXIT_RUNTIME;
  }
  int rc = VSC_EXIT_OK;
  if (strcmp(sub, "ls") == 0) {
    ls_ctx lc = {json, json ? json_array() : NULL, 0, 0};
    vsc_cache_each(c, ls_one, &lc, err, sizeof err);
    if (json) {
      char *text = json_dumps(lc.list, JSON_INDENT(2) | JSON_SORT_KEYS);
      if (text) printf("%s\n", text);
      free(text);
      json_decref(lc.list);
    } else {
      printf("%d object(s), %.1f MB in %s\n", lc.count, lc.bytes / 1e6, dir);
    }
  } else if (strcmp(sub, "verify") == 0 || strcmp(sub, "gc") == 0) {
    /* Both delete objects: not while a build is writing them. */
    if (vsc_cache_lock(c, err, sizeof err) != 0) {
      fprintf(stderr, "vsc: %s\n", err);
      rc = VSC_EXIT_RUNTIME;
    } else if (strcmp(sub, "verify") == 0) {
      walk_ctx wc = {c, 0, 0, NULL, 0, 0};
      vsc_cache_each(c, verify_one, &wc, err, sizeof err);
      printf("%d object(s) verified, %d corrupt\n", wc.ok + wc.bad, wc.bad);
      rc = wc.bad ? VSC_EXIT_RUNTIME : VSC_EXIT_OK;
    } else if (nscripts == 0) {
      fprintf(stderr, "vsc: cache gc needs the scripts (or plan.json files) whose objects to keep\n");
      rc = cli_usage("cache");
    } else {
      json_t *keep = json_object();
      static const char *const providers[] = {"local", "replicate", "test"};
      /* Keep a script's objects under every provider, for full and --preview builds. */
      for (int s = 0; s < nscripts && rc == VSC_EXIT_OK; s++) {
        size_t n = strlen(scripts[s]);
        bool is_plan = n > 5 && strcmp(scripts[s] + n - 5, ".json") == 0;
        for (int pv = 0; pv < (is_plan ? 1 : 2) && rc == VSC_EXIT_OK; pv++) {
          json_t *ir = load_plan(scripts[s], dir, pv == 1);
          if (!ir) {
            fprintf(stderr, "vsc: %s: cannot compute its plan; nothing deleted\n", scripts[s]);
            rc = VSC_EXIT_CHECK;
            break;
          }
          for (size_t p = 0; p < sizeof providers / sizeof providers[0]; p++) {
            json_t *keys = vsc_plan_keys(ir, providers[p]);
            size_t k;
            json_t *v;
            json_array_foreach(keys, k, v) json_object_set_new(keep, json_string_value(v), json_true());
            json_decref(keys);
          }
          json_decref(ir);
        }
      }
      if (rc == VSC_EXIT_OK) {
        walk_ctx wc = {c, 0, 0, keep, 0, 0};
        vsc_cache_each(c, gc_one, &wc, err, sizeof err);
        printf("removed %d object(s), %.1f MB; kept %d\n", wc.removed, wc.freed / 1e6, wc.ok);
        /* The compositor's kept last pictures go with their clips (runtime.md, *Cache*). */
        char frames[PATH_MAX + 16];
        int nf = 0;
        unsigned long long ff = 0;
        snprintf(frames, sizeof frames, "%s/frames", dir);
        if (vsc_comp_prune_frames(frames, &nf, &ff) != 0) fprintf(stderr, "vsc: %s: cannot read it; left as it is\n", frames);
        else if (nf) printf("removed %d last picture(s) of clips gone or changed, %.1f MB\n", nf, ff / 1e6);
        /* So do the compiler's remembered hashes and probes (vsc_facts.h). */
        if (vsc_facts_prune(dir, &nf) != 0) fprintf(stderr, "vsc: %s/files: cannot read it; left as it is\n", dir);
        else if (nf) printf("removed the remembered facts of %d file(s) gone or changed\n", nf);
      }
      json_decref(keep);
    }
  } else {
    rc = cli_usage("cache");
  }
  vsc_cache_close(c);
  free(scripts);
  return rc;
}
