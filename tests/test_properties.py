"""Property-based tests (hypothesis): areas and the union behave as geometry says they must."""

from __future__ import annotations

import numpy as np
import prcoords
import pytest
import shapely
from common import geod_km2
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from autocity_gis.area import fast_geodesic_area_km2, geodesic_area_km2
from autocity_gis.composition import compose_geometries
from autocity_gis.datum import bd09_to_wgs84, convert_geometry, wgs84_to_bd09

FAST = settings(max_examples=15, deadline=None)

# Boxes of 1-10 km near Changchun on a 0.01° grid, so neighbours often share edges exactly.
corner = st.tuples(st.integers(0, 30), st.integers(0, 30))
size = st.tuples(st.integers(1, 10), st.integers(1, 10))


def _box(c: tuple[int, int], s: tuple[int, int]) -> shapely.Polygon:
    x0, y0 = 125.0 + c[0] / 100, 43.7 + c[1] / 100
    return shapely.segmentize(shapely.box(x0, y0, x0 + s[0] / 100, y0 + s[1] / 100), 0.002)


boxes = st.lists(st.builds(_box, corner, size), min_size=1, max_size=5)


def _star(n: int, seed: int) -> shapely.Polygon:
    # A simple (star-shaped) polygon around Changchun: valid whatever the radii.
    rng = np.random.default_rng(seed)
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = rng.uniform(0.01, 0.1, n)
    ring = np.column_stack([125.3 + radii * np.cos(angles), 43.9 + radii * np.sin(angles)])
    poly = shapely.Polygon(ring)
    return poly if poly.is_valid and poly.area > 0 else shapely.box(125.2, 43.8, 125.3, 43.9)


stars = st.builds(_star, st.integers(3, 40), st.integers(0, 2**32 - 1))


@FAST
@given(boxes)
def test_union_is_no_larger_than_the_sum_of_parts(parts: list[shapely.Polygon]) -> None:
    ids = [str(i) for i in range(len(parts))]
    result = compose_geometries(np.array(parts, dtype=object), ids=ids)
    union = geod_km2(result.boundary)
    # Geodesic area is not exactly additive when neighbours do not share the same vertices
    # along an edge (a T-junction): each geodesic edge sags differently, by < 0.1 m² per
    # 200 m segment at these sizes. 1 m² in all bounds that.
    assert union <= sum(geod_km2(p) for p in parts) * (1 + 1e-9) + 1e-6
    # and no smaller than the largest part, less what slivers the snap may move (1 m)
    assert union >= max(geod_km2(p) for p in parts) * (1 - 1e-4)


@FAST
@given(boxes, st.randoms(use_true_random=False))
def test_composition_is_independent_of_component_order(
    parts: list[shapely.Polygon], rnd: object
) -> None:
    order = list(range(len(parts)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    ids = [str(i) for i in range(len(parts))]
    a = compose_geometries(np.array(parts, dtype=object), ids=ids)
    b = compose_geometries(
        np.array([parts[i] for i in order], dtype=object), ids=[ids[i] for i in order]
    )
    assert geod_km2(a.boundary) == pytest.approx(geod_km2(b.boundary), rel=1e-6, abs=1e-6)
    assert geod_km2(shapely.symmetric_difference(a.boundary, b.boundary)) < 1e-4
    assert sum(geod_km2(g) for g in a.gaps) == pytest.approx(
        sum(geod_km2(g) for g in b.gaps), abs=1e-4
    )


@FAST
@given(stars, st.integers(0, 100), st.booleans())
def test_area_ignores_orientation_and_start_vertex(
    poly: shapely.Polygon, shift: int, reverse: bool
) -> None:
    ring = np.array(poly.exterior.coords)[:-1]
    ring = np.roll(ring, shift % len(ring), axis=0)
    if reverse:
        ring = ring[::-1]
    other = shapely.Polygon(ring)
    expected = geod_km2(poly)  # independent: pyproj.Geod
    assert float(geodesic_area_km2(other)) == pytest.approx(expected, rel=1e-9)
    assert float(geodesic_area_km2(poly)) == pytest.approx(expected, rel=1e-9)


@FAST
@given(stars, st.sampled_from(["EPSG:4551", "EPSG:32651", "EPSG:4547"]))
def test_area_survives_reprojection(poly: shapely.Polygon, crs: str) -> None:
    dense = shapely.segmentize(poly, 0.002)
    there = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    back = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    projected = shapely.transform(dense, there.transform, interleaved=False)
    again = shapely.transform(projected, back.transform, interleaved=False)
    assert float(geodesic_area_km2(again)) == pytest.approx(geod_km2(dense), rel=1e-9)


@FAST
@given(stars)
def test_area_survives_the_gcj02_round_trip(poly: shapely.Polygon) -> None:
    gcj = convert_geometry(poly, "WGS84", "GCJ02")
    back = convert_geometry(gcj, "GCJ02", "WGS84")
    assert float(geodesic_area_km2(back)) == pytest.approx(geod_km2(poly), rel=1e-8)
    # GCJ-02 is not a translation: its sine terms stretch space by up to a few 1e-3, so an
    # area measured in GCJ-02 is off by up to ~0.3 % (0.16 % seen here) -- never 1 %. That
    # bound holds for the shifted shape, i.e. with vertices dense enough for the edges to follow
    # the shift: a sliver triangle of three 10 km edges moves its straight edges by the
    # difference of the vertices' shifts, which can be several % of a tiny area (seen: 1.65 %).
    dense = shapely.segmentize(poly, 0.002)
    dense_gcj = convert_geometry(dense, "WGS84", "GCJ02")
    assert float(geodesic_area_km2(dense_gcj)) == pytest.approx(geod_km2(dense), rel=1e-2)


# --- area and datum numerics, anywhere --------------------------------------------------------


def _anywhere(lon0: float, lat0: float, size: float, n: int, seed: int) -> shapely.Polygon:
    # A star-shaped polygon anywhere on the globe, longitudes wrapped to ±180° as GeoJSON has
    # them (so it may cross the antimeridian, reach a pole or wind around one).
    rng = np.random.default_rng(seed)
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = rng.uniform(0.05, 1.0, n) * size / 2
    lat = np.clip(lat0 + radii * np.sin(angles), -90, 90)
    lon = lon0 + radii * np.cos(angles) / max(np.cos(np.radians(lat0)), 0.02)
    return shapely.Polygon(np.column_stack([(lon + 180) % 360 - 180, lat]))


anywhere = st.builds(
    _anywhere,
    st.floats(-180, 180),
    st.floats(-90, 90),
    st.sampled_from([0.001, 0.1, 1.0, 10.0, 60.0]),
    st.integers(3, 12),
    st.integers(0, 2**32 - 1),
)


@settings(max_examples=60, deadline=None)
@given(anywhere)
def test_fast_area_within_its_documented_bound_anywhere(poly: shapely.Polygon) -> None:
    # fast_geodesic_area_km2's docstring: |fast - Geod| <= 1e-9 * area + 0.1 m², everywhere.
    # independent: pyproj.Geod; the absolute value, as shapely's (planar) orientation means
    # nothing for a ring across the antimeridian
    expected_m2 = abs(geod_km2(poly)) * 1e6
    got_m2 = float(fast_geodesic_area_km2(poly)) * 1e6
    assert abs(got_m2 - expected_m2) <= 1e-9 * expected_m2 + 0.1


near_china_lon = st.floats(min_value=65.0, max_value=145.0, allow_nan=False)
near_china_lat = st.floats(min_value=-5.0, max_value=62.0, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(near_china_lon, near_china_lat)
def test_bd09_both_shifts_or_neither(lon: float, lat: float) -> None:
    got = np.array([float(v) for v in wgs84_to_bd09(lon, lat)])
    full = prcoords.wgs_bd(prcoords.Coords(lat, lon), False)  # independent, both shifts
    if prcoords.sanity_in_china_p(prcoords.Coords(lat, lon)):
        np.testing.assert_allclose(got, [full.lon, full.lat], rtol=0, atol=1e-9)
    else:
        np.testing.assert_array_equal(got, [lon, lat])
    back = np.array([float(v) for v in bd09_to_wgs84(*got)])
    # back where it came from, or (in the band near an edge) the BD-09 point left as it is, or
    # there another WGS 84 point inside the rectangle that Baidu's shifts carry onto the same
    # BD-09 point: near the edge the forward map is not one-to-one (lon=73, lat=55.828125 is
    # left as it is, and (72.98908, 55.82194) is shifted onto it), and either is a true inverse
    forward = np.array([float(v) for v in wgs84_to_bd09(*back)])
    assert (
        np.allclose(back, [lon, lat], rtol=0, atol=2e-9)
        or np.array_equal(back, got)
        or np.allclose(forward, got, rtol=0, atol=2e-9)
    )
