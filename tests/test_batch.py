"""Tests of autocity_gis.batch on a 2x2 grid of cells built in code."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj
import pytest
import shapely

from autocity_gis._errors import LayerError
from autocity_gis.batch import check_groups, compose_groups, read_features, write_features

GEOD = pyproj.Geod(ellps="WGS84")
STEP = 0.25


def cell(i: int, j: int) -> shapely.Polygon:
    return shapely.box(125.0 + i * STEP, 43.0 + j * STEP, 125.0 + (i + 1) * STEP,
                       43.0 + (j + 1) * STEP)


def geod_km2(geom: shapely.Geometry) -> float:
    """Independent truth: pyproj.Geod on the exterior ring (no holes in these fixtures)."""
    return abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(geom))[0]) / 1e6


@pytest.fixture
def grid() -> gpd.GeoDataFrame:
    # West column is group "a", east column group "b"; names in Chinese to test encoding.
    return gpd.GeoDataFrame(
        {"group": ["a", "a", "b", "b"], "name": ["西甲", "西乙", "东甲", "东乙"]},
        geometry=[cell(0, 0), cell(0, 1), cell(1, 0), cell(1, 1)],
        crs="EPSG:4326",
    )


def test_groups_are_coverage_unions_with_geodesic_areas(grid: gpd.GeoDataFrame) -> None:
    out = compose_groups(grid, "group", keep=["name"])
    assert out["group"].tolist() == ["a", "b"]
    assert out["method"].tolist() == ["coverage", "coverage"]
    assert out["units"].tolist() == [2, 2]
    assert out["name"].tolist() == ["西甲", "东甲"]
    for k, expected in enumerate([shapely.box(125.0, 43.0, 125.25, 43.5),
                                  shapely.box(125.25, 43.0, 125.5, 43.5)]):
        geom = out.geometry.iloc[k]
        assert geom.geom_type == "Polygon"
        assert shapely.equals(geom, expected)
        assert out["area_km2"].iloc[k] == pytest.approx(geod_km2(expected), rel=1e-8)


def test_non_coverage_group_falls_back_to_union(grid: gpd.GeoDataFrame) -> None:
    # An extra unit of "b" overlapping both of its cells breaks the coverage of that group only.
    extra = shapely.box(125.3, 43.1, 125.45, 43.4)
    frame = gpd.GeoDataFrame(
        {"group": [*grid["group"], "b"], "name": [*grid["name"], "x"]},
        geometry=[*grid.geometry, extra], crs="EPSG:4326",
    )
    out = compose_groups(frame, "group", workers=1)
    assert out["method"].tolist() == ["coverage", "union"]
    b = out.geometry.iloc[1]
    assert shapely.equals(b, shapely.box(125.25, 43.0, 125.5, 43.5))
    assert out["area_km2"].iloc[1] == pytest.approx(geod_km2(b), rel=1e-8)


def test_projected_frame_is_measured_in_lon_lat(grid: gpd.GeoDataFrame) -> None:
    out = compose_groups(grid.to_crs("EPSG:32651"), "group")
    truth = geod_km2(shapely.box(125.0, 43.0, 125.25, 43.5))
    assert out.crs.equals("EPSG:4326")
    assert out["area_km2"].iloc[0] == pytest.approx(truth, rel=1e-6)


def test_missing_group_column_is_named(grid: gpd.GeoDataFrame) -> None:
    with pytest.raises(LayerError, match="'province'"):
        compose_groups(grid, "province")


def test_check_groups_compares_with_stated(grid: gpd.GeoDataFrame) -> None:
    out = compose_groups(grid, "group", keep=["name"])
    truth_a = geod_km2(shapely.box(125.0, 43.0, 125.25, 43.5))
    checks = check_groups(out, {"a": truth_a * 1.02}, tolerance_pct=1.0, name="name",
                          source="test")
    a, b = checks
    assert a.area.id == "a" and a.area.name_zh == "西甲" and a.units == 2
    assert a.area.delta_pct == pytest.approx((1 / 1.02 - 1) * 100, rel=1e-6)
    assert a.passed is False
    assert b.area.stated_km2 is None and b.passed is None
    assert check_groups(out, {"a": truth_a}, tolerance_pct=1.0)[0].passed is True


def test_geojson_round_trip_agrees_with_gdal(grid: gpd.GeoDataFrame, tmp_path) -> None:
    out = compose_groups(grid, "group", keep=["name"])
    path = write_features(out, tmp_path / "groups.geojson")
    again = read_features(path)
    by_gdal = pyogrio.read_dataframe(path)
    assert again["name"].tolist() == by_gdal["name"].tolist() == ["西甲", "东甲"]
    assert again["units"].tolist() == [2, 2]
    assert shapely.equals(np.asarray(again.geometry), np.asarray(by_gdal.geometry)).all()
    # RFC 7946: exterior rings counter-clockwise.
    assert shapely.is_ccw(again.geometry.iloc[0].exterior)


@pytest.mark.parametrize(
    "text",
    [
        # Braces inside strings must not confuse the fast splitter.
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"properties": {"n": "a{b}", "m": {"k": 1}}, "geometry": '
        '{"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,0]]]}}]}',
        # A crs member sends the file to GDAL.
        '{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": '
        '"urn:ogc:def:crs:OGC:1.3:CRS84"}}, "features": [{"type": "Feature", '
        '"properties": {"n": "a{b}", "m": {"k": 1}}, "geometry": '
        '{"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,0]]]}}]}',
    ],
)
def test_read_features_matches_gdal(text: str, tmp_path) -> None:
    path = tmp_path / "f.geojson"
    path.write_text(text, encoding="utf-8")
    ours = read_features(path)
    assert ours["n"].tolist() == ["a{b}"]
    assert shapely.equals(ours.geometry.iloc[0], pyogrio.read_dataframe(path).geometry.iloc[0])
    assert json.loads(text)["features"][0]["properties"]["n"] == "a{b}"


def test_unreadable_file_is_named(tmp_path) -> None:
    with pytest.raises(LayerError, match=r"nothing\.geojson"):
        read_features(tmp_path / "nothing.geojson")
