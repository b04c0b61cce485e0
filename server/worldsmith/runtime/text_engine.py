"""What both text engines share around their own generation loop: submitting, waiting, the context check and
the token metrics. An engine subclasses `TextEngineBase` and writes `_prepare` and `_generate`."""

from __future__ import annotations

import time
from typing import Any, Callable

from worldsmith.errors import InvalidArgument
from worldsmith.runtime import metrics
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.engine import Engine, Job
from worldsmith.runtime.generation import GenerationRequest, GenerationResult, final_result


class TextEngineBase(Engine):
    """Hooks: `_prepare(request)` validates (raising InvalidArgument) and returns the payload a worker runs;
    `_generate(payload, ctx, emit, submitted_at)` runs it in a worker thread, emitting TextChunks, and returns
    the GenerationResult."""

    name = "text"
    context_tokens: int

    def _prepare(self, request: GenerationRequest) -> Any:
        raise NotImplementedError

    def _generate(self, payload: Any, ctx: CallContext, emit: Callable[[Any], None], submitted_at: float) -> GenerationResult:
        raise NotImplementedError

    def submit(self, request: GenerationRequest, ctx: CallContext) -> Job:
        """Validate and prepare (raising InvalidArgument), then queue in ctx's lane."""
        return super().submit(self._prepare(request), ctx)

    async def generate(self, request: GenerationRequest, ctx: CallContext | None = None) -> GenerationResult:
        """Submit and wait for the result, ignoring the streamed chunks."""
        return await final_result(self.submit(request, ctx or CallContext()).events())

    def run_batch(self, jobs: list[Job]) -> None:
        for job in jobs:
            job.finish(self._generate(job.payload, job.ctx, job.emit, job.enqueued_at))

    def check_fits(self, request: GenerationRequest, prompt_tokens: int) -> None:
        if prompt_tokens + request.max_new_tokens > self.context_tokens:
            raise InvalidArgument(
                "messages" if request.messages else "prompt",
                f"the prompt is {prompt_tokens} tokens; with max_new_tokens={request.max_new_tokens} it exceeds "
                f"the model's context of {self.context_tokens} tokens. Drop older messages (count them with "
                f"prompt_tokens) or lower max_new_tokens.",
            )


def record_metrics(submitted_at: float, first_token_at: float | None, tokens: int, finish_reason: str | None,
                   tokens_after_cancel: int) -> None:
    """A finished generation's latency and rate; one that was stopped (cancel, disconnect, deadline) also records
    how many tokens came after the stop. The token counter itself moves as each token is sampled."""
    if finish_reason == "cancelled":
        metrics.TOKENS_AFTER_CANCEL.observe(tokens_after_cancel)
    if first_token_at is None:
        return
    now = time.monotonic()
    metrics.TIME_TO_FIRST_TOKEN.observe(first_token_at - submitted_at)
    if tokens > 1 and now > first_token_at:
        metrics.TOKENS_PER_SECOND.observe((tokens - 1) / (now - first_token_at))
