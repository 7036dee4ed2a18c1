#!/usr/bin/env bash
# One CLI (issue 12, point 4; docs/cli.md): audit every command that `lmprob --help` lists (and
# cli/commands.h declares), each subcommand on its own, against the rules they must share:
#   - `--help` exits 0, prints to stdout and shows an example;
#   - an unknown option exits 2 with a message naming it;
#   - a bad value of each shared flag the command takes exits 2 with one message, the same (after
#     "lmprob: <cmd>: ") in every command;
#   - every random command takes --seed and --rng numpy; every command that prints numbers takes
#     --json and prints one valid JSON object (python3 -m json.tool) in a real, small run (random
#     ones with --seed 3 --rng numpy, twice: the same output);
#   - every command that can read standard input says so when it is a terminal (under script(1)).
# The audit table below names every invocation: a new command (or subcommand) without a row fails,
# as does one whose help shows --seed but that is not marked random. The real runs use the small
# fixtures of tests/fixtures and ../shared/gpt2 (a few seconds in all).
set -u
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3

cmds=$("$LMPROB" --help | awk '/^commands:/{on=1; next} on && /^  [a-z0-9]/{print $1} on && /^$/{on=0}')
[ -n "$cmds" ] && ok || bad "lmprob --help lists no commands"
# cli/commands.h is the list the dispatcher is built from: both lists must agree.
declared=$(sed -n 's/^ *X(\([a-z0-9_]*\),.*/\1/p' "$ROOT/cli/commands.h")
[ "$(sort <<<"$cmds")" = "$(sort <<<"$declared")" ] && ok || bad "lmprob --help lists '$(echo $cmds)', cli/commands.h '$(echo $declared)'"

# Fixtures for the real runs.
M=$ROOT/tests/fixtures/model/tiny.arpa
TXT=$ROOT/tests/fixtures/train_small.txt
UA=$ROOT/tests/fixtures/ngtools/uni_a.arpa
UB=$ROOT/tests/fixtures/ngtools/uni_b.arpa
TINY=$SHARED/gpt2/tiny.safetensors
printf '1 2 3\n4 5 6\n' >"$TMPD/nums.txt"
printf '0 1\n1 3\n2 5.5\n3 7\n' >"$TMPD/xy.txt"
printf 'a b c\n' >"$TMPD/words.txt"
printf '15496 11 616\n' >"$TMPD/ids.txt"
cat >"$TMPD/golden.json" <<'EOF'
{"schema": 1, "cases": [{"name": "normal_pdf 0", "function": "normal_pdf", "args": {"x": 0.0, "mu": 0.0, "sigma": 1.0},
 "expected": 0.3989422804014327, "rtol": 1e-13, "atol": 0.0}]}
EOF

# The audit table: one row per invocation (a command, or a command and its subcommand).
#   tags:  r  draws random numbers (must take --seed S --rng numpy)
#          n  prints numbers (must take --json and print one JSON object)
#          t:<why>  prints no numbers (text, or files written): no --json asked
#   run:   the arguments of a small real run (without --json/--seed/--rng); "-" for none; "elsewhere"
#          when the run needs files another script makes (demo report: test_demo.sh runs it with --json
#          and checks the object against the text report)
#   stdin: the arguments that read standard input ("-" as the input); "none" when it never does
# Fields are separated by '|'; arguments by spaces.
audit=$(cat <<EOF
verify             | n                          | $TMPD/golden.json                             | none
dist normal        | r n                        | --cdf 1.96 --sample 3                         | none
rng                | r n                        | -n 3                                          | none
stats              | n                          | $TMPD/nums.txt                                | -
fit                | n                          | --degree 1 $TMPD/xy.txt                       | --degree 1 -
bayes disease      | n                          | --tests 2                                     | none
bayes joint        | n                          | --table 0.1,0.2;0.3,0.4                       | none
bayes beta         | n                          | --a 2 --b 2 --heads 7 --trials 10             | none
nn init            | r n                        | --kind he_normal --fan-in 4                   | none
nn layernorm       | n                          | --x 1,2,3                                     | none
nn reparam         | r n                        | --mean 0,1 --std 1,2                          | none
experiment mc      | r n                        | --max-pow 1                                   | none
experiment rule    | r n                        | --draws 1000                                  | none
experiment clt     | r n                        | --repeats 2 --n-sums 100 --terms 5            | none
experiment biasvar | r n                        | --datasets 3                                  | none
experiment disease | r n                        | --population 1000                             | none
info               | n                          | --p 0.5,0.5 --q 0.9,0.1                       | --p-file -
decode             | r n                        | --logits 1,2,3 -n 2                           | -
train              | n                          | --order 2 --estimator wb -o $TMPD/m.arpa $TXT | --order 2 -o $TMPD/s.arpa -
ppl                | n                          | $M $TXT                                       | $M -
generate           | r n                        | $M -n 1 --max-len 5                           | - -n 1 --max-len 5
next               | n                          | $M --prompt a                                 | - --prompt a
kl                 | n                          | --model $M --model $M $TXT                    | --model $M --model $M -
model info         | n                          | $M                                            | -
model convert      | t:writes a model file      | $M $TMPD/c.bin                                | - $TMPD/d.bin
model verify       | n                          | $M                                            | -
mix                | n                          | $UA $UB --ppl $TXT                            | - $UB --ppl $TXT
prune              | n                          | $M --threshold 1e-6 -o $TMPD/p.arpa           | - --threshold 1e-6 -o $TMPD/q.arpa
filter             | n                          | $M --vocab $TMPD/words.txt -o $TMPD/f.arpa    | - --vocab $TMPD/words.txt -o $TMPD/g.arpa
tokenize           | n                          | $TXT                                          | -
detokenize         | t:prints text              | $TMPD/ids.txt                                 | -
gpt2 info          | n                          | $TINY                                         | none
gpt2 logits        | n                          | $TINY 15496,11                                | none
chapter            | r n                        | 13                                            | none
demo uniform       | t:writes a model file      | -o $TMPD/u.arpa $TXT                          | none
demo report        | r n                        | elsewhere                                     | none
EOF
)
trim() { local x=$1; x=${x#"${x%%[![:space:]]*}"}; printf '%s' "${x%"${x##*[![:space:]]}"}"; }
declare -A tags=() run=() stdin_args=()
while IFS='|' read -r inv tg rn si; do
  inv=$(trim "$inv"); tags[$inv]=$(trim "$tg"); run[$inv]=$(trim "$rn"); stdin_args[$inv]=$(trim "$si")
done <<<"$audit"
# Commands the stdin note concerns: those whose help lists reading '-'/stdin must have a stdin form.
stdin_words="standard input|stdin|\\|-\\]|\\|-( |$)|'-'"

# A bad value per shared flag.
declare -A badval=(
  [--seed]=x1 [--rng]=mt [--threads]=-1 [--top-k]=-1 [--top-p]=2 [--min-p]=1.5 [--temperature]=-1
  [--typical]=0 [--epsilon]=1 [--repetition-penalty]=0 [--min-keep]=0 [-n]=-1 [--order]=0
  [--memory]=12Q [--mode]=words [--chain]=gpt [--top]=-1 [--window]=1 [--stride]=0
)
declare -A msg=() msg_from=()

# Each command's invocations: its subcommands, as its "unknown subcommand" message lists them
# (cli_subcommand), else the command alone. dist's families share one parser: dist normal.
invocations() {
  local c=$1 e
  if [ "$c" = dist ]; then echo "dist normal"; return; fi
  e=$("$LMPROB" "$c" __no_such_sub__ </dev/null 2>&1 >/dev/null)
  if [[ $e =~ "unknown subcommand '__no_such_sub__': expected "(.*) ]]; then
    local list=${BASH_REMATCH[1]//, / }
    list=${list// or / }
    for s in $list; do echo "$c $s"; done
  else
    echo "$c"
  fi
}

json_runs=0 stdin_runs=0 json_files=()
for c in $cmds; do
  help=$("$LMPROB" "$c" --help 2>"$TMPD/err"); rc=$?
  [ $rc -eq 0 ] && ok || bad "$c --help: exit $rc"
  [[ ${help,,} == *example* ]] && ok || bad "$c --help: no example"
  [ -s "$TMPD/err" ] && bad "$c --help: wrote to stderr: $(head -c 200 "$TMPD/err")" || ok
  # `lmprob help <cmd>` is the same help
  [ "$("$LMPROB" help "$c" 2>/dev/null)" = "$help" ] && ok || bad "lmprob help $c: not the text of $c --help"
  while IFS= read -r inv; do
    read -r -a A <<<"$inv"
    if [ -z "${tags[$inv]+x}" ]; then
      bad "$inv: no row in test_cli.sh's audit table (say whether it is random, prints numbers, reads stdin)"
      continue
    fi
    tg=${tags[$inv]}
    # Help of each subcommand (cli_parse prints it, main.c makes it exit 0): -h and --help print the
    # same to stdout, nothing to stderr, exit 0, also after an option the parser takes.
    if [ ${#A[@]} -gt 1 ]; then
      hsub=$("$LMPROB" "${A[@]}" --help 2>"$TMPD/err"); rc=$?
      [ $rc -eq 0 ] && [ -n "$hsub" ] && [ ! -s "$TMPD/err" ] && ok ||
        bad "$inv --help: exit $rc, $(wc -c <<<"$hsub") bytes, stderr: $(head -c 200 "$TMPD/err")"
    else
      hsub=$help
    fi
    h2=$("$LMPROB" "${A[@]}" -h 2>/dev/null); rc=$?
    [ $rc -eq 0 ] && [ "$h2" = "$hsub" ] && ok || bad "$inv -h: exit $rc, or not the text of --help"
    if [[ " $tg " == *" n "* ]]; then
      h2=$("$LMPROB" "${A[@]}" --json --help 2>/dev/null); rc=$?
      [ $rc -eq 0 ] && [ "$h2" = "$hsub" ] && ok || bad "$inv --json --help: exit $rc, or not the text of --help"
    fi
    # The part of the help that is this subcommand's (its usage lines), else all of it.
    h=$help
    if [ ${#A[@]} -gt 1 ]; then
      hs=$(grep -E "^(usage: |       )lmprob ${A[0]} ${A[1]}( |$)" <<<"$help")
      [ -n "$hs" ] && h=$hs
    fi
    random=0 numbers=0
    [[ " $tg " == *" r "* ]] && random=1
    [[ " $tg " == *" n "* ]] && numbers=1
    [[ $numbers -eq 1 || $tg == *t:* ]] && ok || bad "$inv: tags '$tg' say neither n nor t:<why>"
    # One run: the options the command must take, then an unknown one, which must be the only
    # complaint (the parser took the others), with exit 2.
    want=()
    if [ $random -eq 1 ]; then
      [[ $h =~ --seed && $h =~ --rng ]] && ok || bad "$inv: random, but its help lists no --seed/--rng"
      want+=(--seed 3 --rng numpy)
    elif [[ $h =~ --seed ]]; then
      bad "$inv: its help lists --seed, but the audit table does not mark it random (r)"
    fi
    if [ $numbers -eq 1 ]; then
      [[ $h =~ --json ]] && ok || bad "$inv: prints numbers, but its help lists no --json"
      want+=(--json)
    fi
    "$LMPROB" "${A[@]}" "${want[@]}" --no-such-flag </dev/null >/dev/null 2>"$TMPD/err"; rc=$?
    err=$(<"$TMPD/err")
    if [ $rc -eq 2 ] && [[ $err == *"unknown option '--no-such-flag'"* ]]; then ok
    else bad "$inv ${want[*]} --no-such-flag: exit $rc: ${err:0:200}"; fi
    # Its option table as the parser reads it (--list-options), for the one-meaning check below.
    "$LMPROB" "${A[@]}" --list-options </dev/null >"$TMPD/opts" 2>"$TMPD/err"; rc=$?
    if [ $rc -eq 0 ] && [ -s "$TMPD/opts" ]; then
      awk -F'\t' -v OFS='\t' -v inv="$inv" '{$1 = inv; print}' "$TMPD/opts" >>"$TMPD/tables"; ok
    else bad "$inv --list-options: exit $rc, $(wc -l <"$TMPD/opts") lines: $(head -c 200 "$TMPD/err")"; fi
    # A value forgotten before the next option ("--output --json"): each option that takes one value,
    # given another of the command's options as its value, is a usage error that says so (it was
    # taken: a file named '--json' written, a prompt '--seed').
    while IFS=$'\t' read -r _ spelling _ kind _; do
      case $kind in flag*|list*|renamed*) continue ;; esac
      [[ $spelling == --* ]] || continue
      "$LMPROB" "${A[@]}" "$spelling" --help </dev/null >/dev/null 2>"$TMPD/err"; rc=$?
      err=$(<"$TMPD/err")
      if [ $rc -eq 2 ] && [[ $err == *"$spelling: expected "*", got the option '--help'"* ]]; then ok
      else bad "$inv $spelling --help: exit $rc (expected 2 and 'got the option'): ${err:0:200}"; fi
    done <"$TMPD/opts"
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
    # A real run: its stdout is checked as JSON below (one python for all); a random one runs twice
    # with one seed: the same output.
    if [ $numbers -eq 1 ] && [ "${run[$inv]}" != elsewhere ]; then
      read -r -a R <<<"${run[$inv]}"
      [ "${run[$inv]}" = - ] && R=()
      json_runs=$((json_runs + 1))
      out="$TMPD/run$json_runs.json"
      "$LMPROB" "${A[@]}" "${R[@]}" "${want[@]}" </dev/null >"$out" 2>"$TMPD/err"; rc=$?
      if [ $rc -ne 0 ]; then bad "$inv ${R[*]} ${want[*]}: exit $rc: $(head -c 300 "$TMPD/err")"
      else json_files+=("$inv ${R[*]} ${want[*]}" "$out"); ok; fi
      if [ $random -eq 1 ] && [ $rc -eq 0 ]; then
        "$LMPROB" "${A[@]}" "${R[@]}" "${want[@]}" </dev/null 2>/dev/null | grep -v '"seconds"' >"$TMPD/again.json"
        grep -v '"seconds"' "$out" | cmp -s - "$TMPD/again.json" && ok || bad "$inv --seed 3 --rng numpy: two runs differ"
      fi
    fi
    # Standard input: a command whose help says it reads it has a stdin form, and on a terminal
    # (script(1) gives it one; its stdin ends at once) that form says so on stderr.
    if [[ $h =~ $stdin_words ]] && [ "${stdin_args[$inv]}" = none ]; then
      bad "$inv: its help reads standard input, but the audit table has no stdin form for it"
    fi
    if have_tty; then
      si=${stdin_args[$inv]}
      if [ "$si" != none ]; then
        on_tty "$TMPD/tty" "'$LMPROB' $inv $si"
        stdin_runs=$((stdin_runs + 1))
        grep -q "lmprob: ${A[0]}[a-z ]*: reading standard input from the terminal" "$TMPD/tty" && ok ||
          bad "$inv $si on a terminal: no note: $(head -c 200 "$TMPD/tty")"
        # the same terminal by a name (/dev/stdin for "-"): it waited in silence
        si2=$(sed -E 's#(^| )-( |$)#\1/dev/stdin\2#' <<<"$si")
        if [ "$si2" != "$si" ]; then
          on_tty "$TMPD/tty" "'$LMPROB' $inv $si2"
          grep -q "lmprob: ${A[0]}[a-z ]*: reading standard input from the terminal" "$TMPD/tty" && ok ||
            bad "$inv $si2 on a terminal: no note: $(head -c 200 "$TMPD/tty")"
        fi
      fi
    fi
  done < <(invocations "$c")
done
# Every shared flag was checked somewhere (a flag no command takes would make this test hollow),
# and the real runs happened.
for f in --seed --rng --threads --top-p -n --order --memory --top --window; do
  [ -n "${msg[$f]:-}" ] && ok || bad "no command checked for $f"
done
[ $json_runs -ge 25 ] && ok || bad "only $json_runs JSON runs"
# Each real run's stdout is one JSON object: json.load of the whole file, as python3 -m json.tool
# reads it (trailing data, a second object or a bare NaN fail), one python for every file.
if [ ${#json_files[@]} -gt 0 ]; then
  "$PY" -I -S -c '
import json, sys
a = sys.argv[1:]
for label, path in zip(a[0::2], a[1::2]):
    try:
        with open(path, encoding="utf-8") as f:
            json.load(f, parse_constant=lambda c: (_ for _ in ()).throw(ValueError("bare " + c)))
        print("ok")
    except Exception as e:
        print("bad %s: not one JSON object: %s: %r" % (label, e, open(path, "rb").read(200)))
' "${json_files[@]}" >"$TMPD/json.res"
  while IFS= read -r l; do if [ "$l" = ok ]; then ok; else bad "${l#bad }"; fi; done <"$TMPD/json.res"
  [ "$(grep -c . "$TMPD/json.res")" -eq $((${#json_files[@]} / 2)) ] && ok || bad "the JSON check did not report every run"
fi
if have_tty; then [ $stdin_runs -ge 15 ] && ok || bad "only $stdin_runs terminal runs"; fi

# A bare `lmprob decode` (issue 12's example) on a terminal says it reads stdin; not on a terminal, no note.
if have_tty; then
  on_tty "$TMPD/tty" "'$LMPROB' decode"
  grep -q "lmprob: decode: reading standard input from the terminal" "$TMPD/tty" && ok || bad "bare decode on a terminal: no note"
fi
"$LMPROB" decode </dev/null >/dev/null 2>"$TMPD/err"
grep -q "reading standard input" "$TMPD/err" && bad "decode from /dev/null: a terminal note" || ok

# One name, one meaning (docs/cli.md): across every command's table, a spelling (a flag or its
# other spelling) has one kind, one domain and one message; an old spelling (renamed) is refused
# naming its new name, which is an option of that command. Read from the tables themselves
# (--list-options), so a new flag is checked without editing this test.
[ "$(grep -c . "$TMPD/tables" 2>/dev/null)" -ge 250 ] && ok || bad "--list-options: only $(grep -c . "$TMPD/tables" 2>/dev/null) options in all"
awk -F'\t' '
  $4 ~ /^renamed / { ren[++nr] = $1 "\t" $2 "\t" $3; next }
  {
    real[$1 "\t" $2] = 1
    sig = $4 " (expected " $5 ")"
    if (!($2 in first)) { first[$2] = sig; from[$2] = $1 }
    else if (first[$2] != sig && !(($2 "\t" sig) in said)) {
      said[$2 "\t" sig] = 1
      print "bad flag " $2 ": " $1 " declares " sig ", " from[$2] " " first[$2]
    }
  }
  END {
    for (i = 1; i <= nr; i++) {
      split(ren[i], f, "\t")
      if (!((f[1] "\t" f[3]) in real)) print "bad " f[1] ": " f[2] " is renamed to " f[3] ", which it does not take"
      else print "renamed\t" ren[i]
    }
  }' "$TMPD/tables" >"$TMPD/meaning"
while IFS= read -r l; do [[ $l == bad* ]] && bad "${l#bad }"; done <"$TMPD/meaning"
grep -q '^bad' "$TMPD/meaning" || ok
# Every old spelling fails loudly: exit 2, naming the new flag (before any other work).
nren=0
while IFS=$'\t' read -r _ inv old new; do
  read -r -a A <<<"$inv"
  "$LMPROB" "${A[@]}" "$old" 1 </dev/null >/dev/null 2>"$TMPD/err"; rc=$?
  nren=$((nren + 1))
  [ $rc -eq 2 ] && grep -qF -- "$old is now $new: " "$TMPD/err" && ok || bad "$inv $old 1: exit $rc, not '$old is now $new': $(head -c 200 "$TMPD/err")"
done < <(grep '^renamed' "$TMPD/meaning")
[ $nren -ge 20 ] && ok || bad "only $nren renamed spellings checked"

# numpy's stream takes seeds below 2^32: a larger one is a usage error with the --seed message.
for inv in "rng" "decode --logits 1,2" "dist normal --sample 1" "experiment rule"; do
  read -r -a A <<<"$inv"
  "$LMPROB" "${A[@]}" --rng numpy --seed 4294967296 </dev/null >/dev/null 2>"$TMPD/err"; rc=$?
  want="${msg[--seed]%, got *}, got '4294967296'"  # the same domain as for a bad --seed
  [ $rc -eq 2 ] && grep -qF -- "$want" "$TMPD/err" && ok || bad "$inv --rng numpy --seed 2^32: exit $rc, not '$want': $(head -c 200 "$TMPD/err")"
done

# --vocab is a word list only: GPT-2's vocabulary is --gpt2-vocab and decode's names --names, and the
# old spellings fail loudly (exit 2, naming the new flag) instead of meaning something else.
for inv in "tokenize" "detokenize" "ppl" "next" "generate" "kl"; do
  read -r -a A <<<"$inv"
  "$LMPROB" "${A[@]}" --vocab x </dev/null >/dev/null 2>"$TMPD/err"; rc=$?
  [ $rc -eq 2 ] && grep -q -- "--vocab is now --gpt2-vocab" "$TMPD/err" && ok || bad "$inv --vocab x: exit $rc: $(head -c 200 "$TMPD/err")"
done
"$LMPROB" decode --logits 1,2 --vocab a,b >/dev/null 2>"$TMPD/err"; rc=$?
[ $rc -eq 2 ] && grep -q -- "--vocab is now --names" "$TMPD/err" && ok || bad "decode --vocab: exit $rc: $(head -c 200 "$TMPD/err")"
expect_out "decode --names" "^top: b:0.7311 a:0.2689" "$LMPROB" decode --logits 1,2 --names a,b --top 2

# Options with several values (train --prune 0 0 1 or --prune=0,0,1) and a repeated option (kl --model).
expect_ok "train --prune list" "$LMPROB" train --order 3 --estimator wb --prune 0 0 1 -o "$TMPD/p1.arpa" "$TXT"
expect_ok "train --prune=list" "$LMPROB" train --order 3 --estimator wb --prune=0,0,1 -o "$TMPD/p2.arpa" "$TXT"
# the same model (the "# lmprob" record holds the command line, which differs)
cmp -s <(grep -v '^# lmprob' "$TMPD/p1.arpa") <(grep -v '^# lmprob' "$TMPD/p2.arpa") && ok || bad "train --prune 0 0 1 and --prune=0,0,1 differ"
# a list ends at the first argument that is not a number, even one that starts with a digit
cp "$TXT" "$TMPD/5gram.txt"
LMPROB_ABS=$(cd "$(dirname "$LMPROB")" && pwd)/$(basename "$LMPROB")
expect_ok "train --prune 0 0 1 5gram.txt" sh -c "cd '$TMPD' && '$LMPROB_ABS' train --order 3 --estimator wb -o p4.arpa --prune 0 0 1 5gram.txt"
expect_fail "train --prune nothing" "train: --prune: expected one threshold per order, e.g. '0 0 1', got '$TXT'" \
  "$LMPROB" train --order 3 --prune "$TXT" -o "$TMPD/p3.arpa"
expect_fail "train --discount-fallback 2 values" "--discount-fallback: expected no value or three discounts" \
  "$LMPROB" train --order 3 --discount-fallback 1 2 -o "$TMPD/p3.arpa" "$TXT"
expect_fail "kl three models" "kl: --model: expected it at most 2 times" "$LMPROB" kl --model "$M" --model "$M" --model "$M" "$TXT"
"$LMPROB" nn __x__ >/dev/null 2>"$TMPD/err"; rc=$?
[ $rc -eq 2 ] && grep -q "nn: unknown subcommand '__x__': expected init, layernorm or reparam" "$TMPD/err" && ok || bad "nn __x__: exit $rc: $(head -c 200 "$TMPD/err")"
"$LMPROB" model >/dev/null 2>"$TMPD/err"; rc=$?
[ $rc -eq 2 ] && grep -q "^usage: lmprob model" "$TMPD/err" && ok || bad "model with no subcommand: exit $rc"

# A real run: --seed/--rng numpy reach the stream (numpy's np.random.seed(3); np.random.random_sample()).
expect_out "rng numpy seed 3" "^0.5507979025745755" "$LMPROB" rng --rng numpy --seed 3 -n 1
# Option values that disagree with each other, or that the library refuses, typed on the command line: usage
# errors (exit 2) as every option value outside its domain; they exited 1 (the thirty-first session's audit)
while IFS='|' read -r label want args; do
  read -r -a argv <<<"$args"
  "$LMPROB" "${argv[@]}" >"$TMPD/out" 2>"$TMPD/err"
  rc=$?
  [ $rc -eq 2 ] && grep -q -- "$want" "$TMPD/err" && ok || bad "$label: exit $rc: $(head -c 200 "$TMPD/err")"
done <<'CASES'
bayes heads past trials|--heads 11: expected at most --trials 10|bayes beta --a 1 --b 1 --heads 11 --trials 10
nn reparam negative std|expected a finite sigma >= 0|nn reparam --mean 0 --std -1
nn layernorm constant x, eps 0|expected eps > 0|nn layernorm --x 1,1 --eps 0
info lists of two lengths|q: expected 2 probabilities (as many as p), got 3|info --p 0.5,0.5 --q 0.5,0.25,0.25
CASES
finish
