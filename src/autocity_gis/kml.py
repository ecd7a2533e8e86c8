"""KML 2.2 for Google Earth: every hand-off layer in one file, names on the placemarks.

Built with ElementTree; every text passes :func:`autocity_gis._text.for_xml` and descriptions
are HTML-escaped, so the file parses strictly and a viewer that renders HTML runs nothing.
"""

from __future__ import annotations

import html
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._io import atomic_path
from ._text import for_xml
from .handoff import WGS84_EPSG, Frames


def _kml_name(layer: str, frame: gpd.GeoDataFrame) -> list[str]:
    """Placemark names: Chinese and English name where there is one, else what the row is."""
    if {"name_zh", "name_en"} <= set(frame.columns):
        return [
            " ".join(str(v) for v in (zh, en) if isinstance(v, str) and v)
            for zh, en in zip(frame["name_zh"], frame["name_en"], strict=True)
        ]
    if layer == "overlaps":
        return [f"overlap {a} / {b}" for a, b in zip(frame["a"], frame["b"], strict=True)]
    around = {"gaps": "between", "holes": "within"}.get(layer)
    if around in frame.columns:
        return [
            f"{layer.rstrip('s')} {n + 1}" + (f" {v.replace(', ', ' / ')}" if v else "")
            for n, v in enumerate(str(v) if isinstance(v, str) else "" for v in frame[around])
        ]
    return [f"{layer.rstrip('s')} {n + 1}" for n in range(len(frame))]


#: KML 2.2 namespace; the file is written with it as the default namespace.
KML_NS = "http://www.opengis.net/kml/2.2"
# Google Earth shows ExtendedData in its default balloon as HTML; this balloon shows only the
# description, which holds every value HTML-escaped (plain text on screen).
_BALLOON = "$[description]"


def write_kml(frames: Frames, target: str | Path) -> Path:
    """Write all layers into one KML 2.2 file for Google Earth, names on the placemarks.

    One folder-like ``<Document>`` per layer holds a ``<Placemark>`` per feature: its name
    (Chinese and English name where there is one), a description listing the attributes as
    plain text, the attributes again as ``<ExtendedData>`` for GIS tools, and the geometry in
    WGS 84. The XML is built with :mod:`xml.etree.ElementTree`, not by GDAL's KML drivers
    (libkml refuses control characters): every text passes through
    :func:`autocity_gis._text.for_xml`, so the file parses with any strict XML parser whatever
    the names hold, and the description is HTML-escaped, so a viewer that renders it as HTML
    (Google Earth does) shows the text literally and runs nothing.

    Parameters
    ----------
    frames : mapping of str to geopandas.GeoDataFrame
        Layers by name.
    target : str or Path
        The ``.kml`` file (replaced atomically if it exists).

    Returns
    -------
    Path
        ``target``.
    """
    target = Path(target)
    ET.register_namespace("", KML_NS)
    root = ET.Element(_kml("kml"))
    document = ET.SubElement(root, _kml("Document"), id="root_doc")
    style = ET.SubElement(document, _kml("Style"), id="plain")
    ET.SubElement(ET.SubElement(style, _kml("BalloonStyle")), _kml("text")).text = _BALLOON
    for layer, frame in frames.items():
        wgs = frame.to_crs(WGS84_EPSG) if frame.crs is not None else frame
        folder = ET.SubElement(document, _kml("Document"), id=for_xml(layer))
        ET.SubElement(folder, _kml("name")).text = for_xml(layer)
        columns = [c for c in wgs.columns if c != wgs.geometry.name]
        for name, (_, row) in zip(_kml_name(layer, wgs), wgs.iterrows(), strict=True):
            values = [(c, _kml_value(row[c])) for c in columns]
            values = [(c, v) for c, v in values if v is not None]
            placemark = ET.SubElement(folder, _kml("Placemark"))
            ET.SubElement(placemark, _kml("name")).text = for_xml(name)
            lines = [name, *(f"{c}: {v}" for c, v in values)]
            ET.SubElement(placemark, _kml("description")).text = for_xml(
                "<br>".join(_kml_html(line) for line in lines)
            )
            ET.SubElement(placemark, _kml("styleUrl")).text = "#plain"
            extended = ET.SubElement(placemark, _kml("ExtendedData"))
            for column, value in values:
                data = ET.SubElement(extended, _kml("Data"), name=for_xml(column))
                ET.SubElement(data, _kml("value")).text = for_xml(value)
            geometry = row[wgs.geometry.name]
            if geometry is not None and not geometry.is_empty:
                placemark.append(_kml_geometry(geometry))
    with atomic_path(target) as tmp:
        ET.ElementTree(root).write(tmp, encoding="UTF-8", xml_declaration=True)
    return target


def _kml_html(text: str) -> str:
    """Return ``text`` as HTML that shows it literally, entity references included.

    ``$[`` is written with a character reference so that Google Earth's balloon template
    substitution (``$[field]``) cannot find a field name in a value.
    """
    return html.escape(text).replace("$[", "$&#91;")


def _kml(tag: str) -> str:
    return f"{{{KML_NS}}}{tag}"


def _kml_value(value: object) -> str | None:
    """Return an attribute as text; ``None`` for missing values (None, NaN, NA, ±inf)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    if isinstance(value, bool | np.bool_):  # xsd:boolean, not Python's "True"
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _kml_geometry(geometry: shapely.Geometry) -> ET.Element:
    """Return a polygon or multipolygon as KML, exterior rings counter-clockwise."""
    polygons = [shapely.orient_polygons(p) for p in shapely.get_parts(geometry)]
    elements = []
    for polygon in polygons:
        element = ET.Element(_kml("Polygon"))
        rings = [("outerBoundaryIs", polygon.exterior)]
        rings += [("innerBoundaryIs", ring) for ring in polygon.interiors]
        for boundary, ring in rings:
            linear = ET.SubElement(ET.SubElement(element, _kml(boundary)), _kml("LinearRing"))
            # One array conversion per ring, not one per vertex (ring.coords): same text.
            points = shapely.get_coordinates(ring).tolist()
            ET.SubElement(linear, _kml("coordinates")).text = " ".join(
                [f"{x!r},{y!r}" for x, y in points]
            )
        elements.append(element)
    if len(elements) == 1:
        return elements[0]
    multi = ET.Element(_kml("MultiGeometry"))
    multi.extend(elements)
    return multi
