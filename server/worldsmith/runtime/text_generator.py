"""Text generation engine: chat messages (or a raw prompt) in, streamed text out, many requests sharing one model.

Use
---
    generator = text_generator.load("Qwen/Qwen2.5-0.5B-Instruct", "main", "cuda", torch.bfloat16, LaneLimits())
    generator.warmup()                  # sync: runs the first batch and a grammar-constrained request
    await generator.start()

    job = generator.submit(GenerationRequest(messages=[{"role": "user", "content": "Hi"}], seed=7), ctx)
    async for event in job.events():
        ...  # common_pb2.Queued while it waits in its lane, TextChunk deltas, then one GenerationResult
    result = await generator.generate(request, ctx)     # the same, chunks dropped

Sources: a Hugging Face id, a local directory or a .gguf file (dequantised to `dtype`). A base model (no chat
template, `has_chat_template` False) takes `GenerationRequest(prompt="Player: Hi!\nBram:")`; chat messages to it are
refused with InvalidArgument. A reply ends at the generation config's and tokenizer's eos and at the token the chat
template closes an assistant turn with (Gemma's <end_of_turn>).

Constrained output: `json_schema={...}` or `grammar=Grammar.choice([...])` / `Grammar.ebnf_text(...)`. When the
result's finish_reason is "stop", its text matches: `json.loads(result.text)` validates against the schema.
"length" means max_new_tokens ran out first; bound strings (maxLength) and arrays (maxItems) to avoid it.

Stop sequences: `stop_sequences=["\nPlayer:"]` ends the request at the first one generated, with finish_reason
"stop_sequence"; neither the chunks nor the result's text contain it.

Budgeting a prompt: `render_prompt(messages)`, `count_tokens(text)`, `prompt_tokens(messages)`, `context_tokens`.

How it works
------------
One transformers continuous-batching manager (`model.init_continuous_batching()`) owns the model and runs every
request, plain or constrained, in shared forward passes; requests join and leave between tokens. The engine's
lanes decide which request enters next: `concurrency = max_batch_size` worker threads each carry one request
from `add_request(..., streaming=True)` to its end, so at most max_batch_size requests are in the batcher and
the rest wait, by priority, in bounded lanes with Queued events. A model loaded with SDPA or eager attention runs
inside the batcher with runtime/packed_attention.py, which attends each request to its own keys only (transformers'
SDPA path attends every request to every request's keys, which grows with the square of the batch), with sliding
windows and logit softcapping (Gemma 2 and 3, Mistral, Phi-3). Flash attention, where the batcher picks it, stays.

The manager takes per-request values only through its logits processors, and it samples every request of a
step with one call on the global RNG. We therefore install our own processor list (runtime/sampling.py):
per-request grammar masks (xgrammar matchers, runtime/grammar.py), temperature, top-p, and Gumbel noise keyed by
(seed, token index), with the manager's sampling set to argmax. The same seed and messages give the same text
whatever else is in the batch, and constrained requests need no separate `generate` path (the matchers run on the
batcher's thread between steps; bench/textgen.py measures their cost). Async batching is off
because the next step's masks and noise keys need the tokens of the step before.

Per-token work: one router thread takes the batcher's outputs, detokenises them, applies stop sequences and
emits the chunks; the request's worker thread only waits for its end. Between outputs the router polls the
running requests' CallContexts every few milliseconds; on a cancel it calls `cancel_request`, which drops the
request before the batcher's next step. It streams nothing after that and reports `tokens_after_cancel` (tokens
that still arrived). A deadline ends the same way but raises DeadlineExceeded. A client cancel yields a
GenerationResult with finish_reason "cancelled" and the partial text.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig
from transformers.generation import ContinuousBatchingConfig
from transformers.generation.continuous_batching import RequestStatus

from worldsmith.errors import DeadlineExceeded, InvalidArgument, Unavailable
from worldsmith.runtime import metrics, packed_attention
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.engine import LaneLimits
from worldsmith.runtime.generation import GenerationRequest, GenerationResult, TextChunk, validate_request
from worldsmith.runtime.grammar import CompiledGrammar, Grammar, GrammarCompiler, GrammarMasks
from worldsmith.runtime.sampling import SamplingProcessors
from worldsmith.runtime.text_engine import TextEngineBase, record_metrics
from worldsmith.runtime.text_stream import TextStream

log = logging.getLogger(__name__)

POLL_S = 0.005  # how often the router looks at the running requests' CallContexts
DEFAULT_CONTEXT_TOKENS = 4096
_WARMUP_SCHEMA = {"type": "object", "properties": {"ready": {"type": "boolean"}}, "required": ["ready"]}


@dataclass
class _Prepared:
    """A validated request with its prompt tokens and compiled grammar, ready for the batcher."""

    request: GenerationRequest
    prompt_ids: list[int]
    grammar: CompiledGrammar | None


class _ActiveRequest:
    """A request inside the batcher, as the router thread sees it: its tokens, text and how it ended."""

    def __init__(self, request_id: str, ctx: CallContext, emit: Callable[[Any], None], stream: TextStream,
                 eos_token_ids: list[int]):
        self.request_id = request_id
        self.ctx = ctx
        self.stream = stream
        self.tokens: list[int] = []
        self.first_token_at: float | None = None
        self.tokens_at_cancel: int | None = None
        self.finish_reason: str | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._emit = emit
        self._eos_token_ids = eos_token_ids

    def update(self, tokens: list[int], finished: bool) -> bool:
        """Take the batcher's latest output; True when a stop sequence appeared (the batcher should drop it)."""
        if self.done.is_set():
            return False
        metrics.TOKENS.inc(max(0, len(tokens) - len(self.tokens)))
        self.tokens = tokens
        if self.first_token_at is None and tokens:
            self.first_token_at = time.monotonic()
        if self.tokens_at_cancel is not None:  # cancelled: nothing more is streamed
            if finished:
                self.end("cancelled")
            return False
        delta = self.stream.update(tokens)
        if self.stream.stop_sequence:
            self.end("stop_sequence", delta)
            return True
        if finished:
            delta += self.stream.finish(tokens)
            self.end("stop" if tokens and tokens[-1] in self._eos_token_ids else "length", delta)
        elif delta:
            self._emit(TextChunk(delta, len(tokens)))
        return False

    def end(self, finish_reason: str, delta: str = "") -> None:
        if delta:
            self._emit(TextChunk(delta, len(self.tokens)))
        self.finish_reason = finish_reason
        self.done.set()

    def fail(self, error: BaseException) -> None:
        if not self.done.is_set():
            self.error = error
            self.done.set()


class TextGenerator(TextEngineBase):
    """One resident causal LM behind a continuous batcher, with lanes, Queued events and metrics."""

    def __init__(self, model, tokenizer, model_id: str, revision: str, limits: LaneLimits | None = None,
                 max_batch_size: int = 16, context_tokens: int = DEFAULT_CONTEXT_TOKENS):
        super().__init__("text", limits)
        self.concurrency = max_batch_size  # one worker per request inside the batcher
        self.model = model
        self.tokenizer = tokenizer
        self.model_id = model_id
        self.revision = revision
        self.context_tokens = context_tokens
        self.has_chat_template = tokenizer.chat_template is not None
        self.special_tokens = list(tokenizer.all_special_tokens)
        self.eos_token_ids = _eos_token_ids(model, tokenizer)
        vocab_size = model.get_output_embeddings().weight.shape[0]
        self._grammars = GrammarCompiler(tokenizer, vocab_size, self.eos_token_ids)

        # Prefix sharing reuses whole pages: with 32-token pages, sessions of one character share all but the last
        # few tokens of its system prompt (288 of ~300 in bench/dialogue.py, against 256 with 256-token pages),
        # so a new turn prefills less: +10% aggregate rate at 16 sessions there; 16 and 64 were slower.
        page_size = 32
        max_batch_tokens = 512 if model.device.type == "cpu" else 2048  # prefill chunk: keeps decode steps short on CPU
        self._manager = model.init_continuous_batching(
            generation_config=GenerationConfig(do_sample=False, eos_token_id=self.eos_token_ids),
            continuous_batching_config=ContinuousBatchingConfig(
                page_size=page_size,
                num_blocks=math.ceil(max_batch_size * context_tokens / page_size) + max_batch_size,
                max_batch_tokens=max_batch_tokens,
                max_requests_per_batch=max_batch_size,
                use_async_batching=False,
            ),
        )
        if model.config._attn_implementation in ("sdpa", "paged|eager"):
            # The batcher's SDPA attends every request to every request's keys; decode steps need only their own.
            # Eager models (Gemma 2: softcapped attention logits, which SDPA cannot apply; the batcher made them
            # paged|eager) take it too: packed attention softcaps, and masks sliding windows, itself. It also serves
            # calls from outside the batcher, so the manager need not restore the loaded implementation on stop.
            model.set_attn_implementation(packed_attention.NAME)
            self._manager._original_attn_impl = None
        else:
            log.info("%s: attention %r stays as loaded inside the batcher (packed attention replaces sdpa and eager "
                     "only)", model_id, model.config._attn_implementation)
        self._masks = GrammarMasks(self._grammars.tokenizer_info, max_rows=max_batch_size, device=model.device)
        # Replaced before the batcher is built (in warmup or start), which is when the list is read.
        self._manager.logit_processor = SamplingProcessors(self._masks)

        self._active: dict[str, _ActiveRequest] = {}
        self._request_numbers = itertools.count()
        self._router: threading.Thread | None = None
        self._router_stop = threading.Event()

    # -- prompt budgeting ---------------------------------------------------------------
    def render_prompt(self, messages: list[dict]) -> str:
        """The prompt text the model sees, ending with the opening of the assistant's turn."""
        try:
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        except Exception as error:  # jinja raises its own errors, e.g. a template that refuses a system role
            raise InvalidArgument("messages", f"the model's chat template refused them: {error}") from None

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def prompt_tokens(self, messages: list[dict]) -> int:
        return self.count_tokens(self.render_prompt(messages))

    # -- lifecycle ------------------------------------------------------------------------
    def warmup(self) -> None:
        """Run one plain and one constrained request through the batcher (its first batch is slow)."""
        self._ensure_running()
        hello = {"messages": [{"role": "user", "content": "Hello!"}]} if self.has_chat_template else {"prompt": "Hello!"}
        for request in (GenerationRequest(**hello, max_new_tokens=4),
                        GenerationRequest(**hello, max_new_tokens=16, temperature=0.0, json_schema=_WARMUP_SCHEMA)):
            self._generate(self._prepare(request), CallContext(), lambda event: None, time.monotonic())

    async def start(self) -> None:
        await asyncio.to_thread(self._ensure_running)
        await super().start()

    async def stop(self) -> None:
        await super().stop()
        for request_id in list(self._active):
            self._manager.cancel_request(request_id)
        await asyncio.to_thread(self._stop_batcher)

    def memory_bytes(self) -> int:
        """Weights, buffers and the batcher's KV cache."""
        tensors = itertools.chain(self.model.parameters(), self.model.buffers())
        total = sum(tensor.numel() * tensor.element_size() for tensor in tensors)
        batcher = self._manager.batch_processor
        if batcher is not None:
            total += batcher.cache.cache_tensor.numel()
        return total

    def _ensure_running(self) -> None:
        if not self._manager.is_running():
            if not self._manager.warmed_up:
                self._manager.warmup()  # captures CUDA graphs where they are used; nothing on CPU
                if self.model.config._attn_implementation == packed_attention.NAME:
                    packed_attention.read_keys_in_attention(self._manager.batch_processor.cache)
            self._manager.start()
        if self._router is None:
            self._router_stop.clear()
            self._router = threading.Thread(target=self._route_outputs, name="text-outputs", daemon=True)
            self._router.start()

    def _stop_batcher(self) -> None:
        self._router_stop.set()
        if self._router is not None:
            self._router.join()
            self._router = None
        if self._manager.is_running():
            self._manager.stop(block=True, timeout=30, keep_for_next_session=True, hard_stop=True)
        for active in list(self._active.values()):
            active.fail(Unavailable(f"the text generator for {self.model_id!r} stopped"))

    def _route_outputs(self) -> None:
        """The batcher's outputs (one shared queue) drive each request's stream; cancels are checked between them."""
        next_check = 0.0
        while not self._router_stop.is_set():
            output = self._manager.get_result(timeout=POLL_S if self._active else 0.1)
            if output is None and not self._manager.is_running():
                self._router_stop.wait(POLL_S)  # get_result returns at once while the batcher is stopped
            while output is not None:  # everything already waiting, before looking at cancels
                active = self._active.get(output.request_id)
                if active is not None:  # requests ended by a stop sequence or a cancel may still send one
                    self._advance(active, output)
                output = self._manager.get_result(timeout=0)
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + POLL_S
                self._check_cancels()

    def _advance(self, active: _ActiveRequest, output) -> None:
        try:
            if output.status == RequestStatus.FAILED:
                raise RuntimeError(f"text generation failed: {output.error}")
            if active.update(output.generated_tokens, output.is_finished()):
                self._manager.cancel_request(active.request_id)  # a stop sequence: the rest is not wanted
        except Exception as error:  # handed to the request's worker; the router keeps serving the others
            active.fail(error)

    def _check_cancels(self) -> None:
        running = self._manager.is_running()
        for active in list(self._active.values()):
            if active.done.is_set():
                continue
            if not running:
                active.fail(Unavailable(f"the text generator for {self.model_id!r} stopped"))
            elif active.tokens_at_cancel is None and active.ctx.should_stop():
                # Outputs generated before the cancel was seen are already counted: the queue was drained first.
                active.tokens_at_cancel = len(active.tokens)
                self._manager.cancel_request(active.request_id)
            elif active.tokens_at_cancel is not None and self._dropped(active.request_id):
                active.end("cancelled")

    # -- requests -------------------------------------------------------------------------
    def _prepare(self, request: GenerationRequest) -> _Prepared:
        validate_request(request, self.has_chat_template)
        text = request.prompt or self.render_prompt(request.messages)
        # A chat template writes its own <bos>; a raw prompt gets the tokenizer's, as in training (Gemma needs it).
        prompt_ids = self.tokenizer.encode(text, add_special_tokens=bool(request.prompt))
        self.check_fits(request, len(prompt_ids))
        grammar = request.grammar
        if request.json_schema is not None:
            grammar = Grammar.json(request.json_schema)
        field_name = "json_schema" if request.json_schema is not None else "grammar"
        compiled = self._grammars.compile(grammar, field_name) if grammar is not None else None
        return _Prepared(request, prompt_ids, compiled)

    def _generate(self, prepared: _Prepared, ctx: CallContext, emit: Callable[[Any], None],
                  submitted_at: float) -> GenerationResult:
        """Run one request through the batcher, emitting TextChunks; blocks this worker thread until it ends.

        The router thread does the per-token work (detokenising, stop sequences, cancel checks); this thread only
        waits for the end, so a step costs one hand-off per request instead of a wake-up of every worker.
        """
        request = prepared.request
        request_id = f"{ctx.request_id}-{next(self._request_numbers)}"
        grammar = self._masks.register(prepared.grammar) if prepared.grammar is not None else -1
        active = _ActiveRequest(request_id, ctx, emit, TextStream(self.tokenizer, request.stop_sequences),
                                self.eos_token_ids)
        self._active[request_id] = active
        try:
            accepted = self._manager.add_request(
                prepared.prompt_ids, request_id=request_id, max_new_tokens=request.max_new_tokens, streaming=True,
                eos_token_id=self.eos_token_ids, temperature=float(request.temperature),
                top_p=float(request.top_p), seed=int(request.seed), grammar=grammar,
            )
            if accepted is None:
                raise Unavailable(f"the text generator for {self.model_id!r} is stopping")
            active.done.wait()
        finally:
            self._active.pop(request_id, None)
            self._masks.release(grammar)
        if active.error is not None:
            raise active.error

        tokens = active.tokens
        after_cancel = 0 if active.tokens_at_cancel is None else len(tokens) - active.tokens_at_cancel
        record_metrics(submitted_at, active.first_token_at, len(tokens), active.finish_reason, after_cancel)
        remaining = ctx.time_remaining()
        if active.finish_reason == "cancelled" and remaining is not None and remaining <= 0:
            raise DeadlineExceeded(f"the deadline passed after {len(tokens)} generated tokens")
        return GenerationResult(
            text=active.stream.text,
            finish_reason=active.finish_reason,
            prompt_tokens=len(prepared.prompt_ids),
            completion_tokens=len(tokens),
            time_to_first_token_s=None if active.first_token_at is None else active.first_token_at - submitted_at,
            tokens_after_cancel=after_cancel,
            stop_sequence=active.stream.stop_sequence,
        )

    def _dropped(self, request_id: str) -> bool:
        """Whether the batcher has removed a cancelled request (it sends no output for those)."""
        batcher = self._manager.batch_processor
        return batcher is None or batcher.scheduler.request_is_cancelled(request_id)



def _eos_token_ids(model, tokenizer) -> list[int]:
    """Every token that ends the assistant's turn: the generation config's, the tokenizer's and the chat template's."""
    configured = model.generation_config.eos_token_id
    ids = configured if isinstance(configured, list) else [configured]
    ids = [*ids, tokenizer.eos_token_id, _turn_end_token_id(tokenizer)]
    return sorted({token for token in ids if token is not None})


_SENTINEL = "Sentinel reply 7f3a"


def _turn_end_token_id(tokenizer) -> int | None:
    """The special token the chat template writes right after an assistant message (Gemma's <end_of_turn>, ChatML's
    <|im_end|>, Llama 3's <|eot_id|>): generation configs and tokenizers often name only <eos>, and a model that ends
    its turn with <end_of_turn> would otherwise run on into a made-up next turn."""
    if tokenizer.chat_template is None:
        return None
    conversation = [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": _SENTINEL}]
    try:
        text = tokenizer.apply_chat_template(conversation, tokenize=False)
    except Exception as error:  # a template that needs other roles or kwargs: the configured ids must do
        log.warning("could not render the chat template to find its end-of-turn token: %s", error)
        return None
    if not isinstance(text, str) or _SENTINEL not in text:
        return None
    after = tokenizer.encode(text[text.index(_SENTINEL) + len(_SENTINEL):], add_special_tokens=False)
    specials = set(tokenizer.all_special_ids) | {
        token_id for token_id, token in tokenizer.added_tokens_decoder.items() if token.special}
    return after[0] if after and after[0] in specials else None


def load(source: str, revision: str = "main", device: str = "cpu", dtype: torch.dtype = torch.float32,
         limits: LaneLimits | None = None, max_batch_size: int = 16,
         context_tokens: int | None = None) -> TextGenerator:
    """Load a causal LM (Hugging Face id, local directory or .gguf file) onto `device` behind a continuous batcher.

    A model without a chat template (a base model) loads too; it serves raw `prompt` requests. A .gguf file is
    dequantised to `dtype` by transformers (llama.cpp serves GGUF files quantised, on the CPU, with less memory).
    The default context is the model's, capped at DEFAULT_CONTEXT_TOKENS: the batcher's cache holds max_batch_size
    times the context, and Gemma 3 declares 32k.
    """
    where = {"revision": revision}
    if source.endswith(".gguf"):
        gguf = Path(source)
        if not gguf.is_file():
            raise FileNotFoundError(f"no GGUF file at {source}; name an existing .gguf file, e.g. /models/model.gguf")
        source, where = str(gguf.parent), {"gguf_file": gguf.name}
    tokenizer = AutoTokenizer.from_pretrained(source, **where)
    model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, **where).to(device).eval()
    if context_tokens is None:
        context_tokens = min(getattr(model.config, "max_position_embeddings", None) or DEFAULT_CONTEXT_TOKENS,
                             DEFAULT_CONTEXT_TOKENS)
    commit = getattr(model.config, "_commit_hash", None)
    model_id = where.get("gguf_file") or (Path(source).name if Path(source).exists() else source)
    return TextGenerator(model, tokenizer, model_id, commit or revision, limits, max_batch_size, context_tokens)
