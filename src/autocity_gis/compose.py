"""Composition: the union of the components into one boundary, with its diagnostics.

(Being written: compose() lands with the core; this holds the result type the outputs consume.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd


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
        ``name_en``, ``kind``, ``parent_adcode``, ``stated_area_km2``, ``stated_area_source``,
        ``accuracy`` (``official``/``estimated``/``user-supplied``), ``method``, ``source``,
        ``datum`` (of the source data), ``date``, ``measured_km2``.
    boundary : geopandas.GeoDataFrame
        One row: ``id``, ``name_zh``, ``name_en``, ``area_km2``, ``geometry``.
    overlaps : geopandas.GeoDataFrame
        Areas shared by two components: ``a``, ``b``, ``area_km2``, ``geometry``.
    gaps : geopandas.GeoDataFrame
        Holes inside the boundary: ``area_km2``, ``geometry``.
    context : geopandas.GeoDataFrame
        Administrative units drawn for orientation: ``adcode``, ``name_zh``, ``name_en``,
        ``accuracy``, ``source``, ``datum``, ``date``. May be empty.
    method : str
        ``coverage`` or ``overlay``.
    snap_tolerance_m : float
        Vertex snapping distance used before the union.
    warnings : tuple of str
        Repairs made on the way.
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
