"""ElementTree helpers every QGIS file is built with.

All text and attribute values pass through :func:`element`/:func:`sub`, which apply
:func:`autocity_gis._text.for_xml` (characters XML 1.0 forbids shown visibly) and leave ``&<>"``
to ElementTree's own escaping, so no caller escapes anything by hand and every file parses with
a strict parser whatever the recipe's names hold.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence

from .._text import for_xml

#: The document type line QGIS writes before ``<qgis>`` (ElementTree cannot emit one).
QGIS_DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
#: The QGIS version the files are written for (and measured with).
QGIS_VERSION = "3.22.16-Białowieża"

Attrs = Mapping[str, object]


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return for_xml(value)


def element(tag: str, attrs: Attrs | None = None, text: object = None) -> ET.Element:
    """Return a new element with XML-safe attributes and text."""
    node = ET.Element(tag, {k: _value(v) for k, v in (attrs or {}).items()})
    if text is not None:
        node.text = _value(text)
    return node


def sub(
    parent: ET.Element, tag: str, attrs: Attrs | None = None, text: object = None
) -> ET.Element:
    """Append a new child to ``parent`` (see :func:`element`) and return it."""
    node = element(tag, attrs, text)
    parent.append(node)
    return node


def props(parent: ET.Element, values: Attrs) -> None:
    """Append QGIS symbol-layer properties as ``<prop k v/>`` children."""
    for key, value in values.items():
        sub(parent, "prop", {"k": key, "v": value})


def rgba(colour: str, opacity: float = 1.0) -> str:
    """``#rrggbb`` and an opacity as QGIS's ``r,g,b,a`` colour string.

    Examples
    --------
    >>> rgba("#ff8000", 0.5)
    '255,128,0,128'
    """
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"{r},{g},{b},{round(opacity * 255)}"


def qt_colour(parent: ET.Element, tag: str, colour: str, opacity: float = 1.0) -> None:
    """Append a layout colour element (``<FrameColor red= green= blue= alpha=/>``)."""
    r, g, b, a = rgba(colour, opacity).split(",")
    sub(parent, tag, {"red": r, "green": g, "blue": b, "alpha": a})


def extent(parent: ET.Element, tag: str, bounds: Sequence[float]) -> ET.Element:
    """Append ``<tag><xmin/>…</tag>`` with the bounds written as exact reals."""
    node = sub(parent, tag)
    for key, value in zip(("xmin", "ymin", "xmax", "ymax"), bounds, strict=True):
        sub(node, key, text=repr(float(value)))
    return node


def extent_attrs(bounds: Sequence[float]) -> dict[str, str]:
    """Return the bounds as ``xmin``/``ymin``/``xmax``/``ymax`` attributes."""
    keys = ("xmin", "ymin", "xmax", "ymax")
    return {k: repr(float(v)) for k, v in zip(keys, bounds, strict=True)}


def qgis_document(root: ET.Element) -> str:
    """Return ``root`` as a QGIS file: the document type line, then the element."""
    return "\n".join((QGIS_DOCTYPE, ET.tostring(root, encoding="unicode"), ""))
