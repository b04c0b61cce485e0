"""Textures benchmark: the server against the bare pipeline, batching, cancel, procedural sets and seams.

Every figure is a ratio or a count measured inside this one run, so a busy machine moves the
absolute times but not the comparisons.

    python bench/textures.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import grpc
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "server"))

from worldsmith._proto.worldsmith.v1 import texture_pb2, texture_pb2_grpc  # noqa: E402
from worldsmith.api.adapter import ServiceAdapter  # noqa: E402
from worldsmith.api.auth import Authenticator  # noqa: E402
from worldsmith.config import AuthConfig, TexturesConfig  # noqa: E402
from worldsmith.runtime import diffusion, metrics  # noqa: E402
from worldsmith.runtime.engine import FunctionEngine  # noqa: E402
from worldsmith.runtime.tiny.diffusion import make  # noqa: E402
from worldsmith.textures import pipeline, procedural  # noqa: E402
from worldsmith.textures.cache import TextureCache  # noqa: E402
from worldsmith.textures.presets import PRESETS  # noqa: E402
from worldsmith.textures.request import plan  # noqa: E402
from worldsmith.textures.recipe import variation_recipe  # noqa: E402
from worldsmith.textures.seams import seam_score  # noqa: E402
from worldsmith.textures.service import TextureService  # noqa: E402

MODEL = "tiny"
ALL_MAPS = [value for value in texture_pb2.TextureMap.values() if value]
RESULTS = Path(__file__).resolve().parent / "results" / "textures.json"


async def main(quick: bool) -> dict:
    rounds = 3 if quick else 7
    workdir = Path(tempfile.mkdtemp(prefix="bench-textures-"))
    make(workdir / "tiny-sd")
    engine = diffusion.load(str(workdir / "tiny-sd"), "main", "cpu", torch.float32)
    engine.warmup()
    await engine.start()
    cpu = FunctionEngine()
    await cpu.start()
    settings = TexturesConfig(models=[MODEL], max_size=2048, max_steps=100)
    service = TextureService(settings, {MODEL: lambda: engine}, cpu, TextureCache(workdir / "data"))
    server = grpc.aio.server()
    descriptor = texture_pb2.DESCRIPTOR.services_by_name["TextureService"]
    server.add_generic_rpc_handlers([ServiceAdapter(descriptor, service, Authenticator(AuthConfig(enabled=False))).generic_handler()])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    results: dict = {"machine": {"cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)}}
    seeds = iter(range(1000, 10**6))  # every request new, so nothing is answered from the cache

    def request(steps: int, **fields) -> texture_pb2.GenerateTextureRequest:
        return texture_pb2.GenerateTextureRequest(prompt="mossy cobblestone", width=64, height=64, steps=steps,
                                                  seed=next(seeds), model=MODEL, **fields)

    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = texture_pb2_grpc.TextureServiceStub(channel)

        async def through_server(steps: int, **fields) -> None:
            async for _ in stub.GenerateTexture(request(steps, **fields)):
                pass

        # 1. One request end to end through gRPC against the same resident pipeline called directly.
        steps = 20

        def direct() -> None:
            engine.text2img("mossy cobblestone", width=64, height=64, num_inference_steps=steps,
                            guidance_scale=engine.default_guidance, output_type="np",
                            generator=torch.Generator().manual_seed(next(seeds)))

        direct_times, server_times = [], []
        for _ in range(rounds):  # interleaved, so load changes hit both alike
            direct_times.append(_timed(direct))
            started = time.perf_counter()
            await through_server(steps)
            server_times.append(time.perf_counter() - started)
        direct_s, server_s = statistics.median(direct_times), statistics.median(server_times)
        results["server_vs_direct"] = {"steps": steps, "size": 64, "direct_s": direct_s, "server_s": server_s,
                                       "ratio": direct_s / server_s, "target": 0.9}

        # 2. Four compatible requests at once (one batched pipeline call) against four in a row.
        sequential, concurrent = [], []
        for _ in range(max(2, rounds // 2)):
            started = time.perf_counter()
            for _ in range(4):
                await through_server(steps)
            sequential.append(time.perf_counter() - started)
            started = time.perf_counter()
            await asyncio.gather(*(through_server(steps) for _ in range(4)))
            concurrent.append(time.perf_counter() - started)
        results["batched_vs_sequential"] = {
            "requests": 4, "sequential_s": statistics.median(sequential), "concurrent_s": statistics.median(concurrent),
            "throughput_ratio": statistics.median(sequential) / statistics.median(concurrent), "target": 1.5,
        }

        # 3. Steps the model runs after a client cancels.
        counter = metrics.DIFFUSION_STEPS.labels(engine.name)
        after_cancel = []
        for _ in range(5):
            call = stub.GenerateTexture(request(60))
            async for event in call:
                if event.HasField("progress") and event.progress.step >= 5:
                    call.cancel()
                    at_cancel = counter._value.get()
                    break
            await asyncio.sleep(0.5)
            after_cancel.append(counter._value.get() - at_cancel)
        results["steps_after_cancel"] = {"runs": len(after_cancel), "max": max(after_cancel), "mean": statistics.mean(after_cancel),
                                         "target": "<= 1"}

        # 4. Tiny diffusion seams, tiled against untiled (albedo; worst axis for tiled, best for untiled).
        tiled, untiled = [], []
        for _ in range(rounds):
            for tiling, scores in ((texture_pb2.TILING_BOTH, tiled), (texture_pb2.TILING_NONE, untiled)):
                async for event in stub.GenerateTexture(request(4, tiling=tiling)):
                    if event.HasField("result"):
                        seam = event.result.variations[0].images[0].seam
                        scores.append(max(seam.x, seam.y) if tiling == texture_pb2.TILING_BOTH else min(seam.x, seam.y))
        results["diffusion_seams"] = {"tiled_worst": max(tiled), "tiled_median": statistics.median(tiled),
                                      "untiled_best": min(untiled), "untiled_median": statistics.median(untiled)}
    await server.stop(0)

    # 5. Procedural: a 1024x1024 set of all seven maps (paint, derive, measure, encode), per preset.
    per_preset = {}
    for name in PRESETS:
        request_1024 = texture_pb2.GenerateTextureRequest(prompt=name, preset=name, width=1024, height=1024, seed=7,
                                                          model="procedural", maps=ALL_MAPS)
        texture = plan(request_1024, settings, "procedural")
        recipe = variation_recipe(texture, 0, "", "", procedural.VERSION)

        def one_set() -> None:
            surface = procedural.render(texture.preset, texture.parameters, 1024, 1024, True, True, texture.seed)
            pipeline.finish(texture, surface, recipe)

        one_set()  # warm caches and imports
        per_preset[name] = statistics.median(_timed(one_set) for _ in range(max(2, rounds // 2)))
    results["procedural_1024_all_maps_s"] = {
        "per_preset": per_preset, "median": statistics.median(per_preset.values()), "worst": max(per_preset.values()),
        "target": 0.5,
    }

    # 6. Procedural seams at 512, tiled against untiled albedo.
    seams = {}
    for name, preset in PRESETS.items():
        tiled_surface = procedural.render(name, preset.defaults(), 512, 512, True, True, 3)
        untiled_surface = procedural.render(name, preset.defaults(), 512, 512, False, False, 3)
        seams[name] = {"tiled": max(seam_score(tiled_surface.albedo)), "untiled": min(seam_score(untiled_surface.albedo))}
    results["procedural_seams_512"] = seams

    await engine.stop()
    await cpu.stop()
    return results


def _timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def report(results: dict) -> None:
    rows = [
        ("tiny diffusion: server / direct (64 px, 20 steps)", f"{results['server_vs_direct']['ratio']:.2f}", ">= 0.9",
         f"{results['server_vs_direct']['direct_s'] * 1000:.0f} ms direct, {results['server_vs_direct']['server_s'] * 1000:.0f} ms via gRPC"),
        ("tiny diffusion: 4 concurrent / 4 sequential throughput", f"{results['batched_vs_sequential']['throughput_ratio']:.2f}x", ">= 1.5x",
         f"{results['batched_vs_sequential']['sequential_s']:.2f} s vs {results['batched_vs_sequential']['concurrent_s']:.2f} s"),
        ("tiny diffusion: steps run after a cancel (max of 5)", f"{results['steps_after_cancel']['max']:.0f}", "<= 1", ""),
        ("tiny diffusion: seam tiled worst / untiled best", f"{results['diffusion_seams']['tiled_worst']:.2f} / {results['diffusion_seams']['untiled_best']:.2f}",
         "~1 / >2", f"medians {results['diffusion_seams']['tiled_median']:.2f} / {results['diffusion_seams']['untiled_median']:.2f}"),
        ("procedural: 1024 px set of 7 maps, median preset", f"{results['procedural_1024_all_maps_s']['median']:.3f} s", "< 0.5 s",
         f"worst {results['procedural_1024_all_maps_s']['worst']:.3f} s"),
    ]
    width = max(len(row[0]) for row in rows)
    print(f"{'measure':<{width}}  {'value':>12}  {'target':>8}  note")
    for measure, value, target, note in rows:
        print(f"{measure:<{width}}  {value:>12}  {target:>8}  {note}")
    print("\nprocedural 1024 px, seconds per preset:", ", ".join(f"{k} {v:.3f}" for k, v in results["procedural_1024_all_maps_s"]["per_preset"].items()))
    print("procedural albedo seam at 512 px, tiled / untiled:",
          ", ".join(f"{k} {v['tiled']:.2f}/{v['untiled']:.2f}" for k, v in results["procedural_seams_512"].items()))
    print(f"machine: {results['machine']['cpus']} CPUs, 1-minute load {results['machine']['load_average_1m']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    arguments = parser.parse_args()
    measured = asyncio.run(main(arguments.quick))
    report(measured)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(measured, indent=2, sort_keys=True) + "\n")
