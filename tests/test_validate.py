from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from common import EAST, WEST, cell, geod_km2

from autocity_gis.composition import compose
from autocity_gis.recipe import load_recipe
from autocity_gis.report import to_json, to_markdown, write_reports
from autocity_gis.validation import ValidationReport, validate

UNION = geod_km2(cell(125.10, 43.80, 125.30, 43.90))


def _report(write_recipe: Callable[..., Path], **kwargs: object) -> ValidationReport:
    path = write_recipe(
        [
            {"id": "w", "geometry": WEST, "accuracy": "estimated"},
            {"id": "e", "geometry": EAST},
        ],
        **kwargs,
    )
    recipe = load_recipe(path)
    return validate(compose(recipe), recipe)


@pytest.mark.parametrize(
    ("target", "tolerance", "passed"),
    [
        (UNION, 0.01, True),
        (UNION / 1.0099, 1.0, True),  # composed is 0.99 % above the target
        (UNION / 0.9901, 1.0, True),  # 0.99 % below
        (UNION / 1.0101, 1.0, False),  # 1.01 % above
        (UNION / 0.9899, 1.0, False),  # 1.01 % below
    ],
)
def test_verdict_follows_the_tolerance(
    write_recipe: Callable[..., Path], target: float, tolerance: float, passed: bool
) -> None:
    report = _report(write_recipe, target_km2=target, tolerance_pct=tolerance)
    assert report.passed is passed
    assert report.composed_km2 == pytest.approx(UNION, rel=1e-9)
    assert report.delta_pct == pytest.approx((UNION - target) / target * 100, rel=1e-6, abs=1e-6)


def test_component_figures_and_reconciliation(write_recipe: Callable[..., Path]) -> None:
    extra = '[[components]]\nid = "m"\nname_en = "Missing"\nmissing_reason = "unknown"\n'
    report = _report(
        write_recipe, stated={"w": 90.0, "e": 80.0}, extra_components=extra, target_km2=200.0
    )
    w, e = report.components
    assert w.measured_km2 == pytest.approx(geod_km2(WEST), rel=1e-9)
    assert w.delta_pct == pytest.approx((geod_km2(WEST) - 90.0) / 90.0 * 100, rel=1e-9)
    assert w.accuracy == "estimated" and e.accuracy == "official"
    assert report.estimated == ("w",)
    assert [m.id for m in report.missing] == ["m"]
    assert report.stated_sum_km2 == 170.0
    assert report.stated_unaccounted_km2 == 30.0
    assert report.stated_missing == ("m",)
    assert report.sum_of_parts_km2 == pytest.approx(geod_km2(WEST) + geod_km2(EAST), rel=1e-9)
    assert report.composed_equal_area_km2 == pytest.approx(report.composed_km2, rel=1e-4)


def test_json_report_has_the_documented_keys(
    write_recipe: Callable[..., Path], tmp_path: Path
) -> None:
    report = _report(write_recipe)
    files = write_reports(report, tmp_path / "out")
    data = json.loads(files[0].read_text(encoding="utf-8"))
    for key in (
        "target_km2",
        "composed_km2",
        "delta_pct",
        "tolerance_pct",
        "passed",
        "components",
        "overlaps",
        "gaps_km2",
        "missing",
    ):
        assert key in data
    for key in ("id", "name_en", "measured_km2", "stated_km2", "accuracy"):
        assert key in data["components"][0]
    assert data == json.loads(to_json(report))
    assert files[1].read_text(encoding="utf-8") == to_markdown(report)


def test_markdown_escapes_user_text(write_recipe: Callable[..., Path]) -> None:
    hostile = "<img src=x onerror=alert(1)>|x\ny"
    path = write_recipe([{"id": "w", "name_en": hostile, "geometry": WEST}])
    text = path.read_text(encoding="utf-8").replace(
        'name_en = "W"', 'name_en = "<img src=x onerror=alert(1)>|x\\ny"'
    )
    path.write_text(text, encoding="utf-8")
    recipe = load_recipe(path)
    md = to_markdown(validate(compose(recipe), recipe))
    # rendered by a real CommonMark parser: one table cell with the literal text, newline shown
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").enable("table").render(md)
    assert "<img" not in html
    assert "<td>&lt;img src=x onerror=alert(1)&gt;|x\\ny /</td>" in html


def test_embedded_report_fails_honestly() -> None:
    recipe = load_recipe()
    report = validate(compose(recipe), recipe)
    assert not report.passed  # two components have no geometry: the check must say so
    assert report.composed_km2 == pytest.approx(448.59, abs=0.01)
    assert report.stated_unaccounted_km2 == pytest.approx(22.41, abs=1e-9)
    assert set(report.estimated) == {"auto_etdz", "xixin", "daling", "fanjiatun"}
    assert {m.id for m in report.missing} == {"chaoyang_edz", "hightech_part"}
    md = to_markdown(report)
    assert "**FAIL**" in md and "**estimated**" in md and "**missing**" in md


def test_subtracted_zone_is_not_a_gap(write_recipe: Callable[..., Path]) -> None:
    lake = cell(125.14, 43.84, 125.16, 43.86)
    path = write_recipe(
        [
            {"id": "w", "geometry": WEST},
            {"id": "e", "geometry": EAST},
            {"id": "lake", "geometry": lake},
        ],
        roles={"lake": "subtract"},
    )
    recipe = load_recipe(path)
    report = validate(compose(recipe), recipe)
    assert report.gap_count == 0 and report.gaps_km2 == 0.0 and report.gaps == ()
    assert report.holes == ()
    [zone] = report.subtracted
    assert zone.id == "lake" and zone.removed_km2 == pytest.approx(geod_km2(lake), rel=1e-7)
    assert report.composed_km2 == pytest.approx(UNION - geod_km2(lake), rel=1e-7)
    # the subtracted zone is not a part: not in the sum of the parts
    assert report.sum_of_parts_km2 == pytest.approx(geod_km2(WEST) + geod_km2(EAST), rel=1e-9)
    assert report.area_balance is not None
    assert report.area_balance.subtracted_km2 == pytest.approx(geod_km2(lake), rel=1e-7)


def test_overlaps_are_named_with_their_areas_on_the_terminal(
    write_recipe: Callable[..., Path],
) -> None:
    import shapely

    from autocity_gis.report import summary_lines

    shifted = shapely.affinity.translate(EAST, xoff=-0.02)  # 0.02° into w
    path = write_recipe([{"id": "w", "geometry": WEST}, {"id": "e", "geometry": shifted}])
    recipe = load_recipe(path)
    report = validate(compose(recipe), recipe)
    shared = geod_km2(cell(125.18, 43.80, 125.20, 43.90))
    [line] = [line for line in summary_lines(report) if line.startswith("  overlaps:")]
    assert line == f"  overlaps: 1 pair(s), {shared:.3f} km²: w / e {shared:.3f} km²"
    md = to_markdown(report)
    [row] = [r for r in md.splitlines() if r.startswith("| w | e |")]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert float(cells[2]) == pytest.approx(shared, abs=1e-4)
    assert float(cells[3]) == pytest.approx(0.02 * 111_320 * 0.7208, rel=0.01)  # widest, m
    assert any(w.startswith("components 'w' and 'e' overlap by") for w in report.warnings)
