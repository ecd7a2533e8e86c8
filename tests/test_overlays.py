"""The overlay engine against independent truth: geopandas overlay + dissolve, pyproj.Geod.

Every parcel, site and farmland layer here is SYNTHETIC (autocity_gis.overlays._synthetic).
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from common import geod_km2

from autocity_gis._errors import InputError, LayerError, RecipeError
from autocity_gis._overlay_draw import PALETTE
from autocity_gis.overlays import (
    CLASSIFICATIONS,
    control_conflicts,
    landuse_balance,
    load_classification,
    parse_overlay,
)
from autocity_gis.overlays._synthetic import farmland_block, make_parcels, make_site

RTOL = 1e-4  # the 0.01 %


# -- classification tables ------------------------------------------------------------------


@pytest.mark.parametrize("key", list(CLASSIFICATIONS))
def test_table_is_a_consistent_hierarchy(key: str) -> None:
    table = load_classification(key)
    codes = [c.code for c in table.classes]
    assert len(codes) == len(set(codes))
    for c in table.classes:
        # Two digits a level; the 三调's merged classes write H in the third place (05H1).
        assert re.fullmatch(rf"\d{{2}}([0-9H]\d){{{c.level - 1}}}", c.code)
        assert c.name_zh and c.name_en
        assert c.en_source == "project"
        if c.level > 1:
            parent = table.get(c.parent or "")
            assert parent is not None and parent.level == c.level - 1
            # The code carries its parent's digits, except the GB/T classes the 三调 groups
            # under 00 湿地 (0303 ... 1108 keep their GB/T codes).
            assert c.code.startswith(c.parent or "") or (key, c.parent) == ("tdt1055-2019", "00")
            # Every class follows its parent, as in the standard's table.
            assert codes.index(c.parent) < codes.index(c.code)
    # The web map and QGIS colour every first-level class (the project's own palette).
    assert {c.code for c in table.classes if c.level == 1} <= set(PALETTE)


def test_tables_hold_the_published_first_levels() -> None:
    gbt = load_classification("gbt21010-2017")
    mnr = load_classification("mnr-2023")
    assert [c.code for c in gbt.classes if c.level == 1] == [f"{i:02d}" for i in range(1, 13)]
    assert [c.code for c in mnr.classes if c.level == 1] == [f"{i:02d}" for i in range(1, 25)]
    # The same number means different classes in the two standards: a layer must say which.
    assert gbt.get("07").name_zh == "住宅用地" and mnr.get("07").name_zh == "居住用地"
    assert gbt.get("0101").name_zh == mnr.get("0101").name_zh == "水田"
    assert mnr.get("0701").name_zh == "城镇住宅用地"
    assert gbt.get("0306").name_zh == "灌丛沼泽"
    # Every GB/T second-level class ships (73); rows the sources disagree on do not (MNR 2005).
    assert len([c for c in gbt.classes if c.level == 2]) == 73
    names = [gbt.get(c).name_zh for c in ("0803", "0804", "0805")]
    assert names == ["教育用地", "科研用地", "医疗卫生用地"]
    assert mnr.get("2005") is None
    # The 2023 guide's third level: 38 classes (0601's two children wait for 0601 itself).
    third = [c for c in mnr.classes if c.level == 3]
    assert len(third) == 38 and not [c for c in gbt.classes if c.level == 3]
    assert mnr.get("080403").name_zh == "中小学用地" and mnr.get("080403").parent == "0804"
    assert mnr.get("060101") is None
    assert (mnr.first_level("120803"), mnr.second_level("120803")) == ("12", "1208")
    assert (mnr.second_level("0701"), mnr.second_level("07"), mnr.first_level("9999")) == (
        "0701", None, None
    )
    assert gbt.get("0809").name_zh == "公用设施用地"


def test_unknown_classification_is_a_recipe_error() -> None:
    with pytest.raises(RecipeError, match="gbt21010-2017, tdt1055-2019, mnr-2023"):
        load_classification("gb50137")


# -- the [[overlays]] block -----------------------------------------------------------------

LANDUSE = {
    "id": "survey",
    "kind": "landuse",
    "layer": "parcels/",
    "class_column": "DLBM",
    "classification": "gbt21010-2017",
    "filter": {"XZQDM": ["220112", "220113"]},
    "datum": "CGCS2000",
}


def test_parse_landuse_and_control() -> None:
    spec = parse_overlay(LANDUSE, source="city.toml", index=1)
    assert (spec.kind, spec.class_column, spec.datum) == ("landuse", "DLBM", "WGS84")
    assert spec.filter == {"XZQDM": ["220112", "220113"]}
    ctrl = parse_overlay(
        {
            "id": "jbnt",
            "kind": "control",
            "layer": "jbnt.gpkg",
            "rule": "within",
            "crs": "EPSG:4530",
        }
    )
    assert (ctrl.rule, ctrl.crs, ctrl.class_column) == ("within", "EPSG:4530", None)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"kind": "zoning"}, "'kind' must be one of landuse, control, not 'zoning'"),
        ({"clas_column": "DLBM"}, "did you mean 'class_column'"),
        ({"classification": "gb50137"}, "not 'gb50137'"),
        ({"class_column": None}, "a land-use overlay needs 'class_column'"),
        ({"rule": "exclude"}, "'rule' belongs to control overlays"),
        ({"layer": ""}, "'layer' is empty"),
        ({"layer": 3}, "'layer' must be a str, not int 3"),
        ({"filter": {"a": {"b": 1}}}, "filter 'a' must be a string, number or list"),
        ({"datum": "mars-ish"}, "'datum' mars-ish is not recognised"),
        ({"id": "x" * 65}, "at most 64 printable characters"),
    ],
)
def test_bad_block_is_one_sentence(change: dict, expected: str) -> None:
    table = {**LANDUSE, **change}
    table = {k: v for k, v in table.items() if v is not None}
    with pytest.raises(RecipeError) as info:
        parse_overlay(table, source="city.toml", index=2)
    message = str(info.value)
    assert message.startswith("city.toml: [[overlays]] block 2")
    assert expected in message
    assert isinstance(info.value, InputError)
    assert "\n" not in message and message.endswith(".")


def test_control_needs_a_rule_and_no_class() -> None:
    base = {"id": "c", "kind": "control", "layer": "c.gpkg"}
    with pytest.raises(RecipeError, match="needs 'rule'"):
        parse_overlay(base)
    with pytest.raises(RecipeError, match="'classification' belongs to land-use"):
        parse_overlay({**base, "rule": "exclude", "classification": "mnr-2023"})
    with pytest.raises(RecipeError, match="is a list, not a table"):
        parse_overlay([base])


# -- the balance table against an independent overlay ---------------------------------------


def reference_table(parcels: gpd.GeoDataFrame, scope: shapely.Geometry) -> dict[str, float]:
    """geopandas overlay + dissolve, each class measured with pyproj.Geod; '' for no code."""
    clip = gpd.GeoDataFrame(geometry=[scope], crs=parcels.crs)
    cut = gpd.overlay(parcels[["DLBM", "geometry"]], clip, how="intersection", keep_geom_type=True)
    cut["DLBM"] = cut["DLBM"].fillna("")
    merged = cut.dissolve(by="DLBM")
    return {str(code): geod_km2(geom) for code, geom in merged.geometry.items()}


@pytest.fixture(scope="module")
def site() -> tuple[shapely.Geometry, dict[str, shapely.Geometry]]:
    return make_site()


@pytest.fixture(scope="module")
def parcels() -> gpd.GeoDataFrame:
    return make_parcels(4000, seed=3)


@pytest.fixture(scope="module")
def balance(parcels, site):
    boundary, components = site
    return landuse_balance(
        parcels,
        boundary=boundary,
        components=components,
        class_column="DLBM",
        classification="gbt21010-2017",
        overlay_id="survey",
        workers=2,
    )


def _observed(table) -> dict[str, float]:
    out = {c.code: c.area_km2 for c in (*table.classes, *table.unknown_codes)}
    if table.no_code_km2:
        out[""] = table.no_code_km2
    return out


def _equals_reference(table, parcels: gpd.GeoDataFrame, scope) -> dict[str, float]:
    """Assert ``table`` equals the independent overlay class by class; return the reference."""
    expected = reference_table(parcels, scope)
    got = _observed(table)
    assert set(got) == set(expected)
    for code, km2 in expected.items():
        assert got[code] == pytest.approx(km2, rel=RTOL), (table.id, code)
    return expected


def _markdown(balance, lang: str) -> str:
    """The balance's report.md section in ``lang``."""
    from autocity_gis._overlay_run import OverlayResults
    from autocity_gis._report_overlays import overlay_markdown_lines
    from autocity_gis._report_text import Lang
    from autocity_gis._text import for_markdown

    tx = Lang(lang, for_markdown, ("km2",))
    return "\n".join(overlay_markdown_lines(OverlayResults(results=(balance,)), tx))


def test_balance_equals_geopandas_overlay_class_by_class(parcels, site, balance) -> None:
    boundary, components = site
    _equals_reference(balance.boundary, parcels, boundary)
    for table in balance.per_component:
        _equals_reference(table, parcels, components[table.id])


def test_classes_plus_remainder_is_the_composed_area(site, balance) -> None:
    boundary, components = site
    for table, geom in [(balance.boundary, boundary)] + [
        (t, components[t.id]) for t in balance.per_component
    ]:
        assert table.area_km2 == pytest.approx(geod_km2(geom), rel=1e-9)
        total = sum(c.area_km2 for c in table.classes) + table.unclassified_km2
        assert total == pytest.approx(table.area_km2, rel=1e-12)
        # The parcels tile the whole extent, so no ground is left without a parcel.
        assert abs(table.no_parcel_km2) < 1e-6 * table.area_km2
        shares = sum(c.share_pct for c in table.classes)
        assert shares + 100 * table.unclassified_km2 / table.area_km2 == pytest.approx(100.0)


def test_unknown_codes_are_reported_not_dropped(balance) -> None:
    unknown = {c.code: c for c in balance.boundary.unknown_codes}
    assert set(unknown) == {"9999"}
    assert unknown["9999"].area_km2 > 0 and unknown["9999"].name_zh is None
    assert balance.boundary.no_code_km2 > 0


def test_first_level_rolls_up_second_level(balance) -> None:
    by_code = {c.code: c.area_km2 for c in balance.boundary.classes}
    level1 = {c.code: c for c in balance.boundary.level1}
    assert level1["01"].area_km2 == pytest.approx(
        by_code.get("0101", 0) + by_code.get("0102", 0) + by_code.get("0103", 0), rel=1e-12
    )
    assert level1["01"].name_zh == "耕地" and level1["01"].level == 1
    assert sum(c.area_km2 for c in level1.values()) == pytest.approx(
        sum(by_code.values()), rel=1e-12
    )


#: A SYNTHETIC detailed plan: the synthetic survey's codes recoded to the 2023 guide, some down
#: to its third level, one second-level class both alone and with children (0701), one code
#: whose parent is not shipped (060101).
PLAN = {
    "0101": "070101",
    "0102": "070102",
    "0103": "0701",
    "0201": "080403",
    "0301": "0902",
    "0401": "090104",
    "0601": "060101",
    "0701": "1001",
    "0702": "100102",
}


def test_third_level_codes_roll_up_by_their_prefixes(parcels, site) -> None:
    boundary, _ = site
    plan = parcels.assign(DLBM=parcels["DLBM"].replace(PLAN))
    balance = landuse_balance(
        plan, boundary=boundary, class_column="DLBM", classification="mnr-2023"
    )
    table, mnr = balance.boundary, load_classification("mnr-2023")
    expected = _equals_reference(table, plan, boundary)
    assert "060101" in {c.code for c in table.unknown_codes}  # reported, not dropped
    known = {c: km2 for c, km2 in expected.items() if c in mnr}
    for rolled, width in ((table.level1, 2), (table.level2, 4)):
        by_prefix: dict[str, float] = {}
        for code, km2 in known.items():
            if len(code) >= width:
                by_prefix[code[:width]] = by_prefix.get(code[:width], 0.0) + km2
        assert {c.code for c in rolled} == set(by_prefix)
        for row in rolled:
            assert row.area_km2 == pytest.approx(by_prefix[row.code], rel=RTOL), row.code
    doc = balance.to_dict()
    assert {r["code"] for r in doc["level2"]} >= {"0701", "0804", "0901", "0902", "1001"}

    md = _markdown(balance, "en")
    assert "| **07** | **Residential land** |" in md
    assert "| *0701* | *Urban residential land* |" in md  # subtotal of 0701 and its children
    assert "| 0701 | Urban residential land (coded at this level) |" in md
    assert "| 070101 | · Class I urban residential land |" in md
    assert "| 0902 | Business and finance land |" in md  # no third-level class: a plain row
    assert md.index("| *0701*") < md.index("| 070101") < md.index("| 070102")


#: The SYNTHETIC survey recoded to the 三调 working classification: merged H classes, a GB/T
#: class the 三调 files under 00 湿地 (1108), and a K ("adjustable") code no table ships.
SURVEY = {"0102": "08H2", "0201": "0201K", "0301": "05H1", "0401": "1108"}


def test_survey_working_codes_roll_up_by_the_table_not_the_digits(parcels, site) -> None:
    boundary, _ = site
    survey = parcels.assign(DLBM=parcels["DLBM"].replace(SURVEY))
    balance = landuse_balance(
        survey, boundary=boundary, class_column="DLBM", classification="tdt1055-2019"
    )
    table = balance.boundary
    expected = _equals_reference(table, survey, boundary)
    assert [c.code for c in table.unknown_codes] == ["0201K", "9999"]
    level1 = {c.code: c.area_km2 for c in table.level1}
    assert level1["00"] == pytest.approx(expected["1108"], rel=RTOL)  # 湿地, not 11
    assert level1["11"] == pytest.approx(expected["1101"] + expected["1104"], rel=RTOL)
    assert level1["05"] == pytest.approx(expected["05H1"], rel=RTOL)
    assert level1["08"] == pytest.approx(expected["08H2"], rel=RTOL)

    md = _markdown(balance, "zh")
    assert "第三次全国国土调查工作分类" in md
    # 1108 沼泽地 sits under 00 湿地, which comes first, not under 11.
    rows = ("| **00** | **湿地** |", "| 1108 | 沼泽地 |", "| **01** | **耕地** |")
    positions = [md.index(r) for r in rows]
    assert positions == sorted(positions)
    assert "| 05H1 | 商业服务业设施用地 |" in md and "| 0201K | （分类表中无此代码） |" in md


def test_report_shape(balance) -> None:
    doc = json.loads(json.dumps(balance.to_dict(), ensure_ascii=False))
    assert doc["kind"] == "landuse" and doc["id"] == "survey"
    row = doc["classes"][0]
    assert set(row) >= {"code", "name_zh", "name_en", "area_km2", "share_pct", "area_ha"}
    assert row["area_ha"] == pytest.approx(100 * row["area_km2"])
    assert "unclassified_km2" in doc
    assert [c["id"] for c in doc["per_component"]] == ["town", "park"]


def test_parcels_short_of_the_boundary_leave_a_remainder(site) -> None:
    boundary, _ = site
    # Parcels cover only the western part: the rest is remainder, not lost.
    west = make_parcels(600, extent=(125.05, 43.75, 125.25, 44.15), seed=1)
    result = landuse_balance(
        west, boundary=boundary, class_column="DLBM", classification="gbt21010-2017"
    )
    table = result.boundary
    covered = geod_km2(shapely.intersection(boundary, shapely.box(125.05, 43.75, 125.25, 44.15)))
    assert table.area_km2 - table.no_parcel_km2 == pytest.approx(covered, rel=RTOL)
    total = sum(c.area_km2 for c in table.classes) + table.unclassified_km2
    assert total == pytest.approx(table.area_km2, rel=1e-12)


def test_numeric_codes_get_their_leading_zero(site) -> None:
    boundary, _ = site
    frame = make_parcels(200, seed=2).dropna(subset=["DLBM"])
    frame = frame[frame.DLBM != "9999"].copy()
    as_text = landuse_balance(
        frame, boundary=boundary, class_column="DLBM", classification="gbt21010-2017"
    )
    frame["DLBM"] = frame["DLBM"].astype(int)
    as_int = landuse_balance(
        frame, boundary=boundary, class_column="DLBM", classification="gbt21010-2017"
    )
    assert [(c.code, c.area_km2) for c in as_int.boundary.classes] == [
        (c.code, c.area_km2) for c in as_text.boundary.classes
    ]


# -- streamed from files ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "fgb", "parquet-4530"])
def test_streamed_file_gives_the_same_table(tmp_path, parcels, site, balance, fmt) -> None:
    boundary, components = site
    if fmt == "fgb":
        path = tmp_path / "parcels.fgb"
        parcels.to_file(path, driver="FlatGeobuf")
    elif fmt == "parquet":
        path = tmp_path / "parcels.parquet"
        parcels.to_parquet(path, row_group_size=700)
    else:
        path = tmp_path / "parcels_gk.parquet"
        parcels.to_crs("EPSG:4530").to_parquet(path)
    got = landuse_balance(
        path,
        boundary=boundary,
        components=components,
        class_column="DLBM",
        classification="gbt21010-2017",
        batch_rows=500,
    )
    rel = 1e-12 if fmt != "parquet-4530" else 1e-6
    assert _observed(got.boundary).keys() == _observed(balance.boundary).keys()
    for code, km2 in _observed(balance.boundary).items():
        assert _observed(got.boundary)[code] == pytest.approx(km2, rel=rel)
    if fmt == "fgb":
        # The FlatGeobuf index skips parcels outside the site's extent.
        assert got.parcels_read < len(parcels)


def test_missing_class_column_names_the_columns(tmp_path, parcels, site) -> None:
    path = tmp_path / "p.parquet"
    parcels.to_parquet(path)
    with pytest.raises(
        LayerError, match=r"the class column 'DLMC' is not in the layer \(columns: DLBM"
    ):
        landuse_balance(path, boundary=site[0], class_column="DLMC", classification="gbt21010-2017")


def test_unknown_engine(parcels, site) -> None:
    with pytest.raises(InputError, match="'spark' is not one of local, dask"):
        landuse_balance(
            parcels,
            boundary=site[0],
            class_column="DLBM",
            classification="mnr-2023",
            engine="spark",  # type: ignore[arg-type]
        )


# -- control lines ---------------------------------------------------------------------------


def test_two_km2_of_farmland_inside_a_component_fails(site) -> None:
    boundary, components = site
    farmland = farmland_block(2.0)
    result = control_conflicts(
        farmland, boundary=boundary, components=components, rule="exclude", overlay_id="jbnt"
    )
    by_id = {c.id: c for c in result.per_component}
    # The third farmland polygon overlaps the first: counted once.
    assert by_id["town"].conflict_km2 == pytest.approx(2.0, rel=1e-9)
    assert not by_id["town"].passed
    assert by_id["park"].conflict_km2 == 0.0 and by_id["park"].passed
    assert result.conflict_km2 == pytest.approx(2.0, rel=1e-9)
    assert not result.passed
    layer = result.conflicts
    assert list(layer.component) == ["town"] and layer.crs.to_epsg() == 4326
    assert geod_km2(layer.geometry.iloc[0]) == pytest.approx(2.0, rel=1e-9)
    doc = json.loads(json.dumps(result.to_dict()))
    assert doc["passed"] is False
    assert doc["per_component"][0] == {
        "id": "town",
        "conflict_km2": by_id["town"].conflict_km2,
        "passed": False,
    }


def test_within_rule_measures_the_part_outside(site) -> None:
    boundary, components = site
    # An urban development boundary holding the town but only the west half of the park.
    west = shapely.box(125.0, 43.0, 125.47, 45.0)
    udb = gpd.GeoDataFrame(
        geometry=[shapely.intersection(boundary, west).buffer(0.001)], crs="EPSG:4326"
    )
    result = control_conflicts(udb, boundary=boundary, components=components, rule="within")
    by_id = {c.id: c for c in result.per_component}
    assert by_id["town"].passed and by_id["town"].conflict_km2 < 1e-9
    east = shapely.difference(components["park"], shapely.box(125.0, 43.0, 125.47 + 0.001, 45.0))
    assert by_id["park"].conflict_km2 == pytest.approx(geod_km2(east), rel=1e-3)
    assert not result.passed


def test_control_from_a_file_in_a_projected_crs(tmp_path, site) -> None:
    boundary, components = site
    path = tmp_path / "jbnt.gpkg"
    farmland_block(2.0).to_crs("EPSG:4530").to_file(path, driver="GPKG")
    result = control_conflicts(path, boundary=boundary, components=components, rule="exclude")
    assert result.per_component[0].conflict_km2 == pytest.approx(2.0, rel=1e-6)


# -- the Dask engine -------------------------------------------------------------------------


def test_dask_engine_equals_the_local_engine(tmp_path, parcels, site, balance) -> None:
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("dask_geopandas")
    boundary, components = site
    folder = tmp_path / "parcels"
    folder.mkdir()
    # One file per "county": a partitioned dataset.
    for i, part in enumerate(np.array_split(np.arange(len(parcels)), 4)):
        parcels.iloc[part].to_parquet(folder / f"county_{i}.parquet")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        got = landuse_balance(
            folder,
            boundary=boundary,
            components=components,
            class_column="DLBM",
            classification="gbt21010-2017",
            engine="dask",
            scheduler=client,
        )
    # Partitions outside the site's extent are skipped by their spatial metadata.
    assert got.engine == "dask" and 0 < got.parcels_read <= len(parcels)
    for mine, theirs in zip(
        [got.boundary, *got.per_component], [balance.boundary, *balance.per_component], strict=True
    ):
        assert _observed(mine).keys() == _observed(theirs).keys()
        for code, km2 in _observed(theirs).items():
            assert _observed(mine)[code] == pytest.approx(km2, rel=1e-9, abs=1e-15)
        assert mine.unclassified_km2 == pytest.approx(theirs.unclassified_km2, rel=1e-9)


def test_dask_engine_refuses_a_frame(parcels, site) -> None:
    pytest.importorskip("dask_geopandas")
    with pytest.raises(InputError, match="reads a GeoParquet file or a folder"):
        landuse_balance(
            parcels,
            boundary=site[0],
            class_column="DLBM",
            classification="gbt21010-2017",
            engine="dask",
        )


def test_without_pyarrow_a_gdal_layer_is_read_whole(tmp_path, monkeypatch, parcels, site, balance):
    from autocity_gis.overlays import _read

    monkeypatch.setattr(_read, "_has_pyarrow", lambda: False)
    path = tmp_path / "parcels.fgb"
    parcels.to_file(path, driver="FlatGeobuf")
    got = landuse_balance(
        path,
        boundary=site[0],
        components=site[1],
        class_column="DLBM",
        classification="gbt21010-2017",
    )
    for code, km2 in _observed(balance.boundary).items():
        assert _observed(got.boundary)[code] == pytest.approx(km2, rel=1e-12)


def test_scopes_pickle_for_dask_workers(site) -> None:
    import pickle

    from autocity_gis.overlays._kernel import Scopes

    scopes = Scopes.build(site[0], list(site[1].items()))
    again = pickle.loads(pickle.dumps(scopes))
    assert again.ids == ("", "town", "park")
    assert all(
        shapely.equals_exact(a, b, 0) for a, b in zip(again.geoms, scopes.geoms, strict=True)
    )
    assert all(shapely.is_prepared(again.geoms))


@pytest.fixture
def partitioned(tmp_path, parcels):
    folder = tmp_path / "parcels"
    folder.mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(parcels)), 3)):
        parcels.iloc[part].to_parquet(folder / f"county_{i}.parquet")
    return folder


def test_dask_engine_by_scheduler_address(partitioned, site, balance) -> None:
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("dask_geopandas")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        got = landuse_balance(
            partitioned,
            boundary=site[0],
            components=site[1],
            class_column="DLBM",
            classification="gbt21010-2017",
            engine="dask",
            scheduler=cluster.scheduler_address,
        )
    assert got.boundary.unclassified_km2 == pytest.approx(
        balance.boundary.unclassified_km2, rel=1e-9
    )


@pytest.mark.slow
def test_dask_engine_default_local_cluster_of_processes(partitioned, site, balance) -> None:
    pytest.importorskip("distributed")
    pytest.importorskip("dask_geopandas")
    got = landuse_balance(
        partitioned,
        boundary=site[0],
        components=site[1],
        class_column="DLBM",
        classification="gbt21010-2017",
        engine="dask",
    )
    for code, km2 in _observed(balance.boundary).items():
        assert _observed(got.boundary)[code] == pytest.approx(km2, rel=1e-9)


# -- the attribute filter (as a recipe's filter) ----------------------------------------------


@pytest.fixture(scope="module")
def counties(parcels) -> gpd.GeoDataFrame:
    frame = parcels.copy()
    # Two "counties": west and east of 125.35°E (by parcel centre), as 6-digit codes.
    west = shapely.bounds(frame.geometry.values)[:, 0] < 125.35
    frame["XZQDM"] = np.where(west, 220112, 220113)
    return frame


def test_filter_keeps_matching_parcels_only(tmp_path, counties, site) -> None:
    boundary = site[0]
    west = counties[counties.XZQDM == 220112]
    expected = landuse_balance(
        west, boundary=boundary, class_column="DLBM", classification="gbt21010-2017"
    )
    path = tmp_path / "counties.parquet"
    counties.to_parquet(path)
    for source in (counties, path):
        got = landuse_balance(
            source,
            boundary=boundary,
            class_column="DLBM",
            classification="gbt21010-2017",
            filter={"XZQDM": "220112"},
            batch_rows=900,
        )
        assert _observed(got.boundary) == pytest.approx(_observed(expected.boundary), rel=1e-12)
        assert got.boundary.no_parcel_km2 > 1.0  # the east is left without parcels


def test_filter_on_dask_equals_local(tmp_path, counties, site) -> None:
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("dask_geopandas")
    folder = tmp_path / "ds"
    folder.mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(counties)), 2)):
        counties.iloc[part].to_parquet(folder / f"part_{i}.parquet")
    local = landuse_balance(
        folder,
        boundary=site[0],
        class_column="DLBM",
        classification="gbt21010-2017",
        filter={"XZQDM": ["220113"]},
    )
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        got = landuse_balance(
            folder,
            boundary=site[0],
            class_column="DLBM",
            classification="gbt21010-2017",
            filter={"XZQDM": ["220113"]},
            engine="dask",
            scheduler=client,
        )
    assert 0 < got.parcels_read <= local.parcels_read  # partitions off the site are skipped
    assert _observed(got.boundary) == pytest.approx(_observed(local.boundary), rel=1e-9)


def test_filter_errors(tmp_path, counties, site) -> None:
    path = tmp_path / "c.fgb"
    counties.to_file(path, driver="FlatGeobuf")
    with pytest.raises(LayerError, match="the filter names attribute 'XZQ', which the layer lacks"):
        landuse_balance(
            path,
            boundary=site[0],
            class_column="DLBM",
            classification="gbt21010-2017",
            filter={"XZQ": "220112"},
        )
    with pytest.raises(LayerError, match="no feature within the site's extent matches the filter"):
        control_conflicts(
            path,
            boundary=site[0],
            components=site[1],
            rule="exclude",
            filter={"XZQDM": "999999"},
        )


@pytest.mark.slow
def test_wheel_ships_the_engine_and_its_tables(tmp_path) -> None:
    import subprocess
    import sys
    import zipfile

    from common import REPO

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    [wheel] = tmp_path.glob("autocity_gis-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("engine.py", "_dask.py", "data/gbt21010-2017.csv", "data/mnr-2023.csv"):
        assert f"autocity_gis/overlays/{name}" in names
    assert "autocity_gis/overlays/data/README.md" in names


# -- threads: prepared geometries must never be shared between threads ----------------------


def test_local_engine_many_small_chunks_on_many_threads(monkeypatch, parcels, site, balance):
    from autocity_gis.overlays import engine

    monkeypatch.setattr(engine, "CHUNK_ROWS", 128)
    for _ in range(3):
        got = landuse_balance(
            parcels,
            boundary=site[0],
            components=site[1],
            class_column="DLBM",
            classification="gbt21010-2017",
            workers=6,
            batch_rows=1000,
        )
        assert _observed(got.boundary) == pytest.approx(_observed(balance.boundary), rel=1e-9)


def test_dask_threads_share_no_prepared_geometry(tmp_path, parcels, site, balance) -> None:
    # Before each partition got its own prepared copy of the scopes, threaded workers
    # segfaulted now and then inside STRtree.query.
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("dask_geopandas")
    folder = tmp_path / "many"
    folder.mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(parcels)), 24)):
        parcels.iloc[part].to_parquet(folder / f"part_{i:02d}.parquet")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=6, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        for _ in range(3):
            got = landuse_balance(
                folder,
                boundary=site[0],
                components=site[1],
                class_column="DLBM",
                classification="gbt21010-2017",
                engine="dask",
                scheduler=client,
            )
            assert _observed(got.boundary) == pytest.approx(_observed(balance.boundary), rel=1e-9)
