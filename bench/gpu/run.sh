#!/usr/bin/env bash
# The GPU check, run from an unpacked `bench/gpu/pack.sh` archive (or a checkout with Node
# and node_modules): the webgpu step beside PyTorch on CUDA (ResNet-18 b256 and b512, the
# conv net b256), then the per-kernel profile of ResNet-18 b256. Usage:
#   bash bench/gpu/run.sh [out-dir]       (default: ./gpu-out)
# Needs a GPU driver with a Vulkan ICD; PyTorch with CUDA for the comparison
# (SIMSIAM_PYTHON=/path/to/python3 where it is not /usr/bin/python3).
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$(realpath -m "${1:-gpu-out}")
mkdir -p "$out"
[ -x .node/bin/node ] && export PATH="$PWD/.node/bin:$PATH"

if ls .debs/*.deb >/dev/null 2>&1; then
  mkdir -p .sysroot
  for d in .debs/*.deb; do dpkg-deb -x "$d" .sysroot 2>/dev/null || dpkg -x "$d" .sysroot; done
  export LD_LIBRARY_PATH="$PWD/.sysroot/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
if [ -z "${VK_ICD_FILENAMES:-}" ]; then
  for f in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json; do
    [ -f "$f" ] && export VK_ICD_FILENAMES=$f && break
  done
fi
{ echo "date: $(date -u)"; echo "node: $(node --version)"; nvidia-smi -L 2>&1; echo "VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-}"; } | tee "$out/env.txt"

run() { echo "+ $*" | tee -a "$out/log.txt"; "$@" 2>&1 | grep -v 'artificially reduced' | tee -a "$out/log.txt"; }
run node bin/simsiam.mjs bench --backend webgpu --compare --model resnet18 --batch 256 512 --steps 3 --rounds 3 --warmup 2 --json
run node bin/simsiam.mjs bench --backend webgpu --compare --model quick --batch 256 --steps 5 --rounds 3 --warmup 2 --json
SIMSIAM_BACKEND=webgpu run node --import tsx bench/profile-step.ts resnet18 256
SIMSIAM_BACKEND=webgpu SIMSIAM_WEBGPU_STOCK_KERNELS=1 run node --import tsx bench/profile-step.ts resnet18 256
echo "results in $out/log.txt"
