from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import prcoords
import pytest
import shapely
from common import WEST, component_frame, geod_km2
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


# -- truthful messages and CRS guards (issue #9) -------------------------------------------


def _shapefile_without_crs(tmp_path: Path, geom: Any = WEST) -> Path:
    path = _write(
        component_frame([{"id": "w", "geometry": geom}]), tmp_path / "a.shp", "ESRI Shapefile"
    )
    path.with_suffix(".prj").unlink()
    return path


def _one_line(exc: pytest.ExceptionInfo[Exception], path: Path) -> str:
    text = str(exc.value)
    assert "\n" not in text and str(path.name) in text
    return text


def test_empty_layer_says_it_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.gpkg"
    component_frame([{"id": "w", "geometry": WEST}]).iloc[:0].to_file(path, engine="pyogrio")
    with pytest.raises(LayerError) as exc:
        read_layer(LayerSource(path=path, filter={"id": "w"}))
    text = _one_line(exc, path)
    assert "the layer is empty (it has no features)" in text
    assert "filter" not in text


def test_wrong_filter_value_lists_the_values_present(tmp_path: Path) -> None:
    rows = [{"id": f"zone{i}", "geometry": WEST} for i in range(40)]
    path = _write(component_frame(rows), tmp_path / "a.gpkg", "GPKG")
    with pytest.raises(LayerError) as exc:
        read_layer(LayerSource(path=path, filter={"id": "zone99"}))
    text = _one_line(exc, path)
    assert "no feature matches the filter id = 'zone99'" in text
    assert "values of 'id' in the layer: 'zone0', 'zone1'" in text
    assert "'zone29'" in text and "'zone30'" not in text
    assert "(10 more)" in text


def test_nested_geometry_collection_keeps_its_polygons(tmp_path: Path) -> None:
    gc = shapely.GeometryCollection(
        [
            shapely.GeometryCollection([WEST]),
            Point(125.15, 43.85),
            LineString([(125, 43), (125.1, 43.1)]),
        ]
    )
    path = _write(component_frame([{"id": "w", "geometry": gc}]), tmp_path / "a.gpkg", "GPKG")
    layer = read_layer(LayerSource(path=path))
    assert geod_km2(layer.frame.geometry.iloc[0]) == pytest.approx(geod_km2(WEST), rel=1e-9)
    assert any("dropped non-polygon parts" in w for w in layer.warnings)


def test_huge_coordinates_are_shown_compactly(tmp_path: Path) -> None:
    huge = Polygon([(0, 0), (1e300, 0), (1e300, 1e300), (0, 0)])
    path = _write(component_frame([{"id": "w", "geometry": huge}]), tmp_path / "a.gpkg", "GPKG")
    with pytest.raises(CRSError) as exc:
        read_layer(LayerSource(path=path))
    text = _one_line(exc, path)
    assert "1e+300" in text
    assert "0" * 50 not in text


@pytest.mark.parametrize(("value", "word"), [(np.nan, "NaN"), (np.inf, "infinite")])
def test_nan_and_infinite_coordinates_are_named(tmp_path: Path, value: float, word: str) -> None:
    coords = np.array(WEST.exterior.coords)
    coords[5, 1] = value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        bad = Polygon(coords)
    path = _write(component_frame([{"id": "w", "geometry": bad}]), tmp_path / "a.gpkg", "GPKG")
    with pytest.raises(LayerError) as exc:
        read_layer(LayerSource(path=path))
    text = _one_line(exc, path)
    assert f"feature 0 (id='w'): has coordinates that are not numbers ({word})" in text
    assert "vertex 5" in text


def test_mars_crs_is_refused_by_name(tmp_path: Path) -> None:
    path = _shapefile_without_crs(tmp_path)
    with pytest.raises(CRSError) as exc:
        read_layer(LayerSource(path=path, crs="IAU_2015:49900"))
    text = _one_line(exc, path)
    assert "is not based on the Earth" in text and "Mars" in text


def test_vertical_crs_gets_its_own_message(tmp_path: Path) -> None:
    path = _shapefile_without_crs(tmp_path)
    with pytest.raises(CRSError) as exc:
        read_layer(LayerSource(path=path, crs="EPSG:5773"))
    text = _one_line(exc, path)
    assert "is a vertical CRS (heights), not a horizontal one" in text
    assert "EGM96" in text


def test_engineering_crs_is_refused(tmp_path: Path) -> None:
    path = _shapefile_without_crs(tmp_path)
    local = (
        'LOCAL_CS["site grid",LOCAL_DATUM["site",0],UNIT["metre",1],AXIS["X",EAST],AXIS["Y",NORTH]]'
    )
    with pytest.raises(CRSError) as exc:
        read_layer(LayerSource(path=path, crs=local))
    assert "is an engineering (local) CRS with no position on the Earth" in _one_line(exc, path)


def test_compound_crs_uses_its_horizontal_part(tmp_path: Path) -> None:
    path = _shapefile_without_crs(tmp_path)
    layer = read_layer(LayerSource(path=path, crs="EPSG:4326+5773"))
    assert geod_km2(layer.frame.geometry.iloc[0]) == pytest.approx(geod_km2(WEST), rel=1e-9)


@pytest.mark.parametrize("driver", ["GPKG", "GeoJSON"])
def test_crs84_and_epsg4326_are_the_same(tmp_path: Path, driver: str) -> None:
    path = _write(
        component_frame([{"id": "w", "geometry": WEST}]), tmp_path / f"a{FORMATS[driver]}", driver
    )
    layer = read_layer(LayerSource(path=path, crs="OGC:CRS84"))
    got = layer.frame.geometry.iloc[0]
    assert got.bounds == pytest.approx(WEST.bounds)  # no axis swap either way


# -- the context check (issue #10, item 4) --------------------------------------------------


def _context_borders() -> Any:
    from common import EAST, SOUTH

    from autocity_gis.layers import Layer, borders_of

    units = gpd.GeoDataFrame({"adcode": ["W1", "E1", "S1"]}, geometry=[WEST, EAST, SOUTH], crs=4326)
    return borders_of(Layer(units, "EPSG:4326", "WGS84", ()))


def test_shapefile_without_prj_gets_the_zone_that_lands_it(tmp_path: Path) -> None:
    gk = component_frame([{"id": "w", "geometry": WEST}]).to_crs("EPSG:4530")  # zone 42
    path = _write(gk, tmp_path / "cad.shp", "ESRI Shapefile")
    path.with_suffix(".prj").unlink()
    with pytest.raises(CRSError) as exc:
        read_layer(LayerSource(path=path), context_borders=_context_borders())
    text = _one_line(exc, path)
    assert "declares no coordinate reference system" in text
    assert 'add crs = "EPSG:4530" to its recipe entry' in text
    assert "EPSG:2366 if it is Xian 1980" in text  # the same plane in the older frames
    # Without a context the message is the one it always was.
    with pytest.raises(CRSError, match=r"declares no coordinate reference system; add crs"):
        read_layer(LayerSource(path=path))


def test_lonlat_without_prj_is_recognised_on_the_context(tmp_path: Path) -> None:
    path = _shapefile_without_crs(tmp_path)
    with pytest.raises(CRSError, match=r'longitude/latitude on the context units.*"EPSG:4326"'):
        read_layer(LayerSource(path=path), context_borders=_context_borders())


def test_far_component_is_an_error_only_with_a_context(tmp_path: Path) -> None:
    far = shapely.affinity.translate(WEST, 0.0, -0.5)  # 0.3° (33 km) south of SOUTH
    path = _write(component_frame([{"id": "w", "geometry": far}]), tmp_path / "f.gpkg", "GPKG")
    assert len(read_layer(LayerSource(path=path)).frame) == 1
    with pytest.raises(CRSError, match=r"f\.gpkg: lies 33 km from the context units"):
        read_layer(LayerSource(path=path), context_borders=_context_borders())


def test_components_on_the_context_raise_nothing(tmp_path: Path) -> None:
    path = _write(component_frame([{"id": "w", "geometry": WEST}]), tmp_path / "w.gpkg", "GPKG")
    layer = read_layer(LayerSource(path=path), context_borders=_context_borders())
    assert layer.warnings == ()


def test_a_frame_layer_is_read_like_a_file_and_left_untouched() -> None:
    gk = gpd.GeoDataFrame(
        {"id": ["w", "w2"]}, geometry=[WEST, WEST], crs=4326, index=[7, 7]
    ).to_crs("EPSG:4551")
    before = gk.copy()
    label = Path("<GeoDataFrame of component 'w'>")
    layer = read_layer(LayerSource(path=label, frame=gk))
    assert layer.frame.crs.to_epsg() == 4326
    assert layer.source_crs == "EPSG:4551"
    assert geod_km2(layer.frame.geometry.iloc[0]) == pytest.approx(geod_km2(WEST), rel=1e-6)
    # Duplicated features are named by position when the frame's index repeats.
    assert any("same geometry as feature 0" in w for w in layer.warnings)
    assert list(gk.index) == [7, 7] and gk.geometry.geom_equals(before.geometry).all()
    lines = gpd.GeoDataFrame(
        {"id": ["l"]}, geometry=[LineString([(125, 43), (125.1, 43)])], crs=4326
    )
    with pytest.raises(LayerError, match=r"^<GeoDataFrame of component 'w'>, feature 0 \(id='l'\)"):
        read_layer(LayerSource(path=label, frame=lines))
    with pytest.raises(LayerError, match="has no geometry column"):
        read_layer(LayerSource(path=label, frame=gpd.GeoDataFrame({"id": ["x"]})))


def test_the_read_cache_shares_one_read_between_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from autocity_gis import _gdal
    from autocity_gis.layers import ReadCache

    path = tmp_path / "parts.gpkg"
    component_frame([{"id": "w", "geometry": WEST}, {"id": "x", "geometry": WEST}]).to_file(path)
    calls: list[Any] = []
    real = _gdal.read_file
    monkeypatch.setattr(_gdal, "read_file", lambda p, **kw: calls.append(p) or real(p, **kw))
    cache = ReadCache()
    w = read_layer(LayerSource(path=path, filter={"id": "w"}), cache=cache)
    x = read_layer(LayerSource(path=path, filter={"id": "x"}, crs="EPSG:4326"), cache=cache)
    assert calls == [path]
    assert list(w.frame["id"]) == ["w"] and list(x.frame["id"]) == ["x"]
    # Another encoding is another read: GDAL decodes the text differently.
    read_layer(LayerSource(path=path, filter={"id": "w"}, encoding="latin-1"), cache=cache)
    assert calls == [path, path]


def test_whole_layer_checks_run_once_per_read_and_a_failure_every_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from autocity_gis import _layer_read
    from autocity_gis.layers import ReadCache
    from autocity_gis.limits import Limits

    path = tmp_path / "parts.gpkg"
    ids = [f"c{i}" for i in range(5)]
    component_frame([{"id": i, "geometry": WEST} for i in ids]).to_file(path)
    scans: list[str] = []
    for name in ("_check_sizes", "_check_encoding"):
        real = getattr(_layer_read, name)
        monkeypatch.setattr(
            _layer_read, name, lambda *a, _n=name, _r=real: scans.append(_n) or _r(*a)
        )
    cache = ReadCache()
    for i in ids:
        assert list(
            read_layer(LayerSource(path=path, filter={"id": i}), cache=cache).frame["id"]
        ) == [i]
    assert scans == ["_check_sizes", "_check_encoding"]
    # A refusal is not remembered as a pass: every component fed by the file hears it.
    tight = Limits(max_text_chars=3)
    for i in ids[:2]:
        with pytest.raises(LayerError, match=r"feature 0: attribute 'kind' has 4 characters"):
            read_layer(LayerSource(path=path, filter={"id": i}), cache=cache, limits=tight)
    assert scans.count("_check_sizes") == 3


def test_filter_lookup_selects_what_a_plain_scan_selects(tmp_path: Path) -> None:
    from autocity_gis.layers import ReadCache

    path = tmp_path / "parts.gpkg"
    rows = [
        {"id": "a", "zone": "1", "geometry": WEST},
        {"id": "b", "zone": "2", "geometry": WEST},
        {"id": "a", "zone": "2", "geometry": WEST},
        {"id": None, "zone": "1", "geometry": WEST},
        {"id": "c", "zone": None, "geometry": WEST},
    ]
    component_frame(rows).to_file(path)
    cache = ReadCache()
    cases: list[dict[str, Any]] = [
        {"id": "a"},
        {"id": ["c", "a", "a"]},
        {"zone": "2"},
        {"id": "a", "zone": "2"},
        {"id": ["a", "b", "x"], "zone": ["2"]},
    ]
    for wanted in cases:
        truth = [
            pos
            for pos, row in enumerate(rows)
            if all(
                row[k] is not None and row[k] in (v if isinstance(v, list) else [v])
                for k, v in wanted.items()
            )
        ]
        frame = read_layer(LayerSource(path=path, filter=wanted), cache=cache).frame
        assert list(frame.index) == truth, wanted
    with pytest.raises(LayerError, match=r"no feature matches the filter id = 'x' \(values"):
        read_layer(LayerSource(path=path, filter={"id": "x"}), cache=cache)
    with pytest.raises(LayerError, match="never together"):
        read_layer(LayerSource(path=path, filter={"id": "b", "zone": "1"}), cache=cache)


def test_components_sharing_a_read_leave_it_as_read(tmp_path: Path) -> None:
    from autocity_gis.layers import ReadCache

    bow = Polygon([(125.1, 43.8), (125.2, 43.9), (125.2, 43.8), (125.1, 43.9)])
    east = shapely.affinity.translate(WEST, 0.001)
    rows = [
        {"id": "bow", "geometry": bow},
        {"id": "w", "geometry": WEST},
        {"id": "e", "geometry": east},
    ]
    path = _write(component_frame(rows), tmp_path / "a.gpkg", "GPKG")
    cache = ReadCache()
    for _ in range(2):  # the second round sees the read exactly as the first did
        bowed = read_layer(LayerSource(path=path, filter={"id": "bow"}), cache=cache)
        assert "repaired invalid geometry (Self-intersection" in bowed.warnings[0]
        both = read_layer(LayerSource(path=path, filter={"id": ["w", "e"]}), cache=cache)
        assert list(both.frame["id"]) == ["w", "e"] and both.warnings == ()
        raw = cache.reads[str(path), None, None]  # what GDAL read, shared by both
        assert raw.frame.geometry.iloc[0].equals_exact(bow, 0.0)
        assert not raw.frame.geometry.iloc[0].is_valid


def test_only_true_twins_are_named_even_among_features_with_the_same_bounds() -> None:
    """Twins are the same shape whatever the ring's start and direction; a different shape in
    the same bounding box (a triangle of the box, the box itself) is not a twin."""
    box = shapely.box(125.0, 43.0, 125.1, 43.1)
    corners = list(box.exterior.coords)[:4]
    turned = shapely.Polygon([corners[2], corners[1], corners[0], corners[3]])  # clockwise
    triangle = shapely.Polygon([(125.0, 43.0), (125.1, 43.0), (125.1, 43.1)])
    other = shapely.box(125.2, 43.0, 125.3, 43.1)
    frame = gpd.GeoDataFrame(
        {"id": ["a", "b", "c", "d", "e"]},
        geometry=[box, triangle, other, turned, triangle],
        crs=4326,
    )
    layer = read_layer(LayerSource(path=Path("<frame>"), frame=frame))
    twins = sorted(w for w in layer.warnings if "same geometry as" in w)
    assert len(twins) == 2
    assert "feature 3" in twins[0] and "same geometry as feature 0" in twins[0]
    assert "feature 4" in twins[1] and "same geometry as feature 1" in twins[1]


def test_large_layers_check_validity_on_two_threads_feature_by_feature(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The validity check split across threads still names each invalid feature, in order."""
    from autocity_gis import _cores

    monkeypatch.setattr(_cores, "THREADED_VERTICES", 0)
    bowtie = Polygon([(125.0, 43.0), (125.1, 43.1), (125.1, 43.0), (125.0, 43.1)])
    cells = [shapely.box(125.0 + i * 0.1, 43.2, 125.1 + i * 0.1, 43.3) for i in range(6)]
    geoms = [cells[0], bowtie, *cells[1:5], shapely.affinity.translate(bowtie, 1.0), cells[5]]
    frame = gpd.GeoDataFrame({"id": [f"f{i}" for i in range(8)]}, geometry=geoms, crs=4326)
    layer = read_layer(LayerSource(path=Path("<frame>"), frame=frame))
    repaired = [w for w in layer.warnings if "repaired invalid geometry" in w]
    assert len(repaired) == 2
    assert "feature 1 " in repaired[0] and "feature 6 " in repaired[1]
    assert layer.frame.geometry.is_valid.all()


def test_a_sound_layer_passes_at_once_and_one_unsound_feature_is_still_named(
    tmp_path: Path,
) -> None:
    """The whole-array test lets a sound layer through untouched; one feature that is not
    (3-D, bow-tie, line) is found and named by the feature-by-feature pass as before."""
    from shapely import box

    from autocity_gis.layers import _repair

    cells = [box(125 + i * 0.01, 43.8, 125.01 + i * 0.01, 43.81) for i in range(20)]
    frame = gpd.GeoDataFrame({"n": range(20)}, geometry=cells, crs="EPSG:4326")
    same, warnings = _repair(frame, tmp_path / "x.gpkg")
    assert same is frame and warnings == []
    for odd, said in (
        (Polygon([(125, 43, 1), (125.1, 43, 1), (125.1, 43.1, 1)]), "dropped the z"),
        (Polygon([(125, 43), (125.1, 43.1), (125.1, 43), (125, 43.1)]), "repaired invalid"),
    ):
        mixed = frame.copy()
        mixed.loc[7, "geometry"] = odd
        repaired, warnings = _repair(mixed, tmp_path / "x.gpkg")
        assert len(warnings) == 1 and said in warnings[0] and "feature 7" in warnings[0]
        assert not repaired.geometry.has_z.any() and repaired.geometry.is_valid.all()
    lined = frame.copy()
    lined.loc[3, "geometry"] = LineString([(125, 43), (125.1, 43.1)])
    with pytest.raises(LayerError, match=r"feature 3.*LineString"):
        _repair(lined, tmp_path / "x.gpkg")
