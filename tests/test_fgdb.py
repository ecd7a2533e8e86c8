"""File Geodatabase folders (national land-survey deliveries) as layers, plain or zipped."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from common import GK_NEIGHBOUR, GK_ZONE, geod_km2, gk_reference_km2

from autocity_gis import api
from autocity_gis._errors import LayerError


def geodatabase(folder: Path) -> Path:
    """sandiao.gdb with two feature classes in EPSG:4551, written by GDAL's OpenFileGDB."""
    zones = gpd.GeoDataFrame(
        {"zone": ["汽开区", "西新"]},
        geometry=[shapely.Polygon(GK_ZONE), shapely.Polygon(GK_NEIGHBOUR)],
        crs="EPSG:4551",
    )
    path = folder / "sandiao.gdb"
    zones.to_file(path, layer="XZQ", driver="OpenFileGDB")
    zones.iloc[:1].to_file(path, layer="DLTB", driver="OpenFileGDB")
    return path


def recipe(folder: Path, layer: str, layer_name: str) -> Path:
    path = folder / "recipe.toml"
    path.write_text(
        f"""
[city]
name_en = "Survey test"
target_km2 = 36.0
tolerance_pct = 1.0

[[components]]
id = "zone"
name_en = "Zone"
layer = "{layer}"
layer_name = "{layer_name}"
filter = {{ zone = "汽开区" }}

[[components]]
id = "xixin"
name_en = "Xixin"
layer = "{layer}"
layer_name = "{layer_name}"
filter = {{ zone = "西新" }}
""",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("zipped", [False, True], ids=["folder", "zipped"])
def test_feature_class_of_a_geodatabase_composes(tmp_path: Path, zipped: bool) -> None:
    gdb = geodatabase(tmp_path)
    layer = gdb.name
    if zipped:
        shutil.make_archive(str(gdb), "zip", tmp_path, gdb.name)
        shutil.rmtree(gdb)
        layer = f"{gdb.name}.zip"
    _, composition, report = api.check(recipe(tmp_path, layer, "XZQ"))
    expected = gk_reference_km2(GK_ZONE) + gk_reference_km2(GK_NEIGHBOUR)
    assert report.composed_km2 == pytest.approx(expected, rel=1e-6)
    assert geod_km2(composition.boundary.geometry.iloc[0]) == pytest.approx(expected, rel=1e-6)


def test_wrong_feature_class_lists_those_present(tmp_path: Path) -> None:
    gdb = geodatabase(tmp_path)
    with pytest.raises(LayerError) as info:
        api.check(recipe(tmp_path, gdb.name, "LTDB"))
    assert "'DLTB'" in str(info.value) and "'XZQ'" in str(info.value)
