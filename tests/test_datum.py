"""Tests for autocity_gis.datum against published values and the independent prcoords package."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import prcoords
import pyproj
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon

from autocity_gis import datum
from autocity_gis._errors import CRSError, InputError

GEOD = pyproj.Geod(ellps="WGS84")

# Grids of (lon, lat) inside the offset rectangle: Jilin province, and mainland China.
JILIN = np.meshgrid(np.linspace(121.6, 131.3, 25), np.linspace(40.8, 46.3, 25))
CHINA = np.meshgrid(np.linspace(73.6, 134.7, 40), np.linspace(18.2, 53.5, 40))
GRIDS = {
    "jilin": (JILIN[0].ravel(), JILIN[1].ravel()),
    "china": (CHINA[0].ravel(), CHINA[1].ravel()),
}

# Changchun city centre, WGS 84.
CHANGCHUN = (125.3245, 43.8868)


def _prcoords(func, lon, lat):
    """Apply a prcoords (lat, lon) function point by point; return (lon, lat) arrays."""
    out = np.array([func(prcoords.Coords(b, a)) for a, b in zip(lon, lat, strict=True)])
    return out[:, 1], out[:, 0]


def _geod_distance(lon1, lat1, lon2, lat2):
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def _changchun_polygon(z: float | None = None) -> Polygon:
    # A ~2 km quadrilateral with a hole; enough vertices for the test to mean something.
    x0, y0 = CHANGCHUN
    shell: list[tuple[float, ...]] = [
        (x0, y0),
        (x0 + 0.03, y0 - 0.002),
        (x0 + 0.028, y0 + 0.02),
        (x0 - 0.001, y0 + 0.018),
    ]
    hole: list[tuple[float, ...]] = [
        (x0 + 0.01, y0 + 0.005),
        (x0 + 0.012, y0 + 0.01),
        (x0 + 0.015, y0 + 0.006),
    ]
    if z is not None:
        shell = [(x, y, z) for x, y in shell]
        hole = [(x, y, z) for x, y in hole]
    return Polygon(shell, [hole])


# --- published reference values ------------------------------------------------------------


@pytest.mark.parametrize(
    ("wgs_lat", "wgs_lon", "gcj_lat", "gcj_lon"),
    [
        (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
        (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
        (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
    ],
)
def test_eviltransform_reference_points(wgs_lat, wgs_lon, gcj_lat, gcj_lon):
    lon, lat = datum.wgs84_to_gcj02(wgs_lon, wgs_lat)
    assert float(lon) == pytest.approx(gcj_lon, abs=1e-6)
    assert float(lat) == pytest.approx(gcj_lat, abs=1e-6)
    # Back again: exact to well under 0.5 m, the simple inverse to about 5 m.
    back_lon, back_lat = datum.gcj02_to_wgs84(gcj_lon, gcj_lat)
    assert _geod_distance(wgs_lon, wgs_lat, back_lon, back_lat) < 0.5
    rough_lon, rough_lat = datum.gcj02_to_wgs84(gcj_lon, gcj_lat, exact=False)
    assert _geod_distance(wgs_lon, wgs_lat, rough_lon, rough_lat) < 10.0


def test_gcoord_reference_inverse():
    # gcoord iterates to 1e-6 degrees, so that is the agreement to expect.
    lon, lat = datum.gcj02_to_wgs84(123.0, 45.0)
    assert float(lon) == pytest.approx(122.99395597, abs=1e-6)
    assert float(lat) == pytest.approx(44.99804071, abs=1e-6)


@pytest.mark.parametrize("src", datum.DATUMS)
@pytest.mark.parametrize("dst", datum.DATUMS)
def test_outside_china_unchanged(src, dst):
    lon = np.array([183.0, 2.35, -74.0, 100.0, 150.0])
    lat = np.array([45.0, 48.85, 40.7, 60.0, 30.0])
    new_lon, new_lat = datum.convert_coords(lon, lat, src, dst)
    np.testing.assert_array_equal(new_lon, lon)
    np.testing.assert_array_equal(new_lat, lat)


def test_china_rectangle_matches_prcoords():
    lon, lat = np.meshgrid(np.linspace(60, 150, 91), np.linspace(-10, 70, 81))
    expected = [
        prcoords.sanity_in_china_p(prcoords.Coords(b, a))
        for a, b in zip(lon.ravel(), lat.ravel(), strict=True)
    ]
    np.testing.assert_array_equal(datum.in_china(lon.ravel(), lat.ravel()), expected)


# --- the independent implementation, on grids -----------------------------------------------


@pytest.mark.parametrize("grid", GRIDS)
def test_wgs_to_gcj_matches_prcoords(grid):
    lon, lat = GRIDS[grid]
    ref_lon, ref_lat = _prcoords(prcoords.wgs_gcj, lon, lat)
    new_lon, new_lat = datum.wgs84_to_gcj02(lon, lat)
    np.testing.assert_allclose(new_lon, ref_lon, rtol=0, atol=1e-9)
    np.testing.assert_allclose(new_lat, ref_lat, rtol=0, atol=1e-9)


@pytest.mark.parametrize("grid", GRIDS)
def test_gcj_to_wgs_exact_matches_prcoords(grid):
    lon, lat = GRIDS[grid]
    ref_lon, ref_lat = _prcoords(prcoords.gcj_wgs_bored, lon, lat)
    new_lon, new_lat = datum.gcj02_to_wgs84(lon, lat)
    assert _geod_distance(new_lon, new_lat, ref_lon, ref_lat).max() < 0.5
    # And it really inverts prcoords' forward conversion.
    fwd_lon, fwd_lat = _prcoords(prcoords.wgs_gcj, new_lon, new_lat)
    assert _geod_distance(fwd_lon, fwd_lat, lon, lat).max() < 0.01


@pytest.mark.parametrize("grid", GRIDS)
def test_gcj_to_wgs_rough_matches_prcoords(grid):
    lon, lat = GRIDS[grid]
    ref_lon, ref_lat = _prcoords(prcoords.gcj_wgs, lon, lat)
    new_lon, new_lat = datum.gcj02_to_wgs84(lon, lat, exact=False)
    np.testing.assert_allclose(new_lon, ref_lon, rtol=0, atol=1e-9)
    np.testing.assert_allclose(new_lat, ref_lat, rtol=0, atol=1e-9)


@pytest.mark.parametrize("grid", GRIDS)
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (datum.gcj02_to_bd09, prcoords.gcj_bd),
        (lambda x, y: datum.bd09_to_gcj02(x, y, exact=False), prcoords.bd_gcj),
        (datum.wgs84_to_bd09, prcoords.wgs_bd),
    ],
)
def test_baidu_matches_prcoords(grid, ours, theirs):
    lon, lat = GRIDS[grid]
    ref_lon, ref_lat = _prcoords(theirs, lon, lat)
    new_lon, new_lat = ours(lon, lat)
    np.testing.assert_allclose(new_lon, ref_lon, rtol=0, atol=1e-9)
    np.testing.assert_allclose(new_lat, ref_lat, rtol=0, atol=1e-9)


def test_bd_to_wgs_matches_prcoords():
    lon, lat = GRIDS["jilin"]
    ref_lon, ref_lat = _prcoords(prcoords.bd_wgs_bored, lon, lat)
    new_lon, new_lat = datum.bd09_to_wgs84(lon, lat)
    # prcoords stops iterating at 1e-5 degrees, so it is the coarser of the two.
    assert _geod_distance(new_lon, new_lat, ref_lon, ref_lat).max() < 0.5


# --- round trips and array behaviour --------------------------------------------------------

china_lon = st.floats(min_value=73.5, max_value=134.8, allow_nan=False)
china_lat = st.floats(min_value=18.0, max_value=53.5, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(lon=china_lon, lat=china_lat)
def test_round_trip_wgs_gcj_wgs(lon, lat):
    gcj_lon, gcj_lat = datum.wgs84_to_gcj02(lon, lat)
    back_lon, back_lat = datum.gcj02_to_wgs84(gcj_lon, gcj_lat)
    assert _geod_distance(lon, lat, back_lon, back_lat) < 0.5


@settings(max_examples=40, deadline=None)
@given(lon=china_lon, lat=china_lat)
def test_round_trip_wgs_bd_wgs(lon, lat):
    bd_lon, bd_lat = datum.convert_coords(lon, lat, "WGS84", "BD09")
    back_lon, back_lat = datum.convert_coords(bd_lon, bd_lat, "baidu", "wgs 84")
    assert _geod_distance(lon, lat, back_lon, back_lat) < 0.5


def test_scalar_and_array_shapes():
    lon, lat = datum.wgs84_to_gcj02(*CHANGCHUN)
    assert isinstance(lon, np.ndarray) and lon.shape == () and lon.dtype == np.float64
    assert isinstance(lat, np.ndarray) and lat.shape == ()
    grid_lon, grid_lat = datum.gcj02_to_wgs84(np.full((2, 3), 125.3), [43.8, 43.9, 44.0])
    assert grid_lon.shape == grid_lat.shape == (2, 3)
    empty = datum.gcj02_to_wgs84(np.array([]), np.array([]))
    assert empty[0].shape == empty[1].shape == (0,)


def test_inputs_not_modified_and_nan_propagates():
    lon = np.array([125.3, np.nan, 183.0])
    lat = np.array([43.9, 43.9, 45.0])
    before = lon.copy()
    new_lon, new_lat = datum.gcj02_to_wgs84(lon, lat)
    np.testing.assert_array_equal(lon, before)
    assert np.isnan(new_lon[1]) and np.isnan(new_lat[1])
    assert new_lon[2] == 183.0


def test_same_datum_returns_copies():
    lon = np.array([125.3, 125.4])
    new_lon, _ = datum.convert_coords(lon, [43.9, 44.0], "gcj", "GCJ-02")
    np.testing.assert_array_equal(new_lon, lon)
    assert not np.shares_memory(new_lon, lon)


# --- parse_datum ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GCJ-02", "GCJ02"),
        ("gcj02", "GCJ02"),
        ("gcj", "GCJ02"),
        ("mars", "GCJ02"),
        (" Mars ", "GCJ02"),
        ("BD-09", "BD09"),
        ("bd09", "BD09"),
        ("baidu", "BD09"),
        ("WGS84", "WGS84"),
        ("WGS 84", "WGS84"),
        ("wgs_84", "WGS84"),
        ("EPSG:4326", "WGS84"),
        ("epsg:4326", "WGS84"),
        ("CGCS2000", "WGS84"),
        ("EPSG:4490", "WGS84"),
    ],
)
def test_parse_datum_spellings(text, expected):
    assert datum.parse_datum(text) == expected


@pytest.mark.parametrize("text", ["NAD83", "", "EPSG:3857", "gcj03"])
def test_parse_datum_unknown(text):
    with pytest.raises(CRSError) as excinfo:
        datum.parse_datum(text)
    assert isinstance(excinfo.value, InputError)
    message = str(excinfo.value)
    assert repr(text) in message
    for accepted in ("WGS84", "GCJ02", "BD09", "CGCS2000", "mars", "baidu"):
        assert accepted in message
    assert message.count(". ") == 0 and message.endswith(".")


def test_convert_coords_rejects_unknown_datum():
    with pytest.raises(CRSError, match="Unknown datum 'Beijing54'"):
        datum.convert_coords(125.3, 43.9, "Beijing54", "WGS84")


# --- geometries and frames ------------------------------------------------------------------


def test_polygon_near_changchun_shifts_and_stays_valid():
    polygon = _changchun_polygon()
    moved = datum.convert_geometry(polygon, "WGS84", "GCJ02")
    assert moved.is_valid
    assert shapely.get_num_coordinates(moved) == shapely.get_num_coordinates(polygon)
    assert moved.exterior.is_ccw == polygon.exterior.is_ccw
    old = shapely.get_coordinates(polygon)
    new = shapely.get_coordinates(moved)
    # Field notes: near Changchun GCJ-02 sits about 520 m east and 270 m north of WGS 84.
    east = _geod_distance(old[:, 0], old[:, 1], new[:, 0], old[:, 1])
    north = _geod_distance(old[:, 0], old[:, 1], old[:, 0], new[:, 1])
    assert np.all(new[:, 0] > old[:, 0]) and np.all(new[:, 1] > old[:, 1])
    np.testing.assert_allclose(east, 520, atol=30)
    np.testing.assert_allclose(north, 270, atol=30)
    # Each vertex where the independent implementation puts it.
    ref_lon, ref_lat = _prcoords(prcoords.wgs_gcj, old[:, 0], old[:, 1])
    np.testing.assert_allclose(new, np.column_stack([ref_lon, ref_lat]), rtol=0, atol=1e-9)


def test_geometry_round_trip_and_z_kept():
    polygon = _changchun_polygon(z=212.5)
    moved = datum.convert_geometry(polygon, "WGS84", "BD09")
    assert moved.has_z
    np.testing.assert_array_equal(shapely.get_coordinates(moved, include_z=True)[:, 2], 212.5)
    back = datum.convert_geometry(moved, "BD09", "WGS84")
    old = shapely.get_coordinates(polygon)
    new = shapely.get_coordinates(back)
    assert _geod_distance(old[:, 0], old[:, 1], new[:, 0], new[:, 1]).max() < 0.5


def test_geometry_array_with_missing_and_empty():
    geoms = np.array(
        [Point(*CHANGCHUN), None, Polygon(), LineString([(125.0, 44.0), (125.5, 44.2)])],
        dtype=object,
    )
    moved = datum.convert_geometry(geoms, "WGS84", "GCJ02")
    assert isinstance(moved, np.ndarray) and moved.shape == (4,)
    assert moved[1] is None and moved[2].is_empty
    assert not moved[0].has_z
    ref_lon, ref_lat = _prcoords(prcoords.wgs_gcj, [CHANGCHUN[0]], [CHANGCHUN[1]])
    assert moved[0].x == pytest.approx(ref_lon[0], abs=1e-9)
    assert moved[0].y == pytest.approx(ref_lat[0], abs=1e-9)


def _frame(crs):
    return gpd.GeoDataFrame(
        {"name": ["core", "point"]},
        geometry=[_changchun_polygon(), Point(*CHANGCHUN)],
        crs=crs,
    )


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:4490", "OGC:CRS84", None])
def test_convert_frame_returns_converted_copy(crs):
    gdf = _frame(crs)
    before = gdf.copy()
    out = datum.convert_frame(gdf, "wgs84", "gcj02")
    assert_geodataframe_equal(gdf, before)
    assert out is not gdf
    assert out.crs == gdf.crs and list(out["name"]) == ["core", "point"]
    ref_lon, ref_lat = _prcoords(prcoords.wgs_gcj, [CHANGCHUN[0]], [CHANGCHUN[1]])
    assert out.geometry.iloc[1].x == pytest.approx(ref_lon[0], abs=1e-9)
    assert out.geometry.iloc[1].y == pytest.approx(ref_lat[0], abs=1e-9)


def test_convert_frame_same_datum_is_unchanged_copy():
    gdf = _frame("EPSG:4326")
    out = datum.convert_frame(gdf, "CGCS2000", "EPSG:4326")
    assert out is not gdf
    assert_geodataframe_equal(out, gdf)


def test_convert_frame_refuses_projected_crs():
    gdf = _frame("EPSG:4326").to_crs("EPSG:32651")
    with pytest.raises(CRSError, match="EPSG:32651") as excinfo:
        datum.convert_frame(gdf, "WGS84", "GCJ02")
    assert "EPSG:4326" in str(excinfo.value)


def test_convert_geoseries_keeps_index_and_crs():
    series = gpd.GeoSeries([Point(*CHANGCHUN)], index=["cc"], crs="EPSG:4326", name="site")
    out = datum.convert_geometry(series, "WGS84", "GCJ02")
    assert isinstance(out, gpd.GeoSeries)
    assert list(out.index) == ["cc"] and out.crs == series.crs and out.name == "site"
    assert out.iloc[0].x > series.iloc[0].x


# --- shift_metres ---------------------------------------------------------------------------


def test_shift_metres_near_changchun():
    # About hypot(520, 270) ≈ 590 m by the field notes; 0 outside China.
    shift = datum.shift_metres([CHANGCHUN[0], 183.0], [CHANGCHUN[1], 45.0], "WGS84", "GCJ02")
    assert shift.shape == (2,)
    assert shift[0] == pytest.approx(np.hypot(520, 270), abs=30)
    assert shift[1] == 0.0
    ref_lon, ref_lat = _prcoords(prcoords.wgs_gcj, [CHANGCHUN[0]], [CHANGCHUN[1]])
    expected = _geod_distance(CHANGCHUN[0], CHANGCHUN[1], ref_lon[0], ref_lat[0])
    assert float(datum.shift_metres(*CHANGCHUN, "wgs84", "mars")) == pytest.approx(expected)


# --- every documented accuracy, measured with the independent forward conversions -----------

# A 300 x 300 grid over the whole offset rectangle.
_RECT = np.meshgrid(np.linspace(72.5, 137.5, 300), np.linspace(1.0, 55.5, 300))
RECT_LON, RECT_LAT = _RECT[0].ravel(), _RECT[1].ravel()


def _prcoords_keep(func, lon, lat):
    """prcoords with its own China test off (it warns and skips points outside)."""
    return _prcoords(lambda c: func(c, False), lon, lat)


def test_exact_gcj_inverse_residual_below_1e9_degrees():
    # gcj02_to_wgs84: "prcoords' wgs_gcj of the result is the input to 1e-9 degrees".
    new_lon, new_lat = datum.gcj02_to_wgs84(RECT_LON, RECT_LAT)
    fwd_lon, fwd_lat = _prcoords_keep(prcoords.wgs_gcj, new_lon, new_lat)
    assert np.abs(fwd_lon - RECT_LON).max() < 1e-9
    assert np.abs(fwd_lat - RECT_LAT).max() < 1e-9


def test_rough_gcj_inverse_is_off_by_up_to_5_2_m():
    new_lon, new_lat = datum.gcj02_to_wgs84(RECT_LON, RECT_LAT, exact=False)
    fwd_lon, fwd_lat = _prcoords_keep(prcoords.wgs_gcj, new_lon, new_lat)
    miss = _geod_distance(fwd_lon, fwd_lat, RECT_LON, RECT_LAT)
    assert 1.0 < miss.max() < 5.2


def test_exact_bd_inverse_residual_below_1e9_degrees():
    # bd09_to_gcj02 (exact): prcoords' gcj_bd of the result is the input to 1e-9 degrees.
    new_lon, new_lat = datum.bd09_to_gcj02(RECT_LON, RECT_LAT)
    fwd_lon, fwd_lat = _prcoords(prcoords.gcj_bd, new_lon, new_lat)
    assert np.abs(fwd_lon - RECT_LON).max() < 1e-9
    assert np.abs(fwd_lat - RECT_LAT).max() < 1e-9
    # and through to WGS 84: prcoords' wgs_bd of the result is the input, to 1e-9 degrees
    wgs_lon, wgs_lat = datum.bd09_to_wgs84(RECT_LON, RECT_LAT)
    back_lon, back_lat = _prcoords_keep(prcoords.wgs_bd, wgs_lon, wgs_lat)
    inside = datum.in_china(*datum.bd09_to_gcj02(RECT_LON, RECT_LAT))
    assert np.abs(back_lon - RECT_LON)[inside].max() < 1e-9
    assert np.abs(back_lat - RECT_LAT)[inside].max() < 1e-9


def test_closed_form_bd_inverse_is_off_by_up_to_023_m():
    # The figure the docstring gives for exact=False (prcoords says 1e-7 degrees; it is ~2e-6).
    new_lon, new_lat = datum.bd09_to_gcj02(RECT_LON, RECT_LAT, exact=False)
    fwd_lon, fwd_lat = _prcoords(prcoords.gcj_bd, new_lon, new_lat)
    miss = _geod_distance(fwd_lon, fwd_lat, RECT_LON, RECT_LAT)
    assert 0.15 < miss.max() < 0.23
    # bd09_to_wgs84(exact=False) is within 5.3 m as documented (of the points it converts)
    wgs_lon, wgs_lat = datum.bd09_to_wgs84(RECT_LON, RECT_LAT, exact=False)
    back_lon, back_lat = _prcoords_keep(prcoords.wgs_bd, wgs_lon, wgs_lat)
    converted = wgs_lon != RECT_LON
    miss = _geod_distance(back_lon, back_lat, RECT_LON, RECT_LAT)[converted]
    assert 1.0 < miss.max() < 5.3


# --- published values of gcoord and hutool ---------------------------------------------------

# hujiulong/gcoord test/unit/crs/{WGS84,GCJ02}.spec.ts (commit 42ea29df) and BD09.spec.ts
# (commit 0bb92090): [123, 45] in each datum; gcoord asserts toBeCloseTo(v, 5), |error| < 5e-6.
# gcoord's BD-09 inverse is the closed form, hence also compared with exact=False.
GCOORD = [
    ("WGS84", "GCJ02", (123.00607541, 45.00197815)),
    ("WGS84", "BD09", (123.0124491, 45.0083293)),
    ("GCJ02", "WGS84", (122.99395597, 44.99804071)),
    ("GCJ02", "BD09", (123.00636499, 45.00636899)),
    ("BD09", "GCJ02", (122.99363304, 44.99365430)),
    ("BD09", "WGS84", (122.98762210, 44.99171540)),
]


@pytest.mark.parametrize(("src", "dst", "expected"), GCOORD)
def test_gcoord_reference_values(src, dst, expected):
    lon, lat = datum.convert_coords(123.0, 45.0, src, dst)
    assert (float(lon), float(lat)) == pytest.approx(expected, abs=5e-6)
    if (src, dst) == ("BD09", "GCJ02"):
        lon, lat = datum.convert_coords(123.0, 45.0, src, dst, exact=False)
        assert (float(lon), float(lat)) == pytest.approx(expected, abs=5e-8)


def test_gcoord_outside_china_unchanged():
    # gcoord's GCJ02.spec.ts: [183, 45] "not in China" comes back as it is.
    for dst in ("GCJ02", "BD09"):
        lon, lat = datum.convert_coords(183.0, 45.0, "WGS84", dst)
        assert (float(lon), float(lat)) == (183.0, 45.0)


def test_hutool_baidu_reference_values():
    # dromara/hutool hutool-core/src/test/java/cn/hutool/core/util/CoordinateUtilTest.java
    # (commit 1bca825f, "测试参考 wandergis/coordtransform"): the BD-09 closed forms at
    # (116.404, 39.915), asserted there to the last bit.
    lon, lat = datum.gcj02_to_bd09(116.404, 39.915)
    assert (float(lon), float(lat)) == pytest.approx(
        (116.41036949371029, 39.92133699351022), abs=1e-12
    )
    lon, lat = datum.bd09_to_gcj02(116.404, 39.915, exact=False)
    assert (float(lon), float(lat)) == pytest.approx(
        (116.39762729119315, 39.90865673957631), abs=1e-12
    )
    # the exact inverse moves it by under 0.23 m and gcj02_to_bd09 takes it back to the input
    ex_lon, ex_lat = datum.bd09_to_gcj02(116.404, 39.915)
    assert _geod_distance(lon, lat, ex_lon, ex_lat) < 0.23
    assert np.allclose(datum.gcj02_to_bd09(ex_lon, ex_lat), (116.404, 39.915), rtol=0, atol=1e-9)


# --- both shifts or neither, at the edges of the rectangle -------------------------------------


def _edge_band() -> tuple[np.ndarray, np.ndarray]:
    """Points within 5 km of each edge of the rectangle, on both sides."""
    rng = np.random.default_rng(10)
    n = 400
    across = rng.uniform(-0.05, 0.05, n)
    west = (72.004 + across, rng.uniform(5, 50, n))
    east = (137.8347 + across, rng.uniform(5, 50, n))
    south = (rng.uniform(80, 130, n), 0.8293 + across)
    north = (rng.uniform(80, 130, n), 55.8271 + across)
    lon = np.concatenate([west[0], east[0], south[0], north[0]])
    lat = np.concatenate([west[1], east[1], south[1], north[1]])
    return lon, lat


def test_wgs_to_bd_applies_both_shifts_or_neither():
    lon, lat = _edge_band()
    new_lon, new_lat = datum.wgs84_to_bd09(lon, lat)
    # Both shifts, by the independent implementation with its own China test off.
    full_lon, full_lat = _prcoords_keep(prcoords.wgs_bd, lon, lat)
    inside = np.array(
        [prcoords.sanity_in_china_p(prcoords.Coords(b, a)) for a, b in zip(lon, lat, strict=True)]
    )
    assert 0 < inside.sum() < len(lon)
    np.testing.assert_allclose(new_lon[inside], full_lon[inside], rtol=0, atol=1e-9)
    np.testing.assert_allclose(new_lat[inside], full_lat[inside], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(new_lon[~inside], lon[~inside])
    np.testing.assert_array_equal(new_lat[~inside], lat[~inside])
    # The band where the old code half-converted: inside, but the GCJ-02 point outside.
    gcj_lon, gcj_lat = _prcoords_keep(prcoords.wgs_gcj, lon, lat)
    assert (inside & ~datum.in_china(gcj_lon, gcj_lat)).any()


def test_bd_to_wgs_undoes_both_shifts_or_neither():
    lon, lat = _edge_band()
    new_lon, new_lat = datum.bd09_to_wgs84(lon, lat)
    unchanged = (new_lon == lon) & (new_lat == lat)
    # Every converted point is one that both shifts take back to the input (prcoords forward).
    fwd_lon, fwd_lat = _prcoords_keep(prcoords.wgs_bd, new_lon, new_lat)
    converted = ~unchanged
    assert 0 < converted.sum() < len(lon)
    np.testing.assert_allclose(fwd_lon[converted], lon[converted], rtol=0, atol=2e-9)
    np.testing.assert_allclose(fwd_lat[converted], lat[converted], rtol=0, atol=2e-9)
    # The decision is the GCJ-02 point's (gcoord and prcoords test there before the GCJ step);
    # prcoords' closed-form BD inverse is 2e-6 degrees off, so points that close to an edge are
    # left out of this comparison.
    gcj_lon, gcj_lat = _prcoords(prcoords.bd_gcj, lon, lat)
    gcj_inside = datum.in_china(gcj_lon, gcj_lat)
    clear = (
        (np.abs(gcj_lon - 72.004) > 1e-5)
        & (np.abs(gcj_lon - 137.8347) > 1e-5)
        & (np.abs(gcj_lat - 0.8293) > 1e-5)
        & (np.abs(gcj_lat - 55.8271) > 1e-5)
    )
    np.testing.assert_array_equal(converted[clear], gcj_inside[clear])


def test_bd_conversions_agree_with_composing_through_gcj():
    # Where bd09_to_wgs84 converts, it is bd09_to_gcj02 then gcj02_to_wgs84 (both test the same
    # GCJ-02 point). Where it does not, the composition may: bd09_to_gcj02 hands back the BD-09
    # point unchanged, and gcj02_to_wgs84 then takes it for a GCJ-02 point inside China.
    lon, lat = _edge_band()
    direct = datum.bd09_to_wgs84(lon, lat)
    composed = datum.gcj02_to_wgs84(*datum.bd09_to_gcj02(lon, lat))
    converted = direct[0] != lon
    np.testing.assert_array_equal(direct[0][converted], composed[0][converted])
    np.testing.assert_array_equal(direct[1][converted], composed[1][converted])
