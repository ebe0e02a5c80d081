#!/usr/bin/env bash
# Install everything needed to build and test s3upload on Debian 12 (apt only).
#
# Usage: scripts/install-deps.sh [--with-bench]
#
#   --with-bench   also install the peer tools used by bench/ (awscli rclone s3cmd
#                  iperf3 nodejs npm)
#
# Idempotent: when every package is already installed, apt is not touched at all.
set -euo pipefail

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
}

with_bench=0
for arg in "$@"; do
  case "$arg" in
    --with-bench) with_bench=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install-deps: unknown argument: $arg" >&2; usage >&2; exit 2 ;;
  esac
done

packages=(
  # build
  build-essential cmake ninja-build pkg-config clang-format
  # libraries
  libcurl4-openssl-dev libssl-dev libpugixml-dev libcli11-dev nlohmann-json3-dev
  libtomlplusplus-dev libspdlog-dev libfmt-dev libisal-dev librust-blake3-dev
  media-types
  # tests
  libgtest-dev libgmock-dev libbenchmark-dev curl ca-certificates python3 b3sum
  # local S3 server for integration tests (OpenStack Swift + s3api)
  swift swift-proxy swift-account swift-container swift-object python3-swift memcached
)
if ((with_bench)); then
  packages+=(awscli rclone s3cmd iperf3 nodejs npm)
fi

# Which packages are not installed yet? (dpkg-query prints "install ok installed")
missing=()
for pkg in "${packages[@]}"; do
  # A nodejs from NodeSource bundles npm (and conflicts with Debian's npm package).
  if [[ "$pkg" == npm ]] && command -v npm >/dev/null 2>&1; then
    continue
  fi
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-deps: not root and sudo is not available; cannot install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}"
# Wait for a dpkg/apt lock held by someone else instead of failing at once.
apt=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
"${apt[@]}" update
"${apt[@]}" install -y --no-install-recommends "${missing[@]}"
echo "install-deps: done"
