"""The styled GeoPackage: the hand-off layers with their default QGIS styles.

QGIS loads a layer's default style from the ``layer_styles`` table (QML and SLD per layer),
matched on table, empty schema and the real geometry column; see the field notes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyogrio
from pyproj import CRS

from .._errors import OutputError
from .._io import atomic_path, gdal_write_options
from ..handoff import Frames, base_layer, in_crs
from .sld import layer_style_sld
from .symbology import layer_style_qml

#: File name of the GeoPackage inside the output folder.
GPKG_NAME = "autocity.gpkg"

_LAYER_STYLES_DDL = """
CREATE TABLE layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    f_table_catalog TEXT(256),
    f_table_schema TEXT(256),
    f_table_name TEXT(256),
    f_geometry_column TEXT(256),
    styleName TEXT(30),
    styleQML TEXT,
    styleSLD TEXT,
    useAsDefault BOOLEAN,
    description TEXT,
    owner TEXT(30),
    ui TEXT(30),
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)
"""

#: GDAL's SQLite setting for the staging copy: no fsync per commit (see write_geopackage).
_UNSYNCED = {"OGR_SQLITE_SYNCHRONOUS": "OFF"}

DESCRIPTIONS = {
    "components": "Components of the composed boundary with stated and measured areas (km²)",
    "boundary": "Composed boundary with target and measured area (km²)",
    "admin_units": "Parent administrative units, for orientation",
    "overlaps": "Areas claimed by two components",
    "gaps": "Gaps between components narrower than the gap width (enclosed or open to the edge)",
    "subtracted": "Zones cut out of the parts (role subtract), with the area each removed",
    "holes": "Holes the data have (enclaves): not errors",
    # Issue 14: the recipe's overlays (autocity_gis._overlay_draw.overlay_frames).
    "landuse": "Land use inside the boundary by first-level class (project's own colours)",
    "conflicts": "Conflicts of components with control lines (km²)",
}


def write_geopackage(
    frames: Frames, path: str | Path, *, crs: CRS | str | int | None = None
) -> Path:
    """Write the hand-off layers with their default QGIS styles into one GeoPackage.

    Parameters
    ----------
    frames : mapping of str to geopandas.GeoDataFrame
        The hand-off layers (:func:`autocity_gis.handoff.layer_frames`).
    path : str or Path
        The ``.gpkg`` file to write (replaced atomically if it exists).
    crs : pyproj.CRS, str or int, optional
        CRS of the layers (a projected CRS in metres, see
        :func:`autocity_gis._export.output_crs`); WGS 84 (EPSG:4326) when None.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputError
        If the file cannot be written.
    """
    path = Path(path)
    projected = in_crs(frames, crs)
    # SQLite would fsync at every commit (one per layer and per index, ~60 for a build). The
    # file is a temporary one until it is complete, so it is written unsynced: durability
    # comes once, at the swap (the output session fsyncs every staged file before its
    # manifest vouches for it), as for every other output.
    with atomic_path(path) as tmp, gdal_write_options(_UNSYNCED):
        try:
            for name, frame in projected.items():
                pyogrio.write_dataframe(
                    frame,
                    tmp,
                    layer=name,
                    driver="GPKG",
                    geometry_type="MultiPolygon",
                    promote_to_multi=True,
                    # 1.2 rather than GDAL's newest: planners' QGIS often bundles an older GDAL.
                    dataset_options={"VERSION": "1.2"},
                    layer_options={
                        "IDENTIFIER": name,
                        "DESCRIPTION": DESCRIPTIONS[base_layer(name)],
                    },
                )
            write_layer_styles(tmp, projected)
        except (OSError, pyogrio.errors.DataSourceError) as exc:
            raise OutputError(f"{path}: cannot write the GeoPackage ({exc}).") from exc
    return path


def write_layer_styles(gpkg: Path, frames: Frames) -> None:
    """Add the ``layer_styles`` table QGIS loads default styles from, one default per layer."""
    con = sqlite3.connect(gpkg)
    try:
        con.execute("PRAGMA synchronous=OFF")  # durable at the swap, see write_geopackage
        with con:
            geometry_columns = dict(
                con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns")
            )
            con.execute(_LAYER_STYLES_DDL)
            con.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
                "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles')"
            )
            for name, frame in frames.items():
                con.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                    "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, "
                    "description, owner, ui) VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, '', '')",
                    (
                        name,
                        geometry_columns[name],
                        f"autocity {base_layer(name)}",
                        layer_style_qml(name, frame),
                        layer_style_sld(name, frame),
                        "autocity-gis default style",
                    ),
                )
    finally:
        con.close()
