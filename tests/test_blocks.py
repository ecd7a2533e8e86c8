"""Whole layers as one block: ``id_column`` makes one component per distinct value."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from common import cell, geod_km2

import autocity_gis as ag
from autocity_gis import _gdal
from autocity_gis._errors import RecipeError
from autocity_gis.recipe import load_recipe

# Thirty zones of a plan: a 6 x 5 grid of 0.02° cells near Changchun, each with a code, two
# names and a stated area (its own geodesic area rounded, as a plan would print it).
ZONES = [
    cell(
        125.10 + 0.02 * (i % 6),
        43.80 + 0.02 * (i // 6),
        125.12 + 0.02 * (i % 6),
        43.82 + 0.02 * (i // 6),
    )
    for i in range(30)
]


def _zones_file(folder: Path) -> Path:
    frame = gpd.GeoDataFrame(
        {
            "code": [f"Z{n:02d}" for n in range(1, 31)],
            "name": [f"Zone {n}" for n in range(1, 31)],
            "name_cn": [f"{n}号地块" for n in range(1, 31)],
            "area": [round(geod_km2(g), 3) for g in ZONES],
        },
        geometry=ZONES,
        crs="EPSG:4326",
    ).to_crs("EPSG:4551")  # the planning office's CGCS2000 Gauss–Krüger zone
    path = folder / "plan.gpkg"
    frame.to_file(path, layer="zones")
    return path


TEN_LINES = """\
[city]
name_en = "Thirty zones"
target_km2 = {total}
tolerance_pct = 0.5

[defaults]
layer = "plan.gpkg"
layer_name = "zones"

[[components]]
id_column = "code"
name_en_column = "name"
name_zh_column = "name_cn"
stated_area_column = "area"
"""


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Return the list of the files the sandbox opens from now on, in order."""
    opened: list[Path] = []
    real = _gdal.read_file

    def counting(path: Path, **kwargs: object) -> _gdal.RawLayer:
        opened.append(path)
        return real(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_gdal, "read_file", counting)
    return opened


def test_thirty_zones_from_a_ten_line_recipe_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _zones_file(tmp_path)
    total = sum(geod_km2(g) for g in ZONES)
    recipe_path = tmp_path / "plan.toml"
    recipe_path.write_text(TEN_LINES.format(total=round(total, 3)), encoding="utf-8")
    assert len(recipe_path.read_text().strip().splitlines()) <= 16  # ten keys, four headers
    opened = _count_reads(monkeypatch)
    recipe, composition, report = ag.check(recipe_path)
    assert opened == [tmp_path / "plan.gpkg"]  # once for the values and the geometry
    assert [c.id for c in recipe.components] == [f"Z{n:02d}" for n in range(1, 31)]
    comps = composition.components.set_index("id")
    for n, zone in enumerate(ZONES, start=1):
        row = comps.loc[f"Z{n:02d}"]
        assert row["name_en"] == f"Zone {n}" and row["name_zh"] == f"{n}号地块"
        assert row["measured_km2"] == pytest.approx(geod_km2(zone), rel=1e-6)
        assert row["stated_area_km2"] == pytest.approx(round(geod_km2(zone), 3))
    assert report.composed_km2 == pytest.approx(total, rel=1e-6)
    assert all(c.passed for c in report.components)
    assert report.stated_sum_km2 == pytest.approx(sum(round(geod_km2(g), 3) for g in ZONES))
    assert report.passed


def test_the_layer_read_is_dropped_once_composed_and_read_again_when_composed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read held the whole layer through the composition (the job's peak): it is dropped
    after the blocks are made, and a second composition of the same recipe reads it again."""
    _zones_file(tmp_path)
    recipe_path = tmp_path / "plan.toml"
    recipe_path.write_text(TEN_LINES.format(total=1.0), encoding="utf-8")
    opened = _count_reads(monkeypatch)
    recipe = load_recipe(recipe_path)
    assert recipe.reads  # the values' read, kept for the composition
    first = ag.compose(recipe)
    assert opened == [tmp_path / "plan.gpkg"] and not recipe.reads
    again = ag.compose(recipe)
    assert opened == [tmp_path / "plan.gpkg"] * 2
    total = sum(geod_km2(g) for g in ZONES)
    for composition in (first, again):
        assert float(composition.boundary.area_km2.iloc[0]) == pytest.approx(total, rel=1e-6)
        assert list(composition.components["id"]) == [f"Z{n:02d}" for n in range(1, 31)]
        assert len(composition.gaps) == 0 and len(composition.overlaps) == 0


def test_features_sharing_a_value_are_merged_and_roles_come_from_a_column(
    tmp_path: Path,
) -> None:
    frame = gpd.GeoDataFrame(
        {"zone": [1.0, 1.0, 2.0], "kind": ["part", "part", "subtract"]},
        geometry=[ZONES[0], ZONES[1], cell(125.105, 43.805, 125.11, 43.81)],
        crs="EPSG:4326",
    )
    recipe = load_recipe(
        {
            "city": {"name_en": "Merged", "target_km2": 1.0, "tolerance_pct": 50.0},
            "components": [{"layer": frame, "id_column": "zone", "role_column": "kind"}],
        }
    )
    # Numeric codes: the id gets the column's name, the raw value stays the name.
    assert [(c.id, c.name_en, c.role) for c in recipe.components] == [
        ("zone_1", "1", "part"),
        ("zone_2", "2", "subtract"),
    ]
    composition = ag.compose(recipe)
    merged = composition.components.set_index("id").loc["zone_1", "measured_km2"]
    assert merged == pytest.approx(geod_km2(ZONES[0]) + geod_km2(ZONES[1]), rel=1e-6)


def _block_recipe(tmp_path: Path, block: str, defaults: str = "") -> Path:
    _zones_file(tmp_path)
    path = tmp_path / "r.toml"
    path.write_text(
        '[city]\nname_en = "X"\ntarget_km2 = 10\ntolerance_pct = 1\n'
        + (f"[defaults]\n{defaults}\n" if defaults else "")
        + block,
        encoding="utf-8",
    )
    return path


BLOCK = '[[components]]\nlayer = "plan.gpkg"\nid_column = "code"\n'


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (BLOCK.replace('"code"', '"cod"'), "id_column 'cod' is not a column of plan.gpkg"),
        (BLOCK + 'stated_area_column = "name"\n', "must hold numbers (km²)"),
        (BLOCK + 'name_en = "A"\n', "'name_en' names one component"),
        (BLOCK + 'role_column = "name"\n', "role 'Zone 1' is not one of part, subtract"),
        (BLOCK + BLOCK, "duplicate id 'Z01' (also component 1"),
        (
            BLOCK + '[[components]]\nid = "Z05"\nname_en = "Again"\nlayer = "plan.gpkg"\n',
            "component 'Z05': duplicate id (also component 1 (code = 'Z05'))",
        ),
        (
            '[[components]]\nid = "a"\nname_en = "A"\nlayer = "plan.gpkg"\nid_prefix = "x"\n',
            "'id_prefix' applies only to a block with 'id_column'",
        ),
        ('[[components]]\nid_column = "code"\n', "needs a 'layer'"),
    ],
)
def test_bad_blocks_say_what_is_wrong_in_one_line(tmp_path: Path, block: str, message: str) -> None:
    with pytest.raises(RecipeError) as info:
        load_recipe(_block_recipe(tmp_path, block))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_values_that_are_not_ids_get_safe_ids_and_stay_names() -> None:
    city = {"name_en": "Safe", "target_km2": 1.0, "tolerance_pct": 50.0}
    frame = gpd.GeoDataFrame({"名称": ["大岭镇", "x y"]}, geometry=ZONES[:2], crs="EPSG:4326")
    recipe = load_recipe(
        {"city": city, "components": [{"layer": frame, "id_column": "名称", "id_prefix": "t_"}]}
    )
    assert [(c.id, c.name_en) for c in recipe.components] == [
        ("t_u5927u5cadu9547", "大岭镇"),
        ("t_x_y", "x y"),
    ]
    clash = gpd.GeoDataFrame({"n": ["x y", "x_y"]}, geometry=ZONES[:2], crs="EPSG:4326")
    with pytest.raises(RecipeError, match="makes the id 't_x_y', as does the value 'x y'"):
        load_recipe(
            {"city": city, "components": [{"layer": clash, "id_column": "n", "id_prefix": "t_"}]}
        )


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ({"code": ["a", None]}, "feature 1 has no value in id_column 'code'"),
        (
            {"code": ["a", "a"], "area": [1.0, 2.0]},
            "(code = 'a'): its features state different areas (1, 2 km²); keep one figure",
        ),
        ({"code": ["a", "b"], "area": [1.0, -2.0]}, "stated area -2 km² is out of range"),
        ({"code": ["a", "b"], "area": ["1,5", "2"]}, "feature 0 has '1,5'"),
    ],
)
def test_bad_values_in_a_block(columns: dict, message: str) -> None:
    frame = gpd.GeoDataFrame(columns, geometry=ZONES[:2], crs="EPSG:4326")
    block = {"layer": frame, "id_column": "code"}
    if "area" in columns:
        block["stated_area_column"] = "area"
    with pytest.raises(RecipeError) as info:
        load_recipe(
            {"city": {"name_en": "B", "target_km2": 1, "tolerance_pct": 5}, "components": [block]}
        )
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_stated_areas_leave_the_component_unjudged() -> None:
    frame = gpd.GeoDataFrame(
        {"code": ["a", "b"], "area": [round(geod_km2(ZONES[0]), 4), None]},
        geometry=ZONES[:2],
        crs="EPSG:4326",
    )
    city = {"name_en": "B", "target_km2": 8.0, "tolerance_pct": 50}
    block = {"layer": frame, "id_column": "code", "stated_area_column": "area"}
    _, _, report = ag.check({"city": city, "components": [block]})
    a, b = report.components
    assert a.passed is True and a.stated_km2 == pytest.approx(geod_km2(ZONES[0]), rel=1e-4)
    assert b.passed is None and b.stated_km2 is None
    assert report.stated_missing == ("b",)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_terminal_lists_a_large_block_in_a_few_lines(lang: str) -> None:
    from autocity_gis.report import TERMINAL_COMPONENTS, summary_lines

    # 120 cells of one layer; every tenth is stated at half its size, so it fails.
    cells = [
        cell(
            125.0 + 0.01 * (i % 20),
            43.6 + 0.01 * (i // 20),
            125.01 + 0.01 * (i % 20),
            43.61 + 0.01 * (i // 20),
        )
        for i in range(120)
    ]
    stated = [geod_km2(g) / (2 if i % 10 == 0 else 1) for i, g in enumerate(cells)]
    zones = gpd.GeoDataFrame(
        {"code": [f"z{i:03d}" for i in range(120)], "km2": stated}, geometry=cells, crs=4326
    )
    recipe = {
        "city": {
            "name_en": "Grid",
            "target_km2": sum(geod_km2(g) for g in cells),
            "tolerance_pct": 5.0,
        },
        "components": [{"layer": zones, "id_column": "code", "stated_area_column": "km2"}],
    }
    _, _, report = ag.check(recipe)
    assert len(report.failed_components) == 12
    lines = summary_lines(report, lang=lang)
    listed = [line for line in lines if line.startswith("  z") or line.startswith("  code_")]
    assert len(listed) == TERMINAL_COMPONENTS
    # every failing component is among the listed ones; the rest are counted
    for cid in report.failed_components:
        assert any(line.lstrip().startswith(cid) for line in listed), cid
    assert any("80" in line and ("more components" in line or "另有" in line) for line in lines)
    verdict = next(line for line in lines if "(+2)" in line)
    assert verdict.count("z") == 10  # ten failing ids named, the other two counted


def test_the_boundary_is_measured_once_and_every_figure_of_it_agrees(tmp_path: Path) -> None:
    """Nothing subtracted: the parts' union is the boundary, whose area compose measured; the
    report and the union's figure are that area, which pyproj's Geod confirms."""
    _zones_file(tmp_path)
    recipe_path = tmp_path / "plan.toml"
    recipe_path.write_text(TEN_LINES.format(total=1.0), encoding="utf-8")
    _, composition, report = ag.check(recipe_path)
    measured = float(composition.boundary.area_km2.iloc[0])
    assert measured == pytest.approx(sum(geod_km2(g) for g in ZONES), rel=1e-9)
    assert composition.parts_union_km2 == measured and report.composed_km2 == measured
