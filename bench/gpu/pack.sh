#!/usr/bin/env bash
# Packs what `bench/gpu/run.sh` needs on a GPU host with a driver and no network: this
# Node binary, the committed project, its production node_modules pruned to Linux x64 and
# to the files Node loads, and Debian's Vulkan loader and GLVND libraries (unpacked here).
# Usage:
#   bash bench/gpu/pack.sh [archive]      (default: simsiam-gpu.tar.xz in the repository root)
# On the host: tar -xJf simsiam-gpu.tar.xz && cd simsiam && bash bench/gpu/run.sh [out-dir]
# SIMSIAM_PACK_NO_DEBS=1 packs without the libraries, for a host that has libvulkan1 and libglvnd0.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(realpath -m "${1:-$root/simsiam-gpu.tar.xz}")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
b=$stage/simsiam

mkdir -p "$b/.node/bin" "$stage/debs"
git -C "$root" archive HEAD | tar -x -C "$b"
cp "$(node -p process.execPath)" "$b/.node/bin/node"

# Production dependencies only, copied from this checkout (no download).
cp -a "$root/node_modules" "$b/node_modules"
(cd "$b" && npm prune --omit=dev --offline --no-audit --no-fund --loglevel=error >/dev/null)
nm=$b/node_modules
# Not used on a GPU host: the CPU-only native backend, other platforms' Dawn builds,
# tfjs-node (its libtensorflow is downloaded at install, per machine).
rm -rf "$nm/onnxruntime-node" "$nm/@tensorflow/tfjs-node" "$nm/@tensorflow/tfjs-node-gpu"
find "$nm/webgpu/dist" -mindepth 1 -maxdepth 1 -type d ! -name linux-x64 -exec rm -rf {} +
# tfjs packages: Node loads each package's `main` bundle (dist/*.node.js), wasm's
# binaries and the ES modules the project imports directly (tfjs-core's tape); the browser
# bundles beside `main` (tf*.js, *.min.js, *.es2017.js) and source maps are most of their size.
for p in "$nm"/@tensorflow/*; do
  main=$(node -p "require('$p/package.json').main")
  find "$p/dist" -maxdepth 1 -type f -name 'tf*.js' ! -path "$p/$main" -delete
done
find "$nm" -type f \( -name '*.map' -o \( \( -name '*.md' -o -name '*.markdown' \) ! -iname 'LICEN[CS]E*' ! -iname 'COPYING*' \) \) -delete
rm -rf "$nm/better-sqlite3/deps" "$nm/better-sqlite3/src" "$nm/better-sqlite3/build/Release/obj" "$nm/better-sqlite3/build/Release/.deps"

# The Vulkan loader and GLVND: NVIDIA's Vulkan driver does not load without libglvnd0
# ("Found no drivers"). Unpacked here into .sysroot/; run.sh uses them only where the
# host lacks its own.
debs="libvulkan1 libglvnd0 libglx0 libegl1 libgl1 libopengl0 libgles2"
if [ "${SIMSIAM_PACK_NO_DEBS:-}" != 1 ]; then
  if ! (cd "$stage/debs" && apt-get download $debs); then
    echo "pack.sh: apt-get download of the Vulkan loader packages failed (see above; \`apt-get update\` first?)." >&2
    echo "         SIMSIAM_PACK_NO_DEBS=1 packs without them, for a host that has libvulkan1 and libglvnd0." >&2
    exit 1
  fi
  for d in "$stage"/debs/*.deb; do dpkg-deb -x "$d" "$b/.sysroot"; done
  (cd "$stage/debs" && ls *.deb) > "$b/.sysroot/PACKAGES"
fi

tar -C "$stage" -cJf "$out" simsiam
bytes=$(stat -c %s "$out")
echo "$out: $(du -h "$out" | cut -f1)${SIMSIAM_PACK_NO_DEBS:+ (no Vulkan libraries)}"
[ -f "$b/.sysroot/PACKAGES" ] && sed 's/^/  /' "$b/.sysroot/PACKAGES"
# A device runner that carries files (e.g. 64 MiB) needs it smaller than that.
if [ "$bytes" -gt $((64 * 1024 * 1024)) ]; then echo "pack.sh: the archive is over 64 MiB" >&2; exit 1; fi
