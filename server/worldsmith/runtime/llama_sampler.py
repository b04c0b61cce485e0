"""One sequence's next-token choice on llama.cpp: the grammar's mask applied to its logits, then llama.cpp's own
sampler chain (greedy, or top-k 40, top-p, min-p 0.05, temperature and a seeded draw, as llama-server samples)."""

from __future__ import annotations

import numpy as np
import torch
import llama_cpp as llama

from worldsmith.runtime.grammar import SequenceGrammar

TOP_K = 40
MIN_P = 0.05
# llama.cpp seeds are 32-bit and 0xFFFFFFFF means "random"; a request's seed maps below it.
_SEED_RANGE = 2**32 - 1


class Sampler:
    """Picks each next token for one sequence; `free()` releases the native chain."""

    def __init__(self, temperature: float, top_p: float, seed: int, n_vocab: int, grammar: SequenceGrammar | None):
        self._n_vocab = n_vocab
        self._grammar = grammar
        self._chain = llama.llama_sampler_chain_init(llama.llama_sampler_chain_default_params())
        if temperature == 0:
            self._add(llama.llama_sampler_init_greedy())
        else:
            self._add(llama.llama_sampler_init_top_k(TOP_K))
            self._add(llama.llama_sampler_init_top_p(top_p, 1))
            self._add(llama.llama_sampler_init_min_p(MIN_P, 1))
            self._add(llama.llama_sampler_init_temp(temperature))
            self._add(llama.llama_sampler_init_dist(seed % _SEED_RANGE))

    def _add(self, sampler) -> None:
        llama.llama_sampler_chain_add(self._chain, sampler)

    def choose(self, context, index: int) -> int:
        """The token for the batch row `index` of the last decode. The grammar's mask is written into llama.cpp's
        logits buffer, which the chain then reads."""
        if self._grammar is not None:
            logits = np.ctypeslib.as_array(llama.llama_get_logits_ith(context, index), shape=(self._n_vocab,))
            self._grammar.mask(torch.from_numpy(logits))
        token = llama.llama_sampler_sample(self._chain, context, index)
        if self._grammar is not None:
            self._grammar.accept(token)
        return token

    def free(self) -> None:
        if self._chain is not None:
            llama.llama_sampler_free(self._chain)
            self._chain = None
