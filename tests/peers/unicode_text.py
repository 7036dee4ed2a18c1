#!/usr/bin/env python3
"""Write a UTF-8 text that puts every character of the Unicode Character Database in contexts where
GPT-2's pre-tokenizer treats letters, numbers, white space and other characters differently:

    a{c}'s 1{c}'s  {c}'s .{c}.
    ("'s" is a contraction after a letter, digit or white space, but joins an "other" run; " {c}"
     is one piece unless c is white space; "a{c}" and "1{c}" are one piece only for a letter / digit)

for every code point UnicodeData.txt assigns (surrogates and private use excepted; every 16th one
of the large <..., First>/<..., Last> ranges). tests/cli/test_tokenizer.sh encodes it with lmprob
and with tiktoken side by side.

    unicode_text.py /usr/share/unicode/UnicodeData.txt > out.txt
"""
import sys


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unicode/UnicodeData.txt"
    cps = []
    first = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.split(";")
            cp, name, gc = int(fields[0], 16), fields[1], fields[2]
            if gc in ("Cs", "Co"):
                continue
            if name.endswith(", First>"):
                first = cp
                continue
            if name.endswith(", Last>"):
                cps.extend(range(first, cp + 1, 16))
                continue
            cps.append(cp)
    out = []
    for cp in cps:
        c = chr(cp)
        out.append(f"a{c}'s 1{c}'s  {c}'s .{c}.\n")
    sys.stdout.buffer.write("".join(out).encode("utf-8"))


if __name__ == "__main__":
    main()
