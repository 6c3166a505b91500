#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for pcnn-cl and builds it into build/:
# installs the Debian packages the project needs (apt-get, as root or through
# sudo), configures with CMake and compiles. Safe to run again.
#   tools/setup.sh [extra cmake arguments]
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
