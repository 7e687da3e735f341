#!/usr/bin/env bash
# The GPU check, run from an unpacked `bench/gpu/pack.sh` archive (or a checkout with Node
# and node_modules): the webgpu step beside PyTorch on CUDA (ResNet-18 b256 and b512, the
# conv net b256), then the per-kernel profile of ResNet-18 b256 with the project's kernels
# and with tfjs's. Usage:
#   bash bench/gpu/run.sh [out-dir]       (default: ./gpu-out)
# Needs a GPU driver with a Vulkan ICD (in a container: NVIDIA_DRIVER_CAPABILITIES must
# include `graphics`); PyTorch with CUDA for the comparison (SIMSIAM_PYTHON=/path/to/python3
# where it is not /usr/bin/python3). Exits non-zero if any step failed.
set -uo pipefail
out=$(realpath -m "${1:-gpu-out}")
cd "$(dirname "$0")/../.."
mkdir -p "$out"
[ -x .node/bin/node ] && export PATH="$PWD/.node/bin:$PATH"

# The packed loader only where the host has none of its own, and after the host's libraries.
missing=""
for lib in libvulkan.so.1 libGLdispatch.so.0; do ldconfig -p 2>/dev/null | grep -q "$lib" || missing="$missing $lib"; done
if [ -n "$missing" ] && [ -d .sysroot ]; then
  export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$PWD/.sysroot/usr/lib/x86_64-linux-gnu"
fi
if [ -z "${VK_ICD_FILENAMES:-}" ]; then
  for f in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json; do
    [ -f "$f" ] && export VK_ICD_FILENAMES=$f && break
  done
fi
{
  echo "date: $(date -u)"; echo "node: $(node --version)"; nvidia-smi -L 2>&1 || true
  echo "host lacks:${missing:- nothing}; LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"; echo "VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-}"
} | tee "$out/env.txt"
if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -z "$(ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json 2>/dev/null)" ]; then
  echo "run.sh: no Vulkan ICD on this host: install the GPU driver's Vulkan part (in a container, NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics)." | tee -a "$out/env.txt" >&2
  exit 1
fi

failed=0
run() {
  echo "+ $*" | tee -a "$out/log.txt"
  "$@" 2>&1 | grep -v 'artificially reduced' | tee -a "$out/log.txt"
  local rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || { echo "(exit $rc)" | tee -a "$out/log.txt"; failed=1; }
}
run node bin/simsiam.mjs bench --backend webgpu --compare --model resnet18 --batch 256 512 --steps 3 --rounds 3 --warmup 2 --json
run node bin/simsiam.mjs bench --backend webgpu --compare --model quick --batch 256 --steps 5 --rounds 3 --warmup 2 --json
run env SIMSIAM_BACKEND=webgpu node --import tsx bench/profile-step.ts resnet18 256
run env SIMSIAM_BACKEND=webgpu SIMSIAM_WEBGPU_STOCK_KERNELS=1 node --import tsx bench/profile-step.ts resnet18 256
echo "results in $out/log.txt"
exit $failed
