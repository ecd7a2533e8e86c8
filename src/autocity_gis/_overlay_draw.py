"""What the map and the GeoPackage draw of the overlays: land use by first-level class, conflicts.

The balance table is measured by the engine on every parcel; to draw it, the parcels inside the
boundary are cut by it and merged by first-level class (one polygon per class), which a web
page and a QGIS project can show at once. Layers of more than :data:`MAX_DRAWN_PARCELS` parcels
(a province's survey) are not drawn: their table is in the reports, and the data themselves
belong in QGIS.

No class colours ship with the standards this project could verify, so :data:`PALETTE` is the
project's own, chosen to read like a land-use map (farmland yellow, forest green, water blue,
built-up land warm); every legend that shows it says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import geopandas as gpd

    from .overlays import LanduseBalance
    from .style import LayerStyle

__all__ = ["CONFLICT_FILL", "CONFLICT_STROKE", "MAX_DRAWN_PARCELS", "PALETTE", "landuse_drawing"]

#: Largest parcel count drawn on the map and written to the GeoPackage.
MAX_DRAWN_PARCELS: Final = 200_000
#: The project's own colours by first-level code (00-24: every shipped table's first levels;
#: 00 is the 三调's 湿地).
PALETTE: Final[dict[str, str]] = {
    "00": "#7fc9b4",
    "01": "#f5e08c",
    "02": "#c9de6f",
    "03": "#4f9e4f",
    "04": "#a8d08d",
    "05": "#f4a460",
    "06": "#b08cc8",
    "07": "#f08a5d",
    "08": "#e06377",
    "09": "#d98c8c",
    "10": "#a0a0a0",
    "11": "#6fa8dc",
    "12": "#d9cbb0",
    "13": "#8e7cc3",
    "14": "#93c47d",
    "15": "#c27ba0",
    "16": "#ffd966",
    "17": "#76a5af",
    "18": "#b4a7d6",
    "19": "#e6b8af",
    "20": "#9fc5e8",
    "21": "#6d9eeb",
    "22": "#3d85c6",
    "23": "#a2c4c9",
    "24": "#b7b7b7",
}
#: Colour of codes outside the table and parcels without a code.
OTHER_COLOUR: Final = "#ffffff"
CONFLICT_STROKE: Final = "#c00000"
CONFLICT_FILL: Final = "#ff2020"
#: Web and GeoPackage drawings are simplified to about a metre: areas come from the table.
_SIMPLIFY_DEG = 1e-5


def landuse_drawing(
    source: Any, result: LanduseBalance, boundary: Any, *, class_column: str, read: dict[str, Any]
) -> gpd.GeoDataFrame | None:
    """Return the land use inside the boundary merged by first-level class, or None if too big.

    Parameters
    ----------
    source : GeoDataFrame or Path
        What the engine read (a datum-shifted frame, the frame, or the layer's path).
    result : LanduseBalance
        The engine's table: names and areas of each first-level class.
    boundary : shapely geometry
        The composed boundary (WGS 84).
    class_column : str
        The column of class codes.
    read : dict
        ``crs``, ``layer_name`` and ``filter`` as the engine was given them.

    Returns
    -------
    GeoDataFrame or None
        Columns ``overlay``, ``code``, ``name_zh``, ``name_en``, ``area_km2``, ``share_pct``,
        ``colour`` and the geometry (WGS 84), one row per first-level class; ``code`` is empty
        for the parcels the table does not classify.
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    from .overlays import load_classification
    from .overlays._read import decode, iter_batches
    from .overlays.engine import BATCH_ROWS

    if result.parcels_read > MAX_DRAWN_PARCELS:
        return None
    table = load_classification(result.classification)
    shapely.prepare(boundary)
    geoms, groups = [], []
    west, south, east, north = (float(v) for v in shapely.bounds(boundary))
    for raw, codes, tf in iter_batches(
        source,
        class_column,
        envelope=(west, south, east, north),
        batch_rows=BATCH_ROWS,
        crs=read["crs"],
        layer_name=read["layer_name"],
        flt=read["filter"],
    ):
        parts = decode(raw, tf)
        hit = shapely.intersects(boundary, parts)
        geoms.append(shapely.intersection(parts[hit], boundary))
        groups.append([table.first_level(c) or "" for c in codes[hit]])
    cut = np.concatenate(geoms) if geoms else np.empty(0, dtype=object)
    firsts = np.concatenate(groups) if groups else np.empty(0, dtype=object)
    rows = {c.code: c for c in result.boundary.level1}
    out = []
    for code in [*rows, ""]:
        merged = shapely.union_all(cut[firsts == code])
        if merged.is_empty:
            continue
        row = rows.get(code)
        out.append(
            {
                "overlay": result.id,
                "code": code,
                "name_zh": row.name_zh if row else "",
                "name_en": row.name_en if row else "",
                "area_km2": row.area_km2 if row else result.boundary.unclassified_km2,
                "share_pct": row.share_pct if row else _share(result),
                "colour": PALETTE.get(code, OTHER_COLOUR),
                "geometry": shapely.simplify(merged, _SIMPLIFY_DEG),
            }
        )
    return gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326") if out else None


def _share(result: LanduseBalance) -> float:
    b = result.boundary
    return 100.0 * b.unclassified_km2 / b.area_km2 if b.area_km2 > 0 else 0.0


def conflict_style() -> LayerStyle:
    """Return the :class:`autocity_gis.style.LayerStyle` of conflict polygons (red, half filled)."""
    from .style import LayerStyle

    return LayerStyle(CONFLICT_STROKE, CONFLICT_FILL, 0.5, 2.5, dashed=False)


def overlay_frames(overlays: Any) -> dict[str, gpd.GeoDataFrame]:
    """Return the hand-off layers of the overlays: ``landuse`` and ``conflicts`` when drawn.

    ``landuse`` holds every land-use overlay's drawing (column ``overlay`` says which);
    ``conflicts`` every control line's conflict polygons. Text is made UTF-8 safe, as for the
    other hand-off layers; geometry is MultiPolygon in WGS 84.
    """
    import geopandas as gpd
    import pandas as pd
    import shapely

    from ._text import for_utf8

    if overlays is None:
        return {}
    frames: dict[str, gpd.GeoDataFrame] = {}
    drawn = [frame for _, frame in overlays.drawings]
    if drawn:
        frames["landuse"] = gpd.GeoDataFrame(pd.concat(drawn, ignore_index=True), crs="EPSG:4326")
    conflicts = overlays.conflicts()
    if len(conflicts):
        frames["conflicts"] = conflicts
    for frame in frames.values():
        for column in ("overlay", "component", "rule"):
            if column in frame.columns:
                frame[column] = [for_utf8(v) for v in frame[column]]
        multi = [g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g])
                 if g.geom_type == "Polygon" else g for g in frame.geometry]
        frame.set_geometry(gpd.GeoSeries(multi, crs="EPSG:4326", index=frame.index), inplace=True)
    return frames
