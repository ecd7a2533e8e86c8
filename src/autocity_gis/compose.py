"""Composition: the union of the components into one boundary, with its diagnostics.

This module owns the step from loaded component polygons to one boundary. It works in a local
Lambert azimuthal equal-area projection centred on the data, so that tolerances are metres.
When the parts already form a valid polygonal coverage (edge-matched, no overlaps) the boundary
is their coverage union, which is exact and fast. Otherwise they are first cleaned as a coverage
(GEOS ``CoverageCleaner``: vertices within the snap tolerance are snapped together, gaps
narrower than it are closed, overlaps are assigned to one neighbour), so that digitising slivers
never survive as hairline holes or spikes. Real overlaps and gaps -- wider than the tolerance --
are measured on the input and reported, not hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from ._diagnostics import DEFAULT_GAP_WIDTH_M, Patch, gaps_and_holes, width_m
from ._errors import InputError
from ._proj import LocalProjection, local_laea_for
from .area import geodesic_area_km2
from .layers import WGS84, Layer, ReadCache, borders_of, polygonal, read_layer
from .limits import Limits
from .recipe import ComponentSpec, Recipe, block_value

#: Attributes every component carries, with the value used when a layer lacks them.
COMPONENT_COLUMNS: dict[str, str] = {
    "kind": "",
    "parent_adcode": "",
    "accuracy": "user-supplied",
    "method": "as supplied",
    "source": "",
    "datum": "",
    "date": "",
}
CONTEXT_COLUMNS = ("adcode", "name_zh", "name_en", "accuracy", "source", "datum", "date")
ACCURACY_CLASSES = ("official", "estimated", "user-supplied")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Composition:
    """The composed boundary and everything needed to draw and check it.

    All frames are in EPSG:4326 (WGS 84 longitude/latitude).

    Attributes
    ----------
    name_en, name_zh : str
        Name of the composed area.
    components : geopandas.GeoDataFrame
        One row per component with geometry, in recipe order. Columns: ``id``, ``name_zh``,
        ``name_en``, ``role``, ``kind``, ``parent_adcode``, ``stated_area_km2``,
        ``stated_area_source``, ``accuracy`` (``official``/``estimated``/``user-supplied``),
        ``method``, ``source``, ``datum`` (of the source data), ``date``, ``measured_km2``.
    boundary : geopandas.GeoDataFrame
        One row: ``id``, ``name_zh``, ``name_en``, ``area_km2``, ``geometry``.
    overlaps : geopandas.GeoDataFrame
        Areas shared by two parts: ``a``, ``b``, ``area_km2``, ``width_m`` (widest point),
        ``lon``, ``lat`` (a point inside it), ``geometry``.
    gaps : geopandas.GeoDataFrame
        Areas between parts narrower than ``gap_width_m``, enclosed or open to the outer edge
        (see :mod:`autocity_gis._diagnostics`): ``id`` (``gap1``, ...), ``area_km2``,
        ``width_m``, ``between`` (ids of the parts around it, ``", "``-separated),
        ``enclosed`` (bool), ``lon``, ``lat``, ``geometry``. Never an area a subtracted
        component covers.
    context : geopandas.GeoDataFrame
        Administrative units drawn for orientation: ``adcode``, ``name_zh``, ``name_en``,
        ``accuracy``, ``source``, ``datum``, ``date``. May be empty.
    method : str
        ``coverage`` (the parts formed a valid coverage), ``cleaned`` (they were cleaned as a
        coverage first) or ``overlay`` (plain union, when cleaning failed).
    snap_tolerance_m : float
        Vertex snapping distance used before the union.
    warnings : tuple of str
        Repairs made on the way.
    subtracted : geopandas.GeoDataFrame
        One row per component of role ``subtract``: ``id``, ``name_zh``, ``name_en``,
        ``area_km2`` (the whole zone), ``removed_km2`` (the share of it that lay inside the
        parts and was cut out), ``inside_pct`` (that share in percent), ``lon``, ``lat``,
        ``geometry`` (the whole zone).
    holes : geopandas.GeoDataFrame
        Holes the data really have: enclosed areas no part covers that are a hole in one
        part's own polygon or wider than ``gap_width_m``: ``id`` (``hole1``, ...),
        ``area_km2``, ``width_m``, ``within`` (ids of the parts around it), ``lon``, ``lat``,
        ``geometry``.
    gap_width_m : float
        Gaps between parts narrower than this are reported (recipe ``[city] gap_width_m``).
    parts_union_km2 : float or None
        Geodesic area of the union of the parts, before anything is subtracted (None when
        the composition was built without it).
    removed_km2 : float
        Geodesic area cut out of that union by the subtracted components together.
    """

    name_en: str
    name_zh: str
    components: gpd.GeoDataFrame
    boundary: gpd.GeoDataFrame
    overlaps: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame
    context: gpd.GeoDataFrame
    method: str
    snap_tolerance_m: float
    warnings: tuple[str, ...] = field(default_factory=tuple)
    subtracted: gpd.GeoDataFrame = field(default_factory=lambda: _empty_subtracted())
    holes: gpd.GeoDataFrame = field(default_factory=lambda: _empty_holes())
    gap_width_m: float = DEFAULT_GAP_WIDTH_M
    parts_union_km2: float | None = None
    removed_km2: float = 0.0

    def __repr__(self) -> str:
        from ._repr import composition_repr

        return composition_repr(self)


def compose(
    recipe: Recipe, *, progress: Progress | None = None, limits: Limits | None = None
) -> Composition:
    """Load the recipe's layers and compose its boundary.

    Parameters
    ----------
    recipe : Recipe
        What to compose (see :func:`autocity_gis.recipe.load_recipe`).
    progress : callable, optional
        Called with a short line before each step that reads files or computes.
    limits : Limits, optional
        Resource limits for the layers (see :class:`autocity_gis.limits.Limits`); when
        omitted, the defaults as raised by ``AUTOCITY_GIS_MAX_…`` variables.

    Returns
    -------
    Composition
        Components, boundary, overlaps, gaps and context, in EPSG:4326.

    Raises
    ------
    autocity_gis.InputError
        If a layer cannot be read or a feature is unusable, or the subtracted components
        cover every part.
    """
    say = progress or (lambda _msg: None)
    warnings: list[str] = []
    context = _empty_frame(list(CONTEXT_COLUMNS))
    borders = None
    # Each file is read once however many components it feeds; the layers a recipe read for
    # its whole-layer blocks are not read again (their values made the components).
    cache = ReadCache(dict(recipe.reads))
    if recipe.context is not None:
        say(f"loading context units from {recipe.context.label}")
        layer = read_layer(recipe.context, limits=limits, progress=progress, cache=cache)
        warnings.extend(layer.warnings)
        context = _context_frame(layer.frame, layer.source_datum)
        borders = borders_of(layer)
    rows = []
    blocks: dict[int, dict[str, tuple[Layer, gpd.GeoDataFrame]]] = {}
    for spec in recipe.components:
        if spec.source is None:
            continue
        if spec.block is None:
            say(f"loading {spec.id} from {spec.source.label}")
            layer = read_layer(
                spec.source,
                context_borders=borders,
                limits=limits,
                progress=progress,
                cache=cache,
            )
            warnings.extend(layer.warnings)
            rows.append(_component_row(spec, layer, layer.frame, warnings))
            continue
        if spec.block.index not in blocks:
            count = sum(
                1 for c in recipe.components if c.block and c.block.index == spec.block.index
            )
            say(f"loading {count} components from {spec.source.label} ({spec.block.id_column})")
            blocks[spec.block.index] = _load_block(spec, borders, limits, progress, cache, warnings)
        layer, part = blocks[spec.block.index][spec.block.value]
        rows.append(_component_row(spec, layer, part, warnings))
    components = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
    components["measured_km2"] = geodesic_area_km2(components.geometry.to_numpy())

    say(f"composing {int((components.role == 'part').sum())} parts")
    try:
        result = compose_geometries(
            components.geometry.to_numpy(),
            ids=components["id"].tolist(),
            roles=components["role"].tolist(),
            snap_tolerance_m=recipe.snap_tolerance_m,
            gap_width_m=recipe.gap_width_m,
        )
    except InputError as exc:  # the subtracted components cover every part
        raise InputError(f"{recipe.path}: {exc}") from exc
    warnings.extend(result.warnings)
    boundary_area = float(geodesic_area_km2(result.boundary))
    boundary = gpd.GeoDataFrame(
        {
            "id": [recipe.id],
            "name_zh": [recipe.name_zh],
            "name_en": [recipe.name_en],
            "area_km2": [boundary_area],
        },
        geometry=[result.boundary],
        crs=WGS84,
    )
    overlaps = gpd.GeoDataFrame(
        {
            "a": [o[0] for o in result.overlaps],
            "b": [o[1] for o in result.overlaps],
            "area_km2": geodesic_area_km2(np.array([o[2] for o in result.overlaps], dtype=object)),
            "width_m": [d.width_m for d in result.overlap_details],
            "lon": [d.lon for d in result.overlap_details],
            "lat": [d.lat for d in result.overlap_details],
        },
        geometry=[o[2] for o in result.overlaps],
        crs=WGS84,
    )
    gaps = diagnostic_frame(result.gap_details, "gap")
    warnings.extend(diagnostic_warnings(overlaps, gaps, recipe.gap_width_m))
    return Composition(
        name_en=recipe.name_en,
        name_zh=recipe.name_zh,
        components=components,
        boundary=boundary,
        overlaps=overlaps,
        gaps=gaps,
        context=context,
        method=result.method,
        snap_tolerance_m=recipe.snap_tolerance_m,
        warnings=tuple(warnings),
        subtracted=_subtracted_frame(components, result),
        holes=diagnostic_frame(result.holes, "hole"),
        gap_width_m=recipe.gap_width_m,
        parts_union_km2=(
            float(geodesic_area_km2(result.parts_union)) if result.parts_union is not None else None
        ),
        removed_km2=(
            float(geodesic_area_km2(result.removed)) if result.removed is not None else 0.0
        ),
    )


#: Overlaps and gaps named one by one in the warnings; the rest are counted.
WARNED_ITEMS = 10


def diagnostic_warnings(
    overlaps: gpd.GeoDataFrame, gaps: gpd.GeoDataFrame, gap_width_m: float
) -> list[str]:
    """Return one warning per overlap and per gap (at most :data:`WARNED_ITEMS` of each).

    Overlaps and gaps do not fail the area check by themselves; they are digitising defects a
    person should look at, so each is named with its parts, area, width and location.
    """
    out = []
    for o in overlaps.head(WARNED_ITEMS).itertuples(index=False):
        out.append(
            f"components '{o.a}' and '{o.b}' overlap by {o.area_km2:.4f} km² (widest "
            f"{o.width_m:.1f} m) at {o.lon:.5f}, {o.lat:.5f}; the area is counted once."
        )
    if len(overlaps) > WARNED_ITEMS:
        out.append(f"and {len(overlaps) - WARNED_ITEMS} more overlap(s): see the overlaps layer.")
    for g in gaps.head(WARNED_ITEMS).itertuples(index=False):
        around = " and ".join(f"'{i}'" for i in str(g.between).split(", ") if i)
        where = "enclosed" if g.enclosed else "open to the outer edge"
        out.append(
            f"{g.id}: a gap of {g.area_km2:.4f} km² ({g.width_m:.1f} m wide, {where}) between "
            f"{around} at {g.lon:.5f}, {g.lat:.5f}, narrower than gap_width_m = "
            f"{gap_width_m:g} m; check the digitising."
        )
    if len(gaps) > WARNED_ITEMS:
        out.append(f"and {len(gaps) - WARNED_ITEMS} more gap(s): see the gaps layer.")
    return out


def diagnostic_frame(details: tuple[Diagnostic, ...], prefix: str) -> gpd.GeoDataFrame:
    """Return gaps (``prefix="gap"``) or holes (``"hole"``) as a frame, as in Composition."""
    column = "between" if prefix == "gap" else "within"
    data: dict[str, Any] = {
        "id": [f"{prefix}{n}" for n in range(1, len(details) + 1)],
        "area_km2": geodesic_area_km2(np.array([d.geometry for d in details], dtype=object)),
        "width_m": [d.width_m for d in details],
        column: [", ".join(d.between) for d in details],
    }
    if prefix == "gap":
        data["enclosed"] = pd.Series([d.enclosed for d in details], dtype=bool)
    data["lon"] = [d.lon for d in details]
    data["lat"] = [d.lat for d in details]
    return gpd.GeoDataFrame(data, geometry=[d.geometry for d in details], crs=WGS84)


def _subtracted_frame(components: gpd.GeoDataFrame, result: GeometryResult) -> gpd.GeoDataFrame:
    cut = components[components["role"] == "subtract"]
    if cut.empty:
        return _empty_subtracted()
    removed = {cid: geom for cid, geom in result.removed_by}
    removed_km2 = [
        float(geodesic_area_km2(removed[cid])) if cid in removed else 0.0 for cid in cut["id"]
    ]
    area = cut["measured_km2"].astype(float).to_numpy()
    points = [g.representative_point() for g in cut.geometry]
    return gpd.GeoDataFrame(
        {
            "id": cut["id"].to_numpy(),
            "name_zh": cut["name_zh"].to_numpy(),
            "name_en": cut["name_en"].to_numpy(),
            "area_km2": area,
            "removed_km2": removed_km2,
            "inside_pct": [
                r / a * 100.0 if a > 0 else 0.0 for r, a in zip(removed_km2, area, strict=True)
            ],
            "lon": [p.x for p in points],
            "lat": [p.y for p in points],
        },
        geometry=cut.geometry.to_numpy(),
        crs=WGS84,
    )


def _empty_subtracted() -> gpd.GeoDataFrame:
    frame = _empty_frame(["id", "name_zh", "name_en"])
    for column in ("area_km2", "removed_km2", "inside_pct", "lon", "lat"):
        frame[column] = pd.Series(dtype=float)
    return frame


def _empty_holes() -> gpd.GeoDataFrame:
    return diagnostic_frame((), "hole")


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
    local = projection.to_local(geoms)
    parts = local[is_part]
    part_ids = [i for i, keep in zip(ids, is_part, strict=True) if keep]
    warnings: list[str] = []
    tol = snap_tolerance_m

    overlaps, sliver_count = _overlaps(parts, part_ids, tol)
    if sliver_count:
        warnings.append(
            f"{sliver_count} sliver overlap(s) narrower than {2 * tol:g} m between components "
            "were assigned to one neighbour."
        )

    method = "coverage"
    if shapely.coverage_is_valid(parts, gap_width=2 * tol):
        union = shapely.coverage_union_all(parts)
    else:
        try:
            cleaned = shapely.coverage_clean(parts, gap_width=2 * tol, snapping_distance=tol)
            union = shapely.coverage_union_all(cleaned)
            method = "cleaned"
        except shapely.errors.GEOSException:
            union = shapely.union_all(parts, grid_size=tol if tol > 0 else None)
            method = "overlay"
        plain = shapely.union_all(parts)
        closed = union.area - plain.area
        if closed > 0.5:
            warnings.append(
                f"closed {closed / 1e6:.4f} km² of gaps narrower than {2 * tol:g} m between "
                "components (digitising slivers)."
            )
    union = polygonal(shapely.make_valid(union))
    subtract = local[~is_part]
    cut = shapely.union_all(subtract) if len(subtract) else None
    composed = union
    if cut is not None:
        composed = shapely.difference(union, cut)
    composed = polygonal(shapely.make_valid(composed))
    if cut is not None and (composed.is_empty or composed.area <= 0.0):
        raise _covers_everything(local, is_part, ids)

    gaps, holes = gaps_and_holes(
        union, parts, part_ids, gap_width_m=gap_width_m, sliver_m=2 * tol, cut=cut
    )
    cut_ids = [i for i, keep in zip(ids, is_part, strict=True) if not keep]
    back = projection.to_lonlat
    gap_details = tuple(_diagnostic(p, projection) for p in gaps)
    return GeometryResult(
        boundary=shapely.orient_polygons(back(composed)),
        overlaps=tuple((a, b, shapely.orient_polygons(back(g))) for a, b, g in overlaps),
        gaps=tuple(d.geometry for d in gap_details),
        method=method,
        warnings=tuple(warnings),
        gap_details=gap_details,
        holes=tuple(_diagnostic(p, projection) for p in holes),
        overlap_details=tuple(
            _diagnostic(Patch(g, (a, b), False, width_m(g)), projection) for a, b, g in overlaps
        ),
        parts_union=shapely.orient_polygons(back(union)),
        removed=(
            shapely.orient_polygons(back(polygonal(shapely.intersection(union, cut))))
            if cut is not None
            else None
        ),
        removed_by=tuple(
            (cid, shapely.orient_polygons(back(polygonal(shapely.intersection(union, g)))))
            for cid, g in zip(cut_ids, subtract, strict=True)
        ),
    )


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


def _load_block(
    spec: ComponentSpec,
    borders: BaseGeometry | None,
    limits: Limits | None,
    progress: Progress | None,
    cache: ReadCache,
    warnings: list[str],
) -> dict[str, tuple[Layer, gpd.GeoDataFrame]]:
    """Load a whole-layer block once and split it by its id column: value → (layer, rows)."""
    assert spec.source is not None and spec.block is not None
    layer = read_layer(
        spec.source, context_borders=borders, limits=limits, progress=progress, cache=cache
    )
    warnings.extend(layer.warnings)
    frame = layer.frame
    keys = pd.Series(
        [block_value(v) for v in frame[spec.block.id_column].tolist()], index=frame.index
    )
    return {str(value): (layer, frame.loc[rows.index]) for value, rows in keys.groupby(keys)}


def _component_row(
    spec: ComponentSpec, layer: Layer, frame: gpd.GeoDataFrame, warnings: list[str]
) -> dict[str, Any]:
    """One component's row of the components frame, from its selected features."""
    assert spec.source is not None
    geom = frame.geometry.iloc[0] if len(frame) == 1 else shapely.union_all(frame.geometry)
    first = frame.iloc[0]
    label = spec.source.label
    row: dict[str, Any] = {
        "id": spec.id,
        "name_zh": spec.name_zh or _text(first.get("name_zh")),
        "name_en": spec.name_en,
        "role": spec.role,
    }
    for column, default in COMPONENT_COLUMNS.items():
        row[column] = _text(first.get(column)) or default
    if not _text(first.get("datum")):
        row["datum"] = layer.source_datum if layer.source_datum != "WGS84" else layer.source_crs
    if not _text(first.get("source")):
        row["source"] = label
    if row["accuracy"] not in ACCURACY_CLASSES:
        warnings.append(
            f"{label}: component '{spec.id}' has accuracy "
            f"'{row['accuracy']}', not one of {', '.join(ACCURACY_CLASSES)}; treated as "
            "user-supplied."
        )
        row["accuracy"] = "user-supplied"
    stated = spec.stated_area_km2
    stated_source = spec.stated_area_source
    if (
        spec.block is None
        and stated is None
        and finite_or_none(first.get("stated_area_km2")) is not None
    ):
        stated = finite_or_none(first.get("stated_area_km2"))
        stated_source = _text(first.get("stated_area_source")) or label
    row["stated_area_km2"] = stated
    row["stated_area_source"] = stated_source or ""
    row["source_crs"] = layer.source_crs  # for the plane area in the layer's own CRS
    row["geometry"] = shapely.orient_polygons(shapely.make_valid(geom))
    return row


def _context_frame(frame: gpd.GeoDataFrame, datum: str) -> gpd.GeoDataFrame:
    out = gpd.GeoDataFrame(geometry=frame.geometry.to_numpy(), crs=WGS84)
    for column in CONTEXT_COLUMNS:
        if column in frame.columns:
            out[column] = frame[column].astype(str).to_numpy()
        else:
            out[column] = "official" if column == "accuracy" else ""
    if "datum" not in frame.columns:
        out["datum"] = datum
    return out[[*CONTEXT_COLUMNS, "geometry"]]


def _empty_frame(columns: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: pd.Series(dtype=str) for c in columns}, geometry=[], crs=WGS84)


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


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def finite_or_none(value: Any) -> float | None:
    """Return ``value`` as a finite float, or None for missing, NaN or non-numeric values."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None
