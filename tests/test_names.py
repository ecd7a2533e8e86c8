"""Issue 11, item 9: what the outputs call the city comes from the recipe, not from the code.

Truth: the sample composition's own attribute values and the page's JSON island parsed as
strict JSON (as the browser reads it).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from common import page_data, sample_inputs

from autocity_gis import _output, api, webmap
from autocity_gis._errors import OutputError


def test_map_data_date_is_the_components_not_the_context_layers() -> None:
    comp, report = sample_inputs()
    # components dated 2020-07-30 and 2024-05-01; the context layer (orientation only) later
    context = comp.context.copy()
    context["date"] = "2026-04"
    comp = dataclasses.replace(comp, context=context)
    page = webmap.make_map(comp, report).get_root().render()
    notes = page_data(page)["panels"]["title"]["notes"][0]
    assert ["2020-07-30 – 2024-05-01", ""] in notes
    assert not any("2026-04" in part[0] for part in notes)


def _named_recipe(folder: Path, city_id: str) -> Path:
    from common import EAST, WEST, component_frame

    component_frame([{"id": "w", "geometry": WEST}, {"id": "e", "geometry": EAST}]).to_file(
        folder / "parts.geojson", driver="GeoJSON"
    )
    blocks = [
        f'[city]\nid = "{city_id}"\nname_en = "Test City"\nname_zh = "测试城"\n'
        "target_km2 = 150.0\ntolerance_pct = 5.0\n"
    ]
    blocks += [
        f'[[components]]\nid = "{c}"\nname_en = "Zone {c}"\nlayer = "parts.geojson"\n'
        f'filter = {{ id = "{c}" }}\n'
        for c in "we"
    ]
    path = folder / "recipe.toml"
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def test_output_policy_knows_the_recipes_names(tmp_path: Path) -> None:
    recipe = _named_recipe(tmp_path, "test_city")
    out = tmp_path / "out"
    first = api.build(recipe, out, offline=True, formats=("gpkg", "qgs", "shp", "kml"))
    assert first.map_path == out / "test_city_map.html" and first.map_path.is_file()
    names = {p.name for p in first.files}
    assert {"test_city.gpkg", "test_city.qgs", "test_city_shp", "test_city.kml"} <= names
    manifest = json.loads((out / _output.MANIFEST).read_text(encoding="utf-8"))
    listed = {e["path"] for e in manifest["entries"]}
    assert {"test_city_map.html", "test_city.gpkg", "test_city.qgs", "test_city.kml"} <= listed
    # the second build replaces the first whole: the manifest vouches for every name
    api.build(recipe, out, offline=True, formats=("gpkg",))
    assert not (out / "test_city.kml").exists() and (out / "test_city.gpkg").is_file()
    # export refuses a file it did not write under one of its names
    (out / "test_city.kml").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match=r"test_city\.kml is not autocity-gis output"):
        api.export(recipe, out, formats=("kml",))
    assert (out / "test_city.kml").read_text(encoding="utf-8") == "mine"


def test_the_embedded_recipe_keeps_todays_names(tmp_path: Path) -> None:
    files = api.export(None, tmp_path / "out", formats=("gpkg", "qgs", "shp", "kml"))
    assert sorted(p.name for p in files) == [
        "autocity.gpkg", "autocity.kml", "autocity.qgs", "autocity_shp"]  # fmt: skip


def test_map_defaults_to_the_recipes_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from autocity_gis.cli import cli

    (tmp_path / "data").mkdir()
    recipe = _named_recipe(tmp_path / "data", "test_city")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = CliRunner().invoke(cli, ["map", "--recipe", str(recipe), "--offline", "-q"])
    assert result.exit_code == 0, result.output
    assert (work / "out" / "test_city_map.html").is_file()
    assert not (work / "out" / "autocity_map.html").exists()
