"""The contract: buf lint passes and the checked-in Python stubs match the protos."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

from harness import REPO, TOOLS_BIN


def test_buf_lint_passes():
    result = subprocess.run([str(TOOLS_BIN / "buf"), "lint"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_checked_in_python_stubs_are_fresh(tmp_path):
    subprocess.run(["make", "-s", "proto", f"PROTO_OUT={tmp_path}", f"PY={sys.executable}", "STAMP="],
                   cwd=REPO, check=True, capture_output=True, timeout=120)
    fresh = tmp_path / "worldsmith" / "v1"
    checked_in = REPO / "server" / "worldsmith" / "_proto" / "worldsmith" / "v1"
    names = sorted(p.name for p in fresh.iterdir() if p.suffix in (".py", ".pyi"))
    assert names == sorted(p.name for p in checked_in.iterdir() if p.suffix in (".py", ".pyi"))
    _, mismatch, errors = filecmp.cmpfiles(fresh, checked_in, names, shallow=False)
    assert not mismatch and not errors, f"stale stubs {mismatch or errors}: run `make proto`"
