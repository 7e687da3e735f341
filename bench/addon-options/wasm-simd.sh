#!/usr/bin/env bash
# The addon's batch-norm forward and dW compiled to WebAssembly, with SIMD and without,
# timed beside the native addon (docs/backends.md, "Why an addon"):
#   bash bench/addon-options/wasm-simd.sh
# Needs clang and wasm-ld (`apt-get install clang-14 lld-14`; CLANG and WASM_LD name
# others) and the built addon.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../../core/backends/native-cpu/addon
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
  # Freestanding: the few libc pieces the kernels use.
  cat <<'C'
typedef unsigned long size_t;
#define NULL 0
#define CLONES
typedef _Bool bool;
void *memcpy(void *d, const void *s, size_t n) { unsigned char *p = d; const unsigned char *q = s; while (n--) *p++ = *q++; return d; }
void *memset(void *d, int c, size_t n) { unsigned char *p = d; while (n--) *p++ = (unsigned char)c; return d; }
static double sqrt(double x) { return __builtin_sqrt(x); }
C
  echo 'struct conv { long n, h, w, ci, oh, ow, co, kh, kw, sh, sw, top, left; };'
  sed -n '/^\/\/ y = \[relu\](x\*k + bias)/,/^\/\/ With g = dy masked/p' "$src/batch-norm.c" | sed '$d'
  sed -n '/^typedef float v16 /,/^typedef float v16u/p' "$src/conv.c"
  sed -n '/^static inline __attribute__((always_inline)) void dw_tile/,/^\/\/ ---- The three kernels/p' "$src/conv.c" | sed '$d'
  sed -n '/^#define TILE_CASE/,/^  }$/p' "$src/conv.c"
  # dW over all filter tiles and pixel blocks on one thread, as conv.c's dw_tiles does.
  cat <<'C'
__attribute__((export_name("conv_dw"))) void conv_dw(const float *x, const float *dy, float *dw, const struct conv *c) {
  memset(dw, 0, (size_t)(c->kh * c->kw * c->ci * c->co) * sizeof(float));
  const int nv = c->co % 32 == 0 ? 2 : 1;
  const long taps = c->kh * c->kw, ciBlocks = (c->ci + 7) / 8, tiles = c->co / (16 * nv) * taps * ciBlocks;
  const long rows = c->ow >= 256 ? 1 : 256 / c->ow, total = c->n * c->oh;
  for (long row0 = 0; row0 < total; row0 += rows) {
    long row1 = row0 + rows < total ? row0 + rows : total;
    for (long t = 0; t < tiles; t++) {
      long co0 = t / (taps * ciBlocks) * 16 * nv, tap = t / ciBlocks % taps, ci0 = t % ciBlocks * 8;
      long ky = tap / c->kw, kx = tap % c->kw;
      int mr = c->ci - ci0 < 8 ? (int)(c->ci - ci0) : 8;
      if (nv == 2) { TILE_SWITCH(dw_tile, 2, x, dy, dw, c, ky, kx, ci0, co0, row0, row1) }
      else { TILE_SWITCH(dw_tile, 1, x, dy, dw, c, ky, kx, ci0, co0, row0, row1) }
    }
  }
}
C
} | sed 's/^CLONES void bn_forward/__attribute__((export_name("bn_forward"))) void bn_forward/' >"$tmp/kernels.c"
clang=${CLANG:-$(command -v clang-14 || command -v clang)}
ld=${WASM_LD:-$(command -v wasm-ld-14 || command -v wasm-ld)}
flags=(--target=wasm32 -O3 -ffp-contract=fast -nostdlib -Wl,--no-entry -Wl,--initial-memory=268435456 -fuse-ld="$ld")
"$clang" "${flags[@]}" -msimd128 "$tmp/kernels.c" -o "$tmp/simd.wasm"
"$clang" "${flags[@]}" "$tmp/kernels.c" -o "$tmp/scalar.wasm"
node "$here/wasm-simd.mjs" "$tmp"
