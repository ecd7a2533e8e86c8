"""The command line: exit codes, messages, and the end-to-end build on the embedded data."""

from __future__ import annotations

import errno
import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from click.testing import CliRunner
from common import EAST, WEST, geod_km2
from fault_hook import hook_env

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
    from autocity_gis import _export as export
    from autocity_gis import webmap

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
    from autocity_gis import _export as export

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


# -- exit statuses: one meaning each ------------------------------------------------------

EXE = Path(sys.executable).with_name("autocity-gis")


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in stderr
    return lines[0]


def test_internal_error_is_exit_3_with_a_log_file(
    runner: CliRunner,
    write_recipe: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from autocity_gis import api

    recipe = write_recipe([{"id": "w", "geometry": WEST}])

    def compose(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug\nwith \x1b[31ma second line")

    monkeypatch.setattr(api, "compose", compose)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    result = runner.invoke(cli, ["build", "-q", "--recipe", str(recipe), "--out", "o"])
    assert result.exit_code == 3
    line = _one_line(result.stderr)
    assert line.startswith("autocity-gis: internal error (ZeroDivisionError: a bug\\nwith \\x1b")
    assert "please report it" in line
    logs = list((tmp_path / "state" / "autocity-gis").glob("crash-*.log"))
    assert len(logs) == 1 and str(logs[0]) in line
    text = logs[0].read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "ZeroDivisionError" in text


def test_interrupt_is_exit_130_and_says_what_was_kept(
    runner: CliRunner,
    write_recipe: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from autocity_gis import _export as export
    from autocity_gis import api

    recipe = write_recipe([{"id": "w", "geometry": WEST}])
    out = tmp_path / "o"
    args = ["build", "-q", "--recipe", str(recipe), "--out", str(out), "--format", "kml"]
    assert runner.invoke(cli, args).exit_code in (0, 1)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(export, "export_all", interrupted)
    result = runner.invoke(cli, args)
    assert result.exit_code == 130
    assert _one_line(result.stderr) == f"autocity-gis: interrupted; {out} was left as it was."
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    monkeypatch.setattr(api, "compose", interrupted)
    result = runner.invoke(cli, ["validate", "--recipe", str(recipe)])
    assert result.exit_code == 130
    assert _one_line(result.stderr) == "autocity-gis: interrupted; nothing was written."


@pytest.mark.parametrize("where", ["os", "gdal"])
def test_a_full_disk_is_exit_2_and_keeps_the_previous_outputs(
    runner: CliRunner,
    write_recipe: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    from autocity_gis import _export as export

    recipe = write_recipe([{"id": "w", "geometry": WEST}])
    out = tmp_path / "o"
    for command in (["build"], ["export"]):
        args = [*command, "-q", "--recipe", str(recipe), "--out", str(out), "--format", "kml"]
        assert runner.invoke(cli, args).exit_code in (0, 1)
        before = {p.name: p.read_bytes() for p in out.iterdir()}
        def full(*a: object, _real: Any = export.export_all, **k: object) -> list[Path]:
            _real(*a, **k)
            if where == "os":
                raise OSError(errno.ENOSPC, "No space left on device")
            # pyogrio's errors carry GDAL's text, not an errno.
            raise RuntimeError("sqlite3_exec failed: No space left on device")

        with monkeypatch.context() as m:
            m.setattr(export, "export_all", full)
            result = runner.invoke(cli, args)
        assert result.exit_code == 2, result.output
        line = _one_line(result.stderr)
        assert line == (
            f"autocity-gis: error: {out}: cannot write the outputs (the disk is full); the "
            "folder was left as it was."
        )
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_error_lines_show_control_characters_visibly(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "a\nb\x1b[2Jc\u202e.toml"
    result = runner.invoke(cli, ["validate", "--recipe", str(bad)])
    assert result.exit_code == 2
    line = _one_line(result.stderr)
    assert "a\\nb\\x1b[2Jc\\u202e.toml" in line and "\x1b" not in line


def test_console_script_internal_error_is_exit_3(
    write_recipe: Callable[..., Path], tmp_path: Path
) -> None:
    recipe = write_recipe([{"id": "w", "geometry": WEST}])
    env = hook_env(tmp_path, "crash")
    proc = subprocess.run(
        [str(EXE), "validate", "-q", "--recipe", str(recipe)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 3, proc.stderr
    line = _one_line(proc.stderr)
    assert line.startswith("autocity-gis: internal error (RuntimeError: hook: a bug\\nwith a")
    log = next((tmp_path / "state" / "autocity-gis").glob("crash-*.log"))
    assert str(log) in line and "RuntimeError" in log.read_text(encoding="utf-8")


def test_console_script_sigint_is_exit_130(
    write_recipe: Callable[..., Path], tmp_path: Path
) -> None:
    recipe = write_recipe([{"id": "w", "geometry": WEST}])
    out = tmp_path / "o"
    env = hook_env(tmp_path, "")
    first = subprocess.run(
        [str(EXE), "build", "-q", "--recipe", str(recipe), "--out", str(out), "--format", "kml"],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert first.returncode in (0, 1)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    env["AUTOCITY_GIS_TEST_HOOK"] = "hang"
    with subprocess.Popen(
        [str(EXE), "build", "--recipe", str(recipe), "--out", str(out)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    ) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.strip() == "HOOK-READY":
                break
        proc.send_signal(signal.SIGINT)
        rest = proc.stderr.read()
        assert proc.wait(timeout=60) == 130
    assert rest.strip().splitlines() == [f"autocity-gis: interrupted; {out} was left as it was."]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_console_script_ends_with_every_line_written(
    write_recipe: Callable[..., Path], tmp_path: Path
) -> None:
    # The console script leaves without the interpreter's teardown (cli._exit): what it
    # printed and logged up to its last line still reaches the pipes, its status unchanged.
    recipe = write_recipe([{"id": "w", "geometry": WEST}])
    out = tmp_path / "o"
    proc = subprocess.run(
        [str(EXE), "build", "-v", "--recipe", str(recipe), "--out", str(out), "--format", "kml"],
        capture_output=True,
        text=True,
        env=hook_env(tmp_path, ""),
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert proc.stdout.splitlines()[-1].startswith(f"  web map {out / 'autocity_map.html'} (")
    assert "putting the outputs in place" in proc.stderr
    assert (out / "report.json").is_file()


def test_make_run_accepts_only_0_and_1(tmp_path: Path) -> None:
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text(encoding="utf-8")
    run_block = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    command = next(
        line.strip() for line in run_block.splitlines() if "autocity-gis build" in line
    )
    for status, accepted in ((0, True), (1, True), (2, False), (3, False), (130, False)):
        stub = tmp_path / "autocity-gis"
        stub.write_text(f"#!/bin/sh\nexit {status}\n")
        stub.chmod(0o755)
        shell = command.replace("$(BIN)/autocity-gis", str(stub)).replace("$$", "$")
        proc = subprocess.run(["sh", "-c", shell], cwd=tmp_path)
        assert (proc.returncode == 0) is accepted, status
