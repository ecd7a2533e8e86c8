"""How each hand-off layer is drawn and labelled in QGIS: renderers, labels and QML styles.

Colours and dash patterns come from :mod:`autocity_gis.style`, so QGIS and the web map look
alike; estimated geometry is dashed, the composed boundary included when any of its parts is
estimated. Components are labelled with their names, the administrative units (counties and
districts) with theirs as quieter context, in the layout's language first; every label is set in
the layout font (:mod:`.fonts`), regular weight, horizontal, and kept inside its polygon (left
out where it does not fit: the legend names every component).
"""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd

from .. import style
from .._text import for_xml
from ..handoff import base_layer
from . import _xml
from .fonts import layout_font

#: Characters per line of a component's legend entry (Chinese characters are twice as wide).
LEGEND_WRAP_CHARS = 28
LEGEND_WRAP_CHARS_ZH = 16

#: QgsPalLayerSettings::Placement.Horizontal: horizontal, inside the polygon.
_PLACEMENT_HORIZONTAL = 4
#: QgsLabeling::PolygonPlacementFlag.AllowPlacementInsideOfPolygon.
_INSIDE_POLYGON = 2

_SINGLE_STYLES: dict[str, style.LayerStyle] = {
    "boundary": style.BOUNDARY_STYLE,
    "admin_units": style.CONTEXT_STYLE,
    "overlaps": style.OVERLAP_STYLE,
    "gaps": style.GAP_STYLE,
    "subtracted": style.SUBTRACTED_STYLE,
    "holes": style.HOLE_STYLE,
}


@dataclass(frozen=True)
class _Labels:
    """What a layer's labels say and how they look."""

    expression: str
    size_pt: float
    colour: str
    priority: int
    preview: str
    wrap_chars: int = 0


def _labels(layer: str, lang: str) -> _Labels | None:
    """Return the labels of a layer: names in the layout's language first."""
    first, second = ("name_zh", "name_en") if lang == "zh" else ("name_en", "name_zh")
    name = base_layer(layer)
    if name == "components":
        # The name in the layout's language only (the legend has both): a two-language label
        # of a long zone name would not fit inside the zone and QGIS would leave it out.
        expression = f"coalesce(\"{first}\", \"{second}\", \"id\")"
        return _Labels(expression, 9, "17,17,17,255", 8, '"name_en"', 24)
    if name == "admin_units":
        expression = f"coalesce(\"{first}\", \"{second}\", '')"
        return _Labels(expression, 8, "90,90,90,255", 2, '"name_zh"')
    return None


def single_style(layer: str, frame: gpd.GeoDataFrame) -> style.LayerStyle:
    """Return the style of a one-symbol layer; the boundary dashed when it is estimated."""
    name = base_layer(layer)
    if name == "boundary":
        estimated = "accuracy" in frame.columns and bool((frame["accuracy"] == "estimated").any())
        return style.boundary_style(estimated=estimated)
    if name == "conflicts":  # issue 14: control-line conflicts
        from .._overlay_draw import conflict_style

        return conflict_style()
    return _SINGLE_STYLES[name]


def component_styles(
    frame: gpd.GeoDataFrame, lang: str = "en"
) -> list[tuple[str, str, style.LayerStyle]]:
    """``(id, legend label, style)`` per component, in layer order; ``lang`` of the label."""
    zh = lang == "zh"
    first, second = ("name_zh", "name_en") if zh else ("name_en", "name_zh")
    out = []
    for index, row in enumerate(frame.itertuples(index=False)):
        cid = str(row.id)
        accuracy = str(getattr(row, "accuracy", "") or "")
        name = getattr(row, first, "") or (getattr(row, second, "") if zh else "") or cid
        # Made XML-safe before wrapping: textwrap would turn \v and \f into spaces unseen.
        label = for_xml(name)
        if accuracy == "estimated":
            label += "（估算）" if zh else " (estimated)"
        layer_style = style.component_style(cid, accuracy, index)
        if str(getattr(row, "role", "") or "") == "subtract":
            label += "（扣除）" if zh else " (subtracted)"
            layer_style = style.SUBTRACTED_STYLE
        # QGIS 3.22 legends do not wrap by width; long zone names would run off the page.
        width = LEGEND_WRAP_CHARS_ZH if zh else LEGEND_WRAP_CHARS
        label = "\n".join(textwrap.wrap(label, width)) or label
        out.append((cid, label, layer_style))
    return out


def symbol(name: str, layer_style: style.LayerStyle) -> ET.Element:
    """Return a fill symbol: the fill without outline, then the outline as a dashable line."""
    node = _xml.element(
        "symbol", {"type": "fill", "name": name, "alpha": 1, "clip_to_extent": 1, "force_rhr": 0}
    )
    fill = _xml.sub(node, "layer", {"class": "SimpleFill", "enabled": 1, "locked": 0, "pass": 0})
    _xml.props(
        fill,
        {
            "color": _xml.rgba(layer_style.fill, layer_style.fill_opacity),
            "style": "solid" if layer_style.fill_opacity > 0 else "no",
            "outline_style": "no",
            "outline_width": 0,
            "outline_width_unit": "MM",
            "joinstyle": "bevel",
            "offset": "0,0",
            "offset_unit": "MM",
        },
    )
    line = _xml.sub(node, "layer", {"class": "SimpleLine", "enabled": 1, "locked": 0, "pass": 0})
    _xml.props(
        line,
        {
            "line_color": _xml.rgba(layer_style.stroke),
            "line_style": "solid",
            "line_width": f"{layer_style.weight_mm:g}",
            "line_width_unit": "MM",
            "use_custom_dash": int(layer_style.dashed),
            "customdash": style.ESTIMATED_DASH_MM,
            "customdash_unit": "MM",
            "capstyle": "flat",
            "joinstyle": "round",
            "offset": 0,
            "offset_unit": "MM",
            "draw_inside_polygon": 0,
            "ring_filter": 0,
        },
    )
    return node


_RENDERER = {"forceraster": 0, "symbollevels": 0, "enableorderby": 0, "referencescale": -1}


def renderer(layer: str, frame: gpd.GeoDataFrame) -> ET.Element:
    """Return the layer's ``renderer-v2``: categories by ``id`` for components, else one symbol."""
    if base_layer(layer) == "landuse":  # issue 14: categorised by first-level class
        from ._overlay_styles import landuse_categories, legend_label

        node = _categorized(
            "code", [(c, legend_label(label), s) for c, label, s in landuse_categories(frame)]
        )
    elif base_layer(layer) == "components":
        node = _categorized("id", component_styles(frame))
    else:
        node = _xml.element("renderer-v2", {"type": "singleSymbol", **_RENDERER})
        _xml.sub(node, "symbols").append(symbol("0", single_style(layer, frame)))
    _xml.sub(node, "rotation")
    _xml.sub(node, "sizescale")
    return node


def _categorized(
    attr: str, categories: Iterable[tuple[str, str, style.LayerStyle]]
) -> ET.Element:
    """Return a ``categorizedSymbol`` renderer on ``attr``: one ``(value, label, style)`` each."""
    node = _xml.element("renderer-v2", {"type": "categorizedSymbol", "attr": attr, **_RENDERER})
    categories_node = _xml.sub(node, "categories")
    symbols = _xml.sub(node, "symbols")
    for n, (value, label, layer_style) in enumerate(categories):
        _xml.sub(
            categories_node,
            "category",
            {"render": "true", "symbol": n, "value": value, "label": label},
        )
        symbols.append(symbol(str(n), layer_style))
    return node


#: A thin white halo, so labels read over outlines and fills.
_BUFFER = {
    "bufferDraw": 1,
    "bufferSize": 0.8,
    "bufferSizeUnits": "MM",
    "bufferColor": "255,255,255,255",
    "bufferOpacity": 0.85,
    "bufferNoFill": 1,
    "bufferJoinStyle": 128,
}
_PLACEMENT = {
    "placement": _PLACEMENT_HORIZONTAL,
    "polygonPlacementFlags": _INSIDE_POLYGON,
    # A label that does not fit inside its polygon is left out, not spilled over.
    "fitInPolygonOnly": 1,
    "centroidInside": 1,
    "centroidWhole": 0,
    "dist": 0,
    "offsetType": 0,
}


def _text_style(settings: ET.Element, labels: _Labels) -> None:
    """Append the label text: layout font, regular weight (no fake bold), white halo."""
    font = layout_font()
    text_style = _xml.sub(
        settings,
        "text-style",
        {
            "fieldName": labels.expression,
            "isExpression": 1,
            "fontFamily": font.family,
            "namedStyle": "Regular",
            "fontSize": f"{labels.size_pt:g}",
            "fontSizeUnit": "Point",
            "fontWeight": font.weight(),
            "fontItalic": 0,
            "textColor": labels.colour,
            "textOpacity": 1,
            "multilineHeight": 1,
            "blendMode": 0,
        },
    )
    _xml.sub(text_style, "families")
    _xml.sub(text_style, "text-buffer", _BUFFER)


def labeling(labels: _Labels) -> ET.Element:
    """Return simple labeling: the layout font, regular weight, horizontal inside polygons."""
    node = _xml.element("labeling", {"type": "simple"})
    settings = _xml.sub(node, "settings", {"calloutType": "simple"})
    _text_style(settings, labels)
    # Long English zone names wrap, so a label can fit inside its polygon rather than vanish.
    _xml.sub(
        settings,
        "text-format",
        {
            "multilineAlign": 1,
            "wrapChar": "",
            "autoWrapLength": labels.wrap_chars,
            "useMaxLineLengthForAutoWrap": 1,
        },
    )
    _xml.sub(settings, "placement", {**_PLACEMENT, "priority": labels.priority})
    _xml.sub(
        settings,
        "rendering",
        {"drawLabels": 1, "obstacle": 1, "displayAll": 0, "upsidedownLabels": 0},
    )
    return node


def style_body(
    layer: str, frame: gpd.GeoDataFrame, lang: str = "en"
) -> tuple[list[ET.Element], bool]:
    """Return renderer, labels and blending: what a QML file and a project layer share.

    ``lang`` is the language the labels name features in first.
    """
    labels = _labels(layer, lang)
    body = [renderer(layer, frame)]
    if labels is not None:
        body.append(labeling(labels))
    body += [
        _xml.element("blendMode", text=0),
        _xml.element("featureBlendMode", text=0),
        _xml.element("layerOpacity", text=1),
    ]
    if labels is not None:
        body.append(_xml.element("previewExpression", text=labels.preview))
    return body, labels is not None


def layer_style_qml(layer: str, frame: gpd.GeoDataFrame) -> str:
    """Return the QGIS style (QML) of one hand-off layer.

    Parameters
    ----------
    layer : str
        Layer name, one of :data:`autocity_gis.handoff.LAYER_NAMES`, optionally with
        :data:`autocity_gis.handoff.GK_SUFFIX`.
    frame : geopandas.GeoDataFrame
        The layer's features (components need ``id``, ``accuracy`` and ``name_en``).

    Returns
    -------
    str
        A QML document QGIS 3.x reads: a categorized renderer on ``id`` for the components
        (estimated ones dashed and lighter, labelled with Chinese and English names), a single
        symbol for every other layer (administrative units labelled with their names).
    """
    body, labelled = style_body(layer, frame)
    root = _xml.element(
        "qgis",
        {
            "version": _xml.QGIS_VERSION,
            "styleCategories": "Symbology|Labeling",
            "labelsEnabled": int(labelled),
        },
    )
    root.extend(body)
    return _xml.qgis_document(root)
