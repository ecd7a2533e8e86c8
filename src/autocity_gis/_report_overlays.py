"""The overlays' sections of report.md and their terminal lines, in either language.

The land-use balance table (用地平衡表) is laid out as planners expect it: code, name, 公顷, km²
and share, each first-level class as a subtotal row followed by its second-level classes (one
with third-level classes found as a subtotal row followed by them), then the codes not in the
table, the unclassified remainder and the total, so that the rows add up to the scope's area.
A control line gets its verdict and the conflict of each component. Ids, codes and names come
from recipes and layers: they only ever fill escaped fields
(:class:`autocity_gis._report_text.Lang`), never the template text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._report_text import Lang, Raw, some_ids

if TYPE_CHECKING:
    from ._overlay_run import OverlayResults
    from .overlays import ClassArea, Classification, ControlResult, LanduseBalance, LanduseTable

__all__ = ["control_verdict", "overlay_markdown_lines", "overlay_terminal_lines", "with_overlays"]


def with_overlays(lines: list[str], overlays: OverlayResults, tx: Lang) -> list[str]:
    """Return report.md's lines with the overlays put in.

    The failed controls join the verdict (after the verdict line, the third); the sections go
    after the check's own and before the sections on the outputs (web map, files' CRS).
    """
    md = tx.texts["md"]
    later = {md["simplification"], md["crs"]}
    at = next((i for i, line in enumerate(lines) if line in later), len(lines))
    while at > 0 and lines[at - 1] == "":
        at -= 1
    verdict = [line for text in control_verdict(overlays, tx) for line in ("", text)]
    body = overlay_markdown_lines(overlays, tx)
    return [*lines[:3], *verdict, *lines[3:at], *body, *lines[at:]]


def control_verdict(overlays: OverlayResults | None, tx: Lang) -> list[Raw]:
    """Return a sentence naming the failed control lines, which fail the check (or none)."""
    if overlays is None or overlays.passed:
        return []
    failed: list[str] = [tx.escape(i) for i in overlays.failed]
    ids = some_ids(failed, tx.word("ids_sep"), 10)
    return [Raw(tx.section("overlays")("verdict_controls", ids=Raw(ids)))]


def overlay_markdown_lines(overlays: OverlayResults | None, tx: Lang) -> list[str]:
    """Return the report.md sections of every overlay (none without overlays)."""
    if overlays is None or not overlays.results:
        return []
    from .overlays import LanduseBalance

    lines: list[str] = []
    for result in overlays.results:
        if isinstance(result, LanduseBalance):
            lines += _landuse(result, tx)
        else:
            lines += _control(result, tx)
    return lines


def _landuse(result: LanduseBalance, tx: Lang) -> list[str]:
    t = tx.section("overlays")
    lines = [
        "",
        t("landuse_title", id=result.id),
        "",
        t(
            "landuse_intro",
            classification=tx.word(f"classification_{result.classification}"),
            engine=result.engine,
            parcels=result.parcels_read,
        ),
    ]
    from .overlays import load_classification

    classes = load_classification(result.classification)
    lines += _table(result.boundary, classes, tx, t("scope_boundary"))
    for table in result.per_component:
        lines += _table(table, classes, tx, t("scope_component", id=table.id))
    return lines


def _table(table: LanduseTable, classes: Classification, tx: Lang, heading: str) -> list[str]:
    t = tx.section("overlays")
    lines = ["", heading, "", t("table_head"), "|---|---|---:|---:|---:|"]
    for first in table.level1:
        lines.append(_row(first, tx, "table_level1"))
        lines += _second_level_rows(table, classes, first.code, tx)
    for row in table.unknown_codes:
        lines.append(
            t("table_unknown", code=row.code, ha=row.area_ha, km2=row.area_km2, pct=row.share_pct)
        )
    share = 100.0 * table.unclassified_km2 / table.area_km2 if table.area_km2 > 0 else 0.0
    lines.append(
        t(
            "table_unclassified",
            ha=table.unclassified_km2 * 100.0,
            km2=table.unclassified_km2,
            pct=share,
        )
    )
    lines.append(t("table_total", ha=table.area_km2 * 100.0, km2=table.area_km2))
    notes = []
    if table.unknown_codes:
        notes.append(t("note_unknown", n=len(table.unknown_codes)))
    if table.no_code_km2 > 0:
        notes.append(t("note_no_code", km2=table.no_code_km2))
    return lines + [line for note in notes for line in ("", note)]


def _second_level_rows(
    table: LanduseTable, classes: Classification, first: str, tx: Lang
) -> list[str]:
    """Rows of the second-level classes under ``first``, each with its third-level classes.

    A second-level class with third-level classes found is a subtotal row followed by them
    (and by the area coded at the second level itself, if any); otherwise a plain row. The
    hierarchy is the table's, not the codes' digits (the 三调 puts 0303 under 00 湿地).
    """
    own = {r.code: r for r in table.classes}
    lines = []
    for second in (r for r in table.level2 if classes.first_level(r.code) == first):
        third = [
            r for r in table.classes if r.level == 3 and classes.second_level(r.code) == second.code
        ]
        if not third:
            lines.append(_row(second, tx, "table_row"))
            continue
        lines.append(_row(second, tx, "table_level2"))
        if second.code in own:
            lines.append(_row(own[second.code], tx, "table_row_own"))
        lines += [_row(r, tx, "table_row3") for r in third]
    return lines


def _row(row: ClassArea, tx: Lang, key: str) -> str:
    name = row.name_zh if tx.lang == "zh" else row.name_en
    fill = tx.section("overlays")
    return fill(key, code=row.code, name=name, ha=row.area_ha, km2=row.area_km2, pct=row.share_pct)


def _control(result: ControlResult, tx: Lang) -> list[str]:
    t = tx.section("overlays")
    word = tx.word("pass" if result.passed else "fail")
    lines = [
        "",
        t("control_title", id=result.id),
        "",
        t(
            f"control_{result.rule}",
            verdict=word,
            ha=result.conflict_km2 * 100.0,
            km2=result.conflict_km2,
        ),
        "",
        t("control_head"),
        "|---|---:|---:|---|",
    ]
    for c in result.per_component:
        check = tx.word("check_pass" if c.passed else "check_fail")
        lines.append(
            t("control_row", id=c.id, ha=c.conflict_km2 * 100.0, km2=c.conflict_km2, check=check)
        )
    return lines


def overlay_terminal_lines(overlays: OverlayResults | None, tx: Lang) -> list[str]:
    """Return one terminal line per overlay (none without overlays)."""
    if overlays is None or not overlays.results:
        return []
    from .overlays import LanduseBalance

    t = tx.section("overlays")
    lines = []
    for r in overlays.results:
        if isinstance(r, LanduseBalance):
            b = r.boundary
            lines.append(
                t(
                    "terminal_landuse",
                    id=r.id,
                    n=len(b.classes),
                    classified=b.area_km2 - b.unclassified_km2,
                    area=b.area_km2,
                    unclassified=b.unclassified_km2,
                )
            )
            continue
        failing: list[str] = [tx.escape(c.id) for c in r.per_component if not c.passed]
        listed = some_ids(failing, tx.word("ids_sep"), 5)
        lines.append(
            t(
                "terminal_control",
                id=r.id,
                rule=r.rule,
                verdict=tx.word("terminal_ok" if r.passed else "terminal_fail"),
                km2=r.conflict_km2,
                failing=Raw(t("terminal_failing", ids=Raw(listed)) if failing else ""),
            )
        )
    return lines
