"""Text generator throughput: the engine (continuous batching) at 1, 4 and 16 concurrent requests against
sequential `model.generate`, plus time to first token and the cost of grammar-constrained JSON.

    python bench/textgen.py                      # a random Llama sized so compute dominates, 1 torch thread
    python bench/textgen.py --model DIR_OR_ID --device cuda

Prints a table and writes bench/results/textgen.json. Compare ratios within one run, not absolute times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import jsonschema
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from worldsmith.runtime import devices, heap  # noqa: E402
from worldsmith.runtime.context import CallContext, Lane  # noqa: E402
from worldsmith.runtime.generation import GenerationRequest  # noqa: E402
from worldsmith.runtime.text_generator import load  # noqa: E402
from worldsmith.runtime.tiny import text as tiny_text  # noqa: E402

MESSAGES = [
    {"role": "system", "content": "You are the innkeeper of a small village. Answer in one short sentence."},
    {"role": "user", "content": "Welcome, traveller! What brings you to the village?"},
]
# The proportions of a small chat model, as in bench/dialogue.py: the forward pass, not per-step Python, sets the pace.
MODEL = dict(hidden_size=512, num_layers=6, num_heads=8, num_kv_heads=2, intermediate_size=2048)
SCHEMA = {
    "type": "object",
    "properties": {
        "emotion": {"enum": ["happy", "sad", "angry", "afraid", "neutral"]},
        "action": {"anyOf": [{"type": "null"}, {"type": "object", "properties": {
            "name": {"const": "give_item"},
            "arguments": {"type": "object", "properties": {"item": {"enum": ["sword", "bread", "map"]}},
                          "required": ["item"]}}, "required": ["name", "arguments"]}]},
    },
    "required": ["emotion", "action"],
}


async def engine_run(generator, concurrency: int, new_tokens: int, schema: dict | None = None) -> dict:
    requests = [
        GenerationRequest(MESSAGES, max_new_tokens=new_tokens, seed=1000 + i, json_schema=schema)
        for i in range(concurrency)
    ]
    started = time.perf_counter()
    results = await asyncio.gather(*[generator.generate(r, CallContext(lane=Lane.BATCH)) for r in requests])
    elapsed = time.perf_counter() - started
    tokens = sum(result.completion_tokens for result in results)
    return {
        "requests": concurrency,
        "tokens": tokens,
        "seconds": elapsed,
        "tokens_per_s": tokens / elapsed,
        "ttft_ms_median": 1000 * statistics.median(r.time_to_first_token_s for r in results),
        "finished": sum(r.finish_reason == "stop" for r in results),
        # What a caller can use: text that parses and validates (None when no schema was asked for).
        "valid_json": None if schema is None else sum(valid_json(r.text, schema) for r in results),
    }


def valid_json(text: str, schema: dict) -> bool:
    try:
        jsonschema.validate(json.loads(text), schema)
    except (json.JSONDecodeError, jsonschema.ValidationError):
        return False
    return True


def generate_run(generator, concurrency: int, new_tokens: int) -> dict:
    """The same prompts, one `model.generate` call after another (what a server without batching does).

    A request's time to first token includes waiting for the requests before it, as it would in a server.
    """
    model, tokenizer = generator.model, generator.tokenizer
    prompt = torch.tensor([tokenizer.encode(generator.render_prompt(MESSAGES), add_special_tokens=False)],
                          device=model.device)
    sampling = {"do_sample": True, "temperature": 0.8, "top_p": 0.95, "pad_token_id": tokenizer.pad_token_id}
    tokens = 0
    waited = 0.0
    first_token_s = []
    for i in range(concurrency):
        torch.manual_seed(1000 + i)
        started = time.perf_counter()
        model.generate(prompt, max_new_tokens=1, **sampling)  # timed apart: the prefill and first token
        first_token_s.append(waited + time.perf_counter() - started)
        started = time.perf_counter()
        output = model.generate(prompt, max_new_tokens=new_tokens, eos_token_id=generator.eos_token_ids, **sampling)
        waited += time.perf_counter() - started
        tokens += output.shape[1] - prompt.shape[1]
    elapsed = waited
    return {
        "requests": concurrency,
        "tokens": tokens,
        "seconds": elapsed,
        "tokens_per_s": tokens / elapsed,
        "ttft_ms_median": 1000 * statistics.median(first_token_s),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model id or directory (default: the random Llama of bench/dialogue.py)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads for engine and generate alike (see bench/dialogue.py)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as scratch:
        source = args.model or str(tiny_text.make(Path(scratch) / "bench-lm", **MODEL))
        dtype = devices.pick_dtype(args.device, "auto", "text-generator")  # what the server would pick
        generator = load(source, device=args.device, dtype=dtype, max_batch_size=16)
        started = time.perf_counter()
        generator.warmup()
        warmup_s = time.perf_counter() - started
        await generator.start()
        heap.freeze_live_objects()  # as the server's registry does once models are loaded

        rows = []
        for concurrency in (1, 4, 16):
            engine = await engine_run(generator, concurrency, args.new_tokens)
            baseline = generate_run(generator, concurrency, args.new_tokens)
            rows.append({"concurrency": concurrency, "engine": engine, "sequential_generate": baseline,
                         "speedup": engine["tokens_per_s"] / baseline["tokens_per_s"]})
        plain = await engine_run(generator, 16, args.new_tokens)
        constrained = await engine_run(generator, 16, args.new_tokens, SCHEMA)
        await generator.stop()
        heap.thaw()

    print(f"model {generator.model_id}  device {args.device} ({str(dtype).removeprefix('torch.')})  {args.new_tokens} new tokens  warmup {warmup_s:.2f} s")
    print(f"{'requests':>8} | {'engine tok/s':>12} | {'generate tok/s':>14} | {'ratio':>6} | "
          f"{'engine TTFT ms':>14} | {'generate TTFT ms':>16}")
    for row in rows:
        engine, baseline = row["engine"], row["sequential_generate"]
        print(f"{row['concurrency']:>8} | {engine['tokens_per_s']:>12.0f} | {baseline['tokens_per_s']:>14.0f} | "
              f"{row['speedup']:>5.2f}x | {engine['ttft_ms_median']:>14.1f} | {baseline['ttft_ms_median']:>16.1f}")
    print(f"16 requests, JSON-constrained: {constrained['tokens_per_s']:.0f} tok/s vs {plain['tokens_per_s']:.0f} "
          f"plain ({constrained['tokens_per_s'] / plain['tokens_per_s']:.2f}x), "
          f"{constrained['valid_json']}/16 valid JSON ({constrained['finished']}/16 finished), TTFT {constrained['ttft_ms_median']:.1f} ms")

    results = {
        "model": generator.model_id if args.model else {"kind": "random Llama", **MODEL}, "device": args.device,
        "dtype": str(dtype).removeprefix("torch."), "threads": args.threads, "new_tokens": args.new_tokens, "warmup_s": warmup_s,
        "concurrency": rows, "constrained_json_16": constrained, "plain_16": plain,
    }
    out = Path(__file__).resolve().parent / "results" / "textgen.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
