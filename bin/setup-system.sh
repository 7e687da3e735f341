#!/usr/bin/env bash
# Installs the optional system components some tests need, on Debian or Ubuntu:
#   chromium                           the dashboard's browser tests (driven by playwright-core)
#   redis-server                       the BullMQ executor's tests (each starts its own on a unix socket)
#   python3-torch libopenblas0-pthread the PyTorch reference of `simsiam bench --compare`
#   dataset-fashion-mnist              the Fashion-MNIST loader's test on the real files
# Already present components are left alone. Without them `npm test` skips those tests.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if ! command -v apt-get >/dev/null; then
  echo "setup:system needs apt-get (Debian/Ubuntu). Elsewhere install chromium, redis-server, python3 with torch and Fashion-MNIST's IDX files by hand; see README, Tests." >&2
  exit 2
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup:system: run as root, or install sudo" >&2; exit 2; }
  sudo=(sudo)
fi

need=()
[ -d /usr/share/datasets/fashion-mnist ] || need+=(dataset-fashion-mnist)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v redis-server >/dev/null || need+=(redis-server)
/usr/bin/python3 -c 'import torch' 2>/dev/null || need+=(python3-torch)
[ -d /usr/lib/"$(uname -m)"-linux-gnu/openblas-pthread ] || need+=(libopenblas0-pthread)

if [ ${#need[@]} -eq 0 ]; then
  echo "setup:system: every optional component is installed"
  exit 0
fi
echo "setup:system: installing ${need[*]}"
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq "${need[@]}"
