"""Returning freed memory to the operating system (glibc's malloc_trim)."""

from __future__ import annotations

import sys

import numpy as np

from autocity_gis._memory import give_back


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_give_back_returns_freed_small_blocks_to_the_system() -> None:
    # Many small blocks (below glibc's mmap threshold) freed leave the heap resident ...
    blocks = [np.ones(1000) for _ in range(60_000)]  # ~480 MB in 8 kB blocks
    keep = blocks[-1]  # the heap's top stays in use, so only a trim can hand the rest back
    del blocks
    before = _rss_mb()
    returned = give_back()
    after = _rss_mb()
    if sys.platform.startswith("linux") and returned:
        assert after < before - 200  # ... until they are given back
    assert keep.sum() == 1000.0
