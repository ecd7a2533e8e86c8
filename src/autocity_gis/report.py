"""Renderings of a :class:`~autocity_gis.validate.ValidationReport`: JSON, Markdown, terminal.

This is the one place where a report becomes text. The JSON keeps full precision (it is what
tools and tests read); Markdown and the terminal summary round for people and always say which
components are estimates. Names, sources and reasons come from other people's recipes and layers:
the JSON is strict and round-trips every string exactly, the Markdown escapes them so no link,
image or HTML can form (:func:`autocity_gis._text.for_markdown`), and the terminal lines show
control and escape characters visibly (:func:`autocity_gis._text.for_terminal`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ._io import staged_outputs, write_text
from ._text import finite_json, for_json, for_terminal
from ._text import for_markdown as _md
from .recipe import UNITS as UNIT_FACTORS
from .validate import ComponentArea, ValidationReport, in_units

if TYPE_CHECKING:
    from ._facts import HandOffNotes, MapFacts

#: How each unit is written for people (km² stays the reference).
UNIT_LABELS = {"km2": "km²", "ha": "ha (公顷)", "mu": "mu (亩)"}

SCHEMA_VERSION = 1


def to_dict(
    report: ValidationReport,
    map_facts: MapFacts | None = None,
    hand_off: HandOffNotes | None = None,
) -> dict[str, Any]:
    """Return the report as plain JSON-ready data.

    Parameters
    ----------
    report : ValidationReport
        The check's result.
    map_facts : MapFacts, optional
        The web map of a build: its per-layer simplification (``web_simplification``).
    hand_off : HandOffNotes, optional
        The hand-off files of a build: what they had to shorten joins ``warnings``.

    Returns
    -------
    dict
        Every field of the report plus ``schema_version``, ``verdict``, ``estimated`` and
        ``web_simplification``; non-finite figures (NaN, ±inf) become ``None``.
    """
    data = {}
    for key, value in dataclasses.asdict(report).items():
        data[key] = value
        if key == "warnings":  # where the field was when the check carried it
            data[key] = [*value, *(hand_off.warnings if hand_off else ())]
            data["web_simplification"] = [
                dataclasses.asdict(s) for s in (map_facts.simplification if map_facts else ())
            ]
    data["schema_version"] = SCHEMA_VERSION
    data["verdict"] = "pass" if report.passed else "fail"
    data["estimated"] = list(report.estimated)
    data["composed_in_units"] = in_units(report.composed_km2, report.units)
    for comp, area in zip(data["components"], report.components, strict=True):
        comp["measured_in_units"] = in_units(area.measured_km2, report.units)
    result: dict[str, Any] = finite_json(data)
    return result


def to_json(
    report: ValidationReport,
    map_facts: MapFacts | None = None,
    hand_off: HandOffNotes | None = None,
) -> str:
    """Return the report as indented strict JSON (UTF-8 text, Chinese kept readable).

    Never ``NaN`` or ``Infinity`` (those figures are ``null``); every string, control and
    surrogate characters included, reads back unchanged with any JSON parser. ``map_facts``
    and ``hand_off`` as in :func:`to_dict`.
    """
    return for_json(to_dict(report, map_facts, hand_off), indent=2) + "\n"


def to_markdown(
    report: ValidationReport,
    lang: str = "en",
    map_facts: MapFacts | None = None,
    hand_off: HandOffNotes | None = None,
) -> str:
    """Return the report as a Markdown document for people.

    Parameters
    ----------
    report : ValidationReport
        The check's result.
    lang : str
        ``en``, or ``zh`` for the Chinese document of :func:`autocity_gis.report_zh.to_markdown_zh`.
    map_facts : MapFacts, optional
        The web map of a build: its simplification, in a section of its own.
    hand_off : HandOffNotes, optional
        The hand-off files of a build: what they shortened among the warnings, and the CRS of
        each file in a last section.

    Returns
    -------
    str
        Verdict (with the components' own checks), warnings first, area table, components
        with their tolerance and check, plane areas, every published figure, reconciliations
        (stated and measured), subtracted zones, overlaps, gaps and holes, missing parts. Table
        cells are escaped so user text cannot break the layout.
    """
    if lang == "zh":
        from .report_zh import to_markdown_zh

        return to_markdown_zh(report, map_facts, hand_off)
    verdict = "PASS" if report.passed else "FAIL"
    lines = [
        f"# Area check: {_md(report.name_en)} ({_md(report.name_zh)})",
        "",
        f"**{verdict}**: composed {report.composed_km2:.2f} km² against the stated "
        f"{report.target_km2:g} km², {report.delta_km2:+.2f} km² ({report.delta_pct:+.2f} %); "
        f"tolerance ±{report.tolerance_pct:g} %.",
    ]
    lines += [line for text in _component_verdict(report) for line in ("", _md(text))]
    warnings = [*report.warnings, *(hand_off.warnings if hand_off else ())]
    if warnings:  # first, not last: they may change what the verdict means
        lines += ["", "## Warnings", ""]
        lines += [f"- {_md(w)}" for w in warnings]
    lines += [
        "",
        "| figure | value |",
        "|---|---|",
        f"| stated area | {report.target_km2:g} km² ({_md(report.target_source)}) |",
        f"| composed area (geodesic, WGS 84 ellipsoid) | {report.composed_km2:.3f} km² |",
        f"| cross-check (Albers equal-area) | {report.composed_equal_area_km2:.3f} km² |",
        f"| difference | {report.delta_km2:+.3f} km² ({report.delta_pct:+.3f} %) |",
        f"| sum of the parts | {report.sum_of_parts_km2:.3f} km² |",
        f"| overlaps between parts | {sum(o.area_km2 for o in report.overlaps):.3f} km² |",
        f"| gaps between components (narrower than {report.gap_width_m:g} m) | "
        f"{report.gaps_km2:.3f} km² ({report.gap_count}) |",
        f"| separate polygons in the boundary | {report.boundary_parts} |",
        f"| union method | {report.compose_method}, snap {report.snap_tolerance_m:g} m |",
    ]
    extra = [u for u in report.units if u != "km2"]
    for unit in extra:
        lines.append(
            f"| composed area in {UNIT_LABELS[unit]} | "
            f"{report.composed_km2 * UNIT_FACTORS[unit]:,.1f} |"
        )
    lines += [
        "",
        "## Components",
        "",
        "| id | name | accuracy | measured km² | stated km² | Δ % | tolerance % | check |"
        + "".join(f" measured {UNIT_LABELS[u]} |" for u in extra),
        "|---|---|---|---:|---:|---:|---:|---|" + "---:|" * len(extra),
    ]
    for c in report.components:
        accuracy = f"**{c.accuracy}**" if c.accuracy == "estimated" else _md(c.accuracy)
        stated_text = f"{c.stated_km2:g}" if c.stated_km2 is not None else "—"
        delta = f"{round(c.delta_pct, 3) + 0.0:+.3f}" if c.delta_pct is not None else "—"
        tol = f"±{c.tolerance_pct:g}" if c.tolerance_pct is not None else "—"
        check = {True: "pass", False: "**FAIL**", None: "not judged"}[c.passed]
        role = "" if c.role == "part" else f" ({_md(c.role)})"
        lines.append(
            f"| {_md(c.id)}{role} | {_md(c.name_en)} / {_md(c.name_zh)} | {accuracy} | "
            f"{c.measured_km2:.3f} | {stated_text} | {delta} | {tol} | {check} |"
            + "".join(f" {c.measured_km2 * UNIT_FACTORS[u]:,.1f} |" for u in extra)
        )
    for m in report.missing:
        lines.append(
            f"| {_md(m.id)} | {_md(m.name_en)} / {_md(m.name_zh)} | **missing** | — | "
            f"{f'{m.stated_km2:g}' if m.stated_km2 is not None else '—'} | — | — | not judged |"
            + " — |"
            * len(extra)
        )
    lines += _plane_section(report)
    lines += _figures_section(report)
    if report.estimated:
        lines += [
            "",
            f"Estimated geometry ({', '.join(map(_md, report.estimated))}) is not surveyed: it is "
            "derived from official parent units and stated facts and sized to each component's "
            "stated area, so its measured area confirms the construction, not the real extent.",
        ]
    lines += ["", "## Reconciliation of the stated figures", ""]
    # Only parts add up to the stated total; subtracted zones are named on their own line.
    stated = [c for c in report.components if c.stated_km2 is not None and c.role == "part"]
    terms = " + ".join(f"{c.stated_km2:g}" for c in stated) or "0"
    lines.append(
        f"Published areas of the parts: {terms} = {report.stated_sum_km2:.2f} km², leaving "
        f"{report.stated_unaccounted_km2:.2f} km² of the stated {report.target_km2:g} km²"
        + (
            f" for {', '.join(map(_md, report.stated_missing))}, whose areas are not published."
            if report.stated_missing
            else "."
        )
    )
    lines += _overlap_reconciliation(report)
    lines += _stated_subtracted_lines(report)
    lines += _balance_lines(report)
    lines += _subtracted_lines(report)
    lines += ["", "## Overlaps", ""]
    if report.overlaps:
        lines += ["| a | b | km² | widest m | lon, lat |", "|---|---|---:|---:|---|"]
        lines += [
            f"| {_md(o.a)} | {_md(o.b)} | {o.area_km2:.4f} | {_metres(o.width_m)} | "
            f"{_where(o.lon, o.lat)} |"
            for o in report.overlaps
        ]
    else:
        lines.append("None wider than the snap tolerance.")
    lines += _gap_lines(report)
    lines += ["", "## Missing components", ""]
    if report.missing:
        lines += [f"- {_md(m.id)} ({_md(m.name_en)}): {_md(m.reason)}" for m in report.missing]
    else:
        lines.append("None.")
    simplification = map_facts.simplification if map_facts else ()
    if simplification:
        lines += [
            "",
            "## Web map simplification",
            "",
            "The web map draws simplified geometry (shared borders kept shared); every area above "
            "is measured on the full-resolution geometry.",
            "",
            "| layer | tolerance m | largest area change % | vertices |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| {_md(s.layer)} | {s.tolerance_m:g} | {s.max_area_change_pct:.4f} | "
            f"{s.vertices_before} → {s.vertices_after} |"
            for s in simplification
        ]
    if hand_off is not None and hand_off.crs is not None:
        lines += [
            "",
            "## Coordinate reference systems of the files",
            "",
            "GeoJSON and KML are in WGS 84 longitude/latitude, as RFC 7946 and KML 2.2 require; "
            "the areas above are geodesic and do not depend on the files' CRS.",
            "",
            "| file | CRS | name |",
            "|---|---|---|",
        ]
        lines += [f"| {f} | {code} | {_md(name)} |" for f, code, name in hand_off.crs.files]
    return "\n".join(lines) + "\n"


#: Components the terminal lists one by one (failing ones first); report.md lists every one.
TERMINAL_COMPONENTS = 40


def terminal_components(report: ValidationReport) -> tuple[list[ComponentArea], int]:
    """Return the components the terminal lists, in recipe order, and how many it leaves out.

    A layer-wide block can make thousands of components: the terminal shows every failing one
    (up to :data:`TERMINAL_COMPONENTS`) and fills up with the others; report.md has them all.
    """
    components = list(report.components)
    if len(components) <= TERMINAL_COMPONENTS:
        return components, 0
    failing = [c for c in components if c.passed is False][:TERMINAL_COMPONENTS]
    others = [c for c in components if c.passed is not False]
    keep = {id(c) for c in [*failing, *others[: TERMINAL_COMPONENTS - len(failing)]]}
    shown = [c for c in components if id(c) in keep]
    return shown, len(components) - len(shown)


def some_ids(ids: tuple[str, ...] | list[str], sep: str, limit: int | None) -> str:
    """Join ``ids``, the first ``limit`` of them and a count of the rest when ``limit`` is set."""
    if limit is None or len(ids) <= limit:
        return sep.join(ids)
    return sep.join(ids[:limit]) + f"{sep}… (+{len(ids) - limit})"


def _component_verdict(report: ValidationReport, limit: int | None = None) -> list[str]:
    """Lines saying how the components' own checks entered the verdict (plain text)."""
    judged = [c for c in report.components if c.passed is not None]
    if not judged:
        return []
    failed = report.failed_components
    if not failed:
        return [f"Every judged component ({len(judged)}) is within its tolerance."]
    rule = (
        "so the check fails"
        if report.components_must_pass
        else "reported only (the recipe sets components_must_pass = false)"
    )
    return [f"Components outside their tolerance: {some_ids(failed, ', ', limit)}; {rule}."]


def _plane_section(report: ValidationReport) -> list[str]:
    """Return the plane areas planners compare with, beside the geodesic reference."""
    if report.gk_crs is None:
        return []
    lines = [
        "",
        "## Plane areas",
        "",
        _md(
            "The geodesic area on the WGS 84 ellipsoid is the reference. CAD AREA and ArcGIS "
            "Shape_Area give plane areas in a projection; they are shown here to compare with."
        ),
        "",
        f"| id | geodesic km² | plane km² in {report.gk_crs} (CGCS2000 Gauss–Krüger) | "
        "plane km² in the layer's own CRS |",
        "|---|---:|---:|---:|",
    ]
    for c in report.components:
        gk = f"{c.gk_km2:.3f}" if c.gk_km2 is not None else "—"
        own = (
            f"{c.plane_source_km2:.3f} ({_md(c.source_crs or '')})"
            if c.plane_source_km2 is not None
            else f"— ({_md(c.source_crs)}: not projected)"
            if c.source_crs
            else "—"
        )
        lines.append(f"| {_md(c.id)} | {c.measured_km2:.3f} | {gk} | {own} |")
    if report.composed_gk_km2 is not None:
        lines.append(f"| composed | {report.composed_km2:.3f} | {report.composed_gk_km2:.3f} | — |")
    if report.plane_note:
        lines += ["", _md(report.plane_note)]
    return lines


def _figures_section(report: ValidationReport) -> list[str]:
    """Every published figure of each component, the judged one marked."""
    rows = [(c.id, f) for c in report.components for f in c.stated_figures]
    if not any(len(c.stated_figures) > 1 for c in report.components):
        return []
    lines = [
        "",
        "## Published figures",
        "",
        "| id | km² | year | source | judged |",
        "|---|---:|---:|---|---|",
    ]
    lines += [
        f"| {_md(cid)} | {f.area_km2:g} | {f.year if f.year is not None else '—'} | "
        f"{_md(f.source)} | {'**judged**' if f.judged else ''} |"
        for cid, f in rows
    ]
    return lines


def _overlap_reconciliation(report: ValidationReport) -> list[str]:
    """Return the range the published parts' sum can take when some may include others."""
    if not report.stated_overlaps or report.stated_sum_min_km2 is None:
        return []
    pairs = "; ".join(
        f"{_md(o.a)} may include part of {_md(o.b)} (up to {o.max_km2:g} km²)"
        for o in report.stated_overlaps
    )
    low, high = report.stated_sum_min_km2, report.stated_sum_km2
    return [
        "",
        f"The published figures come from different years and may overlap: {pairs}. "
        f"Together the published parts therefore cover between {low:.2f} and {high:.2f} km², "
        f"leaving between {report.target_km2 - high:.2f} and {report.target_km2 - low:.2f} km² "
        "of the stated total for the rest. A plain sum counts any shared part twice; the "
        "composed boundary counts it once.",
    ]


def _metres(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _where(lon: float | None, lat: float | None) -> str:
    return "—" if lon is None or lat is None else f"{lon:.5f}, {lat:.5f}"


def _ids(ids: tuple[str, ...]) -> str:
    return " / ".join(map(_md, ids)) or "—"


def _stated_subtracted_lines(report: ValidationReport) -> list[str]:
    cut = [c for c in report.components if c.stated_km2 is not None and c.role == "subtract"]
    if not cut:
        return []
    terms = ", ".join(f"{_md(c.id)} {c.stated_km2:g} km²" for c in cut)
    parts = report.stated_sum_km2 - sum(c.stated_km2 or 0.0 for c in cut)
    return [
        "",
        f"Published areas of the subtracted zones: {terms}; the parts less these: "
        f"{parts:.2f} km² (a subtracted zone removes only the share of it inside the parts).",
    ]


def _balance_lines(report: ValidationReport) -> list[str]:
    b = report.area_balance
    if b is None:
        return []
    union = b.sum_of_parts_km2 - b.overlaps_km2
    return [
        "",
        "## Reconciliation of the measured areas",
        "",
        f"Parts − overlaps = union: {b.sum_of_parts_km2:.3f} − {b.overlaps_km2:.3f} = "
        f"{union:.3f} km²; the union measures {b.parts_union_km2:.3f} km² "
        f"({b.union_residual_km2:+.3f} km²: slivers closed by the snap and areas shared by "
        "three or more parts).",
        "",
        f"Parts − subtracted = composed: {b.parts_union_km2:.3f} − {b.subtracted_km2:.3f} = "
        f"{b.parts_union_km2 - b.subtracted_km2:.3f} km²; the composed boundary measures "
        f"{b.composed_km2:.3f} km² ({b.residual_km2:+.6f} km²).",
    ]


def _subtracted_lines(report: ValidationReport) -> list[str]:
    if not report.subtracted:
        return []
    lines = [
        "",
        "## Subtracted zones",
        "",
        "Cut out of the parts on purpose (role 'subtract'): not gaps.",
        "",
        "| id | name | zone km² | removed km² | inside the parts % | lon, lat |",
        "|---|---|---:|---:|---:|---|",
    ]
    lines += [
        f"| {_md(z.id)} | {_md(z.name_en)} / {_md(z.name_zh)} | {z.area_km2:.3f} | "
        f"{z.removed_km2:.3f} | {z.inside_pct:.1f} | {_where(z.lon, z.lat)} |"
        for z in report.subtracted
    ]
    return lines


def _gap_lines(report: ValidationReport) -> list[str]:
    lines = ["", "## Gaps and holes", ""]
    if report.gaps:
        lines += [
            f"Gaps between components narrower than {report.gap_width_m:g} m, enclosed or open "
            "to the outer edge (warnings: check the digitising):",
            "",
            "| gap | between | km² | widest m | where | lon, lat |",
            "|---|---|---:|---:|---|---|",
        ]
        lines += [
            f"| {_md(g.id)} | {_ids(g.between)} | {g.area_km2:.4f} | {g.width_m:.1f} | "
            f"{'enclosed' if g.enclosed else 'open to the edge'} | {_where(g.lon, g.lat)} |"
            for g in report.gaps
        ]
    else:
        lines.append(f"No gap between components narrower than {report.gap_width_m:g} m.")
    if report.holes:
        lines += [
            "",
            "Holes the data have (enclaves; reported, not errors):",
            "",
            "| hole | within | km² | widest m | lon, lat |",
            "|---|---|---:|---:|---|",
        ]
        lines += [
            f"| {_md(h.id)} | {_ids(h.within)} | {h.area_km2:.4f} | {h.width_m:.1f} | "
            f"{_where(h.lon, h.lat)} |"
            for h in report.holes
        ]
    return lines


#: Pairs, gaps and zones named on the terminal before "and N more".
SUMMARY_ITEMS = 3


def _listed(items: list[str]) -> str:
    shown = items[:SUMMARY_ITEMS]
    more = len(items) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more else "")


def diagnostic_summary_lines(report: ValidationReport) -> list[str]:
    """Return the terminal lines for subtracted zones, overlaps, gaps and holes (names included).

    Every id passes through :func:`autocity_gis._text.for_terminal`.
    """
    t = for_terminal
    lines = []
    for z in report.subtracted:
        lines.append(
            f"  subtracted {t(z.id)}: {z.removed_km2:.3f} km² removed ({z.inside_pct:.0f} % of "
            f"its {z.area_km2:.3f} km² lay inside the parts)"
        )
    if report.overlaps:
        pairs = [f"{t(o.a)} / {t(o.b)} {o.area_km2:.3f} km²" for o in report.overlaps]
        total = sum(o.area_km2 for o in report.overlaps)
        lines.append(
            f"  overlaps: {len(report.overlaps)} pair(s), {total:.3f} km²: {_listed(pairs)}"
        )
    if report.gap_count:
        described = [
            f"{' / '.join(map(t, g.between)) or t(g.id)} {g.area_km2:.3f} km² "
            f"({g.width_m:.0f} m wide, {'enclosed' if g.enclosed else 'open to the edge'})"
            for g in report.gaps
        ]
        head = f"  gaps: {report.gap_count}, {report.gaps_km2:.3f} km²"
        lines.append(f"{head}: {_listed(described)}" if described else head)
    if report.holes:
        total = sum(h.area_km2 for h in report.holes)
        lines.append(f"  holes: {len(report.holes)}, {total:.3f} km² (enclaves, not errors)")
    return lines


def summary_lines(report: ValidationReport, lang: str = "en") -> list[str]:
    """Return a few lines for the terminal: verdict, areas, component checks, missing parts.

    ``lang="zh"`` gives them in Chinese (:func:`autocity_gis.report_zh.summary_lines_zh`).

    Warnings are not among them: :func:`warning_lines` gives those, printed after.

    Every line is one line of literal text: ids and reasons pass through
    :func:`autocity_gis._text.for_terminal`, so a name cannot move the cursor, clear the screen,
    reorder the line or start a new one.
    """
    if lang == "zh":
        from .report_zh import summary_lines_zh

        return summary_lines_zh(report)
    verdict = "PASS" if report.passed else "FAIL"
    lines = [
        f"{verdict}: composed {report.composed_km2:.2f} km² vs stated {report.target_km2:g} km² "
        f"({report.delta_pct:+.2f} %, tolerance ±{report.tolerance_pct:g} %)"
    ]
    shown, left_out = terminal_components(report)
    for c in shown:
        stated_text = f"{c.stated_km2:g}" if c.stated_km2 is not None else "—"
        check = ""
        if c.passed is not None and c.delta_pct is not None and c.tolerance_pct is not None:
            check = (
                f"  {'ok' if c.passed else 'FAIL'} {round(c.delta_pct, 1) + 0.0:+.1f} % "
                f"(±{c.tolerance_pct:g} %)"
            )
        lines.append(
            f"  {for_terminal(c.id):<16} {c.measured_km2:9.2f} km²  stated {stated_text:>7}  "
            f"{for_terminal(c.accuracy)}{check}"
        )
    if left_out:
        lines.append(f"  … and {left_out} more components (report.md lists every one)")
    for m in report.missing:
        lines.append(f"  {for_terminal(m.id):<16} {'missing':>13}  {for_terminal(m.reason)}")
    lines += diagnostic_summary_lines(report)
    lines += [f"  {for_terminal(line)}" for line in _component_verdict(report, limit=10)]
    extra = [u for u in report.units if u != "km2"]
    if extra:
        lines.append(
            "  composed "
            + ", ".join(
                f"{report.composed_km2 * UNIT_FACTORS[u]:,.1f} {UNIT_LABELS[u]}" for u in extra
            )
        )
    if report.stated_overlaps and report.stated_sum_min_km2 is not None:
        lines.append(
            f"  published parts cover {report.stated_sum_min_km2:.2f} to "
            f"{report.stated_sum_km2:.2f} km² (some figures may overlap; see report.md)"
        )
    if report.composed_gk_km2 is not None:
        lines.append(
            f"  plane area in {report.gk_crs} (Gauss–Krüger): {report.composed_gk_km2:.2f} km²"
        )
    return lines


class Warned(Protocol):
    """Anything with warnings: a :class:`ValidationReport` or a build's result."""

    @property
    def warnings(self) -> tuple[str, ...]:
        """One sentence per warning."""


def warning_lines(source: Warned) -> list[str]:
    """Return each warning as one terminal line (``warning: …``), control characters shown.

    ``source`` is a check, or a :class:`~autocity_gis.api.BuildResult` whose warnings add what
    the hand-off files had to shorten. The CLI prints them after the verdict; ``-q`` hides them.
    """
    return [f"warning: {for_terminal(w)}" for w in source.warnings]


def write_reports(
    report: ValidationReport,
    out_dir: str | Path,
    map_facts: MapFacts | None = None,
    hand_off: HandOffNotes | None = None,
    lang: str = "en",
) -> list[Path]:
    """Write ``report.json`` and ``report.md`` into ``out_dir`` atomically (both or neither)."""
    out = Path(out_dir)
    with staged_outputs(out) as staging:
        write_text(staging / "report.json", to_json(report, map_facts, hand_off))
        write_text(staging / "report.md", to_markdown(report, lang, map_facts, hand_off))
    return [out / "report.json", out / "report.md"]
