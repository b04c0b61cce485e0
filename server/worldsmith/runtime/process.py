"""This process's resident memory, as the operating system counts it."""

from __future__ import annotations

import os


def resident_bytes() -> int:
    """Resident set size in bytes (0 where /proc is not available)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0
