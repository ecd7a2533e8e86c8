"""The layer tables every hand-off format is written from, computed once per build.

:func:`layer_frames` turns a composition and its area check into the named layers the
GeoPackage, the QGIS project, the Shapefiles, GeoJSON, KML and the DXF all carry
(:data:`LAYER_NAMES`), in WGS 84 with MultiPolygon geometry; each writer takes this one
:data:`Frames` mapping and reprojects it as its format needs. The module knows nothing of any
format, so no writer depends on another's module to get its data.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import pandas as pd
from pyproj import CRS
from shapely.geometry import MultiPolygon, Polygon

from ._text import for_utf8
from .composition import Composition
from .validation import ValidationReport

#: Layer names in hand-off order; ``admin_units`` and the diagnostics (``subtracted``,
#: ``overlaps``, ``gaps``, ``holes``) only when non-empty.
LAYER_NAMES: tuple[str, ...] = (
    "components",
    "boundary",
    "admin_units",
    "subtracted",
    "overlaps",
    "gaps",
    "holes",
)

#: CGCS2000 / 3-degree Gauss-Kruger zone 42 (central meridian 126°E, false easting 42 500 000 m,
#: i.e. with the zone number in front as Chinese survey and planning data write it). Changchun
#: (124.5-127.5°E) lies in this zone; the same zone without the prefix is EPSG:4551.
GK_EPSG = 4530
#: Suffix of the layers written in :data:`GK_EPSG`.
GK_SUFFIX = "_cgcs2000_gk"
WGS84_EPSG = 4326

#: The hand-off layers by name, in drawing order, as :func:`layer_frames` returns them.
Frames = Mapping[str, gpd.GeoDataFrame]

_COMPONENT_FIRST = ("id", "name_zh", "name_en", "kind", "accuracy", "stated_area_km2")


def layer_frames(composition: Composition, report: ValidationReport) -> dict[str, gpd.GeoDataFrame]:
    """Build the hand-off layers from a composition and its validation report.

    Parameters
    ----------
    composition : Composition
        The composed boundary with components, context units and diagnostics.
    report : ValidationReport
        The area check of ``composition``; supplies target area and per-component deltas.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        In drawing order of :data:`LAYER_NAMES`, all in EPSG:4326 with MultiPolygon geometry.
        ``components`` carries ``id``, ``name_zh``, ``name_en``, ``accuracy``, stated and
        measured areas and their difference; ``boundary`` carries the target (stated) area,
        the measured area, the check result and ``accuracy`` (``estimated`` when any
        component is). ``subtracted`` (zones cut out, with the area each removed),
        ``overlaps`` (pairs ``a``/``b``), ``gaps`` (``between``, ``enclosed``) and ``holes``
        (``within``) carry area, widest point and a location; they and ``admin_units`` are
        left out when empty.
    """
    frames = {
        "components": _components(composition, report),
        "boundary": _boundary(composition, report),
    }
    for name, frame in (
        ("admin_units", composition.context),
        ("subtracted", composition.subtracted),
        ("overlaps", composition.overlaps),
        ("gaps", composition.gaps),
        ("holes", composition.holes),
    ):
        if frame is not None and len(frame):
            frames[name] = _wgs84(frame).copy()
    for frame in frames.values():
        _clean(frame)
    return frames


def in_crs(frames: Frames, crs: CRS | str | int | None) -> dict[str, gpd.GeoDataFrame]:
    """Return ``frames`` reprojected to ``crs`` (unchanged when None)."""
    return {n: f.to_crs(crs) if crs is not None else f for n, f in frames.items()}


def base_layer(name: str) -> str:
    """Return the layer name without :data:`GK_SUFFIX`."""
    return name.removesuffix(GK_SUFFIX)


def _components(composition: Composition, report: ValidationReport) -> gpd.GeoDataFrame:
    judged = {c.id: c for c in report.components}
    components = _wgs84(composition.components).copy()
    rows = [judged.get(i) for i in components["id"]]
    components["delta_pct"] = [c.delta_pct if c else None for c in rows]
    # The component's own verdict: a real boolean (GeoPackage BOOLEAN subtype, GeoJSON
    # true/false), null where nothing is stated.
    components["tolerance_pct"] = _reals([c.tolerance_pct if c else None for c in rows])
    components["passed"] = pd.array([c.passed if c else None for c in rows], dtype="boolean")
    components["gk_km2"] = _reals([c.gk_km2 if c else None for c in rows])
    components["plane_km2"] = _reals([c.plane_source_km2 if c else None for c in rows])
    first = [*_COMPONENT_FIRST, "measured_km2"]
    ordered = [c for c in first if c in components.columns]
    ordered += [c for c in components.columns if c not in ordered and c != "geometry"]
    return components[[*ordered, "geometry"]]


def _boundary(composition: Composition, report: ValidationReport) -> gpd.GeoDataFrame:
    boundary = _wgs84(composition.boundary).copy()
    # The composed outline is as estimated as its least certain part ("dashed = estimated").
    boundary["accuracy"] = "estimated" if report.estimated else "official"
    boundary["stated_area_km2"] = report.target_km2
    boundary["stated_area_source"] = report.target_source
    boundary["measured_km2"] = report.composed_km2
    boundary["delta_pct"] = report.delta_pct
    boundary["passed"] = pd.array([report.passed], dtype="boolean")
    boundary["gk_km2"] = _reals([report.composed_gk_km2])
    return boundary


def _clean(frame: gpd.GeoDataFrame) -> None:
    """Make every geometry a MultiPolygon and every text UTF-8 writable, in place."""
    frame.geometry = frame.geometry.apply(_to_multi)
    for column in frame.columns:
        series = frame[column]
        if column != frame.geometry.name and (
            pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series)
        ):
            # Text stays data, except what no UTF-8 file can hold (lone surrogates).
            frame[column] = series.map(_utf8_safe)


def _reals(values: list[float | None]) -> pd.Series:
    """Return a real-number column (None → null), never text when every value is None."""
    return pd.array(values, dtype="Float64")


def _utf8_safe(value: object) -> object:
    return for_utf8(value) if isinstance(value, str) else value


def _wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``frame`` in EPSG:4326; a frame without CRS is taken to be in it (as documented)."""
    if frame.crs is None:
        return frame.set_crs(WGS84_EPSG)
    if CRS.from_user_input(frame.crs).to_epsg() != WGS84_EPSG:
        return frame.to_crs(WGS84_EPSG)
    return frame


def _to_multi(geom: object) -> object:
    return MultiPolygon([geom]) if isinstance(geom, Polygon) else geom
