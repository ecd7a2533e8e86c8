"""The geometry of a composition: one sliver-free boundary from polygons, and its defects.

This module owns :func:`compose_geometries`, the step :func:`autocity_gis.composition.compose`
takes once the components are loaded: in a local Lambert azimuthal equal-area projection
centred on the data (tolerances are metres), the parts' coverage union when they form a valid
coverage, else their union after GEOS ``CoverageCleaner``; then the subtracted components are
cut out, and overlaps, gaps and holes wider than the tolerances are measured and located. The
coverage check runs on a second core while the coverage union and its diagnostics are made on
the first; they are kept only if the check passes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from ._diagnostics import DEFAULT_GAP_WIDTH_M, Patch, gaps_and_holes, width_m
from ._errors import InputError
from ._proj import LocalProjection, local_laea_for
from .layers import polygonal

#: Relative difference allowed between the area of the parts' coverage union and the sum of
#: their areas. Both are exact sums of the same cross products up to round-off (about 1e-13 of
#: the total on 4 M vertices); an overlap or a missing piece shows as at least its own area.
AREA_RTOL = 1e-9


def coverage_union(parts: NDArray[np.object_]) -> BaseGeometry | None:
    """Return the parts' union when they provably form a polygonal coverage, else None.

    ``shapely.coverage_union_all`` only drops the segments two parts share; it is an order of
    magnitude faster than an overlay union but assumes a coverage. Instead of the edge-by-edge
    check ``shapely.coverage_is_valid`` (3.5 times the union's own time on the country job),
    the result is accepted when it is a valid polygon (parts whose edges cross without a shared
    vertex, or that nest, leave crossing or stacked rings) and conserves area: its area equals
    the sum of the parts' areas (an overlap is counted once by a union and twice by the sum; a
    same-direction shared edge, i.e. parts on the same side of it, drops area). Parts are
    valid polygons, as every layer reader leaves them.

    Parameters
    ----------
    parts : numpy.ndarray of shapely geometries
        Valid polygons in one planar coordinate system (lon/lat works: the identity is
        planar).

    Returns
    -------
    shapely geometry or None
        The union, or None if the parts are not shown to be a coverage (use an overlay).

    Examples
    --------
    >>> from shapely import box
    >>> coverage_union(np.array([box(0, 0, 1, 1), box(1, 0, 2, 1)])).area
    2.0
    >>> coverage_union(np.array([box(0, 0, 2, 2), box(1, 1, 3, 3)])) is None
    True
    """
    try:
        union = shapely.coverage_union_all(parts)
    except shapely.errors.GEOSException:  # GEOS noticed an overlap itself
        return None
    total = float(shapely.area(parts).sum())
    if abs(union.area - total) > AREA_RTOL * total or not union.is_valid:
        return None
    return union


def union_groups(
    groups: Sequence[NDArray[np.object_]], *, workers: int | None = None
) -> list[BaseGeometry]:
    """Union each group of polygons, the groups shared among threads.

    Each group is merged by :func:`coverage_union` when its polygons form a coverage and by
    ``shapely.union_all`` otherwise, so the result is the union either way, and valid (a
    one-polygon group is returned as it is: valid polygons in, as above). GEOS releases the
    GIL in both, so the groups (largest first, to keep the threads evenly loaded) run on
    every core.

    Parameters
    ----------
    groups : sequence of numpy.ndarray of shapely geometries
        Valid polygons, one array per group.
    workers : int, optional
        Threads; the number of CPUs (at most 8) by default.

    Returns
    -------
    list of shapely geometry
        One union per group, in the order of ``groups``.
    """
    n_workers = min(workers or os.cpu_count() or 1, 8, max(len(groups), 1))
    sizes = [int(shapely.get_num_coordinates(g).sum()) for g in groups]
    schedule = sorted(range(len(groups)), key=lambda i: -sizes[i])
    out: list[BaseGeometry] = [shapely.Polygon()] * len(groups)
    with ThreadPoolExecutor(n_workers) as pool:
        unions = pool.map(lambda i: _group_union(groups[i]), schedule)
        for i, union in zip(schedule, unions, strict=True):
            out[i] = union
    return out


def _group_union(parts: NDArray[np.object_]) -> BaseGeometry:
    if len(parts) == 1:
        return parts[0]
    union = coverage_union(parts)  # valid when not None: coverage_union checks it
    return union if union is not None else shapely.make_valid(shapely.union_all(parts))


@dataclass(frozen=True)
class Diagnostic:
    """One gap, hole or overlap in EPSG:4326, measured in metres.

    Attributes
    ----------
    geometry : shapely geometry
        The area, in lon/lat.
    between : tuple of str
        Ids of the parts around it (for an overlap: the two parts sharing it).
    enclosed : bool
        Whether the parts enclose it (False: it opens onto the outer edge).
    width_m : float
        Diameter of the largest circle inside it, in metres.
    lon, lat : float
        A point inside it.
    """

    geometry: BaseGeometry
    between: tuple[str, ...]
    enclosed: bool
    width_m: float
    lon: float
    lat: float


@dataclass(frozen=True)
class GeometryResult:
    """Geometric result of :func:`compose_geometries` (all in EPSG:4326).

    Attributes
    ----------
    boundary : shapely geometry
        The union of the parts less the subtracted components, oriented counter-clockwise.
    overlaps : tuple of (str, str, geometry)
        Overlaps wider than the snap tolerance between pairs of parts.
    gaps : tuple of geometry
        Areas between parts narrower than the gap width, enclosed or open to the outer edge
        (the geometries of ``gap_details``).
    method : str
        ``coverage``, ``cleaned`` or ``overlay``.
    warnings : tuple of str
        Slivers removed and similar notes.
    gap_details : tuple of Diagnostic
        The gaps with the parts around them, width and location.
    holes : tuple of Diagnostic
        Holes the data have: in one part's own polygon, or enclosed and wider than the gap
        width.
    overlap_details : tuple of Diagnostic
        The overlaps (same order as ``overlaps``) with width and location.
    parts_union : shapely geometry or None
        Union of the parts before anything is subtracted.
    removed : shapely geometry or None
        What the subtracted components together cut out of ``parts_union`` (None: nothing
        to subtract).
    removed_by : tuple of (str, geometry)
        Per subtracted component, the part of ``parts_union`` it covers.
    """

    boundary: BaseGeometry
    overlaps: tuple[tuple[str, str, BaseGeometry], ...]
    gaps: tuple[BaseGeometry, ...]
    method: str
    warnings: tuple[str, ...]
    gap_details: tuple[Diagnostic, ...] = ()
    holes: tuple[Diagnostic, ...] = ()
    overlap_details: tuple[Diagnostic, ...] = ()
    parts_union: BaseGeometry | None = None
    removed: BaseGeometry | None = None
    removed_by: tuple[tuple[str, BaseGeometry], ...] = ()


def compose_geometries(
    geoms: np.ndarray,
    *,
    ids: list[str],
    roles: list[str] | None = None,
    snap_tolerance_m: float = 1.0,
    gap_width_m: float = DEFAULT_GAP_WIDTH_M,
) -> GeometryResult:
    """Union polygons in lon/lat into one sliver-free boundary and describe its defects.

    The boundary is ``union(parts) - union(subtracted)``. Gaps are areas between parts
    narrower than ``gap_width_m``, enclosed or open to the outer edge; holes are enclosed
    areas the data really have (see :mod:`autocity_gis._diagnostics`). Areas under a
    subtracted component are neither.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries
        Valid polygons in EPSG:4326.
    ids : list of str
        Names of the geometries, used in the overlap pairs.
    roles : list of str, optional
        ``part`` or ``subtract`` per geometry; all parts when omitted.
    snap_tolerance_m : float
        Vertices closer than this are snapped together, and gaps and overlaps narrower than
        twice this are treated as slivers and closed.
    gap_width_m : float
        Areas between parts narrower than this are reported as gaps (``0``: enclosed ones
        only).

    Returns
    -------
    GeometryResult
        Boundary, overlaps, gaps, holes, what was subtracted, method and warnings.

    Raises
    ------
    autocity_gis.InputError
        If the subtracted geometries cover every part (the boundary would be empty),
        naming the subtract component(s).

    Examples
    --------
    >>> from shapely import box
    >>> import numpy as np
    >>> r = compose_geometries(np.array([box(125, 43, 125.1, 43.1), box(125.1, 43, 125.2, 43.1)]),
    ...                        ids=["a", "b"])
    >>> r.method, r.boundary.geom_type, len(r.overlaps), len(r.gaps)
    ('coverage', 'Polygon', 0, 0)
    """
    roles = roles or ["part"] * len(geoms)
    is_part = np.array([r == "part" for r in roles])
    projection = local_laea_for(geoms[is_part])
    job = _Job(projection, projection.to_local(geoms), is_part, ids, snap_tolerance_m, gap_width_m)
    result = _coverage_result(job, snap_tolerance_m)
    if result is None:
        warnings: list[str] = []
        union, method = _cleaned_union(job.parts, snap_tolerance_m, warnings)
        result = job.finish(union, method, warnings)
    if isinstance(result, InputError):
        raise result
    return result


def _coverage_result(job: _Job, tol: float) -> GeometryResult | InputError | None:
    """Return the composition from the parts' coverage union, or None if they are no coverage.

    The edge-by-edge coverage check (0.45 s on the country's provinces) runs on a second core
    while the coverage union and everything made from it are computed on this one; what was
    made is dropped if the check fails. The union's validity is tested on that core after the
    check, off this one's path (GEOS makes a valid union of a valid coverage; were it not
    valid, it is repaired and finished again).
    """
    with ThreadPoolExecutor(1) as pool:
        valid = pool.submit(shapely.coverage_is_valid, job.parts, gap_width=2 * tol)
        union = _coverage_union_all(job.parts)
        sound = pool.submit(shapely.is_valid, union) if union is not None else None
        result: GeometryResult | InputError | shapely.errors.GEOSException | None = None
        if union is not None and not (valid.done() and not valid.result()):
            result = _finished(job, polygonal(union))
        if not valid.result():
            return None
        if sound is not None and not sound.result():
            result = _finished(job, polygonal(shapely.make_valid(union)))
    if isinstance(result, shapely.errors.GEOSException):
        raise result  # from a valid union: GEOS's own failure, as before
    return result


def _finished(
    job: _Job, union: BaseGeometry
) -> GeometryResult | InputError | shapely.errors.GEOSException:
    """Finish the composition from ``union``; the errors returned, to be raised if it stands."""
    try:
        return job.finish(union, "coverage", [])
    except (InputError, shapely.errors.GEOSException) as exc:  # an invalid union may fail
        return exc


class _Job:
    """One composition in local metres: what :meth:`finish` needs beside the union."""

    def __init__(
        self,
        projection: LocalProjection,
        local: np.ndarray,
        is_part: np.ndarray,
        ids: list[str],
        tol: float,
        gap_width_m: float,
    ) -> None:
        self.projection, self.local, self.is_part, self.ids = projection, local, is_part, ids
        self.parts = local[is_part]
        self.part_ids = [i for i, keep in zip(ids, is_part, strict=True) if keep]
        self.tol, self.gap_width_m = tol, gap_width_m

    def finish(self, union: BaseGeometry, method: str, warnings: list[str]) -> GeometryResult:
        """Cut the subtracted components out of ``union`` and measure overlaps, gaps and holes.

        Raises
        ------
        autocity_gis.InputError
            If the subtracted components cover every part.
        """
        projection, local, is_part, tol = self.projection, self.local, self.is_part, self.tol
        # A valid coverage has no overlaps at all: the pairwise search is for the other methods.
        overlaps, slivers = ([], 0) if method == "coverage" else _overlaps(
            self.parts, self.part_ids, tol
        )
        if slivers:  # first, as before the union's own notes
            warnings.insert(
                0,
                f"{slivers} sliver overlap(s) narrower than {2 * tol:g} m between components "
                "were assigned to one neighbour.",
            )
        subtract = local[~is_part]
        cut = shapely.union_all(subtract) if len(subtract) else None
        composed = union  # every union is valid and polygonal already
        if cut is not None:
            composed = polygonal(shapely.make_valid(shapely.difference(union, cut)))
            if composed.is_empty or composed.area <= 0.0:
                raise _covers_everything(local, is_part, self.ids)
        gaps, holes = gaps_and_holes(
            union, self.parts, self.part_ids, gap_width_m=self.gap_width_m, sliver_m=2 * tol,
            cut=cut,
        )
        cut_ids = [i for i, keep in zip(self.ids, is_part, strict=True) if not keep]
        gap_details = tuple(_diagnostic(p, projection) for p in gaps)
        parts_union = _back(union, projection)
        removed = _back(shapely.intersection(union, cut), projection) if cut is not None else None
        return GeometryResult(
            boundary=parts_union if cut is None else _back(composed, projection),
            overlaps=tuple((a, b, _back(g, projection)) for a, b, g in overlaps),
            gaps=tuple(d.geometry for d in gap_details),
            method=method,
            warnings=tuple(warnings),
            gap_details=gap_details,
            holes=tuple(_diagnostic(p, projection) for p in holes),
            overlap_details=tuple(
                _diagnostic(Patch(g, (a, b), False, width_m(g)), projection)
                for a, b, g in overlaps
            ),
            parts_union=parts_union,
            removed=removed,
            removed_by=tuple(
                (cid, _back(shapely.intersection(union, g), projection))
                for cid, g in zip(cut_ids, subtract, strict=True)
            ),
        )


def _cleaned_union(
    parts: NDArray[np.object_], tol: float, warnings: list[str]
) -> tuple[BaseGeometry, str]:
    """Return the union of parts that are not a valid coverage, noting closed slivers.

    ``CoverageCleaner`` snaps and closes gaps under ``2·tol``; if GEOS cannot clean the parts,
    an overlay union on a ``tol`` grid.
    """
    try:
        cleaned = shapely.coverage_clean(parts, gap_width=2 * tol, snapping_distance=tol)
        union, method = shapely.coverage_union_all(cleaned), "cleaned"
    except shapely.errors.GEOSException:
        union = shapely.union_all(parts, grid_size=tol if tol > 0 else None)
        method = "overlay"
    closed = union.area - shapely.union_all(parts).area
    if closed > 0.5:
        warnings.append(
            f"closed {closed / 1e6:.4f} km² of gaps narrower than {2 * tol:g} m between "
            "components (digitising slivers)."
        )
    return polygonal(shapely.make_valid(union)), method


def _coverage_union_all(parts: NDArray[np.object_]) -> BaseGeometry | None:
    """Return the parts' coverage union (None: GEOS saw an overlap).

    It is the union only if the parts form a valid coverage, and valid only then, which the
    caller checks.
    """
    try:
        return shapely.coverage_union_all(parts)
    except shapely.errors.GEOSException:  # not a coverage: the check says so too
        return None


def _back(geom: BaseGeometry, projection: LocalProjection) -> BaseGeometry:
    """Return a local polygonal geometry in lon/lat, exterior rings counter-clockwise."""
    return shapely.orient_polygons(projection.to_lonlat(polygonal(geom)))


def _diagnostic(patch: Patch, projection: LocalProjection) -> Diagnostic:
    point = projection.to_lonlat(patch.geometry.representative_point())
    return Diagnostic(
        geometry=shapely.orient_polygons(projection.to_lonlat(patch.geometry)),
        between=patch.between,
        enclosed=patch.enclosed,
        width_m=patch.width_m,
        lon=float(point.x),
        lat=float(point.y),
    )


def _covers_everything(local: np.ndarray, is_part: np.ndarray, ids: list[str]) -> InputError:
    """Name the subtract component(s) that leave nothing of the parts."""
    parts = shapely.union_all(local[is_part])
    cut = [(i, g) for i, g, part in zip(ids, local, is_part, strict=True) if not part]
    alone = [i for i, g in cut if polygonal(shapely.difference(parts, g)).area <= 0.0]
    if alone:
        who = f"the subtract component '{alone[0]}'"
    else:
        who = "the subtract components " + ", ".join(f"'{i}'" for i, _ in cut) + " together"
    return InputError(
        f"{who} cover{'s' if alone else ''} every part, so the boundary would be empty; check "
        f"{'its' if alone else 'their'} layer, filter and role."
    )


def _overlaps(
    parts: np.ndarray, ids: list[str], tol: float
) -> tuple[list[tuple[str, str, BaseGeometry]], int]:
    tree = shapely.STRtree(parts)
    left, right = tree.query(parts, predicate="intersects")
    found: list[tuple[str, str, BaseGeometry]] = []
    slivers = 0
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        shared = polygonal(shapely.intersection(parts[i], parts[j]))
        if shared.is_empty:
            continue
        if shared.buffer(-tol).is_empty:
            slivers += 1
            continue
        found.append((ids[i], ids[j], shared))
    return found, slivers
