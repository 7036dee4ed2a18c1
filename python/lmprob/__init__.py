"""lmprob: probabilistic language modelling in C, for Python.

A native module over the lmprob C library (no Cython, pybind or ctypes). Arrays go
in and out through the buffer protocol: numpy arrays, torch CPU tensors,
memoryviews and array.array are read in place; results are numpy arrays over the
library's own memory (memoryviews when numpy is not installed). Long calls release
the GIL; batch calls run on every core.

N-gram models, a drop-in for kenlm (``import lmprob.kenlm as kenlm``)
    Model(path)              ARPA or lmprob binary; score, perplexity, full_scores,
                             order, `word in model`, State, BeginSentenceWrite,
                             NullContextWrite, BaseScore, BaseFullScore (kenlm's
                             names and numbers); next_logprobs, score_batch,
                             evaluate, write_arpa, write_binary
    State, FullScoreReturn   kenlm's values
    train(corpus, order=3, estimator='mkn', ...)
                             estimate a model (KenLM's lmplz numbers for mkn)

Sampling (Hugging Face's warpers and llama.cpp's chain)
    sample(logits, temperature=, top_k=, top_p=, min_p=, typical_p=, ...,
           order='hf'|'llama', rng=)
                             one token per row of a 1-D or 2-D array
    Sampler(...)             the same chain, buffers kept between calls
    RandomState(seed)        numpy's legacy MT19937 stream, bit for bit
    Xoshiro256(seed)         the library's default stream (the CLI's)
    default_rng              the stream sample() uses without rng=

Information theory, along an axis (numpy's rules)
    entropy, entropy_of_logits, cross_entropy, kl, js, perplexity, logsumexp,
    log_softmax, softmax
    cross_entropy_loss(logits, target)  torch's F.cross_entropy, [C] or [N, C]

GPT-2
    get_encoding("gpt2")     the tokenizer with tiktoken's method names (encode,
                             encode_ordinary, encode_batch, decode, ...)
    Encoding(path)           a tokenizer from vocabulary files
    GPT2(path)               inference: logits, next_logprobs, score, perplexity
                             (exact, Hugging Face and chapter window recipes)

Errors
    ValueError / TypeError with the library's message for bad arguments;
    FileNotFoundError / OSError for files; FormatError (an Error and an OSError)
    naming file and line for a malformed model or vocabulary; UnsupportedError.

Thread safety: Model, Encoding and GPT2 are immutable and may be shared by threads;
Sampler, RandomState and Xoshiro256 hold a lock per object (calls run one at a
time); State is a value. See docs/python.md in the source tree.
"""
from . import _lmprob
from ._lmprob import (
    NGRAM_MAX_ORDER,
    Error,
    FormatError,
    FullScoreReturn,
    Model,
    RandomState,
    Sampler,
    State,
    UnsupportedError,
    Xoshiro256,
    __version__,
    cross_entropy,
    cross_entropy_loss,
    default_rng,
    entropy,
    entropy_of_logits,
    js,
    kl,
    log_softmax,
    logsumexp,
    perplexity,
    sample,
    softmax,
    train,
)
from ._tiktoken import Encoding, get_encoding, list_encoding_names
from ._gpt2 import GPT2

__all__ = [
    "__version__", "Error", "FormatError", "UnsupportedError", "NGRAM_MAX_ORDER",
    "Model", "State", "FullScoreReturn", "train",
    "sample", "Sampler", "RandomState", "Xoshiro256", "default_rng",
    "entropy", "entropy_of_logits", "cross_entropy", "kl", "js", "perplexity", "logsumexp", "log_softmax", "softmax",
    "cross_entropy_loss",
    "Encoding", "get_encoding", "list_encoding_names", "GPT2",
]
