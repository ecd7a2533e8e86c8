"""Hostile text in every field that reaches the web map: shown literally, never run or parsed.

Each payload (template, HTML, script, CSS, JavaScript, control-character and very long text,
generated here) is put into every text field of a composition and its report -- component,
context and city names, sources, methods, dates, datums, accuracies, the stated-area and target
sources, missing components' names and reasons, and the component ids of an overlap. The page is
rendered online, offline and in Chinese. Truth is independent of the page builder: the literal
payload, a strict JSON parse of the data island found by Python's HTML parser, the page of a
benign twin, and the file system (a template that would run ``touch`` must not create a file).
The same pages in real Chromium: ``tests/test_browser.py::test_payloads_show_literally``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from test_webmap import page_data, spans_text  # a sibling test module (rootdir on path)

from autocity_gis import webmap
from autocity_gis.compose import Composition
from autocity_gis.validate import ComponentArea, MissingComponent, Overlap, ValidationReport

#: Payload names; :func:`payload` builds each (the template-injection ones need a path).
PAYLOADS = (
    "jinja_expr",
    "jinja_set",
    "jinja_open_stmt",
    "jinja_open_expr",
    "jinja_open_comment",
    "jinja_rce",
    "jinja_rce_stmt",
    "html_img",
    "html_attr",
    "script_close",
    "comment_open",
    "script_open",
    "css_import",
    "css_url",
    "js_separators",
    "js_template",
    "controls",
    "rtl_override",
    "long",
)


def payload(name: str, marker: Path) -> str:
    """The payload called ``name``; the code-running ones would create ``marker``."""
    touch = f"touch {marker}"
    text = {
        "jinja_expr": "{{7*7}}",
        "jinja_set": "{% set x = 1 %}",
        "jinja_open_stmt": "Plan {%",
        "jinja_open_expr": "Plan {{",
        "jinja_open_comment": "Plan {#",
        "jinja_rce": "{{ lipsum.__globals__.os.popen('" + touch + "').read() }}",
        # Quote-free (HTML escaping cannot touch it): the command comes from the environment.
        "jinja_rce_stmt": (
            "{% set o = lipsum.__globals__.os %}{{ o.popen(o.environ." + COMMAND_ENV + ").read() }}"
        ),
        "html_img": "<img src=x onerror=window.__pwned=1>",
        "html_attr": "\"'><b>x</b>",
        "script_close": "</script><script>window.__pwned=1</script>",
        "comment_open": "<!-- a",
        "script_open": "<script",
        "css_import": "@import url(http://127.0.0.1:9/x)",
        "css_url": "url(",
        "js_separators": "line\u2028paragraph\u2029end",
        "js_template": "`${1}` ${window.__pwned=1}",
        "controls": "".join(map(chr, range(1, 32))) + "\x7f\x1b[31m red",
        "rtl_override": "abc \u202edcba xyz",  # never closed: the override runs to the end
        "long": ("Plan {{phase}} 长春 </script> " * 300)[:5000],
    }[name]
    return text


BENIGN = "Plain name"
#: Environment variable holding the shell command of the quote-free template payload.
COMMAND_ENV = "ACG_TEST_COMMAND"


def _objects(*values: str) -> pd.Series:
    # dtype=object: with pyarrow installed pandas stores text as Arrow strings, which cannot
    # hold the lone surrogate some payloads carry.
    return pd.Series(values, dtype=object)


def hostile_inputs(text: str) -> tuple[Composition, ValidationReport]:
    """Two components, overlap, gap, context unit and missing component; every text ``text``.

    The first component's accuracy is ``text`` too; the second is estimated (drawn dashed).
    """
    west = shapely.box(125.10, 43.80, 125.20, 43.90)
    east = shapely.box(125.20, 43.80, 125.30, 43.90)
    comps = gpd.GeoDataFrame(
        {
            "id": ["west", "east"],
            "name_en": _objects(text, text),
            "name_zh": _objects(text, text),
            "role": ["part", "part"],
            "stated_area_km2": [90.0, None],
            "stated_area_source": _objects(text, text),
            "accuracy": _objects(text, "estimated"),
            "method": _objects(text, text),
            "source": _objects(text, text),
            "datum": _objects(text, text),
            "date": _objects(text, text),
        },
        geometry=[west, east],
        crs="EPSG:4326",
    )
    union = shapely.union_all([west, east])
    boundary = gpd.GeoDataFrame(
        {"id": ["city"], "name_en": _objects(text), "name_zh": _objects(text), "area_km2": [178.0]},
        geometry=[union],
        crs="EPSG:4326",
    )
    overlaps = gpd.GeoDataFrame(
        {"a": _objects(text), "b": _objects(text), "area_km2": [0.8]},
        geometry=[shapely.box(125.19, 43.85, 125.21, 43.86)],
        crs="EPSG:4326",
    )
    gaps = gpd.GeoDataFrame(
        {"area_km2": [0.1]}, geometry=[shapely.box(125.15, 43.82, 125.16, 43.83)], crs="EPSG:4326"
    )
    context = gpd.GeoDataFrame(
        {
            "adcode": _objects(text),
            "name_en": _objects(text),
            "name_zh": _objects(text),
            "accuracy": _objects(text),
            "source": _objects(text),
            "datum": _objects(text),
            "date": _objects(text),
        },
        geometry=[shapely.box(125.05, 43.75, 125.35, 43.95)],
        crs="EPSG:4326",
    )
    comp = Composition(
        name_en=text,
        name_zh=text,
        components=comps,
        boundary=boundary,
        overlaps=overlaps,
        gaps=gaps,
        context=context,
        method="coverage",
        snap_tolerance_m=0.0,
    )
    report = ValidationReport(
        name_en=text,
        name_zh=text,
        target_km2=200.0,
        target_source=text,
        tolerance_pct=5.0,
        composed_km2=178.0,
        composed_equal_area_km2=178.0,
        delta_km2=-22.0,
        delta_pct=-11.0,
        passed=False,
        components=(
            ComponentArea("west", text, text, text, 89.0, 90.0, text, -1.1),
            ComponentArea("east", text, text, "estimated", 89.0, None, None, None),
        ),
        overlaps=(Overlap(text, text, 0.8),),
        gaps_km2=0.1,
        gap_count=1,
        sum_of_parts_km2=178.0,
        missing=(MissingComponent("gone", text, text, 5.0, text),),
        stated_sum_km2=95.0,
        stated_unaccounted_km2=105.0,
        stated_missing=("east",),
        compose_method="coverage",
        snap_tolerance_m=0.0,
        boundary_parts=1,
    )
    return comp, report


def build_pages(text: str, folder: Path) -> dict[str, str]:
    """Write the online, offline and Chinese pages of :func:`hostile_inputs`; return their HTML."""
    comp, report = hostile_inputs(text)
    folder.mkdir(parents=True, exist_ok=True)
    outs = {
        "online": webmap.write_map(comp, report, folder / "online.html"),
        "offline": webmap.write_map(comp, report, folder / "offline.html", offline=True),
        "zh": webmap.write_map(comp, report, folder / "zh.html", lang="zh"),
    }
    return {kind: out.path.read_text(encoding="utf-8") for kind, out in outs.items()}


def without_data(page: str) -> str:
    """The page with its data island emptied and folium's random element ids made equal."""
    page = re.sub(r'(<script type="application/json" id="acg-data">).*?(</script>)', r"\1\2", page)
    return re.sub(r"_[0-9a-f]{32}\b", "_ID", page)


@pytest.fixture(scope="module")
def benign(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return build_pages(BENIGN, tmp_path_factory.mktemp("benign"))


def layer(data: dict[str, Any], layer_id: str) -> dict[str, Any]:
    [found] = [entry for entry in data["layers"] if entry["id"] == layer_id]
    return found


def popup_values(feature: dict[str, Any]) -> list[str]:
    return [value for _, value in feature["properties"]["popup"]["rows"]]


def assert_shown_everywhere(data: dict[str, Any], text: str) -> None:
    """``text`` is, exactly, every name, source and attribute the page's data shows."""
    assert data["title"] == text
    title = data["panels"]["title"]
    assert title["heading"] == text and title["sub"] == text
    assert [text, ""] in title["notes"][0]  # the data dates
    # Components: tooltip and popup heading, legend, layer control, summary row.
    for cid in ("west", "east"):
        [feature] = layer(data, cid)["features"]
        tip = feature["properties"]["tip"]
        assert tip[0][0] == [text, "b"] and tip[1] == [[text, ""]]
        assert feature["properties"]["popup"]["lines"][0][0] == [text, "b"]
        # stated_area_source, method, source, datum, date -- and the first one's accuracy.
        assert popup_values(feature).count(text) == (6 if cid == "west" else 5)
        assert layer(data, cid)["label"][0] == [text, ""]
    legend = [entry["label"] for entry in data["panels"]["legend"]["entries"]]
    assert sum(label[0] == [text, ""] for label in legend) == 2
    rows = data["panels"]["summary"]["rows"]
    assert [row["cells"][0][0] for row in rows[:2]] == [[text, ""], [text, ""]]
    # The missing component: its name in its row, its reason as the row's note.
    assert rows[2]["cells"][0][0] == [text, ""] and rows[2]["cells"][0][2] == [text, "note"]
    assert [text, "note"] in data["panels"]["summary"]["totals"][1][1]  # the target's source
    # Context unit: name, code, accuracy, source, datum and date.
    [unit] = layer(data, "context")["features"]
    assert unit["properties"]["tip"] == [[[text, "b"]], [[text, ""]]]
    assert popup_values(unit) == [text] * 5
    # The overlap names its two components; the boundary the city.
    [overlap] = layer(data, "overlaps")["features"]
    assert overlap["properties"]["tip"][0][1:] == [[": ", ""], [text, ""], [" / ", ""], [text, ""]]
    [outline] = layer(data, "boundary")["features"]
    assert outline["properties"]["tip"][0] == [[text, "b"]]


@pytest.mark.parametrize("name", PAYLOADS)
def test_payload_is_data_in_every_field(
    name: str, tmp_path: Path, benign: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "pwned"
    monkeypatch.setenv(COMMAND_ENV, f"touch {marker}")
    text = payload(name, marker)
    pages = build_pages(text, tmp_path / "pages")  # online, offline, zh: none raises
    assert not marker.exists(), "a template in a name ran a shell command"
    for kind, page in pages.items():
        data = page_data(page)  # exactly one island, strict JSON
        if kind != "zh":
            assert_shown_everywhere(data, text)
        else:
            assert data["title"] == text and text in spans_text(data["layers"])
        # Nothing of the payload exists outside the data island: the rest of the page is the
        # benign twin's, byte for byte (folium's random ids aside).
        assert without_data(page) == without_data(benign[kind])
        assert page.count("<script") == benign[kind].count("<script")
        assert page.lower().count("</script") == benign[kind].lower().count("</script")


def test_island_cannot_end_its_element_or_open_a_comment(tmp_path: Path) -> None:
    # Also a lone surrogate (not encodable as UTF-8) and a C1 control (an HTML parse error).
    text = "</script></SCRIPT ><!--<script>&\u2028\u2029\ud800\x85"
    page = build_pages(text, tmp_path)["offline"]
    start = page.index('<script type="application/json" id="acg-data">')
    island = page[start : page.index("</script>", start)]
    for needle in ("<!--", "</", "<script", "\u2028", "\u2029", "&", "\ud800", "\x85"):
        assert needle not in island.split(">", 1)[1], needle
    assert page_data(page)["title"] == text


def test_braces_in_names_survive() -> None:
    comp, report = hostile_inputs("Plan {{phase}} {% if %} {#x#}")
    data = page_data(webmap.make_map(comp, report).get_root().render())
    assert data["title"] == "Plan {{phase}} {% if %} {#x#}"
