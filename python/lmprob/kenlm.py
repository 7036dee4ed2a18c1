"""kenlm's Python API on lmprob: ``import lmprob.kenlm as kenlm`` and existing kenlm code runs.

The same names as kenlm.pyx: Model (and its alias LanguageModel), State,
FullScoreReturn, Config, LoadMethod, ARPALoadComplain. Model reads ARPA files
(plain, gzip, xz) and lmprob's binary format (`lmprob model convert`), not
KenLM's own binary files. Scores are KenLM's bit for bit: the same float
arithmetic, the same <unk>, <s> and </s> conventions, the same tokenisation.

Differences, all deliberate: loading prints nothing (kenlm prints progress to
stderr); Config is accepted and ignored (lmprob mmaps binary files and reads
ARPA in one pass whatever the load method); comparing a State with something
that is not a State is False instead of a TypeError; State.__deepcopy__ takes
the memo argument Python passes (kenlm's does not, so copy.deepcopy fails there).
"""
from ._lmprob import FullScoreReturn, Model, State

__all__ = ["Model", "LanguageModel", "State", "FullScoreReturn", "Config", "LoadMethod", "ARPALoadComplain"]


class LoadMethod:
    """KenLM's util::LoadMethod values (accepted in Config, ignored)."""

    LAZY = 0
    POPULATE_OR_LAZY = 1
    POPULATE_OR_READ = 2
    READ = 3
    PARALLEL_READ = 4


class ARPALoadComplain:
    """KenLM's Config::ARPALoadComplain values (accepted in Config, ignored)."""

    ALL = 0
    EXPENSIVE = 1
    NONE = 2


class Config:
    """kenlm.Config: load options. lmprob accepts them for compatibility and ignores them."""

    def __init__(self):
        self.load_method = LoadMethod.POPULATE_OR_LAZY
        self.show_progress = True
        self.arpa_complain = ARPALoadComplain.ALL


class LanguageModel(Model):
    """Backwards compatibility alias of Model (as kenlm's)."""
