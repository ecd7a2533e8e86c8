from __future__ import annotations

import pytest
import shapely
from common import geod_km2
from shapely.geometry import Point, box

from autocity_gis._errors import InputError
from autocity_gis.estimate import anchor_between, grow_from_anchor

PARENT = box(125.0, 43.7, 125.4, 44.0)
EAST_NEIGHBOUR = box(125.4, 43.7, 125.6, 44.0)
NORTH_NEIGHBOUR = box(125.0, 44.0, 125.6, 44.2)


def test_anchor_is_the_common_corner() -> None:
    anchor = anchor_between(PARENT, [EAST_NEIGHBOUR, NORTH_NEIGHBOUR])
    assert anchor.equals_exact(Point(125.4, 44.0), 1e-9)


def test_anchor_with_one_neighbour_is_the_shared_border() -> None:
    anchor = anchor_between(PARENT, [EAST_NEIGHBOUR])
    assert anchor.length == pytest.approx(0.3)


def test_anchor_needs_a_shared_border() -> None:
    with pytest.raises(InputError, match="shares no border"):
        anchor_between(PARENT, [box(126, 43, 127, 44)])


@pytest.mark.parametrize("target", [1.0, 50.0, 300.0])
def test_grown_area_matches_the_stated_area(target: float) -> None:
    anchor = Point(125.4, 44.0)
    est = grow_from_anchor(PARENT, anchor, target)
    assert geod_km2(est.geometry) == pytest.approx(target, rel=2e-6)
    assert shapely.difference(est.geometry, PARENT).area < 1e-12
    assert est.geometry.distance(anchor) < 1e-9


def test_growth_avoids_earlier_estimates() -> None:
    corner = Point(125.4, 44.0)
    first = grow_from_anchor(PARENT, corner, 80.0)
    second = grow_from_anchor(PARENT, corner, 120.0, exclude=first.geometry)
    assert shapely.intersection(first.geometry, second.geometry).area < 1e-12
    assert geod_km2(second.geometry) == pytest.approx(120.0, rel=2e-6)


def test_too_large_a_target_is_refused() -> None:
    with pytest.raises(InputError, match="less than the stated"):
        grow_from_anchor(PARENT, Point(125.4, 44.0), 10_000.0)
