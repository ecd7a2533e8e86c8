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
from autocity_gis.validation import ValidationReport


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


# ----------------------------------------------------------------------------- one renderer


def test_languages_say_the_same_things() -> None:
    """Every text one language has, the other has too, and no template has a stray field."""
    import string

    from autocity_gis._report_text import LANGUAGES, texts

    en, zh = (texts(lang) for lang in LANGUAGES)
    for section in ("words", "units", "verdict", "md", "terminal"):
        assert set(en[section]) == set(zh[section]), section
    assert en["md"]["figures"].count("@units") == zh["md"]["figures"].count("@units") == 1

    # Which name a language shows first, and Chinese decimals per unit, may differ.
    free = {"name_en", "name_zh", "names", "decimals"}

    def fields(template: object) -> set[str]:
        items = template if isinstance(template, list) else [template]
        return {f for i in items for _, f, _, _ in string.Formatter().parse(str(i)) if f} - free

    for section in ("verdict", "md", "terminal"):
        for key in en[section]:
            # Chinese drops the terminal's separate line of units (its first line has them).
            assert fields(en[section][key]) >= fields(zh[section][key]), (section, key)
            if zh[section][key]:
                assert fields(en[section][key]) == fields(zh[section][key]), (section, key)


def test_unknown_language_is_one_sentence(hostile_report: tuple[ValidationReport, Path]) -> None:
    from autocity_gis import InputError

    report, _ = hostile_report
    with pytest.raises(InputError, match="language 'fr' is not known; valid languages are: en"):
        to_markdown(report, lang="fr")


def test_warning_lines_in_chinese(hostile_report: tuple[ValidationReport, Path]) -> None:
    from autocity_gis.report import warning_lines

    report = dataclasses.replace(hostile_report[0], warnings=("a\x1b[2Jb",))
    assert warning_lines(report) == ["warning: a\\x1b[2Jb"]
    assert warning_lines(report, "zh") == ["警告：a\\x1b[2Jb"]


def test_build_result_carries_the_map_and_hand_off_beside_the_check(tmp_path: Path) -> None:
    """The check knows nothing of the outputs; the reports state them from the build's result."""
    from autocity_gis.report import to_dict

    # The payload names are longer than a Shapefile text field: the hand-off must say so.
    recipe = write_payload_recipe(tmp_path)
    result = api.build(recipe, tmp_path / "out", offline=True, formats=("shp",))
    assert any("cut to 254 bytes" in w for w in result.hand_off.warnings)
    assert not any("cut to 254 bytes" in w for w in result.report.warnings)
    assert not hasattr(result.report, "web_simplification")
    assert "web_simplification" not in {f.name for f in dataclasses.fields(ValidationReport)}
    data = _strict((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    # report.json says what it said before: the map's simplification, every warning.
    layers = {s["layer"] for s in data["web_simplification"]}
    assert layers == {s.layer for s in result.map_facts.simplification} >= {"boundary"}
    assert result.map_facts.bytes == result.map_bytes == (tmp_path / "out").joinpath(
        result.map_path.name if result.map_path else ""
    ).stat().st_size
    assert data["warnings"] == [*result.report.warnings, *result.hand_off.warnings]
    assert list(result.warnings) == data["warnings"]
    assert result.hand_off.crs is not None
    # The check alone renders without them: no simplification, no hand-off section.
    bare = to_dict(result.report)
    assert bare["web_simplification"] == [] and bare["warnings"] == list(result.report.warnings)
    md = to_markdown(result.report)
    assert "## Web map simplification" not in md and "## Coordinate reference" not in md
    full = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "## Web map simplification" in full and "## Coordinate reference" in full
