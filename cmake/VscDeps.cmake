# Every external library, found with pkg-config as an IMPORTED target.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson>=2.13)
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
pkg_check_modules(CRYPTO REQUIRED IMPORTED_TARGET libcrypto)
pkg_check_modules(LIBAV REQUIRED IMPORTED_TARGET
  libavformat libavcodec libavfilter libavutil libswscale libswresample)
pkg_check_modules(AUBIO REQUIRED IMPORTED_TARGET aubio)
pkg_check_modules(ESPEAK REQUIRED IMPORTED_TARGET espeak-ng)
pkg_check_modules(MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
# Text layout (media/text): libass (HarfBuzz shaping), fontconfig and FreeType.
pkg_check_modules(LIBASS REQUIRED IMPORTED_TARGET libass>=0.15)
pkg_check_modules(FONTCONFIG REQUIRED IMPORTED_TARGET fontconfig)
pkg_check_modules(FREETYPE REQUIRED IMPORTED_TARGET freetype2)
# Colour emoji (media/text/emoji.c): HarfBuzz maps a sequence to its glyph, ICU knows which
# characters are emoji.
pkg_check_modules(HARFBUZZ REQUIRED IMPORTED_TARGET harfbuzz)
pkg_check_modules(ICU_UC REQUIRED IMPORTED_TARGET icu-uc)
