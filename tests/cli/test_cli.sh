#!/usr/bin/env bash
# One CLI (issue 12, point 4; docs/cli.md): walk every command that `lmprob --help` lists and
# check what they must share:
#   - `--help` exits 0, prints to stdout and shows an example;
#   - an unknown option exits 2 and says so;
#   - a bad value of each shared flag the command takes exits 2 with one message, the same
#     (after "lmprob: <cmd>: ") in every command;
#   - every random command takes --seed and --rng numpy, every command that prints numbers
#     takes --json (a following unknown option is then the only complaint: the parser took them);
#   - a command that reads standard input from a terminal says so on stderr.
# Nothing here loads a model or reads data: each call stops in the option parser (< 10 s).
set -u
. "$(dirname "$0")/lib.sh"

cmds=$("$LMPROB" --help | awk '/^commands:/{on=1; next} on && /^  [a-z0-9]/{print $1} on && /^$/{on=0}')
[ -n "$cmds" ] && ok || bad "lmprob --help lists no commands"

# Commands with subcommands: each subcommand is walked on its own.
subs() {
  case $1 in
    dist) echo "dist normal" ;;
    nn) printf '%s\n' "nn init" "nn layernorm" "nn reparam" ;;
    bayes) printf '%s\n' "bayes disease" "bayes joint" "bayes beta" ;;
    experiment) printf '%s\n' "experiment mc" "experiment rule" "experiment clt" "experiment biasvar" "experiment disease" ;;
    model) printf '%s\n' "model info" "model convert" "model verify" ;;
    gpt2) printf '%s\n' "gpt2 info" "gpt2 logits" ;;
    demo) printf '%s\n' "demo uniform" "demo report" ;;
    *) echo "$1" ;;
  esac
}
# The invocations that draw random numbers, and those whose output is not numbers (no --json).
random="dist normal|rng|nn init|nn reparam|experiment mc|experiment rule|experiment clt|experiment biasvar|experiment disease|decode|generate|chapter|demo report"
no_numbers="detokenize|demo uniform|demo report|model convert"  # these write text or files, no numbers

# A bad value per shared flag.
declare -A badval=(
  [--seed]=x1 [--rng]=mt [--threads]=-1 [--top-k]=-1 [--top-p]=2 [--min-p]=1.5 [--temperature]=-1
  [--typical]=0 [--epsilon]=1 [--repetition-penalty]=0 [--min-keep]=0 [-n]=-1 [--order]=0
  [--memory]=12Q [--mode]=words [--chain]=gpt
)
declare -A msg=() msg_from=()

is_in() { local x=$1 list=$2; [[ "|$list|" == *"|$x|"* ]]; }

for c in $cmds; do
  help=$("$LMPROB" "$c" --help 2>/dev/null); rc=$?
  [ $rc -eq 0 ] && ok || bad "$c --help: exit $rc"
  [[ ${help,,} == *example* ]] && ok || bad "$c --help: no example"
  while IFS= read -r inv; do
    read -r -a A <<<"$inv"
    # The part of the help that is this subcommand's (its usage lines), else all of it.
    h=$help
    if [ ${#A[@]} -gt 1 ]; then
      hs=$(grep -E "^(usage: |       )lmprob ${A[0]} ${A[1]}( |$)" <<<"$help")
      [ -n "$hs" ] && h=$hs
    fi
    # One run: the options the command must take, then an unknown one, which must be the only
    # complaint (the parser took the others), with exit 2.
    want=()
    if is_in "$inv" "$random"; then
      [[ $h =~ --seed && $h =~ --rng ]] && ok || bad "$inv: random, but its help lists no --seed/--rng"
      want+=(--seed 3 --rng numpy)
    fi
    if ! is_in "$inv" "$no_numbers"; then
      [[ $h =~ --json ]] && ok || bad "$inv: prints numbers, but its help lists no --json"
      want+=(--json)
    fi
    "$LMPROB" "${A[@]}" "${want[@]}" --no-such-flag </dev/null >/dev/null 2>"$TMPD/err"; rc=$?
    err=$(<"$TMPD/err")
    if [ $rc -eq 2 ] && [[ $err == *"unknown option '--no-such-flag'"* ]]; then ok
    else bad "$inv ${want[*]} --no-such-flag: exit $rc: ${err:0:200}"; fi
    for f in "${!badval[@]}"; do
      [[ $h =~ (^|[^a-z-])$f([^a-z-]|$) ]] || continue
      "$LMPROB" "${A[@]}" "$f" "${badval[$f]}" </dev/null >/dev/null 2>"$TMPD/err"; rc=$?
      err=$(<"$TMPD/err")
      line=""
      [[ $err =~ (^|: )($f: expected [^$'\n']*) ]] && line=${BASH_REMATCH[2]}
      if [ $rc -ne 2 ] || [ -z "$line" ]; then
        bad "$inv $f ${badval[$f]}: exit $rc (expected 2 and '$f: expected ...'): ${err:0:200}"; continue
      fi
      if [ -z "${msg[$f]:-}" ]; then msg[$f]=$line; msg_from[$f]=$inv; ok
      elif [ "${msg[$f]}" = "$line" ]; then ok
      else bad "$inv $f: message differs from ${msg_from[$f]}'s: '$line' vs '${msg[$f]}'"; fi
    done
  done < <(subs "$c")
done
# Every shared flag was checked somewhere (a flag no command takes would make this test hollow).
for f in --seed --rng --threads --top-p -n --order --memory; do
  [ -n "${msg[$f]:-}" ] && ok || bad "no command checked for $f"
done

# The isatty note: under a pseudo-terminal (script(1)), a bare `lmprob decode` says it reads stdin.
if command -v script >/dev/null; then
  script -qec "$LMPROB decode" /dev/null </dev/null >"$TMPD/tty" 2>&1
  grep -q "reading standard input from the terminal" "$TMPD/tty" && ok || bad "decode on a terminal: no note: $(head -c 200 "$TMPD/tty")"
  "$LMPROB" decode </dev/null >/dev/null 2>"$TMPD/err"
  grep -q "reading standard input" "$TMPD/err" && bad "decode from /dev/null: a terminal note" || ok
fi

# numpy's stream takes seeds below 2^32: a larger one is a usage error with the --seed message.
for inv in "rng" "decode --logits 1,2" "dist normal --sample 1" "experiment rule"; do
  read -r -a A <<<"$inv"
  "$LMPROB" "${A[@]}" --rng numpy --seed 4294967296 </dev/null >/dev/null 2>"$TMPD/err"; rc=$?
  want="${msg[--seed]%, got *}, got '4294967296'"  # the same domain as for a bad --seed
  [ $rc -eq 2 ] && grep -qF -- "$want" "$TMPD/err" && ok || bad "$inv --rng numpy --seed 2^32: exit $rc, not '$want': $(head -c 200 "$TMPD/err")"
done

# A real run: --seed/--rng numpy reach the stream (numpy's np.random.seed(3); np.random.random_sample()).
expect_out "rng numpy seed 3" "^0.5507979025745755" "$LMPROB" rng --rng numpy --seed 3 -n 1
finish
