"""Returning freed memory to the operating system (glibc's malloc_trim)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

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


def test_large_reads_hand_memory_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read of 1,000 features or more hands its freed buffers back; a small one does not
    spend the call."""
    import geopandas as gpd
    import shapely

    from autocity_gis import _gdal

    calls: list[int] = []
    monkeypatch.setattr(_gdal, "give_back", lambda: calls.append(1) or True)
    for count in (10, _gdal._LARGE_READ):
        cells = [shapely.box(125 + i / 1e3, 43.8, 125.001 + i / 1e3, 43.801) for i in range(count)]
        path = tmp_path / f"cells{count}.fgb"
        gpd.GeoDataFrame({"n": range(count)}, geometry=cells, crs="EPSG:4326").to_file(path)
        before = len(calls)
        raw = _gdal.read_file(path)
        assert len(raw.frame) == count
        assert len(calls) - before == (1 if count >= _gdal._LARGE_READ else 0)
