#!/usr/bin/env bash
# Packs what `bench/gpu/run.sh` needs on a GPU host with a driver and no network: this
# Node binary, the committed project, its production node_modules pruned to Linux x64 and
# to the files Node loads, and Debian's Vulkan loader packages. Usage:
#   bash bench/gpu/pack.sh [archive]      (default: simsiam-gpu.tar.xz in the repository root)
# On the host: tar -xJf simsiam-gpu.tar.xz && cd simsiam && bash bench/gpu/run.sh [out-dir]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(realpath -m "${1:-$root/simsiam-gpu.tar.xz}")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
b=$stage/simsiam

mkdir -p "$b/.node/bin" "$b/.debs"
git -C "$root" archive HEAD | tar -x -C "$b"
cp "$(command -v node)" "$b/.node/bin/node"

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
find "$nm" \( -name '*.map' -o -name '*.md' -o -name '*.markdown' \) -type f -delete
rm -rf "$nm/better-sqlite3/deps" "$nm/better-sqlite3/src" "$nm/better-sqlite3/build/Release/obj" "$nm/better-sqlite3/build/Release/.deps"

# The Vulkan loader and GLVND: NVIDIA's Vulkan ICD does not load without libglvnd0
# ("Found no drivers"). run.sh unpacks them beside the project, not into /.
(cd "$b/.debs" && apt-get download libvulkan1 libglvnd0 libglx0 libegl1 libgl1 libopengl0 libgles2 >/dev/null 2>&1) ||
  echo "pack.sh: could not download the Vulkan loader packages (apt-get download); the host must have libvulkan1 and libglvnd0" >&2

tar -C "$stage" -cJf "$out" simsiam
echo "$out: $(du -h "$out" | cut -f1)"
