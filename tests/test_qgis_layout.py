"""The print layout measured in real QGIS: fonts, legibility, placement, legend, labels; and
``export --format pdf/png`` rendered through QGIS (or refused in one line without it).

``tests/qgis_layout_probe.py`` loads the project under the system ``/usr/bin/python3`` with
PyQGIS offscreen and reports what QGIS logged, laid out and drew; this side asserts against
fontconfig (``fc-list``), Qt's own rendering of the same text, and the PDF/PNG formats.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from common import ARTIFACTS, SYSTEM_PYTHON, has_pyqgis, make_fixture, need

from autocity_gis import _export as export

pytestmark = pytest.mark.qgis

PROBE = Path(__file__).with_name("qgis_layout_probe.py")


def _fc_families(pattern: str) -> set[str]:
    """Every family name fontconfig lists for ``pattern`` (all localised names)."""
    fc_list = shutil.which("fc-list")
    need(fc_list is not None, "fc-list not found (apt install fontconfig)")
    run = subprocess.run([str(fc_list), pattern, "family"], capture_output=True, text=True,
                         timeout=30)
    return {name.strip() for line in run.stdout.splitlines() for name in line.split(",")}


def _probe(folder: Path, png: Path) -> dict:
    need(has_pyqgis(), f"PyQGIS not importable by {SYSTEM_PYTHON} (apt install python3-qgis)")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(folder)}
    for var in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(var, None)
    run = subprocess.run([SYSTEM_PYTHON, str(PROBE), str(folder / "autocity.qgs"), str(png)],
                         capture_output=True, text=True, env=env, timeout=180, cwd=folder)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module", params=["zh", "en"])
def seen(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp(f"layout_{request.param}")
    folder.chmod(0o700)  # Qt wants a private XDG_RUNTIME_DIR
    comp, report = make_fixture()
    export.export_all(comp, report, folder, formats=("gpkg", "qgs"), crs="EPSG:4551",
                      lang=request.param)
    ARTIFACTS.mkdir(exist_ok=True)
    return _probe(folder, ARTIFACTS / f"qgis_layout_probe_{request.param}.png")


def test_item_type_enum_is_qgis_own(seen: dict) -> None:
    from autocity_gis.qgis import ItemType

    assert seen["item_types"] == {t.name: int(t) for t in ItemType}


def test_layout_font_prefers_a_bold_capable_family(monkeypatch: pytest.MonkeyPatch) -> None:
    from autocity_gis.qgis import fonts

    listed = ["WenQuanYi Micro Hei,文泉驿微米黑:style=Regular",
              "Noto Sans CJK SC,Noto Sans CJK SC Bold:style=Bold",
              "Noto Sans CJK SC:style=Regular"]
    monkeypatch.setattr(fonts, "_fc_list", lambda _pattern: listed)
    fonts.layout_font.cache_clear()
    try:
        noto = fonts.layout_font()
        assert (noto.family, noto.has_bold, noto.weight(bold=True)) == (
            "Noto Sans CJK SC", True, fonts.BOLD)
        monkeypatch.setattr(fonts, "_fc_list", lambda _pattern: listed[:1])
        fonts.layout_font.cache_clear()
        wqy = fonts.layout_font()
        # no bold face: asked-for bold stays regular, never Qt's smeared fake bold
        assert (wqy.family, wqy.weight(bold=True)) == ("WenQuanYi Micro Hei", fonts.REGULAR)
        assert wqy.description(18, bold=True) == "WenQuanYi Micro Hei,18,-1,5,50,0,0,0,0,0"
        monkeypatch.setattr(fonts, "_fc_list", lambda _pattern: [])
        fonts.layout_font.cache_clear()
        assert fonts.layout_font().family == fonts.CJK_FAMILIES[0]  # QGIS substitutes there
    finally:
        fonts.layout_font.cache_clear()


def test_project_loads_without_font_warnings(seen: dict) -> None:
    assert seen["read"] is True
    assert not [m for m in seen["messages"] if "font" in m.lower()], seen["messages"]


def test_every_text_is_in_a_cjk_family_the_machine_has(seen: dict) -> None:
    cjk = _fc_families(":lang=zh")
    assert seen["title"]["family"] in cjk
    assert set(seen["label_fonts"].values()) <= cjk
    assert {lyr["family"] for lyr in seen["labels"].values()} <= cjk


def test_no_fake_bold(seen: dict) -> None:
    family = seen["title"]["family"]
    bold_faces = _fc_families(f"{family}:style=Bold")
    if family not in bold_faces:
        assert seen["title"]["bold"] is False
    assert not any(lyr["bold"] for lyr in seen["labels"].values())


def test_title_is_legible_at_80_dpi(seen: dict) -> None:
    """The title's ink on the page looks like Qt's regular rendering of it, not a blob.

    Fake bold on a face without bold merges strokes: far more dark pixels in fewer blobs.
    """
    got, regular, bold = seen["title_ink"], seen["reference_regular"], seen["reference_bold"]
    assert seen["export_status"] == 0
    assert got["dark"] == pytest.approx(regular["dark"], rel=0.25)
    assert abs(got["dark"] - regular["dark"]) < abs(got["dark"] - bold["dark"])
    assert got["blobs"] >= 0.7 * regular["blobs"]


def _intersect(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_items_do_not_collide_and_stay_on_the_page(seen: dict) -> None:
    rects = seen["rects"]
    assert not _intersect(rects["scalebar"], rects["north_arrow"])
    for name in ("legend", "scalebar", "north_arrow"):
        assert not _intersect(rects["map"], rects[name]), name
    assert not _intersect(rects["legend"], rects["scalebar"])
    assert not _intersect(rects["legend"], rects["north_arrow"])
    for name, (x0, y0, x1, y1) in rects.items():
        assert 0 <= x0 < x1 <= 297 and 0 <= y0 < y1 <= 210, name


def test_labels_are_kept_inside_their_polygons(seen: dict) -> None:
    for layer in ("components", "admin_units"):
        settings = seen["labels"][layer]
        assert settings["horizontal"] and settings["fit_in_polygon_only"], layer
    placed = seen["placed"]
    assert {p["layer"] for p in placed} == {"components", "admin_units"}
    assert all(p["inside"] for p in placed), placed


def test_county_names_label_the_map(seen: dict) -> None:
    comp, _ = make_fixture()
    counties = set(comp.context["name_zh"]) | set(comp.context["name_en"])
    shown = {p["text"] for p in seen["placed"] if p["layer"] == "admin_units"}
    assert shown and shown <= counties


def test_legend_never_repeats_a_group_as_its_layer(seen: dict) -> None:
    groups, layers = seen["legend_groups"], seen["legend_layers"]
    assert not set(groups) & set(layers)
    assert len(set(layers)) == len(layers)


# ----------------------------------------------------------------------------- pdf / png


def _png_pixels(data: bytes) -> tuple[int, int]:
    """Decode a PNG's structure with the standard library: chunks, CRCs, image data size."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert header is not None
    width, height, depth, colour = header[:4]
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    row = 1 + (width * channels * depth + 7) // 8
    assert len(zlib.decompress(idat)) == height * row
    return width, height


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("autocity-gis")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env,
                          timeout=600)


def test_export_pdf_and_png_render_the_layout(tmp_path: Path) -> None:
    need(has_pyqgis(), f"PyQGIS not importable by {SYSTEM_PYTHON} (apt install python3-qgis)")
    out = tmp_path / "out"
    run = _cli(["export", "--out", str(out), "--format", "pdf", "--format", "png", "--lang",
                "zh"], {**os.environ, "PYTHONWARNINGS": "ignore"})
    assert run.returncode == 0, run.stderr
    assert (out / "autocity.pdf").read_bytes()[:5] == b"%PDF-"
    width, height = _png_pixels((out / "autocity.png").read_bytes())
    assert width > height > 500  # A4 landscape
    # only what was asked for: the project it was rendered from stays out of --out
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "autocity.pdf", "autocity.png"]


def test_export_pdf_without_qgis_says_so_in_one_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "AUTOCITY_QGIS_PYTHON": str(tmp_path / "no-python")}
    run = _cli(["export", "--out", str(out), "--format", "pdf"], env)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "QGIS" in lines[0] and "--format pdf" in lines[0], run.stderr
    assert not out.exists() or not [p for p in out.iterdir() if not p.name.startswith(".")]


def test_long_names_shrink_the_legend_above_the_north_arrow(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    import dataclasses

    folder = tmp_path_factory.mktemp("layout_long")
    folder.chmod(0o700)
    comp, report = make_fixture()
    components = comp.components.copy()
    words = "Industrial Concentration and Technological Development Zone of the Northern Lakes"
    components["name_en"] = [f"{n} {words} {words} {words} {n}" for n in "ABC"]
    comp = dataclasses.replace(comp, components=components)
    export.export_all(comp, report, folder, formats=("gpkg", "qgs"), crs="EPSG:4551")
    rects = _probe(folder, folder / "layout.png")["rects"]
    # one column at full size would reach ~180 mm: the fonts shrink so the legend ends above
    assert rects["legend"][3] < rects["north_arrow"][1]
    assert not _intersect(rects["legend"], rects["scalebar"])
