#!/usr/bin/env bash
# Option (c) for native-cpu's kernels (docs/backends.md): the addon's batch-norm forward and
# dW compiled to WebAssembly, with SIMD and without, timed beside the native addon:
#   bash bench/addon-options/wasm-simd.sh
# Needs clang and wasm-ld (`apt-get install clang-14 lld-14`) and the built addon.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../../core/backends/native-cpu/addon/addon.c
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
  # Freestanding: the few libc pieces the kernels use.
  cat <<'C'
typedef unsigned long size_t;
#define NULL 0
#define CLONES __attribute__((visibility("default")))
void *memcpy(void *d, const void *s, size_t n) { unsigned char *p = d; const unsigned char *q = s; while (n--) *p++ = *q++; return d; }
void *memset(void *d, int c, size_t n) { unsigned char *p = d; while (n--) *p++ = (unsigned char)c; return d; }
static double sqrt(double x) { return __builtin_sqrt(x); }
C
  sed -n '/^\/\/ y = \[relu\](x\*k + bias)/,/^\/\/ With g = dy masked/p' "$src" | sed '$d'
  sed -n '/^typedef float v16 /,/^\/\/ The forward conv and dX/p' "$src" | sed '$d'
} | sed 's/^CLONES static void \(bn_forward\|conv_dw\)/__attribute__((export_name("\1"))) void \1/' >"$tmp/kernels.c"
flags=(--target=wasm32 -O3 -ffp-contract=fast -nostdlib -Wl,--no-entry -Wl,--initial-memory=268435456 -fuse-ld="$(command -v wasm-ld-14 || command -v wasm-ld)")
clang-14 "${flags[@]}" -msimd128 "$tmp/kernels.c" -o "$tmp/simd.wasm"
clang-14 "${flags[@]}" "$tmp/kernels.c" -o "$tmp/scalar.wasm"
node "$here/wasm-simd.mjs" "$tmp"
