"""QGIS styles of the overlays' hand-off layers: land use by class, conflicts (issue 14).

``landuse`` is categorised by its first-level ``code`` in the project's own palette (the
``colour`` column, :data:`autocity_gis._overlay_draw.PALETTE`), labelled with the class table's
names; ``conflicts`` is one red symbol and sits in the Diagnostics group of the project. The
category labels come from the class tables that ship with the package, never from user data.
"""

from __future__ import annotations

import textwrap

import geopandas as gpd

from .._text import for_xml
from ..style import LayerStyle

__all__ = ["landuse_categories", "legend_label"]


def landuse_categories(frame: gpd.GeoDataFrame) -> list[tuple[str, str, LayerStyle]]:
    """``(code, label, style)`` per first-level class in the layer, each code once."""
    out: dict[str, tuple[str, str, LayerStyle]] = {}
    for row in frame.itertuples(index=False):
        code = str(row.code)
        if code in out:
            continue
        names = " / ".join(str(n) for n in (row.name_zh, row.name_en) if n)
        label = for_xml(f"{code} {names}" if code else "未分类 / unclassified")
        out[code] = (code, label, LayerStyle("#777777", str(row.colour), 0.7, 0.5, dashed=False))
    return list(out.values())


def legend_label(label: str) -> str:
    """Return a class label as the legend shows it, on lines that fit the legend's column.

    The Chinese name goes on the first line and the English one, wrapped, below it (QGIS 3.22
    legends do not wrap by width).
    """
    from .symbology import LEGEND_WRAP_CHARS

    first, _, rest = label.partition(" / ")
    return "\n".join([first, *textwrap.wrap(rest, LEGEND_WRAP_CHARS)] if rest else [first])
