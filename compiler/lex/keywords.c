/* Keyword lookup and token spellings for messages. */
#include <stdlib.h>
#include <string.h>

#include "lex/lex.h"
#include "vsc_parse.h"

typedef struct {
  const char *word;
  int kind;
} keyword;

/* Sorted by word (strcmp order) for bsearch. */
static const keyword keywords[] = {
    {"accent", TK_ACCENT},
    {"align", TK_ALIGN},
    {"animate", TK_ANIMATE},
    {"as", TK_AS},
    {"aspect", TK_ASPECT},
    {"aspects", TK_ASPECTS},
    {"at", TK_AT},
    {"audio", TK_AUDIO},
    {"avoid", TK_AVOID},
    {"bars", TK_BARS},
    {"beats", TK_BEATS},
    {"box", TK_BOX},
    {"budget", TK_BUDGET},
    {"burn", TK_BURN},
    {"camera", TK_CAMERA},
    {"captions", TK_CAPTIONS},
    {"class", TK_CLASS},
    {"color", TK_COLOR},
    {"cut", TK_CUT},
    {"default", TK_DEFAULT},
    {"deliver", TK_DELIVER},
    {"draft", TK_DRAFT},
    {"duck", TK_DUCK},
    {"durations", TK_DURATIONS},
    {"enum", TK_ENUM},
    {"estimate", TK_ESTIMATE},
    {"fade", TK_FADE},
    {"fallback", TK_FALLBACK},
    {"file", TK_FILE},
    {"final", TK_FINAL},
    {"fit", TK_FIT},
    {"focus", TK_FOCUS},
    {"font", TK_FONT},
    {"for", TK_FOR},
    {"formats", TK_FORMATS},
    {"fps", TK_FPS},
    {"from", TK_FROM},
    {"generate", TK_GENERATE},
    {"highlight", TK_HIGHLIGHT},
    {"image", TK_IMAGE},
    {"import", TK_IMPORT},
    {"in", TK_IN},
    {"inputs", TK_INPUTS},
    {"keep", TK_KEEP},
    {"kind", TK_KIND},
    {"length", TK_LENGTH},
    {"lines", TK_LINES},
    {"list", TK_LIST},
    {"look", TK_LOOK},
    {"loop", TK_LOOP},
    {"max", TK_MAX},
    {"meter", TK_METER},
    {"min", TK_MIN},
    {"model", TK_MODEL},
    {"music", TK_MUSIC},
    {"mute", TK_MUTE},
    {"offset", TK_OFFSET},
    {"on", TK_ON},
    {"out", TK_OUT},
    {"outline", TK_OUTLINE},
    {"palette", TK_PALETTE},
    {"param", TK_PARAM},
    {"per", TK_PER},
    {"preset", TK_PRESET},
    {"price", TK_PRICE},
    {"priced", TK_PRICED},
    {"provider", TK_PROVIDER},
    {"quality", TK_QUALITY},
    {"reframe", TK_REFRAME},
    {"required", TK_REQUIRED},
    {"rest", TK_REST},
    {"safe", TK_SAFE},
    {"scene", TK_SCENE},
    {"section", TK_SECTION},
    {"seed", TK_SEED},
    {"shadow", TK_SHADOW},
    {"shot", TK_SHOT},
    {"size", TK_SIZE},
    {"sizes", TK_SIZES},
    {"spacing", TK_SPACING},
    {"start", TK_START},
    {"style", TK_STYLE},
    {"template", TK_TEMPLATE},
    {"tempo", TK_TEMPO},
    {"text", TK_TEXT},
    {"then", TK_THEN},
    {"tier", TK_TIER},
    {"to", TK_TO},
    {"until", TK_UNTIL},
    {"use", TK_USE},
    {"version", TK_VERSION},
    {"video", TK_VIDEO},
    {"voice", TK_VOICE},
    {"volume", TK_VOLUME},
    {"width", TK_WIDTH},
    {"with", TK_WITH},
    {"words", TK_WORDS},
};

static int cmp_keyword(const void *key, const void *elem) {
  return strcmp(key, ((const keyword *)elem)->word);
}

int vsc_lex_keyword(const char *s, size_t n) {
  char word[16];
  if (n >= sizeof word) return TK_ID;
  memcpy(word, s, n);
  word[n] = 0;
  const keyword *k = bsearch(word, keywords, sizeof keywords / sizeof keywords[0],
                             sizeof keywords[0], cmp_keyword);
  return k ? k->kind : TK_ID;
}

const char *vsc_lex_token_name(int kind) {
  switch (kind) {
  case 0: return "end of file";
  case TK_ID: return "a name";
  case TK_STRING: return "a string";
  case TK_NUMBER: return "a number";
  case TK_DURATION: return "a duration";
  case TK_MONEY: return "an amount";
  case TK_DB: return "a level in dB";
  case TK_PERCENT: return "a percentage";
  case TK_DIMS: return "a size";
  case TK_RATIO: return "a ratio";
  case TK_RATE: return "a bit rate";
  case TK_BYTES: return "a file size";
  case TK_HEX: return "a colour";
  case TK_LBRACE: return "'{'";
  case TK_RBRACE: return "'}'";
  case TK_LPAREN: return "'('";
  case TK_RPAREN: return "')'";
  case TK_COMMA: return "','";
  case TK_COLON: return "':'";
  case TK_EQ: return "'='";
  case TK_ARROW: return "'->'";
  case TK_LBRACKET: return "'['";
  case TK_RBRACKET: return "']'";
  default:
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
      if (keywords[i].kind == kind) return keywords[i].word;
    return "a token";
  }
}
