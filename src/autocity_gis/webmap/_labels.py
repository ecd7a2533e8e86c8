"""Interface text of the web map in each language, and how figures are written in it.

This module owns the fixed labels (:data:`TEXT`) and the small formatters that turn report
figures and attribute values into the plain strings the page shows. Nothing here produces HTML:
the page's script writes every string as text.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

#: Labels by language and key.
TEXT: dict[str, dict[str, str]] = {
    "en": {
        "boundary": "Composed boundary",
        "context": "Administrative units (context)",
        "overlaps": "Overlaps between components",
        "gaps": "Gaps between components",
        "holes": "Holes in the data (enclaves)",
        "subtracted_layer": "Subtracted zones (cut out)",
        "removed": "Removed from the parts",
        "inside_parts": "Share inside the parts",
        "zone_area": "Zone area",
        "widest": "widest",
        "open_edge": "open to the outer edge",
        "enclosed": "enclosed",
        "subtracted_area": "Subtracted",
        "hole_area": "Holes",
        "estimated": "estimated",
        "subtracted": "subtracted from the boundary",
        "official": "official",
        "user-supplied": "user-supplied",
        "legend": "Legend",
        "summary": "Area summary",
        "composed": "Composed",
        "stated_total": "Stated total",
        "difference": "Difference",
        "check": "Check",
        "passed": "passed",
        "failed": "failed",
        "tolerance": "tolerance",
        "warnings": "Warnings",
        "not_judged": "not judged",
        "components_failed": "Components outside their tolerance: {ids}",
        "components_reported": "(reported only: components_must_pass = false)",
        "component": "Component",
        "measured": "Measured",
        "stated": "Stated",
        "sum_parts": "Sum of parts",
        "overlap_area": "Overlaps",
        "gap_area": "Gaps",
        "missing": "No geometry",
        "simplified": "Web geometry simplified (tolerance {tol}); largest area change {pct} "
        "(bound {bound}).",
        "tol_parts": "components",
        "tol_context": "context units",
        "drawn_in": "Drawn in {datum}",
        "shifted": "overlays shifted from WGS 84 to GCJ-02 to match the tiles",
        "basemap": "Basemap",
        "data": "Data",
        "caveat_est": "Dashed outlines are estimated boundaries, not surveyed lines.",
        "caveat_area": "Areas are geodesic (WGS 84 ellipsoid) from full-resolution geometry.",
        "estimated_boundary": "Estimated boundary",
        "accuracy": "Accuracy",
        "method": "Method",
        "source": "Source",
        "date": "Date",
        "datum": "Source datum",
        "stated_source": "Stated area source",
        "adcode": "Code",
        "measure": "Measure a geodesic area: click points, double-click to finish",
        "measure_hint": "Click to add points, double-click to finish.",
        "area": "Area",
        "perimeter": "Perimeter",
        "geodesic_note": "geodesic, WGS 84 ellipsoid",
        "tianditu_prompt": "Tianditu key (tk) for the basemap tiles:",
        "tiles_failed": "Basemap tiles cannot be loaded (no network?); the overlays are complete.",
        "no_basemap": "no basemap",
    },
    "zh": {
        "boundary": "合成边界",
        "context": "行政区划（参考）",
        "overlaps": "组成部分重叠",
        "gaps": "组成部分之间的空隙",
        "holes": "数据中的孔洞（飞地）",
        "subtracted_layer": "扣除区域",
        "removed": "从各部分中扣除",
        "inside_parts": "位于各部分内的比例",
        "zone_area": "区域面积",
        "widest": "最宽处",
        "open_edge": "通向外边界",
        "enclosed": "封闭",
        "subtracted_area": "扣除",
        "hole_area": "孔洞",
        "estimated": "估算",
        "subtracted": "从边界中扣除",
        "official": "官方",
        "user-supplied": "用户提供",
        "legend": "图例",
        "summary": "面积汇总",
        "composed": "合成面积",
        "stated_total": "公布总面积",
        "difference": "差值",
        "check": "核验",
        "passed": "通过",
        "failed": "未通过",
        "tolerance": "容差",
        "warnings": "警告",
        "not_judged": "未核验",
        "components_failed": "超出容差的组成部分：{ids}",
        "components_reported": "（仅提示：components_must_pass = false）",
        "component": "组成部分",
        "measured": "量算",
        "stated": "公布",
        "sum_parts": "各部分之和",
        "overlap_area": "重叠",
        "gap_area": "空隙",
        "missing": "缺少几何",
        "simplified": "网页几何已简化（容差 {tol}）；最大面积变化 {pct}（上限 {bound}）。",
        "tol_parts": "组成部分",
        "tol_context": "行政区划",
        "drawn_in": "坐标系：{datum}",
        "shifted": "叠加图层已由 WGS 84 转换为 GCJ-02 以对齐底图",
        "basemap": "底图",
        "data": "数据日期",
        "caveat_est": "虚线为估算边界，并非测绘成果。",
        "caveat_area": "面积为 WGS 84 椭球面积，按未简化几何计算。",
        "estimated_boundary": "估算边界",
        "accuracy": "精度",
        "method": "方法",
        "source": "来源",
        "date": "日期",
        "datum": "源坐标系",
        "stated_source": "公布面积来源",
        "adcode": "代码",
        "measure": "量算椭球面积：单击加点，双击结束",
        "measure_hint": "单击加点，双击结束。",
        "area": "面积",
        "perimeter": "周长",
        "geodesic_note": "WGS 84 椭球",
        "tianditu_prompt": "天地图密钥（tk）：",
        "tiles_failed": "底图瓦片无法加载（没有网络？）；叠加图层完整。",
        "no_basemap": "无底图",
    },
}


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
