"""Short renderings of results for the Python prompt and Jupyter.

A dataclass's own ``repr`` of a :class:`~autocity_gis.composition.Composition` dumps whole
GeoDataFrames; these one-liners give the key figures instead, and :func:`report_html` is the
table a notebook shows for a :class:`~autocity_gis.validation.ValidationReport`. Names come from
recipes and layers, so they are untrusted: one-liners go through :func:`repr` (quotes and
escapes, no control characters), HTML through :func:`html.escape`.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .composition import Composition
    from .validation import ValidationReport

_NAME_CHARS = 40


def _name(text: str) -> str:
    flat = " ".join(str(text).split())
    return repr(flat if len(flat) <= _NAME_CHARS else flat[: _NAME_CHARS - 1] + "…")


def _km2(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:,.{digits}f}"


def _pct(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return "0.00 %" if abs(value) < 0.005 else f"{value:+.2f} %"


def composition_repr(composition: Composition) -> str:
    """One line: the name, its components, the boundary's area and the defects found."""
    comps = composition.components
    parts = int((comps["role"] == "part").sum()) if "role" in comps else len(comps)
    cut = len(comps) - parts
    area = (
        float(composition.boundary["area_km2"].iloc[0])
        if len(composition.boundary) and "area_km2" in composition.boundary
        else float("nan")
    )
    return (
        f"<Composition {_name(composition.name_en)}: {parts} part(s)"
        + (f", {cut} subtracted" if cut else "")
        + f", boundary {_km2(area)} km² ({composition.method}), "
        f"{len(composition.overlaps)} overlap(s), {len(composition.gaps)} gap(s), "
        f"{len(composition.warnings)} warning(s)>"
    )


def report_repr(report: ValidationReport) -> str:
    """One line: verdict, composed against target, components judged and failed."""
    judged = sum(1 for c in report.components if c.passed is not None)
    failed = len(report.failed_components)
    return (
        f"<ValidationReport {_name(report.name_en)}: {'PASSED' if report.passed else 'FAILED'}, "
        f"{_km2(report.composed_km2)} km² vs {report.target_km2:g} km² "
        f"({_pct(report.delta_pct)}, tolerance {report.tolerance_pct:g} %), "
        f"{len(report.components)} component(s), {judged} judged, {failed} failed, "
        f"{len(report.missing)} missing, {len(report.warnings)} warning(s)>"
    )


def report_html(report: ValidationReport) -> str:
    """Return an HTML table of the check for Jupyter: the verdict, then a row per component."""
    esc = html.escape
    verdict = "PASSED" if report.passed else "FAILED"
    colour = "#1a7f37" if report.passed else "#cf222e"
    head = (
        f"<p><b>{esc(report.name_en)}</b>"
        + (f" ({esc(report.name_zh)})" if report.name_zh else "")
        + f": <b style=\"color:{colour}\">{verdict}</b> — composed "
        f"{esc(_km2(report.composed_km2))} km², target {report.target_km2:g} km² "
        f"({esc(_pct(report.delta_pct))}, tolerance ±{report.tolerance_pct:g} %)"
        + (f"; {len(report.warnings)} warning(s)" if report.warnings else "")
        + "</p>"
    )
    columns = ("id", "name", "名称", "role", "accuracy", "measured km²", "stated km²", "Δ", "check")
    rows = []
    for c in report.components:
        check = "—" if c.passed is None else ("pass" if c.passed else "FAIL")
        cells = (
            c.id,
            c.name_en,
            c.name_zh,
            c.role,
            c.accuracy,
            _km2(c.measured_km2),
            _km2(c.stated_km2),
            _pct(c.delta_pct),
            check,
        )
        rows.append("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in cells) + "</tr>")
    for m in report.missing:
        cells = (m.id, m.name_en, m.name_zh, "missing", "", "—", _km2(m.stated_km2), "—", "—")
        rows.append("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in cells) + "</tr>")
    table = (
        "<table><thead><tr>"
        + "".join(f"<th>{esc(c)}</th>" for c in columns)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )
    return f"<div class=\"autocity-gis-report\">{head}{table}</div>"
