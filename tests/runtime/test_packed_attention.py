"""Packed attention for the continuous batcher: the same numbers as SDPA over the block-diagonal mask, and the same
greedy text as `model.generate`."""

from __future__ import annotations

import asyncio

import pytest
import torch
from transformers import AutoModelForCausalLM
from transformers.integrations.sdpa_attention import sdpa_attention_forward

from worldsmith.runtime import packed_attention
from worldsmith.runtime.text_generator import GenerationRequest, load
from worldsmith.runtime.tiny import text as tiny_text

HEADS, KV_HEADS, DIM = 4, 2, 8


class _Attention(torch.nn.Module):
    num_key_value_groups = HEADS // KV_HEADS
    is_causal = True
    head_dim = DIM


def _packed_batch(query_lengths: list[int], key_lengths: list[int], window: int | None = None):
    """Random queries and keys laid out as the batcher packs them, and the block-diagonal causal mask SDPA gets."""
    generator = torch.Generator().manual_seed(0)
    cu_q = torch.tensor([0, *torch.tensor(query_lengths).cumsum(0).tolist()], dtype=torch.int32)
    cu_k = torch.tensor([0, *torch.tensor(key_lengths).cumsum(0).tolist()], dtype=torch.int32)
    query = torch.randn(1, int(cu_q[-1]), HEADS, DIM, generator=generator).transpose(1, 2)
    # The cache hands keys over in its own layout, [tokens, kv_heads, dim], viewed as [1, kv_heads, tokens, dim].
    key, value = (torch.randn(int(cu_k[-1]), KV_HEADS, DIM, generator=generator).transpose(0, 1).unsqueeze(0)
                  for _ in range(2))
    mask = torch.full((1, 1, int(cu_q[-1]), int(cu_k[-1])), float("-inf"))
    for b, (queries, keys) in enumerate(zip(query_lengths, key_lengths)):
        for i in range(queries):
            last = keys - queries + i  # the query's own key
            first = 0 if window is None else max(0, last - window + 1)
            mask[0, 0, cu_q[b] + i, cu_k[b] + first: cu_k[b] + last + 1] = 0
    kwargs = dict(scaling=0.35, cu_seq_lens_q=cu_q, cu_seq_lens_k=cu_k, max_length_q=max(query_lengths),
                  max_length_k=max(key_lengths))
    return query, key, value, mask, kwargs


@pytest.mark.parametrize("query_lengths, key_lengths", [
    ([1, 1, 1, 1], [5, 17, 2, 9]),  # a decode step
    ([3, 1, 6], [3, 12, 10]),  # prefill chunks next to a decode
])
def test_matches_sdpa_over_the_block_diagonal_mask(query_lengths, key_lengths):
    query, key, value, mask, kwargs = _packed_batch(query_lengths, key_lengths)
    expected, _ = sdpa_attention_forward(_Attention(), query, key, value, mask, is_causal=False, **kwargs)
    packed, _ = packed_attention.packed_attention_forward(_Attention(), query, key, value, None, **kwargs)
    assert packed.shape == expected.shape == (1, sum(query_lengths), HEADS, DIM)
    torch.testing.assert_close(packed, expected)


@pytest.mark.parametrize("query_lengths, key_lengths", [
    ([1, 1, 1, 1], [5, 17, 2, 9]),  # a decode step; the 17 keys run past the window
    ([3, 1, 20], [3, 12, 26]),  # prefill chunks longer than the window, next to a decode
])
@pytest.mark.parametrize("window, softcap", [(6, None), (None, 0.5), (6, 0.5)])
def test_sliding_windows_and_softcapping_match_eager_attention(query_lengths, key_lengths, window, softcap):
    from transformers.models.gemma2.modeling_gemma2 import eager_attention_forward

    query, key, value, mask, kwargs = _packed_batch(query_lengths, key_lengths, window)
    query = query * 8  # large scores, so that a softcap of 0.5 changes them
    expected, _ = eager_attention_forward(_Attention().eval(), query, key, value, mask, softcap=softcap,
                                          sliding_window=window, **kwargs)
    packed, _ = packed_attention.packed_attention_forward(_Attention(), query, key, value, None, softcap=softcap,
                                                          sliding_window=window, **kwargs)
    torch.testing.assert_close(packed, expected)
    if softcap is not None:  # outside the batcher (no cu_seq_lens), softcapped attention is eager's too
        q, k, v, m, _ = _packed_batch([6], [6])
        outside, _ = packed_attention.packed_attention_forward(_Attention(), q, k, v, m, softcap=softcap, scaling=0.35)
        reference, _ = eager_attention_forward(_Attention().eval(), q, k, v, m, softcap=softcap, scaling=0.35)
        torch.testing.assert_close(outside, reference)


async def test_softcapped_sliding_model_matches_model_generate(tmp_path):
    # Gemma 2's shape and its softcap of 50, with weights large enough for scores to reach the cap (at the usual 0.02
    # the cap changes nothing), untied so the output is not the input embedding echoed; a prompt past the window.
    overrides = {"initializer_range": 1.0, "tie_word_embeddings": False}
    directory = tiny_text.make(tmp_path / "gemma2", family="gemma2", config_overrides=overrides)
    generator = load(str(directory), max_batch_size=2)
    assert generator.model.config._attn_implementation == packed_attention.NAME
    plain = AutoModelForCausalLM.from_pretrained(directory).eval()  # transformers' eager attention
    assert plain.config._attn_implementation == "eager"
    messages = [{"role": "user", "content": "Tell me of the dragon in the tower beyond the mountains, and the wolves."}]
    ids = torch.tensor([generator._prepare(GenerationRequest(messages)).prompt_ids])
    assert ids.shape[1] > 16
    output = plain.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=32, do_sample=False,
                            eos_token_id=generator.eos_token_ids, pad_token_id=generator.tokenizer.pad_token_id)
    await generator.start()
    try:
        result = await generator.generate(GenerationRequest(messages, max_new_tokens=32, temperature=0))
    finally:
        await generator.stop()
    assert result.completion_tokens > 8
    assert result.text == generator.tokenizer.decode(output[0, ids.shape[1]:], skip_special_tokens=True)


def test_a_decode_step_reads_its_keys_from_cache_rows():
    query, key, value, mask, kwargs = _packed_batch([1, 1, 1], [6, 11, 3])
    expected, _ = sdpa_attention_forward(_Attention(), query, key, value, mask, is_causal=False, **kwargs)
    # The same keys scattered over a larger cache, with the row of each packed key.
    rows = torch.randperm(64, generator=torch.Generator().manual_seed(1))[: key.shape[2]].to(torch.int32)
    cache_key, cache_value = (torch.zeros(1, KV_HEADS, 64, DIM) for _ in range(2))
    cache_key[:, :, rows.long()], cache_value[:, :, rows.long()] = key, value
    packed, _ = packed_attention.packed_attention_forward(
        _Attention(), query, cache_key, cache_value, None, **kwargs, **{packed_attention.CACHE_ROWS: rows})
    torch.testing.assert_close(packed, expected)


async def test_batched_greedy_text_matches_model_generate(tmp_path):
    directory = tiny_text.make(tmp_path / "model")
    generator = load(str(directory), max_batch_size=4)
    assert generator.model.config._attn_implementation == packed_attention.NAME
    plain = AutoModelForCausalLM.from_pretrained(directory).eval()  # transformers' own SDPA
    prompts = [[{"role": "user", "content": "Where is the " + thing + "?"}] for thing in ("inn", "bridge", "old tower")]
    await generator.start()
    try:
        results = await asyncio.gather(*[
            generator.generate(GenerationRequest(messages, max_new_tokens=24, temperature=0)) for messages in prompts
        ])
    finally:
        await generator.stop()
    assert all(result.completion_tokens > 8 for result in results)
    for messages, result in zip(prompts, results):
        ids = torch.tensor([generator.tokenizer.encode(generator.render_prompt(messages), add_special_tokens=False)])
        output = plain.generate(ids, max_new_tokens=24, do_sample=False, eos_token_id=generator.eos_token_ids,
                                pad_token_id=generator.tokenizer.pad_token_id)
        assert result.text == generator.tokenizer.decode(output[0, ids.shape[1]:], skip_special_tokens=True)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_a_decode_gives_the_same_bits_whatever_shares_its_step(dtype):
    # Request 0 decodes with 40 keys: alone, beside longer and shorter decodes, and beside a prefill chunk.
    query, key, value, _, kwargs = _packed_batch([1, 1, 1, 6], [40, 300, 7, 30])
    query, key, value = (tensor.to(dtype) for tensor in (query, key, value))

    def attend(requests: list[int], keys: list[int], query_lengths: list[int]) -> torch.Tensor:
        """Attention for the given requests of the packed batch, packed on their own; returns request 0's row."""
        q_rows = [range(int(kwargs["cu_seq_lens_q"][r]), int(kwargs["cu_seq_lens_q"][r + 1])) for r in requests]
        k_rows = [range(int(kwargs["cu_seq_lens_k"][r]), int(kwargs["cu_seq_lens_k"][r + 1])) for r in requests]
        q = query[:, :, [i for rows in q_rows for i in rows]]
        k, v = (states[:, :, [i for rows in k_rows for i in rows]] for states in (key, value))
        cumulative = {"cu_seq_lens_q": query_lengths, "cu_seq_lens_k": keys}
        step = {name: torch.tensor([0, *torch.tensor(lengths).cumsum(0).tolist()], dtype=torch.int32)
                for name, lengths in cumulative.items()}
        output, _ = packed_attention.packed_attention_forward(
            _Attention(), q, k, v, None, scaling=0.35, max_length_q=max(query_lengths), max_length_k=max(keys), **step)
        return output[0, 0]

    alone = attend([0], [40], [1])
    assert torch.equal(attend([0, 1, 2], [40, 300, 7], [1, 1, 1]), alone)
    assert torch.equal(attend([0, 3], [40, 30], [1, 6]), alone)


async def test_bf16_replies_do_not_depend_on_what_shares_the_batch(tmp_path):
    directory = tiny_text.make(tmp_path / "model", hidden_size=128, num_layers=2, num_heads=4, num_kv_heads=2)
    generator = load(str(directory), dtype=torch.bfloat16, max_batch_size=8)

    def request(i: int) -> GenerationRequest:  # prompts of different lengths, so the batch pads them differently
        messages = [{"role": "system", "content": "You keep the inn. " * (2 + 3 * i)}, {"role": "user", "content": "Hi!"}]
        return GenerationRequest(messages, max_new_tokens=40, seed=7 + i)

    await generator.start()
    try:
        alone = [await generator.generate(request(i)) for i in range(4)]
        together = await asyncio.gather(*[generator.generate(request(i % 4)) for i in range(8)])
    finally:
        await generator.stop()
    assert [result.text for result in together[:4]] == [result.text for result in alone]
