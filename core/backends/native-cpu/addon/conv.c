// A conv's forward pass, dX and dW as register tiles of 8 by 16 or 32 values held in 16
// vector registers, where MLAS runs im2col GEMMs (dX: ConvTranspose, dW: one GEMM per tap
// with at most ci rows, repacking dy for each).
//
// Forward and dX: MR output pixels along a row by NV*16 output channels, broadcasting one
// input value per pixel against each row of the filter. Pixels whose every tap lies
// inside the input (the interior) go MR at a time; the edges one at a time with their
// taps checked. dX gathers: input pixel ix of a stride-s conv takes tap kx from output
// column (ix + left - kx) / s where that divides, so pixels of one phase (ix mod s) share
// their taps and take consecutive output columns.
//
// dW: MR input channels of one tap by NV*16 output channels, summed over blocks of output
// rows whose dy stays in cache while every tile of the filter passes over it.
//
// Threads split whole output rows (forward, dX) or whole filter tiles (dW): each value is
// computed by one thread in the same order, so the result does not depend on their number.
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4), may_alias));

static inline __attribute__((always_inline)) void fwd_tile(const float *restrict x, const float *restrict w, float *restrict y,
                                                           const struct conv *c, long n, long oy, long ox0, long co0,
                                                           const int MR, const int NV, const int check) {
  v16 acc[8][2];
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = (v16){0};
  const long step = c->sw * c->ci;
  for (long ky = 0; ky < c->kh; ky++) {
    long iy = oy * c->sh + ky - c->top;
    if (iy < 0 || iy >= c->h) continue;
    for (long kx = 0; kx < c->kw; kx++) {
      long ix = ox0 * c->sw + kx - c->left;
      if (check && (ix < 0 || ix >= c->w)) continue;
      const float *xp = x + ((n * c->h + iy) * c->w + ix) * c->ci;
      const float *wp = w + (ky * c->kw + kx) * c->ci * c->co + co0;
      for (long i = 0; i < c->ci; i++, wp += c->co) {
        v16 b[2];
        for (int v = 0; v < NV; v++) b[v] = *(const v16u *)(wp + v * 16);
        for (int r = 0; r < MR; r++) {
          const float s = xp[r * step + i];
          const v16 a = {s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s};
          for (int v = 0; v < NV; v++) acc[r][v] += a * b[v];
        }
      }
    }
  }
  float *out = y + ((n * c->oh + oy) * c->ow + ox0) * c->co + co0;
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) *(v16u *)(out + r * c->co + v * 16) = acc[r][v];
}

// dX's tile: MR input pixels ix0, ix0 + sw, ... of row iy, channels ci0.. of dx; wt is the
// filter as [kh, kw, co, ci].
static inline __attribute__((always_inline)) void dx_tile(const float *restrict dy, const float *restrict wt, float *restrict dx,
                                                          const struct conv *c, long n, long iy, long ix0, long ci0,
                                                          const int MR, const int NV, const int check) {
  v16 acc[8][2];
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = (v16){0};
  for (long ky = 0; ky < c->kh; ky++) {
    long ny = iy + c->top - ky;
    if (ny < 0 || ny % c->sh != 0 || ny / c->sh >= c->oh) continue;
    long oy = ny / c->sh;
    for (long kx = 0; kx < c->kw; kx++) {
      long nx = ix0 + c->left - kx;
      if (nx % c->sw != 0) continue;
      if (check && (nx < 0 || nx / c->sw >= c->ow)) continue;
      const float *dp = dy + ((n * c->oh + oy) * c->ow + nx / c->sw) * c->co;
      const float *wp = wt + (ky * c->kw + kx) * c->co * c->ci + ci0;
      for (long o = 0; o < c->co; o++, wp += c->ci) {
        v16 b[2];
        for (int v = 0; v < NV; v++) b[v] = *(const v16u *)(wp + v * 16);
        for (int r = 0; r < MR; r++) {
          const float s = dp[r * c->co + o];
          const v16 a = {s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s};
          for (int v = 0; v < NV; v++) acc[r][v] += a * b[v];
        }
      }
    }
  }
  float *out = dx + ((n * c->h + iy) * c->w + ix0) * c->ci + ci0;
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) *(v16u *)(out + r * c->sw * c->ci + v * 16) = acc[r][v];
}

#define TILE_CASE(f, mr, nv, ...) \
  case mr: f(__VA_ARGS__, mr, nv, 0); break;
#define TILE_SWITCH(f, nv, ...)                                                                               \
  switch (mr) {                                                                                               \
    TILE_CASE(f, 1, nv, __VA_ARGS__) TILE_CASE(f, 2, nv, __VA_ARGS__) TILE_CASE(f, 3, nv, __VA_ARGS__)      \
    TILE_CASE(f, 4, nv, __VA_ARGS__) TILE_CASE(f, 5, nv, __VA_ARGS__) TILE_CASE(f, 6, nv, __VA_ARGS__)      \
    TILE_CASE(f, 7, nv, __VA_ARGS__) TILE_CASE(f, 8, nv, __VA_ARGS__)                                        \
  }

static inline __attribute__((always_inline)) void dw_tile(const float *restrict x, const float *restrict dy, float *restrict dw,
                                                          const struct conv *c, long ky, long kx, long ci0, long co0,
                                                          long row0, long row1, const int MR, const int NV, const int unused) {
  (void)unused;
  v16 acc[8][2];  // fixed bounds, so that the inlined constant MR and NV keep it in registers
  float *out = dw + ((ky * c->kw + kx) * c->ci + ci0) * c->co + co0;
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = *(const v16u *)(out + r * c->co + v * 16);
  // Output columns whose tap falls inside the image: 0 <= ox*sw + kx - left < w.
  long lo = c->left - kx > 0 ? (c->left - kx + c->sw - 1) / c->sw : 0;
  long hi = (c->w - 1 + c->left - kx) / c->sw + 1;
  if (c->w - 1 + c->left - kx < 0) hi = 0;
  if (hi > c->ow) hi = c->ow;
  for (long row = row0; row < row1; row++) {
    long n = row / c->oh, oy = row % c->oh, iy = oy * c->sh + ky - c->top;
    if (iy < 0 || iy >= c->h) continue;
    const float *xp = x + ((n * c->h + iy) * c->w + (lo * c->sw + kx - c->left)) * c->ci + ci0;
    const float *dp = dy + (row * c->ow + lo) * c->co + co0;
    for (long ox = lo; ox < hi; ox++, xp += c->sw * c->ci, dp += c->co) {
      v16 b[NV];
      for (int v = 0; v < NV; v++) b[v] = *(const v16u *)(dp + v * 16);
      for (int r = 0; r < MR; r++) {
        const float s = xp[r];
        const v16 a = {s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s};
        for (int v = 0; v < NV; v++) acc[r][v] += a * b[v];
      }
    }
  }
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) *(v16u *)(out + r * c->co + v * 16) = acc[r][v];
}


// ---- The three kernels as jobs over a range of work items, split among threads. ----

struct job {
  const float *a, *b;
  float *out;
  const struct conv *c;
  const long *run;  // interior runs (forward: per output column; dX: per input column, within its phase)
  int nv;
};

typedef void (*job_fn)(const struct job *j, long begin, long end);

struct slice {
  job_fn fn;
  const struct job *j;
  long begin, end;
};

static void *run_slice(void *p) {
  const struct slice *s = p;
  s->fn(s->j, s->begin, s->end);
  return NULL;
}

// Items [0, count) in `threads` contiguous slices, the first on the calling thread.
static void parallel(job_fn fn, const struct job *j, long count, int threads) {
  if (threads > count) threads = (int)count;
  if (threads < 1) threads = 1;
  struct slice s[64];
  pthread_t t[64];
  if (threads > 64) threads = 64;
  int started = 0;
  for (int i = 0; i < threads; i++) s[i] = (struct slice){fn, j, count * i / threads, count * (i + 1) / threads};
  for (int i = 1; i < threads; i++)
    if (pthread_create(&t[i], NULL, run_slice, &s[i]) == 0) started = i;
    else break;
  // A slice whose thread did not start runs here, after the first.
  fn(j, s[0].begin, s[0].end);
  for (int i = started + 1; i < threads; i++) fn(j, s[i].begin, s[i].end);
  for (int i = 1; i <= started; i++) pthread_join(t[i], NULL);
}

// Forward: items are output rows (n, oy).
CLONES static void fwd_rows(const struct job *j, long begin, long end) {
  const struct conv *c = j->c;
  for (long row = begin; row < end; row++) {
    long n = row / c->oh, oy = row % c->oh;
    for (long co0 = 0; co0 < c->co; co0 += 16 * j->nv)
      for (long ox = 0; ox < c->ow;) {
        if (!j->run[ox]) {
          if (j->nv == 2) fwd_tile(j->a, j->b, j->out, c, n, oy, ox, co0, 1, 2, 1);
          else fwd_tile(j->a, j->b, j->out, c, n, oy, ox, co0, 1, 1, 1);
          ox++;
          continue;
        }
        int mr = j->run[ox] < 8 ? (int)j->run[ox] : 8;
        if (j->nv == 2) { TILE_SWITCH(fwd_tile, 2, j->a, j->b, j->out, c, n, oy, ox, co0) }
        else { TILE_SWITCH(fwd_tile, 1, j->a, j->b, j->out, c, n, oy, ox, co0) }
        ox += mr;
      }
  }
}

// dX: items are input rows (n, iy).
CLONES static void dx_rows(const struct job *j, long begin, long end) {
  const struct conv *c = j->c;
  for (long row = begin; row < end; row++) {
    long n = row / c->h, iy = row % c->h;
    for (long ci0 = 0; ci0 < c->ci; ci0 += 16 * j->nv)
      for (long p = 0; p < c->sw && p < c->w; p++)
        for (long ix = p; ix < c->w;) {
          if (!j->run[ix]) {
            if (j->nv == 2) dx_tile(j->a, j->b, j->out, c, n, iy, ix, ci0, 1, 2, 1);
            else dx_tile(j->a, j->b, j->out, c, n, iy, ix, ci0, 1, 1, 1);
            ix += c->sw;
            continue;
          }
          int mr = j->run[ix] < 8 ? (int)j->run[ix] : 8;
          if (j->nv == 2) { TILE_SWITCH(dx_tile, 2, j->a, j->b, j->out, c, n, iy, ix, ci0) }
          else { TILE_SWITCH(dx_tile, 1, j->a, j->b, j->out, c, n, iy, ix, ci0) }
          ix += mr * c->sw;
        }
  }
}

// dW: items are filter tiles (output-channel block, tap, 8 input channels), each summed
// over every block of about 256 output pixels (their dy rows, up to 64 KB at 64
// channels, stay in L2; a tile's in L1) in order.
CLONES static void dw_tiles(const struct job *j, long begin, long end) {
  const struct conv *c = j->c;
  const long taps = c->kh * c->kw, ciBlocks = (c->ci + 7) / 8;
  const long rows = c->ow >= 256 ? 1 : 256 / c->ow, total = c->n * c->oh;
  for (long row0 = 0; row0 < total; row0 += rows) {
    long row1 = row0 + rows < total ? row0 + rows : total;
    for (long t = begin; t < end; t++) {
      long co0 = t / (taps * ciBlocks) * 16 * j->nv, tap = t / ciBlocks % taps, ci0 = t % ciBlocks * 8;
      long ky = tap / c->kw, kx = tap % c->kw;
      int mr = c->ci - ci0 < 8 ? (int)(c->ci - ci0) : 8;
      if (j->nv == 2) { TILE_SWITCH(dw_tile, 2, j->a, j->b, j->out, c, ky, kx, ci0, co0, row0, row1) }
      else { TILE_SWITCH(dw_tile, 1, j->a, j->b, j->out, c, ky, kx, ci0, co0, row0, row1) }
    }
  }
}

// Runs of interior pixels: run[i] is how many pixels from i on (i, i + step, ...) are
// interior, 0 for an edge pixel; one pass per phase i mod step.
static void interior_runs(const char *inner, long count, long step, long *run) {
  for (long p = 0; p < step && p < count; p++) {
    long len = 0;
    for (long i = p + ((count - 1 - p) / step) * step; i >= p; i -= step) run[i] = len = inner[i] ? len + 1 : 0;
  }
}

int conv_fwd(const float *x, const float *w, float *y, const struct conv *c, int threads) {
  char *inner = malloc((size_t)c->ow);
  long *run = malloc((size_t)c->ow * sizeof(long));
  if (!inner || !run) return free(inner), free(run), 0;
  for (long ox = 0; ox < c->ow; ox++) inner[ox] = ox * c->sw - c->left >= 0 && ox * c->sw - c->left + c->kw - 1 < c->w;
  interior_runs(inner, c->ow, 1, run);
  const struct job j = {x, w, y, c, run, c->co % 32 == 0 ? 2 : 1};
  parallel(fwd_rows, &j, c->n * c->oh, threads);
  free(inner);
  free(run);
  return 1;
}

int conv_dx(const float *dy, const float *w, float *dx, const struct conv *c, int threads) {
  const long taps = c->kh * c->kw;
  float *wt = malloc((size_t)(taps * c->ci * c->co) * sizeof(float));
  char *inner = malloc((size_t)c->w);
  long *run = malloc((size_t)c->w * sizeof(long));
  if (!wt || !inner || !run) return free(wt), free(inner), free(run), 0;
  // [kh, kw, ci, co] -> [kh, kw, co, ci]: dx's channels contiguous.
  for (long t = 0; t < taps; t++)
    for (long i = 0; i < c->ci; i++)
      for (long o = 0; o < c->co; o++) wt[(t * c->co + o) * c->ci + i] = w[(t * c->ci + i) * c->co + o];
  // An input column is interior when each tap it takes comes from a column of dy.
  for (long ix = 0; ix < c->w; ix++) {
    inner[ix] = 1;
    for (long kx = 0; kx < c->kw; kx++) {
      long nx = ix + c->left - kx;
      if (nx % c->sw == 0 && (nx < 0 || nx / c->sw >= c->ow)) inner[ix] = 0;
    }
  }
  interior_runs(inner, c->w, c->sw, run);
  const struct job j = {dy, wt, dx, c, run, c->ci % 32 == 0 ? 2 : 1};
  parallel(dx_rows, &j, c->n * c->h, threads);
  free(wt);
  free(inner);
  free(run);
  return 1;
}

int conv_dw(const float *x, const float *dy, float *dw, const struct conv *c, int threads) {
  memset(dw, 0, (size_t)(c->kh * c->kw * c->ci * c->co) * sizeof(float));
  const int nv = c->co % 32 == 0 ? 2 : 1;
  const struct job j = {x, dy, dw, c, NULL, nv};
  parallel(dw_tiles, &j, c->co / (16 * nv) * c->kh * c->kw * ((c->ci + 7) / 8), threads);
  return 1;
}
