#!/usr/bin/env bash
# Installs the optional system components some tests need, on Debian or Ubuntu:
#   chromium                           the dashboard's browser tests (driven by playwright-core)
#   redis-server                       the BullMQ executor's tests (each starts its own on a unix socket)
#   python3-torch libopenblas0-pthread the PyTorch reference of `simsiam bench --compare`
#   dataset-fashion-mnist              the Fashion-MNIST loader's test on the real files
#   mesa-vulkan-drivers (Mesa >= 25)   a software WebGPU adapter (lavapipe) for the webgpu backend's
#                                      tests; on Debian bookworm from bookworm-backports
#   build-essential python3            the C compiler and Python that build native-cpu's addon at
#                                      `npm ci` (node-gyp); run this before `npm ci`
# Already present components are left alone. Without them `npm test` skips those tests.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if ! command -v apt-get >/dev/null; then
  echo "setup:system needs apt-get (Debian/Ubuntu). Elsewhere install chromium, redis-server, python3 with torch, Fashion-MNIST's IDX files and a Vulkan driver by hand; see README, Tests." >&2
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
{ command -v cc && command -v make; } >/dev/null || need+=(build-essential)
command -v python3 >/dev/null || need+=(python3)

# Dawn finds no adapter on lavapipe before Mesa 25: bookworm's own 22.3 is too old.
backports=()
mesa=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
if [ -z "$mesa" ] || dpkg --compare-versions "$mesa" lt 25; then
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  if [ "$codename" = bookworm ]; then backports=(mesa-vulkan-drivers); else need+=(mesa-vulkan-drivers); fi
fi

if [ ${#need[@]} -eq 0 ] && [ ${#backports[@]} -eq 0 ]; then
  echo "setup:system: every optional component is installed"
  exit 0
fi
# The archive the machine already uses for bookworm itself: its address comes from the
# machine's own sources (deb822 .sources or one-line .list), so no host is named here.
debian_archive() {
  local files=(/etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list)
  awk '
    FNR == 1 { uris = ""; suites = "" }
    /^[ \t]*#/ { next }
    /^URIs:/ { uris = $2 } /^Suites:/ { suites = $0 }
    /^$/ { uris = ""; suites = "" }
    uris != "" && suites ~ /(^|[ \t])bookworm([ \t]|$)/ { print uris; exit }
    # deb [opt=v opt2=v] URI SUITE ...: the URI is the first field after any bracketed options.
    $1 == "deb" {
      i = 2
      if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
      if ($(i + 1) == "bookworm") { print $i; exit }
    }
  ' "${files[@]}" 2>/dev/null | head -n 1
}
if [ ${#backports[@]} -gt 0 ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  archive=$(debian_archive)
  if [ -z "$archive" ]; then
    echo "setup:system: no configured Debian source for bookworm to take bookworm-backports from; add a bookworm-backports entry for your Debian mirror to /etc/apt/sources.list.d/ and rerun" >&2
    exit 2
  fi
  echo "setup:system: adding the bookworm-backports suite of $archive (for Mesa 25's lavapipe)"
  printf '%s\n' 'Types: deb' "URIs: $archive" 'Suites: bookworm-backports' 'Components: main' \
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' | "${sudo[@]}" tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
fi
echo "setup:system: installing ${need[*]}${backports[*]:+ ${backports[*]} (from bookworm-backports)}"
"${sudo[@]}" apt-get update -qq
[ ${#need[@]} -eq 0 ] || "${sudo[@]}" apt-get install -y -qq "${need[@]}"
[ ${#backports[@]} -eq 0 ] || "${sudo[@]}" apt-get install -y -qq -t bookworm-backports "${backports[@]}"
