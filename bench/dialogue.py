"""NPC dialogue through the gRPC server against the same model called in-process.

    python bench/dialogue.py                 # a random chat model (MODEL below), CPU, 1 torch thread

Measures, in one run:
  1. one session: time to first token and tokens/s of Say turns through the server, against
     `model.generate` (with a streamer) on the same prompt, the same token counts and sampling;
  2. aggregate tokens/s of 1, 4 and 16 concurrent sessions through the server, against the
     same turns run one after another with `model.generate` (--repeats rounds, medians);
  3. cancel: the time from sending CancelTurn on a Converse stream to the turn's end, and the
     text deltas that still arrived after it.
The server runs in a child process (DialogueService behind grpc.aio and the generic adapter,
on the continuous-batching text generator), so client and baseline never share its event loop.
Prints a table and writes bench/results/dialogue.json. Compare ratios within one run.

The model: a random Llama with a small chat model's proportions (MODEL). With the tests' tiny model
(hidden 64, 2 layers) a step is mostly per-step Python in either path, which says little about a real
deployment; here the forward pass sets the pace, as it does with a real model, and decoding one stream
leaves most of the arithmetic units idle, which is what continuous batching recovers.

Dtype: server and baseline run the model in the dtype the server picks for a text model on this CPU (--dtype
auto): bf16 where the CPU has native bf16 dot products, else fp32. Pass --dtype float32 to compare in fp32.

Threads: server and baseline run with the same number of torch intra-op threads (--threads, default 1).
On a 2-core machine that other work shares, 2 OpenMP threads spin at every barrier while one of them is
descheduled: `model.generate` on MODEL ran at 65 tok/s with 1 thread and 6 tok/s with 2 (64 tok/s with
OMP_WAIT_POLICY=PASSIVE: the second core is not free). On an idle machine, pass --threads 2.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import grpc
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from transformers import AutoModelForCausalLM, TextIteratorStreamer  # noqa: E402

from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d  # noqa: E402
from worldsmith._proto.worldsmith.v1 import dialogue_pb2_grpc  # noqa: E402
from worldsmith.config import DialogueConfig  # noqa: E402
from worldsmith.dialogue.prompt import PLAYER, TurnInput  # noqa: E402
from worldsmith.dialogue.service import DialogueService  # noqa: E402
from worldsmith.runtime import devices, heap, metrics  # noqa: E402
from worldsmith.runtime.context import CallContext, Lane  # noqa: E402
from worldsmith.runtime.text_generator import load  # noqa: E402
from worldsmith.runtime.tiny import text as tiny_text  # noqa: E402
from worldsmith.store import Store  # noqa: E402

CARD = d.Character(id="innkeeper", name="Mol", role="the innkeeper of a small village",
                   personality_traits=["warm", "curious"], speaking_style="Friendly and brief.",
                   content_rating=d.CONTENT_RATING_MATURE)
UTTERANCE = "Good evening! Is there a room free for the night?"
SETTINGS = DialogueConfig(max_new_tokens=128, max_batch_size=16)
# A random Llama with the proportions of small chat models (head size 64, 4 query heads per key head, MLP 4x wide):
# 25M parameters, big enough that the forward pass, not per-step Python, sets the pace of `model.generate`.
MODEL = dict(hidden_size=512, num_layers=6, num_heads=8, num_kv_heads=2, intermediate_size=2048)
FIELDS = {"session_id": "session_id", "character_id": "character_id", "input": "utterance"}


# -- the server (child process) ---------------------------------------------------------------------
async def serve(model_dir: str, data_dir: str, threads: int, dtype: torch.dtype) -> None:
    from worldsmith.api.adapter import ServiceAdapter
    from worldsmith.api.auth import Authenticator
    from worldsmith.config import AuthConfig

    torch.set_num_threads(threads)
    generator = load(model_dir, dtype=dtype, max_batch_size=SETTINGS.max_batch_size)
    generator.warmup()
    await generator.start()
    heap.freeze_live_objects()  # as the server's model registry does once models are loaded
    service = DialogueService(SETTINGS, Store.open(data_dir), lambda: generator)
    server = grpc.aio.server()
    adapter = ServiceAdapter(d.DESCRIPTOR.services_by_name["DialogueService"], service, Authenticator(AuthConfig(enabled=False)))
    server.add_generic_rpc_handlers([adapter.generic_handler()])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    print(f"READY {port}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes stdin
    await server.stop(0)
    await generator.stop()
    heap.thaw()
    samples = {sample.name: sample.value for sample in metrics.TOKENS_AFTER_CANCEL.collect()[0].samples}
    print(f"TOKENS_AFTER_CANCEL {samples['worldsmith_dialogue_tokens_after_cancel_sum']} "
          f"{samples['worldsmith_dialogue_tokens_after_cancel_count']}", flush=True)


# -- client side ----------------------------------------------------------------------------------------
async def new_session(stub) -> str:
    return (await stub.CreateSession(d.CreateSessionRequest(character_ids=[CARD.id]))).session.id


async def say_turn(stub, session_id: str, seed: int, max_new_tokens: int) -> dict:
    """One Say turn, timed from the client."""
    started = time.perf_counter()
    first = last = None
    completed = None
    deltas = 0
    async for response in stub.Say(d.SayRequest(session_id=session_id, utterance=UTTERANCE,
                                                options=d.GenerationOptions(seed=seed, max_new_tokens=max_new_tokens))):
        kind = response.WhichOneof("event")
        if kind == "text_delta":
            last = time.perf_counter()
            first = first or last
            deltas += 1
        elif kind == "turn_completed":
            completed = response.turn_completed
    ended = time.perf_counter()
    return {"seed": seed, "tokens": completed.completion_tokens, "prompt_tokens": completed.prompt_tokens,
            "ttft_s": first - started, "seconds": ended - started, "text_deltas": deltas,
            "decode_tokens_per_s": (completed.completion_tokens - 1) / max(last - first, 1e-9)}


async def cancel_turn(stub, seed: int) -> dict:
    session_id = await new_session(stub)
    outgoing: asyncio.Queue = asyncio.Queue()

    async def requests():
        while (message := await outgoing.get()) is not None:
            yield message

    call = stub.Converse(requests())
    outgoing.put_nowait(d.ConverseRequest(start=d.ConverseStart(
        session_id=session_id, options=d.GenerationOptions(seed=seed, max_new_tokens=SETTINGS.context_tokens // 2))))
    outgoing.put_nowait(d.ConverseRequest(utterance=d.PlayerUtterance(text=UTTERANCE)))
    deltas, cancelled_at, after_cancel, completed = 0, None, 0, None
    async for response in call:
        kind = response.WhichOneof("event")
        if kind == "text_delta":
            deltas += 1
            if cancelled_at is not None:
                after_cancel += 1
            elif deltas == 8:
                cancelled_at = time.perf_counter()
                outgoing.put_nowait(d.ConverseRequest(cancel=d.CancelTurn()))
        elif kind == "turn_completed":
            completed = response.turn_completed
            ended = time.perf_counter()
            break
    outgoing.put_nowait(None)
    async for _ in call:
        pass
    return {"cancel_to_end_ms": 1000 * (ended - cancelled_at), "deltas_after_cancel": after_cancel,
            "tokens": completed.completion_tokens, "reason": d.TurnEndReason.Name(completed.reason)}


async def measure(port: int, baseline, turns: int, concurrency: list[int], new_tokens: int, repeats: int) -> dict:
    """Server and in-process runs alternate, so load from elsewhere on the machine hits both alike."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
        await stub.UpsertCharacter(d.UpsertCharacterRequest(character=CARD))
        await say_turn(stub, await new_session(stub), seed=999, max_new_tokens=8)  # warm the path end to end
        baseline(8, 999)
        server, in_process = [], []
        for i in range(turns):
            server.append(await say_turn(stub, await new_session(stub), seed=1 + i, max_new_tokens=SETTINGS.max_new_tokens))
            in_process.append(baseline(server[-1]["tokens"], server[-1]["seed"]))
        assert server[0]["prompt_tokens"] == baseline.prompt_tokens, "the baseline prompt differs from the server's"
        batches = {n: [] for n in concurrency}
        for _, n in itertools.product(range(repeats), concurrency):
            # Sessions open before the round, as a game opens one when an NPC comes into play: the round times turns.
            sessions = await asyncio.gather(*(new_session(stub) for _ in range(n)))
            started = time.perf_counter()
            batch = await asyncio.gather(*(say_turn(stub, session_id, seed=100 + i, max_new_tokens=new_tokens)
                                           for i, session_id in enumerate(sessions)))
            server_seconds = time.perf_counter() - started
            started = time.perf_counter()
            for turn in batch:
                baseline(turn["tokens"], turn["seed"])
            batches[n].append({"turns": batch, "seconds": server_seconds,
                               "sequential_seconds": time.perf_counter() - started})
        cancels = [await cancel_turn(stub, seed=500 + i) for i in range(5)]
    return {"single": server, "in_process": in_process, "batches": batches, "cancels": cancels}


# -- in-process baseline ----------------------------------------------------------------------------------
def prompt_ids(generator, data_dir: Path) -> list[int]:
    """The prompt the server builds for a first turn, built here by the same code."""

    async def build():
        store = Store.open(data_dir)
        service = DialogueService(SETTINGS, store, lambda: generator)
        ctx = CallContext(lane=Lane.REALTIME)
        await service.UpsertCharacter(d.UpsertCharacterRequest(character=CARD), ctx)
        session = (await service.CreateSession(d.CreateSessionRequest(character_ids=[CARD.id]), ctx)).session
        sampling = service.director.sampling(d.GenerationOptions(seed=1), "options")
        turn = await service.director.prepare(session.id, "", [TurnInput(PLAYER, UTTERANCE)], sampling, FIELDS, ctx)
        store.close()
        return turn.plan.messages

    messages = asyncio.run(build())
    return generator.tokenizer.encode(generator.render_prompt(messages), add_special_tokens=False)


class Baseline:
    """`model.generate` on the server's prompt for exactly the server's token count, streamed so
    the first token is timed: the same model called in-process."""

    def __init__(self, model_dir: Path, dtype: torch.dtype, tokenizer, ids: list[int]):
        # Loaded on its own: transformers' stock attention, untouched by the server's batcher setup.
        self.model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype).eval()
        self.tokenizer = tokenizer
        self.inputs = torch.tensor([ids], device=self.model.device)
        self.prompt_tokens = len(ids)

    def __call__(self, tokens: int, seed: int) -> dict:
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True)
        torch.manual_seed(seed)
        kwargs = dict(max_new_tokens=tokens, min_new_tokens=tokens, do_sample=True, temperature=SETTINGS.temperature,
                      top_p=SETTINGS.top_p, pad_token_id=self.tokenizer.pad_token_id, streamer=streamer)
        started = time.perf_counter()
        worker = threading.Thread(target=lambda: self.model.generate(self.inputs, **kwargs))
        worker.start()
        first = last = None
        for _ in streamer:
            last = time.perf_counter()
            first = first or last
        worker.join()
        ended = time.perf_counter()
        return {"tokens": tokens, "ttft_s": first - started, "seconds": ended - started,
                "decode_tokens_per_s": (tokens - 1) / max(last - first, 1e-9)}


# -- report --------------------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", nargs=2, metavar=("MODEL_DIR", "DATA_DIR"), help=argparse.SUPPRESS)
    parser.add_argument("--turns", type=int, default=7, help="single-session turns to time")
    parser.add_argument("--new-tokens", type=int, default=64, help="tokens per turn in the concurrency runs")
    parser.add_argument("--repeats", type=int, default=5, help="rounds of each concurrency (medians are reported)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads, the same in server and baseline (see above)")
    parser.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16"],
                        help="the model's dtype in server and baseline; auto: what the server picks for this CPU")
    args = parser.parse_args()
    dtype = devices.pick_dtype("cpu", args.dtype, "text-generator")
    if args.serve:
        asyncio.run(serve(*args.serve, args.threads, dtype))
        return

    concurrency = [1, 4, 16]
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model_dir = tiny_text.make(tmp / "model", **MODEL)
        generator = load(str(model_dir), max_batch_size=1)  # builds the server's prompt; its model is not timed
        baseline = Baseline(model_dir, dtype, generator.tokenizer, prompt_ids(generator, tmp / "baseline-data"))
        # Without it, a full collection in this process (transformers and a model loaded: about 360 ms) can stall
        # the client mid-round or the baseline mid-turn.
        heap.freeze_live_objects()
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(model_dir), str(tmp / "server-data"), "--threads", str(args.threads), "--dtype", args.dtype],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            line = server.stdout.readline().split()
            if not line or line[0] != "READY":
                raise SystemExit("the benchmark server did not start")
            runs = asyncio.run(measure(int(line[1]), baseline, args.turns, concurrency, args.new_tokens, args.repeats))
            heap.thaw()
        finally:
            server.stdin.close()
            tail = server.stdout.read().split()
            server.wait(timeout=60)
    # The server's own count of tokens generated after each cancel reached the engine.
    tokens_after_cancel = float(tail[1]) / max(1.0, float(tail[2])) if tail[:1] == ["TOKENS_AFTER_CANCEL"] else None
    in_process = runs["in_process"]

    median = statistics.median
    single = {
        "server": {"ttft_ms": 1000 * median(t["ttft_s"] for t in runs["single"]),
                   "decode_tokens_per_s": median(t["decode_tokens_per_s"] for t in runs["single"]),
                   "tokens_per_s": sum(t["tokens"] for t in runs["single"]) / sum(t["seconds"] for t in runs["single"])},
        "in_process": {"ttft_ms": 1000 * median(t["ttft_s"] for t in in_process),
                       "decode_tokens_per_s": median(t["decode_tokens_per_s"] for t in in_process),
                       "tokens_per_s": sum(t["tokens"] for t in in_process) / sum(t["seconds"] for t in in_process)},
        "tokens": [t["tokens"] for t in runs["single"]],
    }
    # Each server turn is followed by its in-process twin with the same token count; the median of the pairs' time
    # ratios shrugs off a turn that other work on the machine slowed.
    single["rate_ratio"] = median(twin["seconds"] / turn["seconds"] for turn, twin in zip(runs["single"], in_process))
    concurrent = []
    for n in concurrency:
        rounds = []
        for run in runs["batches"][n]:
            tokens = sum(t["tokens"] for t in run["turns"])
            rounds.append({"tokens": tokens, "server_tokens_per_s": tokens / run["seconds"],
                           "sequential_generate_tokens_per_s": tokens / run["sequential_seconds"],
                           "ratio": run["sequential_seconds"] / run["seconds"],
                           "server_ttft_ms_median": 1000 * median(t["ttft_s"] for t in run["turns"]),
                           "text_deltas": sum(t["text_deltas"] for t in run["turns"])})
        row = {key: median(r[key] for r in rounds) for key in rounds[0]}  # medians over the repeats
        concurrent.append({"sessions": n, **row, "rounds": rounds})
    cancel = {"cancel_to_end_ms_median": median(c["cancel_to_end_ms"] for c in runs["cancels"]),
              "cancel_to_end_ms_max": max(c["cancel_to_end_ms"] for c in runs["cancels"]),
              "deltas_after_cancel_max": max(c["deltas_after_cancel"] for c in runs["cancels"]),
              "server_tokens_after_cancel_mean": tokens_after_cancel,
              "runs": runs["cancels"]}
    results = {"model": {"kind": "random Llama (runtime/tiny/text.py)", **MODEL}, "device": "cpu",
               "dtype": str(dtype).removeprefix("torch."), "threads": args.threads,
               "load_average": os.getloadavg(), "cpus": os.cpu_count(),
               "single_session": single, "concurrency": concurrent, "cancel": cancel,
               "targets": {"single_rate_ratio": 0.9, "sixteen_sessions_ratio": 6.0}}

    print(f"\nModel: {results['dtype']} on the CPU, {args.threads} torch thread(s)")
    print(f"\nOne session ({len(single['tokens'])} turns, {single['tokens']} tokens)")
    print(f"{'':22}{'TTFT ms':>10}{'decode tok/s':>14}{'turn tok/s':>12}")
    for name in ("server", "in_process"):
        row = single[name]
        print(f"{name:22}{row['ttft_ms']:>10.1f}{row['decode_tokens_per_s']:>14.1f}{row['tokens_per_s']:>12.1f}")
    print(f"server / in-process rate: {single['rate_ratio']:.2f} (median of the turns' ratios; target >= 0.9)")
    print(f"\n{'sessions':>8}{'tokens':>8}{'deltas':>8}{'server tok/s':>14}{'sequential tok/s':>18}{'ratio':>8}{'TTFT ms':>10}")
    for row in concurrent:
        print(f"{row['sessions']:>8}{row['tokens']:>8.0f}{row['text_deltas']:>8.0f}{row['server_tokens_per_s']:>14.1f}"
              f"{row['sequential_generate_tokens_per_s']:>18.1f}{row['ratio']:>8.2f}{row['server_ttft_ms_median']:>10.1f}")
    print(f"(medians of {args.repeats} rounds, each server round followed by its sequential run; "
          f"target at 16 sessions: ratio >= 6)")
    print(f"\nCancel -> turn end: median {cancel['cancel_to_end_ms_median']:.1f} ms, max {cancel['cancel_to_end_ms_max']:.1f} ms; "
          f"text deltas after the cancel: {cancel['deltas_after_cancel_max']}; "
          f"tokens generated after it (server count, mean): {tokens_after_cancel}")
    out = ROOT / "bench" / "results" / "dialogue.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
