"""Estimated geometry: reproducible stand-ins for components nobody has published.

No public polygon exists for the development zones or for Daling and Fanjiatun towns. Rather
than drawing them by hand, this module derives each one from official inputs and stated facts
only: the official polygon of the parent administrative unit, the neighbours the public record
names, and the stated area. A component is grown as a disc from an *anchor* -- the point where
its parent meets the named neighbours (or the shared border with one neighbour) -- clipped to the
parent less the components estimated before it, and the disc's radius is solved by bisection
until the clipped shape's geodesic area equals the stated area. The result sits in the right
parent, against the right borders, never overlaps an earlier estimate, and has the published
size; its shape is schematic, which is why every output marks it ``estimated``.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from ._errors import InputError
from ._proj import local_laea
from .area import geodesic_area_km2
from .layers import polygonal

#: Relative accuracy to which the estimated area matches the stated area.
AREA_RTOL = 1e-6


@dataclass(frozen=True)
class Estimate:
    """One estimated geometry and how it was made.

    Attributes
    ----------
    geometry : shapely geometry
        The estimated polygon in EPSG:4326.
    anchor : shapely geometry
        The point or border line it was grown from.
    radius_m : float
        Radius of the disc that, clipped to the parent, has the stated area.
    area_km2 : float
        Geodesic area of ``geometry``.
    """

    geometry: BaseGeometry
    anchor: BaseGeometry
    radius_m: float
    area_km2: float


def anchor_between(parent: BaseGeometry, neighbours: list[BaseGeometry]) -> BaseGeometry:
    """Return where ``parent`` meets its named neighbours.

    Parameters
    ----------
    parent : shapely geometry
        The parent unit (lon/lat).
    neighbours : list of shapely geometry
        One neighbour: the anchor is the shared border line. Two or more: the anchor is the
        point of the border shared with the first that lies nearest to the others (their
        common corner, robust to tiny digitising mismatches).

    Returns
    -------
    shapely geometry
        A line or a point in lon/lat.

    Raises
    ------
    InputError
        If the parent does not touch the first neighbour.
    """
    shared = shapely.intersection(parent.boundary, neighbours[0].boundary)
    shared = shapely.line_merge(shapely.union_all(shapely.get_parts(shared)))
    if shared.is_empty or shared.length == 0:
        raise InputError("the parent unit shares no border with the first named neighbour.")
    if len(neighbours) == 1:
        return shared
    others = shapely.union_all([n.boundary for n in neighbours[1:]])
    return nearest_points(shared, others)[0]


def grow_from_anchor(
    parent: BaseGeometry,
    anchor: BaseGeometry,
    target_km2: float,
    *,
    exclude: BaseGeometry | None = None,
) -> Estimate:
    """Grow a disc around ``anchor`` inside ``parent`` until it has ``target_km2``.

    Parameters
    ----------
    parent : shapely geometry
        Polygon (lon/lat, WGS 84) the estimate must lie in.
    anchor : shapely geometry
        Point or line to grow from.
    target_km2 : float
        Stated area to reach (geodesic, WGS 84 ellipsoid).
    exclude : shapely geometry, optional
        Area already taken by earlier estimates.

    Returns
    -------
    Estimate
        Its area equals ``target_km2`` to a relative 1e-6.

    Raises
    ------
    InputError
        If the parent (less ``exclude``) is smaller than ``target_km2``.
    """
    room = parent if exclude is None else shapely.difference(parent, exclude)
    room_km2 = float(geodesic_area_km2(room))
    if room_km2 < target_km2:
        raise InputError(
            f"the parent unit has only {room_km2:.2f} km² left, less than the stated "
            f"{target_km2:.2f} km²."
        )
    centre = anchor.centroid
    projection = local_laea(centre.x, centre.y)
    anchor_m = projection.to_local(anchor)
    xmin, ymin, xmax, ymax = projection.to_local(room).bounds
    hi = 2.0 * max(xmax - xmin, ymax - ymin)

    def clipped(radius: float) -> tuple[BaseGeometry, float]:
        # Segmentised so the disc's edges stay ~100 m or shorter once back in lon/lat.
        disc = shapely.segmentize(anchor_m.buffer(radius, quad_segs=64), 100.0)
        disc_ll = projection.to_lonlat(disc)
        shape = polygonal(shapely.intersection(room, disc_ll))
        return shape, float(geodesic_area_km2(shape))

    lo = 0.0
    shape, area = clipped(hi)
    for _ in range(200):
        mid = (lo + hi) / 2
        shape, area = clipped(mid)
        if abs(area - target_km2) <= AREA_RTOL * target_km2:
            break
        lo, hi = (mid, hi) if area < target_km2 else (lo, mid)
    return Estimate(
        geometry=shapely.orient_polygons(shape), anchor=anchor, radius_m=mid, area_km2=area
    )
