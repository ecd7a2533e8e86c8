"""The windowed open-gap search (autocity_gis._open_gaps) against the closing of the whole union.

Truth: the reference is the global search -- ``closing(union) - filled`` over the whole union,
the way the gaps were found before the windows (and still are when a union's outer edges
cannot be told apart by part) -- plus areas and widths worked out by hand for the fixtures.
Coverages are built in code, in metres, away from the origin as local coordinates are.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry.base import BaseGeometry

from autocity_gis import _diagnostics, _open_gaps
from autocity_gis._diagnostics import Patch, gaps_and_holes
from autocity_gis._open_gaps import open_gap_pieces

#: Where the fixtures sit in the local plane (metres): coordinates of a real size.
X0, Y0 = 412_345.0, -287_654.0
WIDTH = 50.0


def at(coords: list[tuple[float, float]]) -> shapely.Polygon:
    return shapely.Polygon([(X0 + x, Y0 + y) for x, y in coords])


def rect(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


@contextmanager
def whole_union() -> Iterator[None]:
    """Make the search close the whole union, as before the windows."""
    with mock.patch.object(_diagnostics, "open_gap_pieces", lambda *args: None):
        yield


@contextmanager
def windows_always() -> Iterator[None]:
    """Search by windows however small the union (it would close a small one whole)."""
    with (
        mock.patch.object(_open_gaps, "MIN_OUTER_VERTICES", 0),
        mock.patch.object(_open_gaps, "VERTICES_PER_WINDOW", 0),
    ):
        yield


def search(
    parts: list[BaseGeometry], ids: list[str], cut: BaseGeometry | None = None
) -> tuple[list[Patch], list[Patch]]:
    array = np.array(parts, dtype=object)
    union = shapely.coverage_union_all(array)
    with windows_always():
        return gaps_and_holes(union, array, ids, gap_width_m=WIDTH, sliver_m=2.0, cut=cut)


def assert_same_as_whole_union(
    parts: list[BaseGeometry], ids: list[str], cut: BaseGeometry | None = None
) -> list[Patch]:
    """Check the windowed search finds what closing the whole union finds; return its gaps."""
    array = np.array(parts, dtype=object)
    union = shapely.coverage_union_all(array)
    polys = list(shapely.get_parts(union))
    with windows_always():
        assert open_gap_pieces(polys, _diagnostics._filled(polys), array, WIDTH) is not None
    windowed = search(parts, ids, cut)
    with whole_union():
        reference = search(parts, ids, cut)
    for mine, theirs in zip(windowed, reference, strict=True):
        assert len(mine) == len(theirs)
        for a, b in zip(mine, theirs, strict=True):
            assert (a.between, a.enclosed) == (b.between, b.enclosed)
            assert a.geometry.area == pytest.approx(b.geometry.area, rel=1e-9, abs=1e-6)
            assert shapely.symmetric_difference(a.geometry, b.geometry).area < 1e-6
            assert a.width_m == pytest.approx(b.width_m, rel=0.03)  # 1 % search tolerance
    return windowed[0]


def test_slit_open_to_the_edge_between_two_parts() -> None:
    west = at([(0, 0), (1000, 0), (1000, 1500), (1000, 2000), (0, 2000)])
    east = at([(1000, 1500), (1000, 2000), (2000, 2000), (2000, 0), (1008, 0), (1008, 1500)])
    (gap,) = assert_same_as_whole_union([west, east], ["w", "e"])
    assert gap.between == ("w", "e") and not gap.enclosed
    assert gap.geometry.area == pytest.approx(8 * 1500)
    assert gap.width_m == pytest.approx(8.0, rel=0.02)


def test_slit_along_a_whole_border_far_longer_than_a_window() -> None:
    """A 10 m slit 30 km long: the windows must grow along it to bring it back whole."""
    west, east = rect(0, 0, 1000, 30_000), rect(1010, 0, 2000, 30_000)
    (gap,) = assert_same_as_whole_union([west, east], ["w", "e"])
    assert gap.geometry.area == pytest.approx(10 * 30_000)


def test_wedge_at_a_junction_of_two_parts() -> None:
    """Two parts part at a shared outer vertex at 3.4°: the narrow end of the V is a gap."""
    north = at([(0, 0), (1000, 30), (1000, 500), (-500, 500), (-500, 0)])
    south = at([(0, 0), (-500, 0), (-500, -500), (1000, -500), (1000, -30)])
    (gap,) = assert_same_as_whole_union([north, south], ["n", "s"])
    assert gap.between == ("n", "s")
    # Inside the V, and filled at least to where the V is 30 m wide (x = 500).
    v = at([(0, 0), (1000, 30), (1000, -30)])
    assert shapely.difference(gap.geometry, v).area < 1e-6
    assert gap.geometry.area > 0.5 * 500 * 30


def test_enclosed_gap_island_strait_and_own_notch() -> None:
    """An enclosed gap, a strait to another part's island, and notches of one part alone."""
    west = at([(0, 0), (1000, 0), (1000, 900), (990, 900), (990, 1000), (1000, 1000),
               (1000, 2000), (0, 2000)])
    east = at([(1000, 0), (2000, 0), (2000, 2000), (1000, 2000), (1000, 1000), (1000, 900)])
    island = rect(200, 2020, 800, 2200)  # 20 m off the west part's north coast
    own_island = rect(1200, -30, 1500, -10)  # the east part's own, 10 m off its coast
    notch = at([(3000, 0), (4000, 0), (4000, 1000), (3510, 1000), (3510, 800), (3500, 800),
                (3500, 1000), (3000, 1000)])  # a far part with a 10 m notch in its outline
    parts = [west, shapely.MultiPolygon([east, own_island]), island, notch]
    gaps = assert_same_as_whole_union(parts, ["w", "e", "i", "n"])
    found = sorted((g.between, g.enclosed) for g in gaps)
    assert found == [(("w", "e"), True), (("w", "i"), False)]
    strait = next(g for g in gaps if g.between == ("w", "i"))
    assert strait.geometry.area == pytest.approx(20 * 600)


def test_a_subtracted_cut_removes_part_of_a_slit() -> None:
    west = at([(0, 0), (1000, 0), (1000, 1500), (1000, 2000), (0, 2000)])
    east = at([(1000, 1500), (1000, 2000), (2000, 2000), (2000, 0), (1008, 0), (1008, 1500)])
    (gap,) = assert_same_as_whole_union([west, east], ["w", "e"], cut=rect(900, 0, 1100, 500))
    assert gap.geometry.area == pytest.approx(8 * 1000)


def test_no_gap_where_parts_meet_at_right_angles() -> None:
    parts = [rect(0, 0, 1000, 1000), rect(1000, 0, 2000, 1500), rect(0, 1000, 1000, 2000)]
    parts[1] = at([(1000, 0), (2000, 0), (2000, 1500), (1000, 1500), (1000, 1000)])
    parts[2] = at([(0, 1000), (1000, 1000), (1000, 1500), (1000, 2000), (0, 2000)])
    assert assert_same_as_whole_union(parts, ["a", "b", "c"]) == []


def test_union_with_vertices_of_its_own_falls_back_to_the_whole_union() -> None:
    """An overlay's union has vertices no part has: the edges cannot be told apart."""
    parts = np.array([rect(0, 0, 1000, 1000), rect(1000, 0, 2000, 1000)], dtype=object)
    union = shapely.segmentize(shapely.coverage_union_all(parts), 5.0)
    polys = list(shapely.get_parts(union))
    with windows_always():
        assert open_gap_pieces(polys, _diagnostics._filled(polys), parts, WIDTH) is None


def test_small_unions_and_many_windows_are_closed_whole() -> None:
    """Below MIN_OUTER_VERTICES, or with a window per VERTICES_PER_WINDOW outer vertices,
    closing the whole union is cheaper: the search says so (None)."""
    west, east = rect(0, 0, 1000, 30_000), rect(1010, 0, 2000, 30_000)
    parts = np.array([west, east], dtype=object)
    polys = list(shapely.get_parts(shapely.coverage_union_all(parts)))
    filled = _diagnostics._filled(polys)
    assert open_gap_pieces(polys, filled, parts, WIDTH) is None  # 10 outer vertices
    with mock.patch.object(_open_gaps, "MIN_OUTER_VERTICES", 0):
        assert open_gap_pieces(polys, filled, parts, WIDTH) is None  # 100 per window > 10
        with mock.patch.object(_open_gaps, "VERTICES_PER_WINDOW", 5):
            assert open_gap_pieces(polys, filled, parts, WIDTH) is not None


def strips(draw: st.DrawFn) -> tuple[list[BaseGeometry], list[str]]:
    """Side-by-side strips with slanted sides, gaps of 0-80 m and tops at several heights."""
    count = draw(st.integers(2, 5))
    left_bottom, left_top = 0.0, draw(st.floats(-100, 100))
    parts, ids = [], []
    for k in range(count):
        right_bottom = left_bottom + draw(st.floats(150, 500))
        right_top = left_top + draw(st.floats(150, 500))
        height = draw(st.sampled_from([1000.0, 1100.0, 1200.0]))
        frac = height / 1200.0
        ring = [
            (left_bottom, 0.0),
            (right_bottom, 0.0),
            (right_bottom + (right_top - right_bottom) * frac, height),
            (left_bottom + (left_top - left_bottom) * frac, height),
        ]
        parts.append(at(ring))
        ids.append(f"s{k}")
        gap_bottom = draw(st.sampled_from([0.0, 0.0, 5.0, 20.0, 45.0, 80.0]))
        gap_top = draw(st.sampled_from([0.0, 0.0, 5.0, 20.0, 45.0, 80.0]))
        left_bottom, left_top = right_bottom + gap_bottom, right_top + gap_top
    if draw(st.booleans()):  # an island of its own part off the tops, 5-80 m away
        x0 = draw(st.floats(-100, 800))
        y0 = 1200.0 + draw(st.sampled_from([5.0, 20.0, 45.0, 80.0]))
        parts.append(at([(x0, y0), (x0 + 300, y0), (x0 + 300, y0 + 100), (x0, y0 + 100)]))
        ids.append("island")
    return _shared_vertices(parts), ids


def _shared_vertices(parts: list[BaseGeometry]) -> list[BaseGeometry]:
    """Give neighbours that share a side each other's corners on it (a valid coverage)."""
    out = []
    for k, part in enumerate(parts):
        others = [parts[j] for j in (k - 1, k + 1) if 0 <= j < len(parts)]
        corners = [c for o in others for c in shapely.get_coordinates(o)]
        ring = list(map(tuple, shapely.get_coordinates(part)[:-1]))
        for corner in map(tuple, corners):
            point = shapely.Point(corner)
            for i in range(len(ring)):
                edge = shapely.LineString([ring[i], ring[(i + 1) % len(ring)]])
                if corner not in ring and edge.distance(point) < 1e-9 * abs(X0):
                    ring.insert(i + 1, corner)
                    break
        out.append(shapely.Polygon(ring))
    return out


@settings(max_examples=60, deadline=None)
@given(st.composite(strips)(), st.none() | st.tuples(st.floats(0, 1500), st.floats(0, 1200)))
def test_windowed_search_matches_the_whole_union_on_random_strips(
    coverage: tuple[list[BaseGeometry], list[str]], cut_at: tuple[float, float] | None
) -> None:
    parts, ids = coverage
    array = np.array(parts, dtype=object)
    if not shapely.coverage_is_valid(array):  # a rounding left a crossing: not a coverage
        return
    cut = None if cut_at is None else rect(*cut_at, cut_at[0] + 150, cut_at[1] + 400)
    assert_same_as_whole_union(parts, ids, cut)
