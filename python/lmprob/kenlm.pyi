# Type stubs of lmprob.kenlm: kenlm's Python API over lmprob (see lmprob.kenlm's docstring).
from typing import List

from . import FullScoreReturn as FullScoreReturn, Model as Model, State as State

class LoadMethod:
    LAZY: int
    POPULATE_OR_LAZY: int
    POPULATE_OR_READ: int
    READ: int
    PARALLEL_READ: int

class ARPALoadComplain:
    ALL: int
    EXPENSIVE: int
    NONE: int

class Config:
    load_method: int
    show_progress: bool
    arpa_complain: int
    def __init__(self) -> None: ...

class LanguageModel(Model): ...

__all__: List[str]
