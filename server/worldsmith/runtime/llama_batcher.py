"""llama.cpp continuous batching: one thread decodes every running sequence in one `llama_decode` per step.

Each of the context's sequence ids is a slot. A request takes the free slot whose cached tokens share the longest
prefix with its prompt and decodes only the rest (a character's next turn re-reads nothing it has read before).
Each step puts one token per generating sequence and as many waiting prompt tokens as fit into one batch,
decodes it, and samples each sequence's next token from its own row of logits. A sequence leaves at its model's
end-of-generation token, one of its stop sequences, its token limit, or a cancel (checked before every step, so
a cancel lands within one token).
"""

from __future__ import annotations

import codecs
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import llama_cpp as llama
import numpy as np

from worldsmith.errors import Unavailable
from worldsmith.runtime import metrics
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.generation import TextChunk
from worldsmith.runtime.llama_sampler import Sampler

log = logging.getLogger(__name__)

_PIECE_BYTES = 256


@dataclass
class Sequence:
    """One request inside the batcher: prompt tokens, limits and sampler in; text, counts and the finish out."""

    prompt: list[int]
    max_new_tokens: int
    stop_sequences: list[str]
    sampler: Sampler
    ctx: CallContext
    emit: Callable[[TextChunk], None]
    text: list[str] = field(default_factory=list)
    tokens: int = 0
    tokens_after_cancel: int = 0  # sampled by a step that was already running when the call was stopped
    first_token_at: float | None = None
    finish: str | None = None
    stop_sequence: str = ""  # the one that ended the text
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)
    _held: str = ""  # decoded text not yet sent: it may be the start of a stop sequence
    _decoder: codecs.IncrementalDecoder = field(default_factory=lambda: codecs.getincrementaldecoder("utf-8")("replace"))

    def add_bytes(self, piece: bytes) -> bool:
        """Take one token's bytes; True when a stop sequence ended the text."""
        self._held += self._decoder.decode(piece)
        found = [(i, stop) for stop in self.stop_sequences if (i := self._held.find(stop)) >= 0]
        if found:
            cut, self.stop_sequence = min(found)
            self._send(self._held[:cut])
            self._held = ""
            return True
        keep = max((n for stop in self.stop_sequences for n in range(len(stop) - 1, 0, -1)
                    if self._held.endswith(stop[:n])), default=0)
        self._send(self._held[:len(self._held) - keep])
        self._held = self._held[len(self._held) - keep:]
        return False

    def flush(self) -> None:
        self._send(self._held + self._decoder.decode(b"", final=True))
        self._held = ""

    def _send(self, text: str) -> None:
        if text:
            self.text.append(text)
            self.emit(TextChunk(text, self.tokens))

    def end(self, finish: str | None = None, error: BaseException | None = None) -> None:
        self.finish, self.error = finish, error
        self.sampler.free()
        self.done.set()


@dataclass
class _Slot:
    """One llama.cpp sequence id: the tokens its cache holds, and the request using it, if any."""

    seq_id: int
    cached: list[int] = field(default_factory=list)
    sequence: Sequence | None = None
    pending: list[int] = field(default_factory=list)  # prompt tokens still to decode
    next_token: int | None = None  # the sampled token to decode in the next step


class Batcher:
    """Owns one llama.cpp context and the thread that decodes it; `run(sequence)` blocks until it ends."""

    def __init__(self, model, context, n_slots: int, n_batch: int, end_tokens: set[int]):
        self._model = model
        self._context = context
        self._memory = llama.llama_get_memory(context)
        self._vocab = llama.llama_model_get_vocab(model)
        self._end_tokens = end_tokens
        self._pieces: dict[int, bytes] = {}  # each token's bytes, read from llama.cpp once
        self._n_swa = llama.llama_model_n_swa(model)
        self._n_vocab = llama.llama_vocab_n_tokens(self._vocab)
        self._n_batch = n_batch
        self._batch = llama.llama_batch_init(n_batch, 0, 1)
        self._slots = [_Slot(i) for i in range(n_slots)]
        self._waiting: list[Sequence] = []
        self._wake = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._loop, name="llama.cpp-batcher", daemon=True)
        self._thread.start()

    def run(self, sequence: Sequence) -> None:
        with self._wake:
            if self._closing:
                raise Unavailable("the llama.cpp engine stopped")
            self._waiting.append(sequence)
            self._wake.notify()
        sequence.done.wait()

    def close(self) -> None:
        """Ends every request with UNAVAILABLE, stops the thread and frees the context and the model."""
        with self._wake:
            self._closing = True
            self._wake.notify()
        self._thread.join()
        llama.llama_batch_free(self._batch)
        llama.llama_free(self._context)
        llama.llama_model_free(self._model)

    # -- the decode thread ---------------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._closing and not self._waiting and not self._active():
                    self._wake.wait()
                if self._closing:
                    break
                self._admit()
            try:
                self._step()
            except Exception as error:  # a failed decode ends the requests in it, not the engine
                log.exception("llama.cpp step failed")
                for slot in self._active():
                    self._release(slot, error=error)
        for slot in self._active():
            self._release(slot, error=Unavailable("the llama.cpp engine stopped"))
        for sequence in self._waiting:
            sequence.end(error=Unavailable("the llama.cpp engine stopped"))

    def _active(self) -> list[_Slot]:
        return [slot for slot in self._slots if slot.sequence is not None]

    def _admit(self) -> None:
        """Give waiting requests the free slots with the longest cached prefix of their prompts."""
        free = [slot for slot in self._slots if slot.sequence is None]
        while self._waiting and free:
            sequence = self._waiting.pop(0)
            slot = max(free, key=lambda s: _common_prefix(s.cached, sequence.prompt))
            free.remove(slot)
            keep = self._reusable(slot, min(_common_prefix(slot.cached, sequence.prompt), len(sequence.prompt) - 1))
            slot.cached = slot.cached[:keep]
            slot.pending = sequence.prompt[keep:]
            slot.next_token = None
            slot.sequence = sequence

    def _reusable(self, slot: _Slot, keep: int) -> int:
        """How many of the slot's cached tokens stay; the rest are dropped from llama.cpp's cache."""
        if keep > 0 and llama.llama_memory_seq_rm(self._memory, slot.seq_id, keep, -1):
            # A sliding-window cache keeps only the window's last positions: reuse needs them all.
            if self._n_swa == 0 or llama.llama_memory_seq_pos_min(self._memory, slot.seq_id) <= max(0, keep - self._n_swa):
                return keep
        llama.llama_memory_seq_rm(self._memory, slot.seq_id, -1, -1)
        return 0

    def _step(self) -> None:
        for slot in self._active():
            if slot.sequence.ctx.should_stop():
                self._release(slot, "cancelled")
        batch, rows = self._batch, []
        batch.n_tokens = 0
        for slot in self._active():
            if slot.next_token is not None:
                self._add(slot, [slot.next_token], wants_logits=True)
                rows.append((slot, batch.n_tokens - 1))
        for slot in self._active():
            room = self._n_batch - batch.n_tokens
            if slot.pending and room > 0:
                chunk, slot.pending = slot.pending[:room], slot.pending[room:]
                self._add(slot, chunk, wants_logits=not slot.pending)
                if not slot.pending:
                    rows.append((slot, batch.n_tokens - 1))
        if batch.n_tokens == 0:
            return
        status = llama.llama_decode(self._context, batch)
        if status != 0:
            raise RuntimeError(f"llama_decode returned {status} for a batch of {batch.n_tokens} tokens")
        # One view of every output row (rows come in batch order, as llama.cpp stores them): each ctypes call lets go
        # of the GIL, and on a busy server every retake can wait behind the event loop.
        logits = np.ctypeslib.as_array(llama.llama_get_logits(self._context), shape=(len(rows), self._n_vocab))
        for output, (slot, position) in enumerate(rows):
            self._take(slot, slot.sequence.sampler.choose(self._context, position, logits[output]))

    def _add(self, slot: _Slot, tokens: list[int], wants_logits: bool) -> None:
        batch, start = self._batch, self._batch.n_tokens
        position = len(slot.cached)
        for i, token in enumerate(tokens):
            batch.token[start + i] = token
            batch.pos[start + i] = position + i
            batch.n_seq_id[start + i] = 1
            batch.seq_id[start + i][0] = slot.seq_id
            batch.logits[start + i] = False
        batch.logits[start + len(tokens) - 1] = wants_logits
        batch.n_tokens = start + len(tokens)
        slot.cached.extend(tokens)
        slot.next_token = None

    def _take(self, slot: _Slot, token: int) -> None:
        """One sampled token: end the sequence, or stream its text and decode it next step."""
        sequence = slot.sequence
        if sequence.first_token_at is None:
            sequence.first_token_at = time.monotonic()
        if sequence.ctx.should_stop():  # stopped while this step decoded: the token is dropped, not streamed
            sequence.tokens_after_cancel += 1
            self._release(slot, "cancelled")
            return
        if token in self._end_tokens:
            self._release(slot, "stop")
            return
        sequence.tokens += 1
        metrics.TOKENS.inc()
        if sequence.add_bytes(self._piece(token)):
            self._release(slot, "stop_sequence")
        elif sequence.tokens >= sequence.max_new_tokens:
            self._release(slot, "length")
        else:
            slot.next_token = token

    def _piece(self, token: int) -> bytes:
        piece = self._pieces.get(token)
        if piece is None:
            piece = self._pieces[token] = token_bytes(self._vocab, token)
        return piece

    def _release(self, slot: _Slot, finish: str | None = None, error: BaseException | None = None) -> None:
        sequence, slot.sequence, slot.pending, slot.next_token = slot.sequence, None, [], None
        if error is not None:
            llama.llama_memory_seq_rm(self._memory, slot.seq_id, -1, -1)
            slot.cached = []
        elif finish != "stop_sequence":
            sequence.flush()
        sequence.end(finish, error)


def token_bytes(vocab, token: int, special: bool = False) -> bytes:
    """A token's bytes as llama.cpp renders them; control tokens are empty unless `special`."""
    buffer = llama.ctypes.create_string_buffer(_PIECE_BYTES)
    length = llama.llama_token_to_piece(vocab, token, buffer, _PIECE_BYTES, 0, special)
    return buffer.raw[:max(0, length)]


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n
