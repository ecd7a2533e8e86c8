"""The report in Chinese: ``report.md`` and the terminal summary for ``--lang zh``.

The same sections and figures as the English rendering in :mod:`autocity_gis.report`, written
the way Chinese planning documents write them (:mod:`autocity_gis._zh`: ``448.59平方公里``,
``44,859.00公顷``, 亩 when the recipe's ``[city] units`` asks for it). Names, ids, sources and
reasons are kept as the recipe and layers give them and pass through
:func:`autocity_gis._text.for_markdown` (Markdown) or :func:`autocity_gis._text.for_terminal`
(terminal), as in English. The warnings are sentences built in English around those names; they
are listed as written. ``report.json`` has no language: it is the same for both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._text import for_markdown as _md
from ._text import for_terminal
from ._zh import UNIT_NAMES, zh_area, zh_areas, zh_ha, zh_km2, zh_number, zh_pct
from .report import some_ids, terminal_components
from .validate import ValidationReport

if TYPE_CHECKING:
    from ._facts import HandOffNotes, MapFacts

#: The accuracy classes of :data:`autocity_gis.compose.ACCURACY_CLASSES` in Chinese.
ACCURACY_ZH = {"official": "官方", "estimated": "估算", "user-supplied": "用户提供"}
#: Component roles in Chinese.
ROLE_ZH = {"part": "组成部分", "subtract": "扣除"}


def _verdict(report: ValidationReport) -> str:
    return "通过" if report.passed else "未通过"


def _accuracy(value: str) -> str:
    return ACCURACY_ZH.get(value, value)


def _where(lon: float | None, lat: float | None) -> str:
    return "—" if lon is None or lat is None else f"{lon:.5f}, {lat:.5f}"


def _ids(ids: tuple[str, ...]) -> str:
    return " / ".join(map(_md, ids)) or "—"


def _stated(value: float | None) -> str:
    return zh_number(value, 2) if value is not None else "—"


def _extra_units(report: ValidationReport) -> list[str]:
    """Units shown beside 平方公里: 公顷 always, 亩 when the recipe asks."""
    return ["ha", *(["mu"] if "mu" in report.units else [])]


def component_verdict(report: ValidationReport, limit: int | None = None) -> list[str]:
    """Sentences saying how the components' own checks entered the verdict (plain text)."""
    judged = [c for c in report.components if c.passed is not None]
    if not judged:
        return []
    failed = report.failed_components
    if not failed:
        return [f"全部{len(judged)}个参与核查的组成部分均在允许误差之内。"]
    rule = (
        "因此核查未通过"
        if report.components_must_pass
        else "仅作报告（配方设定 components_must_pass = false）"
    )
    return [f"超出允许误差的组成部分：{some_ids(failed, '、', limit)}；{rule}。"]


#: The hand-off formats in Chinese.
FORMATS_ZH = {"QGIS project": "QGIS工程"}


def to_markdown_zh(
    report: ValidationReport,
    map_facts: MapFacts | None = None,
    hand_off: HandOffNotes | None = None,
) -> str:
    """Return the report as a Chinese Markdown document.

    Parameters
    ----------
    report : ValidationReport
        The check's result.

    Returns
    -------
    str
        The sections of :func:`autocity_gis.report.to_markdown` with Chinese headings, table
        heads and sentences; areas in 平方公里 with 公顷 (and 亩 on request). With
        ``hand_off``, the coordinate reference system of each file last.
    """
    extra = _extra_units(report)
    name = " ".join(_md(n) for n in (report.name_zh, report.name_en) if n)
    lines = [
        f"# 面积核查：{name}",
        "",
        f"**{_verdict(report)}**：合成面积{zh_areas(report.composed_km2, report.units)}，"
        f"公布面积{zh_km2(report.target_km2)}，相差{zh_number(report.delta_km2)}平方公里"
        f"（{zh_pct(report.delta_pct)}）；允许误差±{report.tolerance_pct:g}%。",
    ]
    lines += [line for text in component_verdict(report) for line in ("", _md(text))]
    warnings = [*report.warnings, *(hand_off.warnings if hand_off else ())]
    if warnings:
        lines += ["", "## 警告", ""]
        lines += [f"- {_md(w)}" for w in warnings]
    overlaps_km2 = sum(o.area_km2 for o in report.overlaps)
    lines += [
        "",
        "| 项目 | 数值 |",
        "|---|---|",
        f"| 公布面积 | {zh_km2(report.target_km2)}（{_md(report.target_source)}） |",
        f"| 合成面积（WGS 84椭球面积） | {zh_km2(report.composed_km2)} |",
        f"| 合成面积（公顷） | {zh_ha(report.composed_km2)} |",
        *([f"| 合成面积（亩） | {zh_area(report.composed_km2, 'mu')} |"] if "mu" in extra else []),
        f"| 校核面积（Albers等积投影） | {zh_km2(report.composed_equal_area_km2)} |",
        f"| 差值 | {zh_number(report.delta_km2, 3)}平方公里（{zh_pct(report.delta_pct, 3)}） |",
        f"| 各组成部分面积之和 | {zh_number(report.sum_of_parts_km2, 3)}平方公里 |",
        f"| 组成部分之间的重叠 | {zh_number(overlaps_km2, 3)}平方公里 |",
        f"| 组成部分之间的缝隙（窄于{report.gap_width_m:g}米） | "
        f"{zh_number(report.gaps_km2, 3)}平方公里（{report.gap_count}处） |",
        f"| 边界中的独立多边形 | {report.boundary_parts}个 |",
        f"| 合并方法 | {_md(report.compose_method)}，捕捉容差{report.snap_tolerance_m:g}米 |",
    ]
    unit_heads = "".join(f" 量算面积（{UNIT_NAMES[u]}） |" for u in extra)
    lines += [
        "",
        "## 组成部分",
        "",
        "| 编号 | 名称 | 精度 | 量算面积（平方公里） | 公布面积（平方公里） | 差值 % | "
        "允许误差 % | 核查 |" + unit_heads,
        "|---|---|---|---:|---:|---:|---:|---|" + "---:|" * len(extra),
    ]
    for c in report.components:
        shown = _md(_accuracy(c.accuracy))
        accuracy = f"**{shown}**" if c.accuracy == "estimated" else shown
        delta = f"{round(c.delta_pct, 3) + 0.0:+.3f}" if c.delta_pct is not None else "—"
        tol = f"±{c.tolerance_pct:g}" if c.tolerance_pct is not None else "—"
        check = {True: "通过", False: "**未通过**", None: "不参与核查"}[c.passed]
        role = "" if c.role == "part" else f"（{_md(ROLE_ZH.get(c.role, c.role))}）"
        lines.append(
            f"| {_md(c.id)}{role} | {_md(c.name_zh)} / {_md(c.name_en)} | {accuracy} | "
            f"{zh_number(c.measured_km2, 3)} | {_stated(c.stated_km2)} | {delta} | {tol} | "
            f"{check} |"
            + "".join(f" {zh_area(c.measured_km2, u)[: -len(UNIT_NAMES[u])]} |" for u in extra)
        )
    for m in report.missing:
        lines.append(
            f"| {_md(m.id)} | {_md(m.name_zh)} / {_md(m.name_en)} | **缺失** | — | "
            f"{_stated(m.stated_km2)} | — | — | 不参与核查 |" + " — |" * len(extra)
        )
    lines += _plane_section(report)
    lines += _figures_section(report)
    if report.estimated:
        lines += [
            "",
            f"估算范围（{'、'.join(map(_md, report.estimated))}）并非测绘成果：它由官方上级行政单元"
            "和公布数据推算，并按各组成部分的公布面积确定大小，因此其量算面积只能证明推算过程，"
            "不代表实际范围。",
        ]
    lines += _reconciliation(report)
    lines += _balance_lines(report)
    lines += _subtracted_lines(report)
    lines += ["", "## 重叠", ""]
    if report.overlaps:
        lines += [
            "| 甲 | 乙 | 面积（平方公里） | 最宽处（米） | 经度, 纬度 |",
            "|---|---|---:|---:|---|",
        ]
        lines += [
            f"| {_md(o.a)} | {_md(o.b)} | {zh_number(o.area_km2, 4)} | "
            f"{'—' if o.width_m is None else zh_number(o.width_m, 1)} | {_where(o.lon, o.lat)} |"
            for o in report.overlaps
        ]
    else:
        lines.append("无宽于捕捉容差的重叠。")
    lines += _gap_lines(report)
    lines += ["", "## 缺失的组成部分", ""]
    if report.missing:
        lines += [f"- {_md(m.id)}（{_md(m.name_zh)}）：{_md(m.reason)}" for m in report.missing]
    else:
        lines.append("无。")
    simplification = map_facts.simplification if map_facts else ()
    if simplification:
        lines += [
            "",
            "## 网页地图的简化",
            "",
            "网页地图绘制的是简化后的几何（相邻边界保持共用）；以上所有面积均在完整精度的几何上量算。",
            "",
            "| 图层 | 容差（米） | 最大面积变化 % | 顶点数 |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| {_md(s.layer)} | {s.tolerance_m:g} | {s.max_area_change_pct:.4f} | "
            f"{zh_number(s.vertices_before, 0)} → {zh_number(s.vertices_after, 0)} |"
            for s in simplification
        ]
    if hand_off is not None and hand_off.crs is not None:
        lines += [
            "",
            "## 交付文件的坐标系",
            "",
            "GeoJSON和KML按RFC 7946和KML 2.2的规定采用WGS 84经纬度；以上面积均为椭球面积，"
            "与文件的坐标系无关。",
            "",
            "| 文件 | 坐标系 | 名称 |",
            "|---|---|---|",
        ]
        lines += [
            f"| {FORMATS_ZH.get(f, f)} | {code} | {_md(name)} |"
            for f, code, name in hand_off.crs.files
        ]
    return "\n".join(lines) + "\n"


def _plane_section(report: ValidationReport) -> list[str]:
    if report.gk_crs is None:
        return []
    lines = [
        "",
        "## 平面面积",
        "",
        "以WGS 84椭球面积为准。CAD的AREA和ArcGIS的Shape_Area给出的是投影平面面积，列此仅供对照。",
        "",
        f"| 编号 | 椭球面积（平方公里） | {report.gk_crs}（CGCS2000高斯–克吕格）平面面积"
        "（平方公里） | 图层自身坐标系平面面积（平方公里） |",
        "|---|---:|---:|---:|",
    ]
    for c in report.components:
        gk = zh_number(c.gk_km2, 3) if c.gk_km2 is not None else "—"
        own = (
            f"{zh_number(c.plane_source_km2, 3)}（{_md(c.source_crs or '')}）"
            if c.plane_source_km2 is not None
            else f"—（{_md(c.source_crs)}：非投影坐标系）"
            if c.source_crs
            else "—"
        )
        lines.append(f"| {_md(c.id)} | {zh_number(c.measured_km2, 3)} | {gk} | {own} |")
    if report.composed_gk_km2 is not None:
        lines.append(
            f"| 合成边界 | {zh_number(report.composed_km2, 3)} | "
            f"{zh_number(report.composed_gk_km2, 3)} | — |"
        )
    if report.plane_note:
        lines += ["", _md(report.plane_note)]
    return lines


def _figures_section(report: ValidationReport) -> list[str]:
    if not any(len(c.stated_figures) > 1 for c in report.components):
        return []
    lines = [
        "",
        "## 公布数据",
        "",
        "| 编号 | 面积（平方公里） | 年份 | 来源 | 用于核查 |",
        "|---|---:|---:|---|---|",
    ]
    lines += [
        f"| {_md(c.id)} | {f.area_km2:g} | {f.year if f.year is not None else '—'} | "
        f"{_md(f.source)} | {'**是**' if f.judged else ''} |"
        for c in report.components
        for f in c.stated_figures
    ]
    return lines


def _reconciliation(report: ValidationReport) -> list[str]:
    lines = ["", "## 公布数据的平衡", ""]
    stated = [c for c in report.components if c.stated_km2 is not None and c.role == "part"]
    terms = " + ".join(f"{c.stated_km2:g}" for c in stated) or "0"
    rest = (
        f"，属于面积未公布的{'、'.join(map(_md, report.stated_missing))}。"
        if report.stated_missing
        else "。"
    )
    lines.append(
        f"各组成部分的公布面积：{terms} = {zh_km2(report.stated_sum_km2)}，与公布总面积"
        f"{report.target_km2:g}平方公里相差{zh_km2(report.stated_unaccounted_km2)}{rest}"
    )
    if report.stated_overlaps and report.stated_sum_min_km2 is not None:
        pairs = "；".join(
            f"{_md(o.a)}可能包含{_md(o.b)}的一部分（至多{o.max_km2:g}平方公里）"
            for o in report.stated_overlaps
        )
        low, high = report.stated_sum_min_km2, report.stated_sum_km2
        lines += [
            "",
            f"公布数据年份不同，可能相互重叠：{pairs}。因此各组成部分的公布面积合计在"
            f"{zh_km2(low)}至{zh_km2(high)}之间，留给其余部分的面积在"
            f"{zh_km2(report.target_km2 - high)}至{zh_km2(report.target_km2 - low)}之间。"
            "简单相加会把共有部分计算两次；合成边界只计算一次。",
        ]
    cut = [c for c in report.components if c.stated_km2 is not None and c.role == "subtract"]
    if cut:
        terms = "，".join(f"{_md(c.id)} {c.stated_km2:g}平方公里" for c in cut)
        parts = report.stated_sum_km2 - sum(c.stated_km2 or 0.0 for c in cut)
        lines += [
            "",
            f"扣除区域的公布面积：{terms}；组成部分减去扣除区域：{zh_km2(parts)}"
            "（扣除区域只去掉其位于组成部分之内的部分）。",
        ]
    return lines


def _balance_lines(report: ValidationReport) -> list[str]:
    b = report.area_balance
    if b is None:
        return []
    union = b.sum_of_parts_km2 - b.overlaps_km2
    return [
        "",
        "## 量算面积的平衡",
        "",
        f"组成部分之和 − 重叠 = 并集：{zh_number(b.sum_of_parts_km2, 3)} − "
        f"{zh_number(b.overlaps_km2, 3)} = {zh_number(union, 3)}平方公里；并集量算为"
        f"{zh_number(b.parts_union_km2, 3)}平方公里（{zh_number(b.union_residual_km2, 3)}平方公里："
        "捕捉闭合的细缝以及三个及以上组成部分共有的面积）。",
        "",
        f"并集 − 扣除 = 合成：{zh_number(b.parts_union_km2, 3)} − {zh_number(b.subtracted_km2, 3)}"
        f" = {zh_number(b.parts_union_km2 - b.subtracted_km2, 3)}平方公里；合成边界量算为"
        f"{zh_number(b.composed_km2, 3)}平方公里（{zh_number(b.residual_km2, 6)}平方公里）。",
    ]


def _subtracted_lines(report: ValidationReport) -> list[str]:
    if not report.subtracted:
        return []
    lines = [
        "",
        "## 扣除区域",
        "",
        "有意从组成部分中扣除（角色为subtract），不是缝隙。",
        "",
        "| 编号 | 名称 | 区域面积（平方公里） | 扣除面积（平方公里） | 位于组成部分之内 % | "
        "经度, 纬度 |",
        "|---|---|---:|---:|---:|---|",
    ]
    lines += [
        f"| {_md(z.id)} | {_md(z.name_zh)} / {_md(z.name_en)} | {zh_number(z.area_km2, 3)} | "
        f"{zh_number(z.removed_km2, 3)} | {z.inside_pct:.1f} | {_where(z.lon, z.lat)} |"
        for z in report.subtracted
    ]
    return lines


def _gap_lines(report: ValidationReport) -> list[str]:
    lines = ["", "## 缝隙与孔洞", ""]
    if report.gaps:
        lines += [
            f"组成部分之间窄于{report.gap_width_m:g}米的缝隙，封闭或通向外缘（警告：请检查数字化）：",
            "",
            "| 缝隙 | 位于 | 面积（平方公里） | 最宽处（米） | 类型 | 经度, 纬度 |",
            "|---|---|---:|---:|---|---|",
        ]
        lines += [
            f"| {_md(g.id)} | {_ids(g.between)} | {zh_number(g.area_km2, 4)} | "
            f"{zh_number(g.width_m, 1)} | {'封闭' if g.enclosed else '通向外缘'} | "
            f"{_where(g.lon, g.lat)} |"
            for g in report.gaps
        ]
    else:
        lines.append(f"组成部分之间没有窄于{report.gap_width_m:g}米的缝隙。")
    if report.holes:
        lines += [
            "",
            "数据本身带有的孔洞（飞地；仅作报告，不是错误）：",
            "",
            "| 孔洞 | 位于 | 面积（平方公里） | 最宽处（米） | 经度, 纬度 |",
            "|---|---|---:|---:|---|",
        ]
        lines += [
            f"| {_md(h.id)} | {_ids(h.within)} | {zh_number(h.area_km2, 4)} | "
            f"{zh_number(h.width_m, 1)} | {_where(h.lon, h.lat)} |"
            for h in report.holes
        ]
    return lines


#: Pairs, gaps and zones named on the terminal before "等N项".
SUMMARY_ITEMS = 3


def _listed(items: list[str]) -> str:
    shown = items[:SUMMARY_ITEMS]
    more = len(items) - len(shown)
    return "；".join(shown) + (f"；另有{more}项" if more else "")


def summary_lines_zh(report: ValidationReport) -> list[str]:
    """Return the terminal summary in Chinese: verdict, areas, components, diagnostics.

    Every id, name and reason passes through :func:`autocity_gis._text.for_terminal`, so each
    line is one line of literal text.
    """
    t = for_terminal
    lines = [
        f"{_verdict(report)}：合成面积{zh_areas(report.composed_km2, report.units)}，"
        f"公布面积{zh_km2(report.target_km2)}（{zh_pct(report.delta_pct)}，"
        f"允许误差±{report.tolerance_pct:g}%）"
    ]
    shown, left_out = terminal_components(report)
    for c in shown:
        check = ""
        if c.passed is not None and c.delta_pct is not None and c.tolerance_pct is not None:
            check = (
                f"  {'通过' if c.passed else '未通过'} {zh_pct(round(c.delta_pct, 1) + 0.0, 1)}"
                f"（±{c.tolerance_pct:g}%）"
            )
        stated = f"公布{zh_km2(c.stated_km2)}" if c.stated_km2 is not None else "未公布面积"
        lines.append(
            f"  {t(c.id):<16} {zh_km2(c.measured_km2)}  {stated}  {t(_accuracy(c.accuracy))}{check}"
        )
    if left_out:
        lines.append(f"  ……另有{left_out}个组成部分（report.md中全部列出）")
    for m in report.missing:
        lines.append(f"  {t(m.id):<16} 缺失  {t(m.reason)}")
    for z in report.subtracted:
        lines.append(
            f"  扣除 {t(z.id)}：去掉{zh_km2(z.removed_km2)}（其{zh_km2(z.area_km2)}中有"
            f"{z.inside_pct:.0f}%位于组成部分之内）"
        )
    if report.overlaps:
        pairs = [f"{t(o.a)} / {t(o.b)} {zh_number(o.area_km2, 3)}平方公里" for o in report.overlaps]
        total = sum(o.area_km2 for o in report.overlaps)
        lines.append(
            f"  重叠：{len(report.overlaps)}对，{zh_number(total, 3)}平方公里：{_listed(pairs)}"
        )
    if report.gap_count:
        described = [
            f"{' / '.join(map(t, g.between)) or t(g.id)} {zh_number(g.area_km2, 3)}平方公里"
            f"（宽{g.width_m:.0f}米，{'封闭' if g.enclosed else '通向外缘'}）"
            for g in report.gaps
        ]
        head = f"  缝隙：{report.gap_count}处，{zh_number(report.gaps_km2, 3)}平方公里"
        lines.append(f"{head}：{_listed(described)}" if described else head)
    if report.holes:
        total = sum(h.area_km2 for h in report.holes)
        lines.append(
            f"  孔洞：{len(report.holes)}处，{zh_number(total, 3)}平方公里（飞地，不是错误）"
        )
    lines += [f"  {t(line)}" for line in component_verdict(report, limit=10)]
    if report.stated_overlaps and report.stated_sum_min_km2 is not None:
        lines.append(
            f"  公布的组成部分面积合计{zh_km2(report.stated_sum_min_km2)}至"
            f"{zh_km2(report.stated_sum_km2)}（部分数据可能重叠；见report.md）"
        )
    if report.composed_gk_km2 is not None:
        lines.append(f"  {report.gk_crs}（高斯–克吕格）平面面积：{zh_km2(report.composed_gk_km2)}")
    return lines
