/*
** Font resolution: a family, a fontconfig pattern or a font file becomes the family name
** libass is given, so that the checker and the renderer pick the same face. fontconfig's
** choice is reported when it is not the family asked for.
*/
#include <fontconfig/fontconfig.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "vsc/vsc_text.h"

static pthread_mutex_t fc_lock = PTHREAD_MUTEX_INITIALIZER;

/* fontconfig keeps its parsed configuration for the life of the process (freed only by
** FcFini, which is unsafe while libass or libavfilter still hold fonts): not a leak of ours.
** LeakSanitizer reads this hook at start in every program linking the text layout. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libfontconfig.so\n"; }
const char *__lsan_default_options(void);
const char *__lsan_default_options(void) { return "print_suppressions=0"; }

/* ASS style fields are comma-separated: a comma in a family name would split it. */
static void copy_family(char *dst, size_t n, const char *src) {
  snprintf(dst, n, "%s", src);
  for (char *p = dst; *p; p++)
    if (*p == ',') *p = ' ';
}

static int resolve_file(const char *path, vsc_text_font *out) {
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
  FT_Library ft;
  if (FT_Init_FreeType(&ft)) return -1;
  FT_Face face;
  int ret = -1;
  if (!FT_New_Face(ft, path, 0, &face)) {
    if (face->family_name) {
      copy_family(out->family, sizeof out->family, face->family_name);
      out->bold = (face->style_flags & FT_STYLE_FLAG_BOLD) != 0;
      out->italic = (face->style_flags & FT_STYLE_FLAG_ITALIC) != 0;
      snprintf(out->file, sizeof out->file, "%s", path);
      out->is_file = true;
      ret = 0;
    }
    FT_Done_Face(face);
  }
  FT_Done_FreeType(ft);
  return ret;
}

int vsc_text_font_resolve(const char *font, vsc_text_font *out) {
  memset(out, 0, sizeof *out);
  if (!font || !*font) font = "DejaVu Sans";
  if (strchr(font, '/')) return resolve_file(font, out);
  pthread_mutex_lock(&fc_lock);
  int ret = -1;
  FcPattern *pat = FcNameParse((const FcChar8 *)font);
  if (pat) {
    FcChar8 *want = NULL;
    char wanted[128] = "";
    if (FcPatternGetString(pat, FC_FAMILY, 0, &want) == FcResultMatch) snprintf(wanted, sizeof wanted, "%s", want);
    FcConfigSubstitute(NULL, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    FcResult res;
    FcPattern *m = FcFontMatch(NULL, pat, &res);
    if (m) {
      FcChar8 *fam = NULL, *file = NULL;
      int weight = FC_WEIGHT_REGULAR, slant = FC_SLANT_ROMAN;
      if (FcPatternGetString(m, FC_FAMILY, 0, &fam) == FcResultMatch) {
        copy_family(out->family, sizeof out->family, (const char *)fam);
        /* A face may list several family names (e.g. localised ones): any of them is it. */
        out->substituted = true;
        for (int i = 0; wanted[0] && FcPatternGetString(m, FC_FAMILY, i, &fam) == FcResultMatch; i++)
          if (!strcasecmp((const char *)fam, wanted)) {
            out->substituted = false;
            copy_family(out->family, sizeof out->family, (const char *)fam);
          }
        if (!wanted[0]) out->substituted = false;
        if (FcPatternGetString(m, FC_FILE, 0, &file) == FcResultMatch)
          snprintf(out->file, sizeof out->file, "%s", (const char *)file);
        FcPatternGetInteger(m, FC_WEIGHT, 0, &weight);
        FcPatternGetInteger(m, FC_SLANT, 0, &slant);
        out->bold = weight >= FC_WEIGHT_DEMIBOLD;
        out->italic = slant != FC_SLANT_ROMAN;
        ret = 0;
      }
      FcPatternDestroy(m);
    }
    FcPatternDestroy(pat);
  }
  pthread_mutex_unlock(&fc_lock);
  return ret;
}
