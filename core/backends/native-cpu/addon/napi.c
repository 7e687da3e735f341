// The addon's N-API surface: each function takes Float32Arrays (or null) and numbers,
// checks their sizes against each other, and throws a clear error where they disagree.
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernels.h"

const char *isa_level(void) {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  // The order in which target_clones' resolver picks.
  __builtin_cpu_init();
  if (__builtin_cpu_supports("x86-64-v4")) return "x86-64-v4";
  if (__builtin_cpu_supports("x86-64-v3")) return "x86-64-v3";
#endif
  return "baseline";
}

static napi_value fail(napi_env env, const char *name, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", name, what);
  napi_throw_error(env, NULL, msg);
  return NULL;
}

static int f32(napi_env env, napi_value v, float **data, size_t *len) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_null || t == napi_undefined) {
    *data = NULL;
    *len = 0;
    return 1;
  }
  napi_typedarray_type type;
  void *p;
  if (napi_get_typedarray_info(env, v, &type, len, &p, NULL, NULL) != napi_ok || type != napi_float32_array) {
    napi_throw_type_error(env, NULL, "expected a Float32Array");
    return 0;
  }
  *data = (float *)p;
  return 1;
}

static double num(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d;
}

// Exactly n arguments into a, and the Float32Arrays (or nulls) at positions idx[0..k) into
// p with their lengths into len; or a thrown error and 0.
static int get_args(napi_env env, napi_callback_info info, const char *name, size_t n, napi_value *a, const int *idx, int k,
                    float **p, size_t *len) {
  size_t argc = n;
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc != n) {
    char what[48];
    snprintf(what, sizeof what, "takes %zu arguments", n);
    fail(env, name, what);
    return 0;
  }
  for (int i = 0; i < k; i++)
    if (!f32(env, a[idx[i]], &p[i], &len[i])) return 0;
  return 1;
}

// Arrays that must hold `want` values (or be null where `optional`).
static int sizes_ok(const size_t *len, const float *const *p, const size_t *want, const bool *optional, int k) {
  for (int i = 0; i < k; i++)
    if (p[i] ? len[i] != want[i] : !optional[i]) return 0;
  return 1;
}

// bnForward(x, c, gamma|null, beta|null, runMean, runVar, momentum, eps, relu, y, mean, rstd, runMeanOut, runVarOut)
static napi_value BnForward(napi_env env, napi_callback_info info) {
  napi_value a[14];
  float *p[10];  // x, gamma, beta, runMean, runVar, y, mean, rstd, runMeanOut, runVarOut
  size_t len[10];
  if (!get_args(env, info, "bnForward", 14, a, (const int[]){0, 2, 3, 4, 5, 9, 10, 11, 12, 13}, 10, p, len)) return NULL;
  size_t c = (size_t)num(env, a[1]), n = len[0];
  if (c == 0 || n == 0 || n % c != 0) return fail(env, "bnForward", "x must hold a positive multiple of c values");
  const size_t want[10] = {n, c, c, c, c, n, c, c, c, c};
  const bool opt[10] = {0, 1, 1};
  if (!sizes_ok(len, (const float *const *)p, want, opt, 10)) return fail(env, "bnForward", "array sizes do not match x and c");
  bool relu;
  napi_get_value_bool(env, a[8], &relu);
  double *acc = malloc(4 * c * sizeof(double));
  if (!acc) return fail(env, "bnForward", "out of memory");
  bn_forward(p[0], n / c, c, p[1], p[2], p[3], p[4], (float)num(env, a[6]), (float)num(env, a[7]), relu, p[5], p[6], p[7], p[8], p[9], acc);
  free(acc);
  return NULL;
}

// bnBackward(dy, x, y|null, c, mean, rstd, gamma|null, dx, dgamma|null, dbeta|null)
static napi_value BnBackward(napi_env env, napi_callback_info info) {
  napi_value a[10];
  float *p[9];  // dy, x, y, mean, rstd, gamma, dx, dgamma, dbeta
  size_t len[9];
  if (!get_args(env, info, "bnBackward", 10, a, (const int[]){0, 1, 2, 4, 5, 6, 7, 8, 9}, 9, p, len)) return NULL;
  size_t c = (size_t)num(env, a[3]), n = len[0];
  if (c == 0 || n == 0 || n % c != 0) return fail(env, "bnBackward", "dy must hold a positive multiple of c values");
  const size_t want[9] = {n, n, n, c, c, c, n, c, c};
  const bool opt[9] = {0, 0, 1, 0, 0, 1, 0, 1, 1};
  if (!sizes_ok(len, (const float *const *)p, want, opt, 9)) return fail(env, "bnBackward", "array sizes do not match dy and c");
  double *acc = malloc(4 * c * sizeof(double));
  if (!acc) return fail(env, "bnBackward", "out of memory");
  bn_backward(p[0], p[1], p[2], n / c, c, p[3], p[4], p[5], p[6], p[7], p[8], acc);
  free(acc);
  return NULL;
}

// sgd(w, g, accum, lr, momentum, weightDecay, wOut, accumOut)
static napi_value Sgd(napi_env env, napi_callback_info info) {
  napi_value a[8];
  float *p[5];  // w, g, accum, wOut, accumOut
  size_t len[5];
  if (!get_args(env, info, "sgd", 8, a, (const int[]){0, 1, 2, 6, 7}, 5, p, len)) return NULL;
  const size_t n = len[0], want[5] = {n, n, n, n, n};
  const bool opt[5] = {0};
  if (!sizes_ok(len, (const float *const *)p, want, opt, 5)) return fail(env, "sgd", "every array must be as long as w");
  sgd(p[0], p[1], p[2], n, (float)num(env, a[3]), (float)num(env, a[4]), (float)num(env, a[5]), p[3], p[4]);
  return NULL;
}

// The conv kernels: (a, b, out, dims, threads), dims = [n, h, w, ci, oh, ow, co, kh, kw,
// sh, sw, top, left]: convForward(x, w, y), convDx(dy, w, dx), convDw(x, dy, dw).
enum conv_kind { FORWARD, DX, DW };

static napi_value run_conv(napi_env env, napi_callback_info info, enum conv_kind kind) {
  static const char *names[] = {"convForward", "convDx", "convDw"};
  const char *name = names[kind];
  napi_value a[5];
  float *p[4];
  size_t len[4];
  if (!get_args(env, info, name, 5, a, (const int[]){0, 1, 2, 3}, 4, p, len)) return NULL;
  if (len[3] != 13) return fail(env, name, "dims must hold 13 values");
  long d[13];
  for (int i = 0; i < 13; i++) d[i] = (long)p[3][i];
  const struct conv c = {d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12]};
  if (c.n < 1 || c.h < 1 || c.w < 1 || c.ci < 1 || c.oh < 1 || c.ow < 1 || c.co < 1 || c.kh < 1 || c.kw < 1 || c.sh < 1 ||
      c.sw < 1 || c.top < 0 || c.left < 0)
    return fail(env, name, "dims out of range");
  if ((kind == DX ? c.ci : c.co) % 16 != 0) return fail(env, name, "the vectorised channels must be a multiple of 16");
  const size_t xs = (size_t)(c.n * c.h * c.w * c.ci), ys = (size_t)(c.n * c.oh * c.ow * c.co), ws = (size_t)(c.kh * c.kw * c.ci * c.co);
  const size_t want[3][3] = {{xs, ws, ys}, {ys, ws, xs}, {xs, ys, ws}};
  const bool opt[3] = {0};
  if (!p[0] || !p[1] || !p[2] || !sizes_ok(len, (const float *const *)p, want[kind], opt, 3)) return fail(env, name, "array sizes do not match dims");
  int threads = (int)num(env, a[4]);
  int ok = kind == FORWARD ? conv_fwd(p[0], p[1], p[2], &c, threads)
         : kind == DX      ? conv_dx(p[0], p[1], p[2], &c, threads)
                           : conv_dw(p[0], p[1], p[2], &c, threads);
  return ok ? NULL : fail(env, name, "out of memory");
}

static napi_value ConvForward(napi_env env, napi_callback_info info) { return run_conv(env, info, FORWARD); }
static napi_value ConvDx(napi_env env, napi_callback_info info) { return run_conv(env, info, DX); }
static napi_value ConvDw(napi_env env, napi_callback_info info) { return run_conv(env, info, DW); }

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"bnForward", NULL, BnForward, NULL, NULL, NULL, napi_default, NULL},
    {"bnBackward", NULL, BnBackward, NULL, NULL, NULL, napi_default, NULL},
    {"sgd", NULL, Sgd, NULL, NULL, NULL, napi_default, NULL},
    {"convForward", NULL, ConvForward, NULL, NULL, NULL, napi_default, NULL},
    {"convDx", NULL, ConvDx, NULL, NULL, NULL, napi_default, NULL},
    {"convDw", NULL, ConvDw, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  napi_value isa;
  napi_create_string_utf8(env, isa_level(), NAPI_AUTO_LENGTH, &isa);
  napi_set_named_property(env, exports, "isa", isa);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
