"""Tests of the group union (autocity_gis._union: coverage_union, union_groups) and of the
whole-layer block that uses it, through the public API: a 2x2 grid of cells built in code.

The assertions once made of autocity_gis.batch (retired) live here on the public path: a group
of units that form a coverage is their exact union, a group with an overlapping unit falls back
to an overlay union, and each group's area is its geodesic area (pyproj.Geod as the truth).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from common import check, geod_km2

from autocity_gis._union import coverage_union, union_groups

STEP = 0.25


def cell(i: int, j: int) -> shapely.Polygon:
    """One grid cell; neighbours share their edges vertex for vertex (a coverage)."""
    x0, y0 = 125.0 + i * STEP, 43.0 + j * STEP
    return shapely.Polygon(
        [(x0, y0), (x0 + STEP, y0), (x0 + STEP, y0 + STEP), (x0, y0 + STEP)]
    )


def grid(extra: list[tuple[str, str, shapely.Polygon]] | None = None) -> gpd.GeoDataFrame:
    """West column group "a", east column group "b"; names in Chinese, as county names are."""
    rows = [("a", "西甲", cell(0, 0)), ("a", "西乙", cell(0, 1)),
            ("b", "东甲", cell(1, 0)), ("b", "东乙", cell(1, 1)), *(extra or [])]
    return gpd.GeoDataFrame(
        {"group": [r[0] for r in rows], "name": [r[1] for r in rows]},
        geometry=[r[2] for r in rows], crs="EPSG:4326",
    )


def block_recipe(frame: gpd.GeoDataFrame) -> dict[str, object]:
    return {
        "city": {"name_en": "Grid", "target_km2": 2500.0, "tolerance_pct": 50.0},
        "components": [{"layer": frame, "id_column": "group", "name_zh_column": "name"}],
    }


WEST_COLUMN = shapely.box(125.0, 43.0, 125.25, 43.5)
EAST_COLUMN = shapely.box(125.25, 43.0, 125.5, 43.5)


def test_coverage_union_of_shared_edges_is_the_union() -> None:
    parts = np.array([cell(0, 0), cell(0, 1), cell(1, 0), cell(1, 1)], dtype=object)
    union = coverage_union(parts)
    assert union is not None
    assert shapely.equals(union, shapely.box(125.0, 43.0, 125.5, 43.5))


@pytest.mark.parametrize(
    "second",
    [
        shapely.box(125.1, 43.1, 125.4, 43.4),  # edges cross
        cell(0, 0),  # a duplicate: every edge shared in the same direction
        shapely.box(125.05, 43.05, 125.1, 43.1),  # nested, no shared vertex
        # shares one edge on the same side: a triangle inside the cell on its south edge
        shapely.Polygon([(125.0, 43.0), (125.25, 43.0), (125.125, 43.1)]),
    ],
    ids=["crossing", "duplicate", "nested", "same-side-edge"],
)
def test_coverage_union_refuses_overlaps(second: shapely.Polygon) -> None:
    assert shapely.intersection(cell(0, 0), second).area > 0  # the fixture overlaps
    assert coverage_union(np.array([cell(0, 0), second], dtype=object)) is None


@pytest.mark.parametrize("workers", [1, 2])
def test_union_groups_is_the_union_of_each_group(workers: int) -> None:
    overlapping = shapely.box(125.3, 43.1, 125.45, 43.4)
    groups = [
        np.array([cell(0, 0), cell(0, 1)], dtype=object),
        np.array([cell(1, 0), cell(1, 1), overlapping], dtype=object),
        np.array([cell(3, 3)], dtype=object),
    ]
    out = union_groups(groups, workers=workers)
    assert shapely.equals(out[0], WEST_COLUMN)
    assert shapely.equals(out[1], EAST_COLUMN)
    assert shapely.equals(out[2], cell(3, 3))


def test_block_groups_are_unions_with_geodesic_areas() -> None:
    composition, _ = check(block_recipe(grid()))
    components = composition.components.set_index("id")
    assert sorted(components.index) == ["a", "b"]
    assert components.loc["a", "name_zh"] == "西甲"
    for cid, truth in (("a", WEST_COLUMN), ("b", EAST_COLUMN)):
        assert shapely.equals(components.loc[cid, "geometry"], truth)
        assert components.loc[cid, "measured_km2"] == pytest.approx(geod_km2(truth), rel=1e-6)
    assert composition.method == "coverage"
    assert len(composition.overlaps) == 0 and len(composition.gaps) == 0


def test_block_group_with_an_overlapping_unit_is_still_its_union() -> None:
    # An extra unit of "b" overlapping both its cells: "b" is not a coverage, so it is
    # merged by an overlay union, and the area is counted once.
    frame = grid([("b", "x", shapely.box(125.3, 43.1, 125.45, 43.4))])
    composition, _ = check(block_recipe(frame))
    b = composition.components.set_index("id").loc["b"]
    assert shapely.equals(b["geometry"], EAST_COLUMN)
    assert b["measured_km2"] == pytest.approx(geod_km2(EAST_COLUMN), rel=1e-6)


def test_overlapping_groups_are_still_found_and_named() -> None:
    # A unit of "a" reaching into "b": the two components overlap, which the composition
    # must name with its area, as it did before the coverage short cut.
    reach = shapely.box(125.2, 43.0, 125.3, 43.25)
    composition, _ = check(block_recipe(grid([("a", "越界", reach)])))
    assert composition.method != "coverage"
    pairs = {(o.a, o.b) for o in composition.overlaps.itertuples()}
    assert pairs == {("a", "b")}
    truth = geod_km2(shapely.box(125.25, 43.0, 125.3, 43.25))
    assert float(composition.overlaps["area_km2"].sum()) == pytest.approx(truth, rel=1e-3)


def test_an_invalid_coverage_union_is_repaired_and_finished_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The union's validity is tested beside the composition: were GEOS ever to return an
    invalid union of a valid coverage, the boundary is made from the repaired union."""
    from autocity_gis import _union

    real = _union._coverage_union_all

    def crossed(parts: np.ndarray) -> object:
        union = real(parts)
        x0, y0, x1, y1 = union.bounds
        return shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])  # a bow-tie

    monkeypatch.setattr(_union, "_coverage_union_all", crossed)
    parts = np.array([shapely.box(125, 43, 125.1, 43.1), shapely.box(125.1, 43, 125.2, 43.1)])
    result = _union.compose_geometries(parts, ids=["a", "b"])
    assert result.method == "coverage" and result.boundary.is_valid
    assert shapely.get_num_geometries(result.boundary) == 2  # the bow-tie's two triangles
