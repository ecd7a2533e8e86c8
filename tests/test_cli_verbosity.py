"""-q/-v: one verbosity, given at the group or at the command, mapped to the logging levels."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path

import pyogrio
import pytest
from click.testing import CliRunner, Result
from common import EAST, WEST, geod_km2

from autocity_gis._log import LOGGER_NAME, TerminalHandler
from autocity_gis.cli import cli

TIMING = re.compile(r"\d+\.\d\d s$", re.MULTILINE)


@pytest.fixture
def recipe(write_recipe: Callable[..., Path]) -> Path:
    # Two parts whose union is the target: the check passes (exit 0).
    union = geod_km2(WEST) + geod_km2(EAST)
    return write_recipe(
        [{"id": "w", "geometry": WEST}, {"id": "e", "geometry": EAST}], target_km2=union
    )


def _run(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args)


def _untimed(text: str) -> str:
    return TIMING.sub("N s", text.replace("\r", ""))


def test_default_keeps_progress_lines_on_stderr_and_the_summary_on_stdout(recipe: Path) -> None:
    result = _run(["validate", "--recipe", str(recipe)])
    assert result.exit_code == 0, result.output
    progress = result.stderr.splitlines()
    assert progress == [
        "· loading w from parts.geojson",
        "· loading e from parts.geojson",
        "· composing 2 parts",
    ]
    assert result.stdout.startswith("PASS: composed ")


def test_v_adds_files_read_with_crs_and_counts_and_step_timings(recipe: Path) -> None:
    default = _run(["validate", "--recipe", str(recipe)])
    verbose = _run(["validate", "-v", "--recipe", str(recipe)])
    assert verbose.exit_code == default.exit_code == 0
    lines = verbose.stderr.splitlines()
    # Everything the default says, in the same order, and more.
    assert [line for line in lines if line.startswith("·")] == default.stderr.splitlines()
    assert len(lines) > len(default.stderr.splitlines())
    # The file's CRS as GDAL reports it, independently of the toolkit.
    info = pyogrio.read_info(recipe.parent / "parts.geojson")
    assert info["crs"] == "EPSG:4326" and info["features"] == 2
    read = [line for line in lines if line.startswith("  read parts.geojson:")]
    assert len(read) == 2, lines
    for line in read:  # each component filters one feature of the file
        assert "1 feature(s) selected, CRS EPSG:4326, datum WGS84" in line
        assert TIMING.search(line)
    assert any(line.startswith("  composing 2 parts:") and TIMING.search(line) for line in lines)
    assert any(line.startswith("  checking the areas:") for line in lines)
    assert verbose.stdout == default.stdout


def test_vv_adds_debug_lines_naming_their_logger(recipe: Path) -> None:
    result = _run(["validate", "-vv", "--recipe", str(recipe)])
    debug = [line for line in result.stderr.splitlines() if line.startswith("  [")]
    # Each component's area, as an independent geodesic measure gives it.
    line = f"  [autocity_gis.composition] component w (part, official): {geod_km2(WEST):.4f} km²"
    assert line in debug


@pytest.mark.parametrize(
    ("group", "command"),
    [(["-q"], []), ([], ["-q"]), (["-v"], []), ([], ["-v"]), (["-qq"], []), (["-q"], ["-q"])],
)
def test_group_and_command_flags_are_the_same(
    recipe: Path, group: list[str], command: list[str]
) -> None:
    at_group = _run([*group, *command, "validate", "--recipe", str(recipe)])
    at_command = _run(["validate", *group, *command, "--recipe", str(recipe)])
    assert at_group.exit_code == at_command.exit_code == 0, at_group.output
    assert at_group.stdout == at_command.stdout
    assert _untimed(at_group.stderr) == _untimed(at_command.stderr)


def test_q_before_the_command_builds(recipe: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _run(["-q", "build", "--recipe", str(recipe), "--out", str(out), "--format", "kml"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # no progress
    assert "wrote " in result.stdout  # the result still
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["passed"] is True


def test_qq_prints_nothing_on_success(recipe: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _run(["build", "-qq", "--recipe", str(recipe), "--out", str(out), "--format", "kml"])
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == ""
    assert (out / "report.json").is_file()


def test_qq_still_prints_errors(tmp_path: Path) -> None:
    missing = tmp_path / "none.toml"
    result = _run(["-qq", "validate", "--recipe", str(missing)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"autocity-gis: error: {missing}: cannot read the recipe")


def test_q_and_v_cancel(recipe: Path) -> None:
    plain = _run(["validate", "--recipe", str(recipe)])
    both = _run(["-v", "validate", "-q", "--recipe", str(recipe)])
    assert both.stderr == plain.stderr and both.stdout == plain.stdout


def test_progress_lines_in_chinese_under_lang_zh(recipe: Path) -> None:
    result = _run(["validate", "--lang", "zh", "--recipe", str(recipe)])
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "· 读取组成部分 w：parts.geojson",
        "· 读取组成部分 e：parts.geojson",
        "· 合成 2 个部分",
    ]


def test_a_command_leaves_logging_as_it_found_it(recipe: Path) -> None:
    logger = logging.getLogger(LOGGER_NAME)
    before = (logger.level, list(logger.handlers))
    _run(["validate", "-vv", "--recipe", str(recipe)])
    assert (logger.level, list(logger.handlers)) == before
    assert not [h for h in logger.handlers if isinstance(h, TerminalHandler)]


def test_library_progress_goes_to_logging(
    recipe: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import autocity_gis as ag

    with caplog.at_level(logging.DEBUG, logger=LOGGER_NAME):
        ag.check(recipe)
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert info == ["loading w from parts.geojson", "loading e from parts.geojson",
                    "composing 2 parts"]  # fmt: skip
    assert {r.name for r in caplog.records} >= {"autocity_gis.composition", "autocity_gis.api"}
