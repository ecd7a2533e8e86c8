"""Hostile input (issue #5): every case in ``tests/hostile`` gets exit 2 and one line, or a
repaired result with the repair in the report; builds are atomic; user text is escaped."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pyogrio
import pytest
from click.testing import CliRunner
from common import EAST, WEST, geod_km2
from hostile.corpus import CASES, component, two_cells, write_recipe

from autocity_gis import api
from autocity_gis._errors import LayerError, OutputError
from autocity_gis.cli import cli
from autocity_gis.layers import read_layer
from autocity_gis.recipe import load_recipe


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_case(runner: CliRunner, tmp_path: Path, name: str) -> None:
    case = CASES[name]
    recipe = case.build(tmp_path)
    result = runner.invoke(cli, ["validate", "--json", "--recipe", str(recipe)])
    assert "Traceback" not in result.output + result.stderr
    if case.kind == "error":
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith("autocity-gis: error: ")
        assert case.expect in lines[0]
        assert str(tmp_path) in lines[0] or ".gpkg" in lines[0] or ".shp" in lines[0]
    else:
        assert result.exit_code in (0, 1), result.stderr
        warnings = json.loads(result.stdout)["warnings"]
        assert any(case.expect in w for w in warnings), warnings


def test_console_script_swapped_axes(tmp_path: Path) -> None:
    recipe = CASES["swapped_lat_lon"].build(tmp_path)
    exe = Path(sys.executable).with_name("autocity-gis")
    proc = subprocess.run(
        [str(exe), "validate", "-q", "--recipe", str(recipe)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"autocity-gis: error: {tmp_path / 'parts.gpkg'}: the axis order is swapped (x holds "
        "the latitude or northing, y the longitude or easting): with the axes exchanged the "
        "layer falls in China, as given it does not; write x = longitude/easting and "
        "y = latitude/northing (EPSG:4326)."
    ]


def test_gbk_shapefile_reads_with_the_recipe_encoding(tmp_path: Path) -> None:
    CASES["gbk_shapefile"].build(tmp_path)
    for spelling in ("GBK", "cp936", "gb18030"):
        recipe = write_recipe(
            tmp_path, [component("w", "parts.shp", filter_id="w", encoding=spelling)]
        )
        source = load_recipe(recipe).components[0].source
        assert source is not None
        layer = read_layer(source)
        assert layer.frame["name_zh"].tolist() == ["西区"]


def test_utf8_shapefile_without_cpg_is_caught(tmp_path: Path) -> None:
    path = two_cells(tmp_path, "parts.shp")
    path.with_suffix(".cpg").unlink()
    recipe = write_recipe(tmp_path, [component("w", "parts.shp", filter_id="w")])
    source = load_recipe(recipe).components[0].source
    assert source is not None
    with pytest.raises(
        LayerError, match=r'which is UTF-8 text decoded as .*add encoding = "UTF-8"'
    ):
        read_layer(source)


def test_latin_names_are_not_mistaken_for_mojibake(tmp_path: Path) -> None:
    path = two_cells(tmp_path, "parts.shp")
    frame = pyogrio.read_dataframe(path)
    frame["name_zh"] = ["Zürich Müßig", "Crème brûlée à l'île"]
    for sidecar in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        path.with_suffix(sidecar).unlink(missing_ok=True)
    pyogrio.write_dataframe(frame, path, encoding="latin1")
    path.with_suffix(".cpg").unlink()
    recipe = write_recipe(tmp_path, [component("w", "parts.shp", filter_id="w")])
    source = load_recipe(recipe).components[0].source
    assert source is not None
    assert read_layer(source).frame["name_zh"].tolist() == ["Zürich Müßig"]


def test_correct_datums_raise_no_datum_warning(tmp_path: Path) -> None:
    # The control for the GCJ-02 cases: borders that match as declared stay silent.
    from hostile.corpus import context_layer

    recipe = write_recipe(
        tmp_path,
        [
            component("w", two_cells(tmp_path).name, filter_id="w"),
            component("e", "parts.gpkg", filter_id="e"),
        ],
        context=context_layer(tmp_path),
    )
    _, _, report = api.check(recipe)
    assert not [w for w in report.warnings if "datum" in w or "declared" in w]


def test_multi_part_component_keeps_every_part(tmp_path: Path) -> None:
    import shapely

    multi = shapely.MultiPolygon([WEST, shapely.affinity.translate(EAST, 0.05, 0.0)])
    layer = two_cells(tmp_path, w=multi)
    recipe = write_recipe(tmp_path, [component("w", layer.name, filter_id="w")])
    _, composition, _ = api.check(recipe)
    got = composition.components.measured_km2.iloc[0]
    assert got == pytest.approx(geod_km2(WEST) + geod_km2(EAST), rel=1e-6)


# -- output folders -----------------------------------------------------------------------


def _good_recipe(tmp_path: Path) -> Path:
    layer = two_cells(tmp_path)
    return write_recipe(
        tmp_path,
        [component("w", layer.name, filter_id="w"), component("e", layer.name, filter_id="e")],
    )


def test_output_under_an_unwritable_place_is_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    recipe = _good_recipe(tmp_path)
    # /proc refuses new folders even to root, so this holds for every CI user.
    result = runner.invoke(
        cli, ["build", "-q", "--recipe", str(recipe), "--out", "/proc/autocity-x"]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("autocity-gis: error: /proc")
    assert "Traceback" not in result.output + result.stderr
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = runner.invoke(
        cli, ["build", "-q", "--recipe", str(recipe), "--out", str(blocker / "out")]
    )
    assert result.exit_code == 2
    assert "autocity-gis: error: " in result.stderr and "Traceback" not in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_folder_is_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    recipe = _good_recipe(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        result = runner.invoke(cli, ["build", "--recipe", str(recipe), "--out", str(out)])
    finally:
        out.chmod(0o755)
    assert result.exit_code == 2
    assert "the output folder is not writable" in result.stderr


def test_read_only_output_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same check for root, who may write anywhere: os.access is what decides.
    recipe = _good_recipe(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if Path(p) == out else real_access(p, mode)
    )
    with pytest.raises(OutputError, match="the output folder is not writable"):
        api.build(recipe, out, offline=True)


def _listing(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize(
    "failure",
    [KeyboardInterrupt(), OSError(errno.ENOSPC, "No space left on device"), RuntimeError("bug")],
    ids=["interrupt", "disk-full", "bug"],
)
def test_failed_build_keeps_the_previous_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    from autocity_gis import _export as export

    recipe = _good_recipe(tmp_path)
    out = tmp_path / "out"
    api.build(recipe, out, offline=True, formats=("gpkg",))
    before = _listing(out)
    assert "report.json" in before and "autocity.gpkg" in before

    real = export.export_all

    def export_then_fail(*args: object, **kwargs: object) -> list[Path]:
        real(*args, **kwargs)  # type: ignore[arg-type]
        raise failure

    monkeypatch.setattr(export, "export_all", export_then_fail)
    expected = OutputError if isinstance(failure, OSError) else type(failure)
    with pytest.raises(expected):
        api.build(recipe, out, offline=True, formats=("gpkg",))
    assert _listing(out) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_interrupt_between_the_two_renames_restores_the_old_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipe = _good_recipe(tmp_path)
    out = tmp_path / "out"
    api.build(recipe, out, offline=True, formats=("gpkg",))
    before = _listing(out)
    real_rename = Path.rename
    calls = []

    def rename(self: Path, target: Path) -> Path:
        calls.append(self)
        if len(calls) == 2:  # the staging folder moving into place
            raise KeyboardInterrupt
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        api.build(recipe, out, offline=True, formats=("gpkg",))
    monkeypatch.undo()
    assert _listing(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_failed_first_build_leaves_nothing(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from autocity_gis import webmap

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(webmap, "write_map", boom)
    recipe = _good_recipe(tmp_path)
    args = ["build", "-q", "--recipe", str(recipe), "--out", str(tmp_path / "o")]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"autocity-gis: error: {tmp_path / 'o'}: cannot write the outputs (Read-only file "
        "system); the folder was left as it was."
    ]
    assert not (tmp_path / "o").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# -- injection ----------------------------------------------------------------------------

XSS = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(2)</script>"
HOSTILE = f"{XSS} \"quoted\" 'single' & {SCRIPT}\nsecond line"
LONG = "长" * 3000 + XSS


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


@pytest.fixture
def hostile_build(tmp_path: Path) -> Path:
    layer = two_cells(tmp_path)
    frame = pyogrio.read_dataframe(layer)
    frame["name_zh"] = [HOSTILE, LONG]
    layer.unlink()
    pyogrio.write_dataframe(frame, layer)
    city = (
        "[city]\n"
        f"name_en = {json.dumps(HOSTILE)}\n"
        f"name_zh = {json.dumps(LONG)}\n"
        "target_km2 = 200.0\ntolerance_pct = 5.0\n"
    )
    recipe = write_recipe(
        tmp_path,
        [
            component("w", layer.name, filter_id="w", name_en=HOSTILE, stated_area_source=LONG),
            component("e", layer.name, filter_id="e", name_en=LONG),
            {"id": "gone", "name_en": HOSTILE, "missing_reason": HOSTILE},
        ],
        city=city,
    )
    out = tmp_path / "out"
    # Shapefiles cut text at 254 bytes: see test_long_values_in_a_shapefile_are_reported.
    api.build(recipe, out, offline=True, formats=("gpkg", "qgs", "geojson", "kml"))
    return out


def test_hostile_names_are_escaped_in_the_map(hostile_build: Path) -> None:
    html = (hostile_build / api.MAP_NAME).read_text(encoding="utf-8")
    assert XSS not in html
    assert "<script>alert(2)" not in html
    dom = _Dom()
    dom.feed(html)
    assert not [t for t, a in dom.tags if t == "img" and "onerror" in a]
    assert not [s for s in dom.scripts if s.strip() == "alert(2)"]


def test_hostile_names_are_escaped_in_the_report(hostile_build: Path) -> None:
    md = (hostile_build / "report.md").read_text(encoding="utf-8")
    assert XSS not in md and "<script>" not in md
    from markdown_it import MarkdownIt  # the rendered page is the truth, not the source

    html = MarkdownIt("commonmark").enable("table").render(md)
    assert "<img" not in html and "<script" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    title = md.splitlines()[0]
    assert "second line" in title  # the newline did not break the heading
    data = json.loads((hostile_build / "report.json").read_text(encoding="utf-8"))
    assert data["name_en"] == HOSTILE and data["name_zh"] == LONG
    assert {c["name_en"] for c in data["components"]} == {HOSTILE, LONG}


def test_hostile_names_round_trip_through_gpkg_and_qgs(hostile_build: Path) -> None:
    gpkg = hostile_build / "autocity.gpkg"
    found = set()
    for name, _ in pyogrio.list_layers(gpkg):
        info = pyogrio.read_info(gpkg, layer=name)
        if "name_en" in info["fields"]:
            frame = pyogrio.read_dataframe(gpkg, layer=name, read_geometry=False)
            found |= set(frame["name_en"]) | set(frame.get("name_zh", []))
    assert HOSTILE in found and LONG in found
    qgs = hostile_build / "autocity.qgs"
    raw = qgs.read_text(encoding="utf-8")
    assert XSS not in raw  # markup characters are entity-escaped in the XML
    root = ET.parse(qgs).getroot()
    texts = [t for el in root.iter() for t in (el.text or "", *el.attrib.values())]
    # Layout labels may wrap long text onto lines; the characters themselves must survive.
    with_xss = [" ".join(t.split()) for t in texts if "onerror=alert(1)" in t]
    assert with_xss and all(XSS in t for t in with_xss), with_xss


def test_long_values_in_a_shapefile_are_reported(tmp_path: Path) -> None:
    import warnings

    layer = two_cells(tmp_path)
    recipe = write_recipe(
        tmp_path,
        [component("w", layer.name, filter_id="w", name_en=LONG)],
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = api.build(recipe, tmp_path / "out", offline=True, formats=("shp",))
    assert not caught, [str(w.message)[:80] for w in caught]
    assert any("254" in w or "truncat" in w for w in result.warnings)
