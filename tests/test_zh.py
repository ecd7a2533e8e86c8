"""Issue 11, item 6: ``--lang zh`` gives report.md, the terminal summary and layout in Chinese.

Truth: markdown-it-py's CommonMark tokens, the recipe's own payload strings (``payloads.py``),
Unicode's character categories, and figures recomputed here from ``report.json`` with the
conversion factors of the units' definitions (1 km² = 100 公顷 = 1,500 亩).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from common import FORBIDDEN, terminal_safe
from common import row_widths as _row_widths
from common import visible as _visible
from markdown_it import MarkdownIt
from payloads import shown, text, write_payload_recipe

from autocity_gis import _zh
from autocity_gis.cli import cli

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def zh_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``build --lang zh`` of the payload recipe through the CLI: (out folder, stdout)."""
    folder = tmp_path_factory.mktemp("zh_build")
    recipe = write_payload_recipe(folder)
    out = folder / "out"
    result = CliRunner().invoke(
        cli, ["build", "--recipe", str(recipe), "--out", str(out), "--offline", "--lang", "zh"]
    )
    assert result.exit_code in (0, 1), result.output
    return out, result.stdout


def test_zh_report_md_is_chinese_with_hectares(zh_build: tuple[Path, str]) -> None:
    out, _ = zh_build
    source = (out / "report.md").read_text(encoding="utf-8")
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    tokens = MarkdownIt("commonmark").enable("table").parse(source)
    headings = [
        _visible(tokens[i + 1]) for i, t in enumerate(tokens) if t.type == "heading_open"
    ]
    assert headings[0] == f"面积核查：{shown(text('city name_zh'))} {shown(text('city name_en'))}"
    assert {"组成部分", "公布数据的平衡", "量算面积的平衡", "重叠", "缝隙与孔洞",
            "缺失的组成部分", "交付文件的坐标系"} <= set(headings)  # fmt: skip
    # only the report's own headings: no name opened one
    assert len(headings) == sum(line.startswith("#") for line in source.splitlines())
    # areas in 平方公里 and 公顷, written as Chinese planning documents do
    composed = data["composed_km2"]
    assert f"合成面积{composed:,.2f}平方公里（{composed * 100:,.2f}公顷）" in source
    assert "公顷" in source and "km²" not in source.split("## 交付文件的坐标系")[0]
    # table heads in Chinese
    inlines = [_visible(t) for t in tokens if t.type == "inline"]
    assert {"编号", "名称", "量算面积（平方公里）", "量算面积（公顷）", "核查"} <= set(inlines)


def test_zh_report_md_renders_no_injected_markup(zh_build: tuple[Path, str]) -> None:
    out, _ = zh_build
    source = (out / "report.md").read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").enable("table").parse(source)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    assert not kinds & FORBIDDEN
    inlines = [_visible(t) for t in tokens if t.type == "inline"]
    # names kept as given, each in its own cell; no pipe in a name split a cell
    assert f"{shown(text('name_zh w'))} / {shown(text('name_en w'))}" in inlines
    assert f"m（{shown(text('name_zh m'))}）：{shown(text('missing_reason'))}" in inlines
    assert any(shown(text("target_source")) in i for i in inlines)
    widths = _row_widths(tokens)
    assert all(len(set(table)) == 1 for table in widths), widths
    assert widths[1] == [9] * 4  # the components table: 8 columns + 公顷, 2 parts + 1 missing


def test_zh_report_json_is_the_same_as_in_english(tmp_path: Path) -> None:
    recipe = write_payload_recipe(tmp_path)
    en = tmp_path / "en"
    CliRunner().invoke(cli, ["validate", "--recipe", str(recipe), "--out", str(en), "-q"])
    zh = tmp_path / "zh"
    CliRunner().invoke(
        cli, ["validate", "--recipe", str(recipe), "--out", str(zh), "-q", "--lang", "zh"]
    )
    assert (en / "report.json").read_bytes() == (zh / "report.json").read_bytes()
    assert (zh / "report.md").read_text(encoding="utf-8").startswith("# 面积核查：")
    assert (en / "report.md").read_text(encoding="utf-8").startswith("# Area check: ")


def test_zh_terminal_summary_is_chinese_and_terminal_safe(zh_build: tuple[Path, str]) -> None:
    _, stdout = zh_build
    lines = stdout.splitlines()
    assert lines[0].startswith(("通过：合成面积", "未通过：合成面积"))
    assert "公顷" in lines[0]
    assert all(terminal_safe(line) for line in lines)
    # Every line Chinese, warnings too (their sentences quote names as given).
    assert not any(line.startswith("warning: ") for line in lines)
    assert any(line.startswith("警告：") for line in lines)  # the Shapefile cut the long names
    assert all(CJK.search(line) or not line.strip() for line in lines), lines
    # the missing part's reason shown literally, escapes visible, on its line
    assert any(line.endswith(shown(text("missing_reason"))) for line in lines)
    assert any(line.startswith("已写入 ") for line in lines)


def test_validate_lang_zh_prints_chinese(tmp_path: Path) -> None:
    recipe = write_payload_recipe(tmp_path)
    result = CliRunner().invoke(cli, ["validate", "--recipe", str(recipe), "--lang", "zh"])
    assert result.exit_code in (0, 1)
    assert result.stdout.startswith(("通过：", "未通过："))


def test_mu_only_when_the_recipe_asks(tmp_path: Path) -> None:
    recipe = write_payload_recipe(tmp_path)
    source = recipe.read_text(encoding="utf-8")
    without = CliRunner().invoke(cli, ["validate", "--recipe", str(recipe), "--lang", "zh"])
    assert "亩" not in without.stdout
    recipe.write_text(
        source.replace("[city]\n", '[city]\nunits = ["km2", "ha", "mu"]\n', 1), encoding="utf-8"
    )
    asked = CliRunner().invoke(cli, ["validate", "--recipe", str(recipe), "--lang", "zh"])
    assert "亩" in asked.stdout.splitlines()[0]


@pytest.mark.parametrize(
    ("km2", "unit", "expected"),
    [
        (448.59, "km2", "448.59平方公里"),
        (448.59, "ha", "44,859.00公顷"),
        (448.59, "mu", "672,885亩"),
        (0.004, "km2", "0.00平方公里"),
        (12345.678, "km2", "12,345.68平方公里"),
        (-0.001, "ha", "−0.10公顷"),
    ],
)
def test_chinese_area_format(km2: float, unit: str, expected: str) -> None:
    assert _zh.zh_area(km2, unit) == expected


def test_no_minus_zero() -> None:
    assert _zh.zh_number(-0.0001) == "0.00"
    assert _zh.zh_pct(-0.0001) == "+0.00%"
    assert _zh.zh_pct(-4.758) == "−4.76%"
