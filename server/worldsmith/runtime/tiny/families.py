"""Tiny configurations of mainstream model families: each real config class with its real attention features."""

from __future__ import annotations

from typing import Any

# Every family keeps what its real checkpoints set and the engine must honour: sliding windows (per layer through
# `layer_types`, or on every layer), logit softcapping, qk-norm, attention biases, tied embeddings and its rope
# settings. Only the sizes shrink: 64 wide, 4 query heads, 16 per head, a few layers, and a 16-token window so that
# short prompts already run past it. `template` names the chat template of runtime/tiny/text.py the family uses.
WINDOW = 16

FAMILIES: dict[str, dict[str, Any]] = {
    # Llama 3.2 1B: llama3 rope scaling, rope_theta 500000, tied embeddings, 4:1 grouped queries.
    "llama3": dict(
        model_type="llama", template="chatml",
        config=dict(num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=1, tie_word_embeddings=True,
                    max_position_embeddings=131072,
                    rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0,
                                     "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                     "original_max_position_embeddings": 8192}),
    ),
    # Qwen 2.5 0.5B: q/k/v biases (built into the architecture), rope_theta 1e6, tied embeddings, no sliding window.
    "qwen2": dict(
        model_type="qwen2", template="chatml",
        config=dict(num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True,
                    max_position_embeddings=32768, use_sliding_window=False,
                    rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}),
    ),
    # Qwen 3 0.6B: qk-norm, an explicit head_dim, tied embeddings, rope_theta 1e6.
    "qwen3": dict(
        model_type="qwen3", template="chatml",
        config=dict(num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                    tie_word_embeddings=True, max_position_embeddings=40960, use_sliding_window=False,
                    rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}),
    ),
    # Gemma 2 2B: alternating sliding and full layers, attention and final logit softcapping, query_pre_attn_scalar.
    "gemma2": dict(
        model_type="gemma2", template="gemma",
        config=dict(num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                    layer_types=["sliding_attention", "full_attention"], sliding_window=WINDOW,
                    attn_logit_softcapping=50.0, final_logit_softcapping=30.0, query_pre_attn_scalar=16,
                    max_position_embeddings=8192, tie_word_embeddings=True),
    ),
    # Gemma 3 270M: 5 sliding layers to 1 full, local and global rope bases, qk-norm, a 32k context.
    "gemma3": dict(
        model_type="gemma3_text", template="gemma",
        config=dict(num_hidden_layers=6, num_attention_heads=4, num_key_value_heads=1, head_dim=16,
                    layer_types=["sliding_attention"] * 5 + ["full_attention"], sliding_window=WINDOW,
                    query_pre_attn_scalar=16, max_position_embeddings=32768, tie_word_embeddings=True),
    ),
    # Mistral 7B v0.1: a sliding window on every layer (no layer_types), untied embeddings.
    "mistral": dict(
        model_type="mistral", template="chatml",
        config=dict(num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, sliding_window=WINDOW,
                    max_position_embeddings=32768, tie_word_embeddings=False,
                    rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
    ),
    # Phi-3 mini 4k: fused qkv and gate_up projections, a sliding window on every layer, untied embeddings.
    "phi3": dict(
        model_type="phi3", template="chatml",
        config=dict(num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4, sliding_window=WINDOW,
                    max_position_embeddings=4096, original_max_position_embeddings=4096, tie_word_embeddings=False,
                    rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
    ),
    # SmolLM2 135M: the Llama architecture with 3:1 grouped queries, rope_theta 100000, tied embeddings.
    "smollm": dict(
        model_type="llama", template="chatml",
        config=dict(num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True,
                    max_position_embeddings=8192, rope_parameters={"rope_type": "default", "rope_theta": 100000.0}),
    ),
}


def config_for(family: str, vocab_size: int, bos: int | None, eos: int, pad: int, hidden_size: int = 64):
    """The family's real config class, at tiny sizes, for a tokenizer with these ids."""
    from transformers import AutoConfig

    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; one of {', '.join(FAMILIES)}")
    shape = FAMILIES[family]
    return AutoConfig.for_model(shape["model_type"], vocab_size=vocab_size, hidden_size=hidden_size,
                                intermediate_size=2 * hidden_size, bos_token_id=bos, eos_token_id=eos,
                                pad_token_id=pad, **shape["config"])
