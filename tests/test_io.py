"""The GEOS GeoJSON writer of :mod:`autocity_gis._io`, read back with json."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from payloads import ALL
from shapely.geometry import MultiPolygon, Polygon

from autocity_gis._io import write_rfc7946


def _signed_area(ring: list[list[float]]) -> float:
    # Shoelace formula: positive when the ring runs counter-clockwise.
    xy = np.asarray(ring)
    return float(np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1]) / 2)


def test_geojson_is_rfc7946_and_carries_values_and_text_as_data(tmp_path: Path) -> None:
    clockwise = Polygon(
        [(125.0, 44.0), (125.0, 44.1), (125.1, 44.1), (125.1, 44.0)],
        holes=[[(125.02, 44.02), (125.08, 44.02), (125.08, 44.08), (125.02, 44.08)]],
    )
    frame = gpd.GeoDataFrame(
        {
            "name": [ALL, "plain", None],
            "count": np.array([1, 2, 3], dtype=np.int64),
            "ok": [True, False, True],
            "km2": [1.23456789012345, float("nan"), float("inf")],
            "when": pd.to_datetime(["2026-01-02", None, "2026-03-04"]),
        },
        geometry=[clockwise, MultiPolygon([clockwise]), None],
        crs="EPSG:4326",
    )
    path = write_rfc7946(frame, tmp_path / "layer.geojson")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection" and data["name"] == "layer"
    first, second, third = data["features"]
    assert first["properties"] == {
        "name": ALL, "count": 1, "ok": True, "km2": 1.23456789012345, "when": "2026-01-02T00:00:00",
    }
    assert second["properties"]["km2"] is None and second["properties"]["when"] is None
    assert third["properties"]["km2"] is None and third["geometry"] is None
    exterior, hole = first["geometry"]["coordinates"]
    assert _signed_area(exterior) > 0 > _signed_area(hole)  # right-hand rule
    assert second["geometry"]["type"] == "MultiPolygon"


def test_geojson_reprojects_and_rounds_to_the_precision(tmp_path: Path) -> None:
    square = Polygon([(0, 0), (1000, 0), (1000, 1000), (0, 1000)])
    frame = gpd.GeoDataFrame({"id": ["a"]}, geometry=[square], crs="EPSG:4551")
    path = write_rfc7946(frame, tmp_path / "gk.geojson", precision=5)
    ring = json.loads(path.read_text(encoding="utf-8"))["features"][0]["geometry"]["coordinates"][0]
    expected = frame.to_crs(4326).geometry.iloc[0].exterior.coords[0]
    assert min(abs(x - expected[0]) + abs(y - expected[1]) for x, y in ring) < 2e-5
    assert all(round(v, 5) == v for point in ring for v in point)
