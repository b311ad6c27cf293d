/*
** Contact sheets (vsc_sheet.h): one libavfilter graph reads the rendered video once, keeps
** each scene's frame (select), scales it into its cell with a label band below, lays the
** cells out (tile) under a header (pad); the labels are laid out by media/text (libass, the
** fonts the render uses) into one ASS script that the `ass` filter draws last. comp_run
** writes the single picture as a PNG.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "comp.h"
#include "vsc/vsc_sheet.h"
#include "vsc/vsc_text.h"

enum { THUMB = 480,
       MARGIN = 16,
       LABEL_H = 76,
       HEADER_H = 92 };

static int even(double x) { return 2 * (int)lround(x / 2); }

void vsc_sheet_layout(int vw, int vh, size_t n, vsc_sheet_geometry *g) {
  memset(g, 0, sizeof *g);
  if (vw < 1 || vh < 1) vw = vh = 1;
  int portrait = vh > vw;
  g->thumb_w = portrait ? even((double)THUMB * vw / vh) : THUMB;
  g->thumb_h = portrait ? THUMB : even((double)THUMB * vh / vw);
  if (g->thumb_w < 2) g->thumb_w = 2;
  if (g->thumb_h < 2) g->thumb_h = 2;
  size_t maxc = portrait ? 6 : 4;
  g->cols = (int)(n < maxc ? (n ? n : 1) : maxc);
  g->rows = (int)((n + (size_t)g->cols - 1) / (size_t)g->cols);
  if (g->rows < 1) g->rows = 1;
  g->label_h = LABEL_H;
  g->margin = MARGIN;
  g->header_h = HEADER_H;
  g->width = g->cols * g->thumb_w + (g->cols + 1) * MARGIN;
  g->height = HEADER_H + g->rows * (g->thumb_h + LABEL_H + MARGIN) + MARGIN;
  /* The header must hold the title even for one portrait thumbnail. */
  if (g->width < 640) g->width = 640;
}

void vsc_sheet_cell_origin(const vsc_sheet_geometry *g, size_t i, int *x, int *y) {
  int c = (int)(i % (size_t)g->cols), r = (int)(i / (size_t)g->cols);
  int grid_w = g->cols * g->thumb_w + (g->cols + 1) * g->margin;
  int left = (g->width - grid_w) / 2; /* centred when the header widened the sheet */
  *x = left + g->margin + c * (g->thumb_w + g->margin);
  *y = g->header_h + g->margin + r * (g->thumb_h + g->label_h + g->margin);
}

/* Lays out one line of text inside the box (pixels), left-aligned at its top, shrinking
** to fit its width, and adds it to the script. */
static int add_line(vsc_text_ctx *tc, vsc_text_ass *a, const vsc_sheet_geometry *g, const char *text, const char *font,
                    int px, uint32_t color, int x0, int y0, int x1, int y1, char *msg, size_t msglen) {
  if (!text || !*text) return 0;
  vsc_text_req rq;
  memset(&rq, 0, sizeof rq);
  rq.text = text;
  rq.font = font;
  rq.x = "left";
  rq.y = "top";
  rq.size = (double)px / g->height;
  rq.min_size = rq.size * 0.6;
  rq.max_lines = 1;
  rq.color = color;
  rq.accent = color;
  rq.safe = (vsc_text_rect){(double)x0 / g->width, (double)y0 / g->height, (double)x1 / g->width, (double)y1 / g->height};
  vsc_text_layout L;
  if (vsc_text_layout_run(tc, &rq, &L, msg, msglen) < 0) return -1;
  /* A label too long even at its smallest size is drawn anyway: a sheet is for people. */
  int ret = vsc_text_ass_add(a, &L, 0, -1, 0, -1, -1, 0);
  vsc_text_layout_free(&L);
  if (ret < 0) snprintf(msg, msglen, "out of memory");
  return ret;
}

/* "*" marks an accent in the layout's syntax; labels are plain text. */
static void plain(const char *in, char *out, size_t n) {
  size_t k = 0;
  for (; in && *in && k + 3 < n; in++) {
    if (*in == '*') out[k++] = '*';
    out[k++] = *in;
  }
  out[k] = 0;
}

static int write_labels(const vsc_sheet_spec *s, const vsc_sheet_geometry *g, const char *ass_path, vsc_op_error *err) {
  vsc_text_ctx *tc = vsc_text_new(g->width, g->height);
  vsc_text_ass *a = vsc_text_ass_new(g->width, g->height);
  char msg[256] = "", buf[1024];
  int ret = tc && a ? 0 : -1;
  if (ret < 0) snprintf(msg, sizeof msg, "cannot start the text layout (libass, fontconfig)");
  int m = g->margin, w = g->width;
  if (ret == 0) plain(s->title, buf, sizeof buf);
  if (ret == 0) ret = add_line(tc, a, g, buf, "DejaVu Sans:style=Bold", 30, 0xffffff, m, 14, w - m, 54, msg, sizeof msg);
  if (ret == 0) plain(s->info, buf, sizeof buf);
  if (ret == 0) ret = add_line(tc, a, g, buf, "DejaVu Sans", 18, 0xb4b4b4, m, 56, w - m, 84, msg, sizeof msg);
  static const int px[VSC_SHEET_LINES] = {20, 16, 16};
  static const uint32_t col[VSC_SHEET_LINES] = {0xffffff, 0xd0d0d0, 0xa0c8ff};
  for (size_t i = 0; ret == 0 && i < s->ncells; i++) {
    int x, y;
    vsc_sheet_cell_origin(g, i, &x, &y);
    y += g->thumb_h + 6;
    for (int l = 0; ret == 0 && l < VSC_SHEET_LINES; l++) {
      int lh = (g->label_h - 8) / VSC_SHEET_LINES;
      plain(s->cells[i].lines[l], buf, sizeof buf);
      ret = add_line(tc, a, g, buf, l == 0 ? "DejaVu Sans:style=Bold" : "DejaVu Sans", px[l], col[l], x, y + l * lh,
                     x + g->thumb_w, y + (l + 1) * lh + 4, msg, sizeof msg);
    }
  }
  const char *script = ret == 0 ? vsc_text_ass_script(a) : NULL;
  if (ret == 0 && !script) snprintf(msg, sizeof msg, "out of memory"), ret = -1;
  if (ret == 0) {
    FILE *f = fopen(ass_path, "wb");
    if (!f || fputs(script, f) < 0 || fclose(f) != 0) {
      if (f) fclose(f);
      snprintf(msg, sizeof msg, "cannot write the labels script next to the sheet");
      ret = -1;
    }
  }
  vsc_text_ass_free(a);
  vsc_text_free(tc);
  if (ret < 0) return vsc_op_fail(err, VSC_FAIL_LOCAL, "sheet: labels: %s", msg);
  return 0;
}

/* One decoder reads the video once (constant memory whatever the number of scenes): select
 * keeps the chosen frames, each is scaled and given its label band, tile lays them out in
 * reading order (the unused cells of the last row stay background), pad adds the header and
 * ass draws every label. */
static int build_graph(vsc_buf *sb, const vsc_sheet_spec *s, const vsc_sheet_geometry *g, double fps, const char *ass_path,
                       vsc_op_error *err) {
  vsc_buf sel = {0};
  long long last = -1;
  for (size_t i = 0; i < s->ncells; i++) {
    long long f = llround(s->cells[i].t * fps);
    if (f <= last) f = last + 1; /* one cell per scene, in order, even for scenes under a frame apart */
    vsc_buf_printf(&sel, "%seq(n,%lld)", i ? "+" : "", f);
    last = f;
  }
  if (!sel.s) return vsc_op_fail(err, VSC_FAIL_LOCAL, "out of memory");
  int grid_w = g->cols * g->thumb_w + (g->cols + 1) * g->margin;
  vsc_buf_printf(sb, "movie=");
  comp_add_filter_arg(sb, s->video);
  vsc_buf_printf(sb, ":dec_threads=1,select=");
  comp_add_filter_arg(sb, sel.s);
  vsc_buf_free(&sel);
  vsc_buf_printf(sb,
                 ",scale=w=%d:h=%d,setsar=1,format=rgb24,pad=w=%d:h=%d:x=0:y=0:color=0x1e1e1e"
                 ",tile=layout=%dx%d:margin=%d:padding=%d:color=0x1e1e1e,setpts=PTS-STARTPTS"
                 ",pad=w=%d:h=%d:x=%d:y=%d:color=0x1e1e1e,ass=filename=",
                 g->thumb_w, g->thumb_h, g->thumb_w, g->thumb_h + g->label_h, g->cols, g->rows, g->margin, g->margin,
                 g->width, g->height, (g->width - grid_w) / 2, g->header_h);
  comp_add_filter_arg(sb, ass_path);
  vsc_buf_printf(sb, "[vout]");
  return 0;
}

int vsc_comp_sheet(const vsc_sheet_spec *s, const char *out_png, vsc_op_error *err) {
  if (err) {
    err->kind = VSC_FAIL_NONE;
    err->retry_after = 0;
    err->msg[0] = 0;
  }
  if (!s || !s->video || s->ncells < 1 || s->ncells > VSC_SHEET_MAX_CELLS)
    return vsc_op_fail(err, VSC_FAIL_INPUT, "sheet: 1 to %d scenes expected", VSC_SHEET_MAX_CELLS);
  vsc_media_info info;
  vsc_op_error perr = {0};
  if (vsc_comp_probe_info(s->video, &info, &perr) < 0) return vsc_op_fail(err, VSC_FAIL_INPUT, "sheet: %s", perr.msg);
  if (!info.has_video || info.is_image) return vsc_op_fail(err, VSC_FAIL_INPUT, "sheet: '%s' is not a video", s->video);
  vsc_sheet_geometry g;
  vsc_sheet_layout(s->width, s->height, s->ncells, &g);
  char ass_path[4200];
  snprintf(ass_path, sizeof ass_path, "%s.labels.ass", out_png);
  if (write_labels(s, &g, ass_path, err) < 0) {
    unlink(ass_path);
    return -1;
  }
  vsc_buf sb = {0};
  if (build_graph(&sb, s, &g, s->fps > 0 ? s->fps : info.fps > 0 ? info.fps
                                                                 : 30,
                  ass_path, err) < 0) {
    unlink(ass_path);
    return -1;
  }
  vsc_encode_opts enc = VSC_ENCODE_OPTS_INIT;
  enc.format = "png";
  comp_job job;
  memset(&job, 0, sizeof job);
  job.graph = sb.s;
  job.enc = &enc;
  job.duration = 1;
  job.width = g.width;
  job.height = g.height;
  job.fps = 1;
  job.out_path = out_png;
  job.kind = COMP_OUT_PNG;
  vsc_op_error rerr = {0};
  int ret = comp_run(&job, &rerr);
  vsc_buf_free(&sb);
  unlink(ass_path);
  if (ret < 0) return vsc_op_fail(err, rerr.kind ? rerr.kind : VSC_FAIL_LOCAL, "sheet: %s", rerr.msg);
  return 0;
}
