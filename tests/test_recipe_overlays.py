"""Recipe ``[[overlays]]`` blocks, ``engine`` and ``scheduler``, checked and run from Python.

Every parcel and farmland layer here is SYNTHETIC (``autocity_gis.overlays._synthetic``).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

import autocity_gis as ag
from autocity_gis._errors import RecipeError
from autocity_gis.api import check_overlays
from autocity_gis.datum import convert_frame
from autocity_gis.overlays._synthetic import farmland_block, make_parcels, make_site


@pytest.fixture(scope="module")
def site() -> tuple[shapely.Geometry, gpd.GeoDataFrame]:
    boundary, parts = make_site()
    zones = gpd.GeoDataFrame({"zone": list(parts)}, geometry=list(parts.values()), crs=4326)
    return boundary, zones


def _recipe(zones: gpd.GeoDataFrame, overlays: list[dict], **top: object) -> dict:
    return {
        "city": {"name_en": "SYNTHETIC", "target_km2": 502.9, "tolerance_pct": 1.0},
        "components": [{"layer": zones, "id_column": "zone"}],
        "overlays": overlays,
        **top,
    }


def test_dict_recipe_with_frame_overlays(site) -> None:
    _, zones = site
    parcels = make_parcels(1500, seed=5)
    recipe = ag.load_recipe(
        _recipe(
            zones,
            [
                {"id": "lu", "kind": "landuse", "layer": parcels, "class_column": "DLBM",
                 "classification": "gbt21010-2017"},
                {"id": "jbnt", "kind": "control", "layer": farmland_block(1.0),
                 "rule": "exclude"},
            ],
        )
    )
    assert [o.id for o in recipe.overlays] == ["lu", "jbnt"] and recipe.engine == "local"
    loaded, composition, report = ag.check(recipe)
    assert report.passed
    joined, overlays = check_overlays(loaded, composition, report)
    assert not joined.passed and joined.area_passed  # the farmland fails the verdict only
    assert overlays.failed == ("jbnt",)
    assert overlays.controls[0].per_component[0].conflict_km2 == pytest.approx(1.0, rel=1e-6)


def test_gcj02_layer_is_shifted_like_a_component(site) -> None:
    """A survey stored in GCJ-02 gives the WGS 84 survey's table once declared so."""
    _, zones = site
    parcels = make_parcels(1500, seed=5)
    shifted = convert_frame(parcels, "WGS84", "GCJ02")
    tables = []
    for frame, datum in ((parcels, None), (shifted, "GCJ-02")):
        block = {"id": "lu", "kind": "landuse", "layer": frame, "class_column": "DLBM",
                 "classification": "gbt21010-2017"}
        if datum:
            block["datum"] = datum
        recipe, composition, report = ag.check(_recipe(zones, [block]))
        _, overlays = check_overlays(recipe, composition, report)
        tables.append({c.code: c.area_km2 for c in overlays.landuse[0].boundary.classes})
    assert set(tables[0]) == set(tables[1])
    for code, km2 in tables[0].items():
        # the exact inverse is good to 0.5 m: a few m² on parcels of ~0.1 km²
        assert tables[1][code] == pytest.approx(km2, rel=1e-4), code


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        ({"engine": "spark"}, "'engine' must be one of local, dask"),
        ({"engine": "dask", "scheduler": "http://x:1"}, "tcp://HOST:PORT"),
        ({"scheduler": "tcp://127.0.0.1:8786"}, "'scheduler' is for engine"),
    ],
)
def test_engine_and_scheduler_problems(site, top: dict, expected: str) -> None:
    _, zones = site
    with pytest.raises(RecipeError, match=expected):
        ag.load_recipe(_recipe(zones, [], **top))


def test_every_problem_at_once(site) -> None:
    _, zones = site
    blocks = [
        {"id": "a", "kind": "control", "layer": farmland_block(), "rule": "exclude"},
        {"id": "a", "kind": "control", "layer": farmland_block(), "rule": "exclude"},
        {"id": "town", "kind": "control", "layer": farmland_block(), "rule": "within"},
        {"id": "b", "kind": "parcels", "layer": farmland_block()},
    ]
    with pytest.raises(RecipeError) as info:
        ag.load_recipe(_recipe(zones, blocks))
    message = str(info.value)
    assert "duplicate overlay id" in message
    assert "the id is a component's" in message
    assert "'kind' must be one of landuse, control" in message
    assert message.count("\n") == 0


def test_file_layer_in_a_dict_recipe_needs_root(site, tmp_path: Path) -> None:
    _, zones = site
    farmland_block().to_file(tmp_path / "jbnt.geojson", driver="GeoJSON")
    block = {"id": "jbnt", "kind": "control", "layer": "jbnt.geojson", "rule": "exclude"}
    with pytest.raises(RecipeError, match=r"pass root="):
        ag.load_recipe(_recipe(zones, [block]))
    recipe = ag.load_recipe(_recipe(zones, [block]), root=tmp_path)
    assert recipe.overlays[0].path == (tmp_path / "jbnt.geojson").resolve()


def test_a_folder_without_parquet_is_refused(site, tmp_path: Path) -> None:
    _, zones = site
    (tmp_path / "survey").mkdir()
    (tmp_path / "survey" / "notes.txt").write_text("x", encoding="utf-8")
    block = {"id": "s", "kind": "landuse", "layer": "survey", "class_column": "DLBM",
             "classification": "mnr-2023"}
    with pytest.raises(RecipeError, match=r"holds no \.parquet file"):
        ag.load_recipe(_recipe(zones, [block]), root=tmp_path)
