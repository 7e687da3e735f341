// The addon's kernels (batch-norm.c, sgd.c, conv.c) as napi.c calls them. Each works on
// Float32Arrays that view the wasm heap, in a fixed order: a run is bit-exact on one
// machine, whatever the thread count (threads split outputs, never a sum).
#pragma once
#include <stdbool.h>
#include <stddef.h>

// One build for every x86-64 CPU, specialised at load time for the one it runs on
// (isa_level() says which).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

/** "x86-64-v4" (AVX-512), "x86-64-v3" (AVX2 and FMA) or "baseline": the clone the kernels run. */
const char *isa_level(void);

void bn_forward(const float *x, size_t m, size_t c, const float *gamma, const float *beta, const float *run_mean,
                const float *run_var, float mom, float eps, bool relu, float *y, float *mean_out, float *rstd_out,
                float *run_mean_out, float *run_var_out, double *acc);
void bn_backward(const float *dy, const float *x, const float *y, size_t m, size_t c, const float *mean, const float *rstd,
                 const float *gamma, float *dx, float *dgamma, float *dbeta, double *acc);
void sgd(const float *w, const float *g, const float *accum, size_t n, float lr, float mom, float wd, float *w_out,
         float *accum_out);

/** An NHWC conv with an HWIO filter, dilation 1; top and left are its leading pads. */
struct conv {
  long n, h, w, ci, oh, ow, co, kh, kw, sh, sw, top, left;
};

/** Each returns 0 when out of memory. The channels their tiles vectorise (co; ci for dX) are a multiple of 16. */
int conv_fwd(const float *x, const float *w, float *y, const struct conv *c, int threads);
int conv_dx(const float *dy, const float *w, float *dx, const struct conv *c, int threads);
int conv_dw(const float *x, const float *dy, float *dw, const struct conv *c, int threads);
