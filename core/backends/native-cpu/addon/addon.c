// native-cpu's own CPU kernels: batch norm's training forward and backward and SGD with
// momentum and weight decay, each fused into one or two passes, and a conv's filter
// gradient (dW) as register tiles; each over Float32Arrays that view the wasm heap (read
// and written in place). Single-threaded and in a fixed order, so a run
// is bit-exact on one machine. Statistics accumulate in double: one pass gives the sum
// and the sum of squares without the cancellation that float would suffer.
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

// One build for every x86-64 CPU, specialised at load time for the one it runs on.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

// y = [relu](x*k + bias) per channel, with the batch's mean and rstd written out,
// and the running statistics updated (PyTorch: unbiased variance, momentum mom).
CLONES static void bn_forward(const float *x, size_t m, size_t c, const float *gamma, const float *beta,
                              const float *run_mean, const float *run_var, float mom, float eps, int relu,
                              float *y, float *mean_out, float *rstd_out, float *run_mean_out, float *run_var_out,
                              double *acc) {
  double *s = acc, *ss = acc + c;
  memset(acc, 0, 2 * c * sizeof(double));
  for (size_t r = 0; r < m; r++) {
    const float *row = x + r * c;
    for (size_t j = 0; j < c; j++) {
      double v = row[j];
      s[j] += v;
      ss[j] += v * v;
    }
  }
  float *k = (float *)(acc + 2 * c), *bias = k + c;
  for (size_t j = 0; j < c; j++) {
    double mean = s[j] / (double)m;
    double var = ss[j] / (double)m - mean * mean;
    if (var < 0) var = 0;
    double rstd = 1.0 / sqrt(var + (double)eps);
    double g = gamma ? gamma[j] : 1.0;
    k[j] = (float)(g * rstd);
    bias[j] = (float)((beta ? beta[j] : 0.0) - mean * g * rstd);
    mean_out[j] = (float)mean;
    rstd_out[j] = (float)rstd;
    double unbiased = var * (double)m / (double)(m > 1 ? m - 1 : 1);
    run_mean_out[j] = (float)((1.0 - mom) * run_mean[j] + mom * mean);
    run_var_out[j] = (float)((1.0 - mom) * run_var[j] + mom * unbiased);
  }
  for (size_t r = 0; r < m; r++) {
    const float *row = x + r * c;
    float *out = y + r * c;
    if (relu) {
      for (size_t j = 0; j < c; j++) {
        float v = row[j] * k[j] + bias[j];
        out[j] = v > 0.0f ? v : 0.0f;
      }
    } else {
      for (size_t j = 0; j < c; j++) out[j] = row[j] * k[j] + bias[j];
    }
  }
}

// With g = dy masked by y > 0 (relu), x-hat = (x - mean) * rstd and k = gamma * rstd:
// dbeta = sum g, dgamma = sum g * x-hat, dx = k * (g - dbeta/m - x-hat * dgamma/m).
// The mask is a multiply by 0 or 1 so that both loops vectorise.
static inline void bn_backward_sums(const float *restrict dy, const float *restrict x, const float *restrict y, size_t m,
                                    size_t c, const float *restrict mean, double *restrict sg, double *restrict sgx) {
  for (size_t r = 0; r < m; r++) {
    const float *restrict d = dy + r * c, *restrict xr = x + r * c, *restrict yr = y ? y + r * c : d;
    for (size_t j = 0; j < c; j++) {
      float g = y ? d[j] * (float)(yr[j] > 0.0f) : d[j];
      sg[j] += (double)g;
      sgx[j] += (double)(g * (xr[j] - mean[j]));
    }
  }
}

static inline void bn_backward_dx(const float *restrict dy, const float *restrict x, const float *restrict y, size_t m,
                                  size_t c, const float *restrict mean, const float *restrict k, const float *restrict a,
                                  const float *restrict b, float *restrict dx) {
  for (size_t r = 0; r < m; r++) {
    const float *restrict d = dy + r * c, *restrict xr = x + r * c, *restrict yr = y ? y + r * c : d;
    float *restrict out = dx + r * c;
    for (size_t j = 0; j < c; j++) {
      float g = y ? d[j] * (float)(yr[j] > 0.0f) : d[j];
      out[j] = g * k[j] + (xr[j] - mean[j]) * b[j] + a[j];
    }
  }
}

CLONES static void bn_backward(const float *dy, const float *x, const float *y, size_t m, size_t c,
                               const float *mean, const float *rstd, const float *gamma,
                               float *dx, float *dgamma, float *dbeta, double *acc) {
  double *sg = acc, *sgx = acc + c;
  memset(acc, 0, 2 * c * sizeof(double));
  if (y) bn_backward_sums(dy, x, y, m, c, mean, sg, sgx);
  else bn_backward_sums(dy, x, NULL, m, c, mean, sg, sgx);
  float *k = (float *)(acc + 2 * c), *a = k + c, *b = a + c;
  for (size_t j = 0; j < c; j++) {
    double rs = rstd[j];
    double kj = (gamma ? gamma[j] : 1.0) * rs;
    double dg = sgx[j] * rs;
    if (dgamma) dgamma[j] = (float)dg;
    if (dbeta) dbeta[j] = (float)sg[j];
    k[j] = (float)kj;
    a[j] = (float)(-kj * sg[j] / (double)m);
    b[j] = (float)(-kj * rs * dg / (double)m);
  }
  if (y) bn_backward_dx(dy, x, y, m, c, mean, k, a, b, dx);
  else bn_backward_dx(dy, x, NULL, m, c, mean, k, a, b, dx);
}

// accum' = mom * accum + (g + wd * w); w' = w - lr * accum' (PyTorch's SGD, no dampening).
CLONES static void sgd(const float *restrict w, const float *restrict g, const float *restrict accum, size_t n, float lr,
                       float mom, float wd, float *restrict w_out, float *restrict accum_out) {
  for (size_t i = 0; i < n; i++) {
    float a = mom * accum[i] + (g[i] + wd * w[i]);
    accum_out[i] = a;
    w_out[i] = w[i] - lr * a;
  }
}

// dW of an NHWC conv (dilation 1): dW[ky, kx, ci, co] = sum over pixels of
// x[n, oy*sh + ky - top, ox*sw + kx - left, ci] * dy[n, oy, ox, co], as register tiles of
// MR input channels by NV*16 output channels, over blocks of output rows whose dy stays
// in L1 while every tile of the filter passes over it. MLAS runs this as one GEMM per
// tap with at most ci rows (3 to 64 in the conv net), repacking dy for each.
typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4), may_alias));

struct conv {
  long n, h, w, ci, oh, ow, co, kh, kw, sh, sw, top, left;
};

static inline __attribute__((always_inline)) void dw_tile(const float *restrict x, const float *restrict dy, float *restrict dw,
                                                          const struct conv *c, long ky, long kx, long ci0, long co0,
                                                          long row0, long row1, const int MR, const int NV) {
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

#define DW_TILE_CASE(mr, nv) \
  case mr: dw_tile(x, dy, dw, c, ky, kx, ci0, co0, row0, row1, mr, nv); break;
#define DW_TILE_SWITCH(nv) \
  switch (mr) { DW_TILE_CASE(1, nv) DW_TILE_CASE(2, nv) DW_TILE_CASE(3, nv) DW_TILE_CASE(4, nv) \
                DW_TILE_CASE(5, nv) DW_TILE_CASE(6, nv) DW_TILE_CASE(7, nv) DW_TILE_CASE(8, nv) }

CLONES static void conv_dw(const float *x, const float *dy, float *dw, const struct conv *c) {
  memset(dw, 0, (size_t)(c->kh * c->kw * c->ci * c->co) * sizeof(float));
  const int nv = c->co % 32 == 0 ? 2 : 1;
  // About 256 output pixels a block: their dy rows (up to 64 KB at 64 channels) stay in L2, a tile's in L1.
  long rows = c->ow >= 256 ? 1 : 256 / c->ow;
  long total = c->n * c->oh;
  for (long row0 = 0; row0 < total; row0 += rows) {
    long row1 = row0 + rows < total ? row0 + rows : total;
    for (long co0 = 0; co0 < c->co; co0 += 16 * nv)
      for (long ky = 0; ky < c->kh; ky++)
        for (long kx = 0; kx < c->kw; kx++)
          for (long ci0 = 0; ci0 < c->ci; ci0 += 8) {
            int mr = c->ci - ci0 < 8 ? (int)(c->ci - ci0) : 8;
            if (nv == 2) { DW_TILE_SWITCH(2) } else { DW_TILE_SWITCH(1) }
          }
  }
}

// The forward conv and dX of an NHWC conv (dilation 1) as register tiles: MR output pixels
// along a row by NV*16 output channels, broadcasting one input value per pixel against
// each row of the filter. Pixels whose every tap lies inside the input (the interior) go
// MR at a time; the edges one at a time with their taps checked. dX gathers: the input
// pixel ix of a stride-s conv takes tap kx from output column (ix + left - kx) / s where
// that divides, so pixels of one phase (ix mod s) share their taps and take consecutive
// output columns.
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

// Runs of interior pixels: run[i] is how many pixels from i on (stepping by 1 in the
// index space given) are interior, 0 for an edge pixel.
static void interior_runs(const char *inner, long count, long *run) {
  long len = 0;
  for (long i = count - 1; i >= 0; i--) run[i] = len = inner[i] ? len + 1 : 0;
}

CLONES static int conv_fwd(const float *x, const float *w, float *y, const struct conv *c) {
  const int nv = c->co % 32 == 0 ? 2 : 1;
  char *inner = malloc((size_t)c->ow);
  long *run = malloc((size_t)c->ow * sizeof(long));
  if (!inner || !run) return free(inner), free(run), 0;
  for (long ox = 0; ox < c->ow; ox++) inner[ox] = ox * c->sw - c->left >= 0 && ox * c->sw - c->left + c->kw - 1 < c->w;
  interior_runs(inner, c->ow, run);
  for (long n = 0; n < c->n; n++)
    for (long oy = 0; oy < c->oh; oy++)
      for (long co0 = 0; co0 < c->co; co0 += 16 * nv)
        for (long ox = 0; ox < c->ow;) {
          if (!run[ox]) {
            if (nv == 2) fwd_tile(x, w, y, c, n, oy, ox, co0, 1, 2, 1);
            else fwd_tile(x, w, y, c, n, oy, ox, co0, 1, 1, 1);
            ox++;
            continue;
          }
          int mr = run[ox] < 8 ? (int)run[ox] : 8;
          if (nv == 2) { TILE_SWITCH(fwd_tile, 2, x, w, y, c, n, oy, ox, co0) }
          else { TILE_SWITCH(fwd_tile, 1, x, w, y, c, n, oy, ox, co0) }
          ox += mr;
        }
  free(inner);
  free(run);
  return 1;
}

CLONES static int conv_dx(const float *dy, const float *w, float *dx, const struct conv *c) {
  const int nv = c->ci % 32 == 0 ? 2 : 1;
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
  // Runs within one phase: the next pixel of ix's run is ix + sw.
  for (long p = 0; p < c->sw && p < c->w; p++) {
    long len = 0;
    for (long ix = p + ((c->w - 1 - p) / c->sw) * c->sw; ix >= p; ix -= c->sw) run[ix] = len = inner[ix] ? len + 1 : 0;
  }
  for (long n = 0; n < c->n; n++)
    for (long iy = 0; iy < c->h; iy++)
      for (long ci0 = 0; ci0 < c->ci; ci0 += 16 * nv)
        for (long p = 0; p < c->sw && p < c->w; p++)
          for (long ix = p; ix < c->w;) {
            if (!run[ix]) {
              if (nv == 2) dx_tile(dy, wt, dx, c, n, iy, ix, ci0, 1, 2, 1);
              else dx_tile(dy, wt, dx, c, n, iy, ix, ci0, 1, 1, 1);
              ix += c->sw;
              continue;
            }
            int mr = run[ix] < 8 ? (int)run[ix] : 8;
            if (nv == 2) { TILE_SWITCH(dx_tile, 2, dy, wt, dx, c, n, iy, ix, ci0) }
            else { TILE_SWITCH(dx_tile, 1, dy, wt, dx, c, n, iy, ix, ci0) }
            ix += mr * c->sw;
          }
  free(wt);
  free(inner);
  free(run);
  return 1;
}

// ---- N-API glue: arguments are Float32Arrays (or null) and numbers. ----

static int f32(napi_env env, napi_value v, float **data, size_t *len) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_null || t == napi_undefined) {
    *data = NULL;
    if (len) *len = 0;
    return 1;
  }
  napi_typedarray_type type;
  size_t n;
  void *p;
  if (napi_get_typedarray_info(env, v, &type, &n, &p, NULL, NULL) != napi_ok || type != napi_float32_array) {
    napi_throw_type_error(env, NULL, "expected a Float32Array");
    return 0;
  }
  *data = (float *)p;
  if (len) *len = n;
  return 1;
}

static double num(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d;
}

// Exactly n arguments into a, or a thrown error and 0.
static int get_args(napi_env env, napi_callback_info info, size_t n, napi_value *a, const char *name) {
  size_t argc = n;
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc == n) return 1;
  char msg[64];
  snprintf(msg, sizeof msg, "%s takes %zu arguments", name, n);
  napi_throw_error(env, NULL, msg);
  return 0;
}

// The Float32Arrays (or nulls) at positions idx[0..k) into out; the first one's length into *len.
static int get_arrays(napi_env env, const napi_value *a, const int *idx, int k, float **out, size_t *len) {
  for (int i = 0; i < k; i++)
    if (!f32(env, a[idx[i]], &out[i], i == 0 ? len : NULL)) return 0;
  return 1;
}

static double *scratch(napi_env env, size_t c) {
  double *acc = malloc(4 * c * sizeof(double));
  if (!acc) napi_throw_error(env, NULL, "out of memory");
  return acc;
}

// bnForward(x, c, gamma, beta, runMean, runVar, momentum, eps, relu, y, mean, rstd, runMeanOut, runVarOut)
static napi_value BnForward(napi_env env, napi_callback_info info) {
  napi_value a[14];
  float *p[10];  // x, gamma, beta, runMean, runVar, y, mean, rstd, runMeanOut, runVarOut
  size_t n;
  if (!get_args(env, info, 14, a, "bnForward") || !get_arrays(env, a, (const int[]){0, 2, 3, 4, 5, 9, 10, 11, 12, 13}, 10, p, &n))
    return NULL;
  size_t c = (size_t)num(env, a[1]);
  bool relu;
  napi_get_value_bool(env, a[8], &relu);
  double *acc = scratch(env, c);
  if (!acc) return NULL;
  bn_forward(p[0], n / c, c, p[1], p[2], p[3], p[4], (float)num(env, a[6]), (float)num(env, a[7]), relu, p[5], p[6], p[7], p[8], p[9], acc);
  free(acc);
  return NULL;
}

// bnBackward(dy, x, y|null, c, mean, rstd, gamma|null, dx, dgamma|null, dbeta|null)
static napi_value BnBackward(napi_env env, napi_callback_info info) {
  napi_value a[10];
  float *p[9];  // dy, x, y, mean, rstd, gamma, dx, dgamma, dbeta
  size_t n;
  if (!get_args(env, info, 10, a, "bnBackward") || !get_arrays(env, a, (const int[]){0, 1, 2, 4, 5, 6, 7, 8, 9}, 9, p, &n))
    return NULL;
  size_t c = (size_t)num(env, a[3]);
  double *acc = scratch(env, c);
  if (!acc) return NULL;
  bn_backward(p[0], p[1], p[2], n / c, c, p[3], p[4], p[5], p[6], p[7], p[8], acc);
  free(acc);
  return NULL;
}

// sgd(w, g, accum, lr, momentum, weightDecay, wOut, accumOut)
static napi_value Sgd(napi_env env, napi_callback_info info) {
  napi_value a[8];
  float *p[5];  // w, g, accum, wOut, accumOut
  size_t n;
  if (!get_args(env, info, 8, a, "sgd") || !get_arrays(env, a, (const int[]){0, 1, 2, 6, 7}, 5, p, &n)) return NULL;
  sgd(p[0], p[1], p[2], n, (float)num(env, a[3]), (float)num(env, a[4]), (float)num(env, a[5]), p[3], p[4]);
  return NULL;
}

static int conv_args(napi_env env, napi_callback_info info, float **p, struct conv *c) {
  napi_value a[4];
  float *q[4];
  size_t nd;
  if (!get_args(env, info, 4, a, "a conv kernel") || !get_arrays(env, a, (const int[]){3, 0, 1, 2}, 4, q, &nd)) return 0;
  if (nd != 13) return napi_throw_error(env, NULL, "conv kernels take 13 dimensions"), 0;
  long d[13];
  for (int i = 0; i < 13; i++) d[i] = (long)q[0][i];
  *c = (struct conv){d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12]};
  p[0] = q[1], p[1] = q[2], p[2] = q[3];
  return 1;
}

// The three conv kernels take (a, b, out, dims), dims = [n, h, w, ci, oh, ow, co, kh, kw,
// sh, sw, top, left]: convForward(x, w, y), convDx(dy, w, dx) and convDw(x, dy, dw). The
// channels their tiles vectorise (co; ci for dX) must be a multiple of 16.
enum conv_kind { FORWARD, DX, DW };

static napi_value run_conv(napi_env env, napi_callback_info info, enum conv_kind kind) {
  float *p[3];
  struct conv c;
  if (!conv_args(env, info, p, &c)) return NULL;
  if ((kind == DX ? c.ci : c.co) % 16 != 0) return napi_throw_error(env, NULL, "conv kernels: channels must be a multiple of 16"), NULL;
  int ok = kind == FORWARD ? conv_fwd(p[0], p[1], p[2], &c) : kind == DX ? conv_dx(p[0], p[1], p[2], &c) : (conv_dw(p[0], p[1], p[2], &c), 1);
  if (!ok) napi_throw_error(env, NULL, "conv kernels: out of memory");
  return NULL;
}

static napi_value ConvForward(napi_env env, napi_callback_info info) { return run_conv(env, info, FORWARD); }
static napi_value ConvDx(napi_env env, napi_callback_info info) { return run_conv(env, info, DX); }
static napi_value ConvDw(napi_env env, napi_callback_info info) { return run_conv(env, info, DW); }

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"bnForward", NULL, BnForward, NULL, NULL, NULL, napi_default, NULL},
    {"bnBackward", NULL, BnBackward, NULL, NULL, NULL, napi_default, NULL},
    {"sgd", NULL, Sgd, NULL, NULL, NULL, napi_default, NULL},
    {"convDw", NULL, ConvDw, NULL, NULL, NULL, napi_default, NULL},
    {"convForward", NULL, ConvForward, NULL, NULL, NULL, napi_default, NULL},
    {"convDx", NULL, ConvDx, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  napi_value version;
  napi_create_uint32(env, 1, &version);
  napi_set_named_property(env, exports, "version", version);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
