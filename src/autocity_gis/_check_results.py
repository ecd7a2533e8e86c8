"""The result types of an area check: :class:`ValidationReport` and its parts.

Frozen records filled by :func:`autocity_gis.validation.validate` and read by every rendering
(:mod:`autocity_gis.report`, the web map, the QGIS layout). They hold what the check found and
nothing of the outputs made afterwards: a build's web map and hand-off files are described beside
the report, in :class:`autocity_gis.api.BuildResult` (:mod:`autocity_gis._facts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .recipe import DEFAULT_GAP_WIDTH_M, StatedFigure


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
    failed_controls : tuple of str
        Ids of the recipe's control-line overlays with conflicts (set by
        :func:`autocity_gis.check_overlays`, which then also sets ``passed`` false).
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
    failed_controls: tuple[str, ...] = ()
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
