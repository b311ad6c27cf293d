/*
** Test audio synthesis: a small score renderer. A track is a list of parts (bars at a
** tempo, in a meter, in a style, over a chord progression); each style puts instruments on
** known beats, so the true beats, bars and section boundaries are exact.
*/
#include "synth.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 44100
#define TABLE 2048

typedef enum {
  ST_SILENT,   /* nothing (a silent intro) */
  ST_CLICK,    /* metronome: accented click on the downbeat */
  ST_ROCK,     /* kick 1 and 3, snare 2 and 4, straight eighth hats, bass, pad */
  ST_SWING,    /* the same with swung (triplet) eighth hats and ghost notes */
  ST_WALTZ,    /* 3/4: kick and bass on 1, hat and chord stabs on 2 and 3, pad */
  ST_SOFT,     /* soft keys: slow-attack notes on every beat, no drums */
  ST_QUIET,    /* a quiet intro: soft rim clicks on the beats and a pad, ~-26 dB */
  ST_BRIGHT,   /* another timbre: square lead in eighths, sixteenth hats, backbeat */
  ST_SPARSE,   /* a breakdown: pad, kick on 1, shaker on the beats */
  ST_HOUSE,    /* kick on every beat, loud open hi-hats on the off-beats, nothing else */
  ST_HOUSE_SN, /* the same with a snare on 2 and 4 */
} style;

typedef struct {
  int bars;
  double bpm;
  int meter;
  style st;
  const int *chords; /* roots (MIDI) with +100 for minor, cycled per bar; NULL = C major */
  int nchords;
  char label; /* section label, 0 = not a section of its own */
} part;

/* What a few cases add to a part. */
typedef struct {
  int melody; /* 0: none; 1, 2: a lead melody over the chords (two different tunes) */
  int fill;   /* 1: the part's last bar is a drum fill, and a crash opens the next part */
} extra;

static const int PROG_A[] = {60, 157, 53, 55}; /* C  Am F  G  */
static const int PROG_B[] = {63, 58, 160, 56}; /* Eb Bb Cm Ab */
static const int PROG_C[] = {162, 58, 53, 60}; /* Dm Bb F  C  */

/* ---- oscillators and noise --------------------------------------------------------- */
static float tab_soft[TABLE], tab_square[TABLE];
static int tables_ready;

static void make_tables(void) {
  if (tables_ready) return;
  for (int i = 0; i < TABLE; i++) {
    double ph = 2 * M_PI * i / TABLE, s = 0, q = 0;
    for (int k = 1; k <= 6; k++) s += sin(k * ph) / k;
    for (int k = 1; k <= 15; k += 2) q += sin(k * ph) / k;
    tab_soft[i] = (float)(s * 0.6);
    tab_square[i] = (float)(q * 0.8);
  }
  tables_ready = 1;
}

typedef struct {
  uint32_t s;
} rng;

static double rnd(rng *r) { /* uniform in [-1, 1) */
  r->s ^= r->s << 13;
  r->s ^= r->s >> 17;
  r->s ^= r->s << 5;
  return (double)r->s / 2147483648.0 - 1.0;
}

static double midi_hz(double m) { return 440.0 * pow(2.0, (m - 69.0) / 12.0); }

typedef struct {
  float *x;
  size_t n;
  rng r;
} buf;

static void add(buf *b, long i, double v) {
  if (i >= 0 && (size_t)i < b->n) b->x[i] += (float)v;
}

/* ---- instruments: each adds one note starting at time t -------------------------- */
static void click(buf *b, double t, double amp, double hz) {
  long s = lround(t * RATE);
  for (long k = 0; k < (long)(0.04 * RATE); k++) {
    double tt = (double)k / RATE;
    add(b, s + k, amp * sin(2 * M_PI * hz * tt) * exp(-tt / 0.012));
  }
}

static void kick(buf *b, double t, double amp) {
  long s = lround(t * RATE);
  double ph = 0;
  for (long k = 0; k < (long)(0.35 * RATE); k++) {
    double tt = (double)k / RATE;
    double f = 48 + 110 * exp(-tt / 0.035);
    ph += 2 * M_PI * f / RATE;
    double v = sin(ph) * exp(-tt / 0.22);
    if (k < 40) v += 0.4 * rnd(&b->r) * (1.0 - k / 40.0); /* beater click */
    add(b, s + k, amp * v);
  }
}

static void snare(buf *b, double t, double amp) {
  long s = lround(t * RATE);
  double prev = 0;
  for (long k = 0; k < (long)(0.25 * RATE); k++) {
    double tt = (double)k / RATE;
    double w = rnd(&b->r);
    double hp = w - 0.7 * prev; /* brighten the noise */
    prev = w;
    double v = 0.55 * hp * exp(-tt / 0.07) + 0.5 * sin(2 * M_PI * 185 * tt) * exp(-tt / 0.04);
    add(b, s + k, amp * v);
  }
}

static void hat(buf *b, double t, double amp, double decay) {
  long s = lround(t * RATE);
  double prev = 0;
  for (long k = 0; k < (long)(5 * decay * RATE); k++) {
    double tt = (double)k / RATE;
    double w = rnd(&b->r);
    double hp = w - prev; /* first difference: mostly above 5 kHz */
    prev = w;
    add(b, s + k, amp * 0.5 * hp * exp(-tt / decay));
  }
}

/* A wavetable note with attack, exponential decay towards `sustain`, and release. */
static void note(buf *b, const float *tab, double t, double len, double midi, double amp,
                 double attack, double decay, double sustain) {
  long s = lround(t * RATE);
  double inc = midi_hz(midi) * TABLE / RATE, ph = 0;
  double rel = 0.08;
  long total = (long)((len + rel) * RATE);
  for (long k = 0; k < total; k++) {
    double tt = (double)k / RATE;
    double env = tt < attack ? tt / attack : sustain + (1 - sustain) * exp(-(tt - attack) / decay);
    if (tt > len) env *= 1.0 - (tt - len) / rel;
    int i = (int)ph;
    double a = ph - i;
    double v = tab[i] * (1 - a) + tab[(i + 1) % TABLE] * a;
    ph += inc;
    if (ph >= TABLE) ph -= TABLE;
    add(b, s + k, amp * env * v);
  }
}

/* The notes of a chord code: root, third, fifth (minor when code >= 100). */
static void chord_notes(int code, int out[3]) {
  int minor = code >= 100, root = code % 100;
  out[0] = root;
  out[1] = root + (minor ? 3 : 4);
  out[2] = root + 7;
}

static void pad(buf *b, double t, double len, int code, double amp) {
  int c[3];
  chord_notes(code, c);
  for (int i = 0; i < 3; i++) note(b, tab_soft, t, len, c[i], amp, 0.12, 1.0, 0.8);
}

/* ---- the score ------------------------------------------------------------------- */
typedef struct {
  double *v;
  size_t n, cap;
} dvec;

static void push(dvec *d, double x) {
  if (d->n == d->cap) {
    d->cap = d->cap ? d->cap * 2 : 256;
    d->v = realloc(d->v, d->cap * sizeof *d->v);
    if (!d->v) abort();
  }
  d->v[d->n++] = x;
}

static void crash(buf *b, double t, double amp) { hat(b, t, amp, 0.35); }

/* A lead melody in eighths over chord code c, an octave or two above it: tune 1 climbs the
 * chord's root and third, tune 2 falls from its sixth and ninth. Same chords, another
 * tune: what a verse and a chorus over one progression differ in. */
static void melody(buf *b, int tune, int bar, const int *c, const double *beat, double bl, int m) {
  static const int t1[8] = {12, 16, 12, 19, 24, 19, 16, 12}; /* above the root, major */
  static const int t2[8] = {26, 21, 26, 21, 19, 26, 14, 21};
  const int *t = tune == 1 ? t1 : t2;
  for (int k = 0; k < 2 * m; k++) {
    if (tune == 2 && k % 4 == 3) continue; /* another rhythm too */
    int iv = t[(k + 2 * bar) % 8] - (t[(k + 2 * bar) % 8] % 12 == 4 && c[1] - c[0] == 3);
    note(b, tab_square, beat[k / 2] + (k % 2) * bl / 2, bl * 0.45, c[0] + iv, 0.07, 0.004, 0.12,
         0.6);
  }
}

/* A drum fill: snare on the beats, then sixteenths over the last two, rising in loudness. */
static void fill_bar(buf *b, const double *beat, double bl, int m) {
  for (int k = 1; k < m - 2; k++) snare(b, beat[k], 0.5);
  for (int k = 0; k < 8; k++) snare(b, beat[m - 2] + k * bl / 4, 0.25 + 0.05 * k);
}

/* Renders one bar of a style; beat[k] are its beat times, bl the beat length. */
static void render_bar(buf *b, const part *p, int bar, const double *beat, double bl) {
  int m = p->meter;
  int code = p->chords ? p->chords[bar % p->nchords] : 60;
  int c[3];
  chord_notes(code, c);
  double barlen = bl * m;
  switch (p->st) {
  case ST_SILENT:
    break;
  case ST_CLICK:
    for (int k = 0; k < m; k++) click(b, beat[k], k == 0 ? 0.8 : 0.5, k == 0 ? 1600 : 1000);
    break;
  case ST_ROCK:
  case ST_SWING:
    pad(b, beat[0], barlen, code, 0.05);
    for (int k = 0; k < m; k++) {
      if (k % 2 == 0) kick(b, beat[k], 0.9);
      else snare(b, beat[k], 0.6);
      hat(b, beat[k], 0.22, 0.02);
      double off = p->st == ST_SWING ? 2.0 / 3.0 : 0.5;
      hat(b, beat[k] + off * bl, 0.14, 0.02);
      if (p->st == ST_SWING && k == 3) snare(b, beat[k] + off * bl, 0.12); /* ghost note */
      note(b, tab_soft, beat[k], bl * 0.9, c[0] - 24, 0.35, 0.005, 0.3, 0.5);
    }
    break;
  case ST_WALTZ:
    pad(b, beat[0], barlen, code, 0.05);
    kick(b, beat[0], 0.9);
    note(b, tab_soft, beat[0], barlen * 0.9, c[0] - 24, 0.4, 0.005, 0.4, 0.5);
    for (int k = 0; k < m; k++) {
      hat(b, beat[k], k == 0 ? 0.22 : 0.18, 0.03);
      if (k > 0)
        for (int i = 0; i < 3; i++) note(b, tab_soft, beat[k], bl * 0.4, c[i] + 12, 0.05, 0.004, 0.1, 0.2);
    }
    break;
  case ST_SOFT:
    pad(b, beat[0], barlen, code, 0.03);
    for (int k = 0; k < m; k++) {
      int tone = c[k % 3] + (k == 3 ? 12 : 0);
      note(b, tab_soft, beat[k], bl * 0.95, tone + 12, 0.16, 0.05, 0.35, 0.3);
      if (k == 0) note(b, tab_soft, beat[k], barlen * 0.95, c[0] - 12, 0.2, 0.06, 0.6, 0.5);
    }
    break;
  case ST_QUIET:
    pad(b, beat[0], barlen, code, 0.012);
    for (int k = 0; k < m; k++) click(b, beat[k], 0.04, 2400);
    break;
  case ST_BRIGHT:
    for (int k = 0; k < m; k++) {
      if (k == 0 || k == 2) kick(b, beat[k], 0.8);
      if (k % 2 == 1) snare(b, beat[k], 0.5);
      for (int s = 0; s < 4; s++) hat(b, beat[k] + s * bl / 4, s == 0 ? 0.16 : 0.08, 0.012);
      for (int e = 0; e < 2; e++)
        note(b, tab_square, beat[k] + e * bl / 2, bl * 0.45, c[(k + e) % 3] + 12, 0.09, 0.004, 0.15, 0.6);
      note(b, tab_square, beat[k], bl * 0.9, c[0] - 24, 0.18, 0.005, 0.2, 0.4);
    }
    break;
  case ST_HOUSE:
  case ST_HOUSE_SN:
    for (int k = 0; k < m; k++) {
      kick(b, beat[k], 0.9);
      hat(b, beat[k] + 0.5 * bl, 1.2, 0.08);
      if (p->st == ST_HOUSE_SN && k % 2 == 1) snare(b, beat[k], 0.6);
    }
    break;
  case ST_SPARSE:
    pad(b, beat[0], barlen, code, 0.07);
    kick(b, beat[0], 0.7);
    for (int k = 0; k < m; k++) hat(b, beat[k], 0.12, 0.05);
    break;
  }
}

/* Renders the parts into t; snr_db < 1000 adds white noise at that signal-to-noise ratio. */
static int render(synth_track *t, const part *parts, const extra *px, size_t np, double snr_db,
                  uint32_t seed, double lead) {
  make_tables();
  double total = lead;
  for (size_t i = 0; i < np; i++) total += parts[i].bars * parts[i].meter * 60.0 / parts[i].bpm;
  total += 1.5; /* let the last notes ring */
  buf b = {calloc((size_t)(total * RATE) + 1, sizeof(float)), (size_t)(total * RATE), {seed}};
  if (!b.x) return -1;
  dvec beats = {0}, downs = {0};
  double now = lead;
  char last_label = 0;
  size_t nl = 0;
  for (size_t i = 0; i < np; i++) {
    const part *p = &parts[i];
    double bl = 60.0 / p->bpm;
    if (p->label && p->label != last_label) {
      if (now > lead && last_label) t->bounds[t->nbounds++] = now;
      if (nl < 16) t->labels[nl++] = p->label;
      last_label = p->label;
    }
    for (int bar = 0; bar < p->bars; bar++) {
      double beat[16];
      for (int k = 0; k < p->meter; k++) beat[k] = now + k * bl;
      int stop = px[i].fill && bar == p->bars - 1; /* a stop-time fill: drums alone */
      if (stop) kick(&b, beat[0], 0.9);
      else render_bar(&b, p, bar, beat, bl);
      if (px[i].melody) {
        int code = p->chords ? p->chords[bar % p->nchords] : 60, c[3];
        chord_notes(code, c);
        melody(&b, px[i].melody, bar, c, beat, bl, p->meter);
      }
      if (stop) fill_bar(&b, beat, bl, p->meter);
      if (bar == 0 && i > 0 && px[i - 1].fill) crash(&b, beat[0], 0.5);
      if (p->st != ST_SILENT) {
        push(&downs, beat[0]);
        for (int k = 0; k < p->meter; k++) push(&beats, beat[k]);
      }
      now += p->meter * bl;
    }
  }
  t->labels[nl] = '\0';
  if (snr_db < 1000) {
    double sq = 0;
    for (size_t i = 0; i < b.n; i++) sq += (double)b.x[i] * b.x[i];
    double nrms = sqrt(sq / (double)b.n) / pow(10.0, snr_db / 20.0);
    for (size_t i = 0; i < b.n; i++) b.x[i] += (float)(nrms * sqrt(3.0) * rnd(&b.r));
  }
  float peak = 0;
  for (size_t i = 0; i < b.n; i++) peak = fmaxf(peak, fabsf(b.x[i]));
  if (peak > 0)
    for (size_t i = 0; i < b.n; i++) b.x[i] *= 0.9f / peak;
  t->x = b.x;
  t->n = b.n;
  t->rate = RATE;
  t->beats = beats.v;
  t->nbeats = beats.n;
  t->downbeats = downs.v;
  t->ndown = downs.n;
  return 0;
}

static const char *const CASES[] = {
#define VSC_TEST_CASE(name) #name,
#include "synth_cases.def"
#undef VSC_TEST_CASE
    NULL};

const char *const *synth_cases(void) { return CASES; }

int synth_make(synth_track *t, const char *name) {
  memset(t, 0, sizeof *t);
  t->meter = 4;
  part p[16];
  extra px[16] = {{0, 0}};
  size_t np = 0;
  double snr = 1e9, lead = 0;
  int bpm = 0;
  if (sscanf(name, "click_%d", &bpm) == 1) {
    p[np++] = (part){bpm / 8 + 4, bpm, 4, ST_CLICK, NULL, 0, 0}; /* ~20-60 s */
    t->check_downbeats = 1;
  } else if (sscanf(name, "rock_%d", &bpm) == 1) {
    p[np++] = (part){bpm / 8 + 4, bpm, 4, ST_ROCK, PROG_A, 4, 0};
    t->check_downbeats = 1;
  } else if (sscanf(name, "waltz_%d", &bpm) == 1) {
    p[np++] = (part){bpm / 6 + 4, bpm, 3, ST_WALTZ, PROG_A, 4, 0};
    t->meter = 3;
    t->check_downbeats = 1;
  } else if (sscanf(name, "swing_%d", &bpm) == 1) {
    p[np++] = (part){bpm / 8 + 4, bpm, 4, ST_SWING, PROG_C, 4, 0};
    t->hard = 1;
  } else if (sscanf(name, "noise_%ddb", &bpm) == 1) {
    snr = bpm;
    bpm = 118;
    p[np++] = (part){16, bpm, 4, ST_ROCK, PROG_A, 4, 0};
    t->hard = 1;
  } else if (sscanf(name, "soft_%d", &bpm) == 1) {
    p[np++] = (part){bpm / 8 + 4, bpm, 4, ST_SOFT, PROG_A, 4, 0};
    t->hard = 1;
  } else if (strcmp(name, "tempo_change") == 0) {
    p[np++] = (part){10, 100, 4, ST_ROCK, PROG_A, 4, 0};
    p[np++] = (part){14, 132, 4, ST_ROCK, PROG_A, 4, 0};
    bpm = 0;
    t->hard = 1;
  } else if (strcmp(name, "tempo_ramp") == 0) {
    /* An accelerando: every bar 2 BPM faster, 96 -> 126 BPM. */
    for (int i = 0; i < 16; i++) p[np++] = (part){1, 96 + 2 * i, 4, ST_ROCK, PROG_A + i % 4, 1, 0};
    bpm = 0;
    t->hard = 1;
  } else if (strcmp(name, "silent_intro") == 0) {
    bpm = 120;
    p[np++] = (part){4, bpm, 4, ST_SILENT, NULL, 0, 0}; /* 8 s of digital silence */
    p[np++] = (part){12, bpm, 4, ST_ROCK, PROG_A, 4, 0};
    t->hard = 1;
  } else if (strcmp(name, "quiet_intro") == 0) {
    bpm = 112;
    p[np++] = (part){4, bpm, 4, ST_QUIET, PROG_A, 4, 0};
    p[np++] = (part){12, bpm, 4, ST_ROCK, PROG_A, 4, 0};
    t->hard = 1;
  } else if (strcmp(name, "sections_abab") == 0) {
    bpm = 120;
    for (int i = 0; i < 4; i++)
      p[np++] = i % 2 ? (part){8, bpm, 4, ST_BRIGHT, PROG_B, 4, 'B'} : (part){8, bpm, 4, ST_ROCK, PROG_A, 4, 'A'};
    t->check_downbeats = 1;
  } else if (strcmp(name, "sections_abcab") == 0) {
    bpm = 100;
    p[np++] = (part){8, bpm, 4, ST_ROCK, PROG_A, 4, 'A'};
    p[np++] = (part){8, bpm, 4, ST_BRIGHT, PROG_B, 4, 'B'};
    p[np++] = (part){8, bpm, 4, ST_SPARSE, PROG_C, 4, 'C'};
    p[np++] = (part){8, bpm, 4, ST_ROCK, PROG_A, 4, 'A'};
    p[np++] = (part){8, bpm, 4, ST_BRIGHT, PROG_B, 4, 'B'};
    t->hard = 1;
  } else if (strcmp(name, "sections_melody") == 0) {
    /* ABAB over one chord progression, one groove and one loudness: A and B differ only
     * in the tune of the lead. */
    bpm = 120;
    for (int i = 0; i < 4; i++)
      px[np].melody = 1 + i % 2, p[np++] = (part){8, bpm, 4, ST_ROCK, PROG_A, 4, i % 2 ? 'B' : 'A'};
    t->check_downbeats = 1;
  } else if (strcmp(name, "sections_fill") == 0) {
    /* ABAB, each section ending in a stop-time fill (the band stops, the drums roll) and
     * the next opening with a crash: the boundaries are the downbeats after the fills,
     * not the fill bars, where the sound changes first. */
    bpm = 110;
    for (int i = 0; i < 4; i++)
      px[np].fill = 1, p[np++] = i % 2 ? (part){8, bpm, 4, ST_ROCK, PROG_C, 4, 'B'}
                                       : (part){8, bpm, 4, ST_ROCK, PROG_A, 4, 'A'};
    t->check_downbeats = 1;
  } else if (strcmp(name, "kick_hats_128") == 0) {
    /* A 128 BPM loop, first kick at 0.25 s: kick on the beats, open hi-hats between them
     * (louder in the high bands than the kick); the snare joins at 19 s. The beats must
     * fall on the kicks all along. */
    bpm = 128;
    lead = 0.25;
    p[np++] = (part){10, bpm, 4, ST_HOUSE, NULL, 0, 0};
    p[np++] = (part){8, bpm, 4, ST_HOUSE_SN, NULL, 0, 0};
  } else if (strcmp(name, "song_4min") == 0) {
    /* ~4 minutes at 124 BPM: intro, verse, chorus, verse, chorus, bridge, chorus, outro. */
    bpm = 124;
    p[np++] = (part){8, bpm, 4, ST_QUIET, PROG_A, 4, 'I'};
    p[np++] = (part){16, bpm, 4, ST_ROCK, PROG_A, 4, 'V'};
    p[np++] = (part){16, bpm, 4, ST_BRIGHT, PROG_B, 4, 'C'};
    p[np++] = (part){16, bpm, 4, ST_ROCK, PROG_A, 4, 'V'};
    p[np++] = (part){16, bpm, 4, ST_BRIGHT, PROG_B, 4, 'C'};
    p[np++] = (part){16, bpm, 4, ST_SPARSE, PROG_C, 4, 'D'};
    p[np++] = (part){16, bpm, 4, ST_BRIGHT, PROG_B, 4, 'C'};
    p[np++] = (part){20, bpm, 4, ST_ROCK, PROG_A, 4, 'V'};
    t->hard = 1;
  } else {
    return -1;
  }
  t->tempo = bpm;
  uint32_t seed = 2463534242u;
  for (const char *c = name; *c; c++) seed = seed * 31 + (unsigned char)*c;
  if (render(t, p, px, np, snr, seed ? seed : 1, lead) < 0) return -1;
  /* Relabel the expected sections as A, B, C in order of first appearance. */
  char map[128] = {0}, next = 'A';
  for (char *c = t->labels; *c; c++) {
    if (!map[(unsigned char)*c]) map[(unsigned char)*c] = next++;
    *c = map[(unsigned char)*c];
  }
  return 0;
}

void synth_free(synth_track *t) {
  free(t->x);
  free(t->beats);
  free(t->downbeats);
  memset(t, 0, sizeof *t);
}

static void put_le(FILE *f, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; i++) fputc((int)((v >> (8 * i)) & 0xff), f);
}

int synth_write_wav(const synth_track *t, const char *path) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  uint32_t data = (uint32_t)(t->n * 4);
  fwrite("RIFF", 1, 4, f);
  put_le(f, 36 + data, 4);
  fwrite("WAVEfmt ", 1, 8, f);
  put_le(f, 16, 4);
  put_le(f, 1, 2); /* PCM */
  put_le(f, 2, 2); /* stereo: the decoder must downmix */
  put_le(f, (uint32_t)t->rate, 4);
  put_le(f, (uint32_t)t->rate * 4, 4);
  put_le(f, 4, 2);
  put_le(f, 16, 2);
  fwrite("data", 1, 4, f);
  put_le(f, data, 4);
  for (size_t i = 0; i < t->n; i++) {
    double v = t->x[i];
    long s = lround(v * 32767.0);
    if (s > 32767) s = 32767;
    if (s < -32768) s = -32768;
    put_le(f, (uint32_t)(uint16_t)(int16_t)s, 2);
    put_le(f, (uint32_t)(uint16_t)(int16_t)s, 2);
  }
  return fclose(f) == 0 ? 0 : -1;
}

double synth_fmeasure(const double *est, size_t nest, const double *ref, size_t nref, double tol) {
  if (nest == 0 || nref == 0) return nest == nref ? 1.0 : 0.0;
  size_t hit = 0, j = 0;
  /* Both sorted: greedy matching in order is optimal for a symmetric window. */
  for (size_t i = 0; i < nref; i++) {
    while (j < nest && est[j] < ref[i] - tol) j++;
    if (j < nest && fabs(est[j] - ref[i]) <= tol) {
      hit++;
      j++;
    }
  }
  double p = (double)hit / nest, r = (double)hit / nref;
  return p + r > 0 ? 2 * p * r / (p + r) : 0;
}
