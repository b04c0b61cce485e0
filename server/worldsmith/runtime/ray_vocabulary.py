"""A remote text generator's vocabulary kept at the front: the tokenizer and chat template without the weights, so
prompt budgeting (render_prompt, count_tokens, prompt_tokens) needs no round trip to a replica.

Each class lends the methods of the engine it stands for, so the front counts exactly as the replica will."""

from __future__ import annotations

import ctypes

from worldsmith.config import ModelConfig


class LlamaVocabulary:
    """A GGUF file's vocabulary and chat template (llama.cpp loads it with `vocab_only`: no tensors)."""

    def __init__(self, source: str):
        import llama_cpp as llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        from worldsmith.runtime import gguf_file, llama_cpp

        facts = gguf_file.facts(gguf_file.resolve(source))
        llama.llama_log_set(llama_cpp._native_log, ctypes.c_void_p(0))
        llama.llama_backend_init()
        params = llama.llama_model_default_params()
        params.vocab_only = True
        self._model = llama.llama_model_load_from_file(str(facts.path).encode(), params)
        if not self._model:
            raise RuntimeError(f"llama.cpp could not read the vocabulary of {facts.path}")
        self._vocab = llama.llama_model_get_vocab(self._model)
        self.model_id = facts.path.name
        self._template = None
        if facts.chat_template is not None:
            self._template = Jinja2ChatFormatter(facts.chat_template, self._special(llama.llama_vocab_eos(self._vocab)),
                                                 self._special(llama.llama_vocab_bos(self._vocab)))

    from worldsmith.runtime.llama_cpp import LlamaCppGenerator as _Engine

    _special = _Engine._special
    render_prompt = _Engine.render_prompt
    tokenize = _Engine.tokenize
    count_tokens = _Engine.count_tokens
    prompt_tokens = _Engine.prompt_tokens
    del _Engine


class TransformersVocabulary:
    """A Hugging Face model's tokenizer and chat template."""

    def __init__(self, source: str, revision: str):
        from pathlib import Path

        from transformers import AutoTokenizer

        where = {"revision": revision}
        if source.endswith(".gguf"):
            source, where = str(Path(source).parent), {"gguf_file": Path(source).name}
        self.tokenizer = AutoTokenizer.from_pretrained(source, **where)

    from worldsmith.runtime.text_generator import TextGenerator as _Engine

    render_prompt = _Engine.render_prompt
    count_tokens = _Engine.count_tokens
    prompt_tokens = _Engine.prompt_tokens
    del _Engine


def vocabulary_of(config: ModelConfig) -> LlamaVocabulary | TransformersVocabulary:
    """The front's copy of a text generator's vocabulary, for the engine that serves it."""
    if config.text_engine == "llama.cpp":
        return LlamaVocabulary(config.source)
    return TransformersVocabulary(config.source, config.revision)
