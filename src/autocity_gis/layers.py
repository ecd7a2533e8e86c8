"""Layer loading: any vector file, any CRS or datum, to clean WGS 84 polygons.

This module owns everything between a file on disk and a GeoDataFrame the rest of the toolkit
can trust: reading through the GDAL sandbox of :mod:`autocity_gis._gdal` (GeoJSON, GeoPackage,
Shapefile, FlatGeobuf, KML/KMZ, DXF, File Geodatabase, CSV, MapInfo; no VRT, no network; within
the :class:`~autocity_gis.limits.Limits`), in the attribute encoding the recipe names, refusing
CRSs that are vertical, local or not of the Earth, choosing the rows a recipe's filter
names, putting the coordinates into EPSG:4326 on the WGS 84 datum (from any EPSG CRS, or from
the GCJ-02/BD-09 offset datums that no EPSG code expresses), checking that they are plausible
(finite, in China, not latitude/longitude swapped) and, when the recipe has a context layer,
where they should be (near the context units, inside the named parent unit, in the declared
datum: :mod:`autocity_gis.placement` judges that and names the CRS or datum that would put a
misplaced layer right) and repairing geometry. Anything unusable raises a
:class:`~autocity_gis._errors.LayerError` naming the file and feature; repairs that are safe
are made and described in the returned warnings.

Reading the rows (sandbox, limits, encoding, filter) lives in ``_layer_read`` and the CRS and
its way to WGS 84 in ``_layer_crs``; both are re-exported here, where the steps are put together
with the repairs and the placement checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from . import placement
from ._cores import on_two_cores
from ._errors import CRSError, LayerError
from ._layer_crs import (
    CHINA_BBOX,
    OLD_DATUMS,
    WGS84,
    _assign_crs,
    _old_datum,
    _to_wgs84,
    bound_crs,
)
from ._layer_read import (
    Progress,
    ReadCache,
    _selected,
    feature_label,
    selected_rows,
)
from ._layer_read import _mis_decoded as _mis_decoded  # starter.py imports it from here
from .limits import Limits
from .limits import current as current_limits
from .recipe import LayerSource

__all__ = [
    "CHINA_BBOX",
    "CONTEXT_NEAR_KM",
    "DATUM_MATCH_M",
    "OLD_DATUMS",
    "WGS84",
    "Layer",
    "Progress",
    "ReadCache",
    "borders_of",
    "bound_crs",
    "feature_label",
    "polygonal",
    "read_layer",
    "selected_rows",
]

_POLYGONAL = {"Polygon", "MultiPolygon"}


#: A component whose borders meet the context units' borders (within this many metres) only
#: after a datum shift is reported as probably carrying the wrong datum.
DATUM_MATCH_M = placement.DATUM_MATCH_M
#: A component farther than this from every context unit is an error (misplaced).
CONTEXT_NEAR_KM = placement.MISPLACED_KM


@dataclass(frozen=True)
class Layer:
    """A loaded layer.

    Attributes
    ----------
    frame : geopandas.GeoDataFrame
        Polygons in EPSG:4326 (WGS 84), valid, 2-D, one row per selected feature.
    source_crs : str
        The CRS the file declared or the recipe supplied, as text.
    source_datum : str
        ``WGS84``, ``GCJ02`` or ``BD09``: the datum the coordinates were in.
    warnings : tuple of str
        Repairs made while loading, and doubts about the data that are not certain enough
        to refuse it (a suspected datum mix-up, GDAL's own warnings).
    """

    frame: gpd.GeoDataFrame
    source_crs: str
    source_datum: str
    warnings: tuple[str, ...]


def read_layer(
    source: LayerSource,
    *,
    context_borders: BaseGeometry | None = None,
    limits: Limits | None = None,
    progress: Progress | None = None,
    cache: ReadCache | None = None,
) -> Layer:
    """Read a layer file and bring it to valid WGS 84 polygons.

    The file is opened through the sandbox of :mod:`autocity_gis._gdal`: only plain file
    formats, no network, zipped files only from the recipe's folder.

    Parameters
    ----------
    source : LayerSource
        The file, layer, filter, attribute encoding and declared CRS/datum.
    context_borders : shapely geometry, optional
        Borders of the official context units (see :func:`borders_of`); when given, the
        layer's position, parent unit (``source.parent``) and datum are checked against
        them, and a layer without a CRS, or outside China as declared, is re-read in the
        sibling Gauss-Krueger CRSs to name the one that lands it on them.
    limits : Limits, optional
        Resource limits (features, vertices, text length, unzipped size); when omitted,
        :func:`autocity_gis.limits.current` (defaults raised by ``AUTOCITY_GIS_MAX_…``).
    progress : callable, optional
        Called with one line before reading a large layer.
    cache : ReadCache, optional
        Reads of this run: a file already read (same path, layer and encoding) is not read
        again.

    Returns
    -------
    Layer
        The selected features in EPSG:4326.

    Raises
    ------
    LayerError
        If the file is refused by the sandbox or cannot be read, is over a limit, is empty,
        its text attributes are mis-decoded, the filter selects nothing, a feature is not
        a usable polygon, ``source.parent`` is not a context unit or nothing of the layer
        lies in it.
    CRSError
        If the CRS is missing, not horizontal or not of the Earth, the coordinates do not fit
        it (projected metres labelled as degrees, latitude and longitude swapped), the
        layer lies outside China, or it lies farther than
        :data:`~autocity_gis.placement.MISPLACED_KM` from the context units.
    """
    limits = current_limits(limits)
    path = source.path
    frame, notes = _selected(source, cache, limits, progress)
    crs_text, frame = _declared_crs(frame, source, context_borders, limits)
    notes += _old_datum(frame, source)
    datum = source.datum or "WGS84"
    raw = frame
    frame = _in_wgs84(raw, source, datum, context_borders, limits)
    frame, repairs = _repair(frame, path)
    notes += repairs
    notes += _duplicates(frame, path)
    if context_borders is not None:
        notes += _check_against_reference(frame, raw, source, datum, context_borders, limits)
    return Layer(frame=frame, source_crs=crs_text, source_datum=datum, warnings=tuple(notes))


def _declared_crs(
    frame: gpd.GeoDataFrame,
    source: LayerSource,
    borders: BaseGeometry | None,
    limits: Limits,
) -> tuple[str, gpd.GeoDataFrame]:
    """Give the frame its declared CRS; for a layer with none, name the one the context finds."""
    try:
        return _assign_crs(frame, source)
    except CRSError as exc:
        if frame.crs is not None or source.crs is not None or source.datum is not None:
            raise
        # No CRS anywhere: the context may tell which one the coordinates are in.
        hint = _undeclared_hint(frame, source, borders, limits, exc)
        if hint is None:
            raise
        raise CRSError(hint) from exc


def _in_wgs84(
    raw: gpd.GeoDataFrame,
    source: LayerSource,
    datum: str,
    borders: BaseGeometry | None,
    limits: Limits,
) -> gpd.GeoDataFrame:
    """Bring the frame to WGS 84; if it cannot be placed, name a CRS that lands it, if one does."""
    try:
        return _to_wgs84(raw, source.path, datum, source.towgs84)
    except CRSError as exc:
        # Outside China or beyond PROJ as declared: a sibling zone may land it on the context.
        hint = _placement_hint(raw, source, datum, borders, limits, exc)
        if hint is None:
            raise
        raise CRSError(hint) from exc


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Return the polygonal part of a geometry (unioned), or an empty polygon if it has none.

    Overlay results such as intersections may come back as collections with stray lines and
    points where shapes touch; only their area matters here.

    Examples
    --------
    >>> g = shapely.GeometryCollection([shapely.box(0, 0, 1, 1), shapely.Point(5, 5)])
    >>> polygonal(g).wkt
    'POLYGON ((1 0, 1 1, 0 1, 0 0, 1 0))'
    """
    if geom.geom_type in _POLYGONAL:
        return geom
    polys = [g for g in _flat_parts(geom) if g.geom_type in _POLYGONAL and not g.is_empty]
    return shapely.union_all(polys) if polys else shapely.Polygon()


def _flat_parts(geom: BaseGeometry) -> list[BaseGeometry]:
    """Return the single parts of a geometry, collections inside collections unpacked."""
    out: list[BaseGeometry] = []
    stack = [geom]
    while stack:
        for part in shapely.get_parts(stack.pop()):
            if part.geom_type == "GeometryCollection":
                stack.append(part)
            else:
                out.append(part)
    return out


def _repair(frame: gpd.GeoDataFrame, path: Path) -> tuple[gpd.GeoDataFrame, list[str]]:
    warnings: list[str] = []
    given = frame.geometry.to_numpy()
    valid = _valid(given)
    if _all_sound(given, valid):
        return frame, warnings  # nothing for the loop below to refuse, repair or note
    geoms = given.copy()
    for pos, index in enumerate(frame.index):
        geom = geoms[pos]
        label = _Label(path, frame, index)
        if geom is None:
            raise LayerError(
                f"{label}: has no geometry (missing, or unreadable in a damaged or truncated "
                "file); fix or drop the feature."
            )
        if geom.is_empty:
            raise LayerError(f"{label}: the geometry is empty; fix or drop the feature.")
        kind = geom.geom_type
        if kind not in _POLYGONAL and kind != "GeometryCollection":
            raise LayerError(f"{label}: is a {kind}, but a polygon is needed.")
        if shapely.has_z(geom):
            geom = shapely.force_2d(geom)
            warnings.append(f"{label}: dropped the z coordinates.")
        if not (valid[pos] if geom is given[pos] else geom.is_valid):
            reason = shapely.is_valid_reason(geom)
            geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
            warnings.append(f"{label}: repaired invalid geometry ({reason}).")
        if geom.geom_type not in _POLYGONAL:
            if any(g.geom_type not in _POLYGONAL or g.is_empty for g in shapely.get_parts(geom)):
                warnings.append(f"{label}: dropped non-polygon parts.")
            geom = polygonal(geom)
        if geom.is_empty or geom.area == 0.0:
            raise LayerError(f"{label}: the polygon has no area (collapsed or degenerate).")
        geoms[pos] = geom
    if any(new is not old for new, old in zip(geoms, given, strict=True)):
        frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
    return frame, warnings


def _all_sound(geoms: np.ndarray, valid: np.ndarray) -> bool:
    """Return whether every geometry is a valid, 2-D (multi)polygon with an area, at once.

    The same tests :func:`_repair` makes feature by feature (2,875 counties: 40 ms), made on
    the whole array; when one fails, the loop finds and names it.
    """
    kinds = shapely.get_type_id(geoms)  # -1 for a missing geometry
    polygonal_ = (kinds == shapely.GeometryType.POLYGON) | (
        kinds == shapely.GeometryType.MULTIPOLYGON
    )
    return bool(
        polygonal_.all()
        and valid.all()
        and not shapely.is_empty(geoms).any()
        and not shapely.has_z(geoms).any()
        and (shapely.area(geoms) != 0.0).all()
    )


def _valid(geoms: np.ndarray) -> np.ndarray:
    """Return ``shapely.is_valid`` of each geometry, on two cores for a large layer.

    0.29 s of the country layer's 2,875 counties (4.2 M vertices) on one.
    """
    return np.asarray(on_two_cores(geoms, shapely.is_valid))


class _Label:
    """A feature's :func:`feature_label`, built only when a message uses it."""

    def __init__(self, path: Path, frame: gpd.GeoDataFrame, index: object) -> None:
        self.path, self.frame, self.index = path, frame, index

    def __str__(self) -> str:
        return feature_label(self.path, self.frame, self.index)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def _duplicates(frame: gpd.GeoDataFrame, path: Path) -> list[str]:
    # Duplicated features add nothing to a union, but the planner should know they are there.
    if len(frame) < 2:  # one feature has no twin (and a component is often one feature)
        return []
    # Twins have the same bounds (normalising only reorders coordinates), so only features
    # whose bounds another feature shares are compared: 2,875 counties, 0.12 s -> 2 ms.
    geoms = frame.geometry.to_numpy()
    bounds = [b.tobytes() for b in shapely.bounds(geoms)]
    counts: dict[bytes, int] = {}
    for key in bounds:
        counts[key] = counts.get(key, 0) + 1
    seen: dict[bytes, object] = {}
    notes = []
    for index, geom, box in zip(frame.index, geoms, bounds, strict=True):
        if counts[box] < 2:
            continue
        key = shapely.to_wkb(shapely.normalize(geom))
        if key in seen:
            notes.append(
                f"{feature_label(path, frame, index)}: same geometry as feature {seen[key]}; "
                "counted once."
            )
        else:
            seen[key] = index
    return notes


def borders_of(layer: Layer) -> BaseGeometry:
    """Return the borders of a layer's polygons as one (multi)line geometry in WGS 84."""
    borders = shapely.union_all(shapely.boundary(layer.frame.geometry.to_numpy()))
    placement.register(borders, layer.frame)
    return borders


def _check_against_reference(
    frame: gpd.GeoDataFrame,
    raw: gpd.GeoDataFrame,
    source: LayerSource,
    datum: str,
    borders: BaseGeometry,
    limits: Limits,
) -> list[str]:
    """Check a component against the context layer; see :mod:`autocity_gis.placement`.

    Errors: farther than :data:`~autocity_gis.placement.MISPLACED_KM` from every context unit
    (naming the Gauss-Krueger CRS or datum that would put it there), a parent unit that is not
    in the context, or nothing of the component inside it. Warnings: the share outside the
    parent, a suspected datum mix-up.
    """
    context = _context(borders, source, limits)
    if context is None:
        return []
    declared = _declared(raw, source, datum)
    geoms = frame.geometry.to_numpy()
    notes = placement.check_component(geoms, declared, context, parent=source.parent)
    notes += placement.datum_warnings(geoms, declared, context, borders, parent=source.parent)
    return notes


def _context(
    borders: BaseGeometry, source: LayerSource, limits: Limits
) -> placement.Context | None:
    name = source.reference.path.name if source.reference else "the context layer"
    context = placement.context_for(borders, name)
    if (
        context is not None
        and source.parent is not None
        and not context.has_attributes
        and source.reference is not None
    ):
        # Borders built by the caller, not by borders_of: the parent needs the attributes.
        units = read_layer(source.reference, limits=limits).frame
        context = placement.context_for(borders, name, units)
    return context


def _declared(raw: gpd.GeoDataFrame, source: LayerSource, datum: str) -> placement.Declared:
    crs = raw.crs
    return placement.Declared(
        name=source.path.name,
        crs=crs,
        crs_text=source.crs if source.crs is not None else crs.to_string(),
        datum=datum,
        in_recipe=source.crs is not None,
        raw_xy=placement.sample(shapely.get_coordinates(raw.geometry.to_numpy())),
    )


def _undeclared_hint(
    frame: gpd.GeoDataFrame,
    source: LayerSource,
    borders: BaseGeometry | None,
    limits: Limits,
    problem: CRSError,
) -> str | None:
    """Return a better message for a layer without a CRS, if the context tells which."""
    found = _hint_context(borders, source, limits, problem)
    if found is None:
        return None
    xy = shapely.get_coordinates(frame.geometry.to_numpy())
    return placement.undeclared_hint(xy, *found)


def _placement_hint(
    raw: gpd.GeoDataFrame,
    source: LayerSource,
    datum: str,
    borders: BaseGeometry | None,
    limits: Limits,
    problem: CRSError,
) -> str | None:
    """Return a better message for a layer that cannot be placed, if a CRS lands it."""
    found = _hint_context(borders, source, limits, problem)
    if found is None:
        return None
    return placement.unplaceable_hint(_declared(raw, source, datum), *found)


def _hint_context(
    borders: BaseGeometry | None, source: LayerSource, limits: Limits, problem: CRSError
) -> tuple[Any, str] | None:
    """Return the context units to search a CRS against, and the problem's message.

    The message is cut before its own advice, which the hint replaces; None without a context.
    """
    if borders is None or borders.is_empty:
        return None
    context = _context(borders, source, limits)
    if context is None:
        return None
    return context, str(problem).split("; ")[0].rstrip(".")
