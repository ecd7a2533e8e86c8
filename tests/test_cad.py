"""CAD drawings in: DXF closed polylines and hatches on Chinese-named layers compose as areas.

Drawings are made in code with ezdxf, the way design institutes deliver them: Gauss–Krüger
metres (EPSG:4551, CM 126°E) and no CRS, layer names in the drawing's code page (GBK bytes in an
AutoCAD 2000 file, UTF-8 in a 2010 one, or AutoCAD's ``\\U+`` escapes). Areas are checked against
pyproj.Geod on the same outline transformed independently.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import ezdxf
import pyogrio
import pytest
from click.testing import CliRunner
from common import GK_NEIGHBOUR, GK_ZONE, geod_km2, gk_reference_km2

from autocity_gis import api
from autocity_gis._errors import LayerError
from autocity_gis.cli import cli

ZONE, NEIGHBOUR = GK_ZONE, GK_NEIGHBOUR
HATCHED = [(446000, 4860000), (449000, 4860000), (449000, 4862000)]
reference_km2 = gk_reference_km2


def drawing(folder: Path, version: str, *, gbk_bytes: bool = False) -> Path:
    """Write zones.dxf: two closed polylines, a hatch, a label and an open polyline."""
    doc = ezdxf.new(version)
    for name in ("汽开区", "西新", "道路"):
        doc.layers.add(name)
    msp = doc.modelspace()
    msp.add_lwpolyline(ZONE, close=True, dxfattribs={"layer": "汽开区"})
    msp.add_lwpolyline(NEIGHBOUR, close=True, dxfattribs={"layer": "西新"})
    hatch = msp.add_hatch(dxfattribs={"layer": "西新"})
    hatch.paths.add_polyline_path(HATCHED, is_closed=True)
    msp.add_text("西新工业集中区", dxfattribs={"layer": "西新"}).set_placement((438000, 4862000))
    msp.add_lwpolyline([(437000, 4859000), (449000, 4859000)], dxfattribs={"layer": "道路"})
    path = folder / "zones.dxf"
    # A Chinese AutoCAD 2000 writes GBK bytes; ezdxf otherwise writes AutoCAD's \U+ escapes
    # (AutoCAD 2007 and later: UTF-8). The header names the Chinese code page either way.
    doc.saveas(path, encoding="gbk" if gbk_bytes else None)
    raw = path.read_bytes()
    assert ("汽开区".encode("gbk") in raw) == gbk_bytes
    path.write_bytes(raw.replace(b"ANSI_1252", b"ANSI_936"))
    return path


def recipe(folder: Path, layer: str = "zones.dxf", cad_layer: str = "汽开区") -> Path:
    path = folder / "recipe.toml"
    path.write_text(
        f"""
[city]
name_en = "CAD test"
target_km2 = 24.0
tolerance_pct = 1.0

[[components]]
id = "zone"
name_en = "Zone"
layer = "{layer}"
filter = {{ Layer = "{cad_layer}" }}
crs = "EPSG:4551"
""",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("version", "gbk_bytes"),
    [("R2000", True), ("R2000", False), ("R2010", False)],
    ids=["2000-gbk-bytes", "2000-unicode-escapes", "2010-utf8"],
)
def test_closed_polylines_on_chinese_layers_compose(
    tmp_path: Path, version: str, gbk_bytes: bool
) -> None:
    drawing(tmp_path, version, gbk_bytes=gbk_bytes)
    environ = dict(os.environ)
    _, _, report = api.check(recipe(tmp_path))  # the filter names the layer in Chinese
    assert report.composed_km2 == pytest.approx(reference_km2(ZONE), rel=1e-6)
    assert report.composed_km2 == pytest.approx(24.0, rel=2e-3)  # plane 24 km², GK scale
    # No environment variable was needed or left behind, and GDAL's options are restored.
    assert dict(os.environ) == environ
    assert pyogrio.get_gdal_config_option("DXF_CLOSED_LINE_AS_POLYGON") is None
    assert pyogrio.get_gdal_config_option("DXF_ENCODING") is None
    assert any("open polyline" in w and "道路" in w for w in report.warnings), report.warnings


def test_hatch_reads_as_a_polygon(tmp_path: Path) -> None:
    drawing(tmp_path, "R2000", gbk_bytes=True)
    _, composition, report = api.check(recipe(tmp_path, cad_layer="西新"))
    assert report.composed_km2 == pytest.approx(
        reference_km2(NEIGHBOUR) + reference_km2(HATCHED), rel=1e-6
    )
    assert len(composition.components) == 1


def test_recipe_encoding_overrides_the_drawing(tmp_path: Path) -> None:
    path = drawing(tmp_path, "R2000", gbk_bytes=True)
    # A drawing whose header names no code page: the recipe's encoding decides.
    path.write_bytes(path.read_bytes().replace(b"ANSI_936", b"ANSI_1252"))
    text = recipe(tmp_path).read_text(encoding="utf-8")
    recipe(tmp_path).write_text(
        text.replace('crs = "EPSG:4551"', 'crs = "EPSG:4551"\nencoding = "GBK"'),
        encoding="utf-8",
    )
    _, _, report = api.check(tmp_path / "recipe.toml")
    assert report.composed_km2 == pytest.approx(reference_km2(ZONE), rel=1e-6)


def test_wrong_cad_layer_lists_the_layers_present(tmp_path: Path) -> None:
    drawing(tmp_path, "R2010")
    with pytest.raises(LayerError) as info:
        api.check(recipe(tmp_path, cad_layer="汽车区"))
    message = str(info.value)
    assert "\n" not in message
    assert "汽开区" in message and "西新" in message


def test_dwg_is_refused_with_how_to_convert(tmp_path: Path) -> None:
    (tmp_path / "zones.dwg").write_bytes(b"AC1032" + bytes(200))
    result = CliRunner().invoke(
        cli, ["validate", "-q", "--recipe", str(recipe(tmp_path, layer="zones.dwg"))]
    )
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DWG" in lines[0] and "DXF" in lines[0] and "Traceback" not in result.output


# -- CAD out ---------------------------------------------------------------------------------


def test_dxf_hand_off_opens_in_ezdxf_and_reads_back_with_the_same_areas(tmp_path: Path) -> None:
    from autocity_gis._gdal import read_file
    from autocity_gis.cad import cad_text, decode_escapes, write_dxf

    drawing(tmp_path, "R2010")
    hostile = "Zone 50% %%d \\U+0041 {{x}} </script>\x1b[31m"
    text = recipe(tmp_path).read_text(encoding="utf-8").replace(
        'name_en = "Zone"', f'name_en = "Zone"\nname_zh = {json.dumps(hostile)}'
    )
    (tmp_path / "recipe.toml").write_text(text, encoding="utf-8")
    _, composition, report = api.check(tmp_path / "recipe.toml")
    from autocity_gis.handoff import layer_frames

    frames = layer_frames(composition, report)
    target = write_dxf(frames, tmp_path / "out" / "autocity.dxf", crs="EPSG:4551")

    doc = ezdxf.readfile(target)
    assert doc.dxfversion == "AC1024"
    names = {layer.dxf.name for layer in doc.layers}
    assert {"components", "boundary", "components-labels", "info"} <= names
    msp = doc.modelspace()
    outlines = msp.query("LWPOLYLINE")
    assert {e.dxf.layer for e in outlines} == {"components", "boundary"}
    assert all(e.closed for e in outlines)
    # The drawing is in EPSG:4551 metres: the zone's corners come back as drawn.
    corners = {(round(x), round(y)) for e in outlines for x, y, *_ in e.get_points()}
    assert set(ZONE) <= corners
    labels = [e for e in msp.query("TEXT") if e.dxf.layer == "components-labels"]
    assert [decode_escapes(e.plain_text()) for e in labels] == [
        decode_escapes(cad_text(hostile).replace("%%%", "%"))
    ]
    assert "\x1b" not in labels[0].dxf.text
    info = [e.plain_text() for e in msp.query("TEXT") if e.dxf.layer == "info"]
    assert info and "EPSG:4551" in info[0]

    # GDAL reads the hand-off back as areas (closed polylines) with the same geodesic area.
    back = read_file(target, root=target.parent)
    zone = back.frame[back.frame["Layer"] == "components"].set_crs(4551)
    assert geod_km2(zone.to_crs(4326).geometry.iloc[0]) == pytest.approx(
        report.composed_km2, rel=1e-5
    )


def test_dxf_needs_a_projected_crs(tmp_path: Path) -> None:
    from autocity_gis.cad import write_dxf

    with pytest.raises(ValueError, match="projected CRS"):
        write_dxf({}, tmp_path / "x.dxf", crs="EPSG:4326")


def test_export_format_dxf_through_the_command_line(tmp_path: Path) -> None:
    drawing(tmp_path, "R2010")
    out = tmp_path / "handoff"
    args = ["export", "-q", "--recipe", str(recipe(tmp_path)), "--out", str(out)]
    result = CliRunner().invoke(cli, [*args, "--format", "dxf"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["autocity.dxf"]
    doc = ezdxf.readfile(out / "autocity.dxf")
    corners = {
        (round(x), round(y))
        for e in doc.modelspace().query("LWPOLYLINE")
        if e.dxf.layer == "components"
        for x, y, *_ in e.get_points()
    }
    assert set(ZONE) <= corners  # drawn in EPSG:4551, the zone of the data
    # A build without --format writes no DXF (it is for those who ask).
    built = api.build(recipe(tmp_path), tmp_path / "built")
    assert not any(p.suffix == ".dxf" for p in built.files)
