/*
** Audio stage: features. One pass of aubio's FFT and mel filterbank gives the
** onset-strength (novelty) curve the tempo and beat steps work on; aubio's HFC descriptor
** and peak picker on the same spectra give note onsets; a longer FFT gives chroma; the
** log-mel spectrum gives timbre (cepstra). Everything else is built on these curves.
*/
#include <aubio/aubio.h>
#include <aubio/onset/peakpicker.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "au_beatnet.h"
#include "au_features.h"
#include "au_util.h"
#include "vsc/vsc_audio.h"

#define WIN 1024  /* onset analysis window: 46 ms at 22050 Hz */
#define HOP 256   /* onset frame hop: 11.6 ms, fine enough for +-70 ms beat tolerance */
#define NMEL 40   /* mel bands: equal weight per band keeps hi-hats from dominating */
#define NLOW 4    /* mel bands below ~200 Hz (kick drum, bass) */
#define NBODY 22  /* mel bands below ~2.5 kHz: drums' bodies and notes, not cymbals */
#define SWIN 4096 /* chroma window: 5.4 Hz bins resolve semitones down to ~90 Hz */
#define SHOP 2048
/* Flux level (sum of log-energy increments over the bands, per frame) below which a
 * stretch counts as steady sound or silence: its flicker is not rhythm. */
#define ABS_FLOOR 0.05
/* Share of the beat model's activation in the curve that tempo and beats follow; the rest
 * is the onset strength, which keeps the grid on the attacks where the model is unsure
 * (0.9 scored best of 0.5, 0.7, 0.9 and 1.0 on the song set of docs/beats.md). */
#define PULSE_ACT 0.9
#define GAMMA 100.0 /* log compression: log(1 + GAMMA * E / mean E) gates ~-20 dB */
/* Measured delay between an onset and the peak of its spectral flux with this window
 * (see docs/beats.md, "latency"). Subtracted from every frame time. */
#define LATENCY (-0.009)

/* A short-time Fourier transform that keeps only magnitudes: aubio's phase vocoder also
 * computes every bin's phase (an atan2 each), which the analysis never uses. Same window
 * ("hanningz") and framing as aubio_pvoc: each call shifts in one hop. */
typedef struct {
  size_t win, hop;
  fvec_t *buf; /* the last `win` samples */
  fvec_t *window;
  fvec_t *frame; /* windowed copy */
  fvec_t *comp;  /* FFTW half-complex spectrum */
  aubio_fft_t *fft;
} stft;

static void stft_del(stft *s) {
  if (s->buf) del_fvec(s->buf);
  if (s->window) del_fvec(s->window);
  if (s->frame) del_fvec(s->frame);
  if (s->comp) del_fvec(s->comp);
  if (s->fft) del_aubio_fft(s->fft);
}

static int stft_new(stft *s, size_t win, size_t hop) {
  memset(s, 0, sizeof *s);
  s->win = win;
  s->hop = hop;
  s->buf = new_fvec((uint_t)win);
  s->window = new_aubio_window("hanningz", (uint_t)win);
  s->frame = new_fvec((uint_t)win);
  s->comp = new_fvec((uint_t)win);
  s->fft = new_aubio_fft((uint_t)win);
  if (!s->buf || !s->window || !s->frame || !s->comp || !s->fft) {
    stft_del(s);
    return -1;
  }
  return 0;
}

/* Shifts in `hop` samples from x (zeros past n) and writes the magnitudes into spec. */
static void stft_do(stft *s, const float *x, size_t n, cvec_t *spec) {
  float *b = s->buf->data;
  memmove(b, b + s->hop, (s->win - s->hop) * sizeof *b);
  for (size_t k = 0; k < s->hop; k++) b[s->win - s->hop + k] = k < n ? x[k] : 0.0f;
  for (size_t k = 0; k < s->win; k++) s->frame->data[k] = b[k] * s->window->data[k];
  aubio_fft_do_complex(s->fft, s->frame, s->comp);
  aubio_fft_get_norm(s->comp, spec);
}

/* aubio's mel filterbank applied sparsely: each triangle touches a few bins only. */
typedef struct {
  size_t lo[NMEL], hi[NMEL]; /* nonzero bins [lo, hi) of each band */
} sparse_bank;

static void bank_init(sparse_bank *sb, aubio_filterbank_t *fb) {
  fmat_t *c = aubio_filterbank_get_coeffs(fb);
  for (size_t b = 0; b < NMEL; b++) {
    const smpl_t *row = c->data[b];
    size_t lo = 0, hi = c->length;
    while (lo < hi && row[lo] == 0) lo++;
    while (hi > lo && row[hi - 1] == 0) hi--;
    sb->lo[b] = lo;
    sb->hi[b] = hi;
  }
}

static void bank_do(const sparse_bank *sb, aubio_filterbank_t *fb, const cvec_t *spec,
                    float *out) {
  fmat_t *c = aubio_filterbank_get_coeffs(fb);
  for (size_t b = 0; b < NMEL; b++) {
    const smpl_t *row = c->data[b];
    double acc = 0;
    for (size_t k = sb->lo[b]; k < sb->hi[b]; k++) acc += row[k] * spec->norm[k];
    out[b] = (float)acc;
  }
}

/* Note onsets with aubio's "default" (high-frequency content) method, fed from the shared
 * FFT instead of a second phase vocoder: log magnitudes (lambda 1), aubio's HFC
 * descriptor and adaptive peak picker (threshold 0.058), a -70 dB silence gate, at least
 * 50 ms between onsets, and the picker's delay (4.3 hops) taken off the times. */
typedef struct {
  aubio_specdesc_t *hfc;
  aubio_peakpicker_t *pp;
  fvec_t *desc, *out;
  double delay;  /* seconds */
  double minioi; /* seconds */
  double last;   /* time of the last onset, or -1 */
} onset_picker;

static void picker_del(onset_picker *p) {
  if (p->hfc) del_aubio_specdesc(p->hfc);
  if (p->pp) del_aubio_peakpicker(p->pp);
  if (p->desc) del_fvec(p->desc);
  if (p->out) del_fvec(p->out);
}

static int picker_new(onset_picker *p, int rate) {
  memset(p, 0, sizeof *p);
  p->hfc = new_aubio_specdesc("hfc", WIN);
  p->pp = new_aubio_peakpicker();
  p->desc = new_fvec(1);
  p->out = new_fvec(1);
  if (!p->hfc || !p->pp || !p->desc || !p->out) {
    picker_del(p);
    return -1;
  }
  aubio_peakpicker_set_threshold(p->pp, 0.058f);
  p->delay = 4.3 * HOP / rate;
  p->minioi = 0.050;
  p->last = -1;
  return 0;
}

/* Frame starting at sample `start` (block `in`, magnitudes `spec`, which are log-compressed
 * in place). Returns the onset time or -1. */
static double picker_do(onset_picker *p, cvec_t *spec, const fvec_t *in, size_t start, int rate) {
  cvec_logmag(spec, 1.0f);
  aubio_specdesc_do(p->hfc, spec, p->desc);
  aubio_peakpicker_do(p->pp, p->desc, p->out);
  double pos = p->out->data[0];
  if (pos <= 0 || aubio_silence_detection(in, -70.0f) == 1) return -1;
  double t = ((double)start + round(pos * HOP)) / rate - p->delay;
  if (t < 0) t = 0;
  if (p->last >= 0 && t < p->last + p->minioi) return -1;
  p->last = t;
  return t;
}

/* Moving average of v over [i-w, i+w] into out (both n long). */
static void moving_mean(const float *v, float *out, size_t n, size_t w) {
  double acc = 0;
  size_t lo = 0, hi = 0; /* window is [lo, hi) */
  for (size_t i = 0; i < n; i++) {
    size_t want_hi = i + w + 1 < n ? i + w + 1 : n;
    size_t want_lo = i > w ? i - w : 0;
    while (hi < want_hi) acc += v[hi++];
    while (lo < want_lo) acc -= v[lo++];
    out[i] = (float)(acc / (double)(hi - lo));
  }
}

/* Removes the slow trend of a flux curve, half-wave rectifies, and normalises it by its
 * local level so that a quiet intro still shows its beats; `floor_frac` of the global level
 * keeps near-silence from being blown up. The result has unit mean. */
static int normalise_novelty(float *v, size_t n, double fps, double floor_frac) {
  if (n == 0) return 0;
  float *tmp = malloc(n * sizeof *tmp);
  if (!tmp) return -1;
  moving_mean(v, tmp, n, (size_t)(0.5 * fps));
  double sq = 0;
  for (size_t i = 0; i < n; i++) {
    float d = v[i] - tmp[i];
    v[i] = d > 0 ? d : 0;
    sq += (double)v[i] * v[i];
  }
  double global = sqrt(sq / (double)n);
  if (global <= 0) {
    free(tmp);
    return 0;
  }
  for (size_t i = 0; i < n; i++) tmp[i] = v[i] * v[i];
  float *loc = malloc(n * sizeof *loc);
  if (!loc) {
    free(tmp);
    return -1;
  }
  moving_mean(tmp, loc, n, (size_t)(3.0 * fps));
  double sum = 0;
  for (size_t i = 0; i < n; i++) {
    /* The running mean of a loud stretch can leave a rounding error just below zero on the
     * digital silence after it: its square root was NaN, which no floor caught. */
    double level = loc[i] > 0 ? sqrt(loc[i]) : 0;
    if (level < floor_frac * global) level = floor_frac * global;
    if (level < ABS_FLOOR) level = ABS_FLOOR;
    v[i] = (float)(v[i] / level);
    sum += v[i];
  }
  double mean = sum / (double)n;
  if (mean > 0)
    for (size_t i = 0; i < n; i++) v[i] = (float)(v[i] / mean);
  free(loc);
  free(tmp);
  return 0;
}

/* Pitch class of FFT bin k of an SWIN-point transform, or -1 outside 60..5000 Hz. */
static int bin_pitch_class(size_t k, int rate) {
  double f = (double)k * rate / SWIN;
  if (f < 60.0 || f > 5000.0) return -1;
  long midi = lround(69.0 + 12.0 * log2(f / 440.0));
  return (int)(((midi % 12) + 12) % 12);
}

void vsc_audio_features_free(au_features *f) {
  free(f->onset);
  free(f->low);
  free(f->body);
  free(f->groups);
  free(f->act);
  free(f->pulse);
  free(f->rms);
  free(f->chroma);
  free(f->upper);
  free(f->ceps);
  free(f->onsets);
  memset(f, 0, sizeof *f);
}

int vsc_audio_features(au_features *f, const float *x, size_t n, int rate, char *err,
                       size_t errlen) {
  memset(f, 0, sizeof *f);
  f->duration = (double)n / rate;
  f->n = (n + HOP - 1) / HOP;
  f->fps = (double)rate / HOP;
  /* Frame i's window ends at sample (i+1)*HOP; its centre is WIN/2 earlier. */
  f->t0 = (double)(HOP - WIN / 2) / rate - LATENCY;
  f->ns = (n + SHOP - 1) / SHOP;
  f->sfps = (double)rate / SHOP;

  int rc = -1;
  float *mel = NULL;
  size_t onset_cap = 0;
  stft pv = {0}, spv = {0};
  sparse_bank sb;
  aubio_filterbank_t *fb = NULL;
  onset_picker op = {0};
  fvec_t *in = NULL;
  cvec_t *spec = NULL, *sspec = NULL;
  float *count = NULL;

  if (f->n > ((size_t)1 << 32)) { /* ~1.5 years of audio: also bounds the sizes below */
    vsc_audio_set_err(err, errlen, "audio analysis: input too long");
    return -1;
  }
  f->onset = calloc(f->n ? f->n : 1, sizeof *f->onset);
  f->low = calloc(f->n ? f->n : 1, sizeof *f->low);
  f->body = calloc(f->n ? f->n : 1, sizeof *f->body);
  f->groups = calloc((f->n ? f->n : 1) * AU_NGROUP, sizeof *f->groups);
  f->rms = calloc(f->n ? f->n : 1, sizeof *f->rms);
  f->chroma = calloc((f->ns ? f->ns : 1) * AU_NCHROMA, sizeof *f->chroma);
  f->upper = calloc((f->ns ? f->ns : 1) * AU_NCHROMA, sizeof *f->upper);
  f->ceps = calloc((f->ns ? f->ns : 1) * AU_NCEP, sizeof *f->ceps);
  mel = malloc((f->n ? f->n : 1) * NMEL * sizeof *mel);
  count = calloc(f->ns ? f->ns : 1, sizeof *count);
  if (!f->onset || !f->low || !f->body || !f->groups || !f->rms || !f->chroma || !f->upper || !f->ceps || !mel || !count) goto oom;

  int stft_ok = stft_new(&pv, WIN, HOP) == 0 && stft_new(&spv, SWIN, SHOP) == 0;
  fb = new_aubio_filterbank(NMEL, WIN);
  int op_ok = picker_new(&op, rate) == 0;
  in = new_fvec(HOP);
  spec = new_cvec(WIN);
  sspec = new_cvec(SWIN);
  if (!stft_ok || !op_ok || !fb || !in || !spec || !sspec) {
    vsc_audio_set_err(err, errlen, "aubio: cannot allocate the analysis objects");
    goto done;
  }
  aubio_filterbank_set_mel_coeffs(fb, (smpl_t)rate, 30.0f, 10000.0f);
  bank_init(&sb, fb);

  /* Pass 1: onset frames. */
  double band_sum = 0;
  for (size_t i = 0; i < f->n; i++) {
    size_t off = i * HOP;
    size_t m = n - off < HOP ? n - off : HOP;
    double sq = 0;
    for (size_t k = 0; k < HOP; k++) {
      float s = k < m ? x[off + k] : 0.0f;
      in->data[k] = s;
      sq += (double)s * s;
    }
    f->rms[i] = (float)sqrt(sq / HOP);
    stft_do(&pv, x + off, m, spec);
    float *row = mel + i * NMEL;
    bank_do(&sb, fb, spec, row);
    for (size_t b = 0; b < NMEL; b++) band_sum += row[b];
    double onset_t = picker_do(&op, spec, in, off, rate); /* after the bank: logmag */
    if (onset_t >= 0) {
      if (f->nonsets == onset_cap) {
        size_t cap = onset_cap ? onset_cap * 2 : 256;
        double *p = realloc(f->onsets, cap * sizeof *p);
        if (!p) goto oom;
        f->onsets = p;
        onset_cap = cap;
      }
      f->onsets[f->nonsets++] = onset_t;
    }
  }

  /* Log compression relative to the song's own level, then flux per band. */
  double mean_band = f->n ? band_sum / ((double)f->n * NMEL) : 0;
  double lambda = mean_band > 0 ? GAMMA / mean_band : 0;
  for (size_t i = 0; i < f->n * NMEL; i++) mel[i] = (float)log1p(lambda * mel[i]);
  for (size_t i = 1; i < f->n; i++) {
    const float *cur = mel + i * NMEL, *prev = cur - NMEL;
    double flux = 0, low = 0, body = 0;
    for (size_t b = 0; b < NMEL; b++) {
      float d = cur[b] - prev[b];
      if (d > 0) {
        flux += d;
        if (b < NLOW) low += d;
        if (b < NBODY) body += d;
      }
    }
    f->onset[i] = (float)flux;
    f->low[i] = (float)low;
    f->body[i] = (float)body;
    for (size_t g = 0; g < AU_NGROUP; g++) {
      double acc = 0;
      for (size_t b = g * (NMEL / AU_NGROUP); b < (g + 1) * (NMEL / AU_NGROUP); b++)
        if (cur[b] > prev[b]) acc += cur[b] - prev[b];
      f->groups[i * AU_NGROUP + g] = (float)acc;
    }
  }
  /* The beat model sees each group's flux relative to its mean over the song (a
   * loudness-free picture of which registers move when), log-compressed. */
  for (size_t g = 0; g < AU_NGROUP; g++) {
    double m = 0;
    for (size_t i = 0; i < f->n; i++) m += f->groups[i * AU_NGROUP + g];
    m = f->n ? m / (double)f->n : 0;
    for (size_t i = 0; i < f->n; i++) {
      float *v = &f->groups[i * AU_NGROUP + g];
      *v = m > 1e-6 ? (float)log1p(*v / m) : 0.0f;
    }
  }
  if (normalise_novelty(f->onset, f->n, f->fps, 0.05) < 0 ||
      normalise_novelty(f->low, f->n, f->fps, 0.05) < 0 ||
      normalise_novelty(f->body, f->n, f->fps, 0.05) < 0)
    goto oom;

  /* The beat model's activation, scaled to unit mean like the onset curve. */
  f->act = malloc((f->n ? f->n : 1) * sizeof *f->act);
  if (!f->act) goto oom;
  if (vsc_audio_beatnet(f, f->act) != 0) {
    memcpy(f->act, f->onset, f->n * sizeof *f->act);
  } else {
    /* The network saturates near 1 on beats and often on strong off-beats too; the fourth
     * power keeps the dynamic programme from trading a sure beat for a loud off-beat. */
    for (size_t i = 0; i < f->n; i++) {
      float a2 = f->act[i] * f->act[i];
      f->act[i] = a2 * a2;
    }
    double sum = 0;
    for (size_t i = 0; i < f->n; i++) sum += f->act[i];
    if (sum > 0)
      for (size_t i = 0; i < f->n; i++) f->act[i] = (float)(f->act[i] * (double)f->n / sum);
  }

  f->pulse = malloc((f->n ? f->n : 1) * sizeof *f->pulse);
  if (!f->pulse) goto oom;
  for (size_t i = 0; i < f->n; i++)
    f->pulse[i] = (float)((1 - PULSE_ACT) * f->onset[i] + PULSE_ACT * f->act[i]);

  /* Timbre: the mean log-mel spectrum around each slow frame, as cepstral coefficients. */
  float *melmean = calloc((f->ns ? f->ns : 1) * NMEL, sizeof *melmean);
  if (!melmean) goto oom;
  for (size_t i = 0; i < f->n; i++) {
    double t = (double)i / f->fps + f->t0 + LATENCY;
    long j = lround(t * f->sfps);
    if (j < 0) j = 0;
    if ((size_t)j >= f->ns) j = (long)f->ns - 1;
    if (j < 0) continue;
    for (size_t b = 0; b < NMEL; b++) melmean[(size_t)j * NMEL + b] += mel[i * NMEL + b];
    count[j] += 1;
  }
  for (size_t j = 0; j < f->ns; j++) {
    float *mm = melmean + j * NMEL;
    if (count[j] > 0)
      for (size_t b = 0; b < NMEL; b++) mm[b] /= count[j];
    for (size_t c = 0; c < AU_NCEP; c++) {
      double acc = 0;
      for (size_t b = 0; b < NMEL; b++)
        acc += mm[b] * cos(M_PI * (double)(c + 1) * ((double)b + 0.5) / NMEL);
      f->ceps[j * AU_NCEP + c] = (float)acc;
    }
  }
  free(melmean);

  /* Pass 2: chroma from a longer window. */
  int pcs[SWIN / 2 + 1];
  for (size_t k = 0; k <= SWIN / 2; k++) pcs[k] = bin_pitch_class(k, rate);
  size_t khi = (size_t)ceil(500.0 * SWIN / rate); /* the melody's register (C5: 523 Hz) */
  for (size_t j = 0; j < f->ns; j++) {
    size_t off = j * SHOP;
    size_t m = n - off < SHOP ? n - off : SHOP;
    stft_do(&spv, x + off, m, sspec);
    /* The window ending at (j+1)*SHOP is centred on j*SHOP: slow frame j. */
    float *ch = f->chroma + j * AU_NCHROMA, *hi = f->upper + j * AU_NCHROMA;
    for (size_t k = 0; k <= SWIN / 2; k++)
      if (pcs[k] >= 0) ch[pcs[k]] += sspec->norm[k] * sspec->norm[k];
    /* The upper register alone: a new melody over the same chords shows here (the
     * section descriptors read it, secfeat.c). */
    for (size_t k = khi; k <= SWIN / 2; k++)
      if (pcs[k] >= 0) hi[pcs[k]] += sspec->norm[k] * sspec->norm[k];
  }
  rc = 0;
  goto done;
oom:
  vsc_audio_set_err(err, errlen, "audio analysis: out of memory");
done:
  if (rc < 0) vsc_audio_features_free(f);
  free(mel);
  free(count);
  stft_del(&pv);
  stft_del(&spv);
  if (fb) del_aubio_filterbank(fb);
  picker_del(&op);
  if (in) del_fvec(in);
  if (spec) del_cvec(spec);
  if (sspec) del_cvec(sspec);
  return rc;
}
