"""End to end: a recipe and layers whose every text field is hostile build to safe outputs.

Every text a recipe or a layer can carry -- names, sources, dates, reasons, attribute values --
holds template, HTML, script, XML, Markdown and terminal payloads at once. The build must run
none of them, write outputs that strict parsers accept, keep the text literally where the output
carries text, and print nothing a terminal would interpret. The unit tests of each writer check
the details; this is the whole path through the console script, as a planner would run it.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pytest
from common import EAST, SOUTH, WEST, run_cli, strict_json, strings_in, xml_documents
from markdown_it import MarkdownIt

from autocity_gis._text import is_printable_line

pytestmark = pytest.mark.slow


def payload(marker: Path) -> str:
    """One string that tries every trick at once; ``marker`` is created if a template runs."""
    return "".join(
        [
            "Plan {{phase}} {{7*7}} {% raw %}{%",
            " {{ lipsum.__globals__.os.popen('touch " + str(marker) + "').read() }}",
            " {# c #} ${1} `tick`",
            ' <img src=x onerror="window.__pwned=1"> "\'><b>bold</b>',
            " </script><script>window.__pwned=1</script> <!-- ]]> &amp; &",
            " @import url(http://127.0.0.1:9/x.css); url(x)",
            " [link](http://127.0.0.1:9/) ![img](http://127.0.0.1:9/i.png) | * _ #",
            " \x1b[2J\x1b[31mred\x07 bell\r\n newline\u202e RTL\x01\x1f\x7f\ufffe end",
        ]
    )


def build_hostile(folder: Path, marker: Path) -> Path:
    """Write layers and a recipe whose every text field carries :func:`payload`."""
    text = payload(marker)
    attrs = {
        "name_zh": "区" + text,
        "kind": text,
        "accuracy": "official",
        "method": text,
        "source": text,
        "datum": "WGS84",
        "date": text,
        "note": text,
    }
    parts = gpd.GeoDataFrame(
        [
            {"id": "west", **attrs, "geometry": WEST},
            {"id": "east", **attrs, "geometry": EAST},
        ],
        crs=4326,
    )
    parts.to_file(folder / "parts.geojson", driver="GeoJSON")
    context = gpd.GeoDataFrame(
        [
            {
                "adcode": text,
                "name_zh": text,
                "name_en": text,
                "source": text,
                "date": text,
                "datum": "WGS84",
                "accuracy": "official",
                "geometry": SOUTH,
            }
        ],
        crs=4326,
    )
    context.to_file(folder / "context.geojson", driver="GeoJSON")
    toml = json.dumps(text)  # a JSON string literal is a valid TOML basic string
    recipe = folder / "recipe.toml"
    recipe.write_text(
        f"""
[city]
name_en = {toml}
name_zh = {toml}
target_km2 = 170.0
target_source = {toml}
tolerance_pct = 1.0

[context]
layer = "context.geojson"

[[components]]
id = "west"
name_en = {toml}
name_zh = {toml}
layer = "parts.geojson"
filter = {{ id = "west" }}
stated_area_km2 = 90.0
stated_area_source = {toml}

[[components]]
id = "east"
name_en = {toml}
name_zh = {toml}
layer = "parts.geojson"
filter = {{ id = "east" }}
stated_area_km2 = 80.0
stated_area_source = {toml}

[[components]]
id = "nowhere"
name_en = {toml}
name_zh = {toml}
stated_area_km2 = 5.0
stated_area_source = {toml}
missing_reason = {toml}
""",
        encoding="utf-8",
    )
    return recipe


@pytest.mark.parametrize("options", [(), ("--offline", "--lang", "zh")], ids=["online", "zh"])
def test_hostile_text_everywhere(tmp_path: Path, options: tuple[str, ...]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    marker = tmp_path / "template-ran"
    recipe = build_hostile(data, marker)
    text = payload(marker)
    out = tmp_path / "out"

    proc = run_cli("build", "--recipe", str(recipe), "--out", str(out), *options)

    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not marker.exists(), "a template in the data ran"
    for line in (proc.stdout + proc.stderr).splitlines():
        assert is_printable_line(line), repr(line)

    # Strict parsers accept every output, and the text comes back exactly where it is data.
    report = strict_json((out / "report.json").read_text(encoding="utf-8"))
    assert isinstance(report, dict)
    assert report["name_en"] == text
    assert {c["name_en"] for c in report["components"]} == {text}
    docs = xml_documents(out)
    assert {".qgs", ".kml", ".qml", ".sld"} <= {Path(name).suffix for name in docs}
    for name, doc in docs.items():
        ET.fromstring(doc.encode("utf-8"))  # raises on anything malformed: names the file
        assert "<script" not in doc and "<img" not in doc, name
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "\x1b" not in markdown
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or ()}
    assert not kinds & {"link_open", "image", "html_inline", "html_block"}, kinds

    # The page carries the text as data in one JSON island that strict JSON reads back.
    page = (out / "autocity_map.html").read_text(encoding="utf-8")
    assert "window.__pwned=1</script>" not in page
    assert "<img src=x" not in page
    start = page.index('<script type="application/json" id="acg-data">')
    island = page[page.index(">", start) + 1 : page.index("</script>", start)]
    assert text in strings_in(strict_json(island))
