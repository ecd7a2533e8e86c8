"""Area validation: the composed boundary and each component against their stated areas.

This module owns the result types of a check (:class:`ValidationReport` and its parts) and the
function that fills them from a :class:`~autocity_gis.compose.Composition`. All areas are
geodesic areas on the WGS 84 ellipsoid (:mod:`autocity_gis.area`); an equal-area projection is
reported beside them as a cross-check, and the plane areas planners compare with (in the layer's
own projected CRS and in the CGCS2000 Gauss–Krüger zone of the data) for reference only. Each
component with a stated area is judged against its own tolerance. Renderings (JSON, Markdown)
live in :mod:`autocity_gis.report`.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from .area import equal_area_km2, geodesic_area_km2
from .compose import Composition, finite_or_none
from .recipe import DEFAULT_GAP_WIDTH_M, UNITS, Recipe, StatedFigure

#: EPSG code of the CGCS2000 3-degree Gauss–Krüger zone with central meridian 75°E (the
#: CM-only family runs 4534 … 4554 for 75°E … 135°E, eastings without the zone prefix).
_GK3_FIRST_EPSG = 4534
_GK3_FIRST_CM = 75
_GK3_LAST_CM = 135
#: Mean Earth radius used to explain the Gauss–Krüger scale (metres).
_EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class ComponentArea:
    """Measured and stated area of one component.

    Attributes
    ----------
    id, name_en, name_zh : str
        Identity of the component as given by the recipe.
    accuracy : str
        ``official``, ``estimated`` or ``user-supplied``.
    measured_km2 : float
        Geodesic area of the component's geometry on the WGS 84 ellipsoid.
    stated_km2 : float or None
        Published area, if any.
    stated_source : str or None
        Where the stated area was read.
    delta_pct : float or None
        ``(measured - stated) / stated * 100``.
    method : str
        How the geometry was made (from the layer's ``method`` attribute).
    role : str
        ``part`` or ``subtract``.
    tolerance_pct : float or None
        The component's own tolerance (the recipe's ``tolerance_pct`` for it, else the
        city's); None when nothing is stated.
    passed : bool or None
        ``abs(delta_pct) <= tolerance_pct``; None when nothing is stated (not judged).
    stated_figures : tuple of StatedFigure
        Every published figure with its source and year; the one marked ``judged`` is
        ``stated_km2``.
    source_crs : str or None
        The CRS the component's layer was in.
    plane_source_km2 : float or None
        Plane (Cartesian) area in that CRS when it is projected, what CAD ``AREA`` or
        ArcGIS ``Shape_Area`` show on the layer; None for longitude/latitude layers.
    gk_crs, gk_km2 : str or None, float or None
        The CGCS2000 3-degree Gauss–Krüger zone of the data and the plane area in it.
    """

    id: str
    name_en: str
    name_zh: str
    accuracy: str
    measured_km2: float
    stated_km2: float | None
    stated_source: str | None
    delta_pct: float | None
    method: str = ""
    role: str = "part"
    tolerance_pct: float | None = None
    passed: bool | None = None
    stated_figures: tuple[StatedFigure, ...] = ()
    source_crs: str | None = None
    plane_source_km2: float | None = None
    gk_crs: str | None = None
    gk_km2: float | None = None


@dataclass(frozen=True)
class StatedOverlap:
    """Two components whose published areas may count the same ground twice.

    Attributes
    ----------
    a, b : str
        Component ids (``a`` names ``b`` in its ``may_overlap``).
    max_km2 : float
        The most that can be counted twice: the smaller of the two judged figures.
    """

    a: str
    b: str
    max_km2: float


@dataclass(frozen=True)
class Overlap:
    """Area shared by two parts.

    Attributes
    ----------
    a, b : str
        Ids of the two parts.
    area_km2 : float
        Geodesic area shared.
    width_m : float or None
        Diameter of the largest circle inside the shared area (its widest point), metres.
    lon, lat : float or None
        A point inside it (WGS 84).
    """

    a: str
    b: str
    area_km2: float
    width_m: float | None = None
    lon: float | None = None
    lat: float | None = None


@dataclass(frozen=True)
class Subtracted:
    """A component of role ``subtract``: what it cut out of the parts.

    Attributes
    ----------
    id, name_en, name_zh : str
        Identity of the component as given by the recipe.
    area_km2 : float
        Geodesic area of the whole zone.
    removed_km2 : float
        Geodesic area of the part of the zone that lay inside the parts: what it removed.
    inside_pct : float
        ``removed_km2 / area_km2 * 100``: the share of the zone that lay inside the parts.
    lon, lat : float
        A point inside the zone (WGS 84).
    """

    id: str
    name_en: str
    name_zh: str
    area_km2: float
    removed_km2: float
    inside_pct: float
    lon: float
    lat: float


@dataclass(frozen=True)
class Gap:
    """An area between parts narrower than the gap width, enclosed or open to the outer edge.

    Attributes
    ----------
    id : str
        ``gap1``, ``gap2``, ... (west to east), as in the ``gaps`` layer.
    area_km2 : float
        Geodesic area.
    width_m : float
        Diameter of the largest circle inside it (its widest point), metres.
    between : tuple of str
        Ids of the parts around it.
    enclosed : bool
        Whether the parts enclose it (False: it opens onto the outer edge).
    lon, lat : float
        A point inside it (WGS 84).
    """

    id: str
    area_km2: float
    width_m: float
    between: tuple[str, ...]
    enclosed: bool
    lon: float
    lat: float


@dataclass(frozen=True)
class Hole:
    """An enclosed area no part covers that the data really have (an enclave): not an error.

    Attributes
    ----------
    id : str
        ``hole1``, ``hole2``, ..., as in the ``holes`` layer.
    area_km2 : float
        Geodesic area.
    width_m : float
        Diameter of the largest circle inside it, metres (at least the gap width unless it is
        a hole in one part's own polygon).
    within : tuple of str
        Ids of the parts around it (one: a hole in that part's own polygon).
    lon, lat : float
        A point inside it (WGS 84).
    """

    id: str
    area_km2: float
    width_m: float
    within: tuple[str, ...]
    lon: float
    lat: float


@dataclass(frozen=True)
class AreaBalance:
    """The measured areas reconciled: parts - overlaps = union; union - subtracted = composed.

    Every figure is a geodesic area in km², measured independently, so the two equations are a
    check, not a definition: ``union_residual_km2`` is what pairwise overlaps do not explain
    (areas shared by three or more parts, slivers closed by the snap) and ``residual_km2``
    should be zero to rounding.

    Attributes
    ----------
    sum_of_parts_km2 : float
        Sum of the measured areas of the parts.
    overlaps_km2 : float
        Sum of the areas shared by pairs of parts.
    parts_union_km2 : float
        Area of the union of the parts.
    union_residual_km2 : float
        ``parts_union_km2 - (sum_of_parts_km2 - overlaps_km2)``.
    subtracted_km2 : float
        Area the subtracted components together cut out of the union.
    composed_km2 : float
        Area of the composed boundary.
    residual_km2 : float
        ``composed_km2 - (parts_union_km2 - subtracted_km2)``.
    """

    sum_of_parts_km2: float
    overlaps_km2: float
    parts_union_km2: float
    union_residual_km2: float
    subtracted_km2: float
    composed_km2: float
    residual_km2: float


@dataclass(frozen=True)
class MissingComponent:
    """A component the recipe names but no layer provides geometry for."""

    id: str
    name_en: str
    name_zh: str
    stated_km2: float | None
    reason: str


@dataclass(frozen=True)
class ValidationReport:
    """Everything the area check found.

    Attributes
    ----------
    name_en, name_zh : str
        The composed area's name.
    target_km2 : float
        The officially stated total area.
    target_source : str
        Where the target was read.
    tolerance_pct : float
        Allowed relative difference between composed and target area.
    composed_km2 : float
        Geodesic area of the composed boundary (holes excluded).
    composed_equal_area_km2 : float
        The same measured in an Albers equal-area projection (cross-check).
    delta_km2, delta_pct : float
        Composed minus target, absolute and relative to the target.
    passed : bool
        ``abs(delta_pct) <= tolerance_pct``.
    components : tuple of ComponentArea
        Per-component areas, in recipe order.
    overlaps : tuple of Overlap
        Pairs of components that share area.
    gaps_km2 : float
        Area of the gaps between parts narrower than ``gap_width_m`` (see ``gaps``).
    gap_count : int
        Number of such gaps.
    sum_of_parts_km2 : float
        Sum of the measured component areas (exceeds ``composed_km2`` by the overlaps).
    missing : tuple of MissingComponent
        Components without geometry.
    stated_sum_km2 : float
        Sum of the stated areas that are published.
    stated_unaccounted_km2 : float
        ``target_km2 - stated_sum_km2``: what the published parts leave for the rest.
    stated_missing : tuple of str
        Ids of parts without a stated area (the unaccounted area is theirs to explain).
    compose_method : str
        ``coverage`` when the parts formed a valid coverage, otherwise ``overlay``.
    snap_tolerance_m : float
        Vertex snapping distance used before the union.
    boundary_parts : int
        Number of separate polygons in the boundary (1 when the parts are contiguous).
    warnings : tuple of str
        Repairs and caveats the user should know about.
    area_passed : bool or None
        Whether the composed area alone is within tolerance of the target (``passed`` also
        requires every judged component to pass unless ``components_must_pass`` is false).
    components_must_pass : bool
        The recipe's rule: a failing component fails the check.
    failed_components : tuple of str
        Ids of judged components outside their tolerance.
    units : tuple of str
        Units the renderings show (``km2`` first: the reference), see
        :data:`autocity_gis.recipe.UNITS`.
    gk_crs, composed_gk_km2 : str or None, float or None
        The CGCS2000 Gauss–Krüger zone of the data and the composed plane area in it.
    plane_note : str
        One line explaining why plane and geodesic areas differ.
    stated_overlaps : tuple of StatedOverlap
        Published parts that may include each other (from ``may_overlap``).
    stated_sum_min_km2 : float or None
        The smallest the published parts can cover together when those overlaps are full
        (``stated_sum_km2`` is the largest, when they are empty).
    subtracted : tuple of Subtracted
        Components of role ``subtract``, with the area each removed; never counted as gaps.
    gaps : tuple of Gap
        Every gap between parts narrower than ``gap_width_m``, enclosed or open to the edge.
    holes : tuple of Hole
        Enclosed areas the data really have (enclaves): reported, not errors.
    gap_width_m : float
        The gap width of the recipe.
    area_balance : AreaBalance or None
        Parts, overlaps, subtracted and composed areas reconciled (None when the composition
        did not measure the union of its parts).
    """

    name_en: str
    name_zh: str
    target_km2: float
    target_source: str
    tolerance_pct: float
    composed_km2: float
    composed_equal_area_km2: float
    delta_km2: float
    delta_pct: float
    passed: bool
    components: tuple[ComponentArea, ...]
    overlaps: tuple[Overlap, ...]
    gaps_km2: float
    gap_count: int
    sum_of_parts_km2: float
    missing: tuple[MissingComponent, ...]
    stated_sum_km2: float
    stated_unaccounted_km2: float
    stated_missing: tuple[str, ...]
    compose_method: str
    snap_tolerance_m: float
    boundary_parts: int
    warnings: tuple[str, ...] = field(default_factory=tuple)
    area_passed: bool | None = None
    components_must_pass: bool = True
    failed_components: tuple[str, ...] = ()
    units: tuple[str, ...] = ("km2",)
    gk_crs: str | None = None
    composed_gk_km2: float | None = None
    plane_note: str = ""
    stated_overlaps: tuple[StatedOverlap, ...] = ()
    stated_sum_min_km2: float | None = None
    subtracted: tuple[Subtracted, ...] = ()
    gaps: tuple[Gap, ...] = ()
    holes: tuple[Hole, ...] = ()
    gap_width_m: float = DEFAULT_GAP_WIDTH_M
    area_balance: AreaBalance | None = None

    @property
    def estimated(self) -> tuple[str, ...]:
        """Ids of components whose geometry is an estimate."""
        return tuple(c.id for c in self.components if c.accuracy == "estimated")

    def __repr__(self) -> str:
        from ._repr import report_repr

        return report_repr(self)

    def _repr_html_(self) -> str:
        from ._repr import report_html

        return report_html(self)


def in_units(km2: float | None, units: tuple[str, ...]) -> dict[str, float | None]:
    """Return an area in each of ``units`` (``km2``, ``ha`` = 公顷, ``mu`` = 亩).

    >>> in_units(1.0, ("km2", "ha", "mu"))
    {'km2': 1.0, 'ha': 100.0, 'mu': 1500.0}
    """
    return {u: None if km2 is None else km2 * UNITS[u] for u in units}


def gauss_kruger_zone(lon: float) -> tuple[str, float] | None:
    """Return the CGCS2000 3-degree Gauss–Krüger zone (CM-only EPSG code) for a longitude.

    The zone whose central meridian (a multiple of 3°) is nearest; None outside China's
    zones (75°E … 135°E).

    >>> gauss_kruger_zone(125.2)
    ('EPSG:4551', 126.0)
    """
    if not math.isfinite(lon):
        return None
    cm = 3 * round(lon / 3.0)
    if not _GK3_FIRST_CM <= cm <= _GK3_LAST_CM:
        return None
    return f"EPSG:{_GK3_FIRST_EPSG + (cm - _GK3_FIRST_CM) // 3}", float(cm)


def plane_area_km2(geom: BaseGeometry, crs: str) -> float | None:
    """Return the Cartesian area of a WGS 84 geometry projected into ``crs``.

    None when ``crs`` is not a projected CRS or the projection fails.
    """
    import numpy as np
    import pyproj

    to_plane = _to_plane(crs)
    if to_plane is None:
        return None
    try:
        area = (
            shapely.area(
                shapely.transform(geom, lambda xy: np.column_stack(to_plane.transform(*xy.T)))
            )
            / 1e6
        )
    except (pyproj.exceptions.ProjError, ValueError):
        return None
    return float(area) if math.isfinite(area) else None


_PER_THREAD = threading.local()


def _to_plane(crs: str) -> Any:
    """Return the transformer from WGS 84 to a projected ``crs`` (None if not projected).

    Cached per thread: a whole-layer block makes hundreds of components in one CRS, and each
    look-up in the CRS database costs ~30 ms; batch builds run in threads, and a transformer
    is not to be shared between them.
    """
    import pyproj

    cache: dict[str, Any] = _PER_THREAD.__dict__.setdefault("to_plane", {})
    if crs not in cache:
        try:
            target = pyproj.CRS.from_user_input(crs)
        except pyproj.exceptions.CRSError:
            target = None
        cache[crs] = (
            pyproj.Transformer.from_crs("EPSG:4326", target, always_xy=True)
            if target is not None and target.is_projected
            else None
        )
    return cache[crs]


def _plane_note(geom: BaseGeometry, gk: tuple[str, float] | None) -> str:
    """One line: why the Gauss–Krüger plane area differs from the geodesic one."""
    if gk is None:
        return ""
    centroid = geom.centroid
    off_km = (
        abs(centroid.x - gk[1]) * 111.32 * math.cos(math.radians(centroid.y))
    )  # east–west distance from the central meridian
    grow = ((1 + (off_km * 1000 / _EARTH_RADIUS_M) ** 2 / 2) ** 2 - 1) * 100
    return (
        f"Plane areas in a Gauss–Krüger zone are larger than the geodesic area by about "
        f"(distance from the central meridian / Earth radius)²: {off_km:.0f} km from "
        f"{gk[1]:g}°E gives +{grow:.3f} %; a layer's own projected CRS distorts in its own way."
    )


def validate(composition: Composition, recipe: Recipe) -> ValidationReport:
    """Check a composition's areas against the recipe's stated figures.

    Parameters
    ----------
    composition : Composition
        The result of :func:`autocity_gis.compose.compose`.
    recipe : Recipe
        The recipe it was composed from (target, tolerance, stated areas, missing parts).

    Returns
    -------
    ValidationReport
        Passed when the composed geodesic area is within ``tolerance_pct`` of the target.
    """
    comps = composition.components
    boundary_geom = composition.boundary.geometry.iloc[0]
    composed = float(geodesic_area_km2(boundary_geom))
    cross_check = float(equal_area_km2(boundary_geom))
    delta = composed - recipe.target_km2
    delta_pct = delta / recipe.target_km2 * 100.0
    specs = {spec.id: spec for spec in recipe.components}
    lon = boundary_geom.centroid.x if not boundary_geom.is_empty else float("nan")
    gk = gauss_kruger_zone(lon)
    areas = []
    for row in comps.itertuples(index=False):
        stated = finite_or_none(row.stated_area_km2)
        measured = float(row.measured_km2)
        spec = specs.get(row.id)
        own = spec.tolerance_pct if spec is not None else None
        tolerance = (own if own is not None else recipe.tolerance_pct) if stated else None
        delta_c = None if not stated else (measured - stated) / stated * 100.0
        source_crs = getattr(row, "source_crs", None) or None
        figures = spec.stated if spec is not None else ()
        if stated and not figures:  # read from the layer's attributes
            figures = (StatedFigure(stated, row.stated_area_source or "", None, True),)
        areas.append(
            ComponentArea(
                id=row.id,
                name_en=row.name_en,
                name_zh=row.name_zh,
                accuracy=row.accuracy,
                measured_km2=measured,
                stated_km2=stated,
                stated_source=row.stated_area_source or None,
                delta_pct=delta_c,
                method=row.method,
                role=row.role,
                tolerance_pct=tolerance,
                passed=(
                    None
                    if delta_c is None or tolerance is None
                    else bool(abs(delta_c) <= tolerance)
                ),
                stated_figures=figures,
                source_crs=source_crs,
                plane_source_km2=(plane_area_km2(row.geometry, source_crs) if source_crs else None),
                gk_crs=gk[0] if gk else None,
                gk_km2=plane_area_km2(row.geometry, gk[0]) if gk else None,
            )
        )
    missing = tuple(
        MissingComponent(
            id=spec.id,
            name_en=spec.name_en,
            name_zh=spec.name_zh,
            stated_km2=spec.stated_area_km2,
            reason=spec.missing_reason or "",
        )
        for spec in recipe.components
        if spec.source is None
    )
    parts = [a for a in areas if a.role == "part"]
    stated_parts = [s.stated_area_km2 for s in recipe.parts if s.stated_area_km2 is not None]
    stated_sum = float(sum(stated_parts))
    gaps = gap_records(composition)
    overlaps = overlap_records(composition)
    area_passed = bool(abs(delta_pct) <= recipe.tolerance_pct)
    failed = tuple(a.id for a in areas if a.passed is False)
    passed = area_passed and not (recipe.components_must_pass and failed)
    judged = {s.id: s.stated_area_km2 for s in recipe.parts if s.stated_area_km2 is not None}
    stated_overlaps = tuple(
        StatedOverlap(a=s.id, b=other, max_km2=min(judged[s.id], judged[other]))
        for s in recipe.parts
        for other in s.may_overlap
        if s.id in judged and other in judged
    )
    stated_min = max(
        stated_sum - sum(o.max_km2 for o in stated_overlaps), max(judged.values(), default=0.0)
    )
    return ValidationReport(
        name_en=recipe.name_en,
        name_zh=recipe.name_zh,
        target_km2=recipe.target_km2,
        target_source=recipe.target_source,
        tolerance_pct=recipe.tolerance_pct,
        composed_km2=composed,
        composed_equal_area_km2=cross_check,
        delta_km2=delta,
        delta_pct=delta_pct,
        passed=passed,
        components=tuple(areas),
        overlaps=overlaps,
        gaps_km2=float(sum(g.area_km2 for g in gaps)),
        gap_count=len(gaps),
        sum_of_parts_km2=float(sum(a.measured_km2 for a in parts)),
        missing=missing,
        stated_sum_km2=stated_sum,
        stated_unaccounted_km2=recipe.target_km2 - stated_sum,
        stated_missing=tuple(s.id for s in recipe.parts if s.stated_area_km2 is None),
        compose_method=composition.method,
        snap_tolerance_m=composition.snap_tolerance_m,
        boundary_parts=int(shapely.get_num_geometries(boundary_geom)),
        warnings=composition.warnings,
        area_passed=area_passed,
        components_must_pass=recipe.components_must_pass,
        failed_components=failed,
        units=recipe.units,
        gk_crs=gk[0] if gk else None,
        composed_gk_km2=plane_area_km2(boundary_geom, gk[0]) if gk else None,
        plane_note=_plane_note(boundary_geom, gk),
        stated_overlaps=stated_overlaps,
        stated_sum_min_km2=stated_min if stated_overlaps else stated_sum,
        subtracted=subtracted_records(composition),
        gaps=gaps,
        holes=hole_records(composition),
        gap_width_m=composition.gap_width_m,
        area_balance=area_balance(composition, parts, overlaps, composed),
    )


def _optional(row: object, name: str) -> float | None:
    return finite_or_none(getattr(row, name, None))


def _ids(value: object) -> tuple[str, ...]:
    text = "" if value is None else str(value)
    return tuple(i for i in text.split(", ") if i)


def overlap_records(composition: Composition) -> tuple[Overlap, ...]:
    """Return the composition's overlaps as report records."""
    return tuple(
        Overlap(
            a=str(o.a),
            b=str(o.b),
            area_km2=float(o.area_km2),
            width_m=_optional(o, "width_m"),
            lon=_optional(o, "lon"),
            lat=_optional(o, "lat"),
        )
        for o in composition.overlaps.itertuples(index=False)
    )


def gap_records(composition: Composition) -> tuple[Gap, ...]:
    """Return the composition's gaps as report records (frames of older callers: id by row)."""
    out = []
    for n, g in enumerate(composition.gaps.itertuples(index=False), start=1):
        out.append(
            Gap(
                id=str(getattr(g, "id", f"gap{n}")),
                area_km2=float(g.area_km2),
                width_m=_optional(g, "width_m") or 0.0,
                between=_ids(getattr(g, "between", "")),
                enclosed=bool(getattr(g, "enclosed", True)),
                lon=_optional(g, "lon") or 0.0,
                lat=_optional(g, "lat") or 0.0,
            )
        )
    return tuple(out)


def hole_records(composition: Composition) -> tuple[Hole, ...]:
    """Return the composition's holes as report records."""
    return tuple(
        Hole(
            id=str(h.id),
            area_km2=float(h.area_km2),
            width_m=float(h.width_m),
            within=_ids(h.within),
            lon=float(h.lon),
            lat=float(h.lat),
        )
        for h in composition.holes.itertuples(index=False)
    )


def subtracted_records(composition: Composition) -> tuple[Subtracted, ...]:
    """Return the composition's subtracted components as report records."""
    return tuple(
        Subtracted(
            id=str(s.id),
            name_en=str(s.name_en),
            name_zh=str(s.name_zh),
            area_km2=float(s.area_km2),
            removed_km2=float(s.removed_km2),
            inside_pct=float(s.inside_pct),
            lon=float(s.lon),
            lat=float(s.lat),
        )
        for s in composition.subtracted.itertuples(index=False)
    )


def area_balance(
    composition: Composition,
    parts: list[ComponentArea],
    overlaps: tuple[Overlap, ...],
    composed_km2: float,
) -> AreaBalance | None:
    """Reconcile the measured areas: parts - overlaps = union; union - subtracted = composed."""
    if composition.parts_union_km2 is None:
        return None
    total = float(sum(a.measured_km2 for a in parts))
    shared = float(sum(o.area_km2 for o in overlaps))
    union = float(composition.parts_union_km2)
    removed = float(composition.removed_km2)
    return AreaBalance(
        sum_of_parts_km2=total,
        overlaps_km2=shared,
        parts_union_km2=union,
        union_residual_km2=union - (total - shared),
        subtracted_km2=removed,
        composed_km2=composed_km2,
        residual_km2=composed_km2 - (union - removed),
    )
