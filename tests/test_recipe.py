from __future__ import annotations

from pathlib import Path

import pytest

from autocity_gis._errors import RecipeError
from autocity_gis.recipe import load_recipe


def test_embedded_recipe_loads(geodata: Path) -> None:
    recipe = load_recipe()
    assert recipe.path == (geodata / "autocity.toml").resolve()
    assert recipe.target_km2 == 471.0
    assert [c.id for c in recipe.components] == [
        "auto_etdz",
        "xixin",
        "chaoyang_edz",
        "hightech_part",
        "daling",
        "fanjiatun",
    ]
    missing = [c.id for c in recipe.components if c.source is None]
    assert missing == ["chaoyang_edz", "hightech_part"]
    assert all(c.missing_reason for c in recipe.components if c.source is None)
    assert recipe.context is not None and recipe.context.path.name == "admin_units.geojson"


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "layer.geojson").write_text('{"type":"FeatureCollection","features":[]}')
    path = tmp_path / "r.toml"
    path.write_text(text, encoding="utf-8")
    return path


CITY = '[city]\nname_en = "X"\ntarget_km2 = 10\ntolerance_pct = 1\n'
PART = '[[components]]\nid = "a"\nname_en = "A"\nlayer = "layer.geojson"\n'


def test_minimal_recipe(tmp_path: Path) -> None:
    recipe = load_recipe(_write(tmp_path, CITY + PART))
    assert recipe.components[0].role == "part"
    assert recipe.snap_tolerance_m == 1.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (CITY.replace("target_km2", "target_kmm") + PART, "unknown key 'target_kmm'"),
        (CITY.replace("target_km2", "target_kmm") + PART, "did you mean 'target_km2'"),
        (CITY.replace("target_km2 = 10\n", "") + PART, "missing key 'target_km2'"),
        (CITY.replace("10", '"ten"') + PART, "'target_km2' must be a number, not str"),
        (CITY.replace("10", "-5") + PART, "'target_km2' = -5.0 is out of range"),
        (CITY.replace("10", "1e12") + PART, "out of range"),
        (CITY.replace("tolerance_pct = 1", "tolerance_pct = 80") + PART, "'tolerance_pct'"),
        (CITY + PART + "[city.extra]\n", "unknown key 'extra'"),
        (CITY + PART + PART, "component 'a': duplicate id"),
        (CITY + PART.replace("layer.geojson", "nope.geojson"), "'nope.geojson' does not exist"),
        (CITY + PART.replace("layer.geojson", "../escape.geojson"), "leaves the recipe's folder"),
        (CITY + PART.replace("layer.geojson", "/etc/passwd"), "leaves the recipe's folder"),
        (CITY + PART + 'role = "add"\n', "role 'add' is not one of part, subtract"),
        (CITY + PART + 'datum = "mars2"\n', "Unknown datum 'mars2'"),
        (CITY + PART + "stated_area_km2 = 0\n", "'stated_area_km2' = 0.0 is out of range"),
        (CITY + '[[components]]\nid = "b"\nname_en = "B"\n', "give a 'layer'"),
        (CITY + '[[components]]\nid = "1x"\nname_en = "B"\nlayer = "layer.geojson"\n', "id must"),
        (CITY, "missing key 'components'"),
        ("components = []\n" + CITY, "lists no component"),
        ("[city\n", "not valid TOML"),
    ],
)
def test_bad_recipes_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(RecipeError) as info:
        load_recipe(path)
    assert message in str(info.value)
    assert str(info.value).startswith(str(path))
    assert "\n" not in str(info.value)


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    text = CITY.replace("10", "-1").replace("tolerance_pct = 1", "tolerence = 1") + PART + PART
    with pytest.raises(RecipeError) as info:
        load_recipe(_write(tmp_path, text))
    message = str(info.value)
    for part in ("out of range", "unknown key 'tolerence'", "missing key 'tolerance_pct'", "dup"):
        assert part in message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_bytes(CITY.encode() + 'name_zh = "长春"\n'.encode("gbk"))
    with pytest.raises(RecipeError, match="not UTF-8"):
        load_recipe(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match="cannot read the recipe"):
        load_recipe(tmp_path / "absent.toml")
