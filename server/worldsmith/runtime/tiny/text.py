"""Tiny randomly initialised chat models: Llama (the default) or a real family's shape, with a byte-level BPE tokenizer."""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import (AutoModelForCausalLM, GenerationConfig, LlamaConfig, LlamaForCausalLM,
                          PreTrainedTokenizerFast)

from worldsmith.runtime.tiny.families import FAMILIES, config_for

SEED = 0
VOCAB_SIZE = 1024
END_OF_TEXT, TURN_START, TURN_END = "<|endoftext|>", "<|im_start|>", "<|im_end|>"

# ChatML, as used by many open chat models: each message is framed by turn markers, and the
# generation prompt opens an assistant turn that the model closes with <|im_end|>.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# Gemma's: a <bos>, turns framed by <start_of_turn> / <end_of_turn>, the assistant called "model". The tokenizer's eos
# is <eos>, so only the template says that <end_of_turn> ends the model's turn.
GEMMA_BOS, GEMMA_EOS, GEMMA_PAD, GEMMA_TURN_START, GEMMA_TURN_END = (
    "<bos>", "<eos>", "<pad>", "<start_of_turn>", "<end_of_turn>")
GEMMA_CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<start_of_turn>model\n' }}{% endif %}"
)

# Enough English, game talk and JSON for common words and punctuation to become single tokens.
CORPUS = """
Welcome to the village, traveller. The blacksmith forges swords and shields by the river.
The innkeeper pours ale and tells stories of dragons, goblins and the old king's treasure.
Guards watch the gate at night; the merchant sells potions, arrows, bread and maps.
What brings you here? I have a quest for you: find the lost amulet in the dark forest.
Be careful, the bridge is broken and the wolves are hungry in winter.
The wizard lives in the tower beyond the mountains, where the snow never melts.
Thank you, friend. Come back when you have gathered ten herbs from the meadow.
You are a helpful assistant. Answer the question in one short sentence.
The room has a table, two chairs, a bed, a chest and a window facing the sea.
Place a torch on the wall, a barrel near the door and a rug in the centre of the hall.
A tall woman with short red hair, green eyes, a leather jacket and heavy boots.
{"emotion": "happy", "action": null}
{"emotion": "angry", "action": {"name": "attack", "arguments": {"target": "player"}}}
{"name": "give_item", "arguments": {"item": "sword", "count": 1}}
{"objects": [{"kind": "table", "position": [1.0, 0.0, 2.5], "rotation": 90}]}
{"height": 1.8, "hair": "red", "eyes": "green", "outfit": ["jacket", "boots"]}
true false null 0 1 2 3 4 5 6 7 8 9 10 42 100 3.14 -1
happy sad angry afraid surprised neutral calm curious
"""


def _train_tokenizer(template: str | None = "chatml") -> PreTrainedTokenizerFast:
    """A byte-level BPE over the corpus: every byte string is encodable, like GPT-2's tokenizer.

    `template`: "chatml" (eos <|im_end|>), "gemma" (adds <bos> like Gemma's tokenizer; eos <eos>, turns end with
    <end_of_turn>) or None (a base model: ChatML's tokens, no chat template).
    """
    gemma = template == "gemma"
    specials = ([GEMMA_PAD, GEMMA_EOS, GEMMA_BOS, GEMMA_TURN_START, GEMMA_TURN_END] if gemma
                else [END_OF_TEXT, TURN_START, TURN_END])
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    # Repeating the corpus is enough for the merges to cover its words; training is deterministic.
    tokenizer.train_from_iterator([CORPUS] * 4, trainer=trainer)
    if gemma:
        bos = tokenizer.token_to_id(GEMMA_BOS)
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{GEMMA_BOS} $A", pair=f"{GEMMA_BOS} $A $B", special_tokens=[(GEMMA_BOS, bos)])
        return PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token=GEMMA_BOS, eos_token=GEMMA_EOS,
                                       pad_token=GEMMA_PAD, chat_template=GEMMA_CHAT_TEMPLATE, model_max_length=32768)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token=TURN_END,
        pad_token=END_OF_TEXT,
        chat_template=CHAT_TEMPLATE if template == "chatml" else None,
        model_max_length=2048,
    )


def make(directory: Path, *, hidden_size: int = 64, num_layers: int = 2, num_heads: int = 4, num_kv_heads: int = 2,
         intermediate_size: int | None = None, family: str | None = None, chat_template: bool = True,
         tokenizer=None, config_overrides: dict | None = None) -> Path:
    """Write the tiny model and its tokenizer to `directory` (loadable with from_pretrained).

    Benchmarks pass larger sizes so that compute, not overhead, dominates. `intermediate_size` defaults to twice
    `hidden_size`. `family` (one of runtime/tiny/families.py's FAMILIES, e.g. "gemma3") writes that family's config
    shape instead, with its chat template style. `chat_template=False` writes a base model (no chat template).
    `tokenizer` (with `family`): a real tokenizer to use instead of the tiny one, e.g. Gemma 3's from its GGUF file
    (its 262,144 tokens make the embeddings the bulk of the model); it gets the family's chat template if it has none.
    `config_overrides` (with `family`): config values to change, e.g. {"attn_logit_softcapping": 0.01}.
    """
    directory = Path(directory)
    if family is not None:
        return _make_family(directory, family, hidden_size, chat_template, tokenizer, config_overrides or {})
    tokenizer = _train_tokenizer("chatml" if chat_template else None)
    turn_end, end_of_text = tokenizer.convert_tokens_to_ids([TURN_END, END_OF_TEXT])
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size or 2 * hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_kv_heads,
        max_position_embeddings=2048,
        bos_token_id=None,
        eos_token_id=turn_end,
        pad_token_id=end_of_text,
        tie_word_embeddings=True,
    )
    # Seed inside a forked RNG so making the model never disturbs the caller's random state.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(eos_token_id=[turn_end, end_of_text], pad_token_id=end_of_text)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def _make_family(directory: Path, family: str, hidden_size: int, chat_template: bool, tokenizer,
                 overrides: dict) -> Path:
    template = FAMILIES[family]["template"] if chat_template else None
    if tokenizer is not None:
        bos, eos, pad = tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id
    else:
        tokenizer = _train_tokenizer(template)
        if template == "gemma":
            bos, eos, pad = tokenizer.convert_tokens_to_ids([GEMMA_BOS, GEMMA_EOS, GEMMA_PAD])
        else:
            bos, (eos, pad) = None, tokenizer.convert_tokens_to_ids([TURN_END, END_OF_TEXT])
    config = config_for(family, len(tokenizer), bos, eos, pad, hidden_size)
    for name, value in overrides.items():
        setattr(config, name, value)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        model = AutoModelForCausalLM.from_config(config)
    # As Gemma's real generation config does not always list <end_of_turn>, only <eos>: the engine reads it off the
    # chat template.
    model.generation_config = GenerationConfig(eos_token_id=eos, bos_token_id=bos, pad_token_id=pad)
    model.save_pretrained(directory)
    own_template = tokenizer.chat_template
    if template is not None and own_template is None:
        tokenizer.chat_template = GEMMA_CHAT_TEMPLATE if template == "gemma" else CHAT_TEMPLATE
    try:
        tokenizer.save_pretrained(directory)
    finally:
        tokenizer.chat_template = own_template
    return directory
