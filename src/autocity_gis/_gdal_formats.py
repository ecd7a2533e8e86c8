"""The formats GDAL may read a layer in: the driver allow-list and the refusals.

:data:`ALLOWED_DRIVERS` names the file formats that cannot name other files, run SQL or
pipelines, or reach the network; VRT, GDALG and MapInfo view markers are searched for in the
first bytes of a file, and refused suffixes by name, before GDAL sees anything
(:func:`refusal` words the error). Part of the GDAL sandbox; re-exported by
:mod:`autocity_gis._gdal`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyogrio

from ._errors import LayerError
from .cad import DWG_ADVICE

#: GDAL drivers a layer may be read with: file formats that cannot name other files, run SQL
#: or pipelines, or reach the network. GML is left out (it fetches schemas and xlinks), as
#: are VRT, GDALG, SQLite and every service driver.
ALLOWED_DRIVERS: tuple[str, ...] = (
    "GeoJSON",
    "GeoJSONSeq",
    "GPKG",
    "ESRI Shapefile",
    "FlatGeobuf",
    "KML",
    "LIBKML",
    "DXF",
    "OpenFileGDB",
    "CSV",
    "MapInfo File",
    "Parquet",
)
_ACCEPTED = (
    "GeoJSON, GeoPackage, Shapefile, FlatGeobuf, KML/KMZ, DXF, File Geodatabase, CSV, "
    "MapInfo TAB" + (", GeoParquet" if "Parquet" in pyogrio.list_drivers() else "")
)
_CONVERT = "convert it to a GeoPackage first"

#: Why a format is refused, by GDAL driver name (the others get a generic sentence).
_WHY_REFUSED: dict[str, str] = {
    "OGR_VRT": "is a GDAL VRT, which can point at other files, run SQL or reach the network",
    "VRT": "is a GDAL VRT, which can point at other files, run SQL or reach the network",
    "GDALG": "is a GDAL pipeline (.gdalg.json), which runs commands on other files",
    "GML": "is GML, whose schemas and links GDAL may fetch from the network",
    "SQLite": "is an SQLite database (not a GeoPackage), which can hold SQL views and links",
    "MapInfo view": "is a MapInfo seamless table or view, which reads other files",
    "DWG": DWG_ADVICE,
}
# Refusals whose reason already says what to do instead.
_SELF_ADVISING = frozenset({"DWG"})
# Byte markers GDAL's own drivers recognise, looked for in the first bytes of every file
# (and zip member) so that no other format's reader is ever tricked into delegating.
_MARKERS: tuple[tuple[bytes, str], ...] = (
    (b"<ogrvrtdatasource", "OGR_VRT"),
    (b"<vrtdataset", "VRT"),
    (b"gdal_streamed_alg", "GDALG"),
)
_REFUSED_SUFFIXES: dict[str, str] = {
    ".vrt": "OGR_VRT",
    ".ovf": "OGR_VRT",
    ".gdalg.json": "GDALG",
    ".gml": "GML",
    ".xsd": "GML",
    ".dwg": "DWG",
}
_SNIFF_BYTES = 1 << 16
_TAB_VIEW = re.compile(rb"type\s+seamless|create\s+view")


def refusal(path: Path, driver: str) -> LayerError:
    """Return the error for a file in a format GDAL could read but this toolkit will not."""
    why = _WHY_REFUSED.get(driver)
    if why is None:
        why = (
            f"is read by GDAL's {driver} driver, which this toolkit does not use (it reads "
            f"{_ACCEPTED})"
        )
    advice = "" if driver in _SELF_ADVISING else f"; {_CONVERT}"
    return LayerError(f"{path}: {why}{advice}.")


def _marker(head: bytes, name: str = "") -> str | None:
    low = head.lower()
    for mark, driver in _MARKERS:
        if mark in low:
            return driver
    # A MapInfo .tab is a plain table unless its header makes it a view of other tables.
    if name.lower().endswith(".tab") and _TAB_VIEW.search(low):
        return "MapInfo view"
    return None


def _refused_by_name(name: str) -> str | None:
    low = name.lower()
    for suffix, driver in _REFUSED_SUFFIXES.items():
        if low.endswith(suffix):
            return driver
    return None
