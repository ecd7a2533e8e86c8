"""GeoDataFrames in Python: dict recipes whose layers are frames, and short result reprs."""

from __future__ import annotations

import html.parser
import json
from pathlib import Path

import geopandas as gpd
import pytest
from common import EAST, WEST, geod_km2
from geopandas.testing import assert_geodataframe_equal

import autocity_gis as ag
from autocity_gis import _gdal
from autocity_gis._errors import OutputError, RecipeError
from autocity_gis.api import export, write_web_map

CITY = {"name_en": "Frames", "name_zh": "框架城", "target_km2": 1.0, "tolerance_pct": 50.0}


def _parts() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": ["w", "e"], "name": ["West", "East"]}, geometry=[WEST, EAST], crs="EPSG:4326"
    )


def _recipe(**component: object) -> dict:
    city = {**CITY, "target_km2": round(geod_km2(WEST) + geod_km2(EAST), 4)}
    return {"city": city, "components": [{"layer": _parts(), "id_column": "code", **component}]}


def test_a_dict_recipe_of_frames_runs_through_check_without_reading_a_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_files(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a file was read")

    monkeypatch.setattr(_gdal, "read_file", no_files)
    frame = _parts().to_crs("EPSG:4551")  # a planner's Gauss–Krüger frame
    before = frame.copy()
    recipe, composition, report = ag.check(
        {
            "city": CITY,
            "components": [{"layer": frame, "id_column": "code", "name_en_column": "name"}],
        }
    )
    assert_geodataframe_equal(frame, before)  # the caller's frame is untouched
    areas = composition.components.set_index("id")["measured_km2"]
    assert areas["w"] == pytest.approx(geod_km2(WEST), rel=1e-6)
    assert areas["e"] == pytest.approx(geod_km2(EAST), rel=1e-6)
    assert [c.name_en for c in report.components] == ["West", "East"]
    assert not recipe.from_file and recipe.root is None


def test_geoseries_and_crs_only_for_frames_without_one() -> None:
    series = gpd.GeoSeries([WEST])  # no CRS: the recipe gives it
    one = {"id": "w", "name_en": "West", "layer": series, "crs": "EPSG:4326"}
    _, composition, _ = ag.check({"city": CITY, "components": [one]})
    assert composition.components["measured_km2"].iloc[0] == pytest.approx(geod_km2(WEST))
    with pytest.raises(RecipeError, match=r"has its own CRS .*give 'crs' only for a frame"):
        ag.load_recipe({"city": CITY, "components": [{**one, "layer": series.set_crs(4326)}]})
    with pytest.raises(RecipeError, match=r"'layer' must be text .* or a GeoDataFrame"):
        ag.load_recipe({"city": CITY, "components": [{**one, "layer": 42}]})


def test_file_layers_in_a_dict_need_a_root_and_stay_inside_it(tmp_path: Path) -> None:
    _parts().to_file(tmp_path / "parts.gpkg")
    part = {"id": "w", "name_en": "W", "layer": "parts.gpkg", "filter": {"code": "w"}}
    recipe = {"city": CITY, "components": [part]}
    with pytest.raises(RecipeError, match="reads files only from the folder given as root="):
        ag.load_recipe(recipe)
    loaded = ag.load_recipe(recipe, root=tmp_path)
    assert loaded.components[0].source.path == (tmp_path / "parts.gpkg").resolve()
    (tmp_path / "sub").mkdir()
    escape = {**part, "layer": "../parts.gpkg"}
    with pytest.raises(RecipeError, match="leaves the recipe's folder"):
        ag.load_recipe({"city": CITY, "components": [escape]}, root=tmp_path / "sub")
    with pytest.raises(RecipeError, match="root= is only for a dict recipe"):
        ag.load_recipe(tmp_path / "x.toml", root=tmp_path)
    # The output policy still knows the inputs: not into the folder holding the layer.
    with pytest.raises(OutputError, match="holds the input"):
        ag.build(loaded, out=tmp_path)


def test_build_export_and_map_take_a_dict_recipe(tmp_path: Path) -> None:
    result = ag.build(_recipe(), out=tmp_path / "out")
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert [c["id"] for c in report["components"]] == ["w", "e"]
    assert result.report.passed
    written = export(_recipe(), tmp_path / "hand-off", formats=["geojson"])
    assert {p.name for p in written} == {"boundary.geojson", "components.geojson"}
    checked, page = write_web_map(_recipe(), tmp_path / "map" / "m.html")
    assert page.path.is_file() and checked.passed


def test_reprs_are_one_line_with_the_key_figures() -> None:
    recipe, composition, report = ag.check(_recipe())
    for obj, words in (
        (recipe, ["Recipe", "'Frames'", "2 part(s)", "from dict"]),
        (composition, ["Composition", "2 part(s)", "km²", "0 overlap(s)"]),
        (report, ["ValidationReport", "PASSED", "2 component(s)"]),
    ):
        text = repr(obj)
        assert "\n" not in text and len(text) < 300, text
        assert all(w in text for w in words), text
        assert "GeoDataFrame" not in text and "POLYGON" not in text


class _Cells(html.parser.HTMLParser):
    """Collect the text of every table cell and every tag opened."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.tags: list[str] = []
        self._in = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)
        if tag == "td":
            self._in = True
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in = self._in and tag != "td"

    def handle_data(self, data: str) -> None:
        if self._in:
            self.cells[-1] += data


def test_report_html_is_a_table_with_names_escaped() -> None:
    name = "<script>alert(1)</script> & <img src=x>"
    frame = _parts().assign(name=[name, "East"])
    _, _, report = ag.check(_recipe(name_en_column="name"))
    _, _, hostile = ag.check(
        {
            "city": {**CITY, "name_en": name},
            "components": [{"layer": frame, "id_column": "code", "name_en_column": "name"}],
        }
    )
    page = hostile._repr_html_()
    parser = _Cells()
    parser.feed(page)
    assert "script" not in parser.tags and "img" not in parser.tags
    assert name in parser.cells  # the name reads back literally, as text
    assert "<script>" not in page
    plain = _Cells()
    plain.feed(report._repr_html_())
    assert plain.tags.count("tr") == 3 and "West" in plain.cells


def test_numpy_numbers_and_tuples_in_a_dict_recipe() -> None:
    import numpy as np

    city = {"name_en": "N", "target_km2": np.float32(1.0), "tolerance_pct": np.int64(50)}
    part = {
        "id": "w",
        "name_en": "W",
        "layer": _parts(),
        "filter": {"code": "w"},
        "stated": ({"area_km2": np.float64(0.9), "year": np.int64(2020), "judged": True},),
    }
    recipe = ag.load_recipe({"city": city, "components": [part]})
    assert recipe.tolerance_pct == 50.0
    assert recipe.components[0].stated[0].year == 2020


def test_report_html_and_reprs_carry_every_payload_as_text() -> None:
    from payloads import ALL

    frame = _parts().assign(name=[ALL, ALL])
    recipe, composition, report = ag.check(
        {
            "city": {**CITY, "name_en": ALL, "name_zh": ALL},
            "components": [{"layer": frame, "id_column": "code", "name_en_column": "name"}],
        }
    )
    parser = _Cells()
    parser.feed(report._repr_html_())
    assert set(parser.tags) <= {"div", "p", "b", "table", "thead", "tbody", "tr", "th", "td"}
    assert parser.cells.count(ALL) == 2
    for obj in (recipe, composition, report):
        text = repr(obj)
        assert text.isprintable(), text  # quotes and escapes: no control or bidi character
