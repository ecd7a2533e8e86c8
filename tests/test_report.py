"""report.json, report.md and the terminal summary built from a recipe whose every text is hostile.

Truth: ``json.loads`` refusing non-standard constants, markdown-it-py's CommonMark tokens, the
recipe's own payload strings (``payloads.py``) and Unicode's character categories.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from common import FORBIDDEN, terminal_safe
from common import row_widths as _row_widths
from common import visible as _visible
from markdown_it import MarkdownIt
from payloads import shown, text, write_payload_recipe

from autocity_gis import api
from autocity_gis.report import summary_lines, to_json, to_markdown, write_reports
from autocity_gis.validate import ValidationReport


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[ValidationReport, Path]:
    folder = tmp_path_factory.mktemp("hostile_report")
    _, _, report = api.check(write_payload_recipe(folder))
    write_reports(report, folder / "out")
    return report, folder / "out"


def _strict(text: str) -> Any:
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_report_json_round_trips_every_payload(
    hostile_report: tuple[ValidationReport, Path],
) -> None:
    _, out = hostile_report
    data = _strict((out / "report.json").read_text(encoding="utf-8"))
    assert data["name_en"] == text("city name_en")
    assert data["name_zh"] == text("city name_zh")
    assert data["target_source"] == text("target_source")
    parts = {c["id"]: c for c in data["components"]}
    for cid in ("w", "e"):
        assert parts[cid]["name_en"] == text(f"name_en {cid}")
        assert parts[cid]["name_zh"] == text(f"name_zh {cid}")
        assert parts[cid]["stated_source"] == text(f"stated_area_source {cid}")
        assert parts[cid]["method"] == text("method")
    (missing,) = data["missing"]
    assert missing["reason"] == text("missing_reason")
    assert missing["name_en"] == text("name_en m")


def test_report_json_has_no_nan_or_infinity(hostile_report: tuple[ValidationReport, Path]) -> None:
    report, _ = hostile_report
    broken = dataclasses.replace(
        report, delta_pct=float("nan"), target_km2=float("inf"), composed_km2=-float("inf")
    )
    data = _strict(to_json(broken))
    assert data["delta_pct"] is None and data["target_km2"] is None
    assert data["composed_km2"] is None
    assert data["name_en"] == text("city name_en")


def test_report_markdown_renders_no_injected_markup(
    hostile_report: tuple[ValidationReport, Path],
) -> None:
    report, out = hostile_report
    source = (out / "report.md").read_text(encoding="utf-8")
    assert source == to_markdown(report)
    tokens = MarkdownIt("commonmark").enable("table").parse(source)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    assert not kinds & FORBIDDEN
    inlines = [_visible(t) for t in tokens if t.type == "inline"]
    # the title shows both city names literally, control characters as visible escapes
    assert inlines[0] == (
        f"Area check: {shown(text('city name_en'))} ({shown(text('city name_zh'))})"
    )
    # each component row holds its names in one cell; the table keeps its eight columns, the
    # plane-area table its four (two components and the composed row)
    assert f"{shown(text('name_en w'))} / {shown(text('name_zh w'))}" in inlines
    assert _row_widths(tokens) == [[2] * 10, [8] * 4, [4] * 4]  # no pipe split a cell
    assert f"m ({shown(text('name_en m'))}): {shown(text('missing_reason'))}" in inlines
    assert f"200 km² ({shown(text('target_source'))})" in inlines
    # headings are only the report's own
    headings = [t for t in tokens if t.type == "heading_open"]
    assert len(headings) == sum(line.startswith("#") for line in source.splitlines())


def test_summary_lines_show_controls_visibly(hostile_report: tuple[ValidationReport, Path]) -> None:
    report, _ = hostile_report
    lines = summary_lines(report)
    assert all(terminal_safe(line) for line in lines)
    assert any(line.endswith(shown(text("missing_reason"))) for line in lines)
    # the verdict first, then one line per component, missing part included
    assert lines[0].startswith(("PASS", "FAIL"))
    for c in [*report.components, *report.missing]:
        assert sum(line.startswith(f"  {c.id} ") for line in lines) == 1
