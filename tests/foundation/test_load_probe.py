"""The load probe (`bench/load.py`) in small: a short mixed load on a live server ends with no INTERNAL or UNKNOWN,
every lane served, and the report written."""

from __future__ import annotations

import json
import subprocess
import sys

from harness import REPO


def test_a_short_mixed_load_serves_every_lane_without_internal_errors(tmp_path):
    output = tmp_path / "load.json"
    result = subprocess.run([sys.executable, str(REPO / "bench" / "load.py"), "--rounds", "2", "--streams", "24",
                             "--texture-size", "64", "--call-timeout", "30", "--output", str(output)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(output.read_text())
    codes = {key.split("/")[1] for key in report["outcomes"]}
    assert not codes & {"INTERNAL", "UNKNOWN"}, report["outcomes"]
    assert report["every_lane_served"], report["lanes_served"]
    assert len(report["rss_bytes_per_round"]) == 2
    assert sum(report["outcomes"].values()) == 2 * 24
