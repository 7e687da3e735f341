// Batch norm's training op, fused: the forward in two passes over x (the sum and the sum of
// squares together, in double so that one pass loses nothing to cancellation; then y), the
// backward in two over (dy, x, y) (the sums, then dx).
#include <math.h>
#include <string.h>

#include "kernels.h"

// y = [relu](x*k + bias) per channel, with the batch's mean and rstd written out,
// and the running statistics updated (PyTorch: unbiased variance, momentum mom).
CLONES void bn_forward(const float *x, size_t m, size_t c, const float *gamma, const float *beta,
                              const float *run_mean, const float *run_var, float mom, float eps, bool relu,
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
        out[j] = v < 0.0f ? 0.0f : v;  // NaN stays NaN, as tfjs's relu keeps it
      }
    } else {
      for (size_t j = 0; j < c; j++) out[j] = row[j] * k[j] + bias[j];
    }
  }
}

// With g = dy masked by y > 0 (relu), x-hat = (x - mean) * rstd and k = gamma * rstd:
// dbeta = sum g, dgamma = sum g * x-hat, dx = k * (g - dbeta/m - x-hat * dgamma/m).
// The mask is a multiply so that both loops vectorise: by 1 or 0, and by NaN where y is
// NaN, as tfjs's dy * step(y) does.
static inline float relu_mask(float y) { return y > 0.0f ? 1.0f : (y == y ? 0.0f : y); }

static inline void bn_backward_sums(const float *restrict dy, const float *restrict x, const float *restrict y, size_t m,
                                    size_t c, const float *restrict mean, double *restrict sg, double *restrict sgx) {
  for (size_t r = 0; r < m; r++) {
    const float *restrict d = dy + r * c, *restrict xr = x + r * c, *restrict yr = y ? y + r * c : d;
    for (size_t j = 0; j < c; j++) {
      float g = y ? d[j] * relu_mask(yr[j]) : d[j];
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
      float g = y ? d[j] * relu_mask(yr[j]) : d[j];
      out[j] = g * k[j] + (xr[j] - mean[j]) * b[j] + a[j];
    }
  }
}

CLONES void bn_backward(const float *dy, const float *x, const float *y, size_t m, size_t c,
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

