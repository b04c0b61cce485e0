"""Grammar-constrained decoding: xgrammar grammars compiled for one tokenizer, and the per-request token masks."""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass

import torch
import xgrammar
from transformers.generation.continuous_batching.cb_logits_processors import ContinuousBatchingLogitsProcessor

from worldsmith.errors import InvalidArgument
from worldsmith.runtime.generation import Grammar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CompiledGrammar:
    """A grammar ready for matchers. `json` grammars also refuse tokens holding raw control characters."""

    compiled: xgrammar.CompiledGrammar
    json: bool


class GrammarCompiler:
    """Compiles grammars against one tokenizer; xgrammar caches compiled grammars by their text."""

    def __init__(self, tokenizer, vocab_size: int, stop_token_ids: list[int]):
        self.vocab_size = vocab_size
        self.tokenizer_info = xgrammar.TokenizerInfo.from_huggingface(
            tokenizer, vocab_size=vocab_size, stop_token_ids=stop_token_ids
        )
        self._compiler = xgrammar.GrammarCompiler(self.tokenizer_info, max_threads=2)

    def compile(self, grammar: Grammar, field: str) -> CompiledGrammar:
        """Compile, or raise InvalidArgument naming `field` when the grammar is malformed."""
        try:
            if grammar.json_schema is not None:
                # Compact JSON: a free-whitespace grammar lets a weak model pad with spaces until it runs out of tokens.
                return CompiledGrammar(self._compiler.compile_json_schema(grammar.json_schema, any_whitespace=False), True)
            return CompiledGrammar(self._compiler.compile_grammar(grammar.ebnf), False)
        except (RuntimeError, ValueError, TypeError) as error:
            kind = "JSON Schema" if grammar.json_schema is not None else "EBNF grammar"
            raise InvalidArgument(field, f"is not a {kind} xgrammar can compile: {error}") from None


class GrammarMasks(ContinuousBatchingLogitsProcessor):
    """A continuous-batching logits processor that masks each constrained request's logits to the tokens its
    grammar allows next.

    The batcher gives logits processors one int32 per row (`grammar`: a handle, -1 when unconstrained) and the
    request states. Before each forward pass, `prepare_tensor_args` feeds every matcher the tokens its request
    sampled since the last pass and writes the next-token bitmasks into a fixed device buffer; `__call__` applies
    them with tensor operations only, so the processor also works inside captured CUDA graphs.

    xgrammar's JSON Schema strings accept raw control characters (U+0000-U+001F), which strict JSON parsers
    reject; compact JSON never contains them, so JSON requests also mask every token holding such a byte.
    """

    supported_kwargs = {"grammar": int}
    ignored_kwargs = ()

    def __init__(self, tokenizer_info: xgrammar.TokenizerInfo, max_rows: int, device: torch.device):
        vocab_size = tokenizer_info.vocab_size
        self._host_bitmask = xgrammar.allocate_token_bitmask(max_rows, vocab_size)
        self._device_bitmask = self._host_bitmask.to(device)
        self._bit_positions = torch.arange(32, dtype=torch.int32, device=device)
        self._json_safe = _bitmask_of(
            [not any(byte < 0x20 for byte in token) for token in tokenizer_info.decoded_vocab], vocab_size
        )
        self._matchers: dict[int, _Matcher] = {}
        self._handles = itertools.count()
        self._lock = threading.Lock()

    # -- request lifecycle (any thread) --------------------------------------------------
    def register(self, grammar: CompiledGrammar) -> int:
        """Start a matcher for one request; pass the handle as the request's `grammar` kwarg."""
        handle = next(self._handles) % 2**31
        with self._lock:
            self._matchers[handle] = _Matcher(xgrammar.GrammarMatcher(grammar.compiled), grammar.json)
        return handle

    def release(self, handle: int) -> None:
        with self._lock:
            self._matchers.pop(handle, None)

    # -- ContinuousBatchingLogitsProcessor (the batcher's thread) --------------------------
    def fill_defaults(self, int32_tensor: torch.Tensor) -> None:
        int32_tensor.fill_(-1)

    def prepare_tensor_args(self, requests_with_new_token) -> torch.Tensor:
        handles = []
        for row, future in enumerate(requests_with_new_token):
            handle = future.state.logit_processor_kwargs.get("grammar", -1)
            with self._lock:
                entry = self._matchers.get(handle)
            if entry is None:  # unconstrained, or released while the batcher still held the request
                handles.append(-1)
                continue
            generated = future.state.generated_tokens
            for token in generated[entry.consumed:]:
                if not entry.matcher.accept_token(token):
                    log.warning("grammar matcher rejected token %d of request %s", token, future.state.request_id)
            entry.consumed = len(generated)
            entry.matcher.fill_next_token_bitmask(self._host_bitmask, row)
            if entry.json:
                self._host_bitmask[row] &= self._json_safe
            handles.append(handle)
        rows = len(handles)
        if rows and max(handles) >= 0:
            # A blocking copy: on CUDA the batcher computes on its own stream, which must see the finished masks.
            self._device_bitmask[:rows].copy_(self._host_bitmask[:rows])
        return torch.tensor(handles, dtype=torch.int32)

    def __call__(self, scores: torch.Tensor, tensor_arg: torch.Tensor) -> torch.Tensor:
        rows, width = scores.shape
        constrained = tensor_arg[:rows] >= 0
        words = self._device_bitmask[:rows]
        allowed = ((words.unsqueeze(-1) >> self._bit_positions) & 1).bool().flatten(1)[:, :width]
        return scores.masked_fill(constrained.unsqueeze(-1) & ~allowed, float("-inf"))


@dataclass
class _Matcher:
    matcher: xgrammar.GrammarMatcher
    json: bool
    consumed: int = 0  # tokens of the request already fed to the matcher


def _bitmask_of(allowed: list[bool], vocab_size: int) -> torch.Tensor:
    """An xgrammar-layout bitmask row (bit i % 32 of int32 word i // 32) allowing the given token ids."""
    bitmask = xgrammar.allocate_token_bitmask(1, vocab_size)[0]
    bitmask.zero_()
    words = bitmask.numpy().view("uint32")
    for token_id, ok in enumerate(allowed):
        if ok:
            words[token_id // 32] |= 1 << (token_id % 32)
    return bitmask
