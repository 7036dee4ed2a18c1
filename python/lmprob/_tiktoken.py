"""GPT-2's tokenizer with tiktoken's method names (lmprob.Encoding, lmprob.get_encoding).

The ids are tiktoken's "gpt2" / "r50k_base" ids (the library is checked against
tiktoken, docs/tokenizer.md). The special-token rules are tiktoken's: by default
text that contains "<|endoftext|>" is refused (disallowed_special="all"), with
allowed_special={"<|endoftext|>"} or "all" it becomes the special token 50256,
and with disallowed_special=() it is encoded as ordinary text. A tokenizer.json's
special added tokens follow the same rules, all of them together (the engine reads
every special token as special or none); its other added tokens always split.
"""
import os
import threading

from . import _lmprob


def _disallowed(token):
    return ValueError(
        f"Encountered text corresponding to disallowed special token {token!r}.\n"
        f"To encode it as the special token, pass allowed_special={{{token!r}}} (or 'all');\n"
        f"to encode it as ordinary text, pass disallowed_special=() (tiktoken's rules)."
    )


class Encoding(_lmprob._Encoding):
    """Encoding(path, name=None)

    GPT-2's byte-level BPE tokenizer with tiktoken's API: encode, encode_ordinary,
    encode_batch, encode_ordinary_batch, encode_to_numpy, encode_single_token, decode,
    decode_bytes, decode_batch, decode_single_token_bytes, decode_tokens_bytes,
    decode_with_offsets, n_vocab, eot_token, special_tokens_set, max_token_value.

    path: a folder with encoder.json + vocab.bpe (OpenAI) or vocab.json + merges.txt
    (Hugging Face), or a tiktoken rank file. lmprob.get_encoding("gpt2") finds the
    vocabulary that `make` / `make install` put in place.

    Thread safety: immutable; any number of threads may share one Encoding. Texts
    longer than a few kB and batches run without the GIL (batches on threads).
    """

    def __init__(self, path, name=None):
        super().__init__(path)
        self.name = name or os.path.basename(os.path.normpath(os.fspath(path)))

    def __repr__(self):
        return f"<Encoding {self.name!r}>"

    def __reduce__(self):
        return (Encoding, (self.path, self.name))

    # ---- tiktoken's attributes
    @property
    def special_tokens_set(self):
        """The special tokens: {'<|endoftext|>'} for GPT-2; a tokenizer.json's special added tokens."""
        return set(self._special_tokens)

    @property
    def _special_tokens(self):
        return {text: i for i, text, special in self._added if special}

    @property
    def max_token_value(self):
        """The largest token id (n_vocab - 1)."""
        return self.n_vocab - 1

    def is_special_token(self, token):
        """True for the id of a special token (<|endoftext|> for GPT-2)."""
        return token in self._special_tokens.values()

    def _special(self, text, allowed_special, disallowed_special):
        specials = self.special_tokens_set
        if allowed_special == "all":
            allowed_special = specials
        allowed = specials & set(allowed_special)
        if allowed and allowed != specials:
            # the engine reads all of a vocabulary's special tokens as special, or none of them
            raise ValueError(f"allowed_special={set(allowed_special)!r}: lmprob reads every special token of this "
                             f"vocabulary as special or none: expected 'all', all of {sorted(specials)!r}, or none")
        if disallowed_special == "all":
            disallowed_special = specials - set(allowed_special)
        if disallowed_special and isinstance(text, (str, bytes)):  # anything else: TypeError from _encode
            s = text if isinstance(text, str) else text.decode("utf-8", "replace")
            for tok in disallowed_special:
                if tok in s:
                    raise _disallowed(tok)
        return bool(allowed)

    # ---- encoding
    def encode_ordinary(self, text):
        """The token ids of text, "<|endoftext|>" read as ordinary text."""
        return self._encode(text)

    def encode(self, text, *, allowed_special=frozenset(), disallowed_special="all"):
        """The token ids of text (tiktoken's special-token rules; see the module docstring)."""
        return self._encode(text, special=self._special(text, allowed_special, disallowed_special))

    def encode_to_numpy(self, text, *, allowed_special=frozenset(), disallowed_special="all"):
        """encode(), as a numpy uint32 array (a memoryview without numpy)."""
        return self._encode(text, special=self._special(text, allowed_special, disallowed_special), numpy=True)

    def encode_ordinary_batch(self, text, *, num_threads=8):
        """encode_ordinary of each text of a list, on num_threads threads without the GIL."""
        return self._encode_batch(text, num_threads=num_threads)

    def encode_batch(self, text, *, num_threads=8, allowed_special=frozenset(), disallowed_special="all"):
        """encode of each text of a list, on num_threads threads without the GIL."""
        if isinstance(text, (str, bytes)):
            raise TypeError("encode_batch: expected a list of str, got one str")
        text = list(text)  # any iterable, as tiktoken: read once, by the checks and the encoder both
        special = self._special("", allowed_special, disallowed_special)
        for t in text:
            self._special(t, allowed_special, disallowed_special)
        return self._encode_batch(text, special=special, num_threads=num_threads)

    def encode_with_unstable(self, *args, **kwargs):
        """tiktoken's encode_with_unstable (the completions that could follow a prefix): not
        offered by lmprob; raises NotImplementedError so that code relying on it fails loudly."""
        raise NotImplementedError("encode_with_unstable is not implemented by lmprob")

    # ---- decoding
    def decode(self, tokens, errors="replace"):
        """The text of the tokens: decode_bytes(tokens).decode('utf-8', errors)."""
        return self.decode_bytes(tokens).decode("utf-8", errors=errors)

    def decode_tokens_bytes(self, tokens):
        """The bytes of each token, a list."""
        return [self.decode_single_token_bytes(t) for t in tokens]

    def decode_with_offsets(self, tokens):
        """(text, offsets): the decoded text and where each token starts in it (tiktoken's rule:
        a token that starts inside a UTF-8 character starts at that character)."""
        token_bytes = self.decode_tokens_bytes(tokens)
        text_len = 0
        offsets = []
        for tb in token_bytes:
            offsets.append(max(0, text_len - (len(tb) > 0 and 0x80 <= tb[0] < 0xC0)))
            text_len += sum(1 for c in tb if not 0x80 <= c < 0xC0)
        return b"".join(token_bytes).decode("utf-8", errors="strict"), offsets

    def decode_batch(self, batch, *, errors="replace", num_threads=8):
        """decode of each list of tokens."""
        return _each_row(batch, lambda t: self.decode(t, errors))

    def decode_bytes_batch(self, batch, *, num_threads=8):
        """decode_bytes of each list of tokens."""
        return _each_row(batch, self.decode_bytes)

    def token_byte_values(self):
        """The bytes of every ordinary token (all but <|endoftext|>), sorted by bytes, as tiktoken."""
        return sorted(self.decode_single_token_bytes(i) for i in range(self.n_vocab) if i != self.eot_token)


def _each_row(batch, fn):
    """fn of each row, an error naming its row ("batch[1]: tokens[1] = 99999: ..."; the row was not said)."""
    out = []
    for i, row in enumerate(batch):
        try:
            out.append(fn(row))
        except (ValueError, TypeError) as e:
            raise type(e)(f"batch[{i}]: {e}") from None
    return out


_NAMES = ("gpt2", "r50k_base")
_cache = {}
_lock = threading.Lock()


def default_vocab_dir():
    """Where get_encoding("gpt2") reads GPT-2's vocabulary: $LMPROB_GPT2_VOCAB (as the CLI), else the
    copy installed inside the package (lmprob/data/gpt2, put there by `make python` / `make install`)."""
    env = os.environ.get("LMPROB_GPT2_VOCAB")
    if env:
        return env
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "gpt2")


def list_encoding_names():
    """The names get_encoding knows: ['gpt2', 'r50k_base'] (the same ranks)."""
    return list(_NAMES)


def get_encoding(encoding_name):
    """The tokenizer named encoding_name ('gpt2' or 'r50k_base', the same ids), loaded once per process."""
    if encoding_name not in _NAMES:
        raise ValueError(f"Unknown encoding {encoding_name!r}: lmprob has {', '.join(_NAMES)}")
    with _lock:
        enc = _cache.get(encoding_name)
        if enc is None:
            path = default_vocab_dir()
            if not os.path.exists(path):
                raise FileNotFoundError(
                    2, f"GPT-2's vocabulary is not installed (make python / make install copy it from build/gpt2; "
                    f"or set LMPROB_GPT2_VOCAB to a folder with encoder.json and vocab.bpe)", path)
            enc = _cache[encoding_name] = Encoding(path, encoding_name)
        return enc
