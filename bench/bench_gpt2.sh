#!/usr/bin/env bash
# GPT-2 124M forward pass, lmprob vs PyTorch (../shared/gpt2/torch_peer.py, HF semantics, the
# same thread count) and, when LLAMACPP_BIN and LLAMACPP_GPT2_GGUF are set, llama.cpp's
# llama-bench, side by side in this one run.
#
# The checkpoint: GPT-2 124M with random weights, HF names, F32, written once by
# `bench_gpt2 write` to $BUILD/gpt2-bench/ (498 MB). torch_peer.py makes its own random
# weights of the same shapes (speed does not depend on the values). LLAMACPP_GPT2_GGUF must be
# the same checkpoint converted to an F32 GGUF (a script kept outside this repository; see
# docs/gpt2.md); llama.cpp is never built here.
#
# Lines, each at 1 and 2 threads (ratio = peer time / lmprob time: > 1 means lmprob is ahead):
#   BENCH gpt2_prefill1024_tN lmprob=<tok/s> torch=<tok/s> ratio=..   1024 tokens, logits of all positions
#   BENCH gpt2_decode_tN      lmprob=<tok/s> torch=<tok/s> ratio=..   128 tokens after a 16-token prompt
#   BENCH gpt2_prefill1024_tN lmprob=<tok/s> openblas_products_only=<tok/s> ..   the same BLAS as torch's
#         (numpy's sgemm) timed on the forward's weight products alone (bench/gpt2_blas.py): an upper
#         bound for an engine built on it, against lmprob's whole pass
#   BENCH gpt2_rss_tN         lmprob=<MiB>   torch=<MiB>   ratio=..   peak RSS of the whole run
# and against llama.cpp's llama-bench, lmprob doing llama-bench's jobs (`bench_gpt2 run --llama`: the
# lines above are the perplexity job, whose prefill makes every position's logits, 206 MB at T = 1024,
# which llama-bench's pp never makes; until the thirty-ninth session llama.cpp was set against those):
#   BENCH gpt2_pp1024_tN      lmprob=<tok/s> llama.cpp=<tok/s> ..   a prefill that keeps the last logits only
#   BENCH gpt2_tg128_tN       lmprob=<tok/s> llama.cpp=<tok/s> ..   128 one-token steps from an empty context
#   BENCH gpt2_rss_pp_tg_tN   lmprob=<MiB>   llama.cpp=<MiB>   ..   peak RSS of a process doing both
#   FLOOR gpt2_prefill1024_tN peak=<GFLOP/s> floor=<tok/s> lmprob=<% of floor>
#   FLOOR gpt2_decode_tN      bandwidth=<GB/s> floor=<tok/s> lmprob=<% of floor>
# The floors: a 1024-token forward with all logits is F = 2 T (12 L C^2 + V C) + 4 L C T(T+1)/2
# FLOP (2.72e11), against the FMA peak measured here (bench_gpt2 peak); a decode step reads
# every weight once (4 bytes a parameter), against the read bandwidth measured here
# (bench_gpt2 bw); both probes run in every round, just before lmprob. Each engine runs REPS passes a
# round (GPT2_BENCH_REPS, default 3; 1 until the thirty-second session) and reports their median; the
# lines are medians of RUNS alternating rounds (default 3), the floors' too; peak RSS the largest of them.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=$BUILD/bench/bench_gpt2
RUNS=${RUNS:-3}
REPS=${GPT2_BENCH_REPS:-3}  # passes a round, both engines: each reports the median of its own passes
PEER=${GPT2_TORCH_PEER:-../shared/gpt2/torch_peer.py}
PY=/usr/bin/python3
T=${GPT2_BENCH_T:-1024} PROMPT=16 GEN=${GPT2_BENCH_GEN:-128}  # the issue's figures; smaller for a quick look
L=12 C=768 V=50257
model=$BUILD/gpt2-bench/gpt2-124M-random.safetensors
[ -x "$BIN" ] || { echo "# bench_gpt2: $BIN is missing (make benches)"; exit 1; }
[ -x /usr/bin/time ] || { echo "# bench_gpt2: /usr/bin/time is missing: skipped"; exit 0; }
if [ ! -f "$model" ]; then
  mkdir -p "$(dirname "$model")"
  echo "# bench_gpt2: writing $model (GPT-2 124M, random weights, F32)"
  "$BIN" write "$model" || exit 1
fi
# Every model file is dropped from the page cache once, here, so that the first load of each reads
# it from disk, as after a reboot: the kernel then caches it in 2 MB pages where it can and maps them
# so (lmprob's pmd_mapped_mb). A file that came into the cache otherwise (a copy written 4 KB at a
# time, say) stays in 4 KB pages while it is cached, and two-thread decoding read it
# 8 % slower, the same binary and bytes (docs/gpt2.md, "Page cache"); both engines get the same start.
for f in "$model" ${LLAMACPP_GPT2_GGUF:+"$LLAMACPP_GPT2_GGUF"}; do
  [ -f "$f" ] && dd if="$f" iflag=nocache count=0 status=none 2>/dev/null
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

jget() { # file dotted.key
  "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d = d[k]
print(d)' "$1" "$2"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "nan"; else printf "%.2f", a / b }'; }

have_torch=0
if [ -f "$PEER" ] && "$PY" -c 'import torch' 2>/dev/null; then
  have_torch=1
  # The peer gets OpenBLAS's fastest setting here, whatever the environment says (as the other bench
  # scripts, OPENBLAS_L2_SIZE is dropped): Debian's OpenBLAS 0.3.21 does not know Zen 5 and falls back to
  # its Haswell (AVX2) kernels; on an AVX-512 machine its SkylakeX kernels are faster (docs/gpt2.md).
  unset OPENBLAS_L2_SIZE OPENBLAS_CORETYPE
  if grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; fi
  blas=$("$PY" -c 'import torch
torch.ones(64, 64) @ torch.ones(64, 64)
libs = sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l})
print(", ".join(libs) or "none")')
  echo "# torch $("$PY" -c 'import torch; print(torch.__version__)'): BLAS libraries mapped: $blas; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-default}"
  case "$blas" in *openblas*) ;; *) echo "# bench_gpt2: torch did not load OpenBLAS: its numbers mean little (scripts/setup.sh bench installs it)";; esac
else
  echo "# bench_gpt2: torch or $PEER missing: torch lines skipped"
fi
have_llama=0
if [ -n "${LLAMACPP_BIN:-}" ] && [ -x "$LLAMACPP_BIN/llama-bench" ] && [ -f "${LLAMACPP_GPT2_GGUF:-}" ]; then
  have_llama=1
  echo "# llama.cpp: $LLAMACPP_BIN/llama-bench on $LLAMACPP_GPT2_GGUF (flash attention on)"
else
  echo "# bench_gpt2: LLAMACPP_BIN / LLAMACPP_GPT2_GGUF not set: llama.cpp lines skipped"
fi

med() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maxof() { sort -g | tail -n 1; }
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs); $RUNS alternating rounds a thread count"

for t in 1 2; do
  : >"$tmp/pk"; : >"$tmp/bw"
  : >"$tmp/lp"; : >"$tmp/ld"; : >"$tmp/lr"; : >"$tmp/tp"; : >"$tmp/td"; : >"$tmp/tr"; : >"$tmp/yp"; : >"$tmp/yd"; : >"$tmp/yr"; : >"$tmp/bp"
  : >"$tmp/lpl"; : >"$tmp/ldl"; : >"$tmp/lrl"
  # Rounds alternate the engines (lmprob, torch, llama.cpp, lmprob, ...), one timed pass each, so that a
  # change in the machine's load falls on every side; the lines give the medians over the rounds.
  for r in $(seq 1 "$RUNS"); do
    echo "# round $r t$t: load $(cut -d' ' -f1 /proc/loadavg)"
    # The floors are measured in every round, just before lmprob's pass: other tenants move this machine's
    # read bandwidth by a quarter within minutes (28-36 GB/s on one thread, 2026-12-04), so a probe taken
    # once would set each round against another machine.
    "$BIN" peak "$t" >>"$tmp/pk"; "$BIN" bw "$t" >>"$tmp/bw"
    echo "#   peak $(tail -n 1 "$tmp/pk") GFLOP/s, read bandwidth $(tail -n 1 "$tmp/bw") GB/s"
    /usr/bin/time -f %M -o "$tmp/rss" "$BIN" run "$model" "$t" --T $T --prompt $PROMPT --gen $GEN --reps $REPS \
      >"$tmp/l.json" || { echo "# bench_gpt2: lmprob run failed"; exit 1; }
    echo "#   lmprob: $(cat "$tmp/l.json")"
    jget "$tmp/l.json" prefill_tok_s >>"$tmp/lp"; jget "$tmp/l.json" decode_tok_s >>"$tmp/ld"
    awk '{ printf "%.0f\n", $1 / 1024 }' "$tmp/rss" >>"$tmp/lr"
    wb=$(jget "$tmp/l.json" weight_bytes)
    if [ $have_torch = 1 ]; then
      if OMP_NUM_THREADS=$t /usr/bin/time -f %M -o "$tmp/trss" "$PY" "$PEER" bench --threads "$t" --config small \
           --T $T --gen $GEN --reps $REPS >"$tmp/t.json" 2>"$tmp/terr"; then
        jget "$tmp/t.json" prefill.tok_per_s >>"$tmp/tp"; jget "$tmp/t.json" decode.tok_per_s >>"$tmp/td"
        awk '{ printf "%.0f\n", $1 / 1024 }' "$tmp/trss" >>"$tmp/tr"
        echo "#   torch: $(cat "$tmp/t.json")"
      else
        echo "#   torch failed: $(tail -n 2 "$tmp/terr")"
      fi
    fi
    if [ $have_torch = 1 ]; then
      # the same BLAS on the forward's weight products alone (bench/gpt2_blas.py): what an engine built on it
      # could reach at best
      if OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t "$PY" bench/gpt2_blas.py "$t" $T 1 >"$tmp/b.json" 2>"$tmp/berr"; then
        jget "$tmp/b.json" tok_per_s >>"$tmp/bp"
        echo "#   openblas products only: $(cat "$tmp/b.json")"
      else
        echo "#   gpt2_blas.py failed: $(tail -n 2 "$tmp/berr")"
      fi
    fi
    if [ $have_llama = 1 ]; then
      /usr/bin/time -f %M -o "$tmp/rss" "$BIN" run "$model" "$t" --llama --T $T --gen $GEN --reps $REPS \
        >"$tmp/ll.json" || { echo "# bench_gpt2: lmprob run --llama failed"; exit 1; }
      echo "#   lmprob, llama-bench's jobs: $(cat "$tmp/ll.json")"
      jget "$tmp/ll.json" prefill_tok_s >>"$tmp/lpl"; jget "$tmp/ll.json" decode_tok_s >>"$tmp/ldl"
      awk '{ printf "%.0f\n", $1 / 1024 }' "$tmp/rss" >>"$tmp/lrl"
      if /usr/bin/time -f %M -o "$tmp/yrss" "$LLAMACPP_BIN/llama-bench" -m "$LLAMACPP_GPT2_GGUF" -t "$t" -fa 1 \
           -p $T -n $GEN -r 1 -o json >"$tmp/y.json" 2>"$tmp/yerr"; then
        "$PY" -c 'import json, sys
for r in json.load(open(sys.argv[1])):
    if r["n_prompt"] > 0 and r["n_gen"] == 0: print("%.1f" % r["avg_ts"])' "$tmp/y.json" >>"$tmp/yp"
        "$PY" -c 'import json, sys
for r in json.load(open(sys.argv[1])):
    if r["n_gen"] > 0 and r["n_prompt"] == 0: print("%.2f" % r["avg_ts"])' "$tmp/y.json" >>"$tmp/yd"
        awk '{ printf "%.0f\n", $1 / 1024 }' "$tmp/yrss" >>"$tmp/yr"
        echo "#   llama.cpp: pp$T $(tail -n 1 "$tmp/yp") tok/s, tg$GEN $(tail -n 1 "$tmp/yd") tok/s"
      else
        echo "#   llama.cpp failed: $(tail -n 2 "$tmp/yerr")"
      fi
    fi
  done
  lp=$(med <"$tmp/lp") ld=$(med <"$tmp/ld") lr=$(maxof <"$tmp/lr")
  tp=$(med <"$tmp/tp") td=$(med <"$tmp/td") trss=$(maxof <"$tmp/tr")
  yp=$(med <"$tmp/yp") yd=$(med <"$tmp/yd") yrss=$(maxof <"$tmp/yr")
  bp=$(med <"$tmp/bp")
  lpl=$(med <"$tmp/lpl") ldl=$(med <"$tmp/ldl") lrl=$(maxof <"$tmp/lrl")
  peak=$(med <"$tmp/pk") bw=$(med <"$tmp/bw")
  line() { # name unit lmprob peer-name peer-value higher-is-better(1|0)
    [ -n "$5" ] || return 0
    local r
    if [ "$6" = 1 ]; then r=$(ratio "$3" "$5"); else r=$(ratio "$5" "$3"); fi
    echo "BENCH $1 lmprob=$3$2 $4=$5$2 ratio=$r"
  }
  line "gpt2_prefill${T}_t$t" tok/s "$lp" torch "$tp" 1
  line "gpt2_prefill${T}_t$t" tok/s "$lp" openblas_products_only "$bp" 1
  line "gpt2_decode_t$t" tok/s "$ld" torch "$td" 1
  line "gpt2_rss_t$t" MiB "$lr" torch "$trss" 0
  line "gpt2_pp${T}_t$t" tok/s "$lpl" llama.cpp "$yp" 1
  line "gpt2_tg${GEN}_t$t" tok/s "$ldl" llama.cpp "$yd" 1
  line "gpt2_rss_pp_tg_t$t" MiB "$lrl" llama.cpp "$yrss" 0
  awk -v t="$t" -v T=$T -v L=$L -v C=$C -v V=$V -v peak="$peak" -v bw="$bw" -v wb="$wb" -v lp="$lp" -v ld="$ld" 'BEGIN {
    flop = 2 * T * (12 * L * C * C + V * C) + 4 * L * C * T * (T + 1) / 2
    fp = peak * 1e9 / flop * T; fd = bw * 1e9 / wb
    printf "FLOOR gpt2_prefill%d_t%d peak=%.0fGFLOP/s floor=%.0ftok/s lmprob=%.0f%%\n", T, t, peak, fp, 100 * lp / fp
    printf "FLOOR gpt2_decode_t%d bandwidth=%.1fGB/s floor=%.0ftok/s lmprob=%.0f%%\n", t, bw, fd, 100 * ld / fd
  }'
done
