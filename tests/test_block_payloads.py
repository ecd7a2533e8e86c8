"""Text that whole-layer blocks and GeoDataFrame layers bring into outputs stays data.

A block makes names from attribute values (the id value itself when no name column is given),
a stated-area source from the file and column names, and a frame layer is labelled in the
``source`` column; all of it must reach the reports, XML documents, the map's JSON island and
the terminal as inert text, like every other recipe text (see ``test_payloads.py``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pytest
from common import EAST, WEST, run_cli, strict_json, strings_in, xml_documents
from markdown_it import MarkdownIt
from payloads import ALL, text

import autocity_gis as ag
from autocity_gis._text import is_printable_line

pytestmark = pytest.mark.slow


def _check_outputs(out: Path, names: set[str]) -> None:
    report = strict_json((out / "report.json").read_text(encoding="utf-8"))
    assert isinstance(report, dict)
    assert {c["name_en"] for c in report["components"]} == names
    for name, doc in xml_documents(out).items():
        ET.fromstring(doc.encode("utf-8"))
        assert "<script" not in doc and "<img" not in doc, name
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "\x1b" not in markdown
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or ()}
    assert not kinds & {"link_open", "image", "html_inline", "html_block"}, kinds
    page = (out / "autocity_map.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    start = page.index('<script type="application/json" id="acg-data">')
    island = page[page.index(">", start) + 1 : page.index("</script>", start)]
    assert names <= strings_in(strict_json(island))


def test_block_values_as_names_through_the_console_script(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    values = [text("value w"), text("value e")]
    gpd.GeoDataFrame(
        {"zone": values, "area": [80.0, 80.0]}, geometry=[WEST, EAST], crs=4326
    ).to_file(data / "zones.geojson", driver="GeoJSON")
    source = text("stated_area_source").replace("\\", "\\\\").replace('"', '\\"')
    source = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in source)
    (data / "r.toml").write_text(
        '[city]\nname_en = "Blocks"\ntarget_km2 = 160\ntolerance_pct = 50\n'
        '[defaults]\nlayer = "zones.geojson"\n'
        f'[[components]]\nid_column = "zone"\nstated_area_column = "area"\n'
        f'stated_area_source = "{source}"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    proc = run_cli("build", "--recipe", str(data / "r.toml"), "--out", str(out))
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    for line in (proc.stdout + proc.stderr).splitlines():
        assert is_printable_line(line), repr(line)
    _check_outputs(out, set(values))
    report = strict_json((out / "report.json").read_text(encoding="utf-8"))
    assert isinstance(report, dict)
    ids = [c["id"] for c in report["components"]]
    assert all(i.isascii() and i.replace("_", "").replace("-", "").isalnum() for i in ids)


def test_frame_layers_and_their_names_through_the_api(tmp_path: Path) -> None:
    names = {text("frame name w"), text("frame name e")}
    frame = gpd.GeoDataFrame(
        {"code": ["w", "e"], "name": sorted(names), "name_cn": [ALL, ALL]},
        geometry=[WEST, EAST],
        crs=4326,
    )
    recipe = {
        "city": {"name_en": ALL, "name_zh": ALL, "target_km2": 160.0, "tolerance_pct": 50.0},
        "components": [
            {
                "layer": frame,
                "id_column": "code",
                "name_en_column": "name",
                "name_zh_column": "name_cn",
            }
        ],
    }
    ag.build(recipe, out=tmp_path / "out")
    _check_outputs(tmp_path / "out", names)
