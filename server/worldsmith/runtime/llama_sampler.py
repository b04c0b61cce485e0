"""One sequence's next-token choice on llama.cpp: its grammar's mask (llguidance, the grammar engine llama.cpp
itself uses) written into its logits, then the argmax (greedy) or llama.cpp's own sampler chain (top-k 40, top-p,
min-p 0.05, temperature and a seeded draw, as llama-server samples)."""

from __future__ import annotations

import warnings

import llama_cpp as llama
import llguidance
import llguidance.llamacpp
import llguidance.numpy
import numpy as np

from worldsmith.errors import InvalidArgument
from worldsmith.runtime.generation import Grammar

TOP_K = 40
MIN_P = 0.05
# llama.cpp seeds are 32-bit and 0xFFFFFFFF means "random"; a request's seed maps below it.
_SEED_RANGE = 2**32 - 1
# Compact JSON: with optional whitespace allowed, a hot-sampled answer can spend its whole budget on blank lines
# and never close the object.
_JSON_OPTIONS = {"whitespace_flexible": False}


class Grammars:
    """Compiles grammars and JSON Schemas against one llama.cpp vocabulary."""

    def __init__(self, vocab, end_tokens: list[int]):
        self.n_vocab = llama.llama_vocab_n_tokens(vocab)
        with warnings.catch_warnings():  # it reads each token's attributes through a deprecated alias
            warnings.simplefilter("ignore", DeprecationWarning)
            self._tokenizer = llguidance.llamacpp.lltokenizer_from_vocab(vocab, eos_token=end_tokens)

    def compile(self, grammar: Grammar, field: str) -> str:
        """The grammar in llguidance's form, or InvalidArgument naming `field` when it is malformed."""
        try:
            if grammar.json_schema is not None:
                compiled = llguidance.LLMatcher.grammar_from_json_schema(grammar.json_schema, overrides=_JSON_OPTIONS)
            else:
                compiled = llguidance.grammar_from("gbnf", grammar.ebnf)
        except ValueError as error:
            raise InvalidArgument(field, f"cannot be compiled: {error}") from None
        failed, messages = llguidance.LLMatcher.validate_grammar_with_warnings(compiled, self._tokenizer)
        if failed:
            raise InvalidArgument(field, f"cannot be compiled: {messages[0]}")
        return compiled

    def matcher(self, compiled: str) -> llguidance.LLMatcher:
        return llguidance.LLMatcher(self._tokenizer, compiled)


class Sampler:
    """Picks each next token for one sequence; `free()` releases the native chain.

    Greedy decoding takes the argmax of the logits row directly: llama.cpp's chain first copies every candidate
    of the vocabulary (262k for Gemma), which costs more than the argmax (ARCHITECTURE.md, Engines)."""

    def __init__(self, temperature: float, top_p: float, seed: int, n_vocab: int,
                 matcher: llguidance.LLMatcher | None):
        self._n_vocab = n_vocab
        self._matcher = matcher
        self._bitmask = llguidance.numpy.allocate_token_bitmask(1, n_vocab) if matcher is not None else None
        self._chain = None
        if temperature > 0:
            self._chain = llama.llama_sampler_chain_init(llama.llama_sampler_chain_default_params())
            for sampler in (llama.llama_sampler_init_top_k(TOP_K), llama.llama_sampler_init_top_p(top_p, 1),
                            llama.llama_sampler_init_min_p(MIN_P, 1), llama.llama_sampler_init_temp(temperature),
                            llama.llama_sampler_init_dist(seed % _SEED_RANGE)):
                llama.llama_sampler_chain_add(self._chain, sampler)

    def choose(self, context, index: int, logits: np.ndarray) -> int:
        """The token for the batch position `index` of the last decode, whose logits row is `logits` (a view of
        llama.cpp's buffer, which the chain reads). As llama.cpp does, the model chooses first and the grammar
        checks the choice; only a refused choice costs a mask (written into the row) and a second choice among the
        tokens the grammar allows."""
        token = self._pick(context, index, logits)
        if self._matcher is None or self._matcher.try_consume_tokens([token]) == 1:
            return token
        llguidance.numpy.fill_next_token_bitmask(self._matcher, self._bitmask, 0)
        allowed = np.unpackbits(self._bitmask.view(np.uint8), bitorder="little", count=self._n_vocab)
        logits[allowed == 0] = -np.inf
        token = self._pick(context, index, logits)
        self._matcher.consume_token(token)
        return token

    def _pick(self, context, index: int, logits: np.ndarray) -> int:
        if self._chain is None:
            return int(np.argmax(logits))
        return llama.llama_sampler_sample(self._chain, context, index)

    def free(self) -> None:
        if self._chain is not None:
            llama.llama_sampler_free(self._chain)
            self._chain = None
