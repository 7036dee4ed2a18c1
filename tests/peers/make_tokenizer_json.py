#!/usr/bin/env python3
"""Write a Hugging Face tokenizer.json for GPT-2 from OpenAI's encoder.json + vocab.bpe, laid out as
the `tokenizers` library serializes GPT2TokenizerFast (the file a model folder on the Hub carries),
with optional added tokens, for lmprob's tests of its tokenizer.json reader:

  make_tokenizer_json.py VOCAB_DIR OUT [--added CONTENT:ID[:special][:normalized]]... [--merges pairs]
                         [--set PATH=JSON]...

--added    one more added token (after <|endoftext|>); its id may be past the vocabulary (a resized
           model: 50257, 50258, ...); flags given are true, the others false
--merges   "pairs": merges as ["A", "B"] arrays (tokenizers >= 0.20); default "A B" strings
--set      set a field, PATH dotted (model.dropout=0.1, pre_tokenizer.add_prefix_space=true), the value
           JSON; for the error tests
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vocab_dir")
    ap.add_argument("out")
    ap.add_argument("--added", action="append", default=[])
    ap.add_argument("--merges", choices=["strings", "pairs"], default="strings")
    ap.add_argument("--set", action="append", default=[])
    a = ap.parse_args()
    with open(f"{a.vocab_dir}/encoder.json", encoding="utf-8") as f:
        vocab = json.load(f)
    with open(f"{a.vocab_dir}/vocab.bpe", encoding="utf-8") as f:
        lines = [ln for ln in f.read().split("\n")[1:] if ln]
    merges = [ln.split(" ") for ln in lines] if a.merges == "pairs" else lines
    added = [{"id": 50256, "content": "<|endoftext|>", "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": True, "special": True}]
    for spec in a.added:
        parts = spec.split(":")
        flags = set(parts[2:])
        added.append({"id": int(parts[1]), "content": parts[0], "single_word": False, "lstrip": False,
                      "rstrip": False, "normalized": "normalized" in flags, "special": "special" in flags})
    tok = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }
    for s in a.set:
        path, _, val = s.partition("=")
        keys = path.split(".")
        node = tok
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node[k]
        last = keys[-1]
        if isinstance(node, list):
            node[int(last)] = json.loads(val)
        else:
            node[last] = json.loads(val)
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
