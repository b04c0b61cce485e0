"""A tiny randomly initialised sentence-transformers embedder (BERT, mean pooling, normalisation)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

from worldsmith.runtime.tiny.text import CORPUS

SEED = 0
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _build_tokenizer() -> PreTrainedTokenizerFast:
    """A lower-casing WordPiece tokenizer shaped like BERT's: the corpus's words plus single characters, so any
    word still splits into pieces. (The WordPiece trainer numbers tokens in hash order; this vocabulary is fixed.)"""
    words = [word for word, _ in pre_tokenizers.BertPreTokenizer().pre_tokenize_str(CORPUS.lower())]
    characters = sorted(set("abcdefghijklmnopqrstuvwxyz0123456789") | set("".join(words)))
    vocabulary = dict.fromkeys(SPECIAL_TOKENS + sorted(set(words)) + characters + [f"##{c}" for c in characters])
    tokenizer = Tokenizer(models.WordPiece({token: i for i, token in enumerate(vocabulary)}, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]", model_max_length=256,
    )


def make(directory: Path) -> Path:
    """Write the tiny embedder to `directory` (loadable with SentenceTransformer(directory))."""
    directory = Path(directory)
    tokenizer = _build_tokenizer()
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=256,
    )
    # Seed inside a forked RNG so making the model never disturbs the caller's random state.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        bert = BertModel(config)
    with tempfile.TemporaryDirectory() as staging:
        bert.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        transformer = Transformer(staging, max_seq_length=256)
    embedder = SentenceTransformer(modules=[transformer, Pooling(config.hidden_size, pooling_mode="mean"), Normalize()])
    embedder.save(str(directory))
    return directory
