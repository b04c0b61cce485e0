"""Per-request seeded sampling inside transformers' continuous batcher.

The batcher samples every request of a step with one `torch.multinomial` call on the global RNG, so a request's
text would depend on whichever requests shared its steps. We turn sampling off in the batcher (`do_sample=False`:
it takes the argmax) and add Gumbel noise to the processed logits instead: argmax(logits / T + Gumbel) is an exact
sample from softmax(logits / T). The noise comes from a counter-based hash of (seed, token index, vocabulary id),
computed with tensor operations on the device, so a request's tokens depend only on its own seed and logits.

Order of the processors: grammar mask, temperature, top-p, noise. The mask comes first so that top-p never
keeps only tokens the grammar forbids.
"""

from __future__ import annotations

import torch
from transformers.generation.continuous_batching.cb_logits_processors import (
    ContinuousBatchingLogitsProcessor,
    ContinuousBatchingLogitsProcessorList,
    ContinuousBatchingTopPLogitsWarper,
)
from transformers.generation.logits_process import LogitsProcessorList, TopPLogitsWarper

from worldsmith.runtime.grammar import GrammarMasks

_MASK32 = 0xFFFFFFFF
GREEDY = -1  # noise key of a greedy (temperature 0) request


def _mix32(value: int) -> int:
    """A 32-bit integer finaliser (lowbias32): every input bit flips each output bit with probability ~1/2."""
    value &= _MASK32
    value ^= value >> 16
    value = (value * 0x7FEB352D) & _MASK32
    value ^= value >> 15
    value = (value * 0x846CA68B) & _MASK32
    value ^= value >> 16
    return value


def noise_key(seed: int, token_index: int) -> int:
    """The 31-bit key of one sampled token of one request."""
    folded = _mix32(seed) ^ _mix32(seed >> 32) ^ _mix32(seed >> 64)  # seeds may be any uint64 (or larger)
    return _mix32(folded ^ _mix32(token_index + 0x9E3779B9)) & 0x7FFFFFFF


def gumbel_noise(keys: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """Gumbel(0, 1) noise of shape [rows, vocab_size], a pure function of each row's key (tensor ops only)."""
    ids = torch.arange(vocab_size, dtype=torch.int64, device=keys.device)
    x = (keys.to(torch.int64).unsqueeze(-1) * 0x9E3779B1 + ids * 0x85EBCA77) & _MASK32
    x = x ^ (x >> 16)
    x = (x * 0x7FEB352D) & _MASK32
    x = x ^ (x >> 15)
    x = (x * 0x846CA68B) & _MASK32
    x = x ^ (x >> 16)
    return -torch.log(-torch.log(_uniform(x)))


def _uniform(hashed: torch.Tensor) -> torch.Tensor:
    """float32 in (0, 1), never 0 or 1, from 32-bit hash values.

    Float32 holds k + 0.5 exactly only below 2^23; from the top 24 bits, (2^24 - 1) + 0.5 rounded to 2^24 and u to
    1.0, so the noise was +inf (about one step in 64 at a 262,144 vocabulary) and a masked -inf logit became NaN.
    The top 23 bits give u = (k + 0.5) / 2^23, exact, in [2^-24, 1 - 2^-24]: the noise lies in about [-2.8, 16.6].
    """
    return ((hashed >> 9).to(torch.float32) + 0.5) / float(1 << 23)


class Temperature(ContinuousBatchingLogitsProcessor):
    """Divides each row's logits by its temperature; 0 (greedy) leaves them as they are."""

    supported_kwargs = {"temperature": float}
    ignored_kwargs = ()

    def fill_defaults(self, int32_tensor: torch.Tensor) -> None:
        int32_tensor.copy_(torch.ones_like(int32_tensor, dtype=torch.float32).view(torch.int32))

    def prepare_tensor_args(self, requests_with_new_token) -> torch.Tensor:
        values = [future.state.logit_processor_kwargs.get("temperature", 1.0) for future in requests_with_new_token]
        return torch.tensor(values, dtype=torch.float32).view(torch.int32)

    def __call__(self, scores: torch.Tensor, tensor_arg: torch.Tensor) -> torch.Tensor:
        temperature = tensor_arg[: scores.size(0)].view(torch.float32)
        return scores / torch.where(temperature > 0, temperature, 1.0).unsqueeze(-1)


class SeededNoise(ContinuousBatchingLogitsProcessor):
    """Adds each sampled request's Gumbel noise, keyed by its seed and the index of the token being sampled."""

    supported_kwargs = {"seed": int}
    ignored_kwargs = ()

    def fill_defaults(self, int32_tensor: torch.Tensor) -> None:
        int32_tensor.fill_(GREEDY)

    def prepare_tensor_args(self, requests_with_new_token) -> torch.Tensor:
        keys = []
        for future in requests_with_new_token:
            kwargs = future.state.logit_processor_kwargs
            if kwargs.get("temperature", 1.0) <= 0:
                keys.append(GREEDY)
            else:
                # The batcher updates the state after each step, so this is the index of the token being sampled.
                keys.append(noise_key(kwargs.get("seed", 0), future.state.generated_len()))
        return torch.tensor(keys, dtype=torch.int32)

    def __call__(self, scores: torch.Tensor, tensor_arg: torch.Tensor) -> torch.Tensor:
        keys = tensor_arg[: scores.size(0)]
        noise = gumbel_noise(keys, scores.size(-1))
        noisy = scores + torch.where((keys == GREEDY).unsqueeze(-1), 0.0, noise)
        # A token the grammar masked (-inf) stays -inf whatever the noise: it can never be the argmax.
        return noisy.masked_fill(scores == float("-inf"), float("-inf"))


class SamplingProcessors(ContinuousBatchingLogitsProcessorList):
    """Grammar mask, temperature, top-p and seeded noise, each taking its value per request."""

    def __init__(self, grammar_masks: GrammarMasks, default_top_p: float = 1.0):
        processors = [
            grammar_masks,
            Temperature(),
            ContinuousBatchingTopPLogitsWarper(TopPLogitsWarper(top_p=default_top_p)),
            SeededNoise(),
        ]
        super().__init__(LogitsProcessorList(processors), per_request_processors=False)
        # The batcher sizes its argument storage by this count; the base class only counts processors it converts.
        self.tensors_required = len(processors)
