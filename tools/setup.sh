#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for pcnn-cl, builds it into build/ and
# installs pcnn-cl on PATH: installs the Debian packages the project needs
# (apt-get, as root or through sudo), configures with CMake, compiles, and
# runs `cmake --install` (as root or through sudo into /usr/local, otherwise
# into ~/.local; PCNN_PREFIX=DIR chooses). Safe to run again.
#   tools/setup.sh [extra cmake arguments]
# PCNN_SETUP_BROWSER=1 also installs Debian's chromium (about 350 MB with its
# libraries), which only the run-page test (tests/cli_run_page.sh) uses; without
# it that test reports itself skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config            # toolchain
  libopenblas-openmp-dev libomp-dev zlib1g-dev  # native CPU backend (OpenBLAS on OpenMP), gzipped datasets
  ocl-icd-opencl-dev opencl-c-headers pocl-opencl-icd clinfo  # OpenCL + a CPU device
  libclblast-dev                              # GEMMs on OpenCL devices
  libcmocka-dev                               # tests
  libstb-dev                                  # PNG writing (stb_image_write)
  libzip-dev                                  # .npz weights (export/import)
  libopenmpi-dev openmpi-bin                  # data-parallel training
  dataset-fashion-mnist                       # the default dataset, no download
)
if [ "${PCNN_SETUP_BROWSER:-0}" = 1 ]; then
  packages+=(chromium)                        # headless rendering of index.html in the tests
fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j "$(nproc)"

# Onto PATH: root (or a user with sudo, as for apt-get above) installs for
# everyone into /usr/local/bin, which is on every PATH; anyone else for
# themselves into ~/.local/bin.
sudo=""
if [ -n "${PCNN_PREFIX:-}" ]; then
  prefix=$PCNN_PREFIX
elif [ "$(id -u)" = 0 ]; then
  prefix=/usr/local
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  prefix=/usr/local sudo=sudo
else
  prefix=$HOME/.local
fi
$sudo cmake --install build --prefix "$prefix" >/dev/null
echo "setup: installed $prefix/bin/pcnn-cl"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "setup: $prefix/bin is not on your PATH: add it (export PATH=\"$prefix/bin:\$PATH\") or run $prefix/bin/pcnn-cl" ;;
esac
