"""Area validation: the composed boundary and each component against their stated areas.

This module owns the result types of a check (:class:`ValidationReport` and its parts) and the
function that fills them from a :class:`~autocity_gis.compose.Composition`. All areas are
geodesic areas on the WGS 84 ellipsoid (:mod:`autocity_gis.area`); an equal-area projection is
reported beside them as a cross-check. Renderings (JSON, Markdown) live in
:mod:`autocity_gis.report`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass(frozen=True)
class Overlap:
    """Area shared by two components."""

    a: str
    b: str
    area_km2: float


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
        Area of holes inside the composed boundary.
    gap_count : int
        Number of such holes.
    sum_of_parts_km2 : float
        Sum of the measured component areas (exceeds ``composed_km2`` by the overlaps).
    missing : tuple of MissingComponent
        Components without geometry.
    stated_sum_km2 : float
        Sum of the stated areas that are published.
    stated_unaccounted_km2 : float
        ``target_km2 - stated_sum_km2``: what the published parts leave for the rest.
    compose_method : str
        ``coverage`` when the parts formed a valid coverage, otherwise ``overlay``.
    snap_tolerance_m : float
        Vertex snapping distance used before the union.
    warnings : tuple of str
        Repairs and caveats the user should know about.
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
    compose_method: str
    snap_tolerance_m: float
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def estimated(self) -> tuple[str, ...]:
        """Ids of components whose geometry is an estimate."""
        return tuple(c.id for c in self.components if c.accuracy == "estimated")
