"""lmprob.GPT2: GPT-2 inference with logits as arrays and sliding-window perplexity."""
import os

from . import _lmprob
from ._tiktoken import Encoding, get_encoding


def _folder_has_vocab(path):
    # the engine's own rule (lmp_lm_probe_path), not a second list of file names
    return _lmprob._has_own_vocab(path)


class GPT2(_lmprob._GPT2):
    """GPT2(path, vocab=None, *, threads=0)

    A GPT-2 checkpoint in Hugging Face's format (a folder with config.json and
    model.safetensors or pytorch_model.bin, or one such file alone), run in float32 by lmprob's engine
    with Hugging Face's GPT2LMHeadModel semantics (docs/gpt2.md).

    vocab: the tokenizer for text inputs: an Encoding, a vocabulary path, or None (the
    folder's own tokenizer.json or vocab.json + merges.txt, else lmprob.get_encoding("gpt2")
    when it is installed and the model has room for its 50,257 ids; else token ids only).
    threads: threads of each forward pass (0: every core).

    Methods: logits(tokens) (float32 array), next_logprobs(tokens), score(tokens),
    perplexity(text, window, stride, recipe=...); attributes config, n_ctx, n_vocab,
    encoding. Token arguments are lists or integer arrays of ids, or text.

    Thread safety: the weights are immutable and every call makes its own context, so
    threads may share one GPT2; each forward pass releases the GIL.
    """

    def __init__(self, path, vocab=None, *, threads=0):
        path = os.fspath(path)
        default = False
        if isinstance(vocab, _lmprob._Encoding):
            enc = vocab
        elif vocab is not None:
            enc = Encoding(vocab)
        elif _folder_has_vocab(path):
            enc = None  # the engine loads the folder's own files
        else:
            try:
                enc = get_encoding("gpt2")
                default = True  # unless the model is too small for it (a toy): then token ids only
            except FileNotFoundError:
                enc = None  # token ids only
        super().__init__(path, enc, threads=threads, default_encoding=default)
        self._path = path
        if default and self.n_vocab < enc.n_vocab:
            enc = None
        self._encoding = enc

    @property
    def encoding(self):
        """The model's tokenizer as an lmprob.Encoding (None when it has none)."""
        if self._encoding is None and _folder_has_vocab(self._path):
            self._encoding = Encoding(self._path)
        return self._encoding

    def encode(self, text):
        """The token ids of text with the model's tokenizer (its special tokens, "<|endoftext|>", are special)."""
        enc = self.encoding
        if enc is None:
            raise ValueError("GPT2: this model has no tokenizer: pass token ids")
        return enc.encode(text, allowed_special="all")

    def __repr__(self):
        c = self.config
        return f"<GPT2 {self._path!r}: {c['n_layer']} layers, {c['n_embd']} wide, {c['n_params']:,} parameters>"
