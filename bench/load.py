"""Mixed load against a live `worldsmith serve`: outcomes, time to first event per kind and lane, server RSS per round.

    python bench/load.py                           # 10 rounds of 200 streams, the model-free test config
    python bench/load.py --rounds 3 --streams 50   # a quick check
    python bench/load.py --tiny                    # tiny random models: dialogue and diffusion do model work
    python bench/load.py --config server/worldsmith/defaults.toml   # with the embedded default models

Each round sends `--streams` calls, cycling through the kinds (dialogue Say, GenerateTexture, GenerateScene,
CreateAvatar) and the lanes (realtime, interactive, batch), at most `--concurrency` in flight, each with a
deadline; a round ends when every call has or after `--round-timeout`. Every call asks for new content (a
fresh seed), as a game and its editors do. Reported:
  - outcomes by kind and status code;
  - per kind and lane, p50/p99 of the time to the first event (the server's `queued`) and to the first
    event after it (work started: progress, text or the result);
  - the server's resident memory after each round, and whether it settled: under 5% growth from the end
    of the second round (warm-up) to the end of the last;
  - whether every lane was served (at least one call that ended OK).
The load starts once every configured model is ready or has failed. Without a text model (the default
config) dialogue answers UNAVAILABLE at once; its row still shows that. Dialogue's Say streams no `queued`
event, so its first event is its first text.
Prints a table and writes bench/results/load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import grpc
import psutil
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from worldsmith._proto.worldsmith.v1 import admin_pb2, admin_pb2_grpc, avatar_pb2, avatar_pb2_grpc, common_pb2  # noqa: E402
from worldsmith._proto.worldsmith.v1 import dialogue_pb2, dialogue_pb2_grpc, scene_pb2, scene_pb2_grpc  # noqa: E402
from worldsmith._proto.worldsmith.v1 import texture_pb2, texture_pb2_grpc  # noqa: E402

from _processes import stop  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "load.json"
MODEL_FREE_CONFIG = ROOT / "tests" / "model_free.toml"
KEY = "bench-load-admin-key-0001"
METADATA = (("authorization", f"Bearer {KEY}"),)
KINDS = ("dialogue", "textures", "scenes", "avatars")
LANES = {"realtime": common_pb2.LANE_REALTIME, "interactive": common_pb2.LANE_INTERACTIVE, "batch": common_pb2.LANE_BATCH}
CHARACTER = dialogue_pb2.Character(id="load-innkeeper", name="Mol", role="the innkeeper of a small village",
                                   personality_traits=["warm"], speaking_style="Friendly and brief.")
SETTLED_GROWTH = 0.05
CHANNEL_OPTIONS = [("grpc.max_receive_message_length", 64 * 1024 * 1024)]


@dataclass
class Outcome:
    kind: str
    lane: str
    code: str = "OK"
    first_event_s: float | None = None
    started_s: float | None = None


@dataclass
class Round:
    number: int
    seconds: float
    rss_bytes: int
    outcomes: list[Outcome] = field(default_factory=list)


# -- the server ---------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ChildServer:
    """`worldsmith serve` on a free loopback port with its own data dir and an admin key."""

    def __init__(self, config: Path, workdir: Path):
        self.port = free_port()
        env = {**os.environ, "WORLDSMITH_API_KEYS": f"admin:{KEY}", "PYTHONPATH": str(ROOT / "server")}
        env.pop("WORLDSMITH_CONFIG", None)
        self.log = open(workdir / "server.log", "w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "worldsmith.cli", "serve", "--config", str(config), "--host", "127.0.0.1",
             "--port", str(self.port), "--data-dir", str(workdir / "data"), "--log-level", "WARNING"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        with grpc.insecure_channel(self.address) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    self.log.seek(0)
                    raise SystemExit(f"the server exited with {self.process.returncode}:\n{self.log.read()[-3000:]}")
                try:
                    health.Check(health_pb2.HealthCheckRequest(service="worldsmith.v1.AdminService"), timeout=2)
                    if self.models_settled(channel):
                        return
                except grpc.RpcError:
                    pass
                time.sleep(0.3)
        raise SystemExit("the server's models did not finish loading in time")

    @staticmethod
    def models_settled(channel: grpc.Channel) -> bool:
        """Every configured model is ready or has failed (a load under way would turn early calls away)."""
        models = admin_pb2_grpc.AdminServiceStub(channel).ListModels(admin_pb2.ListModelsRequest(), metadata=METADATA, timeout=2)
        return all(model.state in (admin_pb2.MODEL_STATE_READY, admin_pb2.MODEL_STATE_FAILED) for model in models.models)

    def rss_bytes(self) -> int:
        return psutil.Process(self.process.pid).memory_info().rss

    def stop(self) -> None:
        stop(self.process)
        self.log.close()


# -- the calls ----------------------------------------------------------------------------------------------------
class Client:
    """One stub per service on a shared channel; `call(kind, lane, seed)` opens that kind's stream."""

    def __init__(self, channel: grpc.aio.Channel, texture_size: int):
        self.texture_size = texture_size
        self.dialogue = dialogue_pb2_grpc.DialogueServiceStub(channel)
        self.textures = texture_pb2_grpc.TextureServiceStub(channel)
        self.scenes = scene_pb2_grpc.SceneServiceStub(channel)
        self.avatars = avatar_pb2_grpc.AvatarServiceStub(channel)

    async def prepare(self) -> None:
        """The character the dialogue calls talk to (the store works without a text model)."""
        await self.dialogue.UpsertCharacter(dialogue_pb2.UpsertCharacterRequest(character=CHARACTER), metadata=METADATA)

    async def new_session(self) -> str:
        """Each dialogue call opens its own conversation, as many NPCs in a game do."""
        request = dialogue_pb2.CreateSessionRequest(character_ids=[CHARACTER.id])
        return (await self.dialogue.CreateSession(request, metadata=METADATA)).session.id

    def call(self, kind: str, lane: str, seed: int, timeout: float, session_id: str = ""):
        lane_value = LANES[lane]
        if kind == "dialogue":
            request = dialogue_pb2.SayRequest(session_id=session_id, utterance="Is there a room free tonight?",
                                              options=dialogue_pb2.GenerationOptions(seed=seed, max_new_tokens=16),
                                              lane=lane_value)
            return self.dialogue.Say(request, metadata=METADATA, timeout=timeout)
        if kind == "textures":
            request = texture_pb2.GenerateTextureRequest(prompt="mossy cobblestone", width=self.texture_size,
                                                         height=self.texture_size, seed=seed,
                                                         lane=lane_value)
            return self.textures.GenerateTexture(request, metadata=METADATA, timeout=timeout)
        if kind == "scenes":
            request = scene_pb2.GenerateSceneRequest(
                kind=scene_pb2.SCENE_KIND_INTERIOR, prompt="a tavern", seed=seed, bounds=common_pb2.Vec3(x=10, y=3, z=8),
                interior=scene_pb2.InteriorParameters(doors=1, windows=2, object_count=20), lane=lane_value)
            return self.scenes.GenerateScene(request, metadata=METADATA, timeout=timeout)
        request = avatar_pb2.CreateAvatarRequest(description="a tall elf ranger", seed=seed, lods=[1.0], texture_size=256,
                                                 lane=lane_value)
        return self.avatars.CreateAvatar(request, metadata=METADATA, timeout=timeout)


async def timed_call(client: Client, kind: str, lane: str, seed: int, timeout: float) -> Outcome:
    """Open one stream, read it to its end, and note when the first and the first working event came."""
    outcome = Outcome(kind, lane)
    try:
        session_id = await client.new_session() if kind == "dialogue" else ""
        started = time.perf_counter()
        async for response in client.call(kind, lane, seed, timeout, session_id):
            elapsed = time.perf_counter() - started
            if outcome.first_event_s is None:
                outcome.first_event_s = elapsed
            if outcome.started_s is None and response.WhichOneof("event") != "queued":
                outcome.started_s = elapsed
    except grpc.aio.AioRpcError as error:
        outcome.code = error.code().name
    return outcome


async def run_round(client: Client, number: int, streams: int, concurrency: int, call_timeout: float,
                    round_timeout: float, server: ChildServer) -> Round:
    slots = asyncio.Semaphore(concurrency)
    plan = call_plan(streams)

    async def bounded(kind: str, lane: str, seed: int) -> Outcome:
        async with slots:
            return await timed_call(client, kind, lane, seed, call_timeout)

    started = time.perf_counter()
    tasks = [asyncio.create_task(bounded(kind, lane, number * 100_000 + index)) for index, (kind, lane) in enumerate(plan)]
    done, pending = await asyncio.wait(tasks, timeout=round_timeout)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    outcomes = [task.result() for task in done]
    outcomes += [Outcome(kind, lane, "ROUND_TIMEOUT") for task, (kind, lane) in zip(tasks, plan) if task in pending]
    await asyncio.sleep(1.0)  # let the server finish its cancelled work before reading its memory
    return Round(number, time.perf_counter() - started, server.rss_bytes(), outcomes)


def call_plan(streams: int) -> list[tuple[str, str]]:
    """Kinds and lanes in turn: every kind meets every lane once in twelve calls."""
    return list(itertools.islice(zip(itertools.cycle(KINDS), itertools.cycle(LANES)), streams))


# -- the report ---------------------------------------------------------------------------------------------------
def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def latency_rows(outcomes: list[Outcome]) -> list[dict]:
    rows = []
    for kind, lane in itertools.product(KINDS, LANES):
        mine = [o for o in outcomes if o.kind == kind and o.lane == lane]
        firsts = [o.first_event_s for o in mine if o.first_event_s is not None]
        starts = [o.started_s for o in mine if o.started_s is not None]
        rows.append({"kind": kind, "lane": lane, "calls": len(mine), "ok": sum(o.code == "OK" for o in mine),
                     "first_event_p50_s": percentile(firsts, 0.5), "first_event_p99_s": percentile(firsts, 0.99),
                     "started_p50_s": percentile(starts, 0.5), "started_p99_s": percentile(starts, 0.99)})
    return rows


def rss_settled(rss: list[int]) -> tuple[bool | None, float | None]:
    """Growth from the end of the second round to the end of the last, and whether it is under 5%."""
    if len(rss) < 3:
        return None, None
    growth = (rss[-1] - rss[1]) / rss[1]
    return growth < SETTLED_GROWTH, growth


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def print_report(baseline: int, rounds: list[Round], outcomes: list[Outcome], latency: list[dict],
                 lanes_served: dict[str, int], settled: bool | None, growth: float | None) -> None:
    codes = sorted({o.code for o in outcomes})
    counts = Counter((o.kind, o.code) for o in outcomes)
    print(f"{'kind':10}" + "".join(f"{code:>20}" for code in codes))
    for kind in KINDS:
        print(f"{kind:10}" + "".join(f"{counts[kind, code]:>20}" for code in codes))
    print()
    header = f"{'kind':10} {'lane':12} {'calls':>6} {'ok':>5} {'first p50':>10} {'first p99':>10} {'start p50':>10} {'start p99':>10}"
    print(header)
    print("-" * len(header))
    for row in latency:
        print(f"{row['kind']:10} {row['lane']:12} {row['calls']:>6} {row['ok']:>5} {seconds(row['first_event_p50_s']):>10} "
              f"{seconds(row['first_event_p99_s']):>10} {seconds(row['started_p50_s']):>10} {seconds(row['started_p99_s']):>10}")
    print()
    print("round  seconds  server RSS MB")
    print(f"{'start':>5} {'':>8} {baseline / 2**20:>14.1f}")
    for round_ in rounds:
        print(f"{round_.number:>5} {round_.seconds:>8.1f} {round_.rss_bytes / 2**20:>14.1f}")
    verdict = "n/a (needs 3 rounds)" if settled is None else f"{'yes' if settled else 'NO'} ({growth:+.1%} after round 2)"
    print(f"RSS settled (growth under {SETTLED_GROWTH:.0%} after the second round): {verdict}")
    served = all(lanes_served.values())
    print(f"every lane served: {'yes' if served else 'NO'} ({', '.join(f'{lane} {n} ok' for lane, n in lanes_served.items())})")


async def run(args: argparse.Namespace, server: ChildServer) -> dict:
    rounds: list[Round] = []
    async with grpc.aio.insecure_channel(server.address, options=CHANNEL_OPTIONS) as channel:
        client = Client(channel, args.texture_size)
        await client.prepare()
        baseline = server.rss_bytes()
        for number in range(1, args.rounds + 1):
            round_ = await run_round(client, number, args.streams, args.concurrency, args.call_timeout,
                                     args.round_timeout, server)
            rounds.append(round_)
            print(f"round {number}: {len(round_.outcomes)} calls in {round_.seconds:.1f} s, "
                  f"server RSS {round_.rss_bytes / 2**20:.1f} MB", flush=True)
    outcomes = [o for round_ in rounds for o in round_.outcomes]
    latency = latency_rows(outcomes)
    lanes_served = {lane: sum(o.code == "OK" for o in outcomes if o.lane == lane) for lane in LANES}
    settled, growth = rss_settled([round_.rss_bytes for round_ in rounds])
    print()
    print_report(baseline, rounds, outcomes, latency, lanes_served, settled, growth)
    return {
        "config": "tiny random models" if args.tiny else str(args.config), "texture_size": args.texture_size, "rounds": args.rounds, "streams_per_round": args.streams, "concurrency": args.concurrency,
        "rss_before_load_bytes": baseline, "rss_bytes_per_round": [round_.rss_bytes for round_ in rounds],
        "round_seconds": [round_.seconds for round_ in rounds],
        "outcomes": {f"{kind}/{code}": n for (kind, code), n in sorted(Counter((o.kind, o.code) for o in outcomes).items())},
        "latency": latency, "lanes_served": lanes_served, "every_lane_served": all(lanes_served.values()),
        "rss_growth_after_round_2": growth, "rss_settled": settled,
        "calls": [asdict(o) | {"round": round_.number} for round_ in rounds for o in round_.outcomes],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--streams", type=int, default=200, help="calls per round, spread over the kinds and lanes")
    parser.add_argument("--concurrency", type=int, default=32, help="calls in flight at once")
    parser.add_argument("--call-timeout", type=float, default=60.0, help="each call's deadline in seconds")
    parser.add_argument("--round-timeout", type=float, default=300.0, help="a round's calls still open then are cancelled")
    parser.add_argument("--texture-size", type=int, default=512, help="width and height of the textures asked for")
    parser.add_argument("--config", type=Path, default=MODEL_FREE_CONFIG, help="the server's config (default: no models)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument("--tiny", action="store_true",
                        help="serve tiny random models written for the run (every kind does model work)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="worldsmith-load-") as workdir:
        config = args.config.resolve()
        if args.tiny:
            from worldsmith.runtime.tiny import make_all

            make_all(Path(workdir) / "tiny")
            config = Path(workdir) / "tiny" / "worldsmith.toml"
        server = ChildServer(config, Path(workdir))
        try:
            server.wait_ready()
            results = asyncio.run(run(args, server))
        finally:
            server.stop()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
