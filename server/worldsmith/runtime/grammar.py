"""Grammar-constrained decoding: xgrammar grammars compiled for one tokenizer, and the per-request token masks."""

from __future__ import annotations

import itertools
import json
import logging
import threading
from dataclasses import dataclass

import torch
import xgrammar
from transformers.generation.continuous_batching.cb_logits_processors import ContinuousBatchingLogitsProcessor

from worldsmith.errors import InvalidArgument

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Grammar:
    """What generated text must match: a JSON Schema, or an EBNF grammar (GBNF dialect, root rule `root`).

    Examples:
        Grammar.json({"type": "object", "properties": {"mood": {"enum": ["calm", "angry"]}}, "required": ["mood"]})
        Grammar.choice(["calm", "angry", "afraid"])
        Grammar.ebnf('root ::= "yes" | "no"')
    """

    json_schema: str | None = None  # canonical JSON text, so equal schemas compare (and cache) equal
    ebnf: str | None = None

    @classmethod
    def json(cls, schema: dict) -> "Grammar":
        return cls(json_schema=json.dumps(schema, sort_keys=True))

    @classmethod
    def ebnf_text(cls, text: str) -> "Grammar":
        return cls(ebnf=text)

    @classmethod
    def choice(cls, options: list[str]) -> "Grammar":
        """Exactly one of `options`, verbatim."""
        if not options:
            raise InvalidArgument("grammar.choice", "needs at least one option, e.g. ['calm', 'angry']")
        return cls(ebnf="root ::= " + " | ".join(json.dumps(option) for option in options))


class GrammarCompiler:
    """Compiles grammars against one tokenizer; xgrammar caches compiled grammars by their text."""

    def __init__(self, tokenizer, vocab_size: int, stop_token_ids: list[int]):
        self.vocab_size = vocab_size
        info = xgrammar.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size, stop_token_ids=stop_token_ids)
        self._compiler = xgrammar.GrammarCompiler(info, max_threads=2)

    def compile(self, grammar: Grammar, field: str) -> xgrammar.CompiledGrammar:
        """Compile, or raise InvalidArgument naming `field` when the grammar is malformed."""
        try:
            if grammar.json_schema is not None:
                # Compact JSON: a free-whitespace grammar lets a weak model pad with spaces until it runs out of tokens.
                return self._compiler.compile_json_schema(grammar.json_schema, any_whitespace=False)
            return self._compiler.compile_grammar(grammar.ebnf)
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
    """

    supported_kwargs = {"grammar": int}
    ignored_kwargs = ()

    def __init__(self, vocab_size: int, max_rows: int, device: torch.device):
        self.vocab_size = vocab_size
        self._host_bitmask = xgrammar.allocate_token_bitmask(max_rows, vocab_size)
        self._device_bitmask = self._host_bitmask.to(device)
        self._bit_positions = torch.arange(32, dtype=torch.int32, device=device)
        self._matchers: dict[int, tuple[xgrammar.GrammarMatcher, list[int]]] = {}
        self._handles = itertools.count()
        self._lock = threading.Lock()

    # -- request lifecycle (any thread) --------------------------------------------------
    def register(self, compiled: xgrammar.CompiledGrammar) -> int:
        """Start a matcher for one request; pass the handle as the request's `grammar` kwarg."""
        handle = next(self._handles) % 2**31
        with self._lock:
            self._matchers[handle] = (xgrammar.GrammarMatcher(compiled), [0])
        return handle

    def release(self, handle: int) -> None:
        with self._lock:
            self._matchers.pop(handle, None)

    def is_completed(self, handle: int) -> bool:
        with self._lock:
            entry = self._matchers.get(handle)
        return entry is not None and entry[0].is_terminated()

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
            matcher, seen = entry
            generated = future.state.generated_tokens
            for token in generated[seen[0]:]:
                if not matcher.accept_token(token):
                    log.warning("grammar matcher rejected token %d of request %s", token, future.state.request_id)
            seen[0] = len(generated)
            matcher.fill_next_token_bitmask(self._host_bitmask, row)
            handles.append(handle)
        rows = len(handles)
        if rows and max(handles) >= 0:
            self._device_bitmask[:rows].copy_(self._host_bitmask[:rows], non_blocking=True)
        return torch.tensor(handles, dtype=torch.int32)

    def __call__(self, scores: torch.Tensor, tensor_arg: torch.Tensor) -> torch.Tensor:
        rows, width = scores.shape
        constrained = tensor_arg[:rows] >= 0
        words = self._device_bitmask[:rows]
        allowed = ((words.unsqueeze(-1) >> self._bit_positions) & 1).bool().flatten(1)[:, :width]
        return scores.masked_fill(constrained.unsqueeze(-1) & ~allowed, float("-inf"))
