"""Where a composition's parts fail to tile: narrow gaps, real holes and what a subtract removes.

This module owns the geometric diagnostics of :func:`autocity_gis._union.compose_geometries`,
all in the local equal-area metres the composition works in. A *gap* is an area between two
or more parts narrower than the gap width, whether it is enclosed by the parts or opens onto
the outer edge (a slit running in from the edge between two zones). Enclosed areas are judged
whole: a hole in the union of the parts is a gap when it touches two or more parts and is
narrower than the gap width, otherwise a *hole* -- an enclave the data really have (a hole in one
part's own polygon, or an enclosed area wider than the gap width). Open gaps are found by a
morphological closing of the union (``union.buffer(w/2).buffer(-w/2)`` with mitred joins, so
corners come back exactly and only what is narrower than ``w`` is filled): what the closing adds
outside the union's outer rings, touching two or more parts, is a gap; a narrow notch in one
part's own outline is not. GEOS's coverage validation (``shapely.coverage_invalid_edges`` with a
gap width) finds only gaps enclosed by the coverage, which is why the closing is used here.
The closing is computed only in windows where outer edges of two different parts meet or come
close (:mod:`autocity_gis._open_gaps`), the only places an open gap can be; a small union, or
one whose outer edges cannot be told apart by part, is closed whole.
Areas that a subtracted component covers are never gaps or holes: they are cut out on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from ._open_gaps import closing, open_gap_pieces
from .layers import polygonal
from .recipe import DEFAULT_GAP_WIDTH_M

__all__ = ["DEFAULT_GAP_WIDTH_M", "Patch", "closing", "gaps_and_holes", "width_m"]
#: Pieces smaller than this (m²) are floating-point residue of the overlays, not areas.
_RESIDUE_M2 = 0.01
#: Narrowest area ever reported (m), whatever the snap tolerance.
_MIN_WIDTH_M = 0.01


@dataclass(frozen=True)
class Patch:
    """One diagnostic area in local metres.

    Attributes
    ----------
    geometry : shapely geometry
        The area (Polygon or MultiPolygon), in the composition's local metres.
    between : tuple of str
        Ids of the parts whose outlines bound it, in the order given.
    enclosed : bool
        Whether the parts enclose it (False: it opens onto the outer edge).
    width_m : float
        Diameter of the largest circle inside it (its widest point), in metres.
    """

    geometry: BaseGeometry
    between: tuple[str, ...]
    enclosed: bool
    width_m: float


def width_m(geom: BaseGeometry) -> float:
    """Return the diameter of the largest circle that fits inside ``geom`` (metres).

    The tolerance of GEOS's search is 1 % of the mean width ``2·area/perimeter``, so a long
    slit is measured to a few centimetres and a large enclave quickly.

    Examples
    --------
    >>> round(width_m(shapely.box(0, 0, 9000, 8)), 1)
    8.0
    """
    if geom.is_empty or geom.area <= 0.0:
        return 0.0
    best = 0.0
    for part in shapely.get_parts(geom):
        if part.area <= 0.0:
            continue
        tolerance = max(_MIN_WIDTH_M, 2.0 * part.area / part.length / 100.0)
        best = max(best, 2.0 * shapely.maximum_inscribed_circle(part, tolerance).length)
    return best


class _Parts:
    """The parts with a spatial index, to name the ones that bound an area."""

    def __init__(self, parts: np.ndarray, ids: list[str], eps: float) -> None:
        self.parts = parts
        self.ids = ids
        self.eps = eps
        # Outlines only of the parts asked about: all of them is a copy of every vertex.
        self.outlines: dict[int, BaseGeometry] = {}
        self.tree = shapely.STRtree(parts)

    def around(self, piece: BaseGeometry) -> tuple[str, ...]:
        """Ids of the parts whose outline runs along ``piece`` (a shared corner is not enough)."""
        near = piece.buffer(self.eps)
        found = []
        for i in sorted(self.tree.query(near).tolist()):
            if i not in self.outlines:
                self.outlines[i] = shapely.boundary(self.parts[i])
            shared = shapely.intersection(self.outlines[i], near).length
            if shared > max(4 * self.eps, 1.0):
                found.append(self.ids[i])
        return tuple(found)


def gaps_and_holes(
    union: BaseGeometry,
    parts: np.ndarray,
    ids: list[str],
    *,
    gap_width_m: float,
    sliver_m: float,
    cut: BaseGeometry | None = None,
) -> tuple[list[Patch], list[Patch]]:
    """Find the gaps between parts and the holes of their union.

    Parameters
    ----------
    union : shapely geometry
        Union of the parts (after sliver cleaning), local metres.
    parts : numpy.ndarray of shapely geometries
        The parts as given, local metres.
    ids : list of str
        Ids of ``parts``.
    gap_width_m : float
        Areas between parts narrower than this are gaps; ``0`` reports only enclosed ones.
    sliver_m : float
        Areas narrower than this are slivers (closed or ignored), never reported.
    cut : shapely geometry, optional
        Union of the subtracted components: areas under it are not gaps or holes.

    Returns
    -------
    gaps, holes : list of Patch
        Each in a stable order (west to east, then south to north).
    """
    eps = max(sliver_m / 2, _MIN_WIDTH_M) + _MIN_WIDTH_M
    index = _Parts(parts, ids, eps)
    polys = [p for p in shapely.get_parts(union) if not p.is_empty]
    filled = _filled(polys) if polys else None
    gaps: list[Patch] = []
    holes: list[Patch] = []

    def pieces(geom: BaseGeometry) -> list[BaseGeometry]:
        if cut is not None and not cut.is_empty:
            geom = polygonal(shapely.difference(geom, cut))
        return [p for p in shapely.get_parts(geom) if p.area > _RESIDUE_M2]

    for poly in polys:
        for ring in poly.interiors:
            for piece in pieces(shapely.Polygon(ring)):
                width = width_m(piece)
                if width < max(sliver_m, _MIN_WIDTH_M):
                    continue
                between = index.around(piece)
                narrow = gap_width_m > 0 and width < gap_width_m
                target = gaps if narrow and len(between) >= 2 else holes
                target.append(Patch(piece, between, True, width))
    if filled is not None and gap_width_m > 0:
        added = _added(union, polys, filled, parts, gap_width_m)
        for piece in (p for geom in added for p in pieces(geom)):
            width = width_m(piece)
            if width < max(sliver_m, _MIN_WIDTH_M):
                continue
            between = index.around(piece)
            if len(between) >= 2:  # one part alone: a notch in its own outline
                gaps.append(Patch(piece, between, False, width))
    return _ordered(gaps), _ordered(holes)


def _added(
    union: BaseGeometry,
    polys: list[BaseGeometry],
    filled: BaseGeometry,
    parts: np.ndarray,
    width: float,
) -> list[BaseGeometry]:
    """Return what the closing adds outside ``filled``.

    Window by window near two parts' outer edges (:mod:`autocity_gis._open_gaps`), or over
    the whole union when its outer edges cannot be told apart by part.
    """
    found = open_gap_pieces(polys, filled, parts, width)
    if found is not None:
        return found
    return [polygonal(shapely.difference(closing(union, width), filled))]


def _filled(polys: list[BaseGeometry]) -> BaseGeometry:
    """Return the union of the polygons' exteriors (their holes filled), without an overlay.

    The polygons are the parts of one valid union, so their exteriors either touch at points
    or nest (an island in another part's hole); the outermost ones, as a multipolygon, are the
    union. A nested exterior is found as one that a hole contains.
    """
    parts = np.array(polys, dtype=object)
    shells = shapely.polygons(shapely.get_exterior_ring(parts))
    nested = np.zeros(len(parts), dtype=bool)
    rings = [ring for part in polys for ring in part.interiors]
    if rings:
        _, inside = shapely.STRtree(shells).query(shapely.polygons(rings), predicate="contains")
        nested[inside] = True
    return shapely.multipolygons(shells[~nested])


def _ordered(patches: list[Patch]) -> list[Patch]:
    def key(p: Patch) -> tuple[float, float]:
        point = p.geometry.representative_point()
        return (round(point.x, 3), round(point.y, 3))

    return sorted(patches, key=key)
