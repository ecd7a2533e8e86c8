"""The hand-off styles as SLD 1.1, for GeoServer and other clients that do not read QML.

Built with ElementTree from the same styles as the QML (:mod:`.symbology`); names and ids are
element text, escaped by ElementTree after :func:`autocity_gis._text.for_xml`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

import geopandas as gpd

from .. import style
from ..handoff import base_layer
from . import _xml
from .symbology import component_styles, single_style

SLD_NS = "http://www.opengis.net/sld"
SE_NS = "http://www.opengis.net/se"
OGC_NS = "http://www.opengis.net/ogc"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_SCHEMA = (
    "http://www.opengis.net/sld http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd"
)


def _se(tag: str) -> str:
    return f"{{{SE_NS}}}{tag}"


def _ogc(tag: str) -> str:
    return f"{{{OGC_NS}}}{tag}"


def _svg(parent: ET.Element, name: str, value: object) -> None:
    _xml.sub(parent, _se("SvgParameter"), {"name": name}, value)


def _symbolizer(rule: ET.Element, layer_style: style.LayerStyle) -> None:
    node = _xml.sub(rule, _se("PolygonSymbolizer"))
    fill = _xml.sub(node, _se("Fill"))
    _svg(fill, "fill", layer_style.fill)
    _svg(fill, "fill-opacity", f"{layer_style.fill_opacity:g}")
    stroke = _xml.sub(node, _se("Stroke"))
    _svg(stroke, "stroke", layer_style.stroke)
    _svg(stroke, "stroke-width", f"{layer_style.weight_px:g}")
    if layer_style.dashed:
        _svg(stroke, "stroke-dasharray", style.ESTIMATED_DASH_PX)


def _category_rules(
    parent: ET.Element, attr: str, categories: Iterable[tuple[str, str, style.LayerStyle]]
) -> None:
    """Add one rule per ``(value, label, style)``, filtered on ``attr`` equal to the value."""
    for value, label, layer_style in categories:
        rule = _xml.sub(parent, _se("Rule"))
        _xml.sub(rule, _se("Name"), text=label)
        _xml.sub(_xml.sub(rule, _se("Description")), _se("Title"), text=label)
        equal = _xml.sub(_xml.sub(rule, _ogc("Filter")), _ogc("PropertyIsEqualTo"))
        _xml.sub(equal, _ogc("PropertyName"), text=attr)
        _xml.sub(equal, _ogc("Literal"), text=value)
        _symbolizer(rule, layer_style)


def _component_rules(parent: ET.Element, frame: gpd.GeoDataFrame) -> None:
    _category_rules(parent, "id", component_styles(frame))
    text = _xml.sub(_xml.sub(parent, _se("Rule")), _se("TextSymbolizer"))
    _xml.sub(_xml.sub(text, _se("Label")), _ogc("PropertyName"), text="name_en")
    _svg(_xml.sub(text, _se("Font")), "font-size", 12)
    _svg(_xml.sub(text, _se("Fill")), "fill", "#111111")


def layer_style_sld(layer: str, frame: gpd.GeoDataFrame) -> str:
    """Return the same style as :func:`.symbology.layer_style_qml` as SLD 1.1.

    Parameters
    ----------
    layer : str
        Layer name, one of :data:`autocity_gis.handoff.LAYER_NAMES`.
    frame : geopandas.GeoDataFrame
        The layer's features.

    Returns
    -------
    str
        An SLD document with one rule per component (filtered on ``id``) or a single rule.
    """
    for prefix, uri in (("", SLD_NS), ("se", SE_NS), ("ogc", OGC_NS), ("xsi", XSI_NS)):
        ET.register_namespace(prefix, uri)
    root = _xml.element(
        f"{{{SLD_NS}}}StyledLayerDescriptor",
        {"version": "1.1.0", f"{{{XSI_NS}}}schemaLocation": _SCHEMA},
    )
    named = _xml.sub(root, f"{{{SLD_NS}}}NamedLayer")
    _xml.sub(named, _se("Name"), text=layer)
    user = _xml.sub(named, f"{{{SLD_NS}}}UserStyle")
    _xml.sub(user, _se("Name"), text=layer)
    feature_style = _xml.sub(user, _se("FeatureTypeStyle"))
    if base_layer(layer) == "components":
        _component_rules(feature_style, frame)
    elif base_layer(layer) == "landuse":  # issue 14
        from ._overlay_styles import landuse_categories

        _category_rules(feature_style, "code", landuse_categories(frame))  # by first level
    else:
        rule = _xml.sub(feature_style, _se("Rule"))
        _xml.sub(rule, _se("Name"), text=layer)
        _symbolizer(rule, single_style(layer, frame))
    body = ET.tostring(root, encoding="unicode")
    return "\n".join(('<?xml version="1.0" encoding="UTF-8"?>', body, ""))
