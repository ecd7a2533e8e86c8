"""The A4 print layout of the QGIS project: title, map, legend, scale bar and north arrow.

Built with ElementTree as QGIS 3.22 saves a layout. Every text names the layout font
(:mod:`.fonts`) and asks for bold only where the family has a bold face. The right-hand
column stacks legend, north arrow and scale bar so none can run into another whatever the
legend or the scale bar's label measure: the scale bar is at most :data:`SCALEBAR_MAX_MM` wide
and ends left of the north arrow's column.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from .._text import for_qgis_text, for_xml
from . import _xml
from .fonts import layout_font

#: A4 landscape, millimetres.
PAGE_MM = (297.0, 210.0)
#: The map frame on the page: x, y, width, height in millimetres.
MAP_BOX = (10.0, 25.0, 190.0, 165.0)
#: The widest the scale bar's bar may grow (its label adds a few millimetres).
SCALEBAR_MAX_MM = 45.0
#: Where the north arrow sits: right of anything the scale bar can reach.
NORTH_ARROW_BOX = (273.0, 166.0, 12.0, 20.0)
SCALEBAR_BOX = (207.0, 176.0, 60.0, 12.0)
LEGEND_BOX = (207.0, 25.0, 80.0, 130.0)
#: The tallest the legend may grow: it ends above the north arrow.
LEGEND_MAX_MM = NORTH_ARROW_BOX[1] - LEGEND_BOX[1] - 4
#: The legend's fonts are never scaled below this to make it fit (6 pt entries).
LEGEND_MIN_SCALE = 0.65


class ItemType(IntEnum):
    """Layout item type ids of QgsLayoutItemRegistry (``QGraphicsItem::UserType + 100 + n``)."""

    PAGE = 65638
    MAP = 65639
    PICTURE = 65640
    LABEL = 65641
    LEGEND = 65642
    SCALEBAR = 65646


class PictureMode(IntEnum):
    """QgsLayoutItemPicture::Format."""

    SVG = 0
    RASTER = 1
    UNKNOWN = 2


class LabelHAlign(IntEnum):
    """Qt::AlignmentFlag values a layout label uses."""

    LEFT = 1
    VCENTER = 128


@dataclass(frozen=True)
class LayoutTexts:
    """What the layout says: title, subtitle, legend title and the scale bar's unit."""

    title: str
    subtitle: str
    legend_title: str
    unit_label: str = "km"


def qgis_label(text: object) -> str:
    """Return ``text`` for a place where QGIS evaluates ``[% %]``: shown literally there.

    The XML-forbidden characters are made visible first, so their backslash escapes land
    inside the expression's string literal and are quoted with the rest.
    """
    return for_qgis_text(for_xml(text))


def _uuid(item_id: str) -> str:
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "autocity-gis/layout/" + item_id)) + "}"


MAP_UUID = _uuid("map")


def _item(
    kind: ItemType, item_id: str, box: Sequence[float], z: int, attrs: _xml.Attrs | None = None
) -> ET.Element:
    x, y, w, h = box
    uid = _uuid(item_id)
    base: dict[str, object] = {
        "type": int(kind),
        "id": item_id,
        "uuid": uid,
        "templateUuid": uid,
        "position": f"{x:g},{y:g},mm",
        "positionOnPage": f"{x:g},{y:g},mm",
        "size": f"{w:g},{h:g},mm",
        "zValue": z,
        "visibility": 1,
        "positionLock": "false",
        "referencePoint": 0,
        "frame": "false",
        "background": "false",
        "outlineWidthM": "0.3,mm",
        "itemRotation": 0,
        "blendMode": 0,
        "opacity": 1,
        "excludeFromExports": 0,
    }
    return _xml.element("LayoutItem", {**base, **(attrs or {})})


def _label(
    item_id: str,
    text: str,
    box: Sequence[float],
    size_pt: float,
    colour: str,
    *,
    bold: bool = False,
) -> ET.Element:
    node = _item(
        ItemType.LABEL,
        item_id,
        box,
        2,
        {
            "labelText": text,
            "halign": int(LabelHAlign.LEFT),
            "valign": int(LabelHAlign.VCENTER),
            "marginX": 0,
            "marginY": 0,
            "htmlState": 0,
        },
    )
    font = layout_font()
    _xml.sub(node, "LabelFont", {"description": font.description(size_pt, bold=bold), "style": ""})
    _xml.qt_colour(node, "FontColor", colour)
    return node


def _page() -> ET.Element:
    node = _item(ItemType.PAGE, "", (0, 0, *PAGE_MM), 0)
    _xml.qt_colour(node, "FrameColor", "#000000")
    _xml.qt_colour(node, "BackgroundColor", "#ffffff")
    return node


def _map(extent: Sequence[float]) -> ET.Element:
    node = _item(
        ItemType.MAP,
        "map",
        MAP_BOX,
        1,
        {
            "frame": "true",
            "drawCanvasItems": "true",
            "keepLayerSet": "false",
            "followPreset": "false",
            "followPresetName": "",
            "mapRotation": 0,
            "mapFlags": 0,
            "labelMargin": "2,mm",
        },
    )
    _xml.qt_colour(node, "FrameColor", "#000000")
    _xml.sub(node, "Extent", _xml.extent_attrs(extent))
    _xml.sub(node, "LayerSet")
    return node


#: Legend text roles and their sizes (points); ``symbol`` is the symbol's own label font.
_LEGEND_STYLES = (
    ("title", 12, True),
    ("group", 10, True),
    ("subgroup", 9, False),
    ("symbol", 9, False),
    ("symbolLabel", 9, False),
)


_LEGEND_MARGINS: dict[str, dict[str, float]] = {
    "title": {"marginBottom": 3.5},
    "symbolLabel": {"marginTop": 2, "marginLeft": 2},
}


def legend_scale(rows: Sequence[int]) -> float:
    """Return the factor on the legend's font sizes that keeps it above the north arrow.

    QGIS 3.22 neither wraps nor shrinks a legend, which grows down over the scale bar and off
    the page with many or long entries; so its height is estimated from its rows (lines of
    text each) and the fonts scaled down to fit, to :data:`LEGEND_MIN_SCALE` at least (a
    legend of extreme names still runs long: two columns measured wider than the page).
    """
    mm_per_pt = 25.4 / 72 * 1.4  # a line of text with Qt's leading, rounded up (measured)
    available = LEGEND_MAX_MM - (12 * mm_per_pt + 3.5) - 4  # title, box space
    body = sum(max(4.0, lines * 9 * mm_per_pt) + 2.5 for lines in rows)
    return max(LEGEND_MIN_SCALE, min(1.0, available / body)) if body else 1.0


def _legend(title: str, tree: ET.Element, scale: float = 1.0) -> ET.Element:
    node = _item(
        ItemType.LEGEND,
        "legend",
        LEGEND_BOX,
        3,
        {
            "title": title,
            "map_uuid": MAP_UUID,
            "resizeToContents": 1,
            "symbolWidth": 7,
            "symbolHeight": f"{4 * scale:.2f}",
            "columnCount": 1,
            "boxSpace": 2,
            "columnSpace": 2,
            "lineSpacing": 1,
            "wrapChar": "",
            "splitLayer": 0,
            "equalColumnWidth": 0,
            "titleAlignment": 1,
            "symbolAlignment": 1,
            "fontColor": "#000000",
            "rasterBorder": 1,
            "legendFilterByAtlas": 0,
        },
    )
    node.append(tree)
    styles = _xml.sub(node, "styles")
    font = layout_font()
    for name, size, bold in _LEGEND_STYLES:
        attrs: dict[str, object] = {"name": name, "alignment": 1, "indent": 0}
        attrs.update(_LEGEND_MARGINS.get(name, {"marginTop": 2.5}))
        entry = _xml.sub(styles, "style", attrs)
        _xml.sub(
            entry,
            "styleFont",
            {"description": font.description(round(size * scale, 1), bold=bold), "style": ""},
        )
    return node


def text_format(parent: ET.Element, size_pt: float, colour: str = "0,0,0,255") -> None:
    """Append a ``text-style`` (QgsTextFormat) in the layout font, regular weight."""
    font = layout_font()
    node = _xml.sub(
        parent,
        "text-style",
        {
            "fontFamily": font.family,
            "namedStyle": "Regular",
            "fontSize": f"{size_pt:g}",
            "fontSizeUnit": "Point",
            "fontWeight": font.weight(),
            "fontItalic": 0,
            "textColor": colour,
            "textOpacity": 1,
            "multilineHeight": 1,
            "blendMode": 0,
        },
    )
    _xml.sub(node, "families")
    _xml.sub(node, "text-buffer", {"bufferDraw": 0})


def _scalebar(unit_label: str) -> ET.Element:
    node = _item(
        ItemType.SCALEBAR,
        "scalebar",
        SCALEBAR_BOX,
        4,
        {
            "mapUuid": MAP_UUID,
            "style": "Single Box",
            "unitType": "kilometers",
            "unitLabel": unit_label,
            "numMapUnitsPerScaleBarUnit": 1000,
            "numSegments": 2,
            "numSegmentsLeft": 0,
            "numSubdivisions": 1,
            "subdivisionsHeight": 1.5,
            # Fit the segments between the two widths: never wider than SCALEBAR_MAX_MM.
            "segmentSizeMode": 1,
            "minBarWidth": 20,
            "maxBarWidth": f"{SCALEBAR_MAX_MM:g}",
            "numUnitsPerSegment": 5,
            "segmentMillimeters": 20,
            "height": 3,
            "labelBarSpace": 2,
            "boxContentSpace": 1,
            "alignment": 0,
            "labelVerticalPlacement": 0,
            "labelHorizontalPlacement": 0,
        },
    )
    text_format(node, 8)
    return node


def _north_arrow() -> ET.Element:
    return _item(
        ItemType.PICTURE,
        "north_arrow",
        NORTH_ARROW_BOX,
        5,
        {
            "file": "arrows/NorthArrow_02.svg",
            "mode": int(PictureMode.UNKNOWN),
            "northMode": 0,
            "northOffset": 0,
            "mapUuid": MAP_UUID,
            "resizeMode": 0,
            "anchorPoint": 0,
            "pictureRotation": 0,
            "svgFillColor": "0,0,0,255",
            "svgBorderColor": "0,0,0,255",
            "svgBorderWidth": 0.2,
        },
    )


def layout(
    texts: LayoutTexts,
    map_extent: Sequence[float],
    legend_tree: ET.Element,
    legend_rows: Sequence[int] = (),
) -> ET.Element:
    """Return the ``<Layout>`` element: an A4 landscape page with every item placed.

    Parameters
    ----------
    texts : LayoutTexts
        Title (also the layout's name; made literal for QGIS's ``[% %]`` by the caller),
        subtitle, legend title and the scale bar's unit.
    map_extent : sequence of float
        The map item's extent in project CRS units, with the map frame's aspect.
    legend_tree : xml.etree.ElementTree.Element
        The legend's ``<layer-tree-group>``.
    legend_rows : sequence of int
        Lines of text of each legend row (group, layer title, entry), to fit its fonts.
    """
    width, _ = PAGE_MM
    root = _xml.element(
        "Layout", {"name": texts.title, "units": "mm", "printResolution": 300, "worldFileMap": ""}
    )
    _xml.sub(root, "PageCollection").append(_page())
    root.extend(
        [
            _map(map_extent),
            _label(
                "title", qgis_label(texts.title), (10, 6, width - 20, 10), 18, "#000000", bold=True
            ),
            _label("subtitle", texts.subtitle, (10, 16, width - 20, 6), 10, "#505050"),
            _legend(texts.legend_title, legend_tree, legend_scale(legend_rows)),
            _scalebar(texts.unit_label),
            _north_arrow(),
        ]
    )
    return root


def fit_extent(
    bounds: Sequence[float], width: float, height: float, margin: float = 0.06
) -> tuple[float, float, float, float]:
    """Pad ``bounds`` by ``margin`` and widen one side so it has the aspect ``width/height``."""
    xmin, ymin, xmax, ymax = bounds
    dx, dy = max(xmax - xmin, 1e-9), max(ymax - ymin, 1e-9)
    dx, dy = dx * (1 + 2 * margin), dy * (1 + 2 * margin)
    aspect = width / height
    if dx / dy < aspect:
        dx = dy * aspect
    else:
        dy = dx / aspect
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    return (cx - dx / 2, cy - dy / 2, cx + dx / 2, cy + dy / 2)
