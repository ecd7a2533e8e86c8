"""The closed sets of the toolkit as ``Literal`` types, shared by the API and the command line.

Each set is written once here, as a type a checker enforces on API calls, and its values are
read back with :func:`typing.get_args` wherever a runtime tuple is needed (``click.Choice`` in
the CLI, membership checks in the library). This module imports nothing heavy, so the CLI can
build its ``--help`` from it without loading geopandas.

>>> from typing import get_args
>>> get_args(Lang)
('en', 'zh')
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "ACCURACY_CLASSES",
    "BASEMAP_NAMES",
    "DATUMS",
    "ENGINES",
    "FORMATS",
    "LANGS",
    "ROLES",
    "Accuracy",
    "BasemapName",
    "Datum",
    "Engine",
    "Format",
    "Lang",
    "Role",
]

#: What a component does to the boundary: adds to it or is cut out of it.
Role = Literal["part", "subtract"]
#: How a boundary was obtained: published by an authority, estimated, or the user's own.
Accuracy = Literal["official", "estimated", "user-supplied"]
#: Datums of Chinese coordinates: WGS 84 (≈ CGCS2000 at map scale), Amap's GCJ-02, Baidu's BD-09.
Datum = Literal["WGS84", "GCJ02", "BD09"]
#: Web map backgrounds (``none``: a plain background, no tile request).
BasemapName = Literal["osm", "amap", "amap-satellite", "tianditu", "tianditu-satellite", "none"]
#: Hand-off formats :func:`autocity_gis.export_all` writes.
Format = Literal["gpkg", "qgs", "shp", "geojson", "kml", "dxf", "pdf", "png"]
#: Where overlays run (issue 14): this machine's cores, or a Dask cluster.
Engine = Literal["local", "dask"]
#: Languages of the map, the reports, the terminal summary and the QGIS layout.
Lang = Literal["en", "zh"]

ROLES: tuple[Role, ...] = get_args(Role)
ACCURACY_CLASSES: tuple[Accuracy, ...] = get_args(Accuracy)
DATUMS: tuple[Datum, ...] = get_args(Datum)
BASEMAP_NAMES: tuple[BasemapName, ...] = get_args(BasemapName)
FORMATS: tuple[Format, ...] = get_args(Format)
LANGS: tuple[Lang, ...] = get_args(Lang)
ENGINES: tuple[Engine, ...] = get_args(Engine)
