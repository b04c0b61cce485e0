"""Incremental detokenisation: turns a growing list of token ids into safe-to-show text deltas, honouring stop sequences."""

from __future__ import annotations


class TextStream:
    """Feed it the whole token list after each step; it returns only text that can no longer change.

    Text is held back while it ends in an incomplete UTF-8 character (decoded as U+FFFD) or in the start of a
    stop sequence, so a caller never shows text that a stop sequence later cuts off.
    """

    def __init__(self, tokenizer, stop_sequences: list[str]):
        self._tokenizer = tokenizer
        self._stops = [stop for stop in stop_sequences if stop]
        self.text = ""  # everything returned so far
        self.stop_sequence = ""  # the stop sequence that appeared; `text` ends right before it

    def update(self, token_ids: list[int]) -> str:
        """The new text since the last call (possibly empty)."""
        full = self._decode(token_ids)
        if self._cut_at_stop(full):
            return self._advance(full[: self._stop_index])
        return self._advance(full[: len(full) - self._unsettled_suffix(full)])

    def finish(self, token_ids: list[int]) -> str:
        """The remaining text once generation has ended (nothing is held back any more)."""
        full = self._decode(token_ids)
        if self._cut_at_stop(full):
            return self._advance(full[: self._stop_index])
        return self._advance(full)

    def _decode(self, token_ids: list[int]) -> str:
        return self._tokenizer.decode(token_ids, skip_special_tokens=True)

    def _cut_at_stop(self, full: str) -> bool:
        # Returned text never ends in the start of a stop sequence, so a match cannot begin before its end.
        found = [(index, stop) for stop in self._stops if (index := full.find(stop, len(self.text))) >= 0]
        if found:
            self._stop_index, self.stop_sequence = min(found)
        return bool(found)

    def _unsettled_suffix(self, full: str) -> int:
        """How many trailing characters may still change or turn into a stop sequence."""
        held = 0
        for stop in self._stops:
            for length in range(min(len(stop) - 1, len(full)), held, -1):
                if full.endswith(stop[:length]):
                    held = length
                    break
        undecoded = len(full) - len(full.rstrip("\ufffd"))
        return max(held, undecoded)

    def _advance(self, settled: str) -> str:
        delta = settled[len(self.text):]
        self.text += delta
        return delta
