#include "kernels.h"

// accum' = mom * accum + (g + wd * w); w' = w - lr * accum' (PyTorch's SGD, no dampening).
CLONES void sgd(const float *restrict w, const float *restrict g, const float *restrict accum, size_t n, float lr,
                       float mom, float wd, float *restrict w_out, float *restrict accum_out) {
  for (size_t i = 0; i < n; i++) {
    float a = mom * accum[i] + (g[i] + wd * w[i]);
    accum_out[i] = a;
    w_out[i] = w[i] - lr * a;
  }
}

