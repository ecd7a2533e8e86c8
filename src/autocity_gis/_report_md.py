"""The sections of report.md, in either language (:func:`autocity_gis.report.to_markdown`).

Each function returns the lines of one section; what they say comes from the language's text
file (:mod:`autocity_gis._report_text`), every value from the inputs as an escaped field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._report_text import Lang, Raw, some_ids
from ._zh import UNIT_DECIMALS
from .recipe import UNITS as UNIT_FACTORS
from .validation import ComponentArea, ValidationReport

if TYPE_CHECKING:
    from ._facts import HandOffNotes, MapFacts


def markdown_lines(
    report: ValidationReport,
    tx: Lang,
    map_facts: MapFacts | None = None,
    hand_off: HandOffNotes | None = None,
) -> list[str]:
    """Return every line of report.md (see :func:`autocity_gis.report.to_markdown`)."""
    t = tx.section("md")
    names = " ".join(tx.escape(n) for n in (report.name_zh, report.name_en) if n)
    verdict = tx.word("pass" if report.passed else "fail")
    lines = [
        t("title", name_en=report.name_en, name_zh=report.name_zh, names=Raw(names)),
        "",
        t(
            "verdict",
            verdict=verdict,
            composed=report.composed_km2,
            target=report.target_km2,
            delta_km2=report.delta_km2,
            delta_pct=report.delta_pct,
            tolerance=report.tolerance_pct,
        ),
    ]
    lines += [line for text in component_verdict(report, tx) for line in ("", text)]
    warnings = [*report.warnings, *(hand_off.warnings if hand_off else ())]
    if warnings:  # first, not last: they may change what the verdict means
        lines += ["", t("warnings"), "", *(t("warning", warning=w) for w in warnings)]
    lines += _figures(report, tx)
    lines += _components(report, tx)
    lines += _plane(report, tx)
    lines += _published(report, tx)
    if report.estimated:
        lines += ["", t("estimated", ids=tx.joined(report.estimated, tx.word("ids_sep")))]
    lines += _stated(report, tx)
    lines += _balance(report, tx)
    lines += _subtracted(report, tx)
    lines += _overlaps(report, tx)
    lines += _gaps(report, tx)
    lines += _missing(report, tx)
    lines += _simplification(map_facts, tx)
    lines += _crs(hand_off, tx)
    return lines


def extra_units(report: ValidationReport, tx: Lang) -> list[str]:
    """Units shown beside km²: the language's own (公顷 in Chinese), then the recipe's."""
    always = list(tx.texts["md"]["always_units"])
    return always + [u for u in report.units if u != "km2" and u not in always]


def _where(lon: float | None, lat: float | None) -> Raw:
    return Raw("—" if lon is None or lat is None else f"{lon:.5f}, {lat:.5f}")


def component_verdict(report: ValidationReport, tx: Lang, limit: int | None = None) -> list[Raw]:
    """Return sentences saying how the components' own checks entered the verdict.

    For report.md and the terminal alike; at most ``limit`` failing ids are named.
    """
    judged = [c for c in report.components if c.passed is not None]
    if not judged:
        return []
    t = tx.section("verdict")
    failed = report.failed_components
    if not failed:
        return [Raw(t("all_within", n=len(judged)))]
    rule = t("rule_fails" if report.components_must_pass else "rule_reported")
    ids = some_ids([tx.escape(i) for i in failed], tx.word("ids_sep"), limit)
    return [Raw(t("outside", ids=Raw(ids), rule=Raw(rule)))]


def _figures(report: ValidationReport, tx: Lang) -> list[str]:
    t = tx.section("md")
    values = {
        "target": report.target_km2,
        "target_source": report.target_source,
        "composed": report.composed_km2,
        "cross_check": report.composed_equal_area_km2,
        "delta_km2": report.delta_km2,
        "delta_pct": report.delta_pct,
        "sum_of_parts": report.sum_of_parts_km2,
        "overlaps": sum(o.area_km2 for o in report.overlaps),
        "gap_width": report.gap_width_m,
        "gaps": report.gaps_km2,
        "gap_count": report.gap_count,
        "boundary_parts": report.boundary_parts,
        "method": report.compose_method,
        "snap": report.snap_tolerance_m,
    }
    units = [
        t(
            "figure_unit",
            label=tx.unit(u),
            value=report.composed_km2 * UNIT_FACTORS[u],
            decimals=UNIT_DECIMALS[u],
        )
        for u in extra_units(report, tx)
    ]
    lines = [""]
    for row in tx.texts["md"]["figures"]:
        lines += units if row == "@units" else [tx.fill(row, **values)]
    return lines


def _components(report: ValidationReport, tx: Lang) -> list[str]:
    t = tx.section("md")
    extra = extra_units(report, tx)
    head = t("components_head") + "".join(
        t("components_unit_head", label=tx.unit(u)) for u in extra
    )
    lines = ["", t("components"), "", head]
    lines.append("|---|---|---|---:|---:|---:|---:|---|" + "---:|" * len(extra))
    lines += [_component_row(c, tx, extra) for c in report.components]
    lines += [
        t("missing_row", id=m.id, name_en=m.name_en, name_zh=m.name_zh, stated=m.stated_km2)
        + " — |" * len(extra)
        for m in report.missing
    ]
    return lines


def _component_row(c: ComponentArea, tx: Lang, extra: list[str]) -> str:
    t = tx.section("md")
    accuracy = tx.escape(tx.name("accuracy", c.accuracy))
    check = {True: "check_pass", False: "check_fail", None: "check_none"}[c.passed]
    role = "" if c.role == "part" else t("component_role", role=tx.name("roles", c.role))
    cells = "".join(
        t("component_unit", value=c.measured_km2 * UNIT_FACTORS[u], decimals=UNIT_DECIMALS[u])
        for u in extra
    )
    return (
        t(
            "component",
            id=c.id,
            role=Raw(role),
            name_en=c.name_en,
            name_zh=c.name_zh,
            accuracy=Raw(f"**{accuracy}**" if c.accuracy == "estimated" else accuracy),
            measured=c.measured_km2,
            stated=c.stated_km2,
            delta=None if c.delta_pct is None else round(c.delta_pct, 3) + 0.0,
            tolerance=Raw("—" if c.tolerance_pct is None else f"±{c.tolerance_pct:g}"),
            check=tx.word(check),
        )
        + cells
    )


def _plane(report: ValidationReport, tx: Lang) -> list[str]:
    """Return the plane areas planners compare with, beside the geodesic reference."""
    if report.gk_crs is None:
        return []
    t = tx.section("md")
    lines = ["", t("plane"), "", t("plane_intro"), "", t("plane_head", gk_crs=Raw(report.gk_crs))]
    lines.append("|---|---:|---:|---:|")
    for c in report.components:
        own = (
            t("plane_own", area=c.plane_source_km2, crs=c.source_crs or "")
            if c.plane_source_km2 is not None
            else t("plane_own_geographic", crs=c.source_crs)
            if c.source_crs
            else "—"
        )
        lines.append(t("plane_row", id=c.id, measured=c.measured_km2, gk=c.gk_km2, own=Raw(own)))
    if report.composed_gk_km2 is not None:
        lines.append(t("plane_composed", composed=report.composed_km2, gk=report.composed_gk_km2))
    if report.plane_note:
        lines += ["", tx.escape(report.plane_note)]
    return lines


def _published(report: ValidationReport, tx: Lang) -> list[str]:
    """Every published figure of each component, the judged one marked."""
    if not any(len(c.stated_figures) > 1 for c in report.components):
        return []
    t = tx.section("md")
    lines = ["", t("published"), "", t("published_head"), "|---|---:|---:|---|---|"]
    lines += [
        t(
            "published_row",
            id=c.id,
            area=f.area_km2,
            year=f.year,
            source=f.source,
            judged=tx.word("judged") if f.judged else Raw(""),
        )
        for c in report.components
        for f in c.stated_figures
    ]
    return lines


def _stated(report: ValidationReport, tx: Lang) -> list[str]:
    """Reconcile the published figures: parts, what may overlap, subtracted zones."""
    t = tx.section("md")
    # Only parts add up to the stated total; subtracted zones are named on their own line.
    parts = [c for c in report.components if c.stated_km2 is not None and c.role == "part"]
    terms = Raw(" + ".join(f"{c.stated_km2:g}" for c in parts) or "0")
    ids = tx.joined(report.stated_missing, tx.word("ids_sep"))
    rest = t("stated_rest", ids=ids) if report.stated_missing else t("stated_rest_none")
    line = t(
        "stated_line",
        terms=terms,
        sum=report.stated_sum_km2,
        unaccounted=report.stated_unaccounted_km2,
        target=report.target_km2,
        rest=Raw(rest),
    )
    lines = ["", t("stated"), "", line]
    if report.stated_overlaps and report.stated_sum_min_km2 is not None:
        pairs = tx.word("list_sep").join(
            t("stated_pair", a=o.a, b=o.b, max=o.max_km2) for o in report.stated_overlaps
        )
        low, high = report.stated_sum_min_km2, report.stated_sum_km2
        rest_low, rest_high = report.target_km2 - high, report.target_km2 - low
        lines += ["", t("stated_overlaps", pairs=Raw(pairs), low=low, high=high,
                        rest_low=rest_low, rest_high=rest_high)]  # fmt: skip
    cut = [c for c in report.components if c.stated_km2 is not None and c.role == "subtract"]
    if cut:
        terms = Raw(t("cut_sep").join(t("cut_term", id=c.id, stated=c.stated_km2) for c in cut))
        left = report.stated_sum_km2 - sum(c.stated_km2 or 0.0 for c in cut)
        lines += ["", t("cut_line", terms=terms, parts=left)]
    return lines


def _balance(report: ValidationReport, tx: Lang) -> list[str]:
    b = report.area_balance
    if b is None:
        return []
    t = tx.section("md")
    union = t(
        "balance_union",
        parts=b.sum_of_parts_km2,
        overlaps=b.overlaps_km2,
        difference=b.sum_of_parts_km2 - b.overlaps_km2,
        union=b.parts_union_km2,
        residual=b.union_residual_km2,
    )
    composed = t(
        "balance_composed",
        union=b.parts_union_km2,
        subtracted=b.subtracted_km2,
        difference=b.parts_union_km2 - b.subtracted_km2,
        composed=b.composed_km2,
        residual=b.residual_km2,
    )
    return ["", t("balance"), "", union, "", composed]


def _subtracted(report: ValidationReport, tx: Lang) -> list[str]:
    if not report.subtracted:
        return []
    t = tx.section("md")
    lines = ["", t("subtracted"), "", t("subtracted_intro"), "", t("subtracted_head")]
    lines.append("|---|---|---:|---:|---:|---|")
    lines += [
        t(
            "subtracted_row",
            id=z.id,
            name_en=z.name_en,
            name_zh=z.name_zh,
            area=z.area_km2,
            removed=z.removed_km2,
            inside=z.inside_pct,
            where=_where(z.lon, z.lat),
        )
        for z in report.subtracted
    ]
    return lines


def _overlaps(report: ValidationReport, tx: Lang) -> list[str]:
    t = tx.section("md")
    if not report.overlaps:
        return ["", t("overlaps"), "", t("overlaps_none")]
    rows = [
        t("overlap_row", a=o.a, b=o.b, area=o.area_km2, width=o.width_m, where=_where(o.lon, o.lat))
        for o in report.overlaps
    ]
    return ["", t("overlaps"), "", t("overlaps_head"), "|---|---|---:|---:|---|", *rows]


def _gaps(report: ValidationReport, tx: Lang) -> list[str]:
    t = tx.section("md")
    lines = ["", t("gaps"), ""]
    if report.gaps:
        lines += [t("gaps_intro", width=report.gap_width_m), "", t("gaps_head")]
        lines.append("|---|---|---:|---:|---|---|")
        lines += [
            t(
                "gap_row",
                id=g.id,
                between=tx.joined(g.between, " / ") or Raw("—"),
                area=g.area_km2,
                width=g.width_m,
                kind=tx.word("enclosed" if g.enclosed else "open"),
                where=_where(g.lon, g.lat),
            )
            for g in report.gaps
        ]
    else:
        lines.append(t("gaps_none", width=report.gap_width_m))
    if report.holes:
        lines += ["", t("holes_intro"), "", t("holes_head"), "|---|---|---:|---:|---|"]
        lines += [
            t(
                "hole_row",
                id=h.id,
                within=tx.joined(h.within, " / ") or Raw("—"),
                area=h.area_km2,
                width=h.width_m,
                where=_where(h.lon, h.lat),
            )
            for h in report.holes
        ]
    return lines


def _missing(report: ValidationReport, tx: Lang) -> list[str]:
    t = tx.section("md")
    items = [
        t("missing_item", id=m.id, name_en=m.name_en, name_zh=m.name_zh, reason=m.reason)
        for m in report.missing
    ]
    return ["", t("missing"), "", *(items or [t("missing_none")])]


def _simplification(map_facts: MapFacts | None, tx: Lang) -> list[str]:
    if map_facts is None or not map_facts.simplification:
        return []
    t = tx.section("md")
    lines = ["", t("simplification"), "", t("simplification_intro"), ""]
    lines += [t("simplification_head"), "|---|---:|---:|---:|"]
    lines += [
        t(
            "simplification_row",
            layer=s.layer,
            tolerance=s.tolerance_m,
            change=s.max_area_change_pct,
            before=s.vertices_before,
            after=s.vertices_after,
        )
        for s in map_facts.simplification
    ]
    return lines


def _crs(hand_off: HandOffNotes | None, tx: Lang) -> list[str]:
    if hand_off is None or hand_off.crs is None:
        return []
    t = tx.section("md")
    lines = ["", t("crs"), "", t("crs_intro"), "", t("crs_head"), "|---|---|---|"]
    lines += [
        t("crs_row", format=Raw(tx.name("formats", f)), code=Raw(code), name=name)
        for f, code, name in hand_off.crs.files
    ]
    return lines
