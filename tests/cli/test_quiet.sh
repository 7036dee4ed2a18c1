# --quiet, the shared switch of every command that draws a progress line on a terminal (cli/opt.h,
# CLI_OPT_QUIET): on a terminal, without it the line is drawn ("lmprob: CMD: PHASE  42%"); with it nothing
# is, and the command prints what it printed without it (train: not its summary either). Both runs are on a
# pseudo-terminal (script(1)); the progress line ends in ESC [K, which is cut before the comparison.
# Each case fails before the thirty-ninth session: --quiet was train's alone ("unknown option").
. "$(dirname "$0")/lib.sh"
have_tty || { echo "test_quiet.sh: script(1) is missing: skipped"; finish; exit; }
FIX=$(cd "$(dirname "$0")/../fixtures" && pwd)
HF=$SHARED/gpt2/tiny-hf
M3=$FIX/train_small.kenlm3.arpa
TXT=$FIX/train_small.txt
head -n 20 "$TXT" >"$TMPD/text.txt"
printf 'the of and\n' >"$TMPD/words.txt"
# A Hugging Face folder with its own tokenizer files, as a real GPT-2 folder has them: its load is another
# road (lmp_lm_load), which drew no line until the thirty-ninth session.
VOC=$(dirname "$LMPROB")/gpt2 # the vocabulary `make` installs beside the binary (build/gpt2; build/asan: ../gpt2)
[ -f "$VOC/encoder.json" ] || VOC=$(dirname "$LMPROB")/../gpt2
mkdir -p "$TMPD/hfv"
ln -s "$HF/config.json" "$HF/model.safetensors" "$TMPD/hfv/" && cp "$VOC/encoder.json" "$VOC/vocab.bpe" "$TMPD/hfv/" ||
  bad "could not make a GPT-2 folder with its vocabulary"

# name|arguments: name is the command's label in its progress line
while IFS='|' read -r name args; do
  [ -n "$name" ] || continue
  on_tty "$TMPD/loud" "'$LMPROB' $args"
  on_tty "$TMPD/quiet" "'$LMPROB' $args --quiet"
  # train's stages are lmplz's lines ("[   0.00s      3 MiB] counting"), the others' one percentage
  if grep -q "lmprob: $name: [a-z0-9 ,]* *[0-9]*%" "$TMPD/loud" || { [ "$name" = train ] && grep -q 'MiB\] counting' "$TMPD/loud"; }; then ok
  else bad "$name ($args): no progress line on a terminal: $(head -c 300 "$TMPD/loud" | cat -v)"; fi
  if ! grep -q '%' "$TMPD/quiet" || ! grep -q $'\x1b\[K' "$TMPD/quiet"; then ok
  else bad "$name ($args) --quiet: a progress line was drawn: $(head -c 300 "$TMPD/quiet" | cat -v)"; fi
  tr -d '\r' <"$TMPD/loud" | sed 's/^.*\x1b\[K//' >"$TMPD/loud.out"
  tr -d '\r' <"$TMPD/quiet" >"$TMPD/quiet.out"
  if [ "$name" = train ]; then # its summary goes too
    if [ ! -s "$TMPD/quiet.out" ] && [ -s "$TMPD/loud.out" ]; then ok
    else bad "train --quiet printed: $(head -c 300 "$TMPD/quiet.out")"; fi
  elif cmp -s "$TMPD/loud.out" "$TMPD/quiet.out"; then ok
  else bad "$name ($args) --quiet printed something else: $(diff "$TMPD/loud.out" "$TMPD/quiet.out" | head -c 400)"; fi
done <<CASES
ppl|ppl $M3 $TMPD/text.txt
ppl|ppl --model $HF $TMPD/text.txt
ppl|ppl --model $TMPD/hfv $TMPD/text.txt
kl|kl --model $M3 --model $M3 $TMPD/text.txt
next|next --model $HF --prompt Hello
next|next --model $TMPD/hfv --prompt Hello
generate|generate $M3 -n 2 --seed 1
model info|model info $M3
model convert|model convert $M3 $TMPD/m.bin
gpt2 info|gpt2 info $HF
gpt2 logits|gpt2 logits $HF 15496,11
mix|mix $M3 $M3 --weights 0.5,0.5 --ppl $TMPD/text.txt
prune|prune $M3 --threshold 1e-6 --output $TMPD/p.arpa
filter|filter $M3 --vocab $TMPD/words.txt --output $TMPD/f.arpa
experiment|experiment rule --draws 200000
chapter|chapter 9 --clt-repeats 3
train|train --order 2 --discount-fallback --output $TMPD/t.arpa $TXT
CASES
finish
