/* The grammar's builders: AST nodes from tokens, and literal tokens decoded into values
 * (numbers with units, strings with escapes, colours, ratios). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parse/parse.h"
#include "vsc_parse.h"
#include "vsc/vsc_buf.h"
#include "vsc/vsc_mem.h"

/* A node of kind `kind` whose keyword token is kw. */
vsc_ast *vsc_parse_node(vsc_parser *p, vsc_ast_kind kind, vsc_token kw, const char *keyword) {
  vsc_ast *n = vsc_arena_alloc(p->arena, sizeof *n);
  n->kind = kind;
  n->kw = vsc_span_of(kw);
  n->span = n->kw;
  n->keyword = keyword;
  n->src = p->src;
  return n;
}

/* Appends a value to n (its span grows to cover it). */
void vsc_parse_add_val(vsc_parser *p, vsc_ast *n, vsc_value v) {
  vsc_value *vals = vsc_arena_alloc(p->arena, (size_t)(n->nvals + 1) * sizeof *vals);
  if (n->nvals) memcpy(vals, n->vals, (size_t)n->nvals * sizeof *vals);
  vals[n->nvals++] = v;
  n->vals = vals;
  if (v.span.len) vsc_ast_extend(n, v.span);
}

/* name: an identifier token as a value */
vsc_value vsc_parse_ident(vsc_parser *p, vsc_token t) {
  vsc_value v = {.kind = V_IDENT, .span = vsc_span_of(t)};
  v.str = vsc_arena_strndup(p->arena, p->src->text + t.off, t.len);
  return v;
}

vsc_value vsc_parse_list(vsc_parser *p, vsc_token open, vsc_ast *items, vsc_token close) {
  (void)p;
  vsc_value v = {.kind = V_LIST, .span = vsc_span_join(vsc_span_of(open), vsc_span_of(close))};
  if (items) {
    v.items = items->vals;
    v.nitems = items->nvals;
  }
  return v;
}

vsc_value vsc_parse_none(vsc_parser *p, vsc_token t) {
  (void)p;
  vsc_value v = {.kind = V_NONE, .span = {t.off + t.len, 0}};
  return v;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static void put_utf8(vsc_buf *b, uint32_t cp) {
  char u[4];
  size_t n;
  if (cp < 0x80) {
    u[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    u[0] = (char)(0xC0 | (cp >> 6));
    u[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    u[0] = (char)(0xE0 | (cp >> 12));
    u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    u[0] = (char)(0xF0 | (cp >> 18));
    u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  vsc_buf_append(b, u, n);
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  if (s[0] < 0x80) return 1;
  size_t len = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
                                     : (s[0] & 0xF8) == 0xF0     ? 4
                                                                 : 0;
  if (!len || len > n) return 0;
  for (size_t i = 1; i < len; i++)
    if ((s[i] & 0xC0) != 0x80) return 0;
  if (len == 2 && s[0] < 0xC2) return 0; /* overlong */
  return len;
}

/* Decodes a string literal's escapes; reports bad escapes and bad UTF-8. */
static vsc_value decode_string(vsc_parser *p, vsc_token t) {
  vsc_value v = {.kind = V_STRING, .span = vsc_span_of(t)};
  const char *s = p->src->text + t.off;
  size_t n = t.len;
  /* “…” (reported by the lexer): its text is what lies between the three-byte quotes. */
  size_t end = (n >= 2 && (s[n - 1] == '"' || s[n - 1] == '\'')) ? n - 1 : n; /* unterminated: already reported */
  if (n >= 6 && (unsigned char)s[0] == 0xe2 && (unsigned char)s[n - 1] == 0x9d) s += 2, end = n - 5;
  vsc_buf b = {0};
  vsc_buf_append(&b, "", 0);
  for (size_t i = 1; i < end;) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\\' && i + 1 < end) {
      char e = s[i + 1];
      size_t esc_start = i;
      i += 2;
      switch (e) {
      case 'n': vsc_buf_append(&b, "\n", 1); break;
      case 't': vsc_buf_append(&b, "\t", 1); break;
      case 'r': vsc_buf_append(&b, "\r", 1); break;
      case '"': vsc_buf_append(&b, "\"", 1); break;
      case '\\': vsc_buf_append(&b, "\\", 1); break;
      case 'u': {
        uint32_t cp = 0;
        int digits = 0, ok = i < end && s[i] == '{';
        if (ok) {
          i++;
          while (i < end && hexval(s[i]) >= 0 && digits < 7) cp = cp * 16 + (uint32_t)hexval(s[i++]), digits++;
          ok = digits > 0 && i < end && s[i] == '}' && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF) && cp != 0;
          if (ok) i++;
        }
        if (ok) {
          put_utf8(&b, cp);
        } else {
          vsc_parse_lex_error(p, t.off + (uint32_t)esc_start, (uint32_t)(i - esc_start),
                              "invalid unicode escape", "write it as \\u{2014}");
          v.kind = V_ERROR;
        }
        break;
      }
      default:
        vsc_parse_lex_error(p, t.off + (uint32_t)esc_start, 2, "unknown escape sequence",
                            "use \\n, \\t, \\\", \\\\ or \\u{XXXX}");
        v.kind = V_ERROR;
      }
      continue;
    }
    size_t len = utf8_len((const unsigned char *)s + i, end - i);
    if (!len) {
      vsc_parse_lex_error(p, t.off + (uint32_t)i, 1, "invalid UTF-8 in string", NULL);
      v.kind = V_ERROR;
      break;
    }
    vsc_buf_append(&b, s + i, len);
    i += len;
  }
  v.str = vsc_arena_strndup(p->arena, b.s, b.len);
  vsc_buf_free(&b);
  return v;
}

/* literal: a number, duration, dB, percent, money, size, ratio, colour or string */
vsc_value vsc_parse_value(vsc_parser *p, vsc_token t) {
  const char *s = p->src->text + t.off;
  char *text = vsc_arena_strndup(p->arena, s, t.len);
  vsc_value v = {.span = vsc_span_of(t)};
  char *end;
  switch (t.kind) {
  case TK_STRING: return decode_string(p, t);
  case TK_ID:
    v.kind = V_IDENT;
    v.str = text;
    return v;
  case TK_NUMBER:
    v.kind = V_NUMBER;
    v.num = strtod(text, NULL);
    return v;
  case TK_DURATION:
  case TK_DB:
  case TK_PERCENT:
    v.num = strtod(text, &end);
    v.str = end;
    if (t.kind == TK_DB) v.kind = V_DB;
    else if (t.kind == TK_PERCENT) v.kind = V_PERCENT;
    else if (strcmp(end, "s") == 0) v.kind = V_DURATION;
    else if (strcmp(end, "ms") == 0) v.kind = V_DURATION, v.num /= 1000.0;
    else if (strcmp(end, "min") == 0) v.kind = V_DURATION, v.num *= 60.0;
    else v.kind = V_ERROR; /* unknown unit: the lexer reported it */
    return v;
  case TK_RATE:
  case TK_BYTES: {
    /* Bit rates in bits per second (k = 1000, as encoders count); file sizes in bytes, with
       decimal KB/MB/GB (as the platforms state their limits) and binary KiB/MiB/GiB. */
    static const struct {
      const char *unit;
      double scale;
    } units[] = {{"k", 1e3}, {"kbps", 1e3}, {"M", 1e6}, {"Mbps", 1e6}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"B", 1.0}};
    v.num = strtod(text, &end);
    v.str = end;
    v.kind = t.kind == TK_RATE ? V_BITRATE : V_BYTES;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
      if (strcmp(end, units[i].unit) == 0) v.num *= units[i].scale;
    return v;
  }
  case TK_MONEY:
    v.kind = V_MONEY;
    v.num = strtod(text + 1, NULL);
    return v;
  case TK_DIMS:
    v.kind = V_DIMS;
    v.num = strtod(text, &end);
    v.num2 = strtod(end + 1, NULL);
    return v;
  case TK_RATIO:
    v.kind = V_RATIO;
    v.num = strtod(text, &end);
    v.num2 = strtod(end + 1, NULL);
    return v;
  case TK_HEX: {
    size_t n = t.len - 1;
    int ok = n == 3 || n == 6;
    for (size_t i = 1; ok && i <= n; i++) ok = hexval(text[i]) >= 0;
    if (!ok) {
      vsc_parse_lex_error(p, t.off, t.len, "invalid colour", "write a colour as #rgb or #rrggbb");
      v.kind = V_ERROR;
      return v;
    }
    uint32_t rgb = 0;
    if (n == 3)
      for (int i = 1; i <= 3; i++) rgb = rgb * 256 + (uint32_t)hexval(text[i]) * 17;
    else
      for (int i = 1; i <= 6; i++) rgb = rgb * 16 + (uint32_t)hexval(text[i]);
    v.kind = V_COLOR;
    v.rgb = rgb;
    return v;
  }
  default:
    v.kind = V_ERROR;
    return v;
  }
}
