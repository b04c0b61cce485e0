"""The server as a process: start-up refusals, SIGTERM shutdown."""

from __future__ import annotations

import signal
import subprocess
import sys

from harness import REPO, ServerProcess


def test_auth_on_without_keys_refuses_to_start_and_says_how_to_fix_it(tmp_path):
    result = subprocess.run([sys.executable, "-m", "worldsmith.cli", "serve", "--port", "0", "--data-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(REPO / "server"), "PATH": ""})
    assert result.returncode == 2
    assert "WORLDSMITH_API_KEYS" in result.stderr


def test_sigterm_stops_the_server_cleanly(tmp_path):
    server = ServerProcess(["--data-dir", str(tmp_path)]).start()
    try:
        server.signal(signal.SIGTERM)
        code, output = server.wait(timeout=30)
    finally:
        server.kill()
    assert code == 0, output
    assert "stopped" in output
