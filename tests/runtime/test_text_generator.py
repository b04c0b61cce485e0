"""The text generator on the tiny random chat model: streaming, seeds, stops, cancel, batching, grammars."""

from __future__ import annotations

import asyncio
import json

import jsonschema
import pytest

from worldsmith._proto.worldsmith.v1 import common_pb2
from worldsmith.errors import DeadlineExceeded, InvalidArgument, Unavailable
from worldsmith.runtime import metrics
from worldsmith.runtime.context import CallContext, Lane
from worldsmith.runtime.grammar import Grammar
from worldsmith.runtime.text_generator import GenerationRequest, GenerationResult, TextChunk, load
from worldsmith.runtime.tiny import text as tiny_text

HELLO = [
    {"role": "system", "content": "You are the village blacksmith."},
    {"role": "user", "content": "What brings you here, traveller?"},
]

# The shape dialogue asks for after a line: an emotion, and no action or one action with its own arguments.
NPC_SCHEMA = {
    "type": "object",
    "properties": {
        "emotion": {"enum": ["happy", "sad", "angry", "afraid"]},
        "intensity": {"type": "integer", "minimum": 1, "maximum": 5},
        "wave": {"type": "boolean"},
        "action": {
            "anyOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "properties": {
                        "name": {"const": "give_item"},
                        "arguments": {
                            "type": "object",
                            "properties": {
                                "item": {"type": "string", "maxLength": 12},
                                "count": {"type": "integer", "minimum": 1, "maximum": 3},
                            },
                            "required": ["item", "count"],
                        },
                    },
                    "required": ["name", "arguments"],
                },
                {
                    "type": "object",
                    "properties": {
                        "name": {"const": "follow"},
                        "arguments": {
                            "type": "object",
                            "properties": {"target": {"enum": ["player", "guard"]}},
                            "required": ["target"],
                        },
                    },
                    "required": ["name", "arguments"],
                },
            ]
        },
    },
    "required": ["emotion", "intensity", "action"],
}


@pytest.fixture(scope="module")
async def generator(tmp_path_factory):
    directory = tiny_text.make(tmp_path_factory.mktemp("tiny-text"))
    engine = load(str(directory), max_batch_size=16)
    engine.warmup()
    await engine.start()
    yield engine
    await engine.stop()


async def collect(generator, request: GenerationRequest, ctx: CallContext | None = None) -> list:
    return [event async for event in generator.submit(request, ctx or CallContext()).events()]


async def test_streams_queued_then_chunks_then_one_result(generator):
    events = await collect(generator, GenerationRequest(HELLO, max_new_tokens=24, seed=3))

    assert isinstance(events[0], common_pb2.Queued)
    chunks = [event for event in events if isinstance(event, TextChunk)]
    result = events[-1]
    assert isinstance(result, GenerationResult)
    assert [event for event in events if isinstance(event, GenerationResult)] == [result]
    assert chunks and "".join(chunk.text for chunk in chunks) == result.text
    counts = [chunk.tokens for chunk in chunks]
    assert counts == sorted(counts) and counts[-1] <= result.completion_tokens
    assert result.prompt_tokens == generator.prompt_tokens(HELLO)
    assert result.time_to_first_token_s is not None and result.time_to_first_token_s > 0


async def test_same_seed_gives_the_same_text_even_among_other_requests(generator):
    alone = await generator.generate(GenerationRequest(HELLO, max_new_tokens=40, seed=11))
    crowd = await asyncio.gather(*[
        generator.generate(GenerationRequest(HELLO, max_new_tokens=40, seed=seed)) for seed in (9, 10, 11, 12, 13)
    ])
    assert crowd[2].text == alone.text
    assert len({result.text for result in crowd}) == 5  # different seeds sample differently


async def test_greedy_ignores_the_seed(generator):
    first = await generator.generate(GenerationRequest(HELLO, max_new_tokens=16, temperature=0, seed=1))
    second = await generator.generate(GenerationRequest(HELLO, max_new_tokens=16, temperature=0, seed=2))
    assert first.text == second.text


async def test_stop_sequence_ends_the_text_before_it(generator):
    request = GenerationRequest(HELLO, max_new_tokens=40, seed=21)
    full = await collect(generator, request)
    words = [chunk.text for chunk in full if isinstance(chunk, TextChunk) and chunk.text.strip().isalpha()]
    stop = words[len(words) // 2]
    expected = full[-1].text[: full[-1].text.index(stop)]

    request.stop_sequences = [stop]
    events = await collect(generator, request)
    result = events[-1]
    assert (result.finish_reason, result.stop_sequence) == ("stop_sequence", stop)
    assert result.text == expected and stop not in result.text
    assert "".join(event.text for event in events if isinstance(event, TextChunk)) == expected


async def test_a_stop_sequence_on_the_last_allowed_token_wins_over_the_length(generator):
    request = GenerationRequest(HELLO, max_new_tokens=40, seed=21)
    full = await collect(generator, request)
    text, seen = full[-1].text, ""
    for chunk in (event for event in full if isinstance(event, TextChunk)):
        before, seen = seen, seen + chunk.text
        word = chunk.text.strip()
        if word.isalpha() and len(before) < text.find(word) + len(word) <= len(seen):
            break  # the first occurrence of this word is completed by this chunk's last token

    request.max_new_tokens, request.stop_sequences = chunk.tokens, [word]
    result = await generator.generate(request)
    assert result.finish_reason == "stop_sequence" and result.completion_tokens == chunk.tokens
    assert result.text == text[: text.find(word)]


async def test_max_new_tokens_bounds_the_reply(generator):
    results = await asyncio.gather(*[
        generator.generate(GenerationRequest(HELLO, max_new_tokens=7, seed=seed)) for seed in range(6)
    ])
    for result in results:
        assert result.completion_tokens <= 7
        assert result.finish_reason == "stop" or result.completion_tokens == 7
    assert any(result.finish_reason == "length" for result in results)


async def test_cancel_stops_generation_within_a_token_or_two(generator):
    ctx = CallContext()
    job = generator.submit(GenerationRequest(HELLO, max_new_tokens=1500, seed=4), ctx)
    chunks = 0
    result = None
    async for event in job.events():
        if isinstance(event, TextChunk):
            chunks += 1
            if chunks == 3:
                ctx.cancel()
        if isinstance(event, GenerationResult):
            result = event
    assert result.finish_reason == "cancelled"
    assert result.tokens_after_cancel <= 2
    assert result.completion_tokens < 100


async def test_a_passed_deadline_stops_generation(generator):
    ctx = CallContext.with_timeout(0.2)
    with pytest.raises(DeadlineExceeded):
        await generator.generate(GenerationRequest(HELLO, max_new_tokens=1500, seed=4), ctx)


async def test_sixteen_concurrent_requests_all_complete(generator):
    before = metrics.TOKENS._value.get()
    results = await asyncio.gather(*[
        generator.generate(GenerationRequest(HELLO, max_new_tokens=32, seed=100 + i)) for i in range(16)
    ])
    assert all(result.completion_tokens >= 1 and result.finish_reason in ("stop", "length") for result in results)
    assert len({result.text for result in results}) == 16
    assert metrics.TOKENS._value.get() - before == sum(result.completion_tokens for result in results)


async def test_json_output_validates_against_the_schema_for_every_seed(generator):
    results = await asyncio.gather(*[
        generator.generate(GenerationRequest(HELLO, max_new_tokens=120, temperature=1.0, top_p=1.0, seed=seed,
                                             json_schema=NPC_SCHEMA), CallContext(lane=Lane.BATCH))
        for seed in range(24)  # more than the interactive lane holds

    ])
    values = []
    for result in results:
        assert result.finish_reason == "stop", result.text
        assert result.text.startswith('{"emotion": ')  # properties come in the schema's order
        values.append(json.loads(result.text))
        jsonschema.validate(values[-1], NPC_SCHEMA)
    assert len({value["emotion"] for value in values}) > 1  # constrained, still sampled
    assert any(value["action"] is not None for value in values)


async def test_choice_grammar_yields_exactly_one_option(generator):
    options = ["calm", "angry", "afraid", "curious"]
    results = await asyncio.gather(*[
        generator.generate(GenerationRequest(HELLO, max_new_tokens=8, seed=seed, grammar=Grammar.choice(options)))
        for seed in range(8)
    ])
    assert all(result.text in options and result.finish_reason == "stop" for result in results)


async def test_bad_requests_are_refused_before_queueing(generator):
    bad = [
        (GenerationRequest([], max_new_tokens=4), "messages"),
        (GenerationRequest([{"role": "narrator", "content": "x"}]), "messages[0].role"),
        (GenerationRequest(HELLO, temperature=-1), "temperature"),
        (GenerationRequest(HELLO, top_p=0), "top_p"),
        (GenerationRequest(HELLO, max_new_tokens=0), "max_new_tokens"),
        (GenerationRequest(HELLO, json_schema={"type": "no-such-type"}), "json_schema"),
        (GenerationRequest(HELLO, grammar=Grammar.ebnf_text("root ::= ")), "grammar"),
        (GenerationRequest([{"role": "user", "content": "forge " * 5000}]), "messages"),
    ]
    for request, field in bad:
        with pytest.raises(InvalidArgument) as error:
            generator.submit(request, CallContext())
        assert field in [violation[0] for violation in error.value.violations], error.value.message
    assert generator.queued() == 0


def test_prompt_helpers_budget_the_context(generator):
    prompt = generator.render_prompt(HELLO)
    assert "village blacksmith" in prompt and prompt.endswith("assistant\n")
    assert generator.count_tokens("The blacksmith") == 2
    assert generator.prompt_tokens(HELLO) == generator.count_tokens(prompt)
    assert generator.context_tokens == 2048
    assert generator.memory_bytes() > 100_000


def test_the_tiny_model_is_written_the_same_every_time(tmp_path):
    first, second = tiny_text.make(tmp_path / "a"), tiny_text.make(tmp_path / "b")
    for name in ("model.safetensors", "tokenizer.json", "config.json", "generation_config.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


async def test_stopping_the_generator_ends_a_running_request(tmp_path):
    engine = load(str(tiny_text.make(tmp_path / "model")), max_batch_size=2)
    await engine.start()
    job = engine.submit(GenerationRequest(HELLO, max_new_tokens=1500, seed=4), CallContext())
    events = job.events()
    while not isinstance(await anext(events), TextChunk):
        pass  # the request is inside the batcher
    await asyncio.wait_for(engine.stop(), timeout=30)
    with pytest.raises(Exception) as ended:
        async with asyncio.timeout(10):
            async for _ in events:
                pass
    assert isinstance(ended.value, Unavailable), ended.value
