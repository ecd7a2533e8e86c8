from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import shapely
from common import EAST, SOUTH, WEST, geod_km2
from common import cell as box

from autocity_gis.composition import compose, compose_geometries
from autocity_gis.recipe import load_recipe

DEG_PER_M_LON = 1 / (111_320 * np.cos(np.radians(43.85)))


def test_shared_edges_form_a_coverage() -> None:
    result = compose_geometries(np.array([WEST, EAST, SOUTH]), ids=["w", "e", "s"])
    assert result.method == "coverage"
    assert result.boundary.geom_type == "Polygon"
    assert result.overlaps == () and result.gaps == ()
    expected = geod_km2(box(125.10, 43.70, 125.30, 43.90))
    assert geod_km2(result.boundary) == pytest.approx(expected, rel=1e-9)


def test_overlap_is_reported_with_its_area() -> None:
    shifted = shapely.affinity.translate(EAST, xoff=-0.02)  # 0.02° into WEST
    result = compose_geometries(np.array([WEST, shifted]), ids=["w", "e"])
    assert result.method == "cleaned"
    [(a, b, geom)] = result.overlaps
    assert (a, b) == ("w", "e")
    assert geod_km2(geom) == pytest.approx(geod_km2(box(125.18, 43.80, 125.20, 43.90)), rel=1e-6)
    union = geod_km2(box(125.10, 43.80, 125.28, 43.90))
    assert geod_km2(result.boundary) == pytest.approx(union, rel=1e-6)


def test_wide_enclosed_area_is_a_hole_not_a_gap() -> None:
    ring = [
        box(125.10, 43.80, 125.30, 43.85),
        box(125.10, 43.85, 125.15, 43.95),
        box(125.25, 43.85, 125.30, 43.95),
        box(125.10, 43.95, 125.30, 44.00),
    ]
    result = compose_geometries(np.array(ring), ids=list("abcd"))
    assert result.gaps == ()
    [hole] = result.holes
    expected = geod_km2(box(125.15, 43.85, 125.25, 43.95))
    assert geod_km2(hole.geometry) == pytest.approx(expected, rel=1e-6)
    assert hole.between == ("a", "b", "c", "d") and hole.enclosed
    assert shapely.get_num_interior_rings(result.boundary) == 1


def test_narrow_enclosed_gap_is_a_gap() -> None:
    step = 20 * DEG_PER_M_LON  # a 20 m wide enclosed slot between b and c
    ring = [
        box(125.10, 43.80, 125.30, 43.85),
        box(125.10, 43.85, 125.20, 43.95),
        box(125.20 + step, 43.85, 125.30, 43.95),
        box(125.10, 43.95, 125.30, 44.00),
    ]
    result = compose_geometries(np.array(ring), ids=list("abcd"))
    [gap] = result.gap_details
    assert gap.enclosed and set(gap.between) >= {"b", "c"}
    assert gap.width_m == pytest.approx(20.0, rel=0.02)
    assert result.holes == ()


def test_slivers_are_closed_not_reported() -> None:
    gap = 0.5 * DEG_PER_M_LON  # half a metre between neighbours digitised separately
    east = box(125.20 + gap, 43.80, 125.30, 43.90)
    result = compose_geometries(np.array([WEST, east]), ids=["w", "e"], snap_tolerance_m=1.0)
    assert result.method == "cleaned"
    assert result.boundary.geom_type == "Polygon"
    assert len(shapely.get_parts(result.boundary)) == 1
    assert result.gaps == ()
    assert shapely.get_num_interior_rings(result.boundary) == 0
    expected = geod_km2(box(125.10, 43.80, 125.30, 43.90))
    assert geod_km2(result.boundary) == pytest.approx(expected, rel=1e-5)


def test_wide_gap_between_separate_parts_is_kept() -> None:
    far = shapely.affinity.translate(EAST, xoff=0.05)
    result = compose_geometries(np.array([WEST, far]), ids=["w", "e"])
    assert result.boundary.geom_type == "MultiPolygon"
    assert geod_km2(result.boundary) == pytest.approx(geod_km2(WEST) + geod_km2(far), rel=1e-9)


def test_subtract_role_cuts_a_hole() -> None:
    hole = box(125.14, 43.84, 125.16, 43.86)
    result = compose_geometries(np.array([WEST, hole]), ids=["w", "h"], roles=["part", "subtract"])
    assert geod_km2(result.boundary) == pytest.approx(geod_km2(WEST) - geod_km2(hole), rel=1e-6)


def test_boundary_is_counter_clockwise() -> None:
    cw = shapely.orient_polygons(WEST, exterior_cw=True)
    result = compose_geometries(np.array([cw]), ids=["w"])
    assert result.boundary.exterior.is_ccw


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_union_does_not_depend_on_order(order: tuple[int, ...]) -> None:
    geoms = [WEST, shapely.affinity.translate(EAST, xoff=-0.01), SOUTH]
    ids = ["w", "e", "s"]
    result = compose_geometries(np.array([geoms[i] for i in order]), ids=[ids[i] for i in order])
    reference = shapely.union_all(geoms)
    assert geod_km2(result.boundary) == pytest.approx(geod_km2(reference), rel=1e-7)
    assert {frozenset(o[:2]) for o in result.overlaps} == {frozenset({"w", "e"})}


def test_compose_recipe_end_to_end(write_recipe: Callable[..., Path]) -> None:
    path = write_recipe(
        [
            {"id": "w", "geometry": WEST, "accuracy": "estimated"},
            {"id": "e", "geometry": EAST},
        ],
        stated={"w": 90.0},
    )
    comp = compose(load_recipe(path))
    assert list(comp.components["id"]) == ["w", "e"]
    assert list(comp.components["accuracy"]) == ["estimated", "official"]
    assert comp.components["measured_km2"].iloc[0] == pytest.approx(geod_km2(WEST), rel=1e-9)
    assert comp.boundary["area_km2"].iloc[0] == pytest.approx(
        geod_km2(box(125.10, 43.80, 125.30, 43.90)), rel=1e-9
    )
    assert comp.boundary.crs.to_epsg() == 4326
    assert comp.context.empty


def test_embedded_composition_is_a_coverage() -> None:
    comp = compose(load_recipe())
    assert comp.method == "coverage"
    assert comp.overlaps.empty and comp.gaps.empty
    assert set(comp.components["accuracy"]) == {"estimated"}
    assert len(comp.context) == 7
    assert comp.warnings == ()


def test_subtract_covering_every_part_is_one_line() -> None:
    from autocity_gis._errors import InputError

    big = box(125.05, 43.75, 125.35, 43.95)
    with pytest.raises(InputError) as exc:
        compose_geometries(
            np.array([WEST, EAST, big]), ids=["w", "e", "lake"], roles=["part", "part", "subtract"]
        )
    text = str(exc.value)
    assert "\n" not in text
    assert "the subtract component 'lake' covers every part, so the boundary would be empty" in text


def test_subtract_components_covering_together_are_named() -> None:
    from autocity_gis._errors import InputError

    with pytest.raises(InputError, match="'a', 'b' together cover every part"):
        compose_geometries(
            np.array([WEST, EAST, WEST, EAST]),
            ids=["w", "e", "a", "b"],
            roles=["part", "part", "subtract", "subtract"],
        )


def test_subtract_covering_everything_names_the_recipe(tmp_path: Path) -> None:
    from hostile.corpus import component, two_cells, write_recipe

    from autocity_gis._errors import InputError

    layer = two_cells(tmp_path)
    recipe = write_recipe(
        tmp_path,
        [
            component("w", layer.name, filter_id="w"),
            component("cut", layer.name, filter_id="w", role="subtract"),
        ],
    )
    with pytest.raises(InputError) as exc:
        compose(load_recipe(recipe))
    assert str(exc.value).startswith(f"{recipe.resolve()}: the subtract component 'cut' covers")


def test_each_file_is_read_once_however_many_components_it_feeds(
    write_recipe, monkeypatch: pytest.MonkeyPatch
) -> None:
    from collections import Counter

    from autocity_gis import _gdal
    from autocity_gis.recipe import load_recipe

    path = write_recipe(
        [
            {"id": "w", "geometry": WEST},
            {"id": "e", "geometry": EAST},
            {"id": "s", "geometry": SOUTH},
        ]
    )
    opened: Counter[str] = Counter()
    real = _gdal.read_file

    def counting(file, **kwargs):  # type: ignore[no-untyped-def]
        opened[file.name] += 1
        return real(file, **kwargs)

    monkeypatch.setattr(_gdal, "read_file", counting)
    composition = compose(load_recipe(path))
    assert list(composition.components["id"]) == ["w", "e", "s"]
    assert opened == {"parts.geojson": 1}
