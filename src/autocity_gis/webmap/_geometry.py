"""Geometry of the web map: simplified for the web within an area bound, shifted for display.

This module owns web simplification -- ``shapely.coverage_simplify`` in a local equal-area
projection, at the largest tolerance of :data:`TOLERANCE_LADDER_M` that changes no layer's
geodesic area by more than :data:`MAX_AREA_CHANGE_PCT` -- the per-layer record of it
(:class:`~autocity_gis._facts.LayerSimplification`), the GCJ-02 display shift, and GeoJSON with
rounded coordinates. Areas are always measured before simplification, in WGS 84, with the
vectorised geodesic area (:func:`autocity_gis._fast_area.fast_geodesic_area_km2`, within
1e-8 of ``pyproj.Geod``; 1 ms instead of 18 ms per ladder step for the context units).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from .._facts import LayerSimplification
from .._fast_area import fast_geodesic_area_km2 as geodesic_area_km2
from .._proj import local_laea_for
from ..composition import Composition

#: Simplification tolerances tried for the web, largest first (metres).
TOLERANCE_LADDER_M: tuple[float, ...] = (100.0, 50.0, 20.0, 10.0, 5.0, 2.0, 0.0)
#: Largest change of any layer's geodesic area that web simplification may cause (percent).
MAX_AREA_CHANGE_PCT = 0.05
#: Decimals kept in page coordinates (1e-6 degree is about 0.1 m).
COORD_DECIMALS = 6

Geoms = NDArray[np.object_]


def simplify_layer(
    geoms: Sequence[Any] | NDArray[np.object_],
    *,
    ladder: Sequence[float] = TOLERANCE_LADDER_M,
    max_change_pct: float = MAX_AREA_CHANGE_PCT,
    with_union: bool = False,
) -> tuple[NDArray[np.object_], float, NDArray[np.float64]]:
    """Simplify polygons together so shared borders stay shared and areas barely change.

    The polygons are projected to a Lambert azimuthal equal-area projection centred on them,
    simplified with ``shapely.coverage_simplify`` at each tolerance of ``ladder`` in turn, and
    projected back; the first tolerance whose geodesic area change is within ``max_change_pct``
    for every polygon (and, with ``with_union``, for their union) is kept. Inputs that are not a
    valid coverage are returned unchanged (simplifying them separately would open gaps).

    Parameters
    ----------
    geoms : sequence of shapely geometries
        Polygons in WGS 84 longitude/latitude.
    ladder : sequence of float
        Tolerances in metres, largest first; ``0`` means no simplification.
    max_change_pct : float
        Largest allowed relative change of a polygon's geodesic area, in percent.
    with_union : bool
        Also bound the change of the union's area and return the union last.

    Returns
    -------
    geoms : numpy.ndarray
        Simplified polygons (plus their union when ``with_union``).
    tolerance_m : float
        Tolerance used.
    change_pct : numpy.ndarray
        Absolute area change per returned geometry, in percent.
    """
    arr = np.asarray(geoms, dtype=object)
    original = np.append(arr, shapely.union_all(arr)) if with_union else arr
    if len(arr) == 0:
        return original, 0.0, np.zeros(len(original))
    before = geodesic_area_km2(original)
    valid = bool(shapely.coverage_is_valid(arr))
    if valid:
        projection = local_laea_for(arr)
        projected = projection.to_local(arr)
        for tol in ladder:
            if tol <= 0:
                break
            simple = projection.to_lonlat(shapely.coverage_simplify(projected, tol))
            if with_union:
                simple = np.append(simple, shapely.coverage_union_all(simple))
            if not (shapely.is_valid(simple).all() and not shapely.is_empty(simple).any()):
                continue
            change = np.abs(geodesic_area_km2(simple) - before) / np.maximum(before, 1e-12) * 100
            if float(change.max()) <= max_change_pct:
                return simple, float(tol), change
    return original, 0.0, np.zeros(len(original))


def geojson(geom: Any) -> dict[str, Any]:
    """Return a geometry as a GeoJSON mapping with coordinates rounded to COORD_DECIMALS."""
    rounded = shapely.transform(geom, lambda xy: np.round(xy, COORD_DECIMALS))
    mapped: dict[str, Any] = json.loads(shapely.to_geojson(rounded))
    return mapped


@dataclass(frozen=True)
class WebGeometry:
    """What the page draws, in the display datum.

    Attributes
    ----------
    layers : dict of str to numpy.ndarray
        Geometries of ``components`` (recipe order, subtracted ones included), ``boundary``
        (one), ``context``, ``overlaps``, ``gaps`` and ``holes``.
    simplification : tuple of LayerSimplification
        Tolerance and area change per component, the boundary and the context units.
    bounds : tuple of float or None
        ``(west, south, east, north)`` of the boundary (or the components), None if empty.
    """

    layers: dict[str, Geoms]
    simplification: tuple[LayerSimplification, ...]
    bounds: tuple[float, float, float, float] | None


@dataclass(frozen=True)
class _Simplified:
    geoms: Geoms
    tolerance_m: NDArray[np.float64]
    change_pct: NDArray[np.float64]


def web_geometry(composition: Composition, *, simplify: bool, datum: str) -> WebGeometry:
    """Simplify a composition's layers for the web and shift them into the display datum.

    Parameters
    ----------
    composition : Composition
        Layers in WGS 84.
    simplify : bool
        Simplify within :data:`MAX_AREA_CHANGE_PCT`; otherwise keep every vertex.
    datum : str
        ``WGS84`` or ``GCJ02``: the datum of the basemap.

    Returns
    -------
    WebGeometry
        Display geometries, simplification record and bounds.
    """
    ladder = TOLERANCE_LADDER_M if simplify else (0.0,)
    comps = composition.components.reset_index(drop=True)
    ctx = composition.context.reset_index(drop=True)
    # The context units (most of the vertices) are simplified on a thread of their own beside
    # the components: GEOS releases the GIL, and the page is the longest of a build's writers.
    with ThreadPoolExecutor(max_workers=1) as pool:
        ctx_job = pool.submit(simplify_layer, ctx.geometry.to_numpy(), ladder=ladder)
        parts, boundary = _simplify_components(comps, composition.boundary, ladder)
        ctx_geoms, ctx_tol, ctx_change = ctx_job.result()
    context = _Simplified(ctx_geoms, np.full(len(ctx), ctx_tol), ctx_change)
    stats = _record(comps, composition.boundary, ctx, parts, boundary, context)
    layers: dict[str, Geoms] = {
        "components": parts.geoms,
        "boundary": boundary.geoms,
        "context": context.geoms,
        "overlaps": composition.overlaps.geometry.to_numpy(),
        "gaps": composition.gaps.geometry.to_numpy(),
        "holes": composition.holes.geometry.to_numpy(),
    }
    if datum == "GCJ02":
        layers = {name: _to_gcj02(geoms) for name, geoms in layers.items()}
    return WebGeometry(layers, stats, _bounds(layers))


def _simplify_components(
    comps: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame, ladder: Sequence[float]
) -> tuple[_Simplified, _Simplified]:
    # Parts form a coverage whose union is the boundary, so they are simplified together (and
    # the union with them); parts to subtract overlap them and are simplified on their own.
    roles = comps["role"].astype(str).to_numpy() if "role" in comps else np.full(len(comps), "")
    subtract = roles == "subtract"
    geoms = comps.geometry.to_numpy()
    out = np.empty(len(comps), dtype=object)
    tol_m, change = np.zeros(len(comps)), np.zeros(len(comps))
    derive_boundary = not subtract.any()
    simple, tol, delta = simplify_layer(geoms[~subtract], ladder=ladder, with_union=derive_boundary)
    n_parts = int((~subtract).sum())
    out[~subtract], change[~subtract], tol_m[~subtract] = (
        list(simple[:n_parts]),
        delta[:n_parts],
        tol,
    )
    if derive_boundary and tol > 0:
        outline = _Simplified(simple[-1:], np.array([tol]), np.asarray(delta[-1:], dtype=float))
    else:
        union = [shapely.union_all(boundary.geometry.to_numpy())]
        b_simple, b_tol, b_change = simplify_layer(union, ladder=ladder)
        outline = _Simplified(b_simple, np.array([b_tol]), b_change)
    if subtract.any():
        simple, tol, delta = simplify_layer(geoms[subtract], ladder=ladder)
        out[subtract], change[subtract], tol_m[subtract] = list(simple), delta, tol
    return _Simplified(out, tol_m, change), outline


def _record(
    comps: gpd.GeoDataFrame,
    boundary: gpd.GeoDataFrame,
    ctx: gpd.GeoDataFrame,
    parts: _Simplified,
    outline: _Simplified,
    context: _Simplified,
) -> tuple[LayerSimplification, ...]:
    def entry(
        layer: str, tol: float, change: float, before: Any, after: Any
    ) -> LayerSimplification:
        return LayerSimplification(
            layer,
            float(tol),
            round(float(change), 5),
            int(np.sum(shapely.get_num_coordinates(before))),
            int(np.sum(shapely.get_num_coordinates(after))),
        )

    geoms = comps.geometry.to_numpy()
    stats = [
        entry(str(comps.loc[i, "id"]), parts.tolerance_m[i], parts.change_pct[i], geoms[i], g)
        for i, g in enumerate(parts.geoms)
    ]
    stats.append(
        entry(
            "boundary",
            outline.tolerance_m[0],
            outline.change_pct[0],
            boundary.geometry.to_numpy(),
            outline.geoms,
        )
    )
    if len(ctx):
        stats.append(
            entry(
                "context",
                context.tolerance_m[0],
                context.change_pct.max(),
                ctx.geometry.to_numpy(),
                context.geoms,
            )
        )
    return tuple(stats)


def _to_gcj02(geoms: Geoms) -> Geoms:
    if not len(geoms):
        return geoms
    from ..datum import convert_frame

    frame = gpd.GeoDataFrame(geometry=list(geoms), crs="EPSG:4326")
    shifted: Geoms = convert_frame(frame, "WGS84", "GCJ02").geometry.to_numpy()
    return shifted


def _bounds(layers: dict[str, Geoms]) -> tuple[float, float, float, float] | None:
    for name in ("boundary", "components"):
        bounds = shapely.total_bounds(layers[name])
        if np.isfinite(bounds).all():
            west, south, east, north = (float(v) for v in bounds)
            return west, south, east, north
    return None
