"""The command line: exit codes, messages, and the end-to-end build on the embedded data."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner
from conftest import EAST, WEST, geod_km2

from autocity_gis import cli as cli_module
from autocity_gis.cli import cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_help_teaches(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for word in ("build", "validate", "map", "export", "Exit status", "$ autocity-gis"):
        assert word in result.output
    for command in ("build", "validate", "map", "export"):
        sub = runner.invoke(cli, [command, "--help"])
        assert sub.exit_code == 0 and "Examples:" in sub.output


def test_help_does_not_import_geopandas() -> None:
    code = (
        "import sys; from autocity_gis.cli import cli; "
        "assert 'geopandas' not in sys.modules and 'folium' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cli_choices_match_the_library() -> None:
    from autocity_gis import export, webmap

    assert set(cli_module.BASEMAP_NAMES) == set(webmap.BASEMAPS) | {"none"}
    assert set(cli_module.LANGS) == set(webmap.LANGUAGES)
    assert set(cli_module.FORMAT_NAMES) == set(export.FORMATS)


def test_validate_embedded_fails_with_exit_1(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["validate", "-q"])
    assert result.exit_code == 1
    assert result.output.startswith("FAIL: composed 448.59 km² vs stated 471 km²")
    assert "estimated" in result.output and "missing" in result.output


def test_validate_passes_with_exit_0(
    runner: CliRunner, write_recipe: Callable[..., Path], tmp_path: Path
) -> None:
    union = geod_km2(WEST) + geod_km2(EAST)
    path = write_recipe(
        [{"id": "w", "geometry": WEST}, {"id": "e", "geometry": EAST}], target_km2=union
    )
    result = runner.invoke(cli, ["validate", "--recipe", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["passed"] is True
    assert data["composed_km2"] == pytest.approx(union, rel=1e-6)
    out = tmp_path / "reports"
    result = runner.invoke(cli, ["validate", "-q", "--recipe", str(path), "--out", str(out)])
    assert result.exit_code == 0
    assert (out / "report.json").is_file() and (out / "report.md").is_file()


@pytest.mark.parametrize("command", ["validate", "build", "map", "export"])
def test_bad_recipe_is_one_line_and_exit_2(
    runner: CliRunner, tmp_path: Path, command: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[city]\nname_en = "X"\n', encoding="utf-8")
    result = runner.invoke(cli, [command, "--recipe", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith(f"autocity-gis: error: {bad}: ")
    assert "Traceback" not in result.output + result.stderr
    assert not (tmp_path / "o").exists()


def test_bad_option_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["build", "--basemap", "google"])
    assert result.exit_code == 2
    assert "'google' is not one of" in result.stderr


def test_console_script_has_no_traceback(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("autocity-gis")
    proc = subprocess.run(
        [str(exe), "validate", "--recipe", str(tmp_path / "none.toml")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"autocity-gis: error: {tmp_path / 'none.toml'}: cannot read the recipe "
        "(No such file or directory)."
    ]


@pytest.mark.slow
def test_build_end_to_end(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(cli, ["build", "--out", str(out), "--offline"])
    assert result.exit_code == 1, result.output  # the embedded check fails: 448.59 vs 471
    for name in (
        "autocity_map.html",
        "report.json",
        "report.md",
        "boundary.geojson",
        "components.geojson",
        "autocity.gpkg",
        "autocity.qgs",
    ):
        assert (out / name).is_file(), name
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    boundary = gpd.read_file(out / "boundary.geojson")
    # The written boundary, measured independently, agrees with the report to 0.01 %.
    assert geod_km2(boundary.geometry.iloc[0]) == pytest.approx(
        report["composed_km2"], rel=1e-4
    )
    # The report states the web simplification, bounded at 0.05 % area change per layer.
    simplified = report["web_simplification"]
    assert {s["layer"] for s in simplified} >= {"boundary", "context"}
    assert all(s["max_area_change_pct"] <= 0.05 for s in simplified)
    assert "## Web map simplification" in (out / "report.md").read_text(encoding="utf-8")
    components = gpd.read_file(out / "components.geojson")
    assert set(components["accuracy"]) == {"estimated"}
    assert "estimated" in (out / "autocity_map.html").read_text(encoding="utf-8")
    # No stray staging folders are left beside the output.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]

    # A rebuild replaces a folder of its own outputs whole (fewer formats: fewer files).
    again = runner.invoke(cli, ["build", "--out", str(out), "--offline", "--format", "gpkg"])
    assert again.exit_code == 1
    assert not (out / "autocity_shp").exists() and (out / "autocity.gpkg").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    # A file the user put there is never removed: the rebuild is refused instead.
    (out / "notes.txt").write_text("mine")
    refused = runner.invoke(cli, ["build", "--out", str(out), "--offline", "--format", "gpkg"])
    assert refused.exit_code == 2
    assert (out / "notes.txt").read_text() == "mine"


def test_build_refuses_a_foreign_folder(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    result = runner.invoke(cli, ["build", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "holds files autocity-gis did not write (mine.txt)" in result.stderr
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_export_replaces_its_files_together_or_not_at_all(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from autocity_gis import export

    out = tmp_path / "qgis"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    first = runner.invoke(cli, ["export", "-q", "--out", str(out)])
    assert first.exit_code == 0, first.output
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert {"autocity.gpkg", "autocity.qgs", "autocity.kml", "notes.txt"} <= set(before)

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # the user pressed Ctrl-C while KML was being written

    monkeypatch.setattr(export, "write_kml", broken)
    second = runner.invoke(cli, ["export", "-q", "--out", str(out)])
    assert second.exit_code != 0
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["qgis"]  # no staging left behind
