"""Area validation: the composed boundary and each component against their stated areas.

This module owns the function that fills a check's result types (:class:`ValidationReport` and
its parts, defined in :mod:`autocity_gis._check_results` and importable from here) from a
:class:`~autocity_gis.composition.Composition`. All areas are geodesic areas on the WGS 84 ellipsoid
(:mod:`autocity_gis.area`); an equal-area projection is reported beside them as a cross-check,
and the plane areas planners compare with (in the layer's own projected CRS and in the CGCS2000
Gauss–Krüger zone of the data, :mod:`autocity_gis._plane`) for reference only. Each component
with a stated area is judged against its own tolerance. Renderings (JSON, Markdown) live in
:mod:`autocity_gis.report`.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import shapely

from ._check_results import (
    AreaBalance,
    ComponentArea,
    Gap,
    Hole,
    MissingComponent,
    Overlap,
    StatedOverlap,
    Subtracted,
    ValidationReport,
)
from ._plane import gauss_kruger_zone, plane_area_km2, plane_areas_km2, plane_note
from .area import equal_area_km2
from .area import fast_geodesic_area_km2 as geodesic_area_km2  # vectorised Karney, same to 1e-9
from .composition import Composition, finite_or_none
from .recipe import UNITS, ComponentSpec, Recipe, StatedFigure

__all__ = [
    "AreaBalance",
    "ComponentArea",
    "Gap",
    "Hole",
    "MissingComponent",
    "Overlap",
    "StatedOverlap",
    "Subtracted",
    "ValidationReport",
    "area_balance",
    "gap_records",
    "gauss_kruger_zone",
    "hole_records",
    "in_units",
    "overlap_records",
    "plane_area_km2",
    "subtracted_records",
    "validate",
]


def in_units(km2: float | None, units: tuple[str, ...]) -> dict[str, float | None]:
    """Return an area in each of ``units`` (``km2``, ``ha`` = 公顷, ``mu`` = 亩).

    >>> in_units(1.0, ("km2", "ha", "mu"))
    {'km2': 1.0, 'ha': 100.0, 'mu': 1500.0}
    """
    return {u: None if km2 is None else km2 * UNITS[u] for u in units}


def validate(composition: Composition, recipe: Recipe) -> ValidationReport:
    """Check a composition's areas against the recipe's stated figures.

    Parameters
    ----------
    composition : Composition
        The result of :func:`autocity_gis.composition.compose`.
    recipe : Recipe
        The recipe it was composed from (target, tolerance, stated areas, missing parts).

    Returns
    -------
    ValidationReport
        Passed when the composed geodesic area is within ``tolerance_pct`` of the target.
    """
    boundary = composition.boundary.geometry.iloc[0]
    gk = gauss_kruger_zone(boundary.centroid.x if not boundary.is_empty else float("nan"))
    # The components' plane areas (one projection of every vertex: 0.09 s for the country's
    # provinces) on a second core while the boundary is measured; PROJ releases the GIL.
    with ThreadPoolExecutor(1) as pool:
        measured = pool.submit(component_areas, composition, recipe, gk)
        composed = _boundary_km2(composition)
        composed_equal_area = float(equal_area_km2(boundary))
        composed_gk = plane_area_km2(boundary, gk[0]) if gk else None
        areas = measured.result()
    delta = composed - recipe.target_km2
    delta_pct = delta / recipe.target_km2 * 100.0
    parts = [a for a in areas if a.role == "part"]
    gaps, overlaps = gap_records(composition), overlap_records(composition)
    area_passed = bool(abs(delta_pct) <= recipe.tolerance_pct)
    failed = tuple(a.id for a in areas if a.passed is False)
    stated = _stated_figures(recipe)
    return ValidationReport(
        name_en=recipe.name_en,
        name_zh=recipe.name_zh,
        target_km2=recipe.target_km2,
        target_source=recipe.target_source,
        tolerance_pct=recipe.tolerance_pct,
        composed_km2=composed,
        composed_equal_area_km2=composed_equal_area,
        delta_km2=delta,
        delta_pct=delta_pct,
        passed=area_passed and not (recipe.components_must_pass and failed),
        components=areas,
        overlaps=overlaps,
        gaps_km2=float(sum(g.area_km2 for g in gaps)),
        gap_count=len(gaps),
        sum_of_parts_km2=float(sum(a.measured_km2 for a in parts)),
        missing=missing_components(recipe),
        stated_sum_km2=stated.sum_km2,
        stated_unaccounted_km2=recipe.target_km2 - stated.sum_km2,
        stated_missing=tuple(s.id for s in recipe.parts if s.stated_area_km2 is None),
        compose_method=composition.method,
        snap_tolerance_m=composition.snap_tolerance_m,
        boundary_parts=int(shapely.get_num_geometries(boundary)),
        warnings=composition.warnings,
        area_passed=area_passed,
        components_must_pass=recipe.components_must_pass,
        failed_components=failed,
        units=recipe.units,
        gk_crs=gk[0] if gk else None,
        composed_gk_km2=composed_gk,
        plane_note=plane_note(boundary, gk),
        stated_overlaps=stated.overlaps,
        stated_sum_min_km2=stated.min_km2,
        subtracted=subtracted_records(composition),
        gaps=gaps,
        holes=hole_records(composition),
        gap_width_m=composition.gap_width_m,
        area_balance=area_balance(composition, parts, overlaps, composed),
    )


def _boundary_km2(composition: Composition) -> float:
    """Return the boundary's geodesic area: :func:`compose` measured it (``area_km2``)."""
    frame = composition.boundary
    known = finite_or_none(frame["area_km2"].iloc[0]) if "area_km2" in frame.columns else None
    if known is not None:
        return known
    return float(geodesic_area_km2(frame.geometry.iloc[0]))


def component_areas(
    composition: Composition, recipe: Recipe, gk: tuple[str, float] | None
) -> tuple[ComponentArea, ...]:
    """Measure and judge every component with geometry, in recipe order.

    ``gk`` is the Gauss–Krüger zone of the data (:func:`gauss_kruger_zone`), for plane areas.
    """
    specs = {spec.id: spec for spec in recipe.components}
    frame = composition.components
    own, in_gk = _plane_areas(frame, gk)
    return tuple(
        _component_area(row, specs.get(row.id), recipe.tolerance_pct, gk, planes)
        for row, planes in zip(
            frame.itertuples(index=False), zip(own, in_gk, strict=True), strict=True
        )
    )


def _plane_areas(
    frame: Any, gk: tuple[str, float] | None
) -> tuple[list[float | None], list[float | None]]:
    """Plane areas of every component, in its layer's own CRS and in ``gk``'s zone.

    One projection call per CRS, not per component: a layer of a thousand components is one
    batch.
    """
    geoms = frame.geometry.to_numpy()
    crss = [(getattr(row, "source_crs", None) or None) for row in frame.itertuples(index=False)]
    own: list[float | None] = [None] * len(geoms)
    for crs in dict.fromkeys(c for c in crss if c):
        where = [i for i, c in enumerate(crss) if c == crs]
        for i, area in zip(where, plane_areas_km2(geoms[where], crs), strict=True):
            own[i] = area
    in_gk: list[float | None] = plane_areas_km2(geoms, gk[0]) if gk else [None] * len(geoms)
    return own, in_gk


def _component_area(
    row: Any,
    spec: ComponentSpec | None,
    city_tolerance: float,
    gk: tuple[str, float] | None,
    planes: tuple[float | None, float | None],
) -> ComponentArea:
    stated = finite_or_none(row.stated_area_km2)
    measured = float(row.measured_km2)
    own = spec.tolerance_pct if spec is not None else None
    tolerance = (own if own is not None else city_tolerance) if stated else None
    delta = None if not stated else (measured - stated) / stated * 100.0
    source_crs = getattr(row, "source_crs", None) or None
    figures = spec.stated if spec is not None else ()
    if stated and not figures:  # read from the layer's attributes
        figures = (StatedFigure(stated, row.stated_area_source or "", None, True),)
    return ComponentArea(
        id=row.id,
        name_en=row.name_en,
        name_zh=row.name_zh,
        accuracy=row.accuracy,
        measured_km2=measured,
        stated_km2=stated,
        stated_source=row.stated_area_source or None,
        delta_pct=delta,
        method=row.method,
        role=row.role,
        tolerance_pct=tolerance,
        passed=None if delta is None or tolerance is None else bool(abs(delta) <= tolerance),
        stated_figures=figures,
        source_crs=source_crs,
        plane_source_km2=planes[0],
        gk_crs=gk[0] if gk else None,
        gk_km2=planes[1],
    )


def missing_components(recipe: Recipe) -> tuple[MissingComponent, ...]:
    """Return the components the recipe names without a layer, with the reason it gives."""
    return tuple(
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


class _Stated(NamedTuple):
    sum_km2: float
    overlaps: tuple[StatedOverlap, ...]
    min_km2: float


def _stated_figures(recipe: Recipe) -> _Stated:
    """Sum the parts' published areas: at most all of them, at least less what may overlap."""
    judged = {s.id: s.stated_area_km2 for s in recipe.parts if s.stated_area_km2 is not None}
    total = float(sum(s.stated_area_km2 for s in recipe.parts if s.stated_area_km2 is not None))
    overlaps = tuple(
        StatedOverlap(a=s.id, b=other, max_km2=min(judged[s.id], judged[other]))
        for s in recipe.parts
        for other in s.may_overlap
        if s.id in judged and other in judged
    )
    if not overlaps:
        return _Stated(total, overlaps, total)
    low = max(total - sum(o.max_km2 for o in overlaps), max(judged.values(), default=0.0))
    return _Stated(total, overlaps, low)


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
