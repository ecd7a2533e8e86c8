from __future__ import annotations

import os
from pathlib import Path

import pytest

from autocity_gis._errors import RecipeError
from autocity_gis.limits import Limits
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


# -- hostile recipe files (issue #9) ------------------------------------------------------


def _refused(path: Path) -> str:
    with pytest.raises(RecipeError) as info:
        load_recipe(path)
    text = str(info.value)
    assert "\n" not in text and text.startswith(str(path))
    return text


def test_fifo_recipe_is_refused_without_hanging(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    os.mkfifo(path)  # nobody writes: opening it for reading would block forever
    assert "is a named pipe (FIFO), not a regular file" in _refused(path)


def test_device_recipe_is_refused_without_reading(tmp_path: Path) -> None:
    # /dev/zero never ends: reading it whole would exhaust memory.
    assert "is a device, not a regular file" in _refused(Path("/dev/zero"))


def test_folder_recipe_is_refused(tmp_path: Path) -> None:
    assert "is a folder, not a regular file" in _refused(tmp_path)


def test_oversized_recipe_names_the_cap(tmp_path: Path) -> None:
    path = _write(tmp_path, CITY + PART + "# padding\n" * 200)
    with pytest.raises(RecipeError) as info:
        load_recipe(path, limits=Limits(max_recipe_bytes=1000))
    text = str(info.value)
    assert "larger than the limit of 1,000 bytes" in text
    assert "AUTOCITY_GIS_MAX_RECIPE_BYTES" in text


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    _write(tmp_path, "")
    path.write_bytes(b"\xef\xbb\xbf" + (CITY + PART).encode("utf-8"))
    assert load_recipe(path).name_en == "X"


@pytest.mark.parametrize("opener", ["[", "{a = "])
def test_deeply_nested_toml_is_one_line(tmp_path: Path, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    path = _write(tmp_path, CITY + PART + "deep = " + opener * 100_000 + closer * 100_000 + "\n")
    assert "nested too deeply" in _refused(path)


def test_integer_beyond_float_range_is_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path, CITY.replace("10", "1" + "0" * 400) + PART)
    text = _refused(path)
    assert "'target_km2' = 100000… (401 digits) is out of range" in text
    assert len(text) < 300


def test_integer_beyond_python_digit_limit_is_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path, CITY.replace("10", "9" * 5000) + PART)
    assert "not valid for a recipe" in _refused(path)


@pytest.mark.parametrize("codec", ["rot13", "zlib", "base64", "hex", "uu", "bz2"])
def test_non_text_codecs_are_refused(tmp_path: Path, codec: str) -> None:
    path = _write(tmp_path, CITY + PART + f'encoding = "{codec}"\n')
    assert f"encoding '{codec}' is not a text encoding" in _refused(path)


@pytest.mark.parametrize("codec", ["GBK", "gb18030", "cp936", "UTF-8", "latin-1"])
def test_text_codecs_are_accepted(tmp_path: Path, codec: str) -> None:
    recipe = load_recipe(_write(tmp_path, CITY + PART + f'encoding = "{codec}"\n'))
    assert recipe.components[0].source is not None
    assert recipe.components[0].source.encoding == codec


def test_defaults_are_shared_by_every_block_that_does_not_set_its_own(tmp_path: Path) -> None:
    (tmp_path / "other.geojson").write_text('{"type":"FeatureCollection","features":[]}')
    text = (
        CITY
        + '[defaults]\nlayer = "layer.geojson"\nlayer_name = "zones"\ncrs = "EPSG:4551"\n'
        + 'encoding = "GBK"\n'
        + '[[components]]\nid = "a"\nname_en = "A"\n'
        + '[[components]]\nid = "b"\nname_en = "B"\nlayer = "other.geojson"\ncrs = "EPSG:4326"\n'
        + '[[components]]\nid = "c"\nname_en = "C"\nmissing_reason = "not published"\n'
    )
    recipe = load_recipe(_write(tmp_path, text))
    a, b, c = recipe.components
    assert a.source is not None and a.source.path.name == "layer.geojson"
    assert (a.source.crs, a.source.encoding, a.source.layer_name) == ("EPSG:4551", "GBK", "zones")
    assert b.source is not None and b.source.path.name == "other.geojson"
    # Its own file: the default layer's layer_name is not its; its own crs wins.
    assert (b.source.crs, b.source.encoding, b.source.layer_name) == ("EPSG:4326", "GBK", None)
    assert c.source is None and c.missing_reason == "not published"
    assert recipe.context is None  # defaults are for components only


@pytest.mark.parametrize(
    ("defaults", "message"),
    [
        ('filter = { id = "a" }\n', "[defaults]: unknown key 'filter'"),
        ('lyer = "layer.geojson"\n', "did you mean 'layer'"),
        ('layer = "nope.geojson"\n', "'nope.geojson' does not exist"),
        ('layer = "layer.geojson"\ntowgs84 = [1, 2]\n', "'towgs84' must be a list of 7 numbers"),
    ],
)
def test_bad_defaults_name_the_problem(tmp_path: Path, defaults: str, message: str) -> None:
    text = CITY + "[defaults]\n" + defaults + '[[components]]\nid = "a"\nname_en = "A"\n'
    with pytest.raises(RecipeError) as info:
        load_recipe(_write(tmp_path, text))
    assert message in str(info.value)
    assert "\n" not in str(info.value)
