"""The QGIS hand-off: styled GeoPackage, project on the city, layout rendered by QGIS.

A styled GeoPackage, a QGIS project that opens on the composed city, and its print layout
rendered to PDF or PNG by QGIS itself.

The package writes plain XML and SQLite, so the toolkit runs without QGIS; only
:func:`render_layout` needs it. Its modules, one concern each:

- :mod:`.symbology` -- renderers, labels and QML styles (colours from :mod:`autocity_gis.style`);
- :mod:`.sld` -- the same styles as SLD 1.1;
- :mod:`.geopackage` -- the GeoPackage with default styles in ``layer_styles``;
- :mod:`.project` -- the ``.qgs`` project (layer tree, map layers, legend);
- :mod:`.layout` -- the A4 print layout, item types as :class:`~.layout.ItemType`;
- :mod:`.fonts` -- the CJK-capable family every text is set in;
- :mod:`.render` -- PDF/PNG of the layout through QGIS in a subprocess.

Every writer takes the layer tables of :func:`autocity_gis.handoff.layer_frames`, computed once
per build. All XML is built with ElementTree after :func:`autocity_gis._text.for_xml`, so every
file parses with a strict parser whatever the recipe's names hold; text QGIS evaluates as
``[% expression %]`` (the layout's title and legend entries) is written as an expression that
yields the text itself (:func:`autocity_gis._text.for_qgis_text`).
"""

from __future__ import annotations

from ..handoff import GK_EPSG, GK_SUFFIX, LAYER_NAMES, WGS84_EPSG, layer_frames
from .bundle import write_qgis_files
from .geopackage import GPKG_NAME, write_geopackage, write_layer_styles
from .layout import ItemType
from .project import (
    LEGEND_TITLES,
    LEGEND_TITLES_ZH,
    PROJECT_GROUPS,
    PROJECT_NAME,
    layout_texts,
    write_project,
)
from .render import QGISNotFoundError, find_qgis_python, render_layout
from .sld import layer_style_sld
from .symbology import layer_style_qml

__all__ = [
    "GK_EPSG",
    "GK_SUFFIX",
    "GPKG_NAME",
    "LAYER_NAMES",
    "LEGEND_TITLES",
    "LEGEND_TITLES_ZH",
    "PROJECT_GROUPS",
    "PROJECT_NAME",
    "WGS84_EPSG",
    "ItemType",
    "QGISNotFoundError",
    "find_qgis_python",
    "layer_frames",
    "layer_style_qml",
    "layer_style_sld",
    "layout_texts",
    "render_layout",
    "write_geopackage",
    "write_layer_styles",
    "write_project",
    "write_qgis_files",
]
