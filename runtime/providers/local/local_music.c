/*
** Local provider: a synthesised music bed (generate kind "music").
**
** A four-on-the-floor loop: kick on every beat from t = 0 (louder on bar starts), bass,
** chord pad and, in the busier sections, snare, hats and an arpeggio. The song is cut in
** sections of 8 bars (intro, then B and A alternating), each with its own progression and
** drum pattern, so beat and section analysis have something real to find.
**
** Timing is exact: sixteenth k starts at sample llround(k * spb / 4) with spb = 60 * rate /
** tempo, so beat i is at llround(i * spb). Everything (key, progressions, fills, noise) comes
** from the seed through splitmix64, never from rand(). Rendering is bar by bar into a buffer
** of one bar plus the longest tail, so memory does not depend on the duration.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "local.h"

#define SR VSC_LOCAL_MUSIC_RATE
#define TAIL (2 * SR)  /* longest event (crash cymbal) in samples */
#define SECTION_BARS 8 /* a pattern change every 8 bars */
#define TWO_PI 6.283185307179586

static uint64_t splitmix64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Uniform in [-1, 1). */
static float noise(uint64_t *s) {
  return (float)((double)(splitmix64(s) >> 11) * (2.0 / 9007199254740992.0) - 1.0);
}

static double midi_hz(double m) { return 440.0 * pow(2.0, (m - 69.0) / 12.0); }

/* Two stereo buses over absolute samples [base, base + cap): drums, and tonal parts that
** get pumped (ducked) by the kick. */
typedef struct {
  float *dl, *dr, *ml, *mr;
  long base, cap;
  long total; /* samples in the song; nothing is rendered past it */
} bus;

typedef enum { SEC_INTRO,
               SEC_A,
               SEC_B } section_kind;

typedef struct {
  int root;                /* bass key root, MIDI */
  const int (*prog[2])[2]; /* [A, B] progressions: {semitones from root, minor?} x 4 */
  int fill[2];             /* fill pattern per section kind */
  uint64_t seed;
} song;

static const int major_progs[][4][2] = {
    {{0, 0}, {7, 0}, {9, 1}, {5, 0}}, /* I V vi IV */
    {{0, 0}, {9, 1}, {5, 0}, {7, 0}}, /* I vi IV V */
    {{9, 1}, {5, 0}, {0, 0}, {7, 0}}, /* vi IV I V */
    {{0, 0}, {5, 0}, {9, 1}, {7, 0}}, /* I IV vi V */
    {{5, 0}, {0, 0}, {7, 0}, {9, 1}}, /* IV I V vi */
};
static const int minor_progs[][4][2] = {
    {{0, 1}, {8, 0}, {3, 0}, {10, 0}}, /* i VI III VII */
    {{0, 1}, {5, 1}, {8, 0}, {7, 0}},  /* i iv VI V */
    {{0, 1}, {10, 0}, {8, 0}, {7, 0}}, /* i VII VI V */
    {{0, 1}, {3, 0}, {10, 0}, {5, 1}}, /* i III VII iv */
};

static void add(float *buf, const bus *b, long pos, float v) {
  long i = pos - b->base;
  if (i >= 0 && i < b->cap && pos < b->total) buf[i] += v;
}

/* Samples an event may still write: up to its length, the buffer and the song's end. */
static long span(const bus *b, long pos, long len) {
  long lim = b->base + b->cap;
  if (lim > b->total) lim = b->total;
  return pos + len > lim ? lim - pos : len;
}

static void kick(bus *b, long pos, float gain) {
  double ph = 0.0;
  long n = span(b, pos, (long)(0.45 * SR));
  for (long i = 0; i < n; i++) {
    double t = (double)i / SR;
    double f = 46.0 + 120.0 * exp(-t * 30.0);
    float v = (float)(gain * 0.95 * exp(-t * 8.5) * sin(ph));
    ph += TWO_PI * f / SR;
    add(b->dl, b, pos + i, v);
    add(b->dr, b, pos + i, v);
  }
}

/* Noise through a one-pole high-pass; `decay` in seconds, `pan` -1..1. */
static void hat(bus *b, long pos, float gain, double decay, float pan, uint64_t seed) {
  uint64_t s = seed;
  float prev = 0.0f, hp = 0.0f;
  long n = span(b, pos, (long)(decay * 6.0 * SR));
  for (long i = 0; i < n; i++) {
    float x = noise(&s);
    hp = 0.55f * (hp + x - prev);
    prev = x;
    float v = (float)(gain * exp(-(double)i / SR / decay)) * hp;
    add(b->dl, b, pos + i, v * (1.0f - 0.5f * pan));
    add(b->dr, b, pos + i, v * (1.0f + 0.5f * pan));
  }
}

static void snare(bus *b, long pos, float gain, uint64_t seed) {
  uint64_t s = seed;
  float lp = 0.0f;
  double ph = 0.0;
  long n = span(b, pos, (long)(0.35 * SR));
  for (long i = 0; i < n; i++) {
    double t = (double)i / SR;
    lp += 0.45f * (noise(&s) - lp); /* soften the top */
    double body = 0.5 * exp(-t * 22.0) * sin(ph);
    ph += TWO_PI * 210.0 / SR;
    float v = (float)(gain * (0.6 * exp(-t * 13.0) * lp + body));
    add(b->dl, b, pos + i, v);
    add(b->dr, b, pos + i, v);
  }
}

static void crash(bus *b, long pos, float gain, uint64_t seed) {
  uint64_t s = seed;
  float pl = 0, pr = 0, hl = 0, hr = 0;
  long n = span(b, pos, TAIL);
  for (long i = 0; i < n; i++) {
    float xl = noise(&s), xr = noise(&s);
    hl = 0.6f * (hl + xl - pl);
    hr = 0.6f * (hr + xr - pr);
    pl = xl;
    pr = xr;
    float e = (float)(gain * exp(-(double)i / SR / 0.55));
    add(b->dl, b, pos + i, e * hl);
    add(b->dr, b, pos + i, e * hr);
  }
}

/* A sustained tone: `harm` harmonics with 1/h amplitude, slightly detuned between the two
** channels; linear attack, hold, linear release. */
static void tone(bus *b, long pos, long len, double hz, float gain, int harm, double attack,
                 double release, float pan) {
  long rel = (long)(release * SR), att = (long)(attack * SR);
  long n = span(b, pos, len + rel);
  double dl = hz * 0.9988, dr = hz * 1.0012;
  for (long i = 0; i < n; i++) {
    double env = i < att ? (double)i / att : 1.0;
    if (i >= len) env *= 1.0 - (double)(i - len) / rel;
    double t = (double)i / SR, l = 0, r = 0;
    for (int h = 1; h <= harm; h++) {
      l += sin(TWO_PI * dl * h * t) / h;
      r += sin(TWO_PI * dr * h * t) / h;
    }
    add(b->ml, b, pos + i, (float)(gain * env * l) * (1.0f - 0.5f * pan));
    add(b->mr, b, pos + i, (float)(gain * env * r) * (1.0f + 0.5f * pan));
  }
}

typedef struct {
  int k16; /* start, in sixteenths from the bar start */
  int midi;
  float gain;
} bass_note;

/* The bar's bass as one legato line: the phase runs on and the level glides between notes
** (a small dip re-articulates each one), so only the downbeat starts from silence, together
** with the kick; the line releases over 40 ms after the bar. */
static void bass_line(bus *b, const long s16[17], const bass_note *notes, int n) {
  long pos = s16[0], len = s16[16] - s16[0];
  long att = (long)(0.012 * SR), rel = (long)(0.04 * SR), dip = (long)(0.03 * SR);
  long total = span(b, pos, len + rel);
  double ph = 0, level = notes[0].gain;
  int cur = 0;
  for (long i = 0; i < total; i++) {
    while (cur + 1 < n && pos + i >= s16[notes[cur + 1].k16]) cur++;
    long since = pos + i - s16[notes[cur].k16];
    level += (notes[cur].gain - level) * (1.0 / (0.005 * SR));
    double env = i < att ? (double)i / att : 1.0;
    if (cur > 0 && since < dip) env *= 0.85 + 0.15 * (double)since / dip;
    if (i >= len) env *= 1.0 - (double)(i - len) / rel;
    double x = 0.75 * sin(ph) + 0.5 * sin(2 * ph) + 0.22 * sin(3 * ph); /* audible on small speakers */
    ph += TWO_PI * midi_hz(notes[cur].midi) / SR;
    if (ph > TWO_PI * 64) ph -= TWO_PI * 64;
    float v = (float)(0.62 * level * env * tanh(1.3 * x));
    add(b->ml, b, pos + i, v);
    add(b->mr, b, pos + i, v);
  }
}

/* A plucked triangle, for the arpeggio. */
static void pluck(bus *b, long pos, int midi, float gain, float pan) {
  double hz = midi_hz(midi), ph = 0;
  long n = span(b, pos, (long)(0.6 * SR));
  for (long i = 0; i < n; i++) {
    double t = (double)i / SR;
    double tri = 2.0 * fabs(2.0 * (ph - floor(ph + 0.5))) - 1.0;
    ph += hz / SR;
    double env = (i < 48 ? i / 48.0 : 1.0) * exp(-t * 7.0);
    float v = (float)(gain * env * tri);
    add(b->ml, b, pos + i, v * (1.0f - 0.6f * pan));
    add(b->mr, b, pos + i, v * (1.0f + 0.6f * pan));
  }
}

static section_kind section_of(long bar) {
  long k = bar / SECTION_BARS;
  if (k == 0) return SEC_INTRO;
  return (k % 2) ? SEC_B : SEC_A;
}

/* Keeps a chord tone in the pad's register (MIDI 55..70). */
static int pad_note(int m) {
  while (m < 55) m += 12;
  while (m > 70) m -= 12;
  return m;
}

static void render_bar(bus *b, const song *sg, long bar, double spb) {
  section_kind sec = section_of(bar);
  int bar_in_sec = (int)(bar % SECTION_BARS);
  const int(*prog)[2] = sg->prog[sec == SEC_B];
  int deg = prog[bar % 4][0], minor = prog[bar % 4][1];
  int croot = sg->root + deg;
  int chord[3] = {croot, croot + (minor ? 3 : 4), croot + 7};
  uint64_t es = sg->seed ^ ((uint64_t)bar * 0x9e3779b97f4a7c15ULL);
  long s16[17];
  for (int k = 0; k <= 16; k++) s16[k] = llround((double)(bar * 16 + k) * spb / 4.0);
  long barlen = s16[16] - s16[0];

  /* Drums. */
  for (int beat = 0; beat < 4; beat++)
    kick(b, s16[beat * 4], beat == 0 ? 1.0f : 0.78f);
  if (bar_in_sec == 0 && bar > 0) crash(b, s16[0], sec == SEC_B ? 0.16f : 0.09f, es + 1);
  int last = bar_in_sec == SECTION_BARS - 1;
  for (int k = 0; k < 16; k++) {
    uint64_t ns = es + 100 + (uint64_t)k;
    switch (sec) {
    case SEC_INTRO:
      if (k % 4 == 2) hat(b, s16[k], 0.10f, 0.03, 0.3f, ns);
      break;
    case SEC_A:
      if (k % 2 == 0) hat(b, s16[k], k % 4 == 2 ? 0.11f : 0.06f, 0.025, 0.3f, ns);
      if (k == 12) snare(b, s16[k], 0.22f, ns + 50);
      break;
    case SEC_B:
      hat(b, s16[k], k % 4 == 2 ? 0.10f : 0.05f, k % 4 == 2 ? 0.09 : 0.02, -0.3f, ns);
      if (k == 4 || k == 12) snare(b, s16[k], 0.34f, ns + 50);
      break;
    }
    /* Fill in the last beat of a section: one of three sixteenth patterns. */
    if (last && k >= 12 && sec != SEC_INTRO) {
      static const int fills[3][4] = {{1, 1, 1, 1}, {0, 1, 1, 1}, {1, 0, 1, 1}};
      if (fills[sg->fill[sec == SEC_B]][k - 12] && k != 12)
        snare(b, s16[k], 0.16f + 0.05f * (k - 12), ns + 70);
    }
  }

  /* Pad: the chord over the whole bar (softer in the intro). */
  float padg = sec == SEC_INTRO ? 0.045f : sec == SEC_A ? 0.05f
                                                        : 0.06f;
  for (int i = 0; i < 3; i++)
    tone(b, s16[0], barlen, midi_hz(pad_note(chord[i])), padg, 3, 0.08, 0.15,
         (float)(i - 1) * 0.5f);

  /* Bass. */
  int broot = croot;
  while (broot > sg->root + 7) broot -= 12;
  bass_note line[8];
  int nn = 0;
  switch (sec) {
  case SEC_INTRO: line[nn++] = (bass_note){0, broot, 0.22f}; break;
  case SEC_A:
    line[nn++] = (bass_note){0, broot, 0.26f};
    line[nn++] = (bass_note){8, broot, 0.24f};
    line[nn++] = (bass_note){14, broot + 7, 0.2f};
    break;
  case SEC_B:
    for (int e = 0; e < 8; e++) {
      static const int oct[8] = {0, 0, 12, 0, 0, 12, 7, 12};
      line[nn++] = (bass_note){e * 2, broot + oct[e], e % 2 ? 0.18f : 0.24f};
    }
    break;
  }
  bass_line(b, s16, line, nn);

  /* Arpeggio over chord tones in B sections, two octaves above the bass. */
  if (sec == SEC_B) {
    static const int order[8] = {0, 1, 2, 1, 0, 2, 1, 2};
    for (int e = 0; e < 8; e++)
      pluck(b, s16[e * 2], pad_note(chord[order[e]]) + 12, 0.06f, e % 2 ? 0.5f : -0.5f);
  }
}

/* Kick pump on the tonal bus: dips right after each beat and recovers. */
static float pump(long pos, double spb) {
  long i = (long)floor(pos / spb);
  while (i > 0 && llround(i * spb) > pos) i--;
  while (llround((i + 1) * spb) <= pos) i++;
  double since = (double)(pos - llround(i * spb)) / SR;
  return (float)(1.0 - 0.45 * exp(-since / 0.08));
}

int vsc_local_music_render(const vsc_local_music_opts *o, const char *path, char *err,
                           size_t errlen) {
  if (!(o->duration > 0) || o->duration > 3600.0) {
    snprintf(err, errlen, "music duration %g s is out of range (0, 3600]", o->duration);
    return -1;
  }
  if (!(o->tempo >= 30.0 && o->tempo <= 300.0)) {
    snprintf(err, errlen, "music tempo %g is out of range [30, 300]", o->tempo);
    return -1;
  }
  double spb = 60.0 * SR / o->tempo;
  uint64_t rs = o->seed;
  song sg;
  static const int roots[] = {36, 38, 40, 41, 43, 45};
  sg.root = roots[splitmix64(&rs) % 6];
  if (o->minor) {
    size_t n = sizeof minor_progs / sizeof minor_progs[0];
    size_t a = splitmix64(&rs) % n, bq = (a + 1 + splitmix64(&rs) % (n - 1)) % n;
    sg.prog[0] = minor_progs[a];
    sg.prog[1] = minor_progs[bq];
  } else {
    size_t n = sizeof major_progs / sizeof major_progs[0];
    size_t a = splitmix64(&rs) % n, bq = (a + 1 + splitmix64(&rs) % (n - 1)) % n;
    sg.prog[0] = major_progs[a];
    sg.prog[1] = major_progs[bq];
  }
  sg.fill[0] = (int)(splitmix64(&rs) % 3);
  sg.fill[1] = (int)(splitmix64(&rs) % 3);
  sg.seed = splitmix64(&rs);

  bus b = {0};
  b.total = llround(o->duration * SR);
  b.cap = (long)ceil(4 * spb) + 2 + TAIL;
  b.dl = calloc((size_t)b.cap * 4, sizeof(float));
  int16_t *pcm = malloc((size_t)b.cap * 2 * sizeof *pcm);
  if (!b.dl || !pcm) {
    free(b.dl);
    free(pcm);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  b.dr = b.dl + b.cap;
  b.ml = b.dr + b.cap;
  b.mr = b.ml + b.cap;

  vsc_local_wav w;
  if (vsc_local_wav_open(&w, path, 2, SR, err, errlen) != 0) {
    free(b.dl);
    free(pcm);
    return -1;
  }
  long fade = SR / 50; /* 20 ms at the very end, so a cut bed does not click */
  int rc = 0;
  for (long bar = 0; rc == 0 && b.base < b.total; bar++) {
    render_bar(&b, &sg, bar, spb);
    long end = llround((double)(bar + 1) * 4 * spb);
    if (end > b.total) end = b.total;
    long n = end - b.base;
    for (long i = 0; i < n; i++) {
      long pos = b.base + i;
      float p = pump(pos, spb);
      double l = 0.85 * (b.dl[i] + p * b.ml[i]);
      double r = 0.85 * (b.dr[i] + p * b.mr[i]);
      if (pos >= b.total - fade) {
        double g = (double)(b.total - pos) / fade;
        l *= g;
        r *= g;
      }
      pcm[2 * i] = (int16_t)lrint(tanh(l) * 32000.0);
      pcm[2 * i + 1] = (int16_t)lrint(tanh(r) * 32000.0);
    }
    rc = vsc_local_wav_write(&w, pcm, (size_t)n, err, errlen);
    float *bufs[4] = {b.dl, b.dr, b.ml, b.mr};
    for (int k = 0; k < 4; k++) {
      memmove(bufs[k], bufs[k] + n, (size_t)(b.cap - n) * sizeof(float));
      memset(bufs[k] + (b.cap - n), 0, (size_t)n * sizeof(float));
    }
    b.base = end;
  }
  free(b.dl);
  free(pcm);
  if (rc != 0) {
    char scratch[64];
    vsc_local_wav_close(&w, scratch, sizeof scratch);
    return -1;
  }
  return vsc_local_wav_close(&w, err, errlen);
}
