"""Text generation engine: chat messages in, streamed text out, many requests sharing one resident model.

Use
---
    generator = text_generator.load("Qwen/Qwen2.5-0.5B-Instruct", "main", "cuda", torch.bfloat16, LaneLimits())
    generator.warmup()                  # sync: runs the first batch and a grammar-constrained request
    await generator.start()

    job = generator.submit(GenerationRequest(messages=[{"role": "user", "content": "Hi"}], seed=7), ctx)
    async for event in job.events():
        ...  # common_pb2.Queued while it waits in its lane, TextChunk deltas, then one GenerationResult
    result = await generator.generate(request, ctx)     # the same, chunks dropped

Constrained output: `json_schema={...}` or `grammar=Grammar.choice([...])` / `Grammar.ebnf_text(...)`. When the
result's finish_reason is "stop", its text matches: `json.loads(result.text)` validates against the schema.
"length" means max_new_tokens ran out first; bound strings (maxLength) and arrays (maxItems) to avoid it.

Budgeting a prompt: `render_prompt(messages)`, `count_tokens(text)`, `prompt_tokens(messages)`, `context_tokens`.

How it works
------------
One transformers continuous-batching manager (`model.init_continuous_batching()`) owns the model and runs every
request, plain or constrained, in shared forward passes; requests join and leave between tokens. The engine's
lanes decide which request enters next: `concurrency = max_batch_size` worker threads each carry one request
from `add_request(..., streaming=True)` to its end, so at most max_batch_size requests are in the batcher and
the rest wait, by priority, in bounded lanes with Queued events. A model loaded with SDPA attention runs inside the
batcher with runtime/packed_attention.py, which attends each request to its own keys only (transformers' SDPA path
attends every request to every request's keys, which grows with the square of the batch).

The manager takes per-request values only through its logits processors, and it samples every request of a
step with one call on the global RNG. We therefore install our own processor list (runtime/sampling.py):
per-request grammar masks (xgrammar matchers, runtime/grammar.py), temperature, top-p, and Gumbel noise keyed by
(seed, token index), with the manager's sampling set to argmax. The same seed and messages give the same text
whatever else is in the batch, and constrained requests need no separate `generate` path: in bench/textgen.py,
16 JSON-constrained requests run at the same aggregate rate as 16 plain ones (0.99-1.04x). Async batching is off
because the next step's masks and noise keys need the tokens of the step before.

Cancellation: a worker polls its CallContext every few milliseconds while it waits for tokens; on a cancel it
calls `cancel_request`, which drops the request before the batcher's next step. It streams nothing after that
and reports `tokens_after_cancel` (tokens that still arrived). A deadline ends the same way but raises
DeadlineExceeded. A client cancel yields a GenerationResult with finish_reason "cancelled" and the partial text.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig
from transformers.generation import ContinuousBatchingConfig
from transformers.generation.continuous_batching import RequestStatus

from worldsmith.errors import DeadlineExceeded, InvalidArgument, Unavailable
from worldsmith.runtime import metrics
from worldsmith.runtime import packed_attention
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.engine import Engine, Job, LaneLimits
from worldsmith.runtime.grammar import CompiledGrammar, Grammar, GrammarCompiler, GrammarMasks
from worldsmith.runtime.sampling import SamplingProcessors
from worldsmith.runtime.text_stream import TextStream

log = logging.getLogger(__name__)

ROLES = ("system", "user", "assistant")
POLL_S = 0.005  # how often a waiting worker looks at its CallContext
DEFAULT_CONTEXT_TOKENS = 4096
_WARMUP_SCHEMA = {"type": "object", "properties": {"ready": {"type": "boolean"}}, "required": ["ready"]}


@dataclass
class GenerationRequest:
    messages: list[dict]  # [{"role": "system" | "user" | "assistant", "content": str}, ...]
    max_new_tokens: int = 128
    temperature: float = 0.8  # 0: greedy
    top_p: float = 0.95
    seed: int = 0
    stop_sequences: list[str] = field(default_factory=list)
    json_schema: dict | None = None  # output is JSON valid against this schema
    grammar: Grammar | None = None  # or matches this grammar


@dataclass
class TextChunk:
    """New text (a delta) and the number of tokens generated so far."""

    text: str
    tokens: int


@dataclass
class GenerationResult:
    text: str
    finish_reason: str  # "stop" (end of turn, stop sequence, grammar complete) | "length" | "cancelled"
    prompt_tokens: int
    completion_tokens: int
    time_to_first_token_s: float | None  # from submit (queueing included); None if no token came
    tokens_after_cancel: int = 0  # tokens that arrived after the cancel was seen


@dataclass
class _Prepared:
    """A validated request with its prompt tokens and compiled grammar, ready for the batcher."""

    request: GenerationRequest
    prompt_ids: list[int]
    grammar: CompiledGrammar | None


class TextGenerator(Engine):
    """One resident causal LM behind a continuous batcher, with lanes, Queued events and metrics."""

    name = "text"

    def __init__(self, model, tokenizer, model_id: str, revision: str, limits: LaneLimits | None = None,
                 max_batch_size: int = 16, context_tokens: int = DEFAULT_CONTEXT_TOKENS):
        super().__init__("text", limits)
        self.concurrency = max_batch_size  # one worker per request inside the batcher
        self.model = model
        self.tokenizer = tokenizer
        self.model_id = model_id
        self.revision = revision
        self.context_tokens = context_tokens
        self.eos_token_ids = _eos_token_ids(model, tokenizer)
        vocab_size = model.get_output_embeddings().weight.shape[0]
        self._grammars = GrammarCompiler(tokenizer, vocab_size, self.eos_token_ids)

        page_size = 256
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
        if model.config._attn_implementation == "sdpa":
            # The batcher's SDPA attends every request to every request's keys; decode steps need only their own.
            model.set_attn_implementation(packed_attention.NAME)
        self._masks = GrammarMasks(self._grammars.tokenizer_info, max_rows=max_batch_size, device=model.device)
        # Replaced before the batcher is built (in warmup or start), which is when the list is read.
        self._manager.logit_processor = SamplingProcessors(self._masks)

        self._routes: dict[str, queue.SimpleQueue] = {}
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
        hello = [{"role": "user", "content": "Hello!"}]
        for request in (GenerationRequest(hello, max_new_tokens=4),
                        GenerationRequest(hello, max_new_tokens=16, temperature=0.0, json_schema=_WARMUP_SCHEMA)):
            self._generate(self._prepare(request), CallContext(), lambda event: None, time.monotonic())

    async def start(self) -> None:
        await asyncio.to_thread(self._ensure_running)
        await super().start()

    async def stop(self) -> None:
        await super().stop()
        for request_id in list(self._routes):
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

    def _route_outputs(self) -> None:
        """Deliver the batcher's outputs (one shared queue) to the worker waiting for each request."""
        while not self._router_stop.is_set():
            output = self._manager.get_result(timeout=0.1)
            if output is None:
                if not self._manager.is_running():
                    self._router_stop.wait(0.05)
                continue
            route = self._routes.get(output.request_id)
            if route is not None:  # requests dropped after a stop sequence or a cancel have no route any more
                route.put(output)

    # -- requests -------------------------------------------------------------------------
    def submit(self, request: GenerationRequest, ctx: CallContext) -> Job:
        """Validate, tokenize and compile the grammar (raising InvalidArgument), then queue in ctx's lane."""
        return super().submit(self._prepare(request), ctx)

    async def generate(self, request: GenerationRequest, ctx: CallContext | None = None) -> GenerationResult:
        """Submit and wait for the result, ignoring the streamed chunks."""
        result = None
        async for event in self.submit(request, ctx or CallContext()).events():
            if isinstance(event, GenerationResult):
                result = event
        return result

    def run_batch(self, jobs: list[Job]) -> None:
        for job in jobs:
            job.finish(self._generate(job.payload, job.ctx, job.emit, job.enqueued_at))

    def _prepare(self, request: GenerationRequest) -> _Prepared:
        _validate(request)
        prompt_ids = self.tokenizer.encode(self.render_prompt(request.messages), add_special_tokens=False)
        if len(prompt_ids) + request.max_new_tokens > self.context_tokens:
            raise InvalidArgument(
                "messages",
                f"the prompt is {len(prompt_ids)} tokens; with max_new_tokens={request.max_new_tokens} it exceeds "
                f"the model's context of {self.context_tokens} tokens. Drop older messages (count them with "
                f"prompt_tokens) or lower max_new_tokens.",
            )
        grammar = request.grammar
        if request.json_schema is not None:
            grammar = Grammar.json(request.json_schema)
        field_name = "json_schema" if request.json_schema is not None else "grammar"
        compiled = self._grammars.compile(grammar, field_name) if grammar is not None else None
        return _Prepared(request, prompt_ids, compiled)

    def _generate(self, prepared: _Prepared, ctx: CallContext, emit: Callable[[Any], None],
                  submitted_at: float) -> GenerationResult:
        """Run one request through the batcher, emitting TextChunks; blocks this worker thread until it ends."""
        request = prepared.request
        request_id = f"{ctx.request_id}-{next(self._request_numbers)}"
        outputs: queue.SimpleQueue = queue.SimpleQueue()
        self._routes[request_id] = outputs
        grammar = self._masks.register(prepared.grammar) if prepared.grammar is not None else -1
        stream = TextStream(self.tokenizer, request.stop_sequences)
        tokens: list[int] = []
        first_token_at = None
        tokens_at_cancel = None
        finish_reason = None
        try:
            accepted = self._manager.add_request(
                prepared.prompt_ids, request_id=request_id, max_new_tokens=request.max_new_tokens, streaming=True,
                eos_token_id=self.eos_token_ids, temperature=float(request.temperature),
                top_p=float(request.top_p), seed=int(request.seed), grammar=grammar,
            )
            if accepted is None:
                raise Unavailable(f"the text generator for {self.model_id!r} is stopping")
            while finish_reason is None:
                try:
                    output = outputs.get(timeout=POLL_S)
                except queue.Empty:
                    output = None
                if tokens_at_cancel is None and ctx.should_stop():
                    # Outputs already waiting were generated before the cancel was seen: count from the latest.
                    output = _latest(output, outputs)
                    tokens_at_cancel = len(output.generated_tokens) if output is not None else len(tokens)
                    self._manager.cancel_request(request_id)
                if output is not None:
                    if output.status == RequestStatus.FAILED:
                        raise RuntimeError(f"text generation failed: {output.error}")
                    tokens = output.generated_tokens
                    if first_token_at is None and tokens:
                        first_token_at = time.monotonic()
                    if tokens_at_cancel is not None:
                        finish_reason = "cancelled" if output.is_finished() else None
                        continue
                    delta = stream.update(tokens)
                    if stream.stopped:
                        self._manager.cancel_request(request_id)
                        finish_reason = "stop"
                    elif output.is_finished():
                        delta += stream.finish(tokens)
                        finish_reason = "stop" if tokens and tokens[-1] in self.eos_token_ids else "length"
                    if delta:
                        emit(TextChunk(delta, len(tokens)))
                elif tokens_at_cancel is not None and self._dropped(request_id):
                    finish_reason = "cancelled"
                elif not self._manager.is_running():
                    raise Unavailable(f"the text generator for {self.model_id!r} stopped")
        finally:
            self._routes.pop(request_id, None)
            self._masks.release(grammar)

        remaining = ctx.time_remaining()
        if finish_reason == "cancelled" and remaining is not None and remaining <= 0:
            raise DeadlineExceeded(f"the deadline passed after {len(tokens)} generated tokens")
        self._record_metrics(submitted_at, first_token_at, len(tokens))
        return GenerationResult(
            text=stream.text,
            finish_reason=finish_reason,
            prompt_tokens=len(prepared.prompt_ids),
            completion_tokens=len(tokens),
            time_to_first_token_s=None if first_token_at is None else first_token_at - submitted_at,
            tokens_after_cancel=0 if tokens_at_cancel is None else len(tokens) - tokens_at_cancel,
        )

    def _dropped(self, request_id: str) -> bool:
        """Whether the batcher has removed a cancelled request (it sends no output for those)."""
        batcher = self._manager.batch_processor
        return batcher is None or batcher.scheduler.request_is_cancelled(request_id)

    @staticmethod
    def _record_metrics(submitted_at: float, first_token_at: float | None, tokens: int) -> None:
        if first_token_at is None:
            return
        now = time.monotonic()
        metrics.TIME_TO_FIRST_TOKEN.observe(first_token_at - submitted_at)
        metrics.TOKENS.inc(tokens)
        if tokens > 1 and now > first_token_at:
            metrics.TOKENS_PER_SECOND.observe((tokens - 1) / (now - first_token_at))


def _latest(output, outputs: queue.SimpleQueue):
    """The newest of `output` and everything already waiting in `outputs` (each carries all tokens so far)."""
    while True:
        try:
            output = outputs.get_nowait()
        except queue.Empty:
            return output


def _validate(request: GenerationRequest) -> None:
    problems = []
    if not request.messages:
        problems.append(("messages", "must hold at least one message"))
    for i, message in enumerate(request.messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            problems.append((f"messages[{i}].role", f"must be one of {', '.join(ROLES)}"))
        elif not isinstance(message.get("content"), str):
            problems.append((f"messages[{i}].content", "must be a string"))
    if not 1 <= request.max_new_tokens:
        problems.append(("max_new_tokens", "must be at least 1"))
    if not (math.isfinite(request.temperature) and request.temperature >= 0):
        problems.append(("temperature", "must be 0 (greedy) or more, e.g. 0.8"))
    if not 0 < request.top_p <= 1:
        problems.append(("top_p", "must be in (0, 1], e.g. 0.95"))
    if request.seed < 0:
        problems.append(("seed", "must be 0 or more"))
    if any(not isinstance(stop, str) or not stop for stop in request.stop_sequences):
        problems.append(("stop_sequences", "must be non-empty strings"))
    if request.json_schema is not None and request.grammar is not None:
        problems.append(("grammar", "set json_schema or grammar, not both"))
    if problems:
        raise InvalidArgument.many(problems)


def _eos_token_ids(model, tokenizer) -> list[int]:
    """Every token that ends the assistant's turn: the generation config's and the tokenizer's."""
    configured = model.generation_config.eos_token_id
    ids = configured if isinstance(configured, list) else [configured]
    ids = [*ids, tokenizer.eos_token_id]
    return sorted({token for token in ids if token is not None})


def load(source: str, revision: str = "main", device: str = "cpu", dtype: torch.dtype = torch.float32,
         limits: LaneLimits | None = None, max_batch_size: int = 16,
         context_tokens: int | None = None) -> TextGenerator:
    """Load a chat model (Hugging Face id or local directory) onto `device` behind a continuous batcher."""
    tokenizer = AutoTokenizer.from_pretrained(source, revision=revision)
    if tokenizer.chat_template is None:
        raise ValueError(
            f"{source} has no chat template, so it cannot take chat messages; use an instruction-tuned model "
            f"(e.g. Qwen/Qwen2.5-0.5B-Instruct) or one whose tokenizer_config.json sets chat_template"
        )
    model = AutoModelForCausalLM.from_pretrained(source, revision=revision, dtype=dtype).to(device).eval()
    if context_tokens is None:
        context_tokens = min(getattr(model.config, "max_position_embeddings", None) or DEFAULT_CONTEXT_TOKENS,
                             DEFAULT_CONTEXT_TOKENS)
    commit = getattr(model.config, "_commit_hash", None)
    model_id = Path(source).name if Path(source).exists() else source
    return TextGenerator(model, tokenizer, model_id, commit or revision, limits, max_batch_size, context_tokens)
