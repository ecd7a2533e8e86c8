"""Renderings of a :class:`~autocity_gis.validation.ValidationReport`: JSON, Markdown, terminal.

This is the one place where a report becomes text. The JSON keeps full precision (it is what
tools and tests read) and has no language; Markdown and the terminal summary round for people,
always say which components are estimates, and are written from one renderer in either
language: the sentences, table heads and words live in one data file per language
(``_texts/report_en.toml``, ``_texts/report_zh.toml``), the renderer only decides what is said.

Names, sources and reasons come from other people's recipes and layers. They only ever fill a
field of a text, and the renderer escapes every string field for its medium: the Markdown so no
link, image or HTML can form (:func:`autocity_gis._text.for_markdown`), the terminal lines so
control and escape characters show visibly (:func:`autocity_gis._text.for_terminal`). The JSON
is strict and round-trips every string exactly.

A build's web map and hand-off files are described beside the check, not in it
(:mod:`autocity_gis._facts`): pass them as ``map_facts`` and ``hand_off``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ._io import staged_outputs, write_text
from ._report_md import component_verdict, markdown_lines
from ._report_overlays import control_verdict, overlay_terminal_lines, with_overlays
from ._report_text import Lang, Raw, some_ids
from ._text import finite_json, for_json, for_markdown, for_terminal
from .recipe import UNITS as UNIT_FACTORS
from .validation import ComponentArea, ValidationReport, in_units

if TYPE_CHECKING:
    from ._facts import HandOffNotes, MapFacts
    from ._overlay_run import OverlayResults

__all__ = [
    "SCHEMA_VERSION",
    "SUMMARY_ITEMS",
    "TERMINAL_COMPONENTS",
    "UNIT_LABELS",
    "some_ids",
    "summary_lines",
    "terminal_components",
    "to_dict",
    "to_json",
    "to_markdown",
    "warning_lines",
    "write_reports",
]

#: How each unit is written for people in English (km² stays the reference).
UNIT_LABELS = {"km2": "km²", "ha": "ha (公顷)", "mu": "mu (亩)"}

SCHEMA_VERSION = 1
#: Components the terminal lists one by one (failing ones first); report.md lists every one.
TERMINAL_COMPONENTS = 40
#: Pairs, gaps and zones named on the terminal before "and N more".
SUMMARY_ITEMS = 3


def to_dict(
    report: ValidationReport,
    map_facts: MapFacts | None = None,
    hand_off: HandOffNotes | None = None,
    overlays: OverlayResults | None = None,
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
    overlays : OverlayResults, optional
        The recipe's overlays (``overlays``: land-use balance tables, control-line verdicts).

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
    data["overlays"] = overlays.to_list() if overlays is not None else []
    data["composed_in_units"] = in_units(report.composed_km2, report.units)
    for comp, area in zip(data["components"], report.components, strict=True):
        comp["measured_in_units"] = in_units(area.measured_km2, report.units)
    result: dict[str, Any] = finite_json(data)
    return result


def to_json(
    report: ValidationReport,
    map_facts: MapFacts | None = None,
    hand_off: HandOffNotes | None = None,
    overlays: OverlayResults | None = None,
) -> str:
    """Return the report as indented strict JSON (UTF-8 text, Chinese kept readable).

    Never ``NaN`` or ``Infinity`` (those figures are ``null``); every string, control and
    surrogate characters included, reads back unchanged with any JSON parser. ``map_facts``
    and ``hand_off`` as in :func:`to_dict`.
    """
    return for_json(to_dict(report, map_facts, hand_off, overlays), indent=2) + "\n"


def to_markdown(
    report: ValidationReport,
    lang: str = "en",
    map_facts: MapFacts | None = None,
    hand_off: HandOffNotes | None = None,
    overlays: OverlayResults | None = None,
) -> str:
    """Return the report as a Markdown document for people.

    Parameters
    ----------
    report : ValidationReport
        The check's result.
    lang : str
        ``en`` or ``zh`` (areas in 平方公里 with 公顷, as Chinese planning documents give them).
    map_facts : MapFacts, optional
        The web map of a build: its simplification, in a section of its own.
    hand_off : HandOffNotes, optional
        The hand-off files of a build: what they shortened among the warnings, and the CRS of
        each file in a last section.
    overlays : OverlayResults, optional
        The recipe's overlays: a balance table per land-use layer, a verdict per control.

    Returns
    -------
    str
        Verdict (with the components' own checks), warnings first, area table, components
        with their tolerance and check, plane areas, every published figure, reconciliations
        (stated and measured), subtracted zones, overlaps, gaps and holes, missing parts. Every
        value from the inputs is escaped, so user text cannot break the layout.
    """
    tx = Lang(lang, for_markdown, report.units)
    lines = markdown_lines(report, tx, map_facts, hand_off)
    if overlays is not None and overlays.results:
        lines = with_overlays(lines, overlays, tx)
    return "\n".join(lines) + "\n"


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


def summary_lines(
    report: ValidationReport, lang: str = "en", overlays: OverlayResults | None = None
) -> list[str]:
    """Return a few lines for the terminal: verdict, areas, component checks, missing parts.

    ``lang="zh"`` gives them in Chinese. Warnings are not among them: :func:`warning_lines`
    gives those, printed after.

    Every line is one line of literal text: ids and reasons pass through
    :func:`autocity_gis._text.for_terminal`, so a name cannot move the cursor, clear the screen,
    reorder the line or start a new one.
    """
    tx = Lang(lang, for_terminal, report.units)
    t = tx.section("terminal")
    lines = [
        t(
            "verdict",
            verdict=tx.word("pass" if report.passed else "fail"),
            composed=report.composed_km2,
            target=report.target_km2,
            delta_pct=report.delta_pct,
            tolerance=report.tolerance_pct,
        )
        # A failed check whose total is within its tolerance must not read as a failed total.
        + (t("verdict_total_within") if not report.passed and report.area_passed else "")
    ]
    shown, left_out = terminal_components(report)
    lines += [_component_line(c, tx) for c in shown]
    if left_out:
        lines.append(t("left_out", n=left_out))
    lines += [t("missing", id=m.id, reason=m.reason) for m in report.missing]
    lines += _diagnostic_lines(report, tx)
    lines += overlay_terminal_lines(overlays, tx)
    lines += [t("verdict_line", line=line) for line in component_verdict(report, tx, limit=10)]
    lines += [t("verdict_line", line=line) for line in control_verdict(overlays, tx)]
    lines += _closing_lines(report, tx)
    return lines


def _component_line(c: ComponentArea, tx: Lang) -> str:
    t = tx.section("terminal")
    check = ""
    if c.passed is not None and c.delta_pct is not None and c.tolerance_pct is not None:
        word = tx.word("terminal_ok" if c.passed else "terminal_fail")
        delta = round(c.delta_pct, 1) + 0.0
        check = t("component_check", word=word, delta=delta, tolerance=c.tolerance_pct)
    stated = (
        t("component_stated", stated=c.stated_km2)
        if c.stated_km2 is not None
        else t("component_unstated")
    )
    return t(
        "component",
        id=c.id,
        measured=c.measured_km2,
        stated=Raw(stated),
        accuracy=tx.name("accuracy", c.accuracy),
        check=Raw(check),
    )


def _listed(items: list[str], tx: Lang) -> Raw:
    shown = items[:SUMMARY_ITEMS]
    more = len(items) - len(shown)
    tail = tx.section("terminal")("more", n=more) if more else ""
    return Raw(tx.word("list_sep").join(shown) + tail)


def _diagnostic_lines(report: ValidationReport, tx: Lang) -> list[str]:
    """Return the lines for subtracted zones, overlaps, gaps and holes (names escaped)."""
    t = tx.section("terminal")
    lines = [
        t("subtracted", id=z.id, removed=z.removed_km2, inside=z.inside_pct, area=z.area_km2)
        for z in report.subtracted
    ]
    if report.overlaps:
        pairs = [t("overlap", a=o.a, b=o.b, area=o.area_km2) for o in report.overlaps]
        total = sum(o.area_km2 for o in report.overlaps)
        lines.append(
            t("overlaps", n=len(report.overlaps), total=total, listed=_listed(pairs, tx))
        )
    if report.gap_count:
        described = [
            t(
                "gap",
                between=tx.joined(g.between, " / ") or tx.escape(g.id),
                area=g.area_km2,
                width=g.width_m,
                kind=tx.word("enclosed" if g.enclosed else "open"),
            )
            for g in report.gaps
        ]
        head = t("gaps", n=report.gap_count, total=report.gaps_km2)
        lines.append(
            t("gaps_listed", head=Raw(head), listed=_listed(described, tx)) if described else head
        )
    if report.holes:
        total = sum(h.area_km2 for h in report.holes)
        lines.append(t("holes", n=len(report.holes), total=total))
    return lines


def _closing_lines(report: ValidationReport, tx: Lang) -> list[str]:
    """Composed area in the recipe's other units, the published range, the plane area."""
    t = tx.section("terminal")
    lines = []
    extra = [u for u in report.units if u != "km2"]
    if extra and tx.texts["terminal"]["composed_units"]:  # Chinese: on the first line
        areas = ", ".join(
            t("composed_unit", value=report.composed_km2 * UNIT_FACTORS[u], label=tx.unit(u))
            for u in extra
        )
        lines.append(t("composed_units", areas=Raw(areas)))
    if report.stated_overlaps and report.stated_sum_min_km2 is not None:
        lines.append(
            t("stated_overlaps", low=report.stated_sum_min_km2, high=report.stated_sum_km2)
        )
    if report.composed_gk_km2 is not None:
        lines.append(t("plane", crs=Raw(report.gk_crs or ""), area=report.composed_gk_km2))
    return lines


class Warned(Protocol):
    """Anything with warnings: a :class:`ValidationReport` or a build's result."""

    @property
    def warnings(self) -> tuple[str, ...]:
        """One sentence per warning."""


def warning_lines(source: Warned, lang: str = "en") -> list[str]:
    """Return each warning as one terminal line (``warning: …``), control characters shown.

    ``source`` is a check, or a :class:`~autocity_gis.api.BuildResult` whose warnings add what
    the hand-off files had to shorten; ``lang="zh"`` starts each line ``警告：``. The CLI
    prints them after the verdict; ``-q`` hides them.
    """
    t = Lang(lang, for_terminal, ()).section("terminal")
    return [t("warning", warning=w) for w in source.warnings]


def write_reports(
    report: ValidationReport,
    out_dir: str | Path,
    map_facts: MapFacts | None = None,
    hand_off: HandOffNotes | None = None,
    lang: str = "en",
    overlays: OverlayResults | None = None,
) -> list[Path]:
    """Write ``report.json`` and ``report.md`` into ``out_dir`` atomically (both or neither)."""
    out = Path(out_dir)
    with staged_outputs(out) as staging:
        write_text(staging / "report.json", to_json(report, map_facts, hand_off, overlays))
        md = to_markdown(report, lang, map_facts, hand_off, overlays)
        write_text(staging / "report.md", md)
    return [out / "report.json", out / "report.md"]
