#!/usr/bin/env python3
"""Compare lmprob's character classes (the Unicode Character Database that Debian's unicode-data
installs) with those of tiktoken's regex engine, for docs/tokenizer.md.

tiktoken's npm package 1.0.22 is built with the Rust crate regex-syntax 0.8.5 (the crate versions are
in the WASM: `strings tiktoken_bg.wasm | grep regex-syntax-`), whose tables say "Unicode version:
16.0.0". Get them from the rust-lang/regex repository at the tag regex-syntax-0.8.5:

    git show regex-syntax-0.8.5:regex-syntax/src/unicode_tables/general_category.rs > gc.rs
    git show regex-syntax-0.8.5:regex-syntax/src/unicode_tables/perl_space.rs > space.rs
    ucd_compare.py gc.rs space.rs [/usr/share/unicode]

Prints, for \\p{L}, \\p{N} and \\s, the code points in one set and not the other, and how many of
them the local UCD assigns (a class change of an assigned character could change ids on ordinary text;
a newly assigned character only on text that uses it).
"""
import re
import sys


def rust_table(path, name):
    text = open(path, encoding="utf-8").read()
    start = text.index("pub const %s:" % name)
    body = text[start:text.index("];", start)]
    out = set()
    char = r"'((?:\\u\{[0-9a-f]+\}|\\.|[^'])+)'"
    for a, b in re.findall(r"\(" + char + r",\s*" + char + r"\)", body):
        def cp(x):
            if x.startswith("\\u{"):
                return int(x[3:-1], 16)
            if x.startswith("\\"):
                return {"t": 9, "n": 10, "r": 13, "'": 39, "\\": 92, "0": 0}[x[1]]
            return ord(x)
        out.update(range(cp(a), cp(b) + 1))
    return out


def ucd(folder):
    letters, numbers, space, assigned = set(), set(), set(), set()
    first = None
    version = open(folder + "/PropList.txt", encoding="utf-8").readline().strip()
    for line in open(folder + "/UnicodeData.txt", encoding="utf-8"):
        f = line.split(";")
        cp, name, gc = int(f[0], 16), f[1], f[2]
        if name.endswith(", First>"):
            first = cp
            continue
        cps = range(first, cp + 1) if name.endswith(", Last>") else [cp]
        for c in cps:
            assigned.add(c)
            if gc[0] == "L":
                letters.add(c)
            elif gc[0] == "N":
                numbers.add(c)
    for line in open(folder + "/PropList.txt", encoding="utf-8"):
        line = line.split("#")[0].strip()
        if not line:
            continue
        rng, prop = [x.strip() for x in line.split(";")]
        if prop != "White_Space":
            continue
        a, _, b = rng.partition("..")
        space.update(range(int(a, 16), int(b or a, 16) + 1))
    return version, letters, numbers, space, assigned


def main():
    gc, sp = sys.argv[1], sys.argv[2]
    folder = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/unicode"
    version, l15, n15, s15, assigned = ucd(folder)
    theirs = {"L": rust_table(gc, "LETTER"), "N": rust_table(gc, "NUMBER"), "s": rust_table(sp, "WHITE_SPACE")}
    ours = {"L": l15, "N": n15, "s": s15}
    print("local UCD:", version)
    for k in ("L", "N", "s"):
        only_t, only_o = theirs[k] - ours[k], ours[k] - theirs[k]
        print("\\p{%s}: %d ours, %d theirs; %d only theirs (%d of them assigned locally), %d only ours" % (
            k, len(ours[k]), len(theirs[k]), len(only_t), len(only_t & assigned), len(only_o)))


if __name__ == "__main__":
    main()
