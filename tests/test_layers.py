from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import prcoords
import pytest
import shapely
from conftest import WEST, component_frame, geod_km2
from shapely.geometry import LineString, Point, Polygon

from autocity_gis._errors import CRSError, LayerError
from autocity_gis.layers import read_layer
from autocity_gis.recipe import LayerSource

FORMATS = {
    "GeoJSON": ".geojson",
    "GPKG": ".gpkg",
    "ESRI Shapefile": ".shp",
    "FlatGeobuf": ".fgb",
}


def _write(frame: gpd.GeoDataFrame, path: Path, driver: str) -> Path:
    if driver == "ESRI Shapefile":  # field names are limited to 10 characters
        frame = frame.drop(columns=["parent_adcode"])
    frame.to_file(path, driver=driver, engine="pyogrio")
    return path


@pytest.mark.parametrize("driver", list(FORMATS))
def test_every_format_reads_back_the_same_area(tmp_path: Path, driver: str) -> None:
    frame = component_frame([{"id": "w", "name_zh": "西区", "geometry": WEST}])
    path = _write(frame, tmp_path / f"layer{FORMATS[driver]}", driver)
    layer = read_layer(LayerSource(path=path, filter={"id": "w"}))
    assert layer.frame.crs.to_epsg() == 4326
    assert layer.frame["name_zh"].iloc[0] == "西区"
    assert geod_km2(layer.frame.geometry.iloc[0]) == pytest.approx(geod_km2(WEST), rel=1e-9)


def test_projected_layer_is_reprojected(tmp_path: Path) -> None:
    frame = component_frame([{"id": "w", "geometry": WEST}]).to_crs("EPSG:4551")  # 3° GK 126°E
    path = _write(frame, tmp_path / "gk.gpkg", "GPKG")
    layer = read_layer(LayerSource(path=path))
    assert "4551" in layer.source_crs
    got = layer.frame.geometry.iloc[0]
    assert geod_km2(got) == pytest.approx(geod_km2(WEST), rel=1e-6)
    assert shapely.hausdorff_distance(got, WEST) < 1e-6


def test_gcj02_layer_is_shifted_to_wgs84(tmp_path: Path) -> None:
    wgs = np.array(WEST.exterior.coords)
    # Independent implementation makes the GCJ-02 input.
    gcj = [prcoords.wgs_gcj((lat, lon)) for lon, lat in wgs]
    frame = component_frame([{"id": "w", "geometry": Polygon([(lon, lat) for lat, lon in gcj])}])
    path = _write(frame, tmp_path / "amap.geojson", "GeoJSON")
    layer = read_layer(LayerSource(path=path, datum="GCJ02"))
    back = np.array(layer.frame.geometry.iloc[0].exterior.coords)
    assert np.abs(back - wgs).max() < 5e-6  # < 0.5 m
    assert layer.source_datum == "GCJ02"


def test_missing_crs_is_refused_with_advice(tmp_path: Path) -> None:
    path = _write(
        component_frame([{"id": "w", "geometry": WEST}]), tmp_path / "a.shp", "ESRI Shapefile"
    )
    path.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match=r"declares no coordinate reference system; add crs"):
        read_layer(LayerSource(path=path))
    # The recipe can supply it.
    assert len(read_layer(LayerSource(path=path, crs="EPSG:4326")).frame) == 1


def test_projected_coordinates_labelled_as_degrees(tmp_path: Path) -> None:
    metres = shapely.box(500_000, 4_850_000, 510_000, 4_860_000)
    frame = component_frame([{"id": "w", "geometry": metres}])
    path = _write(frame.set_crs(4326, allow_override=True), tmp_path / "m.gpkg", "GPKG")
    with pytest.raises(CRSError, match="probably projected metres"):
        read_layer(LayerSource(path=path))


def test_conflicting_crs(tmp_path: Path) -> None:
    path = _write(component_frame([{"id": "w", "geometry": WEST}]), tmp_path / "a.gpkg", "GPKG")
    with pytest.raises(CRSError, match="the file declares EPSG:4326 but the recipe says"):
        read_layer(LayerSource(path=path, crs="EPSG:4547"))


def test_filter_problems(tmp_path: Path) -> None:
    path = _write(
        component_frame([{"id": "w", "geometry": WEST}]), tmp_path / "a.geojson", "GeoJSON"
    )
    with pytest.raises(LayerError, match="no feature matches the filter id = 'x'"):
        read_layer(LayerSource(path=path, filter={"id": "x"}))
    with pytest.raises(LayerError, match="attribute 'code', which the layer lacks"):
        read_layer(LayerSource(path=path, filter={"code": 1}))


@pytest.mark.parametrize(
    ("geom", "message"),
    [
        (Point(125.1, 43.8), "is a Point, but a polygon is needed"),
        (LineString([(125.1, 43.8), (125.2, 43.9)]), "is a LineString"),
        (Polygon(), "the geometry is empty"),
        (Polygon([(125.1, 43.8), (125.2, 43.8), (125.3, 43.8), (125.1, 43.8)]), "no area"),
    ],
)
def test_unusable_geometry_names_the_feature(tmp_path: Path, geom: object, message: str) -> None:
    frame = component_frame([{"id": "ok", "geometry": WEST}, {"id": "bad", "geometry": geom}])
    path = _write(frame, tmp_path / "a.gpkg", "GPKG")
    with pytest.raises(LayerError) as info:
        read_layer(LayerSource(path=path))
    assert message in str(info.value)
    assert "a.gpkg, feature 1 (id='bad')" in str(info.value)


def test_bow_tie_is_repaired_with_a_warning(tmp_path: Path) -> None:
    bow = Polygon([(125.1, 43.8), (125.2, 43.9), (125.2, 43.8), (125.1, 43.9)])
    path = _write(component_frame([{"id": "bow", "geometry": bow}]), tmp_path / "a.gpkg", "GPKG")
    layer = read_layer(LayerSource(path=path))
    fixed = layer.frame.geometry.iloc[0]
    assert fixed.is_valid and fixed.geom_type == "MultiPolygon"
    two_triangles = shapely.MultiPolygon(
        [
            Polygon([(125.1, 43.8), (125.15, 43.85), (125.1, 43.9)]),
            Polygon([(125.2, 43.8), (125.2, 43.9), (125.15, 43.85)]),
        ]
    )
    assert geod_km2(fixed) == pytest.approx(geod_km2(two_triangles), rel=1e-9)
    assert "repaired invalid geometry (Self-intersection" in layer.warnings[0]


def test_z_is_dropped(tmp_path: Path) -> None:
    z = shapely.force_3d(WEST, 120.0)
    path = _write(component_frame([{"id": "z", "geometry": z}]), tmp_path / "a.gpkg", "GPKG")
    layer = read_layer(LayerSource(path=path))
    assert not shapely.has_z(layer.frame.geometry.iloc[0])
    assert "dropped the z coordinates" in layer.warnings[0]


def test_unreadable_files(tmp_path: Path) -> None:
    garbage = tmp_path / "junk.geojson"
    garbage.write_bytes(b'{"type": "FeatureCollection", "features": [ {"type": ')
    with pytest.raises(LayerError, match=r"junk\.geojson: cannot be read as a vector layer"):
        read_layer(LayerSource(path=garbage))
