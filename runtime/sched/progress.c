/*
** Progress output (runtime stage "sched"): a live status line on a terminal, plain lines
** otherwise, or NDJSON events for front-ends. Events are JSON objects either way, so the
** three modes say the same things.
*/
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "progress.h"
#include "vsc/vsc_ops.h"

struct vsc_progress {
  vsc_progress_mode mode;
  FILE *out;
  bool line_shown;  /* a status line is on screen (TTY) */
  double last_draw; /* throttles redraws */
  double t0;
};

vsc_progress *vsc_progress_new(vsc_progress_mode mode, FILE *out) {
  vsc_progress *pg = calloc(1, sizeof *pg);
  if (!pg) return NULL;
  pg->out = out ? out : stderr;
  if (mode == VSC_PROGRESS_AUTO) mode = isatty(fileno(pg->out)) ? VSC_PROGRESS_TTY : VSC_PROGRESS_PLAIN;
  pg->mode = mode;
  pg->t0 = vsc_sched_now();
  return pg;
}

vsc_progress_mode vsc_progress_get_mode(const vsc_progress *pg) { return pg->mode; }

static void clear_line(vsc_progress *pg) {
  if (pg->line_shown) {
    fputs("\r\033[K", pg->out);
    pg->line_shown = false;
  }
}

static const char *s(const json_t *ev, const char *k) {
  const char *v = json_string_value(json_object_get(ev, k));
  return v ? v : "";
}

void vsc_progress_place(char *buf, size_t len, const char *scene, const char *from, const char *to) {
  if (scene && *scene) snprintf(buf, len, " scene %s", scene);
  else if (from && to) snprintf(buf, len, " transition %s -> %s", from, to);
  else if (len) buf[0] = 0;
}

/* "segment  9f2c1a2b3c scene sunrise", "segment  dd5ca72785 transition sunrise -> pour" */
static void describe(const json_t *ev, char *buf, size_t len) {
  const char *model = s(ev, "model");
  const json_t *between = json_object_get(ev, "between");
  char place[300];
  vsc_progress_place(place, sizeof place, s(ev, "scene"), json_string_value(json_array_get(between, 0)),
                     json_string_value(json_array_get(between, 1)));
  int w = snprintf(buf, len, "%-8s %.10s%s", s(ev, "op"), s(ev, "node"), place);
  if (*s(ev, "part") && w > 0 && (size_t)w < len) w += snprintf(buf + w, len - (size_t)w, " part %s", s(ev, "part"));
  if (*model && w > 0 && (size_t)w < len) snprintf(buf + w, len - (size_t)w, " [%s]", model);
}

void vsc_progress_event(vsc_progress *pg, json_t *ev) {
  if (!pg || pg->mode == VSC_PROGRESS_QUIET) {
    json_decref(ev);
    return;
  }
  json_object_set_new(ev, "elapsed", json_real((double)(long)((vsc_sched_now() - pg->t0) * 1000) / 1000));
  if (pg->mode == VSC_PROGRESS_JSON) {
    char *text = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
    if (text) fprintf(pg->out, "%s\n", text);
    free(text);
    fflush(pg->out);
    json_decref(ev);
    return;
  }
  const char *kind = s(ev, "event");
  char what[400], line[1200];
  line[0] = 0;
  if (strcmp(kind, "node") == 0) {
    const char *state = s(ev, "state");
    describe(ev, what, sizeof what);
    /* Plain mode shows every step; the TTY only what a person should see scroll by. */
    bool quiet_on_tty = strcmp(state, "running") == 0 || strcmp(state, "cached") == 0 ||
                        (strcmp(state, "done") == 0 && !vsc_ops_is_provider(s(ev, "op")));
    if (pg->mode == VSC_PROGRESS_TTY && quiet_on_tty) {
      json_decref(ev);
      return;
    }
    const char *msg = s(ev, "msg");
    json_t *secs = json_object_get(ev, "seconds"), *cost = json_object_get(ev, "cost");
    char shown[40];
    /* A node another machine made: "cached (remote)". */
    snprintf(shown, sizeof shown, "%s%s", state, *s(ev, "from") ? (strcmp(s(ev, "from"), "remote") ? "" : " (remote)") : "");
    int w = snprintf(line, sizeof line, "%-9s %s", shown, what);
    if (json_is_number(secs) && w > 0 && (size_t)w < sizeof line)
      w += snprintf(line + w, sizeof line - (size_t)w, " %.1fs", json_number_value(secs));
    if (json_is_number(cost) && json_number_value(cost) > 0 && w > 0 && (size_t)w < sizeof line)
      w += snprintf(line + w, sizeof line - (size_t)w, " $%.2f", json_number_value(cost));
    if (*msg && w > 0 && (size_t)w < sizeof line) snprintf(line + w, sizeof line - (size_t)w, ": %s", msg);
  } else if (strcmp(kind, "start") == 0) {
    /* The parts add up to the whole: jobs cached and to run, and IR nodes no one needs (what
     * uses them is cached). A body in parts is one node and several jobs: then jobs are said. */
    long long unneeded = json_integer_value(json_object_get(ev, "unneeded"));
    long long split = json_integer_value(json_object_get(ev, "split"));
    long long cached = json_integer_value(json_object_get(ev, "cached"));
    long long todo = json_integer_value(json_object_get(ev, "todo"));
    int w = snprintf(line, sizeof line, "run: %lld nodes", (long long)json_integer_value(json_object_get(ev, "nodes")));
    if (split > 0 && w > 0 && (size_t)w < sizeof line)
      w += snprintf(line + w, sizeof line - (size_t)w, ", %lld jobs (%lld %s in %lld parts)", cached + todo, split,
                    split == 1 ? "body" : "bodies", (long long)json_integer_value(json_object_get(ev, "parts")));
    if (w > 0 && (size_t)w < sizeof line)
      w += snprintf(line + w, sizeof line - (size_t)w, ": %lld cached, %lld to run", cached, todo);
    if (unneeded > 0 && w > 0 && (size_t)w < sizeof line)
      w += snprintf(line + w, sizeof line - (size_t)w, ", %lld %s not needed (what uses %s is cached)", unneeded,
                    unneeded == 1 ? "node" : "nodes", unneeded == 1 ? "it" : "them");
    if (w > 0 && (size_t)w < sizeof line) snprintf(line + w, sizeof line - (size_t)w, "; provider %s", s(ev, "provider"));
  } else if (strcmp(kind, "warning") == 0 || strcmp(kind, "note") == 0) {
    snprintf(line, sizeof line, "%s: %s", kind, s(ev, "msg"));
  } else if (strcmp(kind, "end") == 0) {
    char remote[48] = "";
    if (json_integer_value(json_object_get(ev, "remote_cached")) > 0)
      snprintf(remote, sizeof remote, " (%lld remote)", (long long)json_integer_value(json_object_get(ev, "remote_cached")));
    snprintf(line, sizeof line, "%s: %lld run, %lld cached%s, $%.2f spent, %.2fs", s(ev, "status"),
             (long long)json_integer_value(json_object_get(ev, "executed")),
             (long long)json_integer_value(json_object_get(ev, "cached")), remote,
             json_number_value(json_object_get(ev, "spent")),
             json_number_value(json_object_get(ev, "seconds")));
  }
  if (line[0]) {
    clear_line(pg);
    fprintf(pg->out, "%s\n", line);
    fflush(pg->out);
  }
  json_decref(ev);
}

void vsc_progress_status(vsc_progress *pg, int done, int running, int queued, double video_done,
                         double video_total, double spent, double budget, bool force) {
  if (!pg || pg->mode != VSC_PROGRESS_TTY) return;
  double now = vsc_sched_now();
  if (!force && now - pg->last_draw < 0.1) return;
  pg->last_draw = now;
  char bud[32] = "";
  if (budget >= 0) snprintf(bud, sizeof bud, "/$%.2f", budget);
  char video[48] = "";
  if (video_total > 0) snprintf(video, sizeof video, "  video %.1f/%.1fs", video_done, video_total);
  fprintf(pg->out, "\r\033[K[vsc] %d done, %d running, %d queued%s  $%.2f%s  %.1fs", done, running, queued, video,
          spent, bud, now - pg->t0);
  fflush(pg->out);
  pg->line_shown = true;
}

void vsc_progress_free(vsc_progress *pg) {
  if (!pg) return;
  clear_line(pg);
  free(pg);
}
