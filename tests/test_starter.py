"""``autocity-gis init``: a starter recipe from the files a planner has, which then composes."""

from __future__ import annotations

import json
import tomllib
import warnings
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner
from common import GK_NEIGHBOUR, GK_ZONE, gk_reference_km2

from autocity_gis import api
from autocity_gis._errors import CRSError, OutputError
from autocity_gis.cli import cli
from autocity_gis.recipe import load_recipe
from autocity_gis.starter import inspect_file, write_starter

HOSTILE = 'Zone "A" ]] """ {{x}}\n# not a comment'


def zones(folder: Path, *, crs: str | None = "EPSG:4551") -> Path:
    frame = gpd.GeoDataFrame(
        {
            "XZQDM": ["220106A", "220106B"],
            "XZQMC": ["汽开区", "西新"],
            "NAME_EN": [HOSTILE, "Xixin"],
            "TBMJ": [24e6, 12e6],
        },
        geometry=[shapely.Polygon(GK_ZONE), shapely.Polygon(GK_NEIGHBOUR)],
        crs=crs,
    )
    path = folder / "bureau" / "zones.gpkg"
    path.parent.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a file without CRS is the point
        frame.to_file(path, layer="zones", driver="GPKG")
    return path


def filled(recipe: Path, target_km2: float) -> Path:
    text = recipe.read_text(encoding="utf-8").replace(
        "# target_km2 = 0.0", f"target_km2 = {target_km2}"
    )
    recipe.write_text(text, encoding="utf-8")
    return recipe


def test_inspection_finds_id_names_area_and_crs(tmp_path: Path) -> None:
    (summary,) = inspect_file(zones(tmp_path))
    assert summary.crs == "EPSG:4551"
    assert summary.id_column == "XZQDM"
    assert summary.name_zh_column == "XZQMC"
    assert summary.area_column == "TBMJ"
    assert summary.ids == (("220106A", "汽开区", HOSTILE), ("220106B", "西新", "Xixin"))


def test_starter_composes_once_the_stated_area_is_filled_in(tmp_path: Path) -> None:
    zones(tmp_path)
    recipe, _ = write_starter([tmp_path / "bureau" / "zones.gpkg"], tmp_path / "autocity.toml")
    text = recipe.read_text(encoding="utf-8")
    assert "TBMJ" in text and "not a stated figure" in text
    tomllib.loads(text)  # valid TOML as written, comments and all
    _, _, report = api.check(filled(recipe, 36.0))
    expected = gk_reference_km2(GK_ZONE) + gk_reference_km2(GK_NEIGHBOUR)
    assert report.composed_km2 == pytest.approx(expected, rel=1e-6)
    loaded = load_recipe(recipe)
    assert [c.id for c in loaded.components] == ["c_220106A", "c_220106B"]
    # Names arrive as data: quotes, brackets, braces and the newline survive, nothing is parsed.
    assert [(c.name_zh, c.name_en) for c in loaded.components] == [
        ("汽开区", HOSTILE),
        ("西新", "Xixin"),
    ]


def test_a_file_without_crs_gets_a_required_comment_not_a_guess(tmp_path: Path) -> None:
    zones(tmp_path, crs=None)
    recipe, _ = write_starter([tmp_path / "bureau" / "zones.gpkg"], tmp_path / "autocity.toml")
    assert '# crs = "EPSG:…"' in recipe.read_text(encoding="utf-8")
    with pytest.raises(CRSError, match="declares no coordinate reference system"):
        api.check(filled(recipe, 36.0))


def test_an_existing_recipe_is_never_replaced(tmp_path: Path) -> None:
    zones(tmp_path)
    target = tmp_path / "autocity.toml"
    target.write_text("mine\n", encoding="utf-8")
    with pytest.raises(OutputError, match="never replaces"):
        write_starter([tmp_path / "bureau" / "zones.gpkg"], target)
    assert target.read_text(encoding="utf-8") == "mine\n"


def test_init_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zones(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["init", "bureau/zones.gpkg"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "autocity.toml").is_file()
    assert "2 polygon feature(s)" in result.output
    again = CliRunner().invoke(cli, ["init", "bureau/zones.gpkg"])
    assert again.exit_code == 2
    assert len(again.stderr.strip().splitlines()) == 1


def test_commands_use_the_recipe_of_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zones(tmp_path)
    monkeypatch.chdir(tmp_path)
    write_starter([tmp_path / "bureau" / "zones.gpkg"], tmp_path / "autocity.toml")
    filled(tmp_path / "autocity.toml", 36.0)
    result = CliRunner().invoke(cli, ["validate", "--json"])
    assert result.exit_code == 0, result.output  # the two zones make the 36 km² stated
    assert "using the recipe ./autocity.toml" in result.stderr
    assert json.loads(result.stdout)["target_km2"] == 36.0
    quiet = CliRunner().invoke(cli, ["validate", "-q", "--json"])
    assert "using the recipe" not in quiet.stderr


def test_a_layer_of_many_zones_becomes_one_block(tmp_path: Path) -> None:
    cells = [
        shapely.box(
            440000 + 1000 * (i % 8),
            4860000 + 1000 * (i // 8),
            441000 + 1000 * (i % 8),
            4861000 + 1000 * (i // 8),
        )
        for i in range(40)
    ]
    frame = gpd.GeoDataFrame(
        {"ZONE": [f"Z{i:02d}" for i in range(40)]}, geometry=cells, crs="EPSG:4551"
    )
    frame.to_file(tmp_path / "plan.gpkg", driver="GPKG")
    recipe, _ = write_starter([tmp_path / "plan.gpkg"], tmp_path / "autocity.toml")
    text = recipe.read_text(encoding="utf-8")
    assert text.count("[[components]]") == 1 and 'id_column = "ZONE"' in text
    loaded = load_recipe(filled(recipe, 40.0))
    assert len(loaded.components) == 40
    _, _, report = api.check(loaded)
    assert report.composed_km2 == pytest.approx(40.0, rel=2e-3)  # 40 plane km² at GK scale
