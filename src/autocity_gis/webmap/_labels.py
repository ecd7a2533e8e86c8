"""Interface text of the web map in each language, and how figures are written in it.

This module owns the fixed labels (:data:`TEXT`, read from ``_texts/webmap_en.toml`` and
``webmap_zh.toml``) and the small formatters that turn report
figures and attribute values into the plain strings the page shows. Nothing here produces HTML:
the page's script writes every string as text.
"""

from __future__ import annotations

import tomllib
from importlib import resources

import geopandas as gpd
import pandas as pd


def _load(lang: str) -> dict[str, str]:
    """Read the interface text of ``lang`` from ``_texts/webmap_<lang>.toml`` (package data)."""
    source = resources.files("autocity_gis") / "_texts" / f"webmap_{lang}.toml"
    table = tomllib.loads(source.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in table.items()}


#: Labels by language and key, from the package's data files (one per language).
TEXT: dict[str, dict[str, str]] = {lang: _load(lang) for lang in ("en", "zh")}


def plain(value: object) -> str:
    """Return an attribute value as the text shown for it ("" for missing values)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        try:
            if bool(pd.isna(value)):
                return ""
        except (TypeError, ValueError):  # a list or array is a value, not "missing"
            pass
    return str(value)


def km2(value: float | None) -> str:
    """Format an area in km² ("—" when unknown)."""
    return "—" if value is None else f"{value:,.2f} km²"


def pct(value: float | None) -> str:
    """Format a signed percentage ("—" when unknown, never "-0.00%")."""
    if value is None:
        return "—"
    return f"{value + 0.0 if round(value, 2) else 0.0:+.2f}%"


def names(primary_zh: bool, name_zh: object, name_en: object) -> tuple[str, str]:
    """Return the (first, second) names in the page's language order; first is never empty."""
    zh, en = plain(name_zh), plain(name_en)
    first, second = (zh, en) if primary_zh else (en, zh)
    if not first:
        first, second = second, ""
    return first, second


def dates(*frames: gpd.GeoDataFrame) -> str:
    """Return the range of the ``date`` attributes of some layers ("—" when there are none)."""
    values: set[str] = set()
    for frame in frames:
        if "date" in frame.columns:
            values.update(str(v) for v in frame["date"].dropna() if str(v).strip())
    if not values:
        return "—"
    ordered = sorted(values)
    return ordered[0] if len(ordered) == 1 else f"{ordered[0]} – {ordered[-1]}"
