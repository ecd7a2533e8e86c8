"""The output policy (issue 9, item 3): on throwaway folders, what may be replaced and how.

Independent truth: file contents and SHA-256 computed here with hashlib, folder listings, modes
from ``os.stat``; never the toolkit's own view of what it wrote.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from common import EAST, WEST
from fault_hook import hook_env

from autocity_gis import _output, api
from autocity_gis._errors import OutputError
from autocity_gis.cli import cli

# -- helpers -------------------------------------------------------------------------------


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def recipe(write_recipe: Callable[..., Path]) -> Path:
    return write_recipe([{"id": "w", "geometry": WEST}, {"id": "e", "geometry": EAST}])


def _files(folder: Path, *, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every regular file under ``folder`` (relative path → text), the manifest excluded."""
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8", errors="replace")
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != _output.MANIFEST and p.relative_to(folder).parts[0] not in skip
    }


def _assert_manifest_vouches(folder: Path, *, foreign: tuple[str, ...] = ()) -> None:
    """The manifest lists exactly the non-foreign entries, with hashes that match the files."""
    data = json.loads((folder / _output.MANIFEST).read_text(encoding="utf-8"))
    assert data["format"] == "autocity-gis manifest" and data["version"] == 1
    listed = {e["path"]: e for e in data["entries"]}
    on_disk = {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.relative_to(folder).parts[0] not in (*foreign, _output.MANIFEST)
    }
    assert set(listed) == on_disk
    for rel, entry in listed.items():
        path = folder / rel
        if entry["type"] == "file":
            blob = path.read_bytes()
            assert entry["size"] == len(blob)
            assert entry["sha256"] == hashlib.sha256(blob).hexdigest()
        else:
            assert path.is_dir()


def _publish(
    target: Path,
    files: dict[str, str],
    *,
    replace_all: bool = True,
    overwrite: bool = False,
) -> None:
    """Write ``files`` through one output session, as a command does."""
    with _output.open_session(
        target,
        shown=str(target),
        command="test",
        replace_all=replace_all,
        overwrite=overwrite,
    ) as session:
        for rel, text in files.items():
            path = session.staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        session.commit()


class _Probe(Exception):
    """Ends a session right after its recovery, so the recovered state can be inspected."""


def _recover_only(target: Path) -> None:
    with pytest.raises(_Probe), _output.open_session(
        target, shown=str(target), command="probe", replace_all=False
    ):
        raise _Probe


def _dies_at(monkeypatch: pytest.MonkeyPatch, k: int) -> list[str]:
    """Make the process "die" at filesystem step ``k``: that step and every later one fail."""
    seen: list[str] = []

    def step(label: str) -> None:
        seen.append(label)
        if len(seen) >= k:
            raise SystemExit(f"killed at step {k} ({label})")

    monkeypatch.setattr(_output, "_step", step)
    return seen


OLD = {"a.txt": "old a", "sub/b.txt": "old b", "only-old.txt": "old"}
NEW = {"a.txt": "new a", "sub/b.txt": "new b", "only-new.txt": "new"}


# -- ownership: the manifest ----------------------------------------------------------------


def test_build_writes_a_manifest_that_vouches_for_every_output(
    recipe: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    api.build(recipe, out, offline=True, formats=("gpkg", "shp"))
    _assert_manifest_vouches(out)
    data = json.loads((out / _output.MANIFEST).read_text(encoding="utf-8"))
    assert data["command"] == "build" and data["tool"].startswith("autocity-gis ")
    assert {"autocity_map.html", "report.json", "autocity_shp", "autocity.gpkg"} <= {
        e["path"] for e in data["entries"]
    }


@pytest.mark.parametrize("marker", ["", "written by autocity-gis from x\n", '{"format": 1}'])
def test_an_empty_or_foreign_marker_proves_nothing(
    runner: CliRunner, recipe: Path, tmp_path: Path, marker: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / _output.MANIFEST).write_text(marker)
    (out / "thesis.docx").write_text("years of work")
    result = runner.invoke(cli, ["build", "-q", "--recipe", str(recipe), "--out", str(out)])
    assert result.exit_code == 2
    assert "did not write" in result.stderr
    # --overwrite writes beside foreign files but never over one: the marker is refused by name.
    result = runner.invoke(
        cli, ["build", "-q", "--recipe", str(recipe), "--out", str(out), "--overwrite"]
    )
    assert result.exit_code == 2, result.output
    assert f"{_output.MANIFEST} is not autocity-gis output" in result.stderr
    assert (out / "thesis.docx").read_text() == "years of work"
    assert (out / _output.MANIFEST).read_text() == marker
    assert sorted(p.name for p in out.iterdir()) == sorted([_output.MANIFEST, "thesis.docx"])


def test_a_manifest_listing_a_foreign_file_with_another_hash_proves_nothing(
    runner: CliRunner, recipe: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").write_text("my own report")
    fake = {
        "format": "autocity-gis manifest",
        "version": 1,
        "entries": [{"path": "report.json", "type": "file", "size": 3, "sha256": "0" * 64}],
    }
    (out / _output.MANIFEST).write_text(json.dumps(fake))
    result = runner.invoke(cli, ["build", "-q", "--recipe", str(recipe), "--out", str(out)])
    assert result.exit_code == 2
    assert (out / "report.json").read_text() == "my own report"


def test_an_output_the_user_edited_is_the_users(
    runner: CliRunner, recipe: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = ["build", "-q", "--recipe", str(recipe), "--out", str(out), "--format", "geojson"]
    assert runner.invoke(cli, args).exit_code in (0, 1)
    (out / "report.md").write_text("edited by hand")
    result = runner.invoke(cli, args)
    assert result.exit_code == 2 and "report.md" in result.stderr
    result = runner.invoke(cli, [*args, "--overwrite"])
    assert result.exit_code == 2
    assert "report.md is not autocity-gis output" in result.stderr
    assert (out / "report.md").read_text() == "edited by hand"


def test_overwrite_writes_beside_foreign_files_and_never_touches_them(
    runner: CliRunner, recipe: Path, tmp_path: Path
) -> None:
    out = tmp_path / "shared"
    (out / "notes").mkdir(parents=True)
    (out / "notes" / "n.txt").write_text("mine")
    (out / "readme.txt").write_text("mine too")
    args = ["build", "-q", "--recipe", str(recipe), "--out", str(out), "--overwrite"]
    for _ in range(2):  # the second run replaces its own outputs, still beside the user's
        result = runner.invoke(cli, [*args, "--format", "geojson"])
        assert result.exit_code in (0, 1), result.output
        assert (out / "notes" / "n.txt").read_text() == "mine"
        assert (out / "readme.txt").read_text() == "mine too"
        assert (out / "autocity_map.html").is_file()
        _assert_manifest_vouches(out, foreign=("notes", "readme.txt"))
    # A build with fewer outputs removes only its own earlier ones.
    result = runner.invoke(cli, [*args, "--format", "kml"])
    assert result.exit_code in (0, 1)
    assert (out / "autocity.kml").is_file()
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(
        [
            "autocity.kml",
            "autocity_map.html",
            "boundary.geojson",
            "components.geojson",
            "notes",
            "readme.txt",
            "report.json",
            "report.md",
        ]
    )
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    ("command", "victim"),
    [
        (["export", "--format", "kml"], "autocity.kml"),
        (["validate"], "report.json"),
        (["map", "--offline"], "page.html"),
    ],
)
def test_export_validate_map_never_overwrite_a_foreign_namesake(
    runner: CliRunner, recipe: Path, tmp_path: Path, command: list[str], victim: str
) -> None:
    out = tmp_path / "hand-off"
    out.mkdir()
    (out / victim).write_text("the user's")
    (out / "other.txt").write_text("kept")
    target = str(out / victim) if command[0] == "map" else str(out)
    result = runner.invoke(cli, [*command, "-q", "--recipe", str(recipe), "--out", target])
    assert result.exit_code == 2, result.output
    assert f"{victim} is not autocity-gis output" in result.stderr
    assert (out / victim).read_text() == "the user's"
    assert _files(out) == {victim: "the user's", "other.txt": "kept"}
    # Once the user moves it away, the command writes, then replaces its own output freely.
    (out / victim).unlink()
    for _ in range(2):
        result = runner.invoke(cli, [*command, "-q", "--recipe", str(recipe), "--out", target])
        assert result.exit_code in (0, 1), result.output
        assert (out / victim).stat().st_size > 0
        assert (out / "other.txt").read_text() == "kept"
        _assert_manifest_vouches(out, foreign=("other.txt",))


def test_export_then_validate_then_map_share_one_folder(
    runner: CliRunner, recipe: Path, tmp_path: Path
) -> None:
    out = tmp_path / "o"
    base = ["-q", "--recipe", str(recipe)]
    for args in (
        ["export", *base, "--out", str(out), "--format", "kml"],
        ["validate", *base, "--out", str(out)],
        ["map", *base, "--offline", "--out", str(out / "m.html")],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code in (0, 1), result.output  # 1: this recipe's check fails
    assert {p.name for p in out.iterdir()} == {
        "autocity.kml", "report.json", "report.md", "m.html", _output.MANIFEST
    }
    _assert_manifest_vouches(out)
    # A build may now replace the whole folder: every entry in it is its own.
    result = runner.invoke(cli, ["build", *base, "--out", str(out), "--format", "gpkg"])
    assert result.exit_code in (0, 1), result.output
    assert not (out / "m.html").exists() and (out / "autocity.gpkg").is_file()


def test_files_added_or_edited_during_a_run_are_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _publish(out, OLD)
    # Whole-folder replacement: a file dropped in meanwhile stops it, untouched.
    with pytest.raises(OutputError, match="appeared there while it ran"), _output.open_session(
        out, shown=str(out), command="t", replace_all=True
    ) as session:
        (session.staging / "a.txt").write_text("new")
        (out / "dropped.txt").write_text("mine")
        session.commit()
    assert _files(out) == {**OLD, "dropped.txt": "mine"}
    # Beside foreign files: an output edited meanwhile is the user's again, never removed.
    with pytest.raises(OutputError, match=r"a\.txt is not autocity-gis output"), (
        _output.open_session(out, shown=str(out), command="t", replace_all=True, overwrite=True)
    ) as session:
        (session.staging / "a.txt").write_text("new")
        (out / "a.txt").write_text("edited")
        session.commit()
    with _output.open_session(
        out, shown=str(out), command="t", replace_all=True, overwrite=True
    ) as session:
        (session.staging / "c.txt").write_text("new")
        (out / "only-old.txt").write_text("edited too")
        session.commit()
    assert _files(out) == {
        "a.txt": "edited",
        "c.txt": "new",
        "dropped.txt": "mine",
        "only-old.txt": "edited too",
    }
    _assert_manifest_vouches(out, foreign=("a.txt", "dropped.txt", "only-old.txt"))


# -- refusals before any work ---------------------------------------------------------------


@pytest.fixture
def no_compose(monkeypatch: pytest.MonkeyPatch) -> None:
    """Composition must not start: a refused --out is refused before any work."""

    def compose(*args: object, **kwargs: object) -> None:
        raise AssertionError("composition started before the --out check")

    monkeypatch.setattr(api, "compose", compose)


def _refuse(
    runner: CliRunner, recipe: Path, out: str, *extra: str, commands: tuple[str, ...] = ()
) -> list[str]:
    lines = []
    # --overwrite is build's alone; the other commands never replace foreign files anyway.
    for command in commands or (("build",) if extra else ("build", "export", "validate")):
        result = runner.invoke(
            cli, [command, "-q", "--recipe", str(recipe), "--out", out, *extra]
        )
        assert result.exit_code == 2, (command, result.output)
        assert "Traceback" not in result.output
        err = result.stderr.splitlines()
        assert len(err) == 1 and err[0].startswith("autocity-gis: error: "), err
        lines.append(err[0])
    return lines


@pytest.mark.usefixtures("no_compose")
def test_bad_out_values_are_refused_before_any_work(
    runner: CliRunner,
    recipe: Path,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = tmp_path_factory.mktemp("home")
    (home / "work" / "here").mkdir(parents=True)
    (home / "keep.txt").write_text("x")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(home / "work" / "here")
    before = sorted([*tmp_path.rglob("*"), *home.rglob("*")])
    for overwrite in ((), ("--overwrite",)):
        assert "--out is empty" in _refuse(runner, recipe, "", *overwrite)[0]
        assert "is the root folder" in _refuse(runner, recipe, "/", *overwrite)[0]
        assert "is your home folder" in _refuse(runner, recipe, str(home), *overwrite)[0]
        assert "is your home folder" in _refuse(runner, recipe, "../..", *overwrite)[0]
        assert "is the current folder" in _refuse(runner, recipe, ".", *overwrite)[0]
        assert "holds the current folder" in _refuse(runner, recipe, "..", *overwrite)[0]
        assert "holds the input" in _refuse(runner, recipe, str(recipe.parent), *overwrite)[0]
        afile = home / "keep.txt"
        assert "is not a folder" in _refuse(runner, recipe, str(afile), *overwrite)[0]
    assert sorted([*tmp_path.rglob("*"), *home.rglob("*")]) == before


@pytest.mark.usefixtures("no_compose")
def test_a_folder_holding_a_layer_is_refused(
    runner: CliRunner, tmp_path: Path, write_recipe: Callable[..., Path]
) -> None:
    layers = tmp_path / "layers"
    (layers / "deep").mkdir(parents=True)
    path = write_recipe([{"id": "w", "geometry": WEST}])  # writes parts.geojson in tmp_path
    (layers / "deep" / "parts.geojson").write_bytes((tmp_path / "parts.geojson").read_bytes())
    text = path.read_text().replace('"parts.geojson"', '"layers/deep/parts.geojson"')
    (tmp_path / "r.toml").write_text(text)
    line = _refuse(runner, tmp_path / "r.toml", str(layers), "--overwrite")[0]
    assert "holds the input" in line and "parts.geojson" in line


@pytest.mark.usefixtures("no_compose")
def test_map_refuses_to_write_over_an_input_or_into_a_folder_name(
    runner: CliRunner, recipe: Path, tmp_path: Path
) -> None:
    layer = tmp_path / "parts.geojson"
    before = layer.read_bytes()
    line = _refuse(runner, recipe, str(layer), commands=("map",))[0]
    assert "is the input" in line
    assert layer.read_bytes() == before
    assert "is a folder" in _refuse(runner, recipe, str(tmp_path), commands=("map",))[0]
    assert "--out is empty" in _refuse(runner, recipe, "", commands=("map",))[0]


def test_map_into_the_current_folder_writes_nothing_above_it(
    runner: CliRunner, recipe: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "parent" / "here"
    here.mkdir(parents=True)
    (here / "mine.txt").write_text("kept")
    monkeypatch.chdir(here)
    for _ in range(2):
        result = runner.invoke(
            cli, ["map", "-q", "--offline", "--recipe", str(recipe), "--out", "page.html"]
        )
        assert result.exit_code == 0, result.output
        assert sorted(p.name for p in here.iterdir()) == [_output.MANIFEST, "mine.txt", "page.html"]
        assert [p.name for p in (tmp_path / "parent").iterdir()] == ["here"]
    _assert_manifest_vouches(here, foreign=("mine.txt",))


def test_unwritable_places_are_refused(
    runner: CliRunner, recipe: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /proc refuses new folders even to root: the attempt itself fails, with one line.
    line = _refuse(runner, recipe, "/proc/autocity-gis-out")[0]
    assert line.startswith("autocity-gis: error: /proc/autocity-gis-out: ")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="not writable"):
        _output.check_out_folder(blocker / "out")
    # What os.access says decides (root passes it everywhere, so it is simulated here).
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if Path(p) == locked else real_access(p, mode)
    )
    with pytest.raises(OutputError, match="the output folder is not writable"):
        _output.check_out_folder(locked)
    with pytest.raises(OutputError, match="cannot create the output folder"):
        _output.check_out_folder(locked / "a" / "b")


# -- a kill at any instant -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("replace_all", "foreign"),
    [(True, False), (True, True), (False, False), (False, True)],
    ids=["whole-folder", "beside-foreign", "entries", "entries-beside-foreign"],
)
def test_a_kill_at_every_step_leaves_one_complete_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replace_all: bool, foreign: bool
) -> None:
    new_state = NEW if replace_all else {**OLD, **NEW}
    steps = 0
    for k in range(1, 200):
        root = tmp_path / f"k{k}"
        out = root / "out"
        out.mkdir(parents=True)
        if foreign:
            (out / "mine.txt").write_text("user")
        _publish(out, OLD, overwrite=True)
        with monkeypatch.context() as m:
            seen = _dies_at(m, k)
            try:
                _publish(out, NEW, replace_all=replace_all, overwrite=True)
                died = False
            except SystemExit:
                died = True
        _recover_only(out)  # the next run on the folder
        state = _files(out, skip=("mine.txt",))
        assert state in (OLD, new_state), (k, seen)
        if foreign:
            assert (out / "mine.txt").read_text() == "user"
        _assert_manifest_vouches(out, foreign=("mine.txt",) if foreign else ())
        assert sorted(p.name for p in root.iterdir()) == ["out"], (k, seen)
        if not died:
            steps = k - 1
            break
    assert steps >= 8  # journal, renames and clean-up were each interrupted at least once


def test_an_interrupt_during_a_rename_restores_the_old_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C (or a failing rename) at each rename of the swap, with no kill: the run itself
    # puts the old set back before it ends.
    real_rename = os.rename
    calls: list[object] = []
    fail_at = [0]

    def rename(src: object, dst: object) -> None:
        calls.append(src)
        if len(calls) == fail_at[0]:
            raise KeyboardInterrupt
        real_rename(src, dst)  # type: ignore[arg-type]

    for k in (1, 2):  # the old folder moving aside, the new one moving in
        out = tmp_path / f"r{k}" / "out"
        _publish(out, OLD)
        calls.clear()
        fail_at[0] = k
        with monkeypatch.context() as m:
            m.setattr(os, "rename", rename)
            with pytest.raises(KeyboardInterrupt):
                _publish(out, NEW)
        assert _files(out) == OLD
        assert sorted(p.name for p in out.parent.iterdir()) == ["out"]


def test_stale_work_folders_of_a_killed_run_are_removed_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    _publish(out, OLD)
    lookalike = tmp_path / ".out.autocity-gis-stage-0123456789abcdef"
    lookalike.mkdir()
    (lookalike / "user.txt").write_text("not named by any journal")
    with monkeypatch.context() as m:
        _dies_at(m, 4)  # after the staging folder was created
        with pytest.raises(SystemExit):
            _publish(out, NEW)
    leftovers = {p.name for p in tmp_path.iterdir()} - {"out", lookalike.name}
    assert any("stage-" in n for n in leftovers)  # the killed run's staging folder
    _publish(out, NEW)
    assert _files(out) == NEW
    assert {p.name for p in tmp_path.iterdir()} == {"out", lookalike.name}
    assert (lookalike / "user.txt").is_file()


def test_a_journal_never_names_anything_but_work_folders(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _publish(out, OLD)
    precious = tmp_path / "precious"
    precious.mkdir()
    layout = _output.layout_for(out)
    layout.journal.write_text(
        json.dumps(
            {
                "format": "autocity-gis journal",
                "state": "committed",
                "staging": "precious",
                "backup": "../precious",
            }
        )
    )
    _recover_only(out)
    assert precious.is_dir() and _files(out) == OLD
    # A "swapping" journal whose staging folder is gone (deleted by hand): the folder in place
    # is not the one the journal moved in (another inode), so it stays.
    for mode in ("folder", "entries"):
        layout.journal.write_text(
            json.dumps(
                {
                    "format": "autocity-gis journal",
                    "state": "swapping",
                    "mode": mode,
                    "staging": f"{layout.prefix}stage-{'1' * 16}",
                    "backup": f"{layout.prefix}old-{'1' * 16}",
                    "in": ["a.txt", "sub"],
                    "out": [],
                    "ids": {".": [0, 0], "a.txt": [0, 0], "sub": [0, 0]},
                }
            )
        )
        _recover_only(out)
        assert _files(out) == OLD
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "precious"]


def test_a_symlinked_or_foreign_journal_is_refused_not_followed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _publish(out, OLD)
    layout = _output.layout_for(out)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text('{"format": "autocity-gis journal", "state": "committed"}')
    layout.journal.symlink_to(elsewhere)
    with pytest.raises(OutputError, match="not an autocity-gis journal"):
        _publish(out, NEW)
    assert _files(out) == OLD and elsewhere.is_file()
    layout.journal.unlink()
    layout.journal.write_text("not json")
    with pytest.raises(OutputError, match="not an autocity-gis journal"):
        _publish(out, NEW)
    layout.journal.unlink()
    _publish(out, NEW)
    assert _files(out) == NEW


# -- permissions, symlinks, mount points ---------------------------------------------------


def test_permissions_of_an_existing_folder_are_kept(recipe: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    api.build(recipe, out, offline=True, formats=("shp",))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask  # not mkdtemp's 0700
    assert stat.S_IMODE((out / "autocity_shp").stat().st_mode) == 0o777 & ~umask
    out.chmod(0o750)
    api.build(recipe, out, offline=True, formats=("shp",))
    assert stat.S_IMODE(out.stat().st_mode) == 0o750


def test_a_symlinked_out_stays_a_symlink(recipe: Path, tmp_path: Path) -> None:
    real = tmp_path / "disk" / "real-out"
    real.mkdir(parents=True)
    link = tmp_path / "out"
    link.symlink_to(real, target_is_directory=True)
    for _ in range(2):
        api.build(recipe, link, offline=True, formats=("geojson",))
        assert link.is_symlink() and os.readlink(link) == str(real)
        assert (real / "autocity_map.html").is_file()
    _assert_manifest_vouches(real)
    assert sorted(p.name for p in (tmp_path / "disk").iterdir()) == ["real-out"]


def test_a_mount_point_is_filled_entry_by_entry(
    recipe: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "mnt"
    out.mkdir()
    (out / "lost+found").mkdir()  # what a fresh file system holds: foreign, kept
    real_rename = os.rename

    def rename(src: object, dst: object) -> None:
        if Path(os.fspath(src)) == out:  # type: ignore[arg-type]
            raise OSError(errno.EBUSY, "Device or resource busy", str(src))
        real_rename(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "rename", rename)
    # Recognised in advance: work files go inside the mount point.
    monkeypatch.setattr(os.path, "ismount", lambda p: Path(p) == out)
    for _ in range(2):
        api.build(recipe, out, offline=True, formats=("geojson",), overwrite=True)
        assert (out / "autocity_map.html").is_file() and (out / "lost+found").is_dir()
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
        assert not [p for p in out.iterdir() if p.name.startswith(".autocity-gis-")]
    # Not recognised in advance: the whole-folder rename fails and the swap falls back.
    monkeypatch.setattr(os.path, "ismount", lambda p: False)
    (out / "lost+found").rmdir()
    api.build(recipe, out, offline=True, formats=("kml",))
    assert (out / "autocity.kml").is_file() and (out / "boundary.geojson").is_file()
    _assert_manifest_vouches(out)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# -- one run per folder --------------------------------------------------------------------


@contextlib.contextmanager
def _held(target: Path, release_after: float | None = None) -> Iterator[None]:
    layout = _output.layout_for(target)
    ready, release = threading.Event(), threading.Event()

    def hold() -> None:
        with _output.folder_lock(layout, shown=str(target), wait=0, say=print):
            ready.set()
            release.wait(release_after if release_after is not None else 30)

    thread = threading.Thread(target=hold)
    thread.start()
    ready.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join()


def test_a_second_run_gives_up_after_waiting(
    runner: CliRunner, recipe: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    _publish(out, OLD)
    monkeypatch.setenv("AUTOCITY_GIS_LOCK_WAIT", "0.5")
    with _held(out):
        started = time.monotonic()
        result = runner.invoke(cli, ["build", "--recipe", str(recipe), "--out", str(out)])
        assert time.monotonic() - started >= 0.5
    assert result.exit_code == 2
    assert "waiting for another autocity-gis run" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"autocity-gis: error: {out}: another autocity-gis run holds this folder (waited 0.5 s); "
        "try again when it has finished."
    )
    assert _files(out) == OLD
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "parts.geojson") == [
        "out",
        "recipe.toml",
    ]


def test_a_second_run_waits_then_writes(
    runner: CliRunner, recipe: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    monkeypatch.setenv("AUTOCITY_GIS_LOCK_WAIT", "30")
    with _held(out, release_after=1.0):
        result = runner.invoke(
            cli, ["build", "--recipe", str(recipe), "--out", str(out), "--format", "kml"]
        )
    assert result.exit_code == 1, result.output  # written; this recipe's check fails
    assert "waiting for another autocity-gis run" in result.stderr
    assert (out / "autocity.kml").is_file()
    _assert_manifest_vouches(out)


def test_concurrent_sessions_in_threads_never_mix(tmp_path: Path) -> None:
    out = tmp_path / "out"
    sets = [{f"f{i}.txt": f"run {n}" for i in range(5)} for n in range(6)]
    errors: list[BaseException] = []

    def run(files: dict[str, str]) -> None:
        try:
            _publish(out, files)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in sets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _files(out) in sets  # one whole set, never a mix
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# -- real processes ------------------------------------------------------------------------

EXE = Path(sys.executable).with_name("autocity-gis")


def _build_args(recipe: Path, out: Path, fmt: str) -> list[str]:
    return [str(EXE), "build", "-q", "--recipe", str(recipe), "--out", str(out), "--format", fmt]


def test_a_real_sigkill_at_every_step_leaves_one_complete_set(
    recipe: Path, tmp_path: Path
) -> None:
    # Old set: GeoPackage; new set: KML. A SIGKILL at each filesystem step of the replacement
    # (journal writes, renames, clean-up, unlock); then the next run must find one whole set.
    count = tmp_path / "steps.txt"
    out = tmp_path / "probe"
    assert subprocess.run(_build_args(recipe, out, "gpkg"), timeout=120).returncode in (0, 1)
    proc = subprocess.run(
        _build_args(recipe, out, "kml"), env=hook_env(tmp_path, f"count:{count}"), timeout=120
    )
    assert proc.returncode in (0, 1)
    steps = count.read_text().splitlines()
    assert len(steps) >= 10, steps
    for k in range(1, len(steps) + 1):
        out = tmp_path / f"out{k}"
        assert subprocess.run(_build_args(recipe, out, "gpkg"), timeout=120).returncode in (0, 1)
        old = _files(out)
        proc = subprocess.run(
            _build_args(recipe, out, "kml"), env=hook_env(tmp_path, f"kill:{k}"), timeout=120
        )
        assert proc.returncode == -signal.SIGKILL, (k, proc.returncode)
        _recover_only(out)
        state = _files(out)
        if "autocity.kml" in state:
            assert "autocity.gpkg" not in state, k
        else:
            assert state == old, k
        _assert_manifest_vouches(out)
        assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(f".out{k}.")], k


def test_two_processes_on_one_folder_take_turns(recipe: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    procs = [
        subprocess.Popen(_build_args(recipe, out, fmt), stderr=subprocess.PIPE, text=True)
        for fmt in ("gpkg", "kml")
    ]
    results = [(p.wait(timeout=180), p.communicate()[1]) for p in procs]
    assert [rc for rc, _ in results] in ([0, 0], [1, 1]), results
    state = _files(out)
    # One whole set: the GeoPackage build's or the KML build's, never both, never a mix.
    assert ("autocity.gpkg" in state) != ("autocity.kml" in state)
    _assert_manifest_vouches(out)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
